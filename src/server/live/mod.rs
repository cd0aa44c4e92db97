//! Live guided sessions: a teacher leads a class through the halls over WebSockets
//! (docs/protocol.md).
//!
//! Each session keeps the class state (scene, view, narration, highlight, note) and the roster,
//! so a student who joins late or reconnects gets it at once. Every connection has its own
//! bounded queue, filled without waiting: view updates overwrite one another (a slow student
//! only misses views), and a student whose queue of scene changes overflows is disconnected and
//! catches up on reconnecting. Nobody waits for the slowest.
//!
//! With PostgreSQL, several server instances share sessions: every change is written to
//! `live_sessions`/`live_students` and announced with `NOTIFY cloudhall_live` in the same
//! transaction; instances LISTEN and apply what the others announce to their own copy and their
//! own connections. What keeps them agreeing when something goes wrong:
//! - sequence numbers have a high part counted in the database at each teacher connection, so
//!   a teacher who moves to another instance never reuses a number the others would drop;
//! - an instance whose LISTEN connection comes back, and one a teacher connects to, reloads
//!   the kept state of its sessions (it may have missed announcements), and one about to end a
//!   class for its absent teacher asks the database first;
//! - every instance renews a lease in `live_instances`; the teacher and students held by an
//!   instance whose lease ran out (it crashed) are counted away instead of present forever.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot, watch};

use super::guard::WordList;
use super::store::{LiveWrite, Store, now_secs};
use crate::live::{ClassState, ClientMsg, LiveView, NarrationState, Role, ServerMsg, Student};

mod bus;
mod conn;

pub use bus::CHANNEL;
use bus::{Event, Outbox, lease_keeper, listener, outbox_writer};
pub use conn::run;

/// Limits and timings of live sessions.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Students per session.
    pub max_students: usize,
    /// How often the server pings every connection.
    pub ping_every: Duration,
    /// A connection silent this long (no message, no pong) is dropped.
    pub dead_after: Duration,
    /// How long a teacher who lost the connection may reclaim the session.
    pub teacher_grace: Duration,
    /// A session with no message this long ends.
    pub idle_expiry: Duration,
    /// Messages (other than views) waiting for one connection before it is dropped as too slow.
    pub queue: usize,
    /// The teacher's view goes out at most once in this interval (10 a second).
    pub view_interval: Duration,
    /// How often timeouts are checked.
    pub tick: Duration,
    /// Messages a connection may send at once, and then one every `refill` (views excepted:
    /// they are coalesced instead).
    pub burst: u32,
    pub refill: Duration,
    /// An instance that has not renewed its lease for this long is taken for dead, with the
    /// connections it held (shared sessions only; renewed three times as often).
    pub lease: Duration,
    /// Where to LISTEN, when not through the database URL: a connection pooler in transaction
    /// mode (PgBouncer's) cannot hold a LISTEN, so it goes straight to PostgreSQL.
    pub listen_url: Option<String>,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            max_students: 200,
            ping_every: Duration::from_secs(5),
            dead_after: Duration::from_secs(14),
            teacher_grace: Duration::from_secs(300),
            idle_expiry: Duration::from_secs(2 * 3600),
            queue: 256,
            view_interval: Duration::from_millis(100),
            tick: Duration::from_secs(1),
            burst: 30,
            refill: Duration::from_millis(100),
            lease: Duration::from_secs(15),
            listen_url: None,
        }
    }
}

/// What one connection is sent.
enum Out {
    Text(Utf8Bytes),
    Close(u16, String),
}

struct Conn {
    role: Role,
    tx: mpsc::Sender<Out>,
    /// The newest view not yet sent; a newer one replaces it.
    view: watch::Sender<Option<Utf8Bytes>>,
}

struct Entry {
    student: Student,
    resume_hash: String,
    /// This instance's connection of this student, if here.
    conn: Option<u64>,
    /// The instance holding the student's connection, when another one does.
    owner: Option<String>,
}

