//! Accessibility: axe-core (npm, pinned) run in Chromium on the main view, the embed view, the
//! offline slate and the past broadcasts. No serious or critical findings.

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, open_playing, root, wait_for, Chromium, Stack, PLAYING};

/// Runs axe on the page; returns the serious and critical findings, described.
async fn serious_findings(page: &Page) -> anyhow::Result<Vec<String>> {
    let axe = std::fs::read_to_string(root().join("node_modules/axe-core/axe.min.js"))?;
    page.evaluate(axe).await?;
    let findings: Vec<String> = eval(
        page,
        "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`))",
    )
    .await?;
    Ok(findings)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_main_embed_and_offline_views_have_no_serious_findings() -> anyhow::Result<()> {
    let stack = Stack::builder().recording().start()?;
    let chromium = Chromium::launch().await?;

    let main = open_playing(&chromium, &stack).await?;
    wait_for(&main, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(10)).await?;
    assert_eq!(stack.put_metadata(r#"{"type":"poll","id":"a11y","question":"Accessible?","options":["Yes","Very"],"duration":60}"#)?, 204);
    wait_for(&main, "document.querySelector('[data-testid=poll]') !== null", Duration::from_secs(5)).await?;
    let findings = serious_findings(&main).await?;
    assert!(findings.is_empty(), "main view:\n{}", findings.join("\n"));

    let embed = chromium.open(&format!("{}/embed?chat=1", stack.site)).await?;
    wait_for(&embed, PLAYING, Duration::from_secs(20)).await?;
    let findings = serious_findings(&embed).await?;
    assert!(findings.is_empty(), "embed view:\n{}", findings.join("\n"));

    stack.set_live(false)?;
    let offline = chromium.open(&stack.site).await?;
    wait_for(&offline, "document.querySelector('[data-testid=status]')?.dataset.state === 'Offline'", Duration::from_secs(20)).await?;
    let findings = serious_findings(&offline).await?;
    assert!(findings.is_empty(), "offline view:\n{}", findings.join("\n"));

    // The broadcast that just ended, among the past broadcasts.
    let past = chromium.open(&format!("{}/past", stack.site)).await?;
    wait_for(&past, "document.querySelectorAll('[data-testid=past-item][data-state=ready] a').length === 1", Duration::from_secs(30)).await?;
    let findings = serious_findings(&past).await?;
    assert!(findings.is_empty(), "past broadcasts:\n{}", findings.join("\n"));
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_layout_works_from_a_320_px_phone_to_a_wide_desktop() -> anyhow::Result<()> {
    use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    let rects = "(() => { const s = document.querySelector('.stage').getBoundingClientRect(); const c = document.querySelector('[data-testid=chat]').getBoundingClientRect(); \
                 return [s.left, s.right, s.bottom, c.left, c.top, c.right, document.documentElement.scrollWidth, window.innerWidth]; })()";

    // Wide: the chat beside the video.
    page.execute(SetDeviceMetricsOverrideParams::new(1440, 900, 1.0, false)).await?;
    wait_for(&page, "window.innerWidth === 1440", Duration::from_secs(5)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let wide: Vec<f64> = eval(&page, rects).await?;
    assert!(wide[3] >= wide[1], "chat to the right of the video: {wide:?}");

    // A 320 px phone in portrait: the chat under the video, nothing wider than the screen.
    page.execute(SetDeviceMetricsOverrideParams::new(320, 640, 2.0, true)).await?;
    wait_for(&page, "window.innerWidth === 320", Duration::from_secs(5)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let phone: Vec<f64> = eval(&page, rects).await?;
    assert!(phone[4] >= phone[2] - 1.0, "chat under the video: {phone:?}");
    assert!(phone[6] <= 320.0, "no sideways scrolling: {phone:?}");
    assert!(phone[1] - phone[0] >= 300.0, "the video uses the width: {phone:?}");
    chromium.close().await;
    Ok(())
}
