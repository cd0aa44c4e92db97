//! The narration controls: play/pause, a progress bar that seeks, elapsed and total time, speed,
//! volume and mute, subtitles (zh, en or off), the transcript, and the guided-tour buttons.

use bevy::prelude::*;
use bevy::ui::RelativeCursorPosition;

use super::narration::{AudioSettings, GuidedTour, NarrationCommand, Playback, Subtitles};
use super::nav::{Current, SceneEntered};
use super::ui::{LocalText, Panel, Problems, label};
use super::{Settings, TourData};
use crate::a11y::NarrationDo;
use crate::narration::{GuideState, mmss, speed_label};
use crate::tour::{Lang, Text as Bilingual};

pub struct NarrationUiPlugin;

impl Plugin for NarrationUiPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, build_bar).add_systems(
            Update,
            (actions, keys, seek_bar, bar, subtitle, transcript, guide_status, problems)
                .chain()
                .before(super::narration::NarrationSystems),
        );
    }
}

/// What a narration control does.
#[derive(Component, Debug, Clone, PartialEq)]
pub enum NarrationAction {
    Command(NarrationCommand),
    /// Start the guided tour of the current site.
    GuideHere,
    ToggleTranscript,
    VolumeStep(f32),
}

#[derive(Component)]
struct PlayLabel;
#[derive(Component)]
struct TimeLabel;
#[derive(Component)]
pub struct ProgressTrack;
#[derive(Component)]
struct ProgressFill;
#[derive(Component)]
struct SpeedLabel;
#[derive(Component)]
struct VolumeLabel;
#[derive(Component)]
struct MuteLabel;
#[derive(Component)]
struct SubtitleModeLabel;
#[derive(Component)]
pub struct SubtitleBox;
/// The row holding the subtitle, above the narration bar.
#[derive(Component)]
pub struct SubtitleRow;
/// How high the subtitle sits until the narration bar has been laid out (then
/// [`super::phone`] keeps it just above the bar).
pub const SUBTITLE_BOTTOM: f32 = 172.0;
#[derive(Component)]
pub struct SubtitleText;
#[derive(Component)]
struct TranscriptPanel;
#[derive(Component)]
struct TranscriptCue(usize);
#[derive(Component)]
struct GuideLabel;
#[derive(Component)]
struct ResumeButton;
#[derive(Component)]
struct NextSiteButton;
#[derive(Component)]
pub struct NarrationBar;
/// The narration controls beyond play, time, progress and subtitles: behind "more" on a phone.
#[derive(Component)]
pub struct NarrationExtra;
/// The "more" button of the narration bar (shown on a phone).
#[derive(Component)]
pub struct NarrationMore;

const BAR_BG: Color = Color::srgba(0.08, 0.08, 0.10, 0.86);
const GOLD: Color = Color::srgb(0.96, 0.84, 0.48);

fn small_button(action: impl Bundle) -> impl Bundle {
    (Button, action, small_node(), BackgroundColor(Color::srgba(0.2, 0.2, 0.24, 0.9)))
}

/// The layout of a narration button.
fn small_node() -> Node {
    Node {
        padding: UiRect::axes(Val::Px(10.0), Val::Px(6.0)),
        margin: UiRect::horizontal(Val::Px(3.0)),
        border_radius: BorderRadius::all(Val::Px(5.0)),
        justify_content: JustifyContent::Center,
        align_items: AlignItems::Center,
        ..default()
    }
}