struct Inner {
    state: ClassState,
    /// When the narration position in `state` was true.
    narration_at: Instant,
    roster: BTreeMap<String, Entry>,
    conns: HashMap<u64, Conn>,
    /// This instance's teacher connection.
    teacher: Option<u64>,
    /// Which connection, of which instance, is the teacher's (`instance/conn`).
    teacher_owner: Option<String>,
    teacher_left: Option<Instant>,
    last_activity: Instant,
    /// Sequence numbers of this instance's teacher connection start above this (its epoch,
    /// counted in the database, in the high 32 bits).
    seq_floor: u64,
}

pub struct Session {
    pub code: String,
    token_hash: String,
    inner: Mutex<Inner>,
}

impl Session {
    /// What anyone with the code may know: where the class is and how many are in it.
    pub fn summary(&self) -> serde_json::Value {
        let inner = self.inner.lock().expect("session");
        serde_json::json!({
            "code": self.code,
            "site": inner.state.site,
            "scene": inner.state.scene,
            "teacher_connected": inner.state.teacher_connected,
            "students": inner.roster.values().filter(|e| e.student.connected).count(),
        })
    }
}

/// Why a session cannot be joined.
#[derive(Debug, Clone, PartialEq)]
pub enum Unavailable {
    NoSuchCode,
    Ended,
    Failed(String),
}

/// The tour's scenes, `(site, scene)`, with their hotspot ids: what a teacher may show.
pub type Known = HashMap<(String, String), Vec<String>>;

/// The scenes and hotspots of a tour.
pub fn known(tour: &crate::tour::Tour) -> Known {
    tour.sites
        .iter()
        .flat_map(|site| {
            site.scenes.iter().map(move |scene| {
                ((site.id.clone(), scene.id.clone()), scene.hotspots.iter().map(|h| h.id.clone()).collect())
            })
        })
        .collect()
}

pub struct Hub {
    pub cfg: LiveConfig,
    store: Store,
    words: WordList,
    /// Replaced when the studio publishes, so running classes can go to the new scenes.
    known: std::sync::RwLock<Known>,
    /// This instance's name on the bus.
    instance: String,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// Sessions that ended here lately: refused even before the database says so.
    ended: Mutex<HashMap<String, Instant>>,
    /// Events for sessions being loaded (with the instance that sent each), applied once they are.
    loading: Mutex<HashMap<String, Vec<(String, Event)>>>,
    next_conn: AtomicU64,
    outbox: mpsc::UnboundedSender<Outbox>,
    /// PostgreSQL: other instances share the sessions.
    shared: bool,
    /// This hub, for the tasks it starts.
    me: std::sync::Weak<Hub>,
    /// The instances whose leases were current when last read (None before the first read).
    alive: Mutex<Option<std::collections::HashSet<String>>>,
    /// Deliveries of the teacher's views, for /metrics.
    pub delivered: AtomicU64,
}

fn hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// Random hex from the operating system.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).expect("the operating system's random numbers");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_code() -> String {
    let mut buf = [0u8; 8];
    getrandom::getrandom(&mut buf).expect("the operating system's random numbers");
    let n = u64::from_le_bytes(buf) % 10u64.pow(crate::live::CODE_DIGITS as u32);
    format!("{n:0width$}", width = crate::live::CODE_DIGITS)
}

fn text(msg: &ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(msg.to_json())
}

/// Change the class state as a teacher message says.
fn apply(state: &mut ClassState, msg: &ServerMsg) {
    match msg {
        ServerMsg::Go { site, scene, view } => {
            state.site = Some(site.clone());
            state.scene = Some(scene.clone());
            state.view = *view;
            state.highlight = None;
            state.narration = None;
        }
        ServerMsg::View { yaw, pitch, hfov } => state.view = Some(LiveView { yaw: *yaw, pitch: *pitch, hfov: *hfov }),
        ServerMsg::Narration { playing, t, speed } => {
            state.narration = Some(NarrationState { playing: *playing, t: *t, speed: *speed });
        }
        ServerMsg::Highlight { hotspot } => state.highlight = hotspot.clone(),
        ServerMsg::Note { text } => state.note = Some(text.clone()),
        _ => {}
    }
}

