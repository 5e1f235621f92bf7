//! End to end: `<ivs-viewer>`, the npm package (`pkg/`, built by scripts/package.sh), as a site
//! uses it — served from a CDN origin, imported by a plain page on another origin under a strict
//! Content-Security-Policy (no `'unsafe-inline'`), two elements on the page, each playing the
//! local IVS's channel with its own state; the element's events, methods and styling hooks; and
//! importing the package in Node (as server-side rendering does) defines nothing and throws nothing.

use std::time::Duration;

use anyhow::Context as _;
use chromiumoxide::Page;
use ivs_e2e::{eval, root, serve_dir, wait_for, Chromium, Stack, TempDir};

/// Collects the elements' events from the first script on (`window.__events`: [id, type, detail]).
const EVENTS: &str = "window.__events = []; for (const type of ['statechange', 'cue', 'vote', 'error']) \
    document.addEventListener(type, e => window.__events.push([e.target.id, type, e.detail]), true);";

fn package() -> std::path::PathBuf {
    let pkg = root().join("pkg");
    assert!(pkg.join("ivs-viewer.js").exists(), "pkg/: build the package first (bash scripts/package.sh)");
    pkg
}

async fn state(page: &Page, id: &str) -> anyhow::Result<String> {
    eval(page, &format!("document.getElementById('{id}').state")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_another_origin_plays_two_elements_from_a_cdn_under_a_strict_policy() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let cdn = serve_dir(&package(), true).await?;
    let shop = TempDir::new("shop")?;
    let playback = stack.playback_url();
    let policy = format!(
        "default-src 'self'; script-src 'self' {cdn} 'wasm-unsafe-eval'; style-src 'self'; worker-src blob:; media-src blob:; \
         connect-src 'self' {cdn} {} https://prod.ivs-device-config.live-video.net; img-src 'self' data:; object-src 'none'; base-uri 'none'",
        stack.playback
    );
    std::fs::write(
        shop.0.join("index.html"),
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>A shop</title>
<link rel="stylesheet" href="shop.css">
<script type="module" src="{cdn}/ivs-viewer.js"></script>
</head><body>
<h1>Today's show</h1>
<ivs-viewer id="a" playback-url="{playback}" muted></ivs-viewer>
<ivs-viewer id="b" playback-url="{playback}" muted controls="false"></ivs-viewer>
</body></html>"#
        ),
    )?;
    std::fs::write(
        shop.0.join("shop.css"),
        "ivs-viewer { display: block; width: 480px; }\n#a { --ivs-accent: rgb(4, 5, 6); }\nivs-viewer::part(viewer) { outline: 3px solid rgb(1, 2, 3); }\n",
    )?;
    let site = serve_dir(&shop.0, false).await?;

    let chromium = Chromium::launch().await?;
    let page = chromium.open("about:blank").await?;
    page.evaluate_on_new_document(EVENTS).await?;
    page.goto(format!("{site}/index.html")).await?;
    for id in ["a", "b"] {
        wait_for(&page, &format!("document.getElementById('{id}').state === 'Playing'"), Duration::from_secs(30)).await?;
    }
    let heard: Vec<(String, String, serde_json::Value)> = eval(&page, "window.__events").await?;
    for id in ["a", "b"] {
        assert!(
            heard.iter().any(|(who, kind, detail)| who == id && kind == "statechange" && detail["state"] == "Playing"),
            "{id} told its page it plays: {heard:?}"
        );
    }
    // Each plays the player it started before its WebAssembly arrived, adopted: one video, and
    // the stand-in it waited in is gone.
    let adopted: bool = eval(
        &page,
        "['a', 'b'].every(id => { const r = document.getElementById(id).shadowRoot; return r.querySelectorAll('video').length === 1 && !r.getElementById('ivs-boot'); })",
    )
    .await?;
    assert!(adopted, "one player per element, adopted by the viewer");
    // The SDK is loaded once for the page, beside the package, however many elements there are.
    let sdk_scripts: usize = eval(&page, "document.querySelectorAll('script[src*=\"amazon-ivs-player\"]').length").await?;
    assert_eq!(sdk_scripts, 1);

    // Each element keeps its own state: pausing one leaves the other playing.
    eval::<bool>(&page, "(document.getElementById('a').pause(), true)").await?;
    wait_for(&page, "document.getElementById('a').state !== 'Playing'", Duration::from_secs(10)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state(&page, "b").await?, "Playing");
    eval::<bool>(&page, "(document.getElementById('a').play(), true)").await?;
    wait_for(&page, "document.getElementById('a').state === 'Playing'", Duration::from_secs(10)).await?;

    // Properties and methods.
    let qualities: Vec<String> = eval(&page, "document.getElementById('a').qualities").await?;
    assert!(!qualities.is_empty(), "renditions are named");
    eval::<bool>(&page, "(document.getElementById('a').volume = 0.25, true)").await?;
    let volume: f64 = eval(&page, "document.getElementById('a').volume").await?;
    assert!((volume - 0.25).abs() < 0.01, "{volume}");
    let muted: bool = eval(&page, "document.getElementById('a').muted").await?;
    assert!(muted, "started muted as its attribute says");

    // Timed metadata reaches every element as a `cue` event.
    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"Doors open"}"#)?, 204);
    wait_for(
        &page,
        "['a', 'b'].every(id => window.__events.some(([who, type, d]) => who === id && type === 'cue' && d.text.includes('Doors open')))",
        Duration::from_secs(15),
    )
    .await?;

    // A poll's card draws its bars under the strict policy too (widths set through the CSSOM,
    // never a style attribute), in both elements.
    let poll = r#"{"type":"poll","id":"p-strict","question":"Which?","options":["One","Two"],"duration":60}"#;
    assert_eq!(stack.put_metadata(poll)?, 204);
    wait_for(&page, "['a', 'b'].every(id => !!document.getElementById(id).shadowRoot.querySelector('[part=poll] .poll-timer-bar'))", Duration::from_secs(15))
        .await?;
    let width: String = eval(&page, "document.getElementById('a').shadowRoot.querySelector('.poll-timer-bar').style.width").await?;
    assert!(width.ends_with('%'), "{width}");

    // theme="light" restyles by the attribute alone.
    eval::<bool>(&page, "(document.getElementById('b').setAttribute('theme', 'light'), true)").await?;
    let background: String =
        eval(&page, "getComputedStyle(document.getElementById('b').shadowRoot.querySelector('.app')).getPropertyValue('--ivs-bg').trim()").await?;
    assert_eq!(background, "#ffffff");

    // Styling hooks: the page's custom property and ::part reach into the shadow root; the
    // `controls="false"` element has no control bar to see.
    let accent: String =
        eval(&page, "getComputedStyle(document.getElementById('a').shadowRoot.querySelector('.app')).getPropertyValue('--ivs-accent').trim()").await?;
    assert_eq!(accent, "rgb(4, 5, 6)");
    let outline: String = eval(&page, "getComputedStyle(document.getElementById('b').shadowRoot.querySelector('[part=viewer]')).outlineColor").await?;
    assert_eq!(outline, "rgb(1, 2, 3)");
    wait_for(&page, "!!document.getElementById('a').shadowRoot.querySelector('.controls')", Duration::from_secs(10)).await?;
    let hidden: bool = eval(
        &page,
        "(() => { const bar = document.getElementById('b').shadowRoot.querySelector('.controls'); return !bar || getComputedStyle(bar).display === 'none'; })()",
    )
    .await?;
    assert!(hidden, "controls=false shows no control bar");
    // The page's own text is not the element's: nothing leaked out of the shadow root.
    let text: String = eval(&page, "document.body.innerText.trim()").await?;
    assert_eq!(text, "Today's show");

    // Taken out of the page, an element stops; put back, it plays again.
    eval::<bool>(&page, "(window.__a = document.getElementById('a'), window.__a.remove(), true)").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emptied: usize = eval(&page, "window.__a.shadowRoot.childElementCount").await?;
    assert_eq!(emptied, 0, "a removed element leaves nothing running");
    eval::<bool>(&page, "(document.body.append(window.__a), true)").await?;
    wait_for(&page, "window.__a.state === 'Playing'", Duration::from_secs(30)).await?;
    // The strict policy was never broken (checked as the browser closes).
    chromium.close().await;
    Ok(())
}

