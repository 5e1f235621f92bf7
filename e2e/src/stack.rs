//! The stack under test: the local IVS (`ivs-local`) and the site server (`ivs-site`) as child
//! processes on free ports, with the calls the tests make to them. Kept whole (over 500 lines):
//! one `Stack`, its builder and its calls, which every test reads as one vocabulary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::http::{http, http_with};
use crate::temp::TempDir;

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
/// The bucket the built-in channel records into, with [`StackBuilder::recording`].
pub const RECORDINGS_BUCKET: &str = "site-recordings";
/// The local IVS's built-in stage.
pub const STAGE_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:stage/local";

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
    /// Replace the stream key after every broadcast (`channel.rotate_stream_key`).
    pub rotate_stream_key: bool,
    /// The default room's message review handler asks the site server (`chat.review_secret`).
    pub reviewing: bool,
}

/// How a stack starts: [`Stack::builder`], then [`start`](Self::start).
pub struct StackBuilder {
    dist: PathBuf,
    live: bool,
    local_args: Vec<String>,
    site: SiteOptions,
}

impl StackBuilder {
    /// With the stream offline; [`Stack::set_live`] brings it up.
    /// The built-in channel records its broadcasts (into [`RECORDINGS_BUCKET`]), as IVS
    /// auto-records to S3, and the site server lists them.
    pub fn recording(mut self) -> Self {
        self.local_args.extend(["--record-builtin".to_owned(), RECORDINGS_BUCKET.to_owned()]);
        self
    }

    pub fn offline(mut self) -> Self {
        self.live = false;
        self
    }

    /// With further `ivs-local serve` arguments.
    pub fn local_args(mut self, args: &[&str]) -> Self {
        self.local_args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Serving the viewer from `dist` (a copy of the built viewer, say).
    pub fn serving(mut self, dist: &Path) -> Self {
        self.dist = dist.to_owned();
        self
    }

    /// With `site` in the site server's configuration.
    pub fn site(mut self, site: SiteOptions) -> Self {
        self.site = site;
        self
    }

    /// Starts the stack on free ports and waits until it is up (and, live, has a playlist).
    pub fn start(self) -> anyhow::Result<Stack> {
        Stack::start_built(self)
    }
}

/// Where a built binary of the workspace is.
pub fn binary(name: &str, env: &str) -> PathBuf {
    std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| root().join("target/debug").join(name))
}

impl Stack {
    /// Starts the stack with the built viewer (`dist/`), on free ports, and waits until its
    /// stream has a playlist.
    pub fn start() -> anyhow::Result<Self> {
        Self::builder().start()
    }

    /// A stack to start otherwise: offline, with further `ivs-local serve` arguments, serving
    /// another copy of the viewer, or with more in the site server's configuration.
    pub fn builder() -> StackBuilder {
        StackBuilder { dist: root().join("dist"), live: true, local_args: Vec::new(), site: SiteOptions::default() }
    }

