//! The GPU panorama renderer, headlessly on Mesa's software Vulkan: the same source image as an
//! equirectangular image, as six cube faces and as a multires pyramid (made by `cloudhall
//! tiles`) shows the same picture; a multires scene loads its top level only when zoomed in,
//! and panning keeps its tile cache under the bound.
#![cfg(feature = "viewer")]

use std::path::{Path, PathBuf};

use bevy::prelude::*;

use cloudhall::pano::ViewState;
use cloudhall::tiles::{self, Options, faces};
use cloudhall::tour::Lang;
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{capture, headless_app, pump, settle};
use cloudhall::viewer::look::Look;
use cloudhall::viewer::panorama::{PanoramaStatus, TextureLimit};
use cloudhall::viewer::tiles::TileStream;

const W: u32 = 320;
const H: u32 = 200;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A tour in a fresh folder whose one site has the given scenes (RON), and its assets folder.
fn tour_with(tag: &str, scenes_ron: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("cloudhall-kinds-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (scenes, assets) = (dir.join("scenes"), dir.join("assets"));
    std::fs::create_dir_all(&assets).expect("dir");
    std::fs::create_dir_all(&scenes).expect("dir");
    std::fs::copy(fixture("assets/outline.geojson"), assets.join("outline.geojson")).expect("copy");
    std::fs::copy(fixture("render/tour.ron"), scenes.join("tour.ron")).expect("copy");
    let site = format!(
        r#"Site(
    id: "orient",
    name: (zh: "方位厅", en: "Orientation Hall"),
    summary: (zh: "测试。", en: "Test."),
    category: "ancient-civilisation",
    location: (lat: 42.26, lon: 118.89, district: (zh: "红山区", en: "Hongshan District")),
    education_base: (confirmed: false, note: (zh: "测试。", en: "Test.")),
    sources: ["test fixture"],
    scenes: [{scenes_ron}],
)
"#
    );
    std::fs::write(scenes.join("orient.ron"), site).expect("site");
    (scenes, assets)
}

fn scene_ron(id: &str, panorama: &str) -> String {
    format!(
        r#"(id: "{id}", name: (zh: "场景", en: "Scene"), panorama: {panorama}, view: (yaw: 0.0, pitch: 0.0, hfov: 90.0), limits: (min_hfov: 5.0, max_hfov: 120.0, min_pitch: -90.0, max_pitch: 90.0)),"#
    )
}

/// The test panorama (orientation discs, sky, floor) at 2048x1024, the smallest `tiles` takes.
fn big_test_pano() -> faces::Rgb {
    let src = image::open(fixture("assets/test-pano.png")).expect("test pano").to_rgb8();
    let big = image::imageops::resize(&src, 2048, 1024, image::imageops::FilterType::Triangle);
    faces::Rgb { width: 2048, height: 1024, data: big.into_raw() }
}

fn save_rgb(img: &faces::Rgb, path: &Path) {
    image::RgbImage::from_raw(img.width, img.height, img.data.clone()).expect("rgb").save(path).expect("save");
}

fn look_at(app: &mut App, yaw: f32, pitch: f32, hfov: f32) {
    let mut look = app.world_mut().resource_mut::<Look>();
    look.view = ViewState { yaw, pitch, hfov };
    look.velocity = (0.0, 0.0);
}

/// Set the view, wait for its tiles, and capture a frame.
fn frame_at(app: &mut App, target: &Handle<Image>, yaw: f32, pitch: f32, hfov: f32) -> image::RgbaImage {
    look_at(app, yaw, pitch, hfov);
    pump(app);
    settle(app).expect("settles");
    capture(app, target).expect("frame")
}

fn open(scenes: &Path, scene: &str) -> (App, Handle<Image>) {
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some("orient".into()),
        scene: Some(scene.into()),
        ..ViewerOptions::new(scenes)
    };
    let (mut app, target) = headless_app(options, W, H).expect("app");
    settle(&mut app).expect("panorama loads");
    assert_eq!(*app.world().resource::<PanoramaStatus>(), PanoramaStatus::Shown, "{scene} is shown");
    (app, target)
}

/// Mean absolute difference per channel over the middle of two frames (the interface's bars
/// at the top and bottom are left out).
fn middle_difference(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    for y in H / 4..3 * H / 4 {
        for x in W / 8..7 * W / 8 {
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            for c in 0..3 {
                sum += (p[c] as i32 - q[c] as i32).unsigned_abs() as u64;
                n += 1;
            }
        }
    }
    sum as f64 / n as f64
}

