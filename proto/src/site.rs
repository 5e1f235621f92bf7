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
    /// Why the vote was not counted, in words for the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An error answer of the site API: the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    pub error: String,
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
    fn vote_answers_round_trip_and_read_leniently() {
        let answer = VoteAnswer { counts: vec![2, 1], my_vote: Some(0), error: None };
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(text, r#"{"counts":[2,1],"myVote":0}"#);
        assert_eq!(serde_json::from_str::<VoteAnswer>(&text).unwrap(), answer);
        let refused: VoteAnswer = serde_json::from_str(r#"{"error":"this poll is closed"}"#).unwrap();
        assert_eq!(refused.error.as_deref(), Some("this poll is closed"));
        assert!(serde_json::from_str::<VoteRequest>(r#"{"option":-1}"#).is_err());
    }
}
