//! The 24-hour follow-up cycle at work (SPEC rule 2): the background sweep that records one
//! `escalated` event per missed cycle, and the figures behind the supervisor's queues (load and
//! compliance per agent). The arithmetic is `rules::follow_up`; this module owns the SQL of
//! `follow_up_daily`, and calls the tickets repo for what it reads or writes on tickets and events.

pub mod api;
pub mod page;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::{CurrentUser, Role};
use crate::ids::{ShopId, TicketId, UserId};
use crate::metrics::{Metrics, SweepOutcome};
use crate::rules::{follow_up, risk};
use crate::tickets;
use crate::tickets::events::{Escalated, EscalatedTo};

/// Tickets looked at per sweep transaction.
const SWEEP_BATCH: i64 = 500;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub tickets: usize,
    pub escalations: usize,
}

/// Records an `escalated` event for every cycle missed as of `now`. Safe to run from several
/// servers at once: rows are claimed with `FOR UPDATE SKIP LOCKED`, and a unique index on
/// (ticket, cycle) makes a second escalation of the same cycle impossible in any case.
pub async fn sweep(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<SweepReport> {
    let mut report = SweepReport::default();
    for shop in tickets::repo::shops_with_escalation_due(pool, now).await? {
        sweep_shop(pool, shop, now, &mut report).await?;
    }
    Ok(report)
}

/// [`sweep`] for the tickets of one shop (claimed shop by shop: on Citus only a statement on
/// one shop may lock rows).
async fn sweep_shop(pool: &PgPool, shop: ShopId, now: DateTime<Utc>, report: &mut SweepReport) -> sqlx::Result<()> {
    loop {
        let mut tx = pool.begin().await?;
        let due = tickets::repo::claim_escalation_due(&mut tx, shop, now, SWEEP_BATCH).await?;
        for &tickets::repo::EscalationDue {
            shop_id: shop,
            id: ticket,
            next_escalation_at: next,
            follow_up_hours: hours,
            assignee_id: assignee,
            ref time_zone,
        } in &due
        {
            let zone: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            let hours = u32::try_from(hours).unwrap_or(follow_up::DEFAULT_FOLLOW_UP_HOURS);
            let cycles = follow_up::missed_cycles(next, now, hours);
            for &cycle in &cycles {
                let escalation = Escalated {
                    cycle_due_at: cycle,
                    assignee_id: assignee,
                    recorded_at: now,
                    to: EscalatedTo::Supervisor,
                };
                if tickets::repo::append_escalation(&mut *tx, shop, ticket, escalation).await? {
                    count_cycle(&mut *tx, shop, cycle.with_timezone(&zone).date_naive(), assignee, false).await?;
                    report.escalations += 1;
                }
            }
            let next_cycle = cycles
                .last()
                .map(|last| follow_up::follow_up_due_at(*last, hours))
                .unwrap_or(next);
            tickets::repo::set_next_escalation(&mut *tx, shop, ticket, next_cycle).await?;
            report.tickets += 1;
        }
        tx.commit().await?;
        if (due.len() as i64) < SWEEP_BATCH {
            return Ok(());
        }
    }
}

/// The statement of [`count_cycle`]: the shop `$1`, the day `$2`, the agent `$3` (0: none), and
/// the cycle as 1 in `$4` (in time) or `$5` (missed), given as the row's source (`VALUES` of
/// them, or a `SELECT` of them that yields the row only when it should be counted). A follow-up
/// counts its cycle in the statement that records it (`tickets::repo::record_follow_up`), with
/// the same parameters, only if its ticket was written.
macro_rules! cycle_counted {
    () => {
        $crate::follow_ups::cycle_counted!("VALUES ($1, $2, $3, $4, $5)")
    };
    ($rows:literal) => {
        concat!(
            "INSERT INTO follow_up_daily (shop_id, day, agent_id, in_time, missed) ",
            $rows,
            " ON CONFLICT (shop_id, day, agent_id) DO UPDATE SET
            in_time = follow_up_daily.in_time + EXCLUDED.in_time, missed = follow_up_daily.missed + EXCLUDED.missed"
        )
    };
}
pub(crate) use cycle_counted;

/// Counts one closed cycle in the daily compliance figures: followed up in time, or missed
/// (escalated). `day` is the local day of the follow-up or of the missed due time.
pub async fn count_cycle(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    day: NaiveDate,
    agent: Option<UserId>,
    in_time: bool,
) -> sqlx::Result<()> {
    sqlx::query(cycle_counted!())
        .bind(shop)
        .bind(day)
        .bind(agent.map(|a| a.0).unwrap_or(0))
        .bind(i32::from(in_time))
        .bind(i32::from(!in_time))
        .execute(db)
        .await?;
    Ok(())
}

/// Recounts a shop's daily compliance figures from its timeline: for loaders that write events
/// in bulk (the demo shop, the benchmark generator) instead of through the service.
pub async fn rebuild_daily(db: &mut sqlx::PgConnection, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM follow_up_daily WHERE shop_id = $1")
        .bind(shop)
        .execute(&mut *db)
        .await?;
    tickets::repo::count_follow_up_daily_from_timeline(db, shop).await?;
    Ok(())
}

/// [`sweep`], counted in the server's metrics (runs, outcome, escalations).
pub async fn sweep_counted(pool: &PgPool, metrics: &Metrics, now: DateTime<Utc>) -> sqlx::Result<SweepReport> {
    let result = sweep(pool, now).await;
    match &result {
        Ok(report) => metrics.sweep_finished(SweepOutcome::Done, report.escalations as u64),
        Err(_) => metrics.sweep_finished(SweepOutcome::Failed, 0),
    }
    result
}

/// Runs [`sweep`], then the deadline notices (`notifications::remind_due`), the webhooks'
/// deadline reminders and the daily digest (`webhooks::outbox::enqueue_due`,
/// `webhooks::digest::send_due`), every `interval` until the process ends. Errors (e.g. the
/// database restarting) are logged and the next round tries again.
pub async fn run_sweeper(pool: PgPool, metrics: Arc<Metrics>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep_counted(&pool, &metrics, Utc::now()).await {
            Ok(report) if report.escalations > 0 => {
                tracing::info!(
                    tickets = report.tickets,
                    escalations = report.escalations,
                    "follow-up sweep"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "follow-up sweep failed; retrying next round"),
        }
        if let Err(error) = crate::notifications::remind_due(&pool, Utc::now()).await {
            tracing::warn!(%error, "deadline notices failed; retrying next round");
        }
        if let Err(error) = crate::live::presence::forget_stale(&pool, Utc::now()).await {
            tracing::warn!(%error, "forgetting old presence failed; retrying next round");
        }
        if let Err(error) = crate::webhooks::outbox::enqueue_due(&pool, Utc::now()).await {
            tracing::warn!(%error, "webhook deadline reminders failed; retrying next round");
        }
        if let Err(error) = crate::webhooks::digest::send_due(&pool, Utc::now()).await {
            tracing::warn!(%error, "daily digests failed; retrying next round");
        }
    }
}

/// One agent's load and follow-up record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentLoad {
    /// `null` for the unassigned tickets.
    #[schema(value_type = Option<i64>)]
    pub agent: Option<UserId>,
    pub name: Option<String>,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    /// Cycles closed by a follow-up in time, and cycles missed, since local midnight today.
    pub in_time_today: i64,
    pub missed_today: i64,
    /// The same over the last 7 days.
    pub in_time_7d: i64,
    pub missed_7d: i64,
}

