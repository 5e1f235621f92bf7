//! One channel's broadcasts: the live one's state machine and what it keeps of those that ended.
//!
//! While a [`Channel`] is live, the broadcaster's stream (FLV, as RTMP ingest delivers it) goes
//! into the transcoder (`transcoder.rs`), whose MPEG-TS output a segmenter per rendition cuts into
//! segments (timed metadata spliced in); the playback origin serves the playlists (`playlist.rs`)
//! and the last few segments of each rendition. When the broadcast ends the transcoder stops; the
//! playback URL then answers 404, as an offline IVS channel does, and the broadcast is kept as a
//! [`PastBroadcast`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ivs_codecs::segmenter::{Segment, Segmenter};
use ivs_codecs::ts::PACKET_LEN;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::ChildStdin;
use tokio::sync::watch;

use super::health::InputClock;
use super::ladder::{rung_index, Plan, Rung};
use super::past::PastBroadcast;
use super::{playlist, transcoder};
use crate::clock::{now_ms, rfc3339_ms};

/// Segments listed in the playlist, at least (2 s, as IVS's low-latency playlists).
const WINDOW: usize = 4;
/// Segments kept after leaving the playlist, for players that fetch late.
const KEPT: usize = 16;
/// The longest window a playlist lists (five minutes).
const KEPT_MAX: usize = 600;
/// Target segment duration in seconds (one keyframe interval).
const TARGET_SECS: f64 = 0.5;
/// Segments listed ahead of the finished ones, fetched while they are written.
const PREFETCH: usize = 2;
/// A viewer counts while it fetched the playlist this recently.
const VIEWER_TTL: Duration = Duration::from_secs(15);

/// Why a `PutMetadata` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutError {
    Offline,
    Throttled,
}

/// A live stream's public facts, as `GetStream` reports them.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub stream_id: String,
    pub start_time: String,
    pub viewer_count: usize,
    pub healthy: bool,
}

struct Broadcast {
    stream_id: String,
    /// When it started (ms since the epoch).
    started_ms: i64,
    ladder: Arc<Vec<Rung>>,
    /// One per rung of the ladder, in the same order.
    renditions: Vec<Rendition>,
    /// How the input keeps up with real time.
    input: InputClock,
    /// Told each finished segment (a channel with a recording configuration).
    recorder: Option<Box<dyn SegmentSink>>,
    /// Dropped when the broadcast ends: stops the transcoder and ends the ingest's [`Feed`].
    _stop: watch::Sender<()>,
}

/// Where a broadcast's finished segments go besides the live playlists (its recording to S3).
pub trait SegmentSink: Send {
    /// The broadcast `stream_id` started.
    fn started(&mut self, _stream_id: &str) {}

    /// Segment `segment` of rendition `rendition` (an index into the ladder) is finished.
    fn segment(&mut self, rendition: usize, segment: &Segment);
}

/// What the ingest holds while it feeds a broadcast.
pub struct Feed {
    pub stream_id: String,
    /// The transcoder's input: the broadcast as FLV.
    pub stdin: ChildStdin,
    /// Changes (closes) when the broadcast ends (`StopStream`, or the transcoder stopped).
    pub ended: watch::Receiver<()>,
}

/// One rendition of a live broadcast.
struct Rendition {
    segmenter: Segmenter,
    segments: VecDeque<Segment>,
    /// Every segment of this broadcast, for its recording (up to [`RECORDING_MAX_SEGMENTS`]).
    recording: Vec<Segment>,
}

/// The most of a broadcast that is recorded (30 minutes of half-second segments).
const RECORDING_MAX_SEGMENTS: usize = 3600;
/// How long the playlists of a broadcast that ended go on saying so (`EXT-X-ENDLIST`).
const ENDED_LINGER: Duration = Duration::from_secs(30);
/// How many finished recordings are kept.
const RECORDINGS_KEPT: usize = 5;

struct Inner {
    broadcast: Option<Broadcast>,
    next_sequence: u64,
    recent_puts: VecDeque<Instant>,
    viewers: HashMap<String, Instant>,
    /// A health forced by `/_local/stream/health` (tests and demos), instead of the measured one.
    forced_health: Option<bool>,
    /// Finished broadcasts, newest last.
    recordings: VecDeque<PastBroadcast>,
}

