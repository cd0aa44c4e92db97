//! The hall for screen readers in the native window: Bevy's AccessKit tree carries the scene's
//! words, each hotspot as a button named by where it leads, the live region's announcements,
//! and a name for every button; a screen reader's click on a hotspot walks.
#![cfg(feature = "viewer")]

use std::path::Path;

use accesskit::{Action, ActionRequest as AkRequest, NodeId, Role, TreeId};
use bevy::a11y::{AccessibilityNode, ActionRequest};
use bevy::prelude::*;

use cloudhall::tour::Lang;
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::a11y::{LiveRegion, SceneWords};
use cloudhall::viewer::headless::{headless_app, pump, settle};
use cloudhall::viewer::hotspots::HotspotMarker;
use cloudhall::viewer::nav::Current;

fn render_tour() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render")
}

#[test]
fn the_native_tree_says_the_scene_its_hotspots_and_what_was_announced() {
    let options = ViewerOptions { lang: Lang::En, ..ViewerOptions::new(&render_tour()) };
    let (mut app, _target) = headless_app(options, 960, 540).expect("app");
    settle(&mut app).expect("panorama");
    for _ in 0..3 {
        pump(&mut app);
    }

    let mut words = app.world_mut().query_filtered::<&AccessibilityNode, With<SceneWords>>();
    let w = words.single(app.world()).expect("the scene's words");
    assert_eq!(w.role(), Role::Label);
    assert_eq!(w.label(), Some("Orientation Hall · Discs"));
    assert!(w.value().is_some_and(|v| v.starts_with("Four coloured discs on the horizon")), "{:?}", w.value());

    let mut markers = app.world_mut().query::<(Entity, &HotspotMarker, &AccessibilityNode)>();
    let mut go = None;
    let mut seen = 0;
    for (e, m, node) in markers.iter(app.world()) {
        seen += 1;
        assert_eq!(node.role(), Role::Button, "hotspot {} is a button", m.index);
        if m.index == 0 {
            assert_eq!(node.label(), Some("Go to: Second Hall"));
            assert_eq!(node.description(), Some("A door low on the right, to the right"));
            go = Some(e);
        } else {
            assert_eq!(node.label(), Some("Board: Orientation"));
        }
    }
    assert_eq!(seen, 2, "both hotspots are in the tree");

    let mut live = app.world_mut().query_filtered::<&AccessibilityNode, With<LiveRegion>>();
    let l = live.single(app.world()).expect("the live region");
    assert_eq!(l.live(), Some(accesskit::Live::Polite));
    assert!(
        l.value().is_some_and(|v| v.starts_with("Orientation Hall, Discs. Four coloured discs")),
        "{:?}",
        l.value()
    );

    // Every button on screen has a name in words (⇔ is "Enlarge the floor plan").
    let mut buttons = app.world_mut().query_filtered::<(&AccessibilityNode, &ComputedNode), With<Button>>();
    let names: Vec<String> = buttons
        .iter(app.world())
        .filter(|(_, c)| c.size().x > 0.0)
        .map(|(n, _)| n.label().unwrap_or_default().to_string())
        .collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(n.chars().any(char::is_alphanumeric), "a button named `{n}`: {names:?}");
    }
    assert!(names.iter().any(|n| n == "Enlarge the floor plan"), "⇔ is named for what it does: {names:?}");

    // A screen reader's click on the Go hotspot walks, as a pointer's would.
    let target = go.expect("the Go marker");
    app.world_mut().write_message(ActionRequest(AkRequest {
        action: Action::Click,
        target_tree: TreeId::ROOT,
        target_node: NodeId(target.to_bits()),
        data: None,
    }));
    pump(&mut app);
    pump(&mut app);
    assert_eq!(app.world().resource::<Current>().scene, "second");
    settle(&mut app).expect("second panorama");
    pump(&mut app);
    let l = live.single(app.world()).expect("the live region");
    assert!(l.value().is_some_and(|v| v.starts_with("Orientation Hall, Second Hall.")), "{:?}", l.value());
}
