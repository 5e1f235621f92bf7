//! Channels and stream keys, as the IVS control plane keeps them: `CreateChannel` (with its stream
//! key), `GetChannel`, `BatchGetChannel`, `ListChannels`, `UpdateChannel`, `DeleteChannel`,
//! `CreateStreamKey` (one per channel), `GetStreamKey`, `BatchGetStreamKey`, `ListStreamKeys`,
//! `DeleteStreamKey` — IDs, ARNs, key values and playback URLs in IVS's formats, kept in the data
//! directory so they survive a restart. The built-in channel (`channel/local`) is always there;
//! it is the one the test stream plays on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::aws::{listed, page, parse, ApiError};
use crate::store::JsonFile;
use crate::AppState;

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

/// A channel's settings and identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelRecord {
    pub arn: String,
    pub name: String,
    pub latency_mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub authorized: bool,
    pub insecure_ingest: bool,
    pub recording_configuration_arn: String,
    pub preset: String,
    pub playback_restriction_policy_arn: String,
    pub tags: BTreeMap<String, String>,
}

/// A stream key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamKeyRecord {
    pub arn: String,
    pub value: String,
    pub channel_arn: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Registry {
    channels: Vec<ChannelRecord>,
    keys: Vec<StreamKeyRecord>,
}

/// The channels of this account.
#[derive(Clone)]
pub struct Channels {
    registry: JsonFile<Registry>,
    /// Where playback URLs point (`http://127.0.0.1:8081`).
    playback_base: String,
    /// The built-in channel's ARN.
    builtin: String,
    /// The host broadcasters stream to.
    ingest_endpoint: String,
}

