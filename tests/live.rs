//! Live guided sessions with real WebSocket clients against a real server: the whole exchange,
//! late joins and reconnects, a stalled client, limits and bad messages, and two server processes
//! sharing sessions through PostgreSQL.
//!
//! PostgreSQL comes from `CLOUDHALL_TEST_POSTGRES_URL` (a role that may create databases), which
//! `make test` sets.
#![cfg(feature = "server")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use cloudhall::server::guard::WordList;
use cloudhall::server::live::LiveConfig;
use cloudhall::server::store::Store;
use cloudhall::server::{AppState, router};

mod pg;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "cloudhall-live-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A server on a free port of 127.0.0.1 with live sessions set up by `cfg`.
async fn start(cfg: LiveConfig) -> (SocketAddr, Arc<AppState>) {
    start_with(Store::open_sqlite(&temp_dir("db").join("test.db")).await.expect("db"), cfg).await
}

/// A server on a free port sharing live sessions through the PostgreSQL database at `url`.
async fn start_on(url: &str, cfg: LiveConfig) -> (SocketAddr, Arc<AppState>) {
    start_with(Store::open(url).await.expect("db"), cfg).await
}

async fn start_with(store: Store, cfg: LiveConfig) -> (SocketAddr, Arc<AppState>) {
    let tour = cloudhall::tour::load(&fixture("good")).into_result().expect("good tour");
    let state = AppState::with_live(tour, store, WordList::parse("spam\n广告"), None, cfg).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, state)
}

