//! Per-shop tags and the tags on tickets. Owns `tags` (a shop's names and colours, managed by
//! supervisors and admins: `Action::ManageTags`) and `ticket_tags` (applied by whoever works
//! tickets, one at a time from the ticket page or in bulk from the queue). Tagging is not a
//! change of the ticket's work: it neither bumps the version nor writes the timeline. Its JSON
//! API is `api.rs`, its pages `page.rs`; the queue's tag filter is `tickets::repo::Filter::tag`.

pub mod api;
pub mod page;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::permissions::Action;
use crate::auth::{CurrentUser, Denied};
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId};

/// The most tickets one bulk action tags or untags.
pub const BULK_LIMIT: usize = 200;

/// The colours a tag may have (classes `tag-<colour>` in the style sheet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Colour {
    Grey,
    Red,
    Orange,
    Green,
    Blue,
    Purple,
}

impl Colour {
    /// Every colour, in the order the form offers them.
    pub const ALL: [Colour; 6] = [
        Colour::Grey,
        Colour::Red,
        Colour::Orange,
        Colour::Green,
        Colour::Blue,
        Colour::Purple,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Grey => "grey",
            Colour::Red => "red",
            Colour::Orange => "orange",
            Colour::Green => "green",
            Colour::Blue => "blue",
            Colour::Purple => "purple",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(text: &str) -> Option<Colour> {
        Colour::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Colour::Grey => "tags.colour.grey",
            Colour::Red => "tags.colour.red",
            Colour::Orange => "tags.colour.orange",
            Colour::Green => "tags.colour.green",
            Colour::Blue => "tags.colour.blue",
            Colour::Purple => "tags.colour.purple",
        }
    }
}

/// A shop's tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Tag {
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    pub id: i64,
    pub name: String,
    pub colour: Colour,
}

/// A tag to create, or a tag's new name and colour.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct NewTag {
    /// 1–30 characters, unique in the shop without regard to case.
    pub name: String,
    pub colour: Colour,
}

/// Why a tag action did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    /// A value cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// No such tag or ticket among the user's shops.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The user's role may not do this.
    #[error("the role `{}` may not {}", .0.role.as_str(), .0.action.name())]
    Forbidden(Denied),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<Denied> for TagError {
    fn from(denied: Denied) -> TagError {
        TagError::Forbidden(denied)
    }
}

impl From<FieldError> for TagError {
    fn from(error: FieldError) -> TagError {
        TagError::Invalid(error)
    }
}

/// A tag's name, trimmed: 1–30 characters.
fn tag_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(FieldError::new("name", "tags.error.name_empty")),
        1..=30 => Ok(name.to_string()),
        _ => Err(FieldError::new("name", "tags.error.name_long")),
    }
}

/// A unique-name violation as the field error it is.
fn name_taken(error: sqlx::Error) -> TagError {
    match &error {
        error if crate::db::violates(error, "tags_name") => {
            TagError::Invalid(FieldError::new("name", "tags.error.name_taken"))
        }
        _ => TagError::Storage(error),
    }
}

