//! The city map and floor plans as geometry, free of Bevy: Web Mercator, the outline from
//! GeoJSON, pin hit-testing, label declutter, site search, and the view radar on a floor plan.

use serde_json::Value;

/// Web Mercator world size at zoom 0, in map pixels (the slippy-map convention).
pub const TILE: f64 = 256.0;
/// Web Mercator's latitude limit.
pub const MAX_LAT: f64 = 85.051_128_78;

/// A point in world pixels at zoom 0: x east, y south.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct World {
    pub x: f64,
    pub y: f64,
}

/// Latitude and longitude (degrees) to Web Mercator world pixels at zoom 0.
pub fn project(lat: f64, lon: f64) -> World {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0 * TILE;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * TILE;
    World { x, y }
}

/// World pixels at zoom 0 back to latitude and longitude.
pub fn unproject(w: World) -> (f64, f64) {
    let lon = w.x / TILE * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * w.y / TILE);
    let lat = n.sinh().atan().to_degrees();
    (lat, lon)
}

/// What part of the map is on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapView {
    pub center: World,
    pub zoom: f64,
    pub width: f64,
    pub height: f64,
}

pub const MIN_ZOOM: f64 = 5.0;
pub const MAX_ZOOM: f64 = 12.0;

impl MapView {
    pub fn new(lat: f64, lon: f64, zoom: f64, width: f64, height: f64) -> Self {
        MapView { center: project(lat, lon), zoom: zoom.clamp(MIN_ZOOM, MAX_ZOOM), width, height }
    }

    pub fn scale(&self) -> f64 {
        2f64.powf(self.zoom)
    }

    /// Screen position (pixels from the top-left) of a latitude and longitude.
    pub fn to_screen(&self, lat: f64, lon: f64) -> (f64, f64) {
        self.world_to_screen(project(lat, lon))
    }

    pub fn world_to_screen(&self, w: World) -> (f64, f64) {
        let s = self.scale();
        ((w.x - self.center.x) * s + self.width / 2.0, (w.y - self.center.y) * s + self.height / 2.0)
    }

    /// Latitude and longitude under a screen position.
    pub fn to_geo(&self, x: f64, y: f64) -> (f64, f64) {
        let s = self.scale();
        unproject(World {
            x: (x - self.width / 2.0) / s + self.center.x,
            y: (y - self.height / 2.0) / s + self.center.y,
        })
    }

    /// Move the map with the pointer by (dx, dy) screen pixels.
    pub fn pan(&mut self, dx: f64, dy: f64) {
        let s = self.scale();
        self.center.x -= dx / s;
        self.center.y -= dy / s;
    }

    /// Zoom by `steps` levels keeping the point under (x, y) where it is.
    pub fn zoom_at(&mut self, steps: f64, x: f64, y: f64) {
        let s0 = self.scale();
        let anchor =
            World { x: (x - self.width / 2.0) / s0 + self.center.x, y: (y - self.height / 2.0) / s0 + self.center.y };
        self.zoom = (self.zoom + steps).clamp(MIN_ZOOM, MAX_ZOOM);
        let s1 = self.scale();
        self.center.x = anchor.x - (x - self.width / 2.0) / s1;
        self.center.y = anchor.y - (y - self.height / 2.0) / s1;
    }
}

/// Rings of (lon, lat) from a GeoJSON document: Polygon and MultiPolygon, in a Feature or a
/// FeatureCollection.
pub fn outline_rings(geojson: &str) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let v: Value = serde_json::from_str(geojson).map_err(|e| format!("not JSON: {e}"))?;
    let mut rings = Vec::new();
    collect(&v, &mut rings);
    if rings.is_empty() {
        return Err("no Polygon or MultiPolygon in the GeoJSON".into());
    }
    Ok(rings)
}

