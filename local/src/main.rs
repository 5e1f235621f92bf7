//! `ivs-local`: Amazon IVS and a site backend on one machine, so the viewer runs and is tested
//! for real without an AWS account.
//!
//! One process, four listeners:
//! - the site (default :8080): the built viewer, its `config.json`, and the site backend's
//!   endpoints (chat tokens for the viewer in the cookie);
//! - the AWS-compatible API (default :4566): IVS REST-JSON (`PutMetadata`, `GetChannel`,
//!   `GetStream`), IVS Chat REST-JSON (`CreateRoom`, `CreateChatToken`, `SendEvent`…), plus
//!   `/_local/…` controls to take the stream offline and back;
//! - the playback origin (default :8081): the live HLS playlist and segments, with timed
//!   metadata in band;
//! - the chat endpoint (default :8082): the IVS Chat Messaging WebSocket.

mod aws;
mod chat;
mod client;
mod demo;
mod hls;
mod identity;
mod playback;
mod playback_auth;
mod polls;
mod site;
mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use chat::{Chat, ChatOptions};
use hls::{Channel, Source};
use identity::Identity;

/// The ARN of the one channel the local stack serves.
pub const CHANNEL_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub channel: Channel,
    pub channel_arn: String,
    pub playback_url: String,
    pub chat: Chat,
    pub chat_url: String,
    pub identity: Identity,
    pub polls: polls::Polls,
    pub embed_origins: Vec<String>,
    /// Private channel: the playback key pair, the token lifetime and the site's origin (the
    /// token's allowed origin).
    pub private: Option<PrivateChannel>,
    /// The stream status last pushed to viewers.
    pub last_status: status::LastPushed,
}

#[derive(Clone)]
pub struct PrivateChannel {
    /// Who may watch; empty: everyone.
    pub subscribers: Vec<String>,
    pub keys: playback_auth::PlaybackKeys,
    pub ttl_secs: u64,
    /// The playback sessions valid tokens opened.
    pub sessions: playback_auth::Sessions,
    pub site_origin: String,
}

