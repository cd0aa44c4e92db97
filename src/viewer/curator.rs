//! Aids for curators: changed scene files reload in place (a mistake shows the `cloudhall check`
//! message instead of crashing), and F2 places hotspots by pointing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bevy::prelude::*;

use super::hotspots::Placement;
use super::look::{Look, PointerState, ViewportSize};
use super::nav::{Current, SceneEntered};
use super::panorama::PanoramaCache;
use super::ui::{PlacementReadout, Problems};
use super::{TourData, start_position};

pub struct CuratorPlugin {
    pub dir: PathBuf,
    pub watch: bool,
}

impl Plugin for CuratorPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, placement);
        if self.watch {
            app.insert_resource(Watch { dir: self.dir.clone(), stamps: BTreeMap::new(), timer: 0.0 })
                .add_systems(Startup, |mut w: ResMut<Watch>| w.stamps = w.scan())
                .add_systems(Update, reload_changed);
        }
    }
}

/// How often the scene folder is looked at, seconds.
const WATCH_EVERY: f32 = 0.5;

/// The modification times of the tour's files as last seen.
#[derive(Resource)]
pub struct Watch {
    dir: PathBuf,
    stamps: BTreeMap<PathBuf, SystemTime>,
    timer: f32,
}

impl Watch {
    fn scan(&self) -> BTreeMap<PathBuf, SystemTime> {
        let mut out = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "ron")
                    && let Ok(t) = e.metadata().and_then(|m| m.modified())
                {
                    out.insert(p, t);
                }
            }
        }
        out
    }
}

/// At most this many diagnostics are shown in the viewer; `cloudhall check` lists them all.
const SHOWN: usize = 6;

#[allow(clippy::too_many_arguments)]
fn reload_changed(
    time: Res<Time>,
    mut watch: ResMut<Watch>,
    mut tour: ResMut<TourData>,
    mut current: ResMut<Current>,
    mut problems: ResMut<Problems>,
    mut cache: ResMut<PanoramaCache>,
    mut look: ResMut<Look>,
    mut entered: MessageWriter<SceneEntered>,
) {
    watch.timer += time.delta_secs();
    if watch.timer < WATCH_EVERY {
        return;
    }
    watch.timer = 0.0;
    let stamps = watch.scan();
    if stamps == watch.stamps {
        return;
    }
    watch.stamps = stamps;
    let loaded = crate::tour::load(&watch.dir);
    match loaded.into_result() {
        Ok(new) => {
            info!("{}: reloaded ({})", watch.dir.display(), new.summary());
            let old_pano = current.scene(&tour).map(|s| s.panorama.clone());
            let new_tour = Arc::new(new);
            // Stay in the same scene when it still exists; otherwise go to the tour's start.
            let here = start_position(&new_tour, Some(&current.site), Some(&current.scene))
                .or_else(|_| start_position(&new_tour, None, None));
            tour.0 = new_tour;
            problems.tour = None;
            if let Ok(here) = here {
                if *current != here {
                    *current = here;
                }
                if let Some(scene) = current.scene(&tour) {
                    // The curator may have changed the view limits.
                    let view = look.view;
                    look.set(view, crate::pano::Limits::from(&scene.limits));
                    if old_pano.as_ref() != Some(&scene.panorama)
                        && let Some(p) = old_pano
                    {
                        cache.invalidate(&p);
                    }
                }
                entered.write(SceneEntered { site: current.site.clone(), scene: current.scene.clone() });
            }
        }
        Err(diags) => {
            let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
            let mut msg = errors.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("\n");
            if errors.len() > SHOWN {
                msg.push_str(&format!(
                    "\n… {} more: run `cloudhall check {}`",
                    errors.len() - SHOWN,
                    watch.dir.display()
                ));
            }
            warn!("the changed tour has errors; still showing the last good version:\n{msg}");
            problems.tour = Some(msg);
        }
    }
}

/// A ready-to-paste hotspot line for scene files.
pub fn hotspot_line(yaw: f32, pitch: f32) -> String {
    format!(
        "(id: \"new-hotspot\", yaw: {:.1}, pitch: {:.1}, kind: Info(title: (zh: \"\", en: \"\"), body: (zh: \"\", en: \"\"))),",
        crate::pano::wrap_yaw(yaw),
        pitch
    )
}

fn placement(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    pointer: Res<PointerState>,
    look: Res<Look>,
    vp: Res<ViewportSize>,
    mut placement: ResMut<Placement>,
    mut readout: Query<&mut Text, With<PlacementReadout>>,
) {
    if keys.as_ref().is_some_and(|k| k.just_pressed(KeyCode::F2)) {
        placement.active = !placement.active;
        info!("placement mode {}", if placement.active { "on: click to copy a hotspot line" } else { "off" });
    }
    if !placement.active {
        return;
    }
    let Some(at) = pointer.position else { return };
    let (yaw, pitch) = look.view.unproject(&vp.0, at.x, at.y);
    for mut t in &mut readout {
        t.0 = format!(" F2  yaw {yaw:.1}°  pitch {pitch:.1}° ");
    }
    if let Some(click) = pointer.clicked {
        let (yaw, pitch) = look.view.unproject(&vp.0, click.x, click.y);
        let line = hotspot_line(yaw, pitch);
        info!("hotspot line: {line}");
        copy_to_clipboard(&line);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn copy_to_clipboard(text: &str) {
    match arboard::Clipboard::new().and_then(|mut c| c.set_text(text.to_string())) {
        Ok(()) => info!("copied to the clipboard"),
        Err(e) => warn!("clipboard unavailable ({e}); copy the line from the log"),
    }
}

#[cfg(target_arch = "wasm32")]
fn copy_to_clipboard(_text: &str) {
    info!("copy the line from the console");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_line_is_valid_ron_for_a_hotspot() {
        let line = hotspot_line(370.04, -12.345);
        assert!(line.contains("yaw: 10.0") && line.contains("pitch: -12.3"), "{line}");
        let h: crate::tour::Hotspot = ron::from_str(line.trim_end_matches(',')).expect("parses as a hotspot");
        assert_eq!(h.yaw, 10.0);
    }
}
