//! The hall for screen readers in the native window: Bevy's AccessKit tree carries the scene's
//! words, each hotspot as a button named by where it leads, the live region's announcements,
//! and a name for every button; a screen reader's click on a hotspot walks.
#![cfg(feature = "viewer")]

mod common;

use std::path::Path;

use accesskit::{Action, ActionRequest as AkRequest, NodeId, Role, TreeId};
use bevy::a11y::{AccessibilityNode, ActionRequest};
use bevy::prelude::*;

use cloudhall::tour::Lang;
use cloudhall::viewer::ViewerOptions;
use cloudhall::viewer::a11y::{LiveRegion, SceneWords};
use cloudhall::viewer::headless::{headless_app, pump, settle};
use cloudhall::viewer::hotspots::HotspotMarker;
use cloudhall::viewer::nav::Current;

fn render_tour() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render")
}

#[test]
fn the_native_tree_says_the_scene_its_hotspots_and_what_was_announced() {
    let options = ViewerOptions { lang: Lang::En, ..ViewerOptions::new(&render_tour()) };
    let (mut app, _target) = headless_app(options, 960, 540).expect("app");
    settle(&mut app).expect("panorama");
    for _ in 0..3 {
        pump(&mut app);
    }

    let mut words = app.world_mut().query_filtered::<&AccessibilityNode, With<SceneWords>>();
    let w = words.single(app.world()).expect("the scene's words");
    assert_eq!(w.role(), Role::Label);
    assert_eq!(w.label(), Some("Orientation Hall · Discs"));
    assert!(w.value().is_some_and(|v| v.starts_with("Four coloured discs on the horizon")), "{:?}", w.value());

    let mut markers = app.world_mut().query::<(Entity, &HotspotMarker, &AccessibilityNode)>();
    let mut go = None;
    let mut seen = 0;
    for (e, m, node) in markers.iter(app.world()) {
        seen += 1;
        assert_eq!(node.role(), Role::Button, "hotspot {} is a button", m.index);
        if m.index == 0 {
            assert_eq!(node.label(), Some("Go to: Second Hall"));
            assert_eq!(node.description(), Some("A door low on the right, to the right"));
            go = Some(e);
        } else {
            assert_eq!(node.label(), Some("Board: Orientation"));
        }
    }
    assert_eq!(seen, 2, "both hotspots are in the tree");

    let mut live = app.world_mut().query_filtered::<&AccessibilityNode, With<LiveRegion>>();
    let l = live.single(app.world()).expect("the live region");
    assert_eq!(l.live(), Some(accesskit::Live::Polite));
    assert!(
        l.value().is_some_and(|v| v.starts_with("Orientation Hall, Discs. Four coloured discs")),
        "{:?}",
        l.value()
    );

    // Every button on screen has a name in words (⇔ is "Enlarge the floor plan").
    let mut buttons = app.world_mut().query_filtered::<(&AccessibilityNode, &ComputedNode), With<Button>>();
    let names: Vec<String> = buttons
        .iter(app.world())
        .filter(|(_, c)| c.size().x > 0.0)
        .map(|(n, _)| n.label().unwrap_or_default().to_string())
        .collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(n.chars().any(char::is_alphanumeric), "a button named `{n}`: {names:?}");
    }
    assert!(names.iter().any(|n| n == "Enlarge the floor plan"), "⇔ is named for what it does: {names:?}");
    // In an English hall every button, shown or not yet, is named in English: the memorial's
    // offerings are named before their panel first opens. Only the switch to Chinese says 中文.
    let all: Vec<String> = buttons.iter(app.world()).filter_map(|(n, _)| n.label().map(str::to_string)).collect();
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let chinese: Vec<&String> = all.iter().filter(|n| han(n) && !n.contains("中文")).collect();
    assert!(chinese.is_empty(), "buttons named in Chinese in an English hall: {chinese:?}");
    for offering in ["Lay a flower", "Light a candle", "Bow"] {
        assert!(all.iter().any(|n| n == offering), "the memorial's `{offering}` is named: {all:?}");
    }

    // A screen reader's click on the Go hotspot walks, as a pointer's would.
    let target = go.expect("the Go marker");
    app.world_mut().write_message(ActionRequest(AkRequest {
        action: Action::Click,
        target_tree: TreeId::ROOT,
        target_node: NodeId(target.to_bits()),
        data: None,
    }));
    pump(&mut app);
    pump(&mut app);
    assert_eq!(app.world().resource::<Current>().scene, "second");
    settle(&mut app).expect("second panorama");
    // The arrival is announced within a few frames of the scene's (fewer on an idle machine).
    let mut said = None;
    for _ in 0..30 {
        pump(&mut app);
        said = live.single(app.world()).expect("the live region").value().map(str::to_string);
        if said.as_deref().is_some_and(|v| v.starts_with("Orientation Hall, Second Hall.")) {
            break;
        }
    }
    assert!(said.as_deref().is_some_and(|v| v.starts_with("Orientation Hall, Second Hall.")), "{said:?}");
}

