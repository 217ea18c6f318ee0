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
//! - **complaint rate**: orders paid in the period with a complaint ticket ÷ those orders;
//! - **time to resolve**: tickets closed in the period (by close date), `closed_at − opened_at`,
//!   average and p90 (nearest rank, PostgreSQL's `percentile_disc`);
//! - **follow-up compliance**: per agent, cycles followed up in time ÷ all cycles (in time, or
//!   missed and escalated by the sweep) in the period, counted as `follow_ups::agent_loads` does.

pub mod api;
pub mod chart;
pub mod page;
pub mod rates;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::ids::{ShopId, UserId};
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
    /// Of them, with a refund issued, and the amount refunded in fen.
    pub tickets_refunded: i64,
    pub refund_fen: i64,
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
            time_to_resolve: TimeToResolve {
                basis: Some(Basis::CloseDate),
                ..TimeToResolve::default()
            },
        }
    }
}

/// The key expression shared by the queries: `$5` is the grouping, `$4` the shop's zone.
macro_rules! bucket {
    ($at:literal, $sku:literal, $category:literal, $reason:literal, $kind:literal) => {
        concat!(
            "CASE WHEN $5 IN ('day', 'week', 'month') THEN to_char(date_trunc($5, ",
            $at,
            " AT TIME ZONE $4), 'YYYY-MM-DD') WHEN $5 = 'sku' THEN ",
            $sku,
            " WHEN $5 = 'category' THEN ",
            $category,
            " WHEN $5 = 'reason' THEN ",
            $reason,
            " WHEN $5 = 'kind' THEN ",
            $kind,
            " ELSE '' END"
        )
    };
}

/// "A refund was issued on ticket t".
macro_rules! refunded {
    () => {
        "(t.resolution = 'refunded' OR EXISTS (SELECT 1 FROM ticket_events e WHERE e.shop_id = t.shop_id
           AND e.ticket_id = t.id AND e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded'))"
    };
}

// The per-ticket facts are derived once per query and joined to the lines and orders by hash,
// instead of probing `tickets` and `ticket_events` once for every line or order of the period
// (docs/PERFORMANCE.md): same figures, a fraction of the work on a large shop.
const LINES_SQL: &str = concat!(
    "WITH lines AS (
         SELECT l.order_id, l.sku, l.category, o.signed_at FROM orders o
         JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
         WHERE o.shop_id = $1 AND o.signed_at >= $2 AND o.signed_at < $3 AND l.signed_at IS NULL
         UNION ALL
         SELECT l.order_id, l.sku, l.category, l.signed_at FROM order_lines l
         WHERE l.shop_id = $1 AND l.signed_at >= $2 AND l.signed_at < $3
     ), accepted AS (
         SELECT t.order_id, t.sku FROM tickets t
         WHERE t.shop_id = $1 AND t.kind IN ('return', 'exchange')
           AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                       AND e.kind = 'status_changed' AND e.data ->> 'to' = 'approved')
     ), whole_order AS (
         SELECT DISTINCT order_id FROM accepted WHERE sku IS NULL
     ), one_line AS (
         SELECT DISTINCT order_id, sku FROM accepted WHERE sku IS NOT NULL
     )
     SELECT ",
    bucket!("lines.signed_at", "lines.sku", "lines.category", "''", "''"),
    " AS key, count(*) AS signed,
            count(*) FILTER (WHERE w.order_id IS NOT NULL OR ol.order_id IS NOT NULL) AS returned
     FROM lines
     LEFT JOIN whole_order w ON w.order_id = lines.order_id
     LEFT JOIN one_line ol ON ol.order_id = lines.order_id AND ol.sku = lines.sku
     GROUP BY 1"
);

const ORDERS_SQL: &str = concat!(
    "WITH paid AS (
         SELECT o.id, o.paid_at, l.sku, l.category FROM orders o
         LEFT JOIN order_lines l ON $5 IN ('sku', 'category') AND l.shop_id = o.shop_id AND l.order_id = o.id
         WHERE o.shop_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
     ), ticket_facts AS (
         SELECT t.order_id, t.sku, ",
    refunded!(),
    " AS refunded, t.reason = ANY($6) AS quality_reason, t.kind = 'complaint' AS complaint
         FROM tickets t
         WHERE t.shop_id = $1 AND t.order_id IN (SELECT id FROM paid)
     ), facts AS (
         SELECT ",
    bucket!("p.paid_at", "p.sku", "p.category", "''", "''"),
    " AS key, p.id,
            COALESCE(bool_or(f.refunded) FILTER (WHERE p.sku IS NULL OR f.sku IS NULL OR f.sku = p.sku), false)
                AS refunded,
            COALESCE(bool_or(f.refunded AND f.quality_reason)
                         FILTER (WHERE p.sku IS NULL OR f.sku IS NULL OR f.sku = p.sku), false) AS quality,
            COALESCE(bool_or(f.complaint) FILTER (WHERE p.sku IS NULL OR f.sku IS NULL OR f.sku = p.sku), false)
                AS complained
         FROM paid p LEFT JOIN ticket_facts f ON f.order_id = p.id
         GROUP BY 1, p.id, p.sku
     )
     SELECT key, count(DISTINCT id) AS paid,
            count(DISTINCT id) FILTER (WHERE refunded) AS refunded,
            count(DISTINCT id) FILTER (WHERE quality) AS quality,
            count(DISTINCT id) FILTER (WHERE complained) AS complained
     FROM facts GROUP BY key"
);

