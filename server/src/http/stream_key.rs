//! The channel's stream key for its operators (operator key): `GET /api/stream-key` reads it,
//! `POST /api/stream-key/rotate` replaces it. Never cached, never shown to a viewer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{no_store, Answer, AppError};
use super::extract::Operator;
use crate::ivs::{IvsError, StreamKey};
use crate::App;

fn answer(key: StreamKey) -> Answer {
    Ok(no_store(Json(serde_json::json!({ "arn": key.arn, "value": key.value }))))
}

fn failed(e: IvsError) -> AppError {
    tracing::error!("stream key: {e}");
    AppError::new(StatusCode::BAD_GATEWAY, format!("IVS refused: {e}"))
}

/// The channel's stream key now.
pub async fn read(State(app): State<App>, _: Operator) -> Answer {
    match app.stream_keys.current().await.map_err(failed)? {
        Some(key) => answer(key),
        None => Err(AppError::new(StatusCode::NOT_FOUND, "the channel has no stream key; rotate to make one")),
    }
}

/// Replaces the channel's stream key; answers the new one.
pub async fn rotate(State(app): State<App>, _: Operator) -> Answer {
    answer(app.stream_keys.rotate().await.map_err(failed)?)
}
