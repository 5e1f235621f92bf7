//! The IVS Player Web SDK (`window.IVSPlayer`, bundled from npm `amazon-ivs-player`).
//!
//! [`Player`] owns one SDK player and every listener it registered: dropping it removes the
//! listeners and calls the SDK's `delete()`, so reloading or unmounting never leaks. Events reach
//! Rust as [`SdkEvent`] values; nothing outside this module handles `JsValue`.

use ivs_proto::playback::{ErrorKind, PlayerState};
use js_sys::{Function, Object, Reflect};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

#[wasm_bindgen]
extern "C" {
    /// The SDK's `MediaPlayer`.
    #[derive(Clone)]
    type MediaPlayer;

    #[wasm_bindgen(js_namespace = IVSPlayer, js_name = create, catch)]
    fn create(config: &Object) -> Result<MediaPlayer, JsValue>;

    #[wasm_bindgen(method, js_name = attachHTMLVideoElement)]
    fn attach_html_video_element(this: &MediaPlayer, video: &HtmlVideoElement);
    #[wasm_bindgen(method, catch)]
    fn load(this: &MediaPlayer, url: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn play(this: &MediaPlayer) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn pause(this: &MediaPlayer);
    #[wasm_bindgen(method)]
    fn delete(this: &MediaPlayer);
    #[wasm_bindgen(method, js_name = setAutoplay)]
    fn set_autoplay(this: &MediaPlayer, autoplay: bool);
    #[wasm_bindgen(method, js_name = setMuted)]
    fn set_muted(this: &MediaPlayer, muted: bool);
    #[wasm_bindgen(method, js_name = isMuted)]
    fn is_muted(this: &MediaPlayer) -> bool;
    #[wasm_bindgen(method, js_name = setVolume)]
    fn set_volume(this: &MediaPlayer, volume: f64);
    #[wasm_bindgen(method, js_name = getVolume)]
    fn get_volume(this: &MediaPlayer) -> f64;
    #[wasm_bindgen(method, js_name = getPosition)]
    fn get_position(this: &MediaPlayer) -> f64;
    #[wasm_bindgen(method, js_name = getLiveLatency)]
    fn get_live_latency(this: &MediaPlayer) -> f64;
    #[wasm_bindgen(method, js_name = getBufferDuration)]
    fn get_buffer_duration(this: &MediaPlayer) -> f64;
    #[wasm_bindgen(method, js_name = getVersion)]
    fn get_version(this: &MediaPlayer) -> String;
    #[wasm_bindgen(method, js_name = getState)]
    fn get_state(this: &MediaPlayer) -> String;
    #[wasm_bindgen(method, js_name = setRebufferToLive)]
    fn set_rebuffer_to_live(this: &MediaPlayer, enabled: bool);
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &MediaPlayer, name: &str, listener: &Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_event_listener(this: &MediaPlayer, name: &str, listener: &Function);
}

/// The SDK's event names this wrapper listens to (`PlayerEventType` in SDK 1.56).
pub mod event {
    pub const ERROR: &str = "PlayerError";
    pub const TEXT_METADATA_CUE: &str = "PlayerTextMetadataCue";
    pub const AUDIO_BLOCKED: &str = "PlayerAudioBlocked";
    pub const PLAYBACK_BLOCKED: &str = "PlayerPlaybackBlocked";
    pub const MUTED_CHANGED: &str = "PlayerMutedChanged";
    pub const TIME_UPDATE: &str = "PlayerTimeUpdate";
}

/// Why a player could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlayerError {
    #[error("the player library did not load")]
    SdkMissing,
    #[error("this browser cannot run the player")]
    Unsupported,
    #[error("the player failed: {0}")]
    Sdk(String),
}

/// A timed-metadata cue.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataCue {
    /// Stream position of the cue, in seconds (the player's position clock).
    pub start_time: f64,
    pub text: String,
}

/// Something the player reported.
#[derive(Debug, Clone, PartialEq)]
pub enum SdkEvent {
    State(PlayerState),
    Error { kind: ErrorKind, code: i64, message: String },
    MetadataCue(MetadataCue),
    /// Autoplay with sound was refused; the SDK muted the player and went on.
    AudioBlocked,
    /// Autoplay was refused altogether; playback needs a click.
    PlaybackBlocked,
    /// The player was muted or unmuted (read [`Player::is_muted`]).
    MutedChanged,
    TimeUpdate(f64),
}

/// Where the SDK's worker and WebAssembly are (absolute URLs, same origin as the page).
#[derive(Debug, Clone)]
pub struct SdkAssets {
    pub wasm_worker: String,
    pub wasm_binary: String,
}

impl SdkAssets {
    /// The assets served beside the app under `ivs/`.
    pub fn beside_page() -> Self {
        let base = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.base_uri().ok().flatten())
            .unwrap_or_default();
        let resolve = |file: &str| web_sys::Url::new_with_base(&format!("ivs/{file}"), &base).map(|u| u.href()).unwrap_or_default();
        Self {
            wasm_worker: resolve("amazon-ivs-wasmworker.min.js"),
            wasm_binary: resolve("amazon-ivs-wasmworker.min.wasm"),
        }
    }
}

fn sdk() -> Option<Object> {
    Reflect::get(&js_sys::global(), &"IVSPlayer".into()).ok().and_then(|v| v.dyn_into::<Object>().ok())
}

/// Whether the SDK is loaded and this browser can run it.
pub fn is_supported() -> Result<(), PlayerError> {
    let sdk = sdk().ok_or(PlayerError::SdkMissing)?;
    let supported = Reflect::get(&sdk, &"isPlayerSupported".into()).ok().and_then(|v| v.as_bool());
    if supported == Some(true) {
        Ok(())
    } else {
        Err(PlayerError::Unsupported)
    }
}

