//! The embed API: what a host page may ask of a viewer in an iframe (`postMessage` commands) and
//! what the viewer tells it (events), and which origins may do either.
//!
//! Commands are accepted only from origins on the configured allowlist, and events are posted
//! only to those origins; anything else is ignored. `docs/embed.md` documents the messages.

use serde::Deserialize;
use serde_json::{json, Value};
use thiserror::Error;

/// The `type` of a command message.
pub const COMMAND: &str = "ivs-viewer:command";
/// The `type` of an event message.
pub const EVENT: &str = "ivs-viewer:event";

/// What a host page may ask.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    Play,
    Pause,
    Mute,
    Unmute,
    /// 0 to 1.
    Volume {
        value: f64,
    },
    /// A quality by name (as in the `qualities` event), or `"auto"`.
    Quality {
        name: String,
    },
}

/// Why a message is not a command.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EmbedError {
    #[error("not a viewer command")]
    NotACommand,
    #[error("bad command: {0}")]
    Bad(String),
    #[error("origin {0:?} is not allowed")]
    Origin(String),
}

/// Reads a command from a message's data (as JSON).
pub fn parse_command(data: &str) -> Result<Command, EmbedError> {
    let value: Value = serde_json::from_str(data).map_err(|_| EmbedError::NotACommand)?;
    if value.get("type").and_then(Value::as_str) != Some(COMMAND) {
        return Err(EmbedError::NotACommand);
    }
    let command: Command = serde_json::from_value(value).map_err(|e| EmbedError::Bad(e.to_string()))?;
    match &command {
        Command::Volume { value } if !(0.0..=1.0).contains(value) => Err(EmbedError::Bad("volume must be 0 to 1".into())),
        Command::Quality { name } if name.is_empty() || name.len() > 64 => Err(EmbedError::Bad("quality name must be 1 to 64 characters".into())),
        _ => Ok(command),
    }
}

/// An origin in canonical form (`scheme://host[:port]`, lower case, default port left out), or
/// `None` if `text` is not an http(s) origin.
pub fn canonical_origin(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => (host, Some(port)),
        Some(_) => return None,
        None => (rest, None),
    };
    Some(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// An allowlist entry that is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an http(s) origin such as https://example.com")]
pub struct NotAnOrigin(pub String);

/// The origins allowed to command the viewer and to hear its events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Allowlist(Vec<String>);

impl Allowlist {
    /// Checks each entry; `"*"` is refused (every origin would be a hole, not a list).
    pub fn parse(entries: &[String]) -> Result<Self, NotAnOrigin> {
        entries.iter().map(|e| canonical_origin(e).ok_or_else(|| NotAnOrigin(e.clone()))).collect::<Result<Vec<_>, _>>().map(Self)
    }

    pub fn allows(&self, origin: &str) -> bool {
        canonical_origin(origin).is_some_and(|o| self.0.contains(&o))
    }

    pub fn origins(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks a message's origin, then reads its command.
    pub fn accept(&self, origin: &str, data: &str) -> Result<Command, EmbedError> {
        if !self.allows(origin) {
            return Err(EmbedError::Origin(origin.to_owned()));
        }
        parse_command(data)
    }
}

/// What the viewer tells the host.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The player's state, by the SDK's name (`Playing`, `Buffering`…), and the status words shown.
    State {
        state: String,
        status: String,
    },
    Error {
        message: String,
    },
    Volume {
        muted: bool,
        volume: f64,
    },
    /// The text of a timed-metadata cue.
    Cue {
        text: String,
    },
    /// A poll's final counts.
    PollResult {
        poll_id: String,
        counts: Vec<u64>,
    },
    /// The qualities to choose from, by name.
    Qualities {
        names: Vec<String>,
    },
}

impl Event {
    /// As the message posted to the host.
    pub fn to_json(&self) -> String {
        let body = match self {
            Self::State { state, status } => json!({ "event": "state", "state": state, "status": status }),
            Self::Error { message } => json!({ "event": "error", "message": message }),
            Self::Volume { muted, volume } => json!({ "event": "volume", "muted": muted, "volume": volume }),
            Self::Cue { text } => json!({ "event": "cue", "text": text }),
            Self::PollResult { poll_id, counts } => json!({ "event": "poll-result", "pollId": poll_id, "counts": counts }),
            Self::Qualities { names } => json!({ "event": "qualities", "names": names }),
        };
        let mut body = body;
        body["type"] = EVENT.into();
        body.to_string()
    }
}

/// What the embed code generator is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct SnippetOptions {
    /// Width: pixels, or `None` for the full width of the host's column (16:9).
    pub width: Option<u32>,
    pub chat: bool,
    pub muted: bool,
    /// The viewer's language (`None`: each viewer's browser's), one of [`crate::words::LOCALES`].
    pub lang: Option<String>,
}

