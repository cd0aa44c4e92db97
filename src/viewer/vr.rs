//! The VR glasses mode (VR眼镜模式), for cardboard viewers: `V`, the bar's VR button, or
//! `cloudhall view --vr`.
//!
//! Two eye cameras, the pupils' distance apart, draw the scene side by side into one image; a
//! last pass ([`LensMaterial`], `shaders/lens.wgsl`) draws that image on the screen with the
//! lens's barrel distortion ([`crate::vr::lens`]). Everything a visitor needs in the headset is in
//! the 3D scene, so both eyes see it at a comfortable depth: hotspot markers, a reticle in the
//! middle of the view, the subtitles under it, an Info board beside its hotspot, and "exit VR"
//! on the floor. The rest of the interface is not drawn. The visitor chooses by gaze
//! ([`crate::vr::gaze`]): resting the reticle on a hotspot fills its ring and then activates it.
//! The head turns the view through the phone's gyroscope ([`super::gyro`]); natively, the mouse
//! and keys do.

use bevy::asset::{RenderAssetUsages, load_internal_asset, uuid_handle};
use bevy::camera::{ClearColorConfig, RenderTarget, Viewport};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::shader::{Shader, ShaderRef};
use bevy::ui_render::prelude::{MaterialNode, UiMaterial, UiMaterialPlugin};
use bevy::window::PrimaryWindow;

use super::gyro::{GyroCommand, GyroLook, GyroState};
use super::hotspots::{Activate, marker_style, tooltip};
use super::look::{Look, LookSystems, PanoramaCamera};
use super::memorial::{Memorial, OfferingKind, Target as OfferTarget};
use super::narration::{AudioSettings, GuidedTour, Playback};
use super::nav::{Current, SceneEntered};
use super::pano_material::{TileMaterial, gpu_image};
use super::ui::{Panel, Typing, panel_content};
use super::{CameraTarget, Settings, TourData};
use crate::narration::GuideState;
use crate::tour::{HotspotKind, MemorialTarget};
use crate::vr::gaze::{Gaze, INFO_RADIUS, Target, aimed_at, angle_between};
use crate::vr::lens::{Lens, eyes};

const LENS_SHADER: Handle<Shader> = uuid_handle!("7f4b1c2e-5a63-4d8e-9b0a-1c2d3e4f5a63");

/// Distances in the 3D scene (the panorama's cube is 10 away): near enough to stand in front of
/// the panorama for the eyes, far enough to be comfortable.
const RETICLE_DISTANCE: f32 = 2.5;
const MARKER_DISTANCE: f32 = 3.0;
const BOARD_DISTANCE: f32 = 2.8;

pub struct VrPlugin {
    /// Open in the mode (`--vr`).
    pub start: bool,
    pub lens: Lens,
    pub distortion: bool,
}

impl Plugin for VrPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(app, LENS_SHADER, "shaders/lens.wgsl", Shader::from_wgsl);
        app.add_plugins(UiMaterialPlugin::<LensMaterial>::default())
            .insert_resource(VrMode { on: self.start, lens: self.lens, distortion: self.distortion })
            .init_resource::<VrState>()
            .add_message::<VrCommand>()
            .add_systems(
                Update,
                (keys, commands, build_rig, markers, steer_eyes, gaze, hud, board)
                    .chain()
                    .after(LookSystems)
                    .after(super::narration::NarrationSystems),
            );
        #[cfg(target_arch = "wasm32")]
        app.add_systems(Update, page::back_gesture.before(commands));
    }
}

/// Whether the mode is on, and the viewer's optics.
#[derive(Resource, Debug, Clone)]
pub struct VrMode {
    pub on: bool,
    pub lens: Lens,
    /// Draw with the lens's distortion (off: the two eyes as they are, for a plain stereo display).
    pub distortion: bool,
}

#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VrCommand {
    Enter,
    Leave,
    Toggle,
}

/// The mode's state: the gaze, the open board, and what was built for the screen's size.
#[derive(Resource, Default)]
pub struct VrState {
    pub gaze: Gaze,
    /// The direction of the hotspot whose board the gaze opened (it closes when the gaze leaves).
    board: Option<(f32, f32)>,
    /// The screen size the rig was built for (none: not built).
    built: Option<UVec2>,
    progress_mesh: Option<Handle<Mesh>>,
    shown_progress: f32,
}

