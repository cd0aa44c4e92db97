//! `cloudhall tiles`: an equirectangular photo -> a multiresolution cube pyramid in Pannellum's
//! layout (`%l/%s%y_%x.jpg`, faces f b u d l r, level 1 one tile per face), with a small
//! equirectangular preview and a Pannellum `config.json`, so the same folder opens in Pannellum
//! as it is and in cloudhall as a `Multires(...)` panorama.
//!
//! The pyramid is written into a temporary folder beside the output and renamed into place at
//! the end: a failure leaves nothing half-written, and an existing pyramid is replaced only by
//! a complete one.

pub mod command;
pub mod faces;
mod levels;
pub mod stream;
pub mod tour_edit;

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use image::ImageReader;

use crate::tour::Multires;
use faces::Rgb;

/// Smallest and largest accepted inputs (width; the height is half).
pub const MIN_WIDTH: u32 = 2048;
pub const MAX_WIDTH: u32 = 24576;
/// Width of the equirectangular preview.
pub const PREVIEW_WIDTH: u32 = 512;
/// File names inside a pyramid folder.
pub const PREVIEW: &str = "preview.jpg";
pub const CONFIG: &str = "config.json";
/// Faces in the order generate.py writes them (the order of work, not of any format).
const WRITE_ORDER: [char; 6] = ['f', 'b', 'u', 'd', 'l', 'r'];

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Tile edge in pixels.
    pub tile: u32,
    /// JPEG quality, 1..=100.
    pub quality: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options { tile: 512, quality: 85 }
    }
}

/// Face size and level count for an equirectangular image `width` pixels wide, as Pannellum's
/// generate.py computes them: the face keeps the equator's resolution (width/π, rounded down to
/// a multiple of 8), and levels halve it until one tile covers a face.
pub fn plan(width: u32, tile: u32) -> (u32, u32) {
    let face = 8 * (width as f64 / std::f64::consts::PI / 8.0).floor() as u32;
    let tile = tile.min(face).max(1);
    let mut levels = (face as f64 / tile as f64).log2().ceil() as u32 + 1;
    // Python's round() rounds halves to even; so must this, to agree on every width.
    if levels >= 2 && (face as f64 / 2f64.powi(levels as i32 - 2)).round_ties_even() as u32 == tile {
        levels -= 1;
    }
    (face, levels)
}

/// A pyramid's numbers, for a `Multires(...)` whose files live under `prefix` in the assets.
pub fn multires(prefix: &str, face_size: u32, levels: u32, tile: u32) -> Multires {
    let prefix = prefix.trim_end_matches('/');
    Multires {
        path: format!("{prefix}/%l/%s%y_%x.jpg"),
        tile_size: tile.min(face_size),
        levels,
        face_size,
        preview: format!("{prefix}/{PREVIEW}"),
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub face_size: u32,
    pub levels: u32,
    pub tile_size: u32,
    pub tiles: u64,
}

/// How many tiles a pyramid has, for a progress bar.
pub fn tile_count(face_size: u32, levels: u32, tile: u32) -> u64 {
    let m = multires("", face_size, levels, tile);
    (1..=levels).map(|l| 6 * (m.tiles_per_side(l) as u64).pow(2)).sum()
}

/// The width and height of an input image from its header, checked against what `tiles`
/// accepts, so a wrong size fails before a long decode.
pub fn check_input(input: &Path) -> Result<(u32, u32), String> {
    let reader = ImageReader::open(input)
        .map_err(|e| format!("cannot open {}: {e}", input.display()))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    match reader.format() {
        // A JPEG cut short is refused here, before any work (the decoder would grey the rest).
        Some(image::ImageFormat::Jpeg) => {
            is_jpeg(input)?;
        }
        Some(image::ImageFormat::Png) => {}
        _ => return Err(format!("{} is not a JPEG or PNG image", input.display())),
    }
    let (w, h) =
        reader.into_dimensions().map_err(|e| format!("{} is corrupt: {}", input.display(), e.to_string().trim()))?;
    if w != 2 * h {
        return Err(format!(
            "{} is {w}x{h}, not 2:1: an equirectangular panorama covers 360° by 180°, so its width must be twice its height",
            input.display()
        ));
    }
    if w < MIN_WIDTH {
        return Err(format!(
            "{} is {w}x{h}, smaller than {MIN_WIDTH}x{}: too small to tile",
            input.display(),
            MIN_WIDTH / 2
        ));
    }
    if w > MAX_WIDTH {
        return Err(format!(
            "{} is {w}x{h}, larger than the {MAX_WIDTH}x{} this command accepts: scale it down first",
            input.display(),
            MAX_WIDTH / 2
        ));
    }
    Ok((w, h))
}

/// Decode a whole image (a PNG: JPEGs stream instead, see [`stream`]).
fn decode(input: &Path) -> Result<Rgb, String> {
    let bytes = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let mut reader = ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    reader.no_limits();
    let img = reader.decode().map_err(|e| format!("{} is corrupt: {}", input.display(), e.to_string().trim()))?;
    drop(bytes);
    let rgb = img.into_rgb8();
    let (width, height) = rgb.dimensions();
    Ok(Rgb { width, height, data: rgb.into_raw() })
}

/// Whether the file is a JPEG, refusing one cut short even where the decoder would fill the
/// missing rows with grey.
fn is_jpeg(input: &Path) -> Result<bool, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let mut head = [0u8; 2];
    f.read_exact(&mut head).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    if head != [0xFF, 0xD8] {
        return Ok(false);
    }
    let len = f.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let tail_len = len.min(4096);
    f.seek(SeekFrom::Start(len - tail_len)).map_err(|e| e.to_string())?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).map_err(|e| e.to_string())?;
    if !jpeg_complete(&tail) {
        return Err(format!("{} is truncated: the JPEG data ends before its end marker", input.display()));
    }
    Ok(true)
}

