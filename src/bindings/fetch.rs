//! `fetch` for text resources (the configuration file, chat tokens).

use thiserror::Error;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    #[error("could not reach {0}")]
    Network(String),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

/// GETs `url` and returns its body as text. The request is sent when this is called, not when
/// the future is first polled, so a caller can start it ahead of other work.
pub fn fetch_text(url: &str) -> impl std::future::Future<Output = Result<String, FetchError>> + 'static {
    let url = url.to_owned();
    let request = web_sys::window().map(|w| JsFuture::from(w.fetch_with_str(&url)));
    async move { receive(&url, request).await }
}

/// POSTs to `url` with the viewer's cookies (the backend knows the viewer by them) and returns
/// the body as text.
pub fn post_with_credentials(url: &str) -> impl std::future::Future<Output = Result<String, FetchError>> + 'static {
    let url = url.to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::Include);
    let request = web_sys::window().map(|w| JsFuture::from(w.fetch_with_str_and_init(&url, &init)));
    async move { receive(&url, request).await }
}

/// POSTs `json` to `url` with the viewer's cookies; returns the status and body whatever the
/// status (the caller tells a refusal from a failure).
pub fn post_json(url: &str, json: &str) -> impl std::future::Future<Output = Result<(u16, String), FetchError>> + 'static {
    let url = url.to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::Include);
    init.set_body(&wasm_bindgen::JsValue::from_str(json));
    let headers = web_sys::Headers::new().ok();
    if let Some(headers) = &headers {
        let _ = headers.set("Content-Type", "application/json");
        init.set_headers(headers);
    }
    let request = web_sys::window().map(|w| JsFuture::from(w.fetch_with_str_and_init(&url, &init)));
    async move {
        let network = || FetchError::Network(url.clone());
        let response: Response = request.ok_or_else(network)?.await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
        let status = response.status();
        let text = JsFuture::from(response.text().map_err(|_| network())?).await.map_err(|_| network())?;
        Ok((status, text.as_string().unwrap_or_default()))
    }
}

async fn receive(url: &str, request: Option<JsFuture>) -> Result<String, FetchError> {
    let network = || FetchError::Network(url.to_owned());
    let response: Response = request.ok_or_else(network)?.await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
    if !response.ok() {
        return Err(FetchError::Status { url: url.to_owned(), status: response.status() });
    }
    let text = JsFuture::from(response.text().map_err(|_| network())?).await.map_err(|_| network())?;
    text.as_string().ok_or_else(network)
}
