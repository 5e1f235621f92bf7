//! The MPEG transport-stream pieces the segmenter needs: packet headers, PAT/PMT sections, PES
//! timestamps, and the ID3 timed-metadata stream that carries `PutMetadata` payloads in band.
//!
//! The metadata layout follows the HLS timed-metadata convention that IVS uses: an ID3v2.4 tag with
//! one `TXXX` frame, in a PES packet (stream id 0xBD) whose PTS is the stream position, on its own
//! PID declared in the PMT with stream type 0x15 and a metadata descriptor (`ID3 `).

/// Bytes in a transport-stream packet.
pub const PACKET_LEN: usize = 188;
/// The PID the PAT travels on.
pub const PAT_PID: u16 = 0;
/// The PID chosen for the ID3 metadata stream (ffmpeg uses 0x100 and up for its streams).
pub const ID3_PID: u16 = 0x1F0;

const SYNC: u8 = 0x47;
const STREAM_TYPE_H264: u8 = 0x1B;
const STREAM_TYPE_METADATA: u8 = 0x15;

/// A parsed packet header; `payload` is the bytes after any adaptation field.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub pid: u16,
    pub payload_unit_start: bool,
    pub random_access: bool,
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses one 188-byte packet; `None` when it is not a well-formed packet.
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        if bytes.len() != PACKET_LEN || bytes[0] != SYNC {
            return None;
        }
        let pid = u16::from(bytes[1] & 0x1F) << 8 | u16::from(bytes[2]);
        let control = (bytes[3] >> 4) & 0b11;
        let mut offset = 4;
        let mut random_access = false;
        if control & 0b10 != 0 {
            let len = usize::from(bytes[4]);
            random_access = len > 0 && bytes[5] & 0x40 != 0;
            offset += 1 + len;
        }
        let payload = if control & 0b01 != 0 && offset <= PACKET_LEN { &bytes[offset..] } else { &[] };
        Some(Self { pid, payload_unit_start: bytes[1] & 0x40 != 0, random_access, payload })
    }
}

/// The PMT PID of the `index`th program (0 for the first) in a PAT packet's payload.
pub fn pat_pmt_pid(payload: &[u8], index: usize) -> Option<u16> {
    let section = section(payload, 0x00)?;
    // After the 8-byte header come 4-byte (program_number, PID) entries, then the CRC.
    let entries = section.get(8..section.len().checked_sub(4)?)?;
    entries
        .chunks_exact(4)
        .filter(|e| u16::from_be_bytes([e[0], e[1]]) != 0) // program 0 is the network PID
        .nth(index)
        .map(|e| u16::from(e[2] & 0x1F) << 8 | u16::from(e[3]))
}

/// A program map, as far as the segmenter needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pmt {
    pub program_number: u16,
    pub pcr_pid: u16,
    /// (stream type, PID, ES descriptors) for each elementary stream.
    pub streams: Vec<(u8, u16, Vec<u8>)>,
}

