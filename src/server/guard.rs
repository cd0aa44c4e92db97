//! What protects the memorial: the word list, rate limits, and the moderators' tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Messages may be at most this many characters (the viewer's forms use the same limit).
pub const MAX_MESSAGE_CHARS: usize = crate::api::MESSAGE_MAX_CHARS;

/// A small default list; operators replace it with `--words FILE` (one word per line, `#` comments).
pub const DEFAULT_WORDS: &str = include_str!("default-words.txt");

/// Words a message may not contain.
#[derive(Debug, Clone, Default)]
pub struct WordList {
    words: Vec<String>,
}

impl WordList {
    pub fn parse(text: &str) -> Self {
        let words = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(matching_form)
            .filter(|w| !w.is_empty())
            .collect();
        WordList { words }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The first listed word the text contains (case-insensitive, spaces ignored).
    pub fn find(&self, text: &str) -> Option<&str> {
        self.all(text).into_iter().next()
    }

    /// Every listed word the text contains: what the moderation page highlights (a message
    /// stored before a word was added to the list still shows it). Both sides are compared in
    /// their [`matching_form`], so look-alike and invisible characters do not hide a word.
    pub fn all(&self, text: &str) -> Vec<&str> {
        let t = matching_form(text);
        self.words.iter().filter(|w| t.contains(w.as_str())).map(String::as_str).collect()
    }
}

/// The moderators: each token with the name its decisions are logged under.
#[derive(Debug, Clone, Default)]
pub struct Moderators {
    tokens: Vec<(String, String)>,
}

/// The shortest token the staff may use, bare or named.
pub const MIN_TOKEN: usize = 8;

impl Moderators {
    /// `name:token` pairs separated by commas or new lines (`#` comments); a spec that is one
    /// bare token is the moderator called `moderator`. Empty: no moderation.
    pub fn parse(spec: &str) -> Result<Moderators, String> {
        Moderators::parse_for("moderator", spec)
    }

    /// [`Moderators::parse`] for another role (`curator`), named so in its messages.
    pub fn parse_for(role: &str, spec: &str) -> Result<Moderators, String> {
        let entries: Vec<&str> =
            spec.split([',', '\n']).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        if let [one] = entries.as_slice()
            && !one.contains(':')
        {
            // As long as a named one: a short bare token is as guessable.
            if one.len() < MIN_TOKEN {
                return Err(format!("the {role}'s token is {} characters: give at least {MIN_TOKEN}", one.len()));
            }
            return Ok(Moderators { tokens: vec![(role.into(), one.to_string())] });
        }
        let mut tokens = Vec::new();
        for e in entries {
            let Some((name, token)) = e.split_once(':') else {
                return Err(format!("`{e}` is not `name:token` (each {role}'s token needs a name)"));
            };
            let (name, token) = (name.trim(), token.trim());
            if name.is_empty() || token.len() < MIN_TOKEN {
                return Err(format!("{role} `{name}`: give a name and a token of at least {MIN_TOKEN} characters"));
            }
            if tokens.iter().any(|(n, _): &(String, String)| n == name) {
                return Err(format!("{role} `{name}` is named twice"));
            }
            tokens.push((name.to_string(), token.to_string()));
        }
        Ok(Moderators { tokens })
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Every token (to derive keys from them).
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|(_, t)| t.as_str())
    }

