//! End to end: the viewer in each of its languages. Every locale renders the live page with a
//! poll and the chat, and the offline slate, at a phone's size and a desktop's: the document
//! says its language (and Arabic its direction), the words are the locale file's, no key shows
//! instead of words, and no text overflows its box. A browser that prefers Portuguese (Portugal)
//! gets Brazilian Portuguese without asking. (Firefox: `firefox.rs`; right to left: `layout.rs`.)

use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::locale::{page_report, word, words};
use ivs_e2e::{eval, say, wait_for, Chromium, Stack, PLAYING, STAGE_READY};
use ivs_proto::words::LOCALES;

const CONNECTED: &str = "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'";

async fn report(page: &Page, keys: &[String]) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::from_str(&eval::<String>(page, &page_report(keys)).await?)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_locale_renders_the_live_page_a_poll_the_chat_and_the_slate() -> anyhow::Result<()> {
    let english = words("en")?;
    let keys: Vec<String> = english.keys().cloned().collect();
    let stack = Stack::start()?;
    let poll = r#"{"type":"poll","question":"Which song next?","options":["Ana","Ben","Cy"],"duration":600}"#;
    let (status, answer) = stack.publish(poll)?;
    anyhow::ensure!(status == 200, "publishing: {answer}");
    let chromium = Chromium::launch().await?;
    let mut failures = Vec::new();
    for locale in LOCALES {
        let table = words(locale)?;
        for (width, height, mobile) in [(360, 740, true), (1280, 800, false)] {
            let at = format!("{locale} at {width}x{height}");
            let page = chromium.open_as_device(&format!("{}/?lang={locale}", stack.site), width, height, mobile).await?;
            wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
            wait_for(&page, STAGE_READY, Duration::from_secs(10)).await?;
            wait_for(&page, CONNECTED, Duration::from_secs(15)).await?;
            wait_for(&page, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(15)).await?;
            // The chat in this language: a message sent, shown with its time.
            say(&page, &format!("hello from {locale}")).await?;
            wait_for(&page, &format!("document.querySelector('[data-testid=chat-log]').textContent.includes('hello from {locale}')"), Duration::from_secs(10))
                .await?;
            let seen = report(&page, &keys).await?;
            let expect = |name: &str, key: &str, failures: &mut Vec<String>| {
                if seen[name].as_str() != Some(word(&table, key).as_str()) {
                    failures.push(format!("{at}: {name} says {} rather than {:?} ({key})", seen[name], word(&table, key)));
                }
            };
            expect("badge", "state.playing", &mut failures);
            expect("chat", "chat.title", &mut failures);
            expect("kicker", "poll.live", &mut failures);
            expect("send", "chat.send", &mut failures);
            if seen["lang"] != locale || seen["dir"] != if locale == "ar" { "rtl" } else { "ltr" } {
                failures.push(format!("{at}: the document is lang={} dir={}", seen["lang"], seen["dir"]));
            }
            for list in ["leaked", "overflowing"] {
                for item in seen[list].as_array().into_iter().flatten() {
                    failures.push(format!("{at}: {list}: {item}"));
                }
            }
            page.close().await?;
        }
    }
    drop(stack);

    // The slate, offline, in every language.
    let offline = Stack::builder().offline().start()?;
    for locale in LOCALES {
        let table = words(locale)?;
        let page = chromium.open_as_device(&format!("{}/?lang={locale}", offline.site), 360, 740, true).await?;
        wait_for(&page, "document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(20)).await?;
        let seen = report(&page, &keys).await?;
        if seen["slateTitle"].as_str() != Some(word(&table, "slate.offline").as_str())
            || seen["slateText"].as_str() != Some(word(&table, "error.offline").as_str())
        {
            failures.push(format!("{locale} offline: the slate says {} / {}", seen["slateTitle"], seen["slateText"]));
        }
        for list in ["leaked", "overflowing"] {
            for item in seen[list].as_array().into_iter().flatten() {
                failures.push(format!("{locale} offline: {list}: {item}"));
            }
        }
        page.close().await?;
    }

    // Without asking: the browser's languages choose (Portugal's Portuguese: the Brazilian words).
    let page = chromium.open_with_languages(&offline.site, "pt-PT,pt;q=0.9,en;q=0.5").await?;
    wait_for(&page, "document.querySelector('[data-testid=slate]')?.dataset.kind === 'offline'", Duration::from_secs(20)).await?;
    let seen = report(&page, &keys).await?;
    assert_eq!((seen["lang"].as_str(), seen["slateTitle"].as_str()), (Some("pt-BR"), Some(word(&words("pt-BR")?, "slate.offline").as_str())));
    chromium.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}
