//! Overlays: what producers publish, what is on screen, and the polls' votes and tallies.
//!
//! A producer publishes through the server (the HTTP API behind an operator key, or the CLI):
//! the server checks the overlay as the viewer will, gives a poll an id that never repeats,
//! records it, and puts it into the stream with `PutMetadata`. So the server knows every poll it
//! counts; a poll sent straight to `PutMetadata` still shows, but takes no votes here.
//!
//! What is on screen belongs to one broadcast: overlays published during an earlier stream
//! session are not shown to viewers of a later one.
//!
//! A site with a real-time stage publishes on it through the same API ([`Venue::Stage`]): a stage
//! has no timed metadata, so the overlay goes to viewers as the room event `app:stage-overlay`,
//! and the stage's session plays the part of the broadcast.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ivs_proto::overlay::{parse_cue, Overlay};
use ivs_proto::site::PublishAnswer;
use ivs_proto::stage::EVENT_STAGE_OVERLAY;
use ivs_proto::tally::{CueState, OverlayState, PollState, TallyUpdate, TimedCue, EVENT_POLL_TALLY};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::ivs::{Ivs, IvsError};
use crate::room::Room;
use crate::store::{keys, PollRecord, Store, StoreError, Vote};

/// The overlays on screen now, kept in the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Current {
    /// The broadcast they belong to.
    stream_id: Option<String>,
    poll: Option<String>,
    product: Option<String>,
    /// The quiz's cue and when it was published (ms).
    quiz: Option<(String, i64)>,
}

/// Where an overlay is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Venue {
    /// Over the channel's video, as timed metadata (`PutMetadata`).
    #[default]
    Channel,
    /// Over the site's real-time stage, as a room event.
    Stage,
}

impl Venue {
    /// As the `on` query parameter says it.
    pub fn name(self) -> &'static str {
        match self {
            Venue::Channel => "channel",
            Venue::Stage => "stage",
        }
    }

    /// Where what is on screen is kept.
    fn key(self) -> &'static str {
        match self {
            Venue::Channel => keys::CURRENT,
            Venue::Stage => keys::CURRENT_STAGE,
        }
    }
}

/// The overlay as it enters the stream (a poll given an id), read as viewers read it, and whether
/// only signed-in users may vote (the server's own policy, not part of what the stream carries).
fn prepare(mut overlay: serde_json::Value, now: i64) -> Result<(String, Overlay, bool), PublishError> {
    let object = overlay.as_object_mut().ok_or_else(|| PublishError::Invalid("send a JSON object with a \"type\"".into()))?;
    let is_poll = object.get("type").and_then(|t| t.as_str()) == Some("poll");
    let signed_in_only = match object.remove("signedInOnly") {
        None => false,
        Some(serde_json::Value::Bool(b)) => b && is_poll,
        Some(_) => return Err(PublishError::Invalid("\"signedInOnly\" must be true or false".into())),
    };
    if is_poll {
        object.insert("id".into(), new_poll_id(now).into());
    }
    let metadata = overlay.to_string();
    let parsed = parse_cue(&metadata).map_err(|e| PublishError::Invalid(e.to_string()))?;
    Ok((metadata, parsed, signed_in_only))
}

/// Checks `overlay` as publishing would, without publishing it (the run of show's overlays).
pub fn check(overlay: &serde_json::Value) -> Result<(), PublishError> {
    prepare(overlay.clone(), now_ms()).map(|_| ())
}

/// Why an overlay was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the overlay is not valid: {0}")]
    Invalid(String),
    #[error("the channel is not live; overlays are shown only during a broadcast")]
    Offline,
    #[error("this site has no stage; name one in [stage] of the configuration")]
    NoStage,
    #[error("nobody is on the stage; overlays are shown only while someone publishes there")]
    StageIdle,
    #[error("the overlay is too long to travel to a stage's viewers (a room event carries at most 1 KB)")]
    TooLongForStage,
    #[error("too many overlays at once (IVS takes 5 a second per channel); try again in a moment")]
    Throttled,
    #[error("IVS refused the overlay: {0}")]
    Aws(String),
    #[error("the overlay could not be recorded: {0}")]
    Store(#[from] StoreError),
}

/// The overlay service.
#[derive(Clone)]
pub struct Overlays {
    store: Arc<dyn Store>,
    ivs: Arc<dyn Ivs>,
    channel_arn: String,
    stage_arn: Option<String>,
    room: Room,
}

/// A poll the tally pusher follows.
#[derive(Default)]
struct Watched {
    /// The counts last pushed, and when.
    pushed: Vec<u64>,
    at: Option<Instant>,
    /// This instance claimed the final tally and has not sent it yet.
    final_owed: bool,
}

/// The room event's attributes for an overlay on the stage: a room event carries 1 KB of
/// attributes in all, names included (timed metadata carries 1 KB too, so only the last few bytes
/// of the largest cue do not fit).
fn stage_attributes(metadata: &str) -> Result<HashMap<String, String>, PublishError> {
    const NAME: &str = "cue";
    if NAME.len() + metadata.len() > 1024 {
        return Err(PublishError::TooLongForStage);
    }
    Ok(HashMap::from([(NAME.to_owned(), metadata.to_owned())]))
}

