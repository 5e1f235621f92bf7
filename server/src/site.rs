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
//! | `POST /api/sign-in-links` | operators: a one-time link that signs a browser in |
//! | `POST /api/events` | EventBridge's API destination, with the events secret |
//! | `GET/POST /sign-in`, `GET /sign-in/{code}` | signing a browser in (`signin.rs`) |
//!
//! Who may do what: an anonymous identity is given with the page (within a budget per address,
//! `guard.rs`), never by a vote or a token request; votes and tokens come only from this site's
//! own pages (`Origin`, `Sec-Fetch-Site`); token minting and operator calls are rate-limited.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use ivs_proto::chat_session::ChatToken;
use ivs_proto::site::{PlaybackTokenAnswer, VoteAnswer, VoteRequest};
use ivs_proto::tally::VoteError;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::guard::{client_address, refuse, same_site, too_many};
use crate::identity::Person;
use crate::overlays::PublishError;
use crate::status::{Intake, IntakeError};
use crate::store::Vote;
use crate::App;

/// The header EventBridge's API destination sends the events secret in.
pub const EVENTS_SECRET_HEADER: &str = "x-ivs-events-secret";

/// The site's routes; `site_dir` is the built viewer.
pub fn router(app: App, site_dir: PathBuf) -> Router {
    let page: MethodRouter = get(index).with_state(app.clone());
    // Compressed copies made at build time (scripts/precompress.mjs) are sent as they are.
    let files = ServeDir::new(&site_dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(false).fallback(page);
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
        .route("/api/sign-in-links", post(sign_in_link))
        .route("/api/events", post(events))
        .route("/sign-in", get(crate::signin::form).post(crate::signin::submit))
        .route("/sign-in/{code}", get(crate::signin::follow))
        .with_state(app)
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_policy))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
}

/// Files named by their content (`main-<16 hex digits>.css`, `chunk_3-<…>.wasm`: Trunk and
/// scripts/finish-wasm.sh name the app's files so) never change: browsers keep them a year without
/// asking again. Everything else is revalidated each time (`no-cache`, below).
async fn cache_policy(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let immutable = content_named(request.uri().path());
    let mut response = next.run(request).await;
    // Only the file itself: a name that is not there answers with the page, which must not stick.
    let kind = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let is_file = ["application/wasm", "text/javascript", "application/javascript", "text/css"].iter().any(|k| kind.starts_with(k));
    if immutable && is_file && response.status() == StatusCode::OK {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    response
}

/// Whether the file `path` names is named by its content: the file itself, or the folder it is in
/// (the IVS SDK's, `ivs/<16 hex digits>/`: scripts/bundle-sdk.sh).
fn content_named(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or_default();
    if parts.next().is_some_and(is_hash) && parts.next() == Some("ivs") && parts.next() == Some("") {
        return [".js", ".wasm"].iter().any(|ext| name.ends_with(ext));
    }
    let Some((stem, ext)) = name.split_once('.') else { return false };
    // wasm-bindgen's module is `<name>-<hash>_bg.wasm`.
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    matches!(ext, "js" | "wasm" | "css") && stem.rsplit_once('-').is_some_and(|(_, hash)| is_hash(hash))
}

/// The build's content names: 16 hexadecimal digits.
fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn config(State(app): State<App>) -> Response {
    Json(app.viewer_config.as_ref().clone()).into_response()
}

/// The page, with the configuration inlined and the page's security policy. A newcomer is given
/// an anonymous identity with it — within the budget of its address.
async fn index(State(app): State<App>, ConnectInfo(peer): ConnectInfo<SocketAddr>, uri: Uri, headers: HeaderMap) -> Response {
    let page = match tokio::fs::read_to_string(app.index.as_path()).await {
        Ok(page) => page,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", app.index.display())),
    };
    let mut response = Html(inline_config(&page, &app.viewer_config)).into_response();
    let policy = if uri.path() == "/embed" || uri.path().starts_with("/embed/") { &app.embed_policy } else { &app.page_policy };
    if let Ok(policy) = HeaderValue::from_str(policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if app.identity.person(&headers).is_none() {
        let address = client_address(&headers, peer, app.config.identity.trust_proxy);
        if app.limits.new_identity(address) {
            let cookie = app.identity.cookie_for(&crate::identity::Identity::new_viewer());
            if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
        } else {
            tracing::info!(%address, "no new identity: this address had its budget");
        }
    }
    response
}

/// The person in the request; without one, the answer that says what to do.
fn known_person(app: &App, headers: &HeaderMap, to: &str) -> Result<Person, Response> {
    app.identity.person(headers).ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, format!("reload the page to {to}")))
}

/// A chat token (`CreateChatToken`) for the person in the cookie. The server decides the user id,
/// the display name and the capabilities; the request carries nothing else.
async fn chat_token(State(app): State<App>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    use aws_sdk_ivschat::types::ChatTokenCapability as Capability;
    if let Err(refused) = same_site(&headers, &app.config.public_origin) {
        return refused;
    }
    let person = match known_person(&app, &headers, "chat") {
        Ok(person) => person,
        Err(refused) => return refused,
    };
    if let Err(wait) = app.limits.token(Some(&person.user_id), client_address(&headers, peer, app.config.identity.trust_proxy)) {
        return too_many(wait, "chat tokens");
    }
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
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "chat is unavailable right now; try again in a moment");
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
    no_store(Json(token))
}

