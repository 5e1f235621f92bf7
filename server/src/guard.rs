//! What stands between the site's endpoints and the rest of the web: where a request comes from
//! (its address, its page's origin), how often one address or identity may act, and the headers
//! every answer carries (a strict Content-Security-Policy on the pages).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, HeaderValue};
use ivs_proto::limits::{Limiter, Rate};

use crate::clock::now_ms;
use crate::config::Config;

/// The client's address: the connection's peer, or — only when the configuration trusts a proxy
/// in front — the last address that proxy appended to `X-Forwarded-For`.
pub fn client_address(headers: &HeaderMap, peer: SocketAddr, trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).last();
        if let Some(address) = forwarded.and_then(|a| a.trim().parse().ok()) {
            return address;
        }
    }
    peer.ip()
}

/// Whether a state-changing request comes from this site's own pages. A browser names the page's
/// origin (`Origin`) on every POST, and says how the request relates to it (`Sec-Fetch-Site`);
/// a request from another site's page is refused. A request with neither is no browser's (a
/// script with no cookies of a viewer's), and is left to the endpoint's own checks.
pub fn same_site(headers: &HeaderMap, own_origin: &str) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.as_bytes() == own_origin.as_bytes();
    }
    matches!(headers.get("sec-fetch-site").map(HeaderValue::as_bytes), None | Some(b"same-origin") | Some(b"none"))
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The rate limits, per instance.
#[derive(Clone)]
pub struct Limits {
    /// Anonymous identities given to one address.
    identities: Arc<Mutex<Limiter<IpAddr>>>,
    /// Chat and playback tokens per identity, and per address.
    tokens_per_person: Arc<Mutex<Limiter<String>>>,
    tokens_per_address: Arc<Mutex<Limiter<IpAddr>>>,
    /// Publishing and sign-in links per operator key.
    operator: Arc<Mutex<Limiter<String>>>,
    /// Clips per identity.
    clips_per_person: Arc<Mutex<Limiter<String>>>,
    /// Analytics reports per identity.
    reports_per_person: Arc<Mutex<Limiter<String>>>,
}

const KEYS_KEPT: usize = 100_000;

fn limiter<K: Eq + std::hash::Hash + Clone>(rate: Rate) -> Arc<Mutex<Limiter<K>>> {
    Arc::new(Mutex::new(Limiter::new(rate, KEYS_KEPT)))
}

fn take<K: Eq + std::hash::Hash + Clone>(limiter: &Mutex<Limiter<K>>, key: &K) -> Result<(), u64> {
    limiter.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take(key, now_ms())
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        let l = &config.limits;
        Self {
            identities: limiter(Rate::per(l.anonymous_per_address_per_hour, 3600)),
            tokens_per_person: limiter(Rate::per(l.tokens_per_minute, 60)),
            tokens_per_address: limiter(Rate::per(l.tokens_per_minute_per_address, 60)),
            operator: limiter(Rate::per(l.operator_per_second, 1)),
            clips_per_person: limiter(Rate::per(l.clips_per_hour, 3600)),
            reports_per_person: limiter(Rate::per(l.analytics_per_minute, 60)),
        }
    }

    /// Whether `address` may be given another anonymous identity.
    pub fn new_identity(&self, address: IpAddr) -> bool {
        take(&self.identities, &address).is_ok()
    }

    /// A token for `person` (if the request has one) at `address`, or the seconds to wait.
    pub fn token(&self, person: Option<&str>, address: IpAddr) -> Result<(), u64> {
        take(&self.tokens_per_address, &address)?;
        match person {
            Some(person) => take(&self.tokens_per_person, &person.to_owned()),
            None => Ok(()),
        }
    }

    /// An operator's call, or the seconds to wait.
    pub fn operator(&self, key: &str) -> Result<(), u64> {
        take(&self.operator, &key.to_owned())
    }

    /// Whether `person` may send another analytics report; else in how many seconds.
    pub fn report(&self, person: &str) -> Result<(), u64> {
        take(&self.reports_per_person, &person.to_owned())
    }

    /// Whether `person` may make another clip; else in how many seconds.
    pub fn clip(&self, person: &str) -> Result<(), u64> {
        take(&self.clips_per_person, &person.to_owned())
    }
}

/// Where the IVS Player SDK fetches its device configuration (`player-web-v1.json`).
pub const PLAYER_CONFIG_HOST: &str = "https://prod.ivs-device-config.live-video.net";

/// What the site's pages connect to, besides the site itself.
pub struct Hosts<'a> {
    /// The channel's playback URL and the playback URLs links may choose
    /// (`channel.playback_overrides`).
    pub playback: Vec<&'a str>,
    pub chat_endpoint: &'a str,
    /// The stage's media endpoint.
    pub whip_url: Option<&'a str>,
    /// The recordings' host: their playlists, and their thumbnails as images.
    pub recordings: Option<&'a str>,
}

