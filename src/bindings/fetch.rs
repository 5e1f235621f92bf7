//! `fetch` for text resources (the configuration file).

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

/// GETs `url` and returns its body as text.
pub async fn fetch_text(url: &str) -> Result<String, FetchError> {
    let network = || FetchError::Network(url.to_owned());
    let window = web_sys::window().ok_or_else(network)?;
    let response: Response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
    if !response.ok() {
        return Err(FetchError::Status { url: url.to_owned(), status: response.status() });
    }
    let text = JsFuture::from(response.text().map_err(|_| network())?).await.map_err(|_| network())?;
    text.as_string().ok_or_else(network)
}
