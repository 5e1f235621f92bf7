//! Hooks: reactive glue between the bindings and the components.

pub mod use_analytics;
pub mod use_chat;
pub mod use_embed_api;
pub mod use_ivs_player;
pub mod use_overlay_board;
pub mod use_polls;
pub mod use_stage;
pub mod use_stream_status;
