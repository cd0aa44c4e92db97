//! The VR glasses mode's rig: the two eye cameras, the lens pass, and the 3D interface (reticle,
//! subtitle strip, Info board, floor exit), built for the screen's size.

use super::*;

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

pub(super) fn solid(
    images: &mut Assets<Image>,
    materials: &mut Assets<TileMaterial>,
    color: Color,
) -> Handle<TileMaterial> {
    let c = color.to_srgba().to_u8_array();
    materials.add(TileMaterial { image: images.add(gpu_image(1, 1, vec![c[0], c[1], c[2], 255])) })
}

/// What a panel is made with: a camera drawing UI into an image, and a quad in the 3D scene
/// showing that image. This is how text reaches both eyes.
struct Panels<'a, 'w, 's> {
    commands: &'a mut Commands<'w, 's>,
    images: &'a mut Assets<Image>,
    meshes: &'a mut Assets<Mesh>,
    tiles: &'a mut Assets<TileMaterial>,
}

impl Panels<'_, '_, '_> {
    /// A panel of `pixels` drawn by a camera of `order`, shown on a `size` (metres) quad with
    /// `quad` (its place and marker); answers the UI root, laid out as `root`, for its content.
    fn spawn(&mut self, pixels: UVec2, order: isize, size: Vec2, root: Node, quad: impl Bundle) -> Entity {
        let image = render_image(self.images, pixels);
        let camera = self
            .commands
            .spawn((
                Camera2d,
                Camera { order, clear_color: ClearColorConfig::Custom(Color::srgb(0.07, 0.07, 0.09)), ..default() },
                RenderTarget::from(image.clone()),
                VrPart,
            ))
            .id();
        let material = self.tiles.add(TileMaterial { image });
        self.commands.spawn((
            Mesh3d(self.meshes.add(Rectangle::new(size.x, size.y))),
            MeshMaterial3d(material),
            quad,
            VrPart,
        ));
        self.commands
            .spawn((
                Node { width: Val::Percent(100.0), height: Val::Percent(100.0), ..root },
                UiTargetCamera(camera),
                VrPart,
            ))
            .id()
    }
}

/// Build the eyes, the last pass and the 3D interface for the screen's size (again when it
/// changes: a phone turned to landscape).
#[allow(clippy::too_many_arguments)]
pub(super) fn build_rig(
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
    let mut panels = Panels { commands: &mut commands, images: &mut images, meshes: &mut meshes, tiles: &mut tiles };
    let column = Node { flex_direction: FlexDirection::Column, padding: UiRect::all(Val::Px(16.0)), ..default() };
    let hud = panels.spawn(
        UVec2::new(768, 192),
        -3,
        Vec2::new(1.4, 0.35),
        Node {
            align_items: AlignItems::Center,
            justify_content: JustifyContent::Center,
            row_gap: Val::Px(10.0),
            ..column.clone()
        },
        (Visibility::Hidden, Hud),
    );
    panels.commands.entity(hud).with_children(|p| {
        p.spawn((crate::viewer::ui::label("", 44.0, Color::srgb(0.95, 0.75, 0.25)), HudAim));
        p.spawn((crate::viewer::ui::label("", 40.0, Color::WHITE), TextLayout::justify(Justify::Center), HudSubtitle));
    });

    // The Info board, beside its hotspot while the gaze stays near.
    let board = panels.spawn(
        UVec2::new(1024, 640),
        -2,
        Vec2::new(2.0, 1.25),
        Node { row_gap: Val::Px(16.0), padding: UiRect::all(Val::Px(32.0)), overflow: Overflow::clip(), ..column },
        (Visibility::Hidden, Board),
    );
    panels.commands.entity(board).with_children(|p| {
        p.spawn((crate::viewer::ui::label("", 60.0, Color::srgb(0.95, 0.75, 0.25)), BoardTitle));
        p.spawn((crate::viewer::ui::label("", 44.0, Color::WHITE), BoardBody));
    });

    // "Exit VR", on the floor.
    let floor = panels.spawn(
        UVec2::new(512, 160),
        -1,
        Vec2::new(1.2, 0.375),
        Node { align_items: AlignItems::Center, justify_content: JustifyContent::Center, ..default() },
        (Transform::from_xyz(0.0, -MARKER_DISTANCE, 0.0), FloorExit),
    );
    let text = if lang == crate::tour::Lang::Zh { "退出 VR · Exit VR" } else { "Exit VR · 退出 VR" };
    panels.commands.entity(floor).insert(BackgroundColor(Color::srgb(0.55, 0.10, 0.10))).with_children(|p| {
        p.spawn(crate::viewer::ui::label(text, 56.0, Color::WHITE));
    });
    info!("VR glasses mode on a {}x{} screen", size.x, size.y);
}

/// The reticle's ring, `fraction` of the way round (from the top, clockwise).
pub(super) fn arc(fraction: f32) -> Mesh {
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
