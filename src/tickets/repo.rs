//! SQL for the `tickets` and `ticket_events` tables. Every query is scoped by shop.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

use super::model::{Event, Ticket, ticket_select};
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::workflow::{Status, TicketKind};

/// One ticket among `shops`.
pub async fn get(db: impl PgExecutor<'_>, shops: &[ShopId], id: TicketId) -> sqlx::Result<Option<Ticket>> {
    sqlx::query_as(concat!(ticket_select!(), "WHERE t.id = $1 AND t.shop_id = ANY($2)"))
        .bind(id)
        .bind(shops)
        .fetch_optional(db)
        .await
}

/// One ticket, locked for change until the transaction ends.
pub async fn get_for_update(conn: &mut PgConnection, shops: &[ShopId], id: TicketId) -> sqlx::Result<Option<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.id = $1 AND t.shop_id = ANY($2) FOR UPDATE OF t"
    ))
    .bind(id)
    .bind(shops)
    .fetch_optional(conn)
    .await
}

/// The timeline of a ticket, oldest first.
pub async fn events(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(
        "SELECT e.id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.data
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.shop_id = $1 AND e.ticket_id = $2 ORDER BY e.at, e.id",
    )
    .bind(shop)
    .bind(ticket)
    .fetch_all(db)
    .await
}

/// Appends an event to a ticket's timeline.
pub async fn append_event(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    kind: &str,
    data: Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(shop)
    .bind(ticket)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(data)
    .execute(db)
    .await?;
    Ok(())
}

/// Filters for ticket lists. `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub kind: Option<TicketKind>,
    pub status: Option<Status>,
    pub assignee: Option<UserId>,
    pub unassigned: bool,
    pub overdue: Option<bool>,
    /// An order number (exact) or the start of a buyer's name.
    pub query: Option<String>,
    pub open_only: bool,
}

/// Tickets newest first, keyset-paged by id: pass the last id seen as `before`.
pub async fn list_recent(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    filter: &Filter,
    now: DateTime<Utc>,
    before: Option<TicketId>,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.shop_id = ANY($1)
           AND ($2::text IS NULL OR t.kind = $2)
           AND ($3::text IS NULL OR t.status = $3)
           AND ($4::bigint IS NULL OR t.assignee_id = $4)
           AND (NOT $5 OR t.assignee_id IS NULL)
           AND ($6::boolean IS NULL OR (COALESCE(t.follow_up_due_at < $7, false)) = $6)
           AND ($8::text IS NULL OR o.order_no = $8 OR c.nick ILIKE replace(replace($8, '%', ''), '_', '\\_') || '%')
           AND (NOT $9 OR t.closed_at IS NULL)
           AND ($10::bigint IS NULL OR t.id < $10)
         ORDER BY t.id DESC LIMIT $11"
    ))
    .bind(shops)
    .bind(filter.kind.map(|k| k.as_str()))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.assignee)
    .bind(filter.unassigned)
    .bind(filter.overdue)
    .bind(now)
    .bind(filter.query.as_deref())
    .bind(filter.open_only)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Open tickets by their first deadline — follow-up, platform timer or platform decision,
