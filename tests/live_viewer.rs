//! A teacher's viewer and two students' viewers (headless, real rendering) on one server: the
//! students go where the teacher goes and turn where the teacher looks; one looks around freely
//! and the roster says so; gather brings everyone back; the highlighted hotspot pulses; narration
//! keeps in step. Bo follows in the VR glasses mode: his two eyes turn with the teacher's view
//! too, and his gaze does not walk him away from the class.
#![cfg(all(feature = "viewer", feature = "server"))]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::prelude::*;

use cloudhall::live::{LiveJoin, Role};
use cloudhall::server::guard::WordList;
use cloudhall::server::store::Store;
use cloudhall::server::{AppState, router};
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::headless::{headless_app, pump};
use cloudhall::viewer::live::{LiveAction, LiveSession, create_session};
use cloudhall::viewer::look::{Look, VisitorInput};
use cloudhall::viewer::narration::Playback;
use cloudhall::viewer::nav::{Current, GoTo};
use cloudhall::viewer::vr::VrEye;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn viewer(base: &str, join: LiveJoin, vr: bool) -> App {
    let options = ViewerOptions {
        server: Some(base.to_string()),
        site: Some("alpha".into()),
        scene: Some("gate".into()),
        live: Some(join),
        vr,
        ..ViewerOptions::new("no-such-folder")
    };
    headless_app(options, 320, 200).expect("the tour comes from the server").0
}

