//! End to end: real-time stages on the local IVS. The official AWS SDK for Rust runs the control
//! plane (and a restart keeps it); a browser publishes its camera by WHIP and another watches it
//! through the SFU; tokens are refused as IVS refuses them; `DisconnectParticipant` ends a
//! participant's media; the stage's events reach the event target.

use std::time::Duration;

use aws_sdk_ivsrealtime::types::{ParticipantState, ParticipantTokenCapability as Capability, ParticipantTokenConfiguration};
use ivs_e2e::stage::{publish, publish_sized, subscribe, unpublish, video_moving};
use ivs_e2e::{eval, http_with, ivsrealtime_client, wait_for, Chromium, EventSink, Stack, STAGE_ARN};

fn code<E: aws_sdk_ivsrealtime::error::ProvideErrorMetadata + std::fmt::Debug>(error: &aws_sdk_ivsrealtime::error::SdkError<E>) -> String {
    match error {
        aws_sdk_ivsrealtime::error::SdkError::ServiceError(e) => e.err().code().unwrap_or_default().to_owned(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_sdk_runs_stages_and_a_restart_keeps_them() -> anyhow::Result<()> {
    let mut stack = Stack::builder().offline().start()?;
    let rt = ivsrealtime_client(&stack).await;
    let host = ParticipantTokenConfiguration::builder().user_id("host").capabilities(Capability::Publish).duration(60).build();
    let created = rt.create_stage().name("show").tags("team", "live").participant_token_configurations(host).send().await?;
    let stage = created.stage().expect("a stage");
    let arn = stage.arn().to_owned();
    assert!(arn.starts_with("arn:aws:ivs:us-east-1:000000000000:stage/"), "{arn}");
    assert_eq!(stage.endpoints().and_then(|e| e.whip()), Some(format!("{}/whip", stack.api).as_str()));
    assert_eq!(stage.active_session_id(), None, "no session before anyone joins");
    let tokens = created.participant_tokens();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].capabilities(), [Capability::Publish]);
    assert_eq!((tokens[0].user_id(), tokens[0].duration()), (Some("host"), Some(60)));
    let claims = tokens[0].token().and_then(|t| t.split('.').nth(1)).expect("a JWT");
    let claims: serde_json::Value = serde_json::from_slice(&base64_url(claims))?;
    assert_eq!(claims["whip_url"], format!("{}/whip", stack.api));
    assert_eq!((claims["resource"].as_str(), claims["jti"].as_str()), (Some(arn.as_str()), tokens[0].participant_id()));
    let old_token = tokens[0].token().unwrap_or_default().to_owned();

    rt.update_stage().arn(&arn).name("renamed").send().await?;
    rt.tag_resource().resource_arn(&arn).tags("tier", "gold").send().await?;
    let listed = rt.list_stages().send().await?;
    assert!(listed.stages().iter().any(|s| s.arn() == arn && s.name() == Some("renamed")));

    // Refusals, in IVS's words.
    let too_long = rt.create_participant_token().stage_arn(&arn).duration(20_161).send().await.expect_err("over 14 days");
    assert_eq!(code(&too_long), "ValidationException");
    let missing = rt.get_stage().arn("arn:aws:ivs:us-east-1:000000000000:stage/none").send().await.expect_err("no such stage");
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let sessions = rt.list_stage_sessions().stage_arn(&arn).send().await?;
    assert!(sessions.stage_sessions().is_empty());

    // A restart keeps the stage, its name and tags, and the tokens it signed.
    stack.restart()?;
    let rt = ivsrealtime_client(&stack).await;
    let kept = rt.get_stage().arn(&arn).send().await?;
    assert_eq!(kept.stage().and_then(|s| s.name()), Some("renamed"));
    let tags = rt.list_tags_for_resource().resource_arn(&arn).send().await?;
    assert_eq!(tags.tags().get("team").map(String::as_str), Some("live"));
    assert_eq!(tags.tags().get("tier").map(String::as_str), Some("gold"));
    let whip = format!("{}/whip", stack.api);
    let not_sdp = http_with("POST", &whip, &[("Authorization", &format!("Bearer {old_token}"))], "hello")?;
    assert_eq!(not_sdp.0, 400, "the token signed before the restart is accepted; the body is not an offer: {not_sdp:?}");

    rt.delete_stage().arn(&arn).send().await?;
    let gone = rt.get_stage().arn(&arn).send().await.expect_err("deleted");
    assert_eq!(code(&gone), "ResourceNotFoundException");
    let deleted = http_with("POST", &whip, &[("Authorization", &format!("Bearer {old_token}"))], "v=0\r\n")?;
    assert_eq!(deleted.0, 404, "a deleted stage's token: {deleted:?}");
    Ok(())
}

/// `token` with its claims changed by `change`, signed again with the local IVS's own key (kept in
/// its data directory), as only the local IVS could sign it.
fn resigned(stack: &Stack, token: &str, change: impl FnOnce(&mut serde_json::Value)) -> anyhow::Result<String> {
    use base64::Engine;
    use p384::ecdsa::signature::Signer;
    use p384::pkcs8::DecodePrivateKey;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let key = p384::ecdsa::SigningKey::from_pkcs8_pem(&std::fs::read_to_string(stack.local_data.join("stage-token-key.pem"))?)?;
    let mut parts = token.split('.');
    let (header, claims) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(claims)?)?;
    change(&mut claims);
    let signed = format!("{header}.{}", engine.encode(serde_json::to_vec(&claims)?));
    let signature: p384::ecdsa::Signature = key.sign(signed.as_bytes());
    Ok(format!("{signed}.{}", engine.encode(signature.to_bytes())))
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap_or_default()
}

