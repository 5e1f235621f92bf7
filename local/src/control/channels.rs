//! The account's channels and their stream keys: what `CreateChannel`, `UpdateChannel`,
//! `CreateStreamKey`… change, kept in the data directory so they survive a restart. IDs, ARNs,
//! key values and playback URLs have IVS's shapes. The built-in channel (`channel/local`) is
//! always there; the test stream plays on it. The HTTP side is `api/channels.rs` and
//! `api/stream_keys.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::MutexGuard;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::account::{self, changed_tags, id_of, random_id, Refusal, Service, ACCOUNT, REGION};
use crate::store::JsonFile;

/// A channel's settings and identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelRecord {
    pub arn: String,
    pub name: String,
    pub latency_mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub authorized: bool,
    pub insecure_ingest: bool,
    pub recording_configuration_arn: String,
    pub preset: String,
    pub playback_restriction_policy_arn: String,
    pub tags: BTreeMap<String, String>,
}

/// A stream key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamKeyRecord {
    pub arn: String,
    pub value: String,
    pub channel_arn: String,
    pub tags: BTreeMap<String, String>,
}

impl StreamKeyRecord {
    /// The key as the API describes it (with its value).
    pub fn describe(&self) -> Value {
        json!({ "arn": self.arn, "value": self.value, "channelArn": self.channel_arn, "tags": self.tags })
    }

    /// The key as `ListStreamKeys` summarises it (no value).
    pub fn summary(&self) -> Value {
        json!({ "arn": self.arn, "channelArn": self.channel_arn, "tags": self.tags })
    }
}

/// What `CreateChannel` sets and `UpdateChannel` changes: each field when given.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ChannelSettings {
    pub name: Option<String>,
    pub latency_mode: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub authorized: Option<bool>,
    pub insecure_ingest: Option<bool>,
    pub recording_configuration_arn: Option<String>,
    pub preset: Option<String>,
    pub playback_restriction_policy_arn: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl ChannelSettings {
    /// Checks the settings as the service model constrains them.
    pub fn validate(&self) -> Result<(), Refusal> {
        if self.name.as_deref().is_some_and(|name| !account::valid_name(name)) {
            return Err(Refusal::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
        }
        if let Some(mode) = self.latency_mode.as_deref().filter(|m| !matches!(*m, "NORMAL" | "LOW")) {
            return Err(Refusal::validation(format!("latencyMode must be NORMAL or LOW, not {mode:?}")));
        }
        if let Some(kind) = self.kind.as_deref().filter(|k| !matches!(*k, "BASIC" | "STANDARD" | "ADVANCED_SD" | "ADVANCED_HD")) {
            return Err(Refusal::validation(format!("type must be BASIC, STANDARD, ADVANCED_SD or ADVANCED_HD, not {kind:?}")));
        }
        if let Some(preset) = self.preset.as_deref().filter(|p| !p.is_empty() && !matches!(*p, "HIGHER_BANDWIDTH_DELIVERY" | "CONSTRAINED_BANDWIDTH_DELIVERY"))
        {
            return Err(Refusal::validation(format!("preset {preset:?} is not a preset")));
        }
        if self.tags.len() > account::MAX_TAGS {
            return Err(Refusal::validation("at most 50 tags"));
        }
        Ok(())
    }

    /// The recording configuration these settings name, if any.
    pub fn recording_configuration(&self) -> Option<&str> {
        self.recording_configuration_arn.as_deref().filter(|arn| !arn.is_empty())
    }

    fn into_channel(self, arn: String) -> ChannelRecord {
        ChannelRecord {
            arn,
            name: self.name.unwrap_or_default(),
            latency_mode: self.latency_mode.unwrap_or_else(|| "LOW".into()),
            kind: self.kind.unwrap_or_else(|| "STANDARD".into()),
            authorized: self.authorized.unwrap_or(false),
            insecure_ingest: self.insecure_ingest.unwrap_or(false),
            recording_configuration_arn: self.recording_configuration_arn.unwrap_or_default(),
            preset: self.preset.unwrap_or_default(),
            playback_restriction_policy_arn: self.playback_restriction_policy_arn.unwrap_or_default(),
            tags: self.tags,
        }
    }

    fn apply_to(self, channel: &mut ChannelRecord) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut channel.name, self.name);
        set(&mut channel.latency_mode, self.latency_mode);
        set(&mut channel.kind, self.kind);
        set(&mut channel.authorized, self.authorized);
        set(&mut channel.insecure_ingest, self.insecure_ingest);
        set(&mut channel.recording_configuration_arn, self.recording_configuration_arn);
        set(&mut channel.preset, self.preset);
        set(&mut channel.playback_restriction_policy_arn, self.playback_restriction_policy_arn);
    }
}

