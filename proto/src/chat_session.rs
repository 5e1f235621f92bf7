//! The viewer's side of a chat: the connection's state machine and the log of what was said.
//!
//! [`Session`] decides, from what happened (a token arrived, the socket opened or closed, a
//! frame came in, a timer fired), what to do next ([`Effect`]): fetch a token, open a socket,
//! close it, set a timer. Every connection uses a fresh token; drops are retried with capped
//! exponential backoff and jitter; a new connection is opened ahead of the session's expiry so
//! nobody is cut off; a viewer a moderator disconnected is told so and stays disconnected.
//!
//! [`ChatLog`] is what the panel shows: a bounded list of messages and notices, with deleted
//! messages replaced by a placeholder and each message's text split into text and safe links.
//!
//! One cohesive thing, kept whole (with its tests, over 500 lines): the session's state machine,
//! its outbox and its log change together.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backoff::Backoff;
use crate::chat::{reconnect_at, ErrorCode, Subscribe, EVENT_DELETE_MESSAGE, EVENT_DISCONNECT_USER};
use crate::room_event::RoomEvent;
use crate::url::SafeUrl;

/// What the site backend answers when asked for a chat token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatToken {
    pub token: String,
    /// ISO 8601.
    pub session_expiration_time: String,
    pub user_id: String,
    #[serde(default)]
    pub display_name: String,
    /// What the server granted: `SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The room's message length limit, if the backend says.
    #[serde(default)]
    pub maximum_message_length: Option<usize>,
    /// Slow mode's seconds when the token was issued (0 or absent: off); the room's
    /// `app:chat-rules` events tell of changes.
    #[serde(default)]
    pub slow_mode_secs: u32,
}

/// Why a chat token response cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the chat token response is not valid ({0})")]
    Malformed(String),
    #[error("the chat token is not usable as a WebSocket subprotocol")]
    NotASubprotocol,
}

impl ChatToken {
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let token: Self = serde_json::from_str(text).map_err(|e| TokenError::Malformed(e.to_string()))?;
        // A subprotocol is an HTTP token: a browser refuses anything else before connecting.
        if token.token.is_empty() || !token.token.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)) {
            return Err(TokenError::NotASubprotocol);
        }
        Ok(token)
    }

    pub fn can(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }
}

/// Milliseconds since the epoch of an RFC 3339 / ISO 8601 timestamp (`2026-11-24T12:00:00.5Z`,
/// `…+01:00`).
pub fn parse_timestamp_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let frac = &text[at + 1..at + 1 + digits.min(3)];
        millis = frac.parse::<i64>().ok()? * 10_i64.pow(3 - frac.len() as u32);
        at += 1 + digits;
    }
    let offset_min = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if b.len() == at + 6 && b[at + 3] == b':' => {
            let m = num(at + 1, 2)? * 60 + num(at + 4, 2)?;
            if *sign == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute - offset_min) * 60_000 + second * 1000 + millis)
}

/// Where the connection stands, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatState {
    /// Fetching a token or opening the socket.
    Connecting,
    Connected,
    /// Waiting to try again, at this time (ms since the epoch).
    Reconnecting {
        at_ms: i64,
    },
    /// A moderator removed this viewer (with the moderator's reason, if given): it will not
    /// reconnect by itself.
    Disconnected {
        reason: Option<String>,
    },
}

impl ChatState {
    /// Whole seconds until a pending reconnect (the panel counts them down; 0: now).
    pub fn reconnect_in_secs(&self, now_ms: i64) -> Option<i64> {
        match self {
            Self::Reconnecting { at_ms } => Some(((at_ms - now_ms).max(0) + 999) / 1000),
            _ => None,
        }
    }
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Ask the backend for a token, then call [`Session::token_ready`] or [`Session::token_failed`].
    FetchToken,
    /// Open a new socket with this token (the one open now, if any, stays until it is replaced).
    Open { token: String },
    /// Close the socket.
    Close,
    /// Call [`Session::timer`] at this time (ms since the epoch), replacing any earlier timer.
    SetTimer { at_ms: i64 },
}

