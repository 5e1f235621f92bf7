//! End to end: a finished broadcast replays as a recording, with a seek bar, and its timed
//! metadata comes back at the positions where it was sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ivs_e2e::{eval, http, wait_for, Chromium, Stack, PLAYING};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_plays_with_a_seek_bar_and_replays_its_cues_in_place() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let sent_at = now_ms();
    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"replayed in place","duration":3}"#)?, 204);
    tokio::time::sleep(Duration::from_secs(4)).await;
    stack.set_live(false)?;

    let (_, list) = http("GET", &format!("{}/_local/recordings", stack.api), "")?;
    let list: serde_json::Value = serde_json::from_str(&list)?;
    let recording = &list["recordings"][0];
    let url = recording["playbackUrl"].as_str().expect("a recording").to_owned();
    let expected = (sent_at - recording["startTimeMs"].as_i64().unwrap_or(0)) as f64 / 1000.0;
    assert!(recording["durationSecs"].as_f64().unwrap_or(0.0) > 6.0, "{recording}");

    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?playbackUrl={}", stack.site, url)).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-seek]') !== null", Duration::from_secs(5)).await?;
    assert_eq!(eval::<usize>(&page, "document.querySelectorAll('[data-testid=ctl-live]').length").await?, 0, "no LIVE readout");

    // The cue comes back where it was sent: the notice shows when playback reaches that point.
    wait_for(&page, "document.querySelector('[data-testid=notice]')?.textContent.includes('replayed in place')", Duration::from_secs(15)).await?;
    let at: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    assert!((at - expected).abs() < 1.5, "cue shown at {at:.2} s; it was sent {expected:.2} s into the stream");

    // The seek bar seeks: back to the start, then to the cue again.
    eval::<bool>(&page, "(() => { const s = document.querySelector('[data-testid=ctl-seek]'); s.value = 0.5; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()").await?;
    wait_for(&page, "document.querySelector('video').currentTime < 2", Duration::from_secs(5)).await?;
    let time = eval::<String>(&page, "document.querySelector('[data-testid=ctl-time]').textContent").await?;
    assert!(time.contains(" / "), "{time}");
    chromium.close().await;
    Ok(())
}

/// The site's recordings, as its API lists them.
fn listed(stack: &Stack) -> anyhow::Result<serde_json::Value> {
    let (status, body) = http("GET", &format!("{}/api/recordings", stack.site), "")?;
    anyhow::ensure!(status == 200, "GET /api/recordings: {status} {body}");
    Ok(serde_json::from_str(&body)?)
}

