//! The server side of RTMP as broadcasters speak it to publish (OBS, ffmpeg, the IVS broadcast
//! SDKs): the plain handshake, the chunk stream (both ways), and the AMF0 values of the
//! `connect` / `createStream` / `publish` commands and the stream's metadata.
//!
//! Pure and bounded: a decoder takes bytes as they arrive and gives whole messages; it keeps at
//! most [`MAX_MESSAGE`] bytes per message and [`MAX_CHUNK_STREAMS`] chunk streams, AMF0 nests at
//! most [`MAX_DEPTH`] deep, and anything else is an [`RtmpError`] — never a panic.
//!
//! One cohesive thing, kept whole (with its tests, over 500 lines): the protocol's framing and its
//! values are read and written together.

use std::collections::HashMap;

/// The size of C1/S1/C2/S2.
pub const HANDSHAKE_LEN: usize = 1536;
/// The largest message taken (a keyframe of a high-bitrate stream fits well within it).
pub const MAX_MESSAGE: usize = 8 * 1024 * 1024;
/// The most chunk streams one connection may use.
pub const MAX_CHUNK_STREAMS: usize = 64;
/// How deep AMF0 objects and arrays may nest.
pub const MAX_DEPTH: usize = 8;
/// The chunk size this server sends with.
pub const SERVER_CHUNK_SIZE: usize = 4096;

/// What was wrong with what the peer sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtmpError {
    #[error("RTMP version {0} is not 3")]
    Version(u8),
    #[error("a message of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("more than {MAX_CHUNK_STREAMS} chunk streams")]
    TooManyChunkStreams,
    #[error("chunk size {0} is not 1 to 16777215")]
    ChunkSize(u32),
    #[error("a chunk continues a message that never started")]
    NoPreviousHeader,
    #[error("malformed AMF0 ({0})")]
    Amf(&'static str),
}

/// The reply to C0 + C1: S0, S1 (zero time and version, random bytes) and S2 (C1 echoed).
pub fn handshake_reply(c0c1: &[u8]) -> Result<Vec<u8>, RtmpError> {
    let version = c0c1.first().copied().unwrap_or(0);
    if version != 3 {
        return Err(RtmpError::Version(version));
    }
    let c1 = c0c1.get(1..=HANDSHAKE_LEN).ok_or(RtmpError::Version(version))?;
    let mut reply = Vec::with_capacity(1 + 2 * HANDSHAKE_LEN);
    reply.push(3);
    reply.extend_from_slice(&[0; 8]);
    reply.extend((0..HANDSHAKE_LEN - 8).map(|_| rand::random::<u8>()));
    reply.extend_from_slice(c1);
    Ok(reply)
}

/// A whole message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub type_id: u8,
    pub stream_id: u32,
    pub timestamp: u32,
    pub payload: Vec<u8>,
}

pub const SET_CHUNK_SIZE: u8 = 1;
pub const ABORT: u8 = 2;
pub const USER_CONTROL: u8 = 4;
pub const WINDOW_ACK_SIZE: u8 = 5;
pub const SET_PEER_BANDWIDTH: u8 = 6;
pub const AUDIO: u8 = 8;
pub const VIDEO: u8 = 9;
pub const AMF3_COMMAND: u8 = 17;
pub const DATA: u8 = 18;
pub const COMMAND: u8 = 20;

/// One chunk stream's state: the last header, and the message being assembled.
#[derive(Default)]
struct ChunkStream {
    timestamp: u32,
    /// The timestamp field last read (absolute after a type-0 header, a delta after the others).
    ts_field: u32,
    extended: bool,
    length: usize,
    type_id: u8,
    stream_id: u32,
    payload: Vec<u8>,
}

/// Reassembles the peer's chunk stream into messages.
pub struct Decoder {
    chunk_size: usize,
    streams: HashMap<u32, ChunkStream>,
    buf: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self { chunk_size: 128, streams: HashMap::new(), buf: Vec::new() }
    }
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |n, b| (n << 8) | u32::from(*b))
}

