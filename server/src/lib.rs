//! `ivs-site`: the server a site runs beside Amazon IVS.
//!
//! It serves the viewer with this deployment's configuration inlined, decides who each viewer is
//! ([`identity`]), hands out chat tokens (`CreateChatToken`) and, for private channels, playback
//! tokens signed with the site's key ([`playback`]); it publishes overlays into the stream
//! (`PutMetadata`) and counts the polls' votes ([`overlays`], [`store`]); it takes in IVS's
//! EventBridge events and pushes the stream's status and the polls' tallies to viewers through
//! the chat room (`SendEvent`, [`status`]); it keeps the channel's past broadcasts from their
//! recording events ([`recordings`]); it adds up how playback goes for viewers, per broadcast
//! per minute ([`analytics`]); it keeps the chat's word list and slow mode and answers the room's
//! message review handler with them ([`moderation`]).
//!
//! It reaches IVS only through the AWS SDK for Rust ([`aws`], behind the small [`ivs::Ivs`] trait): in production the SDK's own
//! endpoints, locally the local IVS by an endpoint override — the same calls either way. Several
//! instances can run on one Redis ([`store::redis`]); the jobs that must run once per site (the
//! tally and status pushes, the viewer count) go to whichever instance holds their lease.

//! The app is made in [`app`] (connecting to IVS apart from building it); its HTTP face is
//! [`http`], one room per kind of route.

pub mod analytics;
pub mod app;
pub mod aws;
pub mod clips;
pub mod clock;
pub mod config;
pub mod demo;
pub mod guard;
pub mod http;
pub mod identity;
pub mod ivs;
pub mod moderation;
pub mod overlays;
pub mod playback;
pub mod recordings;
pub mod room;
pub mod show;
pub mod stage;
pub mod status;
pub mod store;
pub mod stream_keys;

pub use app::App;
