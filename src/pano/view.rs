//! The visitor's view (yaw, pitch, hfov) and how input moves it: drag, pinch, wheel, keys,
//! inertia, limits, and projecting scene angles to the screen and back.

use super::{direction, vfov, wrap_yaw};

/// Size of the area the panorama is drawn in, logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub width: f32,
    pub height: f32,
}

impl Viewport {
    pub fn aspect(&self) -> f32 {
        self.width / self.height.max(1.0)
    }
}

/// How far the view may zoom and tilt, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub min_hfov: f32,
    pub max_hfov: f32,
    pub min_pitch: f32,
    pub max_pitch: f32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { min_hfov: 30.0, max_hfov: 120.0, min_pitch: -90.0, max_pitch: 90.0 }
    }
}

impl From<&crate::tour::Limits> for Limits {
    fn from(l: &crate::tour::Limits) -> Self {
        Limits {
            min_hfov: l.min_hfov as f32,
            max_hfov: l.max_hfov as f32,
            min_pitch: l.min_pitch as f32,
            max_pitch: l.max_pitch as f32,
        }
    }
}

/// Where the visitor looks: degrees, scene convention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewState {
    pub yaw: f32,
    pub pitch: f32,
    pub hfov: f32,
}

impl From<&crate::tour::View> for ViewState {
    fn from(v: &crate::tour::View) -> Self {
        ViewState { yaw: v.yaw as f32, pitch: v.pitch as f32, hfov: v.hfov as f32 }
    }
}

/// Wheel: each notch zooms by this factor.
pub const WHEEL_ZOOM: f32 = 1.12;
/// Arrow keys turn this many degrees a second at hfov 90 (slower when zoomed in).
pub const KEY_TURN: f32 = 60.0;
/// +/- zoom by this factor a second.
pub const KEY_ZOOM: f32 = 2.0;
/// Inertia: velocity falls by e every 1/INERTIA_DECAY seconds.
pub const INERTIA_DECAY: f32 = 4.0;
/// Autorotation speed, degrees a second, after this many idle seconds.
pub const AUTOROTATE_SPEED: f32 = 4.0;
pub const AUTOROTATE_AFTER: f32 = 30.0;

impl ViewState {
    /// Keep the view inside the limits: hfov first, then pitch; yaw wrapped to (-180, 180].
    pub fn clamp(&mut self, limits: &Limits) {
        self.hfov = self.hfov.clamp(limits.min_hfov, limits.max_hfov.max(limits.min_hfov));
        self.pitch = self.pitch.clamp(limits.min_pitch, limits.max_pitch.max(limits.min_pitch));
        self.yaw = wrap_yaw(self.yaw);
    }

    /// Degrees of yaw and pitch per pixel of pointer movement at the current zoom.
    pub fn degrees_per_pixel(&self, vp: &Viewport) -> (f32, f32) {
        (self.hfov / vp.width.max(1.0), vfov(self.hfov, vp.aspect()) / vp.height.max(1.0))
    }

    /// A drag by (dx, dy) pixels: the panorama follows the pointer, as if grabbed.
    pub fn drag(&mut self, dx: f32, dy: f32, vp: &Viewport, limits: &Limits) {
        let (kx, ky) = self.degrees_per_pixel(vp);
        self.yaw -= dx * kx;
        self.pitch += dy * ky;
        self.clamp(limits);
    }

    /// Zoom by a factor on hfov (below 1 zooms in).
    pub fn zoom(&mut self, factor: f32, limits: &Limits) {
        self.hfov *= factor;
        self.clamp(limits);
    }

    /// Wheel notches (positive scrolls up, zooming in).
    pub fn wheel(&mut self, notches: f32, limits: &Limits) {
        self.zoom(WHEEL_ZOOM.powf(-notches), limits);
    }

    /// Two fingers: the hfov at which the pinch started, scaled by how the distance changed.
    pub fn pinch(&mut self, start_hfov: f32, start_distance: f32, distance: f32, limits: &Limits) {
        if start_distance > 1.0 && distance > 1.0 {
            self.hfov = start_hfov * start_distance / distance;
            self.clamp(limits);
        }
    }

