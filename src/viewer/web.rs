//! The viewer in the browser (wasm32, WebGL2), started by the page `web/index.html`.
//!
//! The tour and its assets come from the server that serves the page. The page's loader
//! (web/loader.js) has usually drawn the first scene already, from its level-1 tiles, and handed
//! over what it fetched: the tour (`window.cloudhallTakePrefetched`), the decoded tiles
//! (`window.cloudhallDecode`, which also decodes every later image), and the visitor's view
//! (`window.cloudhallFirstView`, followed until the viewer's own first frame is up). The small
//! assets the first screen needs are fetched before the app starts, the whole font and the rest on
//! demand ([`super::io`]). `?site=ID&scene=ID&yaw=..&pitch=..&hfov=..` opens that view, and the
//! address follows navigation so that a view can be shared. The page's loading line hears how far
//! loading has come through `window.cloudhallProgress(text, fraction)`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy::asset::AssetMetaCheck;
use bevy::prelude::*;
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::live::LiveSession;
use super::look::Look;
use super::nav::Current;
use super::panorama::PanoramaStatus;
use super::{FontFile, StartView, ViewerOptions, ViewerPlugin};
use crate::live::{LiveJoin, class_position, error_reason, is_code};
use crate::tour::Lang;

/// Tell the page how far loading has come.
pub fn progress(text: &str, fraction: f64) {
    let Some(window) = web_sys::window() else { return };
    if let Ok(f) = js_sys::Reflect::get(&window, &JsValue::from_str("cloudhallProgress"))
        && let Ok(f) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f)
    {
        let _ = f.call2(&JsValue::NULL, &JsValue::from_str(text), &JsValue::from_f64(fraction));
    }
}

/// The page's query string as (key, value) pairs.
fn query() -> Vec<(String, String)> {
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else { return Vec::new() };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return Vec::new() };
    [
        "site",
        "scene",
        "yaw",
        "pitch",
        "hfov",
        "lang",
        "guide",
        "join",
        "name",
        "motion",
        "scale",
        "subtitles",
        "contrast",
    ]
    .iter()
    .filter_map(|k| params.get(k).map(|v| (k.to_string(), v)))
    .collect()
}

/// The value of `key` in the query, trimmed.
fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string())
}

/// What a deep link asks for.
pub fn options_from_query(pairs: &[(String, String)]) -> ViewerOptions {
    let get = |k: &str| param(pairs, k);
    let num = |k: &str| get(k).and_then(|v| v.parse::<f32>().ok()).filter(|v| v.is_finite());
    let site = get("site");
    ViewerOptions {
        map: site.is_none(),
        scene: get("scene").filter(|_| site.is_some()),
        site,
        view: StartView { yaw: num("yaw"), pitch: num("pitch"), hfov: num("hfov") },
        lang: if get("lang").as_deref() == Some("en") { Lang::En } else { Lang::Zh },
        lang_given: get("lang").is_some(),
        remember: true,
        // `?motion=reduce&scale=150&subtitles=150&contrast=more`
        comfort: crate::a11y::ComfortChoice {
            reduced_motion: get("motion").map(|m| m == "reduce"),
            ui_scale: get("scale").and_then(|v| v.parse::<u16>().ok()),
            subtitle_scale: get("subtitles").and_then(|v| v.parse::<u16>().ok()),
            high_contrast: get("contrast").map(|c| c == "more"),
        },
        // A cardboard viewer's own optics: `?k1=&k2=&ipd=&screen=` (millimetres).
        lens: {
            let d = crate::vr::lens::Lens::default();
            crate::vr::lens::Lens {
                k1: num("k1").unwrap_or(d.k1),
                k2: num("k2").unwrap_or(d.k2),
                ipd_mm: num("ipd").filter(|v| *v > 0.0).unwrap_or(d.ipd_mm),
                screen_width_mm: num("screen").filter(|v| *v > 0.0).unwrap_or(d.screen_width_mm),
                ..d
            }
        },
        ..ViewerOptions::new("")
    }
}

/// A live session the page takes part in, and for a student where the class is.
type LiveStart = (LiveJoin, Option<(String, String)>);

