//! The tour as data: what `scenes/tour.ron` and `scenes/<site-id>.ron` hold.
//!
//! Angles are degrees; yaw is 0 at the centre column of an equirectangular panorama and grows to
//! the right, pitch grows upward, hfov is the horizontal field of view (Pannellum's conventions).
//! Every visitor-facing string is a [`Text`] with Chinese and English.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bilingual visitor-facing text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

/// The language the visitor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}`: use zh or en")),
        }
    }
}

/// `scenes/tour.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Tour", deny_unknown_fields)]
pub struct TourFile {
    pub title: Text,
    /// The site `cloudhall view` opens when none is named.
    pub start_site: String,
    pub categories: Vec<Category>,
    /// Site ids in the order visitors meet them; each has a `<id>.ron` beside `tour.ron`.
    pub sites: Vec<String>,
    pub map: MapSettings,
    /// Where asset paths point, relative to the folder of `tour.ron`.
    #[serde(default = "default_assets")]
    pub assets: String,
}

fn default_assets() -> String {
    "../assets".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: Text,
    /// `#rrggbb`, used for map pins and badges.
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSettings {
    /// GeoJSON outline of the city, an asset path.
    pub outline: String,
    pub center: GeoPoint,
    /// Initial zoom of the city map (Web Mercator zoom level).
    pub zoom: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// `scenes/<site-id>.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Site", deny_unknown_fields)]
pub struct Site {
    pub id: String,
    pub name: Text,
    pub summary: Text,
    pub category: String,
    pub location: Location,
    pub education_base: BaseStatus,
    /// Where the facts come from, as text a curator can follow up.
    pub sources: Vec<String>,
    /// The scene a visitor enters first; the first scene when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_scene: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_plan: Option<FloorPlan>,
    #[serde(default)]
    pub people: Vec<Person>,
    pub scenes: Vec<Scene>,
    /// The order of the one-click guided tour; the scene order when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Vec<String>>,
}

impl Site {
    /// Where a scene stands on the floor plan, if the site has one.
    pub fn plan_position(&self, scene: &str) -> Option<&PlanPosition> {
        self.floor_plan.as_ref()?.positions.iter().find(|p| p.scene == scene)
    }

    pub fn start_scene_id(&self) -> Option<&str> {
        self.start_scene.as_deref().or_else(|| self.scenes.first().map(|s| s.id.as_str()))
    }

    pub fn scene(&self, id: &str) -> Option<&Scene> {
        self.scenes.iter().find(|s| s.id == id)
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The scenes of the guided tour, in order.
    pub fn route_ids(&self) -> Vec<&str> {
        match &self.route {
            Some(r) => r.iter().map(String::as_str).collect(),
            None => self.scenes.iter().map(|s| s.id.as_str()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// Banner, county or district, and the town.
    pub district: Text,
    /// True when the coordinates were estimated from the town rather than taken from a source.
    #[serde(default)]
    pub estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseStatus {
    /// Whether a source documents the site as a patriotic education base.
    pub confirmed: bool,
    /// The status in plain words, including what is not known.
    pub note: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorPlan {
    /// The plan image, an asset path.
    pub image: String,
    /// Where each scene stands on the plan.
    pub positions: Vec<PlanPosition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPosition {
    pub scene: String,
    /// 0..1 from the plan's left edge.
    pub x: f64,
    /// 0..1 from the plan's top edge.
    pub y: f64,
    /// The bearing on the plan (degrees clockwise from the plan's up) of the panorama's yaw 0:
    /// the view radar points at `north + yaw`.
    #[serde(default)]
    pub north: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub name: Text,
    pub dates: Text,
    pub bio: Text,
    /// Only where a source calls them a martyr.
    #[serde(default)]
    pub martyr: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub id: String,
    pub name: Text,
    pub panorama: Panorama,
    /// A small preview image (2:1) for scene strips and map cards, an asset path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// What the panorama shows, in words: what a sighted visitor sees here (the monument, the
    /// inscriptions, the layout). Screen readers read it on arriving, so a visitor who cannot
    /// see the panorama still knows where they stand; `cloudhall check` warns where it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    pub view: View,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narration: Option<Narration>,
    #[serde(default)]
    pub hotspots: Vec<Hotspot>,
}

/// Where a scene's panorama comes from; everything that shows a panorama matches on this.
/// The three kinds are Pannellum's: `equirectangular`, `cubemap` and `multires`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Panorama {
    /// One equirectangular image, 2:1, an asset path.
    Equirect(String),
    /// Six square face images of one size, in Pannellum's `cubeMap` order: front, right, back,
    /// left, up, down. Up's top edge faces the back, down's top edge faces the front.
    Cube(String, String, String, String, String, String),
    /// A multiresolution cube pyramid in Pannellum's layout, as `cloudhall tiles` writes it;
    /// the fields are [`Multires`]'s.
    Multires { path: String, tile_size: u32, levels: u32, face_size: u32, preview: String },
}

impl From<Multires> for Panorama {
    fn from(m: Multires) -> Self {
        Panorama::Multires {
            path: m.path,
            tile_size: m.tile_size,
            levels: m.levels,
            face_size: m.face_size,
            preview: m.preview,
        }
    }
}

/// A multiresolution cube pyramid: level 1 has one tile per face, level `levels` is
/// `face_size` pixels a side; each level below halves the face (integer division).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Multires {
    /// Asset path template: `%l` the level (from 1), `%s` the face letter (f b u d l r),
    /// `%y` the tile row and `%x` the tile column (from 0), e.g. `pano/site/scene/%l/%s%y_%x.jpg`.
    pub path: String,
    /// Tile edge in pixels; a face's last row and column of tiles are cropped, not padded.
    pub tile_size: u32,
    pub levels: u32,
    /// Face edge in pixels at the top level.
    pub face_size: u32,
    /// A small equirectangular image shown at once while the tiles load, an asset path.
    pub preview: String,
}

/// Cube face letters in Pannellum's `cubeMap` order, the order of [`Panorama::Cube`]'s images.
pub const CUBE_FACES: [char; 6] = ['f', 'r', 'b', 'l', 'u', 'd'];

impl Multires {
    /// Face edge in pixels at `level` (1..=levels).
    pub fn level_size(&self, level: u32) -> u32 {
        let mut size = self.face_size;
        for _ in level..self.levels {
            size /= 2;
        }
        size
    }

    /// Tiles per face side at `level`.
    pub fn tiles_per_side(&self, level: u32) -> u32 {
        self.level_size(level).div_ceil(self.tile_size.max(1))
    }

    /// The asset path of one tile.
    pub fn tile_path(&self, level: u32, face: char, row: u32, col: u32) -> String {
        self.path
            .replace("%l", &level.to_string())
            .replace("%s", &face.to_string())
            .replace("%y", &row.to_string())
            .replace("%x", &col.to_string())
    }

    /// Width and height in pixels of one tile: edge tiles are cropped to the face.
    pub fn tile_dims(&self, level: u32, row: u32, col: u32) -> (u32, u32) {
        let size = self.level_size(level);
        let t = self.tile_size;
        (t.min(size.saturating_sub(col * t)), t.min(size.saturating_sub(row * t)))
    }
}

impl Panorama {
    /// Asset paths this source needs before anything shows: the image, the six faces, or a
    /// multires pyramid's preview and level-1 tiles (higher levels stream by view).
    pub fn assets(&self) -> Vec<&str> {
        match self {
            Panorama::Equirect(p) => vec![p.as_str()],
            Panorama::Cube(f, r, b, l, u, d) => vec![f, r, b, l, u, d].into_iter().map(String::as_str).collect(),
            Panorama::Multires { preview, .. } => vec![preview.as_str()],
        }
    }

    /// The pyramid of a multires source.
    pub fn multires(&self) -> Option<Multires> {
        match self {
            Panorama::Multires { path, tile_size, levels, face_size, preview } => Some(Multires {
                path: path.clone(),
                tile_size: *tile_size,
                levels: *levels,
                face_size: *face_size,
                preview: preview.clone(),
            }),
            _ => None,
        }
    }
}

/// A direction and zoom: degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub yaw: f64,
    pub pitch: f64,
    pub hfov: f64,
}

/// How far a visitor may zoom and tilt in a scene: degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub min_hfov: f64,
    pub max_hfov: f64,
    pub min_pitch: f64,
    pub max_pitch: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { min_hfov: 30.0, max_hfov: 120.0, min_pitch: -90.0, max_pitch: 90.0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narration {
    /// Ogg Vorbis, an asset path.
    pub audio: String,
    /// Seconds; must agree with the audio file within half a second.
    pub duration: f64,
    pub cues: Vec<Cue>,
}

impl Narration {
    /// The index of the cue on screen at `t` seconds, if any.
    pub fn cue_at(&self, t: f64) -> Option<usize> {
        // Cues are validated to be in order and not to overlap: binary search on the start.
        let i = self.cues.partition_point(|c| c.start <= t);
        let c = self.cues.get(i.checked_sub(1)?)?;
        (t < c.end).then_some(i - 1)
    }
}

/// One subtitle: the same sentence in both languages, shown from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: Text,
    /// A hotspot of the scene this sentence talks about: the guided tour turns toward it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotspot: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    pub id: String,
    pub yaw: f64,
    pub pitch: f64,
    pub kind: HotspotKind,
    /// What is at the hotspot, in words, for screen readers (a door, a stele, a portrait);
    /// where it leads is said for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum HotspotKind {
    /// Walk to another scene, of this site or (with `site`) of another one.
    Go {
        scene: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// The view to face on arrival; the target scene's own view when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        view: Option<View>,
    },
    /// An information board, optionally with its own narrated clip.
    Info {
        title: Text,
        body: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<Narration>,
    },
    /// Where visitors honour a person of the site, or the site itself.
    Memorial(MemorialTarget),
    /// A web page.
    Link { url: String, title: Text },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemorialTarget {
    Site,
    Person(String),
}

/// A loaded, validated tour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tour {
    pub title: Text,
    pub start_site: String,
    pub categories: Vec<Category>,
    pub map: MapSettings,
    pub sites: Vec<Site>,
    /// The folder asset paths are relative to.
    #[serde(skip)]
    pub assets_dir: PathBuf,
}

impl Tour {
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The file behind an asset path of a scene file.
    pub fn asset_path(&self, asset: &str) -> PathBuf {
        self.assets_dir.join(asset)
    }

    pub fn scene_count(&self) -> usize {
        self.sites.iter().map(|s| s.scenes.len()).sum()
    }

    pub fn hotspot_count(&self) -> usize {
        self.scenes().map(|(_, s)| s.hotspots.len()).sum()
    }

    /// Seconds of narration across the whole tour.
    pub fn narration_seconds(&self) -> f64 {
        self.scenes().filter_map(|(_, s)| s.narration.as_ref()).map(|n| n.duration).sum()
    }

    pub fn scenes(&self) -> impl Iterator<Item = (&Site, &Scene)> {
        self.sites.iter().flat_map(|site| site.scenes.iter().map(move |scene| (site, scene)))
    }

    /// `18 sites, 40 scenes, 180 hotspots, 42 min of narration`.
    pub fn summary(&self) -> String {
        format!(
            "{} sites, {} scenes, {} hotspots, {} min of narration",
            self.sites.len(),
            self.scene_count(),
            self.hotspot_count(),
            (self.narration_seconds() / 60.0).round() as u64
        )
    }
}
