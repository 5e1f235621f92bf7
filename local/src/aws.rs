//! The IVS control plane, REST-JSON as the AWS SDKs speak it (`POST /PutMetadata` with a JSON
//! body, errors named in `x-amzn-ErrorType`), so the official SDKs and CLI work with nothing but
//! an endpoint override. Signatures are accepted as they come: this API only listens on loopback.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::hls::PutError;
use crate::AppState;

/// An IVS error: HTTP status, type name and message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// Further members of the error body (`resourceId`, `fieldList`…).
    fields: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), fields: serde_json::Map::new() }
    }

    /// Adds a member to the error body.
    pub(crate) fn with(mut self, name: &str, value: serde_json::Value) -> Self {
        self.fields.insert(name.to_owned(), value);
        self
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    pub(crate) fn not_found(arn: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", format!("ResourceNotFoundException: {arn} not found")).with("resourceId", arn.into())
    }

    fn not_broadcasting() -> Self {
        Self::new(StatusCode::NOT_FOUND, "ChannelNotBroadcasting", "The channel is not broadcasting")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.fields;
        body.insert("message".into(), self.message.clone().into());
        body.insert("exceptionMessage".into(), self.message.into());
        let body = Json(serde_json::Value::Object(body));
        (self.status, [("x-amzn-ErrorType", self.kind)], body).into_response()
    }
}

/// The routes of the emulated control plane.
pub fn router(state: AppState) -> Router {
    let chat = crate::chat::control::router(state.chat.clone());
    Router::new()
        .route("/PutMetadata", post(put_metadata))
        .route("/GetStream", post(get_stream))
        .route("/ImportPlaybackKeyPair", post(import_playback_key_pair))
        .route("/GetPlaybackKeyPair", post(get_playback_key_pair))
        .route("/ListPlaybackKeyPairs", post(list_playback_key_pairs))
        .route("/DeletePlaybackKeyPair", post(delete_playback_key_pair))
        .route("/_local/stream/offline", post(go_offline))
        .route("/_local/stream/online", post(go_online))
        .route("/_local/health", get(health))
        .route("/_local/stream/health", post(force_health))
        .route("/_local/playback/stall", post(stall_playback))
        .route("/_local/recordings", get(recordings))
        .with_state(state.clone())
        .merge(crate::channels::router(state.clone()))
        .merge(crate::streams::router(state.clone()))
        .merge(crate::recording::router(state))
        .merge(chat)
}

/// One page of `items` from `next_token`, at most `max_results` (1 to 100, default 100), and the
/// token of the next page, as the List operations answer.
pub(crate) fn page<T: Clone>(items: &[T], max_results: Option<usize>, next_token: Option<&str>) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(ApiError::validation("maxResults must be 1 to 100"));
    }
    let start = match next_token {
        None | Some("") => 0,
        Some(token) => token.parse::<usize>().map_err(|_| ApiError::validation("nextToken is not valid"))?,
    };
    let page = items.iter().skip(start).take(max).cloned().collect();
    Ok((page, (start + max < items.len()).then(|| (start + max).to_string())))
}

/// A List answer: `items` under `key`, and `nextToken` when there is more.
pub(crate) fn listed(key: &str, (items, next): (Vec<serde_json::Value>, Option<String>)) -> Json<serde_json::Value> {
    let mut answer = json!({ key: items });
    if let Some(next) = next {
        answer["nextToken"] = next.into();
    }
    Json(answer)
}

pub(crate) fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::validation(format!("invalid request body: {e}")))
}

pub(crate) fn caller(headers: &HeaderMap) -> &str {
    // "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ivs/aws4_request, …"
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').next())
        .unwrap_or("anonymous")
}

