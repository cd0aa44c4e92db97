//! Content versions of a tour's assets. Browsers keep assets cache-first (web/sw.js), by URL,
//! and an asset's path does not change when its file does (a scene tiled again into the same
//! folder, a narration recorded again): the tour names a version for each, which viewers put in
//! the URL (`?v=`), so that a changed file is a new URL and an unchanged one stays cached.
//!
//! A version is made from the file's length and modification time, not its bytes: the tour's
//! JSON is made at start and at each publish, and reading every tile of every pyramid then
//! would take minutes. A pyramid has one version, its `config.json`'s, since `cloudhall tiles`
//! writes a whole new folder each time.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::tour::{HotspotKind, Panorama, Tour};

/// `{asset path or folder/: version}` for everything the tour's viewers fetch; a folder (ending
/// in `/`) stands for every file under it. Files that are not there have no version.
pub fn asset_versions(tour: &Tour) -> BTreeMap<String, String> {
    let dir = &tour.assets_dir;
    let mut out = BTreeMap::new();
    let file = |out: &mut BTreeMap<String, String>, rel: &str| {
        if let Some(v) = version_of(&dir.join(rel)) {
            out.insert(rel.to_string(), v);
        }
    };
    file(&mut out, &tour.map.outline);
    for site in &tour.sites {
        if let Some(p) = &site.floor_plan {
            file(&mut out, &p.image);
        }
        for scene in &site.scenes {
            match &scene.panorama {
                Panorama::Equirect(p) => file(&mut out, p),
                Panorama::Cube(f, r, b, l, u, d) => {
                    for p in [f, r, b, l, u, d] {
                        file(&mut out, p);
                    }
                }
                Panorama::Multires { path, preview, .. } => {
                    file(&mut out, preview);
                    if let Some(folder) = pyramid_folder(path)
                        && let Some(v) = version_of(&dir.join(&folder).join("config.json"))
                            .or_else(|| version_of(&dir.join(preview)))
                    {
                        out.insert(folder, v);
                    }
                }
            }
            if let Some(t) = &scene.thumbnail {
                file(&mut out, t);
            }
            if let Some(n) = &scene.narration {
                file(&mut out, &n.audio);
            }
            for h in &scene.hotspots {
                if let HotspotKind::Info { image: Some(i), .. } = &h.kind {
                    file(&mut out, i);
                }
            }
        }
    }
    out
}

/// The folder a pyramid's tiles are under: its path template up to the first placeholder's
/// folder (`pano/hall/%l/%s%y_%x.jpg` is under `pano/hall/`).
fn pyramid_folder(template: &str) -> Option<String> {
    let fixed = &template[..template.find('%')?];
    let end = fixed.rfind('/')? + 1;
    Some(fixed[..end].to_string())
}

/// 12 hex digits from the file's length and modification time, or None when it is not there.
fn version_of(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let digest = Sha256::digest(format!("{}:{modified}", meta.len()).as_bytes());
    Some(digest[..6].iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pyramid_is_its_folder() {
        assert_eq!(pyramid_folder("pano/hall/%l/%s%y_%x.jpg").as_deref(), Some("pano/hall/"));
        assert_eq!(pyramid_folder("pyr/%l/%s%y_%x.jpg").as_deref(), Some("pyr/"));
        assert_eq!(pyramid_folder("%l/%s%y_%x.jpg"), None, "no folder of its own: no version for all assets");
    }

    #[test]
    fn a_file_written_again_has_a_new_version() {
        let dir = std::env::temp_dir().join(format!("cloudhall-versions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("a.jpg");
        std::fs::write(&f, b"one").expect("write");
        let first = version_of(&f).expect("a version");
        assert_eq!(version_of(&f).as_deref(), Some(first.as_str()), "the same file, the same version");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"two!").expect("write");
        assert_ne!(version_of(&f).expect("a version"), first);
        assert_eq!(version_of(&dir.join("missing.jpg")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
