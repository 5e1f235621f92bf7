//! A broadcast's health, measured from what arrives, as IVS measures it: the input starves
//! when it stops arriving or falls behind the wall clock.

use std::time::{Duration, Instant};

/// The input's progress against the wall clock: how a broadcast's health is measured, from
/// what arrives, as IVS measures it.
#[derive(Debug, Clone, Copy)]
pub struct InputClock {
    first: Option<(Instant, u32)>,
    last: Option<(Instant, u32)>,
}

/// Input that has not arrived for this long starves the stream.
const STARVED_AFTER: Duration = Duration::from_millis(1500);
/// Input whose media time falls this far behind the wall clock starves the stream.
const STARVED_LAG: Duration = Duration::from_secs(2);

impl InputClock {
    pub const fn new() -> Self {
        Self { first: None, last: None }
    }

    /// Media with timestamp `media_ms` arrived at `at`.
    pub fn arrived(&mut self, at: Instant, media_ms: u32) {
        self.first.get_or_insert((at, media_ms));
        self.last = Some((at, media_ms));
    }

    /// Whether the input keeps up with real time at `now`: it arrives, and its media time
    /// does not fall behind the wall clock.
    pub fn healthy(&self, now: Instant) -> bool {
        let (Some((first_at, first_ms)), Some((last_at, last_ms))) = (self.first, self.last) else {
            return true;
        };
        let wall = last_at.duration_since(first_at);
        let media = Duration::from_millis(u64::from(last_ms.wrapping_sub(first_ms)));
        now.duration_since(last_at) < STARVED_AFTER && wall.saturating_sub(media) < STARVED_LAG
    }
}

impl Default for InputClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_the_input() {
        let start = Instant::now();
        let mut clock = InputClock::new();
        assert!(clock.healthy(start), "nothing measured yet");
        // Real time: ten seconds of media in ten seconds.
        for s in 0..=10u32 {
            clock.arrived(start + Duration::from_secs(u64::from(s)), s * 1000);
        }
        assert!(clock.healthy(start + Duration::from_secs(10)));
        // Stops arriving: starving after a second and a half.
        assert!(!clock.healthy(start + Duration::from_secs(12)));
        // Arrives, but at half speed: falls behind the wall clock.
        let mut slow = InputClock::new();
        for s in 0..=10u32 {
            slow.arrived(start + Duration::from_secs(u64::from(s)), s * 500);
        }
        assert!(!slow.healthy(start + Duration::from_secs(10)));
    }
}
