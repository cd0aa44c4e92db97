//! Showing a scene's panorama, drawn by the GPU ([`super::pano_material`]): images decoded off
//! the main thread, cached, and preloaded for the scenes a visitor can walk to next, so a Go
//! shows its panorama at once.
//!
//! Every panorama source ([`Panorama`]) becomes a [`Decoded`] in a background task: an
//! equirectangular image (in two halves where the device's textures are narrower than it), or
//! six face images (a cube, or a multires pyramid's level 1, which [`super::tiles`] then refines
//! by view). Nothing is reprojected on the CPU.

use std::collections::HashMap;
use std::path::Path;

use bevy::prelude::*;
use bevy::render::renderer::RenderDevice;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::TourData;
use super::nav::{Current, SceneEntered};
use super::pano_material::{CUBE_RADIUS, EquirectMaterial, TileMaterial, face_quad, gpu_image, tile_radius};
use crate::tour::{CUBE_FACES, HotspotKind, Panorama};

pub struct PanoramaPlugin;

impl Plugin for PanoramaPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PanoramaCache>()
            .init_resource::<PanoramaStatus>()
            .init_resource::<OnScreen>()
            .init_resource::<TextureLimit>()
            .add_systems(Startup, read_texture_limit)
            .add_systems(Update, (request_for_scene, finish_loads, show_current).chain().in_set(PanoramaSystems));
    }
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanoramaSystems;

/// Panoramas kept decoded at once (current, neighbours, a few recent ones, and the small
/// previews, which are tiny).
const CACHE_SIZE: usize = 12;

/// The widest texture the panorama uses: the device's limit (WebGL2 guarantees only 2048,
/// desktops take 8192-16384), read at start, or less where a lower cap was set before.
#[derive(Resource, Debug, Clone, Copy)]
pub struct TextureLimit(pub u32);

impl Default for TextureLimit {
    fn default() -> Self {
        TextureLimit(u32::MAX)
    }
}

fn read_texture_limit(device: Option<Res<RenderDevice>>, mut limit: ResMut<TextureLimit>) {
    let device_limit = device.map_or(2048, |d| d.limits().max_texture_dimension_2d);
    limit.0 = limit.0.min(device_limit).max(256);
}

/// A panorama's pixels, ready for the GPU: RGBA8 images.
pub enum Decoded {
    /// One or two images side by side; `split` is the share of the width in the first.
    Equirect { halves: Vec<RgbaImage>, split: f32 },
    /// Six square faces in [`CUBE_FACES`] order.
    Faces(Vec<RgbaImage>),
}

/// Width, height and RGBA8 pixels.
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// What is on the GPU for one panorama.
pub struct Ready {
    images: Vec<Handle<Image>>,
    look: Look,
}

enum Look {
    Equirect(Handle<EquirectMaterial>),
    Faces(Vec<Handle<TileMaterial>>),
}

/// What is known about one panorama.
pub enum Entry {
    Loading(Task<Result<Decoded, String>>),
    Ready(Ready),
    Failed(String),
}

#[derive(Resource, Default)]
pub struct PanoramaCache {
    entries: HashMap<PanoramaKey, (Entry, u64)>,
    tick: u64,
}

/// A panorama source, as the scene file names it.
pub type PanoramaKey = Panorama;

impl PanoramaCache {
    pub fn get(&self, key: &PanoramaKey) -> Option<&Entry> {
        self.entries.get(key).map(|(e, _)| e)
    }

    pub fn is_ready(&self, key: &PanoramaKey) -> bool {
        matches!(self.get(key), Some(Entry::Ready(_)))
    }

    /// Start loading `key` unless it is loaded or loading; mark it used.
    fn request(&mut self, key: &PanoramaKey, files: &Path, remote: Option<&str>, limit: u32) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((_, used)) = self.entries.get_mut(key) {
            *used = tick;
            return;
        }
        let source = key.clone();
        let dir = files.to_path_buf();
        let remote = remote.map(str::to_string);
        let task = AsyncComputeTaskPool::get().spawn(async move {
            let started = bevy::platform::time::Instant::now();
            // Online, the files come from the server first (then from the cache).
            if let Some(base) = &remote {
                for rel in first_files(&source) {
                    super::net::fetch_asset_async(base, &dir, &rel).await?;
                }
            }
            let result = load_source(&source, &dir, limit);
            debug!("{source:?}: decoded in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
            result
        });
        self.entries.insert(key.clone(), (Entry::Loading(task), tick));
    }

    /// Forget a panorama so the next request reads it again (its file changed).
    pub fn invalidate(&mut self, key: &PanoramaKey) {
        self.entries.remove(key);
    }

