//! The studio: curators change the hall in their browser. This module is the studio's logic,
//! free of HTTP and tokio (`server::studio` answers the page with it):
//!
//! - [`drafts`]: a site as it is being edited, with revisions so no one overwrites another;
//! - [`ron_out`]: sites written back to RON, patching only what changed;
//! - [`publish`]: several files replaced as one step, versions, restore, recovery after a crash;
//! - [`fields`]: `cloudhall check`'s diagnostics led back to the field they are about;
//! - [`audio`]: narration converted to what the hall plays, its pauses timing the subtitles;
//! - [`log`]: who changed what, when.
//!
//! The tour files stay the one source of truth: a draft is checked as the files publishing would
//! write ([`crate::tour::load_overlay`]), and publishing writes them.

pub mod audio;
pub mod drafts;
pub mod fields;
pub mod log;
pub mod publish;
pub mod ron_out;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::tour::load::parse_str;
use crate::tour::{AssetCheck, Diagnostic, Overlay, Severity, Site, Tour, TourFile};
use drafts::{Draft, Drafts, Refusal};
use publish::{Change, Hall, Step, Version};

/// The studio over one tour folder and one data folder.
pub struct Studio {
    pub hall: Hall,
    pub drafts: Drafts,
    pub log: log::Log,
}

pub use crate::api::studio::{Checked, Editing, Item};

/// Why a publish did not happen.
#[derive(Debug)]
pub enum NotPublished {
    /// Another curator saved or published since.
    Conflict {
        by: String,
        at: u64,
        changed: Vec<String>,
        reason: String,
    },
    /// The check found errors; nothing was written.
    Invalid(Checked),
    Bad(String),
}

/// A digest of a file's text, to see whether it changed.
pub fn digest(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))[..16].to_string()
}

impl Studio {
    /// The studio's folder is `DATA/studio`. A publish cut short by a crash is finished or
    /// dropped here, before the tour is read; what was done is returned for the log.
    pub fn open(tour_dir: &Path, data_dir: &Path) -> Result<(Studio, Option<String>), String> {
        let studio_dir = data_dir.join("studio");
        std::fs::create_dir_all(&studio_dir).map_err(|e| format!("cannot create {}: {e}", studio_dir.display()))?;
        let hall = Hall { tour_dir: tour_dir.to_path_buf(), studio_dir: studio_dir.clone() };
        let recovered = hall.recover()?;
        let studio = Studio {
            hall,
            drafts: Drafts::new(studio_dir.join("drafts")),
            log: log::Log::new(studio_dir.join("log.jsonl")),
        };
        Ok((studio, recovered))
    }

    fn site_path(&self, id: &str) -> PathBuf {
        self.hall.tour_dir.join(format!("{id}.ron"))
    }

    /// The published site and its file's text, if the tour lists it.
    pub fn published(&self, id: &str) -> Result<Option<(Site, String)>, String> {
        let tour = self.tour_file()?;
        if !tour.sites.iter().any(|s| s == id) {
            return Ok(None);
        }
        let path = self.site_path(id);
        let text = crate::tour::source::read_or_say(&path)?;
        let site = parse_str::<Site>(&path, &text).map_err(|d| d.to_string())?;
        Ok(Some((site, text)))
    }

    fn tour_file(&self) -> Result<TourFile, String> {
        let path = self.hall.tour_dir.join("tour.ron");
        let text = crate::tour::source::read_or_say(&path)?;
        parse_str::<TourFile>(&path, &text).map_err(|d| d.to_string())
    }

    /// The site to edit: its draft, else the published site.
    pub fn editing(&self, id: &str) -> Result<Option<Editing>, String> {
        let published = self.published(id)?;
        if let Some(d) = self.drafts.get(id)? {
            return Ok(Some(Editing {
                site: d.site,
                rev: d.rev,
                draft: true,
                published: published.is_some(),
                by: Some(d.by),
                at: Some(d.at),
            }));
        }
        Ok(published.map(|(site, _)| Editing { site, rev: 0, draft: false, published: true, by: None, at: None }))
    }