fn build_bar(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang;
    let cmd = NarrationAction::Command;
    commands
        .spawn((
            NarrationBar,
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(12.0),
                right: Val::Px(110.0),
                bottom: Val::Px(116.0),
                flex_direction: FlexDirection::Row,
                align_items: AlignItems::Center,
                flex_wrap: FlexWrap::Wrap,
                padding: UiRect::all(Val::Px(6.0)),
                border_radius: BorderRadius::all(Val::Px(8.0)),
                ..default()
            },
            BackgroundColor(BAR_BG),
            Interaction::default(),
            bevy::ui::FocusPolicy::Block,
            GlobalZIndex(12),
        ))
        .with_children(|bar| {
            bar.spawn(small_button(cmd(NarrationCommand::TogglePlay))).with_children(|b| {
                b.spawn((label("▶", 18.0, Color::WHITE), PlayLabel));
            });
            bar.spawn((
                label("0:00 / 0:00", 15.0, Color::WHITE),
                TimeLabel,
                Node { margin: UiRect::horizontal(Val::Px(6.0)), ..default() },
            ));
            bar.spawn((
                ProgressTrack,
                super::a11y::A11yName::new("解说进度", "Narration position"),
                Button,
                RelativeCursorPosition::default(),
                Node {
                    width: Val::Px(260.0),
                    height: Val::Px(12.0),
                    margin: UiRect::horizontal(Val::Px(6.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    ..default()
                },
                BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.25)),
            ))
            .with_children(|t| {
                t.spawn((
                    ProgressFill,
                    Node {
                        width: Val::Percent(0.0),
                        height: Val::Percent(100.0),
                        border_radius: BorderRadius::all(Val::Px(6.0)),
                        ..default()
                    },
                    BackgroundColor(GOLD),
                    bevy::ui::FocusPolicy::Pass,
                ));
            });
            bar.spawn(small_button(cmd(NarrationCommand::CycleSubtitles))).with_children(|b| {
                b.spawn((label("", 15.0, Color::WHITE), SubtitleModeLabel));
            });
            // Shown on a phone only (super::phone sets its display).
            bar.spawn(small_button(NarrationMore))
                .insert(Node { display: Display::None, ..small_node() })
                .with_children(|b| {
                    b.spawn(label("…", 18.0, Color::WHITE));
                });
            bar.spawn((small_button(cmd(NarrationCommand::CycleSpeed)), NarrationExtra)).with_children(|b| {
                b.spawn((label("1.0x", 15.0, Color::WHITE), SpeedLabel));
            });
            bar.spawn((small_button(NarrationAction::VolumeStep(-0.1)), NarrationExtra)).with_children(|b| {
                b.spawn(label("−", 16.0, Color::WHITE));
            });
            bar.spawn((label("80%", 14.0, Color::WHITE), VolumeLabel, NarrationExtra));
            bar.spawn((small_button(NarrationAction::VolumeStep(0.1)), NarrationExtra)).with_children(|b| {
                b.spawn(label("+", 16.0, Color::WHITE));
            });
            bar.spawn((small_button(cmd(NarrationCommand::ToggleMute)), NarrationExtra)).with_children(|b| {
                b.spawn((label("", 15.0, Color::WHITE), MuteLabel));
            });
            bar.spawn((small_button(NarrationAction::ToggleTranscript), NarrationExtra)).with_children(|b| {
                b.spawn(local(&Bilingual::new("文稿", "Transcript"), lang, 15.0));
            });
            bar.spawn((small_button(NarrationAction::GuideHere), NarrationExtra))
                .insert(BackgroundColor(Color::srgb(0.62, 0.12, 0.12)))
                .with_children(|b| {
                    b.spawn(local(&Bilingual::new("一键导览", "Guided tour"), lang, 15.0));
                });
            bar.spawn((
                label("", 14.0, GOLD),
                GuideLabel,
                NarrationExtra,
                Node { margin: UiRect::horizontal(Val::Px(6.0)), ..default() },
            ));
            bar.spawn((small_button(NarrationAction::Command(NarrationCommand::ResumeGuide)), ResumeButton))
                .insert(Node {
                    display: Display::None,
                    padding: UiRect::axes(Val::Px(10.0), Val::Px(6.0)),
                    ..default()
                })
                .with_children(|b| {
                    b.spawn(local(&Bilingual::new("继续导览", "Resume tour"), lang, 15.0));
                });
            bar.spawn((small_button(NarrationAction::Command(NarrationCommand::NextSite)), NextSiteButton))
                .insert(Node {
                    display: Display::None,
                    padding: UiRect::axes(Val::Px(10.0), Val::Px(6.0)),
                    ..default()
                })
                .with_children(|b| {
                    b.spawn(local(&Bilingual::new("下一展馆", "Next site"), lang, 15.0));
                });
        });
    // The subtitle, above the bar.
    commands
        .spawn((
            SubtitleRow,
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(0.0),
                right: Val::Px(0.0),
                bottom: Val::Px(SUBTITLE_BOTTOM),
                justify_content: JustifyContent::Center,
                ..default()
            },
            bevy::ui::FocusPolicy::Pass,
            GlobalZIndex(11),
        ))
        .with_children(|row| {
            row.spawn((
                SubtitleBox,
                Node {
                    max_width: Val::Percent(80.0),
                    padding: UiRect::axes(Val::Px(14.0), Val::Px(6.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    display: Display::None,
                    ..default()
                },
                BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.7)),
                bevy::ui::FocusPolicy::Pass,
            ))
            .with_children(|b| {
                b.spawn((label("", 24.0, Color::WHITE), SubtitleText));
            });
        });
    // The transcript, a panel on the left.
    commands.spawn((
        TranscriptPanel,
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(12.0),
            top: Val::Px(100.0),
            bottom: Val::Px(220.0),
            width: Val::Px(380.0),
            flex_direction: FlexDirection::Column,
            overflow: Overflow::scroll_y(),
            padding: UiRect::all(Val::Px(8.0)),
            border_radius: BorderRadius::all(Val::Px(8.0)),
            display: Display::None,
            ..default()
        },
        BackgroundColor(BAR_BG),
        Interaction::default(),
        bevy::ui::FocusPolicy::Block,
        GlobalZIndex(25),
    ));
}

