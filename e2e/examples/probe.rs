//! Opens a URL in headless Chromium and prints the video element's state for a while.
use std::time::Duration;
use ivs_e2e::{eval, Chromium};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args().nth(1).expect("url");
    let chromium = Chromium::launch().await?;
    let page = chromium.browser.new_page("about:blank").await?;
    page.evaluate_on_new_document("window.__ff=null;(function w(){const v=document.querySelector('video');if(v&&v.requestVideoFrameCallback){v.requestVideoFrameCallback(()=>{window.__ff=performance.now()})}else setTimeout(w,2)})();").await?;
    page.goto(url.as_str()).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let timing: String = eval(&page, "JSON.stringify({ff: window.__ff, marks: performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)]), res: performance.getEntriesByType('resource').map(r => [r.name.split('/').pop().slice(0,40), Math.round(r.startTime), Math.round(r.responseEnd)])})").await?;
    println!("{timing}");
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s: String = eval(&page, "(() => { const v = document.querySelector('video'); if (!v) return 'no video'; const b = []; for (let i = 0; i < v.buffered.length; i++) b.push(v.buffered.start(i).toFixed(2) + '-' + v.buffered.end(i).toFixed(2)); return `t=${v.currentTime.toFixed(2)} rs=${v.readyState} ns=${v.networkState} paused=${v.paused} buf=${b.join(',')} err=${v.error && v.error.message} status=${document.querySelector('[data-testid=status]')?.textContent}`; })()").await?;
        println!("{s}");
    }
    chromium.close().await;
    Ok(())
}
