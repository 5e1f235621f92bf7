//! IVS's EventBridge events (source `aws.ivs`), as an API destination delivers them to a site's
//! server, and what they say about a channel's stream now.
//!
//! AWS delivers these events at least once and in no promised order: late, twice, or "Session
//! Ended" before "Stream End". So the stream's state is not updated event by event; it is a
//! [`fold`] over every event kept, which gives the same answer whatever the order and however
//! often an event was delivered.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::stream_status::Health;

/// The most bytes of one event the server reads (IVS's are well under 2 KB).
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

/// What one event says, by its `detail-type` and `event_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    SessionCreated,
    StreamStart,
    StreamEnd,
    SessionEnded,
    StreamFailure,
    StreamTakeover,
    StarvationStart,
    StarvationEnd,
    RecordingStart,
    RecordingEnd,
    RecordingFailure,
    LimitBreach,
}

impl Kind {
    /// The kind as it travels (kebab-case: `stream-start`).
    pub fn name(self) -> &'static str {
        match self {
            Self::SessionCreated => "session-created",
            Self::StreamStart => "stream-start",
            Self::StreamEnd => "stream-end",
            Self::SessionEnded => "session-ended",
            Self::StreamFailure => "stream-failure",
            Self::StreamTakeover => "stream-takeover",
            Self::StarvationStart => "starvation-start",
            Self::StarvationEnd => "starvation-end",
            Self::RecordingStart => "recording-start",
            Self::RecordingEnd => "recording-end",
            Self::RecordingFailure => "recording-failure",
            Self::LimitBreach => "limit-breach",
        }
    }

    /// Whether, for its session, this event means the broadcast is over.
    fn ends(self) -> bool {
        matches!(self, Self::StreamEnd | Self::SessionEnded | Self::StreamFailure)
    }
}

/// One IVS event, as far as the server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// EventBridge's event id: the same for every delivery of one event.
    pub id: String,
    /// The event's `time`, in milliseconds since the epoch.
    pub time_ms: i64,
    /// The channel (the first of `resources`).
    pub channel_arn: String,
    /// The broadcast (`st-…`), when the event is about one.
    pub stream_id: Option<String>,
    pub kind: Kind,
    /// For a recording's events: where it is and what it says.
    pub recording: Option<crate::recordings::RecordingFact>,
    /// For a limit breach: which limit (`limit_name`).
    pub limit: Option<String>,
}

/// Why an event was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    #[error("the event is larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    #[error("the event is not an EventBridge envelope: {0}")]
    Malformed(String),
    #[error("the event's source is {0:?}, not \"aws.ivs\"")]
    Source(String),
    #[error("the event's time {0:?} is not an ISO 8601 timestamp")]
    Time(String),
    #[error("the event names no channel in \"resources\"")]
    NoChannel,
    /// A detail-type or event name this server does not act on (taken, and ignored).
    #[error("the server does not act on {0:?}")]
    Ignored(String),
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    time: String,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    detail: Detail,
}

#[derive(Deserialize, Default)]
struct Detail {
    #[serde(default)]
    event_name: Option<String>,
    #[serde(default)]
    stream_id: Option<String>,
    #[serde(default)]
    recording_status: Option<String>,
    #[serde(default)]
    recording_status_reason: Option<String>,
    #[serde(default)]
    recording_s3_bucket_name: Option<String>,
    #[serde(default)]
    recording_s3_key_prefix: Option<String>,
    #[serde(default)]
    recording_duration_ms: Option<i64>,
    #[serde(default)]
    limit_name: Option<String>,
}

