//! Harness for the end-to-end tests and the benchmark, one room per subsystem:
//!
//! | module | what |
//! | --- | --- |
//! | `stack.rs` | the local IVS and the site server as child processes on free ports ([`Stack::builder`]) |
//! | `http.rs` | the tests' own HTTP calls |
//! | `chromium.rs` | headless Chromium over the DevTools protocol, and reading a page |
//! | `webdriver.rs` | Firefox and WebKitGTK over WebDriver |
//! | `redis.rs` | a real Redis |
//! | `events.rs` | an event target that collects EventBridge-shaped events |
//! | `broadcaster.rs` | an RTMP broadcaster (ffmpeg) |
//! | `temp.rs` | temporary directories |
//!
//! Scenarios shared by several tests live beside them (`tests/scenarios/`).

pub mod broadcaster;
pub mod chromium;
pub mod events;
pub mod http;
pub mod redis;
pub mod stack;
pub mod temp;
pub mod webdriver;

pub use broadcaster::Broadcaster;
pub use chromium::{eval, open_playing, text, wait_for, Chromium, CSP_WATCH, PLAYING, STAGE_READY};
pub use events::EventSink;
pub use http::{http, http_with};
pub use redis::Redis;
pub use stack::*;
pub use temp::{copy_dir, TempDir};
pub use webdriver::{firefox_available, webkit_available, Driven};
