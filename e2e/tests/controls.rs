//! End to end: the control bar and the keyboard shortcuts, as a viewer uses them.

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, http, open_playing, text, wait_for, Chromium, Stack, PLAYING};

async fn press(page: &Page, key: &str) -> anyhow::Result<()> {
    page.find_element("body").await?.press_key(key).await?;
    Ok(())
}

async fn attr(page: &Page, test_id: &str, name: &str) -> anyhow::Result<String> {
    eval(page, &format!("document.querySelector('[data-testid={test_id}]')?.getAttribute('{name}') ?? ''")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyboard_and_the_control_bar_drive_the_player() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    assert_eq!(text(&page, "ctl-live").await?.as_deref(), Some("LIVE"));

    // k pauses and plays.
    press(&page, "k").await?;
    wait_for(&page, &format!("!({PLAYING})"), Duration::from_secs(5)).await?;
    assert_eq!(attr(&page, "ctl-play", "aria-label").await?, "Play (K)");
    press(&page, "k").await?;
    wait_for(&page, PLAYING, Duration::from_secs(10)).await?;
    // The local stream keeps a 2 s window, so the player resumes at the live edge.
    wait_for(&page, "document.querySelector('[data-testid=ctl-live]')?.textContent === 'LIVE'", Duration::from_secs(5)).await?;

    // m mutes and unmutes; the arrows change the volume.
    let muted_before = attr(&page, "ctl-mute", "aria-label").await?;
    press(&page, "m").await?;
    wait_for(&page, &format!("document.querySelector('[data-testid=ctl-mute]').getAttribute('aria-label') !== {muted_before:?}"), Duration::from_secs(3))
        .await?;
    press(&page, "m").await?;
    wait_for(&page, &format!("document.querySelector('[data-testid=ctl-mute]').getAttribute('aria-label') === {muted_before:?}"), Duration::from_secs(3))
        .await?;
    eval::<bool>(&page, "(() => { const v = document.querySelector('[data-testid=ctl-volume]'); v.value = 0.5; v.dispatchEvent(new Event('input', {bubbles: true})); return true; })()").await?;
    press(&page, "ArrowDown").await?;
    wait_for(&page, "Math.abs(document.querySelector('video').volume - 0.4) < 0.01", Duration::from_secs(3)).await?;
    press(&page, "ArrowUp").await?;
    press(&page, "ArrowUp").await?;
    wait_for(&page, "Math.abs(document.querySelector('video').volume - 0.6) < 0.01", Duration::from_secs(3)).await?;

    // i opens the stats, ? the help; Escape closes both and dismisses the product card.
    press(&page, "i").await?;
    wait_for(&page, "document.querySelector('[data-testid=stats]')?.textContent.includes('640 × 360')", Duration::from_secs(5)).await?;
    let stats = text(&page, "stats").await?.unwrap_or_default();
    for figure in ["Resolution", "Bitrate", "Buffer", "Latency", "Dropped frames"] {
        assert!(stats.contains(figure), "{stats}");
    }
    // Figures in the locale's units (Intl): a bitrate per second, a buffer in seconds.
    assert!(stats.contains("b/s") && stats.contains("sec"), "{stats}");
    // The player measures no latency on a stream without IVS's timing: none is claimed.
    assert!(stats.contains("Latency—"), "{stats}");
    press(&page, "?").await?;
    wait_for(&page, "document.querySelector('[data-testid=help]')?.textContent.includes('Play or pause')", Duration::from_secs(3)).await?;
    assert_eq!(stack.put_metadata(r#"{"type":"product","title":"Mug","price":"$1","imageUrl":"https://e.example/m.png","url":"https://e.example/m"}"#)?, 204);
    wait_for(&page, "document.querySelector('[data-testid=product]') !== null", Duration::from_secs(5)).await?;
    press(&page, "Escape").await?;
    wait_for(
        &page,
        "!document.querySelector('[data-testid=help]') && !document.querySelector('[data-testid=stats]') && !document.querySelector('[data-testid=product]')",
        Duration::from_secs(3),
    )
    .await?;

    // c toggles captions.
    let captions = attr(&page, "ctl-captions", "aria-pressed").await?;
    press(&page, "c").await?;
    assert_ne!(attr(&page, "ctl-captions", "aria-pressed").await?, captions);

    // Typing in the chat is typing: k there does not pause the video.
    wait_for(&page, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(10)).await?;
    let input = page.find_element("[data-testid=chat-input]").await?;
    input.click().await?;
    input.type_str("kkk m").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(eval::<bool>(&page, PLAYING).await?, "still playing");
    assert_eq!(eval::<String>(&page, "document.querySelector('[data-testid=chat-input]').value").await?, "kkk m");

    // Every control is a real, labelled control reachable with Tab.
    let unlabelled: usize = eval(
        &page,
        "[...document.querySelectorAll('[data-testid=controls] button, [data-testid=controls] input, [data-testid=controls] select')].filter(e => !e.getAttribute('aria-label') && !e.textContent.trim()).length",
    )
    .await?;
    assert_eq!(unlabelled, 0);
    let focusable: bool = eval(&page, "[...document.querySelectorAll('[data-testid=controls] button')].every(b => b.tabIndex >= 0 && !b.disabled)").await?;
    assert!(focusable);
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_pushes_the_live_status_viewer_count_and_a_starving_warning() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    wait_for(&page, "/^\\d+ watching$/.test(document.querySelector('[data-testid=viewer-count]')?.textContent ?? '')", Duration::from_secs(15)).await?;
    assert!(text(&page, "health-warning").await?.is_none());

    // The broadcast starves: every viewer is told, without asking.
    let (status, _) = http("POST", &format!("{}/_local/stream/health", stack.api), r#"{"health":"STARVING"}"#)?;
    assert_eq!(status, 200);
    wait_for(&page, "document.querySelector('[data-testid=health-warning]') !== null", Duration::from_secs(5)).await?;
    let stream = ivs_e2e::ivs_client(&stack).await.get_stream().channel_arn("arn:aws:ivs:us-east-1:000000000000:channel/local").send().await?;
    assert_eq!(stream.stream().and_then(|s| s.health()).map(|h| h.as_str()), Some("STARVING"), "GetStream agrees");
    http("POST", &format!("{}/_local/stream/health", stack.api), r#"{"health":null}"#)?;
    wait_for(&page, "document.querySelector('[data-testid=health-warning]') === null", Duration::from_secs(5)).await?;
    // No viewer polled GetStream for this: the page made no request to the API.
    let api_requests: usize = eval(&page, &format!("performance.getEntriesByType('resource').filter(e => e.name.startsWith({:?})).length", stack.api)).await?;
    assert_eq!(api_requests, 0);
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn full_screen_and_picture_in_picture_open_close_and_follow_the_browser() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    let fullscreen_is_stage = "document.fullscreenElement?.classList.contains('stage') === true";
    let pip_is_video = "document.pictureInPictureElement === document.querySelector('video')";

    // f puts the video and its overlays full screen, and f again leaves.
    assert_eq!(attr(&page, "ctl-fullscreen", "aria-label").await?, "Full screen (F)");
    press(&page, "f").await?;
    wait_for(&page, fullscreen_is_stage, Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-fullscreen]').getAttribute('aria-label') === 'Exit full screen (F)'", Duration::from_secs(3))
        .await?;
    press(&page, "f").await?;
    wait_for(&page, "document.fullscreenElement === null", Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-fullscreen]').getAttribute('aria-label') === 'Full screen (F)'", Duration::from_secs(3)).await?;
    // The button opens it too; leaving by the browser's own means is followed.
    page.find_element("[data-testid=ctl-fullscreen]").await?.click().await?;
    wait_for(&page, fullscreen_is_stage, Duration::from_secs(5)).await?;
    eval::<bool>(&page, "(document.exitFullscreen(), true)").await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-fullscreen]').getAttribute('aria-label') === 'Full screen (F)'", Duration::from_secs(3)).await?;

    // The PiP button moves the video to its own window and back; playback goes on.
    assert_eq!(attr(&page, "ctl-pip", "aria-pressed").await?, "false");
    page.find_element("[data-testid=ctl-pip]").await?.click().await?;
    wait_for(&page, pip_is_video, Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-pip]').getAttribute('aria-pressed') === 'true'", Duration::from_secs(3)).await?;
    let t0: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t1: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    assert!(t1 - t0 > 1.0, "plays in picture-in-picture: {t0} → {t1}");
    page.find_element("[data-testid=ctl-pip]").await?.click().await?;
    wait_for(&page, "document.pictureInPictureElement === null", Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-pip]').getAttribute('aria-pressed') === 'false'", Duration::from_secs(3)).await?;
    // Closed from the PiP window itself (here: by the page's API): the button follows.
    page.find_element("[data-testid=ctl-pip]").await?.click().await?;
    wait_for(&page, pip_is_video, Duration::from_secs(5)).await?;
    eval::<bool>(&page, "(document.exitPictureInPicture(), true)").await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-pip]').getAttribute('aria-pressed') === 'false'", Duration::from_secs(3)).await?;
    assert!(eval::<bool>(&page, PLAYING).await?, "still playing");
    chromium.close().await;
    Ok(())
}

fn choose_quality(name: &str) -> String {
    format!("(() => {{ const s = document.querySelector('[data-testid=ctl-quality]'); s.value = {name:?}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quality_menu_lists_the_renditions_and_switches_between_them() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    let options = "[...document.querySelectorAll('[data-testid=ctl-quality] option')].map(o => o.value).join(',')";
    wait_for(&page, &format!("{options} === 'auto,360p30,180p30'"), Duration::from_secs(10)).await?;
    assert_eq!(eval::<String>(&page, "document.querySelector('[data-testid=ctl-quality]').value").await?, "auto");

    // The viewer picks the small rendition: the picture is 320 × 180 and the menu says so.
    eval::<bool>(&page, &choose_quality("180p30")).await?;
    wait_for(&page, "document.querySelector('video').videoHeight === 180", Duration::from_secs(10)).await?;
    wait_for(&page, &format!("{PLAYING} && document.querySelector('[data-testid=ctl-quality]').value === '180p30'"), Duration::from_secs(5)).await?;
    press(&page, "i").await?;
    wait_for(&page, "document.querySelector('[data-testid=stats]')?.textContent.includes('320 × 180')", Duration::from_secs(5)).await?;
    assert!(text(&page, "stats").await?.unwrap_or_default().contains("180p30"));
    // It stays picked: a few seconds on, still the small rendition.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(eval::<u32>(&page, "document.querySelector('video').videoHeight").await?, 180);

    // The large one, then back to automatic, which names what it chose.
    eval::<bool>(&page, &choose_quality("360p30")).await?;
    wait_for(&page, "document.querySelector('video').videoHeight === 360", Duration::from_secs(10)).await?;
    eval::<bool>(&page, &choose_quality("auto")).await?;
    wait_for(
        &page,
        "document.querySelector('[data-testid=ctl-quality]').value === 'auto' && /^Auto \\((360|180)p30\\)$/.test(document.querySelector('[data-testid=ctl-quality] option').textContent)",
        Duration::from_secs(5),
    )
    .await?;
    wait_for(&page, PLAYING, Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}

/// The control bar's live readout: `LIVE`, or how far behind (`−7 s`).
const LIVE_READOUT: &str = "document.querySelector('[data-testid=ctl-live]')?.textContent";

/// A viewer playing at the live edge of a stream with a 30 s window: there is stream behind the
/// edge to fall back into (a step back, a stall).
async fn playing_at_live_with_stream_behind() -> anyhow::Result<(Stack, Chromium, Page)> {
    let stack = Stack::builder().local_args(&["--window-secs", "30"]).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    wait_for(&page, &format!("{LIVE_READOUT} === 'LIVE'"), Duration::from_secs(5)).await?;
    Ok((stack, chromium, page))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_behind_live_sees_how_far_and_jumps_back() -> anyhow::Result<()> {
    let (_stack, chromium, page) = playing_at_live_with_stream_behind().await?; // the stack runs while held
    let live = LIVE_READOUT;
    assert!(page.find_element("[data-testid=ctl-golive]").await.is_err(), "no go-live button at the edge");

    // Ten seconds in, the viewer steps back twice (5 s each).
    tokio::time::sleep(Duration::from_secs(10)).await;
    press(&page, "ArrowLeft").await?;
    press(&page, "ArrowLeft").await?;
    wait_for(&page, &format!("/^−\\d+ s$/.test({live}) && parseInt({live}.slice(1)) >= 7"), Duration::from_secs(10)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-golive]') !== null", Duration::from_secs(3)).await?;
    assert!(eval::<bool>(&page, PLAYING).await?, "playing, behind live");

    // Go live: back at the edge, the readout says LIVE and the button goes away.
    page.find_element("[data-testid=ctl-golive]").await?.click().await?;
    wait_for(&page, &format!("{live} === 'LIVE' && document.querySelector('[data-testid=ctl-golive]') === null"), Duration::from_secs(10)).await?;
    wait_for(&page, PLAYING, Duration::from_secs(5)).await?;

    // The l shortcut does the same.
    press(&page, "ArrowLeft").await?;
    press(&page, "ArrowLeft").await?;
    wait_for(&page, &format!("/^−\\d+ s$/.test({live})"), Duration::from_secs(10)).await?;
    press(&page, "l").await?;
    wait_for(&page, &format!("{live} === 'LIVE'"), Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}

/// The network stalls for a while: the picture stops, and when the stream comes back the viewer
/// does not stay as far behind live as the stall lasted — it jumps back to the edge by itself.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_stall_the_viewer_is_back_at_live() -> anyhow::Result<()> {
    let (stack, chromium, page) = playing_at_live_with_stream_behind().await?;
    let live = LIVE_READOUT;

    // The playback origin holds every request for 10 s (the player fetches from a worker, out of
    // reach of the browser's own network emulation).
    let (status, body) = http("POST", &format!("{}/_local/playback/stall", stack.api), r#"{"seconds":0}"#)?;
    assert_eq!(status, 400, "a stall of no time is refused in words: {body}");
    assert!(body.contains("seconds must be more than 0"), "{body}");
    stack.stall_playback(10.0)?;
    wait_for(&page, &format!("!({PLAYING})"), Duration::from_secs(8)).await?;

    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, &format!("{live} === 'LIVE'"), Duration::from_secs(10)).await?;
    // And it stays there: playing at the edge, not drifting back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(text(&page, "ctl-live").await?.as_deref(), Some("LIVE"));
    assert!(eval::<bool>(&page, PLAYING).await?, "playing");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_streams_captions_show_and_the_cc_button_hides_them() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    // The local stream's embedded 608 captions name the second being shown, a new one every 2 s.
    let caption = "(document.querySelector('[data-testid=caption]')?.textContent ?? '')";
    let pattern = "/^Local test stream, \\d\\d:\\d\\d:\\d\\d UTC$/";
    wait_for(&page, &format!("{pattern}.test({caption}.trim())"), Duration::from_secs(10)).await?;
    let first: String = eval(&page, caption).await?;
    wait_for(&page, &format!("{pattern}.test({caption}.trim()) && {caption} !== {first:?}"), Duration::from_secs(5)).await?;

    // c hides them (and the button says so); c again shows them.
    press(&page, "c").await?;
    wait_for(&page, "document.querySelector('[data-testid=caption]') === null", Duration::from_secs(3)).await?;
    assert_eq!(attr(&page, "ctl-captions", "aria-pressed").await?, "false");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(text(&page, "caption").await?.is_none(), "captions stay hidden while off");
    press(&page, "c").await?;
    wait_for(&page, &format!("{pattern}.test({caption}.trim())"), Duration::from_secs(5)).await?;
    chromium.close().await;
    Ok(())
}
