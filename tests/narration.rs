//! Narration in a Bevy app with a fake clock and no audio device: subtitles, the guided tour,
//! visitor take-over, and an Ogg file that does not decode.
#![cfg(feature = "viewer")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bevy::input::InputPlugin;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;

use cloudhall::narration::GuideState;
use cloudhall::tour::Lang;
use cloudhall::viewer::look::{Look, LookPlugin};
use cloudhall::viewer::narration::{AudioSettings, Subtitles};
use cloudhall::viewer::narration::{GuidedTour, NarrationCommand, NarrationPlugin, Playback};
use cloudhall::viewer::nav::{Current, NavPlugin};
use cloudhall::viewer::prefs::PrefsPlugin;
use cloudhall::viewer::{Settings, StartView, TourData, load_tour};

const STEP: Duration = Duration::from_millis(100);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// An app with look, navigation and narration, no window, no audio, and a clock that advances
/// exactly 100 ms a frame.
fn app(tour_dir: &Path) -> App {
    let tour = load_tour(tour_dir).expect("valid tour");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, InputPlugin));
    app.insert_resource(TimeUpdateStrategy::ManualDuration(STEP));
    app.insert_resource(TourData(Arc::new(tour)));
    app.insert_resource(Current { site: "alpha".into(), scene: "gate".into() });
    app.insert_resource(Settings { lang: Lang::Zh });
    app.insert_resource(StartView::default());
    app.add_plugins((LookPlugin, NavPlugin, NarrationPlugin));
    app.world_mut().resource_mut::<cloudhall::viewer::look::Autorotate>().enabled = false;
    app.update();
    app
}

fn run_for(app: &mut App, seconds: f64) {
    for _ in 0..(seconds / STEP.as_secs_f64()).round() as usize {
        app.update();
    }
}

fn subtitle(app: &App) -> Option<String> {
    app.world().resource::<Playback>().cue().map(|c| c.text.zh.clone())
}

#[test]
fn narration_runs_on_its_clock_without_an_audio_device() {
    let mut app = app(&fixture("good"));
    run_for(&mut app, 1.0);
    let p = app.world().resource::<Playback>();
    assert!(p.clock.playing, "entering a scene starts its narration");
    assert!((p.clock.position - 0.9).abs() < 0.11, "the clock runs in real time: {}", p.clock.position);
    assert_eq!(subtitle(&app).as_deref(), Some("欢迎。"));
    assert!(app.world().resource::<Playback>().silent.is_some(), "the log says why there is no sound");

    // Seek, and speed up: the subtitle follows.
    app.world_mut().write_message(NarrationCommand::Seek(1.6));
    app.update();
    assert_eq!(subtitle(&app).as_deref(), Some("请进。"));
    app.world_mut().write_message(NarrationCommand::Seek(0.0));
    app.world_mut().write_message(NarrationCommand::CycleSpeed); // 1.0 -> 1.25
    app.world_mut().write_message(NarrationCommand::CycleSpeed); // -> 1.5
    app.update();
    run_for(&mut app, 1.0);
    let pos = app.world().resource::<Playback>().clock.position;
    assert!((pos - 1.5).abs() < 0.16, "1 s at 1.5x is 1.5 s of narration: {pos}");
    assert_eq!(subtitle(&app).as_deref(), Some("请进。"));
    app.world_mut().write_message(NarrationCommand::TogglePlay);
    app.update();
    let held = app.world().resource::<Playback>().clock.position;
    run_for(&mut app, 1.0);
    assert_eq!(app.world().resource::<Playback>().clock.position, held, "pause holds the clock");
}

fn key(app: &mut App, key_code: KeyCode) {
    common::tap_key(app, key_code, |app| app.update());
}

#[test]
fn the_guided_tour_walks_the_route_and_the_visitor_can_take_over() {
    let mut app = app(&fixture("good"));
    app.world_mut().write_message(NarrationCommand::StartGuide("alpha".into()));
    app.update();
    assert_eq!(app.world().resource::<GuidedTour>().0.as_ref().map(|g| g.state), Some(GuideState::Running));

    // The gate's second cue (1.5 s) names the Go hotspot at yaw 90: the view turns to it.
    run_for(&mut app, 1.7);
    let target = app.world().resource::<Look>().target.or(Some(app.world().resource::<Look>().view)).expect("view");
    assert!((target.yaw - 90.0).abs() < 1.0, "turning toward the named hotspot: {target:?}");

    // A key from the visitor pauses the tour and its narration.
    key(&mut app, KeyCode::ArrowLeft);
    let state = app.world().resource::<GuidedTour>().0.as_ref().map(|g| g.state);
    assert_eq!(state, Some(GuideState::Paused));
    let held = app.world().resource::<Playback>().clock.position;
    run_for(&mut app, 2.0);
    assert_eq!(app.world().resource::<Current>().scene, "gate", "a paused tour stays");
    assert_eq!(app.world().resource::<Playback>().clock.position, held);

    // Resume: the narration ends and the tour moves to the next scene of the route.
    app.world_mut().write_message(NarrationCommand::ResumeGuide);
    run_for(&mut app, 2.0);
    assert_eq!(app.world().resource::<Current>().scene, "hall", "next scene of the route");
    // The hall has no narration: the tour stays a while, then finishes and offers the next site.
    run_for(&mut app, cloudhall::narration::SILENT_DWELL + 0.5);
    assert_eq!(app.world().resource::<GuidedTour>().0.as_ref().map(|g| g.state), Some(GuideState::Finished));
    app.world_mut().write_message(NarrationCommand::NextSite);
    run_for(&mut app, 0.3);
    assert_eq!(app.world().resource::<Current>().site, "beta", "the next site's tour begins");
    assert_eq!(app.world().resource::<GuidedTour>().0.as_ref().map(|g| g.site.as_str()), Some("beta"));
}

