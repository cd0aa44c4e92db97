//! The VR glasses mode and the gyroscope look, headlessly on Mesa's software Vulkan: the stereo
//! frame (two eyes side by side, the reticle in each centre, the same hotspot in both), the
//! lens's barrel distortion checked against the lens model on a known straight edge, gaze
//! selection (a Go after two seconds, not before; an Info board; a flower; the floor's exit),
//! and device orientation turning the view without a jump.
#![cfg(feature = "viewer")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;

use cloudhall::narration::SILENT_DWELL;
use cloudhall::pano::ViewState;
use cloudhall::tour::Lang;
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::gyro::{DeviceOrientation, GyroCommand, GyroLook, GyroState};
use cloudhall::viewer::headless::{capture, headless_app, pump, settle};
use cloudhall::viewer::look::Look;
use cloudhall::viewer::memorial::Memorial;
use cloudhall::viewer::narration::NarrationCommand;
use cloudhall::viewer::nav::Current;
use cloudhall::viewer::panorama::PanoramaStatus;
use cloudhall::viewer::ui::Panel;
use cloudhall::viewer::vr::{VrCommand, VrMode, VrState};
use cloudhall::vr::lens::{Lens, eyes};

const W: u32 = 1280;
const H: u32 = 640;
/// Where the test panorama's edge runs: a meridian, a straight vertical line in a level view.
const EDGE_YAW: f32 = 20.0;
const DARK: u8 = 40;
const LIGHT: u8 = 150;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A tour whose panorama is dark left of yaw 20 and light right of it, with a Go, an Info and a
/// Memorial hotspot, in a fresh folder.
fn vr_tour(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cloudhall-vr-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (scenes, assets) = (dir.join("scenes"), dir.join("assets"));
    std::fs::create_dir_all(&assets).expect("dir");
    std::fs::create_dir_all(&scenes).expect("dir");
    std::fs::copy(fixture("assets/outline.geojson"), assets.join("outline.geojson")).expect("copy");
    std::fs::copy(fixture("render/tour.ron"), scenes.join("tour.ron")).expect("copy");
    // The bundled font, so the boards' text is drawn.
    std::fs::create_dir_all(assets.join("fonts")).expect("dir");
    let font = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fonts/wqy-microhei.ttf");
    std::fs::copy(font, assets.join("fonts/wqy-microhei.ttf")).expect("font");
    let (w, h) = (2048u32, 1024u32);
    let edge = ((0.5 + EDGE_YAW / 360.0) * w as f32).round() as u32;
    let pano = image::RgbImage::from_fn(w, h, |x, _| {
        let v = if x >= edge && x < edge + w / 8 { LIGHT } else { DARK };
        image::Rgb([v, v, v])
    });
    pano.save(assets.join("edge.png")).expect("save");
    let site = r#"Site(
    id: "orient",
    name: (zh: "方位厅", en: "Orientation Hall"),
    summary: (zh: "测试。", en: "Test."),
    category: "ancient-civilisation",
    location: (lat: 42.26, lon: 118.89, district: (zh: "红山区", en: "Hongshan District")),
    education_base: (confirmed: false, note: (zh: "测试。", en: "Test.")),
    sources: ["test fixture"],
    scenes: [
        (
            id: "edge",
            name: (zh: "边", en: "Edge"),
            panorama: Equirect("edge.png"),
            view: (yaw: 0.0, pitch: 0.0, hfov: 90.0),
            hotspots: [
                (id: "on", yaw: -20.0, pitch: 0.0, kind: Go(scene: "next")),
                (id: "about", yaw: -60.0, pitch: 10.0, kind: Info(title: (zh: "说明", en: "About"), body: (zh: "边在右边。", en: "The edge is on the right."))),
                (id: "flowers", yaw: 120.0, pitch: 0.0, kind: Memorial(Site)),
            ],
        ),
        (
            id: "next",
            name: (zh: "下一个", en: "Next"),
            panorama: Equirect("edge.png"),
            view: (yaw: 0.0, pitch: 0.0, hfov: 90.0),
            hotspots: [],
        ),
    ],
)
"#;
    std::fs::write(scenes.join("orient.ron"), site).expect("site");
    scenes
}

fn vr_app(tag: &str, distortion: bool) -> (App, Handle<Image>) {
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some("orient".into()),
        scene: Some("edge".into()),
        vr: true,
        distortion,
        queue_file: Some(std::env::temp_dir().join(format!("cloudhall-vr-{tag}-{}.json", std::process::id()))),
        ..ViewerOptions::new(vr_tour(tag))
    };
    let (mut app, target) = headless_app(options, W, H).expect("app");
    settle(&mut app).expect("the panorama loads");
    assert_eq!(*app.world().resource::<PanoramaStatus>(), PanoramaStatus::Shown);
    (app, target)
}

