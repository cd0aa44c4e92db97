//! Publishing: several tour files replaced as one step, each step a version that can be restored.
//!
//! A publish first writes every new file, and the version it makes, under
//! `DATA/studio/journal/`; then one rename of `journal.json` commits it; only then are the tour's
//! files replaced (each by an atomic rename). A server killed before the commit leaves the old
//! tour and a journal without `journal.json`, which the next start throws away; killed after it,
//! the next start finishes the publish from the journal. Either way visitors get the old tour or
//! the new one, never a mix.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::drafts::{sync_dir, write_atomic};

/// New texts of tour files by file name (`tour.ron`, `<site>.ron`); `None` removes the file.
pub type Change = BTreeMap<String, Option<String>>;

pub use crate::api::studio::Version;

#[derive(Serialize, Deserialize)]
struct Journal {
    version: Version,
    writes: Vec<String>,
    removes: Vec<String>,
}

/// Where a publish stands, for tests that stop the server at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every new file is in the journal, not yet committed.
    Staged,
    /// Committed; the first tour file has been replaced, the others not yet.
    FirstFileReplaced,
}

/// The tour folder and the studio's own folder beside the data.
pub struct Hall {
    pub tour_dir: PathBuf,
    pub studio_dir: PathBuf,
}

impl Hall {
    fn journal_dir(&self) -> PathBuf {
        self.studio_dir.join("journal")
    }

    fn versions_dir(&self) -> PathBuf {
        self.studio_dir.join("versions")
    }

