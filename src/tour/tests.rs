//! Every validation rule, exercised on a copy of the small valid tour in tests/fixtures/good with
//! one edit, checking the message and that it points at the edited value.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of the good tour in a fresh folder, with `from` replaced by `to` in `file`; returns
/// the folder and the edited file's text.
fn edited(file: &str, from: &str, to: &str) -> (PathBuf, String) {
    edited_all(&[(file, from, to)])
}

fn edited_all(edits: &[(&str, &str, &str)]) -> (PathBuf, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cloudhall-tour-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let assets = fixtures().join("assets");
    let mut edited_src = String::new();
    for name in ["tour.ron", "alpha.ron", "beta.ron"] {
        let mut src = std::fs::read_to_string(fixtures().join("good").join(name)).expect("fixture");
        if name == "tour.ron" {
            src = src.replace("assets: \"../assets\"", &format!("assets: {:?}", assets.display().to_string()));
        }
        for (i, (file, from, to)) in edits.iter().enumerate() {
            if name == *file {
                assert!(src.contains(from), "fixture {name} has no `{from}`");
                src = src.replacen(from, to, 1);
                if i == 0 {
                    edited_src = src.clone();
                }
            }
        }
        std::fs::write(dir.join(name), src).expect("write");
    }
    (dir, edited_src)
}

/// Where `needle` starts in `src`, as a 1-based line and character column; a `|` in the needle
/// marks the position instead, for needles that need context to be unique.
fn pos_of(src: &str, needle: &str) -> (usize, usize) {
    let (prefix, rest) = needle.split_once('|').unwrap_or(("", needle));
    let whole = format!("{prefix}{rest}");
    let at = src.find(&whole).unwrap_or_else(|| panic!("`{whole}` not in source")) + prefix.len();
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn run(file: &str, from: &str, to: &str) -> (Vec<Diagnostic>, String) {
    let (dir, src) = edited(file, from, to);
    let loaded = load_with(&dir, AssetCheck::Full);
    let _ = std::fs::remove_dir_all(&dir);
    (sharp(loaded.diagnostics), src)
}

/// The diagnostics without the fixture's own blur warnings (its panoramas are small on purpose,
/// and `the_good_fixture_is_valid_and_counted` checks those warnings).
fn sharp(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.into_iter().filter(|d| !d.message.contains("it will look blurred")).collect()
}

/// Exactly one error, containing `message`, at the start of `at` in the edited file.
fn expect_error(file: &str, from: &str, to: &str, message: &str, at: &str) {
    let (diags, src) = run(file, from, to);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "expected one error for `{to}`, got: {errors:#?}");
    let d = errors[0];
    assert!(d.message.contains(message), "message `{}` lacks `{message}`", d.message);
    assert!(d.path.ends_with(file), "{} is not {file}", d.path.display());
    assert_eq!((d.line, d.col), pos_of(&src, at), "position of `{}`", d.message);
    assert!(d.hint.is_some(), "every error carries a hint");
}

#[test]
fn the_good_fixture_is_valid_and_counted() {
    let loaded = load_with(&fixtures().join("good"), AssetCheck::Full);
    // Its panoramas are small on purpose (tests decode them often): each use is warned of once.
    let blurred: Vec<String> =
        loaded.diagnostics.iter().map(|d| format!("{}:{} {}", d.line, d.col, d.message)).collect();
    assert_eq!(
        blurred,
        [
            "20:32 panorama `test-pano.jpg` is only 512x256: it will look blurred",
            "39:32 panorama `test-pano.png` is only 512x256: it will look blurred",
            "13:32 panorama `test-pano.jpg` is only 512x256: it will look blurred",
        ],
        "{:#?}",
        loaded.diagnostics
    );
    assert!(
        loaded.diagnostics.iter().all(|d| !d.is_error() && d.hint.as_deref().is_some_and(|h| h.contains("2048x1024")))
    );
    let tour = loaded.tour.expect("valid");
    assert_eq!(tour.sites.len(), 2);
    assert_eq!(tour.scene_count(), 3);
    assert_eq!(tour.hotspot_count(), 8);
    assert_eq!(tour.summary(), "2 sites, 3 scenes, 8 hotspots, 0 min of narration");
    let alpha = tour.site("alpha").expect("alpha");
    assert_eq!(alpha.start_scene_id(), Some("gate"));
    assert_eq!(alpha.scenes[1].limits, Limits::default());
    assert!(matches!(&alpha.scenes[1].hotspots[1].kind, HotspotKind::Go { site: Some(s), .. } if s == "beta"));
}

