//! `cloudhall import pannellum CONFIG.json`: a Pannellum configuration, one panorama or a tour
//! (`default` and `scenes`), with equirectangular, `cubeMap` or `multiRes` panoramas.
//!
//! Pannellum writes degrees, yaw to the right, pitch upward and horizontal fields of view, as
//! cloudhall does; yaws are wrapped into (-180, 180]. A scene's settings are its own over the
//! tour's `default` ones, as Pannellum merges them. Scene links name scenes by their key in
//! `scenes`, exactly (Pannellum looks them up so); the keys become cloudhall ids.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::convert::{html_text, slug, wrap};
use super::{Imported, new_site, same};
use crate::tour::{Hotspot, HotspotKind, Limits, Multires, Panorama, Scene, TourFile, View};

/// Keys of a scene that are carried over (the rest is listed as not carried over).
const KNOWN: &[&str] = &[
    "type",
    "panorama",
    "cubeMap",
    "multiRes",
    "basePath",
    "title",
    "yaw",
    "pitch",
    "hfov",
    "minHfov",
    "maxHfov",
    "minPitch",
    "maxPitch",
    "hotSpots",
    "firstScene",
    "autoLoad",
    "showControls",
    "sceneFadeDuration",
];

/// Read a Pannellum configuration into a site with id `site_id` for the tour `tour`.
pub fn read(config: &Path, site_id: &str, tour: &TourFile) -> Result<Imported, String> {
    let file = config.display().to_string();
    let text = std::fs::read_to_string(config).map_err(|e| format!("cannot read {file}: {e}"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{file}:{}:{}: not a Pannellum configuration (JSON): {e}", e.line(), e.column()))?;
    let root = v.as_object().ok_or_else(|| format!("{file}: the configuration must be a JSON object"))?;
    let dir = config.parent().unwrap_or(Path::new(".")).to_path_buf();
    let default = root.get("default").and_then(Value::as_object).cloned().unwrap_or_default();
    // One panorama, or a tour of scenes.
    let scenes: Vec<(String, Map<String, Value>, String)> = match root.get("scenes") {
        Some(Value::Object(scenes)) => scenes
            .iter()
            .map(|(k, s)| {
                let mut merged = default.clone();
                merged.remove("firstScene");
                if let Some(o) = s.as_object() {
                    merged.extend(o.clone());
                }
                (k.clone(), merged, format!("scenes.{k}"))
            })
            .collect(),
        Some(_) => return Err(format!("{file}: `scenes` must be an object of scenes by id")),
        None => {
            let title = root.get("title").and_then(Value::as_str).unwrap_or("scene");
            vec![(slug(title), root.clone(), String::new())]
        }
    };
    if scenes.is_empty() {
        return Err(format!("{file}: `scenes` is empty"));
    }
    // Pannellum's scene keys, and the ids they become here.
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, _, _) in &scenes {
        let mut id = slug(key);
        while ids.values().any(|v| *v == id) {
            id.push('-');
            id.push_str(&ids.len().to_string());
        }
        ids.insert(key.clone(), id);
    }
    let mut imported_scenes = Vec::new();
    let mut copies = Vec::new();
    let mut images = Vec::new();
    let mut dropped = Vec::new();
    for (key, s, at) in &scenes {
        let id = &ids[key];
        let here = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
        let base = s.get("basePath").and_then(Value::as_str).map_or_else(|| dir.clone(), |b| dir.join(b));
        let prefix = format!("pano/{site_id}/{id}");
        let kind = s.get("type").and_then(Value::as_str).unwrap_or("equirectangular");
        let panorama = match kind {
            "equirectangular" => {
                let p = s
                    .get("panorama")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{file}: {}: missing", here("panorama")))?;
                let from = local(&base, p, &file, &here("panorama"))?;
                let rel = format!("{prefix}/{}", name_of(&from));
                copies.push((from, rel.clone()));
                for k in ["haov", "vaov", "vOffset"] {
                    if s.contains_key(k) {
                        dropped.push(format!("{file}: {}: partial panoramas are shown as whole ones", here(k)));
                    }
                }
                Panorama::Equirect(rel)
            }
            "cubemap" => {
                let faces = s.get("cubeMap").and_then(Value::as_array).filter(|a| a.len() == 6).ok_or_else(|| {
                    format!("{file}: {}: give six face images (front, right, back, left, up, down)", here("cubeMap"))
                })?;
                let mut rels = Vec::new();
                for (i, f) in faces.iter().enumerate() {
                    let p = f.as_str().ok_or_else(|| format!("{file}: {}[{i}]: not a file name", here("cubeMap")))?;
                    let from = local(&base, p, &file, &format!("{}[{i}]", here("cubeMap")))?;
                    let rel =
                        format!("{prefix}/{}{}", ["front", "right", "back", "left", "up", "down"][i], ext_of(&from));
                    copies.push((from, rel.clone()));
                    rels.push(rel);
                }
                let [a, b, c, d, e, f]: [String; 6] = rels.try_into().map_err(|_| "six faces".to_string())?;
                Panorama::Cube(a, b, c, d, e, f)
            }
            "multires" => {
                let m = s
                    .get("multiRes")
                    .and_then(Value::as_object)
                    .ok_or_else(|| format!("{file}: {}: missing", here("multiRes")))?;
                multires(m, &base, &prefix, &file, &here("multiRes"), &mut copies, &mut images)?
            }
            other => {
                return Err(format!(
                    "{file}: {}: `{other}` panoramas are not imported (equirectangular, cubemap, multires)",
                    here("type")
                ));
            }
        };
        let num = |k: &str| s.get(k).and_then(Value::as_f64);
        let view = View {
            yaw: wrap(num("yaw").unwrap_or(0.0)),
            pitch: num("pitch").unwrap_or(0.0).clamp(-90.0, 90.0),
            hfov: super::convert::clamp_hfov(num("hfov").unwrap_or(100.0)),
        };
        let d = Limits::default();
        let limits = Limits {
            min_hfov: num("minHfov").unwrap_or(d.min_hfov).max(10.0),
            max_hfov: num("maxHfov").unwrap_or(d.max_hfov).min(150.0),
            min_pitch: num("minPitch").unwrap_or(d.min_pitch).max(-90.0),
            max_pitch: num("maxPitch").unwrap_or(d.max_pitch).min(90.0),
        };
        for k in ["minYaw", "maxYaw"] {
            if s.contains_key(k) {
                dropped.push(format!("{file}: {}: cloudhall has no yaw limits", here(k)));
            }
        }
        for k in s.keys().filter(|k| {
            !KNOWN.contains(&k.as_str()) && !["haov", "vaov", "vOffset", "minYaw", "maxYaw"].contains(&k.as_str())
        }) {
            dropped.push(format!("{file}: {}: a Pannellum setting with no counterpart", here(k)));
        }
        let mut hotspots = Vec::new();
        for (i, h) in s.get("hotSpots").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let hat = format!("{}[{i}]", here("hotSpots"));
            let h = h.as_object().ok_or_else(|| format!("{file}: {hat}: not an object"))?;
            hotspot(h, i, &ids, &file, &hat, &mut hotspots, &mut dropped)?;
        }
        let title = s.get("title").and_then(Value::as_str).map(|t| html_text(t).0).unwrap_or_else(|| key.clone());
        imported_scenes.push(Scene {
            id: id.clone(),
            name: same(&title),
            panorama,
            thumbnail: None,
            description: None,
            view,
            limits,
            narration: None,
            hotspots,
        });
    }
    // The tour's first scene first.
    if let Some(first) = default.get("firstScene").and_then(Value::as_str) {
        let want =
            ids.get(first).ok_or_else(|| format!("{file}: default.firstScene: no scene `{first}` in `scenes`"))?;
        if let Some(i) = imported_scenes.iter().position(|s| &s.id == want) {
            let s = imported_scenes.remove(i);
            imported_scenes.insert(0, s);
        }
    }
    let name = root
        .get("title")
        .or_else(|| default.get("title"))
        .and_then(Value::as_str)
        .map(|t| html_text(t).0)
        .unwrap_or_else(|| site_id.to_string());
    Ok(Imported { site: new_site(site_id, &name, config, tour, imported_scenes), copies, images, dropped })
}