    /// Every `.ron` file of the tour folder, by name.
    pub fn files(&self) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        let entries =
            std::fs::read_dir(&self.tour_dir).map_err(|e| format!("cannot read {}: {e}", self.tour_dir.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ron") && !name.starts_with('.') {
                let text = std::fs::read_to_string(e.path()).map_err(|err| format!("cannot read {name}: {err}"))?;
                out.insert(name, text);
            }
        }
        Ok(out)
    }

    /// The number of the newest version, cheaply (the folder names only): what a server
    /// compares to notice that another instance has published.
    pub fn latest(&self) -> Option<u64> {
        std::fs::read_dir(self.versions_dir())
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()))
            .max()
    }

    /// The versions so far, oldest first.
    pub fn versions(&self) -> Result<Vec<Version>, String> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.versions_dir()) else { return Ok(out) };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.parse::<u64>().is_err() {
                continue;
            }
            let meta = e.path().join("version.json");
            let bytes = std::fs::read(&meta).map_err(|err| format!("cannot read {}: {err}", meta.display()))?;
            out.push(serde_json::from_slice(&bytes).map_err(|err| format!("{} is damaged: {err}", meta.display()))?);
        }
        out.sort_by_key(|v: &Version| v.n);
        Ok(out)
    }

    /// The files of version `n`.
    pub fn version_files(&self, n: u64) -> Result<BTreeMap<String, String>, String> {
        let dir = self.versions_dir().join(n.to_string());
        if !dir.join("version.json").is_file() {
            return Err(format!("there is no version {n}"));
        }
        let mut out = BTreeMap::new();
        for e in std::fs::read_dir(&dir).map_err(|e| e.to_string())?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ron") {
                out.insert(name.clone(), std::fs::read_to_string(e.path()).map_err(|err| format!("{name}: {err}"))?);
            }
        }
        Ok(out)
    }

    /// Keep the tour as the studio first found it, as version 0, so even the first publish can
    /// be undone.
    fn ensure_origin(&self, now: u64) -> Result<(), String> {
        if !self.versions()?.is_empty() {
            return Ok(());
        }
        let dir = self.versions_dir().join("0");
        let tmp = self.versions_dir().join("0.pending");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        for (name, text) in self.files()? {
            write_atomic(&tmp.join(name), text.as_bytes())?;
        }
        let v = Version { n: 0, by: "-".into(), at: now, what: "the tour before the studio's first publish".into() };
        write_atomic(&tmp.join("version.json"), &serde_json::to_vec_pretty(&v).unwrap_or_default())?;
        std::fs::rename(&tmp, &dir).map_err(|e| format!("cannot keep version 0: {e}"))?;
        sync_dir(&self.versions_dir());
        Ok(())
    }

    /// Apply `change` to the tour folder as one step and keep the result as a new version.
    /// `at_step` is called at each [`Step`] (tests stop the process there).
    pub fn commit(
        &self,
        change: &Change,
        by: &str,
        what: &str,
        now: u64,
        at_step: &dyn Fn(Step),
    ) -> Result<Version, String> {
        self.recover()?;
        self.ensure_origin(now)?;
        let n = self.versions()?.last().map_or(0, |v| v.n) + 1;
        let version = Version { n, by: by.to_string(), at: now, what: what.to_string() };
        let journal = self.journal_dir();
        let files_dir = journal.join("files");
        std::fs::create_dir_all(&files_dir).map_err(|e| format!("cannot create {}: {e}", files_dir.display()))?;
        // The version: the tour's files as they will be after this publish.
        let pending = self.versions_dir().join(format!("{n}.pending"));
        let _ = std::fs::remove_dir_all(&pending);
        std::fs::create_dir_all(&pending).map_err(|e| format!("cannot create {}: {e}", pending.display()))?;
        let mut after = self.files()?;
        for (name, text) in change {
            check_name(name)?;
            match text {
                Some(t) => {
                    write_atomic(&files_dir.join(name), t.as_bytes())?;
                    after.insert(name.clone(), t.clone());
                }
                None => {
                    after.remove(name);
                }
            }
        }
        for (name, text) in &after {
            write_atomic(&pending.join(name), text.as_bytes())?;
        }
        write_atomic(&pending.join("version.json"), &serde_json::to_vec_pretty(&version).unwrap_or_default())?;
        let j = Journal {
            version: version.clone(),
            writes: change.iter().filter(|(_, t)| t.is_some()).map(|(n, _)| n.clone()).collect(),
            removes: change.iter().filter(|(_, t)| t.is_none()).map(|(n, _)| n.clone()).collect(),
        };
        at_step(Step::Staged);
        // The commit point.
        write_atomic(&journal.join("journal.json"), &serde_json::to_vec_pretty(&j).unwrap_or_default())?;
        self.apply(&j, at_step)?;
        Ok(version)
    }

    fn apply(&self, j: &Journal, at_step: &dyn Fn(Step)) -> Result<(), String> {
        let files_dir = self.journal_dir().join("files");
        for (i, name) in j.writes.iter().enumerate() {
            let text = std::fs::read(files_dir.join(name)).map_err(|e| format!("the journal lost {name}: {e}"))?;
            write_atomic(&self.tour_dir.join(name), &text)?;
            if i == 0 {
                at_step(Step::FirstFileReplaced);
            }
        }
        for name in &j.removes {
            match std::fs::remove_file(self.tour_dir.join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove {name}: {e}")),
            }
        }
        sync_dir(&self.tour_dir);
        let n = j.version.n;
        let pending = self.versions_dir().join(format!("{n}.pending"));
        if pending.is_dir() {
            std::fs::rename(&pending, self.versions_dir().join(n.to_string()))
                .map_err(|e| format!("cannot keep version {n}: {e}"))?;
            sync_dir(&self.versions_dir());
        }
        std::fs::remove_file(self.journal_dir().join("journal.json"))
            .map_err(|e| format!("cannot close the journal: {e}"))?;
        let _ = std::fs::remove_dir_all(&files_dir);
        Ok(())
    }

    /// Finish a publish that was committed but not applied, or drop one that was not committed.
    /// Returns what was done, for the log.
    pub fn recover(&self) -> Result<Option<String>, String> {
        let journal = self.journal_dir().join("journal.json");
        if let Ok(bytes) = std::fs::read(&journal) {
            let j: Journal =
                serde_json::from_slice(&bytes).map_err(|e| format!("{} is damaged: {e}", journal.display()))?;
            self.apply(&j, &|_| {})?;
            return Ok(Some(format!(
                "finished publishing version {} ({}), interrupted before",
                j.version.n, j.version.what
            )));
        }
        let mut dropped = false;
        if self.journal_dir().join("files").is_dir() {
            let _ = std::fs::remove_dir_all(self.journal_dir().join("files"));
            dropped = true;
        }
        if let Ok(entries) = std::fs::read_dir(self.versions_dir()) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().ends_with(".pending") {
                    let _ = std::fs::remove_dir_all(e.path());
                    dropped = true;
                }
            }
        }
        Ok(dropped.then(|| "dropped a publish that was interrupted before it was committed".to_string()))
    }

    /// What restoring version `n` changes in the tour folder: its files back, the files it did
    /// not have removed (they stay in the newer versions).
    pub fn restore_change(&self, n: u64) -> Result<Change, String> {
        let old = self.version_files(n)?;
        let now = self.files()?;
        let mut change = Change::new();
        for (name, text) in &old {
            if now.get(name) != Some(text) {
                change.insert(name.clone(), Some(text.clone()));
            }
        }
        for name in now.keys() {
            if !old.contains_key(name) {
                change.insert(name.clone(), None);
            }
        }
        Ok(change)
    }
}

