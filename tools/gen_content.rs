//! Generates the bundled sample tour from `tools/content/*.ron`:
//! `scenes/*.ron`, panoramas, thumbnails, narration audio with timed cues, and floor plans.
//!
//!     cargo run --release --no-default-features --example gen-content   # everything
//!     cargo run --release --no-default-features --example gen-content -- --only gaoqiao-cemetery
//!
//! Needs espeak-ng and oggenc (vorbis-tools) on PATH; `make content` installs them. The output is
//! reproducible: the same content files give the same scene files, images and audio.

#[path = "gen/describe.rs"]
mod describe;
#[path = "gen/paint.rs"]
mod paint;
#[path = "gen/pano.rs"]
mod pano;
#[path = "gen/speech.rs"]
mod speech;
#[path = "gen/write.rs"]
mod write;

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteContent {
    pub id: String,
    pub name: Text,
    pub summary: Text,
    pub category: String,
    pub lat: f64,
    pub lon: f64,
    pub coordinates_estimated: bool,
    pub district: Text,
    pub base_confirmed: bool,
    pub base_note: Text,
    pub sources: Vec<String>,
    pub people: Vec<PersonContent>,
    pub scenes: Vec<SceneContent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonContent {
    pub id: String,
    pub name: Text,
    pub dates: Text,
    pub bio: Text,
    pub martyr: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Setting {
    Gate,
    Square,
    Courtyard,
    Hall,
    Monument,
    Ruins,
    Residence,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneContent {
    pub id: String,
    pub name: Text,
    pub setting: Setting,
    pub info: Vec<InfoContent>,
    pub memorial: Option<MemorialContent>,
    pub narration: Vec<Text>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoContent {
    pub title: Text,
    pub body: Text,
}

#[derive(Debug, Clone, Deserialize)]
pub enum MemorialContent {
    Site,
    Person(String),
}

/// The order of the sites in the tour: sites.md's table order.
pub const SITE_ORDER: [&str; 18] = [
    "chifeng-martyrs-cemetery",
    "liao-shangjing-museum",
    "aohan-museum",
    "xinzhou-museum",
    "linxi-xishan-memorial",
    "harqin-prince-mansion",
    "chifeng-museum",
    "gaoqiao-cemetery",
    "balihan-cemetery",
    "xiquan-cemetery",
    "liao-zhongjing",
    "habuqila-cemetery",
    "han-linfu-residence",
    "ulanbutong-battlefield",
    "kangxiwa-cemetery",
    "guo-junqing-base",
    "liao-shangjing-site",
    "hongshan-site",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("gen-content: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only: Option<&str> = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    // --text-only rewrites the scene files alone, keeping images and audio as they are.
    let text_only = args.iter().any(|a| a == "--text-only");
    let skip_audio = text_only || args.iter().any(|a| a == "--no-audio");

    let assets = root.join("assets");
    copy_static(&root)?;
    let font_bytes = std::fs::read(assets.join(FONT)).map_err(|e| format!("font: {e}"))?;
    let font = ab_glyph::FontRef::try_from_slice(&font_bytes).map_err(|e| format!("font: {e}"))?;

    let mut sites = Vec::new();
    for id in SITE_ORDER {
        let path = root.join("tools/content").join(format!("{id}.ron"));
        let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let site: SiteContent = ron::from_str(&src).map_err(|e| format!("{}:{e}", path.display()))?;
        if site.id != id {
            return Err(format!("{}: id `{}` does not match the file name", path.display(), site.id));
        }
        sites.push(site);
    }

    write::tour_file(&root.join("scenes/tour.ron"), &sites)?;
    for (index, site) in sites.iter().enumerate() {
        if only.is_some_and(|o| o != site.id) {
            continue;
        }
        eprintln!("[{}/{}] {}", index + 1, sites.len(), site.id);
        let layout = write::layout(&sites, index);
        let mut narrations = Vec::new();
        for (k, scene) in site.scenes.iter().enumerate() {
            if !text_only {
                let img = pano::render(site, scene, k, &layout.scenes[k], &font);
                // Every panorama becomes a multires pyramid, as `cloudhall tiles` makes them.
                let pyramid = assets.join(pano_dir(&site.id, &scene.id));
                let full = if (site.id.as_str(), scene.id.as_str()) == pano::DETAILED {
                    pano::caption_wall(&img, site, &font)
                } else {
                    img.clone()
                };
                let (width, height) = full.dimensions();
                let rgb = cloudhall::tiles::faces::Rgb { width, height, data: full.into_raw() };
                let opts = cloudhall::tiles::Options { tile: TILE, quality: 82 };
                cloudhall::tiles::make_from_image(&rgb, &pyramid, opts)
                    .map_err(|e| format!("{}/{}: {e}", site.id, scene.id))?;
                let _ = std::fs::remove_file(assets.join(format!("pano/{}/{}.jpg", site.id, scene.id)));
                // web/bench compares viewers on one scene as a pyramid and as a single JPEG.
                if (site.id.as_str(), scene.id.as_str()) == BENCH_SCENE {
                    write_jpeg(&img, &root.join("web/bench/square.jpg"), 82)?;
                }
                let thumb = image::imageops::resize(&img, 384, 192, image::imageops::FilterType::Triangle);
                write_jpeg(&thumb, &assets.join(format!("thumbs/{}/{}.jpg", site.id, scene.id)), 80)?;
            }
            let audio_rel = format!("audio/{}/{}.ogg", site.id, scene.id);
            let narration = if skip_audio {
                speech::read_existing(&root.join("scenes").join(format!("{}.ron", site.id)), &scene.id)
                    .ok_or_else(|| format!("--no-audio: no earlier narration for {}/{}", site.id, scene.id))?
            } else {
                speech::narrate(&scene.narration, &assets.join(&audio_rel))?
            };
            eprintln!("    {}: {:.1} s, {} cues", scene.id, narration.duration, narration.cues.len());
            narrations.push((audio_rel, narration));
        }
        let plan_rel = format!("plans/{}.png", site.id);
        if !text_only {
            let plan = paint::floor_plan(site, &layout, &font);
            let plan_path = assets.join(&plan_rel);
            std::fs::create_dir_all(plan_path.parent().unwrap_or(&assets)).map_err(|e| e.to_string())?;
            plan.save(&plan_path).map_err(|e| format!("{}: {e}", plan_path.display()))?;
        }
        write::site_file(
            &root.join("scenes").join(format!("{}.ron", site.id)),
            &sites,
            index,
            &layout,
            &narrations,
            &plan_rel,
        )?;
    }
    Ok(())
}

/// The scene web/bench shows, whose panorama is also kept there as one JPEG.
const BENCH_SCENE: (&str, &str) = ("chifeng-museum", "square");

/// Tile edge of the bundled pyramids.
pub const TILE: u32 = 512;

/// Where a scene's pyramid lives under assets/.
pub fn pano_dir(site: &str, scene: &str) -> String {
    format!("pano/{site}/{scene}")
}

/// The `Multires(...)` of a scene's pyramid, as `cloudhall tiles` would write it.
pub fn pano_ron(site: &str, scene: &str) -> String {
    let width = if (site, scene) == pano::DETAILED { pano::DETAILED_W } else { pano::W };
    let (face, levels) = cloudhall::tiles::plan(width, TILE);
    cloudhall::tiles::tour_edit::multires_ron(&cloudhall::tiles::multires(&pano_dir(site, scene), face, levels, TILE))
}

/// The bundled font, under assets/: WenQuanYi Micro Hei, which covers Chinese and Latin.
pub const FONT: &str = "fonts/wqy-microhei.ttf";
const FONT_SOURCE: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn copy_static(root: &Path) -> Result<(), String> {
    let copy = |from: &Path, to: PathBuf| -> Result<(), String> {
        std::fs::create_dir_all(to.parent().unwrap_or(root)).map_err(|e| e.to_string())?;
        std::fs::copy(from, &to).map(|_| ()).map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
    };
    // Debian ships the font as a collection; the viewer wants a plain TrueType file.
    let ttc = std::fs::read(FONT_SOURCE).map_err(|e| format!("{FONT_SOURCE}: {e} (install fonts-wqy-microhei)"))?;
    let ttf = first_font_of_collection(&ttc).ok_or_else(|| format!("{FONT_SOURCE}: not a font collection"))?;
    std::fs::create_dir_all(root.join("assets/fonts")).map_err(|e| e.to_string())?;
    std::fs::write(root.join("assets").join(FONT), ttf).map_err(|e| e.to_string())?;
    copy(Path::new("/usr/share/common-licenses/Apache-2.0"), root.join("assets/fonts/LICENSE-Apache-2.0.txt"))?;
    copy(
        Path::new("/usr/share/doc/fonts-wqy-microhei/copyright"),
        root.join("assets/fonts/COPYRIGHT-wqy-microhei.txt"),
    )?;
    let outline = root.join("../shared/data/chifeng-outline.geojson");
    if outline.is_file() {
        copy(&outline, root.join("assets/map/chifeng-outline.geojson"))?;
    }
    Ok(())
}

fn write_jpeg(img: &image::RgbImage, path: &Path, quality: u8) -> Result<(), String> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, quality)
        .encode_image(img)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The first font of a TrueType collection (.ttc) as a standalone .ttf: its table directory with
/// the tables it points to, re-packed with new offsets.
fn first_font_of_collection(ttc: &[u8]) -> Option<Vec<u8>> {
    let u32_at = |o: usize| ttc.get(o..o + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let u16_at = |o: usize| ttc.get(o..o + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    if ttc.get(0..4)? != b"ttcf" {
        return None;
    }
    let dir = u32_at(12)? as usize;
    let num_tables = u16_at(dir + 4)? as usize;
    let mut out = ttc.get(dir..dir + 12)?.to_vec();
    let mut records = Vec::new();
    let mut data = Vec::new();
    let data_start = 12 + 16 * num_tables;
    for i in 0..num_tables {
        let r = dir + 12 + 16 * i;
        let (tag, sum, off, len) = (u32_at(r)?, u32_at(r + 4)?, u32_at(r + 8)? as usize, u32_at(r + 12)? as usize);
        let new_off = data_start + data.len();
        data.extend_from_slice(ttc.get(off..off + len)?);
        while data.len() % 4 != 0 {
            data.push(0);
        }
        for v in [tag, sum, new_off as u32, len as u32] {
            records.extend_from_slice(&v.to_be_bytes());
        }
    }
    out.extend_from_slice(&records);
    out.extend_from_slice(&data);
    Some(out)
}
