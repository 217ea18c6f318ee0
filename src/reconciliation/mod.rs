//! The desk's refunds beside the platform's: owns `platform_refunds`, every row of an imported
//! refund export as the platform last said it (with who or what decided and paid), and reads
//! it against the desk's own decisions (`tickets.approved_refund_fen`, `refunded_fen` of tickets
//! the desk opened itself, not the refund import) over a period:
//!
//! - refunds the platform made that the desk has no decision for (its automation, 智能退款, or
//!   a person in the seller centre decided without the desk);
//! - refunds the desk approved that the platform has not paid;
//! - refunds on both sides whose amounts differ.
//!
//! A platform row and a desk ticket go together when they are of the same order and their
//! lines agree (the same SKU, or either names none). The page is `page.rs`, the API `api.rs`.

pub mod api;
pub mod page;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgPool};
use utoipa::ToSchema;

use crate::ids::{ShopId, TicketId};
use crate::import::refunds::RefundRecord;

/// Stores the platform's record of each refund of an export, replacing what an earlier export
/// said of the same refund (the platform's latest word). One statement.
pub async fn record_export(
    pool: &PgPool,
    shop: ShopId,
    records: &[RefundRecord],
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let column = |f: fn(&RefundRecord) -> String| records.iter().map(f).collect::<Vec<String>>();
    let refund_nos = column(|r| r.refund_no.clone());
    let order_nos = column(|r| r.order_no.clone());
    let skus: Vec<Option<String>> = records.iter().map(|r| r.sku.clone()).collect();
    let amounts: Vec<Option<i64>> = records.iter().map(|r| r.refund_fen).collect();
    let statuses = column(|r| r.status_text.clone());
    let applied: Vec<DateTime<Utc>> = records.iter().map(|r| r.applied_at).collect();
    let finished: Vec<Option<DateTime<Utc>>> = records.iter().map(|r| r.finished_at).collect();
    let modes = column(|r| r.refund_mode.clone());
    let automation = column(|r| r.automation.clone());
    let plans = column(|r| r.plan.clone());
    let reviewers = column(|r| r.reviewer.clone());
    let operators = column(|r| r.operator.clone());
    let collected: Vec<Option<i64>> = records.iter().map(|r| r.collected_fen).collect();
    Ok(sqlx::query(
        "INSERT INTO platform_refunds (shop_id, refund_no, order_no, sku, amount_fen, status_text, applied_at,
                                       finished_at, refund_mode, automation, plan, reviewer, operator,
                                       collected_fen, imported_at)
         SELECT $1, * , $15 FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                                        $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[],
                                        $12::text[], $13::text[], $14::bigint[])
         ON CONFLICT (shop_id, refund_no) DO UPDATE SET
             order_no = EXCLUDED.order_no, sku = EXCLUDED.sku, amount_fen = EXCLUDED.amount_fen,
             status_text = EXCLUDED.status_text, applied_at = EXCLUDED.applied_at,
             finished_at = EXCLUDED.finished_at, refund_mode = EXCLUDED.refund_mode,
             automation = EXCLUDED.automation, plan = EXCLUDED.plan, reviewer = EXCLUDED.reviewer,
             operator = EXCLUDED.operator, collected_fen = EXCLUDED.collected_fen,
             imported_at = EXCLUDED.imported_at",
    )
    .bind(shop)
    .bind(&refund_nos)
    .bind(&order_nos)
    .bind(&skus)
    .bind(&amounts)
    .bind(&statuses)
    .bind(&applied)
    .bind(&finished)
    .bind(&modes)
    .bind(&automation)
    .bind(&plans)
    .bind(&reviewers)
    .bind(&operators)
    .bind(&collected)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected())
}

/// A platform row the platform paid (退款成功).
macro_rules! paid {
    ($p:literal) => {
        concat!($p, ".status_text LIKE '%成功%'")
    };
}

/// A desk ticket `t` (with its order `o`) and a platform row `p` go together.
macro_rules! same_refund {
    () => {
        "o.order_no = p.order_no AND (t.sku IS NULL OR p.sku IS NULL OR t.sku = p.sku)"
    };
}

/// A ticket `t` the desk decided a refund on itself (not one the refund import opened): it
/// refunded, or agreed and has not since refused (a failed inspection, a rejection) or closed
/// without refunding.
macro_rules! desk_decided {
    () => {
        "t.refund_no IS NULL AND t.merged_into IS NULL
         AND (t.refunded_fen IS NOT NULL
              OR t.approved_refund_fen IS NOT NULL AND t.status NOT IN ('rejected', 'inspection_failed', 'closed'))"
    };
}

/// A refund the platform paid without a decision of the desk.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct PlatformOnly {
    pub refund_no: String,
    pub order_no: String,
    pub sku: Option<String>,
    pub amount_fen: Option<i64>,
    pub status_text: String,
    pub applied_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// 手工退款/系统退款.
    pub refund_mode: String,
    /// 智能退款策略 and 执行方案: the platform's automation, when it decided.
    pub automation: String,
    pub plan: String,
    /// 审核操作人 and 退款操作人.
    pub reviewer: String,
    pub operator: String,
    /// The ticket the refund import opened for it, if any.
    #[schema(value_type = Option<i64>)]
    pub ticket_id: Option<TicketId>,
}

