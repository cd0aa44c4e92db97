//! `cloudhall import krpano TOUR.xml`: a krpano tour's scenes, with a sphere (equirectangular)
//! image, six cube faces, or a multires cube (`<level>`s of `<cube url=...%s...%v...%h...>`).
//!
//! krpano writes degrees with `ath` (and `hlookat`) to the right and `atv` (and `vlookat`)
//! downward; its field of view is of the kind `fovtype` says (`MFOV` by default). Cube faces are
//! `l f r b u d` in `%s`; tile rows `%v` and columns `%h` count from 1; levels are listed largest
//! first. krpano matches scene names without regard to case, and so does this importer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};

use super::convert::{clamp_hfov, html_text, krpano_hfov, krpano_index, pitch_up, slug, wrap};
use super::{Imported, new_site, same};
use crate::tour::{Hotspot, HotspotKind, Limits, Panorama, Scene, TourFile, View};

/// Elements that carry behaviour cloudhall does not have: listed, not carried over.
const BEHAVIOUR: &[&str] =
    &["action", "plugin", "include", "layer", "events", "style", "contextmenu", "autorotate", "control", "display"];

/// Read a krpano tour file into a site with id `site_id`.
pub fn read(xml: &Path, site_id: &str, tour: &TourFile) -> Result<Imported, String> {
    let file = xml.display().to_string();
    let text = std::fs::read_to_string(xml).map_err(|e| format!("cannot read {file}: {e}"))?;
    let doc = Document::parse(&text).map_err(|e| format!("{file}:{}: not a krpano tour (XML): {e}", e.pos()))?;
    let line = |n: &Node| doc.text_pos_at(n.range().start).row;
    let root = doc.root_element();
    if !root.has_tag_name("krpano") {
        return Err(format!("{file}:{}: the root element is <{}>, not <krpano>", line(&root), root.tag_name().name()));
    }
    let dir = xml.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut dropped = Vec::new();
    for n in root.descendants().filter(|n| n.is_element() && BEHAVIOUR.contains(&n.tag_name().name())) {
        let name = n.attribute("name").map(|s| format!(" name=\"{s}\"")).unwrap_or_default();
        dropped.push(format!(
            "{file}:{}: <{}{name}>: krpano scripting and plugins are not carried over",
            line(&n),
            n.tag_name().name()
        ));
    }
    let scenes: Vec<Node> = root.children().filter(|n| n.has_tag_name("scene")).collect();
    if scenes.is_empty() {
        return Err(format!("{file}: no <scene> in the tour"));
    }
    // Scene names, matched as krpano matches them (without regard to case).
    let mut ids: HashMap<String, String> = HashMap::new();
    for s in &scenes {
        let name = s.attribute("name").ok_or_else(|| format!("{file}:{}: <scene> without a name", line(s)))?;
        let mut id = slug(name.strip_prefix("scene_").unwrap_or(name));
        if ids.values().any(|v| *v == id) {
            id = format!("{id}-{}", ids.len());
        }
        ids.insert(name.to_lowercase(), id);
    }
    let mut out = Vec::new();
    let mut copies = Vec::new();
    let mut images = Vec::new();
    for s in &scenes {
        let name = s.attribute("name").unwrap_or_default();
        let id = ids[&name.to_lowercase()].clone();
        let at = format!("{file}:{}: scene `{name}`", line(s));
        let prefix = format!("pano/{site_id}/{id}");
        let image = s.children().find(|n| n.has_tag_name("image")).ok_or_else(|| format!("{at}: no <image>"))?;
        let panorama = panorama(&image, &dir, &prefix, &at, &mut copies, &mut images)?;
        let view = s.children().find(|n| n.has_tag_name("view"));
        let num = |k: &str| view.and_then(|v| v.attribute(k)).and_then(|v| v.trim().parse::<f64>().ok());
        let fovtype = view.and_then(|v| v.attribute("fovtype")).unwrap_or("MFOV");
        let d = Limits::default();
        let (vmin, vmax) = (num("vlookatmin").map(pitch_up), num("vlookatmax").map(pitch_up));
        let viewset = View {
            yaw: wrap(num("hlookat").unwrap_or(0.0)),
            pitch: pitch_up(num("vlookat").unwrap_or(0.0)).clamp(-90.0, 90.0),
            hfov: clamp_hfov(krpano_hfov(num("fov").unwrap_or(90.0), fovtype)),
        };
        let limits = Limits {
            min_hfov: num("fovmin").map_or(d.min_hfov, |f| clamp_hfov(krpano_hfov(f, fovtype))),
            max_hfov: num("fovmax").map_or(d.max_hfov, |f| clamp_hfov(krpano_hfov(f, fovtype))),
            // Downward in krpano: its maximum is cloudhall's minimum.
            min_pitch: vmax.unwrap_or(d.min_pitch).max(-90.0),
            max_pitch: vmin.unwrap_or(d.max_pitch).min(90.0),
        };
        let mut hotspots = Vec::new();
        for (j, h) in s.children().filter(|n| n.has_tag_name("hotspot")).enumerate() {
            hotspot(&h, j, &ids, &format!("{file}:{}", line(&h)), &mut hotspots, &mut dropped)?;
        }
        for a in ["onstart", "onleave"] {
            if s.attribute(a).is_some_and(|v| !v.trim().is_empty()) {
                dropped.push(format!("{at}: {a}: scene scripts are not carried over"));
            }
        }
        let title = s.attribute("title").map(|t| html_text(t).0).unwrap_or_else(|| name.to_string());
        out.push(Scene {
            id,
            name: same(&title),
            panorama,
            thumbnail: None,
            description: None,
            view: viewset,
            limits,
            narration: None,
            hotspots,
        });
    }
    let title = root.attribute("title").map(|t| html_text(t).0).unwrap_or_else(|| site_id.to_string());
    Ok(Imported { site: new_site(site_id, &title, xml, tour, out), copies, images, dropped })
}

