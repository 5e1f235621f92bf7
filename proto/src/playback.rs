//! Player states and errors, and the decisions the viewer takes on them.
//!
//! The SDK reports states and errors as strings (`"Playing"`, `"ErrorNotAvailable"`). They are
//! mapped here to enums; [`Session`] folds them into what the viewer shows ([`Status`]) and when it
//! should load the stream again (an offline live channel does not restart by itself).

use std::time::Duration;

use crate::backoff::Backoff;

/// The SDK's event names the viewer listens to (`PlayerEventType` in the pinned SDK; an
/// end-to-end test checks them against the bundled SDK).
pub mod sdk_event {
    pub const ERROR: &str = "PlayerError";
    pub const TEXT_METADATA_CUE: &str = "PlayerTextMetadataCue";
    pub const AUDIO_BLOCKED: &str = "PlayerAudioBlocked";
    pub const PLAYBACK_BLOCKED: &str = "PlayerPlaybackBlocked";
    pub const MUTED_CHANGED: &str = "PlayerMutedChanged";
    pub const TIME_UPDATE: &str = "PlayerTimeUpdate";
    pub const TEXT_CUE: &str = "PlayerTextCue";

    /// `(PlayerEventType key, name)` for each of the above.
    pub const ALL: [(&str, &str); 7] = [
        ("ERROR", ERROR),
        ("TEXT_METADATA_CUE", TEXT_METADATA_CUE),
        ("AUDIO_BLOCKED", AUDIO_BLOCKED),
        ("PLAYBACK_BLOCKED", PLAYBACK_BLOCKED),
        ("MUTED_CHANGED", MUTED_CHANGED),
        ("TIME_UPDATE", TIME_UPDATE),
        ("TEXT_CUE", TEXT_CUE),
    ];
}

/// The SDK's `PlayerState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerState {
    Idle,
    Ready,
    Buffering,
    Playing,
    Ended,
}

impl PlayerState {
    /// All states, with the SDK's names for them.
    pub const ALL: [(PlayerState, &'static str); 5] =
        [(Self::Idle, "Idle"), (Self::Ready, "Ready"), (Self::Buffering, "Buffering"), (Self::Playing, "Playing"), (Self::Ended, "Ended")];

    /// The SDK's event name for entering this state.
    pub fn sdk_name(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map(|(_, n)| *n).unwrap_or("Idle")
    }

    /// Parses the SDK's name.
    pub fn from_sdk(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

/// What kind of failure an SDK error is, in terms the viewer can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// This browser cannot run the player.
    Unsupported,
    /// The channel is not live (the playlist answered 404).
    Offline,
    /// The network failed or timed out.
    Network,
    /// The playback token is missing, expired or refused.
    NotAuthorized,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Maps the SDK's `ErrorType` string (and HTTP-like `code`).
    pub fn from_sdk(error_type: &str, code: i64) -> Self {
        match error_type {
            "ErrorNotAvailable" => Self::Offline,
            "ErrorNotSupported" => Self::Unsupported,
            "ErrorAuthorization" => Self::NotAuthorized,
            "ErrorNetwork" | "ErrorNetworkIO" | "ErrorTimeout" => match code {
                404 => Self::Offline,
                401 | 403 => Self::NotAuthorized,
                _ => Self::Network,
            },
            _ => Self::Other,
        }
    }

    /// The key of the sentence the viewer is told (`locales/*.json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Unsupported => "error.unsupported",
            Self::Offline => "error.offline",
            Self::Network => "error.network",
            Self::NotAuthorized => "error.not_authorized",
            Self::Other => "error.other",
        }
    }

    /// Whether loading the stream again may help.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Offline | Self::Network | Self::Other)
    }
}

/// What the viewer shows about playback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    /// The SDK or the stream is loading.
    Loading,
    /// The player reports this state.
    Player(PlayerState),
    /// The channel is offline; another attempt is scheduled.
    Offline,
    /// Playback failed; `retrying` when another attempt is scheduled.
    Failed { kind: ErrorKind, retrying: bool },
}

impl Status {
    /// The state's stable name (`Playing`): the badge's `data-state`, and the embed API's.
    pub fn label(self) -> &'static str {
        match self {
            Self::Loading => "Loading",
            Self::Player(PlayerState::Idle) => "Idle",
            Self::Player(PlayerState::Ready) => "Ready",
            Self::Player(PlayerState::Buffering) => "Buffering",
            Self::Player(PlayerState::Playing) => "Playing",
            Self::Player(PlayerState::Ended) => "Ended",
            Self::Offline => "Offline",
            Self::Failed { .. } => "Error",
        }
    }

    /// The key of the state's name in the viewer's language (`locales/*.json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Loading => "state.loading",
            Self::Player(PlayerState::Idle) => "state.idle",
            Self::Player(PlayerState::Ready) => "state.ready",
            Self::Player(PlayerState::Buffering) => "state.buffering",
            Self::Player(PlayerState::Playing) => "state.playing",
            Self::Player(PlayerState::Ended) => "state.ended",
            Self::Offline => "state.offline",
            Self::Failed { .. } => "state.error",
        }
    }

    /// The key of what the viewer is told: the state's name, or for an offline channel or a
    /// failure the sentence that explains it (what an embedding page may show too).
    pub fn words_key(self) -> &'static str {
        match self {
            Self::Offline => ErrorKind::Offline.key(),
            Self::Failed { kind, .. } => kind.key(),
            other => other.key(),
        }
    }
}

