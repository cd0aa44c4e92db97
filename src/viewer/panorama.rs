//! Showing a scene's panorama: decoded and converted to a cubemap off the main thread, cached,
//! and preloaded for the scenes a visitor can walk to next, so a Go shows its panorama at once.
//!
//! Every panorama source ([`Panorama`]) becomes a [`CubeFaces`] in a background task; adding a
//! source kind (Pannellum cube faces, multires tiles) means a new arm in [`load_source`], nothing
//! else here.

use std::collections::HashMap;
use std::path::PathBuf;

use bevy::asset::RenderAssetUsages;
use bevy::image::Image;
use bevy::light::Skybox;
use bevy::prelude::*;
use bevy::render::render_resource::{
    Extent3d, TextureDimension, TextureFormat, TextureViewDescriptor, TextureViewDimension,
};
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::TourData;
use super::look::PanoramaCamera;
use super::nav::{Current, SceneEntered};
use crate::pano::{CubeFaces, cube};
use crate::tour::{HotspotKind, Panorama};

pub struct PanoramaPlugin;

impl Plugin for PanoramaPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PanoramaCache>()
            .init_resource::<PanoramaStatus>()
            .add_systems(Update, (request_for_scene, finish_loads, show_current).chain().in_set(PanoramaSystems));
    }
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanoramaSystems;

/// Largest cube face: WebGL2 guarantees 2048-pixel textures.
pub const MAX_FACE: u32 = 2048;
/// Panoramas kept converted at once (current, neighbours, a few recent ones, and the small
/// previews, which are tiny).
const CACHE_SIZE: usize = 12;
/// Skybox brightness that shows the image's colours 1:1 at the default exposure.
pub const SKYBOX_BRIGHTNESS: f32 = 1000.0;

/// What is known about one panorama.
pub enum Entry {
    Loading(Task<Result<CubeFaces, String>>),
    Ready(Handle<Image>),
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
    fn request(&mut self, key: &PanoramaKey, files: &PathBuf, remote: Option<&str>) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((_, used)) = self.entries.get_mut(key) {
            *used = tick;
            return;
        }
        let source = key.clone();
        let dir = files.clone();
        let remote = remote.map(str::to_string);
        let task = AsyncComputeTaskPool::get().spawn(async move {
            let started = bevy::platform::time::Instant::now();
            // Online, the files come from the server first (then from the cache).
            if let Some(base) = &remote {
                for rel in source.assets() {
                    super::net::fetch_asset_async(base, &dir, rel).await?;
                }
            }
            let result = load_source(&source, &dir);
            debug!("{source:?}: decoded and converted in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
            result
        });
        self.entries.insert(key.clone(), (Entry::Loading(task), tick));
    }

    /// Forget a panorama so the next request reads it again (its file changed).
    pub fn invalidate(&mut self, key: &PanoramaKey) {
        self.entries.remove(key);
    }

    /// Drop the least recently used ready entries beyond the cache size.
    fn evict(&mut self, images: &mut Assets<Image>) {
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
            if let Some((Entry::Ready(h), _)) = self.entries.remove(&oldest) {
                images.remove(&h);
            }
        }
    }
}

/// Whether the current scene's panorama is on screen, loading, or failed.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub enum PanoramaStatus {
    #[default]
    Loading,
    /// The scene's small preview (its thumbnail) is on screen while the panorama loads.
    Preview,
    Shown,
    /// The message names the file and what is wrong with it.
    Failed(String),
}

