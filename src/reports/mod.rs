//! The owners' reports (SPEC "Reports", DOMAIN.md §7): return rate, refund rate, quality refund
//! rate, complaint rate, time to resolve (average and p90) and follow-up compliance per agent,
//! for a period and the one before it, grouped by day, week, month, SKU, category, reason or
//! ticket kind. This module owns the SQL; [`rates`] the arithmetic; [`api`] the JSON endpoint;
//! [`page`] the `/reports` page with its SVG charts and CSV exports.
//!
//! Definitions (each rate carries its numerator, denominator and time basis):
//! - **return rate**: order lines signed for in the period (by sign date) that have a return or
//!   exchange ticket the shop accepted (moved to `approved`) ÷ those lines;
//! - **refund rate**: orders paid in the period (by payment date) with a refund issued (a ticket
//!   moved to `refunded`, or a logistics case resolved by refund) ÷ those orders;
//! - **quality refund rate**: the same with the ticket's reason one of [`QUALITY_REASONS`];
//! - **complaint rate**: orders paid in the period with a complaint ticket (kind `complaint`,
//!   whatever its outcome; an order counts once) ÷ those orders;
//! - **money refunded**: what was refunded on the tickets opened in the period (by request
//!   date): the amount refunded, a partial refund at its amount; a ticket refunded with no amount
//!   recorded (a logistics case resolved by refund) at what was paid for its line or order,
//!   counted apart as estimated too;
//! - **refund reasons** (退款原因): the reasons of refund and return tickets only
//!   ([`REFUND_KINDS`]); the other kinds' reasons are counted apart ([`reasons_by_kind`]);
//! - **time to resolve**: tickets closed in the period (by close date), `closed_at − opened_at`,
//!   average and p90 (nearest rank, read from a histogram: exact when no other time lies within
//!   2 % above it, else at most 2 % high — see [`rates::ResolveHistogram`]);
//! - **follow-up compliance**: per agent, cycles followed up in time ÷ all cycles (in time, or
//!   missed and escalated by the sweep) in the period, counted as `follow_ups::agent_loads` does.
//!
//! A rate whose denominator is below [`rates::SMALL_DENOMINATOR`] is a small sample: the page
//! greys it with its `n` and never shows it as good or bad.
//!
//! The figures are read from counts kept per local day and month ([`rollup`]), recounted from the
//! base tables whenever a write marks a day stale, so a year of a large shop reads a few
//! thousand rows.

pub mod api;
pub mod chart;
pub mod costs;
pub mod page;
pub mod rates;
pub mod rollup;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::ids::{ShopId, UserId};
use crate::rules::workflow::TicketKind;
use rates::{Basis, Period, Rate};

/// Reasons that count as the goods' fault for the quality refund rate (品质退款率).
pub const QUALITY_REASONS: [&str; 7] = [
    "quality",
    "damaged",
    "not_as_described",
    "wrong_item",
    "missing_parts",
    "adverse_reaction",
    "counterfeit",
];

/// How rows are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Week,
    Month,
    Sku,
    Category,
    Reason,
    Kind,
    /// One row for the whole period (the summary).
    Total,
}

impl GroupBy {
    /// Every grouping a person can choose.
    pub const CHOICES: [GroupBy; 7] = [
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Month,
        GroupBy::Sku,
        GroupBy::Category,
        GroupBy::Reason,
        GroupBy::Kind,
    ];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Sku => "sku",
            GroupBy::Category => "category",
            GroupBy::Reason => "reason",
            GroupBy::Kind => "kind",
            GroupBy::Total => "total",
        }
    }

    /// Parses the wire form (not `total`).
    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::CHOICES.into_iter().find(|g| g.as_str() == s)
    }

    /// Whether rows are time buckets.
    pub fn is_time(self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Week | GroupBy::Month)
    }

    /// The grouping a page uses when none is asked for: days for up to two weeks, weeks for up
    /// to three months (a day of a small shop has too few orders for a rate to mean much),
    /// months beyond.
    pub fn default_for(period: Period) -> GroupBy {
        match period.days() {
            ..=14 => GroupBy::Day,
            15..=92 => GroupBy::Week,
            _ => GroupBy::Month,
        }
    }

    /// Whether rows are groups of tickets (reason, kind): line and order rates do not split so.
    pub fn is_ticket_group(self) -> bool {
        matches!(self, GroupBy::Reason | GroupBy::Kind)
    }
}

