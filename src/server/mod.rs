//! `cloudhall serve`: the tour and its assets over HTTP, visit counts, and the memorial
//! (offerings, and messages reviewed before they are shown). axum on tokio; SQLite by default.
//!
//! Handlers stay thin: checks live in [`guard`], data in [`store`], files in [`files`].

pub mod admin;
pub mod files;
pub mod guard;
pub mod http;
pub mod live;
pub mod metrics;
pub mod stats;
pub mod store;
pub mod studio;
pub mod versions;
pub mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::tour::Tour;
use guard::{RateLimiter, WordList};
use store::{OfferingKind, Store, Target, Written};

/// Request bodies larger than this are refused.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The longest a request may take to be answered (408 after), uploads to the studio aside.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What `cloudhall serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    pub tour_dir: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// The moderators' bearer tokens, `name:token` pairs (or one bare token); without any,
    /// moderation answers 401.
    pub moderator_token: Option<String>,
    /// Seconds east of UTC where the statistics' days begin (China Standard Time by default).
    pub utc_offset: i64,
    pub words: WordList,
    /// Limits and timings of live guided sessions.
    pub live: live::LiveConfig,
    /// The browser viewer built by `make web`, served at `/`.
    pub web_dir: PathBuf,
    /// The largest upload the studio takes, bytes.
    pub upload_limit: u64,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The tour as it is served: the model, and its JSON made once in every encoding.
pub struct Published {
    pub tour: Tour,
    json: Bytes,
    /// The same, gzipped once: a phone on a slow link waits for every byte of it before the
    /// first view.
    gzip: Bytes,
    /// ...and with brotli (smaller still), for browsers that take it.
    br: Bytes,
    etag: String,
    /// The assets' content versions in the JSON (see [`versions`]).
    versions: std::collections::BTreeMap<String, String>,
}

impl Published {
    pub fn new(tour: Tour) -> Published {
        let versions = versions::asset_versions(&tour);
        Published::with_versions(tour, versions)
    }

    /// The tour with its assets' versions already taken.
    fn with_versions(tour: Tour, versions: std::collections::BTreeMap<String, String>) -> Published {
        let body = tour_body(&tour, &versions);
        Published {
            tour,
            versions,
            etag: format!("\"{:x}\"", Sha256::digest(&body)),
            gzip: Bytes::from(gzip(&body)),
            br: Bytes::from(brotli(&body)),
            json: Bytes::from(body),
        }
    }
}

