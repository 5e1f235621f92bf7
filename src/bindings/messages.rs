//! `postMessage` between an embedded viewer and its host page: an owned `message` listener
//! (removed on drop) and posting to the parent window.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::dom::Listener;

/// Listens to `message` events on the window until dropped. Hands over the sender's origin and
/// the data as JSON (data that is not JSON-serialisable is ignored).
pub fn on_message(handler: impl Fn(String, String) + 'static) -> Option<Listener> {
    Listener::new(web_sys::window()?.into(), "message", false, move |event: web_sys::Event| {
        let Ok(event) = event.dyn_into::<MessageEvent>() else { return };
        let Ok(json) = js_sys::JSON::stringify(&event.data()) else { return };
        if let Some(json) = json.as_string() {
            handler(event.origin(), json);
        }
    })
}

/// Whether this page is inside a frame.
pub fn in_frame() -> bool {
    let Some(window) = web_sys::window() else { return false };
    match window.parent() {
        Ok(Some(parent)) => !js_sys::Object::is(&parent, &window),
        _ => false,
    }
}

/// Posts `json` (an object) to the parent window, delivered only if the parent's origin is
/// `target_origin`.
pub fn post_to_parent(json: &str, target_origin: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    let Ok(message) = js_sys::JSON::parse(json) else { return };
    let _ = parent.post_message(&message, target_origin);
    let _: JsValue = message;
}

/// `path` (this site's, or any address) as a full address, against the page's own.
pub fn absolute(path: &str) -> Option<String> {
    let href = web_sys::window().and_then(|w| w.location().href().ok())?;
    web_sys::Url::new_with_base(path, &href).ok().map(|u| u.href())
}

/// The page's path, e.g. `/embed`.
pub fn path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}
