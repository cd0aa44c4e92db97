//! The keyboard's help panel (`?` or F1; Esc closes it) and the "skip to narration" key (N).
//!
//! The list of keys is [`crate::a11y::keys`], the same the browser's text layer shows. The panel
//! is one more node in the AccessKit tree, so a screen reader reads it when it opens.

use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;

use super::Settings;
use super::a11y::{Spoken, say};
use super::narration::Playback;
use super::ui::{Panel, Typing};

pub struct HelpPlugin;

impl Plugin for HelpPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Help>().add_systems(Startup, spawn).add_systems(Update, (keys, show).chain());
    }
}

/// Whether the help panel is open.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Help(pub bool);

#[derive(Component)]
pub struct HelpPanel;

#[derive(Component)]
struct HelpText;

fn spawn(mut commands: Commands) {
    commands
        .spawn((
            HelpPanel,
            Name::new("keyboard help"),
            Node {
                position_type: PositionType::Absolute,
                left: Val::Percent(50.0),
                top: Val::Px(40.0),
                margin: UiRect::left(Val::Px(-260.0)),
                width: Val::Px(520.0),
                padding: UiRect::all(Val::Px(16.0)),
                border: UiRect::all(Val::Px(2.0)),
                border_radius: BorderRadius::all(Val::Px(8.0)),
                flex_direction: FlexDirection::Column,
                display: Display::None,
                ..default()
            },
            BackgroundColor(Color::srgba(0.05, 0.05, 0.06, 0.96)),
            BorderColor::all(Color::srgb(0.96, 0.84, 0.48)),
            GlobalZIndex(40),
            bevy::a11y::AccessibilityNode(accesskit::Node::new(accesskit::Role::Dialog)),
        ))
        .with_children(|p| {
            p.spawn((
                HelpText,
                Text::new(""),
                TextFont { font_size: bevy::text::FontSize::Px(16.0), ..default() },
                TextColor(Color::WHITE),
                bevy::ui::widget::Label,
            ));
        });
}

/// `?` (or F1) opens and closes the help, Esc closes it; N opens the narration's transcript
/// and says where the narration is.
#[allow(clippy::too_many_arguments)]
fn keys(
    mut typed: MessageReader<KeyboardInput>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Res<Typing>,
    settings: Res<Settings>,
    playback: Res<Playback>,
    mut help: ResMut<Help>,
    mut panel: ResMut<Panel>,
    mut spoken: ResMut<Spoken>,
) {
    let question =
        typed.read().any(|k| k.state.is_pressed() && matches!(&k.logical_key, Key::Character(c) if c.as_str() == "?"));
    if typing.0 {
        return;
    }
    let Some(keys) = keys else { return };
    if question || keys.just_pressed(KeyCode::F1) {
        help.0 = !help.0;
    } else if help.0 && keys.just_pressed(KeyCode::Escape) {
        help.0 = false;
    }
    if keys.just_pressed(KeyCode::KeyN) {
        *panel = Panel::Transcript;
        let zh = settings.lang == crate::tour::Lang::Zh;
        let text = match &playback.track {
            None if zh => "本场景没有解说。".to_string(),
            None => "This scene has no narration.".to_string(),
            Some(_) => {
                let c = &playback.clock;
                let at = crate::narration::mmss;
                match (zh, c.playing) {
                    (true, true) => format!("解说播放中，{} / {}。空格键暂停。", at(c.position), at(c.duration)),
                    (true, false) => format!("解说已暂停，{} / {}。空格键播放。", at(c.position), at(c.duration)),
                    (false, true) => {
                        format!("Narration playing, {} of {}. Space pauses.", at(c.position), at(c.duration))
                    }
                    (false, false) => {
                        format!("Narration paused, {} of {}. Space plays.", at(c.position), at(c.duration))
                    }
                }
            }
        };
        say(&mut spoken, text);
    }
}

fn show(
    help: Res<Help>,
    settings: Res<Settings>,
    mut panels: Query<(&mut Node, &mut bevy::a11y::AccessibilityNode), With<HelpPanel>>,
    mut texts: Query<&mut Text, With<HelpText>>,
) {
    if !help.is_changed() && !settings.is_changed() {
        return;
    }
    let zh = settings.lang == crate::tour::Lang::Zh;
    let title = if zh { "键盘按键（? 关闭）" } else { "Keyboard keys (? closes)" };
    let lines: Vec<String> =
        crate::a11y::keys(settings.lang, false).iter().map(|(k, what)| format!("{k:<16} {what}")).collect();
    for (mut node, mut a) in &mut panels {
        node.display = if help.0 { Display::Flex } else { Display::None };
        a.set_label(title);
    }
    for mut t in &mut texts {
        t.0 = format!("{title}\n\n{}", lines.join("\n"));
    }
}