#[test]
fn files_saved_by_windows_editors_load() {
    let (dir, _) = edited("alpha.ron", "Site(", "Site(");
    for name in ["tour.ron", "alpha.ron", "beta.ron"] {
        let src = std::fs::read_to_string(dir.join(name)).expect("copy");
        let windows = format!("\u{feff}{}", src.replace('\n', "\r\n"));
        std::fs::write(dir.join(name), windows).expect("write");
    }
    let loaded = load_with(&dir, AssetCheck::Headers);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(loaded.errors().next().is_none(), "{:#?}", loaded.diagnostics);
    let tour = loaded.tour.expect("loads");
    assert_eq!(tour.title.zh, "测试展馆");
    // No carriage return survives into the text a visitor reads.
    assert_eq!(tour.site("alpha").expect("alpha").summary.en, "A hall for tests.");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let (diags, src) = run("alpha.ron", "id: \"gate\",", "id: \"gate\"");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].message.contains("comma") || diags[0].message.contains("Expected"), "{}", diags[0].message);
    // ron stops at the next field, the line after the missing comma.
    let (line, _) = pos_of(&src, "id: \"gate\"");
    assert_eq!(diags[0].line, line + 1);
}

#[test]
fn unknown_and_missing_fields() {
    let (d, src) = run("alpha.ron", "(id: \"to-hall\", yaw: 90.0", "(id: \"to-hall\", yaww: 90.0");
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("unknown field `yaww`"), "{}", d[0].message);
    assert_eq!(d[0].line, pos_of(&src, "yaww").0);
    assert!(d[0].hint.as_deref().unwrap_or("").contains("yaw"));

    let (d, _) = run("beta.ron", "            view: (yaw: 0.0, pitch: 0.0, hfov: 100.0),\n", "");
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("missing field `view`"), "{}", d[0].message);
}

#[test]
fn every_mistake_is_reported_in_one_run() {
    let (dir, _) = edited(
        "alpha.ron",
        "yaw: 90.0, pitch: 0.0, kind: Go(scene: \"hall\")",
        "yaw: 290.0, pitch: 0.0, kind: Go(scene: \"nowhere\")",
    );
    std::fs::write(
        dir.join("beta.ron"),
        std::fs::read_to_string(dir.join("beta.ron")).expect("beta").replace("hfov: 100.0", "hfov: 200.0"),
    )
    .expect("write");
    let loaded = load_with(&dir, AssetCheck::Headers);
    let msgs: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("yaw 290")));
    assert!(msgs.iter().any(|m| m.contains("`nowhere`")));
    assert!(msgs.iter().any(|m| m.contains("beta.ron") && m.contains("hfov 200")));
    assert!(loaded.tour.is_none());
}

/// An error containing `message` at the start of `at`, among others that follow from it.
fn expect_among(file: &str, from: &str, to: &str, message: &str, at: &str) {
    let (diags, src) = run(file, from, to);
    let d = diags
        .iter()
        .find(|d| d.is_error() && d.message.contains(message))
        .unwrap_or_else(|| panic!("no `{message}` in {diags:#?}"));
    assert_eq!((d.line, d.col), pos_of(&src, at), "position of `{}`", d.message);
}

