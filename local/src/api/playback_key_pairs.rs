//! `ImportPlaybackKeyPair`, `GetPlaybackKeyPair`, `ListPlaybackKeyPairs`,
//! `DeletePlaybackKeyPair`: HTTP to [`KeyPairs`](crate::control::playback_auth::KeyPairs) and back.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{listed, parse, parse_or_default, Answer, ApiError, ArnInput, Paging};
use crate::account::{self, arn_prefix, Service};
use crate::control::playback_auth::{ImportError, KeyPair};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportInput {
    public_key_material: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

fn describe(pair: &KeyPair) -> Value {
    json!({ "arn": pair.arn, "name": pair.name, "fingerprint": pair.fingerprint, "tags": pair.tags })
}

pub async fn import(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ImportInput = parse(&body)?;
    if !account::valid_name(&input.name) {
        return Err(ApiError::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
    }
    match state.key_pairs.import(&input.public_key_material, &input.name, input.tags, &arn_prefix(Service::Ivs, "playback-key")) {
        Ok(pair) => {
            tracing::info!(arn = %pair.arn, name = %pair.name, "ImportPlaybackKeyPair");
            Ok(Json(json!({ "keyPair": describe(&pair) })))
        }
        Err(ImportError::Material) => Err(ApiError::validation("publicKeyMaterial must be an ECDSA P-384 public key in PEM")),
        Err(ImportError::Duplicate) => Err(ApiError::conflict("A key pair with this public key already exists")),
    }
}

pub async fn get(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    let pair = state.key_pairs.get(&input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "keyPair": describe(&pair) })))
}

pub async fn list(State(state): State<AppState>, body: Bytes) -> Answer {
    let paging: Paging = parse_or_default(&body)?;
    let pairs: Vec<Value> = state.key_pairs.list().iter().map(|p| json!({ "arn": p.arn, "name": p.name, "tags": p.tags })).collect();
    listed("keyPairs", &pairs, &paging)
}

pub async fn delete(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ArnInput = parse(&body)?;
    if !state.key_pairs.delete(&input.arn) {
        return Err(ApiError::not_found(&input.arn));
    }
    Ok(Json(json!({})))
}