/// The last pass: the eyes' image with the lens's distortion.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct LensMaterial {
    #[texture(0)]
    #[sampler(1)]
    eyes: Handle<Image>,
    /// k1, k2, and 1 with distortion or 0 without.
    #[uniform(2)]
    lens: Vec4,
    /// The screen's width and height in pixels, and the left and right lens centres' x.
    #[uniform(3)]
    layout: Vec4,
}

impl UiMaterial for LensMaterial {
    fn fragment_shader() -> ShaderRef {
        LENS_SHADER.into()
    }
}

/// Everything built for the mode, removed when it ends.
#[derive(Component)]
struct VrPart;
/// An eye's camera: 0 left, 1 right.
#[derive(Component)]
pub struct VrEye(pub usize);
/// A hotspot's marker (built again in each scene).
#[derive(Component)]
pub struct VrMarker(pub usize);
#[derive(Component)]
struct Reticle;
#[derive(Component)]
struct ReticleProgress;
/// The head-locked strip under the reticle: the aimed hotspot's name and the subtitles.
#[derive(Component)]
struct Hud;
#[derive(Component)]
struct HudAim;
#[derive(Component)]
struct HudSubtitle;
#[derive(Component)]
struct Board;
#[derive(Component)]
struct BoardTitle;
#[derive(Component)]
struct BoardBody;
#[derive(Component)]
struct FloorExit;

fn keys(keys: Res<ButtonInput<KeyCode>>, typing: Option<Res<Typing>>, mut out: MessageWriter<VrCommand>) {
    if typing.is_some_and(|t| t.0) {
        return;
    }
    if keys.just_pressed(KeyCode::KeyV) {
        out.write(VrCommand::Toggle);
    }
}

#[allow(clippy::too_many_arguments)]
fn commands(
    mut requests: MessageReader<VrCommand>,
    mut mode: ResMut<VrMode>,
    mut state: ResMut<VrState>,
    mut panel: ResMut<Panel>,
    gyro: Res<GyroLook>,
    mut gyro_out: MessageWriter<GyroCommand>,
    parts: Query<Entity, With<VrPart>>,
    mut cameras: Query<&mut Camera, With<PanoramaCamera>>,
    mut commands: Commands,
) {
    for cmd in requests.read() {
        let on = match cmd {
            VrCommand::Enter => true,
            VrCommand::Leave => false,
            VrCommand::Toggle => !mode.on,
        };
        if on == mode.on {
            continue;
        }
        mode.on = on;
        if on {
            // The head turns the view: on a phone, through its gyroscope.
            if gyro.state != GyroState::Unavailable {
                gyro_out.write(GyroCommand::On);
            }
            #[cfg(target_arch = "wasm32")]
            page::call("cloudhallEnterVr");
            info!("VR glasses mode: look at a hotspot for two seconds to choose it; look at the floor to leave");
        } else {
            for e in &parts {
                commands.entity(e).despawn();
            }
            *state = VrState::default();
            for mut c in &mut cameras {
                c.is_active = true;
            }
            if matches!(*panel, Panel::Hotspot { .. }) {
                *panel = Panel::None;
            }
            #[cfg(target_arch = "wasm32")]
            page::call("cloudhallLeaveVr");
            info!("VR glasses mode: off");
        }
    }
}

/// The screen's size in pixels: the window's, or the image a headless run renders into.
fn screen_size(target: &CameraTarget, images: &Assets<Image>, window: Option<&Window>) -> Option<UVec2> {
    match &target.0 {
        Some(h) => images.get(h).map(|i| i.size()),
        None => window.map(|w| w.physical_size()),
    }
    .filter(|s| s.x >= 2 && s.y >= 1)
}

