//! Live polls, counted on the server: the polls the channel's timed metadata opened, one vote per
//! viewer while a poll is open, tallies pushed to every viewer through the chat room at most once
//! a second per poll, and the current state for viewers who arrive late.
//!
//! Durability: a vote is acknowledged only after it is committed to the embedded database
//! (`polls.redb` in the data directory). Votes that arrive together are committed together by one
//! writer thread (group commit), so durability does not cost throughput.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use ivs_proto::overlay::{parse_cue, Overlay};
use ivs_proto::tally::{Tally, TallyUpdate, VoteError, EVENT_POLL_TALLY};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::chat::{Chat, DEFAULT_ROOM_ARN};

/// Poll id → the poll's record (JSON).
const POLLS: TableDefinition<&str, &str> = TableDefinition::new("polls");
/// (poll id, user id) → option.
const VOTES: TableDefinition<(&str, &str), u8> = TableDefinition::new("votes");

/// Votes are taken this long after a poll's countdown ends: a viewer watches a little behind
/// live, so its countdown ends a little later than the server's.
pub const GRACE: Duration = Duration::from_secs(5);
/// The most often a poll's tallies are pushed.
const PUSH_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Serialize, Deserialize)]
struct PollRecord {
    cue: String,
    opened_ms: i64,
    /// Set when a `poll-close` cue ended the poll early.
    #[serde(default)]
    closed_ms: Option<i64>,
}

struct PollEntry {
    record: PollRecord,
    duration: Duration,
    tally: Tally,
    /// Votes since the last push.
    dirty: bool,
    last_push: Option<Instant>,
    final_pushed: bool,
}

impl PollEntry {
    fn closes_ms(&self) -> i64 {
        let scheduled = self.record.opened_ms + self.duration.as_millis() as i64;
        self.record.closed_ms.map_or(scheduled, |closed| closed.min(scheduled))
    }

    fn open_at(&self, now_ms: i64) -> bool {
        now_ms <= self.closes_ms() + GRACE.as_millis() as i64
    }
}

#[derive(Default)]
struct Inner {
    polls: HashMap<String, PollEntry>,
    current_poll: Option<String>,
    current_product: Option<String>,
    current_quiz: Option<(String, i64)>,
}

enum Write {
    Poll { id: String, record: String },
    Vote { poll: String, user: String, option: u8 },
}

/// The poll service.
#[derive(Clone)]
pub struct Polls {
    inner: Arc<Mutex<Inner>>,
    writer: mpsc::UnboundedSender<(Write, oneshot::Sender<Result<(), String>>)>,
    chat: Chat,
}

