//! RTMP ingest, as IVS's insecure ingest takes it: `rtmp://<ingest endpoint>:1935/app/<stream key>`,
//! so OBS, ffmpeg (`-f flv rtmp://…`) or any broadcaster streams into any channel of the account.
//!
//! The protocol (handshake, chunk stream, AMF0 commands) is in [`ivs_codecs::rtmp`]; this module
//! decides: the stream key names the channel (a wrong or deleted key is refused), one
//! broadcaster per channel, at most `max_broadcasts` channels live at once (`Concurrent
//! Broadcasts`), the broadcast ends when the broadcaster leaves or sends nothing for `idle` (30 s
//! on IVS). What arrives goes on as FLV to the channel's transcoder; its timing measures the
//! stream's health and its size the ingest bitrate (an `IVS Limit Breach` past the channel type's
//! limit). Garbage, a stalled handshake or a half-open connection costs a log line and that
//! connection, nothing else.
//!
//! One cohesive thing, kept whole (with its tests, just over 500 lines): an ingest connection from
//! handshake to the broadcast's end.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use ivs_codecs::rtmp::{self, Amf, Decoder, RtmpError, HANDSHAKE_LEN};

use super::channel::Feed;
use super::ladder::{Input, Plan};
use super::live::Live;
use super::s3_recorder::Recorders;
use crate::control::channels::{ChannelRecord, Channels};
use crate::events::Emitter;

/// What the ingest uses of the emulator: the channels (a stream key's channel), their
/// broadcasts, the recorders and the event sink — nothing else.
#[derive(Clone)]
pub struct IngestContext {
    pub channels: Channels,
    pub live: Live,
    pub publishers: Publishers,
    pub options: IngestOptions,
    pub events: Emitter,
    pub recorders: Recorders,
}

/// How ingest behaves.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// A broadcast that sends nothing for this long is ended (IVS: 30 s).
    pub idle: Duration,
    /// The most channels live at once (the account's concurrent-broadcasts quota).
    pub max_broadcasts: usize,
}

/// A handshake must be done within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most ingest connections open at once; more are closed as they arrive.
const MAX_CONNECTIONS: usize = 64;
/// The application name of IVS's ingest URL.
const APP: &str = "app";
/// How long to wait for audio after the first video before starting without it.
const AUDIO_WAIT: Duration = Duration::from_millis(1500);
/// The window over which the ingest bitrate is measured.
const BITRATE_WINDOW: Duration = Duration::from_secs(5);

/// Why an ingest connection ended.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no RTMP handshake within {0:?}")]
    HandshakeTimeout(Duration),
    #[error("RTMP: {0}")]
    Protocol(#[from] RtmpError),
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("the connection closed")]
    Closed,
    #[error("nothing received for {0:?}")]
    Idle(Duration),
    #[error("application {0:?} refused: the ingest URL is rtmp://<endpoint>:1935/app/<stream key>")]
    App(String),
    #[error("stream key refused: no channel has it")]
    UnknownKey,
    #[error("{0} already has a broadcaster")]
    Busy(String),
    #[error("{0} broadcasts are live already (the concurrent-broadcasts limit)")]
    TooManyBroadcasts(usize),
    #[error("the transcoder could not start: {0}")]
    Transcoder(String),
    #[error("{0} was stopped (StopStream)")]
    Stopped(String),
}

/// Channels with a broadcaster connected (publishing, whether or not media flows yet).
#[derive(Clone, Default)]
pub struct Publishers(Arc<Mutex<HashSet<String>>>);

/// A channel claimed for one broadcaster; released on drop.
struct Claim {
    publishers: Publishers,
    arn: String,
}

impl Publishers {
    fn claim(&self, arn: &str) -> Option<Claim> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(arn.to_owned()).then(|| Claim { publishers: self.clone(), arn: arn.to_owned() })
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.publishers.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.arn);
    }
}

