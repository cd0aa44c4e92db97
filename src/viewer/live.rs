//! Live guided sessions in the viewer (docs/protocol.md).
//!
//! - `cloudhall view --server URL --guide`: the teacher. The join code is shown large enough to
//!   write on a board, with the roster and the controls; where the teacher goes and looks, and
//!   the narration, go to the class.
//! - `cloudhall view --server URL --join CODE --name NAME`: a student. The view follows the
//!   teacher's smoothly; looking around oneself switches to looking freely (the UI says so, and a
//!   button returns to the teacher); gather snaps back; highlighted hotspots pulse; narration
//!   keeps in step with the teacher's.
//!
//! The WebSocket ([`Link`]) runs on its own thread natively and on the browser's `WebSocket` in
//! the web build; both reconnect with the teacher's token or the student's resume token, and
//! the systems here only read and write channels.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::mpsc::{Sender, TryRecvError, channel};
use std::time::Duration;

use bevy::platform::time::Instant;

use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;
use bevy::ui::FocusPolicy;

use super::hotspots::{HotspotFocus, HotspotMarker, HotspotSystems};
use super::look::{Autorotate, Look, LookSystems, VisitorInput};
use super::narration::Playback;
use super::nav::{Current, GoTo, NavSystems, SceneEntered};
use super::ui::{Typing, label, update};
use super::{Settings, TourData};
#[cfg(not(target_arch = "wasm32"))]
use crate::live::ws_url;
use crate::live::{ClassState, ClientMsg, LiveJoin, LiveView, NarrationState, Role, ServerMsg, Student};
use crate::pano::{ViewState, wrap_yaw};
use crate::tour::Lang;

/// What the link thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    Connected,
    Message(ServerMsg),
    /// The connection dropped; the link tries again.
    Lost(String),
    /// The server will not have us (wrong code or token, full, ended): the link gives up.
    Refused(String),
}

/// The WebSocket to the server: on its own thread natively, on the page's `WebSocket` in the
/// browser.
#[derive(Resource)]
pub struct Link {
    #[cfg(not(target_arch = "wasm32"))]
    out: Sender<ClientMsg>,
    events: Mutex<Receiver<LinkEvent>>,
}

