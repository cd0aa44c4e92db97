//! Voice narration with subtitles, Info clips, and the one-click guided tour (一键导览).
//!
//! The narration [`Clock`] runs in real time whether or not there is an audio device; the sound
//! ([`super::audio_out`]) plays when it can and is kept in step with the clock.

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::TourData;
use super::look::{Look, VisitorInput};
use super::nav::{Current, GoTo, SceneEntered};
use super::ui::Panel;
use crate::narration::{Clock, Guide, GuideState, GuideStep};
use crate::tour::{AssetCheck, HotspotKind, Lang, Narration};

pub struct NarrationPlugin;

impl Plugin for NarrationPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Playback>()
            .init_resource::<Panel>()
            .init_resource::<AudioSettings>()
            .init_resource::<GuidedTour>()
            .add_message::<NarrationCommand>()
            .add_systems(
                Update,
                (
                    start_scene_narration,
                    start_info_clip,
                    commands,
                    pause_guide_on_input,
                    tick,
                    verify_audio,
                    guide,
                    super::audio_out::systems(),
                )
                    .chain()
                    .in_set(NarrationSystems)
                    .after(super::look::LookSystems)
                    .after(super::nav::NavSystems),
            );
    }
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct NarrationSystems;

/// How the visitor wants narration.
#[derive(Resource, Debug, Clone)]
pub struct AudioSettings {
    /// Start a scene's narration on entering it.
    pub autoplay: bool,
    pub subtitles: Subtitles,
    pub speed: f64,
    /// 0..1.
    pub volume: f32,
    pub muted: bool,
    /// At the end of a site's guided tour, go on to the next site by itself.
    pub continue_tour: bool,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            autoplay: true,
            subtitles: Subtitles::Zh,
            speed: 1.0,
            volume: 0.8,
            muted: false,
            continue_tour: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subtitles {
    Zh,
    En,
    Off,
}

impl Subtitles {
    /// The language shown, `None` when the subtitles are off.
    pub fn lang(self) -> Option<Lang> {
        match self {
            Subtitles::Zh => Some(Lang::Zh),
            Subtitles::En => Some(Lang::En),
            Subtitles::Off => None,
        }
    }

    pub fn next(self) -> Self {
        match self {
            Subtitles::Zh => Subtitles::En,
            Subtitles::En => Subtitles::Off,
            Subtitles::Off => Subtitles::Zh,
        }
    }
}

/// Whose narration is playing.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackSource {
    Scene {
        site: String,
        scene: String,
    },
    /// An Info hotspot's own clip; the scene's narration waits meanwhile.
    Clip {
        site: String,
        scene: String,
        hotspot: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub source: TrackSource,
    pub narration: Narration,
}

/// What is playing, where it is, and why it may be silent.
#[derive(Resource, Default)]
pub struct Playback {
    pub track: Option<Track>,
    pub clock: Clock,
    /// The scene narration an Info clip interrupted, to resume after it.
    suspended: Option<(Track, Clock)>,
    /// The audio file cannot be played: shown in the UI; the clock and subtitles go on.
    pub error: Option<String>,
    /// Why nothing is heard although narration plays (no device); logged once.
    pub silent: Option<String>,
    check: Option<Task<Result<f64, String>>>,
    /// The track's audio decodes (or, in the browser, its headers are sound): it may play.
    pub(super) verified: bool,
    pub(super) playing_for: f32,
    /// Track changes, so the audio output follows.
    pub(super) generation: u64,
}

impl Playback {
    /// The cue on screen now.
    pub fn cue(&self) -> Option<&crate::tour::Cue> {
        let t = self.track.as_ref()?;
        t.narration.cues.get(t.narration.cue_at(self.clock.position)?)
    }

    fn start(&mut self, track: Track, speed: f64, play: bool) {
        self.clock = Clock::new(track.narration.duration, speed);
        if play {
            self.clock.play();
        }
        self.track = Some(track);
        self.error = None;
        self.check = None;
        self.verified = false;
        self.playing_for = 0.0;
        self.generation += 1;
    }

    fn stop(&mut self) {
        self.track = None;
        self.clock = Clock::default();
        self.check = None;
        self.verified = false;
        self.generation += 1;
    }
}

/// The guided tour, when one is on.
#[derive(Resource, Default, Debug, Clone)]
pub struct GuidedTour(pub Option<Guide>);

/// What the narration controls ask for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum NarrationCommand {
    TogglePlay,
    Seek(f64),
    SeekFraction(f64),
    CycleSpeed,
    Volume(f32),
    ToggleMute,
    CycleSubtitles,
    StartGuide(String),
    ResumeGuide,
    StopGuide,
    /// After a site's tour: the next site of the tour, guided.
    NextSite,
}

