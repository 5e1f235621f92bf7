//! The command-line side: small HTTP calls to a running stack's AWS-compatible API.

use anyhow::{bail, Context};

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
    let base = api.trim_end_matches('/');
    if !base.starts_with("http://") {
        bail!("--api must be an http:// URL");
    }
    let (url, body, api) = (format!("{base}{path}"), body.to_owned(), api.to_owned());
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).timeout_global(Some(std::time::Duration::from_secs(30))).build().into();
        let mut response = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.as_str())
            .with_context(|| format!("cannot reach the stack at {api}; is it running?"))?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_string().unwrap_or_default()))
    })
    .await?
}
