//! End to end, as an attacker would try it: votes without an identity, identities by the
//! thousand from one address, requests from another site's page, token floods, and the pages'
//! own defences (headers, the Content-Security-Policy) in a real browser.

use std::time::Duration;

use ivs_e2e::{eval, http_with, new_identity, set_cookie, wait_for, Chromium, Redis, SiteOptions, Stack, PLAYING};

const POLL: &str = r#"{"type":"poll","question":"Best season?","options":["Spring","Summer","Autumn"],"duration":300}"#;

fn vote(site: &str, headers: &[(&str, &str)], poll: &str, option: usize) -> anyhow::Result<(u16, serde_json::Value)> {
    let (status, _, body) = http_with("POST", &format!("{site}/api/polls/{poll}/vote"), headers, &format!(r#"{{"option":{option}}}"#))?;
    Ok((status, serde_json::from_str(&body).unwrap_or_default()))
}

fn total(site: &str) -> anyhow::Result<u64> {
    let (_, _, body) = http_with("GET", &format!("{site}/api/state"), &[], "")?;
    let state: serde_json::Value = serde_json::from_str(&body)?;
    Ok(state["poll"]["counts"].as_array().map(|c| c.iter().filter_map(|n| n.as_u64()).sum()).unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_from_one_address_counts_at_most_its_budget_of_identities() -> anyhow::Result<()> {
    let site = SiteOptions { extra: "[limits]\nanonymous_per_address_per_hour = 5\n".into(), ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let poll = stack.publish_poll(POLL)?;
    // Without a cookie, a vote is never counted — and never makes an identity.
    for _ in 0..1000 {
        let (status, answer) = vote(&stack.site, &[], &poll, 0)?;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"], "reload the page to vote");
    }
    assert_eq!(total(&stack.site)?, 0);
    // Loading the page for a fresh identity each time: the address's budget, and no more.
    let mut counted = 0;
    for _ in 0..1000 {
        let (_, head, _) = http_with("GET", &format!("{}/", stack.site), &[], "")?;
        if let Some(cookie) = set_cookie(&head) {
            if vote(&stack.site, &[("Cookie", &cookie)], &poll, 1)?.0 == 200 {
                counted += 1;
            }
        }
    }
    assert_eq!(counted, 5);
    assert_eq!(total(&stack.site)?, 5, "the tallies are exactly what was acknowledged");
    Ok(())
}

/// An HS256 JWT as the site's login issues it.
fn site_jwt(secret: &str, sub: &str) -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let claims = serde_json::json!({ "sub": sub, "name": sub, "exp": exp });
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_user_counts_once_on_every_instance_and_members_only_polls_ask_to_sign_in() -> anyhow::Result<()> {
    const SECRET: &str = "another-site-secret-of-32-chars-at-least";
    let redis = Redis::start()?;
    let site = SiteOptions { redis_url: Some(redis.url()), identity: format!("[identity.jwt]\nhs256_secret = \"{SECRET}\"\n"), ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let other = stack.start_site_instance(ivs_e2e::free_port(), |config| config)?;
    let poll = stack.publish_poll(POLL)?;
    // The same user from several devices (a cookie here, a header there) and both instances.
    let jwt = site_jwt(SECRET, "ada");
    let bearer = format!("Bearer {jwt}");
    let cookie = format!("site_session={jwt}");
    let attempts = [
        (&stack.site, ("Authorization", bearer.as_str())),
        (&other.url, ("Cookie", cookie.as_str())),
        (&stack.site, ("Cookie", cookie.as_str())),
        (&other.url, ("Authorization", bearer.as_str())),
    ];
    let statuses: Vec<u16> =
        attempts.iter().enumerate().map(|(n, (site, header))| vote(site, &[*header], &poll, n % 3).map(|(s, _)| s)).collect::<anyhow::Result<_>>()?;
    assert_eq!(statuses, [200, 409, 409, 409]);
    assert_eq!(total(&stack.site)?, 1);
    assert_eq!(total(&other.url)?, 1);

    // A poll for signed-in users: an anonymous viewer is asked to sign in; a signed-in one counts.
    let members = stack.publish_poll(r#"{"type":"poll","question":"Members: next city?","options":["Oslo","Lima"],"duration":300,"signedInOnly":true}"#)?;
    let anonymous = new_identity(&stack.site)?;
    let (status, answer) = vote(&stack.site, &[("Cookie", &anonymous)], &members, 0)?;
    assert_eq!((status, answer["error"].as_str()), (403, Some("sign in to vote in this poll")));
    assert_eq!(vote(&other.url, &[("Authorization", &bearer)], &members, 1)?.0, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_from_another_sites_page_are_refused_and_tokens_are_rate_limited() -> anyhow::Result<()> {
    let site = SiteOptions { extra: "[limits]\ntokens_per_minute = 3\n".into(), ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    let poll = stack.publish_poll(POLL)?;
    let cookie = new_identity(&stack.site)?;
    let evil = [("Cookie", cookie.as_str()), ("Origin", "https://evil.example")];
    let sneaky = [("Cookie", cookie.as_str()), ("Sec-Fetch-Site", "cross-site")];
    for headers in [&evil, &sneaky] {
        assert_eq!(vote(&stack.site, headers, &poll, 0)?.0, 403);
        for endpoint in ["/api/chat/token", "/api/playback-token"] {
            let (status, _, body) = http_with("POST", &format!("{}{endpoint}", stack.site), headers, "")?;
            assert_eq!(status, 403, "{endpoint}: {body}");
            assert!(body.contains("other sites"), "{body}");
        }
    }
    let auth = format!("Bearer {}", stack.operator_key);
    let (status, _, _) =
        http_with("POST", &format!("{}/api/overlays", stack.site), &[("Authorization", &auth), ("Origin", "https://evil.example")], r#"{"type":"clear"}"#)?;
    assert_eq!(status, 403, "even with the operator's key");
    let form = format!("user=mod-ann&key={}", stack.sign_in_key);
    let (status, head, _) = http_with(
        "POST",
        &format!("{}/sign-in", stack.site),
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "https://evil.example")],
        &form,
    )?;
    assert!(status == 403 && set_cookie(&head).is_none());
    // From the site's own page, all of it works.
    let own = [("Cookie", cookie.as_str()), ("Origin", stack.site.as_str())];
    assert_eq!(vote(&stack.site, &own, &poll, 0)?.0, 200);

    // Minting is limited per identity: the fourth token in a minute waits, and says how long.
    for n in 0..3 {
        let (status, _, body) = http_with("POST", &format!("{}/api/chat/token", stack.site), &own, "")?;
        assert_eq!(status, 200, "token {n}: {body}");
    }
    let (status, head, body) = http_with("POST", &format!("{}/api/chat/token", stack.site), &own, "")?;
    assert_eq!(status, 429, "{body}");
    let retry: u64 = head.lines().find_map(|l| l.strip_prefix("retry-after: ")).and_then(|v| v.trim().parse().ok()).expect("Retry-After");
    assert!((1..=20).contains(&retry), "{retry}");
    assert!(body.contains("too many chat tokens"), "{body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_runs_under_its_strict_policy_and_an_injected_script_is_blocked() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let (_, head, _) = http_with("GET", &format!("{}/", stack.site), &[], "")?;
    let csp = head.lines().find_map(|l| l.strip_prefix("content-security-policy: ")).expect("a CSP on the page").to_owned();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';") && csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert!(head.contains("x-content-type-options: nosniff") && head.contains("referrer-policy: strict-origin-when-cross-origin"), "{head}");
    let (_, embed_head, _) = http_with("GET", &format!("{}/embed", stack.site), &[], "")?;
    assert!(embed_head.contains("frame-ancestors *"), "the embed code is meant to be pasted anywhere: {embed_head}");

    let chromium = Chromium::launch().await?;
    // The harness records every page's policy violations from its first script on.
    let page = chromium.open(&stack.site).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(10)).await?;
    stack.publish_poll(POLL)?;
    wait_for(&page, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(5)).await?;
    page.find_elements("[data-testid=poll-choice]").await?[2].click().await?;
    wait_for(&page, "(document.querySelector('[data-testid=poll-notice]')?.textContent ?? '').includes('counted')", Duration::from_secs(5)).await?;
    let violations: Vec<String> = eval(&page, "window.__cspViolations").await?;
    assert!(violations.is_empty(), "the viewer needs nothing its policy forbids: {violations:?}");
    // An inline script someone managed to inject does not run.
    eval::<bool>(
        &page,
        "(() => { const s = document.createElement('script'); s.textContent = 'window.__injected = true'; document.body.append(s); return true; })()",
    )
    .await?;
    wait_for(&page, "window.__cspViolations.some(v => v.startsWith('script-src'))", Duration::from_secs(5)).await?;
    assert!(!eval::<bool>(&page, "window.__injected === true").await?, "the injected script ran");
    // That violation was this test's own doing.
    eval::<bool>(&page, "(window.__cspViolations = [], true)").await?;

    // A crafted link naming a stream the site does not offer plays the site's own channel: were
    // the link obeyed, the page would play nothing (nothing answers at the named address).
    let crafted = chromium.open(&format!("{}/?muted=1&playbackUrl=http://localhost:9/api/video/v1/theirs.m3u8", stack.site)).await?;
    wait_for(&crafted, PLAYING, Duration::from_secs(20)).await?;
    assert!(eval::<bool>(&crafted, "document.querySelector('video').muted").await?, "the harmless parameters still apply");
    let violations: Vec<String> = eval(&crafted, "window.__cspViolations").await?;
    assert!(violations.is_empty(), "nothing was even tried at the named address: {violations:?}");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn viewers_without_an_identity_do_not_share_one_token_budget() -> anyhow::Result<()> {
    // A private channel everyone may watch: a request without an identity yet is limited by its
    // address (600 a minute), not by one per-identity bucket (100 here) that every such viewer
    // would share.
    let site = SiteOptions { extra: "[limits]\ntokens_per_minute = 100\n".into(), ..Default::default() };
    let stack = Stack::builder().local_args(&["--private"]).site(site).start()?;
    for n in 0..120 {
        let (status, _, body) = http_with("POST", &format!("{}/api/playback-token", stack.site), &[], "")?;
        assert_eq!(status, 200, "token {n}: {body}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_instance_on_one_redis_lists_the_same_past_broadcasts() -> anyhow::Result<()> {
    let redis = Redis::start()?;
    let site = SiteOptions { redis_url: Some(redis.url()), ..Default::default() };
    let stack = Stack::builder().recording().site(site).start()?;
    let other = stack.start_site_instance(ivs_e2e::free_port(), |config| config)?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    stack.set_live(false)?;
    // The local IVS delivers the recording's events to the first instance only.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, _, body) = http_with("GET", &format!("{}/api/recordings", other.url), &[], "")?;
        let page: serde_json::Value = serde_json::from_str(&body)?;
        if page["recordings"][0]["state"] == "ready" {
            let (_, _, first) = http_with("GET", &format!("{}/api/recordings", stack.site), &[], "")?;
            let first: serde_json::Value = serde_json::from_str(&first)?;
            assert_eq!(first["recordings"], page["recordings"], "both instances list the same");
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the other instance never listed the ended broadcast: {page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
