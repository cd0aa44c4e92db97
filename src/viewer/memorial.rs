//! The memorial (祭奠英烈) in the viewer: lay a flower, light a candle or bow, with live counts;
//! leave a message that appears after review; read the approved messages.
//!
//! Every offering and message first goes into a queue on disk with its idempotency key, and is
//! sent from there: when the server cannot be reached (or none was given) nothing is lost, and
//! a retried send is counted once.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::net::Remote;
use super::ui::{Panel, Typing, label};
use super::{Settings, TourData};
use crate::tour::{HotspotKind, Lang, MemorialTarget};

pub use crate::api::{OfferingKind, Target};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Action {
    Offering { target: Target, kind: OfferingKind },
    Message { target: Target, name: String, text: String },
}

/// One thing the visitor did, waiting to reach the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub action: Action,
}

/// The queue on disk.
#[derive(Debug, Default)]
pub struct Queue {
    pub items: Vec<Pending>,
    /// (In the browser the queue is in local storage instead.)
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    file: PathBuf,
}

impl Queue {
    /// The queue kept in `file` (empty when there is none yet).
    pub fn load(file: PathBuf) -> Queue {
        let items = read_text(&file).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        Queue { items, file }
    }

    /// Add and save before anything else happens: once this returns Ok, the action survives a crash.
    pub fn push(&mut self, p: Pending) -> Result<(), String> {
        self.items.push(p);
        self.save()
    }

    pub fn remove(&mut self, key: &str) -> Result<(), String> {
        self.items.retain(|p| p.key != key);
        self.save()
    }

    #[cfg(target_arch = "wasm32")]
    fn save(&self) -> Result<(), String> {
        // The browser keeps the queue in local storage.
        let text = serde_json::to_string(&self.items).map_err(|e| e.to_string())?;
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .ok_or("no local storage")?
            .set_item(QUEUE_KEY, &text)
            .map_err(|_| "local storage refused the memorial queue".to_string())
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn save(&self) -> Result<(), String> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let part = self.file.with_extension("part");
        let text = serde_json::to_string_pretty(&self.items).map_err(|e| e.to_string())?;
        std::fs::write(&part, text)
            .and_then(|_| std::fs::rename(&part, &self.file))
            .map_err(|e| format!("cannot save {}: {e}", self.file.display()))
    }
}

#[cfg(target_arch = "wasm32")]
const QUEUE_KEY: &str = "cloudhall-memorial-queue";

#[cfg(not(target_arch = "wasm32"))]
fn read_text(file: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(file).ok()
}

#[cfg(target_arch = "wasm32")]
fn read_text(_: &std::path::Path) -> Option<String> {
    web_sys::window()?.local_storage().ok().flatten()?.get_item(QUEUE_KEY).ok().flatten()
}

/// A new idempotency key.
pub fn new_key() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    #[cfg(not(target_arch = "wasm32"))]
    let (nanos, salt) = (
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
        u64::from(std::process::id()),
    );
    // (The browser has neither the system clock nor process ids through std.)
    #[cfg(target_arch = "wasm32")]
    let (nanos, salt) = ((js_sys::Date::now() * 1e6) as u128, (js_sys::Math::random() * 1e15) as u64);
    format!("{nanos:x}-{salt:x}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// What came back from the network (the browser build has no network yet).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
enum Reply {
    /// The item with this key was stored (or already was).
    Sent(String),
    /// The server refused it for good (4xx other than 429): it is dropped, with the reason.
    Refused(String, String),
    /// Not reachable, or busy: try again later.
    Unreachable(String),
    Counts(Target, Value),
    Messages(Target, Vec<(String, String)>),
}

#[derive(Resource)]
pub struct Memorial {
    pub queue: Queue,
    pub counts: std::collections::HashMap<Target, Value>,
    pub messages: std::collections::HashMap<Target, Vec<(String, String)>>,
    /// The last send failed: the server cannot be reached now.
    pub offline: bool,
    in_flight: bool,
    retry_in: f32,
    replies: Mutex<Receiver<Reply>>,
    tx: Sender<Reply>,
    /// A short "+1" that rises over the buttons, seconds left.
    flash: f32,
    /// The message form.
    pub name: String,
    pub text: String,
    editing: Option<Field>,
    pub notice: Option<String>,
    /// Where the visitor's last message is. Its text stays in the form until the server
    /// accepts it: a refused message is still there to mend.
    pub message: MessageState,
    /// Answers about messages so far (thanks, refusals, kept for later): each is said in the
    /// live region once.
    pub answers: u64,
}

/// The visitor's last message, from Send to the server's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum MessageState {
    #[default]
    None,
    /// Queued with this key, on its way.
    Sending(String),
    /// Queued with this key, waiting on this device for the server.
    Kept(String),
    Accepted,
    Refused,
}