/// Filters of `ListChannels`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ChannelFilter {
    pub filter_by_name: Option<String>,
    pub filter_by_recording_configuration_arn: Option<String>,
    pub filter_by_playback_restriction_policy_arn: Option<String>,
}

impl ChannelFilter {
    fn matches(&self, c: &ChannelRecord) -> bool {
        self.filter_by_name.as_ref().is_none_or(|n| c.name.contains(n.as_str()))
            && self.filter_by_recording_configuration_arn.as_ref().is_none_or(|r| &c.recording_configuration_arn == r)
            && self.filter_by_playback_restriction_policy_arn.as_ref().is_none_or(|p| &c.playback_restriction_policy_arn == p)
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Registry {
    channels: Vec<ChannelRecord>,
    keys: Vec<StreamKeyRecord>,
}

/// The channels of this account; cheap to clone.
#[derive(Clone)]
pub struct Channels {
    registry: JsonFile<Registry>,
    /// Where playback URLs point (`http://127.0.0.1:8081`).
    playback_base: String,
    /// The built-in channel's ARN.
    builtin: String,
    /// The host broadcasters stream to.
    ingest_endpoint: String,
}

fn new_key(channel_arn: &str, tags: BTreeMap<String, String>) -> StreamKeyRecord {
    StreamKeyRecord {
        arn: account::arn(Service::Ivs, "stream-key", &random_id(12)),
        value: format!("sk_{REGION}_{}_{}", random_id(12), random_id(30)),
        channel_arn: channel_arn.to_owned(),
        tags,
    }
}

impl Channels {
    /// The channels kept in `path`, with the built-in channel `builtin` (its `authorized` from the
    /// command line).
    pub fn load(path: Option<PathBuf>, playback_base: &str, builtin: &str, builtin_authorized: bool) -> Self {
        let registry = JsonFile::<Registry>::load(path, "the channels");
        let mut kept = registry.lock();
        if !kept.channels.iter().any(|c| c.arn == builtin) {
            let settings = ChannelSettings { name: Some("local".into()), ..ChannelSettings::default() };
            kept.channels.insert(0, settings.into_channel(builtin.to_owned()));
        }
        if let Some(channel) = kept.channels.iter_mut().find(|c| c.arn == builtin) {
            channel.authorized = builtin_authorized;
        }
        if !kept.keys.iter().any(|k| k.channel_arn == builtin) {
            kept.keys.push(new_key(builtin, BTreeMap::new()));
        }
        registry.save(&kept);
        drop(kept);
        Self { registry, playback_base: playback_base.to_owned(), builtin: builtin.to_owned(), ingest_endpoint: "127.0.0.1".into() }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock()
    }

    /// The built-in channel's ARN.
    pub fn builtin(&self) -> &str {
        &self.builtin
    }

    pub fn get(&self, arn: &str) -> Option<ChannelRecord> {
        self.lock().channels.iter().find(|c| c.arn == arn).cloned()
    }

    /// The channel `arn`, or why not.
    pub fn find(&self, arn: &str) -> Result<ChannelRecord, Refusal> {
        self.get(arn).ok_or_else(|| Refusal::not_found(arn))
    }

    /// The channels `filter` matches, as `ListChannels` summarises them.
    pub fn list(&self, filter: &ChannelFilter) -> Vec<Value> {
        self.lock().channels.iter().filter(|c| filter.matches(c)).map(summary).collect()
    }

    /// A new channel with `settings` and its stream key (whose recording configuration, if any,
    /// the caller has checked).
    pub fn create(&self, settings: ChannelSettings) -> Result<(ChannelRecord, StreamKeyRecord), Refusal> {
        settings.validate()?;
        let channel = settings.into_channel(account::arn(Service::Ivs, "channel", &random_id(12)));
        let key = new_key(&channel.arn, BTreeMap::new());
        let mut registry = self.lock();
        registry.channels.push(channel.clone());
        registry.keys.push(key.clone());
        self.registry.save(&registry);
        Ok((channel, key))
    }

    /// Changes channel `arn`'s settings, each when given (the caller has checked it is not live).
    pub fn update(&self, arn: &str, changes: ChannelSettings) -> Result<ChannelRecord, Refusal> {
        changes.validate()?;
        let mut registry = self.lock();
        let channel = registry.channels.iter_mut().find(|c| c.arn == arn).ok_or_else(|| Refusal::not_found(arn))?;
        changes.apply_to(channel);
        let updated = channel.clone();
        self.registry.save(&registry);
        Ok(updated)
    }

    /// Deletes channel `arn` and its stream key (the caller has checked it is not live).
    pub fn delete(&self, arn: &str) -> Result<(), Refusal> {
        if arn == self.builtin {
            return Err(Refusal::conflict("the local IVS's built-in channel cannot be deleted"));
        }
        let mut registry = self.lock();
        if !registry.channels.iter().any(|c| c.arn == arn) {
            return Err(Refusal::not_found(arn));
        }
        registry.channels.retain(|c| c.arn != arn);
        registry.keys.retain(|k| k.channel_arn != arn);
        self.registry.save(&registry);
        Ok(())
    }

    /// A new stream key for channel `channel_arn`, which has none (IVS allows one per channel).
    pub fn create_key(&self, channel_arn: &str, tags: BTreeMap<String, String>) -> Result<StreamKeyRecord, Refusal> {
        let mut registry = self.lock();
        if !registry.channels.iter().any(|c| c.arn == channel_arn) {
            return Err(Refusal::not_found(channel_arn));
        }
        if registry.keys.iter().any(|k| k.channel_arn == channel_arn) {
            return Err(Refusal::Quota("a channel has at most one stream key; delete it first".into()));
        }
        let key = new_key(channel_arn, tags);
        registry.keys.push(key.clone());
        self.registry.save(&registry);
        Ok(key)
    }

    /// The stream key `arn`.
    pub fn key(&self, arn: &str) -> Result<StreamKeyRecord, Refusal> {
        self.lock().keys.iter().find(|k| k.arn == arn).cloned().ok_or_else(|| Refusal::not_found(arn))
    }

    /// Channel `channel_arn`'s stream keys.
    pub fn keys_of(&self, channel_arn: &str) -> Result<Vec<StreamKeyRecord>, Refusal> {
        let registry = self.lock();
        if !registry.channels.iter().any(|c| c.arn == channel_arn) {
            return Err(Refusal::not_found(channel_arn));
        }
        Ok(registry.keys.iter().filter(|k| k.channel_arn == channel_arn).cloned().collect())
    }

    /// Deletes stream key `arn`: its channel takes no broadcast until it has a new one.
    pub fn delete_key(&self, arn: &str) -> Result<(), Refusal> {
        let mut registry = self.lock();
        if !registry.keys.iter().any(|k| k.arn == arn) {
            return Err(Refusal::not_found(arn));
        }
        registry.keys.retain(|k| k.arn != arn);
        self.registry.save(&registry);
        Ok(())
    }

    /// The channel whose stream key is `value` (ingest's check).
    pub fn channel_for_key(&self, value: &str) -> Option<ChannelRecord> {
        let registry = self.lock();
        let key = registry.keys.iter().find(|k| k.value == value)?;
        registry.channels.iter().find(|c| c.arn == key.channel_arn).cloned()
    }

    /// The value of channel `arn`'s stream key.
    pub fn key_of(&self, arn: &str) -> Option<String> {
        self.lock().keys.iter().find(|k| k.channel_arn == arn).map(|k| k.value.clone())
    }

    /// A channel using recording configuration `arn`.
    pub fn using_recording_configuration(&self, arn: &str) -> Option<String> {
        self.lock().channels.iter().find(|c| c.recording_configuration_arn == arn).map(|c| c.arn.clone())
    }

    /// The ARN of the channel whose playback URL names `id` (`channel.<id>.m3u8`).
    pub fn arn_of_id(&self, id: &str) -> Option<String> {
        self.lock().channels.iter().find(|c| id_of(&c.arn) == id).map(|c| c.arn.clone())
    }

    /// Whether the channel needs playback tokens.
    pub fn authorized(&self, arn: &str) -> bool {
        self.get(arn).is_some_and(|c| c.authorized)
    }

    /// A channel's playback URL, shaped as IVS's.
    pub fn playback_url(&self, arn: &str) -> String {
        format!("{}/api/video/v1/{}{}.m3u8", self.playback_base, playback_file_prefix(), id_of(arn))
    }

    /// The tags of a channel or stream key.
    pub fn tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        let registry = self.lock();
        let channel = registry.channels.iter().find(|c| c.arn == arn).map(|c| c.tags.clone());
        channel.or_else(|| registry.keys.iter().find(|k| k.arn == arn).map(|k| k.tags.clone()))
    }

    /// Changes the tags of a channel or stream key (`None`: no such resource).
    pub fn update_tags(&self, arn: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Option<Result<(), Refusal>> {
        let mut registry = self.lock();
        let registry = &mut *registry;
        let tags = match registry.channels.iter_mut().find(|c| c.arn == arn) {
            Some(channel) => &mut channel.tags,
            None => &mut registry.keys.iter_mut().find(|k| k.arn == arn)?.tags,
        };
        let changed = match changed_tags(tags, change) {
            Ok(changed) => changed,
            Err(refusal) => return Some(Err(refusal)),
        };
        *tags = changed;
        self.registry.save(registry);
        Some(Ok(()))
    }

    /// The channel as the API describes it: its summary, with where to stream and to watch.
    pub fn describe(&self, channel: &ChannelRecord) -> Value {
        let mut described = summary(channel);
        described["ingestEndpoint"] = self.ingest_endpoint.clone().into();
        described["playbackUrl"] = self.playback_url(&channel.arn).into();
        described
    }
}

/// What a channel's playback file name starts with before its ID: `us-east-1.000000000000.channel.`.
pub fn playback_file_prefix() -> String {
    format!("{REGION}.{ACCOUNT}.channel.")
}

fn summary(channel: &ChannelRecord) -> Value {
    json!({
        "arn": channel.arn,
        "name": channel.name,
        "latencyMode": channel.latency_mode,
        "type": channel.kind,
        "authorized": channel.authorized,
        "insecureIngest": channel.insecure_ingest,
        "recordingConfigurationArn": channel.recording_configuration_arn,
        "preset": channel.preset,
        "playbackRestrictionPolicyArn": channel.playback_restriction_policy_arn,
        "tags": channel.tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keys_and_urls_have_the_ivs_shapes_and_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("ivs-local-channels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("channels.json");
        let builtin = "arn:aws:ivs:us-east-1:000000000000:channel/local";
        let channels = Channels::load(Some(path.clone()), "http://127.0.0.1:8081", builtin, false);
        assert_eq!(channels.playback_url(builtin), "http://127.0.0.1:8081/api/video/v1/us-east-1.000000000000.channel.local.m3u8");
        let key = channels.lock().keys[0].clone();
        let parts: Vec<&str> = key.value.split('_').collect();
        assert_eq!((parts[0], parts[1], parts[2].len(), parts[3].len()), ("sk", "us-east-1", 12, 30));
        assert!(key.arn.starts_with("arn:aws:ivs:us-east-1:000000000000:stream-key/"));
        let again = Channels::load(Some(path), "http://127.0.0.1:8081", builtin, true);
        assert_eq!(again.lock().keys[0].value, key.value, "the built-in channel's key survives a restart");
        assert!(again.authorized(builtin), "the command line decides whether the built-in channel is private");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_service_models_constraints_are_checked() {
        let bad = |json: &str| serde_json::from_str::<ChannelSettings>(json).unwrap().validate().is_err();
        assert!(bad(r#"{"name":"has space"}"#) && bad(r#"{"latencyMode":"FAST"}"#) && bad(r#"{"type":"PREMIUM"}"#) && bad(r#"{"preset":"X"}"#));
        assert!(!bad(r#"{"name":"my-channel_1","latencyMode":"NORMAL","type":"BASIC","preset":""}"#));
    }

    #[test]
    fn a_channel_has_one_key_and_the_builtin_one_stays() {
        let builtin = "arn:aws:ivs:us-east-1:000000000000:channel/local";
        let channels = Channels::load(None, "http://127.0.0.1:8081", builtin, false);
        let (channel, key) = channels.create(ChannelSettings { name: Some("show".into()), ..Default::default() }).unwrap();
        assert!(matches!(channels.create_key(&channel.arn, BTreeMap::new()), Err(Refusal::Quota(_))));
        channels.delete_key(&key.arn).unwrap();
        let again = channels.create_key(&channel.arn, BTreeMap::new()).unwrap();
        assert_eq!(channels.channel_for_key(&again.value).map(|c| c.arn), Some(channel.arn.clone()));
        let renamed = channels.update(&channel.arn, ChannelSettings { name: Some("renamed".into()), ..Default::default() }).unwrap();
        assert_eq!((renamed.name.as_str(), renamed.latency_mode.as_str()), ("renamed", "LOW"), "only what is given changes");
        assert!(matches!(channels.delete(builtin), Err(Refusal::Conflict(_))));
        channels.delete(&channel.arn).unwrap();
        assert_eq!(channels.delete(&channel.arn), Err(Refusal::not_found(&channel.arn)));
    }
}
