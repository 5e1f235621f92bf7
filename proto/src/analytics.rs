//! Viewer analytics: what a viewer's page reports about how playback went, and the per-minute
//! sums the site server keeps of it.
//!
//! A page reports every [`REPORT_EVERY_MS`] (the site may ask for less) and once more as it is
//! hidden, each report about the time since the one before: watch time, the first frame's delay
//! (once), stalls, errors by IVS's error type, time per rendition, chat messages sent, polls seen
//! and voted in. It carries no identity of its own: the server knows whose cookie sent it and
//! keeps only sums.
//!
//! Every figure the server keeps is a sum ([`Sums`]), so what several instances took in for one
//! minute adds up in the store, in any order, with no reading back. Viewers per minute are counted
//! by the pages themselves: a report names the minutes in which its picture played or stalled that
//! it has not named before, so each page counts once in each minute it watched — concurrent viewers
//! with no set of who watched kept anywhere. The first frame's p50 and p95 come from a histogram of
//! fixed buckets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// How often a page reports while it plays.
pub const REPORT_EVERY_MS: u64 = 60_000;
/// The largest report taken (a report is a few hundred bytes).
pub const MAX_REPORT_BYTES: usize = 4096;
/// A minute, the unit the sums are kept in.
pub const MINUTE_MS: i64 = 60_000;
/// How long sums are kept: 30 days.
pub const KEPT_MS: i64 = 30 * 24 * 60 * MINUTE_MS;
/// The most a report can tell of (a page whose timers a hidden tab slowed reports late).
pub const MAX_SPAN_MS: u64 = 15 * 60_000;
/// A first frame later than this is not a first frame but a page left open before playing.
pub const MAX_FIRST_FRAME_MS: u64 = 120_000;
/// The most error types and renditions one report names.
pub const MAX_NAMES: usize = 8;
/// How far back a report may name minutes it was watched in.
pub const MAX_MINUTES_BACK: i32 = 15;
/// The upper bounds (ms) of the first-frame histogram's buckets; the last is open.
pub const FIRST_FRAME_BUCKETS: [u64; 15] = [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10_000, 15_000, 30_000];

/// The IVS Player's error types (`ErrorType`), the only names errors are counted under; any other
/// is counted as `Other`.
pub const ERROR_TYPES: [&str; 11] = [
    "ErrorAuthorization",
    "ErrorGeneric",
    "ErrorInvalidData",
    "ErrorInvalidParameter",
    "ErrorInvalidState",
    "ErrorNetwork",
    "ErrorNetworkIO",
    "ErrorNoSource",
    "ErrorNotAvailable",
    "ErrorNotSupported",
    "ErrorTimeout",
];

/// What a page sends (`POST /api/analytics`): the time since its last report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Report {
    /// The share of viewers that report (the site's `analytics.sample_rate`, as the page was
    /// given it): this report stands for `1 / sample` viewers.
    pub sample: f64,
    /// Milliseconds the picture played.
    pub watch_ms: u64,
    /// The minutes in which the picture played or stalled, not named before: 0 is the minute the
    /// report is sent in, -1 the one before, and so on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub present_minutes: Vec<i32>,
    /// From the page's start to the first frame; in the first report after it only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_frame_ms: Option<u64>,
    /// Stalls (playing → buffering) and the time spent in them.
    pub rebuffers: u32,
    pub rebuffer_ms: u64,
    /// Errors by IVS's error type.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u32>,
    /// Milliseconds played per rendition (its name: "720p60", "audio_only").
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub renditions: BTreeMap<String, u64>,
    pub chat_sent: u32,
    pub polls_seen: u32,
    pub polls_voted: u32,
}

/// Why a report was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("a report is at most {MAX_REPORT_BYTES} bytes")]
    TooLarge,
    #[error("not a report: {0}")]
    NotJson(String),
}

impl Report {
    /// Reads a report as a page sent it, bounded: figures beyond what a report can tell of are
    /// cut to it, unknown error types are `Other`, odd rendition names are dropped, at most
    /// [`MAX_NAMES`] of each.
    pub fn parse(body: &[u8]) -> Result<Self, ReportError> {
        if body.len() > MAX_REPORT_BYTES {
            return Err(ReportError::TooLarge);
        }
        let mut report: Report = serde_json::from_slice(body).map_err(|e| ReportError::NotJson(e.to_string()))?;
        report.bound();
        Ok(report)
    }

