//! Looking around by turning the phone: the browser's `deviceorientation` angles as the
//! panorama's yaw, pitch and roll, and the [`Gyro`] that blends them with the visitor's drags.
//!
//! The device's angles are intrinsic Z-X'-Y'' rotations (alpha about the screen's normal, beta
//! about its width, gamma about its height) from the Earth's east-north-up frame; the screen
//! itself may be turned against the device (`screen.orientation.angle`). The camera looks out of
//! the back of the phone, with the screen's up as its up.

use crate::pano::{ViewState, wrap_yaw};

/// A view direction with its roll, in degrees. Yaw grows clockwise seen from above (the
/// panorama's convention), pitch grows upward, roll turns the picture: positive rolls the
/// camera's up toward its left, as Bevy's rotation about the camera's backward axis does.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Orientation {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

type M3 = [[f64; 3]; 3];

fn mul(a: &M3, b: &M3) -> M3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn apply(m: &M3, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
}

fn rot_x(deg: f64) -> M3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

fn rot_y(deg: f64) -> M3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

fn rot_z(deg: f64) -> M3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

/// The view of a phone at `alpha`, `beta`, `gamma` (degrees, as `DeviceOrientationEvent` gives
/// them) whose screen is turned `screen_angle` degrees (`screen.orientation.angle`: 0 upright,
/// 90 on its left side, 270 or -90 on its right). Yaw is a compass heading here; the [`Gyro`]
/// adds the offset that keeps the visitor's view where it was.
pub fn device_view(alpha: f64, beta: f64, gamma: f64, screen_angle: f64) -> Orientation {
    let r = mul(&mul(&mul(&rot_z(alpha), &rot_x(beta)), &rot_y(gamma)), &rot_z(-screen_angle));
    let d = apply(&r, [0.0, 0.0, -1.0]); // out of the back of the phone
    let u = apply(&r, [0.0, 1.0, 0.0]); // the screen's up
    let pitch = d[2].clamp(-1.0, 1.0).asin();
    let level = cross(d, [0.0, 0.0, 1.0]); // the level right of the view
    let n = dot(level, level).sqrt();
    let (yaw, roll) = if n > 1e-6 {
        let right = level.map(|v| v / n);
        let up = cross(right, d);
        (d[0].atan2(d[1]), (-dot(u, right)).atan2(dot(u, up)))
    } else if d[2] < 0.0 {
        // Straight down: the heading is where the screen's top points.
        (u[0].atan2(u[1]), 0.0)
    } else {
        (-u[0].atan2(-u[1]), 0.0)
    };
    Orientation { yaw: yaw.to_degrees() as f32, pitch: pitch.to_degrees() as f32, roll: roll.to_degrees() as f32 }
}

/// How quickly the shown view follows the sensor: the time constant of an exponential filter,
/// short enough to feel attached to the hand, long enough to hide the sensor's jitter.
pub const SMOOTHING: f32 = 0.06;

/// Sensor samples left out after the gyroscope starts: the first ones can be stale (iOS sends
/// the last known angles first).
pub const SKIP_SAMPLES: u32 = 2;

/// The gyroscope look: the device's orientation, offset so that it starts at the visitor's view
/// (no jump), plus whatever the visitor drags meanwhile, smoothed.
#[derive(Debug, Clone, Default)]
pub struct Gyro {
    /// Added to the device's yaw and pitch.
    offset: (f32, f32),
    /// The device's latest orientation (with the offset not yet applied).
    device: Option<Orientation>,
    /// What was shown last, to tell the visitor's drags from the gyroscope's own motion.
    shown: Option<Orientation>,
    skip: u32,
    started_from: Option<ViewState>,
}

impl Gyro {
    /// Start following the device from the view the visitor has now.
    pub fn start(view: ViewState) -> Gyro {
        Gyro { skip: SKIP_SAMPLES, started_from: Some(view), ..Gyro::default() }
    }

