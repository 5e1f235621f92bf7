//! The chat's house rules, as the studio's chat desk sets them and the site server applies them
//! before a message reaches the room: a word list and slow mode. In production IVS asks the room's
//! message review handler (a Lambda) about every message; that handler hands the question to the
//! site server (`POST /api/chat/review`), which answers with [`ChatRules::review`]. The wire types
//! of that exchange are IVS's own ([`ReviewRequest`], [`ReviewAnswer`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The room event that tells viewers the rules changed (`slowModeSecs`).
pub const EVENT_CHAT_RULES: &str = "app:chat-rules";
/// The most entries a word list holds.
pub const MAX_WORDS: usize = 500;
/// The longest entry, in characters.
pub const MAX_WORD_CHARS: usize = 50;
/// The longest slow mode, in seconds.
pub const MAX_SLOW_MODE_SECS: u32 = 600;

/// The rules the desk sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRules {
    /// Words and phrases a message may not contain. Whole words, in any case; an entry ending in
    /// `*` also matches words that begin with it (`spoil*`: spoiler, spoilers).
    #[serde(default)]
    pub words: Vec<String>,
    /// A viewer sends at most one message per this many seconds (0: off). Moderators are not
    /// slowed.
    #[serde(default)]
    pub slow_mode_secs: u32,
}

/// Why rules were refused, in words for the producer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the word list holds at most {MAX_WORDS} entries (this one has {0})")]
    TooManyWords(usize),
    #[error("“{0}…” is longer than {MAX_WORD_CHARS} characters")]
    WordTooLong(String),
    #[error("“{0}” has no letters or digits to match")]
    NothingToMatch(String),
    #[error("slow mode lasts at most {MAX_SLOW_MODE_SECS} seconds")]
    SlowModeTooLong,
}

/// What the rules say of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Held back: it contains this entry of the word list.
    Word(String),
    /// Allowed if its sender sent nothing within these seconds (slow mode; the caller keeps the
    /// clock, shared by instances), else held back.
    Paced(u32),
}

/// One word list entry, as matched: its words, and whether the last one is a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    entry: String,
    words: Vec<String>,
    prefix: bool,
}

/// The words of `text`, in lower case: runs of letters and digits (apostrophes inside a word
/// belong to it).
fn words_of(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || (c == '\'' || c == '’') && !word.is_empty() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

impl ChatRules {
    /// The rules as kept: entries trimmed, blank lines and repeats (in any case) dropped, in the
    /// order given; or why they cannot be kept.
    pub fn checked(self) -> Result<Self, RulesError> {
        let mut words: Vec<String> = Vec::new();
        for entry in self.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            if entry.chars().count() > MAX_WORD_CHARS {
                return Err(RulesError::WordTooLong(entry.chars().take(20).collect()));
            }
            if words_of(entry).is_empty() {
                return Err(RulesError::NothingToMatch(entry.to_owned()));
            }
            if !words.iter().any(|w| w.to_lowercase() == entry.to_lowercase()) {
                words.push(entry.to_owned());
            }
        }
        if words.len() > MAX_WORDS {
            return Err(RulesError::TooManyWords(words.len()));
        }
        if self.slow_mode_secs > MAX_SLOW_MODE_SECS {
            return Err(RulesError::SlowModeTooLong);
        }
        Ok(Self { words, slow_mode_secs: self.slow_mode_secs })
    }

    fn patterns(&self) -> impl Iterator<Item = Pattern> + '_ {
        self.words.iter().map(|entry| Pattern { entry: entry.clone(), words: words_of(entry), prefix: entry.trim_end().ends_with('*') })
    }

    /// The first entry of the word list that `content` contains, if any.
    pub fn blocked_by(&self, content: &str) -> Option<String> {
        let said = words_of(content);
        self.patterns().find(|p| matches(&said, p)).map(|p| p.entry)
    }

    /// What to do with a message: the word list first, then slow mode (moderators are not slowed).
    pub fn review(&self, content: &str, moderator: bool) -> Verdict {
        if let Some(entry) = self.blocked_by(content) {
            return Verdict::Word(entry);
        }
        if self.slow_mode_secs > 0 && !moderator {
            return Verdict::Paced(self.slow_mode_secs);
        }
        Verdict::Allow
    }

    /// The room event's attributes.
    pub fn to_attributes(&self) -> crate::chat::Attributes {
        crate::chat::Attributes::from([("slowModeSecs".to_owned(), self.slow_mode_secs.to_string())])
    }

    /// Slow mode's seconds from a room event's attributes.
    pub fn slow_mode_from(attributes: &crate::chat::Attributes) -> Option<u32> {
        attributes.get("slowModeSecs")?.parse().ok().filter(|s| *s <= MAX_SLOW_MODE_SECS)
    }
}

/// Whether `pattern`'s words appear in `said`, one after another.
fn matches(said: &[String], pattern: &Pattern) -> bool {
    let n = pattern.words.len();
    if n == 0 || said.len() < n {
        return false;
    }
    said.windows(n).any(|window| {
        window.iter().zip(&pattern.words).enumerate().all(
            |(i, (word, wanted))| {
                if pattern.prefix && i == n - 1 {
                    word.starts_with(wanted.as_str())
                } else {
                    word == wanted
                }
            },
        )
    })
}

/// What IVS gives a room's message review handler for each message sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReviewRequest {
    pub content: String,
    #[serde(default)]
    pub message_id: String,
    #[serde(default)]
    pub room_arn: String,
    #[serde(default)]
    pub attributes: HashMap<String, String>,
    pub sender: ReviewSender,
}