/// A krpano face letter for cloudhall's.
fn krpano_face(f: char) -> char {
    f // the letters are the same (f b u d l r); krpano lists them l f r b u d
}

fn fill(url: &str, face: char, row: u32, col: u32) -> String {
    url.replace("%s", &krpano_face(face).to_string())
        .replace("%v", &krpano_index(row).to_string())
        .replace("%h", &krpano_index(col).to_string())
        .replace("%0v", &format!("{:02}", krpano_index(row)))
        .replace("%0h", &format!("{:02}", krpano_index(col)))
}

fn existing(dir: &Path, rel: &str, at: &str) -> Result<PathBuf, String> {
    if rel.contains("://") {
        return Err(format!("{at}: `{rel}` is on the web; download it beside the tour first"));
    }
    let p = dir.join(rel);
    if p.is_file() { Ok(p) } else { Err(format!("{at}: {} is missing", p.display())) }
}

fn ext(p: &Path) -> String {
    p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_else(|| "jpg".into())
}

fn panorama(
    image: &Node,
    dir: &Path,
    prefix: &str,
    at: &str,
    copies: &mut Vec<(PathBuf, String)>,
    images: &mut Vec<(String, Vec<u8>)>,
) -> Result<Panorama, String> {
    let levels: Vec<Node> = image.children().filter(|n| n.has_tag_name("level")).collect();
    if let Some(sphere) = image.children().find(|n| n.has_tag_name("sphere")) {
        let from = existing(dir, sphere.attribute("url").unwrap_or(""), at)?;
        let rel = format!("{prefix}/panorama.{}", ext(&from));
        copies.push((from, rel.clone()));
        return Ok(Panorama::Equirect(rel));
    }
    if levels.is_empty() {
        let cube = image
            .children()
            .find(|n| n.has_tag_name("cube"))
            .ok_or_else(|| format!("{at}: <image> has no <sphere>, <cube> or <level>"))?;
        let url = cube.attribute("url").unwrap_or("");
        let mut rels = Vec::new();
        for (f, name) in "frblud".chars().zip(["front", "right", "back", "left", "up", "down"]) {
            let from = existing(dir, &url.replace("%s", &f.to_string()), at)?;
            let rel = format!("{prefix}/{name}.{}", ext(&from));
            copies.push((from, rel.clone()));
            rels.push(rel);
        }
        let [a, b, c, d, e, f]: [String; 6] = rels.try_into().map_err(|_| "six faces".to_string())?;
        return Ok(Panorama::Cube(a, b, c, d, e, f));
    }
    // Multires: the level list, smallest first, each halving up to the largest.
    let tile: u32 = image
        .attribute("tilesize")
        .and_then(|t| t.parse().ok())
        .filter(|t: &u32| *t > 0)
        .ok_or_else(|| format!("{at}: <image> has no tilesize (of more than 0 px)"))?;
    if levels.len() > 16 {
        return Err(format!("{at}: {} <level>s; at most 16 are read", levels.len()));
    }
    let mut sized: Vec<(u32, String)> = Vec::new();
    for l in &levels {
        let w: u32 = l
            .attribute("tiledimagewidth")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("{at}: <level> has no tiledimagewidth"))?;
        let url = l
            .children()
            .find(|n| n.has_tag_name("cube"))
            .and_then(|c| c.attribute("url"))
            .ok_or_else(|| format!("{at}: <level> has no <cube url>"))?;
        sized.push((w, url.to_string()));
    }
    sized.sort_by_key(|(w, _)| *w);
    // Levels above one tile a face only: smaller ones are krpano's stand-ins.
    while sized.len() > 1 && sized[1].0 <= tile {
        sized.remove(0);
    }
    let n = sized.len() as u32;
    let top = sized.last().map(|(w, _)| *w).unwrap_or(0);
    for (k, (w, _)) in sized.iter().enumerate() {
        if Some(*w) != top.checked_shr(n - 1 - k as u32) || *w == 0 {
            return Err(format!("{at}: the levels must halve ({w} px is not half the next)"));
        }
    }
    if sized[0].0 > tile {
        return Err(format!("{at}: the smallest level must fit one tile a face"));
    }
    let mut firsts = Vec::new();
    let mut tile_ext = "jpg".to_string();
    for (k, (w, url)) in sized.iter().enumerate() {
        let level = k as u32 + 1;
        let count = w.div_ceil(tile);
        for f in "fbudlr".chars() {
            for y in 0..count {
                for x in 0..count {
                    let from = existing(dir, &fill(url, f, y, x), at)?;
                    tile_ext = ext(&from);
                    if level == 1 {
                        firsts.push((f, super::open_rgb(&from)?));
                    }
                    copies.push((from, format!("{prefix}/{level}/{f}{y}_{x}.{tile_ext}")));
                }
            }
        }
    }
    images.push((format!("{prefix}/preview.jpg"), super::preview_from_faces(&firsts)?));
    Ok(Panorama::Multires {
        path: format!("{prefix}/%l/%s%y_%x.{tile_ext}"),
        tile_size: tile,
        levels: n,
        face_size: top,
        preview: format!("{prefix}/preview.jpg"),
    })
}