#[test]
fn duplicate_ids() {
    // Renaming a scene also breaks the links to it; the duplicate is reported where it is.
    expect_among(
        "alpha.ron",
        "id: \"hall\",",
        "id: \"gate\",",
        "duplicate scene id `gate`",
        "\"gate\",\n            name: (zh: \"展厅\"",
    );
    // Renaming `to-hall` also leaves the subtitle cue that names it without a target.
    expect_among(
        "alpha.ron",
        "(id: \"to-hall\"",
        "(id: \"about\"",
        "duplicate hotspot id `about`",
        "\"about\", yaw: -90.0",
    );
    expect_error(
        "tour.ron",
        "sites: [\"alpha\", \"beta\"]",
        "sites: [\"alpha\", \"beta\", \"alpha\"]",
        "duplicate site id `alpha`",
        "\"alpha\"]",
    );
}

#[test]
fn go_targets_must_exist() {
    expect_error(
        "alpha.ron",
        "Go(scene: \"hall\")",
        "Go(scene: \"hal\")",
        "Go target scene `hal` does not exist in site `alpha`",
        "\"hal\"",
    );
    expect_error(
        "alpha.ron",
        "Go(site: \"beta\", scene: \"square\")",
        "Go(site: \"gamma\", scene: \"square\")",
        "Go target site `gamma` does not exist",
        "\"gamma\"",
    );
    expect_error(
        "alpha.ron",
        "Go(site: \"beta\", scene: \"square\")",
        "Go(site: \"beta\", scene: \"hall\")",
        "does not exist in site `beta`",
        "\"beta\", scene: |\"hall\")",
    );
    expect_error("alpha.ron", "Go(scene: \"hall\")", "Go(scene: \"gate\")", "leads to its own scene", "\"gate\")");
}

#[test]
fn unreachable_scenes_are_warnings() {
    let (dir, src) = edited_all(&[
        ("alpha.ron", "Go(scene: \"hall\")", "Info(title: (zh: \"甲\", en: \"A\"), body: (zh: \"乙\", en: \"B\"))"),
        ("beta.ron", "Go(site: \"alpha\", scene: \"hall\")", "Go(site: \"alpha\", scene: \"gate\")"),
    ]);
    let d = sharp(load_with(&dir, AssetCheck::Headers).diagnostics);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    let w: Vec<_> = d.iter().filter(|d| d.severity == Severity::Warning).collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].message.contains("no hotspot leads to scene `hall`"));
    assert_eq!((w[0].line, w[0].col), pos_of(&src, "\"hall\",\n"));
}

#[test]
fn assets_must_exist_and_decode() {
    expect_error(
        "alpha.ron",
        "Equirect(\"test-pano.png\")",
        "Equirect(\"missing.jpg\")",
        "panorama `missing.jpg` not found",
        "\"missing.jpg\"",
    );
    expect_error(
        "alpha.ron",
        "Equirect(\"test-pano.png\")",
        "Equirect(\"corrupt.jpg\")",
        "panorama `corrupt.jpg` is unreadable",
        "\"corrupt.jpg\"",
    );
    expect_error(
        "alpha.ron",
        "Equirect(\"test-pano.png\")",
        "Equirect(\"square.jpg\")",
        "is 64x64, not 2:1",
        "\"square.jpg\"",
    );
    expect_error(
        "alpha.ron",
        "audio: \"tone-3s.ogg\"",
        "audio: \"corrupt.ogg\"",
        "narration audio `corrupt.ogg` is unreadable",
        "\"corrupt.ogg\"",
    );
    expect_error(
        "alpha.ron",
        "image: \"plan.png\"",
        "image: \"plans/none.png\"",
        "floor plan `plans/none.png` not found",
        "\"plans/none.png\"",
    );
    expect_error(
        "alpha.ron",
        "Equirect(\"test-pano.png\")",
        "Equirect(\"../good/alpha.ron\")",
        "must be a relative path inside the assets folder",
        "\"../good",
    );
}

#[test]
fn narration_duration_must_match_the_audio() {
    expect_error(
        "alpha.ron",
        "duration: 3.0",
        "duration: 4.0",
        "narration duration 4 s disagrees with `tone-3s.ogg`, which lasts 3.00 s",
        "4.0",
    );
    // Within half a second is accepted.
    let (d, _) = run("alpha.ron", "duration: 3.0", "duration: 3.4");
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
}

