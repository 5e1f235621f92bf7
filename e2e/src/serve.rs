//! Static files on a free loopback port, as another site (a shop's pages) or a CDN serves them.

use std::path::Path;

use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;

/// Serves `dir` until the test ends; its origin (`http://127.0.0.1:<port>`). `cors`: answers
/// every origin, as a public CDN does (module scripts, stylesheets fetched by script and
/// WebAssembly from another origin need it).
pub async fn serve_dir(dir: &Path, cors: bool) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let origin = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let mut app = axum::Router::new().fallback_service(ServeDir::new(dir));
    if cors {
        app = app.layer(CorsLayer::new().allow_origin(Any));
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(origin)
}