/// One channel's broadcasts; cheap to clone.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Mutex<Inner>>,
    /// Bumped whenever new stream data arrives, to wake readers of a growing segment.
    progress: Arc<watch::Sender<u64>>,
    /// Segments listed in a live playlist.
    window: usize,
}

/// What can be read of a segment, from some offset.
#[derive(Debug)]
pub enum SegmentRead {
    /// The segment is finished; here is the rest of it.
    Complete(Bytes),
    /// The segment is being written; here is what has arrived (possibly nothing yet).
    Growing(Bytes),
    /// No such segment (too old, too far ahead, or the channel is offline).
    Gone,
}

impl Channel {
    /// An offline channel, listing `window_secs` of its broadcasts in its live playlists (at
    /// least the IVS-like default of 2 s).
    pub fn new(window_secs: f64) -> Self {
        let inner = Inner {
            broadcast: None,
            next_sequence: 0,
            recent_puts: VecDeque::new(),
            viewers: HashMap::new(),
            forced_health: None,
            recordings: VecDeque::new(),
        };
        let window = ((window_secs / TARGET_SECS).ceil() as usize).clamp(WINDOW, KEPT_MAX);
        Self { inner: Arc::new(Mutex::new(inner)), progress: Arc::new(watch::channel(0).0), window }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the channel is broadcasting.
    pub fn is_live(&self) -> bool {
        self.lock().broadcast.is_some()
    }

    /// Starts a broadcast of `plan`, fed as FLV through the returned [`Feed`]; `None` when one
    /// is already live (one broadcaster per channel). Fails when ffmpeg cannot be started.
    pub fn start(&self, plan: &Plan, mut recorder: Option<Box<dyn SegmentSink>>) -> anyhow::Result<Option<Feed>> {
        let mut inner = self.lock();
        if inner.broadcast.is_some() {
            return Ok(None);
        }
        let mut child = transcoder::command(plan).spawn().map_err(|e| anyhow::anyhow!("cannot start ffmpeg: {e}"))?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (stop_tx, mut stop_rx) = watch::channel(());
        let ended = stop_tx.subscribe();
        let now_ms = now_ms();
        let stream_id = stream_id(now_ms);
        if let Some(recorder) = recorder.as_mut() {
            recorder.started(&stream_id);
        }
        inner.broadcast = Some(Broadcast {
            stream_id: stream_id.clone(),
            started_ms: now_ms,
            ladder: Arc::new(plan.ladder.clone()),
            renditions: (0..plan.ladder.len())
                .map(|program| {
                    let segmenter = Segmenter::new(TARGET_SECS, inner.next_sequence, now_ms, program);
                    Rendition { segmenter: if plan.captions { segmenter.with_captions() } else { segmenter }, segments: VecDeque::new(), recording: Vec::new() }
                })
                .collect(),
            input: InputClock::new(),
            recorder,
            _stop: stop_tx,
        });
        drop(inner);
        tracing::info!(%stream_id, renditions = plan.ladder.len(), transcode = plan.transcode, "stream started");

        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::warn!(target: "ffmpeg", "{line}");
            }
        });
        let channel = self.clone();
        let id = stream_id.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; PACKET_LEN * 512];
            let mut filled = 0;
            loop {
                let read = tokio::select! {
                    read = stdout.read(&mut buf[filled..]) => read,
                    _ = stop_rx.changed() => break,
                };
                match read {
                    Ok(0) | Err(_) => {
                        tracing::info!(stream_id = %id, "the transcoder finished; the broadcast has ended");
                        channel.end_if(&id);
                        break;
                    }
                    Ok(n) => filled += n,
                }
                let whole = filled - filled % PACKET_LEN;
                channel.ingest(&id, &buf[..whole]);
                buf.copy_within(whole..filled, 0);
                filled -= whole;
            }
            let _ = child.kill().await;
        });
        Ok(Some(Feed { stream_id, stdin, ended }))
    }

    /// Media with timestamp `media_ms` of broadcast `stream_id` arrived now.
    pub fn input_arrived(&self, stream_id: &str, media_ms: u32) {
        if let Some(b) = self.lock().broadcast.as_mut().filter(|b| b.stream_id == stream_id) {
            b.input.arrived(Instant::now(), media_ms);
        }
    }

    /// Ends broadcast `stream_id`, if it is still the live one (the broadcaster went away).
    pub fn end(&self, stream_id: &str) {
        self.end_if(stream_id);
        self.progress.send_modify(|n| *n += 1);
    }

    /// Stops the broadcast (`StopStream`): the transcoder is killed, the broadcaster
    /// disconnected and the playlist goes away. Whether one was live.
    pub fn stop(&self) -> bool {
        let mut inner = self.lock();
        let stopped = inner.broadcast.take().map(|b| {
            tracing::info!(stream_id = %b.stream_id, "stream stopped");
            self.keep_recording(&mut inner, b);
        });
        drop(inner);
        self.progress.send_modify(|n| *n += 1);
        stopped.is_some()
    }

    fn end_if(&self, stream_id: &str) {
        let mut inner = self.lock();
        if inner.broadcast.as_ref().is_some_and(|b| b.stream_id == stream_id) {
            if let Some(b) = inner.broadcast.take() {
                self.keep_recording(&mut inner, b);
            }
        }
    }

    /// A finished broadcast becomes a recording (the "Recording End" moment).
    fn keep_recording(&self, inner: &mut Inner, mut broadcast: Broadcast) {
        // The last segment, cut short by the end, is part of the broadcast too.
        for (index, r) in broadcast.renditions.iter_mut().enumerate() {
            if let Some(last) = r.segmenter.finish() {
                if let Some(recorder) = broadcast.recorder.as_mut() {
                    recorder.segment(index, &last);
                }
                if r.recording.len() < RECORDING_MAX_SEGMENTS {
                    r.recording.push(last);
                }
            }
        }
        let renditions: Vec<Vec<Segment>> = broadcast.renditions.into_iter().map(|r| r.recording).collect();
        if renditions.first().is_none_or(Vec::is_empty) {
            return;
        }
        tracing::info!(stream_id = %broadcast.stream_id, segments = renditions[0].len(), "recording ready");
        inner.recordings.push_back(PastBroadcast::new(broadcast.stream_id, broadcast.ladder, renditions));
        while inner.recordings.len() > RECORDINGS_KEPT {
            inner.recordings.pop_front();
        }
    }

    /// The finished recordings, oldest first.
    pub fn past_broadcasts(&self) -> Vec<PastBroadcast> {
        self.lock().recordings.iter().cloned().collect()
    }

    /// The broadcast that ended moments ago, while the channel is offline: players still
    /// polling its playlists are shown its end.
    pub fn just_ended(&self) -> Option<(PastBroadcast, usize)> {
        let inner = self.lock();
        if inner.broadcast.is_some() {
            return None;
        }
        let last = inner.recordings.back().filter(|r| r.ended_at.elapsed() < ENDED_LINGER)?;
        Some((last.clone(), self.window))
    }

    pub fn past_broadcast(&self, stream_id: &str) -> Option<PastBroadcast> {
        self.lock().recordings.iter().find(|r| r.stream_id == stream_id).cloned()
    }

    fn ingest(&self, stream_id: &str, packets: &[u8]) {
        self.ingest_locked(stream_id, packets);
        self.progress.send_modify(|n| *n += 1);
    }

    fn ingest_locked(&self, stream_id: &str, packets: &[u8]) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(b) = inner.broadcast.as_mut().filter(|b| b.stream_id == stream_id) else {
            return;
        };
        for packet in packets.chunks_exact(PACKET_LEN) {
            for (index, r) in b.renditions.iter_mut().enumerate() {
                let Some(segment) = r.segmenter.push_packet(packet) else {
                    continue;
                };
                if index == 0 {
                    inner.next_sequence = segment.sequence + 1;
                }
                if let Some(recorder) = b.recorder.as_mut() {
                    recorder.segment(index, &segment);
                }
                if r.recording.len() < RECORDING_MAX_SEGMENTS {
                    r.recording.push(segment.clone());
                }
                r.segments.push_back(segment);
                while r.segments.len() > KEPT.max(self.window + PREFETCH) {
                    r.segments.pop_front();
                }
            }
        }
    }

    /// Subscribes to stream progress (see [`read_segment`](Self::read_segment)).
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }

    /// Reads segment `sequence` from byte `offset`. The segment being written, and the one after
    /// it, can be read while they grow: that is what the playlist's prefetch entries point at.
    pub fn read_segment(&self, rung: &str, sequence: u64, offset: usize) -> SegmentRead {
        let inner = self.lock();
        let Some(r) = inner.broadcast.as_ref().and_then(|b| b.renditions.get(rung_index(&b.ladder, rung)?)) else {
            return SegmentRead::Gone;
        };
        if let Some(s) = r.segments.iter().find(|s| s.sequence == sequence) {
            return SegmentRead::Complete(s.data.slice(offset.min(s.data.len())..));
        }
        let (current, data) = r.segmenter.in_progress().unwrap_or((inner.next_sequence, &[]));
        if sequence == current {
            SegmentRead::Growing(Bytes::copy_from_slice(&data[offset.min(data.len())..]))
        } else if sequence > current && sequence <= current + PREFETCH as u64 {
            SegmentRead::Growing(Bytes::new())
        } else {
            SegmentRead::Gone
        }
    }

    /// Queues a metadata payload, enforcing IVS's 5 requests per second per channel.
    pub fn put_metadata(&self, text: String) -> Result<(), PutError> {
        let mut inner = self.lock();
        let now = Instant::now();
        while inner.recent_puts.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            inner.recent_puts.pop_front();
        }
        if inner.broadcast.is_none() {
            return Err(PutError::Offline);
        }
        if inner.recent_puts.len() >= 5 {
            return Err(PutError::Throttled);
        }
        inner.recent_puts.push_back(now);
        for r in &mut inner.broadcast.as_mut().expect("checked above").renditions {
            r.segmenter.push_metadata(text.clone());
        }
        Ok(())
    }

    /// The live multivariant playlist, each rendition at `uri(rung)`, or `None` when offline
    /// (or before the first segment).
    pub fn master_playlist(&self, uri: impl Fn(&Rung) -> String) -> Option<String> {
        let inner = self.lock();
        let b = inner.broadcast.as_ref()?;
        b.renditions.first()?.segments.back()?;
        Some(playlist::master(&b.ladder, uri))
    }

    /// A rendition's live playlist, or `None` when offline (or before the first segment).
    /// `viewer` is a key for the viewer count.
    pub fn playlist(&self, rung: &str, viewer: &str, segment_prefix: &str) -> Option<String> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.viewers.insert(viewer.to_owned(), now);
        let broadcast = inner.broadcast.as_ref()?;
        let b = broadcast.renditions.get(rung_index(&broadcast.ladder, rung)?)?;
        let listed: Vec<&Segment> = b.segments.iter().rev().take(self.window).rev().collect();
        listed.first()?;
        let next = b.segmenter.in_progress().map_or(inner.next_sequence, |(n, _)| n);
        Some(playlist::live(&listed, next, PREFETCH, segment_prefix))
    }

    /// The stream's facts, or `None` when offline.
    pub fn stream_info(&self) -> Option<StreamInfo> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.viewers.retain(|_, seen| now.duration_since(*seen) < VIEWER_TTL);
        let viewer_count = inner.viewers.len();
        let b = inner.broadcast.as_ref()?;
        Some(StreamInfo {
            stream_id: b.stream_id.clone(),
            start_time: rfc3339_ms(b.started_ms),
            viewer_count,
            // Starving: the input falls behind real time, or stopped arriving.
            healthy: inner.forced_health.unwrap_or_else(|| b.input.healthy(now)),
        })
    }

    /// Forces the reported health (`Some(false)`: starving), or measures it again (`None`).
    pub fn force_health(&self, healthy: Option<bool>) {
        self.lock().forced_health = healthy;
    }
}

/// An IVS-shaped stream id: `st-` and 23 alphanumerics.
fn stream_id(seed_ms: i64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed_ms as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let tail: String = (0..23)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect();
    format!("st-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_have_the_ivs_shape() {
        let id = stream_id(1_700_000_000_000);
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("st-") && id[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, stream_id(1_700_000_000_001));
    }

    #[test]
    fn offline_channel_has_no_playlist_and_refuses_metadata() {
        let channel = Channel::new(2.0);
        assert!(channel.master_playlist(|r| r.name.clone()).is_none());
        assert!(channel.playlist("64p30", "v", "").is_none());
        assert!(channel.stream_info().is_none());
        assert_eq!(channel.put_metadata("x".into()), Err(PutError::Offline));
    }
}
