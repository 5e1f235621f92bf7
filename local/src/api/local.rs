//! The local IVS's own controls under `/_local/` — not IVS operations: take the built-in
//! channel offline and back, force a stream's health, stall the playback origin, list the
//! built-in channel's past broadcasts, and a health check.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{parse, Answer, ApiError};
use crate::state::AppState;

pub async fn go_offline(State(state): State<AppState>) -> Json<Value> {
    state.stop_broadcaster();
    Json(json!({ "live": false }))
}

/// Starts the built-in broadcaster and answers once the channel is live (at most 15 s).
pub async fn go_online(State(state): State<AppState>) -> Answer {
    state.start_broadcaster().map_err(|e| ApiError::internal(e.to_string()))?;
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

pub async fn force_health(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: ForceHealthInput = parse(&body)?;
    let healthy = match input.health.as_deref() {
        None => None,
        Some("HEALTHY") => Some(true),
        Some("STARVING") => Some(false),
        Some(other) => return Err(ApiError::validation(format!("health must be HEALTHY, STARVING or null, not {other:?}"))),
    };
    state.live.channel(input.channel_arn.as_deref().unwrap_or(state.channels.builtin())).force_health(healthy);
    Ok(Json(json!({ "health": input.health })))
}

#[derive(Deserialize)]
struct StallInput {
    /// How long the playback origin holds every request.
    seconds: f64,
}

/// The most a stall may last: longer than any player waits, short enough not to be forgotten.
const MAX_STALL_SECS: f64 = 300.0;

/// Makes the playback origin stop answering for a while, as a network that stalls: what a
/// viewer does then (buffering, and where it resumes) can be tried for real.
pub async fn stall_playback(State(state): State<AppState>, body: Bytes) -> Answer {
    let input: StallInput = parse(&body)?;
    if !(input.seconds > 0.0 && input.seconds <= MAX_STALL_SECS) {
        return Err(ApiError::validation(format!("seconds must be more than 0 and at most {MAX_STALL_SECS}, not {}", input.seconds)));
    }
    state.playback_stall.start(std::time::Duration::from_secs_f64(input.seconds));
    Ok(Json(json!({ "seconds": input.seconds })))
}

/// The built-in channel's finished broadcasts, playable as recordings.
pub async fn recordings(State(state): State<AppState>) -> Json<Value> {
    let playback_url = state.channels.playback_url(state.channels.builtin());
    let base = playback_url.split("/api/video/").next().unwrap_or_default().to_owned();
    let list: Vec<Value> = state
        .builtin()
        .past_broadcasts()
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

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "live": state.builtin().is_live(), "channelArn": state.channels.builtin() }))
}
