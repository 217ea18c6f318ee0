//! Saved queue views: the queue's filters and order under a name, a person's own or shared with
//! their shop (sharing is a supervisor's or admin's: `Action::ShareViews`). Owns `saved_views`.
//! A view keeps the queue's query string as the queue reads it ([`QUEUE_KEYS`] only), so that
//! opening it is opening the queue with that query. Its pages are `page.rs`.

pub mod page;

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, UserId};

/// The queue's parameters a view keeps (`after`, the page, is not one of them).
pub const QUEUE_KEYS: [&str; 6] = ["view", "kind", "status", "q", "tag", "sort"];

/// A saved view.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, sqlx::FromRow)]
pub struct SavedView {
    pub id: i64,
    pub shop_id: ShopId,
    pub owner_id: UserId,
    pub name: String,
    pub shared: bool,
    /// The queue's query string, without `?`.
    pub query: String,
}

impl SavedView {
    /// The queue's address with this view's query.
    pub fn href(&self) -> String {
        format!("/?{}", self.query)
    }
}

/// Why a view was not saved, renamed or deleted. Nothing changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    #[error("no such view")]
    NotFound,
    #[error("the role `{}` may not {}", .0.role.as_str(), .0.action.name())]
    Forbidden(crate::auth::Denied),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<crate::auth::Denied> for ViewError {
    fn from(denied: crate::auth::Denied) -> ViewError {
        ViewError::Forbidden(denied)
    }
}

/// A view's name, trimmed: 1–40 characters.
fn view_name(name: &str) -> Result<String, ViewError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(ViewError::Invalid(FieldError::new("name", "views.error.name_empty"))),
        1..=40 => Ok(name.to_string()),
        _ => Err(ViewError::Invalid(FieldError::new("name", "views.error.name_long"))),
    }
}

/// Keeps only the queue's own parameters of a query string, non-empty, in their order of
/// [`QUEUE_KEYS`]; the values re-encoded.
pub fn queue_query(query: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.trim_start_matches('?')).unwrap_or_default();
    let mut kept: Vec<(String, String)> = Vec::new();
    for key in QUEUE_KEYS {
        if let Some((k, v)) = pairs.iter().find(|(k, v)| k == key && !v.trim().is_empty()) {
            kept.push((k.clone(), v.trim().to_string()));
        }
    }
    serde_urlencoded::to_string(&kept).unwrap_or_default()
}

fn name_taken(error: sqlx::Error) -> ViewError {
    match &error {
        error if crate::db::violates(error, "saved_views_name") => {
            ViewError::Invalid(FieldError::new("name", "views.error.name_taken"))
        }
        _ => ViewError::Storage(error),
    }
}

/// The views `user` sees: their own and those shared in their shops, by name (a read for a
/// page's batch).
pub fn seen_by(user: &CurrentUser) -> Read<SavedView> {
    Read::new(
        "SELECT id, shop_id, owner_id, name, shared, query FROM saved_views
         WHERE shop_id = ANY($1) AND (owner_id = $2 OR shared)
         ORDER BY shared, lower(name), id",
    )
    .bind(user.shops.clone())
    .bind(user.id)
}

/// Saves the queue's `query` as a view named `name` of `user`'s shop, shared with the shop if
/// asked (supervisors and admins).
pub async fn save(
    pool: &PgPool,
    user: &CurrentUser,
    name: &str,
    query: &str,
    shared: bool,
    now: DateTime<Utc>,
) -> Result<SavedView, ViewError> {
    user.require(Action::ReadTickets)?;
    if shared {
        user.require(Action::ShareViews)?;
    }
    let name = view_name(name)?;
    let shop = *user.shops.first().ok_or(ViewError::NotFound)?;
    sqlx::query_as(
        "INSERT INTO saved_views (shop_id, owner_id, name, shared, query, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, shop_id, owner_id, name, shared, query",
    )
    .bind(shop)
    .bind(user.id)
    .bind(name)
    .bind(shared)
    .bind(queue_query(query))
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(name_taken)
}

/// Renames one of `user`'s own views (another's, shared or not, is not found).
pub async fn rename(pool: &PgPool, user: &CurrentUser, id: i64, name: &str) -> Result<SavedView, ViewError> {
    let name = view_name(name)?;
    sqlx::query_as(
        "UPDATE saved_views SET name = $3 WHERE id = $1 AND owner_id = $2
         RETURNING id, shop_id, owner_id, name, shared, query",
    )
    .bind(id)
    .bind(user.id)
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(name_taken)?
    .ok_or(ViewError::NotFound)
}

/// Deletes one of `user`'s own views.
pub async fn delete(pool: &PgPool, user: &CurrentUser, id: i64) -> Result<(), ViewError> {
    let removed = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(user.id)
        .execute(pool)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(ViewError::NotFound);
    }
    Ok(())
}

/// One view `user` sees.
pub async fn get(db: impl PgExecutor<'_>, user: &CurrentUser, id: i64) -> sqlx::Result<Option<SavedView>> {
    sqlx::query_as(
        "SELECT id, shop_id, owner_id, name, shared, query FROM saved_views
         WHERE id = $1 AND shop_id = ANY($2) AND (owner_id = $3 OR shared)",
    )
    .bind(id)
    .bind(&user.shops)
    .bind(user.id)
    .fetch_optional(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_keeps_the_queues_filters_and_drops_the_page_and_anything_else() {
        assert_eq!(
            queue_query("?view=all&kind=return&after=2026_5&q=%E5%BC%A0&tag=3&evil=1&status="),
            "view=all&kind=return&q=%E5%BC%A0&tag=3"
        );
        assert_eq!(queue_query(""), "");
    }

    #[test]
    fn a_view_name_holds_one_to_forty_characters() {
        assert!(matches!(view_name("  "), Err(ViewError::Invalid(e)) if e.message.key == "views.error.name_empty"));
        assert!(view_name(&"视".repeat(40)).is_ok());
        assert!(
            matches!(view_name(&"视".repeat(41)), Err(ViewError::Invalid(e)) if e.message.key == "views.error.name_long")
        );
    }
}
