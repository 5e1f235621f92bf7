//! Where the server keeps what must outlive it and be shared between its instances: polls and
//! their votes, the overlays on screen, IVS's events, and who does the once-per-site jobs.
//!
//! One interface, [`Store`], with two implementations:
//! - [`embedded::Embedded`] (the default): redb in the data directory, for one instance. A vote is
//!   acknowledged once committed; votes that arrive together are committed together.
//! - [`redis::RedisStore`]: for several instances. A vote is checked and counted in one Lua
//!   script, so two instances can never both count a person's vote.
//!
//! Both decide a vote the same way: the poll exists, it is open (with [`GRACE`]), the voter is
//! signed in if the poll asks for that, the option is one of its options, and this person has not
//! voted.

pub mod embedded;
pub mod redis;

use std::collections::HashMap;
use std::time::Duration;

use futures::future::BoxFuture;
use ivs_proto::analytics::Sums;
use ivs_proto::tally::VoteError;
use serde::{Deserialize, Serialize};

/// Votes are taken this long after a poll's countdown ends: a viewer watches a little behind
/// live, so its countdown ends a little later than the server's.
pub const GRACE: Duration = Duration::from_secs(5);

/// A poll the server published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollRecord {
    pub id: String,
    /// The text that went into the stream.
    pub cue: String,
    pub options: usize,
    pub opened_ms: i64,
    pub duration_ms: i64,
    /// Set when a `poll-close` ended it early.
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// The broadcast it was shown in.
    #[serde(default)]
    pub stream_id: Option<String>,
    /// Only the site's signed-in users may vote.
    #[serde(default)]
    pub signed_in_only: bool,
}

impl PollRecord {
    /// When votes stop (before the grace).
    pub fn closes_ms(&self) -> i64 {
        let scheduled = self.opened_ms + self.duration_ms;
        self.closed_ms.map_or(scheduled, |closed| closed.min(scheduled))
    }

    pub fn open_at(&self, now_ms: i64) -> bool {
        now_ms <= self.closes_ms() + GRACE.as_millis() as i64
    }
}

/// What the store answers to a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vote {
    /// Stored; the poll's counts now.
    Counted(Vec<u64>),
    Refused(VoteError),
}

/// The store could not do what was asked; nothing was acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl StoreError {
    pub fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A small value the server keeps under a name (the overlays on screen, the viewer count).
pub mod keys {
    pub const CURRENT: &str = "current";
    /// The overlays on the stage's screen.
    pub const CURRENT_STAGE: &str = "current-stage";
    pub const VIEWERS: &str = "viewers";
    /// The studio's viewer count over the last hour.
    pub const VIEWER_SERIES: &str = "viewer-series";
    /// The studio's run of show.
    pub const SHOW: &str = "show";
    /// The chat's word list and slow mode.
    pub const CHAT_RULES: &str = "chat-rules";
}

/// The most IVS events kept; older ones no longer matter to the stream's state.
pub const EVENTS_KEPT: usize = 500;

/// The server's storage.
pub trait Store: Send + Sync + 'static {
    /// Records a poll (new, or closed early).
    fn put_poll(&self, poll: PollRecord) -> BoxFuture<'_, Result<()>>;
    fn poll(&self, id: &str) -> BoxFuture<'_, Result<Option<PollRecord>>>;
    /// Counts `user`'s vote for `option` in `poll` if it may count (see the module's doc), at
    /// `now_ms`; `signed_in`: the user is one of the site's signed-in users. Answers once the vote
    /// is stored.
    fn vote(&self, poll: &str, user: &str, signed_in: bool, option: usize, now_ms: i64) -> BoxFuture<'_, Result<Vote>>;
    fn counts(&self, poll: &str) -> BoxFuture<'_, Result<Vec<u64>>>;
    /// The option `user` voted for in `poll`.
    fn vote_of(&self, poll: &str, user: &str) -> BoxFuture<'_, Result<Option<usize>>>;
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>>;
    fn put(&self, key: &str, value: String) -> BoxFuture<'_, Result<()>>;
    /// Keeps an IVS event (its raw JSON) under its id; `false` if that id was already kept.
    fn record_event(&self, id: &str, time_ms: i64, raw: String) -> BoxFuture<'_, Result<bool>>;
    /// The kept events, oldest first.
    fn events(&self) -> BoxFuture<'_, Result<Vec<String>>>;
    /// Takes or keeps the lease `name` for `holder` for `ttl`; `true` while `holder` has it.
    fn lease(&self, name: &str, holder: &str, ttl: Duration) -> BoxFuture<'_, Result<bool>>;
    /// `true` the first time `key` is claimed, by any instance; `false` ever after.
    fn claim_once(&self, key: &str) -> BoxFuture<'_, Result<bool>>;
    /// Keeps fact `fact` (JSON) about recording `id`, which started at `started_ms`: the library
    /// is ordered by the earliest start any fact names. A fact is written on its own — never read,
    /// changed and written back — so instances taking one recording's events at once cannot undo
    /// each other (see `ivs_proto::recordings`).
    fn put_recording_fact(&self, id: &str, started_ms: i64, fact: &str, json: String) -> BoxFuture<'_, Result<()>>;
    /// The facts about recording `id`, by name (empty: not known).
    fn recording_facts(&self, id: &str) -> BoxFuture<'_, Result<HashMap<String, String>>>;
    /// Recordings as (start, id), newest first, started before `before_ms` (all when `None`), at
    /// most `limit`.
    fn recording_ids(&self, before_ms: Option<i64>, limit: usize) -> BoxFuture<'_, Result<Vec<(i64, String)>>>;
    /// Adds `sums` to what is kept of `broadcast`'s minute `minute_ms` (viewer analytics: sums
    /// only, so that what instances add in any order adds up), and forgets every minute older than
    /// `ivs_proto::analytics::KEPT_MS` before `now_ms`.
    fn add_analytics(&self, broadcast: &str, minute_ms: i64, sums: Sums, now_ms: i64) -> BoxFuture<'_, Result<()>>;
    /// `broadcast`'s minutes, oldest first.
    fn analytics(&self, broadcast: &str) -> BoxFuture<'_, Result<Vec<(i64, Sums)>>>;
    /// The broadcasts with analytics as (latest minute, broadcast), the latest first.
    fn analytics_broadcasts(&self) -> BoxFuture<'_, Result<Vec<(i64, String)>>>;
}

