//! The hall in words and real controls, for screen readers and the keyboard.
//!
//! The viewer draws everything on a canvas, which a screen reader cannot read. [`outline`] says
//! what the canvas shows at a moment (the site, the scene and what it looks like, its hotspots
//! in reading order, each saying where it leads, the scene strip, the site list, the narration,
//! an open board, the memorial), so that the browser can mirror it with HTML controls and the
//! native window with AccessKit nodes. What a visitor does with those controls comes back as an
//! [`Action`]. No Bevy here: this is unit-tested in milliseconds.

use serde::{Deserialize, Serialize};

use crate::tour::{HotspotKind, Lang, MemorialTarget, Tour};

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
    /// Whether the scene has narration, and whether it plays.
    pub narration: Option<bool>,
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

/// The fixed words of the layer's controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Words {
    pub hotspots: &'static str,
    pub scenes: &'static str,
    pub sites: &'static str,
    pub play: &'static str,
    pub pause: &'static str,
    pub close: &'static str,
    pub flower: &'static str,
    pub candle: &'static str,
    pub bow: &'static str,
    pub name: &'static str,
    pub message: &'static str,
    pub send: &'static str,
    pub narration: &'static str,
    pub skip: &'static str,
    pub settings: &'static str,
    pub reduced_motion: &'static str,
    pub ui_scale: &'static str,
    pub subtitle_scale: &'static str,
    pub high_contrast: &'static str,
    pub keys: &'static str,
    pub vr: &'static str,
    pub search: &'static str,
    pub live: &'static str,
    pub hand: &'static str,
    pub lower_hand: &'static str,
    pub follow: &'static str,
    pub gather: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::Zh => Words {
            hotspots: "本场景的热点",
            scenes: "本馆的场景",
            sites: "全部展馆",
            play: "播放解说",
            pause: "暂停解说",
            close: "关闭",
            flower: "献花",
            candle: "点烛",
            bow: "鞠躬",
            name: "您的名字",
            message: "留言",
            send: "发送留言",
            narration: "解说",
            skip: "跳到解说",
            settings: "显示设置",
            reduced_motion: "减少动态效果",
            ui_scale: "界面大小",
            subtitle_scale: "字幕大小",
            high_contrast: "高对比度",
            keys: "键盘按键",
            vr: "VR 眼镜模式",
            search: "搜索展馆",
            live: "课堂",
            hand: "举手",
            lower_hand: "放下手",
            follow: "跟随老师",
            gather: "集合全班",
        },
        Lang::En => Words {
            hotspots: "Hotspots in this scene",
            scenes: "Scenes of this site",
            sites: "All sites",
            play: "Play the narration",
            pause: "Pause the narration",
            close: "Close",
            flower: "Lay a flower",
            candle: "Light a candle",
            bow: "Bow",
            name: "Your name",
            message: "Message",
            send: "Send the message",
            narration: "Narration",
            skip: "Skip to the narration",
            settings: "Display settings",
            reduced_motion: "Reduce motion",
            ui_scale: "Interface size",
            subtitle_scale: "Subtitle size",
            high_contrast: "High contrast",
            keys: "Keyboard keys",
            vr: "VR glasses mode",
            search: "Search the sites",
            live: "Live class",
            hand: "Raise your hand",
            lower_hand: "Lower your hand",
            follow: "Follow the teacher",
            gather: "Gather the class",
        },
    }
}

