//! A plausible 4096x2048 equirectangular panorama for a scene: a hall, a courtyard, a square, a
//! gate or a monument, with boards carrying the names. Nothing in it is a test aid: the tests
//! that read directions from pixels use their own panorama (tests/fixtures/assets/test-pano.png,
//! with its four coloured discs).
//!
//! Each pixel is a direction (yaw right of the image centre, pitch up); the scene is traced per
//! direction, so the poles are as correct as the horizon. Boards and text are then painted in
//! image space near the horizon, where the projection barely distorts them.

use ab_glyph::FontRef;
use image::RgbImage;

use crate::paint::{self, Color, draw_text, fill_rect, mix, rgb, scale, text_width};
use crate::write::{BOARD_PITCH, DOOR_PITCH, INFO_YAWS, SceneLayout, Target};
use crate::{SceneContent, Setting, SiteContent};

pub const W: u32 = 4096;
pub const H: u32 = 2048;
/// Eye height above the ground, metres.
const EYE: f32 = 1.6;

struct Palette {
    sky_top: Color,
    sky_low: Color,
    hills: Color,
    ground_a: Color,
    ground_b: Color,
    grass: Color,
    wall: Color,
    wall_low: Color,
    trim: Color,
    roof: Color,
    ceiling: Color,
    board: Color,
    board_ink: Color,
}

fn palette(site: &SiteContent, k: usize) -> Palette {
    let h = hash(&site.id) as f32 / u32::MAX as f32;
    let shift = |c: Color, amount: f32| -> Color {
        let d = (h - 0.5 + k as f32 * 0.13) * amount;
        [c[0] + d, c[1] + d * 0.5, c[2] - d]
    };
    match site.category.as_str() {
        "revolutionary-memorial" => Palette {
            sky_top: rgb(0x3f74c4),
            sky_low: rgb(0xcfe0f0),
            hills: rgb(0x7d8fa0),
            ground_a: rgb(0xb9b4aa),
            ground_b: rgb(0xa7a197),
            grass: rgb(0x5f8a46),
            wall: shift(rgb(0xd8d2c4), 0.08),
            wall_low: rgb(0x8b8378),
            trim: rgb(0xa31d1d),
            roof: rgb(0x4b4f57),
            ceiling: rgb(0xf1ede4),
            board: shift(rgb(0x8e1b1b), 0.1),
            board_ink: rgb(0xf5d77a),
        },
        "ethnic-unity" => Palette {
            sky_top: rgb(0x2f6fb8),
            sky_low: rgb(0xd6e6f2),
            hills: rgb(0x6f8a7c),
            ground_a: rgb(0xc2b59b),
            ground_b: rgb(0xb0a184),
            grass: rgb(0x6b9a4b),
            wall: shift(rgb(0xb33a2c), 0.1),
            wall_low: rgb(0x6e6a64),
            trim: rgb(0x2e7d5b),
            roof: rgb(0x3d4a4f),
            ceiling: rgb(0x7a4a2a),
            board: shift(rgb(0x1f4f6f), 0.1),
            board_ink: rgb(0xf6e7b0),
        },
        _ => Palette {
            sky_top: rgb(0x4a7fc0),
            sky_low: rgb(0xe8e2d0),
            hills: rgb(0x9a8f7a),
            ground_a: rgb(0xcdb892),
            ground_b: rgb(0xbba57c),
            grass: rgb(0x8e9a55),
            wall: shift(rgb(0xe6dcc6), 0.1),
            wall_low: rgb(0x6b4f35),
            trim: rgb(0xb8862f),
            roof: rgb(0x5b4a3a),
            ceiling: rgb(0xefe7d6),
            board: shift(rgb(0x3b2a1e), 0.1),
            board_ink: rgb(0xf3d9a0),
        },
    }
}

fn hash(s: &str) -> u32 {
    s.bytes().fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619))
}

/// A flat silhouette in yaw/pitch space: structures seen from the viewpoint.
struct Shape {
    yaw: f32,
    half_w: f32,
    bottom: f32,
    top: f32,
    color: Color,
    kind: ShapeKind,
}

#[derive(Clone, Copy)]
enum ShapeKind {
    Rect,
    /// Narrows to a point: an obelisk.
    Spire,
    /// Wider at the bottom, curved eaves: a roof.
    Roof,
    /// A round crown: a tree.
    Tree,
    /// Stacked tiers narrowing upward: a pagoda.
    Pagoda,
    /// Rows of small gold marks: names on a wall.
    Names,
    /// Vertical stripes: pillars and windows of a facade.
    Facade,
}

