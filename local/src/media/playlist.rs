//! HLS playlists, written the way IVS writes them: the multivariant playlist named by IVS's
//! quality names, a live rendition's sliding window with low-latency prefetch entries, a
//! broadcast that just ended, and a recording's event-then-VOD playlist. Pure text: no state.

use std::fmt::Write as _;

use ivs_codecs::segmenter::Segment;
use ivs_codecs::FRAME_RATE;

use super::ladder::{Rung, AUDIO_KBPS};
use crate::clock::rfc3339_ms;

/// Where a player joining the stream starts, from the live edge: close to it, as IVS's
/// low-latency channels do, rather than the HLS default of three target durations.
const START_OFFSET_SECS: f64 = -0.5;

/// A multivariant playlist for `ladder`, each rendition at `uri(rung)`; named the way IVS names
/// its qualities, so the player lists them by those names.
pub fn master(ladder: &[Rung], uri: impl Fn(&Rung) -> String) -> String {
    let mut m3u8 = String::from("#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for rung in ladder {
        let bandwidth = (rung.video_kbps + AUDIO_KBPS) * 1000 * 11 / 10;
        let _ = write!(
            m3u8,
            "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"{name}\",NAME=\"{name}\",AUTOSELECT=YES,DEFAULT=YES\n\
             #EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={w}x{h},CODECS=\"avc1.4D401E,mp4a.40.2\",VIDEO=\"{name}\",FRAME-RATE={FRAME_RATE}.000\n{uri}\n",
            name = rung.name,
            w = rung.width,
            h = rung.height,
            uri = uri(rung),
        );
    }
    m3u8
}

/// One segment's lines: its wall-clock time, its duration and its URI `{prefix}{number}.ts`.
fn entry(m3u8: &mut String, prefix: &str, number: u64, duration: f64, program_date_time_ms: i64) {
    let _ = write!(m3u8, "#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{duration:.3},\n{prefix}{number}.ts\n", rfc3339_ms(program_date_time_ms));
}

/// A live rendition's playlist: the `listed` segments (oldest first, at least one), then the
/// `prefetch` segments from `next` on, which players fetch while they are written — low-latency
/// delivery as IVS does it.
pub fn live(listed: &[&Segment], next: u64, prefetch: usize, prefix: &str) -> String {
    let first = listed.first().map_or(next, |s| s.sequence);
    let target = listed.iter().map(|s| s.duration.round().max(1.0) as u64).max().unwrap_or(1);
    let mut m3u8 = String::with_capacity(128 + listed.len() * 96);
    let _ = write!(
        m3u8,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{first}\n#EXT-X-START:TIME-OFFSET={START_OFFSET_SECS:.1}\n"
    );
    for s in listed {
        entry(&mut m3u8, prefix, s.sequence, s.duration, s.program_date_time_ms);
    }
    for n in next..next + prefetch as u64 {
        let _ = writeln!(m3u8, "#EXT-X-PREFETCH:{prefix}{n}.ts");
    }
    m3u8
}

/// The last `window` of `all` a broadcast's segments, `EXT-X-ENDLIST`: a VOD playlist when it
/// lists them all, else the live playlist of a broadcast that just ended (players watching it
/// play to the end and stop).
pub fn ended(all: &[Segment], window: usize, prefix: &str) -> String {
    let segments = &all[all.len().saturating_sub(window)..];
    let target = segments.iter().map(|s| s.duration.ceil().max(1.0) as u64).max().unwrap_or(1);
    let first = segments.first().map_or(0, |s| s.sequence);
    let kind = if segments.len() == all.len() { "#EXT-X-PLAYLIST-TYPE:VOD\n" } else { "" };
    let mut m3u8 = format!("#EXTM3U\n#EXT-X-VERSION:3\n{kind}#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
    for s in segments {
        entry(&mut m3u8, prefix, s.sequence, s.duration, s.program_date_time_ms);
    }
    m3u8.push_str("#EXT-X-ENDLIST\n");
    m3u8
}

/// A recorded rendition's playlist, `(duration, program date-time ms)` per segment, the files
/// numbered from 0: an event playlist while recording, a VOD one at the end.
pub fn recorded(segments: &[(f64, i64)], ended: bool) -> String {
    let kind = if ended { "VOD" } else { "EVENT" };
    let mut m3u8 =
        format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:{kind}\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:0\n", recorded_target(segments));
    for (i, &(duration, pdt_ms)) in segments.iter().enumerate() {
        entry(&mut m3u8, "", i as u64, duration, pdt_ms);
    }
    if ended {
        m3u8.push_str("#EXT-X-ENDLIST\n");
    }
    m3u8
}

/// Recorded segment `i`'s lines, to append to an event playlist.
pub fn recorded_entry(i: usize, duration: f64, pdt_ms: i64) -> String {
    let mut m3u8 = String::new();
    entry(&mut m3u8, "", i as u64, duration, pdt_ms);
    m3u8
}

/// A recorded playlist's target duration: the longest segment, in whole seconds.
pub fn recorded_target(segments: &[(f64, i64)]) -> u64 {
    segments.iter().map(|&(d, _)| d.ceil().max(1.0) as u64).max().unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_playlists_end_as_vod() {
        let live = recorded(&[(0.5, 0), (0.5, 500)], false);
        assert!(live.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !live.contains("ENDLIST") && live.contains("\n1.ts\n"));
        let done = recorded(&[(0.5, 0), (2.2, 500)], true);
        assert!(done.contains("#EXT-X-PLAYLIST-TYPE:VOD") && done.ends_with("#EXT-X-ENDLIST\n") && done.contains("#EXT-X-TARGETDURATION:3"));
    }

    #[test]
    fn the_multivariant_playlist_names_ivs_qualities() {
        let ladder = [Rung { name: "360p30".into(), width: 640, height: 360, video_kbps: 1000 }];
        let m3u8 = master(&ladder, |r| format!("{}.m3u8", r.name));
        assert!(m3u8.contains("NAME=\"360p30\"") && m3u8.contains("RESOLUTION=640x360") && m3u8.ends_with("\n360p30.m3u8\n"), "{m3u8}");
    }
}
