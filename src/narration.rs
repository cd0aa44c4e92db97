//! Narration timing and the one-click guided tour, free of Bevy and of audio devices.
//!
//! The [`Clock`] is the truth about where narration is: subtitles, the progress bar and the
//! guided tour read it, and audio output (when there is a device) is kept in step with it. With
//! no device the clock still runs in real time, so everything else behaves the same.

use crate::tour::{Narration, Site};

/// Playback speeds a visitor can choose.
pub const SPEEDS: [f64; 4] = [0.75, 1.0, 1.25, 1.5];

/// Where narration is, in seconds of audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub position: f64,
    pub duration: f64,
    pub playing: bool,
    pub speed: f64,
}

impl Clock {
    pub fn new(duration: f64, speed: f64) -> Self {
        Clock { position: 0.0, duration: duration.max(0.0), playing: false, speed: clamp_speed(speed) }
    }

    /// Advance by `dt` seconds of wall time; true when this step reached the end.
    pub fn advance(&mut self, dt: f64) -> bool {
        if !self.playing || self.ended() {
            return false;
        }
        self.position = (self.position + dt.max(0.0) * self.speed).min(self.duration);
        if self.ended() {
            self.playing = false;
            return true;
        }
        false
    }

    pub fn seek(&mut self, t: f64) {
        self.position = t.clamp(0.0, self.duration);
    }

    /// Seek to a fraction (0..1) of the duration, as a click on the progress bar does.
    pub fn seek_fraction(&mut self, f: f64) {
        self.seek(f.clamp(0.0, 1.0) * self.duration);
    }

    pub fn play(&mut self) {
        if self.ended() {
            self.position = 0.0;
        }
        self.playing = true;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    pub fn toggle(&mut self) {
        if self.playing { self.pause() } else { self.play() }
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = clamp_speed(speed);
    }

    pub fn ended(&self) -> bool {
        self.position >= self.duration
    }

    pub fn fraction(&self) -> f64 {
        if self.duration > 0.0 { self.position / self.duration } else { 0.0 }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(0.0, 1.0)
    }
}

pub fn clamp_speed(s: f64) -> f64 {
    s.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1])
}

/// The next speed in [`SPEEDS`] after `s`, wrapping round.
pub fn next_speed(s: f64) -> f64 {
    SPEEDS.iter().copied().find(|v| *v > s + 1e-9).unwrap_or(SPEEDS[0])
}

/// `m:ss`.
pub fn mmss(t: f64) -> String {
    let t = t.max(0.0).floor() as u64;
    format!("{}:{:02}", t / 60, t % 60)
}

/// `0.75`, `1.0`, `1.25`, `1.5`.
pub fn speed_label(s: f64) -> String {
    let t = format!("{s:.2}");
    let t = t.trim_end_matches('0');
    if t.ends_with('.') { format!("{t}0") } else { t.to_string() }
}

/// The volume (0 to 1) a step of `by` away from `volume`, kept on whole tenths so that steps
/// up and down come back to where they began, within 0 and 1.
pub fn volume_step(volume: f32, by: f32) -> f32 {
    (((volume * 10.0).round() + (by * 10.0).round()) / 10.0).clamp(0.0, 1.0)
}

/// What a guided tour wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum GuideStep {
    /// Go to this scene of the tour's site and play its narration.
    Enter(String),
    /// Turn the view toward this hotspot of the current scene.
    TurnTo(String),
    /// The route is done: offer the next site (or go on by itself).
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuideState {
    Running,
    /// The visitor took over; resume continues where it stopped.
    Paused,
    Finished,
}

/// Seconds a guided tour stays in a scene that has no narration.
pub const SILENT_DWELL: f64 = 8.0;

/// The one-click guided tour (一键导览) of one site: its route, where it is, what it has done.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    pub site: String,
    pub route: Vec<String>,
    pub step: usize,
    pub state: GuideState,
    /// Cues of the current scene whose hotspot the view has already turned to.
    turned: Vec<usize>,
    /// Seconds spent in a scene without narration.
    dwell: f64,
}

impl Guide {
    /// Start the tour of `site`; the first step enters its first route scene.
    pub fn start(site: &Site) -> (Guide, GuideStep) {
        let route: Vec<String> = site.route_ids().into_iter().map(str::to_string).collect();
        let first = route.first().cloned().unwrap_or_default();
        let g =
            Guide { site: site.id.clone(), route, step: 0, state: GuideState::Running, turned: Vec::new(), dwell: 0.0 };
        (g, GuideStep::Enter(first))
    }

    pub fn current(&self) -> Option<&str> {
        self.route.get(self.step).map(String::as_str)
    }

    pub fn pause(&mut self) {
        if self.state == GuideState::Running {
            self.state = GuideState::Paused;
        }
    }

    pub fn resume(&mut self) {
        if self.state == GuideState::Paused {
            self.state = GuideState::Running;
        }
    }

    /// One step of the tour while the visitor is in `scene` with narration at `clock`.
    /// `dt` is wall time since the last tick (used where a scene has no narration).
    pub fn tick(&mut self, scene: &str, narration: Option<&Narration>, clock: &Clock, dt: f64) -> Vec<GuideStep> {
        let mut out = Vec::new();
        if self.state != GuideState::Running {
            return out;
        }
        if self.current() != Some(scene) {
            // Still on the way to the route's scene (the Go is in flight).
            return out;
        }
        if let Some(n) = narration {
            // Turn toward each hotspot as the cue naming it begins.
            for (i, cue) in n.cues.iter().enumerate() {
                if clock.position >= cue.start
                    && !self.turned.contains(&i)
                    && let Some(h) = &cue.hotspot
                {
                    self.turned.push(i);
                    if clock.position < cue.end {
                        out.push(GuideStep::TurnTo(h.clone()));
                    }
                }
            }
        }
        let done = match narration {
            Some(_) => clock.ended(),
            None => {
                self.dwell += dt;
                self.dwell >= SILENT_DWELL
            }
        };
        if done {
            out.push(self.advance());
        }
        out
    }

