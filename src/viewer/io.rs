//! Reading the tour's files, natively from disk and in the browser from what was fetched.
//!
//! The browser has no files: [`fetch`] downloads an asset from the serving server into memory,
//! and [`read`] then finds it there. Natively [`read`] reads the file (which `net` may have just
//! downloaded into the cache).

use std::path::Path;

/// The bytes of a file of the tour.
#[cfg(not(target_arch = "wasm32"))]
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string())
}

/// Forget a file's bytes once they are used (natively nothing is kept).
#[cfg(not(target_arch = "wasm32"))]
pub fn forget(_path: &Path) {}

#[cfg(target_arch = "wasm32")]
mod memory {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    static FILES: Mutex<Option<HashMap<PathBuf, Arc<Vec<u8>>>>> = Mutex::new(None);

    pub fn put(path: &Path, bytes: Vec<u8>) {
        FILES.lock().expect("files").get_or_insert_with(HashMap::new).insert(path.to_path_buf(), Arc::new(bytes));
    }

    pub fn get(path: &Path) -> Option<Arc<Vec<u8>>> {
        FILES.lock().expect("files").as_ref()?.get(path).cloned()
    }

    pub fn remove(path: &Path) {
        if let Some(m) = FILES.lock().expect("files").as_mut() {
            m.remove(path);
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    memory::get(path).map(|b| b.to_vec()).ok_or_else(|| "not downloaded".to_string())
}

#[cfg(target_arch = "wasm32")]
pub fn forget(path: &Path) {
    memory::remove(path);
}

/// Download `url` (relative to the page) as bytes.
#[cfg(target_arch = "wasm32")]
pub async fn get(url: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let js = |e: wasm_bindgen::JsValue| format!("{url}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}")));
    let window = web_sys::window().ok_or("no window")?;
    let res: web_sys::Response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(js)?.dyn_into().map_err(js)?;
    if !res.ok() {
        return Err(format!("{url}: the server answered {}", res.status()));
    }
    let buf = JsFuture::from(res.array_buffer().map_err(js)?).await.map_err(js)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Download the asset `rel` from the serving server and keep it for [`read`] at `path`.
#[cfg(target_arch = "wasm32")]
pub async fn fetch(rel: &str, path: &Path) -> Result<(), String> {
    if memory::get(path).is_some() {
        return Ok(());
    }
    let bytes = get(&format!("assets/{rel}")).await?;
    memory::put(path, bytes);
    Ok(())
}

/// An HTTP request with an optional JSON body: the status and the body's text.
#[cfg(target_arch = "wasm32")]
pub async fn request(method: &str, url: &str, json: Option<String>) -> Result<(u16, String), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let js = |e: wasm_bindgen::JsValue| format!("{url}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}")));
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = json {
        let headers = web_sys::Headers::new().map_err(js)?;
        headers.set("Content-Type", "application/json").map_err(js)?;
        init.set_headers(&headers);
        init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    }
    let req = web_sys::Request::new_with_str_and_init(url, &init).map_err(js)?;
    let window = web_sys::window().ok_or("no window")?;
    let res: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&req)).await.map_err(js)?.dyn_into().map_err(js)?;
    let text = JsFuture::from(res.text().map_err(js)?).await.map_err(js)?.as_string().unwrap_or_default();
    Ok((res.status(), text))
}
