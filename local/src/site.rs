//! The site's own backend, as a deployment serves it beside the viewer: the built app, and
//! `config.json` describing this deployment's endpoints.

use std::path::PathBuf;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

/// The routes of the site: `config.json`, then the built viewer in `site_dir`.
pub fn router(state: AppState, site_dir: PathBuf) -> Router {
    let index = site_dir.join("index.html");
    let files = ServeDir::new(&site_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/config.json", get(config))
        .with_state(state)
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache")))
}

async fn config(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "playbackUrl": state.playback_url }))
}
