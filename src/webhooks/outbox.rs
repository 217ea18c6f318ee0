//! The outbox (`webhook_deliveries`): rows written with the change they tell of, claimed by one
//! server at a time, and their outcome recorded. Timeline events are written by the database's
//! trigger; this module writes the deadline reminders, the digest and the page's tests.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgExecutor, PgPool};

use super::format::{self, Payload, Verdict};
use crate::ids::ShopId;

/// How long a claimed row belongs to the server that claimed it: more than a try can take
/// (`send::TIMEOUT`), so that another server takes it only if the first one died.
pub const LEASE: Duration = Duration::minutes(2);

/// A delivery claimed for sending, with its hook.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub shop_id: ShopId,
    pub id: i64,
    pub event: String,
    pub payload: sqlx::types::Json<Payload>,
    /// Tries so far, this one included.
    pub attempts: i32,
    pub format: String,
    pub url: String,
    pub secret: String,
}

impl Claimed {
    /// The event's id for receivers (`Idempotency-Key`, the generic body's `id`): the same on
    /// every try of this delivery.
    pub fn event_id(&self) -> String {
        format!("{}-{}", self.shop_id, self.id)
    }
}

/// Claims up to `limit` due deliveries of active hooks: the rows are locked while claimed
/// (`SKIP LOCKED`: another server takes others), counted as tried and leased until
/// `now + LEASE`, so no other server sends them meanwhile. Shop by shop (on Citus only a
/// statement on one shop may lock rows).
pub async fn claim_due(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Claimed>> {
    let shops: Vec<ShopId> = sqlx::query_scalar(
        "SELECT DISTINCT d.shop_id FROM webhook_deliveries d
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $1)
         ORDER BY 1",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    let mut claimed = Vec::new();
    for shop in shops {
        let left = limit - claimed.len() as i64;
        if left <= 0 {
            break;
        }
        let of_shop: Vec<Claimed> = sqlx::query_as(
            "WITH due AS (
                 SELECT d.shop_id, d.id FROM webhook_deliveries d
                 JOIN webhooks w ON w.shop_id = d.shop_id AND w.id = d.hook_id AND w.active
                 WHERE d.shop_id = $4 AND d.state = 'pending' AND d.next_attempt_at <= $1
                   AND (d.leased_until IS NULL OR d.leased_until <= $1)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED)
             UPDATE webhook_deliveries d SET attempts = d.attempts + 1, leased_until = $1 + $3::interval
             FROM due, webhooks w
             WHERE d.shop_id = $4 AND d.shop_id = due.shop_id AND d.id = due.id
               AND w.shop_id = d.shop_id AND w.id = d.hook_id
             RETURNING d.shop_id, d.id, d.event, d.payload, d.attempts, w.format, w.url, w.secret",
        )
        .bind(now)
        .bind(left)
        .bind(LEASE)
        .bind(shop)
        .fetch_all(pool)
        .await?;
        claimed.extend(of_shop);
    }
    Ok(claimed)
}

/// Records how a try went: delivered, to be tried again after the back-off, or failed (also
/// when the tries are used up).
pub async fn record(
    pool: &PgPool,
    delivery: &Claimed,
    status: Option<u16>,
    verdict: &Verdict,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (state, error, next) = match verdict {
        Verdict::Delivered => ("delivered", None, now),
        Verdict::Retry(error) if delivery.attempts < format::MAX_ATTEMPTS => (
            "pending",
            Some(error.as_str()),
            now + format::backoff(delivery.attempts),
        ),
        Verdict::Retry(error) | Verdict::Failed(error) => ("failed", Some(error.as_str()), now),
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $3, last_status = $4, last_error = $5, next_attempt_at = $6,
                leased_until = NULL, delivered_at = CASE WHEN $3 = 'delivered' THEN $7 END
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(delivery.shop_id)
    .bind(delivery.id)
    .bind(state)
    .bind(status.map(i32::from))
    .bind(error)
    .bind(next)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes a delivery of `payload` for every active hook of `shop` subscribed to its event (or
/// for the one `hook`, active or not: a test), once per `key`, inside the caller's transaction. Returns the rows written.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    hook: Option<i64>,
    key: &str,
    payload: &Payload,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO webhook_deliveries (shop_id, hook_id, event, event_key, ticket_id, payload, next_attempt_at, created_at)
         SELECT w.shop_id, w.id, $3, $4, $5, $6, $7, $7 FROM webhooks w
         WHERE w.shop_id = $1 AND (w.id = $2 OR $2 IS NULL AND w.active AND $3 = ANY (w.events))
         ON CONFLICT DO NOTHING RETURNING 1",
    )
    .bind(shop)
    .bind(hook)
    .bind(&payload.event)
    .bind(key)
    .bind(payload.ticket.as_ref().map(|t| t.id))
    .bind(sqlx::types::Json(payload))
    .bind(now)
    .fetch_all(db)
    .await?
    .len() as u64)
}