impl Decoder {
    /// Takes bytes as they arrive.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next whole message, `None` until one is complete. Protocol control (chunk size,
    /// abort) is applied here and given too.
    pub fn next_message(&mut self) -> Result<Option<Message>, RtmpError> {
        loop {
            let Some((consumed, message)) = self.chunk()? else {
                return Ok(None);
            };
            self.buf.drain(..consumed);
            if let Some(message) = message {
                match message.type_id {
                    SET_CHUNK_SIZE if message.payload.len() >= 4 => {
                        let size = be(&message.payload[..4]) & 0x7FFF_FFFF;
                        if !(1..=0xFF_FFFF).contains(&size) {
                            return Err(RtmpError::ChunkSize(size));
                        }
                        self.chunk_size = size as usize;
                    }
                    ABORT if message.payload.len() >= 4 => {
                        if let Some(stream) = self.streams.get_mut(&be(&message.payload[..4])) {
                            stream.payload.clear();
                        }
                    }
                    _ => {}
                }
                return Ok(Some(message));
            }
        }
    }

    /// Parses one chunk at the front of the buffer: how many bytes it took and the message it
    /// completed; `None` when the chunk has not all arrived.
    fn chunk(&mut self) -> Result<Option<(usize, Option<Message>)>, RtmpError> {
        let buf = &self.buf;
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let fmt = first >> 6;
        let (csid, mut at) = match first & 0x3F {
            0 => match buf.get(1) {
                Some(&b) => (u32::from(b) + 64, 2),
                None => return Ok(None),
            },
            1 => match buf.get(1..3) {
                Some(b) => (u32::from(b[0]) + 64 + u32::from(b[1]) * 256, 3),
                None => return Ok(None),
            },
            id => (u32::from(id), 1),
        };
        let header_len = [11, 7, 3, 0][usize::from(fmt)];
        let Some(header) = buf.get(at..at + header_len) else {
            return Ok(None);
        };
        at += header_len;
        if !self.streams.contains_key(&csid) && self.streams.len() >= MAX_CHUNK_STREAMS {
            return Err(RtmpError::TooManyChunkStreams);
        }
        let known = self.streams.contains_key(&csid);
        let stream = self.streams.entry(csid).or_default();
        if fmt != 0 && !known {
            return Err(RtmpError::NoPreviousHeader);
        }
        let mut next = ChunkStream { payload: Vec::new(), ..*stream };
        let continuing = fmt == 3 && !stream.payload.is_empty();
        if fmt <= 2 {
            next.ts_field = be(&header[..3]);
            next.extended = next.ts_field == 0xFF_FFFF;
        }
        if fmt <= 1 {
            next.length = be(&header[3..6]) as usize;
            next.type_id = header[6];
            if next.length > MAX_MESSAGE {
                return Err(RtmpError::TooLarge(next.length));
            }
        }
        if fmt == 0 {
            next.stream_id = u32::from_le_bytes([header[7], header[8], header[9], header[10]]);
        }
        if next.extended {
            let Some(ext) = buf.get(at..at + 4) else {
                return Ok(None);
            };
            at += 4;
            if fmt <= 2 {
                next.ts_field = be(ext);
            }
        }
        if !continuing {
            next.timestamp = if fmt == 0 { next.ts_field } else { stream.timestamp.wrapping_add(next.ts_field) };
        }
        let have = if continuing { stream.payload.len() } else { 0 };
        let take = (next.length - have.min(next.length)).min(self.chunk_size);
        let Some(data) = buf.get(at..at + take) else {
            return Ok(None);
        };
        at += take;
        let mut payload = if continuing { std::mem::take(&mut stream.payload) } else { Vec::new() };
        payload.extend_from_slice(data);
        // An unfinished message's payload stays with its chunk stream (moved, not copied: a
        // keyframe arrives in hundreds of chunks).
        let (kept, finished) = if payload.len() >= next.length { (Vec::new(), Some(payload)) } else { (payload, None) };
        *stream = ChunkStream { payload: kept, ..next };
        let message = finished.map(|payload| Message { type_id: stream.type_id, stream_id: stream.stream_id, timestamp: stream.timestamp, payload });
        Ok(Some((at, message)))
    }
}

