//! The site API's wire types: what the viewer and a site's own tools send to the site server, and
//! what it answers. Both sides use these types, so a field cannot drift between them.
//!
//! The chat token answer is [`crate::chat_session::ChatToken`]; the overlay state is
//! [`crate::tally::OverlayState`]; pushed tallies and stream status are chat events
//! ([`crate::tally::TallyUpdate`], [`crate::stream_status::StreamStatus`]).

use serde::{Deserialize, Serialize};

/// `POST {votesUrl}/{poll id}/vote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRequest {
    pub option: usize,
}

/// `GET /api/polls/{id}`: a poll's counts, and whether it has closed — what a replay shows of a
/// past poll.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollResult {
    pub counts: Vec<u64>,
    pub closed: bool,
}

/// The answer to a vote: the counts once it is stored, or why it was not counted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteAnswer {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<u64>,
    /// The option this viewer voted for (on success, and when refused as a second vote).
    #[serde(default)]
    pub my_vote: Option<usize>,
    /// Why the vote was not counted, in English words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why, as a stable code ([`ErrorCode`]): the viewer words it in the viewer's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// An error answer of the site API: the reason in English words, and as a stable code the
/// viewer words in the viewer's language (a code it does not know: it shows the words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The stable codes of the site API's refusals (`"code"` beside `"error"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    /// Sign in again (the page's identity is missing or expired).
    SignIn,
    /// Refused: not this person's to do.
    Forbidden,
    /// A request from another site.
    OtherSite,
    NotFound,
    Conflict,
    Gone,
    RateLimited,
    /// A moment's trouble: try again.
    Unavailable,
    Internal,
    AlreadyVoted,
    PollClosed,
    NoSuchPoll,
    NoSuchOption,
    SignInToVote,
    SubscribersOnly,
    NotRecorded,
    NoRecordings,
    NoStage,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        Self::BadRequest,
        Self::SignIn,
        Self::Forbidden,
        Self::OtherSite,
        Self::NotFound,
        Self::Conflict,
        Self::Gone,
        Self::RateLimited,
        Self::Unavailable,
        Self::Internal,
        Self::AlreadyVoted,
        Self::PollClosed,
        Self::NoSuchPoll,
        Self::NoSuchOption,
        Self::SignInToVote,
        Self::SubscribersOnly,
        Self::NotRecorded,
        Self::NoRecordings,
        Self::NoStage,
    ];

    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::SignIn => "sign_in",
            Self::Forbidden => "forbidden",
            Self::OtherSite => "other_site",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::AlreadyVoted => "already_voted",
            Self::PollClosed => "poll_closed",
            Self::NoSuchPoll => "no_such_poll",
            Self::NoSuchOption => "no_such_option",
            Self::SignInToVote => "sign_in_to_vote",
            Self::SubscribersOnly => "subscribers_only",
            Self::NotRecorded => "not_recorded",
            Self::NoRecordings => "no_recordings",
            Self::NoStage => "no_stage",
        }
    }

    /// The key of its words in the viewer's language (`locales/*.json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::BadRequest => "server.bad_request",
            Self::SignIn => "server.sign_in",
            Self::Forbidden => "server.forbidden",
            Self::OtherSite => "server.other_site",
            Self::NotFound => "server.not_found",
            Self::Conflict => "server.conflict",
            Self::Gone => "server.gone",
            Self::RateLimited => "server.rate_limited",
            Self::Unavailable => "server.unavailable",
            Self::Internal => "server.internal",
            Self::AlreadyVoted => "server.already_voted",
            Self::PollClosed => "server.poll_closed",
            Self::NoSuchPoll => "server.no_such_poll",
            Self::NoSuchOption => "server.no_such_option",
            Self::SignInToVote => "server.sign_in_to_vote",
            Self::SubscribersOnly => "server.subscribers_only",
            Self::NotRecorded => "server.not_recorded",
            Self::NoRecordings => "server.no_recordings",
            Self::NoStage => "server.no_stage",
        }
    }

    /// Reads a code as sent; `None` for one this viewer does not know.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The code a refusal with HTTP `status` has unless it says more.
    pub fn for_status(status: u16) -> Self {
        match status {
            400 | 413 | 422 => Self::BadRequest,
            401 => Self::SignIn,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            410 => Self::Gone,
            429 => Self::RateLimited,
            502..=504 => Self::Unavailable,
            _ => Self::Internal,
        }
    }

    /// The code of a vote's refusal.
    pub fn for_vote(refusal: &crate::tally::VoteError) -> Self {
        use crate::tally::VoteError;
        match refusal {
            VoteError::AlreadyVoted { .. } => Self::AlreadyVoted,
            VoteError::NoSuchOption => Self::NoSuchOption,
            VoteError::Closed => Self::PollClosed,
            VoteError::NoSuchPoll => Self::NoSuchPoll,
            VoteError::SignInRequired => Self::SignInToVote,
        }
    }
}

/// `POST /api/playback-token`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackTokenAnswer {
    pub token: String,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

/// `POST /api/overlays` (operator key in the `Authorization: Bearer` header): the overlay to show,
/// as the JSON object the stream will carry (see `docs/metadata.md`). A poll's `id` is the
/// server's to give.
pub type PublishRequest = serde_json::Value;

/// What publishing answers: the overlay's id (a poll's, given by the server) and the bytes sent
/// into the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub metadata: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_stable_and_read_back() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(code.key(), format!("server.{}", code.as_str()));
        }
        assert_eq!(ErrorCode::parse("from_a_newer_server"), None);
        assert_eq!(ErrorCode::for_status(429), ErrorCode::RateLimited);
        assert_eq!(ErrorCode::for_status(503), ErrorCode::Unavailable);
        assert_eq!(ErrorCode::for_vote(&crate::tally::VoteError::Closed), ErrorCode::PollClosed);
        // An answer without a code (an older server) still reads.
        let old: ErrorAnswer = serde_json::from_str(r#"{"error":"no"}"#).unwrap();
        assert_eq!(old.code, None);
    }

    #[test]
    fn vote_answers_round_trip_and_read_leniently() {
        let answer = VoteAnswer { counts: vec![2, 1], my_vote: Some(0), error: None, code: None };
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(text, r#"{"counts":[2,1],"myVote":0}"#);
        assert_eq!(serde_json::from_str::<VoteAnswer>(&text).unwrap(), answer);
        let refused: VoteAnswer = serde_json::from_str(r#"{"error":"this poll is closed"}"#).unwrap();
        assert_eq!(refused.error.as_deref(), Some("this poll is closed"));
        assert!(serde_json::from_str::<VoteRequest>(r#"{"option":-1}"#).is_err());
    }
}
