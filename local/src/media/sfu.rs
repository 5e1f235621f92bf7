//! The stages' SFU: every participant's WebRTC connection on one UDP socket, media forwarded from
//! each publisher to its subscribers as it came — no decoding, no transcoding.
//!
//! Built on `str0m`, a sans-IO WebRTC stack: this module owns the socket and the clock, and one
//! task drives every connection (ICE, DTLS-SRTP, RTCP). A publisher's frames are written to each
//! subscriber on the m-line of the same kind, in the codec the subscriber negotiated (browsers
//! offer H.264, VP8 and Opus); NACKs are answered from str0m's send buffers; a subscriber's
//! keyframe request (PLI/FIR) is passed to its publisher, and a new subscriber asks for one at
//! once, so it sees a picture without waiting for the next keyframe. Audio packets keep their
//! speaker's loudness (the audio-level header extension), by which viewers find who speaks.
//!
//! [`Sfu::answer`] turns an offer into an answer and hands the connection to the task; the
//! stages' control plane hears who connected, published, subscribed and left.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ivs_codecs::frame_size::{h264_frame_size, vp8_keyframe_size, within_720p};
use str0m::change::SdpOffer;
use str0m::crypto::CryptoProvider;
use str0m::format::Codec;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::control::stages::Stages;

/// A connection's number, in its WHIP resource URL.
pub type ConnId = u64;

/// What a connection does on its stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Publish,
    /// Receives participant `.0`'s media.
    Subscribe(String),
}

/// Who opened a connection.
#[derive(Debug, Clone)]
pub struct Peer {
    pub stage_arn: String,
    pub participant_id: String,
    pub role: Role,
}

/// Why an offer was not answered.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("the body is not an SDP offer: {0}")]
    Sdp(String),
    #[error("the offer cannot be accepted: {0}")]
    Rejected(String),
    #[error("the stage's media service has stopped")]
    Stopped,
}

/// What became of a request to end a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Closed,
    /// The connection is another participant's.
    NotYours,
    /// No such connection (it ended already, or never was).
    Unknown,
}

enum Command {
    Join(ConnId, Box<Rtc>, Peer),
    Close(ConnId, String, tokio::sync::oneshot::Sender<Closed>),
    DisconnectParticipant(String),
    DisconnectStage(String),
}

/// The most a subscriber downloads from a stage, all publishers together (IVS: 8.5 Mbps).
pub const MAX_DOWNLOAD_BPS: f64 = 8_500_000.0;

/// What the SFU measured last: each publisher's bitrate, and whom each subscriber receives.
#[derive(Default)]
struct Traffic {
    /// Publisher participant → bits per second coming in.
    rates: HashMap<String, f64>,
    /// Subscriber participant → the publishers it receives.
    receiving: HashMap<String, Vec<String>>,
}

/// Whether a subscriber already receiving `receiving` bits per second may add a publisher
/// sending `adding` (IVS's 8.5 Mbps aggregate download per subscriber).
pub fn download_fits(receiving: f64, adding: f64) -> bool {
    receiving + adding <= MAX_DOWNLOAD_BPS
}

/// Bytes over the last two seconds, as bits per second.
#[derive(Default)]
struct Meter {
    samples: std::collections::VecDeque<(Instant, usize)>,
}

impl Meter {
    const WINDOW: Duration = Duration::from_secs(2);

    fn add(&mut self, at: Instant, bytes: usize) {
        self.samples.push_back((at, bytes));
        while self.samples.front().is_some_and(|(t, _)| at.duration_since(*t) > Self::WINDOW) {
            self.samples.pop_front();
        }
    }

    fn bps(&self, now: Instant) -> f64 {
        let bytes: usize = self.samples.iter().filter(|(t, _)| now.duration_since(*t) <= Self::WINDOW).map(|(_, b)| b).sum();
        bytes as f64 * 8.0 / Self::WINDOW.as_secs_f64()
    }
}