/// Accepts broadcasters on `listener` for as long as the emulator runs.
pub async fn serve(listener: TcpListener, state: IngestContext) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("ingest: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "ingest: {MAX_CONNECTIONS} connections open already; closed");
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = socket.set_nodelay(true);
            match session(socket, &state).await {
                Ok(()) | Err(IngestError::Closed) => {
                    tracing::info!(%peer, "ingest: broadcaster disconnected")
                }
                Err(e) => tracing::warn!(%peer, "ingest: {e}"),
            }
            drop(slot);
        });
    }
}

/// Reads into `buf` within `limit`.
async fn read(socket: &mut TcpStream, buf: &mut [u8], limit: Duration, late: impl FnOnce(Duration) -> IngestError) -> Result<usize, IngestError> {
    match tokio::time::timeout(limit, socket.read(buf)).await {
        Err(_) => Err(late(limit)),
        Ok(Ok(0)) => Err(IngestError::Closed),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.into()),
    }
}

/// Fills `buf` before `deadline`.
async fn read_exact_by(socket: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<(), IngestError> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, socket.read_exact(buf)).await {
        Err(_) => Err(IngestError::HandshakeTimeout(HANDSHAKE_TIMEOUT)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(IngestError::Closed),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(_)) => Ok(()),
    }
}

/// One broadcaster's connection.
async fn session(mut socket: TcpStream, state: &IngestContext) -> Result<(), IngestError> {
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let mut c0c1 = vec![0u8; 1 + HANDSHAKE_LEN];
    read_exact_by(&mut socket, &mut c0c1[..1], deadline).await?;
    if c0c1[0] != 3 {
        return Err(RtmpError::Version(c0c1[0]).into());
    }
    read_exact_by(&mut socket, &mut c0c1[1..], deadline).await?;
    socket.write_all(&rtmp::handshake_reply(&c0c1)?).await?;
    let mut c2 = vec![0u8; HANDSHAKE_LEN];
    read_exact_by(&mut socket, &mut c2, deadline).await?;

    let mut decoder = Decoder::default();
    let mut publish = Publishing::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(message) = decoder.next_message()? {
            publish.on_message(message, &mut socket, state).await?;
        }
        let n = tokio::select! {
            n = read(&mut socket, &mut buf, state.options.idle, IngestError::Idle) => n?,
            () = publish.ended() => return Err(IngestError::Stopped(publish.channel_name())),
        };
        decoder.push(&buf[..n]);
    }
}

/// What the broadcaster says of its stream (`@setDataFrame onMetaData`).
#[derive(Debug, Clone, Copy, Default)]
struct Metadata {
    width: Option<u32>,
    height: Option<u32>,
    frame_rate: Option<f64>,
    video_kbps: Option<u32>,
}

impl Metadata {
    fn from_amf(values: &[Amf]) -> Option<Self> {
        let object = values.iter().find(|v| matches!(v, Amf::Object(_)))?;
        let number = |name: &str| object.get(name).and_then(Amf::as_number).filter(|n| n.is_finite() && *n > 0.0 && *n < 1e6);
        Some(Self {
            width: number("width").map(|n| n as u32),
            height: number("height").map(|n| n as u32),
            frame_rate: number("framerate"),
            video_kbps: number("videodatarate").map(|n| n as u32),
        })
    }
}

/// What one connection publishes.
#[derive(Default)]
struct Publishing {
    claim: Option<Claim>,
    channel: Option<ChannelRecord>,
    metadata: Metadata,
    /// Media before the broadcast starts (until audio and video are both seen, or the wait for
    /// audio is over), as FLV tags.
    held: Vec<(u8, Vec<u8>, u32)>,
    first_media: Option<(Instant, u32)>,
    seen: (bool, bool),
    feed: Option<(Feed, super::channel::Channel)>,
    /// Whether the FLV header went to the transcoder.
    header_sent: bool,
    bitrate: Meter,
    breached: bool,
}

/// Bytes of media over a sliding window.
#[derive(Default)]
struct Meter {
    window: std::collections::VecDeque<(Instant, usize)>,
    bytes: usize,
}