/// A bad element says why in its place and in an `error` event, and leaves the page working.
/// The element speaks its page's language (`<html lang>`) or its own `lang`, mirrored for
/// Arabic within its shadow root, and leaves the host page's own language and direction alone.
#[tokio::test(flavor = "multi_thread")]
async fn the_element_speaks_the_page_language_or_its_own() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let cdn = serve_dir(&package(), true).await?;
    let shop = TempDir::new("shop")?;
    let playback = stack.playback_url();
    for (name, html_lang, attribute) in [("ja.html", "ja", ""), ("ar.html", "en", r#" lang="ar""#)] {
        std::fs::write(
            shop.0.join(name),
            format!(
                r#"<!doctype html><html lang="{html_lang}"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title>
<script type="module" src="{cdn}/ivs-viewer.js"></script>
<ivs-viewer id="v" playback-url="{playback}" muted{attribute}></ivs-viewer>"#
            ),
        )?;
    }
    let site = serve_dir(&shop.0, false).await?;
    let chromium = Chromium::launch().await?;
    let inside = |selector: &str| format!("document.getElementById('v').shadowRoot.querySelector('{selector}')");
    for (name, locale, dir, playing) in [("ja.html", "ja", "ltr", "再生中"), ("ar.html", "ar", "rtl", "قيد التشغيل")] {
        let page = chromium.open(&format!("{site}/{name}")).await?;
        wait_for(&page, "document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
        wait_for(&page, &format!("{}?.textContent.trim() === {playing:?}", inside("[data-testid=status]")), Duration::from_secs(10)).await?;
        let (lang, own_dir, page_dir): (String, String, String) =
            eval(&page, &format!("[{0}.lang, {0}.dir, document.documentElement.dir]", inside(".ivs-root"))).await?;
        assert_eq!((lang.as_str(), own_dir.as_str()), (locale, dir), "{name}");
        assert_eq!(page_dir, "", "{name}: the host page's direction is its own");
    }
    // On a phone, in Arabic: kept for a person to look at.
    let phone = chromium.open_as_device(&format!("{site}/ar.html"), 360, 740, true).await?;
    wait_for(&phone, "document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
    wait_for(&phone, &format!("{} !== null", inside("[data-testid=ctl-play]")), Duration::from_secs(10)).await?;
    let artifacts = ivs_e2e::root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    std::fs::write(artifacts.join("element-360x740-ar.png"), phone.screenshot(chromiumoxide::page::ScreenshotParams::builder().build()).await?)?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_element_without_a_playback_url_says_so() -> anyhow::Result<()> {
    let cdn = serve_dir(&package(), true).await?;
    let shop = TempDir::new("shop")?;
    std::fs::write(
        shop.0.join("index.html"),
        format!(
            r#"<!doctype html><meta charset="utf-8"><script type="module" src="{cdn}/ivs-viewer.js"></script><ivs-viewer id="x"></ivs-viewer><p id="after">still here</p>"#
        ),
    )?;
    let site = serve_dir(&shop.0, false).await?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open("about:blank").await?;
    page.evaluate_on_new_document(EVENTS).await?;
    page.goto(format!("{site}/index.html")).await?;
    wait_for(&page, "window.__events.some(([who, type]) => who === 'x' && type === 'error')", Duration::from_secs(10)).await?;
    let said: String = eval(&page, "document.getElementById('x').shadowRoot.querySelector('[part=error]').textContent").await?;
    assert!(said.contains("playback-url"), "{said}");
    let after: String = eval(&page, "document.getElementById('after').textContent").await?;
    assert_eq!(after, "still here");
    chromium.close().await;
    Ok(())
}

/// The element starts its player before the viewer's WebAssembly arrives; when that file cannot
/// be had, the element says so and ends the player it started (its worker and its downloads),
/// rather than leaving it running behind the message.
#[tokio::test(flavor = "multi_thread")]
async fn an_element_whose_viewer_cannot_load_says_so_and_ends_its_player() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let broken = TempDir::new("cdn-without-wasm")?;
    ivs_e2e::copy_dir(&package(), &broken.0)?;
    for file in ["ivs_viewer_element_bg.wasm", "ivs_viewer_element_bg.wasm.gz", "ivs_viewer_element_bg.wasm.br"] {
        let _ = std::fs::remove_file(broken.0.join(file));
    }
    let cdn = serve_dir(&broken.0, true).await?;
    let shop = TempDir::new("shop")?;
    std::fs::write(
        shop.0.join("index.html"),
        format!(
            r#"<!doctype html><meta charset="utf-8"><script type="module" src="{cdn}/ivs-viewer.js"></script><ivs-viewer id="x" playback-url="{}" muted></ivs-viewer>"#,
            stack.playback_url()
        ),
    )?;
    let site = serve_dir(&shop.0, false).await?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open("about:blank").await?;
    page.evaluate_on_new_document(EVENTS).await?;
    // Notes each player the SDK creates, and whether it was deleted (the SDK's exports are
    // read-only: seen through a proxy).
    page.evaluate_on_new_document(
        "window.__players = []; let sdk; Object.defineProperty(window, 'IVSPlayer', { configurable: true, get: () => sdk, set(value) { \
           const create = (...args) => { const player = value.create(...args); const noted = { deleted: false }; \
             const remove = player.delete.bind(player); player.delete = () => { noted.deleted = true; remove(); }; \
             window.__players.push(noted); return player; }; \
           sdk = new Proxy(value, { get: (target, key) => (key === 'create' ? create : Reflect.get(target, key)) }); } });",
    )
    .await?;
    page.goto(format!("{site}/index.html")).await?;
    wait_for(&page, "window.__events.some(([who, type]) => who === 'x' && type === 'error')", Duration::from_secs(20)).await?;
    let players: usize = eval(&page, "window.__players.length").await?;
    let events: String = eval(&page, "JSON.stringify(window.__events)").await?;
    assert_eq!(players, 1, "the element started its player before the viewer's file was asked for: {events}");
    wait_for(&page, "window.__players[0].deleted", Duration::from_secs(5)).await.context("the player the element started is ended")?;
    let said: String = eval(&page, "document.getElementById('x').shadowRoot.querySelector('[part=error]').textContent").await?;
    assert!(said.starts_with("The player could not start"), "{said}");
    chromium.close().await;
    Ok(())
}

/// Importing the package where there is no DOM (Node; server-side rendering) defines nothing and
/// throws nothing.
#[test]
fn importing_the_package_in_node_does_nothing_and_throws_nothing() {
    let entry = package().join("ivs-viewer.js");
    let script = format!(
        "import({:?}).then(m => {{ if (m.default !== null || m.IvsViewer !== null) throw new Error('defined without a DOM'); console.log('nothing defined'); }})",
        format!("file://{}", entry.display())
    );
    let output = std::process::Command::new("node").args(["--input-type=module", "-e", &script]).output().expect("node");
    let said = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && said.contains("nothing defined"), "{said}");
}

/// `npm pack` makes the tarball a site installs, with the element, its types, its stylesheet,
/// its WebAssembly and the SDK beside it, and a package.json whose entry points exist.
#[test]
fn npm_pack_gives_an_installable_tarball() {
    let pkg = package();
    let output = std::process::Command::new("npm").args(["pack", "--dry-run", "--json"]).current_dir(&pkg).output().expect("npm");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let packed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("npm's JSON");
    let files: Vec<&str> = packed[0]["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    for needed in [
        "package.json",
        "README.md",
        "ivs-viewer.js",
        "ivs-viewer.d.ts",
        "ivs-viewer.css",
        "ivs_viewer_element.js",
        "ivs_viewer_element_bg.wasm",
        "ivs/amazon-ivs-player.min.js",
        "ivs/amazon-ivs-wasmworker.min.wasm",
    ] {
        assert!(files.contains(&needed), "{needed} is not in the tarball: {files:?}");
    }
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(pkg.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "ivs-viewer");
    for entry in [&manifest["exports"]["."]["default"], &manifest["exports"]["."]["types"], &manifest["types"]] {
        assert!(pkg.join(entry.as_str().unwrap()).exists(), "{entry} is named but missing");
    }
}

/// Types `text` where the focus is (inside a shadow root too) and presses Enter, as a person does.
async fn type_and_enter(page: &Page, text: &str) -> anyhow::Result<()> {
    use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams};
    page.execute(InsertTextParams::new(text)).await?;
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let key = DispatchKeyEventParams::builder()
            .r#type(kind)
            .key("Enter")
            .code("Enter")
            .windows_virtual_key_code(13)
            .text("\r")
            .build()
            .map_err(anyhow::Error::msg)?;
        page.execute(key).await?;
    }
    Ok(())
}