    /// Drop the least recently used ready entries beyond the cache size.
    fn evict(
        &mut self,
        images: &mut Assets<Image>,
        equirects: &mut Assets<EquirectMaterial>,
        tiles: &mut Assets<TileMaterial>,
    ) {
        while self.entries.len() > CACHE_SIZE {
            let Some(oldest) = self
                .entries
                .iter()
                .filter(|(_, (e, _))| !matches!(e, Entry::Loading(_)))
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((Entry::Ready(r), _)) = self.entries.remove(&oldest) {
                for h in &r.images {
                    images.remove(h);
                }
                match &r.look {
                    Look::Equirect(m) => {
                        equirects.remove(m);
                    }
                    Look::Faces(ms) => {
                        for m in ms {
                            tiles.remove(m);
                        }
                    }
                }
            }
        }
    }
}

/// Whether the current scene's panorama is on screen, loading, or failed.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub enum PanoramaStatus {
    #[default]
    Loading,
    /// The scene's small preview (its thumbnail, or a pyramid's preview) is on screen while the
    /// panorama loads.
    Preview,
    Shown,
    /// The message names the file and what is wrong with it.
    Failed(String),
}

/// The files a source needs before it can show: for a pyramid, its six level-1 tiles.
pub fn first_files(source: &Panorama) -> Vec<String> {
    match source.multires() {
        Some(m) => CUBE_FACES.iter().map(|&f| m.tile_path(1, f, 0, 0)).collect(),
        None => source.assets().into_iter().map(str::to_string).collect(),
    }
}

/// Read and decode one image file as RGBA8.
pub(super) fn decode_file(file: &Path, what: &str) -> Result<RgbaImage, String> {
    if let Some((width, height, rgba)) = super::io::take_decoded(file) {
        return Ok(RgbaImage { width, height, rgba });
    }
    let bytes = super::io::read(file).map_err(|e| format!("cannot show {what} {}: {}", file.display(), e.trim()))?;
    super::io::forget(file);
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("cannot show {what} {}: {}", file.display(), e.to_string().trim()))?
        .to_rgba8();
    let (width, height) = img.dimensions();
    Ok(RgbaImage { width, height, rgba: img.into_raw() })
}

/// `img` scaled to fit `max` pixels a side, keeping its aspect.
fn fit(img: RgbaImage, max_w: u32, max_h: u32) -> RgbaImage {
    if img.width <= max_w && img.height <= max_h {
        return img;
    }
    let scale = (max_w as f32 / img.width as f32).min(max_h as f32 / img.height as f32);
    let (w, h) = (((img.width as f32 * scale) as u32).max(1), ((img.height as f32 * scale) as u32).max(1));
    let Some(buf) = image::RgbaImage::from_raw(img.width, img.height, img.rgba) else {
        return RgbaImage { width: 1, height: 1, rgba: vec![0, 0, 0, 255] };
    };
    let small = image::imageops::resize(&buf, w, h, image::imageops::FilterType::Triangle);
    RgbaImage { width: w, height: h, rgba: small.into_raw() }
}

/// Read and decode one panorama source for a device whose textures are at most `limit` wide.
/// Runs on a background thread.
pub fn load_source(source: &Panorama, assets: &Path, limit: u32) -> Result<Decoded, String> {
    match source {
        Panorama::Equirect(path) => {
            let file = assets.join(path);
            let img = decode_file(&file, "panorama")?;
            let (w, h) = (img.width, img.height);
            if w != 2 * h {
                return Err(format!("cannot show panorama {}: it is {w}x{h}, not 2:1", file.display()));
            }
            // Two textures side by side where the device cannot hold the whole width.
            let img = fit(img, 2 * limit, limit);
            if img.width <= limit {
                return Ok(Decoded::Equirect { halves: vec![img], split: 1.0 });
            }
            let half = img.width / 2;
            let (left, right) = split_columns(&img, half);
            Ok(Decoded::Equirect { halves: vec![left, right], split: half as f32 / img.width as f32 })
        }
        Panorama::Cube(..) => {
            let mut faces = Vec::with_capacity(6);
            for path in source.assets() {
                let file = assets.join(path);
                let img = decode_file(&file, "cube face")?;
                if img.width != img.height {
                    return Err(format!(
                        "cannot show cube face {}: it is {}x{}, not square",
                        file.display(),
                        img.width,
                        img.height
                    ));
                }
                if let Some(first) = faces.first().map(|f: &RgbaImage| f.width)
                    && first != img.width
                {
                    return Err(format!(
                        "cannot show cube face {}: it is {} px, the first face {first} px",
                        file.display(),
                        img.width
                    ));
                }
                faces.push(fit(img, limit, limit));
            }
            Ok(Decoded::Faces(faces))
        }
        Panorama::Multires { .. } => {
            let Some(m) = source.multires() else { return Err("not a pyramid".into()) };
            let size = m.level_size(1);
            let mut faces = Vec::with_capacity(6);
            for rel in first_files(source) {
                let file = assets.join(&rel);
                let img = decode_file(&file, "tile")?;
                if (img.width, img.height) != (size, size) {
                    return Err(format!(
                        "cannot show tile {}: it is {}x{}, level 1 of this pyramid is {size}x{size}",
                        file.display(),
                        img.width,
                        img.height
                    ));
                }
                faces.push(img);
            }
            Ok(Decoded::Faces(faces))
        }
    }
}

