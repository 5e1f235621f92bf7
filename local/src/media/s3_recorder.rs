//! Recording to S3, as IVS auto-records a channel with a recording configuration: a recorder
//! per broadcast writes it under the bucket's directory with IVS's layout —
//! `ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<m>/<recording id>/` holding
//! `events/recording-started.json`, then `recording-ended.json` (or `recording-failed.json`),
//! `media/hls/master.m3u8` with a folder per rendition (`360p30/playlist.m3u8`, `0.ts`, …) and
//! `media/thumbnails/` — and emits `IVS Recording State Change` with that prefix. The playback
//! origin serves the buckets at `/s3/<bucket>/<key>`, as a CDN in front of the bucket would.
//! (The configurations themselves are `control/recording_configs.rs`.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ivs_codecs::segmenter::Segment;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::channel::SegmentSink;
use super::ladder::{Plan, Rung};
use super::playlist;
use crate::account::{id_of, random_id, ACCOUNT};
use crate::clock::{now_ms, rfc3339_secs};
use crate::control::channels::ChannelRecord;
use crate::control::recording_configs::{Configs, RecordingConfig};
use crate::events::Emitter;

/// What starts a recorder for a broadcast: the account's recording configurations, where the
/// buckets are, and where recording events go.
#[derive(Clone)]
pub struct Recorders {
    pub configs: Configs,
    /// A directory per bucket.
    pub buckets: PathBuf,
    pub events: Emitter,
}

impl Recorders {
    /// The recorder of a broadcast of `channel` transcoded as `plan`, when the channel has a
    /// recording configuration.
    pub fn recorder(&self, channel: &ChannelRecord, plan: &Plan) -> Option<Box<dyn SegmentSink>> {
        let config = self.configs.get(&channel.recording_configuration_arn)?;
        Some(Box::new(Recorder::start(&self.buckets, config, channel.clone(), plan.ladder.clone(), self.events.clone())))
    }
}

/// The S3 prefix of a recording that starts at `at`: UTC, not zero-padded.
pub fn prefix(channel_arn: &str, at_ms: i64, recording_id: &str) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let channel_id = id_of(channel_arn);
    format!("ivs/v1/{ACCOUNT}/{channel_id}/{}/{}/{}/{}/{}/{recording_id}", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}

/// What a recorder is told by the broadcast it records.
enum Message {
    Started(String),
    Segment(usize, Segment),
}

/// Records one broadcast: a [`SegmentSink`] handing segments to a writer task, which finishes
/// the recording when the broadcast drops it.
pub struct Recorder {
    tx: mpsc::UnboundedSender<Message>,
}

impl SegmentSink for Recorder {
    fn started(&mut self, stream_id: &str) {
        let _ = self.tx.send(Message::Started(stream_id.to_owned()));
    }

    fn segment(&mut self, rendition: usize, segment: &Segment) {
        let _ = self.tx.send(Message::Segment(rendition, segment.clone()));
    }
}

impl Recorder {
    /// A recorder of a broadcast of `channel` into `buckets/<bucket>/`, of the rungs of
    /// `ladder` that `config` selects.
    pub fn start(buckets: &Path, config: RecordingConfig, channel: ChannelRecord, ladder: Vec<Rung>, events: Emitter) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let bucket = buckets.join(&config.bucket_name);
        tokio::spawn(async move {
            let mut writer = Writer { bucket, config: Some(config), channel: Some(channel), ladder, events, ..Writer::default() };
            writer.run(rx).await;
        });
        Self { tx }
    }
}

/// One rendition being recorded.
#[derive(Default)]
struct Track {
    rung: Option<Rung>,
    /// `(duration, program date-time ms)` of each segment written, in order.
    segments: Vec<(f64, i64)>,
    /// The target duration the playlist on disk names (0: none written yet).
    target: u64,
}

#[derive(Default)]
struct Writer {
    bucket: PathBuf,
    config: Option<RecordingConfig>,
    channel: Option<ChannelRecord>,
    ladder: Vec<Rung>,
    events: Emitter,
    stream_id: String,
    recording_id: String,
    prefix: String,
    /// When recording started (ms since the epoch).
    started_at: Option<i64>,
    /// By ladder index, the renditions recorded.
    tracks: BTreeMap<usize, Track>,
    next_thumbnail_ms: i64,
    thumbnails: usize,
}

impl Writer {
    fn config(&self) -> &RecordingConfig {
        self.config.as_ref().expect("set at start")
    }

    fn channel(&self) -> &ChannelRecord {
        self.channel.as_ref().expect("set at start")
    }

