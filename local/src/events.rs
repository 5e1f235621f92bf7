//! IVS's EventBridge events, as an API destination delivers them: the real envelope (`version`
//! "0", `id`, `detail-type`, `source` "aws.ivs", `account`, `time`, `region`, `resources`,
//! `detail`) POSTed as JSON to each configured target with its headers — the part an EventBridge
//! rule plus API destination plays for a real channel.
//!
//! A watcher follows every channel and emits, when a broadcast starts, `Session Created` then
//! `Stream Start`; when it stops, `Stream End` then `Session Ended`; and `Starvation Start` /
//! `Starvation End` as its health changes. Ingest and recording emit `IVS Limit Breach` and
//! `IVS Recording State Change`. Each target gets the events in order; a failed delivery is
//! retried with backoff (as EventBridge retries), then dropped with a log line.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::control::channels::{ChannelRecord, Channels};
use crate::media::live::Live;

/// Where events go: URLs (http://) and the headers sent with each.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub urls: Vec<String>,
    pub headers: Vec<(String, String)>,
}

/// Queues events for every target.
#[derive(Clone, Default)]
pub struct Emitter {
    queues: Vec<mpsc::UnboundedSender<String>>,
}

/// An EventBridge envelope from IVS.
pub fn envelope(channel_arn: &str, detail_type: &str, detail: serde_json::Value, now: time::OffsetDateTime) -> serde_json::Value {
    let mut fields = channel_arn.split(':');
    let region = fields.nth(3).unwrap_or("us-east-1");
    let account = fields.next().unwrap_or("000000000000");
    let id = {
        let b: [u8; 16] = rand::random();
        let h = b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    };
    let time = now.replace_nanosecond(0).unwrap_or(now).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": detail_type,
        "source": "aws.ivs",
        "account": account,
        "time": time,
        "region": region,
        "resources": [channel_arn],
        "detail": detail,
    })
}

impl Emitter {
    /// Starts one delivery task per target.
    pub fn start(targets: &Targets) -> Self {
        let queues = targets
            .urls
            .iter()
            .map(|url| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(deliver(url.clone(), targets.headers.clone(), rx));
                tx
            })
            .collect();
        Self { queues }
    }

    /// Sends an event about channel `channel_arn`.
    pub fn emit(&self, channel_arn: &str, detail_type: &str, detail: serde_json::Value) {
        tracing::info!(%channel_arn, detail_type, %detail, "event");
        if self.queues.is_empty() {
            return;
        }
        let event = envelope(channel_arn, detail_type, detail, time::OffsetDateTime::now_utc()).to_string();
        for queue in &self.queues {
            let _ = queue.send(event.clone());
        }
    }

    fn stream(&self, detail_type: &str, (arn, name): (&str, &str), event_name: &str, stream_id: &str) {
        let detail = serde_json::json!({ "event_name": event_name, "channel_name": name, "stream_id": stream_id });
        self.emit(arn, detail_type, detail);
    }

    /// An `IVS Limit Breach`.
    pub fn limit_breach(&self, channel: &ChannelRecord, stream_id: Option<&str>, limit_name: &str, limit_value: u64, exceeded_by: u64, unit: &str) {
        let mut detail = serde_json::json!({
            "limit_name": limit_name,
            "limit_value": limit_value,
            "exceeded_by": exceeded_by,
            "limit_unit": unit,
            "channel_name": channel.name,
        });
        if let Some(id) = stream_id {
            detail["stream_id"] = id.into();
        }
        self.emit(&channel.arn, "IVS Limit Breach", detail);
    }

    /// Follows every channel for as long as the emulator runs, emitting what changes.
    pub async fn watch(self, live: Live, channels: Channels) {
        let mut last: HashMap<String, (String, bool)> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            for (arn, channel) in live.all() {
                let now = channel.stream_info().map(|info| (info.stream_id, info.healthy));
                if last.get(&arn) == now.as_ref() {
                    continue; // nothing changed: no event, and no need for the channel's name
                }
                let name = channels.get(&arn).map(|c| c.name).unwrap_or_default();
                let state = |event: &str, id: &str| self.stream("IVS Stream State Change", (&arn, &name), event, id);
                let health = |event: &str, id: &str| self.stream("IVS Stream Health Change", (&arn, &name), event, id);
                match (last.get(&arn), &now) {
                    (None, Some((id, healthy))) => {
                        state("Session Created", id);
                        state("Stream Start", id);
                        if !healthy {
                            health("Starvation Start", id);
                        }
                    }
                    (Some((id, _)), None) => {
                        state("Stream End", id);
                        state("Session Ended", id);
                    }
                    (Some((old, _)), Some((id, healthy))) if old != id => {
                        state("Stream End", old);
                        state("Session Ended", old);
                        state("Session Created", id);
                        state("Stream Start", id);
                        if !healthy {
                            health("Starvation Start", id);
                        }
                    }
                    (Some((_, was)), Some((id, healthy))) if was != healthy => {
                        health(if *healthy { "Starvation End" } else { "Starvation Start" }, id);
                    }
                    _ => {}
                }
                match now {
                    Some(now) => last.insert(arn, now),
                    None => last.remove(&arn),
                };
            }
        }
    }
}

