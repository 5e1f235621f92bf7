//! The site's own backend, as a deployment serves it beside the viewer: the built app, with this
//! deployment's configuration inlined into the page (saving the viewer a request before it can
//! start playback), and the same configuration as `config.json`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

#[derive(Clone)]
struct Site {
    app: AppState,
    index: Arc<PathBuf>,
}

/// The routes of the site: the page, `config.json`, then the built viewer in `site_dir`.
pub fn router(app: AppState, site_dir: PathBuf) -> Router {
    let site = Site { app, index: Arc::new(site_dir.join("index.html")) };
    let page: MethodRouter = get(index).with_state(site.clone());
    let files = ServeDir::new(&site_dir).append_index_html_on_directories(false).fallback(page);
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/config.json", get(config))
        .with_state(site)
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

fn viewer_config(app: &AppState) -> serde_json::Value {
    json!({ "playbackUrl": app.playback_url })
}

async fn config(State(site): State<Site>) -> impl IntoResponse {
    Json(viewer_config(&site.app))
}

async fn index(State(site): State<Site>) -> Response {
    match tokio::fs::read_to_string(site.index.as_ref()).await {
        Ok(page) => Html(inline_config(&page, &viewer_config(&site.app))).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", site.index.display())).into_response(),
    }
}

/// Puts `config` into `page` as `<script type="application/json" id="ivs-viewer-config">`, first
/// in the head, so the page's start-up script can read it.
fn inline_config(page: &str, config: &serde_json::Value) -> String {
    // "</" cannot end the script element early once escaped; JSON reads "<\/" as "</".
    let json = config.to_string().replace("</", "<\\/");
    let tag = format!(r#"<script type="application/json" id="ivs-viewer-config">{json}</script>"#);
    match page.find("<head>") {
        Some(at) => format!("{}\n{tag}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{tag}\n{page}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_goes_into_the_head_and_cannot_close_the_script() {
        let page = "<html><head><title>x</title></head><body></body></html>";
        let out = inline_config(page, &json!({ "playbackUrl": "http://h/</script><script>alert(1)</script>" }));
        assert!(out.starts_with("<html><head>\n<script type=\"application/json\" id=\"ivs-viewer-config\">"), "{out}");
        assert_eq!(out.matches("</script>").count(), 1, "only the tag's own end: {out}");
        let json = out.split("ivs-viewer-config\">").nth(1).unwrap().split("</script>").next().unwrap();
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["playbackUrl"], "http://h/</script><script>alert(1)</script>");
    }
}
