//! Cube faces and multires tiles in Pannellum's layout: where each face and tile sits on the
//! sphere, which level a view needs, and which tiles it sees, nearest the centre first.
//!
//! A face image is seen from inside the cube: its columns run to the viewer's right and its rows
//! downward. The four side faces stand upright; up's top edge is toward the back (as when the
//! viewer tilts their head up from the front), down's top edge toward the front. Directions are
//! in Bevy's frame (see [`super::direction`]).

use crate::tour::Multires;

/// A face's outward direction, and the world directions of its image's +column and +row.
pub fn face_basis(face: char) -> ([f32; 3], [f32; 3], [f32; 3]) {
    match face {
        'f' => ([0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]),
        'r' => ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]),
        'b' => ([0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]),
        'l' => ([-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]),
        'u' => ([0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]),
        _ => ([0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]),
    }
}

/// The (unnormalised) direction of face coordinates `a` (columns) and `b` (rows), each -1..1
/// from the face's top-left corner to its bottom-right.
pub fn face_point(face: char, a: f32, b: f32) -> [f32; 3] {
    let (n, r, d) = face_basis(face);
    [n[0] + a * r[0] + b * d[0], n[1] + a * r[1] + b * d[1], n[2] + a * r[2] + b * d[2]]
}

/// The face a direction falls on, and its face coordinates (-1..1, columns and rows).
pub fn face_of(d: [f32; 3]) -> (char, f32, f32) {
    let (ax, ay, az) = (d[0].abs(), d[1].abs(), d[2].abs());
    let face = if ax >= ay && ax >= az {
        if d[0] > 0.0 { 'r' } else { 'l' }
    } else if ay >= az {
        if d[1] > 0.0 { 'u' } else { 'd' }
    } else if d[2] < 0.0 {
        'f'
    } else {
        'b'
    };
    let (n, r, dn) = face_basis(face);
    let depth = dot(d, n);
    (face, dot(d, r) / depth, dot(d, dn) / depth)
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalise(a: [f32; 3]) -> [f32; 3] {
    let l = dot(a, a).sqrt().max(f32::MIN_POSITIVE);
    [a[0] / l, a[1] / l, a[2] / l]
}

/// One tile of a pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub level: u32,
    pub face: char,
    pub row: u32,
    pub col: u32,
}

/// Where a tile lies on its face: face coordinates (-1..1) of its left, top, right and bottom.
pub fn tile_rect(m: &Multires, t: TileId) -> [f32; 4] {
    let size = m.level_size(t.level).max(1) as f32;
    let (w, h) = m.tile_dims(t.level, t.row, t.col);
    let x0 = (t.col * m.tile_size) as f32;
    let y0 = (t.row * m.tile_size) as f32;
    let at = |p: f32| 2.0 * p / size - 1.0;
    [at(x0), at(y0), at(x0 + w as f32), at(y0 + h as f32)]
}

/// The level whose faces give about one texel per screen pixel at the view's centre:
/// a face of size S spans 90°, so at its centre it has S/2 texels per unit of tangent, and the
/// screen has (width/2)/tan(hfov/2) pixels per unit of tangent.
pub fn level_for_view(m: &Multires, hfov_deg: f32, viewport_width_px: f32) -> u32 {
    let half = (hfov_deg.clamp(1.0, 179.0).to_radians() / 2.0).tan();
    let need = viewport_width_px / half;
    (1..=m.levels).find(|&l| m.level_size(l) as f32 >= need).unwrap_or(m.levels)
}

/// What a camera sees, for choosing tiles.
#[derive(Debug, Clone, Copy)]
pub struct ViewCone {
    /// Centre direction (unit).
    pub dir: [f32; 3],
    /// Half-angle (radians) of a cone that holds the whole viewport.
    pub half_angle: f32,
}

impl ViewCone {
    /// The cone around a view of scene angles `yaw`, `pitch` and `hfov` (degrees) on a viewport
    /// of aspect `w/h`.
    pub fn new(yaw: f32, pitch: f32, hfov: f32, aspect: f32) -> Self {
        let th = (hfov.to_radians() / 2.0).tan();
        let tv = th / aspect.max(1e-3);
        ViewCone { dir: super::direction(yaw, pitch), half_angle: (th * th + tv * tv).sqrt().atan() }
    }

    /// Angle (radians) between the view's centre and a direction.
    pub fn angle_to(&self, d: [f32; 3]) -> f32 {
        dot(self.dir, normalise(d)).clamp(-1.0, 1.0).acos()
    }

    /// Whether any part of the tile may be on screen (conservative: a cone around the tile).
    pub fn sees(&self, m: &Multires, t: TileId) -> bool {
        let [x0, y0, x1, y1] = tile_rect(m, t);
        let centre = normalise(face_point(t.face, (x0 + x1) / 2.0, (y0 + y1) / 2.0));
        let radius = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
            .iter()
            .map(|&(a, b)| dot(centre, normalise(face_point(t.face, a, b))).clamp(-1.0, 1.0).acos())
            .fold(0.0f32, f32::max);
        self.angle_to(centre) <= self.half_angle + radius
    }
}