    fn advance(&mut self) -> GuideStep {
        self.step += 1;
        self.turned.clear();
        self.dwell = 0.0;
        match self.current() {
            Some(next) => GuideStep::Enter(next.to_string()),
            None => {
                self.state = GuideState::Finished;
                GuideStep::Finished
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tour::{Cue, Text};

    fn narration(cues: &[(f64, f64, Option<&str>)], duration: f64) -> Narration {
        Narration {
            audio: "a.ogg".into(),
            duration,
            cues: cues
                .iter()
                .map(|(s, e, h)| Cue {
                    start: *s,
                    end: *e,
                    text: Text::new("句", "line"),
                    hotspot: h.map(str::to_string),
                })
                .collect(),
        }
    }

    #[test]
    fn the_clock_runs_only_while_playing_and_stops_at_the_end() {
        let mut c = Clock::new(10.0, 1.0);
        assert!(!c.advance(1.0));
        assert_eq!(c.position, 0.0, "paused clocks stand still");
        c.play();
        c.advance(2.5);
        assert_eq!(c.position, 2.5);
        assert!(c.advance(100.0), "reaching the end is reported once");
        assert_eq!(c.position, 10.0);
        assert!(!c.playing);
        assert!(!c.advance(1.0));
        c.play();
        assert_eq!(c.position, 0.0, "playing after the end starts again");
    }

    #[test]
    fn subtitles_follow_seek_and_speed() {
        let n = narration(&[(0.0, 2.0, None), (2.0, 5.0, None), (6.0, 9.0, None)], 10.0);
        let mut c = Clock::new(n.duration, 1.0);
        c.play();
        c.advance(1.0);
        assert_eq!(n.cue_at(c.position), Some(0));
        c.seek(6.5);
        assert_eq!(n.cue_at(c.position), Some(2), "after a seek the cue matches the new time");
        c.seek(0.0);
        c.set_speed(1.5);
        c.advance(2.0);
        assert_eq!(c.position, 3.0, "at 1.5x, 2 s of wall time is 3 s of audio");
        assert_eq!(n.cue_at(c.position), Some(1));
        c.pause();
        c.advance(5.0);
        assert_eq!(n.cue_at(c.position), Some(1), "pause holds the cue");
        c.seek_fraction(0.55);
        assert_eq!(n.cue_at(c.position), None, "5.5 s falls between cues");
    }

    #[test]
    fn speeds_stay_in_range_and_cycle() {
        assert_eq!(clamp_speed(3.0), 1.5);
        assert_eq!(clamp_speed(0.1), 0.75);
        assert_eq!(next_speed(1.0), 1.25);
        assert_eq!(next_speed(1.5), 0.75);
        assert_eq!(mmss(75.9), "1:15");
    }

    fn site() -> Site {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/good/alpha.ron"))
            .expect("fixture");
        crate::tour::load::parse_str(std::path::Path::new("alpha.ron"), &src).expect("parses")
    }

    #[test]
    fn the_guide_walks_the_route_turning_to_each_named_hotspot() {
        let mut site = site();
        site.route = Some(vec!["hall".into(), "gate".into()]);
        let (mut g, first) = Guide::start(&site);
        assert_eq!(first, GuideStep::Enter("hall".into()), "route order, not scene order");

        // The hall has no narration: the guide dwells, then moves on.
        let silent = Clock::new(0.0, 1.0);
        assert!(g.tick("hall", None, &silent, 3.0).is_empty());
        assert_eq!(g.tick("hall", None, &silent, 6.0), vec![GuideStep::Enter("gate".into())]);

        // The gate's narration names `to-hall` in its second cue (1.5..2.9 s).
        let n = site.scene("gate").and_then(|s| s.narration.clone()).expect("narration");
        let mut clock = Clock::new(n.duration, 1.0);
        clock.play();
        let mut steps = Vec::new();
        for _ in 0..40 {
            clock.advance(0.1);
            steps.extend(g.tick("gate", Some(&n), &clock, 0.1));
        }
        assert_eq!(steps, vec![GuideStep::TurnTo("to-hall".into()), GuideStep::Finished]);
        assert_eq!(g.state, GuideState::Finished);
    }

    #[test]
    fn pausing_holds_the_guide_and_resume_goes_on() {
        let site = site();
        let (mut g, _) = Guide::start(&site);
        let n = site.scene("gate").and_then(|s| s.narration.clone()).expect("narration");
        let mut clock = Clock::new(n.duration, 1.0);
        clock.play();
        clock.advance(1.0);
        g.pause();
        clock.seek(2.0);
        assert!(g.tick("gate", Some(&n), &clock, 1.0).is_empty(), "a paused guide does nothing");
        clock.seek(n.duration);
        assert!(g.tick("gate", Some(&n), &clock, 1.0).is_empty());
        g.resume();
        let steps = g.tick("gate", Some(&n), &clock, 0.1);
        assert_eq!(steps, vec![GuideStep::Enter("hall".into())], "past cues are not replayed; the tour moves on");
    }

    #[test]
    fn ticks_wait_while_the_visitor_is_elsewhere() {
        let site = site();
        let (mut g, _) = Guide::start(&site);
        let c = Clock::new(3.0, 1.0);
        assert!(g.tick("hall", None, &c, 100.0).is_empty(), "not yet in the route's scene");
    }
}
