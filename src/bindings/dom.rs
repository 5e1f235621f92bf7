//! Browser features the controls use: full screen, picture-in-picture, playback quality, and an
//! owned event listener.

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlVideoElement, KeyboardEvent};

fn call(target: &JsValue, method: &str) -> Option<JsValue> {
    let function: Function = Reflect::get(target, &method.into()).ok()?.dyn_into().ok()?;
    function.call0(target).ok()
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Whether something is full screen.
pub fn is_fullscreen() -> bool {
    document().and_then(|d| d.fullscreen_element()).is_some()
}

/// Puts `element` full screen, or leaves full screen.
pub fn toggle_fullscreen(element: &Element) {
    if is_fullscreen() {
        if let Some(document) = document() {
            document.exit_fullscreen();
        }
    } else if element.request_fullscreen().is_err() {
        log::warn!("full screen is not available here");
    }
}

/// Whether this browser offers picture-in-picture.
pub fn has_picture_in_picture() -> bool {
    document().and_then(|d| Reflect::get(&d, &"pictureInPictureEnabled".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Opens `video` picture-in-picture, or closes it.
pub fn toggle_picture_in_picture(video: &HtmlVideoElement) {
    let Some(document) = document() else { return };
    let result = if is_picture_in_picture() { call(&document, "exitPictureInPicture") } else { call(video, "requestPictureInPicture") };
    if let Some(promise) = result.and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) {
        // A refusal (no user gesture, or the browser said no) is not an error worth more than a log.
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = wasm_bindgen_futures::JsFuture::from(promise).await {
                log::warn!("picture-in-picture: {e:?}");
            }
        });
    }
}

/// Frames the video dropped so far.
pub fn dropped_frames(video: &HtmlVideoElement) -> Option<u32> {
    let quality = call(video, "getVideoPlaybackQuality")?;
    Reflect::get(&quality, &"droppedVideoFrames".into()).ok()?.as_f64().map(|n| n as u32)
}

/// A key as the controls see it.
pub struct Key {
    pub key: String,
    /// Typing in a field (the chat's composer, say).
    pub in_text: bool,
    /// Ctrl, Alt or Meta held.
    pub modifier: bool,
}

/// An event listener that is removed when dropped.
#[must_use]
pub struct Listener {
    target: web_sys::EventTarget,
    event: &'static str,
    capture: bool,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    /// Listens to `event` on `target`; with `capture`, also to events that do not bubble up to it.
    pub fn new(target: web_sys::EventTarget, event: &'static str, capture: bool, handler: impl FnMut(web_sys::Event) + 'static) -> Option<Self> {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
        target.add_event_listener_with_callback_and_bool(event, closure.as_ref().unchecked_ref(), capture).ok()?;
        Some(Self { target, event, capture, closure })
    }

    /// Listens on the document, in the capture phase: every `event` in the page.
    pub fn on_document(event: &'static str, handler: impl FnMut(web_sys::Event) + 'static) -> Option<Self> {
        Self::new(document()?.into(), event, true, handler)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(self.event, self.closure.as_ref().unchecked_ref(), self.capture);
    }
}

/// Whether a video is picture-in-picture.
pub fn is_picture_in_picture() -> bool {
    document().and_then(|d| Reflect::get(&d, &"pictureInPictureElement".into()).ok()).is_some_and(|v| !v.is_null() && !v.is_undefined())
}

/// The element with `id` in the same tree as `near`: its document, or the shadow root it is in.
pub fn by_id_near(near: &web_sys::Node, id: &str) -> Option<Element> {
    let root = near.get_root_node();
    let find = Reflect::get(&root, &"getElementById".into()).ok()?.dyn_into::<Function>().ok()?;
    find.call1(&root, &id.into()).ok()?.dyn_into::<Element>().ok()
}

/// Where a viewer's keyboard shortcuts apply: the whole page (no context: the site's own
/// viewer), or only while focus is inside this element (`<ivs-viewer>`: one page may hold several,
/// each taking the keys pressed within it).
#[derive(Clone)]
pub struct KeyScope(pub Element);

/// Listens to `keydown` on the window until dropped — only for keys pressed inside `scope`, when
/// given; the handler returns true when it used the key (its default action is then prevented).
pub fn on_key(scope: Option<KeyScope>, handler: impl Fn(Key) -> bool + 'static) -> Option<Listener> {
    Listener::new(web_sys::window()?.into(), "keydown", false, move |event: web_sys::Event| {
        // The element the key was pressed in, inside any shadow root (the event's target is
        // retargeted to the shadow host by the time it reaches the window).
        let path = event.composed_path();
        if let Some(KeyScope(scope)) = &scope {
            if !path.includes(scope, 0) {
                return;
            }
        }
        let target = path.get(0).dyn_into::<Element>().ok().or_else(|| event.target().and_then(|t| t.dyn_into::<Element>().ok()));
        let Ok(event) = event.dyn_into::<KeyboardEvent>() else { return };
        let in_text = target.as_ref().is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || t.has_attribute("contenteditable"));
        // A focused button or link keeps Space and Enter for itself.
        let on_control = target.as_ref().is_some_and(|t| matches!(t.tag_name().as_str(), "BUTTON" | "A"));
        if on_control && (event.key() == " " || event.key() == "Enter") {
            return;
        }
        let key = Key { key: event.key(), in_text, modifier: event.ctrl_key() || event.alt_key() || event.meta_key() };
        if handler(key) {
            event.prevent_default();
        }
    })
}

/// Watches where `element`'s bottom edge sits in the page and how tall the viewport is: calls
/// `changed(bottom, viewport_height)` when the element's size or the window's changes, and on
/// full screen; stops when dropped.
#[must_use]
pub struct BottomWatch {
    observer: web_sys::ResizeObserver,
    _callback: Closure<dyn FnMut()>,
    _listeners: [Option<Listener>; 2],
}

impl BottomWatch {
    pub fn new(element: Element, changed: impl Fn(f64, f64) + 'static) -> Option<Self> {
        let window = web_sys::window()?;
        let measure = {
            let (element, window) = (element.clone(), window.clone());
            move || {
                let scrolled = window.scroll_y().unwrap_or(0.0);
                let height = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
                changed(element.get_bounding_client_rect().bottom() + scrolled, height);
            }
        };
        let measure = std::rc::Rc::new(measure);
        let on_resize = measure.clone();
        let callback = Closure::<dyn FnMut()>::new(move || on_resize());
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        observer.observe(&element);
        let (on_window, on_fullscreen) = (measure.clone(), measure);
        let listeners =
            [Listener::new(window.into(), "resize", false, move |_| on_window()), Listener::on_document("fullscreenchange", move |_| on_fullscreen())];
        Some(Self { observer, _callback: callback, _listeners: listeners })
    }
}

impl Drop for BottomWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