/// What `?guide` or `?join=CODE&name=NAME` asks for. `?guide` makes a session (or, on reload,
/// takes back the one this tab leads: its token is kept in session storage) and puts its code
/// in the address; `?join` checks the code first, so a wrong one is a clear message.
async fn live_from_query(pairs: &[(String, String)]) -> Result<Option<LiveStart>, String> {
    let get = |k: &str| param(pairs, k);
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(code) = get("guide") {
        let kept = storage.as_ref().and_then(|s| s.get_item(&format!("cloudhall-guide-{code}")).ok().flatten());
        if let Some(token) = kept
            && is_code(&code)
            && matches!(super::io::request("GET", &format!("api/v1/sessions/{code}"), None).await, Ok((200, _)))
        {
            return Ok(Some((LiveJoin::Guide { code, token }, None)));
        }
        let (status, body) = super::io::request("POST", "api/v1/sessions", None).await?;
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        let (Some(code), Some(token)) = (v["code"].as_str(), v["teacher_token"].as_str()) else {
            let why = error_reason(&body).unwrap_or_else(|| "no answer".into());
            return Err(format!("the server refused a new session ({status}): {why}"));
        };
        if let Some(s) = &storage {
            let _ = s.set_item(&format!("cloudhall-guide-{code}"), token);
        }
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?guide={code}")));
        }
        return Ok(Some((LiveJoin::Guide { code: code.to_string(), token: token.to_string() }, None)));
    }
    let Some(code) = get("join").map(|c| crate::live::typed_code(&c)) else { return Ok(None) };
    if !is_code(&code) {
        return Err(format!("`{code}` is not a session code: a code is nine digits"));
    }
    let (status, body) = super::io::request("GET", &format!("api/v1/sessions/{code}"), None).await?;
    if status != 200 {
        return Err(error_reason(&body).unwrap_or_else(|| format!("no session {code}")));
    }
    let at = class_position(&serde_json::from_str(&body).unwrap_or_default());
    Ok(Some((LiveJoin::Join { code, name: get("name").unwrap_or_default() }, at)))
}

/// Fetch the tour, then run the viewer in the page's canvas `#cloudhall`.
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        // Read once: leading a class replaces the address with the session's.
        let pairs = query();
        let live = match live_from_query(&pairs).await {
            Ok(l) => l,
            Err(e) => return progress(&format!("error: {e}"), -1.0),
        };
        match prepare().await {
            Ok((tour, fonts)) => run(tour, fonts, live, &pairs),
            Err(e) => {
                error!("{e}");
                progress(&format!("error: {e}"), -1.0);
            }
        }
    });
}

/// The tour, and the font to start with. The page's loader has usually fetched the tour already
/// (it draws the first view itself while the viewer downloads) and hands it over.
async fn prepare() -> Result<(crate::tour::Tour, Fonts), String> {
    progress("tour", 0.02);
    let bytes = super::io::get("api/v1/tour").await?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("the tour is not JSON: {e}"))?;
    let fonts = Fonts::from_tour_json(&v);
    let tour = super::net::tour_from_json(v, PathBuf::new())?;
    // What the first screen needs: the font (its subset when there is one) and the map's outline.
    // Floor plans and the rest come when a screen shows them.
    let mut small: Vec<String> = vec![tour.map.outline.clone()];
    small.extend(fonts.first.iter().cloned());
    // All at once: on a real link one after another would cost a round trip each.
    let n = small.len().max(1);
    let done = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let all = js_sys::Array::new();
    for rel in small {
        let done = done.clone();
        all.push(&wasm_bindgen_futures::future_to_promise(async move {
            if let Err(e) = super::io::fetch(&rel, Path::new(&rel)).await {
                warn!("{e}");
            }
            done.set(done.get() + 1);
            progress("assets", 0.05 + 0.45 * done.get() as f64 / n as f64);
            Ok(JsValue::UNDEFINED)
        }));
    }
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::all(&all)).await;
    Ok((tour, fonts))
}

/// The fonts the server offers: the whole CJK font (`font`), and a subset with the characters of
/// the tour and the interface (`font_first`, built by `make web`): a tenth of the bytes, so the
/// first screen does not wait for the whole font, which follows once the panorama shows (for
/// visitors' names and messages, which may use any character).
#[derive(Debug, Clone, Default)]
pub struct Fonts {
    pub first: Option<String>,
    pub full: Option<String>,
}

