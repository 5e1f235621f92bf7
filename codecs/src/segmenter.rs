//! Cuts a live transport stream into HLS segments and splices timed metadata into it.
//!
//! The encoder's stream arrives packet by packet. Each segment starts on a video keyframe with a
//! fresh PAT and a PMT that declares the ID3 metadata stream; a `PutMetadata` payload waiting to be
//! sent goes out as an ID3 PES packet stamped with the PTS of the next video frame, so every viewer
//! sees the cue at the same picture.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::captions::{self, Captioner, PERIOD_FRAMES};
use crate::ts::{self, Packet, Pmt, PACKET_LEN, PAT_PID};
use crate::FRAME_RATE;

const TICKS_PER_SECOND: f64 = 90_000.0;
/// Owner of the PRIV frame that opens every segment.
pub const HEARTBEAT_OWNER: &str = "ivs-local.segment";

/// A finished segment.
#[derive(Debug, Clone)]
pub struct Segment {
    pub sequence: u64,
    pub duration: f64,
    /// Wall-clock time of the segment's first frame, in milliseconds since the Unix epoch.
    pub program_date_time_ms: i64,
    pub data: Bytes,
}

/// Segmenter state for one rendition of one broadcast.
#[derive(Debug)]
pub struct Segmenter {
    target_secs: f64,
    /// Which program of the encoder's stream this segmenter takes (one per rendition).
    program_index: usize,
    next_sequence: u64,
    start_wall_ms: i64,
    program_number: u16,
    pmt_pid: Option<u16>,
    pmt: Option<Pmt>,
    video_pid: Option<u16>,
    first_pts: Option<u64>,
    /// The PTS of the last video frame seen, and the frame duration before it.
    last_pts: Option<(u64, u64)>,
    current: Vec<u8>,
    current_start_pts: Option<u64>,
    pending: VecDeque<String>,
    cc_pat: u8,
    cc_pmt: u8,
    cc_id3: u8,
    /// Closed captions spliced into the video, when on.
    captions: Option<Captioner>,
    /// Packets the captions added to the video PID so far (its continuity counters move on by
    /// as many), modulo 16.
    video_cc_shift: u8,
}

impl Segmenter {
    /// A segmenter of the encoder's `program_index`th program, aiming at `target_secs` segments,
    /// numbering from `first_sequence`, whose first frame is taken to be at `start_wall_ms`.
    ///
    /// The renditions are programs of one stream, encoded from the same pictures with the same
    /// keyframe interval, so their segmenters cut at the same frames and number alike.
    pub fn new(target_secs: f64, first_sequence: u64, start_wall_ms: i64, program_index: usize) -> Self {
        Self {
            target_secs,
            program_index,
            next_sequence: first_sequence,
            start_wall_ms,
            program_number: 1,
            pmt_pid: None,
            pmt: None,
            video_pid: None,
            first_pts: None,
            last_pts: None,
            current: Vec::new(),
            current_start_pts: None,
            pending: VecDeque::new(),
            cc_pat: 0,
            cc_pmt: 0,
            cc_id3: 0,
            captions: None,
            video_cc_shift: 0,
        }
    }

    /// Captions the video (see [`captions`]): the wall-clock second, every two seconds.
    pub fn with_captions(mut self) -> Self {
        self.captions = Some(Captioner::default());
        self
    }

    /// Queues a metadata payload for the next video frame.
    pub fn push_metadata(&mut self, text: String) {
        self.pending.push_back(text);
    }

    /// Payloads queued and not yet in the stream.
    #[cfg(test)]
    pub fn pending_metadata(&self) -> usize {
        self.pending.len()
    }

    /// The segment being written: its sequence number and the bytes so far.
    pub fn in_progress(&self) -> Option<(u64, &[u8])> {
        self.current_start_pts.map(|_| (self.next_sequence, self.current.as_slice()))
    }

