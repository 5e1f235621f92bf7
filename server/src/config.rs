//! The server's configuration: one TOML file, then environment overrides (`IVS_SITE_…`, listed in
//! [`ENV_OVERRIDES`]), so a deployment keeps secrets out of the file. AWS credentials and, unless
//! set here, the region come from the AWS SDK's standard chain.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything the server is told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the server listens.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The site's own origin as browsers see it (`https://live.example.com`): playback tokens are
    /// bound to it.
    pub public_origin: String,
    /// The built viewer (Trunk's `dist/`).
    #[serde(default = "default_site_dir")]
    pub site_dir: PathBuf,
    /// State that outlives a restart: the cookie key, the embedded vote store, the playback key.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Host page origins allowed to command an embedded viewer.
    #[serde(default)]
    pub embed_origins: Vec<String>,
    #[serde(default)]
    pub aws: Aws,
    pub channel: Channel,
    pub chat: ChatConfig,
    #[serde(default)]
    pub identity: IdentityConfig,
    #[serde(default)]
    pub votes: Votes,
    #[serde(default)]
    pub events: Events,
    #[serde(default)]
    pub operator: Operator,
    #[serde(default)]
    pub limits: Limits,
    /// A real-time stage the viewer watches (beside or instead of the channel).
    pub stage: Option<StageConfig>,
    /// The channel's past broadcasts, as IVS records them to S3.
    #[serde(default)]
    pub recordings: RecordingsConfig,
    /// Viewer analytics: pages report how playback goes.
    #[serde(default)]
    pub analytics: AnalyticsConfig,
}

/// Viewer analytics (`POST /api/analytics`; the studio's charts).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// Pages report how playback goes; off: no page is asked to and no report is taken.
    pub enabled: bool,
    /// The share of viewers whose pages report (0 to 1); each report stands for 1/rate viewers.
    pub sample_rate: f64,
    /// How often a playing page reports, in seconds (10 to 600), besides once as it is hidden.
    pub report_secs: u64,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self { enabled: true, sample_rate: 1.0, report_secs: 60 }
    }
}

/// Where the channel's recordings are served.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsConfig {
    /// The recording bucket as viewers reach it: a CDN (CloudFront) in front of the bucket, so
    /// `<base_url>/<recording prefix>/media/hls/master.m3u8` plays. None: no library.
    pub base_url: Option<String>,
}

/// The site's real-time stage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub arn: String,
    /// User ids who may publish (besides the site's JWT host claim).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// How long a participant token lasts, in minutes (IVS: 1 to 20,160).
    #[serde(default = "default_stage_token_minutes")]
    pub token_minutes: i32,
}

fn default_stage_token_minutes() -> i32 {
    60
}

