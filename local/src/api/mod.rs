//! The control plane, REST-JSON as the AWS SDKs speak it, so the official SDKs and CLI work
//! with nothing but an endpoint override. One file per resource; [`router`] mounts them all.
//!
//! | operation | file |
//! | --- | --- |
//! | `CreateChannel`, `GetChannel`, `BatchGetChannel`, `ListChannels`, `UpdateChannel`, `DeleteChannel` | `channels.rs` |
//! | `CreateStreamKey`, `GetStreamKey`, `BatchGetStreamKey`, `ListStreamKeys`, `DeleteStreamKey` | `stream_keys.rs` |
//! | `GetStream`, `ListStreams`, `StopStream`, `ListStreamSessions`, `GetStreamSession`, `PutMetadata` | `streams.rs` |
//! | `ImportPlaybackKeyPair`, `GetPlaybackKeyPair`, `ListPlaybackKeyPairs`, `DeletePlaybackKeyPair` | `playback_key_pairs.rs` |
//! | `CreateRecordingConfiguration`, `GetRecordingConfiguration`, `ListRecordingConfigurations`, `DeleteRecordingConfiguration` | `recording_configurations.rs` |
//! | `TagResource`, `UntagResource`, `ListTagsForResource` (`/tags/{arn}`) | `tags.rs` |
//! | `CreateRoom`, `GetRoom`, `ListRooms`, `DeleteRoom`, `CreateChatToken`, `SendEvent`, `DeleteMessage`, `DisconnectUser` (ivschat) | `chat.rs` |
//! | `CreateStage`, `GetStage`, `ListStages`, `UpdateStage`, `DeleteStage`, `CreateParticipantToken`, `DisconnectParticipant`, `ListStageSessions`, `GetStageSession`, `ListParticipants`, `GetParticipant`, `ListParticipantEvents` (ivs-realtime) | `stages.rs` |
//! | WHIP publish/subscribe at a token's `whip_url` (`/whip…`) | `media/whip.rs` |
//! | `/_local/stream/{offline,online}`, `/_local/stream/health`, `/_local/playback/stall`, `/_local/recordings`, `/_local/health` | `local.rs` |
//!
//! Every file speaks through `kit.rs` (errors, parsing, paging) and calls the resource types
//! (`control/`, `media/`, `chat/`), which own the state changes.

pub mod channels;
pub mod chat;
pub mod kit;
pub mod local;
pub mod playback_key_pairs;
pub mod recording_configurations;
pub mod stages;
pub mod stream_keys;
pub mod streams;
pub mod tags;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The routes of the emulated control plane (IVS, IVS Chat, IVS Real-Time), the stages' WHIP
/// endpoint and the local controls.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/CreateChannel", post(channels::create))
        .route("/GetChannel", post(channels::get))
        .route("/BatchGetChannel", post(channels::batch_get))
        .route("/ListChannels", post(channels::list))
        .route("/UpdateChannel", post(channels::update))
        .route("/DeleteChannel", post(channels::delete))
        .route("/CreateStreamKey", post(stream_keys::create))
        .route("/GetStreamKey", post(stream_keys::get))
        .route("/BatchGetStreamKey", post(stream_keys::batch_get))
        .route("/ListStreamKeys", post(stream_keys::list))
        .route("/DeleteStreamKey", post(stream_keys::delete))
        .route("/GetStream", post(streams::get_stream))
        .route("/ListStreams", post(streams::list_streams))
        .route("/StopStream", post(streams::stop_stream))
        .route("/ListStreamSessions", post(streams::list_stream_sessions))
        .route("/GetStreamSession", post(streams::get_stream_session))
        .route("/PutMetadata", post(streams::put_metadata))
        .route("/ImportPlaybackKeyPair", post(playback_key_pairs::import))
        .route("/GetPlaybackKeyPair", post(playback_key_pairs::get))
        .route("/ListPlaybackKeyPairs", post(playback_key_pairs::list))
        .route("/DeletePlaybackKeyPair", post(playback_key_pairs::delete))
        .route("/CreateRecordingConfiguration", post(recording_configurations::create))
        .route("/GetRecordingConfiguration", post(recording_configurations::get))
        .route("/ListRecordingConfigurations", post(recording_configurations::list))
        .route("/DeleteRecordingConfiguration", post(recording_configurations::delete))
        .route("/CreateStage", post(stages::create))
        .route("/GetStage", post(stages::get))
        .route("/ListStages", post(stages::list))
        .route("/UpdateStage", post(stages::update))
        .route("/DeleteStage", post(stages::delete))
        .route("/CreateParticipantToken", post(stages::create_token))
        .route("/DisconnectParticipant", post(stages::disconnect))
        .route("/ListStageSessions", post(stages::list_sessions))
        .route("/GetStageSession", post(stages::get_session))
        .route("/ListParticipants", post(stages::list_participants))
        .route("/GetParticipant", post(stages::get_participant))
        .route("/ListParticipantEvents", post(stages::list_events))
        .route("/tags/{arn}", get(tags::list).post(tags::tag).delete(tags::untag))
        .route("/_local/stream/offline", post(local::go_offline))
        .route("/_local/stream/online", post(local::go_online))
        .route("/_local/stream/health", post(local::force_health))
        .route("/_local/playback/stall", post(local::stall_playback))
        .route("/_local/recordings", get(local::recordings))
        .route("/_local/health", get(local::health))
        .with_state(state.clone())
        .merge(crate::media::whip::router(state.whip()))
        .merge(chat::router(state.chat))
}
