//! The IVS Player Web SDK (`window.IVSPlayer`, bundled from npm `amazon-ivs-player`).
//!
//! [`Player`] owns one SDK player and every listener it registered: dropping it removes the
//! listeners and calls the SDK's `delete()`, so reloading or unmounting never leaks. Events reach
//! Rust as [`SdkEvent`] values; nothing outside this module handles `JsValue`.

use ivs_proto::playback::sdk_event as event;
use ivs_proto::playback::{ErrorKind, PlayerState};
use js_sys::{Function, Object, Reflect};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlVideoElement};

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
    #[wasm_bindgen(method, js_name = getQuality)]
    fn get_quality(this: &MediaPlayer) -> JsValue;
    #[wasm_bindgen(method, js_name = seekTo)]
    fn seek_to(this: &MediaPlayer, time: f64);
    #[wasm_bindgen(method, js_name = getDuration)]
    fn get_duration(this: &MediaPlayer) -> f64;
    #[wasm_bindgen(method, js_name = isPaused)]
    fn is_paused(this: &MediaPlayer) -> bool;
    #[wasm_bindgen(method, js_name = getQualities)]
    fn get_qualities(this: &MediaPlayer) -> js_sys::Array;
    #[wasm_bindgen(method, js_name = setQuality)]
    fn set_quality(this: &MediaPlayer, quality: &JsValue, adaptive: bool);
    #[wasm_bindgen(method, js_name = isAutoQualityMode)]
    fn is_auto_quality_mode(this: &MediaPlayer) -> bool;
    #[wasm_bindgen(method, js_name = setAutoQualityMode)]
    fn set_auto_quality_mode(this: &MediaPlayer, enabled: bool);
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &MediaPlayer, name: &str, listener: &Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_event_listener(this: &MediaPlayer, name: &str, listener: &Function);
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
    Error {
        kind: ErrorKind,
        /// The SDK's own `ErrorType` (`ErrorNetwork`…).
        sdk_type: String,
        code: i64,
        message: String,
    },
    MetadataCue(MetadataCue),
    /// Autoplay with sound was refused; the SDK muted the player and went on.
    AudioBlocked,
    /// Autoplay was refused altogether; playback needs a click.
    PlaybackBlocked,
    /// The player was muted or unmuted (read [`Player::is_muted`]).
    MutedChanged,
    TimeUpdate(f64),
    /// A caption (`TEXT_CUE`): its text.
    TextCue(String),
}

/// The rendition playing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quality {
    pub name: String,
    pub bitrate: f64,
    pub width: u32,
    pub height: u32,
}

/// Where the SDK's worker and WebAssembly are (absolute URLs, same origin as the page).
#[derive(Debug, Clone)]
pub struct SdkAssets {
    pub wasm_worker: String,
    pub wasm_binary: String,
}

impl SdkAssets {
    /// The assets in `folder` (an absolute URL ending in `/`): where a package keeps its copy.
    pub fn in_folder(folder: &str) -> Self {
        let resolve = |file: &str| web_sys::Url::new_with_base(file, folder).map(|u| u.href()).unwrap_or_default();
        Self { wasm_worker: resolve("amazon-ivs-wasmworker.min.js"), wasm_binary: resolve("amazon-ivs-wasmworker.min.wasm") }
    }

