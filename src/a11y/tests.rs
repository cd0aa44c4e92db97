use super::*;

fn tour() -> Tour {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    crate::tour::load(&dir).tour.expect("the good fixture loads")
}

fn state(scene: &str, lang: Lang) -> State<'_> {
    State {
        site: "alpha",
        scene,
        lang,
        narration: Some(NarrationState {
            playing: false,
            duration: 185.0,
            speed: 1.0,
            volume: 0.8,
            muted: false,
            subtitles: Some(Lang::Zh),
            transcript: false,
            cues: &[],
        }),
        board: None,
        comfort: Comfort::default(),
        live: None,
        map: false,
        form: None,
    }
}

#[test]
fn hotspots_are_read_left_to_right_and_say_where_they_lead() {
    let t = tour();
    let o = outline(&t, &state("hall", Lang::En)).expect("outline");
    let rel: Vec<f64> = o
        .hotspots
        .iter()
        .map(|h| {
            let sc = t.site("alpha").and_then(|s| s.scene("hall")).expect("hall");
            (sc.hotspots[h.index].yaw - sc.view.yaw + 540.0).rem_euclid(360.0) - 180.0
        })
        .collect();
    assert!(rel.windows(2).all(|w| w[0] <= w[1]), "left to right: {rel:?}");
    let go = o.hotspots.iter().find(|h| h.kind == "go").expect("a Go hotspot");
    assert!(go.label.starts_with("Go to: "), "{}", go.label);
    let to_beta = o.hotspots.iter().find(|h| h.label.contains("Beta")).expect("the way to beta");
    assert_eq!(to_beta.label, "Go to: Beta Square · Square", "another site's scene is named with its site");
    assert_eq!(o.scenes.iter().filter(|s| s.current).count(), 1);
    assert_eq!(o.sites.len(), 2);
    assert_eq!(o.description, "A bright hall with boards on both walls.");
    assert!(arrival(&o).starts_with("Alpha Hall, Hall. A bright hall"), "{}", arrival(&o));
}

#[test]
fn chinese_labels_and_an_open_memorial_board() {
    let t = tour();
    let sc = t.site("alpha").and_then(|s| s.scene("hall")).expect("hall");
    let m = sc.hotspots.iter().position(|h| matches!(h.kind, HotspotKind::Memorial(_))).expect("memorial");
    let o = outline(&t, &State { board: Some(m), ..state("hall", Lang::Zh) }).expect("outline");
    let item = o.hotspots.iter().find(|h| h.index == m).expect("listed");
    assert!(item.label.starts_with("纪念："), "{}", item.label);
    let board = o.board.expect("the board is open");
    assert!(board.memorial);
    assert_eq!(o.words.flower, "献花");
}

#[test]
fn directions_from_the_first_view() {
    assert_eq!(direction(10.0, Lang::En), "ahead");
    assert_eq!(direction(90.0, Lang::En), "to the right");
    assert_eq!(direction(-90.0, Lang::Zh), "左侧");
    assert_eq!(direction(190.0, Lang::En), "behind");
    assert_eq!(direction(-200.0, Lang::En), "behind");
}

