//! A stage participant in a browser page, as a site's own page would be one: WHIP publish of a
//! camera of its own (a canvas drawing the time, and a tone) or of the browser's camera, WHIP subscribe to a participant into a `<video>`, both with plain
//! `RTCPeerConnection` and `fetch`. The scripts keep their peer connections on `window` so a
//! test can read what a person would see (the video's size and clock) and end them.

use chromiumoxide::Page;

use crate::chromium::{eval, eval_as_gesture};

/// Publishes a 640×360 canvas and a tone to `whip_url` with `token`; answers the
/// WHIP POST's status (and sets `window.__pub`).
pub async fn publish(page: &Page, whip_url: &str, token: &str) -> anyhow::Result<u16> {
    publish_sized(page, whip_url, token, 640, 360).await
}

/// Publishes as [`publish`] does, a picture of `width`×`height` (kept at that size: the sender
/// is told to keep its resolution rather than scale down while its bandwidth estimate grows).
pub async fn publish_sized(page: &Page, whip_url: &str, token: &str, width: u32, height: u32) -> anyhow::Result<u16> {
    let media = format!(
        r#"// A camera of its own: a canvas drawing the time, and a tone (no device needed).
            const canvas = Object.assign(document.createElement('canvas'), {{ width: {width}, height: {height} }});
            const g = canvas.getContext('2d');
            const draw = () => {{ g.fillStyle = `hsl(${{(performance.now() / 10) % 360}}, 70%, 50%)`; g.fillRect(0, 0, {width}, {height});
                g.fillStyle = '#fff'; g.font = '48px sans-serif'; g.fillText(String(Date.now()), 40, 200); window.__stamp?.(g); }};
            draw(); setInterval(draw, 16);
            const audio = new AudioContext();
            const tone = audio.createOscillator(); const sink = audio.createMediaStreamDestination();
            tone.connect(sink); tone.start(); await audio.resume(); // a gesture's: see eval_as_gesture
            const media = new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...sink.stream.getAudioTracks()]);"#
    );
    publish_media(page, whip_url, token, &media).await
}

/// Publishes the browser's camera and microphone (`getUserMedia`, as a host's page does; the
/// suite's Chromium has fake ones, granted without a prompt) at 640×360.
pub async fn publish_camera(page: &Page, whip_url: &str, token: &str) -> anyhow::Result<u16> {
    let media = "const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });";
    publish_media(page, whip_url, token, media).await
}

/// The WHIP publish of the `media` a script makes: one send-only transceiver per track.
async fn publish_media(page: &Page, whip_url: &str, token: &str, media: &str) -> anyhow::Result<u16> {
    let script = format!(
        r#"(async () => {{
            {media}
            const pc = new RTCPeerConnection();
            for (const track of media.getTracks()) pc.addTransceiver(track, {{ direction: 'sendonly' }});
            await pc.setLocalDescription(await pc.createOffer());
            const answer = await fetch({whip_url:?}, {{ method: 'POST', headers: {{ 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + {token:?} }}, body: pc.localDescription.sdp }});
            if (answer.status !== 201) {{ pc.close(); return answer.status; }}
            await pc.setRemoteDescription({{ type: 'answer', sdp: await answer.text() }});
            for (const sender of pc.getSenders().filter(s => s.track?.kind === 'video')) {{
                await sender.setParameters({{ ...sender.getParameters(), degradationPreference: 'maintain-resolution' }}).catch(() => {{}});
            }}
            window.__pub = {{ pc, location: new URL(answer.headers.get('Location'), {whip_url:?}).href }};
            window.__pubToken = {token:?};
            return answer.status;
        }})()"#
    );
    eval_as_gesture(page, &script).await
}

/// Ends the page's publication as a host's page does when it leaves: closes the connection and
/// sends the WHIP DELETE.
pub async fn unpublish(page: &Page) -> anyhow::Result<()> {
    eval::<bool>(
        page,
        "window.__pub.pc.close(), fetch(window.__pub.location, { method: 'DELETE', headers: { Authorization: 'Bearer ' + window.__pubToken } }), true",
    )
    .await
    .map(drop)
}

/// Subscribes to participant `publisher` with `token`, showing it in a new `<video id=…>`;
/// answers the WHIP POST's status (and sets `window.__sub[id]`, its resource URL in
/// `window.__subAt[id]`).
pub async fn subscribe(page: &Page, whip_url: &str, token: &str, publisher: &str, id: &str) -> anyhow::Result<u16> {
    let script = format!(
        r#"(async () => {{
            const pc = new RTCPeerConnection();
            pc.addTransceiver('video', {{ direction: 'recvonly' }});
            pc.addTransceiver('audio', {{ direction: 'recvonly' }});
            const video = document.createElement('video');
            video.id = {id:?}; video.muted = true; video.autoplay = true; video.playsInline = true;
            document.body.append(video);
            const stream = new MediaStream();
            pc.ontrack = e => {{ stream.addTrack(e.track); video.srcObject = stream; video.play().catch(() => {{}}); }};
            await pc.setLocalDescription(await pc.createOffer());
            const answer = await fetch({whip_url:?} + '/subscribe/' + {publisher:?}, {{ method: 'POST', headers: {{ 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + {token:?} }}, body: pc.localDescription.sdp }});
            if (answer.status !== 201) {{ pc.close(); video.remove(); return answer.status; }}
            await pc.setRemoteDescription({{ type: 'answer', sdp: await answer.text() }});
            (window.__sub ??= {{}})[{id:?}] = pc;
            (window.__subAt ??= {{}})[{id:?}] = new URL(answer.headers.get('Location'), {whip_url:?}).href;
            return answer.status;
        }})()"#
    );
    eval(page, &script).await
}

/// Whether `<video id=…>` shows moving pictures: a size, and a clock past `after` seconds.
pub fn video_moving(id: &str, after: f64) -> String {
    format!("(() => {{ const v = document.getElementById({id:?}); return !!v && v.videoWidth > 0 && v.currentTime > {after}; }})()")
}

/// This machine's own address on its default route (not loopback), for a media socket Firefox
/// can reach: it gathers no loopback candidates.
pub fn own_address() -> anyhow::Result<String> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
    // Connecting a UDP socket sends nothing; it only picks the route and so the source address.
    socket.connect("192.0.2.255:9").or_else(|_| socket.connect("10.255.255.255:9"))?;
    let ip = socket.local_addr()?.ip();
    anyhow::ensure!(!ip.is_loopback() && !ip.is_unspecified(), "this machine has no address besides loopback");
    Ok(ip.to_string())
}
