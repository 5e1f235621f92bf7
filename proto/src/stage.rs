//! Real-time stages, as the viewer and the site server share them: the line-up of participants
//! publishing now (pushed through the chat room as `app:stage-lineup`, and answered by
//! `GET /api/stage`), the stage token the site gives a viewer, what the viewer reads from a
//! participant token (its `whip_url`), and how many columns a grid of tiles takes.

use serde::{Deserialize, Serialize};

use crate::chat::Attributes;

/// The chat room event that carries the line-up.
pub const EVENT_STAGE_LINEUP: &str = "app:stage-lineup";

/// The chat room event that carries an overlay shown on the stage (a stage has no timed
/// metadata): its one attribute, `cue`, is the overlay's JSON, as a channel's cue would be.
pub const EVENT_STAGE_OVERLAY: &str = "app:stage-overlay";

/// The most participants who publish at once on a stage (IVS: 12).
pub const MAX_PUBLISHERS: usize = 12;

/// One participant publishing on the stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub participant_id: String,
    /// The site's user id of the participant (IVS's `userId`), as the site shows it.
    pub user_id: String,
}

/// Who publishes on the stage now, in the order they started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lineup {
    /// The stage's session, if it has one.
    #[serde(default)]
    pub session_id: Option<String>,
    pub members: Vec<Member>,
}

impl Lineup {
    /// As room event attributes (`members` is JSON: at most 12 short entries, well inside a
    /// room event's 1 KB of attributes).
    pub fn to_attributes(&self) -> Attributes {
        let mut attributes = Attributes::from([("members".to_owned(), serde_json::to_string(&self.members).unwrap_or_else(|_| "[]".into()))]);
        if let Some(id) = &self.session_id {
            attributes.insert("sessionId".into(), id.clone());
        }
        attributes
    }

    /// From room event attributes; `None` when they are not a line-up.
    pub fn from_attributes(attributes: &Attributes) -> Option<Self> {
        let members: Vec<Member> = serde_json::from_str(attributes.get("members")?).ok()?;
        if members.len() > MAX_PUBLISHERS || members.iter().any(|m| m.participant_id.is_empty() || m.participant_id.len() > 64) {
            return None;
        }
        Some(Self { session_id: attributes.get("sessionId").cloned(), members })
    }
}

/// `POST /api/stage/token`'s answer: a participant token for the person asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageToken {
    pub token: String,
    pub participant_id: String,
    /// `SUBSCRIBE`, and `PUBLISH` for the site's hosts.
    pub capabilities: Vec<String>,
    /// ISO 8601.
    pub expiration_time: String,
    /// Who publishes now.
    pub lineup: Lineup,
}

/// What a participant token tells its holder (its claims are not secret; IVS checks the signature).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    /// Where to publish (`POST`), and below it where to subscribe.
    pub whip_url: String,
    /// The participant's ID.
    #[serde(default)]
    pub jti: String,
    #[serde(default)]
    pub exp: u64,
}

/// Why a token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the stage token is not a JWT")]
    NotJwt,
    #[error("the stage token's claims cannot be read")]
    Claims,
    #[error("the stage token's media endpoint is not an http(s) URL")]
    Endpoint,
}

impl TokenClaims {
    /// Reads the claims of `token` (a JWT: header.claims.signature, base64url).
    pub fn read(token: &str) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(_), Some(claims), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::NotJwt);
        };
        let bytes = base64url(claims).ok_or(TokenError::Claims)?;
        let claims: Self = serde_json::from_slice(&bytes).map_err(|_| TokenError::Claims)?;
        if !(claims.whip_url.starts_with("https://") || claims.whip_url.starts_with("http://")) {
            return Err(TokenError::Endpoint);
        }
        Ok(claims)
    }

    /// In how many seconds, from `now` (seconds since the epoch), a pass with these claims should
    /// be renewed: a minute before it expires, or at three quarters of a shorter life; at least
    /// 5 s from now. `None` when the token names no expiry.
    pub fn renew_in_secs(&self, now: u64) -> Option<u64> {
        if self.exp == 0 {
            return None;
        }
        let left = self.exp.saturating_sub(now);
        Some(left.saturating_sub(60.min(left / 4)).max(5))
    }

    /// Where to post a receive-only offer for participant `participant_id`'s media.
    pub fn subscribe_url(&self, participant_id: &str) -> String {
        let id: String = participant_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        format!("{}/subscribe/{id}", self.whip_url.trim_end_matches('/'))
    }
}

/// Decodes unpadded base64url (a JWT's parts); `None` if it is not.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// How many columns a grid of `tiles` takes in a box `width` CSS pixels wide: one tile alone;
/// on a phone (under 600 px) at most two; else the squarest grid (2 → 2, 5 → 3, 10 → 4).
pub fn grid_columns(tiles: usize, width: u32) -> usize {
    if tiles <= 1 {
        return 1;
    }
    if width < 600 {
        return 2.min(tiles);
    }
    let mut columns = 1;
    while columns * columns < tiles {
        columns += 1;
    }
    columns
}

/// Who is in the spotlight: the loudest participant, once they have been the loudest, above a
/// whisper, for a second — so a cough does not move the picture, and silence keeps the last one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spotlight {
    current: Option<String>,
    /// Who has been loudest since when (ms), not yet in the spotlight.
    challenger: Option<(String, f64)>,
}