/// Delivers `queue` to `url` in order, each event retried with backoff.
async fn deliver(url: String, headers: Vec<(String, String)>, mut queue: mpsc::UnboundedReceiver<String>) {
    while let Some(event) = queue.recv().await {
        let mut wait = Duration::from_millis(250);
        for attempt in 1..=6 {
            match post(&url, &headers, &event).await {
                Ok(status) if (200..300).contains(&status) => break,
                // 4xx other than 429: the target will never take it.
                Ok(status) if (400..500).contains(&status) && status != 429 => {
                    tracing::warn!(%url, status, "event target refused an event; dropped");
                    break;
                }
                outcome => {
                    if attempt == 6 {
                        tracing::warn!(%url, ?outcome, "event not delivered after 6 attempts; dropped");
                        break;
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                }
            }
        }
    }
}

/// POSTs one event; the target's status, or why there is none.
async fn post(url: &str, headers: &[(String, String)], body: &str) -> Result<u16, String> {
    let (url, headers, body) = (url.to_owned(), headers.to_vec(), body.to_owned());
    let exchange = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).timeout_global(Some(Duration::from_secs(5))).build().into();
        let request = headers.iter().fold(agent.post(&url).header("Content-Type", "application/json"), |request, (name, value)| request.header(name, value));
        request.send(body.as_str()).map(|response| response.status().as_u16()).map_err(|e| e.to_string())
    });
    exchange.await.map_err(|e| e.to_string())?
}

/// Parses `--event-header 'Name: value'`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once(':').ok_or("expected 'Name: value'")?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(format!("{name:?} is not a header name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivs_proto::stream_events::{Kind, StreamEvent};

    #[test]
    fn envelopes_are_what_the_site_server_reads() {
        let arn = "arn:aws:ivs:us-east-1:000000000000:channel/local";
        let detail = serde_json::json!({ "event_name": "Stream Start", "channel_name": "local", "stream_id": "st-1" });
        let event = envelope(arn, "IVS Stream State Change", detail, time::OffsetDateTime::now_utc());
        assert_eq!((event["account"].as_str(), event["region"].as_str()), (Some("000000000000"), Some("us-east-1")));
        let parsed = StreamEvent::parse(event.to_string().as_bytes()).unwrap();
        assert_eq!((parsed.kind, parsed.channel_arn.as_str(), parsed.stream_id.as_deref()), (Kind::StreamStart, arn, Some("st-1")));
        assert_eq!(parse_header("x-ivs-events-secret: abc: d").unwrap(), ("x-ivs-events-secret".into(), "abc: d".into()));
        assert!(parse_header("no colon").is_err() && parse_header("bad name: x").is_err());
    }
}