impl Link {
    fn drain(&self) -> Vec<LinkEvent> {
        let rx = self.events.lock().expect("link events");
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Link {
    /// Connect to session `join` on the server at `base`, and keep connecting until refused or
    /// dropped.
    pub fn open(base: &str, join: &LiveJoin) -> Link {
        let (out, out_rx) = channel();
        let (ev_tx, events) = channel();
        let url = ws_url(base, join.code());
        let join = join.clone();
        std::thread::Builder::new()
            .name("cloudhall live link".into())
            .spawn(move || link_thread(url, join, out_rx, ev_tx))
            .expect("spawn the live link thread");
        Link { out, events: Mutex::new(events) }
    }

    pub fn send(&self, msg: ClientMsg) {
        let _ = self.out.send(msg);
    }
}

/// Codes after which reconnecting cannot help.
const FATAL: &[&str] = &["wrong_token", "full", "name_refused", "ended", "hello_first"];

#[cfg(not(target_arch = "wasm32"))]
fn link_thread(url: String, join: LiveJoin, out: Receiver<ClientMsg>, events: Sender<LinkEvent>) {
    let mut resume: Option<String> = None;
    let mut backoff = Duration::from_millis(250);
    loop {
        let hello = match &join {
            LiveJoin::Guide { token, .. } => ClientMsg::Claim { token: token.clone() },
            LiveJoin::Join { name, .. } => ClientMsg::Join { name: name.clone(), resume: resume.clone() },
        };
        match session(&url, hello, &out, &events, &mut resume) {
            Ended::Quit => return,
            Ended::Refused(why) => {
                let _ = events.send(LinkEvent::Refused(why));
                return;
            }
            Ended::Lost(why, was_up) => {
                if events.send(LinkEvent::Lost(why)).is_err() {
                    return;
                }
                if was_up {
                    backoff = Duration::from_millis(250);
                }
            }
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(4));
        // Messages written while away are out of date: the state is sent again on reconnecting.
        while out.try_recv().is_ok() {}
    }
}

#[cfg(not(target_arch = "wasm32"))]
enum Ended {
    Quit,
    Refused(String),
    Lost(String, bool),
}

#[cfg(not(target_arch = "wasm32"))]
fn session(
    url: &str,
    hello: ClientMsg,
    out: &Receiver<ClientMsg>,
    events: &Sender<LinkEvent>,
    resume: &mut Option<String>,
) -> Ended {
    use tungstenite::Message;
    use tungstenite::stream::MaybeTlsStream;
    let (mut ws, _) = match tungstenite::connect(url) {
        Ok(c) => c,
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().as_ref().map(|b| String::from_utf8_lossy(b).to_string()).unwrap_or_default();
            let reason =
                crate::live::error_reason(&body).unwrap_or_else(|| format!("the server answered {}", res.status()));
            return if matches!(res.status().as_u16(), 400 | 404 | 410) {
                Ended::Refused(reason)
            } else {
                Ended::Lost(reason, false)
            };
        }
        Err(e) => return Ended::Lost(format!("cannot reach the server: {e}"), false),
    };
    if let MaybeTlsStream::Plain(s) = ws.get_mut() {
        let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
        let _ = s.set_nodelay(true);
    }
    if let Err(e) = ws.send(Message::text(hello.to_json())) {
        return Ended::Lost(e.to_string(), false);
    }
    let mut welcomed = false;
    loop {
        loop {
            match out.try_recv() {
                Ok(m) => {
                    // (After `end`, the server's `ended` closes the link.)
                    let leaving = matches!(m, ClientMsg::Leave);
                    if let Err(e) = ws.send(Message::text(m.to_json())) {
                        return Ended::Lost(e.to_string(), welcomed);
                    }
                    if leaving {
                        let _ = ws.close(None);
                        let _ = ws.flush();
                        return Ended::Quit;
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    return Ended::Quit;
                }
            }
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                let msg = match ServerMsg::parse(t.as_str()) {
                    Ok(m) => m,
                    Err(e) => {
                        warn!("live: {e}");
                        continue;
                    }
                };
                match &msg {
                    ServerMsg::Welcome { resume: r, .. } => {
                        if r.is_some() {
                            resume.clone_from(r);
                        }
                        welcomed = true;
                        if events.send(LinkEvent::Connected).is_err() {
                            return Ended::Quit;
                        }
                    }
                    ServerMsg::Error { code, message } if FATAL.contains(&code.as_str()) => {
                        return Ended::Refused(message.clone());
                    }
                    _ => {}
                }
                let ended = matches!(msg, ServerMsg::Ended { .. });
                if events.send(LinkEvent::Message(msg)).is_err() || ended {
                    return Ended::Quit;
                }
            }
            Ok(Message::Close(frame)) => {
                let why = frame.map(|f| f.reason.to_string()).filter(|r| !r.is_empty());
                return Ended::Lost(why.unwrap_or_else(|| "the server closed the connection".into()), welcomed);
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => return Ended::Lost(e.to_string(), welcomed),
        }
    }
}

/// The link in the browser: the page's `WebSocket`, with its callbacks on this (the only) thread.
#[cfg(target_arch = "wasm32")]
mod web_link {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, channel};

    use bevy::log::warn;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::{FATAL, Link, LinkEvent};
    use crate::live::{ClientMsg, LiveJoin, ServerMsg, ws_url};

    struct Socket {
        base: String,
        join: LiveJoin,
        resume: Option<String>,
        ws: Option<WebSocket>,
        events: Sender<LinkEvent>,
        backoff_ms: i32,
        welcomed: bool,
        quit: bool,
        /// The current socket's callbacks, kept alive while it is open.
        handlers: Vec<Box<dyn std::any::Any>>,
    }

    thread_local! {
        static SOCKET: RefCell<Option<Rc<RefCell<Socket>>>> = const { RefCell::new(None) };
    }

    impl Link {
        pub fn open(base: &str, join: &LiveJoin) -> Link {
            let (events, rx) = channel();
            let socket = Rc::new(RefCell::new(Socket {
                base: base.trim_end_matches('/').to_string(),
                join: join.clone(),
                resume: None,
                ws: None,
                events,
                backoff_ms: 250,
                welcomed: false,
                quit: false,
                handlers: Vec::new(),
            }));
            SOCKET.with(|s| *s.borrow_mut() = Some(socket.clone()));
            connect(&socket);
            Link { events: Mutex::new(rx) }
        }

        /// Sent at once while connected; while away, dropped (the state goes again on
        /// reconnecting), as natively.
        pub fn send(&self, msg: ClientMsg) {
            let Some(socket) = SOCKET.with(|s| s.borrow().clone()) else { return };
            let mut st = socket.borrow_mut();
            let leaving = matches!(msg, ClientMsg::Leave);
            if let Some(ws) = st.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN) {
                let _ = ws.send_with_str(&msg.to_json());
                if leaving {
                    let _ = ws.close();
                }
            }
            if leaving {
                st.quit = true;
            }
        }
    }

