//! The visitor's languages, remembered between visits: the interface's and the subtitles'.
//!
//! The subtitles follow the interface's language until the visitor picks them (an English
//! interface has English subtitles); a language given on the command line or in the address wins
//! over the remembered one. Kept in the browser's local storage, natively in
//! `~/.config/cloudhall/prefs.json` (`XDG_CONFIG_HOME`).

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::Settings;
use super::narration::{AudioSettings, Subtitles};
use crate::a11y::ComfortChoice;
use crate::tour::Lang;

pub struct PrefsPlugin {
    /// The interface language was given (`--lang`, `?lang=`): it is not replaced by the
    /// remembered one.
    pub lang_given: bool,
    /// Read and keep the remembered languages (off: the subtitles still follow the interface).
    pub remember: bool,
}

impl Plugin for PrefsPlugin {
    fn build(&self, app: &mut App) {
        let prefs = if self.remember { Prefs::load() } else { Prefs::default() };
        app.insert_resource(Remembered { prefs, lang_given: self.lang_given, remember: self.remember, applied: false })
            .add_systems(Update, (apply, follow_and_save).chain());
    }
}

/// What is remembered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// `zh` or `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// `zh`, `en` or `off`; none: the subtitles follow the interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitles: Option<String>,
    /// Reduced motion, interface and subtitle sizes, high contrast, as the visitor last set them.
    #[serde(default, skip_serializing_if = "ComfortChoice::is_empty")]
    pub comfort: ComfortChoice,
}

impl Prefs {
    pub fn lang(&self) -> Option<Lang> {
        match self.lang.as_deref() {
            Some("en") => Some(Lang::En),
            Some("zh") => Some(Lang::Zh),
            _ => None,
        }
    }

    pub fn subtitles(&self) -> Option<Subtitles> {
        match self.subtitles.as_deref() {
            Some("zh") => Some(Subtitles::Zh),
            Some("en") => Some(Subtitles::En),
            Some("off") => Some(Subtitles::Off),
            _ => None,
        }
    }

    /// The subtitles for an interface in `lang`: the visitor's choice, else the interface's
    /// language.
    pub fn subtitles_for(&self, lang: Lang) -> Subtitles {
        self.subtitles().unwrap_or(match lang {
            Lang::Zh => Subtitles::Zh,
            Lang::En => Subtitles::En,
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn file() -> Option<std::path::PathBuf> {
        let root = std::env::var_os("XDG_CONFIG_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".config")))?;
        Some(root.join("cloudhall").join("prefs.json"))
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn load() -> Prefs {
        Prefs::file()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn save(&self) {
        let Some(f) = Prefs::file() else { return };
        let written = f
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&f, serde_json::to_string(self).unwrap_or_default()));
        if let Err(e) = written {
            warn!("could not remember the visitor's settings in {}: {e}", f.display());
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    #[cfg(target_arch = "wasm32")]
    pub fn load() -> Prefs {
        Prefs::storage()
            .and_then(|s| s.get_item("cloudhall-prefs").ok().flatten())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    #[cfg(target_arch = "wasm32")]
    pub fn save(&self) {
        if let Some(s) = Prefs::storage() {
            let _ = s.set_item("cloudhall-prefs", &serde_json::to_string(self).unwrap_or_default());
        }
    }
}

fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn subtitle_code(s: Subtitles) -> &'static str {
    match s {
        Subtitles::Zh => "zh",
        Subtitles::En => "en",
        Subtitles::Off => "off",
    }
}

/// What was remembered, and whether to keep changes.
#[derive(Resource)]
pub struct Remembered {
    pub prefs: Prefs,
    lang_given: bool,
    pub remember: bool,
    applied: bool,
}

impl Remembered {
    /// Keep the visitor's comfort settings for the next visit.
    pub fn keep_comfort(&mut self, c: ComfortChoice) {
        if self.prefs.comfort == c {
            return;
        }
        self.prefs.comfort = c;
        if self.remember {
            self.prefs.save();
        }
    }
}

/// At the start: the remembered interface language (unless one was given), and the subtitles.
fn apply(mut remembered: ResMut<Remembered>, mut settings: ResMut<Settings>, mut audio: ResMut<AudioSettings>) {
    if remembered.applied {
        return;
    }
    remembered.applied = true;
    if !remembered.lang_given
        && let Some(lang) = remembered.prefs.lang()
    {
        settings.lang = lang;
    }
    audio.subtitles = remembered.prefs.subtitles_for(settings.lang);
}

/// Later changes: the subtitles follow the interface until the visitor picks them; both are kept.
fn follow_and_save(
    mut remembered: ResMut<Remembered>,
    settings: Res<Settings>,
    mut audio: ResMut<AudioSettings>,
    mut last: Local<Option<(Lang, Subtitles)>>,
) {
    let now = (settings.lang, audio.subtitles);
    let Some(before) = *last else {
        *last = Some(now);
        return;
    };
    if before == now {
        return;
    }
    let mut prefs = remembered.prefs.clone();
    if now.0 != before.0 {
        prefs.lang = Some(code(now.0).to_string());
        if prefs.subtitles.is_none() {
            // Following the interface: an English interface, English subtitles.
            audio.subtitles = prefs.subtitles_for(now.0);
        }
    }
    if now.1 != before.1 && now.0 == before.0 {
        prefs.subtitles = Some(subtitle_code(now.1).to_string());
    }
    *last = Some((settings.lang, audio.subtitles));
    if prefs != remembered.prefs {
        if remembered.remember {
            prefs.save();
        }
        remembered.prefs = prefs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitles_follow_the_interface_until_chosen() {
        let p = Prefs::default();
        assert_eq!(p.subtitles_for(Lang::En), Subtitles::En);
        assert_eq!(p.subtitles_for(Lang::Zh), Subtitles::Zh);
        let chosen = Prefs { lang: Some("en".into()), subtitles: Some("zh".into()), ..Default::default() };
        assert_eq!(chosen.subtitles_for(Lang::En), Subtitles::Zh);
        assert_eq!(chosen.lang(), Some(Lang::En));
        let back: Prefs = serde_json::from_str(&serde_json::to_string(&chosen).unwrap()).unwrap();
        assert_eq!(back, chosen);
        assert_eq!(serde_json::from_str::<Prefs>("{}").unwrap(), Prefs::default());
    }
}