fn look_at(app: &mut App, yaw: f32, pitch: f32) {
    let mut look = app.world_mut().resource_mut::<Look>();
    look.view = ViewState { yaw, pitch, hfov: 90.0 };
    look.velocity = (0.0, 0.0);
    look.target = None;
}

fn frame(app: &mut App, target: &Handle<Image>) -> image::RgbaImage {
    for _ in 0..3 {
        pump(app);
    }
    capture(app, target).expect("frame")
}

/// Where a point a given angle right of and above the eye's view centre shows in the
/// undistorted eye image (pixels), for an eye of `eye.w` x `eye.h` with the lens's field of view.
fn in_eye(eye: cloudhall::vr::lens::Rect, lens: &Lens, yaw: f32, pitch: f32) -> (f32, f32) {
    let f = eye.w / 2.0 / (lens.eye_hfov / 2.0).to_radians().tan();
    let (x, y) = (yaw.to_radians().tan(), pitch.to_radians().tan() / yaw.to_radians().cos());
    (eye.x + eye.w / 2.0 + f * x, eye.y + eye.h / 2.0 - f * y)
}

fn white(p: [u8; 4]) -> bool {
    p[0] > 225 && p[1] > 225 && p[2] > 225
}

#[test]
fn stereo_frame_has_two_eyes_with_the_reticle_and_the_same_hotspot() {
    let (mut app, target) = vr_app("stereo", true);
    look_at(&mut app, 0.0, 0.0);
    let img = frame(&mut app, &target);
    let lens = app.world().resource::<VrMode>().lens;
    let screen = W as f32;
    for (i, eye) in eyes(W as f32, H as f32).into_iter().enumerate() {
        let left = i == 0;
        let name = if left { "left" } else { "right" };
        // The reticle's ring round the middle of the eye's view.
        let c = lens.screen_of(eye, left, screen, (eye.x + eye.w / 2.0, eye.h / 2.0));
        let ring = (-12i32..=12)
            .flat_map(|dy| (-12i32..=12).map(move |dx| (dx, dy)))
            .filter(|(dx, dy)| white(img.get_pixel((c.0 as i32 + dx) as u32, (c.1 as i32 + dy) as u32).0))
            .count();
        assert!(ring >= 8, "the {name} eye has the reticle at {c:?} ({ring} white pixels)");
        // The Go hotspot, 20 degrees left: its blue disc, where the lens puts it.
        let at = lens.screen_of(eye, left, screen, in_eye(eye, &lens, -20.0, 0.0));
        let p = img.get_pixel(at.0 as u32, at.1 as u32).0;
        assert!(p[2] > 120 && p[0] < 80, "the {name} eye shows the Go marker at {at:?}: {p:?}");
        // Outside the lens's reach the screen is black.
        assert_eq!(img.get_pixel(eye.x as u32 + 2, 2).0[..3], [0, 0, 0], "the {name} eye's corner is black");
    }
    // Nothing of the flat interface is drawn: the title's and buttons' corners show the lens's
    // black, and the middle of the screen between the eyes too.
    assert_eq!(img.get_pixel(W - 4, 4).0[..3], [0, 0, 0]);
}

/// The column where the dark-to-light edge crosses row `y` of the eye, scanning from its left.
fn edge_column(img: &image::RgbaImage, eye: cloudhall::vr::lens::Rect, y: u32) -> Option<f32> {
    let mid = (DARK as u32 + LIGHT as u32) / 2;
    let lum = |x: u32| img.get_pixel(x, y).0[1] as u32;
    // Right of the reticle, which sits in the middle.
    let start = (eye.x + eye.w / 2.0) as u32 + 30;
    (start..(eye.x + eye.w) as u32 - 1).find(|&x| lum(x) <= mid && lum(x + 1) > mid).map(|x| x as f32 + 0.5)
}

