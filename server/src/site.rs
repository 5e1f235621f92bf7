//! The site's HTTP face: the built viewer with this deployment's configuration inlined into the
//! page, and the endpoints the viewer, the site's producers and EventBridge call.
//!
//! | route | who calls it |
//! |---|---|
//! | `GET /`, `/embed`, … | browsers: the viewer, configuration inlined |
//! | `GET /config.json` | a viewer served from elsewhere |
//! | `POST /api/chat/token` | the viewer: a chat token for the person in the cookie |
//! | `POST /api/playback-token` | the viewer of a private channel |
//! | `GET /api/state` | a viewer who arrives late: the overlays on screen |
//! | `POST /api/polls/{id}/vote` | the viewer |
//! | `POST /api/overlays` | producers, with an operator key |
//! | `POST /api/events` | EventBridge's API destination, with the events secret |
//! | `GET /sign-in` | an operator signing a browser in as a moderator |

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use ivs_proto::chat_session::ChatToken;
use ivs_proto::site::{ErrorAnswer, PlaybackTokenAnswer, VoteAnswer, VoteRequest};
use ivs_proto::tally::VoteError;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::identity::{self, Person};
use crate::overlays::PublishError;
use crate::status::{Intake, IntakeError};
use crate::store::Vote;
use crate::App;

/// The header EventBridge's API destination sends the events secret in.
pub const EVENTS_SECRET_HEADER: &str = "x-ivs-events-secret";

/// The site's routes; `site_dir` is the built viewer.
pub fn router(app: App, site_dir: PathBuf) -> Router {
    let page: MethodRouter = get(index).with_state(app.clone());
    let files = ServeDir::new(&site_dir).append_index_html_on_directories(false).fallback(page);
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/config.json", get(config))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/chat/token", post(chat_token))
        .route("/api/state", get(overlay_state))
        .route("/api/playback-token", post(playback_token))
        .route("/api/polls/{id}/vote", post(vote))
        .route("/api/overlays", post(publish))
        .route("/api/events", post(events))
        .route("/sign-in", get(sign_in))
        .with_state(app)
        .fallback_service(files)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(ErrorAnswer { error: message.into() })).into_response()
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn config(State(app): State<App>) -> Response {
    Json(app.viewer_config.as_ref().clone()).into_response()
}

async fn index(State(app): State<App>) -> Response {
    match tokio::fs::read_to_string(app.index.as_path()).await {
        Ok(page) => Html(inline_config(&page, &app.viewer_config)).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", app.index.display())),
    }
}

