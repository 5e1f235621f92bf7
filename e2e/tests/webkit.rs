//! The viewer in WebKitGTK (Debian's `webkit2gtk-driver`: MiniBrowser under WebKitWebDriver, on a
//! virtual display): the IVS Player SDK plays there steadily, an overlay from `PutMetadata` shows,
//! and a vote counts — the engine Safari is built on, short of Safari itself.

mod scenarios;

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
    // The picture moves on steadily, through the switch to the better rendition a second or two
    // in: the position never goes back and never stops for long. (Where a player seeks to the
    // live edge at every stall, WebKit stalls again on each seek and the picture restarts every
    // second or two.)
    let position = "document.querySelector('video').currentTime";
    let mut last = webkit.eval::<f64>(position)?;
    let (mut still, mut longest_still) = (0u32, 0u32);
    for _ in 0..32 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = webkit.eval::<f64>(position)?;
        assert!(now + 0.05 >= last, "the position went back from {last:.2} s to {now:.2} s");
        still = if now > last + 0.01 { 0 } else { still + 1 };
        longest_still = longest_still.max(still);
        last = now;
    }
    assert!(longest_still <= 4, "the picture stood still for {} ms", longest_still * 250);

    scenarios::sees_a_notice_and_votes(&webkit, &stack, "WebKit", ["WebKit", "Gecko", "Blink"]).await?;
    Ok(())
}
