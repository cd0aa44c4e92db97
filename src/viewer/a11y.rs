//! Screen readers and the keyboard: the hall's [`crate::a11y::Outline`] kept in step with the
//! viewer, announcements, and the actions that come back.
//!
//! In the browser the page mirrors the outline with real HTML controls and a polite live region
//! (web/a11y.js): `cloudhallA11y(json)` renders, `cloudhallAnnounce(text)` speaks, and the
//! controls queue actions that [`page::take`] reads each frame. Natively the same outline goes
//! into Bevy's AccessKit tree: each hotspot marker is a button named by where it leads, the
//! scene's words are a label, announcements fill a polite live region, and a screen reader's
//! "click" on a marker activates it; buttons that show only a glyph get a name.

use accesskit::{Action as AkAction, Live, Node as AkNode, NodeId, Role};
use bevy::a11y::{AccessibilityNode, ActionRequest};
use bevy::prelude::*;

use super::hotspots::{Activate, HotspotMarker};
use super::memorial::{Memorial, offer, open_target};
use super::narration::{AudioSettings, NarrationCommand, Playback};
use super::nav::{Current, GoTo, SceneEntered};
use super::ui::Panel;
use super::{Settings, TourData};
use crate::a11y::{Action, NarrationDo, NarrationState, Outline, State, arrival, outline};

pub struct A11yPlugin;

impl Plugin for A11yPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<A11yOutline>()
            .init_resource::<Spoken>()
            .add_message::<A11yAction>()
            // Registered by Bevy's window plugins too; the headless viewer has none.
            .add_message::<ActionRequest>()
            .add_systems(Startup, spawn_tree_nodes)
            .add_systems(
                Update,
                (
                    publish,
                    announce.after(publish),
                    act,
                    tree.after(announce),
                    clicks.before(act),
                    keyboard.before(act),
                    name_glyph_buttons,
                ),
            );
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
    /// The narration's controls as last seen, to say what a control changed.
    pub narration: Option<crate::a11y::NarrationItem>,
    pub count: u64,
    /// The memorial's answers already said.
    pub answers: u64,
}

/// An action from the document layer (or the native accessibility layer).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct A11yAction(pub Action);