/// An audio level (0 to 1, as WebRTC reports it) under which nobody is speaking.
pub const SPEAKING_LEVEL: f64 = 0.02;
/// How long someone must be the loudest to take the spotlight.
pub const SPOTLIGHT_AFTER_MS: f64 = 1000.0;

impl Spotlight {
    /// Takes the levels heard at `now_ms` (participant, level); answers who is in the spotlight.
    pub fn hear(&mut self, levels: &[(String, f64)], now_ms: f64) -> Option<&str> {
        if let Some(current) = &self.current {
            if !levels.iter().any(|(id, _)| id == current) {
                self.current = None; // they left
            }
        }
        let loudest = levels.iter().filter(|(_, level)| *level >= SPEAKING_LEVEL).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(id, _)| id.clone());
        match loudest {
            Some(id) if Some(&id) == self.current.as_ref() => self.challenger = None,
            Some(id) => {
                let since = match &self.challenger {
                    Some((challenger, since)) if *challenger == id => *since,
                    _ => now_ms,
                };
                if self.current.is_none() || now_ms - since >= SPOTLIGHT_AFTER_MS {
                    self.current = Some(id);
                    self.challenger = None;
                } else {
                    self.challenger = Some((id, since));
                }
            }
            None => self.challenger = None,
        }
        self.current.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lineup_travels_as_room_attributes() {
        let lineup = Lineup {
            session_id: Some("st-abc".into()),
            members: vec![Member { participant_id: "p1".into(), user_id: "host".into() }, Member { participant_id: "p2".into(), user_id: "guest".into() }],
        };
        assert_eq!(Lineup::from_attributes(&lineup.to_attributes()), Some(lineup));
        let too_many = Lineup { session_id: None, members: vec![Member { participant_id: "p".into(), user_id: String::new() }; 13] };
        assert_eq!(Lineup::from_attributes(&too_many.to_attributes()), None);
        assert_eq!(Lineup::from_attributes(&Attributes::from([("members".into(), "<b>".into())])), None);
    }

    #[test]
    fn a_token_tells_where_its_media_goes() {
        // {"whip_url":"http://127.0.0.1:4566/whip","jti":"p1","exp":9}
        let claims = "eyJ3aGlwX3VybCI6Imh0dHA6Ly8xMjcuMC4wLjE6NDU2Ni93aGlwIiwianRpIjoicDEiLCJleHAiOjl9";
        let read = TokenClaims::read(&format!("h.{claims}.s")).unwrap();
        assert_eq!(read.whip_url, "http://127.0.0.1:4566/whip");
        assert_eq!(read.subscribe_url("p2/../x"), "http://127.0.0.1:4566/whip/subscribe/p2x");
        assert_eq!(TokenClaims::read("nope"), Err(TokenError::NotJwt));
        assert_eq!(TokenClaims::read("a.!!.c"), Err(TokenError::Claims));
        // {"whip_url":"javascript:alert(1)"}
        assert_eq!(TokenClaims::read("a.eyJ3aGlwX3VybCI6ImphdmFzY3JpcHQ6YWxlcnQoMSkifQ.c"), Err(TokenError::Endpoint));
    }

    #[test]
    fn a_pass_is_renewed_before_it_expires() {
        let claims = |exp| TokenClaims { whip_url: "https://x/whip".into(), jti: "p".into(), exp };
        assert_eq!(claims(1000 + 3600).renew_in_secs(1000), Some(3540), "a minute before an hour's pass ends");
        assert_eq!(claims(1000 + 120).renew_in_secs(1000), Some(90), "three quarters into a short one");
        assert_eq!(claims(1000 + 4).renew_in_secs(1000), Some(5), "never sooner than 5 s");
        assert_eq!(claims(900).renew_in_secs(1000), Some(5), "an expired pass: at once, not in a loop");
        assert_eq!(claims(0).renew_in_secs(1000), None, "no expiry named");
    }

    #[test]
    fn grids_adapt_to_the_tiles_and_the_screen() {
        assert_eq!([1, 2, 4, 5, 9, 10, 12].map(|n| grid_columns(n, 1200)), [1, 2, 2, 3, 3, 4, 4]);
        assert_eq!([1, 2, 5, 12].map(|n| grid_columns(n, 360)), [1, 2, 2, 2]);
    }

    #[test]
    fn the_spotlight_follows_who_speaks_for_a_second() {
        let mut spot = Spotlight::default();
        let heard = |a: f64, b: f64| vec![("a".to_owned(), a), ("b".to_owned(), b)];
        assert_eq!(spot.hear(&heard(0.0, 0.0), 0.0), None, "silence: nobody");
        assert_eq!(spot.hear(&heard(0.3, 0.0), 100.0), Some("a"), "the first speaker at once");
        assert_eq!(spot.hear(&heard(0.0, 0.5), 200.0), Some("a"), "a cough does not move it");
        assert_eq!(spot.hear(&heard(0.0, 0.5), 900.0), Some("a"));
        assert_eq!(spot.hear(&heard(0.0, 0.5), 1200.0), Some("b"), "a second of b");
        assert_eq!(spot.hear(&heard(0.0, 0.0), 5000.0), Some("b"), "silence keeps the last");
        assert_eq!(spot.hear(&[("a".to_owned(), 0.0)], 5100.0), None, "b left");
    }
}