    fn dir(&self) -> PathBuf {
        self.bucket.join(&self.prefix)
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Message>) {
        let Some(Message::Started(stream_id)) = rx.recv().await else {
            return;
        };
        self.stream_id = stream_id;
        self.recording_id = random_id(12);
        let now = now_ms();
        self.started_at = Some(now);
        self.prefix = prefix(&self.channel().arn, now, &self.recording_id);
        let config = self.config().clone();
        let heights: Vec<u32> = self.ladder.iter().map(|r| r.height).collect();
        self.tracks = config.select(&heights).into_iter().map(|i| (i, Track { rung: Some(self.ladder[i].clone()), segments: Vec::new(), target: 0 })).collect();
        if let Err(e) = self.begin().await {
            tracing::warn!(prefix = %self.prefix, "recording could not start: {e}");
            self.state("Recording Start Failure", &e.to_string(), 0);
            return;
        }
        self.state("Recording Start", "", 0);
        let mut failure = None;
        while let Some(message) = rx.recv().await {
            if let Message::Segment(rendition, segment) = message {
                if let Err(e) = self.segment(rendition, &segment).await {
                    tracing::warn!(prefix = %self.prefix, "recording failed: {e}");
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        // The broadcast ended (it dropped its recorder), or writing failed.
        drop(rx);
        let duration_ms = self.duration_ms();
        match self.end(failure.is_none()).await {
            Ok(()) if failure.is_none() => {
                tracing::info!(prefix = %self.prefix, duration_ms, "recording ended");
                self.state("Recording End", "", duration_ms);
            }
            outcome => {
                let why = failure.or_else(|| outcome.err().map(|e| e.to_string())).unwrap_or_default();
                self.state("Recording End Failure", &why, duration_ms);
            }
        }
    }

    fn duration_ms(&self) -> i64 {
        self.tracks.values().next().map_or(0, |t| (t.segments.iter().map(|(d, _)| d).sum::<f64>() * 1000.0).round() as i64)
    }

    fn state(&self, status: &str, reason: &str, duration_ms: i64) {
        let channel = self.channel();
        let detail = json!({
            "channel_name": channel.name,
            "stream_id": self.stream_id,
            "recording_status": status,
            "recording_status_reason": reason,
            "recording_s3_bucket_name": self.config().bucket_name,
            "recording_s3_key_prefix": self.prefix,
            "recording_duration_ms": duration_ms,
            "recording_session_id": self.recording_id,
            "recording_session_stream_ids": [self.stream_id],
        });
        self.events.emit(&channel.arn, "IVS Recording State Change", detail);
    }

    /// `events/<file>`: the recording's metadata, as IVS writes it.
    fn metadata(&self, status: &str, ended_at: Option<i64>) -> Value {
        let renditions: Vec<Value> = self
            .tracks
            .values()
            .filter_map(|t| t.rung.as_ref())
            .map(|r| json!({ "path": r.name, "playlist": "playlist.m3u8", "resolution_width": r.width, "resolution_height": r.height }))
            .collect();
        let mut hls = json!({ "path": "media/hls", "playlist": "master.m3u8", "renditions": renditions });
        let mut meta = json!({
            "version": "v1",
            "channel_arn": self.channel().arn,
            "recording_started_at": self.started_at.map(rfc3339_secs).unwrap_or_default(),
            "recording_status": status,
            "media": { "hls": hls.clone() },
        });
        if let Some(ended) = ended_at {
            meta["recording_ended_at"] = rfc3339_secs(ended).into();
            hls["duration_ms"] = self.duration_ms().into();
            meta["media"]["hls"] = hls;
        }
        let thumbs = &self.config().thumbnails;
        if thumbs.recording_mode == "INTERVAL" {
            let best = self.ladder.first();
            let size = |v: Option<u32>| v.unwrap_or(0);
            if thumbs.storage.iter().any(|s| s == "SEQUENTIAL") {
                meta["media"]["thumbnails"] =
                    json!({ "path": "media/thumbnails", "resolution_width": size(best.map(|r| r.width)), "resolution_height": size(best.map(|r| r.height)) });
            }
            if thumbs.storage.iter().any(|s| s == "LATEST") {
                meta["media"]["latest_thumbnail"] = json!({ "path": "media/latest_thumbnail", "resolution_width": size(best.map(|r| r.width)), "resolution_height": size(best.map(|r| r.height)) });
            }
        }
        meta
    }

    async fn begin(&mut self) -> std::io::Result<()> {
        let dir = self.dir();
        tokio::fs::create_dir_all(dir.join("events")).await?;
        let recorded: Vec<Rung> = self.tracks.values().filter_map(|t| t.rung.clone()).collect();
        for rung in &recorded {
            tokio::fs::create_dir_all(dir.join("media/hls").join(&rung.name)).await?;
        }
        if !recorded.is_empty() {
            tokio::fs::write(dir.join("media/hls/master.m3u8"), playlist::master(&recorded, |r| format!("{}/playlist.m3u8", r.name))).await?;
        }
        let started = self.metadata("RECORDING_STARTED", None);
        tokio::fs::write(dir.join("events/recording-started.json"), serde_json::to_vec_pretty(&started).unwrap_or_default()).await
    }

    async fn segment(&mut self, rendition: usize, segment: &Segment) -> std::io::Result<()> {
        let dir = self.dir();
        let Some(track) = self.tracks.get_mut(&rendition) else {
            return Ok(());
        };
        let Some(rung) = track.rung.clone() else {
            return Ok(());
        };
        let index = track.segments.len();
        let file = dir.join("media/hls").join(&rung.name).join(format!("{index}.ts"));
        tokio::fs::write(&file, &segment.data).await?;
        track.segments.push((segment.duration, segment.program_date_time_ms));
        track.target = extend_playlist(&dir.join("media/hls").join(&rung.name).join("playlist.m3u8"), &track.segments, track.target).await?;
        // Thumbnails from the best rendition recorded, every target interval.
        let first_recorded = self.tracks.keys().next().copied();
        let thumbs = self.config().thumbnails.clone();
        if thumbs.recording_mode == "INTERVAL" && Some(rendition) == first_recorded && segment.program_date_time_ms >= self.next_thumbnail_ms {
            self.next_thumbnail_ms = segment.program_date_time_ms + thumbs.target_interval_seconds as i64 * 1000;
            let n = self.thumbnails;
            self.thumbnails += 1;
            let mut outputs = Vec::new();
            if thumbs.storage.iter().any(|s| s == "SEQUENTIAL") {
                outputs.push(dir.join("media/thumbnails").join(format!("thumb{n}.jpg")));
            }
            if thumbs.storage.iter().any(|s| s == "LATEST") {
                outputs.push(dir.join("media/latest_thumbnail/thumb.jpg"));
            }
            tokio::spawn(thumbnail(file, outputs));
        }
        Ok(())
    }

    async fn end(&mut self, ok: bool) -> std::io::Result<()> {
        let dir = self.dir();
        for track in self.tracks.values() {
            if let Some(rung) = &track.rung {
                tokio::fs::write(dir.join("media/hls").join(&rung.name).join("playlist.m3u8"), playlist::recorded(&track.segments, true)).await?;
            }
        }
        let (file, status) = if ok { ("recording-ended.json", "RECORDING_ENDED") } else { ("recording-failed.json", "RECORDING_ENDED_WITH_FAILURE") };
        let meta = self.metadata(status, Some(now_ms()));
        tokio::fs::write(dir.join("events").join(file), serde_json::to_vec_pretty(&meta).unwrap_or_default()).await
    }
}

/// Brings the event playlist at `path`, which names `target` as its target duration (0: not
/// written yet), up to date with `segments`, the last of them new; returns the target it now names.
/// The new segment is appended, so a long recording costs the same per segment as a short one;
/// the whole playlist is written again only when it starts, or when a segment outlasts the target.
async fn extend_playlist(path: &Path, segments: &[(f64, i64)], target: u64) -> std::io::Result<u64> {
    use tokio::io::AsyncWriteExt as _;
    let needed = playlist::recorded_target(segments);
    let Some(&(duration, pdt_ms)) = segments.last() else {
        return Ok(target);
    };
    if target == 0 || needed > target {
        tokio::fs::write(path, playlist::recorded(segments, false)).await?;
        return Ok(needed);
    }
    let mut file = tokio::fs::OpenOptions::new().append(true).open(path).await?;
    file.write_all(playlist::recorded_entry(segments.len() - 1, duration, pdt_ms).as_bytes()).await?;
    file.flush().await?;
    Ok(target)
}

/// Writes the first picture of `segment` as a JPEG to each of `outputs`.
async fn thumbnail(segment: PathBuf, outputs: Vec<PathBuf>) {
    for output in outputs {
        if let Some(parent) = output.parent() {
            let _ = tokio::fs::create_dir_all(parent).await;
        }
        let status = tokio::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i"])
            .arg(&segment)
            .args(["-frames:v", "1", "-q:v", "4"])
            .arg(&output)
            .kill_on_drop(true)
            .status()
            .await;
        if !status.is_ok_and(|s| s.success()) {
            tracing::warn!("cannot write the thumbnail {}", output.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_have_the_ivs_layout() {
        let at = (time::macros::datetime!(2020-06-23 20:12:05 UTC).unix_timestamp_nanos() / 1_000_000) as i64;
        assert_eq!(
            prefix("arn:aws:ivs:us-east-1:000000000000:channel/AsXego4U6tnj", at, "j8Z9O91ndcVs"),
            "ivs/v1/000000000000/AsXego4U6tnj/2020/6/23/20/12/j8Z9O91ndcVs"
        );
    }

    #[tokio::test]
    async fn a_recorded_playlist_grows_by_appending_and_stays_whole() {
        let dir = std::env::temp_dir().join(format!("ivs-local-playlist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("playlist.m3u8");
        let (mut segments, mut target) = (Vec::new(), 0);
        // A segment longer than the target so far (a late keyframe) makes it rewrite the header.
        for (i, duration) in [0.5, 0.5, 0.5, 1.6, 0.5, 0.5].into_iter().enumerate() {
            segments.push((duration, 1_700_000_000_000 + i as i64 * 500));
            target = extend_playlist(&path, &segments, target).await.unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), playlist::recorded(&segments, false), "after segment {i}");
        }
        assert_eq!(target, 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
