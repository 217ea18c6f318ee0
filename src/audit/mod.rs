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
    pub const TICKET_MERGED: &str = "ticket.merged";
    pub const COMPENSATION_APPROVED: &str = "compensation.approved";
    pub const COMPENSATION_REJECTED: &str = "compensation.rejected";
    pub const SIGNED_IN: &str = "auth.signed_in";
    pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
    pub const IMPORTED: &str = "import.completed";
    /// Written by a migration when two logins differing only in case were told apart.
    pub const USER_RENAMED: &str = "user.renamed";

    /// Every action, in the order the log's filter offers them.
    pub const ALL: &[&str] = &[
        USER_CREATED,
        USER_UPDATED,
        PASSWORD_RESET,
        PASSWORD_CHANGED,
        USER_RENAMED,
        SHOP_CREATED,
        SHOP_SETTINGS,
        CALENDAR_YEAR_REPLACED,
        CALENDAR_YEAR_DELETED,
        RULE_OVERRIDDEN,
        TICKET_REASSIGNED,
        COMPENSATION_APPROVED,
        COMPENSATION_REJECTED,
        SIGNED_IN,
        SIGN_IN_FAILED,
        IMPORTED,
    ];
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

/// One entry, with the actor's login and name.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    #[schema(value_type = Option<i64>)]
    pub shop_id: Option<ShopId>,
    pub subject: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

/// Which entries to read: by whom, which action, from an instant (inclusive) until another
/// (exclusive); `None` leaves that out.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The newest entries matching `filter` (before the entry `before`, for paging), at most `limit`.
pub async fn search(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "SELECT a.id, a.at, u.login AS actor, u.display_name AS actor_name, a.action, a.shop_id, a.subject, a.details
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE ($1::bigint IS NULL OR a.id < $1)
           AND ($2::bigint IS NULL OR a.actor_id = $2)
           AND ($3::text IS NULL OR a.action = $3)
           AND ($4::timestamptz IS NULL OR a.at >= $4)
           AND ($5::timestamptz IS NULL OR a.at < $5)
         ORDER BY a.id DESC LIMIT $6",
    )
    .bind(before)
    .bind(filter.actor)
    .bind(filter.action.as_deref())
    .bind(filter.from)
    .bind(filter.until)
    .bind(limit)
    .fetch_all(db)
    .await
}
