//! An EventBridge API destination stand-in: collects the events the local IVS posts.

use std::time::{Duration, Instant};

use anyhow::bail;

/// An event target, as an EventBridge API destination would be: collects what is POSTed to it.
pub struct EventSink {
    pub url: String,
    events: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl EventSink {
    pub async fn start() -> anyhow::Result<Self> {
        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = events.clone();
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |body: String| {
                let kept = kept.clone();
                async move {
                    if let Ok(event) = serde_json::from_str(&body) {
                        kept.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/events", listener.local_addr()?);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, events, _server: server })
    }

    /// The events received so far, in order.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `(detail-type, event_name or recording_status or limit_name)` of the events about
    /// `channel_arn`, in order.
    pub fn names(&self, channel_arn: &str) -> Vec<(String, String)> {
        self.events()
            .iter()
            .filter(|e| e["resources"][0] == channel_arn)
            .map(|e| {
                let d = &e["detail"];
                let name = d["event_name"].as_str().or(d["recording_status"].as_str()).or(d["limit_name"].as_str()).unwrap_or_default();
                (e["detail-type"].as_str().unwrap_or_default().to_owned(), name.to_owned())
            })
            .collect()
    }

    /// Waits until an event about `channel_arn` named `name` arrived; returns it.
    pub async fn wait_for(&self, channel_arn: &str, name: &str, timeout: Duration) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.events().into_iter().find(|e| {
                let d = &e["detail"];
                e["resources"][0] == channel_arn && (d["event_name"] == name || d["recording_status"] == name || d["limit_name"] == name)
            });
            if let Some(event) = found {
                return Ok(event);
            }
            if Instant::now() > deadline {
                bail!("no {name:?} event for {channel_arn} within {timeout:?}; got {:?}", self.names(channel_arn));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