#[test]
fn angles_in_range() {
    expect_error(
        "alpha.ron",
        "yaw: 90.0, pitch: 0.0, kind: Go",
        "yaw: 270.0, pitch: 0.0, kind: Go",
        "yaw 270 is outside -180..180",
        "270.0",
    );
    expect_error(
        "alpha.ron",
        "yaw: 90.0, pitch: 0.0, kind: Go",
        "yaw: -180.0, pitch: 0.0, kind: Go",
        "yaw -180 is outside",
        "-180.0",
    );
    expect_error(
        "beta.ron",
        "view: (yaw: 0.0, pitch: 0.0, hfov: 100.0)",
        "view: (yaw: 0.0, pitch: 95.0, hfov: 100.0)",
        "pitch 95 is outside -90..90",
        "95.0",
    );
    expect_error(
        "alpha.ron",
        "view: (yaw: 90.0, pitch: 0.0, hfov: 90.0)",
        "view: (yaw: 90.0, pitch: 0.0, hfov: 0.0)",
        "hfov 0 is outside 0..180",
        "0.0)))",
    );
    expect_error("alpha.ron", "lat: 42.24", "lat: 142.24", "latitude 142.24 is outside", "142.24");
    // 180 itself is a valid yaw.
    let (d, _) = run("alpha.ron", "yaw: 90.0, pitch: 0.0, kind: Go", "yaw: 180.0, pitch: 0.0, kind: Go");
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
}

#[test]
fn hfov_and_pitch_limits_must_agree() {
    expect_error(
        "alpha.ron",
        "min_hfov: 40.0, max_hfov: 120.0",
        "min_hfov: 100.0, max_hfov: 60.0",
        "min_hfov 100 is greater than max_hfov 60",
        "100.0",
    );
    expect_error(
        "alpha.ron",
        "min_hfov: 40.0, max_hfov: 120.0",
        "min_hfov: 95.0, max_hfov: 120.0",
        "initial hfov 90 is outside the scene's limits 95..120",
        "90.0),\n            limits",
    );
    expect_error(
        "alpha.ron",
        "min_pitch: -90.0, max_pitch: 90.0",
        "min_pitch: 30.0, max_pitch: -30.0",
        "min_pitch 30 is greater than max_pitch -30",
        "30.0, max_pitch",
    );
    expect_error(
        "alpha.ron",
        "min_pitch: -90.0, max_pitch: 90.0",
        "min_pitch: 10.0, max_pitch: 90.0",
        "initial pitch 0 is outside the scene's limits 10..90",
        "0.0, hfov: 90.0),\n            limits",
    );
}

#[test]
fn subtitle_cues_in_order_without_overlap_inside_the_audio() {
    expect_error("alpha.ron", "(start: 1.5, end: 2.9", "(start: 0.1, end: 0.15", "out of order", "0.1, end: 0.15");
    expect_error(
        "alpha.ron",
        "(start: 1.5, end: 2.9",
        "(start: 1.2, end: 2.9",
        "overlaps the previous cue, which ends at 1.4 s",
        "1.2, end",
    );
    expect_error(
        "alpha.ron",
        "(start: 1.5, end: 2.9",
        "(start: 1.5, end: 3.5",
        "past the end of the audio (3 s)",
        "3.5",
    );
    expect_error(
        "alpha.ron",
        "(start: 1.5, end: 2.9",
        "(start: 1.5, end: 1.5",
        "not after its start",
        "1.5, text: (zh: \"请进",
    );
}

