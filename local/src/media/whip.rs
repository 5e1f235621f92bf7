//! The stages' media endpoint, where a participant token's `whip_url` points: WHIP signalling.
//!
//! - `POST {whip_url}` with an SDP offer, `Authorization: Bearer <token>` (PUBLISH): publish.
//! - `POST {whip_url}/subscribe/{participantId}` with a receive-only offer (SUBSCRIBE): receive
//!   that participant's media.
//! - `DELETE` the `Location` a POST answered with: end that connection (its last one: leave).
//!
//! Every request's token is checked: issued by this local IVS (else 401), not expired (401), for
//! a stage that exists (404), of a participant not disconnected by `DisconnectParticipant` (403),
//! holding the capability asked for (403). Answers are `201 Created`, `application/sdp`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use super::sfu::{Closed, ConnId, OfferError, Peer, Role, Sfu};
use crate::account::Refusal;
use crate::control::participant_tokens::{now_secs, Claims};
use crate::control::stages::Stages;

/// What the WHIP routes share.
#[derive(Clone)]
pub struct Whip {
    pub stages: Stages,
    pub sfu: Sfu,
}

impl Whip {
    pub fn new(stages: Stages, sfu: Sfu) -> Self {
        Self { stages, sfu }
    }
}

/// The routes under the API listener's `/whip`.
pub fn router(whip: Whip) -> Router {
    // Pages on any origin publish and subscribe (the token is the credential).
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([axum::http::Method::POST, axum::http::Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::LOCATION]);
    Router::new()
        .route("/whip", post(publish))
        .route("/whip/subscribe/{participant}", post(subscribe))
        .route("/whip/session/{id}", delete(end))
        .layer(cors)
        .with_state(whip)
}

/// A refused request: its status and why, in words.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.1).into_response()
    }
}

fn refuse(status: StatusCode, message: &str) -> Refused {
    Refused(status, message.to_owned())
}

/// The token's claims, if the request may go on.
fn admit(whip: &Whip, headers: &HeaderMap) -> Result<Claims, Refused> {
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let claims = whip.stages.signer().check(token, now_secs()).map_err(|e| refuse(StatusCode::UNAUTHORIZED, e.describe()))?;
    whip.stages.admits(&claims).map_err(|refusal| match refusal {
        Refusal::NotFound(_) => refuse(StatusCode::NOT_FOUND, "the token's stage does not exist"),
        _ => refuse(StatusCode::FORBIDDEN, "the participant was disconnected from the stage"),
    })?;
    Ok(claims)
}

fn offer(body: &Bytes) -> Result<&str, Refused> {
    std::str::from_utf8(body)
        .ok()
        .filter(|sdp| sdp.starts_with("v=0"))
        .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "the body must be an SDP offer (application/sdp)"))
}

fn answered(whip: &Whip, claims: &Claims, peer: Peer, sdp: &str) -> Result<Response, Refused> {
    match whip.sfu.answer(sdp, peer) {
        Ok((id, answer)) => {
            whip.stages.connected(claims);
            let location = format!("/whip/session/{id}");
            Ok((StatusCode::CREATED, [(header::CONTENT_TYPE, "application/sdp".to_owned()), (header::LOCATION, location)], answer).into_response())
        }
        Err(e @ (OfferError::Sdp(_) | OfferError::Rejected(_))) => Err(refuse(StatusCode::BAD_REQUEST, &e.to_string())),
        Err(e @ OfferError::Stopped) => Err(refuse(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())),
    }
}

async fn publish(State(whip): State<Whip>, headers: HeaderMap, body: Bytes) -> Result<Response, Refused> {
    let claims = admit(&whip, &headers)?;
    if !claims.capabilities.allow_publish {
        whip.stages.failed(&claims.resource, &claims.jti, "PUBLISH_ERROR", "INSUFFICIENT_CAPABILITIES", None);
        return Err(refuse(StatusCode::FORBIDDEN, "the participant token does not allow PUBLISH"));
    }
    if whip.stages.is_publishing(&claims.resource, &claims.jti) {
        return Err(refuse(StatusCode::CONFLICT, "this participant already publishes; DELETE its connection first"));
    }
    if let Err(quota) = whip.stages.publisher_room(&claims.resource) {
        whip.stages.failed(&claims.resource, &claims.jti, "PUBLISH_ERROR", "QUOTA_EXCEEDED", None);
        return Err(refuse(StatusCode::FORBIDDEN, &quota.to_string()));
    }
    let sdp = offer(&body)?;
    let peer = Peer { stage_arn: claims.resource.clone(), participant_id: claims.jti.clone(), role: Role::Publish };
    answered(&whip, &claims, peer, sdp)
}

async fn subscribe(State(whip): State<Whip>, Path(publisher): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, Refused> {
    let claims = admit(&whip, &headers)?;
    if !claims.capabilities.allow_subscribe {
        whip.stages.failed(&claims.resource, &claims.jti, "SUBSCRIBE_ERROR", "INSUFFICIENT_CAPABILITIES", Some(&publisher));
        return Err(refuse(StatusCode::FORBIDDEN, "the participant token does not allow SUBSCRIBE"));
    }
    if !whip.stages.is_publishing(&claims.resource, &publisher) {
        whip.stages.failed(&claims.resource, &claims.jti, "SUBSCRIBE_ERROR", "PUBLISHER_NOT_FOUND", Some(&publisher));
        return Err(refuse(StatusCode::NOT_FOUND, "no participant with this ID publishes on the token's stage"));
    }
    if let Err(quota) = whip.stages.subscriber_room(&claims.resource, &claims.jti) {
        whip.stages.failed(&claims.resource, &claims.jti, "SUBSCRIBE_ERROR", "QUOTA_EXCEEDED", Some(&publisher));
        return Err(refuse(StatusCode::FORBIDDEN, &quota.to_string()));
    }
    if !whip.sfu.download_room(&claims.jti, &publisher) {
        whip.stages.failed(&claims.resource, &claims.jti, "SUBSCRIBE_ERROR", "QUOTA_EXCEEDED", Some(&publisher));
        return Err(refuse(StatusCode::FORBIDDEN, "a subscriber downloads at most 8.5 Mbps from a stage, all publishers together"));
    }
    let sdp = offer(&body)?;
    let peer = Peer { stage_arn: claims.resource.clone(), participant_id: claims.jti.clone(), role: Role::Subscribe(publisher) };
    answered(&whip, &claims, peer, sdp)
}

async fn end(State(whip): State<Whip>, Path(id): Path<ConnId>, headers: HeaderMap) -> Result<Response, Refused> {
    let claims = admit(&whip, &headers)?;
    match whip.sfu.close(id, &claims.jti).await {
        Closed::Closed => Ok(StatusCode::OK.into_response()),
        Closed::NotYours => Err(refuse(StatusCode::FORBIDDEN, "this connection is another participant's")),
        Closed::Unknown => Err(refuse(StatusCode::NOT_FOUND, "no such connection")),
    }
}
