//! The live guided-session protocol (docs/protocol.md): JSON messages over a WebSocket between a
//! teacher, the students of a class and `cloudhall serve`. Shared by the server and the viewer so
//! the two cannot drift apart. No Bevy, no tokio.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol version every message carries as `"v"`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest text message the server reads, in bytes.
pub const MESSAGE_LIMIT: usize = 4096;

/// Longest display name and note, in characters.
pub const NAME_LIMIT: usize = 40;
pub const NOTE_LIMIT: usize = 280;

/// Where the teacher is looking, in degrees (DESIGN.md's angles).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveView {
    pub yaw: f32,
    pub pitch: f32,
    pub hfov: f32,
}

impl LiveView {
    pub fn is_valid(&self) -> bool {
        self.yaw.is_finite()
            && self.pitch.is_finite()
            && self.hfov.is_finite()
            && (-90.0..=90.0).contains(&self.pitch)
            && (1.0..=179.0).contains(&self.hfov)
    }
}

/// The teacher's narration: playing or paused at `t` seconds, at `speed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrationState {
    pub playing: bool,
    pub t: f64,
    pub speed: f64,
}

impl NarrationState {
    pub fn is_valid(&self) -> bool {
        self.t.is_finite() && self.t >= 0.0 && self.speed.is_finite() && (0.25..=4.0).contains(&self.speed)
    }
}

/// What the class is shown: everything a student who joins late needs at once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassState {
    pub site: Option<String>,
    pub scene: Option<String>,
    pub view: Option<LiveView>,
    pub narration: Option<NarrationState>,
    pub highlight: Option<String>,
    pub note: Option<String>,
    pub teacher_connected: bool,
    pub ended: bool,
    /// How many teacher messages have changed this state.
    pub seq: u64,
}

/// One student on the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Student {
    pub id: String,
    pub name: String,
    pub connected: bool,
    /// Following the teacher's view (true) or looking freely.
    pub following: bool,
    pub site: Option<String>,
    pub scene: Option<String>,
    pub hand: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Teacher,
    Student,
}

/// A message from a teacher or a student to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// Teacher, first message: take (or take back) the session.
    Claim { token: String },
    /// Teacher: everyone goes to this scene, facing `view` if given.
    Go {
        site: String,
        scene: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        view: Option<LiveView>,
    },
    /// Teacher: where the teacher looks (relayed at most 10 times a second).
    View { yaw: f32, pitch: f32, hfov: f32 },
    /// Teacher: narration play/pause/seek/speed.
    Narration { playing: bool, t: f64, speed: f64 },
    /// Teacher: make a hotspot of the current scene pulse, or none.
    Highlight { hotspot: Option<String> },
    /// Teacher: everyone snaps to the teacher's scene and view.
    Gather,
    /// Teacher: a short text shown to everyone.
    Note { text: String },
    /// Teacher: the session is over.
    End,
    /// Student, first message: join under a display name; `resume` takes back an earlier place.
    Join {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<String>,
    },
    /// Student: leaving for good.
    Leave,
    /// Student: following the teacher (true) or looking freely (false).
    Mode { following: bool },
    /// Student: the scene on the student's screen.
    Scene { site: String, scene: String },
    /// Student: hand raised or lowered.
    Hand { raised: bool },
}