/// Three sites on one machine over TLS: the site server at `https://live.test` (an instance of
/// `stack`'s, listing the shop in its `embed_origins`), a shop's page at `https://shop.test` and a
/// stranger's copy of it at `https://evil.test`, each page holding `<ivs-viewer site=…>` with the
/// package beside it.
struct Sites {
    site: String,
    shop: String,
    stranger: String,
    instance: ivs_e2e::SiteInstance,
    ca: ivs_e2e::tls::TestCa,
    _caddy: ivs_e2e::proxy::Caddy,
}

impl Sites {
    fn start(stack: &Stack) -> anyhow::Result<Self> {
        use ivs_e2e::proxy::Caddy;
        use ivs_e2e::tls::TestCa;
        let ca = TestCa::new()?;
        let (live, shop_port, evil) = (ivs_e2e::free_port(), ivs_e2e::free_port(), ivs_e2e::free_port());
        let (site, shop, stranger) = (format!("https://live.test:{live}"), format!("https://shop.test:{shop_port}"), format!("https://evil.test:{evil}"));
        let work = stack.config.parent().expect("the configuration's folder").join("shop-sites");
        std::fs::create_dir_all(&work)?;
        let instance_port = ivs_e2e::free_port();
        let instance = stack.start_site_instance(instance_port, |text| {
            let data = text.lines().find(|l| l.starts_with("data_dir = ")).unwrap_or_default().to_owned();
            text.replace(&format!("public_origin = \"http://127.0.0.1:{instance_port}\""), &format!("public_origin = \"{site}\""))
                .replace("embed_origins = []", &format!("embed_origins = [\"{shop}\"]"))
                .replace(&data, &format!("data_dir = {:?}", work.join("site-data").display().to_string()))
                .replace("[identity]\n", "[identity]\ntrust_proxy = true\n")
        })?;
        let pages = work.join("pages");
        std::fs::create_dir_all(&pages)?;
        std::os::unix::fs::symlink(package(), pages.join("pkg"))?;
        std::fs::write(
            pages.join("index.html"),
            format!(
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Shop</title>\n<script type=\"module\" src=\"/pkg/ivs-viewer.js\"></script>\n\
                 <ivs-viewer id=\"v\" site=\"{site}\" muted></ivs-viewer>"
            ),
        )?;
        let tls = format!("tls {} {}", ca.cert.display(), ca.key.display());
        let caddyfile = work.join("Caddyfile");
        std::fs::write(
            &caddyfile,
            format!(
                "{{\n\tadmin off\n\tauto_https disable_redirects\n}}\n\
                 {site} {{\n\t{tls}\n\treverse_proxy 127.0.0.1:{instance_port}\n}}\n\
                 {shop}, {stranger} {{\n\t{tls}\n\troot * {}\n\tfile_server\n}}\n",
                pages.display()
            ),
        )?;
        let caddy = Caddy::start(&caddyfile, &[], &[live, shop_port, evil])?;
        Ok(Self { site, shop, stranger, instance, ca, _caddy: caddy })
    }
}

