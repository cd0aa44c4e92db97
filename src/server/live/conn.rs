//! One WebSocket connection: who it is, its messages, and what they change.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::sync::{mpsc, oneshot, watch};

use super::bus::Event;
use super::{Conn, Entry, Hub, Inner, Out, Session, hash, random_hex, record, text};
use crate::live::{ClassState, ClientMsg, LiveView, Role, ServerMsg, Student, parse_client};
use crate::server::guard::token_matches;

/// A token bucket for one connection.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Send within `dead`; false when the connection is gone or stuck.
async fn send(socket: &mut WebSocket, dead: Duration, m: Message) -> bool {
    matches!(tokio::time::timeout(dead, socket.send(m)).await, Ok(Ok(())))
}

/// One WebSocket connection, from its first message to its end.
pub async fn run(hub: Arc<Hub>, session: Arc<Session>, mut socket: WebSocket) {
    let cfg = hub.cfg.clone();
    let dead = cfg.dead_after;
    let refuse = |code: &str, message: String| Message::Text(text(&ServerMsg::error(code, message)));
    // The first message says who this is.
    let first = loop {
        match tokio::time::timeout(hub.cfg.dead_after, socket.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) => break parse_client(t.as_str()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return,
        }
    };
    let conn_id = hub.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel(hub.cfg.queue);
    let (view_tx, mut view_rx) = watch::channel(None);
    let conn = Conn { role: Role::Student, tx, view: view_tx };
    let attached = match first {
        Ok(ClientMsg::Claim { token }) => match teacher_epoch(&hub, &session, &token).await {
            Ok(epoch) => attach_teacher(&hub, &session, conn_id, conn, &token, epoch),
            Err(refused) => Err(refused),
        },
        Ok(ClientMsg::Join { name, resume }) => {
            let kept = kept_state(&hub, &session).await;
            attach_student(&hub, &session, conn_id, conn, &name, resume.as_deref(), kept)
        }
        Ok(other) => Err((
            "hello_first",
            format!("the first message is `claim` (teacher) or `join` (student), not `{}`", other.kind()),
        )),
        Err((code, reason)) => Err((code, reason)),
    };
    let (role, welcome, kept) = match attached {
        Ok(a) => a,
        Err((code, reason)) => {
            let _ = send(&mut socket, dead, refuse(code, reason.clone())).await;
            let close = CloseFrame { code: 4003, reason: Utf8Bytes::from(code) };
            let _ = send(&mut socket, dead, Message::Close(Some(close))).await;
            return;
        }
    };
    if let Some(kept) = kept {
        // Shared: the teacher acts only once the others can see that the teacher is here.
        let _ = kept.await;
    }
    if !send(&mut socket, dead, Message::Text(welcome)).await {
        detach(&hub, &session, conn_id, false);
        return;
    }
    let mut bucket = Bucket { tokens: f64::from(cfg.burst), at: Instant::now() };
    let mut refused_in_a_row = 0u32;
    let mut last_heard = Instant::now();
    let mut last_ping = Instant::now();
    let mut tick = tokio::time::interval(cfg.tick.min(cfg.ping_every));
    let mut pending_view: Option<LiveView> = None;
    let mut last_view = Instant::now() - cfg.view_interval;
    let mut left = false;
    loop {
        let flush_at = tokio::time::Instant::from_std(last_view + cfg.view_interval);
        tokio::select! {
            biased;
            out = rx.recv() => match out {
                Some(Out::Text(t)) => if !send(&mut socket, dead, Message::Text(t)).await { break },
                Some(Out::Close(code, reason)) => {
                    let _ = send(&mut socket, dead, Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            changed = view_rx.changed() => {
                if changed.is_err() { break }
                let v = view_rx.borrow_and_update().clone();
                if let Some(t) = v && !send(&mut socket, dead, Message::Text(t)).await { break }
            }
            _ = tokio::time::sleep_until(flush_at), if pending_view.is_some() => {
                if let Some(v) = pending_view.take() {
                    // The slot it was held for, not the timer's (later) wake-up: lateness must
                    // not add up from view to view.
                    last_view += cfg.view_interval;
                    teacher_says(&hub, &session, conn_id, ServerMsg::View { yaw: v.yaw, pitch: v.pitch, hfov: v.hfov }).await;
                }
            }
            _ = tick.tick() => {
                if last_heard.elapsed() > cfg.dead_after {
                    tracing::info!("live {}: dropping a connection silent for {:?}", session.code, cfg.dead_after);
                    break;
                }
                if last_ping.elapsed() >= cfg.ping_every {
                    last_ping = Instant::now();
                    if !send(&mut socket, dead, Message::Ping(Default::default())).await { break }
                }
            }
            frame = socket.recv() => {
                let t = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        last_heard = Instant::now();
                        if !send(&mut socket, dead, refuse("bad_message", "messages are JSON text".into())).await { break }
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => { last_heard = Instant::now(); continue }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                };
                last_heard = Instant::now();
                let msg = match parse_client(t.as_str()) {
                    Ok(m) => m,
                    Err((code, reason)) => {
                        if !send(&mut socket, dead, refuse(code, reason)).await { break }
                        continue;
                    }
                };
                if msg.sender() != role || matches!(msg, ClientMsg::Claim { .. } | ClientMsg::Join { .. }) {
                    let why = match msg {
                        ClientMsg::Claim { .. } | ClientMsg::Join { .. } => "this connection has already said who it is".to_string(),
                        _ => format!("a {} may not send `{}`", if role == Role::Teacher { "teacher" } else { "student" }, msg.kind()),
                    };
                    if !send(&mut socket, dead, refuse("not_allowed", why)).await { break }
                    continue;
                }
                if let ClientMsg::View { yaw, pitch, hfov } = msg {
                    // Views are coalesced to one per interval; the newest wins.
                    let v = LiveView { yaw, pitch, hfov };
                    if last_view.elapsed() >= cfg.view_interval {
                        last_view = Instant::now();
                        teacher_says(&hub, &session, conn_id, ServerMsg::View { yaw, pitch, hfov }).await;
                    } else {
                        pending_view = Some(v);
                    }
                    continue;
                }
                let now = Instant::now();
                bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() / cfg.refill.as_secs_f64()).min(f64::from(cfg.burst));
                bucket.at = now;
                if bucket.tokens < 1.0 {
                    refused_in_a_row += 1;
                    if refused_in_a_row > 100 {
                        let _ = send(&mut socket, dead, Message::Close(Some(CloseFrame { code: 1008, reason: "too many messages".into() }))).await;
                        break;
                    }
                    if !send(&mut socket, dead, refuse("rate_limited", format!("at most {} messages at once, then one every {} ms", cfg.burst, cfg.refill.as_millis()))).await { break }
                    continue;
                }
                bucket.tokens -= 1.0;
                refused_in_a_row = 0;
                if let Err(why) = hub.check_ids(&session, &msg) {
                    if !send(&mut socket, dead, refuse("unknown_id", why)).await { break }
                    continue;
                }
                match msg {
                    ClientMsg::Go { site, scene, view } => {
                        pending_view = None;
                        teacher_says(&hub, &session, conn_id, ServerMsg::Go { site, scene, view }).await;
                    }
                    ClientMsg::Narration { playing, t, speed } => teacher_says(&hub, &session, conn_id, ServerMsg::Narration { playing, t, speed }).await,
                    ClientMsg::Highlight { hotspot } => teacher_says(&hub, &session, conn_id, ServerMsg::Highlight { hotspot }).await,
                    ClientMsg::Note { text } => match crate::server::guard::clean_text(&text, true) {
                        Ok(text) => teacher_says(&hub, &session, conn_id, ServerMsg::Note { text }).await,
                        Err(why) => {
                            if !send(&mut socket, dead, refuse("bad_message", format!("the note: {why}"))).await { break }
                        }
                    },
                    ClientMsg::Gather => {
                        if let Some(v) = pending_view.take() {
                            last_view = Instant::now();
                            teacher_says(&hub, &session, conn_id, ServerMsg::View { yaw: v.yaw, pitch: v.pitch, hfov: v.hfov }).await;
                        }
                        gather(&hub, &session);
                    }
                    ClientMsg::End => {
                        hub.end(&session, "the teacher ended the session", true);
                    }
                    ClientMsg::Leave => {
                        left = true;
                        break;
                    }
                    ClientMsg::Mode { following } => student_update(&hub, &session, conn_id, |s| s.following = following),
                    ClientMsg::Scene { site, scene } => student_update(&hub, &session, conn_id, |s| {
                        s.site = Some(site);
                        s.scene = Some(scene);
                    }),
                    ClientMsg::Hand { raised } => student_update(&hub, &session, conn_id, |s| s.hand = raised),
                    ClientMsg::View { .. } | ClientMsg::Claim { .. } | ClientMsg::Join { .. } => {}
                }
            }
        }
    }
    detach(&hub, &session, conn_id, left);
    let _ = socket.send(Message::Close(None)).await;
}

/// Who connected, their welcome, and (shared) word once the others can know of them.
type Attached = Result<(Role, Utf8Bytes, Option<oneshot::Receiver<()>>), (&'static str, String)>;

/// With other instances, the class state as last kept in the database (see
/// [`Inner::welcome_state`]); alone, nothing: this instance's copy is the whole truth.
async fn kept_state(hub: &Hub, session: &Session) -> Option<ClassState> {
    if !hub.shared {
        return None;
    }
    match hub.store.live_state(&session.code).await {
        Ok(Some(json)) => serde_json::from_str(&json).ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!("live {}: cannot read the kept state: {e}", session.code);
            None
        }
    }
}

/// The session's state, locked, after making sure it is the one this instance holds for its code.
fn lock_current<'a>(
    hub: &Hub,
    session: &'a Arc<Session>,
) -> Result<std::sync::MutexGuard<'a, Inner>, (&'static str, String)> {
    let mut map = hub.sessions.lock().expect("sessions");
    let inner = session.inner.lock().expect("session");
    if inner.state.ended {
        return Err(("ended", "the session has ended".into()));
    }
    match map.get(&session.code) {
        Some(held) if !Arc::ptr_eq(held, session) => {
            return Err(("retry", "the session was reloaded meanwhile; connect again".into()));
        }
        Some(_) => {}
        None => {
            map.insert(session.code.clone(), session.clone());
        }
    }
    Ok(inner)
}