impl StreamEvent {
    /// Reads an event as EventBridge delivers it.
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        if body.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge);
        }
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| EventError::Malformed(e.to_string()))?;
        if envelope.source != "aws.ivs" {
            return Err(EventError::Source(envelope.source));
        }
        if envelope.id.is_empty() || envelope.id.len() > 128 {
            return Err(EventError::Malformed("\"id\" must be 1 to 128 characters".into()));
        }
        let time_ms = crate::chat_session::parse_timestamp_ms(&envelope.time).ok_or(EventError::Time(envelope.time.clone()))?;
        let channel_arn = envelope.resources.into_iter().next().filter(|r| !r.is_empty()).ok_or(EventError::NoChannel)?;
        let name = envelope.detail.event_name.as_deref().unwrap_or_default();
        let kind = match (envelope.detail_type.as_str(), name) {
            ("IVS Stream State Change", "Session Created") => Kind::SessionCreated,
            ("IVS Stream State Change", "Stream Start") => Kind::StreamStart,
            ("IVS Stream State Change", "Stream End") => Kind::StreamEnd,
            ("IVS Stream State Change", "Session Ended") => Kind::SessionEnded,
            ("IVS Stream State Change", "Stream Failure") => Kind::StreamFailure,
            ("IVS Stream State Change", "Stream Takeover") => Kind::StreamTakeover,
            ("IVS Stream Health Change", "Starvation Start") => Kind::StarvationStart,
            ("IVS Stream Health Change", "Starvation End") => Kind::StarvationEnd,
            ("IVS Recording State Change", _) => match envelope.detail.recording_status.as_deref() {
                Some("Recording Start") => Kind::RecordingStart,
                Some("Recording End") => Kind::RecordingEnd,
                Some("Recording Start Failure" | "Recording End Failure") => Kind::RecordingFailure,
                other => return Err(EventError::Ignored(format!("recording status {}", other.unwrap_or("(none)")))),
            },
            ("IVS Limit Breach", _) => Kind::LimitBreach,
            (detail_type, name) => return Err(EventError::Ignored(format!("{detail_type} {name}").trim().to_owned())),
        };
        let detail = envelope.detail;
        let stream_id = detail.stream_id.filter(|s| !s.is_empty() && s.len() <= 64);
        let recording = match kind {
            Kind::RecordingStart | Kind::RecordingEnd | Kind::RecordingFailure => {
                let prefix = detail.recording_s3_key_prefix.filter(|p| crate::recordings::recording_id(p).is_some() && p.len() <= 512);
                let prefix = prefix.ok_or_else(|| EventError::Malformed("a recording event without a readable recording_s3_key_prefix".into()))?;
                Some(crate::recordings::RecordingFact {
                    time_ms,
                    stream_id: stream_id.clone().unwrap_or_default(),
                    bucket: detail.recording_s3_bucket_name.unwrap_or_default().chars().take(63).collect(),
                    prefix,
                    duration_ms: detail.recording_duration_ms.unwrap_or(0).max(0),
                    reason: detail.recording_status_reason.unwrap_or_default().chars().take(500).collect(),
                })
            }
            _ => None,
        };
        let limit = detail.limit_name.filter(|_| kind == Kind::LimitBreach).map(|name| name.chars().filter(|c| !c.is_control()).take(100).collect());
        Ok(Self { id: envelope.id, time_ms, channel_arn, stream_id, kind, recording, limit })
    }
}

/// A channel's broadcast as its events tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub stream_id: String,
    /// The earliest event of the session.
    pub started_ms: i64,
    /// Started and not ended.
    pub live: bool,
    pub health: Health,
}