    fn start_built(built: StackBuilder) -> anyhow::Result<Self> {
        let StackBuilder { dist, live, local_args: extra, site } = built;
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
        let review_secret = format!("review-secret-{}-{}", free_port(), std::process::id());
        if site.reviewing {
            local_command.extend(["--chat-review-url".into(), format!("http://127.0.0.1:{site_port}/api/chat/review").into()]);
            local_command.extend(["--chat-review-header".into(), format!("x-ivs-review-secret: {review_secret}").into()]);
        }
        if !live {
            local_command.push("--offline".into());
        }
        local_command.extend(extra.iter().map(Into::into));
        let config = data.0.join("ivs-site.toml");
        let ttl = site.playback_token_ttl_secs.map(|t| format!("playback_token_ttl_secs = {t}\n")).unwrap_or_default();
        let ttl = format!("{ttl}subscribers = {:?}\nrotate_stream_key = {}\n", site.subscribers, site.rotate_stream_key);
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
# Links may choose the local IVS's other channels and recordings (tests open them so).
playback_overrides = ["http://127.0.0.1:{playback}/", "http://127.0.0.1:{api}/"]
{ttl}[chat]
room_arn = "arn:aws:ivschat:us-east-1:000000000000:room/local"
endpoint = "ws://127.0.0.1:{chat}"
{review}
[identity]
moderators = ["{MODERATOR}"]
sign_in_key = "{sign_in_key}"
{identity}
{votes}
[events]
secret = "{events_secret}"
[operator]
keys = ["{operator_key}"]
[stage]
arn = "{STAGE_ARN}"
hosts = ["host"]
[recordings]
base_url = "http://127.0.0.1:{playback}/s3/{RECORDINGS_BUCKET}"
{extra}
"#,
                dist = dist.display().to_string(),
                site_data = data.0.join("site").display().to_string(),
                origins = site.embed_origins,
                identity = site.identity,
                extra = site.extra,
                review = if site.reviewing { format!("review_secret = \"{review_secret}\"") } else { String::new() },
                votes = site.redis_url.as_ref().map(|url| format!("[votes]\nstore = \"redis\"\nredis_url = \"{url}\"\n")).unwrap_or_default(),
            ),
        )?;
        let server_command: Vec<std::ffi::OsString> = vec![binary("ivs-site", "IVS_SITE_BIN").into(), "--config".into(), config.clone().into(), "serve".into()];
        let mut local = spawn(&local_command)?;
        // A site server that cannot start must not leave the local IVS (and its encoder) behind.
        let server = spawn(&server_command).inspect_err(|_| stop_child(&mut local))?;
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
        let log = path.with_extension("log");
        let command: Vec<std::ffi::OsString> = vec![binary("ivs-site", "IVS_SITE_BIN").into(), "--config".into(), path.into(), "serve".into()];
        let child = spawn_logging(&command, &[], &log)?;
        let mut instance = SiteInstance { child, url: format!("http://127.0.0.1:{port}"), log };
        instance.wait_until_up(Duration::from_secs(30))?;
        Ok(instance)
    }

    /// Publishes an overlay through the site server, as a producer does; returns the HTTP status
    /// and the answer (`{"id", "metadata"}` when published).
    pub fn publish(&self, overlay: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        self.publish_at("/api/overlays", overlay)
    }

    /// Publishes an overlay on the site's real-time stage, as [`Self::publish`] does on the channel.
    pub fn publish_on_stage(&self, overlay: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        self.publish_at("/api/overlays?on=stage", overlay)
    }

    fn publish_at(&self, path: &str, overlay: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        let auth = format!("Bearer {}", self.operator_key);
        let (status, _, body) = http_with("POST", &format!("{}{path}", self.site), &[("Authorization", &auth)], overlay)?;
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

    /// The live broadcast's viewer analytics as a whole (`total` of
    /// `GET /api/studio/analytics/{live}`), from the operator API.
    pub fn live_analytics(&self) -> anyhow::Result<serde_json::Value> {
        let auth = format!("Bearer {}", self.operator_key);
        let (_, _, body) = http_with("GET", &format!("{}/api/studio/analytics", self.site), &[("Authorization", &auth)], "")?;
        let live = serde_json::from_str::<serde_json::Value>(&body)?["live"].as_str().unwrap_or_default().to_owned();
        let (_, _, body) = http_with("GET", &format!("{}/api/studio/analytics/{live}", self.site), &[("Authorization", &auth)], "")?;
        Ok(serde_json::from_str::<serde_json::Value>(&body)?["total"].clone())
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

    /// A stage pass from the site server for `user`, signed in with a one-time link: the site's
    /// answer (`token`, `participantId`, `capabilities`, …).
    pub fn stage_token(&self, user: &str) -> anyhow::Result<serde_json::Value> {
        let (_, head, _) = http_with("GET", &self.sign_in_url(user), &[], "")?;
        let cookie = set_cookie(&head).context("no cookie from the sign-in link")?;
        let (status, _, body) = http_with("POST", &format!("{}/api/stage/token", self.site), &[("Cookie", &cookie), ("Origin", &self.site)], "")?;
        anyhow::ensure!(status == 200, "stage token: {status} {body}");
        Ok(serde_json::from_str(&body)?)
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
            if let (Ok((200, _)), Ok((200, _))) = (http("GET", &format!("{}/_local/health", self.api), ""), http("GET", &format!("{}/healthz", self.site), ""))
            {
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
                let cookie = http_with("GET", &self.sign_in_url(MODERATOR), &[], "").ok().and_then(|(_, head, _)| set_cookie(&head)).unwrap_or_default();
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
    spawn_with(command, &[], Stdio::inherit())
}

/// [`spawn`], with `env` added and what it says on stderr kept in `log` as well as shown.
fn spawn_logging(command: &[std::ffi::OsString], env: &[(String, String)], log: &Path) -> anyhow::Result<Child> {
    let mut child = spawn_with(command, env, Stdio::piped())?;
    keep_stderr(&mut child, log)?;
    Ok(child)
}

/// Gives `command` AWS credentials of its own (the site server finds them by the SDK's standard
/// chain; the local IVS accepts any), never the caller's profile or an instance's metadata.
pub fn with_local_credentials(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
}

/// Shows what `child` says on stderr and keeps it in `log`.
fn keep_stderr(child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let mut from = child.stderr.take().context("the child's stderr")?;
    let mut to = std::fs::File::create(log)?;
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = std::io::Read::read(&mut from, &mut buffer) {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), &buffer[..n]);
            let _ = std::io::Write::write_all(&mut to, &buffer[..n]);
        }
    });
    Ok(())
}

fn spawn_with(command: &[std::ffi::OsString], env: &[(String, String)], stderr: Stdio) -> anyhow::Result<Child> {
    with_local_credentials(Command::new(&command[0]).args(&command[1..]).envs(env.iter().map(|(k, v)| (k, v))))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {:?} (build it with cargo build -p ivs-local -p ivs-site)", command[0]))
}

/// Stops a child: SIGTERM first (the local IVS stops its encoder), then for sure.
pub(crate) fn stop_child(child: &mut Child) {
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
    /// What it said on stderr.
    pub log: PathBuf,
}

impl SiteInstance {
    /// Runs a site server by `command` (program first) with `env` added, keeping its stderr in
    /// `log`; waits until `url`'s `/healthz` answers.
    pub fn start(command: &[std::ffi::OsString], env: &[(String, String)], url: &str, log: &Path) -> anyhow::Result<Self> {
        let child = spawn_logging(command, env, log)?;
        let mut instance = SiteInstance { child, url: url.to_owned(), log: log.to_owned() };
        instance.wait_until_up(Duration::from_secs(30))?;
        Ok(instance)
    }

    /// Waits for `/healthz`; an instance that exits first is an error with its last words.
    fn wait_until_up(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok((200, _)) = http("GET", &format!("{}/healthz", self.url), "") {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                let said = std::fs::read_to_string(&self.log).unwrap_or_default();
                bail!("the site server at {} exited ({status}): {}", self.url, said.trim());
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