impl MessageState {
    /// The form's status, as the screen readers' layer names it.
    pub fn name(&self) -> &'static str {
        match self {
            MessageState::None => "",
            MessageState::Sending(_) => "sending",
            MessageState::Kept(_) => "kept",
            MessageState::Accepted => "accepted",
            MessageState::Refused => "refused",
        }
    }

    fn key(&self) -> Option<&str> {
        match self {
            MessageState::Sending(k) | MessageState::Kept(k) => Some(k),
            _ => None,
        }
    }
}

fn thanks(lang: Lang) -> String {
    if lang == Lang::Zh {
        "感谢留言，审核通过后显示。".into()
    } else {
        "Thank you: your message appears after review.".into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Component)]
enum Field {
    Name,
    Text,
}

impl Memorial {
    pub fn new(queue_file: PathBuf) -> Self {
        let (tx, rx) = channel();
        Memorial {
            queue: Queue::load(queue_file),
            counts: Default::default(),
            messages: Default::default(),
            offline: false,
            in_flight: false,
            retry_in: 0.0,
            replies: Mutex::new(rx),
            tx,
            flash: 0.0,
            name: String::new(),
            text: String::new(),
            editing: None,
            notice: None,
            message: MessageState::None,
            answers: 0,
        }
    }

    /// Offerings of `kind` for `target` still waiting in the queue.
    pub fn waiting(&self, target: &Target) -> usize {
        self.queue.items.iter().filter(|p| matches!(&p.action, Action::Offering { target: t, .. } | Action::Message { target: t, .. } if t == target)).count()
    }
}

pub struct MemorialPlugin {
    /// Where the queue is kept.
    pub queue_file: PathBuf,
    /// Take over what this device kept without a server (not for a queue file of one's own).
    pub adopt_local: bool,
}

impl Plugin for MemorialPlugin {
    fn build(&self, app: &mut App) {
        let mut memorial = Memorial::new(self.queue_file.clone());
        // What was kept on this device without a server goes out with this one (the browser has
        // one queue, in local storage).
        let local = queue_file(None);
        if cfg!(not(target_arch = "wasm32")) && self.adopt_local && local != self.queue_file {
            let mut waiting = Queue::load(local);
            if !waiting.items.is_empty() {
                let moved: Vec<Pending> = std::mem::take(&mut waiting.items);
                let n = moved.len();
                let saved = moved.into_iter().try_for_each(|p| memorial.queue.push(p));
                match saved.and_then(|_| waiting.save()) {
                    Ok(()) => info!("{n} offerings and messages kept on this device will be sent to the server"),
                    Err(e) => error!("could not move the local memorial queue: {e}"),
                }
            }
        }
        app.insert_resource(memorial)
            .add_systems(Startup, build_section.after(super::ui::build_ui))
            .add_systems(Update, (refresh_on_open, buttons, typing, send, receive, show).chain());
    }
}

