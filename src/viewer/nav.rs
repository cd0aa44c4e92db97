//! Where the visitor is: the current site and scene, and moving between scenes with a fade.

use bevy::prelude::*;

use super::look::Look;
use super::{StartView, TourData};
use crate::pano::{Limits, ViewState};
use crate::tour::{Scene, Site, View};

pub struct NavPlugin;

impl Plugin for NavPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<GoTo>()
            .add_message::<SceneEntered>()
            .init_resource::<Fade>()
            .add_systems(Startup, enter_first_scene)
            .add_systems(Update, (go_to, fade).chain().in_set(NavSystems));
    }
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct NavSystems;

/// The site and scene on screen.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub site: String,
    pub scene: String,
}

impl Current {
    pub fn site<'a>(&self, tour: &'a TourData) -> Option<&'a Site> {
        tour.0.site(&self.site)
    }

    pub fn scene<'a>(&self, tour: &'a TourData) -> Option<&'a Scene> {
        self.site(tour)?.scene(&self.scene)
    }
}

/// Ask to move to a scene (of any site), optionally facing a given view.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct GoTo {
    pub site: String,
    pub scene: String,
    pub view: Option<View>,
}

/// A scene was entered (also the first one): panorama, hotspots and UI follow it.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct SceneEntered {
    pub site: String,
    pub scene: String,
}

/// The black veil drawn over the panorama while scenes change: 0 clear, 1 black.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Fade {
    pub alpha: f32,
}

/// How dark a scene change starts, and how fast it clears (per second).
const FADE_START: f32 = 0.85;
const FADE_SPEED: f32 = 3.0;

fn enter_first_scene(
    current: Res<Current>,
    tour: Res<TourData>,
    start: Option<Res<StartView>>,
    mut look: ResMut<Look>,
    mut entered: MessageWriter<SceneEntered>,
) {
    if let Some(scene) = current.scene(&tour) {
        let mut view = ViewState::from(&scene.view);
        if let Some(s) = start {
            view.yaw = s.yaw.unwrap_or(view.yaw);
            view.pitch = s.pitch.unwrap_or(view.pitch);
            view.hfov = s.hfov.unwrap_or(view.hfov);
        }
        look.set(view, Limits::from(&scene.limits));
    }
    entered.write(SceneEntered { site: current.site.clone(), scene: current.scene.clone() });
}

fn go_to(
    mut requests: MessageReader<GoTo>,
    tour: Res<TourData>,
    mut current: ResMut<Current>,
    mut look: ResMut<Look>,
    mut fade: ResMut<Fade>,
    comfort: Option<Res<super::comfort::Settings>>,
    mut entered: MessageWriter<SceneEntered>,
) {
    // Several requests in one frame: the last one wins.
    let Some(req) = requests.read().last().cloned() else { return };
    let Some(scene) = tour.0.site(&req.site).and_then(|s| s.scene(&req.scene)) else {
        warn!("no scene `{}` in site `{}`; staying where we are", req.scene, req.site);
        return;
    };
    let view = req.view.as_ref().unwrap_or(&scene.view);
    look.set(ViewState::from(view), Limits::from(&scene.limits));
    *current = Current { site: req.site.clone(), scene: req.scene.clone() };
    // Reduced motion: a cut, not a fade.
    fade.alpha = if comfort.is_some_and(|c| c.reduced_motion) { 0.0 } else { FADE_START };
    info!("entering {}/{}", req.site, req.scene);
    entered.write(SceneEntered { site: req.site, scene: req.scene });
}

fn fade(time: Res<Time>, mut fade: ResMut<Fade>) {
    if fade.alpha > 0.0 {
        fade.alpha = (fade.alpha - FADE_SPEED * time.delta_secs()).max(0.0);
    }
}