/// The SFU's handle; cheap to clone.
#[derive(Clone)]
pub struct Sfu {
    traffic: Arc<std::sync::Mutex<Traffic>>,
    commands: mpsc::UnboundedSender<Command>,
    addr: SocketAddr,
    crypto: Arc<CryptoProvider>,
    next_id: Arc<AtomicU64>,
}

/// How long a connection may take to connect before it is dropped.
const CONNECT_WITHIN: Duration = Duration::from_secs(20);
/// The least time between two keyframe requests to one publisher.
const KEYFRAME_EVERY: Duration = Duration::from_millis(500);

impl Role {
    /// Whether this connection receives participant `publisher`'s media.
    fn receives(&self, publisher: &str) -> bool {
        matches!(self, Role::Subscribe(p) if p == publisher)
    }
}

impl Sfu {
    /// Binds the media socket on `ip` (any free port) and starts the task.
    pub async fn start(ip: std::net::IpAddr, stages: Stages) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let addr = socket.local_addr()?;
        let (commands, rx) = mpsc::unbounded_channel();
        let traffic = Arc::new(std::sync::Mutex::new(Traffic::default()));
        tokio::spawn(run(socket, rx, stages, Arc::clone(&traffic)));
        Ok(Self { traffic, commands, addr, crypto: Arc::new(str0m::crypto::from_feature_flags()), next_id: Arc::new(AtomicU64::new(1)) })
    }

    /// Whether participant `subscriber` may start receiving `publisher` within its download
    /// quota, as last measured.
    pub fn download_room(&self, subscriber: &str, publisher: &str) -> bool {
        let traffic = self.traffic.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let rate = |p: &str| traffic.rates.get(p).copied().unwrap_or(0.0);
        let receiving: f64 = traffic.receiving.get(subscriber).map(|ps| ps.iter().filter(|p| *p != publisher).map(|p| rate(p)).sum()).unwrap_or(0.0);
        download_fits(receiving, rate(publisher))
    }

    /// Where media flows (the one ICE candidate answers name).
    pub fn media_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers `offer` from `peer`; the connection is then the task's.
    pub fn answer(&self, offer: &str, peer: Peer) -> Result<(ConnId, String), OfferError> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| OfferError::Sdp(e.to_string()))?;
        let mut rtc = Rtc::builder().set_crypto_provider(Arc::clone(&self.crypto)).build(Instant::now());
        let candidate = Candidate::host(self.addr, "udp").map_err(|e| OfferError::Rejected(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| OfferError::Rejected(e.to_string()))?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.commands.send(Command::Join(id, Box::new(rtc), peer)).map_err(|_| OfferError::Stopped)?;
        Ok((id, answer.to_sdp_string()))
    }

    /// Ends connection `id` if it is participant `participant_id`'s (WHIP `DELETE`).
    pub async fn close(&self, id: ConnId, participant_id: &str) -> Closed {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.commands.send(Command::Close(id, participant_id.to_owned(), tx)).is_err() {
            return Closed::Unknown;
        }
        rx.await.unwrap_or(Closed::Unknown)
    }

    /// Ends every connection of participant `participant_id` (`DisconnectParticipant`).
    pub fn disconnect_participant(&self, participant_id: &str) {
        let _ = self.commands.send(Command::DisconnectParticipant(participant_id.to_owned()));
    }

    /// Ends every connection on stage `arn` (`DeleteStage`).
    pub fn disconnect_stage(&self, arn: &str) {
        let _ = self.commands.send(Command::DisconnectStage(arn.to_owned()));
    }
}

struct Conn {
    id: ConnId,
    rtc: Rtc,
    peer: Peer,
    joined: Instant,
    connected: bool,
    /// A publisher's incoming m-lines and their kinds.
    tracks_in: HashMap<Mid, MediaKind>,
    /// A subscriber's outgoing m-line for each kind.
    tracks_out: HashMap<MediaKind, Mid>,
    last_keyframe_request: Option<Instant>,
    /// A publisher's incoming media.
    meter: Meter,
}

