//! Cross-origin use of the viewer's API by the pages in `embed_origins` — the `<ivs-viewer>`
//! element on a partner's page (`https://shop.example` using `https://live.example`'s chat,
//! polls and tokens with the visitor's identity): those origins, and only those, are answered
//! with `Access-Control-Allow-Origin` naming them and `Access-Control-Allow-Credentials: true`,
//! and their preflights are answered. The operator's routes and the event intake are never
//! offered across origins. Whether a request is taken at all is still the handlers' decision
//! (`SameSite` takes these origins too, see `extract.rs`).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::App;

/// The viewer's routes an embedding page may call.
pub fn viewer_route(path: &str) -> bool {
    const OPERATOR: [&str; 5] = ["/api/overlays", "/api/sign-in-links", "/api/stream-key", "/api/studio", "/api/events"];
    let under = |route: &str| path.strip_prefix(route).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    path == "/config.json" || (path.starts_with("/api/") && !OPERATOR.iter().any(|route| under(route)))
}

/// The request's `Origin` when it is one of the configured embed origins.
pub fn embed_origin(app: &App, headers: &axum::http::HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    app.embed_origins.allows(origin).then(|| origin.to_owned())
}

pub async fn embed_cors(State(app): State<App>, request: Request, next: Next) -> Response {
    let allowed = viewer_route(request.uri().path()).then(|| embed_origin(&app, request.headers())).flatten();
    let Some(origin) = allowed else {
        return next.run(request).await;
    };
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Ok(origin) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}