/// The memorial target of the open panel, if it is a Memorial hotspot.
pub fn open_target(panel: &Panel, tour: &TourData) -> Option<Target> {
    let Panel::Hotspot { site, scene, index } = panel else { return None };
    let h = tour.0.site(site)?.scene(scene)?.hotspots.get(*index)?;
    match &h.kind {
        HotspotKind::Memorial(MemorialTarget::Site) => Some(Target::Site(site.clone())),
        HotspotKind::Memorial(MemorialTarget::Person(p)) => Some(Target::Person(p.clone())),
        _ => None,
    }
}

#[derive(Component)]
struct Section;
#[derive(Component)]
struct CountsText;
#[derive(Component)]
struct StatusText;
#[derive(Component)]
struct FlashText;
#[derive(Component)]
struct MessagesList;
/// The memorial's buttons.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemorialButton {
    Offer(OfferingKind),
    Send,
}

fn field_box(field: Field) -> impl Bundle {
    let name = match field {
        Field::Name => super::a11y::A11yName::new("您的名字", "Your name"),
        Field::Text => super::a11y::A11yName::new("留言", "Message"),
    };
    (
        Button,
        name,
        field,
        Node {
            padding: UiRect::all(Val::Px(6.0)),
            margin: UiRect::vertical(Val::Px(3.0)),
            min_height: Val::Px(30.0),
            border_radius: BorderRadius::all(Val::Px(4.0)),
            ..default()
        },
        BackgroundColor(Color::srgb(0.95, 0.95, 0.93)),
    )
}

/// The memorial section lives inside the hotspot panel's column and shows for Memorial hotspots.
/// It goes above the panel's close button, so the panel (which scrolls) never hides it on a
/// short screen.
fn build_section(mut commands: Commands, panel: Query<(Entity, &Children), With<super::ui::HotspotPanel>>) {
    let section = commands
        .spawn((
            Section,
            Node {
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(12.0)),
                margin: UiRect::bottom(Val::Px(10.0)),
                border_radius: BorderRadius::all(Val::Px(8.0)),
                flex_shrink: 0.0,
                display: Display::None,
                ..default()
            },
            BackgroundColor(Color::srgba(0.12, 0.05, 0.05, 0.95)),
            Interaction::default(),
            bevy::ui::FocusPolicy::Block,
        ))
        .with_children(|s| {
            s.spawn(Node { flex_direction: FlexDirection::Row, align_items: AlignItems::Center, ..default() })
                .with_children(|row| {
                    for kind in OfferingKind::ALL {
                        row.spawn((
                            Button,
                            MemorialButton::Offer(kind),
                            Node {
                                padding: UiRect::axes(Val::Px(16.0), Val::Px(8.0)),
                                margin: UiRect::right(Val::Px(8.0)),
                                border_radius: BorderRadius::all(Val::Px(6.0)),
                                ..default()
                            },
                            BackgroundColor(Color::srgb(0.55, 0.1, 0.1)),
                        ))
                        .with_children(|b| {
                            b.spawn((label(offer_label(kind, Lang::Zh), 18.0, Color::WHITE), OfferLabel(kind)));
                        });
                    }
                    row.spawn((FlashText, label("", 22.0, Color::srgb(0.96, 0.84, 0.48))));
                });
            s.spawn((
                CountsText,
                label("", 15.0, Color::WHITE),
                Node { margin: UiRect::vertical(Val::Px(6.0)), ..default() },
            ));
            s.spawn(field_box(Field::Name)).with_children(|b| {
                b.spawn((FieldText(Field::Name), label("", 15.0, Color::srgb(0.1, 0.1, 0.1))));
            });
            s.spawn(field_box(Field::Text)).with_children(|b| {
                b.spawn((FieldText(Field::Text), label("", 15.0, Color::srgb(0.1, 0.1, 0.1))));
            });
            s.spawn((
                Button,
                MemorialButton::Send,
                super::a11y::A11yName::new("发送留言", "Send the message"),
                Node {
                    padding: UiRect::axes(Val::Px(16.0), Val::Px(6.0)),
                    margin: UiRect::vertical(Val::Px(4.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    align_self: AlignSelf::FlexStart,
                    ..default()
                },
                BackgroundColor(Color::srgb(0.3, 0.3, 0.34)),
            ))
            .with_children(|b| {
                b.spawn((label("", 15.0, Color::WHITE), SendLabel));
            });
            s.spawn((StatusText, label("", 13.0, Color::srgb(0.85, 0.8, 0.7))));
            s.spawn((
                MessagesList,
                Node {
                    flex_direction: FlexDirection::Column,
                    max_height: Val::Px(140.0),
                    overflow: Overflow::scroll_y(),
                    ..default()
                },
            ));
        })
        .id();
    match panel.single() {
        // Above the close button, the panel's last child.
        Ok((p, children)) => {
            commands.entity(p).insert_children(children.len().saturating_sub(1), &[section]);
        }
        Err(_) => warn!("no hotspot panel to hold the memorial"),
    }
}

#[derive(Component)]
struct OfferLabel(OfferingKind);

/// What an offering button says.
fn offer_label(kind: OfferingKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (OfferingKind::Flower, Lang::Zh) => "献花",
        (OfferingKind::Candle, Lang::Zh) => "点烛",
        (OfferingKind::Bow, Lang::Zh) => "鞠躬",
        (OfferingKind::Flower, Lang::En) => "Lay a flower",
        (OfferingKind::Candle, Lang::En) => "Light a candle",
        (OfferingKind::Bow, Lang::En) => "Bow",
    }
}
#[derive(Component)]
struct FieldText(Field);
#[derive(Component)]
struct SendLabel;

