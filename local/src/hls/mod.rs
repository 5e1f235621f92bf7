//! The live channels: a transcoder child process per broadcast, the segmenters, and the
//! sliding-window playlists.
//!
//! One [`Channel`] stands for one IVS channel. While it is live, the broadcaster's stream (FLV,
//! as RTMP ingest delivers it) goes into ffmpeg's stdin, which either transcodes it into a ladder
//! of renditions ([`Rung`], a `STANDARD` channel) or passes it through as one rendition (`BASIC`),
//! each a program of one MPEG-TS on its stdout; a segmenter per rendition turns its program into
//! segments (with timed metadata spliced in), and the HTTP layer serves a multivariant playlist
//! and the last few segments of each rendition. When the broadcast ends the transcoder stops; the
//! playback URL then answers 404, as an offline IVS channel does, and the broadcast is kept as a
//! recording. [`Live`] holds the account's channels by ARN.

pub mod captions;
pub mod segmenter;
pub mod ts;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{ChildStdin, Command};
use tokio::sync::watch;

use segmenter::{Segment, Segmenter};
use ts::PACKET_LEN;

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
/// Where a player joining the stream starts, from the live edge: close to it, as IVS's
/// low-latency channels do, rather than the HLS default of three target durations.
const START_OFFSET_SECS: f64 = -0.5;
/// A viewer counts while it fetched the playlist this recently.
const VIEWER_TTL: Duration = Duration::from_secs(15);

/// One rung of the encoding ladder: a rendition viewers (or their player's ABR) can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// IVS-style name: height and frame rate, e.g. `360p30`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
}

/// The frame rate of transcoded renditions.
const FRAME_RATE: u32 = 30;
const AUDIO_KBPS: u32 = 96;
/// The largest rendition transcoded here (a larger input is scaled down to it).
const MAX_TRANSCODE: (u32, u32) = (1280, 720);

/// What the broadcaster sends, as far as the ingest knows it when the broadcast starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub width: u32,
    pub height: u32,
    pub frame_rate: f64,
    pub video_kbps: u32,
    /// Whether the input has audio (silence is added when it has not).
    pub audio: bool,
}

/// How a broadcast's input becomes renditions.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub ladder: Vec<Rung>,
    /// Transcoded into `ladder` (`STANDARD`), or passed through as its one rung (`BASIC`).
    pub transcode: bool,
    pub audio: bool,
    /// Splice the wall-clock second in as CEA-608 captions (the built-in test stream).
    pub captions: bool,
}

impl Plan {
    /// A `STANDARD` channel: the input's size (at most 720p) and half of it, at 30 fps, as IVS
    /// transcodes a ladder.
    pub fn transcoded(input: &Input) -> Self {
        let scale =
            f64::min(1.0, f64::min(f64::from(MAX_TRANSCODE.0) / f64::from(input.width.max(2)), f64::from(MAX_TRANSCODE.1) / f64::from(input.height.max(2))));
        // Even sizes: the encoder needs them for 4:2:0.
        let even = |v: f64| ((v.round() as u32) & !1).max(2);
        let (width, height) = (even(f64::from(input.width) * scale), even(f64::from(input.height) * scale));
        let kbps = |h: u32| {
            if h > 360 {
                2500
            } else if h > 180 {
                1000
            } else {
                300
            }
        };
        let rung = |width: u32, height: u32| Rung { name: format!("{height}p{FRAME_RATE}"), width, height, video_kbps: kbps(height) };
        Self {
            ladder: vec![rung(width, height), rung(even(f64::from(width) / 2.0), even(f64::from(height) / 2.0))],
            transcode: true,
            audio: input.audio,
            captions: false,
        }
    }

    /// A `BASIC` channel: the input as it comes, one rendition.
    pub fn passed_through(input: &Input) -> Self {
        let rung = Rung {
            name: format!("{}p{}", input.height, input.frame_rate.round().max(1.0) as u32),
            width: input.width,
            height: input.height,
            video_kbps: input.video_kbps,
        };
        Self { ladder: vec![rung], transcode: false, audio: input.audio, captions: false }
    }

    /// With the wall-clock captions spliced in.
    pub fn with_captions(mut self) -> Self {
        self.captions = true;
        self
    }
}

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
    started: OffsetDateTime,
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

/// The input's progress against the wall clock: how a broadcast's health is measured, from
/// what arrives, as IVS measures it.
#[derive(Debug, Clone, Copy)]
pub struct InputClock {
    first: Option<(Instant, u32)>,
    last: Option<(Instant, u32)>,
}