/// How often one address, identity or operator may act (per instance).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Anonymous identities one address is given (with the page) per hour.
    pub anonymous_per_address_per_hour: u32,
    /// Chat and playback tokens per identity per minute.
    pub tokens_per_minute: u32,
    /// Chat and playback tokens per address per minute (many people can share one address).
    pub tokens_per_minute_per_address: u32,
    /// Publishing and sign-in links per operator key per second.
    pub operator_per_second: u32,
    /// Clips one identity may make per hour.
    pub clips_per_hour: u32,
    /// Analytics reports one identity may send per minute (a page sends one a minute, and one
    /// as it is hidden).
    pub analytics_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // Many phones share one address behind a carrier's NAT: the budget is generous by default;
        // a poll that must count people strictly asks for signed-in users.
        Self {
            anonymous_per_address_per_hour: 200,
            tokens_per_minute: 60,
            tokens_per_minute_per_address: 600,
            operator_per_second: 10,
            clips_per_hour: 20,
            analytics_per_minute: 10,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aws {
    /// The region (default: the SDK's chain, e.g. `AWS_REGION`).
    pub region: Option<String>,
    /// Another endpoint for both IVS APIs (the local IVS: `http://127.0.0.1:4566`).
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub arn: String,
    /// The playback URL (default: the channel's, from `GetChannel`).
    pub playback_url: Option<String>,
    /// The private key (PEM, P-384) that signs playback tokens for a private channel; relative
    /// paths are in `data_dir`. Without `playback_key_pair_arn`: created when missing, and its
    /// public half imported into IVS (`ImportPlaybackKeyPair`) at start.
    #[serde(default = "default_playback_key")]
    pub playback_key: PathBuf,
    /// The ARN of a playback key pair an operator imported into IVS themselves, whose private half
    /// is `playback_key`: the server then neither creates the key nor lists or imports key pairs
    /// (its AWS policy needs neither action).
    pub playback_key_pair_arn: Option<String>,
    #[serde(default = "default_token_ttl")]
    pub playback_token_ttl_secs: u64,
    /// Only these user ids get playback tokens (empty: every viewer).
    #[serde(default)]
    pub subscribers: Vec<String>,
    /// How often one instance asks `GetStream` for the viewer count.
    #[serde(default = "default_viewer_count_secs")]
    pub viewer_count_secs: u64,
    /// Other playback URLs a link may choose with `?playbackUrl=`: an entry is one URL, or
    /// (ending in `/`) every URL under it. Empty (the default): the site's pages play only this
    /// channel, whatever a link says.
    #[serde(default)]
    pub playback_overrides: Vec<String>,
    /// Replace the stream key after every broadcast (on IVS's "Session Ended"), as IVS advises:
    /// operators read the new one with `ivs-site stream-key` or `GET /api/stream-key`.
    #[serde(default)]
    pub rotate_stream_key: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    pub room_arn: String,
    /// The Chat Messaging endpoint (default: `wss://edge.ivschat.<region>.amazonaws.com`).
    pub endpoint: Option<String>,
    /// How long a chat session lasts, 1 to 180 minutes.
    #[serde(default = "default_session_minutes")]
    pub session_minutes: i32,
    /// The secret the room's message review handler sends in the `x-ivs-review-secret` header
    /// when it asks `POST /api/chat/review` about a message. No secret: the word list and slow
    /// mode are kept but nothing applies them.
    pub review_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// User ids with moderator tools (besides the site's JWT claim).
    #[serde(default = "default_moderators")]
    pub moderators: Vec<String>,
    /// User ids who run the show from `/studio` (besides the site's JWT claim): sign one in with a
    /// one-time link (`ivs-site sign-in-link --user producer`) or the sign-in form.
    #[serde(default = "default_operators")]
    pub operators: Vec<String>,
    /// The anonymous viewers' cookie key, 64 hex digits; every instance needs the same (default:
    /// `identity.key` in `data_dir`, created once).
    pub cookie_secret: Option<String>,
    /// The key of `/sign-in` (default: derived from the cookie key).
    pub sign_in_key: Option<String>,
    /// The site's signed-in users: a JWT it issues.
    pub jwt: Option<Jwt>,
    /// Take the client's address from the last `X-Forwarded-For` hop (only behind a proxy that
    /// sets it; otherwise any client could pick its address).
    #[serde(default)]
    pub trust_proxy: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self { moderators: default_moderators(), operators: default_operators(), cookie_secret: None, sign_in_key: None, jwt: None, trust_proxy: false }
    }
}

/// How the site's JWTs are checked and read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jwt {
    /// The cookie that carries it (an `Authorization: Bearer` header is read too).
    #[serde(default = "default_jwt_cookie")]
    pub cookie: String,
    /// HS256: the shared secret.
    pub hs256_secret: Option<String>,
    /// ES256 or RS256: the public key, PEM (a path).
    pub public_key: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// The claim with the user id.
    #[serde(default = "default_claim_user")]
    pub user_claim: String,
    /// The claim with the display name.
    #[serde(default = "default_claim_name")]
    pub name_claim: String,
    /// A claim that, when `true` (or a list containing "moderator"), grants moderator tools.
    #[serde(default = "default_claim_moderator")]
    pub moderator_claim: String,
    /// A claim that, when `true` (or a list containing "host"), lets the user publish on the stage.
    #[serde(default = "default_claim_host")]
    pub host_claim: String,
    /// A claim that, when `true` (or a list containing "operator"), opens the studio.
    #[serde(default = "default_claim_operator")]
    pub operator_claim: String,
}

