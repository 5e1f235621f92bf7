//! `<ivs-viewer>`'s WebAssembly: the viewer mounted into a custom element's shadow root.
//!
//! The element itself is JavaScript (`js/ivs-viewer.js`: a class can only extend `HTMLElement`
//! there); it calls [`mount`] when it is connected, with its settings, and drives the returned
//! [`Mounted`]: its methods are the element's (play, pause, seek, volume, quality, state), and it
//! dispatches the element's events (`statechange`, `cue`, `error`) on the host as `CustomEvent`s.
//! Dropping it (`unmount`) removes everything the viewer added, listeners included. Each element
//! has its own reactive owner, so several on one page keep their own state; keyboard shortcuts
//! apply only to keys pressed inside the element.

use std::cell::RefCell;
use std::rc::Rc;

use ivs_proto::config::ViewerConfig;
use ivs_proto::playback::Status;
use ivs_viewer::app::provide_channel;
use ivs_viewer::bindings::dom::KeyScope;
use ivs_viewer::bindings::ivs::SdkAssets;
use ivs_viewer::components::viewer::Viewer;
use ivs_viewer::hooks::use_ivs_player::{use_ivs_player_with, UseIvsPlayerReturn};
use ivs_viewer::i18n::t;
use ivs_viewer::lazy::{chat_panel, lazy};
use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// What the element passes to [`mount`] (JSON).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    /// The viewer's configuration, as `config.json` takes it.
    config: serde_json::Value,
    /// The folder with the IVS Player SDK's worker files (an absolute URL ending in `/`).
    sdk_folder: String,
    /// Show the control bar.
    #[serde(default = "yes")]
    controls: bool,
    /// Show the chat, when the configuration has one (`site`).
    #[serde(default = "yes")]
    chat: bool,
}

fn yes() -> bool {
    true
}

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Warn);
}

/// A viewer mounted in an element; dropping it (or `unmount`) takes it out.
#[wasm_bindgen]
pub struct Mounted {
    player: Rc<RefCell<Option<UseIvsPlayerReturn>>>,
    _view: Box<dyn std::any::Any>,
}

#[wasm_bindgen]
impl Mounted {
    fn with<R: Default>(&self, f: impl FnOnce(&UseIvsPlayerReturn) -> R) -> R {
        self.player.borrow().as_ref().map(f).unwrap_or_default()
    }

    pub fn play(&self) {
        self.with(|p| p.handle.play());
    }

    pub fn pause(&self) {
        self.with(|p| p.handle.pause());
    }

    /// Seconds from the start (a recording) or a position in the live window.
    pub fn seek(&self, seconds: f64) {
        self.with(|p| p.handle.seek_to(seconds));
    }

    #[wasm_bindgen(js_name = setMuted)]
    pub fn set_muted(&self, muted: bool) {
        self.with(|p| p.handle.set_muted(muted));
    }

    pub fn muted(&self) -> bool {
        self.with(|p| p.muted.get_untracked())
    }

    /// 0 to 1.
    #[wasm_bindgen(js_name = setVolume)]
    pub fn set_volume(&self, volume: f64) {
        self.with(|p| p.handle.set_volume(volume.clamp(0.0, 1.0)));
    }

    pub fn volume(&self) -> f64 {
        self.with(|p| p.handle.volume())
    }

    /// The renditions' names (`["720p60", "480p30", …]`), once playing.
    pub fn qualities(&self) -> Vec<String> {
        self.with(|p| p.handle.qualities())
    }

    /// The rendition playing now.
    pub fn quality(&self) -> Option<String> {
        self.with(|p| p.handle.quality().map(|q| q.name))
    }

    /// Plays this rendition (automatic choice off); false when there is none of that name.
    #[wasm_bindgen(js_name = setQuality)]
    pub fn set_quality(&self, name: &str) -> bool {
        self.with(|p| p.handle.set_quality(name))
    }

