//! The viewer online (`cloudhall view --server URL`): the tour and its assets come from a
//! `cloudhall serve`, cached on disk as they are needed, and every scene entered is recorded as a
//! visit.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use serde_json::Value;

use super::nav::SceneEntered;
use crate::tour::Tour;

/// Where the tour came from, when it came from a server.
#[derive(Resource, Debug, Clone)]
pub struct Remote {
    /// `http://host:port`, without a trailing slash.
    pub base: String,
    /// This installation's anonymous id, sent with visits.
    pub client_id: String,
}

/// The folder of the page at `href`, without a trailing slash: where the page's API answers.
/// `http://host/?site=a` is `http://host`; the studio's preview of the drafts at
/// `http://host/studio/view/KEY/?site=a` is `http://host/studio/view/KEY`, whose API records no
/// visits or offerings, so curators' work is not counted as visitors'.
pub fn page_folder(href: &str) -> String {
    let path_end = href.find(['?', '#']).unwrap_or(href.len());
    let page = &href[..path_end];
    let after_scheme = page.find("://").map_or(0, |i| i + 3);
    match page[after_scheme..].rfind('/') {
        Some(i) => page[..after_scheme + i].to_string(),
        None => page.to_string(),
    }
}

pub struct NetPlugin;

impl Plugin for NetPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, record_visits.run_if(resource_exists::<Remote>));
    }
}

/// Where a server's assets are cached: one folder per server.
pub fn cache_dir(base: &str) -> PathBuf {
    let host: String = base
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    let root = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    root.join("cloudhall").join("remote").join(host)
}

/// This installation's client id, made once and kept beside the cache.
pub fn client_id(cache: &Path) -> String {
    let file = cache.join("client-id");
    if let Ok(id) = std::fs::read_to_string(&file)
        && !id.trim().is_empty()
    {
        return id.trim().to_string();
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let id = format!("v{:x}{:x}", nanos, std::process::id());
    let _ = std::fs::create_dir_all(cache);
    let _ = std::fs::write(&file, &id);
    id
}

/// The assets' content versions, as the server's tour last named them.
static VERSIONS: std::sync::RwLock<std::collections::BTreeMap<String, String>> =
    std::sync::RwLock::new(std::collections::BTreeMap::new());

/// The URL of asset `rel` on the serving server, relative to the page: with its content
/// version when the tour names one, so that a file changed on the server is fetched anew past
/// every cache (the service worker's included), and an unchanged one is not.
pub fn asset_url(rel: &str) -> String {
    let versions = VERSIONS.read().unwrap_or_else(|e| e.into_inner());
    match crate::api::asset_version(&versions, rel) {
        Some(v) => format!("assets/{rel}?v={v}"),
        None => format!("assets/{rel}"),
    }
}

/// The server's tour JSON as a [`Tour`] whose asset folder is the local cache.
pub fn tour_from_json(mut v: Value, assets: PathBuf) -> Result<Tour, String> {
    // Fields the server adds for tools are not part of the model.
    if let Some(o) = v.as_object_mut() {
        o.remove("totals");
        o.remove("font");
        o.remove("font_first");
        if let Some(v) = o.remove("versions")
            && let Ok(versions) = serde_json::from_value(v)
            && let Ok(mut known) = VERSIONS.write()
        {
            *known = versions;
        }
        if let Some(p) = o.remove("pinyin")
            && let Ok(table) = serde_json::from_value(p)
        {
            crate::map::remember_pinyin(table);
        }
    }
    for site in v.get_mut("sites").and_then(Value::as_array_mut).into_iter().flatten() {
        for scene in site.get_mut("scenes").and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(n) = scene.get_mut("narration").and_then(Value::as_object_mut) {
                n.remove("cue_count");
            }
        }
    }
    let mut tour: Tour = serde_json::from_value(v).map_err(|e| format!("the server's tour does not parse: {e}"))?;
    tour.assets_dir = assets;
    Ok(tour)
}

/// Download the tour from `base`, and the small assets every screen needs (font, thumbnails,
/// floor plans, the map outline, board images); panoramas and narration follow on demand.
#[cfg(not(target_arch = "wasm32"))]
pub fn fetch_tour(base: &str) -> Result<(Tour, Remote), String> {
    let base = base.trim_end_matches('/').to_string();
    let cache = cache_dir(&base);
    let assets = cache.join("assets");
    let url = format!("{base}/api/v1/tour");
    let v: Value = ureq::get(&url)
        .call()
        .map_err(|e| format!("cannot reach the server at {base}: {e}"))?
        .into_json()
        .map_err(|e| format!("{url} did not answer with JSON: {e}"))?;
    let font = v.get("font").and_then(Value::as_str).map(str::to_string);
    let tour = tour_from_json(v, assets.clone())?;
    let mut small: Vec<String> = font.into_iter().collect();
    small.push(tour.map.outline.clone());
    for site in &tour.sites {
        small.extend(site.floor_plan.as_ref().map(|p| p.image.clone()));
        for scene in &site.scenes {
            small.extend(scene.thumbnail.clone());
            for h in &scene.hotspots {
                if let crate::tour::HotspotKind::Info { image: Some(i), .. } = &h.kind {
                    small.push(i.clone());
                }
            }
        }
    }
    for rel in small {
        if let Err(e) = fetch_asset(&base, &assets, &rel) {
            warn!("{e}");
        }
    }
    let client_id = client_id(&cache);
    Ok((tour, Remote { base, client_id }))
}