impl Fonts {
    fn from_tour_json(v: &Value) -> Fonts {
        let get = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match (get("font_first"), get("font")) {
            (Some(first), full) => Fonts { first: Some(first), full },
            (None, full) => Fonts { first: full, full: None },
        }
    }
}

/// The whole font (4.5 MB), fetched only when the visitor meets text the subset may lack: typing
/// (a message, a name, a search), the memorial's messages from other visitors, a live class's
/// roster. Swapping it in lays out every text again: on a phone that held the page's thread for a
/// fifth of a second, so it is not done while the visitor merely walks, reads and listens.
#[derive(Resource, Default)]
struct FullFont {
    rel: String,
    started: bool,
    arrived: std::sync::Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    removed: Option<Vec<u8>>,
    done: bool,
}

/// Bevy's text registers a font when its asset id first appears, so the subset (the default
/// font's id) is removed for one frame and the whole font inserted under the same id the next:
/// every text is laid out again with it.
fn swap_in_full_font(
    mut full: ResMut<FullFont>,
    typing: Res<super::ui::Typing>,
    panel: Res<super::ui::Panel>,
    tour: Res<super::TourData>,
    live: Option<Res<LiveSession>>,
    mut fonts: ResMut<Assets<bevy::text::Font>>,
) {
    if full.done || full.rel.is_empty() {
        return;
    }
    if let Some(bytes) = full.removed.take() {
        let _ = fonts.insert(AssetId::default(), bevy::text::Font::from_bytes(bytes));
        full.done = true;
        return;
    }
    if !full.started {
        let wanted = typing.0 || live.is_some() || super::memorial::open_target(&panel, &tour).is_some();
        if wanted {
            full.started = true;
            let (url, slot) = (format!("assets/{}", full.rel), full.arrived.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match super::io::get(&url).await {
                    Ok(bytes) => *slot.lock().expect("font") = Some(bytes),
                    Err(e) => warn!("the whole font did not arrive ({e}); names and messages may miss characters"),
                }
            });
        }
        return;
    }
    let arrived = full.arrived.lock().expect("font").take();
    if let Some(bytes) = arrived {
        fonts.remove(AssetId::default());
        full.removed = Some(bytes);
    }
}

/// Until the viewer shows its first panorama, the page's loader draws it (web/loader.js) and the
/// visitor may already look around there: the viewer takes the loader's view every frame
/// (`window.cloudhallFirstView`) until the loader hands over, so there is no jump.
fn take_over_first_view(mut look: ResMut<Look>, mut done: Local<bool>) {
    if *done {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let v = js_sys::Reflect::get(&window, &JsValue::from_str("cloudhallFirstView")).unwrap_or(JsValue::UNDEFINED);
    let num = |k: &str| js_sys::Reflect::get(&v, &JsValue::from_str(k)).ok().and_then(|x| x.as_f64());
    match (num("yaw"), num("pitch"), num("hfov")) {
        (Some(yaw), Some(pitch), Some(hfov)) => {
            let limits = look.limits;
            let view = crate::pano::ViewState { yaw: yaw as f32, pitch: pitch as f32, hfov: hfov as f32 };
            look.set(view, limits);
        }
        _ => *done = true,
    }
}

fn run(tour: crate::tour::Tour, fonts: Fonts, live: Option<LiveStart>, pairs: &[(String, String)]) {
    let mut options = options_from_query(pairs);
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let in_session = live.is_some();
    if let Some((join, at)) = live {
        // A student starts where the class is.
        if let Some((site, scene)) = at {
            options.site = Some(site);
            options.scene = Some(scene);
        }
        options.map = false;
        options.server = Some(origin.clone());
        options.live = Some(join);
        options.autorotate = false;
    }
    let tour = Arc::new(tour);
    let start = match super::start_position(&tour, options.site.as_deref(), options.scene.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            warn!("{e}; opening the tour's start");
            match super::start_position(&tour, None, None) {
                Ok(s) => s,
                Err(e) => return progress(&format!("error: {e}"), -1.0),
            }
        }
    };
    progress("panorama", 0.55);
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: tour.title.get(options.lang).to_string(),
                    canvas: Some("#cloudhall".into()),
                    fit_canvas_to_parent: true,
                    prevent_default_event_handling: true,
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin { file_path: "assets".into(), meta_check: AssetMetaCheck::Never, ..default() }),
    );
    app.add_plugins(super::browser_images::BrowserImagesPlugin);
    // The API beside the page: the hall's at `/`, the studio preview's (which records nothing)
    // under `/studio/view/KEY/`.
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|href| super::net::page_folder(&href))
        .unwrap_or_else(|| origin.clone());
    app.insert_resource(super::net::Remote { base, client_id: client_id() });
    if in_session {
        app.insert_resource(super::live::JoinHint(format!("{origin}/?join=")));
    }
    if let Some(f) = &fonts.first {
        app.insert_resource(FontFile(PathBuf::from(f)));
    }
    app.insert_resource(FullFont { rel: fonts.full.unwrap_or_default(), ..default() });
    app.add_plugins(ViewerPlugin { tour, start, options, queue_file: PathBuf::new() }).add_systems(
        Update,
        (
            report_ready,
            report_state,
            follow_address,
            swap_in_full_font,
            take_over_first_view.before(super::look::LookSystems).after(super::nav::NavSystems),
        ),
    );
    app.run();
}

