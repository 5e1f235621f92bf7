//! The embedded store: everything in memory for answers, and in redb (`site.redb` in the data
//! directory) for durability. A write is acknowledged only after its commit; one writer thread
//! commits whatever is queued when a commit starts (group commit), so durability does not cost
//! throughput. For one instance: leases and claims are this process's own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::future::BoxFuture;
use futures::FutureExt;
use ivs_proto::analytics::{Sums, KEPT_MS};
use ivs_proto::tally::{Tally, VoteError};
use redb::{Database, ReadableTable, TableDefinition};
use tokio::sync::{mpsc, oneshot};

use super::{PollRecord, Result, Store, StoreError, Vote, EVENTS_KEPT};

/// Poll id → the poll's record (JSON).
const POLLS: TableDefinition<&str, &str> = TableDefinition::new("polls");
/// (poll id, user id) → option.
const VOTES: TableDefinition<(&str, &str), u8> = TableDefinition::new("votes");
/// Named values.
const VALUES: TableDefinition<&str, &str> = TableDefinition::new("values");
/// Event id → (time, raw JSON).
const EVENTS: TableDefinition<&str, (i64, &str)> = TableDefinition::new("events");
/// Claimed keys.
const CLAIMS: TableDefinition<&str, ()> = TableDefinition::new("claims");
/// (recording id, fact) → the fact (JSON).
const RECORDING_FACTS: TableDefinition<(&str, &str), &str> = TableDefinition::new("recording_facts");
/// Recording id → when it started (ms).
const RECORDING_STARTS: TableDefinition<&str, i64> = TableDefinition::new("recording_starts");
/// (broadcast, minute) → the minute's analytics sums (JSON: field → sum).
const ANALYTICS: TableDefinition<(&str, i64), &str> = TableDefinition::new("analytics");
/// How many leases are kept before the run-out ones are forgotten.
const LEASES_KEPT: usize = 10_000;

enum Write {
    Poll(String, String),
    Vote(String, String, u8),
    Value(String, String),
    Event(String, i64, String),
    ForgetEvent(String),
    Claim(String),
    /// Recording id, fact, JSON, start.
    RecordingFact(String, String, String, i64),
    /// Broadcast, minute, the minute's sums so far (JSON).
    Analytics(String, i64, String),
    ForgetAnalytics(String, i64),
}

type Ack = oneshot::Sender<std::result::Result<(), String>>;

#[derive(Default)]
struct Memory {
    polls: HashMap<String, (PollRecord, Tally)>,
    values: HashMap<String, String>,
    /// (time, id) → raw, so the oldest are dropped first.
    events: BTreeMap<(i64, String), String>,
    event_ids: HashSet<String>,
    leases: HashMap<String, (String, Instant)>,
    claims: HashSet<String>,
    /// Recording id → (start, facts by name).
    recordings: HashMap<String, (i64, HashMap<String, String>)>,
    /// (start, id), for the library's order.
    recording_order: BTreeSet<(i64, String)>,
    /// (broadcast, minute) → sums, and the same keys by minute (to forget the oldest).
    analytics: BTreeMap<(String, i64), Sums>,
    analytics_by_minute: BTreeSet<(i64, String)>,
}

/// The embedded store.
#[derive(Clone)]
pub struct Embedded {
    memory: Arc<Mutex<Memory>>,
    writer: mpsc::UnboundedSender<(Write, Ack)>,
}

impl Embedded {
    /// Opens (or creates) `site.redb` in `data_dir` and restores everything in it.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("site.redb");
        let db = Database::create(&path).with_context(|| format!("cannot open the database {} (is another instance using it?)", path.display()))?;
        let tx = db.begin_write()?;
        tx.open_table(POLLS)?;
        tx.open_table(VOTES)?;
        tx.open_table(VALUES)?;
        tx.open_table(EVENTS)?;
        tx.open_table(CLAIMS)?;
        tx.open_table(RECORDING_FACTS)?;
        tx.open_table(RECORDING_STARTS)?;
        tx.open_table(ANALYTICS)?;
        tx.commit()?;

