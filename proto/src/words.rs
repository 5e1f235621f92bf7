//! The viewer's words in the viewer's language: the locales it speaks, which one a viewer gets,
//! and a locale file (`locales/<locale>.json`, one a translator edits) read into a table of
//! entries — a text, or one text per plural category — with `{name}` places filled in.
//!
//! Numbers, plurals' categories, times and dates come from the browser's `Intl` (the viewer's
//! `i18n` module): no locale data is compiled in. A poll's question or a product's title is the
//! producer's and is never translated.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

/// The locales the viewer speaks, English first (the fallback for any missing word).
pub const LOCALES: [&str; 8] = ["en", "es", "pt-BR", "de", "fr", "ja", "ko", "ar"];

/// Each locale's name in its own language, as a language picker lists them.
pub const LOCALE_NAMES: [(&str, &str); 8] = [
    ("en", "English"),
    ("es", "Español"),
    ("pt-BR", "Português (Brasil)"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("ar", "العربية"),
];

/// The locale every other falls back to.
pub const ENGLISH: &str = "en";

/// Plural categories as `Intl.PluralRules` names them (CLDR); `other` is always there.
pub const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// The locale for a viewer: the first of `wanted` (the `lang` parameter, then the browser's
/// languages, in order of preference) that the viewer speaks — exactly (`pt-BR`), or by language
/// (`pt-PT` and `pt` get `pt-BR`, `es-419` gets `es`, `en-GB` gets `en`) — else English.
pub fn choose<'a>(wanted: impl IntoIterator<Item = &'a str>) -> &'static str {
    for tag in wanted {
        let tag = tag.trim();
        if let Some(exact) = LOCALES.iter().find(|l| l.eq_ignore_ascii_case(tag)) {
            return exact;
        }
        let language = tag.split(['-', '_']).next().unwrap_or_default();
        if language.is_empty() {
            continue;
        }
        if let Some(close) = LOCALES.iter().find(|l| l.split('-').next().is_some_and(|own| own.eq_ignore_ascii_case(language))) {
            return close;
        }
    }
    ENGLISH
}

/// Whether `locale` is written right to left (the layout is then mirrored).
pub fn is_rtl(locale: &str) -> bool {
    let language = locale.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    matches!(language.as_str(), "ar" | "he" | "fa" | "ur" | "ps" | "yi" | "dv" | "ckb")
}

/// One word or sentence of a locale file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Text(String),
    /// By plural category (`one`, `few`, …, `other`), for a sentence about a count.
    Plural(BTreeMap<String, String>),
}

impl Entry {
    /// Every text of the entry.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Self::Text(text) => vec![text],
            Self::Plural(forms) => forms.values().map(String::as_str).collect(),
        }
    }
}

/// Why a locale file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("not a locale file: {0}")]
    Json(String),
    #[error("{key}: a plural entry needs an `other` form and only the categories {PLURAL_CATEGORIES:?}")]
    Plural { key: String },
}

/// A locale file's entries by key (`controls.play`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table(HashMap<String, Entry>);

impl Table {
    /// Reads a locale file: an object of keys to texts or to plural forms.
    pub fn parse(json: &str) -> Result<Self, TableError> {
        let entries: HashMap<String, Entry> = serde_json::from_str(json).map_err(|e| TableError::Json(e.to_string()))?;
        for (key, entry) in &entries {
            if let Entry::Plural(forms) = entry {
                if !forms.contains_key("other") || forms.keys().any(|c| !PLURAL_CATEGORIES.contains(&c.as_str())) {
                    return Err(TableError::Plural { key: key.clone() });
                }
            }
        }
        Ok(Self(entries))
    }

    /// The text of `key`; for a plural entry, its `other` form.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.0.get(key)? {
            Entry::Text(text) => Some(text),
            Entry::Plural(forms) => forms.get("other").map(String::as_str),
        }
    }

    /// The form of `key` for plural `category` (as `Intl.PluralRules` chose it), else `other`;
    /// a plain text serves every category.
    pub fn plural(&self, key: &str, category: &str) -> Option<&str> {
        match self.0.get(key)? {
            Entry::Text(text) => Some(text),
            Entry::Plural(forms) => forms.get(category).or_else(|| forms.get("other")).map(String::as_str),
        }
    }

    /// The entry of `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.0.get(key)
    }

    /// Every key, in no order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// `template` with each `{name}` replaced by its value from `args` (an unknown place is left as