/// `payload` as chunks of [`SERVER_CHUNK_SIZE`] on chunk stream `csid` (a type-0 header, then
/// type-3 continuations).
pub fn encode(csid: u8, type_id: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 16);
    out.push(csid & 0x3F);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&stream_id.to_le_bytes());
    for (i, piece) in payload.chunks(SERVER_CHUNK_SIZE).enumerate() {
        if i > 0 {
            out.push(0xC0 | (csid & 0x3F));
        }
        out.extend_from_slice(piece);
    }
    out
}

/// An AMF0 value.
#[derive(Debug, Clone, PartialEq)]
pub enum Amf {
    Number(f64),
    Bool(bool),
    String(String),
    /// An object or an ECMA array: its properties in order.
    Object(Vec<(String, Amf)>),
    Array(Vec<Amf>),
    Null,
    Undefined,
}

impl Amf {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Amf::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Amf::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A property of an object.
    pub fn get(&self, name: &str) -> Option<&Amf> {
        match self {
            Amf::Object(props) => props.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    fn object(props: &[(&str, Amf)]) -> Amf {
        Amf::Object(props.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }
}

/// Every AMF0 value in `bytes`.
pub fn decode_amf(bytes: &[u8]) -> Result<Vec<Amf>, RtmpError> {
    let mut reader = Reader { bytes, at: 0 };
    let mut values = Vec::new();
    while reader.at < bytes.len() {
        values.push(reader.value(0)?);
    }
    Ok(values)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], RtmpError> {
        let slice = self.bytes.get(self.at..self.at.saturating_add(n)).ok_or(RtmpError::Amf("truncated"))?;
        self.at += n;
        Ok(slice)
    }

    fn string(&mut self, len_bytes: usize) -> Result<String, RtmpError> {
        let len = be(self.take(len_bytes)?) as usize;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    fn properties(&mut self, depth: usize) -> Result<Vec<(String, Amf)>, RtmpError> {
        let mut props = Vec::new();
        loop {
            let name = self.string(2)?;
            if name.is_empty() && self.bytes.get(self.at) == Some(&9) {
                self.at += 1;
                return Ok(props);
            }
            props.push((name, self.value(depth + 1)?));
        }
    }

    fn value(&mut self, depth: usize) -> Result<Amf, RtmpError> {
        if depth > MAX_DEPTH {
            return Err(RtmpError::Amf("nested too deep"));
        }
        let marker = self.take(1)?[0];
        Ok(match marker {
            0 => Amf::Number(f64::from_be_bytes(self.take(8)?.try_into().map_err(|_| RtmpError::Amf("truncated"))?)),
            1 => Amf::Bool(self.take(1)?[0] != 0),
            2 => Amf::String(self.string(2)?),
            3 => Amf::Object(self.properties(depth)?),
            5 => Amf::Null,
            6 => Amf::Undefined,
            8 => {
                self.take(4)?; // the count, a hint only: the properties end with the end marker
                Amf::Object(self.properties(depth)?)
            }
            10 => {
                let count = be(self.take(4)?) as usize;
                // Every element takes at least a byte: a count beyond what is left is a lie.
                if count > self.bytes.len() - self.at {
                    return Err(RtmpError::Amf("array longer than its message"));
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(self.value(depth + 1)?);
                }
                Amf::Array(items)
            }
            11 => {
                self.take(10)?;
                Amf::Undefined
            }
            12 => Amf::String(self.string(4)?),
            _ => return Err(RtmpError::Amf("unknown marker")),
        })
    }
}

/// `values` in AMF0.
pub fn encode_amf(values: &[Amf]) -> Vec<u8> {
    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len().min(0xFFFF) as u16).to_be_bytes());
        out.extend_from_slice(&s.as_bytes()[..s.len().min(0xFFFF)]);
    }
    fn put(out: &mut Vec<u8>, value: &Amf) {
        match value {
            Amf::Number(n) => {
                out.push(0);
                out.extend_from_slice(&n.to_be_bytes());
            }
            Amf::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
            Amf::String(s) => {
                out.push(2);
                put_str(out, s);
            }
            Amf::Object(props) => {
                out.push(3);
                for (k, v) in props {
                    put_str(out, k);
                    put(out, v);
                }
                out.extend_from_slice(&[0, 0, 9]);
            }
            Amf::Array(items) => {
                out.push(10);
                out.extend_from_slice(&(items.len() as u32).to_be_bytes());
                for item in items {
                    put(out, item);
                }
            }
            Amf::Null => out.push(5),
            Amf::Undefined => out.push(6),
        }
    }
    let mut out = Vec::new();
    for value in values {
        put(&mut out, value);
    }
    out
}