        let mut memory = Memory::default();
        let read = db.begin_read()?;
        for row in read.open_table(POLLS)?.iter()? {
            let (id, record) = row?;
            let Ok(record) = serde_json::from_str::<PollRecord>(record.value()) else { continue };
            let tally = Tally::new(record.options);
            memory.polls.insert(id.value().to_owned(), (record, tally));
        }
        for row in read.open_table(VOTES)?.iter()? {
            let (key, option) = row?;
            let (poll, user) = key.value();
            if let Some((_, tally)) = memory.polls.get_mut(poll) {
                let _ = tally.vote(user, usize::from(option.value()));
            }
        }
        for row in read.open_table(VALUES)?.iter()? {
            let (key, value) = row?;
            memory.values.insert(key.value().to_owned(), value.value().to_owned());
        }
        for row in read.open_table(EVENTS)?.iter()? {
            let (id, value) = row?;
            let (time, raw) = value.value();
            memory.event_ids.insert(id.value().to_owned());
            memory.events.insert((time, id.value().to_owned()), raw.to_owned());
        }
        for row in read.open_table(CLAIMS)?.iter()? {
            memory.claims.insert(row?.0.value().to_owned());
        }
        for row in read.open_table(RECORDING_STARTS)?.iter()? {
            let (id, start) = row?;
            memory.recordings.insert(id.value().to_owned(), (start.value(), HashMap::new()));
            memory.recording_order.insert((start.value(), id.value().to_owned()));
        }
        for row in read.open_table(RECORDING_FACTS)?.iter()? {
            let (key, json) = row?;
            let (id, fact) = key.value();
            if let Some((_, facts)) = memory.recordings.get_mut(id) {
                facts.insert(fact.to_owned(), json.value().to_owned());
            }
        }
        for row in read.open_table(ANALYTICS)?.iter()? {
            let (key, json) = row?;
            let (broadcast, minute) = key.value();
            let Ok(fields) = serde_json::from_str(json.value()) else { continue };
            memory.analytics.insert((broadcast.to_owned(), minute), Sums(fields));
            memory.analytics_by_minute.insert((minute, broadcast.to_owned()));
        }
        drop(read);
        tracing::info!(polls = memory.polls.len(), events = memory.events.len(), "embedded store opened: {}", path.display());

        let (writer, queue) = mpsc::unbounded_channel();
        std::thread::Builder::new().name("store-writer".into()).spawn(move || write_loop(db, queue))?;
        Ok(Self { memory: Arc::new(Mutex::new(memory)), writer })
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `write`; its acknowledgement comes once it is committed.
    fn queue(&self, write: Write) -> Result<oneshot::Receiver<std::result::Result<(), String>>> {
        let (ack, acked) = oneshot::channel();
        self.writer.send((write, ack)).map_err(|_| StoreError::new("the store's writer stopped"))?;
        Ok(acked)
    }

    async fn write(&self, write: Write) -> Result<()> {
        self.queue(write)?.await.map_err(|_| StoreError::new("the store's writer stopped"))?.map_err(StoreError)
    }
}

impl Store for Embedded {
    fn put_poll(&self, poll: PollRecord) -> BoxFuture<'_, Result<()>> {
        async move {
            let json = serde_json::to_string(&poll).map_err(StoreError::new)?;
            let id = poll.id.clone();
            self.write(Write::Poll(id.clone(), json)).await?;
            let mut memory = self.lock();
            match memory.polls.get_mut(&id) {
                Some((record, _)) => *record = poll,
                None => {
                    let tally = Tally::new(poll.options);
                    memory.polls.insert(id, (poll, tally));
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn poll(&self, id: &str) -> BoxFuture<'_, Result<Option<PollRecord>>> {
        let found = self.lock().polls.get(id).map(|(record, _)| record.clone());
        async move { Ok(found) }.boxed()
    }

    fn vote(&self, poll: &str, user: &str, signed_in: bool, option: usize, now_ms: i64) -> BoxFuture<'_, Result<Vote>> {
        let (poll, user) = (poll.to_owned(), user.to_owned());
        async move {
            {
                let mut memory = self.lock();
                let Some((record, tally)) = memory.polls.get_mut(&poll) else { return Ok(Vote::Refused(VoteError::NoSuchPoll)) };
                if !record.open_at(now_ms) {
                    return Ok(Vote::Refused(VoteError::Closed));
                }
                if record.signed_in_only && !signed_in {
                    return Ok(Vote::Refused(VoteError::SignInRequired));
                }
                // Counted now, so a second vote racing this one is refused; taken back if not stored.
                if let Err(e) = tally.vote(&user, option) {
                    return Ok(Vote::Refused(e));
                }
            }
            let stored = self.write(Write::Vote(poll.clone(), user.clone(), option as u8)).await;
            let mut memory = self.lock();
            let (_, tally) = memory.polls.get_mut(&poll).expect("polls are never removed");
            match stored {
                Ok(()) => Ok(Vote::Counted(tally.counts().to_vec())),
                Err(e) => {
                    tally.retract(&user);
                    Err(e)
                }
            }
        }
        .boxed()
    }

    fn counts(&self, poll: &str) -> BoxFuture<'_, Result<Vec<u64>>> {
        let counts = self.lock().polls.get(poll).map(|(_, tally)| tally.counts().to_vec()).unwrap_or_default();
        async move { Ok(counts) }.boxed()
    }

