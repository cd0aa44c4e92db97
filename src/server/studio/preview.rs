//! `/studio/view/{key}/...`: the hall's own web viewer, shown in the studio's frame, with a tour
//! that has the drafts in it. The key is derived from a curator's token (see [`preview_key`]):
//! a frame cannot send an `Authorization` header.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::{StudioState, blocking, preview_key};
use crate::server::{ApiError, AppState, guard, internal};

/// The preview's key, checked against every curator's token.
fn preview_allowed(s: &AppState, key: &str) -> Option<Arc<StudioState>> {
    let st = s.studio.get()?.clone();
    let ok = st.curators.tokens().any(|t| guard::token_matches(key, &preview_key(t)));
    ok.then_some(st)
}

pub(super) async fn root(
    State(s): State<Arc<AppState>>,
    UrlPath(key): UrlPath<String>,
    req: axum::extract::Request,
) -> Response {
    serve(&s, &key, "", req).await
}

pub(super) async fn file(
    State(s): State<Arc<AppState>>,
    UrlPath((key, rest)): UrlPath<(String, String)>,
    req: axum::extract::Request,
) -> Response {
    serve(&s, &key, &rest, req).await
}

/// `/studio/view/{key}/...`: the web viewer's files, its tour with the drafts in it, and the
/// assets, so the viewer in the studio's frame shows the drafts as visitors will see them.
async fn serve(s: &Arc<AppState>, key: &str, rest: &str, req: axum::extract::Request) -> Response {
    let Some(st) = preview_allowed(s, key) else {
        return ApiError(StatusCode::UNAUTHORIZED, "this preview link is not valid here; open the studio again".into())
            .into_response();
    };
    if rest == "api/v1/tour" {
        let studio = st.studio.clone();
        let published = s.tour().tour.clone();
        return match blocking(move || studio.preview(&published)).await {
            Ok(Ok(tour)) => {
                let mut res = crate::server::serve_tour(&crate::server::Published::new(tour), req.headers());
                res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
                res
            }
            Ok(Err(e)) => internal(e).into_response(),
            Err(e) => e.into_response(),
        };
    }
    if rest.starts_with("api/") {
        // The preview records nothing: no visits, offerings or messages from curators' work
        // (taken and dropped, so the viewer has nothing to retry), and has nothing to read.
        if req.method() == axum::http::Method::POST {
            return StatusCode::NO_CONTENT.into_response();
        }
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
