//! End to end: the built viewer, the local stack and real Chromium with the real IVS Player SDK.
//! Each test asserts what a person would see.

use std::time::Duration;

use ivs_e2e::{eval, ivs_client, open_playing, text, wait_for, Chromium, Stack, PLAYING};

const CURRENT_TIME: &str = "document.querySelector('[data-testid=video]').currentTime";

#[tokio::test(flavor = "multi_thread")]
async fn the_live_stream_plays_and_its_clock_advances() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&stack.site).await?;
    let took = wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    println!("playing after {took:?}");
    assert_eq!(text(&page, "status").await?.as_deref(), Some("Playing"));

    let start: f64 = eval(&page, CURRENT_TIME).await?;
    let advanced = wait_for(&page, &format!("{CURRENT_TIME} >= {start} + 3"), Duration::from_secs(5)).await?;
    let end: f64 = eval(&page, CURRENT_TIME).await?;
    println!("currentTime {start:.2} -> {end:.2} in {advanced:?}");
    assert!(end - start >= 3.0);
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_from_the_aws_sdk_shows_a_poll_over_the_video() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    assert_eq!(text(&page, "poll-question").await?, None, "no poll before the cue");

    let question = "Which feature should we build next?";
    let payload = serde_json::json!({
        "type": "poll", "question": question, "options": ["Dark mode", "Mobile app", "API v2"], "duration": 30
    });
    let ivs = ivs_client(&stack).await;
    ivs.put_metadata().channel_arn("arn:aws:ivs:us-east-1:000000000000:channel/local").metadata(payload.to_string()).send().await?;
    let took = wait_for(
        &page,
        &format!("document.querySelector('[data-testid=poll-question]')?.textContent === {}", serde_json::json!(question)),
        Duration::from_secs(3),
    )
    .await?;
    println!("poll shown {took:?} after PutMetadata returned");
    let options: Vec<String> = eval(&page, "[...document.querySelectorAll('.poll-option .poll-label')].map(e => e.textContent)").await?;
    assert_eq!(options, ["Dark mode", "Mobile app", "API v2"]);
    let countdown = text(&page, "poll-countdown").await?.unwrap_or_default();
    assert!(countdown.ends_with("left"), "countdown shows time left: {countdown:?}");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offline_channel_shows_the_slate_and_resumes_without_a_reload() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    // A marker that a reload would wipe.
    eval::<bool>(&page, "(window.__sameDocument = true)").await?;

    stack.set_live(false)?;
    let took = wait_for(&page, "document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(20)).await?;
    println!("offline slate after {took:?}");
    let slate = text(&page, "slate").await?.unwrap_or_default();
    assert!(slate.contains("offline"), "slate says the stream is offline: {slate:?}");

    stack.set_live(true)?;
    let took = wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    println!("playing again {took:?} after the stream came back");
    let start: f64 = eval(&page, CURRENT_TIME).await?;
    wait_for(&page, &format!("{CURRENT_TIME} >= {start} + 1"), Duration::from_secs(5)).await?;
    assert_eq!(text(&page, "slate").await?, None, "the slate is gone");
    assert!(eval::<bool>(&page, "window.__sameDocument === true").await?, "the page was not reloaded");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn address_overrides_are_applied_by_the_app_itself() -> anyhow::Result<()> {
    // With an override in the address the start-up script leaves loading to the app, which
    // checks the override: this plays the configured stream muted.
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?muted=1&playbackUrl={}", stack.site, stack.playback_url())).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    assert!(eval::<bool>(&page, "document.querySelector('[data-testid=video]').muted").await?, "muted by the address");
    let start: f64 = eval(&page, CURRENT_TIME).await?;
    wait_for(&page, &format!("{CURRENT_TIME} >= {start} + 1"), Duration::from_secs(5)).await?;
    let stand_ins: usize = eval(&page, "document.querySelectorAll('#ivs-boot').length").await?;
    assert_eq!(stand_ins, 0, "the start-up stand-in is gone");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_that_arrives_before_the_stream_waits_and_then_plays() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&stack.site).await?;
    wait_for(&page, "document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(10)).await?;
    // Let a few retries pass, then go live.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(text(&page, "status").await?.as_deref(), Some("Offline"));
    stack.set_live(true)?;
    let took = wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    println!("playing {took:?} after the stream went live");
    let start: f64 = eval(&page, CURRENT_TIME).await?;
    wait_for(&page, &format!("{CURRENT_TIME} >= {start} + 1"), Duration::from_secs(5)).await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_speaks_the_bundled_sdks_event_and_state_names() -> anyhow::Result<()> {
    use ivs_proto::playback::{sdk_event, PlayerState};
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    for (key, name) in sdk_event::ALL {
        let sdk: String = eval(&page, &format!("IVSPlayer.PlayerEventType.{key}")).await?;
        assert_eq!(sdk, name, "PlayerEventType.{key}");
    }
    let states: Vec<String> = eval(&page, "Object.values(IVSPlayer.PlayerState)").await?;
    let ours: Vec<&str> = PlayerState::ALL.iter().map(|(_, name)| *name).collect();
    assert_eq!(states, ours, "PlayerState values");
    chromium.close().await;
    Ok(())
}

/// Why the start-up script started the app (`boot:start-app`), and whether the app and its wasm
/// came after that moment.
const APP_START: &str = "(() => {
    const mark = performance.getEntriesByName('boot:start-app')[0];
    const app = performance.getEntriesByName('app:start')[0];
    const wasm = performance.getEntriesByType('resource').find(e => /ivs-viewer-[^/]*\\.wasm$/.test(e.name));
    return JSON.stringify([mark?.detail, !!(mark && app && wasm && app.startTime >= mark.startTime && wasm.startTime >= mark.startTime)]);
})()";

#[tokio::test(flavor = "multi_thread")]
async fn the_app_waits_for_the_first_frame_but_not_for_a_stream_that_cannot_play() -> anyhow::Result<()> {
    // Live: nothing of the app is fetched or run before the player's first frame. A first visit
    // comes first, as a returning viewer's would: on a cold machine the very first page of a
    // fresh browser compiles the SDK's worker and fetches everything while the stream's encoder
    // starts beside it, and the start-up script's 800 ms cap (which the measured visit must not
    // reach) then decides alone.
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let first = open_playing(&chromium, &stack).await?;
    first.close().await?;
    let page = open_playing(&chromium, &stack).await?;
    assert_eq!(eval::<String>(&page, APP_START).await?, r#"["first-frame",true]"#);
    drop(stack);

    // Offline: the player's error starts the app at once, to show the slate.
    let stack = Stack::builder().offline().start()?;
    let page = chromium.open(&stack.site).await?;
    wait_for(&page, "document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(20)).await?;
    assert_eq!(eval::<String>(&page, APP_START).await?, r#"["stopped",true]"#);
    chromium.close().await;
    Ok(())
}