#[derive(Parser)]
#[command(name = "ivs-local", version, about = "Amazon IVS and a site backend on one machine, for the IVS viewer")]
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
    /// Fire a sample overlay into the live stream (through PutMetadata), e.g. `overlay poll`.
    Overlay {
        #[arg(value_enum)]
        kind: demo::Kind,
        /// Varies the sample (and names the poll that `poll-close` closes: `demo-poll-N`).
        #[arg(long, default_value_t = 0)]
        n: u64,
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
    /// Where the site (viewer and backend) listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    site: SocketAddr,
    /// Where the AWS-compatible API listens.
    #[arg(long, default_value = "127.0.0.1:4566")]
    api: SocketAddr,
    /// Where the playback origin (HLS) listens.
    #[arg(long, default_value = "127.0.0.1:8081")]
    playback: SocketAddr,
    /// Where the chat WebSocket (IVS Chat Messaging) listens.
    #[arg(long, default_value = "127.0.0.1:8082")]
    chat: SocketAddr,
    /// Where state that outlives a restart is kept (the identity signing key).
    #[arg(long, default_value = ".ivs-local")]
    data_dir: PathBuf,
    /// A user id that gets moderator capabilities in chat (repeatable).
    #[arg(long = "moderator", default_value = "moderator")]
    moderators: Vec<String>,
    /// The key for `/sign-in?user=ID&key=KEY` (default: derived from the data directory's secret).
    #[arg(long)]
    sign_in_key: Option<String>,
    /// Seconds in one of IVS Chat's minutes (token validity, session lengths); lower only to test expiry.
    #[arg(long, default_value_t = 60.0)]
    chat_minute_secs: f64,
    /// The default room's message rate per second (IVS allows 1 to 100; higher for load tests).
    #[arg(long, default_value_t = 10)]
    chat_rate: u32,
    /// Words the default room's message review rejects (406), case-insensitive (repeatable).
    #[arg(long = "chat-blocked-word")]
    chat_blocked_words: Vec<String>,
    /// The built viewer (Trunk's output).
    #[arg(long, default_value = "dist")]
    site_dir: PathBuf,
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
    /// Make the channel private: playlists need a playback token (ES384 JWT) from the site backend.
    #[arg(long)]
    private: bool,
    /// With a private channel: only these user ids get playback tokens (repeatable; default:
    /// every viewer) — a paywall, as a site's backend would decide it.
    #[arg(long = "subscriber")]
    subscribers: Vec<String>,
    /// How long a playback token is valid, in seconds.
    #[arg(long, default_value_t = 600)]
    playback_token_ttl_secs: u64,
    /// With a private channel: end each playback session this many seconds after its token
    /// opened it, as IVS revokes a session (default: sessions last while watched).
    #[arg(long)]
    playback_session_secs: Option<u64>,
    /// A host page origin allowed to command an embedded viewer and hear its events (repeatable),
    /// e.g. https://www.example.com.
    #[arg(long = "embed-origin")]
    embed_origins: Vec<String>,
    /// Run the demo timeline: overlays, chat lines and votes in a one-minute cycle.
    #[arg(long)]
    demo: bool,
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
        Command::Overlay { kind, n, api } => client::put_metadata(&api, &demo::sample(kind, n)).await,
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
    if !args.site_dir.join("index.html").is_file() {
        bail!("{} has no index.html; build the viewer first (trunk build --release)", args.site_dir.display());
    }
    let site_listener = bind(args.site, "site").await?;
    let api_listener = bind(args.api, "api").await?;
    let playback_listener = bind(args.playback, "playback").await?;
    let chat_listener = bind(args.chat, "chat").await?;
    if !(args.chat_minute_secs > 0.0 && args.chat_minute_secs <= 3600.0) {
        bail!("--chat-minute-secs must be between 0 and 3600");
    }
    if args.chat_rate == 0 {
        bail!("--chat-rate must be at least 1");
    }
    if let Err(e) = ivs_proto::embed::Allowlist::parse(&args.embed_origins) {
        bail!("--embed-origin: {e}");
    }
    let identity = Identity::load_or_create(&args.data_dir, args.moderators.clone(), args.sign_in_key.clone())?;
    let chat = Chat::new(ChatOptions {
        minute: std::time::Duration::from_secs_f64(args.chat_minute_secs),
        blocked_words: args.chat_blocked_words.clone(),
        default_room_rate: args.chat_rate,
    });
    let chat_url = format!("ws://{}", args.chat);
    let polls = polls::Polls::open(&args.data_dir, chat.clone())?;

    let source = match args.video {
        Some(path) => Source::File { path, width: args.size.0, height: args.size.1 },
        None => Source::TestPattern { width: args.size.0, height: args.size.1 },
    };
    let playback_url = format!("http://{}/api/video/v1/{}", args.playback, playback::PLAYLIST);
    let state = AppState {
        channel: Channel::new(source, args.window_secs),
        channel_arn: CHANNEL_ARN.into(),
        playback_url: playback_url.clone(),
        chat: chat.clone(),
        chat_url: chat_url.clone(),
        identity: identity.clone(),
        polls,
        embed_origins: args.embed_origins.clone(),
        private: args.private.then(|| PrivateChannel {
            subscribers: args.subscribers.clone(),
            keys: playback_auth::PlaybackKeys::generate(),
            ttl_secs: args.playback_token_ttl_secs,
            sessions: playback_auth::Sessions::new(args.playback_session_secs.map(std::time::Duration::from_secs)),
            site_origin: format!("http://{}", args.site),
        }),
        last_status: status::LastPushed::default(),
    };
    if !args.offline {
        state.channel.start().context("starting the test stream")?;
    }

    let site = site::router(state.clone(), args.site_dir.clone());
    let api = aws::router(state.clone());
    let playback = playback::router(state.clone());
    let chat_room = chat::room::router(chat.clone());
    println!("ivs-local is running:");
    println!("  viewer           http://{}/", args.site);
    println!("  playback URL     {playback_url}");
    println!("  AWS API          http://{}   (ivs: channel {CHANNEL_ARN}; ivschat: room {})", args.api, chat::DEFAULT_ROOM_ARN);
    println!("  chat WebSocket   {chat_url}");
    if args.private {
        println!("  private channel  playback tokens (ES384, {} s) from http://{}/api/playback-token", args.playback_token_ttl_secs, args.site);
    }
    println!(
        "  moderator        http://{}/sign-in?user={}&key={}",
        args.site,
        args.moderators.first().map(String::as_str).unwrap_or("moderator"),
        identity.sign_in_key()
    );
    println!("  stream control   ivs-local stream offline|online --api http://{}", args.api);
    println!("  timed metadata   ivs-local put-metadata '{{\"type\":\"poll\",...}}' --api http://{}", args.api);

    tokio::spawn(status::run(state.clone()));
    if args.demo {
        tokio::spawn(demo::run(state.clone(), format!("http://{}", args.api)));
        println!("  demo timeline    on: a notice, products, a poll, a quiz and chat every minute");
    }
    let servers = async {
        tokio::try_join!(
            axum::serve(site_listener, site),
            axum::serve(api_listener, api),
            axum::serve(playback_listener, playback.into_make_service_with_connect_info::<SocketAddr>()),
            axum::serve(chat_listener, chat_room),
        )
    };
    tokio::select! {
        result = servers => { result.context("server failed")?; }
        _ = shutdown_signal() => { println!("shutting down"); }
    }
    state.channel.stop();
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
