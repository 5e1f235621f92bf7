//! Loads the viewer's configuration, then applies the page's query.
//!
//! The configuration is read from an inline `<script type="application/json"
//! id="ivs-viewer-config">` when the page has one — no request, so playback starts sooner — and
//! otherwise fetched from `config.json` beside the app.

use std::future::Future;
use std::pin::Pin;

use ivs_proto::config::ViewerConfig;

use crate::bindings::fetch::fetch_text;

/// The id of the inline configuration element.
pub const INLINE_ID: &str = "ivs-viewer-config";

/// The configuration, or a sentence for the viewer saying why there is none.
pub type Loaded = Result<ViewerConfig, String>;

/// Where the configuration comes from.
pub enum Source {
    /// Read from the page itself.
    Inline(Loaded),
    /// Being fetched (the request was sent when this was made).
    Fetching(Pin<Box<dyn Future<Output = Loaded>>>),
}

/// Starts loading the configuration.
pub fn load() -> Source {
    let inline = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(INLINE_ID))
        .and_then(|e| e.text_content());
    match inline {
        Some(text) => Source::Inline(check(&text)),
        None => {
            let request = fetch_text("config.json");
            Source::Fetching(Box::pin(async move {
                check(&request.await.map_err(|e| format!("The player's configuration could not be loaded: {e}."))?)
            }))
        }
    }
}

fn check(text: &str) -> Loaded {
    let config = ViewerConfig::from_json(text).map_err(|e| format!("The player is misconfigured: {e}."))?;
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).map_err(|_| "The page address is malformed.".to_owned())?;
    let pairs: Vec<(String, String)> = ["playbackUrl", "autoplay", "muted", "chat"]
        .into_iter()
        .filter_map(|name| params.get(name).map(|value| (name.to_owned(), value)))
        .collect();
    let mut config = config
        .with_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|e| format!("The page address has a bad setting: {e}."))?;
    // Embedded, the chat is shown only when the embed asks for it (`?chat=1`).
    if is_embed() && params.get("chat").as_deref() != Some("1") {
        config.chat = None;
    }
    Ok(config)
}

/// Whether the page is the embed code generator (`/embed-code`).
pub fn is_embed_code() -> bool {
    crate::bindings::messages::path().trim_end_matches('/').ends_with("/embed-code")
}

/// Whether the page is the embed route (`/embed`): just the player and its overlays.
pub fn is_embed() -> bool {
    crate::bindings::messages::path().trim_end_matches('/').ends_with("/embed")
}