/// What happened to the player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    State(PlayerState),
    Error { kind: ErrorKind },
}

/// What the viewer should do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    None,
    /// Load the stream again after this delay.
    RetryAfter(Duration),
    /// Playback resumed after a stall: if that left the picture behind live
    /// ([`stalled_behind_live`]), jump back to the live edge.
    CatchUpIfBehind,
}

/// Whether a stall left the picture far enough behind live to jump back to the edge: when the
/// viewer would otherwise be shown "behind live" for a delay they did not choose.
///
/// The viewer decides this itself, once per stall, rather than turning on the SDK's
/// rebuffer-to-live: that seeks to the edge on every stall, however short, and in WebKit a seek
/// during a stall stalls again (the picture then restarts every second or two).
pub fn stalled_behind_live(distance_from_live_secs: f64) -> bool {
    distance_from_live_secs.is_finite() && distance_from_live_secs > crate::controls::BEHIND_LIVE_AFTER_SECS
}

/// Folds player events into a [`Status`] and a retry schedule.
#[derive(Debug, Clone)]
pub struct Session {
    status: Status,
    backoff: Backoff,
    /// Playing stopped for want of data (not for a seek the viewer asked for).
    stalled: bool,
    /// The viewer asked for a seek that has not landed yet: the buffering it causes is no stall.
    seeking: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self { status: Status::Loading, backoff: Backoff::offline_stream(), stalled: false, seeking: false }
    }
}

impl Session {
    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The viewer asked for a seek (the controls, a key, the embed API, "go live"): where playback
    /// resumes is their choice, not a stall to catch up from.
    pub fn seek_requested(&mut self) {
        self.seeking = true;
    }

    /// Applies `event`; `random` in `[0, 1)` jitters any retry.
    pub fn apply(&mut self, event: Event, random: f64) -> Action {
        match event {
            Event::State(PlayerState::Playing) => {
                self.backoff.reset();
                self.status = Status::Player(PlayerState::Playing);
                self.seeking = false;
                if std::mem::take(&mut self.stalled) {
                    Action::CatchUpIfBehind
                } else {
                    Action::None
                }
            }
            Event::State(PlayerState::Buffering) if self.status == Status::Player(PlayerState::Playing) => {
                self.status = Status::Player(PlayerState::Buffering);
                self.stalled = !self.seeking;
                Action::None
            }
            // A live stream that ends is a channel going offline: wait for it to come back.
            Event::State(PlayerState::Ended) => {
                self.status = Status::Offline;
                Action::RetryAfter(self.backoff.next_delay(random))
            }
            Event::State(state) => {
                // Paused, ended, loaded again: whatever stalled before is over.
                self.stalled = false;
                // While retrying an offline channel, the reload passes through Ready/Buffering:
                // keep the slate up until the stream actually plays.
                if !matches!(self.status, Status::Offline | Status::Failed { retrying: true, .. }) {
                    self.status = Status::Player(state);
                }
                Action::None
            }
            Event::Error { kind: ErrorKind::Offline } => {
                self.status = Status::Offline;
                Action::RetryAfter(self.backoff.next_delay(random))
            }
            Event::Error { kind } => {
                let retrying = kind.is_retryable();
                self.status = Status::Failed { kind, retrying };
                if retrying {
                    Action::RetryAfter(self.backoff.next_delay(random))
                } else {
                    Action::None
                }
            }
        }
    }
}

/// What a site backend's playback-token endpoint answers (private channels).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PlaybackToken {
    pub token: String,
}

