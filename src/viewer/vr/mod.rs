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

mod overlay;
mod rig;

use overlay::{board, gaze, hud, markers, steer_eyes};
pub use rig::LensMaterial;
use rig::build_rig;

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
        load_internal_asset!(app, LENS_SHADER, "../shaders/lens.wgsl", Shader::from_wgsl);
        app.add_plugins(UiMaterialPlugin::<LensMaterial>::default())
            .insert_resource(VrMode { on: self.start, lens: self.lens, distortion: self.distortion })
            .init_resource::<VrState>()
            .add_message::<VrCommand>()
            .add_systems(
                Update,
                (keys, commands, build_rig, markers, steer_eyes, gaze, hud, board)
                    .chain()
                    .after(LookSystems)
                    .after(crate::viewer::narration::NarrationSystems),
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
            crate::viewer::io::call_page("cloudhallEnterVr");
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
            crate::viewer::io::call_page("cloudhallLeaveVr");
            info!("VR glasses mode: off");
        }
    }
}

/// The screen's size in pixels: the window's, or the image a headless run renders into.
#[cfg(target_arch = "wasm32")]
mod page {
    use bevy::prelude::*;
    use wasm_bindgen::JsValue;

    use super::VrCommand;

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
