//! Linked and merged tickets of one order. Owns the `ticket_links` table (a pair stored once,
//! read both ways); asks `rules::links` whether two tickets go together; writes the timeline's
//! `link` events on both tickets and, for a merge, closes the merged ticket through
//! `tickets::repo::store_merge` — one transaction each. Its JSON API is `api.rs`, its part of
//! the ticket page `page.rs`.

pub mod api;
pub mod page;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId};
use crate::rules::links::{self, LinkFacts, LinkRefusal};
use crate::tickets::events::{LinkChange, LinkEvent};
use crate::tickets::repo::Neighbour;
use crate::tickets::{EventData, Ticket, TicketError, repo, service};

/// Why a link, unlink or merge did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The ticket (or the other one) is not found, not the user's to change, or stale.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// The rules refuse the pair; `field` is the form's field naming the other ticket.
    #[error("{field}: {}", crate::i18n::Message::new(.refusal.message_key()).english())]
    Refused { field: &'static str, refusal: LinkRefusal },
}

impl From<sqlx::Error> for LinkError {
    fn from(error: sqlx::Error) -> LinkError {
        LinkError::Ticket(TicketError::Storage(error))
    }
}

impl From<crate::auth::Denied> for LinkError {
    fn from(denied: crate::auth::Denied) -> LinkError {
        LinkError::Ticket(TicketError::Forbidden(denied))
    }
}

impl LinkError {
    /// The refusal as a field error (the message next to the form's field).
    pub fn field(&self) -> Option<FieldError> {
        match self {
            LinkError::Refused { field, refusal } => Some(FieldError::new(field, refusal.message_key())),
            LinkError::Ticket(error) => error.field().cloned(),
        }
    }
}

/// What a merge is asked for: the ticket to merge into, the version of the ticket merged as the
/// person saw it, and why.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewMerge {
    /// The open ticket of the same order that carries on.
    #[schema(value_type = i64)]
    pub into: TicketId,
    /// The merged ticket's version as loaded (409 if it changed since).
    pub version: Option<i32>,
    /// Why (kept on both timelines' events).
    #[serde(default)]
    pub note: Option<String>,
}

fn facts(ticket: &Ticket) -> LinkFacts {
    LinkFacts {
        id: ticket.id,
        shop: ticket.shop_id,
        order: ticket.order_id,
        closed: ticket.closed_at.is_some(),
    }
}

/// Locks two tickets for change, the lower id first (two people linking the same pair from
/// both ends never wait on each other in a circle). The first answer is `id`'s ticket.
async fn lock_pair(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    id: TicketId,
    version: Option<i32>,
    other: TicketId,
    other_field: &'static str,
) -> Result<(Ticket, Ticket), LinkError> {
    if id == other {
        return Err(LinkError::Refused {
            field: other_field,
            refusal: LinkRefusal::SameTicket,
        });
    }
    let lock_other = async |tx: &mut sqlx::PgConnection| match service::lock_for_change(tx, user, other, None).await {
        // The other ticket is named in the form: say so next to its field.
        Err(TicketError::NotFound) => Err(LinkError::Ticket(TicketError::Invalid(FieldError::new(
            other_field,
            "links.error.no_such_ticket",
        )))),
        result => result.map_err(LinkError::from),
    };
    if id < other {
        let first = service::lock_for_change(tx, user, id, version).await?;
        let second = lock_other(tx).await?;
        Ok((first, second))
    } else {
        let second = lock_other(tx).await?;
        let first = service::lock_for_change(tx, user, id, version).await?;
        Ok((first, second))
    }
}

async fn record(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    change: LinkChange,
    other: TicketId,
    note: Option<String>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    repo::touch(&mut *tx, ticket.shop_id, ticket.id, now).await?;
    let event = EventData::Link(LinkEvent {
        change,
        ticket: other,
        note,
    });
    repo::append_event(&mut *tx, ticket.shop_id, ticket.id, now, Some(user.id), &event).await
}

