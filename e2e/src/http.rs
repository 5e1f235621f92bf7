//! The tests' own HTTP calls, through the one HTTP client the workspace uses (`ureq`): blocking,
//! so a test calls it as it reads, from inside async tests too.

use std::time::Duration;

use anyhow::Context;

/// A minimal blocking HTTP/1.1 client for the tests' own calls: returns status and body.
pub fn http(method: &str, url: &str, body: &str) -> anyhow::Result<(u16, String)> {
    http_with(method, url, &[], body).map(|(status, _, body)| (status, body))
}

/// Like [`http`], with request headers; also returns the response's head (status line and
/// headers, lower-cased names).
pub fn http_with(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> anyhow::Result<(u16, String, String)> {
    request(method, url, headers, body, Duration::from_secs(10))
}

pub(crate) fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str, timeout: Duration) -> anyhow::Result<(u16, String, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).timeout_global(Some(timeout)).build().into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        request = request.header("Content-Type", "application/json");
    }
    let mut response = agent.run(request.body(body.to_owned())?).with_context(|| format!("{method} {url}"))?;
    let status = response.status().as_u16();
    // The head as the tests read it: the status line, then `name: value` lines, lower-cased.
    let mut head = format!("http/1.1 {status}\r\n");
    for (name, value) in response.headers() {
        head.push_str(&format!("{}: {}\r\n", name.as_str(), String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase()));
    }
    let body = response.body_mut().with_config().limit(64 << 20).read_to_vec()?;
    Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
}