fn angle_diff(a: f32, b: f32) -> f32 {
    (a - b + 540.0).rem_euclid(360.0) - 180.0
}

impl Shape {
    fn hit(&self, yaw: f32, pitch: f32) -> Option<Color> {
        let dx = angle_diff(yaw, self.yaw);
        if dx.abs() > self.half_w * 1.3 || pitch < self.bottom || pitch > self.top {
            return None;
        }
        let t = (pitch - self.bottom) / (self.top - self.bottom).max(1e-3);
        let u = dx / self.half_w;
        match self.kind {
            ShapeKind::Rect => (u.abs() <= 1.0).then_some(self.color),
            ShapeKind::Spire => {
                let w = if t < 0.85 { 1.0 - t * 0.45 } else { (1.0 - t) / 0.15 * 0.62 };
                (u.abs() <= w).then(|| if u > 0.0 { scale(self.color, 0.85) } else { self.color })
            }
            ShapeKind::Roof => {
                let w = 1.25 - t * 0.45 + (1.0 - t).powi(6) * 0.1;
                (u.abs() <= w).then(|| {
                    let ridge = ((t * 14.0).fract() < 0.15) as u8 as f32;
                    scale(self.color, 1.0 - ridge * 0.2)
                })
            }
            ShapeKind::Tree => {
                let trunk = t < 0.3 && u.abs() < 0.12;
                let cy = 0.62;
                let r = ((u * 1.0).powi(2) + ((t - cy) / 0.4).powi(2)).sqrt();
                if r < 1.0 {
                    let leaf = 0.85 + 0.15 * ((yaw * 37.0).sin() * (pitch * 23.0).cos());
                    Some(scale(self.color, leaf))
                } else if trunk {
                    Some(rgb(0x5a3d28))
                } else {
                    None
                }
            }
            ShapeKind::Pagoda => {
                let tiers = 9.0;
                let tier = (t * tiers).floor();
                let within = (t * tiers).fract();
                let body = 0.55 - tier * 0.035;
                let eave = body + 0.25 * (1.0 - within).powi(3);
                let w = if t > 0.96 {
                    0.05
                } else if within > 0.78 {
                    eave
                } else {
                    body
                };
                (u.abs() <= w).then(|| if within > 0.78 { scale(self.color, 0.7) } else { self.color })
            }
            ShapeKind::Names => (u.abs() <= 1.0).then(|| {
                let row = (t * 16.0).fract();
                let col = ((u + 1.0) * 40.0).fract();
                if row > 0.35 && row < 0.7 && col > 0.15 && col < 0.8 && t > 0.08 && t < 0.92 {
                    rgb(0xd8b45a)
                } else {
                    self.color
                }
            }),
            ShapeKind::Facade => (u.abs() <= 1.0).then(|| {
                let bay = ((u + 1.0) * 6.0).fract();
                if bay < 0.12 {
                    rgb(0x9c2a1f)
                } else if t > 0.25 && t < 0.8 && bay > 0.3 && bay < 0.82 {
                    let lattice = ((u * 160.0).fract() < 0.2) || ((t * 40.0).fract() < 0.2);
                    if lattice { rgb(0x6a3a22) } else { rgb(0x3a2f2a) }
                } else {
                    self.color
                }
            }),
        }
    }
}

/// Pitch of the ground contact of something `d` metres away.
fn foot(d: f32) -> f32 {
    -(EYE / d).atan().to_degrees()
}

/// Pitch of a point `height` metres above the ground, `d` metres away.
fn rise(height: f32, d: f32) -> f32 {
    ((height - EYE) / d).atan().to_degrees()
}