/// Average and p90 time from opening to closing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct TimeToResolve {
    /// Tickets closed.
    pub tickets: i64,
    pub avg_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub basis: Option<Basis>,
}

/// Every figure of one row (or of the whole period).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub return_rate: Rate,
    pub refund_rate: Rate,
    pub quality_refund_rate: Rate,
    pub complaint_rate: Rate,
    /// Tickets opened in the period (by request date).
    pub tickets: i64,
    /// Of them, with a refund issued, and the amount refunded in fen (a partial refund at its
    /// amount).
    pub tickets_refunded: i64,
    pub refund_fen: i64,
    /// Of the tickets refunded, those with no amount recorded (a logistics case resolved by
    /// refund asks for none), counted in `refund_fen` at the amount paid for their line or order.
    pub tickets_refund_estimated: i64,
    /// The part of `refund_fen` counted so.
    pub refund_estimated_fen: i64,
    pub time_to_resolve: TimeToResolve,
}

impl Default for Figures {
    fn default() -> Figures {
        Figures {
            return_rate: Rate::new(0, 0, Basis::SignDate),
            refund_rate: Rate::new(0, 0, Basis::PaymentDate),
            quality_refund_rate: Rate::new(0, 0, Basis::PaymentDate),
            complaint_rate: Rate::new(0, 0, Basis::PaymentDate),
            tickets: 0,
            tickets_refunded: 0,
            refund_fen: 0,
            tickets_refund_estimated: 0,
            refund_estimated_fen: 0,
            time_to_resolve: TimeToResolve {
                basis: Some(Basis::CloseDate),
                ..TimeToResolve::default()
            },
        }
    }
}

/// Where a report goes: the recount of stale days writes on the primary, the figures are read
/// from `reads` — the reports' standby while it answers and keeps up (`serve --replica-url`,
/// [`crate::db::replica`]: at most about two watches behind), else the primary too. A
/// standby's figures are those it has replayed: a day recounted on the primary since is still
/// counted as before there.
#[derive(Clone, Copy, Debug)]
pub struct Pools<'a> {
    pub primary: &'a PgPool,
    pub reads: &'a PgPool,
}