/// A poll id that never repeats: the time, then randomness.
fn new_poll_id(now_ms: i64) -> String {
    // 64 random bits: polls opened in the same millisecond (on several instances) never share an id.
    format!("poll-{now_ms:x}-{}", hex::encode(rand::random::<[u8; 8]>()))
}

impl Overlays {
    pub fn new(store: Arc<dyn Store>, ivs: Arc<dyn Ivs>, channel_arn: String, stage_arn: Option<String>, room: Room) -> Self {
        Self { store, ivs, channel_arn, stage_arn, room }
    }

    /// Publishes `overlay` (a JSON object, as `docs/metadata.md` describes) into the stream, or
    /// onto the stage.
    pub async fn publish(&self, overlay: serde_json::Value, venue: Venue) -> Result<PublishAnswer, PublishError> {
        let now = now_ms();
        let (metadata, parsed, signed_in_only) = prepare(overlay, now)?;
        let stream_id = self.live_broadcast(venue).await?;
        let id = match &parsed {
            Overlay::Poll(poll) => {
                let record = PollRecord {
                    id: poll.id.clone(),
                    cue: metadata.clone(),
                    options: poll.options.len(),
                    opened_ms: now,
                    duration_ms: (poll.duration_secs * 1000.0) as i64,
                    closed_ms: None,
                    stream_id: Some(stream_id.clone()),
                    signed_in_only,
                };
                // Recorded before it enters the stream, so the first viewer's vote finds it.
                self.store.put_poll(record).await?;
                Some(poll.id.clone())
            }
            Overlay::Quiz(quiz) => Some(quiz.id.clone()),
            Overlay::PollClose { id } => Some(id.clone()),
            _ => None,
        };
        match venue {
            Venue::Channel => self.put_metadata(&metadata).await?,
            Venue::Stage => self.send_to_stage(&metadata).await?,
        }
        if let Overlay::PollClose { id } = &parsed {
            if let Some(record) = self.store.poll(id).await? {
                if record.closed_ms.is_none() {
                    self.store.put_poll(PollRecord { closed_ms: Some(now), ..record }).await?;
                }
            }
        }
        self.follow(venue, &parsed, &metadata, &stream_id, now).await?;
        Ok(PublishAnswer { id, metadata })
    }

    /// The broadcast now — the channel's stream (`GetStream`) or the stage's session
    /// (`GetStage`) — or why there is none.
    async fn live_broadcast(&self, venue: Venue) -> Result<String, PublishError> {
        match venue {
            Venue::Channel => match self.ivs.get_stream(&self.channel_arn).await {
                Ok(stream) => Ok(stream.stream_id),
                Err(IvsError::NotBroadcasting) => Err(PublishError::Offline),
                Err(e) => Err(PublishError::Aws(e.to_string())),
            },
            Venue::Stage => {
                let arn = self.stage_arn.as_deref().ok_or(PublishError::NoStage)?;
                let stage = self.ivs.get_stage(arn).await.map_err(|e| PublishError::Aws(e.to_string()))?;
                stage.active_session_id.ok_or(PublishError::StageIdle)
            }
        }
    }

    /// Sends an overlay to the stage's viewers through the room.
    async fn send_to_stage(&self, metadata: &str) -> Result<(), PublishError> {
        self.room.push(EVENT_STAGE_OVERLAY, stage_attributes(metadata)?).await.map_err(|e| PublishError::Aws(e.to_string()))
    }

    async fn put_metadata(&self, metadata: &str) -> Result<(), PublishError> {
        self.ivs.put_metadata(&self.channel_arn, metadata).await.map_err(|e| match e {
            IvsError::Throttled => PublishError::Throttled,
            IvsError::NotBroadcasting => PublishError::Offline,
            IvsError::Other(e) => PublishError::Aws(e),
        })
    }

    /// Updates what is on screen after `overlay` entered the stream.
    async fn follow(&self, venue: Venue, overlay: &Overlay, metadata: &str, stream_id: &str, now: i64) -> Result<(), StoreError> {
        let mut current = self.current(venue).await?;
        if current.stream_id.as_deref() != Some(stream_id) {
            current = Current { stream_id: Some(stream_id.to_owned()), ..Current::default() };
        }
        match overlay {
            Overlay::Poll(poll) => current.poll = Some(poll.id.clone()),
            Overlay::Product(_) => current.product = Some(metadata.to_owned()),
            Overlay::Quiz(_) => current.quiz = Some((metadata.to_owned(), now)),
            Overlay::Clear => current = Current { stream_id: current.stream_id, ..Current::default() },
            Overlay::PollClose { .. } | Overlay::Notice(_) => {}
        }
        self.store.put(venue.key(), serde_json::to_string(&current).expect("plain data always encodes")).await
    }

    async fn current(&self, venue: Venue) -> Result<Current, StoreError> {
        Ok(self.store.get(venue.key()).await?.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default())
    }