    fn connect(socket: &Rc<RefCell<Socket>>) {
        let url = {
            let st = socket.borrow();
            if st.quit {
                return;
            }
            // The page's origin, as ws:// or wss://.
            ws_url(&st.base, st.join.code())
        };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(e) => return lost(socket, format!("cannot open {url}: {e:?}")),
        };
        let on_open = {
            let socket = socket.clone();
            Closure::<dyn FnMut()>::new(move || {
                let st = socket.borrow();
                let hello = match &st.join {
                    LiveJoin::Guide { token, .. } => ClientMsg::Claim { token: token.clone() },
                    LiveJoin::Join { name, .. } => ClientMsg::Join { name: name.clone(), resume: st.resume.clone() },
                };
                if let Some(ws) = &st.ws {
                    let _ = ws.send_with_str(&hello.to_json());
                }
            })
        };
        let on_message = {
            let socket = socket.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let Some(text) = e.data().as_string() else { return };
                let msg = match ServerMsg::parse(&text) {
                    Ok(m) => m,
                    Err(e) => return warn!("live: {e}"),
                };
                let mut st = socket.borrow_mut();
                match &msg {
                    ServerMsg::Welcome { resume, .. } => {
                        if resume.is_some() {
                            st.resume.clone_from(resume);
                        }
                        st.welcomed = true;
                        st.backoff_ms = 250;
                        let _ = st.events.send(LinkEvent::Connected);
                    }
                    ServerMsg::Error { code, message } if FATAL.contains(&code.as_str()) => {
                        st.quit = true;
                        let _ = st.events.send(LinkEvent::Refused(message.clone()));
                        if let Some(ws) = &st.ws {
                            let _ = ws.close();
                        }
                        return;
                    }
                    ServerMsg::Ended { .. } => st.quit = true,
                    _ => {}
                }
                let _ = st.events.send(LinkEvent::Message(msg));
            })
        };
        let on_close = {
            let socket = socket.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
                let why = Some(e.reason()).filter(|r| !r.is_empty());
                lost(&socket, why.unwrap_or_else(|| "the connection to the server closed".to_string()));
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut st = socket.borrow_mut();
        st.welcomed = false;
        st.ws = Some(ws);
        st.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
    }

    /// The connection dropped (or never opened): say so, find out whether the session is still
    /// there (a browser does not show a refused handshake's answer), and try again later.
    fn lost(socket: &Rc<RefCell<Socket>>, why: String) {
        let (quit, url) = {
            let st = socket.borrow();
            (st.quit, format!("{}/api/v1/sessions/{}", st.base, st.join.code()))
        };
        if quit {
            return;
        }
        let _ = socket.borrow().events.send(LinkEvent::Lost(why));
        let socket = socket.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok((400 | 404 | 410, body)) = crate::viewer::io::request("GET", &url, None).await {
                let reason = crate::live::error_reason(&body).unwrap_or_else(|| "the session is over".to_string());
                let mut st = socket.borrow_mut();
                st.quit = true;
                let _ = st.events.send(LinkEvent::Refused(reason));
                return;
            }
            let delay = {
                let mut st = socket.borrow_mut();
                let d = st.backoff_ms;
                st.backoff_ms = (d * 2).min(4000);
                d
            };
            let again = Closure::once_into_js(move || connect(&socket));
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), delay);
            }
        });
    }
}

/// Where students join in the browser (the page's address up to the code), shown to the teacher.
#[derive(Resource, Debug, Clone)]
pub struct JoinHint(pub String);

/// This viewer's part in a live session.
#[derive(Resource, Debug, Clone)]
pub struct LiveSession {
    pub role: Role,
    pub code: String,
    pub connected: bool,
    /// Why the link is down, or refused.
    pub problem: Option<String>,
    /// Refused or ended: nothing more will come.
    pub over: Option<String>,
    /// The class state as the teacher set it.
    pub class: ClassState,
    /// When `class.narration` was heard, to run it on.
    pub narration_heard: Option<Instant>,
    /// The teacher's view of the roster.
    pub roster: BTreeMap<String, Student>,
    /// A student following the teacher's view (true) or looking freely.
    pub following: bool,
    pub hand: bool,
    /// The last note and when it came.
    pub note: Option<(String, Instant)>,
    /// A gather asked for a snap (not a smooth turn).
    snap: bool,
}

impl LiveSession {
    pub fn new(role: Role, code: &str) -> Self {
        LiveSession {
            role,
            code: code.to_string(),
            connected: false,
            problem: None,
            over: None,
            class: ClassState::default(),
            narration_heard: None,
            roster: BTreeMap::new(),
            following: true,
            hand: false,
            note: None,
            snap: false,
        }
    }

    /// The teacher's narration as it stands now.
    pub fn narration_now(&self) -> Option<NarrationState> {
        let mut n = self.class.narration?;
        if n.playing
            && let Some(at) = self.narration_heard
        {
            n.t += at.elapsed().as_secs_f64() * n.speed;
        }
        Some(n)
    }
}

