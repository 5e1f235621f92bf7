//! The playback origin: the live playlist and its segments, as an IVS playback URL serves them
//! (cross-origin, so the viewer is exercised exactly as against real IVS).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::cors::CorsLayer;

use crate::AppState;

/// The playlist's file name, shaped like an IVS playback URL's.
pub const PLAYLIST: &str = "us-east-1.000000000000.channel.local.m3u8";
const SEGMENT_DIR: &str = "seg";

/// The routes of the playback origin.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/video/v1/{file}", get(playlist))
        .route("/api/video/v1/seg/{file}", get(segment))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

async fn playlist(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, Path(file): Path<String>) -> Response {
    tracing::debug!(%peer, %file, "playlist request");
    if file != PLAYLIST {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    }
    match state.channel.playlist(&peer.to_string(), &format!("{SEGMENT_DIR}/")) {
        Some(m3u8) => (
            [(header::CONTENT_TYPE, "application/vnd.apple.mpegurl"), (header::CACHE_CONTROL, "no-cache, no-store")],
            m3u8,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "channel is offline").into_response(),
    }
}

async fn segment(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    tracing::debug!(%file, "segment request");
    let sequence = file.strip_suffix(".ts").and_then(|s| s.parse::<u64>().ok());
    match sequence.and_then(|s| state.channel.segment(s)) {
        Some(data) => ([(header::CONTENT_TYPE, "video/mp2t"), (header::CACHE_CONTROL, "max-age=60")], data).into_response(),
        None => (StatusCode::NOT_FOUND, "no such segment").into_response(),
    }
}