/// What one connection's output asks of the others.
enum Propagate {
    Media(ConnId, MediaKind, Box<MediaData>),
    /// A subscriber wants a keyframe from participant `.0`.
    Keyframe(String, KeyframeRequestKind),
}

async fn run(socket: UdpSocket, mut commands: mpsc::UnboundedReceiver<Command>, stages: Stages, traffic: Arc<std::sync::Mutex<Traffic>>) {
    let mut measured = Instant::now();
    let local = match socket.local_addr() {
        Ok(addr) => addr,
        Err(_) => return,
    };
    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = vec![0u8; 2000];
    loop {
        let mut propagate = Vec::new();
        let mut next = Instant::now() + Duration::from_millis(100);
        for conn in &mut conns {
            next = next.min(poll(conn, &socket, &stages, &mut propagate));
        }
        for item in propagate {
            forward(&mut conns, item);
        }
        drop_dead(&mut conns, &stages);
        if measured.elapsed() >= Duration::from_millis(500) {
            measured = Instant::now();
            measure(&conns, &traffic, measured);
        }

        let wait = next.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let Ok(contents) = buf[..n].try_into() else { continue };
                let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: local, contents });
                if let Some(conn) = conns.iter_mut().find(|c| c.rtc.accepts(&input)) {
                    if let Err(e) = conn.rtc.handle_input(input) {
                        tracing::debug!(conn = conn.id, "stage connection failed: {e}");
                        conn.rtc.disconnect();
                    }
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { return };
                match command {
                    Command::Join(id, rtc, peer) => conns.push(Conn {
                        id,
                        rtc: *rtc,
                        peer,
                        joined: Instant::now(),
                        connected: false,
                        tracks_in: HashMap::new(),
                        tracks_out: HashMap::new(),
                        last_keyframe_request: None,
                        meter: Meter::default(),
                    }),
                    Command::Close(id, participant, answer) => {
                        let closed = match conns.iter_mut().find(|c| c.id == id && c.rtc.is_alive()) {
                            Some(conn) if conn.peer.participant_id == participant => {
                                conn.rtc.disconnect();
                                Closed::Closed
                            }
                            Some(_) => Closed::NotYours,
                            None => Closed::Unknown,
                        };
                        let _ = answer.send(closed);
                    }
                    Command::DisconnectParticipant(pid) => conns.iter_mut().filter(|c| c.peer.participant_id == pid).for_each(|c| c.rtc.disconnect()),
                    Command::DisconnectStage(arn) => conns.iter_mut().filter(|c| c.peer.stage_arn == arn).for_each(|c| c.rtc.disconnect()),
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
        let now = Instant::now();
        for conn in &mut conns {
            if conn.rtc.is_alive() {
                if let Err(e) = conn.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(conn = conn.id, "stage connection failed: {e}");
                    conn.rtc.disconnect();
                }
            }
            if !conn.connected && now.duration_since(conn.joined) > CONNECT_WITHIN {
                tracing::info!(conn = conn.id, participant = %conn.peer.participant_id, "stage connection never connected; dropped");
                conn.rtc.disconnect();
            }
        }
    }
}

/// Drives `conn` until it waits; answers when it next needs time.
fn poll(conn: &mut Conn, socket: &UdpSocket, stages: &Stages, propagate: &mut Vec<Propagate>) -> Instant {
    loop {
        if !conn.rtc.is_alive() {
            return Instant::now();
        }
        let output = match conn.rtc.poll_output() {
            Ok(output) => output,
            Err(e) => {
                tracing::debug!(conn = conn.id, "stage connection failed: {e}");
                conn.rtc.disconnect();
                return Instant::now();
            }
        };
        match output {
            Output::Timeout(at) => return at,
            Output::Transmit(t) => {
                let _ = socket.try_send_to(&t.contents, t.destination);
            }
            Output::Event(event) => on_event(conn, event, stages, propagate),
        }
    }
}

