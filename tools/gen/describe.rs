//! What each generated panorama shows, in words, for visitors who cannot see it: the setting
//! as `pano.rs` paints it, the title board ahead, and each board, door and memorial where its
//! hotspot is. Written from the same layout the painter uses, so the words match the pixels.

use crate::write::{SceneLayout, Target};
use crate::{MemorialContent, SceneContent, Setting, SiteContent, Text};

fn text(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text { zh: zh.into(), en: en.into() }
}

/// Where a yaw is from the scene's first view (yaw 0), in words.
fn side(yaw: f64) -> (&'static str, &'static str) {
    let y = (yaw + 540.0).rem_euclid(360.0) - 180.0;
    match y.abs() {
        a if a <= 30.0 => ("正前方", "straight ahead"),
        a if a >= 150.0 => ("身后", "behind you"),
        _ if y > 0.0 => ("右侧", "to the right"),
        _ => ("左侧", "to the left"),
    }
}

/// The setting itself, as the painter draws it.
fn setting(scene: &SceneContent, memorial: bool) -> Text {
    let (zh, en) = match scene.setting {
        Setting::Gate => (
            "正前方是一座纪念门楼，两侧围墙延伸开去，身后是成排的树木。",
            "A memorial gateway stands straight ahead, its walls running off to both sides; trees line the way behind you.",
        ),
        Setting::Square => (
            "一片开阔的广场，四周树木环绕；正前方是一座坡顶展馆，右前方旗杆上飘着一面红旗。",
            "An open square ringed by trees. Straight ahead is a hall under a pitched roof, and a red flag flies on a pole just to its right.",
        ),
        Setting::Courtyard => (
            "一座四面围合的院落，四周都是低矮的坡顶房屋。",
            "A courtyard closed in on all four sides by low buildings with pitched roofs.",
        ),
        Setting::Monument => (
            "松柏环绕的纪念广场。身后立着一座白色纪念碑，碑前是一面刻满名字的深色名录墙。",
            "A memorial square among pines. Behind you rises a white monument, with a dark wall of engraved names before it.",
        ),
        Setting::Ruins => (
            "一片遗址，低矮的夯土残墙散布四周，远处是一道长长的土垣。",
            "A ruined site: low stretches of rammed-earth wall lie all around, and a long earthen rampart runs along the distance.",
        ),
        Setting::Hall => (
            "一间明亮的展厅，石材地面中间铺着一条红地毯，墙上挂着展板。",
            "A bright exhibition hall with a stone floor, a red carpet down the middle and boards on the walls.",
        ),
        Setting::Residence => {
            ("一间旧式居室，木地板，房间不大。", "A small room of an old house, with a wooden floor.")
        }
    };
    let mut t = text(zh, en);
    if memorial && scene.setting != Setting::Monument {
        t.zh.push_str("身后有一座花圈架和一块白色牌匾，供人凭吊。");
        t.en.push_str(" Behind you stand a wreath stand and a white plaque, where visitors pay their respects.");
    }
    t
}

/// The whole scene: setting, title board, then each board and door with its place.
pub fn scene(site: &SiteContent, scene: &SceneContent, layout: &SceneLayout) -> Text {
    let mut t = setting(scene, scene.memorial.is_some());
    t.zh.push_str(&format!("正前方高处的匾额上写着“{}”和“{}”。", site.name.zh, scene.name.zh));
    t.en.push_str(&format!(" High straight ahead, a board reads “{}” and “{}”.", site.name.en, scene.name.en));
    for h in &layout.hotspots {
        let (zh, en) = side(h.yaw);
        match (&h.target, &h.label) {
            (Target::Info(i), _) => {
                let info = &scene.info[*i];
                t.zh.push_str(&format!("{zh}有一块展板：“{}”。", info.title.zh));
                t.en.push_str(&format!(" {}, a board: “{}”.", capital(en), info.title.en));
            }
            (Target::Scene { .. }, Some(label)) => {
                t.zh.push_str(&format!("{zh}有一扇门，门下的牌子写着“{}”。", label.zh));
                t.en.push_str(&format!(" {}, a door signed “{}”.", capital(en), label.en));
            }
            _ => {}
        }
    }
    t
}

/// One hotspot: what is there (where it leads is said by the viewer, from the tour).
pub fn hotspot(site: &SiteContent, scene: &SceneContent, target: &Target, label: Option<&Text>) -> Option<Text> {
    match target {
        Target::Info(i) => {
            let info = &scene.info[*i];
            Some(text(format!("一块展板，标题是“{}”", info.title.zh), format!("A board titled “{}”", info.title.en)))
        }
        Target::Scene { .. } => {
            label.map(|l| text(format!("一扇门，牌子上写着“{}”", l.zh), format!("A door signed “{}”", l.en)))
        }
        Target::Memorial(MemorialContent::Site) => Some(if scene.setting == Setting::Monument {
            text("纪念碑前的名录墙", "The wall of names before the monument")
        } else {
            text("花圈架和牌匾", "A wreath stand and a plaque")
        }),
        Target::Memorial(MemorialContent::Person(id)) => site
            .people
            .iter()
            .find(|p| &p.id == id)
            .map(|p| text(format!("{}烈士的纪念处", p.name.zh), format!("Where {} is remembered", p.name.en))),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}
