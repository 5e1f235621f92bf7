//! Loads the viewer's configuration, then applies the page's query.
//!
//! The configuration is read from an inline `<script type="application/json"
//! id="ivs-viewer-config">` when the page has one — no request, so playback starts sooner — and
//! otherwise fetched from `config.json` beside the app.

use std::future::Future;
use std::pin::Pin;

use ivs_proto::clips::ClipAnswer;
use ivs_proto::config::{ConfigError, Replay, ViewerConfig};
use ivs_proto::recordings::Recording;

use crate::bindings::fetch::{fetch_text, FetchError};
use crate::bindings::messages::absolute;
use crate::i18n::{t, tf};

/// The id of the inline configuration element.
pub const INLINE_ID: &str = "ivs-viewer-config";

/// Why the viewer has no configuration ([`LoadError::words`] tells the viewer).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("the configuration could not be loaded: {0}")]
    Unreachable(#[from] FetchError),
    #[error("the configuration is invalid: {0}")]
    Invalid(ConfigError),
    #[error("the page address is malformed")]
    Address,
    #[error("the page address has a bad setting: {0}")]
    Query(ConfigError),
    /// The past broadcast or clip the address names cannot be played: the key of why.
    #[error("{0}")]
    Replay(&'static str),
}

impl LoadError {
    /// The sentence the viewer is shown, in the viewer's language (a configuration's fault is
    /// named in the site's own terms, for whoever runs it).
    pub fn words(&self) -> String {
        match self {
            Self::Unreachable(e) => tf("config.unreachable", &[("detail", &e.to_string())]),
            Self::Invalid(e) => tf("config.invalid", &[("detail", &e.to_string())]),
            Self::Address => t("config.address"),
            Self::Query(e) => tf("config.query", &[("detail", &e.to_string())]),
            Self::Replay(key) => t(key),
        }
    }
}

/// The configuration, or why there is none.
pub type Loaded = Result<ViewerConfig, LoadError>;

/// Where the configuration comes from.
pub enum Source {
    /// Read from the page itself.
    Inline(Box<Loaded>),
    /// Being fetched (the request was sent when this was made).
    Fetching(Pin<Box<dyn Future<Output = Loaded>>>),
}

/// Starts loading the configuration (and, for `?recording=<id>`, the past broadcast it names).
pub fn load() -> Source {
    let inline = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(INLINE_ID)).and_then(|e| e.text_content());
    let source = match inline {
        Some(text) => Source::Inline(Box::new(check(&text))),
        None => {
            let request = fetch_text("config.json");
            Source::Fetching(Box::pin(async move { check(&request.await?) }))
        }
    };
    match clip_request() {
        Ok(Some(clip)) => return play_clip(source, clip),
        Ok(None) => {}
        Err(e) => return Source::Inline(Box::new(Err(LoadError::Query(e)))),
    }
    let replay = match replay_request() {
        Ok(Some(replay)) => replay,
        Ok(None) => return source,
        Err(e) => return Source::Inline(Box::new(Err(LoadError::Query(e)))),
    };
    Source::Fetching(Box::pin(async move {
        let config = settled(source).await?;
        let base = config.recordings_url.clone().ok_or(LoadError::Replay("replay.none"))?;
        let recording: Recording = fetch_named(&base, &replay.recording_id, "replay.unreadable", "replay.missing").await?;
        config.replaying(replay, &recording).map_err(LoadError::Replay)
    }))
}

/// The configuration for playing clip `id`, once `source` has loaded.
fn play_clip(source: Source, id: String) -> Source {
    Source::Fetching(Box::pin(async move {
        let config = settled(source).await?;
        let base = config.clips_url.clone().ok_or(LoadError::Replay("clip.none"))?;
        let clip: ClipAnswer = fetch_named(&base, &id, "clip.unreadable_clip", "clip.missing").await?;
        // The site's own path, made a full address for the player.
        let playlist = absolute(&clip.playback_url).ok_or(LoadError::Replay("clip.unplayable"))?;
        config.playing_clip(id, &playlist).map_err(LoadError::Replay)
    }))
}

/// The configuration `source` gives, once it has it.
async fn settled(source: Source) -> Loaded {
    match source {
        Source::Inline(loaded) => *loaded,
        Source::Fetching(loading) => loading.await,
    }
}

/// `{base}/{id}` from the site, read as JSON; the keys of the words to show when it does not
/// read (`unreadable`) or is not there (`missing`).
async fn fetch_named<T: serde::de::DeserializeOwned>(base: &str, id: &str, unreadable: &'static str, missing: &'static str) -> Result<T, LoadError> {
    let url = format!("{}/{}", base.trim_end_matches('/'), ivs_proto::url::encode_component(id));
    match fetch_text(&url).await {
        Ok(text) => serde_json::from_str(&text).map_err(|_| LoadError::Replay(unreadable)),
        Err(FetchError::Status { status: 404, .. }) => Err(LoadError::Replay(missing)),
        Err(e) => Err(LoadError::Unreachable(e)),
    }
}

/// The page address's query parameters named `names`.
fn query(names: &[&'static str]) -> Vec<(&'static str, String)> {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return Vec::new() };
    names.iter().filter_map(|name| params.get(name).map(|value| (*name, value))).collect()
}

/// The language the page address asks for (`?lang=`), if any.
pub fn lang_request() -> Option<String> {
    query(&["lang"]).into_iter().map(|(_, value)| value).next()
}

/// What the page address asks to replay, if anything.
fn replay_request() -> Result<Option<Replay>, ConfigError> {
    let pairs = query(&["recording", "t"]);
    ivs_proto::config::replay_request(pairs.iter().map(|(n, v)| (*n, v.as_str())))
}

/// The clip the page address asks to play, if any.
fn clip_request() -> Result<Option<String>, ConfigError> {
    let pairs = query(&["clip"]);
    ivs_proto::config::clip_request(pairs.iter().map(|(n, v)| (*n, v.as_str())))
}

fn check(text: &str) -> Loaded {
    let config = ViewerConfig::from_json(text).map_err(LoadError::Invalid)?;
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).map_err(|_| LoadError::Address)?;
    let pairs: Vec<(String, String)> =
        ["playbackUrl", "autoplay", "muted", "chat"].into_iter().filter_map(|name| params.get(name).map(|value| (name.to_owned(), value))).collect();
    let mut config = config.with_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).map_err(LoadError::Query)?;
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

/// Whether the page is the stage (`/stage`): the real-time stage's participants, and the chat.
pub fn is_stage() -> bool {
    crate::bindings::messages::path().trim_end_matches('/').ends_with("/stage")
}

/// Whether the page is the past broadcasts (`/past`).
pub fn is_past() -> bool {
    crate::bindings::messages::path().trim_end_matches('/').ends_with("/past")
}

/// Whether the page is the embed route (`/embed`): just the player and its overlays.
pub fn is_embed() -> bool {
    crate::bindings::messages::path().trim_end_matches('/').ends_with("/embed")
}
