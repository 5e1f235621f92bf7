//! `ivs-local`: the local IVS — Amazon IVS played on one machine, so a site's server and the
//! viewer run and are tested for real without an AWS account.
//!
//! One process, four listeners:
//! - the AWS-compatible API (default :4566): IVS REST-JSON (`PutMetadata`, `GetChannel`,
//!   `GetStream`, playback key pairs…), IVS Chat REST-JSON (`CreateRoom`, `CreateChatToken`,
//!   `SendEvent`…), plus `/_local/…` controls to take the stream offline and back;
//! - the playback origin (default :8081): the live HLS playlists and segments, with timed
//!   metadata in band;
//! - the chat endpoint (default :8082): the IVS Chat Messaging WebSocket;
//! - RTMP ingest (default :1935): `rtmp://127.0.0.1:1935/app/<stream key>`, into any channel.
//!
//! The built-in channel is fed by a built-in broadcaster (a test pattern) through that ingest.
//!
//! It plays IVS only: a site's own backend (the site server, `ivs-site`) talks to it through the
//! AWS SDK with an endpoint override, as it talks to IVS, and hears its EventBridge-shaped events.

//! The crate is a library with a thin binary (`main.rs`, the command line):
//!
//! | room | what it holds |
//! | --- | --- |
//! | `account.rs`, `clock.rs`, `store.rs` | leaves: the account, ARNs and refusals; RFC 3339 time; state files |
//! | `control/` | the control plane's resources and their state changes |
//! | `api/` | the REST-JSON operations, one file per resource (its opening comment maps operation → file) |
//! | `chat/` | IVS Chat: rooms, tokens and the Messaging WebSocket |
//! | `media/` | ingest, transcoding, live HLS, playback origin, recording to S3 |
//! | `events.rs` | EventBridge-shaped events to the configured targets |
//! | `state.rs`, `serve.rs` | the state the handlers share; running the listeners |
//! | `client.rs` | the command line's calls to a running local IVS |

pub mod account;
pub mod api;
pub mod chat;
pub mod client;
pub mod clock;
pub mod control;
pub mod events;
pub mod media;
pub mod serve;
pub mod state;
pub mod store;

/// The ARN of the built-in channel (the test stream plays on it).
pub const CHANNEL_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

/// The ARN of the built-in stage (the built-in host publishes on it with `--stage-host`).
pub const STAGE_ARN: &str = "arn:aws:ivs:us-east-1:000000000000:stage/local";