    fn vote_of(&self, poll: &str, user: &str) -> BoxFuture<'_, Result<Option<usize>>> {
        let vote = self.lock().polls.get(poll).and_then(|(_, tally)| tally.vote_of(user));
        async move { Ok(vote) }.boxed()
    }

    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>> {
        let value = self.lock().values.get(key).cloned();
        async move { Ok(value) }.boxed()
    }

    fn put(&self, key: &str, value: String) -> BoxFuture<'_, Result<()>> {
        let key = key.to_owned();
        async move {
            self.write(Write::Value(key.clone(), value.clone())).await?;
            self.lock().values.insert(key, value);
            Ok(())
        }
        .boxed()
    }

    fn record_event(&self, id: &str, time_ms: i64, raw: String) -> BoxFuture<'_, Result<bool>> {
        let id = id.to_owned();
        async move {
            if !self.lock().event_ids.insert(id.clone()) {
                return Ok(false);
            }
            if let Err(e) = self.write(Write::Event(id.clone(), time_ms, raw.clone())).await {
                self.lock().event_ids.remove(&id);
                return Err(e);
            }
            let oldest = {
                let mut memory = self.lock();
                memory.events.insert((time_ms, id), raw);
                if memory.events.len() > EVENTS_KEPT {
                    let ((_, oldest), _) = memory.events.pop_first().expect("not empty");
                    memory.event_ids.remove(&oldest);
                    Some(oldest)
                } else {
                    None
                }
            };
            if let Some(oldest) = oldest {
                self.write(Write::ForgetEvent(oldest)).await?;
            }
            Ok(true)
        }
        .boxed()
    }

    fn events(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        let events = self.lock().events.values().cloned().collect();
        async move { Ok(events) }.boxed()
    }

    fn lease(&self, name: &str, holder: &str, ttl: Duration) -> BoxFuture<'_, Result<bool>> {
        let mut memory = self.lock();
        let now = Instant::now();
        // Slow mode takes a lease per sender: the ones run out are forgotten now and then.
        if memory.leases.len() > LEASES_KEPT {
            memory.leases.retain(|_, (_, until)| *until > now);
        }
        let held = match memory.leases.get(name) {
            Some((other, until)) if other != holder && *until > now => false,
            _ => {
                memory.leases.insert(name.to_owned(), (holder.to_owned(), now + ttl));
                true
            }
        };
        async move { Ok(held) }.boxed()
    }

    fn put_recording_fact(&self, id: &str, started_ms: i64, fact: &str, json: String) -> BoxFuture<'_, Result<()>> {
        self.recording_fact(id.to_owned(), started_ms, fact.to_owned(), json)
    }

    fn recording_facts(&self, id: &str) -> BoxFuture<'_, Result<HashMap<String, String>>> {
        let facts = self.lock().recordings.get(id).map(|(_, facts)| facts.clone()).unwrap_or_default();
        async move { Ok(facts) }.boxed()
    }

    fn recording_ids(&self, before_ms: Option<i64>, limit: usize) -> BoxFuture<'_, Result<Vec<(i64, String)>>> {
        let page = self.lock().recording_order.iter().rev().filter(|(start, _)| before_ms.is_none_or(|before| *start < before)).take(limit).cloned().collect();
        async move { Ok(page) }.boxed()
    }

    fn add_analytics(&self, broadcast: &str, minute_ms: i64, sums: Sums, now_ms: i64) -> BoxFuture<'_, Result<()>> {
        // Added and queued for the writer under one lock, so the writer gets each minute's sums in
        // the order they grew. Should the write fail, memory stays ahead until the next one.
        let acks = {
            let mut memory = self.lock();
            let key = (broadcast.to_owned(), minute_ms);
            let total = memory.analytics.entry(key.clone()).or_default();
            total.merge(&sums);
            let json = serde_json::to_string(&total.0).expect("plain data always encodes");
            memory.analytics_by_minute.insert((minute_ms, key.0.clone()));
            let mut acks = vec![self.queue(Write::Analytics(key.0, minute_ms, json))];
            while let Some((minute, broadcast)) = memory.analytics_by_minute.first().cloned().filter(|(minute, _)| *minute < now_ms - KEPT_MS) {
                memory.analytics_by_minute.pop_first();
                memory.analytics.remove(&(broadcast.clone(), minute));
                acks.push(self.queue(Write::ForgetAnalytics(broadcast, minute)));
            }
            acks
        };
        async move {
            for ack in acks {
                ack?.await.map_err(|_| StoreError::new("the store's writer stopped"))?.map_err(StoreError)?;
            }
            Ok(())
        }
        .boxed()
    }

    fn analytics(&self, broadcast: &str) -> BoxFuture<'_, Result<Vec<(i64, Sums)>>> {
        let broadcast = broadcast.to_owned();
        let minutes =
            self.lock().analytics.range((broadcast.clone(), i64::MIN)..=(broadcast, i64::MAX)).map(|((_, minute), sums)| (*minute, sums.clone())).collect();
        async move { Ok(minutes) }.boxed()
    }

    fn analytics_broadcasts(&self) -> BoxFuture<'_, Result<Vec<(i64, String)>>> {
        let mut latest: HashMap<String, i64> = HashMap::new();
        for (minute, broadcast) in &self.lock().analytics_by_minute {
            latest.insert(broadcast.clone(), *minute);
        }
        let mut broadcasts: Vec<(i64, String)> = latest.into_iter().map(|(broadcast, minute)| (minute, broadcast)).collect();
        broadcasts.sort_unstable_by(|a, b| b.cmp(a));
        async move { Ok(broadcasts) }.boxed()
    }

    fn claim_once(&self, key: &str) -> BoxFuture<'_, Result<bool>> {
        let key = key.to_owned();
        async move {
            if !self.lock().claims.insert(key.clone()) {
                return Ok(false);
            }
            if let Err(e) = self.write(Write::Claim(key.clone())).await {
                self.lock().claims.remove(&key);
                return Err(e);
            }
            Ok(true)
        }
        .boxed()
    }
}

