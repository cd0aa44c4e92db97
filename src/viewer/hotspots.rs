//! Hotspots: markers placed by yaw/pitch that follow the view, a tooltip on hover or focus,
//! activation by click, tap, or Tab then Enter.

use bevy::prelude::*;

use super::look::{Look, LookSystems, PointerState, ViewportSize};
use super::nav::{Current, GoTo, SceneEntered};
use super::ui::{LocalText, Panel, label, update};
use super::{Settings, TourData};
use crate::tour::{Hotspot, HotspotKind};

pub struct HotspotsPlugin;

impl Plugin for HotspotsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<HotspotFocus>().init_resource::<Placement>().add_message::<Activate>().add_systems(
            Update,
            (spawn_markers, hover_and_click, activate, place_markers).chain().after(LookSystems).in_set(HotspotSystems),
        );
    }
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct HotspotSystems;

/// Marker size in logical pixels; clicks within this radius of its centre hit it.
pub const MARKER_SIZE: f32 = 40.0;
pub const HIT_RADIUS: f32 = 26.0;

/// One hotspot of the current scene, drawn as a marker.
#[derive(Component, Debug, Clone)]
pub struct HotspotMarker {
    /// Index in the scene's `hotspots`.
    pub index: usize,
    pub yaw: f32,
    pub pitch: f32,
    /// Where it is on screen this frame, if it is in front of the viewer.
    pub screen: Option<Vec2>,
}

#[derive(Component)]
pub struct MarkerTooltip;

/// The hotspot Tab has moved to, and the one under the pointer.
#[derive(Resource, Debug, Default, Clone)]
pub struct HotspotFocus {
    pub focused: Option<usize>,
    pub hovered: Option<usize>,
}

/// Curators' placement mode (F2): clicks report yaw/pitch instead of activating hotspots.
#[derive(Resource, Debug, Default, Clone)]
pub struct Placement {
    pub active: bool,
}

/// A hotspot of the current scene was activated (click, tap, Enter, or a guided tour).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activate(pub usize);

/// The nearest marker within [`HIT_RADIUS`] of a screen point.
pub fn hit_test(markers: impl IntoIterator<Item = (usize, Vec2)>, at: Vec2) -> Option<usize> {
    markers
        .into_iter()
        .map(|(i, p)| (i, p.distance(at)))
        .filter(|(_, d)| *d <= HIT_RADIUS)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The glyph and colour of a marker for each kind of hotspot.
pub fn marker_style(kind: &HotspotKind) -> (&'static str, Color) {
    match kind {
        HotspotKind::Go { site: None, .. } => ("→", Color::srgba(0.12, 0.35, 0.65, 0.92)),
        HotspotKind::Go { site: Some(_), .. } => ("⇢", Color::srgba(0.10, 0.45, 0.35, 0.92)),
        HotspotKind::Info { .. } => ("i", Color::srgba(0.75, 0.55, 0.12, 0.92)),
        HotspotKind::Memorial(_) => ("花", Color::srgba(0.62, 0.10, 0.12, 0.92)),
        HotspotKind::Link { .. } => ("↗", Color::srgba(0.35, 0.35, 0.40, 0.92)),
    }
}

/// What a hotspot's tooltip says.
pub fn tooltip(tour: &TourData, current: &Current, h: &Hotspot) -> crate::tour::Text {
    use crate::tour::Text;
    match &h.kind {
        HotspotKind::Go { scene, site, .. } => {
            let target_site = site.as_deref().unwrap_or(&current.site);
            let s = tour.0.site(target_site);
            let name = s.and_then(|s| s.scene(scene)).map(|sc| sc.name.clone()).unwrap_or_default();
            match (site, s) {
                (Some(_), Some(s)) => {
                    Text::new(format!("前往 {} · {}", s.name.zh, name.zh), format!("Go to {} · {}", s.name.en, name.en))
                }
                _ => Text::new(format!("前往 {}", name.zh), format!("Go to {}", name.en)),
            }
        }
        HotspotKind::Info { title, .. } => title.clone(),
        HotspotKind::Memorial(target) => {
            let site = tour.0.site(&current.site);
            let who = match target {
                crate::tour::MemorialTarget::Person(id) => site.and_then(|s| s.person(id)).map(|p| p.name.clone()),
                crate::tour::MemorialTarget::Site => site.map(|s| s.name.clone()),
            }
            .unwrap_or_default();
            Text::new(format!("缅怀 {}", who.zh), format!("Honour {}", who.en))
        }
        HotspotKind::Link { title, .. } => title.clone(),
    }
}

fn spawn_markers(
    mut commands: Commands,
    mut entered: MessageReader<SceneEntered>,
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    old: Query<Entity, With<HotspotMarker>>,
    mut focus: ResMut<HotspotFocus>,
) {
    if entered.read().last().is_none() {
        return;
    }
    for e in &old {
        commands.entity(e).despawn();
    }
    *focus = HotspotFocus::default();
    let Some(scene) = current.scene(&tour) else { return };
    for (index, h) in scene.hotspots.iter().enumerate() {
        let (glyph, color) = marker_style(&h.kind);
        let tip = tooltip(&tour, &current, h);
        commands
            .spawn((
                Name::new(format!("hotspot {}", h.id)),
                HotspotMarker { index, yaw: h.yaw as f32, pitch: h.pitch as f32, screen: None },
                Node {
                    position_type: PositionType::Absolute,
                    width: Val::Px(MARKER_SIZE),
                    height: Val::Px(MARKER_SIZE),
                    justify_content: JustifyContent::Center,
                    align_items: AlignItems::Center,
                    border: UiRect::all(Val::Px(3.0)),
                    border_radius: BorderRadius::MAX,
                    display: Display::None,
                    ..default()
                },
                BackgroundColor(color),
                BorderColor::all(Color::WHITE),
                GlobalZIndex(5),
            ))
            .with_children(|m| {
                m.spawn(label(glyph, 20.0, Color::WHITE));
                m.spawn((
                    MarkerTooltip,
                    Node {
                        position_type: PositionType::Absolute,
                        top: Val::Px(MARKER_SIZE + 4.0),
                        padding: UiRect::axes(Val::Px(8.0), Val::Px(4.0)),
                        border_radius: BorderRadius::all(Val::Px(4.0)),
                        display: Display::None,
                        ..default()
                    },
                    BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.75)),
                ))
                .with_children(|t| {
                    t.spawn((label(tip.get(settings.lang), 16.0, Color::WHITE), LocalText(tip.clone())));
                });
            });
    }
}

