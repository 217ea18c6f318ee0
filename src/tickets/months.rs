//! The timeline's months: `ticket_events` is partitioned by month of `at` (migration
//! `…060_ticket_events_by_month`), and every server keeps the partitions ahead of the clock —
//! this month and the next two — and gives rows that landed in the default partition (old
//! history imported, a clock set back) a partition of their own month.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use super::repo;
use crate::clock::Clock;

/// How far ahead of the clock the months are made.
pub const AHEAD: TimeDelta = TimeDelta::days(62);
/// How many stray months one pass moves at most.
const STRAYS_PER_PASS: i32 = 12;
/// How often a server looks again.
const EVERY: Duration = Duration::from_secs(3_600);

/// One pass: this month and the next two have their partitions, and up to twelve months of
/// stray rows have theirs. Returns how many partitions it made.
pub async fn cover(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<i32> {
    let ahead = repo::cover_event_months(pool, now, now + AHEAD).await?;
    let strays = repo::cover_stray_event_months(pool, STRAYS_PER_PASS).await?;
    Ok(ahead + strays)
}

/// Runs [`cover`] every hour, for as long as the server runs. A failed pass is logged and
/// tried again at the next; until then events of an uncovered month go to the default
/// partition, where nothing is lost.
pub async fn keep(pool: PgPool, clock: Clock) {
    // `serve` made the first pass before it listened.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match cover(&pool, clock.now()).await {
            Ok(0) => {}
            Ok(made) => tracing::info!(made, "timeline partitions made"),
            Err(error) => tracing::warn!(%error, "cannot make the timeline's partitions; trying again in an hour"),
        }
    }
}
