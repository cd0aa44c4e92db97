//! The hall in words and real controls, for screen readers and the keyboard.
//!
//! The viewer draws everything on a canvas, which a screen reader cannot read. [`outline`] says
//! what the canvas shows at a moment (the site, the scene and what it looks like, its hotspots
//! in reading order, each saying where it leads, the scene strip, the site list, the narration,
//! an open board, the memorial), so that the browser can mirror it with HTML controls and the
//! native window with AccessKit nodes. What a visitor does with those controls comes back as an
//! [`Action`]. No Bevy here: this is unit-tested in milliseconds.

use serde::Serialize;

use crate::tour::{HotspotKind, Lang, MemorialTarget, Tour};

mod comfort;
mod narration;
mod words;

pub use comfort::{Comfort, ComfortChoice};
pub use narration::{Line, NarrationDo, NarrationItem, NarrationState, STEP, change, landed};
pub use words::{Words, keys};

/// One hotspot of the current scene, as a control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotspotItem {
    /// Its index in the scene's `hotspots` (what [`Action::Hotspot`] names).
    pub index: usize,
    pub id: String,
    /// `go`, `info`, `memorial` or `link`.
    pub kind: &'static str,
    /// The accessible name: what it does and where it leads ("Go to: Exhibition hall").
    pub label: String,
    /// What is there, from the scene file, and where in the panorama ("to the right").
    pub description: String,
}

/// A scene of the strip or a site of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub current: bool,
}

/// A live class, as the layer's controls need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveItem {
    pub teacher: bool,
    pub code: String,
    /// A student's raised hand.
    pub hand: bool,
    /// A student follows the teacher's view (rather than looking freely).
    pub following: bool,
}

/// An open board (an Info, Memorial or Link hotspot), in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    pub index: usize,
    pub title: String,
    pub body: String,
    /// The memorial's target, when the board is a memorial: offerings and messages are allowed.
    pub memorial: bool,
    /// The message form's limits and where the visitor's last message is (memorials only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<MessageForm>,
}

/// A memorial's message form: its limits, and the answer to the last message sent from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageForm {
    pub name_max: usize,
    pub text_max: usize,
    /// "", "sending", "kept" (waiting on this device for the server), "accepted" or "refused".
    pub status: &'static str,
    /// What the visitor is told about it (the thanks, or why it was refused).
    pub answer: String,
    /// Answers so far: when it grows with "accepted", the form's text has been taken.
    pub answers: u64,
}

/// What the screen shows, for assistive technology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outline {
    pub lang: &'static str,
    pub tour: String,
    pub site: Choice,
    pub scene: Choice,
    /// What the panorama shows; empty when the scene file has no description.
    pub description: String,
    /// Left to right as the visitor faces the scene's first view.
    pub hotspots: Vec<HotspotItem>,
    pub scenes: Vec<Choice>,
    pub sites: Vec<Choice>,
    /// The narration's controls, when the scene has narration.
    pub narration: Option<NarrationItem>,
    pub board: Option<Board>,
    /// The comfort settings in force, for the layer's settings controls.
    pub comfort: Comfort,
    /// The keys, for the layer's help.
    pub keys: Vec<(&'static str, &'static str)>,
    /// The live class this visitor is in, if any.
    pub live: Option<LiveItem>,
    /// The city map covers the scene (its sites are the list above).
    pub map: bool,
    /// Labels of the controls, in the visitor's language.
    pub words: Words,
}

/// Where a yaw is from the scene's first view, in words.
pub fn direction(yaw: f64, lang: Lang) -> &'static str {
    let y = (yaw + 540.0).rem_euclid(360.0) - 180.0;
    let (zh, en) = match y.abs() {
        a if a <= 30.0 => ("正前方", "ahead"),
        a if a >= 150.0 => ("身后", "behind"),
        _ if y > 0.0 => ("右侧", "to the right"),
        _ => ("左侧", "to the left"),
    };
    if lang == Lang::Zh { zh } else { en }
}

/// The state the outline is made from (the viewer's resources, as plain values).
pub struct State<'a> {
    pub site: &'a str,
    pub scene: &'a str,
    pub lang: Lang,
    /// The narration, when the scene has one.
    pub narration: Option<NarrationState<'a>>,
    /// The index of the hotspot whose board is open.
    pub board: Option<usize>,
    pub comfort: Comfort,
    pub live: Option<LiveItem>,
    pub map: bool,
    /// The memorial's message form, as the viewer has it.
    pub form: Option<MessageForm>,
}

