//! End to end: the studio (`/studio`), where a producer runs the show — signed in with a
//! one-time link, publishing a poll from the form that viewers see and vote in, the bars moving,
//! the poll closed early; a broadcaster falling behind raising a STARVING alert; the stream key
//! read and replaced (the old key refused by the ingest). Nobody else gets in.

use std::time::{Duration, Instant};

use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use ivs_e2e::{eval, http_with, root, wait_for, Broadcaster, Chromium, Stack, PLAYING};

/// Keeps a screenshot of `page` in `target/e2e-artifacts/` for a person to look at.
async fn keep_screenshot(page: &Page, name: &str) -> anyhow::Result<()> {
    let artifacts = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let png = page.screenshot(ScreenshotParams::builder().full_page(true).build()).await?;
    std::fs::write(artifacts.join(format!("{name}.png")), png)?;
    Ok(())
}

/// The studio, signed in as the site's operator (`producer`, the default operator user id)
/// through a one-time link, at `width`×`height`.
async fn open_studio(chromium: &Chromium, stack: &Stack, width: i64, height: i64, mobile: bool) -> anyhow::Result<Page> {
    let page = chromium.open_as_device(&stack.sign_in_url("producer"), width, height, mobile).await?;
    page.goto(format!("{}/studio", stack.site)).await?;
    wait_for(&page, "document.querySelector('[data-testid=studio-live]')", Duration::from_secs(20)).await?;
    Ok(page)
}

/// Types `text` into the input with this test id, as a person would.
async fn type_into(page: &Page, test_id: &str, text: &str) -> anyhow::Result<()> {
    let input = page.find_element(format!("[data-testid={test_id}]")).await?;
    input.click().await?;
    input.type_str(text).await?;
    Ok(())
}

async fn click(page: &Page, test_id: &str) -> anyhow::Result<()> {
    wait_for(page, &format!("document.querySelector('[data-testid={test_id}]:not([disabled])')"), Duration::from_secs(10)).await?;
    page.find_element(format!("[data-testid={test_id}]")).await?.click().await?;
    Ok(())
}

/// The studio's bar counts, as `data-count`s.
const BARS: &str = "JSON.stringify([...document.querySelectorAll('[data-testid=studio-bar]')].map(b => b.dataset.count))";

