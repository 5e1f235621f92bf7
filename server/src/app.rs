//! The app: everything the handlers share. Built in two steps so that the HTTP side can be
//! tested without a socket or IVS: [`App::connect`] talks to AWS and opens the store (the one
//! step with I/O), [`App::new`] makes the app from what that found — a pure function, which the
//! router tests call with a test double of [`Ivs`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::analytics::Analytics;
use crate::aws::AwsIvs;
use crate::clips::Clips;
use crate::config::{Config, StoreKind};
use crate::guard;
use crate::identity::Identity;
use crate::ivs::Ivs;
use crate::moderation::Moderation;
use crate::overlays::Overlays;
use crate::playback::PlaybackSigner;
use crate::recordings::Recordings;
use crate::room::Room;
use crate::show::RunOfShow;
use crate::stage::Stage;
use crate::status::Status;
use crate::store::{self, Store};
use crate::stream_keys::StreamKeys;

/// Everything the handlers share (cheap to clone).
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub ivs: Arc<dyn Ivs>,
    pub identity: Identity,
    pub store: Arc<dyn Store>,
    pub overlays: Overlays,
    pub status: Status,
    /// The site's real-time stage, when it has one.
    pub stage: Option<Stage>,
    /// The channel's past broadcasts.
    pub recordings: Recordings,
    /// The channel's stream key, for operators.
    pub stream_keys: StreamKeys,
    /// Clips of the recordings.
    pub clips: Clips,
    /// How playback goes for viewers, per broadcast per minute.
    pub analytics: Analytics,
    /// The studio's run of show.
    pub show: RunOfShow,
    /// The chat's word list and slow mode.
    pub moderation: Moderation,
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
    /// Pages that may embed the viewer (`embed_origins`): frame it, command it, and call the
    /// viewer's API across origins with the visitor's identity (`http/cors.rs`).
    pub embed_origins: Arc<ivs_proto::embed::Allowlist>,
    /// The room's message length limit (as `GetRoom` said).
    pub max_message_length: usize,
    /// This instance's name in leases.
    pub instance: String,
}

/// What [`App::new`] is made from: the outside services and what was learnt from them.
pub struct Parts {
    pub ivs: Arc<dyn Ivs>,
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    /// Present when the channel is private.
    pub signer: Option<PlaybackSigner>,
    pub operator_keys: Vec<String>,
    /// The channel's playback URL (the configuration's, else `GetChannel`'s).
    pub playback_url: String,
    /// The Chat Messaging endpoint.
    pub chat_endpoint: String,
    /// The room's message length limit (`GetRoom`).
    pub max_message_length: usize,
    /// The stage's WHIP endpoint (`GetStage`), when the site has a stage.
    pub stage_whip_url: Option<String>,
}

impl App {
    /// The app made of `config` and `parts`; no I/O.
    pub fn new(config: Config, parts: Parts) -> Self {
        let mut viewer_config = serde_json::json!({
            "playbackUrl": parts.playback_url,
            "playbackUrlOverrides": config.channel.playback_overrides,
            "chatEndpoint": parts.chat_endpoint,
            "chatTokenUrl": "/api/chat/token",
            "stateUrl": "/api/state",
            "votesUrl": "/api/polls",
            "embedOrigins": config.embed_origins,
        });
        if parts.signer.is_some() {
            viewer_config["playbackTokenUrl"] = "/api/playback-token".into();
        }
        if config.stage.is_some() {
            viewer_config["stageTokenUrl"] = "/api/stage/token".into();
        }
        if config.recordings.base_url.is_some() {
            viewer_config["recordingsUrl"] = "/api/recordings".into();
        }
        let recordings = Recordings::new(parts.store.clone(), config.channel.arn.clone(), config.recordings.base_url.clone());
        let clips = Clips::new(parts.store.clone(), recordings.clone());
        if config.recordings.base_url.is_some() {
            viewer_config["clipsUrl"] = "/api/clips".into();
        }
        if config.analytics.enabled {
            viewer_config["analyticsUrl"] = "/api/analytics".into();
            viewer_config["analyticsSample"] = config.analytics.sample_rate.into();
            viewer_config["analyticsEveryMs"] = (config.analytics.report_secs * 1000).into();
        }
        let analytics = Analytics::new(parts.store.clone());
        let stream_keys = StreamKeys::new(parts.ivs.clone(), parts.store.clone(), config.channel.arn.clone(), config.channel.rotate_stream_key);
        let room = Room::new(parts.ivs.clone(), config.chat.room_arn.clone());
        let moderation = Moderation::new(parts.store.clone(), room.clone(), config.chat.review_secret.is_some());
        let stage_arn = config.stage.as_ref().map(|s| s.arn.clone());
        let overlays = Overlays::new(parts.store.clone(), parts.ivs.clone(), config.channel.arn.clone(), stage_arn, room.clone());
        let show = RunOfShow::new(parts.store.clone(), overlays.clone());
        let stage = config.stage.as_ref().map(|s| Stage::new(parts.ivs.clone(), s.arn.clone(), s.hosts.clone(), s.token_minutes, room.clone()));
        let status = Status::new(parts.store.clone(), parts.ivs.clone(), config.channel.arn.clone(), room);
        let hosts = guard::Hosts {
            playback: std::iter::once(parts.playback_url.as_str()).chain(config.channel.playback_overrides.iter().map(String::as_str)).collect(),
            chat_endpoint: &parts.chat_endpoint,
            whip_url: parts.stage_whip_url.as_deref(),
            recordings: config.recordings.base_url.as_deref(),
        };
        let page_policy = guard::content_security_policy(&hosts, "'none'");
        let embed_policy = guard::content_security_policy(&hosts, &guard::embed_ancestors(&config.embed_origins));
        Self {
            index: Arc::new(config.site_dir.join("index.html")),
            page_policy: Arc::new(page_policy),
            embed_policy: Arc::new(embed_policy),
            limits: guard::Limits::new(&config),
            // Checked when the configuration was read (Config::problems).
            embed_origins: Arc::new(ivs_proto::embed::Allowlist::parse(&config.embed_origins).unwrap_or_default()),
            config: Arc::new(config),
            ivs: parts.ivs,
            identity: parts.identity,
            store: parts.store,
            overlays,
            status,
            stage,
            recordings,
            stream_keys,
            clips,
            analytics,
            show,
            moderation,
            viewer_config: Arc::new(viewer_config),
            signer: parts.signer,
            operator_keys: Arc::new(parts.operator_keys),
            max_message_length: parts.max_message_length,
            instance: hex::encode(rand::random::<[u8; 8]>()),
        }
    }

