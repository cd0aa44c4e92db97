//! `cloudhall import marzipano DIR`: a Marzipano Tool export, `data.js` (`var APP_DATA = {...}`)
//! and `tiles/<scene id>/<level>/<face>/<row>/<column>.jpg`.
//!
//! Marzipano writes radians, yaw to the right and pitch downward, and a vertical field of view
//! (turned into a horizontal one at [`super::convert::REFERENCE_ASPECT`]). Its levels count from
//! 0 with the smallest first; a `fallbackOnly` level is a stand-in that cloudhall's own preview
//! replaces. Link hotspots name their target by scene id, exactly, as Marzipano matches them.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::convert::{REFERENCE_ASPECT, clamp_hfov, degrees, hfov_from_vfov, html_text, pitch_up, slug, wrap};
use super::{Imported, new_site, same};
use crate::tour::{Hotspot, HotspotKind, Limits, Panorama, Scene, TourFile, View};

/// Read a Marzipano Tool export folder into a site with id `site_id`.
pub fn read(dir: &Path, site_id: &str, tour: &TourFile) -> Result<Imported, String> {
    let data = dir.join("data.js");
    let file = data.display().to_string();
    let text = std::fs::read_to_string(&data)
        .map_err(|e| format!("cannot read {file}: {e} (give the folder of a Marzipano Tool export)"))?;
    let (start, end) = (text.find('{'), text.rfind('}'));
    // (A `}` only before the first `{` is no object either: found by fuzzing.)
    let (Some(start), Some(end)) = (start, end.filter(|e| start.is_some_and(|s| *e > s))) else {
        return Err(format!("{file}: no `APP_DATA = {{...}}` object"));
    };
    let lines_before = text[..start].matches('\n').count();
    let v: Value = serde_json::from_str(&text[start..=end]).map_err(|e| {
        let col = if e.line() == 1 {
            e.column() + start - text[..start].rfind('\n').map_or(0, |n| n + 1)
        } else {
            e.column()
        };
        format!("{file}:{}:{col}: APP_DATA is not valid JSON: {e}", e.line() + lines_before)
    })?;
    let scenes = v["scenes"].as_array().ok_or_else(|| format!("{file}: APP_DATA.scenes: missing"))?;
    if scenes.is_empty() {
        return Err(format!("{file}: APP_DATA.scenes is empty"));
    }
    let mut ids: HashMap<String, String> = HashMap::new();
    for (i, s) in scenes.iter().enumerate() {
        let key = s["id"].as_str().ok_or_else(|| format!("{file}: APP_DATA.scenes[{i}].id: missing"))?;
        let mut id = slug(s["name"].as_str().unwrap_or(key));
        if ids.values().any(|v| *v == id) {
            id = format!("{id}-{i}");
        }
        ids.insert(key.to_string(), id);
    }
    let mut out = Vec::new();
    let mut copies = Vec::new();
    let mut images = Vec::new();
    let mut dropped = Vec::new();
    if let Some(settings) = v["settings"].as_object() {
        for k in settings.keys() {
            dropped.push(format!("{file}: APP_DATA.settings.{k}: a viewer setting with no counterpart"));
        }
    }
    for (i, s) in scenes.iter().enumerate() {
        let at = format!("APP_DATA.scenes[{i}]");
        let key = s["id"].as_str().unwrap_or_default();
        let id = ids[key].clone();
        let prefix = format!("pano/{site_id}/{id}");
        // Levels: the fallback-only ones left out; the rest must halve down to one tile a face.
        let levels: Vec<(usize, u32, u32)> = s["levels"]
            .as_array()
            .ok_or_else(|| format!("{file}: {at}.levels: missing"))?
            .iter()
            .enumerate()
            .filter(|(_, l)| !l["fallbackOnly"].as_bool().unwrap_or(false))
            .map(|(z, l)| (z, l["tileSize"].as_u64().unwrap_or(0) as u32, l["size"].as_u64().unwrap_or(0) as u32))
            .collect();
        let Some(&(_, tile, top)) = levels.last() else {
            return Err(format!("{file}: {at}.levels: no level to show"));
        };
        // (Tiles of 0 px, and more levels than halvings of a size: found by fuzzing.)
        if tile == 0 || top == 0 {
            return Err(format!("{file}: {at}.levels: tileSize and size must be more than 0"));
        }
        if levels.len() > 16 {
            return Err(format!("{file}: {at}.levels: {} levels; at most 16 are read", levels.len()));
        }
        let n = levels.len() as u32;
        for (k, &(z, t, size)) in levels.iter().enumerate() {
            if t != tile || Some(size) != top.checked_shr(n - 1 - k as u32) {
                return Err(format!(
                    "{file}: {at}.levels[{z}]: sizes must halve with one tile size ({size} px in {t} px tiles after {top} px in {tile} px)"
                ));
            }
        }
        if levels[0].2 > tile {
            return Err(format!("{file}: {at}.levels: the smallest level must fit one tile a face"));
        }
        let tiles = dir.join("tiles").join(key);
        let mut firsts = Vec::new();
        for (k, &(z, _, size)) in levels.iter().enumerate() {
            let level = k as u32 + 1;
            let count = size.div_ceil(tile);
            for f in "fbudlr".chars() {
                for y in 0..count {
                    for x in 0..count {
                        let from = tiles.join(format!("{z}/{f}/{y}/{x}.jpg"));
                        if !from.is_file() {
                            return Err(format!("{file}: {at}: tile {} is missing", from.display()));
                        }
                        if level == 1 {
                            firsts.push((f, super::open_rgb(&from)?));
                        }
                        copies.push((from, format!("{prefix}/{level}/{f}{y}_{x}.jpg")));
                    }
                }
            }
        }
        images.push((format!("{prefix}/preview.jpg"), super::preview_from_faces(&firsts)?));
        let panorama = Panorama::Multires {
            path: format!("{prefix}/%l/%s%y_%x.jpg"),
            tile_size: tile,
            levels: n,
            face_size: top,
            preview: format!("{prefix}/preview.jpg"),
        };
        let p = &s["initialViewParameters"];
        let view = View {
            yaw: wrap(degrees(p["yaw"].as_f64().unwrap_or(0.0))),
            pitch: pitch_up(degrees(p["pitch"].as_f64().unwrap_or(0.0))).clamp(-90.0, 90.0),
            hfov: clamp_hfov(hfov_from_vfov(
                degrees(p["fov"].as_f64().unwrap_or(std::f64::consts::FRAC_PI_2)),
                REFERENCE_ASPECT,
            )),
        };
        let mut hotspots = Vec::new();
        for (j, h) in s["linkHotspots"].as_array().into_iter().flatten().enumerate() {
            let target =
                h["target"].as_str().ok_or_else(|| format!("{file}: {at}.linkHotspots[{j}].target: missing"))?;
            let scene =
                ids.get(target).ok_or_else(|| format!("{file}: {at}.linkHotspots[{j}].target: no scene `{target}`"))?;
            if h["rotation"].as_f64().is_some_and(|r| r != 0.0) {
                dropped
                    .push(format!("{file}: {at}.linkHotspots[{j}].rotation: the arrow's rotation is not carried over"));
            }
            hotspots.push(Hotspot {
                id: format!("link{}", j + 1),
                yaw: wrap(degrees(h["yaw"].as_f64().unwrap_or(0.0))),
                pitch: pitch_up(degrees(h["pitch"].as_f64().unwrap_or(0.0))).clamp(-90.0, 90.0),
                kind: HotspotKind::Go { scene: scene.clone(), site: None, view: None },
                description: None,
            });
        }
        for (j, h) in s["infoHotspots"].as_array().into_iter().flatten().enumerate() {
            let (title, _) = html_text(h["title"].as_str().unwrap_or("Info"));
            let (body, links) = html_text(h["text"].as_str().unwrap_or(""));
            let (yaw, pitch) = (
                wrap(degrees(h["yaw"].as_f64().unwrap_or(0.0))),
                pitch_up(degrees(h["pitch"].as_f64().unwrap_or(0.0))).clamp(-90.0, 90.0),
            );
            hotspots.push(Hotspot {
                id: format!("info{}", j + 1),
                yaw,
                pitch,
                kind: HotspotKind::Info { title: same(&title), body: same(&body), image: None, audio: None },
                description: None,
            });
            for (n, (t, url)) in links.into_iter().enumerate() {
                hotspots.push(Hotspot {
                    id: format!("info{}-link{}", j + 1, n + 1),
                    yaw: wrap(yaw + 4.0 * (n as f64 + 1.0)),
                    pitch,
                    kind: HotspotKind::Link { url, title: same(&t) },
                    description: None,
                });
            }
        }
        let name = s["name"].as_str().unwrap_or(key);
        out.push(Scene {
            id,
            name: same(name),
            panorama,
            thumbnail: None,
            description: None,
            view,
            limits: Limits::default(),
            narration: None,
            hotspots,
        });
    }
    let name = v["name"].as_str().unwrap_or(site_id).to_string();
    Ok(Imported { site: new_site(site_id, &name, &data, tour, out), copies, images, dropped })
}
