//! The AWS clients: IVS and IVS Chat through the AWS SDK for Rust, with credentials and region
//! from the SDK's standard chain (or the configuration), and the endpoint overridden only when
//! the configuration says (the local IVS). Throttling and transient errors are retried by the
//! SDK's standard retry mode, with backoff. [`AwsIvs`] is the real [`Ivs`].

use std::collections::HashMap;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_sdk_ivs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::types::ChatTokenCapability;

use crate::config::Config;
use crate::ivs::{
    Call, ChannelFacts, ChatTokenRequest, IssuedChatToken, IssuedStageToken, Ivs, IvsError, LiveStream, RoomFacts, StageFacts, StageParticipant,
    StageTokenRequest, StreamKey,
};

/// Both IVS clients.
#[derive(Clone)]
pub struct AwsIvs {
    pub ivs: aws_sdk_ivs::Client,
    pub chat: aws_sdk_ivschat::Client,
    /// IVS Real-Time (stages).
    pub realtime: aws_sdk_ivsrealtime::Client,
    pub region: String,
}

impl AwsIvs {
    /// The clients `config` describes.
    pub async fn new(config: &Config) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard().with_max_attempts(3));
        if let Some(region) = config.aws.region.clone().or_else(|| config.arn_region().map(str::to_owned)) {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(endpoint) = &config.aws.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let region = shared.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into());
        Self {
            ivs: aws_sdk_ivs::Client::new(&shared),
            chat: aws_sdk_ivschat::Client::new(&shared),
            realtime: aws_sdk_ivsrealtime::Client::new(&shared),
            region,
        }
    }
}

/// An SDK error in words: the service's code and message, or what went wrong on the way.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(e) => {
            let inner = e.err();
            format!("{}: {}", inner.code().unwrap_or("error"), inner.message().unwrap_or("no message"))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => "cannot reach the AWS endpoint".into(),
        other => aws_sdk_ivs::error::DisplayErrorContext(other).to_string(),
    }
}

/// An SDK error of `operation` as the server's: IVS's refusals by name, anything else in words.
fn refused<E, R>(operation: &str, error: SdkError<E, R>) -> IvsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.as_service_error().and_then(|e| e.code()) {
        Some("ChannelNotBroadcasting") => IvsError::NotBroadcasting,
        Some("ThrottlingException") => IvsError::Throttled,
        _ => IvsError::Other(format!("{operation}: {}", describe(&error))),
    }
}

/// An AWS timestamp as ISO 8601 (`2026-11-29T10:00:00.123Z`).
fn timestamp(at: &aws_sdk_ivschat::primitives::DateTime) -> String {
    at.fmt(aws_sdk_ivschat::primitives::DateTimeFormat::DateTime).unwrap_or_default()
}

impl Ivs for AwsIvs {
    fn stream_keys<'a>(&'a self, channel_arn: &'a str) -> Call<'a, Vec<StreamKey>> {
        Box::pin(async move {
            let listed = self.ivs.list_stream_keys().channel_arn(channel_arn).send().await.map_err(|e| refused("ListStreamKeys", e))?;
            let mut keys = Vec::new();
            for summary in listed.stream_keys() {
                let Some(arn) = summary.arn() else { continue };
                let got = self.ivs.get_stream_key().arn(arn).send().await.map_err(|e| refused("GetStreamKey", e))?;
                let value = got.stream_key().and_then(|k| k.value()).unwrap_or_default().to_owned();
                keys.push(StreamKey { arn: arn.to_owned(), value });
            }
            Ok(keys)
        })
    }

