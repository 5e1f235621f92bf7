//! Caddy, the reverse proxy docs/deploy.md puts in front of the site server: TLS, HTTP/2,
//! WebSockets, load balancing over instances.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::stack::stop_child;
use crate::temp::TempDir;

/// A running `caddy run`; stopped on drop.
pub struct Caddy {
    child: Child,
    _home: TempDir,
}

impl Caddy {
    /// Runs Caddy with the Caddyfile `config` and these environment variables (which the
    /// Caddyfile reads as `{$NAME}`), and waits until each of `ports` on loopback answers.
    pub fn start(config: &Path, env: &[(&str, String)], ports: &[u16]) -> anyhow::Result<Self> {
        // Its own home: the certificates and state it keeps are this run's.
        let home = TempDir::new("caddy")?;
        let mut command = Command::new("caddy");
        command
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(config)
            .env("HOME", &home.0)
            .env("XDG_DATA_HOME", home.0.join("data"))
            .env("XDG_CONFIG_HOME", home.0.join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().context("cannot start caddy (scripts/setup.sh installs it)")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in ports {
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                if Instant::now() > deadline {
                    stop_child(&mut child);
                    bail!("caddy did not listen on {port}");
                }
                if let Ok(Some(status)) = child.try_wait() {
                    bail!("caddy exited ({status}); run `caddy validate --config {}` to see why", config.display());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(Self { child, _home: home })
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}
