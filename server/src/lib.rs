//! `ivs-site`: the server a site runs beside Amazon IVS.
//!
//! It serves the viewer with this deployment's configuration inlined, decides who each viewer is
//! ([`identity`]), hands out chat tokens (`CreateChatToken`) and, for private channels, playback
//! tokens signed with the site's key ([`playback`]); it publishes overlays into the stream
//! (`PutMetadata`) and counts the polls' votes ([`overlays`], [`store`]); it takes in IVS's
//! EventBridge events and pushes the stream's status and the polls' tallies to viewers through
//! the chat room (`SendEvent`, [`status`]).
//!
//! It reaches IVS only through the AWS SDK for Rust ([`aws`]): in production the SDK's own
//! endpoints, locally the local IVS by an endpoint override — the same calls either way. Several
//! instances can run on one Redis ([`store::redis`]); the jobs that must run once per site (the
//! tally and status pushes, the viewer count) go to whichever instance holds their lease.

pub mod aws;
pub mod config;
pub mod demo;
pub mod guard;
pub mod identity;
pub mod overlays;
pub mod playback;
pub mod signin;
pub mod site;
pub mod status;
pub mod store;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use config::{Config, StoreKind};
use identity::Identity;
use overlays::Overlays;
use playback::PlaybackSigner;
use status::Status;
use store::Store;

/// Everything the handlers share (cheap to clone).
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub aws: aws::Aws,
    pub identity: Identity,
    pub store: Arc<dyn Store>,
    pub overlays: Overlays,
    pub status: Status,
    /// The viewer's configuration, inlined into the page.
    pub viewer_config: Arc<serde_json::Value>,
    /// Signs playback tokens (a private channel).
    pub signer: Option<PlaybackSigner>,
    pub operator_keys: Arc<Vec<String>>,
    pub index: Arc<PathBuf>,
    /// The Content-Security-Policy of the pages, and of the embed route (framed by hosts).
    pub page_policy: Arc<String>,
    pub embed_policy: Arc<String>,
    pub limits: guard::Limits,
    max_message_length: Arc<AtomicUsize>,
    /// This instance's name in leases.
    pub instance: String,
}

impl App {
    /// The room's message length limit (as `GetRoom` last said).
    pub fn max_message_length(&self) -> usize {
        self.max_message_length.load(Ordering::Relaxed)
    }

    /// Connects to AWS and the store, learns the channel and the room, and makes the playback
    /// key pair known to IVS where the channel is private. Waits up to `patience` for IVS (the
    /// local IVS may still be starting).
    pub async fn build(config: Config, patience: Duration) -> anyhow::Result<Self> {
        let aws = aws::Aws::new(&config).await;
        let identity = Identity::load(&config.identity, &config.data_dir, config.public_origin.starts_with("https://"))?;
        let store: Arc<dyn Store> = match config.votes.store {
            StoreKind::Embedded => Arc::new(store::embedded::Embedded::open(&config.data_dir)?),
            StoreKind::Redis => {
                let url = config.votes.redis_url.as_deref().context("votes.redis_url is not set")?;
                Arc::new(store::redis::RedisStore::connect(url, &config.votes.redis_prefix, patience).await?)
            }
        };

        let channel = retry(patience, || async {
            aws.ivs.get_channel().arn(&config.channel.arn).send().await.map_err(|e| format!("GetChannel {}: {}", config.channel.arn, aws::describe(&e)))
        })
        .await?;
        let channel = channel.channel().context("GetChannel answered no channel")?;
        let playback_url = config.channel.playback_url.clone().or_else(|| channel.playback_url().map(str::to_owned)).context("the channel has no playback URL")?;
        let signer = if channel.authorized() {
            let signer = PlaybackSigner::load_or_create(&config.data_path(&config.channel.playback_key))?;
            signer.ensure_imported(&aws.ivs).await?;
            Some(signer)
        } else {
            None
        };
        let room = retry(patience, || async {
            aws.chat.get_room().identifier(&config.chat.room_arn).send().await.map_err(|e| format!("GetRoom {}: {}", config.chat.room_arn, aws::describe(&e)))
        })
        .await?;

        let mut viewer_config = serde_json::json!({
            "playbackUrl": playback_url,
            "chatEndpoint": config.chat_endpoint(&aws.region),
            "chatTokenUrl": "/api/chat/token",
            "stateUrl": "/api/state",
            "votesUrl": "/api/polls",
            "embedOrigins": config.embed_origins,
        });
        if signer.is_some() {
            viewer_config["playbackTokenUrl"] = "/api/playback-token".into();
        }
        let operator_keys = if config.operator.keys.is_empty() { vec![load_or_create_key(&config.data_dir.join("operator.key"))?] } else { config.operator.keys.clone() };
        let overlays = Overlays::new(store.clone(), aws.clone(), config.channel.arn.clone(), config.chat.room_arn.clone());
        let status = Status::new(store.clone(), aws.clone(), config.channel.arn.clone(), config.chat.room_arn.clone());
        status.refresh().await.ok();
        let chat_endpoint = config.chat_endpoint(&aws.region);
        let page_policy = guard::content_security_policy(&playback_url, &chat_endpoint, "'none'");
        let embed_policy = guard::content_security_policy(&playback_url, &chat_endpoint, &guard::embed_ancestors(&config.embed_origins));
        Ok(Self {
            index: Arc::new(config.site_dir.join("index.html")),
            page_policy: Arc::new(page_policy),
            embed_policy: Arc::new(embed_policy),
            limits: guard::Limits::new(&config),
            config: Arc::new(config),
            aws,
            identity,
            store,
            overlays,
            status,
            viewer_config: Arc::new(viewer_config),
            signer,
            operator_keys: Arc::new(operator_keys),
            max_message_length: Arc::new(AtomicUsize::new(room.maximum_message_length().unwrap_or(500).max(1) as usize)),
            instance: hex::encode(rand::random::<[u8; 8]>()),
        })
    }

    /// The site's routes.
    pub fn router(&self) -> axum::Router {
        site::router(self.clone(), self.config.site_dir.clone())
    }

    /// Starts the jobs that run beside the handlers: tallies, stream status.
    pub fn spawn_jobs(&self) {
        tokio::spawn(self.overlays.clone().push_tallies(self.instance.clone()));
        tokio::spawn(self.status.clone().run(self.instance.clone(), Duration::from_secs(self.config.channel.viewer_count_secs.max(1))));
    }
}

/// Calls `f` until it succeeds or `patience` runs out (then its last error).
async fn retry<T, F, Fut>(patience: Duration, f: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    let mut wait = Duration::from_millis(100);
    loop {
        match f().await {
            Ok(value) => return Ok(value),
            Err(e) if tokio::time::Instant::now() >= deadline => anyhow::bail!(e),
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// A random key kept in `path` (created once).
pub fn load_or_create_key(path: &std::path::Path) -> anyhow::Result<String> {
    if let Ok(key) = std::fs::read_to_string(path) {
        if key.trim().len() >= 16 {
            return Ok(key.trim().to_owned());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = hex::encode(rand::random::<[u8; 20]>());
    std::fs::write(path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key)
}