/// Tour file names are flat `.ron` names: nothing that leaves the folder.
fn check_name(name: &str) -> Result<(), String> {
    let ok = name.ends_with(".ron")
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    if ok { Ok(()) } else { Err(format!("`{name}` is not a tour file name")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hall(tag: &str) -> Hall {
        let root = std::env::temp_dir().join(format!("cloudhall-publish-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let tour_dir = root.join("scenes");
        std::fs::create_dir_all(&tour_dir).unwrap();
        std::fs::write(tour_dir.join("tour.ron"), "old tour").unwrap();
        std::fs::write(tour_dir.join("a.ron"), "old a").unwrap();
        Hall { tour_dir, studio_dir: root.join("data/studio") }
    }

    fn change(pairs: &[(&str, Option<&str>)]) -> Change {
        pairs.iter().map(|(n, t)| (n.to_string(), t.map(str::to_string))).collect()
    }

    #[test]
    fn a_publish_is_a_version_and_an_earlier_one_comes_back() {
        let h = hall("versions");
        let v = h
            .commit(&change(&[("tour.ron", Some("new tour")), ("b.ron", Some("b"))]), "li", "published b", 5, &|_| {})
            .unwrap();
        assert_eq!(v.n, 1);
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("tour.ron")).unwrap(), "new tour");
        let versions = h.versions().unwrap();
        assert_eq!(versions.iter().map(|v| v.n).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(h.version_files(0).unwrap().len(), 2);
        let back = h.restore_change(0).unwrap();
        assert_eq!(back, change(&[("b.ron", None), ("tour.ron", Some("old tour"))]));
        h.commit(&back, "wang", "restored version 0", 6, &|_| {}).unwrap();
        assert!(!h.tour_dir.join("b.ron").exists());
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("tour.ron")).unwrap(), "old tour");
        assert_eq!(h.versions().unwrap().last().map(|v| (v.n, v.by.clone())), Some((2, "wang".to_string())));
        // Nothing of the journal is left.
        assert!(!h.studio_dir.join("journal/journal.json").exists());
        assert!(h.commit(&change(&[("../x.ron", Some("x"))]), "li", "x", 7, &|_| {}).is_err());
    }

    /// A panic at a step stands in for the process dying there (the files written so far stay).
    fn interrupted(h: &Hall, at: Step) {
        let c = change(&[("a.ron", Some("new a")), ("tour.ron", Some("new tour"))]);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            h.commit(&c, "li", "published a", 5, &|s| {
                if s == at {
                    panic!("killed");
                }
            })
        }));
        assert!(r.is_err());
    }

    #[test]
    fn killed_before_the_commit_the_tour_is_the_old_one() {
        let h = hall("before");
        interrupted(&h, Step::Staged);
        assert!(h.recover().unwrap().is_some());
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("a.ron")).unwrap(), "old a");
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("tour.ron")).unwrap(), "old tour");
        assert_eq!(h.versions().unwrap().len(), 1);
    }

    #[test]
    fn killed_after_the_commit_the_next_start_finishes_the_publish() {
        let h = hall("after");
        interrupted(&h, Step::FirstFileReplaced);
        // Half applied: a mix, until recovery.
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("a.ron")).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("tour.ron")).unwrap(), "old tour");
        assert!(h.recover().unwrap().is_some_and(|m| m.contains("finished")));
        assert_eq!(std::fs::read_to_string(h.tour_dir.join("tour.ron")).unwrap(), "new tour");
        assert_eq!(h.versions().unwrap().last().map(|v| v.n), Some(1));
        assert_eq!(h.recover().unwrap(), None);
    }
}
