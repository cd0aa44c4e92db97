//! The interface around the panorama: site and scene names, the scene strip, the site list, a
//! compass, the language toggle, the hotspot panel, the error panel, and the fade veil.
//! All text is drawn in the bundled CJK font, installed as Bevy's default font.

use bevy::prelude::*;
use bevy::ui::FocusPolicy;

use super::hotspots::Placement;
use super::look::{Autorotate, Look, PointerState};
use super::nav::{Current, Fade, GoTo, SceneEntered};
use super::panorama::PanoramaStatus;
use super::{Settings, TourData};
use crate::tour::{HotspotKind, Lang, MemorialTarget, Text as Bilingual};

pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Panel>()
            .init_resource::<Problems>()
            .init_resource::<Typing>()
            .add_systems(Startup, build_ui)
            .add_systems(PreUpdate, pointer_over_ui.after(bevy::ui::UiSystems::Focus))
            .add_systems(
                Update,
                (
                    buttons,
                    keys,
                    (scene_titles, scene_strip).run_if(on_message::<SceneEntered>),
                    relabel.run_if(resource_changed::<Settings>),
                    show_panel.run_if(resource_changed::<Panel>.or_else(resource_changed::<Settings>)),
                    site_list,
                    compass,
                    status_overlays,
                )
                    .chain(),
            );
    }
}

pub const PANEL_BG: Color = Color::srgba(0.08, 0.08, 0.10, 0.86);
pub const ACCENT: Color = Color::srgb(0.80, 0.16, 0.16);
pub const GOLD: Color = Color::srgb(0.96, 0.84, 0.48);

/// Text that follows the language setting.
#[derive(Component, Debug, Clone)]
pub struct LocalText(pub Bilingual);

/// Set while the visitor types into a text box: single-key shortcuts stay quiet.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Typing(pub bool);

/// Which overlay panel is open.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub enum Panel {
    #[default]
    None,
    /// An Info, Memorial or Link hotspot of a scene.
    Hotspot { site: String, scene: String, index: usize },
    /// The list of all sites.
    Sites,
    /// The current narration's sentences.
    Transcript,
}

impl Panel {
    pub fn is_open(&self) -> bool {
        !matches!(self, Panel::None)
    }

    /// Open `p`, or close it when it is the one open (a button that opens a panel closes it).
    pub fn toggle(&mut self, p: Panel) {
        *self = if *self == p { Panel::None } else { p };
    }
}

/// What is wrong right now, shown in the error panel; the viewer keeps running.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct Problems {
    /// The current scene's panorama could not be shown.
    pub panorama: Option<String>,
    /// The tour on disk changed and no longer passes `cloudhall check`.
    pub tour: Option<String>,
    /// The narration audio cannot be played.
    pub audio: Option<String>,
}

impl Problems {
    pub fn message(&self) -> Option<String> {
        let all: Vec<&str> =
            [&self.tour, &self.panorama, &self.audio].into_iter().flatten().map(String::as_str).collect();
        (!all.is_empty()).then(|| all.join("\n\n"))
    }
}

/// What a button does.
#[derive(Component, Debug, Clone, PartialEq)]
pub enum UiAction {
    GoScene {
        site: String,
        scene: String,
    },
    ToggleSites,
    ToggleLang,
    ToggleAutorotate,
    ClosePanel,
    /// Start the guided tour of a site.
    Guide(String),
    /// Open or close the city map.
    ToggleMap,
    /// Look around by turning the phone, or stop.
    ToggleGyro,
    /// The VR glasses mode.
    ToggleVr,
}

#[derive(Component)]
pub struct SiteTitle;
#[derive(Component)]
pub struct SceneTitle;
#[derive(Component)]
pub struct SceneStrip;
/// The title's box, top left.
#[derive(Component)]
pub struct TitleBox;
/// The row of buttons, top right (folded into one menu on a phone).
#[derive(Component)]
pub struct TopButtons;
/// The compass's ring.
#[derive(Component)]
pub struct CompassRing;
/// A thumbnail in the scene strip.
#[derive(Component)]
pub struct StripThumb;
#[derive(Component)]
struct SiteList;
#[derive(Component)]
pub struct HotspotPanel;
#[derive(Component)]
struct PanelTitle;
#[derive(Component)]
struct PanelBody;
#[derive(Component)]
struct PanelImage;
#[derive(Component)]
pub struct ErrorPanel;
#[derive(Component)]
pub struct ErrorText;
#[derive(Component)]
struct LoadingText;
#[derive(Component)]
struct FadeVeil;
#[derive(Component)]
struct CompassNorth;
#[derive(Component)]
struct CompassText;
#[derive(Component)]
pub struct PlacementReadout;
#[derive(Component)]
struct AutoLabel;

