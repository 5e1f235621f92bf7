//! The site's stage for viewers: a participant token for the person in the cookie
//! (`POST /api/stage/token`: SUBSCRIBE, and PUBLISH for the site's hosts), and the line-up
//! (`GET /api/stage`: who publishes now).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ivs_proto::site::ErrorCode;
use ivs_proto::stage::StageToken;

use super::error::{no_store, Answer, AppError};
use super::extract::{ClientAddress, KnownPerson, SameSite, ToChat};
use crate::stage::Stage;
use crate::App;

fn stage(app: &App) -> Result<&Stage, AppError> {
    app.stage.as_ref().ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "this site has no stage").with_code(ErrorCode::NoStage))
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!("{what}: {e}");
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the stage is unavailable right now; try again in a moment")
}

/// A participant token for the person in the cookie, with the line-up.
pub async fn token(State(app): State<App>, _: SameSite, KnownPerson(person, _): KnownPerson<ToChat>, ClientAddress(address): ClientAddress) -> Answer {
    let stage = stage(&app)?;
    app.limits.token(Some(&person.user_id), address).map_err(|wait| AppError::too_many(wait, "stage tokens"))?;
    let (issued, capabilities) = stage.token(&person).await.map_err(|e| unavailable("CreateParticipantToken", e))?;
    let lineup = stage.lineup().await.map_err(|e| unavailable("the stage's line-up", e))?;
    Ok(no_store(Json(StageToken { token: issued.token, participant_id: issued.participant_id, capabilities, expiration_time: issued.expiration_time, lineup })))
}

/// Who publishes on the stage now.
pub async fn lineup(State(app): State<App>) -> Answer {
    let lineup = stage(&app)?.lineup().await.map_err(|e| unavailable("the stage's line-up", e))?;
    Ok(no_store(Json(lineup)))
}