/// A refund the desk decided that the platform has not paid.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct DeskOnly {
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub order_no: String,
    pub sku: Option<String>,
    pub status: String,
    pub approved_fen: Option<i64>,
    pub refunded_fen: Option<i64>,
    pub opened_at: DateTime<Utc>,
    /// What the platform last said of a refund on that order, if anything.
    pub platform_status: Option<String>,
}

/// A refund on both sides whose amounts differ.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct AmountDiffers {
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    /// The platform's refund numbers on the ticket's order and line, together.
    pub refund_no: String,
    pub order_no: String,
    pub sku: Option<String>,
    /// What the desk refunded (else agreed to).
    pub desk_fen: Option<i64>,
    /// What the platform paid on the order and line, all its refunds together.
    pub platform_fen: Option<i64>,
}

/// The reconciliation of a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reconciliation {
    pub platform_only: Vec<PlatformOnly>,
    pub desk_only: Vec<DeskOnly>,
    pub amounts_differ: Vec<AmountDiffers>,
    /// Platform rows applied for in the period, and when an export was last imported.
    pub platform_rows: i64,
    pub last_import: Option<DateTime<Utc>>,
}

/// The most rows each list shows.
pub const LIMIT: i64 = 500;

/// The reconciliation of refunds applied for (platform) or opened (desk) in `[from, to)`.
pub async fn reconcile(
    db: &PgPool,
    shop: ShopId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Reconciliation> {
    let platform_only: Vec<PlatformOnly> = sqlx::query_as(concat!(
        "SELECT p.refund_no, p.order_no, p.sku, p.amount_fen, p.status_text, p.applied_at, p.finished_at,
                p.refund_mode, p.automation, p.plan, p.reviewer, p.operator,
                (SELECT t.id FROM tickets t WHERE t.shop_id = p.shop_id AND t.refund_no = p.refund_no) AS ticket_id
         FROM platform_refunds p
         WHERE p.shop_id = $1 AND p.applied_at >= $2 AND p.applied_at < $3 AND ",
        paid!("p"),
        " AND NOT EXISTS (SELECT 1 FROM tickets t JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
                          WHERE t.shop_id = p.shop_id AND ",
        same_refund!(),
        " AND ",
        desk_decided!(),
        ")
         ORDER BY p.applied_at, p.refund_no LIMIT $4"
    ))
    .bind(shop)
    .bind(from)
    .bind(to)
    .bind(LIMIT)
    .fetch_all(db)
    .await?;
    let desk_only: Vec<DeskOnly> = sqlx::query_as(concat!(
        "SELECT t.id AS ticket_id, o.order_no, t.sku, t.status, t.approved_refund_fen AS approved_fen, t.refunded_fen,
                t.opened_at,
                (SELECT p.status_text FROM platform_refunds p WHERE p.shop_id = t.shop_id AND ",
        same_refund!(),
        " ORDER BY p.applied_at DESC LIMIT 1) AS platform_status
         FROM tickets t JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
         WHERE t.shop_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3 AND ",
        desk_decided!(),
        " AND NOT EXISTS (SELECT 1 FROM platform_refunds p WHERE p.shop_id = t.shop_id AND ",
        same_refund!(),
        " AND ",
        paid!("p"),
        ")
         ORDER BY t.opened_at, t.id LIMIT $4"
    ))
    .bind(shop)
    .bind(from)
    .bind(to)
    .bind(LIMIT)
    .fetch_all(db)
    .await?;
    // Per desk ticket: what the platform paid on its order and line, all refunds together (a
    // partial refund in two payments is one sum), against what the desk refunded or agreed.
    let amounts_differ: Vec<AmountDiffers> = sqlx::query_as(concat!(
        "SELECT t.id AS ticket_id, paid.refund_nos AS refund_no, o.order_no, t.sku,
                COALESCE(t.refunded_fen, t.approved_refund_fen) AS desk_fen, paid.fen AS platform_fen
         FROM tickets t JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
         CROSS JOIN LATERAL (
             SELECT string_agg(p.refund_no, ', ' ORDER BY p.refund_no) AS refund_nos, sum(p.amount_fen)::bigint AS fen,
                    min(p.applied_at) AS applied_at
             FROM platform_refunds p
             WHERE p.shop_id = t.shop_id AND ",
        same_refund!(),
        " AND ",
        paid!("p"),
        ") paid
         WHERE t.shop_id = $1 AND ",
        desk_decided!(),
        " AND paid.refund_nos IS NOT NULL AND paid.applied_at >= $2 AND paid.applied_at < $3
           AND paid.fen IS DISTINCT FROM COALESCE(t.refunded_fen, t.approved_refund_fen)
         ORDER BY paid.applied_at, t.id LIMIT $4"
    ))
    .bind(shop)
    .bind(from)
    .bind(to)
    .bind(LIMIT)
    .fetch_all(db)
    .await?;
    let (platform_rows, last_import): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE applied_at >= $2 AND applied_at < $3), max(imported_at)
         FROM platform_refunds WHERE shop_id = $1",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await?;
    Ok(Reconciliation {
        platform_only,
        desk_only,
        amounts_differ,
        platform_rows,
        last_import,
    })
}