/// Who sent the message under review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReviewSender {
    pub user_id: String,
    #[serde(default)]
    pub attributes: HashMap<String, String>,
    #[serde(default)]
    pub ip: String,
}

/// The handler's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewResult {
    Allow,
    Deny,
}

/// What the handler answers IVS: allow (optionally with new content or attributes) or deny.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReviewAnswer {
    pub review_result: ReviewResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<HashMap<String, String>>,
}

impl ReviewAnswer {
    pub fn allow() -> Self {
        Self { review_result: ReviewResult::Allow, content: None, attributes: None }
    }

    pub fn deny() -> Self {
        Self { review_result: ReviewResult::Deny, content: None, attributes: None }
    }
}

/// A message the rules held back, as the chat desk lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    pub at_ms: i64,
    pub user_id: String,
    /// The sender's display name, as its token carries it.
    #[serde(default)]
    pub name: String,
    pub content: String,
    /// The word list entry it contains; none when slow mode held it.
    #[serde(default)]
    pub word: Option<String>,
}

/// What the chat desk reads: the rules, whether anything applies them, what they held back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatDesk {
    pub rules: ChatRules,
    /// Whether the room's review handler reaches this server (the rules apply only then).
    pub reviewing: bool,
    /// Newest first.
    pub held: Vec<Held>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(words: &[&str], slow: u32) -> ChatRules {
        ChatRules { words: words.iter().map(|w| w.to_string()).collect(), slow_mode_secs: slow }
    }

    #[test]
    fn entries_match_whole_words_in_any_case_and_phrases_in_order() {
        let rules = rules_of(&["spoiler", "free money", "scam*"], 0);
        assert_eq!(rules.blocked_by("BIG Spoiler!!"), Some("spoiler".into()));
        assert_eq!(rules.blocked_by("no spoilers"), None, "a whole word only, without *");
        assert_eq!(rules.blocked_by("get FREE   money now"), Some("free money".into()));
        assert_eq!(rules.blocked_by("money for free"), None, "a phrase's words in order");
        assert_eq!(rules.blocked_by("what a scammer"), Some("scam*".into()), "* matches the word's beginning");
        assert_eq!(rules.blocked_by("Scunthorpe and classic"), None);
        assert_eq!(ChatRules::default().blocked_by("anything"), None);
        assert_eq!(rules.blocked_by("spoiler's end"), None, "an apostrophe stays inside its word");
        assert_eq!(rules_of(&["straße"], 0).blocked_by("die STRASSE oder die Straße"), Some("straße".into()));
    }

    #[test]
    fn rules_are_kept_tidy_and_refused_with_a_reason() {
        let kept = rules_of(&["  spoiler ", "", "Spoiler", "free money"], 10).checked().unwrap();
        assert_eq!(kept, rules_of(&["spoiler", "free money"], 10));
        assert_eq!(rules_of(&["!!!"], 0).checked(), Err(RulesError::NothingToMatch("!!!".into())));
        assert!(matches!(rules_of(&[&"x".repeat(51)], 0).checked(), Err(RulesError::WordTooLong(_))));
        let many: Vec<String> = (0..=MAX_WORDS).map(|i| format!("w{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(rules_of(&many, 0).checked(), Err(RulesError::TooManyWords(MAX_WORDS + 1)));
        assert_eq!(rules_of(&[], MAX_SLOW_MODE_SECS + 1).checked(), Err(RulesError::SlowModeTooLong));
        assert!(RulesError::SlowModeTooLong.to_string().contains("600 seconds"));
    }

    #[test]
    fn the_word_list_comes_before_slow_mode_and_slow_mode_asks_the_clock_only_when_on() {
        let rules = rules_of(&["spoiler"], 30);
        assert_eq!(rules.review("a spoiler", false), Verdict::Word("spoiler".into()), "not paced");
        assert_eq!(rules.review("hello", false), Verdict::Paced(30));
        assert_eq!(rules.review("hello", true), Verdict::Allow, "moderators are not slowed");
        assert_eq!(rules_of(&[], 0).review("hello", false), Verdict::Allow, "slow mode is off");
    }

    #[test]
    fn review_messages_read_and_write_as_ivs_sends_and_expects_them() {
        // The event IVS gives the handler (IVS Chat user guide, "Message review handler").
        let request: ReviewRequest = serde_json::from_str(
            r#"{"Content":"hi","MessageId":"m1","RoomArn":"arn:aws:ivschat:us-east-1:1:room/r","Attributes":{"a":"b"},
                "Sender":{"Attributes":{"displayName":"Ann"},"UserId":"u1","Ip":"1.2.3.4"}}"#,
        )
        .unwrap();
        assert_eq!((request.sender.user_id.as_str(), request.sender.ip.as_str(), request.message_id.as_str()), ("u1", "1.2.3.4", "m1"));
        assert_eq!(serde_json::to_value(ReviewAnswer::deny()).unwrap(), serde_json::json!({"ReviewResult":"DENY"}));
        let answer: ReviewAnswer = serde_json::from_str(r#"{"ReviewResult":"ALLOW","Content":"h*"}"#).unwrap();
        assert_eq!((answer.review_result, answer.content.as_deref()), (ReviewResult::Allow, Some("h*")));
    }

    #[test]
    fn the_room_event_carries_slow_mode() {
        let attributes = rules_of(&["x"], 15).to_attributes();
        assert_eq!(ChatRules::slow_mode_from(&attributes), Some(15));
        assert_eq!(ChatRules::slow_mode_from(&crate::chat::Attributes::from([("slowModeSecs".into(), "9999".into())])), None);
    }
}
