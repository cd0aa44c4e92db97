//! Serving asset files with tower-http's `ServeDir`: streamed from disk (never read whole per
//! request, so a large file to many clients keeps the server's memory flat), single ranges (206,
//! 416 outside the file), `Last-Modified` with `If-Modified-Since` (304), precompressed `.br` and
//! `.gz` variants where they lie beside a file, cacheable for an hour, and no way out of the
//! assets folder (`..` is refused). A missing file is a 404 with a reason.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::ApiError;

/// The assets in `dir`, for the server's `/assets` route.
pub fn service(dir: &Path) -> Router {
    let not_found = axum::routing::any(|uri: Uri| async move {
        ApiError(StatusCode::NOT_FOUND, format!("no asset `{}`", uri.path().trim_start_matches('/')))
    });
    Router::new()
        // A folder is no asset: no redirect to its trailing slash either, which, made under the
        // `/assets` prefix, would send the client out of it (`/assets/.` to `/./`).
        .fallback_service(
            ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .not_found_service(not_found),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
}
