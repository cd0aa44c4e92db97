//! Multires scenes refined by view: the tiles the view needs, up to about one texel per screen
//! pixel at its centre, fetched nearest the centre first and decoded off the main thread, each
//! drawn as a quad over its parent level. Tiles out of view stay in a cache bounded in bytes,
//! least recently wanted first out. Level 1 is the panorama cache's (always there, so a tile
//! not yet loaded shows its parent, never a hole).

use std::collections::{HashMap, HashSet};

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use bevy::window::PrimaryWindow;

use super::TourData;
use super::look::{Look, ViewportSize};
use super::nav::Current;
use super::pano_material::{TileMaterial, face_quad, gpu_image, tile_radius};
use super::panorama::{OnScreen, PanoramaSystems, RgbaImage};
use crate::pano::multires::{TileId, ViewCone, level_for_view, tile_rect, wanted_tiles};
use crate::tour::Multires;

pub struct TilesPlugin;

impl Plugin for TilesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TileStream>().add_systems(Update, stream_tiles.after(PanoramaSystems));
    }
}

/// Tile decodes running at once: enough to keep the cores busy, few enough that a turn of the
/// view re-prioritises quickly.
const IN_FLIGHT: usize = 4;
/// The default bound on the bytes of tiles kept on the GPU (RGBA8).
pub const DEFAULT_BUDGET: u64 = 96 << 20;

enum TileState {
    Loading(Task<Result<RgbaImage, String>>),
    Ready { image: Handle<Image>, material: Handle<TileMaterial>, entity: Entity, bytes: u64 },
    Failed,
}

struct TileEntry {
    state: TileState,
    /// The frame this tile was last wanted.
    used: u64,
}

/// The tiles of the current multires scene.
#[derive(Resource)]
pub struct TileStream {
    pyramid: Option<Multires>,
    tiles: HashMap<TileId, TileEntry>,
    /// Bytes of the ready tiles.
    bytes: u64,
    /// The bound on `bytes`; tiles still in view are never evicted.
    pub budget: u64,
    frame: u64,
    /// The level the view needs now.
    pub level: u32,
    /// The highest level ever requested for this scene (for tests and the log).
    pub max_requested: u32,
    /// Tiles the view wants that are not on screen yet.
    pub pending: usize,
    /// The finest level fetched, where data or memory must be saved (None: as the view needs).
    pub max_level: Option<u32>,
    /// The tiles the view wants, in fetch order, and the view (yaw, pitch, hfov, width, height,
    /// level cap) they were chosen for: chosen again only when the view changes.
    wanted: Vec<TileId>,
    wanted_for: Option<[f32; 6]>,
    /// Tiles decoded and put on screen for this scene, evicted ones included.
    pub loaded_total: u64,
}

impl Default for TileStream {
    fn default() -> Self {
        TileStream {
            pyramid: None,
            tiles: HashMap::new(),
            bytes: 0,
            budget: DEFAULT_BUDGET,
            frame: 0,
            level: 0,
            max_requested: 0,
            pending: 0,
            max_level: None,
            wanted: Vec::new(),
            wanted_for: None,
            loaded_total: 0,
        }
    }
}

impl TileStream {
    /// Bytes of tiles on the GPU now.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether every tile the view wants is on screen (or failed).
    pub fn idle(&self) -> bool {
        self.pending == 0
    }

    /// How many tiles of `level` are on screen.
    pub fn ready_at(&self, level: u32) -> usize {
        self.tiles.iter().filter(|(t, e)| t.level == level && matches!(e.state, TileState::Ready { .. })).count()
    }

    fn clear(&mut self, commands: &mut Commands, images: &mut Assets<Image>, materials: &mut Assets<TileMaterial>) {
        for (_, e) in self.tiles.drain() {
            if let TileState::Ready { image, material, entity, .. } = e.state {
                commands.entity(entity).despawn();
                images.remove(&image);
                materials.remove(&material);
            }
        }
        self.bytes = 0;
        self.level = 0;
        self.max_requested = 0;
        self.pending = 0;
        self.loaded_total = 0;
        self.wanted.clear();
        self.wanted_for = None;
    }
}

/// The view's width in physical pixels: what one texel per pixel is measured against.
fn viewport_px(size: &ViewportSize, window: Option<&Window>) -> (f32, f32) {
    let scale = window.map_or(1.0, |w| w.scale_factor());
    (size.0.width * scale, size.0.height * scale)
}

#[allow(clippy::too_many_arguments)]
/// The most tiles put on screen in one frame.
const UPLOADS_PER_FRAME: usize = 4;

