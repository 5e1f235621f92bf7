//! The core journeys in Firefox ESR, driven over WebDriver (geckodriver): playback with its
//! controls, an overlay from `PutMetadata`, voting, the offline slate and the way back, chat
//! between two windows, the embed API from a host page, and the studio's poll. The rest of the suite runs in
//! Chromium; these prove the viewer and the IVS Player SDK work the same in Gecko.

mod scenarios;

use std::time::Duration;

use ivs_e2e::{firefox_available, root, Chromium, Driven, SiteOptions, Stack, PLAYING, STAGE_READY};
use ivs_proto::url::encode_component;

/// Whether the Firefox tests can run; on CI a missing Firefox is a failure, not a skip.
fn can_run() -> bool {
    if firefox_available() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "Firefox ESR or geckodriver is missing: scripts/setup.sh installs them");
    eprintln!("skipped: Firefox ESR or geckodriver is not installed (scripts/setup.sh installs them)");
    false
}

const CONNECTED: &str = "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'";

fn has_message(text: &str) -> String {
    format!("[...document.querySelectorAll('[data-testid=chat-message] .chat-text')].some(e => e.textContent === {})", serde_json::json!(text))
}

#[tokio::test(flavor = "multi_thread")]
async fn firefox_plays_shows_an_overlay_votes_and_shows_the_slate() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let stack = Stack::start()?;
    let ff = Driven::firefox().await?;
    ff.goto(&stack.site)?;
    ff.wait_for(PLAYING, Duration::from_secs(30)).await?;
    ff.wait_for(STAGE_READY, Duration::from_secs(15)).await?;
    let before: f64 = ff.eval("document.querySelector('video').currentTime")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after: f64 = ff.eval("document.querySelector('video').currentTime")?;
    assert!(after > before + 1.0, "the video plays: {before:.2} → {after:.2}");

    // An overlay sent with PutMetadata, then a poll and a vote counted.
    scenarios::sees_a_notice_and_votes(&ff, &stack, "Firefox", ["Firefox", "Chromium", "Safari"]).await?;
    ff.wait_for("document.querySelector('.poll-option.mine .poll-label')?.textContent === 'Firefox'", Duration::from_secs(5)).await?;

    // Offline: the slate; back online: playing again, no reload.
    stack.set_live(false)?;
    ff.wait_for("document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(20)).await?;
    stack.set_live(true)?;
    ff.wait_for("document.querySelector('[data-testid=slate]') === null", Duration::from_secs(30)).await?;
    ff.wait_for(PLAYING, Duration::from_secs(20)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_firefox_windows_chat() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let stack = Stack::start()?;
    let (ann, bob) = (Driven::firefox().await?, Driven::firefox().await?);
    for ff in [&ann, &bob] {
        ff.goto(&stack.site)?;
        ff.wait_for(CONNECTED, Duration::from_secs(30)).await?;
    }
    // Typed, then Enter pressed, as a person does (WebDriver key actions).
    ann.type_into("[data-testid=chat-input]", "hello from Firefox")?;
    ann.press("\u{E007}")?;
    bob.wait_for(&has_message("hello from Firefox"), Duration::from_secs(10)).await?;
    bob.type_into("[data-testid=chat-input]", "hello back")?;
    bob.press("\u{E007}")?;
    ann.wait_for(&has_message("hello back"), Duration::from_secs(10)).await?;
    // Rendered as text: markup in a message stays words.
    ann.type_into("[data-testid=chat-input]", "<b>bold</b>")?;
    ann.press("\u{E007}")?;
    bob.wait_for(&has_message("<b>bold</b>"), Duration::from_secs(10)).await?;
    assert_eq!(bob.eval::<usize>("document.querySelectorAll('[data-testid=chat-message] b').length")?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_page_in_firefox_commands_the_embed_and_hears_it() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let host = ivs_e2e::serve_dir(&root().join("e2e/fixtures"), false).await?;
    let site = SiteOptions { embed_origins: vec![host.clone()], ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let ff = Driven::firefox().await?;
    ff.goto(&format!("{host}/host.html?frame={}", encode_component(&format!("{}/embed", stack.site))))?;

    let heard = |kind: &str, extra: &str| format!("window.__events.some(e => e.event === '{kind}'{extra})");
    ff.wait_for(&heard("state", " && e.state === 'Playing'"), Duration::from_secs(30)).await?;
    ff.eval::<bool>("(send(frames[0], {command: 'pause'}), true)")?;
    ff.wait_for("(window.__events.filter(e => e.event === 'state').at(-1)?.state ?? 'Playing') !== 'Playing'", Duration::from_secs(5)).await?;
    ff.eval::<bool>("(send(frames[0], {command: 'play'}), true)")?;
    ff.wait_for("window.__events.filter(e => e.event === 'state').at(-1)?.state === 'Playing'", Duration::from_secs(10)).await?;
    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"hello host"}"#)?, 204);
    ff.wait_for(&heard("cue", " && e.text.includes('hello host')"), Duration::from_secs(10)).await?;
    Ok(())
}

/// Every language in Gecko: the live page with a poll and the chat says the locale's words in
/// the locale's direction, with no key shown instead of words and no text overflowing its box.
#[tokio::test(flavor = "multi_thread")]
async fn firefox_speaks_every_language() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    use ivs_e2e::locale::{page_report, word, words};
    let keys: Vec<String> = words("en")?.keys().cloned().collect();
    let stack = Stack::start()?;
    let (status, answer) = stack.publish(r#"{"type":"poll","question":"Which song next?","options":["Ana","Ben"],"duration":600}"#)?;
    anyhow::ensure!(status == 200, "publishing: {answer}");
    let ff = Driven::firefox().await?;
    let mut failures = Vec::new();
    for locale in ivs_proto::words::LOCALES {
        let table = words(locale)?;
        ff.goto(&format!("{}/?lang={locale}", stack.site))?;
        ff.wait_for(PLAYING, Duration::from_secs(30)).await?;
        ff.wait_for(CONNECTED, Duration::from_secs(15)).await?;
        ff.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 2", Duration::from_secs(15)).await?;
        let seen: serde_json::Value = serde_json::from_str(&ff.eval::<String>(&page_report(&keys))?)?;
        for (name, key) in [("badge", "state.playing"), ("chat", "chat.title"), ("kicker", "poll.live")] {
            if seen[name].as_str() != Some(word(&table, key).as_str()) {
                failures.push(format!("{locale}: {name} says {}", seen[name]));
            }
        }
        if seen["lang"] != locale || seen["dir"] != if locale == "ar" { "rtl" } else { "ltr" } {
            failures.push(format!("{locale}: the document is lang={} dir={}", seen["lang"], seen["dir"]));
        }
        for list in ["leaked", "overflowing"] {
            for item in seen[list].as_array().into_iter().flatten() {
                failures.push(format!("{locale}: {list}: {item}"));
            }
        }
    }
    // Arabic at a phone's width and a desktop's, kept for a person to look at.
    let artifacts = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    for (width, height) in [(360, 740), (1280, 800)] {
        ff.set_window_size(width, height)?;
        ff.goto(&format!("{}/?lang=ar", stack.site))?;
        ff.wait_for(PLAYING, Duration::from_secs(30)).await?;
        ff.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 2", Duration::from_secs(15)).await?;
        std::fs::write(artifacts.join(format!("firefox-{width}x{height}-ar.png")), ff.screenshot()?)?;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// A stage in Gecko: the built-in host, then a host publishing a camera from Chromium by WHIP
/// joins as a second tile without a reload, a poll on the stage is voted on, and the host's tile
/// goes when it leaves.
#[tokio::test(flavor = "multi_thread")]
async fn firefox_watches_a_stage() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    // Firefox gathers no loopback candidates: the media socket takes this machine's own address.
    let ip = ivs_e2e::stage::own_address()?;
    let stack = Stack::builder().offline().local_args(&["--stage-host", "--stage-media-ip", &ip]).start()?;
    let ff = Driven::firefox().await?;
    ff.goto(&format!("{}/stage", stack.site))?;
    let tiles = "document.querySelectorAll('[data-testid=stage-tile]').length";
    ff.wait_for(&format!("{tiles} === 1"), Duration::from_secs(30)).await?;
    let moving = "(() => { const v = document.querySelector('[data-testid=stage-tile] video'); return v.videoWidth > 0 && v.currentTime > 0.5; })()";
    ff.wait_for(moving, Duration::from_secs(30)).await?;
    let name: String = ff.eval("document.querySelector('.stage-name').textContent")?;
    assert_eq!(name, "local-host");

    // A host's camera from another browser (the site's PUBLISH pass for a listed host).
    let host = stack.stage_token("host")?;
    let chromium = Chromium::launch().await?;
    let host_page = chromium.open_isolated(&format!("{}/_local/health", stack.api)).await?;
    let status = ivs_e2e::stage::publish_camera(&host_page, &format!("{}/whip", stack.api), host["token"].as_str().unwrap_or_default()).await?;
    assert_eq!(status, 201);
    ff.wait_for(&format!("{tiles} === 2"), Duration::from_secs(30)).await?;
    let second = format!("document.querySelector('[data-participant={}]')", serde_json::json!(host["participantId"]));
    ff.wait_for(
        &format!("(() => {{ const v = {second}?.querySelector('video'); return !!v && v.videoWidth > 0 && v.currentTime > 0.5; }})()"),
        Duration::from_secs(30),
    )
    .await?;

    // A poll on the stage arrives through the room and is voted on.
    ff.wait_for(CONNECTED, Duration::from_secs(15)).await?;
    let (status, answer) = stack.publish_on_stage(r#"{"type":"poll","question":"Encore?","options":["Yes","No"],"duration":120}"#)?;
    assert_eq!(status, 200, "{answer}");
    ff.wait_for("document.querySelectorAll('[data-testid=stage-board] [data-testid=poll-choice]').length === 2", Duration::from_secs(15)).await?;
    ff.click("[data-testid=poll-choice]", 0)?;
    ff.wait_for("document.querySelectorAll('[data-testid=poll-percent]')[0]?.textContent === '100%'", Duration::from_secs(10)).await?;

    // The host leaves: its tile goes, the built-in host's stays.
    ivs_e2e::stage::unpublish(&host_page).await?;
    ff.wait_for(&format!("{tiles} === 1 && {second} === null"), Duration::from_secs(30)).await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn firefox_replays_a_past_broadcast_and_plays_a_clip_of_it() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let stack = Stack::builder().recording().start()?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    stack.set_live(false)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let id = loop {
        let (_, body) = ivs_e2e::http("GET", &format!("{}/api/recordings", stack.site), "")?;
        let page: serde_json::Value = serde_json::from_str(&body)?;
        if page["recordings"][0]["state"] == "ready" {
            break page["recordings"][0]["id"].as_str().unwrap_or_default().to_owned();
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the recording never ended: {page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let ff = Driven::firefox().await?;
    // The list, then the replay from its link, from a moment.
    ff.goto(&format!("{}/past", stack.site))?;
    ff.wait_for("document.querySelectorAll('[data-testid=past-item][data-state=ready] a').length === 1", Duration::from_secs(20)).await?;
    ff.goto(&format!("{}/?recording={id}&t=3", stack.site))?;
    ff.wait_for(PLAYING, Duration::from_secs(30)).await?;
    ff.wait_for("document.querySelector('video').currentTime >= 2.5 && document.querySelector('[data-testid=ctl-seek]') !== null", Duration::from_secs(15))
        .await?;
    // A clip of the replay, made from its control bar, plays from its link.
    ff.eval::<bool>("document.querySelector('[data-testid=ctl-clip]').click(), true")?;
    ff.wait_for("document.querySelector('[data-testid=clip-15]') !== null", Duration::from_secs(5)).await?;
    ff.eval::<bool>("document.querySelector('[data-testid=clip-15]').click(), true")?;
    ff.wait_for("document.querySelector('[data-testid=clip-link]') !== null", Duration::from_secs(15)).await?;
    let link: String = ff.eval("document.querySelector('[data-testid=clip-link]').href")?;
    ff.goto(&link)?;
    ff.wait_for(PLAYING, Duration::from_secs(30)).await?;
    ff.wait_for("document.querySelector('[data-testid=replay-bar]')?.textContent.includes('A clip')", Duration::from_secs(10)).await?;
    Ok(())
}

/// `<ivs-viewer>` from the npm package (pkg/), served from a CDN origin into a page on another
/// origin: it plays in Gecko, tells the page through `statechange`, and pauses and plays on command.
#[tokio::test(flavor = "multi_thread")]
async fn firefox_plays_the_ivs_viewer_element_from_a_cdn() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let stack = Stack::start()?;
    let cdn = ivs_e2e::serve_dir(&root().join("pkg"), true).await?;
    let shop = ivs_e2e::TempDir::new("shop")?;
    std::fs::write(
        shop.0.join("index.html"),
        format!(
            r#"<!doctype html><meta charset="utf-8"><title>Shop</title>
<script type="module" src="{cdn}/ivs-viewer.js"></script>
<ivs-viewer id="v" playback-url="{}" muted></ivs-viewer>"#,
            stack.playback_url()
        ),
    )?;
    let site = ivs_e2e::serve_dir(&shop.0, false).await?;
    let ff = Driven::firefox().await?;
    ff.goto(&format!("{site}/index.html"))?;
    ff.wait_for("document.getElementById('v').state === 'Playing'", Duration::from_secs(30)).await?;
    let seen: bool = ff.eval("!!document.getElementById('v').shadowRoot.querySelector('video')")?;
    assert!(seen, "the video is in the element's shadow root");
    ff.eval::<bool>("(document.getElementById('v').pause(), true)")?;
    ff.wait_for("document.getElementById('v').state !== 'Playing'", Duration::from_secs(10)).await?;
    ff.eval::<bool>("(document.getElementById('v').play(), true)")?;
    ff.wait_for("document.getElementById('v').state === 'Playing'", Duration::from_secs(10)).await?;
    Ok(())
}

/// The studio's main path in Gecko: the producer, signed in with a one-time link, publishes a
/// poll from the form; a viewer in another Firefox votes; the bars move; the poll is closed early;
/// the chat desk holds back a listed word and deletes a message.
#[tokio::test(flavor = "multi_thread")]
async fn firefox_runs_a_poll_from_the_studio() -> anyhow::Result<()> {
    if !can_run() {
        return Ok(());
    }
    let stack = Stack::builder().site(ivs_e2e::SiteOptions { reviewing: true, ..Default::default() }).start()?;
    let (producer, viewer) = (Driven::firefox().await?, Driven::firefox().await?);
    producer.goto(&stack.sign_in_url("producer"))?;
    producer.goto(&format!("{}/studio", stack.site))?;
    producer.wait_for("document.querySelector('[data-testid=studio-state]')?.dataset.state === 'live'", Duration::from_secs(30)).await?;
    producer.type_into("[data-testid=studio-question]", "Which browser?")?;
    producer.type_into("[data-testid=studio-choice-0]", "Firefox")?;
    producer.type_into("[data-testid=studio-choice-1]", "Chromium")?;
    producer.click("[data-testid=studio-publish]", 0)?;
    producer.wait_for("(document.querySelector('[data-testid=studio-outcome]')?.textContent ?? '') === 'Poll published.'", Duration::from_secs(10)).await?;

    viewer.goto(&stack.site)?;
    viewer.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 2", Duration::from_secs(30)).await?;
    viewer.click("[data-testid=poll-choice]", 0)?;
    let bars = "JSON.stringify([...document.querySelectorAll('[data-testid=studio-bar]')].map(b => b.dataset.count))";
    producer.wait_for(&format!("{bars} === '[\"1\",\"0\"]'"), Duration::from_secs(10)).await?;

    producer.click("[data-testid=studio-close-poll]", 0)?;
    producer.wait_for("document.querySelector('[data-testid=studio-poll]')?.dataset.closed === 'true'", Duration::from_secs(10)).await?;
    viewer.wait_for("(document.querySelector('[data-testid=poll-countdown]')?.textContent ?? '').includes('Closed')", Duration::from_secs(15)).await?;

    // The chat desk in Gecko: a listed word held back from the room and listed; a message deleted
    // from the desk with its reason.
    let desk_chat = "[data-testid=studio-chat] [data-testid=chat]";
    producer
        .wait_for(&format!("document.querySelector('{desk_chat} [data-testid=chat-state]')?.dataset.state === 'connected'"), Duration::from_secs(20))
        .await?;
    producer.type_into("[data-testid=chat-words]", "spoiler")?;
    producer.click("[data-testid=chat-rules-save]", 0)?;
    producer.wait_for("(document.querySelector('[data-testid=chat-rules-said]')?.textContent ?? '').includes('1 entry')", Duration::from_secs(10)).await?;
    viewer.wait_for("document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(20)).await?;
    viewer.type_into("[data-testid=chat-input]", "a spoiler")?;
    viewer.click("[data-testid=chat-send]", 0)?;
    viewer.wait_for("(document.querySelector('[data-testid=chat-feedback]')?.textContent ?? '').includes('moderation')", Duration::from_secs(10)).await?;
    producer.wait_for("(document.querySelector('[data-testid=chat-held]')?.textContent ?? '').includes('a spoiler')", Duration::from_secs(10)).await?;
    viewer.eval::<bool>("(() => { const i = document.querySelector('[data-testid=chat-input]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()")?;
    viewer.type_into("[data-testid=chat-input]", "hello from Firefox")?;
    viewer.click("[data-testid=chat-send]", 0)?;
    producer.wait_for(&format!("document.querySelector('{desk_chat} [data-testid=chat-delete]')"), Duration::from_secs(10)).await?;
    producer.type_into("[data-testid=chat-reason]", "Off-topic")?;
    producer.click(&format!("{desk_chat} [data-testid=chat-delete]"), 0)?;
    viewer.wait_for("document.querySelector('[data-testid=chat-deleted]')", Duration::from_secs(10)).await?;
    // Kept for a person to look at: the studio as Gecko draws it, on screen and at its chat desk.
    let artifacts = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    producer.set_window_size(1280, 800)?;
    producer.eval::<bool>("(scrollTo(0, 0), true)")?;
    std::fs::write(artifacts.join("firefox-studio-1280x800.png"), producer.screenshot()?)?;
    producer.eval::<bool>("(document.querySelector('[data-testid=studio-chat]').scrollIntoView(), true)")?;
    std::fs::write(artifacts.join("firefox-studio-chat-1280x800.png"), producer.screenshot()?)?;

    // The Firefox viewer leaves: its page's last report (sendBeacon on pagehide) reaches the
    // studio's analytics — it watched, saw the poll and voted.
    viewer.goto("about:blank")?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let total = stack.live_analytics()?;
        let seen = (total["viewers"].as_i64(), total["pollsSeen"].as_i64(), total["pollsVoted"].as_i64(), total["votes"].as_i64());
        if seen == (Some(1), Some(1), Some(1), Some(1)) && total["watchMs"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the Firefox viewer's report is not in the studio's figures: {total}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