/// The session to take part in.
pub struct LivePlugin {
    pub base: String,
    pub join: LiveJoin,
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LiveSystems;

impl Plugin for LivePlugin {
    fn build(&self, app: &mut App) {
        let role = match self.join {
            LiveJoin::Guide { .. } => Role::Teacher,
            LiveJoin::Join { .. } => Role::Student,
        };
        app.insert_resource(LiveSession::new(role, self.join.code()))
            .insert_resource(Link::open(&self.base, &self.join))
            .init_resource::<TeacherSent>()
            .add_systems(Startup, build_live_ui)
            .add_systems(
                Update,
                (
                    receive,
                    (follow_teacher, follow_narration).run_if(is_student),
                    (free_look, report_scene, student_buttons).run_if(is_student),
                    (lead, teacher_controls, note_typing).run_if(is_teacher),
                    pulse_highlight,
                    live_ui,
                )
                    .chain()
                    .in_set(LiveSystems)
                    .after(NavSystems)
                    .after(LookSystems)
                    .after(HotspotSystems),
            );
        // Nobody's view wanders off by itself in a session.
        if let Some(mut auto) = app.world_mut().get_resource_mut::<Autorotate>() {
            auto.enabled = false;
        }
    }
}

fn is_student(s: Res<LiveSession>) -> bool {
    s.role == Role::Student
}

fn is_teacher(s: Res<LiveSession>) -> bool {
    s.role == Role::Teacher
}

/// Apply what the server said.
fn receive(link: Res<Link>, mut live: ResMut<LiveSession>, mut auto: ResMut<Autorotate>) {
    let events = link.drain();
    if events.is_empty() {
        return;
    }
    auto.enabled = false;
    for e in events {
        match e {
            LinkEvent::Connected => {
                live.connected = true;
                live.problem = None;
            }
            LinkEvent::Lost(why) => {
                if live.connected {
                    info!("live: connection lost ({why}); reconnecting");
                }
                live.connected = false;
                live.problem = Some(why);
            }
            LinkEvent::Refused(why) => {
                warn!("live: {why}");
                live.connected = false;
                live.over = Some(why);
            }
            LinkEvent::Message(m) => apply_message(&mut live, &link, m),
        }
    }
}

fn apply_message(live: &mut LiveSession, link: &Link, m: ServerMsg) {
    match m {
        ServerMsg::Welcome { state, roster, .. } => {
            if live.role == Role::Student {
                if state.narration.is_some() {
                    live.narration_heard = Some(Instant::now());
                }
                live.class = state;
                // The server's roster entry says "following" after a reconnect; say how it is.
                link.send(ClientMsg::Mode { following: live.following });
                link.send(ClientMsg::Hand { raised: live.hand });
            } else {
                live.class.teacher_connected = true;
            }
            if let Some(r) = roster {
                live.roster = r.into_iter().map(|s| (s.id.clone(), s)).collect();
            }
        }
        ServerMsg::Go { site, scene, view } => {
            live.class.site = Some(site);
            live.class.scene = Some(scene);
            live.class.view = view;
            live.class.highlight = None;
            live.class.narration = None;
        }
        ServerMsg::View { yaw, pitch, hfov } => live.class.view = Some(LiveView { yaw, pitch, hfov }),
        ServerMsg::Narration { playing, t, speed } => {
            live.class.narration = Some(NarrationState { playing, t, speed });
            live.narration_heard = Some(Instant::now());
        }
        ServerMsg::Highlight { hotspot } => live.class.highlight = hotspot,
        ServerMsg::Gather { site, scene, view } => {
            if site.is_some() {
                live.class.site = site;
                live.class.scene = scene;
            }
            if view.is_some() {
                live.class.view = view;
            }
            live.following = true;
            live.snap = true;
            link.send(ClientMsg::Mode { following: true });
        }
        ServerMsg::Note { text } => {
            live.class.note = Some(text.clone());
            live.note = Some((text, Instant::now()));
        }
        ServerMsg::Teacher { connected } => live.class.teacher_connected = connected,
        ServerMsg::Student { student } => {
            live.roster.insert(student.id.clone(), student);
        }
        ServerMsg::Left { id } => {
            live.roster.remove(&id);
        }
        ServerMsg::Ended { reason } => {
            live.class.ended = true;
            live.connected = false;
            live.over = Some(reason);
        }
        ServerMsg::Error { code, message } => {
            warn!("live: the server refused a message ({code}): {message}");
            live.problem = Some(message);
        }
    }
}

/// Students: go where the teacher goes and turn where the teacher looks, while following.
fn follow_teacher(
    mut live: ResMut<LiveSession>,
    current: Res<Current>,
    tour: Res<TourData>,
    mut look: ResMut<Look>,
    mut go: MessageWriter<GoTo>,
    mut asked: Local<Option<(String, String)>>,
) {
    if !live.following || live.class.ended {
        return;
    }
    let (Some(site), Some(scene)) = (live.class.site.clone(), live.class.scene.clone()) else { return };
    let view = live.class.view;
    if current.site != site || current.scene != scene {
        if tour.0.site(&site).and_then(|s| s.scene(&scene)).is_none() {
            return; // not in this tour (an older copy): stay
        }
        if asked.as_ref() != Some(&(site.clone(), scene.clone())) {
            go.write(GoTo { site: site.clone(), scene: scene.clone(), view: view.map(to_view) });
            *asked = Some((site, scene));
        }
        // (Written only when set: the panel redraws on changes to the session.)
        if live.snap {
            live.snap = false;
        }
        return;
    }
    *asked = None;
    let Some(v) = view else { return };
    let target = ViewState { yaw: v.yaw, pitch: v.pitch, hfov: v.hfov };
    if live.snap {
        live.snap = false;
        let limits = look.limits;
        look.set(target, limits);
        return;
    }
    let off = wrap_yaw(look.view.yaw - target.yaw).abs()
        + (look.view.pitch - target.pitch).abs()
        + (look.view.hfov - target.hfov).abs();
    let aimed = look.target.is_some_and(|t| t == target);
    if off > 0.05 && !aimed {
        look.target = Some(target);
        look.velocity = (0.0, 0.0);
    }
}

fn to_view(v: LiveView) -> crate::tour::View {
    crate::tour::View { yaw: f64::from(v.yaw), pitch: f64::from(v.pitch), hfov: f64::from(v.hfov) }
}

/// Students: the narration runs with the teacher's (within 0.3 s).
fn follow_narration(live: Res<LiveSession>, current: Res<Current>, mut playback: ResMut<Playback>) {
    if !live.following || live.class.scene.as_deref() != Some(current.scene.as_str()) {
        return;
    }
    let Some(n) = live.narration_now() else { return };
    if playback.track.is_none() {
        return;
    }
    let clock = &mut playback.bypass_change_detection().clock;
    let mut changed = false;
    if (clock.position - n.t).abs() > 0.3 {
        clock.seek(n.t);
        changed = true;
    }
    if clock.playing != n.playing && !(n.playing && clock.ended()) {
        if n.playing {
            clock.play()
        } else {
            clock.pause()
        }
        changed = true;
    }
    if (clock.speed - n.speed).abs() > 1e-6 {
        clock.set_speed(n.speed);
        changed = true;
    }
    if changed {
        playback.set_changed();
    }
}

/// Students: looking around oneself means looking freely.
fn free_look(
    mut input: MessageReader<VisitorInput>,
    mut live: ResMut<LiveSession>,
    mut look: ResMut<Look>,
    link: Res<Link>,
) {
    if input.read().count() > 0 && live.following && !live.snap {
        live.following = false;
        look.target = None;
        link.send(ClientMsg::Mode { following: false });
    }
}

/// Students: the teacher's roster shows where each student is.
fn report_scene(mut entered: MessageReader<SceneEntered>, live: Res<LiveSession>, link: Res<Link>) {
    if let Some(e) = entered.read().last()
        && live.over.is_none()
    {
        link.send(ClientMsg::Scene { site: e.site.clone(), scene: e.scene.clone() });
    }
}

/// What the live UI's buttons do.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveAction {
    BackToTeacher,
    RaiseHand,
    Gather,
    Highlight,
    Note,
    End,
}

