//! `/studio`: the curators' pages and API. Handlers parse, call [`crate::studio`] on a blocking
//! thread (it reads and writes files), and answer.
//!
//! Every path needs a curator's token (`Authorization: Bearer`), named like the moderators'
//! (`CLOUDHALL_CURATOR_TOKENS=name:token,...` or `DATA/curators`); the roles are separate. The
//! preview of the drafts is the hall's own web viewer served under `/studio/view/{key}/`, where
//! its `api/v1/tour` is the tour with the drafts in it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::{ApiError, AppState, bad, body, check_write, guard, internal};
use crate::api::studio as api;
use crate::studio::drafts::Refusal;
use crate::studio::publish::Step;
use crate::studio::{NotPublished, Studio};

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
    jobs: SyncMutex<HashMap<String, Arc<JobCell>>>,
}

/// A tiling job, as its thread updates it.
struct JobCell {
    done: AtomicU64,
    total: u64,
    outcome: SyncMutex<Option<Result<crate::tour::Panorama, String>>>,
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
            jobs: SyncMutex::new(HashMap::new()),
        };
        self.studio.set(Arc::new(state)).map_err(|_| "the studio is already enabled".to_string())
    }
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

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
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
    studio: Arc<StudioState>,
}

impl FromRequestParts<Arc<AppState>> for Curator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, ApiError> {
        let studio = studio_of(s)?;
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .trim();
        let name = studio.curators.who(presented).map(str::to_string).ok_or_else(|| {
            ApiError(StatusCode::UNAUTHORIZED, "a valid curator token is required (a moderator's token is not one)".into())
        })?;
        Ok(Curator { name, studio })
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
        .route("/studio/view/{key}/", get(preview_root))
        .route("/studio/view/{key}/{*rest}", get(preview))
        .route(api::ME, get(me))
        .route(api::SITES, get(sites).post(create_site))
        .route("/api/v1/studio/sites/{id}", get(site).put(save))
        .route("/api/v1/studio/sites/{id}/publish", post(publish))
        .route("/api/v1/studio/sites/{id}/draft", axum::routing::delete(discard))
        .route(api::VERSIONS, get(versions))
        .route("/api/v1/studio/versions/{n}/restore", post(restore))
        .route(api::LOG, get(log))
        .route(api::TIMING, post(timing))
        .route("/api/v1/studio/jobs/{id}", get(job))
        // A whole site with its scenes is larger than a visitor's message.
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(
            Router::new()
                .route(api::PANORAMA, post(upload_panorama))
                .route(api::AUDIO, post(upload_audio))
                .route(api::PLAN, post(upload_plan))
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

async fn me(c: Curator, headers: HeaderMap) -> Json<api::Me> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    Json(api::Me { name: c.name, preview: preview_key(token) })
}

/// The published sites and the drafts, for the page's list.
async fn sites(c: Curator, State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let studio = c.studio.studio.clone();
    let drafts = blocking(move || studio.drafts.all()).await?.map_err(internal)?;
    let published = s.tour();
    let mut list: Vec<serde_json::Value> = published
        .tour
        .sites
        .iter()
        .map(|site| {
            let d = drafts.iter().find(|d| d.site.id == site.id);
            json!({ "id": site.id, "name": site.name, "published": true, "draft": d.map(|d| json!({"rev": d.rev, "by": d.by, "at": d.at})) })
        })
        .collect();
    for d in drafts.iter().filter(|d| published.tour.site(&d.site.id).is_none()) {
        list.push(json!({ "id": d.site.id, "name": d.site.name, "published": false, "draft": {"rev": d.rev, "by": d.by, "at": d.at} }));
    }
    let categories: Vec<serde_json::Value> =
        published.tour.categories.iter().map(|c| json!({"id": c.id, "name": c.name, "color": c.color})).collect();
    Ok(Json(json!({ "sites": list, "categories": categories, "map": published.tour.map })).into_response())
}

/// A site to edit (its draft, else the published site), with what the check says of it.
async fn site(c: Curator, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    let studio = c.studio.studio.clone();
    let found = blocking(move || -> Result<Option<serde_json::Value>, String> {
        let Some(editing) = studio.editing(&id)? else { return Ok(None) };
        let draft = crate::studio::drafts::Draft {
            site: editing.site.clone(),
            rev: editing.rev,
            base: None,
            by: String::new(),
            at: 0,
        };
        let checked = studio.check(&draft)?;
        Ok(Some(json!({ "editing": editing, "check": checked })))
    })
    .await?
    .map_err(internal)?;
    match found {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError(StatusCode::NOT_FOUND, "there is no such site, published or drafted".into())),
    }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Bad(reason) => bad(reason),
        Refusal::Conflict { .. } => ApiError(StatusCode::CONFLICT, "conflict".into()),
    }
}