fn close(px: [u8; 4], want: [u8; 3], tol: i32) -> bool {
    (0..3).all(|i| (px[i] as i32 - want[i] as i32).abs() <= tol)
}

/// Views each kind is rendered at: the four discs at two zooms, straight up and straight down.
const VIEWS: [(f32, f32, f32); 10] = [
    (0.0, 0.0, 30.0),
    (90.0, 0.0, 30.0),
    (180.0, 0.0, 30.0),
    (-90.0, 0.0, 30.0),
    (0.0, 0.0, 110.0),
    (90.0, 0.0, 110.0),
    (180.0, 0.0, 110.0),
    (-90.0, 0.0, 110.0),
    (30.0, 90.0, 110.0),
    (30.0, -90.0, 110.0),
];
/// What the centre of each view shows.
const CENTRES: [[u8; 3]; 4] = [[230, 30, 30], [30, 180, 60], [30, 80, 230], [240, 200, 20]];
/// The most the kinds may differ on average (per channel, 0-255): resampling through a cube
/// face or a tile level and JPEG tiles soften edges a little, nothing more.
const TOLERANCE: f64 = 6.0;

#[test]
fn equirect_cube_and_multires_show_the_same_picture() {
    let src = big_test_pano();
    let (scenes, assets) = tour_with(
        "three",
        &[
            scene_ron("eq", r#"Equirect("big.png")"#),
            scene_ron(
                "cube",
                r#"Cube("cube/f.png", "cube/r.png", "cube/b.png", "cube/l.png", "cube/u.png", "cube/d.png")"#,
            ),
            scene_ron("multi", &cloudhall::tiles::tour_edit::multires_ron(&tiles::multires("pyr", 648, 3, 256))),
        ]
        .concat(),
    );
    save_rgb(&src, &assets.join("big.png"));
    std::fs::create_dir_all(assets.join("cube")).expect("dir");
    for face in ['f', 'r', 'b', 'l', 'u', 'd'] {
        save_rgb(&faces::face(&src, face, 512), &assets.join(format!("cube/{face}.png")));
    }
    let made = tiles::make_from_image(&src, &assets.join("pyr"), Options { tile: 256, quality: 92 }).expect("tiles");
    assert_eq!((made.face_size, made.levels), (648, 3));
    let loaded = cloudhall::tour::load_with(&scenes, cloudhall::tour::AssetCheck::Full);
    assert!(loaded.tour.is_some(), "the three kinds check: {:?}", loaded.diagnostics);

    let mut frames: Vec<Vec<image::RgbaImage>> = Vec::new();
    for scene in ["eq", "cube", "multi"] {
        let (mut app, target) = open(&scenes, scene);
        let mut shots = Vec::new();
        for (i, &(yaw, pitch, hfov)) in VIEWS.iter().enumerate() {
            let img = frame_at(&mut app, &target, yaw, pitch, hfov);
            let px = img.get_pixel(W / 2, H / 2).0;
            if i < 8 {
                let want = CENTRES[i % 4];
                assert!(close(px, want, 40), "{scene} at yaw {yaw} hfov {hfov}: centre {px:?}, want {want:?}");
            } else if pitch > 0.0 {
                assert!(close(px, [120, 190, 255], 30), "{scene}: straight up shows the sky: {px:?}");
            } else {
                assert!(close(px, [110, 70, 40], 30), "{scene}: straight down shows the floor: {px:?}");
            }
            shots.push(img);
        }
        frames.push(shots);
    }
    for (k, name) in [(1, "cube"), (2, "multires")] {
        for (i, view) in VIEWS.iter().enumerate() {
            let d = middle_difference(&frames[0][i], &frames[k][i]);
            println!("{name} vs equirect at {view:?}: mean difference {d:.2}");
            if d > TOLERANCE {
                let out = std::env::temp_dir();
                frames[0][i].save(out.join(format!("kinds-eq-{i}.png"))).ok();
                frames[k][i].save(out.join(format!("kinds-{name}-{i}.png"))).ok();
            }
            assert!(d <= TOLERANCE, "{name} differs from equirect by {d:.2} at {view:?} (frames in {})", out_dir());
        }
    }
    let _ = std::fs::remove_dir_all(scenes.parent().expect("dir"));
}

fn out_dir() -> String {
    std::env::temp_dir().display().to_string()
}

/// A 4096x2048 panorama of grey with the finest vertical stripes (alternate columns) around
/// yaw 0: legible only at the pyramid's top level, even grey below it.
fn striped() -> faces::Rgb {
    let (w, h) = (4096u32, 2048u32);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let near_front = (x as i32 - 2048).abs() < 600 && (y as i32 - 1024).abs() < 500;
            let v = if near_front && x % 2 == 0 {
                240
            } else if near_front {
                20
            } else {
                128
            };
            data.extend_from_slice(&[v, v, v]);
        }
    }
    faces::Rgb { width: w, height: h, data }
}

