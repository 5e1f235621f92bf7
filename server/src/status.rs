//! The stream's status for viewers: live or not and its health, from IVS's EventBridge events
//! (taken in at `POST /api/events`, as an API destination delivers them), and the viewer count,
//! which one instance reads with `GetStream` every few seconds — never once per viewer. The
//! status reaches viewers as the chat event `app:stream-status` (`SendEvent`).
//!
//! Events are kept by id and the state is a fold over all of them (`ivs_proto::stream_events`),
//! so a duplicate, late or out-of-order event cannot put it wrong. Where no events arrive (no
//! EventBridge rule yet), `GetStream` alone tells whether the channel is live.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ivs_proto::stream_events::{fold, EventError, Session, StreamEvent};
use ivs_proto::stream_status::{Health, StreamStatus, EVENT_STREAM_STATUS};
use ivs_proto::studio::{alerts, timeline, Overview, ViewerSeries};
use ivs_proto::tally::OverlayState;
use serde::{Deserialize, Serialize};

use crate::ivs::{Ivs, IvsError};
use crate::room::Room;
use crate::store::{keys, Store, StoreError};

/// What `GetStream` said last, shared through the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Polled {
    live: bool,
    healthy: bool,
    viewer_count: u64,
    /// The live broadcast's id, as `GetStream` gave it.
    #[serde(default)]
    stream_id: Option<String>,
}

#[derive(Default)]
struct Snapshot {
    session: Option<Session>,
    /// Every event kept, as the fold read them.
    events: Vec<StreamEvent>,
    /// The viewer count as this instance saw it, for the studio.
    viewers: ViewerSeries,
    polled: Polled,
    pushed: Option<(StreamStatus, Instant)>,
}

/// What happened to an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Intake {
    Taken,
    Duplicate,
    /// Another channel's, or a kind the server does not act on.
    Ignored(String),
}

/// Why an event could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{0}")]
    Bad(EventError),
    #[error("the event could not be stored: {0}")]
    Store(#[from] StoreError),
}

/// The stream's status service.
#[derive(Clone)]
pub struct Status {
    store: Arc<dyn Store>,
    ivs: Arc<dyn Ivs>,
    channel_arn: String,
    room: Room,
    snapshot: Arc<Mutex<Snapshot>>,
}

