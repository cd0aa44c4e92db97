//! `cloudhall tiles` as curators run it: a pyramid in Pannellum's layout, a scene pointed at a
//! new pyramid with its file's comments kept, and every bad input refused with nothing left
//! behind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cloudhall-tiles-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn tiles(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudhall")).arg("tiles").args(args).output().expect("run");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The test panorama scaled to `w` x `w/2`, written as `name` (PNG or JPEG by extension).
fn panorama(dir: &Path, name: &str, w: u32) -> PathBuf {
    let src = image::open(fixture("assets/test-pano.png")).expect("pano").to_rgb8();
    let img = image::imageops::resize(&src, w, w / 2, image::imageops::FilterType::Triangle);
    let path = dir.join(name);
    img.save(&path).expect("save");
    path
}

/// Everything in a folder, sorted, as paths relative to it.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap_or(&p).display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_pyramid_in_pannellums_layout() {
    let dir = scratch("layout");
    let input = panorama(&dir, "in.jpg", 2048);
    let out = dir.join("pyr");
    let (ok, stdout, stderr) =
        tiles(&[input.to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "--tile", "256"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("3 levels"), "{stdout}");
    assert!(stderr.is_empty(), "quiet when not on a terminal: {stderr}");
    // 2048 wide: faces of 8·⌊2048/π/8⌋ = 648 px; levels 162, 324, 648 at 256-px tiles.
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).expect("config")).expect("json");
    assert_eq!(config["type"], "multires");
    assert_eq!(config["multiRes"]["cubeResolution"], 648);
    assert_eq!(config["multiRes"]["maxLevel"], 3);
    assert_eq!(config["multiRes"]["tileResolution"], 256);
    let files = listing(&out);
    let tiles: Vec<&String> = files.iter().filter(|f| f.ends_with(".jpg") && !f.starts_with("preview")).collect();
    assert_eq!(tiles.len(), 6 * (1 + 4 + 9));
    for face in ['f', 'b', 'u', 'd', 'l', 'r'] {
        assert!(files.contains(&format!("1/{face}0_0.jpg")));
        assert!(files.contains(&format!("3/{face}2_2.jpg")));
    }
    // Edge tiles are cropped, not padded: 648 = 2·256 + 136.
    assert_eq!(image::image_dimensions(out.join("3/f2_1.jpg")).expect("tile"), (256, 136));
    assert_eq!(image::image_dimensions(out.join("1/u0_0.jpg")).expect("tile"), (162, 162));
    let (pw, ph) = image::image_dimensions(out.join("preview.jpg")).expect("preview");
    assert_eq!(pw, 2 * ph);
    assert!(!listing(&dir).iter().any(|f| f.contains(".partial") || f.contains(".old")), "no temporary folder left");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_inputs_are_refused_and_nothing_is_left_behind() {
    let dir = scratch("bad");
    let out = dir.join("pyr");
    let out_s = out.to_str().expect("utf8").to_string();

    // Not 2:1.
    let wrong = dir.join("wrong.png");
    image::RgbImage::new(2048, 2048).save(&wrong).expect("save");
    // Truncated: a good JPEG cut in half.
    let good = panorama(&dir, "good.jpg", 2048);
    let bytes = std::fs::read(&good).expect("read");
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    // Corrupt: not an image at all.
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"this is not a jpeg").expect("write");
    // Too large: a PNG header that claims 32768x16384 (refused before any decoding).
    let huge = dir.join("huge.png");
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&32768u32.to_be_bytes());
    ihdr.extend_from_slice(&16384u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    std::fs::write(&huge, &png).expect("write");
    // Too small.
    let small = panorama(&dir, "small.png", 1024);

    for (input, says) in [
        (&wrong, "not 2:1"),
        (&cut, "truncated"),
        (&junk, "corrupt"),
        (&huge, "larger than"),
        (&small, "smaller than"),
        (&dir.join("missing.jpg"), "cannot open"),
    ] {
        let (ok, _, stderr) = tiles(&[input.to_str().expect("utf8"), "--out", &out_s]);
        assert!(!ok, "{} was accepted", input.display());
        assert!(stderr.contains(says), "{}: expected `{says}` in: {stderr}", input.display());
        assert!(!out.exists(), "{}: nothing is written", input.display());
        assert!(
            !listing(&dir).iter().any(|f| f.contains(".partial")),
            "{}: no temporary folder is left",
            input.display()
        );
    }

    // An unwritable destination: its parent is a file.
    let (ok, _, stderr) = tiles(&[good.to_str().expect("utf8"), "--out", good.join("pyr").to_str().expect("utf8")]);
    assert!(!ok && stderr.contains("cannot create"), "{stderr}");

    // An existing pyramid survives a failed run, and is replaced by a complete one.
    let (ok, _, stderr) = tiles(&[good.to_str().expect("utf8"), "--out", &out_s, "--tile", "256"]);
    assert!(ok, "{stderr}");
    let before = listing(&out);
    std::fs::write(out.join("marker.txt"), "old").expect("marker");
    let (ok, _, _) = tiles(&[cut.to_str().expect("utf8"), "--out", &out_s]);
    assert!(!ok);
    assert!(out.join("marker.txt").exists(), "a failed run leaves the old pyramid as it was");
    let (ok, _, stderr) = tiles(&[good.to_str().expect("utf8"), "--out", &out_s, "--tile", "512"]);
    assert!(ok, "{stderr}");
    assert!(!out.join("marker.txt").exists(), "a complete run replaces the old pyramid");
    assert_ne!(listing(&out), before, "512-px tiles replaced the 256-px ones");
    assert!(!listing(&dir).iter().any(|f| f.contains(".partial") || f.contains(".old")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tiling_into_a_scene_rewrites_its_panorama_and_keeps_the_file_as_written() {
    let dir = scratch("scene");
    let (scenes, assets) = (dir.join("scenes"), dir.join("assets"));
    std::fs::create_dir_all(&scenes).expect("dir");
    std::fs::create_dir_all(&assets).expect("dir");
    for f in ["test-pano.png", "test-pano.jpg", "outline.geojson"] {
        std::fs::copy(fixture("assets").join(f), assets.join(f)).expect("copy");
    }
    std::fs::copy(fixture("render/tour.ron"), scenes.join("tour.ron")).expect("copy");
    let original = std::fs::read_to_string(fixture("render/orient.ron")).expect("site");
    let commented = original.replace(
        r#"            panorama: Equirect("test-pano.jpg"),"#,
        "            // the second hall (photographed 2025)\n            panorama: Equirect(\"test-pano.jpg\"), // to be re-shot",
    );
    assert_ne!(commented, original);
    std::fs::write(scenes.join("orient.ron"), &commented).expect("site");
    let input = panorama(&dir, "second.jpg", 2048);

    let (ok, stdout, stderr) = tiles(&[
        input.to_str().expect("utf8"),
        "--site",
        "orient",
        "--scene",
        "second",
        "--tour",
        scenes.to_str().expect("utf8"),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let after = std::fs::read_to_string(scenes.join("orient.ron")).expect("site");
    let want = commented.replace(
        r#"Equirect("test-pano.jpg")"#,
        r#"Multires(path: "pano/orient/second/%l/%s%y_%x.jpg", tile_size: 512, levels: 2, face_size: 648, preview: "pano/orient/second/preview.jpg")"#,
    );
    assert_eq!(after, want, "only the panorama's value changed");
    assert!(assets.join("pano/orient/second/config.json").is_file());
    // The tour still checks, with every tile decoded.
    let loaded = cloudhall::tour::load_with(&scenes, cloudhall::tour::AssetCheck::Full);
    assert!(loaded.tour.is_some(), "{:?}", loaded.diagnostics);

    // A missing tile and a tile of the wrong size are reported by `check`, at the panorama.
    std::fs::remove_file(assets.join("pano/orient/second/2/f1_1.jpg")).expect("rm");
    image::RgbImage::new(10, 10).save(assets.join("pano/orient/second/2/u0_0.jpg")).expect("save");
    let out = Command::new(env!("CARGO_BIN_EXE_cloudhall"))
        .args(["check", scenes.to_str().expect("utf8")])
        .output()
        .expect("check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("orient.ron:") && stderr.contains("1 of 30 tiles not found") && stderr.contains("2/f1_1.jpg"),
        "{stderr}"
    );
    assert!(stderr.contains("2/u0_0.jpg is 10x10, not 512x512"), "{stderr}");

    // Unknown scenes are refused before anything is written.
    let (ok, _, stderr) = tiles(&[
        input.to_str().expect("utf8"),
        "--site",
        "orient",
        "--scene",
        "nowhere",
        "--tour",
        scenes.to_str().expect("utf8"),
    ]);
    assert!(!ok && stderr.contains("no scene `nowhere`") && stderr.contains("discs, second"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// CRC-32 as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn a_streamed_jpeg_makes_the_same_pyramid_as_one_decoded_whole() {
    // JPEGs stream through libjpeg-turbo row by row; images in memory (PNGs, the content
    // generator) are tiled whole. Both must give the same tiles, to JPEG's precision.
    use cloudhall::tiles::{self, Options, faces::Rgb};
    let dir = scratch("stream");
    let input = panorama(&dir, "in.jpg", 2600);
    let opts = Options { tile: 256, quality: 95 };
    let streamed = tiles::make(&input, &dir.join("streamed"), opts, &|_| {}).expect("streamed");
    let rgb = image::open(&input).expect("decode").to_rgb8();
    let whole = Rgb { width: rgb.width(), height: rgb.height(), data: rgb.into_raw() };
    let in_memory = tiles::make_from_image(&whole, &dir.join("whole"), opts).expect("whole");
    assert_eq!(streamed, in_memory);
    let files = listing(&dir.join("whole"));
    assert_eq!(files, listing(&dir.join("streamed")));
    let mut worst = 0.0f64;
    for f in files.iter().filter(|f| f.ends_with(".jpg")) {
        let a = image::open(dir.join("whole").join(f)).expect("tile").to_rgb8();
        let b = image::open(dir.join("streamed").join(f)).expect("tile").to_rgb8();
        assert_eq!(a.dimensions(), b.dimensions(), "{f}");
        let diff: u64 =
            a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64).sum();
        worst = worst.max(diff as f64 / a.as_raw().len() as f64);
    }
    println!("streamed vs whole: worst tile differs by {worst:.2} per channel");
    assert!(worst < 2.0, "a streamed tile differs by {worst:.2} per channel");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--out` pointed at a folder of the curator's own files (here the photos' folder) is refused
/// and nothing in it is touched; a folder that is a pyramid, or empty, is replaced.
#[test]
fn only_a_pyramid_or_an_empty_folder_is_replaced() {
    let dir = scratch("replace");
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).expect("dir");
    let input = panorama(&photos, "hall.jpg", 2048);
    std::fs::write(photos.join("notes.txt"), "the hall, 2026").expect("write");
    let before = listing(&photos);
    let (ok, _, stderr) = tiles(&[input.to_str().expect("utf8"), "--out", photos.to_str().expect("utf8")]);
    assert!(!ok, "the photos' folder was replaced");
    assert!(stderr.contains("not a pyramid") && stderr.contains("new or empty folder"), "{stderr}");
    assert_eq!(listing(&photos), before, "every photo is still there");

    let out = dir.join("pyr");
    for round in 0..2 {
        let (ok, _, stderr) = tiles(&[input.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")]);
        assert!(ok, "round {round}: {stderr}");
        assert!(out.join("config.json").is_file());
    }
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let (ok, _, stderr) = tiles(&[input.to_str().expect("utf8"), "--out", empty.to_str().expect("utf8")]);
    assert!(ok, "{stderr}");
}
