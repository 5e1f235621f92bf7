//! The playback origin: each channel's live playlist and its segments, as an IVS playback URL
//! serves them (cross-origin, so the viewer is exercised exactly as against real IVS), and the
//! S3 buckets recordings are written to, as a CDN in front of them would serve them.

use std::net::SocketAddr;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::Stream;
use tokio::sync::watch;
use tower_http::cors::CorsLayer;

use std::path::PathBuf;

use super::channel::{Channel, SegmentRead};
use super::live::Live;
use crate::control::channels::{playback_file_prefix, Channels};
use crate::control::playback_auth::{KeyPairs, Sessions};

/// What the playback origin uses: the channels (an ID's channel, whether it is private), their
/// broadcasts, the playback key pairs and sessions, the buckets, and the stall switch.
#[derive(Clone)]
pub struct PlaybackOrigin {
    pub channels: Channels,
    pub live: Live,
    pub key_pairs: KeyPairs,
    pub sessions: Sessions,
    /// Where the S3 buckets recordings go to are kept (a directory per bucket).
    pub buckets: PathBuf,
    pub stall: Stall,
}

/// How long a growing segment may go without new data before its response ends.
const STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A stall of the playback origin, for trying how a viewer copes with a network that stops
/// delivering for a while (`POST /_local/playback/stall`): until it ends, every request waits.
#[derive(Clone, Default)]
pub struct Stall(std::sync::Arc<std::sync::Mutex<Option<tokio::time::Instant>>>);

impl Stall {
    /// Requests wait for the next `duration` (replacing any stall under way).
    pub fn start(&self, duration: Duration) {
        *self.0.lock().expect("stall lock") = Some(tokio::time::Instant::now() + duration);
    }