fn stream_tiles(
    mut commands: Commands,
    tour: Res<TourData>,
    current: Res<Current>,
    on_screen: Res<OnScreen>,
    look: Res<Look>,
    size: Res<ViewportSize>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut stream: ResMut<TileStream>,
    mut images: ResMut<Assets<Image>>,
    mut materials: ResMut<Assets<TileMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
    remote: Option<Res<super::net::Remote>>,
) {
    let stream = &mut *stream;
    // Only while the scene's own pyramid (its level 1) is on screen.
    let pyramid = current
        .scene(&tour)
        .and_then(|s| s.panorama.multires().filter(|_| on_screen.key.as_ref() == Some(&s.panorama)));
    if stream.pyramid != pyramid {
        stream.clear(&mut commands, &mut images, &mut materials);
        stream.pyramid = pyramid;
    }
    let Some(m) = stream.pyramid.clone() else { return };
    let (w, h) = viewport_px(&size, window.single().ok());
    let v = look.view;
    let cap = stream.max_level.map_or(f32::MAX, |l| l as f32);
    let view = [v.yaw, v.pitch, v.hfov, w, h, cap];
    if stream.wanted_for == Some(view) {
        // A still view with every tile it wants on screen: nothing to do this frame.
        if stream.pending == 0 {
            return;
        }
    } else {
        let level = level_for_view(&m, v.hfov, w).min(stream.max_level.unwrap_or(u32::MAX));
        stream.level = level;
        let cone = ViewCone::new(v.yaw, v.pitch, v.hfov, w / h.max(1.0));
        stream.wanted = wanted_tiles(&m, &cone, level).into_iter().filter(|t| t.level >= 2).collect();
        stream.wanted_for = Some(view);
    }
    stream.frame += 1;
    let frame = stream.frame;
    let wanted = std::mem::take(&mut stream.wanted);
    let wanted_set: HashSet<TileId> = wanted.iter().copied().collect();

    // Requests for tiles that left the view are dropped (dropping a task cancels it).
    stream.tiles.retain(|t, e| !matches!(e.state, TileState::Loading(_)) || wanted_set.contains(t));

    // Finished decodes go on screen, a few a frame: a whole level arriving at once would make one
    // long frame (on a phone's WebGL, a texture upload each), and touch and narration would stall.
    let mut uploads = 0;
    for (t, e) in stream.tiles.iter_mut() {
        if uploads >= UPLOADS_PER_FRAME {
            break;
        }
        if let TileState::Loading(task) = &mut e.state
            && let Some(result) = check_ready(task)
        {
            uploads += 1;
            e.state = match result {
                Ok(img) => {
                    let bytes = img.rgba.len() as u64;
                    let image = images.add(gpu_image(img.width, img.height, img.rgba));
                    let material = materials.add(TileMaterial { image: image.clone() });
                    let quad = meshes.add(face_quad(t.face, tile_rect(&m, *t), tile_radius(t.level)));
                    let entity = commands
                        .spawn((
                            Mesh3d(quad),
                            MeshMaterial3d(material.clone()),
                            Transform::IDENTITY,
                            super::panorama::PanoramaSurface,
                        ))
                        .id();
                    stream.bytes += bytes;
                    stream.loaded_total += 1;
                    TileState::Ready { image, material, entity, bytes }
                }
                Err(err) => {
                    warn!("{err}");
                    TileState::Failed
                }
            };
        }
    }

    // New requests, in the view's order, a few at a time.
    let mut in_flight = stream.tiles.values().filter(|e| matches!(e.state, TileState::Loading(_))).count();
    let base = remote.as_ref().map(|r| r.base.clone());
    let mut pending = 0;
    for t in &wanted {
        match stream.tiles.get_mut(t) {
            Some(e) => {
                e.used = frame;
                if !matches!(e.state, TileState::Ready { .. } | TileState::Failed) {
                    pending += 1;
                }
            }
            None => {
                pending += 1;
                if in_flight >= IN_FLIGHT {
                    continue;
                }
                in_flight += 1;
                stream.max_requested = stream.max_requested.max(t.level);
                let task = spawn_load(&m, *t, tour.0.assets_dir.clone(), base.clone());
                stream.tiles.insert(*t, TileEntry { state: TileState::Loading(task), used: frame });
            }
        }
    }
    stream.pending = pending;

    // Over the bound: the least recently wanted tiles go, never one the view wants now.
    while stream.bytes > stream.budget {
        let Some(oldest) = stream
            .tiles
            .iter()
            .filter(|(t, e)| matches!(e.state, TileState::Ready { .. }) && !wanted_set.contains(t))
            .min_by_key(|(_, e)| e.used)
            .map(|(t, _)| *t)
        else {
            break;
        };
        if let Some(TileEntry { state: TileState::Ready { image, material, entity, bytes }, .. }) =
            stream.tiles.remove(&oldest)
        {
            commands.entity(entity).despawn();
            images.remove(&image);
            materials.remove(&material);
            stream.bytes -= bytes;
        }
    }
    stream.wanted = wanted;
}

/// Fetch (online) and decode one tile off the main thread, checking its size.
fn spawn_load(
    m: &Multires,
    t: TileId,
    assets: std::path::PathBuf,
    remote: Option<String>,
) -> Task<Result<RgbaImage, String>> {
    let rel = m.tile_path(t.level, t.face, t.row, t.col);
    let want = m.tile_dims(t.level, t.row, t.col);
    AsyncComputeTaskPool::get().spawn(async move {
        if let Some(base) = &remote {
            super::net::fetch_asset_async(base, &assets, &rel).await?;
        }
        let file = assets.join(&rel);
        let RgbaImage { width, height, rgba } = super::panorama::decode_file(&file, "tile")?;
        if (width, height) != want {
            return Err(format!(
                "cannot show tile {}: it is {width}x{height}, not {}x{}",
                file.display(),
                want.0,
                want.1
            ));
        }
        Ok(RgbaImage { width, height, rgba })
    })
}
