//! End to end: overlays from timed metadata, prompts when autoplay is refused, bad input.

use std::time::Duration;

use ivs_e2e::{eval, open_playing, text, wait_for, Chromium, Stack};

fn put_metadata(stack: &Stack, metadata: &str) -> anyhow::Result<()> {
    let status = stack.put_metadata(metadata)?;
    anyhow::ensure!(status == 204, "PutMetadata answered {status}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn products_show_bad_cues_are_ignored_and_clear_removes_everything() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    eval::<bool>(&page, "(window.__alerted = false, window.alert = () => { window.__alerted = true; }, true)").await?;

    // Hostile and malformed cues first: none of them may show anything or run anything.
    put_metadata(&stack, r#"{"type":"product","title":"Evil","price":"1","imageUrl":"https://e.example/i.png","url":"javascript:alert(1)"}"#)?;
    put_metadata(&stack, "<img src=x onerror=alert(1)>")?;
    put_metadata(&stack, r#"{"type":"poll","question":"<img src=x onerror=alert(1)>","options":["a"],"duration":10}"#)?;
    tokio::time::sleep(Duration::from_millis(1100)).await; // IVS allows 5 calls a second
    put_metadata(&stack, r#"{"type":"poll","question":"<img src=x onerror=alert(1)>","options":["<b>a</b>","b"],"duration":10}"#)?;
    put_metadata(
        &stack,
        r#"{"type":"product","title":"Stream mug","price":"$12","imageUrl":"https://shop.example/mug.png","url":"https://shop.example/mug"}"#,
    )?;
    wait_for(&page, "document.querySelector('[data-testid=product-title]')?.textContent === 'Stream mug'", Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=poll-question]') !== null", Duration::from_secs(2)).await?;

    assert_eq!(text(&page, "poll-question").await?.as_deref(), Some("<img src=x onerror=alert(1)>"), "markup shown as text");
    let overlay_images: usize = eval(&page, "document.querySelectorAll('[data-testid=overlays] img:not(.product-image)').length").await?;
    assert_eq!(overlay_images, 0, "no element was made from cue text");
    let links: Vec<String> = eval(&page, "[...document.querySelectorAll('[data-testid=overlays] a')].map(a => a.href)").await?;
    assert_eq!(links, ["https://shop.example/mug"], "only the checked link");
    assert!(!eval::<bool>(&page, "window.__alerted").await?, "no script ran");
    assert_eq!(text(&page, "status").await?.as_deref(), Some("Playing"), "bad cues did not disturb playback");

    // Dismiss the product, then clear the poll.
    page.find_element(".card-close").await?.click().await?;
    wait_for(&page, "document.querySelector('[data-testid=product]') === null", Duration::from_secs(2)).await?;
    put_metadata(&stack, r#"{"type":"clear"}"#)?;
    wait_for(&page, "document.querySelector('[data-testid=poll]') === null", Duration::from_secs(5)).await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn when_sound_is_blocked_the_stream_plays_muted_with_an_unmute_button() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch_with_autoplay_policy("document-user-activation-required").await?;
    let page = open_playing(&chromium, &stack).await?;
    wait_for(&page, "document.querySelector('[data-testid=unmute]') !== null", Duration::from_secs(5)).await?;
    assert!(eval::<bool>(&page, "document.querySelector('[data-testid=video]').muted").await?, "playing muted");
    let start: f64 = eval(&page, "document.querySelector('[data-testid=video]').currentTime").await?;
    wait_for(&page, &format!("document.querySelector('[data-testid=video]').currentTime > {start} + 1"), Duration::from_secs(5)).await?;

    page.find_element("[data-testid=unmute]").await?.click().await?;
    wait_for(&page, "document.querySelector('[data-testid=unmute]') === null", Duration::from_secs(3)).await?;
    assert!(!eval::<bool>(&page, "document.querySelector('[data-testid=video]').muted").await?, "unmuted by the click");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_playback_url_in_the_address_is_explained_not_played() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?playbackUrl=javascript:alert(1)", stack.site)).await?;
    wait_for(&page, "document.querySelector('[data-testid=config-error]') !== null", Duration::from_secs(10)).await?;
    let message = text(&page, "config-error").await?.unwrap_or_default();
    assert!(message.contains("playbackUrl") && message.contains("http"), "{message}");
    chromium.close().await;
    Ok(())
}