    fn delete_stream_key<'a>(&'a self, arn: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            self.ivs.delete_stream_key().arn(arn).send().await.map_err(|e| refused("DeleteStreamKey", e))?;
            Ok(())
        })
    }

    fn create_stream_key<'a>(&'a self, channel_arn: &'a str) -> Call<'a, StreamKey> {
        Box::pin(async move {
            let made = self.ivs.create_stream_key().channel_arn(channel_arn).send().await.map_err(|e| refused("CreateStreamKey", e))?;
            let key = made.stream_key().ok_or_else(|| IvsError::Other("CreateStreamKey answered no key".into()))?;
            Ok(StreamKey { arn: key.arn().unwrap_or_default().to_owned(), value: key.value().unwrap_or_default().to_owned() })
        })
    }

    fn get_channel<'a>(&'a self, arn: &'a str) -> Call<'a, ChannelFacts> {
        Box::pin(async move {
            let answer = self.ivs.get_channel().arn(arn).send().await.map_err(|e| refused(&format!("GetChannel {arn}"), e))?;
            let channel = answer.channel().ok_or_else(|| IvsError::Other("GetChannel answered no channel".into()))?;
            Ok(ChannelFacts {
                playback_url: channel.playback_url().map(str::to_owned),
                authorized: channel.authorized(),
                ingest_endpoint: channel.ingest_endpoint().filter(|e| !e.is_empty()).map(str::to_owned),
                recording_configuration_arn: channel.recording_configuration_arn().filter(|a| !a.is_empty()).map(str::to_owned),
            })
        })
    }

    fn get_room<'a>(&'a self, arn: &'a str) -> Call<'a, RoomFacts> {
        Box::pin(async move {
            let room = self.chat.get_room().identifier(arn).send().await.map_err(|e| refused(&format!("GetRoom {arn}"), e))?;
            Ok(RoomFacts { maximum_message_length: room.maximum_message_length().map(|n| n.max(1) as usize) })
        })
    }

    fn get_stream<'a>(&'a self, channel_arn: &'a str) -> Call<'a, LiveStream> {
        Box::pin(async move {
            let answer = self.ivs.get_stream().channel_arn(channel_arn).send().await.map_err(|e| refused("GetStream", e))?;
            let stream = answer.stream().ok_or(IvsError::NotBroadcasting)?;
            Ok(LiveStream {
                stream_id: stream.stream_id().unwrap_or_default().to_owned(),
                healthy: !matches!(stream.health(), Some(aws_sdk_ivs::types::StreamHealth::Starving)),
                viewer_count: stream.viewer_count().max(0) as u64,
            })
        })
    }

    fn put_metadata<'a>(&'a self, channel_arn: &'a str, metadata: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            self.ivs.put_metadata().channel_arn(channel_arn).metadata(metadata).send().await.map_err(|e| refused("PutMetadata", e))?;
            Ok(())
        })
    }

    fn send_event<'a>(&'a self, room_arn: &'a str, name: &'a str, attributes: HashMap<String, String>) -> Call<'a, ()> {
        Box::pin(async move {
            let call = self.chat.send_event().room_identifier(room_arn).event_name(name).set_attributes(Some(attributes));
            call.send().await.map_err(|e| refused("SendEvent", e))?;
            Ok(())
        })
    }

    fn create_chat_token(&self, request: ChatTokenRequest) -> Call<'_, IssuedChatToken> {
        Box::pin(async move {
            let capabilities = request.capabilities.iter().map(|c| ChatTokenCapability::from(c.as_str())).collect();
            let answer = self
                .chat
                .create_chat_token()
                .room_identifier(&request.room_arn)
                .user_id(&request.user_id)
                .set_attributes(Some(request.attributes))
                .set_capabilities(Some(capabilities))
                .session_duration_in_minutes(request.session_minutes)
                .send()
                .await
                .map_err(|e| refused("CreateChatToken", e))?;
            Ok(IssuedChatToken {
                token: answer.token().unwrap_or_default().to_owned(),
                session_expiration_time: answer.session_expiration_time().map(timestamp).unwrap_or_default(),
            })
        })
    }

    fn playback_key_pair_names(&self) -> Call<'_, Vec<String>> {
        Box::pin(async move {
            let mut names = Vec::new();
            let mut pages = self.ivs.list_playback_key_pairs().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| refused("ListPlaybackKeyPairs", e))?;
                names.extend(page.key_pairs().iter().filter_map(|pair| pair.name().map(str::to_owned)));
            }
            Ok(names)
        })
    }

    fn import_playback_key_pair<'a>(&'a self, name: &'a str, public_pem: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            self.ivs.import_playback_key_pair().public_key_material(public_pem).name(name).send().await.map_err(|e| refused("ImportPlaybackKeyPair", e))?;
            Ok(())
        })
    }

    fn get_stage<'a>(&'a self, arn: &'a str) -> Call<'a, StageFacts> {
        Box::pin(async move {
            let answer = self.realtime.get_stage().arn(arn).send().await.map_err(|e| refused("GetStage", e))?;
            let stage = answer.stage();
            Ok(StageFacts {
                whip_url: stage.and_then(|s| s.endpoints()).and_then(|e| e.whip()).filter(|w| !w.is_empty()).map(str::to_owned),
                active_session_id: stage.and_then(|s| s.active_session_id()).map(str::to_owned),
            })
        })
    }

    fn create_participant_token(&self, request: StageTokenRequest) -> Call<'_, IssuedStageToken> {
        Box::pin(async move {
            use aws_sdk_ivsrealtime::types::ParticipantTokenCapability;
            let capabilities = request.capabilities.iter().map(|c| ParticipantTokenCapability::from(c.as_str())).collect();
            let answer = self
                .realtime
                .create_participant_token()
                .stage_arn(&request.stage_arn)
                .user_id(&request.user_id)
                .set_attributes(Some(request.attributes))
                .set_capabilities(Some(capabilities))
                .duration(request.duration_minutes)
                .send()
                .await
                .map_err(|e| refused("CreateParticipantToken", e))?;
            let token = answer.participant_token();
            Ok(IssuedStageToken {
                token: token.and_then(|t| t.token()).unwrap_or_default().to_owned(),
                participant_id: token.and_then(|t| t.participant_id()).unwrap_or_default().to_owned(),
                expiration_time: token.and_then(|t| t.expiration_time()).map(timestamp).unwrap_or_default(),
            })
        })
    }

    fn list_participants<'a>(&'a self, stage_arn: &'a str, session_id: &'a str) -> Call<'a, Vec<StageParticipant>> {
        Box::pin(async move {
            use aws_sdk_ivsrealtime::types::ParticipantState;
            let mut participants = Vec::new();
            let mut pages = self.realtime.list_participants().stage_arn(stage_arn).session_id(session_id).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| refused("ListParticipants", e))?;
                participants.extend(page.participants().iter().map(|p| StageParticipant {
                    participant_id: p.participant_id().unwrap_or_default().to_owned(),
                    user_id: p.user_id().unwrap_or_default().to_owned(),
                    connected: p.state() == Some(&ParticipantState::Connected),
                    published: p.published(),
                }));
            }
            Ok(participants)
        })
    }
}
