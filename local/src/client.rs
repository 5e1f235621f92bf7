//! The command-line side: small HTTP calls to a running stack's AWS-compatible API.

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The state `ivs-local stream` sets.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StreamState {
    Online,
    Offline,
}

/// `ivs-local stream online|offline`.
pub async fn set_stream(api: &str, state: StreamState) -> anyhow::Result<()> {
    let path = match state {
        StreamState::Online => "/_local/stream/online",
        StreamState::Offline => "/_local/stream/offline",
    };
    let (status, body) = post(api, path, "{}").await?;
    if status != 200 {
        bail!("the stack answered {status}: {body}");
    }
    println!("{body}");
    Ok(())
}

/// `ivs-local put-metadata`.
pub async fn put_metadata(api: &str, metadata: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "channelArn": crate::CHANNEL_ARN, "metadata": metadata }).to_string();
    let (status, answer) = post(api, "/PutMetadata", &body).await?;
    if status != 204 {
        bail!("PutMetadata failed ({status}): {answer}");
    }
    println!("sent {} bytes of timed metadata", metadata.len());
    Ok(())
}

async fn post(api: &str, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
    let authority = api.strip_prefix("http://").context("--api must be an http:// URL")?.trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).await.with_context(|| format!("cannot reach the stack at {api}; is it running?"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed HTTP response")?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