/// A texture a camera renders into and a material samples.
fn render_image(images: &mut Assets<Image>, size: UVec2) -> Handle<Image> {
    let mut image = Image::new_uninit(
        Extent3d { width: size.x, height: size.y, depth_or_array_layers: 1 },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::TEXTURE_BINDING;
    images.add(image)
}

fn solid(images: &mut Assets<Image>, materials: &mut Assets<TileMaterial>, color: Color) -> Handle<TileMaterial> {
    let c = color.to_srgba().to_u8_array();
    materials.add(TileMaterial { image: images.add(gpu_image(1, 1, vec![c[0], c[1], c[2], 255])) })
}

/// A camera drawing UI into an image that a quad in the 3D scene shows: how text reaches both
/// eyes.
fn panel_camera(commands: &mut Commands, image: Handle<Image>, order: isize) -> Entity {
    commands
        .spawn((
            Camera2d,
            Camera { order, clear_color: ClearColorConfig::Custom(Color::srgb(0.07, 0.07, 0.09)), ..default() },
            RenderTarget::from(image),
            VrPart,
        ))
        .id()
}

/// Build the eyes, the last pass and the 3D interface for the screen's size (again when it
/// changes: a phone turned to landscape).
#[allow(clippy::too_many_arguments)]
fn build_rig(
    mode: Res<VrMode>,
    mut state: ResMut<VrState>,
    target: Res<CameraTarget>,
    window: Query<&Window, With<PrimaryWindow>>,
    settings: Res<Settings>,
    parts: Query<Entity, With<VrPart>>,
    mut cameras: Query<&mut Camera, With<PanoramaCamera>>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut tiles: ResMut<Assets<TileMaterial>>,
    mut lenses: ResMut<Assets<LensMaterial>>,
    mut commands: Commands,
) {
    if !mode.on {
        return;
    }
    let Some(size) = screen_size(&target, &images, window.single().ok()) else { return };
    if state.built == Some(size) {
        return;
    }
    for e in &parts {
        commands.entity(e).despawn();
    }
    state.built = Some(size);
    state.progress_mesh = None;
    state.shown_progress = -1.0;
    for mut c in &mut cameras {
        c.is_active = false; // the eyes draw instead, and the flat interface is not drawn
    }

    // The two eyes, side by side in one image.
    let eyes_image = render_image(&mut images, size);
    for (i, r) in eyes(size.x as f32, size.y as f32).iter().enumerate() {
        commands.spawn((
            Name::new(if i == 0 { "left eye" } else { "right eye" }),
            Camera3d::default(),
            Camera {
                order: 1 + i as isize,
                viewport: Some(Viewport {
                    physical_position: UVec2::new(r.x as u32, r.y as u32),
                    physical_size: UVec2::new(r.w as u32, r.h as u32),
                    ..default()
                }),
                ..default()
            },
            RenderTarget::from(eyes_image.clone()),
            bevy::core_pipeline::tonemapping::Tonemapping::None,
            Msaa::Off,
            Projection::from(PerspectiveProjection::default()),
            VrEye(i),
            VrPart,
        ));
    }

    // The last pass, on the screen (or the headless image).
    let screen_target = match &target.0 {
        Some(h) => RenderTarget::from(h.clone()),
        None => RenderTarget::Window(bevy::window::WindowRef::Primary),
    };
    let screen = commands
        .spawn((
            Name::new("VR lens pass"),
            Camera2d,
            Camera { order: 10, clear_color: ClearColorConfig::Custom(Color::BLACK), ..default() },
            screen_target,
            VrPart,
        ))
        .id();
    let [l, r] = eyes(size.x as f32, size.y as f32);
    let w = size.x as f32;
    let lens = mode.lens;
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            width: Val::Percent(100.0),
            height: Val::Percent(100.0),
            ..default()
        },
        MaterialNode(lenses.add(LensMaterial {
            eyes: eyes_image,
            lens: Vec4::new(lens.k1, lens.k2, if mode.distortion { 1.0 } else { 0.0 }, 0.0),
            layout: Vec4::new(w, size.y as f32, lens.centre(l, true, w).0, lens.centre(r, false, w).0),
        })),
        UiTargetCamera(screen),
        GlobalZIndex(i32::MAX),
        VrPart,
    ));

    // The reticle and the ring that fills as the gaze rests.
    let white = solid(&mut images, &mut tiles, Color::WHITE);
    commands.spawn((
        Mesh3d(meshes.add(Annulus::new(0.026, 0.042))),
        MeshMaterial3d(white.clone()),
        Transform::default(),
        Reticle,
        VrPart,
    ));
    let progress = meshes.add(arc(0.0));
    state.progress_mesh = Some(progress.clone());
    let gold = solid(&mut images, &mut tiles, Color::srgb(0.95, 0.75, 0.25));
    commands.spawn((Mesh3d(progress), MeshMaterial3d(gold), Transform::default(), ReticleProgress, VrPart));

    let lang = settings.lang;
    // The subtitles and the aimed hotspot's name, under the reticle.
    let hud_image = render_image(&mut images, UVec2::new(768, 192));
    let hud_cam = panel_camera(&mut commands, hud_image.clone(), -3);
    commands
        .spawn((
            Node {
                width: Val::Percent(100.0),
                height: Val::Percent(100.0),
                flex_direction: FlexDirection::Column,
                align_items: AlignItems::Center,
                justify_content: JustifyContent::Center,
                row_gap: Val::Px(10.0),
                padding: UiRect::all(Val::Px(16.0)),
                ..default()
            },
            UiTargetCamera(hud_cam),
            VrPart,
        ))
        .with_children(|p| {
            p.spawn((super::ui::label("", 44.0, Color::srgb(0.95, 0.75, 0.25)), HudAim));
            p.spawn((super::ui::label("", 40.0, Color::WHITE), TextLayout::justify(Justify::Center), HudSubtitle));
        });
    let hud_material = tiles.add(TileMaterial { image: hud_image });
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(1.4, 0.35))),
        MeshMaterial3d(hud_material),
        Transform::default(),
        Visibility::Hidden,
        Hud,
        VrPart,
    ));

    // The Info board, beside its hotspot while the gaze stays near.
    let board_image = render_image(&mut images, UVec2::new(1024, 640));
    let board_cam = panel_camera(&mut commands, board_image.clone(), -2);
    commands
        .spawn((
            Node {
                width: Val::Percent(100.0),
                height: Val::Percent(100.0),
                flex_direction: FlexDirection::Column,
                row_gap: Val::Px(16.0),
                padding: UiRect::all(Val::Px(32.0)),
                overflow: Overflow::clip(),
                ..default()
            },
            UiTargetCamera(board_cam),
            VrPart,
        ))
        .with_children(|p| {
            p.spawn((super::ui::label("", 44.0, Color::srgb(0.95, 0.75, 0.25)), BoardTitle));
            p.spawn((super::ui::label("", 32.0, Color::WHITE), BoardBody));
        });
    let board_material = tiles.add(TileMaterial { image: board_image });
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(1.6, 1.0))),
        MeshMaterial3d(board_material),
        Transform::default(),
        Visibility::Hidden,
        Board,
        VrPart,
    ));

    // "Exit VR", on the floor.
    let floor_image = render_image(&mut images, UVec2::new(512, 160));
    let floor_cam = panel_camera(&mut commands, floor_image.clone(), -1);
    commands
        .spawn((
            Node {
                width: Val::Percent(100.0),
                height: Val::Percent(100.0),
                align_items: AlignItems::Center,
                justify_content: JustifyContent::Center,
                ..default()
            },
            BackgroundColor(Color::srgb(0.55, 0.10, 0.10)),
            UiTargetCamera(floor_cam),
            VrPart,
        ))
        .with_children(|p| {
            let text = if lang == crate::tour::Lang::Zh { "退出 VR · Exit VR" } else { "Exit VR · 退出 VR" };
            p.spawn(super::ui::label(text, 56.0, Color::WHITE));
        });
    let floor_material = tiles.add(TileMaterial { image: floor_image });
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(1.2, 0.375))),
        MeshMaterial3d(floor_material),
        Transform::from_xyz(0.0, -MARKER_DISTANCE, 0.0),
        FloorExit,
        VrPart,
    ));
    info!("VR glasses mode on a {}x{} screen", size.x, size.y);
}