impl<'a> Pools<'a> {
    /// Everything on one database.
    pub fn one(pool: &'a PgPool) -> Pools<'a> {
        Pools {
            primary: pool,
            reads: pool,
        }
    }
}

/// The figures of `period`, one entry per group key (`""` for [`GroupBy::Total`]): the stale
/// days of the pre-counted figures are recounted first ([`rollup`]), unless a background
/// recount runs in this process (the server), which keeps them at most seconds old.
pub async fn figures(
    db: Pools<'_>,
    shop: ShopId,
    period: Period,
    by: GroupBy,
) -> sqlx::Result<BTreeMap<String, Figures>> {
    figures_in(db, shop, period, by, rollup::Detail::WithP90).await
}

/// [`figures`] without the p90 of the time to resolve (`None`), which costs most to read: for
/// charts that do not show it.
pub async fn figures_without_p90(
    db: Pools<'_>,
    shop: ShopId,
    period: Period,
    by: GroupBy,
) -> sqlx::Result<BTreeMap<String, Figures>> {
    figures_in(db, shop, period, by, rollup::Detail::WithoutP90).await
}

async fn figures_in(
    db: Pools<'_>,
    shop: ShopId,
    period: Period,
    by: GroupBy,
    detail: rollup::Detail,
) -> sqlx::Result<BTreeMap<String, Figures>> {
    if !rollup::refresher_running() {
        rollup::refresh(db.primary, shop, rollup::Busy::Skip).await?;
    }
    let counts = rollup::read(db.reads, shop, period, by, detail).await?;
    Ok(counts.into_iter().map(|(key, c)| (key, figures_of(&c))).collect())
}

/// The figures of one group's counts.
fn figures_of(c: &rollup::Counts) -> Figures {
    Figures {
        return_rate: Rate::new(c.lines_returned, c.lines_signed, Basis::SignDate),
        refund_rate: Rate::new(c.orders_refunded, c.orders_paid, Basis::PaymentDate),
        quality_refund_rate: Rate::new(c.orders_quality, c.orders_paid, Basis::PaymentDate),
        complaint_rate: Rate::new(c.orders_complained, c.orders_paid, Basis::PaymentDate),
        tickets: c.tickets_opened,
        tickets_refunded: c.tickets_refunded,
        refund_fen: c.refund_fen,
        tickets_refund_estimated: c.tickets_refund_estimated,
        refund_estimated_fen: c.refund_estimated_fen,
        time_to_resolve: TimeToResolve {
            tickets: c.tickets_closed,
            avg_hours: c.avg_hours(),
            p90_hours: c.resolve.p90_hours(),
            basis: Some(Basis::CloseDate),
        },
    }
}

/// Kinds whose reasons make the refund-reason figures (退款原因分布): refund-only requests and
/// returns. The other kinds' reasons are shown apart.
pub const REFUND_KINDS: [TicketKind; 2] = [TicketKind::Refund, TicketKind::Return];

/// Tickets opened in a period per reason, in two sets: those of refund and return tickets
/// ([`REFUND_KINDS`]) and those of every other kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReasonSplit {
    /// Per reason code, the figures of refund and return tickets (no p90).
    pub refund: BTreeMap<String, Figures>,
    /// Per reason code, the figures of the other kinds' tickets (no p90).
    pub other: BTreeMap<String, Figures>,
    /// Per ticket kind (other than refund and return), tickets opened.
    pub other_kinds: BTreeMap<String, i64>,
}

/// The reasons of the tickets opened in `period`, refund and return tickets apart from the rest
/// (recounting stale days first, as [`figures`] does).
pub async fn reasons_by_kind(db: Pools<'_>, shop: ShopId, period: Period) -> sqlx::Result<ReasonSplit> {
    if !rollup::refresher_running() {
        rollup::refresh(db.primary, shop, rollup::Busy::Skip).await?;
    }
    let mut split = ReasonSplit::default();
    for (key, counts) in rollup::read_kind_reasons(db.reads, shop, period).await? {
        let Some((kind, reason)) = key.split_once('/') else {
            continue;
        };
        let refund = TicketKind::parse(kind).is_some_and(|k| REFUND_KINDS.contains(&k));
        let into = if refund { &mut split.refund } else { &mut split.other };
        let figures = into.entry(reason.to_string()).or_default();
        add(figures, &figures_of(&counts));
        if !refund {
            *split.other_kinds.entry(kind.to_string()).or_default() += counts.tickets_opened;
        }
    }
    Ok(split)
}

/// Adds the ticket counts and amounts of `more` to `into` (the order and line rates do not
/// split by kind and reason, so they are left as they are).
fn add(into: &mut Figures, more: &Figures) {
    into.tickets += more.tickets;
    into.tickets_refunded += more.tickets_refunded;
    into.refund_fen = into.refund_fen.saturating_add(more.refund_fen);
    into.tickets_refund_estimated += more.tickets_refund_estimated;
    into.refund_estimated_fen = into.refund_estimated_fen.saturating_add(more.refund_estimated_fen);
}

/// One agent's follow-up record in a period.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AgentCompliance {
    /// `null`: escalations of unassigned tickets.
    #[schema(value_type = Option<i64>)]
    pub agent: Option<UserId>,
    pub name: Option<String>,
    /// Cycles followed up in time ÷ all cycles (in time + missed), by event date.
    pub compliance: Rate,
    pub in_time: i64,
    pub missed: i64,
}