pub use ivs_proto::tally::{CueState, OverlayState as State, PollState, TimedCue};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Polls {
    /// Opens (or creates) `polls.redb` in `data_dir`, restores every poll and vote, and starts the
    /// writer thread and the tally pusher.
    pub fn open(data_dir: &Path, chat: Chat) -> anyhow::Result<Self> {
        let path = data_dir.join("polls.redb");
        let db = Database::create(&path).with_context(|| format!("cannot open the vote database {}", path.display()))?;
        let tx = db.begin_write()?;
        tx.open_table(POLLS)?;
        tx.open_table(VOTES)?;
        tx.commit()?;

        let mut inner = Inner::default();
        let read = db.begin_read()?;
        let mut latest: Option<(i64, String)> = None;
        for row in read.open_table(POLLS)?.iter()? {
            let (id, record) = row?;
            let Ok(record) = serde_json::from_str::<PollRecord>(record.value()) else { continue };
            let Ok(Overlay::Poll(poll)) = parse_cue(&record.cue) else { continue };
            if latest.as_ref().is_none_or(|(at, _)| record.opened_ms > *at) {
                latest = Some((record.opened_ms, id.value().to_owned()));
            }
            inner.polls.insert(id.value().to_owned(), entry(record, poll.duration_secs, poll.options.len()));
        }
        let mut restored = 0;
        for row in read.open_table(VOTES)?.iter()? {
            let (key, option) = row?;
            let (poll, user) = key.value();
            if let Some(entry) = inner.polls.get_mut(poll) {
                if entry.tally.vote(user, usize::from(option.value())).is_ok() {
                    restored += 1;
                }
            }
        }
        drop(read);
        inner.current_poll = latest.map(|(_, id)| id);
        if restored > 0 {
            tracing::info!(polls = inner.polls.len(), votes = restored, "restored polls and votes");
        }

        let (writer, queue) = mpsc::unbounded_channel();
        std::thread::Builder::new().name("vote-writer".into()).spawn(move || write_loop(db, queue))?;
        let polls = Self { inner: Arc::new(Mutex::new(inner)), writer, chat };
        // The pusher holds no strong reference: when the service is dropped, the writer's queue
        // closes, its thread ends and the database is released.
        let (inner, chat) = (Arc::downgrade(&polls.inner), polls.chat.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                let Some(inner) = inner.upgrade() else { break };
                push_due(&inner, &chat);
            }
        });
        Ok(polls)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn write(&self, write: Write) -> Result<(), String> {
        let (ack, acked) = oneshot::channel();
        self.writer.send((write, ack)).map_err(|_| "the vote writer stopped".to_owned())?;
        acked.await.map_err(|_| "the vote writer stopped".to_owned())?
    }

    /// Follows a cue that entered the stream: a poll opens, a product shows, a clear clears.
    pub async fn on_cue(&self, text: &str) {
        match parse_cue(text) {
            Ok(Overlay::Poll(poll)) => {
                let id = poll.id.clone();
                let record = {
                    let mut inner = self.lock();
                    inner.current_poll = Some(id.clone());
                    if inner.polls.contains_key(&id) {
                        return; // the same poll again: its votes stand
                    }
                    let record = PollRecord { cue: text.to_owned(), opened_ms: now_ms(), closed_ms: None };
                    let json = serde_json::to_string(&record).expect("plain data always encodes");
                    inner.polls.insert(id.clone(), entry(record, poll.duration_secs, poll.options.len()));
                    json
                };
                if let Err(e) = self.write(Write::Poll { id, record }).await {
                    tracing::error!("cannot store a poll: {e}");
                }
            }
            Ok(Overlay::PollClose { id }) => {
                let record = {
                    let mut inner = self.lock();
                    let Some(entry) = inner.polls.get_mut(&id) else { return };
                    if entry.record.closed_ms.is_some() {
                        return;
                    }
                    entry.record.closed_ms = Some(now_ms());
                    serde_json::to_string(&entry.record).expect("plain data always encodes")
                };
                if let Err(e) = self.write(Write::Poll { id, record }).await {
                    tracing::error!("cannot store a poll's close: {e}");
                }
            }
            Ok(Overlay::Product(_)) => self.lock().current_product = Some(text.to_owned()),
            Ok(Overlay::Quiz(_)) => self.lock().current_quiz = Some((text.to_owned(), now_ms())),
            Ok(Overlay::Notice(_)) => {}
            Ok(Overlay::Clear) => {
                let mut inner = self.lock();
                inner.current_poll = None;
                inner.current_product = None;
                inner.current_quiz = None;
            }
            Err(_) => {}
        }
    }

    /// Counts `user`'s vote; returns the poll's counts once the vote is stored.
    pub async fn vote(&self, poll: &str, user: &str, option: usize) -> Result<Vec<u64>, VoteOutcome> {
        {
            let mut inner = self.lock();
            let entry = inner.polls.get_mut(poll).ok_or(VoteOutcome::Refused(VoteError::NoSuchPoll))?;
            if !entry.open_at(now_ms()) {
                return Err(VoteOutcome::Refused(VoteError::Closed));
            }
            // Counted now, so a second vote racing this one is refused; taken back if not stored.
            entry.tally.vote(user, option).map_err(VoteOutcome::Refused)?;
        }
        let stored = self.write(Write::Vote { poll: poll.to_owned(), user: user.to_owned(), option: option as u8 }).await;
        let mut inner = self.lock();
        let entry = inner.polls.get_mut(poll).expect("polls are never removed");
        match stored {
            Ok(()) => {
                entry.dirty = true;
                Ok(entry.tally.counts().to_vec())
            }
            Err(e) => {
                entry.tally.retract(user);
                Err(VoteOutcome::NotStored(e))
            }
        }
    }

    /// The current overlays, as `user` should see them.
    pub fn state(&self, user: Option<&str>) -> State {
        let inner = self.lock();
        let now = now_ms();
        let poll = inner.current_poll.as_ref().and_then(|id| inner.polls.get(id).map(|e| (id, e))).map(|(id, entry)| PollState {
            cue: entry.record.cue.clone(),
            id: id.clone(),
            elapsed_secs: (now - entry.record.opened_ms).max(0) as f64 / 1000.0,
            counts: entry.tally.counts().to_vec(),
            closed: !entry.open_at(now),
            my_vote: user.and_then(|u| entry.tally.vote_of(u)),
        });
        State {
            poll,
            product: inner.current_product.clone().map(|cue| CueState { cue }),
            quiz: inner.current_quiz.clone().map(|(cue, at)| TimedCue { cue, elapsed_secs: (now - at).max(0) as f64 / 1000.0 }),
            stream: None,
        }
    }

}

/// Pushes the tallies of polls with new votes (at most once a second each), and each poll's
/// final tallies once it closes.
fn push_due(inner: &Mutex<Inner>, chat: &Chat) {
    let now = now_ms();
    let updates: Vec<TallyUpdate> = {
        let mut inner = inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner
            .polls
            .iter_mut()
            .filter_map(|(id, entry)| {
                let closing = !entry.open_at(now) && !entry.final_pushed;
                let due = entry.dirty && entry.last_push.is_none_or(|at| at.elapsed() >= PUSH_INTERVAL);
                if !(closing || due) {
                    return None;
                }
                entry.dirty = false;
                entry.last_push = Some(Instant::now());
                entry.final_pushed |= closing;
                Some(TallyUpdate { poll_id: id.clone(), counts: entry.tally.counts().to_vec(), closed: closing })
            })
            .collect()
    };
    for update in updates {
        if let Err(e) = chat.send_event(DEFAULT_ROOM_ARN, EVENT_POLL_TALLY, update.to_attributes(), None) {
            tracing::warn!("cannot push tallies: {e:?}");
        }
    }
}

