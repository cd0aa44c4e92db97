//! `cloudhall import` and `cloudhall export pannellum`: small tours written in each tool's format
//! from its documentation (with generated images) are imported into a copy of the test tour,
//! pass the check, convert every angle as the tool means it, list what they leave out, and show
//! in the viewer; a broken source writes nothing and says where it is wrong; a Pannellum tour
//! comes back out of cloudhall with every angle and hotspot it went in with.
#![cfg(all(feature = "viewer", not(target_arch = "wasm32")))]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use cloudhall::import::{self, Imported};
use cloudhall::tour::{HotspotKind, Lang, Panorama, Site};
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{headless_app, settle};
use cloudhall::viewer::panorama::PanoramaStatus;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh copy of the test tour: (its folder, DIR/scenes).
fn tour_copy(tag: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("cloudhall-import-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (from, to) in [("good", "scenes"), ("assets", "assets")] {
        std::fs::create_dir_all(dir.join(to)).expect("dir");
        for e in std::fs::read_dir(fixture(from)).expect("fixture") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), dir.join(to).join(e.file_name())).expect("copy");
        }
    }
    (dir.clone(), dir.join("scenes"))
}

/// An image of one colour, saved as `path` (PNG or JPEG by its extension).
fn solid(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb)).save(path).expect("save");
}

/// A 2:1 image with a gradient, so panoramas are not blank.
fn equirect(path: &Path, w: u32) {
    let img = image::RgbImage::from_fn(w, w / 2, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 510 / w) as u8, 120]));
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    img.save(path).expect("save");
}

fn site_of(scenes: &Path, id: &str) -> Site {
    let loaded = cloudhall::tour::load(scenes);
    assert!(loaded.errors().next().is_none(), "{:?}", loaded.diagnostics);
    loaded.tour.expect("tour").site(id).expect("site").clone()
}

fn import_into(scenes: &Path, imported: Imported) -> import::Report {
    import::write(scenes, imported).expect("the import is written and passes the check")
}

/// The imported scene shows in the viewer (headless).
fn shows(scenes: &Path, site: &str, scene: &str) {
    let options = ViewerOptions {
        lang: Lang::En,
        site: Some(site.into()),
        scene: Some(scene.into()),
        ..ViewerOptions::new(scenes)
    };
    let (mut app, _) = headless_app(options, 320, 200).expect("app");
    settle(&mut app).expect("settles");
    assert_eq!(*app.world().resource::<PanoramaStatus>(), PanoramaStatus::Shown, "{site}/{scene} shows");
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// A Pannellum tour: an equirectangular scene, a cube-face scene and a multires scene.
fn pannellum_source(dir: &Path, multires: bool) -> PathBuf {
    let src = dir.join("pannellum");
    equirect(&src.join("gate.png"), 1024);
    for (f, c) in ["f", "r", "b", "l", "u", "d"].iter().zip([
        [200, 0, 0],
        [0, 200, 0],
        [0, 0, 200],
        [200, 200, 0],
        [250, 250, 250],
        [20, 20, 20],
    ]) {
        solid(&src.join(format!("cube/{f}.png")), 256, 256, c);
    }
    let mut scenes = json!({
        "gate": {
            "title": "<b>Gate</b>", "type": "equirectangular", "panorama": "gate.png",
            "yaw": 190, "pitch": 5, "hfov": 110, "minHfov": 40, "maxHfov": 120, "minPitch": -60, "maxPitch": 70,
            "minYaw": -100, "maxYaw": 100,
            "hotSpots": [
                {"pitch": -3, "yaw": -200, "type": "scene", "text": "To the hall", "sceneId": "hall", "targetYaw": 45, "targetPitch": -2},
                {"pitch": 10, "yaw": 30, "type": "info", "text": "An <i>old</i> gate. See <a href=\"https://example.org/gate\">the record</a>."},
                {"pitch": 0, "yaw": 60, "type": "info", "text": "The museum", "URL": "https://example.org/museum"},
                {"pitch": 0, "yaw": 90, "type": "info", "text": "Click me", "clickHandlerFunc": "doSomething"}
            ]
        },
        "hall": {
            "title": "Hall", "type": "cubemap", "basePath": "cube/",
            "cubeMap": ["f.png", "r.png", "b.png", "l.png", "u.png", "d.png"],
            "hotSpots": [{"pitch": 0, "yaw": 0, "type": "scene", "sceneId": "gate", "targetYaw": "sameAzimuth"}]
        }
    });
    if multires {
        let img = image::RgbImage::from_fn(2048, 1024, |x, y| image::Rgb([(x / 8) as u8, (y / 4) as u8, 90]));
        let rgb = cloudhall::tiles::faces::Rgb { width: 2048, height: 1024, data: img.into_raw() };
        let s = cloudhall::tiles::make_from_image(
            &rgb,
            &src.join("pyr"),
            cloudhall::tiles::Options { tile: 256, quality: 80 },
        )
        .expect("pyramid");
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join("pyr/config.json")).expect("config")).expect("json");
        let mut m = config["multiRes"].clone();
        m["basePath"] = json!("pyr");
        scenes["pyramid"] = json!({"title": "Pyramid", "type": "multires", "multiRes": m, "hotSpots": []});
        assert!(s.levels >= 2);
    }
    let config =
        json!({"default": {"firstScene": "hall", "title": "Imported hall", "autoRotate": -2}, "scenes": scenes});
    let path = src.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
    path
}