/// Set one field of a component only when it changes, so nodes that stay put are not laid out
/// (and texts not shaped) again every frame.
pub fn update<C, T: PartialEq>(c: &mut Mut<C>, field: impl FnOnce(&mut C) -> &mut T, value: T) {
    let changed = {
        let slot = field(c.bypass_change_detection());
        let differs = *slot != value;
        if differs {
            *slot = value;
        }
        differs
    };
    if changed {
        c.set_changed();
    }
}

/// A line of text in the UI font.
pub fn label(text: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (Text::new(text), TextFont { font_size: FontSize::Px(size), ..default() }, TextColor(color))
}

fn local(text: &Bilingual, lang: Lang, size: f32, color: Color) -> impl Bundle {
    (label(text.get(lang), size, color), LocalText(text.clone()))
}

fn button(action: UiAction) -> impl Bundle {
    (
        Button,
        action,
        Node {
            padding: UiRect::axes(Val::Px(14.0), Val::Px(8.0)),
            margin: UiRect::all(Val::Px(4.0)),
            border_radius: BorderRadius::all(Val::Px(6.0)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(PANEL_BG),
    )
}

/// A panel that blocks the panorama under it from drags and clicks.
fn blocking() -> impl Bundle {
    (Interaction::default(), FocusPolicy::Block)
}

/// How wide the title card's names may be, in percent of the window's width (the card is 40 %
/// with its padding).
pub const TITLE_WORDS_VW: f32 = 36.0;

pub fn build_ui(mut commands: Commands, tour: Res<TourData>, settings: Res<Settings>) {
    let lang = settings.lang;
    // Title, top left.
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(12.0),
                top: Val::Px(12.0),
                flex_direction: FlexDirection::Column,
                padding: UiRect::axes(Val::Px(16.0), Val::Px(10.0)),
                border: UiRect::left(Val::Px(4.0)),
                border_radius: BorderRadius::all(Val::Px(6.0)),
                max_width: Val::Percent(40.0),
                ..default()
            },
            BackgroundColor(PANEL_BG),
            BorderColor::all(ACCENT),
            GlobalZIndex(10),
            TitleBox,
        ))
        .with_children(|p| {
            // The names wrap at a width of their own: a card that is only as wide as its
            // clamped maximum would be laid out one line short (the scene's name below it).
            let words = || Node { max_width: Val::Vw(TITLE_WORDS_VW), ..default() };
            p.spawn((label("", 26.0, GOLD), words(), SiteTitle));
            p.spawn((label("", 18.0, Color::WHITE), words(), SceneTitle));
        });
    // Buttons, top right.
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(8.0),
                top: Val::Px(8.0),
                // On a narrow screen the buttons wrap into rows rather than run under the title.
                max_width: Val::Percent(56.0),
                flex_wrap: FlexWrap::Wrap,
                justify_content: JustifyContent::FlexEnd,
                ..default()
            },
            GlobalZIndex(10),
            TopButtons,
        ))
        .with_children(|p| {
            p.spawn(button(UiAction::ToggleAutorotate)).with_children(|b| {
                b.spawn((local(&Bilingual::new("自动旋转", "Autorotate"), lang, 16.0, Color::WHITE), AutoLabel));
            });
            p.spawn((button(UiAction::ToggleGyro), super::gyro::GyroButton)).with_children(|b| {
                // Named by the gyroscope plugin, which also shows it only where there is one.
                b.spawn(label("陀螺仪", 16.0, Color::WHITE));
            });
            p.spawn(button(UiAction::ToggleVr)).with_children(|b| {
                b.spawn(local(&Bilingual::new("VR眼镜", "VR"), lang, 16.0, Color::WHITE));
            });
            p.spawn(button(UiAction::ToggleMap)).with_children(|b| {
                b.spawn(local(&Bilingual::new("地图", "Map"), lang, 16.0, Color::WHITE));
            });
            p.spawn(button(UiAction::ToggleSites)).with_children(|b| {
                b.spawn(local(&Bilingual::new("全部展馆", "All sites"), lang, 16.0, Color::WHITE));
            });
            p.spawn(button(UiAction::ToggleLang)).with_children(|b| {
                // Each language's button names the other one.
                b.spawn(local(&Bilingual::new("English", "中文"), lang, 16.0, GOLD));
            });
        });
    // Site list, right side.
    commands
        .spawn((
            SiteList,
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(8.0),
                top: Val::Px(60.0),
                bottom: Val::Px(140.0),
                width: Val::Px(300.0),
                flex_direction: FlexDirection::Column,
                overflow: Overflow::scroll_y(),
                padding: UiRect::all(Val::Px(6.0)),
                border_radius: BorderRadius::all(Val::Px(6.0)),
                display: Display::None,
                ..default()
            },
            BackgroundColor(PANEL_BG),
            blocking(),
            GlobalZIndex(20),
        ))
        .with_children(|p| {
            for site in &tour.0.sites {
                let Some(start) = site.start_scene_id() else { continue };
                p.spawn(Node { flex_direction: FlexDirection::Row, align_items: AlignItems::Center, ..default() })
                    .with_children(|row| {
                        row.spawn(button(UiAction::GoScene { site: site.id.clone(), scene: start.to_string() }))
                            .insert(Node {
                                padding: UiRect::axes(Val::Px(10.0), Val::Px(6.0)),
                                margin: UiRect::all(Val::Px(2.0)),
                                justify_content: JustifyContent::FlexStart,
                                flex_grow: 1.0,
                                ..default()
                            })
                            .with_children(|b| {
                                b.spawn(local(&site.name, lang, 16.0, Color::WHITE));
                            });
                        // The one-click guided tour of this site.
                        row.spawn(button(UiAction::Guide(site.id.clone())))
                            .insert(BackgroundColor(ACCENT))
                            .with_children(|b| {
                                b.spawn(local(&Bilingual::new("导览", "Tour"), lang, 14.0, Color::WHITE));
                            });
                    });
            }
        });
    // Scene strip, bottom.
    commands.spawn((
        SceneStrip,
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(12.0),
            right: Val::Px(110.0),
            bottom: Val::Px(10.0),
            flex_direction: FlexDirection::Row,
            overflow: Overflow::scroll_x(),
            ..default()
        },
        GlobalZIndex(10),
    ));
    // Compass, bottom right.
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                right: Val::Px(14.0),
                bottom: Val::Px(14.0),
                width: Val::Px(80.0),
                height: Val::Px(80.0),
                border: UiRect::all(Val::Px(2.0)),
                border_radius: BorderRadius::MAX,
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                ..default()
            },
            BackgroundColor(PANEL_BG),
            BorderColor::all(GOLD),
            GlobalZIndex(10),
            CompassRing,
        ))
        .with_children(|p| {
            p.spawn((
                CompassNorth,
                Node {
                    position_type: PositionType::Absolute,
                    width: Val::Px(16.0),
                    height: Val::Px(16.0),
                    border_radius: BorderRadius::MAX,
                    justify_content: JustifyContent::Center,
                    ..default()
                },
                BackgroundColor(ACCENT),
            ))
            .with_children(|n| {
                n.spawn(label("N", 11.0, Color::WHITE));
            });
            p.spawn((label("0°", 16.0, Color::WHITE), CompassText));
        });
    // The hotspot panel, centred.
    commands
        .spawn((
            HotspotPanel,
            Node {
                position_type: PositionType::Absolute,
                left: Val::Percent(20.0),
                right: Val::Percent(20.0),
                top: Val::Percent(12.0),
                max_height: Val::Percent(70.0),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(20.0)),
                border: UiRect::top(Val::Px(4.0)),
                border_radius: BorderRadius::all(Val::Px(8.0)),
                overflow: Overflow::scroll_y(),
                display: Display::None,
                ..default()
            },
            BackgroundColor(Color::srgba(0.10, 0.09, 0.08, 0.94)),
            BorderColor::all(GOLD),
            blocking(),
            GlobalZIndex(30),
        ))
        .with_children(|p| {
            p.spawn((label("", 26.0, GOLD), PanelTitle));
            p.spawn((
                PanelImage,
                ImageNode::default(),
                Node {
                    max_width: Val::Percent(100.0),
                    max_height: Val::Px(280.0),
                    margin: UiRect::vertical(Val::Px(10.0)),
                    display: Display::None,
                    ..default()
                },
            ));
            p.spawn((
                label("", 18.0, Color::WHITE),
                PanelBody,
                Node { margin: UiRect::vertical(Val::Px(10.0)), ..default() },
            ));
            p.spawn(button(UiAction::ClosePanel)).insert(BackgroundColor(ACCENT)).with_children(|b| {
                b.spawn(local(&Bilingual::new("关闭 (Esc)", "Close (Esc)"), lang, 16.0, Color::WHITE));
            });
        });
    // The error panel: names the file and what is wrong; the viewer keeps running.
    commands
        .spawn((
            ErrorPanel,
            Node {
                position_type: PositionType::Absolute,
                left: Val::Percent(15.0),
                right: Val::Percent(15.0),
                top: Val::Px(90.0),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(16.0)),
                border: UiRect::all(Val::Px(2.0)),
                border_radius: BorderRadius::all(Val::Px(6.0)),
                display: Display::None,
                ..default()
            },
            BackgroundColor(Color::srgba(0.35, 0.03, 0.03, 0.92)),
            BorderColor::all(Color::srgb(1.0, 0.5, 0.5)),
            GlobalZIndex(40),
        ))
        .with_children(|p| {
            p.spawn(local(&Bilingual::new("出错了", "Something is wrong"), lang, 20.0, GOLD));
            p.spawn((label("", 16.0, Color::WHITE), ErrorText));
        });
    commands.spawn((
        LoadingText,
        label("", 22.0, Color::WHITE),
        Node { position_type: PositionType::Absolute, left: Val::Percent(44.0), top: Val::Percent(48.0), ..default() },
        GlobalZIndex(15),
    ));
    commands.spawn((
        PlacementReadout,
        label("", 18.0, GOLD),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(14.0),
            bottom: Val::Px(130.0),
            display: Display::None,
            ..default()
        },
        BackgroundColor(PANEL_BG),
        GlobalZIndex(50),
    ));
    commands.spawn((
        FadeVeil,
        Node {
            position_type: PositionType::Absolute,
            width: Val::Percent(100.0),
            height: Val::Percent(100.0),
            ..default()
        },
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.0)),
        FocusPolicy::Pass,
        GlobalZIndex(1),
    ));
}