fn mean_brightness(img: &image::RgbaImage) -> f64 {
    let (w, h) = img.dimensions();
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in h / 4..h * 3 / 4 {
        for x in w / 4..w * 3 / 4 {
            let p = img.get_pixel(x, y);
            sum += (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0;
            n += 1.0;
        }
    }
    sum / n
}

/// The bundled tour (its fonts show the interface's words) at its start, in English.
fn comfort_app(comfort: cloudhall::a11y::ComfortChoice, remember: bool) -> (App, Handle<Image>) {
    comfort_app_at(comfort, remember, 960, 540)
}

fn comfort_app_at(comfort: cloudhall::a11y::ComfortChoice, remember: bool, w: u32, h: u32) -> (App, Handle<Image>) {
    let scenes = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let options = ViewerOptions { lang: Lang::En, comfort, remember, autorotate: true, ..ViewerOptions::new(&scenes) };
    let (mut app, target) = headless_app(options, w, h).expect("app");
    settle(&mut app).expect("panorama");
    for _ in 0..3 {
        pump(&mut app);
    }
    (app, target)
}

/// The site's name in the title card: where it is drawn, in physical pixels.
fn title_rect(app: &mut App) -> Rect {
    let mut q = app
        .world_mut()
        .query_filtered::<(&ComputedNode, &bevy::ui::UiGlobalTransform), With<cloudhall::viewer::ui::SiteTitle>>();
    let (node, at) = q.single(app.world()).expect("the site's title");
    Rect::from_center_size(at.translation, node.size())
}

/// Gold pixels inside `r`.
fn gold_in(img: &image::RgbaImage, r: Rect) -> usize {
    let mut n = 0;
    for y in r.min.y.max(0.0) as u32..(r.max.y as u32).min(img.height()) {
        for x in r.min.x.max(0.0) as u32..(r.max.x as u32).min(img.width()) {
            let p = img.get_pixel(x, y);
            if (p[0] as i32 - 245).abs() < 40 && (p[1] as i32 - 214).abs() < 40 && (p[2] as i32 - 122).abs() < 50 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_larger_interface_and_reduced_motion_show_in_the_frame_and_are_remembered() {
    use cloudhall::a11y::ComfortChoice;
    use cloudhall::viewer::comfort::{ComfortChange, Settings as Comfort};
    use cloudhall::viewer::headless::capture;
    use cloudhall::viewer::look::{Autorotate, Look};
    use cloudhall::viewer::nav::{Fade, GoTo};
    let config = std::env::temp_dir().join(format!("cloudhall-comfort-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&config);
    unsafe { std::env::set_var("XDG_CONFIG_HOME", &config) };
    let out = std::env::temp_dir();

    // The interface at 100 % and at 150 % on a large window: the title card's gold name is half
    // as large again each way, and covers about twice the pixels.
    let (mut normal, normal_target) = comfort_app_at(ComfortChoice::default(), false, 1600, 1000);
    let small = capture(&mut normal, &normal_target).expect("frame");
    small.save(out.join("cloudhall-comfort-100.png")).expect("save");
    let (mut big, target) =
        comfort_app_at(ComfortChoice { ui_scale: Some(150), ..Default::default() }, false, 1600, 1000);
    let large = capture(&mut big, &target).expect("frame");
    large.save(out.join("cloudhall-comfort-150.png")).expect("save");
    let (ra, rb) = (title_rect(&mut normal), title_rect(&mut big));
    let (a, b) = (gold_in(&small, ra), gold_in(&large, rb));
    println!("the title {ra:?} with {a} gold pixels at 100 %, {rb:?} with {b} at 150 %");
    assert!((rb.height() / ra.height() - 1.5).abs() < 0.15, "the title is half as tall again: {ra:?} then {rb:?}");
    assert!(a > 100 && b as f64 > 1.8 * a as f64, "its gold letters cover about twice the pixels: {a} then {b}");
    drop(big);
    let (mut normal, normal_target) = comfort_app(ComfortChoice::default(), false);

    // Moving to another scene: a dark fade normally, a cut with reduced motion. The clock is
    // held (a millisecond a frame), so the frame shows the fade as it starts on any machine.
    let held = || bevy::time::TimeUpdateStrategy::ManualDuration(std::time::Duration::from_millis(1));
    let go = GoTo { site: "chifeng-martyrs-cemetery".into(), scene: "hero-wall".into(), view: None };
    normal.insert_resource(held());
    normal.world_mut().write_message(go.clone());
    pump(&mut normal);
    assert!(normal.world().resource::<Fade>().alpha > 0.5);
    let faded = capture(&mut normal, &normal_target).expect("frame");
    let (mut calm, target) = comfort_app(ComfortChoice { reduced_motion: Some(true), ..Default::default() }, true);
    assert!(!calm.world().resource::<Autorotate>().enabled, "no autorotation with reduced motion");
    let before = mean_brightness(&capture(&mut calm, &target).expect("frame"));
    calm.insert_resource(held());
    calm.world_mut().write_message(go);
    pump(&mut calm);
    assert_eq!(calm.world().resource::<Fade>().alpha, 0.0, "a cut, not a fade");
    let cut = capture(&mut calm, &target).expect("frame");
    cut.save(out.join("cloudhall-comfort-cut.png")).expect("save");
    faded.save(out.join("cloudhall-comfort-fade.png")).expect("save");
    let (dark, bright) = (mean_brightness(&faded), mean_brightness(&cut));
    println!("just after a Go: {dark:.0} with a fade, {bright:.0} with reduced motion (before: {before:.0})");
    assert!(bright > 0.7 * before && dark < 0.5 * bright, "the fade darkens the frame; the cut does not");
    // No inertia: a flick stops where it was let go.
    calm.world_mut().resource_mut::<Look>().velocity = (90.0, 0.0);
    pump(&mut calm);
    assert_eq!(calm.world().resource::<Look>().velocity, (0.0, 0.0));

    // The visitor makes the interface larger; the next visit starts so. Reduced motion came from
    // the link (the command line), which speaks for this visit only.
    calm.world_mut().write_message(ComfortChange(ComfortChoice { ui_scale: Some(150), ..Default::default() }));
    pump(&mut calm);
    let c = calm.world().resource::<Comfort>().0;
    assert_eq!((c.ui_scale, c.reduced_motion), (150, true));
    let kept = std::fs::read_to_string(config.join("cloudhall/prefs.json")).expect("kept");
    assert!(kept.contains("\"ui_scale\":150"), "{kept}");
    let (next, _) = comfort_app(ComfortChoice::default(), true);
    let c = next.world().resource::<Comfort>().0;
    assert_eq!((c.ui_scale, c.reduced_motion), (150, false), "the choice is remembered, the link's is not");
    assert_eq!(next.world().resource::<bevy::ui::UiScale>().0, 1.5);
}

#[test]
fn keys_for_help_scenes_narration_and_high_contrast() {
    use bevy::input::ButtonState;
    use bevy::input::keyboard::{Key, KeyboardInput};
    use cloudhall::a11y::ComfortChoice;
    use cloudhall::viewer::a11y::Spoken;
    use cloudhall::viewer::comfort::ComfortChange;
    use cloudhall::viewer::help::{Help, HelpPanel};
    use cloudhall::viewer::ui::{PANEL_BG, Panel};

    let options = ViewerOptions { lang: Lang::En, ..ViewerOptions::new(&render_tour()) };
    let (mut app, _target) = headless_app(options, 960, 540).expect("app");
    settle(&mut app).expect("panorama");
    pump(&mut app);
    let key = |app: &mut App, k: KeyCode| common::tap_key(app, k, pump);
    let scene = |app: &App| app.world().resource::<Current>().scene.clone();

    // Page Down and Page Up walk the scene strip.
    key(&mut app, KeyCode::PageDown);
    pump(&mut app);
    assert_eq!(scene(&app), "second");
    key(&mut app, KeyCode::PageUp);
    pump(&mut app);
    assert_eq!(scene(&app), "discs");

    // `?` (a character, whatever the layout) opens the help; F1 closes it.
    for state in [ButtonState::Pressed, ButtonState::Released] {
        app.world_mut().write_message(KeyboardInput {
            key_code: KeyCode::Slash,
            logical_key: Key::Character("?".into()),
            state,
            text: Some("?".into()),
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        pump(&mut app);
    }
    assert!(app.world().resource::<Help>().0, "? opens the help");
    let mut panel = app.world_mut().query_filtered::<(&Node, &AccessibilityNode), With<HelpPanel>>();
    let (node, a) = panel.single(app.world()).expect("the help panel");
    assert_eq!(node.display, Display::Flex);
    assert_eq!((a.role(), a.label()), (Role::Dialog, Some("Keyboard keys (? closes)")));
    let mut texts = app.world_mut().query::<&Text>();
    assert!(texts.iter(app.world()).any(|t| t.0.contains("Skip to the narration") && t.0.contains("Page Up")));
    key(&mut app, KeyCode::F1);
    assert!(!app.world().resource::<Help>().0, "F1 closes it");

    // N skips to the narration: its transcript, and where it is, said aloud.
    key(&mut app, KeyCode::KeyN);
    assert_eq!(*app.world().resource::<Panel>(), Panel::Transcript);
    assert_eq!(app.world().resource::<Spoken>().last.as_deref(), Some("This scene has no narration."));

    // High contrast: the see-through panels become black, and get their colour back after.
    let panels = |app: &mut App, c: Color| {
        let mut q = app.world_mut().query::<&BackgroundColor>();
        q.iter(app.world()).filter(|b| b.0 == c).count()
    };
    let before = panels(&mut app, PANEL_BG);
    assert!(before > 0);
    app.world_mut().write_message(ComfortChange(ComfortChoice { high_contrast: Some(true), ..Default::default() }));
    pump(&mut app);
    pump(&mut app);
    assert_eq!(panels(&mut app, PANEL_BG), 0, "no see-through panel is left");
    assert!(panels(&mut app, Color::BLACK) >= before);
    app.world_mut().write_message(ComfortChange(ComfortChoice { high_contrast: Some(false), ..Default::default() }));
    pump(&mut app);
    pump(&mut app);
    assert_eq!(panels(&mut app, PANEL_BG), before, "each panel has its own colour back");
}

#[test]
fn tab_reaches_the_hotspots_then_every_button_and_enter_presses_it() {
    use cloudhall::viewer::focus::{Focused, KeyFocus};

    let options = ViewerOptions { lang: Lang::En, ..ViewerOptions::new(&render_tour()) };
    let (mut app, _target) = headless_app(options, 960, 540).expect("app");
    settle(&mut app).expect("panorama");
    pump(&mut app);
    let key = |app: &mut App, k: KeyCode| common::tap_key(app, k, pump);
    let focused = |app: &App| app.world().resource::<KeyFocus>().at;

    key(&mut app, KeyCode::Tab);
    assert_eq!(focused(&app), Some(Focused::Hotspot(0)), "the scene's hotspots come first");
    key(&mut app, KeyCode::Tab);
    assert_eq!(focused(&app), Some(Focused::Hotspot(1)));
    // Then the buttons on screen: on to the scene strip's "Second Hall".
    let mut label = String::new();
    for _ in 0..80 {
        key(&mut app, KeyCode::Tab);
        if let Some(Focused::Button(e)) = focused(&app) {
            label = app.world().get::<AccessibilityNode>(e).and_then(|n| n.label()).unwrap_or_default().to_string();
            if label == "Second Hall" {
                break;
            }
        }
    }
    assert_eq!(label, "Second Hall", "Tab reaches the scene strip");
    pump(&mut app);
    let Some(Focused::Button(e)) = focused(&app) else { panic!("a button has focus") };
    assert!(app.world().get::<Outline>(e).is_some(), "the focused button wears a ring");
    assert_eq!(app.world().resource::<bevy::input_focus::InputFocus>().get(), Some(e), "the tree's focus follows");
    key(&mut app, KeyCode::Enter);
    pump(&mut app);
    pump(&mut app);
    assert_eq!(app.world().resource::<Current>().scene, "second", "Enter pressed the thumbnail");
    // ...and let go of it (unless the strip was rebuilt for the new scene).
    assert!(app.world().get::<Interaction>(e).is_none_or(|i| *i == Interaction::None));
}

#[test]
fn the_narration_bar_answers_the_text_layer_and_says_what_changed() {
    use cloudhall::a11y::{Action, NarrationDo};
    use cloudhall::viewer::a11y::{A11yAction, A11yOutline, Spoken};
    use cloudhall::viewer::narration::{AudioSettings, Playback, Subtitles};
    use cloudhall::viewer::ui::Panel;

    // The good fixture's gate: 3 s of narration in two sentences.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    let options = ViewerOptions { lang: Lang::En, ..ViewerOptions::new(&dir) };
    let (mut app, _target) = headless_app(options, 640, 360).expect("app");
    settle(&mut app).expect("panorama");
    pump(&mut app);
    let act = |app: &mut App, what: NarrationDo| {
        app.world_mut().write_message(A11yAction(Action::Narration(what)));
        pump(app);
        pump(app);
    };
    let bar = |app: &App| {
        app.world().resource::<A11yOutline>().outline.as_ref().and_then(|o| o.narration.clone()).expect("narration")
    };
    let last = |app: &App| app.world().resource::<Spoken>().last.clone().unwrap_or_default();
    // Paused first, so that no subtitle is said between a control and what it says.
    if app.world().resource::<Playback>().clock.playing {
        act(&mut app, NarrationDo::Play);
    }
    assert!(!bar(&app).playing);
    assert_eq!(bar(&app).speed, "Speed 1.0×");
    assert_eq!(bar(&app).duration, "0:03");

    act(&mut app, NarrationDo::Speed);
    assert_eq!(app.world().resource::<AudioSettings>().speed, 1.25);
    assert_eq!(bar(&app).speed, "Speed 1.25×");
    assert_eq!(last(&app), "Speed 1.25×", "the change is said");

    act(&mut app, NarrationDo::Louder);
    assert!((app.world().resource::<AudioSettings>().volume - 0.9).abs() < 1e-6);
    assert_eq!(last(&app), "Volume 90 %");
    act(&mut app, NarrationDo::Mute);
    assert!(app.world().resource::<AudioSettings>().muted);
    assert_eq!(last(&app), "Sound off");

    let before = app.world().resource::<AudioSettings>().subtitles;
    act(&mut app, NarrationDo::Subtitles);
    let after = app.world().resource::<AudioSettings>().subtitles;
    assert_ne!(before, after);
    assert_eq!(
        bar(&app).subtitles_lang,
        match after {
            Subtitles::Zh => "zh",
            Subtitles::En => "en",
            Subtitles::Off => "off",
        }
    );

    act(&mut app, NarrationDo::Transcript);
    assert_eq!(*app.world().resource::<Panel>(), Panel::Transcript, "the transcript opens on screen too");
    let lines = bar(&app).transcript.expect("the transcript's lines");
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["Welcome.", "Please come in."]);

    // A line played from: the clock is there, and the sentence is said.
    act(&mut app, NarrationDo::Seek(lines[1].at));
    assert_eq!(app.world().resource::<Playback>().clock.position, 1.5);
    assert_eq!(last(&app), "Please come in.");
    act(&mut app, NarrationDo::Back);
    assert_eq!(app.world().resource::<Playback>().clock.position, 0.0, "ten seconds back stops at the start");
    act(&mut app, NarrationDo::Forward);
    assert_eq!(app.world().resource::<Playback>().clock.position, 3.0, "and forward at the end");
    // The same from the keys, comma and full stop.
    common::tap_key(&mut app, KeyCode::Comma, pump);
    assert_eq!(app.world().resource::<Playback>().clock.position, 0.0, "comma: ten seconds back");
    common::tap_key(&mut app, KeyCode::Period, pump);
    assert_eq!(app.world().resource::<Playback>().clock.position, 3.0, "full stop: ten seconds forward");
    act(&mut app, NarrationDo::Transcript);
    assert_eq!(*app.world().resource::<Panel>(), Panel::None);
}

/// The one entity with `C`.
fn single<C: Component>(app: &mut App) -> Entity {
    let mut q = app.world_mut().query_filtered::<Entity, With<C>>();
    q.single(app.world()).expect("exactly one")
}

/// Where a UI node is drawn, in physical pixels.
fn rect_of(app: &mut App, e: Entity) -> Rect {
    let node = app.world().get::<ComputedNode>(e).expect("laid out");
    let at = app.world().get::<bevy::ui::UiGlobalTransform>(e).expect("placed");
    Rect::from_center_size(at.translation, node.size())
}

#[test]
fn the_title_card_holds_its_words_when_the_interface_grows_in_the_hall() {
    use cloudhall::a11y::ComfortChoice;
    use cloudhall::viewer::comfort::ComfortChange;
    use cloudhall::viewer::ui::{SceneTitle, SiteTitle, TitleBox};

    // A window as wide as a laptop's browser; the site's name wraps at 150 and 200 %.
    let (mut app, _target) = comfort_app_at(ComfortChoice::default(), false, 1280, 800);
    for scale in [150, 200, 100] {
        app.world_mut().write_message(ComfortChange(ComfortChoice { ui_scale: Some(scale), ..Default::default() }));
        for _ in 0..4 {
            pump(&mut app);
        }
        let card = single::<TitleBox>(&mut app);
        let site = single::<SiteTitle>(&mut app);
        let scene = single::<SceneTitle>(&mut app);
        let (card_r, site_r, scene_r) = (rect_of(&mut app, card), rect_of(&mut app, site), rect_of(&mut app, scene));
        let words = app.world().get::<bevy::text::TextLayoutInfo>(site).expect("the name's layout").size;
        println!("at {scale} %: card {card_r:?}, site {site_r:?} (its words {words:?}), scene {scene_r:?}");
        assert!(
            words.y <= site_r.height() + 1.0,
            "at {scale} %, the name's lines fit its node: {words:?} in {site_r:?}"
        );
        for (what, r) in [("site", site_r), ("scene", scene_r)] {
            assert!(
                r.min.y >= card_r.min.y - 1.0 && r.max.y <= card_r.max.y + 1.0,
                "at {scale} %, the {what}'s name is inside the card: {r:?} in {card_r:?}"
            );
        }
    }
}

#[test]
fn on_a_phone_every_buttons_words_sit_in_its_middle_and_the_narration_row_stands_on_the_strip() {
    use bevy::ui::ComputedNode;

    // A phone's screen: every button grows to a fingertip, and its words must grow with it into
    // the middle, not stay at the top (the floor plan's buttons did).
    let scenes = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let options =
        ViewerOptions { lang: Lang::En, site: Some("linxi-xishan-memorial".into()), ..ViewerOptions::new(&scenes) };
    let (mut app, _target) = headless_app(options, 390, 844).expect("app");
    settle(&mut app).expect("panorama");
    for _ in 0..4 {
        pump(&mut app);
    }
    let mut buttons = app.world_mut().query_filtered::<(Entity, &ComputedNode, &Children), With<Button>>();
    let found: Vec<(Entity, Vec<Entity>)> = buttons
        .iter(app.world())
        .filter(|(_, c, _)| c.size().x > 0.0 && c.size().y > 0.0)
        .map(|(e, _, ch)| (e, ch.iter().collect()))
        .collect();
    let mut checked = Vec::new();
    for (button, children) in found {
        // Buttons of words alone (a strip card's words go under its picture).
        let [text] = children[..] else { continue };
        if app.world().get::<Text>(text).is_none() {
            continue;
        }
        let words = app.world().get::<Text>(text).unwrap().0.clone();
        let (b, t) = (rect_of(&mut app, button), rect_of(&mut app, text));
        // The glyphs are laid from the top of the words' node, which a stretched row makes as
        // tall as the button.
        let lines = app.world().get::<bevy::text::TextLayoutInfo>(text).expect("laid out").size;
        let middle = t.min.y + lines.y / 2.0;
        assert!(b.height() >= 43.0, "`{words}` is a fingertip tall: {b:?}");
        assert!(
            (b.center().y - middle).abs() <= 3.0,
            "`{words}` sits in the middle of its button: lines {lines:?} from the top of {t:?} in {b:?}"
        );
        checked.push(words);
    }
    assert!(checked.iter().any(|w| w == "Floor plan"), "the floor plan's button was measured: {checked:?}");
    assert!(checked.len() >= 5, "{checked:?}");

    // The narration row stands on the strip, whose long English name takes three lines: it
    // does not hide the tops of the pictures.
    let strip = single::<cloudhall::viewer::ui::SceneStrip>(&mut app);
    let bar = single::<cloudhall::viewer::narration_ui::NarrationBar>(&mut app);
    let (strip_r, bar_r) = (rect_of(&mut app, strip), rect_of(&mut app, bar));
    assert!(bar_r.max.y <= strip_r.min.y + 1.0, "the narration row {bar_r:?} is above the strip {strip_r:?}");
}
