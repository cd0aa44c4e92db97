//! Phones and small windows: the panorama keeps most of the screen.
//!
//! A phone held upright is 390x844: the desktop's interface (title, four top buttons, a
//! three-row narration panel, the scene strip) would cover more than half of it. Narrower than
//! [`COMPACT_WIDTH`] (or lower than [`COMPACT_HEIGHT`], a phone on its side) the interface folds:
//! - the top buttons become one menu button (≡);
//! - the narration is one slim row (play, time, progress, subtitles) with the rest behind "…";
//! - the subtitles sit just above it, smaller (on any screen they stand above the narration
//!   controls, however many rows those wrap into);
//! - the scene strip, with smaller thumbnails, slides away while the visitor looks around and
//!   comes back on a tap;
//! - the hotspot panel spans the width, the corner floor plan starts hidden, and on a touch
//!   screen every button is at least a fingertip tall.
//!
//! [`UiCover`] measures how much of the screen the interface covers, from the layout: the browser
//! tests read it (`document.body.dataset.uiCover`).

use bevy::prelude::*;
use bevy::ui::{ComputedNode, UiGlobalTransform};

use super::hotspots::HotspotMarker;
use super::look::{PointerState, ViewportSize};
use super::map::{MiniMap, MiniRoot};
use super::narration_ui::{NarrationBar, NarrationExtra, NarrationMore, ProgressTrack, SubtitleRow, SubtitleText};
use super::ui::{
    CompassRing, HotspotPanel, PANEL_BG, SceneStrip, SceneTitle, SiteTitle, StripThumb, TitleBox, TopButtons, label,
};

pub struct PhonePlugin;

impl Plugin for PhonePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Compact>()
            .init_resource::<UiCover>()
            .add_systems(Startup, spawn_menu_button)
            .add_systems(Update, (toggles, fit_to_screen, slide_strip, measure_cover).chain());
    }
}

/// Narrower than this (logical pixels) is a phone held upright, or a small window.
pub const COMPACT_WIDTH: f32 = 700.0;
/// Lower than this is a phone on its side.
pub const COMPACT_HEIGHT: f32 = 500.0;
/// The least height of a button on a touch screen: a fingertip.
pub const FINGER: f32 = 44.0;

/// The folded interface's state.
#[derive(Resource, Debug, Clone, Default)]
pub struct Compact {
    /// The screen is small (none yet: not looked at).
    pub on: Option<bool>,
    /// A finger has touched the screen.
    pub touched: bool,
    /// The menu of top buttons is open.
    pub menu_open: bool,
    /// The narration's other controls are shown.
    pub more_open: bool,
    /// The scene strip is wanted on screen (it slides away while the visitor looks around).
    pub strip_wanted: bool,
    /// How far the strip is out: 1 shown, 0 away.
    pub strip_out: f32,
    /// The floor plan was hidden for a small screen once (the visitor decides after that).
    plan_hidden: bool,
}

impl Compact {
    pub fn is_on(&self) -> bool {
        self.on == Some(true)
    }
}

/// The share of the screen the interface covers (0..1), measured from the layout every half
/// second: the union of the visible panels, buttons, texts and images, not counting the scene's
/// own hotspot markers.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct UiCover(pub f32);

/// The menu button (phones only).
#[derive(Component)]
pub struct MenuButton;

fn spawn_menu_button(mut commands: Commands) {
    commands
        .spawn((
            MenuButton,
            Button,
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(8.0),
                top: Val::Px(8.0),
                min_width: Val::Px(FINGER),
                min_height: Val::Px(FINGER),
                padding: UiRect::axes(Val::Px(12.0), Val::Px(6.0)),
                border_radius: BorderRadius::all(Val::Px(6.0)),
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                display: Display::None,
                ..default()
            },
            BackgroundColor(PANEL_BG),
            GlobalZIndex(11),
        ))
        .with_children(|b| {
            // ≡ and … are in the bundled font (☰ and ⋯ are not).
            b.spawn(label("≡", 24.0, Color::WHITE));
        });
}

