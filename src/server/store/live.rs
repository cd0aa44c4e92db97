//! Live sessions as the database keeps them, for instances that share them (see
//! [`crate::server::live`]): the class state and roster, the teacher's connections so far
//! (`epoch`, the high part of every sequence number), and which instance holds the teacher and
//! each student, with the instances' leases.

use std::collections::HashSet;

use sqlx::Row;

use super::{Store, db, now_secs};

/// A live session as the database keeps it.
#[derive(Debug, Clone)]
pub struct LiveRow {
    pub code: String,
    pub token_hash: String,
    /// The class state as JSON.
    pub state: String,
    /// Unix seconds of the last change.
    pub updated_at: i64,
    /// Unix seconds since when the teacher has been away, if away.
    pub teacher_left_at: Option<i64>,
    pub ended: bool,
    /// `INSTANCE/CONNECTION` holding the teacher, when the teacher is connected.
    pub teacher_owner: Option<String>,
    pub students: Vec<LiveStudentRow>,
}

/// One student of a kept session.
#[derive(Debug, Clone)]
pub struct LiveStudentRow {
    /// The student as JSON.
    pub data: String,
    pub resume_hash: String,
    /// The instance holding the student's connection, when connected.
    pub owner: Option<String>,
}

/// One change of a live session, for [`Store::live_commit`].
#[derive(Debug, Clone)]
pub enum LiveWrite {
    /// The class state numbered `seq` (kept only if no newer one is), and the teacher's presence.
    State {
        code: String,
        state: String,
        seq: u64,
        teacher_left_at: Option<i64>,
        ended: bool,
        teacher_owner: Option<String>,
    },
    /// A student kept (`data`), or forgotten (None).
    Student { code: String, id: String, resume_hash: String, data: Option<String>, owner: Option<String> },
}

impl LiveWrite {
    /// The session it changes.
    pub fn code(&self) -> &str {
        match self {
            LiveWrite::State { code, .. } | LiveWrite::Student { code, .. } => code,
        }
    }
}

impl Store {
    /// Record a new live session; false when the code is taken (by a session not yet ended).
    /// A code whose session ended, or has not changed since `stale_before` (unix seconds), is
    /// taken over.
    pub async fn live_create(
        &self,
        code: &str,
        token_hash: &str,
        state: &str,
        stale_before: i64,
    ) -> Result<bool, String> {
        let now = now_secs();
        sqlx::query("DELETE FROM live_sessions WHERE code = $1 AND (ended = 1 OR updated_at < $2)")
            .bind(code)
            .bind(stale_before)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        sqlx::query(
            "DELETE FROM live_students WHERE code = $1 AND NOT EXISTS (SELECT 1 FROM live_sessions WHERE code = $1)",
        )
        .bind(code)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let r = sqlx::query(
            "INSERT INTO live_sessions (code, token_hash, state, created_at, updated_at, ended) VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (code) DO NOTHING",
        )
        .bind(code)
        .bind(token_hash)
        .bind(state)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let made = r.rows_affected() == 1;
        if made {
            sqlx::query(
                "INSERT INTO live_held (code, created_at) VALUES ($1, $2) ON CONFLICT (code, created_at) DO NOTHING",
            )
            .bind(code)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        }
        Ok(made)
    }

