//! The server's data: visits, memorial offerings and messages, in SQLite (one file, WAL) or
//! PostgreSQL. The same SQL serves both through sqlx's `Any` driver; only the schema differs.
//!
//! Every write is a single statement committed before the request is acknowledged (SQLite with
//! `synchronous=FULL`); retried writes carry an idempotency key and are stored once.

use std::path::Path;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool};

type AnyPoolOptions = sqlx::pool::PoolOptions<Any>;

pub use crate::api::{OfferingKind, Target};

/// What became of a moderator's decision on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// Made now, and logged.
    Now,
    /// There is no such message.
    Missing,
    /// Decided before: its status, by whom ("" when the log has no entry) and when.
    Before { status: String, by: String, at: i64 },
}

/// Counts of each kind of offering for one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub flower: i64,
    pub candle: i64,
    pub bow: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: i64,
    pub target: Target,
    pub name: String,
    pub text: String,
    pub status: String,
    /// Unix seconds.
    pub at: i64,
}

/// Whether a write was new or a retry of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New(i64),
    Repeat(i64),
}

#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Stats {
    pub total_visits: i64,
    pub visits_per_site: Vec<(String, i64)>,
    /// The last 30 days, oldest first: (YYYY-MM-DD, visits), every day present (0 if none).
    pub visits_per_day: Vec<(String, i64)>,
    /// The last 365 days, the same way.
    pub visits_per_day_year: Vec<(String, i64)>,
    pub offerings_per_site: Vec<(String, i64)>,
    pub offerings_per_person: Vec<(String, i64)>,
    /// Live classes held, and students who joined one.
    pub live_sessions: i64,
    pub live_students: i64,
    /// The day the figures end on (YYYY-MM-DD, in the server's time zone).
    pub today: String,
}

/// A moderator's decision on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub message_id: i64,
    /// `approved` or `rejected`.
    pub decision: String,
    pub moderator: String,
    pub at: i64,
}

/// The `days` days ending on `today` (YYYY-MM-DD), oldest first.
pub fn days_until(today_secs: i64, days: i64) -> Vec<String> {
    (0..days).rev().map(|back| day_of(today_secs - back * 86_400)).collect()
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Seconds east of UTC of the server's time zone: where days begin for visits.
    pub utc_offset: i64,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Offerings go through one writer that commits them in groups.
    offerings: tokio::sync::mpsc::Sender<OfferingJob>,
    /// The URL it was opened with (live sessions LISTEN on PostgreSQL through it).
    pub url: String,
}

/// An offering waiting for the group commit, and where to say how it went (with its target's
/// counts as committed).
struct OfferingJob {
    target: Target,
    kind: OfferingKind,
    client_id: String,
    key: String,
    reply: tokio::sync::oneshot::Sender<Result<(Written, Counts), String>>,
}

/// Most offerings committed in one transaction.
const GROUP_MAX: usize = 512;

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, site TEXT NOT NULL, scene TEXT NOT NULL, client_id TEXT NOT NULL, day TEXT NOT NULL, at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS visits_by_day ON visits(day)",
    "CREATE TABLE IF NOT EXISTS offerings (id INTEGER PRIMARY KEY, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS offerings_by_target ON offerings(target_kind, target_id)",
    "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, client_id TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL DEFAULT 'pending', at INTEGER NOT NULL, reviewed_at INTEGER)",
    "CREATE INDEX IF NOT EXISTS messages_by_target ON messages(target_kind, target_id, status)",
    "CREATE TABLE IF NOT EXISTS offering_counts (target_kind TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (target_kind, target_id, kind))",
    "CREATE TABLE IF NOT EXISTS live_sessions (code TEXT PRIMARY KEY, token_hash TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, teacher_left_at INTEGER, ended INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS live_students (code TEXT NOT NULL, id TEXT NOT NULL, resume_hash TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (code, id))",
    // Visits counted by day and site as they are stored, so statistics read a few thousand rows
    // however many visits there are.
    "CREATE TABLE IF NOT EXISTS visit_days (day TEXT NOT NULL, site TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, site))",
    // Live classes held and students reached (kept when a session's code is reused).
    "CREATE TABLE IF NOT EXISTS live_held (code TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (code, created_at))",
    "CREATE TABLE IF NOT EXISTS live_reached (code TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (code, id))",
    "CREATE TABLE IF NOT EXISTS live_instances (instance TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)",
    // Moderators' decisions, by the name of the token that made them.
    "CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, decision TEXT NOT NULL, moderator TEXT NOT NULL, at INTEGER NOT NULL)",
];