/// The scene a krpano action loads: `loadscene(NAME, ...)`.
fn loadscene(action: &str) -> Option<String> {
    let at = action.to_lowercase().find("loadscene(")? + "loadscene(".len();
    let arg = action[at..].split([',', ')']).next()?.trim().trim_matches(|c| c == '\'' || c == '"');
    (!arg.is_empty()).then(|| arg.to_string())
}

/// The address of `openurl('URL', ...)`.
fn openurl(action: &str) -> Option<String> {
    let at = action.to_lowercase().find("openurl(")? + "openurl(".len();
    let arg = action[at..].split([',', ')']).next()?.trim().trim_matches(|c| c == '\'' || c == '"');
    (!arg.is_empty()).then(|| arg.to_string())
}

fn hotspot(
    h: &Node,
    j: usize,
    ids: &HashMap<String, String>,
    at: &str,
    out: &mut Vec<Hotspot>,
    dropped: &mut Vec<String>,
) -> Result<(), String> {
    let num = |k: &str| h.attribute(k).and_then(|v| v.trim().parse::<f64>().ok());
    let id = h.attribute("name").map(slug).unwrap_or_else(|| format!("spot{}", j + 1));
    let (yaw, pitch) = (wrap(num("ath").unwrap_or(0.0)), pitch_up(num("atv").unwrap_or(0.0)).clamp(-90.0, 90.0));
    let onclick = h.attribute("onclick").unwrap_or("");
    let tooltip = h.attribute("tooltip").or_else(|| h.attribute("title")).map(|t| html_text(t).0).unwrap_or_default();
    let target = h.attribute("linkedscene").map(str::to_string).or_else(|| loadscene(onclick));
    let kind = if let Some(t) = target {
        let scene = ids
            .get(&t.to_lowercase())
            .ok_or_else(|| format!("{at}: hotspot `{id}` links to `{t}`, which is not a scene of the tour"))?;
        // `linkedscene_lookat="h,v,fov"`: the view on arrival.
        let view = h.attribute("linkedscene_lookat").and_then(|v| {
            let p: Vec<f64> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            (p.len() >= 2).then(|| View {
                yaw: wrap(p[0]),
                pitch: pitch_up(p[1]).clamp(-90.0, 90.0),
                hfov: clamp_hfov(krpano_hfov(p.get(2).copied().unwrap_or(90.0), "MFOV")),
            })
        });
        HotspotKind::Go { scene: scene.clone(), site: None, view }
    } else if let Some(url) = openurl(onclick) {
        HotspotKind::Link { url, title: same(if tooltip.is_empty() { "Link" } else { &tooltip }) }
    } else if !tooltip.is_empty() {
        HotspotKind::Info { title: same(&tooltip), body: same(&tooltip), image: None, audio: None }
    } else {
        dropped.push(format!("{at}: hotspot `{id}`: no scene link, address or text to carry over"));
        return Ok(());
    };
    // Whatever else its action does is not carried over.
    let rest: Vec<&str> = onclick
        .split(';')
        .map(str::trim)
        .filter(|a| {
            !a.is_empty() && !a.to_lowercase().starts_with("loadscene(") && !a.to_lowercase().starts_with("openurl(")
        })
        .collect();
    if !rest.is_empty() {
        dropped.push(format!("{at}: hotspot `{id}`: onclick `{}` is not carried over", rest.join("; ")));
    }
    out.push(Hotspot { id, yaw, pitch, kind, description: None });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_for_their_scene_or_address() {
        assert_eq!(loadscene("loadscene(scene_Gate, null, MERGE, BLEND(1));").as_deref(), Some("scene_Gate"));
        assert_eq!(loadscene("LOADSCENE('hall');"), Some("hall".into()));
        assert_eq!(openurl("openurl('https://example.org/a',_blank);").as_deref(), Some("https://example.org/a"));
        assert_eq!(loadscene("tween(view.fov, 90)"), None);
        assert_eq!(
            fill("t/%s/l1/%v/l1_%s_%v_%h.jpg", 'f', 0, 1),
            "t/f/l1/1/l1_f_1_2.jpg",
            "krpano counts tiles from 1"
        );
    }
}
