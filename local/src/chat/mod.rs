//! IVS Chat on one machine: rooms, single-use chat tokens and live connections.
//!
//! - [`control`]: the `ivschat` control plane (REST-JSON on the AWS-compatible API).
//! - [`room`]: the Chat Messaging WebSocket, where connections publish and subscribe.
//!
//! [`Chat`] holds the state both share. A room fans its frames out through a broadcast channel:
//! every frame is encoded once, whatever the number of listeners.

pub mod room;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use ivs_proto::chat::{Attributes, Subscribe};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc};

/// The room every local stack starts with.
pub const DEFAULT_ROOM_ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/local";
const ARN_PREFIX: &str = "arn:aws:ivschat:us-east-1:000000000000:room/";

/// How many frames a slow connection may fall behind before it misses some.
const FANOUT_CAPACITY: usize = 8192;

/// What a token allows beyond reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Capability {
    SendMessage,
    DeleteMessage,
    DisconnectUser,
}

/// A room's settings, as `CreateRoom` takes them.
#[derive(Debug, Clone)]
pub struct RoomSettings {
    pub name: String,
    pub maximum_message_length: usize,
    pub maximum_message_rate_per_second: u32,
    pub message_review_handler: Option<serde_json::Value>,
    pub tags: BTreeMap<String, String>,
    pub logging_configuration_identifiers: Vec<String>,
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            name: String::new(),
            maximum_message_length: ivs_proto::chat::DEFAULT_MAX_MESSAGE_LENGTH,
            maximum_message_rate_per_second: 10,
            message_review_handler: None,
            tags: BTreeMap::new(),
            logging_configuration_identifiers: Vec::new(),
        }
    }
}

/// Local settings of the chat service.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// How long one of IVS's minutes lasts here (token validity, session durations). Shorter
    /// than 60 s only for tests of expiry.
    pub minute: Duration,
    /// Messages containing one of these words (case-insensitive) are rejected, with 406, in
    /// rooms that have a message review handler, before the review endpoint is asked.
    pub blocked_words: Vec<String>,
    /// The default room's message rate (IVS allows at most 100; higher only for load tests).
    pub default_room_rate: u32,
    /// The message review handler's Lambda, stood in for by an HTTP endpoint: each message is
    /// POSTed to it as the Lambda's event, and its answer read as the Lambda's.
    pub review: Option<ReviewEndpoint>,
}

/// Where the local review handler's Lambda is reached.
#[derive(Debug, Clone)]
pub struct ReviewEndpoint {
    pub url: String,
    /// Sent with each request, 'Name: value' (the site's review secret, say).
    pub headers: Vec<(String, String)>,
}

/// What the review handler decided about a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reviewed {
    /// Sent, with the content and attributes the handler gave (or the sender's).
    Allow {
        content: String,
        attributes: Attributes,
    },
    Deny,
}

/// How long IVS waits for a review handler.
const REVIEW_TIMEOUT: Duration = Duration::from_millis(200);

impl Default for ChatOptions {
    fn default() -> Self {
        Self { minute: Duration::from_secs(60), blocked_words: Vec::new(), default_room_rate: 10, review: None }
    }
}

/// A room and who is in it.
struct Room {
    arn: String,
    id: String,
    settings: RoomSettings,
    create_time: String,
    update_time: String,
    fanout: broadcast::Sender<Arc<str>>,
    connections: HashMap<u64, Connection>,
    /// When the room's recent messages were sent, for its rate limit.
    recent: VecDeque<Instant>,
}

struct Connection {
    user_id: String,
    close: mpsc::UnboundedSender<CloseReason>,
}

/// Why the room closes a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum CloseReason {
    Disconnected(String),
    RoomDeleted,
}

/// A token waiting to be used.
#[derive(Debug, Clone)]
pub struct Grant {
    pub room_arn: String,
    pub user_id: String,
    pub attributes: Attributes,
    pub capabilities: Vec<Capability>,
    pub session: Duration,
    expires: Instant,
}

/// A new token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub token_expiration_time: String,
    pub session_expiration_time: String,
}

/// Why a chat operation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatError {
    RoomNotFound(String),
    TokenInvalid(&'static str),
}

/// The chat service's state, shared by the control plane and the WebSocket.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Mutex<Inner>>,
    next_connection: Arc<AtomicU64>,
    pub options: Arc<ChatOptions>,
}

struct Inner {
    rooms: BTreeMap<String, Room>,
    tokens: HashMap<String, Grant>,
}