#[test]
fn references_and_ids() {
    expect_error(
        "beta.ron",
        "category: \"revolutionary-memorial\"",
        "category: \"sport\"",
        "unknown category `sport`",
        "\"sport\"",
    );
    expect_error(
        "alpha.ron",
        "Memorial(Person(\"hero\"))",
        "Memorial(Person(\"villain\"))",
        "Memorial names unknown person `villain`",
        "\"villain\"",
    );
    expect_among(
        "alpha.ron",
        "(id: \"to-hall\"",
        "(id: \"To_Hall\"",
        "hotspot id `To_Hall` is not lowercase kebab-case",
        "\"To_Hall\"",
    );
    expect_error(
        "beta.ron",
        "id: \"beta\",",
        "id: \"gamma\",",
        "site id `gamma` does not match its file name `beta.ron`",
        "\"gamma\"",
    );
    expect_error(
        "tour.ron",
        "start_site: \"alpha\"",
        "start_site: \"omega\"",
        "start site `omega` is not in `sites`",
        "\"omega\"",
    );
    expect_error(
        "alpha.ron",
        "url: \"https://example.org/alpha\"",
        "url: \"example.org/alpha\"",
        "is not an http(s) URL",
        "\"example.org",
    );
    expect_error(
        "alpha.ron",
        "(scene: \"hall\", x: 0.75",
        "(scene: \"hall\", x: 1.75",
        "plan position x = 1.75 is outside 0..1",
        "1.75",
    );
    expect_error(
        "alpha.ron",
        "zh: \"欢迎。\"",
        "zh: \"\"",
        "a subtitle cue has no Chinese text",
        "\"\", en: \"Welcome.\"",
    );
}

#[test]
fn guided_tour_routes_and_cue_hotspots() {
    expect_error(
        "alpha.ron",
        "route: [\"gate\", \"hall\"]",
        "route: [\"gate\", \"lobby\"]",
        "route names unknown scene `lobby`",
        "\"lobby\"",
    );
    expect_error(
        "alpha.ron",
        "route: [\"gate\", \"hall\"]",
        "route: [\"gate\", \"gate\"]",
        "duplicate route entry id `gate`",
        "\"gate\"]",
    );
    expect_error("alpha.ron", "route: [\"gate\", \"hall\"]", "route: []", "the guided-tour route is empty", "[]");
    expect_error(
        "alpha.ron",
        "hotspot: \"to-hall\"",
        "hotspot: \"nowhere\"",
        "cue names unknown hotspot `nowhere`",
        "\"nowhere\"",
    );
    let tour = load_with(&fixtures().join("good"), AssetCheck::Headers).tour.expect("valid");
    assert_eq!(tour.site("alpha").expect("alpha").route_ids(), ["gate", "hall"]);
    assert_eq!(tour.site("beta").expect("beta").route_ids(), ["square"], "the scene order by default");
}

#[test]
fn an_info_clip_is_validated_like_narration() {
    let clip = "body: (zh: \"正文。\", en: \"Body.\"), audio: (audio: \"tone-3s.ogg\", duration: 3.0, cues: [(start: 0.0, end: 3.5, text: (zh: \"看\", en: \"Look\"))]))";
    expect_error("alpha.ron", "body: (zh: \"正文。\", en: \"Body.\"))", clip, "past the end of the audio", "3.5");
}

#[test]
fn the_cue_on_screen_at_a_time() {
    let cue = |start, end| Cue { start, end, text: Text::new("字", "word"), hotspot: None };
    let n =
        Narration { audio: "a.ogg".into(), duration: 10.0, cues: vec![cue(0.5, 2.0), cue(2.0, 4.0), cue(5.0, 9.0)] };
    assert_eq!(n.cue_at(0.0), None, "before the first cue");
    assert_eq!(n.cue_at(0.5), Some(0));
    assert_eq!(n.cue_at(1.99), Some(0));
    assert_eq!(n.cue_at(2.0), Some(1), "the next cue takes over at its start");
    assert_eq!(n.cue_at(4.5), None, "a gap between cues");
    assert_eq!(n.cue_at(8.9), Some(2));
    assert_eq!(n.cue_at(9.0), None, "after the last cue ends");
}

