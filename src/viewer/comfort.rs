//! Comfort settings: reduced motion, the interface's and the subtitles' size, high contrast.
//!
//! Three sources, the first that says wins: what a link or the command line gives
//! (`?motion=reduce&scale=150&subtitles=150&contrast=more`, `--reduced-motion --ui-scale 150`),
//! what the visitor chose last time (kept with the languages, [`super::prefs`]), and the
//! system's preference (the browser's `prefers-reduced-motion` and `prefers-contrast`). A change
//! made in the hall (the screen-reader layer's settings, or the keys [ ] F7 F8 F9) is kept.

use bevy::prelude::*;
use bevy::ui::UiScale;

use super::look::Autorotate;
use super::narration_ui::SubtitleText;
use super::prefs::Remembered;
use super::ui::Typing;
use crate::a11y::{Comfort, ComfortChoice};

pub struct ComfortPlugin {
    /// Given by a link or the command line.
    pub given: ComfortChoice,
}

impl Plugin for ComfortPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Sources { given: self.given, system: system_preference(), started: false })
            .insert_resource(Settings(Comfort::default()))
            .add_message::<ComfortChange>()
            .add_systems(Update, (start, keys, change, apply_scale, apply_motion, apply_subtitles).chain())
            .add_systems(PostUpdate, apply_contrast);
    }
}

/// The comfort settings in force.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Deref)]
pub struct Settings(pub Comfort);

#[derive(Resource)]
struct Sources {
    given: ComfortChoice,
    system: ComfortChoice,
    started: bool,
}

/// The visitor changed some settings (the fields given).
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct ComfortChange(pub ComfortChoice);

/// The browser's `prefers-reduced-motion: reduce` and `prefers-contrast: more`.
fn system_preference() -> ComfortChoice {
    #[cfg(target_arch = "wasm32")]
    {
        let matches = |q: &str| {
            web_sys::window().and_then(|w| w.match_media(q).ok().flatten()).map(|m| m.matches()).filter(|m| *m)
        };
        ComfortChoice {
            reduced_motion: matches("(prefers-reduced-motion: reduce)"),
            high_contrast: matches("(prefers-contrast: more)"),
            ..Default::default()
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    ComfortChoice::default()
}

/// Once the remembered settings are read: the settings in force.
fn start(mut sources: ResMut<Sources>, remembered: Res<Remembered>, mut settings: ResMut<Settings>) {
    if sources.started {
        return;
    }
    sources.started = true;
    let c = sources.given.over(remembered.prefs.comfort).over(sources.system).resolve();
    if c != Comfort::default() {
        info!("comfort settings: {c:?}");
    }
    settings.0 = c;
}

/// `[` and `]` make the interface smaller and larger, F7 reduces motion (or stops reducing it),
/// F8 turns high contrast on and off, F9 steps the subtitles' size (keys nothing else uses).
fn keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<Typing>,
    settings: Res<Settings>,
    mut out: MessageWriter<ComfortChange>,
) {
    let Some(keys) = keys.filter(|_| !typing.0) else { return };
    let c = settings.0;
    let step = |v: u16, by: i32| Some((v as i32 + by).clamp(100, 200) as u16);
    let choice = if keys.just_pressed(KeyCode::BracketRight) {
        ComfortChoice { ui_scale: step(c.ui_scale, 25), ..default() }
    } else if keys.just_pressed(KeyCode::BracketLeft) {
        ComfortChoice { ui_scale: step(c.ui_scale, -25), ..default() }
    } else if keys.just_pressed(KeyCode::F7) {
        ComfortChoice { reduced_motion: Some(!c.reduced_motion), ..default() }
    } else if keys.just_pressed(KeyCode::F8) {
        ComfortChoice { high_contrast: Some(!c.high_contrast), ..default() }
    } else if keys.just_pressed(KeyCode::F9) {
        ComfortChoice {
            subtitle_scale: Some(if c.subtitle_scale >= 200 { 100 } else { c.subtitle_scale + 50 }),
            ..default()
        }
    } else {
        return;
    };
    out.write(ComfortChange(choice));
}

/// A change wins over the link's setting for the rest of the visit, and is kept for the next.
fn change(
    mut changes: MessageReader<ComfortChange>,
    mut sources: ResMut<Sources>,
    mut remembered: ResMut<Remembered>,
    mut settings: ResMut<Settings>,
) {
    for ComfortChange(choice) in changes.read() {
        let kept = choice.over(remembered.prefs.comfort);
        remembered.keep_comfort(kept);
        sources.given = choice.over(sources.given);
        let c = sources.given.over(kept).over(sources.system).resolve();
        if c != settings.0 {
            info!("comfort settings: {c:?}");
            settings.0 = c;
        }
    }
}

fn apply_scale(settings: Res<Settings>, mut scale: ResMut<UiScale>) {
    let want = f32::from(settings.ui_scale) / 100.0;
    if (scale.0 - want).abs() > f32::EPSILON {
        scale.0 = want;
    }
}

/// Reduced motion: no autorotation (it comes back when motion is allowed again, if it was on).
fn apply_motion(settings: Res<Settings>, mut auto: ResMut<Autorotate>, mut held: Local<Option<bool>>) {
    if !settings.is_changed() {
        return;
    }
    match (settings.reduced_motion, *held) {
        (true, None) => {
            *held = Some(auto.enabled);
            auto.enabled = false;
        }
        (false, Some(was)) => {
            auto.enabled = was;
            *held = None;
        }
        _ => {}
    }
}

/// The subtitles' size, from their normal 24 px (17 px in the folded phone layout).
fn apply_subtitles(
    settings: Res<Settings>,
    compact: Res<super::phone::Compact>,
    mut texts: Query<&mut TextFont, With<SubtitleText>>,
) {
    let base = if compact.on == Some(true) { 17.0 } else { 24.0 };
    let px = base * f32::from(settings.subtitle_scale) / 100.0;
    for mut f in &mut texts {
        if f.font_size != FontSize::Px(px) {
            f.font_size = FontSize::Px(px);
        }
    }
}

/// A panel's own colour, kept while high contrast covers it.
#[derive(Component)]
struct Own(Color);

/// High contrast: every see-through panel becomes opaque, dark ones black; turned off, each gets
/// its own colour back. Runs after the frame's UI systems have set their colours, and looks only
/// at the colours they set (or every one, when the setting changed).
fn apply_contrast(
    mut commands: Commands,
    settings: Res<Settings>,
    mut panels: Query<(Entity, &mut BackgroundColor, Option<&Own>), With<Node>>,
) {
    if !settings.high_contrast && !settings.is_changed() {
        return;
    }
    for (e, mut bg, own) in &mut panels {
        if !settings.is_changed() && !bg.is_changed() {
            continue;
        }
        match (settings.high_contrast, own) {
            (true, _) => {
                let c = bg.0.to_srgba();
                if c.alpha <= 0.02 || c.alpha >= 0.999 && own.is_some() {
                    continue;
                }
                if own.is_none() {
                    commands.entity(e).try_insert(Own(bg.0));
                }
                let dark = 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue < 0.5;
                bg.0 = if dark { Color::BLACK } else { Color::srgb(c.red, c.green, c.blue) };
            }
            (false, Some(Own(color))) => {
                bg.0 = *color;
                commands.entity(e).try_remove::<Own>();
            }
            (false, None) => {}
        }
    }
}