const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS visits (id BIGSERIAL PRIMARY KEY, site TEXT NOT NULL, scene TEXT NOT NULL, client_id TEXT NOT NULL, day TEXT NOT NULL, at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS visits_by_day ON visits(day)",
    "CREATE TABLE IF NOT EXISTS offerings (id BIGSERIAL PRIMARY KEY, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS offerings_by_target ON offerings(target_kind, target_id)",
    "CREATE TABLE IF NOT EXISTS messages (id BIGSERIAL PRIMARY KEY, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, client_id TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL DEFAULT 'pending', at BIGINT NOT NULL, reviewed_at BIGINT)",
    "CREATE INDEX IF NOT EXISTS messages_by_target ON messages(target_kind, target_id, status)",
    "CREATE TABLE IF NOT EXISTS offering_counts (target_kind TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (target_kind, target_id, kind))",
    "CREATE TABLE IF NOT EXISTS live_sessions (code TEXT PRIMARY KEY, token_hash TEXT NOT NULL, state TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, teacher_left_at BIGINT, ended BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS live_students (code TEXT NOT NULL, id TEXT NOT NULL, resume_hash TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (code, id))",
    // Visits counted by day and site as they are stored, so statistics read a few thousand rows
    // however many visits there are.
    "CREATE TABLE IF NOT EXISTS visit_days (day TEXT NOT NULL, site TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (day, site))",
    // Live classes held and students reached (kept when a session's code is reused).
    "CREATE TABLE IF NOT EXISTS live_held (code TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (code, created_at))",
    "CREATE TABLE IF NOT EXISTS live_reached (code TEXT NOT NULL, id TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (code, id))",
    "CREATE TABLE IF NOT EXISTS live_instances (instance TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)",
    // Moderators' decisions, by the name of the token that made them.
    "CREATE TABLE IF NOT EXISTS decisions (id BIGSERIAL PRIMARY KEY, message_id BIGINT NOT NULL, decision TEXT NOT NULL, moderator TEXT NOT NULL, at BIGINT NOT NULL)",
];

mod live;
pub use live::{LiveRow, LiveStudentRow, LiveWrite};

pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// China Standard Time, UTC+8 all year: the default time zone of the hall's statistics.
pub const CHINA_STANDARD_TIME: i64 = 8 * 3600;

/// `YYYY-MM-DD` of unix seconds (UTC; add a zone's offset first for its local day).
pub fn day_of(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Any number that no other program on the database server uses for an advisory lock.
const MIGRATION_LOCK: i64 = 0x636c_6f75_6468;

/// Columns added after their tables were first made: (table, column, declaration).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // Live sessions: the teacher's connections so far (the high part of sequence numbers) and
    // which instances hold the teacher and each student (their leases).
    ("live_sessions", "epoch", "BIGINT NOT NULL DEFAULT 0"),
    // The sequence number of the kept state: an older state never replaces a newer one.
    ("live_sessions", "seq", "BIGINT NOT NULL DEFAULT 0"),
    ("live_sessions", "teacher_owner", "TEXT"),
    ("live_students", "owner", "TEXT"),
];