impl AgentLoad {
    /// Share of cycles followed up in time, as a percentage, if there were any.
    pub fn compliance(in_time: i64, missed: i64) -> Option<f64> {
        let total = in_time + missed;
        (total > 0).then(|| in_time as f64 * 100.0 / total as f64)
    }
}

/// Open, overdue and due-soon counts per agent (and unassigned), with their compliance.
pub async fn agent_loads(
    conn: &mut PgConnection,
    shops: &[ShopId],
    now: DateTime<Utc>,
    soon_until: DateTime<Utc>,
    today: NaiveDate,
) -> sqlx::Result<Vec<AgentLoad>> {
    let loads = tickets::repo::open_load_by_worker(&mut *conn, shops, now, soon_until).await?;
    // Daily figures, kept on write: today (local) and the 7 local days up to today.
    let records: Vec<(Option<UserId>, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT NULLIF(agent_id, 0),
                COALESCE(sum(in_time) FILTER (WHERE day = $2), 0)::bigint,
                COALESCE(sum(missed) FILTER (WHERE day = $2), 0)::bigint,
                COALESCE(sum(in_time), 0)::bigint,
                COALESCE(sum(missed), 0)::bigint
         FROM follow_up_daily
         WHERE shop_id = ANY($1) AND day > $2 - 7 AND day <= $2
         GROUP BY 1",
    )
    .bind(shops)
    .bind(today)
    .fetch_all(conn)
    .await?;
    Ok(loads
        .into_iter()
        .map(
            |tickets::repo::OpenLoad {
                 agent,
                 name,
                 open,
                 overdue,
                 due_soon,
             }| {
                let record = records.iter().find(|r| r.0 == agent);
                AgentLoad {
                    agent,
                    name,
                    open,
                    overdue,
                    due_soon,
                    in_time_today: record.map(|r| r.1).unwrap_or(0),
                    missed_today: record.map(|r| r.2).unwrap_or(0),
                    in_time_7d: record.map(|r| r.3).unwrap_or(0),
                    missed_7d: record.map(|r| r.4).unwrap_or(0),
                }
            },
        )
        .collect())
}

