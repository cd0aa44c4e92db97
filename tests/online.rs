//! The viewer online: a `cloudhall serve` in this process, and a headless viewer that loads the
//! tour and its panorama from it, records its visits there, and keeps memorial offerings on disk
//! while the server is down, sending them when it is back.
#![cfg(all(feature = "viewer", feature = "server"))]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy::prelude::*;

use cloudhall::server::guard::WordList;
use cloudhall::server::store::Store;
use cloudhall::server::{AppState, router};
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{headless_app, pump, settle};
use cloudhall::viewer::map::{MapState, VisitLine};
use cloudhall::viewer::memorial::{Memorial, MemorialButton};
use cloudhall::viewer::panorama::PanoramaStatus;
use cloudhall::viewer::ui::Panel;
use cloudhall::viewer::visits::VisitCounts;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Serve the good fixture tour on `addr` with the database `db` until `stop` fires.
fn start_server(runtime: &tokio::runtime::Runtime, addr: SocketAddr, db: PathBuf) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = runtime.block_on(tokio::net::TcpListener::bind(addr)).expect("bind");
    runtime.spawn(async move {
        let tour = cloudhall::tour::load(&fixtures().join("good")).into_result().expect("tour");
        let store = Store::open_sqlite(&db).await.expect("db");
        let state: Arc<AppState> = AppState::new(tour, store.clone(), WordList::default(), None).await;
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        store.close().await;
    });
    stop
}

fn get_json(url: &str) -> serde_json::Value {
    ureq::get(url).call().expect("reachable").into_json().expect("json")
}

