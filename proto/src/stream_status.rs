//! The stream's status as the server pushes it to every viewer (so no viewer polls `GetStream`):
//! live or not, health, and how many are watching.

use serde::{Deserialize, Serialize};

use crate::chat::Attributes;

/// The chat event that carries the status.
pub const EVENT_STREAM_STATUS: &str = "app:stream-status";

/// IVS stream health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Health {
    Healthy,
    Starving,
    Unknown,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "HEALTHY",
            Self::Starving => "STARVING",
            Self::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "HEALTHY" => Some(Self::Healthy),
            "STARVING" => Some(Self::Starving),
            "UNKNOWN" => Some(Self::Unknown),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStatus {
    pub live: bool,
    pub health: Health,
    pub viewer_count: u64,
}

impl StreamStatus {
    pub fn to_attributes(self) -> Attributes {
        Attributes::from([
            ("live".to_owned(), self.live.to_string()),
            ("health".to_owned(), self.health.as_str().to_owned()),
            ("viewerCount".to_owned(), self.viewer_count.to_string()),
        ])
    }

    pub fn from_attributes(attributes: &Attributes) -> Option<Self> {
        Some(Self {
            live: attributes.get("live")?.parse().ok()?,
            health: Health::parse(attributes.get("health")?)?,
            viewer_count: attributes.get("viewerCount")?.parse().ok()?,
        })
    }

    /// Whether to warn the viewer that the picture may stutter.
    pub fn starving(self) -> bool {
        self.live && self.health == Health::Starving
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_well() {
        let status = StreamStatus { live: true, health: Health::Starving, viewer_count: 1234 };
        assert_eq!(StreamStatus::from_attributes(&status.to_attributes()), Some(status));
        assert!(status.starving());
        let mut bad = status.to_attributes();
        bad.insert("health".into(), "GREAT".into());
        assert_eq!(StreamStatus::from_attributes(&bad), None);
    }
}
