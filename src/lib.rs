//! The IVS viewer: a Leptos client-side app that plays an Amazon IVS stream with the IVS Player
//! Web SDK and draws interactive overlays from its timed metadata.
//!
//! - [`bindings`]: the only code that sees `JsValue` — the SDK and `fetch`, owned and dropped cleanly.
//! - [`hooks`]: reactive glue (`use_ivs_player`).
//! - [`components`]: small views, one concern each; decisions come from the `ivs-proto` crate.
//! - [`i18n`]: every word in the viewer's language (locale files, `Intl`).
//! - [`lazy`]: the parts fetched when first needed (chat, controls, overlays, embed tools).
//!
//! See `docs/ARCHITECTURE.md` for how a cue and a frame travel through the codebase.

pub mod app;
pub mod bindings;
pub mod components;
pub mod config;
pub mod hooks;
pub mod i18n;
pub mod lazy;

pub use app::App;
