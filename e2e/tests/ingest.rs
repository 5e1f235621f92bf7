//! RTMP ingest and recording, end to end: a broadcaster (ffmpeg, as OBS would) streams into a
//! channel made with the official SDK; the viewer plays it and its timed metadata; the channel's
//! recording lands in the bucket with IVS's layout, the events say so in order, and the viewer
//! plays the recording from its S3 URL. And what a broadcaster can get wrong: a wrong or deleted
//! key, a second broadcaster, garbage, a stalled connection, going quiet, falling behind.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_ivs::error::ProvideErrorMetadata;
use aws_sdk_ivs::types::{ChannelType, DestinationConfiguration, RecordingMode, S3DestinationConfiguration, StreamHealth, ThumbnailConfiguration};
use ivs_e2e::{eval, http, ivs_client, wait_for, Broadcaster, Chromium, EventSink, Stack, PLAYING};

/// The `host:port` of an `rtmp://host:port/app/` URL.
fn authority(ingest: &str) -> String {
    ingest.trim_start_matches("rtmp://").split('/').next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcaster_streams_into_a_new_channel_that_the_viewer_plays_and_ivs_records() -> anyhow::Result<()> {
    let sink = EventSink::start().await?;
    let stack = Stack::builder().local_args(&["--event-target", &sink.url]).start()?;
    let ivs = ivs_client(&stack).await;

    let s3 = S3DestinationConfiguration::builder().bucket_name("e2e-recordings").build()?;
    let config = ivs
        .create_recording_configuration()
        .name("e2e")
        .destination_configuration(DestinationConfiguration::builder().s3(s3).build())
        .thumbnail_configuration(ThumbnailConfiguration::builder().recording_mode(RecordingMode::Interval).target_interval_seconds(2).build())
        .send()
        .await?
        .recording_configuration
        .expect("a configuration");
    let created = ivs.create_channel().name("studio").r#type(ChannelType::StandardChannelType).recording_configuration_arn(config.arn()).send().await?;
    let channel = created.channel.expect("a channel");
    let key = created.stream_key.and_then(|k| k.value).expect("a stream key");
    let arn = channel.arn().expect("an ARN").to_owned();
    let playback_url = channel.playback_url().expect("a playback URL").to_owned();
    assert_eq!(channel.ingest_endpoint(), Some("127.0.0.1"));
    let offline = ivs.get_stream().channel_arn(&arn).send().await.unwrap_err();
    assert_eq!(offline.code(), Some("ChannelNotBroadcasting"), "no broadcaster yet");

    let push = Broadcaster::start(&format!("{}{key}", stack.ingest), 640, 360, 14)?;
    sink.wait_for(&arn, "Stream Start", Duration::from_secs(15)).await?;
    let stream = ivs.get_stream().channel_arn(&arn).send().await?.stream.expect("a stream");
    assert_eq!(stream.playback_url(), Some(playback_url.as_str()));
    assert_eq!(stream.health(), Some(&StreamHealth::StreamHealthy));

    // A STANDARD channel is transcoded into a ladder, named as IVS names renditions.
    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?playbackUrl={playback_url}", stack.site)).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    let (_, master) = http("GET", &playback_url, "")?;
    assert!(master.contains("NAME=\"360p30\"") && master.contains("NAME=\"180p30\""), "{master}");

    // Timed metadata into this channel reaches its viewers.
    ivs.put_metadata().channel_arn(&arn).metadata(r#"{"type":"notice","text":"from the studio","duration":5}"#).send().await?;
    wait_for(&page, "document.querySelector('[data-testid=notice]')?.textContent.includes('from the studio')", Duration::from_secs(10)).await?;

    let (ok, said) = push.finish(Duration::from_secs(30))?;
    assert!(ok, "the broadcaster streamed to the end: {said}");
    let ended = sink.wait_for(&arn, "Recording End", Duration::from_secs(20)).await?;
    sink.wait_for(&arn, "Session Ended", Duration::from_secs(10)).await?;
    let names: Vec<String> = sink.names(&arn).into_iter().map(|(_, name)| name).collect();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no {name}: {names:?}"));
    assert!(at("Session Created") < at("Stream Start") && at("Stream Start") < at("Stream End") && at("Stream End") < at("Session Ended"), "{names:?}");
    assert!(at("Recording Start") < at("Recording End"), "{names:?}");

    // The recording, where the event says, laid out as IVS lays it out in S3.
    let detail = &ended["detail"];
    let prefix = detail["recording_s3_key_prefix"].as_str().expect("a prefix");
    let channel_id = arn.rsplit('/').next().unwrap_or_default();
    assert!(prefix.starts_with(&format!("ivs/v1/000000000000/{channel_id}/")), "{prefix}");
    assert_eq!(prefix.split('/').count(), 10, "ivs/v1/account/channel/y/m/d/h/m/id: {prefix}");
    assert_eq!(detail["recording_s3_bucket_name"], "e2e-recordings");
    assert_eq!(detail["channel_name"], "studio");
    let base = format!("{}/s3/e2e-recordings/{prefix}", stack.playback);
    let (status, started) = http("GET", &format!("{base}/events/recording-started.json"), "")?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&started)?["recording_status"], "RECORDING_STARTED");
    let (status, meta) = http("GET", &format!("{base}/events/recording-ended.json"), "")?;
    assert_eq!(status, 200);
    let meta: serde_json::Value = serde_json::from_str(&meta)?;
    assert_eq!(
        (meta["version"].as_str(), meta["recording_status"].as_str(), meta["channel_arn"].as_str()),
        (Some("v1"), Some("RECORDING_ENDED"), Some(arn.as_str()))
    );
    let duration_ms = meta["media"]["hls"]["duration_ms"].as_i64().unwrap_or(0);
    assert!((10_000..=15_000).contains(&duration_ms), "14 s streamed, {duration_ms} ms recorded");
    let renditions: Vec<&str> = meta["media"]["hls"]["renditions"].as_array().into_iter().flatten().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(renditions, ["360p30", "180p30"]);
    let (status, playlist) = http("GET", &format!("{base}/media/hls/360p30/playlist.m3u8"), "")?;
    assert!(status == 200 && playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD") && playlist.ends_with("#EXT-X-ENDLIST\n"), "{playlist}");
    let thumbnails = meta["media"]["thumbnails"]["path"].as_str().expect("thumbnails");
    let jpeg = std::process::Command::new("curl").args(["-sf", &format!("{base}/{thumbnails}/thumb0.jpg")]).output()?;
    assert!(jpeg.status.success() && jpeg.stdout.starts_with(&[0xFF, 0xD8]), "the first thumbnail is a JPEG");

    // The viewer plays the recording from its S3 URL, with a seek bar and no LIVE readout.
    let hls = &meta["media"]["hls"];
    let recording = format!("{base}/{}/{}", hls["path"].as_str().unwrap_or_default(), hls["playlist"].as_str().unwrap_or_default());
    let vod = chromium.open(&format!("{}/?playbackUrl={recording}", stack.site)).await?;
    wait_for(&vod, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&vod, "document.querySelector('[data-testid=ctl-seek]') !== null", Duration::from_secs(10)).await?;
    assert_eq!(eval::<usize>(&vod, "document.querySelectorAll('[data-testid=ctl-live]').length").await?, 0);
    let duration: f64 = eval(&vod, "document.querySelector('video').duration").await?;
    assert!((duration - duration_ms as f64 / 1000.0).abs() < 1.5, "the recording is {duration:.1} s long");
    chromium.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_refuses_wrong_keys_and_second_broadcasters_and_shrugs_off_garbage() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let ivs = ivs_client(&stack).await;
    let created = ivs.create_channel().name("basic").r#type(ChannelType::BasicChannelType).send().await?;
    let arn = created.channel.and_then(|c| c.arn).expect("an ARN");
    let key = created.stream_key.expect("a key");
    let url = format!("{}{}", stack.ingest, key.value().unwrap_or_default());

    // Garbage, a connection that never says anything, and one that stops after the handshake:
    // each costs its own connection only.
    let ingest = authority(&stack.ingest);
    let mut garbage = TcpStream::connect(&ingest)?;
    garbage.set_read_timeout(Some(Duration::from_secs(5)))?;
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
    let mut answer = Vec::new();
    let read = garbage.read_to_end(&mut answer);
    let closed = read.as_ref().map_or_else(|e| e.kind() == std::io::ErrorKind::ConnectionReset, |_| true);
    assert!(closed && answer.is_empty(), "not RTMP: closed without an answer ({read:?}, {} bytes)", answer.len());
    let _silent = TcpStream::connect(&ingest)?;
    let mut half_open = TcpStream::connect(&ingest)?;
    half_open.write_all(&[3; 1 + 1536])?;
    let mut s0s1s2 = vec![0u8; 1 + 2 * 1536];
    half_open.read_exact(&mut s0s1s2)?;
    assert_eq!(s0s1s2[0], 3, "an RTMP server answers the handshake");
    half_open.write_all(&s0s1s2[1..=1536])?;

    // A wrong key is refused.
    let wrong = Broadcaster::start(&format!("{}sk_us-east-1_notAKey_0000", stack.ingest), 320, 240, 3)?;
    let (ok, said) = wrong.finish(Duration::from_secs(15))?;
    assert!(!ok && said.contains("stream key refused"), "{said}");

    // The right key streams; a second broadcaster on the same channel is refused, the first goes on.
    let first = Broadcaster::start(&url, 640, 360, 60)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while ivs.get_stream().channel_arn(&arn).send().await.is_err() {
        anyhow::ensure!(std::time::Instant::now() < deadline, "the channel did not go live");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let second = Broadcaster::start(&url, 320, 240, 3)?;
    let (ok, said) = second.finish(Duration::from_secs(15))?;
    assert!(!ok && said.contains("already has a broadcaster"), "{said}");
    assert!(ivs.get_stream().channel_arn(&arn).send().await.is_ok(), "the first broadcaster is still live");

    // A BASIC channel passes the input through: one rendition, the input's own.
    let mut master = String::new();
    for _ in 0..50 {
        master =
            http("GET", &format!("{}/api/video/v1/us-east-1.000000000000.channel.{}.m3u8", stack.playback, arn.rsplit('/').next().unwrap_or_default()), "")?.1;
        if master.contains("#EXT-X-STREAM-INF") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 1, "{master}");
    assert!(master.contains("NAME=\"360p30\"") && master.contains("RESOLUTION=640x360"), "{master}");

    // The built-in channel played on through all of it.
    let builtin = ivs.get_stream().channel_arn(ivs_e2e::CHANNEL_ARN).send().await?.stream.expect("the built-in stream");
    assert_eq!(builtin.health(), Some(&StreamHealth::StreamHealthy));

    // StopStream disconnects the broadcaster; a deleted key no longer streams.
    ivs.stop_stream().channel_arn(&arn).send().await?;
    let (ok, _) = first.finish(Duration::from_secs(10))?;
    assert!(!ok, "the broadcaster was disconnected");
    assert_eq!(ivs.get_stream().channel_arn(&arn).send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    ivs.delete_stream_key().arn(key.arn().unwrap_or_default()).send().await?;
    let (ok, said) = Broadcaster::start(&url, 320, 240, 3)?.finish(Duration::from_secs(15))?;
    assert!(!ok && said.contains("stream key refused"), "{said}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcaster_that_falls_behind_starves_one_past_the_limits_is_reported_and_one_that_goes_quiet_is_ended() -> anyhow::Result<()> {
    let sink = EventSink::start().await?;
    let stack = Stack::builder().local_args(&["--event-target", &sink.url, "--ingest-idle-secs", "3"]).start()?;
    let ivs = ivs_client(&stack).await;

    // Half real time: the input falls behind the wall clock.
    let slow = ivs.create_channel().name("slow").send().await?;
    let slow_arn = slow.channel.and_then(|c| c.arn).expect("an ARN");
    let _slow = Broadcaster::start_at(&format!("{}{}", stack.ingest, slow.stream_key.and_then(|k| k.value).unwrap_or_default()), 320, 240, 60, 0.5)?;
    sink.wait_for(&slow_arn, "Starvation Start", Duration::from_secs(20)).await?;
    let starving = ivs.list_streams().filter_by(aws_sdk_ivs::types::StreamFilters::builder().health(StreamHealth::Starving).build()).send().await?;
    assert!(starving.streams().iter().any(|s| s.channel_arn() == Some(slow_arn.as_str())), "ListStreams finds it starving");

    // A BASIC channel takes up to 480p and 1.5 Mbps: a 720p stream breaches both, and says so.
    let small = ivs.create_channel().name("small").r#type(ChannelType::BasicChannelType).send().await?;
    let small_arn = small.channel.and_then(|c| c.arn).expect("an ARN");
    let _big = Broadcaster::start(&format!("{}{}", stack.ingest, small.stream_key.and_then(|k| k.value).unwrap_or_default()), 1280, 720, 30)?;
    let resolution = sink.wait_for(&small_arn, "Ingest Resolution", Duration::from_secs(15)).await?;
    assert_eq!((resolution["detail-type"].as_str(), resolution["detail"]["limit_value"].as_u64()), (Some("IVS Limit Breach"), Some(854 * 480)));
    let bitrate = sink.wait_for(&small_arn, "Ingest Bitrate", Duration::from_secs(20)).await?;
    assert_eq!((bitrate["detail"]["limit_value"].as_u64(), bitrate["detail"]["limit_unit"].as_str()), (Some(1500), Some("Kbps")));
    assert!(bitrate["detail"]["exceeded_by"].as_u64().unwrap_or(0) > 0, "{bitrate}");
    assert!(ivs.get_stream().channel_arn(&small_arn).send().await.is_ok(), "a breach is reported, not enforced");

    // A broadcaster that stays connected but sends nothing more: ended after the idle time.
    let quiet = ivs.create_channel().name("quiet").send().await?;
    let quiet_arn = quiet.channel.and_then(|c| c.arn).expect("an ARN");
    let clip = std::env::temp_dir().join(format!("ivs-e2e-clip-{}.ts", std::process::id()));
    let made = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000"])
        .args(["-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-f", "mpegts"])
        .arg(&clip)
        .status()?;
    anyhow::ensure!(made.success(), "cannot make the clip");
    let mut encoder = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-probesize", "32768", "-re", "-f", "mpegts", "-i", "pipe:0", "-c", "copy", "-f", "flv"])
        .arg(format!("{}{}", stack.ingest, quiet.stream_key.and_then(|k| k.value).unwrap_or_default()))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut input = encoder.stdin.take().expect("stdin");
    input.write_all(&std::fs::read(&clip)?)?;
    input.flush()?;
    sink.wait_for(&quiet_arn, "Stream Start", Duration::from_secs(15)).await?;
    // The clip runs out; the encoder waits for more with its connection open.
    sink.wait_for(&quiet_arn, "Stream End", Duration::from_secs(15)).await?;
    assert_eq!(ivs.get_stream().channel_arn(&quiet_arn).send().await.unwrap_err().code(), Some("ChannelNotBroadcasting"));
    drop(input);
    let _ = encoder.kill();
    let _ = encoder.wait();
    let _ = std::fs::remove_file(clip);
    Ok(())
}

/// The stream key as the site's operators read it (`ivs-site stream-key`, the operator API).
fn stream_key(stack: &Stack, rotate: bool) -> anyhow::Result<String> {
    let mut command = std::process::Command::new(ivs_e2e::binary("ivs-site", "IVS_SITE_BIN"));
    command.arg("--config").arg(&stack.config).arg("stream-key").env("IVS_SITE_OPERATOR_KEY", &stack.operator_key);
    if rotate {
        command.arg("--rotate");
    }
    let output = command.output()?;
    anyhow::ensure!(output.status.success(), "ivs-site stream-key: {}", String::from_utf8_lossy(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    answer["value"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no key in {answer}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn after_each_broadcast_the_stream_key_is_replaced_and_the_old_one_is_refused() -> anyhow::Result<()> {
    let site = ivs_e2e::SiteOptions { rotate_stream_key: true, ..Default::default() };
    let stack = Stack::builder().site(site).start()?;
    stack.wait_until_live(Duration::from_secs(20))?;
    let first = stream_key(&stack, false)?;
    assert!(first.starts_with("sk_us-east-1_"), "{first}");
    // The broadcast ends: a new key, once.
    stack.set_live(false)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let second = loop {
        let now = stream_key(&stack, false)?;
        if now != first {
            break now;
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the key was not replaced after the broadcast");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The old key is refused by the ingest; the new one streams.
    let (ok, said) = Broadcaster::start(&format!("{}{first}", stack.ingest), 320, 240, 3)?.finish(Duration::from_secs(15))?;
    assert!(!ok && said.contains("stream key refused"), "{said}");
    stack.set_live(true)?;
    stack.wait_until_live(Duration::from_secs(20))?;
    assert_eq!(stream_key(&stack, false)?, second, "going live again changed nothing");
    // Rotated by hand: the command prints the new key.
    let third = stream_key(&stack, true)?;
    assert!(third != second && third.starts_with("sk_"), "{third}");
    assert_eq!(stream_key(&stack, false)?, third);
    Ok(())
}
