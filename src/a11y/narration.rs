//! The narration bar in words: what the layer's narration controls show, what they do, and
//! what is said when one of them changes something.
//!
//! The position is left out of the outline on purpose: it changes every frame, and the layer
//! is re-rendered whenever the outline changes. A seek says where it landed instead.

use serde::Serialize;

use crate::narration::{mmss, speed_label, volume_step};
use crate::tour::{Cue, Lang};

/// How far the back and forward controls move the narration, in seconds.
pub const STEP: f64 = 10.0;

/// The narration as the viewer has it, in plain values.
#[derive(Debug, Clone, Copy)]
pub struct NarrationState<'a> {
    pub playing: bool,
    pub duration: f64,
    pub speed: f64,
    /// 0 to 1.
    pub volume: f32,
    pub muted: bool,
    /// The subtitles' language; `None` when they are off.
    pub subtitles: Option<Lang>,
    /// The transcript panel is open.
    pub transcript: bool,
    /// The sentences of what plays.
    pub cues: &'a [Cue],
}

/// One sentence of the transcript: a control that plays from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// Where it starts, in seconds (what [`NarrationDo::Seek`] takes).
    pub at: f64,
    /// `m:ss`.
    pub time: String,
    pub text: String,
}

/// The narration's controls, with their state in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrationItem {
    pub playing: bool,
    /// How long it is, `m:ss`.
    pub duration: String,
    pub muted: bool,
    /// "Speed 1.25×": the speed control's name.
    pub speed: String,
    /// "Volume 80 %", or "Sound off" when muted.
    pub volume: String,
    /// `zh`, `en` or `off`.
    pub subtitles_lang: &'static str,
    /// "Subtitles: English": the subtitles control's name.
    pub subtitles: String,
    /// The transcript, when it is open.
    pub transcript: Option<Vec<Line>>,
}

/// What a narration control does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NarrationDo {
    /// Play or pause.
    Play,
    /// [`STEP`] seconds back or forward.
    Back,
    Forward,
    /// Play from this second (a transcript line).
    Seek(f64),
    /// The next speed, wrapping round.
    Speed,
    Louder,
    Softer,
    Mute,
    /// The next subtitle language: Chinese, English, off.
    Subtitles,
    /// Open or close the transcript.
    Transcript,
}

impl NarrationDo {
    /// From the page's `what`: `play`, `back`, `forward`, `seek` (with `at`), `speed`, `louder`,
    /// `softer`, `mute`, `subtitles` or `transcript`.
    pub fn parse(what: Option<&str>, at: Option<f64>) -> Result<NarrationDo, String> {
        Ok(match what {
            None | Some("play") => NarrationDo::Play,
            Some("back") => NarrationDo::Back,
            Some("forward") => NarrationDo::Forward,
            Some("seek") => match at {
                Some(t) if t.is_finite() && t >= 0.0 => NarrationDo::Seek(t),
                _ => return Err("`seek` needs `at`, a number of seconds".into()),
            },
            Some("speed") => NarrationDo::Speed,
            Some("louder") => NarrationDo::Louder,
            Some("softer") => NarrationDo::Softer,
            Some("mute") => NarrationDo::Mute,
            Some("subtitles") => NarrationDo::Subtitles,
            Some("transcript") => NarrationDo::Transcript,
            Some(other) => return Err(format!("unknown narration control {other:?}")),
        })
    }

    /// Where a seek of this kind lands from `position`, within the narration.
    pub fn target(self, position: f64, duration: f64) -> Option<f64> {
        let t = match self {
            NarrationDo::Back => position - STEP,
            NarrationDo::Forward => position + STEP,
            NarrationDo::Seek(t) => t,
            _ => return None,
        };
        Some(t.clamp(0.0, duration.max(0.0)))
    }

    /// The volume after this control, from `volume` (0 to 1), in steps of a tenth.
    pub fn volume(self, volume: f32) -> Option<f32> {
        let by = match self {
            NarrationDo::Louder => 0.1,
            NarrationDo::Softer => -0.1,
            _ => return None,
        };
        Some(volume_step(volume, by))
    }
}

/// The narration's controls in the visitor's language.
pub fn item(n: &NarrationState, lang: Lang) -> NarrationItem {
    let zh = lang == Lang::Zh;
    let speed = format!("{}{}×", if zh { "语速 " } else { "Speed " }, speed_label(n.speed));
    let percent = (n.volume.clamp(0.0, 1.0) * 100.0).round() as u32;
    let volume = match (n.muted, zh) {
        (true, true) => "已静音".to_string(),
        (true, false) => "Sound off".to_string(),
        (false, true) => format!("音量 {percent}%"),
        (false, false) => format!("Volume {percent} %"),
    };
    let (subtitles_lang, which) = match n.subtitles {
        Some(Lang::Zh) => ("zh", if zh { "中文" } else { "Chinese" }),
        Some(Lang::En) => ("en", if zh { "英文" } else { "English" }),
        None => ("off", if zh { "关闭" } else { "off" }),
    };
    let subtitles = if zh { format!("字幕：{which}") } else { format!("Subtitles: {which}") };
    let transcript = n.transcript.then(|| {
        n.cues.iter().map(|c| Line { at: c.start, time: mmss(c.start), text: c.text.get(lang).to_string() }).collect()
    });
    NarrationItem {
        playing: n.playing,
        duration: mmss(n.duration),
        muted: n.muted,
        speed,
        volume,
        subtitles_lang,
        subtitles,
        transcript,
    }
}

/// What to say when a control changed the narration: its new speed, volume or subtitles. A
/// screen reader says a button's name when it is pressed, not after its name changes.
pub fn change(before: &NarrationItem, after: &NarrationItem) -> Option<String> {
    let said: Vec<&str> = [
        (before.speed != after.speed).then_some(after.speed.as_str()),
        (before.volume != after.volume).then_some(after.volume.as_str()),
        (before.subtitles != after.subtitles).then_some(after.subtitles.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!said.is_empty()).then(|| said.join(", "))
}

/// Where a seek landed, said aloud: "0:40 of 3:05".
pub fn landed(at: f64, duration: f64, lang: Lang) -> String {
    if lang == Lang::Zh {
        format!("{} / {}", mmss(at), mmss(duration))
    } else {
        format!("{} of {}", mmss(at), mmss(duration))
    }
}