/// (name, text) of the approved messages in the server's answer.
fn message_list(v: &Value) -> Vec<(String, String)> {
    v["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["name"].as_str().unwrap_or("").to_string(), m["text"].as_str().unwrap_or("").to_string()))
        .collect()
}

fn fetch_target(remote: &Remote, target: &Target, tx: &Sender<Reply>) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let (base, t, tx) = (remote.base.clone(), target.clone(), tx.clone());
        std::thread::spawn(move || {
            if let Ok(v) = ureq::get(&format!("{base}/api/v1/memorial/counts?{}", t.query()))
                .call()
                .map(|r| r.into_json::<Value>())
                && let Ok(v) = v
            {
                let _ = tx.send(Reply::Counts(t.clone(), v["counts"].clone()));
            }
            if let Ok(Ok(v)) = ureq::get(&format!("{base}/api/v1/memorial/messages?{}", t.query()))
                .call()
                .map(|r| r.into_json::<Value>())
            {
                let _ = tx.send(Reply::Messages(t, message_list(&v)));
            }
        });
    }
    #[cfg(target_arch = "wasm32")]
    {
        let (base, t, tx) = (remote.base.clone(), target.clone(), tx.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let get = |what: &str| format!("{base}/api/v1/memorial/{what}?{}", t.query());
            if let Ok((200, body)) = super::io::request("GET", &get("counts"), None).await
                && let Ok(v) = serde_json::from_str::<Value>(&body)
            {
                let _ = tx.send(Reply::Counts(t.clone(), v["counts"].clone()));
            }
            if let Ok((200, body)) = super::io::request("GET", &get("messages"), None).await
                && let Ok(v) = serde_json::from_str::<Value>(&body)
            {
                let _ = tx.send(Reply::Messages(t, message_list(&v)));
            }
        });
    }
}

/// Seconds between refreshes of the counts and messages while a memorial is open, so offerings
/// made by other visitors show up.
const REFRESH_EVERY: f32 = 3.0;

fn refresh_on_open(
    time: Res<Time>,
    panel: Res<Panel>,
    tour: Res<TourData>,
    remote: Option<Res<Remote>>,
    memorial: Res<Memorial>,
    mut since: Local<f32>,
) {
    *since += time.delta_secs();
    if !panel.is_changed() && *since < REFRESH_EVERY {
        return;
    }
    *since = 0.0;
    if let (Some(t), Some(r)) = (open_target(&panel, &tour), remote) {
        fetch_target(&r, &t, &memorial.tx);
    }
}

