//! `ivs-local`: the local IVS — Amazon IVS played on one machine, so a site's server and the
//! viewer run and are tested for real without an AWS account.
//!
//! One process, four listeners:
//! - the AWS-compatible API (default :4566): IVS REST-JSON (`PutMetadata`, `GetChannel`,
//!   `GetStream`, playback key pairs…), IVS Chat REST-JSON (`CreateRoom`, `CreateChatToken`,
//!   `SendEvent`…), plus `/_local/…` controls to take the stream offline and back;
//! - the playback origin (default :8081): the live HLS playlists and segments, with timed
//!   metadata in band;
//! - the chat endpoint (default :8082): the IVS Chat Messaging WebSocket;
//! - RTMP ingest (default :1935): `rtmp://127.0.0.1:1935/app/<stream key>`, into any channel.
//!
//! The built-in channel is fed by a built-in broadcaster (a test pattern) through that ingest.
//!
//! It plays IVS only: a site's own backend (the site server, `ivs-site`) talks to it through the
//! AWS SDK with an endpoint override, as it talks to IVS, and hears its EventBridge-shaped events.

mod aws;
mod broadcaster;
mod channels;
mod chat;
mod client;
mod events;
mod hls;
mod ingest;
mod playback;
mod playback_auth;
mod recording;
mod rtmp;
mod store;
mod streams;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use broadcaster::{Broadcaster, Source};
use chat::{Chat, ChatOptions};

/// The ARN of the built-in channel (the test stream plays on it).
pub const CHANNEL_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The channels' broadcasts, by ARN.
    pub live: hls::Live,
    pub builtin_arn: String,
    /// Streams the test pattern into the built-in channel.
    pub broadcaster: Broadcaster,
    pub chat: Chat,
    /// The account's channels and stream keys.
    pub channels: channels::Channels,
    /// The playback key pairs imported into this account.
    pub key_pairs: playback_auth::KeyPairs,
    /// The playback sessions valid tokens opened.
    pub sessions: playback_auth::Sessions,
    pub recording_configs: recording::Configs,
    /// Where the S3 buckets recordings go to are kept (a directory per bucket).
    pub buckets: PathBuf,
    pub events: events::Emitter,
    /// Channels with a broadcaster connected.
    pub publishers: ingest::Publishers,
    pub ingest: ingest::IngestOptions,
    /// A stall of the playback origin under way, if any (`/_local/playback/stall`).
    pub playback_stall: playback::Stall,
}

impl AppState {
    /// The built-in channel's broadcasts.
    pub fn builtin(&self) -> hls::Channel {
        self.live.channel(&self.builtin_arn)
    }

    /// The recorder of a broadcast of `channel` transcoded as `plan`, when the channel has a
    /// recording configuration.
    pub fn recorder(&self, channel: &channels::ChannelRecord, plan: &hls::Plan) -> Option<Box<dyn hls::SegmentSink>> {
        let config = self.recording_configs.get(&channel.recording_configuration_arn)?;
        Some(Box::new(recording::Recorder::start(&self.buckets, config, channel.clone(), plan.ladder.clone(), self.events.clone())))
    }

    /// Starts the built-in broadcaster with the built-in channel's stream key.
    pub fn start_broadcaster(&self) -> anyhow::Result<()> {
        let key = self
            .channels
            .key_of(&self.builtin_arn)
            .ok_or_else(|| anyhow::anyhow!("the built-in channel has no stream key; create one with CreateStreamKey"))?;
        self.broadcaster.start(&key)
    }

    /// Takes the built-in channel offline: its broadcaster stops and the broadcast ends now.
    pub fn stop_broadcaster(&self) {
        self.broadcaster.stop();
        self.builtin().stop();
    }
}