/// One hotspot: a scene link becomes Go, an info spot Info (its HTML as plain text, its links
/// and its `URL` as Link hotspots).
fn hotspot(
    h: &Map<String, Value>,
    i: usize,
    ids: &HashMap<String, String>,
    file: &str,
    at: &str,
    out: &mut Vec<Hotspot>,
    dropped: &mut Vec<String>,
) -> Result<(), String> {
    let num = |k: &str| h.get(k).and_then(Value::as_f64);
    let (yaw, pitch) = (wrap(num("yaw").unwrap_or(0.0)), num("pitch").unwrap_or(0.0).clamp(-90.0, 90.0));
    let id = h.get("id").and_then(Value::as_str).map(slug).unwrap_or_else(|| format!("h{}", i + 1));
    for k in
        ["clickHandlerFunc", "clickHandlerArgs", "createTooltipFunc", "createTooltipArgs", "cssClass", "attributes"]
    {
        if h.contains_key(k) {
            dropped.push(format!("{file}: {at}.{k}: scripts and styles of hotspots are not carried over"));
        }
    }
    let (text, links) = h.get("text").and_then(Value::as_str).map(html_text).unwrap_or_default();
    match h.get("type").and_then(Value::as_str).unwrap_or("info") {
        "scene" => {
            let target =
                h.get("sceneId").and_then(Value::as_str).ok_or_else(|| format!("{file}: {at}.sceneId: missing"))?;
            let scene =
                ids.get(target).ok_or_else(|| format!("{file}: {at}.sceneId: no scene `{target}` in `scenes`"))?;
            let mut target_num = |k: &str| match h.get(k) {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => {
                    dropped
                        .push(format!("{file}: {at}.{k}: `{s}` (a view kept from the last scene) is not carried over"));
                    None
                }
                _ => None,
            };
            let (ty, tp, th) = (target_num("targetYaw"), target_num("targetPitch"), target_num("targetHfov"));
            let view = (ty.is_some() || tp.is_some() || th.is_some()).then(|| View {
                yaw: wrap(ty.unwrap_or(0.0)),
                pitch: tp.unwrap_or(0.0).clamp(-90.0, 90.0),
                hfov: super::convert::clamp_hfov(th.unwrap_or(100.0)),
            });
            out.push(Hotspot {
                id,
                yaw,
                pitch,
                kind: HotspotKind::Go { scene: scene.clone(), site: None, view },
                description: None,
            });
        }
        "info" => {
            let title = if text.is_empty() { "Info".to_string() } else { text.clone() };
            if let Some(url) = h.get("URL").and_then(Value::as_str) {
                out.push(Hotspot {
                    id,
                    yaw,
                    pitch,
                    kind: HotspotKind::Link { url: url.to_string(), title: same(&title) },
                    description: None,
                });
            } else {
                out.push(Hotspot {
                    id,
                    yaw,
                    pitch,
                    kind: HotspotKind::Info { title: same(&title), body: same(&text), image: None, audio: None },
                    description: None,
                });
            }
        }
        other => {
            dropped.push(format!("{file}: {at}.type: `{other}` hotspots are not carried over"));
            return Ok(());
        }
    }
    // Links inside the text: Link hotspots beside it.
    for (n, (title, url)) in links.into_iter().enumerate() {
        let id = format!("{}-link{}", out.last().map_or("h".to_string(), |h| h.id.clone()), n + 1);
        out.push(Hotspot {
            id,
            yaw: wrap(yaw + 4.0 * (n as f64 + 1.0)),
            pitch,
            kind: HotspotKind::Link { url, title: same(&title) },
            description: None,
        });
    }
    Ok(())
}

