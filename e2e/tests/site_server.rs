//! End to end: the site server as a site runs it — several instances on one Redis, a crash, Redis
//! restarting, IVS's events arriving late or twice, the site's own signed-in users, and `dev`
//! started twice.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::network::CookieParam;
use chromiumoxide::Page;
use ivs_e2e::{eval, free_port, http, http_with, new_identity, text, wait_for, Chromium, Redis, SiteOptions, Stack, CHANNEL_ARN, PLAYING};

const POLL: &str = r#"{"type":"poll","question":"Which feature next?","options":["Dark mode","Mobile app","API v2"],"duration":120}"#;
const CONNECTED: &str = "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'";

fn shows_percents(expected: &[&str]) -> String {
    format!(
        "JSON.stringify([...document.querySelectorAll('[data-testid=poll-percent]')].map(e => e.textContent)) === {:?}",
        serde_json::to_string(expected).unwrap()
    )
}

async fn open_viewer(chromium: &Chromium, url: &str) -> anyhow::Result<Page> {
    let page = chromium.open_isolated(url).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, CONNECTED, Duration::from_secs(10)).await?;
    Ok(page)
}

async fn vote_in_page(page: &Page, option: usize) -> anyhow::Result<()> {
    wait_for(page, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(5)).await?;
    page.find_elements("[data-testid=poll-choice]").await?[option].click().await?;
    wait_for(page, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(5)).await?;
    Ok(())
}