fn default_moderators() -> Vec<String> {
    vec!["moderator".into()]
}

fn default_operators() -> Vec<String> {
    vec!["producer".into()]
}

fn default_claim_operator() -> String {
    "operator".into()
}

fn default_claim_host() -> String {
    "host".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The embedded database in `data_dir` (one instance).
    #[default]
    Embedded,
    /// Redis (several instances).
    Redis,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Votes {
    #[serde(default)]
    pub store: StoreKind,
    /// `redis://HOST:PORT`, or `rediss://HOST:PORT` for TLS (the server's certificate is checked
    /// against the system's roots, or `redis_ca_file`); a password as `rediss://:PASSWORD@HOST`.
    pub redis_url: Option<String>,
    /// The CA (PEM) that signed a `rediss://` server's certificate, when the system does not
    /// trust it already (a private CA); relative paths are in `data_dir`.
    pub redis_ca_file: Option<PathBuf>,
    /// Keys in Redis start with this (several sites on one Redis).
    #[serde(default)]
    pub redis_prefix: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    /// The secret EventBridge's API destination sends in the `x-ivs-events-secret` header. No
    /// secret: the intake is off.
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Keys that may publish overlays (`Authorization: Bearer KEY`).
    #[serde(default)]
    pub keys: Vec<String>,
}

fn default_listen() -> SocketAddr {
    ([127, 0, 0, 1], 8080).into()
}
fn default_site_dir() -> PathBuf {
    "dist".into()
}
fn default_data_dir() -> PathBuf {
    ".ivs-site".into()
}
fn default_playback_key() -> PathBuf {
    "playback-key.pem".into()
}
fn default_token_ttl() -> u64 {
    600
}
fn default_viewer_count_secs() -> u64 {
    10
}
fn default_session_minutes() -> i32 {
    60
}
fn default_jwt_cookie() -> String {
    "site_session".into()
}
fn default_claim_user() -> String {
    "sub".into()
}
fn default_claim_name() -> String {
    "name".into()
}
fn default_claim_moderator() -> String {
    "moderator".into()
}

/// Environment variables that override the file: (variable, dotted key).
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("IVS_SITE_LISTEN", "listen"),
    ("IVS_SITE_PUBLIC_ORIGIN", "public_origin"),
    ("IVS_SITE_SITE_DIR", "site_dir"),
    ("IVS_SITE_DATA_DIR", "data_dir"),
    ("IVS_SITE_AWS_ENDPOINT_URL", "aws.endpoint_url"),
    ("IVS_SITE_AWS_REGION", "aws.region"),
    ("IVS_SITE_CHANNEL_ARN", "channel.arn"),
    ("IVS_SITE_PLAYBACK_URL", "channel.playback_url"),
    ("IVS_SITE_PLAYBACK_KEY", "channel.playback_key"),
    ("IVS_SITE_PLAYBACK_KEY_PAIR_ARN", "channel.playback_key_pair_arn"),
    ("IVS_SITE_ROOM_ARN", "chat.room_arn"),
    ("IVS_SITE_CHAT_ENDPOINT", "chat.endpoint"),
    ("IVS_SITE_STAGE_ARN", "stage.arn"),
    ("IVS_SITE_RECORDINGS_BASE_URL", "recordings.base_url"),
    ("IVS_SITE_COOKIE_SECRET", "identity.cookie_secret"),
    ("IVS_SITE_SIGN_IN_KEY", "identity.sign_in_key"),
    ("IVS_SITE_JWT_HS256_SECRET", "identity.jwt.hs256_secret"),
    ("IVS_SITE_VOTE_STORE", "votes.store"),
    ("IVS_SITE_REDIS_URL", "votes.redis_url"),
    ("IVS_SITE_REDIS_CA_FILE", "votes.redis_ca_file"),
    ("IVS_SITE_EVENTS_SECRET", "events.secret"),
    ("IVS_SITE_REVIEW_SECRET", "chat.review_secret"),
    ("IVS_SITE_OPERATOR_KEY", "operator.keys"),
];

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Reads `path`, applies the environment's overrides from `env`, and checks the result.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text, env).map_err(|message| ConfigError::Invalid { path: path.display().to_string(), message })
    }

    /// Parses a configuration's text with overrides from `env`.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_owned())?;
        for (var, key) in ENV_OVERRIDES {
            if let Some(value) = env(var) {
                let value = if *key == "operator.keys" {
                    toml::Value::Array(value.split(',').map(|k| toml::Value::String(k.trim().to_owned())).collect())
                } else {
                    toml::Value::String(value)
                };
                set(&mut table, key, value);
            }
        }
        let config: Config = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| e.message().to_owned())?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems.join("; "))
        }
    }

    /// What is wrong with this configuration, in words (empty: nothing).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.channel.arn.starts_with("arn:aws:ivs:") || !self.channel.arn.contains(":channel/") {
            problems.push(format!("channel.arn {:?} is not an IVS channel ARN (arn:aws:ivs:REGION:ACCOUNT:channel/ID)", self.channel.arn));
        }
        if !self.chat.room_arn.starts_with("arn:aws:ivschat:") || !self.chat.room_arn.contains(":room/") {
            problems.push(format!("chat.room_arn {:?} is not an IVS Chat room ARN (arn:aws:ivschat:REGION:ACCOUNT:room/ID)", self.chat.room_arn));
        }
        if !(1..=180).contains(&self.chat.session_minutes) {
            problems.push("chat.session_minutes must be 1 to 180".into());
        }
        if !(self.public_origin.starts_with("https://") || self.public_origin.starts_with("http://")) || self.public_origin.ends_with('/') {
            problems.push(format!("public_origin {:?} must be an origin such as https://live.example.com (no path)", self.public_origin));
        }
        if let Some(secret) = &self.identity.cookie_secret {
            if hex::decode(secret).map_or(true, |b| b.len() != 32) {
                problems.push("identity.cookie_secret must be 64 hex digits".into());
            }
        }
        if let Some(jwt) = &self.identity.jwt {
            match (&jwt.hs256_secret, &jwt.public_key) {
                (None, None) => problems.push("identity.jwt needs hs256_secret or public_key".into()),
                (Some(_), Some(_)) => problems.push("identity.jwt takes hs256_secret or public_key, not both".into()),
                (Some(secret), None) if secret.len() < 32 => problems.push("identity.jwt.hs256_secret must be at least 32 characters".into()),
                _ => {}
            }
        }
        if matches!(self.votes.store, StoreKind::Redis) && self.votes.redis_url.is_none() {
            problems.push("votes.store is \"redis\" but votes.redis_url is not set".into());
        }
        if self.votes.redis_ca_file.is_some() && !self.votes.redis_url.as_deref().is_some_and(|u| u.starts_with("rediss://")) {
            problems.push("votes.redis_ca_file is set but votes.redis_url is not a rediss:// (TLS) URL".into());
        }
        if !(self.analytics.sample_rate > 0.0 && self.analytics.sample_rate <= 1.0) {
            problems.push("analytics.sample_rate must be above 0 and at most 1".into());
        }
        if !(10..=600).contains(&self.analytics.report_secs) {
            problems.push("analytics.report_secs must be 10 to 600".into());
        }
        if self.chat.review_secret.as_ref().is_some_and(|s| s.len() < 16) {
            problems.push("chat.review_secret must be at least 16 characters".into());
        }
        if self.events.secret.as_ref().is_some_and(|s| s.len() < 16) {
            problems.push("events.secret must be at least 16 characters".into());
        }
        if self.operator.keys.iter().any(|k| k.len() < 16) {
            problems.push("every operator key must be at least 16 characters".into());
        }
        if let Err(e) = ivs_proto::embed::Allowlist::parse(&self.embed_origins) {
            problems.push(format!("embed_origins: {e}"));
        }
        if let Some(base) = &self.recordings.base_url {
            if ivs_proto::url::SafeUrl::parse(base).is_err() || !(base.starts_with("https://") || base.starts_with("http://")) {
                problems.push(format!("recordings.base_url {base:?} is not an http(s) URL"));
            }
        }
        if let Some(arn) = &self.channel.playback_key_pair_arn {
            if !arn.starts_with("arn:aws:ivs:") || !arn.contains(":playback-key/") {
                problems.push(format!("channel.playback_key_pair_arn {arn:?} is not a playback key pair ARN (arn:aws:ivs:REGION:ACCOUNT:playback-key/ID)"));
            }
        }
        for entry in &self.channel.playback_overrides {
            let host = entry.strip_prefix("https://").or_else(|| entry.strip_prefix("http://")).and_then(|rest| rest.split('/').next());
            if host.is_none_or(str::is_empty) || ivs_proto::url::SafeUrl::parse(entry).is_err() {
                problems.push(format!("channel.playback_overrides: {entry:?} is not an http(s) URL (end it with / to allow every URL under it)"));
            }
        }
        problems
    }

    /// The AWS region the ARNs name.
    pub fn arn_region(&self) -> Option<&str> {
        self.channel.arn.split(':').nth(3)
    }

    /// The Chat Messaging endpoint.
    pub fn chat_endpoint(&self, region: &str) -> String {
        self.chat.endpoint.clone().unwrap_or_else(|| format!("wss://edge.ivschat.{region}.amazonaws.com"))
    }

    /// A path from the configuration, in `data_dir` when relative.
    pub fn data_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.data_dir.join(path)
        }
    }
}

