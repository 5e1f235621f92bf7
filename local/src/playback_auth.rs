//! Private channels: playback tokens as IVS defines them — a JWT signed ES384 with the channel's
//! playback key pair, claims `aws:channel-arn`, `exp` and optionally
//! `aws:access-control-allow-origin` — issued by the site backend, checked by the playback origin,
//! which refuses the playlist of a private channel without a valid one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p384::ecdsa::signature::{Signer, Verifier};
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The channel's playback key pair.
#[derive(Clone)]
pub struct PlaybackKeys {
    signing: SigningKey,
    verifying: VerifyingKey,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    #[serde(rename = "aws:channel-arn")]
    channel_arn: String,
    #[serde(rename = "aws:access-control-allow-origin", skip_serializing_if = "Option::is_none", default)]
    allow_origin: Option<String>,
    exp: u64,
}

/// Why a token is refused.
#[derive(Debug, PartialEq)]
pub enum TokenError {
    Missing,
    Malformed,
    Signature,
    Expired,
    Channel,
    Origin,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl PlaybackKeys {
    /// A new key pair.
    pub fn generate() -> Self {
        loop {
            let bytes: [u8; 48] = rand::random();
            if let Ok(signing) = SigningKey::from_bytes(&bytes.into()) {
                let verifying = *signing.verifying_key();
                return Self { signing, verifying };
            }
        }
    }

    /// A token for `channel_arn`, valid for `ttl_secs`, optionally bound to one page origin.
    pub fn issue(&self, channel_arn: &str, allow_origin: Option<&str>, ttl_secs: u64) -> (String, u64) {
        let exp = now_secs() + ttl_secs;
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES384","typ":"JWT"}"#);
        let claims = Claims { channel_arn: channel_arn.to_owned(), allow_origin: allow_origin.map(str::to_owned), exp };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("plain data always encodes"));
        let signed = format!("{header}.{payload}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        (format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())), exp)
    }

    /// Checks a token for `channel_arn`, requested by a page of `origin` (if the request says).
    pub fn check(&self, token: Option<&str>, channel_arn: &str, origin: Option<&str>) -> Result<(), TokenError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(TokenError::Missing)?;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?).map_err(|_| TokenError::Malformed)?;
        if header["alg"] != "ES384" {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signature = Signature::from_slice(&signature).map_err(|_| TokenError::Signature)?;
        let signed = &token[..header_len(token)];
        self.verifying.verify(signed.as_bytes(), &signature).map_err(|_| TokenError::Signature)?;
        let claims: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now_secs() {
            return Err(TokenError::Expired);
        }
        if claims.channel_arn != channel_arn {
            return Err(TokenError::Channel);
        }
        match (claims.allow_origin.as_deref(), origin) {
            (Some(allowed), Some(origin)) if allowed != "*" && allowed != origin => Err(TokenError::Origin),
            _ => Ok(()),
        }
    }
}

/// The length of `header.payload` in `token`.
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

/// Playback sessions, as IVS opens them: a valid token on the multivariant playlist opens one,
/// and the renditions' playlists are reached through URLs bound to it (no token in them). The
/// token's expiry then no longer matters; a session ends when revoked — here, after a set
/// lifetime (IVS revokes sessions it sees shared).
#[derive(Clone)]
pub struct Sessions {
    open: Arc<Mutex<HashMap<String, Instant>>>,
    lifetime: Option<Duration>,
}

/// The most sessions kept open; the oldest go first.
const MAX_SESSIONS: usize = 10_000;

impl Sessions {
    pub fn new(lifetime: Option<Duration>) -> Self {
        Self { open: Arc::default(), lifetime }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session: its unguessable id.
    pub fn open(&self) -> String {
        let id = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>());
        let mut open = self.lock();
        if let Some(lifetime) = self.lifetime {
            open.retain(|_, opened| opened.elapsed() < lifetime);
        }
        if open.len() >= MAX_SESSIONS {
            if let Some(oldest) = open.iter().min_by_key(|(_, opened)| **opened).map(|(id, _)| id.clone()) {
                open.remove(&oldest);
            }
        }
        open.insert(id.clone(), Instant::now());
        id
    }

    /// Whether `id` is an open session.
    pub fn is_open(&self, id: Option<&str>) -> bool {
        let Some(id) = id else { return false };
        self.lock().get(id).is_some_and(|opened| self.lifetime.is_none_or(|lifetime| opened.elapsed() < lifetime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

    #[test]
    fn tokens_verify_and_refusals_say_why() {
        let keys = PlaybackKeys::generate();
        let (token, exp) = keys.issue(ARN, Some("http://127.0.0.1:8080"), 60);
        assert!(exp > now_secs());
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(keys.check(Some(&token), ARN, Some("http://127.0.0.1:8080")), Ok(()));
        assert_eq!(keys.check(Some(&token), ARN, None), Ok(()), "a request without an Origin header");
        assert_eq!(keys.check(Some(&token), ARN, Some("https://evil.example")), Err(TokenError::Origin));
        assert_eq!(keys.check(Some(&token), "arn:aws:ivs:us-east-1:000000000000:channel/other", None), Err(TokenError::Channel));
        assert_eq!(keys.check(None, ARN, None), Err(TokenError::Missing));
        assert_eq!(keys.check(Some("a.b"), ARN, None), Err(TokenError::Malformed));
        let other = PlaybackKeys::generate();
        assert_eq!(other.check(Some(&token), ARN, None), Err(TokenError::Signature), "another key pair");
        let mut tampered = token.clone();
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"aws:channel-arn":"{ARN}","exp":9999999999}}"#));
        let parts: Vec<&str> = token.split('.').collect();
        tampered = tampered.replace(parts[1], &payload);
        assert_eq!(keys.check(Some(&tampered), ARN, None), Err(TokenError::Signature), "claims changed after signing");
        let (expired, _) = keys.issue(ARN, None, 0);
        assert_eq!(keys.check(Some(&expired), ARN, None), Err(TokenError::Expired));
    }

    #[test]
    fn sessions_are_unguessable_and_end_when_revoked() {
        let sessions = Sessions::new(None);
        let (a, b) = (sessions.open(), sessions.open());
        assert_ne!(a, b);
        assert!(a.len() >= 24, "{a}");
        assert!(sessions.is_open(Some(&a)) && sessions.is_open(Some(&b)));
        assert!(!sessions.is_open(Some("guess")) && !sessions.is_open(None));
        let short = Sessions::new(Some(Duration::from_millis(50)));
        let id = short.open();
        assert!(short.is_open(Some(&id)));
        std::thread::sleep(Duration::from_millis(80));
        assert!(!short.is_open(Some(&id)), "revoked after its lifetime");
    }
}
