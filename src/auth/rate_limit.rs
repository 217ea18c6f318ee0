//! Sign-in throttling, for the login form, the token API and the current password of a password
//! change. Owns the `sign_in_throttle` table.
//!
//! Per account: the first few failures in a row cost nothing; after them each further attempt
//! must wait a delay that doubles with every failure (1 s, 2 s, 4 s …, capped at a few minutes),
//! counted from the last failure. While the delay runs every attempt — the right password
//! included — gets 429 with `Retry-After`; once it has run, the right password signs in and the
//! account's count is cleared. So a guesser is slowed down exponentially, and the owner of the
//! account is never kept out for longer than the current short delay.
//!
//! Per address: a cap high enough for an office behind one proxy (300 failures in 15 minutes).
//!
//! The counts live in PostgreSQL, so several server processes share them. An attempt is counted
//! as a failure before the password is checked, under a row lock (so parallel guesses queue up
//! behind each other), and uncounted when it succeeds. The policy ([`Policy`]) is pure and takes
//! `now`; so does [`begin`], so tests choose the clock.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures in a row an account may make without waiting.
    pub free_failures: i32,
    /// The wait after the first failure beyond the free ones; doubled for each further one.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// The window of the per-address cap.
    pub address_window: Duration,
    /// Failures per address and window.
    pub per_address: i32,
    /// Counts untouched for this long are forgotten (and their rows deleted).
    pub forget_after: Duration,
}

impl Default for Policy {
    /// 3 free failures, then 1 s doubling up to 5 minutes; 300 failures per address in 15 minutes.
    fn default() -> Policy {
        Policy {
            free_failures: 3,
            first_delay: Duration::seconds(1),
            max_delay: Duration::minutes(5),
            address_window: Duration::minutes(15),
            per_address: 300,
            forget_after: Duration::days(1),
        }
    }
}

/// The failures counted for one account or address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Count {
    pub failures: i32,
    /// When the current per-address window began (accounts: the first failure counted).
    pub window_started_at: DateTime<Utc>,
    pub last_failure_at: DateTime<Utc>,
}

impl Count {
    /// No failures yet.
    pub fn none(now: DateTime<Utc>) -> Count {
        Count {
            failures: 0,
            window_started_at: now,
            last_failure_at: now,
        }
    }
}

impl Policy {
    /// The delay an account owes after `failures` failures in a row.
    pub fn account_delay(&self, failures: i32) -> Duration {
        let beyond = failures - self.free_failures;
        if beyond < 0 {
            return Duration::zero();
        }
        let factor = 1i32.checked_shl(beyond.min(30) as u32).unwrap_or(i32::MAX);
        (self.first_delay * factor).min(self.max_delay)
    }

    /// The count as it stands at `now` (forgotten once old enough).
    fn current(&self, count: Count, now: DateTime<Utc>) -> Count {
        if now - count.last_failure_at >= self.forget_after {
            Count::none(now)
        } else {
            count
        }
    }

    /// How long the account must still wait at `now` (zero: it may try).
    pub fn account_wait(&self, count: Count, now: DateTime<Utc>) -> Duration {
        let count = self.current(count, now);
        let until = count.last_failure_at + self.account_delay(count.failures);
        (until - now).max(Duration::zero())
    }

    /// How long the address must still wait at `now` (zero: it may try).
    pub fn address_wait(&self, count: Count, now: DateTime<Utc>) -> Duration {
        let count = self.address_current(count, now);
        if count.failures < self.per_address {
            return Duration::zero();
        }
        (count.window_started_at + self.address_window - now).max(Duration::zero())
    }

    fn address_current(&self, count: Count, now: DateTime<Utc>) -> Count {
        if now - count.window_started_at >= self.address_window {
            Count::none(now)
        } else {
            count
        }
    }

    /// An account's count after one more failure at `now`.
    pub fn account_failed(&self, count: Count, now: DateTime<Utc>) -> Count {
        let count = self.current(count, now);
        Count {
            failures: count.failures.saturating_add(1),
            window_started_at: if count.failures == 0 {
                now
            } else {
                count.window_started_at
            },
            last_failure_at: now,
        }
    }

    /// An address's count after one more failure at `now`.
    pub fn address_failed(&self, count: Count, now: DateTime<Utc>) -> Count {
        let count = self.address_current(count, now);
        Count {
            failures: count.failures.saturating_add(1),
            window_started_at: count.window_started_at,
            last_failure_at: now,
        }
    }
}

/// An attempt that was let through and counted as a failure until [`succeeded`] says otherwise.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: String,
}