#[tokio::test(flavor = "multi_thread")]
async fn a_producer_runs_a_poll_from_the_studio_and_nobody_else_gets_in() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;

    // Anyone else: the page says how to sign in, and every studio API answers 403.
    let stranger = chromium.open_isolated(&format!("{}/studio", stack.site)).await?;
    wait_for(&stranger, "document.querySelector('[data-testid=studio-refused]')", Duration::from_secs(20)).await?;
    let statuses: Vec<u16> = eval(
        &stranger,
        "Promise.all([['GET','/api/studio'],['GET','/api/studio/channel'],['GET','/api/stream-key'],['POST','/api/stream-key/rotate'],\
         ['POST','/api/overlays'],['POST','/api/sign-in-links']].map(([method, path]) =>\
         fetch(path, { method, body: method === 'POST' ? '{\"type\":\"clear\"}' : undefined }).then(r => r.status)))",
    )
    .await?;
    assert_eq!(statuses, [403; 6], "every studio API refuses a viewer");
    let moderator = stack.sign_in_url(ivs_e2e::MODERATOR);
    let (_, head, _) = http_with("GET", &moderator, &[], "")?;
    let cookie = ivs_e2e::set_cookie(&head).expect("a moderator's cookie");
    assert_eq!(http_with("GET", &format!("{}/api/studio", stack.site), &[("Cookie", &cookie)], "")?.0, 403, "nor a moderator");

    // The producer: the live room, a poll from the form.
    let studio = open_studio(&chromium, &stack, 1280, 800, false).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-state]')?.dataset.state === 'live'", Duration::from_secs(20)).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-timeline] [data-kind=stream-start]')", Duration::from_secs(10)).await?;
    // The preview is the viewer itself, playing.
    wait_for(&studio, PLAYING, Duration::from_secs(20)).await?;
    // A form the viewer would refuse is refused in the server's words, and nothing is published.
    type_into(&studio, "studio-question", "Which feature next?").await?;
    type_into(&studio, "studio-choice-0", "Dark mode").await?;
    click(&studio, "studio-publish").await?;
    wait_for(&studio, "(document.querySelector('[data-testid=studio-outcome]')?.textContent ?? '').includes('options')", Duration::from_secs(10)).await?;
    // The preview says why viewers would not take it yet, in the viewer's reader's words…
    wait_for(&studio, "(document.querySelector('[data-testid=studio-card-preview-problem]')?.textContent ?? '').includes('options')", Duration::from_secs(5))
        .await?;
    type_into(&studio, "studio-choice-1", "Mobile app").await?;
    // …and, once it would, draws it with the viewer's own poll card (not votable here).
    let preview = "[data-testid=studio-card-preview]";
    wait_for(
        &studio,
        &format!("document.querySelector('{preview} [data-testid=poll-question]')?.textContent === 'Which feature next?'"),
        Duration::from_secs(5),
    )
    .await?;
    let drawn: (usize, bool) =
        eval(&studio, &format!("[document.querySelectorAll('{preview} [data-testid=poll-option]').length, document.querySelector('{preview}').inert]")).await?;
    assert_eq!(drawn, (2, true), "two options, and a preview nobody can vote in");
    click(&studio, "studio-publish").await?;
    wait_for(&studio, "(document.querySelector('[data-testid=studio-outcome]')?.textContent ?? '') === 'Poll published.'", Duration::from_secs(10)).await?;
    wait_for(&studio, "document.querySelectorAll('[data-testid=studio-bar]').length === 2", Duration::from_secs(5)).await?;

    // A viewer sees it and votes; the studio's bars move.
    let viewer = chromium.open_isolated(&stack.site).await?;
    wait_for(&viewer, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&viewer, "document.querySelectorAll('[data-testid=poll-choice]').length === 2", Duration::from_secs(15)).await?;
    viewer.find_elements("[data-testid=poll-choice]").await?[1].click().await?;
    wait_for(&studio, &format!("{BARS} === '[\"0\",\"1\"]'"), Duration::from_secs(10)).await?;

    // Closed early from the studio: the viewer's card closes, the studio says so.
    click(&studio, "studio-close-poll").await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-poll]')?.dataset.closed === 'true'", Duration::from_secs(10)).await?;
    wait_for(&viewer, "(document.querySelector('[data-testid=poll-countdown]')?.textContent ?? '').includes('Closed')", Duration::from_secs(15)).await?;

    // The channel: the ingest server, and the key only when asked for.
    let ingest: String = eval(&studio, "document.querySelector('[data-testid=studio-ingest]')?.textContent ?? ''").await?;
    assert_eq!(ingest, "rtmps://127.0.0.1:443/app/", "IVS's ingest address for the channel's ingestEndpoint");
    assert!(!eval::<bool>(&studio, "Boolean(document.querySelector('[data-testid=studio-stream-key]'))").await?, "hidden until asked for");
    click(&studio, "studio-reveal-key").await?;
    wait_for(&studio, "(document.querySelector('[data-testid=studio-stream-key]')?.textContent ?? '').startsWith('sk_')", Duration::from_secs(10)).await?;
    keep_screenshot(&studio, "studio-1280x800").await?;

    // On a phone: the desk fits the screen, its buttons big enough for a finger.
    let phone = open_studio(&chromium, &stack, 360, 740, true).await?;
    wait_for(&phone, "document.querySelector('[data-testid=studio-publish]')", Duration::from_secs(10)).await?;
    let layout: serde_json::Value = eval(
        &phone,
        "(() => { const buttons = [...document.querySelectorAll('.studio-button')].map(b => b.getBoundingClientRect());\
           return { scroll: document.documentElement.scrollWidth, smallest: Math.min(...buttons.map(r => r.height)),\
                    outside: buttons.filter(r => r.left < 0 || r.right > 360).length }; })()",
    )
    .await?;
    assert_eq!(layout["scroll"], 360, "nothing wider than the phone: {layout}");
    assert!(layout["smallest"].as_f64().unwrap_or(0.0) >= 44.0, "{layout}");
    assert_eq!(layout["outside"], 0, "{layout}");
    keep_screenshot(&phone, "studio-360x740").await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_starving_broadcast_raises_an_alert_and_a_rotated_key_is_refused() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let chromium = Chromium::launch().await?;
    let studio = open_studio(&chromium, &stack, 1280, 800, false).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-state]')?.dataset.state === 'offline'", Duration::from_secs(10)).await?;
    click(&studio, "studio-reveal-key").await?;
    wait_for(&studio, "(document.querySelector('[data-testid=studio-stream-key]')?.textContent ?? '').startsWith('sk_')", Duration::from_secs(10)).await?;
    let old_key: String = eval(&studio, "document.querySelector('[data-testid=studio-stream-key]').textContent").await?;

    // An encoder at half real time: IVS says STARVING, and the studio shows it within seconds
    // of the site server knowing.
    let slow = Broadcaster::start_at(&format!("{}{old_key}", stack.ingest), 320, 240, 120, 0.5)?;
    let auth = format!("Bearer {}", stack.operator_key);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (_, _, body) = http_with("GET", &format!("{}/api/studio", stack.site), &[("Authorization", &auth)], "")?;
        if body.contains("\"kind\":\"starving\"") {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the site server never heard of the starvation: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shown =
        wait_for(&studio, "(document.querySelector('[data-testid=studio-alert]')?.textContent ?? '').includes('STARVING')", Duration::from_secs(5)).await?;
    eprintln!("the STARVING alert was on screen {shown:?} after the site server had it");
    wait_for(&studio, "document.querySelector('[data-testid=studio-state]')?.dataset.state === 'starving'", Duration::from_secs(5)).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-timeline] [data-kind=starvation-start]')", Duration::from_secs(5)).await?;
    keep_screenshot(&studio, "studio-starving").await?;

    // Rotate the key (asked twice: it cuts the encoder off): the old one is refused, the new streams.
    click(&studio, "studio-rotate").await?;
    click(&studio, "studio-rotate-confirm").await?;
    let shows_new = format!("(document.querySelector('[data-testid=studio-stream-key]')?.textContent ?? '{old_key}') !== '{old_key}'");
    wait_for(&studio, &shows_new, Duration::from_secs(10)).await?;
    let new_key: String = eval(&studio, "document.querySelector('[data-testid=studio-stream-key]').textContent").await?;
    drop(slow);
    let (ok, said) = Broadcaster::start(&format!("{}{old_key}", stack.ingest), 320, 240, 3)?.finish(Duration::from_secs(15))?;
    assert!(!ok && said.contains("stream key refused"), "{said}");
    let _good = Broadcaster::start(&format!("{}{new_key}", stack.ingest), 320, 240, 120)?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-state]')?.dataset.state === 'live'", Duration::from_secs(30)).await?;
    wait_for(&studio, "!document.querySelector('[data-testid=studio-alert]')", Duration::from_secs(5)).await?;
    chromium.close().await;
    Ok(())
}

