//! The viewer rendered headlessly (Mesa's software Vulkan in CI): orientation, poles, hotspot
//! activation by pointer and keyboard, the info panel, and a corrupt panorama.
#![cfg(feature = "viewer")]

mod common;

use std::path::{Path, PathBuf};

use bevy::input::ButtonState;
use bevy::input::mouse::MouseButtonInput;
use bevy::prelude::*;

use cloudhall::pano::ViewState;
use cloudhall::tour::Lang;
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{capture, headless_app, pump, settle};
use cloudhall::viewer::hotspots::HotspotMarker;
use cloudhall::viewer::look::{Look, PointerState};
use cloudhall::viewer::nav::Current;
use cloudhall::viewer::panorama::PanoramaStatus;
use cloudhall::viewer::ui::{ErrorPanel, ErrorText, Panel};

const W: u32 = 320;
const H: u32 = 200;

fn options(tour: &Path) -> ViewerOptions {
    ViewerOptions { lang: Lang::En, ..ViewerOptions::new(tour) }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A copy of the render tour in a fresh folder: (folder, scenes, assets).
fn render_tour_copy(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("cloudhall-{tag}-{}", std::process::id()));
    let (scenes, assets) = (dir.join("scenes"), dir.join("assets"));
    std::fs::create_dir_all(&assets).expect("dir");
    std::fs::create_dir_all(&scenes).expect("dir");
    for f in ["test-pano.png", "test-pano.jpg", "outline.geojson"] {
        std::fs::copy(fixture("assets").join(f), assets.join(f)).expect("copy");
    }
    for f in ["tour.ron", "orient.ron"] {
        std::fs::copy(fixture("render").join(f), scenes.join(f)).expect("copy");
    }
    (dir, scenes, assets)
}

fn close(px: [u8; 4], want: [u8; 3], tol: i32) -> bool {
    (0..3).all(|i| (px[i] as i32 - want[i] as i32).abs() <= tol)
}

fn look_at(app: &mut App, yaw: f32, pitch: f32) {
    let mut look = app.world_mut().resource_mut::<Look>();
    look.view = ViewState { yaw, pitch, hfov: 90.0 };
    look.velocity = (0.0, 0.0);
}

fn centre(app: &mut App, target: &Handle<Image>) -> [u8; 4] {
    pump(app);
    let img = capture(app, target).expect("frame");
    img.get_pixel(W / 2, H / 2).0
}

fn mouse(app: &mut App, state: ButtonState) {
    app.world_mut().write_message(MouseButtonInput { button: MouseButton::Left, state, window: Entity::PLACEHOLDER });
}

/// Press and release a key, a frame each.
fn key(app: &mut App, key_code: KeyCode) {
    common::tap_key(app, key_code, pump);
}

fn current(app: &App) -> String {
    app.world().resource::<Current>().scene.clone()
}

#[test]
fn orientation_poles_and_hotspots() {
    let (mut app, target) = headless_app(options(&fixture("render")), W, H).expect("app");
    settle(&mut app).expect("panorama loads");
    assert_eq!(*app.world().resource::<PanoramaStatus>(), PanoramaStatus::Shown);

    // The test panorama's discs: red ahead (yaw 0), green right (90), blue behind, yellow left.
    for (yaw, colour, name) in [
        (0.0, [230, 30, 30], "red"),
        (90.0, [30, 180, 60], "green"),
        (180.0, [30, 80, 230], "blue"),
        (270.0, [240, 200, 20], "yellow"),
    ] {
        look_at(&mut app, yaw, 0.0);
        let px = centre(&mut app, &target);
        assert!(close(px, colour, 40), "yaw {yaw}: centre is {px:?}, expected the {name} disc {colour:?}");
    }
    look_at(&mut app, 30.0, 90.0);
    let px = centre(&mut app, &target);
    assert!(close(px, [120, 190, 255], 30), "straight up shows the sky: {px:?}");
    look_at(&mut app, 30.0, -90.0);
    let px = centre(&mut app, &target);
    assert!(close(px, [110, 70, 40], 30), "straight down shows the floor: {px:?}");

    // Click the Go hotspot where it is drawn.
    look_at(&mut app, 30.0, -10.0);
    pump(&mut app);
    pump(&mut app);
    let go = {
        let mut q = app.world_mut().query::<&HotspotMarker>();
        q.iter(app.world()).find(|m| m.index == 0).and_then(|m| m.screen).expect("the Go hotspot is on screen")
    };
    app.world_mut().resource_mut::<PointerState>().position = Some(go);
    mouse(&mut app, ButtonState::Pressed);
    pump(&mut app);
    mouse(&mut app, ButtonState::Released);
    pump(&mut app);
    pump(&mut app);
    assert_eq!(current(&app), "second", "clicking the Go hotspot changes the scene");
    let view = app.world().resource::<Look>().view;
    assert!((view.yaw - 180.0).abs() < 0.01 && (view.hfov - 80.0).abs() < 0.01, "faces the target view: {view:?}");
    settle(&mut app).expect("second panorama");

    // Tab focuses the first hotspot (back), Enter activates it.
    key(&mut app, KeyCode::Tab);
    pump(&mut app);
    key(&mut app, KeyCode::Enter);
    pump(&mut app);
    pump(&mut app);
    assert_eq!(current(&app), "discs", "Tab then Enter follows the Go hotspot");

    // Tab twice reaches the Info hotspot; Enter opens its panel.
    key(&mut app, KeyCode::Tab);
    pump(&mut app);
    key(&mut app, KeyCode::Tab);
    pump(&mut app);
    key(&mut app, KeyCode::Enter);
    pump(&mut app);
    pump(&mut app);
    assert!(matches!(app.world().resource::<Panel>(), Panel::Hotspot { index: 1, .. }), "the info panel is open");
    assert_eq!(current(&app), "discs");
}