/// The broadcasts of channel `arn`: not found when the account has no such channel, not
/// broadcasting when it never went live.
fn live_channel(state: &AppState, arn: &str) -> Result<crate::hls::Channel, ApiError> {
    if state.channels.get(arn).is_none() {
        return Err(ApiError::not_found(arn));
    }
    state.live.get(arn).ok_or_else(ApiError::not_broadcasting)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutMetadataInput {
    channel_arn: String,
    metadata: String,
}

async fn put_metadata(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: PutMetadataInput = parse(&body)?;
    let channel = live_channel(&state, &input.channel_arn)?;
    if input.metadata.is_empty() || input.metadata.len() > ivs_proto::MAX_METADATA_BYTES {
        return Err(ApiError::validation(format!("metadata must be 1 to {} bytes of UTF-8, got {}", ivs_proto::MAX_METADATA_BYTES, input.metadata.len())));
    }
    let bytes = input.metadata.len();
    match channel.put_metadata(input.metadata.clone()) {
        Ok(()) => {
            tracing::info!(caller = caller(&headers), bytes, "PutMetadata");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(PutError::Offline) => Err(ApiError::not_broadcasting()),
        Err(PutError::Throttled) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Request rate exceeds the limit of 5 PutMetadata calls per second for this channel",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetStreamInput {
    channel_arn: String,
}

async fn get_stream(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: GetStreamInput = parse(&body)?;
    let info = live_channel(&state, &input.channel_arn)?.stream_info().ok_or_else(ApiError::not_broadcasting)?;
    Ok(Json(json!({
        "stream": {
            "channelArn": input.channel_arn,
            "streamId": info.stream_id,
            "playbackUrl": state.channels.playback_url(&input.channel_arn),
            "startTime": info.start_time,
            "state": "LIVE",
            "health": if info.healthy { "HEALTHY" } else { "STARVING" },
            "viewerCount": info.viewer_count,
        }
    })))
}

async fn go_offline(State(state): State<AppState>) -> Json<serde_json::Value> {
    state.stop_broadcaster();
    Json(json!({ "live": false }))
}

/// Starts the built-in broadcaster and answers once the channel is live (at most 15 s).
async fn go_online(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.start_broadcaster().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException", e.to_string()))?;
    let channel = state.builtin();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while !channel.is_live() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(Json(json!({ "live": channel.is_live() })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForceHealthInput {
    /// `HEALTHY`, `STARVING`, or null to measure again.
    health: Option<String>,
    /// The channel (the built-in one when not given).
    channel_arn: Option<String>,
}

async fn force_health(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: ForceHealthInput = parse(&body)?;
    let healthy = match input.health.as_deref() {
        None => None,
        Some("HEALTHY") => Some(true),
        Some("STARVING") => Some(false),
        Some(other) => return Err(ApiError::validation(format!("health must be HEALTHY, STARVING or null, not {other:?}"))),
    };
    state.live.channel(input.channel_arn.as_deref().unwrap_or(&state.builtin_arn)).force_health(healthy);
    Ok(Json(json!({ "health": input.health })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StallInput {
    /// How long the playback origin holds every request.
    seconds: f64,
}

/// The most a stall may last: longer than any player waits, short enough not to be forgotten.
const MAX_STALL_SECS: f64 = 300.0;

/// Makes the playback origin stop answering for a while, as a network that stalls: what a
/// viewer does then (buffering, and where it resumes) can be tried for real.
async fn stall_playback(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: StallInput = parse(&body)?;
    if !(input.seconds > 0.0 && input.seconds <= MAX_STALL_SECS) {
        return Err(ApiError::validation(format!("seconds must be more than 0 and at most {MAX_STALL_SECS}, not {}", input.seconds)));
    }
    state.playback_stall.start(std::time::Duration::from_secs_f64(input.seconds));
    Ok(Json(json!({ "seconds": input.seconds })))
}

/// The built-in channel's finished broadcasts, playable as recordings.
async fn recordings(State(state): State<AppState>) -> Json<serde_json::Value> {
    let playback_url = state.channels.playback_url(&state.builtin_arn);
    let base = playback_url.split("/api/video/").next().unwrap_or_default().to_owned();
    let list: Vec<serde_json::Value> = state
        .builtin()
        .recordings()
        .iter()
        .map(|r| {
            json!({
                "streamId": r.stream_id,
                "playbackUrl": format!("{base}/recordings/{}/index.m3u8", r.stream_id),
                "durationSecs": r.duration_secs(),
                "startTimeMs": r.start_ms(),
            })
        })
        .collect();
    Json(json!({ "recordings": list }))
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "live": state.builtin().is_live(), "channelArn": state.builtin_arn }))
}

/// The ARNs of imported playback key pairs start so.
const KEY_PAIR_ARN_PREFIX: &str = "arn:aws:ivs:us-east-1:000000000000:playback-key/";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportPlaybackKeyPairInput {
    public_key_material: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tags: std::collections::BTreeMap<String, String>,
}

fn key_pair_json(pair: &crate::playback_auth::KeyPair) -> serde_json::Value {
    json!({ "arn": pair.arn, "name": pair.name, "fingerprint": pair.fingerprint, "tags": pair.tags })
}

async fn import_playback_key_pair(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    use crate::playback_auth::ImportError;
    let input: ImportPlaybackKeyPairInput = parse(&body)?;
    if input.name.len() > 128 || !input.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ApiError::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
    }
    match state.key_pairs.import(&input.public_key_material, &input.name, input.tags, KEY_PAIR_ARN_PREFIX) {
        Ok(pair) => {
            tracing::info!(arn = %pair.arn, name = %pair.name, "ImportPlaybackKeyPair");
            Ok(Json(json!({ "keyPair": key_pair_json(&pair) })))
        }
        Err(ImportError::Material) => Err(ApiError::validation("publicKeyMaterial must be an ECDSA P-384 public key in PEM")),
        Err(ImportError::Duplicate) => Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", "A key pair with this public key already exists")),
    }
}

#[derive(Deserialize)]
struct ArnInput {
    arn: String,
}

async fn get_playback_key_pair(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: ArnInput = parse(&body)?;
    let pair = state.key_pairs.get(&input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "keyPair": key_pair_json(&pair) })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    #[serde(default)]
    max_results: Option<usize>,
    #[serde(default)]
    next_token: Option<String>,
}

async fn list_playback_key_pairs(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: ListInput = if body.is_empty() { ListInput::default() } else { parse(&body)? };
    let pairs: Vec<serde_json::Value> = state.key_pairs.list().iter().map(|p| json!({ "arn": p.arn, "name": p.name, "tags": p.tags })).collect();
    Ok(listed("keyPairs", page(&pairs, input.max_results, input.next_token.as_deref())?))
}

async fn delete_playback_key_pair(State(state): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: ArnInput = parse(&body)?;
    if !state.key_pairs.delete(&input.arn) {
        return Err(ApiError::not_found(&input.arn));
    }
    Ok(Json(json!({})))
}
