//! `ivs-site`: run the site server, check its configuration, or publish an overlay through it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use ivs_site::config::Config;
use ivs_site::ivs::Ivs;
use ivs_site::overlays::Venue;
use ivs_site::{demo, App};

#[derive(Parser)]
#[command(name = "ivs-site", version, about = "The site server beside Amazon IVS: viewer, chat and playback tokens, overlays, votes, stream status")]
struct Cli {
    /// The configuration file (environment variables IVS_SITE_… override it; see docs/deploy.md).
    #[arg(long, global = true, default_value = "ivs-site.toml", env = "IVS_SITE_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Run the demo timeline: overlays, chat lines and votes in a one-minute cycle.
        #[arg(long)]
        demo: bool,
        /// How long to wait for IVS (and Redis) at start.
        #[arg(long, default_value_t = 30)]
        wait_secs: u64,
    },
    /// Say in words what is missing or wrong in the configuration, and whether IVS answers.
    Check,
    /// Publish an overlay (a JSON object, see docs/metadata.md) through a running server.
    Publish {
        overlay: String,
        /// Where it is shown: over the channel's video, or over the real-time stage.
        #[arg(long, value_enum, default_value_t = Venue::Channel)]
        on: Venue,
        #[command(flatten)]
        to: Target,
    },
    /// Print the channel's stream key (for the broadcaster's encoder), or replace it with --rotate.
    StreamKey {
        /// Replace the key (the old one stops working at once) and print the new one.
        #[arg(long)]
        rotate: bool,
        #[command(flatten)]
        to: Target,
    },
    /// Print a one-time link that signs a browser in as `user` (a moderator, say).
    SignInLink {
        #[arg(long)]
        user: String,
        #[command(flatten)]
        to: Target,
    },
    /// Publish a sample overlay: poll, product, quiz, notice or clear.
    Overlay {
        #[arg(value_enum)]
        kind: demo::Kind,
        /// Varies the sample.
        #[arg(long, default_value_t = 0)]
        n: u64,
        /// Where it is shown: over the channel's video, or over the real-time stage.
        #[arg(long, value_enum, default_value_t = Venue::Channel)]
        on: Venue,
        #[command(flatten)]
        to: Target,
    },
}

#[derive(clap::Args)]
struct Target {
    /// The server (default: the configuration's `listen`).
    #[arg(long)]
    server: Option<String>,
    /// An operator key (default: `IVS_SITE_OPERATOR_KEY`, the configuration's first, or the one
    /// the server made in its data directory).
    #[arg(long, env = "IVS_SITE_OPERATOR_KEY", hide_env_values = true)]
    key: Option<String>,
    /// The CA (PEM) that signed an https:// server's certificate, when it is not one the public
    /// trusts (a private CA, a test proxy's); default: the public roots.
    #[arg(long, env = "IVS_SITE_CA_FILE")]
    ca_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn,aws=warn".into()))
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { demo, wait_secs } => serve(&cli.config, demo, Duration::from_secs(wait_secs)).await,
        Command::Check => check(&cli.config).await,
        Command::Publish { overlay, on, to } => match serde_json::from_str(&overlay) {
            Ok(value) => publish(&cli.config, to, value, on).await,
            Err(e) => Err(anyhow::anyhow!("the overlay is not JSON: {e}")),
        },
        Command::Overlay { kind, n, on, to } => publish(&cli.config, to, demo::sample(kind, n), on).await,
        Command::SignInLink { user, to } => operator_call(&cli.config, to, "/api/sign-in-links", &serde_json::json!({ "user": user })).await,
        Command::StreamKey { rotate: true, to } => operator_call(&cli.config, to, "/api/stream-key/rotate", &serde_json::json!({})).await,
        Command::StreamKey { rotate: false, to } => operator_get(&cli.config, to, "/api/stream-key").await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivs-site: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &Path) -> anyhow::Result<Config> {
    Ok(Config::load(path, |name| std::env::var(name).ok())?)
}

