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
    #[error("the chat configuration is not valid: {0}")]
    Chat(String),
    #[error("the backend configuration is not valid: {0}")]
    Backend(String),
    #[error("embedOrigins: {0}")]
    EmbedOrigins(#[from] crate::embed::NotAnOrigin),
    #[error("query parameter {name}: {reason}")]
    Query { name: String, reason: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    playback_url: String,
    #[serde(default = "yes")]
    autoplay: bool,
    #[serde(default)]
    muted: bool,
    #[serde(default = "yes")]
    allow_query_overrides: bool,
    #[serde(default)]
    playback_url_overrides: Option<Vec<String>>,
    #[serde(default)]
    recordings_url: Option<String>,
    #[serde(default)]
    clips_url: Option<String>,
    #[serde(default)]
    chat_endpoint: Option<String>,
    #[serde(default)]
    chat_token_url: Option<String>,
    #[serde(default)]
    state_url: Option<String>,
    #[serde(default)]
    votes_url: Option<String>,
    #[serde(default)]
    embed_origins: Vec<String>,
    #[serde(default)]
    playback_token_url: Option<String>,
    #[serde(default)]
    stage_token_url: Option<String>,
    #[serde(default)]
    analytics_url: Option<String>,
    #[serde(default)]
    analytics_sample: Option<f64>,
    #[serde(default)]
    analytics_every_ms: Option<u64>,
}

/// A URL of the site's backend: a path on this site, or an http(s) URL.
fn backend_url(url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//")) || SafeUrl::parse(url).is_ok()
}

fn optional_backend_url(name: &str, url: Option<String>) -> Result<Option<String>, ConfigError> {
    match url {
        Some(url) if !backend_url(&url) => Err(ConfigError::Backend(format!("{name} must be a path on this site or an http(s) URL"))),
        other => Ok(other),
    }
}

/// Where the chat is: the IVS Chat Messaging endpoint and the site backend's token endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatConfig {
    /// `wss://edge.ivschat.<region>.amazonaws.com` in production.
    pub endpoint: String,
    /// The site's endpoint that returns a chat token for the current viewer (a path or an
    /// http(s) URL), requested with `POST` and the viewer's cookies.
    pub token_url: String,
}

impl ChatConfig {
    fn parse(endpoint: &str, token_url: &str) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::Chat(reason.to_owned());
        let rest =
            endpoint.strip_prefix("wss://").or_else(|| endpoint.strip_prefix("ws://")).ok_or_else(|| bad("chatEndpoint must be a ws:// or wss:// URL"))?;
        if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("chatEndpoint has no host"));
        }
        if !backend_url(token_url) {
            return Err(bad("chatTokenUrl must be a path on this site or an http(s) URL"));
        }
        Ok(Self { endpoint: endpoint.to_owned(), token_url: token_url.to_owned() })
    }
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
    /// The playback URLs a link's `?playbackUrl=` may choose: an entry is one URL, or (ending in
    /// `/`) every URL under it. `None` (a static `config.json` without the key): any. A site
    /// server always names the list, empty unless its configuration opens it, so a crafted link
    /// cannot play someone else's stream under the site's name.
    pub playback_url_overrides: Option<Vec<String>>,
    /// The chat beside the video; `None` shows no chat.
    pub chat: Option<ChatConfig>,
    /// The backend's overlay state (current poll and tallies, product), for a viewer who arrives
    /// after the cues went by.
    pub state_url: Option<String>,
    /// The backend's poll votes: `POST {votesUrl}/{pollId}/vote` with `{"option": n}`.
    pub votes_url: Option<String>,
    /// For a private channel: the backend's endpoint that returns a playback token
    /// (`POST`, with the viewer's cookies; answers `{"token": "…"}`).
    pub playback_token_url: Option<String>,
    /// Host pages allowed to command an embedded viewer and hear its events.
    pub embed_origins: crate::embed::Allowlist,
    /// For a site with a real-time stage: the backend's endpoint that returns a participant
    /// token and the line-up (`POST`, with the viewer's cookies; answers a
    /// [`StageToken`](crate::stage::StageToken)).
    pub stage_token_url: Option<String>,
    /// The site's past broadcasts (`GET`, answers a
    /// [`RecordingPage`](crate::recordings::RecordingPage); `{recordingsUrl}/{id}` one
    /// [`Recording`](crate::recordings::Recording)).
    pub recordings_url: Option<String>,
    /// Replaying a past broadcast: its id, and where to start (seconds); set by
    /// [`ViewerConfig::replaying`].
    pub replay: Option<Replay>,
    /// The site's clips (`POST` makes one, `{clipsUrl}/{id}` tells of one).
    pub clips_url: Option<String>,
    /// Playing clip `id` (`?clip=<id>`).
    pub clip: Option<String>,
    /// Replaying: where a past poll's result is read (`GET {pollResultsUrl}/{pollId}`, a
    /// [`PollResult`](crate::site::PollResult)) — the votes URL it had live.
    pub poll_results_url: Option<String>,
    /// Where the page reports how playback goes, and how.
    pub analytics: Option<AnalyticsConfig>,
}

