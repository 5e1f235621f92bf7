//! Who a viewer is, decided by the server: a viewer id in a signed cookie, minted on first visit,
//! and the capabilities that go with it (moderators are named in configuration). The browser can
//! present an identity but never make one up: a cookie that does not carry this server's signature
//! is ignored.

use std::path::Path;

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie that carries the viewer's identity.
pub const COOKIE: &str = "ivs_viewer";

/// Signs and checks identities.
#[derive(Clone)]
pub struct Identity {
    secret: [u8; 32],
    moderators: Vec<String>,
    sign_in_key: String,
}

const ADJECTIVES: [&str; 16] = [
    "Amber", "Brave", "Calm", "Dapper", "Eager", "Fuzzy", "Gentle", "Happy", "Jolly", "Keen", "Lucky", "Mellow", "Nimble", "Quiet", "Swift",
    "Witty",
];
const ANIMALS: [&str; 16] = [
    "Otter", "Falcon", "Panda", "Heron", "Lynx", "Badger", "Koala", "Fox", "Marten", "Puffin", "Gecko", "Bison", "Crane", "Newt", "Raven",
    "Wombat",
];

impl Identity {
    /// Loads the signing secret from `data_dir` (creating it on first start), so identities
    /// survive restarts.
    pub fn load_or_create(data_dir: &Path, moderators: Vec<String>, sign_in_key: Option<String>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("identity.key");
        let secret = match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()),
            Err(_) => None,
        };
        let secret = match secret {
            Some(secret) => secret,
            None => {
                let secret: [u8; 32] = rand::random();
                std::fs::write(&path, hex::encode(secret)).with_context(|| format!("cannot write {}", path.display()))?;
                secret
            }
        };
        Ok(Self::new(secret, moderators, sign_in_key))
    }

    pub fn new(secret: [u8; 32], moderators: Vec<String>, sign_in_key: Option<String>) -> Self {
        let mut identity = Self { secret, moderators, sign_in_key: String::new() };
        identity.sign_in_key = sign_in_key.unwrap_or_else(|| identity.mac("sign-in")[..32].to_owned());
        identity
    }

    fn mac(&self, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any size");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A new viewer id.
    pub fn new_viewer() -> String {
        format!("viewer-{}", crate::chat::random_id(10).to_lowercase())
    }

    /// The cookie value for `user_id`.
    pub fn sign(&self, user_id: &str) -> String {
        format!("{user_id}.{}", self.mac(user_id))
    }

    /// The user id in a cookie value, if this server signed it.
    pub fn verify(&self, cookie: &str) -> Option<String> {
        let (user_id, mac) = cookie.rsplit_once('.')?;
        let expected = self.mac(user_id);
        // Compare in constant time.
        let same = expected.len() == mac.len() && expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        (same && valid_user_id(user_id)).then(|| user_id.to_owned())
    }

    /// The key that lets an operator sign in as any user (a moderator, say) on this machine.
    pub fn sign_in_key(&self) -> &str {
        &self.sign_in_key
    }

    pub fn is_moderator(&self, user_id: &str) -> bool {
        self.moderators.iter().any(|m| m == user_id)
    }

    /// A friendly, stable name for a user id.
    pub fn display_name(&self, user_id: &str) -> String {
        if self.is_moderator(user_id) || !user_id.starts_with("viewer-") {
            return user_id.to_owned();
        }
        let digest = self.mac(&format!("name:{user_id}"));
        let byte = u8::from_str_radix(&digest[..2], 16).unwrap_or(0);
        let suffix = &user_id[user_id.len().saturating_sub(2)..];
        format!("{} {} {}", ADJECTIVES[(byte >> 4) as usize], ANIMALS[(byte & 15) as usize], suffix.to_uppercase())
    }
}

/// User ids this server mints or accepts at sign-in: 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn valid_user_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_signatures_are_accepted() {
        let identity = Identity::new([7; 32], vec!["mod".into()], None);
        let cookie = identity.sign("viewer-abc");
        assert_eq!(identity.verify(&cookie).as_deref(), Some("viewer-abc"));
        assert_eq!(identity.verify("mod.0000"), None, "forged");
        assert_eq!(identity.verify(&cookie.replace("viewer-abc", "mod")), None, "signature of another id");
        let other = Identity::new([8; 32], vec![], None);
        assert_eq!(other.verify(&cookie), None, "another server's secret");
        assert!(identity.is_moderator("mod") && !identity.is_moderator("viewer-abc"));
    }

    #[test]
    fn names_are_stable_and_cookies_are_found() {
        let identity = Identity::new([7; 32], vec![], None);
        assert_eq!(identity.display_name("viewer-abc12"), identity.display_name("viewer-abc12"));
        assert!(identity.display_name("viewer-abc12").ends_with(" 12"));
        assert_eq!(cookie("a=1; ivs_viewer=x.y; b=2", COOKIE), Some("x.y"));
        assert_eq!(cookie("a=1", COOKIE), None);
        assert!(valid_user_id("viewer-ab_C") && !valid_user_id("a b") && !valid_user_id(""));
    }
}