fn shapes(site: &SiteContent, scene: &SceneContent, p: &Palette, memorial: bool) -> Vec<Shape> {
    let seed = hash(&format!("{}/{}", site.id, scene.id));
    let jitter = |i: u32| ((seed.wrapping_mul(2654435761).wrapping_add(i * 40503)) % 1000) as f32 / 1000.0;
    let mut v = Vec::new();
    let tree = rgb(0x3f6b35);
    let is_liao = site.id.contains("liao");
    match scene.setting {
        Setting::Gate => {
            // A memorial gateway straight ahead, walls to both sides, trees behind.
            for i in 0..10 {
                let yaw = 40.0 + i as f32 * 28.0 + jitter(i) * 10.0;
                v.push(Shape {
                    yaw,
                    half_w: 4.0 + jitter(i + 20) * 2.0,
                    bottom: foot(40.0),
                    top: rise(9.0, 40.0),
                    color: tree,
                    kind: ShapeKind::Tree,
                });
            }
            for side in [-1.0f32, 1.0] {
                v.push(Shape {
                    yaw: side * 55.0,
                    half_w: 30.0,
                    bottom: foot(16.0),
                    top: rise(3.2, 16.0),
                    color: p.wall,
                    kind: ShapeKind::Rect,
                });
                v.push(Shape {
                    yaw: side * 55.0,
                    half_w: 30.0,
                    bottom: rise(3.2, 16.0),
                    top: rise(3.8, 16.0),
                    color: p.roof,
                    kind: ShapeKind::Rect,
                });
                v.push(Shape {
                    yaw: side * 20.0,
                    half_w: 3.0,
                    bottom: foot(12.0),
                    top: rise(10.0, 12.0),
                    color: p.wall_low,
                    kind: ShapeKind::Rect,
                });
            }
            v.push(Shape {
                yaw: 0.0,
                half_w: 23.0,
                bottom: rise(9.4, 12.0),
                top: rise(10.6, 12.0),
                color: p.trim,
                kind: ShapeKind::Rect,
            });
            v.push(Shape {
                yaw: 0.0,
                half_w: 24.0,
                bottom: rise(10.6, 12.0),
                top: rise(13.0, 12.0),
                color: p.roof,
                kind: ShapeKind::Roof,
            });
        }
        Setting::Square => {
            for i in 0..14 {
                let yaw = -170.0 + i as f32 * 25.0 + jitter(i) * 8.0;
                v.push(Shape {
                    yaw,
                    half_w: 3.0 + jitter(i + 7) * 2.0,
                    bottom: foot(55.0),
                    top: rise(8.0 + jitter(i + 3) * 4.0, 55.0),
                    color: scale(tree, 0.9 + jitter(i + 9) * 0.2),
                    kind: ShapeKind::Tree,
                });
            }
            v.push(Shape {
                yaw: 0.0,
                half_w: 42.0,
                bottom: foot(45.0),
                top: rise(12.0, 45.0),
                color: p.wall,
                kind: ShapeKind::Facade,
            });
            v.push(Shape {
                yaw: 0.0,
                half_w: 44.0,
                bottom: rise(12.0, 45.0),
                top: rise(16.0, 45.0),
                color: p.roof,
                kind: ShapeKind::Roof,
            });
            v.push(Shape {
                yaw: 25.0,
                half_w: 0.25,
                bottom: foot(20.0),
                top: rise(18.0, 20.0),
                color: rgb(0xdddddd),
                kind: ShapeKind::Rect,
            });
            v.push(Shape {
                yaw: 27.0,
                half_w: 2.0,
                bottom: rise(15.5, 20.0),
                top: rise(17.8, 20.0),
                color: rgb(0xd81e1e),
                kind: ShapeKind::Rect,
            });
        }
        Setting::Courtyard => {
            for (yaw, hw) in [(0.0, 40.0), (90.0, 40.0), (180.0, 40.0), (-90.0, 40.0)] {
                v.push(Shape {
                    yaw,
                    half_w: hw,
                    bottom: foot(11.0),
                    top: rise(4.5, 11.0),
                    color: p.wall,
                    kind: ShapeKind::Facade,
                });
                v.push(Shape {
                    yaw,
                    half_w: hw + 2.0,
                    bottom: rise(4.5, 11.0),
                    top: rise(7.0, 11.0),
                    color: p.roof,
                    kind: ShapeKind::Roof,
                });
            }
            v.push(Shape {
                yaw: -30.0,
                half_w: 6.0,
                bottom: foot(8.0),
                top: rise(7.0, 8.0),
                color: tree,
                kind: ShapeKind::Tree,
            });
        }
        Setting::Monument => {
            for i in 0..16 {
                let yaw = -170.0 + i as f32 * 22.0 + jitter(i) * 6.0;
                if angle_diff(yaw, 180.0).abs() < 25.0 {
                    continue;
                }
                v.push(Shape {
                    yaw,
                    half_w: 2.5 + jitter(i + 2) * 1.5,
                    bottom: foot(35.0),
                    top: rise(7.0 + jitter(i + 5) * 3.0, 35.0),
                    color: tree,
                    kind: ShapeKind::Tree,
                });
            }
            if is_liao || scene.name.zh.contains('塔') {
                v.push(Shape {
                    yaw: 180.0,
                    half_w: 9.0,
                    bottom: foot(60.0),
                    top: rise(80.0, 60.0),
                    color: rgb(0xc9b89a),
                    kind: ShapeKind::Pagoda,
                });
            } else {
                v.push(Shape {
                    yaw: 180.0,
                    half_w: 28.0,
                    bottom: foot(22.0),
                    top: rise(4.2, 22.0),
                    color: rgb(0x3b3b3f),
                    kind: ShapeKind::Names,
                });
                v.push(Shape {
                    yaw: 180.0,
                    half_w: 6.0,
                    bottom: foot(18.0),
                    top: rise(2.0, 18.0),
                    color: rgb(0x8a8a86),
                    kind: ShapeKind::Rect,
                });
                v.push(Shape {
                    yaw: 180.0,
                    half_w: 3.2,
                    bottom: rise(2.0, 18.0),
                    top: rise(28.0, 18.0),
                    color: rgb(0xe8e4da),
                    kind: ShapeKind::Spire,
                });
            }
        }
        Setting::Ruins => {
            for i in 0..12 {
                let yaw = -180.0 + i as f32 * 30.0 + jitter(i) * 12.0;
                let d = 25.0 + jitter(i + 4) * 30.0;
                v.push(Shape {
                    yaw,
                    half_w: 6.0 + jitter(i + 1) * 8.0,
                    bottom: foot(d),
                    top: rise(2.0 + jitter(i + 8) * 3.0, d),
                    color: rgb(0xa48a63),
                    kind: ShapeKind::Rect,
                });
            }
            v.push(Shape {
                yaw: 0.0,
                half_w: 180.0,
                bottom: foot(90.0),
                top: rise(4.0, 90.0),
                color: rgb(0x9c8560),
                kind: ShapeKind::Rect,
            });
        }
        Setting::Hall | Setting::Residence => {}
    }
    if memorial && scene.setting != Setting::Monument {
        // A wreath stand and a plaque where visitors pay their respects.
        v.push(Shape {
            yaw: 180.0,
            half_w: 8.0,
            bottom: foot(7.0),
            top: rise(2.6, 7.0),
            color: rgb(0x2f2f33),
            kind: ShapeKind::Rect,
        });
        v.push(Shape {
            yaw: 180.0,
            half_w: 3.0,
            bottom: foot(6.0),
            top: rise(1.2, 6.0),
            color: rgb(0xf0f0ee),
            kind: ShapeKind::Tree,
        });
    }
    v
}

