//! Pushes the stream's status (live, health, viewer count) to every viewer through the chat room,
//! when it changes and every ten seconds — the role EventBridge's stream events and a backend
//! play for a real deployment, so no viewer polls `GetStream`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ivs_proto::stream_status::{Health, StreamStatus, EVENT_STREAM_STATUS};

use crate::chat::DEFAULT_ROOM_ARN;
use crate::AppState;

/// The status last pushed, and when; one per stack (cheap to clone).
#[derive(Clone, Default)]
pub struct LastPushed(Arc<Mutex<Option<(StreamStatus, Instant)>>>);

/// The status now.
pub fn current(state: &AppState) -> StreamStatus {
    match state.channel.stream_info() {
        Some(info) => StreamStatus {
            live: true,
            health: if info.healthy { Health::Healthy } else { Health::Starving },
            viewer_count: info.viewer_count as u64,
        },
        None => StreamStatus { live: false, health: Health::Unknown, viewer_count: 0 },
    }
}

fn push(state: &AppState, force: bool) {
    let status = current(state);
    let mut last = state.last_status.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let stale = last.as_ref().is_none_or(|(previous, at)| *previous != status || at.elapsed() >= Duration::from_secs(10));
    if force || stale {
        let _ = state.chat.send_event(DEFAULT_ROOM_ARN, EVENT_STREAM_STATUS, status.to_attributes(), None);
        *last = Some((status, Instant::now()));
    }
}

/// Pushes the status at once (after a change the stack made itself).
pub fn push_now(state: &AppState) {
    push(state, true);
}

/// Checks every second; pushes on change, and every ten seconds regardless.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        push(&state, false);
    }
}