/// A command message (`_result`, `onStatus`…) on chunk stream 3 (5 for a media stream).
pub fn command(stream_id: u32, values: &[Amf]) -> Vec<u8> {
    encode(if stream_id == 0 { 3 } else { 5 }, COMMAND, stream_id, &encode_amf(values))
}

/// What the server sends when it accepts `connect` (transaction `txn`).
pub fn connect_accepted(txn: f64) -> Vec<u8> {
    let mut out = encode(2, WINDOW_ACK_SIZE, 0, &2_500_000u32.to_be_bytes());
    out.extend(encode(2, SET_PEER_BANDWIDTH, 0, &[0x00, 0x26, 0x25, 0xA0, 2]));
    out.extend(encode(2, SET_CHUNK_SIZE, 0, &(SERVER_CHUNK_SIZE as u32).to_be_bytes()));
    out.extend(command(
        0,
        &[
            Amf::String("_result".into()),
            Amf::Number(txn),
            Amf::object(&[("fmsVer", Amf::String("FMS/3,0,1,123".into())), ("capabilities", Amf::Number(31.0))]),
            Amf::object(&[
                ("level", Amf::String("status".into())),
                ("code", Amf::String("NetConnection.Connect.Success".into())),
                ("description", Amf::String("Connection succeeded.".into())),
                ("objectEncoding", Amf::Number(0.0)),
            ]),
        ],
    ));
    out
}

/// A `_result` for transaction `txn` with `value`.
pub fn result(txn: f64, value: Amf) -> Vec<u8> {
    command(0, &[Amf::String("_result".into()), Amf::Number(txn), Amf::Null, value])
}

/// An `_error` for `connect` (transaction `txn`).
pub fn connect_refused(txn: f64, description: &str) -> Vec<u8> {
    let info = Amf::object(&[
        ("level", Amf::String("error".into())),
        ("code", Amf::String("NetConnection.Connect.Rejected".into())),
        ("description", Amf::String(description.into())),
    ]);
    command(0, &[Amf::String("_error".into()), Amf::Number(txn), Amf::Null, info])
}

