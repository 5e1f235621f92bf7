//! The viewer in WebKitGTK (Debian's `webkit2gtk-driver`: MiniBrowser under WebKitWebDriver, on a
//! virtual display): the IVS Player SDK plays there (the viewer rebuffering every few seconds: a
//! known issue), an overlay from `PutMetadata` shows, and a vote counts — the engine Safari is
//! built on, short of Safari itself.

use std::time::Duration;

use ivs_e2e::{webkit_available, Driven, Stack, PLAYING};

#[tokio::test(flavor = "multi_thread")]
async fn webkit_plays_shows_an_overlay_and_votes() -> anyhow::Result<()> {
    if !webkit_available() {
        assert!(std::env::var_os("CI").is_none(), "WebKitGTK's WebDriver or Xvfb is missing: scripts/setup.sh installs them");
        eprintln!("skipped: WebKitGTK's WebDriver or Xvfb is not installed (scripts/setup.sh installs them)");
        return Ok(());
    }
    let stack = Stack::start()?;
    let webkit = Driven::webkit().await?;
    webkit.goto(&stack.site)?;
    webkit.wait_for(PLAYING, Duration::from_secs(30)).await?;
    // Known issue: in WebKitGTK the viewer rebuffers every few seconds (reporting the position
    // as 0 meanwhile) where the bare SDK page plays smoothly; the furthest position reached over
    // six seconds shows the picture moving on.
    let mut furthest = 0.0f64;
    for _ in 0..24 {
        furthest = furthest.max(webkit.eval::<f64>("document.querySelector('video').currentTime")?);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(furthest > 2.0, "the video plays: it reached {furthest:.2} s in six seconds");

    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"hello WebKit","duration":10}"#)?, 204);
    webkit.wait_for("document.querySelector('[data-testid=notice]')?.textContent.includes('hello WebKit')", Duration::from_secs(10)).await?;

    stack.publish_poll(r#"{"type":"poll","question":"Which engine?","options":["WebKit","Gecko","Blink"],"duration":120}"#)?;
    webkit.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(10)).await?;
    webkit.click("[data-testid=poll-choice]", 0)?;
    webkit.wait_for("(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(10)).await?;
    webkit.wait_for("[...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent).join() === '100%,0%,0%'", Duration::from_secs(10)).await?;
    Ok(())
}