impl Embedded {
    fn recording_fact(&self, id: String, started_ms: i64, fact: String, json: String) -> BoxFuture<'_, Result<()>> {
        async move {
            let started = self.lock().recordings.get(&id).map_or(started_ms, |(known, _)| (*known).min(started_ms));
            self.write(Write::RecordingFact(id.clone(), fact.clone(), json.clone(), started)).await?;
            let mut memory = self.lock();
            let entry = memory.recordings.entry(id.clone()).or_insert_with(|| (started, HashMap::new()));
            let before = entry.0;
            entry.0 = before.min(started);
            entry.1.insert(fact, json);
            let now = entry.0;
            memory.recording_order.remove(&(before, id.clone()));
            memory.recording_order.insert((now, id));
            Ok(())
        }
        .boxed()
    }
}

/// Commits writes in batches: whatever is queued when a commit starts goes into it.
fn write_loop(db: Database, mut queue: mpsc::UnboundedReceiver<(Write, Ack)>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 16_384 {
            match queue.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let result = commit(&db, &batch).map_err(|e| format!("the database refused the write: {e:#}"));
        if let Err(e) = &result {
            tracing::error!("cannot store {} writes: {e}", batch.len());
        }
        for (_, ack) in batch {
            let _ = ack.send(result.clone());
        }
    }
}