#[allow(clippy::too_many_arguments)]
fn buttons(
    pressed: Query<(&Interaction, &MemorialButton), Changed<Interaction>>,
    fields: Query<(&Interaction, &Field), Changed<Interaction>>,
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    remote: Option<Res<Remote>>,
    mut typing: ResMut<Typing>,
    mut memorial: ResMut<Memorial>,
) {
    let Some(target) = open_target(&panel, &tour) else { return };
    for (i, f) in &fields {
        if *i == Interaction::Pressed {
            memorial.editing = Some(*f);
            typing.0 = true;
        }
    }
    for (i, b) in &pressed {
        if *i != Interaction::Pressed {
            continue;
        }
        let action = match b {
            MemorialButton::Offer(kind) => Action::Offering { target: target.clone(), kind: *kind },
            MemorialButton::Send => {
                let (name, text) = (memorial.name.clone(), memorial.text.clone());
                memorial.editing = None;
                typing.0 = false;
                if let Err(e) =
                    leave_message(&mut memorial, target.clone(), &name, &text, settings.lang, remote.is_some())
                {
                    memorial.notice = Some(e);
                }
                continue;
            }
        };
        match memorial.queue.push(Pending { key: new_key(), action }) {
            Ok(()) => {
                memorial.flash = 1.2;
                memorial.retry_in = 0.0;
                if remote.is_none() {
                    memorial.offline = true;
                }
            }
            Err(e) => {
                error!("the memorial queue could not be saved: {e}");
                memorial.notice = Some(e);
            }
        }
    }
}

/// The name a message is signed with: the visitor's, or "Visitor" when they gave none.
fn signed(name: &str, lang: Lang) -> String {
    match name.trim() {
        "" if lang == Lang::Zh => "访客".to_string(),
        "" => "Visitor".to_string(),
        n => n.to_string(),
    }
}

/// Leave a message (the panel's Send, or the screen-reader layer's form): queued and saved
/// first, then sent with the rest of the queue. The text stays where the visitor wrote it until
/// the server accepts it (see [`receive`]); one message is on its way at a time.
pub fn leave_message(
    memorial: &mut Memorial,
    target: Target,
    name: &str,
    text: &str,
    lang: Lang,
    online: bool,
) -> Result<(), String> {
    let zh = lang == Lang::Zh;
    let text = text.trim();
    if text.is_empty() {
        return Err(if zh { "请先写下留言。".into() } else { "Write the message first.".into() });
    }
    if memorial.message.key().is_some() {
        return Err(if zh {
            "上一条留言还在发送中。".into()
        } else {
            "Your last message is still on its way.".into()
        });
    }
    let action = Action::Message { target, name: signed(name, lang), text: text.to_string() };
    let key = new_key();
    memorial.queue.push(Pending { key: key.clone(), action })?;
    memorial.retry_in = 0.0;
    if online {
        memorial.message = MessageState::Sending(key);
        memorial.notice = Some(if zh { "正在发送留言……".into() } else { "Sending your message…".into() });
    } else {
        memorial.offline = true;
        memorial.message = MessageState::Kept(key);
        memorial.notice = Some(kept(lang));
        memorial.answers += 1;
    }
    Ok(())
}

fn kept(lang: Lang) -> String {
    if lang == Lang::Zh {
        "留言已保存在本机，连接服务器后发送。".into()
    } else {
        "Your message is kept on this device and will be sent when the server can be reached.".into()
    }
}

/// Lay an offering from outside the memorial's panel (the VR glasses mode's gaze): queued and
/// saved first, as the panel's buttons do, then sent with the rest of the queue.
pub fn offer(memorial: &mut Memorial, target: Target, kind: OfferingKind, online: bool) -> Result<(), String> {
    memorial.queue.push(Pending { key: new_key(), action: Action::Offering { target, kind } })?;
    memorial.flash = 1.2;
    memorial.retry_in = 0.0;
    if !online {
        memorial.offline = true;
    }
    Ok(())
}