#[test]
fn a_pannellum_tour_is_imported_with_its_conventions_and_what_it_leaves_out() {
    let (dir, scenes) = tour_copy("pannellum");
    let config = pannellum_source(&dir, true);
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    let imported = import::pannellum::read(&config, "imported", &tour).expect("reads");
    let report = import_into(&scenes, imported);
    assert_eq!((report.scenes, report.hotspots), (3, 6), "{report}");
    let text = std::fs::read_to_string(scenes.join("tour.ron")).expect("tour.ron");
    assert!(text.contains("\"imported\""), "the site is listed in tour.ron");
    let site = site_of(&scenes, "imported");
    assert_eq!(site.name.zh, "Imported hall");
    assert_eq!(site.name.en, site.name.zh, "both languages start as the source's text");
    assert_eq!(site.scenes[0].id, "hall", "default.firstScene comes first");
    let gate = site.scene("gate").expect("gate");
    assert_eq!(gate.name.en, "Gate", "HTML in a title is plain text");
    assert!(close(gate.view.yaw, -170.0), "yaw 190 wraps to -170: {:?}", gate.view);
    assert!(close(gate.view.pitch, 5.0) && close(gate.view.hfov, 110.0));
    assert!(close(gate.limits.min_pitch, -60.0) && close(gate.limits.max_hfov, 120.0));
    assert!(matches!(&gate.panorama, Panorama::Equirect(p) if p == "pano/imported/gate/gate.png"));
    let h = &gate.hotspots[0];
    assert!(close(h.yaw, 160.0) && close(h.pitch, -3.0), "hotspot yaw -200 wraps to 160");
    match &h.kind {
        HotspotKind::Go { scene, view: Some(v), .. } => {
            assert_eq!(scene, "hall");
            assert!(close(v.yaw, 45.0) && close(v.pitch, -2.0));
        }
        other => panic!("a scene link becomes Go: {other:?}"),
    }
    match &gate.hotspots[1].kind {
        HotspotKind::Info { title, body, .. } => {
            assert_eq!(body.en, "An old gate. See the record.");
            assert_eq!(title, body);
        }
        other => panic!("an info spot becomes Info: {other:?}"),
    }
    let links: Vec<(&str, &str)> = gate
        .hotspots
        .iter()
        .filter_map(|h| match &h.kind {
            HotspotKind::Link { url, title } => Some((url.as_str(), title.en.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(links, vec![("https://example.org/gate", "the record"), ("https://example.org/museum", "The museum"),]);
    let hall = site.scene("hall").expect("hall");
    assert!(matches!(&hall.panorama, Panorama::Cube(f, ..) if f == "pano/imported/hall/front.png"));
    assert!(dir.join("assets/pano/imported/hall/down.png").is_file());
    let pyramid = site.scene("pyramid").expect("pyramid");
    match &pyramid.panorama {
        Panorama::Multires { path, tile_size, levels, preview, .. } => {
            assert_eq!(path, "pano/imported/pyramid/%l/%s%y_%x.jpg");
            assert_eq!(*tile_size, 256);
            assert!(*levels >= 2);
            assert!(dir.join("assets").join(preview).is_file(), "a preview is made from the first level");
            assert!(dir.join(format!("assets/pano/imported/pyramid/{levels}/f0_0.jpg")).is_file());
        }
        other => panic!("multires stays multires: {other:?}"),
    }
    // Not carried over, and said so with where.
    let dropped = report.dropped.join("\n");
    for what in [
        "scenes.gate.minYaw",
        "scenes.gate.hotSpots[3].clickHandlerFunc",
        "scenes.hall.hotSpots[0].targetYaw",
        "autoRotate",
    ] {
        assert!(dropped.contains(what), "the report lists {what}:\n{dropped}");
    }
    let needs = report.needs.join("\n");
    assert!(
        needs.contains("no narration") && needs.contains("no map position") && needs.contains("English"),
        "{needs}"
    );
    shows(&scenes, "imported", "gate");
    shows(&scenes, "imported", "hall");
    shows(&scenes, "imported", "pyramid");
}

/// Marzipano `data.js` files that crashed the importer under fuzzing: the only `}` before the
/// first `{`, and levels of 0 px tiles or more levels than halvings. Each is refused
/// with a reason.
#[test]
fn marzipano_files_that_fuzzing_found_are_refused_with_a_reason() {
    let (dir, scenes) = tour_copy("braces");
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    let src = dir.join("marz-braces");
    std::fs::create_dir_all(&src).expect("dir");
    std::fs::write(src.join("data.js"), "var\"name\": \"Entrance\"}]},\n   {\"id\": \"1\"").expect("write");
    let e = import::marzipano::read(&src, "m", &tour).unwrap_err();
    assert!(e.contains("data.js"), "{e}");
    // Levels of 0 px tiles, and more levels than a size halves: refused too (fuzzing again).
    for levels in
        [r#"[{"tileSize": 0, "size": 0}]"#, &format!("[{}]", vec![r#"{"tileSize": 1, "size": 1}"#; 40].join(","))]
    {
        let data = format!(
            r#"var APP_DATA = {{"scenes": [{{"id": "0-a", "name": "A", "levels": {levels}, "faceSize": 1}}]}};"#
        );
        std::fs::write(src.join("data.js"), data).expect("write");
        let e = import::marzipano::read(&src, "m", &tour).unwrap_err();
        assert!(e.contains("levels"), "{e}");
    }
}

#[test]
fn a_broken_source_writes_nothing_and_says_where() {
    let (dir, scenes) = tour_copy("broken");
    let before = std::fs::read_to_string(scenes.join("tour.ron")).expect("tour.ron");
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"scenes\": {\n    \"a\": {\"type\": \"equirectangular\" \"panorama\": \"x.png\"}\n  }\n}\n",
    )
    .expect("write");
    let e = import::pannellum::read(&bad, "x", &tour).unwrap_err();
    assert!(e.contains("bad.json:3:"), "the line of the mistake: {e}");
    let config = pannellum_source(&dir, false);
    let text =
        std::fs::read_to_string(&config).expect("config").replace("\"sceneId\": \"hall\"", "\"sceneId\": \"Hall\"");
    std::fs::write(&config, text).expect("write");
    let e = import::pannellum::read(&config, "x", &tour).unwrap_err();
    assert!(
        e.contains("scenes.gate.hotSpots[0].sceneId") && e.contains("`Hall`"),
        "Pannellum matches scene ids exactly: {e}"
    );
    std::fs::write(
        dir.join("kr.xml"),
        "<krpano>\n<scene name=\"a\">\n<image><sphere url=\"missing.jpg\"/></image>\n</scene>\n</krpano>\n",
    )
    .expect("write");
    let e = import::krpano::read(&dir.join("kr.xml"), "x", &tour).unwrap_err();
    assert!(e.contains("kr.xml:2") && e.contains("missing.jpg"), "{e}");
    // An id the tour has already: refused before anything is written.
    let ok = import::pannellum::read(&pannellum_source(&dir, false), "alpha", &tour).expect("reads");
    assert!(import::write(&scenes, ok).unwrap_err().contains("already has a site `alpha`"));
    assert_eq!(std::fs::read_to_string(scenes.join("tour.ron")).expect("tour.ron"), before, "tour.ron is as it was");
    assert!(!dir.join("assets/pano/x").exists() && !scenes.join("x.ron").exists());
}

/// Marzipano Tool's export: `data.js` and `tiles/ID/Z/F/Y/X.jpg`, levels counted from 0 with a
/// fallback-only stand-in first.
#[test]
fn a_marzipano_export_is_imported_in_radians_with_pitch_downward() {
    let (dir, scenes) = tour_copy("marzipano");
    let src = dir.join("marzipano");
    let colours = |f: char| match f {
        'f' => [200, 0, 0],
        'r' => [0, 200, 0],
        'b' => [0, 0, 200],
        'l' => [200, 200, 0],
        'u' => [250, 250, 250],
        _ => [20, 20, 20],
    };
    for id in ["0-entrance", "1-main-hall"] {
        for (z, size, tile) in [(0, 256, 256), (1, 512, 512), (2, 1024, 512)] {
            for f in "bdflru".chars() {
                let n = size / tile;
                for y in 0..n {
                    for x in 0..n {
                        solid(&src.join(format!("tiles/{id}/{z}/{f}/{y}/{x}.jpg")), tile, tile, colours(f));
                    }
                }
            }
        }
    }
    let data = json!({
        "scenes": [
            {
                "id": "0-entrance", "name": "Entrance",
                "levels": [{"tileSize": 256, "size": 256, "fallbackOnly": true}, {"tileSize": 512, "size": 512}, {"tileSize": 512, "size": 1024}],
                "faceSize": 1024,
                "initialViewParameters": {"yaw": 0.5, "pitch": 0.2, "fov": 1.0},
                "linkHotspots": [{"yaw": -1.5, "pitch": 0.1, "rotation": 0.7, "target": "1-main-hall"}],
                "infoHotspots": [{"yaw": 3.5, "pitch": -0.3, "title": "<b>Plaque</b>", "text": "Built in 1950."}]
            },
            {
                "id": "1-main-hall", "name": "Main hall",
                "levels": [{"tileSize": 256, "size": 256, "fallbackOnly": true}, {"tileSize": 512, "size": 512}, {"tileSize": 512, "size": 1024}],
                "faceSize": 1024,
                "initialViewParameters": {"yaw": 0, "pitch": 0, "fov": 1.5707963},
                "linkHotspots": [{"yaw": 3.0, "pitch": 0, "rotation": 0, "target": "0-entrance"}],
                "infoHotspots": []
            }
        ],
        "name": "Marzipano hall",
        "settings": {"mouseViewMode": "drag", "autorotateEnabled": true, "fullscreenButton": false, "viewControlButtons": false}
    });
    std::fs::write(
        src.join("data.js"),
        format!("var APP_DATA = {};\n", serde_json::to_string_pretty(&data).expect("json")),
    )
    .expect("write");
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    let report = import_into(&scenes, import::marzipano::read(&src, "marz", &tour).expect("reads"));
    assert_eq!((report.scenes, report.hotspots), (2, 3), "{report}");
    let site = site_of(&scenes, "marz");
    let entrance = &site.scenes[0];
    assert_eq!((entrance.id.as_str(), entrance.name.en.as_str()), ("entrance", "Entrance"));
    assert!(close(entrance.view.yaw, 0.5f64.to_degrees()), "radians to degrees: {:?}", entrance.view);
    assert!(close(entrance.view.pitch, -(0.2f64.to_degrees())), "Marzipano's pitch grows downward");
    let hfov = import::convert::hfov_from_vfov(1.0f64.to_degrees(), import::convert::REFERENCE_ASPECT);
    assert!(close(entrance.view.hfov, hfov), "a vertical field of view becomes horizontal");
    match &entrance.panorama {
        Panorama::Multires { levels, face_size, tile_size, .. } => {
            assert_eq!((*levels, *face_size, *tile_size), (2, 1024, 512))
        }
        other => panic!("{other:?}"),
    }
    assert!(dir.join("assets/pano/marz/entrance/2/f1_1.jpg").is_file(), "tiles re-laid into cloudhall's layout");
    let link = &entrance.hotspots[0];
    assert!(matches!(&link.kind, HotspotKind::Go { scene, .. } if scene == "main-hall"));
    assert!(close(link.yaw, (-1.5f64).to_degrees()) && close(link.pitch, -(0.1f64.to_degrees())));
    let info = &entrance.hotspots[1];
    assert!(close(info.yaw, import::convert::wrap(3.5f64.to_degrees())), "3.5 rad is past 180 degrees: wrapped");
    assert!(
        matches!(&info.kind, HotspotKind::Info { title, body, .. } if title.en == "Plaque" && body.en == "Built in 1950.")
    );
    let dropped = report.dropped.join("\n");
    assert!(
        dropped.contains("settings.autorotateEnabled") && dropped.contains("linkHotspots[0].rotation"),
        "{dropped}"
    );
    shows(&scenes, "marz", "entrance");
}

/// krpano: a sphere, six cube faces and a multires cube (levels largest first, tiles from 1),
/// hotspots by `linkedscene` and `loadscene()`, with scene names in another case.
#[test]
fn a_krpano_tour_is_imported_with_pitch_downward_and_tiles_from_one() {
    let (dir, scenes) = tour_copy("krpano");
    let src = dir.join("krpano");
    equirect(&src.join("panos/square.jpg"), 1024);
    for f in "lfrbud".chars() {
        solid(&src.join(format!("panos/hall_{f}.jpg")), 256, 256, [40, 90, 160]);
    }
    for (l, size) in [(1, 512), (2, 1024)] {
        for f in "lfrbud".chars() {
            let n = size / 512;
            for v in 1..=n {
                for h in 1..=n {
                    solid(
                        &src.join(format!("panos/tower.tiles/{f}/l{l}/{v}/l{l}_{f}_{v}_{h}.jpg")),
                        512,
                        512,
                        [120, 60, 30],
                    );
                }
            }
        }
    }
    let xml = r#"<krpano version="1.21" title="krpano hall">
  <include url="skin/vtourskin.xml" />
  <action name="startup">loadscene(get(scene[0].name), null, MERGE);</action>
  <scene name="scene_Square" title="Square" onstart="playsound(bg, 'a.mp3');">
    <view hlookat="200" vlookat="10" fovtype="VFOV" fov="60" fovmin="30" fovmax="100" vlookatmin="-50" vlookatmax="70" />
    <image><sphere url="panos/square.jpg" /></image>
    <hotspot name="to_hall" ath="-30" atv="-5" linkedscene="SCENE_HALL" linkedscene_lookat="90,10,90" />
    <hotspot name="web" ath="20" atv="0" tooltip="The museum" onclick="openurl('https://example.org/m',_blank);" />
    <hotspot name="fancy" ath="40" atv="0" onclick="tween(view.fov, 40); loadscene(scene_tower, null, MERGE);" />
  </scene>
  <scene name="scene_hall" title="Hall">
    <view hlookat="0" vlookat="0" fov="90" />
    <image><cube url="panos/hall_%s.jpg" /></image>
    <hotspot name="back" ath="170" atv="0" onclick="loadscene(Scene_Square, null, MERGE, BLEND(1));" />
  </scene>
  <scene name="scene_tower" title="Tower">
    <view hlookat="0" vlookat="0" fov="90" fovtype="HFOV" />
    <image type="CUBE" multires="true" tilesize="512">
      <level tiledimagewidth="1024" tiledimageheight="1024"><cube url="panos/tower.tiles/%s/l2/%v/l2_%s_%v_%h.jpg" /></level>
      <level tiledimagewidth="512" tiledimageheight="512"><cube url="panos/tower.tiles/%s/l1/%v/l1_%s_%v_%h.jpg" /></level>
    </image>
  </scene>
  <plugin name="gyro" url="plugins/gyro2.js" />
</krpano>
"#;
    std::fs::write(src.join("tour.xml"), xml).expect("write");
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    let report = import_into(&scenes, import::krpano::read(&src.join("tour.xml"), "kr", &tour).expect("reads"));
    assert_eq!((report.scenes, report.hotspots), (3, 4), "{report}");
    let site = site_of(&scenes, "kr");
    assert_eq!(site.name.en, "krpano hall");
    let square = site.scene("square").expect("square");
    assert!(close(square.view.yaw, -160.0), "hlookat 200 wraps to -160");
    assert!(close(square.view.pitch, -10.0), "vlookat grows downward");
    assert!(close(square.view.hfov, import::convert::krpano_hfov(60.0, "VFOV")));
    assert!(close(square.limits.min_pitch, -70.0) && close(square.limits.max_pitch, 50.0), "{:?}", square.limits);
    let to_hall = &square.hotspots[0];
    assert!(close(to_hall.yaw, -30.0) && close(to_hall.pitch, 5.0));
    match &to_hall.kind {
        HotspotKind::Go { scene, view: Some(v), .. } => {
            assert_eq!(scene, "hall", "krpano matches scene names without regard to case");
            assert!(close(v.yaw, 90.0) && close(v.pitch, -10.0));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&square.hotspots[1].kind, HotspotKind::Link { url, title } if url == "https://example.org/m" && title.en == "The museum")
    );
    assert!(matches!(&square.hotspots[2].kind, HotspotKind::Go { scene, .. } if scene == "tower"));
    let hall = site.scene("hall").expect("hall");
    assert!(matches!(&hall.panorama, Panorama::Cube(f, ..) if f == "pano/kr/hall/front.jpg"));
    let tower = site.scene("tower").expect("tower");
    match &tower.panorama {
        Panorama::Multires { levels, face_size, .. } => assert_eq!((*levels, *face_size), (2, 1024)),
        other => panic!("{other:?}"),
    }
    assert!(close(tower.view.hfov, 90.0), "HFOV is horizontal already");
    assert!(dir.join("assets/pano/kr/tower/2/d1_1.jpg").is_file(), "krpano's tile 2_2 is cloudhall's 1_1");
    let dropped = report.dropped.join("\n");
    for what in ["<include", "<action name=\"startup\">", "<plugin name=\"gyro\">", "onstart", "tween(view.fov, 40)"] {
        assert!(dropped.contains(what), "the report lists {what}:\n{dropped}");
    }
    shows(&scenes, "kr", "square");
    shows(&scenes, "kr", "tower");
}

/// Pannellum → cloudhall → Pannellum keeps every angle and hotspot.
#[test]
fn a_pannellum_tour_comes_back_out_as_it_went_in() {
    let (dir, scenes) = tour_copy("roundtrip");
    let config = pannellum_source(&dir, false);
    let (tour, _) = import::tour_file(&scenes).expect("tour");
    import_into(&scenes, import::pannellum::read(&config, "round", &tour).expect("reads"));
    let out = dir.join("out");
    let done = import::export::pannellum(&scenes, "round", &out, Lang::En).expect("exports");
    assert_eq!(done.scenes, 2);
    let original: Value = serde_json::from_str(&std::fs::read_to_string(&config).expect("config")).expect("json");
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).expect("config")).expect("json");
    assert_eq!(exported["default"]["firstScene"], "hall");
    let wrapped = |v: &Value| import::convert::wrap(v.as_f64().unwrap_or(0.0));
    for id in ["gate", "hall"] {
        let (a, b) = (&original["scenes"][id], &exported["scenes"][id]);
        assert_eq!(a["type"], b["type"], "{id}");
        assert!(close(wrapped(&a["yaw"]), wrapped(&b["yaw"])), "{id} yaw");
        for k in ["pitch", "hfov", "minPitch", "maxPitch", "minHfov", "maxHfov"] {
            if let Some(v) = a[k].as_f64() {
                assert!(close(v, b[k].as_f64().expect(k)), "{id}.{k}");
            }
        }
        // Every hotspot Pannellum can show again: same place, kind, target and text.
        let back: Vec<&Value> = b["hotSpots"].as_array().expect("spots").iter().collect();
        for h in a["hotSpots"].as_array().expect("spots") {
            let twin = back
                .iter()
                .find(|x| {
                    close(x["pitch"].as_f64().unwrap_or(99.0), h["pitch"].as_f64().unwrap_or(0.0))
                        && close(wrapped(&x["yaw"]), wrapped(&h["yaw"]))
                })
                .unwrap_or_else(|| panic!("{id}: hotspot {h} came back"));
            assert_eq!(twin["type"], h["type"]);
            for k in ["sceneId", "URL"] {
                assert_eq!(twin[k], h[k], "{id}: {k}");
            }
            if let Some(t) = h["targetYaw"].as_f64() {
                assert!(
                    close(twin["targetYaw"].as_f64().expect("targetYaw"), t)
                        && close(twin["targetPitch"].as_f64().expect("tp"), h["targetPitch"].as_f64().expect("tp"))
                );
            }
            if h["type"] == "info" && h.get("URL").is_none() {
                assert_eq!(
                    twin["text"].as_str(),
                    Some(import::convert::html_text(h["text"].as_str().expect("text")).0.as_str())
                );
            }
        }
    }
    assert!(
        out.join("gate/gate.png").is_file() && out.join("hall/front.png").is_file(),
        "the panoramas are beside the config"
    );
}
