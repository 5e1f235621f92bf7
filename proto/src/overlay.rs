//! The timed-metadata schema: what the text of a `TEXT_METADATA_CUE` may say.
//!
//! A broadcaster's backend calls `PutMetadata` with a JSON string; the player hands the same string
//! to the viewer at that position of the stream. [`parse_cue`] turns it into an [`Overlay`] or says
//! precisely why it will not be shown. Anything unknown or malformed is refused — the viewer logs
//! the reason and shows nothing, so a bad payload can never break the page.
//!
//! A payload is plain JSON, or the same JSON compressed with lz-string (`compressToBase64`), as
//! one public IVS sample sends it. `docs/metadata.md` documents every type.
//!
//! One cohesive thing, kept whole (with its tests, over 500 lines): the metadata schema, read in
//! one place.

use serde::Deserialize;
use thiserror::Error;

use crate::url::{SafeUrl, UrlError};
use crate::MAX_METADATA_BYTES;

/// The schema version this viewer understands; payloads may omit `"v"`.
pub const SCHEMA_VERSION: u64 = 1;

/// Limits on the fields of a payload (in Unicode scalar values).
pub mod limits {
    pub const QUESTION: usize = 200;
    pub const OPTION: usize = 80;
    pub const MIN_OPTIONS: usize = 2;
    pub const MAX_OPTIONS: usize = 5;
    pub const ID: usize = 64;
    pub const TITLE: usize = 120;
    pub const PRICE: usize = 32;
    /// Poll duration in seconds.
    pub const MIN_DURATION: f64 = 1.0;
    pub const MAX_DURATION: f64 = 3600.0;
    pub const NOTICE: usize = 200;
    /// Notice duration in seconds (default 10).
    pub const MAX_NOTICE_DURATION: f64 = 600.0;
    /// The most a compressed payload may expand to, in bytes.
    pub const MAX_EXPANDED: usize = 8 * 1024;
    /// How many earlier products the tray keeps.
    pub const TRAY: usize = 5;
}

/// A validated overlay.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Poll(Poll),
    /// Ends the poll with this id now (votes stop; viewers see the result).
    PollClose {
        id: String,
    },
    Product(Product),
    Quiz(Quiz),
    Notice(Notice),
    /// Removes whatever overlay is showing.
    Clear,
}

/// A quiz question: the viewer picks an answer, and sees whether it was right when it closes.
#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    pub id: String,
    pub question: String,
    pub answers: Vec<String>,
    pub correct_index: usize,
    pub duration_secs: f64,
}

/// A timed banner.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub duration_secs: f64,
}

/// A live poll: a question with 2 to 5 options, open for `duration_secs` of stream time.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// Stable identifier; derived from the content when the payload has none.
    pub id: String,
    pub question: String,
    pub options: Vec<String>,
    pub duration_secs: f64,
}

impl Poll {
    /// Seconds left at stream position `position`, for a poll whose cue started at `cue_start`
    /// (both in the player's position clock, so the countdown follows the stream, not the wall).
    pub fn remaining_secs(&self, cue_start: f64, position: f64) -> f64 {
        remaining(self.duration_secs, cue_start, position)
    }
}

/// Seconds left of `duration` at stream position `position` for a cue that started at
/// `cue_start`; a position before the cue (the viewer seeked back) shows the whole duration.
fn remaining(duration: f64, cue_start: f64, position: f64) -> f64 {
    (duration - (position - cue_start).max(0.0)).clamp(0.0, duration)
}

/// A countdown as the viewer reads it, `m:ss`: its minutes and seconds, whole seconds rounded
/// up (the viewer writes them in the locale's digits).
pub fn countdown_parts(secs: f64) -> (u64, u64) {
    let whole = if secs.is_finite() { secs.max(0.0).ceil() as u64 } else { 0 };
    (whole / 60, whole % 60)
}

/// A product card.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub title: String,
    pub price: String,
    pub image_url: SafeUrl,
    pub url: SafeUrl,
}

/// What is on screen: at most one poll, one quiz, one notice and one product card, plus a tray of
/// earlier products.
///
/// A new poll (quiz, notice, product) replaces the previous one, and a clear removes everything
/// but the tray. Timed slots remember the stream position of the cue that filled them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    /// The poll and its cue's start time.
    pub poll: Option<(Poll, f64)>,
    /// The poll was ended early by a `poll-close` cue.
    pub poll_closed: bool,
    pub quiz: Option<(Quiz, f64)>,
    /// The viewer's answer to the current quiz.
    pub quiz_choice: Option<usize>,
    pub notice: Option<(Notice, f64)>,
    /// The product card.
    pub product: Option<Product>,
    /// Earlier products, newest first.
    pub tray: Vec<Product>,
}