/// The reticle's ring, `fraction` of the way round (from the top, clockwise).
fn arc(fraction: f32) -> Mesh {
    let (inner, outer) = (0.05, 0.068);
    let n = ((fraction.clamp(0.0, 1.0) * 64.0).ceil() as u32).max(1);
    let mut positions = Vec::new();
    let mut indices = Vec::new();
    for i in 0..=n {
        let a = std::f32::consts::TAU * fraction.clamp(0.0, 1.0) * i as f32 / n as f32;
        let (s, c) = a.sin_cos();
        positions.push([s * inner, c * inner, 0.0]);
        positions.push([s * outer, c * outer, 0.0]);
        if i > 0 {
            let k = 2 * i;
            indices.extend([k - 2, k - 1, k + 1, k - 2, k + 1, k]);
        }
    }
    let count = positions.len();
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, vec![[0.0, 0.0, 1.0]; count])
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, vec![[0.5, 0.5]; count])
        .with_inserted_indices(Indices::U32(indices))
}

/// A world direction from scene angles (yaw 0 looks along -Z, 90 along +X).
fn direction(yaw: f32, pitch: f32) -> Vec3 {
    let (y, p) = (yaw.to_radians(), pitch.to_radians());
    Vec3::new(p.cos() * y.sin(), p.sin(), -p.cos() * y.cos())
}

