//! End to end: a finished broadcast replays as a recording, with a seek bar, and its timed
//! metadata comes back at the positions where it was sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ivs_e2e::{eval, http, wait_for, Chromium, Stack, PLAYING};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_plays_with_a_seek_bar_and_replays_its_cues_in_place() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let sent_at = now_ms();
    assert_eq!(stack.put_metadata(r#"{"type":"notice","text":"replayed in place","duration":3}"#)?, 204);
    tokio::time::sleep(Duration::from_secs(4)).await;
    stack.set_live(false)?;

    let (_, list) = http("GET", &format!("{}/_local/recordings", stack.api), "")?;
    let list: serde_json::Value = serde_json::from_str(&list)?;
    let recording = &list["recordings"][0];
    let url = recording["playbackUrl"].as_str().expect("a recording").to_owned();
    let expected = (sent_at - recording["startTimeMs"].as_i64().unwrap_or(0)) as f64 / 1000.0;
    assert!(recording["durationSecs"].as_f64().unwrap_or(0.0) > 6.0, "{recording}");

    let chromium = Chromium::launch().await?;
    let page = chromium.open(&format!("{}/?playbackUrl={}", stack.site, url)).await?;
    wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
    wait_for(&page, "document.querySelector('[data-testid=ctl-seek]') !== null", Duration::from_secs(5)).await?;
    assert_eq!(eval::<usize>(&page, "document.querySelectorAll('[data-testid=ctl-live]').length").await?, 0, "no LIVE readout");

    // The cue comes back where it was sent: the notice shows when playback reaches that point.
    wait_for(&page, "document.querySelector('[data-testid=notice]')?.textContent.includes('replayed in place')", Duration::from_secs(15)).await?;
    let at: f64 = eval(&page, "document.querySelector('video').currentTime").await?;
    assert!((at - expected).abs() < 1.5, "cue shown at {at:.2} s; it was sent {expected:.2} s into the stream");

    // The seek bar seeks: back to the start, then to the cue again.
    eval::<bool>(&page, "(() => { const s = document.querySelector('[data-testid=ctl-seek]'); s.value = 0.5; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()").await?;
    wait_for(&page, "document.querySelector('video').currentTime < 2", Duration::from_secs(5)).await?;
    let time = eval::<String>(&page, "document.querySelector('[data-testid=ctl-time]').textContent").await?;
    assert!(time.contains(" / "), "{time}");
    chromium.close().await;
    Ok(())
}