impl ClientMsg {
    /// The `type` field of this message.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Claim { .. } => "claim",
            ClientMsg::Go { .. } => "go",
            ClientMsg::View { .. } => "view",
            ClientMsg::Narration { .. } => "narration",
            ClientMsg::Highlight { .. } => "highlight",
            ClientMsg::Gather => "gather",
            ClientMsg::Note { .. } => "note",
            ClientMsg::End => "end",
            ClientMsg::Join { .. } => "join",
            ClientMsg::Leave => "leave",
            ClientMsg::Mode { .. } => "mode",
            ClientMsg::Scene { .. } => "scene",
            ClientMsg::Hand { .. } => "hand",
        }
    }

    /// Who may send this message.
    pub fn sender(&self) -> Role {
        match self {
            ClientMsg::Join { .. }
            | ClientMsg::Leave
            | ClientMsg::Mode { .. }
            | ClientMsg::Scene { .. }
            | ClientMsg::Hand { .. } => Role::Student,
            _ => Role::Teacher,
        }
    }

    /// The message as sent on the wire, with its version.
    pub fn to_json(&self) -> String {
        with_version(serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// A message from the server to a teacher or a student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to `claim` or `join`: the whole current state (and, for the teacher, the roster).
    Welcome {
        role: Role,
        code: String,
        /// The student's id on the roster.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// What the student sends as `resume` to take this place back after a reconnect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<String>,
        state: ClassState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        roster: Option<Vec<Student>>,
    },
    Go {
        site: String,
        scene: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        view: Option<LiveView>,
    },
    View {
        yaw: f32,
        pitch: f32,
        hfov: f32,
    },
    Narration {
        playing: bool,
        t: f64,
        speed: f64,
    },
    Highlight {
        hotspot: Option<String>,
    },
    /// Snap to this scene and view now.
    Gather {
        site: Option<String>,
        scene: Option<String>,
        view: Option<LiveView>,
    },
    Note {
        text: String,
    },
    /// The teacher's connection came or went.
    Teacher {
        connected: bool,
    },
    /// To the teacher: a student joined or changed.
    Student {
        student: Student,
    },
    /// To the teacher: a student left.
    Left {
        id: String,
    },
    /// The session is over; the server closes the connection after this.
    Ended {
        reason: String,
    },
    /// A message was refused; the connection stays unless the code says otherwise.
    Error {
        code: String,
        message: String,
    },
}

impl ServerMsg {
    pub fn error(code: &str, message: impl Into<String>) -> ServerMsg {
        ServerMsg::Error { code: code.into(), message: message.into() }
    }

    /// The message as sent on the wire, with its version.
    pub fn to_json(&self) -> String {
        with_version(serde_json::to_value(self).unwrap_or(Value::Null))
    }

    /// Read a message from the server.
    pub fn parse(text: &str) -> Result<ServerMsg, String> {
        let v = versioned(text).map_err(|e| e.1)?;
        serde_json::from_value(v).map_err(|e| format!("unreadable message from the server: {e}"))
    }
}

fn with_version(v: Value) -> String {
    let mut out = serde_json::Map::new();
    out.insert("v".into(), PROTOCOL_VERSION.into());
    if let Value::Object(o) = v {
        out.extend(o);
    }
    Value::Object(out).to_string()
}

/// Why a client's message was refused: the error code and a reason for people.
pub type Refusal = (&'static str, String);

/// The JSON object of a message after its version is checked, without `v`.
fn versioned(text: &str) -> Result<Value, Refusal> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| ("bad_json", format!("not JSON: {e}")))?;
    let o = v.as_object_mut().ok_or(("bad_message", "a message is a JSON object".to_string()))?;
    match o.remove("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => return Err(("version", format!("protocol version {v} is not spoken here; use {PROTOCOL_VERSION}"))),
        None => return Err(("version", format!("a message needs \"v\": {PROTOCOL_VERSION}"))),
    }
    Ok(v)
}

const CLIENT_TYPES: &[&str] = &[
    "claim",
    "go",
    "view",
    "narration",
    "highlight",
    "gather",
    "note",
    "end",
    "join",
    "leave",
    "mode",
    "scene",
    "hand",
];