#[test]
fn online_viewer_downloads_records_visits_and_queues_offerings_while_offline() {
    let scratch = std::env::temp_dir().join(format!("cloudhall-online-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("dir");
    // The asset cache and the memorial queue go to a fresh folder (this test is alone here).
    unsafe { std::env::set_var("XDG_CACHE_HOME", scratch.join("cache")) };

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr")
    };
    let db = scratch.join("server.db");
    let stop = start_server(&runtime, addr, db.clone());
    let base = format!("http://{addr}");

    let options = ViewerOptions {
        server: Some(base.clone()),
        site: Some("alpha".into()),
        scene: Some("hall".into()),
        ..ViewerOptions::new("no-such-folder")
    };
    let (mut app, _target) = headless_app(options, 320, 200).expect("the tour comes from the server");
    settle(&mut app).expect("settles");
    assert_eq!(
        *app.world().resource::<PanoramaStatus>(),
        PanoramaStatus::Shown,
        "the panorama was downloaded and shown"
    );
    let cache = scratch.join("cache/cloudhall/remote").join(format!("127.0.0.1_{}", addr.port()));
    assert!(cache.join("assets/test-pano.png").is_file(), "the panorama is cached");

    // The visit of the first scene reaches the server (sent in the background).
    let mut visits = 0;
    for _ in 0..100 {
        visits = get_json(&format!("{base}/api/v1/stats"))["total_visits"].as_i64().unwrap_or(0);
        if visits >= 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(visits, 1, "one scene entered, one visit recorded");

    // The city map shows the hall's visit counter (访问量), and the site's card its own.
    {
        let mut map = app.world_mut().resource_mut::<MapState>();
        map.open = true;
        map.selected = Some("alpha".into());
    }
    let started = std::time::Instant::now();
    while app.world().resource::<VisitCounts>().total != Some(1) && started.elapsed().as_secs() < 20 {
        pump(&mut app);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(app.world().resource::<VisitCounts>().total, Some(1), "the counter came from the server");
    pump(&mut app);
    let lines: Vec<String> = {
        let mut q = app.world_mut().query_filtered::<&Text, With<VisitLine>>();
        q.iter(app.world()).map(|t| t.0.clone()).collect()
    };
    assert_eq!(lines, vec!["访问量 1".to_string()], "the site's card shows its visits");
    {
        let mut map = app.world_mut().resource_mut::<MapState>();
        map.open = false;
        map.selected = None;
    }

    // The server goes away; the visitor opens the memorial of the hall and lays a flower.
    let _ = stop.send(());
    std::thread::sleep(std::time::Duration::from_millis(300));
    *app.world_mut().resource_mut::<Panel>() = Panel::Hotspot { site: "alpha".into(), scene: "hall".into(), index: 2 };
    pump(&mut app);
    let flower = {
        let mut q = app.world_mut().query::<(Entity, &MemorialButton)>();
        q.iter(app.world())
            .find(|(_, b)| **b == MemorialButton::Offer(cloudhall::api::OfferingKind::Flower))
            .map(|(e, _)| e)
            .expect("the flower button")
    };
    app.world_mut().entity_mut(flower).insert(Interaction::Pressed);
    app.world_mut().run_schedule(Update);
    for _ in 0..20 {
        pump(&mut app);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let queue_file = cache.join("memorial-queue.json");
    let on_disk = std::fs::read_to_string(&queue_file).expect("the queue is on disk");
    assert!(on_disk.contains("flower") && on_disk.contains("hero"), "{on_disk}");
    assert!(app.world().resource::<Memorial>().offline, "the viewer knows the server is gone");
    assert_eq!(app.world().resource::<Memorial>().queue.items.len(), 1);

    // The server comes back on the same database: the flower is sent, once.
    let stop = start_server(&runtime, addr, db);
    let started = std::time::Instant::now();
    while !app.world().resource::<Memorial>().queue.items.is_empty() && started.elapsed().as_secs() < 20 {
        pump(&mut app);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(app.world().resource::<Memorial>().queue.items.is_empty(), "the queue drained");
    assert!(!app.world().resource::<Memorial>().offline);
    let counts = get_json(&format!("{base}/api/v1/memorial/counts?person=hero"));
    assert_eq!(counts["counts"]["flower"], 1, "{counts}");
    assert!(!std::fs::read_to_string(&queue_file).expect("queue").contains("flower"), "and it left the queue on disk");

    // Another visitor lays a flower elsewhere: the open memorial shows the count rise.
    let other = serde_json::json!({"target": {"person": "hero"}, "kind": "flower", "client_id": "someone-else", "idempotency_key": "elsewhere-1"});
    ureq::post(&format!("{base}/api/v1/memorial/offerings")).send_json(other).expect("offering");
    let started = std::time::Instant::now();
    let target = cloudhall::viewer::memorial::Target::Person("hero".into());
    let shown = |app: &App| app.world().resource::<Memorial>().counts.get(&target).and_then(|c| c["flower"].as_i64());
    while shown(&app) != Some(2) && started.elapsed().as_secs() < 10 {
        pump(&mut app);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(shown(&app), Some(2), "the live count follows the server");

    // A message the server refuses: its answer is shown and said, and the text stays in the
    // form. Mended, it is accepted, thanked, and only then taken from the form.
    use cloudhall::viewer::a11y::Spoken;
    use cloudhall::viewer::memorial::MessageState;
    let send = |app: &mut App| {
        let button = {
            let mut q = app.world_mut().query::<(Entity, &MemorialButton)>();
            q.iter(app.world()).find(|(_, b)| **b == MemorialButton::Send).map(|(e, _)| e).expect("the send button")
        };
        app.world_mut().entity_mut(button).insert(Interaction::Pressed);
        app.world_mut().run_schedule(Update);
    };
    let wait_for = |app: &mut App, want: MessageState| {
        let started = std::time::Instant::now();
        while app.world().resource::<Memorial>().message != want && started.elapsed().as_secs() < 20 {
            pump(app);
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(app.world().resource::<Memorial>().message, want);
        pump(app);
    };
    let refused = "永垂不朽\u{202E}";
    app.world_mut().resource_mut::<Memorial>().text = refused.into();
    send(&mut app);
    wait_for(&mut app, MessageState::Refused);
    let memorial = app.world().resource::<Memorial>();
    assert_eq!(memorial.text, refused, "a refused message stays in the form");
    let said = app.world().resource::<Spoken>().last.clone().unwrap_or_default();
    assert!(said.contains("U+202E") && Some(&said) == memorial.notice.as_ref(), "said and shown: {said:?}");
    app.world_mut().resource_mut::<Memorial>().text = "永垂不朽".into();
    send(&mut app);
    wait_for(&mut app, MessageState::Accepted);
    let memorial = app.world().resource::<Memorial>();
    assert_eq!(memorial.text, "", "an accepted message leaves the form");
    let said = app.world().resource::<Spoken>().last.clone().unwrap_or_default();
    assert!(said.contains("感谢留言") || said.contains("Thank you"), "the thanks are said: {said:?}");
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(&scratch);
}