/// Why a vote did not count.
#[derive(Debug)]
pub enum VoteOutcome {
    Refused(VoteError),
    NotStored(String),
}

fn entry(record: PollRecord, duration_secs: f64, options: usize) -> PollEntry {
    PollEntry {
        record,
        duration: Duration::from_secs_f64(duration_secs),
        tally: Tally::new(options),
        dirty: false,
        last_push: None,
        // A poll restored after its end needs no final push again.
        final_pushed: false,
    }
}

/// Commits writes in batches: whatever is queued when a commit starts goes into it.
fn write_loop(db: Database, mut queue: mpsc::UnboundedReceiver<(Write, oneshot::Sender<Result<(), String>>)>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 8192 {
            match queue.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let result = commit(&db, &batch).map_err(|e| format!("{e:#}"));
        if let Err(e) = &result {
            tracing::error!("cannot store {} writes: {e}", batch.len());
        }
        for (_, ack) in batch {
            let _ = ack.send(result.clone());
        }
    }
}

fn commit(db: &Database, batch: &[(Write, oneshot::Sender<Result<(), String>>)]) -> anyhow::Result<()> {
    let tx = db.begin_write()?;
    {
        let mut polls = tx.open_table(POLLS)?;
        let mut votes = tx.open_table(VOTES)?;
        for (write, _) in batch {
            match write {
                Write::Poll { id, record } => {
                    polls.insert(id.as_str(), record.as_str())?;
                }
                Write::Vote { poll, user, option } => {
                    votes.insert((poll.as_str(), user.as_str()), *option)?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ChatOptions;

    const CUE: &str = r#"{"type":"poll","id":"p1","question":"Tea or coffee?","options":["Tea","Coffee"],"duration":60}"#;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ivs-polls-{name}-{}-{}", std::process::id(), now_ms()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn votes_count_once_and_survive_a_restart() {
        let dir = temp_dir("restart");
        {
            let polls = Polls::open(&dir, Chat::new(ChatOptions::default())).unwrap();
            polls.on_cue(CUE).await;
            assert_eq!(polls.vote("p1", "ann", 0).await.unwrap(), [1, 0]);
            assert_eq!(polls.vote("p1", "bob", 1).await.unwrap(), [1, 1]);
            assert!(matches!(polls.vote("p1", "ann", 1).await, Err(VoteOutcome::Refused(VoteError::AlreadyVoted { option: 0 }))));
            assert!(matches!(polls.vote("p1", "cat", 2).await, Err(VoteOutcome::Refused(VoteError::NoSuchOption))));
            assert!(matches!(polls.vote("nope", "cat", 0).await, Err(VoteOutcome::Refused(VoteError::NoSuchPoll))));
        }
        // The first instance's writer thread lets go of the file once its queue closes.
        let mut reopened = Polls::open(&dir, Chat::new(ChatOptions::default()));
        for _ in 0..50 {
            if reopened.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            reopened = Polls::open(&dir, Chat::new(ChatOptions::default()));
        }
        let polls = reopened.unwrap();
        let state = polls.state(Some("bob"));
        let poll = state.poll.expect("the poll is current again");
        assert_eq!((poll.counts, poll.my_vote, poll.closed), (vec![1, 1], Some(1), false));
        assert!(matches!(polls.vote("p1", "bob", 0).await, Err(VoteOutcome::Refused(VoteError::AlreadyVoted { .. }))));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_closed_poll_takes_no_votes_and_clear_clears() {
        let dir = temp_dir("closed");
        let polls = Polls::open(&dir, Chat::new(ChatOptions::default())).unwrap();
        polls.on_cue(r#"{"type":"poll","id":"short","question":"Q?","options":["a","b"],"duration":1}"#).await;
        polls.lock().polls.get_mut("short").unwrap().record.opened_ms -= 10_000;
        assert!(matches!(polls.vote("short", "ann", 0).await, Err(VoteOutcome::Refused(VoteError::Closed))));
        assert!(polls.state(None).poll.unwrap().closed);
        polls.on_cue(r#"{"type":"product","title":"Mug","price":"1","imageUrl":"https://a.example/i.png","url":"https://a.example"}"#).await;
        assert!(polls.state(None).product.is_some());
        polls.on_cue(r#"{"type":"poll","id":"long","question":"Q?","options":["a","b"],"duration":600}"#).await;
        polls.on_cue(r#"{"type":"poll-close","id":"long"}"#).await;
        polls.lock().polls.get_mut("long").unwrap().record.closed_ms = Some(now_ms() - GRACE.as_millis() as i64 - 1);
        assert!(matches!(polls.vote("long", "ann", 0).await, Err(VoteOutcome::Refused(VoteError::Closed))), "closed early by a cue");
        polls.on_cue(r#"{"type":"clear"}"#).await;
        let state = polls.state(None);
        assert!(state.poll.is_none() && state.product.is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