    fn bound(&mut self) {
        if !(self.sample > 0.0 && self.sample <= 1.0) {
            self.sample = 1.0;
        }
        self.watch_ms = self.watch_ms.min(MAX_SPAN_MS);
        self.present_minutes.retain(|m| (-MAX_MINUTES_BACK..=0).contains(m));
        self.present_minutes.sort_unstable();
        self.present_minutes.dedup();
        self.rebuffer_ms = self.rebuffer_ms.min(MAX_SPAN_MS);
        self.rebuffers = self.rebuffers.min(1000);
        self.first_frame_ms = self.first_frame_ms.filter(|ms| *ms <= MAX_FIRST_FRAME_MS);
        self.chat_sent = self.chat_sent.min(1000);
        self.polls_seen = self.polls_seen.min(100);
        self.polls_voted = self.polls_voted.min(self.polls_seen.max(1)).min(100);
        let mut errors = BTreeMap::new();
        for (kind, count) in std::mem::take(&mut self.errors).into_iter().take(MAX_NAMES) {
            let kind = ERROR_TYPES.iter().find(|known| **known == kind).map_or("Other", |known| known);
            *errors.entry(kind.to_owned()).or_insert(0u32) += count.min(1000);
        }
        self.errors = errors;
        self.renditions = std::mem::take(&mut self.renditions)
            .into_iter()
            .filter(|(name, _)| is_rendition_name(name))
            .take(MAX_NAMES)
            .map(|(name, ms)| (name, ms.min(MAX_SPAN_MS)))
            .collect();
    }

    /// The minutes (their starts) the page watched in, for a report the server takes at `now_ms`.
    pub fn present_in(&self, now_ms: i64) -> impl Iterator<Item = i64> + '_ {
        let this = minute_of(now_ms);
        self.present_minutes.iter().map(move |back| this + i64::from(*back) * MINUTE_MS)
    }

    /// The report as a page sends it: the JSON serde would write, written by hand so that a page
    /// carries no serializer for it (its names are IVS's error types and rendition names, which
    /// need no escaping; any other is left out).
    pub fn to_json(&self) -> String {
        let mut json = String::with_capacity(256);
        let _ = write!(json, "{{\"sample\":{:?},\"watchMs\":{}", self.sample, self.watch_ms);
        if !self.present_minutes.is_empty() {
            let minutes: Vec<String> = self.present_minutes.iter().map(i32::to_string).collect();
            let _ = write!(json, ",\"presentMinutes\":[{}]", minutes.join(","));
        }
        if let Some(ms) = self.first_frame_ms {
            let _ = write!(json, ",\"firstFrameMs\":{ms}");
        }
        let _ = write!(json, ",\"rebuffers\":{},\"rebufferMs\":{}", self.rebuffers, self.rebuffer_ms);
        let map = |json: &mut String, name: &str, entries: Vec<(&String, u64)>| {
            let entries: Vec<String> = entries.into_iter().filter(|(k, _)| is_rendition_name(k)).map(|(k, v)| format!("\"{k}\":{v}")).collect();
            if !entries.is_empty() {
                let _ = write!(json, ",\"{name}\":{{{}}}", entries.join(","));
            }
        };
        map(&mut json, "errors", self.errors.iter().map(|(k, v)| (k, u64::from(*v))).collect());
        map(&mut json, "renditions", self.renditions.iter().map(|(k, v)| (k, *v)).collect());
        let _ = write!(json, ",\"chatSent\":{},\"pollsSeen\":{},\"pollsVoted\":{}}}", self.chat_sent, self.polls_seen, self.polls_voted);
        json
    }

    /// How many viewers this report stands for.
    pub fn weight(&self) -> i64 {
        (1.0 / self.sample).round().clamp(1.0, 1000.0) as i64
    }

    /// Whether there is anything in it.
    pub fn is_empty(&self) -> bool {
        *self == Report { sample: self.sample, ..Report::default() }
    }
}

/// A rendition's name as IVS gives them: letters, digits and `_`, at most 16.
pub fn is_rendition_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 16 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The minute `time_ms` falls in (its start).
pub fn minute_of(time_ms: i64) -> i64 {
    time_ms.div_euclid(MINUTE_MS) * MINUTE_MS
}

/// What the server keeps per broadcast per minute: sums only, by field name (see [`Sums::add`]
/// for the names), so that sums from anywhere add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums(pub BTreeMap<String, i64>);

