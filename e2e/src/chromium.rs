//! Headless Chromium driven over the DevTools protocol (`chromiumoxide`): it needs no driver
//! process, runs on the same tokio runtime as the tests, and gives direct access to `evaluate`,
//! which is how the tests read what a person sees (text on the page, the video's clock).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::Page;
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::stack::Stack;
use crate::temp::TempDir;

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
        Self::launch_with(policy, Vec::new()).await
    }

    /// Launches trusting the server certificate whose public key has this hash (base64 SHA-256
    /// of its SubjectPublicKeyInfo, [`crate::tls::TestCa::spki_sha256`]) as a public CA's, and
    /// no other the system does not.
    pub async fn launch_trusting(spki_sha256: &str) -> anyhow::Result<Self> {
        Self::launch_with("no-user-gesture-required", vec![format!("--ignore-certificate-errors-spki-list={spki_sha256}")]).await
    }

    /// [`launch_trusting`](Self::launch_trusting), with every `*.test` name resolving to
    /// loopback: several sites (`https://shop.test:…`, `https://live.test:…`) on one machine.
    pub async fn launch_with_test_sites(spki_sha256: &str) -> anyhow::Result<Self> {
        let flags = vec![format!("--ignore-certificate-errors-spki-list={spki_sha256}"), "--host-resolver-rules=MAP *.test 127.0.0.1".to_owned()];
        Self::launch_with("no-user-gesture-required", flags).await
    }

    /// Launches with every request through `proxy` (an HTTP proxy's address), loopback's too: a
    /// browser on the network a [`Throttle`](crate::Throttle) makes.
    pub async fn launch_through(proxy: &str) -> anyhow::Result<Self> {
        Self::launch_with("no-user-gesture-required", vec![format!("--proxy-server={proxy}"), "--proxy-bypass-list=<-loopback>".to_owned()]).await
    }

    async fn launch_with(policy: &str, extra: Vec<String>) -> anyhow::Result<Self> {
        let profile = TempDir::new("chromium-profile")?;
        let executable = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut flags: Vec<String> = [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            // Stages: a fake camera and microphone, granted without a prompt, and WebRTC
            // candidates on loopback (where the local IVS's media socket listens).
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection",
        ]
        .map(str::to_owned)
        .to_vec();
        flags.push(format!("--autoplay-policy={policy}"));
        flags.extend(extra);
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .user_data_dir(&profile.0)
            .window_size(1280, 800)
            // chromiumoxide writes the `--` itself: a flag given with its own would reach
            // Chromium as `----flag`, which it ignores.
            .args(flags.iter().map(|flag| flag.trim_start_matches('-').to_owned()))
            // Certificates are checked as a browser checks them (chromiumoxide ignores their
            // errors unless told): a test trusts its own CA's server by its key, no other.
            .respect_https_errors()
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

    /// Opens `url` in a window of its own whose browser prefers `languages` (an
    /// `Accept-Language` list such as `pt-PT,pt;q=0.9`): `navigator.languages` says them.
    pub async fn open_with_languages(&self, url: &str, languages: &str) -> anyhow::Result<Page> {
        use chromiumoxide::cdp::browser_protocol::emulation::SetUserAgentOverrideParams;
        use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
        let context = self.browser.create_browser_context(CreateBrowserContextParams::default()).await?;
        let mut params = CreateTargetParams::new("about:blank");
        params.browser_context_id = Some(context);
        let page = self.browser.new_page(params).await?;
        let mut override_params = SetUserAgentOverrideParams::new(self.browser.user_agent().await?);
        override_params.accept_language = Some(languages.to_owned());
        page.execute(override_params).await?;
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

/// Types `message` into the chat's composer and presses Enter, as a person would.
pub async fn say(page: &Page, message: &str) -> anyhow::Result<()> {
    let input = page.find_element("[data-testid=chat-input]").await?;
    input.click().await?;
    input.type_str(message).await?;
    input.press_key("Enter").await?;
    Ok(())
}

/// Keeps the page's Content-Security-Policy violations in `window.__cspViolations`.
pub const CSP_WATCH: &str =
    "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));";

/// Evaluates `expression` in the page as if a person had just clicked (a user gesture: what
/// starts an `AudioContext`), and decodes its value.
pub async fn eval_as_gesture<T: DeserializeOwned>(page: &Page, expression: &str) -> anyhow::Result<T> {
    use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
    let params = EvaluateParams::builder()
        .expression(expression)
        .user_gesture(true)
        .await_promise(true)
        .return_by_value(true)
        .build()
        .map_err(|e| anyhow::anyhow!("evaluate parameters: {e}"))?;
    let result = page.evaluate_expression(params).await.with_context(|| format!("evaluating {expression}"))?;
    result.into_value().with_context(|| format!("decoding the value of {expression}"))
}

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
