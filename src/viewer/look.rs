//! Looking around: mouse drag with inertia, one-finger drag, two-finger pinch, wheel, arrow keys
//! and +/-, autorotation after a quiet spell; the camera follows [`Look`].

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::input::touch::Touches;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use crate::pano::view::{AUTOROTATE_AFTER, AUTOROTATE_SPEED, KEY_TURN, KEY_ZOOM, decay, touch_distance};
use crate::pano::{self, Limits, ViewState, Viewport};

pub struct LookPlugin;

impl Plugin for LookPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Look>()
            .init_resource::<ViewportSize>()
            .init_resource::<PointerState>()
            .init_resource::<Autorotate>()
            .add_message::<VisitorInput>()
            .add_systems(
                Update,
                (
                    track_viewport,
                    track_pointer,
                    (drag_and_pinch, wheel_and_keys, inertia, autorotate, ease_to_target).chain(),
                    apply_to_camera,
                )
                    .chain()
                    .in_set(LookSystems),
            )
            .configure_sets(Update, LookSteer.in_set(LookSystems).after(ease_to_target).before(apply_to_camera));
    }
}

/// The look systems, for ordering against them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookSystems;

/// Where a device steers the view (the phone's gyroscope): after the visitor's own input, before
/// the camera turns.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookSteer;

/// The visitor's view and its motion.
#[derive(Resource, Debug, Clone)]
pub struct Look {
    pub view: ViewState,
    pub limits: Limits,
    /// Degrees a second of yaw and pitch left over from a flick.
    pub velocity: (f32, f32),
    /// A view being turned to smoothly (a guided tour, a Go with a target view), if any.
    pub target: Option<ViewState>,
    /// Degrees the picture turns about the view's axis: only a phone held askew rolls it.
    pub roll: f32,
    /// The hfov and finger distance when a pinch began.
    pinch: Option<(f32, f32)>,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            view: ViewState { yaw: 0.0, pitch: 0.0, hfov: 100.0 },
            limits: Limits::default(),
            velocity: (0.0, 0.0),
            target: None,
            roll: 0.0,
            pinch: None,
        }
    }
}

impl Look {
    /// Turn smoothly toward scene angles, keeping the zoom.
    pub fn turn_to(&mut self, yaw: f64, pitch: f64) {
        self.target = Some(ViewState { yaw: yaw as f32, pitch: pitch as f32, hfov: self.view.hfov });
    }

    /// Jump to a view (entering a scene), clamped to the limits, with no motion left over.
    pub fn set(&mut self, view: ViewState, limits: Limits) {
        self.limits = limits;
        self.view = view;
        self.view.clamp(&limits);
        self.velocity = (0.0, 0.0);
        self.target = None;
    }
}

/// The logical size of what the panorama is drawn into.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ViewportSize(pub Viewport);

impl Default for ViewportSize {
    fn default() -> Self {
        ViewportSize(Viewport { width: 1280.0, height: 720.0 })
    }
}

/// Where the pointer (mouse or first finger) is, and what it is doing this frame.
#[derive(Resource, Debug, Default, Clone)]
pub struct PointerState {
    pub position: Option<Vec2>,
    /// Set while the pointer is over a UI panel or button: it is not dragging the panorama.
    pub over_ui: bool,
    /// A press began on the panorama and has not ended.
    pub dragging: bool,
    /// Pixels moved since the press began: a click is a press that barely moved.
    pub travel: f32,
    /// The press ended this frame after moving less than [`CLICK_SLOP`]: a click or tap here.
    pub clicked: Option<Vec2>,
}

/// A press that moves less than this many pixels is a click, not a drag.
pub const CLICK_SLOP: f32 = 6.0;

/// Autorotation: on by default, toggled with R; starts after a quiet spell.
#[derive(Resource, Debug, Clone)]
pub struct Autorotate {
    pub enabled: bool,
    pub idle: f32,
}