const TICKETS_SQL: &str = concat!(
    "SELECT ",
    bucket!(
        "t.opened_at",
        "COALESCE(t.sku, '')",
        "COALESCE(l.category, '')",
        "t.reason",
        "t.kind"
    ),
    " AS key, count(*) AS tickets,
            count(*) FILTER (WHERE ",
    refunded!(),
    ") AS refunded,
            COALESCE(sum(t.refund_fen) FILTER (WHERE ",
    refunded!(),
    "), 0)::bigint AS refund_fen
     FROM tickets t LEFT JOIN order_lines l ON l.shop_id = t.shop_id AND l.order_id = t.order_id AND l.sku = t.sku
     WHERE t.shop_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3
     GROUP BY 1"
);

const RESOLVE_SQL: &str = concat!(
    "SELECT ",
    bucket!("t.closed_at", "COALESCE(t.sku, '')", "COALESCE(l.category, '')", "t.reason", "t.kind"),
    " AS key, count(*) AS tickets,
            avg(extract(epoch FROM t.closed_at - t.opened_at))::float8 / 3600 AS avg_hours,
            (percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.closed_at - t.opened_at)))::float8 / 3600 AS p90_hours
     FROM tickets t LEFT JOIN order_lines l ON l.shop_id = t.shop_id AND l.order_id = t.order_id AND l.sku = t.sku
     WHERE t.shop_id = $1 AND t.closed_at >= $2 AND t.closed_at < $3
     GROUP BY 1"
);

/// The figures of `period`, one entry per group key (`""` for [`GroupBy::Total`]).
pub async fn figures(
    pool: &PgPool,
    shop: ShopId,
    zone: Tz,
    period: Period,
    by: GroupBy,
) -> sqlx::Result<BTreeMap<String, Figures>> {
    let (from, to) = period.bounds(zone);
    let zone_name = zone.name();
    let quality: Vec<&str> = QUALITY_REASONS.to_vec();
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();

    if !by.is_ticket_group() {
        let lines: Vec<(String, i64, i64)> = sqlx::query_as(LINES_SQL)
            .bind(shop)
            .bind(from)
            .bind(to)
            .bind(zone_name)
            .bind(by.as_str())
            .fetch_all(pool)
            .await?;
        for (key, signed, returned) in lines {
            out.entry(key).or_default().return_rate = Rate::new(returned, signed, Basis::SignDate);
        }
        let orders: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(ORDERS_SQL)
            .bind(shop)
            .bind(from)
            .bind(to)
            .bind(zone_name)
            .bind(by.as_str())
            .bind(&quality)
            .fetch_all(pool)
            .await?;
        for (key, paid, refunded, quality, complained) in orders {
            let f = out.entry(key).or_default();
            f.refund_rate = Rate::new(refunded, paid, Basis::PaymentDate);
            f.quality_refund_rate = Rate::new(quality, paid, Basis::PaymentDate);
            f.complaint_rate = Rate::new(complained, paid, Basis::PaymentDate);
        }
    }
    let tickets: Vec<(String, i64, i64, i64)> = sqlx::query_as(TICKETS_SQL)
        .bind(shop)
        .bind(from)
        .bind(to)
        .bind(zone_name)
        .bind(by.as_str())
        .fetch_all(pool)
        .await?;
    for (key, count, refunded, fen) in tickets {
        let f = out.entry(key).or_default();
        f.tickets = count;
        f.tickets_refunded = refunded;
        f.refund_fen = fen;
    }
    let resolved: Vec<(String, i64, Option<f64>, Option<f64>)> = sqlx::query_as(RESOLVE_SQL)
        .bind(shop)
        .bind(from)
        .bind(to)
        .bind(zone_name)
        .bind(by.as_str())
        .fetch_all(pool)
        .await?;
    for (key, count, avg, p90) in resolved {
        out.entry(key).or_default().time_to_resolve = TimeToResolve {
            tickets: count,
            avg_hours: avg,
            p90_hours: p90,
            basis: Some(Basis::CloseDate),
        };
    }
    Ok(out)
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
/// (`follow_ups::agent_loads`): a follow-up not made overdue is a cycle in time, an escalation
/// by the sweep a cycle missed; the agent is the one who followed up, or the assignee escalated.
pub async fn agent_compliance(
    pool: &PgPool,
    shop: ShopId,
    zone: Tz,
    period: Period,
) -> sqlx::Result<Vec<AgentCompliance>> {
    let (from, to) = period.bounds(zone);
    let rows: Vec<(Option<UserId>, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT r.agent, u.display_name, r.in_time, r.missed FROM (
             SELECT COALESCE(e.actor_id, (e.data ->> 'assignee_id')::bigint) AS agent,
                    count(*) FILTER (WHERE e.kind = 'follow_up' AND NOT COALESCE((e.data ->> 'was_overdue')::boolean, false)) AS in_time,
                    count(*) FILTER (WHERE e.kind = 'escalated') AS missed
             FROM ticket_events e
             WHERE e.shop_id = $1 AND e.kind IN ('follow_up', 'escalated') AND e.at >= $2 AND e.at < $3
             GROUP BY 1
         ) r LEFT JOIN users u ON u.id = r.agent
         WHERE r.in_time + r.missed > 0
         ORDER BY u.display_name NULLS LAST",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
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
}

/// Builds the report.
pub async fn report(pool: &PgPool, shop: ShopId, zone: Tz, period: Period, by: GroupBy) -> sqlx::Result<Report> {
    let before = period.previous();
    let summary = figures(pool, shop, zone, period, GroupBy::Total).await?;
    let previous = figures(pool, shop, zone, before, GroupBy::Total).await?;
    let grouped = figures(pool, shop, zone, period, by).await?;
    let mut previous_grouped = if by.is_time() {
        BTreeMap::new()
    } else {
        figures(pool, shop, zone, before, by).await?
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
        agents: agent_compliance(pool, shop, zone, period).await?,
        computed_at: Utc::now(),
    })
}
