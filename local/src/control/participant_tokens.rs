//! Stage participant tokens as IVS issues them: a JWT signed ES384, whose claims name the stage
//! (`resource`, `topic`), the participant (`jti`), what it may do (`capabilities`), where its media
//! goes (`whip_url`, `events_url`) and a `version`. The local IVS signs them with a key of its own,
//! kept in the data directory so tokens outlive a restart, and checks every media request's token.

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p384::ecdsa::signature::{Signer, Verifier};
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};

/// What a participant may do on its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Capabilities {
    pub allow_publish: bool,
    pub allow_subscribe: bool,
}

impl Capabilities {
    /// The capabilities as the API lists them (`["PUBLISH", "SUBSCRIBE"]`).
    pub fn names(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.allow_publish {
            names.push("PUBLISH");
        }
        if self.allow_subscribe {
            names.push("SUBSCRIBE");
        }
        names
    }
}

/// The claims of a participant token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The stage's ARN.
    pub resource: String,
    /// The stage's ID.
    pub topic: String,
    /// The participant's ID.
    pub jti: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    pub capabilities: Capabilities,
    pub whip_url: String,
    pub events_url: String,
    /// "1.0": no TURN needed, subscribers need not publish (the flags of IVS's "N.flags").
    pub version: String,
    pub iat: u64,
    pub exp: u64,
}

/// Why a media request's token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    /// Not a JWT, or not one of ours in shape.
    Malformed,
    /// Not signed by this local IVS (forged, or by another one).
    Signature,
    Expired,
}

impl TokenError {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Missing => "a participant token is required (Authorization: Bearer <token>)",
            Self::Malformed => "the participant token is not a valid JWT",
            Self::Signature => "the participant token was not issued by this stage service",
            Self::Expired => "the participant token has expired",
        }
    }
}

/// Signs and checks participant tokens.
#[derive(Clone)]
pub struct TokenSigner {
    key: SigningKey,
}

impl TokenSigner {
    /// The signer whose key is kept in `path` (made there on first use); in memory without one.
    pub fn load(path: Option<&Path>) -> Self {
        let stored = path.and_then(|p| std::fs::read_to_string(p).ok()).and_then(|pem| SigningKey::from_pkcs8_pem(&pem).ok());
        if let Some(key) = stored {
            return Self { key };
        }
        let key = random_key();
        if let Some(path) = path {
            let written = key
                .to_pkcs8_pem(p384::pkcs8::LineEnding::LF)
                .map_err(|e| e.to_string())
                .and_then(|pem| std::fs::write(path, pem.as_bytes()).map_err(|e| e.to_string()));
            if let Err(e) = written {
                tracing::warn!("cannot keep the stage token key in {}: {e}; tokens will not outlive a restart", path.display());
            }
        }
        Self { key }
    }

    /// The token carrying `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES384","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signed = format!("{header}.{payload}");
        let signature: Signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The claims of `token` if this signer issued it and it has not expired at `now` (seconds).
    pub fn check(&self, token: Option<&str>, now: u64) -> Result<Claims, TokenError> {
        let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or(TokenError::Missing)?;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value = decode_json(header)?;
        if header["alg"] != "ES384" {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signature = Signature::from_slice(&signature).map_err(|_| TokenError::Signature)?;
        let signed = &token[..token.rfind('.').unwrap_or(0)];
        VerifyingKey::from(&self.key).verify(signed.as_bytes(), &signature).map_err(|_| TokenError::Signature)?;
        let claims: Claims = decode_json(payload)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn random_key() -> SigningKey {
    loop {
        if let Ok(key) = SigningKey::from_bytes(&rand::random::<[u8; 48]>().into()) {
            return key;
        }
    }
}

/// The seconds since the epoch, now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            resource: "arn:aws:ivs:us-east-1:000000000000:stage/abc".into(),
            topic: "abc".into(),
            jti: "p1".into(),
            user_id: "host".into(),
            attributes: BTreeMap::new(),
            capabilities: Capabilities { allow_publish: true, allow_subscribe: false },
            whip_url: "http://127.0.0.1:4566/whip".into(),
            events_url: "ws://127.0.0.1:4566/stage-events".into(),
            version: "1.0".into(),
            iat: 1,
            exp,
        }
    }

    #[test]
    fn tokens_verify_and_refusals_say_why() {
        let signer = TokenSigner::load(None);
        let token = signer.sign(&claims(100));
        assert_eq!(signer.check(Some(&token), 50), Ok(claims(100)));
        assert_eq!(signer.check(Some(&token), 100), Err(TokenError::Expired));
        assert_eq!(signer.check(None, 50), Err(TokenError::Missing));
        assert_eq!(signer.check(Some("a.b"), 50), Err(TokenError::Malformed));
        assert_eq!(TokenSigner::load(None).check(Some(&token), 50), Err(TokenError::Signature), "another signer's token");
        // A token whose claims were changed after signing (say, to add PUBLISH) is refused.
        let mut forged = claims(100);
        forged.capabilities.allow_subscribe = true;
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap()), parts[2]);
        assert_eq!(signer.check(Some(&tampered), 50), Err(TokenError::Signature));
        assert_eq!(Capabilities { allow_publish: true, allow_subscribe: true }.names(), ["PUBLISH", "SUBSCRIBE"]);
    }

    #[test]
    fn the_key_outlives_a_restart() {
        let dir = std::env::temp_dir().join(format!("ivs-stage-key-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stage-token-key.pem");
        let token = TokenSigner::load(Some(&path)).sign(&claims(100));
        assert_eq!(TokenSigner::load(Some(&path)).check(Some(&token), 50).map(|c| c.jti), Ok("p1".into()));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
