//! A streaming standby of the database that reports read from (`serve --replica-url`): the
//! figures of a busy shop's year are read off the primary, which keeps its cores for the desk's
//! work. The standby is watched: while it does not answer, reports read from the primary again,
//! and go back to it once it answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// How often the standby is asked whether it answers.
pub const WATCH_EVERY: Duration = Duration::from_secs(5);

/// The standby's pool and whether it answered when last asked.
#[derive(Clone, Debug)]
pub struct Replica {
    pool: PgPool,
    up: Arc<AtomicBool>,
}

impl Replica {
    /// A standby at `options`, with at most `max_connections`; not yet asked (reads go to the
    /// primary until [`Replica::check`] has heard it).
    pub fn new(options: PgConnectOptions, max_connections: u32) -> Replica {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            // A standby that does not answer is left for the primary quickly.
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(options.application_name("aftersales-reports"));
        Replica {
            pool,
            up: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Asks the standby whether it answers, and remembers; says whether it is in recovery (a
    /// standby) when it does, `None` when it does not answer.
    pub async fn check(&self) -> Option<bool> {
        let answer: Result<bool, sqlx::Error> = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&self.pool)
            .await;
        let was = self.up.swap(answer.is_ok(), Ordering::Relaxed);
        match &answer {
            Ok(_) if !was => tracing::info!("the reports' standby answers: reports read from it"),
            Err(error) if was => {
                tracing::warn!(%error, "the reports' standby does not answer: reports read from the primary")
            }
            _ => {}
        }
        answer.ok()
    }

    /// Asks every [`WATCH_EVERY`], for the life of the server.
    pub async fn watch(self) {
        let mut ticker = tokio::time::interval(WATCH_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.check().await;
        }
    }

    /// The standby's pool while it answers.
    pub fn pool(&self) -> Option<&PgPool> {
        self.up.load(Ordering::Relaxed).then_some(&self.pool)
    }
}
