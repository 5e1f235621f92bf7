//! The site's past broadcasts: IVS records each broadcast of the channel to S3 and says so with
//! `IVS Recording State Change` events; the library keeps what each event says as a fact of its
//! recording (see `ivs_proto::recordings`), and answers the list and each recording with the
//! URLs a viewer replays it from — under `recordings.base_url`, a CDN in front of the bucket.

use std::sync::Arc;

use ivs_proto::recordings::{fact, recording_id, Recording, RecordingPage};
use ivs_proto::stream_events::{Kind, StreamEvent};

use crate::store::{Store, StoreError};

/// The most recordings one page lists.
pub const MAX_PAGE: usize = 50;

/// The library; cheap to clone.
#[derive(Clone)]
pub struct Recordings {
    store: Arc<dyn Store>,
    channel_arn: String,
    /// Where the recordings' bucket is served; `None`: the site keeps no library.
    base_url: Option<String>,
}

impl Recordings {
    pub fn new(store: Arc<dyn Store>, channel_arn: String, base_url: Option<String>) -> Self {
        Self { store, channel_arn, base_url }
    }

    /// Whether the site lists its recordings.
    pub fn enabled(&self) -> bool {
        self.base_url.is_some()
    }

    /// Takes in an event (its body, as EventBridge sent it): a recording event of the site's
    /// channel becomes a fact of its recording. Answers whether it was one.
    pub async fn take(&self, body: &[u8]) -> Result<bool, StoreError> {
        let Ok(event) = StreamEvent::parse(body) else { return Ok(false) };
        self.take_event(&event).await
    }

    async fn take_event(&self, event: &StreamEvent) -> Result<bool, StoreError> {
        let Some(recording) = event.recording.as_ref().filter(|_| event.channel_arn == self.channel_arn) else { return Ok(false) };
        let Some(id) = recording_id(&recording.prefix) else { return Ok(false) };
        let (name, started_ms) = match event.kind {
            Kind::RecordingStart => (fact::START, recording.time_ms),
            Kind::RecordingEnd => (fact::END, recording.time_ms - recording.duration_ms),
            _ => (fact::FAILURE, recording.time_ms - recording.duration_ms),
        };
        let json = serde_json::to_string(recording).expect("plain data always encodes");
        self.store.put_recording_fact(id, started_ms, name, json).await?;
        tracing::info!(recording = id, fact = name, "recording");
        Ok(true)
    }

    /// Recording `id`, as the API answers it.
    pub async fn get(&self, id: &str) -> Result<Option<Recording>, StoreError> {
        let Some(base) = &self.base_url else { return Ok(None) };
        let facts = self.store.recording_facts(id).await?;
        Ok(Recording::from_facts(id, &facts, base))
    }

    /// A page of recordings, newest first, from before `before` (a page's `next`). Failed ones
    /// are listed as failed; those still recording are listed too (the viewer says so).
    pub async fn page(&self, before: Option<i64>, limit: usize) -> Result<RecordingPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let ids = self.store.recording_ids(before, limit).await?;
        let mut recordings = Vec::with_capacity(ids.len());
        for (_, id) in &ids {
            if let Some(recording) = self.get(id).await? {
                recordings.push(recording);
            }
        }
        let next = (ids.len() == limit).then(|| ids.last().map(|(start, _)| start.to_string())).flatten();
        Ok(RecordingPage { recordings, next })
    }
}