/// A 409 that says who changed what.
fn conflict(reason: String, by: String, at: u64, changed: Vec<String>, rev: Option<u64>) -> Response {
    (StatusCode::CONFLICT, Json(api::Conflict { error: reason, by, at, changed, rev })).into_response()
}

async fn create_site(
    c: Curator,
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::NewSite { site } = body(raw)?;
    if s.tour().tour.site(&site.id).is_some() {
        return Err(ApiError(StatusCode::CONFLICT, format!("a site `{}` is already in the hall; choose another id", site.id)));
    }
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let id = site.id.clone();
    let saved = blocking(move || {
        if studio.drafts.get(&id).ok().flatten().is_some() {
            return Err(Refusal::Bad(format!("a draft of a site `{id}` exists already; open it from the list")));
        }
        studio.save(site, 0, &by, now())
    })
    .await?;
    match saved {
        Ok(d) => Ok((StatusCode::CREATED, Json(json!({ "rev": d.rev, "site": d.site.id }))).into_response()),
        Err(r) => Err(refusal(r)),
    }
}

async fn save(
    c: Curator,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::SaveDraft { rev, site } = body(raw)?;
    if site.id != id {
        return Err(bad(format!("the body is site `{}`, the address names `{id}`", site.id)));
    }
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let saved = blocking(move || {
        let d = studio.save(site, rev, &by, now())?;
        let checked = studio.check(&d).map_err(Refusal::Bad)?;
        Ok::<_, Refusal>((d, checked))
    })
    .await?;
    match saved {
        Ok((d, checked)) => Ok(Json(json!({ "rev": d.rev, "by": d.by, "at": d.at, "check": checked })).into_response()),
        Err(Refusal::Conflict { by, at, rev, changed }) => Ok(conflict(
            format!("{by} saved this site while you were editing it; what differs from yours: {}. Reload to see their version, then make your change again", changed.join("; ")),
            by,
            at,
            changed,
            Some(rev),
        )),
        Err(r) => Err(refusal(r)),
    }
}

#[derive(Deserialize)]
struct RevQuery {
    rev: u64,
}

async fn discard(
    c: Curator,
    UrlPath(id): UrlPath<String>,
    q: Result<Query<RevQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| bad(e.body_text()))?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    blocking(move || -> Result<(), ApiError> {
        match studio.drafts.get(&id).map_err(internal)? {
            Some(d) if d.rev == q.rev => {
                studio.drafts.remove(&id).map_err(internal)?;
                studio.log.add(&by, now(), "discarded", &id, &format!("revision {}", d.rev));
                Ok(())
            }
            Some(d) => Err(ApiError(StatusCode::CONFLICT, format!("{} saved revision {} since; reload before discarding", d.by, d.rev))),
            None => Err(ApiError(StatusCode::NOT_FOUND, format!("there is no draft of `{id}`"))),
        }
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A test's way to stop the server mid-publish (`CLOUDHALL_STUDIO_KILL_AT=staged|first-file`):
/// the process dies there as it would if killed.
fn kill_at(step: Step) {
    let wanted = std::env::var("CLOUDHALL_STUDIO_KILL_AT").unwrap_or_default();
    let here = match step {
        Step::Staged => "staged",
        Step::FirstFileReplaced => "first-file",
    };
    if wanted == here {
        eprintln!("studio: stopping at `{here}` as CLOUDHALL_STUDIO_KILL_AT asks");
        std::process::abort();
    }
}

fn not_published(e: NotPublished) -> Response {
    match e {
        NotPublished::Conflict { by, at, changed, reason } => conflict(reason, by, at, changed, None),
        NotPublished::Invalid(checked) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!("publishing is refused while the check finds {} error(s); they are listed beside their fields", checked.errors),
                "check": checked,
            })),
        )
            .into_response(),
        NotPublished::Bad(reason) => bad(reason).into_response(),
    }
}

