//! Looking around by turning the phone: the browser's device orientation steers the view
//! ([`crate::vr::orientation`]), from the visitor's own view and with their drags added.
//!
//! It is offered where a device reports its orientation: on a phone a round button under the
//! menu shows from the start (gold until the visitor chooses; on iOS the permission request
//! runs from its tap), and the bar's button turns it on and off too; the choice is remembered.
//! Desktops send no orientation, so nothing is offered there.

use bevy::prelude::*;

use super::Settings;
use super::look::{Autorotate, Look, LookSteer};
use super::phone::Compact;
use super::ui::{PANEL_BG, label};
use crate::tour::Lang;
use crate::vr::orientation::{Gyro, device_view};

pub struct GyroPlugin;

impl Plugin for GyroPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GyroLook>()
            .add_message::<DeviceOrientation>()
            .add_message::<GyroCommand>()
            .add_systems(Startup, spawn_offer)
            .add_systems(Update, (availability, commands, buttons, show_offer).chain().before(LookSteer))
            .add_systems(Update, follow_device.in_set(LookSteer));
        #[cfg(target_arch = "wasm32")]
        app.add_systems(Update, (page::poll.before(availability), page::report_offer));
    }
}

/// Whether the view follows the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GyroState {
    /// No orientation has been reported (a desktop, or the native viewer).
    #[default]
    Unavailable,
    /// The device reports its orientation and the visitor has not chosen yet.
    Offered,
    On,
    Off,
}

impl GyroState {
    fn as_str(self) -> &'static str {
        match self {
            GyroState::Unavailable => "unavailable",
            GyroState::Offered => "offered",
            GyroState::On => "on",
            GyroState::Off => "off",
        }
    }
}

#[derive(Resource, Debug, Default)]
pub struct GyroLook {
    pub state: GyroState,
    gyro: Option<Gyro>,
    /// The browser reports no orientation until the visitor allows it from a tap (iOS): the
    /// gyroscope is offered on the strength of the permission prompt alone.
    pub asks_permission: bool,
}

/// One reading of the device's orientation (degrees, as `DeviceOrientationEvent` gives them),
/// with the screen's angle (`screen.orientation.angle`).
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct DeviceOrientation {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub screen: f64,
}

#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GyroCommand {
    On,
    Off,
    Toggle,
}

/// The bar's button ([`super::ui::UiAction::ToggleGyro`]; hidden until the device reports its
/// orientation).
#[derive(Component)]
pub struct GyroButton;

/// The phone's round gyroscope button.
#[derive(Component)]
pub struct Offer;

/// The first reading shows that the device has a gyroscope: the remembered choice applies, or
/// on a phone the offer shows.
fn availability(
    mut readings: MessageReader<DeviceOrientation>,
    mut gyro: ResMut<GyroLook>,
    mut out: MessageWriter<GyroCommand>,
) {
    if gyro.state != GyroState::Unavailable || (readings.is_empty() && !gyro.asks_permission) {
        return;
    }
    readings.clear();
    match remembered() {
        // (Where the browser must ask first, only a tap may ask: the offer shows again.)
        Some(true) if !gyro.asks_permission => {
            out.write(GyroCommand::On);
        }
        Some(false) => gyro.state = GyroState::Off,
        _ => gyro.state = GyroState::Offered,
    }
    report(gyro.state);
}

fn commands(mut requests: MessageReader<GyroCommand>, mut gyro: ResMut<GyroLook>, mut look: ResMut<Look>) {
    for cmd in requests.read() {
        let on = match cmd {
            GyroCommand::On => true,
            GyroCommand::Off => false,
            GyroCommand::Toggle => gyro.state != GyroState::On,
        };
        if on == (gyro.state == GyroState::On) {
            continue;
        }
        if on {
            ask_permission();
            gyro.gyro = Some(Gyro::start(look.view));
            gyro.state = GyroState::On;
        } else {
            gyro.gyro = None;
            gyro.state = GyroState::Off;
            look.roll = 0.0;
        }
        remember(on);
        report(gyro.state);
        info!("looking around by turning the device: {}", if on { "on" } else { "off" });
    }
}

