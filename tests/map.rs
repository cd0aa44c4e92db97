//! The city map and the floor-plan mini-map, on the bundled tour.
#![cfg(feature = "viewer")]

use std::path::Path;

use bevy::prelude::*;

use cloudhall::map::{self as geo, MapView, Rect};
use cloudhall::tour::Lang;
use cloudhall::viewer::headless::{capture, headless_app, pump, settle};
use cloudhall::viewer::map::{MapState, PlanDot, label_layout, pin_positions};
use cloudhall::viewer::nav::Current;
use cloudhall::viewer::{TourData, ViewerOptions, load_tour};

fn scenes() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

fn options(map: bool, site: Option<&str>) -> ViewerOptions {
    ViewerOptions { site: site.map(str::to_string), map, ..ViewerOptions::new(scenes()) }
}

#[test]
fn labels_never_overlap_at_three_zoom_levels() {
    let tour = TourData(std::sync::Arc::new(load_tour(&scenes()).expect("bundled tour")));
    let state = MapState::default();
    for lang in [Lang::Zh, Lang::En] {
        for zoom in [6.5, 8.0, 10.0] {
            let v = MapView::new(42.9, 118.9, zoom, 1280.0, 720.0);
            let rects: Vec<Rect> = label_layout(&tour, &state, &v, lang).into_iter().flatten().collect();
            assert!(rects.len() >= 6, "zoom {zoom}: most labels fit ({} shown)", rects.len());
            for (i, a) in rects.iter().enumerate() {
                for b in &rects[i + 1..] {
                    assert!(!a.overlaps(b), "zoom {zoom} {lang:?}: {a:?} overlaps {b:?}");
                }
            }
        }
    }
}

fn hex(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).expect("hex");
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

#[test]
fn the_city_map_shows_every_pin_inside_the_outline() {
    let (w, h) = (1280u32, 720u32);
    let (mut app, target) = headless_app(options(true, None), w, h).expect("app");
    settle(&mut app).expect("settles");
    pump(&mut app);
    let img = capture(&mut app, &target).expect("frame");
    let tour = app.world().resource::<TourData>().clone();
    let view = app.world().resource::<MapState>().view.expect("the map has a view");
    let outline = std::fs::read_to_string(tour.0.asset_path(&tour.0.map.outline)).expect("outline");
    let rings = geo::outline_rings(&outline).expect("rings");
    let pins = pin_positions(&tour, &view);
    assert_eq!(pins.len(), 18);
    for (site, (x, y)) in tour.0.sites.iter().zip(pins) {
        assert!(geo::contains(&rings, site.location.lon, site.location.lat), "{} lies inside the outline", site.id);
        assert!(x > 0.0 && y > 0.0 && x < w as f64 && y < h as f64, "{} is on screen", site.id);
        let want = hex(&tour.0.category(&site.category).expect("category").color);
        // Around the centre (a visited pin carries a white check mark in the middle).
        let seen: Vec<[u8; 4]> = [(0, 0), (-5, 0), (5, 0), (0, 5), (0, -5)]
            .iter()
            .map(|(dx, dy)| img.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32).0)
            .collect();
        let close = seen.iter().any(|px| (0..3).all(|i| (px[i] as i32 - want[i] as i32).abs() <= 40));
        assert!(close, "{}: pin colours {:?} at ({x:.0}, {y:.0}), expected {want:?}", site.id, seen);
    }
}

#[test]
fn clicking_a_plan_dot_walks_to_that_scene() {
    let (mut app, _target) = headless_app(options(false, Some("chifeng-museum")), 640, 400).expect("app");
    settle(&mut app).expect("settles");
    pump(&mut app);
    assert_eq!(app.world().resource::<Current>().scene, "square");
    let dot = {
        let mut q = app.world_mut().query::<(Entity, &PlanDot)>();
        q.iter(app.world()).find(|(_, d)| d.0 == "hall-liao-to-qing").map(|(e, _)| e).expect("a dot for the hall")
    };
    // The UI reports the dot pressed (as bevy_ui does for a click or tap), then a frame runs.
    app.world_mut().entity_mut(dot).insert(Interaction::Pressed);
    app.world_mut().run_schedule(Update);
    pump(&mut app);
    pump(&mut app);
    assert_eq!(app.world().resource::<Current>().scene, "hall-liao-to-qing");
}

/// The floor plan's button is named in the interface's language, and follows a switch.
#[test]
fn the_floor_plan_button_speaks_the_interface_language() {
    let (mut app, _target) = headless_app(options(false, Some("chifeng-museum")), 640, 400).expect("app");
    settle(&mut app).expect("settles");
    pump(&mut app);
    let texts = |app: &mut App| -> Vec<String> {
        let mut q = app.world_mut().query::<&Text>();
        q.iter(app.world()).map(|t| t.0.clone()).collect()
    };
    assert!(texts(&mut app).iter().any(|t| t == "平面图"), "in Chinese first");
    app.world_mut().resource_mut::<cloudhall::viewer::Settings>().lang = Lang::En;
    pump(&mut app);
    pump(&mut app);
    let now = texts(&mut app);
    assert!(now.iter().any(|t| t == "Floor plan") && !now.iter().any(|t| t == "平面图"), "{now:?}");
}
