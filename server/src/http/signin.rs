//! Signing a browser in as a named user (a moderator, say) without the site's own login: the
//! sign-in key never travels in an address, so it never lands in history, logs or `Referer`.
//!
//! - A form: `GET /sign-in` shows it, `POST /sign-in` takes the user and the key in its body.
//! - A one-time link: an operator asks for one (`POST /api/sign-in-links`, operator key in the
//!   header, or `ivs-site sign-in-link`); `GET /sign-in/{code}` spends it once, within ten minutes.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::error::{no_store, Answer, AppError};
use super::extract::{Operator, SameSite};
use crate::clock::now_ms;
use crate::guard::constant_time_eq;
use crate::identity::valid_user_id;
use crate::App;

/// How long a one-time link may wait to be used.
pub const LINK_LIFETIME_MS: i64 = 10 * 60 * 1000;

const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title></head>
<body><main><h1>Sign in</h1>
<form method="post" action="/sign-in">
<p><label>User id <input name="user" autocomplete="username" required maxlength="64" pattern="[A-Za-z0-9_\-]{1,64}"></label></p>
<p><label>Sign-in key <input name="key" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>"#;

#[derive(Deserialize)]
pub struct FormQuery {
    key: Option<String>,
}

/// The form. A key in the address is refused, not used.
pub async fn form(Query(query): Query<FormQuery>) -> Answer {
    if query.key.is_some() {
        return Err(AppError::new(StatusCode::BAD_REQUEST, "the sign-in key never goes in an address; use the form at /sign-in or a one-time link"));
    }
    Ok(no_store(Html(FORM)))
}

/// The user id rule, in words.
fn bad_user_id() -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, "the user id must be 1 to 64 of A-Z a-z 0-9 - _")
}

#[derive(Deserialize)]
pub struct SignInForm {
    user: String,
    key: String,
}

fn signed_in(app: &App, user: &str) -> Response {
    // An operator goes on to the studio, anyone else to the viewer.
    let to = if app.config.identity.operators.iter().any(|op| op == user) { "/studio" } else { "/" };
    ([(header::SET_COOKIE, app.identity.cookie_for(user)), (header::CACHE_CONTROL, "no-store".to_owned())], Redirect::to(to)).into_response()
}

/// Signs the browser in as `user` when `key` is this server's sign-in key.
pub async fn submit(State(app): State<App>, _: SameSite, Form(form): Form<SignInForm>) -> Answer {
    if !constant_time_eq(&form.key, app.identity.sign_in_key()) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "wrong sign-in key"));
    }
    if !valid_user_id(&form.user) {
        return Err(bad_user_id());
    }
    Ok(signed_in(&app, &form.user))
}

#[derive(Serialize, Deserialize)]
struct Pending {
    user: String,
    expires_ms: i64,
}

/// A one-time link that signs a browser in as `user`.
pub async fn create_link(app: &App, user: &str) -> Result<String, crate::store::StoreError> {
    let code = hex::encode(rand::random::<[u8; 24]>());
    let pending = Pending { user: user.to_owned(), expires_ms: now_ms() + LINK_LIFETIME_MS };
    app.store.put(&format!("sign-in:{code}"), serde_json::to_string(&pending).expect("plain data always encodes")).await?;
    Ok(format!("{}/sign-in/{code}", app.config.public_origin))
}

#[derive(Deserialize)]
pub struct LinkRequest {
    user: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkAnswer {
    url: String,
    expires_in_secs: i64,
}

/// `POST /api/sign-in-links`: a one-time link, for an operator.
pub async fn link(State(app): State<App>, _: Operator, body: Bytes) -> Answer {
    let request = serde_json::from_slice::<LinkRequest>(&body).map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "send {\"user\": \"…\"}"))?;
    if !valid_user_id(&request.user) {
        return Err(bad_user_id());
    }
    let url = create_link(&app, &request.user).await.map_err(|e| AppError::new(StatusCode::SERVICE_UNAVAILABLE, format!("the link could not be made: {e}")))?;
    Ok(no_store(Json(LinkAnswer { url, expires_in_secs: LINK_LIFETIME_MS / 1000 })))
}

/// Spends a one-time link.
pub async fn follow(State(app): State<App>, Path(code): Path<String>) -> Answer {
    let gone = || AppError::new(StatusCode::GONE, "this sign-in link was used already or has expired; ask for a new one");
    let unavailable = |e: crate::store::StoreError| AppError::new(StatusCode::SERVICE_UNAVAILABLE, format!("signing in is unavailable right now: {e}"));
    if code.len() != 48 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let key = format!("sign-in:{code}");
    let pending = app.store.get(&key).await.map_err(unavailable)?.and_then(|raw| serde_json::from_str::<Pending>(&raw).ok());
    let pending = pending.filter(|p| p.expires_ms > now_ms()).ok_or_else(gone)?;
    if app.store.claim_once(&key).await.map_err(unavailable)? {
        Ok(signed_in(&app, &pending.user))
    } else {
        Err(gone())
    }
}
