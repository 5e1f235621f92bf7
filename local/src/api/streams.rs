//! Streams and stream sessions, as the IVS control plane reports them (`GetStream`,
//! `ListStreams`, `StopStream`, `ListStreamSessions`, `GetStreamSession`), and `PutMetadata` into
//! a live stream. A channel's sessions are its live broadcast and the finished ones it keeps.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{caller, listed, parse, parse_or_default, Answer, ApiError, Paging};
use crate::account::Refusal;
use crate::clock::rfc3339_ms;
use crate::media::channel::{Channel, PutError};
use crate::state::AppState;

fn iso(ms: i64) -> String {
    rfc3339_ms(ms.max(0))
}

/// The broadcasts of channel `arn`: not found when the account has no such channel, not
/// broadcasting when it never went live.
fn live_channel(state: &AppState, arn: &str) -> Result<Channel, ApiError> {
    state.channels.find(arn)?;
    Ok(state.live.get(arn).ok_or(Refusal::NotBroadcasting)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutMetadataInput {
    channel_arn: String,
    metadata: String,
}

pub async fn put_metadata(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: PutMetadataInput = parse(&body)?;
    let channel = live_channel(&state, &input.channel_arn)?;
    if input.metadata.is_empty() || input.metadata.len() > ivs_proto::MAX_METADATA_BYTES {
        return Err(ApiError::validation(format!("metadata must be 1 to {} bytes of UTF-8, got {}", ivs_proto::MAX_METADATA_BYTES, input.metadata.len())));
    }
    let bytes = input.metadata.len();
    match channel.put_metadata(input.metadata) {
        Ok(()) => {
            tracing::info!(caller = caller(&headers), bytes, "PutMetadata");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(PutError::Offline) => Err(Refusal::NotBroadcasting.into()),
        Err(PutError::Throttled) => Err(Refusal::Throttled("Request rate exceeds the limit of 5 PutMetadata calls per second for this channel".into()).into()),
    }
}

pub async fn get_stream(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ChannelInput = parse(&body)?;
    let info = live_channel(&state, &input.channel_arn)?.stream_info().ok_or(Refusal::NotBroadcasting)?;
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListStreamsInput {
    filter_by: Option<Filters>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Deserialize, Default)]
struct Filters {
    health: Option<String>,
}

pub async fn list_streams(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ListStreamsInput = parse_or_default(&body)?;
    if input.paging.max_results.is_some_and(|m| !(1..=100).contains(&m)) {
        return Err(ApiError::validation("maxResults must be 1 to 100"));
    }
    let wanted = input.filter_by.and_then(|f| f.health);
    if let Some(health) = &wanted {
        if !matches!(health.as_str(), "HEALTHY" | "STARVING" | "UNKNOWN") {
            return Err(ApiError::validation(format!("filterBy.health must be HEALTHY, STARVING or UNKNOWN, not {health:?}")));
        }
    }
    let streams: Vec<Value> = state
        .live
        .all()
        .into_iter()
        .filter_map(|(arn, channel)| {
            let info = channel.stream_info()?;
            let health = if info.healthy { "HEALTHY" } else { "STARVING" };
            Some(json!({ "channelArn": arn, "streamId": info.stream_id, "state": "LIVE", "health": health, "viewerCount": info.viewer_count, "startTime": info.start_time }))
        })
        .filter(|s| wanted.as_deref().is_none_or(|h| s["health"] == h))
        .collect();
    Ok(Json(json!({ "streams": streams })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelInput {
    channel_arn: String,
}

/// Ends the broadcast and disconnects the broadcaster, as IVS does. (The built-in broadcaster
/// stays stopped until `ivs-local stream online`.)
pub async fn stop_stream(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ChannelInput = parse(&body)?;
    state.channels.find(&input.channel_arn)?;
    if !state.live.get(&input.channel_arn).is_some_and(|c| c.stop()) {
        return Err(Refusal::NotBroadcasting.into());
    }
    if input.channel_arn == state.channels.builtin() {
        state.broadcaster.stop();
    }
    tracing::info!(channel = %input.channel_arn, "StopStream");
    Ok(Json(json!({})))
}

/// One session: its id, start and end (ms; `None` while live).
struct Session {
    stream_id: String,
    start_ms: i64,
    end_ms: Option<i64>,
}

/// A channel's sessions, newest first.
fn sessions(state: &AppState, arn: &str) -> Vec<Session> {
    let Some(channel) = state.live.get(arn) else {
        return Vec::new();
    };
    let mut sessions: Vec<Session> = channel
        .past_broadcasts()
        .iter()
        .map(|r| Session { stream_id: r.stream_id.clone(), start_ms: r.start_ms(), end_ms: Some(r.start_ms() + (r.duration_secs() * 1000.0) as i64) })
        .collect();
    if let Some(info) = channel.stream_info() {
        let start_ms = ivs_proto::chat_session::parse_timestamp_ms(&info.start_time).unwrap_or(0);
        sessions.retain(|s| s.stream_id != info.stream_id);
        sessions.push(Session { stream_id: info.stream_id, start_ms, end_ms: None });
    }
    sessions.sort_by_key(|s| std::cmp::Reverse(s.start_ms));
    sessions
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListSessionsInput {
    channel_arn: String,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list_stream_sessions(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ListSessionsInput = parse(&body)?;
    state.channels.find(&input.channel_arn)?;
    let all = sessions(&state, &input.channel_arn);
    let summaries: Vec<Value> = all
        .iter()
        .map(|s| {
            let mut summary = json!({ "streamId": s.stream_id, "startTime": iso(s.start_ms), "hasErrorEvent": false });
            if let Some(end) = s.end_ms {
                summary["endTime"] = iso(end).into();
            }
            summary
        })
        .collect();
    listed("streamSessions", &summaries, &input.paging)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetSessionInput {
    channel_arn: String,
    stream_id: Option<String>,
}

pub async fn get_stream_session(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: GetSessionInput = parse(&body)?;
    let channel = state.channels.find(&input.channel_arn)?;
    let all = sessions(&state, &input.channel_arn);
    let session = match &input.stream_id {
        Some(id) => all.iter().find(|s| &s.stream_id == id).ok_or_else(|| ApiError::not_found(id))?,
        None => all.first().ok_or_else(|| ApiError::not_found(&input.channel_arn))?,
    };
    let state_event = |name: &str, ms: i64| json!({ "name": name, "type": "IVS Stream State Change", "eventTime": iso(ms) });
    let mut events = vec![state_event("Session Created", session.start_ms), state_event("Stream Start", session.start_ms)];
    let mut answer = json!({ "streamId": session.stream_id, "startTime": iso(session.start_ms), "channel": state.channels.describe(&channel) });
    if let Some(end) = session.end_ms {
        events.extend([state_event("Stream End", end), state_event("Session Ended", end)]);
        answer["endTime"] = iso(end).into();
    }
    answer["truncatedEvents"] = events.into();
    Ok(Json(json!({ "streamSession": answer })))
}
