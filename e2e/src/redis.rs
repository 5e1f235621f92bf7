//! A real Redis for the tests that run several site servers on one.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::stack::{free_port, stop_child};
use crate::temp::TempDir;
use crate::tls::TestCa;

/// A real `redis-server` on a free port, with its append-only file on (every write synced, as the
/// site server's deployment guide asks); stopped on drop.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    /// TLS only: the certificate and key it serves.
    tls: Option<(PathBuf, PathBuf)>,
}

impl Redis {
    pub fn start() -> anyhow::Result<Self> {
        let mut redis = Self { child: None, port: free_port(), dir: TempDir::new("redis")?, tls: None };
        redis.run()?;
        Ok(redis)
    }

    /// A Redis that speaks only TLS, with the certificate `ca` signed (as a managed Redis with
    /// encryption in transit does); its [`url`](Self::url) is `rediss://`.
    pub fn start_tls(ca: &TestCa) -> anyhow::Result<Self> {
        let mut redis = Self { child: None, port: free_port(), dir: TempDir::new("redis")?, tls: Some((ca.cert.clone(), ca.key.clone())) };
        redis.run()?;
        Ok(redis)
    }

    fn run(&mut self) -> anyhow::Result<()> {
        let port = self.port.to_string();
        let mut command = Command::new("redis-server");
        match &self.tls {
            None => command.args(["--port", &port]),
            Some((cert, key)) => {
                command.args(["--port", "0", "--tls-port", &port, "--tls-auth-clients", "no", "--tls-cert-file"]).arg(cert).arg("--tls-key-file").arg(key)
            }
        };
        let child = command
            .args(["--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
            .arg("--dir")
            .arg(&self.dir.0)
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start redis-server (scripts/setup.sh installs it)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("redis-server did not start")
    }

    pub fn url(&self) -> String {
        match self.tls {
            None => format!("redis://127.0.0.1:{}", self.port),
            Some(_) => format!("rediss://localhost:{}", self.port),
        }
    }

    /// Stops Redis (SIGTERM: it finishes its append-only file, as a restart would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
    }

    /// Starts it again on the same port with the same files.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.run()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
