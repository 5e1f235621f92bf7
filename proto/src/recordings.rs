//! Past broadcasts, as the site server keeps them and the viewer lists and replays them.
//!
//! IVS records a broadcast to S3 and says so with `IVS Recording State Change` events: "Recording
//! Start", then "Recording End" (or a failure). Events come at least once and in no promised
//! order, to whichever instance of the site server: so a recording is kept as *facts* — one per
//! event kind, each written on its own and never read-modified-written — and what a recording is
//! now is a fold over its facts ([`Recording::from_facts`]), the same whatever came first. A
//! broadcast is replayable only once its end is known ("do not assume recordings are instantly
//! available").

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The fact names a recording's events write.
pub mod fact {
    pub const START: &str = "start";
    pub const END: &str = "end";
    pub const FAILURE: &str = "failure";
}

/// What one recording event says (the `detail` of `IVS Recording State Change`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingFact {
    /// The event's time (ms since the epoch).
    pub time_ms: i64,
    pub stream_id: String,
    pub bucket: String,
    /// `ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<m>/<recording id>`.
    pub prefix: String,
    #[serde(default)]
    pub duration_ms: i64,
    #[serde(default)]
    pub reason: String,
}

/// Where a recording is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingState {
    /// Being recorded: not replayable yet.
    Recording,
    /// Ended: replayable.
    Ready,
    /// IVS could not record it (or finish it).
    Failed,
}

/// A recording as the site's API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    /// The recording's id (the last part of its prefix).
    pub id: String,
    pub stream_id: String,
    pub state: RecordingState,
    /// When the broadcast started and ended (ms since the epoch).
    pub started_ms: i64,
    #[serde(default)]
    pub ended_ms: Option<i64>,
    #[serde(default)]
    pub duration_secs: Option<f64>,
    /// Why it failed, in IVS's words.
    #[serde(default)]
    pub reason: Option<String>,
    /// The recording's master playlist, once it is replayable.
    #[serde(default)]
    pub playback_url: Option<String>,
    /// A picture from it (IVS's latest thumbnail), once it is replayable.
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// While it records: its master playlist so far (growing), to rewind or clip the broadcast.
    #[serde(default)]
    pub rewind_url: Option<String>,
}

/// A page of recordings, newest first; `next` asks for the page after it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingPage {
    pub recordings: Vec<Recording>,
    #[serde(default)]
    pub next: Option<String>,
}

/// The id of the recording under `prefix` (its last part), if the prefix is IVS's shape.
pub fn recording_id(prefix: &str) -> Option<&str> {
    let id = prefix.trim_end_matches('/').rsplit('/').next()?;
    (!id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')).then_some(id)
}

impl Recording {
    /// What recording `id` is now, from its facts (by name, as JSON); `base_url` is where its
    /// bucket is served (a CDN in front of it). `None` when no fact reads.
    pub fn from_facts(id: &str, facts: &HashMap<String, String>, base_url: &str) -> Option<Self> {
        let read = |name: &str| facts.get(name).and_then(|json| serde_json::from_str::<RecordingFact>(json).ok());
        let (start, end, failure) = (read(fact::START), read(fact::END), read(fact::FAILURE));
        let any = start.as_ref().or(end.as_ref()).or(failure.as_ref())?;
        let started_ms = match (&start, &end) {
            (Some(start), _) => start.time_ms,
            (None, Some(end)) => end.time_ms - end.duration_ms,
            (None, None) => any.time_ms,
        };
        let state = if failure.is_some() {
            RecordingState::Failed
        } else if end.is_some() {
            RecordingState::Ready
        } else {
            RecordingState::Recording
        };
        let prefix = any.prefix.trim_matches('/').to_owned();
        let stream_id = any.stream_id.clone();
        let under = |path: &str| format!("{}/{prefix}/{path}", base_url.trim_end_matches('/'));
        let ready = state == RecordingState::Ready;
        Some(Self {
            id: id.to_owned(),
            stream_id,
            state,
            started_ms,
            ended_ms: end.as_ref().or(failure.as_ref()).map(|e| e.time_ms),
            duration_secs: end.as_ref().map(|e| e.duration_ms as f64 / 1000.0),
            reason: failure.as_ref().map(|f| f.reason.clone()).filter(|r| !r.is_empty()),
            playback_url: ready.then(|| under("media/hls/master.m3u8")),
            thumbnail_url: ready.then(|| under("media/latest_thumbnail/thumb.jpg")),
            rewind_url: (state == RecordingState::Recording).then(|| under("media/hls/master.m3u8")),
        })
    }
}

/// A duration in words for a list: `1:02:03`, `4:05`.
pub fn duration_text(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "ivs/v1/000000000000/local/2026/12/3/15/20/AbCd1234";

    fn fact(time_ms: i64, duration_ms: i64, reason: &str) -> String {
        let f = RecordingFact { time_ms, stream_id: "st-1".into(), bucket: "b".into(), prefix: PREFIX.into(), duration_ms, reason: reason.into() };
        serde_json::to_string(&f).unwrap()
    }

    #[test]
    fn a_recording_is_the_fold_of_its_facts_in_any_order() {
        let base = "https://d111.cloudfront.net/";
        let started = HashMap::from([(fact::START.to_owned(), fact(1_000, 0, ""))]);
        let r = Recording::from_facts("AbCd1234", &started, base).unwrap();
        assert_eq!((r.state, r.started_ms, r.playback_url), (RecordingState::Recording, 1_000, None), "not replayable before its end");
        assert!(r.rewind_url.is_some_and(|u| u.ends_with("AbCd1234/media/hls/master.m3u8")), "but rewound and clipped as it grows");

        let ended_only = HashMap::from([(fact::END.to_owned(), fact(61_000, 59_500, ""))]);
        let r = Recording::from_facts("AbCd1234", &ended_only, base).unwrap();
        assert_eq!((r.state, r.started_ms, r.duration_secs), (RecordingState::Ready, 1_500, Some(59.5)), "the end arrived first");
        assert_eq!(r.playback_url.as_deref(), Some("https://d111.cloudfront.net/ivs/v1/000000000000/local/2026/12/3/15/20/AbCd1234/media/hls/master.m3u8"));

        let both = HashMap::from([(fact::START.to_owned(), fact(1_000, 0, "")), (fact::END.to_owned(), fact(61_000, 59_500, ""))]);
        let r = Recording::from_facts("AbCd1234", &both, base).unwrap();
        assert_eq!((r.state, r.started_ms, r.ended_ms), (RecordingState::Ready, 1_000, Some(61_000)));

        let failed = HashMap::from([(fact::START.to_owned(), fact(1_000, 0, "")), (fact::FAILURE.to_owned(), fact(5_000, 0, "S3 access denied"))]);
        let r = Recording::from_facts("AbCd1234", &failed, base).unwrap();
        assert_eq!((r.state, r.reason.as_deref(), r.playback_url), (RecordingState::Failed, Some("S3 access denied"), None), "shown as failed, not missing");

        assert_eq!(Recording::from_facts("x", &HashMap::from([(fact::START.to_owned(), "{".to_owned())]), base), None);
    }

    #[test]
    fn ids_come_from_ivs_s_prefix() {
        assert_eq!(recording_id(PREFIX), Some("AbCd1234"));
        assert_eq!(recording_id("ivs/v1/x/"), Some("x"));
        assert_eq!(recording_id("a/../<b>"), None);
        assert_eq!(recording_id(""), None);
    }

    #[test]
    fn durations_read_as_clocks() {
        assert_eq!([4.4, 65.0, 3723.0].map(duration_text), ["0:04", "1:05", "1:02:03"]);
    }
}