/// A multires pyramid in Pannellum's layout, copied tile by tile into cloudhall's, with an
/// equirectangular preview made from its first level.
fn multires(
    m: &Map<String, Value>,
    base: &Path,
    prefix: &str,
    file: &str,
    at: &str,
    copies: &mut Vec<(PathBuf, String)>,
    images: &mut Vec<(String, Vec<u8>)>,
) -> Result<Panorama, String> {
    let int = |k: &str| {
        m.get(k).and_then(Value::as_u64).map(|v| v as u32).ok_or_else(|| format!("{file}: {at}.{k}: missing"))
    };
    let (tile, levels, face) = (int("tileResolution")?, int("maxLevel")?, int("cubeResolution")?);
    let path = m.get("path").and_then(Value::as_str).ok_or_else(|| format!("{file}: {at}.path: missing"))?;
    let ext = m.get("extension").and_then(Value::as_str).unwrap_or("jpg");
    let root = m.get("basePath").and_then(Value::as_str).map_or_else(|| base.to_path_buf(), |b| base.join(b));
    // The source pyramid and cloudhall's copy of it: the same levels, tiles and faces.
    let source = Multires {
        path: format!("{}.{ext}", path.trim_start_matches('/')),
        tile_size: tile,
        levels,
        face_size: face,
        preview: String::new(),
    };
    let copy = Multires {
        path: format!("{prefix}/%l/%s%y_%x.{ext}"),
        preview: format!("{prefix}/preview.jpg"),
        ..source.clone()
    };
    let mut firsts = Vec::new();
    for level in 1..=levels {
        let n = source.tiles_per_side(level);
        for f in "fbudlr".chars() {
            for y in 0..n {
                for x in 0..n {
                    let from = root.join(source.tile_path(level, f, y, x));
                    if !from.is_file() {
                        return Err(format!("{file}: {at}: tile {} is missing", from.display()));
                    }
                    if level == 1 {
                        firsts.push((f, super::open_rgb(&from)?));
                    }
                    copies.push((from, copy.tile_path(level, f, y, x)));
                }
            }
        }
    }
    images.push((copy.preview.clone(), super::preview_from_faces(&firsts)?));
    Ok(copy.into())
}

/// A panorama's file on disk (not a web address), named in the error when it is missing.
fn local(base: &Path, p: &str, file: &str, at: &str) -> Result<PathBuf, String> {
    if p.starts_with("http://") || p.starts_with("https://") || p.starts_with("//") {
        return Err(format!("{file}: {at}: `{p}` is on the web; download it beside the configuration first"));
    }
    let from = base.join(p);
    if !from.is_file() {
        return Err(format!("{file}: {at}: {} is missing", from.display()));
    }
    Ok(from)
}

fn name_of(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "panorama.jpg".into())
}

fn ext_of(p: &Path) -> String {
    p.extension().map(|e| format!(".{}", e.to_string_lossy().to_lowercase())).unwrap_or_default()
}