/// `<ivs-viewer site="https://live.test">` on a shop's page at `https://shop.test` (another site,
/// listed in the site server's `embed_origins`): the site's configuration, identity (a
/// partitioned cookie), chat and polls work there — the visitor votes and chats. The same element
/// on a page the site does not list (`https://evil.test`) gets nothing from it and says so, and
/// that page cannot vote in the visitor's name.
#[tokio::test(flavor = "multi_thread")]
async fn a_shop_on_another_site_votes_and_chats_through_the_site_server_and_a_stranger_cannot() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let Sites { site, shop, stranger, instance, ca, _caddy } = Sites::start(&stack)?;
    let chromium = Chromium::launch_with_test_sites(&ca.spki_sha256).await?;
    let page = chromium.open("about:blank").await?;
    page.evaluate_on_new_document(EVENTS).await?;
    page.goto(format!("{shop}/index.html")).await?;
    let inside = |query: &str| format!("document.getElementById('v').shadowRoot.querySelector('{query}')");
    wait_for(&page, "document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
    wait_for(&page, &format!("{}?.dataset.state === 'connected'", inside("[data-testid=chat-state]")), Duration::from_secs(20)).await?;

    // The identity the site gave is the shop's partition of it: no other site's page shares it.
    use chromiumoxide::cdp::browser_protocol::network::GetCookiesParams;
    let cookies = page.execute(GetCookiesParams::builder().urls(vec![format!("{site}/")]).build()).await?;
    let identity = cookies.result.cookies.iter().find(|c| c.name == "ivs_viewer").expect("an identity from the site");
    assert!(identity.secure && identity.partition_key.is_some(), "{identity:?}");

    // A poll the producer publishes: the visitor votes in the shop's page and sees it counted.
    let auth = format!("Bearer {}", stack.operator_key);
    let poll = r#"{"type":"poll","question":"Which colour?","options":["Red","Green","Blue"],"duration":120}"#;
    let (status, _, answer) = ivs_e2e::http_with("POST", &format!("{}/api/overlays", instance.url), &[("Authorization", &auth)], poll)?;
    assert_eq!(status, 200, "{answer}");
    let poll_id = serde_json::from_str::<serde_json::Value>(&answer)?["id"].as_str().unwrap_or_default().to_owned();
    let choices = "document.getElementById('v').shadowRoot.querySelectorAll('[data-testid=poll-choice]')";
    wait_for(&page, &format!("{choices}.length === 3"), Duration::from_secs(15)).await?;
    eval::<bool>(&page, &format!("({choices}[1].click(), true)")).await?;
    wait_for(&page, &format!("{}?.textContent === '1 vote'", inside("[data-testid=poll-total]")), Duration::from_secs(10)).await?;
    let voted: Vec<(String, String, serde_json::Value)> = eval(&page, "window.__events.filter(([, type]) => type === 'vote')").await?;
    assert_eq!(voted.len(), 1, "{voted:?}");
    assert_eq!(voted[0].2, serde_json::json!({ "poll": poll_id, "option": 1 }), "the page hears the counted vote");

    // And chats, as themselves.
    eval::<bool>(&page, &format!("({}.focus(), true)", inside("[data-testid=chat-input]"))).await?;
    type_and_enter(&page, "hello from the shop").await?;
    wait_for(
        &page,
        "[...document.getElementById('v').shadowRoot.querySelectorAll('[data-testid=chat-message] .chat-text')].some(e => e.textContent === 'hello from the shop')",
        Duration::from_secs(10),
    )
    .await?;

    // A page the site does not list: the element says it may not use the site, and the page
    // cannot vote with the visitor's identity.
    let other = chromium.open(&format!("{stranger}/index.html")).await?;
    wait_for(&other, "!!document.getElementById('v').shadowRoot?.querySelector('[part=error]')", Duration::from_secs(15)).await?;
    let said: String = eval(&other, "document.getElementById('v').shadowRoot.querySelector('[part=error]').textContent").await?;
    assert!(said.contains("does not let this page use it"), "{said}");
    let vote = format!(
        "fetch('{site}/api/polls/{poll_id}/vote', {{ method: 'POST', credentials: 'include', headers: {{ 'Content-Type': 'application/json' }}, body: '{{\"option\":0}}' }})\
         .then(r => 'answered ' + r.status, e => 'blocked')"
    );
    let outcome: String = eval(&other, &vote).await?;
    assert_eq!(outcome, "blocked", "the browser does not let another site's page call the site");
    let (_, state) = ivs_e2e::http("GET", &format!("{}/api/state", instance.url), "")?;
    let state: serde_json::Value = serde_json::from_str(&state)?;
    assert_eq!(state["poll"]["counts"], serde_json::json!([0, 1, 0]), "only the visitor's vote counted: {state}");
    chromium.close().await;
    Ok(())
}

