//! The site's own backend, as a deployment serves it beside the viewer: the built app, with this
//! deployment's configuration inlined into the page (saving the viewer a request before it can
//! start playback), and the same configuration as `config.json`; and the endpoints a site's
//! backend gives its viewers: `POST /api/chat/token` (a chat token for the viewer in the cookie,
//! with the capabilities the server grants) and `GET /sign-in` (an operator signs in as a user).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::chat::{Capability, DEFAULT_ROOM_ARN};
use crate::identity::{self, Identity};
use crate::AppState;

#[derive(Clone)]
struct Site {
    app: AppState,
    index: Arc<PathBuf>,
}

/// The routes of the site: the page, `config.json`, then the built viewer in `site_dir`.
pub fn router(app: AppState, site_dir: PathBuf) -> Router {
    let site = Site { app, index: Arc::new(site_dir.join("index.html")) };
    let page: MethodRouter = get(index).with_state(site.clone());
    let files = ServeDir::new(&site_dir).append_index_html_on_directories(false).fallback(page);
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/config.json", get(config))
        .route("/api/chat/token", post(chat_token))
        .route("/api/state", get(overlay_state))
        .route("/api/playback-token", post(playback_token))
        .route("/api/polls/{id}/vote", post(vote))
        .route("/sign-in", get(sign_in))
        .with_state(site)
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

fn viewer_config(app: &AppState) -> serde_json::Value {
    let mut config = json!({
        "playbackUrl": app.playback_url,
        "chatEndpoint": app.chat_url,
        "chatTokenUrl": "/api/chat/token",
        "stateUrl": "/api/state",
        "votesUrl": "/api/polls",
        "embedOrigins": app.embed_origins,
    });
    if app.private.is_some() {
        config["playbackTokenUrl"] = "/api/playback-token".into();
    }
    config
}

/// A playback token for the private channel, bound to this site's origin. (A real backend
/// decides here whether this viewer may watch.)
async fn playback_token(State(site): State<Site>, headers: HeaderMap) -> Response {
    let Some(private) = &site.app.private else {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "the channel is not private" }))).into_response();
    };
    if !private.subscribers.is_empty() {
        let user = known_viewer(&site.app.identity, &headers);
        if !user.is_some_and(|u| private.subscribers.contains(&u)) {
            return (StatusCode::FORBIDDEN, Json(json!({ "error": "this stream is for subscribers" }))).into_response();
        }
    }
    let (token, exp) = private.keys.issue(&site.app.channel_arn, Some(&private.site_origin), private.ttl_secs);
    ([(header::CACHE_CONTROL, "no-store")], Json(json!({ "token": token, "expiresAt": exp }))).into_response()
}

async fn config(State(site): State<Site>) -> impl IntoResponse {
    Json(viewer_config(&site.app))
}

async fn index(State(site): State<Site>) -> Response {
    match tokio::fs::read_to_string(site.index.as_ref()).await {
        Ok(page) => Html(inline_config(&page, &viewer_config(&site.app))).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", site.index.display())).into_response(),
    }
}

/// The viewer in the request's cookie, or a new one (and the cookie to remember it by).
fn viewer(identity: &Identity, headers: &HeaderMap) -> (String, Option<String>) {
    match known_viewer(identity, headers) {
        Some(user_id) => (user_id, None),
        None => {
            let user_id = Identity::new_viewer();
            let cookie = identity_cookie(identity, &user_id);
            (user_id, Some(cookie))
        }
    }
}

fn identity_cookie(identity: &Identity, user_id: &str) -> String {
    format!("{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000", identity::COOKIE, identity.sign(user_id))
}

/// A chat token for this viewer. The server decides the user id, the display name and the
/// capabilities; the request carries nothing but the cookie.
async fn chat_token(State(site): State<Site>, headers: HeaderMap) -> Response {
    let identity = &site.app.identity;
    let (user_id, new_cookie) = viewer(identity, &headers);
    let moderator = identity.is_moderator(&user_id);
    let display_name = identity.display_name(&user_id);
    let mut capabilities = vec![Capability::SendMessage];
    let mut attributes = ivs_proto::chat::Attributes::from([("displayName".to_owned(), display_name.clone())]);
    if moderator {
        capabilities.extend([Capability::DeleteMessage, Capability::DisconnectUser]);
        attributes.insert("badge".into(), "moderator".into());
    }
    let issued = match site.app.chat.create_token(DEFAULT_ROOM_ARN, user_id.clone(), attributes, capabilities.clone(), 60) {
        Ok(issued) => issued,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("chat is unavailable: {e:?}")).into_response(),
    };
    let max_length = site.app.chat.get_room(DEFAULT_ROOM_ARN).map(|r| r.settings.maximum_message_length).unwrap_or(500);
    let body = Json(json!({
        "maximumMessageLength": max_length,
        "token": issued.token,
        "tokenExpirationTime": issued.token_expiration_time,
        "sessionExpirationTime": issued.session_expiration_time,
        "userId": user_id,
        "displayName": display_name,
        "capabilities": capabilities,
    }));
    let mut response = ([(header::CACHE_CONTROL, "no-store")], body).into_response();
    if let Some(cookie) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// What is on screen now (the current poll with its tallies, the product), for a viewer who