/// The connection's state machine. Randomness and the clock are passed in.
#[derive(Debug, Clone)]
pub struct Session {
    state: ChatState,
    backoff: Backoff,
    token: Option<ChatToken>,
    session_expires_ms: Option<i64>,
    /// A replacement connection is being set up ahead of the session's expiry.
    refreshing: bool,
}

/// How far ahead of a session's end the replacement connection is opened: a tenth of the
/// session, at least 2 s and at most 60 s.
fn refresh_margin_ms(session_ms: i64) -> i64 {
    (session_ms / 10).clamp(2_000, 60_000)
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    pub fn new() -> Self {
        Self {
            state: ChatState::Connecting,
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(15)),
            token: None,
            session_expires_ms: None,
            refreshing: false,
        }
    }

    pub fn state(&self) -> &ChatState {
        &self.state
    }

    /// The token of the current connection: who this viewer is and what it may do.
    pub fn identity(&self) -> Option<&ChatToken> {
        self.token.as_ref()
    }

    pub fn start(&mut self) -> Vec<Effect> {
        self.state = ChatState::Connecting;
        vec![Effect::FetchToken]
    }

    pub fn token_ready(&mut self, token: ChatToken) -> Vec<Effect> {
        if matches!(self.state, ChatState::Disconnected { .. }) {
            return vec![];
        }
        self.session_expires_ms = parse_timestamp_ms(&token.session_expiration_time);
        let open = Effect::Open { token: token.token.clone() };
        self.token = Some(token);
        vec![open]
    }

    pub fn token_failed(&mut self, now_ms: i64, random: f64) -> Vec<Effect> {
        self.refreshing = false;
        self.retry(now_ms, random)
    }

    /// The newest socket opened (and replaced any older one).
    pub fn opened(&mut self, now_ms: i64) -> Vec<Effect> {
        if matches!(self.state, ChatState::Disconnected { .. }) {
            return vec![Effect::Close];
        }
        self.state = ChatState::Connected;
        self.refreshing = false;
        self.backoff.reset();
        match self.session_expires_ms {
            Some(expires) => {
                let margin = refresh_margin_ms(expires - now_ms);
                vec![Effect::SetTimer { at_ms: reconnect_at(now_ms, expires, margin) }]
            }
            None => vec![],
        }
    }

    /// The current socket closed (or failed to open).
    pub fn closed(&mut self, now_ms: i64, random: f64) -> Vec<Effect> {
        match self.state {
            ChatState::Disconnected { .. } => vec![],
            // A replacement is on its way; the panel need not flicker.
            _ if self.refreshing => vec![],
            _ => self.retry(now_ms, random),
        }
    }

    fn retry(&mut self, now_ms: i64, random: f64) -> Vec<Effect> {
        if matches!(self.state, ChatState::Disconnected { .. }) {
            return vec![];
        }
        let at_ms = now_ms + self.backoff.next_delay(random).as_millis() as i64;
        self.state = ChatState::Reconnecting { at_ms };
        vec![Effect::SetTimer { at_ms }]
    }

    /// The timer set by an earlier effect fired.
    pub fn timer(&mut self, now_ms: i64) -> Vec<Effect> {
        match self.state {
            ChatState::Reconnecting { at_ms } if now_ms >= at_ms => {
                self.state = ChatState::Connecting;
                vec![Effect::FetchToken]
            }
            ChatState::Connected if !self.refreshing => {
                // The session ends soon: connect again now, while this connection still works.
                self.refreshing = true;
                vec![Effect::FetchToken]
            }
            _ => vec![],
        }
    }

    /// A frame from the room. Returns the effects, and an error to show the viewer, if any.
    pub fn frame(&mut self, frame: &Subscribe) -> (Vec<Effect>, Option<ErrorCode>) {
        match frame {
            Subscribe::Event { event_name, attributes, .. } if event_name == EVENT_DISCONNECT_USER => {
                let me = self.token.as_ref().map(|t| t.user_id.as_str());
                let RoomEvent::DisconnectUser { user_id, reason } = RoomEvent::parse(event_name, attributes) else { return (vec![], None) };
                if Some(user_id.as_str()) == me {
                    self.state = ChatState::Disconnected { reason };
                    return (vec![Effect::Close], None);
                }
                (vec![], None)
            }
            Subscribe::Error { error_code, .. } => {
                let code = ErrorCode::from_code(*error_code);
                // The token or session is no good: start over with a fresh one.
                let effects = if code == ErrorCode::Unauthorized { vec![Effect::Close] } else { vec![] };
                (effects, Some(code))
            }
            _ => (vec![], None),
        }
    }
}

