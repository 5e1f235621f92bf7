//! Every event a chat room carries, as one enum parsed in one place: IVS's own (`aws:…`) and this
//! project's (`app:…`, sent by the site server with `SendEvent`). Code that acts on events matches
//! on [`RoomEvent`], so a new kind cannot be forgotten where it matters.

use crate::chat::{Attributes, EVENT_DELETE_MESSAGE, EVENT_DISCONNECT_USER};
use crate::moderation::{ChatRules, EVENT_CHAT_RULES};
use crate::stage::{Lineup, EVENT_STAGE_LINEUP, EVENT_STAGE_OVERLAY};
use crate::stream_status::{StreamStatus, EVENT_STREAM_STATUS};
use crate::tally::{TallyUpdate, EVENT_POLL_TALLY};

/// What an `EVENT` frame means.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    /// A moderator deleted a message (IVS sends its id as `MessageId`, and as `MessageID`).
    DeleteMessage { message_id: String, reason: Option<String> },
    /// A moderator removed a user.
    DisconnectUser { user_id: String, reason: Option<String> },
    /// A poll's counts (the site server).
    PollTally(TallyUpdate),
    /// The stream's status (the site server).
    StreamStatus(StreamStatus),
    /// Who publishes on the stage now (the site server).
    StageLineup(Lineup),
    /// An overlay shown on the stage (the site server): the cue's text, not yet parsed (the board
    /// reads it as it reads a channel's timed metadata).
    StageOverlay(String),
    /// The chat's rules changed (the site server): slow mode's seconds (0: off).
    ChatRules { slow_mode_secs: u32 },
    /// A known event whose attributes do not read: its name.
    Malformed(String),
    /// An event this viewer does not act on (a site's own `app:…`, say): its name.
    Other(String),
}

impl RoomEvent {
    /// Reads an `EVENT` frame's name and attributes.
    pub fn parse(name: &str, attributes: &Attributes) -> Self {
        let reason = || attributes.get("Reason").filter(|r| !r.is_empty()).cloned();
        let malformed = || Self::Malformed(name.to_owned());
        match name {
            EVENT_DELETE_MESSAGE => match attributes.get("MessageId").or_else(|| attributes.get("MessageID")) {
                Some(id) => Self::DeleteMessage { message_id: id.clone(), reason: reason() },
                None => malformed(),
            },
            EVENT_DISCONNECT_USER => match attributes.get("UserId") {
                Some(user) => Self::DisconnectUser { user_id: user.clone(), reason: reason() },
                None => malformed(),
            },
            EVENT_POLL_TALLY => TallyUpdate::from_attributes(attributes).map_or_else(malformed, Self::PollTally),
            EVENT_STREAM_STATUS => StreamStatus::from_attributes(attributes).map_or_else(malformed, Self::StreamStatus),
            EVENT_STAGE_LINEUP => Lineup::from_attributes(attributes).map_or_else(malformed, Self::StageLineup),
            EVENT_STAGE_OVERLAY => attributes.get("cue").map_or_else(malformed, |cue| Self::StageOverlay(cue.clone())),
            EVENT_CHAT_RULES => ChatRules::slow_mode_from(attributes).map_or_else(malformed, |slow_mode_secs| Self::ChatRules { slow_mode_secs }),
            other => Self::Other(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_status::Health;

    fn attributes(pairs: &[(&str, &str)]) -> Attributes {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn each_event_reads_into_its_kind() {
        assert_eq!(
            RoomEvent::parse(EVENT_DELETE_MESSAGE, &attributes(&[("MessageID", "m1"), ("Reason", "")])),
            RoomEvent::DeleteMessage { message_id: "m1".into(), reason: None },
            "the older MessageID alone is enough"
        );
        assert_eq!(
            RoomEvent::parse(EVENT_DISCONNECT_USER, &attributes(&[("UserId", "u1"), ("Reason", "spam")])),
            RoomEvent::DisconnectUser { user_id: "u1".into(), reason: Some("spam".into()) }
        );
        let status = StreamStatus { live: true, health: Health::Healthy, viewer_count: 2 };
        assert_eq!(RoomEvent::parse(EVENT_STREAM_STATUS, &status.to_attributes()), RoomEvent::StreamStatus(status));
        let rules = ChatRules { words: vec!["x".into()], slow_mode_secs: 30 };
        assert_eq!(RoomEvent::parse(EVENT_CHAT_RULES, &rules.to_attributes()), RoomEvent::ChatRules { slow_mode_secs: 30 });
        assert_eq!(RoomEvent::parse(EVENT_CHAT_RULES, &attributes(&[])), RoomEvent::Malformed(EVENT_CHAT_RULES.into()));
        let tally = TallyUpdate { poll_id: "p".into(), counts: vec![1, 2], closed: false };
        assert_eq!(RoomEvent::parse(EVENT_POLL_TALLY, &tally.to_attributes()), RoomEvent::PollTally(tally));
        assert_eq!(RoomEvent::parse(EVENT_POLL_TALLY, &attributes(&[("pollId", "p")])), RoomEvent::Malformed(EVENT_POLL_TALLY.into()));
        let lineup = Lineup { session_id: None, members: vec![crate::stage::Member { participant_id: "p1".into(), user_id: "host".into() }] };
        assert_eq!(RoomEvent::parse(EVENT_STAGE_LINEUP, &lineup.to_attributes()), RoomEvent::StageLineup(lineup));
        let cue = r#"{"type":"notice","text":"Hi"}"#;
        assert_eq!(RoomEvent::parse(EVENT_STAGE_OVERLAY, &attributes(&[("cue", cue)])), RoomEvent::StageOverlay(cue.into()));
        assert_eq!(RoomEvent::parse(EVENT_STAGE_OVERLAY, &Attributes::new()), RoomEvent::Malformed(EVENT_STAGE_OVERLAY.into()));
        assert_eq!(RoomEvent::parse("app:confetti", &Attributes::new()), RoomEvent::Other("app:confetti".into()));
    }
}