impl Status {
    pub fn new(store: Arc<dyn Store>, ivs: Arc<dyn Ivs>, channel_arn: String, room: Room) -> Self {
        Self { store, ivs, channel_arn, room, snapshot: Arc::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.snapshot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in one event as EventBridge delivers it; a new one that changes the status is
    /// pushed to viewers at once.
    pub async fn intake(&self, body: &[u8]) -> Result<Intake, IntakeError> {
        let event = match StreamEvent::parse(body) {
            Ok(event) => event,
            Err(EventError::Ignored(what)) => return Ok(Intake::Ignored(what)),
            Err(e) => return Err(IntakeError::Bad(e)),
        };
        if event.channel_arn != self.channel_arn {
            return Ok(Intake::Ignored(format!("an event of another channel ({})", event.channel_arn)));
        }
        let raw = String::from_utf8_lossy(body).into_owned();
        if !self.store.record_event(&event.id, event.time_ms, raw).await? {
            return Ok(Intake::Duplicate);
        }
        tracing::info!(id = %event.id, kind = ?event.kind, stream = ?event.stream_id, "IVS event");
        self.refresh().await?;
        self.push(false).await;
        Ok(Intake::Taken)
    }

    /// Reads the events and the last `GetStream` from the store (other instances take events too).
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let events: Vec<StreamEvent> = self.store.events().await?.iter().filter_map(|raw| StreamEvent::parse(raw.as_bytes()).ok()).collect();
        let session = fold(&events, &self.channel_arn);
        let polled = self.store.get(keys::VIEWERS).await?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
        // The series the count's poller keeps: the same chart on every instance and after a restart.
        let series: Option<ViewerSeries> = self.store.get(keys::VIEWER_SERIES).await?.and_then(|v| serde_json::from_str(&v).ok());
        {
            let mut snapshot = self.lock();
            snapshot.session = session;
            snapshot.events = events;
            snapshot.polled = polled;
            if let Some(series) = series {
                snapshot.viewers = series;
            }
        }
        self.note_viewers();
        Ok(())
    }

    /// Adds the viewer count now to the studio's series (so its chart ends where the status is).
    fn note_viewers(&self) {
        let count = self.current().viewer_count;
        self.lock().viewers.record(crate::clock::now_ms(), count);
    }

    /// The studio's live room at `now_ms`: the status, the broadcast's events and alerts, the
    /// viewer count over the last hour, and `on_screen`.
    pub fn overview(&self, on_screen: OverlayState, now_ms: i64) -> Overview {
        let status = self.current();
        let snapshot = self.lock();
        let moments = snapshot.session.as_ref().map(|session| timeline(&snapshot.events, &self.channel_arn, session)).unwrap_or_default();
        let started_ms = snapshot.session.as_ref().map(|s| s.started_ms);
        Overview {
            status,
            stream_id: snapshot.session.as_ref().map(|s| s.stream_id.clone()),
            started_ms,
            alerts: alerts(&moments, status.live, now_ms),
            timeline: moments,
            on_screen,
            viewers: snapshot.viewers.since(now_ms - 3_600_000),
            now_ms,
        }
    }

    /// The status now.
    pub fn current(&self) -> StreamStatus {
        let snapshot = self.lock();
        let polled = &snapshot.polled;
        match &snapshot.session {
            Some(session) => StreamStatus { live: session.live, health: session.health, viewer_count: if session.live { polled.viewer_count } else { 0 } },
            None if polled.live => {
                StreamStatus { live: true, health: if polled.healthy { Health::Healthy } else { Health::Starving }, viewer_count: polled.viewer_count }
            }
            None => StreamStatus { live: false, health: Health::Unknown, viewer_count: 0 },
        }
    }

    /// The broadcast the events tell of, if any.
    pub fn stream_id(&self) -> Option<String> {
        self.lock().session.as_ref().map(|s| s.stream_id.clone())
    }

    /// The broadcast live now, if one is: the events' session, else what `GetStream` said.
    pub fn live_stream_id(&self) -> Option<String> {
        let snapshot = self.lock();
        match &snapshot.session {
            Some(session) if session.live => Some(session.stream_id.clone()),
            Some(_) => None,
            None => snapshot.polled.stream_id.clone().filter(|_| snapshot.polled.live),
        }
    }

    /// Sends the status to the room when it changed, or `always`.
    async fn push(&self, always: bool) {
        let status = self.current();
        {
            let snapshot = self.lock();
            if !always && snapshot.pushed.as_ref().is_some_and(|(pushed, _)| *pushed == status) {
                return;
            }
        }
        match self.room.push(EVENT_STREAM_STATUS, status.to_attributes()).await {
            Ok(()) => self.lock().pushed = Some((status, Instant::now())),
            Err(e) => tracing::warn!("cannot push the stream status: {e}"),
        }
    }

    /// Every instance refreshes each second; the holder of the `status` lease reads the viewer
    /// count every `every` and pushes the status when it changes and every ten seconds.
    pub async fn run(self, instance: String, every: Duration) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_poll: Option<Instant> = None;
        loop {
            tick.tick().await;
            if let Err(e) = self.refresh().await {
                tracing::warn!("stream status: {e}");
                continue;
            }
            if !self.store.lease("status", &instance, Duration::from_secs(5)).await.unwrap_or(false) {
                continue;
            }
            if last_poll.is_none_or(|at| at.elapsed() >= every) {
                last_poll = Some(Instant::now());
                if let Some(polled) = self.get_stream().await {
                    let _ = self.store.put(keys::VIEWERS, serde_json::to_string(&polled).expect("plain data always encodes")).await;
                    self.lock().polled = polled;
                    self.note_viewers();
                    let series = serde_json::to_string(&self.lock().viewers).expect("plain data always encodes");
                    let _ = self.store.put(keys::VIEWER_SERIES, series).await;
                }
            }
            let stale = self.lock().pushed.as_ref().is_none_or(|(_, at)| at.elapsed() >= Duration::from_secs(10));
            self.push(stale).await;
        }
    }

    async fn get_stream(&self) -> Option<Polled> {
        match self.ivs.get_stream(&self.channel_arn).await {
            Ok(stream) => Some(Polled { live: true, healthy: stream.healthy, viewer_count: stream.viewer_count, stream_id: Some(stream.stream_id) }),
            Err(IvsError::NotBroadcasting) => Some(Polled::default()),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        }
    }
}
