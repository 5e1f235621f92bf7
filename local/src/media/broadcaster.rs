//! The built-in broadcaster: a test pattern with a tone (or a looped video file), encoded by
//! ffmpeg and streamed over RTMP into the built-in channel's stream key — the same ingest path
//! OBS takes, so the default channel is live with no set-up.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What the built-in broadcaster streams.
#[derive(Debug, Clone)]
pub enum Source {
    /// A moving test pattern with a tone, at this size.
    TestPattern { width: u32, height: u32 },
    /// A video file, looped forever, scaled to this size.
    File { path: PathBuf, width: u32, height: u32 },
}

/// Streams a [`Source`] into an RTMP URL while started; cheap to clone.
#[derive(Clone)]
pub struct Broadcaster {
    source: Source,
    /// `rtmp://<ingest>/app/` (the stream key is added when it starts).
    ingest: String,
    child: Arc<Mutex<Option<Child>>>,
}

impl Broadcaster {
    pub fn new(source: Source, ingest: String) -> Self {
        Self { source, ingest, child: Arc::default() }
    }

    /// Starts streaming with `stream_key` (no-op while it streams).
    pub fn start(&self, stream_key: &str) -> anyhow::Result<()> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None))) {
            return Ok(());
        }
        let mut spawned = self.command(stream_key).spawn().map_err(|e| anyhow::anyhow!("cannot start ffmpeg: {e}"))?;
        if let Some(stderr) = spawned.stderr.take() {
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::info!(target: "broadcaster", "{line}");
                }
            });
        }
        *child = Some(spawned);
        tracing::info!("the built-in broadcaster is streaming into {}", self.ingest);
        Ok(())
    }

    /// Stops streaming (the broadcaster disconnects).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = child.start_kill();
        }
    }

    fn command(&self, stream_key: &str) -> Command {
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
        let (width, height, audio) = match &self.source {
            Source::TestPattern { width, height } => {
                cmd.args(["-re", "-f", "lavfi", "-i", &format!("testsrc2=size={width}x{height}:rate=30")]);
                cmd.args(["-re", "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=2:sample_rate=48000"]);
                (*width, *height, "1:a")
            }
            Source::File { path, width, height } => {
                cmd.args(["-re", "-stream_loop", "-1", "-i"]).arg(path);
                (*width, *height, "0:a:0?")
            }
        };
        // As a broadcaster's encoder would send it: H.264 with a keyframe every second, AAC.
        cmd.args(["-map", "0:v:0", "-map", audio, "-vf", &format!("scale={width}:{height}")]);
        cmd.args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-r", "30", "-g", "30", "-b:v", "2500k"]);
        cmd.args(["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]);
        cmd.args(["-f", "flv", &format!("{}{stream_key}", self.ingest)]);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        cmd
    }
}