/// Mean difference between horizontally neighbouring pixels in the middle of the frame.
fn detail(img: &image::RgbaImage) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    for y in H / 3..2 * H / 3 {
        for x in W / 4..3 * W / 4 {
            let (p, q) = (img.get_pixel(x, y).0, img.get_pixel(x + 1, y).0);
            sum += (p[0] as i32 - q[0] as i32).unsigned_abs() as u64;
            n += 1;
        }
    }
    sum as f64 / n as f64
}

#[test]
fn multires_loads_the_top_level_only_when_zoomed_and_keeps_its_cache_bounded() {
    let (scenes, assets) = tour_with(
        "lod",
        &scene_ron("multi", &cloudhall::tiles::tour_edit::multires_ron(&tiles::multires("pyr", 1296, 3, 512))),
    );
    let made =
        tiles::make_from_image(&striped(), &assets.join("pyr"), Options { tile: 512, quality: 90 }).expect("tiles");
    assert_eq!((made.face_size, made.levels), (1296, 3));
    let (mut app, target) = open(&scenes, "multi");

    // A wide view needs level 1 only (320 px across 110°): nothing above it is fetched.
    let wide = frame_at(&mut app, &target, 0.0, 0.0, 110.0);
    let stream = app.world().resource::<TileStream>();
    assert_eq!(stream.level, 1, "320 px across 110° need no more than level 1");
    assert!(stream.max_requested < 3, "a wide view fetched level {}", stream.max_requested);
    println!("wide view: level {}, detail {:.1}", stream.level, detail(&wide));

    // Zoomed in on the stripes, first with the levels capped below the top, then as the view needs.
    app.world_mut().resource_mut::<TileStream>().max_level = Some(2);
    let blurred = frame_at(&mut app, &target, 0.0, 0.0, 15.0);
    assert_eq!(app.world().resource::<TileStream>().max_requested, 2);
    app.world_mut().resource_mut::<TileStream>().max_level = None;
    let sharp = frame_at(&mut app, &target, 0.0, 0.0, 15.0);
    let stream = app.world().resource::<TileStream>();
    assert_eq!(stream.level, 3, "a 15° view needs the top level");
    assert!(stream.ready_at(3) > 0, "top-level tiles are on screen");
    let (d_blur, d_sharp) = (detail(&blurred), detail(&sharp));
    println!("zoomed: detail {d_blur:.1} before the top level, {d_sharp:.1} with it");
    assert!(d_sharp > 15.0 && d_sharp > 4.0 * d_blur, "the stripes are legible only at the top level");

    // Panning all the way round at that zoom: the cache stays under its bound though it
    // loads more than the bound holds.
    let budget = 12u64 << 20;
    app.world_mut().resource_mut::<TileStream>().budget = budget;
    let mut peak = 0;
    for step in 0..12 {
        let yaw = -180.0 + 30.0 * step as f32;
        look_at(&mut app, yaw, if step % 2 == 0 { 20.0 } else { -20.0 }, 15.0);
        pump(&mut app);
        settle(&mut app).expect("tiles");
        pump(&mut app);
        peak = peak.max(app.world().resource::<TileStream>().bytes());
    }
    let stream = app.world().resource::<TileStream>();
    println!(
        "pan: {} tiles loaded, peak {:.1} MB of a {:.1} MB bound",
        stream.loaded_total,
        peak as f64 / 1048576.0,
        budget as f64 / 1048576.0
    );
    assert!(peak <= budget, "the tile cache reached {peak} bytes, over its bound of {budget}");
    assert!(stream.loaded_total as u64 * 512 * 512 * 4 / 2 > budget, "the pan loaded more than the bound holds");
    let _ = std::fs::remove_dir_all(scenes.parent().expect("dir"));
}

