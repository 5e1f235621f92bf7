//! Streams and stream sessions, as the IVS control plane reports them (`ListStreams`,
//! `StopStream`, `ListStreamSessions`, `GetStreamSession`), and tags on channels and stream keys
//! (`TagResource`, `UntagResource`, `ListTagsForResource`, REST paths under `/tags/{arn}`).
//! A channel's sessions are its live broadcast and the finished ones it keeps.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::aws::{listed, page, parse, ApiError};
use crate::chat::timestamp;
use crate::AppState;

/// The routes of the stream and tag operations.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ListStreams", post(list_streams))
        .route("/StopStream", post(stop_stream))
        .route("/ListStreamSessions", post(list_stream_sessions))
        .route("/GetStreamSession", post(get_stream_session))
        .route("/tags/{arn}", get(list_tags).post(tag_resource).delete(untag_resource))
        .with_state(state)
}

fn iso(ms: i64) -> String {
    timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListStreamsInput {
    filter_by: Option<Filters>,
    max_results: Option<usize>,
    #[allow(dead_code)]
    next_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct Filters {
    health: Option<String>,
}

async fn list_streams(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListStreamsInput = if body.is_empty() { ListStreamsInput::default() } else { parse(&body)? };
    if input.max_results.is_some_and(|m| !(1..=100).contains(&m)) {
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
async fn stop_stream(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ChannelInput = parse(&body)?;
    if state.channels.get(&input.channel_arn).is_none() {
        return Err(ApiError::not_found(&input.channel_arn));
    }
    if !state.live.get(&input.channel_arn).is_some_and(|c| c.stop()) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "ChannelNotBroadcasting", "The channel is not broadcasting"));
    }
    if input.channel_arn == state.builtin_arn {
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
        .recordings()
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
    max_results: Option<usize>,
    next_token: Option<String>,
}

async fn list_stream_sessions(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListSessionsInput = parse(&body)?;
    if state.channels.get(&input.channel_arn).is_none() {
        return Err(ApiError::not_found(&input.channel_arn));
    }
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
    Ok(listed("streamSessions", page(&summaries, input.max_results, input.next_token.as_deref())?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetSessionInput {
    channel_arn: String,
    stream_id: Option<String>,
}

async fn get_stream_session(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: GetSessionInput = parse(&body)?;
    let channel = state.channels.get(&input.channel_arn).ok_or_else(|| ApiError::not_found(&input.channel_arn))?;
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

async fn list_tags(State(state): State<AppState>, Path(arn): Path<String>) -> Result<Json<Value>, ApiError> {
    let tags = state.channels.tags(&arn).or_else(|| state.recording_configs.tags(&arn)).ok_or_else(|| ApiError::not_found(&arn))?;
    Ok(Json(json!({ "tags": tags })))
}

#[derive(Deserialize)]
struct TagInput {
    tags: std::collections::BTreeMap<String, String>,
}

async fn tag_resource(State(state): State<AppState>, Path(arn): Path<String>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: TagInput = parse(&body)?;
    if input.tags.keys().any(|k| k.is_empty() || k.len() > 128 || k.starts_with("aws:")) || input.tags.values().any(|v| v.len() > 256) {
        return Err(ApiError::validation("tag keys are 1 to 128 characters (not aws:…), values at most 256"));
    }
    change_tags(&state, &arn, |tags| tags.extend(input.tags.clone()))
}

/// Changes the tags of whichever taggable resource `arn` names: a channel or stream key, or a
/// recording configuration.
fn change_tags(state: &AppState, arn: &str, change: impl Fn(&mut std::collections::BTreeMap<String, String>) + Copy) -> Result<Json<Value>, ApiError> {
    state
        .channels
        .update_tags(arn, change)
        .or_else(|| state.recording_configs.update_tags(arn, change))
        .ok_or_else(|| ApiError::not_found(arn))?
        .map_err(ApiError::validation)?;
    Ok(Json(json!({})))
}

/// `tagKeys` from a query string (`tagKeys=a&tagKeys=b`), percent-decoded.
fn tag_keys(query: &str) -> Vec<String> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                },
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query.split('&').filter_map(|pair| pair.split_once('=')).filter(|(k, _)| *k == "tagKeys").map(|(_, v)| decode(v)).collect()
}

async fn untag_resource(State(state): State<AppState>, Path(arn): Path<String>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let keys = tag_keys(query.as_deref().unwrap_or_default());
    if keys.is_empty() {
        return Err(ApiError::validation("name at least one tagKeys"));
    }
    change_tags(&state, &arn, |tags| tags.retain(|k, _| !keys.contains(k)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_keys_are_read_from_the_query() {
        assert_eq!(super::tag_keys("tagKeys=team&tagKeys=cost%20centre&other=x"), ["team", "cost centre"]);
        assert_eq!(super::tag_keys("tagKeys=100%"), ["100%"]);
        assert!(super::tag_keys("").is_empty());
    }
}