fn vote_as(site: &str, cookie: &str, poll: &str, option: usize) -> anyhow::Result<(u16, serde_json::Value)> {
    let (status, _, body) = http_with("POST", &format!("{site}/api/polls/{poll}/vote"), &[("Cookie", cookie)], &format!(r#"{{"option":{option}}}"#))?;
    Ok((status, serde_json::from_str(&body).unwrap_or_default()))
}

fn state(site: &str) -> anyhow::Result<serde_json::Value> {
    let (status, body) = http("GET", &format!("{site}/api/state"), "")?;
    anyhow::ensure!(status == 200, "state: {status} {body}");
    Ok(serde_json::from_str(&body)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_redis_count_exactly_through_a_crash_and_a_redis_restart() -> anyhow::Result<()> {
    let mut redis = Redis::start()?;
    let site = SiteOptions { redis_url: Some(redis.url()), ..Default::default() };
    let mut stack = Stack::builder().site(site).start()?;
    let b = stack.start_site_instance(free_port(), |config| config)?;
    let chromium = Chromium::launch().await?;
    // Three viewers split across the two instances.
    let (ann, bob, cat) = (open_viewer(&chromium, &stack.site).await?, open_viewer(&chromium, &b.url).await?, open_viewer(&chromium, &b.url).await?);
    let poll = stack.publish_poll(POLL)?;
    vote_in_page(&ann, 0).await?;
    vote_in_page(&bob, 0).await?;
    vote_in_page(&cat, 2).await?;
    for page in [&ann, &bob, &cat] {
        wait_for(page, &shows_percents(&["67%", "0%", "33%"]), Duration::from_secs(5)).await?;
        assert_eq!(text(page, "poll-total").await?.as_deref(), Some("3 votes"));
    }

    // One person (one cookie) votes on one instance, then tries again on the other: refused.
    let dee = new_identity(&stack.site)?;
    assert_eq!(vote_as(&stack.site, &dee, &poll, 1)?.0, 200);
    let (status, answer) = vote_as(&b.url, &dee, &poll, 2)?;
    assert_eq!((status, answer["myVote"].as_u64()), (409, Some(1)), "{answer}");
    for page in [&ann, &bob, &cat] {
        wait_for(page, &shows_percents(&["50%", "25%", "25%"]), Duration::from_secs(5)).await?;
    }

    // The first instance crashes mid-poll: nothing acknowledged is lost, and the other goes on
    // pushing tallies (it takes over the job once the crashed one's lease runs out).
    stack.kill_site();
    let eve = new_identity(&b.url)?;
    assert_eq!(vote_as(&b.url, &eve, &poll, 2)?.0, 200);
    assert_eq!(state(&b.url)?["poll"]["counts"], serde_json::json!([2, 1, 2]));
    for page in [&ann, &bob, &cat] {
        wait_for(page, &shows_percents(&["40%", "20%", "40%"]), Duration::from_secs(10)).await?;
    }

    // Redis goes away: a vote is refused in words (503), nothing unstored is acknowledged; it
    // comes back and votes count again, with every earlier count kept — no server restart.
    redis.stop();
    let fay = new_identity(&b.url)?;
    let (status, answer) = vote_as(&b.url, &fay, &poll, 0)?;
    assert_eq!(status, 503, "{answer}");
    assert!(answer["error"].as_str().unwrap_or_default().contains("could not be saved"), "{answer}");
    redis.start_again()?;
    let mut counted = None;
    for _ in 0..40 {
        match vote_as(&b.url, &fay, &poll, 0)? {
            (200, answer) => {
                counted = Some(answer);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
    let counted = counted.ok_or_else(|| anyhow::anyhow!("votes did not count again after Redis came back"))?;
    assert_eq!(counted["counts"], serde_json::json!([3, 1, 2]));
    assert_eq!(state(&b.url)?["poll"]["counts"], serde_json::json!([3, 1, 2]));
    wait_for(&bob, &shows_percents(&["50%", "17%", "33%"]), Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}

/// An HS256 JWT as a site's login would issue it.
fn site_jwt(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()))
        .unwrap()
}

async fn open_signed_in(chromium: &Chromium, stack: &Stack, jwt: &str) -> anyhow::Result<Page> {
    let page = chromium.open_isolated("about:blank").await?;
    let cookie = CookieParam::builder().name("site_session").value(jwt).url(stack.site.clone()).build().map_err(anyhow::Error::msg)?;
    page.set_cookie(cookie).await?;
    page.goto(stack.site.as_str()).await?;
    wait_for(&page, CONNECTED, Duration::from_secs(20)).await?;
    Ok(page)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_user_chats_under_the_sites_name_and_a_moderator_claim_gives_the_tools() -> anyhow::Result<()> {
    const SECRET: &str = "the-site-s-own-jwt-secret-32-chars!";
    let site = SiteOptions { identity: format!("[identity.jwt]\nhs256_secret = \"{SECRET}\"\nissuer = \"https://www.example.com\"\n"), ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let chromium = Chromium::launch().await?;
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() + 3600;
    let claims = |sub: &str, name: &str, moderator: bool| serde_json::json!({ "sub": sub, "name": name, "moderator": moderator, "iss": "https://www.example.com", "exp": exp });
    let grace = open_signed_in(&chromium, &stack, &site_jwt(SECRET, claims("grace-7", "Grace Hopper", true))).await?;
    let alan = open_signed_in(&chromium, &stack, &site_jwt(SECRET, claims("alan-3", "Alan Turing", false))).await?;
    // A forged token (another secret) is no identity: an anonymous viewer.
    let forged = open_signed_in(&chromium, &stack, &site_jwt("not-the-site-s-secret-but-32-chars!", claims("grace-7", "Grace Hopper", true))).await?;

    let input = alan.find_element("[data-testid=chat-input]").await?;
    input.click().await?.type_str("hello from a signed-in user").await?;
    alan.find_element("[data-testid=chat-send]").await?.click().await?;
    let line =
        "[...document.querySelectorAll('[data-testid=chat-message]')].find(m => m.querySelector('.chat-text')?.textContent === 'hello from a signed-in user')";
    for page in [&grace, &alan, &forged] {
        wait_for(page, &format!("{line} !== undefined"), Duration::from_secs(5)).await?;
        assert_eq!(eval::<String>(page, &format!("{line}.querySelector('.chat-name').textContent")).await?, "Alan Turing");
    }
    assert_eq!(eval::<String>(&grace, &format!("{line}.dataset.user")).await?, "alan-3");
    // The moderator claim gives delete and remove; a plain user and the forger get neither.
    wait_for(&grace, "document.querySelectorAll('[data-testid=chat-delete]').length > 0", Duration::from_secs(5)).await?;
    for page in [&alan, &forged] {
        assert_eq!(eval::<usize>(page, "document.querySelectorAll('[data-testid=chat-delete], [data-testid=chat-kick]').length").await?, 0);
    }
    chromium.close().await;
    Ok(())
}

fn event(id: &str, second: u32, detail_type: &str, name: &str, stream: &str, channel: &str) -> String {
    serde_json::json!({
        "version": "0", "id": id, "detail-type": detail_type, "source": "aws.ivs", "account": "000000000000",
        "time": format!("2099-01-01T00:00:{second:02}Z"), "region": "us-east-1", "resources": [channel],
        "detail": { "event_name": name, "channel_name": "local", "stream_id": stream }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn ivs_events_late_twice_or_out_of_order_leave_the_right_status() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let secret = std::fs::read_to_string(&stack.config)?.lines().find_map(|l| l.strip_prefix("secret = ").map(|s| s.trim_matches('"').to_owned())).unwrap();
    let post = |body: &str, secret: &str| -> anyhow::Result<(u16, String)> {
        let (status, _, body) = http_with("POST", &format!("{}/api/events", stack.site), &[("x-ivs-events-secret", secret)], body)?;
        Ok((status, body))
    };
    let live = || -> anyhow::Result<(bool, String)> {
        let stream = &state(&stack.site)?["stream"];
        Ok((stream["live"].as_bool().unwrap_or(false), stream["health"].as_str().unwrap_or_default().to_owned()))
    };
    let state_change = "IVS Stream State Change";
    assert_eq!(post(&event("e1", 1, state_change, "Stream Start", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), "wrong")?.0, 401, "the secret is checked");
    assert_eq!(post("{not json", &secret)?.0, 400);
    assert_eq!(post(&event("e1", 1, state_change, "Stream Start", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?.0, 200);
    assert_eq!(live()?, (true, "HEALTHY".into()));
    // Twice: taken once.
    let (status, body) = post(&event("e1", 1, state_change, "Stream Start", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert!(status == 200 && body.contains("already taken"), "{body}");
    let health = "IVS Stream Health Change";
    post(&event("e2", 10, health, "Starvation Start", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert_eq!(live()?, (true, "STARVING".into()));
    // Out of order: the end of starvation at 20 s arrives after… nothing earlier can undo it.
    post(&event("e4", 20, health, "Starvation End", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    post(&event("e3", 15, health, "Starvation Start", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert_eq!(live()?, (true, "HEALTHY".into()));
    // Another channel's events change nothing here.
    let (_, body) =
        post(&event("x1", 30, state_change, "Stream End", "st-aaaaaaaaaaaaaaaaaaaaaaa", "arn:aws:ivs:us-east-1:000000000000:channel/other"), &secret)?;
    assert!(body.contains("another channel"), "{body}");
    assert!(live()?.0);
    // "Session Ended" before "Stream End": over either way.
    post(&event("e6", 40, state_change, "Session Ended", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert!(!live()?.0);
    post(&event("e5", 39, state_change, "Stream End", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert!(!live()?.0);
    // A new broadcast; then a late event of the old one changes nothing.
    post(&event("f1", 50, state_change, "Stream Start", "st-bbbbbbbbbbbbbbbbbbbbbbb", CHANNEL_ARN), &secret)?;
    post(&event("e7", 45, state_change, "Session Ended", "st-aaaaaaaaaaaaaaaaaaaaaaa", CHANNEL_ARN), &secret)?;
    assert_eq!(live()?, (true, "HEALTHY".into()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn started_twice_the_first_poll_is_open_and_an_earlier_broadcasts_poll_is_gone() -> anyhow::Result<()> {
    let mut stack = Stack::start()?;
    let publish_sample = |stack: &Stack| -> anyhow::Result<String> {
        let output = std::process::Command::new(ivs_e2e::binary("ivs-site", "IVS_SITE_BIN"))
            .arg("--config")
            .arg(&stack.config)
            .args(["overlay", "poll", "--server", &stack.site, "--key", &stack.operator_key])
            .output()?;
        anyhow::ensure!(output.status.success(), "ivs-site overlay poll: {}", String::from_utf8_lossy(&output.stderr));
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
    };
    let first = publish_sample(&stack)?;
    let viewer = new_identity(&stack.site)?;
    assert_eq!(vote_as(&stack.site, &viewer, &first, 0)?.0, 200);

    // Everything stops and starts again on the same data, as a second `dev` would: a new
    // broadcast, which starts clean.
    stack.restart()?;
    stack.wait_until_live(Duration::from_secs(20))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !state(&stack.site)?["poll"].is_null() {
        anyhow::ensure!(std::time::Instant::now() < deadline, "the earlier broadcast's poll is still shown: {}", state(&stack.site)?);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let second = publish_sample(&stack)?;
    assert_ne!(first, second, "poll ids never repeat");
    let (status, answer) = vote_as(&stack.site, &viewer, &second, 1)?;
    assert_eq!((status, answer["counts"].clone()), (200, serde_json::json!([0, 1, 0])), "the new poll is open and counts from zero");
    let now = state(&stack.site)?;
    assert_eq!((now["poll"]["id"].as_str(), now["poll"]["closed"].as_bool()), (Some(second.as_str()), Some(false)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_site_sends_its_files_compressed_and_keeps_content_named_ones_for_good() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let header = |head: &str, name: &str| head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned));
    // The SDK (2 MB as it ships), in the folder the build names by its content, which the page names.
    let sdk = ivs_e2e::sdk_dir();
    let (_, page) = ivs_e2e::http("GET", &stack.site, "")?;
    assert!(page.contains(&format!("src=\"ivs/{sdk}/amazon-ivs-player.min.js\"")), "{page}");
    assert!(page.contains(&format!("href=\"ivs/{sdk}/amazon-ivs-wasmworker.min.js\" as=\"fetch\"")), "its worker is preloaded: {page}");
    // It goes compressed to a browser that takes brotli or gzip, and is kept for good.
    for (accepts, encoding) in [("br, gzip", "br"), ("gzip", "gzip")] {
        let (status, head, _) = http_with("GET", &format!("{}/ivs/{sdk}/amazon-ivs-wasmworker.min.wasm", stack.site), &[("Accept-Encoding", accepts)], "")?;
        assert_eq!(status, 200);
        assert_eq!(header(&head, "content-encoding").as_deref(), Some(encoding), "{head}");
        let sent: usize = header(&head, "content-length").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX);
        let whole = std::fs::metadata(ivs_e2e::root().join(format!("dist/ivs/{sdk}/amazon-ivs-wasmworker.min.wasm")))?.len() as usize;
        assert!(sent < whole / 2, "{encoding}: {sent} bytes of {whole}");
        assert_eq!(header(&head, "cache-control").as_deref(), Some("public, max-age=31536000, immutable"), "{head}");
    }
    let (_, head, _) = http_with("GET", &format!("{}/ivs/{sdk}/amazon-ivs-player.min.js", stack.site), &[], "")?;
    assert_eq!(header(&head, "content-encoding"), None, "a client that takes none gets the file as it is");
    assert_eq!(header(&head, "cache-control").as_deref(), Some("public, max-age=31536000, immutable"), "{head}");
    // An SDK folder that is not there is answered with the page, which is not kept.
    let (_, head, _) = http_with("GET", &format!("{}/ivs/0123456789abcdef/amazon-ivs-player.min.js", stack.site), &[], "")?;
    assert_ne!(header(&head, "cache-control").as_deref(), Some("public, max-age=31536000, immutable"), "{head}");
    // The app's files are named by their content: kept for a year. A name that is not there is
    // answered with the page, which is not.
    let wasm = std::fs::read_dir(ivs_e2e::root().join("dist"))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("ivs-viewer-") && name.ends_with("_bg.wasm"))
        .expect("the app's wasm");
    let (status, head, _) = http_with("GET", &format!("{}/{wasm}", stack.site), &[("Accept-Encoding", "br")], "")?;
    assert_eq!((status, header(&head, "cache-control").as_deref()), (200, Some("public, max-age=31536000, immutable")));
    let (_, head, _) = http_with("GET", &format!("{}/split_stage-0123456789abcdef.wasm", stack.site), &[], "")?;
    assert_ne!(header(&head, "cache-control").as_deref(), Some("public, max-age=31536000, immutable"), "{head}");
    Ok(())
}
