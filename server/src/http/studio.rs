//! The studio's own routes (operators only, this site's pages only): the live room — status,
//! alerts, the broadcast's timeline, the viewer count and what is on screen with its counts —
//! and the channel as a broadcaster needs it. Publishing, closing a poll and the stream key go
//! through the operator routes every operator tool uses (`overlays.rs`, `stream_key.rs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{no_store, Answer, AppError};
use super::extract::Operator;
use crate::clock::now_ms;
use crate::overlays::Venue;
use crate::show::ShowFailure;
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

fn show_refused(e: ShowFailure) -> AppError {
    match e {
        ShowFailure::Invalid(e) => AppError::new(StatusCode::BAD_REQUEST, e.to_string()),
        ShowFailure::NoSuchItem(_) | ShowFailure::NoSuchKey(_) => AppError::new(StatusCode::NOT_FOUND, e.to_string()),
        ShowFailure::Publish(e) => super::overlays::refused(e),
        ShowFailure::Store(e) => {
            tracing::error!("run of show: {e}");
            AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the run of show cannot be read or kept right now")
        }
    }
}

/// `GET /api/studio/show`: the run of show.
pub async fn show(State(app): State<App>, _: Operator) -> Answer {
    let show = app.show.get().await.map_err(|e| show_refused(e.into()))?;
    Ok(no_store(Json(show)))
}

/// `PUT /api/studio/show`: the run of show replaced, every overlay checked as publishing checks it.
pub async fn replace_show(State(app): State<App>, _: Operator, body: Bytes) -> Answer {
    let show = serde_json::from_slice(&body).map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("not a run of show: {e}")))?;
    let show = app.show.replace(show).await.map_err(show_refused)?;
    Ok(no_store(Json(show)))
}

/// `POST /api/studio/show/{id}/send`: one overlay of the run of show, now.
pub async fn send(State(app): State<App>, _: Operator, Path(id): Path<String>) -> Answer {
    let answer = app.show.send(&id).await.map_err(show_refused)?;
    Ok(no_store(Json(answer)))
}

/// `POST /api/studio/show/keys/{key}`: the overlay waiting for the key the producer pressed.
pub async fn press(State(app): State<App>, _: Operator, Path(key): Path<String>) -> Answer {
    let answer = app.show.press(&key).await.map_err(show_refused)?;
    Ok(no_store(Json(answer)))
}