fn set(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = table.entry(head.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = entry {
                set(inner, rest, value);
            }
        }
    }
}

/// The least a configuration names: the origin, the channel and the room (every other key has a
/// default). The reference test (e2e/tests/reference.rs) sets each key over it.
pub const MINIMAL: &str = r#"
public_origin = "https://live.example.com"
[channel]
arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcd"
[chat]
room_arn = "arn:aws:ivschat:us-west-2:123456789012:room/efgh"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_file_has_sensible_defaults() {
        let config = Config::parse(MINIMAL, |_| None).unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert!(matches!(config.votes.store, StoreKind::Embedded));
        assert_eq!(config.chat_endpoint("us-west-2"), "wss://edge.ivschat.us-west-2.amazonaws.com");
        assert_eq!(config.arn_region(), Some("us-west-2"));
        assert!(config.events.secret.is_none() && config.operator.keys.is_empty());
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let env = |name: &str| match name {
            "IVS_SITE_REDIS_URL" => Some("redis://10.0.0.5:6379".to_owned()),
            "IVS_SITE_VOTE_STORE" => Some("redis".to_owned()),
            "IVS_SITE_OPERATOR_KEY" => Some("0123456789abcdef0, fedcba98765432100".to_owned()),
            "IVS_SITE_LISTEN" => Some("0.0.0.0:9000".to_owned()),
            _ => None,
        };
        let config = Config::parse(MINIMAL, env).unwrap();
        assert!(matches!(config.votes.store, StoreKind::Redis));
        assert_eq!(config.votes.redis_url.as_deref(), Some("redis://10.0.0.5:6379"));
        assert_eq!(config.operator.keys, ["0123456789abcdef0", "fedcba98765432100"]);
        assert_eq!(config.listen.port(), 9000);
    }

    #[test]
    fn mistakes_are_said_in_words() {
        let bad = MINIMAL.replace("arn:aws:ivs:us-west-2:123456789012:channel/abcd", "my-channel") + "\n[votes]\nstore = \"redis\"\n";
        let error = Config::parse(&bad, |_| None).unwrap_err();
        assert!(error.contains("channel.arn \"my-channel\" is not an IVS channel ARN"), "{error}");
        assert!(error.contains("votes.redis_url is not set"), "{error}");
        let overrides = MINIMAL.replace("[chat]", "playback_overrides = [\"https://ok.example/live/\", \"ftp://x\", \"https://\"]\n[chat]");
        let error = Config::parse(&overrides, |_| None).unwrap_err();
        assert!(error.contains("\"ftp://x\" is not an http(s) URL") && error.contains("\"https://\" is not"), "{error}");
        assert!(!error.contains("ok.example"), "{error}");
        let typo = MINIMAL.to_owned() + "\nlisen = \"0.0.0.0:1\"\n";
        assert!(Config::parse(&typo, |_| None).unwrap_err().contains("lisen"), "unknown keys are named");
        assert!(Config::parse("public_origin = ", |_| None).is_err());
    }
}
