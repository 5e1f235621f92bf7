//! The transcoder of a broadcast: ffmpeg, reading the broadcaster's FLV on stdin and writing
//! one MPEG-TS program per rendition on stdout, which the segmenters cut.

use std::process::Stdio;

use ivs_codecs::FRAME_RATE;
use tokio::process::Command;

use super::ladder::{Plan, AUDIO_KBPS};

/// The transcoder of a broadcast: FLV on stdin, one MPEG-TS program per rung on stdout.
pub fn command(plan: &Plan) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    // Start at once: the broadcaster's stream is live, so read no more of it than needed to know it.
    cmd.args(["-probesize", "65536", "-analyzeduration", "500000", "-f", "flv", "-i", "pipe:0"]);
    let audio = if plan.audio {
        "0:a:0"
    } else {
        cmd.args(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]);
        "1:a"
    };
    let rungs = plan.ladder.len();
    if plan.transcode {
        // One encode per rung from the same pictures, each its own program of one transport
        // stream with the audio shared: the segmenters split it into aligned renditions.
        let mut graph = format!("[0:v:0]split={rungs}");
        graph.extend((0..rungs).map(|i| format!("[s{i}]")));
        for (i, rung) in plan.ladder.iter().enumerate() {
            graph.push_str(&format!(";[s{i}]scale={}:{}[v{i}]", rung.width, rung.height));
        }
        cmd.args(["-filter_complex", &graph]);
        for i in 0..rungs {
            cmd.args(["-map", &format!("[v{i}]")]);
        }
        cmd.args(["-map", audio]);
        cmd.args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-profile:v",
            "main",
            "-pix_fmt",
            "yuv420p",
            "-r",
            &FRAME_RATE.to_string(),
            "-g",
            "15",
            "-keyint_min",
            "15",
            "-sc_threshold",
            "0",
        ]);
        for (i, rung) in plan.ladder.iter().enumerate() {
            let rate = format!("{}k", rung.video_kbps);
            let level = if rung.height > 360 { "3.1" } else { "3.0" };
            cmd.args([
                format!("-level:v:{i}"),
                level.into(),
                format!("-b:v:{i}"),
                rate.clone(),
                format!("-maxrate:v:{i}"),
                rate.clone(),
                format!("-bufsize:v:{i}"),
                rate,
            ]);
        }
    } else {
        cmd.args(["-map", "0:v:0", "-map", audio, "-c:v", "copy"]);
    }
    for i in 0..rungs {
        cmd.args(["-program".to_owned(), format!("program_num={}:st={i}:st={rungs}", i + 1)]);
    }
    if plan.audio && !plan.transcode {
        cmd.args(["-c:a", "copy"]);
    } else {
        cmd.args(["-c:a", "aac", "-b:a", &format!("{AUDIO_KBPS}k"), "-ar", "48000", "-ac", "2"]);
    }
    cmd.args(["-f", "mpegts", "-flush_packets", "1", "pipe:1"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    cmd
}
