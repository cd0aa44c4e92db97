//! The viewer online: a `cloudhall serve` in this process, and a headless viewer that loads the
//! tour and its panorama from it and records its visits there.
#![cfg(all(feature = "viewer", feature = "server"))]

use std::path::Path;
use std::sync::Arc;

use cloudhall::server::guard::WordList;
use cloudhall::server::store::Store;
use cloudhall::server::{AppState, router};
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{headless_app, settle};
use cloudhall::viewer::panorama::PanoramaStatus;

#[test]
fn the_viewer_loads_the_tour_from_a_server_and_records_visits() {
    let scratch = std::env::temp_dir().join(format!("cloudhall-online-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("dir");
    // The asset cache goes to a fresh folder (this test is alone in its process).
    unsafe { std::env::set_var("XDG_CACHE_HOME", scratch.join("cache")) };

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let db = scratch.join("server.db");
    runtime.spawn(async move {
        let tour = cloudhall::tour::load(&fixtures.join("render")).into_result().expect("tour");
        let store = Store::open_sqlite(&db).await.expect("db");
        let state: Arc<AppState> = AppState::new(tour, store, WordList::default(), None).await;
        axum::serve(listener, router(state)).await.expect("serve");
    });
    let base = format!("http://{addr}");

    let options = ViewerOptions { server: Some(base.clone()), ..ViewerOptions::new("no-such-folder") };
    let (mut app, _target) = headless_app(options, 320, 200).expect("the tour comes from the server");
    settle(&mut app).expect("settles");
    assert_eq!(
        *app.world().resource::<PanoramaStatus>(),
        PanoramaStatus::Shown,
        "the panorama was downloaded and shown"
    );
    let cached =
        scratch.join("cache/cloudhall/remote").join(format!("127.0.0.1_{}", addr.port())).join("assets/test-pano.png");
    assert!(cached.is_file(), "{} is cached", cached.display());

    // The visit of the first scene reaches the server (sent in the background).
    let mut visits = 0;
    for _ in 0..100 {
        let stats: serde_json::Value =
            ureq::get(&format!("{base}/api/v1/stats")).call().expect("stats").into_json().expect("json");
        visits = stats["total_visits"].as_i64().unwrap_or(0);
        if visits >= 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(visits, 1, "one scene entered, one visit recorded");
    let _ = std::fs::remove_dir_all(&scratch);
}
