//! The studio's API through the router on a copy of the test tour (SQLite and PostgreSQL for
//! the hall's own records), and a child `cloudhall serve` stopped in the middle of a publish.
#![cfg(feature = "server")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use cloudhall::api::studio as api;
use cloudhall::server::guard::{Moderators, WordList};
use cloudhall::server::store::Store;
use cloudhall::server::studio::StudioConfig;
use cloudhall::server::{AppState, router};
use cloudhall::tour::{HotspotKind, Site};

mod pg;
use pg::postgres_url;

const ALICE: &str = "token-of-alice-1";
const BOB: &str = "token-of-bob-22";
const MODERATOR: &str = "moderator-secret-42";
const CURATORS: &str = "alice:token-of-alice-1, bob:token-of-bob-22";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder holding a copy of the test tour (`good/`) beside a copy of its assets.
fn copy_of_tour(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let root = std::env::temp_dir().join(format!(
        "cloudhall-studio-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["good", "assets"] {
        std::fs::create_dir_all(root.join(dir)).expect("dir");
        for e in std::fs::read_dir(repo().join("tests/fixtures").join(dir)).expect("fixtures").flatten() {
            std::fs::copy(e.path(), root.join(dir).join(e.file_name())).expect("copy");
        }
    }
    root
}

/// Every file of a folder with its bytes, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    out.sort();
    out
}

struct Studio {
    app: axum::Router,
    root: PathBuf,
}

impl Studio {
    async fn with(store: Store, upload_limit: u64) -> Studio {
        let root = copy_of_tour("api");
        let tour = cloudhall::tour::load(&root.join("good")).into_result().expect("good tour");
        let state: Arc<AppState> =
            AppState::new(tour, store, WordList::parse("spam"), Some(format!("moderator:{MODERATOR}"))).await;
        state
            .enable_studio(StudioConfig {
                tour_dir: root.join("good"),
                data_dir: root.join("data"),
                curators: Moderators::parse_for("curator", CURATORS).expect("curators"),
                upload_limit,
                web_dir: root.join("web"),
            })
            .expect("studio");
        Studio { app: router(state), root }
    }

    async fn sqlite() -> Studio {
        let db = copy_of_tour("db").join("test.db");
        Studio::with(Store::open_sqlite(&db).await.expect("db"), 64 * 1024 * 1024).await
    }

    async fn postgres() -> Studio {
        let store = Store::open(&postgres_url().await).await.expect("db");
        Studio::with(store, 64 * 1024 * 1024).await
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, Value) {
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let v =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, v)
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut r = Request::get(uri);
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.call(r.body(Body::empty()).expect("req")).await
    }

    async fn send(&self, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("req");
        self.call(req).await
    }

    async fn upload(&self, uri: &str, token: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let req = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(bytes))
            .expect("req");
        self.call(req).await
    }

    async fn tour(&self) -> Value {
        let (code, v) = self.get("/api/v1/tour", None).await;
        assert_eq!(code, StatusCode::OK);
        v
    }
}

fn site_ids(tour: &Value) -> Vec<String> {
    tour["sites"].as_array().expect("sites").iter().map(|s| s["id"].as_str().expect("id").to_string()).collect()
}

/// The fixture's site `alpha` under another id and name: two scenes with a Go each way.
fn new_site(id: &str) -> Site {
    let tour = cloudhall::tour::load(&repo().join("tests/fixtures/good")).into_result().expect("tour");
    let mut site = tour.site("alpha").expect("alpha").clone();
    site.id = id.into();
    site.name.zh = "丙馆".into();
    site.name.en = "Gamma Hall".into();
    site
}

