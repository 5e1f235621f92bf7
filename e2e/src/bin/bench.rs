//! `bench`: prints the viewer's figures, each measured in this run.
//!
//! - App weight: the viewer's own wasm, JS and CSS in `dist/`, gzip-compressed (the IVS SDK files
//!   under `dist/ivs/` are excluded: every IVS page carries them). Target: at most 150 KB.
//! - Time to first video frame, from navigation start, of the viewer against a bare page that
//!   loads the same bundled SDK and plays the same stream; each run in a fresh browser profile,
//!   alternating the two pages. Target: ratio of medians at most 1.05.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use flate2::write::GzEncoder;
use flate2::Compression;
use ivs_e2e::{eval, root, wait_for, Chromium, Stack, TempDir};

const RUNS: usize = 15;

/// Marks the first presented video frame, whichever page it is.
const FIRST_FRAME_PROBE: &str = r#"
window.__firstFrame = null;
(function watch() {
  const video = document.querySelector('video');
  if (video && video.requestVideoFrameCallback) {
    video.requestVideoFrameCallback(() => { window.__firstFrame = performance.now(); });
  } else {
    setTimeout(watch, 2);
  }
})();
"#;

fn gzip_len(path: &Path) -> anyhow::Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&std::fs::read(path)?)?;
    Ok(encoder.finish()?.len())
}

fn app_weight(dist: &Path) -> anyhow::Result<usize> {
    let mut total = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dist)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if matches!(ext, "wasm" | "js" | "css") {
            let size = gzip_len(&path)?;
            total += size;
            println!("  {:<48} {:>8.1} KB gzip", path.file_name().unwrap_or_default().to_string_lossy(), size as f64 / 1024.0);
        }
    }
    Ok(total)
}

/// Milliseconds from navigation start to the first frame, to the player's creation, and to the
/// stream's load call (the pages set `ivs:create` and `ivs:load` marks).
struct Startup {
    first_frame: f64,
    create: f64,
    load: f64,
}

async fn startup(url: &str) -> anyhow::Result<Startup> {
    let chromium = Chromium::launch().await?;
    let page = chromium.browser.new_page("about:blank").await?;
    page.evaluate_on_new_document(FIRST_FRAME_PROBE).await?;
    // Let the browser finish starting up, so its own work does not land on the measurement.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    page.goto(url).await?;
    wait_for(&page, "window.__firstFrame !== null", Duration::from_secs(30)).await.with_context(|| format!("first frame of {url}"))?;
    let first_frame: f64 = eval(&page, "window.__firstFrame").await?;
    let mark = |name: &str| format!("performance.getEntriesByName('{name}')[0]?.startTime ?? -1");
    let create: f64 = eval(&page, &mark("ivs:create")).await?;
    let load: f64 = eval(&page, &mark("ivs:load")).await?;
    chromium.close().await;
    Ok(Startup { first_frame, create, load })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dist = root().join("dist");
    println!("App weight (dist/, excluding the IVS SDK in dist/ivs/):");
    let weight = app_weight(&dist).context("reading dist/ (build the viewer first)")?;
    println!("  total {:.1} KB gzip (target ≤ 150 KB) {}", weight as f64 / 1024.0, if weight <= 150 * 1024 { "✓" } else { "✗" });

    // One site serving both pages: the built viewer and the bare SDK page beside it.
    let site = TempDir::new("bench-site")?;
    copy_dir(&dist, &site.0)?;
    std::fs::copy(root().join("e2e/fixtures/bare.html"), site.0.join("bare.html"))?;
    std::env::set_var("IVS_DIST", &site.0);
    let stack = Stack::start()?;
    let viewer_url = format!("{}/", stack.site);
    let bare_url = format!("{}/bare.html?playbackUrl={}", stack.site, stack.playback_url());
    // One unmeasured run of each warms the stack and the OS file cache.
    startup(&viewer_url).await?;
    startup(&bare_url).await?;

    println!("Start-up, ms from navigation start (player created / stream loaded / first frame):");
    let (mut viewer, mut bare) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let (v, b) = if run % 2 == 0 {
            let v = startup(&viewer_url).await?;
            (v, startup(&bare_url).await?)
        } else {
            let b = startup(&bare_url).await?;
            (startup(&viewer_url).await?, b)
        };
        println!(
            "  run {}: viewer {:5.0} / {:5.0} / {:6.1}   bare SDK page {:5.0} / {:5.0} / {:6.1}",
            run + 1, v.create, v.load, v.first_frame, b.create, b.load, b.first_frame
        );
        viewer.push(v.first_frame);
        bare.push(b.first_frame);
    }
    let (mv, mb) = (median(&mut viewer), median(&mut bare));
    let ratio = mv / mb;
    println!("Time to first frame, median of {RUNS}: viewer {mv:.1} ms, bare SDK page {mb:.1} ms");
    println!("  ratio {ratio:.3} (target ≤ 1.05) {}", if ratio <= 1.05 { "✓" } else { "✗" });
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