fn on_event(conn: &mut Conn, event: Event, stages: &Stages, propagate: &mut Vec<Propagate>) {
    match event {
        Event::Connected => {
            conn.connected = true;
            let Peer { stage_arn, participant_id, role } = &conn.peer;
            match role {
                Role::Publish => stages.published(stage_arn, participant_id),
                Role::Subscribe(publisher) => {
                    stages.subscribed(stage_arn, participant_id, publisher);
                    propagate.push(Propagate::Keyframe(publisher.clone(), KeyframeRequestKind::Pli));
                }
            }
        }
        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => conn.rtc.disconnect(),
        Event::MediaAdded(added) => match (&conn.peer.role, added.direction) {
            (Role::Publish, Direction::RecvOnly | Direction::SendRecv) => {
                conn.tracks_in.insert(added.mid, added.kind);
            }
            (Role::Subscribe(_), Direction::SendOnly | Direction::SendRecv) => {
                conn.tracks_out.entry(added.kind).or_insert(added.mid);
            }
            _ => {}
        },
        Event::MediaData(data) => {
            tracing::trace!(conn = conn.id, mid = %data.mid, pt = ?data.pt, bytes = data.data.len(), "media in");
            let Some(&kind) = conn.tracks_in.get(&data.mid) else { return };
            if let Some((width, height)) = picture_size(&data).filter(|&(w, h)| !within_720p(w, h)) {
                // IVS's limit on what a participant publishes; the publisher is told by its
                // PUBLISH_ERROR event and the end of its connection.
                let Peer { stage_arn, participant_id, .. } = &conn.peer;
                tracing::info!(participant = %participant_id, "published {width}×{height}, over 720p: refused");
                stages.failed(stage_arn, participant_id, "PUBLISH_ERROR", "RESOLUTION_EXCEEDED", None);
                conn.rtc.disconnect();
                return;
            }
            if !data.contiguous && kind == MediaKind::Video {
                request_keyframe(conn, KeyframeRequestKind::Fir);
            }
            conn.meter.add(data.network_time, data.data.len());
            propagate.push(Propagate::Media(conn.id, kind, Box::new(data)));
        }
        Event::KeyframeRequest(request) => {
            if let Role::Subscribe(publisher) = &conn.peer.role {
                propagate.push(Propagate::Keyframe(publisher.clone(), request.kind));
            }
        }
        _ => {}
    }
}

/// The picture size a keyframe carries (VP8 and H.264; other codecs and other frames: `None`).
fn picture_size(data: &MediaData) -> Option<(u32, u32)> {
    if !data.is_keyframe() {
        return None;
    }
    match data.params.spec().codec {
        Codec::Vp8 => vp8_keyframe_size(&data.data),
        Codec::H264 => h264_frame_size(&data.data),
        _ => None,
    }
}

/// Asks publisher `conn` for a keyframe, at most every [`KEYFRAME_EVERY`].
fn request_keyframe(conn: &mut Conn, kind: KeyframeRequestKind) {
    if conn.last_keyframe_request.is_some_and(|at| at.elapsed() < KEYFRAME_EVERY) {
        return;
    }
    let video: Vec<Mid> = conn.tracks_in.iter().filter(|(_, k)| **k == MediaKind::Video).map(|(m, _)| *m).collect();
    for mid in video {
        if let Some(mut writer) = conn.rtc.writer(mid) {
            let _ = writer.request_keyframe(None, kind);
        }
    }
    conn.last_keyframe_request = Some(Instant::now());
}