/// The site's viewer analytics, as a page takes part.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    /// `POST`ed a report (`crate::analytics::Report`) with `navigator.sendBeacon`.
    pub url: String,
    /// The share of pages that report (0 to 1].
    pub sample: f64,
    /// How often a playing page reports.
    pub every_ms: u64,
}

/// A past broadcast being replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub recording_id: String,
    pub start_secs: Option<f64>,
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
            playback_url_overrides: raw.playback_url_overrides,
            chat: match (raw.chat_endpoint, raw.chat_token_url) {
                (Some(endpoint), Some(token_url)) => Some(ChatConfig::parse(&endpoint, &token_url)?),
                (None, None) => None,
                _ => return Err(ConfigError::Chat("chatEndpoint and chatTokenUrl go together".into())),
            },
            state_url: optional_backend_url("stateUrl", raw.state_url)?,
            votes_url: optional_backend_url("votesUrl", raw.votes_url)?,
            playback_token_url: optional_backend_url("playbackTokenUrl", raw.playback_token_url)?,
            embed_origins: crate::embed::Allowlist::parse(&raw.embed_origins)?,
            stage_token_url: optional_backend_url("stageTokenUrl", raw.stage_token_url)?,
            recordings_url: optional_backend_url("recordingsUrl", raw.recordings_url)?,
            replay: None,
            poll_results_url: None,
            clips_url: optional_backend_url("clipsUrl", raw.clips_url)?,
            clip: None,
            analytics: match optional_backend_url("analyticsUrl", raw.analytics_url)? {
                Some(url) => Some(AnalyticsConfig {
                    url,
                    sample: raw.analytics_sample.filter(|s| *s > 0.0 && *s <= 1.0).unwrap_or(1.0),
                    every_ms: raw.analytics_every_ms.unwrap_or(crate::analytics::REPORT_EVERY_MS).clamp(10_000, 600_000),
                }),
                None => None,
            },
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
                "playbackUrl" => {
                    let url = SafeUrl::parse(value).map_err(|e| bad(&e.to_string()))?;
                    // A URL the site does not allow is ignored: the page plays the site's own.
                    if self.may_play(url.as_str()) {
                        self.playback_url = url;
                    }
                }
                "autoplay" => self.autoplay = flag(value).ok_or_else(|| bad("must be 0 or 1"))?,
                "muted" => self.muted = flag(value).ok_or_else(|| bad("must be 0 or 1"))?,
                // Only turns the configured chat off (an embed without chat); never repoints it.
                "chat" => self.chat = if flag(value).ok_or_else(|| bad("must be 0 or 1"))? { self.chat.take() } else { None },
                _ => {}
            }
        }
        Ok(self)
    }
}

/// The clip a page address asks to play: `?clip=<id>`.
pub fn clip_request<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Option<String>, ConfigError> {
    for (name, value) in pairs {
        if name == "clip" {
            if value.is_empty() || value.len() > 64 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ConfigError::Query { name: name.to_owned(), reason: "is not a clip's id".to_owned() });
            }
            return Ok(Some(value.to_owned()));
        }
    }
    Ok(None)
}

/// What a page address asks to replay: `?recording=<id>&t=<seconds>`.
pub fn replay_request<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Option<Replay>, ConfigError> {
    let (mut id, mut start) = (None, None);
    for (name, value) in pairs {
        let bad = |reason: &str| ConfigError::Query { name: name.to_owned(), reason: reason.to_owned() };
        match name {
            "recording" => {
                if value.is_empty() || value.len() > 64 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(bad("is not a recording's id"));
                }
                id = Some(value.to_owned());
            }
            "t" => {
                start = Some(
                    value.trim_end_matches('s').parse::<f64>().ok().filter(|t| t.is_finite() && *t >= 0.0).ok_or_else(|| bad("must be seconds, such as 90"))?,
                )
            }
            _ => {}
        }
    }
    Ok(id.map(|recording_id| Replay { recording_id, start_secs: start }))
}

