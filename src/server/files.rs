//! Serving asset files: ETag, Range, cache headers, and no way out of the assets folder.

use std::path::{Component, Path, PathBuf};

/// A single byte range of a file, inclusive, from a `Range: bytes=...` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// Parse a Range header for a file of `len` bytes. `None` means "no usable range, send it all"
/// (absent or a form we do not serve, such as several ranges); `Some(Err(()))` means the range
/// cannot be satisfied (416).
pub fn parse_range(header: Option<&str>, len: u64) -> Option<Result<ByteRange, ()>> {
    let spec = header?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Some(Err(())),
        // Suffix: the last b bytes.
        (true, false) => {
            let n: u64 = b.parse().ok()?;
            if n == 0 || len == 0 {
                return Some(Err(()));
            }
            ByteRange { start: len.saturating_sub(n), end: len - 1 }
        }
        (false, _) => {
            let start: u64 = a.parse().ok()?;
            let end: u64 = if b.is_empty() { len.saturating_sub(1) } else { b.parse().ok()? };
            if start >= len || end < start {
                return Some(Err(()));
            }
            ByteRange { start, end: end.min(len - 1) }
        }
    };
    Some(Ok(range))
}

/// The file an asset URL path names, if it stays inside `root`.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = Path::new(url_path.trim_start_matches('/'));
    if url_path.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = root.join(rel);
    // Symlinks could still lead out: compare canonical paths.
    let (canon_root, canon) = (root.canonicalize().ok()?, full.canonicalize().ok()?);
    canon.starts_with(&canon_root).then_some(canon)
}

/// A weak ETag from a file's length and modification time.
pub fn etag(len: u64, modified_secs: u64, modified_nanos: u32) -> String {
    format!("W/\"{len:x}-{modified_secs:x}-{modified_nanos:x}\"")
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("ogg") => "audio/ogg",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("json" | "geojson") => "application/json",
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), None);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Some(Ok(ByteRange { start: 0, end: 9 })));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Some(Ok(ByteRange { start: 90, end: 99 })));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Some(Ok(ByteRange { start: 90, end: 99 })));
        assert_eq!(parse_range(Some("bytes=50-500"), 100), Some(Ok(ByteRange { start: 50, end: 99 })));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Some(Err(())));
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Some(Err(())));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), None, "multiple ranges: send all");
        assert_eq!(parse_range(Some("items=0-1"), 100), None);
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/assets");
        assert!(resolve(&root, "test-pano.png").is_some());
        assert!(resolve(&root, "/test-pano.png").is_some());
        assert!(resolve(&root, "../good/alpha.ron").is_none());
        assert!(resolve(&root, "a/../../good/alpha.ron").is_none());
        assert!(resolve(&root, "missing.png").is_none());
        assert!(resolve(&root, "").is_none());
    }
}