/// A playback token for the private channel, bound to this site's origin.
async fn playback_token(State(app): State<App>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    if let Err(refused) = same_site(&headers, &app.config.public_origin) {
        return refused;
    }
    let Some(signer) = &app.signer else {
        return refuse(StatusCode::NOT_FOUND, "the channel is not private");
    };
    let person = app.identity.person(&headers);
    let subscribers = &app.config.channel.subscribers;
    if !subscribers.is_empty() && !person.as_ref().is_some_and(|p| subscribers.contains(&p.user_id)) {
        return refuse(StatusCode::FORBIDDEN, "this stream is for subscribers");
    }
    // Everyone may watch a channel without subscribers: someone with no identity yet is limited
    // by address alone (not in one bucket shared by every such viewer).
    if let Err(wait) = app.limits.token(person.as_ref().map(|p| p.user_id.as_str()), client_address(&headers, peer, app.config.identity.trust_proxy)) {
        return too_many(wait, "playback tokens");
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
            refuse(StatusCode::SERVICE_UNAVAILABLE, "what is on screen cannot be read right now")
        }
    }
}

/// One vote per person per poll, while it is open; answered once the vote is stored.
async fn vote(State(app): State<App>, Path(poll): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = same_site(&headers, &app.config.public_origin) {
        return refused;
    }
    let Ok(request) = serde_json::from_slice::<VoteRequest>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "send {\"option\": n} with the option's number");
    };
    if poll.is_empty() || poll.len() > 64 {
        return refuse(StatusCode::NOT_FOUND, VoteError::NoSuchPoll.to_string());
    }
    let person = match known_person(&app, &headers, "vote") {
        Ok(person) => person,
        Err(refused) => return refused,
    };
    let response = match app.overlays.vote(&poll, &person.user_id, person.signed_in, request.option).await {
        Ok(Vote::Counted(counts)) => Json(VoteAnswer { counts, my_vote: Some(request.option), error: None }).into_response(),
        Ok(Vote::Refused(refusal)) => {
            let (status, my_vote) = match refusal {
                VoteError::AlreadyVoted { option } => (StatusCode::CONFLICT, Some(option)),
                VoteError::Closed => (StatusCode::GONE, None),
                VoteError::NoSuchPoll => (StatusCode::NOT_FOUND, None),
                VoteError::NoSuchOption => (StatusCode::BAD_REQUEST, None),
                VoteError::SignInRequired => (StatusCode::FORBIDDEN, None),
            };
            (status, Json(VoteAnswer { counts: Vec::new(), my_vote, error: Some(refusal.to_string()) })).into_response()
        }
        Err(e) => {
            tracing::error!("a vote was not stored: {e}");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "your vote could not be saved; try again")
        }
    };
    no_store(response)
}

/// An operator's call: the key in `Authorization: Bearer` (never in the address), from no other
/// site's page, within the operator rate.
fn operator(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let key = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some(key) = key.filter(|key| app.operator_keys.iter().any(|k| constant_time_eq(k, key))) else {
        return Err(refuse(StatusCode::UNAUTHORIZED, "this needs an operator key (Authorization: Bearer KEY)"));
    };
    if headers.contains_key(header::ORIGIN) {
        same_site(headers, &app.config.public_origin)?;
    }
    app.limits.operator(key).map_err(|wait| too_many(wait, "operator calls"))
}

/// A one-time sign-in link, for an operator.
async fn sign_in_link(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = operator(&app, &headers) {
        return refused;
    }
    crate::signin::link_for(&app, &body).await
}

/// Publishes an overlay (operator key).
async fn publish(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = operator(&app, &headers) {
        return refused;
    }
    let Ok(overlay) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "send the overlay as a JSON object");
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
            refuse(status, e.to_string())
        }
    }
}

/// IVS's EventBridge events, from an API destination that sends the events secret.
async fn events(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &app.config.events.secret else {
        return refuse(StatusCode::NOT_FOUND, "event intake is off (no events.secret configured)");
    };
    let given = headers.get(EVENTS_SECRET_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !constant_time_eq(secret, given) {
        return refuse(StatusCode::UNAUTHORIZED, format!("the {EVENTS_SECRET_HEADER} header is missing or wrong"));
    }
    match app.status.intake(&body).await {
        Ok(Intake::Taken) => no_store(Json(serde_json::json!({ "taken": true }))),
        Ok(Intake::Duplicate) => no_store(Json(serde_json::json!({ "taken": false, "reason": "already taken" }))),
        Ok(Intake::Ignored(why)) => no_store(Json(serde_json::json!({ "taken": false, "reason": format!("ignored: {why}") }))),
        Err(IntakeError::Bad(e)) => refuse(StatusCode::BAD_REQUEST, e.to_string()),
        // EventBridge retries on 5xx: nothing is lost.
        Err(IntakeError::Store(e)) => refuse(StatusCode::SERVICE_UNAVAILABLE, format!("the event could not be stored: {e}")),
    }
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

    #[test]
    fn only_files_named_by_their_content_are_kept_for_good() {
        assert!(super::content_named("/main-c8508ae5dabe89a1.css"));
        assert!(super::content_named("/split_stage-17b88da2ffe1bb3a.wasm"));
        assert!(super::content_named("/ivs-viewer-3e4b5cb0b3aeed2e_bg.wasm"));
        assert!(!super::content_named("/boot.js"));
        assert!(super::content_named("/ivs/0123456789abcdef/amazon-ivs-player.min.js"), "the SDK's folder is named by content");
        assert!(super::content_named("/ivs/0123456789abcdef/amazon-ivs-wasmworker.min.wasm"));
        assert!(!super::content_named("/ivs/amazon-ivs-player.min.js"));
        assert!(!super::content_named("/ivs/0123456789abcdef/notes.txt"));
        assert!(!super::content_named("/other/0123456789abcdef/amazon-ivs-player.min.js"), "only the SDK's folder");
        assert!(!super::content_named("/x/ivs/0123456789abcdef/amazon-ivs-player.min.js"));
        assert!(!super::content_named("/sign-in/code-0123456789abcdef"), "only the app's files");
    }

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
