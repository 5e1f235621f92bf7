//! Recording to S3, as IVS auto-records a channel with a recording configuration: the
//! configurations (`CreateRecordingConfiguration`, `Get…`, `List…`, `Delete…`, kept across a
//! restart), and a recorder per broadcast that writes it under the bucket's directory with IVS's
//! layout — `ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<m>/<recording id>/` holding
//! `events/recording-started.json`, then `recording-ended.json` (or `recording-failed.json`),
//! `media/hls/master.m3u8` with a folder per rendition (`360p30/playlist.m3u8`, `0.ts`, …) and
//! `media/thumbnails/` — and emits `IVS Recording State Change` with that prefix. The playback
//! origin serves the buckets at `/s3/<bucket>/<key>`, as a CDN in front of the bucket would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::aws::{listed, page, parse, ApiError};
use crate::channels::ChannelRecord;
use crate::events::Emitter;
use crate::hls::segmenter::Segment;
use crate::hls::{master_playlist, Rung, SegmentSink};
use crate::store::JsonFile;
use crate::AppState;

const ARN_PREFIX: &str = "arn:aws:ivs:us-east-1:000000000000:recording-configuration/";
const ACCOUNT: &str = "000000000000";

/// A recording configuration, as `CreateRecordingConfiguration` takes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingConfig {
    pub arn: String,
    pub name: String,
    pub bucket_name: String,
    pub recording_reconnect_window_seconds: u32,
    pub thumbnails: ThumbnailConfig,
    pub rendition_selection: String,
    pub renditions: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailConfig {
    pub recording_mode: String,
    pub target_interval_seconds: u64,
    pub resolution: Option<String>,
    pub storage: Vec<String>,
}

impl RecordingConfig {
    fn describe(&self) -> Value {
        let mut thumbnails = json!({
            "recordingMode": self.thumbnails.recording_mode,
            "targetIntervalSeconds": self.thumbnails.target_interval_seconds,
            "storage": self.thumbnails.storage,
        });
        if let Some(resolution) = &self.thumbnails.resolution {
            thumbnails["resolution"] = resolution.clone().into();
        }
        let mut described = self.summary();
        described["thumbnailConfiguration"] = thumbnails;
        described["recordingReconnectWindowSeconds"] = self.recording_reconnect_window_seconds.into();
        described["renditionConfiguration"] = json!({ "renditionSelection": self.rendition_selection, "renditions": self.renditions });
        described
    }

    fn summary(&self) -> Value {
        json!({
            "arn": self.arn,
            "name": self.name,
            "destinationConfiguration": { "s3": { "bucketName": self.bucket_name } },
            "state": "ACTIVE",
            "tags": self.tags,
        })
    }