    /// The assets beside the SDK's script (in the folder the build names by its content, under
    /// `ivs/`), or under `ivs/` when the page names no SDK script.
    pub fn beside_page() -> Self {
        let document = web_sys::window().and_then(|w| w.document());
        let page = document.as_ref().and_then(|d| d.base_uri().ok().flatten()).unwrap_or_default();
        let resolve = |relative: &str, base: &str| web_sys::Url::new_with_base(relative, base).ok().map(|u| u.href());
        let script = document
            .and_then(|d| d.query_selector(r#"script[src*="amazon-ivs-player"]"#).ok().flatten())
            .and_then(|e| e.get_attribute("src"))
            .and_then(|src| resolve(&src, &page));
        let base = script.and_then(|src| resolve(".", &src)).or_else(|| resolve("ivs/", &page)).unwrap_or_default();
        let resolve = |file: &str| resolve(file, &base).unwrap_or_default();
        Self { wasm_worker: resolve("amazon-ivs-wasmworker.min.js"), wasm_binary: resolve("amazon-ivs-wasmworker.min.wasm") }
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

/// Every SDK event name this wrapper listens to.
fn event_names() -> impl Iterator<Item = &'static str> {
    PlayerState::ALL.into_iter().map(|(_, name)| name).chain([
        event::ERROR,
        event::TEXT_METADATA_CUE,
        event::AUDIO_BLOCKED,
        event::PLAYBACK_BLOCKED,
        event::MUTED_CHANGED,
        event::TIME_UPDATE,
        event::TEXT_CUE,
    ])
}

/// Turns an SDK event (its name and payload) into an [`SdkEvent`].
fn convert(name: &str, payload: &JsValue) -> Option<SdkEvent> {
    if let Some(state) = PlayerState::from_sdk(name) {
        return Some(SdkEvent::State(state));
    }
    let number = |field: &str| Reflect::get(payload, &field.into()).ok().and_then(|v| v.as_f64());
    Some(match name {
        event::ERROR => {
            let code = number("code").unwrap_or(0.0) as i64;
            let sdk_type = string_field(payload, "type");
            SdkEvent::Error { kind: ErrorKind::from_sdk(&sdk_type, code), sdk_type, code, message: string_field(payload, "message") }
        }
        event::TEXT_METADATA_CUE => {
            {
                // The latest cue's arrival, for the cue-to-overlay figure of `bench` (one mark kept).
                if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                    performance.clear_marks_with_mark_name("ivs:cue");
                }
                mark("ivs:cue");
                SdkEvent::MetadataCue(MetadataCue { start_time: number("startTime").unwrap_or(0.0), text: string_field(payload, "text") })
            }
        }
        event::AUDIO_BLOCKED => SdkEvent::AudioBlocked,
        event::PLAYBACK_BLOCKED => SdkEvent::PlaybackBlocked,
        event::MUTED_CHANGED => SdkEvent::MutedChanged,
        event::TIME_UPDATE => SdkEvent::TimeUpdate(payload.as_f64().unwrap_or(0.0)),
        event::TEXT_CUE => SdkEvent::TextCue(string_field(payload, "text")),
        _ => return None,
    })
}

/// One SDK player and its `<video>`, owned. Dropping it removes its listeners and deletes the
/// player.
#[must_use = "the player is deleted when this is dropped"]
pub struct Player {
    inner: MediaPlayer,
    video: HtmlVideoElement,
    /// The URL the page's start-up script already loaded, if it did.
    preloaded: Option<String>,
    listeners: Vec<(&'static str, Listener)>,
    /// The start-up script's control bar, working until the app's own replaces it.
    stand_in: std::cell::RefCell<Option<StandInControls>>,
}

/// `js/boot.js`'s control bar and the function that removes it with its listeners.
#[derive(Clone)]
struct StandInControls {
    bar: Element,
    release: Function,
}

/// A new player, and the events it reported before the app was listening.
pub struct Created {
    pub player: Player,
    pub early_events: Vec<SdkEvent>,
}

impl Player {
    /// Creates a player with its own `<video>`, reporting every event to `on_event`. When the
    /// page's start-up script (`js/boot.js`) already made one — and maybe began loading the
    /// configured stream — that player is adopted instead, with the events it has seen so far.
    pub fn create(assets: &SdkAssets, on_event: impl Fn(SdkEvent) + 'static) -> Result<Created, PlayerError> {
        is_supported()?;
        let prewarmed = Prewarmed::take();
        let (inner, video, preloaded) = match &prewarmed {
            Some(p) => (p.player.clone(), p.video.clone(), p.url.clone()),
            None => {
                let config = Object::new();
                let _ = Reflect::set(&config, &"wasmWorker".into(), &assets.wasm_worker.as_str().into());
                let _ = Reflect::set(&config, &"wasmBinary".into(), &assets.wasm_binary.as_str().into());
                mark("ivs:create");
                let inner = create(&config).map_err(|e| PlayerError::Sdk(describe(&e)))?;
                let video: HtmlVideoElement = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.create_element("video").ok())
                    .and_then(|e| e.dyn_into().ok())
                    .ok_or_else(|| PlayerError::Sdk("cannot create a video element".into()))?;
                video.set_attribute("playsinline", "").ok();
                inner.attach_html_video_element(&video);
                (inner, video, None)
            }
        };
        let stand_in = prewarmed.as_ref().and_then(|p| p.controls.clone());
        let mut player = Self { inner, video, preloaded, listeners: Vec::new(), stand_in: std::cell::RefCell::new(stand_in) };
        let on_event = std::rc::Rc::new(on_event);
        for name in event_names() {
            let f = on_event.clone();
            let closure = Listener::new(move |payload: JsValue| {
                if let Some(event) = convert(name, &payload) {
                    f(event);
                }
            });
            player.inner.add_event_listener(name, closure.as_ref().unchecked_ref());
            player.listeners.push((name, closure));
        }
        // Our listeners are in place: the start-up script's can go, handing over what they kept.
        let early_events = prewarmed.map(|p| p.hand_over()).unwrap_or_default();
        Ok(Created { player, early_events })
    }

    /// The `<video>` the player renders into; the SDK owns it, the app only places it.
    pub fn video(&self) -> &HtmlVideoElement {
        &self.video
    }

    /// The start-up script's control bar, to place beside the video until the app's own is there.
    pub fn stand_in_controls(&self) -> Option<Element> {
        self.stand_in.borrow().as_ref().map(|c| c.bar.clone())
    }

    /// Removes the start-up script's control bar and its listeners (the app's bar is on screen).
    pub fn release_stand_in_controls(&self) {
        if let Some(controls) = self.stand_in.borrow_mut().take() {
            let _ = controls.release.call0(&JsValue::NULL);
        }
    }

    /// The URL already loaded by the page's start-up script, if any.
    pub fn preloaded_url(&self) -> Option<&str> {
        self.preloaded.as_deref()
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

    /// The rendition playing now.
    pub fn quality(&self) -> Quality {
        let q = self.inner.get_quality();
        let number = |field: &str| Reflect::get(&q, &field.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        Quality { name: string_field(&q, "name"), bitrate: number("bitrate"), width: number("width") as u32, height: number("height") as u32 }
    }

    /// Seeks (recordings; a live stream only within what it has buffered).
    pub fn seek_to(&self, time: f64) {
        self.inner.seek_to(time.max(0.0));
    }

    /// The duration in seconds: infinite for a live stream.
    pub fn duration(&self) -> f64 {
        self.inner.get_duration()
    }

    pub fn is_paused(&self) -> bool {
        self.inner.is_paused()
    }

    /// The names of the stream's qualities (renditions), e.g. `720p60`.
    pub fn qualities(&self) -> Vec<String> {
        self.inner.get_qualities().iter().map(|q| string_field(&q, "name")).filter(|n| !n.is_empty()).collect()
    }

    /// Whether the player picks the quality itself (adaptive bitrate).
    pub fn auto_quality(&self) -> bool {
        self.inner.is_auto_quality_mode()
    }

    /// Picks a quality by name, or adaptive quality for `"auto"`; false if there is no such quality.
    pub fn set_quality(&self, name: &str) -> bool {
        if name == "auto" {
            self.inner.set_auto_quality_mode(true);
            return true;
        }
        match self.inner.get_qualities().iter().find(|q| string_field(q, "name") == name) {
            Some(quality) => {
                self.inner.set_quality(&quality, false);
                true
            }
            None => false,
        }
    }

    /// The SDK's current state.
    pub fn state(&self) -> Option<PlayerState> {
        PlayerState::from_sdk(&self.inner.get_state())
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.release_stand_in_controls();
        for (name, closure) in self.listeners.drain(..) {
            self.inner.remove_event_listener(name, closure.as_ref().unchecked_ref());
        }
        self.inner.pause();
        self.inner.delete();
    }
}

/// What `js/boot.js` left on `window.__ivsViewerPrewarm`.
struct Prewarmed {
    player: MediaPlayer,
    video: HtmlVideoElement,
    url: Option<String>,
    hand_over: Function,
    controls: Option<StandInControls>,
}

impl Prewarmed {
    /// Takes the prewarmed player, so it is adopted once.
    fn take() -> Option<Self> {
        let global = js_sys::global();
        let key = JsValue::from_str("__ivsViewerPrewarm");
        let value = Reflect::get(&global, &key).ok().filter(JsValue::is_object)?;
        let _ = Reflect::delete_property(global.unchecked_ref::<Object>(), &key);
        let field = |name: &str| Reflect::get(&value, &name.into()).ok();
        Some(Self {
            player: field("player").filter(JsValue::is_object)?.unchecked_into(),
            video: field("video")?.dyn_into().ok()?,
            url: field("url").and_then(|u| u.as_string()),
            hand_over: field("handOver")?.dyn_into().ok()?,
            controls: field("controls")
                .and_then(|bar| bar.dyn_into().ok())
                .zip(field("releaseControls").and_then(|f| f.dyn_into().ok()))
                .map(|(bar, release)| StandInControls { bar, release }),
        })
    }

    /// Removes the script's listeners and returns the events they kept.
    fn hand_over(self) -> Vec<SdkEvent> {
        let kept = self.hand_over.call0(&JsValue::NULL).map(|v| js_sys::Array::from(&v)).unwrap_or_default();
        kept.iter()
            .filter_map(|pair| {
                let pair = js_sys::Array::from(&pair);
                convert(&pair.get(0).as_string()?, &pair.get(1))
            })
            .collect()
    }
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
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| error.as_string()).unwrap_or_else(|| "unknown error".into())
}