/// A TCP relay to PostgreSQL that can be cut: while cut, the connections through it are
/// dropped and new ones refused, as a network that lost the way would.
struct Relay {
    port: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    async fn to(url: &str) -> Relay {
        let target = url.split('@').nth(1).and_then(|h| h.split('/').next()).expect("host:port").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                if !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let (target, flag) = (target.clone(), flag.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else { return };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while flag.load(std::sync::atomic::Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Relay { port, open }
    }

    /// The database URL through the relay.
    fn url(&self, url: &str) -> String {
        let (user, rest) = url.split_once('@').expect("url with a user");
        let db = rest.split_once('/').map_or("", |(_, d)| d);
        format!("{user}@127.0.0.1:{}/{db}", self.port)
    }

    fn set(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A minimal HTTP/1.1 request: the status and the JSON body.
async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, Value) {
    let (code, body) = http_text(addr, method, path).await;
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn http_text(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let code = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (code, out.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

/// `POST /api/v1/sessions`: the code and the teacher's token.
async fn create(addr: SocketAddr) -> (String, String) {
    let (code, v) = http(addr, "POST", "/api/v1/sessions").await;
    assert_eq!(code, 201, "{v}");
    (v["code"].as_str().expect("code").to_string(), v["teacher_token"].as_str().expect("token").to_string())
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Client {
    ws: Ws,
}

const WAIT: Duration = Duration::from_secs(10);

impl Client {
    async fn connect(addr: SocketAddr, code: &str) -> Client {
        let url = format!("ws://{addr}/api/v1/sessions/{code}/ws");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        Client { ws }
    }

    async fn teacher(addr: SocketAddr, code: &str, token: &str) -> (Client, Value) {
        let mut c = Client::connect(addr, code).await;
        c.send(json!({"v": 1, "type": "claim", "token": token})).await;
        let w = c.expect("welcome").await;
        assert_eq!(w["role"], "teacher");
        (c, w)
    }

    async fn student(addr: SocketAddr, code: &str, name: &str) -> (Client, Value) {
        let mut c = Client::connect(addr, code).await;
        c.send(json!({"v": 1, "type": "join", "name": name})).await;
        let w = c.expect("welcome").await;
        assert_eq!(w["role"], "student");
        (c, w)
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.expect("send");
    }

    async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next message (pings are answered on the way), or None when the connection closed.
    async fn next(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("json from the server");
                    assert_eq!(v["v"], 1, "every message carries the version: {v}");
                    return Some(v);
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(_))) => continue,
                Err(_) => panic!("nothing arrived within {within:?}"),
            }
        }
    }

    /// Skip messages until one of `kind` arrives.
    async fn expect(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(v) if v["type"] == kind => return v,
                Some(_) => continue,
                None => panic!("the connection closed while waiting for `{kind}`"),
            }
        }
    }

    /// The connection closes (after any messages still on the way).
    async fn expect_closed(&mut self) {
        let deadline = Instant::now() + WAIT;
        while self.next(deadline.saturating_duration_since(Instant::now())).await.is_some() {}
    }
}

/// The teacher's view of one student, waiting until `check` holds.
async fn roster_until(teacher: &mut Client, check: impl Fn(&Value) -> bool) -> Value {
    loop {
        let m = teacher.expect("student").await;
        if check(&m["student"]) {
            return m["student"].clone();
        }
    }
}

fn quick() -> LiveConfig {
    LiveConfig { tick: Duration::from_millis(100), ..LiveConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_exchange_from_claim_to_end() {
    let (addr, _) = start(quick()).await;
    let (code, token) = create(addr).await;
    assert!(cloudhall::live::is_code(&code), "{code}");
    let (code_status, info) = http(addr, "GET", &format!("/api/v1/sessions/{code}")).await;
    assert_eq!((code_status, info["students"].as_u64()), (200, Some(0)));

    let (mut teacher, w) = Client::teacher(addr, &code, &token).await;
    assert_eq!(w["code"], code.as_str());
    assert_eq!(w["roster"], json!([]));
    let (mut ann, w) = Client::student(addr, &code, "Ann").await;
    assert_eq!(w["state"]["teacher_connected"], true);
    let ann_id = w["id"].as_str().expect("id").to_string();
    assert!(w["resume"].as_str().is_some_and(|r| r.len() >= 16));
    let s = roster_until(&mut teacher, |s| s["name"] == "Ann").await;
    assert_eq!(
        (s["id"].as_str(), s["connected"].as_bool(), s["following"].as_bool()),
        (Some(ann_id.as_str()), Some(true), Some(true))
    );

    // Teacher to class.
    teacher
        .send(json!({"v":1,"type":"go","site":"alpha","scene":"hall","view":{"yaw":10.0,"pitch":0.0,"hfov":90.0}}))
        .await;
    let go = ann.expect("go").await;
    assert_eq!(
        (go["site"].as_str(), go["scene"].as_str(), go["view"]["yaw"].as_f64()),
        (Some("alpha"), Some("hall"), Some(10.0))
    );
    teacher.send(json!({"v":1,"type":"view","yaw":42.5,"pitch":-3.0,"hfov":75.0})).await;
    let v = ann.expect("view").await;
    assert_eq!((v["yaw"].as_f64(), v["pitch"].as_f64(), v["hfov"].as_f64()), (Some(42.5), Some(-3.0), Some(75.0)));
    let (_, metrics) = http_text(addr, "GET", "/metrics").await;
    assert!(metrics.contains("\ncloudhall_live_sessions 1\n"), "{metrics}");
    assert!(metrics.contains("\ncloudhall_live_views_total 1\n"), "{metrics}");
    teacher.send(json!({"v":1,"type":"narration","playing":true,"t":12.5,"speed":1.25})).await;
    let n = ann.expect("narration").await;
    assert_eq!((n["playing"].as_bool(), n["t"].as_f64(), n["speed"].as_f64()), (Some(true), Some(12.5), Some(1.25)));
    teacher.send(json!({"v":1,"type":"highlight","hotspot":"flowers"})).await;
    assert_eq!(ann.expect("highlight").await["hotspot"], "flowers");
    teacher.send(json!({"v":1,"type":"note","text":"请看左边的展板"})).await;
    assert_eq!(ann.expect("note").await["text"], "请看左边的展板");
    teacher.send(json!({"v":1,"type":"gather"})).await;
    let g = ann.expect("gather").await;
    assert_eq!((g["scene"].as_str(), g["view"]["yaw"].as_f64()), (Some("hall"), Some(42.5)));

    // Students to the teacher.
    ann.send(json!({"v":1,"type":"mode","following":false})).await;
    roster_until(&mut teacher, |s| s["following"] == false).await;
    ann.send(json!({"v":1,"type":"scene","site":"beta","scene":"square"})).await;
    roster_until(&mut teacher, |s| s["scene"] == "square").await;
    ann.send(json!({"v":1,"type":"hand","raised":true})).await;
    roster_until(&mut teacher, |s| s["hand"] == true).await;

    // A second student, who leaves.
    let (mut bo, _) = Client::student(addr, &code, "Bo").await;
    let bo_id = roster_until(&mut teacher, |s| s["name"] == "Bo").await["id"].as_str().expect("id").to_string();
    bo.send(json!({"v":1,"type":"leave"})).await;
    bo.expect_closed().await;
    assert_eq!(teacher.expect("left").await["id"], bo_id.as_str());

    teacher.send(json!({"v":1,"type":"end"})).await;
    assert_eq!(ann.expect("ended").await["reason"], "the teacher ended the session");
    ann.expect_closed().await;
    teacher.expect("ended").await;
    teacher.expect_closed().await;
    // An ended session answers 410, before and at the WebSocket.
    assert_eq!(http(addr, "GET", &format!("/api/v1/sessions/{code}")).await.0, 410);
    let err = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/sessions/{code}/ws")).await.unwrap_err();
    assert!(err.to_string().contains("410"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiners_and_reconnects_get_the_current_state_at_once() {
    let cfg = LiveConfig { teacher_grace: Duration::from_secs(2), ..quick() };
    let (addr, _) = start(cfg).await;
    let (code, token) = create(addr).await;
    let (mut teacher, _) = Client::teacher(addr, &code, &token).await;
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
    teacher.send(json!({"v":1,"type":"view","yaw":-120.0,"pitch":5.0,"hfov":60.0})).await;
    teacher.send(json!({"v":1,"type":"narration","playing":true,"t":3.0,"speed":1.0})).await;
    teacher.send(json!({"v":1,"type":"highlight","hotspot":"about"})).await;
    teacher.send(json!({"v":1,"type":"note","text":"Welcome"})).await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    let (mut late, w) = Client::student(addr, &code, "Late").await;
    let st = &w["state"];
    assert_eq!((st["site"].as_str(), st["scene"].as_str()), (Some("alpha"), Some("gate")));
    assert_eq!(st["view"], json!({"yaw": -120.0, "pitch": 5.0, "hfov": 60.0}));
    assert_eq!((st["highlight"].as_str(), st["note"].as_str()), (Some("about"), Some("Welcome")));
    let t = st["narration"]["t"].as_f64().expect("t");
    assert!(t > 3.4 && t < 6.0, "the narration has moved on while playing: {t}");

    // The student's connection drops; with the resume token they take their place back.
    let id = w["id"].as_str().expect("id").to_string();
    let resume = w["resume"].as_str().expect("resume").to_string();
    drop(late);
    roster_until(&mut teacher, |s| s["id"] == id.as_str() && s["connected"] == false).await;
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
    late = Client::connect(addr, &code).await;
    late.send(json!({"v":1,"type":"join","name":"Late","resume":resume})).await;
    let w = late.expect("welcome").await;
    assert_eq!(w["id"], id.as_str(), "the same place on the roster");
    assert_eq!(w["state"]["scene"], "hall", "what happened while away");
    roster_until(&mut teacher, |s| s["id"] == id.as_str() && s["connected"] == true).await;

    // The teacher's connection drops: the class is told, and the teacher reclaims with the token.
    drop(teacher);
    assert_eq!(late.expect("teacher").await["connected"], false);
    let (mut teacher, w) = Client::teacher(addr, &code, &token).await;
    assert_eq!(late.expect("teacher").await["connected"], true);
    assert_eq!(w["state"]["scene"], "hall");
    let roster = w["roster"].as_array().expect("roster");
    assert_eq!(roster.len(), 1, "{roster:?}");
    assert_eq!(roster[0]["id"], id.as_str());
    teacher.send(json!({"v":1,"type":"note","text":"back"})).await;
    assert_eq!(late.expect("note").await["text"], "back");

    // A teacher who does not come back within the grace ends the session.
    drop(teacher);
    late.expect("teacher").await;
    let ended = late.expect("ended").await;
    assert!(ended["reason"].as_str().is_some_and(|r| r.contains("teacher")), "{ended}");
    let (status, _) = http(addr, "GET", &format!("/api/v1/sessions/{code}")).await;
    assert_eq!(status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_student_does_not_slow_the_others_and_is_dropped() {
    let cfg = LiveConfig {
        dead_after: Duration::from_secs(2),
        ping_every: Duration::from_millis(500),
        queue: 64,
        burst: 100_000,
        refill: Duration::from_micros(1),
        ..quick()
    };
    let (addr, _) = start(cfg).await;
    let (code, token) = create(addr).await;
    let (mut teacher, _) = Client::teacher(addr, &code, &token).await;
    // The stalled student joins and then reads nothing more (not even pings).
    let (stalled, w) = Client::student(addr, &code, "Stalled").await;
    let stalled_id = w["id"].as_str().expect("id").to_string();
    let (mut healthy, _) = Client::student(addr, &code, "Healthy").await;
    roster_until(&mut teacher, |s| s["name"] == "Healthy").await;

    let reader = tokio::spawn(async move {
        let mut notes = Vec::new();
        let mut last_view = None;
        while notes.len() < 400 {
            let m = healthy.next(WAIT).await.expect("still connected");
            match m["type"].as_str() {
                Some("note") => notes.push(m["text"].as_str().expect("text").to_string()),
                Some("view") => last_view = m["yaw"].as_f64(),
                _ => {}
            }
        }
        // The trailing view after the burst arrives too.
        let deadline = Instant::now() + Duration::from_secs(3);
        while last_view != Some(99.0) && Instant::now() < deadline {
            if let Some(m) = healthy.next(Duration::from_secs(3)).await
                && m["type"] == "view"
            {
                last_view = m["yaw"].as_f64();
            }
        }
        (notes, last_view)
    });
    let started = Instant::now();
    let long = "字".repeat(270);
    for i in 0..400 {
        teacher.send(json!({"v":1,"type":"note","text":format!("{i} {long}")})).await;
        if i % 4 == 0 {
            // A brisk teacher: a thousand messages a second.
            tokio::time::sleep(Duration::from_millis(4)).await;
            teacher.send(json!({"v":1,"type":"view","yaw":(i % 90) as f64,"pitch":0.0,"hfov":90.0})).await;
        }
    }
    teacher.send(json!({"v":1,"type":"view","yaw":99.0,"pitch":0.0,"hfov":90.0})).await;
    let (notes, last_view) = reader.await.expect("reader");
    let took = started.elapsed();
    assert_eq!(notes.len(), 400);
    for (i, n) in notes.iter().enumerate() {
        assert!(n.starts_with(&format!("{i} ")), "note {i} in order, never dropped: {}", &n[..8]);
    }
    assert_eq!(last_view, Some(99.0), "views may be coalesced, but the newest one arrives");
    // (A broadcast that waited for the stalled student would leave the healthy one without
    // messages, failing the 10 s wait for the next one above.)
    eprintln!("the healthy student got 400 notes in {took:?}");
    // The stalled one is dropped by the heartbeat (or its full queue) and shown as away.
    roster_until(&mut teacher, |s| s["id"] == stalled_id.as_str() && s["connected"] == false).await;
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_bad_messages_are_refused_without_dropping_the_session() {
    let cfg = LiveConfig { max_students: 2, burst: 5, refill: Duration::from_secs(1), ..quick() };
    let (addr, _) = start(cfg).await;
    let (code, token) = create(addr).await;

    // Codes: malformed, unknown.
    assert_eq!(http(addr, "GET", "/api/v1/sessions/12ab").await.0, 400);
    let missing = if code == "000000000" { "000000001" } else { "000000000" };
    let (status, body) = http(addr, "GET", &format!("/api/v1/sessions/{missing}")).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().is_some_and(|e| e.contains(missing)), "{body}");
    let err = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/sessions/{missing}/ws")).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");

    // A wrong token is refused and the connection closed.
    let mut wrong = Client::connect(addr, &code).await;
    wrong.send(json!({"v":1,"type":"claim","token":"not-the-token"})).await;
    assert_eq!(wrong.expect("error").await["code"], "wrong_token");
    wrong.expect_closed().await;
    // Saying nothing of who one is first.
    let mut rude = Client::connect(addr, &code).await;
    rude.send(json!({"v":1,"type":"gather"})).await;
    assert_eq!(rude.expect("error").await["code"], "hello_first");

    let (mut teacher, _) = Client::teacher(addr, &code, &token).await;
    let (mut ann, _) = Client::student(addr, &code, "Ann").await;
    // Bad messages get an error reply; the connection and the session stay.
    for (raw, want) in [
        (r#"{"v":1,"type":"dance"}"#.to_string(), "unknown_type"),
        ("not json".to_string(), "bad_json"),
        (r#"{"type":"gather"}"#.to_string(), "version"),
        (r#"{"v":1,"type":"view","yaw":1,"pitch":400,"hfov":90}"#.to_string(), "bad_message"),
        (json!({"v":1,"type":"note","text":"x".repeat(5000)}).to_string(), "too_large"),
        (r#"{"v":1,"type":"go","site":"alpha","scene":"nowhere"}"#.to_string(), "unknown_id"),
        (r#"{"v":1,"type":"join","name":"again"}"#.to_string(), "not_allowed"),
    ] {
        teacher.send_raw(raw.clone()).await;
        let e = teacher.expect("error").await;
        assert_eq!(e["code"], want, "{raw}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    ann.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
    assert_eq!(ann.expect("error").await["code"], "not_allowed", "students do not lead");
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
    assert_eq!(ann.expect("go").await["scene"], "hall", "the session goes on");
    teacher.send(json!({"v":1,"type":"highlight","hotspot":"to-hall"})).await;
    assert_eq!(teacher.expect("error").await["code"], "unknown_id", "to-hall is in another scene");

    // Names pass the word list.
    let mut rude = Client::connect(addr, &code).await;
    rude.send(json!({"v":1,"type":"join","name":"SPAM bot"})).await;
    assert_eq!(rude.expect("error").await["code"], "name_refused");
    // At most two students.
    let (mut bo, _) = Client::student(addr, &code, "Bo").await;
    let mut third = Client::connect(addr, &code).await;
    third.send(json!({"v":1,"type":"join","name":"Cy"})).await;
    let e = third.expect("error").await;
    assert_eq!(e["code"], "full");
    third.expect_closed().await;

    // Rate: a burst of 5, then one a second.
    for _ in 0..12 {
        ann.send(json!({"v":1,"type":"hand","raised":true})).await;
    }
    let mut limited = 0;
    while limited < 7 {
        let m = ann.next(WAIT).await.expect("still connected");
        if m["type"] == "error" {
            assert_eq!(m["code"], "rate_limited", "{m}");
            limited += 1;
        }
    }
    // Far too big for a frame: the connection is closed, the session is not.
    let _ = ann.ws.send(Message::text("x".repeat(100 * 1024))).await;
    ann.expect_closed().await;
    roster_until(&mut teacher, |s| s["name"] == "Ann" && s["connected"] == false).await;
    teacher.send(json!({"v":1,"type":"note","text":"still here"})).await;
    assert_eq!(bo.expect("note").await["text"], "still here");
    let (_dee, w) = Client::student(addr, &code, "Dee").await;
    assert_eq!(w["state"]["note"], "still here", "Ann's place is free again and the session went on");
}

/// Students' names and the teacher's notes lose the characters that show nothing, a listed word
/// does not hide behind them, and a name of nothing visible is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_notes_lose_invisible_characters() {
    let (addr, _) = start(quick()).await;
    let (code, token) = create(addr).await;
    let (mut teacher, _) = Client::teacher(addr, &code, &token).await;
    let (mut li, _) = Client::student(addr, &code, "李\u{200B}明\u{AD}").await;
    roster_until(&mut teacher, |s| s["name"] == "李明").await;
    for name in ["\u{200B}\u{2060}", "ｓｐａｍ", "sp\u{200D}am"] {
        let mut c = Client::connect(addr, &code).await;
        c.send(json!({"v": 1, "type": "join", "name": name})).await;
        let e = c.expect("error").await;
        assert_eq!(e["code"], "name_refused", "{name:?}: {e}");
    }
    teacher.send(json!({"v":1,"type":"note","text":"看\u{200B}这里\u{E0041}"})).await;
    assert_eq!(li.expect("note").await["text"], "看这里");
    teacher.send(json!({"v":1,"type":"note","text":"\u{FEFF}"})).await;
    assert_eq!(teacher.expect("error").await["code"], "bad_message");
}

/// Two instances on one PostgreSQL. One's LISTEN connection is cut for 5 s while the teacher,
/// on the other, moves the class on: once it is back, its students are brought to where the
/// class is within 2 s. Then the teacher moves to that instance while its copy is behind
/// again: it reloads what it missed before taking the teacher, and the numbers of the teacher's
/// new messages are above the old ones, so the other instance does not drop them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_listen_connection_is_resynced_and_a_teacher_who_moves_keeps_every_student_in_step() {
    let url = pg::postgres_url().await;
    let (a, _) = start_on(&url, quick()).await;
    // B LISTENs through a relay that the test cuts; its other connections go straight.
    let relay = Relay::to(&url).await;
    let (b, _) = start_on(&url, LiveConfig { listen_url: Some(relay.url(&url)), ..quick() }).await;
    let (code, token) = create(a).await;
    let (mut teacher, _) = Client::teacher(a, &code, &token).await;
    let (mut on_a, _) = Client::student(a, &code, "On A").await;
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
    assert_eq!(on_a.expect("go").await["scene"], "gate");
    let (mut on_b, w) = Client::student(b, &code, "On B").await;
    assert_eq!(w["state"]["scene"], "gate");

    // 1. B hears nothing for 5 s while the class moves to the hall.
    relay.set(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
    assert_eq!(on_a.expect("go").await["scene"], "hall");
    tokio::time::sleep(Duration::from_millis(4700)).await;
    relay.set(true);
    let back = Instant::now();
    // (B may also have caught up before, on its own, on something it missed while loading.)
    loop {
        let w = on_b.expect("welcome").await;
        if w["state"]["scene"] == "hall" {
            break;
        }
    }
    let took = back.elapsed();
    eprintln!("B's students were back in step {took:?} after its LISTEN connection could return");
    assert!(took < Duration::from_secs(2), "resynced {took:?} after the cut");

    // 2. The teacher moves to B while B is cut off again.
    relay.set(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    teacher.send(json!({"v":1,"type":"note","text":"before the move"})).await;
    assert_eq!(on_a.expect("note").await["text"], "before the move");
    drop(teacher);
    assert_eq!(on_a.expect("teacher").await["connected"], false);
    let (mut teacher, w) = Client::teacher(b, &code, &token).await;
    assert_eq!(w["state"]["note"], "before the move", "B reloads what it missed before it takes the teacher");
    let w = on_b.expect("welcome").await;
    assert_eq!(w["state"]["note"], "before the move", "and its students get it: {w}");
    assert_eq!(on_a.expect("teacher").await["connected"], true);
    teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
    assert_eq!(on_a.expect("go").await["scene"], "gate", "A keeps following the teacher on B");
    assert_eq!(on_b.expect("go").await["scene"], "gate");
    teacher.send(json!({"v":1,"type":"note","text":"after the move"})).await;
    assert_eq!(on_a.expect("note").await["text"], "after the move");
    assert_eq!(on_b.expect("note").await["text"], "after the move");
    relay.set(true);
}

/// A live change and its announcement are one transaction: an announcement PostgreSQL refuses
/// (longer than its 8000 bytes) takes its change with it, and the announcement of a kept change
/// arrives with the change already there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_and_its_announcement_are_kept_together_or_not_at_all() {
    use cloudhall::server::live::CHANNEL;
    use cloudhall::server::store::LiveWrite;
    let url = pg::postgres_url().await;
    let store = Store::open(&url).await.expect("db");
    let code = "123456789";
    assert!(store.live_create(code, "hash", r#"{"seq":0}"#, 0).await.expect("create"));
    let mut listener = sqlx::postgres::PgListener::connect(&url).await.expect("listen");
    listener.listen(CHANNEL).await.expect("LISTEN");
    let write = |state: &str| LiveWrite::State {
        code: code.into(),
        state: state.into(),
        seq: serde_json::from_str::<Value>(state).expect("json")["seq"].as_u64().expect("seq"),
        teacher_left_at: None,
        ended: false,
        teacher_owner: None,
    };
    let refused = store.live_commit(&[write(r#"{"seq":1}"#)], CHANNEL, &["x".repeat(9000)]).await;
    assert!(refused.is_err(), "PostgreSQL refuses the announcement");
    assert_eq!(store.live_state(code).await.expect("read").as_deref(), Some(r#"{"seq":0}"#), "and the change with it");
    store.live_commit(&[write(r#"{"seq":2}"#)], CHANNEL, &["kept".into()]).await.expect("kept");
    let heard = tokio::time::timeout(WAIT, listener.recv()).await.expect("heard in time").expect("a notification");
    assert_eq!(heard.payload(), "kept", "the first announcement heard is the kept change's");
    assert_eq!(store.live_state(code).await.expect("read").as_deref(), Some(r#"{"seq":2}"#));
    // An instance whose copy is behind does not put its older state over the kept one.
    store.live_commit(&[write(r#"{"seq":1}"#)], CHANNEL, &[]).await.expect("kept");
    assert_eq!(store.live_state(code).await.expect("read").as_deref(), Some(r#"{"seq":2}"#), "compare and set");
}

/// Two `cloudhall serve` processes on one PostgreSQL; the teacher's is killed (SIGKILL) mid-class.
/// Its lease runs out: the students on the other instance see the teacher away, and its
/// students away on the roster, instead of present forever. The teacher reconnects to the
/// other instance and the class goes on; a student of the killed one resumes there, where the
/// class is.
#[test]
fn a_killed_instance_leaves_its_class_to_the_other() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(pg::postgres_url());
    let mut a = ServerProcess::spawn(&url);
    let b = ServerProcess::spawn(&url);
    runtime.block_on(async {
        let (code, token) = create(a.addr).await;
        let (mut teacher, _) = Client::teacher(a.addr, &code, &token).await;
        let (mut on_a, w) = Client::student(a.addr, &code, "On A").await;
        teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
        assert_eq!(on_a.expect("go").await["scene"], "gate");
        let (id, resume) = (w["id"].clone(), w["resume"].as_str().expect("resume").to_string());
        let (mut on_b, _) = Client::student(b.addr, &code, "On B").await;
        roster_until(&mut teacher, |s| s["name"] == "On B" && s["connected"] == true).await;
        teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
        assert_eq!(on_a.expect("go").await["scene"], "hall");
        assert_eq!(on_b.expect("go").await["scene"], "hall");

        a.child.kill().expect("kill -9");
        a.child.wait().expect("reaped");
        let killed = Instant::now();
        assert_eq!(on_b.expect("teacher").await["connected"], false, "the teacher's instance is gone");
        eprintln!("the teacher of a killed instance was away {:?} after the kill", killed.elapsed());
        let (mut teacher, w) = Client::teacher(b.addr, &code, &token).await;
        let on_a_entry = w["roster"].as_array().and_then(|r| r.iter().find(|s| s["name"] == "On A")).cloned();
        assert_eq!(on_a_entry.map(|s| s["connected"].clone()), Some(json!(false)), "{w}");
        assert_eq!(on_b.expect("teacher").await["connected"], true);
        teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
        assert_eq!(on_b.expect("go").await["scene"], "gate", "the students on B keep following");

        drop(on_a);
        let mut again = Client::connect(b.addr, &code).await;
        again.send(json!({"v": 1, "type": "join", "name": "On A", "resume": resume})).await;
        let w = again.expect("welcome").await;
        assert_eq!(
            (w["id"].clone(), w["state"]["scene"].clone()),
            (id, json!("gate")),
            "resumed where the class is: {w}"
        );
        roster_until(&mut teacher, |s| s["name"] == "On A" && s["connected"] == true).await;
        teacher.send(json!({"v":1,"type":"note","text":"together again"})).await;
        assert_eq!(again.expect("note").await["text"], "together again");
        assert_eq!(on_b.expect("note").await["text"], "together again");
    });
}

/// A `cloudhall serve` child process on a free port, killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn spawn(database_url: &str) -> ServerProcess {
        let mut p = ServerProcess::start(database_url);
        p.wait_up();
        p
    }

    /// Wait until the server answers; fail at once if it died on the way.
    fn wait_up(&mut self) {
        let started = Instant::now();
        while std::net::TcpStream::connect(self.addr).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server on {} exited while starting: {status}", self.addr);
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the server did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Start a server without waiting for it.
    fn start(database_url: &str) -> ServerProcess {
        use std::process::{Command, Stdio};
        let addr = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr");
        let child = Command::new(env!("CARGO_BIN_EXE_cloudhall"))
            .args(["serve", "--live-lease", "2", "--addr", &addr.to_string(), "--tour"])
            .arg(fixture("good"))
            .arg("--data")
            .arg(temp_dir("proc"))
            .args(["--database-url", database_url])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        ServerProcess { child, addr }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_server_processes_share_a_session_through_postgresql() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(pg::postgres_url());
    let a = ServerProcess::spawn(&url);
    let b = ServerProcess::spawn(&url);
    runtime.block_on(async {
        // The teacher is on A.
        let (code, token) = create(a.addr).await;
        let (mut teacher, _) = Client::teacher(a.addr, &code, &token).await;
        teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"gate"})).await;
        let started = Instant::now();
        loop {
            let (status, info) = http(b.addr, "GET", &format!("/api/v1/sessions/{code}")).await;
            if status == 200 && info["scene"] == "gate" {
                assert_eq!(info["teacher_connected"], true);
                break;
            }
            assert!(started.elapsed() < WAIT, "B never saw the session: {status} {info}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A student on B gets the state, and the teacher on A sees the student.
        let (mut on_b, w) = Client::student(b.addr, &code, "On B").await;
        assert_eq!(w["state"]["scene"], "gate");
        roster_until(&mut teacher, |s| s["name"] == "On B" && s["connected"] == true).await;
        teacher.send(json!({"v":1,"type":"view","yaw":33.0,"pitch":1.0,"hfov":70.0})).await;
        assert_eq!(on_b.expect("view").await["yaw"], 33.0);
        teacher.send(json!({"v":1,"type":"highlight","hotspot":"about"})).await;
        assert_eq!(on_b.expect("highlight").await["hotspot"], "about");
        on_b.send(json!({"v":1,"type":"hand","raised":true})).await;
        roster_until(&mut teacher, |s| s["name"] == "On B" && s["hand"] == true).await;

        // The teacher's connection to A drops, and the teacher reclaims the session on B.
        drop(teacher);
        assert_eq!(on_b.expect("teacher").await["connected"], false);
        let (mut teacher, w) = Client::teacher(b.addr, &code, &token).await;
        assert_eq!(on_b.expect("teacher").await["connected"], true);
        assert_eq!(w["state"]["view"]["yaw"], 33.0);
        assert!(w["roster"].as_array().is_some_and(|r| r.iter().any(|s| s["name"] == "On B")), "{w}");
        teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":"hall"})).await;
        assert_eq!(on_b.expect("go").await["scene"], "hall");

        // A student on A follows the teacher on B.
        let (mut on_a, _) = Client::student(a.addr, &code, "On A").await;
        roster_until(&mut teacher, |s| s["name"] == "On A").await;
        teacher.send(json!({"v":1,"type":"note","text":"两台服务器"})).await;
        assert_eq!(on_a.expect("note").await["text"], "两台服务器");
        assert_eq!(on_b.expect("note").await["text"], "两台服务器");
        teacher.send(json!({"v":1,"type":"gather"})).await;
        assert_eq!(on_a.expect("gather").await["scene"], "hall");
        teacher.send(json!({"v":1,"type":"end"})).await;
        on_a.expect("ended").await;
        on_b.expect("ended").await;
        assert_eq!(http(a.addr, "GET", &format!("/api/v1/sessions/{code}")).await.0, 410);
    });
}

#[test]
fn two_instances_started_together_come_up_and_a_join_on_one_sees_what_the_teacher_just_did_on_the_other() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(pg::postgres_url());
    // Both at the same moment, on an empty database: both create the schema.
    let mut a = ServerProcess::start(&url);
    let mut b = ServerProcess::start(&url);
    a.wait_up();
    b.wait_up();
    runtime.block_on(async {
        for addr in [a.addr, b.addr] {
            let (status, tour) = http(addr, "GET", "/api/v1/tour").await;
            assert_eq!(status, 200, "{tour}");
        }
        let (code, token) = create(a.addr).await;
        let (mut teacher, _) = Client::teacher(a.addr, &code, &token).await;
        let (mut on_a, _) = Client::student(a.addr, &code, "Watcher").await;
        // The first join on B loads the session; the later ones find it held there and must
        // still see the teacher's latest move, which B hears of only a moment later.
        let mut late = Vec::new();
        for i in 0..16 {
            let scene = if i % 2 == 0 { "hall" } else { "gate" };
            teacher.send(json!({"v":1,"type":"go","site":"alpha","scene":scene})).await;
            assert_eq!(on_a.expect("go").await["scene"], scene);
            // The moment a student on A has it, another joins on B.
            let (student, w) = Client::student(b.addr, &code, &format!("Late {i}")).await;
            assert_eq!(w["state"]["scene"], scene, "join {i} on B just after the go on A: {w}");
            assert_eq!(w["state"]["teacher_connected"], true, "join {i}: {w}");
            late.push(student);
        }
        // And the ones on B follow the next move as usual.
        teacher.send(json!({"v":1,"type":"note","text":"all here"})).await;
        for s in &mut late {
            assert_eq!(s.expect("note").await["text"], "all here");
        }
    });
}

/// A class running while the hall's tour is replaced (as a studio publish does) can be led into
/// the new site at once, without a restart or a new session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_class_follows_into_a_site_published_after_it_began() {
    let (addr, state) = start(LiveConfig::default()).await;
    let (code, token) = create(addr).await;
    let (mut teacher, _) = Client::teacher(addr, &code, &token).await;
    let (mut ann, _) = Client::student(addr, &code, "Ann").await;
    teacher.send(json!({"v":1,"type":"go","site":"gamma","scene":"gate"})).await;
    assert_eq!(teacher.expect("error").await["code"], "unknown_id", "not published yet");

    let mut tour = cloudhall::tour::load(&fixture("good")).into_result().expect("good tour");
    let mut gamma = tour.site("alpha").expect("alpha").clone();
    gamma.id = "gamma".into();
    tour.sites.push(gamma);
    state.replace_tour(tour);
    teacher.send(json!({"v":1,"type":"go","site":"gamma","scene":"gate"})).await;
    let go = ann.expect("go").await;
    assert_eq!((go["site"].as_str(), go["scene"].as_str()), (Some("gamma"), Some("gate")), "{go}");
}
