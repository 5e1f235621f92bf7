//! The IVS calls the site server makes, behind one small trait: [`Ivs`]. The real one is the AWS
//! SDK ([`crate::aws::AwsIvs`]); a test double lets the whole app — every route — run without IVS.
//!
//! Each call answers in the server's own terms: the facts it uses, or an [`IvsError`] that says
//! what IVS refused (not broadcasting, throttled) or what went wrong on the way, in words.

use std::collections::HashMap;

use futures::future::BoxFuture;

/// What an IVS call answers.
pub type Call<'a, T> = BoxFuture<'a, Result<T, IvsError>>;

/// Why an IVS call did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IvsError {
    /// `ChannelNotBroadcasting`.
    #[error("the channel is not broadcasting")]
    NotBroadcasting,
    /// `ThrottlingException`.
    #[error("IVS throttled the call")]
    Throttled,
    /// Anything else: the operation, the service's code and message, or what failed on the way.
    #[error("{0}")]
    Other(String),
}

/// What the server uses of a channel (`GetChannel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFacts {
    pub playback_url: Option<String>,
    /// Private: playback needs a token.
    pub authorized: bool,
    /// Where broadcasters stream to (`ingestEndpoint`).
    pub ingest_endpoint: Option<String>,
    /// The recording configuration, when the channel records.
    pub recording_configuration_arn: Option<String>,
}

/// A channel's stream key (the secret a broadcaster streams with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamKey {
    pub arn: String,
    pub value: String,
}

/// What the server uses of a chat room (`GetRoom`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFacts {
    pub maximum_message_length: Option<usize>,
}

/// A live stream (`GetStream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStream {
    pub stream_id: String,
    /// Not `STARVING`.
    pub healthy: bool,
    pub viewer_count: u64,
}

/// A chat token to ask for (`CreateChatToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTokenRequest {
    pub room_arn: String,
    pub user_id: String,
    pub attributes: HashMap<String, String>,
    /// `SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`.
    pub capabilities: Vec<String>,
    pub session_minutes: i32,
}

/// A chat token IVS issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedChatToken {
    pub token: String,
    /// ISO 8601.
    pub session_expiration_time: String,
}

/// What the server uses of a stage (`GetStage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFacts {
    /// Where participants publish and subscribe (the stage's WHIP endpoint).
    pub whip_url: Option<String>,
    pub active_session_id: Option<String>,
}

/// A participant token to ask for (`CreateParticipantToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTokenRequest {
    pub stage_arn: String,
    pub user_id: String,
    pub attributes: HashMap<String, String>,
    /// `PUBLISH`, `SUBSCRIBE`.
    pub capabilities: Vec<String>,
    pub duration_minutes: i32,
}

/// A participant token IVS issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedStageToken {
    pub token: String,
    pub participant_id: String,
    /// ISO 8601.
    pub expiration_time: String,
}

/// A participant of a stage session (`ListParticipants`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageParticipant {
    pub participant_id: String,
    pub user_id: String,
    pub connected: bool,
    /// Published at some time in the session.
    pub published: bool,
}

/// The IVS and IVS Chat operations the site server calls.
pub trait Ivs: Send + Sync + 'static {
    fn get_channel<'a>(&'a self, arn: &'a str) -> Call<'a, ChannelFacts>;
    fn get_room<'a>(&'a self, arn: &'a str) -> Call<'a, RoomFacts>;
    /// The live stream, or [`IvsError::NotBroadcasting`].
    fn get_stream<'a>(&'a self, channel_arn: &'a str) -> Call<'a, LiveStream>;
    fn put_metadata<'a>(&'a self, channel_arn: &'a str, metadata: &'a str) -> Call<'a, ()>;
    /// Sends an event to everyone in the room (`SendEvent`).
    fn send_event<'a>(&'a self, room_arn: &'a str, name: &'a str, attributes: HashMap<String, String>) -> Call<'a, ()>;
    fn create_chat_token(&self, request: ChatTokenRequest) -> Call<'_, IssuedChatToken>;
    /// The names of the playback key pairs imported into the account.
    fn playback_key_pair_names(&self) -> Call<'_, Vec<String>>;
    fn import_playback_key_pair<'a>(&'a self, name: &'a str, public_pem: &'a str) -> Call<'a, ()>;
    fn get_stage<'a>(&'a self, arn: &'a str) -> Call<'a, StageFacts>;
    fn create_participant_token(&self, request: StageTokenRequest) -> Call<'_, IssuedStageToken>;
    /// The participants of session `session_id` of stage `stage_arn`.
    fn list_participants<'a>(&'a self, stage_arn: &'a str, session_id: &'a str) -> Call<'a, Vec<StageParticipant>>;
    /// The channel's stream keys, with their values (`ListStreamKeys`, then `GetStreamKey`).
    fn stream_keys<'a>(&'a self, channel_arn: &'a str) -> Call<'a, Vec<StreamKey>>;
    fn delete_stream_key<'a>(&'a self, arn: &'a str) -> Call<'a, ()>;
    fn create_stream_key<'a>(&'a self, channel_arn: &'a str) -> Call<'a, StreamKey>;
}
