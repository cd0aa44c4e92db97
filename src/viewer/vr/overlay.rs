//! What the VR glasses mode does each frame: the markers of the scene's hotspots, the eyes and
//! the head-locked parts following the view, the gaze and what it activates, the subtitle strip
//! and the Info board.

use super::rig::{arc, solid};
use super::*;

/// A world direction from scene angles (yaw 0 looks along -Z, 90 along +X).
fn direction(yaw: f32, pitch: f32) -> Vec3 {
    let (y, p) = (yaw.to_radians(), pitch.to_radians());
    Vec3::new(p.cos() * y.sin(), p.sin(), -p.cos() * y.cos())
}

/// The hotspots' markers, in both eyes: a disc of the hotspot's colour in a white ring.
#[allow(clippy::too_many_arguments)]
pub(super) fn markers(
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
pub(super) fn steer_eyes(
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
pub(super) fn gaze(
    time: Res<Time>,
    mode: Res<VrMode>,
    mut state: ResMut<VrState>,
    tour: Res<TourData>,
    current: Res<Current>,
    look: Res<Look>,
    guide: Res<GuidedTour>,
    live: Option<Res<crate::viewer::live::LiveSession>>,
    remote: Option<Res<crate::viewer::net::Remote>>,
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
    // A student following a live class walks where the teacher walks, not where the gaze rests.
    let led = live.is_some_and(|l| l.role == crate::live::Role::Student && l.following);
    let aimed = aimed_at(view, &spots).filter(|t| match t {
        Target::Exit => true,
        Target::Hotspot(i) => !guided && !(led && matches!(scene.hotspots[*i].kind, HotspotKind::Go { .. })),
    });
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
                        crate::viewer::memorial::offer(&mut memorial, target, OfferingKind::Flower, remote.is_some())
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
pub(super) fn hud(
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
        // The floor's own label says it; the strip would cover it.
        Some(Target::Exit) | None => None,
    }
    .unwrap_or_default();
    let at_floor = state.gaze.target() == Some(Target::Exit);
    let line = if at_floor {
        String::new()
    } else {
        crate::viewer::narration_ui::subtitle_line(&playback, audio.subtitles).unwrap_or_default()
    };
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
pub(super) fn board(
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
            let d = direction(yaw, (pitch + 17.0).min(60.0));
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