impl Default for Autorotate {
    fn default() -> Self {
        Autorotate { enabled: true, idle: 0.0 }
    }
}

/// The visitor did something (dragged, clicked, pressed a key): guided tours pause on it.
#[derive(Message, Debug, Clone, Copy)]
pub struct VisitorInput;

fn track_viewport(windows: Query<&Window, With<PrimaryWindow>>, mut size: ResMut<ViewportSize>) {
    if let Ok(w) = windows.single() {
        let vp = Viewport { width: w.width(), height: w.height() };
        if vp.width > 0.0 && vp.height > 0.0 && vp != size.0 {
            size.0 = vp;
        }
    }
}

fn track_pointer(
    windows: Query<&Window, With<PrimaryWindow>>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    mut pointer: ResMut<PointerState>,
    mut input: MessageWriter<VisitorInput>,
) {
    pointer.clicked = None;
    let cursor = windows.single().ok().and_then(Window::cursor_position);
    let finger = touches.as_ref().and_then(|t| t.iter().next().map(|t| t.position()));
    let released_finger = touches.as_ref().and_then(|t| t.iter_just_released().next().map(|t| t.position()));
    pointer.position = finger.or(released_finger).or(cursor).or(pointer.position);

    let pressed = mouse.as_ref().is_some_and(|m| m.just_pressed(MouseButton::Left))
        || touches.as_ref().is_some_and(|t| t.any_just_pressed());
    let released = mouse.as_ref().is_some_and(|m| m.just_released(MouseButton::Left))
        || touches.as_ref().is_some_and(|t| t.iter_just_released().next().is_some() && t.iter().next().is_none());
    if pressed {
        if !pointer.over_ui {
            input.write(VisitorInput);
        }
        pointer.travel = 0.0;
        pointer.dragging = !pointer.over_ui;
    }
    if released {
        if pointer.dragging && pointer.travel < CLICK_SLOP {
            pointer.clicked = pointer.position;
        }
        pointer.dragging = false;
    }
}

fn drag_and_pinch(
    time: Res<Time>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    vp: Res<ViewportSize>,
    mut pointer: ResMut<PointerState>,
    mut look: ResMut<Look>,
    mut auto: ResMut<Autorotate>,
    mut input: MessageWriter<VisitorInput>,
) {
    let fingers: Vec<Vec2> = touches.as_ref().map(|t| t.iter().map(|t| t.position()).collect()).unwrap_or_default();
    let look = &mut *look;
    if fingers.len() >= 2 {
        let d = touch_distance((fingers[0].x, fingers[0].y), (fingers[1].x, fingers[1].y));
        let (start_hfov, start_d) = *look.pinch.get_or_insert((look.view.hfov, d));
        look.view.pinch(start_hfov, start_d, d, &look.limits);
        look.velocity = (0.0, 0.0);
        pointer.travel = f32::MAX;
        auto.idle = 0.0;
        input.write(VisitorInput);
        return;
    }
    look.pinch = None;
    if !pointer.dragging {
        return;
    }
    let mouse_down = mouse.as_ref().is_some_and(|m| m.pressed(MouseButton::Left));
    let delta = if fingers.len() == 1 {
        touches.as_ref().and_then(|t| t.iter().next().map(|t| t.delta())).unwrap_or(Vec2::ZERO)
    } else if mouse_down {
        motion.map_or(Vec2::ZERO, |m| m.delta)
    } else {
        Vec2::ZERO
    };
    if delta == Vec2::ZERO {
        return;
    }
    pointer.travel += delta.length();
    let before = look.view;
    look.view.drag(delta.x, delta.y, &vp.0, &look.limits);
    look.target = None;
    let dt = time.delta_secs().max(1.0 / 240.0);
    look.velocity = (pano::wrap_yaw(look.view.yaw - before.yaw) / dt, (look.view.pitch - before.pitch) / dt);
    auto.idle = 0.0;
    input.write(VisitorInput);
}