/// The columns `..at` and `at..` of an image.
fn split_columns(img: &RgbaImage, at: u32) -> (RgbaImage, RgbaImage) {
    let (w, h) = (img.width as usize, img.height as usize);
    let at = at as usize;
    let mut left = Vec::with_capacity(at * h * 4);
    let mut right = Vec::with_capacity((w - at) * h * 4);
    for row in img.rgba.chunks(w * 4) {
        left.extend_from_slice(&row[..at * 4]);
        right.extend_from_slice(&row[at * 4..]);
    }
    (
        RgbaImage { width: at as u32, height: h as u32, rgba: left },
        RgbaImage { width: (w - at) as u32, height: h as u32, rgba: right },
    )
}

/// The panoramas of the current scene and of the scenes its Go hotspots lead to.
fn wanted(tour: &TourData, current: &Current) -> Vec<Panorama> {
    let Some(site) = current.site(tour) else { return Vec::new() };
    let Some(scene) = site.scene(&current.scene) else { return Vec::new() };
    let mut out = vec![scene.panorama.clone()];
    for h in &scene.hotspots {
        if let HotspotKind::Go { scene: target, site: target_site, .. } = &h.kind {
            let s = target_site.as_deref().and_then(|id| tour.0.site(id)).unwrap_or(site);
            if let Some(t) = s.scene(target) {
                out.push(t.panorama.clone());
            }
        }
    }
    out
}

fn request_for_scene(
    mut entered: MessageReader<SceneEntered>,
    tour: Res<TourData>,
    current: Res<Current>,
    mut cache: ResMut<PanoramaCache>,
    mut status: ResMut<PanoramaStatus>,
    remote: Option<Res<super::net::Remote>>,
    limit: Res<TextureLimit>,
) {
    let remote = remote.as_ref().map(|r| r.base.as_str());
    if entered.read().last().is_some() {
        *status = PanoramaStatus::Loading;
        // The scene's own panorama first, alone, so it is ready as soon as possible; while it
        // loads (on a slow link, seconds) its small preview shows in its place...
        if let Some(scene) = current.scene(&tour) {
            if !cache.is_ready(&scene.panorama)
                && let Some(preview) = preview_of(scene)
            {
                cache.request(&preview, &tour.0.assets_dir, remote, limit.0);
            }
            cache.request(&scene.panorama, &tour.0.assets_dir, remote, limit.0);
        }
        return;
    }
    // ...then the neighbours, once it is on screen (or has failed).
    if !matches!(*status, PanoramaStatus::Loading | PanoramaStatus::Preview) && cache.is_changed() {
        for key in wanted(&tour, &current).iter().skip(1) {
            if cache.get(key).is_none() {
                cache.request(key, &tour.0.assets_dir, remote, limit.0);
            }
        }
    }
}

fn finish_loads(
    mut cache: ResMut<PanoramaCache>,
    mut images: ResMut<Assets<Image>>,
    mut equirects: ResMut<Assets<EquirectMaterial>>,
    mut tiles: ResMut<Assets<TileMaterial>>,
) {
    // Touch the cache only while something is loading: neighbours are requested on its changes.
    if !cache.entries.values().any(|(e, _)| matches!(e, Entry::Loading(_))) {
        return;
    }
    let mut done = false;
    for (key, (entry, _)) in cache.entries.iter_mut() {
        if let Entry::Loading(task) = entry
            && let Some(result) = check_ready(task)
        {
            *entry = match result {
                Ok(decoded) => Entry::Ready(upload(decoded, &mut images, &mut equirects, &mut tiles)),
                Err(e) => {
                    error!("{e}");
                    Entry::Failed(e)
                }
            };
            debug!("panorama {key:?} finished");
            done = true;
        }
    }
    if done {
        cache.evict(&mut images, &mut equirects, &mut tiles);
    }
}

