//! Links that are safe to put in an `href` or `src`.
//!
//! Network data never becomes a link directly: it is parsed into a [`SafeUrl`], which only admits
//! absolute `http` and `https` URLs with a host and no whitespace or control characters.

use std::fmt;

use thiserror::Error;

/// Why a string was refused as a link.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlError {
    #[error("link is empty")]
    Empty,
    #[error("link is longer than {0} characters")]
    TooLong(usize),
    #[error("only http and https links are allowed")]
    Scheme,
    #[error("link has no host")]
    NoHost,
    #[error("link contains whitespace or control characters")]
    BadCharacter,
}

/// An absolute `http(s)` URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeUrl(String);

impl SafeUrl {
    /// The longest link accepted (a cue is at most 1 KB anyway).
    pub const MAX_LEN: usize = 1000;

    /// Parses and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UrlError::Empty);
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(UrlError::TooLong(Self::MAX_LEN));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::BadCharacter);
        }
        let (scheme, rest) = raw.split_once("://").ok_or(UrlError::Scheme)?;
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::Scheme);
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(UrlError::NoHost);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The checked URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encodes `text` for a URL path segment or query value: everything but the unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`) becomes `%XX`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https() {
        assert_eq!(SafeUrl::parse("https://example.com/a?b#c").unwrap().as_str(), "https://example.com/a?b#c");
        assert!(SafeUrl::parse("HTTP://example.com").is_ok());
        assert!(SafeUrl::parse(" https://example.com:8443/x ").is_ok());
    }

    #[test]
    fn refuses_script_and_other_schemes() {
        for bad in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "vbscript:x", "//example.com", "ftp://example.com", "/relative"] {
            assert_eq!(SafeUrl::parse(bad), Err(UrlError::Scheme), "{bad}");
        }
    }

    #[test]
    fn refuses_hidden_characters_and_empty_hosts() {
        assert_eq!(SafeUrl::parse("java\tscript:alert(1)"), Err(UrlError::BadCharacter));
        assert_eq!(SafeUrl::parse("https://exa mple.com"), Err(UrlError::BadCharacter));
        assert_eq!(SafeUrl::parse("https:///path"), Err(UrlError::NoHost));
        assert_eq!(SafeUrl::parse("https://user@/x"), Err(UrlError::NoHost));
        assert_eq!(SafeUrl::parse(""), Err(UrlError::Empty));
        assert_eq!(SafeUrl::parse(&format!("https://e.com/{}", "a".repeat(1000))), Err(UrlError::TooLong(1000)));
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("poll-1_a.b~"), "poll-1_a.b~");
        assert_eq!(encode_component("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
    }
}
