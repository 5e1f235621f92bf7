//! The studio's own routes (operators only, this site's pages only): the live room — status,
//! alerts, the broadcast's timeline, the viewer count and what is on screen with its counts —
//! and the channel as a broadcaster needs it. Publishing, closing a poll and the stream key go
//! through the operator routes every operator tool uses (`overlays.rs`, `stream_key.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{no_store, Answer, AppError};
use super::extract::Operator;
use crate::clock::now_ms;
use crate::overlays::Venue;
use crate::App;

/// `GET /api/studio`: the live room.
pub async fn overview(State(app): State<App>, _: Operator) -> Answer {
    let stream_id = app.status.stream_id();
    let on_screen = app.overlays.state(Venue::Channel, stream_id.as_deref(), None).await.map_err(|e| {
        tracing::error!("studio: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "what is on screen cannot be read right now")
    })?;
    Ok(no_store(Json(app.status.overview(on_screen, now_ms()))))
}

/// The channel as its broadcaster sets up the encoder (the key itself is read on demand, from
/// `GET /api/stream-key`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Channel {
    arn: String,
    /// `rtmps://…:443/app/`, then the unencrypted `rtmp://…:1935/app/`.
    ingest: Vec<String>,
    private: bool,
    recording_configuration_arn: Option<String>,
    /// A new key after every broadcast.
    rotates_key: bool,
}

/// `GET /api/studio/channel`.
pub async fn channel(State(app): State<App>, _: Operator) -> Answer {
    let arn = app.config.channel.arn.clone();
    let facts = app.ivs.get_channel(&arn).await.map_err(|e| AppError::new(StatusCode::BAD_GATEWAY, format!("IVS refused: {e}")))?;
    let ingest = facts.ingest_endpoint.map(|host| vec![format!("rtmps://{host}:443/app/"), format!("rtmp://{host}:1935/app/")]).unwrap_or_default();
    Ok(no_store(Json(Channel {
        arn,
        ingest,
        private: facts.authorized,
        recording_configuration_arn: facts.recording_configuration_arn,
        rotates_key: app.config.channel.rotate_stream_key,
    })))
}