/// The `<iframe>` a site owner pastes into a page to embed the viewer served at `origin`.
pub fn snippet(origin: &str, options: &SnippetOptions) -> String {
    let mut query = Vec::new();
    if options.chat {
        query.push("chat=1".to_owned());
    }
    if options.muted {
        query.push("muted=1".to_owned());
    }
    if let Some(lang) = options.lang.as_deref().filter(|l| crate::words::LOCALES.contains(l)) {
        query.push(format!("lang={lang}"));
    }
    let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    let src = format!("{}/embed{query}", origin.trim_end_matches('/'));
    let size = match options.width {
        Some(width) => {
            let width = width.clamp(200, 3840);
            let height = if options.chat && width >= 600 { width * 9 / 16 } else { width * 9 / 16 + if options.chat { 320 } else { 0 } };
            format!(r#"width="{width}" height="{height}" style="border:0;max-width:100%""#)
        }
        None => format!(r#"style="border:0;width:100%;aspect-ratio:{}""#, if options.chat { "4 / 3" } else { "16 / 9" }),
    };
    format!(r#"<iframe src="{}" {size} allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="Live stream"></iframe>"#, escape_attribute(&src))
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_are_checked() {
        assert_eq!(parse_command(r#"{"type":"ivs-viewer:command","command":"mute"}"#), Ok(Command::Mute));
        assert_eq!(parse_command(r#"{"type":"ivs-viewer:command","command":"volume","value":0.5}"#), Ok(Command::Volume { value: 0.5 }));
        assert_eq!(parse_command(r#"{"type":"ivs-viewer:command","command":"quality","name":"720p60"}"#), Ok(Command::Quality { name: "720p60".into() }));
        assert!(matches!(parse_command(r#"{"type":"ivs-viewer:command","command":"volume","value":3}"#), Err(EmbedError::Bad(_))));
        assert!(matches!(parse_command(r#"{"type":"ivs-viewer:command","command":"explode"}"#), Err(EmbedError::Bad(_))));
        assert_eq!(parse_command(r#"{"type":"other","command":"mute"}"#), Err(EmbedError::NotACommand));
        assert_eq!(parse_command("\"hello\""), Err(EmbedError::NotACommand));
    }

    #[test]
    fn only_listed_origins_are_allowed() {
        let list = Allowlist::parse(&["https://Site.example".into(), "http://127.0.0.1:9000/".into()]).unwrap();
        assert!(list.allows("https://site.example"));
        assert!(list.allows("https://site.example:443"));
        assert!(list.allows("http://127.0.0.1:9000"));
        assert!(!list.allows("http://127.0.0.1:9001"));
        assert!(!list.allows("https://site.example.evil.com"));
        assert!(!list.allows("http://site.example"), "the scheme is part of the origin");
        assert!(!list.allows("null"));
        assert!(Allowlist::parse(&["*".into()]).is_err());
        assert!(Allowlist::parse(&["https://a.example/path".into()]).is_err());
        assert!(Allowlist::parse(&["javascript:alert(1)".into()]).is_err());
        assert!(matches!(list.accept("https://evil.example", r#"{"type":"ivs-viewer:command","command":"mute"}"#), Err(EmbedError::Origin(_))));
        assert_eq!(list.accept("https://site.example", r#"{"type":"ivs-viewer:command","command":"pause"}"#), Ok(Command::Pause));
    }

    #[test]
    fn snippets_are_ready_to_paste() {
        let fixed = snippet("https://live.example/", &SnippetOptions { width: Some(640), chat: false, muted: true, lang: None });
        assert_eq!(
            fixed,
            r#"<iframe src="https://live.example/embed?muted=1" width="640" height="360" style="border:0;max-width:100%" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="Live stream"></iframe>"#
        );
        let fluid = snippet("https://live.example", &SnippetOptions { width: None, chat: true, muted: false, lang: None });
        assert!(fluid.contains(r#"src="https://live.example/embed?chat=1""#) && fluid.contains("width:100%"));
        let hostile = snippet(r#"https://x.example/"><script>"#, &SnippetOptions { width: None, chat: true, muted: true, lang: None });
        assert!(!hostile.contains("<script>") && hostile.contains("&amp;muted=1"));
        // In a language of the viewer's; one it does not speak is left out.
        let arabic = snippet("https://live.example", &SnippetOptions { width: None, chat: false, muted: true, lang: Some("ar".into()) });
        assert!(arabic.contains(r#"src="https://live.example/embed?muted=1&amp;lang=ar""#), "{arabic}");
        let unknown = snippet("https://live.example", &SnippetOptions { width: None, chat: false, muted: false, lang: Some("x\"y".into()) });
        assert!(unknown.contains(r#"src="https://live.example/embed""#), "{unknown}");
    }

    #[test]
    fn events_are_typed_messages() {
        let event: Value = serde_json::from_str(&Event::Volume { muted: true, volume: 0.5 }.to_json()).unwrap();
        assert_eq!(event, json!({ "type": EVENT, "event": "volume", "muted": true, "volume": 0.5 }));
        let result: Value = serde_json::from_str(&Event::PollResult { poll_id: "p".into(), counts: vec![1, 2] }.to_json()).unwrap();
        assert_eq!(result["pollId"], "p");
    }
}
