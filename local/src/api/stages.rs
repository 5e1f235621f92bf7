//! IVS Real-Time (`ivs-realtime`): `CreateStage`, `GetStage`, `ListStages`, `UpdateStage`,
//! `DeleteStage`, `CreateParticipantToken`, `DisconnectParticipant`, `ListStageSessions`,
//! `GetStageSession`, `ListParticipants`, `GetParticipant`, `ListParticipantEvents`: HTTP to
//! [`Stages`](crate::control::stages::Stages) and back; disconnections reach the SFU.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{listed, parse, parse_or_default, Answer, ApiError, ArnInput, Paging};
use crate::control::participant_tokens::Capabilities;
use crate::control::stages::{ParticipantFilter, ParticipantState, TokenRequest};
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TokenInput {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    capabilities: Option<Vec<String>>,
    duration: Option<u32>,
}

impl TokenInput {
    fn request(self) -> Result<TokenRequest, ApiError> {
        // IVS: both capabilities when none are named.
        let names = self.capabilities.unwrap_or_else(|| vec!["PUBLISH".into(), "SUBSCRIBE".into()]);
        let mut capabilities = Capabilities::default();
        for name in &names {
            match name.as_str() {
                "PUBLISH" => capabilities.allow_publish = true,
                "SUBSCRIBE" => capabilities.allow_subscribe = true,
                other => return Err(ApiError::validation(format!("capabilities: {other} is not PUBLISH or SUBSCRIBE"))),
            }
        }
        Ok(TokenRequest { user_id: self.user_id, attributes: self.attributes, capabilities, duration_minutes: self.duration })
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    participant_token_configurations: Vec<TokenInput>,
}

fn valid_stage_arn(arn: &str) -> Result<(), ApiError> {
    let id = arn.strip_prefix("arn:aws:ivs:").and_then(|rest| rest.split_once(":stage/")).map(|(_, id)| id);
    match id {
        Some(id) if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && arn.len() <= 128 => Ok(()),
        _ => Err(ApiError::validation(format!("{arn} is not a stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)"))),
    }
}

fn describe(state: &AppState, arn: &str) -> Result<Value, ApiError> {
    let stage = state.stages.find(arn)?;
    Ok(stage.describe(state.stages.active_session(arn), state.stages.whip_url()))
}

pub async fn create(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: CreateInput = parse_or_default(&body)?;
    let requests = input.participant_token_configurations.into_iter().map(TokenInput::request).collect::<Result<Vec<_>, _>>()?;
    let (stage, tokens) = state.stages.create(&input.name, input.tags, &requests)?;
    tracing::info!(arn = %stage.arn, name = %stage.name, "CreateStage");
    let tokens: Vec<Value> = tokens.iter().map(|t| t.describe()).collect();
    Ok(Json(json!({ "stage": describe(&state, &stage.arn)?, "participantTokens": tokens })))
}

pub async fn get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    valid_stage_arn(&input.arn)?;
    Ok(Json(json!({ "stage": describe(&state, &input.arn)? })))
}

pub async fn list(State(state): State<AppState>, body: Bytes) -> Answer {
    let paging: Paging = parse_or_default(&body)?;
    let stages: Vec<Value> = state.stages.list().iter().map(|s| s.summary(state.stages.active_session(&s.arn))).collect();
    listed("stages", &stages, &paging)
}

#[derive(Deserialize)]
struct UpdateInput {
    arn: String,
    name: Option<String>,
}

pub async fn update(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: UpdateInput = parse(&body)?;
    valid_stage_arn(&input.arn)?;
    state.stages.update(&input.arn, input.name.as_deref())?;
    Ok(Json(json!({ "stage": describe(&state, &input.arn)? })))
}

pub async fn delete(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    valid_stage_arn(&input.arn)?;
    state.stages.delete(&input.arn)?;
    state.sfu.disconnect_stage(&input.arn);
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenInput {
    stage_arn: String,
    #[serde(flatten)]
    token: TokenInput,
}

pub async fn create_token(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: CreateTokenInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    let token = state.stages.create_token(&input.stage_arn, &input.token.request()?)?;
    Ok(Json(json!({ "participantToken": token.describe() })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisconnectInput {
    stage_arn: String,
    participant_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn disconnect(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: DisconnectInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    if input.reason.len() > 128 {
        return Err(ApiError::validation("reason is at most 128 characters"));
    }
    state.stages.revoke(&input.stage_arn, &input.participant_id)?;
    tracing::info!(stage = %input.stage_arn, participant = %input.participant_id, reason = %input.reason, "DisconnectParticipant");
    state.sfu.disconnect_participant(&input.participant_id);
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionsInput {
    stage_arn: String,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list_sessions(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: SessionsInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    state.stages.find(&input.stage_arn)?;
    let sessions: Vec<Value> = state.stages.sessions(&input.stage_arn).iter().map(|s| s.describe()).collect();
    listed("stageSessions", &sessions, &input.paging)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionInput {
    stage_arn: String,
    session_id: String,
}

pub async fn get_session(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: SessionInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    Ok(Json(json!({ "stageSession": state.stages.session(&input.stage_arn, &input.session_id)?.describe() })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantsInput {
    stage_arn: String,
    session_id: String,
    filter_by_published: Option<bool>,
    filter_by_state: Option<String>,
    filter_by_user_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list_participants(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ParticipantsInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    let filters = [input.filter_by_published.is_some(), input.filter_by_state.is_some(), input.filter_by_user_id.is_some()];
    if filters.iter().filter(|f| **f).count() > 1 {
        return Err(ApiError::validation("only one of filterByPublished, filterByState and filterByUserId may be given"));
    }
    let state_filter = match input.filter_by_state.as_deref() {
        None => None,
        Some("CONNECTED") => Some(ParticipantState::Connected),
        Some("DISCONNECTED") => Some(ParticipantState::Disconnected),
        Some(other) => return Err(ApiError::validation(format!("filterByState: {other} is not CONNECTED or DISCONNECTED"))),
    };
    let filter = ParticipantFilter { published: input.filter_by_published, state: state_filter, user_id: input.filter_by_user_id };
    let participants: Vec<Value> = state.stages.participants(&input.stage_arn, &input.session_id, &filter)?.iter().map(|p| p.summary()).collect();
    listed("participants", &participants, &input.paging)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantInput {
    stage_arn: String,
    session_id: String,
    participant_id: String,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn get_participant(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ParticipantInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    let participant = state.stages.participant(&input.stage_arn, &input.session_id, &input.participant_id)?;
    Ok(Json(json!({ "participant": participant.describe() })))
}

pub async fn list_events(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ParticipantInput = parse(&body)?;
    valid_stage_arn(&input.stage_arn)?;
    let participant = state.stages.participant(&input.stage_arn, &input.session_id, &input.participant_id)?;
    let events: Vec<Value> = participant.events.iter().map(|e| e.describe(&participant.participant_id)).collect();
    listed("events", &events, &input.paging)
}