/// The tiles a view needs, in the order to fetch them: every level from 1 up to the view's
/// level, lower levels first (they cover the screen sooner), and within a level the tiles
/// nearest the centre of the view first. Tiles out of view are left out.
pub fn wanted_tiles(m: &Multires, cone: &ViewCone, level: u32) -> Vec<TileId> {
    let mut out = Vec::new();
    for l in 1..=level.min(m.levels) {
        let n = m.tiles_per_side(l);
        let mut here: Vec<(f32, TileId)> = Vec::new();
        for face in crate::tour::CUBE_FACES {
            for row in 0..n {
                for col in 0..n {
                    let t = TileId { level: l, face, row, col };
                    if l == 1 || cone.sees(m, t) {
                        let [x0, y0, x1, y1] = tile_rect(m, t);
                        let c = face_point(face, (x0 + x1) / 2.0, (y0 + y1) / 2.0);
                        here.push((cone.angle_to(c), t));
                    }
                }
            }
        }
        here.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        out.extend(here.into_iter().map(|(_, t)| t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pano::direction;

    fn m16k() -> Multires {
        Multires { path: "%l/%s%y_%x.jpg".into(), tile_size: 512, levels: 5, face_size: 5208, preview: "p.jpg".into() }
    }

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        let (a, b) = (normalise(a), normalise(b));
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-5)
    }

    #[test]
    fn faces_sit_where_pannellum_puts_them() {
        assert!(close(face_point('f', 0.0, 0.0), direction(0.0, 0.0)));
        assert!(close(face_point('r', 0.0, 0.0), direction(90.0, 0.0)));
        assert!(close(face_point('b', 0.0, 0.0), direction(180.0, 0.0)));
        assert!(close(face_point('l', 0.0, 0.0), direction(-90.0, 0.0)));
        assert!(close(face_point('u', 0.0, 0.0), direction(0.0, 90.0)));
        assert!(close(face_point('d', 0.0, 0.0), direction(0.0, -90.0)));
        // The front face's right edge meets the right face's left edge.
        assert!(close(face_point('f', 1.0, 0.0), face_point('r', -1.0, 0.0)));
        // Up's bottom edge is toward the front, down's top edge too.
        assert!(close(face_point('u', 0.0, 1.0), direction(0.0, 45.0)));
        assert!(close(face_point('d', 0.0, -1.0), direction(0.0, -45.0)));
    }

    #[test]
    fn face_of_inverts_face_point() {
        for face in crate::tour::CUBE_FACES {
            for (a, b) in [(0.0, 0.0), (0.5, -0.25), (-0.9, 0.9)] {
                let (f2, a2, b2) = face_of(face_point(face, a, b));
                assert_eq!(f2, face);
                assert!((a2 - a).abs() < 1e-5 && (b2 - b).abs() < 1e-5, "{face} {a} {b} -> {a2} {b2}");
            }
        }
    }

    #[test]
    fn level_follows_zoom() {
        let m = m16k();
        // 1280 px wide at 110°: 1280/tan(55°) = 896 texels a face: level 3 (1302).
        assert_eq!(level_for_view(&m, 110.0, 1280.0), 3);
        // Zoomed in to 20°: 1280/tan(10°) = 7259, more than the top level has.
        assert_eq!(level_for_view(&m, 20.0, 1280.0), 5);
        // A thumbnail-sized view needs level 1.
        assert_eq!(level_for_view(&m, 90.0, 200.0), 1);
    }

    #[test]
    fn wide_views_skip_the_top_level_and_far_tiles() {
        let m = m16k();
        let wide = ViewCone::new(0.0, 0.0, 110.0, 16.0 / 9.0);
        let tiles = wanted_tiles(&m, &wide, level_for_view(&m, 110.0, 1280.0));
        assert!(tiles.iter().all(|t| t.level <= 3));
        assert!(!tiles.iter().any(|t| t.level > 1 && t.face == 'b'), "the back is out of view");
        // Level 1 first, whole; then level 2 starting at the centre of the view.
        assert!(tiles[..6].iter().all(|t| t.level == 1));
        let first2 = tiles.iter().find(|t| t.level == 2).copied().expect("level 2");
        assert_eq!(first2.face, 'f');
        let zoom = ViewCone::new(30.0, 10.0, 20.0, 16.0 / 9.0);
        let top: Vec<_> = wanted_tiles(&m, &zoom, 5).into_iter().filter(|t| t.level == 5).collect();
        assert!(!top.is_empty() && top.len() < 16, "a 20° view sees a few top tiles, not {}", top.len());
    }

    #[test]
    fn tiles_tile_their_face() {
        let m = m16k();
        let r = tile_rect(&m, TileId { level: 5, face: 'f', row: 10, col: 10 });
        assert!((r[2] - 1.0).abs() < 1e-6 && (r[3] - 1.0).abs() < 1e-6, "the last tile ends at the edge");
        let r0 = tile_rect(&m, TileId { level: 5, face: 'f', row: 0, col: 0 });
        assert_eq!([r0[0], r0[1]], [-1.0, -1.0]);
        assert!((r0[2] - (2.0 * 512.0 / 5208.0 - 1.0)).abs() < 1e-6);
    }
}