/// An opaque random identifier.
pub fn random_id(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// An ISO 8601 timestamp with milliseconds, as IVS writes them.
pub fn timestamp(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    let t = t.replace_nanosecond(t.millisecond() as u32 * 1_000_000).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

impl Chat {
    /// The service with its default room.
    pub fn new(options: ChatOptions) -> Self {
        let chat = Self {
            inner: Arc::new(Mutex::new(Inner { rooms: BTreeMap::new(), tokens: HashMap::new() })),
            next_connection: Arc::new(AtomicU64::new(1)),
            options: Arc::new(options),
        };
        let settings = RoomSettings {
            name: "local".into(),
            maximum_message_rate_per_second: chat.options.default_room_rate,
            message_review_handler: (!chat.options.blocked_words.is_empty() || chat.options.review.is_some())
                .then(|| serde_json::json!({ "uri": "arn:aws:lambda:us-east-1:000000000000:function:local-review", "fallbackResult": "ALLOW" })),
            ..RoomSettings::default()
        };
        chat.insert_room(DEFAULT_ROOM_ARN.into(), "local".into(), settings);
        chat
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert_room(&self, arn: String, id: String, settings: RoomSettings) -> RoomView {
        let now = timestamp(SystemTime::now());
        let room = Room {
            arn: arn.clone(),
            id,
            settings,
            create_time: now.clone(),
            update_time: now,
            fanout: broadcast::channel(FANOUT_CAPACITY).0,
            connections: HashMap::new(),
            recent: VecDeque::new(),
        };
        let view = RoomView::of(&room);
        self.lock().rooms.insert(arn, room);
        view
    }

    /// Creates a room.
    pub fn create_room(&self, settings: RoomSettings) -> RoomView {
        let id = random_id(12);
        self.insert_room(format!("{ARN_PREFIX}{id}"), id, settings)
    }

    /// Finds a room by ARN (or bare id).
    fn resolve<'a>(inner: &'a mut Inner, identifier: &str) -> Result<&'a mut Room, ChatError> {
        let arn = if identifier.starts_with("arn:") { identifier.to_owned() } else { format!("{ARN_PREFIX}{identifier}") };
        inner.rooms.get_mut(&arn).ok_or_else(|| ChatError::RoomNotFound(identifier.to_owned()))
    }

    pub fn get_room(&self, identifier: &str) -> Result<RoomView, ChatError> {
        Ok(RoomView::of(Self::resolve(&mut self.lock(), identifier)?))
    }

    pub fn list_rooms(&self) -> Vec<RoomView> {
        self.lock().rooms.values().map(RoomView::of).collect()
    }

    /// Deletes a room and closes its connections.
    pub fn delete_room(&self, identifier: &str) -> Result<(), ChatError> {
        let mut inner = self.lock();
        let arn = Self::resolve(&mut inner, identifier)?.arn.clone();
        if let Some(room) = inner.rooms.remove(&arn) {
            for connection in room.connections.values() {
                let _ = connection.close.send(CloseReason::RoomDeleted);
            }
        }
        Ok(())
    }

    /// Issues a single-use token, valid for one minute, for a session of `session_minutes`.
    pub fn create_token(
        &self,
        room: &str,
        user_id: String,
        attributes: Attributes,
        capabilities: Vec<Capability>,
        session_minutes: u32,
    ) -> Result<IssuedToken, ChatError> {
        let mut inner = self.lock();
        let room_arn = Self::resolve(&mut inner, room)?.arn.clone();
        let now = Instant::now();
        inner.tokens.retain(|_, grant| grant.expires > now);
        let minute = self.options.minute;
        let session = minute * session_minutes;
        let token = format!("AQICAH{}", random_id(96));
        inner.tokens.insert(token.clone(), Grant { room_arn, user_id, attributes, capabilities, session, expires: now + minute });
        let wall = SystemTime::now();
        Ok(IssuedToken { token, token_expiration_time: timestamp(wall + minute), session_expiration_time: timestamp(wall + session) })
    }

    /// Spends a token: it is valid once, within its minute.
    pub fn redeem(&self, token: &str) -> Result<Grant, ChatError> {
        let grant = self.lock().tokens.remove(token).ok_or(ChatError::TokenInvalid("The token is invalid or was already used"))?;
        if grant.expires <= Instant::now() {
            return Err(ChatError::TokenInvalid("The token has expired"));
        }
        Ok(grant)
    }

    /// Joins a room: its fan-out, and a channel on which the room may close the connection.
    fn join(&self, room_arn: &str, user_id: &str) -> Result<Joined, ChatError> {
        let mut inner = self.lock();
        let room = Self::resolve(&mut inner, room_arn)?;
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (close, closed) = mpsc::unbounded_channel();
        room.connections.insert(id, Connection { user_id: user_id.to_owned(), close });
        Ok(Joined { id, frames: room.fanout.subscribe(), closed, settings: room.settings.clone(), chat: self.clone(), room_arn: room_arn.to_owned() })
    }

    fn leave(&self, room_arn: &str, connection: u64) {
        if let Some(room) = self.lock().rooms.get_mut(room_arn) {
            room.connections.remove(&connection);
        }
    }

    /// Counts a message against the room's rate; false when the room is over it.
    fn admit_message(&self, room_arn: &str) -> Result<bool, ChatError> {
        let mut inner = self.lock();
        let room = Self::resolve(&mut inner, room_arn)?;
        let now = Instant::now();
        while room.recent.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            room.recent.pop_front();
        }
        if room.recent.len() >= room.settings.maximum_message_rate_per_second as usize {
            return Ok(false);
        }
        room.recent.push_back(now);
        Ok(true)
    }

    /// Sends a frame to everyone in the room.
    pub fn broadcast(&self, room: &str, frame: &Subscribe) -> Result<(), ChatError> {
        let mut inner = self.lock();
        let room = Self::resolve(&mut inner, room)?;
        let text: Arc<str> = serde_json::to_string(frame).expect("plain data always encodes").into();
        // No listeners is not an error: the frame simply reaches nobody.
        let _ = room.fanout.send(text);
        Ok(())
    }

    /// Sends an event (application or system) to the room; returns its id.
    pub fn send_event(&self, room: &str, name: &str, attributes: Attributes, request_id: Option<String>) -> Result<String, ChatError> {
        let id = random_id(12);
        let frame = Subscribe::Event { id: id.clone(), request_id, event_name: name.to_owned(), attributes, send_time: timestamp(SystemTime::now()) };
        self.broadcast(room, &frame)?;
        Ok(id)
    }

    /// Tells the room a message is deleted (`aws:DELETE_MESSAGE`). IVS names the message both as
    /// `MessageId` and as the older `MessageID` (the official JS chat client reads only the latter).
    pub fn delete_message(&self, room: &str, message_id: &str, reason: Option<String>, request_id: Option<String>) -> Result<String, ChatError> {
        let mut attributes = Attributes::from([("MessageId".to_owned(), message_id.to_owned()), ("MessageID".to_owned(), message_id.to_owned())]);
        attributes.insert("Reason".into(), reason.unwrap_or_default());
        self.send_event(room, ivs_proto::chat::EVENT_DELETE_MESSAGE, attributes, request_id)
    }

    /// Tells the room a user is disconnected (`aws:DISCONNECT_USER`), then closes every
    /// connection of that user.
    pub fn disconnect_user(&self, room: &str, user_id: &str, reason: Option<String>, request_id: Option<String>) -> Result<(), ChatError> {
        let reason = reason.unwrap_or_default();
        let attributes = Attributes::from([("UserId".to_owned(), user_id.to_owned()), ("Reason".to_owned(), reason.clone())]);
        self.send_event(room, ivs_proto::chat::EVENT_DISCONNECT_USER, attributes, request_id)?;
        let mut inner = self.lock();
        let room = Self::resolve(&mut inner, room)?;
        for connection in room.connections.values().filter(|c| c.user_id == user_id) {
            let _ = connection.close.send(CloseReason::Disconnected(reason.clone()));
        }
        Ok(())
    }

    /// What the room's review handler decides about a message: refused for a blocked word, else
    /// the review endpoint's answer (within 200 ms, else the room's `fallbackResult`), else allowed.
    pub async fn review(&self, settings: &RoomSettings, request: ivs_proto::moderation::ReviewRequest) -> Reviewed {
        use ivs_proto::moderation::{ReviewAnswer, ReviewResult};
        let Some(handler) = &settings.message_review_handler else {
            return Reviewed::Allow { content: request.content, attributes: request.attributes.into_iter().collect() };
        };
        let fallback = match handler.get("fallbackResult").and_then(|f| f.as_str()) {
            Some("DENY") => ReviewResult::Deny,
            _ => ReviewResult::Allow,
        };
        let lower = request.content.to_lowercase();
        let blocked = self.options.blocked_words.iter().any(|w| lower.contains(&w.to_lowercase()));
        let answer = match &self.options.review {
            _ if blocked => ReviewAnswer::deny(),
            Some(endpoint) => {
                let body = serde_json::to_string(&request).expect("plain data always encodes");
                let asked = tokio::time::timeout(REVIEW_TIMEOUT, ask_review(endpoint.clone(), body)).await;
                match asked.unwrap_or_else(|_| Err("it took longer than 200 ms".to_owned())) {
                    Ok(answer) => answer,
                    Err(why) => {
                        tracing::warn!("the message review handler failed ({why}): {fallback:?}");
                        ReviewAnswer { review_result: fallback, content: None, attributes: None }
                    }
                }
            }
            None => ReviewAnswer::allow(),
        };
        match answer.review_result {
            ReviewResult::Deny => Reviewed::Deny,
            ReviewResult::Allow => Reviewed::Allow {
                content: answer.content.unwrap_or(request.content),
                attributes: answer.attributes.unwrap_or(request.attributes).into_iter().collect(),
            },
        }
    }

    /// How many connections the room has.
    pub fn connection_count(&self, room: &str) -> usize {
        let mut inner = self.lock();
        Self::resolve(&mut inner, room).map(|r| r.connections.len()).unwrap_or(0)
    }
}

