//! The memorial API's shared words, used by the server and by the viewer that talks to it, so
//! the two cannot drift apart. No Bevy, no tokio.

use serde::{Deserialize, Serialize};

/// Who an offering or message is for: `{"site": ID}` or `{"person": ID}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Target {
    Site(String),
    Person(String),
}

impl Target {
    /// `site` or `person`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Site(_) => "site",
            Target::Person(_) => "person",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Target::Site(id) | Target::Person(id) => id,
        }
    }

    /// `site=ID` or `person=ID`, for the query string of the counts and messages endpoints.
    pub fn query(&self) -> String {
        format!("{}={}", self.kind(), self.id())
    }
}

/// 献花, 点烛, 鞠躬.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfferingKind {
    Flower,
    Candle,
    Bow,
}

impl OfferingKind {
    pub const ALL: [OfferingKind; 3] = [OfferingKind::Flower, OfferingKind::Candle, OfferingKind::Bow];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferingKind::Flower => "flower",
            OfferingKind::Candle => "candle",
            OfferingKind::Bow => "bow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_kinds_are_written_as_the_api_wants() {
        assert_eq!(serde_json::to_value(Target::Site("a".into())).expect("json"), serde_json::json!({"site": "a"}));
        assert_eq!(Target::Person("x".into()).query(), "person=x");
        for k in OfferingKind::ALL {
            assert_eq!(serde_json::to_value(k).expect("json"), serde_json::json!(k.as_str()));
        }
    }
}

/// A count with its thousands grouped, as the hall shows visits (`310,000`).
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod thousands_tests {
    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(super::thousands(310_000), "310,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(super::thousands(12), "12");
        assert_eq!(super::thousands(-1000), "-1,000");
    }
}