impl Board {
    /// Applies an overlay that arrived in a cue starting at `cue_start`.
    pub fn apply(&mut self, overlay: Overlay, cue_start: f64) {
        match overlay {
            Overlay::Poll(poll) => {
                let same = self.poll.as_ref().is_some_and(|(p, _)| p.id == poll.id);
                if !same {
                    self.poll_closed = false;
                }
                self.poll = Some((poll, cue_start));
            }
            Overlay::PollClose { id } => {
                if self.poll.as_ref().is_some_and(|(p, _)| p.id == id) {
                    self.poll_closed = true;
                }
            }
            Overlay::Quiz(quiz) => {
                if self.quiz.as_ref().is_none_or(|(q, _)| q.id != quiz.id) {
                    self.quiz_choice = None;
                }
                self.quiz = Some((quiz, cue_start));
            }
            Overlay::Notice(notice) => self.notice = Some((notice, cue_start)),
            Overlay::Product(product) => {
                if let Some(previous) = self.product.replace(product.clone()) {
                    self.keep_in_tray(previous);
                }
                self.tray.retain(|p| p.url != product.url);
            }
            Overlay::Clear => {
                let tray = std::mem::take(&mut self.tray);
                let product = self.product.take();
                *self = Self { tray, ..Self::default() };
                if let Some(product) = product {
                    self.keep_in_tray(product);
                }
            }
        }
    }

    fn keep_in_tray(&mut self, product: Product) {
        self.tray.retain(|p| p.url != product.url);
        self.tray.insert(0, product);
        self.tray.truncate(limits::TRAY);
    }

    /// Removes the product card (the viewer dismissed it); it stays in the tray.
    pub fn dismiss_product(&mut self) {
        if let Some(product) = self.product.take() {
            self.keep_in_tray(product);
        }
    }

    /// Records the viewer's quiz answer (once, while the quiz is open).
    pub fn choose(&mut self, answer: usize, position: f64) {
        if let Some((quiz, start)) = &self.quiz {
            if self.quiz_choice.is_none() && answer < quiz.answers.len() && quiz.remaining_secs(*start, position) > 0.0 {
                self.quiz_choice = Some(answer);
            }
        }
    }
}

impl Quiz {
    /// Seconds left at stream position `position` (as [`Poll::remaining_secs`]).
    pub fn remaining_secs(&self, cue_start: f64, position: f64) -> f64 {
        remaining(self.duration_secs, cue_start, position)
    }
}

impl Notice {
    pub fn visible(&self, cue_start: f64, position: f64) -> bool {
        position >= cue_start - 1.0 && position < cue_start + self.duration_secs
    }
}

/// A viewer's running quiz score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    scored: Vec<String>,
    pub answered: u32,
    pub correct: u32,
}

impl Score {
    /// Counts a closed quiz once: answered if the viewer chose, correct if it chose right.
    pub fn record(&mut self, quiz: &Quiz, choice: Option<usize>) {
        if self.scored.iter().any(|id| id == &quiz.id) {
            return;
        }
        self.scored.push(quiz.id.clone());
        if let Some(choice) = choice {
            self.answered += 1;
            self.correct += u32::from(choice == quiz.correct_index);
        }
    }
}

/// Why a cue's text is not shown.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OverlayError {
    #[error("payload is {0} bytes; the limit is {MAX_METADATA_BYTES}")]
    TooLarge(usize),
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    #[error("payload is not a JSON object")]
    NotObject,
    #[error("payload has no \"type\"")]
    MissingType,
    #[error("unknown overlay type {0:?}")]
    UnknownType(String),
    #[error("unsupported schema version {0}")]
    Version(u64),
    #[error("field {field}: {reason}")]
    Field { field: &'static str, reason: String },
}

impl OverlayError {
    fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Field { field, reason: reason.into() }
    }
}

/// Every field any overlay type has, read in one pass (one deserializer for the whole schema,
/// not a generic JSON value read twice); each type then takes the fields it needs.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawCue {
    v: Option<Scalar>,
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    question: Option<String>,
    options: Option<Vec<String>>,
    answers: Option<Vec<String>>,
    correct_index: Option<usize>,
    duration: Option<f64>,
    text: Option<String>,
    title: Option<String>,
    price: Option<Scalar>,
    image_url: Option<String>,
    url: Option<String>,
}

