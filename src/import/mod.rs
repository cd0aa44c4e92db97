//! Bringing tours made with other tools into cloudhall, and one out again:
//! `cloudhall import pannellum|marzipano|krpano SOURCE --site ID --tour DIR` and
//! `cloudhall export pannellum --site ID OUT/`.
//!
//! Each importer reads its tool's format into an [`Imported`] site: scenes with their names,
//! initial views and limits, panoramas as they come (an equirectangular image copied, cube faces,
//! or multires tiles re-laid into cloudhall's layout), Go, Info and Link hotspots, every angle
//! turned into cloudhall's convention ([`convert`]). [`write`] then copies the files, writes the
//! site file, adds the site to `tour.ron` and checks the whole tour as `cloudhall check` does;
//! if the check fails, everything it wrote is taken back. Nothing is written when the source
//! cannot be read, and the error says where it is wrong. What cannot be carried over (scripts,
//! plugins, actions other than scene links and web addresses) is listed in the [`Report`].

pub mod convert;
pub mod export;
pub mod krpano;
pub mod marzipano;
pub mod pannellum;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::tour::load::parse_str;
use crate::tour::{BaseStatus, Location, Site, Text, TourFile};

/// A site read from another tool, before anything is written.
#[derive(Debug, Clone)]
pub struct Imported {
    pub site: Site,
    /// Files to copy: (source file, asset path under the tour's assets folder).
    pub copies: Vec<(PathBuf, String)>,
    /// Images to write (an equirectangular preview made from cube faces): (asset path, JPEG).
    pub images: Vec<(String, Vec<u8>)>,
    /// What the source has that cloudhall does not carry over, each with where it is.
    pub dropped: Vec<String>,
}

/// What an import did, and what is left for a curator.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub site: String,
    pub site_file: PathBuf,
    pub scenes: usize,
    pub hotspots: usize,
    pub files: usize,
    /// For a curator: missing English, no narration, no map position.
    pub needs: Vec<String>,
    /// Not carried over.
    pub dropped: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported site `{}`: {} scenes, {} hotspots, {} files; written to {} and added to tour.ron",
            self.site,
            self.scenes,
            self.hotspots,
            self.files,
            self.site_file.display()
        )?;
        if !self.needs.is_empty() {
            writeln!(f, "\nfor a curator ({}):", self.needs.len())?;
            for n in &self.needs {
                writeln!(f, "  - {n}")?;
            }
        }
        if !self.dropped.is_empty() {
            writeln!(f, "\nnot carried over ({}):", self.dropped.len())?;
            for d in &self.dropped {
                writeln!(f, "  - {d}")?;
            }
        }
        Ok(())
    }
}

/// The same text in both languages: an imported text starts as the source's, in both.
pub fn same(text: &str) -> Text {
    Text { zh: text.to_string(), en: text.to_string() }
}

/// A new site around imported scenes: named after the source, placed at the map's centre (for
/// a curator to move), in the tour's first category.
pub fn new_site(id: &str, name: &str, source: &Path, tour: &TourFile, mut scenes: Vec<crate::tour::Scene>) -> Site {
    // A tool may open a scene wider or steeper than its own limits allow: the limits make room.
    for s in &mut scenes {
        let (v, l) = (s.view, &mut s.limits);
        l.min_hfov = l.min_hfov.min(v.hfov);
        l.max_hfov = l.max_hfov.max(v.hfov);
        l.min_pitch = l.min_pitch.min(v.pitch);
        l.max_pitch = l.max_pitch.max(v.pitch);
    }
    Site {
        id: id.to_string(),
        name: same(name),
        summary: same(name),
        category: tour.categories.first().map(|c| c.id.clone()).unwrap_or_default(),
        location: Location {
            lat: tour.map.center.lat, lon: tour.map.center.lon, district: same("—"), estimated: true
        },
        education_base: BaseStatus {
            confirmed: false,
            note: same("imported; its status as an education base is not checked"),
        },
        sources: vec![format!("imported from {}", source.display())],
        start_scene: None,
        floor_plan: None,
        people: Vec::new(),
        scenes,
        route: None,
    }
}

