//! Clips: a short stretch of a recording, made from its playlists alone — no transcoding, cut at
//! segment boundaries (as AWS's clip demo for IVS does). A clip's playlists name the recording's
//! own segments, so a clip costs a few hundred bytes and plays wherever the recording does.

use serde::{Deserialize, Serialize};

/// The longest clip, in seconds.
pub const MAX_CLIP_SECS: f64 = 60.0;
/// A clip of "the last moments", in seconds.
pub const DEFAULT_CLIP_SECS: f64 = 30.0;

/// What a viewer asks to clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClipRequest {
    /// The recording (a past broadcast); none: the broadcast recording now.
    #[serde(default)]
    pub recording_id: Option<String>,
    /// From and to, in seconds into the recording; none: the last [`DEFAULT_CLIP_SECS`].
    #[serde(default)]
    pub from_secs: Option<f64>,
    #[serde(default)]
    pub to_secs: Option<f64>,
    /// Without from and to: how many of the last seconds (1 to [`MAX_CLIP_SECS`]; none: [`DEFAULT_CLIP_SECS`]).
    #[serde(default)]
    pub last_secs: Option<f64>,
}

/// The lengths a viewer picks from, in seconds.
pub const CLIP_LENGTHS: [f64; 3] = [15.0, 30.0, 60.0];

/// The answer: where the clip is shared and played.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClipAnswer {
    pub id: String,
    /// The page that plays it (`/?clip=<id>`).
    pub page_url: String,
    /// Its master playlist.
    pub playback_url: String,
    pub duration_secs: f64,
}

/// Why a clip cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipError {
    #[error("a clip is at most {MAX_CLIP_SECS} seconds long, and ends after it starts")]
    Range,
    #[error("the recording's playlist cannot be read: {0}")]
    Playlist(String),
    #[error("nothing of the recording falls in that stretch yet")]
    Empty,
}

/// The stretch to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Seconds into the recording (from its first segment).
    Offset { from_secs: f64, to_secs: f64 },
    /// The last `secs` seconds recorded so far.
    Last { secs: f64 },
}

impl ClipRequest {
    /// The window asked for, checked.
    pub fn window(&self) -> Result<Window, ClipError> {
        match (self.from_secs, self.to_secs) {
            (None, None) => match self.last_secs.unwrap_or(DEFAULT_CLIP_SECS) {
                secs if secs.is_finite() && (1.0..=MAX_CLIP_SECS).contains(&secs) => Ok(Window::Last { secs }),
                _ => Err(ClipError::Range),
            },
            (Some(from), Some(to)) if from.is_finite() && to.is_finite() && from >= 0.0 && to > from && to - from <= MAX_CLIP_SECS => {
                Ok(Window::Offset { from_secs: from, to_secs: to })
            }
            _ => Err(ClipError::Range),
        }
    }
}

/// One segment of a media playlist.
#[derive(Debug, Clone, PartialEq)]
struct Segment {
    /// Its tags (`#EXT-X-PROGRAM-DATE-TIME`, `#EXT-X-DISCONTINUITY`…) and `#EXTINF` line.
    tags: Vec<String>,
    duration: f64,
    uri: String,
}

/// A media playlist's segments and target duration.
fn segments(playlist: &str) -> Result<(u64, Vec<Segment>), ClipError> {
    let mut lines = playlist.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("#EXTM3U") {
        return Err(ClipError::Playlist("not an HLS playlist".into()));
    }
    let (mut target, mut out, mut tags, mut duration) = (0u64, Vec::new(), Vec::new(), None::<f64>);
    for line in lines {
        if let Some(t) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
            target = t.parse().map_err(|_| ClipError::Playlist("a bad target duration".into()))?;
        } else if let Some(info) = line.strip_prefix("#EXTINF:") {
            let d = info.split(',').next().and_then(|d| d.parse::<f64>().ok()).filter(|d| d.is_finite() && *d >= 0.0);
            duration = Some(d.ok_or_else(|| ClipError::Playlist("a bad segment duration".into()))?);
            tags.push(line.to_owned());
        } else if line.starts_with("#EXT-X-PROGRAM-DATE-TIME:") || line == "#EXT-X-DISCONTINUITY" {
            tags.push(line.to_owned());
        } else if !line.starts_with('#') {
            let duration = duration.take().ok_or_else(|| ClipError::Playlist("a segment without #EXTINF".into()))?;
            out.push(Segment { tags: std::mem::take(&mut tags), duration, uri: line.to_owned() });
        }
    }
    Ok((target.max(1), out))
}

/// `uri` (as a playlist at `base` names it) as a full address: what a clip names, and what the
/// server fetches.
pub fn resolve(uri: &str, base: &str) -> String {
    if uri.starts_with("https://") || uri.starts_with("http://") {
        return uri.to_owned();
    }
    let dir = &base[..base.rfind('/').map_or(base.len(), |i| i + 1)];
    format!("{dir}{uri}")
}

