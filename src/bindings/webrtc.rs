//! Receiving one stage participant's media with the browser's own `RTCPeerConnection`, by WHIP:
//! a receive-only offer POSTed with the participant token to `{whip_url}/subscribe/{id}`, the SDP
//! answer from the body. No SDK is needed for watching: the IVS Web Broadcast SDK adds publishing,
//! device handling and its own events channel, none of which a viewer uses.
//!
//! A [`Subscription`] owns its peer connection and listeners: dropping it closes the connection,
//! removes the listeners and ends the WHIP session (`DELETE` of the answer's `Location`).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Request;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, HtmlVideoElement, MediaStream, RtcPeerConnection, RtcPeerConnectionState, RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType,
    RtcSessionDescriptionInit, RtcTrackEvent,
};

/// How a subscription is doing, for the tile to say in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerState {
    Connecting,
    Connected,
    /// It failed or ended: the key of why (`locales/*.json`).
    Failed(&'static str),
    /// The stage refused the pass (401 or 403): a new one is needed.
    Refused,
}

/// One participant's media arriving in a `<video>`.
pub struct Subscription {
    pc: RtcPeerConnection,
    location: Rc<RefCell<Option<String>>>,
    token: String,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_state: Closure<dyn FnMut(Event)>,
}

impl Subscription {
    /// Subscribes at `url` with `token`, showing the media in `video`; `report` hears each change.
    pub fn start(url: String, token: String, video: HtmlVideoElement, report: impl Fn(PeerState) + 'static) -> Result<Self, JsValue> {
        let pc = RtcPeerConnection::new()?;
        for kind in ["video", "audio"] {
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Recvonly);
            pc.add_transceiver_with_str_and_init(kind, &init);
        }
        let stream = MediaStream::new()?;
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
            stream.add_track(&event.track());
            if video.src_object().is_none() {
                video.set_src_object(Some(&stream));
            }
            let _ = video.play();
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        let report = Rc::new(report);
        let on_state = {
            let (pc, report) = (pc.clone(), Rc::clone(&report));
            Closure::<dyn FnMut(Event)>::new(move |_: Event| match pc.connection_state() {
                RtcPeerConnectionState::Connected => report(PeerState::Connected),
                RtcPeerConnectionState::Failed => report(PeerState::Failed("stage.why.failed")),
                RtcPeerConnectionState::Disconnected | RtcPeerConnectionState::Closed => report(PeerState::Failed("stage.why.ended")),
                _ => {}
            })
        };
        pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
        let location = Rc::new(RefCell::new(None));
        report(PeerState::Connecting);
        {
            let (pc, token, location) = (pc.clone(), token.clone(), Rc::clone(&location));
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(state) = negotiate(&pc, &url, &token, &location).await {
                    report(state);
                }
            });
        }
        Ok(Self { pc, location, token, _on_track: on_track, _on_state: on_state })
    }
}

impl Subscription {
    /// The loudness of the participant's sound now (0 to 1, as WebRTC measures it), if any arrives.
    pub fn audio_level(&self) -> Option<f64> {
        use js_sys::{Array, Function, Reflect};
        let call = |target: &JsValue, name: &str| -> Option<JsValue> {
            Reflect::get(target, &JsValue::from_str(name)).ok()?.dyn_into::<Function>().ok()?.call0(target).ok()
        };
        let receivers: Array = call(self.pc.as_ref(), "getReceivers")?.dyn_into().ok()?;
        receivers.iter().find_map(|receiver| {
            let track = Reflect::get(&receiver, &JsValue::from_str("track")).ok()?;
            if Reflect::get(&track, &JsValue::from_str("kind")).ok()?.as_string()? != "audio" {
                return None;
            }
            let sources: Array = call(&receiver, "getSynchronizationSources")?.dyn_into().ok()?;
            Reflect::get(&sources.get(0), &JsValue::from_str("audioLevel")).ok()?.as_f64()
        })
    }
}

async fn negotiate(pc: &RtcPeerConnection, url: &str, token: &str, location: &RefCell<Option<String>>) -> Result<(), PeerState> {
    negotiate_once(pc, url, token, location).await.map_err(|refusal| match refusal {
        None => PeerState::Refused,
        Some(why) => PeerState::Failed(why),
    })
}

/// One WHIP exchange; `Err(None)` when the pass was refused, else the key of why it failed.
async fn negotiate_once(pc: &RtcPeerConnection, url: &str, token: &str, location: &RefCell<Option<String>>) -> Result<(), Option<&'static str>> {
    let failed = |why: &'static str| Some(why);
    let offer = JsFuture::from(pc.create_offer()).await.map_err(|_| failed("stage.why.browser"))?;
    let offer: RtcSessionDescriptionInit = offer.unchecked_into();
    JsFuture::from(pc.set_local_description(&offer)).await.map_err(|_| failed("stage.why.browser"))?;
    let sdp = pc.local_description().map(|d| d.sdp()).unwrap_or_default();
    let response = Request::post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/sdp")
        .body(sdp)
        .map_err(|_| failed("stage.why.browser"))?
        .send()
        .await
        .map_err(|_| failed("stage.why.unreachable"))?;
    let status = response.status();
    if status != 201 {
        return Err(match status {
            401 | 403 => None,
            404 => failed("stage.why.not_publishing"),
            _ => {
                log::warn!("stage: the media service answered {status}");
                failed("stage.why.refused")
            }
        });
    }
    if let Some(at) = response.headers().get("Location") {
        *location.borrow_mut() = web_sys::Url::new_with_base(&at, url).ok().map(|u| u.href());
    }
    let answer = response.text().await.map_err(|_| failed("stage.why.unreadable"))?;
    let description = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    description.set_sdp(&answer);
    JsFuture::from(pc.set_remote_description(&description)).await.map_err(|_| failed("stage.why.unreadable"))?;
    Ok(())
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.pc.set_ontrack(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.close();
        if let Some(location) = self.location.borrow_mut().take() {
            let token = self.token.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(request) = Request::delete(&location).header("Authorization", &format!("Bearer {token}")).build() {
                    let _ = request.send().await;
                }
            });
        }
    }
}
