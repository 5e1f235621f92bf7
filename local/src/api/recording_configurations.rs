//! `CreateRecordingConfiguration`, `GetRecordingConfiguration`, `ListRecordingConfigurations`,
//! `DeleteRecordingConfiguration`: HTTP to [`Configs`](crate::control::recording_configs::Configs)
//! and back.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;

use super::kit::{listed, parse, parse_or_default, Answer, ApiError, ArnInput, Paging};
use crate::control::recording_configs::RecordingConfigInput;
use crate::state::AppState;

pub async fn create(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: RecordingConfigInput = parse(&body)?;
    let config = state.recording_configs().create(input)?;
    tracing::info!(arn = %config.arn, bucket = %config.bucket_name, "CreateRecordingConfiguration");
    Ok(Json(json!({ "recordingConfiguration": config.describe() })))
}

pub async fn get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    let config = state.recording_configs().get(&input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "recordingConfiguration": config.describe() })))
}

pub async fn list(State(state): State<AppState>, body: Bytes) -> Answer {
    let paging: Paging = parse_or_default(&body)?;
    listed("recordingConfigurations", &state.recording_configs().list(), &paging)
}

pub async fn delete(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    let used_by = state.channels.using_recording_configuration(&input.arn);
    state.recording_configs().delete(&input.arn, used_by)?;
    Ok(StatusCode::NO_CONTENT)
}