#[derive(Parser)]
#[command(
    name = "ivs-local",
    version,
    about = "The local IVS: Amazon IVS on one machine (live HLS with timed metadata, the IVS and IVS Chat APIs, chat, events)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local stack.
    Serve(Box<ServeArgs>),
    /// Take the stream offline or bring it back.
    Stream {
        #[arg(value_enum)]
        state: client::StreamState,
        /// The AWS-compatible API.
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        api: String,
    },
    /// Send timed metadata into the live stream (as IVS PutMetadata).
    PutMetadata {
        /// The payload, at most 1 KB of UTF-8 (a JSON overlay for the viewer).
        metadata: String,
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        api: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Where the AWS-compatible API listens.
    #[arg(long, default_value = "127.0.0.1:4566")]
    api: SocketAddr,
    /// Where the playback origin (HLS) listens.
    #[arg(long, default_value = "127.0.0.1:8081")]
    playback: SocketAddr,
    /// Where the chat WebSocket (IVS Chat Messaging) listens.
    #[arg(long, default_value = "127.0.0.1:8082")]
    chat: SocketAddr,
    /// Where RTMP ingest listens (`rtmp://<this>/app/<stream key>`).
    #[arg(long, default_value = "127.0.0.1:1935")]
    ingest: SocketAddr,
    /// Seconds without data after which a broadcast is ended (IVS: 30).
    #[arg(long, default_value_t = 30.0)]
    ingest_idle_secs: f64,
    /// The most channels live at once (the concurrent-broadcasts quota).
    #[arg(long, default_value_t = 10)]
    max_broadcasts: usize,
    /// Where state that outlives a restart is kept (channels, stream keys, playback key pairs,
    /// recording configurations) and the S3 buckets recordings are written to (`s3/<bucket>/`).
    #[arg(long, default_value = ".ivs-local")]
    data_dir: PathBuf,
    /// Seconds in one of IVS Chat's minutes (token validity, session lengths); lower only to test expiry.
    #[arg(long, default_value_t = 60.0)]
    chat_minute_secs: f64,
    /// The default room's message rate per second (IVS allows 1 to 100; higher for load tests).
    #[arg(long, default_value_t = 10)]
    chat_rate: u32,
    /// Words the default room's message review rejects (406), case-insensitive (repeatable).
    #[arg(long = "chat-blocked-word")]
    chat_blocked_words: Vec<String>,
    /// Loop this video file instead of the test pattern.
    #[arg(long)]
    video: Option<PathBuf>,
    /// Size of the best rendition, WIDTHxHEIGHT (the ladder's second rendition is half of it).
    #[arg(long, default_value = "640x360", value_parser = parse_size)]
    size: (u32, u32),
    /// Seconds of stream listed in the live playlists (2 s, as IVS's low-latency playlists, at the
    /// least); more lets viewers fall behind live and seek back.
    #[arg(long, default_value_t = 2.0)]
    window_secs: f64,
    /// Start with the stream offline.
    #[arg(long)]
    offline: bool,
    /// Make the built-in channel private (`authorized`): playlists need a playback token (ES384 JWT)
    /// signed by a key pair imported with `ImportPlaybackKeyPair`.
    #[arg(long)]
    private: bool,
    /// With a private channel: end each playback session this many seconds after its token
    /// opened it, as IVS revokes a session (default: sessions last while watched).
    #[arg(long)]
    playback_session_secs: Option<u64>,
    /// Where to POST the channels' EventBridge events (stream state and health, recording state,
    /// limit breaches), as an API
    /// destination would (repeatable), e.g. http://127.0.0.1:8080/api/events.
    #[arg(long = "event-target")]
    event_targets: Vec<String>,
    /// A header sent with every event, 'Name: value' (repeatable), e.g. the target's secret.
    #[arg(long = "event-header", value_parser = events::parse_header)]
    event_headers: Vec<(String, String)>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or("expected WIDTHxHEIGHT")?;
    let parse = |v: &str| v.parse::<u32>().ok().filter(|n| (16..=3840).contains(n) && n % 2 == 0);
    Ok((parse(w).ok_or("bad width")?, parse(h).ok_or("bad height")?))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn".into()))
        .with_target(false)
        .init();
    let result = match Cli::parse().command {
        Command::Serve(args) => serve(*args).await,
        Command::Stream { state, api } => client::set_stream(&api, state).await,
        Command::PutMetadata { metadata, api } => client::put_metadata(&api, &metadata).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivs-local: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn bind(addr: SocketAddr, role: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            anyhow::anyhow!("{addr} ({role}) is already in use — is another ivs-local running? Pick another with --{role}")
        }
        _ => anyhow::anyhow!("cannot listen on {addr} ({role}): {e}"),
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let ffmpeg = std::process::Command::new("ffmpeg").arg("-version").output();
    if !ffmpeg.is_ok_and(|o| o.status.success()) {
        bail!("ffmpeg was not found on PATH; install it (scripts/setup.sh does) and try again");
    }
    if let Some(video) = &args.video {
        if !video.is_file() {
            bail!("video file {} does not exist", video.display());
        }
    }
    if let Some(target) = args.event_targets.iter().find(|t| !t.starts_with("http://")) {
        bail!("--event-target {target}: event targets must be http:// URLs");
    }
    let api_listener = bind(args.api, "api").await?;
    let playback_listener = bind(args.playback, "playback").await?;
    let chat_listener = bind(args.chat, "chat").await?;
    let ingest_listener = bind(args.ingest, "ingest").await?;
    if !(args.ingest_idle_secs > 0.0 && args.ingest_idle_secs <= 3600.0) {
        bail!("--ingest-idle-secs must be between 0 and 3600");
    }
    if !(args.chat_minute_secs > 0.0 && args.chat_minute_secs <= 3600.0) {
        bail!("--chat-minute-secs must be between 0 and 3600");
    }
    if args.chat_rate == 0 {
        bail!("--chat-rate must be at least 1");
    }
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("cannot create the data directory {}", args.data_dir.display()))?;
    let chat = Chat::new(ChatOptions {
        minute: std::time::Duration::from_secs_f64(args.chat_minute_secs),
        blocked_words: args.chat_blocked_words.clone(),
        default_room_rate: args.chat_rate,
    });
    let chat_url = format!("ws://{}", args.chat);

    let source = match args.video {
        Some(path) => Source::File { path, width: args.size.0, height: args.size.1 },
        None => Source::TestPattern { width: args.size.0, height: args.size.1 },
    };
    let playback_base = format!("http://{}", args.playback);
    let channels = channels::Channels::load(Some(args.data_dir.join("channels.json")), &playback_base, CHANNEL_ARN, args.private);
    let playback_url = channels.playback_url(CHANNEL_ARN);
    let state = AppState {
        live: hls::Live::new(args.window_secs),
        builtin_arn: CHANNEL_ARN.into(),
        broadcaster: Broadcaster::new(source, format!("rtmp://{}/app/", args.ingest)),
        chat: chat.clone(),
        channels,
        key_pairs: playback_auth::KeyPairs::load(Some(args.data_dir.join("playback-key-pairs.json"))),
        sessions: playback_auth::Sessions::new(args.playback_session_secs.map(std::time::Duration::from_secs)),
        recording_configs: recording::Configs::load(Some(args.data_dir.join("recording-configurations.json"))),
        buckets: args.data_dir.join("s3"),
        events: events::Emitter::start(&events::Targets { urls: args.event_targets.clone(), headers: args.event_headers.clone() }),
        publishers: ingest::Publishers::default(),
        ingest: ingest::IngestOptions { idle: std::time::Duration::from_secs_f64(args.ingest_idle_secs), max_broadcasts: args.max_broadcasts.max(1) },
        playback_stall: playback::Stall::default(),
    };
    tokio::spawn(state.events.clone().watch(state.live.clone(), state.channels.clone()));
    tokio::spawn(ingest::serve(ingest_listener, state.clone()));
    if !args.offline {
        state.start_broadcaster().context("starting the test stream")?;
    }

    let api = aws::router(state.clone());
    let playback = playback::router(state.clone());
    let chat_room = chat::room::router(chat.clone());
    println!("ivs-local (the local IVS) is running:");
    println!("  playback URL     {playback_url}{}", if args.private { "   (private: playback tokens required)" } else { "" });
    println!("  AWS API          http://{}   (ivs: channel {CHANNEL_ARN}; ivschat: room {})", args.api, chat::DEFAULT_ROOM_ARN);
    println!("  chat WebSocket   {chat_url}");
    println!("  RTMP ingest      rtmp://{}/app/<stream key>   (OBS: server rtmp://{}/app, the channel's stream key)", args.ingest, args.ingest);
    for target in &args.event_targets {
        println!("  events           POST {target}");
    }
    println!("  stream control   ivs-local stream offline|online --api http://{}", args.api);
    println!("  timed metadata   ivs-local put-metadata '{{\"type\":\"notice\",\"text\":\"hi\"}}' --api http://{}", args.api);

    let servers = async {
        tokio::try_join!(
            axum::serve(api_listener, api),
            axum::serve(playback_listener, playback.into_make_service_with_connect_info::<SocketAddr>()),
            axum::serve(chat_listener, chat_room),
        )
    };
    tokio::select! {
        result = servers => { result.context("server failed")?; }
        _ = shutdown_signal() => { println!("shutting down"); }
    }
    state.stop_broadcaster();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
