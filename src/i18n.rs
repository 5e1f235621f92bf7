//! Every word the viewer shows, in the viewer's language: English is compiled in (and fills any
//! gap); another locale's file (`locales/<locale>.json`) is read once before the app mounts. The
//! locale comes from the `lang` parameter, else the browser's languages, else English
//! (`ivs_proto::words::choose`); numbers, plural forms and times of day through the browser's
//! `Intl`. Text a producer or a viewer wrote (a poll's question, a chat message) is never passed
//! through here.

use std::cell::RefCell;

use ivs_proto::words::{self, ENGLISH};

use crate::bindings::intl::{self, Formats, WordTable};

const ENGLISH_FILE: &str = include_str!("../locales/en.json");

struct Words {
    locale: &'static str,
    table: Option<WordTable>,
    formats: Formats,
}

thread_local! {
    static ENGLISH_TABLE: Option<WordTable> = WordTable::parse(ENGLISH_FILE);
    /// English's formats, until [`start`] has chosen (made once, not per word).
    static ENGLISH_FORMATS: Formats = Formats::new(ENGLISH);
    static WORDS: RefCell<Option<Words>> = const { RefCell::new(None) };
}

/// Chooses the viewer's locale and reads its file, then marks the document — or `within`, an
/// element on another site's page — with its language and direction. `lang` is what the page or
/// the embedding site asked for; `folder` is where the `locales/` folder is, for a file the
/// start-up script did not already ask for.
pub async fn start(lang: Option<String>, folder: &str, within: Option<web_sys::Element>) {
    // One language a page: a second viewer on it (another `<ivs-viewer>`) speaks the first's.
    if let Some(locale) = WORDS.with(|w| w.borrow().as_ref().map(|w| w.locale)) {
        intl::set_language(within, locale, words::is_rtl(locale));
        return;
    }
    let preloaded = if within.is_none() { intl::preloaded_words() } else { None };
    let (locale, text) = match preloaded {
        Some((locale, text)) => {
            let locale = words::choose([locale.as_str()]);
            (locale, text.await.ok().and_then(|t| t.as_string()))
        }
        None => {
            let browser = intl::browser_languages();
            let locale = words::choose(lang.iter().map(String::as_str).chain(browser.iter().map(String::as_str)));
            let text = if locale == ENGLISH { None } else { crate::bindings::fetch::fetch_file(&format!("{folder}locales/{locale}.json")).await.ok() };
            (locale, text)
        }
    };
    let table = match text.as_deref().map(WordTable::parse) {
        Some(Some(table)) => Some(table),
        Some(None) => {
            log::warn!("the words for {locale} cannot be read: English instead");
            None
        }
        None if locale != ENGLISH => {
            log::warn!("the words for {locale} could not be fetched: English instead");
            None
        }
        None => None,
    };
    let locale = if table.is_some() { locale } else { ENGLISH };
    intl::set_language(within, locale, words::is_rtl(locale));
    WORDS.with(|w| *w.borrow_mut() = Some(Words { locale, table, formats: Formats::new(locale) }));
}

/// The locale the viewer speaks (`en` until [`start`] has run).
pub fn locale() -> &'static str {
    WORDS.with(|w| w.borrow().as_ref().map_or(ENGLISH, |w| w.locale))
}

/// Runs `f` with the formats of the viewer's locale.
fn with_formats<T>(f: impl FnOnce(&Formats) -> T) -> T {
    WORDS.with(|w| {
        let words = w.borrow();
        match words.as_ref() {
            Some(words) => f(&words.formats),
            None => ENGLISH_FORMATS.with(f),
        }
    })
}