    /// Hold the studio's write lock: one save, publish or restore at a time across every
    /// `cloudhall serve` sharing this data folder (each reads what the last one wrote). The
    /// lock is the operating system's on `DATA/studio/lock`, gone with the process that held it.
    pub fn writer(&self) -> Result<std::fs::File, String> {
        let path = self.hall.studio_dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.lock().map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
        Ok(file)
    }

    /// Save a draft made from revision `from`.
    pub fn save(&self, site: Site, from: u64, by: &str, now: u64) -> Result<Draft, Refusal> {
        let _lock = self.writer().map_err(Refusal::Bad)?;
        if !crate::tour::validate::is_kebab(&site.id) {
            return Err(Refusal::Bad(format!(
                "`{}` is not a site id: use lowercase letters, digits and dashes, such as `red-army-hall`",
                site.id
            )));
        }
        let base = self.published(&site.id).map_err(Refusal::Bad)?.map(|(_, text)| digest(&text));
        let draft = self.drafts.save(site, from, base, by, now)?;
        self.log.add(by, now, "saved", &draft.site.id, &format!("revision {}", draft.rev));
        Ok(draft)
    }

    /// The tour files publishing `site`'s draft would write.
    pub fn change_for(&self, draft: &Draft) -> Result<Change, String> {
        let mut change = Change::new();
        let name = format!("{}.ron", draft.site.id);
        match self.published(&draft.site.id)? {
            Some((site, text)) => {
                let patched = ron_out::patch_site(&self.site_path(&draft.site.id), &text, &site, &draft.site);
                if patched != text {
                    change.insert(name, Some(patched));
                }
            }
            None => {
                change.insert(name, Some(ron_out::site_file(&draft.site)));
                let path = self.hall.tour_dir.join("tour.ron");
                let tour = crate::tour::source::read_or_say(&path)?;
                let with = ron_out::add_site_to_tour(&tour, &draft.site.id)
                    .ok_or_else(|| "cannot follow the layout of tour.ron to add the site".to_string())?;
                change.insert("tour.ron".into(), Some(with));
            }
        }
        Ok(change)
    }

    /// `cloudhall check` on the tour with the draft of `site` in it, each diagnostic led back to
    /// its field where it is in that site's file.
    pub fn check(&self, draft: &Draft) -> Result<Checked, String> {
        let change = self.change_for(draft)?;
        Ok(self.check_change(&change, Some(&draft.site.id)))
    }

