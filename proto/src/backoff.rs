//! Capped exponential backoff with jitter.
//!
//! Used to retry a stream that is offline: the first retries come quickly so playback resumes within
//! seconds of the channel going live, later ones slow down to the cap. Jitter spreads a crowd of
//! viewers so they do not hit the origin in lock-step. Randomness is passed in, which keeps the
//! schedule deterministic under test.

use std::time::Duration;

/// Backoff policy and the number of attempts made so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// A policy whose un-jittered delays are `base`, `2·base`, `4·base`… up to `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap: cap.max(base), attempt: 0 }
    }

    /// The schedule used while a live stream is offline: 0.5 s doubling to at most 4 s.
    pub fn offline_stream() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(4))
    }

    /// Attempts made since the last [`reset`](Self::reset).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt, given `random` uniform in `[0, 1)`.
    ///
    /// "Equal jitter": half the exponential step is fixed, the other half random, so a retry is
    /// never immediate and never later than the cap.
    pub fn next_delay(&mut self, random: f64) -> Duration {
        let step = self.base.saturating_mul(1u32 << self.attempt.min(20)).min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = step / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let mut b = Backoff::new(ms(500), ms(4000));
        let upper: Vec<_> = (0..7).map(|_| b.next_delay(1.0)).collect();
        assert_eq!(upper, [ms(500), ms(1000), ms(2000), ms(4000), ms(4000), ms(4000), ms(4000)]);
        assert_eq!(b.attempt(), 7);
    }

    #[test]
    fn jitter_stays_within_half_and_full_step() {
        let mut low = Backoff::offline_stream();
        let mut high = Backoff::offline_stream();
        for _ in 0..10 {
            let (l, h) = (low.next_delay(0.0), high.next_delay(0.999));
            assert!(l * 2 >= h.min(ms(4000)) - ms(4), "{l:?} {h:?}");
            assert!(l <= h && h <= ms(4000));
        }
        assert_eq!(Backoff::offline_stream().next_delay(0.0), ms(250));
    }

    #[test]
    fn reset_starts_over_and_huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(ms(100), ms(1000));
        for _ in 0..100 {
            b.next_delay(0.5);
        }
        assert_eq!(b.next_delay(1.0), ms(1000));
        b.reset();
        assert_eq!(b.next_delay(1.0), ms(100));
    }
}