async fn serve(path: &Path, run_demo: bool, patience: Duration) -> anyhow::Result<()> {
    let config = load(path)?;
    if !config.site_dir.join("index.html").is_file() {
        bail!("{} has no index.html; build the viewer first (trunk build --release)", config.site_dir.display());
    }
    let listen = config.listen;
    let listener = listen_on(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let app = App::connect(config, patience).await?;
    app.spawn_jobs();
    if run_demo {
        tokio::spawn(demo::run(app.clone()));
    }
    println!("ivs-site is running (instance {}):", app.instance);
    println!("  viewer           http://{listen}/");
    println!("  playback URL     {}", app.viewer_config["playbackUrl"].as_str().unwrap_or_default());
    println!("  chat endpoint    {}", app.viewer_config["chatEndpoint"].as_str().unwrap_or_default());
    println!("  vote store       {:?}", app.config.votes.store);
    if let Some(moderator) = app.config.identity.moderators.first() {
        match ivs_site::http::signin::create_link(&app, moderator).await {
            Ok(url) => println!("  moderator        {url}   (one use, ten minutes; more: ivs-site sign-in-link --user {moderator})"),
            Err(e) => println!("  moderator        no sign-in link: {e}"),
        }
    }
    if let Some(operator) = app.config.identity.operators.first() {
        match ivs_site::http::signin::create_link(&app, operator).await {
            Ok(url) => println!("  studio           {url}   (the producer's studio, signed in as {operator}; one use, ten minutes)"),
            Err(e) => println!("  studio           no sign-in link: {e}"),
        }
    }
    println!("  stream key       ivs-site stream-key   (--rotate to replace it)");
    println!("  publish          ivs-site publish '{{\"type\":\"poll\",\"question\":\"…\",\"options\":[\"a\",\"b\"],\"duration\":30}}'");
    if run_demo {
        println!("  demo timeline    on: a notice, products, a poll, a quiz and chat every minute");
    }
    let router = app.router().into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await.context("server failed")?;
    // What this instance took in of viewer analytics and has not yet added to the store.
    if let Err(e) = app.analytics.flush().await {
        eprintln!("ivs-site: viewer analytics of the last seconds were not stored: {e}");
    }
    Ok(())
}

/// A listener with a backlog for a flash crowd (a poll opening brings every viewer at once; the
/// default backlog drops connections, which then wait a second to retry).
fn listen_on(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

async fn check(path: &Path) -> anyhow::Result<()> {
    let config = match Config::load(path, |name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(e) => bail!("the configuration cannot be used: {e}"),
    };
    println!("configuration {}: readable, no mistakes", path.display());
    let mut problems = Vec::new();
    if !config.site_dir.join("index.html").is_file() {
        problems.push(format!("site_dir {} has no index.html (build the viewer: trunk build --release)", config.site_dir.display()));
    }
    let aws = ivs_site::aws::AwsIvs::new(&config).await;
    println!("AWS region {}{}", aws.region, config.aws.endpoint_url.as_ref().map(|e| format!(", endpoint {e}")).unwrap_or_default());
    match aws.get_channel(&config.channel.arn).await {
        Ok(channel) => println!("channel {}: found{}", config.channel.arn, if channel.authorized { ", private (playback tokens)" } else { "" }),
        Err(e) => problems.push(e.to_string()),
    }
    match aws.get_room(&config.chat.room_arn).await {
        Ok(_) => println!("room {}: found", config.chat.room_arn),
        Err(e) => problems.push(e.to_string()),
    }
    if let Some(stage) = &config.stage {
        match aws.get_stage(&stage.arn).await {
            Ok(facts) => println!("stage {}: found{}", stage.arn, if facts.active_session_id.is_some() { ", in session" } else { "" }),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if let (ivs_site::config::StoreKind::Redis, Some(url)) = (&config.votes.store, &config.votes.redis_url) {
        match ivs_site::store::redis::RedisStore::connect(
            url,
            config.votes.redis_ca_file.as_deref().map(|f| config.data_path(f)).as_deref(),
            &config.votes.redis_prefix,
            Duration::from_secs(2),
        )
        .await
        {
            Ok(_) => println!("Redis {url}: reachable"),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    if config.events.secret.is_none() {
        println!("note: events.secret is not set, so IVS's EventBridge events are not taken in; the stream's status comes from GetStream alone");
    }
    if problems.is_empty() {
        println!("all good");
        Ok(())
    } else {
        bail!("{}", problems.join("\n  "))
    }
}

async fn publish(path: &Path, to: Target, overlay: serde_json::Value, on: Venue) -> anyhow::Result<()> {
    let endpoint = match on {
        Venue::Channel => "/api/overlays".to_owned(),
        venue => format!("/api/overlays?on={}", venue.name()),
    };
    operator_call(path, to, &endpoint, &overlay).await
}

/// A read of the server's operator API; prints the answer.
async fn operator_get(path: &Path, to: Target, endpoint: &str) -> anyhow::Result<()> {
    operator_request(path, to, "GET", endpoint, None).await
}

/// A call to the server's operator API; prints the answer.
async fn operator_call(path: &Path, to: Target, endpoint: &str, body: &serde_json::Value) -> anyhow::Result<()> {
    operator_request(path, to, "POST", endpoint, Some(body)).await
}

async fn operator_request(path: &Path, to: Target, method: &'static str, endpoint: &str, body: Option<&serde_json::Value>) -> anyhow::Result<()> {
    let config = load(path).ok();
    let server = to.server.or_else(|| config.as_ref().map(|c| format!("http://{}", c.listen))).context("name the server with --server")?;
    let key = to
        .key
        .or_else(|| config.as_ref().and_then(|c| c.operator.keys.first().cloned()))
        .or_else(|| config.as_ref().and_then(|c| std::fs::read_to_string(c.data_dir.join("operator.key")).ok()).map(|k| k.trim().to_owned()))
        .context("no operator key: pass --key or set IVS_SITE_OPERATOR_KEY")?;
    let roots = match &to.ca_file {
        None => ureq::tls::RootCerts::WebPki,
        Some(file) => {
            let pem = std::fs::read(file).with_context(|| format!("cannot read --ca-file {}", file.display()))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            anyhow::ensure!(!certs.is_empty(), "--ca-file {} holds no PEM certificate", file.display());
            ureq::tls::RootCerts::new_with_certs(&certs)
        }
    };
    let (status, body) = http_call(method, &server, endpoint, &key, body.map(|b| b.to_string()), roots).await?;
    if status != 200 {
        let reason = serde_json::from_str::<ivs_proto::site::ErrorAnswer>(&body).map(|e| e.error).unwrap_or(body);
        bail!("the server refused ({status}): {reason}");
    }
    println!("{body}");
    Ok(())
}

async fn http_call(
    method: &'static str,
    server: &str,
    path: &str,
    key: &str,
    body: Option<String>,
    roots: ureq::tls::RootCerts,
) -> anyhow::Result<(u16, String)> {
    let base = server.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        bail!("--server must be an http:// or https:// URL");
    }
    let (url, key, server) = (format!("{base}{path}"), key.to_owned(), server.to_owned());
    tokio::task::spawn_blocking(move || {
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls)
            .build()
            .into();
        let auth = format!("Bearer {key}");
        let sent = match (method, body) {
            ("GET", _) | (_, None) => agent.get(&url).header("Authorization", &auth).call(),
            (_, Some(body)) => agent.post(&url).header("Authorization", &auth).header("Content-Type", "application/json").send(body.as_str()),
        };
        let mut response = sent.with_context(|| format!("cannot reach the server at {server}; is it running?"))?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_string().unwrap_or_default()))
    })
    .await?
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
}