/// Make sure `rel` is in the local asset cache, downloading it from the server if it is not, or
/// if the server's tour names another version of it than the one kept (a file beside it,
/// `NAME.version`, says which).
#[cfg(not(target_arch = "wasm32"))]
pub fn fetch_asset(base: &str, assets: &Path, rel: &str) -> Result<PathBuf, String> {
    let path = assets.join(rel);
    let url = format!("{base}/{}", asset_url(rel));
    let version = url.split_once("?v=").map(|(_, v)| v.to_string()).unwrap_or_default();
    let mut mark = path.clone().into_os_string();
    mark.push(".version");
    let mark = PathBuf::from(mark);
    if path.is_file() && std::fs::read_to_string(&mark).unwrap_or_default() == version {
        return Ok(path);
    }
    let mut bytes = Vec::new();
    ureq::get(&url)
        .call()
        .map_err(|e| format!("cannot download {url}: {e}"))?
        .into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot download {url}: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot cache {}: {e}", path.display()))?;
    }
    // Written whole, then renamed: a half-downloaded file is never taken for the asset.
    let part = path.with_extension("part");
    std::fs::write(&part, &bytes)
        .and_then(|_| std::fs::rename(&part, &path))
        .and_then(|_| std::fs::write(&mark, &version))
        .map_err(|e| format!("cannot cache {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(not(target_arch = "wasm32"))]
use std::io::Read as _;

#[cfg(target_arch = "wasm32")]
pub fn fetch_tour(base: &str) -> Result<(Tour, Remote), String> {
    Err(format!("in the browser the tour comes from the page's server, not {base}"))
}

/// Download `rel` into memory (the browser has no cache folder) for [`super::io::read`].
#[cfg(target_arch = "wasm32")]
pub async fn fetch_asset_async(_base: &str, assets: &Path, rel: &str) -> Result<PathBuf, String> {
    let path = assets.join(rel);
    super::io::fetch(rel, &path).await?;
    Ok(path)
}

/// [`fetch_asset`], for background tasks.
#[cfg(not(target_arch = "wasm32"))]
pub async fn fetch_asset_async(base: &str, assets: &Path, rel: &str) -> Result<PathBuf, String> {
    fetch_asset(base, assets, rel)
}

/// Every scene entered is a visit on the server; sent in the background, never holding a frame.
#[cfg(target_arch = "wasm32")]
fn record_visits(mut entered: MessageReader<SceneEntered>, remote: Res<Remote>) {
    for e in entered.read() {
        let url = format!("{}/api/v1/visits", remote.base);
        let body = serde_json::json!({ "site": e.site, "scene": e.scene, "client_id": remote.client_id }).to_string();
        wasm_bindgen_futures::spawn_local(async move {
            match super::io::request("POST", &url, Some(body)).await {
                Ok((201, _)) => {}
                Ok((code, body)) => warn!("could not record the visit at {url}: {code} {body}"),
                Err(e) => warn!("could not record the visit at {url}: {e}"),
            }
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn record_visits(mut entered: MessageReader<SceneEntered>, remote: Res<Remote>) {
    for e in entered.read() {
        let url = format!("{}/api/v1/visits", remote.base);
        let body = serde_json::json!({ "site": e.site, "scene": e.scene, "client_id": remote.client_id });
        std::thread::spawn(move || {
            if let Err(err) = ureq::post(&url).send_json(body) {
                warn!("could not record the visit at {url}: {err}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_is_beside_the_page() {
        assert_eq!(page_folder("http://h:8080/?site=a&scene=b"), "http://h:8080");
        assert_eq!(page_folder("http://h:8080/"), "http://h:8080");
        assert_eq!(page_folder("http://h:8080"), "http://h:8080");
        assert_eq!(page_folder("https://h/studio/view/k1/?site=a#x"), "https://h/studio/view/k1");
        assert_eq!(page_folder("https://h/studio/view/k1/index.html"), "https://h/studio/view/k1");
        assert_eq!(page_folder("http://h/a?next=/b/c"), "http://h");
    }

    #[test]
    fn the_server_json_round_trips_into_a_tour() {
        let tour = crate::tour::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/good")))
            .into_result()
            .expect("good");
        let mut v = crate::tour::json::tour_json(&tour);
        v.as_object_mut().expect("object").insert("font".into(), "fonts/x.ttf".into());
        let back = tour_from_json(v, PathBuf::from("/cache/assets")).expect("parses");
        assert_eq!(back.sites, tour.sites);
        assert_eq!(back.assets_dir, PathBuf::from("/cache/assets"));
    }

    #[test]
    fn cache_folders_are_per_server() {
        let a = cache_dir("http://127.0.0.1:8080");
        let b = cache_dir("http://hall.example.org");
        assert_ne!(a, b);
        assert!(a.ends_with("127.0.0.1_8080"), "{}", a.display());
    }
}