/// The keyboard's keys and what they do, for the help panel (`?`) in both viewers.
pub fn keys(lang: Lang, browser: bool) -> Vec<(&'static str, &'static str)> {
    let zh = lang == Lang::Zh;
    let k = |key: &'static str, z: &'static str, e: &'static str| (key, if zh { z } else { e });
    let mut v = vec![
        k("?", "显示或关闭本帮助", "Show or close this help"),
        if browser {
            k(
                "Tab",
                "进入文字版展厅（热点、解说、场景、展馆、纪念、设置）",
                "Enter the text version of the hall (hotspots, narration, scenes, sites, memorial, settings)",
            )
        } else {
            k("Tab / Shift+Tab", "下一个 / 上一个热点或按钮", "Next / previous hotspot or button")
        },
        k("Enter", "打开选中的热点或按下选中的按钮", "Open the chosen hotspot, press the chosen button"),
        k("Esc", "关闭面板", "Close the panel"),
        k("N", "跳到解说", "Skip to the narration"),
        k("Space", "播放 / 暂停解说", "Play / pause the narration"),
        k("S", "字幕语言", "Subtitle language"),
        k("G", "继续导览", "Resume the guided tour"),
        k("Page Up / Page Down", "上一个 / 下一个场景", "Previous / next scene"),
        k("1 2 3", "纪念处：献花、点烛、鞠躬", "At a memorial: lay a flower, light a candle, bow"),
        k("← → ↑ ↓", "环顾四周", "Look around"),
        k("+ −", "放大 / 缩小", "Zoom in / out"),
        k("R", "自动旋转开关", "Autorotation on / off"),
        k("M", "城市地图", "The city map"),
        k("L", "切换语言", "Switch the language"),
        k("V", "VR 眼镜模式", "VR glasses mode"),
        k("H", "举手（课堂学生）", "Raise your hand (a class's student)"),
        k("[ ]", "界面缩小 / 放大", "Interface smaller / larger"),
        k("F7", "减少动态效果", "Reduce motion"),
        k("F8", "高对比度", "High contrast"),
        k("F9", "字幕大小", "Subtitle size"),
    ];
    if browser {
        v.retain(|(key, _)| *key != "Tab / Shift+Tab");
    }
    v
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
    /// `Some(playing)` when the scene has narration.
    pub narration: Option<bool>,
    /// The index of the hotspot whose board is open.
    pub board: Option<usize>,
    pub comfort: Comfort,
    pub live: Option<LiveItem>,
    pub map: bool,
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
        Some(Board { index, title, body, memorial })
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
        narration: st.narration,
        board,
        comfort: st.comfort,
        keys: keys(lang, true),
        live: st.live.clone(),
        map: st.map,
        words: words(lang),
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

/// How a visitor wants the hall: less motion, a larger interface and subtitles, more contrast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Comfort {
    /// No autorotation, no inertia after a drag, cuts instead of fades and smooth turns.
    pub reduced_motion: bool,
    /// The interface's size, in percent (100 to 200).
    pub ui_scale: u16,
    /// The subtitles' size, in percent (100 to 200).
    pub subtitle_scale: u16,
    /// Opaque panels and strong borders instead of see-through ones.
    pub high_contrast: bool,
}

impl Default for Comfort {
    fn default() -> Self {
        Comfort { reduced_motion: false, ui_scale: 100, subtitle_scale: 100, high_contrast: false }
    }
}

/// Comfort settings as one source has them (a link, the visitor's last choice, the system's
/// preference): each may be unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComfortChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced_motion: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_scale: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle_scale: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_contrast: Option<bool>,
}

impl ComfortChoice {
    pub fn is_empty(&self) -> bool {
        *self == ComfortChoice::default()
    }

    /// These choices, and `under`'s where these have none.
    pub fn over(self, under: ComfortChoice) -> ComfortChoice {
        ComfortChoice {
            reduced_motion: self.reduced_motion.or(under.reduced_motion),
            ui_scale: self.ui_scale.or(under.ui_scale),
            subtitle_scale: self.subtitle_scale.or(under.subtitle_scale),
            high_contrast: self.high_contrast.or(under.high_contrast),
        }
    }