fn pointer_over_ui(nodes: Query<&Interaction>, mut pointer: ResMut<PointerState>) {
    let over = nodes.iter().any(|i| *i != Interaction::None);
    if pointer.over_ui != over {
        pointer.over_ui = over;
    }
}

fn buttons(
    pressed: Query<(&Interaction, &UiAction), Changed<Interaction>>,
    mut panel: ResMut<Panel>,
    mut settings: ResMut<Settings>,
    mut auto: ResMut<Autorotate>,
    mut go: MessageWriter<GoTo>,
    mut narration: MessageWriter<super::narration::NarrationCommand>,
    mut gyro: MessageWriter<super::gyro::GyroCommand>,
    mut vr: MessageWriter<super::vr::VrCommand>,
) {
    for (interaction, action) in &pressed {
        if *interaction != Interaction::Pressed {
            continue;
        }
        match action {
            UiAction::GoScene { site, scene } => {
                go.write(GoTo { site: site.clone(), scene: scene.clone(), view: None });
                if *panel == Panel::Sites {
                    *panel = Panel::None;
                }
            }
            UiAction::ToggleSites => panel.toggle(Panel::Sites),
            UiAction::ToggleLang => {
                settings.lang = match settings.lang {
                    Lang::Zh => Lang::En,
                    Lang::En => Lang::Zh,
                }
            }
            UiAction::ToggleAutorotate => auto.enabled = !auto.enabled,
            UiAction::ClosePanel => *panel = Panel::None,
            UiAction::ToggleMap => {}
            UiAction::ToggleGyro => {
                gyro.write(super::gyro::GyroCommand::Toggle);
            }
            UiAction::ToggleVr => {
                vr.write(super::vr::VrCommand::Toggle);
            }
            UiAction::Guide(site) => {
                narration.write(super::narration::NarrationCommand::StartGuide(site.clone()));
                *panel = Panel::None;
            }
        }
    }
}