impl Pmt {
    /// Parses a PMT packet's payload.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let s = section(payload, 0x02)?;
        let body_end = s.len().checked_sub(4)?;
        let program_number = u16::from_be_bytes([*s.get(3)?, *s.get(4)?]);
        let pcr_pid = u16::from(s.get(8)? & 0x1F) << 8 | u16::from(*s.get(9)?);
        let info_len = usize::from(s.get(10)? & 0x0F) << 8 | usize::from(*s.get(11)?);
        let mut at = 12 + info_len;
        let mut streams = Vec::new();
        while at + 5 <= body_end {
            let stream_type = s[at];
            let pid = u16::from(s[at + 1] & 0x1F) << 8 | u16::from(s[at + 2]);
            let es_len = usize::from(s[at + 3] & 0x0F) << 8 | usize::from(s[at + 4]);
            let descriptors = s.get(at + 5..at + 5 + es_len)?.to_vec();
            streams.push((stream_type, pid, descriptors));
            at += 5 + es_len;
        }
        Some(Self { program_number, pcr_pid, streams })
    }

    /// The first H.264 video PID.
    pub fn video_pid(&self) -> Option<u16> {
        self.streams.iter().find(|(t, ..)| *t == STREAM_TYPE_H264).map(|(_, pid, _)| *pid)
    }

    /// This map with the ID3 metadata stream added (once).
    pub fn with_id3(&self) -> Self {
        let mut pmt = self.clone();
        if !pmt.streams.iter().any(|(_, pid, _)| *pid == ID3_PID) {
            // metadata_descriptor: application format 0xFFFF + "ID3 ", format 0xFF + "ID3 ",
            // service id 0, no decoder config, reserved bits set.
            let descriptor = [0x26, 0x0D, 0xFF, 0xFF, b'I', b'D', b'3', b' ', 0xFF, b'I', b'D', b'3', b' ', 0x00, 0x0F];
            pmt.streams.push((STREAM_TYPE_METADATA, ID3_PID, descriptor.to_vec()));
        }
        pmt
    }

    /// Encodes the section (without pointer field), CRC included.
    pub fn encode(&self) -> Vec<u8> {
        // metadata_pointer_descriptor in the program info, pointing at service 0 of this program.
        let [pn_hi, pn_lo] = self.program_number.to_be_bytes();
        let program_info = [0x25, 0x0F, 0xFF, 0xFF, b'I', b'D', b'3', b' ', 0xFF, b'I', b'D', b'3', b' ', 0x00, 0x1F, pn_hi, pn_lo];
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&self.program_number.to_be_bytes());
        body.extend_from_slice(&[0xC1, 0x00, 0x00]); // version 0, current, section 0 of 0
        body.extend_from_slice(&(0xE000 | self.pcr_pid).to_be_bytes());
        body.extend_from_slice(&(0xF000 | program_info.len() as u16).to_be_bytes());
        body.extend_from_slice(&program_info);
        for (stream_type, pid, descriptors) in &self.streams {
            body.push(*stream_type);
            body.extend_from_slice(&(0xE000 | pid).to_be_bytes());
            body.extend_from_slice(&(0xF000 | descriptors.len() as u16).to_be_bytes());
            body.extend_from_slice(descriptors);
        }
        finish_section(0x02, &body)
    }
}

/// A PAT with one program.
pub fn encode_pat(program_number: u16, pmt_pid: u16) -> Vec<u8> {
    let mut body = vec![0x00, 0x01, 0xC1, 0x00, 0x00]; // transport_stream_id 1, version 0
    body.extend_from_slice(&program_number.to_be_bytes());
    body.extend_from_slice(&(0xE000 | pmt_pid).to_be_bytes());
    finish_section(0x00, &body)
}