fn student_buttons(
    pressed: Query<(&Interaction, &LiveAction), Changed<Interaction>>,
    mut live: ResMut<LiveSession>,
    link: Res<Link>,
) {
    for (i, a) in &pressed {
        if *i != Interaction::Pressed {
            continue;
        }
        match a {
            LiveAction::BackToTeacher => {
                live.following = true;
                link.send(ClientMsg::Mode { following: true });
            }
            LiveAction::RaiseHand => {
                live.hand = !live.hand;
                link.send(ClientMsg::Hand { raised: live.hand });
            }
            _ => {}
        }
    }
}

/// What the teacher last sent, so only changes go out.
#[derive(Resource, Default)]
pub struct TeacherSent {
    view: Option<ViewState>,
    view_at: Option<Instant>,
    narration: Option<(NarrationState, Instant)>,
    /// The note being typed, while typing.
    pub draft: Option<String>,
}

/// The teacher: scene changes, the view (at most 10 a second) and the narration go to the class.
fn lead(
    mut entered: MessageReader<SceneEntered>,
    mut live: ResMut<LiveSession>,
    look: Res<Look>,
    playback: Res<Playback>,
    current: Res<Current>,
    link: Res<Link>,
    mut sent: ResMut<TeacherSent>,
    mut was_connected: Local<bool>,
) {
    let reconnected = live.connected && !*was_connected;
    *was_connected = live.connected;
    let moved = entered.read().last().is_some();
    if !live.connected {
        return;
    }
    let now = Instant::now();
    if moved || reconnected {
        let v = LiveView { yaw: look.view.yaw, pitch: look.view.pitch, hfov: look.view.hfov };
        link.send(ClientMsg::Go { site: current.site.clone(), scene: current.scene.clone(), view: Some(v) });
        live.class.site = Some(current.site.clone());
        live.class.scene = Some(current.scene.clone());
        live.class.highlight = None;
        sent.view = Some(look.view);
        sent.view_at = Some(now);
        sent.narration = None;
    } else if sent.view.is_none_or(|v| {
        wrap_yaw(v.yaw - look.view.yaw).abs() + (v.pitch - look.view.pitch).abs() + (v.hfov - look.view.hfov).abs()
            > 0.01
    }) && sent.view_at.is_none_or(|t| now - t >= Duration::from_millis(100))
    {
        link.send(ClientMsg::View { yaw: look.view.yaw, pitch: look.view.pitch, hfov: look.view.hfov });
        sent.view = Some(look.view);
        sent.view_at = Some(now);
    }
    if playback.track.is_some() {
        let c = playback.clock;
        let n = NarrationState { playing: c.playing, t: c.position, speed: c.speed };
        let due = match sent.narration {
            None => true,
            Some((was, at)) => {
                let expected = was.t + if was.playing { at.elapsed().as_secs_f64() * was.speed } else { 0.0 };
                was.playing != n.playing
                    || (was.speed - n.speed).abs() > 1e-6
                    || (expected - n.t).abs() > 0.5
                    // While playing, a reminder now and then keeps everyone in step.
                    || (n.playing && at.elapsed() > Duration::from_secs(10))
            }
        };
        if due {
            link.send(ClientMsg::Narration { playing: n.playing, t: n.t, speed: n.speed });
            sent.narration = Some((n, now));
        }
    }
}