/// The person in the request, or a new anonymous viewer and the cookie to remember them by.
fn person_or_new(app: &App, headers: &HeaderMap) -> (Person, Option<String>) {
    match app.identity.person(headers) {
        Some(person) => (person, None),
        None => {
            let user_id = identity::Identity::new_viewer();
            let cookie = app.identity.cookie_for(&user_id);
            (app.identity.anonymous(user_id), Some(cookie))
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// A chat token (`CreateChatToken`) for the person in the cookie. The server decides the user id,
/// the display name and the capabilities; the request carries nothing else.
async fn chat_token(State(app): State<App>, headers: HeaderMap) -> Response {
    use aws_sdk_ivschat::types::ChatTokenCapability as Capability;
    let (person, new_cookie) = person_or_new(&app, &headers);
    let mut capabilities = vec![Capability::SendMessage];
    let mut attributes = std::collections::HashMap::from([("displayName".to_owned(), person.display_name.clone())]);
    if person.moderator {
        capabilities.extend([Capability::DeleteMessage, Capability::DisconnectUser]);
        attributes.insert("badge".into(), "moderator".into());
    }
    let answer = app
        .aws
        .chat
        .create_chat_token()
        .room_identifier(&app.config.chat.room_arn)
        .user_id(&person.user_id)
        .set_attributes(Some(attributes))
        .set_capabilities(Some(capabilities.clone()))
        .session_duration_in_minutes(app.config.chat.session_minutes)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!("CreateChatToken: {}", crate::aws::describe(&e));
            return with_cookie(error(StatusCode::SERVICE_UNAVAILABLE, "chat is unavailable right now; try again in a moment"), new_cookie);
        }
    };
    let token = ChatToken {
        token: answer.token().unwrap_or_default().to_owned(),
        session_expiration_time: answer.session_expiration_time().map(crate::aws::timestamp).unwrap_or_default(),
        user_id: person.user_id,
        display_name: person.display_name,
        capabilities: capabilities.iter().map(|c| c.as_str().to_owned()).collect(),
        maximum_message_length: Some(app.max_message_length()),
    };
    with_cookie(no_store(Json(token)), new_cookie)
}

/// A playback token for the private channel, bound to this site's origin.
async fn playback_token(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(signer) = &app.signer else {
        return error(StatusCode::NOT_FOUND, "the channel is not private");
    };
    let subscribers = &app.config.channel.subscribers;
    if !subscribers.is_empty() {
        let person = app.identity.person(&headers);
        if !person.is_some_and(|p| subscribers.contains(&p.user_id)) {
            return error(StatusCode::FORBIDDEN, "this stream is for subscribers");
        }
    }
    let now = (crate::overlays::now_ms() / 1000) as u64;
    let (token, expires_at) = signer.issue(&app.config.channel.arn, &app.config.public_origin, now, app.config.channel.playback_token_ttl_secs);
    no_store(Json(PlaybackTokenAnswer { token, expires_at }))
}

/// What is on screen now, for a viewer who arrives after the cues went by.
async fn overlay_state(State(app): State<App>, headers: HeaderMap) -> Response {
    let person = app.identity.person(&headers);
    match app.overlays.state(app.status.stream_id().as_deref(), person.as_ref().map(|p| p.user_id.as_str())).await {
        Ok(mut state) => {
            state.stream = Some(app.status.current());
            no_store(Json(state))
        }
        Err(e) => {
            tracing::error!("state: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "what is on screen cannot be read right now")
        }
    }
}

/// One vote per person per poll, while it is open; answered once the vote is stored.
async fn vote(State(app): State<App>, Path(poll): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<VoteRequest>(&body) else {
        return error(StatusCode::BAD_REQUEST, "send {\"option\": n} with the option's number");
    };
    if poll.is_empty() || poll.len() > 64 {
        return error(StatusCode::NOT_FOUND, VoteError::NoSuchPoll.to_string());
    }
    let (person, new_cookie) = person_or_new(&app, &headers);
    let response = match app.overlays.vote(&poll, &person.user_id, request.option).await {
        Ok(Vote::Counted(counts)) => Json(VoteAnswer { counts, my_vote: Some(request.option), error: None }).into_response(),
        Ok(Vote::Refused(refusal)) => {
            let (status, my_vote) = match refusal {
                VoteError::AlreadyVoted { option } => (StatusCode::CONFLICT, Some(option)),
                VoteError::Closed => (StatusCode::GONE, None),
                VoteError::NoSuchPoll => (StatusCode::NOT_FOUND, None),
                VoteError::NoSuchOption => (StatusCode::BAD_REQUEST, None),
            };
            (status, Json(VoteAnswer { counts: Vec::new(), my_vote, error: Some(refusal.to_string()) })).into_response()
        }
        Err(e) => {
            tracing::error!("a vote was not stored: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "your vote could not be saved; try again")
        }
    };
    with_cookie(no_store(response), new_cookie)
}

/// Publishes an overlay; the operator key comes in `Authorization: Bearer`.
async fn publish(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let key = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !key.is_some_and(|key| app.operator_keys.iter().any(|k| constant_time_eq(k, key))) {
        return error(StatusCode::UNAUTHORIZED, "publishing needs an operator key (Authorization: Bearer KEY)");
    }
    let Ok(overlay) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "send the overlay as a JSON object");
    };
    match app.overlays.publish(overlay).await {
        Ok(answer) => no_store(Json(answer)),
        Err(e) => {
            let status = match e {
                PublishError::Invalid(_) => StatusCode::BAD_REQUEST,
                PublishError::Offline => StatusCode::CONFLICT,
                PublishError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                PublishError::Aws(_) => StatusCode::BAD_GATEWAY,
                PublishError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            tracing::warn!("publish: {e}");
            error(status, e.to_string())
        }
    }
}

/// IVS's EventBridge events, from an API destination that sends the events secret.
async fn events(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &app.config.events.secret else {
        return error(StatusCode::NOT_FOUND, "event intake is off (no events.secret configured)");
    };
    let given = headers.get(EVENTS_SECRET_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !constant_time_eq(secret, given) {
        return error(StatusCode::UNAUTHORIZED, format!("the {EVENTS_SECRET_HEADER} header is missing or wrong"));
    }
    match app.status.intake(&body).await {
        Ok(Intake::Taken) => no_store(Json(serde_json::json!({ "taken": true }))),
        Ok(Intake::Duplicate) => no_store(Json(serde_json::json!({ "taken": false, "reason": "already taken" }))),
        Ok(Intake::Ignored(why)) => no_store(Json(serde_json::json!({ "taken": false, "reason": format!("ignored: {why}") }))),
        Err(IntakeError::Bad(e)) => error(StatusCode::BAD_REQUEST, e.to_string()),
        // EventBridge retries on 5xx: nothing is lost.
        Err(IntakeError::Store(e)) => error(StatusCode::SERVICE_UNAVAILABLE, format!("the event could not be stored: {e}")),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(serde::Deserialize)]
struct SignIn {
    user: String,
    key: String,
}

/// Signs the browser in as `user` when `key` is this server's sign-in key.
async fn sign_in(State(app): State<App>, Query(query): Query<SignIn>) -> Response {
    if !constant_time_eq(&query.key, app.identity.sign_in_key()) {
        return (StatusCode::FORBIDDEN, "wrong sign-in key").into_response();
    }
    if !identity::valid_user_id(&query.user) {
        return (StatusCode::BAD_REQUEST, "user must be 1 to 64 of A-Z a-z 0-9 - _").into_response();
    }
    ([(header::SET_COOKIE, app.identity.cookie_for(&query.user))], Redirect::to("/")).into_response()
}

/// Puts `config` into `page` as `<script type="application/json" id="ivs-viewer-config">`, first
/// in the head, so the page's start-up script can read it.
pub fn inline_config(page: &str, config: &serde_json::Value) -> String {
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
        let out = inline_config(page, &serde_json::json!({ "playbackUrl": "http://h/</script><script>alert(1)</script>" }));
        assert!(out.starts_with("<html><head>\n<script type=\"application/json\" id=\"ivs-viewer-config\">"), "{out}");
        assert_eq!(out.matches("</script>").count(), 1, "only the tag's own end: {out}");
        let json = out.split("ivs-viewer-config\">").nth(1).unwrap().split("</script>").next().unwrap();
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["playbackUrl"], "http://h/</script><script>alert(1)</script>");
    }
}
