//! Loads the viewer's configuration: `config.json` beside the app, then the page's query.

use ivs_proto::config::ViewerConfig;

use crate::bindings::fetch::fetch_text;

/// Fetches and checks the configuration; the error is a sentence for the viewer.
pub async fn load() -> Result<ViewerConfig, String> {
    let text = fetch_text("config.json").await.map_err(|e| format!("The player's configuration could not be loaded: {e}."))?;
    let config = ViewerConfig::from_json(&text).map_err(|e| format!("The player is misconfigured: {e}."))?;
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).map_err(|_| "The page address is malformed.".to_owned())?;
    let pairs: Vec<(String, String)> = ["playbackUrl", "autoplay", "muted"]
        .into_iter()
        .filter_map(|name| params.get(name).map(|value| (name.to_owned(), value)))
        .collect();
    config
        .with_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|e| format!("The page address has a bad setting: {e}."))
}