/// A JSON string or number (a price, the schema version) as written, or another kind of value.
enum Scalar {
    Text(String),
    Number(String, Option<u64>),
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v.to_string(), Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v.to_string(), None))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v.to_string(), None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A field the overlay's type requires.
fn required<T>(field: &'static str, value: Option<T>) -> Result<T, OverlayError> {
    value.ok_or_else(|| OverlayError::field(field, "is missing"))
}

/// Parses and validates a cue's text.
pub fn parse_cue(text: &str) -> Result<Overlay, OverlayError> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(OverlayError::TooLarge(text.len()));
    }
    let trimmed = text.trim_start();
    let expanded;
    let json = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        text
    } else {
        expanded = expand(trimmed)?;
        &expanded
    };
    let raw: RawCue = serde_json::from_str(json).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data if !json.trim_start().starts_with('{') => OverlayError::NotObject,
            Category::Data => OverlayError::field("payload", e.to_string()),
            _ => OverlayError::NotJson(e.to_string()),
        }
    })?;
    match raw.v {
        None => {}
        Some(Scalar::Number(_, Some(SCHEMA_VERSION))) => {}
        Some(Scalar::Number(_, v)) => return Err(OverlayError::Version(v.unwrap_or(0))),
        Some(_) => return Err(OverlayError::Version(0)),
    }
    let kind = raw.kind.as_deref().ok_or(OverlayError::MissingType)?;
    match kind {
        "poll" => poll(raw).map(Overlay::Poll),
        "product" => product(raw).map(Overlay::Product),
        "poll-close" => Ok(Overlay::PollClose { id: self::text("id", &required("id", raw.id)?, limits::ID)? }),
        "quiz" => quiz(raw).map(Overlay::Quiz),
        "notice" => {
            let duration = raw.duration.unwrap_or(10.0);
            if !duration.is_finite() || !(limits::MIN_DURATION..=limits::MAX_NOTICE_DURATION).contains(&duration) {
                return Err(OverlayError::field("duration", format!("must be {} to {} seconds", limits::MIN_DURATION, limits::MAX_NOTICE_DURATION)));
            }
            Ok(Overlay::Notice(Notice { text: self::text("text", &required("text", raw.text)?, limits::NOTICE)?, duration_secs: duration }))
        }
        "clear" => Ok(Overlay::Clear),
        other => Err(OverlayError::UnknownType(other.chars().take(40).collect())),
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, OverlayError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(OverlayError::field(field, "is empty"));
    }
    if value.chars().count() > max {
        return Err(OverlayError::field(field, format!("is longer than {max} characters")));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(OverlayError::field(field, "contains control characters"));
    }
    Ok(value.to_owned())
}

fn poll(raw: RawCue) -> Result<Poll, OverlayError> {
    let question = text("question", &required("question", raw.question)?, limits::QUESTION)?;
    let options = choices("options", &required("options", raw.options)?)?;
    let duration_secs = duration(required("duration", raw.duration)?)?;
    let id = match raw.id {
        Some(id) => text("id", &id, limits::ID)?,
        None => content_id("poll", &question, &options),
    };
    Ok(Poll { id, question, options, duration_secs })
}

/// A payload compressed with lz-string's `compressToBase64`, expanded (bounded).
fn expand(text: &str) -> Result<String, OverlayError> {
    let not_json = || OverlayError::NotJson("neither JSON nor lz-string base64".into());
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
        return Err(not_json());
    }
    let units = lz_str::decompress_from_base64(text).ok_or_else(not_json)?;
    if units.len() * 3 > limits::MAX_EXPANDED * 3 || units.is_empty() {
        return Err(OverlayError::TooLarge(units.len()));
    }
    let expanded = String::from_utf16(&units).map_err(|_| not_json())?;
    if expanded.len() > limits::MAX_EXPANDED {
        return Err(OverlayError::TooLarge(expanded.len()));
    }
    Ok(expanded)
}

fn choices(field: &'static str, raw: &[String]) -> Result<Vec<String>, OverlayError> {
    if !(limits::MIN_OPTIONS..=limits::MAX_OPTIONS).contains(&raw.len()) {
        return Err(OverlayError::field(field, format!("needs {} to {} {field}, got {}", limits::MIN_OPTIONS, limits::MAX_OPTIONS, raw.len())));
    }
    raw.iter().map(|o| text(field, o, limits::OPTION)).collect()
}