    fn check_change(&self, change: &Change, site: Option<&str>) -> Checked {
        let overlay: Overlay = change.iter().map(|(n, t)| (self.hall.tour_dir.join(n), t.clone())).collect();
        let loaded = crate::tour::load_overlay(&self.hall.tour_dir, &overlay, AssetCheck::Headers);
        let site_file = site.map(|s| format!("{s}.ron"));
        let site_text = site_file.as_ref().and_then(|n| match change.get(n) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(self.hall.tour_dir.join(n)).ok(),
        });
        let tree = site_text.as_deref().and_then(crate::tour::spans::scan);
        let items: Vec<Item> = loaded
            .diagnostics
            .iter()
            .map(|d: &Diagnostic| {
                let file = d.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
                let field = (Some(&file) == site_file.as_ref())
                    .then(|| {
                        tree.as_ref()
                            .and_then(|t| fields::field_at(t, crate::tour::spans::Pos { line: d.line, col: d.col }))
                    })
                    .flatten();
                Item {
                    severity: d.severity,
                    file,
                    line: d.line,
                    col: d.col,
                    field,
                    message: d.message.clone(),
                    hint: d.hint.clone(),
                }
            })
            .collect();
        Checked {
            errors: items.iter().filter(|i| i.severity == Severity::Error).count(),
            warnings: items.iter().filter(|i| i.severity == Severity::Warning).count(),
            items,
        }
    }

    /// Publish the draft of `site`, made from revision `rev`: checked, then written as one step
    /// and kept as a version; the draft is then gone.
    pub fn publish(
        &self,
        site: &str,
        rev: u64,
        by: &str,
        now: u64,
        at_step: &dyn Fn(Step),
    ) -> Result<(Version, Checked), NotPublished> {
        let _lock = self.writer().map_err(NotPublished::Bad)?;
        let Some(draft) = self.drafts.get(site).map_err(NotPublished::Bad)? else {
            // Most often another curator published the same draft a moment before.
            let what = format!("published {site}");
            let versions = self.hall.versions().map_err(NotPublished::Bad)?;
            return Err(match versions.iter().rev().find(|v| v.what == what) {
                Some(v) => NotPublished::Conflict {
                    by: v.by.clone(),
                    at: v.at,
                    changed: Vec::new(),
                    reason: format!(
                        "{} already published `{site}` (version {}) while you were editing; reload to see the site as it is now",
                        v.by, v.n
                    ),
                },
                None => NotPublished::Bad(format!("there is no draft of `{site}` to publish")),
            });
        };
        if draft.rev != rev {
            return Err(NotPublished::Conflict {
                by: draft.by.clone(),
                at: draft.at,
                changed: Vec::new(),
                reason: format!(
                    "{} saved a newer draft of `{site}` (revision {}) after the one you are publishing (revision {rev}); reload it and publish again",
                    draft.by, draft.rev
                ),
            });
        }
        let published = self.published(site).map_err(NotPublished::Bad)?;
        if draft.base.as_deref() != published.as_ref().map(|(_, text)| digest(text)).as_deref() {
            let last = self.hall.versions().ok().and_then(|v| v.last().cloned());
            let changed = published.as_ref().map(|(p, _)| drafts::changes(&draft.site, p)).unwrap_or_default();
            return Err(NotPublished::Conflict {
                by: last.as_ref().map_or("someone".into(), |v| v.by.clone()),
                at: last.as_ref().map_or(0, |v| v.at),
                changed,
                reason: format!(
                    "`{site}` was published by someone else after this draft began; what they published differs from your draft in the fields listed. Reload, redo your change, and publish again"
                ),
            });
        }
        let change = self.change_for(&draft).map_err(NotPublished::Bad)?;
        let checked = self.check_change(&change, Some(site));
        if checked.errors > 0 {
            return Err(NotPublished::Invalid(checked));
        }
        let version =
            self.hall.commit(&change, by, &format!("published {site}"), now, at_step).map_err(NotPublished::Bad)?;
        self.drafts.remove(site).map_err(NotPublished::Bad)?;
        self.log.add(by, now, "published", site, &format!("version {}", version.n));
        Ok((version, checked))
    }

    /// Bring back the tour files of version `n`, as a new version.
    pub fn restore(&self, n: u64, by: &str, now: u64, at_step: &dyn Fn(Step)) -> Result<Version, NotPublished> {
        let _lock = self.writer().map_err(NotPublished::Bad)?;
        let change = self.hall.restore_change(n).map_err(NotPublished::Bad)?;
        let checked = self.check_change(&change, None);
        if checked.errors > 0 {
            return Err(NotPublished::Invalid(checked));
        }
        let version =
            self.hall.commit(&change, by, &format!("restored version {n}"), now, at_step).map_err(NotPublished::Bad)?;
        self.log.add(by, now, "restored", "", &format!("version {n}, now version {}", version.n));
        Ok(version)
    }

    /// The tour as the curators see it in the studio: the published one with every draft in it.
    pub fn preview(&self, tour: &Tour) -> Result<Tour, String> {
        let mut t = tour.clone();
        for d in self.drafts.all()? {
            match t.sites.iter_mut().find(|s| s.id == d.site.id) {
                Some(s) => *s = d.site,
                None => t.sites.push(d.site),
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests;
