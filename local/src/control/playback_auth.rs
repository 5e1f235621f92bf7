//! Private channels: playback tokens as IVS defines them — a JWT signed ES384 with a playback key
//! pair whose public half was imported (`ImportPlaybackKeyPair`), claims `aws:channel-arn`, `exp`
//! and optionally `aws:access-control-allow-origin`. A site's server signs them; the playback
//! origin checks them and refuses a private channel's playlist without a valid one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p384::ecdsa::signature::Verifier;
use p384::ecdsa::{Signature, VerifyingKey};
use p384::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde::{Deserialize, Serialize};

use crate::store::JsonFile;

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

/// The playback key pairs imported into IVS (`ImportPlaybackKeyPair`): a private channel's
/// tokens must be signed by the private half of one of them. Kept in the data directory, so they
/// survive a restart as IVS's do.
#[derive(Clone)]
pub struct KeyPairs {
    pairs: JsonFile<Vec<KeyPair>>,
}

/// One imported key pair (only its public half is ever known).
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyPair {
    pub arn: String,
    pub name: String,
    pub fingerprint: String,
    #[serde(rename = "publicKeyMaterial")]
    pub pem: String,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    #[serde(skip)]
    key: Option<VerifyingKey>,
}

/// Why an import was refused.
#[derive(Debug, PartialEq)]
pub enum ImportError {
    /// Not a P-384 public key in PEM.
    Material,
    /// A key pair with this public key is there already.
    Duplicate,
}

impl KeyPairs {
    /// The key pairs kept in `path` (none if it does not exist yet).
    pub fn load(path: Option<std::path::PathBuf>) -> Self {
        let pairs = JsonFile::<Vec<KeyPair>>::load(path, "the playback key pairs");
        for pair in pairs.lock().iter_mut() {
            pair.key = VerifyingKey::from_public_key_pem(&pair.pem).ok();
        }
        Self { pairs }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<KeyPair>> {
        self.pairs.lock()
    }

    /// Imports a public key (PEM); its fingerprint is the SHA-256 of its DER, in hex pairs.
    pub fn import(&self, pem: &str, name: &str, tags: std::collections::BTreeMap<String, String>, arn_prefix: &str) -> Result<KeyPair, ImportError> {
        let key = VerifyingKey::from_public_key_pem(pem.trim()).map_err(|_| ImportError::Material)?;
        let der = key.to_public_key_der().map_err(|_| ImportError::Material)?;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(der.as_bytes());
        let fingerprint = digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
        let mut pairs = self.lock();
        if pairs.iter().any(|p| p.fingerprint == fingerprint) {
            return Err(ImportError::Duplicate);
        }
        let id: String = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 9]>()).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let pair = KeyPair { arn: format!("{arn_prefix}{id}"), name: name.to_owned(), fingerprint, pem: pem.trim().to_owned(), tags, key: Some(key) };
        pairs.push(pair.clone());
        self.pairs.save(&pairs);
        Ok(pair)
    }

    pub fn list(&self) -> Vec<KeyPair> {
        self.lock().clone()
    }

    pub fn get(&self, arn: &str) -> Option<KeyPair> {
        self.lock().iter().find(|p| p.arn == arn).cloned()
    }

    /// Deletes a key pair; `false` if there was none.
    pub fn delete(&self, arn: &str) -> bool {
        let mut pairs = self.lock();
        let before = pairs.len();
        pairs.retain(|p| p.arn != arn);
        let deleted = pairs.len() != before;
        if deleted {
            self.pairs.save(&pairs);
        }
        deleted
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
        let signed_by_one = self.lock().iter().filter_map(|p| p.key.as_ref()).any(|key| key.verify(signed.as_bytes(), &signature).is_ok());
        if !signed_by_one {
            return Err(TokenError::Signature);
        }
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?).map_err(|_| TokenError::Malformed)?;
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

    fn signing_key() -> p384::ecdsa::SigningKey {
        loop {
            if let Ok(key) = p384::ecdsa::SigningKey::from_bytes(&rand::random::<[u8; 48]>().into()) {
                return key;
            }
        }
    }

    fn issue(key: &p384::ecdsa::SigningKey, claims: serde_json::Value) -> String {
        use p384::ecdsa::signature::Signer;
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES384","typ":"JWT"}"#);
        let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature: Signature = key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn pem(key: &p384::ecdsa::SigningKey) -> String {
        key.verifying_key().to_public_key_pem(p384::pkcs8::LineEnding::LF).unwrap()
    }

    #[test]
    fn tokens_of_an_imported_key_verify_and_refusals_say_why() {
        let pairs = KeyPairs::load(None);
        let key = signing_key();
        let exp = now_secs() + 60;
        let token = issue(&key, serde_json::json!({ "aws:channel-arn": ARN, "aws:access-control-allow-origin": "http://127.0.0.1:8080", "exp": exp }));
        assert_eq!(pairs.check(Some(&token), ARN, None), Err(TokenError::Signature), "no key pair imported yet");
        let pair = pairs.import(&pem(&key), "site", Default::default(), "arn:aws:ivs:us-east-1:000000000000:playback-key/").unwrap();
        assert_eq!(pair.fingerprint.len(), 32 * 3 - 1);
        assert!(matches!(pairs.import(&pem(&key), "again", Default::default(), "x"), Err(ImportError::Duplicate)));
        assert!(matches!(pairs.import("not a key", "x", Default::default(), "x"), Err(ImportError::Material)));
        assert_eq!(pairs.check(Some(&token), ARN, Some("http://127.0.0.1:8080")), Ok(()));
        assert_eq!(pairs.check(Some(&token), ARN, None), Ok(()), "a request without an Origin header");
        assert_eq!(pairs.check(Some(&token), ARN, Some("https://evil.example")), Err(TokenError::Origin));
        assert_eq!(pairs.check(Some(&token), "arn:aws:ivs:us-east-1:000000000000:channel/other", None), Err(TokenError::Channel));
        assert_eq!(pairs.check(None, ARN, None), Err(TokenError::Missing));
        assert_eq!(pairs.check(Some("a.b"), ARN, None), Err(TokenError::Malformed));
        let other = issue(&signing_key(), serde_json::json!({ "aws:channel-arn": ARN, "exp": exp }));
        assert_eq!(pairs.check(Some(&other), ARN, None), Err(TokenError::Signature), "a key never imported");
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(format!(r#"{{"aws:channel-arn":"{ARN}","exp":9999999999}}"#)), parts[2]);
        assert_eq!(pairs.check(Some(&tampered), ARN, None), Err(TokenError::Signature), "claims changed after signing");
        let expired = issue(&key, serde_json::json!({ "aws:channel-arn": ARN, "exp": now_secs() }));
        assert_eq!(pairs.check(Some(&expired), ARN, None), Err(TokenError::Expired));
        assert!(pairs.delete(&pair.arn) && !pairs.delete(&pair.arn));
        assert_eq!(pairs.check(Some(&token), ARN, None), Err(TokenError::Signature), "deleted");
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
