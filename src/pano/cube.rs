//! Equirectangular image -> the six layers of a cubemap, in Bevy's layer order and sampling
//! convention, done on the CPU so the viewer can run it off the main thread.

use super::equirect_uv;

/// Six square RGBA8 faces stacked as layers +X, -X, +Y, -Y, +Z, -Z.
#[derive(Debug, Clone, PartialEq)]
pub struct CubeFaces {
    pub size: u32,
    pub rgba: Vec<u8>,
}

impl CubeFaces {
    /// The RGBA of texel (s, t) of `layer`.
    pub fn texel(&self, layer: usize, s: u32, t: u32) -> [u8; 4] {
        let i = ((layer as u32 * self.size * self.size + t * self.size + s) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2], self.rgba[i + 3]]
    }
}

/// The cubemap direction of texel (s, t) of `layer` (Vulkan's cube-face convention).
pub fn cube_direction(layer: usize, s: u32, t: u32, size: u32) -> [f32; 3] {
    let sc = 2.0 * (s as f32 + 0.5) / size as f32 - 1.0;
    let tc = 2.0 * (t as f32 + 0.5) / size as f32 - 1.0;
    match layer {
        0 => [1.0, -tc, -sc],
        1 => [-1.0, -tc, sc],
        2 => [sc, 1.0, tc],
        3 => [sc, -1.0, -tc],
        4 => [sc, -tc, 1.0],
        _ => [-sc, -tc, -1.0],
    }
}

/// The world direction a skybox shows for a cubemap direction: Bevy's skybox samples the cube at
/// `world * (1, 1, -1)`, so looking forward (-Z) shows layer 4 (+Z).
pub fn world_of_cube(c: [f32; 3]) -> [f32; 3] {
    [c[0], c[1], -c[2]]
}

/// A face size that keeps the equirect's detail: a quarter of its width, at most `max`.
pub fn face_size(equirect_width: u32, max: u32) -> u32 {
    (equirect_width / 4).clamp(16, max.max(16))
}

/// Convert an RGBA8 equirectangular image (`width` x `height`) into cube faces of `size`.
/// The faces are converted in parallel where threads exist.
pub fn equirect_to_cube(rgba: &[u8], width: u32, height: u32, size: u32) -> CubeFaces {
    let mut out = vec![0u8; (6 * size * size * 4) as usize];
    let face_len = (size * size * 4) as usize;
    let convert = |layer: usize, face: &mut [u8]| {
        for t in 0..size {
            for s in 0..size {
                let d = world_of_cube(cube_direction(layer, s, t, size));
                let (u, v) = equirect_uv(d);
                let px = sample_bilinear(rgba, width, height, u, v);
                let i = ((t * size + s) * 4) as usize;
                face[i..i + 4].copy_from_slice(&px);
            }
        }
    };
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::scope(|scope| {
        for (layer, face) in out.chunks_mut(face_len).enumerate() {
            scope.spawn(move || convert(layer, face));
        }
    });
    #[cfg(target_arch = "wasm32")]
    for (layer, face) in out.chunks_mut(face_len).enumerate() {
        convert(layer, face);
    }
    CubeFaces { size, rgba: out }
}

/// Bilinear sample at (u, v) in 0..1, wrapping horizontally and clamping vertically.
pub fn sample_bilinear(rgba: &[u8], width: u32, height: u32, u: f32, v: f32) -> [u8; 4] {
    let x = u * width as f32 - 0.5;
    let y = (v * height as f32 - 0.5).clamp(0.0, height as f32 - 1.0);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let xi = |k: f32| (k as i64).rem_euclid(width as i64) as u32;
    let yi = |k: f32| (k as i64).clamp(0, height as i64 - 1) as u32;
    let at = |xx: u32, yy: u32| {
        let i = ((yy * width + xx) * 4) as usize;
        [rgba[i] as f32, rgba[i + 1] as f32, rgba[i + 2] as f32, rgba[i + 3] as f32]
    };
    let (a, b) = (at(xi(x0), yi(y0)), at(xi(x0 + 1.0), yi(y0)));
    let (c, d) = (at(xi(x0), yi(y0 + 1.0)), at(xi(x0 + 1.0), yi(y0 + 1.0)));
    let mut out = [0u8; 4];
    for k in 0..4 {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        out[k] = (top + (bottom - top) * fy).round().clamp(0.0, 255.0) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pano::direction;

    /// An equirect whose colour encodes the quadrant of yaw, and sky/floor by pitch.
    fn test_equirect(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                let yaw = (x as f32 + 0.5) / w as f32 * 360.0 - 180.0;
                let pitch = 90.0 - (y as f32 + 0.5) / h as f32 * 180.0;
                let c = if pitch > 45.0 {
                    [0, 0, 255, 255]
                } else if pitch < -45.0 {
                    [0, 255, 0, 255]
                } else if yaw.abs() < 45.0 {
                    [255, 0, 0, 255]
                } else if yaw > 45.0 && yaw < 135.0 {
                    [255, 255, 0, 255]
                } else if yaw < -45.0 && yaw > -135.0 {
                    [0, 255, 255, 255]
                } else {
                    [255, 0, 255, 255]
                };
                v.extend_from_slice(&c);
            }
        }
        v
    }

    #[test]
    fn face_centres_show_the_matching_directions() {
        let (w, h) = (256, 128);
        let faces = equirect_to_cube(&test_equirect(w, h), w, h, 32);
        let centre = |layer| faces.texel(layer, 16, 16);
        assert_eq!(centre(4), [255, 0, 0, 255], "layer +Z is straight ahead (yaw 0)");
        assert_eq!(centre(0), [255, 255, 0, 255], "layer +X is yaw 90");
        assert_eq!(centre(1), [0, 255, 255, 255], "layer -X is yaw -90");
        assert_eq!(centre(5), [255, 0, 255, 255], "layer -Z is behind");
        assert_eq!(centre(2), [0, 0, 255, 255], "layer +Y is up");
        assert_eq!(centre(3), [0, 255, 0, 255], "layer -Y is down");
    }

    #[test]
    fn skybox_lookup_matches_scene_angles() {
        // Looking at scene yaw 90 the skybox samples cube direction world*(1,1,-1) = +X.
        let d = direction(90.0, 0.0);
        let c = world_of_cube(d);
        assert!((c[0] - 1.0).abs() < 1e-6 && c[2].abs() < 1e-6);
        // And the texel at the centre of +Z maps back to scene yaw 0.
        let (yaw, pitch) = crate::pano::angles(world_of_cube(cube_direction(4, 7, 7, 15)));
        assert!(yaw.abs() < 1e-3 && pitch.abs() < 1e-3, "{yaw} {pitch}");
    }

    #[test]
    fn bilinear_wraps_across_the_seam() {
        // Left column red, right column blue: sampling at u=0 blends the two.
        let (w, h) = (4u32, 2u32);
        let mut img = vec![0u8; (w * h * 4) as usize];
        for y in 0..h {
            let l = (y * w * 4) as usize;
            img[l..l + 4].copy_from_slice(&[255, 0, 0, 255]);
            let r = ((y * w + w - 1) * 4) as usize;
            img[r..r + 4].copy_from_slice(&[0, 0, 255, 255]);
        }
        let px = sample_bilinear(&img, w, h, 0.0, 0.5);
        assert_eq!(px, [128, 0, 128, 255]);
    }

    #[test]
    fn face_size_is_a_quarter_of_the_width() {
        assert_eq!(face_size(4096, 2048), 1024);
        assert_eq!(face_size(16384, 2048), 2048);
    }
}