fn forward(conns: &mut [Conn], item: Propagate) {
    match item {
        Propagate::Media(from, kind, data) => {
            let Some(index) = conns.iter().position(|c| c.id == from) else { return };
            // Split so the publisher is read while its subscribers are written to (no per-packet copies).
            let (before, rest) = conns.split_at_mut(index);
            let (publisher, after) = rest.split_first_mut().expect("index is in range");
            let (stage, participant) = (&publisher.peer.stage_arn, &publisher.peer.participant_id);
            for conn in before.iter_mut().chain(after.iter_mut()).filter(|c| c.connected && c.peer.stage_arn == *stage && c.peer.role.receives(participant)) {
                let Some(&mid) = conn.tracks_out.get(&kind) else { continue };
                let Some(writer) = conn.rtc.writer(mid) else { continue };
                let Some(pt) = writer.match_params(data.params) else {
                    tracing::debug!(conn = conn.id, params = ?data.params, "the subscriber negotiated no codec matching the publisher's; not forwarded");
                    continue;
                };
                // The speaker's loudness travels on (subscribers find the active speaker by it).
                let writer = match data.ext_vals.audio_level {
                    Some(level) => writer.audio_level(level, data.ext_vals.voice_activity.unwrap_or(false)),
                    None => writer,
                };
                if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
                    tracing::debug!(conn = conn.id, "forwarding failed: {e}");
                    conn.rtc.disconnect();
                }
            }
        }
        Propagate::Keyframe(participant, kind) => {
            if let Some(publisher) = conns.iter_mut().find(|c| c.peer.participant_id == participant && c.peer.role == Role::Publish && c.rtc.is_alive()) {
                request_keyframe(publisher, kind);
            }
        }
    }
}

/// Writes down each publisher's bitrate and whom each subscriber receives.
fn measure(conns: &[Conn], traffic: &std::sync::Mutex<Traffic>, now: Instant) {
    let mut next = Traffic::default();
    for conn in conns.iter().filter(|c| c.rtc.is_alive()) {
        match &conn.peer.role {
            Role::Publish => {
                *next.rates.entry(conn.peer.participant_id.clone()).or_default() += conn.meter.bps(now);
            }
            Role::Subscribe(publisher) => next.receiving.entry(conn.peer.participant_id.clone()).or_default().push(publisher.clone()),
        }
    }
    *traffic.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = next;
}

/// Forgets the connections that ended, telling the stages; a publisher's subscribers end with it.
fn drop_dead(conns: &mut Vec<Conn>, stages: &Stages) {
    let ended: Vec<Peer> = conns.iter().filter(|c| !c.rtc.is_alive()).map(|c| c.peer.clone()).collect();
    if ended.is_empty() {
        return;
    }
    conns.retain(|c| c.rtc.is_alive());
    for peer in &ended {
        tracing::info!(participant = %peer.participant_id, role = ?peer.role, "stage connection ended");
        match &peer.role {
            Role::Publish => {
                stages.closed(&peer.stage_arn, &peer.participant_id, true, None);
                // Its subscribers have nothing left to receive: WHIP has no renegotiation.
                for conn in conns.iter_mut().filter(|c| c.peer.role.receives(&peer.participant_id)) {
                    conn.rtc.disconnect();
                }
            }
            Role::Subscribe(publisher) => stages.closed(&peer.stage_arn, &peer.participant_id, false, Some(publisher)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_downloads_at_most_8_5_mbps_in_all() {
        assert!(download_fits(6_000_000.0, 2_500_000.0));
        assert!(!download_fits(6_000_000.0, 2_600_000.0));
        let mut meter = Meter::default();
        let start = Instant::now();
        for i in 0..100 {
            meter.add(start + Duration::from_millis(i * 20), 12_500);
        }
        let rate = meter.bps(start + Duration::from_millis(1990));
        assert!((rate - 5_000_000.0).abs() < 100_000.0, "{rate}");
        assert_eq!(meter.bps(start + Duration::from_secs(10)), 0.0, "silence reads as nothing");
    }
}
