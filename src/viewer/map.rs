//! Map navigation (地图导航): the city map of the sites, and a corner floor plan of the current
//! site with a radar cone for the heading and field of view.

use std::collections::HashSet;

use bevy::asset::RenderAssetUsages;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::ui::FocusPolicy;

use super::look::{Look, ViewportSize};
use super::narration::NarrationSystems;
use super::nav::{Current, GoTo, SceneEntered};
use super::ui::{LocalText, Typing, UiAction, label, update};
use super::{Settings, TourData};
use crate::map::{self as geo, MapView};
use crate::tour::{Lang, Text as Bilingual};

pub struct MapPlugin {
    /// Show the city map first (the start screen when no site was asked for).
    pub open_at_start: bool,
}

impl Plugin for MapPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(MapState { open: self.open_at_start, ..default() })
            .init_resource::<Visited>()
            .init_resource::<MiniMap>()
            .add_systems(Startup, (build_map, build_minimap))
            .add_systems(
                Update,
                (
                    toggle,
                    visit,
                    (pan_zoom, pins_and_legend, search, card, layout).chain().run_if(|m: Res<MapState>| m.open),
                    show_map,
                    minimap,
                    radar,
                )
                    .chain()
                    .after(NarrationSystems),
            );
    }
}

/// Pin size on the city map, pixels.
pub const PIN: f32 = 18.0;
const LABEL_SIZE: f32 = 15.0;
const SEA: Color = Color::srgb(0.77, 0.85, 0.90);

/// The city map's state.
#[derive(Resource, Default)]
pub struct MapState {
    pub open: bool,
    pub view: Option<MapView>,
    /// Categories the legend has switched off.
    pub hidden: HashSet<String>,
    pub query: String,
    /// The site whose card is open.
    pub selected: Option<String>,
    base: Option<Base>,
}

/// The outline drawn once into an image, placed by the view.
struct Base {
    handle: Handle<Image>,
    origin: geo::World,
    /// Image pixels per world pixel at zoom 0.
    scale: f64,
    size: (u32, u32),
}

/// Sites visited in this session: marked on the map.
#[derive(Resource, Default, Debug)]
pub struct Visited(pub HashSet<String>);

/// The corner floor plan: hidden, or enlarged.
#[derive(Resource, Default, Debug)]
pub struct MiniMap {
    pub hidden: bool,
    pub large: bool,
}

#[derive(Component)]
struct MapRoot;
#[derive(Component)]
struct MapBase;
#[derive(Component)]
pub struct Pin(pub usize);
#[derive(Component)]
struct PinLabel(usize);
#[derive(Component)]
struct PinMark(usize);
#[derive(Component)]
struct LegendToggle(String);
#[derive(Component)]
struct SearchText;
#[derive(Component)]
struct SearchResults;
#[derive(Component)]
struct Card;
#[derive(Component)]
struct CardBody;
/// The site card's visit count.
#[derive(Component)]
pub struct VisitLine;
#[derive(Component)]
struct CardThumb;
#[derive(Component)]
enum MapAction {
    Close,
    Enter,
    /// Go to the site's memorial and open it.
    Honour,
    Select(String),
    CloseCard,
}
/// The corner floor plan with its buttons.
#[derive(Component)]
pub struct MiniRoot;
#[derive(Component)]
struct MiniPlan;
#[derive(Component)]
pub struct PlanDot(pub String);
#[derive(Component)]
struct Radar;
#[derive(Component)]
enum MiniAction {
    Hide,
    Enlarge,
}

fn hex(c: &str) -> Color {
    Srgba::hex(c.trim_start_matches('#')).map(Color::from).unwrap_or(Color::srgb(0.5, 0.5, 0.5))
}

