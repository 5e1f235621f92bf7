//! The stream's status as the site server tells it — live or not, health, how many watch — from
//! the state endpoint at start, then its `app:stream-status` room events. A store of its own,
//! provided to the whole app; the viewer count and the health warning read it.

use ivs_proto::stream_status::StreamStatus;
use leptos::prelude::*;

/// A copyable handle, provided by [`provide_stream_status`].
#[derive(Clone, Copy)]
pub struct StreamStatusStore {
    status: RwSignal<Option<StreamStatus>>,
}

/// Creates the store and provides it as context.
pub fn provide_stream_status() -> StreamStatusStore {
    let store = StreamStatusStore { status: RwSignal::new(None) };
    provide_context(store);
    store
}

impl StreamStatusStore {
    /// The server's latest word.
    pub fn set(&self, status: StreamStatus) {
        self.status.set(Some(status));
    }

    /// The status while the stream is live (tracked).
    pub fn live(&self) -> Option<StreamStatus> {
        self.status.get().filter(|s| s.live)
    }
}
