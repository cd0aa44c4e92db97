//! The hall in the browser: the files `make web` builds into `web/dist` (the page, its loader
//! and the viewer as WebAssembly), served at `/`.
//!
//! Files are sent precompressed when the browser accepts it (`.br` or `.gz` next to the file),
//! `.wasm` as `application/wasm`, every answer revalidated (`Cache-Control: no-cache` with
//! `Last-Modified`), so a new build shows at the next load.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::ApiError;

/// The web viewer in `dir`, for the server's fallback route.
pub fn service(dir: &Path) -> Router {
    let built = dir.join("index.html").is_file();
    let shown = dir.display().to_string();
    let not_found = axum::routing::any(move || {
        let shown = shown.clone();
        async move {
            if built {
                ApiError(StatusCode::NOT_FOUND, "no such page".into())
            } else {
                ApiError(
                    StatusCode::NOT_FOUND,
                    format!("the web viewer is not built in {shown}: run `make web`, then start the server again"),
                )
            }
        }
    });
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip().not_found_service(not_found))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}