fn local(text: &Bilingual, lang: Lang, size: f32) -> impl Bundle {
    (label(text.get(lang), size, Color::WHITE), LocalText(text.clone()))
}

fn actions(
    pressed: Query<(&Interaction, &NarrationAction), Changed<Interaction>>,
    current: Res<Current>,
    settings: Res<AudioSettings>,
    mut panel: ResMut<Panel>,
    mut out: MessageWriter<NarrationCommand>,
) {
    for (interaction, action) in &pressed {
        if *interaction != Interaction::Pressed {
            continue;
        }
        match action {
            NarrationAction::Command(c) => {
                out.write(c.clone());
            }
            NarrationAction::GuideHere => {
                out.write(NarrationCommand::StartGuide(current.site.clone()));
            }
            NarrationAction::ToggleTranscript => {
                panel.toggle(Panel::Transcript);
            }
            NarrationAction::VolumeStep(d) => {
                out.write(NarrationCommand::Volume(crate::narration::volume_step(settings.volume, *d)));
            }
        }
    }
}

fn keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    typing: Option<Res<super::ui::Typing>>,
    playback: Res<Playback>,
    mut out: MessageWriter<NarrationCommand>,
) {
    let Some(keys) = keys else { return };
    if typing.is_some_and(|t| t.0) {
        return;
    }
    if keys.just_pressed(KeyCode::Space) {
        out.write(NarrationCommand::TogglePlay);
    }
    // Comma and full stop: ten seconds back or forward, as the text layer's controls do.
    for (key, what) in [(KeyCode::Comma, NarrationDo::Back), (KeyCode::Period, NarrationDo::Forward)] {
        if keys.just_pressed(key)
            && playback.track.is_some()
            && let Some(t) = what.target(playback.clock.position, playback.clock.duration)
        {
            out.write(NarrationCommand::Seek(t));
        }
    }
    if keys.just_pressed(KeyCode::KeyS) {
        out.write(NarrationCommand::CycleSubtitles);
    }
    if keys.just_pressed(KeyCode::KeyG) {
        out.write(NarrationCommand::ResumeGuide);
    }
}

