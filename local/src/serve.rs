//! Running the local IVS: its options, its state made from them, and its four listeners.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use tokio::net::TcpListener;

use crate::chat::{self, Chat, ChatOptions};
use crate::control::channels::{ChannelSettings, Channels};
use crate::control::participant_tokens::Capabilities;
use crate::control::playback_auth::{KeyPairs, Sessions};
use crate::control::recording_configs::Configs;
use crate::control::stages::{Stages, TokenRequest};
use crate::events;
use crate::media::broadcaster::{Broadcaster, Source};
use crate::media::ingest::{self, IngestOptions, Publishers};
use crate::media::live::Live;
use crate::media::playback::{self, Stall};
use crate::media::s3_recorder::Recorders;
use crate::media::sfu::Sfu;
use crate::media::stage_host;
use crate::state::AppState;
use crate::{api, CHANNEL_ARN, STAGE_ARN};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the AWS-compatible API listens.
    #[arg(long, default_value = "127.0.0.1:4566", value_name = "ADDR")]
    api: SocketAddr,
    /// Where the playback origin (HLS) listens.
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
    playback: SocketAddr,
    /// Where the chat WebSocket (IVS Chat Messaging) listens.
    #[arg(long, default_value = "127.0.0.1:8082", value_name = "ADDR")]
    chat: SocketAddr,
    /// Where RTMP ingest listens (`rtmp://<this>/app/<stream key>`).
    #[arg(long, default_value = "127.0.0.1:1935", value_name = "ADDR")]
    ingest: SocketAddr,
    /// Seconds without data after which a broadcast is ended (IVS: 30).
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    ingest_idle_secs: f64,
    /// The most channels live at once (the concurrent-broadcasts quota).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_broadcasts: usize,
    /// Where state that outlives a restart is kept (channels, stream keys, playback key pairs,
    /// recording configurations) and the S3 buckets recordings are written to (`s3/<bucket>/`).
    #[arg(long, default_value = ".ivs-local", value_name = "DIR")]
    data_dir: PathBuf,
    /// Seconds in one of IVS Chat's minutes (token validity, session lengths); lower only to test expiry.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    chat_minute_secs: f64,
    /// The default room's message rate per second (IVS allows 1 to 100; higher for load tests).
    #[arg(long, default_value_t = 10, value_name = "N")]
    chat_rate: u32,
    /// Words the default room's message review rejects (406), case-insensitive (repeatable).
    #[arg(long = "chat-blocked-word", value_name = "WORD")]
    chat_blocked_words: Vec<String>,
    /// The default room's message review handler, stood in for by this URL: each message is
    /// POSTed to it as IVS gives the handler's Lambda its event, and the answer read as the
    /// Lambda's (ALLOW, DENY, new content), within 200 ms (else ALLOW). The site server's is
    /// `/api/chat/review`.
    #[arg(long, value_name = "URL")]
    chat_review_url: Option<String>,
    /// A header sent with every review request, 'Name: value' (repeatable), e.g. the site's
    /// review secret.
    #[arg(long = "chat-review-header", value_name = "HEADER", value_parser = events::parse_header)]
    chat_review_headers: Vec<(String, String)>,
    /// Loop this video file instead of the test pattern.
    #[arg(long, value_name = "FILE")]
    video: Option<PathBuf>,
    /// Size of the best rendition, WIDTHxHEIGHT (the ladder's second rendition is half of it).
    #[arg(long, default_value = "640x360", value_name = "WxH", value_parser = parse_size)]
    size: (u32, u32),
    /// Seconds of stream listed in the live playlists (2 s, as IVS's low-latency playlists, at the
    /// least); more lets viewers fall behind live and seek back.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    window_secs: f64,
    /// Put the built-in host on the built-in stage: a test pattern published by WHIP, as a
    /// participant (`dev` turns it on).
    #[arg(long)]
    stage_host: bool,
    /// Record the built-in channel's broadcasts into this bucket (`s3/<bucket>/` in the data
    /// directory, served at `/s3/<bucket>/` by the playback origin), with a recording
    /// configuration of its own, as IVS auto-records a channel (`dev` turns it on).
    #[arg(long, value_name = "BUCKET")]
    record_builtin: Option<String>,
    /// Start with the stream offline.
    #[arg(long)]
    offline: bool,
    /// Make the built-in channel private (`authorized`): playlists need a playback token (ES384 JWT)
    /// signed by a key pair imported with `ImportPlaybackKeyPair`.
    #[arg(long)]
    private: bool,
    /// With a private channel: end each playback session this many seconds after its token
    /// opened it, as IVS revokes a session (default: sessions last while watched).
    #[arg(long, value_name = "SECS")]
    playback_session_secs: Option<u64>,
    /// Where to POST the channels' EventBridge events (stream state and health, recording state,
    /// limit breaches), as an API
    /// destination would (repeatable), e.g. http://127.0.0.1:8080/api/events.
    #[arg(long = "event-target", value_name = "URL")]
    event_targets: Vec<String>,
    /// The address the stages' media socket binds and answers name as their ICE candidate
    /// (default: the API's). Firefox gathers no loopback candidates: for it, name one of this
    /// machine's own addresses (its LAN address, say).
    #[arg(long, value_name = "IP")]
    stage_media_ip: Option<std::net::IpAddr>,
    /// Seconds a stage's session lasts after its last participant left (IVS: a few minutes);
    /// lower to test session ends.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    stage_session_idle_secs: f64,
    /// A header sent with every event, 'Name: value' (repeatable), e.g. the target's secret.
    #[arg(long = "event-header", value_name = "HEADER", value_parser = events::parse_header)]
    event_headers: Vec<(String, String)>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or("expected WIDTHxHEIGHT")?;
    let parse = |v: &str| v.parse::<u32>().ok().filter(|n| (16..=3840).contains(n) && n % 2 == 0);
    Ok((parse(w).ok_or("bad width")?, parse(h).ok_or("bad height")?))
}