/// The tour's JSON as viewers read it, with the fonts they should fetch.
pub fn tour_body(tour: &Tour, versions: &std::collections::BTreeMap<String, String>) -> Vec<u8> {
    let mut v = crate::tour::json::tour_json(tour);
    // The font viewers should fetch: the first one in the assets' fonts folder.
    if let Some(font) = first_font(&tour.assets_dir)
        && let Some(o) = v.as_object_mut()
    {
        // ...and its subset for the first screen (the tour's and the interface's characters,
        // fonts/first/, which `make web` writes), when there is one.
        let first = font.replacen("fonts/", "fonts/first/", 1);
        if tour.assets_dir.join(&first).is_file() {
            o.insert("font_first".into(), Value::String(first));
        }
        o.insert("font".into(), Value::String(font));
    }
    // Each asset's content version, which viewers put in its URL (see [`versions`]).
    if let Some(o) = v.as_object_mut()
        && let Ok(versions) = serde_json::to_value(versions)
    {
        o.insert("versions".into(), versions);
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Shared by every handler.
pub struct AppState {
    /// Replaced as a whole when the studio publishes: a request sees the old tour or the new.
    published: std::sync::RwLock<Arc<Published>>,
    /// Where the assets are served from (the tour's, fixed at start).
    assets_dir: PathBuf,
    /// The curators' studio, when curator tokens are set ([`studio`]).
    pub studio: std::sync::OnceLock<Arc<studio::StudioState>>,
    pub store: Store,
    pub words: WordList,
    /// Live guided sessions.
    pub live: Arc<live::Hub>,
    moderators: guard::Moderators,
    limits: Mutex<Limits>,
    metrics: Metrics,
    /// The statistics as last computed ([`admin`]).
    stats: Mutex<Option<Arc<stats::Rendered>>>,
    /// The time zone the statistics' days are in, as the page names it.
    zone: String,
    /// Visits so far, for the visitors' counter.
    visit_counter: stats::VisitCounter,
    /// Failed sign-ins of moderators and curators, per address.
    sign_ins: guard::SignIns,
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: OnceLock<Vec<std::net::IpAddr>>,
}

struct Limits {
    offerings_per_client: RateLimiter,
    /// Keyed on the client's address, which a client cannot pick as it picks its id.
    offerings_per_address: RateLimiter,
    messages_per_client: RateLimiter,
    messages_per_address: RateLimiter,
    sessions_per_address: RateLimiter,
    visits_per_address: RateLimiter,
    /// Session codes asked for that do not exist: a stranger walking the codes runs out.
    code_misses_per_address: RateLimiter,
}

#[derive(Default)]
struct Metrics {
    started: Option<Instant>,
    requests: AtomicU64,
    visits: AtomicU64,
    offerings: AtomicU64,
    messages: AtomicU64,
    rejected: AtomicU64,
}

impl AppState {
    pub async fn new(tour: Tour, store: Store, words: WordList, moderator_token: Option<String>) -> Arc<AppState> {
        AppState::with_live(tour, store, words, moderator_token, live::LiveConfig::default()).await
    }

    /// As [`AppState::new`], with live sessions set up by `live`.
    pub async fn with_live(
        tour: Tour,
        store: Store,
        words: WordList,
        moderator_token: Option<String>,
        live: live::LiveConfig,
    ) -> Arc<AppState> {
        let minute = std::time::Duration::from_secs(60);
        metrics::handle();
        let moderators = guard::Moderators::parse(moderator_token.as_deref().unwrap_or("")).unwrap_or_else(|e| {
            tracing::error!("moderation is off: {e}");
            guard::Moderators::default()
        });
        let visit_counter = stats::VisitCounter::new();
        let zone = zone_name(store.utc_offset);
        let hub = live::Hub::new(store.clone(), words.clone(), live::known(&tour), live);
        let state = Arc::new(AppState {
            assets_dir: tour.assets_dir.clone(),
            published: std::sync::RwLock::new(Arc::new(Published::new(tour))),
            studio: std::sync::OnceLock::new(),
            live: hub,
            store,
            words,
            moderators,
            stats: Mutex::new(None),
            zone,
            visit_counter,
            sign_ins: guard::SignIns::default(),
            trusted_proxies: OnceLock::new(),
            limits: Mutex::new(Limits {
                // A visitor may lay about one offering every two seconds, in bursts of 30.
                offerings_per_client: RateLimiter::new(30, std::time::Duration::from_secs(2)),
                // A class behind one address lays its flowers together: 120 at once, then 2 a second.
                offerings_per_address: RateLimiter::new(120, std::time::Duration::from_millis(500)),
                // Messages: 3 at once, then one every 5 minutes per visitor; 20 per address.
                messages_per_client: RateLimiter::new(3, minute * 5),
                messages_per_address: RateLimiter::new(20, minute),
                // Teachers: 10 sessions at once, then one a minute per address.
                sessions_per_address: RateLimiter::new(10, minute),
                // Visits: a school's class behind one address walks many scenes at once.
                visits_per_address: RateLimiter::new(300, std::time::Duration::from_millis(200)),
                // Wrong session codes: 20, then one every 3 s.
                code_misses_per_address: RateLimiter::new(20, std::time::Duration::from_secs(3)),
            }),
            metrics: Metrics { started: Some(Instant::now()), ..Metrics::default() },
        });
        tokio::spawn(watch_versions(Arc::downgrade(&state)));
        state
    }
}

/// How often the assets' versions are looked at again.
pub const VERSIONS_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Files change under a running server (a scene tiled again into its folder, a narration
/// recorded again): every [`VERSIONS_EVERY`] their versions are taken again, and a changed one
/// is served in the tour from then on, so that viewers fetch the new file.
async fn watch_versions(state: std::sync::Weak<AppState>) {
    loop {
        tokio::time::sleep(VERSIONS_EVERY).await;
        let Some(s) = state.upgrade() else { return };
        let current = s.tour();
        let tour = current.tour.clone();
        let next = tokio::task::spawn_blocking(move || {
            let versions = versions::asset_versions(&tour);
            (versions != current.versions).then(|| (current, Published::with_versions(tour, versions)))
        })
        .await
        .ok()
        .flatten();
        if let Some((was, next)) = next {
            let mut published = s.published.write().unwrap_or_else(|e| e.into_inner());
            // Unless a publish came meanwhile: that tour has its own versions.
            if Arc::ptr_eq(&published, &was) {
                tracing::info!("assets changed on disk: the tour now names their new versions");
                *published = Arc::new(next);
            }
        }
    }
}

impl AppState {
    /// The tour as served now.
    pub fn tour(&self) -> Arc<Published> {
        self.published.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serve `tour` from now on (after a publish): new requests and live classes get it; a
    /// request already answering keeps the one it began with.
    pub fn replace_tour(&self, tour: Tour) {
        self.live.set_known(live::known(&tour));
        let next = Arc::new(Published::new(tour));
        *self.published.write().unwrap_or_else(|e| e.into_inner()) = next;
    }
}

/// How the statistics page names a time zone `secs` east of UTC.
fn zone_name(secs: i64) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let name = format!("UTC{sign}{:02}:{:02}", secs.abs() / 3600, secs.abs() % 3600 / 60);
    if secs == store::CHINA_STANDARD_TIME { format!("{name}, 北京时间 China Standard Time") } else { name }
}

/// `+08:00`, `-05:30`, `8` or `0`: hours (and minutes) east of UTC, as seconds.
pub fn parse_utc_offset(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    match (h.parse::<i64>(), m.parse::<i64>()) {
        (Ok(h), Ok(m)) if h <= 14 && m < 60 => Ok(sign * (h * 3600 + m * 60)),
        _ => Err(format!("`{s}` is not a UTC offset: write it as +08:00 or -05:30")),
    }
}

/// `bytes` compressed with brotli at its best (done once, at start).
fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = ::brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    match ::brotli::BrotliCompress(&mut &bytes[..], &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}

/// `bytes` gzipped at the best compression (done once, at start).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).and_then(|_| enc.finish()).unwrap_or_default()
}

/// Whether a request's `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    accepts(headers, "gzip")
}

/// Whether a request's `Accept-Encoding` takes `coding` (and does not refuse it with `q=0`).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |e| {
            let mut parts = e.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
        },
    )
}

