//! The Bevy viewer: one plugin per capability.
//!
//! - [`a11y`]: screen readers: the hall in words and real controls, announcements
//! - [`look`]: camera input (drag, pinch, wheel, keys, inertia, autorotation)
//! - [`gyro`]: looking around by turning the phone
//! - [`nav`]: the current scene and moving between scenes
//! - [`panorama`]: loading, converting, caching and showing panoramas
//! - [`hotspots`]: markers, tooltips, activation
//! - [`narration`], [`narration_ui`], [`audio_out`]: voice narration, subtitles, the guided tour
//! - [`ui`]: names, scene strip, site list, compass, language, panels
//! - [`prefs`]: the visitor's languages, remembered between visits
//! - [`comfort`]: reduced motion, interface and subtitle size, high contrast
//! - [`phone`]: the folded interface for phones and small windows
//! - [`map`]: the city map and the floor-plan mini-map with its view radar
//! - [`visits`]: the hall's visit counter on the map and the site cards
//! - [`memorial`]: offerings, messages, and their queue on disk
//! - [`net`]: the tour and assets from a server, visits
//! - [`live`]: live guided sessions, teacher and students
//! - [`curator`]: reloading changed scene files, F2 placement mode
//! - [`vr`]: the VR glasses mode (side-by-side stereo, lens distortion, gaze)
//! - [`focus`]: keyboard focus over the hotspots and every button, with a visible ring
//! - [`help`]: the keyboard's help panel (`?`) and the skip-to-narration key (N)
//! - [`headless`]: `cloudhall view --screenshot`

pub mod a11y;
pub mod audio_out;
#[cfg(target_arch = "wasm32")]
pub mod browser_images;
pub mod comfort;
pub mod curator;
pub mod focus;
pub mod gyro;
pub mod headless;
pub mod help;
pub mod hotspots;
pub mod io;
pub mod live;
pub mod look;
pub mod map;
pub mod memorial;
pub mod narration;
pub mod narration_ui;
pub mod nav;
pub mod net;
pub mod pano_material;
pub mod panorama;
pub mod phone;
pub mod prefs;
pub mod tiles;
pub mod ui;
pub mod visits;
pub mod vr;
#[cfg(target_arch = "wasm32")]
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;
use bevy::text::Font;

use crate::tour::{Lang, Tour};
use nav::Current;

/// The tour being shown.
#[derive(Resource, Clone)]
pub struct TourData(pub Arc<Tour>);

/// Visitor settings.
#[derive(Resource, Debug, Clone)]
pub struct Settings {
    pub lang: Lang,
}

/// Overrides of the first scene's initial view (degrees).
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct StartView {
    pub yaw: Option<f32>,
    pub pitch: Option<f32>,
    pub hfov: Option<f32>,
}

/// What `cloudhall view` was asked to show.
#[derive(Debug, Clone)]
pub struct ViewerOptions {
    pub tour_dir: PathBuf,
    pub site: Option<String>,
    pub scene: Option<String>,
    pub lang: Lang,
    pub view: StartView,
    pub autorotate: bool,
    /// Reload scene files when they change on disk (curators).
    pub watch: bool,
    /// Start on the city map.
    pub map: bool,
    /// Load the tour and its assets from this `cloudhall serve` instead of `tour_dir`.
    pub server: Option<String>,
    /// Lead or join a live guided session on `server`.
    pub live: Option<crate::live::LiveJoin>,
    /// Open in the VR glasses mode.
    pub vr: bool,
    /// The cardboard viewer's optics for the VR glasses mode.
    pub lens: crate::vr::lens::Lens,
    /// Draw the VR glasses mode with the lens's distortion.
    pub distortion: bool,
    /// Where the memorial keeps what waits for the server (default: the cache folder of the
    /// tour's origin, [`memorial::queue_file`]).
    pub queue_file: Option<PathBuf>,
    /// Remember the visitor's languages between visits ([`prefs`]); off for tests and tools.
    pub remember: bool,
    /// The interface language was asked for (`--lang`, `?lang=`): a remembered one does not
    /// replace it.
    pub lang_given: bool,
    /// Comfort settings given by a link or the command line.
    pub comfort: crate::a11y::ComfortChoice,
}