#[test]
fn floor_plan_north_offsets_and_the_map_outline() {
    expect_error(
        "alpha.ron",
        "(scene: \"gate\", x: 0.25, y: 0.5)",
        "(scene: \"gate\", x: 0.25, y: 0.5, north: 200.0)",
        "plan north offset 200 is outside -180..180",
        "200.0",
    );
    let (d, src) = run("beta.ron", "lat: 41.6, lon: 119.33", "lat: 39.6, lon: 119.33");
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    let w: Vec<_> = d.iter().filter(|d| d.severity == Severity::Warning).collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].message.contains("lies outside the map outline"));
    assert_eq!((w[0].line, w[0].col), pos_of(&src, "(lat: 39.6"));
    let tour = load_with(&fixtures().join("good"), AssetCheck::Headers).tour.expect("valid");
    assert_eq!(tour.site("alpha").and_then(|s| s.plan_position("hall")).map(|p| p.north), Some(0.0));
}

#[test]
fn a_missing_site_file_is_reported_in_the_tour_file() {
    expect_error(
        "tour.ron",
        "sites: [\"alpha\", \"beta\"]",
        "sites: [\"alpha\", \"beta\", \"gamma\"]",
        "site `gamma` has no file",
        "\"gamma\"",
    );
}

#[test]
fn kebab_case() {
    for ok in ["a", "main-hall", "hall-2", "liao-shangjing-site"] {
        assert!(validate::is_kebab(ok), "{ok}");
    }
    for bad in ["", "-a", "a-", "a--b", "Main", "a_b", "a b", "赤峰"] {
        assert!(!validate::is_kebab(bad), "{bad}");
    }
}

#[test]
fn text_picks_the_language() {
    let t = Text::new("赤峰", "Chifeng");
    assert_eq!(t.get(Lang::Zh), "赤峰");
    assert_eq!(t.get(Lang::En), "Chifeng");
    assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
    assert!("fr".parse::<Lang>().is_err());
}

#[test]
fn header_probe_agrees_with_full_decode() {
    let ogg = fixtures().join("assets/tone-3s.ogg");
    let full = assets::probe_ogg(&ogg, AssetCheck::Full).expect("decodes");
    let quick = assets::probe_ogg(&ogg, AssetCheck::Headers).expect("reads");
    assert!((full - 3.0).abs() < 0.01, "{full}");
    assert!((full - quick).abs() < 0.01, "{full} vs {quick}");
    assert_eq!(assets::probe_image(&fixtures().join("assets/test-pano.png"), AssetCheck::Headers), Ok((512, 256)));
}

#[test]
fn a_scene_without_a_description_is_warned_of_and_descriptions_are_bilingual() {
    let (d, src) = run(
        "beta.ron",
        r#" description: (zh: "一片铺石广场，正中立着纪念碑。", en: "A paved square with a monument in the middle."),"#,
        "",
    );
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    let w: Vec<_> = d.iter().filter(|d| d.message.contains("no description")).collect();
    assert_eq!(w.len(), 1, "{d:#?}");
    assert_eq!(w[0].message, "scene `square` has no description");
    assert_eq!((w[0].line, w[0].col), pos_of(&src, "\"square\""));
    assert!(w[0].hint.as_deref().is_some_and(|h| h.contains("screen readers")));

    expect_error(
        "alpha.ron",
        r#"kind: Go(scene: "hall")),"#,
        r#"kind: Go(scene: "hall"), description: (zh: "通往展厅的门", en: " ")),"#,
        "the hotspot description has no English text",
        "\" \")",
    );
    // A hotspot's description is kept, for the screen-reader layer.
    let (dir, _) = edited(
        "alpha.ron",
        r#"kind: Go(scene: "hall")),"#,
        r#"kind: Go(scene: "hall"), description: (zh: "通往展厅的门", en: "A door to the hall")),"#,
    );
    let tour = load_with(&dir, AssetCheck::Headers).tour.expect("valid");
    let _ = std::fs::remove_dir_all(&dir);
    let gate = tour.site("alpha").and_then(|s| s.scene("gate")).expect("gate");
    assert_eq!(gate.hotspots[0].description.as_ref().map(|t| t.en.as_str()), Some("A door to the hall"));
    assert_eq!(gate.description.as_ref().map(|t| t.zh.as_str()), Some("一座红色大门，门上挂着金字匾额。"));
}