impl Meter {
    /// Counts `bytes` arriving now; the bitrate over the window once it is full.
    fn add(&mut self, now: Instant, bytes: usize) -> Option<u64> {
        self.window.push_back((now, bytes));
        self.bytes += bytes;
        let first = self.window.front().map(|(t, _)| *t)?;
        while self.window.front().is_some_and(|(t, _)| now.duration_since(*t) > BITRATE_WINDOW) {
            let (_, old) = self.window.pop_front().expect("non-empty");
            self.bytes -= old;
        }
        (now.duration_since(first) >= BITRATE_WINDOW).then(|| self.bytes as u64 * 8 / BITRATE_WINDOW.as_secs())
    }
}

/// The most bits per second a channel of `kind` takes, as IVS's limits say.
fn bitrate_limit(kind: &str) -> u64 {
    if kind == "BASIC" {
        1_500_000
    } else {
        8_500_000
    }
}

/// The largest input (width × height) a channel of `kind` takes.
fn resolution_limit(kind: &str) -> u32 {
    if kind == "BASIC" {
        854 * 480
    } else {
        1920 * 1080
    }
}

impl Publishing {
    fn channel_name(&self) -> String {
        self.channel.as_ref().map_or_else(|| "the channel".into(), |c| c.arn.clone())
    }

    /// Resolves when the broadcast being fed has ended (never when none is).
    async fn ended(&mut self) {
        match self.feed.as_mut() {
            Some((feed, _)) => {
                let _ = feed.ended.changed().await;
            }
            None => std::future::pending().await,
        }
    }

    async fn on_message(&mut self, message: rtmp::Message, socket: &mut TcpStream, state: &IngestContext) -> Result<(), IngestError> {
        match message.type_id {
            rtmp::AUDIO | rtmp::VIDEO => self.media(message.type_id, message.payload, message.timestamp, state).await,
            rtmp::DATA => {
                if let Some(metadata) = Metadata::from_amf(&rtmp::decode_amf(&message.payload)?) {
                    self.on_metadata(metadata, state);
                }
                Ok(())
            }
            rtmp::COMMAND | rtmp::AMF3_COMMAND => {
                let payload = if message.type_id == rtmp::AMF3_COMMAND { message.payload.get(1..).unwrap_or_default() } else { &message.payload };
                let values = rtmp::decode_amf(payload)?;
                let name = values.first().and_then(Amf::as_str).unwrap_or_default().to_owned();
                let txn = values.get(1).and_then(Amf::as_number).unwrap_or(0.0);
                self.on_command(&name, txn, &values, socket, state).await
            }
            _ => Ok(()),
        }
    }

    async fn on_command(&mut self, name: &str, txn: f64, values: &[Amf], socket: &mut TcpStream, state: &IngestContext) -> Result<(), IngestError> {
        match name {
            "connect" => {
                let app = values.get(2).and_then(|o| o.get("app")).and_then(Amf::as_str).unwrap_or_default();
                if app.trim_end_matches('/') != APP {
                    socket.write_all(&rtmp::connect_refused(txn, "the application is app")).await?;
                    return Err(IngestError::App(app.to_owned()));
                }
                socket.write_all(&rtmp::connect_accepted(txn)).await?;
            }
            "releaseStream" | "FCPublish" => socket.write_all(&rtmp::result(txn, Amf::Undefined)).await?,
            "createStream" => socket.write_all(&rtmp::result(txn, Amf::Number(1.0))).await?,
            "publish" => {
                let key = values.get(3).and_then(Amf::as_str).unwrap_or_default();
                if let Err(why) = self.claim_channel(key, state) {
                    socket.write_all(&rtmp::on_status(1, "error", "NetStream.Publish.BadName", &why.to_string())).await?;
                    return Err(why);
                }
                socket.write_all(&rtmp::on_status(1, "status", "NetStream.Publish.Start", "Publishing.")).await?;
            }
            "FCUnpublish" | "deleteStream" | "closeStream" => self.finish(),
            _ => {}
        }
        Ok(())
    }

