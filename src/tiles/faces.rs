//! Pixels for the pyramid: cube faces sampled from the equirectangular image, row by row or a
//! whole face at once. Plain RGB8 buffers, every core used.

#[cfg(test)]
use crate::pano::{equirect_uv, multires::face_point};

/// An RGB8 image, row-major.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Rows of `out` (each `row_len` bytes) filled by `fill(row, bytes)` on every core.
fn par_rows(out: &mut [u8], row_len: usize, fill: impl Fn(u32, &mut [u8]) + Sync) {
    let rows = out.len() / row_len.max(1);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(rows.max(1));
    let per = rows.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (k, part) in out.chunks_mut(per * row_len).enumerate() {
            let fill = &fill;
            s.spawn(move || {
                for (i, row) in part.chunks_mut(row_len).enumerate() {
                    fill((k * per + i) as u32, row);
                }
            });
        }
    });
}

/// atan(x) for |x| <= 1, within 1e-5 rad (a minimax polynomial): at 16384 pixels a turn that
/// is 0.03 pixel, and several times cheaper than the library's.
#[inline]
fn atan_unit(x: f32) -> f32 {
    let x2 = x * x;
    x * (0.999_977_26
        + x2 * (-0.332_623_47 + x2 * (0.193_543_46 + x2 * (-0.116_432_87 + x2 * (0.052_653_32 + x2 * -0.011_721_2)))))
}

/// atan2(y, x) from [`atan_unit`].
#[inline]
fn atan2_fast(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let r = if ax >= ay {
        let t = atan_unit(ay / ax.max(f32::MIN_POSITIVE));
        if x < 0.0 { PI - t } else { t }
    } else {
        let t = FRAC_PI_2 - atan_unit(ax / ay);
        if x < 0.0 { PI - t } else { t }
    };
    if y < 0.0 { -r } else { r }
}

/// One cube face of `size` pixels sampled from an equirectangular RGB8 image (bilinear,
/// wrapping across the yaw seam, clamped at the poles).
pub fn face(equirect: &Rgb, face: char, size: u32) -> Rgb {
    let sampler = FaceSampler::new(face, size, equirect.width, equirect.height);
    let row_len = equirect.width as usize * 3;
    let src_row = |y: usize| &equirect.data[y * row_len..(y + 1) * row_len];
    let mut data = vec![0u8; (size as usize) * (size as usize) * 3];
    par_rows(&mut data, size as usize * 3, |row, out| sampler.row(row, &src_row, out));
    Rgb { width: size, height: size, data }
}

/// Samples the rows of one cube face from an equirectangular image, the image's rows given by a
/// function, so that a streaming decoder can hand over only the rows a face row needs
/// ([`FaceSampler::rows_needed`]).
///
/// Equivalent to sampling at [`equirect_uv`] of [`face_point`] for every pixel, but cheaper:
/// on the four side faces a column's yaw is the face's yaw plus atan(a), the same all the way
/// down, so only the pitch is computed per pixel; up and down need both angles per pixel.
pub struct FaceSampler {
    face: char,
    size: u32,
    width: usize,
    height: usize,
    side: bool,
    /// Per column (side faces): the two source columns, the second's weight in 1/256ths, and
    /// 1/sqrt(1 + a²).
    columns: Vec<((usize, usize, u32), f32)>,
}

impl FaceSampler {
    pub fn new(face: char, size: u32, width: u32, height: u32) -> Self {
        use std::f32::consts::{FRAC_PI_2, PI};
        let side_yaw = match face {
            'f' => Some(0.0),
            'r' => Some(FRAC_PI_2),
            'b' => Some(PI),
            'l' => Some(-FRAC_PI_2),
            _ => None,
        };
        let mut s = FaceSampler {
            face,
            size,
            width: width as usize,
            height: height as usize,
            side: side_yaw.is_some(),
            columns: Vec::new(),
        };
        s.columns = (0..size)
            .map(|c| {
                let a = s.coord(c);
                let yaw = side_yaw.unwrap_or(0.0) + atan_unit(a);
                (s.split_x(s.x_of(yaw)), 1.0 / (1.0 + a * a).sqrt())
            })
            .collect();
        s
    }

    fn coord(&self, i: u32) -> f32 {
        2.0 * (i as f32 + 0.5) / self.size as f32 - 1.0
    }

    fn x_of(&self, yaw: f32) -> f32 {
        (0.5 + yaw / std::f32::consts::TAU) * self.width as f32 - 0.5
    }