/// Follow-up compliance per agent in a period, counted as the supervisor's queue counts it
/// (`follow_ups::agent_loads`, from the daily figures kept on write): a follow-up not made
/// overdue is a cycle in time, an escalation by the sweep a cycle missed (on the local day it
/// fell due); the agent is the one who followed up, or the assignee escalated.
pub async fn agent_compliance(pool: &PgPool, shop: ShopId, period: Period) -> sqlx::Result<Vec<AgentCompliance>> {
    let rows: Vec<(Option<UserId>, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT NULLIF(r.agent_id, 0), u.display_name, r.in_time, r.missed FROM (
             SELECT agent_id, sum(in_time)::int8 AS in_time, sum(missed)::int8 AS missed
             FROM follow_up_daily
             WHERE shop_id = $1 AND day BETWEEN $2 AND $3
             GROUP BY agent_id
         ) r LEFT JOIN users u ON u.id = r.agent_id
         WHERE r.in_time + r.missed > 0
         ORDER BY u.display_name NULLS LAST",
    )
    .bind(shop)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(agent, name, in_time, missed)| AgentCompliance {
            agent,
            name,
            compliance: Rate::new(in_time, in_time + missed, Basis::RequestDate),
            in_time,
            missed,
        })
        .collect())
}

/// A row of a grouped report, with the same key's figures in the previous period (not for
/// time buckets, which have no counterpart).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReportRow {
    pub key: String,
    pub figures: Figures,
    pub previous: Option<Figures>,
}

/// The whole report: summary now and before, the grouped rows, compliance per agent.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Report {
    #[schema(value_type = i64)]
    pub shop: ShopId,
    pub time_zone: String,
    pub by: GroupBy,
    /// First and last day (local, both included).
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub summary: Figures,
    pub previous: Figures,
    pub rows: Vec<ReportRow>,
    pub agents: Vec<AgentCompliance>,
    /// When the figures were computed.
    pub computed_at: DateTime<Utc>,
    /// Days of the two periods whose latest changes are still being counted (the figures are
    /// those before them); 0 when the figures are those of the tables.
    pub pending_days: i64,
}

/// Builds the report.
pub async fn report(db: Pools<'_>, shop: ShopId, zone: Tz, period: Period, by: GroupBy) -> sqlx::Result<Report> {
    let before = period.previous();
    let summary = figures(db, shop, period, GroupBy::Total).await?;
    let previous = figures(db, shop, before, GroupBy::Total).await?;
    let grouped = figures(db, shop, period, by).await?;
    let mut previous_grouped = if by.is_time() {
        BTreeMap::new()
    } else {
        figures(db, shop, before, by).await?
    };
    let rows = grouped
        .into_iter()
        .map(|(key, figures)| ReportRow {
            previous: previous_grouped.remove(&key),
            key,
            figures,
        })
        .collect();
    Ok(Report {
        shop,
        time_zone: zone.name().to_string(),
        by,
        from: period.from.to_string(),
        to: period.to.to_string(),
        previous_from: before.from.to_string(),
        previous_to: before.to.to_string(),
        summary: summary.get("").cloned().unwrap_or_default(),
        previous: previous.get("").cloned().unwrap_or_default(),
        rows,
        agents: agent_compliance(db.reads, shop, period).await?,
        computed_at: Utc::now(),
        pending_days: rollup::stale_days(db.reads, shop, before.from, period.to).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn days(n: i64) -> Period {
        let from = NaiveDate::from_ymd_opt(2025, 3, 1).expect("day");
        Period::new(from, from + chrono::Duration::days(n - 1)).expect("valid")
    }

    #[test]
    fn a_month_is_shown_by_week_and_a_year_by_month_unless_asked_otherwise() {
        assert_eq!(GroupBy::default_for(days(1)), GroupBy::Day);
        assert_eq!(GroupBy::default_for(days(14)), GroupBy::Day);
        assert_eq!(GroupBy::default_for(days(15)), GroupBy::Week);
        assert_eq!(GroupBy::default_for(days(30)), GroupBy::Week);
        assert_eq!(GroupBy::default_for(days(92)), GroupBy::Week);
        assert_eq!(GroupBy::default_for(days(93)), GroupBy::Month);
        assert_eq!(GroupBy::default_for(days(400)), GroupBy::Month);
    }
}