fn build_map(
    mut commands: Commands,
    tour: Res<TourData>,
    settings: Res<Settings>,
    mut images: ResMut<Assets<Image>>,
    mut state: ResMut<MapState>,
) {
    let lang = settings.lang;
    // The outline, rasterised once at about 2048 pixels across.
    let outline = super::io::read(&tour.0.asset_path(&tour.0.map.outline))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| geo::outline_rings(&s).ok());
    if let Some(rings) = &outline {
        let (min_lon, min_lat, max_lon, max_lat) = geo::bounds(rings);
        let (a, b) = (geo::project(max_lat, min_lon), geo::project(min_lat, max_lon));
        let scale = 2048.0 / (b.x - a.x).max(1e-9);
        let (w, h) = (2048u32, ((b.y - a.y) * scale).ceil().max(1.0) as u32);
        let rgba = geo::rasterize(rings, a, scale, w, h, [246, 240, 224, 255], [150, 60, 50, 255]);
        let image = Image::new(
            Extent3d { width: w, height: h, depth_or_array_layers: 1 },
            TextureDimension::D2,
            rgba,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::RENDER_WORLD,
        );
        state.base = Some(Base { handle: images.add(image), origin: a, scale, size: (w, h) });
    } else {
        warn!("map outline {} is missing or unreadable; the city map shows the pins alone", tour.0.map.outline);
    }
    let base = state.base.as_ref().map(|b| b.handle.clone());
    commands
        .spawn((
            MapRoot,
            Node {
                position_type: PositionType::Absolute,
                width: Val::Percent(100.0),
                height: Val::Percent(100.0),
                display: Display::None,
                overflow: Overflow::clip(),
                ..default()
            },
            BackgroundColor(SEA),
            Interaction::default(),
            FocusPolicy::Block,
            GlobalZIndex(60),
        ))
        .with_children(|root| {
            if let Some(h) = base {
                root.spawn((
                    MapBase,
                    ImageNode::new(h),
                    Node { position_type: PositionType::Absolute, ..default() },
                    bevy::ui::FocusPolicy::Pass,
                ));
            }
            for (i, site) in tour.0.sites.iter().enumerate() {
                let color = tour.0.category(&site.category).map_or(Color::srgb(0.4, 0.4, 0.4), |c| hex(&c.color));
                root.spawn((
                    Pin(i),
                    Button,
                    Node {
                        position_type: PositionType::Absolute,
                        width: Val::Px(PIN),
                        height: Val::Px(PIN),
                        border: UiRect::all(Val::Px(2.0)),
                        border_radius: BorderRadius::MAX,
                        justify_content: JustifyContent::Center,
                        align_items: AlignItems::Center,
                        ..default()
                    },
                    BackgroundColor(color),
                    BorderColor::all(Color::WHITE),
                ))
                .with_children(|p| {
                    p.spawn((PinMark(i), label("", 11.0, Color::WHITE)));
                });
                root.spawn((
                    PinLabel(i),
                    Node {
                        position_type: PositionType::Absolute,
                        padding: UiRect::horizontal(Val::Px(2.0)),
                        ..default()
                    },
                    BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.7)),
                    bevy::ui::FocusPolicy::Pass,
                ))
                .with_children(|l| {
                    l.spawn((
                        label(site.name.get(lang), LABEL_SIZE, Color::srgb(0.15, 0.1, 0.08)),
                        LocalText(site.name.clone()),
                    ));
                });
            }
            // Title, legend and search, top left.
            root.spawn((
                Node {
                    position_type: PositionType::Absolute,
                    left: Val::Px(12.0),
                    top: Val::Px(12.0),
                    flex_direction: FlexDirection::Column,
                    padding: UiRect::all(Val::Px(10.0)),
                    border_radius: BorderRadius::all(Val::Px(8.0)),
                    ..default()
                },
                BackgroundColor(Color::srgba(0.08, 0.08, 0.10, 0.86)),
                Interaction::default(),
                FocusPolicy::Block,
            ))
            .with_children(|p| {
                p.spawn((
                    label(tour.0.title.get(lang), 22.0, Color::srgb(0.96, 0.84, 0.48)),
                    LocalText(tour.0.title.clone()),
                ));
                p.spawn((
                    label("", 13.0, Color::srgb(0.8, 0.8, 0.8)),
                    LocalText(Bilingual::new(
                        "拖动平移 · 滚轮缩放 · 点击标记查看 · M 返回",
                        "Drag to pan · wheel to zoom · click a pin · M to go back",
                    )),
                ));
                for c in &tour.0.categories {
                    p.spawn((
                        Button,
                        LegendToggle(c.id.clone()),
                        Node {
                            flex_direction: FlexDirection::Row,
                            align_items: AlignItems::Center,
                            margin: UiRect::top(Val::Px(6.0)),
                            ..default()
                        },
                    ))
                    .with_children(|b| {
                        b.spawn((
                            Node {
                                width: Val::Px(14.0),
                                height: Val::Px(14.0),
                                margin: UiRect::right(Val::Px(6.0)),
                                border_radius: BorderRadius::MAX,
                                ..default()
                            },
                            BackgroundColor(hex(&c.color)),
                        ));
                        b.spawn((label(c.name.get(lang), 15.0, Color::WHITE), LocalText(c.name.clone())));
                    });
                }
                p.spawn((
                    Button,
                    Node {
                        margin: UiRect::top(Val::Px(10.0)),
                        padding: UiRect::all(Val::Px(6.0)),
                        min_width: Val::Px(220.0),
                        border_radius: BorderRadius::all(Val::Px(4.0)),
                        ..default()
                    },
                    BackgroundColor(Color::srgb(0.95, 0.95, 0.95)),
                    SearchBox,
                    super::a11y::A11yName::new("搜索展馆", "Search the sites"),
                ))
                .with_children(|b| {
                    b.spawn((label("", 15.0, Color::srgb(0.1, 0.1, 0.1)), SearchText));
                });
                p.spawn((SearchResults, Node { flex_direction: FlexDirection::Column, ..default() }));
            });
            // Back to the scene, top right.
            root.spawn((
                Button,
                MapAction::Close,
                Node {
                    position_type: PositionType::Absolute,
                    right: Val::Px(12.0),
                    top: Val::Px(12.0),
                    padding: UiRect::axes(Val::Px(14.0), Val::Px(8.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    ..default()
                },
                BackgroundColor(Color::srgba(0.08, 0.08, 0.10, 0.86)),
            ))
            .with_children(|b| {
                b.spawn((
                    label("", 16.0, Color::WHITE),
                    LocalText(Bilingual::new("返回展厅 (M)", "Back to the hall (M)")),
                ));
            });
            // The site card, right.
            root.spawn((
                Card,
                Node {
                    position_type: PositionType::Absolute,
                    right: Val::Px(12.0),
                    top: Val::Px(64.0),
                    width: Val::Px(360.0),
                    flex_direction: FlexDirection::Column,
                    padding: UiRect::all(Val::Px(14.0)),
                    border_radius: BorderRadius::all(Val::Px(8.0)),
                    display: Display::None,
                    ..default()
                },
                BackgroundColor(Color::srgba(0.08, 0.08, 0.10, 0.92)),
                Interaction::default(),
                FocusPolicy::Block,
            ))
            .with_children(|c| {
                c.spawn((
                    CardThumb,
                    ImageNode::default(),
                    Node { width: Val::Px(332.0), height: Val::Px(166.0), ..default() },
                ));
                c.spawn((
                    CardBody,
                    Node { flex_direction: FlexDirection::Column, margin: UiRect::vertical(Val::Px(8.0)), ..default() },
                ));
                c.spawn(Node { flex_direction: FlexDirection::Row, ..default() }).with_children(|row| {
                    row.spawn((
                        Button,
                        MapAction::Enter,
                        Node {
                            padding: UiRect::axes(Val::Px(16.0), Val::Px(8.0)),
                            margin: UiRect::right(Val::Px(8.0)),
                            border_radius: BorderRadius::all(Val::Px(6.0)),
                            ..default()
                        },
                        BackgroundColor(Color::srgb(0.7, 0.14, 0.14)),
                    ))
                    .with_children(|b| {
                        b.spawn((label("", 16.0, Color::WHITE), LocalText(Bilingual::new("进入展馆", "Enter"))));
                    });
                    row.spawn((
                        Button,
                        MapAction::Honour,
                        HonourButton,
                        Node {
                            padding: UiRect::axes(Val::Px(16.0), Val::Px(8.0)),
                            margin: UiRect::right(Val::Px(8.0)),
                            border_radius: BorderRadius::all(Val::Px(6.0)),
                            ..default()
                        },
                        BackgroundColor(Color::srgb(0.35, 0.08, 0.08)),
                    ))
                    .with_children(|b| {
                        b.spawn((label("", 16.0, Color::WHITE), LocalText(Bilingual::new("祭奠", "Honour"))));
                    });
                    row.spawn((
                        Button,
                        MapAction::CloseCard,
                        Node {
                            padding: UiRect::axes(Val::Px(16.0), Val::Px(8.0)),
                            border_radius: BorderRadius::all(Val::Px(6.0)),
                            ..default()
                        },
                        BackgroundColor(Color::srgb(0.25, 0.25, 0.28)),
                    ))
                    .with_children(|b| {
                        b.spawn((label("", 16.0, Color::WHITE), LocalText(Bilingual::new("关闭", "Close"))));
                    });
                });
            });
        });
}