fn random(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl Channels {
    /// The channels kept in `path`, with the built-in channel `builtin` (its `authorized` from the
    /// command line).
    pub fn load(path: Option<PathBuf>, playback_base: &str, builtin: &str, builtin_authorized: bool) -> Self {
        let registry = JsonFile::<Registry>::load(path, "the channels");
        let mut kept = registry.lock();
        if !kept.channels.iter().any(|c| c.arn == builtin) {
            kept.channels.insert(0, ChannelRecord { name: "local".into(), ..new_channel(builtin.to_owned(), &ChannelInput::default()) });
        }
        if let Some(channel) = kept.channels.iter_mut().find(|c| c.arn == builtin) {
            channel.authorized = builtin_authorized;
        }
        if !kept.keys.iter().any(|k| k.channel_arn == builtin) {
            kept.keys.push(new_key(builtin, BTreeMap::new()));
        }
        registry.save(&kept);
        drop(kept);
        Self { registry, playback_base: playback_base.to_owned(), builtin: builtin.to_owned(), ingest_endpoint: "127.0.0.1".into() }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock()
    }

    pub fn get(&self, arn: &str) -> Option<ChannelRecord> {
        self.lock().channels.iter().find(|c| c.arn == arn).cloned()
    }

    /// The channel whose stream key is `value` (ingest's check).
    pub fn channel_for_key(&self, value: &str) -> Option<ChannelRecord> {
        let registry = self.lock();
        let key = registry.keys.iter().find(|k| k.value == value)?;
        registry.channels.iter().find(|c| c.arn == key.channel_arn).cloned()
    }

    /// The value of channel `arn`'s stream key.
    pub fn key_of(&self, arn: &str) -> Option<String> {
        self.lock().keys.iter().find(|k| k.channel_arn == arn).map(|k| k.value.clone())
    }

    /// A channel using recording configuration `arn`.
    pub fn using_recording_configuration(&self, arn: &str) -> Option<String> {
        self.lock().channels.iter().find(|c| c.recording_configuration_arn == arn).map(|c| c.arn.clone())
    }

    /// The ARN of the channel whose playback URL names `id` (`channel.<id>.m3u8`).
    pub fn arn_of_id(&self, id: &str) -> Option<String> {
        self.lock().channels.iter().find(|c| id_of(&c.arn) == id).map(|c| c.arn.clone())
    }

    /// Whether the channel needs playback tokens.
    pub fn authorized(&self, arn: &str) -> bool {
        self.get(arn).is_some_and(|c| c.authorized)
    }

    /// A channel's playback URL, shaped as IVS's.
    pub fn playback_url(&self, arn: &str) -> String {
        format!("{}/api/video/v1/{REGION}.{ACCOUNT}.channel.{}.m3u8", self.playback_base, id_of(arn))
    }

    /// The tags of a channel or stream key.
    pub fn tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        let registry = self.lock();
        let channel = registry.channels.iter().find(|c| c.arn == arn).map(|c| c.tags.clone());
        channel.or_else(|| registry.keys.iter().find(|k| k.arn == arn).map(|k| k.tags.clone()))
    }

    /// Changes the tags of a channel or stream key (`None`: no such resource; `Err`: too many).
    pub fn update_tags(&self, arn: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Option<Result<(), String>> {
        let mut registry = self.lock();
        let registry = &mut *registry;
        let tags = match registry.channels.iter_mut().find(|c| c.arn == arn) {
            Some(channel) => &mut channel.tags,
            None => &mut registry.keys.iter_mut().find(|k| k.arn == arn)?.tags,
        };
        let mut changed = tags.clone();
        change(&mut changed);
        if changed.len() > 50 {
            return Some(Err("a resource has at most 50 tags".into()));
        }
        *tags = changed;
        self.registry.save(registry);
        Some(Ok(()))
    }

    /// The channel as the API describes it: its summary, with where to stream and to watch.
    pub fn describe(&self, channel: &ChannelRecord) -> Value {
        let mut described = summary(channel);
        described["ingestEndpoint"] = self.ingest_endpoint.clone().into();
        described["playbackUrl"] = self.playback_url(&channel.arn).into();
        described
    }
}

fn summary(channel: &ChannelRecord) -> Value {
    json!({
        "arn": channel.arn,
        "name": channel.name,
        "latencyMode": channel.latency_mode,
        "type": channel.kind,
        "authorized": channel.authorized,
        "insecureIngest": channel.insecure_ingest,
        "recordingConfigurationArn": channel.recording_configuration_arn,
        "preset": channel.preset,
        "playbackRestrictionPolicyArn": channel.playback_restriction_policy_arn,
        "tags": channel.tags,
    })
}

fn describe_key(key: &StreamKeyRecord) -> Value {
    json!({ "arn": key.arn, "value": key.value, "channelArn": key.channel_arn, "tags": key.tags })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ChannelInput {
    name: Option<String>,
    latency_mode: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    authorized: Option<bool>,
    insecure_ingest: Option<bool>,
    recording_configuration_arn: Option<String>,
    preset: Option<String>,
    playback_restriction_policy_arn: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

fn new_channel(arn: String, input: &ChannelInput) -> ChannelRecord {
    ChannelRecord {
        arn,
        name: input.name.clone().unwrap_or_default(),
        latency_mode: input.latency_mode.clone().unwrap_or_else(|| "LOW".into()),
        kind: input.kind.clone().unwrap_or_else(|| "STANDARD".into()),
        authorized: input.authorized.unwrap_or(false),
        insecure_ingest: input.insecure_ingest.unwrap_or(false),
        recording_configuration_arn: input.recording_configuration_arn.clone().unwrap_or_default(),
        preset: input.preset.clone().unwrap_or_default(),
        playback_restriction_policy_arn: input.playback_restriction_policy_arn.clone().unwrap_or_default(),
        tags: input.tags.clone(),
    }
}

fn new_key(channel_arn: &str, tags: BTreeMap<String, String>) -> StreamKeyRecord {
    StreamKeyRecord {
        arn: format!("arn:aws:ivs:{REGION}:{ACCOUNT}:stream-key/{}", random(12)),
        value: format!("sk_{REGION}_{}_{}", random(12), random(30)),
        channel_arn: channel_arn.to_owned(),
        tags,
    }
}

/// Checks what `CreateChannel` and `UpdateChannel` take, as the service model constrains it.
fn validate(input: &ChannelInput) -> Result<(), ApiError> {
    if let Some(name) = &input.name {
        if name.len() > 128 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ApiError::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
        }
    }
    if let Some(mode) = &input.latency_mode {
        if !matches!(mode.as_str(), "NORMAL" | "LOW") {
            return Err(ApiError::validation(format!("latencyMode must be NORMAL or LOW, not {mode:?}")));
        }
    }
    if let Some(kind) = &input.kind {
        if !matches!(kind.as_str(), "BASIC" | "STANDARD" | "ADVANCED_SD" | "ADVANCED_HD") {
            return Err(ApiError::validation(format!("type must be BASIC, STANDARD, ADVANCED_SD or ADVANCED_HD, not {kind:?}")));
        }
    }
    if let Some(preset) = input.preset.as_deref().filter(|p| !p.is_empty()) {
        if !matches!(preset, "HIGHER_BANDWIDTH_DELIVERY" | "CONSTRAINED_BANDWIDTH_DELIVERY") {
            return Err(ApiError::validation(format!("preset {preset:?} is not a preset")));
        }
    }
    if input.tags.len() > 50 {
        return Err(ApiError::validation("at most 50 tags"));
    }
    Ok(())
}

/// The routes of the channel and stream key operations.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/CreateChannel", post(create_channel))
        .route("/GetChannel", post(get_channel))
        .route("/BatchGetChannel", post(batch_get_channel))
        .route("/ListChannels", post(list_channels))
        .route("/UpdateChannel", post(update_channel))
        .route("/DeleteChannel", post(delete_channel))
        .route("/CreateStreamKey", post(create_stream_key))
        .route("/GetStreamKey", post(get_stream_key))
        .route("/BatchGetStreamKey", post(batch_get_stream_key))
        .route("/ListStreamKeys", post(list_stream_keys))
        .route("/DeleteStreamKey", post(delete_stream_key))
        .with_state(state)
}

/// A recording configuration named by a channel must exist.
fn check_recording_configuration(state: &AppState, input: &ChannelInput) -> Result<(), ApiError> {
    match input.recording_configuration_arn.as_deref().filter(|arn| !arn.is_empty()) {
        Some(arn) if state.recording_configs.get(arn).is_none() => Err(ApiError::not_found(arn)),
        _ => Ok(()),
    }
}

async fn create_channel(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ChannelInput = if body.is_empty() { ChannelInput::default() } else { parse(&body)? };
    validate(&input)?;
    check_recording_configuration(&state, &input)?;
    let arn = format!("arn:aws:ivs:{REGION}:{ACCOUNT}:channel/{}", random(12));
    let channel = new_channel(arn.clone(), &input);
    let key = new_key(&arn, BTreeMap::new());
    let channels = &state.channels;
    {
        let mut registry = channels.lock();
        registry.channels.push(channel.clone());
        registry.keys.push(key.clone());
        channels.registry.save(&registry);
    }
    tracing::info!(%arn, "CreateChannel");
    Ok(Json(json!({ "channel": channels.describe(&channel), "streamKey": describe_key(&key) })))
}

#[derive(Deserialize)]
struct ArnInput {
    arn: String,
}

async fn get_channel(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ArnInput = parse(&body)?;
    let channel = state.channels.get(&input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "channel": state.channels.describe(&channel) })))
}