#[test]
fn the_lens_bends_a_straight_edge_as_its_model_says() {
    let lens = Lens::default();
    let [left, right] = eyes(W as f32, H as f32);
    // Without distortion the meridian at yaw 20 is a straight vertical line in each eye.
    let (mut app, target) = vr_app("flat", false);
    look_at(&mut app, 0.0, 0.0);
    let img = frame(&mut app, &target);
    for eye in [left, right] {
        let want = in_eye(eye, &lens, EDGE_YAW, 0.0).0;
        for y in [200u32, 320, 440] {
            let x = edge_column(&img, eye, y).unwrap_or_else(|| panic!("no edge in row {y}"));
            assert!((x - want).abs() <= 3.0, "undistorted: row {y} has the edge at {x}, the pinhole model says {want}");
        }
    }
    drop(app);

    // With it, each point of that line shows where the lens model puts it, so the line bows.
    let (mut app, target) = vr_app("lens", true);
    look_at(&mut app, 0.0, 0.0);
    let img = frame(&mut app, &target);
    for (i, eye) in [left, right].into_iter().enumerate() {
        let x_line = in_eye(eye, &lens, EDGE_YAW, 0.0).0;
        let mut seen = vec![];
        for q_y in [140.0f32, 220.0, 320.0, 420.0, 500.0] {
            let p = lens.screen_of(eye, i == 0, W as f32, (x_line, q_y));
            let x = edge_column(&img, eye, p.1.round() as u32).unwrap_or_else(|| panic!("no edge in row {}", p.1));
            assert!(
                (x - p.0).abs() <= 3.0,
                "eye {i}: the edge crosses row {} at {x}, the lens model says {}",
                p.1,
                p.0
            );
            seen.push(x);
        }
        // Barrel: the ends of the line are nearer the lens centre than its middle.
        assert!(seen[2] - seen[0] > 6.0 && seen[2] - seen[4] > 6.0, "eye {i}: the line bends: {seen:?}");
    }
}

/// Frames of a tenth of a second each, so gaze times are exact.
fn tick(app: &mut App, frames: u32) {
    for _ in 0..frames {
        pump(app);
    }
}

#[test]
fn gaze_walks_on_after_two_seconds_opens_boards_lays_flowers_and_the_floor_exits() {
    let (mut app, target) = vr_app("gaze", true);
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(100)));
    pump(&mut app);

    // Resting on the Go for 1.5 s and looking away: nothing happens, the ring empties.
    look_at(&mut app, -20.0, 0.0);
    tick(&mut app, 15);
    let progress = app.world().resource::<VrState>().gaze.progress();
    assert!(progress > 0.5 && progress < 1.0, "the ring fills: {progress}");
    look_at(&mut app, 0.0, 0.0);
    tick(&mut app, 2);
    assert_eq!(app.world().resource::<VrState>().gaze.progress(), 0.0);
    look_at(&mut app, -20.0, 0.0);
    tick(&mut app, 15);
    assert_eq!(app.world().resource::<Current>().scene, "edge", "looking away started the time again");

    // The Info hotspot: its board opens in both eyes, and closes when the gaze leaves.
    look_at(&mut app, -60.0, 10.0);
    tick(&mut app, 23);
    assert!(matches!(app.world().resource::<Panel>(), Panel::Hotspot { index: 1, .. }), "the board is open");
    look_at(&mut app, -45.0, 10.0);
    tick(&mut app, 2);
    assert!(matches!(app.world().resource::<Panel>(), Panel::Hotspot { .. }), "still near the board");
    // The board stands a little above its hotspot, in both eyes: its dark ground, not the
    // panorama's grey, fills the middle of each eye when the visitor looks at it.
    look_at(&mut app, -60.0, 27.0);
    let img = frame(&mut app, &target);
    let lens = app.world().resource::<VrMode>().lens;
    for (i, eye) in eyes(W as f32, H as f32).into_iter().enumerate() {
        let c = lens.screen_of(eye, i == 0, W as f32, (eye.x + eye.w / 2.0, eye.h / 2.0));
        let board = (-10i32..=10)
            .flat_map(|dy| (-10i32..=10).map(move |dx| (dx, dy)))
            .filter(|(dx, dy)| {
                let p = img.get_pixel((c.0 as i32 + dx) as u32, (c.1 as i32 + dy) as u32).0;
                p[0] < 30 && p[1] < 30 && p[2] < 34
            })
            .count();
        assert!(board > 150, "eye {i} shows the board ({board} of 441 pixels)");
        // Its title, in gold, across its top.
        let gold = (-90i32..=90)
            .flat_map(|dx| (-80i32..=-20).map(move |dy| (dx, dy)))
            .filter(|(dx, dy)| {
                let p = img.get_pixel((c.0 as i32 + dx) as u32, (c.1 as i32 + dy) as u32).0;
                p[0] > 140 && p[1] > 100 && p[2] < 100
            })
            .count();
        assert!(gold > 15, "eye {i} shows the board's title ({gold} gold pixels)");
    }
    if let Ok(p) = std::env::var("CLOUDHALL_VR_SHOT") {
        img.save(&p).expect("save");
    }
    look_at(&mut app, 60.0, 0.0);
    tick(&mut app, 2);
    assert_eq!(*app.world().resource::<Panel>(), Panel::None, "looking away closes it");

    // The Memorial hotspot lays a flower, once.
    let before = app.world().resource::<Memorial>().queue.items.len();
    look_at(&mut app, 120.0, 0.0);
    tick(&mut app, 40);
    let after = app.world().resource::<Memorial>().queue.items.len();
    assert_eq!(after, before + 1, "one flower");

    // Two seconds on the Go walks on.
    look_at(&mut app, -20.0, 0.0);
    tick(&mut app, 23);
    tick(&mut app, 5);
    assert_eq!(app.world().resource::<Current>().scene, "next", "the gaze walked on");
    assert!(app.world().resource::<VrMode>().on);

    // Straight down: the floor's "exit VR".
    look_at(&mut app, 0.0, -85.0);
    tick(&mut app, 23);
    assert!(!app.world().resource::<VrMode>().on, "looking at the floor left the mode");
    // And V enters again.
    app.world_mut().write_message(VrCommand::Toggle);
    tick(&mut app, 2);
    assert!(app.world().resource::<VrMode>().on);

    // The guided tour runs in VR and moves on by itself: back to the first scene, then on after
    // its silent dwell, though the gaze rests on nothing.
    app.world_mut().write_message(NarrationCommand::StartGuide("orient".into()));
    tick(&mut app, 3);
    assert_eq!(app.world().resource::<Current>().scene, "edge", "the tour starts at the site's first scene");
    look_at(&mut app, 90.0, 0.0);
    let steps = (SILENT_DWELL * 10.0) as u32 + 10;
    tick(&mut app, steps);
    assert_eq!(app.world().resource::<Current>().scene, "next", "the tour walked on by itself");
    assert!(app.world().resource::<VrMode>().on);
}