/// The figure a chart of the analytics desk shows, from its words (`data-*` of the words).
async fn figure(page: &Page, test_id: &str) -> anyhow::Result<String> {
    Ok(ivs_e2e::text(page, &format!("{test_id}-words")).await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn three_viewers_report_and_the_one_whose_network_fails_shows_in_the_rebuffering_chart() -> anyhow::Result<()> {
    // Pages report every ten seconds here (a minute by default), and as they are hidden.
    let site = ivs_e2e::SiteOptions { extra: "[analytics]\nreport_secs = 10\n".into(), ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let chromium = Chromium::launch().await?;
    let studio = open_studio(&chromium, &stack, 1280, 800, false).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-analytics]')", Duration::from_secs(10)).await?;

    // Three viewers, each a person of their own; the third on a network of its own, which then
    // slows to 2 KB/s — far below the stream's bitrate — for a while.
    let mut viewers = Vec::new();
    for _ in 0..2 {
        let viewer = chromium.open_isolated(&stack.site).await?;
        wait_for(&viewer, PLAYING, Duration::from_secs(20)).await?;
        viewers.push(viewer);
    }
    let network = ivs_e2e::Throttle::start().await?;
    let slow_browser = Chromium::launch_through(&network.address()).await?;
    let throttled = slow_browser.open(&stack.site).await?;
    wait_for(&throttled, PLAYING, Duration::from_secs(20)).await?;
    network.set_rate(2_000);
    wait_for(&throttled, "document.querySelector('[data-testid=status]')?.dataset.state === 'Buffering'", Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    network.set_rate(0);
    wait_for(&throttled, PLAYING, Duration::from_secs(30)).await?;

    // Within a report and a read: the stall in the rebuffering chart, the three viewers, their
    // first frames, the renditions they played.
    let stalled = "/ [1-9][0-9]* stalls?\\./.test(document.querySelector('[data-testid=analytics-rebuffering-words]')?.textContent ?? '')";
    wait_for(&studio, stalled, Duration::from_secs(40)).await?;
    let rebuffering = figure(&studio, "analytics-rebuffering").await?;
    assert!(!rebuffering.starts_with("Rebuffering: 0%"), "{rebuffering}");
    // Each page names the minutes it watched in with its next report: three, once all have.
    let three = "(document.querySelector('[data-testid=analytics-viewers-words]')?.textContent ?? '').endsWith(', 3 at the most.')";
    wait_for(&studio, three, Duration::from_secs(30)).await?;
    let first_frame = figure(&studio, "analytics-first-frame").await?;
    assert!(first_frame.contains("p50 ") && !first_frame.contains("p50 —"), "{first_frame}");
    let renditions = figure(&studio, "analytics-renditions").await?;
    assert!(renditions.starts_with("Renditions by time played: ") && renditions.contains('%'), "{renditions}");
    keep_screenshot(&studio, "studio-analytics").await?;

    // The minutes as CSV, from the studio's own link (the operator's cookie, this site).
    let csv: String = eval(&studio, "fetch(document.querySelector('[data-testid=analytics-csv]').href).then(r => r.text())").await?;
    let mut rows = csv.lines();
    assert!(rows.next().is_some_and(|header| header.starts_with("minute,viewers,watch_ms,reports,first_frame_p50_ms")), "{csv}");
    assert!(rows.any(|row| row.split(',').nth(6).is_some_and(|stalls| stalls != "0")), "a minute with the stall: {csv}");

    // A viewer who leaves sends what the last seconds held as the page goes (sendBeacon on
    // pagehide): just after its periodic report, with the others gone, the count goes up at once
    // — not ten seconds later.
    let reports = || async { anyhow::Ok(stack.live_analytics()?["reports"].as_i64().unwrap_or(0)) };
    for viewer in viewers.drain(1..) {
        viewer.close().await?;
    }
    slow_browser.close().await;
    let last_sent = "performance.getEntriesByName('analytics:sent')[0]?.startTime ?? 0";
    let sent: f64 = eval(&viewers[0], last_sent).await?;
    wait_for(&viewers[0], &format!("({last_sent}) > {sent}"), Duration::from_secs(15)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = reports().await?;
    viewers[0].goto("about:blank").await?;
    let deadline = Instant::now() + Duration::from_secs(3);
    while reports().await? <= before {
        anyhow::ensure!(Instant::now() < deadline, "the leaving page's report never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_of_show_outlives_a_restart_and_goes_out_at_a_key_and_at_its_time() -> anyhow::Result<()> {
    let mut stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let studio = open_studio(&chromium, &stack, 1280, 800, false).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-state]')?.dataset.state === 'live'", Duration::from_secs(20)).await?;

    // From the form: a notice for key 2, into the run of show.
    click(&studio, "studio-kind-notice").await?;
    type_into(&studio, "studio-text", "Starting soon").await?;
    // A person picks from the two lists.
    let choose = |list: &str, value: &str| {
        format!("(() => {{ const s = document.querySelector('[data-testid={list}]'); s.value = '{value}'; return s.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()")
    };
    eval::<bool>(&studio, &choose("studio-when", "key")).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-key]')", Duration::from_secs(5)).await?;
    eval::<bool>(&studio, &choose("studio-key", "2")).await?;
    click(&studio, "studio-publish").await?;
    wait_for(
        &studio,
        "(document.querySelector('[data-testid=studio-show-outcome]')?.textContent ?? '').includes('added to the run of show')",
        Duration::from_secs(10),
    )
    .await?;
    let listed = "[...document.querySelectorAll('[data-testid=studio-show-item]')].map(i => i.textContent).join(' | ')";
    let shown: String = eval(&studio, listed).await?;
    assert!(shown.contains("Notice: Starting soon") && shown.contains("Key 2"), "{shown}");

    // An operator tool adds one timed a few seconds ahead, through the same route.
    let auth = format!("Bearer {}", stack.operator_key);
    let (_, _, body) = http_with("GET", &format!("{}/api/studio/show", stack.site), &[("Authorization", &auth)], "")?;
    let mut show: serde_json::Value = serde_json::from_str(&body)?;
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64 + 12_000;
    show["items"].as_array_mut().expect("a list").push(serde_json::json!({
        "id": "hello", "overlay": {"type": "notice", "text": "Timed hello", "duration": 20}, "trigger": {"kind": "at", "atMs": at}
    }));
    let (status, _, said) =
        http_with("PUT", &format!("{}/api/studio/show", stack.site), &[("Authorization", &auth), ("Content-Type", "application/json")], &show.to_string())?;
    assert_eq!(status, 200, "{said}");

    // The site server restarts (a deploy): the run of show is still there, in the studio too.
    stack.restart_site()?;
    studio.reload().await?;
    wait_for(&studio, "document.querySelectorAll('[data-testid=studio-show-item]').length === 2", Duration::from_secs(20)).await?;

    // A viewer; the producer presses 2: the notice is on the viewer's screen, the item marked sent.
    let viewer = chromium.open_isolated(&stack.site).await?;
    wait_for(&viewer, PLAYING, Duration::from_secs(20)).await?;
    studio.find_element("h1").await?.click().await?;
    studio
        .execute(
            chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventParams::builder()
                .r#type(chromiumoxide::cdp::browser_protocol::input::DispatchKeyEventType::KeyDown)
                .key("2")
                .text("2")
                .build()
                .map_err(anyhow::Error::msg)?,
        )
        .await?;
    wait_for(&viewer, "(document.querySelector('[data-testid=notice]')?.textContent ?? '').includes('Starting soon')", Duration::from_secs(15)).await?;
    wait_for(&studio, "document.querySelector('[data-testid=studio-show-item][data-id=notice-1]')?.dataset.sent === 'true'", Duration::from_secs(10)).await?;
    // The timed one goes out at its time, sent by the server.
    wait_for(&viewer, "(document.querySelector('[data-testid=notice]')?.textContent ?? '').includes('Timed hello')", Duration::from_secs(30)).await?;
    chromium.close().await;
    Ok(())
}

/// The studio's chat panel (inside its chat desk).
const DESK_CHAT: &str = "[data-testid=studio-chat] [data-testid=chat]";

#[tokio::test(flavor = "multi_thread")]
async fn the_chat_desk_holds_back_listed_words_slows_the_room_and_deletes_and_removes_with_a_reason() -> anyhow::Result<()> {
    let site = ivs_e2e::SiteOptions { reviewing: true, ..Default::default() };
    let mut stack = Stack::builder().offline().site(site).start()?;
    let chromium = Chromium::launch().await?;
    let studio = open_studio(&chromium, &stack, 1280, 800, false).await?;
    let connected = |scope: &str| format!("document.querySelector('{scope} [data-testid=chat-state]')?.dataset.state === 'connected'");
    wait_for(&studio, &connected(DESK_CHAT), Duration::from_secs(20)).await?;
    wait_for(&studio, "document.querySelector('[data-testid=chat-held-none]')", Duration::from_secs(10)).await?;
    let viewer = chromium.open_isolated(&stack.site).await?;
    wait_for(&viewer, &connected(""), Duration::from_secs(20)).await?;
    assert!(eval::<bool>(&viewer, "!document.querySelector('[data-testid=chat-slow]')").await?, "no slow mode yet");

    // The rules, from the desk: the viewer already in the room learns of slow mode at once.
    // Lines typed into the box (a newline is no key to type here).
    let words = "(() => { const t = document.querySelector('[data-testid=chat-words]'); t.value = 'Spoiler\\n  free money \\nspoiler'; return t.dispatchEvent(new Event('input', { bubbles: true })); })()";
    assert!(eval::<bool>(&studio, words).await?);
    let slow = "(() => { const s = document.querySelector('[data-testid=chat-slow-mode]'); s.value = '10'; return s.dispatchEvent(new Event('change', { bubbles: true })); })()";
    assert!(eval::<bool>(&studio, slow).await?);
    click(&studio, "chat-rules-save").await?;
    wait_for(&studio, "(document.querySelector('[data-testid=chat-rules-said]')?.textContent ?? '').includes('2 entries')", Duration::from_secs(10)).await?;
    assert_eq!(eval::<String>(&studio, "document.querySelector('[data-testid=chat-words]').value").await?, "Spoiler\nfree money", "kept tidy");
    wait_for(&viewer, "(document.querySelector('[data-testid=chat-slow]')?.textContent ?? '').includes('10')", Duration::from_secs(10)).await?;

    // A listed word: refused before the room sees it, the words handed back, the desk lists it.
    type_into(&viewer, "chat-input", "big SPOILER ahead").await?;
    click(&viewer, "chat-send").await?;
    wait_for(&viewer, "(document.querySelector('[data-testid=chat-feedback]')?.textContent ?? '').includes('moderation')", Duration::from_secs(10)).await?;
    assert_eq!(eval::<String>(&viewer, "document.querySelector('[data-testid=chat-input]').value").await?, "big SPOILER ahead", "nothing typed is lost");
    wait_for(&studio, "(document.querySelector('[data-testid=chat-held]')?.textContent ?? '').includes('big SPOILER ahead')", Duration::from_secs(10)).await?;
    let why: String = eval(&studio, "document.querySelector('[data-testid=chat-held-line]').textContent").await?;
    assert!(why.contains("word list") && why.contains("Spoiler"), "{why}");

    // A fine message goes out; slow mode then holds the viewer's send button for 10 s.
    let clear = "(() => { const i = document.querySelector('[data-testid=chat-input]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()";
    assert!(eval::<bool>(&viewer, clear).await?);
    type_into(&viewer, "chat-input", "hello everyone").await?;
    click(&viewer, "chat-send").await?;
    wait_for(
        &studio,
        &format!("[...document.querySelectorAll('{DESK_CHAT} [data-testid=chat-message]')].some(m => m.textContent.includes('hello everyone'))"),
        Duration::from_secs(10),
    )
    .await?;
    type_into(&viewer, "chat-input", "and again").await?;
    let send: (bool, String) =
        eval(&viewer, "(() => { const b = document.querySelector('[data-testid=chat-send]'); return [b.disabled, b.textContent]; })()").await?;
    assert!(send.0 && send.1.starts_with("Wait"), "slow mode holds the button: {send:?}");
    assert!(!eval::<String>(&studio, &format!("document.querySelector('{DESK_CHAT} [data-testid=chat-log]').textContent")).await?.contains("SPOILER"));

    // Delete with a reason, then remove the viewer with another.
    type_into(&studio, "chat-reason", "Off-topic").await?;
    studio.find_element(format!("{DESK_CHAT} [data-testid=chat-delete]")).await?.click().await?;
    wait_for(&viewer, "document.querySelector('[data-testid=chat-deleted]')", Duration::from_secs(10)).await?;
    let reason = "(() => { const i = document.querySelector('[data-testid=chat-reason]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()";
    assert!(eval::<bool>(&studio, reason).await?);
    type_into(&studio, "chat-reason", "Spam").await?;
    // The removal is offered on the viewer's messages: a new one, after slow mode.
    wait_for(&viewer, "!document.querySelector('[data-testid=chat-send]').disabled", Duration::from_secs(15)).await?;
    click(&viewer, "chat-send").await?;
    let kick = format!("document.querySelector('{DESK_CHAT} [data-testid=chat-message] [data-testid=chat-kick]')");
    wait_for(&studio, &kick, Duration::from_secs(10)).await?;
    eval::<bool>(&studio, &format!("({kick}.click(), true)")).await?;
    wait_for(&viewer, "(document.querySelector('[data-testid=chat-notice]')?.textContent ?? '').includes('Spam')", Duration::from_secs(10)).await?;
    keep_screenshot(&studio, "studio-chat-1280x800").await?;

    // On a phone, with held-back lines in it (a room has no history to show), the desk fits the screen.
    let phone = open_studio(&chromium, &stack, 360, 740, true).await?;
    wait_for(&phone, "document.querySelector('[data-testid=chat-held-line]')", Duration::from_secs(10)).await?;
    let layout: serde_json::Value = eval(
        &phone,
        "(() => { const desk = document.querySelector('[data-testid=studio-chat]').getBoundingClientRect();\
           const controls = [...document.querySelectorAll('[data-testid=studio-chat] :is(input, textarea, select, button)')].map(e => e.getBoundingClientRect());\
           return { scroll: document.documentElement.scrollWidth, right: desk.right, outside: controls.filter(r => r.left < 0 || r.right > 360).length }; })()",
    )
    .await?;
    assert_eq!(layout["scroll"], 360, "nothing wider than the phone: {layout}");
    assert_eq!(layout["outside"], 0, "{layout}");
    phone.find_element("[data-testid=studio-chat]").await?.scroll_into_view().await?;
    keep_screenshot(&phone, "studio-chat-360x740").await?;

    // The rules outlive a restart of the site server, in the desk and for viewers' tokens.
    stack.restart_site()?;
    studio.reload().await?;
    wait_for(&studio, "document.querySelector('[data-testid=chat-words]')?.value === 'Spoiler\\nfree money'", Duration::from_secs(20)).await?;
    assert_eq!(eval::<String>(&studio, "document.querySelector('[data-testid=chat-slow-mode]').value").await?, "10");
    let newcomer = chromium.open_isolated(&stack.site).await?;
    wait_for(&newcomer, "(document.querySelector('[data-testid=chat-slow]')?.textContent ?? '').includes('10')", Duration::from_secs(20)).await?;
    Ok(())
}
