//! Panorama geometry, free of Bevy: directions, projections, cube faces and multires tiles, view
//! limits. The GPU does the sampling (`viewer::pano_material`); nothing here converts images.
//!
//! Two frames meet here. Scene files use Pannellum's angles: yaw 0 at the centre column of the
//! equirectangular image and positive to the right, pitch positive up. Bevy's camera looks along
//! -Z with +Y up, and its positive yaw turns left. [`direction`] and [`camera_euler`] are the one
//! place that converts; everything else speaks in scene angles.

pub mod multires;
pub mod view;

pub use view::{Limits, ViewState, Viewport};

/// A world direction (Bevy's frame: x right, y up, -z forward at yaw 0) for scene angles in degrees.
pub fn direction(yaw_deg: f32, pitch_deg: f32) -> [f32; 3] {
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    [cp * sy, sp, -cp * cy]
}

/// Scene angles in degrees of a world direction; yaw in (-180, 180].
pub fn angles(d: [f32; 3]) -> (f32, f32) {
    let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(f32::MIN_POSITIVE);
    let pitch = (d[1] / len).clamp(-1.0, 1.0).asin().to_degrees();
    let yaw = d[0].atan2(-d[2]).to_degrees();
    (wrap_yaw(yaw), pitch)
}

/// Euler angles (YXZ order, radians) that turn Bevy's camera to look at scene (yaw, pitch).
pub fn camera_euler(yaw_deg: f32, pitch_deg: f32) -> (f32, f32, f32) {
    (-yaw_deg.to_radians(), pitch_deg.to_radians(), 0.0)
}

/// Where a world direction lands in an equirectangular image: u, v in 0..1 from the top-left.
pub fn equirect_uv(d: [f32; 3]) -> (f32, f32) {
    let (yaw, pitch) = angles(d);
    (0.5 + yaw / 360.0, 0.5 - pitch / 180.0)
}

/// Yaw folded into (-180, 180].
pub fn wrap_yaw(yaw: f32) -> f32 {
    let y = (yaw + 180.0).rem_euclid(360.0) - 180.0;
    if y <= -180.0 { y + 360.0 } else { y }
}

/// Vertical field of view (degrees) for a horizontal one on a viewport of this aspect (w/h).
pub fn vfov(hfov_deg: f32, aspect: f32) -> f32 {
    let half = (hfov_deg.to_radians() / 2.0).tan() / aspect.max(1e-6);
    2.0 * half.atan().to_degrees()
}

/// Horizontal field of view (degrees) for a vertical one.
pub fn hfov(vfov_deg: f32, aspect: f32) -> f32 {
    let half = (vfov_deg.to_radians() / 2.0).tan() * aspect;
    2.0 * half.atan().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32, eps: f32) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn directions_follow_the_scene_convention() {
        let f = direction(0.0, 0.0);
        assert!(close(f[2], -1.0, 1e-6), "yaw 0 looks along -Z");
        let r = direction(90.0, 0.0);
        assert!(close(r[0], 1.0, 1e-6), "positive yaw turns right (+X)");
        let u = direction(37.0, 90.0);
        assert!(close(u[1], 1.0, 1e-6));
    }

    #[test]
    fn angles_invert_direction() {
        for (y, p) in [(0.0, 0.0), (90.0, 10.0), (-135.0, -45.0), (180.0, 30.0), (12.5, 89.0)] {
            let (y2, p2) = angles(direction(y, p));
            assert!(close(wrap_yaw(y2 - y), 0.0, 1e-3), "yaw {y} -> {y2}");
            assert!(close(p2, p, 1e-3), "pitch {p} -> {p2}");
        }
    }

    #[test]
    fn equirect_centre_column_is_straight_ahead() {
        assert_eq!(equirect_uv(direction(0.0, 0.0)), (0.5, 0.5));
        let (u, v) = equirect_uv(direction(90.0, 0.0));
        assert!(close(u, 0.75, 1e-6) && close(v, 0.5, 1e-6));
        let (_, v) = equirect_uv(direction(0.0, 90.0));
        assert!(close(v, 0.0, 1e-6));
    }

    #[test]
    fn yaw_wraps_into_the_half_open_range() {
        assert_eq!(wrap_yaw(180.0), 180.0);
        assert_eq!(wrap_yaw(-180.0), 180.0);
        assert_eq!(wrap_yaw(270.0), -90.0);
        assert_eq!(wrap_yaw(-450.0), -90.0);
        assert_eq!(wrap_yaw(0.0), 0.0);
    }

    #[test]
    fn fov_conversions_round_trip() {
        let v = vfov(100.0, 16.0 / 9.0);
        assert!(close(hfov(v, 16.0 / 9.0), 100.0, 1e-3));
        assert!(close(vfov(90.0, 1.0), 90.0, 1e-4));
        assert!(v < 100.0);
    }
}