/// The text of `key` for plural `category` (`None`: not about a count), in the viewer's
/// language, else English, else the key itself (so a gap shows, and a test finds it).
fn lookup(key: &str, category: Option<&str>) -> String {
    let pick = |table: &Option<WordTable>| table.as_ref().and_then(|t| t.get(key, category));
    WORDS.with(|w| w.borrow().as_ref().and_then(|w| pick(&w.table))).or_else(|| ENGLISH_TABLE.with(pick)).unwrap_or_else(|| key.to_owned())
}

/// The words of `key`.
pub fn t(key: &str) -> String {
    lookup(key, None)
}

/// The words of `key` with its `{name}` places filled from `args`.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    words::fill(&lookup(key, None), args)
}

/// The words of `key` about `count` (the form its plural category takes), with `{count}` the
/// number as the locale writes it and the other places from `args`.
pub fn tn(key: &str, count: f64, args: &[(&str, &str)]) -> String {
    let (category, number) = with_formats(|f| (f.plural_category(count), f.number(count)));
    let mut all = vec![("count", number.as_str())];
    all.extend_from_slice(args);
    words::fill(&lookup(key, Some(&category)), &all)
}

/// The words of `key` about `count`, as [`tn`], with `{count}` shortened (`1.2K`).
pub fn tn_compact(key: &str, count: f64) -> String {
    let (category, number) = with_formats(|f| (f.plural_category(count), f.compact(count)));
    words::fill(&lookup(key, Some(&category)), &[("count", number.as_str())])
}

/// `n` as the viewer's locale writes it.
pub fn number(n: f64) -> String {
    with_formats(|f| f.number(n))
}

/// A stats figure as the viewer's locale writes it.
pub fn figure(figure: &ivs_proto::controls::Figure) -> String {
    use ivs_proto::controls::Figure;
    match figure {
        Figure::Unknown => "—".to_owned(),
        Figure::Text(text) => text.clone(),
        Figure::Size(w, h) => format!("{} × {}", number(f64::from(*w)), number(f64::from(*h))),
        Figure::Bitrate(bps) if *bps >= 1_000_000.0 => intl::unit_short(locale(), bps / 1_000_000.0, "megabit-per-second", 1),
        Figure::Bitrate(bps) => intl::unit_short(locale(), (bps / 1000.0).round(), "kilobit-per-second", 0),
        Figure::Seconds(secs) => intl::unit_short(locale(), *secs, "second", 1),
        Figure::Count(n) => number(*n as f64),
    }
}

/// `n` percent as the viewer's locale writes it.
pub fn percent(n: f64) -> String {
    with_formats(|f| f.percent(n / 100.0))
}

/// The time of day of `ms` since the epoch, as the viewer's locale writes it.
pub fn clock(ms: f64) -> String {
    with_formats(|f| f.clock(ms))
}

/// A countdown or a length of time, `m:ss` in the locale's digits (`countdown_parts` rounds).
pub fn countdown(secs: f64) -> String {
    let (minutes, seconds) = ivs_proto::overlay::countdown_parts(secs);
    with_formats(|f| format!("{}:{}", f.number(minutes as f64), f.two_digits(seconds as f64)))
}

/// What the site server's refusal `body` (`{"error", "code"}`) says, in the viewer's language
/// when its code is one the viewer knows, else in the server's words; `fallback` when the body
/// says nothing readable.
pub fn server_words(body: &str, fallback: &str) -> String {
    match serde_json::from_str::<ivs_proto::site::ErrorAnswer>(body) {
        Ok(answer) => refusal_words(answer.code.as_deref(), Some(&answer.error), fallback),
        Err(_) => t(fallback),
    }
}

/// A refusal's words from its `code` and the server's English `words`, as [`server_words`].
pub fn refusal_words(code: Option<&str>, words: Option<&str>, fallback: &str) -> String {
    match (code.and_then(ivs_proto::site::ErrorCode::parse), words.filter(|w| !w.trim().is_empty())) {
        (Some(code), _) => t(code.key()),
        (None, Some(words)) => ivs_proto::capitalise(words),
        (None, None) => t(fallback),
    }
}