#[cfg(test)]
pub(crate) mod contract {
    //! What every store must do, run against each implementation.
    use super::*;

    pub const NOW: i64 = 1_800_000_000_000;

    pub fn poll(id: &str) -> PollRecord {
        PollRecord {
            id: id.into(),
            cue: format!("{{\"id\":\"{id}\"}}"),
            options: 3,
            opened_ms: NOW,
            duration_ms: 30_000,
            closed_ms: None,
            stream_id: Some("st-1".into()),
            signed_in_only: false,
        }
    }

    pub async fn votes_count_once_each_and_only_while_open(store: &dyn Store) {
        store.put_poll(poll("p1")).await.unwrap();
        assert_eq!(store.poll("p1").await.unwrap(), Some(poll("p1")));
        assert_eq!(store.vote("p1", "ann", false, 0, NOW + 1).await.unwrap(), Vote::Counted(vec![1, 0, 0]));
        assert_eq!(store.vote("p1", "bob", false, 2, NOW + 2).await.unwrap(), Vote::Counted(vec![1, 0, 1]));
        assert_eq!(store.vote("p1", "ann", false, 1, NOW + 3).await.unwrap(), Vote::Refused(VoteError::AlreadyVoted { option: 0 }));
        assert_eq!(store.vote("p1", "cy", false, 3, NOW + 3).await.unwrap(), Vote::Refused(VoteError::NoSuchOption));
        assert_eq!(store.vote("nope", "cy", false, 0, NOW).await.unwrap(), Vote::Refused(VoteError::NoSuchPoll));
        let after = NOW + 30_000 + GRACE.as_millis() as i64 + 1;
        assert_eq!(store.vote("p1", "cy", false, 0, after).await.unwrap(), Vote::Refused(VoteError::Closed));
        assert_eq!(store.counts("p1").await.unwrap(), vec![1, 0, 1]);
        assert_eq!(store.vote_of("p1", "bob").await.unwrap(), Some(2));
        assert_eq!(store.vote_of("p1", "cy").await.unwrap(), None);
        // Closed early: votes stop after the grace.
        store.put_poll(PollRecord { closed_ms: Some(NOW + 1000), ..poll("p1") }).await.unwrap();
        assert_eq!(store.vote("p1", "dee", false, 1, NOW + 1000 + GRACE.as_millis() as i64 + 1).await.unwrap(), Vote::Refused(VoteError::Closed));
        assert_eq!(store.counts("p1").await.unwrap(), vec![1, 0, 1], "closing keeps the counts");
        // A poll for signed-in users only.
        store.put_poll(PollRecord { signed_in_only: true, ..poll("members") }).await.unwrap();
        assert_eq!(store.vote("members", "viewer-1", false, 0, NOW).await.unwrap(), Vote::Refused(VoteError::SignInRequired));
        assert_eq!(store.vote("members", "ann", true, 0, NOW).await.unwrap(), Vote::Counted(vec![1, 0, 0]));
    }