/// Links ticket `id` with `other`, a ticket of the same order: shown on both pages, a `link`
/// event on both timelines. Linking a linked pair again changes nothing.
pub async fn link(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    other: TicketId,
    now: DateTime<Utc>,
) -> Result<Ticket, LinkError> {
    let mut tx = pool.begin().await?;
    let (ticket, linked) = lock_pair(&mut tx, user, id, None, other, "link_to").await?;
    links::may_link(&facts(&ticket), &facts(&linked)).map_err(|refusal| LinkError::Refused {
        field: "link_to",
        refusal,
    })?;
    let (low, high) = if id < other { (id, other) } else { (other, id) };
    let inserted = sqlx::query(
        "INSERT INTO ticket_links (shop_id, ticket_low, ticket_high, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(ticket.shop_id)
    .bind(low)
    .bind(high)
    .bind(user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted > 0 {
        record(&mut tx, user, &ticket, LinkChange::Linked, other, None, now).await?;
        record(&mut tx, user, &linked, LinkChange::Linked, id, None, now).await?;
    }
    let updated = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// Removes the link between `id` and `other` (an `unlinked` event on both); nothing when they
/// were not linked.
pub async fn unlink(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    other: TicketId,
    now: DateTime<Utc>,
) -> Result<Ticket, LinkError> {
    let mut tx = pool.begin().await?;
    let (ticket, linked) = lock_pair(&mut tx, user, id, None, other, "link_to").await?;
    let (low, high) = if id < other { (id, other) } else { (other, id) };
    let removed = sqlx::query("DELETE FROM ticket_links WHERE shop_id = $1 AND ticket_low = $2 AND ticket_high = $3")
        .bind(ticket.shop_id)
        .bind(low)
        .bind(high)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed > 0 {
        record(&mut tx, user, &ticket, LinkChange::Unlinked, other, None, now).await?;
        record(&mut tx, user, &linked, LinkChange::Unlinked, id, None, now).await?;
    }
    let updated = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// Merges ticket `id` into `input.into`, an open ticket of the same order (supervisors and
/// admins: `Action::MergeTickets`). The merged ticket is closed with a pointer to the other
/// (`rules::links::merged_position`), leaving every queue; its timeline stays whole, a
/// `merged_into` event added; the other's timeline records a `merged_from` event. Audited.
pub async fn merge(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewMerge,
    now: DateTime<Utc>,
) -> Result<Ticket, LinkError> {
    user.require(Action::MergeTickets)?;
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2_000) {
        return Err(TicketError::Invalid(FieldError::new("merge_note", "links.error.note_too_long")).into());
    }
    let mut tx = pool.begin().await?;
    let (ticket, target) = lock_pair(&mut tx, user, id, input.version, input.into, "merge_into").await?;
    links::may_merge(&facts(&ticket), &facts(&target)).map_err(|refusal| LinkError::Refused {
        field: "merge_into",
        refusal,
    })?;
    let merged = links::merged_position(ticket.position);
    repo::store_merge(&mut tx, ticket.shop_id, id, merged, target.id, now).await?;
    let event = EventData::Link(LinkEvent {
        change: LinkChange::MergedInto,
        ticket: target.id,
        note: note.clone(),
    });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    record(&mut tx, user, &target, LinkChange::MergedFrom, id, note, now).await?;
    crate::audit::record(
        &mut *tx,
        user.id,
        crate::audit::action::TICKET_MERGED,
        Some(ticket.shop_id),
        &id.to_string(),
        json!({ "ticket": id, "into": target.id, "status_before": ticket.status() }),
    )
    .await?;
    let updated = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// The tickets linked to `ticket`, whichever side the link was made from, by id.
pub fn linked_neighbours(shop: ShopId, ticket: TicketId) -> Read<Neighbour> {
    Read::new(
        "SELECT t.id, t.kind, t.status, t.closed_at IS NOT NULL AS closed FROM tickets t
         WHERE t.shop_id = $1 AND t.id IN (
             SELECT ticket_high FROM ticket_links WHERE shop_id = $1 AND ticket_low = $2
             UNION ALL SELECT ticket_low FROM ticket_links WHERE shop_id = $1 AND ticket_high = $2)
         ORDER BY t.id",
    )
    .bind(shop)
    .bind(ticket)
}