fn typing(
    mut keys: MessageReader<KeyboardInput>,
    mut typing: ResMut<Typing>,
    mut memorial: ResMut<Memorial>,
    panel: Res<Panel>,
) {
    if !panel.is_open() && memorial.editing.is_some() {
        memorial.editing = None;
        typing.0 = false;
    }
    let Some(field) = memorial.editing else { return };
    for k in keys.read() {
        if !k.state.is_pressed() {
            continue;
        }
        let target = match field {
            Field::Name => &mut memorial.name,
            Field::Text => &mut memorial.text,
        };
        match &k.logical_key {
            Key::Backspace => {
                target.pop();
            }
            Key::Enter | Key::Escape | Key::Tab => {
                memorial.editing = None;
                typing.0 = false;
                break;
            }
            _ => {
                if let Some(t) = &k.text {
                    let limit =
                        if field == Field::Name { crate::api::NAME_MAX_CHARS } else { crate::api::MESSAGE_MAX_CHARS };
                    for c in t.chars().filter(|c| !c.is_control()) {
                        if target.chars().count() < limit {
                            target.push(c);
                        }
                    }
                }
            }
        }
    }
}

/// Send the oldest waiting item, one at a time, in the background.
fn send(time: Res<Time>, remote: Option<Res<Remote>>, mut memorial: ResMut<Memorial>) {
    let Some(remote) = remote else { return };
    memorial.retry_in -= time.delta_secs();
    if memorial.in_flight || memorial.retry_in > 0.0 {
        return;
    }
    let Some(item) = memorial.queue.items.first().cloned() else { return };
    memorial.in_flight = true;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let (base, client, tx) = (remote.base.clone(), remote.client_id.clone(), memorial.tx.clone());
        std::thread::spawn(move || {
            let (path, body) = item_request(&item, &client);
            let reply = match ureq::post(&format!("{base}/api/v1/memorial/{path}")).send_json(body) {
                Ok(_) => Reply::Sent(item.key),
                Err(ureq::Error::Status(429, _)) => Reply::Unreachable("the server asks to wait".into()),
                Err(ureq::Error::Status(code, r)) if (400..500).contains(&code) => {
                    Reply::Refused(item.key, r.into_string().unwrap_or_default())
                }
                Err(e) => Reply::Unreachable(e.to_string()),
            };
            let _ = tx.send(reply);
        });
    }
    #[cfg(target_arch = "wasm32")]
    {
        let (base, client, tx) = (remote.base.clone(), remote.client_id.clone(), memorial.tx.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let (path, body) = item_request(&item, &client);
            let url = format!("{base}/api/v1/memorial/{path}");
            let reply = match super::io::request("POST", &url, Some(body.to_string())).await {
                Ok((200..=299, _)) => Reply::Sent(item.key),
                Ok((429, _)) => Reply::Unreachable("the server asks to wait".into()),
                Ok((code, body)) if (400..500).contains(&code) => Reply::Refused(item.key, body),
                Ok((code, _)) => Reply::Unreachable(format!("the server answered {code}")),
                Err(e) => Reply::Unreachable(e),
            };
            let _ = tx.send(reply);
        });
    }
}

/// The endpoint and body that send a queued item.
fn item_request(item: &Pending, client: &str) -> (&'static str, Value) {
    match &item.action {
        Action::Offering { target, kind } => (
            "offerings",
            serde_json::json!({"target": target, "kind": kind, "client_id": client, "idempotency_key": item.key}),
        ),
        Action::Message { target, name, text } => (
            "messages",
            serde_json::json!({"target": target, "name": name, "text": text, "client_id": client, "idempotency_key": item.key}),
        ),
    }
}