/// Input that has not arrived for this long starves the stream.
const STARVED_AFTER: Duration = Duration::from_millis(1500);
/// Input whose media time falls this far behind the wall clock starves the stream.
const STARVED_LAG: Duration = Duration::from_secs(2);

impl InputClock {
    pub const fn new() -> Self {
        Self { first: None, last: None }
    }

    /// Media with timestamp `media_ms` arrived at `at`.
    pub fn arrived(&mut self, at: Instant, media_ms: u32) {
        self.first.get_or_insert((at, media_ms));
        self.last = Some((at, media_ms));
    }

    /// Whether the input keeps up with real time at `now`: it arrives, and its media time
    /// does not fall behind the wall clock.
    pub fn healthy(&self, now: Instant) -> bool {
        let (Some((first_at, first_ms)), Some((last_at, last_ms))) = (self.first, self.last) else {
            return true;
        };
        let wall = last_at.duration_since(first_at);
        let media = Duration::from_millis(u64::from(last_ms.wrapping_sub(first_ms)));
        now.duration_since(last_at) < STARVED_AFTER && wall.saturating_sub(media) < STARVED_LAG
    }
}

impl Default for InputClock {
    fn default() -> Self {
        Self::new()
    }
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

/// A finished broadcast, playable as a recording (VOD), in every rendition.
#[derive(Clone)]
pub struct Recording {
    pub stream_id: String,
    ended_at: Instant,
    ladder: Arc<Vec<Rung>>,
    /// Per rung, in ladder order.
    renditions: Arc<Vec<Vec<Segment>>>,
}

impl Recording {
    fn best(&self) -> &[Segment] {
        self.renditions.first().map_or(&[], Vec::as_slice)
    }

    pub fn duration_secs(&self) -> f64 {
        self.best().iter().map(|s| s.duration).sum()
    }

    /// Wall-clock time of the recording's first frame (ms since the epoch).
    pub fn start_ms(&self) -> i64 {
        self.best().first().map_or(0, |s| s.program_date_time_ms)
    }

    /// The multivariant playlist: one entry per rendition, `{rung}.m3u8`.
    pub fn master_playlist(&self) -> String {
        master_playlist(&self.ladder, |rung| format!("{}.m3u8", rung.name))
    }

    /// A rendition's VOD playlist: every segment (`{rung}-{sequence}.ts`), `EXT-X-ENDLIST`.
    pub fn playlist(&self, rung: &str) -> Option<String> {
        self.ended_playlist(rung, usize::MAX, &format!("{rung}-"))
    }