    /// Takes the channel whose stream key is `key` for this broadcaster.
    fn claim_channel(&mut self, key: &str, state: &IngestContext) -> Result<(), IngestError> {
        if self.claim.is_some() {
            return Err(IngestError::Busy("this connection".into()));
        }
        let channel = state.channels.channel_for_key(key).ok_or(IngestError::UnknownKey)?;
        let max = state.options.max_broadcasts;
        if state.publishers.count() >= max {
            state.events.limit_breach(&channel, None, "Concurrent Broadcasts", max as u64, 1, "Count");
            return Err(IngestError::TooManyBroadcasts(max));
        }
        let claim = state.publishers.claim(&channel.arn).ok_or_else(|| IngestError::Busy(channel.arn.clone()))?;
        tracing::info!(channel = %channel.arn, "ingest: broadcaster publishing");
        self.claim = Some(claim);
        self.channel = Some(channel);
        Ok(())
    }

    fn on_metadata(&mut self, metadata: Metadata, state: &IngestContext) {
        if let Some(channel) = &self.channel {
            let pixels = metadata.width.unwrap_or(0).saturating_mul(metadata.height.unwrap_or(0));
            let limit = resolution_limit(&channel.kind);
            if pixels > limit {
                state.events.limit_breach(channel, None, "Ingest Resolution", u64::from(limit), u64::from(pixels - limit), "Pixels");
            }
        }
        self.metadata = metadata;
    }

    /// An audio (8) or video (9) message of the broadcast.
    async fn media(&mut self, kind: u8, data: Vec<u8>, timestamp: u32, state: &IngestContext) -> Result<(), IngestError> {
        let Some(channel) = self.channel.clone() else {
            return Ok(());
        };
        let now = Instant::now();
        let (first_at, first_ts) = *self.first_media.get_or_insert((now, timestamp));
        let media_ms = timestamp.wrapping_sub(first_ts);
        if let Some(bps) = self.bitrate.add(now, data.len()) {
            let limit = bitrate_limit(&channel.kind);
            if bps > limit && !self.breached {
                self.breached = true;
                let stream_id = self.feed.as_ref().map(|(f, _)| f.stream_id.clone());
                state.events.limit_breach(&channel, stream_id.as_deref(), "Ingest Bitrate", limit / 1000, (bps - limit) / 1000, "Kbps");
            }
        }
        if kind == 8 {
            self.seen.0 = true;
        } else {
            self.seen.1 = true;
        }
        if self.feed.is_none() {
            self.held.push((kind, data, media_ms));
            let (audio, video) = self.seen;
            if !(video && (audio || now.duration_since(first_at) > AUDIO_WAIT)) {
                return Ok(());
            }
            self.start(&channel, state)?;
            for (kind, data, ts) in std::mem::take(&mut self.held) {
                self.write(kind, &data, ts).await?;
            }
            return Ok(());
        }
        self.write(kind, &data, media_ms).await
    }

    fn start(&mut self, channel: &ChannelRecord, state: &IngestContext) -> Result<(), IngestError> {
        let m = self.metadata;
        let input = Input {
            width: m.width.unwrap_or(1280),
            height: m.height.unwrap_or(720),
            frame_rate: m.frame_rate.unwrap_or(30.0),
            video_kbps: m.video_kbps.unwrap_or(2500),
            audio: self.seen.0,
        };
        let plan = if channel.kind == "BASIC" { Plan::passed_through(&input) } else { Plan::transcoded(&input) };
        let plan = if channel.arn == state.channels.builtin() { plan.with_captions() } else { plan };
        let live = state.live.channel(&channel.arn);
        let recorder = state.recorders.recorder(channel, &plan);
        let feed = live.start(&plan, recorder).map_err(|e| IngestError::Transcoder(e.to_string()))?.ok_or_else(|| IngestError::Busy(channel.arn.clone()))?;
        tracing::info!(channel = %channel.arn, stream_id = %feed.stream_id, "ingest: broadcast started ({}x{}, {})", input.width, input.height, channel.kind);
        self.feed = Some((feed, live));
        Ok(())
    }