fn receive(
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    remote: Option<Res<Remote>>,
    mut memorial: ResMut<Memorial>,
) {
    let replies: Vec<Reply> = match memorial.replies.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for r in replies {
        match r {
            Reply::Sent(key) => {
                memorial.in_flight = false;
                memorial.offline = false;
                if let Err(e) = memorial.queue.remove(&key) {
                    error!("{e}");
                }
                if memorial.message.key() == Some(key.as_str()) {
                    // Accepted: only now is the form's text taken.
                    memorial.text.clear();
                    memorial.message = MessageState::Accepted;
                    memorial.notice = Some(thanks(settings.lang));
                    memorial.answers += 1;
                }
                if let (Some(t), Some(rm)) = (open_target(&panel, &tour), remote.as_ref()) {
                    fetch_target(rm, &t, &memorial.tx);
                }
            }
            Reply::Refused(key, body) => {
                memorial.in_flight = false;
                let why = crate::live::error_reason(&body).unwrap_or(body);
                warn!("the server refused a memorial item: {why}");
                if memorial.message.key() == Some(key.as_str()) {
                    // The text stays in the form, to mend and send again.
                    memorial.message = MessageState::Refused;
                    memorial.notice = Some(if settings.lang == Lang::Zh {
                        format!("留言未能发送：{why}")
                    } else {
                        format!("The message was not sent: {why}")
                    });
                    memorial.answers += 1;
                } else {
                    memorial.notice = Some(why);
                }
                if let Err(e) = memorial.queue.remove(&key) {
                    error!("{e}");
                }
            }
            Reply::Unreachable(why) => {
                memorial.in_flight = false;
                if let MessageState::Sending(key) = &memorial.message {
                    memorial.message = MessageState::Kept(key.clone());
                    memorial.notice = Some(kept(settings.lang));
                    memorial.answers += 1;
                }
                if !memorial.offline {
                    warn!("the memorial server cannot be reached ({why}); offerings and messages wait on disk");
                }
                memorial.offline = true;
                memorial.retry_in = 3.0;
            }
            Reply::Counts(t, v) => {
                memorial.counts.insert(t, v);
            }
            Reply::Messages(t, list) => {
                memorial.messages.insert(t, list);
            }
        }
    }
}