    /// Screen position (logical pixels from the top-left) of scene angles, or None when the point
    /// is behind the viewer or too far to the side to be drawn.
    pub fn project(&self, vp: &Viewport, yaw: f32, pitch: f32) -> Option<(f32, f32)> {
        let d = direction(yaw, pitch);
        let (f, r, u) = self.basis();
        let z = dot(d, f);
        if z <= 1e-3 {
            return None;
        }
        let tx = (self.hfov.to_radians() / 2.0).tan();
        let ty = (vfov(self.hfov, vp.aspect()).to_radians() / 2.0).tan();
        let x = dot(d, r) / z / tx;
        let y = dot(d, u) / z / ty;
        Some(((x + 1.0) / 2.0 * vp.width, (1.0 - y) / 2.0 * vp.height))
    }

    /// Scene angles under a screen position.
    pub fn unproject(&self, vp: &Viewport, sx: f32, sy: f32) -> (f32, f32) {
        let tx = (self.hfov.to_radians() / 2.0).tan();
        let ty = (vfov(self.hfov, vp.aspect()).to_radians() / 2.0).tan();
        let x = (sx / vp.width.max(1.0) * 2.0 - 1.0) * tx;
        let y = (1.0 - sy / vp.height.max(1.0) * 2.0) * ty;
        let (f, r, u) = self.basis();
        let d = [f[0] + r[0] * x + u[0] * y, f[1] + r[1] * x + u[1] * y, f[2] + r[2] * x + u[2] * y];
        super::angles(d)
    }

    /// Forward, right and up of the camera, world frame.
    fn basis(&self) -> ([f32; 3], [f32; 3], [f32; 3]) {
        (direction(self.yaw, self.pitch), direction(self.yaw + 90.0, 0.0), direction(self.yaw, self.pitch + 90.0))
    }

    /// Move toward `target` by the fraction `t` (0..1), taking the short way round in yaw.
    pub fn approach(&self, target: &ViewState, t: f32) -> ViewState {
        let t = t.clamp(0.0, 1.0);
        ViewState {
            yaw: wrap_yaw(self.yaw + wrap_yaw(target.yaw - self.yaw) * t),
            pitch: self.pitch + (target.pitch - self.pitch) * t,
            hfov: self.hfov + (target.hfov - self.hfov) * t,
        }
    }
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Inertia after a drag: the velocity (degrees a second) after `dt` seconds.
/// Where a screen point of the level view shows when the camera is rolled `roll` degrees (a phone
/// held askew): the picture turns about the screen's centre. Positive roll tips the camera's up
/// to its left, so the picture turns clockwise.
pub fn rolled(vp: &Viewport, (x, y): (f32, f32), roll: f32) -> (f32, f32) {
    if roll == 0.0 {
        return (x, y);
    }
    let (s, c) = roll.to_radians().sin_cos();
    let (cx, cy) = (vp.width / 2.0, vp.height / 2.0);
    let (dx, dy) = (x - cx, y - cy);
    (cx + dx * c - dy * s, cy + dx * s + dy * c)
}

pub fn decay(velocity: (f32, f32), dt: f32) -> (f32, f32) {
    let k = (-INERTIA_DECAY * dt).exp();
    let v = (velocity.0 * k, velocity.1 * k);
    if v.0.abs() < 0.05 && v.1.abs() < 0.05 { (0.0, 0.0) } else { v }
}

/// Distance between two touch points.
pub fn touch_distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VP: Viewport = Viewport { width: 1000.0, height: 500.0 };

    fn view(yaw: f32, pitch: f32, hfov: f32) -> ViewState {
        ViewState { yaw, pitch, hfov }
    }

    #[test]
    fn dragging_across_the_screen_turns_by_the_hfov() {
        let mut v = view(0.0, 0.0, 100.0);
        v.drag(-1000.0, 0.0, &VP, &Limits::default());
        assert!((v.yaw - 100.0).abs() < 1e-3, "dragging left by the width turns right by hfov: {}", v.yaw);
        v.drag(500.0, 0.0, &VP, &Limits::default());
        assert!((v.yaw - 50.0).abs() < 1e-3);
    }

    #[test]
    fn dragging_down_looks_up_by_the_vfov() {
        let mut v = view(0.0, 0.0, 90.0);
        let vf = vfov(90.0, 2.0);
        v.drag(0.0, 100.0, &VP, &Limits::default());
        assert!((v.pitch - vf * 0.2).abs() < 1e-3, "{}", v.pitch);
    }

