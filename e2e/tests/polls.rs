//! End to end: live polls people vote in, counted on the server and pushed to every viewer.

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, http, text, wait_for, Chromium, Stack, PLAYING};

const POLL: &str = r#"{"type":"poll","id":"next-feature","question":"Which feature next?","options":["Dark mode","Mobile app","API v2"],"duration":120}"#;

fn put_metadata(stack: &Stack, metadata: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "channelArn": "arn:aws:ivs:us-east-1:000000000000:channel/local", "metadata": metadata });
    let (status, answer) = http("POST", &format!("{}/PutMetadata", stack.api), &body.to_string())?;
    anyhow::ensure!(status == 204, "PutMetadata answered {status}: {answer}");
    Ok(())
}

/// A viewer in a window of its own (its own identity), playing.
async fn open_viewer(chromium: &Chromium, stack: &Stack) -> anyhow::Result<Page> {
    let page = chromium.open_isolated(&stack.site).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    Ok(page)
}

async fn vote(page: &Page, option: usize) -> anyhow::Result<()> {
    wait_for(page, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(5)).await?;
    let choices = page.find_elements("[data-testid=poll-choice]").await?;
    choices[option].click().await?;
    Ok(())
}

async fn percents(page: &Page) -> anyhow::Result<Vec<String>> {
    eval(page, "[...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent)").await
}

fn shows_percents(expected: &[&str]) -> String {
    format!("JSON.stringify([...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent)) === {:?}", serde_json::to_string(expected).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn three_viewers_vote_and_see_the_same_tallies_that_survive_a_restart() -> anyhow::Result<()> {
    let mut stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let (ann, bob, cat) = (open_viewer(&chromium, &stack).await?, open_viewer(&chromium, &stack).await?, open_viewer(&chromium, &stack).await?);
    put_metadata(&stack, POLL)?;

    vote(&ann, 0).await?;
    wait_for(&ann, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(5)).await?;
    vote(&bob, 0).await?;
    vote(&cat, 2).await?;
    // Everyone converges on the server's count, pushed through the chat room.
    for page in [&ann, &bob, &cat] {
        wait_for(page, &shows_percents(&["67%", "0%", "33%"]), Duration::from_secs(5)).await?;
        assert_eq!(text(page, "poll-total").await?.as_deref(), Some("3 votes"));
    }

    // The same person in two tabs (one identity): the second vote is refused, with a message.
    let eve = chromium.open(&stack.site).await?;
    wait_for(&eve, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(20)).await?;
    let eve_again = chromium.open(&stack.site).await?; // same browser, same cookie: the same viewer
    wait_for(&eve_again, PLAYING, Duration::from_secs(20)).await?;
    eve.bring_to_front().await?;
    vote(&eve, 1).await?;
    wait_for(&eve, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(5)).await?;
    eve_again.bring_to_front().await?;
    vote(&eve_again, 2).await?;
    wait_for(&eve_again, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('already voted')", Duration::from_secs(5)).await?;
    let eve_mine: String = eval(&eve_again, "document.querySelector('.poll-option.mine .poll-label')?.textContent ?? ''").await?;
    assert_eq!(eve_mine, "Mobile app", "the refusal shows the vote that counted");
    let ann_cookie: String = eval(&ann, "document.cookie").await?;
    assert!(!ann_cookie.contains("ivs_viewer"), "the identity cookie is out of reach of page scripts (HttpOnly)");
    ann.reload().await?;
    wait_for(&ann, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&ann, "document.querySelector('[data-testid=poll-question]') !== null", Duration::from_secs(5)).await?;
    // After a reload the viewer arrives mid-poll: the state endpoint gives the poll, its tallies
    // and this viewer's own vote, so there is nothing to vote for again.
    wait_for(&ann, &shows_percents(&["50%", "25%", "25%"]), Duration::from_secs(5)).await?;
    let choices: usize = eval(&ann, "document.querySelectorAll('[data-testid=poll-choice]').length").await?;
    assert_eq!(choices, 0);
    let mine: String = eval(&ann, "document.querySelector('.poll-option.mine .poll-label')?.textContent ?? ''").await?;
    assert_eq!(mine, "Dark mode");

    // A viewer who opens the page mid-poll sees the poll and its tallies, and a second vote from
    // a viewer is refused with a message.
    let dan = open_viewer(&chromium, &stack).await?;
    wait_for(&dan, "document.querySelector('[data-testid=poll-question]')?.textContent === 'Which feature next?'", Duration::from_secs(5)).await?;
    vote(&dan, 1).await?;
    wait_for(&dan, &shows_percents(&["40%", "40%", "20%"]), Duration::from_secs(5)).await?;
    eval::<bool>(
        &dan,
        "(fetch('/api/polls/next-feature/vote', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{\"option\":0}'}).then(r => window.__second = r.status), true)",
    )
    .await?;
    wait_for(&dan, "window.__second === 409", Duration::from_secs(5)).await?;

    // Restart the stack mid-poll: no acknowledged vote is lost.
    stack.restart()?;
    stack.wait_until_live(Duration::from_secs(20))?;
    let (status, state) = http("GET", &format!("{}/api/state", stack.site), "")?;
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&state)?;
    assert_eq!(state["poll"]["counts"], serde_json::json!([2, 2, 1]), "{state}");
    let cat_retry = cat.find_elements("[data-testid=poll-choice]").await?.len();
    assert_eq!(cat_retry, 0, "cat's vote is shown as cast");
    assert_eq!(percents(&cat).await?, ["40%", "40%", "20%"]);
    chromium.close().await;
    Ok(())
}