#[test]
fn an_equirect_wider_than_the_device_allows_is_drawn_from_two_textures() {
    // The 2048-wide test panorama on a device capped at 1024-pixel textures: two 1024x1024
    // halves that meet at yaw 0, right behind the red disc ahead.
    let src = big_test_pano();
    let (scenes, assets) = tour_with("split", &scene_ron("eq", r#"Equirect("big.png")"#));
    save_rgb(&src, &assets.join("big.png"));
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some("orient".into()),
        scene: Some("eq".into()),
        ..ViewerOptions::new(&scenes)
    };
    let (mut whole, target_whole) = headless_app(options.clone(), W, H).expect("app");
    settle(&mut whole).expect("loads");
    let (mut split, target_split) = headless_app(options, W, H).expect("app");
    split.insert_resource(TextureLimit(1024));
    settle(&mut split).expect("loads");
    assert_eq!(split.world().resource::<TextureLimit>().0, 1024);
    let images = split.world().resource::<Assets<Image>>();
    let widest = images.iter().filter(|(_, i)| i.height() == 1024).map(|(_, i)| i.width()).max();
    assert_eq!(widest, Some(1024), "the halves are 1024 wide");
    for (yaw, pitch, hfov) in [(0.0, 0.0, 30.0), (0.5, 10.0, 15.0), (180.0, 0.0, 30.0), (-90.0, 0.0, 110.0)] {
        let a = frame_at(&mut whole, &target_whole, yaw, pitch, hfov);
        let b = frame_at(&mut split, &target_split, yaw, pitch, hfov);
        let d = middle_difference(&a, &b);
        println!("two textures vs one at ({yaw}, {pitch}, {hfov}): mean difference {d:.2}");
        assert!(d <= 1.0, "the split shows at yaw {yaw}: {d:.2}");
    }
    let _ = std::fs::remove_dir_all(scenes.parent().expect("dir"));
}

#[test]
fn check_reports_cube_faces_that_are_not_square_or_not_of_one_size() {
    let (scenes, assets) = tour_with(
        "cubecheck",
        &scene_ron("cube", r#"Cube("c/f.png", "c/r.png", "c/b.png", "c/l.png", "c/u.png", "c/d.png")"#),
    );
    std::fs::create_dir_all(assets.join("c")).expect("dir");
    for (face, (w, h)) in
        [("f", (64, 64)), ("r", (64, 64)), ("b", (32, 32)), ("l", (64, 48)), ("u", (64, 64)), ("d", (64, 64))]
    {
        image::RgbImage::new(w, h).save(assets.join(format!("c/{face}.png"))).expect("save");
    }
    let loaded = cloudhall::tour::load_with(&scenes, cloudhall::tour::AssetCheck::Full);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(loaded.tour.is_none());
    assert!(
        errors.iter().any(|e| e.contains("orient.ron:") && e.contains("c/l.png` is 64x48, not square")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("c/b.png` is 32x32, but the first face is 64x64")), "{errors:?}");
    assert_eq!(errors.len(), 2, "{errors:?}");
    let _ = std::fs::remove_dir_all(scenes.parent().expect("dir"));
}

#[test]
fn the_bundled_16k_scene_shows_its_full_detail_only_when_zoomed() {
    // The sample tour's 16384x8192 scene: faces of 5208 px in five levels.
    let scenes = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some("chifeng-museum".into()),
        scene: Some("hall-liao-to-qing".into()),
        ..ViewerOptions::new(&scenes)
    };
    let (mut app, target) = headless_app(options, 1280, 720).expect("app");
    settle(&mut app).expect("loads");
    frame_at(&mut app, &target, -130.0, 4.0, 110.0);
    let stream = app.world().resource::<TileStream>();
    assert!(stream.max_requested <= 3, "a wide view fetched level {} of 5", stream.max_requested);
    // Zoomed on the caption wall: with the levels capped at 3 the captions are a blur; with the
    // top level they are lines of ink.
    let ink = |img: &image::RgbaImage| {
        let mut dark = 0;
        for y in 200..500 {
            for x in 300..980 {
                if img.get_pixel(x, y).0[0] < 100 {
                    dark += 1;
                }
            }
        }
        dark
    };
    app.world_mut().resource_mut::<TileStream>().max_level = Some(3);
    let capped = ink(&frame_at(&mut app, &target, -130.0, 4.0, 20.0));
    app.world_mut().resource_mut::<TileStream>().max_level = None;
    let dark = ink(&frame_at(&mut app, &target, -130.0, 4.0, 20.0));
    let stream = app.world().resource::<TileStream>();
    assert_eq!(stream.level, 5);
    assert!(stream.ready_at(5) > 0);
    println!(
        "caption wall at 20°: {capped} ink pixels at level 3, {dark} at level 5; tile cache {:.1} MB",
        stream.bytes() as f64 / 1048576.0
    );
    assert!(dark > 500 && dark > 3 * capped, "the captions are legible only at the top level");
}