/// Whether JPEG bytes end with the end-of-image marker (trailing padding allowed).
fn jpeg_complete(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    end >= 2 && bytes[end - 2..end] == [0xFF, 0xD9]
}

/// Tile the image at `input` into the folder `out` (replaced only when the new pyramid is
/// complete). `progress` is called with the number of tiles written so far.
pub fn make(input: &Path, out: &Path, opts: Options, progress: &(dyn Fn(u64) + Sync)) -> Result<Summary, String> {
    check_input(input)?;
    check_options(opts)?;
    let staging = Staging::new(out)?;
    // A JPEG streams through libjpeg-turbo row by row; a PNG is decoded whole.
    let summary = if is_jpeg(input)? {
        stream::write_pyramid(input, staging.path(), opts, progress)?
    } else {
        let img = decode(input)?;
        write_pyramid(&img, staging.path(), opts, progress)?
    };
    write_config(staging.path(), &summary)?;
    staging.publish()?;
    Ok(summary)
}

/// Tile an image already in memory into `out`, as [`make`] does.
pub fn make_from_image(img: &Rgb, out: &Path, opts: Options) -> Result<Summary, String> {
    if img.width != 2 * img.height || img.width < MIN_WIDTH {
        return Err(format!("the image is {}x{}: it must be 2:1 and at least {MIN_WIDTH} wide", img.width, img.height));
    }
    check_options(opts)?;
    let staging = Staging::new(out)?;
    let summary = write_pyramid(img, staging.path(), opts, &|_| {})?;
    write_config(staging.path(), &summary)?;
    staging.publish()?;
    Ok(summary)
}

fn check_options(opts: Options) -> Result<(), String> {
    if !(1..=100).contains(&opts.quality) {
        return Err(format!("quality {} is outside 1..100", opts.quality));
    }
    if opts.tile < 64 {
        return Err(format!("tile size {} is too small: use 256, 512 or 1024", opts.tile));
    }
    Ok(())
}