    /// Counts `user`'s vote (`signed_in`: one of the site's users), once it is stored.
    pub async fn vote(&self, poll: &str, user: &str, signed_in: bool, option: usize) -> Result<Vote, StoreError> {
        self.store.vote(poll, user, signed_in, option, now_ms()).await
    }

    /// Poll `id`'s counts, whether it has closed, and whether they are final (votes in its
    /// grace after closing still count) — `None`: no such poll.
    pub async fn result(&self, id: &str) -> Result<Option<(Vec<u64>, bool, bool)>, StoreError> {
        let Some(record) = self.store.poll(id).await? else { return Ok(None) };
        let now = now_ms();
        Ok(Some((self.store.counts(id).await?, now >= record.closes_ms(), !record.open_at(now))))
    }

    /// What is on screen for a viewer of broadcast `stream_id` (`None`: not known) at `venue`,
    /// as `user` should see it.
    pub async fn state(&self, venue: Venue, stream_id: Option<&str>, user: Option<&str>) -> Result<OverlayState, StoreError> {
        let current = self.current(venue).await?;
        if stream_id.is_some() && current.stream_id.as_deref() != stream_id {
            return Ok(OverlayState::default());
        }
        let now = now_ms();
        let elapsed = |at: i64| (now - at).max(0) as f64 / 1000.0;
        let poll = match &current.poll {
            Some(id) => match self.store.poll(id).await? {
                Some(record) => {
                    let counts = self.store.counts(id).await?;
                    let my_vote = match user {
                        Some(user) => self.store.vote_of(id, user).await?,
                        None => None,
                    };
                    let closed = !record.open_at(now);
                    Some(PollState { elapsed_secs: elapsed(record.opened_ms), cue: record.cue, id: record.id, counts, closed, my_vote })
                }
                None => None,
            },
            None => None,
        };
        Ok(OverlayState {
            poll,
            product: current.product.map(|cue| CueState { cue }),
            quiz: current.quiz.map(|(cue, at)| TimedCue { cue, elapsed_secs: elapsed(at) }),
            stream: None,
        })
    }

    /// Pushes poll tallies to every viewer, as the chat event `app:poll-tally`: a poll's counts
    /// when they changed (at most once a second), and its final counts once it closes. Every
    /// instance runs this; only the holder of the `tally` lease pushes, and a final tally is
    /// pushed once by whichever instance claims it.
    pub async fn push_tallies(self, instance: String) {
        const TICK: Duration = Duration::from_millis(200);
        const INTERVAL: Duration = Duration::from_secs(1);
        let mut watched: HashMap<String, Watched> = HashMap::new();
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            match self.store.lease("tally", &instance, Duration::from_secs(3)).await {
                Ok(true) => {}
                Ok(false) => {
                    watched.clear();
                    continue;
                }
                Err(e) => {
                    tracing::warn!("tallies: {e}");
                    continue;
                }
            }
            for venue in [Venue::Channel, Venue::Stage] {
                if let Ok(Current { poll: Some(id), .. }) = self.current(venue).await {
                    watched.entry(id).or_default();
                }
            }
            let now = now_ms();
            let mut done = Vec::new();
            for (id, poll) in watched.iter_mut() {
                let (record, counts) = match (self.store.poll(id).await, self.store.counts(id).await) {
                    (Ok(Some(record)), Ok(counts)) => (record, counts),
                    (Ok(None), _) => {
                        done.push(id.clone());
                        continue;
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!("tallies: {e}");
                        continue;
                    }
                };
                if !record.open_at(now) {
                    // Claimed once across instances; a claimed tally that failed to send is sent
                    // again on the next tick.
                    poll.final_owed |= self.store.claim_once(&format!("final:{id}")).await.unwrap_or(false);
                    if !poll.final_owed || self.send(TallyUpdate { poll_id: id.clone(), counts, closed: true }).await {
                        done.push(id.clone());
                    }
                } else if poll.pushed != counts && poll.at.is_none_or(|at| at.elapsed() >= INTERVAL) {
                    let update = TallyUpdate { poll_id: id.clone(), counts: counts.clone(), closed: false };
                    if counts.iter().all(|&c| c == 0) || self.send(update).await {
                        poll.pushed = counts;
                        poll.at = Some(Instant::now());
                    }
                }
            }
            for id in done {
                watched.remove(&id);
            }
        }
    }

    /// Sends a tally to the room; whether it went.
    async fn send(&self, update: TallyUpdate) -> bool {
        match self.room.push(EVENT_POLL_TALLY, update.to_attributes()).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(poll = %update.poll_id, "cannot push tallies: {e}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_overlay_fits_a_room_event() {
        assert_eq!(stage_attributes(&"x".repeat(1021)).unwrap()["cue"].len(), 1021);
        assert!(matches!(stage_attributes(&"x".repeat(1022)), Err(PublishError::TooLongForStage)));
    }

    #[test]
    fn poll_ids_never_repeat() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_poll_id(1_800_000_000_000)).collect();
        assert_eq!(ids.len(), 1000);
        assert!(new_poll_id(1) < new_poll_id(2), "later polls sort later");
    }
}
