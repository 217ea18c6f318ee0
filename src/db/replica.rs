//! A streaming standby of the database that reports read from (`serve --replica-url`): the
//! figures of a busy shop's year are read off the primary, which keeps its cores for the desk's
//! work. The standby is watched: while it does not answer, or has fallen more than one watch
//! behind the primary, reports read from the primary, and go back to it once it has caught up.
//! A report read from it is at most about two watches older than the primary.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

/// How often the standby is asked how far it has replayed; it may be as far behind as this.
pub const WATCH_EVERY: Duration = Duration::from_secs(5);

/// What the standby answered when last asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// A standby that has replayed what the primary had written at the ask before.
    Replaying,
    /// A standby still short of what the primary had written at the ask before: more than one
    /// watch behind.
    Behind,
    /// Answers, but is not a standby (a primary, or a logical copy): read all the same.
    NotInRecovery,
    /// Does not answer.
    Unreachable,
}

impl Health {
    /// Whether reports read from it.
    pub fn serves(self) -> bool {
        matches!(self, Health::Replaying | Health::NotInRecovery)
    }
}

/// The standby's pool, whether reports read from it, and the primary's position in its
/// write-ahead log at the last ask.
#[derive(Clone, Debug)]
pub struct Replica {
    pool: PgPool,
    up: Arc<AtomicBool>,
    primary_was_at: Arc<std::sync::Mutex<Option<String>>>,
}

impl Replica {
    /// A standby at `options`, with at most `max_connections`; not yet asked (reads go to the
    /// primary until [`Replica::check`] has heard it).
    pub fn new(options: PgConnectOptions, max_connections: u32) -> Replica {
        // A standby that does not answer is left for the primary quickly.
        let pool = crate::db::beside_options(max_connections, Duration::from_secs(2))
            .connect_lazy_with(crate::db::session_options(options).application_name("aftersales-reports"));
        Replica {
            pool,
            up: Arc::new(AtomicBool::new(false)),
            primary_was_at: Arc::default(),
        }
    }

    /// Asks the standby how far it has replayed, against where the primary (`primary`) was at
    /// the ask before; remembers whether reports read from it, and where the primary is now.
    pub async fn check(&self, primary: &PgPool) -> Health {
        let was_at = self
            .primary_was_at
            .lock()
            .map(|at| at.clone())
            .unwrap_or_default()
            .unwrap_or_else(|| "0/0".to_string());
        let answer: Result<(bool, bool), sqlx::Error> =
            sqlx::query_as("SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false)")
                .bind(&was_at)
                .fetch_one(&self.pool)
                .await;
        let health = match &answer {
            Ok((false, _)) => Health::NotInRecovery,
            Ok((true, true)) => Health::Replaying,
            Ok((true, false)) => Health::Behind,
            Err(_) => Health::Unreachable,
        };
        match sqlx::query_scalar::<_, String>("SELECT pg_current_wal_flush_lsn()::text")
            .fetch_one(primary)
            .await
        {
            Ok(now_at) => {
                if let Ok(mut at) = self.primary_was_at.lock() {
                    *at = Some(now_at);
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the primary's position for the reports' standby"),
        }
        let was_up = self.up.swap(health.serves(), Ordering::Relaxed);
        match (&answer, health.serves(), was_up) {
            (_, true, false) => tracing::info!(?health, "reports read from the standby"),
            (Err(error), false, true) => {
                tracing::warn!(%error, "the reports' standby does not answer: reports read from the primary")
            }
            (Ok(_), false, true) => tracing::warn!(
                "the reports' standby is more than {} s behind: reports read from the primary until it catches up",
                WATCH_EVERY.as_secs()
            ),
            _ => {}
        }
        health
    }

    /// Asks every [`WATCH_EVERY`], for the life of the server.
    pub async fn watch(self, primary: PgPool) {
        let mut ticker = tokio::time::interval(WATCH_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.check(&primary).await;
        }
    }

    /// The standby's pool while reports read from it.
    pub fn pool(&self) -> Option<&PgPool> {
        self.up.load(Ordering::Relaxed).then_some(&self.pool)
    }

    /// Closes its connections (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
