//! Viewer analytics: the reports viewers' pages send (`POST /api/analytics`), added up per
//! broadcast per minute in this instance's memory and added to the store every few seconds —
//! sums only (`ivs_proto::analytics::Sums`), so instances never read each other's figures back
//! and a report costs an addition, not a write. Votes the server counts are added here too (all
//! of them, not a sample). The store keeps 30 days.
//!
//! A report is put in the broadcast live when it arrives (IVS's stream id), else in
//! [`OFFLINE`]. What an instance holds when it stops is lost only if it stops without its
//! graceful shutdown, and then at most [`FLUSH_EVERY`] of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ivs_proto::analytics::{minute_of, Broadcast, Report, Series, Sums, OFFLINE};

use crate::clock::now_ms;
use crate::store::{Store, StoreError};

/// How often an instance adds what it took in to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The analytics service (cheap to clone).
#[derive(Clone)]
pub struct Analytics {
    store: Arc<dyn Store>,
    /// (broadcast, minute) → what this instance took in and has not yet added to the store.
    pending: Arc<Mutex<HashMap<(String, i64), Sums>>>,
}

impl Analytics {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, pending: Arc::default() }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(String, i64), Sums>> {
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in `report` for `broadcast` (the live one's id; `None` while nothing is live).
    pub fn take(&self, report: &Report, broadcast: Option<&str>, now_ms: i64) {
        let broadcast = broadcast.unwrap_or(OFFLINE);
        let mut pending = self.lock();
        pending.entry((broadcast.to_owned(), minute_of(now_ms))).or_default().add(report);
        // The page counts once in each minute it names (it names each once).
        for minute in report.present_in(now_ms) {
            pending.entry((broadcast.to_owned(), minute)).or_default().add_viewer(report.weight());
        }
    }

    /// A vote counted in `broadcast`.
    pub fn vote(&self, broadcast: Option<&str>, now_ms: i64) {
        let key = (broadcast.unwrap_or(OFFLINE).to_owned(), minute_of(now_ms));
        self.lock().entry(key).or_default().add_vote();
    }

    /// Adds what this instance took in to the store; what cannot be added is kept for the next
    /// time.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let taken: Vec<((String, i64), Sums)> = self.lock().drain().collect();
        let now = now_ms();
        let mut failed = None;
        for ((broadcast, minute), sums) in taken {
            if failed.is_some() {
                self.lock().entry((broadcast, minute)).or_default().merge(&sums);
                continue;
            }
            if let Err(e) = self.store.add_analytics(&broadcast, minute, sums.clone(), now).await {
                self.lock().entry((broadcast, minute)).or_default().merge(&sums);
                failed = Some(e);
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Flushes every [`FLUSH_EVERY`].
    pub async fn run(self) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush().await {
                tracing::warn!("viewer analytics are kept in memory until the store takes them: {e}");
            }
        }
    }

    /// The broadcasts with analytics, the latest first.
    pub async fn broadcasts(&self) -> Result<Vec<Broadcast>, StoreError> {
        self.flush().await?;
        Ok(self.store.analytics_broadcasts().await?.into_iter().map(|(last_minute_ms, id)| Broadcast { id, last_minute_ms }).collect())
    }

    /// `broadcast`'s minutes, with what this instance has not yet added.
    pub async fn series(&self, broadcast: &str) -> Result<Series, StoreError> {
        self.flush().await?;
        Ok(Series::from_minutes(broadcast, &self.store.analytics(broadcast).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::Embedded;

    #[tokio::test]
    async fn reports_and_votes_reach_the_store_by_broadcast_and_minute() {
        let dir = std::env::temp_dir().join(format!("ivs-site-analytics-{}-{}", std::process::id(), now_ms()));
        let analytics = Analytics::new(Arc::new(Embedded::open(&dir).unwrap()));
        let now = now_ms();
        let report = Report { sample: 0.5, watch_ms: 30_000, first_frame_ms: Some(700), present_minutes: vec![0], ..Report::default() };
        analytics.take(&report, Some("st-1"), now);
        analytics.take(&report, Some("st-1"), now);
        analytics.vote(Some("st-1"), now);
        analytics.take(&report, None, now);
        let series = analytics.series("st-1").await.unwrap();
        assert_eq!(series.points.len(), 1);
        let point = &series.points[0];
        assert_eq!((point.minute_ms, point.reports, point.votes), (minute_of(now), 4, 1), "each report stands for two viewers");
        assert_eq!(point.viewers, 4, "two pages watching, each standing for two viewers");
        let broadcasts = analytics.broadcasts().await.unwrap();
        assert_eq!(broadcasts.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().len(), 2);
        assert!(broadcasts.iter().any(|b| b.id == OFFLINE));
        // Flushed once: asking again adds nothing twice.
        assert_eq!(analytics.series("st-1").await.unwrap(), series);
        let _ = std::fs::remove_dir_all(dir);
    }
}