/// The menu and "more" buttons; the strip goes while the visitor drags the panorama and comes
/// back on a tap.
fn toggles(
    menu: Query<&Interaction, (Changed<Interaction>, With<MenuButton>)>,
    more: Query<&Interaction, (Changed<Interaction>, With<NarrationMore>)>,
    top: Query<&Interaction, (Changed<Interaction>, With<super::ui::UiAction>)>,
    pointer: Res<PointerState>,
    mut compact: ResMut<Compact>,
) {
    if menu.iter().any(|i| *i == Interaction::Pressed) {
        compact.menu_open = !compact.menu_open;
    } else if compact.menu_open && top.iter().any(|i| *i == Interaction::Pressed) {
        // A choice from the menu closes it.
        compact.menu_open = false;
    }
    if more.iter().any(|i| *i == Interaction::Pressed) {
        compact.more_open = !compact.more_open;
    }
    if pointer.dragging && pointer.travel > super::look::CLICK_SLOP && compact.strip_wanted {
        compact.strip_wanted = false;
    }
    if pointer.clicked.is_some() && !pointer.over_ui && !compact.strip_wanted {
        compact.strip_wanted = true;
    }
}

/// The heights the folded layout stacks from the bottom up: the strip, the narration row, the
/// subtitles.
const STRIP_H: f32 = 96.0;
const STRIP_H_COMPACT: f32 = 74.0;
const ROW_GAP: f32 = 8.0;

#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn fit_to_screen(
    viewport: Res<ViewportSize>,
    ui_scale: Res<UiScale>,
    touches: Option<Res<bevy::input::touch::Touches>>,
    mut compact: ResMut<Compact>,
    mut mini: Option<ResMut<MiniMap>>,
    mut nodes: ParamSet<(
        Query<&mut Node, With<HotspotPanel>>,
        Query<&mut Node, (With<Button>, Without<ProgressTrack>)>,
        Query<&mut Node, With<MiniRoot>>,
        Query<&mut Node, With<TopButtons>>,
        Query<&mut Node, With<MenuButton>>,
        Query<&mut Node, With<NarrationExtra>>,
        Query<&mut Node, With<NarrationMore>>,
        Query<(
            &mut Node,
            Has<TitleBox>,
            Has<CompassRing>,
            Has<StripThumb>,
            Has<ProgressTrack>,
            Has<SiteTitle>,
            Has<SceneTitle>,
        )>,
    )>,
    mut fonts: Query<(&mut TextFont, Has<SiteTitle>, Has<SceneTitle>, Has<SubtitleText>)>,
    added: Query<(), Or<(Added<Button>, Added<StripThumb>)>>,
    mut last: Local<(bool, bool, bool)>,
) {
    // The interface's own size: a larger interface (comfort settings) on a window is laid out as
    // on a smaller one.
    let (w, h) = (viewport.0.width / ui_scale.0.max(0.5), viewport.0.height / ui_scale.0.max(0.5));
    let on = w < COMPACT_WIDTH || h < COMPACT_HEIGHT;
    let touched = compact.touched || touches.as_ref().is_some_and(|t| t.any_just_pressed());
    let changed = compact.on != Some(on);
    if changed {
        compact.on = Some(on);
        compact.strip_wanted = true;
        compact.strip_out = 1.0;
    }
    let toggled = (compact.menu_open, compact.more_open, on) != *last;
    let finger = touched || on;
    if !changed && !toggled && touched == compact.touched && added.is_empty() {
        return;
    }
    *last = (compact.menu_open, compact.more_open, on);
    compact.touched = touched;
    if changed {
        // The floor plan would cover half a phone's screen: hidden the first time the screen
        // is found small (the visitor's own choice after that stands).
        if on
            && !compact.plan_hidden
            && let Some(m) = mini.as_mut()
        {
            m.hidden = true;
            compact.plan_hidden = true;
        }
        let side = Val::Percent(if on { 3.0 } else { 20.0 });
        for mut n in &mut nodes.p0() {
            n.left = side;
            n.right = side;
        }
        for mut n in &mut nodes.p2() {
            n.top = Val::Px(if on { 64.0 } else { 60.0 });
        }
        for (mut font, site, scene, subtitle) in &mut fonts {
            let size = match (site, scene, subtitle) {
                (true, _, _) => Some(if on { 18.0 } else { 26.0 }),
                (_, true, _) => Some(if on { 14.0 } else { 18.0 }),
                (_, _, true) => Some(if on { 17.0 } else { 24.0 }),
                _ => None,
            };
            if let Some(px) = size {
                font.font_size = bevy::text::FontSize::Px(px);
            }
        }
    }
    if finger {
        for mut n in &mut nodes.p1() {
            if n.min_height != Val::Px(FINGER) {
                n.min_height = Val::Px(FINGER);
                // A row's words would stay at the top of a button grown to a fingertip
                // (stretched, the default); they belong in its middle.
                if n.flex_direction == FlexDirection::Row && n.align_items == AlignItems::Default {
                    n.align_items = AlignItems::Center;
                }
            }
        }
    }
    // The top buttons: a row on a large screen; on a small one a column under the menu button,
    // shown while the menu is open.
    let menu_open = compact.menu_open;
    for mut n in &mut nodes.p3() {
        n.display = if !on || menu_open { Display::Flex } else { Display::None };
        n.top = Val::Px(if on { 8.0 + FINGER + 6.0 } else { 8.0 });
        n.flex_direction = if on { FlexDirection::Column } else { FlexDirection::Row };
        n.align_items = if on { AlignItems::Stretch } else { AlignItems::Default };
    }
    for mut n in &mut nodes.p4() {
        n.display = if on { Display::Flex } else { Display::None };
    }
    let more_open = compact.more_open;
    for mut n in &mut nodes.p5() {
        n.display = if !on || more_open { Display::Flex } else { Display::None };
    }
    for mut n in &mut nodes.p6() {
        n.display = if on { Display::Flex } else { Display::None };
    }
    for (mut n, title, compass, thumb, track, site, scene) in &mut nodes.p7() {
        if site || scene {
            // The names wrap within the card (70 % of a small screen, less its padding).
            n.max_width = Val::Vw(if on { 66.0 } else { super::ui::TITLE_WORDS_VW });
        }
        if title {
            n.max_width = Val::Percent(if on { 70.0 } else { 40.0 });
            n.padding =
                if on { UiRect::axes(Val::Px(10.0), Val::Px(5.0)) } else { UiRect::axes(Val::Px(16.0), Val::Px(10.0)) };
            n.left = Val::Px(if on { 8.0 } else { 12.0 });
            n.top = Val::Px(if on { 8.0 } else { 12.0 });
        }
        if compass {
            let d = if on { 52.0 } else { 80.0 };
            n.width = Val::Px(d);
            n.height = Val::Px(d);
        }
        if thumb {
            n.width = Val::Px(if on { 88.0 } else { 144.0 });
            n.height = Val::Px(if on { 44.0 } else { 72.0 });
        }
        if track {
            // The progress bar takes what the slim row leaves.
            n.width = if on { Val::Auto } else { Val::Px(260.0) };
            n.flex_grow = if on { 1.0 } else { 0.0 };
            n.min_width = Val::Px(if on { 60.0 } else { 0.0 });
        }
    }
}