/// A 2:1 JPEG as wide as `cloudhall tiles` takes at least.
fn panorama_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).expect("jpeg");
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// Without a curator's token nothing of the studio answers, and a moderator is not a curator.
#[tokio::test]
async fn only_curators_get_in() {
    let s = Studio::sqlite().await;
    for token in [None, Some("wrong-token-123"), Some(MODERATOR)] {
        let (code, v) = s.get(api::ME, token).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "{token:?}: {v}");
        assert!(v["error"].as_str().unwrap_or("").contains("curator token"), "{v}");
        let (code, _) = s.get(api::SITES, token).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
    }
    let (code, _) = s.send("POST", api::SITES, "wrong-token-123", json!({ "site": new_site("gamma") })).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, _) = s.upload(&format!("{}?site=gamma&scene=gate", api::PANORAMA), MODERATOR, png(4, 2)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    // Nothing was written for them.
    assert!(!s.root.join("data/studio/drafts").join("gamma.json").exists());
    let (code, v) = s.get(api::ME, Some(ALICE)).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["name"], "alice");
    // The moderation API does not take a curator's token either.
    let (code, _) = s.get("/api/v1/memorial/pending", Some(ALICE)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
}

/// A site drafted, published into the running hall, then taken back by restoring the version
/// before it; every step is in the log with the curator's name.
async fn drafted_published_restored(s: Studio) {
    assert_eq!(site_ids(&s.tour().await), ["alpha", "beta"]);
    let (code, v) = s.send("POST", api::SITES, ALICE, json!({ "site": new_site("gamma") })).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let rev = v["rev"].as_u64().expect("rev");
    // A draft is not public.
    assert_eq!(site_ids(&s.tour().await), ["alpha", "beta"]);
    let (code, v) = s.get(&api::site("gamma"), Some(BOB)).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["editing"]["draft"], true);
    assert_eq!(v["check"]["errors"], 0, "{v}");

    let (code, v) = s.send("POST", &format!("{}/publish", api::site("gamma")), ALICE, json!({ "rev": rev })).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["version"]["n"], 1);
    // The running server serves it at once, and the files on disk say the same.
    let tour = s.tour().await;
    assert_eq!(site_ids(&tour), ["alpha", "beta", "gamma"]);
    assert_eq!(tour["sites"][2]["name"]["en"], "Gamma Hall");
    assert!(std::fs::read_to_string(s.root.join("good/tour.ron")).expect("tour.ron").contains("\"gamma\""));
    assert!(s.root.join("good/gamma.ron").is_file());
    let (code, v) = s.get(api::VERSIONS, Some(ALICE)).await;
    assert_eq!(code, StatusCode::OK);
    let versions: Vec<u64> =
        v["versions"].as_array().expect("list").iter().map(|v| v["n"].as_u64().expect("n")).collect();
    assert!(versions.contains(&0) && versions.contains(&1), "{v}");

    let (code, v) = s.send("POST", &format!("{}/0/restore", api::VERSIONS), BOB, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(site_ids(&s.tour().await), ["alpha", "beta"]);
    assert!(!s.root.join("good/gamma.ron").exists(), "the restored tour has no file of the new site");
    assert_eq!(
        snapshot(&s.root.join("good")),
        snapshot(&repo().join("tests/fixtures/good")),
        "version 0 is the tour as it was, byte for byte"
    );

    let (_, v) = s.get(api::LOG, Some(ALICE)).await;
    let log = v["log"].as_array().expect("log");
    let said = |by: &str, action: &str| log.iter().any(|e| e["by"] == by && e["action"] == action);
    assert!(said("alice", "saved") && said("alice", "published") && said("bob", "restored"), "{v}");
    assert!(log.iter().all(|e| e["at"].as_u64().unwrap_or(0) > 1_700_000_000), "{v}");
}

#[tokio::test]
async fn drafted_published_restored_sqlite() {
    drafted_published_restored(Studio::sqlite().await).await;
}

#[tokio::test]
async fn drafted_published_restored_postgres() {
    drafted_published_restored(Studio::postgres().await).await;
}

