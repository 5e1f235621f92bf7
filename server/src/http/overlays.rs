//! Overlays over HTTP: what is on screen now (for a viewer who arrives late), a viewer's vote,
//! and a producer's publishing (operator key).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ivs_proto::site::ErrorCode;
use ivs_proto::site::{PollResult, VoteAnswer, VoteRequest};
use ivs_proto::tally::VoteError;

use super::error::{no_store, Answer, AppError};
use super::extract::{KnownPerson, Operator, SameSite, ToVote};
use crate::overlays::{PublishError, Venue};
use crate::store::Vote;
use crate::App;

/// `?on=channel` (the default) or `?on=stage`.
#[derive(serde::Deserialize)]
pub struct On {
    #[serde(default)]
    on: Venue,
}

/// The `on` query parameter, refused in words when it is neither `channel` nor `stage`.
fn venue(query: Result<Query<On>, axum::extract::rejection::QueryRejection>) -> Result<Venue, AppError> {
    query.map(|Query(q)| q.on).map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "\"on\" is \"channel\" or \"stage\""))
}

/// What is on screen now, for a viewer who arrives after the cues went by (`?on=stage`: on the
/// stage).
pub async fn state(State(app): State<App>, headers: HeaderMap, query: Result<Query<On>, axum::extract::rejection::QueryRejection>) -> Answer {
    let venue = venue(query)?;
    let person = app.identity.person(&headers);
    let broadcast = match venue {
        Venue::Channel => app.status.stream_id(),
        Venue::Stage => match &app.stage {
            Some(stage) => stage.lineup().await.ok().and_then(|l| l.session_id),
            None => return Err(AppError::new(StatusCode::NOT_FOUND, "this site has no stage").with_code(ErrorCode::NoStage)),
        },
    };
    let mut state = app.overlays.state(venue, broadcast.as_deref(), person.as_ref().map(|p| p.user_id.as_str())).await.map_err(|e| {
        tracing::error!("state: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "what is on screen cannot be read right now")
    })?;
    state.stream = Some(app.status.current());
    Ok(no_store(Json(state)))
}

/// A poll's counts and whether it closed (a replay shows a past poll's result).
pub async fn result(State(app): State<App>, Path(poll): Path<String>) -> Answer {
    let unknown = || AppError::new(StatusCode::NOT_FOUND, VoteError::NoSuchPoll.to_string()).with_code(ErrorCode::NoSuchPoll);
    if poll.is_empty() || poll.len() > 64 {
        return Err(unknown());
    }
    let unavailable = |e: crate::store::StoreError| {
        tracing::error!("poll result: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "the poll's result cannot be read right now")
    };
    let (counts, closed, final_counts) = app.overlays.result(&poll).await.map_err(unavailable)?.ok_or_else(unknown)?;
    // Final counts no longer change.
    let cache = if final_counts { "public, max-age=3600" } else { "no-store" };
    Ok(([(axum::http::header::CACHE_CONTROL, cache)], Json(PollResult { counts, closed })).into_response())
}

/// One vote per person per poll, while it is open; answered once the vote is stored.
pub async fn vote(State(app): State<App>, _: SameSite, KnownPerson(person, _): KnownPerson<ToVote>, Path(poll): Path<String>, body: Bytes) -> Answer {
    let request =
        serde_json::from_slice::<VoteRequest>(&body).map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "send {\"option\": n} with the option's number"))?;
    if poll.is_empty() || poll.len() > 64 {
        return Err(AppError::new(StatusCode::NOT_FOUND, VoteError::NoSuchPoll.to_string()).with_code(ErrorCode::NoSuchPoll));
    }
    let vote = app.overlays.vote(&poll, &person.user_id, person.signed_in, request.option).await.map_err(|e| {
        tracing::error!("a vote was not stored: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "your vote could not be saved; try again")
    })?;
    let response = match vote {
        Vote::Counted(counts) => {
            app.analytics.vote(app.status.live_stream_id().as_deref(), crate::clock::now_ms());
            Json(VoteAnswer { counts, my_vote: Some(request.option), error: None, code: None }).into_response()
        }
        Vote::Refused(refusal) => {
            let (status, my_vote) = match refusal {
                VoteError::AlreadyVoted { option } => (StatusCode::CONFLICT, Some(option)),
                VoteError::Closed => (StatusCode::GONE, None),
                VoteError::NoSuchPoll => (StatusCode::NOT_FOUND, None),
                VoteError::NoSuchOption => (StatusCode::BAD_REQUEST, None),
                VoteError::SignInRequired => (StatusCode::FORBIDDEN, None),
            };
            let code = Some(ErrorCode::for_vote(&refusal).as_str().to_owned());
            (status, Json(VoteAnswer { counts: Vec::new(), my_vote, error: Some(refusal.to_string()), code })).into_response()
        }
    };
    Ok(no_store(response))
}

/// Publishes an overlay (operator key) on the channel, or with `?on=stage` on the stage.
pub async fn publish(State(app): State<App>, _: Operator, query: Result<Query<On>, axum::extract::rejection::QueryRejection>, body: Bytes) -> Answer {
    let venue = venue(query)?;
    let overlay =
        serde_json::from_slice::<serde_json::Value>(&body).map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "send the overlay as a JSON object"))?;
    let answer = app.overlays.publish(overlay, venue).await.map_err(refused)?;
    Ok(no_store(Json(answer)))
}

/// Why an overlay was not published, as an answer.
pub fn refused(e: PublishError) -> AppError {
    let status = match e {
        PublishError::Invalid(_) | PublishError::TooLongForStage => StatusCode::BAD_REQUEST,
        PublishError::NoStage => StatusCode::NOT_FOUND,
        PublishError::Offline | PublishError::StageIdle => StatusCode::CONFLICT,
        PublishError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        PublishError::Aws(_) => StatusCode::BAD_GATEWAY,
        PublishError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    tracing::warn!("publish: {e}");
    AppError::new(status, e.to_string())
}
