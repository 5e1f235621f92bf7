//! The local stack as a process: its IVS API through the official Rust SDK and the AWS SDK for
//! JavaScript v3 (only the endpoint overridden), its start-up errors and its shutdown.

use std::time::Duration;

use aws_sdk_ivs::error::ProvideErrorMetadata;
use aws_sdk_ivs::types::{StreamHealth, StreamState};
use ivs_e2e::{http, ivs_client, Stack};

const ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

#[tokio::test(flavor = "multi_thread")]
async fn get_channel_and_get_stream_describe_the_live_channel() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let ivs = ivs_client(&stack).await;

    let channel = ivs.get_channel().arn(ARN).send().await?.channel.expect("a channel");
    assert_eq!(channel.arn(), Some(ARN));
    assert_eq!(channel.playback_url(), Some(stack.playback_url().as_str()));

    let stream = ivs.get_stream().channel_arn(ARN).send().await?.stream.expect("a stream");
    assert_eq!(stream.state(), Some(&StreamState::StreamLive));
    assert_eq!(stream.health(), Some(&StreamHealth::StreamHealthy));
    assert!(stream.stream_id().is_some_and(|id| id.starts_with("st-") && id.len() == 26));
    assert!(stream.start_time().is_some());
    assert_eq!(stream.playback_url(), Some(stack.playback_url().as_str()));

    let missing = ivs.get_channel().arn("arn:aws:ivs:us-east-1:000000000000:channel/nope").send().await.unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));

    stack.set_live(false)?;
    let offline = ivs.get_stream().channel_arn(ARN).send().await.unwrap_err();
    assert_eq!(offline.code(), Some("ChannelNotBroadcasting"));
    let (status, _) = http("GET", &stack.playback_url(), "")?;
    assert_eq!(status, 404, "an offline channel's playlist is not found");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_enforces_the_ivs_limits() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let ivs = ivs_client(&stack).await;

    let too_big = "x".repeat(1025);
    let err = ivs.put_metadata().channel_arn(ARN).metadata(too_big).send().await.unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    let exactly_1kb = "é".repeat(512);
    ivs.put_metadata().channel_arn(ARN).metadata(exactly_1kb).send().await?;

    // The 1 KB above used one of this second's five calls; wait for a fresh second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let calls = (0..7).map(|i| ivs.put_metadata().channel_arn(ARN).metadata(format!("{{\"n\":{i}}}")).send());
    let codes: Vec<Option<String>> = futures::future::join_all(calls).await.into_iter().map(|r| r.err().and_then(|e| e.code().map(str::to_owned))).collect();
    let accepted = codes.iter().filter(|c| c.is_none()).count();
    let throttled = codes.iter().filter(|c| c.as_deref() == Some("ThrottlingException")).count();
    assert_eq!((accepted, throttled), (5, 2), "five calls a second are accepted, the rest throttled: {codes:?}");

    let err = ivs.put_metadata().channel_arn("arn:aws:ivs:us-east-1:000000000000:channel/nope").metadata("x").send().await.unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    stack.set_live(false)?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let err = ivs.put_metadata().channel_arn(ARN).metadata("x").send().await.unwrap_err();
    assert_eq!(err.code(), Some("ChannelNotBroadcasting"));
    Ok(())
}

#[test]
fn the_stack_refuses_a_taken_port_with_a_clear_error() -> anyhow::Result<()> {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = taken.local_addr()?.port();
    let bin = ivs_e2e::root().join("target/debug/ivs-local");
    let output = std::process::Command::new(bin)
        .args(["serve", "--api", &format!("127.0.0.1:{port}"), "--playback", "127.0.0.1:0", "--chat", "127.0.0.1:0"])
        .output()?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port} (api) is already in use")), "{stderr}");
    Ok(())
}