/// The fields' names.
mod field {
    pub const REPORTS: &str = "reports";
    pub const WATCH_MS: &str = "watch_ms";
    /// Pages that watched in the minute.
    pub const VIEWERS: &str = "viewers";
    pub const FIRST_FRAMES: &str = "ff_n";
    pub const FIRST_FRAME_MS: &str = "ff_ms";
    pub const FIRST_FRAME_BUCKET: &str = "ff_b";
    pub const REBUFFERS: &str = "rebuffers";
    pub const REBUFFER_MS: &str = "rebuffer_ms";
    pub const ERROR: &str = "err:";
    pub const RENDITION: &str = "q:";
    pub const CHAT: &str = "chat";
    pub const POLLS_SEEN: &str = "polls_seen";
    pub const POLLS_VOTED: &str = "polls_voted";
    /// Votes the server counted (all of them: not sampled).
    pub const VOTES: &str = "votes";
}

impl Sums {
    fn bump(&mut self, field: &str, by: i64) {
        if by != 0 {
            *self.0.entry(field.to_owned()).or_insert(0) += by;
        }
    }

    fn get(&self, field: &str) -> i64 {
        self.0.get(field).copied().unwrap_or(0)
    }

    /// Adds `report`, weighted by the viewers it stands for.
    pub fn add(&mut self, report: &Report) {
        let w = report.weight();
        self.bump(field::REPORTS, w);
        self.bump(field::WATCH_MS, w * report.watch_ms as i64);
        if let Some(ms) = report.first_frame_ms {
            self.bump(field::FIRST_FRAMES, w);
            self.bump(field::FIRST_FRAME_MS, w * ms as i64);
            let bucket = FIRST_FRAME_BUCKETS.iter().position(|bound| ms <= *bound).unwrap_or(FIRST_FRAME_BUCKETS.len());
            self.bump(&format!("{}{bucket}", field::FIRST_FRAME_BUCKET), w);
        }
        self.bump(field::REBUFFERS, w * i64::from(report.rebuffers));
        self.bump(field::REBUFFER_MS, w * report.rebuffer_ms as i64);
        for (kind, count) in &report.errors {
            self.bump(&format!("{}{kind}", field::ERROR), w * i64::from(*count));
        }
        for (name, ms) in &report.renditions {
            self.bump(&format!("{}{name}", field::RENDITION), w * *ms as i64);
        }
        self.bump(field::CHAT, w * i64::from(report.chat_sent));
        self.bump(field::POLLS_SEEN, w * i64::from(report.polls_seen));
        self.bump(field::POLLS_VOTED, w * i64::from(report.polls_voted));
    }

    /// A page (standing for `weight` viewers) watched in this minute.
    pub fn add_viewer(&mut self, weight: i64) {
        self.bump(field::VIEWERS, weight);
    }

    /// A vote the server counted.
    pub fn add_vote(&mut self) {
        self.bump(field::VOTES, 1);
    }

    /// Adds another minute's (or instance's) sums.
    pub fn merge(&mut self, other: &Sums) {
        for (field, value) in &other.0 {
            self.bump(field, *value);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first frame's delay at percentile `p` (0–100), read from the histogram: the bucket it
    /// falls in, linearly within it; `None` without first frames.
    pub fn first_frame_percentile(&self, p: f64) -> Option<u64> {
        let counts: Vec<i64> = (0..=FIRST_FRAME_BUCKETS.len()).map(|b| self.get(&format!("{}{b}", field::FIRST_FRAME_BUCKET))).collect();
        let total: i64 = counts.iter().sum();
        if total <= 0 {
            return None;
        }
        let rank = (p / 100.0 * total as f64).max(1.0);
        let mut below = 0i64;
        for (bucket, count) in counts.iter().enumerate() {
            if *count > 0 && (below + count) as f64 >= rank {
                let low = if bucket == 0 { 0 } else { FIRST_FRAME_BUCKETS[bucket - 1] };
                let high = FIRST_FRAME_BUCKETS.get(bucket).copied().unwrap_or(2 * low);
                let within = ((rank - below as f64) / *count as f64).clamp(0.0, 1.0);
                return Some(low + ((high - low) as f64 * within).round() as u64);
            }
            below += count;
        }
        None
    }

    /// This minute as the studio draws it.
    pub fn point(&self, minute_ms: i64) -> Point {
        let watch = self.get(field::WATCH_MS);
        let stalled = self.get(field::REBUFFER_MS);
        let named = |prefix: &str| -> BTreeMap<String, i64> {
            self.0.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|name| (name.to_owned(), *v))).filter(|(_, v)| *v > 0).collect()
        };
        Point {
            minute_ms,
            viewers: self.get(field::VIEWERS),
            watch_ms: watch,
            reports: self.get(field::REPORTS),
            first_frame_p50_ms: self.first_frame_percentile(50.0),
            first_frame_p95_ms: self.first_frame_percentile(95.0),
            rebuffers: self.get(field::REBUFFERS),
            rebuffer_ratio: if watch + stalled > 0 { stalled as f64 / (watch + stalled) as f64 } else { 0.0 },
            errors: named(field::ERROR),
            renditions_ms: named(field::RENDITION),
            chat_messages: self.get(field::CHAT),
            votes: self.get(field::VOTES),
            polls_seen: self.get(field::POLLS_SEEN),
            polls_voted: self.get(field::POLLS_VOTED),
        }
    }
}

