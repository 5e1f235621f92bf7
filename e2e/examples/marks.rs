//! Prints a page's User Timing marks after it has played for a few seconds: `marks URL`.
use std::time::Duration;

use ivs_e2e::{eval, Chromium};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args().nth(1).expect("URL");
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&url).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let marks: String = eval(&page, "JSON.stringify(performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)]))").await?;
    println!("{marks}");
    chromium.close().await;
    Ok(())
}
