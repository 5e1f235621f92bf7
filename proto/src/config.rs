//! The viewer's configuration: a JSON file served beside the app (`config.json`), overridable by
//! the page's URL query (`?playbackUrl=…&muted=1`).
//!
//! Production points `playbackUrl` at a real IVS playback URL; nothing here knows about the local
//! stack. A site that does not want its page repointed sets `"allowQueryOverrides": false`.

use serde::Deserialize;
use thiserror::Error;

use crate::url::{SafeUrl, UrlError};

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    #[error("the configuration file is not valid: {0}")]
    Parse(String),
    #[error("the playback URL is not valid: {0}")]
    PlaybackUrl(UrlError),
    #[error("query parameter {name}: {reason}")]
    Query { name: String, reason: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    playback_url: String,
    #[serde(default = "yes")]
    autoplay: bool,
    #[serde(default)]
    muted: bool,
    #[serde(default = "yes")]
    allow_query_overrides: bool,
}

fn yes() -> bool {
    true
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerConfig {
    /// The HLS playback URL (an IVS channel's `playbackUrl`).
    pub playback_url: SafeUrl,
    /// Start playing without a click (muted if the browser blocks sound).
    pub autoplay: bool,
    /// Start muted.
    pub muted: bool,
    /// Whether the page's query may override the file.
    pub allow_query_overrides: bool,
}

impl ViewerConfig {
    /// Parses `config.json`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        Ok(Self {
            playback_url: SafeUrl::parse(&raw.playback_url).map_err(ConfigError::PlaybackUrl)?,
            autoplay: raw.autoplay,
            muted: raw.muted,
            allow_query_overrides: raw.allow_query_overrides,
        })
    }

    /// Applies the page's query parameters (already URL-decoded). Unknown names are ignored, so
    /// a host page's own parameters do no harm; known names with bad values are errors.
    pub fn with_query<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ConfigError> {
        if !self.allow_query_overrides {
            return Ok(self);
        }
        for (name, value) in pairs {
            let bad = |reason: &str| ConfigError::Query { name: name.to_owned(), reason: reason.to_owned() };
            match name {
                "playbackUrl" => self.playback_url = SafeUrl::parse(value).map_err(|e| bad(&e.to_string()))?,
                "autoplay" => self.autoplay = flag(value).ok_or_else(|| bad("must be 0 or 1"))?,
                "muted" => self.muted = flag(value).ok_or_else(|| bad("must be 0 or 1"))?,
                _ => {}
            }
        }
        Ok(self)
    }
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"playbackUrl":"https://abc.us-east-1.playback.live-video.net/api/video/v1/x.m3u8"}"#;

    #[test]
    fn defaults() {
        let c = ViewerConfig::from_json(FILE).unwrap();
        assert!(c.autoplay && !c.muted && c.allow_query_overrides);
        assert!(c.playback_url.as_str().ends_with("x.m3u8"));
    }

    #[test]
    fn query_overrides_file() {
        let c = ViewerConfig::from_json(FILE)
            .unwrap()
            .with_query([("playbackUrl", "http://127.0.0.1:1/s.m3u8"), ("muted", "1"), ("autoplay", "0"), ("utm_source", "x")])
            .unwrap();
        assert_eq!(c.playback_url.as_str(), "http://127.0.0.1:1/s.m3u8");
        assert!(c.muted && !c.autoplay);
    }

    #[test]
    fn bad_values_are_reported() {
        let c = ViewerConfig::from_json(FILE).unwrap();
        assert!(matches!(c.clone().with_query([("playbackUrl", "javascript:alert(1)")]), Err(ConfigError::Query { .. })));
        assert!(matches!(c.with_query([("muted", "maybe")]), Err(ConfigError::Query { .. })));
        assert!(matches!(ViewerConfig::from_json("{}"), Err(ConfigError::Parse(_))));
        assert!(matches!(ViewerConfig::from_json(r#"{"playbackUrl":"file:///etc/passwd"}"#), Err(ConfigError::PlaybackUrl(UrlError::Scheme))));
    }

    #[test]
    fn overrides_can_be_disabled() {
        let file = r#"{"playbackUrl":"https://a.example/x.m3u8","allowQueryOverrides":false}"#;
        let c = ViewerConfig::from_json(file).unwrap().with_query([("playbackUrl", "https://evil.example/y.m3u8")]).unwrap();
        assert_eq!(c.playback_url.as_str(), "https://a.example/x.m3u8");
    }
}