fn indoor(setting: Setting) -> bool {
    matches!(setting, Setting::Hall | Setting::Residence)
}

/// The colour seen along (yaw, pitch), before boards and discs are painted.
fn trace(yaw: f32, pitch: f32, setting: Setting, p: &Palette, shapes: &[Shape]) -> Color {
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let d = [cp * sy, sp, cp * cy];
    if indoor(setting) {
        return room(d, setting, p);
    }
    for s in shapes.iter().rev() {
        if let Some(c) = s.hit(yaw, pitch) {
            let fog = (1.0 - (pitch.abs() / 12.0)).clamp(0.0, 1.0) * 0.08;
            return mix(c, p.sky_low, fog);
        }
    }
    if pitch >= 0.0 {
        let hill = 1.6
            + 1.3 * (yaw.to_radians() * 3.0 + 1.0).sin()
            + 0.8 * (yaw.to_radians() * 7.0 + 2.0).sin()
            + 0.4 * (yaw.to_radians() * 13.0).sin();
        if pitch < hill {
            return mix(p.hills, p.sky_low, 0.35 - pitch / hill * 0.2);
        }
        let sky = mix(p.sky_low, p.sky_top, (pitch / 70.0).powf(0.7));
        let sun = (angle_diff(yaw, 150.0).powi(2) + (pitch - 38.0).powi(2)).sqrt();
        let glow = (1.0 - sun / 14.0).clamp(0.0, 1.0).powi(2) * 0.35;
        let cloud =
            ((yaw * 0.05).sin() * (pitch * 0.21 + yaw * 0.013).sin()).max(0.0).powi(3) * (pitch / 60.0).min(1.0);
        return mix(mix(sky, [1.0, 0.98, 0.9], glow), [1.0, 1.0, 1.0], cloud * 0.5);
    }
    // The ground plane.
    let t = EYE / -d[1];
    let (x, z) = (d[0] * t, d[2] * t);
    let dist = (x * x + z * z).sqrt();
    let base = if setting == Setting::Ruins || dist > 30.0 {
        let n = ((x * 1.7).sin() * (z * 1.3).cos() * 0.5 + 0.5) * 0.12;
        scale(p.grass, 0.9 + n)
    } else {
        let (gx, gz) = ((x / 1.2).floor() as i32, (z / 1.2).floor() as i32);
        let grout = ((x / 1.2).fract().abs() < 0.04) || ((z / 1.2).fract().abs() < 0.04);
        if grout {
            scale(p.ground_b, 0.8)
        } else if (gx + gz) % 2 == 0 {
            p.ground_a
        } else {
            p.ground_b
        }
    };
    mix(base, p.sky_low, (dist / 120.0).clamp(0.0, 0.6))
}