fn start_scene_narration(
    mut entered: MessageReader<SceneEntered>,
    tour: Res<TourData>,
    settings: Res<AudioSettings>,
    guide: Res<GuidedTour>,
    mut playback: ResMut<Playback>,
) {
    let Some(e) = entered.read().last().cloned() else { return };
    playback.suspended = None;
    let narration = tour.0.site(&e.site).and_then(|s| s.scene(&e.scene)).and_then(|s| s.narration.clone());
    let same = matches!(&playback.track, Some(Track { source: TrackSource::Scene { site, scene }, .. }) if *site == e.site && *scene == e.scene);
    if same {
        return; // a reload of the same scene keeps its narration going
    }
    match narration {
        Some(n) => {
            let guided = guide.0.as_ref().is_some_and(|g| g.state == GuideState::Running);
            let track = Track { source: TrackSource::Scene { site: e.site, scene: e.scene }, narration: n };
            playback.start(track, settings.speed, settings.autoplay || guided);
        }
        None => playback.stop(),
    }
}

/// An Info panel with its own clip plays it, pausing the scene's narration until it closes.
fn start_info_clip(
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<AudioSettings>,
    mut playback: ResMut<Playback>,
) {
    if !panel.is_changed() {
        return;
    }
    let clip = match &*panel {
        Panel::Hotspot { site, scene, index } => {
            tour.0.site(site).and_then(|s| s.scene(scene)).and_then(|s| s.hotspots.get(*index)).and_then(|h| {
                match &h.kind {
                    HotspotKind::Info { audio: Some(a), .. } => Some(Track {
                        source: TrackSource::Clip { site: site.clone(), scene: scene.clone(), hotspot: *index },
                        narration: a.clone(),
                    }),
                    _ => None,
                }
            })
        }
        _ => None,
    };
    let playing_clip = matches!(playback.track, Some(Track { source: TrackSource::Clip { .. }, .. }));
    match clip {
        Some(track) => {
            if !playing_clip && let Some(current) = playback.track.take() {
                let mut clock = playback.clock;
                let was_playing = clock.playing;
                clock.pause();
                clock.playing = was_playing; // remembered, applied on resume
                playback.suspended = Some((current, clock));
            }
            playback.start(track, settings.speed, true);
        }
        None if playing_clip => resume_suspended(&mut playback),
        None => {}
    }
}

fn resume_suspended(playback: &mut Playback) {
    match playback.suspended.take() {
        Some((track, clock)) => {
            playback.start(track, clock.speed, clock.playing);
            playback.clock.position = clock.position;
        }
        None => playback.stop(),
    }
}

#[allow(clippy::too_many_arguments)]
fn commands(
    mut requests: MessageReader<NarrationCommand>,
    tour: Res<TourData>,
    current: Res<Current>,
    mut settings: ResMut<AudioSettings>,
    mut playback: ResMut<Playback>,
    mut guide: ResMut<GuidedTour>,
    mut go: MessageWriter<GoTo>,
) {
    for cmd in requests.read() {
        match cmd {
            NarrationCommand::TogglePlay => playback.clock.toggle(),
            NarrationCommand::Seek(t) => playback.clock.seek(*t),
            NarrationCommand::SeekFraction(f) => playback.clock.seek_fraction(*f),
            NarrationCommand::CycleSpeed => {
                settings.speed = crate::narration::next_speed(settings.speed);
                let s = settings.speed;
                playback.clock.set_speed(s);
            }
            NarrationCommand::Volume(v) => settings.volume = v.clamp(0.0, 1.0),
            NarrationCommand::ToggleMute => settings.muted = !settings.muted,
            NarrationCommand::CycleSubtitles => settings.subtitles = settings.subtitles.next(),
            NarrationCommand::StartGuide(site) => {
                if let Some(s) = tour.0.site(site) {
                    let (g, first) = Guide::start(s);
                    if let GuideStep::Enter(scene) = first {
                        if current.site == *site && current.scene == scene {
                            // Already here: start this scene's narration from the top.
                            if let Some(n) = s.scene(&scene).and_then(|sc| sc.narration.clone()) {
                                let track =
                                    Track { source: TrackSource::Scene { site: site.clone(), scene }, narration: n };
                                let speed = settings.speed;
                                playback.start(track, speed, true);
                            }
                        } else {
                            go.write(GoTo { site: site.clone(), scene, view: None });
                        }
                    }
                    info!("guided tour of {site}: {}", g.route.join(" → "));
                    guide.0 = Some(g);
                }
            }
            NarrationCommand::ResumeGuide => {
                if let Some(g) = &mut guide.0 {
                    g.resume();
                    if let Some(scene) = g.current().map(str::to_string)
                        && (current.site != g.site || current.scene != scene)
                    {
                        // The visitor wandered off: walk back to where the tour was.
                        go.write(GoTo { site: g.site.clone(), scene, view: None });
                    } else {
                        playback.clock.play();
                    }
                }
            }
            NarrationCommand::StopGuide => guide.0 = None,
            NarrationCommand::NextSite => {
                let next = guide.0.as_ref().map(|g| g.site.clone()).unwrap_or_else(|| current.site.clone());
                let i = tour.0.sites.iter().position(|s| s.id == next).map_or(0, |i| (i + 1) % tour.0.sites.len());
                if let Some(s) = tour.0.sites.get(i) {
                    let (g, first) = Guide::start(s);
                    if let GuideStep::Enter(scene) = first {
                        go.write(GoTo { site: s.id.clone(), scene, view: None });
                    }
                    guide.0 = Some(g);
                }
            }
        }
    }
}

