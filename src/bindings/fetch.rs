//! HTTP for text resources (the configuration file, chat and playback tokens, votes): requests
//! built and responses read with `gloo-net`, each sent with `fetch` the moment it is made.
//!
//! gloo-net's own `send()` starts the request when its future is first polled, which is after
//! the caller's other start-up work; the configuration request must go out before the player is
//! created, so the one step that starts a request stays here.

use gloo_net::http::{Request, RequestBuilder, Response};
use thiserror::Error;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    #[error("could not reach {0}")]
    Network(String),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

/// A request, already sent.
struct Sent {
    url: String,
    response: Option<JsFuture>,
}

/// Sends `request` now.
fn send(url: &str, request: Result<Request, gloo_net::Error>) -> Sent {
    let response = request.ok().and_then(|request| {
        let request: web_sys::Request = request.into();
        Some(JsFuture::from(web_sys::window()?.fetch_with_request(&request)))
    });
    Sent { url: url.to_owned(), response }
}

impl Sent {
    async fn response(self) -> Result<(String, Response), FetchError> {
        let network = || FetchError::Network(self.url.clone());
        let raw: web_sys::Response = self.response.ok_or_else(network)?.await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
        Ok((self.url, Response::from(raw)))
    }

    /// The body of a 2xx answer.
    async fn text(self) -> Result<String, FetchError> {
        let (url, response) = self.response().await?;
        if !response.ok() {
            return Err(FetchError::Status { url, status: response.status() });
        }
        response.text().await.map_err(|_| FetchError::Network(url))
    }
}

/// With the viewer's cookies (the backend knows the viewer by them).
fn with_credentials(builder: RequestBuilder) -> RequestBuilder {
    builder.credentials(RequestCredentials::Include)
}

/// GETs `url` (the site's API: with the viewer's cookies, which it needs across origins when the
/// viewer is `<ivs-viewer site>` on another site's page) and returns its body as text. The
/// request is sent when this is called, not when the future is first polled, so a caller can
/// start it ahead of other work.
pub fn fetch_text(url: &str) -> impl std::future::Future<Output = Result<String, FetchError>> + 'static {
    send(url, with_credentials(Request::get(url)).build()).text()
}

/// GETs a static file — the viewer's own, perhaps from a CDN — without cookies; its body as text.
pub fn fetch_file(url: &str) -> impl std::future::Future<Output = Result<String, FetchError>> + 'static {
    send(url, Request::get(url).credentials(RequestCredentials::Omit).build()).text()
}

/// POSTs to `url` with the viewer's cookies and returns the body as text.
pub fn post_with_credentials(url: &str) -> impl std::future::Future<Output = Result<String, FetchError>> + 'static {
    send(url, with_credentials(Request::post(url)).build()).text()
}

/// POSTs `json` to `url` with the viewer's cookies; returns the status and body whatever the
/// status (the caller tells a refusal from a failure).
pub fn post_json(url: &str, json: &str) -> impl std::future::Future<Output = Result<(u16, String), FetchError>> + 'static {
    send_json(url, Request::post(url), json)
}

/// PUTs `json` to `url`, as [`post_json`] (the studio's run of show).
pub fn put_json(url: &str, json: &str) -> impl std::future::Future<Output = Result<(u16, String), FetchError>> + 'static {
    send_json(url, Request::put(url), json)
}

fn send_json(url: &str, request: RequestBuilder, json: &str) -> impl std::future::Future<Output = Result<(u16, String), FetchError>> + 'static {
    let sent = send(url, with_credentials(request).header("Content-Type", "application/json").body(json.to_owned()));
    async move {
        let (url, response) = sent.response().await?;
        let status = response.status();
        Ok((status, response.text().await.map_err(|_| FetchError::Network(url))?))
    }
}
