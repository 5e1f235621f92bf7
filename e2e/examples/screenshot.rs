//! Saves a PNG of a page after it has played for a few seconds: `screenshot URL OUT.png [SECONDS]`.
use std::time::Duration;

use chromiumoxide::page::ScreenshotParams;
use ivs_e2e::Chromium;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (url, out) = (args.next().expect("URL"), args.next().expect("OUT.png"));
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(4);
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&url).await?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    page.save_screenshot(ScreenshotParams::builder().build(), &out).await?;
    chromium.close().await;
    Ok(())
}
