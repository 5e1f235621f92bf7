//! Journeys that more than one test takes, kept beside the tests (each test file that uses them
//! says `mod scenarios;`).

use std::time::Duration;

use ivs_e2e::{Driven, Stack};

/// The journey every WebDriver engine takes after playing: a notice sent with `PutMetadata` shows
/// ("hello `browser`"), then a poll on `options` comes, the first option is voted for, and
/// the vote is counted (100 %, 0 %, 0 %).
pub async fn sees_a_notice_and_votes(driven: &Driven, stack: &Stack, browser: &str, options: [&str; 3]) -> anyhow::Result<()> {
    let notice = serde_json::json!({ "type": "notice", "text": format!("hello {browser}"), "duration": 10 });
    anyhow::ensure!(stack.put_metadata(&notice.to_string())? == 204, "PutMetadata refused the notice");
    driven.wait_for(&format!("document.querySelector('[data-testid=notice]')?.textContent.includes('hello {browser}')"), Duration::from_secs(10)).await?;

    let poll = serde_json::json!({ "type": "poll", "question": "Which browser?", "options": options, "duration": 120 });
    stack.publish_poll(&poll.to_string())?;
    driven.wait_for("document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(10)).await?;
    driven.click("[data-testid=poll-choice]", 0)?;
    driven.wait_for("(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(10)).await?;
    driven
        .wait_for("[...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent).join() === '100%,0%,0%'", Duration::from_secs(10))
        .await?;
    Ok(())
}