async fn bind(addr: SocketAddr, role: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            anyhow::anyhow!("{addr} ({role}) is already in use — is another ivs-local running? Pick another with --{role}")
        }
        _ => anyhow::anyhow!("cannot listen on {addr} ({role}): {e}"),
    })
}

/// Runs the local IVS until it is told to stop (Ctrl-C or SIGTERM).
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
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
    if !(args.stage_session_idle_secs >= 0.0 && args.stage_session_idle_secs <= 86_400.0) {
        bail!("--stage-session-idle-secs must be between 0 and 86400");
    }
    if args.chat_rate == 0 {
        bail!("--chat-rate must be at least 1");
    }
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("cannot create the data directory {}", args.data_dir.display()))?;
    let chat = Chat::new(ChatOptions {
        minute: std::time::Duration::from_secs_f64(args.chat_minute_secs),
        blocked_words: args.chat_blocked_words.clone(),
        default_room_rate: args.chat_rate,
        review: args.chat_review_url.clone().map(|url| chat::ReviewEndpoint { url, headers: args.chat_review_headers.clone() }),
    });
    let chat_url = format!("ws://{}", args.chat);

    let source = match args.video {
        Some(path) => Source::File { path, width: args.size.0, height: args.size.1 },
        None => Source::TestPattern { width: args.size.0, height: args.size.1 },
    };
    let playback_base = format!("http://{}", args.playback);
    let channels = Channels::load(Some(args.data_dir.join("channels.json")), &playback_base, CHANNEL_ARN, args.private);
    let playback_url = channels.playback_url(CHANNEL_ARN);
    let events = events::Emitter::start(&events::Targets { urls: args.event_targets.clone(), headers: args.event_headers.clone() });
    let stage_events = events.clone();
    let stages = Stages::load(
        Some(args.data_dir.clone()),
        STAGE_ARN,
        &format!("http://{}/whip", args.api),
        "",
        std::time::Duration::from_secs_f64(args.stage_session_idle_secs),
        Arc::new(move |arn: &str, detail| stage_events.emit(arn, "IVS Stage Update", detail)),
    );
    let sfu = Sfu::start(args.stage_media_ip.unwrap_or(args.api.ip()), stages.clone()).await.context("binding the stages' media socket")?;
    tokio::spawn({
        let stages = stages.clone();
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                every.tick().await;
                stages.end_idle_sessions();
            }
        }
    });
    let recording_configs = Configs::load(Some(args.data_dir.join("recording-configurations.json")));
    if let Some(bucket) = &args.record_builtin {
        let arn = recording_configs.ensure("builtin-recording", bucket).map_err(|e| anyhow::anyhow!("--record-builtin: {e}"))?;
        let settings = ChannelSettings { recording_configuration_arn: Some(arn), ..ChannelSettings::default() };
        channels.update(CHANNEL_ARN, settings).map_err(|e| anyhow::anyhow!("--record-builtin: {e}"))?;
    }
    let state = AppState {
        live: Live::new(args.window_secs),
        broadcaster: Broadcaster::new(source, format!("rtmp://{}/app/", args.ingest)),
        chat: chat.clone(),
        channels,
        key_pairs: KeyPairs::load(Some(args.data_dir.join("playback-key-pairs.json"))),
        sessions: Sessions::new(args.playback_session_secs.map(std::time::Duration::from_secs)),
        recorders: Recorders { configs: recording_configs, buckets: args.data_dir.join("s3"), events: events.clone() },
        publishers: Publishers::default(),
        ingest: IngestOptions { idle: std::time::Duration::from_secs_f64(args.ingest_idle_secs), max_broadcasts: args.max_broadcasts.max(1) },
        stages,
        sfu,
        playback_stall: Stall::default(),
    };
    tokio::spawn(events.watch(state.live.clone(), state.channels.clone()));
    tokio::spawn(ingest::serve(ingest_listener, state.ingest_context()));
    if !args.offline {
        state.start_broadcaster().context("starting the test stream")?;
    }

    if args.stage_host {
        let stages = state.stages.clone();
        let token = move || {
            let request = TokenRequest {
                user_id: "local-host".into(),
                capabilities: Capabilities { allow_publish: true, allow_subscribe: false },
                ..TokenRequest::default()
            };
            let issued = stages.create_token(stages.builtin(), &request).ok()?;
            Some((issued.token, issued.claims.whip_url))
        };
        tokio::spawn(stage_host::run(token, args.size));
    }

    let api = api::router(state.clone());
    let playback = playback::router(state.playback_origin());
    let chat_room = chat::room::router(chat.clone());
    println!("ivs-local (the local IVS) is running:");
    println!("  playback URL     {playback_url}{}", if args.private { "   (private: playback tokens required)" } else { "" });
    println!("  AWS API          http://{}   (ivs: channel {CHANNEL_ARN}; ivschat: room {})", args.api, chat::DEFAULT_ROOM_ARN);
    println!("  chat WebSocket   {chat_url}");
    println!("  stages (WHIP)    http://{}/whip   (ivs-realtime on the AWS API: stage {STAGE_ARN}; media on udp {})", args.api, state.sfu.media_addr());
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
            axum::serve(chat_listener, chat_room.into_make_service_with_connect_info::<SocketAddr>()),
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
