//! Login rate limiting: failed sign-ins are counted per account and per client address in a
//! sliding window; past the limit, sign-in answers 429 with `Retry-After` until the oldest failure
//! leaves the window. A successful sign-in clears the account's count.
//!
//! The counts live in this process: with several servers behind a load balancer each keeps its
//! own, so the effective limit is the per-server limit times the number of servers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub window: Duration,
    pub per_account: usize,
    pub per_address: usize,
}

impl Default for Limits {
    /// 5 failures per account and 20 per address in 15 minutes.
    fn default() -> Limits {
        Limits {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_address: 20,
        }
    }
}

/// Failed sign-ins by key (`account:<login>`, `address:<ip>`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    limits: Limits,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Keys kept before a full clean-up of expired entries.
const PRUNE_AT: usize = 10_000;

impl LoginLimiter {
    /// A limiter with these limits.
    pub fn new(limits: Limits) -> LoginLimiter {
        LoginLimiter {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [
            (format!("account:{}", account.to_lowercase()), true),
            (format!("address:{address}"), false),
        ]
    }

    /// `Err(retry_after)` if this account or address has failed too often lately.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wait = Duration::ZERO;
        for (key, is_account) in Self::keys(account, address) {
            let limit = if is_account {
                self.limits.per_account
            } else {
                self.limits.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < self.limits.window);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(self.limits.window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    /// Counts a failed sign-in.
    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() >= PRUNE_AT {
            let window = self.limits.window;
            failures.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        for (key, _) in Self::keys(account, address) {
            failures.entry(key).or_default().push(now);
        }
    }

    /// Forgets an account's failures after it signed in.
    pub fn clear_account(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&format!("account:{}", account.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(Limits {
            window: Duration::from_secs(60),
            per_account: 3,
            per_address: 5,
        })
    }

    #[test]
    fn an_account_is_locked_after_too_many_failures_until_the_window_passes() {
        let limiter = limiter();
        let start = Instant::now();
        for i in 0..3 {
            assert!(limiter.check("agent1", "10.0.0.1", start).is_ok(), "attempt {i}");
            limiter.record_failure("agent1", "10.0.0.1", start);
        }
        let wait = limiter
            .check("agent1", "10.0.0.9", start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limiter.check("AGENT1", "10.0.0.9", start).is_err(),
            "logins are case-insensitive"
        );
        assert!(
            limiter
                .check("agent1", "10.0.0.9", start + Duration::from_secs(61))
                .is_ok()
        );
        assert!(
            limiter.check("agent2", "10.0.0.9", start).is_ok(),
            "other accounts are not affected"
        );
    }

    #[test]
    fn an_address_trying_many_accounts_is_limited() {
        let limiter = limiter();
        let start = Instant::now();
        for i in 0..5 {
            limiter.record_failure(&format!("user{i}"), "10.0.0.2", start);
        }
        assert!(limiter.check("someone-else", "10.0.0.2", start).is_err());
        assert!(limiter.check("someone-else", "10.0.0.3", start).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let limiter = limiter();
        let start = Instant::now();
        for _ in 0..3 {
            limiter.record_failure("agent1", "10.0.0.1", start);
        }
        limiter.clear_account("agent1");
        assert!(limiter.check("agent1", "10.0.0.4", start).is_ok());
    }
}
