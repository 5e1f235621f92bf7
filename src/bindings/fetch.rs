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

async fn receive(url: &str, request: Option<JsFuture>) -> Result<String, FetchError> {
    let network = || FetchError::Network(url.to_owned());
    let response: Response = request.ok_or_else(network)?.await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
    if !response.ok() {
        return Err(FetchError::Status { url: url.to_owned(), status: response.status() });
    }
    let text = JsFuture::from(response.text().map_err(|_| network())?).await.map_err(|_| network())?;
    text.as_string().ok_or_else(network)
}
