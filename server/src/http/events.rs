//! IVS's EventBridge events, from an API destination that sends the events secret.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::error::{no_store, Answer, AppError};
use super::extract::shared_secret;
use crate::status::{Intake, IntakeError};
use crate::App;

/// The header EventBridge's API destination sends the events secret in.
pub const EVENTS_SECRET_HEADER: &str = "x-ivs-events-secret";

pub async fn intake(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Answer {
    shared_secret(app.config.events.secret.as_deref(), &headers, EVENTS_SECRET_HEADER, "event intake is off (no events.secret configured)")?;
    if let Some(resources) = stage_update(&body) {
        let taken = match &app.stage {
            Some(stage) => stage.intake(&resources).await,
            None => false,
        };
        let answer = if taken { serde_json::json!({ "taken": true }) } else { serde_json::json!({ "taken": false, "reason": "ignored: another stage's" }) };
        return Ok(no_store(Json(answer)));
    }
    // A recording's event is a fact of the site's library too (taking it twice changes nothing).
    if let Err(e) = app.recordings.take(&body).await {
        return Err(AppError::new(StatusCode::SERVICE_UNAVAILABLE, format!("the event could not be stored: {e}")));
    }
    // After a broadcast, its stream key may be replaced (not holding up EventBridge's answer).
    {
        let (keys, body) = (app.stream_keys.clone(), body.clone());
        tokio::spawn(async move { keys.after_event(&body).await });
    }
    let answer = match app.status.intake(&body).await {
        Ok(Intake::Taken) => serde_json::json!({ "taken": true }),
        Ok(Intake::Duplicate) => serde_json::json!({ "taken": false, "reason": "already taken" }),
        Ok(Intake::Ignored(why)) => serde_json::json!({ "taken": false, "reason": format!("ignored: {why}") }),
        Err(IntakeError::Bad(e)) => return Err(AppError::new(StatusCode::BAD_REQUEST, e.to_string())),
        // EventBridge retries on 5xx: nothing is lost.
        Err(IntakeError::Store(e)) => return Err(AppError::new(StatusCode::SERVICE_UNAVAILABLE, format!("the event could not be stored: {e}"))),
    };
    Ok(no_store(Json(answer)))
}

/// The resources of an `IVS Stage Update`; `None` for any other event.
fn stage_update(body: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(rename = "detail-type")]
        detail_type: String,
        #[serde(default)]
        resources: Vec<String>,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    (envelope.detail_type == "IVS Stage Update").then_some(envelope.resources)
}