fn wheel_and_keys(
    time: Res<Time>,
    scroll: Option<Res<AccumulatedMouseScroll>>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    pointer: Res<PointerState>,
    typing: Option<Res<super::ui::Typing>>,
    mut look: ResMut<Look>,
    mut auto: ResMut<Autorotate>,
    mut input: MessageWriter<VisitorInput>,
) {
    let look = &mut *look;
    let limits = look.limits;
    if let Some(s) = scroll
        && s.delta.y != 0.0
        && !pointer.over_ui
    {
        let notches = match s.unit {
            MouseScrollUnit::Line => s.delta.y,
            MouseScrollUnit::Pixel => s.delta.y / 100.0,
        };
        look.view.wheel(notches, &limits);
        auto.idle = 0.0;
        input.write(VisitorInput);
    }
    // Keys typed into a text box are not shortcuts.
    let Some(keys) = keys.filter(|_| !typing.is_some_and(|t| t.0)) else { return };
    if keys.just_pressed(KeyCode::KeyR) {
        auto.enabled = !auto.enabled;
        info!("autorotation {}", if auto.enabled { "on" } else { "off" });
    }
    let dt = time.delta_secs();
    let turn = KEY_TURN * dt * (look.view.hfov / 90.0);
    let mut moved = false;
    let mut dir = |k: KeyCode, dy: f32, dp: f32, view: &mut ViewState| {
        if keys.pressed(k) {
            view.yaw += dy * turn;
            view.pitch += dp * turn;
            moved = true;
        }
    };
    dir(KeyCode::ArrowLeft, -1.0, 0.0, &mut look.view);
    dir(KeyCode::ArrowRight, 1.0, 0.0, &mut look.view);
    dir(KeyCode::ArrowUp, 0.0, 1.0, &mut look.view);
    dir(KeyCode::ArrowDown, 0.0, -1.0, &mut look.view);
    let zoom_in = keys.any_pressed([KeyCode::Equal, KeyCode::NumpadAdd]);
    let zoom_out = keys.any_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]);
    if zoom_in {
        look.view.hfov /= KEY_ZOOM.powf(dt);
        moved = true;
    }
    if zoom_out {
        look.view.hfov *= KEY_ZOOM.powf(dt);
        moved = true;
    }
    if moved {
        look.view.clamp(&limits);
        look.velocity = (0.0, 0.0);
        look.target = None;
        auto.idle = 0.0;
    }
    if keys.get_just_pressed().next().is_some() {
        auto.idle = 0.0;
        input.write(VisitorInput);
    }
}

fn inertia(
    time: Res<Time>,
    pointer: Res<PointerState>,
    comfort: Option<Res<super::comfort::Settings>>,
    mut look: ResMut<Look>,
) {
    if pointer.dragging || look.velocity == (0.0, 0.0) {
        return;
    }
    if comfort.is_some_and(|c| c.reduced_motion) {
        // Reduced motion: the view stops where the finger or the mouse let it go.
        look.velocity = (0.0, 0.0);
        return;
    }
    let dt = time.delta_secs();
    let v = decay(look.velocity, dt);
    let limits = look.limits;
    look.view.yaw += v.0 * dt;
    look.view.pitch += v.1 * dt;
    look.view.clamp(&limits);
    look.velocity = v;
}

fn autorotate(time: Res<Time>, pointer: Res<PointerState>, mut auto: ResMut<Autorotate>, mut look: ResMut<Look>) {
    let dt = time.delta_secs();
    if pointer.dragging || look.target.is_some() {
        auto.idle = 0.0;
        return;
    }
    auto.idle += dt;
    if auto.enabled && auto.idle >= AUTOROTATE_AFTER {
        let limits = look.limits;
        look.view.yaw += AUTOROTATE_SPEED * dt;
        look.view.clamp(&limits);
    }
}

