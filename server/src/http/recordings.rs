//! The channel's past broadcasts for viewers: `GET /api/recordings` (newest first, paged with
//! `?before=<a page's next>&limit=n`) and `GET /api/recordings/{id}` — each with its state, times,
//! and once it has ended the URLs it replays from.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ivs_proto::site::ErrorCode;

use super::error::{Answer, AppError};
use crate::recordings::{Recordings, MAX_PAGE};
use crate::App;

/// A list changes as broadcasts end: caches may keep it a few seconds, no more.
const CACHE: &str = "public, max-age=5";

fn library(app: &App) -> Result<&Recordings, AppError> {
    Some(&app.recordings)
        .filter(|r| r.enabled())
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "this site keeps no recordings").with_code(ErrorCode::NoRecordings))
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    tracing::error!("recordings: {e}");
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the recordings cannot be read right now; try again in a moment")
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    before: Option<i64>,
    limit: Option<usize>,
}

/// A page of recordings, newest first.
pub async fn list(State(app): State<App>, query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>) -> Answer {
    let Query(query) = query.map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "\"before\" and \"limit\" are whole numbers"))?;
    let page = library(&app)?.page(query.before, query.limit.unwrap_or(20).min(MAX_PAGE)).await.map_err(unavailable)?;
    Ok(([(header::CACHE_CONTROL, CACHE)], Json(page)).into_response())
}

/// The recording so far of the broadcast recording now, as a finished playlist (`master.m3u8`,
/// `{n}.m3u8`), to rewind into: short-lived, as it grows.
pub async fn rewind(State(app): State<App>, Path((id, file)): Path<(String, String)>) -> Answer {
    library(&app)?;
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::new(StatusCode::NOT_FOUND, "no such recording"));
    }
    let text = crate::clips::rewind_playlist(&app.recordings, &id, &file).await.map_err(|e| {
        tracing::warn!("rewind {id}: {e}");
        AppError::new(StatusCode::BAD_GATEWAY, "the broadcast so far cannot be read right now")
    })?;
    let text = text.ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "this broadcast is not being recorded now").with_code(ErrorCode::NotRecorded))?;
    Ok(([(header::CONTENT_TYPE, "application/vnd.apple.mpegurl"), (header::CACHE_CONTROL, "public, max-age=2")], text).into_response())
}

/// One recording.
pub async fn one(State(app): State<App>, Path(id): Path<String>) -> Answer {
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::new(StatusCode::NOT_FOUND, "no such recording"));
    }
    let recording = library(&app)?.get(&id).await.map_err(unavailable)?.ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "no such recording"))?;
    Ok(([(header::CACHE_CONTROL, CACHE)], Json(recording)).into_response())
}