/// The strip slides out of view and back; the narration row and the subtitles follow it down.
#[allow(clippy::type_complexity)]
fn slide_strip(
    time: Res<Time>,
    mut compact: ResMut<Compact>,
    mut nodes: ParamSet<(
        Query<&mut Node, With<SceneStrip>>,
        Query<&mut Node, With<NarrationBar>>,
        Query<&mut Node, With<SubtitleRow>>,
    )>,
    bar: Query<&ComputedNode, With<NarrationBar>>,
    strip: Query<&ComputedNode, With<SceneStrip>>,
) {
    let on = compact.is_on();
    let want = if !on || compact.strip_wanted { 1.0 } else { 0.0 };
    let step = (time.delta_secs() * 5.0).min(1.0);
    let out = if (compact.strip_out - want).abs() < 0.01 {
        want
    } else {
        compact.strip_out + (want - compact.strip_out) * step.max(0.05)
    };
    if out != compact.strip_out {
        compact.strip_out = out;
    }
    // On a phone the strip is as tall as its words make it (a long English name takes three
    // lines under its picture), and the narration row stands on it whatever its height.
    let strip_h = if on { height(&strip).map_or(STRIP_H_COMPACT, |h| h.max(STRIP_H_COMPACT)) } else { STRIP_H };
    let bottom = 10.0 - (1.0 - out) * (strip_h + 20.0);
    for mut n in &mut nodes.p0() {
        let v = Val::Px(bottom);
        if n.bottom != v {
            n.bottom = v;
        }
        let r = Val::Px(if on { 70.0 } else { 110.0 });
        if n.right != r {
            n.right = r;
        }
    }
    let bar_bottom = if on { ROW_GAP + out * (strip_h + ROW_GAP) } else { 116.0 };
    for mut n in &mut nodes.p1() {
        let (b, l, r) =
            (Val::Px(bar_bottom), Val::Px(if on { 8.0 } else { 12.0 }), Val::Px(if on { 8.0 } else { 110.0 }));
        if n.bottom != b || n.left != l || n.right != r {
            n.bottom = b;
            n.left = l;
            n.right = r;
        }
    }
    // The subtitles stand just above the narration row, whatever its height.
    let sub_bottom = match height(&bar) {
        Some(h) => bar_bottom + h + ROW_GAP,
        None if on => bar_bottom + ROW_GAP,
        None => super::narration_ui::SUBTITLE_BOTTOM,
    };
    for mut n in &mut nodes.p2() {
        let v = Val::Px(sub_bottom);
        if n.bottom != v {
            n.bottom = v;
        }
    }
}

