//! The hall's visit counter (访问量), as the real hall announces its visits: on the city map and
//! on each site's card. It comes from the server's memory (`/api/v1/visits/count`, no query
//! behind it), read when the map opens and again every minute while it stays open.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use bevy::prelude::*;
use serde_json::Value;

use super::Settings;
use super::map::MapState;
use super::net::Remote;
use super::ui::{PANEL_BG, label};
use crate::api::thousands;
use crate::tour::Lang;

/// Seconds between readings while the map is open.
const EVERY: f64 = 60.0;

pub struct VisitCountPlugin;

impl Plugin for VisitCountPlugin {
    fn build(&self, app: &mut App) {
        let (tx, rx) = channel();
        app.init_resource::<VisitCounts>()
            .insert_resource(Replies { tx, rx: Mutex::new(rx) })
            .add_systems(Startup, spawn_total)
            .add_systems(Update, (refresh, receive, show_total).chain());
    }
}

/// Visits so far, once the server has said.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct VisitCounts {
    pub total: Option<i64>,
    pub sites: HashMap<String, i64>,
}

impl VisitCounts {
    /// `访问量 310,000` or `310,000 visits`.
    pub fn line(n: i64, lang: Lang) -> String {
        match lang {
            Lang::Zh => format!("访问量 {}", thousands(n)),
            Lang::En => format!("{} visits", thousands(n)),
        }
    }
}

#[derive(Resource)]
struct Replies {
    tx: Sender<Value>,
    rx: Mutex<Receiver<Value>>,
}

#[derive(Component)]
struct TotalBox;

fn refresh(
    time: Res<Time>,
    map: Res<MapState>,
    remote: Option<Res<Remote>>,
    replies: Res<Replies>,
    mut next: Local<f64>,
) {
    let Some(remote) = remote else { return };
    let now = time.elapsed_secs_f64();
    if !(map.open || map.selected.is_some()) || now < *next {
        return;
    }
    *next = now + EVERY;
    let (url, tx) = (format!("{}/api/v1/visits/count", remote.base), replies.tx.clone());
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::spawn(move || match ureq::get(&url).call().map(|r| r.into_json::<Value>()) {
        Ok(Ok(v)) => {
            let _ = tx.send(v);
        }
        Ok(Err(e)) => warn!("the visit counter at {url} is not JSON: {e}"),
        Err(e) => warn!("could not read the visit counter at {url}: {e}"),
    });
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(async move {
        match super::io::request("GET", &url, None).await {
            Ok((200, body)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&body) {
                    let _ = tx.send(v);
                }
            }
            Ok((code, _)) => warn!("could not read the visit counter at {url}: {code}"),
            Err(e) => warn!("could not read the visit counter at {url}: {e}"),
        }
    });
}

fn receive(replies: Res<Replies>, mut counts: ResMut<VisitCounts>) {
    let Ok(rx) = replies.rx.lock() else { return };
    while let Ok(v) = rx.try_recv() {
        let sites: HashMap<String, i64> = v["sites"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, n)| Some((k.clone(), n.as_i64()?))).collect())
            .unwrap_or_default();
        let next = VisitCounts { total: v["total"].as_i64(), sites };
        if *counts != next {
            *counts = next;
        }
    }
}

/// The total, at the top of the city map.
fn spawn_total(mut commands: Commands) {
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                top: Val::Px(10.0),
                left: Val::Percent(0.0),
                right: Val::Percent(0.0),
                justify_content: JustifyContent::Center,
                display: Display::None,
                ..default()
            },
            GlobalZIndex(61),
            bevy::ui::FocusPolicy::Pass,
            TotalBox,
        ))
        .with_children(|p| {
            p.spawn((
                Node {
                    padding: UiRect::axes(Val::Px(12.0), Val::Px(4.0)),
                    border_radius: BorderRadius::all(Val::Px(12.0)),
                    ..default()
                },
                BackgroundColor(PANEL_BG),
            ))
            .with_children(|b| {
                b.spawn(label("", 16.0, Color::srgb(0.96, 0.84, 0.48)));
            });
        });
}

fn show_total(
    counts: Res<VisitCounts>,
    map: Res<MapState>,
    settings: Res<Settings>,
    mut boxes: Query<(&mut Node, &Children), With<TotalBox>>,
    children: Query<&Children>,
    mut texts: Query<&mut Text>,
) {
    if !counts.is_changed() && !map.is_changed() && !settings.is_changed() {
        return;
    }
    let shown = map.open && counts.total.is_some();
    for (mut node, kids) in &mut boxes {
        let d = if shown { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
        let Some(total) = counts.total else { continue };
        let line = VisitCounts::line(total, settings.lang);
        for pill in kids.iter() {
            for t in children.get(pill).into_iter().flat_map(|c| c.iter()) {
                if let Ok(mut text) = texts.get_mut(t)
                    && text.0 != line
                {
                    text.0 = line.clone();
                }
            }
        }
    }
}