#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn show(
    mut commands: Commands,
    time: Res<Time>,
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    remote: Option<Res<Remote>>,
    mut memorial: ResMut<Memorial>,
    mut section: Query<&mut Node, With<Section>>,
    mut texts: ParamSet<(
        Query<&mut Text, With<CountsText>>,
        Query<&mut Text, With<StatusText>>,
        Query<(&mut Text, &mut TextColor), With<FlashText>>,
        Query<(&mut Text, &FieldText)>,
        Query<&mut Text, With<SendLabel>>,
        Query<(&mut Text, &OfferLabel)>,
    )>,
    list: Query<Entity, With<MessagesList>>,
    mut shown_messages: Local<Option<(Target, usize)>>,
) {
    let target = open_target(&panel, &tour);
    for mut n in &mut section {
        let d = if target.is_some() { Display::Flex } else { Display::None };
        if n.display != d {
            n.display = d;
        }
    }
    // In the visitor's language even while hidden: the accessibility tree names them from it.
    // Compared before anything is made, as this runs every frame.
    for (mut t, l) in &mut texts.p5() {
        let want = offer_label(l.0, settings.lang);
        if t.0 != want {
            t.0 = want.to_string();
        }
    }
    let Some(target) = target else { return };
    let zh = settings.lang == Lang::Zh;
    let c = memorial.counts.get(&target).cloned().unwrap_or(Value::Null);
    let n = |k: &str| c[k].as_i64().unwrap_or(0);
    let waiting = memorial.waiting(&target);
    let counts = if zh {
        format!("献花 {} · 点烛 {} · 鞠躬 {}", n("flower"), n("candle"), n("bow"))
    } else {
        format!("Flowers {} · candles {} · bows {}", n("flower"), n("candle"), n("bow"))
    };
    for mut t in &mut texts.p0() {
        t.set_if_neq(Text(counts.clone()));
    }
    let status = match (remote.is_some(), memorial.offline, waiting, zh) {
        (false, _, w, true) => format!("未连接服务器：{w} 项保存在本机，连接后发送"),
        (false, _, w, false) => format!("No server: {w} kept on this device until one is given"),
        (true, true, w, true) => format!("服务器暂时无法连接：{w} 项稍后自动发送"),
        (true, true, w, false) => format!("The server cannot be reached: {w} will be sent later"),
        (true, false, 0, _) => memorial.notice.clone().unwrap_or_default(),
        (true, false, w, true) => format!("正在发送 {w} 项……"),
        (true, false, w, false) => format!("Sending {w}…"),
    };
    for mut t in &mut texts.p1() {
        t.set_if_neq(Text(status.clone()));
    }
    if memorial.flash > 0.0 {
        memorial.flash = (memorial.flash - time.delta_secs()).max(0.0);
    }
    let flash = memorial.flash;
    for (mut t, mut color) in &mut texts.p2() {
        t.set_if_neq(Text(if flash > 0.0 { "+1 ✿".into() } else { String::new() }));
        color.set_if_neq(TextColor(Color::srgba(0.96, 0.84, 0.48, flash.min(1.0))));
    }
    let editing = memorial.editing;
    let (name, text) = (memorial.name.clone(), memorial.text.clone());
    for (mut t, f) in &mut texts.p3() {
        let (value, hint) = match f.0 {
            Field::Name => (&name, (if zh { "署名（可不填）" } else { "Your name (optional)" }).to_string()),
            Field::Text => (
                &text,
                if zh {
                    format!("寄语，最多{}字，审核后显示", crate::api::MESSAGE_MAX_CHARS)
                } else {
                    format!("A message (up to {} characters), shown after review", crate::api::MESSAGE_MAX_CHARS)
                },
            ),
        };
        let caret = if editing == Some(f.0) { "|" } else { "" };
        t.set_if_neq(Text(if value.is_empty() && caret.is_empty() {
            hint.to_string()
        } else {
            format!("{value}{caret}")
        }));
    }
    for mut t in &mut texts.p4() {
        t.set_if_neq(Text(if zh { "留言".into() } else { "Leave the message".into() }));
    }
    let messages = memorial.messages.get(&target).cloned().unwrap_or_default();
    if shown_messages.as_ref() != Some(&(target.clone(), messages.len())) {
        *shown_messages = Some((target, messages.len()));
        for e in &list {
            commands.entity(e).despawn_children();
            commands.entity(e).with_children(|p| {
                for (name, text) in &messages {
                    p.spawn(label(format!("{name}：{text}"), 14.0, Color::srgb(0.9, 0.9, 0.88)));
                }
            });
        }
    }
}

/// Where the queue lives: beside the server's cache, or a local folder without a server.
pub fn queue_file(remote: Option<&Remote>) -> PathBuf {
    if cfg!(target_arch = "wasm32") {
        return PathBuf::new(); // (no files in the browser)
    }
    let base = remote.map_or_else(|| "local".to_string(), |r| r.base.clone());
    super::net::cache_dir(&base).join("memorial-queue.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_survives_a_restart_and_keeps_its_order() {
        let file = std::env::temp_dir().join(format!("cloudhall-queue-{}.json", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let mut q = Queue::load(file.clone());
        assert!(q.items.is_empty());
        let a = Pending {
            key: "k1".into(),
            action: Action::Offering { target: Target::Site("alpha".into()), kind: OfferingKind::Flower },
        };
        let b = Pending {
            key: "k2".into(),
            action: Action::Message {
                target: Target::Person("hero".into()), name: "李".into(), text: "致敬".into()
            },
        };
        q.push(a.clone()).expect("save");
        q.push(b.clone()).expect("save");
        let again = Queue::load(file.clone());
        assert_eq!(again.items, vec![a, b.clone()], "what was pushed is on disk, in order");
        q.remove("k1").expect("save");
        assert_eq!(Queue::load(file.clone()).items, vec![b]);
        let _ = std::fs::remove_file(&file);
        assert_ne!(new_key(), new_key());
    }
}
