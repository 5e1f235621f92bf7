//! What the local IVS keeps across restarts (channels and their keys, recording configurations,
//! playback key pairs): each kind in a JSON file of its own under the data directory, read once
//! at start and written whole after every change.
//!
//! A change is written to a file beside the old one, then renamed over it, so a crash mid-write
//! leaves the old file, not half of a new one. A file that is there but cannot be read (edited by
//! hand, from a newer version) is set aside under a new name, with a warning, rather than
//! overwritten by the next change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A value shared by the API's handlers and kept in a JSON file (none: in memory only).
pub struct JsonFile<T> {
    value: Arc<Mutex<T>>,
    path: Option<PathBuf>,
    /// What the file holds, for the log ("the channels").
    what: &'static str,
}

impl<T> Clone for JsonFile<T> {
    fn clone(&self) -> Self {
        Self { value: Arc::clone(&self.value), path: self.path.clone(), what: self.what }
    }
}

impl<T: Serialize + DeserializeOwned + Default> JsonFile<T> {
    /// The value kept in `path`; the default when there is no file yet, or it was set aside.
    pub fn load(path: Option<PathBuf>, what: &'static str) -> Self {
        let value = path.as_deref().map(|path| read(path, what)).unwrap_or_default();
        Self { value: Arc::new(Mutex::new(value)), path, what }
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.value.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `value` (what `lock` gave, changed); a failure is logged and the change stays in memory.
    pub fn save(&self, value: &T) {
        let Some(path) = &self.path else { return };
        if let Err(e) = write(path, value) {
            tracing::warn!("cannot keep {} in {}: {e}", self.what, path.display());
        }
    }
}

fn read<T: DeserializeOwned + Default>(path: &Path, what: &str) -> T {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return T::default(),
        Err(e) => {
            // Unreadable now (permissions, a directory): start empty, and say why; a later
            // change may still be written there if the cause is fixed meanwhile.
            tracing::warn!("cannot read {what} from {}: {e}; starting without them", path.display());
            return T::default();
        }
    };
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => {
            let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let aside = path.with_extension(format!("unreadable-{seconds}.json"));
            match std::fs::rename(path, &aside) {
                Ok(()) => tracing::warn!("{} is not {what} as this version keeps them ({e}); set aside as {}", path.display(), aside.display()),
                Err(rename) => tracing::warn!("{} is not {what} as this version keeps them ({e}), and cannot be set aside: {rename}", path.display()),
            }
            T::default()
        }
    }
}

fn write<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, json)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Things {
        names: Vec<String>,
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ivs-local-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_change_is_there_after_a_restart() {
        let dir = scratch("restart");
        let path = dir.join("things.json");
        let store = JsonFile::<Things>::load(Some(path.clone()), "the things");
        assert_eq!(*store.lock(), Things::default(), "no file yet");
        let mut things = store.lock();
        things.names.push("one".into());
        store.save(&things);
        drop(things);

        let again = JsonFile::<Things>::load(Some(path.clone()), "the things");
        assert_eq!(again.lock().names, ["one"]);
        assert!(!dir.join("things.json.partial").exists(), "the partial file was renamed over the old one");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unreadable_file_is_set_aside_not_overwritten() {
        let dir = scratch("unreadable");
        let path = dir.join("things.json");
        std::fs::write(&path, "{ \"names\": [\"kept by hand\", ").unwrap();
        let store = JsonFile::<Things>::load(Some(path.clone()), "the things");
        assert_eq!(*store.lock(), Things::default());
        store.save(&Things { names: vec!["new".into()] });

        let aside: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.contains("unreadable")).collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(aside[0].starts_with("things.unreadable-") && aside[0].ends_with(".json"), "{aside:?}");
        assert_eq!(std::fs::read_to_string(dir.join(&aside[0])).unwrap(), "{ \"names\": [\"kept by hand\", ", "the old text, as it was");
        assert_eq!(JsonFile::<Things>::load(Some(path), "the things").lock().names, ["new"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