/// This browser's anonymous id, kept in local storage.
fn client_id() -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(id) = storage.as_ref().and_then(|s| s.get_item("cloudhall-client-id").ok().flatten()) {
        return id;
    }
    let id = format!("w{:x}{:x}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e12) as u64);
    if let Some(s) = storage {
        let _ = s.set_item("cloudhall-client-id", &id);
    }
    id
}

/// The loading bar goes when the first panorama is on screen (or cannot be).
/// On a slow link the scene's small preview shows first: the bar goes then, and the viewer's
/// own "loading the panorama" line stays until the full image is in.
fn report_ready(status: Res<PanoramaStatus>, mut done: Local<bool>, mut previewed: Local<bool>) {
    if *done {
        return;
    }
    match &*status {
        PanoramaStatus::Shown => progress("ready", 1.0),
        PanoramaStatus::Failed(e) => progress(&format!("error: {e}"), 1.0),
        PanoramaStatus::Preview => {
            if !*previewed {
                *previewed = true;
                progress("preview", 0.9);
            }
            return;
        }
        PanoramaStatus::Loading => return,
    }
    *done = true;
}

/// What the page (and its tests and benchmark) can read from the body's data attributes:
/// `data-tiles` is `idle` once every tile the view wants is on screen, `data-narration` says
/// whether the narration plays.
fn report_state(
    stream: Res<super::tiles::TileStream>,
    status: Res<PanoramaStatus>,
    playback: Res<super::narration::Playback>,
    mut last: Local<(Option<bool>, Option<bool>)>,
) {
    let idle = matches!(*status, PanoramaStatus::Shown) && stream.idle();
    let playing = playback.clock.playing;
    if *last == (Some(idle), Some(playing)) {
        return;
    }
    *last = (Some(idle), Some(playing));
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-tiles", if idle { "idle" } else { "loading" });
        let _ = body.set_attribute("data-narration", if playing { "playing" } else { "paused" });
    }
}

/// The address bar names the scene and view on screen, so a view can be shared.
fn follow_address(
    current: Res<Current>,
    look: Res<Look>,
    time: Res<Time>,
    live: Option<Res<LiveSession>>,
    mut last: Local<(String, f32)>,
) {
    // In a live session the address keeps the session's code (a reload goes back to the class);
    // otherwise once the view has settled: not on every frame of a drag.
    if live.is_some() || look.target.is_some() || look.velocity != (0.0, 0.0) || time.elapsed_secs() - last.1 < 0.5 {
        return;
    }
    let v = look.view;
    let query = format!(
        "?site={}&scene={}&yaw={:.1}&pitch={:.1}&hfov={:.0}",
        current.site, current.scene, v.yaw, v.pitch, v.hfov
    );
    if query == last.0 {
        return;
    }
    last.1 = time.elapsed_secs();
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&query));
    }
    last.0 = query;
}
