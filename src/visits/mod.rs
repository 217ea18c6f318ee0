//! Return visits (回访) and satisfaction: once a ticket is done (resolved, refunded, replacement
//! shipped) a visit falls due — ask the buyer whether the problem is solved — and the answer
//! (satisfied or not, a comment) is recorded. *Not satisfied* reopens a done ticket through the
//! workflow's own reopen move ([`Position::reopen`](crate::rules::workflow::Position::reopen)),
//! and on a closed ticket opens a linked follow-up ticket
//! ([`open_follow_up_ticket`](crate::tickets::service::open_follow_up_ticket)); either in the
//! same transaction as the answer. Owns `return_visits`.

pub mod api;
pub mod page;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::calendar::Calendar;
use crate::tickets::events::{EventData, ReturnVisit};
use crate::tickets::{Ticket, repo, service};

/// A visit as stored.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Visit {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub answered_by: Option<UserId>,
    pub satisfied: Option<bool>,
    pub comment: String,
    /// Whether the not-satisfied answer reopened the ticket.
    pub reopened: bool,
    /// The follow-up ticket a not-satisfied answer on a closed ticket opened.
    #[schema(value_type = Option<i64>)]
    pub follow_up_ticket_id: Option<TicketId>,
}

/// The columns [`Visit`] reads (a macro so that `concat!` keeps every query a static string).
macro_rules! visit_columns {
    () => {
        "id, shop_id, ticket_id, created_at, due_at, answered_at, answered_by, satisfied, comment, reopened,
         follow_up_ticket_id"
    };
}

/// Schedules a visit for a ticket that just became done, unless one is already waiting. The
/// visit falls due one follow-up cycle later (the buyer has had time to see the result).
pub async fn schedule(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    now: DateTime<Utc>,
    cycle_hours: u32,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO return_visits (shop_id, ticket_id, created_at, due_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (shop_id, ticket_id) WHERE answered_at IS NULL DO NOTHING",
    )
    .bind(shop)
    .bind(ticket)
    .bind(now)
    .bind(now + Duration::hours(i64::from(cycle_hours)))
    .execute(conn)
    .await?;
    Ok(())
}

/// The visits of a ticket, newest first (the waiting one, if any, first of all).
pub async fn for_ticket(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Visit>> {
    of_ticket(shop, ticket).all(db).await
}

/// A ticket's visits, the waiting one first, then the answers newest first.
pub fn of_ticket(shop: ShopId, ticket: TicketId) -> Read<Visit> {
    Read::new(concat!(
        "SELECT ",
        visit_columns!(),
        " FROM return_visits WHERE shop_id = $1 AND ticket_id = $2 ORDER BY answered_at DESC NULLS FIRST, id DESC"
    ))
    .bind(shop)
    .bind(ticket)
}

/// A waiting visit with its ticket's facts, for the visit list.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct DueVisit {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    pub due_at: DateTime<Utc>,
    pub buyer: String,
    pub order_no: String,
    pub kind: String,
    pub status: String,
    pub assignee_name: Option<String>,
}

/// Waiting visits of `shops`, soonest due first.
pub async fn waiting(pool: &PgPool, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<DueVisit>> {
    repo::waiting_visits(pool, shops, limit).await
}

/// The buyer's answer (`POST /api/v1/tickets/{id}/return-visit`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitAnswer {
    /// Whether the buyer says the problem is solved.
    pub satisfied: bool,
    /// What the buyer said.
    #[serde(default)]
    #[schema(max_length = 2000, example = "买家表示已收到退款，很满意")]
    pub comment: String,
    /// If given, refused (409) when the ticket changed since.
    #[serde(default)]
    pub version: Option<i32>,
}

/// What recording an answer did.
pub struct Recorded {
    pub ticket: Ticket,
    pub visit: Visit,
    /// The follow-up ticket the answer opened, if it did.
    pub follow_up: Option<Ticket>,
}