    fn y_of(&self, pitch: f32) -> f32 {
        ((0.5 - pitch / std::f32::consts::PI) * self.height as f32 - 0.5).clamp(0.0, self.height as f32 - 1.0)
    }

    /// Where a source x lands: the two columns either side (wrapping at the seam) and the
    /// weight of the second, in 1/256ths.
    fn split_x(&self, x: f32) -> (usize, usize, u32) {
        // x is within one turn of the image: a conditional add is enough (and far cheaper
        // than a floating-point remainder).
        let w = self.width as f32;
        let x = if x < 0.0 {
            x + w
        } else if x >= w {
            x - w
        } else {
            x
        };
        let x0 = x.floor();
        let xa = (x0 as usize).min(self.width - 1);
        let xb = if xa + 1 == self.width { 0 } else { xa + 1 };
        (xa, xb, ((x - x0) * 256.0) as u32)
    }

    /// The pitch (radians) of face coordinates (a, b).
    fn pitch(&self, a: f32, b: f32) -> f32 {
        use std::f32::consts::FRAC_PI_2;
        match self.face {
            'u' => FRAC_PI_2 - atan_unit_any((a * a + b * b).sqrt()),
            'd' => -(FRAC_PI_2 - atan_unit_any((a * a + b * b).sqrt())),
            _ => atan_unit(-b / (1.0 + a * a).sqrt()),
        }
    }

    /// The first and last source rows (inclusive) that face row `row` reads.
    pub fn rows_needed(&self, row: u32) -> (usize, usize) {
        let b = self.coord(row);
        let ys: Vec<f32> = if self.side {
            // Pitch is largest in size at the middle column, smallest at the edges.
            [0.0, 1.0].iter().map(|&a| self.y_of(self.pitch(a, b))).collect()
        } else {
            // Up and down: nearest the pole at the middle column, farthest at the corners.
            [0.0, 1.0].iter().map(|&a| self.y_of(self.pitch(a, b))).chain([self.y_of(self.pitch(0.0, 0.0))]).collect()
        };
        let lo = ys.iter().copied().fold(f32::MAX, f32::min).floor() as usize;
        let hi = ys.iter().copied().fold(0.0, f32::max).floor() as usize + 1;
        (lo.saturating_sub(1), (hi + 1).min(self.height - 1))
    }

    /// Fill `out` (size x 3 bytes) with face row `row`; `src_row(y)` is source row y.
    pub fn row<'a>(&self, row: u32, src_row: &impl Fn(usize) -> &'a [u8], out: &mut [u8]) {
        let b = self.coord(row);
        let hf = self.height as f32;
        // Neighbouring pixels mostly read the same two source rows: look them up once.
        let mut rows_at = usize::MAX;
        let (mut ra, mut rb): (&[u8], &[u8]) = (&[], &[]);
        for (col, px) in out.chunks_exact_mut(3).enumerate() {
            let ((xa, xb, fx), y) = if self.side {
                let (xs, inv) = self.columns[col];
                // pitch = atan(-b / sqrt(1 + a²)), |argument| <= 1.
                let pitch = atan_unit(-b * inv);
                (xs, (0.5 - pitch / std::f32::consts::PI) * hf - 0.5)
            } else {
                let a = self.coord(col as u32);
                // Up: direction (a, 1, -b); down: (a, -1, b). Yaw from straight ahead (-z).
                let yaw = if self.face == 'u' { atan2_fast(a, b) } else { atan2_fast(a, -b) };
                let pitch = self.pitch(a, b);
                (self.split_x(self.x_of(yaw)), (0.5 - pitch / std::f32::consts::PI) * hf - 0.5)
            };
            let y = y.clamp(0.0, hf - 1.0);
            let ya = y as usize;
            let fy = ((y - ya as f32) * 256.0) as u32;
            if ya != rows_at {
                rows_at = ya;
                ra = src_row(ya);
                rb = src_row((ya + 1).min(self.height - 1));
            }
            let (top, top2) = (&ra[xa * 3..xa * 3 + 3], &ra[xb * 3..xb * 3 + 3]);
            let (bottom, bottom2) = (&rb[xa * 3..xa * 3 + 3], &rb[xb * 3..xb * 3 + 3]);
            for c in 0..3 {
                let t = top[c] as u32 * (256 - fx) + top2[c] as u32 * fx;
                let u = bottom[c] as u32 * (256 - fx) + bottom2[c] as u32 * fx;
                px[c] = ((t * (256 - fy) + u * fy + (1 << 15)) >> 16) as u8;
            }
        }
    }
}

