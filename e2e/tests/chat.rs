//! End to end: the chat beside the video, between real Chromium windows, through the local
//! stack's IVS Chat room and its site backend's token endpoint.

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, say, text, wait_for, Chromium, Stack, MODERATOR};

const CONNECTED: &str = "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'";

/// Opens the viewer in a window of its own (its own cookies: its own identity) and waits until
/// its chat is connected.
async fn open_chat(chromium: &Chromium, url: &str) -> anyhow::Result<Page> {
    let page = chromium.open_isolated(url).await?;
    wait_for(&page, CONNECTED, Duration::from_secs(20)).await?;
    Ok(page)
}

/// The texts of the chat's messages, in order.
async fn messages(page: &Page) -> anyhow::Result<Vec<String>> {
    eval(page, "[...document.querySelectorAll('[data-testid=chat-message] .chat-text')].map(e => e.textContent)").await
}

fn has_message(text: &str) -> String {
    format!("[...document.querySelectorAll('[data-testid=chat-message] .chat-text')].some(e => e.textContent === {})", serde_json::json!(text))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_viewers_chat_and_a_moderator_deletes_and_removes() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let viewer = open_chat(&chromium, &stack.site).await?;
    // The moderator signs in with the operator's link; the server grants the capabilities.
    let moderator = open_chat(&chromium, &stack.sign_in_url(MODERATOR)).await?;
    eval::<bool>(&viewer, "(window.__alerted = false, window.alert = () => { window.__alerted = true; }, true)").await?;

    say(&viewer, "hello from the viewer").await?;
    for page in [&viewer, &moderator] {
        wait_for(page, &has_message("hello from the viewer"), Duration::from_secs(5)).await?;
    }
    let name: String = eval(&moderator, "document.querySelector('[data-testid=chat-message] .chat-name').textContent").await?;
    assert!(!name.is_empty() && name != "viewer", "the server named the viewer: {name:?}");
    say(&moderator, "welcome!").await?;
    wait_for(&viewer, &has_message("welcome!"), Duration::from_secs(5)).await?;
    let badge: String =
        eval(&viewer, "[...document.querySelectorAll('[data-testid=chat-message]')].at(-1).querySelector('.chat-badge')?.textContent ?? ''").await?;
    assert_eq!(badge, "moderator", "the moderator's badge, from the token's attributes");
    assert_eq!(text(&viewer, "chat-count").await?.as_deref(), Some("0/500"));

    // Network text is text: markup stays markup, only the http(s) link becomes a link.
    let hostile = "<img src=x onerror=alert(1)> javascript:alert(1) https://example.com/x";
    say(&viewer, hostile).await?;
    wait_for(&moderator, &has_message(hostile), Duration::from_secs(5)).await?;
    let images: usize = eval(&moderator, "document.querySelectorAll('[data-testid=chat-log] img').length").await?;
    assert_eq!(images, 0);
    let links: Vec<String> = eval(&moderator, "[...document.querySelectorAll('[data-testid=chat-log] a')].map(a => a.href)").await?;
    assert_eq!(links, ["https://example.com/x"]);
    assert!(!eval::<bool>(&viewer, "window.__alerted").await?);

    // Only the moderator has moderation actions.
    let viewer_actions: usize = eval(&viewer, "document.querySelectorAll('[data-testid=chat-delete], [data-testid=chat-kick]').length").await?;
    assert_eq!(viewer_actions, 0, "the viewer was granted no moderation");

    // The moderator deletes the viewer's first message: both windows show the placeholder.
    let first = moderator.find_element("[data-testid=chat-message] [data-testid=chat-delete]").await?;
    first.hover().await?;
    first.click().await?;
    for page in [&viewer, &moderator] {
        wait_for(page, "document.querySelectorAll('[data-testid=chat-deleted]').length === 1", Duration::from_secs(5)).await?;
        let placeholder: String = eval(page, "document.querySelector('[data-testid=chat-deleted]').textContent").await?;
        assert!(placeholder.contains("Message removed by a moderator"), "{placeholder}");
        assert!(!messages(page).await?.contains(&"hello from the viewer".to_owned()), "the text is gone");
    }

    // The moderator removes the viewer: the viewer is told and does not come back by itself.
    let kick = moderator.find_element("[data-testid=chat-message][data-user^=viewer-] [data-testid=chat-kick]").await?;
    kick.hover().await?;
    kick.click().await?;
    wait_for(&viewer, "document.querySelector('[data-testid=chat-notice]') !== null", Duration::from_secs(5)).await?;
    let notice = text(&viewer, "chat-notice").await?.unwrap_or_default();
    assert!(notice.contains("moderator removed you"), "{notice}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let state: String = eval(&viewer, "document.querySelector('[data-testid=chat-state]').dataset.state").await?;
    assert_eq!(state, "disconnected", "no reconnect after a removal");
    let send_disabled: bool = eval(&viewer, "document.querySelector('[data-testid=chat-send]').disabled").await?;
    assert!(send_disabled);
    assert_eq!(eval::<String>(&moderator, "document.querySelector('[data-testid=chat-state]').dataset.state").await?, "connected");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn both_windows_reconnect_when_the_stack_restarts_and_keep_chatting() -> anyhow::Result<()> {
    let mut stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let ann = open_chat(&chromium, &stack.site).await?;
    let bob = open_chat(&chromium, &stack.site).await?;
    say(&ann, "before the restart").await?;
    wait_for(&bob, &has_message("before the restart"), Duration::from_secs(5)).await?;

    stack.restart()?;
    for page in [&ann, &bob] {
        // The drop is seen and shown, then the chat comes back on its own with a fresh token.
        wait_for(page, "document.querySelector('[data-testid=chat-log]').textContent.includes('Reconnected')", Duration::from_secs(20)).await?;
        wait_for(page, CONNECTED, Duration::from_secs(5)).await?;
    }
    say(&bob, "after the restart").await?;
    wait_for(&ann, &has_message("after the restart"), Duration::from_secs(5)).await?;
    assert!(messages(&ann).await?.contains(&"before the restart".to_owned()), "history kept across the reconnect");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_past_the_rate_limit_shows_the_cooldown_and_keeps_the_words() -> anyhow::Result<()> {
    let stack = Stack::builder().local_args(&["--chat-rate", "3"]).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_chat(&chromium, &stack.site).await?;

    // Too long: counted live, and Send is off.
    let input = page.find_element("[data-testid=chat-input]").await?;
    input.click().await?;
    input.type_str("x".repeat(501)).await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-count]').classList.contains('over')", Duration::from_secs(2)).await?;
    assert_eq!(text(&page, "chat-count").await?.as_deref(), Some("501/500"));
    assert!(eval::<bool>(&page, "document.querySelector('[data-testid=chat-send]').disabled").await?);
    eval::<bool>(
        &page,
        "(() => { const i = document.querySelector('[data-testid=chat-input]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()",
    )
    .await?;

    // Five quick messages into a room that takes three a second.
    for n in 1..=5 {
        say(&page, &format!("burst {n}")).await?;
    }
    wait_for(&page, "(document.querySelector('[data-testid=chat-feedback]')?.textContent ?? '').includes('too fast')", Duration::from_secs(5)).await?;
    let label = text(&page, "chat-send").await?.unwrap_or_default();
    assert!(label.starts_with("Wait "), "the send button counts the cooldown down: {label:?}");
    assert!(eval::<bool>(&page, "document.querySelector('[data-testid=chat-send]').disabled").await?);
    let shown = messages(&page).await?;
    assert_eq!(shown.iter().filter(|m| m.starts_with("burst")).count(), 3, "{shown:?}");
    let returned: String = eval(&page, "document.querySelector('[data-testid=chat-input]').value").await?;
    assert!(returned.starts_with("burst "), "a refused message comes back into the box: {returned:?}");
    // The cooldown ends by itself.
    wait_for(&page, "document.querySelector('[data-testid=chat-send]').textContent === 'Send'", Duration::from_secs(6)).await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_ends_is_replaced_before_it_ends_without_a_gap() -> anyhow::Result<()> {
    // IVS minutes of 0.4 s: the backend's 60-minute sessions last 24 s here.
    let stack = Stack::builder().local_args(&["--chat-minute-secs", "0.4"]).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_chat(&chromium, &stack.site).await?;
    // Record every state the panel shows from now on.
    eval::<bool>(
        &page,
        "(window.__states = [], new MutationObserver(() => window.__states.push(document.querySelector('[data-testid=chat-state]').dataset.state))
            .observe(document.querySelector('[data-testid=chat-state]'), {attributes: true}), true)",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let states: Vec<String> = eval(&page, "window.__states").await?;
    assert!(states.iter().all(|s| s == "connected"), "the panel never showed a drop: {states:?}");
    let log = text(&page, "chat-log").await?.unwrap_or_default();
    assert!(!log.contains("Reconnected"), "no reconnect was needed: {log}");
    // Still chatting, on the replacement connection (the first one's session is over by now).
    say(&page, "still here").await?;
    wait_for(&page, &has_message("still here"), Duration::from_secs(5)).await?;
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_back_pauses_the_log_and_refusals_are_explained() -> anyhow::Result<()> {
    let stack = Stack::builder().local_args(&["--chat-rate", "1000", "--chat-blocked-word", "forbidden"]).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_chat(&chromium, &stack.site).await?;
    let other = open_chat(&chromium, &stack.site).await?;
    for n in 0..40 {
        say(&other, &format!("line {n}")).await?;
    }
    wait_for(&page, &has_message("line 39"), Duration::from_secs(10)).await?;
    let at_bottom = "(() => { const l = document.querySelector('[data-testid=chat-log]'); return l.scrollHeight - l.scrollTop - l.clientHeight < 30; })()";
    assert!(eval::<bool>(&page, at_bottom).await?, "the log follows new lines");

    // The viewer scrolls up to read: new lines do not pull the log away, a button counts them.
    page.find_element("[data-testid=chat-message]").await?.scroll_into_view().await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-jump]') !== null", Duration::from_secs(2)).await?;
    let top_before: f64 = eval(&page, "document.querySelector('[data-testid=chat-log]').scrollTop").await?;
    say(&other, "new one").await?;
    say(&other, "new two").await?;
    wait_for(&page, &has_message("new two"), Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-jump]').textContent.includes('2 new')", Duration::from_secs(2)).await?;
    let top_after: f64 = eval(&page, "document.querySelector('[data-testid=chat-log]').scrollTop").await?;
    assert_eq!(top_before, top_after, "the log stayed where the viewer was reading");
    page.find_element("[data-testid=chat-jump]").await?.click().await?;
    wait_for(&page, at_bottom, Duration::from_secs(2)).await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-jump]') === null", Duration::from_secs(2)).await?;

    // The room's review refuses a message: the viewer is told why and keeps the words.
    say(&page, "a forbidden word").await?;
    wait_for(&page, "(document.querySelector('[data-testid=chat-feedback]')?.textContent ?? '').includes('moderation')", Duration::from_secs(5)).await?;
    let returned: String = eval(&page, "document.querySelector('[data-testid=chat-input]').value").await?;
    assert_eq!(returned, "a forbidden word");
    assert!(!messages(&other).await?.iter().any(|m| m.contains("forbidden")), "nobody saw it");
    chromium.close().await;
    Ok(())
}