fn first_font(assets: &Path) -> Option<String> {
    let mut fonts: Vec<String> = std::fs::read_dir(assets.join("fonts"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ttf") || n.ends_with(".otf"))
        .collect();
    fonts.sort();
    fonts.into_iter().next().map(|f| format!("fonts/{f}"))
}

/// An error answered as `{"error": reason}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, reason.into())
}

fn internal(e: String) -> ApiError {
    tracing::error!("{e}");
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the server could not store this; try again".into())
}

/// A write's headers: the body must be JSON (an HTML form cannot send that without the browser
/// asking first), and a browser's `Origin`, when it sends one, must be this server, so another
/// site cannot lay flowers or post messages in its visitors' names.
fn check_write(headers: &HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as JSON (Content-Type: application/json)".into(),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get("x-forwarded-host")
            .or_else(|| headers.get(header::HOST))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let from = origin.split_once("://").map_or(origin, |(_, h)| h).trim_end_matches('/');
        if host.is_empty() || !from.eq_ignore_ascii_case(host) {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                format!("writes from another site ({origin}) are refused: the hall takes them from its own pages"),
            ));
        }
    }
    Ok(())
}

/// The JSON body of a request, with reasons for every way it can be wrong.
fn body<T: serde::de::DeserializeOwned>(raw: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = raw.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over {} KiB", BODY_LIMIT / 1024))
        } else {
            bad(format!("cannot read the body: {e}"))
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("malformed JSON: {e}")))
}

/// The client's address, when the server knows it: the peer's, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one (those further left are the
/// client's own claims, which anyone can write).
pub struct ClientAddr(pub String);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
            return Ok(ClientAddr("unknown".into()));
        };
        let trusted = s.trusted_proxies.get().map(Vec::as_slice).unwrap_or(&[]);
        Ok(ClientAddr(client_ip(peer, &parts.headers, trusted).to_string()))
    }
}