fn collect(v: &Value, rings: &mut Vec<Vec<(f64, f64)>>) {
    match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            for f in v.get("features").and_then(Value::as_array).into_iter().flatten() {
                collect(f, rings);
            }
        }
        Some("Feature") => {
            if let Some(g) = v.get("geometry") {
                collect(g, rings);
            }
        }
        Some("Polygon") => {
            for r in v.get("coordinates").and_then(Value::as_array).into_iter().flatten() {
                rings.push(ring(r));
            }
        }
        Some("MultiPolygon") => {
            for p in v.get("coordinates").and_then(Value::as_array).into_iter().flatten() {
                for r in p.as_array().into_iter().flatten() {
                    rings.push(ring(r));
                }
            }
        }
        _ => {}
    }
}

fn ring(r: &Value) -> Vec<(f64, f64)> {
    r.as_array().into_iter().flatten().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect()
}

/// Whether (lon, lat) lies inside the rings (even-odd rule, so holes count).
pub fn contains(rings: &[Vec<(f64, f64)>], lon: f64, lat: f64) -> bool {
    let mut inside = false;
    for r in rings {
        let n = r.len();
        for i in 0..n {
            let (x1, y1) = r[i];
            let (x2, y2) = r[(i + 1) % n];
            if (y1 > lat) != (y2 > lat) && lon < x1 + (lat - y1) / (y2 - y1) * (x2 - x1) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Bounds of the rings: (min lon, min lat, max lon, max lat).
pub fn bounds(rings: &[Vec<(f64, f64)>]) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(lon, lat) in rings.iter().flatten() {
        b = (b.0.min(lon), b.1.min(lat), b.2.max(lon), b.3.max(lat));
    }
    b
}

/// Draw the outline into an RGBA image covering `bounds` (in world pixels at zoom 0) at
/// `scale` image pixels per world pixel: land filled, the border stroked.
pub fn rasterize(
    rings: &[Vec<(f64, f64)>],
    origin: World,
    scale: f64,
    w: u32,
    h: u32,
    fill: [u8; 4],
    stroke: [u8; 4],
) -> Vec<u8> {
    let mut img = vec![0u8; (w * h * 4) as usize];
    let pts: Vec<Vec<(f64, f64)>> = rings
        .iter()
        .map(|r| {
            r.iter()
                .map(|&(lon, lat)| {
                    let p = project(lat, lon);
                    ((p.x - origin.x) * scale, (p.y - origin.y) * scale)
                })
                .collect()
        })
        .collect();
    // Scanline fill, even-odd.
    let mut xs = Vec::new();
    for row in 0..h {
        let y = row as f64 + 0.5;
        xs.clear();
        for r in &pts {
            let n = r.len();
            for i in 0..n {
                let (x1, y1) = r[i];
                let (x2, y2) = r[(i + 1) % n];
                if (y1 > y) != (y2 > y) {
                    xs.push(x1 + (y - y1) / (y2 - y1) * (x2 - x1));
                }
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks(2) {
            if let [a, b] = pair {
                let (a, b) = (a.round().max(0.0) as u32, b.round().min(w as f64) as u32);
                for x in a..b.max(a) {
                    let i = ((row * w + x) * 4) as usize;
                    img[i..i + 4].copy_from_slice(&fill);
                }
            }
        }
    }
    // The border, as short dabs along each edge.
    for r in &pts {
        let n = r.len();
        for i in 0..n {
            let (x1, y1) = r[i];
            let (x2, y2) = r[(i + 1) % n];
            let steps = ((x2 - x1).hypot(y2 - y1).ceil() as usize).max(1);
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let (x, y) = (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)] {
                    let (px, py) = (x as i64 + dx, y as i64 + dy);
                    if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                        let i = ((py as u32 * w + px as u32) * 4) as usize;
                        img[i..i + 4].copy_from_slice(&stroke);
                    }
                }
            }
        }
    }
    img
}

/// The pin nearest to `at` within `radius` pixels.
pub fn hit_pin(pins: &[(f64, f64)], at: (f64, f64), radius: f64) -> Option<usize> {
    pins.iter()
        .enumerate()
        .map(|(i, p)| (i, (p.0 - at.0).hypot(p.1 - at.1)))
        .filter(|(_, d)| *d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Pins closer than `min_dist` pixels are spread on a small circle around their centre, so
/// sites at (almost) the same place can each be seen and clicked.
pub fn spread(points: &[(f64, f64)], min_dist: f64) -> Vec<(f64, f64)> {
    let n = points.len();
    // Group points transitively closer than min_dist.
    let mut group: Vec<usize> = (0..n).collect();
    fn root(g: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while g[r] != r {
            r = g[r];
        }
        g[i] = r;
        r
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (points[i], points[j]);
            if (a.0 - b.0).hypot(a.1 - b.1) < min_dist {
                let (ri, rj) = (root(&mut group, i), root(&mut group, j));
                group[ri] = rj;
            }
        }
    }
    let mut out = points.to_vec();
    let mut done = vec![false; n];
    for i in 0..n {
        let r = root(&mut group, i);
        if done[r] {
            continue;
        }
        done[r] = true;
        let members: Vec<usize> = (0..n).filter(|&k| root(&mut group, k) == r).collect();
        if members.len() < 2 {
            continue;
        }
        let cx = members.iter().map(|&k| points[k].0).sum::<f64>() / members.len() as f64;
        let cy = members.iter().map(|&k| points[k].1).sum::<f64>() / members.len() as f64;
        let m = members.len() as f64;
        let radius = (min_dist / (2.0 * (std::f64::consts::PI / m).sin())).max(min_dist * 0.6);
        for (k, &idx) in members.iter().enumerate() {
            let a = k as f64 / m * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
            out[idx] = (cx + radius * a.cos(), cy + radius * a.sin());
        }
    }
    out
}

/// A screen rectangle: x, y of the top-left, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Width of a label in pixels at `size`: CJK characters are square, others about half as wide.
pub fn label_width(text: &str, size: f64) -> f64 {
    text.chars().map(|c| if c.is_ascii() { 0.55 } else { 1.0 }).sum::<f64>() * size
}

/// Place labels beside their pins, highest priority first: right, left, above, below; a label
/// that fits nowhere is hidden. `pins` are (screen x, screen y, label width, priority).
pub fn declutter(pins: &[(f64, f64, f64, i32)], height: f64, pin_radius: f64) -> Vec<Option<Rect>> {
    let mut order: Vec<usize> = (0..pins.len()).collect();
    order.sort_by_key(|&i| (-pins[i].3, i));
    let mut placed: Vec<Rect> = Vec::new();
    // Pins themselves are obstacles too.
    let dots: Vec<Rect> = pins
        .iter()
        .map(|p| Rect { x: p.0 - pin_radius, y: p.1 - pin_radius, w: 2.0 * pin_radius, h: 2.0 * pin_radius })
        .collect();
    let mut out = vec![None; pins.len()];
    for i in order {
        let (x, y, w, _) = pins[i];
        let gap = pin_radius + 3.0;
        let candidates = [
            Rect { x: x + gap, y: y - height / 2.0, w, h: height },
            Rect { x: x - gap - w, y: y - height / 2.0, w, h: height },
            Rect { x: x - w / 2.0, y: y - gap - height, w, h: height },
            Rect { x: x - w / 2.0, y: y + gap, w, h: height },
        ];
        let free = candidates.into_iter().find(|c| {
            !placed.iter().any(|p| p.overlaps(c)) && !dots.iter().enumerate().any(|(j, d)| j != i && d.overlaps(c))
        });
        if let Some(r) = free {
            placed.push(r);
            out[i] = Some(r);
        }
    }
    out
}

/// Whether a search query matches a site by its Chinese name, English name, or the pinyin of its
/// Chinese name (full syllables or initials, without tones or spaces).
pub fn search_matches(query: &str, zh: &str, en: &str) -> bool {
    let q: String = query.trim().to_lowercase().chars().filter(|c| !c.is_whitespace() && *c != '\'').collect();
    if q.is_empty() {
        return false;
    }
    if zh.contains(query.trim()) || en.to_lowercase().replace(' ', "").contains(&q) {
        return true;
    }
    let (full, initials) = pinyin_of(zh);
    full.contains(&q) || initials.starts_with(&q)
}

/// Pinyin known ahead for the texts of the tour: the browser's viewer carries no pinyin table
/// (it would add a tenth of a megabyte to the download), so the server sends the pinyin of the
/// site names with the tour (`"pinyin"`, [`pinyin_table`]) and the viewer remembers it here.
static KNOWN_PINYIN: std::sync::Mutex<Option<std::collections::HashMap<String, (String, String)>>> =
    std::sync::Mutex::new(None);

/// Remember the pinyin of texts (as [`pinyin_table`] makes it).
pub fn remember_pinyin(table: std::collections::HashMap<String, (String, String)>) {
    if let Ok(mut known) = KNOWN_PINYIN.lock() {
        known.get_or_insert_with(Default::default).extend(table);
    }
}

/// The toneless pinyin of a Chinese text, joined, and its initials: remembered, or computed
/// where the pinyin table is built in (natively; in the browser an unknown text has none).
pub fn pinyin_of(zh: &str) -> (String, String) {
    if let Some(p) = KNOWN_PINYIN.lock().ok().and_then(|k| k.as_ref()?.get(zh).cloned()) {
        return p;
    }
    computed_pinyin(zh)
}

#[cfg(not(target_arch = "wasm32"))]
fn computed_pinyin(zh: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for p in zh.to_pinyin().flatten() {
        let s = p.plain();
        full.push_str(s);
        if let Some(c) = s.chars().next() {
            initials.push(c);
        }
    }
    (full, initials)
}

#[cfg(target_arch = "wasm32")]
fn computed_pinyin(_zh: &str) -> (String, String) {
    (String::new(), String::new())
}

/// The pinyin of every text a visitor can search for (the sites' Chinese names), for
/// [`remember_pinyin`] at the other end.
pub fn pinyin_table<'a>(
    texts: impl IntoIterator<Item = &'a str>,
) -> std::collections::BTreeMap<String, (String, String)> {
    texts.into_iter().map(|t| (t.to_string(), computed_pinyin(t))).collect()
}

/// The compass bearing (degrees clockwise from the plan's up) the visitor faces: the scene's
/// north offset (the bearing of yaw 0 on the plan) plus the view's yaw.
pub fn radar_heading(yaw: f64, north: f64) -> f64 {
    (north + yaw).rem_euclid(360.0)
}

/// An RGBA image `size` pixels square with a translucent sector centred on `heading` (degrees
/// clockwise from up), `fov` wide, from the centre to the edge.
pub fn radar_sector(size: u32, heading: f64, fov: f64, color: [u8; 3]) -> Vec<u8> {
    let mut img = vec![0u8; (size * size * 4) as usize];
    let c = size as f64 / 2.0;
    for y in 0..size {
        for x in 0..size {
            let (dx, dy) = (x as f64 + 0.5 - c, y as f64 + 0.5 - c);
            let r = dx.hypot(dy);
            if r > c || r < 1.0 {
                continue;
            }
            let bearing = dx.atan2(-dy).to_degrees();
            let off = (bearing - heading + 540.0).rem_euclid(360.0) - 180.0;
            if off.abs() <= fov / 2.0 {
                let i = ((y * size + x) * 4) as usize;
                let a = (200.0 * (1.0 - r / c) + 40.0) as u8;
                img[i..i + 4].copy_from_slice(&[color[0], color[1], color[2], a]);
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_of_known_points_and_back() {
        let w = project(0.0, 0.0);
        assert!((w.x - 128.0).abs() < 1e-9 && (w.y - 128.0).abs() < 1e-9, "null island is the world's centre");
        let w = project(MAX_LAT, 180.0);
        assert!((w.x - 256.0).abs() < 1e-9 && w.y.abs() < 1e-6, "the corner of the world square");
        // Chifeng city centre, checked against the standard slippy-map formula by hand:
        // x = (118.89 + 180) / 360 * 256 = 212.5440, y = (1 - asinh(tan 42.26°) / π) / 2 * 256 = 94.7823.
        let w = project(42.26, 118.89);
        assert!((w.x - 212.544).abs() < 1e-3 && (w.y - 94.7823).abs() < 1e-3, "{w:?}");
        for (lat, lon) in [(42.26, 118.89), (43.979, 119.386), (-33.9, 151.2), (60.0, -45.0)] {
            let (la, lo) = unproject(project(lat, lon));
            assert!((la - lat).abs() < 1e-9 && (lo - lon).abs() < 1e-9);
        }
        let v = MapView::new(42.26, 118.89, 8.0, 800.0, 600.0);
        let (x, y) = v.to_screen(42.26, 118.89);
        assert!((x - 400.0).abs() < 1e-6 && (y - 300.0).abs() < 1e-6);
        let (lat, lon) = v.to_geo(100.0, 50.0);
        let (x, y) = v.to_screen(lat, lon);
        assert!((x - 100.0).abs() < 1e-6 && (y - 50.0).abs() < 1e-6);
        let (x2, _) = v.to_screen(42.26, 119.89);
        assert!(
            (x2 - x - 0.0).abs() > 0.0 && (x2 - 400.0 - 182.04).abs() < 0.01,
            "1° of longitude at zoom 8 is 182 px: {x2}"
        );
    }

    #[test]
    fn zooming_keeps_the_point_under_the_pointer() {
        let mut v = MapView::new(42.26, 118.89, 7.0, 800.0, 600.0);
        let before = v.to_geo(620.0, 140.0);
        v.zoom_at(1.5, 620.0, 140.0);
        let after = v.to_geo(620.0, 140.0);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        v.zoom_at(100.0, 0.0, 0.0);
        assert_eq!(v.zoom, MAX_ZOOM);
        let c = v.center;
        v.pan(100.0, 0.0);
        assert!(v.center.x < c.x, "dragging right moves the map right (its centre west)");
    }

    #[test]
    fn pins_are_hit_within_their_radius_at_any_zoom() {
        let sites = [(42.24, 118.93), (42.2458, 118.8936), (43.979, 119.386)];
        for zoom in [6.0, 8.0, 11.0] {
            let v = MapView::new(42.8, 119.0, zoom, 1000.0, 800.0);
            let pins: Vec<(f64, f64)> = sites.iter().map(|&(la, lo)| v.to_screen(la, lo)).collect();
            let p2 = pins[2];
            assert_eq!(hit_pin(&pins, (p2.0 + 5.0, p2.1 - 5.0), 12.0), Some(2), "zoom {zoom}");
            assert_eq!(hit_pin(&pins, (p2.0 + 30.0, p2.1), 12.0), None, "zoom {zoom}");
            // The two close pins in the city: the nearer one wins.
            let near0 = (pins[0].0 + 1.0, pins[0].1);
            assert_eq!(hit_pin(&pins, near0, 12.0), Some(0), "zoom {zoom}");
        }
    }

    #[test]
    fn co_located_pins_are_spread_apart() {
        let pts = [(100.0, 100.0), (101.0, 100.5), (100.5, 99.0), (300.0, 300.0)];
        let out = spread(&pts, 20.0);
        assert_eq!(out[3], (300.0, 300.0), "a lone pin stays put");
        for i in 0..3 {
            for j in i + 1..3 {
                let d = (out[i].0 - out[j].0).hypot(out[i].1 - out[j].1);
                assert!(d >= 19.9, "pins {i} and {j} are {d} px apart");
            }
            let from_home = (out[i].0 - pts[i].0).hypot(out[i].1 - pts[i].1);
            assert!(from_home < 30.0, "spread stays near the place");
        }
    }

    #[test]
    fn declutter_leaves_no_overlaps_and_keeps_the_first() {
        let pins = [(100.0, 100.0, 80.0, 5), (105.0, 102.0, 80.0, 1), (300.0, 300.0, 60.0, 0)];
        let out = declutter(&pins, 18.0, 6.0);
        assert!(out[0].is_some() && out[2].is_some());
        let shown: Vec<Rect> = out.iter().flatten().copied().collect();
        for (i, a) in shown.iter().enumerate() {
            for b in &shown[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn the_outline_contains_its_centre_and_not_far_points() {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/map/chifeng-outline.geojson"))
            .expect("outline");
        let rings = outline_rings(&src).expect("rings");
        assert!(contains(&rings, 118.95, 42.27), "Chifeng's centroid");
        assert!(!contains(&rings, 116.0, 40.0), "Beijing's north is outside");
        let b = bounds(&rings);
        assert!(b.0 > 116.0 && b.2 < 121.5 && b.1 > 41.0 && b.3 < 45.5, "{b:?}");
        assert!(outline_rings("{\"type\": \"Point\", \"coordinates\": [0, 0]}").is_err());
    }

    #[test]
    fn rasterized_outline_is_filled_inside() {
        let rings = vec![vec![(118.0, 42.0), (119.0, 42.0), (119.0, 43.0), (118.0, 43.0)]];
        let origin = project(43.0, 118.0);
        let scale = 64.0;
        let (w, h) = (64u32, 64u32);
        let img = rasterize(&rings, origin, scale, w, h, [10, 20, 30, 255], [200, 0, 0, 255]);
        let at = |x: u32, y: u32| &img[((y * w + x) * 4) as usize..((y * w + x) * 4 + 4) as usize];
        let inside = project(42.5, 118.5);
        let (ix, iy) = (((inside.x - origin.x) * scale) as u32, ((inside.y - origin.y) * scale) as u32);
        assert_eq!(at(ix, iy), [10, 20, 30, 255]);
        assert_eq!(at(w - 1, h - 1)[3], 0, "outside stays transparent");
    }

    #[test]
    fn search_by_chinese_english_and_pinyin() {
        assert!(search_matches("烈士", "赤峰烈士陵园", "Chifeng Martyrs' Cemetery"));
        assert!(search_matches("martyrs", "赤峰烈士陵园", "Chifeng Martyrs' Cemetery"));
        assert!(search_matches("chifeng", "赤峰烈士陵园", "Chifeng Martyrs' Cemetery"));
        assert!(search_matches("liaoshang", "辽上京博物馆", "Liao Shangjing Museum"));
        assert!(search_matches("hongshan", "红山遗址", "Hongshan Site"));
        assert!(search_matches("gaoqiao", "高桥烈士陵园", "Gao Qiao Martyr's Cemetery"));
        assert!(search_matches("wlbt", "乌兰布统古战场", "Ulan Butong Ancient Battlefield"), "initials");
        assert!(!search_matches("museum", "赤峰烈士陵园", "Chifeng Martyrs' Cemetery"));
    }

    #[test]
    fn pinyin_sent_with_the_tour_is_what_search_uses() {
        let table = pinyin_table(["赤峰烈士陵园"]);
        assert_eq!(table["赤峰烈士陵园"], ("chifenglieshilingyuan".to_string(), "cflsly".to_string()));
        // A viewer without a pinyin table (the browser's) searches with the remembered pinyin.
        remember_pinyin([("测试用名".to_string(), ("zzzz".to_string(), "zz".to_string()))].into_iter().collect());
        assert!(search_matches("zzzz", "测试用名", ""));
        assert!(!search_matches("ceshi", "测试用名", ""), "the remembered pinyin is what counts");
        assert!(!search_matches("  ", "赤峰", "Chifeng"));
    }

    #[test]
    fn the_radar_points_along_yaw_plus_north() {
        assert_eq!(radar_heading(30.0, 90.0), 120.0);
        assert_eq!(radar_heading(-120.0, 45.0), 285.0);
        assert_eq!(radar_heading(180.0, 180.0), 0.0);
        let size = 64u32;
        let img = radar_sector(size, 90.0, 60.0, [255, 0, 0]);
        let alpha = |x: u32, y: u32| img[((y * size + x) * 4 + 3) as usize];
        assert!(alpha(56, 32) > 0, "heading 90 points right");
        assert_eq!(alpha(8, 32), 0, "not left");
        assert_eq!(alpha(32, 6), 0, "not up: 90° away is outside a 60° cone");
    }
}