    /// The rungs of `ladder` this configuration records (best first): all, or those named (a
    /// selection none of which the ladder has records its best).
    pub fn select<'a>(&self, ladder: &'a [Rung]) -> Vec<(usize, &'a Rung)> {
        let all: Vec<(usize, &Rung)> = ladder.iter().enumerate().collect();
        match self.rendition_selection.as_str() {
            "NONE" => Vec::new(),
            "CUSTOM" => {
                let lowest = ladder.len().saturating_sub(1);
                let picked: Vec<(usize, &Rung)> = all
                    .iter()
                    .copied()
                    .filter(|(i, r)| {
                        self.renditions.iter().any(|name| match name.as_str() {
                            "FULL_HD" => r.height >= 1080,
                            "HD" => (720..1080).contains(&r.height),
                            "SD" => (360..720).contains(&r.height),
                            "LOWEST_RESOLUTION" => *i == lowest,
                            _ => false,
                        })
                    })
                    .collect();
                if picked.is_empty() {
                    all.into_iter().take(1).collect()
                } else {
                    picked
                }
            }
            _ => all,
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Registry {
    configurations: Vec<RecordingConfig>,
}

/// The account's recording configurations.
#[derive(Clone)]
pub struct Configs {
    registry: JsonFile<Registry>,
}

impl Configs {
    pub fn load(path: Option<PathBuf>) -> Self {
        Self { registry: JsonFile::load(path, "the recording configurations") }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock()
    }

    pub fn get(&self, arn: &str) -> Option<RecordingConfig> {
        self.lock().configurations.iter().find(|c| c.arn == arn).cloned()
    }

    /// The tags of a recording configuration.
    pub fn tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        self.get(arn).map(|c| c.tags)
    }

    /// Changes a configuration's tags (`None`: no such configuration; `Err`: too many).
    pub fn update_tags(&self, arn: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Option<Result<(), String>> {
        let mut registry = self.lock();
        let config = registry.configurations.iter_mut().find(|c| c.arn == arn)?;
        let mut tags = config.tags.clone();
        change(&mut tags);
        if tags.len() > 50 {
            return Some(Err("a resource has at most 50 tags".into()));
        }
        config.tags = tags;
        self.registry.save(&registry);
        Some(Ok(()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    name: Option<String>,
    destination_configuration: Option<DestinationInput>,
    recording_reconnect_window_seconds: Option<u32>,
    thumbnail_configuration: Option<ThumbnailInput>,
    rendition_configuration: Option<RenditionInput>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct DestinationInput {
    s3: Option<S3Input>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Input {
    bucket_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThumbnailInput {
    recording_mode: Option<String>,
    target_interval_seconds: Option<u64>,
    resolution: Option<String>,
    storage: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RenditionInput {
    rendition_selection: Option<String>,
    renditions: Option<Vec<String>>,
}

/// An S3 bucket name as the service model constrains it (and safe as a directory name).
fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with('.')
        && !name.contains("..")
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::validation(format!("{field} must be one of {}, not {value:?}", allowed.join(", "))))
    }
}

fn config_from(input: CreateInput) -> Result<RecordingConfig, ApiError> {
    let name = input.name.unwrap_or_default();
    if name.len() > 128 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ApiError::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
    }
    let bucket_name = input
        .destination_configuration
        .and_then(|d| d.s3)
        .map(|s3| s3.bucket_name)
        .ok_or_else(|| ApiError::validation("destinationConfiguration.s3.bucketName is required"))?;
    if !valid_bucket(&bucket_name) {
        return Err(ApiError::validation(format!("bucketName {bucket_name:?} is not an S3 bucket name (3 to 63 of a-z 0-9 - .)")));
    }
    let window = input.recording_reconnect_window_seconds.unwrap_or(0);
    if window > 300 {
        return Err(ApiError::validation("recordingReconnectWindowSeconds must be 0 to 300"));
    }
    let thumbnail = input.thumbnail_configuration;
    let recording_mode = thumbnail.as_ref().and_then(|t| t.recording_mode.clone()).unwrap_or_else(|| "INTERVAL".into());
    one_of("thumbnailConfiguration.recordingMode", &recording_mode, &["INTERVAL", "DISABLED"])?;
    let target_interval_seconds = thumbnail.as_ref().and_then(|t| t.target_interval_seconds).unwrap_or(60);
    if !(1..=60).contains(&target_interval_seconds) {
        return Err(ApiError::validation("thumbnailConfiguration.targetIntervalSeconds must be 1 to 60"));
    }
    let resolution = thumbnail.as_ref().and_then(|t| t.resolution.clone());
    if let Some(resolution) = &resolution {
        one_of("thumbnailConfiguration.resolution", resolution, &["FULL_HD", "HD", "SD", "LOWEST_RESOLUTION"])?;
    }
    let storage = thumbnail.and_then(|t| t.storage).unwrap_or_else(|| vec!["SEQUENTIAL".into()]);
    for s in &storage {
        one_of("thumbnailConfiguration.storage", s, &["SEQUENTIAL", "LATEST"])?;
    }
    let rendition = input.rendition_configuration;
    let rendition_selection = rendition.as_ref().and_then(|r| r.rendition_selection.clone()).unwrap_or_else(|| "ALL".into());
    one_of("renditionConfiguration.renditionSelection", &rendition_selection, &["ALL", "NONE", "CUSTOM"])?;
    let renditions = rendition.and_then(|r| r.renditions).unwrap_or_default();
    for r in &renditions {
        one_of("renditionConfiguration.renditions", r, &["FULL_HD", "HD", "SD", "LOWEST_RESOLUTION"])?;
    }
    if rendition_selection == "CUSTOM" && renditions.is_empty() {
        return Err(ApiError::validation("renditionConfiguration.renditions must name renditions when renditionSelection is CUSTOM"));
    }
    if input.tags.len() > 50 {
        return Err(ApiError::validation("at most 50 tags"));
    }
    let arn = format!("{ARN_PREFIX}{}", Alphanumeric.sample_string(&mut rand::rng(), 12));
    Ok(RecordingConfig {
        arn,
        name,
        bucket_name,
        recording_reconnect_window_seconds: window,
        thumbnails: ThumbnailConfig { recording_mode, target_interval_seconds, resolution, storage },
        rendition_selection,
        renditions,
        tags: input.tags,
    })
}

/// The routes of the recording-configuration operations.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/CreateRecordingConfiguration", post(create))
        .route("/GetRecordingConfiguration", post(get))
        .route("/ListRecordingConfigurations", post(list))
        .route("/DeleteRecordingConfiguration", post(delete))
        .with_state(state)
}

async fn create(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let config = config_from(parse(&body)?)?;
    let configs = &state.recording_configs;
    let mut registry = configs.lock();
    registry.configurations.push(config.clone());
    configs.registry.save(&registry);
    tracing::info!(arn = %config.arn, bucket = %config.bucket_name, "CreateRecordingConfiguration");
    Ok(Json(json!({ "recordingConfiguration": config.describe() })))
}

#[derive(Deserialize)]
struct ArnInput {
    arn: String,
}

async fn get(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ArnInput = parse(&body)?;
    let config = state.recording_configs.get(&input.arn).ok_or_else(|| ApiError::not_found(&input.arn))?;
    Ok(Json(json!({ "recordingConfiguration": config.describe() })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    max_results: Option<usize>,
    next_token: Option<String>,
}

async fn list(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListInput = if body.is_empty() { ListInput::default() } else { parse(&body)? };
    let all: Vec<Value> = state.recording_configs.lock().configurations.iter().map(RecordingConfig::summary).collect();
    Ok(listed("recordingConfigurations", page(&all, input.max_results, input.next_token.as_deref())?))
}

async fn delete(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: ArnInput = parse(&body)?;
    let configs = &state.recording_configs;
    if configs.get(&input.arn).is_none() {
        return Err(ApiError::not_found(&input.arn));
    }
    if let Some(channel) = state.channels.using_recording_configuration(&input.arn) {
        return Err(ApiError::new(StatusCode::CONFLICT, "ConflictException", format!("channel {channel} uses this recording configuration")));
    }
    let mut registry = configs.lock();
    registry.configurations.retain(|c| c.arn != input.arn);
    configs.registry.save(&registry);
    Ok(StatusCode::NO_CONTENT)
}

/// The S3 prefix of a recording that starts at `at`: UTC, not zero-padded.
pub fn prefix(channel_arn: &str, at: OffsetDateTime, recording_id: &str) -> String {
    let channel_id = channel_arn.rsplit('/').next().unwrap_or(channel_arn);
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
    started_at: Option<OffsetDateTime>,
    /// By ladder index, the renditions recorded.
    tracks: BTreeMap<usize, Track>,
    next_thumbnail_ms: i64,
    thumbnails: usize,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
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
        self.recording_id = Alphanumeric.sample_string(&mut rand::rng(), 12);
        let now = OffsetDateTime::now_utc();
        self.started_at = Some(now);
        self.prefix = prefix(&self.channel().arn, now, &self.recording_id);
        let config = self.config().clone();
        self.tracks = config.select(&self.ladder).into_iter().map(|(i, r)| (i, Track { rung: Some(r.clone()), segments: Vec::new(), target: 0 })).collect();
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
    fn metadata(&self, status: &str, ended_at: Option<OffsetDateTime>) -> Value {
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
            "recording_started_at": self.started_at.map(rfc3339).unwrap_or_default(),
            "recording_status": status,
            "media": { "hls": hls.clone() },
        });
        if let Some(ended) = ended_at {
            meta["recording_ended_at"] = rfc3339(ended).into();
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
            tokio::fs::write(dir.join("media/hls/master.m3u8"), master_playlist(&recorded, |r| format!("{}/playlist.m3u8", r.name))).await?;
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
                tokio::fs::write(dir.join("media/hls").join(&rung.name).join("playlist.m3u8"), playlist(&track.segments, true)).await?;
            }
        }
        let (file, status) = if ok { ("recording-ended.json", "RECORDING_ENDED") } else { ("recording-failed.json", "RECORDING_ENDED_WITH_FAILURE") };
        let meta = self.metadata(status, Some(OffsetDateTime::now_utc()));
        tokio::fs::write(dir.join("events").join(file), serde_json::to_vec_pretty(&meta).unwrap_or_default()).await
    }
}

/// A recorded rendition's playlist: an event playlist while recording, a VOD one at the end.
fn playlist(segments: &[(f64, i64)], ended: bool) -> String {
    let kind = if ended { "VOD" } else { "EVENT" };
    let mut m3u8 = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:{kind}\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:0\n",
        target_duration(segments)
    );
    for (i, &(duration, pdt_ms)) in segments.iter().enumerate() {
        m3u8.push_str(&entry(i, duration, pdt_ms));
    }
    if ended {
        m3u8.push_str("#EXT-X-ENDLIST\n");
    }
    m3u8
}

/// The playlist's target duration: the longest segment, in whole seconds.
fn target_duration(segments: &[(f64, i64)]) -> u64 {
    segments.iter().map(|&(d, _)| d.ceil().max(1.0) as u64).max().unwrap_or(1)
}

/// Segment `i`'s lines in a recorded playlist.
fn entry(i: usize, duration: f64, pdt_ms: i64) -> String {
    let pdt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(pdt_ms) * 1_000_000).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default();
    format!("#EXT-X-PROGRAM-DATE-TIME:{pdt}\n#EXTINF:{duration:.3},\n{i}.ts\n")
}

/// Brings the event playlist at `path`, which names `target` as its target duration (0: not
/// written yet), up to date with `segments`, the last of them new; returns the target it now names.
/// The new segment is appended, so a long recording costs the same per segment as a short one;
/// the whole playlist is written again only when it starts, or when a segment outlasts the target.
async fn extend_playlist(path: &Path, segments: &[(f64, i64)], target: u64) -> std::io::Result<u64> {
    use tokio::io::AsyncWriteExt as _;
    let needed = target_duration(segments);
    let Some(&(duration, pdt_ms)) = segments.last() else {
        return Ok(target);
    };
    if target == 0 || needed > target {
        tokio::fs::write(path, playlist(segments, false)).await?;
        return Ok(needed);
    }
    let mut file = tokio::fs::OpenOptions::new().append(true).open(path).await?;
    file.write_all(entry(segments.len() - 1, duration, pdt_ms).as_bytes()).await?;
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

    fn config(selection: &str, renditions: &[&str]) -> RecordingConfig {
        let input = json!({
            "destinationConfiguration": { "s3": { "bucketName": "my-bucket" } },
            "renditionConfiguration": { "renditionSelection": selection, "renditions": renditions },
        });
        config_from(serde_json::from_value(input).unwrap()).unwrap()
    }

    #[test]
    fn prefixes_have_the_ivs_layout() {
        let at = time::macros::datetime!(2020-06-23 20:12:05 UTC);
        assert_eq!(
            prefix("arn:aws:ivs:us-east-1:000000000000:channel/AsXego4U6tnj", at, "j8Z9O91ndcVs"),
            "ivs/v1/000000000000/AsXego4U6tnj/2020/6/23/20/12/j8Z9O91ndcVs"
        );
    }

    #[test]
    fn configurations_are_checked_as_the_model_says() {
        let base = config("ALL", &[]);
        assert!(base.arn.starts_with(ARN_PREFIX));
        assert_eq!((base.thumbnails.recording_mode.as_str(), base.thumbnails.target_interval_seconds), ("INTERVAL", 60));
        for bad in [
            json!({}),
            json!({ "destinationConfiguration": { "s3": { "bucketName": "UPPER" } } }),
            json!({ "destinationConfiguration": { "s3": { "bucketName": "../../etc" } } }),
            json!({ "destinationConfiguration": { "s3": { "bucketName": "ok-bucket" } }, "recordingReconnectWindowSeconds": 301 }),
            json!({ "destinationConfiguration": { "s3": { "bucketName": "ok-bucket" } }, "thumbnailConfiguration": { "targetIntervalSeconds": 0 } }),
            json!({ "destinationConfiguration": { "s3": { "bucketName": "ok-bucket" } }, "renditionConfiguration": { "renditionSelection": "CUSTOM" } }),
        ] {
            assert!(config_from(serde_json::from_value(bad.clone()).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn rendition_selection_picks_rungs() {
        let rung = |h: u32| Rung { name: format!("{h}p30"), width: h * 16 / 9, height: h, video_kbps: 1000 };
        let ladder = [rung(720), rung(360)];
        let names = |c: &RecordingConfig| c.select(&ladder).iter().map(|(_, r)| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&config("ALL", &[])), ["720p30", "360p30"]);
        assert!(names(&config("NONE", &[])).is_empty());
        assert_eq!(names(&config("CUSTOM", &["LOWEST_RESOLUTION"])), ["360p30"]);
        assert_eq!(names(&config("CUSTOM", &["HD", "SD"])), ["720p30", "360p30"]);
        assert_eq!(names(&config("CUSTOM", &["FULL_HD"])), ["720p30"], "unavailable: the best is recorded");
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
            assert_eq!(std::fs::read_to_string(&path).unwrap(), playlist(&segments, false), "after segment {i}");
        }
        assert_eq!(target, 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn recorded_playlists_end_as_vod() {
        let live = playlist(&[(0.5, 0), (0.5, 500)], false);
        assert!(live.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !live.contains("ENDLIST") && live.contains("\n1.ts\n"));
        let done = playlist(&[(0.5, 0), (2.2, 500)], true);
        assert!(done.contains("#EXT-X-PLAYLIST-TYPE:VOD") && done.ends_with("#EXT-X-ENDLIST\n") && done.contains("#EXT-X-TARGETDURATION:3"));
    }
}