/// Why a return visit's answer was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    /// A field cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// The ticket is still being worked: no visit is asked yet.
    #[error("the ticket is still being worked (status `{status}`)")]
    NotDone { status: &'static str },
    /// The ticket is not there (or not in the user's shops).
    #[error("no such ticket")]
    NotFound,
    /// The ticket service refused the change (a stale version, a closed ticket, …), as it
    /// says it. (Its own error type: `tickets::service` answers it.)
    #[error("{0}")]
    Ticket(crate::tickets::TicketError),
    /// The database refused or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Records the buyer's answer on the ticket's waiting visit (or on a fresh one, when the ticket
/// is done or closed and none was waiting). Not satisfied reopens a done ticket; a closed one
/// stays closed and a follow-up ticket is opened for it, linked both ways (the new ticket names
/// the old one, the visit and its timeline event name the new one). All in one transaction.
pub async fn record(
    pool: &PgPool,
    calendar: &Calendar,
    user: &CurrentUser,
    id: TicketId,
    answer: VisitAnswer,
    now: DateTime<Utc>,
) -> Result<Recorded, VisitError> {
    let comment = answer.comment.trim().to_string();
    if comment.chars().count() > 2000 {
        return Err(VisitError::Invalid(
            FieldError::new("comment", "visits.error.comment_too_long").with("max", 2000),
        ));
    }
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, answer.version)
        .await
        .map_err(VisitError::Ticket)?;
    // A ticket merged into another is asked about no more: its case goes on in the other.
    if ticket.merged_into.is_some() {
        return Err(VisitError::Ticket(crate::tickets::TicketError::Closed));
    }
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM return_visits WHERE shop_id = $1 AND ticket_id = $2 AND answered_at IS NULL FOR UPDATE",
    )
    .bind(ticket.shop_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let done_or_closed = ticket.status().asks_for_return_visit() || ticket.status().is_closed();
    let visit_id = match waiting {
        Some(visit) => visit,
        None if done_or_closed => sqlx::query_scalar(
            "INSERT INTO return_visits (shop_id, ticket_id, created_at, due_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(ticket.shop_id)
        .bind(id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?,
        None => {
            return Err(VisitError::NotDone {
                status: ticket.status().as_str(),
            });
        }
    };
    let reopen = if answer.satisfied {
        None
    } else {
        ticket.position.reopen()
    };
    let follow_up = if !answer.satisfied && reopen.is_none() && ticket.status().is_closed() {
        Some(
            service::open_follow_up_ticket(&mut tx, user, &ticket, &comment, now)
                .await
                .map_err(VisitError::Ticket)?,
        )
    } else {
        None
    };
    let visit: Visit = sqlx::query_as(concat!(
        "UPDATE return_visits SET answered_at = $3, answered_by = $4, satisfied = $5, comment = $6, reopened = $7,
                follow_up_ticket_id = $8
         WHERE shop_id = $1 AND id = $2 RETURNING ",
        visit_columns!()
    ))
    .bind(ticket.shop_id)
    .bind(visit_id)
    .bind(now)
    .bind(user.id)
    .bind(answer.satisfied)
    .bind(&comment)
    .bind(reopen.is_some())
    .bind(follow_up)
    .fetch_one(&mut *tx)
    .await?;
    // The answer first, then (if any) the reopening it caused: the timeline reads in order.
    repo::touch(&mut *tx, ticket.shop_id, id, now).await?;
    let event = EventData::ReturnVisit(ReturnVisit {
        visit: visit.id,
        satisfied: answer.satisfied,
        comment: comment.clone(),
        reopened: reopen.is_some(),
        follow_up_ticket: follow_up,
    });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    // Whoever holds the ticket hears of a dissatisfied buyer, unless they recorded it themselves.
    if let Some(holder) = ticket.assignee_id.filter(|h| !answer.satisfied && *h != user.id) {
        crate::notifications::notify(
            &mut *tx,
            ticket.shop_id,
            holder,
            id,
            crate::notifications::Kind::VisitNotSatisfied,
            user.id,
            &comment,
            now,
        )
        .await?;
    }
    if let Some(next) = reopen {
        let note = (!comment.is_empty()).then(|| comment.clone());
        service::apply_move(&mut tx, calendar, user, &ticket, next, None, note, Some(visit.id), now)
            .await
            .map_err(VisitError::Ticket)?;
    }
    let ticket = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(VisitError::NotFound)?;
    let follow_up = match follow_up {
        Some(new) => Some(
            repo::get(&mut *tx, &user.shops, new)
                .await?
                .ok_or(VisitError::NotFound)?,
        ),
        None => None,
    };
    tx.commit().await?;
    Ok(Recorded {
        ticket,
        visit,
        follow_up,
    })
}

/// Satisfaction of a shop's answered visits in `[from, to)` (answer time).
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Satisfaction {
    pub answered: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
    /// satisfied ÷ answered, in per mille (0–1000); null when nothing was answered.
    pub satisfaction_permille: Option<i64>,
    /// Visits still waiting for an answer now, and how many of those are past due.
    pub waiting: i64,
    pub waiting_overdue: i64,
}

/// The satisfaction figures of a shop.
pub async fn satisfaction(
    pool: &PgPool,
    shop: ShopId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<Satisfaction> {
    let (answered, satisfied): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE satisfied) FROM return_visits
         WHERE shop_id = $1 AND answered_at >= $2 AND answered_at < $3",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    let (waiting, waiting_overdue): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE due_at < $2) FROM return_visits
         WHERE shop_id = $1 AND answered_at IS NULL",
    )
    .bind(shop)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(Satisfaction {
        answered,
        satisfied,
        not_satisfied: answered - satisfied,
        satisfaction_permille: (answered > 0).then(|| satisfied * 1000 / answered),
        waiting,
        waiting_overdue,
    })
}
