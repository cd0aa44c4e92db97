//! The API's shared words, used by the server and by the clients that talk to it (the viewer,
//! the studio's tests), so the two cannot drift apart. No Bevy, no tokio.

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

/// The curators' studio (`/studio`): paths, and the bodies its page sends and gets. Every path
/// needs a curator's bearer token.
pub mod studio {
    use serde::{Deserialize, Serialize};

    use crate::tour::{Category, MapSettings, Panorama, Severity, Site, Text};

    /// `GET`: who the token names, and the key of their preview.
    pub const ME: &str = "/api/v1/studio/me";
    /// `GET`: the published sites and the drafts. `POST` [`NewSite`]: a new site, as a draft.
    pub const SITES: &str = "/api/v1/studio/sites";
    /// `GET`, `PUT` [`SaveDraft`] `/api/v1/studio/sites/{id}`; `POST .../publish` [`Publish`];
    /// `DELETE .../draft?rev=N`.
    pub fn site(id: &str) -> String {
        format!("{SITES}/{id}")
    }
    /// `GET`: the versions; `POST /api/v1/studio/versions/{n}/restore`.
    pub const VERSIONS: &str = "/api/v1/studio/versions";
    /// `GET`: the last changes, who made them and when.
    pub const LOG: &str = "/api/v1/studio/log";
    /// `POST` the image's bytes `?site=&scene=&name=`: a [`Job`] that tiles it.
    pub const PANORAMA: &str = "/api/v1/studio/panorama";
    /// `GET /api/v1/studio/jobs/{id}`: a [`Job`].
    pub const JOBS: &str = "/api/v1/studio/jobs";
    /// `POST` audio bytes `?site=&scene=`: an [`Audio`].
    pub const AUDIO: &str = "/api/v1/studio/audio";
    /// `POST` [`Timing`]: `(start, end)` for each line.
    pub const TIMING: &str = "/api/v1/studio/timing";
    /// `POST` a plan image's bytes `?site=`: a [`Plan`].
    pub const PLAN: &str = "/api/v1/studio/plan";

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Me {
        pub name: String,
        /// The studio's preview of the drafts is at `/studio/view/{preview}/`.
        pub preview: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NewSite {
        pub site: Site,
    }

    /// A draft, made from revision `rev` (0: from the published site).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SaveDraft {
        pub rev: u64,
        pub site: Site,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Publish {
        pub rev: u64,
    }

    /// A refusal because someone else changed the same thing first (HTTP 409).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Conflict {
        pub error: String,
        pub by: String,
        pub at: u64,
        /// What differs, in words (`name`, `scene hall: hotspots`).
        pub changed: Vec<String>,
        /// The draft's revision now, to reload.
        pub rev: Option<u64>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum JobState {
        Running,
        Done,
        Failed,
    }

    /// An uploaded panorama being tiled.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Job {
        pub id: String,
        pub state: JobState,
        /// Tiles written, of `total`.
        pub done: u64,
        pub total: u64,
        pub error: Option<String>,
        /// The finished pyramid, for the scene's `panorama`.
        pub panorama: Option<Panorama>,
    }

    /// Narration converted to what the hall plays.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Audio {
        /// The asset path, for the scene's narration.
        pub audio: String,
        pub duration: f64,
        /// Stretches of sound between pauses, seconds.
        pub speech: Vec<(f64, f64)>,
        /// The waveform, 0..1.
        pub peaks: Vec<f32>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Timing {
        pub lines: usize,
        pub speech: Vec<(f64, f64)>,
        pub duration: f64,
    }

