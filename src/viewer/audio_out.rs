//! The narration's sound, kept in step with its [`crate::narration::Clock`].
//!
//! Natively rodio (through bevy_audio) plays it. In the browser the page's own `<audio>` element
//! does: the browser decodes and mixes off the page's thread, where rodio's Vorbis decoder and
//! its set-up ran on the only thread the page has and held it at every scene change on a phone
//! (and cost the download a decoder the browser already has).

use bevy::ecs::schedule::ScheduleConfigs;
use bevy::ecs::system::ScheduleSystem;
use bevy::prelude::*;

/// Whether this machine has a sound card. Without one, ALSA's probing prints a page of errors
/// and the narration runs silently anyway: the viewer then leaves Bevy's audio out and says so
/// in one line.
#[cfg(target_os = "linux")]
pub fn sound_card() -> bool {
    std::fs::read_to_string("/proc/asound/cards").is_ok_and(|s| !s.trim().is_empty() && !s.contains("no soundcards"))
}

#[cfg(not(target_os = "linux"))]
pub fn sound_card() -> bool {
    true
}

/// The systems that steer the sound, after the narration's clock has ticked.
pub fn systems() -> ScheduleConfigs<ScheduleSystem> {
    #[cfg(not(target_arch = "wasm32"))]
    return (native::sync_audio, native::apply_volume).chain().into_configs();
    #[cfg(target_arch = "wasm32")]
    return page::sync_audio.into_configs();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use bevy::audio::{AudioPlayer, AudioSink, AudioSinkPlayback, AudioSource, PlaybackMode, PlaybackSettings, Volume};
    use bevy::prelude::*;

    use super::super::narration::{AudioSettings, Playback};

    /// The entity playing the current track.
    #[derive(Component)]
    pub(super) struct NarrationAudio {
        generation: u64,
        /// Where in the track the player started: its own position counts from there.
        start: f64,
    }

    /// Start and steer the audio output; with no device, say once why it is silent.
    pub(super) fn sync_audio(
        mut commands: Commands,
        assets: Option<Res<AssetServer>>,
        audio: Option<Res<bevy::audio::GlobalVolume>>,
        settings: Res<AudioSettings>,
        mut playback: ResMut<Playback>,
        players: Query<(Entity, &NarrationAudio, Option<&AudioSink>)>,
    ) {
        if audio.is_none() {
            // No sound card: Bevy's audio was left out ([`super::sound_card`]).
            if playback.track.is_some() && playback.silent.is_none() {
                let why = "no sound card: narration runs silently; subtitles and the guided tour follow its clock"
                    .to_string();
                warn!("{why}");
                playback.silent = Some(why);
            }
            return;
        }
        let wanted = playback.track.as_ref().filter(|_| playback.verified).map(|t| t.narration.audio.clone());
        let generation = playback.generation;
        let mut have = false;
        for (e, audio, sink) in &players {
            if audio.generation != generation || wanted.is_none() {
                commands.entity(e).despawn();
                continue;
            }
            have = true;
            let Some(sink) = sink else {
                if playback.playing_for > 1.5 && playback.silent.is_none() {
                    let why = "no audio output device: narration is silent; subtitles, progress and the guided tour follow the narration clock".to_string();
                    warn!("{why}");
                    playback.silent = Some(why);
                }
                continue;
            };
            let clock = playback.clock;
            if clock.playing && sink.is_paused() {
                sink.play();
            } else if !clock.playing && !sink.is_paused() {
                sink.pause();
            }
            if (sink.speed() as f64 - clock.speed).abs() > 1e-3 {
                sink.set_speed(clock.speed as f32);
            }
            // A seek (natively) makes the player's position absolute; a player started part-way
            // (in the browser, where it is never seeked) counts from where it started.
            let start = if cfg!(target_arch = "wasm32") { audio.start } else { 0.0 };
            let drift = start + sink.position().as_secs_f64() - clock.position;
            if drift.abs() > 0.3 && !clock.ended() {
                // rodio's seek waits for the audio callback to answer. In the browser that callback
                // runs on this same thread (and not at all before the first tap), so the wait would
                // never end: there a new player starts at the clock's position instead, once the
                // audio is running (its position has moved).
                #[cfg(target_arch = "wasm32")]
                if sink.position() > std::time::Duration::ZERO {
                    commands.entity(e).despawn();
                    have = false;
                }
                #[cfg(not(target_arch = "wasm32"))]
                let _ = sink.try_seek(std::time::Duration::from_secs_f64(clock.position));
            }
        }
        if have {
            // Volume and mute are set on the sink below.
        } else if let (Some(audio), Some(assets)) = (wanted, assets.as_ref()) {
            let handle: Handle<AudioSource> = assets.load(audio);
            let clock = playback.clock;
            commands.spawn((
                NarrationAudio { generation, start: clock.position },
                AudioPlayer(handle),
                PlaybackSettings {
                    mode: PlaybackMode::Remove,
                    volume: Volume::Linear(settings.volume),
                    speed: clock.speed as f32,
                    paused: !clock.playing,
                    muted: settings.muted,
                    start_position: Some(std::time::Duration::from_secs_f64(clock.position)),
                    ..default()
                },
            ));
        } else if assets.is_none() && playback.clock.playing && playback.silent.is_none() {
            let why = "this app has no audio output: narration follows its clock silently".to_string();
            info!("{why}");
            playback.silent = Some(why);
        }
    }

    /// Volume and mute follow the settings on whatever sink is playing.
    pub(super) fn apply_volume(settings: Res<AudioSettings>, mut sinks: Query<&mut AudioSink, With<NarrationAudio>>) {
        for mut sink in &mut sinks {
            let v = Volume::Linear(if settings.muted { 0.0 } else { settings.volume });
            if sink.volume() != v {
                sink.set_volume(v);
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    use std::cell::{Cell, RefCell};
    use std::path::Path;
    use std::rc::Rc;

    use bevy::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::HtmlAudioElement;

    use super::super::TourData;
    use super::super::narration::{AudioSettings, Playback};
    use crate::narration::Clock;

    /// The `<audio>` element playing one track (one [`Playback`] generation).
    struct Player {
        generation: u64,
        element: HtmlAudioElement,
        /// The object URL of the track's bytes, released with the player.
        url: String,
        /// Set by the element's `error` event: the browser cannot play the file.
        failed: Rc<RefCell<Option<String>>>,
        /// When `play()` may be asked again: `0` now, infinity while one is under way. A refused
        /// `play()` (the browser's autoplay rule, before the visitor's first tap) waits [`RETRY`].
        retry_at: Rc<Cell<f64>>,
        _on_error: Closure<dyn FnMut()>,
    }

    /// Seconds between tries while the browser refuses to play (until the visitor's first tap).
    const RETRY: f64 = 0.5;

    thread_local! {
        static PLAYER: RefCell<Option<Player>> = const { RefCell::new(None) };
    }

    impl Player {
        /// From the bytes the narration's check fetched (the service worker keeps them for
        /// offline visits, which an `<audio src>` with its range requests would not).
        fn new(path: &Path, generation: u64) -> Result<Player, String> {
            let what = |e: wasm_bindgen::JsValue| format!("narration audio {} cannot be played: {e:?}", path.display());
            let bytes = super::super::io::read(path).map_err(|e| format!("narration audio {}: {e}", path.display()))?;
            super::super::io::forget(path);
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(&bytes[..]));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("audio/ogg");
            let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(what)?;
            let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(what)?;
            let element = HtmlAudioElement::new_with_src(&url).map_err(what)?;
            element.set_preload("auto");
            // In the page (not shown: no controls), so tests and assistive tools can find it.
            element.set_id("narration-audio");
            if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
                let _ = body.append_child(&element);
            }
            let failed = Rc::new(RefCell::new(None));
            let on_error = {
                let (failed, element, file) = (failed.clone(), element.clone(), path.display().to_string());
                Closure::<dyn FnMut()>::new(move || {
                    let code = element.error().map_or(0, |e| e.code());
                    let why = match code {
                        3 => "the browser cannot decode it",
                        4 => "the browser does not play this format",
                        _ => "the browser could not load it",
                    };
                    *failed.borrow_mut() =
                        Some(format!("narration audio {file} cannot be played: {why} (media error {code})"));
                })
            };
            element.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Ok(Player { generation, element, url, failed, retry_at: Rc::new(Cell::new(0.0)), _on_error: on_error })
        }

        /// Follow the clock: play or pause, speed, volume, and the position when they drift apart.
        fn steer(&self, clock: &Clock, settings: &AudioSettings, now: f64) {
            let el = &self.element;
            if (el.playback_rate() - clock.speed).abs() > 1e-3 {
                el.set_playback_rate(clock.speed);
            }
            let volume = f64::from(settings.volume.clamp(0.0, 1.0));
            if (el.volume() - volume).abs() > 1e-3 {
                el.set_volume(volume);
            }
            if el.muted() != settings.muted {
                el.set_muted(settings.muted);
            }
            let wanted = clock.playing && !clock.ended();
            if !wanted {
                if !el.paused() {
                    let _ = el.pause();
                }
                return;
            }
            if el.paused() {
                if now < self.retry_at.get() {
                    return;
                }
                el.set_current_time(clock.position);
                let Ok(promise) = el.play() else { return };
                self.retry_at.set(f64::INFINITY);
                let retry = self.retry_at.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let refused = wasm_bindgen_futures::JsFuture::from(promise).await.is_err();
                    retry.set(if refused { now + RETRY } else { 0.0 });
                    if refused {
                        // The page shows its "tap for sound" button (web/loader.js).
                        super::super::io::call_page("cloudhallSoundBlocked");
                    }
                });
            } else if (el.current_time() - clock.position).abs() > 0.3 && !el.seeking() {
                // A seek in the bar, or a tab that slept: the element follows the clock.
                el.set_current_time(clock.position);
            }
        }
    }

    impl Drop for Player {
        fn drop(&mut self) {
            self.element.set_onerror(None);
            let _ = self.element.pause();
            self.element.remove();
            let _ = web_sys::Url::revoke_object_url(&self.url);
        }
    }

    /// Start, steer and stop the page's `<audio>` for the current track.
    pub(super) fn sync_audio(
        tour: Res<TourData>,
        time: Res<Time<Real>>,
        settings: Res<AudioSettings>,
        mut playback: ResMut<Playback>,
    ) {
        let wanted = playback
            .track
            .as_ref()
            .filter(|_| playback.verified && playback.error.is_none())
            .map(|t| tour.0.asset_path(&t.narration.audio));
        PLAYER.with_borrow_mut(|player| {
            if player.as_ref().is_some_and(|p| p.generation != playback.generation || wanted.is_none()) {
                *player = None;
            }
            if player.is_none()
                && let Some(path) = &wanted
            {
                match Player::new(path, playback.generation) {
                    Ok(p) => *player = Some(p),
                    Err(e) => {
                        error!("{e}; the subtitles go on without sound");
                        playback.error = Some(e);
                        return;
                    }
                }
            }
            let Some(p) = player.as_ref() else { return };
            if let Some(e) = p.failed.borrow_mut().take() {
                error!("{e}; the subtitles go on without sound");
                playback.error = Some(e);
                return;
            }
            p.steer(&playback.clock, &settings, time.elapsed_secs_f64());
        });
    }
}
