//! Wall-clock time as the AWS APIs write it (RFC 3339, UTC), in one place.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `ms` (since the epoch) in RFC 3339 with milliseconds: `2026-12-03T08:38:36.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    format(ms, true)
}

/// `ms` (since the epoch) in RFC 3339 to the second: `2026-12-03T08:38:36Z`.
pub fn rfc3339_secs(ms: i64) -> String {
    format(ms, false)
}

/// `at` in RFC 3339 with milliseconds.
pub fn rfc3339(at: SystemTime) -> String {
    rfc3339_ms(at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64))
}

fn format(ms: i64, with_ms: bool) -> String {
    let ms = if with_ms { ms } else { ms - ms.rem_euclid(1000) };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_rfc_3339_utc() {
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_secs(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_ms(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