/// An interior: a box room around the viewer, traced along `d` (x right, y up, z forward).
fn room(d: [f32; 3], setting: Setting, p: &Palette) -> Color {
    let (hx, hz, floor, ceil) =
        if setting == Setting::Residence { (4.5, 5.5, -EYE, 1.6) } else { (8.0, 10.0, -EYE, 3.6) };
    let tx = if d[0].abs() > 1e-6 { hx / d[0].abs() } else { f32::MAX };
    let tz = if d[2].abs() > 1e-6 { hz / d[2].abs() } else { f32::MAX };
    let ty = if d[1] > 1e-6 {
        ceil / d[1]
    } else if d[1] < -1e-6 {
        floor / d[1]
    } else {
        f32::MAX
    };
    let t = tx.min(tz).min(ty);
    let (x, y, z) = (d[0] * t, d[1] * t, d[2] * t);
    let wood = setting == Setting::Residence;
    if t == ty && d[1] < 0.0 {
        // Floor: stone tiles in a hall, boards in a residence, a carpet down the middle.
        if !wood && x.abs() < 0.7 {
            let edge = x.abs() > 0.6;
            return if edge { rgb(0xc9a04a) } else { rgb(0x8c1f24) };
        }
        if wood {
            let plank = ((x * 4.0).floor() as i32).rem_euclid(3) as f32 * 0.04;
            let seam = (x * 4.0).fract().abs() < 0.05;
            return if seam { rgb(0x4a3020) } else { scale(rgb(0x8a5a36), 0.92 + plank) };
        }
        let checker = (((x / 1.5).floor() + (z / 1.5).floor()) as i32).rem_euclid(2) == 0;
        return if checker { rgb(0xd9d4ca) } else { rgb(0xb9b2a6) };
    }
    if t == ty {
        // Ceiling: light panels in a hall, beams in a residence.
        if wood {
            return if (z * 1.2).fract().abs() < 0.22 { rgb(0x5a3a22) } else { rgb(0x9a6e45) };
        }
        let panel = ((x / 3.0).fract().abs() - 0.5).abs() < 0.22 && ((z / 3.0).fract().abs() - 0.5).abs() < 0.3;
        return if panel { rgb(0xfffbf0) } else { p.ceiling };
    }
    // Walls: wainscot, pilasters, display cases or lattice windows, a cornice.
    let along = if t == tx { z } else { x };
    let h = y - floor;
    let height = ceil - floor;
    if h < 0.9 {
        return p.wall_low;
    }
    if h > height - 0.35 {
        return p.trim;
    }
    let bay = ((along + 100.0) / 3.0).fract();
    if bay < 0.08 {
        return scale(p.wall, 0.85);
    }
    if wood {
        if h > 1.2 && h < 2.6 && bay > 0.2 && bay < 0.88 {
            let lattice = ((along * 8.0).fract() < 0.14) || ((h * 8.0).fract() < 0.14);
            return if lattice { rgb(0x6a3a22) } else { rgb(0xf2ead6) };
        }
        return rgb(0xa8774a);
    }
    if h > 1.0 && h < 2.3 && bay > 0.18 && bay < 0.9 {
        // A display case: glass with a lit back and a few objects.
        let obj = ((along * 1.7).sin() * 0.5 + 0.5) > 0.7 && h < 1.7;
        return if obj { rgb(0x8a6a3a) } else { mix(p.wall, rgb(0xfff4d6), 0.55) };
    }
    p.wall
}