fn keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<Typing>,
    mut panel: ResMut<Panel>,
    mut settings: ResMut<Settings>,
) {
    let Some(keys) = keys else { return };
    if typing.0 {
        return;
    }
    if keys.just_pressed(KeyCode::Escape) && panel.is_open() {
        *panel = Panel::None;
    }
    if keys.just_pressed(KeyCode::KeyL) {
        settings.lang = if settings.lang == Lang::Zh { Lang::En } else { Lang::Zh };
    }
}

fn scene_titles(
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    mut commands: Commands,
    site_title: Query<Entity, With<SiteTitle>>,
    scene_title: Query<Entity, With<SceneTitle>>,
) {
    let Some(site) = current.site(&tour) else { return };
    let Some(scene) = site.scene(&current.scene) else { return };
    for e in &site_title {
        commands.entity(e).insert((Text::new(site.name.get(settings.lang)), LocalText(site.name.clone())));
    }
    for e in &scene_title {
        commands.entity(e).insert((Text::new(scene.name.get(settings.lang)), LocalText(scene.name.clone())));
    }
}

fn scene_strip(
    mut commands: Commands,
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    assets: Res<AssetServer>,
    strip: Query<Entity, With<SceneStrip>>,
) {
    let Some(site) = current.site(&tour) else { return };
    for strip in &strip {
        commands.entity(strip).despawn_children();
        commands.entity(strip).with_children(|p| {
            for scene in &site.scenes {
                let here = scene.id == current.scene;
                p.spawn((
                    Button,
                    UiAction::GoScene { site: site.id.clone(), scene: scene.id.clone() },
                    Node {
                        flex_direction: FlexDirection::Column,
                        margin: UiRect::right(Val::Px(8.0)),
                        padding: UiRect::all(Val::Px(4.0)),
                        border: UiRect::all(Val::Px(2.0)),
                        border_radius: BorderRadius::all(Val::Px(6.0)),
                        align_items: AlignItems::Center,
                        ..default()
                    },
                    BackgroundColor(PANEL_BG),
                    BorderColor::all(if here { GOLD } else { Color::NONE }),
                ))
                .with_children(|b| {
                    if let Some(thumb) = &scene.thumbnail {
                        b.spawn((
                            ImageNode::new(assets.load(thumb.clone())),
                            Node { width: Val::Px(144.0), height: Val::Px(72.0), ..default() },
                            StripThumb,
                        ));
                    }
                    b.spawn(local(&scene.name, settings.lang, 14.0, if here { GOLD } else { Color::WHITE }));
                });
            }
        });
    }
}