/// The view follows the device: after the visitor's own input (which the [`Gyro`] adds as an
/// offset), before the camera is turned.
fn follow_device(
    time: Res<Time>,
    mut readings: MessageReader<DeviceOrientation>,
    mut gyro: ResMut<GyroLook>,
    mut look: ResMut<Look>,
    mut auto: ResMut<Autorotate>,
) {
    // The filter's state changes every frame, the visitor-facing state (on, off) does not: the
    // systems that redraw the buttons on a change of `GyroLook` are not woken for it.
    let Some(g) = gyro.bypass_change_detection().gyro.as_mut() else {
        readings.clear();
        return;
    };
    for r in readings.read() {
        g.sample(device_view(r.alpha, r.beta, r.gamma, r.screen));
    }
    let Some(o) = g.update(&look.view, time.delta_secs()) else { return };
    let limits = look.limits;
    look.view.yaw = o.yaw;
    look.view.pitch = o.pitch;
    look.view.clamp(&limits);
    let (yaw, pitch) = (look.view.yaw, look.view.pitch);
    g.shown_as(yaw, pitch);
    look.roll = o.roll;
    auto.idle = 0.0; // the phone is the motion: no autorotation on top
}

/// On a phone, a small round button under the menu offers the gyroscope from the start: gold
/// while the visitor has not chosen, red while it steers. It covers a fingertip of the screen,
/// not the panorama's middle; a tap turns it on or off (on iOS that tap asks the permission).
fn spawn_offer(mut commands: Commands) {
    commands
        .spawn((
            Offer,
            Button,
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(14.0),
                top: Val::Px(120.0),
                width: Val::Px(48.0),
                height: Val::Px(48.0),
                border: UiRect::all(Val::Px(2.0)),
                border_radius: BorderRadius::all(Val::Px(24.0)),
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                display: Display::None,
                ..default()
            },
            BackgroundColor(PANEL_BG),
            BorderColor::all(Color::srgb(0.95, 0.75, 0.25)),
            GlobalZIndex(12),
        ))
        .with_children(|b| {
            b.spawn(label("陀螺", 13.0, Color::WHITE));
        });
}

/// The offer shows on a phone once the device reports its orientation; the bar's button too.
#[allow(clippy::type_complexity)]
fn show_offer(
    gyro: Res<GyroLook>,
    compact: Res<Compact>,
    mut offer: Query<(&mut Node, &mut BackgroundColor, &mut BorderColor), (With<Offer>, Without<GyroButton>)>,
    mut button: Query<&mut Node, (With<GyroButton>, Without<Offer>)>,
    lang: Res<Settings>,
    mut labels: Query<(&ChildOf, &mut Text)>,
    buttons: Query<Entity, With<GyroButton>>,
    offers: Query<Entity, With<Offer>>,
) {
    if !gyro.is_changed() && !compact.is_changed() && !lang.is_changed() {
        return;
    }
    let phone = compact.on == Some(true) || compact.touched;
    let available = gyro.state != GyroState::Unavailable;
    for (mut n, mut bg, mut border) in &mut offer {
        n.display = if available && phone { Display::Flex } else { Display::None };
        let (fill, edge) = match gyro.state {
            GyroState::On => (Color::srgb(0.55, 0.12, 0.10), Color::WHITE),
            GyroState::Offered => (PANEL_BG, Color::srgb(0.95, 0.75, 0.25)),
            _ => (PANEL_BG, Color::srgba(1.0, 1.0, 1.0, 0.3)),
        };
        bg.0 = fill;
        *border = BorderColor::all(edge);
    }
    for mut n in &mut button {
        n.display = if available { Display::Flex } else { Display::None };
    }
    let name = match (gyro.state == GyroState::On, lang.lang) {
        (true, Lang::Zh) => "陀螺仪 开",
        (false, Lang::Zh) => "陀螺仪",
        (true, Lang::En) => "Gyro on",
        (false, Lang::En) => "Gyro",
    };
    // The round offer on a phone is small: one short word, in the visitor's language.
    let short = if lang.lang == Lang::Zh { "陀螺" } else { "Gyro" };
    for (parent, mut text) in &mut labels {
        let want = if buttons.contains(parent.parent()) {
            name
        } else if offers.contains(parent.parent()) {
            short
        } else {
            continue;
        };
        if text.0 != want {
            text.0 = want.to_string();
        }
    }
}