/// One minute of a broadcast, as the studio draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub minute_ms: i64,
    /// Viewers who watched in the minute (in the whole broadcast's: at the most in a minute).
    pub viewers: i64,
    /// Time played, by all of them.
    pub watch_ms: i64,
    pub reports: i64,
    pub first_frame_p50_ms: Option<u64>,
    pub first_frame_p95_ms: Option<u64>,
    pub rebuffers: i64,
    /// Time stalled over time watching or stalled.
    pub rebuffer_ratio: f64,
    pub errors: BTreeMap<String, i64>,
    pub renditions_ms: BTreeMap<String, i64>,
    pub chat_messages: i64,
    pub votes: i64,
    pub polls_seen: i64,
    pub polls_voted: i64,
}

/// A broadcast with analytics (`GET /api/studio/analytics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Broadcast {
    /// IVS's stream id, or [`OFFLINE`].
    pub id: String,
    /// Its latest minute with reports.
    pub last_minute_ms: i64,
}

/// Where reports go while the channel is not live (the offline slate, replays).
pub const OFFLINE: &str = "offline";

/// One broadcast's minutes (`GET /api/studio/analytics?broadcast=`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub broadcast: String,
    /// Oldest first, a point per minute with reports (minutes without are not there).
    pub points: Vec<Point>,
    /// Every minute's sums together: the broadcast as a whole (its first minute's time).
    pub total: Point,
}

impl Series {
    /// `broadcast`'s series from its minutes' sums, oldest first.
    pub fn from_minutes(broadcast: &str, minutes: &[(i64, Sums)]) -> Self {
        let mut all = Sums::default();
        minutes.iter().for_each(|(_, sums)| all.merge(sums));
        let points: Vec<Point> = minutes.iter().map(|(minute, sums)| sums.point(*minute)).collect();
        let mut total = all.point(minutes.first().map_or(0, |(minute, _)| *minute));
        total.viewers = points.iter().map(|p| p.viewers).max().unwrap_or(0);
        Self { broadcast: broadcast.to_owned(), points, total }
    }

    /// The renditions' shares of the time played in the whole broadcast, the largest first.
    pub fn rendition_shares(&self) -> Vec<(String, f64)> {
        let all: i64 = self.total.renditions_ms.values().sum();
        let mut shares: Vec<(String, f64)> = self.total.renditions_ms.iter().map(|(name, ms)| (name.clone(), *ms as f64 / all.max(1) as f64)).collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shares
    }

