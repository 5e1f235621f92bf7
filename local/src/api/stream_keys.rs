//! `CreateStreamKey`, `GetStreamKey`, `BatchGetStreamKey`, `ListStreamKeys`, `DeleteStreamKey`:
//! HTTP to [`Channels`](crate::control::channels::Channels)' keys and back.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{batch, listed, parse, Answer, ApiError, ArnInput, ArnsInput, Paging};
use crate::control::channels::StreamKeyRecord;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    channel_arn: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

pub async fn create(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: CreateInput = parse(&body)?;
    let key = state.channels.create_key(&input.channel_arn, input.tags)?;
    Ok(Json(json!({ "streamKey": key.describe() })))
}

pub async fn get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    Ok(Json(json!({ "streamKey": state.channels.key(&input.arn)?.describe() })))
}

pub async fn batch_get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnsInput = parse(&body)?;
    batch("streamKeys", &input.arns, "stream keys", |arn| state.channels.key(arn).ok().map(|k| k.describe()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    channel_arn: String,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ListInput = parse(&body)?;
    let keys: Vec<Value> = state.channels.keys_of(&input.channel_arn)?.iter().map(StreamKeyRecord::summary).collect();
    listed("streamKeys", &keys, &input.paging)
}

pub async fn delete(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    state.channels.delete_key(&input.arn)?;
    Ok(StatusCode::NO_CONTENT)
}