/// written, so a mistake shows rather than vanishes).
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if args.iter().any(|(n, _)| *n == name) => {
                out.push_str(args.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` places a text leaves for values.
pub fn places(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .match_indices('{')
        .filter_map(|(at, _)| {
            let after = &text[at + 1..];
            let name = &after[..after.find('}')?];
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_gets_the_first_language_it_asked_for_that_is_spoken() {
        assert_eq!(choose(["ja"]), "ja");
        assert_eq!(choose(["pt-BR"]), "pt-BR");
        assert_eq!(choose(["PT-br"]), "pt-BR");
        // By language when the region is another.
        assert_eq!(choose(["pt-PT"]), "pt-BR");
        assert_eq!(choose(["pt"]), "pt-BR");
        assert_eq!(choose(["es-419"]), "es");
        assert_eq!(choose(["en-GB"]), "en");
        assert_eq!(choose(["ar-EG"]), "ar");
        assert_eq!(choose(["de_AT"]), "de");
        // The first spoken one, in order.
        assert_eq!(choose(["sv", "nl-BE", "fr-CA", "de"]), "fr");
        // None spoken, or nothing asked: English.
        assert_eq!(choose(["sv", "zh-CN"]), "en");
        assert_eq!(choose([]), "en");
        assert_eq!(choose(["", "  "]), "en");
    }

    #[test]
    fn every_locale_has_its_own_name() {
        assert_eq!(LOCALE_NAMES.map(|(l, _)| l), LOCALES);
    }

    #[test]
    fn arabic_is_written_right_to_left() {
        assert!(is_rtl("ar"));
        assert!(is_rtl("ar-EG"));
        assert!(is_rtl("he"));
        assert!(!is_rtl("en"));
        assert!(!is_rtl("ja"));
        assert!(!is_rtl("pt-BR"));
    }

    #[test]
    fn a_locale_file_reads_texts_and_plural_forms() {
        let table = Table::parse(r#"{"a.b": "Play", "viewers.watching": {"one": "{count} watching", "other": "{count} watching now"}}"#).unwrap();
        assert_eq!(table.text("a.b"), Some("Play"));
        assert_eq!(table.plural("viewers.watching", "one"), Some("{count} watching"));
        assert_eq!(table.plural("viewers.watching", "few"), Some("{count} watching now"));
        assert_eq!(table.text("viewers.watching"), Some("{count} watching now"));
        assert_eq!(table.plural("a.b", "many"), Some("Play"));
        assert_eq!(table.text("missing"), None);
    }

    #[test]
    fn a_plural_entry_without_other_or_with_an_unknown_category_is_refused() {
        assert!(matches!(Table::parse(r#"{"x": {"one": "a"}}"#), Err(TableError::Plural { .. })));
        assert!(matches!(Table::parse(r#"{"x": {"other": "a", "several": "b"}}"#), Err(TableError::Plural { .. })));
        assert!(matches!(Table::parse(r#"["x"]"#), Err(TableError::Json(_))));
    }

    #[test]
    fn places_are_filled_by_name_and_unknown_ones_are_left_as_written() {
        assert_eq!(fill("{count} watching", &[("count", "1,234")]), "1,234 watching");
        assert_eq!(fill("in {secs} s, {secs}!", &[("secs", "3")]), "in 3 s, 3!");
        assert_eq!(fill("{who} said {what}", &[("who", "Ana")]), "Ana said {what}");
        assert_eq!(fill("no places {", &[]), "no places {");
        assert_eq!(fill("مرحبا {name}", &[("name", "Ana")]), "مرحبا Ana");
        assert_eq!(places("{count} of {total}, {count}"), vec!["count", "total"]);
        assert_eq!(places("a { b } {ok}"), vec!["ok"]);
    }
}
