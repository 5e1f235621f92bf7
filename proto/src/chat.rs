//! The IVS Chat Messaging protocol (WebSocket, JSON with PascalCase keys), both directions, and
//! the client's connection schedule.
//!
//! - [`Publish`]: what a client sends (`SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`).
//! - [`Subscribe`]: what a room sends (`MESSAGE`, `EVENT`, `ERROR`). Unknown fields are ignored so
//!   that the viewer keeps working when the service adds some.
//! - [`ErrorCode`]: the documented error codes and what the viewer tells the user.
//! - [`reconnect_at`]: when to reconnect ahead of the session's expiry, so nobody is cut off.
//!
//! Success is implicit in this protocol: a request that worked is answered by nothing (a sent
//! message comes back to everyone, the sender included, as a `MESSAGE`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// String attributes, as the protocol carries them.
pub type Attributes = BTreeMap<String, String>;

/// The system event sent when a moderator deletes a message.
pub const EVENT_DELETE_MESSAGE: &str = "aws:DELETE_MESSAGE";
/// The system event sent when a moderator disconnects a user.
pub const EVENT_DISCONNECT_USER: &str = "aws:DISCONNECT_USER";
/// The default room limit on message length, in Unicode code points.
pub const DEFAULT_MAX_MESSAGE_LENGTH: usize = 500;

/// A request from a client to the room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "Action", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Publish {
    #[serde(rename_all = "PascalCase")]
    SendMessage {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        request_id: Option<String>,
        content: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        attributes: Option<Attributes>,
    },
    #[serde(rename_all = "PascalCase")]
    DeleteMessage {
        id: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reason: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        request_id: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    DisconnectUser {
        user_id: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reason: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        request_id: Option<String>,
    },
}

/// Who sent a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sender {
    pub user_id: String,
    #[serde(default)]
    pub attributes: Attributes,
}

/// Something the room sends to a client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Subscribe {
    #[serde(rename_all = "PascalCase")]
    Message {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        content: String,
        #[serde(default)]
        attributes: Attributes,
        /// RFC 3339 timestamp.
        send_time: String,
        sender: Sender,
    },
    #[serde(rename_all = "PascalCase")]
    Event {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        event_name: String,
        #[serde(default)]
        attributes: Attributes,
        send_time: String,
    },
    #[serde(rename_all = "PascalCase")]
    Error {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        error_code: u16,
        error_message: String,
    },
}

/// Every field any frame has, read in one pass (the viewer parses thousands of frames a second,
/// and a flat read is both faster and much smaller in WebAssembly than a tagged-enum read).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawFrame {
    #[serde(rename = "Type")]
    kind: String,
    id: Option<String>,
    request_id: Option<String>,
    content: Option<String>,
    #[serde(default)]
    attributes: Option<Attributes>,
    send_time: Option<String>,
    sender: Option<Sender>,
    event_name: Option<String>,
    error_code: Option<u16>,
    error_message: Option<String>,
}

/// Why a frame from the room could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("not a frame: {0}")]
    Json(String),
    #[error("unknown frame type {0:?}")]
    UnknownType(String),
    #[error("a {kind} frame without {field}")]
    Missing { kind: &'static str, field: &'static str },
}

impl Subscribe {
    /// Parses one WebSocket text frame from the room. Unknown fields are ignored.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let raw: RawFrame = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        fn need<T>(value: Option<T>, kind: &'static str, field: &'static str) -> Result<T, FrameError> {
            value.ok_or(FrameError::Missing { kind, field })
        }
        let attributes = raw.attributes.unwrap_or_default();
        match raw.kind.as_str() {
            "MESSAGE" => Ok(Self::Message {
                id: need(raw.id, "MESSAGE", "Id")?,
                request_id: raw.request_id,
                content: need(raw.content, "MESSAGE", "Content")?,
                attributes,
                send_time: need(raw.send_time, "MESSAGE", "SendTime")?,
                sender: need(raw.sender, "MESSAGE", "Sender")?,
            }),
            "EVENT" => Ok(Self::Event {
                id: need(raw.id, "EVENT", "Id")?,
                request_id: raw.request_id,
                event_name: need(raw.event_name, "EVENT", "EventName")?,
                attributes,
                send_time: need(raw.send_time, "EVENT", "SendTime")?,
            }),
            "ERROR" => Ok(Self::Error {
                id: raw.id.unwrap_or_default(),
                request_id: raw.request_id,
                error_code: need(raw.error_code, "ERROR", "ErrorCode")?,
                error_message: raw.error_message.unwrap_or_default(),
            }),
            _ => Err(FrameError::UnknownType(raw.kind)),
        }
    }
}

impl Publish {
    /// Encodes the request as one WebSocket text frame.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("plain data always encodes")
    }
}

/// The documented error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    NotAcceptable,
    PayloadTooLarge,
    TooManyRequests,
    Internal,
    Other(u16),
}

impl ErrorCode {
    pub fn from_code(code: u16) -> Self {
        match code {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            406 => Self::NotAcceptable,
            413 => Self::PayloadTooLarge,
            429 => Self::TooManyRequests,
            500 => Self::Internal,
            other => Self::Other(other),
        }
    }

