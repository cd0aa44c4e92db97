//! Choosing by looking: the reticle in the middle of each eye rests on a target, a ring fills
//! over [`DWELL`] seconds, and then the target is activated, once, until the gaze leaves it.

/// How long the gaze rests on a target before it acts.
pub const DWELL: f32 = 2.0;

/// How far from a hotspot's centre the gaze still counts as on it, degrees.
pub const HOTSPOT_RADIUS: f32 = 6.0;

/// Looking further down than this (degrees of pitch) is looking at the floor's "exit VR".
pub const FLOOR_PITCH: f32 = -70.0;

/// How far the gaze may wander from an open Info board's hotspot before it closes, degrees.
pub const INFO_RADIUS: f32 = 25.0;

/// What the gaze can rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The current scene's hotspot with this index.
    Hotspot(usize),
    /// The "exit VR" at the floor.
    Exit,
}

/// The angle between two directions given as (yaw, pitch) in degrees.
pub fn angle_between(a: (f32, f32), b: (f32, f32)) -> f32 {
    let dir = |(yaw, pitch): (f32, f32)| {
        let (y, p) = (yaw.to_radians(), pitch.to_radians());
        [p.cos() * y.sin(), p.sin(), -p.cos() * y.cos()]
    };
    let (u, v) = (dir(a), dir(b));
    let d = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]).clamp(-1.0, 1.0);
    d.acos().to_degrees()
}

/// What the centre of the view, at `view` (yaw, pitch), rests on: the floor's exit, else the
/// nearest hotspot within [`HOTSPOT_RADIUS`].
pub fn aimed_at(view: (f32, f32), hotspots: &[(f32, f32)]) -> Option<Target> {
    if view.1 <= FLOOR_PITCH {
        return Some(Target::Exit);
    }
    hotspots
        .iter()
        .enumerate()
        .map(|(i, h)| (i, angle_between(view, *h)))
        .filter(|(_, a)| *a <= HOTSPOT_RADIUS)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| Target::Hotspot(i))
}

/// The dwell timer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gaze {
    target: Option<Target>,
    held: f32,
    /// The target has acted; it will not again until the gaze leaves it.
    fired: bool,
}

impl Gaze {
    /// The gaze rests on `target` (or nothing) for `dt` more seconds; answers the target to
    /// activate now, if any.
    pub fn update(&mut self, target: Option<Target>, dt: f32) -> Option<Target> {
        if target != self.target {
            *self = Gaze { target, held: 0.0, fired: false };
            return None;
        }
        let t = self.target?;
        if self.fired {
            return None;
        }
        self.held += dt;
        if self.held >= DWELL {
            self.fired = true;
            return Some(t);
        }
        None
    }

    /// How full the reticle's ring is, 0..1 (0 when it rests on nothing or has acted).
    pub fn progress(&self) -> f32 {
        if self.target.is_none() || self.fired { 0.0 } else { (self.held / DWELL).min(1.0) }
    }

    pub fn target(&self) -> Option<Target> {
        self.target
    }

    /// Start again (a new scene: the same index is another hotspot).
    pub fn reset(&mut self) {
        *self = Gaze::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resting_two_seconds_activates_once() {
        let mut g = Gaze::default();
        let on = Some(Target::Hotspot(3));
        assert_eq!(g.update(on, 0.0), None);
        let mut fired = vec![];
        for _ in 0..150 {
            if let Some(t) = g.update(on, 1.0 / 60.0) {
                fired.push(t);
            }
        }
        assert_eq!(fired, vec![Target::Hotspot(3)], "once, after two seconds");
        assert_eq!(g.progress(), 0.0);
    }

    #[test]
    fn looking_away_before_two_seconds_does_nothing() {
        let mut g = Gaze::default();
        let on = Some(Target::Hotspot(0));
        g.update(on, 0.0);
        for _ in 0..100 {
            assert_eq!(g.update(on, 1.0 / 60.0), None);
        }
        assert!(g.progress() > 0.8 && g.progress() < 1.0);
        assert_eq!(g.update(None, 1.0 / 60.0), None);
        assert_eq!(g.progress(), 0.0, "the ring empties");
        g.update(on, 0.0);
        for _ in 0..100 {
            assert_eq!(g.update(on, 1.0 / 60.0), None, "the time starts again");
        }
    }

    #[test]
    fn the_floor_is_the_exit_and_hotspots_are_found_by_angle() {
        let hotspots = [(10.0, 0.0), (90.0, 5.0), (-170.0, -10.0)];
        assert_eq!(aimed_at((0.0, -80.0), &hotspots), Some(Target::Exit));
        assert_eq!(aimed_at((12.0, 3.0), &hotspots), Some(Target::Hotspot(0)));
        assert_eq!(aimed_at((20.0, 0.0), &hotspots), None);
        assert_eq!(aimed_at((188.0, -12.0), &hotspots), Some(Target::Hotspot(2)), "across the seam");
        assert!((angle_between((0.0, 89.0), (180.0, 89.0)) - 2.0).abs() < 1e-3, "near the pole");
    }
}