/// Before a teacher connection is taken: with other instances, this copy brought up to what
/// the database keeps (the teacher may come from an instance whose changes were missed here),
/// and the connection's epoch counted in the database, so that its sequence numbers are above
/// those of every connection before it, wherever that was.
async fn teacher_epoch(hub: &Hub, session: &Session, token: &str) -> Result<u64, (&'static str, String)> {
    if !token_matches(&hash(token), &session.token_hash) {
        return Err(("wrong_token", "this is not the teacher's token for this session".into()));
    }
    if hub.shared {
        hub.resync_one(session).await;
    }
    hub.store.live_epoch(&session.code).await.map_err(|e| {
        tracing::error!("live {}: {e}", session.code);
        ("unavailable", "the session cannot be taken just now; try again in a moment".to_string())
    })
}

fn attach_teacher(hub: &Hub, session: &Arc<Session>, id: u64, mut conn: Conn, token: &str, epoch: u64) -> Attached {
    if !token_matches(&hash(token), &session.token_hash) {
        return Err(("wrong_token", "this is not the teacher's token for this session".into()));
    }
    let mut inner = lock_current(hub, session)?;
    inner.seq_floor = epoch << 32;
    conn.role = Role::Teacher;
    let mut full = Vec::new();
    if let Some(old) = inner.teacher.take()
        && let Some(c) = inner.conns.remove(&old)
    {
        let _ = c.tx.try_send(Out::Text(text(&ServerMsg::error("replaced", "the teacher connected again elsewhere"))));
        let _ = c.tx.try_send(Out::Close(4001, "replaced by a newer teacher connection".into()));
    }
    let owner = format!("{}/{id}", hub.instance);
    inner.conns.insert(id, conn);
    inner.teacher = Some(id);
    inner.teacher_owner = Some(owner.clone());
    inner.teacher_left = None;
    inner.state.teacher_connected = true;
    inner.last_activity = Instant::now();
    full.extend(inner.students(&ServerMsg::Teacher { connected: true }));
    let welcome = ServerMsg::Welcome {
        role: Role::Teacher,
        code: session.code.clone(),
        id: None,
        resume: None,
        state: inner.snapshot(),
        roster: Some(inner.roster()),
    };
    let event = Event::TeacherConn { connected: true, owner };
    let kept = if hub.shared {
        Some(hub.publish_state_kept(session, &inner, event))
    } else {
        hub.publish_state(session, &inner, Some(event));
        None
    };
    hub.drop_slow(session, &mut inner, full);
    tracing::info!("live {}: the teacher is connected", session.code);
    Ok((Role::Teacher, text(&welcome), kept))
}