/// Waits until the newest recording is in `state`; answers it.
async fn newest_in(stack: &Stack, state: &str) -> anyhow::Result<serde_json::Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = listed(stack)?;
        if page["recordings"][0]["state"] == state {
            return Ok(page["recordings"][0].clone());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the newest recording never became {state}: {page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcast_is_listed_once_it_ends_and_replays_from_a_link_to_a_moment() -> anyhow::Result<()> {
    let mut stack = Stack::builder().recording().start()?;
    // While it records it is listed as live, with nothing to replay yet.
    let recording = newest_in(&stack, "recording").await?;
    assert!(recording["playbackUrl"].is_null(), "replayable before Recording End: {recording}");
    // A poll during the broadcast, voted in.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let poll = stack.publish_poll(r#"{"type":"poll","question":"Replay me?","options":["No","Yes"],"duration":4}"#)?;
    let cookie = ivs_e2e::new_identity(&stack.site)?;
    let (status, _, body) =
        ivs_e2e::http_with("POST", &format!("{}/api/polls/{poll}/vote", stack.site), &[("Cookie", &cookie), ("Origin", &stack.site)], r#"{"option":1}"#)?;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_secs(8)).await;
    stack.set_live(false)?;
    let recording = newest_in(&stack, "ready").await?;
    let id = recording["id"].as_str().expect("an id").to_owned();
    assert!(recording["durationSecs"].as_f64().unwrap_or(0.0) > 5.0, "{recording}");

    let chromium = Chromium::launch().await?;
    let past = chromium.open(&format!("{}/past", stack.site)).await?;
    wait_for(&past, "document.querySelectorAll('[data-testid=past-item][data-state=ready] a').length === 1", Duration::from_secs(15)).await?;
    // Its name, as a screen reader says it: the title it shows, and how long it lasts.
    let label: String = eval(&past, "document.querySelector('[data-testid=past-item] a .past-title').textContent + document.querySelector('[data-testid=past-item] a .sr-only').textContent").await?;
    assert!(label.starts_with("Broadcast of ") && label.contains("second"), "{label}");
    // Its picture is the recording's own thumbnail, allowed by the page's policy.
    wait_for(&past, "document.querySelector('[data-testid=past-item] img')?.naturalWidth > 0", Duration::from_secs(10)).await?;
    let violations: Vec<String> = eval(&past, "window.__cspViolations").await?;
    assert!(violations.is_empty(), "{violations:?}");
    // No live player on that page.
    assert_eq!(eval::<usize>(&past, "document.querySelectorAll('video').length").await?, 0);

    // Following the link replays it with a seek bar, and says what it is.
    eval::<bool>(&past, "document.querySelector('[data-testid=past-item] a').click(), true").await?;
    wait_for(&past, "location.search.startsWith('?recording=')", Duration::from_secs(5)).await?;
    wait_for(&past, PLAYING, Duration::from_secs(20)).await?;
    wait_for(
        &past,
        "document.querySelector('[data-testid=ctl-seek]') !== null && document.querySelector('[data-testid=replay-bar]') !== null",
        Duration::from_secs(10),
    )
    .await?;
    // The poll comes back where it was, as its result: closed, the vote counted, nothing to vote.
    wait_for(&past, "document.querySelector('[data-testid=poll]')?.textContent.includes('Replay me?')", Duration::from_secs(15)).await?;
    wait_for(&past, "document.querySelector('[data-testid=poll]').textContent.includes('Poll closed')", Duration::from_secs(5)).await?;
    wait_for(&past, "document.querySelectorAll('[data-testid=poll-percent]')[1]?.textContent === '100%'", Duration::from_secs(5)).await?;
    assert_eq!(eval::<usize>(&past, "document.querySelectorAll('[data-testid=poll-choice]').length").await?, 0, "a past poll is not voted in");

    // A link to a moment starts there.
    let moment = chromium.open(&format!("{}/?recording={id}&t=5", stack.site)).await?;
    wait_for(&moment, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&moment, "document.querySelector('video').currentTime >= 4.5", Duration::from_secs(10)).await?;
    // A chosen range: the start marked here, the clip cut a few seconds on, from the mark to there.
    let whole = recording["durationSecs"].as_f64().unwrap_or(0.0);
    eval::<bool>(&moment, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    wait_for(&moment, "document.querySelector('[data-testid=clip-mark]') !== null", Duration::from_secs(5)).await?;
    eval::<bool>(&moment, "document.querySelector('[data-testid=clip-mark]').click(), true").await?;
    wait_for(&moment, "document.querySelector('video').currentTime >= 8.5", Duration::from_secs(10)).await?;
    eval::<bool>(&moment, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    // It names the marked moment (about 0:05).
    wait_for(&moment, "/0:0[4-6]/.test(document.querySelector('[data-testid=clip-from-mark]')?.textContent ?? '')", Duration::from_secs(5)).await?;
    eval::<bool>(&moment, "document.querySelector('[data-testid=clip-from-mark]').click(), true").await?;
    wait_for(&moment, "document.querySelector('[data-testid=clip-link]') !== null", Duration::from_secs(15)).await?;
    let link: String = eval(&moment, "document.querySelector('[data-testid=clip-link]').href").await?;
    let clip_id = link.rsplit('=').next().unwrap_or_default();
    let (status, made) = http("GET", &format!("{}/api/clips/{clip_id}", stack.site), "")?;
    assert_eq!(status, 200, "{made}");
    let length = serde_json::from_str::<serde_json::Value>(&made)?["durationSecs"].as_f64().unwrap_or(0.0);
    let (_, cut) = http("GET", &format!("{}/api/clips/{clip_id}/0.m3u8", stack.site), "")?;
    assert!((2.0..=8.0).contains(&length) && length < whole, "the clip from the mark lasts {length} s of {whole}: {made} {cut}");
    // Embedded too.
    let embedded = chromium.open(&format!("{}/embed?recording={id}&t=5&muted=1", stack.site)).await?;
    wait_for(&embedded, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&embedded, "document.querySelector('video').currentTime >= 4.5", Duration::from_secs(10)).await?;
    // A link to no recording says so in words.
    let missing = chromium.open(&format!("{}/?recording=NoSuchOne", stack.site)).await?;
    wait_for(&missing, "document.querySelector('[data-testid=config-error]')?.textContent.includes('no such past broadcast')", Duration::from_secs(10)).await?;

    // On a phone the list fits the screen.
    let phone = chromium.open_as_device(&format!("{}/past", stack.site), 360, 740, true).await?;
    wait_for(&phone, "document.querySelectorAll('[data-testid=past-item]').length === 1", Duration::from_secs(15)).await?;
    let overflow: bool = eval(&phone, "document.documentElement.scrollWidth > innerWidth").await?;
    assert!(!overflow, "the past broadcasts overflow a 360px screen");
    chromium.close().await;

    // The library outlives a restart of the site server.
    stack.restart_site()?;
    assert_eq!(listed(&stack)?["recordings"][0]["id"], id.as_str());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_clips_the_live_broadcast_and_the_link_plays_the_clip() -> anyhow::Result<()> {
    let site = ivs_e2e::SiteOptions { extra: "[limits]\nclips_per_hour = 2\n".into(), ..Default::default() };
    let stack = Stack::builder().recording().site(site).start()?;
    newest_in(&stack, "recording").await?;
    tokio::time::sleep(Duration::from_secs(6)).await;

    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?muted=1", stack.site)).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-clip]') !== null", Duration::from_secs(10)).await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    // The viewer picks how long — a minute (the recording so far is shorter: all of it) — or marks a start.
    wait_for(&page, "document.querySelectorAll('[data-testid=clip-lengths] button').length === 4", Duration::from_secs(5)).await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=clip-60]').click(), true").await?;
    wait_for(&page, "document.querySelector('[data-testid=clip-link]') !== null", Duration::from_secs(15)).await?;
    let link: String = eval(&page, "document.querySelector('[data-testid=clip-link]').href").await?;
    assert!(link.starts_with(&format!("{}/?clip=", stack.site)), "{link}");

    // A chosen range while live: mark the start, watch on, cut the seconds since the mark.
    eval::<bool>(&page, "document.querySelector('[data-testid=clip-made] .clip-close').click(), true").await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    wait_for(&page, "document.querySelector('[data-testid=clip-mark]') !== null", Duration::from_secs(5)).await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=clip-mark]').click(), true").await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    let since = "parseInt(document.querySelector('[data-testid=clip-from-mark]')?.textContent.match(/\\d+/)?.[0] ?? '0')";
    wait_for(&page, &format!("{since} >= 2"), Duration::from_secs(10)).await?;
    let said: String = eval(&page, "document.querySelector('[data-testid=clip-from-mark]').textContent").await?;
    assert!(said.starts_with("Since the mark: "), "{said}");
    // The label counts on as the broadcast plays.
    wait_for(&page, &format!("{since} >= 5"), Duration::from_secs(10)).await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=clip-from-mark]').click(), true").await?;
    wait_for(&page, "document.querySelector('[data-testid=clip-link]') !== null", Duration::from_secs(15)).await?;
    let ranged: String = eval(&page, "document.querySelector('[data-testid=clip-link]').href").await?;
    assert_ne!(ranged, link, "a second clip has a link of its own");
    let ranged_id = ranged.rsplit('=').next().unwrap_or_default().to_owned();
    let (_, rendition) = http("GET", &format!("{}/api/clips/{ranged_id}/0.m3u8", stack.site), "")?;
    let length: f64 = rendition.lines().filter_map(|l| l.strip_prefix("#EXTINF:")).filter_map(|d| d.trim_end_matches(',').parse::<f64>().ok()).sum();
    // About the 5–6 s watched since the mark, to whole segments (at most 3 s each) either side.
    assert!((3.0..=12.0).contains(&length), "the clip since the mark lasts {length} s:\n{rendition}");

    // Rewinding while live: the broadcast so far, on one seek bar, then back to live.
    eval::<bool>(&page, "document.querySelector('[data-testid=clip-made] .clip-close').click(), true").await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=ctl-rewind]').click(), true").await?;
    wait_for(
        &page,
        "document.querySelector('[data-testid=ctl-seek]') !== null && document.querySelector('[data-testid=ctl-rewind-live]') !== null",
        Duration::from_secs(15),
    )
    .await?;
    wait_for(&page, "(() => { const v = document.querySelector('video'); return isFinite(v.duration) && v.duration > 5 && v.currentTime < v.duration - 3 && !v.paused; })()", Duration::from_secs(15)).await?;
    eval::<bool>(&page, "document.querySelector('[data-testid=ctl-rewind-live]').click(), true").await?;
    wait_for(
        &page,
        "document.querySelector('[data-testid=ctl-live]') !== null && document.querySelector('[data-testid=ctl-seek]') === null",
        Duration::from_secs(15),
    )
    .await?;
    wait_for(&page, PLAYING, Duration::from_secs(15)).await?;

    // The link plays the clip: a short recording of its own, with a seek bar, no live readout.
    let clip = chromium.open(&link).await?;
    wait_for(&clip, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&clip, "document.querySelector('[data-testid=ctl-seek]') !== null", Duration::from_secs(10)).await?;
    let said: String = eval(&clip, "document.querySelector('[data-testid=replay-bar]').textContent").await?;
    assert!(said.contains("A clip"), "{said}");
    let duration: f64 = eval(&clip, "document.querySelector('video').duration").await?;
    assert!(duration > 3.0 && duration <= 34.0, "the clip lasts {duration} s");
    assert_eq!(eval::<usize>(&clip, "document.querySelectorAll('[data-testid=ctl-clip]').length").await?, 0, "a clip is not clipped again");

    // Its playlists name the recording's own segments: nothing transcoded, nothing copied.
    let id = link.rsplit('=').next().unwrap_or_default().to_owned();
    let (status, master) = http("GET", &format!("{}/api/clips/{id}/master.m3u8", stack.site), "")?;
    assert_eq!(status, 200);
    let (_, rendition) = http("GET", &format!("{}/api/clips/{id}/0.m3u8", stack.site), "")?;
    assert!(master.contains("/api/clips/") && rendition.contains("#EXT-X-ENDLIST") && rendition.contains("/s3/site-recordings/"), "{rendition}");

    // On a phone the choices, the mark's among them, fit the screen.
    let phone = chromium.open_as_device(&format!("{}/?muted=1", stack.site), 360, 740, true).await?;
    wait_for(&phone, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&phone, "document.querySelector('[data-testid=ctl-clip]') !== null", Duration::from_secs(10)).await?;
    eval::<bool>(&phone, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    eval::<bool>(&phone, "document.querySelector('[data-testid=clip-mark]').click(), true").await?;
    eval::<bool>(&phone, "document.querySelector('[data-testid=ctl-clip]').click(), true").await?;
    wait_for(&phone, "document.querySelector('[data-testid=clip-from-mark]') !== null", Duration::from_secs(5)).await?;
    let fits: bool = eval(
        &phone,
        "[...document.querySelectorAll('[data-testid=clip-lengths] button')].every(b => { const r = b.getBoundingClientRect(); \
         return r.left >= 0 && r.right <= innerWidth && r.width > 0; }) && document.documentElement.scrollWidth <= innerWidth",
    )
    .await?;
    let artifacts = ivs_e2e::root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    std::fs::write(artifacts.join("clip-live-360x740.png"), phone.screenshot(chromiumoxide::page::ScreenshotParams::builder().build()).await?)?;
    assert!(fits, "the clip choices overflow a 360px screen");

    // A viewer makes a few clips an hour, then is told to wait.
    let cookie = ivs_e2e::new_identity(&stack.site)?;
    let make = || ivs_e2e::http_with("POST", &format!("{}/api/clips", stack.site), &[("Cookie", &cookie), ("Origin", &stack.site)], "{}");
    assert_eq!(make()?.0, 200);
    assert_eq!(make()?.0, 200);
    let (status, head, _) = make()?;
    assert_eq!(status, 429);
    assert!(head.to_ascii_lowercase().contains("retry-after"), "{head}");
    // Another site's page cannot make one.
    let (status, _, _) = ivs_e2e::http_with("POST", &format!("{}/api/clips", stack.site), &[("Cookie", &cookie), ("Origin", "https://evil.example")], "{}")?;
    assert_eq!(status, 403);
    chromium.close().await;
    Ok(())
}