/// A connection's place in a room; dropping it leaves the room.
struct Joined {
    id: u64,
    frames: broadcast::Receiver<Arc<str>>,
    closed: mpsc::UnboundedReceiver<CloseReason>,
    settings: RoomSettings,
    chat: Chat,
    room_arn: String,
}

impl Drop for Joined {
    fn drop(&mut self) {
        self.chat.leave(&self.room_arn, self.id);
    }
}

/// A room as the control plane describes it.
#[derive(Debug, Clone)]
pub struct RoomView {
    pub arn: String,
    pub id: String,
    pub settings: RoomSettings,
    pub create_time: String,
    pub update_time: String,
}

impl RoomView {
    fn of(room: &Room) -> Self {
        Self {
            arn: room.arn.clone(),
            id: room.id.clone(),
            settings: room.settings.clone(),
            create_time: room.create_time.clone(),
            update_time: room.update_time.clone(),
        }
    }
}

/// Asks the review endpoint about one message.
async fn ask_review(endpoint: ReviewEndpoint, body: String) -> Result<ivs_proto::moderation::ReviewAnswer, String> {
    let exchange = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).timeout_global(Some(REVIEW_TIMEOUT)).build().into();
        let request =
            endpoint.headers.iter().fold(agent.post(&endpoint.url).header("Content-Type", "application/json"), |r, (name, value)| r.header(name, value));
        let mut response = request.send(body.as_str()).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("HTTP {status}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("an answer that does not read: {e}"))
    });
    exchange.await.map_err(|e| e.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_single_use_and_expire() {
        let chat = Chat::new(ChatOptions { minute: Duration::from_millis(50), ..ChatOptions::default() });
        let issued = chat.create_token(DEFAULT_ROOM_ARN, "u1".into(), Attributes::new(), vec![], 1).unwrap();
        assert!(issued.token.chars().all(|c| c.is_ascii_alphanumeric()), "usable as a WebSocket subprotocol");
        let grant = chat.redeem(&issued.token).unwrap();
        assert_eq!(grant.user_id, "u1");
        assert!(chat.redeem(&issued.token).is_err(), "second use");
        let late = chat.create_token(DEFAULT_ROOM_ARN, "u1".into(), Attributes::new(), vec![], 1).unwrap();
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(chat.redeem(&late.token).unwrap_err(), ChatError::TokenInvalid("The token has expired"));
        assert!(matches!(
            chat.create_token("arn:aws:ivschat:us-east-1:000000000000:room/nope", "u".into(), Attributes::new(), vec![], 1),
            Err(ChatError::RoomNotFound(_))
        ));
    }

    #[test]
    fn the_room_rate_is_room_wide_per_second() {
        let chat = Chat::new(ChatOptions { default_room_rate: 3, ..ChatOptions::default() });
        let admitted = (0..5).filter(|_| chat.admit_message(DEFAULT_ROOM_ARN).unwrap()).count();
        assert_eq!(admitted, 3);
    }

    #[test]
    fn deleting_a_room_closes_its_connections() {
        let chat = Chat::new(ChatOptions::default());
        let room = chat.create_room(RoomSettings::default());
        let mut joined = chat.join(&room.arn, "u1").unwrap();
        assert_eq!(chat.connection_count(&room.arn), 1);
        chat.delete_room(&room.id).unwrap();
        assert_eq!(joined.closed.try_recv().unwrap(), CloseReason::RoomDeleted);
        assert!(chat.get_room(&room.arn).is_err());
    }
}
