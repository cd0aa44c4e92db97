//! Keyboard focus across the whole window: `Tab` and `Shift+Tab` go through the scene's hotspots
//! (turning the view toward each), then every button on screen in reading order (top to bottom,
//! left to right): the bars, the scene strip, the floor plan's dots, the map's pins and search,
//! the site list, a board's or the memorial's buttons and fields, a live class's controls.
//! `Enter` activates what has focus, as a click would. The focused button wears a gold ring, and
//! the focus is Bevy's input focus too, which is the AccessKit tree's: a screen reader says what
//! Tab reached.

use bevy::input_focus::InputFocus;
use bevy::prelude::*;
use bevy::ui::{ComputedNode, UiGlobalTransform};

use super::TourData;
use super::hotspots::{Activate, HotspotFocus, HotspotMarker};
use super::look::Look;
use super::nav::{Current, SceneEntered};
use super::ui::{GOLD, Panel, Typing};

pub struct FocusPlugin;

impl Plugin for FocusPlugin {
    fn build(&self, app: &mut App) {
        // The keys are read in PreUpdate, after the pointer's interactions are settled, so that
        // a button pressed from the keyboard is seen pressed by every button system in Update
        // (in whatever order they run) and let go in Last of the same frame.
        app.init_resource::<KeyFocus>()
            .add_systems(PreUpdate, keys.after(bevy::ui::UiSystems::Focus))
            .add_systems(Update, (forget_on_scene_change, ring).chain())
            .add_systems(Last, release);
    }
}

/// What has keyboard focus.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeyFocus {
    pub at: Option<Focused>,
    /// A button pressed from the keyboard this frame, let go at its end.
    pressed: Option<Entity>,
}

impl KeyFocus {
    /// Whether `e` was pressed by the keyboard this frame (not by the pointer, whose position
    /// on it then means nothing).
    pub fn pressed_by_key(&self, e: Entity) -> bool {
        self.pressed == Some(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focused {
    Hotspot(usize),
    Button(Entity),
}

fn forget_on_scene_change(mut entered: MessageReader<SceneEntered>, mut focus: ResMut<KeyFocus>) {
    if entered.read().last().is_some() {
        focus.at = None;
    }
}

/// Everything Tab reaches now, in order.
fn reachable(
    hotspots: usize,
    panel_open: bool,
    buttons: &Query<(Entity, &ComputedNode, &UiGlobalTransform, &InheritedVisibility), With<Button>>,
) -> Vec<Focused> {
    let mut v: Vec<Focused> = if panel_open { Vec::new() } else { (0..hotspots).map(Focused::Hotspot).collect() };
    let mut shown: Vec<(Entity, Vec2)> = buttons
        .iter()
        .filter(|(_, n, _, vis)| vis.get() && n.size().x > 0.5 && n.size().y > 0.5)
        .map(|(e, n, t, _)| (e, t.translation - n.size() / 2.0))
        .collect();
    // Rows 12 px apart read left to right.
    shown.sort_by(|a, b| (a.1.y / 12.0).round().total_cmp(&(b.1.y / 12.0).round()).then(a.1.x.total_cmp(&b.1.x)));
    v.extend(shown.into_iter().map(|(e, _)| Focused::Button(e)));
    v
}

#[allow(clippy::too_many_arguments)]
fn keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<Typing>,
    tour: Res<TourData>,
    current: Res<Current>,
    panel: Res<Panel>,
    buttons: Query<(Entity, &ComputedNode, &UiGlobalTransform, &InheritedVisibility), With<Button>>,
    mut interactions: Query<&mut Interaction>,
    mut focus: ResMut<KeyFocus>,
    mut hotspot_focus: ResMut<HotspotFocus>,
    mut look: ResMut<Look>,
    mut activate: MessageWriter<Activate>,
    markers: Query<(Entity, &HotspotMarker)>,
    input_focus: Option<ResMut<InputFocus>>,
) {
    let Some(keys) = keys.filter(|_| !typing.0) else { return };
    let scene = current.scene(&tour);
    let n = scene.map_or(0, |s| s.hotspots.len());
    if keys.just_pressed(KeyCode::Tab) {
        let list = reachable(n, panel.is_open(), &buttons);
        if list.is_empty() {
            return;
        }
        let back = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
        let here = focus.at.and_then(|f| list.iter().position(|x| *x == f));
        let next = match (here, back) {
            (None, false) => 0,
            (None, true) => list.len() - 1,
            (Some(i), false) => (i + 1) % list.len(),
            (Some(i), true) => (i + list.len() - 1) % list.len(),
        };
        focus.at = Some(list[next]);
        hotspot_focus.focused = match list[next] {
            Focused::Hotspot(i) => {
                // Turn toward it, so keyboard visitors see what they have chosen.
                if let Some(h) = scene.and_then(|s| s.hotspots.get(i)) {
                    look.turn_to(h.yaw, h.pitch);
                }
                Some(i)
            }
            Focused::Button(_) => None,
        };
        let entity = match list[next] {
            Focused::Hotspot(i) => markers.iter().find(|(_, m)| m.index == i).map(|(e, _)| e),
            Focused::Button(e) => Some(e),
        };
        if let (Some(mut f), Some(e)) = (input_focus, entity) {
            f.set(e, bevy::input_focus::FocusCause::Navigated);
        }
    }
    if keys.any_just_pressed([KeyCode::Enter, KeyCode::NumpadEnter]) {
        match focus.at {
            Some(Focused::Hotspot(i)) if !panel.is_open() => {
                activate.write(Activate(i));
            }
            Some(Focused::Button(e)) => {
                if let Ok(mut i) = interactions.get_mut(e) {
                    *i = Interaction::Pressed;
                    focus.pressed = Some(e);
                }
            }
            _ => {}
        }
    }
}

/// The gold ring on the focused button; a button that is gone loses focus.
fn ring(
    mut commands: Commands,
    mut focus: ResMut<KeyFocus>,
    exists: Query<(), With<Button>>,
    ringed: Query<Entity, With<FocusRing>>,
) {
    if let Some(Focused::Button(e)) = focus.at
        && exists.get(e).is_err()
    {
        focus.at = None;
    }
    let want = match focus.at {
        Some(Focused::Button(e)) => Some(e),
        _ => None,
    };
    for e in &ringed {
        if Some(e) != want {
            commands.entity(e).try_remove::<(FocusRing, Outline)>();
        }
    }
    if let Some(e) = want
        && ringed.get(e).is_err()
    {
        commands.entity(e).try_insert((FocusRing, Outline::new(Val::Px(3.0), Val::Px(2.0), GOLD)));
    }
}

#[derive(Component)]
struct FocusRing;

/// The keyboard's press ends with the frame it was made in.
fn release(mut focus: ResMut<KeyFocus>, mut interactions: Query<&mut Interaction>) {
    let Some(e) = focus.pressed else { return };
    if let Ok(mut i) = interactions.get_mut(e)
        && *i == Interaction::Pressed
    {
        *i = Interaction::None;
    }
    focus.pressed = None;
}