/// The newest broadcast of `channel_arn` among `events`, whatever their order and however often
/// each appears. The newest is the one whose first known event is latest, so a late event of an
/// earlier broadcast changes nothing.
pub fn fold(events: &[StreamEvent], channel_arn: &str) -> Option<Session> {
    let of_channel = || events.iter().filter(|e| e.channel_arn == channel_arn);
    let newest = of_channel()
        .filter_map(|e| e.stream_id.as_deref())
        .map(|id| {
            let first = of_channel().filter(|e| e.stream_id.as_deref() == Some(id)).map(|e| e.time_ms).min().unwrap_or(i64::MAX);
            (first, id)
        })
        .max()?;
    let (started_ms, stream_id) = newest;
    let session: Vec<&StreamEvent> = of_channel().filter(|e| e.stream_id.as_deref() == Some(stream_id)).collect();
    let started = session.iter().any(|e| e.kind == Kind::StreamStart);
    let ended = session.iter().any(|e| e.kind.ends());
    // The latest starvation event decides; at the same instant, the end of starvation wins.
    let starving = session
        .iter()
        .filter(|e| matches!(e.kind, Kind::StarvationStart | Kind::StarvationEnd))
        .max_by_key(|e| (e.time_ms, e.kind == Kind::StarvationEnd))
        .is_some_and(|e| e.kind == Kind::StarvationStart);
    let live = started && !ended;
    let health = match (live, starving) {
        (false, _) => Health::Unknown,
        (true, true) => Health::Starving,
        (true, false) => Health::Healthy,
    };
    Some(Session { stream_id: stream_id.to_owned(), started_ms, live, health })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abc";

    fn envelope(id: &str, time: &str, detail_type: &str, event_name: &str, stream: &str) -> String {
        serde_json::json!({
            "version": "0", "id": id, "detail-type": detail_type, "source": "aws.ivs", "account": "123456789012",
            "time": time, "region": "us-west-2", "resources": [ARN],
            "detail": { "event_name": event_name, "channel_name": "abc", "stream_id": stream }
        })
        .to_string()
    }

    fn event(id: &str, second: u32, name: &str, stream: &str) -> StreamEvent {
        let detail_type = if name.starts_with("Starvation") { "IVS Stream Health Change" } else { "IVS Stream State Change" };
        StreamEvent::parse(envelope(id, &format!("2026-11-29T10:00:{second:02}Z"), detail_type, name, stream).as_bytes()).unwrap()
    }

    #[test]
    fn a_kinds_name_is_how_it_travels() {
        use Kind::*;
        let every = [
            SessionCreated,
            StreamStart,
            StreamEnd,
            SessionEnded,
            StreamFailure,
            StreamTakeover,
            StarvationStart,
            StarvationEnd,
            RecordingStart,
            RecordingEnd,
            RecordingFailure,
            LimitBreach,
        ];
        for kind in every {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }

    #[test]
    fn reads_the_real_envelope() {
        let e = event("e1", 5, "Stream Start", "st-1Abc");
        assert_eq!((e.kind, e.stream_id.as_deref(), e.channel_arn.as_str()), (Kind::StreamStart, Some("st-1Abc"), ARN));
        assert_eq!(e.time_ms % 60_000, 5_000);
        let health = envelope("e2", "2026-11-29T10:00:00Z", "IVS Stream Health Change", "Starvation Start", "st-1");
        assert_eq!(StreamEvent::parse(health.as_bytes()).unwrap().kind, Kind::StarvationStart);
        let other_source = envelope("e3", "2026-11-29T10:00:00Z", "IVS Stream State Change", "Stream Start", "st-1").replace("aws.ivs", "aws.s3");
        assert!(matches!(StreamEvent::parse(other_source.as_bytes()), Err(EventError::Source(_))));
        assert!(matches!(StreamEvent::parse(b"{}"), Err(EventError::Malformed(_))));
        assert!(matches!(StreamEvent::parse(&vec![b' '; MAX_EVENT_BYTES + 1]), Err(EventError::TooLarge)));
        let bad_time = envelope("e4", "yesterday", "IVS Stream State Change", "Stream Start", "st-1");
        assert!(matches!(StreamEvent::parse(bad_time.as_bytes()), Err(EventError::Time(_))));
        let unknown = envelope("e5", "2026-11-29T10:00:00Z", "IVS Stream State Change", "Stream Dance", "st-1");
        assert!(matches!(StreamEvent::parse(unknown.as_bytes()), Err(EventError::Ignored(_))));
    }

    #[test]
    fn a_recording_event_says_where_the_recording_is() {
        let ended = serde_json::json!({
            "version": "0", "id": "r1", "detail-type": "IVS Recording State Change", "source": "aws.ivs", "account": "123456789012",
            "time": "2026-11-29T10:05:00Z", "region": "us-west-2", "resources": [ARN],
            "detail": { "channel_name": "abc", "stream_id": "st-1", "recording_status": "Recording End", "recording_status_reason": "",
                "recording_s3_bucket_name": "shows", "recording_s3_key_prefix": "ivs/v1/123456789012/abc/2026/11/29/10/0/Rec1",
                "recording_duration_ms": 300000, "recording_session_id": "Rec1" }
        });
        let e = StreamEvent::parse(ended.to_string().as_bytes()).unwrap();
        let fact = e.recording.expect("a recording's facts");
        assert_eq!((e.kind, fact.bucket.as_str(), fact.duration_ms, fact.stream_id.as_str()), (Kind::RecordingEnd, "shows", 300_000, "st-1"));
        assert_eq!(crate::recordings::recording_id(&fact.prefix), Some("Rec1"));
        let mut no_prefix = ended.clone();
        no_prefix["detail"]["recording_s3_key_prefix"] = "../<x>".into();
        assert!(matches!(StreamEvent::parse(no_prefix.to_string().as_bytes()), Err(EventError::Malformed(_))));
        assert_eq!(event("s", 1, "Stream Start", "st-1").recording, None);
    }

    #[test]
    fn the_state_is_the_same_in_any_order_and_with_duplicates() {
        let events = vec![
            event("a", 1, "Session Created", "st-1"),
            event("b", 2, "Stream Start", "st-1"),
            event("c", 30, "Starvation Start", "st-1"),
            event("d", 40, "Starvation End", "st-1"),
        ];
        let expected = Session { stream_id: "st-1".into(), started_ms: events[0].time_ms, live: true, health: Health::Healthy };
        let mut shuffled = events.clone();
        for _ in 0..events.len() {
            shuffled.rotate_left(1);
            assert_eq!(fold(&shuffled, ARN), Some(expected.clone()));
            let mut twice = shuffled.clone();
            twice.extend(shuffled.iter().cloned());
            assert_eq!(fold(&twice, ARN), Some(expected.clone()));
        }
        assert_eq!(fold(&events[..3], ARN).unwrap().health, Health::Starving);
        assert_eq!(fold(&events, "arn:aws:ivs:us-west-2:123456789012:channel/other"), None);
    }

    #[test]
    fn ends_count_in_any_order_and_a_late_event_of_an_old_broadcast_changes_nothing() {
        // "Session Ended" may arrive before "Stream End"; either ends the broadcast.
        let ended = [event("a", 1, "Stream Start", "st-1"), event("b", 9, "Session Ended", "st-1")];
        assert!(!fold(&ended, ARN).unwrap().live);
        let next = [
            event("a", 1, "Stream Start", "st-1"),
            event("c", 20, "Stream Start", "st-2"),
            // st-1's end, delivered late, after st-2 began.
            event("b", 25, "Stream End", "st-1"),
        ];
        let session = fold(&next, ARN).unwrap();
        assert_eq!((session.stream_id.as_str(), session.live), ("st-2", true));
        // Only an end is known of a broadcast: it is the newest, and it is over.
        let only_end = [event("a", 1, "Stream Start", "st-1"), event("z", 50, "Stream End", "st-3")];
        assert_eq!(fold(&only_end, ARN).map(|s| (s.stream_id, s.live)), Some(("st-3".into(), false)));
    }
}
