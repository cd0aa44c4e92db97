//! Drawing helpers for the generated images: text in the bundled CJK font, boxes, floor plans.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{Rgb, RgbImage};

use crate::SiteContent;
use crate::write::Layout;

pub type Color = [f32; 3];

pub fn rgb(hex: u32) -> Color {
    [((hex >> 16) & 255) as f32 / 255.0, ((hex >> 8) & 255) as f32 / 255.0, (hex & 255) as f32 / 255.0]
}

pub fn mix(a: Color, b: Color, t: f32) -> Color {
    let t = t.clamp(0.0, 1.0);
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

pub fn scale(a: Color, k: f32) -> Color {
    [a[0] * k, a[1] * k, a[2] * k]
}

pub fn to_px(c: Color) -> Rgb<u8> {
    Rgb([
        (c[0].clamp(0.0, 1.0) * 255.0).round() as u8,
        (c[1].clamp(0.0, 1.0) * 255.0).round() as u8,
        (c[2].clamp(0.0, 1.0) * 255.0).round() as u8,
    ])
}

fn from_px(p: &Rgb<u8>) -> Color {
    [p[0] as f32 / 255.0, p[1] as f32 / 255.0, p[2] as f32 / 255.0]
}

/// Blend `c` into pixel (x, y) with coverage `a`; x wraps around (equirect images are cyclic).
pub fn blend(img: &mut RgbImage, x: i64, y: i64, c: Color, a: f32) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    if y < 0 || y >= h || a <= 0.0 {
        return;
    }
    let x = x.rem_euclid(w);
    let p = img.get_pixel_mut(x as u32, y as u32);
    *p = to_px(mix(from_px(p), c, a));
}

pub fn fill_rect(img: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, c: Color) {
    for y in y0..y1 {
        for x in x0..x1 {
            blend(img, x, y, c, 1.0);
        }
    }
}

pub fn text_width(font: &FontRef, px: f32, s: &str) -> f32 {
    let sf = font.as_scaled(PxScale::from(px));
    let mut w = 0.0;
    let mut prev = None;
    for ch in s.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            w += sf.kern(p, id);
        }
        w += sf.h_advance(id);
        prev = Some(id);
    }
    w
}

/// The largest size up to `max_px` at which `s` fits in `max_w` pixels.
pub fn fit(font: &FontRef, s: &str, max_w: f32, max_px: f32) -> f32 {
    let w = text_width(font, max_px, s);
    if w <= max_w { max_px } else { (max_px * max_w / w).max(8.0) }
}

/// Draw `s` with its top-left at (x, y), `px` tall.
pub fn draw_text(img: &mut RgbImage, font: &FontRef, px: f32, x: f32, y: f32, c: Color, s: &str) {
    let scale = PxScale::from(px);
    let sf = font.as_scaled(scale);
    let mut caret = x;
    let baseline = y + sf.ascent();
    let mut prev = None;
    for ch in s.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            caret += sf.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, ab_glyph::point(caret, baseline));
        caret += sf.h_advance(id);
        prev = Some(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                blend(img, b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c, cov);
            });
        }
    }
}

/// Draw `s` centred on x.
pub fn draw_centered(img: &mut RgbImage, font: &FontRef, px: f32, cx: f32, y: f32, c: Color, s: &str) {
    let w = text_width(font, px, s);
    draw_text(img, font, px, cx - w / 2.0, y, c, s);
}

/// A site's floor plan: the grounds, the rooms or stations of its scenes and the paths between them.
/// The viewer draws the scene dots and the view radar on top.
pub fn floor_plan(site: &SiteContent, layout: &Layout, font: &FontRef) -> RgbImage {
    let (w, h) = (1024u32, 768u32);
    let mut img = RgbImage::from_pixel(w, h, to_px(rgb(0xf3ecdc)));
    let ink = rgb(0x5a4a3a);
    let ground = rgb(0xe4d8bd);
    let room = rgb(0xfaf6ec);
    // The grounds.
    fill_rect(&mut img, 40, 70, w as i64 - 40, h as i64 - 40, ground);
    for t in 0..4 {
        fill_rect(&mut img, 40 + t, 70 + t, w as i64 - 40 - t, 71 + t, ink);
        fill_rect(&mut img, 40 + t, h as i64 - 41 - t, w as i64 - 40 - t, h as i64 - 40 - t, ink);
        fill_rect(&mut img, 40 + t, 70, 41 + t, h as i64 - 40, ink);
        fill_rect(&mut img, w as i64 - 41 - t, 70, w as i64 - 40 - t, h as i64 - 40, ink);
    }
    let pts: Vec<(f32, f32)> =
        layout.scenes.iter().map(|s| (s.plan.0 as f32 * w as f32, s.plan.1 as f32 * h as f32)).collect();
    // Paths between consecutive scenes.
    for pair in pts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let n = ((b.0 - a.0).hypot(b.1 - a.1) / 2.0) as i32;
        for i in 0..=n {
            let t = i as f32 / n.max(1) as f32;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            fill_rect(&mut img, x as i64 - 9, y as i64 - 9, x as i64 + 9, y as i64 + 9, rgb(0xcdbb95));
        }
    }
    // A room or station around each scene, labelled with its name.
    for (scene, &(x, y)) in site.scenes.iter().zip(&pts) {
        let indoor = matches!(scene.setting, crate::Setting::Hall | crate::Setting::Residence);
        let (rw, rh) = if indoor { (130.0, 95.0) } else { (95.0, 70.0) };
        let (x0, y0, x1, y1) = ((x - rw) as i64, (y - rh) as i64, (x + rw) as i64, (y + rh) as i64);
        fill_rect(&mut img, x0, y0, x1, y1, room);
        for t in 0..3 {
            fill_rect(&mut img, x0, y0 + t, x1, y0 + t + 1, ink);
            fill_rect(&mut img, x0, y1 - t - 1, x1, y1 - t, ink);
            fill_rect(&mut img, x0 + t, y0, x0 + t + 1, y1, ink);
            fill_rect(&mut img, x1 - t - 1, y0, x1 - t, y1, ink);
        }
        let label = &scene.name.zh;
        let px = fit(font, label, rw * 1.8, 30.0);
        draw_centered(&mut img, font, px, x, y1 as f32 - px - 10.0, ink, label);
        let en = &scene.name.en;
        let px = fit(font, en, rw * 1.8, 20.0);
        draw_centered(&mut img, font, px, x, y0 as f32 + 8.0, scale(ink, 1.3), en);
    }
    // Title and a north arrow.
    let title = format!("{}  {}", site.name.zh, site.name.en);
    let px = fit(font, &title, w as f32 - 200.0, 36.0);
    draw_text(&mut img, font, px, 44.0, 18.0, ink, &title);
    let (nx, ny) = (w as f32 - 70.0, 22.0);
    for i in 0..30 {
        let half = i as f32 * 0.4;
        fill_rect(
            &mut img,
            (nx - half) as i64,
            (ny + i as f32) as i64,
            (nx + half) as i64 + 1,
            (ny + i as f32) as i64 + 1,
            ink,
        );
    }
    draw_centered(&mut img, font, 18.0, nx, ny + 30.0, ink, "N 北");
    img
}