impl ViewerOptions {
    /// The tour in `tour_dir` at its start, in Chinese, without autorotation, watching or the map.
    pub fn new(tour_dir: impl Into<PathBuf>) -> Self {
        ViewerOptions {
            tour_dir: tour_dir.into(),
            site: None,
            scene: None,
            lang: Lang::Zh,
            view: StartView::default(),
            autorotate: false,
            watch: false,
            map: false,
            server: None,
            live: None,
            vr: false,
            lens: crate::vr::lens::Lens::default(),
            distortion: true,
            queue_file: None,
            remember: false,
            lang_given: true,
            comfort: crate::a11y::ComfortChoice::default(),
        }
    }
}

/// Where to render: the primary window, or an image (headless screenshots and tests).
#[derive(Resource, Debug, Clone, Default)]
pub struct CameraTarget(pub Option<Handle<Image>>);

/// The scene to open: `site` defaults to the tour's start site, `scene` to that site's start scene.
pub fn start_position(tour: &Tour, site: Option<&str>, scene: Option<&str>) -> Result<Current, String> {
    let site_id = site.unwrap_or(&tour.start_site);
    let s = tour.site(site_id).ok_or_else(|| {
        let ids: Vec<&str> = tour.sites.iter().map(|s| s.id.as_str()).collect();
        format!("no site `{site_id}` in the tour; sites are: {}", ids.join(", "))
    })?;
    let scene_id = match scene {
        Some(id) => id,
        None => s.start_scene_id().ok_or_else(|| format!("site `{site_id}` has no scenes"))?,
    };
    if s.scene(scene_id).is_none() {
        let ids: Vec<&str> = s.scenes.iter().map(|s| s.id.as_str()).collect();
        return Err(format!("no scene `{scene_id}` in site `{site_id}`; its scenes are: {}", ids.join(", ")));
    }
    Ok(Current { site: site_id.to_string(), scene: scene_id.to_string() })
}

/// Everything the viewer does, for a tour already loaded and a start already checked.
pub struct ViewerPlugin {
    pub tour: Arc<Tour>,
    pub start: Current,
    pub options: ViewerOptions,
    /// Where the memorial keeps offerings and messages until the server has them.
    pub queue_file: PathBuf,
}

impl Plugin for ViewerPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(TourData(self.tour.clone()))
            .insert_resource(self.start.clone())
            .insert_resource(Settings { lang: self.options.lang })
            .insert_resource(self.options.view)
            .insert_resource(ClearColor(Color::srgb(0.05, 0.05, 0.06)))
            .init_resource::<CameraTarget>()
            .add_plugins((
                look::LookPlugin,
                nav::NavPlugin,
                pano_material::PanoMaterialPlugin,
                panorama::PanoramaPlugin,
                tiles::TilesPlugin,
                hotspots::HotspotsPlugin,
                ui::UiPlugin,
                phone::PhonePlugin,
                narration::NarrationPlugin,
                narration_ui::NarrationUiPlugin,
                map::MapPlugin { open_at_start: self.options.map },
                curator::CuratorPlugin {
                    dir: self.options.tour_dir.clone(),
                    watch: self.options.watch && self.options.server.is_none(),
                },
                net::NetPlugin,
                memorial::MemorialPlugin {
                    queue_file: self.queue_file.clone(),
                    adopt_local: self.options.queue_file.is_none(),
                },
            ))
            .add_plugins((
                prefs::PrefsPlugin { lang_given: self.options.lang_given, remember: self.options.remember },
                visits::VisitCountPlugin,
                gyro::GyroPlugin,
                a11y::A11yPlugin,
                comfort::ComfortPlugin { given: self.options.comfort },
                help::HelpPlugin,
                focus::FocusPlugin,
                vr::VrPlugin { start: self.options.vr, lens: self.options.lens, distortion: self.options.distortion },
            ))
            .add_systems(Startup, (install_font, spawn_camera));
        app.world_mut().resource_mut::<look::Autorotate>().enabled = self.options.autorotate;
        if let (Some(base), Some(join)) = (&self.options.server, &self.options.live) {
            app.add_plugins(live::LivePlugin { base: base.clone(), join: join.clone() });
        }
    }
}

/// The font file to use, where the assets folder cannot be listed (the browser).
#[derive(Resource, Debug, Clone)]
pub struct FontFile(pub PathBuf);