/// The teacher's controls: buttons, and H (highlight), G (gather) on the keyboard.
#[allow(clippy::too_many_arguments)]
fn teacher_controls(
    pressed: Query<(&Interaction, &LiveAction), Changed<Interaction>>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    mut typing: ResMut<Typing>,
    mut live: ResMut<LiveSession>,
    link: Res<Link>,
    tour: Res<TourData>,
    current: Res<Current>,
    focus: Res<HotspotFocus>,
    look: Res<Look>,
    mut sent: ResMut<TeacherSent>,
) {
    let mut actions: Vec<LiveAction> =
        pressed.iter().filter(|(i, _)| **i == Interaction::Pressed).map(|(_, a)| *a).collect();
    if let Some(k) = keys
        && !typing.0
    {
        if k.just_pressed(KeyCode::KeyH) {
            actions.push(LiveAction::Highlight);
        }
        if k.just_pressed(KeyCode::KeyG) {
            actions.push(LiveAction::Gather);
        }
    }
    for a in actions {
        match a {
            LiveAction::Gather => link.send(ClientMsg::Gather),
            LiveAction::Highlight => {
                let Some(scene) = current.scene(&tour) else { continue };
                // The focused or hovered hotspot, else the one nearest the middle of the view.
                let index = focus.focused.or(focus.hovered).or_else(|| {
                    scene
                        .hotspots
                        .iter()
                        .enumerate()
                        .map(|(i, h)| {
                            let d =
                                wrap_yaw(h.yaw as f32 - look.view.yaw).abs() + (h.pitch as f32 - look.view.pitch).abs();
                            (i, d)
                        })
                        .filter(|(_, d)| *d < look.view.hfov)
                        .min_by(|a, b| a.1.total_cmp(&b.1))
                        .map(|(i, _)| i)
                });
                let id = index.and_then(|i| scene.hotspots.get(i)).map(|h| h.id.clone());
                let next = if id.is_some() && id == live.class.highlight { None } else { id };
                live.class.highlight = next.clone();
                link.send(ClientMsg::Highlight { hotspot: next });
            }
            LiveAction::Note => {
                sent.draft = Some(String::new());
                typing.0 = true;
            }
            LiveAction::End => link.send(ClientMsg::End),
            _ => {}
        }
    }
}

/// The teacher types a note: Enter sends it, Escape drops it.
fn note_typing(
    mut typed: MessageReader<KeyboardInput>,
    mut sent: ResMut<TeacherSent>,
    mut typing: ResMut<Typing>,
    mut live: ResMut<LiveSession>,
    link: Res<Link>,
) {
    let Some(mut draft) = sent.draft.clone() else {
        typed.clear();
        return;
    };
    let mut done = None;
    for k in typed.read() {
        if !k.state.is_pressed() {
            continue;
        }
        match &k.logical_key {
            Key::Backspace => {
                draft.pop();
            }
            Key::Escape => done = Some(false),
            Key::Enter => done = Some(true),
            _ => {
                if let Some(t) = &k.text
                    && draft.chars().count() < crate::live::NOTE_LIMIT
                {
                    draft.extend(t.chars().filter(|c| !c.is_control()));
                }
            }
        }
    }
    match done {
        Some(send) => {
            if send && !draft.trim().is_empty() {
                link.send(ClientMsg::Note { text: draft.trim().to_string() });
                live.note = Some((draft.trim().to_string(), Instant::now()));
            }
            sent.draft = None;
            typing.0 = false;
        }
        None => sent.draft = Some(draft),
    }
}

/// The highlighted hotspot pulses.
fn pulse_highlight(
    mut commands: Commands,
    time: Res<Time>,
    live: Res<LiveSession>,
    tour: Res<TourData>,
    current: Res<Current>,
    markers: Query<(Entity, &HotspotMarker, Option<&Outline>)>,
) {
    let scene = current.scene(&tour);
    let lit = live.class.highlight.as_deref().filter(|_| live.class.scene.as_deref() == Some(current.scene.as_str()));
    let phase = (time.elapsed_secs() * std::f32::consts::TAU / 1.2).sin() * 0.5 + 0.5;
    for (e, m, outline) in &markers {
        let id = scene.and_then(|s| s.hotspots.get(m.index)).map(|h| h.id.as_str());
        if lit.is_some() && id == lit {
            commands.entity(e).insert(Outline {
                width: Val::Px(3.0 + 7.0 * phase),
                offset: Val::Px(2.0 + 6.0 * phase),
                color: Color::srgba(1.0, 0.82, 0.2, 1.0 - 0.6 * phase),
            });
        } else if outline.is_some() {
            commands.entity(e).remove::<Outline>();
        }
    }
}

#[derive(Component)]
struct CodeText;
#[derive(Component)]
struct StatusText;
#[derive(Component)]
struct RosterText;
#[derive(Component)]
struct NoteText;
#[derive(Component)]
struct ButtonLabel(LiveAction);
#[derive(Component)]
struct FollowBanner;

const BG: Color = Color::srgba(0.08, 0.08, 0.10, 0.88);
const GOLD: Color = Color::srgb(0.96, 0.84, 0.48);

