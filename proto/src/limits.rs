//! Rate limits as token buckets: a key (an address, an identity) may act `burst` times at once,
//! and again as its bucket refills at `per_sec`. The caller gives the time, so the arithmetic is
//! tested without a clock.

use std::collections::HashMap;
use std::hash::Hash;

/// How much a key may do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_sec: f64,
}

impl Rate {
    /// `count` actions per `secs` seconds, all of them at once if need be.
    pub fn per(count: u32, secs: u32) -> Self {
        Self { burst: f64::from(count), per_sec: f64::from(count) / f64::from(secs.max(1)) }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// Buckets per key; the oldest are forgotten past `capacity` keys (a full bucket is the same as
/// none, so forgetting one only ever lets a key act, never wrongly stops it).
#[derive(Debug, Clone)]
pub struct Limiter<K> {
    rate: Rate,
    buckets: HashMap<K, Bucket>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone> Limiter<K> {
    pub fn new(rate: Rate, capacity: usize) -> Self {
        Self { rate, buckets: HashMap::new(), capacity: capacity.max(1) }
    }

    /// Takes one action for `key` at `now_ms`: `Ok`, or `Err(seconds)` to wait before the next.
    pub fn take(&mut self, key: &K, now_ms: i64) -> Result<(), u64> {
        if self.buckets.len() >= self.capacity && !self.buckets.contains_key(key) {
            self.forget_full(now_ms);
        }
        let rate = self.rate;
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket { tokens: rate.burst, at_ms: now_ms });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * rate.per_sec).min(rate.burst);
        bucket.at_ms = now_ms.max(bucket.at_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = if rate.per_sec > 0.0 { (1.0 - bucket.tokens) / rate.per_sec } else { f64::INFINITY };
            Err(wait.ceil().clamp(1.0, 86_400.0) as u64)
        }
    }

    /// Drops the buckets that have refilled; if none has, the stalest.
    fn forget_full(&mut self, now_ms: i64) {
        let rate = self.rate;
        self.buckets.retain(|_, b| b.tokens + (now_ms - b.at_ms).max(0) as f64 / 1000.0 * rate.per_sec < rate.burst);
        if self.buckets.len() >= self.capacity {
            if let Some(stalest) = self.buckets.iter().min_by_key(|(_, b)| b.at_ms).map(|(k, _)| k.clone()) {
                self.buckets.remove(&stalest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let mut limiter = Limiter::new(Rate::per(3, 60), 100);
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", 0), Ok(()));
        }
        assert_eq!(limiter.take(&"a", 0), Err(20), "one more in 20 s");
        assert_eq!(limiter.take(&"b", 0), Ok(()), "keys are apart");
        assert_eq!(limiter.take(&"a", 19_000), Err(1));
        assert_eq!(limiter.take(&"a", 20_000), Ok(()));
        assert!(limiter.take(&"a", 20_001).is_err());
        // A long rest refills to the burst, never past it.
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", 10_000_000), Ok(()));
        }
        assert!(limiter.take(&"a", 10_000_000).is_err());
    }

    #[test]
    fn many_keys_stay_bounded_and_time_going_back_refills_nothing() {
        let mut limiter = Limiter::new(Rate::per(1, 3600), 10);
        assert_eq!(limiter.take(&0, 0), Ok(()));
        for key in 1..1000 {
            let _ = limiter.take(&key, key as i64);
            assert!(limiter.buckets.len() <= 10);
        }
        // A time that goes backwards (another instance's clock) refills nothing.
        let mut limiter = Limiter::new(Rate::per(1, 10), 10);
        assert_eq!(limiter.take(&"a", 5_000), Ok(()));
        assert!(limiter.take(&"a", 1_000).is_err());
    }
}