#[test]
fn actions_from_the_page() {
    assert_eq!(parse_action(r#"{"do":"hotspot","index":2}"#), Ok(Action::Hotspot(2)));
    assert_eq!(parse_action(r#"{"do":"scene","id":"hall"}"#), Ok(Action::Scene("hall".into())));
    assert_eq!(parse_action(r#"{"do":"offer","kind":"flower"}"#), Ok(Action::Offer(crate::api::OfferingKind::Flower)));
    assert_eq!(
        parse_action(r#"{"do":"message","name":"Li","text":"永垂不朽"}"#),
        Ok(Action::Message { name: "Li".into(), text: "永垂不朽".into() })
    );
    assert!(parse_action(r#"{"do":"hotspot"}"#).is_err());
    assert!(parse_action("nonsense").is_err());
}

#[test]
fn comfort_choices_layer_and_stay_in_range() {
    let link = ComfortChoice { ui_scale: Some(150), ..Default::default() };
    let remembered = ComfortChoice { ui_scale: Some(200), reduced_motion: Some(true), ..Default::default() };
    let system = ComfortChoice { reduced_motion: Some(false), high_contrast: Some(true), ..Default::default() };
    let c = link.over(remembered).over(system).resolve();
    assert_eq!(c, Comfort { reduced_motion: true, ui_scale: 150, subtitle_scale: 100, high_contrast: true });
    assert_eq!(ComfortChoice { ui_scale: Some(400), ..Default::default() }.resolve().ui_scale, 200);
    assert_eq!(ComfortChoice { subtitle_scale: Some(50), ..Default::default() }.resolve().subtitle_scale, 100);
    assert_eq!(
        parse_action(r#"{"do":"comfort","ui_scale":175,"reduced_motion":true}"#),
        Ok(Action::Comfort(ComfortChoice { ui_scale: Some(175), reduced_motion: Some(true), ..Default::default() }))
    );
    let back: ComfortChoice = serde_json::from_str(&serde_json::to_string(&remembered).unwrap()).unwrap();
    assert_eq!(back, remembered);
}

#[test]
fn the_narration_bar_in_words_with_its_transcript() {
    let t = tour();
    let sc = t.site("alpha").and_then(|s| s.scene("gate")).expect("gate");
    let n = sc.narration.as_ref().expect("the gate has narration");
    assert!(n.cues.len() >= 2, "the fixture's gate has sentences");
    let mut st = state("gate", Lang::En);
    let base = st.narration.expect("narration");
    st.narration = Some(NarrationState { cues: &n.cues, speed: 1.25, ..base });
    let o = outline(&t, &st).expect("outline");
    let item = o.narration.expect("the narration's controls");
    assert_eq!(item.duration, "3:05");
    assert_eq!(item.speed, "Speed 1.25×");
    assert_eq!(item.volume, "Volume 80 %");
    assert_eq!(item.subtitles, "Subtitles: Chinese");
    assert_eq!(item.subtitles_lang, "zh");
    assert_eq!(item.transcript, None, "the transcript is listed only when it is open");
    assert_eq!(o.words.forward, "Forward 10 seconds");

    st.narration = Some(NarrationState { cues: &n.cues, transcript: true, muted: true, subtitles: None, ..base });
    let zh = outline(&t, &State { lang: Lang::Zh, ..st }).expect("outline").narration.expect("narration");
    let lines = zh.transcript.as_ref().expect("the open transcript");
    assert_eq!(lines.len(), n.cues.len());
    assert_eq!(lines[1].at, n.cues[1].start);
    assert_eq!(lines[1].time, crate::narration::mmss(n.cues[1].start));
    assert_eq!(lines[1].text, n.cues[1].text.zh, "in the visitor's language");
    assert_eq!(zh.volume, "已静音");
    assert_eq!(zh.subtitles, "字幕：关闭");
}

#[test]
fn narration_controls_move_within_the_narration_and_say_what_changed() {
    assert_eq!(NarrationDo::Forward.target(30.0, 185.0), Some(40.0));
    assert_eq!(NarrationDo::Back.target(4.0, 185.0), Some(0.0), "not before the start");
    assert_eq!(NarrationDo::Forward.target(180.0, 185.0), Some(185.0), "not past the end");
    assert_eq!(NarrationDo::Seek(62.5).target(0.0, 185.0), Some(62.5));
    assert_eq!(NarrationDo::Speed.target(30.0, 185.0), None);
    assert_eq!(NarrationDo::Louder.volume(0.8), Some(0.9));
    assert_eq!(NarrationDo::Louder.volume(1.0), Some(1.0));
    assert_eq!(NarrationDo::Softer.volume(0.05), Some(0.0));
    assert_eq!(NarrationDo::Mute.volume(0.5), None);
    assert_eq!(landed(40.0, 185.0, Lang::En), "0:40 of 3:05");

    let st = |speed: f64, volume: f32, subtitles: Option<Lang>| NarrationState {
        playing: true,
        duration: 185.0,
        speed,
        volume,
        muted: false,
        subtitles,
        transcript: false,
        cues: &[],
    };
    let a = narration::item(&st(1.0, 0.8, Some(Lang::Zh)), Lang::En);
    let b = narration::item(&st(1.25, 0.8, Some(Lang::Zh)), Lang::En);
    let c = narration::item(&st(1.25, 0.9, Some(Lang::En)), Lang::En);
    assert_eq!(change(&a, &a), None, "nothing changed, nothing said");
    assert_eq!(change(&a, &b).as_deref(), Some("Speed 1.25×"));
    assert_eq!(change(&b, &c).as_deref(), Some("Volume 90 %, Subtitles: English"));
}
