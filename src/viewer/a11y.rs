//! Screen readers and the keyboard: the hall's [`crate::a11y::Outline`] kept in step with the
//! viewer, announcements, and the actions that come back.
//!
//! In the browser the page mirrors the outline with real HTML controls and a polite live region
//! (web/a11y.js): `cloudhallA11y(json)` renders, `cloudhallAnnounce(text)` speaks, and the
//! controls queue actions that [`page::take`] reads each frame. Natively the same outline is
//! published as [`A11yOutline`], which the AccessKit layer reads.

use bevy::prelude::*;

use super::hotspots::Activate;
use super::memorial::{Memorial, offer, open_target};
use super::narration::{NarrationCommand, Playback};
use super::nav::{Current, GoTo, SceneEntered};
use super::ui::Panel;
use super::{Settings, TourData};
use crate::a11y::{Action, Outline, State, arrival, outline};

pub struct A11yPlugin;

impl Plugin for A11yPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<A11yOutline>()
            .init_resource::<Spoken>()
            .add_message::<A11yAction>()
            .add_systems(Update, (publish, announce.after(publish), act));
        #[cfg(target_arch = "wasm32")]
        app.add_systems(Update, page::take.before(act));
    }
}

/// What the screen shows now, in words (`None` before the first scene).
#[derive(Resource, Debug, Default, Clone)]
pub struct A11yOutline {
    pub outline: Option<Outline>,
    /// Changes whenever the outline does.
    pub generation: u64,
}

/// What was announced last, and everything announced (for the native viewer's tests and
/// its AccessKit live region).
#[derive(Resource, Debug, Default, Clone)]
pub struct Spoken {
    pub last: Option<String>,
    pub cue: Option<String>,
    pub board: Option<usize>,
    pub count: u64,
}

/// An action from the document layer (or the native accessibility layer).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct A11yAction(pub Action);

fn publish(
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    playback: Res<Playback>,
    panel: Res<Panel>,
    mut out: ResMut<A11yOutline>,
) {
    let scene = current.scene(&tour);
    let narration = scene.and_then(|s| s.narration.as_ref()).map(|_| playback.clock.playing);
    let board = match &*panel {
        Panel::Hotspot { site, scene, index } if *site == current.site && *scene == current.scene => Some(*index),
        _ => None,
    };
    let st = State { site: &current.site, scene: &current.scene, lang: settings.lang, narration, board };
    let now = outline(&tour.0, &st);
    if now != out.outline {
        out.outline = now;
        out.generation += 1;
        #[cfg(target_arch = "wasm32")]
        if let Some(o) = &out.outline {
            page::render(o);
        }
    }
}

fn say(spoken: &mut Spoken, text: String) {
    if text.trim().is_empty() {
        return;
    }
    #[cfg(target_arch = "wasm32")]
    page::announce(&text);
    spoken.last = Some(text);
    spoken.count += 1;
}

/// Scene changes, subtitles and opened boards go to the live region.
fn announce(
    mut entered: MessageReader<SceneEntered>,
    out: Res<A11yOutline>,
    playback: Res<Playback>,
    mut spoken: ResMut<Spoken>,
) {
    let Some(o) = &out.outline else { return };
    if entered.read().last().is_some() {
        let text = arrival(o);
        say(&mut spoken, text);
    }
    let lang = if o.lang == "zh" { crate::tour::Lang::Zh } else { crate::tour::Lang::En };
    let cue = playback.cue().map(|c| c.text.get(lang).to_string());
    if cue != spoken.cue {
        spoken.cue = cue.clone();
        if let Some(c) = cue {
            say(&mut spoken, c);
        }
    }
    let board = o.board.as_ref().map(|b| b.index);
    if board != spoken.board {
        spoken.board = board;
        if let Some(b) = &o.board {
            let text = format!("{}. {}", b.title, b.body);
            say(&mut spoken, text);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn act(
    mut actions: MessageReader<A11yAction>,
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    remote: Option<Res<super::net::Remote>>,
    mut panel: ResMut<Panel>,
    mut memorial: ResMut<Memorial>,
    mut activate: MessageWriter<Activate>,
    mut go: MessageWriter<GoTo>,
    mut narration: MessageWriter<NarrationCommand>,
) {
    for A11yAction(a) in actions.read() {
        match a {
            Action::Hotspot(i) => {
                activate.write(Activate(*i));
            }
            Action::Scene(id) => {
                go.write(GoTo { site: current.site.clone(), scene: id.clone(), view: None });
            }
            Action::Site(id) => {
                if let Some(first) = tour.0.site(id).and_then(|s| s.start_scene_id()) {
                    *panel = Panel::None;
                    go.write(GoTo { site: id.clone(), scene: first.to_string(), view: None });
                }
            }
            Action::Narration => {
                narration.write(NarrationCommand::TogglePlay);
            }
            Action::Close => *panel = Panel::None,
            Action::Offer(kind) => {
                if let Some(target) = open_target(&panel, &tour)
                    && let Err(e) = offer(&mut memorial, target, *kind, remote.is_some())
                {
                    error!("the offering could not be kept: {e}");
                }
            }
            Action::Message { name, text } => {
                if let Some(target) = open_target(&panel, &tour)
                    && let Err(e) = super::memorial::leave_message(
                        &mut memorial,
                        target,
                        name,
                        text,
                        settings.lang,
                        remote.is_some(),
                    )
                {
                    error!("the message could not be kept: {e}");
                }
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    use bevy::prelude::*;
    use wasm_bindgen::JsValue;

    use super::A11yAction;
    use crate::a11y::{Outline, parse_action};

    fn window_fn(name: &str) -> Option<(js_sys::Function, web_sys::Window)> {
        let window = web_sys::window()?;
        let f = js_sys::Reflect::get(&window, &JsValue::from_str(name)).ok()?;
        Some((wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok()?, window))
    }

    /// The page's document layer shows the outline (web/a11y.js).
    pub fn render(o: &Outline) {
        if let (Some((f, w)), Ok(json)) = (window_fn("cloudhallA11y"), serde_json::to_string(o)) {
            let _ = f.call1(&w, &JsValue::from_str(&json));
        }
    }

    /// The page's polite live region says `text`.
    pub fn announce(text: &str) {
        if let Some((f, w)) = window_fn("cloudhallAnnounce") {
            let _ = f.call1(&w, &JsValue::from_str(text));
        }
    }

    /// What the visitor did with the layer's controls since the last frame.
    pub fn take(mut out: MessageWriter<A11yAction>) {
        let Some((f, w)) = window_fn("cloudhallA11yTake") else { return };
        let Ok(list) = f.call0(&w) else { return };
        let list = js_sys::Array::from(&list);
        for item in list.iter() {
            let Some(json) = item.as_string() else { continue };
            match parse_action(&json) {
                Ok(a) => {
                    out.write(A11yAction(a));
                }
                Err(e) => warn!("the page sent an action the viewer does not know: {e}"),
            }
        }
    }
}
