//! The live channel: an encoder child process, the segmenters, and the sliding-window playlists.
//!
//! One [`Channel`] stands for one IVS channel. While it is live, ffmpeg encodes a test pattern (or
//! a looped file) as a ladder of renditions ([`Rung`]), each a program of one MPEG-TS on its
//! stdout; a segmenter per rendition turns its program into segments (with timed metadata and
//! captions spliced in), and the HTTP layer serves a multivariant playlist and the last few
//! segments of each rendition. Taking the channel offline stops the encoder; the playback URL
//! then answers 404, as an offline IVS channel does, and the broadcast becomes a recording.

pub mod captions;
pub mod segmenter;
pub mod ts;

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{oneshot, watch};

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

/// What the encoder plays.
#[derive(Debug, Clone)]
pub enum Source {
    /// A moving test pattern with a tone, at this size.
    TestPattern { width: u32, height: u32 },
    /// A video file, looped forever, scaled to this size.
    File { path: PathBuf, width: u32, height: u32 },
}

/// One rung of the encoding ladder: a rendition viewers (or their player's ABR) can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// IVS-style name: height and frame rate, e.g. `360p30`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
}

const FRAME_RATE: u32 = 30;
const AUDIO_KBPS: u32 = 96;

impl Source {
    /// The renditions encoded for this source, best first: the configured size and half of it,
    /// as an IVS STANDARD channel transcodes a ladder.
    pub fn ladder(&self) -> Vec<Rung> {
        let (Source::TestPattern { width, height } | Source::File { width, height, .. }) = *self;
        let rung = |width: u32, height: u32, video_kbps| Rung { name: format!("{height}p{FRAME_RATE}"), width, height, video_kbps };
        // Even sizes: the encoder needs them for 4:2:0.
        vec![rung(width, height, 1000), rung((width / 2) & !1, (height / 2) & !1, 300)]
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
    /// One per rung of the ladder, in the same order.
    renditions: Vec<Rendition>,
    last_segment_at: Instant,
    _stop: oneshot::Sender<()>,
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
fn master_playlist(ladder: &[Rung], uri: impl Fn(&Rung) -> String) -> String {
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

/// One live channel; cheap to clone.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Mutex<Inner>>,
    /// Bumped whenever new stream data arrives, to wake readers of a growing segment.
    progress: Arc<watch::Sender<u64>>,
    source: Source,
    ladder: Arc<Vec<Rung>>,
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
    /// An offline channel that will encode `source` when started, listing `window_secs` of it
    /// in its live playlists (at least the IVS-like default of 2 s).
    pub fn new(source: Source, window_secs: f64) -> Self {
        let inner = Inner { broadcast: None, next_sequence: 0, recent_puts: VecDeque::new(), viewers: HashMap::new(), forced_health: None, recordings: VecDeque::new() };
        let window = ((window_secs / TARGET_SECS).ceil() as usize).clamp(WINDOW, KEPT_MAX);
        let ladder = Arc::new(source.ladder());
        Self { inner: Arc::new(Mutex::new(inner)), progress: Arc::new(watch::channel(0).0), source, ladder, window }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the channel is broadcasting.
    pub fn is_live(&self) -> bool {
        self.lock().broadcast.is_some()
    }

    /// Starts broadcasting (no-op when live). Fails when ffmpeg cannot be started.
    pub fn start(&self) -> anyhow::Result<()> {
        let mut inner = self.lock();
        if inner.broadcast.is_some() {
            return Ok(());
        }
        let mut child = self.encoder_command().spawn().map_err(|e| anyhow::anyhow!("cannot start ffmpeg: {e}"))?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as i64;
        let stream_id = stream_id(now_ms);
        inner.broadcast = Some(Broadcast {
            stream_id: stream_id.clone(),
            started: OffsetDateTime::now_utc(),
            renditions: (0..self.ladder.len())
                .map(|program| Rendition {
                    segmenter: Segmenter::new(TARGET_SECS, inner.next_sequence, now_ms, program).with_captions(),
                    segments: VecDeque::new(),
                    recording: Vec::new(),
                })
                .collect(),
            last_segment_at: Instant::now(),
            _stop: stop_tx,
        });
        drop(inner);
        tracing::info!(%stream_id, "stream started");

        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::warn!(target: "ffmpeg", "{line}");
            }
        });
        let channel = self.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; PACKET_LEN * 512];
            let mut filled = 0;
            loop {
                let read = tokio::select! {
                    read = stdout.read(&mut buf[filled..]) => read,
                    _ = &mut stop_rx => break,
                };
                match read {
                    Ok(0) | Err(_) => {
                        tracing::error!("the encoder stopped; the channel is now offline");
                        channel.end_if(&stream_id);
                        break;
                    }
                    Ok(n) => filled += n,
                }
                let whole = filled - filled % PACKET_LEN;
                channel.ingest(&stream_id, &buf[..whole]);
                buf.copy_within(whole..filled, 0);
                filled -= whole;
            }
            let _ = child.kill().await;
        });
        Ok(())
    }

    /// Stops broadcasting; the encoder is killed and the playlist goes away.
    pub fn stop(&self) {
        let mut inner = self.lock();
        if let Some(b) = inner.broadcast.take() {
            tracing::info!(stream_id = %b.stream_id, "stream stopped");
            self.keep_recording(&mut inner, b);
        }
        drop(inner);
        self.progress.send_modify(|n| *n += 1);
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
    fn keep_recording(&self, inner: &mut Inner, broadcast: Broadcast) {
        let renditions: Vec<Vec<Segment>> = broadcast.renditions.into_iter().map(|r| r.recording).collect();
        if renditions.first().is_none_or(Vec::is_empty) {
            return;
        }
        tracing::info!(stream_id = %broadcast.stream_id, segments = renditions[0].len(), "recording ready");
        inner.recordings.push_back(Recording { stream_id: broadcast.stream_id, ended_at: Instant::now(), ladder: self.ladder.clone(), renditions: Arc::new(renditions) });
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
        let Some(b) = inner.broadcast.as_mut().filter(|b| b.stream_id == stream_id) else { return };
        for packet in packets.chunks_exact(PACKET_LEN) {
            for (index, r) in b.renditions.iter_mut().enumerate() {
                let Some(segment) = r.segmenter.push_packet(packet) else { continue };
                if index == 0 {
                    inner.next_sequence = segment.sequence + 1;
                    b.last_segment_at = Instant::now();
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
        let Some(r) = rung_index(&self.ladder, rung).and_then(|i| inner.broadcast.as_ref()?.renditions.get(i)) else { return SegmentRead::Gone };
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

    fn encoder_command(&self) -> Command {
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
        let audio = match &self.source {
            Source::TestPattern { width, height } => {
                cmd.args(["-re", "-f", "lavfi", "-i", &format!("testsrc2=size={width}x{height}:rate={FRAME_RATE}")]);
                cmd.args(["-re", "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=2:sample_rate=48000"]);
                "1:a"
            }
            Source::File { path, .. } => {
                cmd.args(["-re", "-stream_loop", "-1", "-i"]).arg(path);
                "0:a:0?"
            }
        };
        // One encode per rung from the same pictures, each its own program of one transport
        // stream with the audio shared: the segmenters split it into aligned renditions.
        let rungs = self.ladder.len();
        let mut graph = format!("[0:v:0]split={rungs}");
        graph.extend((0..rungs).map(|i| format!("[s{i}]")));
        for (i, rung) in self.ladder.iter().enumerate() {
            graph.push_str(&format!(";[s{i}]scale={}:{}[v{i}]", rung.width, rung.height));
        }
        cmd.args(["-filter_complex", &graph]);
        for i in 0..rungs {
            cmd.args(["-map", &format!("[v{i}]")]);
        }
        cmd.args(["-map", audio]);
        cmd.args([
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main", "-level:v", "3.0",
            "-pix_fmt", "yuv420p", "-r", &FRAME_RATE.to_string(), "-g", "15", "-keyint_min", "15", "-sc_threshold", "0",
        ]);
        for (i, rung) in self.ladder.iter().enumerate() {
            let rate = format!("{}k", rung.video_kbps);
            cmd.args([format!("-b:v:{i}"), rate.clone(), format!("-maxrate:v:{i}"), rate.clone(), format!("-bufsize:v:{i}"), rate]);
            cmd.args(["-program".to_owned(), format!("program_num={}:st={i}:st={rungs}", i + 1)]);
        }
        cmd.args(["-c:a", "aac", "-b:a", &format!("{AUDIO_KBPS}k"), "-ar", "48000", "-ac", "2"]);
        cmd.args(["-f", "mpegts", "-flush_packets", "1", "pipe:1"]);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        cmd
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
        inner.broadcast.as_ref()?.renditions.first()?.segments.back()?;
        Some(master_playlist(&self.ladder, uri))
    }

    /// A rendition's live playlist, or `None` when offline (or before the first segment).
    /// `viewer` is a key for the viewer count.
    pub fn playlist(&self, rung: &str, viewer: &str, segment_prefix: &str) -> Option<String> {
        let index = rung_index(&self.ladder, rung)?;
        let mut inner = self.lock();
        let now = Instant::now();
        inner.viewers.insert(viewer.to_owned(), now);
        let b = inner.broadcast.as_ref()?.renditions.get(index)?;
        let listed: Vec<&Segment> = b.segments.iter().rev().take(self.window).rev().collect();
        let first = listed.first()?;
        let target = listed.iter().map(|s| s.duration.round().max(1.0) as u64).max().unwrap_or(1);
        let mut m3u8 = String::with_capacity(128 + listed.len() * 96);
        let _ = write!(m3u8, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-START:TIME-OFFSET={START_OFFSET_SECS:.1}\n", first.sequence);
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
            // Starving: the encoder has not delivered a segment for three target durations.
            healthy: inner.forced_health.unwrap_or_else(|| b.last_segment_at.elapsed() < Duration::from_secs_f64(TARGET_SECS * 3.0)),
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
        let channel = Channel::new(Source::TestPattern { width: 64, height: 64 }, 2.0);
        assert!(channel.master_playlist(|r| r.name.clone()).is_none());
        assert!(channel.playlist("64p30", "v", "").is_none());
        assert!(channel.stream_info().is_none());
        assert_eq!(channel.put_metadata("x".into()), Err(PutError::Offline));
    }
}