/// A teacher message (numbered `seq`) in the class state, without telling anyone yet.
fn record(inner: &mut Inner, msg: &ServerMsg, seq: u64) {
    apply(&mut inner.state, msg);
    inner.state.seq = seq;
    inner.last_activity = Instant::now();
    if matches!(msg, ServerMsg::Narration { .. }) {
        inner.narration_at = Instant::now();
    }
}

impl Inner {
    /// The state now, with the narration position moved on while it plays.
    fn snapshot(&self) -> ClassState {
        let mut s = self.state.clone();
        if let Some(n) = s.narration.as_mut().filter(|n| n.playing) {
            n.t += self.narration_at.elapsed().as_secs_f64() * n.speed;
        }
        s
    }

    /// What a student joining now is told, given the state another instance last kept in the
    /// database. Another instance writes there before it tells anyone, so the database can be
    /// ahead of this copy (which hears of it a moment later); it is never behind it, except in
    /// what this instance's own teacher did.
    fn welcome_state(&self, kept: Option<ClassState>) -> ClassState {
        let mut s = self.snapshot();
        if let Some(k) = kept
            && self.teacher.is_none()
        {
            if k.seq > s.seq {
                s = k;
            } else if k.seq == s.seq {
                s.teacher_connected = k.teacher_connected;
            }
        }
        s
    }

    fn roster(&self) -> Vec<Student> {
        self.roster.values().map(|e| e.student.clone()).collect()
    }

    /// Queue a message for some connections without waiting; those whose queue is full are
    /// returned, to be dropped.
    fn send_to(&self, text: &Utf8Bytes, to: impl Fn(&Conn) -> bool) -> Vec<u64> {
        let mut full = Vec::new();
        for (id, c) in &self.conns {
            if to(c) && c.tx.try_send(Out::Text(text.clone())).is_err() {
                full.push(*id);
            }
        }
        full
    }

    fn students(&self, msg: &ServerMsg) -> Vec<u64> {
        self.send_to(&text(msg), |c| c.role == Role::Student)
    }

    fn teacher(&self, msg: &ServerMsg) -> Vec<u64> {
        self.send_to(&text(msg), |c| c.role == Role::Teacher)
    }

    /// The newest view for every student; an older one not yet sent is replaced.
    fn view_to_students(&self, msg: &ServerMsg) -> u64 {
        let t = text(msg);
        let mut n = 0;
        for c in self.conns.values().filter(|c| c.role == Role::Student) {
            c.view.send_replace(Some(t.clone()));
            n += 1;
        }
        n
    }

    fn teacher_left_at(&self) -> Option<i64> {
        self.teacher_left.map(|t| now_secs() - t.elapsed().as_secs() as i64)
    }
}

impl Hub {
    /// The hub for `store`; on PostgreSQL it listens for the other instances.
    pub fn new(store: Store, words: WordList, known: Known, cfg: LiveConfig) -> Arc<Hub> {
        let (outbox, rx) = mpsc::unbounded_channel();
        let shared = store.backend == "postgres";
        let hub = Arc::new_cyclic(|me| Hub {
            me: me.clone(),
            cfg,
            store,
            words,
            known: std::sync::RwLock::new(known),
            instance: random_hex(6),
            sessions: Mutex::new(HashMap::new()),
            ended: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            outbox,
            shared,
            alive: Mutex::new(None),
            delivered: AtomicU64::new(0),
        });
        tokio::spawn(outbox_writer(Arc::downgrade(&hub), rx));
        tokio::spawn(sweeper(Arc::downgrade(&hub)));
        if shared {
            let url = hub.cfg.listen_url.clone().unwrap_or_else(|| hub.store.url.clone());
            tokio::spawn(listener(Arc::downgrade(&hub), url));
            tokio::spawn(lease_keeper(Arc::downgrade(&hub)));
        }
        hub
    }

