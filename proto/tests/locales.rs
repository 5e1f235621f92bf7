//! The locale files (`locales/*.json`) against the viewer's code: every key the viewer uses is in
//! every locale, no locale has a key the viewer does not use, plural entries are well formed, a
//! translation leaves the same `{places}` as the English, and the start-up script speaks the
//! same locales as `ivs_proto::words::LOCALES`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ivs_proto::words::{places, Table, ENGLISH, LOCALES};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn table(locale: &str) -> Table {
    let path = root().join("locales").join(format!("{locale}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Table::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every string literal in the viewer's code that looks like a key of one of `namespaces`
/// (`"chat.send"`), with where it is.
fn used_keys(namespaces: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    for dir in ["src", "element/src", "proto/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut used = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for literal in line.split('"').skip(1).step_by(2) {
                let Some((namespace, rest)) = literal.split_once('.') else { continue };
                let is_key = !rest.is_empty()
                    && namespaces.contains(namespace)
                    && literal.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                    && !rest.ends_with("json")
                    && !rest.split('.').any(str::is_empty);
                if is_key {
                    used.entry(literal.to_owned()).or_insert_with(|| format!("{}:{}", file.strip_prefix(root()).unwrap().display(), n + 1));
                }
            }
        }
    }
    used
}

#[test]
fn every_key_used_is_in_every_locale_and_every_key_is_used() {
    let english = table(ENGLISH);
    let keys: BTreeSet<String> = english.keys().map(str::to_owned).collect();
    let namespaces: BTreeSet<String> = keys.iter().filter_map(|k| k.split_once('.')).map(|(ns, _)| ns.to_owned()).collect();
    let used = used_keys(&namespaces);
    let missing: Vec<String> = used.iter().filter(|(k, _)| !keys.contains(*k)).map(|(k, at)| format!("{k} (used at {at})")).collect();
    assert!(missing.is_empty(), "keys used but not in locales/en.json:\n{}", missing.join("\n"));
    let unused: Vec<&String> = keys.iter().filter(|k| !used.contains_key(*k)).collect();
    assert!(unused.is_empty(), "keys in locales/en.json that no code uses: {unused:?}");
    for locale in LOCALES.iter().filter(|l| **l != ENGLISH) {
        let other = table(locale);
        let theirs: BTreeSet<String> = other.keys().map(str::to_owned).collect();
        let missing: Vec<&String> = keys.difference(&theirs).collect();
        let extra: Vec<&String> = theirs.difference(&keys).collect();
        assert!(missing.is_empty() && extra.is_empty(), "locales/{locale}.json: missing {missing:?}, not used {extra:?}");
        for key in &keys {
            let english_places: BTreeSet<&str> = english.get(key).unwrap().texts().iter().flat_map(|t| places(t)).collect();
            let entry = other.get(key).unwrap();
            let mut all = BTreeSet::new();
            for text in entry.texts() {
                let own: BTreeSet<&str> = places(text).into_iter().collect();
                // A plural form may leave the count out ("one vote", Arabic's dual); none may
                // leave a place the English does not fill.
                assert!(own.is_subset(&english_places), "locales/{locale}.json: {key} leaves {own:?}, the English {english_places:?}: {text:?}");
                assert!(!text.trim().is_empty(), "locales/{locale}.json: {key} is empty");
                all.extend(own);
            }
            assert_eq!(all, english_places, "locales/{locale}.json: {key} leaves out a place the English fills");
        }
    }
}

#[test]
fn the_start_up_script_speaks_the_same_locales() {
    let boot = std::fs::read_to_string(root().join("js/boot.js")).unwrap();
    let listed = format!("var LOCALES = {};", serde_json::to_string(&LOCALES).unwrap().replace(',', ", "));
    assert!(boot.contains(&listed), "js/boot.js must list the locales as {listed}");
    for locale in LOCALES {
        assert!(root().join("locales").join(format!("{locale}.json")).exists(), "locales/{locale}.json is missing");
    }
}

#[test]
fn the_start_up_scripts_control_bar_says_the_english_words() {
    // js/boot.js's stand-in control bar carries the English words of its keys (the app has
    // English built in; other locales come from their files): each must be the file's.
    let boot = std::fs::read_to_string(root().join("js/boot.js")).unwrap();
    let english: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root().join("locales/en.json")).unwrap()).unwrap();
    let mut seen = 0;
    for line in boot.lines() {
        let Some((key, word)) = line.trim().strip_suffix(',').and_then(|entry| entry.split_once(": ")) else { continue };
        let (Ok(key), Ok(word)) = (serde_json::from_str::<String>(key), serde_json::from_str::<String>(word)) else { continue };
        if !key.starts_with("controls.") {
            continue;
        }
        assert_eq!(english[&key].as_str(), Some(word.as_str()), "js/boot.js says {key:?} as {word:?}; locales/en.json differs");
        seen += 1;
    }
    assert!(seen >= 7, "js/boot.js's control bar words were not found ({seen})");
}