fn commit(db: &Database, batch: &[(Write, Ack)]) -> anyhow::Result<()> {
    let tx = db.begin_write()?;
    {
        let mut polls = tx.open_table(POLLS)?;
        let mut votes = tx.open_table(VOTES)?;
        let mut values = tx.open_table(VALUES)?;
        let mut events = tx.open_table(EVENTS)?;
        let mut claims = tx.open_table(CLAIMS)?;
        let mut recording_facts = tx.open_table(RECORDING_FACTS)?;
        let mut recording_starts = tx.open_table(RECORDING_STARTS)?;
        let mut analytics = tx.open_table(ANALYTICS)?;
        for (write, _) in batch {
            match write {
                Write::Poll(id, record) => {
                    polls.insert(id.as_str(), record.as_str())?;
                }
                Write::Vote(poll, user, option) => {
                    votes.insert((poll.as_str(), user.as_str()), *option)?;
                }
                Write::Value(key, value) => {
                    values.insert(key.as_str(), value.as_str())?;
                }
                Write::Event(id, time, raw) => {
                    events.insert(id.as_str(), (*time, raw.as_str()))?;
                }
                Write::ForgetEvent(id) => {
                    events.remove(id.as_str())?;
                }
                Write::Claim(key) => {
                    claims.insert(key.as_str(), ())?;
                }
                Write::RecordingFact(id, fact, json, started) => {
                    recording_facts.insert((id.as_str(), fact.as_str()), json.as_str())?;
                    let earliest = recording_starts.get(id.as_str())?.map_or(*started, |known| known.value().min(*started));
                    recording_starts.insert(id.as_str(), earliest)?;
                }
                Write::Analytics(broadcast, minute, json) => {
                    analytics.insert((broadcast.as_str(), *minute), json.as_str())?;
                }
                Write::ForgetAnalytics(broadcast, minute) => {
                    analytics.remove((broadcast.as_str(), *minute))?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("ivs-site-store-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    async fn reopen(dir: &Path) -> Embedded {
        // The first instance's writer thread lets go of the file once its queue closes.
        for _ in 0..50 {
            if let Ok(store) = Embedded::open(dir) {
                return store;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Embedded::open(dir).unwrap()
    }

    #[tokio::test]
    async fn keeps_the_store_contract() {
        let dir = temp_dir("contract");
        let store = Embedded::open(&dir).unwrap();
        contract::votes_count_once_each_and_only_while_open(&store).await;
        contract::values_events_leases_and_claims(&store).await;
        contract::recordings_keep_their_facts_newest_first(&store).await;
        contract::analytics_add_up_by_minute_and_are_forgotten_after_30_days(&store).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn everything_survives_a_restart() {
        let dir = temp_dir("restart");
        {
            let store = Embedded::open(&dir).unwrap();
            store.put_poll(contract::poll("p1")).await.unwrap();
            store.vote("p1", "ann", false, 1, contract::NOW).await.unwrap();
            store.put("current", "{}".into()).await.unwrap();
            store.record_event("e1", 5, "raw".into()).await.unwrap();
            store.claim_once("final:p1").await.unwrap();
            store.put_recording_fact("r1", 7, "end", "{}".into()).await.unwrap();
            let mut sums = Sums::default();
            sums.add_vote();
            store.add_analytics("st-1", 60_000, sums.clone(), 60_000).await.unwrap();
            store.add_analytics("st-1", 60_000, sums, 60_000).await.unwrap();
        }
        let store = reopen(&dir).await;
        assert_eq!(store.counts("p1").await.unwrap(), [0, 1, 0]);
        assert_eq!(store.vote("p1", "ann", false, 0, contract::NOW).await.unwrap(), Vote::Refused(VoteError::AlreadyVoted { option: 1 }));
        assert_eq!(store.get("current").await.unwrap().as_deref(), Some("{}"));
        assert!(!store.record_event("e1", 5, "raw".into()).await.unwrap());
        assert!(!store.claim_once("final:p1").await.unwrap());
        assert_eq!(store.recording_ids(None, 5).await.unwrap(), vec![(7, "r1".to_owned())]);
        assert_eq!(store.recording_facts("r1").await.unwrap().get("end").map(String::as_str), Some("{}"));
        assert_eq!(store.analytics("st-1").await.unwrap()[0].1.point(60_000).votes, 2);
        let _ = std::fs::remove_dir_all(dir);
    }
}