fn duration(raw: f64) -> Result<f64, OverlayError> {
    if !raw.is_finite() || !(limits::MIN_DURATION..=limits::MAX_DURATION).contains(&raw) {
        return Err(OverlayError::field("duration", format!("must be {} to {} seconds", limits::MIN_DURATION, limits::MAX_DURATION)));
    }
    Ok(raw)
}

fn quiz(raw: RawCue) -> Result<Quiz, OverlayError> {
    let question = text("question", &required("question", raw.question)?, limits::QUESTION)?;
    let answers = choices("answers", &required("answers", raw.answers)?)?;
    let correct_index = required("correctIndex", raw.correct_index)?;
    if correct_index >= answers.len() {
        return Err(OverlayError::field("correctIndex", "is not one of the answers"));
    }
    let id = match raw.id {
        Some(id) => text("id", &id, limits::ID)?,
        None => content_id("quiz", &question, &answers),
    };
    Ok(Quiz { id, question, answers, correct_index, duration_secs: duration(required("duration", raw.duration)?)? })
}

fn product(raw: RawCue) -> Result<Product, OverlayError> {
    let price = match required("price", raw.price)? {
        Scalar::Text(s) | Scalar::Number(s, _) => text("price", &s, limits::PRICE)?,
        Scalar::Other => return Err(OverlayError::field("price", "must be a string or a number")),
    };
    let link =
        |field: &'static str, raw: Option<String>| SafeUrl::parse(&required(field, raw)?).map_err(|e: UrlError| OverlayError::field(field, e.to_string()));
    Ok(Product {
        title: text("title", &required("title", raw.title)?, limits::TITLE)?,
        price,
        image_url: link("imageUrl", raw.image_url)?,
        url: link("url", raw.url)?,
    })
}