    /// The tour changed (a publish from the studio): teachers may show its scenes from now on.
    pub fn set_known(&self, known: Known) {
        *self.known.write().unwrap_or_else(|e| e.into_inner()) = known;
    }

    /// Scenes and hotspots named in a message must be in the tour.
    fn check_ids(&self, session: &Session, msg: &ClientMsg) -> Result<(), String> {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        match msg {
            ClientMsg::Go { site, scene, .. } | ClientMsg::Scene { site, scene }
                if !known.contains_key(&(site.clone(), scene.clone())) =>
            {
                Err(format!("there is no scene `{scene}` in site `{site}` in this tour"))
            }
            ClientMsg::Highlight { hotspot: Some(h) } => {
                let inner = session.inner.lock().expect("session");
                let (Some(site), Some(scene)) = (inner.state.site.clone(), inner.state.scene.clone()) else {
                    return Err("go to a scene before highlighting one of its hotspots".into());
                };
                match known.get(&(site, scene.clone())) {
                    Some(ids) if ids.contains(h) => Ok(()),
                    _ => Err(format!("scene `{scene}` has no hotspot `{h}`")),
                }
            }
            _ => Ok(()),
        }
    }

    /// This instance's name among the others (on the bus, in leases).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Sessions with connections on this instance.
    pub fn active(&self) -> usize {
        self.sessions.lock().expect("sessions").len()
    }

    /// Start a session: its code and the teacher's token.
    pub async fn create(&self) -> Result<(String, String), String> {
        let token = random_hex(24);
        let state = serde_json::to_string(&ClassState::default()).unwrap_or_default();
        // Codes of sessions untouched for a day are free again.
        let stale = now_secs() - (self.cfg.idle_expiry.as_secs() as i64).max(86_400);
        for _ in 0..20 {
            let code = random_code();
            if self.store.live_create(&code, &hash(&token), &state, stale).await? {
                self.ended.lock().expect("ended").remove(&code);
                return Ok((code, token));
            }
        }
        Err("no free session code; try again".into())
    }