    /// The series as CSV, a row per minute: time (ISO 8601, UTC) and every figure; the error
    /// types and renditions that occur get a column each.
    pub fn to_csv(&self) -> String {
        let mut error_kinds: Vec<&str> = self.points.iter().flat_map(|p| p.errors.keys().map(String::as_str)).collect();
        error_kinds.sort_unstable();
        error_kinds.dedup();
        let mut renditions: Vec<&str> = self.points.iter().flat_map(|p| p.renditions_ms.keys().map(String::as_str)).collect();
        renditions.sort_unstable();
        renditions.dedup();
        let mut csv = String::from(
            "minute,viewers,watch_ms,reports,first_frame_p50_ms,first_frame_p95_ms,rebuffers,rebuffer_ratio,chat_messages,votes,polls_seen,polls_voted",
        );
        for kind in &error_kinds {
            csv.push_str(&format!(",errors_{kind}"));
        }
        for name in &renditions {
            csv.push_str(&format!(",rendition_ms_{name}"));
        }
        csv.push('\n');
        let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        for p in &self.points {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{:.4},{},{},{},{}",
                iso_minute(p.minute_ms),
                p.viewers,
                p.watch_ms,
                p.reports,
                optional(p.first_frame_p50_ms),
                optional(p.first_frame_p95_ms),
                p.rebuffers,
                p.rebuffer_ratio,
                p.chat_messages,
                p.votes,
                p.polls_seen,
                p.polls_voted
            ));
            for kind in &error_kinds {
                csv.push_str(&format!(",{}", p.errors.get(*kind).copied().unwrap_or(0)));
            }
            for name in &renditions {
                csv.push_str(&format!(",{}", p.renditions_ms.get(*name).copied().unwrap_or(0)));
            }
            csv.push('\n');
        }
        csv
    }
}