/// Bring the schema up to date on `conn` (which holds the schema lock on PostgreSQL).
async fn migrate(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
    schema: &[&str],
    sqlite: bool,
) -> Result<(), String> {
    for stmt in schema {
        sqlx::query(stmt).execute(&mut **conn).await.map_err(|e| format!("migration failed: {e}"))?;
    }
    for (table, column, decl) in ADDED_COLUMNS {
        let has = if sqlite {
            format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'")
        } else {
            format!(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'"
            )
        };
        let n: i64 = sqlx::query(&has).fetch_one(&mut **conn).await.map_err(db)?.get(0);
        if n == 0 {
            sqlx::query(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                .execute(&mut **conn)
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
        }
    }
    // Databases from before the counts table: count what is there once.
    let counted: i64 =
        sqlx::query("SELECT COUNT(*) FROM offering_counts").fetch_one(&mut **conn).await.map_err(db)?.get(0);
    if counted == 0 {
        sqlx::query("INSERT INTO offering_counts (target_kind, target_id, kind, n) SELECT target_kind, target_id, kind, COUNT(*) FROM offerings GROUP BY target_kind, target_id, kind")
                .execute(&mut **conn)
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
    }
    // ...and before the visits' day counts.
    let days: i64 = sqlx::query("SELECT COUNT(*) FROM visit_days").fetch_one(&mut **conn).await.map_err(db)?.get(0);
    if days == 0 {
        sqlx::query("INSERT INTO visit_days (day, site, n) SELECT day, site, COUNT(*) FROM visits GROUP BY day, site")
            .execute(&mut **conn)
            .await
            .map_err(|e| format!("migration failed: {e}"))?;
    }
    Ok(())
}

impl Store {
    /// Open (creating) the SQLite database file in WAL mode and bring its schema up to date.
    pub async fn open_sqlite(path: &Path) -> Result<Store, String> {
        Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Open a database by URL (`sqlite://PATH?mode=rwc` or `postgres://...`) and migrate it.
    pub async fn open(url: &str) -> Result<Store, String> {
        sqlx::any::install_default_drivers();
        let (backend, schema): (&'static str, &[&str]) =
            if url.starts_with("postgres:") || url.starts_with("postgresql:") {
                ("postgres", POSTGRES_SCHEMA)
            } else if url.starts_with("sqlite:") {
                ("sqlite", SQLITE_SCHEMA)
            } else {
                return Err(format!("unsupported database URL `{url}`: use sqlite://PATH or postgres://..."));
            };
        let sqlite = backend == "sqlite";
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Durable before acknowledged: WAL with a full sync at each commit.
                        for pragma in
                            ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000"]
                        {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| format!("cannot open the database {}: {e}", redact(url)))?;
        // Several instances starting at once on one PostgreSQL would race to create the same
        // tables (and die on pg_type's unique index): one migrates while the others wait.
        let mut conn = pool.acquire().await.map_err(|e| format!("cannot open the database {}: {e}", redact(url)))?;
        if !sqlite {
            sqlx::query(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(&mut *conn)
                .await
                .map_err(|e| format!("migration failed: cannot take the schema lock: {e}"))?;
        }
        let migrated = migrate(&mut conn, schema, sqlite).await;
        if !sqlite {
            // Also released when the connection closes, should this fail.
            let _ = sqlx::query(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut *conn).await;
        }
        drop(conn);
        migrated?;
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        tokio::spawn(offering_writer(pool.clone(), rx));
        Ok(Store { pool, utc_offset: CHINA_STANDARD_TIME, backend, offerings: tx, url: url.to_string() })
    }

    /// The same store, counting days in a time zone `secs` east of UTC.
    pub fn with_utc_offset(mut self, secs: i64) -> Store {
        self.utc_offset = secs;
        self
    }

    /// Unix seconds now, moved into the server's time zone (for [`day_of`]).
    pub fn local_now(&self) -> i64 {
        now_secs() + self.utc_offset
    }

    /// Store a visit and count it in its day, in one transaction.
    pub async fn record_visit(&self, site: &str, scene: &str, client_id: &str) -> Result<(), String> {
        let at = now_secs();
        let day = day_of(at + self.utc_offset);
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO visits (site, scene, client_id, day, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(site)
            .bind(scene)
            .bind(client_id)
            .bind(day.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO visit_days (day, site, n) VALUES ($1, $2, 1) ON CONFLICT (day, site) DO UPDATE SET n = visit_days.n + 1",
        )
        .bind(day.as_str())
        .bind(site)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    /// Visits so far: in all, and per site (for the visitors' counter, kept in memory).
    pub async fn visit_totals(&self) -> Result<Vec<(String, i64)>, String> {
        let rows = sqlx::query("SELECT site, CAST(SUM(n) AS BIGINT) FROM visit_days GROUP BY site ORDER BY site")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Store an offering; answers once it is committed (in a group with others arriving at the
    /// same time).
    pub async fn add_offering(
        &self,
        target: &Target,
        kind: OfferingKind,
        client_id: &str,
        key: &str,
    ) -> Result<(Written, Counts), String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job =
            OfferingJob { target: target.clone(), kind, client_id: client_id.to_string(), key: key.to_string(), reply };
        self.offerings.send(job).await.map_err(|_| "the database writer has stopped".to_string())?;
        answer.await.map_err(|_| "the database writer has stopped".to_string())?
    }

    pub async fn counts(&self, target: &Target) -> Result<Counts, String> {
        let rows = sqlx::query("SELECT kind, n FROM offering_counts WHERE target_kind = $1 AND target_id = $2")
            .bind(target.kind())
            .bind(target.id())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut c = Counts::default();
        for r in rows {
            let (k, n): (String, i64) = (r.get(0), r.get(1));
            match k.as_str() {
                "flower" => c.flower = n,
                "candle" => c.candle = n,
                "bow" => c.bow = n,
                _ => {}
            }
        }
        Ok(c)
    }

    pub async fn add_message(
        &self,
        target: &Target,
        name: &str,
        text: &str,
        client_id: &str,
        key: &str,
    ) -> Result<Written, String> {
        let done = sqlx::query(
            "INSERT INTO messages (target_kind, target_id, name, text, client_id, idempotency_key, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(target.kind())
        .bind(target.id())
        .bind(name)
        .bind(text)
        .bind(client_id)
        .bind(key)
        .bind(now_secs())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let id: i64 = sqlx::query("SELECT id FROM messages WHERE idempotency_key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?
            .get(0);
        Ok(if done.rows_affected() == 1 { Written::New(id) } else { Written::Repeat(id) })
    }

    fn message(r: &AnyRow) -> Message {
        let kind: String = r.get("target_kind");
        let id: String = r.get("target_id");
        Message {
            id: r.get("id"),
            target: if kind == "person" { Target::Person(id) } else { Target::Site(id) },
            name: r.get("name"),
            text: r.get("text"),
            status: r.get("status"),
            at: r.get("at"),
        }
    }

    /// Approved messages for a target, newest first.
    pub async fn approved(&self, target: &Target, limit: i64, offset: i64) -> Result<Vec<Message>, String> {
        let rows = sqlx::query(
            "SELECT * FROM messages WHERE target_kind = $1 AND target_id = $2 AND status = 'approved' ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4",
        )
        .bind(target.kind())
        .bind(target.id())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows.iter().map(Self::message).collect())
    }

    pub async fn pending(&self) -> Result<Vec<Message>, String> {
        let rows = sqlx::query("SELECT * FROM messages WHERE status = 'pending' ORDER BY at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(Self::message).collect())
    }

    /// Approve or reject a pending message and log who did, in one transaction. A message
    /// decided before keeps its decision, which comes back with who made it; two moderators at
    /// once: the row's lock makes the second see the first's decision.
    pub async fn decide(&self, id: i64, approve: bool, moderator: &str) -> Result<Decided, String> {
        let status = if approve { "approved" } else { "rejected" };
        let at = now_secs();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let done =
            sqlx::query("UPDATE messages SET status = $1, reviewed_at = $2 WHERE id = $3 AND status = 'pending'")
                .bind(status)
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        if done.rows_affected() == 1 {
            sqlx::query("INSERT INTO decisions (message_id, decision, moderator, at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(status)
                .bind(moderator)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            return Ok(Decided::Now);
        }
        let Some(row) = sqlx::query("SELECT status FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
        else {
            return Ok(Decided::Missing);
        };
        let status: String = row.get(0);
        let by = sqlx::query("SELECT moderator, at FROM decisions WHERE message_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let (by, at) = by.map_or((String::new(), 0), |r| (r.get(0), r.get(1)));
        Ok(Decided::Before { status, by, at })
    }

    /// The statistics, from the day counts and the offering counts (a few thousand rows at most,
    /// however many visits and offerings are stored).
    pub async fn stats(&self) -> Result<Stats, String> {
        let pairs = |rows: Vec<AnyRow>| -> Vec<(String, i64)> { rows.iter().map(|r| (r.get(0), r.get(1))).collect() };
        let now = self.local_now();
        let per_site = self.visit_totals().await?;
        let year = days_until(now, 365);
        let by_day = sqlx::query("SELECT day, CAST(SUM(n) AS BIGINT) FROM visit_days WHERE day >= $1 GROUP BY day")
            .bind(year[0].as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let by_day: std::collections::HashMap<String, i64> = pairs(by_day).into_iter().collect();
        let filled = |days: &[String]| days.iter().map(|d| (d.clone(), by_day.get(d).copied().unwrap_or(0))).collect();
        let by = |kind: &'static str| {
            sqlx::query("SELECT target_id, CAST(SUM(n) AS BIGINT) FROM offering_counts WHERE target_kind = $1 GROUP BY target_id ORDER BY target_id")
                .bind(kind)
                .fetch_all(&self.pool)
        };
        let sites = by("site").await.map_err(db)?;
        let people = by("person").await.map_err(db)?;
        let count = |sql: &'static str| async move {
            sqlx::query(sql).fetch_one(&self.pool).await.map(|r| r.get::<i64, _>(0)).map_err(db)
        };
        Ok(Stats {
            total_visits: per_site.iter().map(|(_, n)| n).sum(),
            visits_per_site: per_site,
            visits_per_day: filled(&year[year.len() - 30..]),
            visits_per_day_year: filled(&year),
            offerings_per_site: pairs(sites),
            offerings_per_person: pairs(people),
            live_sessions: count("SELECT COUNT(*) FROM live_held").await?,
            live_students: count("SELECT COUNT(*) FROM live_reached").await?,
            today: day_of(now),
        })
    }

    /// The latest decisions, newest first.
    pub async fn decisions(&self, limit: i64) -> Result<Vec<Decision>, String> {
        let rows = sqlx::query("SELECT message_id, decision, moderator, at FROM decisions ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| Decision { message_id: r.get(0), decision: r.get(1), moderator: r.get(2), at: r.get(3) })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The group-commit writer: takes every offering waiting, stores them in one transaction, and
/// answers each only after the commit. A failed commit fails the whole group, so nothing is
/// acknowledged that was not stored.
async fn offering_writer(pool: AnyPool, mut jobs: tokio::sync::mpsc::Receiver<OfferingJob>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        crate::server::metrics::batch(group.len());
        match commit_group(&pool, &group).await {
            Ok(results) => {
                for (job, r) in group.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(r));
                }
            }
            Err(e) => {
                for job in group {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One transaction for a group: one multi-row insert (retries skipped by their idempotency key),
/// one count update per target and kind, and the group's targets' counts read back, so each
/// answer carries the counts its offering is part of.
async fn commit_group(pool: &AnyPool, group: &[OfferingJob]) -> Result<Vec<(Written, Counts)>, String> {
    use std::collections::HashMap;
    let mut tx = pool.begin().await.map_err(db)?;
    let at = now_secs();
    let mut sql =
        String::from("INSERT INTO offerings (target_kind, target_id, kind, client_id, idempotency_key, at) VALUES ");
    for i in 0..group.len() {
        let b = i * 6;
        sql.push_str(&format!(
            "{}(${}, ${}, ${}, ${}, ${}, ${})",
            if i > 0 { ", " } else { "" },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6
        ));
    }
    sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key");
    let mut q = sqlx::query(&sql);
    for j in group {
        q = q
            .bind(j.target.kind())
            .bind(j.target.id())
            .bind(j.kind.as_str())
            .bind(j.client_id.as_str())
            .bind(j.key.as_str())
            .bind(at);
    }
    let inserted: HashMap<String, i64> =
        q.fetch_all(&mut *tx).await.map_err(db)?.iter().map(|r| (r.get::<String, _>(1), r.get::<i64, _>(0))).collect();
    // Retries of offerings stored before: their ids.
    let repeats: Vec<&str> = group.iter().map(|j| j.key.as_str()).filter(|k| !inserted.contains_key(*k)).collect();
    let mut earlier: HashMap<String, i64> = HashMap::new();
    if !repeats.is_empty() {
        let marks: Vec<String> = (1..=repeats.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, idempotency_key FROM offerings WHERE idempotency_key IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for k in &repeats {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut *tx).await.map_err(db)? {
            earlier.insert(r.get(1), r.get(0));
        }
    }
    // Which jobs are new (the first job with a key that was inserted), and the counts to add.
    let mut out: Vec<Written> = Vec::with_capacity(group.len());
    let mut claimed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut added: HashMap<(&str, &str, &str), i64> = HashMap::new();
    for j in group {
        let key = j.key.as_str();
        match inserted.get(key) {
            Some(&id) if claimed.insert(key) => {
                *added.entry((j.target.kind(), j.target.id(), j.kind.as_str())).or_insert(0) += 1;
                out.push(Written::New(id));
            }
            Some(&id) => out.push(Written::Repeat(id)),
            None => {
                let id =
                    earlier.get(key).copied().ok_or_else(|| format!("offering `{key}` is neither new nor stored"))?;
                out.push(Written::Repeat(id));
            }
        }
    }
    for ((tk, ti, kind), n) in &added {
        sqlx::query(
            "INSERT INTO offering_counts (target_kind, target_id, kind, n) VALUES ($1, $2, $3, $4) ON CONFLICT (target_kind, target_id, kind) DO UPDATE SET n = offering_counts.n + excluded.n",
        )
        .bind(*tk)
        .bind(*ti)
        .bind(*kind)
        .bind(*n)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    // The counts of every target in the group, as this transaction leaves them.
    let mut targets: Vec<(&str, &str)> = group.iter().map(|j| (j.target.kind(), j.target.id())).collect();
    targets.sort_unstable();
    targets.dedup();
    let cond: Vec<String> =
        (0..targets.len()).map(|i| format!("(target_kind = ${} AND target_id = ${})", 2 * i + 1, 2 * i + 2)).collect();
    let sql = format!("SELECT target_kind, target_id, kind, n FROM offering_counts WHERE {}", cond.join(" OR "));
    let mut q = sqlx::query(&sql);
    for (k, i) in &targets {
        q = q.bind(*k).bind(*i);
    }
    let mut counts: HashMap<(String, String), Counts> = HashMap::new();
    for r in q.fetch_all(&mut *tx).await.map_err(db)? {
        let c = counts.entry((r.get(0), r.get(1))).or_default();
        let n: i64 = r.get(3);
        match r.get::<String, _>(2).as_str() {
            "flower" => c.flower = n,
            "candle" => c.candle = n,
            "bow" => c.bow = n,
            _ => {}
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(group
        .iter()
        .zip(out)
        .map(|(j, w)| {
            (w, counts.get(&(j.target.kind().to_string(), j.target.id().to_string())).cloned().unwrap_or_default())
        })
        .collect())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn db(e: sqlx::Error) -> String {
    format!("database error: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("postgres://user:secret@host:5432/db"), "postgres://user:***@host:5432/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn days_are_civil_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(951_782_400), "2000-02-29");
        assert_eq!(day_of(1_798_761_600), "2027-01-01");
        assert_eq!(day_of(1_798_761_599), "2026-12-31");
    }
}
