//! The audit log (`audit_log`): every admin and supervisor action that changes who may do what
//! or bends a rule — users created (through the API or the command line), shops and their
//! settings, the calendar, rule overrides, reassignments — and who signed in (or failed to) from
//! where, and what was imported. Append-only in the database. Details hold ids, settings, counts
//! and client addresses, never a password or a buyer's personal data. Entries without an actor
//! were made by the command line or by someone not signed in.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};

use crate::ids::{ShopId, UserId};

/// The actions recorded.
pub mod action {
    pub const USER_CREATED: &str = "user.created";
    pub const PASSWORD_CHANGED: &str = "user.password_changed";
    pub const USER_UPDATED: &str = "user.updated";
    pub const PASSWORD_RESET: &str = "user.password_reset";
    pub const SHOP_CREATED: &str = "shop.created";
    pub const SHOP_SETTINGS: &str = "shop.settings_changed";
    pub const CALENDAR_YEAR_REPLACED: &str = "calendar.year_replaced";
    pub const CALENDAR_YEAR_DELETED: &str = "calendar.year_deleted";
    pub const RULE_OVERRIDDEN: &str = "ticket.rule_overridden";
    pub const TICKET_REASSIGNED: &str = "ticket.reassigned";
    pub const TICKET_ESCALATED: &str = "ticket.escalated";
    pub const TICKET_HANDED_BACK: &str = "ticket.handed_back";
    pub const SIGNED_IN: &str = "auth.signed_in";
    pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
    pub const IMPORTED: &str = "import.completed";
}

/// Records an action, by a user or (`None`) by the command line or someone not signed in.
pub async fn record(
    db: impl PgExecutor<'_>,
    actor: impl Into<Option<UserId>>,
    action: &str,
    shop: Option<ShopId>,
    subject: &str,
    details: Value,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO audit_log (actor_id, action, shop_id, subject, details) VALUES ($1, $2, $3, $4, $5)")
        .bind(actor.into())
        .bind(action)
        .bind(shop)
        .bind(subject)
        .bind(details)
        .execute(db)
        .await?;
    Ok(())
}

/// One entry, with the actor's login.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    #[schema(value_type = Option<i64>)]
    pub shop_id: Option<ShopId>,
    pub subject: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

/// The newest entries (before `before`, for paging), at most `limit`.
pub async fn recent(db: impl PgExecutor<'_>, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "SELECT a.id, a.at, u.login AS actor, a.action, a.shop_id, a.subject, a.details
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE ($1::bigint IS NULL OR a.id < $1)
         ORDER BY a.id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}