fn relabel(settings: Res<Settings>, mut texts: Query<(&LocalText, &mut Text)>) {
    for (local, mut text) in &mut texts {
        let want = local.0.get(settings.lang);
        if text.0 != want {
            text.0 = want.to_string();
        }
    }
}

fn site_list(panel: Res<Panel>, mut list: Query<&mut Node, With<SiteList>>) {
    if !panel.is_changed() {
        return;
    }
    for mut node in &mut list {
        node.display = if *panel == Panel::Sites { Display::Flex } else { Display::None };
    }
}

/// The title, body and image for a hotspot panel.
pub fn panel_content(
    tour: &TourData,
    site_id: &str,
    scene_id: &str,
    index: usize,
) -> Option<(Bilingual, Bilingual, Option<String>)> {
    let site = tour.0.site(site_id)?;
    let h = site.scene(scene_id)?.hotspots.get(index)?;
    Some(match &h.kind {
        HotspotKind::Info { title, body, image, .. } => (title.clone(), body.clone(), image.clone()),
        HotspotKind::Memorial(MemorialTarget::Person(id)) => {
            let p = site.person(id)?;
            let title =
                Bilingual::new(format!("{}  {}", p.name.zh, p.dates.zh), format!("{}  {}", p.name.en, p.dates.en));
            (title, p.bio.clone(), None)
        }
        HotspotKind::Memorial(MemorialTarget::Site) => (site.name.clone(), site.summary.clone(), None),
        HotspotKind::Link { url, title } => (title.clone(), Bilingual::new(url.clone(), url.clone()), None),
        HotspotKind::Go { .. } => return None,
    })
}