    pub async fn recordings_keep_their_facts_newest_first(store: &dyn Store) {
        assert!(store.recording_facts("r1").await.unwrap().is_empty());
        store.put_recording_fact("r1", NOW, "start", "{\"s\":1}".into()).await.unwrap();
        store.put_recording_fact("r2", NOW + 60_000, "end", "{\"e\":2}".into()).await.unwrap();
        // The end of r1, with a start a little later than its own start's: the earliest stays.
        store.put_recording_fact("r1", NOW + 5, "end", "{\"e\":1}".into()).await.unwrap();
        store.put_recording_fact("r3", NOW + 120_000, "start", "{}".into()).await.unwrap();
        let facts = store.recording_facts("r1").await.unwrap();
        assert_eq!((facts["start"].as_str(), facts["end"].as_str(), facts.len()), ("{\"s\":1}", "{\"e\":1}", 2));
        let ids = |page: Vec<(i64, String)>| page.into_iter().map(|(_, id)| id).collect::<Vec<_>>();
        assert_eq!(ids(store.recording_ids(None, 10).await.unwrap()), ["r3", "r2", "r1"]);
        let first = store.recording_ids(None, 2).await.unwrap();
        assert_eq!(ids(first.clone()), ["r3", "r2"]);
        assert_eq!(store.recording_ids(Some(first[1].0), 2).await.unwrap(), vec![(NOW, "r1".to_owned())], "the next page, and the earliest start");
    }

    pub async fn analytics_add_up_by_minute_and_are_forgotten_after_30_days(store: &dyn Store) {
        use ivs_proto::analytics::{Report, KEPT_MS, MINUTE_MS};
        let sums = |watch_ms: u64, first_frame_ms: Option<u64>| {
            let mut sums = Sums::default();
            sums.add(&Report { sample: 1.0, watch_ms, first_frame_ms, rebuffers: 1, ..Report::default() });
            sums.add_viewer(1);
            sums
        };
        let minute = NOW - NOW % MINUTE_MS;
        assert!(store.analytics("st-1").await.unwrap().is_empty());
        // Two instances' sums for one minute, and the next minute; another broadcast later.
        store.add_analytics("st-1", minute, sums(30_000, Some(900)), NOW).await.unwrap();
        store.add_analytics("st-1", minute + MINUTE_MS, sums(60_000, None), NOW).await.unwrap();
        store.add_analytics("st-1", minute, sums(45_000, Some(1_400)), NOW).await.unwrap();
        store.add_analytics("st-2", minute + 2 * MINUTE_MS, sums(1_000, None), NOW).await.unwrap();
        let minutes = store.analytics("st-1").await.unwrap();
        assert_eq!(minutes.iter().map(|(m, _)| *m).collect::<Vec<_>>(), [minute, minute + MINUTE_MS]);
        let first = minutes[0].1.point(minute);
        assert_eq!((first.viewers, first.watch_ms, first.rebuffers, first.reports), (2, 75_000, 2, 2), "two pages' sums, added");
        assert_eq!(first.first_frame_p95_ms, Some(1_475));
        assert_eq!(store.analytics_broadcasts().await.unwrap(), [(minute + 2 * MINUTE_MS, "st-2".to_owned()), (minute + MINUTE_MS, "st-1".to_owned())]);
        // 30 days on, a new minute: the old ones are forgotten.
        let later = NOW + KEPT_MS + 3 * MINUTE_MS;
        store.add_analytics("st-3", later - later % MINUTE_MS, sums(1, None), later).await.unwrap();
        assert!(store.analytics("st-1").await.unwrap().is_empty(), "kept 30 days");
        assert_eq!(store.analytics_broadcasts().await.unwrap(), [(later - later % MINUTE_MS, "st-3".to_owned())]);
    }

    pub async fn values_events_leases_and_claims(store: &dyn Store) {
        assert_eq!(store.get("k").await.unwrap(), None);
        store.put("k", "v1".into()).await.unwrap();
        store.put("k", "v2".into()).await.unwrap();
        assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v2"));
        assert!(store.record_event("e2", 20, "two".into()).await.unwrap());
        assert!(store.record_event("e1", 10, "one".into()).await.unwrap());
        assert!(!store.record_event("e2", 20, "two".into()).await.unwrap(), "a duplicate delivery");
        assert_eq!(store.events().await.unwrap(), ["one", "two"]);
        let ttl = Duration::from_millis(300);
        assert!(store.lease("job", "a", ttl).await.unwrap());
        assert!(!store.lease("job", "b", ttl).await.unwrap(), "held by a");
        assert!(store.lease("job", "a", ttl).await.unwrap(), "a renews");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(store.lease("job", "b", ttl).await.unwrap(), "a's lease ran out");
        assert!(store.claim_once("final:p1").await.unwrap());
        assert!(!store.claim_once("final:p1").await.unwrap());
    }
}