/// The hotspots' markers, in both eyes: a disc of the hotspot's colour in a white ring.
#[allow(clippy::too_many_arguments)]
fn markers(
    mode: Res<VrMode>,
    mut state: ResMut<VrState>,
    mut entered: MessageReader<SceneEntered>,
    tour: Res<TourData>,
    current: Res<Current>,
    existing: Query<Entity, With<VrMarker>>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut tiles: ResMut<Assets<TileMaterial>>,
    mut commands: Commands,
    mut built_for: Local<Option<(String, String, UVec2)>>,
) {
    let scene_changed = entered.read().last().is_some();
    if !mode.on {
        *built_for = None;
        return;
    }
    let Some(size) = state.built else { return };
    let key = (current.site.clone(), current.scene.clone(), size);
    if !scene_changed && built_for.as_ref() == Some(&key) {
        return;
    }
    *built_for = Some(key);
    state.gaze.reset();
    state.board = None;
    for e in &existing {
        commands.entity(e).despawn();
    }
    let Some(scene) = current.scene(&tour) else { return };
    let white = solid(&mut images, &mut tiles, Color::WHITE);
    let disc = meshes.add(Circle::new(0.16));
    let ring = meshes.add(Annulus::new(0.16, 0.2));
    for (i, h) in scene.hotspots.iter().enumerate() {
        let (_, color) = marker_style(&h.kind);
        let fill = solid(&mut images, &mut tiles, color.with_alpha(1.0));
        let d = direction(h.yaw as f32, h.pitch as f32);
        // Facing the visitor: the quad's front (+Z) toward the middle.
        let at = Transform::from_translation(d * MARKER_DISTANCE).looking_at(d * 2.0 * MARKER_DISTANCE, Vec3::Y);
        commands.spawn((Mesh3d(disc.clone()), MeshMaterial3d(fill), at, VrMarker(i), VrPart));
        commands.spawn((
            Mesh3d(ring.clone()),
            MeshMaterial3d(white.clone()),
            at.with_translation(d * (MARKER_DISTANCE + 0.01)),
            VrMarker(i),
            VrPart,
        ));
    }
}