/// The playback URL with a playback token, as IVS takes it (`?token=…`).
pub fn with_token(url: &str, token: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}token={}", crate::url::encode_component(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_explain_an_offline_channel_and_a_failure() {
        assert_eq!(Status::Player(PlayerState::Playing).words_key(), "state.playing");
        assert_eq!(Status::Offline.words_key(), "error.offline");
        assert_eq!(Status::Failed { kind: ErrorKind::NotAuthorized, retrying: false }.words_key(), "error.not_authorized");
    }

    #[test]
    fn sdk_names_round_trip() {
        for (state, name) in PlayerState::ALL {
            assert_eq!(PlayerState::from_sdk(name), Some(state));
            assert_eq!(state.sdk_name(), name);
        }
        assert_eq!(PlayerState::from_sdk("playing"), None);
    }

    #[test]
    fn error_types_map_to_kinds() {
        assert_eq!(ErrorKind::from_sdk("ErrorNotAvailable", 404), ErrorKind::Offline);
        assert_eq!(ErrorKind::from_sdk("ErrorNetworkIO", 404), ErrorKind::Offline);
        assert_eq!(ErrorKind::from_sdk("ErrorNetwork", 0), ErrorKind::Network);
        assert_eq!(ErrorKind::from_sdk("ErrorAuthorization", 403), ErrorKind::NotAuthorized);
        assert_eq!(ErrorKind::from_sdk("ErrorNetwork", 403), ErrorKind::NotAuthorized);
        assert_eq!(ErrorKind::from_sdk("ErrorNotSupported", 0), ErrorKind::Unsupported);
        assert_eq!(ErrorKind::from_sdk("Error", -1), ErrorKind::Other);
        assert!(!ErrorKind::NotAuthorized.is_retryable());
    }

    #[test]
    fn offline_channel_retries_with_growing_delays_until_it_plays() {
        let mut s = Session::default();
        assert_eq!(s.status(), Status::Loading);
        let offline = Event::Error { kind: ErrorKind::Offline };
        assert_eq!(s.apply(offline, 1.0), Action::RetryAfter(Duration::from_millis(500)));
        assert_eq!(s.status(), Status::Offline);
        // The reload passes through Ready and Buffering: the slate stays.
        assert_eq!(s.apply(Event::State(PlayerState::Ready), 0.0), Action::None);
        assert_eq!(s.status(), Status::Offline);
        assert_eq!(s.apply(offline, 1.0), Action::RetryAfter(Duration::from_millis(1000)));
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::None);
        assert_eq!(s.status(), Status::Player(PlayerState::Playing));
        // After playing, the schedule starts over.
        assert_eq!(s.apply(Event::State(PlayerState::Ended), 1.0), Action::RetryAfter(Duration::from_millis(500)));
        assert_eq!(s.status(), Status::Offline);
    }

    #[test]
    fn authorisation_errors_are_final() {
        let mut s = Session::default();
        assert_eq!(s.apply(Event::Error { kind: ErrorKind::NotAuthorized }, 0.5), Action::None);
        assert_eq!(s.status(), Status::Failed { kind: ErrorKind::NotAuthorized, retrying: false });
        assert_eq!(s.status().label(), "Error");
    }

    #[test]
    fn states_pass_through_when_not_retrying() {
        let mut s = Session::default();
        s.apply(Event::State(PlayerState::Ready), 0.0);
        assert_eq!(s.status(), Status::Player(PlayerState::Ready));
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        assert_eq!(s.status().label(), "Buffering");
    }

    fn playing() -> Session {
        let mut s = Session::default();
        for state in [PlayerState::Ready, PlayerState::Buffering, PlayerState::Playing] {
            assert_eq!(s.apply(Event::State(state), 0.0), Action::None, "starting up is no stall");
        }
        s
    }

    #[test]
    fn playing_again_after_a_stall_asks_to_catch_up_once() {
        let mut s = playing();
        assert_eq!(s.apply(Event::State(PlayerState::Buffering), 0.0), Action::None);
        assert_eq!(s.status().label(), "Buffering");
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::CatchUpIfBehind);
        // Nothing stalled since.
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::None);
    }

    #[test]
    fn a_seek_the_viewer_asked_for_is_no_stall() {
        let mut s = playing();
        s.seek_requested();
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::None);
        // The seek landed: a later stall counts again.
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::CatchUpIfBehind);
    }

    #[test]
    fn pausing_or_reloading_in_between_is_no_stall() {
        let mut s = playing();
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        s.apply(Event::State(PlayerState::Idle), 0.0); // paused while it waited
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::None);

        let mut s = playing();
        s.apply(Event::State(PlayerState::Buffering), 0.0);
        s.apply(Event::Error { kind: ErrorKind::Network }, 0.5);
        for state in [PlayerState::Ready, PlayerState::Buffering] {
            s.apply(Event::State(state), 0.0);
        }
        assert_eq!(s.apply(Event::State(PlayerState::Playing), 0.0), Action::None, "a reload starts at the edge anyway");
    }

    #[test]
    fn only_a_stall_that_left_the_picture_behind_live_jumps() {
        assert!(!stalled_behind_live(2.5), "the usual latency");
        assert!(!stalled_behind_live(6.0));
        assert!(stalled_behind_live(9.0));
        assert!(!stalled_behind_live(f64::NAN), "no measure, no jump");
        assert!(!stalled_behind_live(f64::INFINITY));
    }

    #[test]
    fn tokens_go_into_the_query() {
        assert_eq!(with_token("https://a.example/x.m3u8", "h.p.s"), "https://a.example/x.m3u8?token=h.p.s");
        assert_eq!(with_token("https://a.example/x.m3u8?a=1", "a+b/c="), "https://a.example/x.m3u8?a=1&token=a%2Bb%2Fc%3D");
    }
}