fn live_button(action: LiveAction) -> impl Bundle {
    (
        Button,
        action,
        Node {
            padding: UiRect::axes(Val::Px(16.0), Val::Px(10.0)),
            margin: UiRect::all(Val::Px(4.0)),
            min_width: Val::Px(44.0),
            min_height: Val::Px(44.0),
            border_radius: BorderRadius::all(Val::Px(6.0)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(Color::srgb(0.55, 0.12, 0.12)),
    )
}

fn build_live_ui(mut commands: Commands, live: Res<LiveSession>, hint: Option<Res<JoinHint>>) {
    let teacher = live.role == Role::Teacher;
    commands
        .spawn((
            Name::new("live session"),
            Node {
                // Left, under the site's name: the top right has the tour's buttons and the plan.
                position_type: PositionType::Absolute,
                left: Val::Px(12.0),
                top: Val::Px(96.0),
                width: Val::Px(if teacher { 360.0 } else { 320.0 }),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(12.0)),
                border_radius: BorderRadius::all(Val::Px(8.0)),
                ..default()
            },
            BackgroundColor(BG),
            Interaction::default(),
            FocusPolicy::Block,
            GlobalZIndex(20),
        ))
        .with_children(|p| {
            if teacher {
                p.spawn((label("", 20.0, Color::WHITE), StatusText));
                // Large enough to copy onto a board from the back of the room.
                p.spawn((label(spaced(&live.code), 72.0, GOLD), CodeText));
                if let Some(h) = &hint {
                    p.spawn(label(format!("{}{}", h.0, live.code), 15.0, Color::srgb(0.9, 0.9, 0.9)));
                }
                p.spawn(Node { flex_direction: FlexDirection::Row, flex_wrap: FlexWrap::Wrap, ..default() })
                    .with_children(|row| {
                        for a in [LiveAction::Gather, LiveAction::Highlight, LiveAction::Note, LiveAction::End] {
                            row.spawn(live_button(a)).with_child((label("", 18.0, Color::WHITE), ButtonLabel(a)));
                        }
                    });
                p.spawn((label("", 16.0, Color::srgb(0.9, 0.9, 0.9)), RosterText));
            } else {
                p.spawn((label("", 18.0, Color::WHITE), StatusText));
                p.spawn((label("", 22.0, GOLD), FollowBanner));
                p.spawn(Node { flex_direction: FlexDirection::Row, flex_wrap: FlexWrap::Wrap, ..default() })
                    .with_children(|row| {
                        for a in [LiveAction::BackToTeacher, LiveAction::RaiseHand] {
                            row.spawn(live_button(a)).with_child((label("", 18.0, Color::WHITE), ButtonLabel(a)));
                        }
                    });
            }
            p.spawn((label("", 18.0, Color::srgb(1.0, 0.95, 0.8)), NoteText));
        });
}

/// `123456` as `123 456`, easier to read from afar.
fn spaced(code: &str) -> String {
    if code.len() == 6 { format!("{} {}", &code[..3], &code[3..]) } else { code.to_string() }
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::Zh { zh.to_string() } else { en.to_string() }
}

/// The words of the live panel.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn live_ui(
    live: Res<LiveSession>,
    settings: Res<Settings>,
    tour: Res<TourData>,
    sent: Res<TeacherSent>,
    mut texts: Query<(
        &mut Text,
        Option<&CodeText>,
        Option<&StatusText>,
        Option<&RosterText>,
        Option<&NoteText>,
        Option<&ButtonLabel>,
        Option<&FollowBanner>,
    )>,
    mut buttons: Query<(&LiveAction, &mut Node)>,
) {
    // Words change with the session, the language or the note being typed; a note shown goes
    // after 30 s.
    let note_shown = live.note.as_ref().is_some_and(|(_, at)| at.elapsed() < Duration::from_secs(31));
    if !live.is_changed() && !settings.is_changed() && !sent.is_changed() && !note_shown {
        return;
    }
    let lang = settings.lang;
    let scene_name = |site: &Option<String>, scene: &Option<String>| -> String {
        match (site, scene) {
            (Some(a), Some(b)) => {
                tour.0.site(a).and_then(|s| s.scene(b)).map_or(b.clone(), |s| s.name.get(lang).to_string())
            }
            _ => "—".into(),
        }
    };
    let status = if let Some(over) = &live.over {
        pick(lang, &format!("课堂已结束：{over}"), &format!("The session is over: {over}"))
    } else if !live.connected {
        let why = live.problem.clone().unwrap_or_default();
        pick(lang, &format!("正在连接… {why}"), &format!("Connecting… {why}"))
    } else if live.role == Role::Teacher {
        let n = live.roster.values().filter(|s| s.connected).count();
        pick(lang, &format!("课堂码 · {n} 名学生在线"), &format!("Class code · {n} students online"))
    } else if !live.class.teacher_connected {
        pick(lang, "老师暂时离线，请稍候", "The teacher is away for a moment; please wait")
    } else {
        pick(
            lang,
            &format!("课堂 {} · 老师在：{}", live.code, scene_name(&live.class.site, &live.class.scene)),
            &format!("Class {} · the teacher is at: {}", live.code, scene_name(&live.class.site, &live.class.scene)),
        )
    };
    let note = match (&sent.draft, &live.note) {
        (Some(d), _) => {
            pick(lang, &format!("留言：{d}|（回车发送，Esc 取消）"), &format!("Note: {d}| (Enter sends, Esc cancels)"))
        }
        (None, Some((text, at))) if at.elapsed() < Duration::from_secs(30) => {
            pick(lang, &format!("老师留言：{text}"), &format!("Teacher's note: {text}"))
        }
        _ => String::new(),
    };
    let roster = {
        let mut lines = Vec::new();
        let mut students: Vec<&Student> = live.roster.values().collect();
        // Raised hands first, then present, then by name.
        students.sort_by(|a, b| (!a.hand, !a.connected, &a.name).cmp(&(!b.hand, !b.connected, &b.name)));
        for s in students.iter().take(14) {
            let mode = if !s.connected {
                pick(lang, "离线", "away")
            } else if s.following {
                pick(lang, "跟随", "following")
            } else {
                pick(lang, "自由", "free")
            };
            // (The bundled font has no emoji.)
            let hand = if s.hand { pick(lang, " · 举手", " · hand up") } else { String::new() };
            let dot = if s.connected { "●" } else { "○" };
            lines.push(format!("{dot} {}{hand} · {mode} · {}", s.name, scene_name(&s.site, &s.scene)));
        }
        if students.len() > 14 {
            lines.push(pick(
                lang,
                &format!("……另有 {} 人", students.len() - 14),
                &format!("… and {} more", students.len() - 14),
            ));
        }
        if students.is_empty() {
            lines.push(pick(lang, "还没有学生加入", "No students yet"));
        }
        lines.join("\n")
    };
    let banner = if live.following {
        pick(lang, "正在跟随老师的视角", "Following the teacher's view")
    } else {
        pick(lang, "自由观看中", "Looking freely")
    };
    for (mut t, code, st, ro, no, bl, fb) in &mut texts {
        let want = if code.is_some() {
            spaced(&live.code)
        } else if st.is_some() {
            status.clone()
        } else if ro.is_some() {
            roster.clone()
        } else if no.is_some() {
            note.clone()
        } else if let Some(b) = bl {
            match b.0 {
                LiveAction::BackToTeacher => pick(lang, "回到老师视角", "Back to the teacher"),
                LiveAction::RaiseHand => {
                    if live.hand {
                        pick(lang, "放下手", "Lower hand")
                    } else {
                        pick(lang, "举手", "Raise hand")
                    }
                }
                LiveAction::Gather => pick(lang, "集合", "Gather"),
                LiveAction::Highlight => pick(lang, "高亮热点 (H)", "Highlight (H)"),
                LiveAction::Note => pick(lang, "留言", "Note"),
                LiveAction::End => pick(lang, "结束课堂", "End session"),
            }
        } else if fb.is_some() {
            banner.clone()
        } else {
            continue;
        };
        if t.0 != want {
            t.0 = want;
        }
    }
    for (a, mut node) in &mut buttons {
        let shown = match a {
            LiveAction::BackToTeacher => !live.following && live.over.is_none(),
            _ => live.over.is_none(),
        };
        update(&mut node, |n| &mut n.display, if shown { Display::Flex } else { Display::None });
    }
}