/// See [`ClientAddr`].
pub fn client_ip(peer: std::net::IpAddr, headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let mut client = peer;
    for hop in forwarded.split(',').rev() {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// [`router`] with the browser viewer in `web_dir` at `/` (and every path the API does not use).
pub fn router_with_web(state: Arc<AppState>, web_dir: &Path) -> Router {
    router(state).fallback_service(web::service(web_dir))
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/tour", get(tour))
        .nest_service("/assets", files::service(&state.assets_dir))
        .route("/api/v1/visits", post(visit))
        .route("/api/v1/visits/count", get(admin::visit_count))
        .route("/api/v1/stats", get(admin::stats_json))
        .route("/api/v1/stats.csv", get(admin::stats_csv))
        .route("/stats.html", get(admin::stats_page))
        .route("/admin", get(admin::admin_page))
        .route("/api/v1/memorial/offerings", post(offering))
        .route("/api/v1/memorial/counts", get(counts))
        .route("/api/v1/memorial/messages", post(message).get(messages))
        .route("/api/v1/memorial/pending", get(admin::pending))
        .route("/api/v1/memorial/review", post(admin::review_many))
        .route("/api/v1/memorial/decisions", get(admin::decisions))
        .route("/api/v1/memorial/messages/{id}/approve", post(admin::approve))
        .route("/api/v1/memorial/messages/{id}/reject", post(admin::reject))
        .route("/api/v1/sessions", post(create_session))
        .route("/api/v1/sessions/{code}", get(session_info))
        .route("/api/v1/sessions/{code}/ws", get(session_ws))
        // A request's answer is bounded in time (a WebSocket's upgrade answers at once; the
        // studio's uploads, which may take long on a slow link, are merged after).
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .merge(studio::routes())
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), count_requests))
        .with_state(state)
}