fn attach_student(
    hub: &Hub,
    session: &Arc<Session>,
    id: u64,
    conn: Conn,
    name: &str,
    resume: Option<&str>,
    kept: Option<ClassState>,
) -> Attached {
    let name = crate::server::guard::clean_text(name, false)
        .map_err(|why| ("name_refused", format!("the name: {why}; choose another")))?;
    if let Some(w) = hub.words.find(&name) {
        return Err(("name_refused", format!("this name cannot be shown (it contains “{w}”); choose another")));
    }
    let mut inner = lock_current(hub, session)?;
    let returning = resume.and_then(|r| {
        let h = hash(r);
        inner.roster.iter().find(|(_, e)| token_matches(&h, &e.resume_hash)).map(|(k, _)| k.clone())
    });
    let (sid, resume_token) = match returning {
        Some(sid) => {
            // The earlier connection of this student, if still here, is replaced.
            let old = inner.roster.get_mut(&sid).and_then(|e| e.conn.take());
            if let Some(c) = old.and_then(|o| inner.conns.remove(&o)) {
                let _ = c.tx.try_send(Out::Close(4001, "replaced by a newer connection".into()));
            }
            (sid, resume.unwrap_or_default().to_string())
        }
        None => {
            let present = inner.roster.values().filter(|e| e.student.connected).count();
            if present >= hub.cfg.max_students {
                return Err(("full", format!("this session has its {} students already", hub.cfg.max_students)));
            }
            let sid = format!("s{}", random_hex(4));
            let token = random_hex(16);
            let student = Student {
                id: sid.clone(),
                name: name.clone(),
                connected: true,
                following: true,
                site: None,
                scene: None,
                hand: false,
            };
            inner.roster.insert(sid.clone(), Entry { student, resume_hash: hash(&token), conn: None, owner: None });
            (sid, token)
        }
    };
    inner.conns.insert(id, conn);
    let e = inner.roster.get_mut(&sid).expect("entry");
    e.conn = Some(id);
    e.student.connected = true;
    e.student.name = name;
    let msg = ServerMsg::Student { student: e.student.clone() };
    inner.last_activity = Instant::now();
    let full = inner.teacher(&msg);
    hub.publish_student(session, inner.roster.get(&sid), &sid);
    let welcome = ServerMsg::Welcome {
        role: Role::Student,
        code: session.code.clone(),
        id: Some(sid),
        resume: Some(resume_token),
        state: inner.welcome_state(kept),
        roster: None,
    };
    hub.drop_slow(session, &mut inner, full);
    Ok((Role::Student, text(&welcome), None))
}