/// `POST /api/v1/sessions` on the server at `base`: the new session's code and teacher token.
#[cfg(not(target_arch = "wasm32"))]
pub fn create_session(base: &str) -> Result<(String, String), String> {
    let url = format!("{}/api/v1/sessions", base.trim_end_matches('/'));
    let v: serde_json::Value = match ureq::post(&url).call() {
        Ok(r) => r.into_json().map_err(|e| format!("unreadable answer from {url}: {e}"))?,
        Err(ureq::Error::Status(code, r)) => {
            let why = r.into_string().ok().and_then(|b| crate::live::error_reason(&b));
            return Err(format!("the server refused a new session ({code}): {}", why.unwrap_or_default()));
        }
        Err(e) => return Err(format!("cannot reach {url}: {e}")),
    };
    match (v["code"].as_str(), v["teacher_token"].as_str()) {
        (Some(c), Some(t)) => Ok((c.to_string(), t.to_string())),
        _ => Err(format!("unexpected answer from {url}: {v}")),
    }
}

/// `GET /api/v1/sessions/{code}`: where the class is, or why it cannot be joined.
#[cfg(not(target_arch = "wasm32"))]
pub fn session_info(base: &str, code: &str) -> Result<serde_json::Value, String> {
    let url = format!("{}/api/v1/sessions/{code}", base.trim_end_matches('/'));
    match ureq::get(&url).call() {
        Ok(r) => r.into_json().map_err(|e| format!("unreadable answer from {url}: {e}")),
        Err(ureq::Error::Status(_, r)) => Err(r
            .into_string()
            .ok()
            .and_then(|b| crate::live::error_reason(&b))
            .unwrap_or_else(|| format!("no session {code}"))),
        Err(e) => Err(format!("cannot reach {url}: {e}")),
    }
}
