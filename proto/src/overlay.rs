//! The timed-metadata schema: what the text of a `TEXT_METADATA_CUE` may say.
//!
//! A broadcaster's backend calls `PutMetadata` with a JSON string; the player hands the same string
//! to the viewer at that position of the stream. [`parse_cue`] turns it into an [`Overlay`] or says
//! precisely why it will not be shown. Anything unknown or malformed is refused — the viewer logs
//! the reason and shows nothing, so a bad payload can never break the page.

use serde::Deserialize;
use serde_json::Value;
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
}

/// A validated overlay.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Poll(Poll),
    Product(Product),
    /// Removes whatever overlay is showing.
    Clear,
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
        (self.duration_secs - (position - cue_start).max(0.0)).clamp(0.0, self.duration_secs)
    }
}

/// A countdown as the viewer reads it: whole seconds rounded up, `m:ss`.
pub fn format_countdown(secs: f64) -> String {
    let whole = if secs.is_finite() { secs.max(0.0).ceil() as u64 } else { 0 };
    format!("{}:{:02}", whole / 60, whole % 60)
}

/// A product card.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub title: String,
    pub price: String,
    pub image_url: SafeUrl,
    pub url: SafeUrl,
}

/// What is on screen: at most one poll and one product card.
///
/// A new poll replaces the previous one, a new product replaces the card, and a clear removes
/// both. Each slot remembers the stream position of the cue that filled it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    /// The poll and its cue's start time.
    pub poll: Option<(Poll, f64)>,
    /// The product card.
    pub product: Option<Product>,
}

impl Board {
    /// Applies an overlay that arrived in a cue starting at `cue_start`.
    pub fn apply(&mut self, overlay: Overlay, cue_start: f64) {
        match overlay {
            Overlay::Poll(poll) => self.poll = Some((poll, cue_start)),
            Overlay::Product(product) => self.product = Some(product),
            Overlay::Clear => *self = Self::default(),
        }
    }