/// atan(x) for any x >= 0, from [`atan_unit`].
#[inline]
fn atan_unit_any(x: f32) -> f32 {
    if x <= 1.0 { atan_unit(x) } else { std::f32::consts::FRAC_PI_2 - atan_unit(1.0 / x) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An equirect whose colour says which way each pixel faces: red ahead, blue behind, green up.
    fn compass(w: u32) -> Rgb {
        let h = w / 2;
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let yaw = (x as f32 + 0.5) / w as f32 * 360.0 - 180.0;
                let pitch = 90.0 - (y as f32 + 0.5) / h as f32 * 180.0;
                let ahead = yaw.abs() < 60.0 && pitch.abs() < 30.0;
                let behind = yaw.abs() > 120.0 && pitch.abs() < 30.0;
                data.extend_from_slice(&match (pitch > 60.0, ahead, behind) {
                    (true, _, _) => [0, 255, 0],
                    (_, true, _) => [255, 0, 0],
                    (_, _, true) => [0, 0, 255],
                    _ => [128, 128, 128],
                });
            }
        }
        Rgb { width: w, height: h, data }
    }

    fn centre(img: &Rgb) -> [u8; 3] {
        let i = ((img.height / 2 * img.width + img.width / 2) * 3) as usize;
        [img.data[i], img.data[i + 1], img.data[i + 2]]
    }

    #[test]
    fn faces_look_where_they_should() {
        let e = compass(512);
        assert_eq!(centre(&face(&e, 'f', 64)), [255, 0, 0]);
        assert_eq!(centre(&face(&e, 'b', 64)), [0, 0, 255]);
        assert_eq!(centre(&face(&e, 'u', 64)), [0, 255, 0]);
        assert_eq!(centre(&face(&e, 'r', 64)), [128, 128, 128]);
    }

    #[test]
    fn the_fast_path_samples_where_the_direction_says() {
        // A gradient equirect: red grows with x, green with y. The face's pixels must hold the
        // colour at equirect_uv(face_point(..)) within rounding.
        let (w, h) = (720u32, 360u32);
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 0]);
            }
        }
        let e = Rgb { width: w, height: h, data };
        for f in ['f', 'r', 'b', 'l', 'u', 'd'] {
            let img = face(&e, f, 32);
            for (row, col) in [(3u32, 5u32), (16, 16), (30, 2), (8, 27)] {
                let a = 2.0 * (col as f32 + 0.5) / 32.0 - 1.0;
                let b = 2.0 * (row as f32 + 0.5) / 32.0 - 1.0;
                let (u, v) = equirect_uv(face_point(f, a, b));
                let i = ((row * 32 + col) * 3) as usize;
                let want_g = v * 255.0;
                assert!(
                    (img.data[i + 1] as f32 - want_g).abs() <= 2.0,
                    "{f} {row},{col}: green {} want {want_g}",
                    img.data[i + 1]
                );
                // Red wraps at the seam; compare away from it.
                if (0.05..0.95).contains(&u) {
                    let want_r = u * 255.0;
                    assert!(
                        (img.data[i] as f32 - want_r).abs() <= 2.0,
                        "{f} {row},{col}: red {} want {want_r}",
                        img.data[i]
                    );
                }
            }
        }
        assert!((atan2_fast(1.0, -1.0) - 1.0f32.atan2(-1.0)).abs() < 2e-5);
        assert!((atan2_fast(-0.3, 0.2) - (-0.3f32).atan2(0.2)).abs() < 2e-5);
    }

    #[test]
    fn rows_needed_cover_every_sample() {
        let e = compass(1024);
        for f in ['f', 'r', 'u', 'd'] {
            let s = FaceSampler::new(f, 100, e.width, e.height);
            for row in [0u32, 13, 50, 99] {
                let (lo, hi) = s.rows_needed(row);
                // Sampling with only rows lo..=hi present must not touch any other row.
                let row_len = e.width as usize * 3;
                let src_row = |y: usize| {
                    assert!((lo..=hi).contains(&y), "{f} row {row} read source row {y} outside {lo}..={hi}");
                    &e.data[y * row_len..(y + 1) * row_len]
                };
                let mut out = vec![0u8; 300];
                s.row(row, &src_row, &mut out);
            }
        }
    }
}