    /// The name of the moderator whose token this is (every token is compared, in constant time).
    pub fn who(&self, presented: &str) -> Option<&str> {
        let mut found = None;
        for (name, token) in &self.tokens {
            if token_matches(presented, token) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// Text in Unicode's composed form (NFC): the same words written with composed or combining
/// characters compare equal, so the word list cannot be stepped round with a combining accent.
pub fn normalise(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Unicode's format characters (general category Cf) other than the direction marks, which
/// [`forbidden_char`] refuses with a reason: zero-width spaces and joiners, the soft hyphen, the
/// word joiner and invisible operators, the byte-order mark, interlinear annotation marks, tag
/// characters and the like. They show nothing, so they are taken out of what visitors, students
/// and teachers write: nobody loses a visible character, and a listed word cannot hide behind
/// one.
pub fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B..=0x200D | 0x2060..=0x2064 | 0x206A..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0001 | 0xE0020..=0xE007F)
}

/// Characters that show nothing or only change how the one before looks, ignored when the word
/// list looks: variation selectors, the combining grapheme joiner and the Hangul fillers.
fn is_ignorable(c: char) -> bool {
    is_format(c)
        || matches!(c as u32, 0x034F | 0x115F | 0x1160 | 0x3164 | 0xFFA0 | 0x180B..=0x180D | 0x180F
            | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Text as it is kept: composed ([`normalise`]) and without [`is_format`] characters.
pub fn clean(text: &str) -> String {
    normalise(&text.chars().filter(|c| !is_format(*c)).collect::<String>())
}

/// A name (`line_breaks` false) or a note as it is kept ([`clean`], trimmed), or why not: a
/// character [`forbidden_char`] refuses, or nothing visible left.
pub fn clean_text(text: &str, line_breaks: bool) -> Result<String, String> {
    let text = clean(text).trim().to_string();
    if let Some(why) = forbidden_char(&text, line_breaks) {
        return Err(why);
    }
    if text.is_empty() {
        return Err("it has no visible character".into());
    }
    Ok(text)
}

/// What the word list compares: compatibility-composed (NFKC: full-width letters, ligatures,
/// circled and styled letters become plain ones), lower case, without spaces and without
/// characters that show nothing.
pub fn matching_form(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = text.chars().filter(|c| !is_ignorable(*c)).collect();
    visible.nfkc().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace() && !is_ignorable(*c)).collect()
}

/// The first character a name or message may not hold, with why: control characters (a
/// message's line breaks aside) and the marks that reorder text (bidirectional embeddings,
/// overrides and isolates), which make a message read otherwise than it was written.
pub fn forbidden_char(text: &str, line_breaks: bool) -> Option<String> {
    for (i, c) in text.chars().enumerate() {
        let at = i + 1;
        let code = c as u32;
        if matches!(code, 0x202A..=0x202E | 0x2066..=0x2069 | 0x200E | 0x200F | 0x061C) {
            return Some(format!("character {at} (U+{code:04X}) changes the direction of the text; remove it"));
        }
        if c.is_control() && !(line_breaks && c == '\n') {
            return Some(format!("character {at} (U+{code:04X}) is a control character; remove it"));
        }
    }
    None
}

/// Check a message's name and text (already [`normalise`]d); the error is the reason given to
/// the visitor.
pub fn check_message(name: &str, text: &str, words: &WordList) -> Result<(), String> {
    if let Some(why) = forbidden_char(name, false) {
        return Err(format!("the name: {why}"));
    }
    if let Some(why) = forbidden_char(text, true) {
        return Err(format!("the message: {why}"));
    }
    let n = text.trim().chars().count();
    if n == 0 {
        return Err("the message is empty".into());
    }
    if n > MAX_MESSAGE_CHARS {
        return Err(format!("the message has {n} characters; at most {MAX_MESSAGE_CHARS} are allowed"));
    }
    if name.trim().is_empty() || name.chars().count() > crate::api::NAME_MAX_CHARS {
        return Err(format!("give a name of 1 to {} characters", crate::api::NAME_MAX_CHARS));
    }
    if words.find(text).is_some() || words.find(name).is_some() {
        return Err("the message contains words that are not allowed here".into());
    }
    Ok(())
}

/// Failed staff sign-ins (moderators', curators') per client address: 10, then one a minute.
/// Past that, every attempt from the address is refused (429) until it refills, the right token
/// or not, so that tokens cannot be guessed by trying.
#[derive(Debug)]
pub struct SignIns(std::sync::Mutex<RateLimiter>);

/// Why a sign-in was refused.
pub enum Refused {
    Wrong,
    TooMany,
}

impl Default for SignIns {
    fn default() -> SignIns {
        SignIns(std::sync::Mutex::new(RateLimiter::new(10, Duration::from_secs(60))))
    }
}

impl SignIns {
    /// Who `check` says the token is, counting a failure against `addr`.
    pub fn attempt<T>(&self, addr: &str, check: impl FnOnce() -> Option<T>) -> Result<T, Refused> {
        let mut failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if !failures.has(addr, now) {
            return Err(Refused::TooMany);
        }
        match check() {
            Some(who) => Ok(who),
            None => {
                failures.allow(addr, now);
                Err(Refused::Wrong)
            }
        }
    }
}

/// A token bucket per key: `burst` at once, refilled at `per` a token.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per: Duration,
    buckets: HashMap<String, (f64, Instant)>,
    calls: u64,
}

impl RateLimiter {
    pub fn new(burst: u32, per: Duration) -> Self {
        RateLimiter { burst: burst as f64, per, buckets: HashMap::new(), calls: 0 }
    }

    /// Take a token for `key` at `now`; false when the key has none left.
    pub fn allow(&mut self, key: &str, now: Instant) -> bool {
        // Many distinct clients must not grow the map without end.
        self.calls += 1;
        if self.calls.is_multiple_of(4096) && self.buckets.len() > 4096 {
            self.prune(now);
        }
        let (burst, per) = (self.burst, self.per.as_secs_f64());
        let entry = self.buckets.entry(key.to_string()).or_insert((burst, now));
        let refill = now.saturating_duration_since(entry.1).as_secs_f64() / per;
        entry.0 = (entry.0 + refill).min(burst);
        entry.1 = now;
        if entry.0 >= 1.0 {
            entry.0 -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether `key` has a token left at `now`, without taking it.
    pub fn has(&self, key: &str, now: Instant) -> bool {
        self.buckets.get(key).is_none_or(|(tokens, at)| {
            tokens + now.saturating_duration_since(*at).as_secs_f64() / self.per.as_secs_f64() >= 1.0
        })
    }

    /// Forget keys that are full again, so the map does not grow without end.
    pub fn prune(&mut self, now: Instant) {
        let (burst, per) = (self.burst, self.per.as_secs_f64());
        self.buckets.retain(|_, (tokens, at)| *tokens + now.saturating_duration_since(*at).as_secs_f64() / per < burst);
    }
}

/// Compare a presented bearer token with the configured one in constant time.
pub fn token_matches(presented: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    // Length is not secret; contents are compared without early exit.
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_ignores_case_spacing_and_comments() {
        let w = WordList::parse("# comment\nBadword\n\n脏话\n");
        assert_eq!(w.len(), 2);
        assert_eq!(w.find("this has a B a d W o r d in it"), Some("badword"));
        assert_eq!(w.find("有脏话"), Some("脏话"));
        assert_eq!(w.find("英雄永垂不朽"), None);
        assert!(!WordList::parse(DEFAULT_WORDS).is_empty());
    }

    #[test]
    fn control_and_reordering_characters_are_refused_and_text_is_composed() {
        let w = WordList::parse("café");
        assert!(check_message("李", "致敬\n英雄", &w).is_ok(), "line breaks are fine in a message");
        assert!(check_message("李\n", "致敬", &w).unwrap_err().contains("control character"));
        assert!(check_message("李", "a\u{7}b", &w).unwrap_err().contains("U+0007"));
        let e = check_message("李", "abc\u{202E}fed", &w).unwrap_err();
        assert!(e.contains("U+202E") && e.contains("direction"), "{e}");
        assert!(check_message("\u{2066}李", "致敬", &w).unwrap_err().contains("the name"));
        // "café" with a combining accent is the listed word: the list compares composed text.
        let decomposed = "cafe\u{301} au lait";
        assert!(check_message("李", decomposed, &w).is_err(), "decomposed, it does not slip past");
        assert!(check_message("李", &normalise(decomposed), &w).is_err(), "composed, neither");
        assert_eq!(normalise("e\u{301}"), "\u{e9}");
    }

    #[test]
    fn invisible_and_look_alike_characters_neither_stay_nor_hide_a_word() {
        let w = WordList::parse("spam\n脏话");
        // Zero-width space, soft hyphen, word joiner, byte-order mark, tag characters.
        for hidden in ["sp\u{200B}am", "sp\u{AD}am", "s\u{2060}pam", "\u{FEFF}spam", "sp\u{E0041}am", "脏\u{200D}话"]
        {
            assert!(w.find(hidden).is_some(), "{hidden:?} hides a listed word");
            assert!(!clean(hidden).chars().any(is_format), "{hidden:?} keeps a format character");
        }
        // Full-width, styled and circled letters are the same word after NFKC.
        for look_alike in ["ｓｐａｍ", "𝐬𝐩𝐚𝐦", "ⓢⓟⓐⓜ", "S\u{FE0F}PAM"] {
            assert!(w.find(look_alike).is_some(), "{look_alike:?} hides a listed word");
        }
        // What is kept loses only what shows nothing.
        assert_eq!(clean("英\u{200B}雄\u{AD}永垂不朽"), "英雄永垂不朽");
        assert_eq!(clean("cafe\u{301}"), "caf\u{e9}");
        assert_eq!(w.find("英雄永垂不朽"), None);
    }

    #[test]
    fn messages_are_checked_for_length_name_and_words() {
        let w = WordList::parse("spam");
        assert!(check_message("李", "英雄永垂不朽", &w).is_ok());
        assert!(check_message("李", &"字".repeat(300), &w).is_ok());
        assert!(check_message("李", &"字".repeat(301), &w).unwrap_err().contains("301"));
        assert!(check_message("李", "   ", &w).is_err());
        assert!(check_message("", "致敬", &w).is_err());
        assert!(check_message("李", "buy SPAM now", &w).is_err());
    }

    #[test]
    fn rate_limits_allow_a_burst_then_refill() {
        let signins = SignIns::default();
        for _ in 0..10 {
            assert!(matches!(signins.attempt("1.2.3.4", || None::<()>), Err(Refused::Wrong)));
        }
        assert!(matches!(signins.attempt("1.2.3.4", || Some(())), Err(Refused::TooMany)), "even the right token waits");
        assert!(signins.attempt("5.6.7.8", || Some(())).is_ok(), "other addresses are not held up");
        let mut r = RateLimiter::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        assert!(r.allow("a", t0) && r.allow("a", t0) && r.allow("a", t0));
        assert!(!r.allow("a", t0), "the burst is spent");
        assert!(r.allow("b", t0), "other keys have their own bucket");
        assert!(!r.allow("a", t0 + Duration::from_secs(5)));
        assert!(r.allow("a", t0 + Duration::from_secs(11)), "one token back after 10 s");
        r.prune(t0 + Duration::from_secs(1000));
        assert!(r.buckets.is_empty());
        // A flood of distinct keys is pruned as it goes.
        let mut r = RateLimiter::new(3, Duration::from_millis(1));
        for i in 0..20_000 {
            r.allow(&format!("k{i}"), t0 + Duration::from_millis(i));
        }
        assert!(r.buckets.len() < 9000, "{}", r.buckets.len());
    }

    #[test]
    fn moderators_have_named_tokens() {
        let m = Moderators::parse("# the hall's staff\nalice: token-aaaa, bob:token-bbbb").unwrap();
        assert_eq!(m.who("token-aaaa"), Some("alice"));
        assert_eq!(m.who("token-bbbb"), Some("bob"));
        assert_eq!(m.who("token-cccc"), None);
        assert_eq!(Moderators::parse("s3cret-token").unwrap().who("s3cret-token"), Some("moderator"));
        assert!(Moderators::parse("").unwrap().is_empty());
        assert!(
            Moderators::parse("abc").unwrap_err().contains("at least 8"),
            "a bare token is held to the same length"
        );
        assert!(Moderators::parse_for("curator", "abc").unwrap_err().contains("curator's token"));
        assert!(Moderators::parse("alice:short").unwrap_err().contains("8 characters"));
        assert!(Moderators::parse("alice:token-aaaa,alice:token-bbbb").unwrap_err().contains("twice"));
        assert!(Moderators::parse("alice:token-aaaa,nonameatall").unwrap_err().contains("name:token"));
        let w = WordList::parse("spam\nscam");
        assert_eq!(w.all("SPAM and s c a m"), vec!["spam", "scam"]);
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-tokem", "s3cret-token"));
        assert!(!token_matches("s3cret", "s3cret-token"));
        assert!(!token_matches("", "x"));
    }
}