    /// Removes the product card (the viewer dismissed it).
    pub fn dismiss_product(&mut self) {
        self.product = None;
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

#[derive(Deserialize)]
struct RawPoll {
    id: Option<String>,
    question: String,
    options: Vec<String>,
    duration: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProduct {
    title: String,
    price: Value,
    image_url: String,
    url: String,
}

/// Parses and validates a cue's text.
pub fn parse_cue(text: &str) -> Result<Overlay, OverlayError> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(OverlayError::TooLarge(text.len()));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| OverlayError::NotJson(e.to_string()))?;
    let object = value.as_object().ok_or(OverlayError::NotObject)?;
    match object.get("v") {
        None => {}
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION) => {}
        Some(v) => return Err(OverlayError::Version(v.as_u64().unwrap_or(0))),
    }
    let kind = object.get("type").and_then(Value::as_str).ok_or(OverlayError::MissingType)?;
    let shape = |e: serde_json::Error| OverlayError::field("payload", e.to_string());
    match kind {
        "poll" => poll(serde_json::from_value(value.clone()).map_err(shape)?).map(Overlay::Poll),
        "product" => product(serde_json::from_value(value.clone()).map_err(shape)?).map(Overlay::Product),
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

fn poll(raw: RawPoll) -> Result<Poll, OverlayError> {
    let question = text("question", &raw.question, limits::QUESTION)?;
    if !(limits::MIN_OPTIONS..=limits::MAX_OPTIONS).contains(&raw.options.len()) {
        return Err(OverlayError::field(
            "options",
            format!("needs {} to {} options, got {}", limits::MIN_OPTIONS, limits::MAX_OPTIONS, raw.options.len()),
        ));
    }
    let options = raw
        .options
        .iter()
        .map(|o| text("options", o, limits::OPTION))
        .collect::<Result<Vec<_>, _>>()?;
    if !raw.duration.is_finite() || !(limits::MIN_DURATION..=limits::MAX_DURATION).contains(&raw.duration) {
        return Err(OverlayError::field(
            "duration",
            format!("must be {} to {} seconds", limits::MIN_DURATION, limits::MAX_DURATION),
        ));
    }
    let id = match raw.id {
        Some(id) => text("id", &id, limits::ID)?,
        None => content_id(&question, &options),
    };
    Ok(Poll { id, question, options, duration_secs: raw.duration })
}

fn product(raw: RawProduct) -> Result<Product, OverlayError> {
    let price = match &raw.price {
        Value::String(s) => text("price", s, limits::PRICE)?,
        Value::Number(n) => text("price", &n.to_string(), limits::PRICE)?,
        _ => return Err(OverlayError::field("price", "must be a string or a number")),
    };
    let link = |field: &'static str, raw: &str| SafeUrl::parse(raw).map_err(|e: UrlError| OverlayError::field(field, e.to_string()));
    Ok(Product {
        title: text("title", &raw.title, limits::TITLE)?,
        price,
        image_url: link("imageUrl", &raw.image_url)?,
        url: link("url", &raw.url)?,
    })
}

/// A stable id for a poll without one: FNV-1a over its question and options.
fn content_id(question: &str, options: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in std::iter::once(question).chain(options.iter().map(String::as_str)) {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("poll-{hash:016x}")
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
        let overlay = parse_cue(
            r#"{"type":"poll","question":"Which feature should we build next?","options":["Dark mode","Mobile app","API v2"],"duration":30}"#,
        )
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
        assert_eq!(
            field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b","c","d","e","f"],"duration":5}"#)),
            "options"
        );
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a",""],"duration":5}"#)), "options");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"  ","options":["a","b"],"duration":5}"#)), "question");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":0}"#)), "duration");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":1e9}"#)), "duration");
        assert_eq!(field_of(parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"]}"#)), "payload");
        let long = format!(r#"{{"type":"poll","question":"{}","options":["a","b"],"duration":5}}"#, "x".repeat(201));
        assert_eq!(field_of(parse_cue(&long)), "question");
    }

    #[test]
    fn countdown_runs_in_stream_time() {
        let Overlay::Poll(poll) = parse_cue(r#"{"type":"poll","question":"Q","options":["a","b"],"duration":30}"#).unwrap() else {
            unreachable!()
        };
        assert_eq!(poll.remaining_secs(100.0, 100.0), 30.0);
        assert_eq!(poll.remaining_secs(100.0, 112.5), 17.5);
        assert_eq!(poll.remaining_secs(100.0, 200.0), 0.0);
        // A position before the cue (the viewer seeked back) shows the full duration.
        assert_eq!(poll.remaining_secs(100.0, 90.0), 30.0);
    }

    #[test]
    fn countdown_format() {
        assert_eq!(format_countdown(0.0), "0:00");
        assert_eq!(format_countdown(0.2), "0:01");
        assert_eq!(format_countdown(59.5), "1:00");
        assert_eq!(format_countdown(125.0), "2:05");
        assert_eq!(format_countdown(-3.0), "0:00");
        assert_eq!(format_countdown(f64::NAN), "0:00");
    }

    #[test]
    fn parses_a_product_with_checked_links() {
        let overlay = parse_cue(
            r#"{"type":"product","title":"Mug","price":12.5,"imageUrl":"https://cdn.example/mug.png","url":"https://shop.example/mug"}"#,
        )
        .unwrap();
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
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(matches!(parse_cue(&deep), Err(OverlayError::NotJson(_))));
    }

    #[test]
    fn board_keeps_one_poll_and_one_product() {
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
        board.apply(Overlay::Clear, 13.0);
        assert_eq!(board, Board::default());
    }

    #[test]
    fn markup_is_kept_as_text_not_refused() {
        // The viewer renders text nodes, so markup in a question is shown literally and is harmless.
        let overlay = parse_cue(r#"{"type":"poll","question":"<img src=x onerror=alert(1)>","options":["a","b"],"duration":5}"#).unwrap();
        assert!(matches!(overlay, Overlay::Poll(Poll { ref question, .. }) if question == "<img src=x onerror=alert(1)>"));
    }
}