/// Projects every marker and moves it there; hides the ones behind the viewer.
fn place_markers(
    look: Res<Look>,
    vp: Res<ViewportSize>,
    focus: Res<HotspotFocus>,
    mut markers: Query<(&mut HotspotMarker, &mut Node, &mut BorderColor, &Children)>,
    mut tips: Query<&mut Node, (With<MarkerTooltip>, Without<HotspotMarker>)>,
) {
    for (mut m, mut node, mut border, children) in &mut markers {
        // (The phone's gyroscope may roll the camera: the marker turns with the picture.)
        let screen = look
            .view
            .project(&vp.0, m.yaw, m.pitch)
            .map(|p| crate::pano::view::rolled(&vp.0, p, look.roll))
            .map(|(x, y)| Vec2::new(x, y));
        if m.screen != screen {
            m.screen = screen;
        }
        match m.screen {
            Some(p) => {
                update(&mut node, |n| &mut n.display, Display::Flex);
                update(&mut node, |n| &mut n.left, Val::Px(p.x - MARKER_SIZE / 2.0));
                update(&mut node, |n| &mut n.top, Val::Px(p.y - MARKER_SIZE / 2.0));
            }
            None => update(&mut node, |n| &mut n.display, Display::None),
        }
        let lit = focus.focused == Some(m.index) || focus.hovered == Some(m.index);
        border.set_if_neq(BorderColor::all(if focus.focused == Some(m.index) {
            Color::srgb(1.0, 0.85, 0.2)
        } else {
            Color::WHITE
        }));
        for child in children.iter() {
            if let Ok(mut tip) = tips.get_mut(child) {
                update(&mut tip, |n| &mut n.display, if lit { Display::Flex } else { Display::None });
            }
        }
    }
}

fn hover_and_click(
    pointer: Res<PointerState>,
    placement: Res<Placement>,
    markers: Query<&HotspotMarker>,
    mut focus: ResMut<HotspotFocus>,
    mut activate: MessageWriter<Activate>,
) {
    let visible = || markers.iter().filter_map(|m| m.screen.map(|p| (m.index, p)));
    let hovered = if pointer.over_ui { None } else { pointer.position.and_then(|p| hit_test(visible(), p)) };
    if focus.hovered != hovered {
        focus.hovered = hovered;
    }
    if placement.active {
        return;
    }
    if let Some(at) = pointer.clicked
        && let Some(i) = hit_test(visible(), at)
    {
        activate.write(Activate(i));
    }
}

fn activate(
    mut requests: MessageReader<Activate>,
    tour: Res<TourData>,
    current: Res<Current>,
    mut panel: ResMut<Panel>,
    mut go: MessageWriter<GoTo>,
) {
    let Some(Activate(i)) = requests.read().last().copied() else { return };
    let Some(scene) = current.scene(&tour) else { return };
    let Some(h) = scene.hotspots.get(i) else { return };
    match &h.kind {
        HotspotKind::Go { scene, site, view } => {
            go.write(GoTo {
                site: site.clone().unwrap_or_else(|| current.site.clone()),
                scene: scene.clone(),
                view: *view,
            });
        }
        _ => *panel = Panel::Hotspot { site: current.site.clone(), scene: current.scene.clone(), index: i },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_test_picks_the_nearest_marker_within_reach() {
        let markers = [(0, Vec2::new(100.0, 100.0)), (1, Vec2::new(120.0, 100.0)), (2, Vec2::new(400.0, 300.0))];
        assert_eq!(hit_test(markers, Vec2::new(104.0, 101.0)), Some(0));
        assert_eq!(hit_test(markers, Vec2::new(116.0, 100.0)), Some(1));
        assert_eq!(hit_test(markers, Vec2::new(250.0, 200.0)), None);
        assert_eq!(hit_test(markers, Vec2::new(400.0, 300.0 + HIT_RADIUS + 1.0)), None);
    }
}