    /// The session with this code, loaded from the database if this instance has not got it.
    pub async fn find(&self, code: &str) -> Result<Arc<Session>, Unavailable> {
        if let Some(s) = self.sessions.lock().expect("sessions").get(code) {
            return Ok(s.clone());
        }
        if self.ended.lock().expect("ended").contains_key(code) {
            return Err(Unavailable::Ended);
        }
        // Announcements for this code from now on are kept until it is loaded.
        self.loading.lock().expect("loading").entry(code.to_string()).or_default();
        let loaded = self.store.live_load(code).await;
        let mut pending = self.loading.lock().expect("loading").remove(code).unwrap_or_default();
        let row = match loaded {
            Ok(Some(row)) => row,
            Ok(None) => return Err(Unavailable::NoSuchCode),
            Err(e) => return Err(Unavailable::Failed(e)),
        };
        let now = now_secs();
        let gone_teacher = row.teacher_left_at.is_some_and(|t| now - t > self.cfg.teacher_grace.as_secs() as i64);
        let idle = now - row.updated_at > self.cfg.idle_expiry.as_secs() as i64;
        if row.ended || gone_teacher || idle {
            return Err(Unavailable::Ended);
        }
        let mut state: ClassState = serde_json::from_str(&row.state).unwrap_or_default();
        if !self.shared {
            // Alone: nobody else holds the teacher's connection.
            state.teacher_connected = false;
        }
        let mut roster = BTreeMap::new();
        for s in row.students {
            if let Ok(mut student) = serde_json::from_str::<Student>(&s.data) {
                if !self.shared {
                    student.connected = false;
                }
                let owner = s.owner.filter(|_| student.connected);
                roster.insert(student.id.clone(), Entry { student, resume_hash: s.resume_hash, conn: None, owner });
            }
        }
        let teacher_owner = row.teacher_owner.filter(|_| self.shared && state.teacher_connected);
        let teacher_left = (!state.teacher_connected).then(|| {
            let away = row.teacher_left_at.map_or(0, |t| (now - t).max(0) as u64);
            Instant::now().checked_sub(Duration::from_secs(away)).unwrap_or_else(Instant::now)
        });
        let session = Arc::new(Session {
            code: row.code,
            token_hash: row.token_hash,
            inner: Mutex::new(Inner {
                state,
                narration_at: Instant::now(),
                roster,
                conns: HashMap::new(),
                teacher: None,
                teacher_owner,
                teacher_left,
                last_activity: Instant::now(),
                seq_floor: 0,
            }),
        });
        let mut sessions = self.sessions.lock().expect("sessions");
        if let Some(s) = sessions.get(code) {
            return Ok(s.clone()); // loaded meanwhile by another connection
        }
        sessions.insert(code.to_string(), session.clone());
        drop(sessions);
        for (from, e) in pending.drain(..) {
            self.apply_remote(&session, &from, e);
        }
        if self.shared
            && let Some(hub) = self.me.upgrade()
        {
            // An announcement that came between the load's buffer being taken and the session
            // being held reached neither: a second look at the database a moment later finds it
            // (changes are kept before they are announced).
            let again = session.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(250)).await;
                hub.resync_one(&again).await;
            });
        }
        Ok(session)
    }

    /// Close every connection (the server is stopping): clients reconnect to another instance
    /// or when this one is back.
    pub fn close_all(&self) {
        let sessions: Vec<Arc<Session>> = self.sessions.lock().expect("sessions").values().cloned().collect();
        for s in sessions {
            let inner = s.inner.lock().expect("session");
            for c in inner.conns.values() {
                let _ = c.tx.try_send(Out::Close(1012, "the server is restarting; reconnect".into()));
            }
        }
    }

    fn publish_state(&self, session: &Session, inner: &Inner, event: Option<Event>) {
        self.publish_state_with(session, inner, event, None);
    }

    /// [`Hub::publish_state`], with word once the state is in the database and announced.
    fn publish_state_kept(&self, session: &Session, inner: &Inner, event: Event) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.publish_state_with(session, inner, Some(event), Some(tx));
        rx
    }

    fn publish_state_with(
        &self,
        session: &Session,
        inner: &Inner,
        event: Option<Event>,
        kept: Option<oneshot::Sender<()>>,
    ) {
        let write = LiveWrite::State {
            code: session.code.clone(),
            state: serde_json::to_string(&inner.state).unwrap_or_default(),
            seq: inner.state.seq,
            teacher_left_at: inner.teacher_left_at(),
            ended: inner.state.ended,
            teacher_owner: inner.teacher_owner.clone().filter(|_| inner.state.teacher_connected),
        };
        let _ = self.outbox.send(Outbox { write, event, kept });
    }

    fn publish_student(&self, session: &Session, entry: Option<&Entry>, id: &str) {
        let (data, resume_hash, owner, event) = match entry {
            Some(e) => {
                // Who holds the student's connection: this instance, another, or none.
                let owner = match e.conn {
                    Some(_) => Some(self.instance.clone()),
                    None => e.owner.clone().filter(|_| e.student.connected),
                };
                let event = Event::Roster {
                    student: e.student.clone(),
                    resume_hash: e.resume_hash.clone(),
                    owner: owner.clone(),
                };
                (serde_json::to_string(&e.student).ok(), e.resume_hash.clone(), owner, event)
            }
            None => (None, String::new(), None, Event::Left { id: id.to_string() }),
        };
        let write = LiveWrite::Student { code: session.code.clone(), id: id.to_string(), resume_hash, data, owner };
        let _ = self.outbox.send(Outbox { write, event: Some(event), kept: None });
    }

    /// Drop connections that could not keep up, marking their students away.
    fn drop_slow(&self, session: &Session, inner: &mut Inner, mut ids: Vec<u64>) {
        while let Some(id) = ids.pop() {
            let Some(conn) = inner.conns.remove(&id) else { continue };
            tracing::info!("live {}: dropping a connection that cannot keep up", session.code);
            let _ = conn.tx.try_send(Out::Close(1008, "too slow to keep up; reconnect".into()));
            ids.extend(self.after_detach(session, inner, id, conn.role, false));
        }
    }

    /// The roster and teacher flags after connection `id` went; returns more slow connections.
    fn after_detach(&self, session: &Session, inner: &mut Inner, id: u64, role: Role, left: bool) -> Vec<u64> {
        match role {
            Role::Teacher => {
                if inner.teacher != Some(id) {
                    return Vec::new();
                }
                inner.teacher = None;
                inner.state.teacher_connected = false;
                inner.teacher_left = Some(Instant::now());
                let owner = inner.teacher_owner.take().unwrap_or_default();
                let full = inner.students(&ServerMsg::Teacher { connected: false });
                self.publish_state(session, inner, Some(Event::TeacherConn { connected: false, owner }));
                full
            }
            Role::Student => {
                let Some(sid) = inner.roster.iter().find(|(_, e)| e.conn == Some(id)).map(|(k, _)| k.clone()) else {
                    return Vec::new();
                };
                if left {
                    inner.roster.remove(&sid);
                    let full = inner.teacher(&ServerMsg::Left { id: sid.clone() });
                    self.publish_student(session, None, &sid);
                    full
                } else {
                    let e = inner.roster.get_mut(&sid).expect("entry");
                    e.conn = None;
                    e.student.connected = false;
                    e.student.hand = false;
                    let msg = ServerMsg::Student { student: e.student.clone() };
                    let full = inner.teacher(&msg);
                    self.publish_student(session, inner.roster.get(&sid), &sid);
                    full
                }
            }
        }
    }

    fn end(&self, session: &Session, reason: &str, announce: bool) {
        let mut inner = session.inner.lock().expect("session");
        if inner.state.ended {
            return;
        }
        inner.state.ended = true;
        let bye = text(&ServerMsg::Ended { reason: reason.to_string() });
        for c in inner.conns.values() {
            let _ = c.tx.try_send(Out::Text(bye.clone()));
            let _ = c.tx.try_send(Out::Close(1000, "the session has ended".into()));
        }
        inner.conns.clear();
        if announce {
            self.publish_state(session, &inner, Some(Event::Ended { reason: reason.to_string() }));
        }
        drop(inner);
        {
            let mut ended = self.ended.lock().expect("ended");
            // By an hour later the database has long said so.
            ended.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
            ended.insert(session.code.clone(), Instant::now());
        }
        self.sessions.lock().expect("sessions").remove(&session.code);
        tracing::info!("live {}: ended ({reason})", session.code);
    }

    /// A teacher message (numbered `seq`) changes the class state and goes to this instance's
    /// students: views through their newest-only slot, the rest through their queues. Returns
    /// the connections too slow to take it.
    fn class_change(&self, inner: &mut Inner, msg: &ServerMsg, seq: u64) -> Vec<u64> {
        record(inner, msg, seq);
        if matches!(msg, ServerMsg::View { .. }) {
            self.delivered.fetch_add(inner.view_to_students(msg), Ordering::Relaxed);
            Vec::new()
        } else {
            inner.students(msg)
        }
    }

    /// Check the sessions' timeouts and forget the ones nobody here is connected to. Returns
    /// those whose teacher has been away past the grace, shared with other instances: the
    /// database may know the teacher came back (an announcement missed here), so they are
    /// asked about before they end.
    fn sweep(&self) -> Vec<Arc<Session>> {
        let sessions: Vec<Arc<Session>> = self.sessions.lock().expect("sessions").values().cloned().collect();
        let mut ask = Vec::new();
        for s in sessions {
            let inner = s.inner.lock().expect("session");
            let teacher_gone = inner.teacher_left.is_some_and(|t| t.elapsed() > self.cfg.teacher_grace);
            let idle = inner.last_activity.elapsed() > self.cfg.idle_expiry;
            let unused = inner.conns.is_empty();
            drop(inner);
            if teacher_gone && self.shared {
                ask.push(s);
            } else if teacher_gone {
                self.end(&s, "the teacher did not come back", true);
            } else if idle {
                self.end(&s, "nothing happened for a long time", true);
            } else if unused {
                let mut sessions = self.sessions.lock().expect("sessions");
                // Nobody here: the database keeps it; it is loaded again on the next connection.
                if s.inner.lock().expect("session").conns.is_empty() {
                    sessions.remove(&s.code);
                }
            }
        }
        ask
    }
}

