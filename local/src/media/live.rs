//! The account's channels' broadcasts, by channel ARN.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::channel::Channel;

/// The account's channels' broadcasts, by channel ARN; cheap to clone.
#[derive(Clone)]
pub struct Live {
    channels: Arc<Mutex<BTreeMap<String, Channel>>>,
    window_secs: f64,
}

impl Live {
    pub fn new(window_secs: f64) -> Self {
        Self { channels: Arc::default(), window_secs }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The channel `arn`'s broadcasts (created, offline, on first use).
    pub fn channel(&self, arn: &str) -> Channel {
        self.lock().entry(arn.to_owned()).or_insert_with(|| Channel::new(self.window_secs)).clone()
    }

    /// The channel `arn`'s broadcasts, if it ever had one.
    pub fn get(&self, arn: &str) -> Option<Channel> {
        self.lock().get(arn).cloned()
    }

    /// Every channel that ever broadcast, by ARN.
    pub fn all(&self) -> Vec<(String, Channel)> {
        self.lock().iter().map(|(arn, c)| (arn.clone(), c.clone())).collect()
    }

    /// Forgets a deleted channel.
    pub fn remove(&self, arn: &str) {
        self.lock().remove(arn);
    }
}
