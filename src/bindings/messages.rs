//! `postMessage` between an embedded viewer and its host page: an owned `message` listener
//! (removed on drop) and posting to the parent window.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

/// Listens to `message` events on the window until dropped. Hands over the sender's origin and
/// the data as JSON (data that is not JSON-serialisable is ignored).
#[must_use]
pub struct MessageListener {
    closure: Closure<dyn FnMut(MessageEvent)>,
}

impl MessageListener {
    pub fn new(on_message: impl Fn(String, String) + 'static) -> Option<Self> {
        let window = web_sys::window()?;
        let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Ok(json) = js_sys::JSON::stringify(&event.data()) else { return };
            if let Some(json) = json.as_string() {
                on_message(event.origin(), json);
            }
        });
        window.add_event_listener_with_callback("message", closure.as_ref().unchecked_ref()).ok()?;
        Some(Self { closure })
    }
}

impl Drop for MessageListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback("message", self.closure.as_ref().unchecked_ref());
        }
    }
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

/// The page's path, e.g. `/embed`.
pub fn path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}