/// Writes the deadline reminders due as of `now` for hooks subscribed to them: a follow-up due
/// within [`crate::notifications::FOLLOW_UP_AHEAD`], a platform clock running out within
/// [`crate::notifications::TIMER_AHEAD`] — the windows of the desk's own notices — once per
/// hook, ticket and deadline however often it runs and from however many servers (the key holds
/// the deadline). Returns the rows written (counted as [`enqueue`] counts them).
pub async fn enqueue_due(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO webhook_deliveries (shop_id, hook_id, event, event_key, ticket_id, payload, next_attempt_at, created_at)
         SELECT w.shop_id, w.id, d.event, d.event || ':' || t.id || ':' || extract(epoch FROM d.due)::bigint, t.id,
                jsonb_build_object(
                    'event', d.event, 'at', $1::timestamptz, 'due_at', d.due,
                    'ticket', jsonb_build_object(
                        'id', t.id, 'kind', t.kind, 'status', t.status, 'order_no', o.order_no,
                        'buyer', c.nick, 'assignee', u.display_name, 'refund_fen', t.refund_fen)),
                $1, $1
         FROM webhooks w
         JOIN tickets t ON t.shop_id = w.shop_id AND t.closed_at IS NULL
         CROSS JOIN LATERAL (VALUES ('follow_up_due', t.follow_up_due_at, $2::timestamptz),
                                    ('timer_expiring', t.timer_due_at, $3::timestamptz)) AS d (event, due, until)
         JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
         JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
         LEFT JOIN users u ON u.id = t.assignee_id
         WHERE w.active AND d.event = ANY (w.events)
           AND (t.follow_up_due_at > $1 AND t.follow_up_due_at <= $2 OR t.timer_due_at > $1 AND t.timer_due_at <= $3)
           AND d.due > $1 AND d.due <= d.until
         ON CONFLICT DO NOTHING RETURNING 1",
    )
    .bind(now)
    .bind(now + crate::notifications::FOLLOW_UP_AHEAD)
    .bind(now + crate::notifications::TIMER_AHEAD)
    .fetch_all(pool)
    .await?
    .len() as u64)
}

/// One line of a hook's delivery log.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LogLine {
    pub id: i64,
    pub event: String,
    pub ticket_id: Option<i64>,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// A hook's deliveries, newest first, `limit` of them from before `before` (a delivery id, for
/// the next page).
pub async fn log(
    pool: &PgPool,
    shop: ShopId,
    hook: i64,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<LogLine>> {
    sqlx::query_as(
        "SELECT id, event, ticket_id, state, attempts, last_status, last_error, created_at, delivered_at, next_attempt_at
         FROM webhook_deliveries
         WHERE shop_id = $1 AND hook_id = $2 AND ($3::bigint IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4",
    )
    .bind(shop)
    .bind(hook)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Claims one delivery now, whatever its due time (the page's "send test"): as [`claim_due`]
/// does, so the worker of no server sends it too.
pub async fn claim_one(
    pool: &PgPool,
    shop: ShopId,
    hook: i64,
    key: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as(
        "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, leased_until = $4 + $5::interval
         FROM webhooks w
         WHERE d.shop_id = $1 AND d.hook_id = $2 AND d.event_key = $3 AND d.state = 'pending'
           AND (d.leased_until IS NULL OR d.leased_until <= $4)
           AND w.shop_id = d.shop_id AND w.id = d.hook_id
         RETURNING d.shop_id, d.id, d.event, d.payload, d.attempts, w.format, w.url, w.secret",
    )
    .bind(shop)
    .bind(hook)
    .bind(key)
    .bind(now)
    .bind(LEASE)
    .fetch_optional(pool)
    .await
}
