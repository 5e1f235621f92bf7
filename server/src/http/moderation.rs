//! The chat's rules over HTTP: the room's message review handler asks about each message
//! (`POST /api/chat/review`, with the review secret — IVS's own event in, IVS's own answer out), and
//! the studio's chat desk reads and sets the rules (`/api/studio/chat`, operators only).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use ivs_proto::moderation::{ChatRules, ReviewRequest};

use super::error::{no_store, Answer, AppError};
use super::extract::{shared_secret, Operator};
use crate::clock::now_ms;
use crate::moderation::RulesFailure;
use crate::App;

/// The header the review handler sends the review secret in.
pub const REVIEW_SECRET_HEADER: &str = "x-ivs-review-secret";

/// `POST /api/chat/review`: ALLOW or DENY one message. A failure answers 503, so the handler
/// falls back to the room's `fallbackResult`.
pub async fn review(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Answer {
    shared_secret(app.config.chat.review_secret.as_deref(), &headers, REVIEW_SECRET_HEADER, "message review is off (no chat.review_secret configured)")?;
    let request: ReviewRequest =
        serde_json::from_slice(&body).map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("not a message review request: {e}")))?;
    let answer = app.moderation.review(&request, now_ms()).await.map_err(|e| {
        tracing::error!("message review: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the chat rules cannot be read right now")
    })?;
    Ok(no_store(Json(answer)))
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    tracing::error!("chat desk: {e}");
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the chat rules cannot be read or kept right now")
}

/// `GET /api/studio/chat`: the rules, whether they apply, what they held back.
pub async fn desk(State(app): State<App>, _: Operator) -> Answer {
    Ok(no_store(Json(app.moderation.desk().await.map_err(unavailable)?)))
}

/// `PUT /api/studio/chat`: new rules (a word list, slow mode); the desk as it is now.
pub async fn set_rules(State(app): State<App>, _: Operator, body: Bytes) -> Answer {
    let rules: ChatRules = serde_json::from_slice(&body).map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("not chat rules: {e}")))?;
    app.moderation.set_rules(rules).await.map_err(|e| match e {
        RulesFailure::Invalid(e) => AppError::new(StatusCode::BAD_REQUEST, e.to_string()),
        RulesFailure::Store(e) => unavailable(e),
    })?;
    Ok(no_store(Json(app.moderation.desk().await.map_err(unavailable)?)))
}
