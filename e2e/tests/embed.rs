//! End to end: the embed route in an iframe on another origin, and its postMessage API — commands
//! and events for an allowed host; a refused origin cannot even frame it (`frame-ancestors`).

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, root, wait_for, Chromium, Stack};
use ivs_proto::url::encode_component;

/// Serves `e2e/fixtures/` on a free port; returns its origin.
async fn serve_fixtures() -> anyhow::Result<String> {
    ivs_e2e::serve_dir(&root().join("e2e/fixtures"), false).await
}

/// Whether the host page heard an event of `kind` (with `extra` conditions).
fn heard(kind: &str, extra: &str) -> String {
    format!("window.__events.some(e => e.event === '{kind}'{extra})")
}

/// Commands the viewer in the host page's frame.
fn command(json: &str) -> String {
    format!("(send(frames[0], {json}), true)")
}

async fn last_state(page: &Page) -> anyhow::Result<String> {
    eval(page, "window.__events.filter(e => e.event === 'state').at(-1)?.state ?? ''").await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_host_commands_the_embed_and_hears_it_a_refused_one_does_neither() -> anyhow::Result<()> {
    let allowed = serve_fixtures().await?;
    let refused = serve_fixtures().await?;
    let site = ivs_e2e::SiteOptions { embed_origins: vec![allowed.clone()], ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let chromium = Chromium::launch().await?;
    let embed = format!("{}/embed", stack.site);
    let top = chromium.open(&format!("{allowed}/host.html?frame={}", encode_component(&embed))).await?;

    // The allowed host hears the viewer play.
    wait_for(&top, &heard("state", " && e.state === 'Playing'"), Duration::from_secs(20)).await?;
    let origins: Vec<String> = eval(&top, "[...new Set(window.__events.map(e => e.origin))]").await?;
    assert_eq!(origins, std::slice::from_ref(&stack.site), "events come from the viewer's origin");
    assert!(eval::<bool>(&top, &heard("volume", "")).await?);

    // The host pauses and plays it, and hears each.
    eval::<bool>(&top, &command("{command: 'pause'}")).await?;
    wait_for(&top, "(window.__events.filter(e => e.event === 'state').at(-1)?.state ?? 'Playing') !== 'Playing'", Duration::from_secs(5)).await?;
    eval::<bool>(&top, &command("{command: 'play'}")).await?;
    wait_for(&top, "window.__events.filter(e => e.event === 'state').at(-1)?.state === 'Playing'", Duration::from_secs(10)).await?;
    assert_eq!(last_state(&top).await?, "Playing");

    // The host hears the renditions and picks one; a quality that does not exist is refused.
    wait_for(&top, &heard("qualities", " && e.names.join() === '360p30,180p30'"), Duration::from_secs(5)).await?;
    eval::<bool>(&top, &command("{command: 'quality', name: '180p30'}")).await?;
    eval::<bool>(&top, &command("{command: 'quality', name: 'no-such'}")).await?;
    wait_for(&top, &heard("error", " && e.message.includes('no-such')"), Duration::from_secs(5)).await?;
    assert!(!eval::<bool>(&top, &heard("error", " && e.message.includes('180p30')")).await?, "an existing quality is accepted");
    // Cues reach the host as events.
    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"hello host"}"#)?, 204);
    wait_for(&top, &heard("cue", " && e.text.includes('hello host')"), Duration::from_secs(5)).await?;

    // A refused origin cannot frame the viewer at all (the embed route's frame-ancestors), so it
    // neither hears nor commands it; nor can an allowed host's page be framed by it to get there.
    let other = chromium.open(&format!("{refused}/host.html?frame={}", encode_component(&embed))).await?;
    let nested = format!("{allowed}/host.html?frame={}", encode_component(&embed));
    let around = chromium.open(&format!("{refused}/host.html?frame={}", encode_component(&nested))).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(eval::<usize>(&other, "window.__events.length").await?, 0, "a refused origin hears nothing");
    assert_eq!(eval::<usize>(&around, "window.__relayed.length").await?, 0, "nor through an allowed page it frames");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embed_code_page_writes_a_snippet_that_embeds_the_viewer() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/embed-code", stack.site)).await?;
    wait_for(&page, "document.querySelector('[data-testid=embed-code]') !== null", Duration::from_secs(10)).await?;
    let code: String = eval(&page, "document.querySelector('[data-testid=embed-code]').value").await?;
    assert!(code.starts_with(&format!(r#"<iframe src="{}/embed?muted=1" width="640" height="360""#, stack.site)), "{code}");
    assert_eq!(eval::<usize>(&page, "document.querySelectorAll('video').length").await?, 0, "no player on this page");
    page.find_element("[data-testid=embed-chat]").await?.click().await?;
    wait_for(&page, "document.querySelector('[data-testid=embed-code]').value.includes('embed?chat=1&amp;muted=1')", Duration::from_secs(2)).await?;

    // The snippet, pasted into a page, makes a frame of the size it says.
    let code: String = eval(&page, "document.querySelector('[data-testid=embed-code]').value").await?;
    let host = serve_fixtures().await?;
    let paste = chromium.open(&format!("{host}/host.html")).await?;
    eval::<bool>(&paste, &format!("(document.body.insertAdjacentHTML('beforeend', {}), true)", serde_json::json!(code))).await?;
    let frame_height: f64 = eval(&paste, "document.querySelector('iframe').getBoundingClientRect().height").await?;
    assert!(frame_height > 300.0, "the iframe is sized by the snippet: {frame_height}");
    chromium.close().await;
    Ok(())
}