#[allow(clippy::too_many_arguments)]
fn show_panel(
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    assets: Res<AssetServer>,
    mut root: Query<&mut Node, With<HotspotPanel>>,
    mut title: Query<&mut Text, (With<PanelTitle>, Without<PanelBody>)>,
    mut body: Query<&mut Text, (With<PanelBody>, Without<PanelTitle>)>,
    mut image: Query<(&mut ImageNode, &mut Node), (With<PanelImage>, Without<HotspotPanel>)>,
) {
    let content = match &*panel {
        Panel::Hotspot { site, scene, index } => panel_content(&tour, site, scene, *index),
        _ => None,
    };
    for mut node in &mut root {
        node.display = if content.is_some() { Display::Flex } else { Display::None };
    }
    let Some((t, b, img)) = content else { return };
    for mut text in &mut title {
        text.0 = t.get(settings.lang).to_string();
    }
    for mut text in &mut body {
        text.0 = b.get(settings.lang).to_string();
    }
    for (mut node_image, mut node) in &mut image {
        match &img {
            Some(path) => {
                node_image.image = assets.load(path.clone());
                node.display = Display::Flex;
            }
            None => node.display = Display::None,
        }
    }
}

fn compass(
    look: Res<Look>,
    mut north: Query<&mut Node, With<CompassNorth>>,
    mut text: Query<&mut Text, With<CompassText>>,
) {
    if !look.is_changed() {
        return;
    }
    // North (yaw 0) sits on the rim at its angle relative to where the visitor looks.
    let a = (-look.view.yaw).to_radians();
    let (r, c) = (30.0, 40.0 - 8.0);
    for mut n in &mut north {
        n.left = Val::Px(c + r * a.sin());
        n.top = Val::Px(c - r * a.cos());
    }
    for mut t in &mut text {
        let heading = (look.view.yaw + 360.0) % 360.0;
        t.0 = format!("{heading:.0}°");
    }
}

#[allow(clippy::too_many_arguments)]
fn status_overlays(
    fade: Res<Fade>,
    status: Res<PanoramaStatus>,
    settings: Res<Settings>,
    placement: Res<Placement>,
    mut problems: ResMut<Problems>,
    mut veil: Query<&mut BackgroundColor, With<FadeVeil>>,
    mut loading: Query<&mut Text, (With<LoadingText>, Without<ErrorText>)>,
    mut error_panel: Query<&mut Node, With<ErrorPanel>>,
    mut error_text: Query<&mut Text, (With<ErrorText>, Without<LoadingText>)>,
    mut readout: Query<&mut Node, (With<PlacementReadout>, Without<ErrorPanel>)>,
    mut auto_label: Query<&mut TextColor, With<AutoLabel>>,
    auto: Res<Autorotate>,
) {
    for mut bg in &mut veil {
        let want = Color::srgba(0.0, 0.0, 0.0, fade.alpha);
        if bg.0 != want {
            bg.0 = want;
        }
    }
    let panorama_problem = match &*status {
        PanoramaStatus::Failed(e) => Some(e.clone()),
        _ => None,
    };
    if problems.panorama != panorama_problem {
        problems.panorama = panorama_problem;
    }
    let msg = problems.message();
    for mut node in &mut error_panel {
        let d = if msg.is_some() { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
    }
    if let Some(m) = msg {
        for mut t in &mut error_text {
            if t.0 != m {
                t.0 = m.clone();
            }
        }
    }
    let loading_text = match (&*status, settings.lang) {
        (PanoramaStatus::Loading | PanoramaStatus::Preview, Lang::Zh) => "正在加载全景……",
        (PanoramaStatus::Loading | PanoramaStatus::Preview, Lang::En) => "Loading the panorama…",
        _ => "",
    };
    for mut t in &mut loading {
        if t.0 != loading_text {
            t.0 = loading_text.to_string();
        }
    }
    for mut node in &mut readout {
        let d = if placement.active { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
    }
    for mut c in &mut auto_label {
        let want = if auto.enabled { GOLD } else { Color::srgb(0.6, 0.6, 0.6) };
        if c.0 != want {
            c.0 = want;
        }
    }
}
