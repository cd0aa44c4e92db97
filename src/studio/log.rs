//! The studio's log: every change with the curator's name and time, one JSON line each, in
//! `DATA/studio/log.jsonl` (appended, never rewritten).

use std::io::Write;
use std::path::PathBuf;

pub use crate::api::studio::LogEntry as Entry;

pub struct Log {
    path: PathBuf,
}

impl Log {
    pub fn new(path: PathBuf) -> Log {
        Log { path }
    }

    /// Append an entry. A log that cannot be written does not stop the change (it is already
    /// kept); the failure goes to the server's own log.
    pub fn add(&self, by: &str, at: u64, action: &str, site: &str, detail: &str) {
        let e = Entry { at, by: by.into(), action: action.into(), site: site.into(), detail: detail.into() };
        let line = serde_json::to_string(&e).unwrap_or_default() + "\n";
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(err) = written {
            eprintln!("studio log {}: {err}; the entry was {}", self.path.display(), line.trim());
        }
    }

    /// The last `n` entries, newest first.
    pub fn recent(&self, n: usize) -> Vec<Entry> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        text.lines().rev().filter_map(|l| serde_json::from_str(l).ok()).take(n).collect()
    }
}
