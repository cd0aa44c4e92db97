//! Drafts: a site as the curators are changing it, not yet public.
//!
//! One JSON file a site under `DATA/studio/drafts/`. Each save names the revision it was made
//! from; a save from an older revision is refused with what the other curator changed, so two
//! curators never silently overwrite each other.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tour::Site;

/// A site being edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub site: Site,
    /// Counts the saves of this draft; a save must name the revision it was made from.
    pub rev: u64,
    /// A digest of the published site file the draft began from; `None` for a new site.
    pub base: Option<String>,
    /// Who saved last, and when (seconds since 1970).
    pub by: String,
    pub at: u64,
}

/// Why a save or publish was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Someone saved since: their name, time and what differs from what you sent.
    Conflict { by: String, at: u64, rev: u64, changed: Vec<String> },
    /// Anything else: the reason, for the curator.
    Bad(String),
}

/// The drafts folder.
pub struct Drafts {
    dir: PathBuf,
}

impl Drafts {
    pub fn new(dir: PathBuf) -> Drafts {
        Drafts { dir }
    }

    fn path(&self, site: &str) -> PathBuf {
        self.dir.join(format!("{site}.json"))
    }

    pub fn get(&self, site: &str) -> Result<Option<Draft>, String> {
        let p = self.path(site);
        match std::fs::read(&p) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("{} is damaged: {e}", p.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", p.display())),
        }
    }

    /// Every draft, by site id.
    pub fn all(&self) -> Result<Vec<Draft>, String> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(out) };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .collect();
        names.sort();
        for n in names {
            if let Some(d) = self.get(&n)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Save `site` as the draft, if `from` is its current revision (0 when there is no draft:
    /// the published site, or nothing for a new one). Returns the new draft.
    pub fn save(&self, site: Site, from: u64, base: Option<String>, by: &str, now: u64) -> Result<Draft, Refusal> {
        let current = self.get(&site.id).map_err(Refusal::Bad)?;
        let (rev, base) = match &current {
            Some(d) if d.rev != from => {
                return Err(Refusal::Conflict {
                    by: d.by.clone(),
                    at: d.at,
                    rev: d.rev,
                    changed: changes(&site, &d.site),
                });
            }
            Some(d) => (d.rev + 1, d.base.clone()),
            None if from != 0 => {
                return Err(Refusal::Bad(format!(
                    "the draft of `{}` you edited is gone (it was published or discarded); reload to see the site as it is now",
                    site.id
                )));
            }
            None => (1, base),
        };
        let draft = Draft { site, rev, base, by: by.to_string(), at: now };
        write_atomic(&self.path(&draft.site.id), &serde_json::to_vec_pretty(&draft).unwrap_or_default())
            .map_err(Refusal::Bad)?;
        Ok(draft)
    }

    /// Drop a draft (after it is published, or when a curator discards it).
    pub fn remove(&self, site: &str) -> Result<(), String> {
        match std::fs::remove_file(self.path(site)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove the draft of {site}: {e}")),
        }
    }
}

/// Write a file so that a reader sees the old bytes or the new ones, never part of them.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| format!("{} has no folder", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.studio-tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Make a rename in `dir` durable (best effort where folders cannot be opened).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// What differs between two versions of a site, in words a curator reads: `name`,
/// `scene hall: hotspots`, `scene hall added`.
pub fn changes(a: &Site, b: &Site) -> Vec<String> {
    let mut out = Vec::new();
    let top = |s: &Site| {
        let v = serde_json::to_value(s).unwrap_or_default();
        v.as_object().cloned().unwrap_or_default()
    };
    let (ta, tb) = (top(a), top(b));
    let mut keys: Vec<&String> = ta.keys().chain(tb.keys()).filter(|k| *k != "scenes").collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if ta.get(k) != tb.get(k) {
            out.push(k.replace('_', " "));
        }
    }
    for s in &b.scenes {
        match a.scene(&s.id) {
            None => out.push(format!("scene {} added", s.id)),
            Some(old) if old != s => {
                let (va, vb) =
                    (serde_json::to_value(old).unwrap_or_default(), serde_json::to_value(s).unwrap_or_default());
                let mut fields: Vec<String> = vb
                    .as_object()
                    .into_iter()
                    .flatten()
                    .chain(va.as_object().into_iter().flatten())
                    .filter(|(k, _)| va.get(k.as_str()) != vb.get(k.as_str()))
                    .map(|(k, _)| k.clone())
                    .collect();
                fields.sort();
                fields.dedup();
                out.push(format!("scene {}: {}", s.id, fields.join(", ")));
            }
            Some(_) => {}
        }
    }
    for s in &a.scenes {
        if b.scene(&s.id).is_none() {
            out.push(format!("scene {} removed", s.id));
        }
    }
    let order = |s: &Site| s.scenes.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    if out.is_empty() && order(a) != order(b) {
        out.push("the order of the scenes".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/aohan-museum.ron");
        crate::tour::load::parse_str(&p, &std::fs::read_to_string(&p).unwrap()).unwrap()
    }

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cloudhall-drafts-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_save_from_an_old_revision_is_a_conflict_that_says_what_changed() {
        let drafts = Drafts::new(temp("conflict"));
        let mut a = site();
        a.name.en = "A".into();
        let first = drafts.save(a.clone(), 0, Some("digest".into()), "li", 10).expect("first save");
        assert_eq!(first.rev, 1);
        let mut b = site();
        b.scenes[0].hotspots.clear();
        // Made from revision 0, like the first: refused.
        match drafts.save(b.clone(), 0, None, "wang", 11) {
            Err(Refusal::Conflict { by, rev, changed, .. }) => {
                assert_eq!((by.as_str(), rev), ("li", 1));
                assert!(changed.contains(&"name".to_string()), "{changed:?}");
                assert!(changed.contains(&"scene square: hotspots".to_string()), "{changed:?}");
            }
            other => panic!("{other:?}"),
        }
        // Made from revision 1: saved, and the base stays the first one's.
        let second = drafts.save(b, 1, None, "wang", 12).expect("second save");
        assert_eq!((second.rev, second.base.as_deref()), (2, Some("digest")));
        assert_eq!(drafts.get(&second.site.id).unwrap(), Some(second));
    }

    #[test]
    fn changes_name_scenes_added_and_removed() {
        let a = site();
        let mut b = a.clone();
        b.scenes.remove(0);
        let mut extra = a.scenes[1].clone();
        extra.id = "x".into();
        b.scenes.push(extra);
        assert_eq!(changes(&a, &b), vec!["scene x added".to_string(), "scene square removed".to_string()]);
        let mut c = a.clone();
        c.scenes.swap(0, 1);
        assert_eq!(changes(&a, &c), vec!["the order of the scenes".to_string()]);
    }
}
