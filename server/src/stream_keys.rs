//! The channel's stream key — the secret a broadcaster streams with: shown to operators (never to
//! viewers), replaced on demand, and with `channel.rotate_stream_key` replaced after every
//! broadcast, as IVS's best practice advises, so a key that leaked during a show is worthless
//! after it. IVS allows one key per channel: the old one is deleted (`DeleteStreamKey`), then
//! the new one made (`CreateStreamKey`); the ingest refuses the old one from then on.

use std::sync::Arc;

use ivs_proto::stream_events::{Kind, StreamEvent};

use crate::ivs::{Ivs, IvsError, StreamKey};
use crate::store::Store;

/// The stream key service; cheap to clone.
#[derive(Clone)]
pub struct StreamKeys {
    ivs: Arc<dyn Ivs>,
    store: Arc<dyn Store>,
    channel_arn: String,
    rotate_after_session: bool,
}

impl StreamKeys {
    pub fn new(ivs: Arc<dyn Ivs>, store: Arc<dyn Store>, channel_arn: String, rotate_after_session: bool) -> Self {
        Self { ivs, store, channel_arn, rotate_after_session }
    }

    /// The channel's key now (`None`: it has none).
    pub async fn current(&self) -> Result<Option<StreamKey>, IvsError> {
        Ok(self.ivs.stream_keys(&self.channel_arn).await?.into_iter().next())
    }

    /// Replaces the channel's key: every old one deleted, one new one made.
    pub async fn rotate(&self) -> Result<StreamKey, IvsError> {
        for old in self.ivs.stream_keys(&self.channel_arn).await? {
            self.ivs.delete_stream_key(&old.arn).await?;
        }
        let key = self.ivs.create_stream_key(&self.channel_arn).await?;
        tracing::info!(channel = %self.channel_arn, key = %key.arn, "stream key replaced");
        Ok(key)
    }

    /// Takes in an event (its body): after the end of a broadcast of the channel, with rotation
    /// on, the key is replaced — once per broadcast, by whichever instance claims it. Answers
    /// whether it was.
    pub async fn after_event(&self, body: &[u8]) -> bool {
        if !self.rotate_after_session {
            return false;
        }
        let Ok(event) = StreamEvent::parse(body) else { return false };
        let Some(stream) = event.stream_id.as_deref().filter(|_| event.kind == Kind::SessionEnded && event.channel_arn == self.channel_arn) else {
            return false;
        };
        match self.store.claim_once(&format!("key-rotated:{stream}")).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                tracing::warn!("stream key rotation after {stream}: {e}");
                return false;
            }
        }
        match self.rotate().await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!("the stream key was not replaced after broadcast {stream}: {e}; rotate it by hand (POST /api/stream-key/rotate)");
                false
            }
        }
    }
}