/// The second of two curators who started from the same revision is told who changed what,
/// and their change is not written over the first's.
#[tokio::test]
async fn two_curators_never_overwrite_each_other() {
    let s = Studio::sqlite().await;
    let (_, v) = s.get(&api::site("alpha"), Some(ALICE)).await;
    let rev = v["editing"]["rev"].as_u64().expect("rev");
    let mut theirs: Site = serde_json::from_value(v["editing"]["site"].clone()).expect("site");
    let mut mine = theirs.clone();
    theirs.scenes[0].name.en = "Front gate".into();
    mine.summary.en = "Bob's summary".into();
    let (code, v) = s.send("PUT", &api::site("alpha"), ALICE, json!({ "rev": rev, "site": theirs })).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let alice_rev = v["rev"].as_u64().expect("rev");
    let (code, v) = s.send("PUT", &api::site("alpha"), BOB, json!({ "rev": rev, "site": mine })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{v}");
    let c: api::Conflict = serde_json::from_value(v).expect("conflict body");
    assert_eq!(c.by, "alice");
    assert!(c.error.contains("alice saved this site"), "{}", c.error);
    assert!(c.changed.iter().any(|w| w.contains("gate")), "{:?}", c.changed);
    // Alice's draft is intact.
    let (_, v) = s.get(&api::site("alpha"), Some(BOB)).await;
    assert_eq!(v["editing"]["site"]["scenes"][0]["name"]["en"], "Front gate");
    assert_eq!(v["editing"]["site"]["summary"]["en"], "A hall for tests.");

    // Both press publish on the same revision: one version is made, the other is told.
    let publish =
        |t: &'static str| s.send("POST", "/api/v1/studio/sites/alpha/publish", t, json!({ "rev": alice_rev }));
    let (first, v1) = publish(ALICE).await;
    assert_eq!(first, StatusCode::OK, "{v1}");
    let (second, v2) = publish(BOB).await;
    assert_eq!(second, StatusCode::CONFLICT, "{v2}");
    assert!(v2["error"].as_str().unwrap_or("").contains("alice"), "{v2}");
    let (_, v) = s.get(api::VERSIONS, Some(ALICE)).await;
    assert_eq!(v["versions"].as_array().expect("list").len(), 2, "version 0 and alice's: {v}");
    assert_eq!(s.tour().await["sites"][0]["scenes"][0]["name"]["en"], "Front gate");
}

/// A Go hotspot to a scene that does not exist is shown at its field while editing, and
/// publishing is refused with the tour's files untouched.
#[tokio::test]
async fn a_go_pointing_nowhere_is_not_published() {
    let s = Studio::sqlite().await;
    let before = snapshot(&s.root.join("good"));
    let mut site = new_site("gamma");
    site.scenes[0].hotspots[0].kind = HotspotKind::Go { scene: "nowhere".into(), site: None, view: None };
    let (code, v) = s.send("POST", api::SITES, ALICE, json!({ "site": site })).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (_, v) = s.get(&api::site("gamma"), Some(ALICE)).await;
    let items = v["check"]["items"].as_array().expect("items");
    let go = items.iter().find(|i| i["message"].as_str().unwrap_or("").contains("nowhere")).expect("the dangling Go");
    assert_eq!(go["severity"], "error");
    assert_eq!(go["field"], "scenes.0.hotspots.0.kind.scene", "{go}");
    assert!(go["line"].as_u64().unwrap_or(0) > 0 && go["file"] == "gamma.ron", "{go}");

    let (code, v) = s.send("POST", &format!("{}/publish", api::site("gamma")), ALICE, json!({ "rev": 1 })).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("1 error"), "{v}");
    assert_eq!(snapshot(&s.root.join("good")), before);
    assert_eq!(site_ids(&s.tour().await), ["alpha", "beta"]);
}

