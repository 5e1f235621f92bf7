//! The viewer itself: the page (this deployment's configuration inlined, its security policy,
//! a newcomer's anonymous identity), `config.json`, and the built files with their cache policy.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::error::{Answer, AppError};
use super::extract::ClientAddress;
use crate::identity::Identity;
use crate::App;

pub async fn config(State(app): State<App>, ClientAddress(address): ClientAddress, headers: HeaderMap) -> Response {
    let mut response = Json(app.viewer_config.as_ref().clone()).into_response();
    // A viewer on another site's page (`<ivs-viewer site>`) has no page of this site to be given
    // an identity with: it is given one with its configuration, on the same terms.
    if super::cors::embed_origin(&app, &headers).is_some() {
        give_identity(&app, address, &headers, &mut response);
    }
    response
}

/// The page, with the configuration inlined and the page's security policy. A newcomer is given
/// an anonymous identity with it — within the budget of its address.
pub async fn index(State(app): State<App>, ClientAddress(address): ClientAddress, uri: Uri, headers: HeaderMap) -> Answer {
    let page = tokio::fs::read_to_string(app.index.as_path())
        .await
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", app.index.display())))?;
    let mut response = Html(inline_config(&page, &app.viewer_config)).into_response();
    let policy = if uri.path() == "/embed" || uri.path().starts_with("/embed/") { &app.embed_policy } else { &app.page_policy };
    if let Ok(policy) = HeaderValue::from_str(policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    give_identity(&app, address, &headers, &mut response);
    Ok(response)
}

/// An anonymous identity for a newcomer (no identity in `headers`), within its address's budget.
fn give_identity(app: &App, address: std::net::IpAddr, headers: &HeaderMap, response: &mut Response) {
    if app.identity.person(headers).is_some() {
        return;
    }
    if app.limits.new_identity(address) {
        let cookie = app.identity.cookie_for(&Identity::new_viewer());
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    } else {
        tracing::info!(%address, "no new identity: this address had its budget");
    }
}

/// Files named by their content (`main-<16 hex digits>.css`, `chunk_3-<…>.wasm`: Trunk and
/// scripts/finish-wasm.sh name the app's files so) never change: browsers keep them a year without
/// asking again. Everything else is revalidated each time (`no-cache`, below).
pub async fn cache_policy(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let immutable = content_named(request.uri().path());
    let mut response = next.run(request).await;
    // Only the file itself: a name that is not there answers with the page, which must not stick.
    let kind = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let is_file = ["application/wasm", "text/javascript", "application/javascript", "text/css"].iter().any(|k| kind.starts_with(k));
    if immutable && is_file && response.status() == StatusCode::OK {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    response
}

/// Whether the file `path` names is named by its content: the file itself, or the folder it is in
/// (the IVS SDK's, `ivs/<16 hex digits>/`: scripts/bundle-sdk.sh).
fn content_named(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or_default();
    if parts.next().is_some_and(is_hash) && parts.next() == Some("ivs") && parts.next() == Some("") {
        return [".js", ".wasm"].iter().any(|ext| name.ends_with(ext));
    }
    let Some((stem, ext)) = name.split_once('.') else { return false };
    // wasm-bindgen's module is `<name>-<hash>_bg.wasm`.
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    matches!(ext, "js" | "wasm" | "css") && stem.rsplit_once('-').is_some_and(|(_, hash)| is_hash(hash))
}

/// The build's content names: 16 hexadecimal digits.
fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Puts `config` into `page` as `<script type="application/json" id="ivs-viewer-config">`, first
/// in the head, so the page's start-up script can read it.
pub fn inline_config(page: &str, config: &serde_json::Value) -> String {
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

    #[test]
    fn only_files_named_by_their_content_are_kept_for_good() {
        assert!(super::content_named("/main-c8508ae5dabe89a1.css"));
        assert!(super::content_named("/split_stage-17b88da2ffe1bb3a.wasm"));
        assert!(super::content_named("/ivs-viewer-3e4b5cb0b3aeed2e_bg.wasm"));
        assert!(!super::content_named("/boot.js"));
        assert!(super::content_named("/ivs/0123456789abcdef/amazon-ivs-player.min.js"), "the SDK's folder is named by content");
        assert!(super::content_named("/ivs/0123456789abcdef/amazon-ivs-wasmworker.min.wasm"));
        assert!(!super::content_named("/ivs/amazon-ivs-player.min.js"));
        assert!(!super::content_named("/ivs/0123456789abcdef/notes.txt"));
        assert!(!super::content_named("/other/0123456789abcdef/amazon-ivs-player.min.js"), "only the SDK's folder");
        assert!(!super::content_named("/x/ivs/0123456789abcdef/amazon-ivs-player.min.js"));
        assert!(!super::content_named("/sign-in/code-0123456789abcdef"), "only the app's files");
    }

    use super::*;

    #[test]
    fn config_goes_into_the_head_and_cannot_close_the_script() {
        let page = "<html><head><title>x</title></head><body></body></html>";
        let out = inline_config(page, &serde_json::json!({ "playbackUrl": "http://h/</script><script>alert(1)</script>" }));
        assert!(out.starts_with("<html><head>\n<script type=\"application/json\" id=\"ivs-viewer-config\">"), "{out}");
        assert_eq!(out.matches("</script>").count(), 1, "only the tag's own end: {out}");
        let json = out.split("ivs-viewer-config\">").nth(1).unwrap().split("</script>").next().unwrap();
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["playbackUrl"], "http://h/</script><script>alert(1)</script>");
    }
}