/// A piece of a message: text, or a link that passed the scheme check.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    Link(SafeUrl),
}

/// Splits `content` into text and http(s) links; nothing else becomes a link.
pub fn segments(content: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut text = String::new();
    for word in content.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        let core = trimmed.trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
        let lower = core.to_ascii_lowercase();
        let link = (lower.starts_with("http://") || lower.starts_with("https://")).then(|| SafeUrl::parse(core).ok()).flatten();
        match link {
            Some(url) => {
                if !text.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text)));
                }
                out.push(Segment::Link(url));
                text.push_str(&word[core.len()..]);
            }
            None => text.push_str(word),
        }
    }
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
    out
}

/// A hue (0–359) for a user's name, stable across sessions.
pub fn name_hue(user_id: &str) -> u16 {
    let hash = user_id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    (hash % 360) as u16
}

/// One line of the chat.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Message(ChatMessage),
    /// Said by the viewer itself (a notice about the connection, say).
    Notice {
        key: u64,
        text: String,
    },
}

impl Line {
    /// A key unique within the log.
    pub fn key(&self) -> String {
        match self {
            Self::Message(m) => format!("m{}", m.id),
            Self::Notice { key, .. } => format!("n{key}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub hue: u16,
    pub badge: Option<String>,
    /// When it was sent (ms since the epoch), if its time could be read.
    pub sent_ms: Option<i64>,
    pub segments: Vec<Segment>,
    /// Deleted by a moderator: show a placeholder instead.
    pub deleted: bool,
}

/// The lines the panel shows, at most `cap`; older lines fall off the top.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatLog {
    lines: VecDeque<Line>,
    cap: usize,
    next_notice: u64,
    /// Messages received since the log began (shown or since dropped off the top).
    pub received: u64,
}

impl ChatLog {
    pub fn new(cap: usize) -> Self {
        Self { lines: VecDeque::new(), cap: cap.max(1), next_notice: 0, received: 0 }
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &Line> + ExactSizeIterator {
        self.lines.iter()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn push(&mut self, line: Line) {
        self.lines.push_back(line);
        while self.lines.len() > self.cap {
            self.lines.pop_front();
        }
    }

    /// A line from the viewer itself (the key of its words, `locales/*.json`).
    pub fn notice(&mut self, text: impl Into<String>) {
        self.next_notice += 1;
        self.push(Line::Notice { key: self.next_notice, text: text.into() });
    }

    /// Applies a frame: a message is added (once, even if it arrives twice while a connection
    /// is replaced), a deletion turns its message into a placeholder. Returns whether the log
    /// changed.
    pub fn apply(&mut self, frame: &Subscribe) -> bool {
        match frame {
            Subscribe::Message { id, content, send_time, sender, .. } => {
                if self.lines.iter().rev().take(64).any(|l| matches!(l, Line::Message(m) if &m.id == id)) {
                    return false;
                }
                self.received += 1;
                let name = sender.attributes.get("displayName").filter(|n| !n.trim().is_empty()).cloned().unwrap_or_else(|| sender.user_id.clone());
                self.push(Line::Message(ChatMessage {
                    id: id.clone(),
                    user_id: sender.user_id.clone(),
                    name: name.chars().take(40).collect(),
                    hue: name_hue(&sender.user_id),
                    badge: sender.attributes.get("badge").filter(|b| !b.is_empty()).map(|b| b.chars().take(20).collect()),
                    sent_ms: parse_timestamp_ms(send_time),
                    segments: segments(content),
                    deleted: false,
                }));
                true
            }
            Subscribe::Event { event_name, attributes, .. } if event_name == EVENT_DELETE_MESSAGE => {
                let RoomEvent::DeleteMessage { message_id: target, .. } = RoomEvent::parse(event_name, attributes) else { return false };
                let mut changed = false;
                for line in self.lines.iter_mut() {
                    if let Line::Message(m) = line {
                        if m.id == target && !m.deleted {
                            m.deleted = true;
                            m.segments.clear();
                            changed = true;
                        }
                    }
                }
                changed
            }
            _ => false,
        }
    }
}

/// How many sent messages are remembered until the room echoes them.
const OUTBOX_CAP: usize = 20;
/// How long the composer waits after the room said "too fast" (ms).
pub const COOLDOWN_MS: f64 = 3_000.0;

/// Messages sent and not yet seen back from the room, so one the room refuses can be handed back
/// to the composer: nothing typed is lost.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    unconfirmed: VecDeque<(String, String)>,
    sent: u64,
}

impl Outbox {
    /// Records `content` as sent; the request id to send it with.
    pub fn send(&mut self, content: &str) -> String {
        self.sent += 1;
        let id = format!("r{}", self.sent);
        self.unconfirmed.push_back((id.clone(), content.to_owned()));
        if self.unconfirmed.len() > OUTBOX_CAP {
            self.unconfirmed.pop_front();
        }
        id
    }

    /// Takes back a message the room did not send (the socket was closed, say).
    pub fn unsend(&mut self, request_id: &str) {
        self.unconfirmed.retain(|(id, _)| id != request_id);
    }

    /// The room echoed request `request_id`: it was delivered.
    pub fn confirmed(&mut self, request_id: &str) {
        self.unconfirmed.retain(|(id, _)| id != request_id);
    }

    /// The room refused request `request_id`: its content, if this viewer sent it.
    pub fn refused(&mut self, request_id: &str) -> Option<String> {
        let at = self.unconfirmed.iter().position(|(id, _)| id == request_id)?;
        self.unconfirmed.remove(at).map(|(_, content)| content)
    }
}

/// What a refusal from the room means for the composer.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The key of what the viewer is told (`locales/*.json`).
    pub feedback: &'static str,
    /// Sending pauses until then (ms since the epoch), after "too fast".
    pub cooldown_until: Option<f64>,
    /// The refused message, back into the box.
    pub returned: Option<String>,
}

impl Refusal {
    pub fn new(code: ErrorCode, request_id: Option<&str>, outbox: &mut Outbox, now_ms: f64) -> Self {
        Self {
            feedback: code.key(),
            cooldown_until: (code == ErrorCode::TooManyRequests).then_some(now_ms + COOLDOWN_MS),
            returned: request_id.and_then(|id| outbox.refused(id)),
        }
    }
}

/// Why the composer will not send (the viewer says so in the viewer's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeError {
    Empty,
    TooLong { length: usize, max: usize },
}

/// Checks a draft against the room's limit (code points, as the room counts).
pub fn check_draft(draft: &str, max: usize) -> Result<(), ComposeError> {
    let length = crate::chat::message_length(draft);
    if draft.trim().is_empty() {
        Err(ComposeError::Empty)
    } else if length > max {
        Err(ComposeError::TooLong { length, max })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Attributes, Sender};

    fn token(user: &str, expires: &str) -> ChatToken {
        ChatToken {
            token: "AQICtoken".into(),
            session_expiration_time: expires.into(),
            user_id: user.into(),
            display_name: user.into(),
            capabilities: vec!["SEND_MESSAGE".into()],
            maximum_message_length: None,
            slow_mode_secs: 0,
        }
    }

    fn message(id: &str, user: &str, content: &str) -> Subscribe {
        Subscribe::Message {
            id: id.into(),
            request_id: None,
            content: content.into(),
            attributes: Attributes::new(),
            send_time: "2026-11-24T12:34:56.000Z".into(),
            sender: Sender { user_id: user.into(), attributes: Attributes::from([("displayName".into(), format!("{user}!"))]) },
        }
    }

    fn event(name: &str, pairs: &[(&str, &str)]) -> Subscribe {
        Subscribe::Event {
            id: "e".into(),
            request_id: None,
            event_name: name.into(),
            attributes: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            send_time: "2026-11-24T12:00:00Z".into(),
        }
    }

    #[test]
    fn timestamps_parse_as_the_service_writes_them() {
        assert_eq!(parse_timestamp_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp_ms("2026-11-24T12:00:00.5Z"), Some(1_795_521_600_500));
        assert_eq!(parse_timestamp_ms("2026-11-24T13:00:00+01:00"), Some(1_795_521_600_000));
        assert_eq!(parse_timestamp_ms("2000-02-29T00:00:00.123456Z"), Some(951_782_400_123));
        for bad in ["", "2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24T12:00:00", "x026-11-24T12:00:00Z", "2026-11-24T12:00:00.Z"] {
            assert_eq!(parse_timestamp_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn connects_with_a_fresh_token_and_refreshes_before_the_session_ends() {
        let mut s = Session::new();
        assert_eq!(s.start(), [Effect::FetchToken]);
        let now = 1_795_521_600_000; // 2026-11-24T12:00:00Z
        assert_eq!(s.token_ready(token("u1", "2026-11-24T13:00:00Z")), [Effect::Open { token: "AQICtoken".into() }]);
        assert_eq!(s.state(), &ChatState::Connecting);
        // A one-hour session: the replacement connection opens a minute before the end.
        assert_eq!(s.opened(now), [Effect::SetTimer { at_ms: now + 59 * 60_000 }]);
        assert_eq!(s.state(), &ChatState::Connected);
        assert_eq!(s.timer(now + 59 * 60_000), [Effect::FetchToken], "a new token for the new connection");
        assert_eq!(s.closed(now + 59 * 60_000, 0.5), [], "the old one closing while replaced is no drop");
        assert_eq!(s.state(), &ChatState::Connected, "no flicker");
        assert_eq!(s.token_ready(token("u1", "2026-11-24T14:00:00Z")).len(), 1);
        assert_eq!(s.opened(now + 59 * 60_000 + 100).len(), 1);
        // A short session gets a margin of at least 2 s.
        let mut short = Session::new();
        short.start();
        short.token_ready(token("u1", "2026-11-24T12:00:05Z"));
        assert_eq!(short.opened(now), [Effect::SetTimer { at_ms: now + 3_000 }]);
    }

    #[test]
    fn drops_back_off_with_jitter_up_to_a_cap_and_reset_once_connected() {
        let mut s = Session::new();
        s.start();
        let mut delays = Vec::new();
        let mut now = 0;
        for _ in 0..8 {
            let effects = s.closed(now, 1.0);
            let Effect::SetTimer { at_ms } = effects[0] else { panic!("{effects:?}") };
            assert_eq!(s.state().reconnect_in_secs(now), Some((at_ms - now + 999) / 1000));
            delays.push(at_ms - now);
            assert_eq!(s.timer(at_ms - 1), [], "not before its time");
            assert_eq!(s.timer(at_ms), [Effect::FetchToken]);
            now = at_ms;
        }
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        s.token_ready(token("u1", "2026-11-24T13:00:00Z"));
        s.opened(now);
        let Effect::SetTimer { at_ms } = s.closed(now, 0.0)[0] else { panic!() };
        assert_eq!(at_ms - now, 250, "half the first step, jitter 0");
        assert_eq!(s.token_failed(now, 0.0).len(), 1, "a failed token fetch is retried too");
    }

    #[test]
    fn a_viewer_removed_by_a_moderator_stays_out() {
        let mut s = Session::new();
        s.start();
        s.token_ready(token("u1", "2026-11-24T13:00:00Z"));
        s.opened(0);
        let (effects, _) = s.frame(&event(EVENT_DISCONNECT_USER, &[("UserId", "u2"), ("Reason", "")]));
        assert!(effects.is_empty(), "someone else was removed");
        let (effects, _) = s.frame(&event(EVENT_DISCONNECT_USER, &[("UserId", "u1"), ("Reason", "spam")]));
        assert_eq!(effects, [Effect::Close]);
        assert_eq!(s.state(), &ChatState::Disconnected { reason: Some("spam".into()) });
        assert_eq!(s.closed(0, 0.5), [], "no reconnect");
        assert_eq!(s.timer(1_000_000), []);
        assert_eq!(s.token_ready(token("u1", "x")), []);
    }

    #[test]
    fn errors_are_reported_and_an_expired_token_starts_over() {
        let mut s = Session::new();
        let error = |code| Subscribe::Error { id: "x".into(), request_id: None, error_code: code, error_message: "m".into() };
        assert_eq!(s.frame(&error(429)), (vec![], Some(ErrorCode::TooManyRequests)));
        assert_eq!(s.frame(&error(401)), (vec![Effect::Close], Some(ErrorCode::Unauthorized)));
    }

    #[test]
    fn the_log_is_bounded_deduplicated_and_shows_deletions() {
        let mut log = ChatLog::new(3);
        assert!(log.apply(&message("m1", "ann", "hi")));
        assert!(!log.apply(&message("m1", "ann", "hi")), "the same message twice is shown once");
        log.apply(&message("m2", "bob", "yo"));
        log.notice("chat.reconnected");
        log.apply(&message("m3", "ann", "again"));
        assert_eq!(log.len(), 3);
        assert_eq!(log.received, 3);
        assert_eq!(log.lines().next().unwrap().key(), "mm2", "the oldest fell off");
        assert!(log.apply(&event(EVENT_DELETE_MESSAGE, &[("MessageId", "m3")])));
        let Some(Line::Message(m)) = log.lines().last() else { panic!() };
        assert!(m.deleted && m.segments.is_empty(), "the text is gone, not hidden");
        assert_eq!((m.name.as_str(), m.sent_ms), ("ann!", parse_timestamp_ms("2026-11-24T12:34:56Z")));
        assert_eq!(m.sent_ms, Some(1_795_523_696_000));
        assert!(!log.apply(&event(EVENT_DELETE_MESSAGE, &[("MessageId", "nope")])));
    }

    #[test]
    fn only_http_links_become_links() {
        let url = |s: &str| Segment::Link(SafeUrl::parse(s).unwrap());
        assert_eq!(
            segments("see https://example.com/a?b=1, and javascript:alert(1) <b>x</b>"),
            [Segment::Text("see ".into()), url("https://example.com/a?b=1"), Segment::Text(", and javascript:alert(1) <b>x</b>".into())]
        );
        assert_eq!(segments("HTTP://A.EXAMPLE."), [url("HTTP://A.EXAMPLE"), Segment::Text(".".into())]);
        assert_eq!(segments("plain"), [Segment::Text("plain".into())]);
        assert_eq!(segments("http://"), [Segment::Text("http://".into())], "no host, no link");
    }

    #[test]
    fn drafts_count_code_points_against_the_limit() {
        assert_eq!(check_draft("  ", 5), Err(ComposeError::Empty));
        assert_eq!(check_draft("👋👋👋👋👋", 5), Ok(()));
        assert_eq!(check_draft("👋👋👋👋👋👋", 5), Err(ComposeError::TooLong { length: 6, max: 5 }));
        assert_eq!(name_hue("ann"), name_hue("ann"));
        assert!(name_hue("ann") < 360);
        assert!(ChatToken::parse(r#"{"token":"a b","sessionExpirationTime":"x","userId":"u"}"#).is_err());
        assert!(ChatToken::parse(r#"{"token":"AQIC9z","sessionExpirationTime":"x","userId":"u","capabilities":["DELETE_MESSAGE"]}"#)
            .unwrap()
            .can("DELETE_MESSAGE"));
    }

    #[test]
    fn the_outbox_hands_back_what_the_room_refused() {
        let mut outbox = Outbox::default();
        let first = outbox.send("hello");
        let second = outbox.send("too fast");
        assert_ne!(first, second);
        outbox.confirmed(&first);
        assert_eq!(outbox.refused(&first), None, "delivered: nothing to hand back");
        let refusal = Refusal::new(ErrorCode::TooManyRequests, Some(&second), &mut outbox, 1_000.0);
        assert_eq!(refusal.returned.as_deref(), Some("too fast"));
        assert_eq!(refusal.cooldown_until, Some(1_000.0 + COOLDOWN_MS));
        assert_eq!(refusal.feedback, ErrorCode::TooManyRequests.key());
        // Another viewer's request, or no id: words only.
        let other = Refusal::new(ErrorCode::NotAcceptable, Some("r99"), &mut outbox, 0.0);
        assert_eq!((other.returned, other.cooldown_until), (None, None));
        // Only the last twenty are remembered.
        let ids: Vec<String> = (0..25).map(|n| outbox.send(&n.to_string())).collect();
        assert_eq!(outbox.refused(&ids[0]), None);
        assert_eq!(outbox.refused(&ids[24]).as_deref(), Some("24"));
    }
}