/// Which supervisor queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Past the follow-up due time.
    Overdue,
    /// Due within the next hours.
    DueSoon,
}

/// The supervisor's risk view: open tickets with a platform clock or decision running out
/// within [`risk::HORIZON_HOURS`] (or run out), and tickets overdue or falling due on follow-up
/// within it, each with its most pressing exposure, in [`risk::rank`] order (at most `limit`),
/// read narrow: [`read_whole`] reads the ones shown. `shops` with their clock settings.
pub async fn risk_ranked(
    conn: &mut PgConnection,
    shops: &[crate::shops::Shop],
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(tickets::repo::Standing, risk::Risk)>> {
    let horizon = chrono::Duration::hours(risk::HORIZON_HOURS);
    let ids: Vec<ShopId> = shops.iter().map(|s| s.id).collect();
    let pressing = tickets::repo::platform_pressing(&mut *conn, &ids, now + horizon, limit).await?;
    let following = tickets::repo::follow_up_window(&mut *conn, &ids, None, now + horizon, None, false, limit).await?;
    let mut seen = std::collections::HashSet::new();
    let mut ranked: Vec<(tickets::repo::Standing, risk::Risk)> = pressing
        .into_iter()
        .chain(following)
        .filter(|standing| seen.insert((standing.shop_id, standing.id)))
        .filter_map(|standing| {
            let shop = shops.iter().find(|s| s.id == standing.shop_id)?;
            let timers = standing.running_timers(&shop.platform_timers);
            let facts = risk::Facts {
                timers: &timers,
                platform_deadline: standing.platform_deadline_at,
                follow_up_due: standing.follow_up_due_at,
            };
            risk::assess(&facts, now, horizon).map(|found| (standing, found))
        })
        .collect();
    ranked.sort_by(|a, b| risk::rank((&a.1, a.0.id.0), (&b.1, b.0.id.0)));
    ranked.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ranked)
}

/// The tickets of `ranked` read whole, in its order, each with its risk (one closed or gone
/// since stays with what it was ranked by; one gone is left out).
pub async fn read_whole(
    conn: &mut PgConnection,
    ranked: Vec<(tickets::repo::Standing, risk::Risk)>,
) -> sqlx::Result<Vec<(tickets::Ticket, risk::Risk)>> {
    let read = tickets::repo::whole(conn, ranked.iter().map(|(s, _)| s)).await?;
    let mut risks: HashMap<(ShopId, TicketId), risk::Risk> = ranked
        .into_iter()
        .map(|(s, found)| ((s.shop_id, s.id), found))
        .collect();
    Ok(read
        .into_iter()
        .filter_map(|ticket| risks.remove(&(ticket.shop_id, ticket.id)).map(|found| (ticket, found)))
        .collect())
}