/// What the outline was last made from that change detection does not see: whether the
/// narration plays, its length (as bits) and track, whether a live class and the map exist, and
/// the memorial form's status and answers (the memorial's queue changes every frame; the form
/// only with these).
type Seen = (bool, u64, u64, bool, bool, &'static str, u64);

#[allow(clippy::too_many_arguments)]
fn publish(
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    playback: Res<Playback>,
    audio: Res<AudioSettings>,
    panel: Res<Panel>,
    comfort: Res<super::comfort::Settings>,
    live: Option<Res<super::live::LiveSession>>,
    map: Option<Res<super::map::MapState>>,
    memorial: Option<Res<super::memorial::Memorial>>,
    mut out: ResMut<A11yOutline>,
    mut seen: Local<Option<Seen>>,
) {
    // The outline is rebuilt only when something it is made of changed. The narration's clock
    // moves every frame, but only whether it plays and what plays are in the outline.
    let key = (
        playback.clock.playing,
        playback.clock.duration.to_bits(),
        playback.generation,
        live.is_some(),
        map.is_some(),
        memorial.as_ref().map_or("", |m| m.message.name()),
        memorial.as_ref().map_or(0, |m| m.answers),
    );
    let changed = tour.is_changed()
        || current.is_changed()
        || settings.is_changed()
        || audio.is_changed()
        || panel.is_changed()
        || comfort.is_changed()
        || live.as_ref().is_some_and(|l| l.is_changed())
        || map.as_ref().is_some_and(|m| m.is_changed())
        || *seen != Some(key);
    *seen = Some(key);
    if !changed {
        return;
    }
    let scene = current.scene(&tour);
    // What plays (the scene's narration, or a board's own clip) or, before it starts, the
    // scene's: its transcript is what the transcript panel shows.
    let cues = match &playback.track {
        Some(t) => Some(&t.narration.cues[..]),
        None => scene.and_then(|s| s.narration.as_ref()).map(|n| &n.cues[..]),
    };
    let narration = scene.and_then(|s| s.narration.as_ref()).map(|n| NarrationState {
        playing: playback.clock.playing,
        duration: if playback.track.is_some() { playback.clock.duration } else { n.duration },
        speed: audio.speed,
        volume: audio.volume,
        muted: audio.muted,
        subtitles: audio.subtitles.lang(),
        transcript: *panel == Panel::Transcript,
        cues: cues.unwrap_or_default(),
    });
    let board = match &*panel {
        Panel::Hotspot { site, scene, index } if *site == current.site && *scene == current.scene => Some(*index),
        _ => None,
    };
    let live = live.map(|l| crate::a11y::LiveItem {
        teacher: l.role == crate::live::Role::Teacher,
        code: l.code.clone(),
        hand: l.hand,
        following: l.following,
    });
    let st = State {
        site: &current.site,
        scene: &current.scene,
        lang: settings.lang,
        narration,
        board,
        comfort: comfort.0,
        live,
        map: map.is_some_and(|m| m.open),
        form: Some(crate::a11y::MessageForm {
            name_max: crate::api::NAME_MAX_CHARS,
            text_max: crate::api::MESSAGE_MAX_CHARS,
            status: memorial.as_ref().map_or("", |m| m.message.name()),
            answer: memorial.as_ref().and_then(|m| m.notice.clone()).unwrap_or_default(),
            answers: memorial.as_ref().map_or(0, |m| m.answers),
        }),
    };
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

/// Say `text` through the live region (the page's, and the AccessKit tree's).
pub fn say(spoken: &mut Spoken, text: String) {
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
    settings: Res<Settings>,
    out: Res<A11yOutline>,
    playback: Res<Playback>,
    memorial: Option<Res<super::memorial::Memorial>>,
    mut spoken: ResMut<Spoken>,
) {
    // The memorial's answer to a message: thanks, why it was refused, or kept for later.
    if let Some(m) = &memorial
        && m.answers != spoken.answers
    {
        spoken.answers = m.answers;
        if let Some(text) = m.notice.clone() {
            say(&mut spoken, text);
        }
    }
    let Some(o) = &out.outline else { return };
    if entered.read().last().is_some() {
        let text = arrival(o);
        say(&mut spoken, text);
    }
    if out.is_changed() {
        if let (Some(before), Some(now)) = (&spoken.narration, &o.narration)
            && let Some(text) = crate::a11y::change(before, now)
        {
            say(&mut spoken, text);
        }
        spoken.narration = o.narration.clone();
    }
    let cue = playback.cue().map(|c| c.text.get(settings.lang).to_string());
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

/// Going somewhere from the layer leaves the city map, as its Enter does.
fn close_map(map: Option<&mut super::map::MapState>) {
    if let Some(m) = map {
        m.open = false;
        m.selected = None;
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
    mut comfort: MessageWriter<super::comfort::ComfortChange>,
    mut vr: MessageWriter<super::vr::VrCommand>,
    mut live: Option<ResMut<super::live::LiveSession>>,
    link: Option<Res<super::live::Link>>,
    mut map: Option<ResMut<super::map::MapState>>,
    (playback, audio, mut spoken): (Res<Playback>, Res<AudioSettings>, ResMut<Spoken>),
) {
    for A11yAction(a) in actions.read() {
        match a {
            Action::Hotspot(i) => {
                activate.write(Activate(*i));
            }
            Action::Scene(id) => {
                close_map(map.as_deref_mut());
                go.write(GoTo { site: current.site.clone(), scene: id.clone(), view: None });
            }
            Action::Site(id) => {
                if let Some(first) = tour.0.site(id).and_then(|s| s.start_scene_id()) {
                    close_map(map.as_deref_mut());
                    *panel = Panel::None;
                    go.write(GoTo { site: id.clone(), scene: first.to_string(), view: None });
                }
            }
            Action::Narration(what) => {
                let clock = &playback.clock;
                let command = match *what {
                    NarrationDo::Play => NarrationCommand::TogglePlay,
                    NarrationDo::Back | NarrationDo::Forward | NarrationDo::Seek(_) => {
                        let at = what.target(clock.position, clock.duration).unwrap_or(clock.position);
                        say(&mut spoken, crate::a11y::landed(at, clock.duration, settings.lang));
                        NarrationCommand::Seek(at)
                    }
                    NarrationDo::Speed => NarrationCommand::CycleSpeed,
                    NarrationDo::Louder | NarrationDo::Softer => {
                        NarrationCommand::Volume(what.volume(audio.volume).unwrap_or(audio.volume))
                    }
                    NarrationDo::Mute => NarrationCommand::ToggleMute,
                    NarrationDo::Subtitles => NarrationCommand::CycleSubtitles,
                    NarrationDo::Transcript => {
                        panel.toggle(Panel::Transcript);
                        continue;
                    }
                };
                narration.write(command);
            }
            Action::Close => *panel = Panel::None,
            Action::Offer(kind) => {
                if let Some(target) = open_target(&panel, &tour)
                    && let Err(e) = offer(&mut memorial, target, *kind, remote.is_some())
                {
                    error!("the offering could not be kept: {e}");
                }
            }
            Action::Vr => {
                vr.write(super::vr::VrCommand::Toggle);
            }
            Action::Live(what) => {
                let (Some(live), Some(link)) = (live.as_deref_mut(), link.as_deref()) else { continue };
                use crate::live::ClientMsg;
                match what.as_str() {
                    "hand" => {
                        live.hand = !live.hand;
                        link.send(ClientMsg::Hand { raised: live.hand });
                    }
                    "follow" => {
                        live.following = true;
                        link.send(ClientMsg::Mode { following: true });
                    }
                    "gather" => link.send(ClientMsg::Gather),
                    _ => {}
                }
            }
            Action::Comfort(choice) => {
                comfort.write(super::comfort::ComfortChange(*choice));
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
                    // Said, and shown beside the form: nothing was sent, the text is still there.
                    memorial.notice = Some(e.clone());
                    memorial.answers += 1;
                }
            }
        }
    }
}

/// Keys for what has no key of its own: Page Up and Page Down walk the scene strip, and with a
/// memorial open, 1, 2 and 3 lay a flower, light a candle or bow.
fn keyboard(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<super::ui::Typing>,
    out: Res<A11yOutline>,
    mut actions: MessageWriter<A11yAction>,
) {
    let (Some(keys), Some(o)) = (keys, &out.outline) else { return };
    if typing.0 {
        return;
    }
    let here = o.scenes.iter().position(|s| s.current);
    let step = |by: isize| {
        here.and_then(|i| o.scenes.get((i as isize + by).rem_euclid(o.scenes.len() as isize) as usize))
            .map(|s| Action::Scene(s.id.clone()))
    };
    if keys.just_pressed(KeyCode::PageDown)
        && let Some(a) = step(1)
    {
        actions.write(A11yAction(a));
    }
    if keys.just_pressed(KeyCode::PageUp)
        && let Some(a) = step(-1)
    {
        actions.write(A11yAction(a));
    }
    if o.board.as_ref().is_some_and(|b| b.memorial) {
        use crate::api::OfferingKind as K;
        for (key, kind) in [(KeyCode::Digit1, K::Flower), (KeyCode::Digit2, K::Candle), (KeyCode::Digit3, K::Bow)] {
            if keys.just_pressed(key) {
                actions.write(A11yAction(Action::Offer(kind)));
            }
        }
    }
}

/// The scene's words in the AccessKit tree: its name, and what it shows.
#[derive(Component)]
pub struct SceneWords;

/// The AccessKit live region: what was announced last.
#[derive(Component)]
pub struct LiveRegion;

fn hidden_node() -> Node {
    Node { position_type: PositionType::Absolute, width: Val::Px(0.0), height: Val::Px(0.0), ..default() }
}

fn spawn_tree_nodes(mut commands: Commands) {
    commands.spawn((Name::new("scene words"), SceneWords, hidden_node(), AccessibilityNode(AkNode::new(Role::Label))));
    let mut live = AkNode::new(Role::Status);
    live.set_live(Live::Polite);
    commands.spawn((Name::new("live region"), LiveRegion, hidden_node(), AccessibilityNode(live)));
}

/// The outline into the AccessKit tree: markers, the scene's words, the live region.
fn tree(
    out: Res<A11yOutline>,
    spoken: Res<Spoken>,
    mut commands: Commands,
    markers: Query<(Entity, &HotspotMarker, Has<AccessibilityNode>)>,
    mut words: Query<&mut AccessibilityNode, (With<SceneWords>, Without<LiveRegion>)>,
    mut live: Query<&mut AccessibilityNode, (With<LiveRegion>, Without<SceneWords>)>,
) {
    let Some(o) = &out.outline else { return };
    let fresh_markers = markers.iter().any(|(_, _, has)| !has);
    if out.is_changed() || fresh_markers {
        for (e, m, _) in &markers {
            let Some(item) = o.hotspots.iter().find(|h| h.index == m.index) else { continue };
            let mut node = AkNode::new(Role::Button);
            node.set_label(item.label.as_str());
            node.set_description(item.description.as_str());
            node.add_action(AkAction::Click);
            commands.entity(e).try_insert(AccessibilityNode(node));
        }
        for mut w in &mut words {
            w.set_label(format!("{} · {}", o.site.name, o.scene.name));
            w.set_value(o.description.as_str());
        }
    }
    if spoken.is_changed() {
        for mut l in &mut live {
            match &spoken.last {
                Some(text) => l.set_value(text.as_str()),
                None => l.clear_value(),
            }
        }
    }
}

/// A screen reader's click on a hotspot marker activates it, as a pointer's would.
fn clicks(
    mut requests: MessageReader<ActionRequest>,
    markers: Query<(Entity, &HotspotMarker)>,
    mut activate: MessageWriter<Activate>,
) {
    for r in requests.read() {
        if r.0.action != AkAction::Click {
            continue;
        }
        if let Some((_, m)) = markers.iter().find(|(e, _)| NodeId(e.to_bits()) == r.0.target_node) {
            activate.write(Activate(m.index));
        }
    }
}

/// The name of a button that shows no words (a dot on the floor plan, an empty text field, the
/// narration's progress track), in both languages.
#[derive(Component, Debug, Clone)]
pub struct A11yName(pub crate::tour::Text);

impl A11yName {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        A11yName(crate::tour::Text::new(zh, en))
    }
}

/// Buttons that show only a glyph, and what they do in words (Chinese, English).
const GLYPHS: [(&[&str], &str, &str); 8] = [
    (&["▶"], "播放解说", "Play the narration"),
    (&["‖"], "暂停解说", "Pause the narration"),
    (&["−"], "调低音量", "Volume down"),
    (&["+"], "调高音量", "Volume up"),
    (&["⇔"], "放大平面图", "Enlarge the floor plan"),
    (&["≡"], "菜单", "Menu"),
    (&["…"], "更多解说控制", "More narration controls"),
    (&["×", "✕"], "关闭", "Close"),
];

/// What a button that shows only a glyph does, in words.
fn glyph_name(glyph: &str, lang: crate::tour::Lang) -> Option<&'static str> {
    let (_, zh, en) = GLYPHS.iter().find(|(g, _, _)| g.contains(&glyph.trim()))?;
    Some(if lang == crate::tour::Lang::Zh { zh } else { en })
}

/// Every button's name, kept current. Bevy names a button by its text once, when it is spawned;
/// many of ours get their words a frame later (in the visitor's language) or change them (▶
/// becomes ‖, 中文 becomes English). A button that shows no words has an [`A11yName`]; one that
/// shows only a glyph (▶, ‖, −, +, ⇔, ≡, …) is named for what it does.
///
/// It looks only when words, names or children changed (Bevy's own naming changes the node),
/// not every frame.
#[allow(clippy::type_complexity)]
fn name_glyph_buttons(
    settings: Res<Settings>,
    mut buttons: Query<(&mut AccessibilityNode, Option<&A11yName>, Option<&Children>), With<Button>>,
    texts: Query<&Text>,
    changed: Query<(), Or<(Changed<Text>, Changed<Children>, Changed<A11yName>)>>,
) {
    let all = settings.is_changed() || !changed.is_empty();
    for (mut node, named, children) in &mut buttons {
        if !all && !node.is_changed() {
            continue;
        }
        let shown: Vec<&str> = children
            .map(|c| c.iter().filter_map(|c| texts.get(c).ok()).map(|t| t.0.trim()).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default();
        let name = match named {
            Some(n) => n.0.get(settings.lang).to_string(),
            None => match shown.as_slice() {
                [one] => glyph_name(one, settings.lang).map_or_else(|| one.to_string(), str::to_string),
                [] => continue,
                many => many.join(" "),
            },
        };
        if node.label() != Some(name.as_str()) {
            node.set_label(name);
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