    /// An uploaded floor plan.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Plan {
        pub image: String,
        pub width: u32,
        pub height: u32,
    }

    /// A site as the page edits it: the draft if there is one, else the published site.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Editing {
        pub site: Site,
        /// The revision a save must name (0: no draft yet).
        pub rev: u64,
        pub draft: bool,
        /// Whether the site is in the published tour.
        pub published: bool,
        pub by: Option<String>,
        pub at: Option<u64>,
    }

    /// One diagnostic as the page shows it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Item {
        pub severity: Severity,
        /// The tour file it is in (`tour.ron`, `<site>.ron`).
        pub file: String,
        pub line: usize,
        pub col: usize,
        /// The site field it is about, dotted (`scenes.0.hotspots.1.kind.scene`), where known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub field: Option<String>,
        pub message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hint: Option<String>,
    }

    /// What `cloudhall check` says of the tour with a draft in it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Checked {
        pub errors: usize,
        pub warnings: usize,
        pub items: Vec<Item>,
    }

    /// One published version of the tour files.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Version {
        pub n: u64,
        pub by: String,
        /// Seconds since 1970.
        pub at: u64,
        /// What the publish was: `published aohan-museum`, `restored version 3`.
        pub what: String,
    }

    /// One line of the studio's log: a change, who made it and when.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct LogEntry {
        /// Seconds since 1970.
        pub at: u64,
        pub by: String,
        /// `saved`, `published`, `restored`, `uploaded`, `created`.
        pub action: String,
        pub site: String,
        pub detail: String,
    }

    /// A site in the studio's list.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct SiteEntry {
        pub id: String,
        pub name: Text,
        /// Whether it is in the published tour.
        pub published: bool,
        pub draft: Option<DraftInfo>,
    }

    /// Who last saved a draft, and its revision.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct DraftInfo {
        pub rev: u64,
        pub by: String,
        pub at: u64,
    }

    /// `GET` [`SITES`]: the published sites and the drafts, and what a new site chooses from.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Sites {
        pub sites: Vec<SiteEntry>,
        pub categories: Vec<Category>,
        pub map: MapSettings,
    }

    /// `GET` [`site`]: the site to edit, with what the check says of it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct SiteAnswer {
        pub editing: Editing,
        pub check: Checked,
    }

    /// `POST` [`SITES`]: the new draft.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Created {
        pub rev: u64,
        pub site: String,
    }

    /// `PUT` [`site`]: the draft's new revision, with what the check says of it now.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Saved {
        pub rev: u64,
        pub by: String,
        pub at: u64,
        pub check: Checked,
    }

    /// A publish refused because the check finds errors (HTTP 422).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Refused {
        pub error: String,
        pub check: Checked,
    }

    /// A publish done: its version, and the warnings that remain.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Published {
        pub version: Version,
        pub warnings: Vec<Item>,
    }

    /// `GET` [`VERSIONS`].
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Versions {
        pub versions: Vec<Version>,
    }

    /// A restore done: the new version it made.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Restored {
        pub version: Version,
    }

    /// `GET` [`LOG`]: the last changes, oldest first.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Log {
        pub log: Vec<LogEntry>,
    }

    /// `POST` [`TIMING`]: `(start, end)` of each line, seconds.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Times {
        pub times: Vec<(f64, f64)>,
    }

    /// `POST` [`PANORAMA`]: the job that tiles it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct JobStarted {
        pub job: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_takes_its_own_version_or_its_deepest_folders() {
        let v: std::collections::BTreeMap<String, String> =
            [("pano/", "a"), ("pano/hall/", "b"), ("pano/hall/preview.jpg", "c"), ("plan.png", "d")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(asset_version(&v, "pano/hall/1/f0_0.jpg"), Some("b"));
        assert_eq!(asset_version(&v, "pano/hall/preview.jpg"), Some("c"));
        assert_eq!(asset_version(&v, "pano/gate/1/f0_0.jpg"), Some("a"));
        assert_eq!(asset_version(&v, "plan.png"), Some("d"));
        assert_eq!(asset_version(&v, "plan.png.bak"), None);
        assert_eq!(asset_version(&v, "other/x.jpg"), None);
    }

    #[test]
    fn targets_and_kinds_are_written_as_the_api_wants() {
        assert_eq!(serde_json::to_value(Target::Site("a".into())).expect("json"), serde_json::json!({"site": "a"}));
        assert_eq!(Target::Person("x".into()).query(), "person=x");
        for k in OfferingKind::ALL {
            assert_eq!(serde_json::to_value(k).expect("json"), serde_json::json!(k.as_str()));
        }
    }
}

/// The most characters of a memorial message, and of the name it is signed with: one limit for
/// the server, the viewer's panel and the screen readers' form.
pub const MESSAGE_MAX_CHARS: usize = 300;
pub const NAME_MAX_CHARS: usize = 40;

/// The content version of asset `rel` in the tour's `versions` (server::versions): its own, or
/// that of the deepest folder (`…/`) it is under. Viewers fetch `assets/REL?v=VERSION`, so a
/// changed file is a new URL for every cache on the way; web/loader.js finds it the same way.
pub fn asset_version<'a>(versions: &'a std::collections::BTreeMap<String, String>, rel: &str) -> Option<&'a str> {
    if let Some(v) = versions.get(rel) {
        return Some(v);
    }
    versions
        .iter()
        .filter(|(k, _)| k.ends_with('/') && rel.starts_with(k.as_str()))
        .max_by_key(|(k, _)| k.len())
        .map(|(_, v)| v.as_str())
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
