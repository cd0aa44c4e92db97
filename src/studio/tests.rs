//! The studio on a copy of the bundled tour: a new site drafted, checked, published, restored.

use super::*;
use crate::tour::{Hotspot, HotspotKind, Panorama, Scene, View};

/// A copy of the bundled scene files beside the bundled assets (linked, not copied).
pub fn copy_of_bundled(tag: &str) -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("cloudhall-studio-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let scenes = root.join("scenes");
    std::fs::create_dir_all(&scenes).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(repo.join("scenes")).unwrap().flatten() {
        std::fs::copy(e.path(), scenes.join(e.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(repo.join("assets"), root.join("assets")).unwrap();
    (scenes, root.join("data"))
}

/// A site with two scenes on bundled panoramas, joined both ways.
pub fn new_site(id: &str) -> Site {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/aohan-museum.ron");
    let mut site: Site = parse_str(&p, &std::fs::read_to_string(&p).unwrap()).unwrap();
    site.id = id.into();
    site.name = crate::tour::Text { zh: "新馆".into(), en: "New Hall".into() };
    site.floor_plan = None;
    site.start_scene = None;
    site.route = None;
    let scene = |sid: &str, to: &str, pano: Panorama| Scene {
        id: sid.into(),
        name: crate::tour::Text { zh: format!("{sid} 厅"), en: format!("{sid} room") },
        panorama: pano,
        thumbnail: None,
        description: Some(crate::tour::Text { zh: "一间展厅".into(), en: "A room".into() }),
        view: View { yaw: 0.0, pitch: 0.0, hfov: 100.0 },
        limits: Default::default(),
        narration: None,
        hotspots: vec![Hotspot {
            id: format!("to-{to}"),
            yaw: 10.0,
            pitch: -5.0,
            kind: HotspotKind::Go { scene: to.into(), site: None, view: None },
            description: Some(crate::tour::Text { zh: "一扇门".into(), en: "A door".into() }),
        }],
    };
    site.scenes = vec![
        scene("first", "second", site.scenes[0].panorama.clone()),
        scene("second", "first", site.scenes[1].panorama.clone()),
    ];
    site
}

#[test]
fn a_new_site_is_drafted_checked_published_and_taken_back() {
    let (scenes, data) = copy_of_bundled("flow");
    let (studio, recovered) = Studio::open(&scenes, &data).unwrap();
    assert_eq!(recovered, None);
    let mut site = new_site("new-hall");
    // A Go hotspot pointing nowhere: the check names it and the field it is in.
    site.scenes[1].hotspots[0].kind = HotspotKind::Go { scene: "nowhere".into(), site: None, view: None };
    let draft = studio.save(site.clone(), 0, "li", 100).unwrap();
    let checked = studio.check(&draft).unwrap();
    let bad = checked.items.iter().find(|i| i.severity == Severity::Error).expect("an error");
    assert!(bad.message.contains("nowhere"), "{bad:?}");
    assert_eq!(bad.file, "new-hall.ron");
    assert_eq!(bad.field.as_deref(), Some("scenes.1.hotspots.0.kind.scene"), "{bad:?}");
    // Publishing is refused and nothing is written.
    let before = studio.hall.files().unwrap();
    assert!(
        matches!(studio.publish("new-hall", 1, "li", 101, &|_| {}), Err(NotPublished::Invalid(c)) if c.errors >= 1)
    );
    assert_eq!(studio.hall.files().unwrap(), before);

    // Fixed, saved from revision 1, published.
    site.scenes[1].hotspots[0].kind = HotspotKind::Go { scene: "first".into(), site: None, view: None };
    let draft = studio.save(site.clone(), 1, "li", 102).unwrap();
    assert_eq!(studio.check(&draft).unwrap().errors, 0);
    let (version, _) = studio.publish("new-hall", 2, "li", 103, &|_| {}).unwrap();
    assert_eq!(version.n, 1);
    let tour = crate::tour::load(&scenes).into_result().expect("the published tour loads");
    assert_eq!(tour.site("new-hall").map(|s| s.scenes.len()), Some(2));
    assert_eq!(studio.drafts.get("new-hall").unwrap(), None);
    // Every other site file is as it was.
    let after = studio.hall.files().unwrap();
    for (name, text) in &before {
        if name != "tour.ron" {
            assert_eq!(after.get(name), Some(text), "{name}");
        }
    }
    assert!(after["tour.ron"].starts_with("// The bundled tour"));

    // A second curator publishing the same draft is told who was first.
    match studio.publish("new-hall", 2, "wang", 104, &|_| {}) {
        Err(NotPublished::Conflict { by, reason, .. }) => {
            assert_eq!(by, "li");
            assert!(reason.contains("already published"), "{reason}");
        }
        other => panic!("{other:?}"),
    }

    // Version 0 back: the site is gone, and the tour is the bundled one again.
    studio.restore(0, "wang", 105, &|_| {}).unwrap();
    let tour = crate::tour::load(&scenes).into_result().expect("the restored tour loads");
    assert!(tour.site("new-hall").is_none());
    assert_eq!(studio.hall.files().unwrap(), before);
    let log = studio.log.recent(10);
    assert_eq!(log[0].action, "restored");
    assert_eq!(log[0].by, "wang");
    assert!(log.iter().any(|e| e.action == "published" && e.by == "li" && e.site == "new-hall"));
}

#[test]
fn an_edit_of_a_bundled_site_changes_only_its_lines_and_conflicts_are_caught() {
    let (scenes, data) = copy_of_bundled("edit");
    let (studio, _) = Studio::open(&scenes, &data).unwrap();
    let editing = studio.editing("aohan-museum").unwrap().expect("published");
    assert_eq!((editing.rev, editing.draft), (0, false));
    let mut site = editing.site.clone();
    site.scenes[0].view.yaw = 12.5;
    let draft = studio.save(site, 0, "li", 1).unwrap();
    // Meanwhile the file is published by someone else (here: by hand).
    let path = scenes.join("aohan-museum.ron");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replace("hfov: 100.0", "hfov: 95.0")).unwrap();
    assert!(matches!(studio.publish("aohan-museum", draft.rev, "li", 2, &|_| {}), Err(NotPublished::Conflict { .. })));
    std::fs::write(&path, &original).unwrap();
    studio.publish("aohan-museum", draft.rev, "li", 3, &|_| {}).unwrap();
    let now = std::fs::read_to_string(&path).unwrap();
    let changed: Vec<&str> = now.lines().filter(|l| !original.lines().any(|o| o == *l)).collect();
    assert_eq!(changed, vec!["            view: (yaw: 12.5, pitch: 5.0, hfov: 100.0),"]);
}
