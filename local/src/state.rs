//! What the control plane's handlers share, and the narrow handles the media side gets from it.

use crate::chat::Chat;
use crate::control::channels::Channels;
use crate::control::playback_auth::{KeyPairs, Sessions};
use crate::control::recording_configs::Configs;
use crate::control::stages::Stages;
use crate::media::broadcaster::Broadcaster;
use crate::media::channel::Channel;
use crate::media::ingest::{IngestContext, IngestOptions, Publishers};
use crate::media::live::Live;
use crate::media::playback::{PlaybackOrigin, Stall};
use crate::media::s3_recorder::Recorders;
use crate::media::sfu::Sfu;
use crate::media::whip::Whip;

/// The emulator's state; cheap to clone (every part is shared).
#[derive(Clone)]
pub struct AppState {
    /// The account's channels and stream keys.
    pub channels: Channels,
    /// The channels' broadcasts, by ARN.
    pub live: Live,
    /// Streams the test pattern into the built-in channel.
    pub broadcaster: Broadcaster,
    pub chat: Chat,
    /// The playback key pairs imported into this account.
    pub key_pairs: KeyPairs,
    /// The playback sessions valid tokens opened.
    pub sessions: Sessions,
    /// The recording configurations, where recordings go and where their events go.
    pub recorders: Recorders,
    /// Channels with a broadcaster connected.
    pub publishers: Publishers,
    pub ingest: IngestOptions,
    /// The real-time stages, their sessions and participants.
    pub stages: Stages,
    /// The stages' media: every participant's WebRTC connection.
    pub sfu: Sfu,
    /// A stall of the playback origin under way, if any (`/_local/playback/stall`).
    pub playback_stall: Stall,
}

impl AppState {
    /// The account's recording configurations.
    pub fn recording_configs(&self) -> &Configs {
        &self.recorders.configs
    }

    /// The built-in channel's broadcasts.
    pub fn builtin(&self) -> Channel {
        self.live.channel(self.channels.builtin())
    }

    /// Starts the built-in broadcaster with the built-in channel's stream key.
    pub fn start_broadcaster(&self) -> anyhow::Result<()> {
        let key = self
            .channels
            .key_of(self.channels.builtin())
            .ok_or_else(|| anyhow::anyhow!("the built-in channel has no stream key; create one with CreateStreamKey"))?;
        self.broadcaster.start(&key)
    }

    /// Takes the built-in channel offline: its broadcaster stops and the broadcast ends now.
    pub fn stop_broadcaster(&self) {
        self.broadcaster.stop();
        self.builtin().stop();
    }

    /// What RTMP ingest uses.
    pub fn ingest_context(&self) -> IngestContext {
        IngestContext {
            channels: self.channels.clone(),
            live: self.live.clone(),
            publishers: self.publishers.clone(),
            options: self.ingest.clone(),
            events: self.recorders.events.clone(),
            recorders: self.recorders.clone(),
        }
    }

    /// What the stages' WHIP endpoint uses.
    pub fn whip(&self) -> Whip {
        Whip::new(self.stages.clone(), self.sfu.clone())
    }

    /// What the playback origin uses.
    pub fn playback_origin(&self) -> PlaybackOrigin {
        PlaybackOrigin {
            channels: self.channels.clone(),
            live: self.live.clone(),
            key_pairs: self.key_pairs.clone(),
            sessions: self.sessions.clone(),
            buckets: self.recorders.buckets.clone(),
            stall: self.playback_stall.clone(),
        }
    }
}