    /// Returns once no stall is under way.
    async fn over(&self) {
        loop {
            let until = *self.0.lock().expect("stall lock");
            match until {
                Some(until) if until > tokio::time::Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }
}

async fn hold_during_stall(State(state): State<PlaybackOrigin>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    state.stall.over().await;
    next.run(request).await
}

/// The routes of the playback origin: a channel's multivariant playlist at its playback URL
/// (`us-east-1.000000000000.channel.<id>.m3u8`), each rendition's playlist at
/// `<id>/r/{rung}.m3u8` beside it, segments at `<id>/seg/{rung}/{sequence}.ts`; the buckets at
/// `/s3/<bucket>/<key>`.
pub fn router(state: PlaybackOrigin) -> Router {
    Router::new()
        .route("/api/video/v1/{file}", get(master))
        .route("/api/video/v1/{id}/r/{file}", get(playlist))
        .route("/api/video/v1/{id}/seg/{rung}/{file}", get(segment))
        .route("/recordings/{stream}/{file}", get(recording))
        .route("/s3/{bucket}/{*key}", get(bucket_object))
        .layer(axum::middleware::from_fn_with_state(state.clone(), hold_during_stall))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

/// The channel a playback URL's file names (`…channel.<id>.m3u8`): its id and ARN.
fn channel_of(state: &PlaybackOrigin, file: &str) -> Option<(String, String)> {
    let id = file.strip_prefix(playback_file_prefix().as_str())?.strip_suffix(".m3u8")?;
    Some((id.to_owned(), state.channels.arn_of_id(id)?))
}

/// The live broadcasts of the channel with id `id`.
fn channel_by_id(state: &PlaybackOrigin, id: &str) -> Option<(String, Channel)> {
    let arn = state.channels.arn_of_id(id)?;
    let channel = state.live.get(&arn)?;
    Some((arn, channel))
}

#[derive(serde::Deserialize)]
struct PlaylistQuery {
    token: Option<String>,
    /// A private channel's playback session (the renditions' playlists).
    session: Option<String>,
}

/// A private channel's multivariant playlist needs a valid playback token: the refusal, if this
/// one is not.
fn refusal(state: &PlaybackOrigin, arn: &str, token: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    if !state.channels.authorized(arn) {
        return None;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let why = state.key_pairs.check(token, arn, origin).err()?;
    tracing::info!(?why, "playlist refused: playback token");
    Some((StatusCode::FORBIDDEN, format!("playback token refused: {why:?}")).into_response())
}

/// A playlist, or 404 with `missing` saying why there is none.
fn m3u8(body: Option<String>, cache: &'static str, missing: &'static str) -> Response {
    match body {
        Some(m3u8) => ([(header::CONTENT_TYPE, "application/vnd.apple.mpegurl"), (header::CACHE_CONTROL, cache)], m3u8).into_response(),
        None => (StatusCode::NOT_FOUND, missing).into_response(),
    }
}

async fn master(State(state): State<PlaybackOrigin>, Path(file): Path<String>, Query(query): Query<PlaylistQuery>, headers: HeaderMap) -> Response {
    let Some((id, arn)) = channel_of(&state, &file) else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    if let Some(refused) = refusal(&state, &arn, query.token.as_deref(), &headers) {
        return refused;
    }
    let Some(channel) = state.live.get(&arn) else {
        return (StatusCode::NOT_FOUND, "channel is offline").into_response();
    };
    // A private channel: the token opens a session, and the renditions' URLs are bound to it.
    let session = if state.channels.authorized(&arn) && channel.is_live() { format!("?session={}", state.sessions.open()) } else { String::new() };
    m3u8(channel.master_playlist(|rung| format!("{id}/r/{}.m3u8{session}", rung.name)), "no-cache, no-store", "channel is offline")
}

async fn playlist(
    State(state): State<PlaybackOrigin>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, file)): Path<(String, String)>,
    Query(query): Query<PlaylistQuery>,
) -> Response {
    tracing::debug!(%peer, %file, "playlist request");
    let (Some(rung), Some((arn, channel))) = (file.strip_suffix(".m3u8"), channel_by_id(&state, &id)) else {
        return (StatusCode::NOT_FOUND, "no such rendition").into_response();
    };
    if state.channels.authorized(&arn) && !state.sessions.is_open(query.session.as_deref()) {
        tracing::info!("rendition playlist refused: no open playback session");
        return (StatusCode::FORBIDDEN, "no open playback session").into_response();
    }
    let live = channel.playlist(rung, &peer.to_string(), &format!("/api/video/v1/{id}/seg/{rung}/"));
    // A broadcast that just ended: its end, from the recording, so players stop (Ended).
    let ended = || {
        let (recording, window) = channel.just_ended()?;
        recording.ended_playlist(rung, window, &format!("/recordings/{}/{rung}-", recording.stream_id))
    };
    m3u8(live.or_else(ended), "no-cache, no-store", "no such rendition, or the channel is offline")
}

async fn segment(State(state): State<PlaybackOrigin>, Path((id, rung, file)): Path<(String, String, String)>) -> Response {
    tracing::debug!(%rung, %file, "segment request");
    let (Some(sequence), Some((_, channel))) = (file.strip_suffix(".ts").and_then(|s| s.parse::<u64>().ok()), channel_by_id(&state, &id)) else {
        return (StatusCode::NOT_FOUND, "no such segment").into_response();
    };
    // Subscribe before the first read so no progress between the two is missed.
    let progress = channel.progress();
    match channel.read_segment(&rung, sequence, 0) {
        SegmentRead::Complete(data) => ([(header::CONTENT_TYPE, "video/mp2t"), (header::CACHE_CONTROL, "max-age=60")], data).into_response(),
        SegmentRead::Growing(first) => {
            let body = Body::from_stream(growing(channel.clone(), rung, sequence, first, progress));
            ([(header::CONTENT_TYPE, "video/mp2t"), (header::CACHE_CONTROL, "no-cache")], body).into_response()
        }
        SegmentRead::Gone => (StatusCode::NOT_FOUND, "no such segment").into_response(),
    }
}

/// A finished broadcast, as a recording (VOD): `index.m3u8` (every rendition), `{rung}.m3u8`
/// and `{rung}-{sequence}.ts`.
async fn recording(State(state): State<PlaybackOrigin>, Path((stream, file)): Path<(String, String)>) -> Response {
    let Some(recording) = state.live.all().iter().find_map(|(_, channel)| channel.past_broadcast(&stream)) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    if file == "index.m3u8" {
        return m3u8(Some(recording.master_playlist()), "max-age=60", "no such recording");
    }
    if let Some(rung) = file.strip_suffix(".m3u8") {
        return m3u8(recording.playlist(rung), "max-age=60", "no such rendition");
    }
    let segment = file.strip_suffix(".ts").and_then(|s| s.rsplit_once('-')).and_then(|(rung, n)| recording.segment(rung, n.parse().ok()?));
    match segment {
        Some(data) => ([(header::CONTENT_TYPE, "video/mp2t"), (header::CACHE_CONTROL, "max-age=3600")], data).into_response(),
        None => (StatusCode::NOT_FOUND, "no such segment").into_response(),
    }
}

/// An object of a bucket recordings are written to, as a CDN serves it (no listing).
async fn bucket_object(State(state): State<PlaybackOrigin>, Path((bucket, key)): Path<(String, String)>) -> Response {
    let safe = |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\\');
    if !safe(&bucket) || !key.split('/').all(safe) {
        return (StatusCode::NOT_FOUND, "no such object").into_response();
    }
    let path = key.split('/').fold(state.buckets.join(&bucket), |path, part| path.join(part));
    let Ok(data) = tokio::fs::read(&path).await else {
        return (StatusCode::NOT_FOUND, "no such object").into_response();
    };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("ts") => "video/mp2t",
        Some("json") => "application/json",
        Some("jpg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], data).into_response()
}

struct Growing {
    channel: Channel,
    rung: String,
    sequence: u64,
    offset: usize,
    first: Option<Bytes>,
    progress: watch::Receiver<u64>,
    done: bool,
}

/// The body of a segment that is still being written: what exists now, then each new piece as
/// the encoder delivers it, until the segment is finished (chunked transfer).
fn growing(channel: Channel, rung: String, sequence: u64, first: Bytes, progress: watch::Receiver<u64>) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let state = Growing { channel, rung, sequence, offset: first.len(), first: Some(first), progress, done: false };
    futures::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if let Some(first) = s.first.take().filter(|b| !b.is_empty()) {
            return Some((Ok(first), s));
        }
        loop {
            match s.channel.read_segment(&s.rung, s.sequence, s.offset) {
                SegmentRead::Complete(rest) => {
                    s.done = true;
                    return (!rest.is_empty()).then_some((Ok(rest), s));
                }
                SegmentRead::Growing(chunk) if !chunk.is_empty() => {
                    s.offset += chunk.len();
                    return Some((Ok(chunk), s));
                }
                SegmentRead::Growing(_) => {
                    let changed = tokio::time::timeout(STALL_TIMEOUT, s.progress.changed()).await;
                    if !matches!(changed, Ok(Ok(()))) {
                        return None; // the encoder stalled or the channel went away
                    }
                }
                SegmentRead::Gone => return None,
            }
        }
    })
}