    /// A new reading of the device's orientation.
    pub fn sample(&mut self, device: Orientation) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        if let Some(view) = self.started_from.take() {
            // Keep the visitor's yaw; the pitch eases in from theirs (the filter starts there).
            self.offset = (wrap_yaw(view.yaw - device.yaw), 0.0);
            self.shown = Some(Orientation { yaw: view.yaw, pitch: view.pitch, roll: 0.0 });
        }
        self.device = Some(device);
    }

    /// The view to show this frame, `dt` seconds after the last, given `view` as the look systems
    /// left it (a drag since the last frame moved it: that becomes part of the offset). `None`
    /// until the first usable reading.
    pub fn update(&mut self, view: &ViewState, dt: f32) -> Option<Orientation> {
        let device = self.device?;
        let shown = self.shown.get_or_insert(device);
        // The visitor's drag since the last frame.
        self.offset.0 = wrap_yaw(self.offset.0 + wrap_yaw(view.yaw - shown.yaw));
        self.offset.1 = (self.offset.1 + (view.pitch - shown.pitch)).clamp(-90.0, 90.0);
        let target = Orientation {
            yaw: wrap_yaw(device.yaw + self.offset.0),
            pitch: (device.pitch + self.offset.1).clamp(-90.0, 90.0),
            roll: device.roll,
        };
        let k = if dt <= 0.0 { 0.0 } else { 1.0 - (-dt / SMOOTHING).exp() };
        let next = Orientation {
            yaw: wrap_yaw(view.yaw + wrap_yaw(target.yaw - view.yaw) * k),
            pitch: view.pitch + (target.pitch - view.pitch) * k,
            roll: shown.roll + wrap_yaw(target.roll - shown.roll) * k,
        };
        *shown = next;
        Some(next)
    }

    /// The view as shown after clamping to the scene's limits (which the look applies): the
    /// filter continues from there, so a limit is not taken for a drag.
    pub fn shown_as(&mut self, yaw: f32, pitch: f32) {
        if let Some(s) = &mut self.shown {
            s.yaw = yaw;
            s.pitch = pitch;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        wrap_yaw(a - b).abs() < 0.01
    }

    #[test]
    fn four_known_orientations() {
        // Upright, facing north.
        let o = device_view(0.0, 90.0, 0.0, 0.0);
        assert!(close(o.yaw, 0.0) && close(o.pitch, 0.0) && close(o.roll, 0.0), "{o:?}");
        // Turned to face west: alpha grows counter-clockwise, the panorama's yaw clockwise.
        let o = device_view(90.0, 90.0, 0.0, 0.0);
        assert!(close(o.yaw, -90.0) && close(o.pitch, 0.0) && close(o.roll, 0.0), "{o:?}");
        // The top tipped away: the camera looks 30 degrees up.
        let o = device_view(0.0, 120.0, 0.0, 0.0);
        assert!(close(o.yaw, 0.0) && close(o.pitch, 30.0) && close(o.roll, 0.0), "{o:?}");
        // Flat on a table, screen up: the camera looks at the floor.
        let o = device_view(0.0, 0.0, 0.0, 0.0);
        assert!(close(o.pitch, -90.0), "{o:?}");
    }

    #[test]
    fn landscape_is_corrected_for_the_screen() {
        // On its left side (the top to the west) facing north, the screen in landscape.
        let o = device_view(90.0, 0.0, -90.0, 90.0);
        assert!(close(o.yaw, 0.0) && close(o.pitch, 0.0) && close(o.roll, 0.0), "{o:?}");
        // On its right side (the top to the south), facing east.
        let o = device_view(180.0, 0.0, 90.0, -90.0);
        assert!(close(o.yaw, 90.0) && close(o.pitch, 0.0) && close(o.roll, 0.0), "{o:?}");
        // Upright but the screen says landscape: the picture is on its side.
        let o = device_view(0.0, 90.0, 0.0, 90.0);
        assert!(close(o.roll.abs(), 90.0), "{o:?}");
    }

    /// Bevy's camera turned by (yaw, pitch, roll) as the viewer turns it (YXZ Euler angles of
    /// -yaw, pitch, roll; north is -Z, east +X, up +Y) sees what the phone sees, for any pose.
    #[test]
    fn the_camera_matches_the_phone_in_any_pose() {
        let to_bevy = |v: [f64; 3]| [v[0], v[2], -v[1]];
        for alpha in (0..360).step_by(37) {
            for beta in (-170..180).step_by(29) {
                for gamma in (-85..90).step_by(23) {
                    for screen in [0.0, 90.0, -90.0] {
                        let (a, b, g) = (alpha as f64, beta as f64, gamma as f64);
                        let o = device_view(a, b, g, screen);
                        if o.pitch.abs() > 85.0 {
                            continue;
                        }
                        let r = mul(&mul(&mul(&rot_z(a), &rot_x(b)), &rot_y(g)), &rot_z(-screen));
                        let (d, u) = (to_bevy(apply(&r, [0.0, 0.0, -1.0])), to_bevy(apply(&r, [0.0, 1.0, 0.0])));
                        // Bevy's YXZ: R = Ry(-yaw) Rx(pitch) Rz(roll) in a right-handed Y-up frame.
                        let (y, p, ro) = (-(o.yaw as f64), o.pitch as f64, o.roll as f64);
                        let cam = mul(&mul(&rot_bevy_y(y), &rot_x(p)), &rot_z(ro));
                        let (cd, cu) = (apply(&cam, [0.0, 0.0, -1.0]), apply(&cam, [0.0, 1.0, 0.0]));
                        for i in 0..3 {
                            assert!(
                                (cd[i] - d[i]).abs() < 1e-3 && (cu[i] - u[i]).abs() < 1e-3,
                                "alpha {a} beta {b} gamma {g} screen {screen}: {o:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A rotation about Bevy's Y (up) axis.
    fn rot_bevy_y(deg: f64) -> M3 {
        rot_y(deg)
    }

    #[test]
    fn the_gyroscope_starts_where_the_visitor_looks() {
        let view = ViewState { yaw: 120.0, pitch: 10.0, hfov: 90.0 };
        let mut g = Gyro::start(view);
        let device = Orientation { yaw: -40.0, pitch: 0.0, roll: 0.0 };
        for _ in 0..SKIP_SAMPLES {
            g.sample(Orientation { yaw: 170.0, pitch: 50.0, roll: 0.0 }); // stale: left out
        }
        g.sample(device);
        let first = g.update(&view, 1.0 / 60.0).unwrap();
        assert!(close(first.yaw, 120.0), "no jump in yaw: {first:?}");
        assert!(first.pitch < 10.0 && first.pitch > 5.0, "the pitch eases toward the device's: {first:?}");
        // The device turns 30 degrees right: so does the view, smoothly.
        g.sample(Orientation { yaw: -10.0, ..device });
        let mut v = ViewState { yaw: first.yaw, pitch: first.pitch, hfov: 90.0 };
        let step = g.update(&v, 1.0 / 60.0).unwrap();
        assert!(step.yaw > 120.0 && step.yaw < 140.0, "smoothed, not a jump: {step:?}");
        (v.yaw, v.pitch) = (step.yaw, step.pitch);
        for _ in 0..60 {
            let o = g.update(&v, 1.0 / 60.0).unwrap();
            v.yaw = o.yaw;
            v.pitch = o.pitch;
        }
        assert!(close(v.yaw, 150.0) && v.pitch.abs() < 0.1, "{v:?}");
    }

    #[test]
    fn a_drag_adds_its_offset() {
        let mut v = ViewState { yaw: 0.0, pitch: 0.0, hfov: 90.0 };
        let mut g = Gyro::start(v);
        for _ in 0..=SKIP_SAMPLES {
            g.sample(Orientation::default());
        }
        let o = g.update(&v, 0.1).unwrap();
        v.yaw = o.yaw;
        // The visitor drags 25 degrees left and 5 up.
        v.yaw -= 25.0;
        v.pitch += 5.0;
        for _ in 0..30 {
            let o = g.update(&v, 0.1).unwrap();
            v.yaw = o.yaw;
            v.pitch = o.pitch;
        }
        assert!(close(v.yaw, -25.0) && (v.pitch - 5.0).abs() < 0.01, "the drag stays: {v:?}");
        // And the phone still turns the view from there.
        g.sample(Orientation { yaw: 10.0, pitch: 0.0, roll: 0.0 });
        for _ in 0..30 {
            let o = g.update(&v, 0.1).unwrap();
            v.yaw = o.yaw;
            v.pitch = o.pitch;
        }
        assert!(close(v.yaw, -15.0), "{v:?}");
    }
}
