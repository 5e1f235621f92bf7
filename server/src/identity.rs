//! Who a request comes from, decided by the server.
//!
//! - A site's signed-in user: a JWT the site issued (in its cookie or an `Authorization: Bearer`
//!   header), checked with the site's HS256 secret or ES256/RS256 public key; its claims give the
//!   user id, the display name and the moderator role.
//! - Anyone else: an anonymous viewer id in a cookie this server signs (HMAC), minted on first
//!   visit. A cookie without this server's signature is ignored.
//!
//! The browser can present an identity but never make one up; a bad token is simply no identity.

use std::path::Path;

use anyhow::Context;
use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};

use crate::config::{IdentityConfig, Jwt};

/// The cookie that carries an anonymous viewer's id.
pub const COOKIE: &str = "ivs_viewer";

/// A person, as the server knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: String,
    pub display_name: String,
    pub moderator: bool,
    /// Runs the show from the studio (one of `identity.operators`, or the site's JWT says so).
    pub operator: bool,
    /// May publish on the stage (the site's JWT says so).
    pub host: bool,
    /// Signed in on the site (a JWT), rather than an anonymous viewer.
    pub signed_in: bool,
}

/// Signs and checks identities.
#[derive(Clone)]
pub struct Identity {
    secret: [u8; 32],
    moderators: Vec<String>,
    operators: Vec<String>,
    sign_in_key: String,
    jwt: Option<SiteJwt>,
    /// The cookie's attributes: `SameSite=None; Secure; Partitioned` on an HTTPS site, so the
    /// viewer embedded in another site's page keeps its identity (requests are still checked to
    /// come from this site's own pages); `SameSite=Lax` otherwise.
    cookie_attributes: &'static str,
}

#[derive(Clone)]
struct SiteJwt {
    config: Jwt,
    key: DecodingKey,
    validation: Validation,
}

const ADJECTIVES: [&str; 16] =
    ["Amber", "Brave", "Calm", "Dapper", "Eager", "Fuzzy", "Gentle", "Happy", "Jolly", "Keen", "Lucky", "Mellow", "Nimble", "Quiet", "Swift", "Witty"];
const ANIMALS: [&str; 16] =
    ["Otter", "Falcon", "Panda", "Heron", "Lynx", "Badger", "Koala", "Fox", "Marten", "Puffin", "Gecko", "Bison", "Crane", "Newt", "Raven", "Wombat"];

impl Identity {
    /// The identity service of `config`; the cookie key comes from the configuration or from
    /// `data_dir` (created on first start, so identities survive restarts).
    pub fn load(config: &IdentityConfig, data_dir: &Path, https: bool) -> anyhow::Result<Self> {
        let secret = match &config.cookie_secret {
            Some(hex_secret) => {
                hex::decode(hex_secret).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).context("identity.cookie_secret must be 64 hex digits")?
            }
            None => load_or_create_secret(data_dir)?,
        };
        let jwt = config.jwt.as_ref().map(SiteJwt::new).transpose()?;
        let mut identity = Self::new(secret, config.moderators.clone(), config.operators.clone(), config.sign_in_key.clone(), jwt);
        if https {
            identity.cookie_attributes = "SameSite=None; Secure; Partitioned";
        }
        Ok(identity)
    }

    fn new(secret: [u8; 32], moderators: Vec<String>, operators: Vec<String>, sign_in_key: Option<String>, jwt: Option<SiteJwt>) -> Self {
        let mut identity = Self { secret, moderators, operators, sign_in_key: String::new(), jwt, cookie_attributes: "SameSite=Lax" };
        identity.sign_in_key = sign_in_key.unwrap_or_else(|| identity.mac("sign-in")[..32].to_owned());
        identity
    }

    fn mac(&self, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any size");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A new anonymous viewer id.
    pub fn new_viewer() -> String {
        format!("viewer-{}", hex::encode(rand::random::<[u8; 6]>()))
    }

    /// The cookie value for `user_id`.
    pub fn sign(&self, user_id: &str) -> String {
        format!("{user_id}.{}", self.mac(user_id))
    }

    /// A `Set-Cookie` value that remembers `user_id`.
    pub fn cookie_for(&self, user_id: &str) -> String {
        format!("{COOKIE}={}; Path=/; HttpOnly; {}; Max-Age=31536000", self.sign(user_id), self.cookie_attributes)
    }

    /// The user id in a cookie value, if this server signed it.
    pub fn verify(&self, cookie: &str) -> Option<String> {
        let (user_id, mac) = cookie.rsplit_once('.')?;
        let expected = self.mac(user_id);
        let same = crate::guard::constant_time_eq(&expected, mac);
        (same && valid_user_id(user_id)).then(|| user_id.to_owned())
    }

    /// The key that lets an operator sign in as any user (a moderator, say).
    pub fn sign_in_key(&self) -> &str {
        &self.sign_in_key
    }

    pub fn is_moderator(&self, user_id: &str) -> bool {
        self.moderators.iter().any(|m| m == user_id)
    }

    pub fn is_operator(&self, user_id: &str) -> bool {
        self.operators.iter().any(|m| m == user_id)
    }

    /// Who sent `headers`: a signed-in user, then an anonymous viewer; `None`: nobody known yet.
    pub fn person(&self, headers: &HeaderMap) -> Option<Person> {
        if let Some(person) = self.jwt.as_ref().and_then(|jwt| jwt.person(headers)) {
            let moderator = person.moderator || self.is_moderator(&person.user_id);
            let operator = person.operator || self.is_operator(&person.user_id);
            return Some(Person { moderator, operator, ..person });
        }
        let user_id = cookies(headers, COOKIE).find_map(|c| self.verify(c))?;
        Some(self.anonymous(user_id))
    }

    /// The person with an anonymous (or signed-in-by-key) viewer id.
    pub fn anonymous(&self, user_id: String) -> Person {
        Person {
            display_name: self.display_name(&user_id),
            moderator: self.is_moderator(&user_id),
            operator: self.is_operator(&user_id),
            host: false,
            signed_in: false,
            user_id,
        }
    }

    /// A friendly, stable name for an anonymous viewer id.
    fn display_name(&self, user_id: &str) -> String {
        if !user_id.starts_with("viewer-") {
            return user_id.to_owned();
        }
        let digest = self.mac(&format!("name:{user_id}"));
        let byte = u8::from_str_radix(&digest[..2], 16).unwrap_or(0);
        let suffix = &user_id[user_id.len().saturating_sub(2)..];
        format!("{} {} {}", ADJECTIVES[(byte >> 4) as usize], ANIMALS[(byte & 15) as usize], suffix.to_uppercase())
    }
}

fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join("identity.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Some(secret) = hex::decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            return Ok(secret);
        }
    }
    let secret: [u8; 32] = rand::random();
    std::fs::write(&path, hex::encode(secret)).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret)
}

impl SiteJwt {
    fn new(config: &Jwt) -> anyhow::Result<Self> {
        let (key, algorithms) = match (&config.hs256_secret, &config.public_key) {
            (Some(secret), _) => (DecodingKey::from_secret(secret.as_bytes()), vec![Algorithm::HS256]),
            (None, Some(path)) => {
                let pem = std::fs::read(path).with_context(|| format!("cannot read the site's JWT public key {}", path.display()))?;
                match DecodingKey::from_ec_pem(&pem) {
                    Ok(key) => (key, vec![Algorithm::ES256]),
                    Err(_) => (
                        DecodingKey::from_rsa_pem(&pem).with_context(|| format!("{} is neither a P-256 nor an RSA public key (PEM)", path.display()))?,
                        vec![Algorithm::RS256],
                    ),
                }
            }
            (None, None) => anyhow::bail!("identity.jwt needs hs256_secret or public_key"),
        };
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms;
        validation.leeway = 30;
        match &config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &config.issuer {
            validation.set_issuer(&[issuer]);
        }
        Ok(Self { config: config.clone(), key, validation })
    }

    fn person(&self, headers: &HeaderMap) -> Option<Person> {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let token = bearer.into_iter().chain(cookies(headers, &self.config.cookie)).find(|t| t.len() <= 8192)?;
        let claims = match jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &self.validation) {
            Ok(data) => data.claims,
            Err(e) => {
                tracing::debug!("site JWT refused: {e}");
                return None;
            }
        };
        let subject = claims.get(&self.config.user_claim)?.as_str().filter(|s| !s.is_empty())?;
        // The site's ids are its own; one that is not a plain id is named by its digest.
        let user_id = if valid_user_id(subject) { subject.to_owned() } else { format!("u-{}", &hex::encode(Sha256::digest(subject))[..24]) };
        let display_name = claims
            .get(&self.config.name_claim)
            .and_then(|n| n.as_str())
            .map(|n| n.chars().filter(|c| !c.is_control()).take(64).collect::<String>())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| user_id.clone());
        let role = |claim: &str, name: &str| match claims.get(claim) {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(role)) => role == name,
            Some(serde_json::Value::Array(roles)) => roles.iter().any(|r| r == name),
            _ => false,
        };
        let (moderator, host, operator) =
            (role(&self.config.moderator_claim, "moderator"), role(&self.config.host_claim, "host"), role(&self.config.operator_claim, "operator"));
        Some(Person { user_id, display_name, moderator, operator, host, signed_in: true })
    }
}

