//! Harness for the end-to-end tests and the benchmark, one room per subsystem:
//!
//! | module | what |
//! | --- | --- |
//! | `stack.rs` | the local IVS and the site server as child processes on free ports ([`Stack::builder`]) |
//! | `http.rs` | the tests' own HTTP calls |
//! | `aws.rs` | the official AWS SDK clients pointed at the stack |
//! | `chromium.rs` | headless Chromium over the DevTools protocol, and reading a page |
//! | `webdriver.rs` | Firefox and WebKitGTK over WebDriver |
//! | `redis.rs` | a real Redis |
//! | `events.rs` | an event target that collects EventBridge-shaped events |
//! | `broadcaster.rs` | an RTMP broadcaster (ffmpeg) |
//! | `stage.rs` | a stage participant in a browser page (WHIP publish and subscribe) |
//! | `temp.rs` | temporary directories |
//! | `serve.rs` | static files as another site or a CDN serves them |
//! | `tls.rs` | a test certificate authority |
//! | `proxy.rs` | Caddy, the reverse proxy in front of the site (TLS) |
//! | `locale.rs` | a locale's words, and what a page shows of them |
//!
//! Scenarios shared by several tests live beside them (`tests/scenarios/`).

pub mod aws;
pub mod broadcaster;
pub mod chromium;
pub mod events;
pub mod http;
pub mod locale;
pub mod proxy;
pub mod redis;
pub mod serve;
pub mod stack;
pub mod stage;
pub mod temp;
pub mod throttle;
pub mod tls;
pub mod webdriver;

pub use aws::{ivs_client, ivschat_client, ivsrealtime_client};
pub use broadcaster::Broadcaster;
pub use chromium::{eval, open_playing, say, text, wait_for, Chromium, CSP_WATCH, PLAYING, STAGE_READY};
pub use events::EventSink;
pub use http::{http, http_with};
pub use redis::Redis;
pub use serve::serve_dir;
pub use stack::*;
pub use temp::{copy_dir, TempDir};
pub use throttle::Throttle;
pub use webdriver::{firefox_available, webkit_available, Driven};