/// Load the tour the files now hold and serve it.
async fn reload(s: &AppState, tour_dir: PathBuf) -> Result<(), ApiError> {
    let tour = blocking(move || crate::tour::load(&tour_dir).into_result()).await?.map_err(|d| {
        internal(format!("the tour does not load after publishing: {}", d.first().map(|d| d.to_string()).unwrap_or_default()))
    })?;
    s.replace_tour(tour);
    Ok(())
}

async fn publish(
    c: Curator,
    State(s): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::Publish { rev } = body(raw)?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = id.clone();
    let done = blocking(move || studio.publish(&site, rev, &by, now(), &kill_at)).await?;
    match done {
        Ok((version, checked)) => {
            reload(&s, c.studio.studio.hall.tour_dir.clone()).await?;
            tracing::info!("studio: {} published {id} as version {}", c.name, version.n);
            let warnings: Vec<_> = checked.items.into_iter().filter(|i| !matches!(i.severity, crate::tour::Severity::Error)).collect();
            Ok(Json(json!({ "version": version, "warnings": warnings })).into_response())
        }
        Err(e) => Ok(not_published(e)),
    }
}

async fn versions(c: Curator) -> Result<Response, ApiError> {
    let studio = c.studio.studio.clone();
    let list = blocking(move || studio.hall.versions()).await?.map_err(internal)?;
    Ok(Json(json!({ "versions": list })).into_response())
}

async fn restore(
    c: Curator,
    State(s): State<Arc<AppState>>,
    UrlPath(n): UrlPath<u64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let done = blocking(move || studio.restore(n, &by, now(), &kill_at)).await?;
    match done {
        Ok(version) => {
            reload(&s, c.studio.studio.hall.tour_dir.clone()).await?;
            tracing::info!("studio: {} restored version {n} as version {}", c.name, version.n);
            Ok(Json(json!({ "version": version })).into_response())
        }
        Err(e) => Ok(not_published(e)),
    }
}

async fn log(c: Curator) -> Result<Response, ApiError> {
    let studio = c.studio.studio.clone();
    let entries = blocking(move || studio.log.recent(200)).await?;
    Ok(Json(json!({ "log": entries })).into_response())
}

async fn timing(
    _c: Curator,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let t: api::Timing = body(raw)?;
    if t.lines > 500 || !t.duration.is_finite() || t.duration < 0.0 {
        return Err(bad("give 0 to 500 lines and the audio's duration in seconds"));
    }
    Ok(Json(json!({ "times": crate::studio::audio::time_lines(t.lines, &t.speech, t.duration) })).into_response())
}

#[derive(Deserialize)]
struct UploadQuery {
    site: String,
    #[serde(default)]
    scene: Option<String>,
    /// The file's own name, for messages.
    #[serde(default)]
    name: Option<String>,
}

fn upload_query(q: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>, scene: bool) -> Result<UploadQuery, ApiError> {
    let Query(q) = q.map_err(|e| bad(e.body_text()))?;
    let ok = |id: &str| crate::tour::validate::is_kebab(id);
    if !ok(&q.site) || (scene && !q.scene.as_deref().is_some_and(ok)) {
        return Err(bad("give ?site=ID (and ?scene=ID) as lowercase letters, digits and dashes"));
    }
    Ok(q)
}

/// A random hex id for an upload.
fn upload_id() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::getrandom(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Store a request's body in `DATA/studio/uploads/`, refusing it (and keeping nothing) when it
/// is over the limit: at once when its length says so, else as soon as it passes it.
async fn receive(st: &StudioState, headers: &HeaderMap, body: Body) -> Result<PathBuf, ApiError> {
    let limit = st.upload_limit;
    let too_big = || {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is over this server's upload limit of {} MB; make it smaller first", megabytes(limit)),
        )
    };
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let dir = st.studio.hall.studio_dir.join("uploads");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| internal(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.upload", upload_id()));
    let mut file = tokio::fs::File::create(&path).await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    let outcome: Result<(), ApiError> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| bad(format!("the upload was cut off: {e}")))?;
            total += chunk.len() as u64;
            if total > limit {
                return Err(too_big());
            }
            file.write_all(&chunk).await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
        }
        file.flush().await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
        if total == 0 {
            return Err(bad("the upload is empty"));
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        drop(file);
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(path)
}

