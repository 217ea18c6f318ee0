//! What after-sales cost a shop in a period, per SKU: refunds paid, compensation given net of
//! what was collected (postage apart), postage (postage compensation and intercept fees), and
//! reships. A read model over the timeline (`status_changed` to `refunded`, by its time; a ticket
//! refunded again after a reopen counts its last refund, which holds the whole amount), the
//! compensation ledger (booked entries, reversals counted back when made), reships and
//! intercepts, each by the time it happened; a ticket's SKU is its line's (none: `""`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgExecutor};
use utoipa::ToSchema;

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

/// The cost per SKU of `[from, to)`, the costliest first.
pub async fn costs(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<CostRow>> {
    sqlx::query_as(
        "WITH parts AS (
             SELECT COALESCE(t.sku, '') AS sku, r.fen AS refunds, 0::bigint AS compensation,
                    0::bigint AS postage, 0::bigint AS reships
             FROM (SELECT DISTINCT ON (e.ticket_id) e.ticket_id, (e.data->>'refund_fen')::bigint AS fen
                   FROM ticket_events e
                   WHERE e.shop_id = $1 AND e.at >= $2 AND e.at < $3 AND e.kind = 'status_changed'
                     AND e.data->>'to' = 'refunded' AND e.data->>'refund_fen' IS NOT NULL
                   ORDER BY e.ticket_id, e.at DESC, e.id DESC) r
             JOIN tickets t ON t.shop_id = $1 AND t.id = r.ticket_id
           UNION ALL
             SELECT COALESCE(t.sku, ''), 0,
                    CASE WHEN c.reason = 'postage' THEN 0 ELSE s.signed END,
                    CASE WHEN c.reason = 'postage' THEN s.signed ELSE 0 END, 0
             FROM compensations c JOIN tickets t ON t.shop_id = c.shop_id AND t.id = c.ticket_id
             CROSS JOIN LATERAL (SELECT (CASE WHEN c.method = 'collection' THEN -1 ELSE 1 END)
                                      * (CASE WHEN c.reverses IS NULL THEN 1 ELSE -1 END) * c.amount_fen AS signed) s
             WHERE c.shop_id = $1 AND c.status = 'booked' AND c.made_at >= $2 AND c.made_at < $3
           UNION ALL
             SELECT r.sku, 0, 0, 0, r.cost_fen FROM reships r
             WHERE r.shop_id = $1 AND r.shipped_at >= $2 AND r.shipped_at < $3
           UNION ALL
             SELECT COALESCE(t.sku, ''), 0, 0, i.fee_fen, 0
             FROM intercepts i JOIN tickets t ON t.shop_id = i.shop_id AND t.id = i.ticket_id
             WHERE i.shop_id = $1 AND i.requested_at >= $2 AND i.requested_at < $3 AND i.fee_fen > 0)
         SELECT sku,
                COALESCE((SELECT l.title FROM order_lines l WHERE l.shop_id = $1 AND l.sku = parts.sku
                          ORDER BY l.order_id DESC LIMIT 1), '') AS title,
                sum(refunds)::bigint AS refunds_fen, sum(compensation)::bigint AS compensation_fen,
                sum(postage)::bigint AS postage_fen, sum(reships)::bigint AS reships_fen,
                sum(refunds + compensation + postage + reships)::bigint AS total_fen
         FROM parts GROUP BY sku ORDER BY total_fen DESC, sku",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}