#[test]
fn the_stack_says_when_ffmpeg_is_missing() -> anyhow::Result<()> {
    let bin = ivs_e2e::root().join("target/debug/ivs-local");
    let output = std::process::Command::new(bin)
        .env("PATH", "/nonexistent")
        .args(["serve", "--api", "127.0.0.1:0", "--playback", "127.0.0.1:0", "--chat", "127.0.0.1:0"])
        .output()?;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ffmpeg was not found"));
    Ok(())
}

#[test]
fn stopping_the_stack_stops_its_encoder() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", stack.pid()))?;
    let encoders: Vec<u32> = children
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "ffmpeg"))
        .collect();
    assert_eq!(encoders.len(), 1, "one encoder while live: {children:?}");
    drop(stack); // SIGTERM, then wait
    std::thread::sleep(Duration::from_millis(300));
    let alive = std::fs::read_to_string(format!("/proc/{}/stat", encoders[0])).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "the encoder is gone after the stack stopped");
    Ok(())
}

/// A new P-384 public key, PEM, as `ImportPlaybackKeyPair` takes it.
fn public_key_pem() -> String {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    loop {
        if let Ok(key) = p384::ecdsa::SigningKey::from_bytes(&rand::random::<[u8; 48]>().into()) {
            return key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn playback_key_pairs_import_list_get_and_delete_and_decide_who_plays() -> anyhow::Result<()> {
    // A private channel: the site server imported its key pair at start, as it does on IVS.
    let mut stack = Stack::builder().local_args(&["--private"]).start()?;
    let ivs = ivs_client(&stack).await;
    let listed = ivs.list_playback_key_pairs().send().await?;
    assert_eq!(listed.key_pairs().len(), 1);
    let site_pair = &listed.key_pairs()[0];
    assert!(site_pair.name().is_some_and(|n| n.starts_with("ivs-site-")), "{site_pair:?}");
    let site_arn = site_pair.arn().unwrap().to_owned();
    assert!(site_arn.starts_with("arn:aws:ivs:us-east-1:000000000000:playback-key/"));

    let pem = public_key_pem();
    let imported = ivs.import_playback_key_pair().public_key_material(&pem).name("second").tags("team", "video").send().await?;
    let pair = imported.key_pair().expect("a key pair");
    assert_eq!(pair.name(), Some("second"));
    assert_eq!(pair.fingerprint().map(|f| f.split(':').count()), Some(32));
    let again = ivs.import_playback_key_pair().public_key_material(&pem).send().await.unwrap_err();
    assert_eq!(again.code(), Some("ConflictException"));
    let garbage = ivs.import_playback_key_pair().public_key_material("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----").send().await.unwrap_err();
    assert_eq!(garbage.code(), Some("ValidationException"));
    let got = ivs.get_playback_key_pair().arn(pair.arn().unwrap()).send().await?;
    assert_eq!(got.key_pair().and_then(|p| p.tags()).and_then(|t| t.get("team")).map(String::as_str), Some("video"));
    let page = ivs.list_playback_key_pairs().max_results(1).send().await?;
    assert_eq!(page.key_pairs().len(), 1);
    let rest = ivs.list_playback_key_pairs().next_token(page.next_token().expect("a second page")).send().await?;
    assert_eq!(rest.key_pairs().len(), 1);

    // Key pairs survive a restart of the local IVS; without the site's, its tokens are refused.
    stack.restart()?;
    stack.wait_until_live(Duration::from_secs(20))?;
    assert_eq!(ivs.list_playback_key_pairs().send().await?.key_pairs().len(), 2);
    ivs.delete_playback_key_pair().arn(&site_arn).send().await?;
    let missing = ivs.get_playback_key_pair().arn(&site_arn).send().await.unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    let (_, token) = http("POST", &format!("{}/api/playback-token", stack.site), "")?;
    let token: serde_json::Value = serde_json::from_str(&token)?;
    let (status, _) = http("GET", &format!("{}?token={}", stack.playback_url(), token["token"].as_str().unwrap_or_default()), "")?;
    assert_eq!(status, 403, "a token signed by a key pair IVS no longer has");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn channels_and_stream_keys_through_the_sdk_and_after_a_restart() -> anyhow::Result<()> {
    use aws_sdk_ivs::types::{ChannelLatencyMode, ChannelType};
    let mut stack = Stack::start()?;
    let ivs = ivs_client(&stack).await;
    let created = ivs
        .create_channel()
        .name("evening-show")
        .latency_mode(ChannelLatencyMode::NormalLatency)
        .r#type(ChannelType::BasicChannelType)
        .tags("team", "video")
        .send()
        .await?;
    let channel = created.channel().expect("a channel");
    let arn = channel.arn().unwrap().to_owned();
    let id = arn.strip_prefix("arn:aws:ivs:us-east-1:000000000000:channel/").expect("an IVS channel ARN");
    assert!(id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric()), "{arn}");
    assert_eq!(
        (channel.name(), channel.latency_mode(), channel.r#type()),
        (Some("evening-show"), Some(&ChannelLatencyMode::NormalLatency), Some(&ChannelType::BasicChannelType))
    );
    assert_eq!(channel.playback_url(), Some(format!("{}/api/video/v1/us-east-1.000000000000.channel.{id}.m3u8", stack.playback).as_str()));
    assert_eq!(channel.ingest_endpoint(), Some("127.0.0.1"));
    let key = created.stream_key().expect("its stream key");
    assert!(key.value().is_some_and(|v| v.starts_with("sk_us-east-1_") && v.len() == 3 + 10 + 12 + 1 + 30), "{key:?}");
    assert_eq!(key.channel_arn(), Some(arn.as_str()));

    // Read, listed, filtered, paged, batched.
    assert_eq!(ivs.get_channel().arn(&arn).send().await?.channel().and_then(|c| c.tags()).and_then(|t| t.get("team")).map(String::as_str), Some("video"));
    assert_eq!(ivs.list_channels().filter_by_name("evening").send().await?.channels().len(), 1);
    let first = ivs.list_channels().max_results(1).send().await?;
    assert_eq!(first.channels().len(), 1);
    assert_eq!(ivs.list_channels().next_token(first.next_token().expect("a second page")).send().await?.channels().len(), 1);
    let missing = "arn:aws:ivs:us-east-1:000000000000:channel/nope";
    let batch = ivs.batch_get_channel().arns(&arn).arns(missing).send().await?;
    assert_eq!((batch.channels().len(), batch.errors().len()), (1, 1));
    assert_eq!(batch.errors()[0].code(), Some("ResourceNotFoundException"));

    // Updated; a bad value is refused in the service's words.
    let updated = ivs.update_channel().arn(&arn).name("late-show").authorized(true).send().await?;
    assert_eq!((updated.channel().and_then(|c| c.name()), updated.channel().map(|c| c.authorized())), (Some("late-show"), Some(true)));
    let bad = ivs.update_channel().arn(&arn).latency_mode(ChannelLatencyMode::from("FAST")).send().await.unwrap_err();
    assert_eq!(bad.code(), Some("ValidationException"));

    // One stream key per channel.
    let quota = ivs.create_stream_key().channel_arn(&arn).send().await.unwrap_err();
    assert_eq!(quota.code(), Some("ServiceQuotaExceededException"));
    let listed = ivs.list_stream_keys().channel_arn(&arn).send().await?;
    assert_eq!(listed.stream_keys().len(), 1);
    let key_arn = listed.stream_keys()[0].arn().unwrap().to_owned();
    assert_eq!(ivs.get_stream_key().arn(&key_arn).send().await?.stream_key().and_then(|k| k.value()), key.value());
    assert_eq!(ivs.batch_get_stream_key().arns(&key_arn).send().await?.stream_keys().len(), 1);
    ivs.delete_stream_key().arn(&key_arn).send().await?;
    let renewed = ivs.create_stream_key().channel_arn(&arn).send().await?;
    assert_ne!(renewed.stream_key().and_then(|k| k.value()), key.value(), "a new key");

    // Nobody broadcasts on it.
    assert_eq!(ivs.get_stream().channel_arn(&arn).send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    assert_eq!(ivs.put_metadata().channel_arn(&arn).metadata("x").send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    // The built-in channel cannot be deleted while it is live.
    assert_eq!(ivs.delete_channel().arn(ARN).send().await.unwrap_err().code(), Some("ConflictException"));

    // Everything survives a restart; then the channel goes.
    stack.restart()?;
    let after = ivs.get_channel().arn(&arn).send().await?;
    assert_eq!(after.channel().and_then(|c| c.name()), Some("late-show"));
    assert_eq!(
        ivs.get_stream_key().arn(renewed.stream_key().unwrap().arn().unwrap()).send().await?.stream_key().and_then(|k| k.value()),
        renewed.stream_key().and_then(|k| k.value())
    );
    ivs.delete_channel().arn(&arn).send().await?;
    assert_eq!(ivs.get_channel().arn(&arn).send().await.unwrap_err().code(), Some("ResourceNotFoundException"));
    assert_eq!(ivs.list_stream_keys().channel_arn(&arn).send().await.unwrap_err().code(), Some("ResourceNotFoundException"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_sessions_and_tags_through_the_sdk() -> anyhow::Result<()> {
    use aws_sdk_ivs::types::StreamHealth;
    let stack = Stack::start()?;
    let ivs = ivs_client(&stack).await;
    let live = ivs.list_streams().send().await?;
    assert_eq!(live.streams().len(), 1);
    let stream_id = live.streams()[0].stream_id().unwrap().to_owned();
    assert_eq!(live.streams()[0].channel_arn(), Some(ARN));
    assert!(live.streams()[0].start_time().is_some());
    assert_eq!(
        ivs.list_streams().filter_by(aws_sdk_ivs::types::StreamFilters::builder().health(StreamHealth::Starving).build()).send().await?.streams().len(),
        0
    );

    let session = ivs.get_stream_session().channel_arn(ARN).send().await?.stream_session.expect("the live session");
    assert_eq!(session.stream_id(), Some(stream_id.as_str()));
    assert!(session.end_time().is_none(), "still live");
    assert_eq!(session.channel().and_then(|c| c.arn()), Some(ARN));
    let names: Vec<&str> = session.truncated_events().iter().filter_map(|e| e.name()).collect();
    assert_eq!(names, ["Session Created", "Stream Start"]);

    // StopStream ends the broadcast: the session ends, GetStream says so.
    ivs.stop_stream().channel_arn(ARN).send().await?;
    assert_eq!(ivs.get_stream().channel_arn(ARN).send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    assert_eq!(ivs.stop_stream().channel_arn(ARN).send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    let sessions = ivs.list_stream_sessions().channel_arn(ARN).send().await?;
    assert_eq!(sessions.stream_sessions().len(), 1);
    assert_eq!(sessions.stream_sessions()[0].stream_id(), Some(stream_id.as_str()));
    assert!(sessions.stream_sessions()[0].end_time().is_some(), "ended");
    let ended = ivs.get_stream_session().channel_arn(ARN).stream_id(&stream_id).send().await?.stream_session.unwrap();
    assert_eq!(ended.truncated_events().iter().filter_map(|e| e.name()).next_back(), Some("Session Ended"));
    assert_eq!(ivs.get_stream_session().channel_arn(ARN).stream_id("st-nope").send().await.unwrap_err().code(), Some("ResourceNotFoundException"));

    // Tags on a channel and on a stream key (REST paths with the ARN in them).
    ivs.tag_resource().resource_arn(ARN).tags("team", "video").tags("cost centre", "42").send().await?;
    let tags = ivs.list_tags_for_resource().resource_arn(ARN).send().await?;
    assert_eq!(tags.tags().get("cost centre").map(String::as_str), Some("42"));
    ivs.untag_resource().resource_arn(ARN).tag_keys("cost centre").send().await?;
    assert_eq!(ivs.list_tags_for_resource().resource_arn(ARN).send().await?.tags().len(), 1);
    let key = ivs.list_stream_keys().channel_arn(ARN).send().await?.stream_keys()[0].arn().unwrap().to_owned();
    ivs.tag_resource().resource_arn(&key).tags("rotated", "never").send().await?;
    assert_eq!(
        ivs.get_stream_key().arn(&key).send().await?.stream_key().and_then(|k| k.tags()).and_then(|t| t.get("rotated")).map(String::as_str),
        Some("never")
    );
    let unknown = "arn:aws:ivs:us-east-1:000000000000:channel/nope";
    assert_eq!(ivs.list_tags_for_resource().resource_arn(unknown).send().await.unwrap_err().code(), Some("ResourceNotFoundException"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn recording_configurations_are_created_listed_used_and_deleted_through_the_sdk() -> anyhow::Result<()> {
    use aws_sdk_ivs::types::{
        DestinationConfiguration, RecordingConfigurationState, RecordingMode, RenditionConfiguration, S3DestinationConfiguration, ThumbnailConfiguration,
    };
    let mut stack = Stack::builder().offline().start()?;
    let ivs = ivs_client(&stack).await;
    let destination = |bucket: &str| DestinationConfiguration::builder().s3(S3DestinationConfiguration::builder().bucket_name(bucket).build().unwrap()).build();

    let created = ivs
        .create_recording_configuration()
        .name("archive")
        .destination_configuration(destination("site-archive"))
        .thumbnail_configuration(ThumbnailConfiguration::builder().recording_mode(RecordingMode::Interval).target_interval_seconds(10).build())
        .rendition_configuration(
            RenditionConfiguration::builder()
                .rendition_selection(aws_sdk_ivs::types::RenditionConfigurationRenditionSelection::Custom)
                .renditions(aws_sdk_ivs::types::RenditionConfigurationRendition::LowestResolution)
                .build(),
        )
        .tags("team", "video")
        .send()
        .await?
        .recording_configuration
        .expect("a configuration");
    let arn = created.arn().to_owned();
    assert!(arn.starts_with("arn:aws:ivs:us-east-1:000000000000:recording-configuration/"), "{arn}");
    assert_eq!(created.state(), &RecordingConfigurationState::Active);
    assert_eq!(created.destination_configuration().and_then(|d| d.s3()).map(|s| s.bucket_name()), Some("site-archive"));
    assert_eq!(created.thumbnail_configuration().and_then(|t| t.target_interval_seconds()), Some(10));

    let got = ivs.get_recording_configuration().arn(&arn).send().await?.recording_configuration.expect("it");
    assert_eq!(got.name(), Some("archive"));
    assert_eq!(got.tags().and_then(|t| t.get("team")).map(String::as_str), Some("video"));
    let listed = ivs.list_recording_configurations().send().await?;
    assert!(listed.recording_configurations().iter().any(|c| c.arn() == arn));

    // Bad input, in the model's words.
    let bad = ivs.create_recording_configuration().destination_configuration(destination("Not_A_Bucket")).send().await.unwrap_err();
    assert_eq!(bad.code(), Some("ValidationException"));
    let missing = ivs.get_recording_configuration().arn(format!("{arn}x")).send().await.unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    let unknown = ivs.create_channel().recording_configuration_arn(format!("{arn}x")).send().await.unwrap_err();
    assert_eq!(unknown.code(), Some("ResourceNotFoundException"), "a channel cannot name a configuration that does not exist");

    // In use by a channel: it cannot be deleted; once the channel lets go, it can.
    let channel = ivs.create_channel().name("recorded").recording_configuration_arn(&arn).send().await?.channel.expect("a channel");
    let filtered = ivs.list_channels().filter_by_recording_configuration_arn(&arn).send().await?;
    assert_eq!(filtered.channels().len(), 1);
    let in_use = ivs.delete_recording_configuration().arn(&arn).send().await.unwrap_err();
    assert_eq!(in_use.code(), Some("ConflictException"));

    // Kept across a restart.
    stack.restart()?;
    let ivs = ivs_client(&stack).await;
    assert!(ivs.get_recording_configuration().arn(&arn).send().await.is_ok(), "the configuration survived the restart");
    ivs.update_channel().arn(channel.arn().unwrap_or_default()).recording_configuration_arn("").send().await?;
    ivs.delete_recording_configuration().arn(&arn).send().await?;
    let gone = ivs.get_recording_configuration().arn(&arn).send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    Ok(())
}

/// The AWS SDK for JavaScript v3 — `@aws-sdk/client-ivs`, `client-ivschat` and
/// `client-ivs-realtime` as they ship on npm, in Node — runs channels, rooms and stages against the
/// local IVS by endpoint override, and reads its refusals as the errors IVS names.
#[test]
fn the_aws_sdk_for_javascript_v3_runs_channels_rooms_and_stages() -> anyhow::Result<()> {
    let stack = Stack::builder().offline().start()?;
    let output = std::process::Command::new("node")
        .arg(ivs_e2e::root().join("e2e/fixtures/aws-sdk-js-v3.mjs"))
        .arg(&stack.api)
        .env("AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING", "1")
        .output()?;
    anyhow::ensure!(output.status.success(), "node: {}", String::from_utf8_lossy(&output.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let channel = &seen["channel"];
    assert!(channel["arn"].as_str().is_some_and(|a| a.starts_with("arn:aws:ivs:us-east-1:000000000000:channel/")), "{seen}");
    assert!(channel["playbackUrl"].as_str().is_some_and(|u| u.ends_with(".m3u8")), "{seen}");
    assert_eq!(channel["key"], true, "a stream key in IVS's shape: {seen}");
    assert_eq!(seen["channelListed"], true);
    assert_eq!((&seen["offlineStream"], &seen["offlineMetadata"]), (&"ChannelNotBroadcasting".into(), &"ChannelNotBroadcasting".into()));
    assert_eq!(seen["deletedChannel"], "ResourceNotFoundException");

    assert_eq!(seen["room"]["maximumMessageLength"], 300);
    assert_eq!((&seen["room"]["token"], &seen["room"]["expires"], &seen["eventId"]), (&true.into(), &true.into(), &true.into()), "{seen}");
    assert_eq!(seen["badToken"], "ValidationException");
    assert_eq!(seen["deletedRoom"], "ResourceNotFoundException");

    let stage = &seen["stage"];
    let whip = format!("{}/whip", stack.api);
    assert_eq!(stage["whip"], whip.as_str());
    assert_eq!(stage["activeSessionId"], serde_json::Value::Null);
    assert_eq!(stage["tokens"], serde_json::json!([{ "userId": "host", "capabilities": ["PUBLISH", "SUBSCRIBE"], "duration": 60 }]));
    assert_eq!(stage["claims"], serde_json::json!({ "whipUrl": whip, "resource": stage["arn"], "version": "1.0", "sameParticipant": true }));
    assert_eq!(seen["viewerToken"], serde_json::json!({ "capabilities": ["SUBSCRIBE"], "expires": true }));
    assert_eq!((&seen["stageListed"], &seen["stageTags"], &seen["sessions"]), (&true.into(), &serde_json::json!({ "by": "js" }), &0.into()));
    assert_eq!(seen["tooLong"], "ValidationException");
    assert_eq!(seen["deletedStage"], "ResourceNotFoundException");
    Ok(())
}