/// The eyes follow the view, the pupils' distance apart; the reticle and the strip under it
/// follow the head.
#[allow(clippy::type_complexity)]
fn steer_eyes(
    mode: Res<VrMode>,
    state: Res<VrState>,
    look: Res<Look>,
    head: Query<&Transform, (With<PanoramaCamera>, Without<VrEye>)>,
    mut eyes_q: Query<(&VrEye, &Camera, &mut Transform, &mut Projection), Without<PanoramaCamera>>,
    mut hud: Query<
        &mut Transform,
        (
            Or<(With<Reticle>, With<ReticleProgress>, With<Hud>, With<FloorExit>)>,
            Without<VrEye>,
            Without<PanoramaCamera>,
        ),
    >,
    kinds: Query<(Has<Reticle>, Has<ReticleProgress>, Has<Hud>, Has<FloorExit>)>,
    hud_entities: Query<Entity, Or<(With<Reticle>, With<ReticleProgress>, With<Hud>, With<FloorExit>)>>,
) {
    if !mode.on || state.built.is_none() {
        return;
    }
    let Ok(head) = head.single() else { return };
    let rotation = head.rotation;
    let half_ipd = mode.lens.ipd_mm / 2000.0; // metres, as the scene's units
    for (eye, camera, mut t, mut projection) in &mut eyes_q {
        let side = if eye.0 == 0 { -1.0 } else { 1.0 };
        t.rotation = rotation;
        t.translation = rotation * Vec3::new(side * half_ipd, 0.0, 0.0);
        if let (Projection::Perspective(p), Some(vp)) = (&mut *projection, &camera.viewport) {
            let aspect = vp.physical_size.x as f32 / vp.physical_size.y.max(1) as f32;
            p.aspect_ratio = aspect;
            p.fov = crate::pano::vfov(mode.lens.eye_hfov, aspect).to_radians();
        }
    }
    for e in &hud_entities {
        let Ok((reticle, progress, strip, floor)) = kinds.get(e) else { continue };
        let Ok(mut t) = hud.get_mut(e) else { continue };
        if reticle || progress {
            t.rotation = rotation;
            t.translation = rotation * Vec3::new(0.0, 0.0, -RETICLE_DISTANCE + if progress { 0.01 } else { 0.0 });
        } else if strip {
            t.rotation = rotation;
            t.translation = rotation * Vec3::new(0.0, -0.5, -RETICLE_DISTANCE);
        } else if floor {
            // Flat on the floor, its top toward where the visitor faces, so it reads.
            t.rotation = Quat::from_rotation_y(-look.view.yaw.to_radians())
                * Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2);
        }
    }
}

/// What the gaze rests on, the ring, and what it activates.
#[allow(clippy::too_many_arguments)]
fn gaze(
    time: Res<Time>,
    mode: Res<VrMode>,
    mut state: ResMut<VrState>,
    tour: Res<TourData>,
    current: Res<Current>,
    look: Res<Look>,
    guide: Res<GuidedTour>,
    remote: Option<Res<super::net::Remote>>,
    mut panel: ResMut<Panel>,
    mut memorial: ResMut<Memorial>,
    mut activate: MessageWriter<Activate>,
    mut out: MessageWriter<VrCommand>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    if !mode.on || state.built.is_none() {
        return;
    }
    let Some(scene) = current.scene(&tour) else { return };
    let spots: Vec<(f32, f32)> = scene.hotspots.iter().map(|h| (h.yaw as f32, h.pitch as f32)).collect();
    let view = (look.view.yaw, look.view.pitch);
    if let Some(at) = state.board
        && angle_between(view, at) > INFO_RADIUS
    {
        state.board = None;
        if matches!(*panel, Panel::Hotspot { .. }) {
            *panel = Panel::None;
        }
    }
    // A running guided tour turns the view to hotspots by itself: only the exit answers the gaze.
    let guided = guide.0.as_ref().is_some_and(|g| g.state == GuideState::Running);
    let aimed = aimed_at(view, &spots).filter(|t| !guided || *t == Target::Exit);
    match state.gaze.update(aimed, time.delta_secs()) {
        Some(Target::Exit) => {
            out.write(VrCommand::Leave);
        }
        Some(Target::Hotspot(i)) => {
            let h = &scene.hotspots[i];
            info!("VR gaze chose hotspot {} ({})", h.id, current.scene);
            match &h.kind {
                HotspotKind::Go { .. } => {
                    activate.write(Activate(i));
                }
                HotspotKind::Memorial(target) => {
                    activate.write(Activate(i));
                    state.board = Some(spots[i]);
                    let target = match target {
                        MemorialTarget::Site => OfferTarget::Site(current.site.clone()),
                        MemorialTarget::Person(p) => OfferTarget::Person(p.clone()),
                    };
                    if let Err(e) =
                        super::memorial::offer(&mut memorial, target, OfferingKind::Flower, remote.is_some())
                    {
                        error!("the flower could not be kept: {e}");
                    }
                }
                HotspotKind::Info { .. } | HotspotKind::Link { .. } => {
                    activate.write(Activate(i));
                    state.board = Some(spots[i]);
                }
            }
        }
        None => {}
    }
    let progress = state.gaze.progress();
    if (progress - state.shown_progress).abs() > 0.01 {
        state.shown_progress = progress;
        if let Some(m) = state.progress_mesh.as_ref().and_then(|h| meshes.get_mut(h)) {
            *m.into_inner() = arc(progress);
        }
    }
}