fn buttons(offer: Query<&Interaction, (Changed<Interaction>, With<Offer>)>, mut out: MessageWriter<GyroCommand>) {
    if offer.iter().any(|i| *i == Interaction::Pressed) {
        out.write(GyroCommand::Toggle);
    }
}

/// The page's remembered choice (local storage); natively there is none.
fn remembered() -> Option<bool> {
    #[cfg(target_arch = "wasm32")]
    return page::storage().and_then(|s| s.get_item(page::KEY).ok().flatten()).map(|v| v == "on");
    #[cfg(not(target_arch = "wasm32"))]
    None
}

fn remember(_on: bool) {
    #[cfg(target_arch = "wasm32")]
    if let Some(s) = page::storage() {
        let _ = s.set_item(page::KEY, if _on { "on" } else { "off" });
    }
}

/// `data-gyro` on the page's body says the state (for tests and the page's own styles).
fn report(_state: GyroState) {
    #[cfg(target_arch = "wasm32")]
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-gyro", _state.as_str());
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = _state.as_str();
}

/// iOS asks the visitor before a page may read the orientation, and only from a tap: the page's
/// `cloudhallAskMotion()` (web/device.js) makes the request; the tap that turned the gyroscope on
/// is still the current user activation.
fn ask_permission() {
    #[cfg(target_arch = "wasm32")]
    crate::viewer::io::call_page("cloudhallAskMotion");
}

#[cfg(target_arch = "wasm32")]
mod page {
    use bevy::prelude::*;
    use wasm_bindgen::JsValue;

    use super::DeviceOrientation;

    pub const KEY: &str = "cloudhall-gyro";

    pub fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Where the phone's gyroscope button is (CSS pixels, `data-gyro-yes="x,y"`), for the
    /// browser tests' tap; empty while it is not shown.
    pub fn report_offer(
        buttons: Query<
            (&bevy::ui::ComputedNode, &bevy::ui::UiGlobalTransform, &InheritedVisibility),
            With<super::Offer>,
        >,
        mut last: Local<String>,
    ) {
        let at = buttons
            .iter()
            .find(|(n, _, v)| v.get() && n.size().x > 0.0)
            .map(|(n, t, _)| {
                let c = t.translation * n.inverse_scale_factor();
                format!("{:.0},{:.0}", c.x, c.y)
            })
            .unwrap_or_default();
        if at == *last {
            return;
        }
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.set_attribute("data-gyro-yes", &at);
        }
        *last = at;
    }

    /// The latest reading the page's listener kept (`window.cloudhallOrientation`, web/device.js),
    /// once per new reading.
    pub fn poll(mut seen: Local<f64>, mut gyro: ResMut<super::GyroLook>, mut out: MessageWriter<DeviceOrientation>) {
        let Some(window) = web_sys::window() else { return };
        if !gyro.asks_permission
            && js_sys::Reflect::get(&window, &JsValue::from_str("cloudhallMotionNeedsPermission"))
                .is_ok_and(|v| v.is_truthy())
        {
            gyro.asks_permission = true;
        }
        let Ok(v) = js_sys::Reflect::get(&window, &JsValue::from_str("cloudhallOrientation")) else { return };
        if !v.is_object() {
            return;
        }
        let num = |k: &str| js_sys::Reflect::get(&v, &JsValue::from_str(k)).ok().and_then(|x| x.as_f64());
        let Some(n) = num("n") else { return };
        if n == *seen {
            return;
        }
        *seen = n;
        if let (Some(alpha), Some(beta), Some(gamma)) = (num("alpha"), num("beta"), num("gamma")) {
            out.write(DeviceOrientation { alpha, beta, gamma, screen: num("screen").unwrap_or(0.0) });
        }
    }
}