    /// A live session and its roster.
    pub async fn live_load(&self, code: &str) -> Result<Option<LiveRow>, String> {
        let Some(row) = sqlx::query(
            "SELECT code, token_hash, state, updated_at, teacher_left_at, ended, teacher_owner FROM live_sessions WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let students = sqlx::query("SELECT data, resume_hash, owner FROM live_students WHERE code = $1 ORDER BY id")
            .bind(code)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(|r| LiveStudentRow { data: r.get(0), resume_hash: r.get(1), owner: r.get(2) })
            .collect();
        Ok(Some(LiveRow {
            code: row.get(0),
            token_hash: row.get(1),
            state: row.get(2),
            updated_at: row.get(3),
            teacher_left_at: row.get(4),
            ended: row.get::<i64, _>(5) != 0,
            teacher_owner: row.get(6),
            students,
        }))
    }

    /// Only the class state of a session, as JSON (for a join on one instance to see what the
    /// teacher did on another a moment ago).
    pub async fn live_state(&self, code: &str) -> Result<Option<String>, String> {
        let row = sqlx::query("SELECT state FROM live_sessions WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Keep `writes` and announce `payloads` on `channel` (PostgreSQL's NOTIFY) in one
    /// transaction: the other instances hear of a change only once it is kept, and of none
    /// that was not.
    pub async fn live_commit(&self, writes: &[LiveWrite], channel: &str, payloads: &[String]) -> Result<(), String> {
        let now = now_secs();
        let mut tx = self.pool.begin().await.map_err(db)?;
        for w in writes {
            match w {
                LiveWrite::State { code, state, seq, teacher_left_at, ended, teacher_owner } => {
                    // Compare and set: an instance whose copy is behind (it missed changes)
                    // does not put an older class state over a newer one. (Placeholders in the
                    // order they first appear: SQLite numbers them so.)
                    sqlx::query(
                        "UPDATE live_sessions SET state = CASE WHEN $1 >= seq THEN $2 ELSE state END, seq = CASE WHEN $1 >= seq THEN $1 ELSE seq END, updated_at = $3, teacher_left_at = $4, ended = $5, teacher_owner = $6 WHERE code = $7",
                    )
                    .bind(i64::try_from(*seq).unwrap_or(i64::MAX))
                    .bind(state.as_str())
                    .bind(now)
                    .bind(*teacher_left_at)
                    .bind(i64::from(*ended))
                    .bind(teacher_owner.clone())
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                }
                LiveWrite::Student { code, id, resume_hash, data: Some(data), owner } => {
                    sqlx::query(
                        "INSERT INTO live_reached (code, id, at) VALUES ($1, $2, $3) ON CONFLICT (code, id) DO NOTHING",
                    )
                    .bind(code.as_str())
                    .bind(id.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    sqlx::query(
                        "INSERT INTO live_students (code, id, resume_hash, data, owner) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code, id) DO UPDATE SET data = excluded.data, resume_hash = excluded.resume_hash, owner = excluded.owner",
                    )
                    .bind(code.as_str())
                    .bind(id.as_str())
                    .bind(resume_hash.as_str())
                    .bind(data.as_str())
                    .bind(owner.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                }
                LiveWrite::Student { code, id, data: None, .. } => {
                    sqlx::query("DELETE FROM live_students WHERE code = $1 AND id = $2")
                        .bind(code.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
            }
        }
        if self.backend == "postgres" {
            for p in payloads {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(channel)
                    .bind(p.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
        tx.commit().await.map_err(db)
    }

    /// A new teacher connection for session `code`: the number of teacher connections so far,
    /// counted in the database, so that two instances never hand out the same one.
    pub async fn live_epoch(&self, code: &str) -> Result<u64, String> {
        let row = sqlx::query("UPDATE live_sessions SET epoch = epoch + 1 WHERE code = $1 RETURNING epoch")
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| r.get::<i64, _>(0).max(0) as u64).ok_or_else(|| format!("no live session {code}"))
    }

    /// Renew this instance's lease: it is alive now.
    pub async fn live_heartbeat(&self, instance: &str) -> Result<(), String> {
        sqlx::query(
            "INSERT INTO live_instances (instance, seen_at) VALUES ($1, $2) ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(instance)
        .bind(now_secs())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// The instances whose lease was renewed at `since` (unix seconds) or later; the others'
    /// rows older than a day are cleared.
    pub async fn live_alive(&self, since: i64) -> Result<HashSet<String>, String> {
        sqlx::query("DELETE FROM live_instances WHERE seen_at < $1")
            .bind(now_secs() - 86_400)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        let rows = sqlx::query("SELECT instance FROM live_instances WHERE seen_at >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }
}