/// A React 19 app (bundled from e2e/fixtures/react-app.jsx by esbuild, as a bundler user builds)
/// renders the element with props, hears its `statechange` in a React state, calls its method,
/// and brings its own copy of the IVS Player SDK, so the element loads none.
#[tokio::test(flavor = "multi_thread")]
async fn a_react_app_renders_the_element_with_its_own_sdk() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let app = TempDir::new("react-app")?;
    let built = std::process::Command::new(root().join("node_modules/.bin/esbuild"))
        .arg(root().join("e2e/fixtures/react-app.jsx"))
        .args(["--bundle", "--format=esm", "--jsx=automatic", "--minify", "--log-level=warning"])
        .arg(format!("--alias:ivs-viewer={}", package().join("ivs-viewer.js").display()))
        .arg(format!("--outfile={}", app.0.join("app.js").display()))
        .current_dir(root())
        .output()?;
    assert!(built.status.success(), "esbuild: {}", String::from_utf8_lossy(&built.stderr));
    // What a bundler copies for `new URL(…, import.meta.url)`: the element's files and the SDK's.
    for file in ["ivs_viewer_element_bg.wasm", "ivs-viewer.css"] {
        std::fs::copy(package().join(file), app.0.join(file))?;
    }
    std::fs::create_dir_all(app.0.join("assets"))?;
    for file in ["amazon-ivs-wasmworker.min.js", "amazon-ivs-wasmworker.min.wasm"] {
        std::fs::copy(root().join("node_modules/amazon-ivs-player/dist/assets").join(file), app.0.join("assets").join(file))?;
    }
    std::fs::write(
        app.0.join("index.html"),
        format!(
            r#"<!doctype html><meta charset="utf-8"><title>React shop</title><body data-playback-url="{}"><div id="root"></div><script type="module" src="app.js"></script></body>"#,
            stack.playback_url()
        ),
    )?;
    let site = serve_dir(&app.0, false).await?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{site}/index.html")).await?;
    wait_for(&page, "document.getElementById('state')?.textContent === 'Playing'", Duration::from_secs(30)).await?;
    let own_sdk: usize = eval(&page, "document.querySelectorAll('script[src*=\"amazon-ivs-player\"]').length").await?;
    assert_eq!(own_sdk, 0, "the app's own SDK is used: no second copy is loaded");
    page.find_element("#pause").await?.click().await?;
    wait_for(&page, "!['Playing', 'waiting'].includes(document.getElementById('state').textContent)", Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}