    /// The last `window` segments of a rendition, `EXT-X-ENDLIST`: the live playlist of a
    /// broadcast that just ended, so that players watching it play to the end and stop.
    pub fn ended_playlist(&self, rung: &str, window: usize, segment_prefix: &str) -> Option<String> {
        let all = self.rendition(rung)?;
        let segments = &all[all.len().saturating_sub(window)..];
        let target = segments.iter().map(|s| s.duration.ceil().max(1.0) as u64).max().unwrap_or(1);
        let first = segments.first().map_or(0, |s| s.sequence);
        let kind = if segments.len() == all.len() { "#EXT-X-PLAYLIST-TYPE:VOD\n" } else { "" };
        let mut m3u8 = format!("#EXTM3U\n#EXT-X-VERSION:3\n{kind}#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
        for s in segments {
            write_segment(&mut m3u8, s, segment_prefix);
        }
        m3u8.push_str("#EXT-X-ENDLIST\n");
        Some(m3u8)
    }

    pub fn segment(&self, rung: &str, sequence: u64) -> Option<Bytes> {
        self.rendition(rung)?.iter().find(|s| s.sequence == sequence).map(|s| s.data.clone())
    }

    fn rendition(&self, rung: &str) -> Option<&[Segment]> {
        self.renditions.get(rung_index(&self.ladder, rung)?).map(Vec::as_slice)
    }
}

/// Where the rendition named `rung` stands in `ladder`.
fn rung_index(ladder: &[Rung], rung: &str) -> Option<usize> {
    ladder.iter().position(|r| r.name == rung)
}

/// A multivariant playlist for `ladder`, each rendition at `uri(rung)`; named the way IVS names
/// its qualities, so the player lists them by those names.
pub fn master_playlist(ladder: &[Rung], uri: impl Fn(&Rung) -> String) -> String {
    let mut m3u8 = String::from("#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for rung in ladder {
        let bandwidth = (rung.video_kbps + AUDIO_KBPS) * 1000 * 11 / 10;
        let _ = write!(
            m3u8,
            "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"{name}\",NAME=\"{name}\",AUTOSELECT=YES,DEFAULT=YES\n\
             #EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={w}x{h},CODECS=\"avc1.4D401E,mp4a.40.2\",VIDEO=\"{name}\",FRAME-RATE={FRAME_RATE}.000\n{uri}\n",
            name = rung.name,
            w = rung.width,
            h = rung.height,
            uri = uri(rung),
        );
    }
    m3u8
}

fn write_segment(m3u8: &mut String, s: &Segment, prefix: &str) {
    let pdt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(s.program_date_time_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let _ = write!(m3u8, "#EXT-X-PROGRAM-DATE-TIME:{pdt}\n#EXTINF:{:.3},\n{prefix}{}.ts\n", s.duration, s.sequence);
}

struct Inner {
    broadcast: Option<Broadcast>,
    next_sequence: u64,
    recent_puts: VecDeque<Instant>,
    viewers: HashMap<String, Instant>,
    /// A health forced by `/_local/stream/health` (tests and demos), instead of the measured one.
    forced_health: Option<bool>,
    /// Finished broadcasts, newest last.
    recordings: VecDeque<Recording>,
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
        let mut child = transcoder(plan).spawn().map_err(|e| anyhow::anyhow!("cannot start ffmpeg: {e}"))?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (stop_tx, mut stop_rx) = watch::channel(());
        let ended = stop_tx.subscribe();
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as i64;
        let stream_id = stream_id(now_ms);
        if let Some(recorder) = recorder.as_mut() {
            recorder.started(&stream_id);
        }
        inner.broadcast = Some(Broadcast {
            stream_id: stream_id.clone(),
            started: OffsetDateTime::now_utc(),
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
        inner.recordings.push_back(Recording {
            stream_id: broadcast.stream_id,
            ended_at: Instant::now(),
            ladder: broadcast.ladder,
            renditions: Arc::new(renditions),
        });
        while inner.recordings.len() > RECORDINGS_KEPT {
            inner.recordings.pop_front();
        }
    }

    /// The finished recordings, oldest first.
    pub fn recordings(&self) -> Vec<Recording> {
        self.lock().recordings.iter().cloned().collect()
    }

    /// The broadcast that ended moments ago, while the channel is offline: players still
    /// polling its playlists are shown its end.
    pub fn just_ended(&self) -> Option<(Recording, usize)> {
        let inner = self.lock();
        if inner.broadcast.is_some() {
            return None;
        }
        let last = inner.recordings.back().filter(|r| r.ended_at.elapsed() < ENDED_LINGER)?;
        Some((last.clone(), self.window))
    }

    pub fn recording(&self, stream_id: &str) -> Option<Recording> {
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
        Some(master_playlist(&b.ladder, uri))
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
        let first = listed.first()?;
        let target = listed.iter().map(|s| s.duration.round().max(1.0) as u64).max().unwrap_or(1);
        let mut m3u8 = String::with_capacity(128 + listed.len() * 96);
        let _ = write!(
            m3u8,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-START:TIME-OFFSET={START_OFFSET_SECS:.1}\n",
            first.sequence
        );
        for s in listed {
            write_segment(&mut m3u8, s, segment_prefix);
        }
        // Low-latency delivery as IVS does it: the segments being written are listed ahead,
        // and players fetch them while they grow.
        let next = b.segmenter.in_progress().map_or(inner.next_sequence, |(n, _)| n);
        for n in next..next + PREFETCH as u64 {
            let _ = writeln!(m3u8, "#EXT-X-PREFETCH:{segment_prefix}{n}.ts");
        }
        Some(m3u8)
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
            start_time: b.started.replace_nanosecond(b.started.millisecond() as u32 * 1_000_000).unwrap_or(b.started).format(&Rfc3339).unwrap_or_default(),
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

/// The transcoder of a broadcast: FLV on stdin, one MPEG-TS program per rung on stdout.
fn transcoder(plan: &Plan) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    // Start at once: the broadcaster's stream is live, so read no more of it than needed to know it.
    cmd.args(["-probesize", "65536", "-analyzeduration", "500000", "-f", "flv", "-i", "pipe:0"]);
    let audio = if plan.audio {
        "0:a:0"
    } else {
        cmd.args(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]);
        "1:a"
    };
    let rungs = plan.ladder.len();
    if plan.transcode {
        // One encode per rung from the same pictures, each its own program of one transport
        // stream with the audio shared: the segmenters split it into aligned renditions.
        let mut graph = format!("[0:v:0]split={rungs}");
        graph.extend((0..rungs).map(|i| format!("[s{i}]")));
        for (i, rung) in plan.ladder.iter().enumerate() {
            graph.push_str(&format!(";[s{i}]scale={}:{}[v{i}]", rung.width, rung.height));
        }
        cmd.args(["-filter_complex", &graph]);
        for i in 0..rungs {
            cmd.args(["-map", &format!("[v{i}]")]);
        }
        cmd.args(["-map", audio]);
        cmd.args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-profile:v",
            "main",
            "-pix_fmt",
            "yuv420p",
            "-r",
            &FRAME_RATE.to_string(),
            "-g",
            "15",
            "-keyint_min",
            "15",
            "-sc_threshold",
            "0",
        ]);
        for (i, rung) in plan.ladder.iter().enumerate() {
            let rate = format!("{}k", rung.video_kbps);
            let level = if rung.height > 360 { "3.1" } else { "3.0" };
            cmd.args([
                format!("-level:v:{i}"),
                level.into(),
                format!("-b:v:{i}"),
                rate.clone(),
                format!("-maxrate:v:{i}"),
                rate.clone(),
                format!("-bufsize:v:{i}"),
                rate,
            ]);
        }
    } else {
        cmd.args(["-map", "0:v:0", "-map", audio, "-c:v", "copy"]);
    }
    for i in 0..rungs {
        cmd.args(["-program".to_owned(), format!("program_num={}:st={i}:st={rungs}", i + 1)]);
    }
    if plan.audio && !plan.transcode {
        cmd.args(["-c:a", "copy"]);
    } else {
        cmd.args(["-c:a", "aac", "-b:a", &format!("{AUDIO_KBPS}k"), "-ar", "48000", "-ac", "2"]);
    }
    cmd.args(["-f", "mpegts", "-flush_packets", "1", "pipe:1"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    cmd
}

/// The account's channels' broadcasts, by channel ARN; cheap to clone.
#[derive(Clone)]
pub struct Live {
    channels: Arc<Mutex<BTreeMap<String, Channel>>>,
    window_secs: f64,
}

impl Live {
    pub fn new(window_secs: f64) -> Self {
        Self { channels: Arc::default(), window_secs }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The channel `arn`'s broadcasts (created, offline, on first use).
    pub fn channel(&self, arn: &str) -> Channel {
        self.lock().entry(arn.to_owned()).or_insert_with(|| Channel::new(self.window_secs)).clone()
    }

    /// The channel `arn`'s broadcasts, if it ever had one.
    pub fn get(&self, arn: &str) -> Option<Channel> {
        self.lock().get(arn).cloned()
    }

    /// Every channel that ever broadcast, by ARN.
    pub fn all(&self) -> Vec<(String, Channel)> {
        self.lock().iter().map(|(arn, c)| (arn.clone(), c.clone())).collect()
    }

    /// Forgets a deleted channel.
    pub fn remove(&self, arn: &str) {
        self.lock().remove(arn);
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

    #[test]
    fn ladders_follow_the_input_and_the_channel_type() {
        let input = Input { width: 1920, height: 1080, frame_rate: 59.94, video_kbps: 6000, audio: true };
        let standard = Plan::transcoded(&input);
        let names: Vec<&str> = standard.ladder.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["720p30", "360p30"]);
        assert_eq!((standard.ladder[0].width, standard.ladder[1].width), (1280, 640));
        let small = Plan::transcoded(&Input { width: 640, height: 360, ..input });
        assert_eq!(small.ladder.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["360p30", "180p30"]);
        let basic = Plan::passed_through(&input);
        assert_eq!((basic.ladder.len(), basic.ladder[0].name.as_str(), basic.transcode), (1, "1080p60", false));
        // Odd input sizes still give even renditions.
        let odd = Plan::transcoded(&Input { width: 853, height: 479, ..input });
        assert!(odd.ladder.iter().all(|r| r.width % 2 == 0 && r.height % 2 == 0), "{odd:?}");
    }

    #[test]
    fn health_follows_the_input() {
        let start = Instant::now();
        let mut clock = InputClock::new();
        assert!(clock.healthy(start), "nothing measured yet");
        // Real time: ten seconds of media in ten seconds.
        for s in 0..=10u32 {
            clock.arrived(start + Duration::from_secs(u64::from(s)), s * 1000);
        }
        assert!(clock.healthy(start + Duration::from_secs(10)));
        // Stops arriving: starving after a second and a half.
        assert!(!clock.healthy(start + Duration::from_secs(12)));
        // Arrives, but at half speed: falls behind the wall clock.
        let mut slow = InputClock::new();
        for s in 0..=10u32 {
            slow.arrived(start + Duration::from_secs(u64::from(s)), s * 500);
        }
        assert!(!slow.healthy(start + Duration::from_secs(10)));
    }
}
