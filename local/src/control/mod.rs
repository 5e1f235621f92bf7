//! The control plane's resources: their records, their state changes and where they are kept.
//! Each type owns its changes (`Channels::create`, `Channels::delete_key`, `Configs::delete`…)
//! and answers a [`Refusal`](crate::account::Refusal) when IVS would refuse; the API layer
//! (`api/`) translates HTTP to these calls and back.

pub mod channels;
pub mod participant_tokens;
pub mod playback_auth;
pub mod recording_configs;
pub mod stage_records;
pub mod stages;