/// `values` as (time, value) drawn in a `width` × `height` box (y down, 0 at the top): time
/// across from the first to the last, the value up to `top` (at least the highest value); an SVG
/// polyline's `points`. One value is drawn at the right edge.
pub fn polyline(values: &[(i64, f64)], width: f64, height: f64, top: f64) -> String {
    let (Some(first), Some(last)) = (values.first(), values.last()) else { return String::new() };
    let span = (last.0 - first.0).max(1) as f64;
    let top = values.iter().map(|v| v.1).fold(top, f64::max).max(f64::MIN_POSITIVE);
    values
        .iter()
        .map(|(time, value)| {
            let x = if values.len() == 1 { width } else { (time - first.0) as f64 / span * width };
            let y = height - value.max(0.0) / top * height;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2026-12-04T15:07Z` for a minute's start.
pub fn iso_minute(minute_ms: i64) -> String {
    let minutes = minute_ms.div_euclid(MINUTE_MS);
    let (days, of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}Z", of_day / 60, of_day % 60)
}

/// What a page adds up between two reports, from the player's events (pure: the page gives it
/// the time of each event).
#[derive(Debug, Clone, Default)]
pub struct Collector {
    report: Report,
    /// Since when the picture plays, in which rendition.
    playing_since: Option<f64>,
    rendition: Option<String>,
    /// Since when it stalls.
    stalled_since: Option<f64>,
    first_frame_told: bool,
    /// The wall clock (ms since the epoch) when the page's clock was 0.
    origin_ms: f64,
    /// Minutes (wall clock) watched in, not yet named in a report; and those already named (a
    /// few each: plain lists).
    present: Vec<i64>,
    named: Vec<i64>,
}

impl Collector {
    /// A collector for a page kept at `sample`, whose clock (`performance.now()`) started at
    /// `origin_ms` on the wall clock (`performance.timeOrigin`).
    pub fn new(sample: f64, origin_ms: f64) -> Self {
        Self { report: Report { sample, ..Report::default() }, origin_ms, ..Self::default() }
    }

    fn minute(&self, at: f64) -> i64 {
        minute_of((self.origin_ms + at) as i64)
    }

    /// The minutes from `since` to `now` were watched in.
    fn watched(&mut self, since: f64, now: f64) {
        let (first, last) = (self.minute(since), self.minute(now));
        let first = first.max(last - i64::from(MAX_MINUTES_BACK) * MINUTE_MS);
        for minute in (first..=last).step_by(MINUTE_MS as usize) {
            if !self.named.contains(&minute) && !self.present.contains(&minute) {
                self.present.push(minute);
            }
        }
    }

    /// From now on, reports stand for `1 / sample` viewers (the page learnt the site's sample
    /// after it began collecting).
    pub fn set_sample(&mut self, sample: f64) {
        self.report.sample = sample;
    }

    /// The first frame, `ms` after the page started (told once).
    pub fn first_frame(&mut self, ms: f64) {
        if !self.first_frame_told && ms.is_finite() && ms >= 0.0 {
            self.first_frame_told = true;
            self.report.first_frame_ms = Some(ms.round() as u64);
        }
    }

    /// The player's state at `now` (ms): `playing`, or `buffering` (a stall only after it played).
    pub fn state(&mut self, now: f64, playing: bool, buffering: bool) {
        self.close_spans(now);
        if buffering && self.first_frame_told && self.stalled_since.is_none() && self.playing_since.is_some() {
            self.report.rebuffers += 1;
        }
        self.playing_since = playing.then_some(now);
        self.stalled_since = (buffering && self.first_frame_told).then_some(now);
        if self.playing_since.is_some() || self.stalled_since.is_some() {
            self.watched(now, now);
        }
    }

    /// The rendition playing from `now` on.
    pub fn rendition(&mut self, now: f64, name: &str) {
        if self.rendition.as_deref() == Some(name) {
            return;
        }
        self.close_spans(now);
        self.rendition = is_rendition_name(name).then(|| name.to_owned());
    }

    /// An error of IVS's type `kind` (another name is counted as `Other`, as the server would).
    pub fn error(&mut self, kind: &str) {
        let kind = ERROR_TYPES.iter().find(|known| **known == kind).map_or("Other", |known| known);
        if self.report.errors.len() < MAX_NAMES || self.report.errors.contains_key(kind) {
            *self.report.errors.entry(kind.to_owned()).or_insert(0) += 1;
        }
    }

    pub fn chat_sent(&mut self) {
        self.report.chat_sent += 1;
    }

    pub fn poll_seen(&mut self) {
        self.report.polls_seen += 1;
    }

    pub fn voted(&mut self) {
        self.report.polls_voted += 1;
    }

    /// Adds the time since the open spans began to the report, and starts them again at `now`.
    fn close_spans(&mut self, now: f64) {
        if let Some(since) = self.playing_since.or(self.stalled_since) {
            self.watched(since, now);
        }
        if let Some(since) = self.playing_since {
            self.playing_since = Some(now);
            let ms = (now - since).max(0.0).round() as u64;
            self.report.watch_ms += ms;
            if let Some(name) = self.rendition.as_ref().filter(|_| ms > 0) {
                *self.report.renditions.entry(name.clone()).or_insert(0) += ms;
            }
        }
        if let Some(since) = self.stalled_since {
            self.stalled_since = Some(now);
            self.report.rebuffer_ms += (now - since).max(0.0).round() as u64;
        }
    }

    /// The report of everything since the last one, as of `now`, or `None` when there is nothing
    /// to tell; the next begins now.
    pub fn take(&mut self, now: f64) -> Option<Report> {
        self.close_spans(now);
        let sample = self.report.sample;
        let mut report = std::mem::replace(&mut self.report, Report { sample, ..Report::default() });
        let this = self.minute(now);
        self.present.sort_unstable();
        report.present_minutes = self.present.iter().map(|m| ((m - this) / MINUTE_MS) as i32).filter(|back| *back >= -MAX_MINUTES_BACK).collect();
        self.named.append(&mut self.present);
        // Only minutes a later report could still name are remembered.
        self.named.retain(|m| *m >= this - i64::from(MAX_MINUTES_BACK) * MINUTE_MS);
        (!report.is_empty()).then_some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_bounded_as_it_is_read() {
        let body = br#"{"sample":0.1,"watchMs":99999999,"firstFrameMs":999999,"rebuffers":3,"rebufferMs":1200,
            "errors":{"ErrorNetwork":2,"<script>":1},"renditions":{"720p60":30000,"bad name!":5,"audio_only":100},"chatSent":2,"pollsSeen":1,"pollsVoted":5}"#;
        let report = Report::parse(body).unwrap();
        assert_eq!(report.watch_ms, MAX_SPAN_MS);
        assert_eq!(report.first_frame_ms, None, "a page left open is no first frame");
        assert_eq!(report.errors, BTreeMap::from([("ErrorNetwork".to_owned(), 2), ("Other".to_owned(), 1)]));
        assert_eq!(report.renditions.keys().collect::<Vec<_>>(), ["720p60", "audio_only"]);
        assert_eq!(report.polls_voted, 1, "no more votes than polls seen");
        assert_eq!(report.weight(), 10);
        assert_eq!(Report::parse(br#"{"sample":7}"#).unwrap().weight(), 1, "a sample outside (0, 1] is 1");
        assert_eq!(Report::parse(&[b' '; MAX_REPORT_BYTES + 1]), Err(ReportError::TooLarge));
        assert!(matches!(Report::parse(b"not json"), Err(ReportError::NotJson(_))));
        assert!(matches!(Report::parse(br#"{"watchMs":"soon"}"#), Err(ReportError::NotJson(_))));
        assert!(Report::parse(b"{}").unwrap().is_empty());
    }

    fn report(watch_ms: u64, first_frame_ms: Option<u64>) -> Report {
        Report { sample: 1.0, watch_ms, first_frame_ms, ..Report::default() }
    }

    #[test]
    fn sums_add_up_in_any_order_and_draw_a_minute() {
        let reports = [
            Report { rebuffers: 1, rebuffer_ms: 6_000, errors: [("ErrorNetwork".to_owned(), 1)].into(), ..report(54_000, Some(900)) },
            Report { renditions: [("720p60".to_owned(), 60_000)].into(), chat_sent: 2, polls_seen: 1, polls_voted: 1, ..report(60_000, Some(1_400)) },
            Report { sample: 0.5, ..report(60_000, None) },
        ];
        let mut one = Sums::default();
        reports.iter().for_each(|r| one.add(r));
        one.add_vote();
        // The same reports taken in by two instances, added in the store in the other order.
        let (mut a, mut b) = (Sums::default(), Sums::default());
        a.add(&reports[2]);
        b.add(&reports[0]);
        b.add(&reports[1]);
        b.add_vote();
        let mut stored = b.clone();
        stored.merge(&a);
        assert_eq!(stored, one);

        let point = one.point(120_000);
        assert_eq!(point.watch_ms, 234_000, "54 s + 60 s + 2 × 60 s of watching");
        assert_eq!(point.viewers, 0, "viewers are counted by the minutes pages name");
        one.add_viewer(2);
        stored.add_viewer(1);
        stored.add_viewer(1);
        assert_eq!((one.point(0).viewers, stored), (2, one.clone()));
        assert_eq!(point.reports, 4);
        assert_eq!(point.rebuffers, 1);
        assert!((point.rebuffer_ratio - 6_000.0 / 240_000.0).abs() < 1e-9, "6 s stalled in 234 s watched");
        assert_eq!(point.errors, BTreeMap::from([("ErrorNetwork".to_owned(), 1)]));
        assert_eq!(point.renditions_ms, BTreeMap::from([("720p60".to_owned(), 60_000)]));
        assert_eq!((point.chat_messages, point.votes, point.polls_seen, point.polls_voted), (2, 1, 1, 1));
        // 900 ms is in the 750–1000 bucket, 1400 ms in 1250–1500.
        assert_eq!(point.first_frame_p50_ms, Some(1000));
        assert_eq!(point.first_frame_p95_ms, Some(1475));
    }

    #[test]
    fn first_frame_percentiles_come_from_the_histogram() {
        let mut sums = Sums::default();
        assert_eq!(sums.first_frame_percentile(50.0), None);
        for n in 0..100u64 {
            // 100 first frames, 20 ms to 2000 ms evenly.
            sums.add(&report(1, Some(20 + n * 20)));
        }
        let p50 = sums.first_frame_percentile(50.0).unwrap();
        let p95 = sums.first_frame_percentile(95.0).unwrap();
        assert!((900..=1100).contains(&p50), "p50 {p50}");
        assert!((1800..=2000).contains(&p95), "p95 {p95}");
        let mut slow = Sums::default();
        slow.add(&report(1, Some(60_000)));
        assert_eq!(slow.first_frame_percentile(50.0), Some(60_000), "the open bucket ends at twice its start");
    }

    #[test]
    fn the_collector_adds_up_what_the_player_did() {
        let mut c = Collector::new(1.0, 0.0);
        assert_eq!(c.take(0.0), None, "nothing yet");
        c.state(100.0, false, true); // loading: not a stall
        c.first_frame(1_200.0);
        c.rendition(1_200.0, "720p60");
        c.state(1_200.0, true, false);
        c.state(11_200.0, false, true); // a stall of 2 s
        c.state(13_200.0, true, false);
        c.rendition(23_200.0, "480p");
        c.error("ErrorNetwork");
        c.chat_sent();
        c.poll_seen();
        c.voted();
        let report = c.take(33_200.0).unwrap();
        assert_eq!(report.first_frame_ms, Some(1_200));
        assert_eq!(report.watch_ms, 30_000);
        assert_eq!((report.rebuffers, report.rebuffer_ms), (1, 2_000));
        assert_eq!(report.renditions, BTreeMap::from([("720p60".to_owned(), 20_000), ("480p".to_owned(), 10_000)]));
        assert_eq!(report.errors, BTreeMap::from([("ErrorNetwork".to_owned(), 1)]));
        assert_eq!((report.chat_sent, report.polls_seen, report.polls_voted), (1, 1, 1));
        // Written by hand as serde writes it.
        assert_eq!(report.to_json(), serde_json::to_string(&report).unwrap());
        let mut odd = Collector::new(0.5, 0.0);
        odd.error("<script>");
        assert_eq!(
            odd.take(0.0).unwrap().to_json(),
            r#"{"sample":0.5,"watchMs":0,"rebuffers":0,"rebufferMs":0,"errors":{"Other":1},"chatSent":0,"pollsSeen":0,"pollsVoted":0}"#
        );
        // The next report goes on from where this one ended; the first frame is told once.
        c.first_frame(5.0);
        let next = c.take(43_200.0).unwrap();
        assert_eq!((next.watch_ms, next.first_frame_ms, next.renditions.get("480p")), (10_000, None, Some(&10_000)));
        c.state(43_200.0, false, false);
        assert_eq!(c.take(50_000.0), None, "paused: nothing to tell");
        c.state(50_000.0, true, false);
        c.set_sample(0.5);
        assert_eq!(c.take(60_000.0).map(|r| (r.watch_ms, r.weight())), Some((10_000, 2)), "a new sample keeps what plays");
    }

    #[test]
    fn each_page_counts_once_in_each_minute_it_watched() {
        // The page's clock started 50 s into a minute of the wall clock.
        let minute = 1_000_000 * MINUTE_MS;
        let mut c = Collector::new(1.0, (minute + 50_000) as f64);
        c.state(0.0, true, false);
        let first = c.take(20_000.0).unwrap();
        assert_eq!(first.present_minutes, [-1, 0], "played from :50 to 1:10: both minutes");
        let second = c.take(40_000.0).unwrap();
        assert!(second.present_minutes.is_empty() && second.watch_ms == 20_000, "the same minute is not named twice");
        c.state(40_000.0, false, false);
        assert_eq!(c.take(100_000.0), None, "paused: not watching, nothing named");
        c.state(100_000.0, true, false);
        assert_eq!(c.take(101_000.0).unwrap().present_minutes, [0], "playing again in a new minute");
        // Taken by a server whose clock is in the minute after: the minutes as the server counts them.
        let at_server = minute + 75_000;
        assert_eq!(first.present_in(at_server).collect::<Vec<_>>(), [minute, minute + MINUTE_MS]);
        // A report cannot name minutes beyond what it could have watched.
        let odd = Report::parse(br#"{"presentMinutes":[1,0,0,-3,-99]}"#).unwrap();
        assert_eq!(odd.present_minutes, [-3, 0]);
    }

    #[test]
    fn csv_has_a_row_per_minute_and_a_column_per_name() {
        let mut sums = Sums::default();
        sums.add(&Report { errors: [("ErrorNetwork".to_owned(), 2)].into(), renditions: [("480p".to_owned(), 1_000)].into(), ..report(60_000, Some(800)) });
        sums.add_viewer(3);
        let mut quiet = Sums::default();
        quiet.add_viewer(1);
        let series = Series::from_minutes("st-1", &[(0, quiet), (1_764_860_820_000, sums.clone())]);
        assert_eq!(series.total.viewers, 3, "the broadcast's viewers: the most in a minute");
        assert_eq!(series.rendition_shares(), [("480p".to_owned(), 1.0)]);
        let csv = series.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with(",errors_ErrorNetwork,rendition_ms_480p"), "{}", lines[0]);
        assert_eq!(lines[1], "1970-01-01T00:00Z,1,0,0,,,0,0.0000,0,0,0,0,0,0");
        assert_eq!(lines[2], "2025-12-04T15:07Z,3,60000,1,1000,1000,0,0.0000,0,0,0,0,2,1000");
        assert_eq!(iso_minute(951_782_400_000), "2000-02-29T00:00Z");
        assert_eq!(polyline(&[(0, 0.0), (60_000, 2.0), (120_000, 1.0)], 100.0, 50.0, 0.0), "0.0,50.0 50.0,0.0 100.0,25.0");
        assert_eq!(polyline(&[(0, 0.5)], 100.0, 50.0, 1.0), "100.0,25.0", "one value at the right edge, against the top asked for");
        assert_eq!(minute_of(125_000), 120_000);
    }
}