/// A press on the progress bar seeks there; holding and dragging keeps seeking.
/// Enter on the bar (it has keyboard focus) does not seek to wherever the pointer happens to be:
/// the keyboard seeks with `,` and `.`.
fn seek_bar(
    track: Query<(Entity, &Interaction, &RelativeCursorPosition), With<ProgressTrack>>,
    focus: Option<Res<super::focus::KeyFocus>>,
    mut out: MessageWriter<NarrationCommand>,
) {
    for (e, interaction, pos) in &track {
        if *interaction == Interaction::Pressed
            && !focus.as_ref().is_some_and(|f| f.pressed_by_key(e))
            && let Some(n) = pos.normalized
        {
            out.write(NarrationCommand::SeekFraction((n.x + 0.5).clamp(0.0, 1.0) as f64));
        }
    }
}

#[allow(clippy::type_complexity)]
fn bar(
    playback: Res<Playback>,
    settings: Res<AudioSettings>,
    ui: Res<Settings>,
    mut texts: ParamSet<(
        Query<&mut Text, With<PlayLabel>>,
        Query<&mut Text, With<TimeLabel>>,
        Query<&mut Text, With<SpeedLabel>>,
        Query<&mut Text, With<VolumeLabel>>,
        Query<&mut Text, With<MuteLabel>>,
        Query<&mut Text, With<SubtitleModeLabel>>,
    )>,
    mut fill: Query<&mut Node, With<ProgressFill>>,
    mut bar: Query<&mut Node, (With<NarrationBar>, Without<ProgressFill>)>,
) {
    let has_track = playback.track.is_some();
    for mut node in &mut bar {
        let d = if has_track { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
    }
    let set = |t: &mut Text, s: String| {
        if t.0 != s {
            t.0 = s;
        }
    };
    let c = playback.clock;
    for mut t in &mut texts.p0() {
        set(&mut t, if c.playing { "‖".into() } else { "▶".into() });
    }
    for mut t in &mut texts.p1() {
        set(&mut t, format!("{} / {}", mmss(c.position), mmss(c.duration)));
    }
    for mut t in &mut texts.p2() {
        set(&mut t, format!("{}x", speed_label(c.speed)));
    }
    for mut t in &mut texts.p3() {
        set(&mut t, format!("{:.0}%", settings.volume * 100.0));
    }
    let zh = ui.lang == Lang::Zh;
    for mut t in &mut texts.p4() {
        let s = match (settings.muted, zh) {
            (true, true) => "取消静音",
            (true, false) => "Unmute",
            (false, true) => "静音",
            (false, false) => "Mute",
        };
        set(&mut t, s.into());
    }
    for mut t in &mut texts.p5() {
        let s = match (settings.subtitles, zh) {
            (Subtitles::Zh, true) => "字幕：中文",
            (Subtitles::En, true) => "字幕：英文",
            (Subtitles::Off, true) => "字幕：关",
            (Subtitles::Zh, false) => "Subtitles: 中文",
            (Subtitles::En, false) => "Subtitles: EN",
            (Subtitles::Off, false) => "Subtitles: off",
        };
        set(&mut t, s.into());
    }
    for mut n in &mut fill {
        let w = Val::Percent((c.fraction() * 100.0) as f32);
        if n.width != w {
            n.width = w;
        }
    }
}

/// The words being spoken now, in the subtitle language.
pub fn subtitle_line(playback: &Playback, mode: Subtitles) -> Option<String> {
    let cue = playback.cue()?;
    mode.lang().map(|l| cue.text.get(l).to_string())
}

fn subtitle(
    playback: Res<Playback>,
    settings: Res<AudioSettings>,
    mut boxes: Query<&mut Node, With<SubtitleBox>>,
    mut texts: Query<&mut Text, With<SubtitleText>>,
) {
    let line = subtitle_line(&playback, settings.subtitles);
    for mut node in &mut boxes {
        let d = if line.is_some() { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
    }
    if let Some(line) = line {
        for mut t in &mut texts {
            if t.0 != line {
                t.0 = line.clone();
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn transcript(
    mut commands: Commands,
    panel: Res<Panel>,
    playback: Res<Playback>,
    ui: Res<Settings>,
    mut entered: MessageReader<SceneEntered>,
    mut root: Query<(Entity, &mut Node), With<TranscriptPanel>>,
    mut cues: Query<(&TranscriptCue, &mut BackgroundColor)>,
) {
    let open = *panel == Panel::Transcript;
    let rebuild = entered.read().last().is_some() || panel.is_changed() || ui.is_changed();
    let now = playback.track.as_ref().and_then(|t| t.narration.cue_at(playback.clock.position));
    for (e, mut node) in &mut root {
        let d = if open { Display::Flex } else { Display::None };
        if node.display != d {
            node.display = d;
        }
        if !open || !rebuild {
            continue;
        }
        commands.entity(e).despawn_children();
        let Some(track) = &playback.track else { continue };
        let lang = ui.lang;
        commands.entity(e).with_children(|p| {
            for (i, cue) in track.narration.cues.iter().enumerate() {
                p.spawn((
                    Button,
                    TranscriptCue(i),
                    NarrationAction::Command(NarrationCommand::Seek(cue.start)),
                    Node {
                        padding: UiRect::all(Val::Px(6.0)),
                        margin: UiRect::bottom(Val::Px(4.0)),
                        border_radius: BorderRadius::all(Val::Px(4.0)),
                        ..default()
                    },
                    BackgroundColor(Color::NONE),
                ))
                .with_children(|b| {
                    b.spawn(label(format!("{}  {}", mmss(cue.start), cue.text.get(lang)), 15.0, Color::WHITE));
                });
            }
        });
    }
    for (cue, mut bg) in &mut cues {
        let want = if Some(cue.0) == now { Color::srgba(0.96, 0.84, 0.48, 0.35) } else { Color::NONE };
        if bg.0 != want {
            bg.0 = want;
        }
    }
}

#[allow(clippy::type_complexity)]
fn guide_status(
    guide: Res<GuidedTour>,
    tour: Res<TourData>,
    ui: Res<Settings>,
    mut label_q: Query<&mut Text, With<GuideLabel>>,
    mut resume: Query<&mut Node, (With<ResumeButton>, Without<NextSiteButton>)>,
    mut next: Query<&mut Node, (With<NextSiteButton>, Without<ResumeButton>)>,
) {
    let zh = ui.lang == Lang::Zh;
    let (text, show_resume, show_next) = match &guide.0 {
        None => (String::new(), false, false),
        Some(g) => {
            let name = tour.0.site(&g.site).map(|s| s.name.get(ui.lang).to_string()).unwrap_or_default();
            let n = g.route.len();
            let at = (g.step + 1).min(n);
            match (g.state, zh) {
                (GuideState::Running, true) => (format!("导览中：{name} {at}/{n}"), false, false),
                (GuideState::Running, false) => (format!("Touring {name} {at}/{n}"), false, false),
                (GuideState::Paused, true) => ("导览已暂停".into(), true, false),
                (GuideState::Paused, false) => ("Tour paused".into(), true, false),
                (GuideState::Finished, true) => (format!("{name} 导览结束"), false, true),
                (GuideState::Finished, false) => (format!("Tour of {name} finished"), false, true),
            }
        }
    };
    for mut t in &mut label_q {
        if t.0 != text {
            t.0 = text.clone();
        }
    }
    for (q, show) in [(&mut resume, show_resume)] {
        for mut n in q.iter_mut() {
            let d = if show { Display::Flex } else { Display::None };
            if n.display != d {
                n.display = d;
            }
        }
    }
    for mut n in &mut next {
        let d = if show_next { Display::Flex } else { Display::None };
        if n.display != d {
            n.display = d;
        }
    }
}

/// An audio file that cannot be played is named in the error panel.
fn problems(playback: Res<Playback>, mut problems: ResMut<Problems>) {
    if problems.audio != playback.error {
        problems.audio = playback.error.clone();
    }
}
