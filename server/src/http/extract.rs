//! The checks that protected routes share, as extractors: a handler's signature says what it
//! requires, and a request that fails one is refused before the handler runs.
//!
//! - [`SameSite`]: the request comes from this site's own pages (or from no browser at all);
//! - [`Operator`]: an operator key in `Authorization: Bearer`, or a person with the operator role
//!   on this site's page, within the operator rate;
//! - [`KnownPerson`]: the request carries a person (the signed cookie, or the site's JWT);
//! - [`ClientAddress`]: where it comes from (the peer, or a trusted proxy's hop);
//! - [`shared_secret`]: a machine caller's secret header (a plain check: the routes read their body).

use ivs_proto::site::ErrorCode;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

use super::error::AppError;
use crate::guard::{client_address, constant_time_eq, same_site};
use crate::identity::Person;
use crate::App;

/// The request comes from this site's own pages, or from a page in `embed_origins`.
pub struct SameSite;

impl FromRequestParts<App> for SameSite {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        // This site's pages, and the pages allowed to embed the viewer (`<ivs-viewer site>`).
        if same_site(&parts.headers, &app.config.public_origin) || super::cors::embed_origin(app, &parts.headers).is_some() {
            Ok(Self)
        } else {
            Err(AppError::new(StatusCode::FORBIDDEN, "requests from other sites are refused").with_code(ErrorCode::OtherSite))
        }
    }
}

/// An operator's call: the key in `Authorization: Bearer` (never in the address), or a person
/// signed in with the operator role on this site's own page (the studio); within the operator
/// rate. A key that is wrong is 401; anyone else is 403.
pub struct Operator;

impl FromRequestParts<App> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let key = bearer.filter(|key| app.operator_keys.iter().any(|k| constant_time_eq(k, key)));
        let who = match key {
            Some(key) => {
                let key = key.to_owned();
                if parts.headers.contains_key(header::ORIGIN) {
                    SameSite::from_request_parts(parts, app).await?;
                }
                key
            }
            None => match app.identity.person(&parts.headers).filter(|p| p.operator) {
                // Only this site's pages: not an embedding page, whoever it is.
                Some(person) if same_site(&parts.headers, &app.config.public_origin) => format!("person:{}", person.user_id),
                Some(_) => return Err(AppError::new(StatusCode::FORBIDDEN, "requests from other sites are refused").with_code(ErrorCode::OtherSite)),
                None if bearer.is_some() => return Err(AppError::new(StatusCode::UNAUTHORIZED, "this needs an operator key (Authorization: Bearer KEY)")),
                None => {
                    return Err(AppError::new(
                        StatusCode::FORBIDDEN,
                        "this is for the site's operators: sign in as one (a one-time link from `ivs-site sign-in-link`), or send an operator key",
                    ))
                }
            },
        };
        app.limits.operator(&who).map_err(|wait| AppError::too_many(wait, "operator calls"))?;
        Ok(Self)
    }
}

/// What a person is about to do, for the sentence that asks them to reload the page.
pub trait Purpose {
    /// "chat", "vote".
    const VERB: &'static str;
}

/// To chat.
pub struct ToChat;
impl Purpose for ToChat {
    const VERB: &'static str = "chat";
}

/// To vote.
pub struct ToVote;
impl Purpose for ToVote {
    const VERB: &'static str = "vote";
}

/// To make a clip.
pub struct ToClip;
impl Purpose for ToClip {
    const VERB: &'static str = "make a clip";
}

/// To report how playback goes (viewer analytics).
pub struct ToReport;
impl Purpose for ToReport {
    const VERB: &'static str = "send playback reports";
}

/// The person in the request, who wants to do `P`; without one, `401` and what to do.
pub struct KnownPerson<P>(pub Person, pub PhantomData<P>);

impl<P: Purpose> FromRequestParts<App> for KnownPerson<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        match app.identity.person(&parts.headers) {
            Some(person) => Ok(Self(person, PhantomData)),
            None => Err(AppError::new(StatusCode::UNAUTHORIZED, format!("reload the page to {}", P::VERB))),
        }
    }
}

/// The client's address: the connection's peer, or — only when the configuration trusts a
/// proxy in front — the last hop that proxy appended.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<App> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        // The server is always run with its peers' addresses (`into_make_service_with_connect_info`).
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied() else {
            return Err(AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "the server does not know where requests come from"));
        };
        Ok(Self(client_address(&parts.headers, peer, app.config.identity.trust_proxy)))
    }
}

/// A machine caller's shared secret (EventBridge's, the review handler's) in `header`: `off`
/// (404) when none is configured — the route is off — and 401 when it is missing or wrong.
pub fn shared_secret(expected: Option<&str>, headers: &axum::http::HeaderMap, header: &str, off: &'static str) -> Result<(), AppError> {
    let expected = expected.ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, off))?;
    let given = headers.get(header).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !constant_time_eq(expected, given) {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, format!("the {header} header is missing or wrong")));
    }
    Ok(())
}
