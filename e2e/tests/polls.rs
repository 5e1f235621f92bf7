//! End to end: live polls people vote in, counted on the server and pushed to every viewer.

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::{eval, http, text, wait_for, Chromium, Stack, PLAYING};

/// A poll as a producer publishes it through the site server (which gives it its id).
const POLL: &str = r#"{"type":"poll","question":"Which feature next?","options":["Dark mode","Mobile app","API v2"],"duration":120}"#;

fn put_metadata(stack: &Stack, metadata: &str) -> anyhow::Result<()> {
    let status = stack.put_metadata(metadata)?;
    anyhow::ensure!(status == 204, "PutMetadata answered {status}");
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
    // A real click, at the button's place. A page in a background tab may not have laid the card
    // out yet the instant it is asked where the button is, and a card drawn again (a tally pushed
    // meanwhile) replaces the nodes just found: find them and ask again, briefly.
    let mut attempts = 0;
    loop {
        let clicked = match page.find_elements("[data-testid=poll-choice]").await {
            Ok(choices) => choices[option].click().await.map(drop),
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return Ok(()),
            Err(e) if attempts < 10 => {
                attempts += 1;
                eprintln!("vote: the button could not be clicked yet ({e}); again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn shows_percents(expected: &[&str]) -> String {
    format!(
        "JSON.stringify([...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent)) === {:?}",
        serde_json::to_string(expected).unwrap()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn three_viewers_vote_and_see_the_same_tallies_that_survive_a_restart() -> anyhow::Result<()> {
    let mut stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let (ann, bob, cat) = (open_viewer(&chromium, &stack).await?, open_viewer(&chromium, &stack).await?, open_viewer(&chromium, &stack).await?);
    let poll = stack.publish_poll(POLL)?;

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
    // The second tab has the poll (from the state endpoint) before the first tab votes.
    wait_for(&eve_again, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(10)).await?;
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
        &format!("(fetch('/api/polls/{poll}/vote', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: '{{\"option\":0}}'}}).then(r => window.__second = r.status), true)"),
    )
    .await?;
    wait_for(&dan, "window.__second === 409", Duration::from_secs(5)).await?;

    cat.bring_to_front().await?;
    wait_for(&cat, &shows_percents(&["40%", "40%", "20%"]), Duration::from_secs(10)).await?;

    // Restart the site server mid-poll (the broadcast goes on): no acknowledged vote is lost.
    stack.restart_site()?;
    let (status, state) = http("GET", &format!("{}/api/state", stack.site), "")?;
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&state)?;
    assert_eq!(state["poll"]["counts"], serde_json::json!([2, 2, 1]), "{state}");
    let cat_retry = cat.find_elements("[data-testid=poll-choice]").await?.len();
    assert_eq!(cat_retry, 0, "cat's vote is shown as cast");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn quizzes_notices_products_and_compressed_or_hostile_payloads() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let page = open_viewer(&chromium, &stack).await?;
    eval::<bool>(&page, "(window.__alerted = false, window.alert = () => { window.__alerted = true; }, true)").await?;

    // A quiz: pick an answer; when it closes, right or wrong and the score.
    put_metadata(&stack, r#"{"type":"quiz","id":"q1","question":"2 + 2?","answers":["3","4","5"],"correctIndex":1,"duration":3}"#)?;
    wait_for(&page, "document.querySelectorAll('[data-testid=quiz-answer]').length === 3", Duration::from_secs(5)).await?;
    page.find_elements("[data-testid=quiz-answer]").await?[1].click().await?;
    wait_for(&page, "document.querySelector('[data-testid=quiz-result]').textContent === 'Correct!'", Duration::from_secs(6)).await?;
    assert_eq!(text(&page, "quiz-score").await?.as_deref(), Some("Score 1/1"));
    put_metadata(&stack, r#"{"type":"quiz","id":"q2","question":"Capital of France?","answers":["Lyon","Paris"],"correctIndex":1,"duration":2}"#)?;
    wait_for(&page, "document.querySelector('[data-testid=quiz-question]').textContent === 'Capital of France?'", Duration::from_secs(5)).await?;
    page.find_elements("[data-testid=quiz-answer]").await?[0].click().await?;
    wait_for(&page, "document.querySelector('[data-testid=quiz-result]').textContent === 'Not quite.'", Duration::from_secs(6)).await?;
    assert_eq!(text(&page, "quiz-score").await?.as_deref(), Some("Score 1/2"));
    let states: Vec<String> = eval(&page, "[...document.querySelectorAll('[data-testid=quiz-answer]')].map(b => b.dataset.state)").await?;
    assert_eq!(states, ["wrong", "right"]);

    // A notice, compressed with lz-string as a public sample sends it; gone after its duration.
    let compressed = lz_str::compress_to_base64(r#"{"type":"notice","text":"Back in 5 minutes","duration":2}"#);
    put_metadata(&stack, &compressed)?;
    wait_for(&page, "document.querySelector('[data-testid=notice]')?.textContent.includes('Back in 5 minutes')", Duration::from_secs(5)).await?;
    wait_for(&page, "document.querySelector('[data-testid=notice]') === null", Duration::from_secs(6)).await?;

    // Products: the card, then a second one sends the first to the tray.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    put_metadata(&stack, r#"{"type":"product","title":"Mug","price":"$12","imageUrl":"https://shop.example/mug.png","url":"https://shop.example/mug"}"#)?;
    put_metadata(&stack, r#"{"type":"product","title":"Cap","price":"$20","imageUrl":"https://shop.example/cap.png","url":"https://shop.example/cap"}"#)?;
    wait_for(&page, "document.querySelector('[data-testid=product-title]')?.textContent === 'Cap'", Duration::from_secs(5)).await?;
    let tray: Vec<String> = eval(&page, "[...document.querySelectorAll('[data-testid=product-tray] a')].map(a => a.href)").await?;
    assert_eq!(tray, ["https://shop.example/mug"]);

    // Hostile payloads: script tags, javascript: links, deep nesting, bad escapes — nothing harmful.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    put_metadata(&stack, r#"{"type":"notice","text":"<script>alert(1)</script><img src=x onerror=alert(1)>"}"#)?;
    put_metadata(&stack, r#"{"type":"product","title":"Evil","price":"1","imageUrl":"javascript:alert(1)","url":"https://e.example"}"#)?;
    put_metadata(&stack, &format!(r#"{{"type":"notice","text":{}{}}}"#, "[".repeat(300), "]".repeat(300)))?;
    put_metadata(&stack, r#"{"type":"notice","text":"\ud800 lone surrogate"}"#)?;
    put_metadata(&stack, r#"{"type":"quiz","question":"Q","answers":["a","b"],"correctIndex":7,"duration":5}"#)?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Oversized: IVS's 1 KB limit refuses it at the API; a small payload that expands past the
    // viewer's bound is refused by the viewer.
    let oversized = format!(r#"{{"type":"notice","text":"{}"}}"#, "x".repeat(1100));
    assert_eq!(stack.put_metadata(&oversized)?, 400, "PutMetadata refuses more than 1 KB");
    put_metadata(&stack, &lz_str::compress_to_base64(&format!(r#"{{"type":"notice","text":"bomb {}"}}"#, "a".repeat(20_000))))?;
    wait_for(&page, "document.querySelector('[data-testid=notice]') !== null", Duration::from_secs(5)).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(text(&page, "notice").await?.as_deref().map(|t| t.trim_end_matches('×')), Some("<script>alert(1)</script><img src=x onerror=alert(1)>"));
    let injected: usize = eval(&page, "document.querySelectorAll('.stage script, .stage img, .notice img').length").await?;
    assert_eq!(injected, 0, "markup stayed text");
    assert_eq!(text(&page, "product-title").await?.as_deref(), Some("Cap"), "the product with a javascript: image was refused");
    assert!(!eval::<bool>(&page, "window.__alerted").await?, "no script ran");
    assert!(!text(&page, "notice").await?.unwrap_or_default().contains("bomb"), "the expanding payload was refused");
    assert_eq!(eval::<String>(&page, "document.querySelector('[data-testid=status]').dataset.state").await?, "Playing");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_closed_by_a_cue_stops_taking_votes_and_shows_the_result() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let (ann, bob) = (open_viewer(&chromium, &stack).await?, open_viewer(&chromium, &stack).await?);
    let poll = stack.publish_poll(POLL)?;
    vote(&ann, 2).await?;
    wait_for(&ann, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(5)).await?;
    let (status, answer) = stack.publish(&format!(r#"{{"type":"poll-close","id":"{poll}"}}"#))?;
    assert_eq!(status, 200, "{answer}");
    // Bob never voted: his card closes and shows the result.
    wait_for(&bob, "document.querySelector('[data-testid=poll-countdown]')?.textContent === 'Closed'", Duration::from_secs(5)).await?;
    assert_eq!(eval::<usize>(&bob, "document.querySelectorAll('[data-testid=poll-choice]').length").await?, 0);
    wait_for(&bob, &shows_percents(&["0%", "0%", "100%"]), Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}