fn yaw_x(yaw: f32) -> f32 {
    (yaw / 360.0 + 0.5) * W as f32
}

fn pitch_y(pitch: f32) -> f32 {
    (90.0 - pitch) / 180.0 * H as f32
}

/// A board in image space with a border, spanning the given yaws and pitches.
fn board(img: &mut RgbImage, yaw: f32, half_w: f32, bottom: f32, top: f32, fill: Color, border: Color) {
    let (x0, x1) = (yaw_x(yaw - half_w) as i64, yaw_x(yaw + half_w) as i64);
    let (y0, y1) = (pitch_y(top) as i64, pitch_y(bottom) as i64);
    paint::fill_rect(img, x0 - 6, y0 - 6, x1 + 6, y1 + 6, border);
    paint::fill_rect(img, x0, y0, x1, y1, fill);
}

pub fn render(site: &SiteContent, scene: &SceneContent, k: usize, layout: &SceneLayout, font: &FontRef) -> RgbImage {
    let p = palette(site, k);
    let memorial = scene.memorial.is_some();
    let shapes = shapes(site, scene, &p, memorial);
    let mut img = RgbImage::new(W, H);
    let rows: Vec<(u32, Vec<u8>)> = std::thread::scope(|s| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (p, shapes) = (&p, &shapes);
                s.spawn(move || {
                    let mut out = Vec::new();
                    let mut y = t;
                    while y < H {
                        let pitch = 90.0 - (y as f32 + 0.5) / H as f32 * 180.0;
                        let mut row = Vec::with_capacity(W as usize * 3);
                        for x in 0..W {
                            let yaw = (x as f32 + 0.5) / W as f32 * 360.0 - 180.0;
                            let c = paint::to_px(trace(yaw, pitch, scene.setting, p, shapes));
                            row.extend_from_slice(&c.0);
                        }
                        out.push((y, row));
                        y += threads;
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("render thread")).collect()
    });
    for (y, row) in rows {
        for x in 0..W {
            let i = x as usize * 3;
            img.put_pixel(x, y, image::Rgb([row[i], row[i + 1], row[i + 2]]));
        }
    }

    // The title board: site and scene names, straight ahead above the horizon.
    let gold = p.board_ink;
    board(&mut img, 0.0, 24.0, 8.0, 30.0, p.board, gold);
    let cx = yaw_x(0.0);
    let bw = 46.0 * W as f32 / 360.0;
    let px = paint::fit(font, &site.name.zh, bw, 92.0);
    paint::draw_centered(&mut img, font, px, cx, pitch_y(29.0), gold, &site.name.zh);
    let px2 = paint::fit(font, &site.name.en, bw, 44.0);
    paint::draw_centered(&mut img, font, px2, cx, pitch_y(29.0) + px + 14.0, gold, &site.name.en);
    let line = format!("{} · {}", scene.name.zh, scene.name.en);
    let px3 = paint::fit(font, &line, bw, 48.0);
    paint::draw_centered(&mut img, font, px3, cx, pitch_y(29.0) + px + px2 + 40.0, [1.0, 1.0, 1.0], &line);

    // Information boards where the Info hotspots are.
    for (i, info) in scene.info.iter().enumerate().take(INFO_YAWS.len()) {
        let yaw = INFO_YAWS[i] as f32;
        let top = BOARD_PITCH as f32 + 12.0;
        board(&mut img, yaw, 15.0, BOARD_PITCH as f32 - 8.0, top, rgb(0xf7f1e3), p.board);
        let cx = yaw_x(yaw);
        let bw = 28.0 * W as f32 / 360.0;
        let px = paint::fit(font, &info.title.zh, bw, 52.0);
        paint::draw_centered(&mut img, font, px, cx, pitch_y(top - 1.0), p.board, &info.title.zh);
        let px2 = paint::fit(font, &info.title.en, bw, 30.0);
        paint::draw_centered(
            &mut img,
            font,
            px2,
            cx,
            pitch_y(top - 1.0) + px + 8.0,
            scale(p.board, 0.8),
            &info.title.en,
        );
        // The opening of the body, a few lines, as on a real board.
        let body: Vec<char> = info.body.zh.chars().collect();
        let body_px = 24.0;
        let per_line = (bw / body_px) as usize - 1;
        for (l, chunk) in body.chunks(per_line).take(4).enumerate() {
            let text: String = chunk.iter().collect();
            let y = pitch_y(top - 1.0) + px + px2 + 22.0 + l as f32 * 30.0;
            paint::draw_text(&mut img, font, body_px, cx - bw / 2.0 + 8.0, y, rgb(0x333333), &text);
        }
    }

    // Signs under the doors to other scenes.
    for h in &layout.hotspots {
        if let (Target::Scene { .. }, Some(label)) = (&h.target, &h.label) {
            let yaw = h.yaw as f32;
            let (b, t) = (DOOR_PITCH as f32 - 10.0, DOOR_PITCH as f32 - 3.0);
            board(&mut img, yaw, 11.0, b, t, rgb(0x24476b), rgb(0xffffff));
            let cx = yaw_x(yaw);
            let bw = 20.0 * W as f32 / 360.0;
            let text = format!("→ {}", label.zh);
            let px = paint::fit(font, &text, bw, 36.0);
            paint::draw_centered(&mut img, font, px, cx, pitch_y(t) + 4.0, [1.0, 1.0, 1.0], &text);
            let px2 = paint::fit(font, &label.en, bw, 22.0);
            paint::draw_centered(&mut img, font, px2, cx, pitch_y(t) + px + 8.0, rgb(0xdde6ef), &label.en);
        }
    }

    img
}

/// The scene rendered at 16384x8192 with a wall of small captions: the sample tour's one scene
/// whose detail is legible only at a multires pyramid's top level, so level of detail is
/// exercised for real.
pub const DETAILED: (&str, &str) = ("chifeng-museum", "hall-liao-to-qing");
pub const DETAILED_W: u32 = 16384;

/// `img` (4096 wide) scaled to 16384x8192 with a caption wall drawn at full resolution on the
/// left wall (yaw -150..-110, pitch -6..14): the site's texts in lines 14 px tall, which at
/// 4096 wide would be 3.5 px and unreadable.
pub fn caption_wall(img: &RgbImage, site: &SiteContent, font: &FontRef) -> RgbImage {
    let mut big = image::imageops::resize(img, DETAILED_W, DETAILED_W / 2, image::imageops::FilterType::Triangle);
    let px_per_deg = DETAILED_W as f32 / 360.0;
    let x = |yaw: f32| (yaw + 180.0) * px_per_deg;
    let y = |pitch: f32| (90.0 - pitch) * px_per_deg;
    let (x0, x1, y0, y1) = (x(-150.0), x(-110.0), y(14.0), y(-6.0));
    fill_rect(&mut big, x0 as i64 - 12, y0 as i64 - 12, x1 as i64 + 12, y1 as i64 + 12, rgb(0x5a4632));
    fill_rect(&mut big, x0 as i64, y0 as i64, x1 as i64, y1 as i64, rgb(0xf2ead8));
    let mut lines: Vec<String> = Vec::new();
    for p in &site.people {
        lines.push(format!("{} {} — {}", p.name.zh, p.dates.zh, p.bio.zh));
        lines.push(format!("{} ({}) — {}", p.name.en, p.dates.en, p.bio.en));
    }
    for scene in &site.scenes {
        for info in &scene.info {
            lines.push(format!("{}：{}", info.title.zh, info.body.zh));
            lines.push(format!("{}: {}", info.title.en, info.body.en));
        }
    }
    // Wrap every text to the wall's width, and fill the wall, repeating the texts.
    let size = 14.0;
    let width = x1 - x0 - 40.0;
    let mut wrapped = Vec::new();
    for line in &lines {
        let mut cur = String::new();
        for ch in line.chars() {
            cur.push(ch);
            if text_width(font, size, &cur) > width {
                cur.pop();
                wrapped.push(std::mem::take(&mut cur));
                cur.push(ch);
            }
        }
        wrapped.push(cur);
    }
    let ink = rgb(0x2a2018);
    let mut ty = y0 + 20.0;
    let mut k = 0;
    while ty + size < y1 - 10.0 && !wrapped.is_empty() {
        draw_text(&mut big, font, size, x0 + 20.0, ty, ink, &wrapped[k % wrapped.len()]);
        ty += size * 1.3;
        k += 1;
    }
    big
}