/// Pannellum's `config.json` for a finished pyramid.
fn write_config(dir: &Path, s: &Summary) -> Result<(), String> {
    let config = pannellum_config(s.face_size, s.levels, s.tile_size);
    let text = serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?;
    let path = dir.join(CONFIG);
    std::fs::write(&path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Pannellum's multires configuration for this folder, as generate.py writes it; `basePath` is
/// the folder itself, so the file opens in Pannellum as it is.
pub fn pannellum_config(face_size: u32, levels: u32, tile: u32) -> serde_json::Value {
    serde_json::json!({
        "type": "multires",
        "hfov": 100.0,
        "multiRes": {
            "basePath": ".",
            "path": "/%l/%s%y_%x",
            "extension": "jpg",
            "tileResolution": tile,
            "maxLevel": levels,
            "cubeResolution": face_size,
        },
    })
}

/// Write every tile and the preview of an image in memory into `dir`: the same writer as the
/// streaming path, fed every row at once, one face after another.
fn write_pyramid(img: &Rgb, dir: &Path, opts: Options, progress: &(dyn Fn(u64) + Sync)) -> Result<Summary, String> {
    let (face_size, levels) = plan(img.width, opts.tile);
    let m = multires("", face_size, levels, opts.tile);
    levels::make_dirs(dir, levels)?;
    let tiles = AtomicU64::new(0);
    let row_len = img.width as usize * 3;
    let src = |y: usize| &img.data[y * row_len..(y + 1) * row_len];
    for face in WRITE_ORDER {
        let sampler = faces::FaceSampler::new(face, face_size, img.width, img.height);
        let mut writer = levels::LevelWriter::new(&m, levels);
        let mut sink = levels::Sink { dir, m: &m, face, quality: opts.quality, tiles: &tiles, progress };
        levels::run_face(&sampler, &mut writer, &mut 0, &|r| r < face_size, &src, &mut sink, face_size)?;
    }
    let mut preview = levels::Preview::new(img.width as usize, img.height as usize);
    for row in img.data.chunks_exact(row_len) {
        preview.push(row);
    }
    preview.write(dir, opts.quality)?;
    Ok(Summary { face_size, levels, tile_size: m.tile_size, tiles: tiles.into_inner() })
}

fn encode(rgb: &[u8], w: u32, h: u32, path: &Path, quality: u8) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let (w16, h16) = (u16::try_from(w).map_err(|e| fail(&e))?, u16::try_from(h).map_err(|e| fail(&e))?);
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut writer = BufWriter::new(file);
    jpeg_encoder::Encoder::new(&mut writer, quality)
        .encode(rgb, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| fail(&e))?;
    std::io::Write::flush(&mut writer).map_err(|e| fail(&e))
}

/// Whether `out` may be replaced by a new pyramid: when it is missing, empty, or a pyramid this
/// command made (it has its `config.json`). Anything else is someone's files (the photos' own
/// folder, say), which are never deleted.
fn replaceable(out: &Path) -> Result<(), String> {
    let Ok(mut entries) = std::fs::read_dir(out) else { return Ok(()) };
    if entries.next().is_none() || out.join(CONFIG).is_file() {
        return Ok(());
    }
    Err(format!(
        "{} is a folder with other files in it, not a pyramid (it has no {CONFIG}): the pyramid would replace it, so give a new or empty folder for --out",
        out.display()
    ))
}

/// A temporary folder beside the output, removed unless [`Staging::publish`] renames it into
/// place.
struct Staging {
    tmp: PathBuf,
    out: PathBuf,
    published: bool,
}

impl Staging {
    fn new(out: &Path) -> Result<Self, String> {
        if out.is_file() {
            return Err(format!("{} is a file: give a folder for the pyramid", out.display()));
        }
        replaceable(out)?;
        let name =
            out.file_name().ok_or_else(|| format!("{} names no folder", out.display()))?.to_string_lossy().into_owned();
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp).map_err(|e| format!("cannot write into {}: {e}", parent.display()))?;
        Ok(Staging { tmp, out: out.to_path_buf(), published: false })
    }

    fn path(&self) -> &Path {
        &self.tmp
    }

    /// Move the finished pyramid into place; the old one (if any) goes only after that.
    fn publish(mut self) -> Result<(), String> {
        let old = self.tmp.with_file_name(format!(
            ".{}.old-{}",
            self.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.out.exists();
        if had_old {
            // Checked again: the folder may have changed while the tiles were made.
            replaceable(&self.out)?;
            std::fs::rename(&self.out, &old).map_err(|e| format!("cannot replace {}: {e}", self.out.display()))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.out) {
            if had_old {
                let _ = std::fs::rename(&old, &self.out);
            }
            return Err(format!("cannot move the pyramid into {}: {e}", self.out.display()));
        }
        self.published = true;
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_matches_generate_py() {
        assert_eq!(plan(16384, 512), (5208, 5));
        assert_eq!(plan(4096, 512), (1296, 3));
        assert_eq!(plan(2048, 512), (648, 2));
        // generate.py's edge case: one level fewer when the second level is exactly a tile.
        // 12894 wide: face 4104, and 4104/16 = 256.5 rounds (to even) to the 256-pixel tile.
        assert_eq!(plan(12894, 256), (4104, 5));
        assert_eq!(plan(12894, 512).1, 5);
        assert_eq!(plan(24576, 1024).1, 4);
    }

    #[test]
    fn tile_counts_add_up() {
        // 5208: 11x11, 6x6, 3x3, 2x2, 1 per face.
        assert_eq!(tile_count(5208, 5, 512), 6 * (121 + 36 + 9 + 4 + 1));
    }

    #[test]
    fn config_is_pannellums() {
        let c = pannellum_config(5208, 5, 512);
        assert_eq!(c["type"], "multires");
        assert_eq!(c["multiRes"]["cubeResolution"], 5208);
        assert_eq!(c["multiRes"]["maxLevel"], 5);
        assert_eq!(c["multiRes"]["path"], "/%l/%s%y_%x");
        assert_eq!(c["multiRes"]["extension"], "jpg");
    }

    #[test]
    fn jpeg_end_marker() {
        assert!(jpeg_complete(&[0xFF, 0xD8, 1, 2, 0xFF, 0xD9]));
        assert!(jpeg_complete(&[0xFF, 0xD8, 1, 2, 0xFF, 0xD9, 0, 0]));
        assert!(!jpeg_complete(&[0xFF, 0xD8, 1, 2, 3]));
    }
}
