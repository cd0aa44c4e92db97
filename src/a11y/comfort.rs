//! Comfort settings: less motion, a larger interface and subtitles, more contrast.

use serde::{Deserialize, Serialize};

/// How a visitor wants the hall: less motion, a larger interface and subtitles, more contrast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Comfort {
    /// No autorotation, no inertia after a drag, cuts instead of fades and smooth turns.
    pub reduced_motion: bool,
    /// The interface's size, in percent (100 to 200).
    pub ui_scale: u16,
    /// The subtitles' size, in percent (100 to 200).
    pub subtitle_scale: u16,
    /// Opaque panels and strong borders instead of see-through ones.
    pub high_contrast: bool,
}

impl Default for Comfort {
    fn default() -> Self {
        Comfort { reduced_motion: false, ui_scale: 100, subtitle_scale: 100, high_contrast: false }
    }
}

/// Comfort settings as one source has them (a link, the visitor's last choice, the system's
/// preference): each may be unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComfortChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced_motion: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_scale: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle_scale: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_contrast: Option<bool>,
}

impl ComfortChoice {
    pub fn is_empty(&self) -> bool {
        *self == ComfortChoice::default()
    }

    /// These choices, and `under`'s where these have none.
    pub fn over(self, under: ComfortChoice) -> ComfortChoice {
        ComfortChoice {
            reduced_motion: self.reduced_motion.or(under.reduced_motion),
            ui_scale: self.ui_scale.or(under.ui_scale),
            subtitle_scale: self.subtitle_scale.or(under.subtitle_scale),
            high_contrast: self.high_contrast.or(under.high_contrast),
        }
    }

    /// The settings these choices make, sizes kept within 100 to 200 %.
    pub fn resolve(self) -> Comfort {
        let d = Comfort::default();
        let pct = |v: Option<u16>, d: u16| v.unwrap_or(d).clamp(100, 200);
        Comfort {
            reduced_motion: self.reduced_motion.unwrap_or(d.reduced_motion),
            ui_scale: pct(self.ui_scale, d.ui_scale),
            subtitle_scale: pct(self.subtitle_scale, d.subtitle_scale),
            high_contrast: self.high_contrast.unwrap_or(d.high_contrast),
        }
    }
}