    /// Connects to AWS and the store, learns the channel and the room, and makes the playback
    /// key pair known to IVS where the channel is private. Waits up to `patience` for IVS (the
    /// local IVS may still be starting).
    pub async fn connect(config: Config, patience: Duration) -> anyhow::Result<Self> {
        let aws = AwsIvs::new(&config).await;
        let chat_endpoint = config.chat_endpoint(&aws.region);
        let ivs: Arc<dyn Ivs> = Arc::new(aws);
        let identity = Identity::load(&config.identity, &config.data_dir, config.public_origin.starts_with("https://"))?;
        let store: Arc<dyn Store> = match config.votes.store {
            StoreKind::Embedded => Arc::new(store::embedded::Embedded::open(&config.data_dir)?),
            StoreKind::Redis => {
                let url = config.votes.redis_url.as_deref().context("votes.redis_url is not set")?;
                let ca = config.votes.redis_ca_file.as_deref().map(|f| config.data_path(f));
                Arc::new(store::redis::RedisStore::connect(url, ca.as_deref(), &config.votes.redis_prefix, patience).await?)
            }
        };
        let channel = retry(patience, || ivs.get_channel(&config.channel.arn)).await?;
        let playback_url = config.channel.playback_url.clone().or(channel.playback_url).context("the channel has no playback URL")?;
        let signer = if channel.authorized {
            let key = config.data_path(&config.channel.playback_key);
            let signer = if config.channel.playback_key_pair_arn.is_some() {
                // The operator imported the key pair: nothing to create, list or import.
                PlaybackSigner::load(&key)?
            } else {
                let signer = PlaybackSigner::load_or_create(&key)?;
                signer.ensure_imported(ivs.as_ref()).await?;
                signer
            };
            Some(signer)
        } else {
            None
        };
        let room = retry(patience, || ivs.get_room(&config.chat.room_arn)).await?;
        let operator_keys =
            if config.operator.keys.is_empty() { vec![load_or_create_key(&config.data_dir.join("operator.key"))?] } else { config.operator.keys.clone() };
        let stage_whip_url = match &config.stage {
            Some(stage) => retry(patience, || ivs.get_stage(&stage.arn)).await?.whip_url,
            None => None,
        };
        let parts = Parts {
            ivs,
            store,
            identity,
            signer,
            operator_keys,
            playback_url,
            chat_endpoint,
            max_message_length: room.maximum_message_length.unwrap_or(500),
            stage_whip_url,
        };
        let app = Self::new(config, parts);
        app.status.refresh().await.ok();
        Ok(app)
    }

    /// The site's routes.
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.clone())
    }

    /// Starts the jobs that run beside the handlers: tallies, stream status.
    pub fn spawn_jobs(&self) {
        tokio::spawn(self.overlays.clone().push_tallies(self.instance.clone()));
        tokio::spawn(self.analytics.clone().run());
        tokio::spawn(self.show.clone().run(self.instance.clone()));
        tokio::spawn(self.status.clone().run(self.instance.clone(), Duration::from_secs(self.config.channel.viewer_count_secs.max(1))));
    }
}

/// Calls `f` until it succeeds or `patience` runs out (then its last error).
async fn retry<T, E, F, Fut>(patience: Duration, f: F) -> anyhow::Result<T>
where
    E: std::fmt::Display,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    let mut wait = Duration::from_millis(100);
    loop {
        match f().await {
            Ok(value) => return Ok(value),
            Err(e) if tokio::time::Instant::now() >= deadline => anyhow::bail!("{e}"),
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