/// The key of an account: logins are matched without regard to case.
fn account_key(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Lets an attempt on `login` from `address` through at `now` and counts it as a failure, or
/// answers how long to wait first (nothing is counted then).
pub async fn begin(
    pool: &PgPool,
    policy: &Policy,
    login: &str,
    address: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Result<Attempt, std::time::Duration>> {
    let attempt = Attempt {
        account: account_key(login),
        address: address.to_string(),
    };
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sign_in_throttle WHERE last_failure_at < $1")
        .bind(now - policy.forget_after)
        .execute(&mut *tx)
        .await?;
    // Always account before address, so two attempts never wait on each other's locks in a cycle.
    let account = lock(&mut tx, "account", &attempt.account, now).await?;
    let address = lock(&mut tx, "address", &attempt.address, now).await?;
    let wait = policy.account_wait(account, now).max(policy.address_wait(address, now));
    if wait > Duration::zero() {
        tx.rollback().await?;
        let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
        // Whole seconds, rounded up: a client that waits `Retry-After` is let through.
        return Ok(Err(std::time::Duration::from_secs(millis.div_ceil(1000).max(1))));
    }
    store(
        &mut tx,
        "account",
        &attempt.account,
        policy.account_failed(account, now),
    )
    .await?;
    store(
        &mut tx,
        "address",
        &attempt.address,
        policy.address_failed(address, now),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(attempt))
}

/// The attempt was right: the account's failures are forgotten and the address's count no longer
/// holds this attempt.
pub async fn succeeded(pool: &PgPool, attempt: &Attempt) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sign_in_throttle WHERE scope = 'account' AND subject = $1")
        .bind(&attempt.account)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0)
         WHERE scope = 'address' AND subject = $1",
    )
    .bind(&attempt.address)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The row of a key, created empty if missing, locked until the transaction ends.
async fn lock(tx: &mut sqlx::PgConnection, scope: &str, subject: &str, now: DateTime<Utc>) -> sqlx::Result<Count> {
    sqlx::query_as(
        "INSERT INTO sign_in_throttle (scope, subject, failures, window_started_at, last_failure_at)
         VALUES ($1, $2, 0, $3, $3)
         ON CONFLICT (scope, subject) DO UPDATE SET failures = sign_in_throttle.failures
         RETURNING failures, window_started_at, last_failure_at",
    )
    .bind(scope)
    .bind(subject)
    .bind(now)
    .fetch_one(tx)
    .await
}

async fn store(tx: &mut sqlx::PgConnection, scope: &str, subject: &str, count: Count) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sign_in_throttle SET failures = $3, window_started_at = $4, last_failure_at = $5
         WHERE scope = $1 AND subject = $2",
    )
    .bind(scope)
    .bind(subject)
    .bind(count.failures)
    .bind(count.window_started_at)
    .bind(count.last_failure_at)
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("instant")
    }

    /// The count after `n` failures at instant 0.
    fn failed(policy: &Policy, n: i32) -> Count {
        (0..n).fold(Count::none(at(0)), |count, _| policy.account_failed(count, at(0)))
    }

    #[test]
    fn the_first_failures_are_free_then_each_delay_doubles_up_to_the_cap() {
        let policy = Policy::default();
        for n in 0..3 {
            assert_eq!(policy.account_wait(failed(&policy, n), at(0)), Duration::zero(), "{n}");
        }
        assert_eq!(policy.account_wait(failed(&policy, 3), at(0)), Duration::seconds(1));
        assert_eq!(policy.account_wait(failed(&policy, 4), at(0)), Duration::seconds(2));
        assert_eq!(policy.account_wait(failed(&policy, 5), at(0)), Duration::seconds(4));
        assert_eq!(policy.account_wait(failed(&policy, 40), at(0)), Duration::minutes(5));
        assert_eq!(policy.account_delay(i32::MAX), Duration::minutes(5), "no overflow");
    }

    #[test]
    fn the_wait_counts_from_the_last_failure_and_never_exceeds_the_current_delay() {
        let policy = Policy::default();
        let count = failed(&policy, 4);
        assert_eq!(policy.account_wait(count, at(1)), Duration::seconds(1));
        assert_eq!(policy.account_wait(count, at(2)), Duration::zero());
        assert_eq!(policy.account_wait(count, at(3600)), Duration::zero());
    }

    #[test]
    fn an_account_quiet_for_a_day_starts_afresh() {
        let policy = Policy::default();
        let count = failed(&policy, 10);
        let later = at(24 * 3600);
        assert_eq!(policy.account_failed(count, later).failures, 1);
    }

    #[test]
    fn an_address_may_fail_often_but_not_without_end() {
        let policy = Policy::default();
        let count = (0..299).fold(Count::none(at(0)), |c, i| policy.address_failed(c, at(i)));
        assert_eq!(
            policy.address_wait(count, at(299)),
            Duration::zero(),
            "an office's mistakes pass"
        );
        let count = policy.address_failed(count, at(299));
        assert_eq!(policy.address_wait(count, at(300)), Duration::seconds(600));
        assert_eq!(
            policy.address_wait(count, at(900)),
            Duration::zero(),
            "the window ended"
        );
        assert_eq!(policy.address_failed(count, at(900)).failures, 1);
    }
}