/// What the screen shows, or `None` when the site or scene is not in the tour.
pub fn outline(tour: &Tour, st: &State) -> Option<Outline> {
    let lang = st.lang;
    let site = tour.site(st.site)?;
    let scene = site.scene(st.scene)?;
    let zh = lang == Lang::Zh;
    let scene_name = |site_id: &str, scene_id: &str| -> String {
        tour.site(site_id)
            .and_then(|s| s.scene(scene_id).map(|sc| (s, sc)))
            .map(|(s, sc)| {
                if s.id == site.id {
                    sc.name.get(lang).to_string()
                } else {
                    format!("{} · {}", s.name.get(lang), sc.name.get(lang))
                }
            })
            .unwrap_or_else(|| scene_id.to_string())
    };
    let mut hotspots: Vec<HotspotItem> = scene
        .hotspots
        .iter()
        .enumerate()
        .map(|(index, h)| {
            let (kind, label) = match &h.kind {
                HotspotKind::Go { scene: to, site: to_site, .. } => {
                    let name = scene_name(to_site.as_deref().unwrap_or(&site.id), to);
                    ("go", if zh { format!("前往：{name}") } else { format!("Go to: {name}") })
                }
                HotspotKind::Info { title, .. } => {
                    ("info", if zh { format!("展板：{}", title.zh) } else { format!("Board: {}", title.en) })
                }
                HotspotKind::Memorial(target) => {
                    let whom = match target {
                        MemorialTarget::Site => site.name.get(lang).to_string(),
                        MemorialTarget::Person(p) => {
                            site.person(p).map(|p| p.name.get(lang).to_string()).unwrap_or_else(|| p.clone())
                        }
                    };
                    (
                        "memorial",
                        if zh {
                            format!("纪念：{whom}，献花留言")
                        } else {
                            format!("Memorial: {whom}; lay a flower, leave a message")
                        },
                    )
                }
                HotspotKind::Link { title, .. } => {
                    ("link", if zh { format!("链接：{}", title.zh) } else { format!("Link: {}", title.en) })
                }
            };
            let place = direction(h.yaw - scene.view.yaw, lang);
            let description = match &h.description {
                Some(d) if zh => format!("{}，在{place}", d.zh),
                Some(d) => format!("{}, {place}", d.en),
                None if zh => format!("在{place}"),
                None => place.to_string(),
            };
            HotspotItem { index, id: h.id.clone(), kind, label, description }
        })
        .collect();
    // Reading order: left to right from the first view.
    let rel = |i: usize| (scene.hotspots[i].yaw - scene.view.yaw + 540.0).rem_euclid(360.0) - 180.0;
    hotspots.sort_by(|a, b| rel(a.index).total_cmp(&rel(b.index)));
    let board = st.board.and_then(|index| {
        let h = scene.hotspots.get(index)?;
        let (title, body, memorial) = match &h.kind {
            HotspotKind::Info { title, body, .. } => (title.get(lang).to_string(), body.get(lang).to_string(), false),
            HotspotKind::Link { title, url } => (title.get(lang).to_string(), url.clone(), false),
            HotspotKind::Memorial(MemorialTarget::Person(p)) => {
                let person = site.person(p)?;
                let body = format!("{} {}", person.dates.get(lang), person.bio.get(lang));
                (person.name.get(lang).to_string(), body, true)
            }
            HotspotKind::Memorial(MemorialTarget::Site) => {
                (site.name.get(lang).to_string(), site.summary.get(lang).to_string(), true)
            }
            HotspotKind::Go { .. } => return None,
        };
        let form = if memorial { st.form.clone() } else { None };
        Some(Board { index, title, body, memorial, form })
    });
    Some(Outline {
        lang: if zh { "zh" } else { "en" },
        tour: tour.title.get(lang).to_string(),
        site: Choice { id: site.id.clone(), name: site.name.get(lang).to_string(), current: true },
        scene: Choice { id: scene.id.clone(), name: scene.name.get(lang).to_string(), current: true },
        description: scene.description.as_ref().map(|d| d.get(lang).to_string()).unwrap_or_default(),
        hotspots,
        scenes: site
            .scenes
            .iter()
            .map(|s| Choice { id: s.id.clone(), name: s.name.get(lang).to_string(), current: s.id == scene.id })
            .collect(),
        sites: tour
            .sites
            .iter()
            .map(|s| Choice { id: s.id.clone(), name: s.name.get(lang).to_string(), current: s.id == site.id })
            .collect(),
        narration: st.narration.as_ref().map(|n| narration::item(n, lang)),
        board,
        comfort: st.comfort,
        keys: keys(lang, true),
        live: st.live.clone(),
        map: st.map,
        words: words::words(lang),
    })
}