fn detach(hub: &Hub, session: &Session, id: u64, left: bool) {
    let mut inner = session.inner.lock().expect("session");
    let Some(conn) = inner.conns.remove(&id) else { return };
    let full = hub.after_detach(session, &mut inner, id, conn.role, left);
    hub.drop_slow(session, &mut inner, full);
}

/// A teacher message that changes the class state.
///
/// Alone, it goes to the students here at once and to the database after. Shared with other
/// instances, it is kept in the database first and only then shown to anyone, so that a student
/// who joins on another instance the moment one here sees it finds it in the welcome (the join
/// reads the kept state). Views go at once either way: ten a second, the newest is all that
/// matters, and a view a moment old in a welcome is harmless. The teacher's connection waits
/// here, so the next message cannot overtake this one.
async fn teacher_says(hub: &Hub, session: &Session, conn: u64, msg: ServerMsg) {
    let kept = {
        let mut inner = session.inner.lock().expect("session");
        if inner.teacher != Some(conn) {
            return; // replaced meanwhile
        }
        let seq = inner.state.seq.max(inner.seq_floor) + 1;
        if !hub.shared || matches!(msg, ServerMsg::View { .. }) {
            let full = hub.class_change(&mut inner, &msg, seq);
            hub.publish_state(session, &inner, Some(Event::Class { seq, msg }));
            hub.drop_slow(session, &mut inner, full);
            return;
        }
        record(&mut inner, &msg, seq);
        hub.publish_state_kept(session, &inner, Event::Class { seq, msg: msg.clone() })
    };
    let _ = kept.await;
    let mut inner = session.inner.lock().expect("session");
    let full = inner.students(&msg);
    hub.drop_slow(session, &mut inner, full);
}

fn gather(hub: &Hub, session: &Session) {
    let mut inner = session.inner.lock().expect("session");
    inner.last_activity = Instant::now();
    let s = &inner.state;
    let msg = ServerMsg::Gather { site: s.site.clone(), scene: s.scene.clone(), view: s.view };
    let full = inner.students(&msg);
    hub.publish_state(session, &inner, Some(Event::Broadcast { msg }));
    hub.drop_slow(session, &mut inner, full);
}

fn student_update(hub: &Hub, session: &Session, conn: u64, change: impl FnOnce(&mut Student)) {
    let mut inner = session.inner.lock().expect("session");
    let Some(sid) = inner.roster.iter().find(|(_, e)| e.conn == Some(conn)).map(|(k, _)| k.clone()) else { return };
    let e = inner.roster.get_mut(&sid).expect("entry");
    let before = e.student.clone();
    change(&mut e.student);
    if e.student == before {
        return;
    }
    let msg = ServerMsg::Student { student: e.student.clone() };
    inner.last_activity = Instant::now();
    let full = inner.teacher(&msg);
    hub.publish_student(session, inner.roster.get(&sid), &sid);
    hub.drop_slow(session, &mut inner, full);
}