/// User ids this server mints or accepts: 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn valid_user_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The values of cookie `name` in the request's `Cookie` headers.
pub fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const SECRET: &str = "a-site-secret-of-at-least-32-characters";

    fn with_jwt() -> Identity {
        let config = IdentityConfig {
            moderators: vec!["mod".into()],
            operators: vec!["producer".into()],
            cookie_secret: Some(hex::encode([7u8; 32])),
            sign_in_key: None,
            trust_proxy: false,
            jwt: Some(Jwt {
                cookie: "site_session".into(),
                hs256_secret: Some(SECRET.into()),
                public_key: None,
                issuer: Some("https://www.example.com".into()),
                audience: None,
                user_claim: "sub".into(),
                name_claim: "name".into(),
                moderator_claim: "moderator".into(),
                host_claim: "host".into(),
                operator_claim: "operator".into(),
            }),
        };
        Identity::load(&config, Path::new("/nonexistent"), false).unwrap()
    }

    fn token(claims: serde_json::Value, secret: &str) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    fn exp() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 600
    }

    #[test]
    fn an_https_site_keeps_its_viewers_in_other_sites_embeds() {
        let config = IdentityConfig { cookie_secret: Some(hex::encode([1u8; 32])), ..IdentityConfig::default() };
        let https = Identity::load(&config, Path::new("/nonexistent"), true).unwrap();
        assert!(https.cookie_for("viewer-a").ends_with("HttpOnly; SameSite=None; Secure; Partitioned; Max-Age=31536000"));
        let http = Identity::load(&config, Path::new("/nonexistent"), false).unwrap();
        assert!(http.cookie_for("viewer-a").contains("HttpOnly; SameSite=Lax;"));
    }

    #[test]
    fn only_this_servers_cookies_are_accepted() {
        let identity = with_jwt();
        let cookie = identity.sign("viewer-abc");
        assert_eq!(identity.verify(&cookie).as_deref(), Some("viewer-abc"));
        assert_eq!(identity.verify("mod.0000"), None, "forged");
        assert_eq!(identity.verify(&cookie.replace("viewer-abc", "mod")), None, "signature of another id");
        let person = identity.person(&headers(&format!("a=1; {COOKIE}={cookie}"))).unwrap();
        assert!(!person.signed_in && !person.moderator);
        assert_eq!(person.display_name, identity.display_name("viewer-abc"));
        assert!(identity.person(&headers("ivs_viewer=viewer-abc.00")).is_none());
    }

    #[test]
    fn a_site_jwt_gives_the_sites_name_and_role() {
        let identity = with_jwt();
        let jwt =
            token(serde_json::json!({ "sub": "ann-42", "name": "Ann Example", "moderator": true, "iss": "https://www.example.com", "exp": exp() }), SECRET);
        let person = identity.person(&headers(&format!("site_session={jwt}"))).unwrap();
        assert_eq!(
            person,
            Person { user_id: "ann-42".into(), display_name: "Ann Example".into(), moderator: true, operator: false, host: false, signed_in: true }
        );
        // The operator role from the claim (a list of roles), or by user id.
        let jwt = token(serde_json::json!({ "sub": "cat", "operator": ["operator"], "iss": "https://www.example.com", "exp": exp() }), SECRET);
        assert!(identity.person(&headers(&format!("site_session={jwt}"))).unwrap().operator);
        let jwt = token(serde_json::json!({ "sub": "producer", "iss": "https://www.example.com", "exp": exp() }), SECRET);
        assert!(identity.person(&headers(&format!("site_session={jwt}"))).unwrap().operator);
        let producer = identity.sign("producer");
        assert!(identity.person(&headers(&format!("{COOKIE}={producer}"))).unwrap().operator, "signed in by link or form");
        // The header works too, and an e-mail address as subject becomes a stable id.
        let jwt = token(serde_json::json!({ "sub": "bob@example.com", "iss": "https://www.example.com", "exp": exp() }), SECRET);
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {jwt}")).unwrap());
        let bob = identity.person(&bearer).unwrap();
        assert!(bob.user_id.starts_with("u-") && valid_user_id(&bob.user_id) && !bob.moderator);
        assert_eq!(identity.person(&bearer).unwrap().user_id, bob.user_id);
    }

    #[test]
    fn bad_site_tokens_are_no_identity() {
        let identity = with_jwt();
        let claims = serde_json::json!({ "sub": "ann", "moderator": true, "iss": "https://www.example.com", "exp": exp() });
        let wrong_key = token(claims.clone(), "another-secret-of-at-least-32-characters");
        let expired = token(serde_json::json!({ "sub": "ann", "iss": "https://www.example.com", "exp": 1000 }), SECRET);
        let wrong_issuer = token(serde_json::json!({ "sub": "ann", "iss": "https://evil.example", "exp": exp() }), SECRET);
        let unsigned = {
            let good = token(claims, SECRET);
            let mut parts: Vec<&str> = good.split('.').collect();
            parts[2] = "";
            parts.join(".")
        };
        for bad in [wrong_key, expired, wrong_issuer, unsigned, "not.a.jwt".into(), "x".repeat(10_000)] {
            assert_eq!(identity.person(&headers(&format!("site_session={bad}"))), None, "{bad:.40}");
        }
    }
}