/// A private channel through `<ivs-viewer site>` on the shop's page: the site binds the playback
/// token to the shop's origin (the one the player's requests carry, which IVS checks), so it plays
/// there.
#[tokio::test(flavor = "multi_thread")]
async fn a_private_channel_plays_in_the_element_on_an_embed_origin() -> anyhow::Result<()> {
    let stack = Stack::builder().local_args(&["--private"]).start()?;
    let sites = Sites::start(&stack)?;
    let chromium = Chromium::launch_with_test_sites(&sites.ca.spki_sha256).await?;
    let page = chromium.open(&format!("{}/index.html", sites.shop)).await?;
    wait_for(&page, "document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
    let asked: usize =
        eval(&page, &format!("performance.getEntriesByType('resource').filter(e => e.name === '{}/api/playback-token').length", sites.site)).await?;
    assert!(asked >= 1, "the token came from the site, across origins");
    chromium.close().await;
    Ok(())
}

/// The shop's journey in Gecko: `<ivs-viewer site="https://live.test">` on `https://shop.test`
/// plays, connects its chat with the identity the site gives (Firefox partitions it by the
/// shop), shows the producer's poll, counts the visitor's vote and carries their message.
#[tokio::test(flavor = "multi_thread")]
async fn firefox_votes_and_chats_through_the_element_on_another_site() -> anyhow::Result<()> {
    use ivs_e2e::{firefox_available, Driven};
    if !firefox_available() {
        assert!(std::env::var_os("CI").is_none(), "Firefox ESR or geckodriver is missing: scripts/setup.sh installs them");
        return Ok(());
    }
    let stack = Stack::start()?;
    let Sites { shop, instance, _caddy, .. } = Sites::start(&stack)?;
    let ff = Driven::firefox_for_test_sites().await?;
    ff.goto(&format!("{shop}/index.html"))?;
    let inside = |query: &str| format!("document.getElementById('v').shadowRoot?.querySelector('{query}')");
    ff.wait_for("document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
    ff.wait_for(&format!("{}?.dataset.state === 'connected'", inside("[data-testid=chat-state]")), Duration::from_secs(20)).await?;

    let auth = format!("Bearer {}", stack.operator_key);
    let poll = r#"{"type":"poll","question":"Which colour?","options":["Red","Green","Blue"],"duration":120}"#;
    let (status, _, answer) = ivs_e2e::http_with("POST", &format!("{}/api/overlays", instance.url), &[("Authorization", &auth)], poll)?;
    assert_eq!(status, 200, "{answer}");
    let choices = "document.getElementById('v').shadowRoot.querySelectorAll('[data-testid=poll-choice]')";
    ff.wait_for(&format!("{choices}.length === 3"), Duration::from_secs(15)).await?;
    ff.eval::<bool>(&format!("({choices}[2].click(), true)"))?;
    ff.wait_for(&format!("{}?.textContent === '1 vote'", inside("[data-testid=poll-total]")), Duration::from_secs(10)).await?;

    // Typed into the composer inside the shadow root, then sent.
    let typed = format!(
        "(() => {{ const i = {}; i.value = 'hello from Firefox'; return i.dispatchEvent(new Event('input', {{ bubbles: true }})); }})()",
        inside("[data-testid=chat-input]")
    );
    ff.eval::<bool>(&typed)?;
    ff.wait_for(&format!("{}?.disabled === false", inside("[data-testid=chat-send]")), Duration::from_secs(5)).await?;
    ff.eval::<bool>(&format!("({}.click(), true)", inside("[data-testid=chat-send]")))?;
    ff.wait_for(
        "[...document.getElementById('v').shadowRoot.querySelectorAll('[data-testid=chat-message] .chat-text')].some(e => e.textContent === 'hello from Firefox')",
        Duration::from_secs(10),
    )
    .await?;
    let (_, state) = ivs_e2e::http("GET", &format!("{}/api/state", instance.url), "")?;
    let state: serde_json::Value = serde_json::from_str(&state)?;
    assert_eq!(state["poll"]["counts"], serde_json::json!([0, 0, 1]), "the Firefox visitor's vote counted: {state}");
    Ok(())
}