/// The tour in `tour_dir`, as its file says (the site list and the assets folder).
pub fn tour_file(tour_dir: &Path) -> Result<(TourFile, String), String> {
    let path = tour_dir.join("tour.ron");
    let text =
        crate::tour::source::read_or_say(&path).map_err(|e| format!("{e} (give the tour folder with --tour)"))?;
    let tour: TourFile = parse_str(&path, &text).map_err(|d| d.to_string())?;
    Ok((tour, text))
}

/// `tour.ron`'s text with `id` added at the end of its `sites: [...]` list (the rest as it was).
pub fn add_site_to_list(text: &str, id: &str) -> Result<String, String> {
    let at = text.find("sites:").ok_or("tour.ron has no `sites:` list")?;
    let open = at + text[at..].find('[').ok_or("tour.ron's `sites:` has no `[`")?;
    let close = open + text[open..].find(']').ok_or("tour.ron's `sites:` list is not closed")?;
    let inside = &text[open + 1..close];
    let entry = format!("{id:?}");
    let insert = if inside.contains('\n') {
        // One site a line: a new line like the last one.
        let indent = inside
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map_or("    ", |l| &l[..l.len() - l.trim_start().len()]);
        let body = inside.trim_end();
        let comma = if body.trim().is_empty() || body.ends_with(',') { "" } else { "," };
        format!("{body}{comma}\n{indent}{entry},\n{}", &inside[inside.trim_end().len()..].trim_start_matches('\n'))
    } else if inside.trim().is_empty() {
        entry
    } else {
        format!("{}, {entry}", inside.trim_end().trim_end_matches(','))
    };
    Ok(format!("{}{}{}", &text[..open + 1], insert, &text[close..]))
}

/// The site as RON, as a curator would write it.
pub fn site_ron(site: &Site) -> Result<String, String> {
    let pretty = ron::ser::PrettyConfig::new().struct_names(true).indentor("    ".to_string());
    ron::ser::to_string_pretty(site, pretty).map_err(|e| format!("cannot write the site: {e}"))
}

/// Write an imported site into the tour in `tour_dir`: files, site file, tour.ron; then check the
/// tour and take everything back if it does not pass.
pub fn write(tour_dir: &Path, imported: Imported) -> Result<Report, String> {
    let (tour, tour_text) = tour_file(tour_dir)?;
    let site = &imported.site;
    if tour.sites.contains(&site.id) {
        return Err(format!("the tour already has a site `{}`: choose another --site", site.id));
    }
    let site_file = tour_dir.join(format!("{}.ron", site.id));
    if site_file.exists() {
        return Err(format!("{} exists already: choose another --site or move it away", site_file.display()));
    }
    let assets = tour_dir.join(&tour.assets);
    let mut written: Vec<PathBuf> = Vec::new();
    let undo = |written: &[PathBuf]| {
        for f in written.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
    };
    let result = (|| -> Result<(), String> {
        for (from, rel) in &imported.copies {
            let to = assets.join(rel);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::copy(from, &to).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
            written.push(to);
        }
        for (rel, bytes) in &imported.images {
            let to = assets.join(rel);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(&to, bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
            written.push(to);
        }
        std::fs::write(&site_file, site_ron(site)?)
            .map_err(|e| format!("cannot write {}: {e}", site_file.display()))?;
        written.push(site_file.clone());
        let listed = add_site_to_list(&tour_text, &site.id)?;
        std::fs::write(tour_dir.join("tour.ron"), listed).map_err(|e| format!("cannot update tour.ron: {e}"))?;
        let loaded = crate::tour::load(tour_dir);
        let errors: Vec<String> = loaded.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
        if !errors.is_empty() {
            return Err(format!("the imported tour does not pass `cloudhall check`:\n{}", errors.join("\n")));
        }
        Ok(())
    })();
    if let Err(e) = result {
        undo(&written);
        let _ = std::fs::write(tour_dir.join("tour.ron"), &tour_text);
        return Err(e);
    }
    let mut needs = Vec::new();
    for s in &site.scenes {
        if s.name.zh == s.name.en {
            needs.push(format!(
                "scene `{}`: the name is the source's in both languages; give it in English and Chinese",
                s.id
            ));
        }
        if s.narration.is_none() {
            needs.push(format!("scene `{}`: no narration", s.id));
        }
        for h in &s.hotspots {
            if let crate::tour::HotspotKind::Info { title, body, .. } = &h.kind
                && (title.zh == title.en || body.zh == body.en)
            {
                needs.push(format!("scene `{}`, hotspot `{}`: the text is the source's in both languages", s.id, h.id));
            }
        }
    }
    needs.push(format!("site `{}`: no map position (placed at the map's centre; set `location`)", site.id));
    needs.push(format!("site `{}`: name, summary and category to check", site.id));
    Ok(Report {
        site: site.id.clone(),
        site_file,
        scenes: site.scenes.len(),
        hotspots: site.scenes.iter().map(|s| s.hotspots.len()).sum(),
        files: imported.copies.len() + imported.images.len(),
        needs,
        dropped: imported.dropped,
    })
}

/// A small equirectangular preview (512x256 JPEG) from six cube faces, keyed by cloudhall's face
/// letters (f b u d l r): what a multires scene shows while its tiles load.
pub fn preview_from_faces(faces: &[(char, image::RgbImage)]) -> Result<Vec<u8>, String> {
    let (w, h) = (512u32, 256u32);
    let mut out = image::RgbImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let yaw = (x as f32 + 0.5) / w as f32 * 360.0 - 180.0;
            let pitch = 90.0 - (y as f32 + 0.5) / h as f32 * 180.0;
            let (face, a, b) = crate::pano::multires::face_of(crate::pano::direction(yaw, pitch));
            let Some((_, img)) = faces.iter().find(|(f, _)| *f == face) else { continue };
            let px = (((a + 1.0) / 2.0 * img.width() as f32) as u32).min(img.width() - 1);
            let py = (((b + 1.0) / 2.0 * img.height() as f32) as u32).min(img.height() - 1);
            out.put_pixel(x, y, *img.get_pixel(px, py));
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&out)
        .map_err(|e| format!("cannot encode the preview: {e}"))?;
    Ok(jpeg)
}

