//! Harness for the end-to-end tests and the benchmark: the local stack as a child process on free
//! ports, and headless Chromium driven over the DevTools protocol.
//!
//! Chromium is driven with `chromiumoxide` (CDP) rather than WebDriver: it needs no driver process,
//! runs on the same tokio runtime as the tests, and gives direct access to `evaluate`, which is how
//! the tests read what a person sees (text on the page, the video's clock).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::Page;
use futures::StreamExt;
use serde::de::DeserializeOwned;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("e2e/ has a parent").to_path_buf()
}

/// The name of the IVS SDK's folder in the built viewer (`dist/ivs/<content hash>/`).
pub fn sdk_dir() -> String {
    std::fs::read_dir(root().join("dist/ivs"))
        .expect("dist/ivs: build the viewer first (trunk build --release)")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("the SDK's folder in dist/ivs")
}

/// A free loopback port, never one this process was given before: the port is released before
/// its user binds it, and the system may hand the same one out again meanwhile (a stack's four
/// ports once collided so).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A running stack: the local IVS (`ivs-local`) and the site server (`ivs-site`) pointed at it
/// by endpoint override, as `dev` runs them; both killed on drop.
pub struct Stack {
    local: Child,
    local_command: Vec<std::ffi::OsString>,
    server: Child,
    server_command: Vec<std::ffi::OsString>,
    pub site: String,
    pub api: String,
    pub playback: String,
    /// The chat WebSocket endpoint.
    pub chat: String,
    /// RTMP ingest: `rtmp://127.0.0.1:<port>/app/` (the stream key follows).
    pub ingest: String,
    /// The local IVS's data directory (its S3 buckets are under `s3/`).
    pub local_data: PathBuf,
    /// The key the sign-in form takes (`POST /sign-in`).
    pub sign_in_key: String,
    /// The site server's operator key (publishing overlays).
    pub operator_key: String,
    /// The site server's configuration file.
    pub config: PathBuf,
    _data: TempDir,
}

/// The user id the stack makes a moderator.
pub const MODERATOR: &str = "mod-ann";

/// The local channel.
pub const CHANNEL_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

/// What the site server is told besides what the harness always sets.
#[derive(Default, Clone)]
pub struct SiteOptions {
    pub embed_origins: Vec<String>,
    pub playback_token_ttl_secs: Option<u64>,
    /// Only these user ids get playback tokens.
    pub subscribers: Vec<String>,
    /// Votes in this Redis rather than the embedded store.
    pub redis_url: Option<String>,
    /// Further TOML for the configuration's `[identity]` table (the site's JWT, say).
    pub identity: String,
    /// Further tables at the end of the configuration (`[limits]`, say).
    pub extra: String,
}

/// Where a built binary of the workspace is.
pub fn binary(name: &str, env: &str) -> PathBuf {
    std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| root().join("target/debug").join(name))
}

