//! For the hall's staff: `/admin`, the moderation page, and the API behind it; and the handlers
//! of the statistics ([`super::stats`]).
//!
//! Moderation needs `Authorization: Bearer <token>`, one of the named moderators' tokens
//! ([`super::guard::Moderators`]); every decision is logged with that name. The page keeps the
//! token for its tab only (session storage) and writes visitors' text as text, never as HTML.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::stats::Rendered;
use super::store::Decided;
use super::{ApiError, AppState, bad, body, internal};

/// The moderation page (static: it asks the API for everything).
const ADMIN_PAGE: &str = include_str!("admin.html");

pub async fn admin_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Its own script only; no frames (clickjacking a moderator).
            (header::CONTENT_SECURITY_POLICY, "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        ],
        ADMIN_PAGE,
    )
        .into_response()
}

/// A request from a moderator: their name, from the bearer token; 401 without a valid one, 429
/// after many wrong tokens from one address.
pub struct Moderator(pub String);

impl axum::extract::FromRequestParts<Arc<AppState>> for Moderator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, s: &Arc<AppState>) -> Result<Self, ApiError> {
        if s.moderators.is_empty() {
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "moderation is not enabled on this server (no moderator token is set)".into(),
            ));
        }
        let (name, _) = super::sign_in(parts, s, &s.moderators, "a valid moderator token is required").await?;
        Ok(Moderator(name))
    }
}

/// `GET /api/v1/memorial/pending`: the messages waiting, oldest first, each with the listed
/// words it contains; and who is asking.
pub async fn pending(State(s): State<Arc<AppState>>, Moderator(who): Moderator) -> Result<Json<Value>, ApiError> {
    let list = s.store.pending().await.map_err(internal)?;
    let messages: Vec<Value> = list
        .into_iter()
        .map(|m| {
            let mut flagged = s.words.all(&m.text);
            flagged.extend(s.words.all(&m.name));
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["flagged"] = json!(flagged);
            v
        })
        .collect();
    Ok(Json(json!({ "moderator": who, "messages": messages })))
}

/// Approve or reject one message, logged under the moderator's name.
async fn decide(s: &AppState, who: &str, id: i64, approve: bool) -> Result<Decided, ApiError> {
    let decided = s.store.decide(id, approve, who).await.map_err(internal)?;
    if decided == Decided::Now {
        tracing::info!("message {id} {} by {who}", if approve { "approved" } else { "rejected" });
    }
    Ok(decided)
}

async fn review_one(s: Arc<AppState>, who: String, id: String, approve: bool) -> Result<Response, ApiError> {
    let id: i64 = id.parse().map_err(|_| bad(format!("`{id}` is not a message id")))?;
    match decide(&s, &who, id, approve).await? {
        Decided::Now => {
            Ok(Json(json!({ "id": id, "status": if approve { "approved" } else { "rejected" }, "by": who })).into_response())
        }
        Decided::Missing => Err(ApiError(StatusCode::NOT_FOUND, format!("no message {id}"))),
        // Someone decided first: their decision stands, and this one says so.
        Decided::Before { status, by, at } => Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "error": format!("message {id} was already {status} by {}", if by.is_empty() { "another moderator" } else { &by }),
                "id": id, "status": status, "by": by, "at": at,
            })),
        )
            .into_response()),
    }
}

pub async fn approve(
    State(s): State<Arc<AppState>>,
    Moderator(who): Moderator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    review_one(s, who, id, true).await
}

pub async fn reject(
    State(s): State<Arc<AppState>>,
    Moderator(who): Moderator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    review_one(s, who, id, false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewIn {
    ids: Vec<i64>,
    /// `approve` or `reject`.
    decision: String,
}

/// `POST /api/v1/memorial/review`: a decision on several messages at once.
pub async fn review_many(
    State(s): State<Arc<AppState>>,
    Moderator(who): Moderator,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let r: ReviewIn = body(raw)?;
    let approve = match r.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => return Err(bad(format!("decision must be `approve` or `reject`, not `{other}`"))),
    };
    if r.ids.is_empty() || r.ids.len() > 500 {
        return Err(bad("give 1 to 500 message ids"));
    }
    let (mut done, mut missing, mut already) = (Vec::new(), Vec::new(), Vec::new());
    for id in r.ids {
        match decide(&s, &who, id, approve).await? {
            Decided::Now => done.push(id),
            Decided::Missing => missing.push(id),
            Decided::Before { status, by, .. } => already.push(json!({ "id": id, "status": status, "by": by })),
        }
    }
    Ok(Json(json!({ "done": done, "missing": missing, "already": already, "by": who })))
}

/// `GET /api/v1/memorial/decisions`: the latest decisions, newest first.
pub async fn decisions(State(s): State<Arc<AppState>>, _: Moderator) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "decisions": s.store.decisions(200).await.map_err(internal)? })))
}

/// The statistics, computed at most every [`super::stats::FRESH`].
async fn rendered(s: &AppState) -> Result<Arc<Rendered>, ApiError> {
    let mut cache = s.stats.lock().await;
    if let Some(r) = cache.as_ref()
        && r.at.elapsed() < super::stats::FRESH
    {
        return Ok(r.clone());
    }
    let stats = s.store.stats().await.map_err(internal)?;
    let r = Rendered::new(stats, &s.tour().tour, &s.zone);
    *cache = Some(r.clone());
    Ok(r)
}

fn answer(content_type: &'static str, bytes: Bytes) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], bytes).into_response()
}

/// `GET /api/v1/stats`.
pub async fn stats_json(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(answer("application/json", rendered(&s).await?.json.clone()))
}

/// `GET /stats.html`.
pub async fn stats_page(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(answer("text/html; charset=utf-8", rendered(&s).await?.page.clone()))
}

/// `GET /api/v1/stats.csv`.
pub async fn stats_csv(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let r = rendered(&s).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"cloudhall-stats.csv\""),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        r.csv.clone(),
    )
        .into_response())
}

/// `GET /api/v1/visits/count`: the visit counter visitors see, the database's (see
/// [`super::stats::VisitCounter`]); browsers and proxies may keep it for half a minute.
pub async fn visit_count(State(s): State<Arc<AppState>>) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=30")], Json(s.visit_counter.json(&s.store).await)).into_response()
}