    /// Feeds one packet; returns a segment when this packet completed one.
    pub fn push_packet(&mut self, bytes: &[u8]) -> Option<Segment> {
        let packet = Packet::parse(bytes)?;
        if packet.pid == PAT_PID {
            if packet.payload_unit_start {
                if let Some(pid) = ts::pat_pmt_pid(packet.payload, self.program_index) {
                    self.pmt_pid = Some(pid);
                }
            }
            return None; // our own PAT opens every segment
        }
        if Some(packet.pid) == self.pmt_pid {
            if packet.payload_unit_start {
                if let Some(pmt) = Pmt::parse(packet.payload) {
                    self.video_pid = pmt.video_pid();
                    self.program_number = pmt.program_number;
                    self.pmt = Some(pmt.with_id3());
                }
            }
            return None;
        }
        // Only this program's streams (the other renditions' video, tables and the like are not ours).
        if !self.pmt.as_ref().is_some_and(|pmt| pmt.streams.iter().any(|(_, pid, _)| *pid == packet.pid)) {
            return None;
        }
        let mut finished = None;
        let is_video = Some(packet.pid) == self.video_pid;
        let frame_pts = if is_video && packet.payload_unit_start { ts::pes_pts(packet.payload) } else { None };
        if let Some(pts) = frame_pts {
            self.first_pts.get_or_insert(pts);
            let step = self.last_pts.map_or(0, |(last, step)| if pts > last { pts - last } else { step });
            self.last_pts = Some((pts, step));
            if packet.random_access {
                finished = self.cut_at(pts);
            }
            if self.current_start_pts.is_some() {
                self.flush_metadata(pts);
            }
        }
        if self.current_start_pts.is_some() {
            if is_video {
                self.push_video(bytes, frame_pts);
            } else {
                self.current.extend_from_slice(bytes);
            }
        }
        finished
    }

    /// Adds a video packet to the segment; at the start of a frame (`frame_pts`), with that
    /// frame's caption spliced in.
    fn push_video(&mut self, bytes: &[u8], frame_pts: Option<u64>) {
        let continuity = (bytes[3] & 0x0F).wrapping_add(self.video_cc_shift) & 0x0F;
        let start_wall_ms = self.start_wall_ms;
        let first_pts = self.first_pts;
        let caption = frame_pts.zip(self.captions.as_mut()).and_then(|(pts, captioner)| {
            let ticks_per_frame = TICKS_PER_SECOND / f64::from(FRAME_RATE);
            let frame = (pts.wrapping_sub(first_pts.unwrap_or(pts)) as f64 / ticks_per_frame).round() as u64;
            let period_ms = PERIOD_FRAMES * 1000 / u64::from(FRAME_RATE);
            captioner.pair(frame, |period| captions::clock_caption(start_wall_ms + (period * period_ms) as i64))
        });
        if let Some(packets) = caption.and_then(|pair| ts::splice_nal(bytes, &captions::sei_nal(pair), continuity)) {
            self.video_cc_shift = self.video_cc_shift.wrapping_add(packets.len() as u8 - 1) & 0x0F;
            for packet in packets {
                self.current.extend_from_slice(&packet);
            }
        } else {
            self.current.extend_from_slice(&ts::with_continuity(bytes, continuity));
        }
    }

    /// The broadcast ended: the segment being written, finished as it is (the broadcast's last).
    pub fn finish(&mut self) -> Option<Segment> {
        let start = self.current_start_pts?;
        let (last, step) = self.last_pts?;
        if self.current.is_empty() || last < start {
            return None;
        }
        let end = last + step.max(1);
        let first = self.first_pts.unwrap_or(start);
        let offset_ms = (start.wrapping_sub(first) as f64 / TICKS_PER_SECOND * 1000.0) as i64;
        let segment = Segment {
            sequence: self.next_sequence,
            duration: (end - start) as f64 / TICKS_PER_SECOND,
            program_date_time_ms: self.start_wall_ms + offset_ms,
            data: Bytes::from(std::mem::take(&mut self.current)),
        };
        self.next_sequence += 1;
        self.current_start_pts = None;
        Some(segment)
    }

    /// Starts a new segment at a keyframe with this PTS, finishing the current one if it is long
    /// enough.
    fn cut_at(&mut self, pts: u64) -> Option<Segment> {
        let mut finished = None;
        if let Some(start) = self.current_start_pts {
            let duration = pts.wrapping_sub(start) as f64 / TICKS_PER_SECOND;
            if duration < self.target_secs - 0.05 {
                return None;
            }
            let first = self.first_pts.unwrap_or(start);
            let offset_ms = (start.wrapping_sub(first) as f64 / TICKS_PER_SECOND * 1000.0) as i64;
            finished = Some(Segment {
                sequence: self.next_sequence,
                duration,
                program_date_time_ms: self.start_wall_ms + offset_ms,
                data: Bytes::from(std::mem::take(&mut self.current)),
            });
            self.next_sequence += 1;
        }
        let (pmt_pid, pmt) = (self.pmt_pid?, self.pmt.as_ref()?);
        self.current.reserve(PACKET_LEN * 1024);
        let pat = ts::encode_pat(self.program_number, pmt_pid);
        self.current.extend_from_slice(&ts::section_packet(PAT_PID, &mut self.cc_pat, &pat));
        self.current.extend_from_slice(&ts::section_packet(pmt_pid, &mut self.cc_pmt, &pmt.encode()));
        // Every segment carries an ID3 packet: a player waits for data on each declared stream,
        // so a metadata stream that is silent for a segment would stall playback. A PRIV frame
        // is not a text cue, so viewers see nothing of it.
        let heartbeat = ts::id3_priv(HEARTBEAT_OWNER, &self.next_sequence.to_be_bytes());
        for packet in ts::id3_pes_packets(&heartbeat, pts, &mut self.cc_id3) {
            self.current.extend_from_slice(&packet);
        }
        self.current_start_pts = Some(pts);
        finished
    }

