//! How instances share sessions through PostgreSQL: every change is kept in the database
//! first and then announced on [`CHANNEL`]; the others apply what they hear to their own copy.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::{Entry, Hub, Out, Session, text};
use crate::live::{ServerMsg, Student};

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

/// Work for the outbox: keep in the database first, then tell the other instances.
pub(super) enum Outbox {
    State {
        code: String,
        state: String,
        teacher_left_at: Option<i64>,
        ended: bool,
        event: Option<Event>,
        /// Told once this state (or a newer one) is in the database and announced.
        kept: Option<oneshot::Sender<()>>,
    },
    Student {
        code: String,
        id: String,
        resume_hash: String,
        data: Option<String>,
        event: Event,
    },
}

impl Hub {
    /// Apply what another instance announced.
    pub(super) fn apply_remote(&self, session: &Session, e: Event) {
        let mut inner = session.inner.lock().expect("session");
        let full = match e {
            Event::Class { seq, msg } => {
                if seq <= inner.state.seq {
                    return;
                }
                self.class_change(&mut inner, &msg, seq)
            }
            Event::Broadcast { msg } => inner.students(&msg),
            Event::Roster { student, resume_hash } => {
                let id = student.id.clone();
                let msg = ServerMsg::Student { student: student.clone() };
                match inner.roster.get_mut(&id) {
                    Some(e) => {
                        if e.conn.is_some() && !student.connected {
                            return; // this instance has the student's newer connection
                        }
                        e.student = student;
                        e.resume_hash = resume_hash;
                    }
                    None => {
                        inner.roster.insert(id, Entry { student, resume_hash, conn: None });
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
            Some(s) => self.apply_remote(&s, env.e),
            None => {
                if let Some(buf) = self.loading.lock().expect("loading").get_mut(&env.c) {
                    buf.push(env.e);
                }
            }
        }
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
            if let Outbox::State { code, .. } = o {
                newest.insert(code.clone(), i);
            }
        }
        let mut announce = Vec::new();
        let mut kept_all = Vec::new();
        for (i, o) in batch.into_iter().enumerate() {
            match o {
                Outbox::State { code, state, teacher_left_at, ended, event, kept } => {
                    kept_all.extend(kept);
                    if newest.get(&code) == Some(&i)
                        && let Err(e) = hub.store.live_save(&code, &state, teacher_left_at, ended).await
                    {
                        tracing::error!("live {code}: {e}");
                    }
                    if let Some(e) = event {
                        announce.push(Envelope { i: hub.instance.clone(), c: code, e });
                    }
                }
                Outbox::Student { code, id, resume_hash, data, event } => {
                    if let Err(e) = hub.store.live_student(&code, &id, &resume_hash, data.as_deref()).await {
                        tracing::error!("live {code}: {e}");
                    }
                    announce.push(Envelope { i: hub.instance.clone(), c: code, e: event });
                }
            }
        }
        if hub.shared {
            for env in announce {
                let payload = serde_json::to_string(&env).unwrap_or_default();
                if let Err(e) = hub.store.notify(CHANNEL, &payload).await {
                    tracing::error!("live: cannot announce a change: {e}");
                }
            }
        }
        // Written (or failed, and logged): whoever waits goes on either way.
        for k in kept_all {
            let _ = k.send(());
        }
    }
}

/// Hear the other instances (PostgreSQL LISTEN), reconnecting when the connection drops.
pub(super) async fn listener(hub: std::sync::Weak<Hub>, url: String) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(CHANNEL).await {
                    tracing::error!("live: LISTEN failed: {e}");
                } else {
                    loop {
                        match l.recv().await {
                            Ok(n) => match hub.upgrade() {
                                Some(h) => h.on_bus(n.payload()),
                                None => return,
                            },
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
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