    /// Writes one FLV tag (after the FLV header, before the first) to the transcoder.
    async fn write(&mut self, kind: u8, data: &[u8], media_ms: u32) -> Result<(), IngestError> {
        let audio = self.seen.0;
        let Some((feed, live)) = self.feed.as_mut() else {
            return Ok(());
        };
        live.input_arrived(&feed.stream_id, media_ms);
        let mut out = Vec::with_capacity(data.len() + 32);
        if !std::mem::replace(&mut self.header_sent, true) {
            out.extend_from_slice(&flv_header(audio));
        }
        out.extend_from_slice(&flv_tag(kind, data, media_ms));
        // The transcoder gone (it ended the broadcast) is the broadcast's end, told by `ended`.
        if let Err(e) = feed.stdin.write_all(&out).await {
            tracing::debug!("ingest: the transcoder took no more input: {e}");
        }
        Ok(())
    }

    /// The broadcaster finished (or left): the transcoder gets the end of its input, and the
    /// broadcast ends when it has written the last of it.
    fn finish(&mut self) {
        if let Some((feed, live)) = self.feed.take() {
            let Feed { stream_id, stdin, .. } = feed;
            drop(stdin);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(3)).await;
                live.end(&stream_id);
            });
        }
        self.claim = None;
    }
}

impl Drop for Publishing {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The FLV file header and the first (zero) previous-tag size.
fn flv_header(audio: bool) -> [u8; 13] {
    let flags = if audio { 0x05 } else { 0x01 };
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// One FLV tag of `kind` at `ms`, followed by its size.
fn flv_tag(kind: u8, data: &[u8], ms: u32) -> Vec<u8> {
    let size = data.len() as u32;
    let mut tag = Vec::with_capacity(data.len() + 15);
    tag.push(kind);
    tag.extend_from_slice(&size.to_be_bytes()[1..]);
    tag.extend_from_slice(&ms.to_be_bytes()[1..]);
    tag.push((ms >> 24) as u8);
    tag.extend_from_slice(&[0, 0, 0]);
    tag.extend_from_slice(data);
    tag.extend_from_slice(&(size + 11).to_be_bytes());
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flv_tags_have_the_file_format_layout() {
        let tag = flv_tag(9, &[1, 2, 3], 0x0102_0304);
        assert_eq!(tag[0], 9);
        assert_eq!(&tag[1..4], &[0, 0, 3], "data size");
        assert_eq!(&tag[4..8], &[2, 3, 4, 1], "timestamp, then its extension byte");
        assert_eq!(&tag[8..11], &[0, 0, 0], "stream id");
        assert_eq!(&tag[11..14], &[1, 2, 3]);
        assert_eq!(&tag[14..], &14u32.to_be_bytes(), "previous tag size");
        assert_eq!(&flv_header(true)[..5], b"FLV\x01\x05");
        assert_eq!(flv_header(false)[4], 0x01, "video only");
    }

    #[test]
    fn the_bitrate_is_measured_over_a_full_window() {
        let mut meter = Meter::default();
        let start = Instant::now();
        let mut last = None;
        // 100 KB a second for ten seconds: 800 kbps.
        for tenth in 0..100u64 {
            last = meter.add(start + Duration::from_millis(tenth * 100), 10_000).or(last);
        }
        let bps = last.expect("measured once the window was full");
        assert!((780_000..=820_000).contains(&bps), "{bps}");
        assert!(Meter::default().add(start, 1_000_000).is_none(), "one burst is not a rate");
    }

    #[test]
    fn one_broadcaster_per_channel() {
        let publishers = Publishers::default();
        let first = publishers.claim("arn:a").expect("free");
        assert!(publishers.claim("arn:a").is_none(), "taken");
        assert!(publishers.claim("arn:b").is_some());
        drop(first);
        assert!(publishers.claim("arn:a").is_some(), "released when the first left");
    }
}