/// The strip under the reticle: the aimed hotspot's name and the subtitles.
#[allow(clippy::too_many_arguments)]
fn hud(
    mode: Res<VrMode>,
    state: Res<VrState>,
    tour: Res<TourData>,
    current: Res<Current>,
    settings: Res<Settings>,
    audio: Res<AudioSettings>,
    playback: Res<Playback>,
    mut aim: Query<&mut Text, (With<HudAim>, Without<HudSubtitle>)>,
    mut subtitle: Query<&mut Text, (With<HudSubtitle>, Without<HudAim>)>,
    mut strip: Query<&mut Visibility, With<Hud>>,
) {
    if !mode.on {
        return;
    }
    let aimed = match state.gaze.target() {
        Some(Target::Hotspot(i)) => current
            .scene(&tour)
            .and_then(|s| s.hotspots.get(i))
            .map(|h| tooltip(&tour, &current, h).get(settings.lang).to_string()),
        Some(Target::Exit) => {
            Some(if settings.lang == crate::tour::Lang::Zh { "退出 VR" } else { "Exit VR" }.to_string())
        }
        None => None,
    }
    .unwrap_or_default();
    let line = super::narration_ui::subtitle_line(&playback, audio.subtitles).unwrap_or_default();
    for mut t in &mut aim {
        if t.0 != aimed {
            t.0 = aimed.clone();
        }
    }
    for mut t in &mut subtitle {
        if t.0 != line {
            t.0 = line.clone();
        }
    }
    let shown = if aimed.is_empty() && line.is_empty() { Visibility::Hidden } else { Visibility::Inherited };
    for mut v in &mut strip {
        if *v != shown {
            *v = shown;
        }
    }
}

/// The Info board: the open hotspot's title and text, beside the hotspot.
#[allow(clippy::too_many_arguments)]
fn board(
    mode: Res<VrMode>,
    state: Res<VrState>,
    panel: Res<Panel>,
    tour: Res<TourData>,
    settings: Res<Settings>,
    mut title: Query<&mut Text, (With<BoardTitle>, Without<BoardBody>)>,
    mut body: Query<&mut Text, (With<BoardBody>, Without<BoardTitle>)>,
    mut quad: Query<(&mut Transform, &mut Visibility), With<Board>>,
) {
    if !mode.on {
        return;
    }
    let content = match (&*panel, state.board) {
        (Panel::Hotspot { site, scene, index }, Some(at)) => panel_content(&tour, site, scene, *index).map(|c| (c, at)),
        _ => None,
    };
    for (mut t, mut v) in &mut quad {
        let want = if content.is_some() { Visibility::Inherited } else { Visibility::Hidden };
        if *v != want {
            *v = want;
        }
        if let Some((_, (yaw, pitch))) = content {
            // Beside the hotspot, a little above it, facing the visitor.
            let d = direction(yaw, (pitch + 12.0).min(60.0));
            *t = Transform::from_translation(d * BOARD_DISTANCE).looking_at(d * 2.0 * BOARD_DISTANCE, Vec3::Y);
        }
    }
    if let Some(((t, b, _), _)) = content {
        let (t, b) = (t.get(settings.lang).to_string(), b.get(settings.lang).to_string());
        for mut x in &mut title {
            if x.0 != t {
                x.0 = t.clone();
            }
        }
        for mut x in &mut body {
            if x.0 != b {
                x.0 = b.clone();
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    use bevy::prelude::*;
    use wasm_bindgen::JsValue;

    use super::VrCommand;

    pub fn call(name: &str) {
        let Some(window) = web_sys::window() else { return };
        if let Ok(f) = js_sys::Reflect::get(&window, &JsValue::from_str(name))
            && let Ok(f) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f)
        {
            let _ = f.call0(&window);
        }
    }

    /// The device's back gesture (a history step the page counts in `cloudhallVrBack`) leaves
    /// the mode.
    pub fn back_gesture(mut seen: Local<f64>, mode: Res<super::VrMode>, mut out: MessageWriter<VrCommand>) {
        let Some(window) = web_sys::window() else { return };
        let n = js_sys::Reflect::get(&window, &JsValue::from_str("cloudhallVrBack"))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        if n != *seen {
            *seen = n;
            if mode.on {
                out.write(VrCommand::Leave);
            }
        }
    }
}
