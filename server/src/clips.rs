//! Clips: a viewer cuts up to a minute of a past broadcast, or the last 30 s of the one recording
//! now; the server reads the recording's playlists (through `recordings.base_url`, as viewers
//! do), keeps the segments of that stretch (`ivs_proto::clips`), and stores the clip's playlists
//! — a few hundred bytes naming the recording's own segments — in the store, so every instance
//! serves it at `/api/clips/{id}/…` and a shareable page plays it (`/?clip=<id>`).

use std::sync::Arc;
use std::time::Duration;

use ivs_proto::clips::{self, ClipAnswer, ClipError, ClipRequest, Window};
use ivs_proto::recordings::RecordingState;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::recordings::Recordings;
use crate::store::{Store, StoreError};

/// A clip as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClipRecord {
    pub id: String,
    pub recording_id: String,
    pub made_by: String,
    pub made_ms: i64,
    pub duration_secs: f64,
    pub master: String,
    /// The rendition playlists, in the master's order.
    pub renditions: Vec<String>,
}

/// Why a clip was not made.
#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    #[error("{0}")]
    Clip(#[from] ClipError),
    #[error("there is no such recording")]
    NoRecording,
    #[error("nothing is being recorded now")]
    NotRecording,
    #[error("this recording cannot be clipped ({0})")]
    Unusable(String),
    #[error("the recording cannot be read: {0}")]
    Fetch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The clip service; cheap to clone.
#[derive(Clone)]
pub struct Clips {
    store: Arc<dyn Store>,
    recordings: Recordings,
}

fn key(id: &str) -> String {
    format!("clip:{id}")
}

impl Clips {
    pub fn new(store: Arc<dyn Store>, recordings: Recordings) -> Self {
        Self { store, recordings }
    }

    /// Makes the clip `request` asks for, for `person`.
    pub async fn make(&self, request: &ClipRequest, person: &str) -> Result<ClipAnswer, MakeError> {
        let window = request.window()?;
        let (recording_id, master_url) = match &request.recording_id {
            Some(id) => {
                let recording = self.recordings.get(id).await?.ok_or(MakeError::NoRecording)?;
                match recording.state {
                    RecordingState::Ready => (recording.id, recording.playback_url.ok_or_else(|| MakeError::Unusable("no playlist".into()))?),
                    RecordingState::Recording => (recording.id, recording.rewind_url.ok_or_else(|| MakeError::Unusable("no playlist".into()))?),
                    RecordingState::Failed => return Err(MakeError::Unusable("it failed".into())),
                }
            }
            None => {
                let page = self.recordings.page(None, 1).await?;
                let live = page.recordings.into_iter().find(|r| r.state == RecordingState::Recording).ok_or(MakeError::NotRecording)?;
                (live.id, live.rewind_url.ok_or(MakeError::NotRecording)?)
            }
        };
        let master_text = fetch(&master_url).await?;
        let renditions = clips::renditions(&master_text);
        if renditions.is_empty() {
            return Err(MakeError::Unusable("its master playlist names no renditions".into()));
        }
        let id = new_id();
        let mut playlists = Vec::with_capacity(renditions.len());
        let mut duration = 0.0f64;
        for (_, uri) in &renditions {
            let url = clips::resolve(uri, &master_url);
            let (playlist, secs) = clips::cut(&fetch(&url).await?, &url, window)?;
            duration = duration.max(secs);
            playlists.push(playlist);
        }
        let master = clips::master(&renditions, |i| format!("/api/clips/{id}/{i}.m3u8"));
        let record =
            ClipRecord { id: id.clone(), recording_id, made_by: person.to_owned(), made_ms: now_ms(), duration_secs: duration, master, renditions: playlists };
        self.store.put(&key(&id), serde_json::to_string(&record).expect("plain data always encodes")).await?;
        tracing::info!(clip = %id, recording = %record.recording_id, duration, ?window, "clip made");
        Ok(answer(&record))
    }

    /// Clip `id`, as kept.
    pub async fn get(&self, id: &str) -> Result<Option<ClipRecord>, StoreError> {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        Ok(self.store.get(&key(id)).await?.and_then(|json| serde_json::from_str(&json).ok()))
    }
}

/// Rewinding a broadcast while it records: the recording so far as a finished playlist — its
/// master naming `/api/recordings/{id}/rewind/{n}.m3u8`, or rendition `n` (every segment so far,
/// then an end) — so the player shows one seek bar over the whole broadcast. `None`: the
/// recording is not being recorded (an ended one is replayed instead).
pub async fn rewind_playlist(recordings: &Recordings, id: &str, file: &str) -> Result<Option<String>, MakeError> {
    let Some(recording) = recordings.get(id).await? else { return Ok(None) };
    let Some(master_url) = recording.rewind_url else { return Ok(None) };
    let master_text = fetch(&master_url).await?;
    let renditions = clips::renditions(&master_text);
    if file == "master.m3u8" {
        return Ok(Some(clips::master(&renditions, |i| format!("/api/recordings/{id}/rewind/{i}.m3u8"))));
    }
    let Some((_, uri)) = file.strip_suffix(".m3u8").and_then(|n| n.parse::<usize>().ok()).and_then(|n| renditions.get(n)) else { return Ok(None) };
    let url = clips::resolve(uri, &master_url);
    let (playlist, _) = clips::cut(&fetch(&url).await?, &url, Window::Offset { from_secs: 0.0, to_secs: f64::INFINITY })?;
    Ok(Some(playlist))
}

/// What a viewer is told of a clip.
pub fn answer(record: &ClipRecord) -> ClipAnswer {
    ClipAnswer {
        id: record.id.clone(),
        page_url: format!("/?clip={}", record.id),
        playback_url: format!("/api/clips/{}/master.m3u8", record.id),
        duration_secs: record.duration_secs,
    }
}

fn new_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A playlist, read over HTTP(S) as a viewer would (at most 1 MB, 10 s).
async fn fetch(url: &str) -> Result<String, MakeError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(10))).build().into();
        let mut response = agent.get(&url).call().map_err(|e| MakeError::Fetch(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(MakeError::Fetch(format!("{url} answered {status}")));
        }
        response.body_mut().with_config().limit(1024 * 1024).read_to_string().map_err(|e| MakeError::Fetch(e.to_string()))
    })
    .await
    .map_err(|e| MakeError::Fetch(e.to_string()))?
}
