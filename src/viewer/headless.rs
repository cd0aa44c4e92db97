//! `cloudhall view --screenshot`: render one frame of a scene without a window (Mesa's software
//! Vulkan is enough) and write it as a PNG.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::app::AppExit;
use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::render_resource::{Extent3d, PollType, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderDevice;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;

use super::look::{Autorotate, ViewportSize};
use super::panorama::PanoramaStatus;
use super::{CameraTarget, ViewerOptions, ViewerPlugin, asset_root, start_position};
use crate::pano::Viewport;

/// What a screenshot run produced.
#[derive(Debug, Clone)]
pub struct Shot {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    /// The panorama could not be shown; the frame shows the error panel instead.
    pub problem: Option<String>,
    pub frames: u32,
}

/// Longest a screenshot may wait for its panorama.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Frames rendered after the panorama is ready, so layout and text settle.
const SETTLE_FRAMES: u32 = 3;

/// A headless app showing `options`' scene, rendering into an image of `width` x `height`.
pub fn headless_app(options: ViewerOptions, width: u32, height: u32) -> Result<(App, Handle<Image>), String> {
    let (tour, remote) = super::open_tour(&options)?;
    let tour = Arc::new(tour);
    let start = start_position(&tour, options.site.as_deref(), options.scene.as_deref())?;
    let mut app = App::new();
    app.add_plugins(
        super::quiet(DefaultPlugins.build())
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .set(RenderPlugin { synchronous_pipeline_compilation: true, ..default() })
            .set(AssetPlugin { file_path: asset_root(&tour), ..default() })
            .disable::<WinitPlugin>(),
    );
    let mut target = Image::new_uninit(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    target.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    let handle = app.world_mut().resource_mut::<Assets<Image>>().add(target);
    app.insert_resource(CameraTarget(Some(handle.clone())));
    let queue_file = options.queue_file.clone().unwrap_or_else(|| super::memorial::queue_file(remote.as_ref()));
    if let Some(r) = remote {
        app.insert_resource(r);
    }
    app.add_plugins(ViewerPlugin { tour, start, options, queue_file });
    app.insert_resource(ViewportSize(Viewport { width: width as f32, height: height as f32 }));
    app.world_mut().resource_mut::<Autorotate>().enabled = false;
    app.finish();
    app.cleanup();
    Ok((app, handle))
}

/// One frame: update the app and wait for the GPU.
pub fn pump(app: &mut App) {
    app.update();
    if let Some(device) = app.world().get_resource::<RenderDevice>() {
        let _ = device.wgpu_device().poll(PollType::Wait { submission_index: None, timeout: None });
    }
}

/// Pump until the current panorama is shown or has failed, then a few frames more.
pub fn settle(app: &mut App) -> Result<u32, String> {
    let started = Instant::now();
    let mut frames = 0;
    loop {
        pump(app);
        frames += 1;
        if matches!(app.world().resource::<PanoramaStatus>(), PanoramaStatus::Shown | PanoramaStatus::Failed(_)) {
            break;
        }
        if started.elapsed() > TIMEOUT {
            return Err(format!("the panorama did not load within {} s", TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // Then a multires scene's tiles for this view, and the UI's images (thumbnails, panel
    // pictures), so the frame is complete.
    let tiles_started = Instant::now();
    while tiles_started.elapsed() < TIMEOUT && !app.world().resource::<super::tiles::TileStream>().idle() {
        pump(app);
        frames += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    let images_started = Instant::now();
    while images_started.elapsed() < Duration::from_secs(10) && images_loading(app) {
        pump(app);
        frames += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    for _ in 0..SETTLE_FRAMES {
        pump(app);
        frames += 1;
    }
    Ok(frames)
}

fn images_loading(app: &mut App) -> bool {
    let handles: Vec<AssetId<Image>> = {
        let mut q = app.world_mut().query::<&ImageNode>();
        q.iter(app.world()).map(|n| n.image.id()).collect()
    };
    let server = app.world().resource::<AssetServer>();
    handles.iter().any(|id| matches!(server.get_load_state(*id), Some(bevy::asset::LoadState::Loading)))
}

/// Capture the next frame rendered into `target` as RGBA8.
pub fn capture(app: &mut App, target: &Handle<Image>) -> Result<image::RgbaImage, String> {
    let slot: Arc<Mutex<Option<Image>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    app.world_mut().spawn(Screenshot::image(target.clone())).observe(move |ev: On<ScreenshotCaptured>| {
        if let Ok(mut s) = out.lock() {
            *s = Some(ev.image.clone());
        }
    });
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        pump(app);
        std::thread::sleep(Duration::from_millis(5));
        if let Some(img) = slot.lock().ok().and_then(|mut s| s.take()) {
            let dynamic = img.try_into_dynamic().map_err(|e| format!("cannot read the rendered frame: {e}"))?;
            return Ok(dynamic.to_rgba8());
        }
    }
    Err("the rendered frame never arrived from the GPU".into())
}

/// Render one frame of `options`' scene into a PNG at `out`.
pub fn screenshot(options: ViewerOptions, out: &Path, width: u32, height: u32) -> Result<Shot, String> {
    let (mut app, target) = headless_app(options, width, height)?;
    let frames = settle(&mut app)?;
    let img = capture(&mut app, &target)?;
    img.save(out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let problem = match app.world().resource::<PanoramaStatus>() {
        PanoramaStatus::Failed(e) => Some(e.clone()),
        _ => None,
    };
    app.world_mut().write_message(AppExit::Success);
    Ok(Shot { path: out.to_path_buf(), width, height, problem, frames })
}

/// Time from a Go to the new panorama on screen, for a preloaded neighbour and a cold scene.
#[derive(Debug, Clone)]
pub struct GoTimings {
    pub preloaded: Duration,
    pub preloaded_frames: u32,
    pub cold: Duration,
    pub cold_frames: u32,
}

/// Activate a Go to `to` and pump until its panorama is on screen (rendered once more).
fn time_go(app: &mut App, site: &str, scene: &str) -> Result<(Duration, u32), String> {
    use super::nav::GoTo;
    let started = Instant::now();
    app.world_mut().write_message(GoTo { site: site.to_string(), scene: scene.to_string(), view: None });
    let mut frames = 0;
    loop {
        pump(app);
        frames += 1;
        let here = app.world().resource::<super::nav::Current>().scene == scene;
        if here && *app.world().resource::<PanoramaStatus>() == PanoramaStatus::Shown {
            break;
        }
        if started.elapsed() > TIMEOUT {
            return Err(format!("{site}/{scene} did not show within {} s", TIMEOUT.as_secs()));
        }
    }
    // The frame that shows it.
    pump(app);
    Ok((started.elapsed(), frames + 1))
}

/// Measure Go activations in the tour of `options`: first to a scene the start scene links to
/// (preloaded), then to the start scene of the tour's last site (not preloaded).
pub fn bench_go(options: ViewerOptions, width: u32, height: u32) -> Result<GoTimings, String> {
    let (mut app, _target) = headless_app(options, width, height)?;
    settle(&mut app)?;
    // Let the neighbours' preloads finish, as they would while a visitor looks around.
    let (neighbour, cold) = {
        let tour = app.world().resource::<super::TourData>().0.clone();
        let current = app.world().resource::<super::nav::Current>().clone();
        let scene = current.scene(&super::TourData(tour.clone())).ok_or("no start scene")?.clone();
        let neighbour = scene
            .hotspots
            .iter()
            .find_map(|h| match &h.kind {
                crate::tour::HotspotKind::Go { scene, site, .. } => {
                    Some((site.clone().unwrap_or(current.site.clone()), scene.clone()))
                }
                _ => None,
            })
            .ok_or("the start scene has no Go hotspot")?;
        let last = tour.sites.last().ok_or("no sites")?;
        let cold = (last.id.clone(), last.start_scene_id().ok_or("no scenes")?.to_string());
        (neighbour, cold)
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        pump(&mut app);
        let tour = app.world().resource::<super::TourData>().0.clone();
        let ready = tour
            .site(&neighbour.0)
            .and_then(|s| s.scene(&neighbour.1))
            .is_some_and(|s| app.world().resource::<super::panorama::PanoramaCache>().is_ready(&s.panorama));
        if ready {
            break;
        }
    }
    let (preloaded, preloaded_frames) = time_go(&mut app, &neighbour.0, &neighbour.1)?;
    let (cold_t, cold_frames) = time_go(&mut app, &cold.0, &cold.1)?;
    Ok(GoTimings { preloaded, preloaded_frames, cold: cold_t, cold_frames })
}

/// Frame times of a scripted pan and zoom.
#[derive(Debug, Clone)]
pub struct PanTimings {
    pub frames: usize,
    pub median: Duration,
    pub worst: Duration,
    /// Most bytes the multires tile cache held.
    pub peak_tile_bytes: u64,
    pub tiles_loaded: u64,
}

/// Pan all the way round while zooming between 100° and 15°, for `secs` seconds of frames, and
/// time every frame (update plus GPU).
pub fn bench_pan(options: ViewerOptions, width: u32, height: u32, secs: f32) -> Result<PanTimings, String> {
    let (mut app, _target) = headless_app(options, width, height)?;
    settle(&mut app)?;
    let started = Instant::now();
    let mut times = Vec::new();
    let mut peak = 0;
    while started.elapsed().as_secs_f32() < secs {
        let t = started.elapsed().as_secs_f32();
        {
            let mut look = app.world_mut().resource_mut::<super::look::Look>();
            look.view.yaw = crate::pano::wrap_yaw(-180.0 + 360.0 * t / secs);
            look.view.pitch = 15.0 * (t * 0.7).sin();
            look.view.hfov = 57.5 + 42.5 * (t * 0.5).cos();
            look.velocity = (0.0, 0.0);
        }
        let frame = Instant::now();
        pump(&mut app);
        times.push(frame.elapsed());
        peak = peak.max(app.world().resource::<super::tiles::TileStream>().bytes());
    }
    let loaded = app.world().resource::<super::tiles::TileStream>().loaded_total;
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    Ok(PanTimings { frames: times.len(), median, worst, peak_tile_bytes: peak, tiles_loaded: loaded })
}
