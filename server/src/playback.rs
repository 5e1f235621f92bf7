//! Private channels: playback tokens as IVS defines them — a JWT signed ES384 with the site's
//! playback key pair, claims `aws:channel-arn`, `aws:access-control-allow-origin` and `exp` —
//! and the key pair itself: its private half stays with the server (a PEM file), its public half
//! is imported into IVS (`ImportPlaybackKeyPair`), which then checks the tokens.

use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p384::ecdsa::signature::Signer;
use p384::ecdsa::{Signature, SigningKey};
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

/// Signs playback tokens.
#[derive(Clone)]
pub struct PlaybackSigner {
    key: SigningKey,
}

impl PlaybackSigner {
    /// The key in `path` (PKCS#8 PEM), which must be there: the private half of a key pair an
    /// operator imported into IVS.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the playback key {} (channel.playback_key_pair_arn is set: the key pair's private half, PKCS#8 PEM, must be there)",
                path.display()
            )
        })?;
        Self::from_pem(&pem, path)
    }

    fn from_pem(pem: &str, path: &Path) -> anyhow::Result<Self> {
        let key = SigningKey::from_pkcs8_pem(pem).with_context(|| format!("{} is not a P-384 private key (PKCS#8 PEM)", path.display()))?;
        Ok(Self { key })
    }

    /// The key in `path` (PKCS#8 PEM), created there when missing.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if let Ok(pem) = std::fs::read_to_string(path) {
            return Self::from_pem(&pem, path);
        }
        let key = loop {
            let bytes: [u8; 48] = rand::random();
            if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
                break key;
            }
        };
        let pem = key.to_pkcs8_pem(LineEnding::LF).context("encoding the playback key")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, pem.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
        tracing::info!("created a playback key pair: {}", path.display());
        Ok(Self { key })
    }

    /// The public half, PEM, as `ImportPlaybackKeyPair` takes it.
    pub fn public_pem(&self) -> String {
        self.key.verifying_key().to_public_key_pem(LineEnding::LF).expect("a P-384 public key always encodes")
    }

    /// The name the key pair is imported under: the same key, the same name.
    pub fn key_pair_name(&self) -> String {
        let der = self.key.verifying_key().to_public_key_der().expect("a P-384 public key always encodes");
        format!("ivs-site-{}", &hex::encode(Sha256::digest(der.as_bytes()))[..16])
    }

    /// A token for `channel_arn`, valid for `ttl_secs` from `now_secs`, for pages of `origin`.
    pub fn issue(&self, channel_arn: &str, origin: &str, now_secs: u64, ttl_secs: u64) -> (String, u64) {
        let exp = now_secs + ttl_secs;
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES384","typ":"JWT"}"#);
        let claims = serde_json::json!({ "aws:channel-arn": channel_arn, "aws:access-control-allow-origin": origin, "exp": exp });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let signature: Signature = self.key.sign(signed.as_bytes());
        (format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())), exp)
    }

    /// Imports the public half into IVS unless a key pair of this name is there already.
    pub async fn ensure_imported(&self, ivs: &dyn crate::ivs::Ivs) -> anyhow::Result<()> {
        let name = self.key_pair_name();
        if ivs.playback_key_pair_names().await?.contains(&name) {
            return Ok(());
        }
        ivs.import_playback_key_pair(&name, &self.public_pem()).await?;
        tracing::info!(%name, "imported the playback key pair into IVS");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p384::ecdsa::signature::Verifier;
    use p384::ecdsa::VerifyingKey;
    use p384::pkcs8::DecodePublicKey;

    #[test]
    fn tokens_verify_with_the_public_half_and_the_key_is_kept() {
        let dir = std::env::temp_dir().join(format!("ivs-site-key-{}", std::process::id()));
        let path = dir.join("k.pem");
        let signer = PlaybackSigner::load_or_create(&path).unwrap();
        let again = PlaybackSigner::load_or_create(&path).unwrap();
        assert_eq!(signer.public_pem(), again.public_pem(), "the same key after a restart");
        assert!(signer.key_pair_name().starts_with("ivs-site-"));
        let (token, exp) = signer.issue("arn:aws:ivs:us-east-1:1:channel/x", "https://site.example", 1000, 60);
        assert_eq!(exp, 1060);
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let public = VerifyingKey::from_public_key_pem(&signer.public_pem()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        public.verify(signed.as_bytes(), &signature).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(signed.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["aws:channel-arn"], "arn:aws:ivs:us-east-1:1:channel/x");
        assert_eq!(claims["aws:access-control-allow-origin"], "https://site.example");
        let _ = std::fs::remove_dir_all(dir);
    }
}