/// An image file's pixels, with the file named in the error.
pub fn open_rgb(path: &Path) -> Result<image::RgbImage, String> {
    image::open(path).map(|i| i.to_rgb8()).map_err(|e| format!("{}: cannot read the image: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_from_faces_puts_each_face_where_it_looks() {
        let colour = |f: char| match f {
            'f' => [200, 0, 0],
            'r' => [0, 200, 0],
            'b' => [0, 0, 200],
            'l' => [200, 200, 0],
            'u' => [255, 255, 255],
            _ => [10, 10, 10],
        };
        let faces: Vec<(char, image::RgbImage)> =
            "fbudlr".chars().map(|f| (f, image::RgbImage::from_pixel(8, 8, image::Rgb(colour(f))))).collect();
        let jpeg = preview_from_faces(&faces).unwrap();
        let img = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        let at = |yaw: f32, pitch: f32| {
            let x = ((yaw + 180.0) / 360.0 * 512.0) as u32;
            let y = ((90.0 - pitch) / 180.0 * 256.0) as u32;
            img.get_pixel(x.min(511), y.min(255)).0
        };
        let near = |p: [u8; 3], q: [u8; 3]| (0..3).all(|i| (p[i] as i32 - q[i] as i32).abs() < 40);
        assert!(near(at(0.0, 0.0), colour('f')), "ahead is the front");
        assert!(near(at(90.0, 0.0), colour('r')), "yaw 90 is the right face");
        assert!(near(at(179.0, 0.0), colour('b')));
        assert!(near(at(-90.0, 0.0), colour('l')));
        assert!(near(at(0.0, 80.0), colour('u')));
        assert!(near(at(0.0, -80.0), colour('d')));
    }

    #[test]
    fn a_site_is_added_to_either_layout_of_the_list() {
        let one_line = "Tour(\n    sites: [\"alpha\", \"beta\"],\n    map: (),\n)";
        assert_eq!(
            add_site_to_list(one_line, "gamma").unwrap(),
            "Tour(\n    sites: [\"alpha\", \"beta\", \"gamma\"],\n    map: (),\n)"
        );
        let lines = "Tour(\n    sites: [\n        \"alpha\",\n        \"beta\",\n    ],\n)";
        assert_eq!(
            add_site_to_list(lines, "gamma").unwrap(),
            "Tour(\n    sites: [\n        \"alpha\",\n        \"beta\",\n        \"gamma\",\n    ],\n)"
        );
        assert_eq!(add_site_to_list("Tour(sites: [])", "a").unwrap(), "Tour(sites: [\"a\"])");
        assert!(add_site_to_list("Tour()", "a").is_err());
    }
}
