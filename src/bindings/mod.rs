//! Thin, owned bindings to browser and SDK APIs. This is the only module that sees `JsValue`.

pub mod dom;
pub mod fetch;
pub mod intl;
pub mod ivs;
pub mod messages;
pub mod webrtc;
pub mod websocket;