/// A size in MB as people read it: `256`, `0.1`.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 { format!("{mb:.0}") } else { format!("{mb:.1}") }
}

/// A tiler's message about the stored upload, naming the curator's file instead.
fn as_theirs(message: &str, stored: &Path, name: Option<&str>) -> String {
    message.replace(&stored.display().to_string(), name.unwrap_or("the image"))
}

/// `POST /api/v1/studio/panorama?site=&scene=&name=`: the image is checked at once (the same
/// refusals as `cloudhall tiles`), then tiled in the background into a new folder of the assets;
/// the answer is the job to follow.
async fn upload_panorama(
    c: Curator,
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let q = upload_query(q, true)?;
    let stored = receive(&c.studio, &headers, body).await?;
    let name = q.name.clone();
    let check_path = stored.clone();
    let checked = blocking(move || crate::tiles::check_input(&check_path)).await?;
    let (w, _) = match checked {
        Ok(size) => size,
        Err(e) => {
            let _ = tokio::fs::remove_file(&stored).await;
            return Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, as_theirs(&e, &stored, name.as_deref())));
        }
    };
    let opts = crate::tiles::Options::default();
    let (face, levels) = crate::tiles::plan(w, opts.tile);
    let id = upload_id();
    let scene = q.scene.clone().unwrap_or_default();
    let prefix = format!("pano/studio/{}/{scene}-{id}", q.site);
    let out = s.assets_dir.join(&prefix);
    let cell = Arc::new(JobCell {
        done: AtomicU64::new(0),
        total: crate::tiles::tile_count(face, levels, opts.tile),
        outcome: SyncMutex::new(None),
    });
    c.studio.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), cell.clone());
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = q.site.clone();
    tokio::task::spawn_blocking(move || {
        let progress = |n: u64| cell.done.store(n, Ordering::Relaxed);
        let made = crate::tiles::make(&stored, &out, opts, &progress)
            .map(|sum| crate::tour::Panorama::from(crate::tiles::multires(&prefix, sum.face_size, sum.levels, sum.tile_size)))
            .map_err(|e| as_theirs(&e, &stored, name.as_deref()));
        let _ = std::fs::remove_file(&stored);
        match &made {
            Ok(_) => studio.log.add(&by, now(), "uploaded", &site, &format!("panorama for {scene}: {prefix}")),
            Err(e) => tracing::warn!("studio: tiling for {site}/{scene} failed: {e}"),
        }
        *cell.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(made);
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": id }))).into_response())
}

async fn job(c: Curator, UrlPath(id): UrlPath<String>) -> Result<Json<api::Job>, ApiError> {
    let cell = c.studio.jobs.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
    let cell = cell.ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("there is no job `{id}` on this server")))?;
    let outcome = cell.outcome.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (state, error, panorama) = match outcome {
        None => (api::JobState::Running, None, None),
        Some(Ok(p)) => (api::JobState::Done, None, Some(p)),
        Some(Err(e)) => (api::JobState::Failed, Some(e), None),
    };
    Ok(Json(api::Job { id, state, done: cell.done.load(Ordering::Relaxed), total: cell.total, error, panorama }))
}