impl ViewerConfig {
    /// The configuration for replaying `recording` (as the site's API answered it) from
    /// `replay`'s start: its playlist instead of the live channel's, and no voting — a past
    /// poll's result is shown, not asked. `Err` with the key of the words to show
    /// (`locales/*.json`) when it cannot be replayed.
    pub fn replaying(mut self, replay: Replay, recording: &crate::recordings::Recording) -> Result<Self, &'static str> {
        use crate::recordings::RecordingState;
        match recording.state {
            RecordingState::Ready => {}
            RecordingState::Recording => return Err("replay.still_recording"),
            RecordingState::Failed => return Err("replay.failed"),
        }
        let url = recording.playback_url.as_deref().ok_or("replay.no_playlist")?;
        self.playback_url = SafeUrl::parse(url).map_err(|_| "replay.no_playlist")?;
        self.poll_results_url = self.votes_url.take();
        self.replay = Some(replay);
        Ok(self)
    }

    /// The configuration for playing clip `id` from its master playlist `url` (the site's own,
    /// made absolute): no voting, as in a replay. `Err` with the key of the words to show.
    pub fn playing_clip(mut self, id: String, url: &str) -> Result<Self, &'static str> {
        self.playback_url = SafeUrl::parse(url).map_err(|_| "clip.unplayable")?;
        self.poll_results_url = self.votes_url.take();
        self.clip = Some(id);
        Ok(self)
    }

    /// Whether a link may choose playback URL `url` (see [`Self::playback_url_overrides`]).
    pub fn may_play(&self, url: &str) -> bool {
        match &self.playback_url_overrides {
            None => true,
            Some(allowed) => url == self.playback_url.as_str() || allowed.iter().any(|a| if a.ends_with('/') { url.starts_with(a.as_str()) } else { url == a }),
        }
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
        let typo = ViewerConfig::from_json(r#"{"playbackUrl":"https://x.example/a.m3u8","autoPlay":false}"#).unwrap_err().to_string();
        assert!(typo.contains("unknown field `autoPlay`") && typo.contains("`autoplay`"), "a misspelt key is named, with the right ones: {typo}");
        assert!(matches!(ViewerConfig::from_json(r#"{"playbackUrl":"file:///etc/passwd"}"#), Err(ConfigError::PlaybackUrl(UrlError::Scheme))));
    }

    #[test]
    fn analytics_are_taken_part_in_as_the_site_says_within_bounds() {
        assert_eq!(ViewerConfig::from_json(FILE).unwrap().analytics, None, "no URL, no reports");
        let file = r#"{"playbackUrl":"https://a.example/x.m3u8","analyticsUrl":"/api/analytics","analyticsSample":0.25,"analyticsEveryMs":1}"#;
        let analytics = ViewerConfig::from_json(file).unwrap().analytics.unwrap();
        assert_eq!((analytics.url.as_str(), analytics.sample, analytics.every_ms), ("/api/analytics", 0.25, 10_000));
        let odd = r#"{"playbackUrl":"https://a.example/x.m3u8","analyticsUrl":"/a","analyticsSample":3}"#;
        let analytics = ViewerConfig::from_json(odd).unwrap().analytics.unwrap();
        assert_eq!((analytics.sample, analytics.every_ms), (1.0, 60_000));
        let elsewhere = r#"{"playbackUrl":"https://a.example/x.m3u8","analyticsUrl":"javascript:alert(1)"}"#;
        assert!(matches!(ViewerConfig::from_json(elsewhere), Err(ConfigError::Backend(_))));
    }

    #[test]
    fn chat_is_checked_and_can_be_turned_off() {
        let file = r#"{"playbackUrl":"https://a.example/x.m3u8","chatEndpoint":"wss://edge.ivschat.us-east-1.amazonaws.com","chatTokenUrl":"/api/chat/token"}"#;
        let c = ViewerConfig::from_json(file).unwrap();
        assert_eq!(c.chat.as_ref().unwrap().endpoint, "wss://edge.ivschat.us-east-1.amazonaws.com");
        assert_eq!(c.with_query([("chat", "0")]).unwrap().chat, None);
        assert!(ViewerConfig::from_json(FILE).unwrap().chat.is_none(), "no chat configured, no chat");
        let bad_endpoint = file.replace("wss://edge", "https://edge");
        assert!(matches!(ViewerConfig::from_json(&bad_endpoint), Err(ConfigError::Chat(_))));
        let bad_token_url = file.replace("/api/chat/token", "javascript:alert(1)");
        assert!(matches!(ViewerConfig::from_json(&bad_token_url), Err(ConfigError::Chat(_))));
        let bad_votes = r#"{"playbackUrl":"https://a.example/x.m3u8","votesUrl":"//evil.example/v"}"#;
        assert!(matches!(ViewerConfig::from_json(bad_votes), Err(ConfigError::Backend(_))));
        let half = r#"{"playbackUrl":"https://a.example/x.m3u8","chatEndpoint":"wss://e.example"}"#;
        assert!(matches!(ViewerConfig::from_json(half), Err(ConfigError::Chat(_))));
    }

    #[test]
    fn a_site_names_the_channels_a_link_may_choose() {
        let file = r#"{"playbackUrl":"https://a.example/mine.m3u8","playbackUrlOverrides":["https://a.example/other.m3u8","https://b.example/live/"]}"#;
        let c = ViewerConfig::from_json(file).unwrap();
        let chosen = |url: &str| c.clone().with_query([("playbackUrl", url), ("muted", "1")]).unwrap();
        assert_eq!(chosen("https://a.example/other.m3u8").playback_url.as_str(), "https://a.example/other.m3u8");
        assert_eq!(chosen("https://b.example/live/x.m3u8").playback_url.as_str(), "https://b.example/live/x.m3u8", "under an entry ending in /");
        let foreign = chosen("https://evil.example/theirs.m3u8");
        assert_eq!(foreign.playback_url.as_str(), "https://a.example/mine.m3u8", "a foreign stream is ignored: the site's own plays");
        assert!(foreign.muted, "the harmless parameters still apply");
        assert_eq!(chosen("https://b.example/livex.m3u8").playback_url.as_str(), "https://a.example/mine.m3u8", "a prefix is a path, not a string");
        let closed = ViewerConfig::from_json(r#"{"playbackUrl":"https://a.example/mine.m3u8","playbackUrlOverrides":[]}"#).unwrap();
        assert!(!closed.may_play("https://a.example/other.m3u8") && closed.may_play("https://a.example/mine.m3u8"));
    }

    #[test]
    fn a_link_to_a_moment_of_a_past_broadcast() {
        assert_eq!(replay_request([("recording", "Rec1"), ("t", "90")]).unwrap(), Some(Replay { recording_id: "Rec1".into(), start_secs: Some(90.0) }));
        assert_eq!(replay_request([("t", "90s"), ("recording", "Rec1")]).unwrap().unwrap().start_secs, Some(90.0));
        assert_eq!(replay_request([("muted", "1")]).unwrap(), None);
        assert!(replay_request([("recording", "../x")]).is_err());
        assert!(replay_request([("recording", "Rec1"), ("t", "-3")]).is_err());
        assert_eq!(clip_request([("clip", "AbC123")]).unwrap().as_deref(), Some("AbC123"));
        assert!(clip_request([("clip", "a/b")]).is_err());

        use crate::recordings::{Recording, RecordingState};
        let file = r#"{"playbackUrl":"https://a.example/live.m3u8","votesUrl":"/api/polls","recordingsUrl":"/api/recordings"}"#;
        let config = ViewerConfig::from_json(file).unwrap();
        assert_eq!(config.recordings_url.as_deref(), Some("/api/recordings"));
        let mut recording = Recording {
            id: "Rec1".into(),
            stream_id: "st-1".into(),
            state: RecordingState::Ready,
            started_ms: 0,
            ended_ms: Some(1),
            duration_secs: Some(60.0),
            reason: None,
            playback_url: Some("https://cdn.example/rec/media/hls/master.m3u8".into()),
            thumbnail_url: None,
            rewind_url: None,
        };
        let replay = Replay { recording_id: "Rec1".into(), start_secs: Some(30.0) };
        let replaying = config.clone().replaying(replay.clone(), &recording).unwrap();
        assert_eq!(replaying.playback_url.as_str(), "https://cdn.example/rec/media/hls/master.m3u8");
        assert_eq!((replaying.votes_url, replaying.replay), (None, Some(replay.clone())), "a past poll is not voted in");
        assert_eq!(replaying.poll_results_url.as_deref(), Some("/api/polls"), "its result is read instead");
        recording.state = RecordingState::Recording;
        assert_eq!(config.clone().replaying(replay.clone(), &recording).unwrap_err(), "replay.still_recording");
        recording.state = RecordingState::Ready;
        recording.playback_url = Some("javascript:alert(1)".into());
        assert!(config.replaying(replay, &recording).is_err());
    }

    #[test]
    fn overrides_can_be_disabled() {
        let file = r#"{"playbackUrl":"https://a.example/x.m3u8","allowQueryOverrides":false}"#;
        let c = ViewerConfig::from_json(file).unwrap().with_query([("playbackUrl", "https://evil.example/y.m3u8")]).unwrap();
        assert_eq!(c.playback_url.as_str(), "https://a.example/x.m3u8");
    }
}
