//! `bench stage`: the real-time stage through the local IVS's SFU, in one Chromium.
//!
//! - Glass to glass: a publisher page draws the wall-clock time into its picture (24 bits of
//!   milliseconds as black and white blocks, and their complement to reject a misread), publishes
//!   it by WHIP; a subscriber page reads the blocks from each frame it presents
//!   (`requestVideoFrameCallback`) and subtracts. p50 and p99 (target p99 under 300 ms, IVS's
//!   promise). Both pages share one clock.
//! - A new subscriber's time to its first frame, from the moment it starts to make its offer
//!   (target under 1 s), ten times.
//! - The SFU's cost: its process's CPU time while it forwards to 1 and then to 8 subscribers, over
//!   the media bytes they received — CPU per forwarded Mbps, and so how many 1 Mbps subscribers
//!   one core holds.

use std::time::Duration;

use ivs_e2e::stage::publish;
use ivs_e2e::{eval, ivsrealtime_client, wait_for, Chromium, Stack};

use super::percentile;

/// Draws the time into the publisher's canvas each time it draws (`stage::publish` calls it).
const CLOCK_IN_PICTURE: &str = r#"
window.__stamp = (g) => {
  const t = Date.now() % 16777216;
  g.fillStyle = '#808080'; g.fillRect(0, 0, 640, 120);
  for (let i = 0; i < 24; i++) {
    const bit = (t >> i) & 1;
    g.fillStyle = bit ? '#fff' : '#000'; g.fillRect(16 + i * 25, 16, 20, 36);
    g.fillStyle = bit ? '#000' : '#fff'; g.fillRect(16 + i * 25, 64, 20, 36);
  }
};
"#;

/// Reads the time out of each presented frame of `video`; keeps each frame's latency in ms.
const READ_CLOCK: &str = r#"
window.__latencies = [];
window.__readClock = (video) => {
  const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 120 });
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const step = (now, meta) => {
    g.drawImage(video, 0, 0, 640, 120, 0, 0, 640, 120);
    const pixels = g.getImageData(0, 0, 640, 120).data;
    const lum = (x, y) => pixels[(y * 640 + x) * 4 + 1];
    let t = 0, ok = true;
    for (let i = 0; i < 24; i++) {
      const top = lum(26 + i * 25, 34) > 128, bottom = lum(26 + i * 25, 82) > 128;
      if (top === bottom) { ok = false; break; }
      if (top) t |= 1 << i;
    }
    if (ok) {
      const shown = (performance.timeOrigin + meta.expectedDisplayTime) % 16777216;
      const latency = (shown - t + 16777216) % 16777216;
      if (latency < 10000) window.__latencies.push(latency);
    }
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
};
"#;

/// CPU seconds (user + system) process `pid` has used.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or_default().split(' ').collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0) + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    Ok(ticks / 100.0)
}

/// Subscribes `count` receivers in `page` to `publisher` (no video element but the first: only the
/// SFU's cost is measured); answers once all are connected.
async fn subscribers(page: &chromiumoxide::Page, whip: &str, token: &str, publisher: &str, count: usize) -> anyhow::Result<()> {
    let script = format!(
        r#"(async () => {{
            window.__subs = window.__subs ?? [];
            for (let i = 0; i < {count}; i++) {{
              const pc = new RTCPeerConnection();
              pc.addTransceiver('video', {{ direction: 'recvonly' }});
              await pc.setLocalDescription(await pc.createOffer());
              const answer = await fetch({whip:?} + '/subscribe/' + {publisher:?}, {{ method: 'POST', headers: {{ 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + {token:?} }}, body: pc.localDescription.sdp }});
              if (answer.status !== 201) return answer.status;
              await pc.setRemoteDescription({{ type: 'answer', sdp: await answer.text() }});
              window.__subs.push(pc);
            }}
            return 201;
        }})()"#
    );
    let status: u16 = eval(page, &script).await?;
    anyhow::ensure!(status == 201, "subscribing: {status}");
    wait_for(page, "window.__subs.every(pc => pc.connectionState === 'connected')", Duration::from_secs(20)).await?;
    Ok(())
}

/// Bytes received by every subscriber in `page` so far.
async fn received_bytes(page: &chromiumoxide::Page) -> anyhow::Result<f64> {
    eval(
        page,
        "Promise.all(window.__subs.map(pc => pc.getStats())).then(all => all.flatMap(s => [...s.values()]).filter(r => r.type === 'inbound-rtp').reduce((n, r) => n + r.bytesReceived, 0))",
    )
    .await
}