/// Run frames of every app until `done` holds (or fail after 20 s).
fn until(apps: &mut [&mut App], what: &str, done: impl Fn(&[&mut App]) -> bool) {
    let started = Instant::now();
    while !done(apps) {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting until {what}");
        for app in apps.iter_mut() {
            pump(app);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn live(app: &App) -> &LiveSession {
    app.world().resource::<LiveSession>()
}

fn yaw(app: &App) -> f32 {
    app.world().resource::<Look>().view.yaw
}

fn press(app: &mut App, action: LiveAction) {
    let mut q = app.world_mut().query::<(Entity, &LiveAction)>();
    let e = q.iter(app.world()).find(|(_, a)| **a == action).map(|(e, _)| e).expect("the button");
    app.world_mut().entity_mut(e).insert(Interaction::Pressed);
    app.world_mut().run_schedule(Update);
    app.world_mut().entity_mut(e).insert(Interaction::None);
}

#[test]
fn a_teacher_and_two_students_move_together() {
    let scratch = std::env::temp_dir().join(format!("cloudhall-live-viewer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("dir");
    unsafe { std::env::set_var("XDG_CACHE_HOME", scratch.join("cache")) };

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let db = scratch.join("server.db");
    runtime.spawn(async move {
        let tour = cloudhall::tour::load(&fixtures().join("good")).into_result().expect("tour");
        let store = Store::open_sqlite(&db).await.expect("db");
        let state = AppState::new(tour, store, WordList::default(), None).await;
        axum::serve(listener, router(state)).await.expect("serve");
    });
    let base = format!("http://{addr}");

    let (code, token) = create_session(&base).expect("a session");
    let mut teacher = viewer(&base, LiveJoin::Guide { code: code.clone(), token }, false);
    let mut ann = viewer(&base, LiveJoin::Join { code: code.clone(), name: "Ann".into() }, false);
    let mut bo = viewer(&base, LiveJoin::Join { code: code.clone(), name: "Bo".into() }, true);
    assert_eq!(live(&teacher).role, Role::Teacher);
    until(&mut [&mut teacher, &mut ann, &mut bo], "all are connected and on the roster", |a| {
        a.iter().all(|app| live(app).connected) && live(a[0]).roster.values().filter(|s| s.connected).count() == 2
    });

    // The teacher walks to the hall: both students follow.
    teacher.world_mut().write_message(GoTo { site: "alpha".into(), scene: "hall".into(), view: None });
    until(&mut [&mut teacher, &mut ann, &mut bo], "the students are in the hall", |a| {
        a.iter().all(|app| app.world().resource::<Current>().scene == "hall")
    });
    // The roster shows where they are.
    until(&mut [&mut teacher, &mut ann, &mut bo], "the roster shows the hall", |a| {
        live(a[0]).roster.values().all(|s| s.scene.as_deref() == Some("hall"))
    });

    // The teacher turns: the students turn smoothly after.
    teacher.world_mut().resource_mut::<Look>().view.yaw = 40.0;
    until(&mut [&mut teacher, &mut ann, &mut bo], "the students face yaw 40", |a| {
        (yaw(a[1]) - 40.0).abs() < 0.5 && (yaw(a[2]) - 40.0).abs() < 0.5
    });
    // Bo's headset: both eyes look where the class looks.
    pump(&mut bo);
    let eyes: Vec<Vec3> = {
        let mut q = bo.world_mut().query::<(&VrEye, &Transform)>();
        q.iter(bo.world()).map(|(_, t)| t.forward().as_vec3()).collect()
    };
    assert_eq!(eyes.len(), 2, "Bo sees the class in VR, one camera per eye");
    for f in eyes {
        let eye_yaw = f.x.atan2(-f.z).to_degrees();
        assert!((eye_yaw - 40.0).abs() < 1.0, "Bo's eye faces yaw {eye_yaw}");
    }

    // Bo looks around himself: he is looking freely, the teacher's roster says so, and he no
    // longer turns with the teacher.
    // (As a drag does: the view moves, and any turn under way stops.)
    bo.world_mut().write_message(VisitorInput);
    {
        let mut look = bo.world_mut().resource_mut::<Look>();
        look.view.yaw = -100.0;
        look.target = None;
    }
    until(&mut [&mut teacher, &mut ann, &mut bo], "the roster shows Bo looking freely", |a| {
        !live(a[2]).following && live(a[0]).roster.values().any(|s| s.name == "Bo" && !s.following)
    });
    teacher.world_mut().resource_mut::<Look>().view.yaw = 80.0;
    until(&mut [&mut teacher, &mut ann, &mut bo], "Ann faces yaw 80", |a| (yaw(a[1]) - 80.0).abs() < 0.5);
    assert!(
        (yaw(&bo) + 100.0).abs() < 0.5,
        "Bo still looks where he chose: {} (following {}, target {:?})",
        yaw(&bo),
        live(&bo).following,
        bo.world().resource::<Look>().target
    );

    // Gather: Bo snaps back to the teacher's view and follows again.
    press(&mut teacher, LiveAction::Gather);
    until(&mut [&mut teacher, &mut ann, &mut bo], "Bo is gathered", |a| {
        live(a[2]).following && (yaw(a[2]) - 80.0).abs() < 0.5
    });

    // The teacher highlights the hotspot in the middle of the view (the memorial at yaw 180).
    teacher.world_mut().resource_mut::<Look>().view.yaw = 178.0;
    until(&mut [&mut teacher, &mut ann, &mut bo], "Ann faces the memorial", |a| (yaw(a[1]) - 178.0).abs() < 0.5);
    press(&mut teacher, LiveAction::Highlight);
    until(&mut [&mut teacher, &mut ann, &mut bo], "the memorial pulses for Ann", |a| {
        live(a[1]).class.highlight.as_deref() == Some("flowers")
    });
    for _ in 0..3 {
        pump(&mut ann);
    }
    let pulsing = {
        let mut q = ann.world_mut().query::<(&cloudhall::viewer::hotspots::HotspotMarker, Option<&Outline>)>();
        q.iter(ann.world()).filter(|(_, o)| o.is_some()).map(|(m, _)| m.index).collect::<Vec<_>>()
    };
    assert_eq!(pulsing, vec![2], "the memorial hotspot (index 2 of the hall) pulses");

    // Narration: the teacher goes back to the gate (which has narration) and pauses at 1.5 s.
    teacher.world_mut().write_message(GoTo { site: "alpha".into(), scene: "gate".into(), view: None });
    until(&mut [&mut teacher, &mut ann, &mut bo], "the teacher's narration runs", |a| {
        a[0].world().resource::<Playback>().track.is_some()
    });
    {
        let mut p = teacher.world_mut().resource_mut::<Playback>();
        p.clock.pause();
        p.clock.seek(1.5);
    }
    until(&mut [&mut teacher, &mut ann, &mut bo], "the students' narration is paused at 1.5 s", |a| {
        a[1..].iter().all(|app| {
            let c = app.world().resource::<Playback>().clock;
            app.world().resource::<Current>().scene == "gate" && !c.playing && (c.position - 1.5).abs() < 0.05
        })
    });

    // The teacher ends the session.
    press(&mut teacher, LiveAction::End);
    until(&mut [&mut teacher, &mut ann, &mut bo], "everyone knows it is over", |a| {
        a.iter().all(|app| live(app).over.is_some())
    });
}