#[derive(Deserialize)]
struct ArnsInput {
    arns: Vec<String>,
}

async fn batch_get_channel(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ArnsInput = parse(&body)?;
    if input.arns.is_empty() || input.arns.len() > 50 {
        return Err(ApiError::validation("arns must name 1 to 50 channels"));
    }
    let (mut channels, mut errors) = (Vec::new(), Vec::new());
    for arn in &input.arns {
        match state.channels.get(arn) {
            Some(channel) => channels.push(state.channels.describe(&channel)),
            None => errors.push(json!({ "arn": arn, "code": "ResourceNotFoundException", "message": format!("{arn} not found") })),
        }
    }
    Ok(Json(json!({ "channels": channels, "errors": errors })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListChannelsInput {
    filter_by_name: Option<String>,
    filter_by_recording_configuration_arn: Option<String>,
    filter_by_playback_restriction_policy_arn: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
}

async fn list_channels(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListChannelsInput = if body.is_empty() { ListChannelsInput::default() } else { parse(&body)? };
    if input.filter_by_recording_configuration_arn.is_some() && input.filter_by_playback_restriction_policy_arn.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", "filter by one of recording configuration and playback restriction policy"));
    }
    let matching: Vec<Value> = state
        .channels
        .lock()
        .channels
        .iter()
        .filter(|c| input.filter_by_name.as_ref().is_none_or(|n| c.name.contains(n.as_str())))
        .filter(|c| input.filter_by_recording_configuration_arn.as_ref().is_none_or(|r| &c.recording_configuration_arn == r))
        .filter(|c| input.filter_by_playback_restriction_policy_arn.as_ref().is_none_or(|p| &c.playback_restriction_policy_arn == p))
        .map(summary)
        .collect();
    Ok(listed("channels", page(&matching, input.max_results, input.next_token.as_deref())?))
}

#[derive(Deserialize)]
struct UpdateChannelInput {
    arn: String,
    #[serde(flatten)]
    changes: ChannelInput,
}

/// An `UpdateChannel` field: changed when given.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

async fn update_channel(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: UpdateChannelInput = parse(&body)?;
    validate(&input.changes)?;
    check_recording_configuration(&state, &input.changes)?;
    let channels = &state.channels;
    if state.live.get(&input.arn).is_some_and(|c| c.is_live()) {
        return Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", "the channel is live; its settings change when the stream has stopped"));
    }
    let updated = {
        let mut registry = channels.lock();
        let channel = registry.channels.iter_mut().find(|c| c.arn == input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
        let c = input.changes;
        set(&mut channel.name, c.name);
        set(&mut channel.latency_mode, c.latency_mode);
        set(&mut channel.kind, c.kind);
        set(&mut channel.authorized, c.authorized);
        set(&mut channel.insecure_ingest, c.insecure_ingest);
        set(&mut channel.recording_configuration_arn, c.recording_configuration_arn);
        set(&mut channel.preset, c.preset);
        set(&mut channel.playback_restriction_policy_arn, c.playback_restriction_policy_arn);
        let updated = channel.clone();
        channels.registry.save(&registry);
        updated
    };
    Ok(Json(json!({ "channel": channels.describe(&updated) })))
}

async fn delete_channel(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    let channels = &state.channels;
    if channels.get(&input.arn).is_none() {
        return Err(ApiError::not_found(&input.arn));
    }
    if state.live.get(&input.arn).is_some_and(|c| c.is_live()) {
        return Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", "the channel is live; stop the stream first"));
    }
    if input.arn == channels.builtin {
        return Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", "the local IVS's built-in channel cannot be deleted"));
    }
    let mut registry = channels.lock();
    registry.channels.retain(|c| c.arn != input.arn);
    registry.keys.retain(|k| k.channel_arn != input.arn);
    channels.registry.save(&registry);
    drop(registry);
    state.live.remove(&input.arn);
    tracing::info!(arn = %input.arn, "DeleteChannel");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateStreamKeyInput {
    channel_arn: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

async fn create_stream_key(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: CreateStreamKeyInput = parse(&body)?;
    let channels = &state.channels;
    let mut registry = channels.lock();
    if !registry.channels.iter().any(|c| c.arn == input.channel_arn) {
        return Err(ApiError::not_found(&input.channel_arn));
    }
    if registry.keys.iter().any(|k| k.channel_arn == input.channel_arn) {
        return Err(ApiError::new(StatusCode::PAYMENT_REQUIRED, "ServiceQuotaExceededException", "a channel has at most one stream key; delete it first"));
    }
    let key = new_key(&input.channel_arn, input.tags);
    registry.keys.push(key.clone());
    channels.registry.save(&registry);
    Ok(Json(json!({ "streamKey": describe_key(&key) })))
}

async fn get_stream_key(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ArnInput = parse(&body)?;
    let key = state.channels.lock().keys.iter().find(|k| k.arn == input.arn).cloned().ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "streamKey": describe_key(&key) })))
}

async fn batch_get_stream_key(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ArnsInput = parse(&body)?;
    if input.arns.is_empty() || input.arns.len() > 50 {
        return Err(ApiError::validation("arns must name 1 to 50 stream keys"));
    }
    let registry = state.channels.lock();
    let (mut keys, mut errors) = (Vec::new(), Vec::new());
    for arn in &input.arns {
        match registry.keys.iter().find(|k| &k.arn == arn) {
            Some(key) => keys.push(describe_key(key)),
            None => errors.push(json!({ "arn": arn, "code": "ResourceNotFoundException", "message": format!("{arn} not found") })),
        }
    }
    Ok(Json(json!({ "streamKeys": keys, "errors": errors })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListStreamKeysInput {
    channel_arn: String,
    max_results: Option<usize>,
    next_token: Option<String>,
}

async fn list_stream_keys(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListStreamKeysInput = parse(&body)?;
    let registry = state.channels.lock();
    if !registry.channels.iter().any(|c| c.arn == input.channel_arn) {
        return Err(ApiError::not_found(&input.channel_arn));
    }
    let keys: Vec<Value> = registry
        .keys
        .iter()
        .filter(|k| k.channel_arn == input.channel_arn)
        .map(|k| json!({ "arn": k.arn, "channelArn": k.channel_arn, "tags": k.tags }))
        .collect();
    Ok(listed("streamKeys", page(&keys, input.max_results, input.next_token.as_deref())?))
}

async fn delete_stream_key(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    let channels = &state.channels;
    let mut registry = channels.lock();
    if !registry.keys.iter().any(|k| k.arn == input.arn) {
        return Err(ApiError::not_found(&input.arn));
    }
    registry.keys.retain(|k| k.arn != input.arn);
    channels.registry.save(&registry);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keys_and_urls_have_the_ivs_shapes_and_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("ivs-local-channels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("channels.json");
        let builtin = "arn:aws:ivs:us-east-1:000000000000:channel/local";
        let channels = Channels::load(Some(path.clone()), "http://127.0.0.1:8081", builtin, false);
        assert_eq!(channels.playback_url(builtin), "http://127.0.0.1:8081/api/video/v1/us-east-1.000000000000.channel.local.m3u8");
        let key = channels.lock().keys[0].clone();
        let parts: Vec<&str> = key.value.split('_').collect();
        assert_eq!((parts[0], parts[1], parts[2].len(), parts[3].len()), ("sk", "us-east-1", 12, 30));
        assert!(key.arn.starts_with("arn:aws:ivs:us-east-1:000000000000:stream-key/"));
        let again = Channels::load(Some(path), "http://127.0.0.1:8081", builtin, true);
        assert_eq!(again.lock().keys[0].value, key.value, "the built-in channel's key survives a restart");
        assert!(again.authorized(builtin), "the command line decides whether the built-in channel is private");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_service_models_constraints_are_checked() {
        let bad = |json: &str| validate(&serde_json::from_str::<ChannelInput>(json).unwrap()).is_err();
        assert!(bad(r#"{"name":"has space"}"#) && bad(r#"{"latencyMode":"FAST"}"#) && bad(r#"{"type":"PREMIUM"}"#) && bad(r#"{"preset":"X"}"#));
        assert!(!bad(r#"{"name":"my-channel_1","latencyMode":"NORMAL","type":"BASIC","preset":""}"#));
    }
}