    #[test]
    fn pitch_and_hfov_stop_at_the_limits() {
        let limits = Limits { min_hfov: 40.0, max_hfov: 110.0, min_pitch: -30.0, max_pitch: 45.0 };
        let mut v = view(170.0, 0.0, 90.0);
        v.drag(0.0, 10_000.0, &VP, &limits);
        assert_eq!(v.pitch, 45.0);
        v.drag(0.0, -20_000.0, &VP, &limits);
        assert_eq!(v.pitch, -30.0);
        v.wheel(50.0, &limits);
        assert_eq!(v.hfov, 40.0);
        v.wheel(-50.0, &limits);
        assert_eq!(v.hfov, 110.0);
        v.drag(-200.0, 0.0, &VP, &limits);
        assert!(v.yaw > -180.0 && v.yaw <= 180.0, "yaw wraps: {}", v.yaw);
    }

    #[test]
    fn wheel_zooms_by_a_fixed_factor_per_notch() {
        let mut v = view(0.0, 0.0, 100.0);
        v.wheel(1.0, &Limits::default());
        assert!((v.hfov - 100.0 / WHEEL_ZOOM).abs() < 1e-3);
        v.wheel(-2.0, &Limits::default());
        assert!((v.hfov - 100.0 * WHEEL_ZOOM).abs() < 1e-3);
    }

    #[test]
    fn pinching_apart_zooms_in_in_proportion() {
        let mut v = view(0.0, 0.0, 90.0);
        v.pinch(90.0, 100.0, 200.0, &Limits::default());
        assert!((v.hfov - 45.0).abs() < 1e-3);
        v.pinch(90.0, 100.0, 50.0, &Limits::default());
        assert_eq!(v.hfov, 120.0, "clamped at max_hfov");
    }

    #[test]
    fn projection_puts_the_view_centre_mid_screen_and_hides_what_is_behind() {
        let v = view(30.0, 10.0, 90.0);
        let (x, y) = v.project(&VP, 30.0, 10.0).expect("visible");
        assert!((x - 500.0).abs() < 1e-2 && (y - 250.0).abs() < 1e-2);
        let (x, _) = view(30.0, 0.0, 90.0).project(&VP, 75.0, 0.0).expect("right edge");
        assert!((x - 1000.0).abs() < 0.1, "yaw + hfov/2 is at the right edge: {x}");
        assert!(v.project(&VP, 30.0 + 180.0, -10.0).is_none());
        let (_, y) = v.project(&VP, 30.0, 20.0).expect("above");
        assert!(y < 250.0, "higher pitch is higher on screen");
    }

    #[test]
    fn unproject_inverts_project() {
        let v = view(-120.0, 25.0, 75.0);
        for (yaw, pitch) in [(-120.0, 25.0), (-100.0, 30.0), (-140.0, 5.0)] {
            let (x, y) = v.project(&VP, yaw, pitch).expect("visible");
            let (y2, p2) = v.unproject(&VP, x, y);
            assert!((wrap_yaw(y2 - yaw)).abs() < 1e-2 && (p2 - pitch).abs() < 1e-2, "{yaw},{pitch} -> {y2},{p2}");
        }
    }

    #[test]
    fn approach_takes_the_short_way_round() {
        let v = view(170.0, 0.0, 90.0).approach(&view(-170.0, 10.0, 60.0), 0.5);
        assert!((v.yaw - 180.0).abs() < 1e-3, "{}", v.yaw);
        assert!((v.pitch - 5.0).abs() < 1e-3 && (v.hfov - 75.0).abs() < 1e-3);
    }

    #[test]
    fn inertia_decays_to_rest() {
        let mut v = (100.0, -40.0);
        for _ in 0..200 {
            v = decay(v, 1.0 / 60.0);
        }
        assert_eq!(v, (0.0, 0.0));
        let once = decay((100.0, 0.0), 0.25);
        assert!((once.0 - 100.0 * (-1.0f32).exp()).abs() < 1e-3);
    }

    #[test]
    fn a_rolled_camera_turns_the_picture_about_the_centre() {
        let vp = Viewport { width: 400.0, height: 200.0 };
        assert_eq!(rolled(&vp, (300.0, 50.0), 0.0), (300.0, 50.0));
        // Up tipped to the left by 90 degrees: what was right of the centre is now below it.
        let (x, y) = rolled(&vp, (300.0, 100.0), 90.0);
        assert!((x - 200.0).abs() < 1e-3 && (y - 200.0).abs() < 1e-3, "{x} {y}");
        let (x, y) = rolled(&vp, (200.0, 100.0), 33.0);
        assert!((x - 200.0).abs() < 1e-3 && (y - 100.0).abs() < 1e-3, "the centre stays");
    }
}
