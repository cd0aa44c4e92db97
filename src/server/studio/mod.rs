//! `/studio`: the curators' pages and API. Handlers parse, call [`crate::studio`] on a blocking
//! thread (it reads and writes files), and answer.
//!
//! Every path needs a curator's token (`Authorization: Bearer`), named like the moderators'
//! (`CLOUDHALL_CURATOR_TOKENS=name:token,...` or `DATA/curators`); the roles are separate. The
//! preview of the drafts is the hall's own web viewer served under `/studio/view/{key}/`, where
//! its `api/v1/tour` is the tour with the drafts in it.

mod preview;
mod sites;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::{ApiError, AppState, guard, internal};
use crate::api::studio as api;
use crate::studio::Studio;

const PAGE: &str = include_str!("studio.html");
const SCRIPT: &str = include_str!("studio.js");

/// Uploads larger than this are refused before they are stored, unless `--upload-limit-mb` says.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 256 * 1024 * 1024;

/// The largest site a curator may save, as JSON.
pub const JSON_LIMIT: usize = 4 * 1024 * 1024;

/// What the studio needs from `cloudhall serve`.
pub struct StudioConfig {
    pub tour_dir: PathBuf,
    pub data_dir: PathBuf,
    /// `name:token` pairs, as the moderators'.
    pub curators: guard::Moderators,
    pub upload_limit: u64,
    /// The browser viewer (`make web`), which previews the drafts.
    pub web_dir: PathBuf,
}

pub struct StudioState {
    studio: Arc<Studio>,
    curators: guard::Moderators,
    upload_limit: u64,
    web_dir: PathBuf,
    /// One write at a time (saves, publishes, restores): each reads what the last one wrote.
    writing: tokio::sync::Mutex<()>,
    jobs: uploads::Jobs,
}

impl AppState {
    /// Open the studio on `cfg` (finishing or dropping a publish a crash cut short) and reload
    /// the tour if that changed it. Without curators the studio answers 401.
    pub fn enable_studio(&self, cfg: StudioConfig) -> Result<(), String> {
        let (studio, recovered) = Studio::open(&cfg.tour_dir, &cfg.data_dir)?;
        if let Some(what) = recovered {
            tracing::warn!("studio: {what}");
            let tour = crate::tour::load(&cfg.tour_dir).into_result().map_err(|d| {
                format!("the tour has errors after recovery: {}", d.first().map(|d| d.to_string()).unwrap_or_default())
            })?;
            self.replace_tour(tour);
        }
        let state = StudioState {
            studio: Arc::new(studio),
            curators: cfg.curators,
            upload_limit: cfg.upload_limit,
            web_dir: cfg.web_dir,
            writing: tokio::sync::Mutex::new(()),
            jobs: Default::default(),
        };
        self.studio.set(Arc::new(state)).map_err(|_| "the studio is already enabled".to_string())
    }
}

/// Serve what another `cloudhall serve` sharing the tour and data folders publishes: every two
/// seconds the newest version's number is compared with the one this server last loaded.
pub fn follow_publishes(state: Arc<AppState>) {
    let Some(st) = state.studio.get().cloned() else { return };
    tokio::spawn(async move {
        let studio = st.studio.clone();
        let mut seen = blocking(move || studio.hall.latest()).await.ok().flatten();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            let studio = st.studio.clone();
            let Ok(latest) = blocking(move || studio.hall.latest()).await else { continue };
            if latest == seen {
                continue;
            }
            // After any publish of this server in progress, which reloads by itself.
            let _w = st.writing.lock().await;
            match sites::reload(&state, st.studio.hall.tour_dir.clone()).await {
                Ok(()) => {
                    tracing::info!("studio: serving version {latest:?}, published by another instance");
                    seen = latest;
                }
                Err(e) => tracing::warn!("studio: version {latest:?} does not load yet: {}", e.1),
            }
        }
    });
}

/// The curators' tokens: `CLOUDHALL_CURATOR_TOKENS` (`name:token,name:token`), else the file
/// `curators` in the data folder (a `name:token` a line).
pub fn curator_tokens(data_dir: &Path) -> Option<String> {
    std::env::var("CLOUDHALL_CURATOR_TOKENS")
        .ok()
        .or_else(|| std::fs::read_to_string(data_dir.join("curators")).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Seconds since 1970, from the server's one clock.
fn now() -> u64 {
    super::store::now_secs().max(0) as u64
}

/// The studio of this server, or 401 when no curator token is set.
fn studio_of(s: &AppState) -> Result<Arc<StudioState>, ApiError> {
    s.studio.get().cloned().ok_or_else(|| {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "the studio is not enabled on this server: set CLOUDHALL_CURATOR_TOKENS=name:token,... or write DATA/curators (a name:token a line)".into(),
        )
    })
}

/// A request from a curator: their name and the studio.
pub struct Curator {
    pub name: String,
    token: String,
    studio: Arc<StudioState>,
}

impl FromRequestParts<Arc<AppState>> for Curator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, ApiError> {
        let studio = studio_of(s)?;
        let (name, token) = super::sign_in(
            parts,
            s,
            &studio.curators,
            "a valid curator token is required (a moderator's token is not one)",
        )
        .await?;
        Ok(Curator { name, token, studio })
    }
}

/// Run the studio's file work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| internal(format!("studio task failed: {e}")))
}

/// The preview key of a curator's token: derived from it, so every instance with the same
/// tokens accepts it, and it does not reveal the token.
fn preview_key(token: &str) -> String {
    crate::studio::digest(&format!("cloudhall studio preview {token}"))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/studio", get(page))
        .route("/studio/studio.js", get(script))
        .route("/studio/view/{key}/", get(preview::root))
        .route("/studio/view/{key}/{*rest}", get(preview::file).post(preview::file))
        .route(api::ME, get(me))
        .route(api::SITES, get(sites::sites).post(sites::create_site))
        .route("/api/v1/studio/sites/{id}", get(sites::site).put(sites::save))
        .route("/api/v1/studio/sites/{id}/publish", post(sites::publish))
        .route("/api/v1/studio/sites/{id}/draft", delete(sites::discard))
        .route(api::VERSIONS, get(sites::versions))
        .route("/api/v1/studio/versions/{n}/restore", post(sites::restore))
        .route(api::LOG, get(sites::log))
        .route(api::TIMING, post(sites::timing))
        .route("/api/v1/studio/jobs/{id}", get(uploads::job))
        // A whole site with its scenes is larger than a visitor's message.
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(
            Router::new()
                .route(api::PANORAMA, post(uploads::upload_panorama))
                .route(api::AUDIO, post(uploads::upload_audio))
                .route(api::PLAN, post(uploads::upload_plan))
                .layer(DefaultBodyLimit::disable()),
        )
}

fn page_headers() -> [(header::HeaderName, &'static str); 3] {
    [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        // Its own script; the preview (this server) in a frame; not framed by other sites.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; frame-src 'self'; frame-ancestors 'none'",
        ),
    ]
}

async fn page() -> Response {
    (page_headers(), PAGE).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SCRIPT)
        .into_response()
}

async fn me(c: Curator) -> Json<api::Me> {
    Json(api::Me { preview: preview_key(&c.token), name: c.name })
}