/// Bad uploads are refused with `cloudhall tiles`'s own words about the curator's file, and
/// leave nothing behind; a good one is tiled in the background into a complete pyramid.
#[tokio::test]
async fn uploads_are_checked_before_anything_is_kept() {
    let s = Studio::sqlite().await;
    let corrupt = std::fs::read(repo().join("tests/fixtures/assets/corrupt.jpg")).expect("fixture");
    let (code, v) = s.upload(&format!("{}?site=gamma&scene=gate&name=photo.jpg", api::PANORAMA), ALICE, corrupt).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let said = v["error"].as_str().expect("error").to_string();
    let tiles_says =
        cloudhall::tiles::check_input(&repo().join("tests/fixtures/assets/corrupt.jpg")).expect_err("corrupt");
    assert_eq!(
        said,
        tiles_says.replace(&repo().join("tests/fixtures/assets/corrupt.jpg").display().to_string(), "photo.jpg")
    );
    assert!(said.starts_with("photo.jpg is truncated"), "{said}");
    let (code, v) = s
        .upload(&format!("{}?site=gamma&scene=gate&name=notes.jpg", api::PANORAMA), ALICE, b"not a photo".to_vec())
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "notes.jpg is not a JPEG or PNG image");

    let (code, v) =
        s.upload(&format!("{}?site=gamma&scene=gate&name=wide.png", api::PANORAMA), ALICE, png(3000, 1000)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap_or("").starts_with("wide.png is 3000x1000, not 2:1"), "{v}");

    // Too large (a JPEG whose header claims 30000x15000): the same words as the command line's.
    let mut huge = panorama_jpeg(64, 32);
    let sof = huge.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a baseline JPEG has SOF0");
    huge[sof + 5..sof + 7].copy_from_slice(&15000u16.to_be_bytes());
    huge[sof + 7..sof + 9].copy_from_slice(&30000u16.to_be_bytes());
    let (code, v) = s.upload(&format!("{}?site=gamma&scene=gate&name=huge.jpg", api::PANORAMA), ALICE, huge).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"].as_str().unwrap_or("").starts_with("huge.jpg is 30000x15000, larger than the 24576x12288"),
        "{v}"
    );

    let (code, v) = s.upload(&format!("{}?site=../x&scene=gate", api::PANORAMA), ALICE, png(4, 2)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{v}");

    let (code, v) = s
        .upload(&format!("{}?site=gamma&scene=gate&name=p.jpg", api::PANORAMA), ALICE, panorama_jpeg(2048, 1024))
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{v}");
    let job = v["job"].as_str().expect("job").to_string();
    let mut last = Value::Null;
    for _ in 0..600 {
        let (code, v) = s.get(&format!("{}/{job}", api::JOBS), Some(ALICE)).await;
        assert_eq!(code, StatusCode::OK);
        last = v;
        if last["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["state"], "done", "{last}");
    assert_eq!(last["done"], last["total"]);
    let text = last["panorama"].to_string();
    let path = text.split('"').find(|p| p.starts_with("pano/studio/gamma/gate-")).expect("the pyramid's path");
    let dir = s.root.join("assets").join(path.split("/%l").next().expect("folder"));
    // Every tile of the job is on disk, and its level folders with them.
    let tiles = walk(&dir).into_iter().filter(|p| p.ends_with(".jpg") && !p.ends_with("preview.jpg")).count() as u64;
    assert_eq!(tiles, last["total"].as_u64().expect("total"), "{}", dir.display());
    // Only the finished pyramid is in the assets: no upload left over.
    let leftovers: Vec<_> =
        walk(&s.root.join("assets")).into_iter().filter(|p| p.contains("upload") || p.ends_with(".partial")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Floor plans and narration.
    let (code, v) = s.upload(&format!("{}?site=gamma", api::PLAN), ALICE, png(40, 30)).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(40), Some(30)));
    assert!(s.root.join("assets").join(v["image"].as_str().expect("image")).is_file());
    let (code, v) = s.upload(&format!("{}?site=gamma", api::PLAN), ALICE, b"not an image".to_vec()).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// An upload over the server's limit is refused (413) before it is stored.
#[tokio::test]
async fn an_upload_over_the_limit_is_refused_before_it_is_stored() {
    let s = Studio::with(Store::open_sqlite(&copy_of_tour("db").join("t.db")).await.expect("db"), 100_000).await;
    let (code, v) = s
        .upload(&format!("{}?site=gamma&scene=gate&name=big.jpg", api::PANORAMA), ALICE, panorama_jpeg(2048, 1024))
        .await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("upload limit of 0.1 MB"), "{v}");
    let kept: Vec<_> =
        walk(&s.root.join("data")).into_iter().filter(|p| !p.ends_with(".json") && !p.ends_with(".jsonl")).collect();
    assert!(kept.is_empty(), "nothing of the upload is kept: {kept:?}");
    assert!(!s.root.join("assets/pano/studio").exists());
}

/// Narration in a common format is converted to Ogg Vorbis, with its pauses found.
#[tokio::test]
async fn narration_is_converted_and_its_pauses_found() {
    let s = Studio::sqlite().await;
    // A WAV: a tone, a second of silence, a tone.
    let rate = 16000u32;
    let mut samples: Vec<i16> = Vec::new();
    for (on, secs) in [(true, 1.0), (false, 1.0), (true, 1.5)] {
        for i in 0..(rate as f64 * secs) as usize {
            let t = i as f64 / rate as f64;
            samples.push(if on { ((t * 330.0 * std::f64::consts::TAU).sin() * 12000.0) as i16 } else { 0 });
        }
    }
    let mut wav = Vec::new();
    let data_len = (samples.len() * 2) as u32;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    let (code, v) = s.upload(&format!("{}?site=gamma&scene=gate", api::AUDIO), ALICE, wav).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let a: api::Audio = serde_json::from_value(v).expect("audio");
    assert!((a.duration - 3.5).abs() < 0.1, "{}", a.duration);
    assert_eq!(a.speech.len(), 2, "{:?}", a.speech);
    assert!((a.speech[1].0 - 2.0).abs() < 0.1, "{:?}", a.speech);
    let ogg = std::fs::read(s.root.join("assets").join(&a.audio)).expect("converted file");
    assert!(ogg.starts_with(b"OggS"), "Ogg");
    let (code, v) =
        s.send("POST", api::TIMING, ALICE, json!({ "lines": 2, "speech": a.speech, "duration": a.duration })).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["times"].as_array().expect("times").len(), 2);
    let (code, v) =
        s.upload(&format!("{}?site=gamma&scene=gate", api::AUDIO), ALICE, b"not audio at all".to_vec()).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

/// `cloudhall serve` stopped at each step of a publish: after a restart the hall is all the old
/// tour (stopped before the commit point) or all the new one (after it), never a mix.
#[test]
fn a_server_killed_while_publishing_comes_back_whole() {
    for (step, published) in [("staged", false), ("first-file", true)] {
        killed_while_publishing(step, published);
    }
}

fn killed_while_publishing(step: &str, published: bool) {
    use std::process::{Command, Stdio};
    let root = copy_of_tour("kill");
    let before = snapshot(&root.join("good"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let start = |kill_at: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudhall"));
        cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--tour"])
            .arg(root.join("good"))
            .arg("--data")
            .arg(root.join("data"))
            .env("CLOUDHALL_CURATOR_TOKENS", CURATORS)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(k) = kill_at {
            cmd.env("CLOUDHALL_STUDIO_KILL_AT", k);
        }
        let child = cmd.spawn().expect("spawn");
        for _ in 0..300 {
            if ureq::get(&format!("{base}/health")).call().is_ok() {
                return child;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the server did not come up");
    };
    let auth = format!("Bearer {ALICE}");
    let mut child = start(Some(step));
    // A new site and a change to an existing one: the publish writes two files and tour.ron.
    let created = ureq::post(&format!("{base}{}", api::SITES))
        .set("Authorization", &auth)
        .send_json(json!({ "site": new_site("gamma") }))
        .expect("create");
    let rev = created.into_json::<Value>().expect("json")["rev"].as_u64().expect("rev");
    let answer = ureq::post(&format!("{base}{}/publish", api::site("gamma")))
        .set("Authorization", &auth)
        .send_json(json!({ "rev": rev }));
    assert!(answer.is_err(), "the server stopped before answering");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "it was stopped at `{step}`");

    let mut child = start(None);
    let tour: Value = ureq::get(&format!("{base}/api/v1/tour")).call().expect("tour").into_json().expect("json");
    let ids = site_ids(&tour);
    let files = snapshot(&root.join("good"));
    if published {
        assert_eq!(ids, ["alpha", "beta", "gamma"], "after `{step}` the publish is finished");
        assert!(files.iter().any(|(n, _)| n == "gamma.ron"));
        let versions: Value = ureq::get(&format!("{base}{}", api::VERSIONS))
            .set("Authorization", &auth)
            .call()
            .expect("versions")
            .into_json()
            .expect("json");
        assert!(versions["versions"].as_array().expect("list").iter().any(|v| v["n"] == 1), "{versions}");
    } else {
        assert_eq!(ids, ["alpha", "beta"], "before the commit point the old tour stands");
        assert_eq!(files, before, "byte for byte");
        // The draft is still there to publish again.
        let again = ureq::post(&format!("{base}{}/publish", api::site("gamma")))
            .set("Authorization", &auth)
            .send_json(json!({ "rev": rev }))
            .expect("publish after restart");
        assert_eq!(again.status(), 200);
        let tour: Value = ureq::get(&format!("{base}/api/v1/tour")).call().expect("tour").into_json().expect("json");
        assert_eq!(site_ids(&tour), ["alpha", "beta", "gamma"]);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Two servers on the same tour and data folders (as behind a load balancer): what one
/// publishes, the other serves within seconds, and their saves take turns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_serves_what_the_first_published() {
    let a = Studio::sqlite().await;
    let tour = cloudhall::tour::load(&a.root.join("good")).into_result().expect("tour");
    let db = copy_of_tour("db2").join("b.db");
    let b_state: Arc<AppState> = AppState::new(
        tour,
        Store::open_sqlite(&db).await.expect("db"),
        WordList::parse("spam"),
        Some(format!("moderator:{MODERATOR}")),
    )
    .await;
    b_state
        .enable_studio(StudioConfig {
            tour_dir: a.root.join("good"),
            data_dir: a.root.join("data"),
            curators: Moderators::parse_for("curator", CURATORS).expect("curators"),
            upload_limit: 1 << 20,
            web_dir: a.root.join("web"),
        })
        .expect("studio");
    cloudhall::server::studio::follow_publishes(b_state.clone());
    let b = Studio { app: router(b_state), root: a.root.clone() };

    let (code, v) = a.send("POST", api::SITES, ALICE, json!({ "site": new_site("gamma") })).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    // The draft made on one instance is the one the other sees and guards.
    let (code, v) = b.send("PUT", &api::site("gamma"), BOB, json!({ "rev": 0, "site": new_site("gamma") })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{v}");
    let (code, v) = a.send("POST", &format!("{}/publish", api::site("gamma")), ALICE, json!({ "rev": 1 })).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids = site_ids(&b.tour().await);
        if ids.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ids, ["alpha", "beta", "gamma"], "the second instance serves the publish");
}

/// Tokens cannot be guessed by trying: after ten wrong ones from an address, every sign-in
/// from it waits (429), the right token too; moderators' and curators' alike.
#[tokio::test]
async fn wrong_tokens_are_throttled() {
    let s = Studio::sqlite().await;
    for i in 0..10 {
        let (code, _) = s.get(api::ME, Some(&format!("guess-{i:04}"))).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let (code, v) = s.get(api::ME, Some("guess-9999")).await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let (code, _) = s.get(api::ME, Some(ALICE)).await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "the right token waits too");
    let (code, _) = s.get("/api/v1/memorial/pending", Some(MODERATOR)).await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "the moderators' sign-in shares the count");
}
