//! The account's recording configurations (`CreateRecordingConfiguration` and the rest change
//! them), kept across a restart: where a channel's broadcasts are recorded, which renditions,
//! and how thumbnails are taken. The writer that records a broadcast with one is
//! `media/s3_recorder.rs`; the HTTP side is `api/recording_configurations.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::MutexGuard;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::account::{self, changed_tags, random_id, Refusal, Service};
use crate::store::JsonFile;

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
    /// The configuration as the API describes it.
    pub fn describe(&self) -> Value {
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

    /// The configuration as `ListRecordingConfigurations` summarises it.
    pub fn summary(&self) -> Value {
        json!({
            "arn": self.arn,
            "name": self.name,
            "destinationConfiguration": { "s3": { "bucketName": self.bucket_name } },
            "state": "ACTIVE",
            "tags": self.tags,
        })
    }

    /// Which renditions of a ladder this configuration records, given their heights (best
    /// first): their indices — all, or those named (a selection none of which the ladder has
    /// records its best).
    pub fn select(&self, heights: &[u32]) -> Vec<usize> {
        let all = 0..heights.len();
        match self.rendition_selection.as_str() {
            "NONE" => Vec::new(),
            "CUSTOM" => {
                let lowest = heights.len().saturating_sub(1);
                let named = |i: usize, height: u32| {
                    self.renditions.iter().any(|name| match name.as_str() {
                        "FULL_HD" => height >= 1080,
                        "HD" => (720..1080).contains(&height),
                        "SD" => (360..720).contains(&height),
                        "LOWEST_RESOLUTION" => i == lowest,
                        _ => false,
                    })
                };
                let picked: Vec<usize> = all.clone().filter(|&i| named(i, heights[i])).collect();
                if picked.is_empty() {
                    all.take(1).collect()
                } else {
                    picked
                }
            }
            _ => all.collect(),
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

    /// Changes a configuration's tags (`None`: no such configuration).
    pub fn update_tags(&self, arn: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Option<Result<(), Refusal>> {
        let mut registry = self.lock();
        let config = registry.configurations.iter_mut().find(|c| c.arn == arn)?;
        let tags = match changed_tags(&config.tags, change) {
            Ok(tags) => tags,
            Err(refusal) => return Some(Err(refusal)),
        };
        config.tags = tags;
        self.registry.save(&registry);
        Some(Ok(()))
    }

    /// Every configuration, as `ListRecordingConfigurations` summarises them.
    pub fn list(&self) -> Vec<Value> {
        self.lock().configurations.iter().map(RecordingConfig::summary).collect()
    }

    /// A new configuration made from `input`.
    pub fn create(&self, input: RecordingConfigInput) -> Result<RecordingConfig, Refusal> {
        let config = config_from(input)?;
        let mut registry = self.lock();
        registry.configurations.push(config.clone());
        self.registry.save(&registry);
        Ok(config)
    }

    /// The ARN of configuration `name` recording into `bucket`, made if there is none (with a
    /// thumbnail every 10 s, kept in sequence and as the latest).
    pub fn ensure(&self, name: &str, bucket: &str) -> Result<String, Refusal> {
        if let Some(found) = self.lock().configurations.iter().find(|c| c.name == name && c.bucket_name == bucket) {
            return Ok(found.arn.clone());
        }
        let input = serde_json::json!({
            "name": name,
            "destinationConfiguration": { "s3": { "bucketName": bucket } },
            "thumbnailConfiguration": { "recordingMode": "INTERVAL", "targetIntervalSeconds": 10, "storage": ["SEQUENTIAL", "LATEST"] },
        });
        let input: RecordingConfigInput = serde_json::from_value(input).map_err(|e| Refusal::validation(e.to_string()))?;
        Ok(self.create(input)?.arn)
    }

    /// Deletes configuration `arn`, unless channel `used_by` (the caller's look-up) uses it.
    pub fn delete(&self, arn: &str, used_by: Option<String>) -> Result<(), Refusal> {
        let mut registry = self.lock();
        if !registry.configurations.iter().any(|c| c.arn == arn) {
            return Err(Refusal::not_found(arn));
        }
        if let Some(channel) = used_by {
            return Err(Refusal::conflict(format!("channel {channel} uses this recording configuration")));
        }
        registry.configurations.retain(|c| c.arn != arn);
        self.registry.save(&registry);
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingConfigInput {
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

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), Refusal> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Refusal::validation(format!("{field} must be one of {}, not {value:?}", allowed.join(", "))))
    }
}

fn config_from(input: RecordingConfigInput) -> Result<RecordingConfig, Refusal> {
    let name = input.name.unwrap_or_default();
    if !account::valid_name(&name) {
        return Err(Refusal::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
    }
    let bucket_name = input
        .destination_configuration
        .and_then(|d| d.s3)
        .map(|s3| s3.bucket_name)
        .ok_or_else(|| Refusal::validation("destinationConfiguration.s3.bucketName is required"))?;
    if !valid_bucket(&bucket_name) {
        return Err(Refusal::validation(format!("bucketName {bucket_name:?} is not an S3 bucket name (3 to 63 of a-z 0-9 - .)")));
    }
    let window = input.recording_reconnect_window_seconds.unwrap_or(0);
    if window > 300 {
        return Err(Refusal::validation("recordingReconnectWindowSeconds must be 0 to 300"));
    }
    let thumbnail = input.thumbnail_configuration;
    let recording_mode = thumbnail.as_ref().and_then(|t| t.recording_mode.clone()).unwrap_or_else(|| "INTERVAL".into());
    one_of("thumbnailConfiguration.recordingMode", &recording_mode, &["INTERVAL", "DISABLED"])?;
    let target_interval_seconds = thumbnail.as_ref().and_then(|t| t.target_interval_seconds).unwrap_or(60);
    if !(1..=60).contains(&target_interval_seconds) {
        return Err(Refusal::validation("thumbnailConfiguration.targetIntervalSeconds must be 1 to 60"));
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
        return Err(Refusal::validation("renditionConfiguration.renditions must name renditions when renditionSelection is CUSTOM"));
    }
    if input.tags.len() > account::MAX_TAGS {
        return Err(Refusal::validation("at most 50 tags"));
    }
    let arn = account::arn(Service::Ivs, "recording-configuration", &random_id(12));
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
    fn configurations_are_checked_as_the_model_says() {
        let base = config("ALL", &[]);
        assert!(base.arn.starts_with("arn:aws:ivs:us-east-1:000000000000:recording-configuration/"));
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
        let ladder = [720, 360];
        let names = |c: &RecordingConfig| c.select(&ladder).iter().map(|&i| format!("{}p30", ladder[i])).collect::<Vec<_>>();
        assert_eq!(names(&config("ALL", &[])), ["720p30", "360p30"]);
        assert!(names(&config("NONE", &[])).is_empty());
        assert_eq!(names(&config("CUSTOM", &["LOWEST_RESOLUTION"])), ["360p30"]);
        assert_eq!(names(&config("CUSTOM", &["HD", "SD"])), ["720p30", "360p30"]);
        assert_eq!(names(&config("CUSTOM", &["FULL_HD"])), ["720p30"], "unavailable: the best is recorded");
    }
}
