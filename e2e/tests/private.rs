//! End to end: a private channel. The viewer fetches a playback token (ES384 JWT) from the site
//! backend and plays; the token opens a playback session, which outlives the token as on IVS;
//! when the session is revoked the viewer fetches a new token and plays on; the playback origin
//! refuses a playlist without a valid token and a rendition outside a session.

use std::time::Duration;

use ivs_e2e::{eval, http, http_with, open_playing, wait_for, Chromium, Stack, PLAYING};

fn token(stack: &Stack) -> anyhow::Result<String> {
    let (status, body) = http("POST", &format!("{}/api/playback-token", stack.site), "")?;
    anyhow::ensure!(status == 200, "token endpoint: {status} {body}");
    let body: serde_json::Value = serde_json::from_str(&body)?;
    Ok(body["token"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_channel_plays_with_a_token_and_refuses_without() -> anyhow::Result<()> {
    let stack = Stack::builder().local_args(&["--private"]).start()?;
    let url = stack.playback_url();

    // None, forged, wrong origin: refused. A valid token: the playlist.
    assert_eq!(http("GET", &url, "")?.0, 403, "no token");
    assert_eq!(http("GET", &format!("{url}?token=eyJhbGciOiJFUzM4NCJ9.e30.AAAA"), "")?.0, 403, "forged");
    let token = token(&stack)?;
    let claims = token.split('.').nth(1).unwrap_or_default();
    assert!(!claims.is_empty());
    let (status, _, body) = http_with("GET", &format!("{url}?token={token}"), &[("Origin", &stack.site)], "")?;
    assert_eq!(status, 200);
    assert!(body.starts_with("#EXTM3U"));
    // The renditions are reached through the session the token opened, not without it.
    let rendition = body.lines().find(|l| l.starts_with("local/r/")).unwrap_or_default();
    assert!(rendition.contains("?session=") && !rendition.contains("token"), "{rendition}");
    let base = url.rsplit_once('/').map(|(base, _)| base).unwrap_or_default();
    assert_eq!(http("GET", &format!("{base}/{rendition}"), "")?.0, 200, "in the session");
    let bare = rendition.split('?').next().unwrap_or_default();
    assert_eq!(http("GET", &format!("{base}/{bare}"), "")?.0, 403, "no session");
    assert_eq!(http("GET", &format!("{base}/{bare}?session=guessed"), "")?.0, 403, "a made-up session");
    let (status, _, _) = http_with("GET", &format!("{url}?token={token}"), &[("Origin", "https://evil.example")], "")?;
    assert_eq!(status, 403, "the token is bound to the site's origin");
    let channel = ivs_e2e::ivs_client(&stack).await.get_channel().arn("arn:aws:ivs:us-east-1:000000000000:channel/local").send().await?;
    assert_eq!(channel.channel().map(|c| c.authorized()), Some(true));

    // The viewer fetches a token and plays.
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    // It could only play with a token (the origin refuses the playlist without one): it fetched one.
    let fetched: usize = eval(&page, "performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/playback-token')).length").await?;
    assert!(fetched >= 1);
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_outlived_goes_on_and_a_revoked_session_gets_a_new_token() -> anyhow::Result<()> {
    let tokens = "performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/playback-token')).length";
    // Tokens valid for 4 s: the session they open goes on past that, as on IVS.
    let site = ivs_e2e::SiteOptions { playback_token_ttl_secs: Some(4), ..Default::default() };
    let stack = Stack::builder().local_args(&["--private"]).site(site).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    let before: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(eval::<bool>(&page, PLAYING).await?, "still playing after the token expired");
    assert!(eval::<f64>(&page, "document.querySelector('video').currentTime").await? > before + 6.0);
    assert_eq!(eval::<usize>(&page, tokens).await?, 1, "no new token needed");
    chromium.close().await;
    drop(stack);

    // Sessions revoked after 4 s: the player is refused, the viewer fetches a new token (its
    // first one has expired by then too) and plays on.
    let site = ivs_e2e::SiteOptions { playback_token_ttl_secs: Some(4), ..Default::default() };
    let stack = Stack::builder().local_args(&["--private", "--playback-session-secs", "4"]).site(site).start()?;
    let chromium = Chromium::launch().await?;
    let page = open_playing(&chromium, &stack).await?;
    wait_for(&page, &format!("{tokens} >= 2"), Duration::from_secs(20)).await?;
    let before: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    wait_for(&page, PLAYING, Duration::from_secs(10)).await?;
    wait_for(&page, &format!("document.querySelector('video').currentTime > {before} + 2"), Duration::from_secs(10)).await?;
    assert_eq!(eval::<String>(&page, "document.querySelector('[data-testid=status]').dataset.state").await?, "Playing");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_the_backend_gives_no_token_is_told_it_is_not_authorised() -> anyhow::Result<()> {
    // Only the subscriber gets tokens; everyone else is refused by the backend, then by the channel.
    let site = ivs_e2e::SiteOptions { subscribers: vec![ivs_e2e::MODERATOR.into()], ..Default::default() };
    let stack = Stack::builder().local_args(&["--private"]).site(site).start()?;
    let chromium = Chromium::launch().await?;
    let page = chromium.open_isolated(&stack.site).await?;
    wait_for(&page, "document.querySelector('[data-testid=status]')?.dataset.state === 'Error'", Duration::from_secs(20)).await?;
    let slate: String = eval(&page, "document.body.textContent").await?;
    assert!(slate.contains("not authorised"), "the viewer is told: {slate}");
    // The subscriber, signed in, plays.
    let subscriber = chromium.open_isolated(&stack.sign_in_url(ivs_e2e::MODERATOR)).await?;
    wait_for(&subscriber, PLAYING, Duration::from_secs(20)).await?;
    chromium.close().await;
    Ok(())
}

/// An operator imports the key pair themselves (the official SDK's `ImportPlaybackKeyPair`) and
/// gives the server the private half and the pair's ARN: the server then imports nothing (its AWS
/// policy can leave both key-pair actions out), and its tokens open the channel. Given the ARN but
/// no key file, it does not start, and says why.
#[tokio::test(flavor = "multi_thread")]
async fn an_operator_imported_key_pair_signs_tokens_and_the_server_imports_nothing() -> anyhow::Result<()> {
    use p384::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let stack = Stack::builder().local_args(&["--private"]).start()?;
    let ivs = ivs_e2e::ivs_client(&stack).await;
    let key = p384::ecdsa::SigningKey::random(&mut p384::elliptic_curve::rand_core::OsRng);
    let public = key.verifying_key().to_public_key_pem(LineEnding::LF)?;
    let imported = ivs.import_playback_key_pair().public_key_material(public).name("imported-by-the-operator").send().await?;
    let arn = imported.key_pair().and_then(|k| k.arn()).unwrap_or_default().to_owned();
    assert!(arn.contains(":playback-key/"), "{arn}");
    let pairs = || async { Ok::<_, anyhow::Error>(ivs.list_playback_key_pairs().send().await?.key_pairs().len()) };
    let before = pairs().await?;

    let dir = stack.config.parent().expect("the configuration's folder").join("operator");
    std::fs::create_dir_all(&dir)?;
    let key_file = dir.join("imported.pem");
    std::fs::write(&key_file, key.to_pkcs8_pem(LineEnding::LF)?.as_bytes())?;
    let port = ivs_e2e::free_port();
    let with_key = |file: &std::path::Path| {
        let line = format!("[channel]\nplayback_key = {:?}\nplayback_key_pair_arn = \"{arn}\"\n", file.display().to_string());
        // Its own data directory (the embedded store is one instance's).
        let data = format!("data_dir = {:?}", dir.join(format!("data-{}", file.display().to_string().len())).display().to_string());
        move |text: String| {
            let old = text.lines().find(|l| l.starts_with("data_dir = ")).unwrap_or_default().to_owned();
            text.replace("[channel]\n", &line).replace(&old, &data)
        }
    };
    let instance = stack.start_site_instance(port, with_key(&key_file))?;
    assert_eq!(pairs().await?, before, "the server imported no key pair of its own");
    let (status, body) = http("POST", &format!("{}/api/playback-token", instance.url), "")?;
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body)?;
    let token = token["token"].as_str().unwrap_or_default();
    let url = stack.playback_url();
    let (status, _, playlist) = http_with("GET", &format!("{url}?token={token}"), &[("Origin", &instance.url)], "")?;
    assert_eq!(status, 200, "IVS checks the token against the operator's key pair");
    assert!(playlist.starts_with("#EXTM3U"));
    drop(instance);

    // The ARN without the key: refused at start, in words.
    let missing = dir.join("not-there.pem");
    let refused = stack.start_site_instance(ivs_e2e::free_port(), with_key(&missing));
    let error = format!("{:#}", refused.err().expect("no key, no start"));
    assert!(error.contains("cannot read the playback key") && error.contains("not-there.pem"), "{error}");
    assert!(!missing.exists(), "the server made no key of its own");
    Ok(())
}