pub async fn stage() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let rt = ivsrealtime_client(&stack).await;
    let arn = rt.create_stage().name("bench").send().await?.stage().map(|s| s.arn().to_owned()).unwrap_or_default();
    let token = |caps: Vec<aws_sdk_ivsrealtime::types::ParticipantTokenCapability>| {
        let rt = rt.clone();
        let arn = arn.clone();
        async move {
            let t = rt.create_participant_token().stage_arn(arn).set_capabilities(Some(caps)).send().await?;
            let t = t.participant_token().cloned().unwrap_or_else(|| aws_sdk_ivsrealtime::types::ParticipantToken::builder().build());
            anyhow::Ok((t.token().unwrap_or_default().to_owned(), t.participant_id().unwrap_or_default().to_owned()))
        }
    };
    use aws_sdk_ivsrealtime::types::ParticipantTokenCapability as Cap;
    let (host_token, host) = token(vec![Cap::Publish]).await?;
    let (viewer_token, _) = token(vec![Cap::Subscribe]).await?;
    let whip = format!("{}/whip", stack.api);

    let chromium = Chromium::launch().await?;
    let origin = format!("{}/_local/health", stack.api);
    let host_page = chromium.open_isolated(&origin).await?;
    let viewer_page = chromium.open_isolated(&origin).await?;
    eval::<bool>(&host_page, &format!("(() => {{ {CLOCK_IN_PICTURE}; return true; }})()")).await?;
    anyhow::ensure!(publish(&host_page, &whip, &host_token).await? == 201, "publishing");

    // Glass to glass.
    eval::<bool>(&viewer_page, &format!("(() => {{ {READ_CLOCK}; return true; }})()")).await?;
    subscribers(&viewer_page, &whip, &viewer_token, &host, 1).await?;
    eval::<bool>(
        &viewer_page,
        "(() => { const v = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true }); document.body.append(v); \
         const s = new MediaStream(window.__subs[0].getReceivers().map(r => r.track)); v.srcObject = s; v.play(); window.__readClock(v); return true; })()",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let mut latencies: Vec<f64> = eval(&viewer_page, "window.__latencies").await?;
    latencies.sort_by(f64::total_cmp);
    println!("Stage, glass to glass (publisher's canvas → SFU → subscriber's presented frame, {} frames read):", latencies.len());
    if latencies.is_empty() {
        println!("  no frame could be read");
    } else {
        let p99 = percentile(&latencies, 99.0);
        println!("  p50 {:.0} ms, p99 {p99:.0} ms (target p99 < 300 ms) {}", percentile(&latencies, 50.0), if p99 < 300.0 { "✓" } else { "✗" });
    }

    // A new subscriber's first frame.
    let mut first_frames = Vec::new();
    for _ in 0..10 {
        let ms: f64 = eval(
            &viewer_page,
            &format!(
                r#"(async () => {{
                const start = performance.now();
                const pc = new RTCPeerConnection();
                pc.addTransceiver('video', {{ direction: 'recvonly' }});
                const v = Object.assign(document.createElement('video'), {{ muted: true, autoplay: true, playsInline: true }});
                document.body.append(v);
                pc.ontrack = e => {{ v.srcObject = new MediaStream([e.track]); v.play(); }};
                await pc.setLocalDescription(await pc.createOffer());
                const answer = await fetch({whip:?} + '/subscribe/' + {host:?}, {{ method: 'POST', headers: {{ 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + {viewer_token:?} }}, body: pc.localDescription.sdp }});
                await pc.setRemoteDescription({{ type: 'answer', sdp: await answer.text() }});
                const shown = await new Promise(done => v.requestVideoFrameCallback(now => done(now)));
                pc.close(); v.remove();
                return shown - start;
            }})()"#
            ),
        )
        .await?;
        first_frames.push(ms);
    }
    first_frames.sort_by(f64::total_cmp);
    let worst = first_frames.last().copied().unwrap_or(0.0);
    println!(
        "  a new subscriber's first frame (10 times): p50 {:.0} ms, worst {worst:.0} ms (target < 1000 ms) {}",
        percentile(&first_frames, 50.0),
        if worst < 1000.0 { "✓" } else { "✗" }
    );

    // The SFU's cost per forwarded megabit.
    let mut rows = Vec::new();
    for total in [1usize, 8] {
        let have: usize = eval(&viewer_page, "window.__subs.length").await?;
        if total > have {
            subscribers(&viewer_page, &whip, &viewer_token, &host, total - have).await?;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (cpu0, bytes0, t0) = (cpu_seconds(stack.pid())?, received_bytes(&viewer_page).await?, std::time::Instant::now());
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (cpu1, bytes1, elapsed) = (cpu_seconds(stack.pid())?, received_bytes(&viewer_page).await?, t0.elapsed().as_secs_f64());
        let mbps = (bytes1 - bytes0) * 8.0 / elapsed / 1e6;
        let cores = (cpu1 - cpu0) / elapsed;
        rows.push((total, mbps, cores));
    }
    for (total, mbps, cores) in &rows {
        println!("  SFU forwarding to {total} subscriber(s): {mbps:.2} Mbps out, {:.1} % of a core", cores * 100.0);
    }
    if let [(_, m1, c1), (_, m8, c8)] = rows[..] {
        // The cost of each further megabit: what the eighth subscriber adds over the first.
        let per_mbps = if m8 > m1 { (c8 - c1) / (m8 - m1) } else { f64::NAN };
        println!("  CPU per forwarded Mbps: {:.2} % of a core → one core holds about {:.0} subscribers at 1 Mbps", per_mbps * 100.0, 1.0 / per_mbps);
    }
    chromium.close().await;
    Ok(())
}