type Listener = Closure<dyn FnMut(JsValue)>;

/// One SDK player, owned. Dropping it removes its listeners and deletes the player.
#[must_use = "the player is deleted when this is dropped"]
pub struct Player {
    inner: MediaPlayer,
    listeners: Vec<(&'static str, Listener)>,
}

impl Player {
    /// Creates a player, reporting every event to `on_event`. Its worker starts booting now;
    /// [`attach`](Self::attach) gives it a `<video>`.
    pub fn create(assets: &SdkAssets, on_event: impl Fn(SdkEvent) + 'static) -> Result<Self, PlayerError> {
        is_supported()?;
        let config = Object::new();
        let _ = Reflect::set(&config, &"wasmWorker".into(), &assets.wasm_worker.as_str().into());
        let _ = Reflect::set(&config, &"wasmBinary".into(), &assets.wasm_binary.as_str().into());
        let inner = match adopt_prewarmed() {
            Some(player) => player,
            None => {
                mark("ivs:create");
                create(&config).map_err(|e| PlayerError::Sdk(describe(&e)))?
            }
        };
        let mut player = Self { inner, listeners: Vec::new() };

        let on_event = std::rc::Rc::new(on_event);
        for (state, name) in PlayerState::ALL {
            let f = on_event.clone();
            player.listen(name, move |_| f(SdkEvent::State(state)));
        }
        let f = on_event.clone();
        player.listen(event::ERROR, move |e| {
            let error_type = string_field(&e, "type");
            let code = Reflect::get(&e, &"code".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as i64;
            f(SdkEvent::Error { kind: ErrorKind::from_sdk(&error_type, code), code, message: string_field(&e, "message") })
        });
        let f = on_event.clone();
        player.listen(event::TEXT_METADATA_CUE, move |cue| {
            let start_time = Reflect::get(&cue, &"startTime".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
            f(SdkEvent::MetadataCue(MetadataCue { start_time, text: string_field(&cue, "text") }))
        });
        let f = on_event.clone();
        player.listen(event::AUDIO_BLOCKED, move |_| f(SdkEvent::AudioBlocked));
        let f = on_event.clone();
        player.listen(event::PLAYBACK_BLOCKED, move |_| f(SdkEvent::PlaybackBlocked));
        let f = on_event.clone();
        player.listen(event::MUTED_CHANGED, move |_| f(SdkEvent::MutedChanged));
        let f = on_event;
        player.listen(event::TIME_UPDATE, move |t| f(SdkEvent::TimeUpdate(t.as_f64().unwrap_or(0.0))));
        Ok(player)
    }

    fn listen(&mut self, name: &'static str, handler: impl FnMut(JsValue) + 'static) {
        let closure = Listener::new(handler);
        self.inner.add_event_listener(name, closure.as_ref().unchecked_ref());
        self.listeners.push((name, closure));
    }

    /// Renders into `video` (the SDK owns the element from now on).
    pub fn attach(&self, video: &HtmlVideoElement) {
        self.inner.attach_html_video_element(video);
    }

    /// Loads `url` (playback starts when autoplay is on, or on [`play`](Self::play)).
    pub fn load(&self, url: &str) -> Result<(), PlayerError> {
        mark("ivs:load");
        self.inner.load(url).map_err(|e| PlayerError::Sdk(describe(&e)))
    }

    /// Starts playback.
    pub fn play(&self) -> Result<(), PlayerError> {
        self.inner.play().map_err(|e| PlayerError::Sdk(describe(&e)))
    }

    pub fn pause(&self) {
        self.inner.pause();
    }

    pub fn set_autoplay(&self, autoplay: bool) {
        self.inner.set_autoplay(autoplay);
    }

    /// When playback falls behind after a stall, jump back to the live edge.
    pub fn set_rebuffer_to_live(&self, enabled: bool) {
        self.inner.set_rebuffer_to_live(enabled);
    }

    pub fn set_muted(&self, muted: bool) {
        self.inner.set_muted(muted);
    }

    pub fn is_muted(&self) -> bool {
        self.inner.is_muted()
    }

    pub fn set_volume(&self, volume: f64) {
        self.inner.set_volume(volume.clamp(0.0, 1.0));
    }

    pub fn volume(&self) -> f64 {
        self.inner.get_volume()
    }

    /// Playback position in seconds (the clock cues are stamped in).
    pub fn position(&self) -> f64 {
        self.inner.get_position()
    }

    pub fn live_latency(&self) -> f64 {
        self.inner.get_live_latency()
    }

    pub fn buffer_duration(&self) -> f64 {
        self.inner.get_buffer_duration()
    }

    pub fn version(&self) -> String {
        self.inner.get_version()
    }

    /// The SDK's current state.
    pub fn state(&self) -> Option<PlayerState> {
        PlayerState::from_sdk(&self.inner.get_state())
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        for (name, closure) in self.listeners.drain(..) {
            self.inner.remove_event_listener(name, closure.as_ref().unchecked_ref());
        }
        self.inner.pause();
        self.inner.delete();
    }
}

/// The player `prewarm.js` created before the app loaded, if any; taken, so it is adopted once.
fn adopt_prewarmed() -> Option<MediaPlayer> {
    let global = js_sys::global();
    let key = JsValue::from_str("__ivsViewerPlayer");
    let player = Reflect::get(&global, &key).ok().filter(|p| p.is_object())?;
    let _ = Reflect::delete_property(global.unchecked_ref::<Object>(), &key);
    Some(player.unchecked_into())
}

/// A User Timing mark, so start-up can be measured from outside (see the `bench` command).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

fn string_field(value: &JsValue, name: &str) -> String {
    Reflect::get(value, &name.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
