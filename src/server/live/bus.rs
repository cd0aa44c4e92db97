//! How instances share sessions through PostgreSQL: every change is kept in the database and
//! announced on [`CHANNEL`] in one transaction; the others apply what they hear to their own
//! copy. What they may have missed (a LISTEN connection that dropped) they reload from the
//! database, and what a crashed instance held expires with its lease.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::{Entry, Hub, Out, Session, text};
use crate::live::{ClassState, Role, ServerMsg, Student};
use crate::server::store::{LiveRow, LiveWrite, now_secs};

/// The PostgreSQL channel instances talk on.
pub const CHANNEL: &str = "cloudhall_live";

/// What instances tell each other about a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub(super) enum Event {
    /// A teacher message that changed the class state (`seq` orders them).
    Class {
        seq: u64,
        msg: ServerMsg,
    },
    /// A message for the class that changes nothing (gather).
    Broadcast {
        msg: ServerMsg,
    },
    Roster {
        student: Student,
        resume_hash: String,
        /// The instance holding the student's connection, when connected.
        #[serde(default)]
        owner: Option<String>,
    },
    Left {
        id: String,
    },
    TeacherConn {
        connected: bool,
        owner: String,
    },
    Ended {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Envelope {
    /// The instance that sent it.
    i: String,
    c: String,
    #[serde(flatten)]
    e: Event,
}

/// Work for the outbox: a change to keep in the database, and what to tell the other instances
/// of it in the same transaction.
pub(super) struct Outbox {
    pub write: LiveWrite,
    pub event: Option<Event>,
    /// Told once this change (or, for a state, a newer one) is in the database and announced.
    pub kept: Option<oneshot::Sender<()>>,
}

impl Hub {
    /// Apply what another instance (`from`) announced.
    pub(super) fn apply_remote(&self, session: &Session, from: &str, e: Event) {
        let mut inner = session.inner.lock().expect("session");
        let full = match e {
            Event::Class { seq, msg } => {
                if seq <= inner.state.seq {
                    return;
                }
                self.class_change(&mut inner, &msg, seq)
            }
            Event::Broadcast { msg } => inner.students(&msg),
            Event::Roster { student, resume_hash, owner } => {
                let id = student.id.clone();
                let msg = ServerMsg::Student { student: student.clone() };
                // Announcements from before owners were announced: the sender holds the student.
                let owner = owner.or_else(|| student.connected.then(|| from.to_string()));
                match inner.roster.get_mut(&id) {
                    Some(e) => {
                        if e.conn.is_some() && !student.connected {
                            return; // this instance has the student's newer connection
                        }
                        e.student = student;
                        e.resume_hash = resume_hash;
                        e.owner = owner;
                    }
                    None => {
                        inner.roster.insert(id, Entry { student, resume_hash, conn: None, owner });
                    }
                }
                inner.teacher(&msg)
            }
            Event::Left { id } => {
                inner.roster.remove(&id);
                inner.teacher(&ServerMsg::Left { id })
            }
            Event::TeacherConn { connected, owner } => {
                if connected {
                    let mut full = Vec::new();
                    if let Some(local) = inner.teacher.take() {
                        if let Some(c) = inner.conns.remove(&local) {
                            let _ = c.tx.try_send(Out::Text(text(&ServerMsg::error(
                                "replaced",
                                "the teacher's token was used from another connection",
                            ))));
                            let _ = c.tx.try_send(Out::Close(4001, "replaced by a newer teacher connection".into()));
                        }
                    }
                    inner.teacher_owner = Some(owner);
                    inner.teacher_left = None;
                    inner.state.teacher_connected = true;
                    full.extend(inner.students(&ServerMsg::Teacher { connected: true }));
                    full
                } else if inner.teacher_owner.as_deref() == Some(owner.as_str()) || inner.teacher_owner.is_none() {
                    inner.teacher_owner = None;
                    inner.state.teacher_connected = false;
                    inner.teacher_left = Some(Instant::now());
                    inner.students(&ServerMsg::Teacher { connected: false })
                } else {
                    Vec::new()
                }
            }
            Event::Ended { reason } => {
                drop(inner);
                self.end(session, &reason, false);
                return;
            }
        };
        self.drop_slow(session, &mut inner, full);
    }

    pub(super) fn on_bus(&self, payload: &str) {
        let Ok(env) = serde_json::from_str::<Envelope>(payload) else {
            tracing::warn!("live: an unreadable announcement on {CHANNEL}");
            return;
        };
        if env.i == self.instance {
            return;
        }
        let session = self.sessions.lock().expect("sessions").get(&env.c).cloned();
        match session {
            Some(s) => self.apply_remote(&s, &env.i, env.e),
            None => {
                if let Some(buf) = self.loading.lock().expect("loading").get_mut(&env.c) {
                    buf.push((env.i, env.e));
                }
            }
        }
    }

    /// Bring this instance's copy of `session` to what the database keeps (`row`), telling its
    /// own connections what changed: after missed announcements, the database is ahead.
    pub(super) fn resync(&self, session: &Session, row: LiveRow) {
        if row.ended {
            self.end(session, "the session has ended", false);
            return;
        }
        let kept: ClassState = serde_json::from_str(&row.state).unwrap_or_default();
        let mut inner = session.inner.lock().expect("session");
        let mut full = Vec::new();
        if kept.seq > inner.state.seq {
            let (here, connected) = (inner.teacher.is_some(), inner.state.teacher_connected);
            inner.state = kept;
            inner.narration_at = Instant::now();
            if here {
                inner.state.teacher_connected = connected;
            }
            // Every student here gets the whole state again, as a welcome does.
            let state = inner.snapshot();
            for (sid, e) in &inner.roster {
                let Some(c) = e.conn.and_then(|c| inner.conns.get(&c)) else { continue };
                let again = ServerMsg::Welcome {
                    role: Role::Student,
                    code: session.code.clone(),
                    id: Some(sid.clone()),
                    resume: None,
                    state: state.clone(),
                    roster: None,
                };
                if c.tx.try_send(Out::Text(text(&again))).is_err() {
                    full.extend(e.conn);
                }
            }
        }
        // Kept as present by an instance that has not since lost its lease (all count as alive
        // before the leases were first read).
        let alive = self.alive.lock().expect("alive").clone();
        let held = |o: &str| alive.as_ref().is_none_or(|a| a.contains(instance_of(o)));
        if inner.teacher.is_none() {
            let connected = row.teacher_left_at.is_none() && row.teacher_owner.as_deref().is_some_and(held);
            if connected != inner.state.teacher_connected {
                inner.state.teacher_connected = connected;
                full.extend(inner.students(&ServerMsg::Teacher { connected }));
            }
            inner.teacher_owner = row.teacher_owner.filter(|_| connected);
            inner.teacher_left = (!connected).then(|| {
                let away = row.teacher_left_at.map_or(0, |t| (now_secs() - t).max(0) as u64);
                Instant::now().checked_sub(Duration::from_secs(away)).unwrap_or_else(Instant::now)
            });
        }
        // The students other instances hold, as kept.
        let mut kept_ids = HashSet::new();
        for s in row.students {
            let Ok(mut student) = serde_json::from_str::<Student>(&s.data) else { continue };
            kept_ids.insert(student.id.clone());
            if student.connected && !s.owner.as_deref().is_some_and(held) {
                student.connected = false;
                student.hand = false;
            }
            if inner.roster.get(&student.id).is_some_and(|e| e.conn.is_some()) {
                continue; // held here: this copy is the newest
            }
            let changed = inner.roster.get(&student.id).is_none_or(|e| e.student != student);
            let owner = s.owner.filter(|_| student.connected);
            let msg = ServerMsg::Student { student: student.clone() };
            inner.roster.insert(student.id.clone(), Entry { student, resume_hash: s.resume_hash, conn: None, owner });
            if changed {
                full.extend(inner.teacher(&msg));
            }
        }
        let gone: Vec<String> = inner
            .roster
            .iter()
            .filter(|(k, e)| e.conn.is_none() && !kept_ids.contains(*k))
            .map(|(k, _)| k.clone())
            .collect();
        for id in gone {
            inner.roster.remove(&id);
            full.extend(inner.teacher(&ServerMsg::Left { id }));
        }
        self.drop_slow(session, &mut inner, full);
    }

    /// Reload one session from the database (see [`Hub::resync`]).
    pub(super) async fn resync_one(&self, session: &Session) {
        match self.store.live_load(&session.code).await {
            Ok(Some(row)) => self.resync(session, row),
            Ok(None) => self.end(session, "the session has ended", false),
            Err(e) => tracing::warn!("live {}: cannot reload the kept state: {e}", session.code),
        }
    }

    /// Reload every session this instance holds (its LISTEN connection came back).
    pub(super) async fn resync_all(&self) {
        let sessions: Vec<Arc<Session>> = self.sessions.lock().expect("sessions").values().cloned().collect();
        for s in &sessions {
            self.resync_one(s).await;
        }
        if !sessions.is_empty() {
            tracing::info!("live: {} sessions reloaded after the LISTEN connection came back", sessions.len());
        }
    }

    /// The teacher and students held by instances not in `alive` are away: those instances
    /// stopped renewing their leases (they crashed, or lost the database).
    pub(super) fn expire(&self, alive: &HashSet<String>) {
        let is_alive = |owner: &str| alive.contains(instance_of(owner));
        let sessions: Vec<Arc<Session>> = self.sessions.lock().expect("sessions").values().cloned().collect();
        for session in sessions {
            let mut inner = session.inner.lock().expect("session");
            let mut full = Vec::new();
            if inner.teacher.is_none()
                && inner.state.teacher_connected
                && let Some(owner) = inner.teacher_owner.clone().filter(|o| !is_alive(o))
            {
                tracing::info!("live {}: the teacher's instance is gone; the teacher is away", session.code);
                inner.teacher_owner = None;
                inner.state.teacher_connected = false;
                inner.teacher_left = Some(Instant::now());
                full.extend(inner.students(&ServerMsg::Teacher { connected: false }));
                self.publish_state(&session, &inner, Some(Event::TeacherConn { connected: false, owner }));
            }
            let lost: Vec<String> = inner
                .roster
                .iter()
                .filter(|(_, e)| {
                    e.conn.is_none() && e.student.connected && e.owner.as_deref().is_some_and(|o| !is_alive(o))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if !lost.is_empty() {
                tracing::info!("live {}: {} students of a gone instance are away", session.code, lost.len());
            }
            for id in lost {
                let e = inner.roster.get_mut(&id).expect("entry");
                e.student.connected = false;
                e.student.hand = false;
                e.owner = None;
                let msg = ServerMsg::Student { student: e.student.clone() };
                full.extend(inner.teacher(&msg));
                self.publish_student(&session, inner.roster.get(&id), &id);
            }
            self.drop_slow(&session, &mut inner, full);
        }
    }
}

/// The instance of an owner: a teacher's is `INSTANCE/CONNECTION`, a student's `INSTANCE`.
fn instance_of(owner: &str) -> &str {
    owner.split('/').next().unwrap_or(owner)
}

/// Renew this instance's lease, and expire what instances without one held.
pub(super) async fn lease_keeper(hub: std::sync::Weak<Hub>) {
    loop {
        let Some(h) = hub.upgrade() else { return };
        let every = h.cfg.lease / 3;
        if let Err(e) = h.store.live_heartbeat(&h.instance).await {
            tracing::warn!("live: cannot renew this instance's lease: {e}");
        } else {
            let since = now_secs() - h.cfg.lease.as_secs().max(1) as i64;
            match h.store.live_alive(since).await {
                Ok(mut alive) => {
                    alive.insert(h.instance.clone());
                    h.expire(&alive);
                    *h.alive.lock().expect("alive") = Some(alive);
                }
                Err(e) => tracing::warn!("live: cannot read the instances' leases: {e}"),
            }
        }
        drop(h);
        tokio::time::sleep(every).await;
    }
}

/// Keep changes in the database, then announce them (in that order, so an instance that loads a
/// session hears of every change its load missed).
pub(super) async fn outbox_writer(hub: std::sync::Weak<Hub>, mut rx: mpsc::UnboundedReceiver<Outbox>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
        let Some(hub) = hub.upgrade() else { return };
        // Only the newest state of each session needs writing.
        let mut newest: HashMap<String, usize> = HashMap::new();
        for (i, o) in batch.iter().enumerate() {
            if let LiveWrite::State { code, .. } = &o.write {
                newest.insert(code.clone(), i);
            }
        }
        let mut writes = Vec::new();
        let mut announce = Vec::new();
        let mut kept_all = Vec::new();
        for (i, Outbox { write, event, kept }) in batch.into_iter().enumerate() {
            kept_all.extend(kept);
            if let Some(e) = event {
                announce.push(Envelope { i: hub.instance.clone(), c: write.code().to_string(), e });
            }
            let older_state = matches!(&write, LiveWrite::State { code, .. } if newest.get(code) != Some(&i));
            if !older_state {
                writes.push(write);
            }
        }
        let payloads: Vec<String> = if hub.shared {
            announce.iter().map(|env| serde_json::to_string(env).unwrap_or_default()).collect()
        } else {
            Vec::new()
        };
        // The writes and their announcements together: an instance never hears of a change
        // that is not kept, nor misses the announcement of one that is.
        if let Err(e) = hub.store.live_commit(&writes, CHANNEL, &payloads).await {
            tracing::error!("live: {} changes not kept: {e}", writes.len());
        }
        // Written (or failed, and logged): whoever waits goes on either way.
        for k in kept_all {
            let _ = k.send(());
        }
    }
}

/// Hear the other instances (PostgreSQL LISTEN), reconnecting when the connection drops. Once
/// it is back, everything held here is reloaded from the database: announcements made while it
/// was away are lost.
pub(super) async fn listener(hub: std::sync::Weak<Hub>, url: String) {
    loop {
        // Named, so that an operator (or a test) can tell it from the pool's connections.
        let name = match hub.upgrade() {
            Some(h) => format!("cloudhall-listen-{}", h.instance),
            None => return,
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        match sqlx::postgres::PgListener::connect(&format!("{url}{sep}application_name={name}")).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(CHANNEL).await {
                    tracing::error!("live: LISTEN failed: {e}");
                } else {
                    // (At the first start nothing is held yet.)
                    if let Some(h) = hub.upgrade() {
                        h.resync_all().await;
                    }
                    loop {
                        // Not `recv`, which reconnects by itself and so hides what was missed.
                        match l.try_recv().await {
                            Ok(Some(n)) => match hub.upgrade() {
                                Some(h) => h.on_bus(n.payload()),
                                None => return,
                            },
                            Ok(None) => {
                                tracing::warn!("live: the LISTEN connection was lost");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!("live: the LISTEN connection failed: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::error!("live: cannot LISTEN: {e}"),
        }
        if hub.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
