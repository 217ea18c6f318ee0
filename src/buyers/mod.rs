//! The buyer's file (客户档案): every order and ticket of one buyer in a shop, their return and
//! refund counts, and a repeat-returner flag. A read model over `orders`, `order_lines`,
//! `tickets` and `ticket_events` (it writes nothing; the reads on tickets are the tickets
//! repo's). The flag is a signal for the agent, never
//! a refusal: the seven-day right stands whatever the buyer's history.

pub mod api;
pub mod page;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgPool};
use utoipa::ToSchema;

use crate::db::batch::Read;
use crate::ids::{CustomerId, ShopId, TicketId};
use crate::tickets;

/// How far back the repeat-returner flag looks.
pub const FLAG_WINDOW_DAYS: i64 = 90;
/// Return or refund requests in the window that raise the flag on their own.
pub const FLAG_REQUESTS: i64 = 3;

/// Whether a buyer's recent history makes them a repeat returner: at least
/// [`FLAG_REQUESTS`] return or refund requests in the last [`FLAG_WINDOW_DAYS`] days, or at
/// least two that concern more than half of their orders in that time. A signal only.
pub fn is_repeat_returner(requests_in_window: i64, orders_in_window: i64) -> bool {
    requests_in_window >= FLAG_REQUESTS || (requests_in_window >= 2 && requests_in_window * 2 > orders_in_window)
}

/// One order of the buyer.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct BuyerOrder {
    pub order_no: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    /// What the order came to; absent if its stored lines add up beyond what fen can hold.
    pub total_fen: Option<i64>,
    /// Titles of its lines.
    pub items: String,
    pub tickets: i64,
}

/// One ticket of the buyer.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct BuyerTicket {
    #[schema(value_type = i64)]
    pub id: TicketId,
    pub order_no: String,
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub refund_fen: Option<i64>,
    pub opened_at: DateTime<Utc>,
    /// Whether it was ever refunded.
    pub refunded: bool,
}

/// The buyer's file.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BuyerFile {
    pub nick: String,
    pub orders: Vec<BuyerOrder>,
    pub tickets: Vec<BuyerTicket>,
    /// Return and exchange requests (any outcome).
    pub return_requests: i64,
    /// Tickets that reached a refund.
    pub refunds: i64,
    /// Money refunded, in fen; absent if the stored refunds add up beyond what fen can hold.
    pub refunded_fen: Option<i64>,
    /// Return or refund requests in the last [`FLAG_WINDOW_DAYS`] days.
    pub recent_requests: i64,
    /// A signal for the agent (never a refusal): see [`is_repeat_returner`].
    pub repeat_returner: bool,
    /// What the compensation ledger gave and collected, over all the buyer's tickets.
    pub compensation: crate::compensation::BuyerTotals,
}

/// The file of a shop's buyer as of `now`.
pub async fn file(pool: &PgPool, shop: ShopId, customer: CustomerId, now: DateTime<Utc>) -> sqlx::Result<BuyerFile> {
    let nick: String = sqlx::query_scalar("SELECT nick FROM customers WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(customer)
        .fetch_one(pool)
        .await?;
    let orders: Vec<BuyerOrder> = tickets::repo::orders_of_customer(pool, shop, customer).await?;
    let tickets: Vec<BuyerTicket> = tickets::repo::tickets_of_customer(pool, shop, customer).await?;
    let since = now - Duration::days(FLAG_WINDOW_DAYS);
    let is_request = |t: &BuyerTicket| matches!(t.kind.as_str(), "return" | "exchange" | "refund");
    let return_requests = tickets
        .iter()
        .filter(|t| matches!(t.kind.as_str(), "return" | "exchange"))
        .count() as i64;
    let refunded: Vec<&BuyerTicket> = tickets.iter().filter(|t| t.refunded).collect();
    let recent_requests = tickets.iter().filter(|t| is_request(t) && t.opened_at >= since).count() as i64;
    let recent_orders = orders
        .iter()
        .filter(|o| o.paid_at.is_none_or(|paid| paid >= since))
        .count() as i64;
    Ok(BuyerFile {
        nick,
        return_requests,
        refunds: refunded.len() as i64,
        refunded_fen: refunded
            .iter()
            .filter_map(|t| t.refund_fen)
            .try_fold(0i64, i64::checked_add),
        recent_requests,
        repeat_returner: is_repeat_returner(recent_requests, recent_orders),
        compensation: crate::compensation::buyer_totals(shop, customer)
            .optional(pool)
            .await?
            .unwrap_or_default(),
        orders,
        tickets,
    })
}

/// What the ticket page shows of a buyer's file, counted by the database in one statement over
/// the same newest orders and tickets the file lists (so that both pages say the same).
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Deserialize)]
pub struct BuyerCounts {
    pub nick: String,
    pub orders: i64,
    pub tickets: i64,
    pub return_requests: i64,
    pub refunds: i64,
    /// Return or refund requests in the last [`FLAG_WINDOW_DAYS`] days.
    pub recent_requests: i64,
    /// Orders paid in the last [`FLAG_WINDOW_DAYS`] days (or not paid).
    pub recent_orders: i64,
}

impl BuyerCounts {
    /// See [`is_repeat_returner`].
    pub fn repeat_returner(&self) -> bool {
        is_repeat_returner(self.recent_requests, self.recent_orders)
    }
}

/// The counts of a shop's buyer's file as of `now`, without the file's lists: one row (the
/// ticket page reads it in its batch).
pub fn counts(shop: ShopId, customer: CustomerId, now: DateTime<Utc>) -> Read<BuyerCounts> {
    tickets::repo::customer_counts(shop, customer, now - Duration::days(FLAG_WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_recent_requests_flag_a_buyer_whatever_they_bought() {
        assert!(is_repeat_returner(3, 40));
        assert!(!is_repeat_returner(2, 40));
    }

    #[test]
    fn two_requests_flag_a_buyer_only_when_most_orders_came_back() {
        assert!(is_repeat_returner(2, 3));
        assert!(!is_repeat_returner(2, 4), "exactly half is not more than half");
        assert!(!is_repeat_returner(1, 1), "one return is no pattern");
        assert!(!is_repeat_returner(0, 0));
    }
}
