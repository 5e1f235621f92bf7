//! A WebSocket that owns its handlers: dropping it unregisters them and closes the socket, so a
//! replaced or abandoned connection can never call back into the app.
//!
//! Hand-written rather than `gloo-net`'s WebSocket: that one is a `Stream` + `Sink`, read by a
//! task that owns the stream half, so dropping the chat's handle would leave the socket open (and
//! its messages queued) until that task next ran and noticed. The chat session replaces
//! connections while the old one is still open and needs the old one silent the moment it is
//! dropped; callbacks removed in `Drop` give exactly that, with no task and no queue.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What a socket reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    Open,
    Text(String),
    /// Closed, by either side or because it could not connect (code 1006).
    Closed {
        code: u16,
        reason: String,
    },
}

/// The browser would not open a WebSocket (a malformed URL or subprotocol, a blocked port).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot open a WebSocket to {url}")]
pub struct OpenError {
    pub url: String,
}

/// An open (or opening) WebSocket.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Connects to `url` offering `protocol` (IVS Chat passes its token this way).
    pub fn open(url: &str, protocol: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<Self, OpenError> {
        let ws = WebSocket::new_with_str(url, protocol).map_err(|_| OpenError { url: url.to_owned() })?;
        let on_event = std::rc::Rc::new(on_event);
        let opened = on_event.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || opened(SocketEvent::Open));
        let received = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // Binary frames are not part of the protocol; ignore them.
            if let Some(text) = event.data().as_string() {
                received(SocketEvent::Text(text));
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            on_event(SocketEvent::Closed { code: event.code(), reason: event.reason() });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self { ws, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }

    /// Sends a text frame; false if the socket is not open.
    pub fn send(&self, text: &str) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_str(text).is_ok()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
