//! The run of show: overlays a producer prepares before the broadcast, each sent at its time (by
//! the server: the holder of the `show` lease looks every half second), at a key press in the
//! studio, or by hand — kept in the store under [`keys::SHOW`], so it outlives a restart and is
//! the same on every instance. Sending goes through publishing like any overlay.

use std::sync::Arc;
use std::time::Duration;

use ivs_proto::site::PublishAnswer;
use ivs_proto::studio::{Show, ShowError};

use crate::clock::now_ms;
use crate::overlays::{Overlays, PublishError, Venue};
use crate::store::{keys, Store, StoreError};

/// Why the run of show could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ShowFailure {
    #[error("{0}")]
    Invalid(#[from] ShowError),
    #[error("no overlay of the run of show is named {0:?}")]
    NoSuchItem(String),
    #[error("no overlay waits for key {0}")]
    NoSuchKey(String),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("the run of show cannot be kept: {0}")]
    Store(#[from] StoreError),
}

/// The run of show (cheap to clone).
#[derive(Clone)]
pub struct RunOfShow {
    store: Arc<dyn Store>,
    overlays: Overlays,
}

impl RunOfShow {
    pub fn new(store: Arc<dyn Store>, overlays: Overlays) -> Self {
        Self { store, overlays }
    }

    /// The list as kept.
    pub async fn get(&self) -> Result<Show, StoreError> {
        Ok(self.store.get(keys::SHOW).await?.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default())
    }

    async fn put(&self, show: &Show) -> Result<(), StoreError> {
        self.store.put(keys::SHOW, serde_json::to_string(show).expect("plain data always encodes")).await
    }

    /// Replaces the list, each overlay checked as publishing checks it.
    pub async fn replace(&self, show: Show) -> Result<Show, ShowFailure> {
        show.check(|overlay| crate::overlays::check(overlay).map_err(|e| e.to_string()))?;
        self.put(&show).await?;
        Ok(show)
    }

    /// Sends overlay `id` now (again, if it went out before).
    pub async fn send(&self, id: &str) -> Result<PublishAnswer, ShowFailure> {
        let show = self.get().await?;
        let item = show.items.iter().find(|item| item.id == id).ok_or_else(|| ShowFailure::NoSuchItem(id.to_owned()))?;
        self.publish(item.id.clone(), item.overlay.clone()).await
    }

    /// Sends the overlay waiting for `key`.
    pub async fn press(&self, key: &str) -> Result<PublishAnswer, ShowFailure> {
        let show = self.get().await?;
        let item = show.for_key(key).ok_or_else(|| ShowFailure::NoSuchKey(key.to_owned()))?;
        self.publish(item.id.clone(), item.overlay.clone()).await
    }

    async fn publish(&self, id: String, overlay: serde_json::Value) -> Result<PublishAnswer, ShowFailure> {
        let answer = self.overlays.publish(overlay, Venue::Channel).await?;
        // Read again: the list may have changed while IVS took the overlay.
        let mut show = self.get().await?;
        show.mark_sent(&id, now_ms());
        self.put(&show).await?;
        Ok(answer)
    }

    /// Sends what is due, every half second, on the instance that holds the `show` lease. An
    /// overlay IVS refuses (the channel offline, say) is tried again at the next look.
    pub async fn run(self, instance: String) {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !self.store.lease("show", &instance, Duration::from_secs(3)).await.unwrap_or(false) {
                continue;
            }
            let Ok(show) = self.get().await else { continue };
            for item in show.due(now_ms()) {
                match self.publish(item.id.clone(), item.overlay.clone()).await {
                    Ok(_) => tracing::info!("run of show: {} sent at its time", item.id),
                    // Its time came while nothing is live: it goes out when the broadcast starts.
                    Err(ShowFailure::Publish(PublishError::Offline)) => {}
                    Err(e) => tracing::warn!("run of show: {} not sent yet: {e}", item.id),
                }
            }
        }
    }
}