async fn count_requests(
    State(s): State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    s.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    if res.status().is_client_error() {
        s.metrics.rejected.fetch_add(1, Ordering::Relaxed);
    }
    res
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    let m = &s.metrics;
    let uptime = m.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let text = format!(
        "# HELP cloudhall_http_requests_total HTTP requests served.\n# TYPE cloudhall_http_requests_total counter\ncloudhall_http_requests_total {}\n\
         # HELP cloudhall_http_rejected_total Requests answered with a 4xx.\n# TYPE cloudhall_http_rejected_total counter\ncloudhall_http_rejected_total {}\n\
         # HELP cloudhall_visits_total Scene visits recorded.\n# TYPE cloudhall_visits_total counter\ncloudhall_visits_total {}\n\
         # HELP cloudhall_offerings_total Memorial offerings stored.\n# TYPE cloudhall_offerings_total counter\ncloudhall_offerings_total {}\n\
         # HELP cloudhall_messages_total Memorial messages received for review.\n# TYPE cloudhall_messages_total counter\ncloudhall_messages_total {}\n\
         # HELP cloudhall_live_sessions Live guided sessions with connections on this instance.\n# TYPE cloudhall_live_sessions gauge\ncloudhall_live_sessions {}\n\
         # HELP cloudhall_live_views_total Teacher views handed to students' connections.\n# TYPE cloudhall_live_views_total counter\ncloudhall_live_views_total {}\n\
         # HELP cloudhall_uptime_seconds Seconds since the server started.\n# TYPE cloudhall_uptime_seconds gauge\ncloudhall_uptime_seconds {uptime:.1}\n",
        m.requests.load(Ordering::Relaxed),
        m.rejected.load(Ordering::Relaxed),
        m.visits.load(Ordering::Relaxed),
        m.offerings.load(Ordering::Relaxed),
        m.messages.load(Ordering::Relaxed),
        s.live.active(),
        s.live.delivered.load(Ordering::Relaxed),
    );
    let text = format!("{text}{}", metrics::render());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

async fn tour(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    serve_tour(&s.tour(), &headers)
}

/// The tour's JSON, in the best encoding the client takes, with its ETag.
pub fn serve_tour(p: &Published, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&p.etag).unwrap_or(HeaderValue::from_static("\"\""));
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == p.etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let headers_out = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    if accepts(headers, "br") && !p.br.is_empty() {
        let br = [(header::CONTENT_ENCODING, HeaderValue::from_static("br"))];
        return (headers_out, br, p.br.clone()).into_response();
    }
    if accepts_gzip(headers) && !p.gzip.is_empty() {
        let gz = [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))];
        return (headers_out, gz, p.gzip.clone()).into_response();
    }
    (headers_out, p.json.clone()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitIn {
    site: String,
    scene: String,
    client_id: String,
}

fn check_client(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(bad("client_id must be 1 to 64 letters, digits, '-' or '_'"));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 128 {
        return Err(bad("idempotency_key must be 1 to 128 characters"));
    }
    Ok(())
}

async fn visit(
    State(s): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let v: VisitIn = body(raw)?;
    check_client(&v.client_id)?;
    if !s.limits.lock().await.visits_per_address.allow(&addr, Instant::now()) {
        return Err(limited("visits"));
    }
    if s.tour().tour.site(&v.site).and_then(|site| site.scene(&v.scene)).is_none() {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no scene `{}` in site `{}`", v.scene, v.site)));
    }
    s.store.record_visit(&v.site, &v.scene, &v.client_id).await.map_err(internal)?;
    s.visit_counter.add();
    s.metrics.visits.fetch_add(1, Ordering::Relaxed);
    Ok((StatusCode::CREATED, Json(json!({ "recorded": true }))).into_response())
}

/// A target that exists in the tour.
fn known_target(s: &AppState, t: &Target) -> Result<(), ApiError> {
    let published = s.tour();
    let ok = match t {
        Target::Site(id) => published.tour.site(id).is_some(),
        Target::Person(id) => published.tour.sites.iter().any(|site| site.person(id).is_some()),
    };
    if ok { Ok(()) } else { Err(ApiError(StatusCode::NOT_FOUND, format!("unknown memorial target {t:?}"))) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferingIn {
    target: Target,
    kind: OfferingKind,
    client_id: String,
    idempotency_key: String,
}

/// The member of `staff` (the moderators or the curators) whose token the request bears, and
/// the token: 401 with `wrong` for a wrong one; 429 after many wrong tokens from the client's
/// address, so that tokens cannot be found by trying.
pub async fn sign_in(
    parts: &mut Parts,
    s: &Arc<AppState>,
    staff: &guard::Moderators,
    wrong: &str,
) -> Result<(String, String), ApiError> {
    let token = bearer(&parts.headers).to_string();
    let ClientAddr(addr) = ClientAddr::from_request_parts(parts, s).await.unwrap_or_else(|e| match e {});
    let name = s.sign_ins.attempt(&addr, || staff.who(&token).map(str::to_string)).map_err(|r| match r {
        guard::Refused::Wrong => ApiError(StatusCode::UNAUTHORIZED, wrong.to_string()),
        guard::Refused::TooMany => limited("sign-in attempts from this address"),
    })?;
    Ok((name, token))
}

/// The token of `Authorization: Bearer TOKEN`, or "".
pub fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
}

fn limited(what: &str) -> ApiError {
    ApiError(StatusCode::TOO_MANY_REQUESTS, format!("too many {what}; please wait a little and try again"))
}

async fn offering(
    State(s): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let o: OfferingIn = body(raw)?;
    check_client(&o.client_id)?;
    check_key(&o.idempotency_key)?;
    known_target(&s, &o.target)?;
    // A retry of an acknowledged offering is answered without spending the visitor's allowance.
    let written = {
        let allowed = {
            let mut limits = s.limits.lock().await;
            let now = Instant::now();
            limits.offerings_per_address.allow(&addr, now) && limits.offerings_per_client.allow(&o.client_id, now)
        };
        if !allowed {
            return Err(limited("offerings"));
        }
        s.store.add_offering(&o.target, o.kind, &o.client_id, &o.idempotency_key).await.map_err(internal)?
    };
    let (written, counts) = written;
    let (status, id) = match written {
        Written::New(id) => {
            s.metrics.offerings.fetch_add(1, Ordering::Relaxed);
            (StatusCode::CREATED, id)
        }
        Written::Repeat(id) => (StatusCode::OK, id),
    };
    Ok((status, Json(json!({ "id": id, "repeat": status == StatusCode::OK, "counts": counts }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetQuery {
    site: Option<String>,
    person: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn target_of(q: &TargetQuery) -> Result<Target, ApiError> {
    match (&q.site, &q.person) {
        (Some(s), None) => Ok(Target::Site(s.clone())),
        (None, Some(p)) => Ok(Target::Person(p.clone())),
        _ => Err(bad("give exactly one of ?site=ID or ?person=ID")),
    }
}

/// The memorial target named by `?site=` or `?person=`, checked against the tour.
fn queried_target(
    s: &AppState,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(Target, TargetQuery), ApiError> {
    let Query(q) = q.map_err(|e| bad(e.body_text()))?;
    let t = target_of(&q)?;
    known_target(s, &t)?;
    Ok((t, q))
}

async fn counts(
    State(s): State<Arc<AppState>>,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let (t, _) = queried_target(&s, q)?;
    let c = s.store.counts(&t).await.map_err(internal)?;
    Ok(Json(json!({ "target": t, "counts": c })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    target: Target,
    name: String,
    text: String,
    client_id: String,
    idempotency_key: String,
}

async fn message(
    State(s): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let mut m: MessageIn = body(raw)?;
    check_client(&m.client_id)?;
    check_key(&m.idempotency_key)?;
    known_target(&s, &m.target)?;
    // Composed and without invisible characters before the word list looks, and stored so.
    (m.name, m.text) = (guard::clean(&m.name), guard::clean(&m.text));
    guard::check_message(&m.name, &m.text, &s.words)
        .map_err(|reason| ApiError(StatusCode::UNPROCESSABLE_ENTITY, reason))?;
    {
        let mut limits = s.limits.lock().await;
        let now = Instant::now();
        if !limits.messages_per_client.allow(&m.client_id, now) || !limits.messages_per_address.allow(&addr, now) {
            return Err(limited("messages"));
        }
    }
    let written = s
        .store
        .add_message(&m.target, m.name.trim(), m.text.trim(), &m.client_id, &m.idempotency_key)
        .await
        .map_err(internal)?;
    let (status, id) = match written {
        Written::New(id) => {
            s.metrics.messages.fetch_add(1, Ordering::Relaxed);
            (StatusCode::ACCEPTED, id)
        }
        Written::Repeat(id) => (StatusCode::OK, id),
    };
    Ok((status, Json(json!({ "id": id, "status": "pending", "notice": "Thank you. Your message will appear after review. 感谢留言，审核通过后显示。" }))).into_response())
}

async fn messages(
    State(s): State<Arc<AppState>>,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let (t, q) = queried_target(&s, q)?;
    let per = q.per_page.unwrap_or(20).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let list = s.store.approved(&t, per, (page - 1) * per).await.map_err(internal)?;
    Ok(Json(json!({ "target": t, "page": page, "per_page": per, "messages": list })))
}

/// `POST /api/v1/sessions`: a new live session, its join code and the teacher's token.
async fn create_session(State(s): State<Arc<AppState>>, ClientAddr(addr): ClientAddr) -> Result<Response, ApiError> {
    if !s.limits.lock().await.sessions_per_address.allow(&addr, Instant::now()) {
        return Err(limited("sessions"));
    }
    let (code, token) = s.live.create().await.map_err(internal)?;
    tracing::info!("live {code}: created");
    let body = json!({
        "code": code,
        "teacher_token": token,
        "ws": format!("/api/v1/sessions/{code}/ws"),
        "max_students": s.live.cfg.max_students,
        "teacher_grace_s": s.live.cfg.teacher_grace.as_secs(),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The session `code` names, for a client at `addr`; a client that has asked for too many
/// codes that do not exist waits (429), so that the codes cannot be walked to find classes.
async fn live_session(s: &AppState, code: &str, addr: &str) -> Result<Arc<live::Session>, ApiError> {
    if !crate::live::is_code(code) {
        return Err(bad(format!("`{code}` is not a session code: a code is nine digits")));
    }
    if !s.limits.lock().await.code_misses_per_address.has(addr, Instant::now()) {
        return Err(limited("wrong session codes"));
    }
    let found = s.live.find(code).await;
    if matches!(found, Err(live::Unavailable::NoSuchCode)) {
        s.limits.lock().await.code_misses_per_address.allow(addr, Instant::now());
    }
    found.map_err(|e| match e {
        live::Unavailable::NoSuchCode => ApiError(
            StatusCode::NOT_FOUND,
            format!("there is no session with code {code}; check the code on the board"),
        ),
        live::Unavailable::Ended => ApiError(StatusCode::GONE, format!("the session {code} has ended")),
        live::Unavailable::Failed(e) => internal(e),
    })
}

/// `GET /api/v1/sessions/{code}`: whether a code can be joined, and what the class is at.
async fn session_info(
    State(s): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let session = live_session(&s, &code, &addr).await?;
    Ok(Json(session.summary()))
}

/// `GET /api/v1/sessions/{code}/ws`: the session's WebSocket (docs/protocol.md).
async fn session_ws(
    State(s): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    axum::extract::Path(code): axum::extract::Path<String>,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let session = live_session(&s, &code, &addr).await?;
    let hub = s.live.clone();
    Ok(ws
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| live::run(hub, session, socket)))
}

/// The moderators' tokens: `CLOUDHALL_MODERATOR_TOKENS` (`name:token,name:token`), else
/// `CLOUDHALL_MODERATOR_TOKEN` (one token), else the file `moderators` (a `name:token` a line) or
/// `moderator-token` in the data folder.
pub fn moderator_token(data_dir: &Path) -> Option<String> {
    std::env::var("CLOUDHALL_MODERATOR_TOKENS")
        .ok()
        .or_else(|| std::env::var("CLOUDHALL_MODERATOR_TOKEN").ok())
        .or_else(|| std::fs::read_to_string(data_dir.join("moderators")).ok())
        .or_else(|| std::fs::read_to_string(data_dir.join("moderator-token")).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Run the server until SIGINT or SIGTERM, then finish the requests in flight and close the
/// database.
pub async fn serve(config: ServerConfig) -> Result<(), String> {
    // A publish from the studio that a crash cut short is finished (or dropped) before the tour
    // is read, so the server never starts on half of one.
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let hall =
        crate::studio::publish::Hall { tour_dir: config.tour_dir.clone(), studio_dir: config.data_dir.join("studio") };
    if let Some(done) = hall.recover()? {
        tracing::warn!("studio: {done}");
    }
    let tour = crate::tour::load(&config.tour_dir).into_result().map_err(|diags| {
        let lines: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
        format!("the tour in {} has errors:\n{}", config.tour_dir.display(), lines.join("\n"))
    })?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let url = match &config.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}?mode=rwc", config.data_dir.join("cloudhall.db").display()),
    };
    let store = Store::open(&url).await?.with_utc_offset(config.utc_offset);
    if let Some(spec) = &config.moderator_token {
        guard::Moderators::parse(spec).map_err(|e| format!("the moderators' tokens: {e}"))?;
    }
    if config.moderator_token.is_none() {
        tracing::warn!(
            "no moderator token: set CLOUDHALL_MODERATOR_TOKENS=name:token,... or write {}/moderators (a name:token a line) to enable moderation at /admin",
            config.data_dir.display()
        );
    }
    let state =
        AppState::with_live(tour, store.clone(), config.words.clone(), config.moderator_token.clone(), config.live)
            .await;
    if !config.trusted_proxies.is_empty() {
        tracing::info!("clients' addresses from X-Forwarded-For of {:?}", config.trusted_proxies);
    }
    let _ = state.trusted_proxies.set(config.trusted_proxies.clone());
    match studio::curator_tokens(&config.data_dir) {
        Some(spec) => {
            let curators =
                guard::Moderators::parse_for("curator", &spec).map_err(|e| format!("the curators' tokens: {e}"))?;
            state.enable_studio(studio::StudioConfig {
                tour_dir: config.tour_dir.clone(),
                data_dir: config.data_dir.clone(),
                curators,
                upload_limit: config.upload_limit,
                web_dir: config.web_dir.clone(),
            })?;
            studio::follow_publishes(state.clone());
            tracing::info!("the studio is at /studio");
        }
        None => tracing::warn!(
            "no curator token: set CLOUDHALL_CURATOR_TOKENS=name:token,... or write {}/curators (a name:token a line) to open the studio at /studio",
            config.data_dir.display()
        ),
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    tracing::info!(
        "serving {} ({} sites) on http://{} with {}",
        config.tour_dir.display(),
        state.tour().tour.sites.len(),
        config.addr,
        store::redact(&url)
    );
    let hub = state.live.clone();
    http::serve(listener, router_with_web(state, &config.web_dir), http::Limits::default(), async move {
        shutdown_signal().await;
        // Live connections are told to reconnect rather than waited for.
        hub.close_all();
    })
    .await
    .map_err(|e| format!("server error: {e}"))?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
