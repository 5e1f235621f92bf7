//! The media side of the local IVS, apart from its control plane: what a broadcast goes through
//! from the broadcaster's socket to a viewer's player and to S3.
//!
//! | room | what it does |
//! | --- | --- |
//! | `ingest.rs` | RTMP ingest: stream-key checks, one broadcaster per channel, quotas, FLV to the transcoder |
//! | `broadcaster.rs` | the built-in test-pattern broadcaster (ffmpeg publishing over RTMP) |
//! | `ladder.rs` | how an input becomes renditions (`STANDARD` ladder, `BASIC` pass-through) |
//! | `transcoder.rs` | the ffmpeg command line of a broadcast |
//! | `channel.rs` | one channel's broadcasts: the live one's state machine, segments, metadata |
//! | `live.rs` | the account's channels' broadcasts by ARN |
//! | `health.rs` | a broadcast's health from its input |
//! | `playlist.rs` | HLS playlists (multivariant, live window, ended, recorded) |
//! | `past.rs` | ended broadcasts kept in memory, playable as VOD |
//! | `s3_recorder.rs` | recording a broadcast to S3 in IVS's layout, thumbnails, recording events |
//! | `playback.rs` | the playback origin: playlists, segments and buckets over HTTP |
//! | `whip.rs` | stages: WHIP publish and subscribe at a participant token's `whip_url`, tokens checked |
//! | `stage_host.rs` | stages: the built-in host publishing a test pattern by WHIP |
//! | `sfu.rs` | stages: the SFU forwarding each publisher's media to its subscribers (WebRTC, str0m) |
//!
//! The byte formats (RTMP, MPEG-TS, the segmenter, captions) are the `ivs-codecs` crate.

pub mod broadcaster;
pub mod channel;
pub mod health;
pub mod ingest;
pub mod ladder;
pub mod live;
pub mod past;
pub mod playback;
pub mod playlist;
pub mod s3_recorder;
pub mod sfu;
pub mod stage_host;
pub mod transcoder;
pub mod whip;