#[test]
fn an_ogg_that_does_not_decode_is_reported_and_the_subtitles_go_on() {
    let dir = std::env::temp_dir().join(format!("cloudhall-ogg-{}", std::process::id()));
    let (scenes, assets) = (dir.join("scenes"), dir.join("assets"));
    std::fs::create_dir_all(&scenes).expect("dir");
    std::fs::create_dir_all(&assets).expect("dir");
    for entry in std::fs::read_dir(fixture("assets")).expect("assets").flatten() {
        std::fs::copy(entry.path(), assets.join(entry.file_name())).expect("copy");
    }
    for f in ["tour.ron", "alpha.ron", "beta.ron"] {
        std::fs::copy(fixture("good").join(f), scenes.join(f)).expect("copy");
    }
    // Break the audio data of the last page (its checksum no longer matches), keeping every page
    // header intact: the tour still loads, but the sound cannot be decoded.
    let ogg = assets.join("tone-3s.ogg");
    let mut bytes = std::fs::read(&ogg).expect("ogg");
    let pages: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == b"OggS").map(|(i, _)| i).collect();
    let last = *pages.last().expect("pages");
    let segments = bytes[last + 26] as usize;
    let victim = last + 27 + segments + 50;
    for b in &mut bytes[victim..victim + 200] {
        *b ^= 0x5a;
    }
    std::fs::write(&ogg, &bytes).expect("damage");

    let mut app = app(&scenes);
    run_for(&mut app, 1.0);
    let p = app.world().resource::<Playback>();
    let err = p.error.clone().expect("an error is reported");
    assert!(err.contains("tone-3s.ogg") && err.contains("cannot be played"), "{err}");
    assert!(p.clock.position > 0.5, "the clock, and with it the subtitles, go on");
    assert_eq!(subtitle(&app).as_deref(), Some("欢迎。"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The app with the visitor's remembered languages (kept in XDG_CONFIG_HOME).
fn app_with_prefs(lang: Lang, lang_given: bool) -> App {
    let tour = load_tour(&fixture("good")).expect("valid tour");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, InputPlugin));
    app.insert_resource(TimeUpdateStrategy::ManualDuration(STEP));
    app.insert_resource(TourData(Arc::new(tour)));
    app.insert_resource(Current { site: "alpha".into(), scene: "gate".into() });
    app.insert_resource(Settings { lang });
    app.insert_resource(StartView::default());
    app.add_plugins((LookPlugin, NavPlugin, NarrationPlugin, PrefsPlugin { lang_given, remember: true }));
    app.update();
    app.update();
    app
}

fn langs(app: &App) -> (Lang, Subtitles) {
    (app.world().resource::<Settings>().lang, app.world().resource::<AudioSettings>().subtitles)
}

#[test]
fn english_has_english_subtitles_and_the_languages_are_remembered() {
    let config = std::env::temp_dir().join(format!("cloudhall-prefs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&config);
    unsafe { std::env::set_var("XDG_CONFIG_HOME", &config) };
    // A first visit in Chinese; the visitor switches the interface to English: the subtitles
    // follow, and both are kept.
    let mut first = app_with_prefs(Lang::Zh, false);
    assert_eq!(langs(&first), (Lang::Zh, Subtitles::Zh));
    first.world_mut().resource_mut::<Settings>().lang = Lang::En;
    first.update();
    first.update();
    assert_eq!(langs(&first), (Lang::En, Subtitles::En), "an English interface has English subtitles");
    let kept = std::fs::read_to_string(config.join("cloudhall/prefs.json")).expect("kept");
    assert!(kept.contains("\"en\""), "{kept}");
    // The next visit starts as the last ended; the visitor picks Chinese subtitles.
    let mut second = app_with_prefs(Lang::Zh, false);
    assert_eq!(langs(&second), (Lang::En, Subtitles::En));
    second.world_mut().resource_mut::<AudioSettings>().subtitles = Subtitles::Zh;
    second.update();
    second.update();
    // ...which the one after keeps, with the English interface.
    assert_eq!(langs(&app_with_prefs(Lang::Zh, false)), (Lang::En, Subtitles::Zh));
    // A language asked for (--lang zh, ?lang=zh) wins over the remembered one.
    assert_eq!(langs(&app_with_prefs(Lang::Zh, true)).0, Lang::Zh);
}