    pub fn code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::NotAcceptable => 406,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests => 429,
            Self::Internal => 500,
            Self::Other(code) => code,
        }
    }

    /// The key of what the viewer is told (`locales/*.json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::BadRequest => "chat.error.bad_request",
            Self::Unauthorized => "chat.error.unauthorized",
            Self::Forbidden => "chat.error.forbidden",
            Self::NotFound => "chat.error.not_found",
            Self::NotAcceptable => "chat.error.not_acceptable",
            Self::PayloadTooLarge => "chat.error.too_long",
            Self::TooManyRequests => "chat.error.too_fast",
            Self::Internal | Self::Other(_) => "chat.error.other",
        }
    }
}

/// Length of a message as the room limits it: Unicode code points.
pub fn message_length(content: &str) -> usize {
    content.chars().count()
}

/// When to reconnect, in milliseconds since the epoch, for a session that expires at
/// `session_expires_ms`: `margin_ms` ahead, but never before `now_ms`.
pub fn reconnect_at(now_ms: i64, session_expires_ms: i64, margin_ms: i64) -> i64 {
    (session_expires_ms - margin_ms).max(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn attributes(pairs: &[(&str, &str)]) -> Attributes {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn publish_actions_encode_as_documented() {
        let send = Publish::SendMessage { request_id: Some("r1".into()), content: "hi".into(), attributes: Some(attributes(&[("a", "b")])) };
        assert_eq!(
            serde_json::from_str::<Value>(&send.encode()).unwrap(),
            json!({"Action": "SEND_MESSAGE", "RequestId": "r1", "Content": "hi", "Attributes": {"a": "b"}})
        );
        let minimal = Publish::SendMessage { request_id: None, content: "hi".into(), attributes: None };
        assert_eq!(serde_json::from_str::<Value>(&minimal.encode()).unwrap(), json!({"Action": "SEND_MESSAGE", "Content": "hi"}));
        let delete = Publish::DeleteMessage { id: "m1".into(), reason: Some("spam".into()), request_id: None };
        assert_eq!(serde_json::from_str::<Value>(&delete.encode()).unwrap(), json!({"Action": "DELETE_MESSAGE", "Id": "m1", "Reason": "spam"}));
        let kick = Publish::DisconnectUser { user_id: "u1".into(), reason: None, request_id: Some("r2".into()) };
        assert_eq!(serde_json::from_str::<Value>(&kick.encode()).unwrap(), json!({"Action": "DISCONNECT_USER", "UserId": "u1", "RequestId": "r2"}));
        for request in [send, minimal, delete, kick] {
            assert_eq!(serde_json::from_str::<Publish>(&request.encode()).unwrap(), request, "round trip");
        }
    }

    #[test]
    fn subscribe_frames_parse_from_the_documented_shapes() {
        let message = Subscribe::parse(
            r#"{"Attributes":{"k":"v"},"Content":"hello","Id":"m1","RequestId":"r1","Sender":{"Attributes":{"displayName":"Ann"},"UserId":"u1"},"SendTime":"2026-11-24T12:00:00.000Z","Type":"MESSAGE","Future":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(
            message,
            Subscribe::Message {
                id: "m1".into(),
                request_id: Some("r1".into()),
                content: "hello".into(),
                attributes: attributes(&[("k", "v")]),
                send_time: "2026-11-24T12:00:00.000Z".into(),
                sender: Sender { user_id: "u1".into(), attributes: attributes(&[("displayName", "Ann")]) },
            }
        );
        let event = Subscribe::parse(
            r#"{"Attributes":{"MessageId":"m1","Reason":"spam"},"EventName":"aws:DELETE_MESSAGE","Id":"e1","SendTime":"2026-11-24T12:00:01Z","Type":"EVENT"}"#,
        )
        .unwrap();
        assert!(matches!(event, Subscribe::Event { ref event_name, ref attributes, .. }
            if event_name == EVENT_DELETE_MESSAGE && attributes["MessageId"] == "m1"));
        let error = Subscribe::parse(r#"{"ErrorCode":429,"ErrorMessage":"rate exceeded","Id":"x1","RequestId":"r9","Type":"ERROR"}"#).unwrap();
        assert!(matches!(error, Subscribe::Error { error_code: 429, ref request_id, .. } if request_id.as_deref() == Some("r9")));
        for frame in [message, event, error] {
            assert_eq!(Subscribe::parse(&serde_json::to_string(&frame).unwrap()).unwrap(), frame, "round trip");
        }
        assert!(matches!(Subscribe::parse(r#"{"Type":"PING"}"#), Err(FrameError::UnknownType(_))));
        assert!(matches!(Subscribe::parse(r#"{"Type":"MESSAGE","Id":"m"}"#), Err(FrameError::Missing { field: "Content", .. })));
        assert!(Subscribe::parse("not json").is_err());
    }

    #[test]
    fn error_codes_round_trip_and_read_well() {
        for code in [400, 401, 403, 404, 406, 413, 429, 500, 418] {
            assert_eq!(ErrorCode::from_code(code).code(), code);
        }
        assert_eq!(ErrorCode::from_code(429).key(), "chat.error.too_fast");
        assert_eq!(ErrorCode::from_code(413).key(), "chat.error.too_long");
    }

    #[test]
    fn lengths_count_code_points_and_reconnects_come_before_expiry() {
        assert_eq!(message_length("héllo 👋"), 7);
        assert_eq!(reconnect_at(1_000, 61_000, 30_000), 31_000);
        assert_eq!(reconnect_at(50_000, 61_000, 30_000), 50_000, "never in the past");
    }
}
