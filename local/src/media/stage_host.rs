//! The built-in stage host: a participant the local IVS puts on a stage itself, so a stage has a
//! live picture within seconds without a camera. ffmpeg draws a test pattern and encodes it in
//! VP8 (every browser decodes it without a plug-in, where Firefox fetches its H.264 decoder on
//! first use — which a machine without the internet never does), a keyframe every second, one
//! frame at a time out of an IVF stream; a WebRTC client of our
//! own (str0m, as the SFU) publishes it by WHIP at the token's `whip_url` — the same door every
//! other host goes through, so it is listed, evented and refused like one. Video only.
//!
//! A new subscriber's keyframe request cannot reach the encoder; it gets a picture at the next
//! keyframe, within a second.

use std::io::Read;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Publishes with a token from `token` (its `whip_url`, a fresh token each time) until the
/// connection ends; then again after a pause, for as long as the local IVS runs.
pub async fn run(token: impl Fn() -> Option<(String, String)>, size: (u32, u32)) {
    loop {
        let Some((token, whip_url)) = token() else {
            tracing::warn!("the built-in stage is gone; its host stops");
            return;
        };
        match publish_once(&token, &whip_url, size).await {
            Ok(()) => tracing::info!("the built-in stage host's connection ended"),
            Err(e) => tracing::warn!("the built-in stage host cannot publish: {e:#}"),
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

async fn publish_once(token: &str, whip_url: &str, (width, height): (u32, u32)) -> anyhow::Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let local = socket.local_addr()?;
    let mut rtc = Rtc::builder().set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags())).build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp")?);
    let mut change = rtc.sdp_api();
    let mid = change.add_media(MediaKind::Video, Direction::SendOnly, Some("host".into()), Some("video".into()), None);
    let (offer, pending) = change.apply().context("no offer to make")?;

    let answer = {
        let (token, url, offer) = (token.to_owned(), whip_url.to_owned(), offer.to_sdp_string());
        tokio::task::spawn_blocking(move || post_offer(&url, &token, &offer)).await??
    };
    let answer = SdpAnswer::from_sdp_string(&answer).context("the WHIP answer is not SDP")?;
    rtc.sdp_api().accept_answer(pending, answer)?;

    let (frames_tx, mut frames) = mpsc::channel::<Vec<u8>>(30);
    let mut encoder = encoder(width, height)?;
    let mut stdout = encoder.stdout.take().context("the encoder's output")?;
    std::thread::spawn(move || split_access_units(&mut stdout, &frames_tx));

    let result = drive(&mut rtc, &socket, local, mid, &mut frames).await;
    let _ = encoder.kill();
    let _ = encoder.wait();
    result
}

fn post_offer(url: &str, token: &str, offer: &str) -> anyhow::Result<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut response = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/sdp")
        .send(offer)
        .with_context(|| format!("POST {url}"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if status != 201 {
        bail!("POST {url}: {status} {body}");
    }
    Ok(body)
}

fn encoder(width: u32, height: u32) -> anyhow::Result<std::process::Child> {
    std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=30"))
        .args(["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-pix_fmt", "yuv420p", "-b:v", "1000k"])
        .args(["-g", "30", "-auto-alt-ref", "0", "-lag-in-frames", "0", "-error-resilient", "1", "-f", "ivf", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting ffmpeg for the built-in stage host")
}

/// Reads an IVF stream (a 32-byte file header, then per frame a 12-byte header — its size, little
/// endian, and its timestamp — and the frame) and sends one frame at a time.
fn split_access_units(input: &mut impl Read, frames: &mpsc::Sender<Vec<u8>>) {
    let mut header = [0u8; 32];
    if input.read_exact(&mut header).is_err() || &header[..4] != b"DKIF" {
        tracing::warn!("the stage host's encoder did not write IVF");
        return;
    }
    loop {
        let mut frame_header = [0u8; 12];
        if input.read_exact(&mut frame_header).is_err() {
            return;
        }
        let Some(size) = frame_size(&frame_header) else { return };
        let mut frame = vec![0u8; size];
        if input.read_exact(&mut frame).is_err() || frames.blocking_send(frame).is_err() {
            return;
        }
    }
}

/// The size an IVF frame header gives (at most 4 MB: anything more is not a frame of ours).
pub fn frame_size(header: &[u8; 12]) -> Option<usize> {
    let size = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    (size <= 4 << 20).then_some(size)
}

async fn drive(rtc: &mut Rtc, socket: &UdpSocket, local: SocketAddr, mid: Mid, frames: &mut mpsc::Receiver<Vec<u8>>) -> anyhow::Result<()> {
    let mut buf = vec![0u8; 2000];
    let mut connected = false;
    let started = Instant::now();
    let mut frame_no: u64 = 0;
    loop {
        let next = loop {
            match rtc.poll_output()? {
                Output::Timeout(at) => break at,
                Output::Transmit(t) => {
                    let _ = socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => {
                    connected = true;
                    tracing::info!("the built-in stage host publishes");
                }
                Output::Event(Event::IceConnectionStateChange(IceConnectionState::Disconnected)) => return Ok(()),
                Output::Event(_) => {}
            }
        };
        if !rtc.is_alive() {
            return Ok(());
        }
        if !connected && started.elapsed() > Duration::from_secs(20) {
            bail!("the stage's media never connected");
        }
        let wait = next.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let (n, source) = received?;
                if let Ok(contents) = buf[..n].try_into() {
                    rtc.handle_input(Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: local, contents }))?;
                }
            }
            frame = frames.recv() => {
                let Some(frame) = frame else { bail!("the encoder stopped") };
                if connected {
                    if let Some(writer) = rtc.writer(mid) {
                        let pt = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt());
                        tracing::trace!(frame_no, ?pt, bytes = frame.len(), "stage host frame");
                        if let Some(pt) = pt {
                            let time = MediaTime::new(frame_no * 3000, Frequency::NINETY_KHZ);
                            writer.write(pt, Instant::now(), time, frame)?;
                        }
                    }
                }
                frame_no += 1;
            }
            _ = tokio::time::sleep(wait) => {}
        }
        rtc.handle_input(Input::Timeout(Instant::now()))?;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ivf_frame_headers_give_their_size() {
        assert_eq!(super::frame_size(&[0x10, 0x02, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), Some(0x210));
        assert_eq!(super::frame_size(&[0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