async fn sweeper(hub: std::sync::Weak<Hub>) {
    loop {
        let tick = match hub.upgrade() {
            Some(h) => {
                for s in h.sweep() {
                    h.resync_one(&s).await;
                    let gone = s
                        .inner
                        .lock()
                        .expect("session")
                        .teacher_left
                        .is_some_and(|t| t.elapsed() > h.cfg.teacher_grace);
                    if gone {
                        h.end(&s, "the teacher did not come back", true);
                    }
                }
                h.cfg.tick
            }
            None => return,
        };
        tokio::time::sleep(tick).await;
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teacher_messages_change_the_class_state() {
        let mut s = ClassState::default();
        apply(&mut s, &ServerMsg::Highlight { hotspot: Some("h".into()) });
        apply(&mut s, &ServerMsg::Narration { playing: true, t: 3.0, speed: 1.0 });
        apply(&mut s, &ServerMsg::Go { site: "a".into(), scene: "b".into(), view: None });
        assert_eq!((s.site.as_deref(), s.scene.as_deref()), (Some("a"), Some("b")));
        assert_eq!(s.highlight, None, "a new scene has no highlight yet");
        assert_eq!(s.narration, None, "nor narration");
        apply(&mut s, &ServerMsg::View { yaw: 10.0, pitch: -5.0, hfov: 80.0 });
        assert_eq!(s.view, Some(LiveView { yaw: 10.0, pitch: -5.0, hfov: 80.0 }));
        apply(&mut s, &ServerMsg::Note { text: "看这里".into() });
        assert_eq!(s.note.as_deref(), Some("看这里"));
    }

    #[test]
    fn late_joiners_get_the_narration_where_it_is_now() {
        let mut inner = Inner {
            state: ClassState {
                narration: Some(NarrationState { playing: true, t: 10.0, speed: 1.5 }),
                ..ClassState::default()
            },
            narration_at: Instant::now() - Duration::from_secs(4),
            roster: BTreeMap::new(),
            conns: HashMap::new(),
            teacher: None,
            teacher_owner: None,
            teacher_left: None,
            last_activity: Instant::now(),
            seq_floor: 0,
        };
        let t = inner.snapshot().narration.expect("narration").t;
        assert!((15.9..16.5).contains(&t), "10 s + 4 s at 1.5x, got {t}");
        inner.state.narration = Some(NarrationState { playing: false, t: 10.0, speed: 1.5 });
        assert_eq!(inner.snapshot().narration.expect("narration").t, 10.0, "paused stays put");
    }

    #[test]
    fn codes_are_six_digits_and_tokens_differ() {
        for _ in 0..100 {
            assert!(crate::live::is_code(&random_code()));
        }
        assert_ne!(random_hex(16), random_hex(16));
        assert_eq!(random_hex(16).len(), 32);
    }
}
