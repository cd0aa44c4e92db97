//! `cloudhall check` on the bundled tour and on each broken tour under tests/fixtures/bad.

use std::path::Path;
use std::process::Command;

fn check(dir: &str, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudhall"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .arg(dir)
        .args(extra)
        .output()
        .expect("run cloudhall");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_bundled_tour_is_valid() {
    let (code, stdout, stderr) = check("scenes", &[]);
    assert_eq!(code, 0, "{stderr}");
    let summary = stdout.trim();
    assert!(summary.starts_with("18 sites, "), "{summary}");
    assert!(summary.ends_with(" min of narration"), "{summary}");
    assert!(!stderr.contains("error"), "{stderr}");
    // Nothing to warn of either: multires previews are small on purpose and are not called blurred.
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn json_output_carries_the_whole_tour() {
    let (code, stdout, _) = check("scenes", &["--format", "json", "--quick"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let sites = v["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 18);
    assert_eq!(v["totals"]["sites"], 18);
    for site in sites {
        let scenes = site["scenes"].as_array().expect("scenes");
        assert_eq!(site["route"].as_array().map(Vec::len), Some(scenes.len()), "{}: a guided-tour route", site["id"]);
        assert!(scenes.len() >= 2, "{} has {} scenes", site["id"], scenes.len());
        for scene in scenes {
            let n = &scene["narration"];
            let d = n["duration"].as_f64().expect("duration");
            assert!((30.0..=90.0).contains(&d), "{}/{}: {d} s", site["id"], scene["id"]);
            assert!(n["cue_count"].as_u64().expect("cue count") >= 3);
            let turns = n["cues"].as_array().expect("cues").iter().filter(|c| c["hotspot"].is_string()).count();
            assert!(turns >= 1, "{}/{}: a cue turns the guided tour toward a hotspot", site["id"], scene["id"]);
            let kinds: Vec<&str> = scene["hotspots"]
                .as_array()
                .expect("hotspots")
                .iter()
                .filter_map(|h| h["kind"].as_object())
                .flat_map(|k| k.keys().map(String::as_str))
                .collect();
            assert!(kinds.contains(&"Info"), "{}/{}: an Info board in every scene", site["id"], scene["id"]);
            assert!(kinds.contains(&"Go"), "{}/{}: scenes are joined by Go hotspots", site["id"], scene["id"]);
        }
    }
}

#[test]
fn json_output_lists_errors() {
    let (code, stdout, _) = check("tests/fixtures/bad/yaw-out-of-range", &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    // The fixture's three 512x256 panoramas are warned of as blurred.
    assert_eq!(v["warnings"], 3);
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    let error = diags.iter().find(|d| d["severity"] == "error").expect("the error");
    assert_eq!(error["line"], 32);
    assert_eq!(error["col"], 38);
    assert!(
        diags
            .iter()
            .filter(|d| d["severity"] == "warning")
            .all(|d| d["message"].as_str().unwrap_or("").contains("blurred"))
    );
}

/// Each broken tour: the one error `check` must report, as `file:line:col: error: message`.
const BAD: &[(&str, &str, &str)] = &[
    ("audio-corrupt", "alpha.ron:24:24", "narration audio `corrupt.ogg` is unreadable"),
    ("cue-out-of-order", "alpha.ron:28:29", "cue at 0.1 s comes after the cue at 0.2 s: cues are out of order"),
    ("cue-overlap", "alpha.ron:28:29", "cue starting at 1.2 s overlaps the previous cue, which ends at 1.4 s"),
    ("cue-past-end", "alpha.ron:28:39", "cue ends at 3.5 s, past the end of the audio (3 s)"),
    ("cue-unknown-hotspot", "alpha.ron:28:95", "cue names unknown hotspot `to-hal`"),
    ("duplicate-hotspot-id", "alpha.ron:33:22", "duplicate hotspot id `about`"),
    (
        "duration-mismatch",
        "alpha.ron:25:27",
        "narration duration 5.5 s disagrees with `tone-3s.ogg`, which lasts 3.00 s",
    ),
    ("go-scene-missing", "alpha.ron:32:72", "Go target scene `hal` does not exist in site `alpha`"),
    ("go-site-missing", "alpha.ron:43:72", "Go target site `gamma` does not exist"),
    ("hfov-limits-contradict", "alpha.ron:22:32", "min_hfov 100 is greater than max_hfov 60"),
    ("hfov-outside-limits", "alpha.ron:21:48", "initial hfov 90 is outside the scene's limits 95..120"),
    ("memorial-unknown-person", "alpha.ron:44:79", "Memorial names unknown person `villain`"),
    ("missing-field", "beta.ron:18:9", "missing field `view` in `Scene`"),
    ("not-utf8", "alpha.ron:3:17", "the file is not UTF-8 text: byte 39 (0xBC)"),
    ("panorama-corrupt", "alpha.ron:39:32", "panorama `corrupt.jpg` is unreadable: does not decode"),
    ("panorama-missing", "alpha.ron:39:32", "panorama `pano/hall.jpg` not found"),
    ("panorama-not-2-to-1", "beta.ron:13:32", "panorama `square.jpg` is 64x64, not 2:1"),
    ("pitch-out-of-range", "beta.ron:14:37", "pitch -95 is outside -90..90"),
    ("route-unknown-scene", "alpha.ron:49:21", "route names unknown scene `hal`"),
    ("site-file-missing", "tour.ron:8:30", "site `gamma` has no file"),
    ("string-unterminated", "alpha.ron:4:34", "this string has no closing quote"),
    ("syntax-missing-comma", "alpha.ron:19:13", "Expected comma"),
    ("unknown-category", "beta.ron:5:15", "unknown category `sport`"),
    ("unknown-field", "alpha.ron:32:33", "unknown field `yaww` in `Hotspot`"),
    ("yaw-out-of-range", "alpha.ron:32:38", "yaw 270 is outside -180..180"),
];

#[test]
fn each_bad_fixture_names_its_mistake() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let listed: Vec<&str> = BAD.iter().map(|(d, _, _)| *d).collect();
    assert_eq!(dirs, listed, "every fixture folder has an expectation, and every expectation a folder");
    assert!(dirs.len() >= 12);

    for (dir, at, message) in BAD {
        let path = format!("tests/fixtures/bad/{dir}");
        let (code, stdout, stderr) = check(&path, &[]);
        assert_eq!(code, 1, "{dir}: exit code; stdout: {stdout}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
        assert_eq!(errors.len(), 1, "{dir}: one mistake, one error:\n{stderr}");
        let expected = format!("{path}/{at}: error: {message}");
        assert!(errors[0].starts_with(&expected), "{dir}:\n  got      {}\n  expected {expected}", errors[0]);
        let after = stderr.lines().skip_while(|l| !l.contains(": error: ")).nth(1).unwrap_or("");
        assert!(after.starts_with("  hint: "), "{dir}: a hint follows the error:\n{stderr}");
        assert!(stderr.contains("1 error in"), "{dir}: a count closes the report");
    }
}
