//! Clips over HTTP: `POST /api/clips` makes one (this site's pages, a known person, a few an
//! hour), `GET /api/clips/{id}` tells of it, and `GET /api/clips/{id}/master.m3u8` and
//! `/{n}.m3u8` are its playlists — immutable once made.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ivs_proto::clips::ClipRequest;
use ivs_proto::site::ErrorCode;

use super::error::{no_store, Answer, AppError};
use super::extract::{KnownPerson, SameSite, ToClip};
use crate::clips::{answer, ClipRecord, MakeError};
use crate::App;

/// Makes a clip for the person asking.
pub async fn make(State(app): State<App>, _: SameSite, KnownPerson(person, _): KnownPerson<ToClip>, body: Bytes) -> Answer {
    if !app.recordings.enabled() {
        return Err(AppError::new(StatusCode::NOT_FOUND, "this site keeps no recordings to clip").with_code(ErrorCode::NoRecordings));
    }
    let request: ClipRequest = serde_json::from_slice(&body)
        .map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "send {\"recordingId\", \"fromSecs\", \"toSecs\"}, or {} for the last 30 seconds live"))?;
    app.limits.clip(&person.user_id).map_err(|wait| AppError::too_many(wait, "clips"))?;
    let made = app.clips.make(&request, &person.user_id).await.map_err(|e| {
        let status = match &e {
            MakeError::Clip(ivs_proto::clips::ClipError::Range) => StatusCode::BAD_REQUEST,
            MakeError::NoRecording => StatusCode::NOT_FOUND,
            MakeError::NotRecording | MakeError::Unusable(_) | MakeError::Clip(_) => StatusCode::CONFLICT,
            MakeError::Fetch(_) => StatusCode::BAD_GATEWAY,
            MakeError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        tracing::warn!("clip: {e}");
        AppError::new(status, e.to_string())
    })?;
    Ok(no_store(Json(made)))
}

async fn clip(app: &App, id: &str) -> Result<ClipRecord, AppError> {
    app.clips
        .get(id)
        .await
        .map_err(|e| {
            tracing::error!("clip {id}: {e}");
            AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the clip cannot be read right now")
        })?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "no such clip"))
}

/// What a clip is: its page, its playlist, its length.
pub async fn one(State(app): State<App>, Path(id): Path<String>) -> Answer {
    let record = clip(&app, &id).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=3600")], Json(answer(&record))).into_response())
}

/// A clip's playlist: `master.m3u8`, or rendition `{n}.m3u8`.
pub async fn playlist(State(app): State<App>, Path((id, file)): Path<(String, String)>) -> Answer {
    let record = clip(&app, &id).await?;
    let text = match file.as_str() {
        "master.m3u8" => record.master,
        other => other
            .strip_suffix(".m3u8")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| record.renditions.into_iter().nth(n))
            .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "no such playlist"))?,
    };
    Ok(([(header::CONTENT_TYPE, "application/vnd.apple.mpegurl"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], text).into_response())
}