/// A stable id for a poll or quiz without one: `kind-` and FNV-1a over its question and choices.
fn content_id(kind: &str, question: &str, options: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in std::iter::once(question).chain(options.iter().map(String::as_str)) {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{kind}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<Overlay, OverlayError>) -> &'static str {
        match result {
            Err(OverlayError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_seed_poll() {
        let overlay =
            parse_cue(r#"{"type":"poll","question":"Which feature should we build next?","options":["Dark mode","Mobile app","API v2"],"duration":30}"#)
                .unwrap();
        let Overlay::Poll(poll) = overlay else { panic!("not a poll") };
        assert_eq!(poll.question, "Which feature should we build next?");
        assert_eq!(poll.options, ["Dark mode", "Mobile app", "API v2"]);
        assert_eq!(poll.duration_secs, 30.0);
        assert!(poll.id.starts_with("poll-"));
    }

    #[test]
    fn poll_ids_are_kept_or_derived_stably() {
        let with_id = parse_cue(r#"{"type":"poll","id":"p1","question":"Q","options":["a","b"],"duration":5}"#).unwrap();
        assert!(matches!(with_id, Overlay::Poll(Poll { ref id, .. }) if id == "p1"));
        let a = parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":5}"#).unwrap();
        let b = parse_cue(r#"{"duration":9,"options":["a","b"],"question":"Q","type":"poll"}"#).unwrap();
        let c = parse_cue(r#"{"type":"poll","question":"Q","options":["a","c"],"duration":5}"#).unwrap();
        let id = |o: Overlay| match o {
            Overlay::Poll(p) => p.id,
            _ => unreachable!(),
        };
        let (a, b, c) = (id(a), id(b), id(c));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn poll_validation_names_the_field() {
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a"],"duration":5}"#)), "options");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b","c","d","e","f"],"duration":5}"#)), "options");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a",""],"duration":5}"#)), "options");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"  ","options":["a","b"],"duration":5}"#)), "question");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":0}"#)), "duration");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":1e9}"#)), "duration");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"]}"#)), "duration");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":"a, b","duration":5}"#)), "payload");
        let long = format!(r#"{{"type":"poll","question":"{}","options":["a","b"],"duration":5}}"#, "x".repeat(201));
        assert_eq!(field_of(parse_cue(&long)), "question");
    }

    #[test]
    fn countdown_runs_in_stream_time() {
        let Overlay::Poll(poll) = parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":30}"#).unwrap() else { unreachable!() };
        assert_eq!(poll.remaining_secs(100.0, 100.0), 30.0);
        assert_eq!(poll.remaining_secs(100.0, 112.5), 17.5);
        assert_eq!(poll.remaining_secs(100.0, 200.0), 0.0);
        // A position before the cue (the viewer seeked back) shows the full duration.
        assert_eq!(poll.remaining_secs(100.0, 90.0), 30.0);
    }

    #[test]
    fn countdown_format() {
        assert_eq!(countdown_parts(0.0), (0, 0));
        assert_eq!(countdown_parts(0.2), (0, 1));
        assert_eq!(countdown_parts(59.5), (1, 0));
        assert_eq!(countdown_parts(125.0), (2, 5));
        assert_eq!(countdown_parts(-3.0), (0, 0));
        assert_eq!(countdown_parts(f64::NAN), (0, 0));
    }

    #[test]
    fn parses_a_product_with_checked_links() {
        let overlay =
            parse_cue(r#"{"type":"product","title":"Mug","price":12.5,"imageUrl":"https://cdn.example/mug.png","url":"https://shop.example/mug"}"#).unwrap();
        let Overlay::Product(product) = overlay else { panic!("not a product") };
        assert_eq!(product.title, "Mug");
        assert_eq!(product.price, "12.5");
        assert_eq!(product.url.as_str(), "https://shop.example/mug");
        let hostile = r#"{"type":"product","title":"Mug","price":"$1","imageUrl":"https://cdn.example/m.png","url":"javascript:alert(1)"}"#;
        assert_eq!(field_of(parse_cue(hostile)), "url");
    }

    #[test]
    fn clear_and_refusals() {
        assert_eq!(parse_cue(r#"{"type":"clear"}"#), Ok(Overlay::Clear));
        assert_eq!(parse_cue(r#"{"type":"clear","v":1}"#), Ok(Overlay::Clear));
        assert_eq!(parse_cue(r#"{"type":"clear","v":2}"#), Err(OverlayError::Version(2)));
        assert_eq!(parse_cue(r#"{"type":"confetti"}"#), Err(OverlayError::UnknownType("confetti".into())));
        assert_eq!(parse_cue(r#"{"question":"?"}"#), Err(OverlayError::MissingType));
        assert_eq!(parse_cue("[1,2]"), Err(OverlayError::NotObject));
        assert!(matches!(parse_cue("<script>alert(1)</script>"), Err(OverlayError::NotJson(_))));
        assert_eq!(parse_cue(&"x".repeat(1025)), Err(OverlayError::TooLarge(1025)));
        // Deep nesting costs no stack: an unknown field's value is skipped without recursing, a
        // known field's is refused at its first wrong bracket.
        let deep = |field: &str| format!(r#"{{"type":"clear","{field}":{}{}}}"#, "[".repeat(400), "]".repeat(400));
        assert_eq!(parse_cue(&deep("extra")), Ok(Overlay::Clear));
        assert_eq!(field_of(parse_cue(&deep("options"))), "payload");
        assert_eq!(parse_cue(&format!("{}{}", "[".repeat(500), "]".repeat(500))), Err(OverlayError::NotObject));
        assert_eq!(parse_cue(r#"{"type":"clear","v":"1"}"#), Err(OverlayError::Version(0)));
    }

    #[test]
    fn board_keeps_one_poll_and_one_product_card() {
        let mut board = Board::default();
        let poll = |q: &str| parse_cue(&format!(r#"{{"type":"poll","question":"{q}","options":["a","b"],"duration":5}}"#)).unwrap();
        let product = parse_cue(r#"{"type":"product","title":"Mug","price":"$1","imageUrl":"https://e.com/i.png","url":"https://e.com"}"#).unwrap();
        board.apply(poll("one"), 10.0);
        board.apply(product, 11.0);
        board.apply(poll("two"), 12.0);
        let (current, start) = board.poll.clone().unwrap();
        assert_eq!((current.question.as_str(), start), ("two", 12.0));
        assert!(board.product.is_some());
        board.dismiss_product();
        assert!(board.product.is_none());
        assert_eq!(board.tray.len(), 1, "a dismissed product stays in the tray");
        board.apply(Overlay::Clear, 13.0);
        assert!(board.poll.is_none() && board.product.is_none());
    }

    #[test]
    fn quizzes_notices_and_poll_close() {
        let Overlay::Quiz(quiz) = parse_cue(r#"{"type":"quiz","question":"2+2?","answers":["3","4"],"correctIndex":1,"duration":10}"#).unwrap() else {
            panic!("not a quiz")
        };
        assert!(quiz.id.starts_with("quiz-"));
        assert_eq!(field_of(parse_cue(r#"{"type":"quiz","question":"Q","answers":["a","b"],"correctIndex":2,"duration":10}"#)), "correctIndex");
        assert_eq!(field_of(parse_cue(r#"{"type":"quiz","question":"Q","answers":["a"],"correctIndex":0,"duration":10}"#)), "answers");
        let notice = parse_cue(r#"{"type":"notice","text":"Back in 5"}"#).unwrap();
        assert_eq!(notice, Overlay::Notice(Notice { text: "Back in 5".into(), duration_secs: 10.0 }));
        assert_eq!(field_of(parse_cue(r#"{"type":"notice","text":"x","duration":601}"#)), "duration");
        assert_eq!(parse_cue(r#"{"type":"poll-close","id":"p1"}"#), Ok(Overlay::PollClose { id: "p1".into() }));

        let mut board = Board::default();
        board.apply(parse_cue(r#"{"type":"poll","id":"p1","question":"Q","options":["a","b"],"duration":30}"#).unwrap(), 0.0);
        board.apply(Overlay::PollClose { id: "other".into() }, 1.0);
        assert!(!board.poll_closed);
        board.apply(Overlay::PollClose { id: "p1".into() }, 2.0);
        assert!(board.poll_closed);
        board.apply(Overlay::Quiz(quiz.clone()), 10.0);
        board.choose(1, 11.0);
        board.choose(0, 12.0);
        assert_eq!(board.quiz_choice, Some(1), "the first answer stands");
        let mut late = board.clone();
        late.quiz_choice = None;
        late.choose(0, 25.0);
        assert_eq!(late.quiz_choice, None, "no answers after the quiz closed");
        let mut score = Score::default();
        score.record(&quiz, board.quiz_choice);
        score.record(&quiz, board.quiz_choice);
        assert_eq!((score.answered, score.correct), (1, 1), "a quiz counts once");
    }

    #[test]
    fn products_go_to_the_tray_and_stay_after_a_clear() {
        let product = |n: u32| {
            parse_cue(&format!(r#"{{"type":"product","title":"P{n}","price":"1","imageUrl":"https://e.com/{n}.png","url":"https://e.com/{n}"}}"#)).unwrap()
        };
        let mut board = Board::default();
        for n in 0..8 {
            board.apply(product(n), f64::from(n));
        }
        assert_eq!(board.product.as_ref().unwrap().title, "P7");
        assert_eq!(board.tray.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["P6", "P5", "P4", "P3", "P2"]);
        board.apply(product(4), 9.0);
        let titles: Vec<&str> = board.tray.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["P7", "P6", "P5", "P3"], "the one on screen is not in the tray, and none twice");
        board.apply(Overlay::Clear, 10.0);
        assert!(board.product.is_none());
        assert_eq!(board.tray[0].title, "P4");
    }

    #[test]
    fn lz_string_payloads_are_accepted_and_bounded() {
        // lz-string compressToBase64('{"type":"clear"}')
        let compressed = lz_str::compress_to_base64(r#"{"type":"notice","text":"Hi"}"#);
        assert!(matches!(parse_cue(&compressed), Ok(Overlay::Notice(Notice { ref text, .. })) if text == "Hi"));
        assert!(matches!(parse_cue("!!not base64!!"), Err(OverlayError::NotJson(_))));
        // A small payload that expands past the bound is refused.
        let bomb = lz_str::compress_to_base64(&format!(r#"{{"type":"notice","text":"{}"}}"#, "a".repeat(20_000)));
        assert!(bomb.len() <= MAX_METADATA_BYTES, "{}", bomb.len());
        assert!(matches!(parse_cue(&bomb), Err(OverlayError::TooLarge(_))));
        // Invalid escapes and lone surrogates are not JSON.
        assert!(matches!(parse_cue(r#"{"type":"notice","text":"\ud800"}"#), Err(OverlayError::NotJson(_))));
        assert!(matches!(parse_cue(r#"{"type":"notice","text":"\x41"}"#), Err(OverlayError::NotJson(_))));
    }

    #[test]
    fn markup_is_kept_as_text_not_refused() {
        // The viewer renders text nodes, so markup in a question is shown literally and is harmless.
        let overlay = parse_cue(r#"{"type":"poll","question":"<img src=x onerror=alert(1)>","options":["a","b"],"duration":5}"#).unwrap();
        assert!(matches!(overlay, Overlay::Poll(Poll { ref question, .. }) if question == "<img src=x onerror=alert(1)>"));
    }
}
