//! What after-sales cost a shop in a period, per SKU: refunds paid, compensation given net of
//! what was collected (postage apart), postage (postage compensation and intercept fees), and
//! reships, each by the time it happened; a ticket's SKU is its line's (none: `""`).
//!
//! The refunds are counted ahead by day with the other report figures (`report_days`, filled by
//! the recount's `FILL_REFUNDS` in [`super::rollup`]): each move to `refunded` counts what it
//! added to the ticket's refund before it, so that a ticket refunded again after a reopen adds
//! the difference in the period of the later refund and the periods of a year add up to the
//! year. The rest is read as it happened from the compensation ledger (booked entries,
//! reversals counted back when made), reships and intercepts.

use chrono_tz::Tz;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Pools;
use super::rates::Period;
use super::rollup;
use crate::ids::ShopId;

/// One SKU's after-sales cost, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, FromRow, ToSchema)]
pub struct CostRow {
    /// `""` for tickets about no one line.
    pub sku: String,
    pub title: String,
    pub refunds_fen: i64,
    /// Payouts and coupons (postage apart) less collections.
    pub compensation_fen: i64,
    /// Postage paid back to buyers and carriers' intercept fees.
    pub postage_fen: i64,
    pub reships_fen: i64,
    pub total_fen: i64,
}

/// The cost per SKU of `period` (days of the shop's `zone`), the costliest first: the stale
/// days of the counted refunds are recounted first unless a background recount keeps them fresh
/// (as for every report figure, [`super::figures`]). The costliest `titled` rows carry their
/// item's title, the others none: a title is a look-up among the shop's order lines, and a
/// year lists thousands of SKUs where the page shows twenty.
pub async fn costs(db: Pools<'_>, shop: ShopId, zone: Tz, period: Period, titled: usize) -> sqlx::Result<Vec<CostRow>> {
    if !rollup::refresher_running() {
        rollup::refresh(db.primary, shop, rollup::Busy::Skip).await?;
    }
    let (from, to) = period.bounds(zone);
    // Whole months from their month rows; a month at either end, when that reads fewer rows, as
    // its month row less the days outside ([`rollup::netted_months`]). The month rows and the
    // days at each end are three ranges of `report_days_refunds`, read one after the other: as
    // one condition with five alternatives, PostgreSQL read the shop's every refund row of every
    // day (on the big shop 120,000 rows for the 45,000 of a year, 49 of the report's 160 ms).
    // At the start, the days between the period's first and the first month row's (counted when
    // the period starts first, taken back when the month does); at the end, the days between the
    // one after the period and the one after the last month row, likewise.
    let (month_from, month_to) = rollup::netted_months(db.reads, shop, period, "sku", false).await?;
    sqlx::query_as(
        "WITH refunds AS (
             SELECT value, span, start, refunds_paid_fen FROM report_days
             WHERE shop_id = $1 AND dim = 'sku' AND refunds_paid_fen <> 0
               AND span = 'month' AND start >= $6 AND start < $7
           UNION ALL
             SELECT value, span, start, refunds_paid_fen FROM report_days
             WHERE shop_id = $1 AND dim = 'sku' AND refunds_paid_fen <> 0
               AND span = 'day' AND start >= LEAST($4, $6) AND start < GREATEST($4, $6)
           UNION ALL
             SELECT value, span, start, refunds_paid_fen FROM report_days
             WHERE shop_id = $1 AND dim = 'sku' AND refunds_paid_fen <> 0
               AND span = 'day' AND start >= LEAST($7, $5 + 1) AND start < GREATEST($7, $5 + 1)),
         parts AS (
             SELECT value AS sku,
                    CASE WHEN span = 'day' AND (start < $4 OR start > $5) THEN -refunds_paid_fen
                         ELSE refunds_paid_fen END AS refunds,
                    0::bigint AS compensation, 0::bigint AS postage, 0::bigint AS reships, false AS entry
             FROM refunds
           UNION ALL
             SELECT COALESCE(t.sku, ''), 0,
                    CASE WHEN c.reason = 'postage' THEN 0 ELSE s.signed END,
                    CASE WHEN c.reason = 'postage' THEN s.signed ELSE 0 END, 0, true
             FROM compensations c JOIN tickets t ON t.shop_id = c.shop_id AND t.id = c.ticket_id
             CROSS JOIN LATERAL (SELECT (CASE WHEN c.method = 'collection' THEN -1 ELSE 1 END)
                                      * (CASE WHEN c.reverses IS NULL THEN 1 ELSE -1 END) * c.amount_fen AS signed) s
             WHERE c.shop_id = $1 AND c.status = 'booked' AND c.made_at >= $2 AND c.made_at < $3
           UNION ALL
             SELECT r.sku, 0, 0, 0, r.cost_fen, true FROM reships r
             WHERE r.shop_id = $1 AND r.shipped_at >= $2 AND r.shipped_at < $3
           UNION ALL
             SELECT COALESCE(t.sku, ''), 0, 0, i.fee_fen, 0, true
             FROM intercepts i JOIN tickets t ON t.shop_id = i.shop_id AND t.id = i.ticket_id
             WHERE i.shop_id = $1 AND i.requested_at >= $2 AND i.requested_at < $3 AND i.fee_fen > 0),
         per_sku AS (
             SELECT sku, sum(refunds) AS refunds, sum(compensation) AS compensation, sum(postage) AS postage,
                    sum(reships) AS reships
             FROM parts GROUP BY sku
             -- An entry of the ledger, a reship or a fee shows its SKU even when it nets to
             -- nothing; refunds of the period taken back as much (a later move lowering an
             -- amount) alone do not.
             HAVING sum(refunds) <> 0 OR bool_or(entry)),
         ranked AS (
             SELECT per_sku.*, (refunds + compensation + postage + reships) AS total,
                    row_number() OVER (ORDER BY refunds + compensation + postage + reships DESC, sku) AS rank
             FROM per_sku)
         SELECT sku,
                CASE WHEN rank <= $8
                     THEN COALESCE((SELECT l.title FROM order_lines l WHERE l.shop_id = $1 AND l.sku = ranked.sku
                                    ORDER BY l.order_id DESC LIMIT 1), '')
                     ELSE '' END AS title,
                refunds::bigint AS refunds_fen, compensation::bigint AS compensation_fen,
                postage::bigint AS postage_fen, reships::bigint AS reships_fen, total::bigint AS total_fen
         FROM ranked
         ORDER BY rank",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
    .bind(period.from)
    .bind(period.to)
    .bind(month_from)
    .bind(month_to)
    .bind(i64::try_from(titled).unwrap_or(i64::MAX))
    .fetch_all(db.reads)
    .await
}