/// The Content-Security-Policy of the site's pages: its own scripts and WebAssembly only (the page
/// has no inline script; the inlined configuration is JSON, which no browser runs), the player's
/// worker and media from `blob:`, connections to the site and `hosts`, and who may frame the page
/// (`frame_ancestors`).
///
/// Of IVS's own hosts, the IVS Player SDK always fetches its device configuration from
/// [`PLAYER_CONFIG_HOST`] (on secure pages); the rest of `*.live-video.net` is admitted only when
/// a playback URL is one of them: an IVS playlist sends the player on to rendition and segment
/// hosts under that domain which no configuration can name in advance (the IVS documentation's
/// minimal policy names the wildcard for this reason). A channel played from elsewhere (the local
/// IVS, a CDN) admits no other IVS host.
pub fn content_security_policy(hosts: &Hosts<'_>, frame_ancestors: &str) -> String {
    let origin = |url: &str| url.split('/').take(3).collect::<Vec<_>>().join("/");
    let ivs_hosted = hosts.playback.iter().any(|url| {
        let host = url.split('/').nth(2).unwrap_or_default().split(':').next().unwrap_or_default();
        host.ends_with(".live-video.net")
    });
    let mut connect: Vec<String> = hosts.playback.iter().map(|url| origin(url)).collect();
    connect.push(origin(hosts.chat_endpoint));
    connect.extend(hosts.whip_url.map(origin));
    let recordings = hosts.recordings.map(origin);
    connect.extend(recordings.clone());
    connect.push(if ivs_hosted { "https://*.live-video.net" } else { PLAYER_CONFIG_HOST }.into());
    let mut seen = std::collections::HashSet::new();
    connect.retain(|o| seen.insert(o.clone()));
    let connect = connect.join(" ");
    let images = recordings.filter(|r| !r.starts_with("https://")).map(|r| format!(" {r}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; media-src 'self' blob:; \
         connect-src 'self' {connect}; img-src 'self' https: data:{images}; style-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Who may frame the embed route: the configured host origins, or any page when none are named
/// (the embed code is meant to be pasted anywhere); no other page may be framed.
pub fn embed_ancestors(embed_origins: &[String]) -> String {
    if embed_origins.is_empty() {
        "*".into()
    } else {
        std::iter::once("'self'").chain(embed_origins.iter().map(String::as_str)).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn only_the_sites_own_pages_pass() {
        let own = "https://live.example.com";
        assert!(same_site(&headers(&[("origin", "https://live.example.com")]), own));
        assert!(!same_site(&headers(&[("origin", "https://evil.example")]), own));
        assert!(!same_site(&headers(&[("origin", "null")]), own), "a sandboxed frame");
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")]), own));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")]), own), "a sibling subdomain is another site's page");
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")]), own));
        assert!(same_site(&HeaderMap::new(), own), "no browser: the endpoint's own checks decide");
    }

    #[test]
    fn the_address_is_the_peers_unless_a_proxy_is_trusted() {
        let peer: SocketAddr = "10.0.0.9:4000".parse().unwrap();
        let forwarded = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8")]);
        assert_eq!(client_address(&forwarded, peer, false), peer.ip(), "a client cannot pick its address");
        assert_eq!(client_address(&forwarded, peer, true), "5.6.7.8".parse::<IpAddr>().unwrap(), "the hop our proxy added");
        assert_eq!(client_address(&headers(&[("x-forwarded-for", "garbage")]), peer, true), peer.ip());
    }

    #[test]
    fn the_policy_names_the_hosts_the_viewer_needs_and_nothing_inline() {
        let hosts = Hosts {
            playback: vec!["https://a1.us-west-2.playback.live-video.net/api/video/v1/x.m3u8"],
            chat_endpoint: "wss://edge.ivschat.us-west-2.amazonaws.com",
            whip_url: None,
            recordings: None,
        };
        let csp = content_security_policy(&hosts, "'none'");
        assert!(
            csp.contains(
                "connect-src 'self' https://a1.us-west-2.playback.live-video.net wss://edge.ivschat.us-west-2.amazonaws.com https://*.live-video.net;"
            ),
            "{csp}"
        );
        // Played from elsewhere (a CDN, the local IVS): no IVS host at all; overrides are named.
        let elsewhere = Hosts {
            playback: vec!["https://cdn.example.com/live/x.m3u8", "http://127.0.0.1:4001/"],
            chat_endpoint: "wss://chat.example.com",
            whip_url: Some("https://whip.example.com/v1"),
            recordings: Some("https://rec.example.com/bucket"),
        };
        let policy = content_security_policy(&elsewhere, "'none'");
        assert!(!policy.contains("*.live-video.net"), "{policy}");
        assert!(
            policy.contains("connect-src 'self' https://cdn.example.com http://127.0.0.1:4001 wss://chat.example.com https://whip.example.com https://rec.example.com https://prod.ivs-device-config.live-video.net;"),
            "{policy}"
        );
        // A look-alike host is not IVS's.
        let lookalike = Hosts { playback: vec!["https://evil-live-video.net/x.m3u8"], ..elsewhere };
        assert!(!content_security_policy(&lookalike, "'none'").contains("*.live-video.net"));
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"), "{csp}");
        assert!(!csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")), "no inline script: {csp}");
        assert!(csp.ends_with("frame-ancestors 'none'"));
        assert_eq!(embed_ancestors(&[]), "*");
        assert_eq!(embed_ancestors(&["https://www.example.com".into()]), "'self' https://www.example.com");
    }
}