/// The bundled CJK font becomes Bevy's default font, so every text can show Chinese.
fn install_font(tour: Res<TourData>, given: Option<Res<FontFile>>, mut fonts: ResMut<Assets<Font>>) {
    let dir = tour.0.assets_dir.join("fonts");
    let listed = || {
        std::fs::read_dir(&dir).ok().and_then(|entries| {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ttf" || x == "otf"))
                .collect();
            files.sort();
            files.into_iter().next()
        })
    };
    let font = given.map(|f| f.0.clone()).or_else(listed);
    match font.map(|p| (io::read(&p), p)) {
        Some((Ok(bytes), p)) => {
            if fonts.insert(AssetId::default(), Font::from_bytes(bytes)).is_err() {
                warn!("could not install {} as the default font", p.display());
            }
        }
        Some((Err(e), p)) => warn!("cannot read font {}: {e}; Chinese text will not show", p.display()),
        None => warn!("no .ttf font in {}; Chinese text will not show", dir.display()),
    }
}

fn spawn_camera(mut commands: Commands, target: Res<CameraTarget>) {
    let mut camera = commands.spawn((
        Name::new("panorama camera"),
        Camera3d::default(),
        // A photograph is shown as it was taken: no tone curve (which would also need Bevy's
        // lookup tables in the browser download), and no multisampling, which a full-screen
        // panorama does not need and a phone's GPU pays for.
        bevy::core_pipeline::tonemapping::Tonemapping::None,
        Msaa::Off,
        Projection::from(PerspectiveProjection { fov: 70f32.to_radians(), ..default() }),
        look::PanoramaCamera,
        IsDefaultUiCamera,
    ));
    if let Some(handle) = &target.0 {
        camera.insert(bevy::camera::RenderTarget::from(handle.clone()));
    }
}

/// Bevy's plugins as a visitor's console wants them: warnings and errors only unless `RUST_LOG`
/// asks for more; ICU4X's note that it has no word-segmentation model for Chinese (which only
/// word selection would use: lines still break between any two characters) routed into the log
/// and left out of it; and no audio where there is no sound card (one line says the narration
/// runs silently, instead of ALSA's page of errors).
pub fn quiet(plugins: bevy::app::PluginGroupBuilder) -> bevy::app::PluginGroupBuilder {
    let plugins = plugins.set(bevy::log::LogPlugin {
        level: bevy::log::Level::WARN,
        filter: "wgpu=error,naga=warn,icu_provider=off".to_string(),
        ..default()
    });
    #[cfg(not(target_arch = "wasm32"))]
    if !audio_out::sound_card() {
        return plugins.disable::<bevy::audio::AudioPlugin>();
    }
    plugins
}

/// The tour to show: from the server when one is given, else from the tour folder.
pub fn open_tour(options: &ViewerOptions) -> Result<(Tour, Option<net::Remote>), String> {
    match &options.server {
        Some(base) => net::fetch_tour(base).map(|(t, r)| (t, Some(r))),
        None => load_tour(&options.tour_dir).map(|t| (t, None)),
    }
}

/// Load the tour for the viewer: errors are the `cloudhall check` messages.
pub fn load_tour(dir: &std::path::Path) -> Result<Tour, String> {
    crate::tour::load(dir).into_result().map_err(|diags| {
        let lines: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
        format!(
            "the tour in {} has errors (run `cloudhall check {}`):\n{}",
            dir.display(),
            dir.display(),
            lines.join("\n")
        )
    })
}

/// The asset folder as an absolute path, as Bevy's asset server wants it.
pub fn asset_root(tour: &Tour) -> String {
    std::path::absolute(&tour.assets_dir).unwrap_or_else(|_| tour.assets_dir.clone()).display().to_string()
}

/// Open the viewer in a window and run until it is closed.
pub fn run(options: ViewerOptions) -> Result<(), String> {
    let (tour, remote) = open_tour(&options)?;
    let tour = Arc::new(tour);
    let start = start_position(&tour, options.site.as_deref(), options.scene.as_deref())?;
    let title = format!("{} — cloudhall", tour.title.get(options.lang));
    let mut app = App::new();
    app.add_plugins(
        quiet(DefaultPlugins.build())
            .set(WindowPlugin {
                primary_window: Some(Window { title, resolution: (1280u32, 720u32).into(), ..default() }),
                ..default()
            })
            .set(AssetPlugin { file_path: asset_root(&tour), ..default() }),
    );
    let queue_file = options.queue_file.clone().unwrap_or_else(|| memorial::queue_file(remote.as_ref()));
    if let Some(r) = remote {
        app.insert_resource(r);
    }
    app.add_plugins(ViewerPlugin { tour, start, options, queue_file });
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(format!("the viewer stopped with code {code}")),
    }
}