    fn flush_metadata(&mut self, pts: u64) {
        while let Some(text) = self.pending.pop_front() {
            for packet in ts::id3_pes_packets(&ts::id3_txxx(&text), pts, &mut self.cc_id3) {
                self.current.extend_from_slice(&packet);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::{encode_pat, section_packet, ID3_PID};

    const VIDEO: u16 = 0x100;
    const PMT_PID: u16 = 0x1000;

    fn video_packet(pts: u64, keyframe: bool) -> [u8; PACKET_LEN] {
        let mut p = [0xFFu8; PACKET_LEN];
        p[0] = 0x47;
        p[1] = 0x40 | (VIDEO >> 8) as u8;
        p[2] = VIDEO as u8;
        p[3] = 0x30; // adaptation field + payload
        p[4] = 1;
        p[5] = if keyframe { 0x40 } else { 0x00 };
        let pes = &mut p[6..];
        pes[..9].copy_from_slice(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5]);
        pes[9] = 0x21 | ((pts >> 29) as u8 & 0x0E);
        pes[10] = (pts >> 22) as u8;
        pes[11] = 0x01 | ((pts >> 14) as u8 & 0xFE);
        pes[12] = (pts >> 7) as u8;
        pes[13] = 0x01 | ((pts << 1) as u8 & 0xFE);
        p
    }

    fn psi() -> Vec<[u8; PACKET_LEN]> {
        let pmt = Pmt { program_number: 1, pcr_pid: VIDEO, streams: vec![(0x1B, VIDEO, vec![])] };
        vec![section_packet(PAT_PID, &mut 0, &encode_pat(1, PMT_PID)), section_packet(PMT_PID, &mut 0, &pmt.encode())]
    }

    /// Feeds 30 fps video with a keyframe every `gop` frames; returns the segments produced.
    fn run(seg: &mut Segmenter, frames: std::ops::Range<u64>, gop: u64) -> Vec<Segment> {
        let mut out = Vec::new();
        for packet in psi() {
            assert!(seg.push_packet(&packet).is_none());
        }
        for frame in frames {
            out.extend(seg.push_packet(&video_packet(frame * 3000, frame % gop == 0)));
        }
        out
    }

    fn pids(data: &[u8]) -> Vec<u16> {
        data.chunks(PACKET_LEN).map(|p| Packet::parse(p).unwrap().pid).collect()
    }

    #[test]
    fn cuts_on_keyframes_at_the_target_duration() {
        let mut seg = Segmenter::new(1.0, 7, 1_000_000, 0);
        // Keyframes every half second; cuts at frames 30, 60 and 90 only.
        let segments = run(&mut seg, 0..95, 15);
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[0].sequence, 7);
        assert_eq!(segments[1].sequence, 8);
        assert!((segments[0].duration - 1.0).abs() < 1e-9);
        assert_eq!(segments[0].program_date_time_ms, 1_000_000);
        assert_eq!(segments[1].program_date_time_ms, 1_001_000);
        let first = pids(&segments[0].data);
        assert_eq!(&first[..4], &[PAT_PID, PMT_PID, ID3_PID, VIDEO], "each segment opens with PAT, PMT, ID3, keyframe");
        assert_eq!(first.len(), 3 + 30);
        for segment in &segments {
            assert!(segment.data.windows(HEARTBEAT_OWNER.len()).any(|w| w == HEARTBEAT_OWNER.as_bytes()), "heartbeat in every segment");
        }
        let pmt = Pmt::parse(Packet::parse(&segments[1].data[PACKET_LEN..2 * PACKET_LEN]).unwrap().payload).unwrap();
        assert!(pmt.streams.iter().any(|(t, pid, _)| (*t, *pid) == (0x15, ID3_PID)));
    }

    #[test]
    fn each_rendition_takes_its_own_program_of_a_multi_program_stream() {
        // Two programs (renditions) sharing nothing but the clock: video 0x100 and 0x101.
        const OTHER: u16 = 0x101;
        let pat = {
            let mut body = vec![0x00, 0x01, 0xC1, 0x00, 0x00];
            body.extend_from_slice(&[0x00, 0x01, 0xF0, 0x00, 0x00, 0x02, 0xF0, 0x01]);
            ts::finish_section(0x00, &body)
        };
        let pmt = |program_number, video| Pmt { program_number, pcr_pid: video, streams: vec![(0x1B, video, vec![])] };
        let other_packet = |pts, keyframe| {
            let mut p = video_packet(pts, keyframe);
            p[1] = 0x40 | (OTHER >> 8) as u8;
            p[2] = OTHER as u8;
            p
        };
        let mut renditions = [Segmenter::new(1.0, 0, 0, 0), Segmenter::new(1.0, 0, 0, 1)];
        let mut out: [Vec<Segment>; 2] = Default::default();
        let psi = [
            section_packet(PAT_PID, &mut 0, &pat),
            section_packet(PMT_PID, &mut 0, &pmt(1, VIDEO).encode()),
            section_packet(PMT_PID + 1, &mut 0, &pmt(2, OTHER).encode()),
        ];
        for frame in 0..61u64 {
            let packets: Vec<[u8; PACKET_LEN]> = if frame == 0 { psi.to_vec() } else { Vec::new() }
                .into_iter()
                .chain([video_packet(frame * 3000, frame % 15 == 0), other_packet(frame * 3000, frame % 15 == 0)])
                .collect();
            for packet in &packets {
                for (seg, out) in renditions.iter_mut().zip(out.iter_mut()) {
                    out.extend(seg.push_packet(packet));
                }
            }
        }
        let [first, second] = out;
        assert_eq!((first.len(), second.len()), (2, 2), "both cut at the same keyframes");
        assert_eq!(
            first.iter().map(|s| (s.sequence, s.program_date_time_ms)).collect::<Vec<_>>(),
            second.iter().map(|s| (s.sequence, s.program_date_time_ms)).collect::<Vec<_>>()
        );
        assert_eq!(&pids(&first[0].data)[..4], &[PAT_PID, PMT_PID, ID3_PID, VIDEO]);
        assert_eq!(&pids(&second[0].data)[..4], &[PAT_PID, PMT_PID + 1, ID3_PID, OTHER]);
        assert!(!pids(&first[0].data).contains(&OTHER) && !pids(&second[0].data).contains(&VIDEO), "each keeps only its program");
        let pat = Packet::parse(&second[0].data[..PACKET_LEN]).unwrap();
        assert_eq!(ts::pat_pmt_pid(pat.payload, 0), Some(PMT_PID + 1), "its own PAT lists its program only");
    }

    #[test]
    fn the_segment_in_progress_is_visible_and_becomes_the_finished_one() {
        let mut seg = Segmenter::new(1.0, 3, 0, 0);
        assert!(seg.in_progress().is_none(), "nothing before the first keyframe");
        run(&mut seg, 0..20, 30);
        let (sequence, partial) = seg.in_progress().map(|(n, d)| (n, d.to_vec())).unwrap();
        assert_eq!(sequence, 3);
        let finished = run(&mut seg, 20..31, 30).remove(0);
        assert_eq!(finished.sequence, 3);
        assert!(finished.data.starts_with(&partial), "the prefix served early is the segment's start");
        assert_eq!(seg.in_progress().unwrap().0, 4);
    }

    #[test]
    fn drops_what_comes_before_the_first_keyframe() {
        let mut seg = Segmenter::new(1.0, 0, 0, 0);
        let segments = run(&mut seg, 5..65, 30);
        assert_eq!(segments.len(), 1);
        assert_eq!(pids(&segments[0].data).len(), 3 + 30, "frames 30..60 only");
    }

    #[test]
    fn metadata_rides_on_the_next_video_frame() {
        let mut seg = Segmenter::new(1.0, 0, 0, 0);
        run(&mut seg, 0..10, 30);
        seg.push_metadata(r#"{"type":"clear"}"#.into());
        assert_eq!(seg.pending_metadata(), 1);
        let segments = run(&mut seg, 10..31, 30);
        assert_eq!(seg.pending_metadata(), 0);
        let data = &segments[0].data;
        let at = pids(data).iter().rposition(|&p| p == ID3_PID).expect("an ID3 packet");
        let packet = Packet::parse(&data[at * PACKET_LEN..(at + 1) * PACKET_LEN]).unwrap();
        assert!(packet.payload_unit_start);
        assert_eq!(ts::pes_pts(packet.payload), Some(10 * 3000), "stamped with the next frame's PTS");
        let next = Packet::parse(&data[(at + 1) * PACKET_LEN..(at + 2) * PACKET_LEN]).unwrap();
        assert_eq!((next.pid, ts::pes_pts(next.payload)), (VIDEO, Some(10 * 3000)));
        assert!(data.windows(16).any(|w| w == br#"{"type":"clear"}"#));
    }
}