/// [`risk_ranked`]'s tickets read whole.
pub async fn risk_list(
    pool: &PgPool,
    shops: &[crate::shops::Shop],
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(tickets::Ticket, risk::Risk)>> {
    let mut conn = pool.acquire().await?;
    let ranked = risk_ranked(&mut conn, shops, now, limit).await?;
    read_whole(&mut conn, ranked).await
}

/// What handing out unassigned tickets did: each ticket given, to whom, and those skipped
/// (changed meanwhile, or no agent in their shop).
#[derive(Debug, Default)]
pub struct HandedOut {
    pub given: Vec<(TicketId, String)>,
    pub skipped: usize,
}

/// Gives each of `ids` (among `shops`' tickets) to the agent of its shop with the fewest open
/// tickets, counting each assignment before the next ([`risk::least_loaded`]); a ticket someone
/// took meanwhile is skipped, not taken from them.
pub async fn hand_out(
    pool: &PgPool,
    user: &CurrentUser,
    shops: &[ShopId],
    ids: &[TicketId],
    now: DateTime<Utc>,
) -> Result<HandedOut, tickets::TicketError> {
    // Per shop, its agents with their open tickets (counted over the user's shops), kept up to
    // date as tickets are given.
    let mut agents_of: HashMap<ShopId, Vec<(crate::shops::Member, i64)>> = HashMap::new();
    let mut out = HandedOut::default();
    for id in ids {
        let Some(ticket) = tickets::repo::get(pool, shops, *id).await? else {
            out.skipped += 1;
            continue;
        };
        if ticket.assignee_id.is_some() || ticket.status().is_closed() {
            out.skipped += 1;
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = agents_of.entry(ticket.shop_id) {
            let mut conn = pool.acquire().await?;
            slot.insert(workers_with_load(&mut conn, ticket.shop_id, Role::Agent, &user.shops, now).await?);
        }
        let candidates: Vec<(i64, i64)> = agents_of[&ticket.shop_id]
            .iter()
            .map(|(agent, open)| (agent.id.0, *open))
            .collect();
        let Some(chosen) = risk::least_loaded(&candidates).map(UserId) else {
            out.skipped += 1;
            continue;
        };
        let input = tickets::service::NewAssignment {
            assignee: Some(chosen),
            version: Some(ticket.version),
        };
        match tickets::service::assign(pool, user, *id, input, now).await {
            Ok(_) => {
                // The agent's count grows in every shop they work, as the next pick must see.
                let mut name = String::new();
                for (agent, open) in agents_of.values_mut().flatten().filter(|(a, _)| a.id == chosen) {
                    *open += 1;
                    name.clone_from(&agent.display_name);
                }
                out.given.push((*id, name));
            }
            Err(tickets::TicketError::StaleVersion { .. } | tickets::TicketError::NotFound) => out.skipped += 1,
            Err(error) => return Err(error),
        }
    }
    Ok(out)
}

/// A shop's ticket workers of `role`, each with their open tickets counted over `shops` (all of
/// a person's work, not only this shop's): what "least loaded" is decided on, for handing out
/// unassigned tickets and for escalations.
pub async fn workers_with_load(
    conn: &mut sqlx::PgConnection,
    shop: ShopId,
    role: Role,
    shops: &[ShopId],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<(crate::shops::Member, i64)>> {
    let members = crate::shops::ticket_workers(&mut *conn, shop).await?;
    let loads = tickets::repo::open_load_by_worker(&mut *conn, shops, now, now).await?;
    Ok(members
        .into_iter()
        .filter(|m| m.role == role.as_str())
        .map(|m| {
            let open = loads.iter().find(|l| l.agent == Some(m.id)).map_or(0, |l| l.open);
            (m, open)
        })
        .collect())
}