async fn token(rt: &aws_sdk_ivsrealtime::Client, arn: &str, user: &str, capabilities: &[Capability]) -> anyhow::Result<(String, String)> {
    let token = rt.create_participant_token().stage_arn(arn).user_id(user).set_capabilities(Some(capabilities.to_vec())).send().await?;
    let token = token.participant_token().expect("a token");
    Ok((token.token().unwrap_or_default().to_owned(), token.participant_id().unwrap_or_default().to_owned()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_publishes_by_whip_and_another_watches_through_the_sfu() -> anyhow::Result<()> {
    let sink = EventSink::start().await?;
    let stack = Stack::builder().offline().local_args(&["--event-target", &sink.url, "--stage-session-idle-secs", "1"]).start()?;
    let rt = ivsrealtime_client(&stack).await;
    let arn = rt.create_stage().name("studio").send().await?.stage().map(|s| s.arn().to_owned()).unwrap_or_default();
    let other = rt.create_stage().name("elsewhere").send().await?.stage().map(|s| s.arn().to_owned()).unwrap_or_default();
    let whip = format!("{}/whip", stack.api);
    let (host_token, host) = token(&rt, &arn, "host", &[Capability::Publish]).await?;
    let (viewer_token, viewer) = token(&rt, &arn, "viewer", &[Capability::Subscribe]).await?;

    let chromium = Chromium::launch().await?;
    // Pages of the local IVS's own origin: a secure context (loopback), where a camera may be used.
    let health = format!("{}/_local/health", stack.api);
    let host_page = chromium.open_isolated(&health).await?;
    let viewer_page = chromium.open_isolated(&health).await?;

    assert_eq!(subscribe(&viewer_page, &whip, &viewer_token, &host, "early").await?, 404, "nobody publishes yet");
    assert_eq!(publish(&host_page, &whip, &host_token).await?, 201);
    let session = wait_published(&rt, &arn, &host).await?;

    // Refused: forged, a subscribe-only token publishing, a publish-only token subscribing,
    // another stage's token.
    let forged = format!("{}.{}", host_token.rsplit_once('.').map(|(signed, _)| signed).unwrap_or_default(), "AAAA");
    assert_eq!(subscribe(&viewer_page, &whip, &forged, &host, "forged").await?, 401);
    // The local IVS's own signature on a pass whose time is up.
    let expired = resigned(&stack, &viewer_token, |claims| claims["exp"] = (claims["iat"].as_u64().unwrap_or(1) - 1).into())?;
    assert_eq!(subscribe(&viewer_page, &whip, &expired, &host, "expired").await?, 401);
    let still_good = resigned(&stack, &viewer_token, |_| {})?;
    // (Unchanged, the re-signed pass is admitted: refused only because nobody by that ID publishes.)
    assert_eq!(subscribe(&viewer_page, &whip, &still_good, "nobody", "resigned").await?, 404, "the re-signing itself is sound");
    assert_eq!(publish(&viewer_page, &whip, &viewer_token).await?, 403);
    assert_eq!(subscribe(&viewer_page, &whip, &host_token, &host, "publish-only").await?, 403);
    let (elsewhere_token, _) = token(&rt, &other, "stranger", &[Capability::Subscribe]).await?;
    assert_eq!(subscribe(&viewer_page, &whip, &elsewhere_token, &host, "elsewhere").await?, 404, "the host is not on that stage");

    // Over 720p is refused as IVS refuses it: the publisher's connection ends, with a
    // PUBLISH_ERROR it can read.
    let (big_token, big) = token(&rt, &arn, "big", &[Capability::Publish]).await?;
    assert_eq!(publish_sized(&viewer_page, &whip, &big_token, 1920, 1080).await?, 201);
    let refused = wait_event(&rt, &arn, &session, &big, "PUBLISH_ERROR").await?;
    assert_eq!(refused.error_code().map(|c| c.as_str()), Some("RESOLUTION_EXCEEDED"));
    wait_left(&rt, &arn, &session, &big).await?;

    // The viewer sees the host's camera, moving.
    assert_eq!(subscribe(&viewer_page, &whip, &viewer_token, &host, "host").await?, 201);
    wait_for(&viewer_page, &video_moving("host", 0.5), Duration::from_secs(15)).await?;
    let size: (u32, u32) = eval(&viewer_page, "[document.getElementById('host').videoWidth, document.getElementById('host').videoHeight]").await?;
    assert!(size.0 >= 320 && size.1 >= 180, "{size:?}");
    // And hears its tone, with its loudness (the audio-level extension the SFU keeps).
    let heard = "window.__sub.host.getReceivers().some(r => r.track.kind === 'audio' && r.getSynchronizationSources().some(s => s.audioLevel > 0))";
    wait_for(&viewer_page, heard, Duration::from_secs(10)).await?;

    let viewers = rt.list_participants().stage_arn(&arn).session_id(&session).filter_by_user_id("viewer").send().await?;
    assert_eq!(viewers.participants().first().and_then(|p| p.state()), Some(&ParticipantState::Connected));
    let events = rt.list_participant_events().stage_arn(&arn).session_id(&session).participant_id(&viewer).send().await?;
    let names: Vec<&str> = events.events().iter().filter_map(|e| e.name()).map(|n| n.as_str()).collect();
    assert_eq!(names, ["JOINED", "SUBSCRIBE_STARTED"]);
    let events = rt.list_participant_events().stage_arn(&arn).session_id(&session).participant_id(&host).send().await?;
    let refused = events.events().iter().find(|e| e.name().map(|n| n.as_str()) == Some("SUBSCRIBE_ERROR")).expect("the host's refused subscription is listed");
    assert_eq!(refused.error_code().map(|c| c.as_str()), Some("INSUFFICIENT_CAPABILITIES"));
    assert_eq!(refused.remote_participant_id(), Some(host.as_str()));

    // A second viewer joins while the first watches; the first leaves by WHIP DELETE.
    let (second_token, _) = token(&rt, &arn, "second", &[Capability::Subscribe]).await?;
    assert_eq!(subscribe(&host_page, &whip, &second_token, &host, "second").await?, 201);
    wait_for(&host_page, &video_moving("second", 0.5), Duration::from_secs(15)).await?;
    let delete = format!("fetch(window.__subAt.host, {{ method: 'DELETE', headers: {{ Authorization: 'Bearer ' + {second_token:?} }} }}).then(r => r.status)");
    assert_eq!(eval::<u16>(&viewer_page, &delete).await?, 403, "another participant's connection");
    let delete = format!("fetch(window.__subAt.host, {{ method: 'DELETE', headers: {{ Authorization: 'Bearer ' + {viewer_token:?} }} }}).then(r => r.status)");
    assert_eq!(eval::<u16>(&viewer_page, &delete).await?, 200);
    wait_left(&rt, &arn, &session, &viewer).await?;

    // DisconnectParticipant ends the host's media: the second viewer's connection ends with it,
    // and the host's token is refused from then on.
    rt.disconnect_participant().stage_arn(&arn).participant_id(&host).reason("test").send().await?;
    wait_left(&rt, &arn, &session, &host).await?;
    wait_for(&host_page, "!window.__sub.second.getReceivers().some(r => r.track.readyState === 'live' && !r.track.muted) || ['closed','failed','disconnected'].includes(window.__sub.second.connectionState)", Duration::from_secs(20)).await?;
    assert_eq!(publish(&host_page, &whip, &host_token).await?, 403, "a disconnected participant's token");

    // With nobody left the session ends.
    eval::<bool>(&host_page, "Object.values(window.__sub).forEach(pc => pc.close()), true").await?;
    let ended = sink.wait_for(&arn, "Session Ended", Duration::from_secs(60)).await?;
    assert_eq!(ended["detail"]["session_id"], session.as_str());
    let names: Vec<String> = sink.names(&arn).into_iter().filter(|(kind, _)| kind == "IVS Stage Update").map(|(_, name)| name).collect();
    for expected in ["Session Created", "Participant Joined", "Participant Published", "Participant Subscribed", "Participant Unpublished", "Participant Left"]
    {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    chromium.close().await;
    Ok(())
}

/// Waits until participant `participant` has left session `session`.
async fn wait_left(rt: &aws_sdk_ivsrealtime::Client, arn: &str, session: &str, participant: &str) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let p = rt.get_participant().stage_arn(arn).session_id(session).participant_id(participant).send().await?;
        if p.participant().and_then(|p| p.state()) == Some(&ParticipantState::Disconnected) {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{participant} never left");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until participant `participant` has an event named `name`; answers it.
async fn wait_event(
    rt: &aws_sdk_ivsrealtime::Client,
    arn: &str,
    session: &str,
    participant: &str,
    name: &str,
) -> anyhow::Result<aws_sdk_ivsrealtime::types::Event> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = rt.list_participant_events().stage_arn(arn).session_id(session).participant_id(participant).send().await?;
        if let Some(event) = events.events().iter().find(|e| e.name().map(|n| n.as_str()) == Some(name)) {
            return Ok(event.clone());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{participant} never had {name}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until participant `participant` publishes on `arn`; answers the session's ID.
async fn wait_published(rt: &aws_sdk_ivsrealtime::Client, arn: &str, participant: &str) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let stage = rt.get_stage().arn(arn).send().await?;
        if let Some(session) = stage.stage().and_then(|s| s.active_session_id()) {
            let published = rt.list_participants().stage_arn(arn).session_id(session).filter_by_published(true).send().await?;
            if published.participants().iter().any(|p| p.participant_id() == Some(participant)) {
                return Ok(session.to_owned());
            }
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{participant} never published on {arn}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_shows_each_host_as_they_come_and_go() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().local_args(&["--stage-host", "--stage-session-idle-secs", "1"]).start()?;
    // The site gives a viewer SUBSCRIBE only, its host PUBLISH too.
    let viewer = stack.stage_token("viewer-1")?;
    assert_eq!(viewer["capabilities"], serde_json::json!(["SUBSCRIBE"]));
    let host = stack.stage_token("host")?;
    assert_eq!(host["capabilities"], serde_json::json!(["PUBLISH", "SUBSCRIBE"]));

    let chromium = Chromium::launch().await?;
    // The channel's page leads to the stage (the site names one), the stage back to the channel.
    let page = chromium.open(&format!("{}/", stack.site)).await?;
    let to_stage = "document.querySelector('[data-testid=site-links] a[href=\"/stage\"]')";
    wait_for(&page, &format!("{to_stage} !== null"), Duration::from_secs(20)).await?;
    eval::<bool>(&page, &format!("{to_stage}.click(), true")).await?;
    // The built-in host's picture, moving.
    let tiles = "document.querySelectorAll('[data-testid=stage-tile]').length";
    wait_for(&page, &format!("{tiles} === 1"), Duration::from_secs(30)).await?;
    let first_moving = "(() => { const v = document.querySelector('[data-testid=stage-tile] video'); return v.videoWidth > 0 && v.currentTime > 0.5; })()";
    wait_for(&page, first_moving, Duration::from_secs(20)).await?;
    let name: String = eval(&page, "document.querySelector('.stage-name').textContent").await?;
    assert_eq!(name, "local-host");
    let back: String = eval(&page, "document.querySelector('[data-testid=site-links] a').textContent").await?;
    assert_eq!(back, "Watch the channel");
    // The stage page starts no channel player: no start-up stand-in, no video but the tiles'.
    let channel_player: bool =
        eval(&page, "document.getElementById('ivs-boot') !== null || document.querySelectorAll('video:not([data-testid=stage-tile] video)').length > 0")
            .await?;
    assert!(!channel_player, "the stage page started the channel's player");

    // A host publishes from another browser: a second tile appears, without a reload.
    let host_page = chromium.open_isolated(&format!("{}/_local/health", stack.api)).await?;
    let token = host["token"].as_str().unwrap_or_default();
    let whip = format!("{}/whip", stack.api);
    assert_eq!(publish(&host_page, &whip, token).await?, 201);
    wait_for(&page, &format!("{tiles} === 2"), Duration::from_secs(20)).await?;
    let second = format!("document.querySelector('[data-participant=\"{}\"]')", host["participantId"].as_str().unwrap_or_default());
    wait_for(
        &page,
        &format!("(() => {{ const v = {second}?.querySelector('video'); return !!v && v.videoWidth > 0 && v.currentTime > 0.5; }})()"),
        Duration::from_secs(20),
    )
    .await?;
    let columns: String = eval(&page, "getComputedStyle(document.querySelector('.stage-grid')).gridTemplateColumns.split(' ').length.toString()").await?;
    assert_eq!(columns, "2", "two hosts side by side");
    // The browser host makes a sound (the built-in one is silent): it takes the spotlight.
    wait_for(&page, &format!("{second}.classList.contains('spotlight')"), Duration::from_secs(10)).await?;
    let spotlit: usize = eval(&page, "document.querySelectorAll('.stage-tile.spotlight').length").await?;
    assert_eq!(spotlit, 1);

    // The viewer is put off the stage (DisconnectParticipant): its tiles say so, the stage refuses
    // its old pass, and it comes back by itself with a new one.
    let rt = ivsrealtime_client(&stack).await;
    let session = rt.get_stage().arn(STAGE_ARN).send().await?.stage().and_then(|s| s.active_session_id()).map(str::to_owned).expect("a session");
    let watching = |rt: aws_sdk_ivsrealtime::Client, session: String| async move {
        let listed = rt.list_participants().stage_arn(STAGE_ARN).session_id(session).filter_by_state(ParticipantState::Connected).send().await?;
        let ids: Vec<String> = listed.participants().iter().filter(|p| !p.published()).filter_map(|p| p.participant_id().map(str::to_owned)).collect();
        anyhow::Ok(ids)
    };
    let before = watching(rt.clone(), session.clone()).await?;
    assert_eq!(before.len(), 1, "the page watches as one participant: {before:?}");
    rt.disconnect_participant().stage_arn(STAGE_ARN).participant_id(&before[0]).reason("test").send().await?;
    wait_for(&page, "document.querySelector('[data-testid=stage-tile][data-state=failed]') !== null", Duration::from_secs(10)).await?;
    let said: String = eval(&page, "document.querySelector('[data-testid=stage-tile][data-state=failed] .stage-tile-status').textContent").await?;
    assert!(said.contains("reconnecting"), "{said}");
    wait_for(&page, "document.querySelectorAll('[data-testid=stage-tile][data-state=connected]').length === 2", Duration::from_secs(30)).await?;
    wait_for(&page, first_moving, Duration::from_secs(10)).await?;
    let after = watching(rt.clone(), session.clone()).await?;
    assert!(after.len() == 1 && after != before, "back with a new pass: {before:?} → {after:?}");

    // A poll and a notice on the stage travel through the room (a stage has no timed metadata):
    // shown under the grid, never over a face, and voted on.
    wait_for(&page, "document.querySelector('[data-testid=chat-state]')?.dataset.state === 'connected'", Duration::from_secs(15)).await?;
    let (status, answer) = stack.publish_on_stage(r#"{"type":"poll","question":"Who sings next?","options":["Ana","Ben","Cy"],"duration":120}"#)?;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = stack.publish_on_stage(r#"{"type":"notice","text":"Backstage pass raffle at the break","duration":120}"#)?;
    assert_eq!(status, 200, "{answer}");
    wait_for(&page, "document.querySelectorAll('[data-testid=stage-board] [data-testid=poll-choice]').length === 3", Duration::from_secs(15)).await?;
    wait_for(&page, "document.querySelector('[data-testid=stage-board]').textContent.includes('Backstage pass raffle')", Duration::from_secs(5)).await?;
    let (card_top, grid_bottom): (f64, f64) = eval(
        &page,
        "[document.querySelector('[data-testid=poll]').getBoundingClientRect().top, document.querySelector('.stage-grid').getBoundingClientRect().bottom]",
    )
    .await?;
    assert!(card_top >= grid_bottom, "the poll card ({card_top}) covers the tiles (to {grid_bottom})");
    eval::<bool>(&page, "document.querySelectorAll('[data-testid=poll-choice]')[1].click(), true").await?;
    wait_for(&page, "document.querySelectorAll('[data-testid=poll-percent]')[1]?.textContent === '100%'", Duration::from_secs(10)).await?;
    // The channel's viewers are not shown the stage's poll.
    let (_, _, channel_state) = http_with("GET", &format!("{}/api/state", stack.site), &[], "")?;
    assert!(!channel_state.contains("Who sings next?"), "{channel_state}");

    // On a phone (360×740): both hosts, nothing wider than the screen, controls big enough to touch;
    // a viewer who arrives after the poll went out finds it, with the votes so far.
    let phone = chromium.open_as_device(&format!("{}/stage", stack.site), 360, 740, true).await?;
    wait_for(&phone, &format!("{tiles} === 2"), Duration::from_secs(20)).await?;
    wait_for(&phone, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(15)).await?;
    eval::<bool>(&phone, "document.querySelectorAll('[data-testid=poll-choice]')[1].click(), true").await?;
    wait_for(&phone, "document.querySelector('[data-testid=poll-total]')?.textContent.includes('2')", Duration::from_secs(10)).await?;
    let (widest, smallest_button): (f64, f64) = eval(
        &phone,
        "[Math.max(...[...document.querySelectorAll('[data-testid=stage-tile]')].map(t => t.getBoundingClientRect().right)), \
          Math.min(...[...document.querySelectorAll('.stage-tile-controls button')].map(b => Math.min(b.offsetWidth, b.offsetHeight)))]",
    )
    .await?;
    assert!(widest <= 360.0, "a tile reaches {widest}px on a 360px screen");
    assert!(smallest_button >= 44.0, "a tile button is {smallest_button}px");

    // Unmuting one tile is that tile's alone.
    eval::<bool>(&page, &format!("{second}.querySelector('[data-testid=tile-mute]').click(), true")).await?;
    let muted: Vec<bool> = eval(&page, "[...document.querySelectorAll('[data-testid=stage-tile] video')].map(v => v.muted)").await?;
    assert_eq!(muted.iter().filter(|m| !**m).count(), 1, "{muted:?}");
    // By keyboard, as on the channel: M on the tile that has the focus.
    let unmuted = "[...document.querySelectorAll('[data-testid=stage-tile] video')].filter(v => !v.muted).length";
    let first = page.find_element("[data-testid=stage-tile]:not(.spotlight)").await?;
    first.focus().await?.press_key("m").await?;
    wait_for(&page, &format!("{unmuted} === 2"), Duration::from_secs(5)).await?;
    first.press_key("m").await?;
    wait_for(&page, &format!("{unmuted} === 1"), Duration::from_secs(5)).await?;

    // The host leaves: its tile goes.
    unpublish(&host_page).await.ok();
    wait_for(&page, &format!("{tiles} === 1"), Duration::from_secs(30)).await?;
    let status: String = eval(&page, "document.querySelector('[data-testid=stage-status]').textContent").await?;
    assert!(status.is_empty(), "{status}");
    chromium.close().await;
    Ok(())
}
