//! The viewer's parts (src/lazy.rs): the page starts with the core and fetches only the parts it
//! shows, after the app started; a part that cannot be fetched is announced, tried again, and
//! arrives when it can — while the video goes on playing, and the start-up script's control bar
//! (js/boot.js) stands in for the app's until the app's is there.

use std::time::Duration;

use ivs_e2e::{copy_dir, eval, open_playing, root, text, wait_for, Chromium, Stack, TempDir, PLAYING};

/// The names of the app's files the page fetched, each with whether it was fetched after the
/// start-up script started the app.
const FETCHED: &str = "(() => {
    const start = performance.getEntriesByName('boot:start-app')[0]?.startTime ?? Infinity;
    return JSON.stringify(performance.getEntriesByType('resource')
        .filter(e => /\\.(wasm|js)$/.test(e.name) && !e.name.includes('/ivs/'))
        .map(e => [e.name.split('/').pop(), e.startTime >= start]));
})()";

const CONTROLS_AND_CHAT: &str = "document.querySelector('[data-testid=ctl-play]') !== null \
    && document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'";

async fn fetched(page: &chromiumoxide::Page) -> anyhow::Result<Vec<(String, bool)>> {
    Ok(serde_json::from_str(&eval::<String>(page, FETCHED).await?)?)
}

fn has(files: &[(String, bool)], prefix: &str) -> bool {
    files.iter().any(|(name, _)| name.starts_with(prefix))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_starts_with_its_core_and_fetches_only_the_parts_it_shows() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    wait_for(&page, CONTROLS_AND_CHAT, Duration::from_secs(20)).await?;
    // The app's control bar took over from the start-up script's stand-in.
    wait_for(&page, "document.querySelector('[data-testid=boot-controls]') === null", Duration::from_secs(2)).await?;
    let files = fetched(&page).await?;
    assert!(has(&files, "split_stage-") && has(&files, "split_chat-"), "the stage and chat parts: {files:?}");
    assert!(
        files.iter().filter(|(name, _)| name.starts_with("split_") || name.starts_with("chunk_")).all(|(_, after)| *after),
        "every part is fetched once the app runs, none by the page before it: {files:?}"
    );
    // The stage part is fetched beside the core as the app starts (boot.js preloads what the build
    // names), not after the core has run and asked for it.
    let stage_by: String =
        eval(&page, "performance.getEntriesByType('resource').find(e => /split_stage-[^/]*\\.wasm$/.test(e.name))?.initiatorType ?? 'none'").await?;
    assert_eq!(stage_by, "link");
    // Not in a host page's frame: no embed API; not the generator page: not its part either.
    assert!(!has(&files, "split_embed"), "{files:?}");

    // The embed code generator loads its own part, and nothing of the player's.
    let page = chromium.open(&format!("{}/embed-code", stack.site)).await?;
    wait_for(&page, "document.querySelector('[data-testid=embed-builder]') !== null", Duration::from_secs(10)).await?;
    let files = fetched(&page).await?;
    assert!(has(&files, "split_embed_code-"), "{files:?}");
    assert!(!has(&files, "split_stage-") && !has(&files, "split_chat-"), "{files:?}");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_part_that_cannot_be_fetched_is_announced_and_arrives_when_it_can() -> anyhow::Result<()> {
    // A copy of the built viewer with the stage part (overlays and controls) missing.
    let site = TempDir::new("ivs-viewer-parts")?;
    copy_dir(&root().join("dist"), &site.0)?;
    // The part's file and its compressed copies (.gz, .br), all of them.
    let part: Vec<std::path::PathBuf> = std::fs::read_dir(&site.0)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("split_stage-")))
        .collect();
    anyhow::ensure!(part.iter().any(|p| p.extension().is_some_and(|e| e == "wasm")), "no split_stage-*.wasm in dist/");
    let aside_dir = TempDir::new("ivs-viewer-part-aside")?;
    let aside: Vec<std::path::PathBuf> = part.iter().map(|p| aside_dir.0.join(p.file_name().unwrap_or_default())).collect();
    for (from, to) in part.iter().zip(&aside) {
        std::fs::rename(from, to)?;
    }

    let stack = Stack::builder().serving(&site.0).start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&stack.site).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, "document.querySelector('[data-testid=lazy-error]') !== null", Duration::from_secs(10)).await?;
    assert_eq!(text(&page, "lazy-error").await?.as_deref(), Some("The player controls could not be loaded — trying again."));
    assert!(!eval::<bool>(&page, "document.querySelector('[data-testid=ctl-play]') !== null").await?);
    // The start-up script's control bar stands in, beside the app's video, and works: pause and
    // play, mute and unmute, by click and by key — with the words a screen reader says.
    let label = |id: &str| format!("document.querySelector('[data-testid=boot-{id}]')?.getAttribute('aria-label')");
    let in_frame: bool =
        eval(&page, "document.querySelector('.frame [data-testid=boot-controls]') !== null && document.querySelector('#ivs-boot') === null").await?;
    assert!(in_frame, "the stand-in bar moved with the video into the app's frame");
    assert_eq!(eval::<Option<String>>(&page, &label("play")).await?.as_deref(), Some("Pause (K)"));
    page.find_element("[data-testid=boot-play]").await?.click().await?;
    wait_for(&page, "document.querySelector('video').paused", Duration::from_secs(5)).await?;
    wait_for(&page, &format!("{} === 'Play (K)'", label("play")), Duration::from_secs(5)).await?;
    page.find_element("[data-testid=boot-play]").await?.click().await?;
    wait_for(&page, PLAYING, Duration::from_secs(10)).await?;
    let muted_before: bool = eval(&page, "document.querySelector('video').muted").await?;
    page.find_element("[data-testid=boot-mute]").await?.click().await?;
    wait_for(&page, &format!("document.querySelector('video').muted === {}", !muted_before), Duration::from_secs(5)).await?;
    let expected = if muted_before { "Mute (M)" } else { "Unmute (M)" };
    assert_eq!(eval::<Option<String>>(&page, &label("mute")).await?.as_deref(), Some(expected));
    eval::<bool>(&page, "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'm', bubbles: true }))").await?;
    wait_for(&page, &format!("document.querySelector('video').muted === {muted_before}"), Duration::from_secs(5)).await?;
    // The rest of the viewer goes on: the picture plays, the chat works.
    let before: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    wait_for(&page, &format!("document.querySelector('video').currentTime > {before} + 1"), Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(10)).await?;

    // The file is back: the next try brings the controls, and the note goes.
    for (from, to) in aside.iter().zip(&part) {
        std::fs::rename(from, to)?;
    }
    wait_for(&page, "document.querySelector('[data-testid=ctl-play]') !== null", Duration::from_secs(40)).await?;
    wait_for(&page, "document.querySelector('[data-testid=lazy-error]') === null", Duration::from_secs(2)).await?;
    assert!(eval::<bool>(&page, PLAYING).await?);
    // The app's bar replaced the stand-in, whose keys are gone with it: one bar, one press, one toggle.
    wait_for(&page, "document.querySelector('[data-testid=boot-controls]') === null", Duration::from_secs(2)).await?;
    assert_eq!(eval::<usize>(&page, "document.querySelectorAll('[role=toolbar]').length").await?, 1);
    let muted: bool = eval(&page, "document.querySelector('video').muted").await?;
    eval::<bool>(&page, "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'm', bubbles: true }))").await?;
    wait_for(&page, &format!("document.querySelector('video').muted === {}", !muted), Duration::from_secs(5)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(eval::<bool>(&page, "document.querySelector('video').muted").await?, !muted, "toggled once");
    chromium.close().await;
    Ok(())
}
