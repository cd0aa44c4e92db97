//! The lens of a cardboard viewer, and the side-by-side layout of the two eyes.
//!
//! A cardboard lens magnifies with pincushion distortion; the picture on the phone is drawn with
//! the opposite, barrel distortion so that straight lines look straight through the lens. Each
//! screen pixel takes its colour from the undistorted eye image at `c + (p - c) * D(r^2)`, where
//! `c` is the lens centre on screen, `r` the distance from it in units of half the eye's height,
//! and `D(r^2) = 1 + k1 r^2 + k2 r^4` the lens's radial polynomial. The viewer's shader
//! (`src/viewer/shaders/lens.wgsl`) computes exactly [`Lens::source`].

use serde::{Deserialize, Serialize};

/// One cardboard viewer's optics, configurable in `vr.ron`'s `lens` or on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lens {
    /// The radial distortion coefficients.
    pub k1: f32,
    pub k2: f32,
    /// The distance between the visitor's pupils (and the lenses), millimetres.
    pub ipd_mm: f32,
    /// The width of the phone's screen held in landscape, millimetres.
    pub screen_width_mm: f32,
    /// Each eye's horizontal field of view, degrees.
    pub eye_hfov: f32,
}

impl Default for Lens {
    /// A common cardboard viewer (the coefficients of Google Cardboard's second design) on a
    /// 6-inch phone.
    fn default() -> Self {
        Lens { k1: 0.34, k2: 0.55, ipd_mm: 64.0, screen_width_mm: 135.0, eye_hfov: 90.0 }
    }
}

/// A rectangle of the screen in pixels: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// The two eyes' viewports on a screen of `width` x `height` pixels: the left and right halves.
pub fn eyes(width: f32, height: f32) -> [Rect; 2] {
    let w = (width / 2.0).floor();
    [Rect { x: 0.0, y: 0.0, w, h: height }, Rect { x: w, y: 0.0, w: width - w, h: height }]
}

impl Lens {
    /// The radial factor at squared radius `r2`.
    pub fn factor(&self, r2: f32) -> f32 {
        1.0 + self.k1 * r2 + self.k2 * r2 * r2
    }

    /// Where the lens centre of an eye falls on screen (pixels): the eye's centre moved toward
    /// the middle of the screen, or away from it, so the two centres are the pupils' distance
    /// apart.
    pub fn centre(&self, eye: Rect, left: bool, screen_width: f32) -> (f32, f32) {
        let px_per_mm = screen_width / self.screen_width_mm;
        let from_middle = self.ipd_mm / 2.0 * px_per_mm;
        let middle = screen_width / 2.0;
        let x = if left { middle - from_middle } else { middle + from_middle };
        (x, eye.y + eye.h / 2.0)
    }

    /// Where the screen pixel `p` of an eye takes its colour from, in that eye's undistorted
    /// image (same pixel coordinates).
    pub fn source(&self, eye: Rect, left: bool, screen_width: f32, p: (f32, f32)) -> (f32, f32) {
        let c = self.centre(eye, left, screen_width);
        let unit = eye.h / 2.0;
        let (dx, dy) = ((p.0 - c.0) / unit, (p.1 - c.1) / unit);
        let f = self.factor(dx * dx + dy * dy);
        (c.0 + dx * f * unit, c.1 + dy * f * unit)
    }

    /// Where a point `q` of an eye's undistorted image shows on screen: [`Lens::source`]
    /// inverted (Newton's method on the radius).
    pub fn screen_of(&self, eye: Rect, left: bool, screen_width: f32, q: (f32, f32)) -> (f32, f32) {
        let c = self.centre(eye, left, screen_width);
        let unit = eye.h / 2.0;
        let (qx, qy) = ((q.0 - c.0) / unit, (q.1 - c.1) / unit);
        let rq = (qx * qx + qy * qy).sqrt();
        if rq < 1e-9 {
            return c;
        }
        // Solve r * D(r^2) = rq.
        let mut r = rq;
        for _ in 0..30 {
            let g = r * self.factor(r * r) - rq;
            let dg = 1.0 + 3.0 * self.k1 * r * r + 5.0 * self.k2 * r.powi(4);
            r -= g / dg;
        }
        let s = r / rq;
        (c.0 + qx * s * unit, c.1 + qy * s * unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eyes_split_the_screen_and_the_lens_centres_are_the_pupils_apart() {
        let lens = Lens::default();
        let [l, r] = eyes(1700.0, 800.0);
        assert_eq!((l.w, r.x, r.w), (850.0, 850.0, 850.0));
        let (cl, cr) = (lens.centre(l, true, 1700.0), lens.centre(r, false, 1700.0));
        let mm = (cr.0 - cl.0) / (1700.0 / lens.screen_width_mm);
        assert!((mm - 64.0).abs() < 1e-3, "{mm}");
        assert_eq!(cl.1, 400.0);
    }

    #[test]
    fn barrel_distortion_pulls_the_edges_in_and_inverts() {
        let lens = Lens::default();
        let [l, _] = eyes(1700.0, 800.0);
        let c = lens.centre(l, true, 1700.0);
        assert_eq!(lens.source(l, true, 1700.0, c), c, "the centre stays");
        // Half way to the top edge: the colour comes from further out (the picture shrinks).
        let p = (c.0, c.1 - 200.0);
        let s = lens.source(l, true, 1700.0, p);
        let expected = 200.0 * lens.factor(0.25);
        assert!((c.1 - s.1 - expected).abs() < 1e-3 && (s.0 - c.0).abs() < 1e-3, "{s:?}");
        for q in [(100.0, 100.0), (500.0, 700.0), (c.0 + 3.0, c.1 - 1.0)] {
            let back = lens.source(l, true, 1700.0, lens.screen_of(l, true, 1700.0, q));
            assert!((back.0 - q.0).abs() < 1e-2 && (back.1 - q.1).abs() < 1e-2, "{q:?} -> {back:?}");
        }
        // A vertical line of the picture bends toward the centre at the top and bottom.
        let top = lens.screen_of(l, true, 1700.0, (c.0 + 200.0, 50.0));
        let mid = lens.screen_of(l, true, 1700.0, (c.0 + 200.0, c.1));
        assert!(top.0 < mid.0, "barrel: {top:?} {mid:?}");
    }
}