/// A shop's tags, by name.
pub async fn list(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<Tag>> {
    all_of(shop).all(db).await
}

/// The shop's tags, by name.
pub fn all_of(shop: ShopId) -> Read<Tag> {
    Read::new("SELECT shop_id, id, name, colour FROM tags WHERE shop_id = $1 ORDER BY lower(name), id").bind(shop)
}

/// One tag of a shop.
pub async fn get(db: impl PgExecutor<'_>, shop: ShopId, id: i64) -> sqlx::Result<Option<Tag>> {
    sqlx::query_as("SELECT shop_id, id, name, colour FROM tags WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Creates a tag of `shop` (supervisors and admins).
pub async fn create(
    pool: &PgPool,
    user: &CurrentUser,
    shop: ShopId,
    input: &NewTag,
    now: DateTime<Utc>,
) -> Result<Tag, TagError> {
    user.require(Action::ManageTags)?;
    if !user.can_see_shop(shop) {
        return Err(TagError::NotFound("shop"));
    }
    let name = tag_name(&input.name)?;
    sqlx::query_as(
        "INSERT INTO tags (shop_id, name, colour, created_at) VALUES ($1, $2, $3, $4)
         RETURNING shop_id, id, name, colour",
    )
    .bind(shop)
    .bind(name)
    .bind(input.colour)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(name_taken)
}

/// Renames a tag or changes its colour (supervisors and admins).
pub async fn update(pool: &PgPool, user: &CurrentUser, shop: ShopId, id: i64, input: &NewTag) -> Result<Tag, TagError> {
    user.require(Action::ManageTags)?;
    if !user.can_see_shop(shop) {
        return Err(TagError::NotFound("shop"));
    }
    let name = tag_name(&input.name)?;
    sqlx::query_as(
        "UPDATE tags SET name = $3, colour = $4 WHERE shop_id = $1 AND id = $2 RETURNING shop_id, id, name, colour",
    )
    .bind(shop)
    .bind(id)
    .bind(name)
    .bind(input.colour)
    .fetch_optional(pool)
    .await
    .map_err(name_taken)?
    .ok_or(TagError::NotFound("tag"))
}

/// Deletes a tag, and with it every use on tickets (supervisors and admins).
pub async fn delete(pool: &PgPool, user: &CurrentUser, shop: ShopId, id: i64) -> Result<(), TagError> {
    user.require(Action::ManageTags)?;
    if !user.can_see_shop(shop) {
        return Err(TagError::NotFound("shop"));
    }
    let removed = sqlx::query("DELETE FROM tags WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(TagError::NotFound("tag"));
    }
    Ok(())
}

/// The tags on one ticket, by name.
pub async fn of_ticket(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Tag>> {
    on_ticket(shop, ticket).all(db).await
}

/// The tags on a ticket, by name.
pub fn on_ticket(shop: ShopId, ticket: TicketId) -> Read<Tag> {
    Read::new(
        "SELECT g.shop_id, g.id, g.name, g.colour FROM ticket_tags tt
         JOIN tags g ON g.shop_id = tt.shop_id AND g.id = tt.tag_id
         WHERE tt.shop_id = $1 AND tt.ticket_id = $2 ORDER BY lower(g.name), g.id",
    )
    .bind(shop)
    .bind(ticket)
}

/// A tag on a ticket, as [`on_tickets`] reads it.
#[derive(Clone, Debug, Deserialize, sqlx::FromRow)]
pub struct TicketTag {
    pub ticket_id: TicketId,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub tag: Tag,
}

/// The tags on each of `tickets` (a queue page's rows), by name: a read for the page's batch,
/// whose rows [`by_ticket`] groups.
pub fn on_tickets(tickets: &[(ShopId, TicketId)]) -> Read<TicketTag> {
    let shops: Vec<ShopId> = tickets.iter().map(|(s, _)| *s).collect();
    let ids: Vec<TicketId> = tickets.iter().map(|(_, t)| *t).collect();
    Read::new(
        "SELECT tt.ticket_id, g.shop_id, g.id, g.name, g.colour
         FROM unnest($1::bigint[], $2::bigint[]) AS p (shop_id, ticket_id)
         JOIN ticket_tags tt ON tt.shop_id = p.shop_id AND tt.ticket_id = p.ticket_id
         JOIN tags g ON g.shop_id = tt.shop_id AND g.id = tt.tag_id
         ORDER BY tt.ticket_id, lower(g.name), g.id",
    )
    .bind(shops)
    .bind(ids)
}

/// The rows of [`on_tickets`], by ticket, in their order.
pub fn by_ticket(rows: Vec<TicketTag>) -> HashMap<TicketId, Vec<Tag>> {
    let mut by_ticket: HashMap<TicketId, Vec<Tag>> = HashMap::new();
    for row in rows {
        by_ticket.entry(row.ticket_id).or_default().push(row.tag);
    }
    by_ticket
}

/// The shop of a ticket among the user's shops, for tagging it.
async fn shop_of(db: impl PgExecutor<'_>, user: &CurrentUser, ticket: TicketId) -> Result<ShopId, TagError> {
    sqlx::query_scalar("SELECT shop_id FROM tickets WHERE id = $1 AND shop_id = ANY($2)")
        .bind(ticket)
        .bind(&user.shops)
        .fetch_optional(db)
        .await?
        .ok_or(TagError::NotFound("ticket"))
}

/// Puts tag `tag` on ticket `ticket` (whoever works tickets); a tag already there stays.
pub async fn add(
    pool: &PgPool,
    user: &CurrentUser,
    ticket: TicketId,
    tag: i64,
    now: DateTime<Utc>,
) -> Result<(), TagError> {
    bulk(pool, user, &[ticket], tag, true, now).await.map(|_| ())
}

/// Takes tag `tag` off ticket `ticket`.
pub async fn remove(
    pool: &PgPool,
    user: &CurrentUser,
    ticket: TicketId,
    tag: i64,
    now: DateTime<Utc>,
) -> Result<(), TagError> {
    bulk(pool, user, &[ticket], tag, false, now).await.map(|_| ())
}

/// Puts a tag on (`add`) or takes it off many tickets of its shop at once: all of them, in one
/// transaction, or none (a ticket not found among the user's shops, or of another shop than the
/// tag's, refuses the whole). Returns how many tickets changed.
pub async fn bulk(
    pool: &PgPool,
    user: &CurrentUser,
    tickets: &[TicketId],
    tag: i64,
    add: bool,
    now: DateTime<Utc>,
) -> Result<u64, TagError> {
    user.require(Action::WorkTickets)?;
    if tickets.is_empty() {
        return Err(FieldError::new("ticket", "tags.error.pick_tickets").into());
    }
    if tickets.len() > BULK_LIMIT {
        return Err(FieldError::new("ticket", "tags.error.too_many")
            .with("n", BULK_LIMIT)
            .into());
    }
    let mut tx = pool.begin().await?;
    let shop = shop_of(&mut *tx, user, tickets[0]).await?;
    let Some(tag) = get(&mut *tx, shop, tag).await? else {
        return Err(FieldError::new("tag", "tags.error.no_such_tag").into());
    };
    let found: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE shop_id = $1 AND id = ANY($2)")
        .bind(shop)
        .bind(tickets)
        .fetch_one(&mut *tx)
        .await?;
    if found != tickets.len() as i64 {
        return Err(FieldError::new("ticket", "tags.error.one_shop").into());
    }
    let changed = if add {
        // Counted from RETURNING, not the command's count: on Citus an INSERT … SELECT run
        // through the coordinator reports the rows selected, conflicts included.
        sqlx::query(
            "INSERT INTO ticket_tags (shop_id, ticket_id, tag_id, added_by, added_at)
             SELECT $1, id, $3, $4, $5 FROM unnest($2::bigint[]) AS id
             ON CONFLICT DO NOTHING RETURNING 1",
        )
        .bind(shop)
        .bind(tickets)
        .bind(tag.id)
        .bind(user.id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        .len() as u64
    } else {
        sqlx::query("DELETE FROM ticket_tags WHERE shop_id = $1 AND ticket_id = ANY($2) AND tag_id = $3")
            .bind(shop)
            .bind(tickets)
            .bind(tag.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    };
    tx.commit().await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_colour_reads_back_from_its_stored_form() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(colour));
        }
        assert_eq!(Colour::parse("pink"), None);
    }

    #[test]
    fn a_tag_name_is_trimmed_and_holds_one_to_thirty_characters() {
        assert_eq!(tag_name("  破损  ").as_deref(), Ok("破损"));
        assert_eq!(tag_name("   ").unwrap_err().message.key, "tags.error.name_empty");
        assert!(tag_name(&"字".repeat(30)).is_ok(), "thirty Chinese characters fit");
        assert_eq!(
            tag_name(&"字".repeat(31)).unwrap_err().message.key,
            "tags.error.name_long"
        );
    }
}
