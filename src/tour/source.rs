//! Scene files as curators' editors save them.
//!
//! Notepad writes a byte-order mark, Windows editors end lines with CR LF, and an editor set to
//! GBK or Latin-1 writes bytes that are not UTF-8. The first two are harmless and are taken
//! away before RON sees the text (otherwise RON stops at 1:1 on the mark). The third cannot be
//! guessed right, so it is named as what it is, with the byte where it starts.

use std::path::Path;

use super::diag::Diagnostic;
use super::spans::Pos;

/// Why a scene file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// The file is not there or cannot be opened.
    Io(std::io::Error),
    /// The file is there, but is not UTF-8.
    Text(Diagnostic),
}

/// Read a scene file as text: UTF-8, without a byte-order mark, lines ending in `\n`.
pub fn read(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    text(path, &bytes).map_err(ReadError::Text)
}

/// [`read`] for tools that report one line: the reason, naming the file.
pub fn read_or_say(path: &Path) -> Result<String, String> {
    read(path).map_err(|e| match e {
        ReadError::Io(e) => format!("cannot read {}: {e}", path.display()),
        ReadError::Text(d) => d.to_string(),
    })
}

/// The text of a scene file's bytes; see [`read`].
pub fn text(path: &Path, bytes: &[u8]) -> Result<String, Diagnostic> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        // The prefix up to the bad byte is valid, so it can be counted in characters.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic::error(
            path,
            Pos { line, col },
            format!("the file is not UTF-8 text: byte {offset} (0x{:02X}) is not valid UTF-8", bytes[offset]),
        )
        .hint("save the file as UTF-8 in your editor (it was probably saved as GBK or another local encoding)")
    })?;
    Ok(if text.contains('\r') { text.replace("\r\n", "\n") } else { text.to_string() })
}

/// Where the string that runs away starts, for RON's "expected string end" which it reports
/// at the end of the file. A string in a scene file holds no line break, so the first string
/// that crosses one is the one whose closing quote is missing; failing that, the one still
/// open at the end.
pub fn unterminated_string(src: &str) -> Option<Pos> {
    let (mut line, mut col) = (1usize, 1usize);
    let mut chars = src.chars().peekable();
    // (start, crossed a line break)
    let mut open: Option<(Pos, bool)> = None;
    let mut escaped = false;
    let mut first_runaway = None;
    while let Some(c) = chars.next() {
        let here = Pos { line, col };
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
        match &mut open {
            Some((start, crossed)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    if *crossed && first_runaway.is_none() {
                        first_runaway = Some(*start);
                    }
                    open = None;
                } else if c == '\n' {
                    *crossed = true;
                }
            }
            None => match c {
                '"' => open = Some((here, false)),
                '/' if chars.peek() == Some(&'/') => {
                    // A line comment: skip to its end, which the loop then counts.
                    while chars.peek().is_some_and(|&n| n != '\n') {
                        chars.next();
                        col += 1;
                    }
                }
                _ => {}
            },
        }
    }
    first_runaway.or_else(|| open.map(|(start, _)| start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_and_windows_line_endings_are_taken_away() {
        let text = text(Path::new("a.ron"), b"\xEF\xBB\xBFSite(\r\n  id: \"a\",\r\n)\r\n").expect("text");
        assert_eq!(text, "Site(\n  id: \"a\",\n)\n");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named_with_their_offset() {
        // "标题" in GBK is B1 EA CC E2.
        let d = text(Path::new("a.ron"), b"Site(\n  t: \"\xB1\xEA\xCC\xE2\",\n)").expect_err("not UTF-8");
        assert!(d.message.contains("not UTF-8") && d.message.contains("byte 12"), "{}", d.message);
        assert_eq!((d.line, d.col), (2, 7));
        assert!(d.hint.as_deref().is_some_and(|h| h.contains("UTF-8")));
    }

    #[test]
    fn the_runaway_string_is_found_where_it_starts() {
        let src = "Site(\n  a: \"one\",\n  b: \"two,\n  c: \"three\",\n)\n";
        assert_eq!(unterminated_string(src), Some(Pos { line: 3, col: 6 }));
        let at_end = "Site(\n  a: \"one\", // a \"quoted\" comment\n  b: \"two";
        assert_eq!(unterminated_string(at_end), Some(Pos { line: 3, col: 6 }));
        assert_eq!(unterminated_string("Site(a: \"x\\\"y\")"), None);
    }
}
