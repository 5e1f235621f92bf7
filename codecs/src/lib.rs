//! `ivs-codecs`: the byte-level formats the local IVS speaks on its media side, kept apart from
//! any I/O so that unit tests and the fuzzer (`fuzz/`) reach every parser directly.
//!
//! - [`rtmp`]: the RTMP handshake, chunk stream and AMF0, as broadcasters publish;
//! - [`ts`]: MPEG transport-stream packets, PAT/PMT, PES timestamps and the ID3 timed-metadata
//!   stream that carries `PutMetadata` payloads in band;
//! - [`segmenter`]: a live transport stream cut into HLS segments, metadata and captions spliced in;
//! - [`captions`]: CEA-608 captions in H.264 SEI, as IVS passes them through;
//! - [`frame_size`]: a VP8 or H.264 keyframe's picture size, for a stage's 720p limit.
//!
//! Every decoder is bounded and returns an error for what it cannot read — never a panic.

pub mod captions;
pub mod frame_size;
pub mod rtmp;
pub mod segmenter;
pub mod ts;

/// The frame rate of transcoded renditions (captions are paced by it).
pub const FRAME_RATE: u32 = 30;
