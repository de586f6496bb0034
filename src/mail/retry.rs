//! When a failed message is tried again: quickly at first for a blip, then spaced out for a
//! server that is down for hours, then given up on so a dead address does not retry forever.

use chrono::Duration;

/// The wait after each failed attempt, in seconds: 1 min, 5 min, 30 min, 2 h, 12 h.
const RETRY_DELAYS_SECONDS: [i64; 5] = [60, 5 * 60, 30 * 60, 2 * 3_600, 12 * 3_600];

/// Attempts made before a message is marked failed for good.
pub const MAX_ATTEMPTS: i32 = RETRY_DELAYS_SECONDS.len() as i32 + 1;

/// How long to wait after failed attempt number `attempt` (counting from 1), or `None` when
/// that was the last one.
pub fn delay_after(attempt: i32) -> Option<Duration> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    RETRY_DELAYS_SECONDS.get(index).map(|seconds| Duration::seconds(*seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stop_after_the_last_attempt() {
        assert_eq!(delay_after(1), Some(Duration::minutes(1)));
        assert_eq!(delay_after(2), Some(Duration::minutes(5)));
        assert_eq!(delay_after(5), Some(Duration::hours(12)));
        assert_eq!(delay_after(MAX_ATTEMPTS), None);
        assert_eq!(MAX_ATTEMPTS, 6);
    }

    #[test]
    fn nonsense_attempt_numbers_give_up() {
        assert_eq!(delay_after(0), None);
        assert_eq!(delay_after(-3), None);
    }
}