    /// The settings these choices make, sizes kept within 100 to 200 %.
    pub fn resolve(self) -> Comfort {
        let d = Comfort::default();
        let pct = |v: Option<u16>, d: u16| v.unwrap_or(d).clamp(100, 200);
        Comfort {
            reduced_motion: self.reduced_motion.unwrap_or(d.reduced_motion),
            ui_scale: pct(self.ui_scale, d.ui_scale),
            subtitle_scale: pct(self.subtitle_scale, d.subtitle_scale),
            high_contrast: self.high_contrast.unwrap_or(d.high_contrast),
        }
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
    /// Play or pause the narration.
    Narration,
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
        Some("narration") => Ok(Action::Narration),
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
mod tests {
    use super::*;

    fn tour() -> Tour {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
        crate::tour::load(&dir).tour.expect("the good fixture loads")
    }

    fn state(scene: &str, lang: Lang) -> State<'_> {
        State {
            site: "alpha",
            scene,
            lang,
            narration: Some(false),
            board: None,
            comfort: Comfort::default(),
            live: None,
            map: false,
        }
    }

    #[test]
    fn hotspots_are_read_left_to_right_and_say_where_they_lead() {
        let t = tour();
        let o = outline(&t, &state("hall", Lang::En)).expect("outline");
        let rel: Vec<f64> = o
            .hotspots
            .iter()
            .map(|h| {
                let sc = t.site("alpha").and_then(|s| s.scene("hall")).expect("hall");
                (sc.hotspots[h.index].yaw - sc.view.yaw + 540.0).rem_euclid(360.0) - 180.0
            })
            .collect();
        assert!(rel.windows(2).all(|w| w[0] <= w[1]), "left to right: {rel:?}");
        let go = o.hotspots.iter().find(|h| h.kind == "go").expect("a Go hotspot");
        assert!(go.label.starts_with("Go to: "), "{}", go.label);
        let to_beta = o.hotspots.iter().find(|h| h.label.contains("Beta")).expect("the way to beta");
        assert_eq!(to_beta.label, "Go to: Beta Square · Square", "another site's scene is named with its site");
        assert_eq!(o.scenes.iter().filter(|s| s.current).count(), 1);
        assert_eq!(o.sites.len(), 2);
        assert_eq!(o.description, "A bright hall with boards on both walls.");
        assert!(arrival(&o).starts_with("Alpha Hall, Hall. A bright hall"), "{}", arrival(&o));
    }

    #[test]
    fn chinese_labels_and_an_open_memorial_board() {
        let t = tour();
        let sc = t.site("alpha").and_then(|s| s.scene("hall")).expect("hall");
        let m = sc.hotspots.iter().position(|h| matches!(h.kind, HotspotKind::Memorial(_))).expect("memorial");
        let o = outline(&t, &State { board: Some(m), ..state("hall", Lang::Zh) }).expect("outline");
        let item = o.hotspots.iter().find(|h| h.index == m).expect("listed");
        assert!(item.label.starts_with("纪念："), "{}", item.label);
        let board = o.board.expect("the board is open");
        assert!(board.memorial);
        assert_eq!(o.words.flower, "献花");
    }

    #[test]
    fn directions_from_the_first_view() {
        assert_eq!(direction(10.0, Lang::En), "ahead");
        assert_eq!(direction(90.0, Lang::En), "to the right");
        assert_eq!(direction(-90.0, Lang::Zh), "左侧");
        assert_eq!(direction(190.0, Lang::En), "behind");
        assert_eq!(direction(-200.0, Lang::En), "behind");
    }

    #[test]
    fn actions_from_the_page() {
        assert_eq!(parse_action(r#"{"do":"hotspot","index":2}"#), Ok(Action::Hotspot(2)));
        assert_eq!(parse_action(r#"{"do":"scene","id":"hall"}"#), Ok(Action::Scene("hall".into())));
        assert_eq!(
            parse_action(r#"{"do":"offer","kind":"flower"}"#),
            Ok(Action::Offer(crate::api::OfferingKind::Flower))
        );
        assert_eq!(
            parse_action(r#"{"do":"message","name":"Li","text":"永垂不朽"}"#),
            Ok(Action::Message { name: "Li".into(), text: "永垂不朽".into() })
        );
        assert!(parse_action(r#"{"do":"hotspot"}"#).is_err());
        assert!(parse_action("nonsense").is_err());
    }

    #[test]
    fn comfort_choices_layer_and_stay_in_range() {
        let link = ComfortChoice { ui_scale: Some(150), ..Default::default() };
        let remembered = ComfortChoice { ui_scale: Some(200), reduced_motion: Some(true), ..Default::default() };
        let system = ComfortChoice { reduced_motion: Some(false), high_contrast: Some(true), ..Default::default() };
        let c = link.over(remembered).over(system).resolve();
        assert_eq!(c, Comfort { reduced_motion: true, ui_scale: 150, subtitle_scale: 100, high_contrast: true });
        assert_eq!(ComfortChoice { ui_scale: Some(400), ..Default::default() }.resolve().ui_scale, 200);
        assert_eq!(ComfortChoice { subtitle_scale: Some(50), ..Default::default() }.resolve().subtitle_scale, 100);
        assert_eq!(
            parse_action(r#"{"do":"comfort","ui_scale":175,"reduced_motion":true}"#),
            Ok(Action::Comfort(ComfortChoice {
                ui_scale: Some(175),
                reduced_motion: Some(true),
                ..Default::default()
            }))
        );
        let back: ComfortChoice = serde_json::from_str(&serde_json::to_string(&remembered).unwrap()).unwrap();
        assert_eq!(back, remembered);
    }
}