/// The clip of media playlist `playlist` (found at `base`) for `window`: a VOD playlist of the
/// segments that overlap it, naming them by absolute address. Answers it and its duration.
pub fn cut(playlist: &str, base: &str, window: Window) -> Result<(String, f64), ClipError> {
    let (target, all) = segments(playlist)?;
    let total: f64 = all.iter().map(|s| s.duration).sum();
    let (from, to) = match window {
        Window::Offset { from_secs, to_secs } => (from_secs, to_secs),
        Window::Last { secs } => ((total - secs).max(0.0), total),
    };
    let mut at = 0.0;
    let mut kept = Vec::new();
    for segment in all {
        let (start, end) = (at, at + segment.duration);
        at = end;
        if end > from && start < to {
            kept.push(segment);
        }
    }
    if kept.is_empty() {
        return Err(ClipError::Empty);
    }
    let mut m3u8 = format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n");
    let mut duration = 0.0;
    for segment in &kept {
        for tag in &segment.tags {
            m3u8.push_str(tag);
            m3u8.push('\n');
        }
        m3u8.push_str(&resolve(&segment.uri, base));
        m3u8.push('\n');
        duration += segment.duration;
    }
    m3u8.push_str("#EXT-X-ENDLIST\n");
    Ok((m3u8, duration))
}

/// A master playlist's renditions: each `#EXT-X-STREAM-INF` line and the URI after it.
pub fn renditions(master: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut info = None;
    for line in master.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("#EXT-X-STREAM-INF:") {
            info = Some(line.to_owned());
        } else if !line.starts_with('#') {
            if let Some(info) = info.take() {
                out.push((info, line.to_owned()));
            }
        }
    }
    out
}

/// A clip's master playlist: rendition `i` at `uri(i)`.
pub fn master(renditions: &[(String, String)], uri: impl Fn(usize) -> String) -> String {
    let mut m3u8 = String::from("#EXTM3U\n#EXT-X-VERSION:3\n");
    for (i, (info, _)) in renditions.iter().enumerate() {
        m3u8.push_str(info);
        m3u8.push('\n');
        m3u8.push_str(&uri(i));
        m3u8.push('\n');
    }
    m3u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
        #EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:00.000Z\n#EXTINF:2.000,\n0.ts\n\
        #EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:02.000Z\n#EXTINF:2.000,\n1.ts\n\
        #EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:04.000Z\n#EXTINF:2.000,\n2.ts\n\
        #EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:06.000Z\n#EXTINF:1.500,\n3.ts\n";
    const BASE: &str = "https://cdn.example/ivs/v1/rec/media/hls/720p30/playlist.m3u8";

    #[test]
    fn a_clip_keeps_the_segments_that_overlap_its_window() {
        let (clip, duration) = cut(RECORDED, BASE, Window::Offset { from_secs: 2.5, to_secs: 4.5 }).unwrap();
        assert_eq!(duration, 4.0, "cut at segment boundaries: 2–6 s");
        assert!(clip.contains("#EXT-X-PLAYLIST-TYPE:VOD") && clip.ends_with("#EXT-X-ENDLIST\n"), "{clip}");
        assert!(clip.contains("\nhttps://cdn.example/ivs/v1/rec/media/hls/720p30/1.ts\n") && clip.contains("/2.ts\n"), "{clip}");
        assert!(!clip.contains("/0.ts") && !clip.contains("/3.ts"), "{clip}");
        assert!(clip.contains("#EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:02.000Z"), "the segments keep their times: {clip}");

        let (last, duration) = cut(RECORDED, BASE, Window::Last { secs: 3.0 }).unwrap();
        assert_eq!(duration, 3.5);
        assert!(last.contains("/2.ts") && last.contains("/3.ts") && !last.contains("/1.ts"), "{last}");
        assert_eq!(cut(RECORDED, BASE, Window::Offset { from_secs: 30.0, to_secs: 40.0 }), Err(ClipError::Empty));
        assert!(matches!(cut("not a playlist", BASE, Window::Last { secs: 3.0 }), Err(ClipError::Playlist(_))));
    }

    #[test]
    fn requests_are_checked() {
        let request = |from, to| ClipRequest { recording_id: None, from_secs: from, to_secs: to, last_secs: None }.window();
        let last = |secs| ClipRequest { recording_id: None, from_secs: None, to_secs: None, last_secs: Some(secs) }.window();
        assert_eq!(last(60.0), Ok(Window::Last { secs: 60.0 }));
        assert_eq!(last(61.0), Err(ClipError::Range));
        assert_eq!(last(0.0), Err(ClipError::Range));
        assert_eq!(last(f64::INFINITY), Err(ClipError::Range));
        assert_eq!(request(None, None), Ok(Window::Last { secs: DEFAULT_CLIP_SECS }));
        assert_eq!(request(Some(10.0), Some(70.0)), Ok(Window::Offset { from_secs: 10.0, to_secs: 70.0 }));
        assert_eq!(request(Some(10.0), Some(71.0)), Err(ClipError::Range), "over a minute");
        assert_eq!(request(Some(10.0), Some(5.0)), Err(ClipError::Range));
        assert_eq!(request(Some(10.0), None), Err(ClipError::Range));
        assert_eq!(request(Some(f64::NAN), Some(5.0)), Err(ClipError::Range));
    }

    #[test]
    fn a_clip_master_names_its_own_renditions() {
        let master_text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720\n720p30/playlist.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=700000,RESOLUTION=640x360\n360p30/playlist.m3u8\n";
        let found = renditions(master_text);
        assert_eq!(found.len(), 2);
        assert_eq!(resolve(&found[1].1, "https://cdn.example/rec/media/hls/master.m3u8"), "https://cdn.example/rec/media/hls/360p30/playlist.m3u8");
        let clip = master(&found, |i| format!("/api/clips/c1/{i}.m3u8"));
        assert!(clip.contains("RESOLUTION=640x360\n/api/clips/c1/1.m3u8\n"), "{clip}");
    }
}