#[derive(Component)]
struct SearchBox;

#[derive(Component)]
struct HonourButton;

/// The first Memorial hotspot of a site: (scene, index).
pub fn memorial_of(site: &crate::tour::Site) -> Option<(String, usize)> {
    site.scenes.iter().find_map(|sc| {
        sc.hotspots
            .iter()
            .position(|h| matches!(h.kind, crate::tour::HotspotKind::Memorial(_)))
            .map(|i| (sc.id.clone(), i))
    })
}

fn toggle(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<Typing>,
    mut state: ResMut<MapState>,
    actions: Query<(&Interaction, &MapAction), Changed<Interaction>>,
    ui: Query<(&Interaction, &UiAction), Changed<Interaction>>,
) {
    if keys.is_some_and(|k| k.just_pressed(KeyCode::KeyM)) && !typing.0 {
        state.open = !state.open;
    }
    for (i, a) in &actions {
        if *i == Interaction::Pressed && matches!(a, MapAction::Close) {
            state.open = false;
        }
    }
    for (i, a) in &ui {
        if *i == Interaction::Pressed && *a == UiAction::ToggleMap {
            state.open = !state.open;
        }
    }
}

fn visit(mut entered: MessageReader<SceneEntered>, mut visited: ResMut<Visited>) {
    for e in entered.read() {
        visited.0.insert(e.site.clone());
    }
}