#[test]
fn the_device_turns_the_view_without_a_jump_and_a_drag_adds_to_it() {
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some("orient".into()),
        scene: Some("edge".into()),
        ..ViewerOptions::new(vr_tour("gyro"))
    };
    let (mut app, _target) = headless_app(options, 320, 200).expect("app");
    settle(&mut app).expect("loads");
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)));
    look_at(&mut app, 30.0, 0.0);
    let reading = |app: &mut App, alpha: f64, beta: f64, gamma: f64| {
        app.world_mut().write_message(DeviceOrientation { alpha, beta, gamma, screen: 0.0 });
        pump(app);
    };
    // The first reading shows there is a gyroscope: it is offered (the native viewer remembers
    // no choice), and the visitor turns it on.
    reading(&mut app, 0.0, 90.0, 0.0);
    assert_eq!(app.world().resource::<GyroLook>().state, GyroState::Offered);
    // The phone's round offer speaks the visitor's language.
    let mut offers = app.world_mut().query_filtered::<&Children, With<cloudhall::viewer::gyro::Offer>>();
    let children: Vec<Entity> = offers.iter(app.world()).flat_map(|c| c.iter()).collect();
    let words: Vec<String> = children.iter().filter_map(|e| app.world().get::<Text>(*e)).map(|t| t.0.clone()).collect();
    assert_eq!(words, ["Gyro"], "the offer's word in English");
    app.world_mut().write_message(GyroCommand::On);
    pump(&mut app);
    for _ in 0..10 {
        reading(&mut app, 0.0, 90.0, 0.0);
    }
    let view = app.world().resource::<Look>().view;
    assert!((view.yaw - 30.0).abs() < 0.5, "no jump: the visitor's yaw is kept: {view:?}");
    // Turning the phone 45 degrees to the right (alpha falls) turns the view with it.
    for _ in 0..30 {
        reading(&mut app, -45.0, 90.0, 0.0);
    }
    let view = app.world().resource::<Look>().view;
    assert!((view.yaw - 75.0).abs() < 0.5, "{view:?}");
    // Tipping its top away looks up.
    for _ in 0..30 {
        reading(&mut app, -45.0, 110.0, 0.0);
    }
    let view = app.world().resource::<Look>().view;
    assert!((view.pitch - 20.0).abs() < 0.5 && (view.yaw - 75.0).abs() < 0.5, "{view:?}");
    // A drag (here: the view moved by the look systems) stays as an offset.
    look_at(&mut app, 55.0, 20.0);
    for _ in 0..30 {
        reading(&mut app, -45.0, 110.0, 0.0);
    }
    let view = app.world().resource::<Look>().view;
    assert!((view.yaw - 55.0).abs() < 0.5, "the drag stays: {view:?}");
    // Off: the view stays where it is and readings no longer move it.
    app.world_mut().write_message(GyroCommand::Off);
    pump(&mut app);
    for _ in 0..10 {
        reading(&mut app, 90.0, 90.0, 0.0);
    }
    let view = app.world().resource::<Look>().view;
    assert!((view.yaw - 55.0).abs() < 0.5, "{view:?}");
}
