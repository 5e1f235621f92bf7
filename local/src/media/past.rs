//! A broadcast that has ended, kept in memory in every rendition: playable at once as a
//! recording (VOD) from the playback origin, and what `ListStreamSessions` reports. (Recording
//! to S3 is `s3_recorder.rs`.)

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ivs_codecs::segmenter::Segment;

use super::ladder::{rung_index, Rung};
use super::playlist;

/// A finished broadcast, in every rendition; cheap to clone.
#[derive(Clone)]
pub struct PastBroadcast {
    pub stream_id: String,
    pub(super) ended_at: Instant,
    ladder: Arc<Vec<Rung>>,
    /// Per rung, in ladder order.
    renditions: Arc<Vec<Vec<Segment>>>,
}

impl PastBroadcast {
    /// Broadcast `stream_id` of `ladder`, `renditions` in ladder order, ended now.
    pub fn new(stream_id: String, ladder: Arc<Vec<Rung>>, renditions: Vec<Vec<Segment>>) -> Self {
        Self { stream_id, ended_at: Instant::now(), ladder, renditions: Arc::new(renditions) }
    }

    fn best(&self) -> &[Segment] {
        self.renditions.first().map_or(&[], Vec::as_slice)
    }

    pub fn duration_secs(&self) -> f64 {
        self.best().iter().map(|s| s.duration).sum()
    }

    /// Wall-clock time of the broadcast's first frame (ms since the epoch).
    pub fn start_ms(&self) -> i64 {
        self.best().first().map_or(0, |s| s.program_date_time_ms)
    }

    /// The multivariant playlist: one entry per rendition, `{rung}.m3u8`.
    pub fn master_playlist(&self) -> String {
        playlist::master(&self.ladder, |rung| format!("{}.m3u8", rung.name))
    }

    /// A rendition's VOD playlist: every segment (`{rung}-{sequence}.ts`), `EXT-X-ENDLIST`.
    pub fn playlist(&self, rung: &str) -> Option<String> {
        self.ended_playlist(rung, usize::MAX, &format!("{rung}-"))
    }

    /// The last `window` segments of a rendition, `EXT-X-ENDLIST`: the live playlist of a
    /// broadcast that just ended, so that players watching it play to the end and stop.
    pub fn ended_playlist(&self, rung: &str, window: usize, segment_prefix: &str) -> Option<String> {
        Some(playlist::ended(self.rendition(rung)?, window, segment_prefix))
    }

    pub fn segment(&self, rung: &str, sequence: u64) -> Option<Bytes> {
        self.rendition(rung)?.iter().find(|s| s.sequence == sequence).map(|s| s.data.clone())
    }

    fn rendition(&self, rung: &str) -> Option<&[Segment]> {
        self.renditions.get(rung_index(&self.ladder, rung)?).map(Vec::as_slice)
    }
}