/// Any drag, click on the panorama or key from the visitor pauses the guided tour.
fn pause_guide_on_input(
    mut input: MessageReader<VisitorInput>,
    mut guide: ResMut<GuidedTour>,
    mut playback: ResMut<Playback>,
) {
    if input.read().last().is_none() {
        return;
    }
    if let Some(g) = &mut guide.0
        && g.state == GuideState::Running
    {
        g.pause();
        playback.clock.pause();
        info!("guided tour paused: the visitor took over");
    }
}

fn tick(time: Res<Time>, mut playback: ResMut<Playback>, mut panel: ResMut<Panel>) {
    let dt = time.delta_secs_f64();
    let ended = playback.clock.advance(dt);
    if playback.clock.playing {
        playback.playing_for += dt as f32;
    }
    if ended && matches!(playback.track, Some(Track { source: TrackSource::Clip { .. }, .. })) {
        // The clip is over: back to the scene's narration (the panel stays until closed).
        resume_suspended(&mut playback);
        if matches!(*panel, Panel::Hotspot { .. }) {
            panel.set_changed();
        }
    }
}

/// How much of a track [`verify_audio`] decodes. Natively the whole file, on a background thread.
/// In the browser "background" is the page's only thread, where decoding a minute of audio held
/// it for a quarter of a second on a phone at every scene change: there the headers are checked,
/// and the rest shows as it plays.
#[cfg(not(target_arch = "wasm32"))]
const AUDIO_CHECK: AssetCheck = AssetCheck::Full;
#[cfg(target_arch = "wasm32")]
const AUDIO_CHECK: AssetCheck = AssetCheck::Headers;

/// Decode the track's audio in the background before playing it: a file that does not decode
/// is reported in the UI and the log, and the subtitles go on without sound.
fn verify_audio(tour: Res<TourData>, remote: Option<Res<super::net::Remote>>, mut playback: ResMut<Playback>) {
    let Some(track) = &playback.track else { return };
    if playback.verified || playback.error.is_some() {
        return;
    }
    if playback.check.is_none() {
        let path = tour.0.asset_path(&track.narration.audio);
        let fetch = remote.as_ref().map(|r| (r.base.clone(), tour.0.assets_dir.clone(), track.narration.audio.clone()));
        playback.check = Some(AsyncComputeTaskPool::get().spawn(async move {
            if let Some((base, dir, rel)) = fetch {
                super::net::fetch_asset_async(&base, &dir, &rel).await?;
            }
            let bytes = super::io::read(&path)
                .map_err(|e| format!("narration audio {} cannot be played: cannot open: {e}", path.display()))?;
            crate::tour::assets::probe_ogg_reader(std::io::Cursor::new(bytes), AUDIO_CHECK)
                .map_err(|e| format!("narration audio {} cannot be played: {e}", path.display()))
        }));
    }
    if let Some(task) = &mut playback.check
        && let Some(result) = check_ready(task)
    {
        playback.check = None;
        match result {
            Ok(_) => playback.verified = true,
            Err(e) => {
                error!("{e}; the subtitles go on without sound");
                playback.error = Some(e);
            }
        }
    }
}

fn guide(
    time: Res<Time>,
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<AudioSettings>,
    mut guide: ResMut<GuidedTour>,
    mut playback: ResMut<Playback>,
    mut look: ResMut<Look>,
    mut go: MessageWriter<GoTo>,
    mut commands: MessageWriter<NarrationCommand>,
) {
    let Some(g) = &mut guide.0 else { return };
    if g.site != current.site {
        return;
    }
    let scene = current.scene(&tour);
    let scene_track = matches!(&playback.track, Some(Track { source: TrackSource::Scene { scene: s, .. }, .. }) if *s == current.scene);
    let narration = if scene_track { playback.track.as_ref().map(|t| &t.narration) } else { None };
    // A scene with narration waits for it to be playing this scene's track.
    if scene.is_some_and(|s| s.narration.is_some()) && narration.is_none() {
        return;
    }
    let steps = g.tick(&current.scene, narration, &playback.clock, time.delta_secs_f64());
    for step in steps {
        match step {
            GuideStep::Enter(next) => {
                go.write(GoTo { site: g.site.clone(), scene: next, view: None });
            }
            GuideStep::TurnTo(id) => {
                if let Some(h) = scene.and_then(|s| s.hotspots.iter().find(|h| h.id == id)) {
                    look.turn_to(h.yaw, h.pitch);
                }
            }
            GuideStep::Finished => {
                info!("guided tour of {} finished", g.site);
                playback.clock.pause();
                if settings.continue_tour {
                    commands.write(NarrationCommand::NextSite);
                }
            }
        }
    }
}
