//! Pointing a scene at a new pyramid: the scene's `panorama: ...` value in its site file is
//! replaced in the text itself, so the curator's comments and layout stay as they were.

use std::path::{Path, PathBuf};

use crate::tour::load::parse_str;
use crate::tour::spans::{self, Seg, offset, value_end};
use crate::tour::{Multires, Site, TourFile};

/// Where `cloudhall tiles --site --scene` writes: the site file and the pyramid's folder.
pub struct Target {
    pub site_file: PathBuf,
    pub pyramid_dir: PathBuf,
    /// The pyramid's folder relative to the assets folder (`pano/SITE/SCENE`).
    pub prefix: String,
}

/// Find the site file and the assets folder of a tour, and check that the scene exists.
pub fn target(tour_dir: &Path, site: &str, scene: &str) -> Result<Target, String> {
    let tour_path = tour_dir.join("tour.ron");
    let text =
        crate::tour::source::read_or_say(&tour_path).map_err(|e| format!("{e} (give the tour folder with --tour)"))?;
    let tour: TourFile = parse_str(&tour_path, &text).map_err(|d| d.to_string())?;
    if !tour.sites.iter().any(|s| s == site) {
        return Err(format!("the tour has no site `{site}`; its sites: {}", tour.sites.join(", ")));
    }
    let site_file = tour_dir.join(format!("{site}.ron"));
    let site_text = crate::tour::source::read_or_say(&site_file)?;
    let parsed: Site = parse_str(&site_file, &site_text).map_err(|d| d.to_string())?;
    if parsed.scene(scene).is_none() {
        let ids: Vec<&str> = parsed.scenes.iter().map(|s| s.id.as_str()).collect();
        return Err(format!("site `{site}` has no scene `{scene}`; its scenes: {}", ids.join(", ")));
    }
    let prefix = format!("pano/{site}/{scene}");
    Ok(Target { site_file, pyramid_dir: tour_dir.join(&tour.assets).join(&prefix), prefix })
}

/// The RON text of a `Multires(...)` panorama.
pub fn multires_ron(m: &Multires) -> String {
    format!(
        "Multires(path: {:?}, tile_size: {}, levels: {}, face_size: {}, preview: {:?})",
        m.path, m.tile_size, m.levels, m.face_size, m.preview
    )
}

/// `text` with scene `scene`'s panorama value replaced by `value`.
pub fn replace_panorama(file: &Path, text: &str, scene: &str, value: &str) -> Result<String, String> {
    let site: Site = parse_str(file, text).map_err(|d| d.to_string())?;
    let index = site
        .scenes
        .iter()
        .position(|s| s.id == scene)
        .ok_or_else(|| format!("{} has no scene `{scene}`", file.display()))?;
    let root = spans::scan(text).ok_or_else(|| format!("cannot follow the layout of {}", file.display()))?;
    let path = [Seg::Field("scenes"), Seg::Index(index), Seg::Field("panorama")];
    let node =
        root.get(&path).ok_or_else(|| format!("cannot find scene `{scene}`'s panorama in {}", file.display()))?;
    let start = offset(text, node.pos).ok_or_else(|| format!("bad position in {}", file.display()))?;
    let end =
        value_end(text, start).ok_or_else(|| format!("cannot find where the panorama ends in {}", file.display()))?;
    Ok(format!("{}{}{}", &text[..start], value, &text[end..]))
}
