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

/// An image the browser decoded: width, height and RGBA8 rows.
pub type Pixels = (u32, u32, Vec<u8>);

/// The pixels of an image file the browser has already decoded (natively: never; images are
/// decoded from [`read`]'s bytes).
#[cfg(not(target_arch = "wasm32"))]
pub fn take_decoded(_path: &Path) -> Option<Pixels> {
    None
}

#[cfg(target_arch = "wasm32")]
mod memory {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    static FILES: Mutex<Option<HashMap<PathBuf, Arc<Vec<u8>>>>> = Mutex::new(None);
    static DECODED: Mutex<Option<HashMap<PathBuf, super::Pixels>>> = Mutex::new(None);

    pub fn put_decoded(path: &Path, pixels: super::Pixels) {
        DECODED.lock().expect("decoded").get_or_insert_with(HashMap::new).insert(path.to_path_buf(), pixels);
    }

    pub fn take_decoded(path: &Path) -> Option<super::Pixels> {
        DECODED.lock().expect("decoded").as_mut()?.remove(path)
    }

    pub fn has_decoded(path: &Path) -> bool {
        DECODED.lock().expect("decoded").as_ref().is_some_and(|m| m.contains_key(path))
    }

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

#[cfg(target_arch = "wasm32")]
pub fn take_decoded(path: &Path) -> Option<Pixels> {
    memory::take_decoded(path)
}

/// A function the page (web/loader.js, web/device.js) offers, if it does.
#[cfg(target_arch = "wasm32")]
fn page_function(name: &str) -> Option<js_sys::Function> {
    let window = web_sys::window()?;
    let f = js_sys::Reflect::get(&window, &wasm_bindgen::JsValue::from_str(name)).ok()?;
    wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok()
}

/// Call the page's `window[name]()`, if it has one (the page may not offer it: nothing happens).
#[cfg(target_arch = "wasm32")]
pub fn call_page(name: &str) {
    if let (Some(f), Some(window)) = (page_function(name), web_sys::window()) {
        let _ = f.call0(&window);
    }
}

/// Have the browser decode an image (`createImageBitmap`, off the page's thread): decoding a
/// JPEG in WebAssembly would hold the page's only thread for a tenth of a second a tile on a
/// phone, and the decoders would add to the download. The page's `cloudhallDecode(url)` (and
/// `cloudhallDecodeBytes(bytes)`) answers `[width, height, rgba]`.
#[cfg(target_arch = "wasm32")]
async fn decode_in_page(decode: &js_sys::Function, what: &wasm_bindgen::JsValue) -> Result<Pixels, String> {
    use wasm_bindgen::JsCast;
    let js = |e: wasm_bindgen::JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let promise: js_sys::Promise =
        decode.call1(&wasm_bindgen::JsValue::NULL, what).map_err(js)?.dyn_into().map_err(js)?;
    let v: js_sys::Array = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(js)?.dyn_into().map_err(js)?;
    let (w, h) = (v.get(0).as_f64().unwrap_or(0.0) as u32, v.get(1).as_f64().unwrap_or(0.0) as u32);
    let rgba = js_sys::Uint8Array::new(&v.get(2)).to_vec();
    if rgba.len() != (w as usize) * (h as usize) * 4 {
        return Err(format!("the browser decoded {} bytes for {w}x{h}", rgba.len()));
    }
    Ok((w, h, rgba))
}

/// Have the browser decode an image already in memory (`cloudhallDecodeBytes`, as
/// [`decode_in_page`]).
#[cfg(target_arch = "wasm32")]
pub async fn decode_bytes(bytes: &[u8]) -> Result<Pixels, String> {
    let decode = page_function("cloudhallDecodeBytes").ok_or("the page cannot decode images")?;
    decode_in_page(&decode, &js_sys::Uint8Array::from(bytes).into()).await
}

/// Download `url` (relative to the page) as bytes. The page may have started the download
/// already, while the viewer itself was downloading (`window.cloudhallPrefetched[url]`, a
/// promise of an ArrayBuffer): then that one is taken over.
#[cfg(target_arch = "wasm32")]
pub async fn get(url: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let js = |e: wasm_bindgen::JsValue| format!("{url}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}")));
    let window = web_sys::window().ok_or("no window")?;
    if let Some(take) = page_function("cloudhallTakePrefetched")
        && let Ok(p) = take.call1(&wasm_bindgen::JsValue::NULL, &url.into())
        && let Ok(p) = p.dyn_into::<js_sys::Promise>()
    {
        // A failed prefetch is not final: fetch again below.
        if let Ok(buf) = JsFuture::from(p).await
            && buf.is_object()
        {
            return Ok(js_sys::Uint8Array::new(&buf).to_vec());
        }
    }
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
    if memory::get(path).is_some() || memory::has_decoded(path) {
        return Ok(());
    }
    let url = super::net::asset_url(rel);
    let image = [".jpg", ".jpeg", ".png"].iter().any(|x| rel.to_ascii_lowercase().ends_with(x));
    if image && let Some(decode) = page_function("cloudhallDecode") {
        memory::put_decoded(path, decode_in_page(&decode, &url.as_str().into()).await?);
        return Ok(());
    }
    let bytes = get(&url).await?;
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
