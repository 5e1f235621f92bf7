//! The site's HTTP face, one room per kind of route: the built viewer with this deployment's configuration inlined into the
//! page, and the endpoints the viewer, the site's producers and EventBridge call.
//!
//! | route | who calls it |
//! |---|---|
//! | `GET /`, `/embed`, … | browsers: the viewer, configuration inlined (`assets.rs`) |
//! | `GET /config.json` | a viewer served from elsewhere, or `<ivs-viewer site>` on an embed origin (`assets.rs`; across origins: `cors.rs`) |
//! | `POST /api/chat/token` | the viewer: a chat token for the person in the cookie (`tokens.rs`) |
//! | `POST /api/playback-token` | the viewer of a private channel (`tokens.rs`) |
//! | `POST /api/stage/token`, `GET /api/stage` | the viewer of a stage: a participant token, the line-up (`stage.rs`) |
//! | `GET /api/recordings`, `GET /api/recordings/{id}`, `…/{id}/rewind/{playlist}` | the viewer: past broadcasts, and the one recording now to rewind into (`recordings.rs`) |
//! | `POST /api/clips`, `GET /api/clips/{id}`, `GET /api/clips/{id}/{playlist}` | the viewer: a clip made, told of, played (`clips.rs`) |
//! | `GET /api/state` | a viewer who arrives late: the overlays on screen (`overlays.rs`) |
//! | `POST /api/polls/{id}/vote`, `GET /api/polls/{id}` | the viewer: a vote; a past poll's result (`overlays.rs`) |
//! | `POST /api/overlays` | producers: an operator key, or the studio (`overlays.rs`) |
//! | `GET /api/stream-key`, `POST /api/stream-key/rotate` | operators: the channel's stream key, read or replaced (`stream_key.rs`) |
//! | `GET /api/studio`, `GET /api/studio/channel` | the studio (`/studio`): the live room, the channel for the encoder (`studio.rs`) |
//! | `GET/PUT /api/studio/show`, `POST /api/studio/show/{id}/send`, `…/show/keys/{key}` | the studio's run of show: kept, sent by hand or key (`studio.rs`) |
//! | `POST /api/analytics` | the viewer: how playback goes, a report a minute (`analytics.rs`) |
//! | `GET /api/studio/analytics[/{broadcast}[/csv]]` | the studio: the broadcasts, one's minutes, as CSV (`analytics.rs`) |
//! | `POST /api/sign-in-links` | operators: a one-time link that signs a browser in (`signin.rs`) |
//! | `POST /api/events` | EventBridge's API destination, with the events secret (`events.rs`) |
//! | `GET/POST /sign-in`, `GET /sign-in/{code}` | signing a browser in (`signin.rs`) |
//!
//! Who may do what: an anonymous identity is given with the page (within a budget per address,
//! `guard.rs`), never by a vote or a token request; votes and tokens come only from this site's
//! own pages (`Origin`, `Sec-Fetch-Site`); token minting and operator calls are rate-limited.
//! Those checks are extractors (`extract.rs`); every handler answers `Result<_, AppError>`
//! (`error.rs`).

pub mod analytics;
pub mod assets;
pub mod clips;
pub mod cors;
pub mod error;
pub mod events;
pub mod extract;
pub mod moderation;
pub mod overlays;
pub mod recordings;
pub mod signin;
pub mod stage;
pub mod stream_key;
pub mod studio;
pub mod tokens;

#[cfg(test)]
mod tests;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::App;

/// The largest request body taken.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The site's routes; the built viewer is served from the configured `site_dir`.
pub fn router(app: App) -> Router {
    let page: MethodRouter = get(assets::index).with_state(app.clone());
    let app_for_cors = app.clone();
    // Compressed copies made at build time (scripts/precompress.mjs) are sent as they are.
    let files = ServeDir::new(&app.config.site_dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(false).fallback(page);
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/config.json", get(assets::config))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/chat/token", post(tokens::chat))
        .route("/api/playback-token", post(tokens::playback))
        .route("/api/state", get(overlays::state))
        .route("/api/stage", get(stage::lineup))
        .route("/api/stage/token", post(stage::token))
        .route("/api/recordings", get(recordings::list))
        .route("/api/recordings/{id}", get(recordings::one))
        .route("/api/recordings/{id}/rewind/{file}", get(recordings::rewind))
        .route("/api/clips", post(clips::make))
        .route("/api/clips/{id}", get(clips::one))
        .route("/api/clips/{id}/{file}", get(clips::playlist))
        .route("/api/polls/{id}", get(overlays::result))
        .route("/api/polls/{id}/vote", post(overlays::vote))
        .route("/api/overlays", post(overlays::publish))
        .route("/api/sign-in-links", post(signin::link))
        .route("/api/stream-key", get(stream_key::read))
        .route("/api/stream-key/rotate", post(stream_key::rotate))
        .route("/api/studio", get(studio::overview))
        .route("/api/studio/channel", get(studio::channel))
        .route("/api/studio/chat", get(moderation::desk).put(moderation::set_rules))
        .route("/api/chat/review", post(moderation::review))
        .route("/api/studio/show", get(studio::show).put(studio::replace_show))
        .route("/api/studio/show/{id}/send", post(studio::send))
        .route("/api/studio/show/keys/{key}", post(studio::press))
        .route("/api/analytics", post(analytics::report))
        .route("/api/studio/analytics", get(analytics::broadcasts))
        .route("/api/studio/analytics/{broadcast}", get(analytics::series))
        .route("/api/studio/analytics/{broadcast}/csv", get(analytics::csv))
        .route("/api/events", post(events::intake))
        .route("/sign-in", get(signin::form).post(signin::submit))
        .route("/sign-in/{code}", get(signin::follow))
        .with_state(app)
        .fallback_service(files)
        .layer(axum::middleware::from_fn(assets::cache_policy))
        .layer(axum::middleware::from_fn_with_state(app_for_cors, cors::embed_cors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
}