/// Hand decoded images to the GPU, with the material that draws them.
fn upload(
    decoded: Decoded,
    images: &mut Assets<Image>,
    equirects: &mut Assets<EquirectMaterial>,
    tiles: &mut Assets<TileMaterial>,
) -> Ready {
    match decoded {
        Decoded::Equirect { halves, split } => {
            let handles: Vec<Handle<Image>> =
                halves.into_iter().map(|h| images.add(gpu_image(h.width, h.height, h.rgba))).collect();
            let left = handles[0].clone();
            let right = handles.get(1).cloned().unwrap_or_else(|| left.clone());
            let material = equirects.add(EquirectMaterial { left, right, params: Vec4::new(split, 0.0, 0.0, 0.0) });
            Ready { images: handles, look: Look::Equirect(material) }
        }
        Decoded::Faces(faces) => {
            let handles: Vec<Handle<Image>> =
                faces.into_iter().map(|f| images.add(gpu_image(f.width, f.height, f.rgba))).collect();
            let materials = handles.iter().map(|h| tiles.add(TileMaterial { image: h.clone() })).collect();
            Ready { images: handles, look: Look::Faces(materials) }
        }
    }
}

/// A scene's preview while its panorama loads: a pyramid's own small equirectangular preview,
/// else the scene's thumbnail.
pub fn preview_of(scene: &crate::tour::Scene) -> Option<Panorama> {
    if let Some(m) = scene.panorama.multires() {
        return Some(Panorama::Equirect(m.preview));
    }
    scene
        .thumbnail
        .as_ref()
        .filter(|t| !scene.panorama.assets().contains(&t.as_str()))
        .map(|t| Panorama::Equirect(t.clone()))
}

/// The panorama drawn now, and the entities that draw it.
#[derive(Resource, Default)]
pub struct OnScreen {
    pub key: Option<PanoramaKey>,
    entities: Vec<Entity>,
}

/// Marks the meshes that draw the panorama.
#[derive(Component)]
pub struct PanoramaSurface;

/// A cube around the camera for equirectangular images (one mesh for all).
#[derive(Resource)]
struct SkyCube(Handle<Mesh>);

#[allow(clippy::too_many_arguments)]
fn show_current(
    mut commands: Commands,
    tour: Res<TourData>,
    current: Res<Current>,
    cache: Res<PanoramaCache>,
    mut status: ResMut<PanoramaStatus>,
    mut on_screen: ResMut<OnScreen>,
    mut meshes: ResMut<Assets<Mesh>>,
    sky: Option<Res<SkyCube>>,
) {
    let Some(scene) = current.scene(&tour) else { return };
    let (show, next) = match cache.get(&scene.panorama) {
        Some(Entry::Ready(r)) => (Some((scene.panorama.clone(), r)), PanoramaStatus::Shown),
        Some(Entry::Failed(e)) => (None, PanoramaStatus::Failed(e.clone())),
        _ => match preview_of(scene).and_then(|p| cache.get(&p).map(|e| (p, e))) {
            Some((p, Entry::Ready(r))) => (Some((p, r)), PanoramaStatus::Preview),
            _ => (None, PanoramaStatus::Loading),
        },
    };
    if let Some((key, ready)) = show
        && on_screen.key.as_ref() != Some(&key)
    {
        for e in on_screen.entities.drain(..) {
            commands.entity(e).despawn();
        }
        let cube = match &sky {
            Some(s) => s.0.clone(),
            None => {
                let h = meshes.add(Cuboid::from_length(2.0 * CUBE_RADIUS));
                commands.insert_resource(SkyCube(h.clone()));
                h
            }
        };
        match &ready.look {
            Look::Equirect(m) => {
                let e = commands.spawn((Mesh3d(cube), MeshMaterial3d(m.clone()), PanoramaSurface, Transform::IDENTITY));
                on_screen.entities.push(e.id());
            }
            Look::Faces(ms) => {
                for (face, m) in CUBE_FACES.iter().zip(ms) {
                    let quad = meshes.add(face_quad(*face, [-1.0, -1.0, 1.0, 1.0], tile_radius(1)));
                    let e =
                        commands.spawn((Mesh3d(quad), MeshMaterial3d(m.clone()), PanoramaSurface, Transform::IDENTITY));
                    on_screen.entities.push(e.id());
                }
            }
        }
        on_screen.key = Some(key);
    }
    if *status != next {
        *status = next;
    }
}
