//! Components, one concern each.

pub mod chat_composer;
pub mod chat_line;
pub mod chat_panel;
pub mod clip_button;
pub mod controls;
pub mod embed_builder;
pub mod icons;
pub mod notice_banner;
pub mod overlays;
pub mod past_broadcasts;
pub mod playback_prompts;
pub mod poll_card;
pub mod product_card;
pub mod product_tray;
pub mod quiz_card;
pub mod rewind;
pub mod slate;
pub mod stage_view;
pub mod status_badge;
pub mod viewer;
