//! `CreateChannel`, `GetChannel`, `BatchGetChannel`, `ListChannels`, `UpdateChannel`,
//! `DeleteChannel`: HTTP to [`Channels`](crate::control::channels::Channels) and back.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::kit::{batch, listed, parse, parse_or_default, Answer, ApiError, ArnInput, ArnsInput, Paging};
use crate::control::channels::{ChannelFilter, ChannelSettings};
use crate::state::AppState;

/// A recording configuration named by a channel must exist.
fn check_recording_configuration(state: &AppState, settings: &ChannelSettings) -> Result<(), ApiError> {
    match settings.recording_configuration() {
        Some(arn) if state.recording_configs().get(arn).is_none() => Err(ApiError::not_found(arn)),
        _ => Ok(()),
    }
}

/// A live channel's settings change only when its stream has stopped.
fn check_not_live(state: &AppState, arn: &str, message: &str) -> Result<(), ApiError> {
    if state.live.get(arn).is_some_and(|c| c.is_live()) {
        return Err(ApiError::conflict(message));
    }
    Ok(())
}

pub async fn create(State(state): State<AppState>, body: Bytes) -> Answer {
    let settings: ChannelSettings = parse_or_default(&body)?;
    settings.validate()?;
    check_recording_configuration(&state, &settings)?;
    let (channel, key) = state.channels.create(settings)?;
    tracing::info!(arn = %channel.arn, "CreateChannel");
    Ok(Json(json!({ "channel": state.channels.describe(&channel), "streamKey": key.describe() })))
}

pub async fn get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    let channel = state.channels.find(&input.arn)?;
    Ok(Json(json!({ "channel": state.channels.describe(&channel) })))
}

pub async fn batch_get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnsInput = parse(&body)?;
    batch("channels", &input.arns, "channels", |arn| state.channels.get(arn).map(|c| state.channels.describe(&c)))
}

#[derive(Deserialize, Default)]
struct ListInput {
    #[serde(flatten)]
    filter: ChannelFilter,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ListInput = parse_or_default(&body)?;
    if input.filter.filter_by_recording_configuration_arn.is_some() && input.filter.filter_by_playback_restriction_policy_arn.is_some() {
        return Err(ApiError::conflict("filter by one of recording configuration and playback restriction policy"));
    }
    listed("channels", &state.channels.list(&input.filter), &input.paging)
}

#[derive(Deserialize)]
struct UpdateInput {
    arn: String,
    #[serde(flatten)]
    changes: ChannelSettings,
}

pub async fn update(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: UpdateInput = parse(&body)?;
    input.changes.validate()?;
    check_recording_configuration(&state, &input.changes)?;
    check_not_live(&state, &input.arn, "the channel is live; its settings change when the stream has stopped")?;
    let updated = state.channels.update(&input.arn, input.changes)?;
    Ok(Json(json!({ "channel": state.channels.describe(&updated) })))
}

pub async fn delete(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    state.channels.find(&input.arn)?;
    check_not_live(&state, &input.arn, "the channel is live; stop the stream first")?;
    state.channels.delete(&input.arn)?;
    state.live.remove(&input.arn);
    tracing::info!(arn = %input.arn, "DeleteChannel");
    Ok(StatusCode::NO_CONTENT)
}