/// What is said when a scene is entered: its name, then what it looks like.
pub fn arrival(o: &Outline) -> String {
    let n = o.hotspots.len();
    match (o.lang, o.description.is_empty()) {
        ("zh", true) => format!("{}，{}。{n}个热点。", o.site.name, o.scene.name),
        ("zh", false) => format!("{}，{}。{} {n}个热点。", o.site.name, o.scene.name, o.description),
        (_, true) => format!("{}, {}. {n} hotspots.", o.site.name, o.scene.name),
        (_, false) => format!("{}, {}. {} {n} hotspots.", o.site.name, o.scene.name, o.description),
    }
}

/// What a visitor did with the layer's controls.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Activate hotspot `i` of the current scene (walk, open its board).
    Hotspot(usize),
    /// Go to a scene of the current site.
    Scene(String),
    /// Go to a site's first scene.
    Site(String),
    /// A control of the narration bar: play, seek, speed, volume, subtitles, transcript.
    Narration(NarrationDo),
    /// Close the open board.
    Close,
    /// Lay an offering at the open memorial: `flower`, `candle` or `bow`.
    Offer(crate::api::OfferingKind),
    /// Leave a message at the open memorial.
    Message { name: String, text: String },
    /// Change comfort settings (the fields given).
    Comfort(ComfortChoice),
    /// Enter or leave the VR glasses mode.
    Vr,
    /// In a live class: `hand` (raise or lower it), `follow` (the teacher again), `gather`
    /// (the teacher calls the class to their view).
    Live(String),
}

/// An action as the page sends it: JSON such as `{"do":"hotspot","index":2}`.
pub fn parse_action(json: &str) -> Result<Action, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    match v.get("do").and_then(|d| d.as_str()) {
        Some("hotspot") => v
            .get("index")
            .and_then(|i| i.as_u64())
            .map(|i| Action::Hotspot(i as usize))
            .ok_or_else(|| "`hotspot` needs an `index`".into()),
        Some("scene") => s("id").map(Action::Scene).ok_or_else(|| "`scene` needs an `id`".into()),
        Some("site") => s("id").map(Action::Site).ok_or_else(|| "`site` needs an `id`".into()),
        Some("narration") => {
            NarrationDo::parse(s("what").as_deref(), v.get("at").and_then(|x| x.as_f64())).map(Action::Narration)
        }
        Some("close") => Ok(Action::Close),
        Some("offer") => match s("kind").as_deref() {
            Some("flower") => Ok(Action::Offer(crate::api::OfferingKind::Flower)),
            Some("candle") => Ok(Action::Offer(crate::api::OfferingKind::Candle)),
            Some("bow") => Ok(Action::Offer(crate::api::OfferingKind::Bow)),
            other => Err(format!("unknown offering {other:?}")),
        },
        Some("message") => {
            Ok(Action::Message { name: s("name").unwrap_or_default(), text: s("text").unwrap_or_default() })
        }
        Some("vr") => Ok(Action::Vr),
        Some("live") => match s("what").as_deref() {
            Some(w @ ("hand" | "follow" | "gather")) => Ok(Action::Live(w.to_string())),
            other => Err(format!("unknown live action {other:?}")),
        },
        Some("comfort") => {
            let pct = |k: &str| v.get(k).and_then(|x| x.as_u64()).map(|p| p.clamp(100, 200) as u16);
            let flag = |k: &str| v.get(k).and_then(|x| x.as_bool());
            Ok(Action::Comfort(ComfortChoice {
                reduced_motion: flag("reduced_motion"),
                ui_scale: pct("ui_scale"),
                subtitle_scale: pct("subtitle_scale"),
                high_contrast: flag("high_contrast"),
            }))
        }
        other => Err(format!("unknown action {other:?}")),
    }
}

#[cfg(test)]
mod tests;