/// Turn smoothly toward [`Look::target`], settling within a second.
fn ease_to_target(time: Res<Time>, comfort: Option<Res<super::comfort::Settings>>, mut look: ResMut<Look>) {
    let Some(target) = look.target else { return };
    // Reduced motion: a turn is a cut to the view it turns to.
    let t = if comfort.is_some_and(|c| c.reduced_motion) { 1.0 } else { 1.0 - (-6.0 * time.delta_secs()).exp() };
    let limits = look.limits;
    look.view = look.view.approach(&target, t);
    look.view.clamp(&limits);
    let close = pano::wrap_yaw(look.view.yaw - target.yaw).abs() < 0.05
        && (look.view.pitch - target.pitch).abs() < 0.05
        && (look.view.hfov - target.hfov).abs() < 0.05;
    if close {
        look.view = target;
        look.view.clamp(&limits);
        look.target = None;
    }
}

/// The panorama camera.
#[derive(Component)]
pub struct PanoramaCamera;

fn apply_to_camera(
    look: Res<Look>,
    vp: Res<ViewportSize>,
    mut cams: Query<(&mut Transform, &mut Projection), With<PanoramaCamera>>,
) {
    for (mut transform, mut projection) in &mut cams {
        let (y, x, _) = pano::camera_euler(look.view.yaw, look.view.pitch);
        transform.rotation = Quat::from_euler(EulerRot::YXZ, y, x, look.roll.to_radians());
        if let Projection::Perspective(p) = &mut *projection {
            p.fov = pano::vfov(look.view.hfov, vp.0.aspect()).to_radians();
            p.aspect_ratio = vp.0.aspect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::input::ButtonState;
    use bevy::input::InputPlugin;
    use bevy::input::keyboard::{Key, KeyboardInput, NativeKey};
    use bevy::input::mouse::{MouseButtonInput, MouseMotion, MouseWheel};
    use bevy::input::touch::{TouchInput, TouchPhase};

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, InputPlugin, LookPlugin));
        app.insert_resource(ViewportSize(Viewport { width: 1000.0, height: 500.0 }));
        app.update();
        app
    }

    fn view(app: &App) -> ViewState {
        app.world().resource::<Look>().view
    }

    fn touch(app: &mut App, id: u64, phase: TouchPhase, x: f32, y: f32) {
        app.world_mut().write_message(TouchInput {
            phase,
            position: Vec2::new(x, y),
            window: Entity::PLACEHOLDER,
            force: None,
            id,
        });
    }

    fn button(app: &mut App, state: ButtonState) {
        app.world_mut().write_message(MouseButtonInput {
            button: MouseButton::Left,
            state,
            window: Entity::PLACEHOLDER,
        });
    }

    fn motion(app: &mut App, x: f32, y: f32) {
        app.world_mut().write_message(MouseMotion { delta: Vec2::new(x, y) });
    }

    fn wheel(app: &mut App, y: f32) {
        app.world_mut().write_message(MouseWheel {
            unit: MouseScrollUnit::Line,
            x: 0.0,
            y,
            window: Entity::PLACEHOLDER,
            phase: TouchPhase::Moved,
        });
    }

    fn key(app: &mut App, key_code: KeyCode) {
        app.world_mut().write_message(KeyboardInput {
            key_code,
            logical_key: Key::Unidentified(NativeKey::Unidentified),
            state: ButtonState::Pressed,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
    }

    #[test]
    fn a_mouse_drag_turns_the_view_and_stops_at_the_pitch_limit() {
        let mut app = app();
        app.world_mut().resource_mut::<Look>().set(
            ViewState { yaw: 0.0, pitch: 0.0, hfov: 100.0 },
            Limits { min_hfov: 40.0, max_hfov: 120.0, min_pitch: -20.0, max_pitch: 20.0 },
        );
        button(&mut app, ButtonState::Pressed);
        app.update();
        motion(&mut app, -100.0, 0.0);
        app.update();
        let v = view(&app);
        assert!((v.yaw - 10.0).abs() < 0.01, "100 px of a 1000 px view at hfov 100 is 10°: {}", v.yaw);
        motion(&mut app, 0.0, 5000.0);
        app.update();
        assert_eq!(view(&app).pitch, 20.0);
    }

    #[test]
    fn a_flick_keeps_turning_then_stops() {
        let mut app = app();
        button(&mut app, ButtonState::Pressed);
        app.update();
        motion(&mut app, -50.0, 0.0);
        app.update();
        button(&mut app, ButtonState::Released);
        let velocity = app.world().resource::<Look>().velocity.0;
        assert!(velocity > 0.0, "the drag left a velocity");
        app.update();
        let after_release = view(&app).yaw;
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.update();
        assert!(view(&app).yaw > after_release, "inertia carries the view on");
        for _ in 0..400 {
            let mut look = app.world_mut().resource_mut::<Look>();
            look.velocity = crate::pano::view::decay(look.velocity, 1.0 / 60.0);
        }
        assert_eq!(app.world().resource::<Look>().velocity, (0.0, 0.0));
    }

    #[test]
    fn a_press_that_barely_moves_is_a_click() {
        let mut app = app();
        button(&mut app, ButtonState::Pressed);
        app.update();
        motion(&mut app, 2.0, 1.0);
        app.update();
        button(&mut app, ButtonState::Released);
        app.update();
        assert!(
            app.world().resource::<PointerState>().clicked.is_some()
                || app.world().resource::<PointerState>().position.is_none()
        );
        assert!(!app.world().resource::<PointerState>().dragging);
    }

    #[test]
    fn the_wheel_zooms_within_limits() {
        let mut app = app();
        wheel(&mut app, 1.0);
        app.update();
        let h = view(&app).hfov;
        assert!((h - 100.0 / crate::pano::view::WHEEL_ZOOM).abs() < 0.01, "{h}");
        wheel(&mut app, 40.0);
        app.update();
        assert_eq!(view(&app).hfov, Limits::default().min_hfov);
    }

    #[test]
    fn two_fingers_pinch_zoom_and_one_finger_drags() {
        let mut app = app();
        touch(&mut app, 1, TouchPhase::Started, 400.0, 250.0);
        touch(&mut app, 2, TouchPhase::Started, 500.0, 250.0);
        app.update();
        touch(&mut app, 1, TouchPhase::Moved, 350.0, 250.0);
        touch(&mut app, 2, TouchPhase::Moved, 550.0, 250.0);
        app.update();
        assert!((view(&app).hfov - 50.0).abs() < 0.01, "fingers twice as far apart halve hfov: {}", view(&app).hfov);
        touch(&mut app, 1, TouchPhase::Ended, 350.0, 250.0);
        touch(&mut app, 2, TouchPhase::Ended, 550.0, 250.0);
        app.update();

        touch(&mut app, 3, TouchPhase::Started, 500.0, 250.0);
        app.update();
        touch(&mut app, 3, TouchPhase::Moved, 600.0, 250.0);
        app.update();
        let v = view(&app);
        assert!((v.yaw + 5.0).abs() < 0.01, "dragging right by 100 px at hfov 50 turns left 5°: {}", v.yaw);
    }

    #[test]
    fn arrow_keys_turn_and_r_stops_autorotation() {
        let mut app = app();
        key(&mut app, KeyCode::ArrowRight);
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.update();
        assert!(view(&app).yaw > 0.0);
        assert!(app.world().resource::<Autorotate>().enabled);
        key(&mut app, KeyCode::KeyR);
        app.update();
        assert!(!app.world().resource::<Autorotate>().enabled);
    }

    #[test]
    fn autorotation_starts_after_the_idle_time() {
        let mut app = app();
        app.world_mut().resource_mut::<Autorotate>().idle = AUTOROTATE_AFTER + 1.0;
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.update();
        app.update();
        assert!(view(&app).yaw > 0.0, "turning by itself");
        app.world_mut().resource_mut::<Autorotate>().enabled = false;
        let before = view(&app).yaw;
        app.update();
        assert_eq!(view(&app).yaw, before);
    }
}