/// Read and convert one panorama source. Runs on a background thread.
pub fn load_source(source: &Panorama, assets: &std::path::Path) -> Result<CubeFaces, String> {
    match source {
        Panorama::Equirect(path) => {
            let file = assets.join(path);
            let bytes =
                super::io::read(&file).map_err(|e| format!("cannot show panorama {}: {}", file.display(), e.trim()))?;
            super::io::forget(&file);
            let img = image::load_from_memory(&bytes)
                .map_err(|e| format!("cannot show panorama {}: {}", file.display(), e.to_string().trim()))?
                .to_rgba8();
            drop(bytes);
            let (w, h) = img.dimensions();
            if w != 2 * h {
                return Err(format!("cannot show panorama {}: it is {w}x{h}, not 2:1", file.display()));
            }
            let size = cube::face_size(w, MAX_FACE);
            Ok(cube::equirect_to_cube(img.as_raw(), w, h, size))
        }
    }
}

/// A cubemap image from six faces, ready for a [`Skybox`].
pub fn cubemap_image(faces: CubeFaces) -> Image {
    let mut image = Image::new(
        Extent3d { width: faces.size, height: faces.size, depth_or_array_layers: 6 },
        TextureDimension::D2,
        faces.rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_view_descriptor =
        Some(TextureViewDescriptor { dimension: Some(TextureViewDimension::Cube), ..Default::default() });
    image
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
) {
    let remote = remote.as_ref().map(|r| r.base.as_str());
    if entered.read().last().is_some() {
        *status = PanoramaStatus::Loading;
        // The scene's own panorama first, alone, so it is ready as soon as possible; while it
        // loads (on a slow link, seconds) its small thumbnail shows in its place...
        if let Some(scene) = current.scene(&tour) {
            if !cache.is_ready(&scene.panorama)
                && let Some(preview) = preview_of(scene)
            {
                cache.request(&preview, &tour.0.assets_dir, remote);
            }
            cache.request(&scene.panorama, &tour.0.assets_dir, remote);
        }
        return;
    }
    // ...then the neighbours, once it is on screen (or has failed).
    if !matches!(*status, PanoramaStatus::Loading | PanoramaStatus::Preview) && cache.is_changed() {
        for key in wanted(&tour, &current).iter().skip(1) {
            if cache.get(key).is_none() {
                cache.request(key, &tour.0.assets_dir, remote);
            }
        }
    }
}

fn finish_loads(mut cache: ResMut<PanoramaCache>, mut images: ResMut<Assets<Image>>) {
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
                Ok(faces) => Entry::Ready(images.add(cubemap_image(faces))),
                Err(e) => {
                    error!("{e}");
                    Entry::Failed(e)
                }
            };
            let Panorama::Equirect(p) = key;
            debug!("panorama {p} finished");
            done = true;
        }
    }
    if done {
        cache.evict(&mut images);
    }
}

/// A scene's thumbnail, shown as a blurred panorama while the full one loads.
pub fn preview_of(scene: &crate::tour::Scene) -> Option<Panorama> {
    scene
        .thumbnail
        .as_ref()
        .filter(|t| !scene.panorama.assets().contains(&t.as_str()))
        .map(|t| Panorama::Equirect(t.clone()))
}

fn show_current(
    tour: Res<TourData>,
    current: Res<Current>,
    cache: Res<PanoramaCache>,
    mut status: ResMut<PanoramaStatus>,
    mut cams: Query<&mut Skybox, With<PanoramaCamera>>,
) {
    let Some(scene) = current.scene(&tour) else { return };
    let mut show = |handle: &Handle<Image>| {
        for mut sky in &mut cams {
            if sky.image.as_ref() != Some(handle) {
                sky.image = Some(handle.clone());
                sky.brightness = SKYBOX_BRIGHTNESS;
            }
        }
    };
    let next = match cache.get(&scene.panorama) {
        Some(Entry::Ready(handle)) => {
            show(handle);
            PanoramaStatus::Shown
        }
        Some(Entry::Failed(e)) => PanoramaStatus::Failed(e.clone()),
        _ => match preview_of(scene).and_then(|p| cache.get(&p)) {
            Some(Entry::Ready(handle)) => {
                show(handle);
                PanoramaStatus::Preview
            }
            _ => PanoramaStatus::Loading,
        },
    };
    if *status != next {
        *status = next;
    }
}
