//! Who else has a ticket open, and who is typing in it. Owns `presence`.
//!
//! Soft and short-lived, never a lock: the ticket page beats every [`BEAT`] while it is open (and
//! says when typing starts and stops); a beat older than [`FRESH`] means the person left (a
//! closed laptop leaves no word). A change that others should see — someone arrives, starts or
//! stops typing, leaves — is announced through the live outbox in the same statement (as every
//! change is: see the module above); a plain beat is not.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::db::batch::Read;
use crate::ids::{ShopId, TicketId, UserId};

/// How often an open ticket page says it is still open.
pub const BEAT: Duration = Duration::seconds(20);
/// How long a beat counts.
pub const FRESH: Duration = Duration::seconds(60);

/// Someone with a ticket open.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, sqlx::FromRow)]
pub struct Viewer {
    pub ticket_id: TicketId,
    pub user_id: UserId,
    pub name: String,
    pub typing: bool,
}

/// Records that `user` has `ticket` open (typing or not) at `now`; announces it when that is news.
pub async fn beat(
    pool: &PgPool,
    user: UserId,
    shop: ShopId,
    ticket: TicketId,
    typing: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH saved AS (
             INSERT INTO presence (user_id, shop_id, ticket_id, typing, seen_at, news) VALUES ($1, $2, $3, $4, $5, true)
             ON CONFLICT (shop_id, ticket_id, user_id) DO UPDATE SET
                 typing = EXCLUDED.typing, seen_at = EXCLUDED.seen_at,
                 news = presence.typing <> EXCLUDED.typing OR presence.seen_at <= $6
             RETURNING news)
         INSERT INTO live_outbox (shop_id, payload)
         SELECT $2, json_build_object('k', 'p', 's', $2::bigint, 't', $3::bigint)::text
         FROM saved
         WHERE saved.news",
    )
    .bind(user)
    .bind(shop)
    .bind(ticket)
    .bind(typing)
    .bind(now)
    .bind(now - FRESH)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that `user` closed `ticket`'s page, and announces it.
pub async fn leave(pool: &PgPool, user: UserId, shop: ShopId, ticket: TicketId) -> sqlx::Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM presence WHERE shop_id = $2 AND ticket_id = $3 AND user_id = $1 RETURNING 1)
         INSERT INTO live_outbox (shop_id, payload)
         SELECT $2, json_build_object('k', 'p', 's', $2::bigint, 't', $3::bigint)::text
         FROM gone",
    )
    .bind(user)
    .bind(shop)
    .bind(ticket)
    .execute(pool)
    .await?;
    Ok(())
}

/// Who besides `me` has any of `tickets` (of `shops`) open now, by ticket, typing first.
pub async fn viewers(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    tickets: &[TicketId],
    me: UserId,
    now: DateTime<Utc>,
) -> sqlx::Result<HashMap<TicketId, Vec<Viewer>>> {
    if tickets.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(by_ticket(viewing(shops, tickets, me, now).all(db).await?))
}

/// [`viewers`] as a read, for a page's batch (its rows go to [`by_ticket`]).
pub fn viewing(shops: &[ShopId], tickets: &[TicketId], me: UserId, now: DateTime<Utc>) -> Read<Viewer> {
    Read::new(
        "SELECT p.ticket_id, p.user_id, u.display_name AS name, p.typing
         FROM presence p JOIN users u ON u.id = p.user_id
         WHERE p.shop_id = ANY($1) AND p.ticket_id = ANY($2) AND p.user_id <> $3 AND p.seen_at > $4
         ORDER BY p.ticket_id, p.typing DESC, u.display_name",
    )
    .bind(shops.to_vec())
    .bind(tickets.to_vec())
    .bind(me)
    .bind(now - FRESH)
}

/// The rows of [`viewing`], by ticket, in their order.
pub fn by_ticket(rows: Vec<Viewer>) -> HashMap<TicketId, Vec<Viewer>> {
    let mut by_ticket: HashMap<TicketId, Vec<Viewer>> = HashMap::new();
    for viewer in rows {
        by_ticket.entry(viewer.ticket_id).or_default().push(viewer);
    }
    by_ticket
}

/// Forgets beats too old to count (run with the follow-up sweep; the table stays small).
pub async fn forget_stale(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM presence WHERE seen_at <= $1")
        .bind(now - FRESH)
        .execute(pool)
        .await?
        .rows_affected())
}