/// The laid-out height of the first of `nodes`, in logical pixels; `None` before layout.
fn height<F: bevy::ecs::query::QueryFilter>(nodes: &Query<&ComputedNode, F>) -> Option<f32> {
    nodes.iter().next().map(|c| c.size().y * c.inverse_scale_factor()).filter(|h| *h > 0.0)
}

/// Measure [`UiCover`] every half second.
#[allow(clippy::type_complexity)]
fn measure_cover(
    time: Res<Time>,
    viewport: Res<ViewportSize>,
    mut cover: ResMut<UiCover>,
    mut next: Local<f32>,
    nodes: Query<(
        Entity,
        &ComputedNode,
        &UiGlobalTransform,
        &InheritedVisibility,
        Option<&BackgroundColor>,
        Has<Text>,
        Has<ImageNode>,
    )>,
    parents: Query<&ChildOf>,
    markers: Query<(), With<HotspotMarker>>,
) {
    if time.elapsed_secs() < *next {
        return;
    }
    *next = time.elapsed_secs() + 0.5;
    let vp = viewport.0;
    let in_marker = |mut e: Entity| loop {
        if markers.contains(e) {
            return true;
        }
        match parents.get(e) {
            Ok(p) => e = p.parent(),
            Err(_) => return false,
        }
    };
    let mut rects = Vec::new();
    for (e, node, at, visible, bg, text, image) in &nodes {
        let s = node.inverse_scale_factor();
        let size = node.size() * s;
        let painted = bg.is_some_and(|c| c.0.alpha() > 0.05) || text || image;
        // Full-screen veils (the fade between scenes) are not interface.
        if !visible.get() || !painted || size.x < 1.0 || size.y < 1.0 || (size.x >= vp.width && size.y >= vp.height) {
            continue;
        }
        if in_marker(e) {
            continue;
        }
        let c = at.translation * s;
        rects.push([c.x - size.x / 2.0, c.y - size.y / 2.0, c.x + size.x / 2.0, c.y + size.y / 2.0]);
    }
    cover.0 = covered_fraction(&rects, vp.width, vp.height);
    #[cfg(target_arch = "wasm32")]
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-ui-cover", &format!("{:.3}", cover.0));
    }
}

/// The share of a `w` x `h` screen that the union of `rects` (left, top, right, bottom) covers,
/// counted on a grid of 2-pixel cells.
pub fn covered_fraction(rects: &[[f32; 4]], w: f32, h: f32) -> f32 {
    const CELL: f32 = 2.0;
    let (cols, rows) = ((w / CELL).ceil().max(1.0) as usize, (h / CELL).ceil().max(1.0) as usize);
    let mut grid = vec![false; cols * rows];
    for r in rects {
        let x0 = (r[0].max(0.0) / CELL).floor() as usize;
        let y0 = (r[1].max(0.0) / CELL).floor() as usize;
        let x1 = ((r[2].min(w) / CELL).ceil() as usize).min(cols);
        let y1 = ((r[3].min(h) / CELL).ceil() as usize).min(rows);
        for y in y0..y1 {
            grid[y * cols + x0.min(x1)..y * cols + x1].fill(true);
        }
    }
    grid.iter().filter(|c| **c).count() as f32 / grid.len() as f32
}

#[cfg(test)]
mod tests {
    use super::covered_fraction;

    #[test]
    fn overlapping_panels_count_once() {
        let half = [0.0, 0.0, 100.0, 50.0];
        assert!((covered_fraction(&[half], 100.0, 100.0) - 0.5).abs() < 1e-6);
        assert!((covered_fraction(&[half, half], 100.0, 100.0) - 0.5).abs() < 1e-6);
        let quarter = [50.0, 0.0, 100.0, 100.0];
        assert!((covered_fraction(&[half, quarter], 100.0, 100.0) - 0.75).abs() < 1e-6);
    }

    #[test]
    fn what_lies_off_screen_does_not_count() {
        assert_eq!(covered_fraction(&[[-50.0, -50.0, 0.0, 0.0]], 100.0, 100.0), 0.0);
        assert!((covered_fraction(&[[-50.0, 90.0, 500.0, 500.0]], 100.0, 100.0) - 0.1).abs() < 1e-6);
    }
}
