//! Viewer analytics: the viewer's reports in (`POST /api/analytics`, as `navigator.sendBeacon`
//! sends them), and the studio's charts out (operators only).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ivs_proto::analytics::{Report, OFFLINE};
use serde::Serialize;

use super::error::{no_store, Answer, AppError};
use super::extract::{KnownPerson, Operator, SameSite, ToReport};
use crate::clock::now_ms;
use crate::store::StoreError;
use crate::App;

/// `POST /api/analytics`: one report from a viewer's page, from this site's pages (or an embed
/// origin's), with the person's cookie — that is all the server knows of who sent it, and it
/// keeps none of it: the report goes into the minute's sums. `204` once added.
pub async fn report(State(app): State<App>, _: SameSite, KnownPerson(person, _): KnownPerson<ToReport>, body: Bytes) -> Answer {
    if !app.config.analytics.enabled {
        return Err(AppError::new(StatusCode::NOT_FOUND, "viewer analytics are off on this site"));
    }
    app.limits.report(&person.user_id).map_err(|wait| AppError::too_many(wait, "reports"))?;
    let report = Report::parse(&body).map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    app.analytics.take(&report, app.status.live_stream_id().as_deref(), now_ms());
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn unavailable(e: StoreError) -> AppError {
    tracing::error!("analytics: {e}");
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the analytics cannot be read right now")
}

/// What the studio's analytics start from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Overview {
    /// The broadcast live now, if one is.
    live: Option<String>,
    /// Every broadcast with analytics (30 days), the latest first.
    broadcasts: Vec<ivs_proto::analytics::Broadcast>,
}

/// `GET /api/studio/analytics`: the broadcasts with analytics.
pub async fn broadcasts(State(app): State<App>, _: Operator) -> Answer {
    let broadcasts = app.analytics.broadcasts().await.map_err(unavailable)?;
    Ok(no_store(Json(Overview { live: app.status.live_stream_id(), broadcasts })))
}

/// A broadcast's id as it may be asked for: IVS's stream ids, or [`OFFLINE`].
fn checked(broadcast: &str) -> Result<&str, AppError> {
    let plausible = broadcast == OFFLINE || (broadcast.len() <= 64 && broadcast.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if plausible && !broadcast.is_empty() {
        Ok(broadcast)
    } else {
        Err(AppError::new(StatusCode::NOT_FOUND, "no such broadcast"))
    }
}

/// `GET /api/studio/analytics/{broadcast}`: its minutes.
pub async fn series(State(app): State<App>, _: Operator, Path(broadcast): Path<String>) -> Answer {
    let series = app.analytics.series(checked(&broadcast)?).await.map_err(unavailable)?;
    Ok(no_store(Json(series)))
}

/// `GET /api/studio/analytics/{broadcast}/csv`: its minutes as a CSV file to download.
pub async fn csv(State(app): State<App>, _: Operator, Path(broadcast): Path<String>) -> Answer {
    let series = app.analytics.series(checked(&broadcast)?).await.map_err(unavailable)?;
    let disposition = format!("attachment; filename=\"analytics-{}.csv\"", series.broadcast);
    Ok(no_store(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], series.to_csv())))
}