/// Read a client's message, saying precisely what is wrong with a bad one.
pub fn parse_client(text: &str) -> Result<ClientMsg, Refusal> {
    if text.len() > MESSAGE_LIMIT {
        return Err(("too_large", format!("a message is at most {MESSAGE_LIMIT} bytes; this one is {}", text.len())));
    }
    let v = versioned(text)?;
    let kind = v.get("type").and_then(Value::as_str).ok_or(("bad_message", "a message needs a \"type\"".into()))?;
    if !CLIENT_TYPES.contains(&kind) {
        return Err(("unknown_type", format!("unknown message type `{kind}`; known: {}", CLIENT_TYPES.join(", "))));
    }
    let kind = kind.to_string();
    let msg: ClientMsg = serde_json::from_value(v.clone())
        .map_err(|e| ("bad_message", format!("a `{kind}` message is malformed: {e}")))?;
    // Fields the message does not have (serde lets them pass on variants without fields).
    let known = serde_json::to_value(&msg).unwrap_or(Value::Null);
    if let (Some(given), Some(known)) = (v.as_object(), known.as_object())
        && let Some(extra) = given.iter().find(|(k, val)| !known.contains_key(*k) && !val.is_null()).map(|(k, _)| k)
    {
        return Err(("bad_message", format!("a `{kind}` message has no field `{extra}`")));
    }
    check_fields(&msg).map_err(|e| ("bad_message", e))?;
    Ok(msg)
}

/// Value checks serde cannot make.
fn check_fields(msg: &ClientMsg) -> Result<(), String> {
    let id_like = |s: &str| !s.is_empty() && s.len() <= 100;
    match msg {
        ClientMsg::Go { site, scene, view } => {
            if !id_like(site) || !id_like(scene) {
                return Err("`site` and `scene` are ids".into());
            }
            if view.is_some_and(|v| !v.is_valid()) {
                return Err("the view's pitch is -90..90 and hfov 1..179".into());
            }
        }
        ClientMsg::View { yaw, pitch, hfov } => {
            if !(LiveView { yaw: *yaw, pitch: *pitch, hfov: *hfov }).is_valid() {
                return Err("pitch is -90..90 and hfov 1..179, all finite".into());
            }
        }
        ClientMsg::Narration { playing, t, speed } => {
            if !(NarrationState { playing: *playing, t: *t, speed: *speed }).is_valid() {
                return Err("t is seconds (0 or more) and speed 0.25..4".into());
            }
        }
        ClientMsg::Highlight { hotspot: Some(h) } if !id_like(h) => return Err("`hotspot` is an id".into()),
        ClientMsg::Note { text } => {
            let n = text.trim().chars().count();
            if n == 0 || n > NOTE_LIMIT {
                return Err(format!("a note is 1..{NOTE_LIMIT} characters; this one is {n}"));
            }
        }
        ClientMsg::Join { name, .. } => {
            let n = name.trim().chars().count();
            if n == 0 || n > NAME_LIMIT || name.chars().any(char::is_control) {
                return Err(format!("a name is 1..{NAME_LIMIT} characters without control characters"));
            }
        }
        ClientMsg::Scene { site, scene } if !id_like(site) || !id_like(scene) => {
            return Err("`site` and `scene` are ids".into());
        }
        _ => {}
    }
    Ok(())
}

/// How a viewer takes part in a live session.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveJoin {
    /// Lead the session `code` with the teacher's `token`.
    Guide { code: String, token: String },
    /// Join the session `code` as `name`.
    Join { code: String, name: String },
}

impl LiveJoin {
    pub fn code(&self) -> &str {
        match self {
            LiveJoin::Guide { code, .. } | LiveJoin::Join { code, .. } => code,
        }
    }
}

/// The reason in one of the server's refusals (`{"error": "..."}`), if the body has one.
pub fn error_reason(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body).ok()?.get("error")?.as_str().map(str::to_string)
}

/// Where the class is (site, scene), from `GET /api/v1/sessions/{code}`'s answer.
pub fn class_position(info: &Value) -> Option<(String, String)> {
    Some((info["site"].as_str()?.to_string(), info["scene"].as_str()?.to_string()))
}