#[test]
fn a_corrupt_panorama_shows_the_error_panel_and_the_app_keeps_running() {
    // A copy of the render tour whose first panorama is damaged after the tour was loaded.
    let (dir, scenes, assets) = render_tour_copy("corrupt");
    let (mut app, target) = headless_app(options(&scenes), W, H).expect("app");
    std::fs::write(assets.join("test-pano.png"), b"\x89PNG\r\n\x1a\n not a png at all").expect("corrupt");
    settle(&mut app).expect("settles");

    let status = app.world().resource::<PanoramaStatus>().clone();
    let PanoramaStatus::Failed(msg) = status else { panic!("expected a failure, got {status:?}") };
    assert!(msg.contains("test-pano.png"), "the message names the file: {msg}");

    let frame = app.world().resource::<bevy::diagnostic::FrameCount>().0;
    for _ in 0..5 {
        pump(&mut app);
    }
    assert!(app.world().resource::<bevy::diagnostic::FrameCount>().0 >= frame + 5, "the app keeps updating");
    let shown = {
        let mut q = app.world_mut().query_filtered::<&Node, With<ErrorPanel>>();
        q.iter(app.world()).any(|n| n.display != Display::None)
    };
    assert!(shown, "the error panel is shown");
    let text = {
        let mut q = app.world_mut().query_filtered::<&Text, With<ErrorText>>();
        q.iter(app.world()).map(|t| t.0.clone()).collect::<String>()
    };
    assert!(text.contains("test-pano.png"), "the panel names the file: {text}");
    // And the frame still renders.
    let img = capture(&mut app, &target).expect("frame");
    assert_eq!(img.dimensions(), (W, H));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changed_scene_files_reload_in_place_and_mistakes_are_shown() {
    let (dir, scenes, _assets) = render_tour_copy("watch");
    let mut opts = options(&scenes);
    opts.watch = true;
    let (mut app, _target) = headless_app(opts, W, H).expect("app");
    settle(&mut app).expect("settles");

    // Pump until `done` holds, or 15 s have passed (the other tests share the machine).
    let pump_until = |app: &mut App, done: &dyn Fn(&App) -> bool| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::time::Instant::now() < until && !done(app) {
            pump(app);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let body_of = |app: &App| {
        let tour = app.world().resource::<cloudhall::viewer::TourData>();
        match &tour.0.site("orient").and_then(|s| s.scene("discs")).expect("scene").hotspots[1].kind {
            cloudhall::tour::HotspotKind::Info { body, .. } => body.en.clone(),
            _ => String::new(),
        }
    };
    // Filesystems keep modification times to the second on some machines: wait past one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let site = scenes.join("orient.ron");
    let src = std::fs::read_to_string(&site).expect("read");
    std::fs::write(&site, src.replace("Red is ahead.", "Red is straight ahead.")).expect("write");
    pump_until(&mut app, &|app| body_of(app) == "Red is straight ahead.");
    assert_eq!(body_of(&app), "Red is straight ahead.", "the edited text is live");
    assert_eq!(current(&app), "discs", "still in the same scene");

    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&site, src.replace("yaw: 45.0, pitch: -20.0", "yaw: 245.0, pitch: -20.0")).expect("write");
    pump_until(&mut app, &|app| app.world().resource::<cloudhall::viewer::ui::Problems>().tour.is_some());
    let problem = app.world().resource::<cloudhall::viewer::ui::Problems>().tour.clone().expect("a problem is shown");
    assert!(problem.contains("orient.ron:") && problem.contains("yaw 245 is outside"), "{problem}");
    let frame = app.world().resource::<bevy::diagnostic::FrameCount>().0;
    pump(&mut app);
    assert!(app.world().resource::<bevy::diagnostic::FrameCount>().0 > frame, "the viewer keeps running");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a visitor sees in the console from `cloudhall view`: no ICU4X notes (once one per Chinese
/// text), no ALSA probing, no Bevy info lines; the screenshot's one line.
#[test]
fn the_viewer_console_says_only_what_a_user_needs() {
    let out_png = std::env::temp_dir().join(format!("cloudhall-quiet-{}.png", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cloudhall"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .args(["view", "--tour", "scenes", "--screenshot"])
        .arg(&out_png)
        .args(["--width", "320", "--height", "200"])
        .output()
        .expect("run cloudhall view");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("wrote "), "{stdout}");
    for noise in ["ICU4X", "ALSA lib", " INFO "] {
        assert!(!stderr.contains(noise), "`{noise}` in the console:\n{stderr}");
    }
    assert!(stderr.lines().count() <= 3, "a few lines at most:\n{stderr}");
}