    /// The playback state, as `statechange` names it (`Loading`, `Playing`, `Offline`, …).
    pub fn state(&self) -> String {
        self.with(|p| p.status.get_untracked().label().to_owned())
    }

    /// Takes the viewer out of the element (as dropping it does).
    pub fn unmount(self) {}
}

/// Chooses the viewers' language on this page — `lang` (the element's attribute, else the page's
/// own language), else the browser's — reads its words from `folder`'s `locales/`, and marks
/// `root` with it. Called before [`mount`]; one language serves every element of a page.
#[wasm_bindgen]
pub async fn speak(root: web_sys::HtmlElement, lang: Option<String>, folder: String) {
    ivs_viewer::i18n::start(lang.filter(|l| !l.trim().is_empty()), &folder, Some(root.into())).await;
}

/// Mounts the viewer into `root` (a node in `host`'s shadow root) with `options` (JSON); its
/// events are dispatched on `host`.
#[wasm_bindgen]
pub fn mount(host: web_sys::HtmlElement, root: web_sys::HtmlElement, options: &str) -> Result<Mounted, JsError> {
    let options: Options = serde_json::from_str(options).map_err(|e| JsError::new(&format!("ivs-viewer: bad options: {e}")))?;
    let config = ViewerConfig::from_json(&options.config.to_string()).map_err(|e| JsError::new(&format!("ivs-viewer: {e}")))?;
    let assets = SdkAssets::in_folder(&options.sdk_folder);
    let player = Rc::new(RefCell::new(None));
    let shared = player.clone();
    let (controls, chat) = (options.controls, options.chat);
    let view = leptos::mount::mount_to(root, move || {
        view! { <ElementViewer config=config assets=assets host=host shared=shared controls=controls chat=chat /> }
    });
    Ok(Mounted { player, _view: Box::new(view) })
}

/// The viewer in an element: the player, what is drawn over it, and the events the host hears.
#[component]
fn ElementViewer(
    config: ViewerConfig,
    assets: SdkAssets,
    host: web_sys::HtmlElement,
    shared: Rc<RefCell<Option<UseIvsPlayerReturn>>>,
    controls: bool,
    chat: bool,
) -> impl IntoView {
    provide_context(KeyScope(host.clone().into()));
    let player = use_ivs_player_with(assets);
    let polls = provide_channel(player);
    polls.set_votes_url(config.votes_url.clone());
    *shared.borrow_mut() = Some(player);

    let host = send_wrapper::SendWrapper::new(host);
    let target = host.clone();
    Effect::new(move |_| {
        let status = player.status.get();
        if let Status::Failed { kind, .. } = &status {
            dispatch(&target, "error", serde_json::json!({ "message": t(kind.key()) }));
        }
        dispatch(&target, "statechange", serde_json::json!({ "state": status.label(), "status": t(status.words_key()) }));
    });
    let target = host.clone();
    Effect::new(move |_| {
        if let Some((poll, option)) = polls.last_vote.get() {
            dispatch(&target, "vote", serde_json::json!({ "poll": poll, "option": option }));
        }
    });
    let target = host.clone();
    Effect::new(move |_| {
        if let Some((_, text)) = player.last_cue.get() {
            dispatch(&target, "cue", serde_json::json!({ "text": text }));
        }
    });
    let chat = config.chat.clone().filter(|_| chat);
    let with_chat = chat.is_some();
    let config = Signal::derive(move || Some(config.clone()));
    view! {
        <div class="app ivs-element" class:no-controls=!controls class:with-chat=with_chat part="viewer">
            <Viewer config=config />
            {chat.map(|chat| lazy(Some("part.chat"), move || chat_panel(chat.clone())))}
        </div>
    }
}

/// Dispatches `name` on `target` with `detail`, as a `CustomEvent` that crosses the shadow root.
fn dispatch(target: &web_sys::HtmlElement, name: &str, detail: serde_json::Value) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL));
    init.set_bubbles(true);
    init.set_composed(true);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}