impl Stack {
    /// Starts the stack with the built viewer (`dist/`), on free ports, and waits until its
    /// stream has a playlist.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(true, &[])
    }

    /// Starts the stack with its stream offline; [`set_live`](Self::set_live) brings it up.
    pub fn start_offline() -> anyhow::Result<Self> {
        Self::start_with(false, &[])
    }

    /// Starts the stack with further `ivs-local serve` arguments.
    pub fn start_with(live: bool, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_full(&root().join("dist"), live, extra, SiteOptions::default())
    }

    /// Starts the stack serving the viewer from `dist` (a copy of the built viewer, say).
    pub fn start_serving(dist: &std::path::Path, live: bool, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_full(dist, live, extra, SiteOptions::default())
    }

    /// Starts the stack: `extra` goes to `ivs-local serve`, `site` into the site server's
    /// configuration.
    pub fn start_full(dist: &std::path::Path, live: bool, extra: &[&str], site: SiteOptions) -> anyhow::Result<Self> {
        let (site_port, api, playback, chat, ingest) = (free_port(), free_port(), free_port(), free_port(), free_port());
        let data = TempDir::new("ivs-stack-data")?;
        let sign_in_key = format!("key{}", free_port());
        let operator_key = format!("operator-key-{}-{}", free_port(), std::process::id());
        let events_secret = format!("events-secret-{}-{}", free_port(), std::process::id());
        let mut local_command: Vec<std::ffi::OsString> = vec![binary("ivs-local", "IVS_LOCAL_BIN").into(), "serve".into()];
        for (flag, port) in [("--api", api), ("--playback", playback), ("--chat", chat), ("--ingest", ingest)] {
            local_command.extend([flag.into(), format!("127.0.0.1:{port}").into()]);
        }
        local_command.extend(["--data-dir".into(), data.0.join("local").into()]);
        local_command.extend(["--event-target".into(), format!("http://127.0.0.1:{site_port}/api/events").into()]);
        local_command.extend(["--event-header".into(), format!("x-ivs-events-secret: {events_secret}").into()]);
        if !live {
            local_command.push("--offline".into());
        }
        local_command.extend(extra.iter().map(Into::into));
        let config = data.0.join("ivs-site.toml");
        let ttl = site.playback_token_ttl_secs.map(|t| format!("playback_token_ttl_secs = {t}\n")).unwrap_or_default();
        let ttl = format!("{ttl}subscribers = {:?}\n", site.subscribers);
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:{site_port}"
public_origin = "http://127.0.0.1:{site_port}"
site_dir = {dist:?}
data_dir = {site_data:?}
embed_origins = {origins:?}
[aws]
region = "us-east-1"
endpoint_url = "http://127.0.0.1:{api}"
[channel]
arn = "{CHANNEL_ARN}"
viewer_count_secs = 2
{ttl}[chat]
room_arn = "arn:aws:ivschat:us-east-1:000000000000:room/local"
endpoint = "ws://127.0.0.1:{chat}"
[identity]
moderators = ["{MODERATOR}"]
sign_in_key = "{sign_in_key}"
{identity}
{votes}
[events]
secret = "{events_secret}"
[operator]
keys = ["{operator_key}"]
{extra}
"#,
                dist = dist.display().to_string(),
                site_data = data.0.join("site").display().to_string(),
                origins = site.embed_origins,
                identity = site.identity,
                extra = site.extra,
                votes = site.redis_url.as_ref().map(|url| format!("[votes]\nstore = \"redis\"\nredis_url = \"{url}\"\n")).unwrap_or_default(),
            ),
        )?;
        let server_command: Vec<std::ffi::OsString> = vec![binary("ivs-site", "IVS_SITE_BIN").into(), "--config".into(), config.clone().into(), "serve".into()];
        let local = spawn(&local_command)?;
        let server = spawn(&server_command)?;
        let stack = Self {
            local,
            local_command,
            server,
            server_command,
            site: format!("http://127.0.0.1:{site_port}"),
            api: format!("http://127.0.0.1:{api}"),
            playback: format!("http://127.0.0.1:{playback}"),
            chat: format!("ws://127.0.0.1:{chat}"),
            ingest: format!("rtmp://127.0.0.1:{ingest}/app/"),
            local_data: data.0.join("local"),
            sign_in_key,
            operator_key,
            config,
            _data: data,
        };
        stack.wait_until_up(Duration::from_secs(30))?;
        if live {
            stack.wait_until_live(Duration::from_secs(20))?;
        }
        Ok(stack)
    }

    /// Starts another instance of the site server with this stack's configuration, changed by
    /// `edit` (another port, another store…); stopped on drop.
    pub fn start_site_instance(&self, port: u16, toml_edit: impl Fn(String) -> String) -> anyhow::Result<SiteInstance> {
        let text = std::fs::read_to_string(&self.config)?;
        // Its own origin (behind one load balancer, instances would share one).
        let listen = text.lines().find(|l| l.starts_with("listen = ")).unwrap_or_default().to_owned();
        let origin = text.lines().find(|l| l.starts_with("public_origin = ")).unwrap_or_default().to_owned();
        let text = text.replace(&listen, &format!("listen = \"127.0.0.1:{port}\"")).replace(&origin, &format!("public_origin = \"http://127.0.0.1:{port}\""));
        let text = toml_edit(text);
        let path = self.config.with_file_name(format!("ivs-site-{port}.toml"));
        std::fs::write(&path, text)?;
        let command: Vec<std::ffi::OsString> = vec![binary("ivs-site", "IVS_SITE_BIN").into(), "--config".into(), path.into(), "serve".into()];
        let instance = SiteInstance { child: spawn(&command)?, url: format!("http://127.0.0.1:{port}") };
        instance.wait_until_up(Duration::from_secs(30))?;
        Ok(instance)
    }

    /// Publishes an overlay through the site server, as a producer does; returns the HTTP status
    /// and the answer (`{"id", "metadata"}` when published).
    pub fn publish(&self, overlay: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        let auth = format!("Bearer {}", self.operator_key);
        let (status, _, body) = http_with("POST", &format!("{}/api/overlays", self.site), &[("Authorization", &auth)], overlay)?;
        Ok((status, serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body))))
    }

    /// Publishes a poll through the site server; its id.
    pub fn publish_poll(&self, overlay: &str) -> anyhow::Result<String> {
        let (status, answer) = self.publish(overlay)?;
        anyhow::ensure!(status == 200, "publishing answered {status}: {answer}");
        answer["id"].as_str().map(str::to_owned).context("the answer names no id")
    }

    /// Stops the stack and starts it again on the same ports, with the same data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.local = spawn(&self.local_command)?;
        self.server = spawn(&self.server_command)?;
        self.wait_until_up(Duration::from_secs(30))
    }

    /// `PutMetadata` on the local channel, as the stack's API takes it; returns the HTTP status
    /// (204 when the payload entered the stream).
    pub fn put_metadata(&self, metadata: &str) -> anyhow::Result<u16> {
        let body = serde_json::json!({ "channelArn": CHANNEL_ARN, "metadata": metadata });
        Ok(http("POST", &format!("{}/PutMetadata", self.api), &body.to_string())?.0)
    }

    /// A one-time link that signs a browser in as `user`, from the operator API.
    pub fn sign_in_url(&self, user: &str) -> String {
        let auth = format!("Bearer {}", self.operator_key);
        let answer = http_with("POST", &format!("{}/api/sign-in-links", self.site), &[("Authorization", &auth)], &format!(r#"{{"user":"{user}"}}"#));
        answer
            .ok()
            .and_then(|(_, _, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
            .and_then(|v| v["url"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{}/sign-in/not-issued", self.site))
    }

    /// A new anonymous identity, as a page load gives one: its `Cookie` header value.
    pub fn new_identity(&self) -> anyhow::Result<String> {
        new_identity(&self.site)
    }

    /// Restarts only the site server (same port, same data), as a deploy or a crash would; the
    /// broadcast goes on.
    pub fn restart_site(&mut self) -> anyhow::Result<()> {
        stop_child(&mut self.server);
        self.server = spawn(&self.server_command)?;
        self.wait_until_up(Duration::from_secs(30))
    }

    /// Kills the site server at once (`kill -9`), as a crash would.
    pub fn kill_site(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }

    /// The local IVS's process id.
    pub fn pid(&self) -> u32 {
        self.local.id()
    }

    /// The playback URL of the local channel.
    pub fn playback_url(&self) -> String {
        format!("{}/api/video/v1/us-east-1.000000000000.channel.local.m3u8", self.playback)
    }

    /// Waits until the local IVS's API and the site server answer.
    fn wait_until_up(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let (Ok((200, _)), Ok((200, _))) = (http("GET", &format!("{}/_local/health", self.api), ""), http("GET", &format!("{}/healthz", self.site), "")) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("the stack did not start within {timeout:?}")
    }

    /// Waits until the playlist lists segments.
    pub fn wait_until_live(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let mut playlist = http("GET", &self.playback_url(), "");
            if let Ok((403, _)) = playlist {
                // A private channel: ask the site for a playback token, as the viewer does (signed
                // in as the moderator, in case the channel is for subscribers).
                let cookie = http_with("GET", &self.sign_in_url(MODERATOR), &[], "")
                    .ok()
                    .and_then(|(_, head, _)| head.lines().find_map(|l| l.strip_prefix("set-cookie: ").map(|v| v.split(';').next().unwrap_or_default().to_owned())))
                    .unwrap_or_default();
                let token = http_with("POST", &format!("{}/api/playback-token", self.site), &[("Cookie", &cookie)], "")
                    .map(|(status, _, body)| (status, body))
                    .ok()
                    .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
                    .and_then(|v| v["token"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                playlist = http("GET", &format!("{}?token={token}", self.playback_url()), "");
            }
            // The multivariant playlist, then its first rendition's: live once that lists segments.
            let rendition = match playlist {
                Ok((200, master)) => master
                    .lines()
                    .find(|l| !l.is_empty() && !l.starts_with('#'))
                    .and_then(|uri| http("GET", &format!("{}/api/video/v1/{uri}", self.playback), "").ok()),
                _ => None,
            };
            if let Some((200, body)) = rendition {
                if body.matches(".ts").count() >= 2 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the local stream did not go live within {timeout:?}")
    }

    /// Takes the stream offline or brings it back.
    pub fn set_live(&self, live: bool) -> anyhow::Result<()> {
        let path = if live { "online" } else { "offline" };
        let (status, body) = http("POST", &format!("{}/_local/stream/{path}", self.api), "{}")?;
        if status != 200 {
            bail!("stream {path} failed: {status} {body}");
        }
        Ok(())
    }

    /// Makes the playback origin hold every request for `secs`, as a network that stalls.
    pub fn stall_playback(&self, secs: f64) -> anyhow::Result<()> {
        let (status, body) = http("POST", &format!("{}/_local/playback/stall", self.api), &format!(r#"{{"seconds":{secs}}}"#))?;
        anyhow::ensure!(status == 200, "stalling playback failed: {status} {body}");
        Ok(())
    }
}

fn spawn(command: &[std::ffi::OsString]) -> anyhow::Result<Child> {
    // The site server finds AWS credentials by the SDK's standard chain; the local IVS accepts any.
    Command::new(&command[0])
        .args(&command[1..])
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {:?} (build it with cargo build -p ivs-local -p ivs-site)", command[0]))
}

/// Stops a child: SIGTERM first (the local IVS stops its encoder), then for sure.
fn stop_child(child: &mut Child) {
    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Stack {
    fn stop(&mut self) {
        stop_child(&mut self.server);
        stop_child(&mut self.local);
    }
}

/// Another instance of the site server; stopped on drop.
pub struct SiteInstance {
    pub child: Child,
    pub url: String,
}

impl SiteInstance {
    fn wait_until_up(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok((200, _)) = http("GET", &format!("{}/healthz", self.url), "") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("the site server at {} did not start within {timeout:?}", self.url)
    }

    /// Kills it at once (`kill -9`), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SiteInstance {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The official IVS client, pointed at `stack` (any credentials do). It does not retry, so
/// tests see the stack's first answer.
pub async fn ivs_client(stack: &Stack) -> aws_sdk_ivs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ivs::config::Credentials::new("AKIDLOCAL", "local-secret", None, None, "e2e"))
        .endpoint_url(&stack.api)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_ivs::Client::new(&config)
}

/// The official IVS Chat client, pointed at `stack`, without retries.
pub async fn ivschat_client(stack: &Stack) -> aws_sdk_ivschat::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ivschat::config::Credentials::new("AKIDLOCAL", "local-secret", None, None, "e2e"))
        .endpoint_url(&stack.api)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_ivschat::Client::new(&config)
}

/// The viewer's status badge says the stream is playing.
pub const PLAYING: &str = "document.querySelector('[data-testid=status]')?.dataset.state === 'Playing'";

/// The viewer's parts over the video (controls, overlays: src/lazy.rs) have arrived.
pub const STAGE_READY: &str = "document.querySelector('[data-testid=ctl-play]') !== null";

/// Opens the viewer of `stack` in a new tab and waits until it plays with its controls.
pub async fn open_playing(chromium: &Chromium, stack: &Stack) -> anyhow::Result<Page> {
    let page = chromium.open(&stack.site).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, STAGE_READY, Duration::from_secs(10)).await?;
    Ok(page)
}

/// A minimal blocking HTTP/1.1 client for the tests' own calls: returns status and body.
pub fn http(method: &str, url: &str, body: &str) -> anyhow::Result<(u16, String)> {
    http_with(method, url, &[], body).map(|(status, _, body)| (status, body))
}

/// Like [`http`], with request headers; also returns the response's head (status line and
/// headers, lower-cased names).
pub fn http_with(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> anyhow::Result<(u16, String, String)> {
    request(method, url, headers, body, Duration::from_secs(10))
}

fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str, timeout: Duration) -> anyhow::Result<(u16, String, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").context("http:// URLs only")?;
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        extra.push_str("Content-Type: application/json\r\n");
    }
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}", body.len())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed response")?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    Ok((status, head, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Headless Chromium with the flags this machine needs; closed on drop.
pub struct Chromium {
    pub browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    /// The pages opened, for the policy check on close.
    pages: std::sync::Mutex<Vec<Page>>,
    _profile: TempDir,
}

impl Chromium {
    /// Launches `/usr/bin/chromium` (or `$CHROMIUM`) with a fresh profile; autoplay with sound
    /// is allowed, as on a site the viewer has engaged with.
    pub async fn launch() -> anyhow::Result<Self> {
        Self::launch_with_autoplay_policy("no-user-gesture-required").await
    }

    /// Launches with this `--autoplay-policy` (`document-user-activation-required` refuses
    /// autoplay with sound, as a first visit does).
    pub async fn launch_with_autoplay_policy(policy: &str) -> anyhow::Result<Self> {
        let profile = TempDir::new("chromium-profile")?;
        let executable = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .user_data_dir(&profile.0)
            .window_size(1280, 800)
            .args([
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--mute-audio",
            ])
            .arg(format!("--autoplay-policy={policy}"))
            .build()
            .map_err(|e| anyhow::anyhow!("browser config: {e}"))?;
        let (browser, mut events) = Browser::launch(config).await.context("launching Chromium")?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Ok(Self { browser, handler, pages: std::sync::Mutex::default(), _profile: profile })
    }

    /// Opens `url` in a new tab.
    pub async fn open(&self, url: &str) -> anyhow::Result<Page> {
        let page = self.browser.new_page("about:blank").await?;
        self.watch(page, url).await
    }

    /// Opens `url` in a window of its own as a device of `width`×`height` CSS pixels would show
    /// it (`mobile`: a phone's viewport, touch, twice the pixels).
    pub async fn open_as_device(&self, url: &str, width: i64, height: i64, mobile: bool) -> anyhow::Result<Page> {
        use chromiumoxide::cdp::browser_protocol::emulation::{SetDeviceMetricsOverrideParams, SetTouchEmulationEnabledParams};
        use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
        let context = self.browser.create_browser_context(CreateBrowserContextParams::default()).await?;
        let mut params = CreateTargetParams::new("about:blank");
        params.browser_context_id = Some(context);
        let page = self.browser.new_page(params).await?;
        page.execute(SetDeviceMetricsOverrideParams::new(width, height, if mobile { 2.0 } else { 1.0 }, mobile)).await?;
        page.execute(SetTouchEmulationEnabledParams::new(mobile)).await?;
        self.watch(page, url).await
    }

    /// Records the page's Content-Security-Policy violations from its first script on (checked
    /// by [`close`](Self::close)), then loads `url`.
    async fn watch(&self, page: Page, url: &str) -> anyhow::Result<Page> {
        page.evaluate_on_new_document(CSP_WATCH).await?;
        page.goto(url).await?;
        self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(page.clone());
        Ok(page)
    }

    /// Opens `url` in a new window with its own cookies and storage, as another person's
    /// browser would be.
    pub async fn open_isolated(&self, url: &str) -> anyhow::Result<Page> {
        use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
        let context = self.browser.create_browser_context(CreateBrowserContextParams::default()).await?;
        let mut params = CreateTargetParams::new("about:blank");
        params.browser_context_id = Some(context);
        let page = self.browser.new_page(params).await?;
        self.watch(page, url).await
    }

    /// Closes the browser and waits for it. Every test that closes its browser so also checks
    /// that no page of the site broke its security policy: the viewer needs nothing it forbids.
    pub async fn close(mut self) {
        let pages = std::mem::take(&mut *self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let mut violations = Vec::new();
        for page in pages {
            let seen = tokio::time::timeout(Duration::from_secs(2), eval::<Vec<String>>(&page, "window.__cspViolations ?? []")).await;
            if let Ok(Ok(seen)) = seen {
                violations.extend(seen);
            }
        }
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
        assert!(violations.is_empty(), "the pages broke their Content-Security-Policy: {violations:?}");
    }
}

/// Keeps the page's Content-Security-Policy violations in `window.__cspViolations`.
pub const CSP_WATCH: &str =
    "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));";

/// Evaluates `expression` in the page and decodes its value.
pub async fn eval<T: DeserializeOwned>(page: &Page, expression: &str) -> anyhow::Result<T> {
    let result = page.evaluate(expression).await.with_context(|| format!("evaluating {expression}"))?;
    result.into_value().with_context(|| format!("decoding the value of {expression}"))
}

/// Polls `expression` until it is truthy; returns the time it took.
pub async fn wait_for(page: &Page, expression: &str, timeout: Duration) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let check = format!("Boolean({expression})");
    loop {
        if eval::<bool>(page, &check).await.unwrap_or(false) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            let status = eval::<String>(page, "document.querySelector('[data-testid=status]')?.textContent ?? '(no status)'").await.unwrap_or_default();
            bail!("waited {timeout:?} for `{expression}`; the page's status says {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of the element with this `data-testid`, if present.
pub async fn text(page: &Page, test_id: &str) -> anyhow::Result<Option<String>> {
    // CDP returns no value for null, so the answer travels as JSON.
    let json: String = eval(page, &format!("JSON.stringify(document.querySelector('[data-testid=\"{test_id}\"]')?.textContent ?? null)")).await?;
    Ok(serde_json::from_str(&json)?)
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

/// Copies the folder `from` into `to`, recursively (a copy of the built viewer to alter, say).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

impl TempDir {
    pub fn new(prefix: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A real `redis-server` on a free port, with its append-only file on (every write synced, as the
/// site server's deployment guide asks); stopped on drop.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl Redis {
    pub fn start() -> anyhow::Result<Self> {
        let mut redis = Self { child: None, port: free_port(), dir: TempDir::new("redis")? };
        redis.run()?;
        Ok(redis)
    }

    fn run(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
            .arg("--dir")
            .arg(&self.dir.0)
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start redis-server (scripts/setup.sh installs it)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("redis-server did not start")
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops Redis (SIGTERM: it finishes its append-only file, as a restart would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
    }

    /// Starts it again on the same port with the same files.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.run()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A new anonymous identity from the site server at `site`, as a page load gives one: its
/// `Cookie` header value.
pub fn new_identity(site: &str) -> anyhow::Result<String> {
    let (status, head, _) = http_with("GET", &format!("{site}/"), &[], "")?;
    anyhow::ensure!(status == 200, "the page: {status}");
    set_cookie(&head).context("the page gave no identity")
}

/// The value of `Set-Cookie` in a lower-cased response head, up to the first `;`.
pub fn set_cookie(head: &str) -> Option<String> {
    head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// An event target, as an EventBridge API destination would be: collects what is POSTed to it.
pub struct EventSink {
    pub url: String,
    events: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl EventSink {
    pub async fn start() -> anyhow::Result<Self> {
        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = events.clone();
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |body: String| {
                let kept = kept.clone();
                async move {
                    if let Ok(event) = serde_json::from_str(&body) {
                        kept.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/events", listener.local_addr()?);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, events, _server: server })
    }

    /// The events received so far, in order.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `(detail-type, event_name or recording_status or limit_name)` of the events about
    /// `channel_arn`, in order.
    pub fn names(&self, channel_arn: &str) -> Vec<(String, String)> {
        self.events()
            .iter()
            .filter(|e| e["resources"][0] == channel_arn)
            .map(|e| {
                let d = &e["detail"];
                let name = d["event_name"].as_str().or(d["recording_status"].as_str()).or(d["limit_name"].as_str()).unwrap_or_default();
                (e["detail-type"].as_str().unwrap_or_default().to_owned(), name.to_owned())
            })
            .collect()
    }

    /// Waits until an event about `channel_arn` named `name` arrived; returns it.
    pub async fn wait_for(&self, channel_arn: &str, name: &str, timeout: Duration) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.events().into_iter().find(|e| {
                let d = &e["detail"];
                e["resources"][0] == channel_arn && (d["event_name"] == name || d["recording_status"] == name || d["limit_name"] == name)
            });
            if let Some(event) = found {
                return Ok(event);
            }
            if Instant::now() > deadline {
                bail!("no {name:?} event for {channel_arn} within {timeout:?}; got {:?}", self.names(channel_arn));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A broadcaster: ffmpeg streaming a test pattern to an RTMP URL, killed on drop.
pub struct Broadcaster {
    child: Child,
}

impl Broadcaster {
    /// Streams `secs` seconds (or until dropped) of a `width`×`height` test pattern with a tone
    /// to `url`, in real time, as an encoder would (H.264 with a keyframe every two seconds, AAC).
    pub fn start(url: &str, width: u32, height: u32, secs: u32) -> anyhow::Result<Self> {
        Self::start_at(url, width, height, secs, 1.0)
    }

    /// Like [`start`](Self::start), sending `speed` times real time (below 1: it falls behind).
    pub fn start_at(url: &str, width: u32, height: u32, secs: u32, speed: f64) -> anyhow::Result<Self> {
        let rate = speed.to_string();
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
            .args(["-readrate", &rate, "-f", "lavfi", "-i", &format!("testsrc2=size={width}x{height}:rate=30")])
            .args(["-readrate", &rate, "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000"])
            .args(["-t", &secs.to_string(), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "60", "-pix_fmt", "yuv420p"])
            .args(["-c:a", "aac", "-b:a", "96k", "-f", "flv", url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start ffmpeg")?;
        Ok(Self { child })
    }

    /// Waits for ffmpeg to finish (at most `timeout`): whether it succeeded, and what it said.
    pub fn finish(mut self, timeout: Duration) -> anyhow::Result<(bool, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                let mut said = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    use std::io::Read;
                    let _ = stderr.read_to_string(&mut said);
                }
                return Ok((status.success(), said));
            }
            if Instant::now() > deadline {
                bail!("ffmpeg still running after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Broadcaster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn found(name: &str, arg: &str) -> bool {
    Command::new(name).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Whether Firefox and its WebDriver (`geckodriver`) are installed (`scripts/setup.sh` installs
/// both; on CI their absence fails the Firefox tests rather than skipping them).
pub fn firefox_available() -> bool {
    found("geckodriver", "--version") && found("firefox-esr", "--version")
}

/// Whether WebKitGTK's WebDriver and a virtual display (Xvfb) are installed.
pub fn webkit_available() -> bool {
    found("WebKitWebDriver", "--help") && Command::new("Xvfb").arg("-help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
        && Path::new(WEBKIT_MINIBROWSER).exists()
}

/// WebKitGTK's browser, which WebKitWebDriver drives.
const WEBKIT_MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// A browser driven over W3C WebDriver — Firefox ESR (`geckodriver`, headless) or WebKitGTK
/// (`WebKitWebDriver`, on its own virtual display) — with a fresh profile; closed on drop.
pub struct Driven {
    driver: Child,
    /// WebKitGTK's virtual display.
    display: Option<Child>,
    base: String,
}

impl Driven {
    /// Starts a driver (`program` with `args`, listening on `port`) and waits until it answers.
    async fn start(program: &str, args: &[String], port: u16, display: Option<(Child, String)>) -> anyhow::Result<Self> {
        let mut command = Command::new(program);
        command.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some((_, name)) = &display {
            command.env("DISPLAY", name);
        }
        let driver = command.spawn().with_context(|| format!("cannot start {program} (scripts/setup.sh installs it)"))?;
        let driven = Self { driver, display: display.map(|(child, _)| child), base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        while request("GET", &format!("{}/status", driven.base), &[], "", Duration::from_secs(2)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "{program} did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(driven)
    }

    /// Opens the session.
    fn session(mut self, capabilities: serde_json::Value) -> anyhow::Result<Self> {
        let session = self.call("POST", "/session", &serde_json::json!({ "capabilities": { "alwaysMatch": capabilities } }))?;
        let id = session["sessionId"].as_str().context("no WebDriver session")?.to_owned();
        self.base = format!("{}/session/{id}", self.base);
        Ok(self)
    }

    /// WebKitGTK's MiniBrowser on a virtual display of its own.
    pub async fn webkit() -> anyhow::Result<Self> {
        let number = 100 + free_port() % 800;
        let name = format!(":{number}");
        let xvfb = Command::new("Xvfb")
            .args([name.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb (scripts/setup.sh installs it)")?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let port = free_port();
        let driven = Self::start("WebKitWebDriver", &[format!("--port={port}")], port, Some((xvfb, name))).await?;
        driven.session(serde_json::json!({ "webkitgtk:browserOptions": { "binary": WEBKIT_MINIBROWSER, "args": ["--automation"] } }))
    }

    /// Firefox ESR, headless, autoplaying media as a viewer who allowed it.
    pub async fn firefox() -> anyhow::Result<Self> {
        let port = free_port();
        let driven = Self::start("geckodriver", &["--port".into(), port.to_string(), "--log".into(), "error".into()], port, None).await?;
        driven.session(serde_json::json!({
            "browserName": "firefox",
            "moz:firefoxOptions": {
                "binary": "/usr/bin/firefox-esr",
                "args": ["-headless"],
                "prefs": {
                    "media.autoplay.default": 0,
                    "media.autoplay.blocking_policy": 0,
                    "app.update.enabled": false,
                    "browser.shell.checkDefaultBrowser": false,
                    "datareporting.policy.dataSubmissionEnabled": false,
                    "toolkit.telemetry.enabled": false,
                    "network.captive-portal-service.enabled": false,
                    "browser.safebrowsing.malware.enabled": false,
                    "browser.safebrowsing.phishing.enabled": false,
                },
            },
        }))
    }

    /// One WebDriver command; its `value`, or the WebDriver error in words.
    fn call(&self, method: &str, path: &str, body: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let body = if method == "GET" || method == "DELETE" { String::new() } else { body.to_string() };
        let (status, _, answer) = request(method, &format!("{}{path}", self.base), &[], &body, Duration::from_secs(60))?;
        let answer: serde_json::Value = serde_json::from_str(&answer).with_context(|| format!("WebDriver answered {status}: {answer}"))?;
        if status != 200 {
            bail!("WebDriver {method} {path}: {} — {}", answer["value"]["error"], answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    /// Loads `url` in the current tab.
    pub fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", "/url", &serde_json::json!({ "url": url })).map(drop)
    }

    /// Evaluates a JavaScript expression in the page.
    pub fn eval<T: DeserializeOwned>(&self, expression: &str) -> anyhow::Result<T> {
        let value = self.call("POST", "/execute/sync", &serde_json::json!({ "script": format!("return ({expression});"), "args": [] }))?;
        serde_json::from_value(value).with_context(|| format!("evaluating {expression}"))
    }

    /// Waits until `expression` is true in the page.
    pub async fn wait_for(&self, expression: &str, timeout: Duration) -> anyhow::Result<Duration> {
        let start = Instant::now();
        loop {
            if self.eval::<bool>(&format!("!!({expression})")).unwrap_or(false) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > timeout {
                bail!("timed out after {timeout:?} waiting for {expression}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `selector` matches, as a person would (WebDriver's element click).
    pub fn click(&self, selector: &str, index: usize) -> anyhow::Result<()> {
        let found = self.call("POST", "/elements", &serde_json::json!({ "using": "css selector", "value": selector }))?;
        let element = found.get(index).and_then(|e| e.as_object()).and_then(|e| e.values().next()).and_then(|v| v.as_str()).context("no such element")?.to_owned();
        self.call("POST", &format!("/element/{element}/click"), &serde_json::json!({})).map(drop)
    }

    /// The journey every engine takes after playing: a notice sent with `PutMetadata` shows
    /// ("hello `browser`"), then a poll on `options` comes, the first option is voted for, and
    /// the vote is counted (100 %, 0 %, 0 %).
    pub async fn sees_a_notice_and_votes(&self, stack: &Stack, browser: &str, options: [&str; 3]) -> anyhow::Result<()> {
        let notice = serde_json::json!({ "type": "notice", "text": format!("hello {browser}"), "duration": 10 });
        anyhow::ensure!(stack.put_metadata(&notice.to_string())? == 204, "PutMetadata refused the notice");
        self.wait_for(&format!("document.querySelector('[data-testid=notice]')?.textContent.includes('hello {browser}')"), Duration::from_secs(10)).await?;

        let poll = serde_json::json!({ "type": "poll", "question": "Which browser?", "options": options, "duration": 120 });
        stack.publish_poll(&poll.to_string())?;
        self.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(10)).await?;
        self.click("[data-testid=poll-choice]", 0)?;
        self.wait_for("(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(10)).await?;
        self.wait_for("[...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent).join() === '100%,0%,0%'", Duration::from_secs(10))
            .await?;
        Ok(())
    }

    /// Presses a key on the keyboard (WebDriver's key actions: `\u{E007}` is Enter), into whatever
    /// has the focus.
    pub fn press(&self, key: &str) -> anyhow::Result<()> {
        let actions = serde_json::json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }] }] });
        self.call("POST", "/actions", &actions).map(drop)
    }

    /// Types `text` into the element `selector` matches (then [`press`](Self::press) Enter to
    /// send a form: a trailing `\u{E007}` here does not submit in Gecko).
    pub fn type_into(&self, selector: &str, text: &str) -> anyhow::Result<()> {
        let found = self.call("POST", "/element", &serde_json::json!({ "using": "css selector", "value": selector }))?;
        let element = found.as_object().and_then(|e| e.values().next()).and_then(|v| v.as_str()).context("no such element")?.to_owned();
        self.call("POST", &format!("/element/{element}/value"), &serde_json::json!({ "text": text })).map(drop)
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        let _ = request("DELETE", &self.base, &[], "", Duration::from_secs(10));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(display) = self.display.as_mut() {
            let _ = display.kill();
            let _ = display.wait();
        }
    }
}
