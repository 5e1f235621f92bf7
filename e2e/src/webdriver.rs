//! Browsers driven over W3C WebDriver: Firefox ESR (`geckodriver`) and WebKitGTK
//! (`WebKitWebDriver` under Xvfb).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::de::DeserializeOwned;

use std::path::Path;

use crate::http::request;
use crate::stack::free_port;

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
    found("WebKitWebDriver", "--help")
        && Command::new("Xvfb").arg("-help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
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
        Self::firefox_with(serde_json::json!({}), false).await
    }

    /// Firefox, with `live.test`, `shop.test` and `evil.test` on this machine (as
    /// `Chromium::launch_with_test_sites`), their test certificates accepted.
    pub async fn firefox_for_test_sites() -> anyhow::Result<Self> {
        Self::firefox_with(serde_json::json!({ "network.dns.localDomains": "live.test,shop.test,evil.test" }), true).await
    }

    async fn firefox_with(more_prefs: serde_json::Value, accept_insecure_certs: bool) -> anyhow::Result<Self> {
        let port = free_port();
        let driven = Self::start("geckodriver", &["--port".into(), port.to_string(), "--log".into(), "error".into()], port, None).await?;
        let mut capabilities = serde_json::json!({
            "browserName": "firefox",
            "acceptInsecureCerts": accept_insecure_certs,
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
                    // Stages: the local IVS's media candidates are plain addresses.
                    "media.peerconnection.ice.obfuscate_host_addresses": false,
                },
            },
        });
        if let (Some(prefs), Some(more)) = (capabilities["moz:firefoxOptions"]["prefs"].as_object_mut(), more_prefs.as_object()) {
            prefs.extend(more.clone());
        }
        driven.session(capabilities)
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
        let element =
            found.get(index).and_then(|e| e.as_object()).and_then(|e| e.values().next()).and_then(|v| v.as_str()).context("no such element")?.to_owned();
        self.call("POST", &format!("/element/{element}/click"), &serde_json::json!({})).map(drop)
    }

    /// Presses a key on the keyboard (WebDriver's key actions: `\u{E007}` is Enter), into whatever
    /// has the focus.
    pub fn press(&self, key: &str) -> anyhow::Result<()> {
        let actions = serde_json::json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }] }] });
        self.call("POST", "/actions", &actions).map(drop)
    }

    /// Sizes the browser's window to `width`×`height` CSS pixels (its outer size: the page gets a
    /// little less).
    pub fn set_window_size(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.call("POST", "/window/rect", &serde_json::json!({ "width": width, "height": height })).map(drop)
    }

    /// A PNG of what the page shows now.
    pub fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", &serde_json::json!({}))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(png.as_str().context("no screenshot")?)?)
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
