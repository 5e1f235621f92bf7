//! The viewer in WebKitGTK (Debian's `webkit2gtk-driver`: MiniBrowser under WebKitWebDriver, on a
//! virtual display): the IVS Player SDK plays the stream there — the engine Safari is built on,
//! short of Safari itself. Known issue: the viewer rebuffers there every few seconds (the bare SDK
//! page does not), and a cue arriving during a rebuffer is lost, so overlays and votes are not
//! asserted in WebKit until that is fixed.

use std::time::Duration;

use ivs_e2e::{webkit_available, Driven, Stack, PLAYING};

#[tokio::test(flavor = "multi_thread")]
async fn webkit_plays_the_stream() -> anyhow::Result<()> {
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

    // Not asserted here while the known rebuffering lasts: an overlay and a vote (both need a
    // cue to arrive, and one that lands during a rebuffer is lost there — seen as a timed-out
    // notice in a clean-clone run). Firefox and Chromium prove those journeys.
    Ok(())
}