/// The view that shows the whole outline (or all pins) in the viewport.
fn fit_view(tour: &TourData, state: &MapState, vp: (f64, f64)) -> MapView {
    let m = &tour.0.map;
    let (w, h) = vp;
    let fit = state.base.as_ref().map(|b| {
        let (ww, wh) = (b.size.0 as f64 / b.scale, b.size.1 as f64 / b.scale);
        ((w * 0.85 / ww).min(h * 0.85 / wh)).log2()
    });
    let zoom = fit.map_or(m.zoom, |f| f.min(m.zoom.max(f)));
    let mut v = MapView::new(m.center.lat, m.center.lon, zoom, w, h);
    if let Some(b) = &state.base {
        v.center = geo::World {
            x: b.origin.x + b.size.0 as f64 / b.scale / 2.0,
            y: b.origin.y + b.size.1 as f64 / b.scale / 2.0,
        };
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn pan_zoom(
    tour: Res<TourData>,
    vp: Res<ViewportSize>,
    root: Query<&Interaction, With<MapRoot>>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    scroll: Option<Res<AccumulatedMouseScroll>>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<bevy::input::touch::Touches>>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut state: ResMut<MapState>,
    mut pinch: Local<Option<f32>>,
) {
    let size = (vp.0.width as f64, vp.0.height as f64);
    if state.view.is_none_or(|v| v.width != size.0 || v.height != size.1) {
        let fresh = fit_view(&tour, &state, size);
        state.view = Some(match state.view {
            Some(old) => MapView { width: size.0, height: size.1, ..old },
            None => fresh,
        });
    }
    // Work on a copy: the state only changes (and the map is only laid out again) when it moves.
    let Some(mut view) = state.view else { return };
    let before = view;
    let view = &mut view;
    let over_map = root.iter().any(|i| *i == Interaction::Pressed);
    if over_map && mouse.as_ref().is_some_and(|m| m.pressed(MouseButton::Left)) {
        if let Some(m) = &motion {
            view.pan(m.delta.x as f64, m.delta.y as f64);
        }
    }
    let cursor = windows
        .single()
        .ok()
        .and_then(Window::cursor_position)
        .unwrap_or(Vec2::new(size.0 as f32 / 2.0, size.1 as f32 / 2.0));
    if let Some(s) = &scroll
        && s.delta.y != 0.0
    {
        let steps = match s.unit {
            MouseScrollUnit::Line => s.delta.y as f64 * 0.5,
            MouseScrollUnit::Pixel => s.delta.y as f64 / 200.0,
        };
        view.zoom_at(steps, cursor.x as f64, cursor.y as f64);
    }
    if let Some(t) = &touches {
        let fingers: Vec<&bevy::input::touch::Touch> = t.iter().collect();
        match fingers.as_slice() {
            [one] => {
                let d = one.delta();
                view.pan(d.x as f64, d.y as f64);
                *pinch = None;
            }
            [a, b, ..] => {
                let dist = a.position().distance(b.position());
                let mid = (a.position() + b.position()) / 2.0;
                if let Some(prev) = *pinch
                    && prev > 1.0
                {
                    view.zoom_at((dist / prev).log2() as f64, mid.x as f64, mid.y as f64);
                }
                *pinch = Some(dist);
            }
            [] => *pinch = None,
        }
    }
    if *view != before {
        state.view = Some(*view);
    }
}

#[allow(clippy::type_complexity)]
fn pins_and_legend(
    pins: Query<(&Interaction, &Pin), Changed<Interaction>>,
    legend: Query<(&Interaction, &LegendToggle), Changed<Interaction>>,
    actions: Query<(&Interaction, &MapAction), Changed<Interaction>>,
    tour: Res<TourData>,
    mut state: ResMut<MapState>,
    mut panel: ResMut<super::ui::Panel>,
    mut go: MessageWriter<GoTo>,
) {
    for (i, pin) in &pins {
        if *i == Interaction::Pressed {
            state.selected = tour.0.sites.get(pin.0).map(|s| s.id.clone());
        }
    }
    for (i, t) in &legend {
        if *i == Interaction::Pressed && !state.hidden.remove(&t.0) {
            state.hidden.insert(t.0.clone());
        }
    }
    for (i, a) in &actions {
        if *i != Interaction::Pressed {
            continue;
        }
        match a {
            MapAction::Enter => {
                if let Some(site) = state.selected.clone().and_then(|id| tour.0.site(&id).cloned())
                    && let Some(scene) = site.start_scene_id()
                {
                    go.write(GoTo { site: site.id.clone(), scene: scene.to_string(), view: None });
                    state.open = false;
                    state.selected = None;
                }
            }
            MapAction::Select(id) => {
                state.selected = Some(id.clone());
                state.query.clear();
                if let (Some(s), Some(v)) = (tour.0.site(id), state.view.as_mut()) {
                    v.center = geo::project(s.location.lat, s.location.lon);
                }
            }
            MapAction::Honour => {
                if let Some(site) = state.selected.clone().and_then(|id| tour.0.site(&id).cloned())
                    && let Some((scene, index)) = memorial_of(&site)
                {
                    go.write(GoTo { site: site.id.clone(), scene: scene.clone(), view: None });
                    *panel = super::ui::Panel::Hotspot { site: site.id.clone(), scene, index };
                    state.open = false;
                    state.selected = None;
                }
            }
            MapAction::CloseCard => state.selected = None,
            MapAction::Close => {}
        }
    }
}

/// The search box: a click focuses it, typed text filters sites by Chinese, English or pinyin.
#[allow(clippy::too_many_arguments)]
fn search(
    mut commands: Commands,
    mut typed: MessageReader<KeyboardInput>,
    boxes: Query<&Interaction, (With<SearchBox>, Changed<Interaction>)>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    mut typing: ResMut<Typing>,
    mut state: ResMut<MapState>,
    mut text: Query<&mut Text, With<SearchText>>,
    results: Query<Entity, With<SearchResults>>,
) {
    if boxes.iter().any(|i| *i == Interaction::Pressed) {
        typing.0 = true;
    } else if typing.0 && mouse.is_some_and(|m| m.just_pressed(MouseButton::Left)) {
        // A click anywhere else ends typing.
        typing.0 = false;
    }
    let mut changed = false;
    if typing.0 {
        for k in typed.read() {
            if !k.state.is_pressed() {
                continue;
            }
            match &k.logical_key {
                Key::Backspace => {
                    state.query.pop();
                }
                Key::Escape | Key::Enter => typing.0 = false,
                _ => {
                    if let Some(t) = &k.text {
                        state.query.extend(t.chars().filter(|c| !c.is_control()));
                    }
                }
            }
            changed = true;
        }
    }
    let placeholder = if settings.lang == Lang::Zh {
        "搜索展馆（中文、拼音、English）"
    } else {
        "Search sites (中文, pinyin, English)"
    };
    let shown = if state.query.is_empty() && !typing.0 {
        placeholder.to_string()
    } else {
        format!("{}{}", state.query, if typing.0 { "|" } else { "" })
    };
    for mut t in &mut text {
        if t.0 != shown {
            t.0 = shown.clone();
        }
    }
    if !changed && !state.is_changed() {
        return;
    }
    for e in &results {
        commands.entity(e).despawn_children();
        let hits: Vec<&crate::tour::Site> =
            tour.0.sites.iter().filter(|s| geo::search_matches(&state.query, &s.name.zh, &s.name.en)).take(6).collect();
        commands.entity(e).with_children(|p| {
            for s in hits {
                p.spawn((
                    Button,
                    MapAction::Select(s.id.clone()),
                    Node { padding: UiRect::all(Val::Px(5.0)), ..default() },
                    BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.1)),
                ))
                .with_children(|b| {
                    b.spawn(label(s.name.get(settings.lang), 15.0, Color::WHITE));
                });
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn card(
    mut commands: Commands,
    state: Res<MapState>,
    settings: Res<Settings>,
    tour: Res<TourData>,
    visited: Res<Visited>,
    visits: Res<super::visits::VisitCounts>,
    assets: Res<AssetServer>,
    mut card: Query<&mut Node, (With<Card>, Without<HonourButton>)>,
    mut honour: Query<&mut Node, (With<HonourButton>, Without<Card>)>,
    body: Query<Entity, With<CardBody>>,
    mut thumb: Query<&mut ImageNode, With<CardThumb>>,
) {
    if !state.is_changed() && !settings.is_changed() && !visits.is_changed() {
        return;
    }
    let site = state.selected.as_ref().and_then(|id| tour.0.site(id));
    for mut n in &mut card {
        n.display = if site.is_some() { Display::Flex } else { Display::None };
    }
    for mut n in &mut honour {
        n.display = if site.and_then(memorial_of).is_some() { Display::Flex } else { Display::None };
    }
    let Some(site) = site else { return };
    let lang = settings.lang;
    if let Some(thumb_path) = site.scenes.first().and_then(|s| s.thumbnail.clone()) {
        for mut t in &mut thumb {
            t.image = assets.load(thumb_path.clone());
        }
    }
    let minutes = site.scenes.iter().filter_map(|s| s.narration.as_ref()).map(|n| n.duration).sum::<f64>() / 60.0;
    let category = tour.0.category(&site.category).map(|c| c.name.get(lang).to_string()).unwrap_or_default();
    let facts = match lang {
        Lang::Zh => format!(
            "{} · {} 个场景 · 讲解 {:.0} 分钟{}",
            category,
            site.scenes.len(),
            minutes,
            if visited.0.contains(&site.id) { " · 已参观" } else { "" }
        ),
        Lang::En => format!(
            "{} · {} scenes · {:.0} min of narration{}",
            category,
            site.scenes.len(),
            minutes,
            if visited.0.contains(&site.id) { " · visited" } else { "" }
        ),
    };
    // The hall's visit counter, once the server has said (访问量).
    let count = visits.sites.get(&site.id).map(|n| super::visits::VisitCounts::line(*n, lang));
    for e in &body {
        commands.entity(e).despawn_children();
        commands.entity(e).with_children(|b| {
            b.spawn(label(site.name.get(lang), 22.0, Color::srgb(0.96, 0.84, 0.48)));
            b.spawn(label(site.location.district.get(lang), 14.0, Color::srgb(0.8, 0.8, 0.8)));
            b.spawn(label(facts.clone(), 14.0, Color::srgb(0.8, 0.8, 0.8)));
            if let Some(c) = &count {
                b.spawn((label(c.clone(), 14.0, Color::srgb(0.96, 0.84, 0.48)), VisitLine));
            }
            b.spawn((
                label(site.summary.get(lang), 15.0, Color::WHITE),
                Node { margin: UiRect::top(Val::Px(6.0)), ..default() },
            ));
        });
    }
}

/// Place the outline, the pins and the labels that fit.
#[allow(clippy::type_complexity)]
fn layout(
    state: Res<MapState>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    visited: Res<Visited>,
    mut base: Query<&mut Node, (With<MapBase>, Without<Pin>, Without<PinLabel>)>,
    mut pins: Query<(&Pin, &mut Node, &mut BorderColor), Without<PinLabel>>,
    mut labels: Query<(&PinLabel, &mut Node), Without<Pin>>,
    mut marks: Query<(&PinMark, &mut Text)>,
) {
    if !(state.is_changed() || visited.is_changed() || settings.is_changed()) {
        return;
    }
    let Some(v) = state.view else { return };
    if let (Some(b), Ok(mut n)) = (&state.base, base.single_mut()) {
        let (x, y) = v.world_to_screen(b.origin);
        let k = v.scale() / b.scale;
        n.left = Val::Px(x as f32);
        n.top = Val::Px(y as f32);
        n.width = Val::Px((b.size.0 as f64 * k) as f32);
        n.height = Val::Px((b.size.1 as f64 * k) as f32);
    }
    let screen = pin_positions(&tour, &v);
    let shown: Vec<bool> = tour.0.sites.iter().map(|s| !state.hidden.contains(&s.category)).collect();
    for (pin, mut node, mut border) in &mut pins {
        let (x, y) = screen[pin.0];
        node.left = Val::Px(x as f32 - PIN / 2.0);
        node.top = Val::Px(y as f32 - PIN / 2.0);
        node.display = if shown[pin.0] { Display::Flex } else { Display::None };
        let selected = state.selected.as_deref() == Some(tour.0.sites[pin.0].id.as_str());
        *border = BorderColor::all(if selected { Color::srgb(1.0, 0.85, 0.2) } else { Color::WHITE });
    }
    for (mark, mut t) in &mut marks {
        let want = if visited.0.contains(&tour.0.sites[mark.0].id) { "✓" } else { "" };
        if t.0 != want {
            t.0 = want.to_string();
        }
    }
    let placed = label_layout(&tour, &state, &v, settings.lang);
    for (l, mut node) in &mut labels {
        match placed[l.0] {
            Some(r) if shown[l.0] => {
                node.display = Display::Flex;
                node.left = Val::Px(r.x as f32);
                node.top = Val::Px(r.y as f32);
            }
            _ => node.display = Display::None,
        }
    }
}

/// Where each site's pin is drawn at this view: at its place, spread apart from close neighbours.
pub fn pin_positions(tour: &TourData, v: &MapView) -> Vec<(f64, f64)> {
    let at: Vec<(f64, f64)> = tour.0.sites.iter().map(|s| v.to_screen(s.location.lat, s.location.lon)).collect();
    geo::spread(&at, PIN as f64 + 2.0)
}

/// Label rectangles for the sites shown at this view: confirmed education bases first.
pub fn label_layout(tour: &TourData, state: &MapState, v: &MapView, lang: Lang) -> Vec<Option<geo::Rect>> {
    let at = pin_positions(tour, v);
    let pins: Vec<(f64, f64, f64, i32)> = tour
        .0
        .sites
        .iter()
        .zip(at)
        .map(|(s, (x, y))| {
            let hidden = state.hidden.contains(&s.category);
            let priority = if hidden {
                -1000
            } else if s.education_base.confirmed {
                10
            } else {
                0
            };
            (x, y, geo::label_width(s.name.get(lang), LABEL_SIZE as f64) + 4.0, priority)
        })
        .collect();
    let mut out = geo::declutter(&pins, LABEL_SIZE as f64 * 1.35, PIN as f64 / 2.0);
    for (i, s) in tour.0.sites.iter().enumerate() {
        if state.hidden.contains(&s.category) {
            out[i] = None;
        }
    }
    out
}

fn show_map(state: Res<MapState>, mut root: Query<&mut Node, With<MapRoot>>) {
    if !state.is_changed() {
        return;
    }
    for mut n in &mut root {
        let d = if state.open { Display::Flex } else { Display::None };
        if n.display != d {
            n.display = d;
        }
    }
}

fn build_minimap(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang;
    commands
        .spawn((
            MiniRoot,
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(8.0),
                top: Val::Px(60.0),
                flex_direction: FlexDirection::Column,
                align_items: AlignItems::FlexEnd,
                ..default()
            },
            GlobalZIndex(9),
        ))
        .with_children(|r| {
            r.spawn(Node { flex_direction: FlexDirection::Row, ..default() }).with_children(|row| {
                // The plan's name follows the interface's language (LocalText); ⇔ is the same in both.
                let plan = crate::tour::Text { zh: "平面图".into(), en: "Floor plan".into() };
                let enlarge = crate::tour::Text { zh: "⇔".into(), en: "⇔".into() };
                for (a, t) in [(MiniAction::Enlarge, enlarge), (MiniAction::Hide, plan)] {
                    row.spawn((
                        Button,
                        a,
                        Node {
                            padding: UiRect::axes(Val::Px(8.0), Val::Px(3.0)),
                            margin: UiRect::left(Val::Px(4.0)),
                            border_radius: BorderRadius::all(Val::Px(4.0)),
                            ..default()
                        },
                        BackgroundColor(Color::srgba(0.08, 0.08, 0.10, 0.86)),
                    ))
                    .with_children(|b| {
                        b.spawn((label(t.get(lang), 13.0, Color::WHITE), LocalText(t.clone())));
                    });
                }
            });
            r.spawn((
                MiniPlan,
                ImageNode::default(),
                Node {
                    width: Val::Px(240.0),
                    height: Val::Px(180.0),
                    margin: UiRect::top(Val::Px(4.0)),
                    border: UiRect::all(Val::Px(2.0)),
                    ..default()
                },
                BorderColor::all(Color::srgba(0.96, 0.84, 0.48, 0.9)),
                Interaction::default(),
                FocusPolicy::Block,
            ))
            .with_children(|plan| {
                plan.spawn((
                    Radar,
                    ImageNode::default(),
                    Node {
                        position_type: PositionType::Absolute,
                        width: Val::Px(90.0),
                        height: Val::Px(90.0),
                        ..default()
                    },
                    bevy::ui::FocusPolicy::Pass,
                    ZIndex(1),
                ));
            });
        });
}

#[allow(clippy::too_many_arguments)]
fn minimap(
    mut commands: Commands,
    mut entered: MessageReader<SceneEntered>,
    tour: Res<TourData>,
    current: Res<Current>,
    assets: Res<AssetServer>,
    mut mini: ResMut<MiniMap>,
    actions: Query<(&Interaction, &MiniAction), Changed<Interaction>>,
    mut plan: Query<(Entity, &mut ImageNode, &mut Node, Option<&Children>), (With<MiniPlan>, Without<Radar>)>,
    dots: Query<Entity, With<PlanDot>>,
    mut radar: Query<&mut Node, (With<Radar>, Without<MiniPlan>)>,
) {
    for (i, a) in &actions {
        if *i == Interaction::Pressed {
            match a {
                MiniAction::Hide => mini.hidden = !mini.hidden,
                MiniAction::Enlarge => mini.large = !mini.large,
            }
        }
    }
    let rebuilt = entered.read().last().is_some();
    let site = current.site(&tour);
    let plan_data = site.and_then(|s| s.floor_plan.as_ref());
    let (w, h) = if mini.large { (480.0, 360.0) } else { (240.0, 180.0) };
    for (e, mut image, mut node, _children) in &mut plan {
        update(
            &mut node,
            |n| &mut n.display,
            if plan_data.is_some() && !mini.hidden { Display::Flex } else { Display::None },
        );
        update(&mut node, |n| &mut n.width, Val::Px(w));
        update(&mut node, |n| &mut n.height, Val::Px(h));
        if rebuilt || mini.is_changed() {
            for d in &dots {
                commands.entity(d).despawn();
            }
            let Some(fp) = plan_data else { continue };
            image.image = assets.load(fp.image.clone());
            commands.entity(e).with_children(|p| {
                for pos in &fp.positions {
                    let here = pos.scene == current.scene;
                    let size = if here { 16.0 } else { 12.0 };
                    let name = site.and_then(|s| s.scene(&pos.scene)).map(|sc| sc.name.clone()).unwrap_or_default();
                    p.spawn((
                        PlanDot(pos.scene.clone()),
                        super::a11y::A11yName(name),
                        Button,
                        UiAction::GoScene { site: current.site.clone(), scene: pos.scene.clone() },
                        Node {
                            position_type: PositionType::Absolute,
                            left: Val::Px((pos.x * w as f64) as f32 - size / 2.0),
                            top: Val::Px((pos.y * h as f64) as f32 - size / 2.0),
                            width: Val::Px(size),
                            height: Val::Px(size),
                            border: UiRect::all(Val::Px(2.0)),
                            border_radius: BorderRadius::MAX,
                            ..default()
                        },
                        BackgroundColor(if here {
                            Color::srgb(0.85, 0.12, 0.12)
                        } else {
                            Color::srgb(0.25, 0.35, 0.6)
                        }),
                        BorderColor::all(Color::WHITE),
                        ZIndex(2),
                    ));
                }
            });
        }
    }
    // The radar sits on the current scene's dot.
    if let Some(pos) = site.and_then(|s| s.plan_position(&current.scene)) {
        for mut n in &mut radar {
            update(&mut n, |n| &mut n.left, Val::Px((pos.x * w as f64) as f32 - 45.0));
            update(&mut n, |n| &mut n.top, Val::Px((pos.y * h as f64) as f32 - 45.0));
        }
    }
}

/// The cone that shows where the visitor looks, redrawn when the heading or zoom changes.
fn radar(
    look: Res<Look>,
    tour: Res<TourData>,
    current: Res<Current>,
    mut images: ResMut<Assets<Image>>,
    mut radar: Query<&mut ImageNode, With<Radar>>,
    mut last: Local<Option<(f64, f64)>>,
    mut handle: Local<Option<Handle<Image>>>,
) {
    let north = current.site(&tour).and_then(|s| s.plan_position(&current.scene)).map_or(0.0, |p| p.north);
    let heading = geo::radar_heading(look.view.yaw as f64, north);
    let fov = look.view.hfov as f64;
    if last.is_some_and(|(h, f)| (h - heading).abs() < 0.5 && (f - fov).abs() < 0.5) {
        return;
    }
    *last = Some((heading, fov));
    let size = 90u32;
    let rgba = geo::radar_sector(size, heading, fov, [230, 40, 40]);
    let existing = handle.as_ref().filter(|h| images.contains(*h)).cloned();
    match existing {
        Some(h) => {
            if let Some(mut img) = images.get_mut(&h) {
                img.data = Some(rgba);
            }
        }
        None => {
            let image = Image::new(
                Extent3d { width: size, height: size, depth_or_array_layers: 1 },
                TextureDimension::D2,
                rgba,
                TextureFormat::Rgba8UnormSrgb,
                RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
            );
            *handle = Some(images.add(image));
        }
    }
    if let Some(h) = handle.as_ref() {
        for mut node in &mut radar {
            if node.image != *h {
                node.image = h.clone();
            }
        }
    }
}
