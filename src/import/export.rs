//! `cloudhall export pannellum --site ID OUT/`: one site as a Pannellum tour, `config.json` and
//! its panoramas, which Pannellum opens as it is (`pannellum.viewer(el, config)`). cloudhall's
//! conventions are Pannellum's (degrees, pitch upward, horizontal fields of view) and its
//! pyramids are in Pannellum's layout, so only paths change.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::tour::{HotspotKind, Lang, Multires, Panorama};

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    pub scenes: usize,
    pub files: usize,
    /// What Pannellum has no place for (memorials, links to other sites).
    pub dropped: Vec<String>,
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(d) = to.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Write site `site_id` of the tour in `tour_dir` as a Pannellum tour in `out`.
pub fn pannellum(tour_dir: &Path, site_id: &str, out: &Path, lang: Lang) -> Result<Exported, String> {
    let loaded = crate::tour::load(tour_dir);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    let tour = match loaded.tour {
        Some(t) if errors.is_empty() => t,
        _ => {
            return Err(format!(
                "the tour in {} has errors (run `cloudhall check`):\n{}",
                tour_dir.display(),
                errors.join("\n")
            ));
        }
    };
    let site = tour.site(site_id).ok_or_else(|| {
        let ids: Vec<&str> = tour.sites.iter().map(|s| s.id.as_str()).collect();
        format!("no site `{site_id}` in the tour; its sites: {}", ids.join(", "))
    })?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut done = Exported::default();
    let mut scenes = Map::new();
    for scene in &site.scenes {
        let mut c = Map::new();
        c.insert("title".into(), json!(scene.name.get(lang)));
        match &scene.panorama {
            Panorama::Equirect(rel) => {
                let name = Path::new(rel).file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                copy(&tour.asset_path(rel), &out.join(&scene.id).join(&name))?;
                done.files += 1;
                c.insert("type".into(), json!("equirectangular"));
                c.insert("panorama".into(), json!(format!("{}/{name}", scene.id)));
            }
            Panorama::Cube(a, b, cc, d, e, f) => {
                let mut faces = Vec::new();
                for (i, rel) in [a, b, cc, d, e, f].into_iter().enumerate() {
                    let ext = Path::new(rel)
                        .extension()
                        .map(|x| x.to_string_lossy().to_string())
                        .unwrap_or_else(|| "jpg".into());
                    let name = format!("{}/{}.{ext}", scene.id, ["front", "right", "back", "left", "up", "down"][i]);
                    copy(&tour.asset_path(rel), &out.join(&name))?;
                    done.files += 1;
                    faces.push(json!(name));
                }
                c.insert("type".into(), json!("cubemap"));
                c.insert("cubeMap".into(), Value::Array(faces));
            }
            Panorama::Multires { path, tile_size, levels, face_size, .. } => {
                let ext = Path::new(path)
                    .extension()
                    .map(|x| x.to_string_lossy().to_string())
                    .unwrap_or_else(|| "jpg".into());
                // The same pyramid under the scene's folder, in Pannellum's `/%l/%s%y_%x` layout.
                let m = Multires {
                    path: path.clone(),
                    tile_size: *tile_size,
                    levels: *levels,
                    face_size: *face_size,
                    preview: String::new(),
                };
                let here = Multires { path: format!("{}/%l/%s%y_%x.{ext}", scene.id), ..m.clone() };
                for level in 1..=*levels {
                    let n = m.tiles_per_side(level);
                    for f in "fbudlr".chars() {
                        for y in 0..n {
                            for x in 0..n {
                                copy(
                                    &tour.asset_path(&m.tile_path(level, f, y, x)),
                                    &out.join(here.tile_path(level, f, y, x)),
                                )?;
                                done.files += 1;
                            }
                        }
                    }
                }
                c.insert("type".into(), json!("multires"));
                c.insert(
                    "multiRes".into(),
                    json!({ "basePath": scene.id, "path": "/%l/%s%y_%x", "extension": ext, "tileResolution": tile_size, "maxLevel": levels, "cubeResolution": face_size }),
                );
            }
        }
        c.insert("yaw".into(), json!(scene.view.yaw));
        c.insert("pitch".into(), json!(scene.view.pitch));
        c.insert("hfov".into(), json!(scene.view.hfov));
        c.insert("minHfov".into(), json!(scene.limits.min_hfov));
        c.insert("maxHfov".into(), json!(scene.limits.max_hfov));
        c.insert("minPitch".into(), json!(scene.limits.min_pitch));
        c.insert("maxPitch".into(), json!(scene.limits.max_pitch));
        let mut spots = Vec::new();
        for h in &scene.hotspots {
            let mut s = Map::new();
            s.insert("id".into(), json!(h.id));
            s.insert("pitch".into(), json!(h.pitch));
            s.insert("yaw".into(), json!(h.yaw));
            match &h.kind {
                HotspotKind::Go { scene: to, site: None, view } => {
                    s.insert("type".into(), json!("scene"));
                    s.insert("sceneId".into(), json!(to));
                    if let Some(target) = site.scene(to) {
                        s.insert("text".into(), json!(target.name.get(lang)));
                    }
                    if let Some(v) = view {
                        s.insert("targetYaw".into(), json!(v.yaw));
                        s.insert("targetPitch".into(), json!(v.pitch));
                        s.insert("targetHfov".into(), json!(v.hfov));
                    }
                }
                HotspotKind::Go { site: Some(other), scene: to, .. } => {
                    done.dropped.push(format!("scene `{}`, hotspot `{}`: a link to site `{other}` (scene `{to}`) has no place in a one-site Pannellum tour", scene.id, h.id));
                    continue;
                }
                HotspotKind::Info { title, body, .. } => {
                    s.insert("type".into(), json!("info"));
                    let text = if body.get(lang).is_empty() { title.get(lang) } else { body.get(lang) };
                    s.insert("text".into(), json!(text));
                }
                HotspotKind::Link { url, title } => {
                    s.insert("type".into(), json!("info"));
                    s.insert("text".into(), json!(title.get(lang)));
                    s.insert("URL".into(), json!(url));
                }
                HotspotKind::Memorial(_) => {
                    done.dropped.push(format!("scene `{}`, hotspot `{}`: memorials (flowers, messages) need cloudhall's server; exported as an info spot", scene.id, h.id));
                    s.insert("type".into(), json!("info"));
                    s.insert("text".into(), json!(if lang == Lang::Zh { "纪念" } else { "Memorial" }));
                }
            }
            spots.push(Value::Object(s));
        }
        c.insert("hotSpots".into(), Value::Array(spots));
        if scene.narration.is_some() {
            done.dropped.push(format!("scene `{}`: narration and subtitles have no place in Pannellum", scene.id));
        }
        scenes.insert(scene.id.clone(), Value::Object(c));
        done.scenes += 1;
    }
    let config = json!({
        "default": {
            "firstScene": site.start_scene_id().unwrap_or_default(),
            "title": site.name.get(lang),
            "sceneFadeDuration": 600,
            "autoLoad": true
        },
        "scenes": scenes
    });
    let text = serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?;
    std::fs::write(out.join("config.json"), text)
        .map_err(|e| format!("cannot write {}: {e}", out.join("config.json").display()))?;
    Ok(done)
}