/// whichever comes first (`queue_due_at`); most overdue first, tickets without any deadline last.
/// Keyset-paged by `(deadline, id)`.
pub async fn list_by_due(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    filter: &Filter,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, TicketId)>,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    // The page is chosen from `tickets` alone, shop by shop, in the order of the index
    // `(shop_id, assignee_id, queue_due_at, id)` (NULLs last: the same order as `infinity`), so
    // that an agent with thousands of open tickets reads about one page of index entries; only
    // then are its rows joined to their orders, buyers and assignees. The statement holds only
    // the filters in use: one with every filter optional (`$2 IS NULL OR …`) was planned anew on
    // every call, which cost more than running it (docs/PERFORMANCE.md).
    // A person of one shop (most) gets a statement on that shop alone, with the page size as a
    // literal: PostgreSQL then settles on one generic plan per connection (measured: planning
    // 2–5 ms per call before, 0.01 ms after).
    let limit = limit.max(1);
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH page AS (");
    if let [shop] = shops {
        q.push("SELECT t.shop_id, t.id FROM tickets t WHERE t.shop_id = ")
            .push_bind(*shop)
            .push(" AND t.closed_at IS NULL");
    } else {
        q.push("SELECT p.shop_id, p.id FROM unnest(").push_bind(shops).push(
            "::bigint[]) AS shop (id) CROSS JOIN LATERAL (
                 SELECT t.shop_id, t.id, t.queue_due_at FROM tickets t
                 WHERE t.shop_id = shop.id AND t.closed_at IS NULL",
        );
    }
    if let Some(kind) = filter.kind {
        q.push(" AND t.kind = ").push_bind(kind.as_str());
    }
    if let Some(status) = filter.status {
        q.push(" AND t.status = ").push_bind(status.as_str());
    }
    if let Some(assignee) = filter.assignee {
        q.push(" AND t.assignee_id = ").push_bind(assignee);
    }
    if filter.unassigned {
        q.push(" AND t.assignee_id IS NULL");
    }
    if let Some(overdue) = filter.overdue {
        q.push(" AND COALESCE(t.follow_up_due_at < ")
            .push_bind(now)
            .push(", false) = ")
            .push_bind(overdue);
    }
    if let Some(query) = filter.query.as_deref() {
        q.push(
            " AND (EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = t.shop_id AND o.id = t.order_id
                           AND o.order_no = ",
        )
        .push_bind(query)
        .push(
            ") OR EXISTS (SELECT 1 FROM customers c WHERE c.shop_id = t.shop_id AND c.id = t.customer_id
                          AND c.nick ILIKE replace(replace(",
        )
        .push_bind(query)
        .push(", '%', ''), '_', '\\_') || '%'))");
    }
    if let Some((due, id)) = after {
        q.push(" AND (COALESCE(t.queue_due_at, 'infinity'), t.id) > (")
            .push_bind(due)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format_args!(" ORDER BY t.queue_due_at, t.id LIMIT {limit}"));
    if shops.len() != 1 {
        q.push(format_args!(") AS p ORDER BY p.queue_due_at, p.id LIMIT {limit}"));
    }
    q.push(") ")
        .push(ticket_select!())
        .push("WHERE (t.shop_id, t.id) IN (SELECT shop_id, id FROM page) ORDER BY t.queue_due_at, t.id");
    q.build_query_as().fetch_all(db).await
}

/// Counts of open tickets per kind for the filter chips, for the same assignee scope.
pub async fn open_counts_by_kind(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    assignee: Option<UserId>,
    unassigned: bool,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT kind, count(*) FROM tickets
         WHERE shop_id = ANY($1) AND closed_at IS NULL
           AND ($2::bigint IS NULL OR assignee_id = $2) AND (NOT $3 OR assignee_id IS NULL)
         GROUP BY kind",
    )
    .bind(shops)
    .bind(assignee)
    .bind(unassigned)
    .fetch_all(db)
    .await
}

/// Open tickets whose follow-up falls due in `[from, until)`, soonest first — the supervisor's
/// overdue (`from` = -infinity, `until` = now) and due-soon (`now`, `now + N h`) queues.
pub async fn list_follow_up_window(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    from: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    assignee: Option<UserId>,
    unassigned: bool,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.shop_id = ANY($1)
           AND t.follow_up_due_at < $3
           AND ($2::timestamptz IS NULL OR t.follow_up_due_at >= $2)
           AND ($4::bigint IS NULL OR t.assignee_id = $4)
           AND (NOT $5 OR t.assignee_id IS NULL)
         ORDER BY t.follow_up_due_at, t.id LIMIT $6"
    ))
    .bind(shops)
    .bind(from)
    .bind(until)
    .bind(assignee)
    .bind(unassigned)
    .bind(limit)
    .fetch_all(db)
    .await
}