/// arrives after the cues went by.
async fn overlay_state(State(site): State<Site>, headers: HeaderMap) -> Response {
    let user = known_viewer(&site.app.identity, &headers);
    let mut state = site.app.polls.state(user.as_deref());
    state.stream = Some(crate::status::current(&site.app));
    ([(header::CACHE_CONTROL, "no-store")], Json(state)).into_response()
}

/// The viewer in the request's cookie, if this server signed it.
fn known_viewer(identity: &Identity, headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| identity::cookie(v, identity::COOKIE))
        .and_then(|c| identity.verify(c))
}

#[derive(serde::Deserialize)]
struct VoteInput {
    option: usize,
}

/// One vote per viewer (by the server's identity cookie) per poll, while it is open. Answers
/// once the vote is stored.
async fn vote(State(site): State<Site>, Path(poll): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    use crate::polls::VoteOutcome;
    use ivs_proto::tally::VoteError;
    let Ok(input) = serde_json::from_slice::<VoteInput>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "send {\"option\": n}" }))).into_response();
    };
    let (user, new_cookie) = viewer(&site.app.identity, &headers);
    let mut response = match site.app.polls.vote(&poll, &user, input.option).await {
        Ok(counts) => Json(json!({ "counts": counts, "myVote": input.option })).into_response(),
        Err(VoteOutcome::Refused(e)) => {
            let status = match e {
                VoteError::AlreadyVoted { .. } => StatusCode::CONFLICT,
                VoteError::Closed => StatusCode::GONE,
                VoteError::NoSuchPoll => StatusCode::NOT_FOUND,
                VoteError::NoSuchOption => StatusCode::BAD_REQUEST,
            };
            let my_vote = match e {
                VoteError::AlreadyVoted { option } => Some(option),
                _ => None,
            };
            (status, Json(json!({ "error": e.to_string(), "myVote": my_vote }))).into_response()
        }
        Err(VoteOutcome::NotStored(e)) => {
            tracing::error!("a vote was not stored: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "your vote could not be saved; try again" }))).into_response()
        }
    };
    if let Some(cookie) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(serde::Deserialize)]
struct SignIn {
    user: String,
    key: String,
}

/// Signs the browser in as `user` when `key` is this server's sign-in key (printed at start).
async fn sign_in(State(site): State<Site>, Query(query): Query<SignIn>) -> Response {
    let identity = &site.app.identity;
    if query.key != identity.sign_in_key() {
        return (StatusCode::FORBIDDEN, "wrong sign-in key").into_response();
    }
    if !identity::valid_user_id(&query.user) {
        return (StatusCode::BAD_REQUEST, "user must be 1 to 64 of A-Z a-z 0-9 - _").into_response();
    }
    let cookie = identity_cookie(identity, &query.user);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// Puts `config` into `page` as `<script type="application/json" id="ivs-viewer-config">`, first
/// in the head, so the page's start-up script can read it.
fn inline_config(page: &str, config: &serde_json::Value) -> String {
    // "</" cannot end the script element early once escaped; JSON reads "<\/" as "</".
    let json = config.to_string().replace("</", "<\\/");
    let tag = format!(r#"<script type="application/json" id="ivs-viewer-config">{json}</script>"#);
    match page.find("<head>") {
        Some(at) => format!("{}\n{tag}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{tag}\n{page}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_goes_into_the_head_and_cannot_close_the_script() {
        let page = "<html><head><title>x</title></head><body></body></html>";
        let out = inline_config(page, &json!({ "playbackUrl": "http://h/</script><script>alert(1)</script>" }));
        assert!(out.starts_with("<html><head>\n<script type=\"application/json\" id=\"ivs-viewer-config\">"), "{out}");
        assert_eq!(out.matches("</script>").count(), 1, "only the tag's own end: {out}");
        let json = out.split("ivs-viewer-config\">").nth(1).unwrap().split("</script>").next().unwrap();
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["playbackUrl"], "http://h/</script><script>alert(1)</script>");
    }
}
