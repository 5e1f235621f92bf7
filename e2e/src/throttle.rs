//! A slow network for one browser: an HTTP proxy ([`Chromium::launch_through`](crate::Chromium::launch_through)
//! sends every request of that browser through it, loopback's and the player's worker's
//! included — DevTools' network emulation throttles the page's own requests only) that passes
//! answers on at the rate the test sets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The proxy; stopped on drop.
pub struct Throttle {
    pub port: u16,
    /// Bytes per second toward the browser; 0: as fast as loopback.
    rate: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Throttle {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let rate = Arc::new(AtomicU64::new(0));
        let shared = rate.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rate = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(client, rate).await;
                });
            }
        });
        Ok(Self { port, rate, task })
    }

    /// `--proxy-server`'s value.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers reach the browser at `bytes_per_sec` (0: unthrottled) from now on.
    pub fn set_rate(&self, bytes_per_sec: u64) {
        self.rate.store(bytes_per_sec, Ordering::SeqCst);
    }
}

impl Drop for Throttle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One proxied connection: `CONNECT host:port` (WebSockets, TLS) tunnels; a plain request in
/// absolute form goes to its host, one request per connection (`Connection: close`).
async fn serve(mut client: TcpStream, rate: Arc<AtomicU64>) -> anyhow::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        anyhow::ensure!(client.read(&mut byte).await? == 1 && head.len() < 64 * 1024, "no request");
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().context("no request line")?;
    let mut parts = request_line.split(' ');
    let (method, target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or("HTTP/1.1"));
    if method == "CONNECT" {
        let upstream = TcpStream::connect(target).await;
        let Ok(upstream) = upstream else {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await?;
            return Ok(());
        };
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
        return splice(client, upstream, rate).await;
    }
    let rest = target.strip_prefix("http://").context("not an absolute http:// request")?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let Ok(mut upstream) = TcpStream::connect(authority).await else {
        client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await?;
        return Ok(());
    };
    let mut forwarded = format!("{method} {path} {version}\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        if name != "proxy-connection" && name != "connection" && name != "keep-alive" {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    upstream.write_all(forwarded.as_bytes()).await?;
    splice(client, upstream, rate).await
}

/// Copies both ways until either side closes; toward the browser at the set rate.
async fn splice(client: TcpStream, upstream: TcpStream, rate: Arc<AtomicU64>) -> anyhow::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
        let _ = upstream_write.shutdown().await;
    };
    let down = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let limit = rate.load(Ordering::SeqCst);
            // Small reads when slow, so the rate holds within a tenth of a second.
            let chunk = if limit == 0 { buffer.len() } else { (limit as usize / 10).clamp(256, buffer.len()) };
            let n = match upstream_read.read(&mut buffer[..chunk]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
            let limit = rate.load(Ordering::SeqCst);
            if limit > 0 {
                tokio::time::sleep(Duration::from_secs_f64(n as f64 / limit as f64)).await;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
    Ok(())
}