/// `POST /api/v1/studio/audio?site=&scene=`: any common audio format (or the page's recording),
/// converted to the Ogg Vorbis the hall plays, with its pauses and waveform.
async fn upload_audio(
    c: Curator,
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let q = upload_query(q, true)?;
    let stored = receive(&c.studio, &headers, body).await?;
    let rel = format!("audio/studio/{}/{}-{}.ogg", q.site, q.scene.clone().unwrap_or_default(), upload_id());
    let out = s.assets_dir.join(&rel);
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = q.site.clone();
    let rel2 = rel.clone();
    let made = blocking(move || -> Result<crate::studio::audio::Analysis, String> {
        let dir = out.parent().ok_or("no folder")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Converted beside its place, then moved in whole.
        let tmp = dir.join(format!(".{}.partial", out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()));
        let result = crate::studio::audio::convert(&stored, &tmp).and_then(|_| crate::studio::audio::analyse(&tmp));
        let _ = std::fs::remove_file(&stored);
        match result {
            Ok(a) => {
                std::fs::rename(&tmp, &out).map_err(|e| format!("cannot store the audio: {e}"))?;
                studio.log.add(&by, now(), "uploaded", &site, &format!("narration {rel2}"));
                Ok(a)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    })
    .await?
    .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    Ok(Json(api::Audio { audio: rel, duration: made.duration, speech: made.speech, peaks: made.peaks }).into_response())
}

/// `POST /api/v1/studio/plan?site=`: a floor plan image (JPEG or PNG), decoded to be sure.
async fn upload_plan(
    c: Curator,
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let q = upload_query(q, false)?;
    let stored = receive(&c.studio, &headers, body).await?;
    let assets = s.assets_dir.clone();
    let site = q.site.clone();
    let name = q.name.clone();
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let made = blocking(move || -> Result<api::Plan, String> {
        let result = (|| {
            let reader = image::ImageReader::open(&stored)
                .and_then(|r| r.with_guessed_format())
                .map_err(|e| format!("cannot read the plan: {e}"))?;
            let ext = match reader.format() {
                Some(image::ImageFormat::Jpeg) => "jpg",
                Some(image::ImageFormat::Png) => "png",
                _ => return Err("the plan is not a JPEG or PNG image".to_string()),
            };
            let img = reader.decode().map_err(|e| format!("the plan is corrupt: {}", e.to_string().trim()))?;
            let rel = format!("plans/studio/{site}-{}.{ext}", upload_id());
            let out = assets.join(&rel);
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            crate::studio::drafts::write_atomic(&out, &std::fs::read(&stored).map_err(|e| e.to_string())?)?;
            studio.log.add(&by, now(), "uploaded", &site, &format!("floor plan {rel}"));
            Ok(api::Plan { image: rel, width: img.width(), height: img.height() })
        })();
        let _ = std::fs::remove_file(&stored);
        result.map_err(|e| as_theirs(&e, &stored, name.as_deref()))
    })
    .await?
    .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    Ok(Json(made).into_response())
}

/// The preview's key, checked against every curator's token.
fn preview_allowed(s: &AppState, key: &str) -> Option<Arc<StudioState>> {
    let st = s.studio.get()?.clone();
    let ok = st.curators.tokens().any(|t| guard::token_matches(key, &preview_key(t)));
    ok.then_some(st)
}

async fn preview_root(
    State(s): State<Arc<AppState>>,
    UrlPath(key): UrlPath<String>,
    req: axum::extract::Request,
) -> Response {
    preview_file(&s, &key, "", req).await
}

async fn preview(
    State(s): State<Arc<AppState>>,
    UrlPath((key, rest)): UrlPath<(String, String)>,
    req: axum::extract::Request,
) -> Response {
    preview_file(&s, &key, &rest, req).await
}

/// `/studio/view/{key}/...`: the web viewer's files, its tour with the drafts in it, and the
/// assets, so the viewer in the studio's frame shows the drafts as visitors will see them.
async fn preview_file(s: &Arc<AppState>, key: &str, rest: &str, req: axum::extract::Request) -> Response {
    let Some(st) = preview_allowed(s, key) else {
        return ApiError(StatusCode::UNAUTHORIZED, "this preview link is not valid here; open the studio again".into())
            .into_response();
    };
    if rest == "api/v1/tour" {
        let studio = st.studio.clone();
        let published = s.tour().tour.clone();
        return match blocking(move || studio.preview(&published)).await {
            Ok(Ok(tour)) => {
                let mut res = super::serve_tour(&super::Published::new(tour), req.headers());
                res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
                res
            }
            Ok(Err(e)) => internal(e).into_response(),
            Err(e) => e.into_response(),
        };
    }
    if rest.starts_with("api/") {
        // The preview records nothing: no visits, offerings or messages from curators' work.
        return ApiError(StatusCode::NOT_FOUND, "the studio's preview does not record visits or offerings".into())
            .into_response();
    }
    let (dir, path) = match rest.strip_prefix("assets/") {
        Some(a) => (s.assets_dir.clone(), format!("/{a}")),
        None => (st.web_dir.clone(), format!("/{rest}")),
    };
    let (mut parts, body) = req.into_parts();
    parts.uri = path.parse().unwrap_or_else(|_| Uri::from_static("/"));
    let req = axum::http::Request::from_parts(parts, body);
    let mut serve = tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip();
    match serve.try_call(req).await {
        Ok(res) => {
            let mut res = res.map(Body::new);
            // Drafts change under the same names: never cached.
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => internal(format!("preview: {e}")).into_response(),
    }
}