/// An `onStatus` on media stream `stream_id`.
pub fn on_status(stream_id: u32, level: &str, code: &str, description: &str) -> Vec<u8> {
    let info = Amf::object(&[("level", Amf::String(level.into())), ("code", Amf::String(code.into())), ("description", Amf::String(description.into()))]);
    let mut out = Vec::new();
    if level == "status" {
        // Stream Begin, then the status.
        let mut begin = vec![0, 0];
        begin.extend_from_slice(&stream_id.to_be_bytes());
        out.extend(encode(2, USER_CONTROL, 0, &begin));
    }
    out.extend(command(stream_id, &[Amf::String("onStatus".into()), Amf::Number(0.0), Amf::Null, info]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_echoes_c1() {
        let mut c0c1 = vec![3];
        c0c1.extend((0..HANDSHAKE_LEN).map(|i| i as u8));
        let reply = handshake_reply(&c0c1).unwrap();
        assert_eq!(reply.len(), 1 + 2 * HANDSHAKE_LEN);
        assert_eq!(reply[0], 3);
        assert_eq!(&reply[1 + HANDSHAKE_LEN..], &c0c1[1..]);
        assert_eq!(handshake_reply(b"GET / HTTP/1.1"), Err(RtmpError::Version(b'G')));
    }

    #[test]
    fn messages_are_reassembled_from_chunks_of_any_split() {
        let payload: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        // The peer's chunk size is 128 until it says otherwise.
        let mut wire = Vec::new();
        wire.push(0x04);
        wire.extend_from_slice(&[0, 0, 40]);
        wire.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
        wire.push(VIDEO);
        wire.extend_from_slice(&1u32.to_le_bytes());
        for (i, piece) in payload.chunks(128).enumerate() {
            if i > 0 {
                wire.push(0xC4);
            }
            wire.extend_from_slice(piece);
        }
        // A second message, type 1 (delta 33, 100 bytes) on the same chunk stream, then a third
        // of the same length, type 2 (delta 10).
        wire.extend_from_slice(&[0x44, 0, 0, 33, 0, 0, 100, VIDEO]);
        wire.extend_from_slice(&payload[..100]);
        wire.extend_from_slice(&[0x84, 0, 0, 10]);
        wire.extend_from_slice(&payload[..100]);
        for split in [1, 7, 128, 4096, wire.len()] {
            let mut decoder = Decoder::default();
            let mut got = Vec::new();
            for piece in wire.chunks(split) {
                decoder.push(piece);
                while let Some(message) = decoder.next_message().unwrap() {
                    got.push(message);
                }
            }
            assert_eq!(got.len(), 3, "split {split}");
            assert_eq!((got[0].type_id, got[0].stream_id, got[0].timestamp), (VIDEO, 1, 40));
            assert_eq!(got[0].payload, payload);
            assert_eq!((got[1].timestamp, got[1].payload.len()), (73, 100));
            assert_eq!((got[2].timestamp, got[2].payload.len()), (83, 100));
        }
    }

    #[test]
    fn our_chunks_decode_and_the_chunk_size_changes() {
        let mut decoder = Decoder::default();
        decoder.push(&encode(2, SET_CHUNK_SIZE, 0, &4096u32.to_be_bytes()));
        let big = vec![7u8; 9000];
        decoder.push(&encode(6, AUDIO, 1, &big));
        assert_eq!(decoder.next_message().unwrap().unwrap().type_id, SET_CHUNK_SIZE);
        assert_eq!(decoder.next_message().unwrap().unwrap().payload, big);
    }

    #[test]
    fn hostile_chunks_are_errors() {
        let mut decoder = Decoder::default();
        decoder.push(&[0x44, 0, 0, 0, 0, 0, 1, 9]);
        assert_eq!(decoder.next_message(), Err(RtmpError::NoPreviousHeader), "type 1 first");
        let mut decoder = Decoder::default();
        decoder.push(&[0x04, 0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0]);
        assert_eq!(decoder.next_message(), Err(RtmpError::TooLarge(0xFF_FFFF)));
        let mut decoder = Decoder::default();
        for n in 0..=MAX_CHUNK_STREAMS as u8 {
            // The two-byte form: chunk stream 64 + n.
            decoder.push(&[0, n, 0, 0, 0, 0, 0, 1, 9, 1, 0, 0, 0, 0]);
        }
        let mut outcome = Ok(None);
        for _ in 0..=MAX_CHUNK_STREAMS {
            outcome = decoder.next_message();
            if outcome.is_err() {
                break;
            }
        }
        assert_eq!(outcome, Err(RtmpError::TooManyChunkStreams));
    }

    #[test]
    fn amf_round_trips_and_refuses_what_it_cannot_be() {
        let values = [
            Amf::String("connect".into()),
            Amf::Number(1.0),
            Amf::object(&[("app", Amf::String("app".into())), ("list", Amf::Array(vec![Amf::Bool(true), Amf::Null]))]),
            Amf::Undefined,
        ];
        assert_eq!(decode_amf(&encode_amf(&values)).unwrap(), values);
        // An ECMA array (onMetaData) reads as an object.
        let mut ecma = vec![8, 0, 0, 0, 1, 0, 5];
        ecma.extend_from_slice(b"width");
        ecma.push(0);
        ecma.extend_from_slice(&1280f64.to_be_bytes());
        ecma.extend_from_slice(&[0, 0, 9]);
        assert_eq!(decode_amf(&ecma).unwrap()[0].get("width").and_then(Amf::as_number), Some(1280.0));
        // Nesting past the limit, a lying array length, truncation, unknown markers.
        let deep: Vec<u8> = std::iter::repeat_n([3u8, 0, 1, b'a'], 100).flatten().collect();
        assert!(decode_amf(&deep).is_err());
        assert!(decode_amf(&[10, 0xFF, 0xFF, 0xFF, 0xFF, 5]).is_err());
        assert!(decode_amf(&[2, 0, 10, b'a']).is_err());
        assert!(decode_amf(&[0x42]).is_err());
    }
}
