//! A broadcaster: ffmpeg streaming a test pattern over RTMP, as OBS would.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A broadcaster: ffmpeg streaming a test pattern to an RTMP URL, killed on drop.
pub struct Broadcaster {
    child: Child,
}

impl Broadcaster {
    /// Streams `secs` seconds (or until dropped) of a `width`×`height` test pattern with a tone
    /// to `url`, in real time, as an encoder would (H.264 with a keyframe every two seconds, AAC).
    pub fn start(url: &str, width: u32, height: u32, secs: u32) -> anyhow::Result<Self> {
        Self::start_at(url, width, height, secs, 1.0)
    }

    /// Like [`start`](Self::start), sending `speed` times real time (below 1: it falls behind).
    pub fn start_at(url: &str, width: u32, height: u32, secs: u32, speed: f64) -> anyhow::Result<Self> {
        let rate = speed.to_string();
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
            .args(["-readrate", &rate, "-f", "lavfi", "-i", &format!("testsrc2=size={width}x{height}:rate=30")])
            .args(["-readrate", &rate, "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000"])
            .args(["-t", &secs.to_string(), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "60", "-pix_fmt", "yuv420p"])
            .args(["-c:a", "aac", "-b:a", "96k", "-f", "flv", url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start ffmpeg")?;
        Ok(Self { child })
    }

    /// Waits for ffmpeg to finish (at most `timeout`): whether it succeeded, and what it said.
    pub fn finish(mut self, timeout: Duration) -> anyhow::Result<(bool, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                let mut said = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    use std::io::Read;
                    let _ = stderr.read_to_string(&mut said);
                }
                return Ok((status.success(), said));
            }
            if Instant::now() > deadline {
                bail!("ffmpeg still running after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Broadcaster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
