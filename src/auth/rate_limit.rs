//! Rate limits driven by the injected clock: fixed windows per key (an IP, an account), and a
//! progressive slow-down after failed sign-ins that never becomes a permanent lockout.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// How long to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one, for the `Retry-After` header.
    pub fn seconds(self) -> u64 {
        u64::try_from(self.0.num_seconds().max(1)).unwrap_or(1)
    }
}

/// Beyond this many keys, expired entries are swept so memory stays bounded.
const SWEEP_ABOVE: usize = 10_000;

/// Fixed-window counters keyed by strings such as `sign-in:ip:203.0.113.9`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl RateLimiter {
    /// Counts one hit on `key`; refuses it once `limit` is reached within the window.
    pub fn hit(&self, key: &str, limit: Limit, now: DateTime<Utc>) -> Result<(), RetryAfter> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (started, _)| *started + limit.window > now);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if entry.0 + limit.window <= now {
            *entry = (now, 0);
        }
        if entry.1 >= limit.max {
            return Err(RetryAfter(entry.0 + limit.window - now));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Failures allowed before each further attempt must wait.
const FREE_FAILURES: u32 = 5;
/// The longest wait, however many failures: slow, never locked out.
const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// Progressive delays after failed sign-ins to one account: 5 free tries, then 2, 4, 8 … seconds
/// (at most 15 minutes) between attempts. Keyed by the address typed, so unknown addresses slow
/// down exactly like real ones.
#[derive(Debug, Default)]
pub struct FailureBackoff {
    failures: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl FailureBackoff {
    /// How long `key` must still wait, if at all.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), RetryAfter> {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        match failures.get(key) {
            Some(&(count, last)) if count >= FREE_FAILURES => {
                let until = last + delay(count);
                if until > now { Err(RetryAfter(until - now)) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    /// Records one failure.
    pub fn fail(&self, key: &str, now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, (_, last)| *last + Duration::seconds(MAX_DELAY_SECONDS) > now);
        }
        let entry = failures.entry(key.to_owned()).or_insert((0, now));
        *entry = (entry.0.saturating_add(1), now);
    }

    /// Forgets failures after a success or a password reset.
    pub fn clear(&self, key: &str) {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }
}

fn delay(count: u32) -> Duration {
    let exponent = (count + 1 - FREE_FAILURES).min(20);
    Duration::seconds((1_i64 << exponent).min(MAX_DELAY_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn windows_refuse_then_recover() {
        let limiter = RateLimiter::default();
        let limit = Limit { max: 2, window: Duration::minutes(1) };
        assert!(limiter.hit("k", limit, start()).is_ok());
        assert!(limiter.hit("k", limit, start()).is_ok());
        let refused = limiter.hit("k", limit, start() + Duration::seconds(20)).unwrap_err();
        assert_eq!(refused.seconds(), 40);
        assert!(limiter.hit("other", limit, start()).is_ok());
        assert!(limiter.hit("k", limit, start() + Duration::minutes(1)).is_ok());
    }

    #[test]
    fn failures_slow_down_progressively_but_never_lock() {
        let backoff = FailureBackoff::default();
        for _ in 0..FREE_FAILURES {
            assert!(backoff.check("a", start()).is_ok());
            backoff.fail("a", start());
        }
        assert_eq!(backoff.check("a", start()).unwrap_err().seconds(), 2);
        backoff.fail("a", start());
        assert_eq!(backoff.check("a", start()).unwrap_err().seconds(), 4);
        assert!(backoff.check("a", start() + Duration::seconds(4)).is_ok());
        backoff.clear("a");
        assert!(backoff.check("a", start()).is_ok());
    }
}
