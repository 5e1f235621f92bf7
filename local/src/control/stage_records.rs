//! A stage's records and how the API shows them: the stage, its sessions, each session's
//! participants and what each did, a token request and an issued token. `Stages` (stages.rs)
//! owns every change to them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::participant_tokens::{Capabilities, Claims};
use crate::clock::rfc3339_ms;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageRecord {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub session_id: String,
    pub stage_arn: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    /// Since when no participant has been connected (the session ends after `session_idle`).
    #[serde(default)]
    pub idle_since_ms: Option<i64>,
    #[serde(default)]
    pub participants: Vec<ParticipantRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParticipantState {
    Connected,
    Disconnected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantRecord {
    pub participant_id: String,
    pub user_id: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub state: ParticipantState,
    pub first_join_ms: i64,
    /// Whether it ever published in this session (the API's `published`).
    pub published: bool,
    /// Whether it publishes now.
    #[serde(default)]
    pub publishing: bool,
    /// Its media connections open now (one publishing, any number subscribing).
    #[serde(default)]
    pub connections: usize,
    /// Disconnected by `DisconnectParticipant`: its token is refused from then on.
    #[serde(default)]
    pub revoked: bool,
    #[serde(default)]
    pub events: Vec<EventRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub name: String,
    pub time_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_participant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// A participant token as `CreateParticipantToken` answers it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
    pub duration_minutes: u32,
}

impl IssuedToken {
    pub fn describe(&self) -> Value {
        let c = &self.claims;
        let mut token = json!({
            "token": self.token,
            "participantId": c.jti,
            "capabilities": c.capabilities.names(),
            "duration": self.duration_minutes,
            "expirationTime": rfc3339_ms(c.exp as i64 * 1000),
        });
        if !c.user_id.is_empty() {
            token["userId"] = c.user_id.clone().into();
        }
        if !c.attributes.is_empty() {
            token["attributes"] = json!(c.attributes);
        }
        token
    }
}

/// What a token asks for: `CreateParticipantToken`'s input, or one of `CreateStage`'s
/// `participantTokenConfigurations`.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub user_id: String,
    pub attributes: BTreeMap<String, String>,
    pub capabilities: Capabilities,
    /// Minutes, 1 to 20,160 (14 days); default 720.
    pub duration_minutes: Option<u32>,
}

/// Filters of `ListParticipants`.
#[derive(Debug, Default)]
pub struct ParticipantFilter {
    pub published: Option<bool>,
    pub state: Option<ParticipantState>,
    pub user_id: Option<String>,
}

pub(super) fn event(name: &str, time_ms: i64, remote: Option<&str>) -> EventRecord {
    EventRecord { name: name.to_owned(), time_ms, remote_participant_id: remote.map(str::to_owned), error_code: None }
}

/// The detail of an `IVS Stage Update` about a participant.
pub(super) fn stage_update(session_id: &str, event_name: &str, p: &ParticipantRecord) -> Value {
    json!({ "session_id": session_id, "event_name": event_name, "participant_id": p.participant_id, "user_id": p.user_id })
}

impl StageRecord {
    /// The stage as `GetStage` answers it.
    pub fn describe(&self, active_session: Option<String>, whip_url: &str) -> Value {
        let mut stage = self.summary(active_session);
        stage["endpoints"] = json!({ "whip": whip_url, "events": "", "rtmp": "", "rtmps": "" });
        stage
    }

    /// The stage as `ListStages` lists it.
    pub fn summary(&self, active_session: Option<String>) -> Value {
        let mut stage = json!({ "arn": self.arn, "name": self.name, "tags": self.tags });
        if let Some(id) = active_session {
            stage["activeSessionId"] = id.into();
        }
        stage
    }
}

impl SessionRecord {
    pub fn describe(&self) -> Value {
        let mut session = json!({ "sessionId": self.session_id, "startTime": rfc3339_ms(self.start_ms) });
        if let Some(end) = self.end_ms {
            session["endTime"] = rfc3339_ms(end).into();
        }
        session
    }
}

impl ParticipantRecord {
    /// The participant as `ListParticipants` lists it.
    pub fn summary(&self) -> Value {
        json!({
            "participantId": self.participant_id,
            "userId": self.user_id,
            "state": self.state,
            "firstJoinTime": rfc3339_ms(self.first_join_ms),
            "published": self.published,
            "recordingState": "DISABLED",
        })
    }

    /// The participant as `GetParticipant` answers it.
    pub fn describe(&self) -> Value {
        let mut p = self.summary();
        p["attributes"] = json!(self.attributes);
        p["protocol"] = "WHIP".into();
        p
    }
}

impl EventRecord {
    pub fn describe(&self, participant_id: &str) -> Value {
        let mut e = json!({ "name": self.name, "participantId": participant_id, "eventTime": rfc3339_ms(self.time_ms) });
        if let Some(remote) = &self.remote_participant_id {
            e["remoteParticipantId"] = remote.clone().into();
        }
        if let Some(code) = &self.error_code {
            e["errorCode"] = code.clone().into();
        }
        e
    }
}