/// The WebSocket URL of session `code` on the server at `base` (`http://host:port`).
pub fn ws_url(base: &str, code: &str) -> String {
    let base = base.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        format!("ws://{base}")
    };
    format!("{ws}/api/v1/sessions/{code}/ws")
}

/// How many digits a join code has: a billion codes, so that a stranger who tries codes (a few
/// a minute from one address, as the server allows) finds no class in any useful time, while a
/// class still reads its code off the board.
pub const CODE_DIGITS: usize = 9;

/// A session's join code: [`CODE_DIGITS`] digits.
pub fn is_code(code: &str) -> bool {
    code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// What a student typed as a code, without the spaces or dashes that grouping adds
/// ("123 456 789" is "123456789").
pub fn typed_code(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_carry_the_version_and_a_snake_case_type() {
        let m = ClientMsg::Go { site: "a".into(), scene: "b".into(), view: None };
        let v: Value = serde_json::from_str(&m.to_json()).expect("json");
        assert_eq!(v, json!({"v": 1, "type": "go", "site": "a", "scene": "b"}));
        assert_eq!(parse_client(&m.to_json()), Ok(m));
        let s = ServerMsg::Teacher { connected: false };
        assert_eq!(ServerMsg::parse(&s.to_json()), Ok(s));
        for m in [ClientMsg::Gather, ClientMsg::End, ClientMsg::Leave, ClientMsg::Hand { raised: true }] {
            assert_eq!(serde_json::from_str::<Value>(&m.to_json()).expect("json")["type"], m.kind());
        }
    }

    #[test]
    fn bad_messages_are_refused_with_a_code_and_a_reason() {
        let code = |t: &str| parse_client(t).unwrap_err().0;
        assert_eq!(code("nope"), "bad_json");
        assert_eq!(code(r#"[1]"#), "bad_message");
        assert_eq!(code(r#"{"type":"gather"}"#), "version");
        assert_eq!(code(r#"{"v":2,"type":"gather"}"#), "version");
        assert_eq!(code(r#"{"v":1}"#), "bad_message");
        assert_eq!(code(r#"{"v":1,"type":"dance"}"#), "unknown_type");
        assert!(parse_client(r#"{"v":1,"type":"dance"}"#).unwrap_err().1.contains("`dance`"));
        assert_eq!(code(r#"{"v":1,"type":"view","yaw":1}"#), "bad_message");
        assert_eq!(code(r#"{"v":1,"type":"view","yaw":1,"pitch":95,"hfov":90}"#), "bad_message");
        assert_eq!(code(r#"{"v":1,"type":"gather","extra":1}"#), "bad_message");
        assert_eq!(code(r#"{"v":1,"type":"join","name":"  "}"#), "bad_message");
        assert_eq!(code(&json!({"v":1,"type":"note","text":"字".repeat(281)}).to_string()), "bad_message");
        assert_eq!(code(&json!({"v":1,"type":"note","text":"x".repeat(5000)}).to_string()), "too_large");
        assert_eq!(code(r#"{"v":1,"type":"narration","playing":true,"t":-1,"speed":1}"#), "bad_message");
        assert!(parse_client(r#"{"v":1,"type":"join","name":"李明"}"#).is_ok());
    }

    #[test]
    fn websocket_urls_follow_the_server_address() {
        assert_eq!(ws_url("http://127.0.0.1:8080/", "123456"), "ws://127.0.0.1:8080/api/v1/sessions/123456/ws");
        assert_eq!(ws_url("https://hall.example", "000001"), "wss://hall.example/api/v1/sessions/000001/ws");
    }

    #[test]
    fn roles_and_codes() {
        assert_eq!(ClientMsg::Gather.sender(), Role::Teacher);
        assert_eq!(ClientMsg::Mode { following: true }.sender(), Role::Student);
        assert!(is_code("012345678"));
        assert!(!is_code("012345") && !is_code("12345678a") && !is_code("0123456789"));
        assert_eq!(typed_code(" 123 456-789 "), "123456789");
    }
}