pub(crate) fn finish_section(table_id: u8, body: &[u8]) -> Vec<u8> {
    let length = body.len() + 4; // + CRC
    let mut s = Vec::with_capacity(3 + length);
    s.push(table_id);
    s.extend_from_slice(&(0xB000 | length as u16).to_be_bytes());
    s.extend_from_slice(body);
    let crc = crc32_mpeg(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

/// The section starting in a payload (after the pointer field), checked for table id and length.
fn section(payload: &[u8], table_id: u8) -> Option<&[u8]> {
    let pointer = usize::from(*payload.first()?);
    let s = payload.get(1 + pointer..)?;
    if *s.first()? != table_id {
        return None;
    }
    let length = usize::from(s.get(1)? & 0x0F) << 8 | usize::from(*s.get(2)?);
    s.get(..3 + length)
}

/// CRC-32/MPEG-2, as PSI sections use.
pub fn crc32_mpeg(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

/// The PTS of a PES packet starting in this payload, in 90 kHz ticks.
pub fn pes_pts(payload: &[u8]) -> Option<u64> {
    if payload.len() < 14 || payload[..3] != [0, 0, 1] || payload[7] & 0x80 == 0 {
        return None;
    }
    let p = &payload[9..14];
    Some((u64::from(p[0] >> 1) & 0x07) << 30 | u64::from(p[1]) << 22 | (u64::from(p[2]) >> 1) << 15 | u64::from(p[3]) << 7 | u64::from(p[4]) >> 1)
}

/// Splits a section into packets on `pid` (one packet: PSI here is always small).
pub fn section_packet(pid: u16, continuity: &mut u8, section: &[u8]) -> [u8; PACKET_LEN] {
    let mut packet = [0xFFu8; PACKET_LEN];
    packet[..4].copy_from_slice(&header(pid, true, 0b01, continuity));
    packet[4] = 0; // pointer field
    let n = section.len().min(PACKET_LEN - 5);
    packet[5..5 + n].copy_from_slice(&section[..n]);
    packet
}

fn header(pid: u16, unit_start: bool, control: u8, continuity: &mut u8) -> [u8; 4] {
    let cc = *continuity;
    *continuity = (cc + 1) & 0x0F;
    [SYNC, (u8::from(unit_start) << 6) | (pid >> 8) as u8 & 0x1F, pid as u8, control << 4 | cc]
}

/// One packet on `pid` carrying `data` (at most 184 bytes), with an adaptation field holding
/// `adaptation` (flags and what they announce; may be empty) padded with stuffing to fill it —
/// a PES is never padded itself.
fn data_packet(pid: u16, unit_start: bool, continuity: &mut u8, adaptation: &[u8], data: &[u8]) -> [u8; PACKET_LEN] {
    let mut packet = [0xFFu8; PACKET_LEN];
    let needs_field = !adaptation.is_empty() || data.len() < PACKET_LEN - 4;
    let control = if needs_field { 0b11 } else { 0b01 };
    packet[..4].copy_from_slice(&header(pid, unit_start, control, continuity));
    let mut at = 4;
    if needs_field {
        let field_len = PACKET_LEN - 5 - data.len();
        packet[4] = field_len as u8;
        if field_len > 0 {
            // Flags (none, unless given), then what they announce, then stuffing (0xFF).
            let core: &[u8] = if adaptation.is_empty() { &[0x00] } else { adaptation };
            packet[5..5 + core.len()].copy_from_slice(core);
        }
        at = 5 + field_len;
    }
    packet[at..].copy_from_slice(data);
    packet
}

/// Splices `nal` (an Annex B NAL unit) into the H.264 access unit whose PES starts in `packet`,
/// after its access unit delimiter. The result is one or two packets, the first with continuity
/// counter `continuity`, the second (if any) with the next. `None` when the packet is not a
/// video PES start this knows how to rewrite.
pub fn splice_nal(packet: &[u8], nal: &[u8], continuity: u8) -> Option<Vec<[u8; PACKET_LEN]>> {
    let parsed = Packet::parse(packet)?;
    if !parsed.payload_unit_start {
        return None;
    }
    // What the adaptation field holds beyond stuffing: flags, and a PCR/OPCR/splice countdown.
    let adaptation: &[u8] = if (packet[3] >> 4) & 0b10 != 0 && packet[4] > 0 {
        let flags = packet[5];
        if flags & 0x03 != 0 {
            return None; // private data or an extension: leave such packets alone
        }
        let len = 1 + 6 * usize::from(flags & 0x10 != 0) + 6 * usize::from(flags & 0x08 != 0) + usize::from(flags & 0x04 != 0);
        packet.get(5..5 + len)?
    } else {
        &[]
    };
    let payload = parsed.payload;
    if payload.len() < 9 || payload[..3] != [0, 0, 1] {
        return None;
    }
    let es = 9 + usize::from(payload[8]);
    let after_aud = payload.get(es..es + 6).is_some_and(|p| p[..4] == [0, 0, 0, 1] && p[4] & 0x1F == 9);
    let at = if after_aud { es + 6 } else { es };
    if at > payload.len() {
        return None;
    }
    let mut bytes = Vec::with_capacity(payload.len() + nal.len());
    bytes.extend_from_slice(&payload[..at]);
    bytes.extend_from_slice(nal);
    bytes.extend_from_slice(&payload[at..]);
    let length = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    if length != 0 {
        // A bounded PES grows by the NAL; past 64 KiB, video may say "unbounded" (0).
        let grown = u16::try_from(length + nal.len()).unwrap_or(0);
        bytes[4..6].copy_from_slice(&grown.to_be_bytes());
    }
    let first_room = PACKET_LEN - 4 - if adaptation.is_empty() { 0 } else { 1 + adaptation.len() };
    let (head, rest) = bytes.split_at(first_room.min(bytes.len()));
    if rest.len() > PACKET_LEN - 4 {
        return None;
    }
    let mut continuity = continuity;
    let mut packets = vec![data_packet(parsed.pid, true, &mut continuity, adaptation, head)];
    if !rest.is_empty() {
        packets.push(data_packet(parsed.pid, false, &mut continuity, &[], rest));
    }
    Some(packets)
}

/// `packet` with its continuity counter set to `continuity`.
pub fn with_continuity(packet: &[u8], continuity: u8) -> [u8; PACKET_LEN] {
    let mut out = [0u8; PACKET_LEN];
    out.copy_from_slice(packet);
    out[3] = (out[3] & 0xF0) | (continuity & 0x0F);
    out
}

/// An ID3v2.4 tag holding one `TXXX` frame (UTF-8, empty description) with `value`.
pub fn id3_txxx(value: &str) -> Vec<u8> {
    let mut body = vec![0x03, 0x00]; // UTF-8, empty description + terminator
    body.extend_from_slice(value.as_bytes());
    id3_tag(b"TXXX", &body)
}

/// An ID3v2.4 tag holding one `PRIV` frame: `owner`, a NUL, then `data`.
pub fn id3_priv(owner: &str, data: &[u8]) -> Vec<u8> {
    let mut body = owner.as_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(data);
    id3_tag(b"PRIV", &body)
}

/// An ID3v2.4 tag with a single frame.
fn id3_tag(frame_id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend_from_slice(&syncsafe(10 + body.len() as u32));
    tag.extend_from_slice(frame_id);
    tag.extend_from_slice(&syncsafe(body.len() as u32));
    tag.extend_from_slice(&[0, 0]);
    tag.extend_from_slice(body);
    tag
}

fn syncsafe(n: u32) -> [u8; 4] {
    [(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]
}

/// A PES packet (private stream 1, PTS only) carrying `data`, split into TS packets on [`ID3_PID`].
pub fn id3_pes_packets(data: &[u8], pts: u64, continuity: &mut u8) -> Vec<[u8; PACKET_LEN]> {
    let mut pes = vec![0x00, 0x00, 0x01, 0xBD];
    let pes_len = (3 + 5 + data.len()) as u16;
    pes.extend_from_slice(&pes_len.to_be_bytes());
    pes.extend_from_slice(&[0x84, 0x80, 0x05]); // data alignment, PTS only, 5 header bytes
    pes.extend_from_slice(&[
        0x21 | ((pts >> 29) as u8 & 0x0E),
        (pts >> 22) as u8,
        0x01 | ((pts >> 14) as u8 & 0xFE),
        (pts >> 7) as u8,
        0x01 | ((pts << 1) as u8 & 0xFE),
    ]);
    pes.extend_from_slice(data);

    pes.chunks(PACKET_LEN - 4).enumerate().map(|(i, chunk)| data_packet(ID3_PID, i == 0, continuity, &[], chunk)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_mpeg2_check_value() {
        assert_eq!(crc32_mpeg(b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn pat_round_trips() {
        let mut cc = 0;
        let packet = section_packet(PAT_PID, &mut cc, &encode_pat(1, 0x1000));
        let parsed = Packet::parse(&packet).unwrap();
        assert_eq!(parsed.pid, PAT_PID);
        assert!(parsed.payload_unit_start);
        assert_eq!(pat_pmt_pid(parsed.payload, 0), Some(0x1000));
        assert_eq!(pat_pmt_pid(parsed.payload, 1), None);
        assert_eq!(cc, 1);
    }

    #[test]
    fn pmt_gains_a_declared_id3_stream() {
        let original = Pmt { program_number: 1, pcr_pid: 0x100, streams: vec![(0x1B, 0x100, vec![]), (0x0F, 0x101, vec![0x0A, 0x04, b'u', b'n', b'd', 0])] };
        let with = original.with_id3();
        assert_eq!(with.with_id3(), with, "adding twice changes nothing");
        let mut cc = 5;
        let packet = section_packet(0x1000, &mut cc, &with.encode());
        let parsed = Pmt::parse(Packet::parse(&packet).unwrap().payload).unwrap();
        assert_eq!(parsed, with);
        assert_eq!(parsed.video_pid(), Some(0x100));
        let (stream_type, pid, descriptor) = &parsed.streams[2];
        assert_eq!((*stream_type, *pid), (0x15, ID3_PID));
        assert_eq!(&descriptor[..2], &[0x26, 0x0D]);
        assert_eq!(&descriptor[4..8], b"ID3 ");
        let section = with.encode();
        assert_eq!(crc32_mpeg(&section), 0, "a section with its CRC checks to zero");
    }

    #[test]
    fn id3_tag_layout() {
        let tag = id3_txxx("héllo");
        assert_eq!(&tag[..6], b"ID3\x04\x00\x00");
        assert_eq!(&tag[10..14], b"TXXX");
        let frame_size = tag[17] as usize; // small enough to sit in the last syncsafe byte
        assert_eq!(frame_size, 2 + "héllo".len());
        assert_eq!(&tag[20..22], &[0x03, 0x00]);
        assert_eq!(&tag[22..], "héllo".as_bytes());
        assert_eq!(syncsafe(1024), [0, 0, 8, 0]);
    }

    #[test]
    fn pes_packets_carry_the_tag_and_pts() {
        let payload = "x".repeat(1000);
        let tag = id3_txxx(&payload);
        let mut cc = 15;
        let packets = id3_pes_packets(&tag, 0x1_2345_6789 & ((1 << 33) - 1), &mut cc);
        assert!(packets.len() > 5);
        let mut pes = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            let parsed = Packet::parse(p).unwrap();
            assert_eq!(parsed.pid, ID3_PID);
            assert_eq!(parsed.payload_unit_start, i == 0);
            assert_eq!(p[3] & 0x0F, ((15 + i) % 16) as u8, "continuity counter");
            pes.extend_from_slice(parsed.payload);
        }
        assert_eq!(pes_pts(&pes), Some(0x1_2345_6789 & ((1 << 33) - 1)));
        let declared = u16::from_be_bytes([pes[4], pes[5]]) as usize;
        assert_eq!(declared, pes.len() - 6);
        assert_eq!(&pes[14..], tag.as_slice());
    }

    /// A video PES start as ffmpeg writes one: adaptation field (random access, PCR), PES header
    /// with a PTS, an access unit delimiter, then slice data for `payload_len` bytes in all.
    fn video_start(continuity: u8, payload_len: usize) -> [u8; PACKET_LEN] {
        let mut packet = [0xFFu8; PACKET_LEN];
        let field_len = PACKET_LEN - 5 - payload_len;
        packet[..4].copy_from_slice(&[SYNC, 0x41, 0x00, 0x30 | continuity]);
        packet[4] = field_len as u8;
        packet[5..12].copy_from_slice(&[0x50, 1, 2, 3, 4, 0x7E, 5]); // random access + PCR
        let payload = &mut packet[5 + field_len..];
        payload[..14].copy_from_slice(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]);
        payload[14..20].copy_from_slice(&[0, 0, 0, 1, 0x09, 0xF0]);
        for (i, b) in payload[20..].iter_mut().enumerate() {
            *b = 0x40 + (i % 64) as u8;
        }
        packet
    }

    #[test]
    fn a_nal_is_spliced_after_the_access_unit_delimiter() {
        let nal = [0, 0, 0, 1, 0x06, 4, 2, 0xAA, 0xBB, 0x80];
        let original = video_start(14, 176);
        let packets = splice_nal(&original, &nal, 14).expect("a video PES start");
        assert_eq!(packets.len(), 2, "a full packet overflows into a second");
        let (first, second) = (Packet::parse(&packets[0]).unwrap(), Packet::parse(&packets[1]).unwrap());
        assert_eq!((first.pid, first.payload_unit_start, first.random_access), (0x100, true, true));
        assert_eq!((second.pid, second.payload_unit_start), (0x100, false));
        assert_eq!([packets[0][3] & 0x0F, packets[1][3] & 0x0F], [14, 15], "continuity counters run on");
        assert_eq!(&packets[0][5..12], &original[5..12], "the PCR is kept");
        let spliced = [first.payload, second.payload].concat();
        let payload = Packet::parse(&original).unwrap().payload;
        assert_eq!(spliced, [&payload[..20], &nal[..], &payload[20..]].concat(), "after the AUD, nothing lost");
        // Room to spare (stuffing in the adaptation field): one packet.
        let short = video_start(3, 100);
        let packets = splice_nal(&short, &nal, 3).unwrap();
        assert_eq!(packets.len(), 1);
        assert_eq!(Packet::parse(&packets[0]).unwrap().payload.len(), 110);
        // Not the start of a PES: left alone.
        let mut middle = original;
        middle[1] &= !0x40;
        assert!(splice_nal(&middle, &nal, 0).is_none());
    }
}
