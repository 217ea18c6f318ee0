//! SQL for the `tickets` and `ticket_events` tables — all of it, but for the reports' rollup
//! definitions: the service's reads and writes, the queues, and what other features read or
//! load in bulk (follow-up loads and daily figures, the buyer file, waiting visits, the refund
//! import's duplicate check, the demo shop, the benchmark's samples). Queries are scoped by shop,
//! except the follow-up sweep's and the recounts', which look across shops.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::{Connection, PgConnection, PgExecutor, PgPool};

use super::events::{Escalated, EventData};
use super::model::{Event, SevenDayRecord, Ticket, ticket_select};
use crate::db::batch::Read;
use crate::ids::{CustomerId, OrderId, ShopId, TicketId, UserId};
use crate::money::Fen;
use crate::rules::reason::ReasonCode;
use crate::rules::rejection::RejectionReason;
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};

/// One ticket among `shops`.
pub async fn get(db: impl PgExecutor<'_>, shops: &[ShopId], id: TicketId) -> sqlx::Result<Option<Ticket>> {
    sqlx::query_as(concat!(ticket_select!(), "WHERE t.id = $1 AND t.shop_id = ANY($2)"))
        .bind(id)
        .bind(shops)
        .fetch_optional(db)
        .await
}

/// The shop of one ticket among `shops` (a light look-up for the page's presence beats).
pub async fn shop_of(db: impl PgExecutor<'_>, shops: &[ShopId], id: TicketId) -> sqlx::Result<Option<ShopId>> {
    sqlx::query_scalar("SELECT shop_id FROM tickets WHERE id = $1 AND shop_id = ANY($2)")
        .bind(id)
        .bind(shops)
        .fetch_optional(db)
        .await
}

/// One ticket, locked for change until the transaction ends. The lock names the ticket's own
/// shop (looked up first for a person of several shops): on Citus only a statement on one shop
/// may lock rows (docs/ARCHITECTURE.md "From one PostgreSQL to a Citus cluster").
pub async fn get_for_update(conn: &mut PgConnection, shops: &[ShopId], id: TicketId) -> sqlx::Result<Option<Ticket>> {
    let shop = match shops {
        [one] => *one,
        _ => match shop_of(&mut *conn, shops, id).await? {
            Some(shop) => shop,
            None => return Ok(None),
        },
    };
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.id = $1 AND t.shop_id = $2 FOR UPDATE OF t"
    ))
    .bind(id)
    .bind(shop)
    .fetch_optional(conn)
    .await
}

/// The events of a ticket after event `after` by others than `me`, oldest first (what changed
/// under a page that showed the timeline up to `after`).
pub async fn events_by_others_after(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    after: i64,
    me: UserId,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(
        "SELECT e.id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.data
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.shop_id = $1 AND e.ticket_id = $2 AND e.id > $3 AND e.actor_id IS DISTINCT FROM $4
         ORDER BY e.at, e.id",
    )
    .bind(shop)
    .bind(ticket)
    .bind(after)
    .bind(me)
    .fetch_all(db)
    .await
}

/// How far before its ticket's opening (or after its closing) an event may be dated: the clocks
/// of two servers differ a little. See [`append_event`].
macro_rules! clock_margin {
    () => {
        "interval '1 day'"
    };
}
pub(crate) use clock_margin;

/// The timeline of a ticket, oldest first. Only the months from its opening on are read.
pub async fn events(db: impl PgExecutor<'_>, ticket: &Ticket) -> sqlx::Result<Vec<Event>> {
    timeline(ticket).all(db).await
}

/// [`events`] as a read, for the ticket page's batch.
pub fn timeline(ticket: &Ticket) -> Read<Event> {
    Read::new(concat!(
        "SELECT e.id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.data
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.shop_id = $1 AND e.ticket_id = $2 AND e.at >= $3::timestamptz - ",
        clock_margin!(),
        " ORDER BY e.at, e.id"
    ))
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(ticket.opened_at)
}

/// Appends an event to a ticket's timeline: the one writer of `ticket_events`. An event is dated
/// at or after its ticket's opening (the opening's own events at it, a person's and the sweep's
/// later, an import's replayed moves clamped to it), give or take [`clock_margin!`]; a move that
/// closes or refunds is dated at or before the closing. The timeline's reads rely on it to skip
/// the months outside.
pub async fn append_event(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    event: &EventData,
) -> sqlx::Result<()> {
    let (kind, data) = event.to_stored();
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

/// Appends the follow-up sweep's escalation of one missed cycle, unless that cycle was already
/// escalated (the unique index on the cycle decides, so that several servers may sweep at once).
/// The event's time is the cycle's due time: the index holds `at` (the partition key), and one
/// cycle always lands in one month's partition. Returns whether it was appended.
pub async fn append_escalation(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    escalation: Escalated,
) -> sqlx::Result<bool> {
    let at = escalation.cycle_due_at;
    let (kind, data) = EventData::Escalated(escalation).to_stored();
    let inserted = sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
         VALUES ($1, $2, $3, NULL, $4, $5)
         ON CONFLICT (shop_id, ticket_id, at, (data ->> 'cycle_due_at')) WHERE kind = 'escalated'
         DO NOTHING",
    )
    .bind(shop)
    .bind(ticket)
    .bind(at)
    .bind(kind)
    .bind(data)
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// Gives every month of the timeline from `from`'s to `to`'s its partition (months of China
/// Standard Time), moving rows of such a month out of the default partition; returns how many
/// partitions it made. The database's `ticket_events_cover` does it, as the ledger role.
///
/// A cover that lost a deadlock is made again, up to [`COVER_ATTEMPTS`] times in all: it changes
/// the timeline's table (its triggers, its partitions), and another session can hold one of the
/// locks it needs while waiting for one it took — on Citus, a node's autovacuum analysing a
/// month's table. A cover is all or nothing and makes only the months still missing, so making
/// it again is safe.
pub async fn cover_event_months(pool: &PgPool, from: DateTime<Utc>, to: DateTime<Utc>) -> sqlx::Result<i32> {
    let mut attempt = 1;
    loop {
        let covered = sqlx::query_scalar("SELECT ticket_events_cover($1, $2)")
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await;
        match covered {
            Err(sqlx::Error::Database(error))
                if attempt < COVER_ATTEMPTS && error.code().as_deref() == Some("40P01") =>
            {
                tracing::warn!(attempt, %error, "the timeline's months lost a deadlock; covering them again");
                attempt += 1;
            }
            covered => return covered,
        }
    }
}

/// How many times [`cover_event_months`] tries a cover that lost a deadlock.
pub const COVER_ATTEMPTS: u32 = 3;

/// Gives the months of rows waiting in the default partition (an import of old history, a
/// clock set back) their partitions, at most `months` of them; returns how many it made.
pub async fn cover_stray_event_months(db: impl PgExecutor<'_>, months: i32) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT ticket_events_cover_strays($1)")
        .bind(months)
        .fetch_one(db)
        .await
}

/// Marks a ticket changed by a person at `now`: its version goes up by one (so that an edit
/// made against the old version is refused as stale). Every change someone makes to a ticket
/// goes through here or through one of the updates below that include it.
pub async fn touch(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET version = version + 1, updated_at = $3 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(now)
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
    /// Only tickets carrying this tag (`tags`); the queue's statement reads it from the tag's
    /// side (`ticket_tags_by_tag`).
    pub tag: Option<i64>,
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
           AND ($12::bigint IS NULL OR EXISTS (SELECT 1 FROM ticket_tags g
                                               WHERE g.shop_id = t.shop_id AND g.ticket_id = t.id AND g.tag_id = $12))
         ORDER BY t.id DESC LIMIT $11"
    ))
    .bind(shops)
    .bind(filter.kind)
    .bind(filter.status)
    .bind(filter.assignee)
    .bind(filter.unassigned)
    .bind(filter.overdue)
    .bind(now)
    .bind(filter.query.as_deref())
    .bind(filter.open_only)
    .bind(before)
    .bind(limit)
    .bind(filter.tag)
    .fetch_all(db)
    .await
}

/// Open tickets by their first deadline — follow-up, platform timer or platform decision,
/// whichever comes first (`queue_due_at`); most overdue first, tickets without any deadline last.
/// Keyset-paged by `(deadline, id)`.
pub async fn list_by_due(
    db: &mut PgConnection,
    shops: &[ShopId],
    filter: &Filter,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, TicketId)>,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    // A person of several shops gets each shop's page, merged (on Citus a statement on one shop
    // is answered by one node).
    if let [shop] = shops {
        return list_by_due_of(db, *shop, filter, now, after, limit).await;
    }
    let mut found = Vec::new();
    for shop in distinct(shops) {
        found.extend(list_by_due_of(&mut *db, shop, filter, now, after, limit).await?);
    }
    Ok(soonest(found, limit, |t| t.queue_due_at, |t| t.id))
}

/// [`list_by_due`] in one shop.
async fn list_by_due_of(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    filter: &Filter,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, TicketId)>,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    // The page is chosen from `tickets` alone, in the order of the index
    // `(shop_id, assignee_id, queue_due_at, id)` (NULLs last: the same order as `infinity`), so
    // that an agent with thousands of open tickets reads about one page of index entries; only
    // then are its rows joined to their orders, buyers and assignees. The statement holds only
    // the filters in use: one with every filter optional (`$2 IS NULL OR …`) was planned anew on
    // every call, which cost more than running it (docs/PERFORMANCE.md).
    // The statement is on one shop, with the page size as a literal: PostgreSQL then settles on
    // one generic plan per connection (measured: planning 2–5 ms per call before, 0.01 ms after).
    let limit = limit.max(1);
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH page AS (");
    q.push("SELECT t.shop_id, t.id FROM tickets t WHERE t.shop_id = ")
        .push_bind(shop)
        .push(" AND t.closed_at IS NULL");
    if let Some(kind) = filter.kind {
        q.push(" AND t.kind = ").push_bind(kind);
    }
    if let Some(status) = filter.status {
        q.push(" AND t.status = ").push_bind(status);
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
    if let Some(tag) = filter.tag {
        // The tag as a literal (an integer: nothing to quote), so that each tag is planned with
        // its own statistics: a rare tag is read from its side (`ticket_tags_by_tag`, ~1 ms with
        // 30,000 open tickets in a shop of 1,000,000), a common one by walking the queue's order
        // and probing the primary key (~3 ms). A generic plan walked the queue for every tag
        // (~25 ms for a rare one). Still slow (~70 ms there): a tag on many tickets of which
        // hardly any is open, which the statistics cannot tell.
        q.push(format_args!(
            " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.shop_id = t.shop_id AND g.ticket_id = t.id AND g.tag_id = {tag})"
        ));
    }
    if let Some((due, id)) = after {
        q.push(" AND (COALESCE(t.queue_due_at, 'infinity'), t.id) > (")
            .push_bind(due)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format_args!(" ORDER BY t.queue_due_at, t.id LIMIT {limit}"));
    q.push(") ")
        .push(ticket_select!())
        .push("WHERE (t.shop_id, t.id) IN (SELECT shop_id, id FROM page) ORDER BY t.queue_due_at, t.id");
    q.build_query_as().fetch_all(db).await
}

/// Open tickets of one kind, as [`open_counts`] counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, sqlx::FromRow)]
pub struct KindCount {
    pub kind: TicketKind,
    pub count: i64,
}

/// Counts of open tickets per kind for the filter chips and the header, for the same assignee
/// scope and status filter as the list, as a read for the page's batch; none when nothing can be
/// counted (someone's tickets that are nobody's). Read from the counts kept on write per worker,
/// kind and status (`open_loads` and the changes since, migration `…_open_counts_by_kind_and_status`):
/// a few dozen rows a shop, however many tickets are open.
pub fn open_counts(
    shops: &[ShopId],
    assignee: Option<UserId>,
    unassigned: bool,
    status: Option<Status>,
) -> Option<Read<KindCount>> {
    // One statement per way of choosing the assignee, each a plan of its own (mine, nobody's,
    // everyone's), as the lists choose theirs.
    macro_rules! kept_counts {
        ($assignee:literal) => {
            concat!(
                "SELECT kind, sum(n)::bigint AS count
                 FROM (SELECT kind, status, assignee_key, open AS n FROM open_loads WHERE shop_id = ANY($1)
                       UNION ALL
                       SELECT kind, status, assignee_key, change FROM open_load_changes WHERE shop_id = ANY($1)) AS c
                 WHERE ($2::text IS NULL OR status = $2)",
                $assignee,
                " GROUP BY kind HAVING sum(n) > 0"
            )
        };
    }
    let read = |sql: &'static str| Read::new(sql).bind(shops.to_vec()).bind(status.map(Status::as_str));
    match (assignee, unassigned) {
        // Both asked for: no ticket is someone's and nobody's (as the lists answer).
        (Some(_), true) => None,
        (Some(assignee), false) => Some(read(kept_counts!(" AND assignee_key = $3")).bind(assignee)),
        (None, true) => Some(read(kept_counts!(" AND assignee_key = 0"))),
        (None, false) => Some(read(kept_counts!(""))),
    }
}

/// Where an open ticket stands, narrow: what the supervisor's lists choose, order and rank it
/// by (its place in the workflow, who holds it, the facts its platform clocks run on, its
/// deadlines). Many are read to find the few a page shows, which are then read [`whole`].
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Standing {
    pub shop_id: ShopId,
    pub id: TicketId,
    pub kind: TicketKind,
    pub status: Status,
    pub held_from: Option<Status>,
    pub assignee_id: Option<UserId>,
    pub opened_at: DateTime<Utc>,
    pub order_shipped: bool,
    pub agreed_at: Option<DateTime<Utc>>,
    pub buyer_shipped_at: Option<DateTime<Utc>>,
    pub goods_received_at: Option<DateTime<Utc>>,
    pub timer_due_at: Option<DateTime<Utc>>,
    pub platform_deadline_at: Option<DateTime<Utc>>,
    pub follow_up_due_at: Option<DateTime<Utc>>,
}

/// The columns of [`Standing`], from a ticket `x`.
macro_rules! standing_columns {
    () => {
        "SELECT x.shop_id, x.id, x.kind, x.status, x.held_from, x.assignee_id, x.opened_at, x.order_shipped,
                x.agreed_at, x.buyer_shipped_at, x.goods_received_at, x.timer_due_at, x.platform_deadline_at,
                x.follow_up_due_at
         FROM tickets x "
    };
}

impl Standing {
    pub fn position(&self) -> Position {
        Position {
            kind: self.kind,
            status: self.status,
            held_from: self.held_from,
        }
    }

    /// The platform clocks running now under the shop's `timers`, soonest first (as
    /// [`Ticket::running_timers`] gives them).
    pub fn running_timers(
        &self,
        timers: &crate::rules::timers::PlatformTimers,
    ) -> Vec<crate::rules::timers::Countdown> {
        let facts = super::model::timer_facts(
            self.status,
            self.opened_at,
            self.order_shipped,
            self.agreed_at,
            self.buyer_shipped_at,
            self.goods_received_at,
        );
        let mut running = crate::rules::timers::timers_for_position(&self.position(), &facts, timers);
        running.sort_by_key(|c| c.deadline);
        running
    }

    /// The earlier of its platform clock's and the platform's decision deadline (either missing
    /// left out): what `tickets_open_pressing` orders by.
    fn pressing_at(&self) -> Option<DateTime<Utc>> {
        match (self.timer_due_at, self.platform_deadline_at) {
            (Some(timer), Some(deadline)) => Some(timer.min(deadline)),
            (one, None) | (None, one) => one,
        }
    }
}

/// The tickets `found` stand for, read whole, in the order given (one gone meanwhile is left
/// out): one statement per shop.
pub async fn whole<'a>(
    conn: &mut PgConnection,
    found: impl IntoIterator<Item = &'a Standing>,
) -> sqlx::Result<Vec<Ticket>> {
    let keys: Vec<(ShopId, TicketId)> = found.into_iter().map(|s| (s.shop_id, s.id)).collect();
    let mut read: std::collections::HashMap<(ShopId, TicketId), Ticket> =
        std::collections::HashMap::with_capacity(keys.len());
    let shops: Vec<ShopId> = keys.iter().map(|(shop, _)| *shop).collect();
    for shop in distinct(&shops) {
        let ids: Vec<TicketId> = keys.iter().filter(|(s, _)| *s == shop).map(|(_, id)| *id).collect();
        let of_shop: Vec<Ticket> = sqlx::query_as(concat!(ticket_select!(), "WHERE t.shop_id = $1 AND t.id = ANY($2)"))
            .bind(shop)
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
        read.extend(of_shop.into_iter().map(|t| ((t.shop_id, t.id), t)));
    }
    Ok(keys.iter().filter_map(|key| read.remove(key)).collect())
}

/// Open tickets whose follow-up falls due in `[from, until)`, soonest first — the supervisor's
/// overdue (`from` = -infinity, `until` = now) and due-soon (`now`, `now + N h`) queues: where
/// each stands ([`whole`] reads the ones shown).
pub async fn follow_up_window(
    conn: &mut PgConnection,
    shops: &[ShopId],
    from: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    assignee: Option<UserId>,
    unassigned: bool,
    limit: i64,
) -> sqlx::Result<Vec<Standing>> {
    // Each shop's soonest through its index in that order (`shop_id = ANY` would read every
    // match and sort them; on Citus a statement on one shop is answered by one node), then the
    // soonest of those.
    let mut found = Vec::new();
    for shop in distinct(shops) {
        let of_shop: Vec<Standing> = sqlx::query_as(concat!(
            standing_columns!(),
            "WHERE x.shop_id = $1
               AND x.follow_up_due_at < $3
               AND ($2::timestamptz IS NULL OR x.follow_up_due_at >= $2)
               AND ($4::bigint IS NULL OR x.assignee_id = $4)
               AND (NOT $5 OR x.assignee_id IS NULL)
             ORDER BY x.follow_up_due_at, x.id LIMIT $6"
        ))
        .bind(shop)
        .bind(from)
        .bind(until)
        .bind(assignee)
        .bind(unassigned)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        found.extend(of_shop);
    }
    Ok(soonest(found, limit, |s| s.follow_up_due_at, |s| s.id))
}

/// Open tickets whose earliest platform clock or platform decision deadline falls before
/// `until` (or has passed), soonest first — the money-and-standing part of the supervisor's
/// risk view: where each stands ([`whole`] reads the ones shown). Served by
/// `tickets_open_pressing`, on the earlier of the two.
pub async fn platform_pressing(
    conn: &mut PgConnection,
    shops: &[ShopId],
    until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Standing>> {
    // The earlier of the two, ignoring a missing one, is before `until` when either is; each
    // shop's soonest through `tickets_open_pressing`, then the soonest of those.
    let mut found = Vec::new();
    for shop in distinct(shops) {
        let of_shop: Vec<Standing> = sqlx::query_as(concat!(
            standing_columns!(),
            "WHERE x.shop_id = $1 AND x.closed_at IS NULL
               AND LEAST(x.timer_due_at, x.platform_deadline_at) < $2
             ORDER BY LEAST(x.timer_due_at, x.platform_deadline_at), x.id LIMIT $3"
        ))
        .bind(shop)
        .bind(until)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        found.extend(of_shop);
    }
    Ok(soonest(found, limit, Standing::pressing_at, |s| s.id))
}

/// [`platform_pressing`]'s tickets read whole.
pub async fn list_platform_pressing(
    conn: &mut PgConnection,
    shops: &[ShopId],
    until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    let found = platform_pressing(&mut *conn, shops, until, limit).await?;
    whole(conn, &found).await
}

/// `shops` once each, in their order.
fn distinct(shops: &[ShopId]) -> Vec<ShopId> {
    let mut seen = Vec::with_capacity(shops.len());
    for shop in shops {
        if !seen.contains(shop) {
            seen.push(*shop);
        }
    }
    seen
}

/// The first `limit` of the shops' lists, each sorted by `due` then id, merged in that order
/// (a missing time last, as PostgreSQL sorts NULLs).
fn soonest<T>(
    mut rows: Vec<T>,
    limit: i64,
    due: impl Fn(&T) -> Option<DateTime<Utc>>,
    id: impl Fn(&T) -> TicketId,
) -> Vec<T> {
    rows.sort_by_key(|t| (due(t).is_none(), due(t), id(t)));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}

/// The open tickets of one order, oldest first: what a new ticket on the same order may repeat.
pub async fn open_of_order(db: impl PgExecutor<'_>, shop: ShopId, order: OrderId) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.shop_id = $1 AND t.order_id = $2 AND t.closed_at IS NULL ORDER BY t.id LIMIT 20"
    ))
    .bind(shop)
    .bind(order)
    .fetch_all(db)
    .await
}

/// Open unassigned tickets of the user's shops, most pressing deadline first (at most `limit`).
pub async fn list_unassigned(db: impl PgExecutor<'_>, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.shop_id = ANY($1) AND t.closed_at IS NULL AND t.assignee_id IS NULL
         ORDER BY t.queue_due_at, t.id LIMIT $2"
    ))
    .bind(shops)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What recording a follow-up stored that its caller cannot know: the new version, and the
/// queues' due time the database works out from the new follow-up due time.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct FollowUpStored {
    pub version: i32,
    pub queue_due_at: Option<DateTime<Utc>>,
}

/// A follow-up as [`record_follow_up`] stores it.
#[derive(Clone, Debug)]
pub struct FollowUpRecord {
    pub shop: ShopId,
    pub ticket: TicketId,
    pub at: DateTime<Utc>,
    /// The next due time; none when the ticket's status has no follow-up cycle.
    pub due: Option<DateTime<Utc>>,
    pub actor: UserId,
    pub event: EventData,
    /// The shop's local day a follow-up in time is counted on (`follow_ups::count_cycle`); none
    /// for one made after its due time, whose cycle the sweep counted as missed.
    pub in_time_on: Option<chrono::NaiveDate>,
    /// The version of the ticket the follow-up was worked out from.
    pub read_version: i32,
}

/// The update of [`record_follow_up`] and its event, with the parameters of
/// `follow_ups::cycle_counted!` first (`$1` the shop … `$5`). The update holds only while the
/// ticket is at the version its writer read (`$11`); the event is written only with it.
macro_rules! follow_up_written {
    () => {
        "WITH u AS (
            UPDATE tickets SET last_follow_up_at = $7, follow_up_due_at = $8, next_escalation_at = $8,
                               version = version + 1, updated_at = $7
            WHERE shop_id = $1 AND id = $6 AND version = $11
            RETURNING version, queue_due_at
         ), e AS (
            INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data) SELECT $1, $6, $7, $3, $9, $10 FROM u
         )"
    };
}

/// Records a follow-up on a ticket in one statement: the contact time, the next due time (and
/// the sweep's pointer with it) and the version; the follow-up's event; and, made in time, its
/// cycle in the day's figures. The CTEs write three tables and read none of what the others
/// write.
///
/// Written only if the ticket is still at `follow_up.read_version`, the version the follow-up
/// was worked out from (its status, its due time); `None` when it was not: something changed
/// the ticket since it was read, and nothing was written. So a follow-up needs neither a lock
/// nor a transaction of its own when its ticket is read just before.
pub async fn record_follow_up(
    db: impl PgExecutor<'_>,
    follow_up: &FollowUpRecord,
) -> sqlx::Result<Option<FollowUpStored>> {
    let (kind, data) = follow_up.event.to_stored();
    let statement = match follow_up.in_time_on {
        Some(_) => concat!(
            follow_up_written!(),
            ", c AS (",
            crate::follow_ups::cycle_counted!("SELECT $1, $2, $3, $4, $5 FROM u"),
            ") SELECT version, queue_due_at FROM u"
        ),
        None => concat!(follow_up_written!(), " SELECT version, queue_due_at FROM u"),
    };
    // Without a day to count on, `$2`, `$4` and `$5` are not in the statement: they are given
    // anyway, with their types, so that both statements take the same parameters.
    sqlx::query_as(statement)
        .bind(follow_up.shop)
        .bind(follow_up.in_time_on)
        .bind(follow_up.actor.0)
        .bind(1_i32)
        .bind(0_i32)
        .bind(follow_up.ticket)
        .bind(follow_up.at)
        .bind(follow_up.due)
        .bind(kind)
        .bind(data)
        .bind(follow_up.read_version)
        .fetch_optional(db)
        .await
}

/// [`record_follow_up`] for several follow-ups in one statement (`tickets::follow_up_writes`
/// gathers those made at the same moment): the statement's triggers fire, its plan starts and it
/// commits once for all of them. Each is written only if its ticket is still at the version it
/// was worked out from; the answers are in the order given, `None` for one that was not
/// written — its ticket changed since it was read, or the statement holds another follow-up of
/// the same ticket and PostgreSQL, which updates a row once a statement, wrote that one (either
/// may be the one written).
///
/// The tickets are taken in the order of their ids (the follow-ups sorted so before the update
/// reads them one by one): two such statements sharing tickets wait for each other instead of
/// each holding what the other waits for.
pub async fn record_follow_ups(
    db: impl PgExecutor<'_>,
    follow_ups: &[FollowUpRecord],
) -> sqlx::Result<Vec<Option<FollowUpStored>>> {
    let mut c = FollowUpColumns::default();
    for follow_up in follow_ups {
        c.push(follow_up);
    }
    let rows: Vec<(i64, i32, Option<DateTime<Utc>>)> = sqlx::query_as(concat!(
        "WITH i AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::bigint[],
                                 $6::text[], $7::text[], $8::date[], $9::integer[])
                WITH ORDINALITY AS i (shop_id, ticket_id, at, due, actor_id, kind, data, in_time_on, read_version, n)
            ORDER BY shop_id, ticket_id, n
         ), u AS (
            UPDATE tickets t SET last_follow_up_at = i.at, follow_up_due_at = i.due, next_escalation_at = i.due,
                                 version = t.version + 1, updated_at = i.at
            FROM i WHERE t.shop_id = i.shop_id AND t.id = i.ticket_id AND t.version = i.read_version
            RETURNING i.n, t.version, t.queue_due_at
         ), e AS (
            INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
            SELECT i.shop_id, i.ticket_id, i.at, i.actor_id, i.kind, i.data::jsonb FROM u JOIN i ON i.n = u.n
            ORDER BY i.n
         ), c AS (",
        crate::follow_ups::cycle_counted!(
            "SELECT i.shop_id, i.in_time_on, i.actor_id, count(*)::integer, 0 FROM u JOIN i ON i.n = u.n
             WHERE i.in_time_on IS NOT NULL GROUP BY 1, 2, 3"
        ),
        ") SELECT n, version, queue_due_at FROM u"
    ))
    .bind(c.shop)
    .bind(c.ticket)
    .bind(c.at)
    .bind(c.due)
    .bind(c.actor)
    .bind(c.kind)
    .bind(c.data)
    .bind(c.in_time_on)
    .bind(c.read_version)
    .fetch_all(db)
    .await?;
    let mut stored: Vec<Option<FollowUpStored>> = follow_ups.iter().map(|_| None).collect();
    for (n, version, queue_due_at) in rows {
        *place(&mut stored, n, "a follow-up")? = Some(FollowUpStored { version, queue_due_at });
    }
    Ok(stored)
}

/// The answer at place `n` (counted from 1, as `WITH ORDINALITY` counts) of a statement of
/// several writes; a place the request did not have is a protocol error naming `what` it was.
fn place<'a, T>(answers: &'a mut [Option<T>], n: i64, what: &str) -> sqlx::Result<&'a mut Option<T>> {
    usize::try_from(n - 1)
        .ok()
        .and_then(|at| answers.get_mut(at))
        .ok_or_else(|| sqlx::Error::Protocol(format!("{what} returned at place {n}")))
}

/// [`record_follow_ups`]' parameters: each field of the follow-ups as an array, one element a
/// follow-up.
#[derive(Default)]
struct FollowUpColumns {
    shop: Vec<i64>,
    ticket: Vec<i64>,
    at: Vec<DateTime<Utc>>,
    due: Vec<Option<DateTime<Utc>>>,
    actor: Vec<i64>,
    kind: Vec<&'static str>,
    data: Vec<String>,
    in_time_on: Vec<Option<chrono::NaiveDate>>,
    read_version: Vec<i32>,
}

impl FollowUpColumns {
    fn push(&mut self, follow_up: &FollowUpRecord) {
        let (kind, data) = follow_up.event.to_stored();
        self.shop.push(follow_up.shop.0);
        self.ticket.push(follow_up.ticket.0);
        self.at.push(follow_up.at);
        self.due.push(follow_up.due);
        self.actor.push(follow_up.actor.0);
        self.kind.push(kind);
        self.data.push(data.to_string());
        self.in_time_on.push(follow_up.in_time_on);
        self.read_version.push(follow_up.read_version);
    }
}

/// Sets or clears a ticket's assignee, and the version.
pub async fn set_assignee(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    assignee: Option<UserId>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET assignee_id = $3 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(assignee)
        .execute(&mut *conn)
        .await?;
    touch(conn, shop, ticket, now).await
}

/// Gives an escalated ticket to `assignee` and records (or, handed back, clears) who held it
/// before, inside the move's transaction (whose `store_move` already bumped the version).
pub async fn hand_over(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    assignee: Option<UserId>,
    escalated_by: Option<UserId>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET assignee_id = $3, escalated_by = $4 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(assignee)
        .bind(escalated_by)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What a move along the workflow changes on a ticket (the service works it out).
#[derive(Clone, Copy, Debug)]
pub struct Moved {
    pub status: Status,
    pub held_from: Option<Status>,
    /// The follow-up due time after the move; the sweep's pointer follows it when it changes.
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub platform_deadline_at: Option<DateTime<Utc>>,
    pub platform_deadline_from: Option<DateTime<Utc>>,
    pub platform_deadline_provisional_year: Option<i32>,
    pub resolution: Option<Resolution>,
    pub closed_at: Option<DateTime<Utc>>,
    pub agreed_at: Option<DateTime<Utc>>,
    pub buyer_shipped_at: Option<DateTime<Utc>>,
    pub goods_received_at: Option<DateTime<Utc>>,
    pub timer_due_at: Option<DateTime<Utc>>,
}

/// Stores a move along the workflow, and the version. The first move to refunded is kept as
/// `refunded_at`: what the buyer's file and the reports count as a refund issued.
pub async fn store_move(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    moved: &Moved,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets SET agreed_at = $9, buyer_shipped_at = $10, goods_received_at = $11, timer_due_at = $12,
                platform_deadline_from = $13, platform_deadline_provisional_year = $14, status = $3, held_from = $4,
                follow_up_due_at = $5, platform_deadline_at = $6,
                next_escalation_at = CASE WHEN $5::timestamptz IS NULL THEN NULL
                                          WHEN $5 IS DISTINCT FROM follow_up_due_at THEN $5
                                          ELSE next_escalation_at END,
                resolution = $7, closed_at = $8,
                refunded_at = CASE WHEN $3 = 'refunded' THEN COALESCE(refunded_at, $15) ELSE refunded_at END
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(ticket)
    .bind(moved.status)
    .bind(moved.held_from)
    .bind(moved.follow_up_due_at)
    .bind(moved.platform_deadline_at)
    .bind(moved.resolution)
    .bind(moved.closed_at)
    .bind(moved.agreed_at)
    .bind(moved.buyer_shipped_at)
    .bind(moved.goods_received_at)
    .bind(moved.timer_due_at)
    .bind(moved.platform_deadline_from)
    .bind(moved.platform_deadline_provisional_year)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    touch(conn, shop, ticket, now).await
}

/// Stores a ticket merged into `target` at the position the rules give it
/// (`rules::links::merged_position`: closed): closed now, out of the follow-up cycle and the
/// platform clocks (so out of every queue and the risk view), the pointer kept; the version
/// goes up.
pub async fn store_merge(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    position: Position,
    target: TicketId,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets SET status = $5, held_from = $6, merged_into = $3, closed_at = $4,
                follow_up_due_at = NULL, next_escalation_at = NULL, timer_due_at = NULL, platform_deadline_at = NULL
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(ticket)
    .bind(target)
    .bind(now)
    .bind(position.status)
    .bind(position.held_from)
    .execute(&mut *conn)
    .await?;
    touch(conn, shop, ticket, now).await
}

/// Another ticket as a ticket's page names it: its number, kind and status.
#[derive(Clone, Debug, sqlx::FromRow, serde::Deserialize)]
pub struct Neighbour {
    pub id: TicketId,
    pub kind: TicketKind,
    pub status: Status,
    pub closed: bool,
}

/// The tickets merged into `ticket`, oldest first.
pub fn merged_from(shop: ShopId, ticket: TicketId) -> Read<Neighbour> {
    Read::new(
        "SELECT id, kind, status, closed_at IS NOT NULL AS closed FROM tickets
         WHERE shop_id = $1 AND merged_into = $2 ORDER BY id",
    )
    .bind(shop)
    .bind(ticket)
}

/// Every ticket of an order, oldest first (at most 50): what a ticket may be linked to or
/// merged into.
pub fn neighbours_by_order(shop: ShopId, order: OrderId) -> Read<Neighbour> {
    Read::new(
        "SELECT id, kind, status, closed_at IS NOT NULL AS closed FROM tickets
         WHERE shop_id = $1 AND order_id = $2 ORDER BY id LIMIT 50",
    )
    .bind(shop)
    .bind(order)
}

/// Records why a request was refused and the note that says more (kept when the ticket moves
/// on, so a closed ticket still shows it).
pub async fn store_rejection(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    reason: RejectionReason,
    note: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET rejection_reason = $3, rejection_note = $4 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(reason)
        .bind(note)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a refund's amount: the amount agreed on reaching `approved`, the amount refunded on
/// reaching `refunded`.
pub async fn store_refund_amount(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    reached: Status,
    amount: Fen,
) -> sqlx::Result<()> {
    let query = if reached == Status::Refunded {
        "UPDATE tickets SET refunded_fen = $3 WHERE shop_id = $1 AND id = $2"
    } else {
        "UPDATE tickets SET approved_refund_fen = $3 WHERE shop_id = $1 AND id = $2"
    };
    sqlx::query(query)
        .bind(shop)
        .bind(ticket)
        .bind(amount.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Corrects a platform deadline counted again by the system (the version is left alone: nobody's
/// edit is made stale by it).
pub async fn set_platform_deadline(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    at: DateTime<Utc>,
    provisional_year: Option<i32>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets SET platform_deadline_at = $3, platform_deadline_provisional_year = $4
          WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(ticket)
    .bind(at)
    .bind(provisional_year)
    .execute(db)
    .await?;
    Ok(())
}

/// Corrects a seven-day decision counted again by the system (version left alone, as above).
pub async fn set_seven_day(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    record: &SevenDayRecord,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET seven_day = $3, seven_day_verdict = $4 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(sqlx::types::Json(record))
        .bind(record.verdict)
        .execute(db)
        .await?;
    Ok(())
}

/// Moves the follow-up sweep's pointer of a ticket to its next unescalated cycle.
pub async fn set_next_escalation(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    next: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET next_escalation_at = $3 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(next)
        .execute(db)
        .await?;
    Ok(())
}

/// Keeps the marketplace's own facts on an imported refund's ticket.
pub async fn set_platform_refund(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    refund_no: &str,
    reason_text: &str,
    timeout_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets SET refund_no = $3, reason_text = $4, platform_timeout_at = $5 WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(ticket)
    .bind(refund_no)
    .bind(reason_text)
    .bind(timeout_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Starts a ticket's follow-up cycle afresh: due at `due` (one shop cycle after now, counted by
/// the caller with `rules::follow_up`), if it is in one.
pub async fn restart_follow_up_cycle(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    due: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets SET follow_up_due_at = $3, next_escalation_at = $3
         WHERE shop_id = $1 AND id = $2 AND follow_up_due_at IS NOT NULL",
    )
    .bind(shop)
    .bind(ticket)
    .bind(due)
    .execute(db)
    .await?;
    Ok(())
}

/// A new ticket's row, as [`open`] stores it.
#[derive(Clone, Debug)]
pub struct NewRow {
    pub shop: ShopId,
    pub kind: TicketKind,
    pub status: Status,
    pub reason: ReasonCode,
    pub description: String,
    pub order: OrderId,
    pub sku: Option<String>,
    pub customer: CustomerId,
    pub assignee: Option<UserId>,
    pub priority: Priority,
    pub refund_fen: Option<i64>,
    pub intact: Option<bool>,
    pub seven_day: Option<SevenDayRecord>,
    pub opened_at: DateTime<Utc>,
    /// The first follow-up due time (the sweep's pointer starts there too).
    pub follow_up_due_at: DateTime<Utc>,
    pub created_by: UserId,
    pub idempotency_key: Option<String>,
    pub idempotency_body_sha256: Option<Vec<u8>>,
    pub order_shipped: bool,
    pub timer_due_at: Option<DateTime<Utc>>,
    pub review_rating: Option<i16>,
    pub review_text: Option<String>,
    /// For a bad review: when it was posted.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The ticket a not-satisfied return visit opened this one from.
    pub follow_up_of: Option<TicketId>,
}

/// What a new ticket shows that its own row does not hold, known to whoever opens it: its
/// order's number and buyer, its assignee's name, and its shop's settings.
#[derive(Clone, Debug)]
pub struct Surroundings {
    pub order_no: String,
    pub buyer: String,
    pub assignee_name: Option<String>,
    pub time_zone: String,
    pub platform_timers: crate::rules::timers::PlatformTimers,
    pub review_timers: crate::rules::review::ReviewTimers,
    pub follow_up_hours: i32,
}

/// One of a new ticket's first events: all are dated at its opening.
#[derive(Clone, Debug)]
pub struct OpeningEvent {
    pub actor: Option<UserId>,
    pub event: EventData,
}

/// A ticket to open: its row, what it shows beside it, and its first events in their order.
#[derive(Clone, Debug)]
pub struct Opening {
    pub row: NewRow,
    pub around: Surroundings,
    pub events: Vec<OpeningEvent>,
}

/// Stores new tickets with their first events, in their order, and returns each as [`get`] would
/// read it (the columns of other tables given by its [`Surroundings`]), in the order given — all
/// in one statement, so that without a transaction around it nothing is stored half; `None` for
/// a ticket whose creator already opened one with the same idempotency key (a concurrent request
/// won the race), and then none of its events is stored either. One statement for many tickets
/// fires the tables' statement triggers (report marks, open counts, search queue, live outbox)
/// once for all of them: `tickets::openings` gathers the tickets opened at the same moment.
pub async fn open(db: impl PgExecutor<'_>, openings: &[Opening]) -> sqlx::Result<Vec<Option<Ticket>>> {
    let mut c = OpeningColumns::default();
    for (n, opening) in (1_i64..).zip(openings) {
        c.push(n, opening);
    }
    // The ids come from the sequence first (`new`, materialized), so that each row returned is
    // known by its place in the request; the events read the new rows from the insert's
    // RETURNING, never from the table (Citus runs a statement's CTEs one after the other), and
    // their foreign key is checked at the statement's end, when the tickets are there.
    let rows = sqlx::query(concat!(
        "WITH new AS MATERIALIZED (
            SELECT nextval('tickets_id_seq'::regclass) AS id, r.*
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                        $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::boolean[], $13::text[],
                        $14::jsonb[], $15::timestamptz[], $16::timestamptz[], $17::bigint[], $18::text[],
                        $19::boolean[], $20::timestamptz[], $21::smallint[], $22::text[], $23::bytea[],
                        $24::timestamptz[], $25::bigint[], $26::text[], $27::text[], $28::text[], $29::text[],
                        $30::jsonb[], $31::jsonb[], $32::integer[])
                 WITH ORDINALITY AS r (shop_id, kind, status, reason, description, order_id, sku, customer_id,
                        assignee_id, priority, refund_fen, intact, seven_day_verdict, seven_day, opened_at,
                        follow_up_due_at, created_by, idempotency_key, order_shipped, timer_due_at, review_rating,
                        review_text, idempotency_body_sha256, reviewed_at, follow_up_of, order_no, buyer,
                        assignee_name, time_zone, platform_timers, review_timers, follow_up_hours, n)
         ), t AS (
            INSERT INTO tickets (id, shop_id, kind, status, reason, description, order_id, sku, customer_id,
                                 assignee_id, priority, refund_fen, intact, seven_day_verdict, seven_day, opened_at,
                                 follow_up_due_at, next_escalation_at, created_by, idempotency_key, order_shipped,
                                 timer_due_at, review_rating, review_text, idempotency_body_sha256, reviewed_at,
                                 follow_up_of)
            SELECT id, shop_id, kind, status, reason, description, order_id, sku, customer_id,
                   assignee_id, priority, refund_fen, intact, seven_day_verdict, seven_day, opened_at,
                   follow_up_due_at, follow_up_due_at, created_by, idempotency_key, order_shipped,
                   timer_due_at, review_rating, review_text, idempotency_body_sha256, reviewed_at,
                   follow_up_of
            FROM new ORDER BY n
            ON CONFLICT (shop_id, created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING *
         ), e AS (
            INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
            SELECT t.shop_id, t.id, t.opened_at, e.actor_id, e.kind, e.data::jsonb
            FROM unnest($33::bigint[], $34::bigint[], $35::text[], $36::text[]) WITH ORDINALITY AS e (of, actor_id, kind, data, k)
            JOIN new ON new.n = e.of
            JOIN t ON t.id = new.id
            ORDER BY e.k
         ) ",
        super::model::ticket_opened!(),
        ", new.n FROM t JOIN new ON new.id = t.id ORDER BY new.n"
    ))
    .bind(c.shop)
    .bind(c.kind)
    .bind(c.status)
    .bind(c.reason)
    .bind(c.description)
    .bind(c.order)
    .bind(c.sku)
    .bind(c.customer)
    .bind(c.assignee)
    .bind(c.priority)
    .bind(c.refund_fen)
    .bind(c.intact)
    .bind(c.seven_day_verdict)
    .bind(c.seven_day)
    .bind(c.opened_at)
    .bind(c.follow_up_due_at)
    .bind(c.created_by)
    .bind(c.idempotency_key)
    .bind(c.order_shipped)
    .bind(c.timer_due_at)
    .bind(c.review_rating)
    .bind(c.review_text)
    .bind(c.idempotency_body_sha256)
    .bind(c.reviewed_at)
    .bind(c.follow_up_of)
    .bind(c.order_no)
    .bind(c.buyer)
    .bind(c.assignee_name)
    .bind(c.time_zone)
    .bind(c.platform_timers)
    .bind(c.review_timers)
    .bind(c.follow_up_hours)
    .bind(c.event_of)
    .bind(c.event_actor)
    .bind(c.event_kind)
    .bind(c.event_data)
    .fetch_all(db)
    .await?;
    let mut opened: Vec<Option<Ticket>> = openings.iter().map(|_| None).collect();
    for row in &rows {
        use sqlx::{FromRow, Row};
        let n: i64 = row.try_get(super::model::TICKET_COLUMN_COUNT)?;
        *place(&mut opened, n, "a new ticket")? = Some(Ticket::from_row(row)?);
    }
    Ok(opened)
}

/// [`open`] for one ticket.
pub async fn open_one(db: impl PgExecutor<'_>, opening: &Opening) -> sqlx::Result<Option<Ticket>> {
    Ok(open(db, std::slice::from_ref(opening)).await?.pop().flatten())
}

/// [`open`]'s parameters: each column of the new rows as an array, one element a ticket, and
/// the first events with the place of their ticket.
#[derive(Default)]
struct OpeningColumns {
    shop: Vec<i64>,
    kind: Vec<&'static str>,
    status: Vec<&'static str>,
    reason: Vec<&'static str>,
    description: Vec<String>,
    order: Vec<i64>,
    sku: Vec<Option<String>>,
    customer: Vec<i64>,
    assignee: Vec<Option<i64>>,
    priority: Vec<&'static str>,
    refund_fen: Vec<Option<i64>>,
    intact: Vec<Option<bool>>,
    seven_day_verdict: Vec<Option<&'static str>>,
    seven_day: Vec<Option<String>>,
    opened_at: Vec<DateTime<Utc>>,
    follow_up_due_at: Vec<DateTime<Utc>>,
    created_by: Vec<i64>,
    idempotency_key: Vec<Option<String>>,
    order_shipped: Vec<bool>,
    timer_due_at: Vec<Option<DateTime<Utc>>>,
    review_rating: Vec<Option<i16>>,
    review_text: Vec<Option<String>>,
    idempotency_body_sha256: Vec<Option<Vec<u8>>>,
    reviewed_at: Vec<Option<DateTime<Utc>>>,
    follow_up_of: Vec<Option<i64>>,
    order_no: Vec<String>,
    buyer: Vec<String>,
    assignee_name: Vec<Option<String>>,
    time_zone: Vec<String>,
    platform_timers: Vec<String>,
    review_timers: Vec<String>,
    follow_up_hours: Vec<i32>,
    event_of: Vec<i64>,
    event_actor: Vec<Option<i64>>,
    event_kind: Vec<&'static str>,
    event_data: Vec<String>,
}

impl OpeningColumns {
    /// Adds the ticket at place `n` (from 1).
    fn push(&mut self, n: i64, opening: &Opening) {
        let Opening { row, around, events } = opening;
        self.shop.push(row.shop.0);
        self.kind.push(row.kind.as_str());
        self.status.push(row.status.as_str());
        self.reason.push(row.reason.as_str());
        self.description.push(row.description.clone());
        self.order.push(row.order.0);
        self.sku.push(row.sku.clone());
        self.customer.push(row.customer.0);
        self.assignee.push(row.assignee.map(|u| u.0));
        self.priority.push(row.priority.as_str());
        self.refund_fen.push(row.refund_fen);
        self.intact.push(row.intact);
        self.seven_day_verdict
            .push(row.seven_day.as_ref().map(|r| r.verdict.as_str()));
        self.seven_day.push(row.seven_day.as_ref().map(stored_json));
        self.opened_at.push(row.opened_at);
        self.follow_up_due_at.push(row.follow_up_due_at);
        self.created_by.push(row.created_by.0);
        self.idempotency_key.push(row.idempotency_key.clone());
        self.order_shipped.push(row.order_shipped);
        self.timer_due_at.push(row.timer_due_at);
        self.review_rating.push(row.review_rating);
        self.review_text.push(row.review_text.clone());
        self.idempotency_body_sha256.push(row.idempotency_body_sha256.clone());
        self.reviewed_at.push(row.reviewed_at);
        self.follow_up_of.push(row.follow_up_of.map(|t| t.0));
        self.order_no.push(around.order_no.clone());
        self.buyer.push(around.buyer.clone());
        self.assignee_name.push(around.assignee_name.clone());
        self.time_zone.push(around.time_zone.clone());
        self.platform_timers.push(stored_json(&around.platform_timers));
        self.review_timers.push(stored_json(&around.review_timers));
        self.follow_up_hours.push(around.follow_up_hours);
        for event in events {
            let (kind, data) = event.event.to_stored();
            self.event_of.push(n);
            self.event_actor.push(event.actor.map(|u| u.0));
            self.event_kind.push(kind);
            self.event_data.push(data.to_string());
        }
    }
}

/// A value as the JSON text a `jsonb` column stores.
fn stored_json(value: &impl serde::Serialize) -> String {
    // Plain structs of plain fields: serialising cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A ticket's whole row as a bulk loader writes it — a ticket already worked to where it stands
/// (the demo shop) — as [`insert_loaded`] stores it.
#[derive(Clone, Copy, Debug)]
pub struct LoadedRow<'a> {
    pub shop: ShopId,
    pub kind: TicketKind,
    pub status: Status,
    pub held_from: Option<Status>,
    pub reason: ReasonCode,
    pub description: &'a str,
    pub order: OrderId,
    pub sku: Option<&'a str>,
    pub customer: CustomerId,
    pub assignee: Option<UserId>,
    pub priority: Priority,
    pub refund_fen: Option<i64>,
    /// The amounts agreed and refunded, as [`store_refund_amount`] keeps them.
    pub approved_refund_fen: Option<i64>,
    pub refunded_fen: Option<i64>,
    pub resolution: Option<Resolution>,
    pub intact: Option<bool>,
    pub seven_day: Option<&'a SevenDayRecord>,
    pub platform_deadline_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// Also the row's creation time.
    pub opened_at: DateTime<Utc>,
    /// The follow-up due time (the sweep's pointer starts there too: no cycle escalated yet).
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub last_follow_up_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub updated_at: DateTime<Utc>,
}

/// Stores a worked ticket's whole row and returns its id (its timeline goes in with
/// [`append_events_in_bulk`]).
pub async fn insert_loaded(db: impl PgExecutor<'_>, row: &LoadedRow<'_>) -> sqlx::Result<TicketId> {
    sqlx::query_scalar(
        "INSERT INTO tickets (shop_id, kind, status, held_from, reason, description, order_id, sku,
                              customer_id, assignee_id, priority, refund_fen, resolution, intact,
                              seven_day_verdict, seven_day, platform_deadline_at, version, opened_at,
                              follow_up_due_at, next_escalation_at, last_follow_up_at, closed_at,
                              created_by, created_at, updated_at, approved_refund_fen, refunded_fen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $20, $21, $22, $23, $19, $24, $25, $26)
         RETURNING id",
    )
    .bind(row.shop)
    .bind(row.kind)
    .bind(row.status)
    .bind(row.held_from)
    .bind(row.reason)
    .bind(row.description)
    .bind(row.order)
    .bind(row.sku)
    .bind(row.customer)
    .bind(row.assignee)
    .bind(row.priority)
    .bind(row.refund_fen)
    .bind(row.resolution)
    .bind(row.intact)
    .bind(row.seven_day.map(|r| r.verdict))
    .bind(row.seven_day.map(sqlx::types::Json))
    .bind(row.platform_deadline_at)
    .bind(row.version)
    .bind(row.opened_at)
    .bind(row.follow_up_due_at)
    .bind(row.last_follow_up_at)
    .bind(row.closed_at)
    .bind(row.created_by)
    .bind(row.updated_at)
    .bind(row.approved_refund_fen)
    .bind(row.refunded_fen)
    .fetch_one(db)
    .await
}

/// The ticket `user` opened in `shop` with an idempotency key, and the hash of the request it
/// came with (none for tickets opened before the hash was kept).
pub async fn find_by_idempotency_key(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    user: UserId,
    key: &str,
) -> sqlx::Result<Option<(TicketId, Option<Vec<u8>>)>> {
    sqlx::query_as(
        "SELECT id, idempotency_body_sha256 FROM tickets WHERE shop_id = $1 AND created_by = $2 AND idempotency_key = $3",
    )
    .bind(shop)
    .bind(user)
    .bind(key)
    .fetch_optional(db)
    .await
}

/// A platform deadline counted on weekends only, as [`provisional_deadlines`] reads it.
#[derive(sqlx::FromRow)]
pub struct ProvisionalDeadline {
    pub shop_id: ShopId,
    pub id: TicketId,
    pub platform_deadline_from: DateTime<Utc>,
    pub platform_deadline_at: Option<DateTime<Utc>>,
    pub platform_deadline_provisional_year: i32,
    /// The shop's zone name.
    pub time_zone: String,
}

/// The shops with a platform deadline or a seven-day decision counted provisionally for one of
/// `years` (read without a lock: each shop's are then locked on their own, see
/// [`provisional_deadlines`]).
pub async fn shops_with_provisional(db: impl PgExecutor<'_>, years: &[i32]) -> sqlx::Result<Vec<ShopId>> {
    sqlx::query_scalar(
        "SELECT shop_id FROM tickets
          WHERE platform_deadline_provisional_year = ANY($1) AND platform_deadline_from IS NOT NULL
         UNION
         SELECT shop_id FROM tickets
          WHERE seven_day ? 'provisional_year' AND (seven_day->>'provisional_year')::integer = ANY($1)
         ORDER BY 1",
    )
    .bind(years)
    .fetch_all(db)
    .await
}

/// The platform deadlines of `shop` counted on weekends only through one of `years`, locked for
/// the recount until the transaction ends (one shop at a time: on Citus only a statement on one
/// shop may lock rows).
pub async fn provisional_deadlines(
    conn: &mut PgConnection,
    shop: ShopId,
    years: &[i32],
) -> sqlx::Result<Vec<ProvisionalDeadline>> {
    sqlx::query_as(
        "SELECT t.shop_id, t.id, t.platform_deadline_from, t.platform_deadline_at, t.platform_deadline_provisional_year,
                s.time_zone
           FROM tickets t JOIN shops s ON s.id = t.shop_id
          WHERE t.shop_id = $2 AND t.platform_deadline_provisional_year = ANY($1) AND t.platform_deadline_from IS NOT NULL
          ORDER BY t.id
            FOR UPDATE OF t",
    )
    .bind(years)
    .bind(shop)
    .fetch_all(conn)
    .await
}

/// The seven-day decisions of `shop` counted provisionally for one of `years` — shop, ticket,
/// the stored decision, the opening time and the shop's zone name — locked for the recount.
pub async fn provisional_seven_day(
    conn: &mut PgConnection,
    shop: ShopId,
    years: &[i32],
) -> sqlx::Result<Vec<(ShopId, TicketId, serde_json::Value, DateTime<Utc>, String)>> {
    sqlx::query_as(
        "SELECT t.shop_id, t.id, t.seven_day, t.opened_at, s.time_zone
           FROM tickets t JOIN shops s ON s.id = t.shop_id
          WHERE t.shop_id = $2 AND t.seven_day ? 'provisional_year'
            AND (t.seven_day->>'provisional_year')::integer = ANY($1)
          ORDER BY t.id
            FOR UPDATE OF t",
    )
    .bind(years)
    .bind(shop)
    .fetch_all(conn)
    .await
}

/// A ticket whose follow-up sweep pointer has passed, as [`claim_escalation_due`] reads it.
#[derive(sqlx::FromRow)]
pub struct EscalationDue {
    pub shop_id: ShopId,
    pub id: TicketId,
    pub next_escalation_at: DateTime<Utc>,
    /// The shop's follow-up cycle.
    pub follow_up_hours: i32,
    pub assignee_id: Option<UserId>,
    /// The shop's zone name.
    pub time_zone: String,
}

/// The shops with a ticket whose next cycle passed before `now` (read without a lock; each
/// shop's are then claimed on their own by [`claim_escalation_due`]).
pub async fn shops_with_escalation_due(db: impl PgExecutor<'_>, now: DateTime<Utc>) -> sqlx::Result<Vec<ShopId>> {
    sqlx::query_scalar("SELECT DISTINCT shop_id FROM tickets WHERE next_escalation_at < $1 ORDER BY 1")
        .bind(now)
        .fetch_all(db)
        .await
}

/// Up to `limit` tickets of `shop` whose next cycle passed before `now`, longest overdue first,
/// locked for this sweep and skipped by any other running at the same time (one shop at a time:
/// on Citus only a statement on one shop may lock rows).
pub async fn claim_escalation_due(
    conn: &mut PgConnection,
    shop: ShopId,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<EscalationDue>> {
    sqlx::query_as(
        "SELECT t.shop_id, t.id, t.next_escalation_at, s.follow_up_hours, t.assignee_id, s.time_zone
         FROM tickets t JOIN shops s ON s.id = t.shop_id
         WHERE t.shop_id = $3 AND t.next_escalation_at < $1
         ORDER BY t.next_escalation_at
         LIMIT $2
         FOR UPDATE OF t SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .bind(shop)
    .fetch_all(conn)
    .await
}

/// One event of a bulk load, for [`append_events_in_bulk`].
#[derive(Clone, Copy, Debug)]
pub struct BulkEvent<'a> {
    pub ticket: TicketId,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub event: &'a EventData,
}

/// Appends many events of one shop's tickets in one statement, in the order given: a new
/// ticket's first events, and the demo shop's whole timelines. Each is stored as [`append_event`] stores it.
pub async fn append_events_in_bulk(
    conn: &mut PgConnection,
    shop: ShopId,
    events: &[BulkEvent<'_>],
) -> sqlx::Result<()> {
    let mut stored = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in events {
        let (kind, data) = row.event.to_stored();
        stored.0.push(row.ticket.0);
        stored.1.push(row.at);
        stored.2.push(row.actor.map(|user| user.0));
        stored.3.push(kind);
        stored.4.push(data.to_string());
    }
    let (tickets, at, actors, kinds, data) = stored;
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
         SELECT $1, e.ticket_id, e.at, e.actor_id, e.kind, e.data::jsonb
         FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[], $5::text[], $6::text[])
              WITH ORDINALITY AS e(ticket_id, at, actor_id, kind, data, n)
         ORDER BY e.n",
    )
    .bind(shop)
    .bind(tickets)
    .bind(at)
    .bind(actors)
    .bind(kinds)
    .bind(data)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the facts the platform timers run on for every ticket of a shop from its order and its
/// timeline — whether the order had shipped when the ticket was opened, and the first moves to
/// approved, buyer shipped, received and refunded — as the service keeps them when tickets are worked: for
/// the demo shop, whose tickets are loaded with their timelines at once.
pub async fn set_timer_facts_from_timelines(conn: &mut PgConnection, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tickets t SET
            order_shipped = COALESCE(o.signed_at IS NOT NULL OR o.shipped_at <= t.opened_at, false),
            agreed_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'approved'),
            buyer_shipped_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'buyer_shipped'),
            goods_received_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'received'),
            refunded_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded')
         FROM orders o WHERE o.shop_id = t.shop_id AND o.id = t.order_id AND t.shop_id = $1",
    )
    .bind(shop)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every open ticket of a shop.
pub async fn open_in_shop(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(concat!(
        ticket_select!(),
        "WHERE t.shop_id = $1 AND t.closed_at IS NULL"
    ))
    .bind(shop)
    .fetch_all(db)
    .await
}

/// Sets when a ticket's earliest running platform timer runs out (`None`: none runs).
pub async fn set_timer_due(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    ticket: TicketId,
    due: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET timer_due_at = $3 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(due)
        .execute(db)
        .await?;
    Ok(())
}

/// The refund numbers among `refund_nos` that already have a ticket in the shop (an imported
/// refund report's duplicate check).
pub async fn existing_refund_nos(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    refund_nos: &[&str],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT refund_no FROM tickets WHERE shop_id = $1 AND refund_no = ANY($2)")
        .bind(shop)
        .bind(refund_nos)
        .fetch_all(db)
        .await
}

/// Counts a shop's daily follow-up compliance figures from its timeline into `follow_up_daily`
/// (cycles closed in time by a follow-up, cycles escalated; per local day and agent). The
/// follow-up module keeps those figures as events are written; this recount is for the loaders
/// that write events in bulk, and runs after the follow-up module has emptied the shop's rows.
pub async fn count_follow_up_daily_from_timeline(conn: &mut PgConnection, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO follow_up_daily (shop_id, day, agent_id, in_time, missed)
         SELECT e.shop_id, (e.at AT TIME ZONE s.time_zone)::date,
                COALESCE(e.actor_id, (e.data ->> 'assignee_id')::bigint, 0),
                count(*) FILTER (WHERE e.kind = 'follow_up' AND NOT COALESCE((e.data ->> 'was_overdue')::boolean, false)),
                count(*) FILTER (WHERE e.kind = 'escalated')
         FROM ticket_events e JOIN shops s ON s.id = e.shop_id
         WHERE e.shop_id = $1 AND e.kind IN ('follow_up', 'escalated')
         GROUP BY 1, 2, 3",
    )
    .bind(shop)
    .execute(conn)
    .await?;
    Ok(())
}

/// Open-ticket counts of one worker of the shops (`agent` `None`: the unassigned tickets), as
/// [`open_load_by_worker`] reads them.
#[derive(Debug, sqlx::FromRow)]
pub struct OpenLoad {
    pub agent: Option<UserId>,
    pub name: Option<String>,
    pub open: i64,
    /// Follow-up due before `now`.
    pub overdue: i64,
    /// Follow-up due in `[now, soon_until)`.
    pub due_soon: i64,
}

/// Open, overdue and due-soon ticket counts of every active agent and supervisor of `shops`
/// (zero when they have none), then of the unassigned tickets if any; most overdue first. The
/// open counts are those kept on write (`open_loads` and the changes since, migration
/// `…_open_loads`); the overdue and due-soon ones are read through the follow-up due index, up
/// to `soon_until`: neither reads every open ticket. Its plan is the same for every time, so
/// the supervisor's page runs it planned once (`db::planned::PlannedOnce`); such a plan guesses how many
/// tickets fall due before a time not yet known, and the due times' lower bound
/// (`> '-infinity'`, true of every time stored) makes it guess a narrow range, which keeps the
/// plan on the due index (without it the guess is a third of the shop's tickets, and the plan
/// reads every open ticket).
pub async fn open_load_by_worker(
    db: impl PgExecutor<'_>,
    shops: &[ShopId],
    now: DateTime<Utc>,
    soon_until: DateTime<Utc>,
) -> sqlx::Result<Vec<OpenLoad>> {
    sqlx::query_as(
        "WITH workers AS (
             SELECT DISTINCT u.id, u.display_name FROM shop_members m JOIN users u ON u.id = m.user_id
             WHERE m.shop_id = ANY($1) AND u.role IN ('agent', 'supervisor') AND NOT u.disabled
         ), open_counts AS (
             SELECT c.assignee_key, sum(c.n)::bigint AS open
             FROM (SELECT assignee_key, open AS n FROM open_loads WHERE shop_id = ANY($1)
                   UNION ALL
                   SELECT assignee_key, change FROM open_load_changes WHERE shop_id = ANY($1)) AS c
             GROUP BY c.assignee_key HAVING sum(c.n) > 0
         ), due AS (
             SELECT COALESCE(assignee_id, 0) AS assignee_key,
                    count(*) FILTER (WHERE follow_up_due_at < $2) AS overdue,
                    count(*) FILTER (WHERE follow_up_due_at >= $2) AS due_soon
             FROM tickets
             WHERE shop_id = ANY($1) AND follow_up_due_at > '-infinity' AND follow_up_due_at < GREATEST($2, $3)
               AND closed_at IS NULL
             GROUP BY 1
         ), open_tickets AS (
             SELECT NULLIF(o.assignee_key, 0) AS assignee_id, o.open,
                    COALESCE(d.overdue, 0) AS overdue, COALESCE(d.due_soon, 0) AS due_soon
             FROM open_counts o LEFT JOIN due d ON d.assignee_key = o.assignee_key
         )
         SELECT w.id AS agent, w.display_name AS name, COALESCE(o.open, 0) AS open,
                COALESCE(o.overdue, 0) AS overdue, COALESCE(o.due_soon, 0) AS due_soon
         FROM workers w LEFT JOIN open_tickets o ON o.assignee_id = w.id
         UNION ALL
         SELECT NULL, NULL, open, overdue, due_soon FROM open_tickets WHERE assignee_id IS NULL
         ORDER BY 4 DESC, 3 DESC, 2",
    )
    .bind(shops)
    .bind(now)
    .bind(soon_until)
    .fetch_all(db)
    .await
}

/// Folds the open-count changes the tickets' triggers appended into each shop's base counts
/// (`open_loads`), one shop at a time, drops the counts that came to nothing (a status no open
/// ticket is in any more), and returns how many changes were folded: run by every server a few
/// times a minute ([`keep_open_loads_folded`]), so that a reader of [`open_counts`] or
/// [`open_load_by_worker`] adds up few changes. Concurrent folds each take other changes (a
/// change deleted by one is skipped by the other).
pub async fn fold_open_loads(pool: &PgPool) -> sqlx::Result<u64> {
    let shops: Vec<ShopId> = sqlx::query_scalar("SELECT DISTINCT shop_id FROM open_load_changes ORDER BY 1")
        .fetch_all(pool)
        .await?;
    let mut folded = 0;
    for shop in shops {
        let (changes,): (i64,) = sqlx::query_as(
            "WITH gone AS (
                 DELETE FROM open_load_changes WHERE shop_id = $1 RETURNING assignee_key, kind, status, change
             ), sums AS (
                 SELECT assignee_key, kind, status, sum(change)::bigint AS n, count(*) AS changes
                 FROM gone GROUP BY 1, 2, 3
             ), folded AS (
                 INSERT INTO open_loads AS l (shop_id, assignee_key, kind, status, open)
                 SELECT $1, assignee_key, kind, status, n FROM sums ORDER BY assignee_key, kind, status
                 ON CONFLICT (shop_id, assignee_key, kind, status) DO UPDATE SET open = l.open + EXCLUDED.open
             )
             SELECT COALESCE(sum(changes), 0)::bigint FROM sums",
        )
        .bind(shop)
        .fetch_one(pool)
        .await?;
        // A row another fold is adding to at this moment is read again once that fold is done,
        // and kept if it no longer comes to nothing.
        sqlx::query("DELETE FROM open_loads WHERE shop_id = $1 AND open = 0")
            .bind(shop)
            .execute(pool)
            .await?;
        folded += changes as u64;
    }
    Ok(folded)
}

/// Folds the open counts' changes ([`fold_open_loads`]) every `interval` until the process ends.
/// Errors (e.g. the database restarting) are logged and the next round tries again.
pub async fn keep_open_loads_folded(pool: PgPool, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = fold_open_loads(&pool).await {
            tracing::warn!(%error, "folding the open counts failed; retrying next round");
        }
    }
}

/// Counts a shop's open tickets per assignee, kind and status again from the tickets: for the loaders that write
/// tickets with the triggers switched off (the benchmark generator).
pub async fn recount_open_loads(conn: &mut PgConnection, shop: ShopId) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    for clear in [
        "DELETE FROM open_load_changes WHERE shop_id = $1",
        "DELETE FROM open_loads WHERE shop_id = $1",
    ] {
        sqlx::query(clear).bind(shop).execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO open_loads (shop_id, assignee_key, kind, status, open)
         SELECT $1, COALESCE(assignee_id, 0), kind, status, count(*) FROM tickets WHERE shop_id = $1 AND closed_at IS NULL
         GROUP BY 2, 3, 4",
    )
    .bind(shop)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A buyer's orders in a shop, newest paid first (at most 200), read as `T` from the columns
/// `order_no`, `paid_at`, `signed_at`, `total_fen` (absent beyond what fen can hold), `items`
/// (the lines' titles) and `tickets` (how many tickets the order has): the buyer's file.
pub async fn orders_of_customer<T>(db: impl PgExecutor<'_>, shop: ShopId, customer: CustomerId) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(
        "SELECT o.order_no, o.paid_at, o.signed_at,
                -- Summed as numeric: a stored row must not be able to overflow the page.
                (SELECT CASE WHEN s <= 9223372036854775807 THEN s::bigint END
                 FROM (SELECT COALESCE(sum(l.unit_price_fen::numeric * l.quantity), 0) AS s FROM order_lines l
                       WHERE l.shop_id = o.shop_id AND l.order_id = o.id) AS line_sum) AS total_fen,
                COALESCE((SELECT string_agg(l.title, '、' ORDER BY l.sku) FROM order_lines l
                          WHERE l.shop_id = o.shop_id AND l.order_id = o.id), '') AS items,
                (SELECT count(*) FROM tickets t WHERE t.shop_id = o.shop_id AND t.order_id = o.id) AS tickets
         FROM orders o WHERE o.shop_id = $1 AND o.customer_id = $2
         ORDER BY o.paid_at DESC NULLS LAST, o.id DESC LIMIT 200",
    )
    .bind(shop)
    .bind(customer)
    .fetch_all(db)
    .await
}

/// A buyer's tickets in a shop, newest first (at most 200), read as `T` from the columns `id`,
/// `order_no`, `kind`, `status`, `reason`, `refund_fen`, `opened_at` and `refunded` (whether the
/// timeline ever moved it to refunded): the buyer's file.
pub async fn tickets_of_customer<T>(db: impl PgExecutor<'_>, shop: ShopId, customer: CustomerId) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(
        "SELECT t.id, o.order_no, t.kind, t.status, t.reason, t.refund_fen, t.opened_at,
                t.refunded_at IS NOT NULL AS refunded
         FROM tickets t JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
         WHERE t.shop_id = $1 AND t.customer_id = $2
         ORDER BY t.opened_at DESC, t.id DESC LIMIT 200",
    )
    .bind(shop)
    .bind(customer)
    .fetch_all(db)
    .await
}

/// What a buyer's file counts, in one statement over the same newest 200 orders and tickets
/// that [`orders_of_customer`] and [`tickets_of_customer`] list, read as `T` from the columns
/// `nick`, `orders`, `recent_orders` (paid at or after `since`, or not paid), `tickets`,
/// `return_requests` (returns and exchanges), `recent_requests` (returns, exchanges and refunds
/// opened at or after `since`) and `refunds` (tickets ever moved to refunded).
///
/// Both are read from the indexes by buyer alone (`orders_customer`, `tickets_customer`: in the
/// lists' order, with what is counted; migration `…_buyer_file_from_indexes`). The tickets are
/// those the list shows without its join to their orders: every ticket has its order (a foreign
/// key), so the join drops none.
pub fn customer_counts<T>(shop: ShopId, customer: CustomerId, since: DateTime<Utc>) -> Read<T> {
    Read::new(
        "WITH o AS (
             SELECT o.paid_at FROM orders o WHERE o.shop_id = $1 AND o.customer_id = $2
             ORDER BY o.paid_at DESC NULLS LAST, o.id DESC LIMIT 200),
         t AS (
             SELECT t.kind, t.opened_at, t.refunded_at FROM tickets t
             WHERE t.shop_id = $1 AND t.customer_id = $2
             ORDER BY t.opened_at DESC, t.id DESC LIMIT 200)
         SELECT (SELECT c.nick FROM customers c WHERE c.shop_id = $1 AND c.id = $2) AS nick,
                (SELECT count(*) FROM o) AS orders,
                (SELECT count(*) FROM o WHERE o.paid_at IS NULL OR o.paid_at >= $3) AS recent_orders,
                (SELECT count(*) FROM t) AS tickets,
                (SELECT count(*) FROM t WHERE t.kind IN ('return', 'exchange')) AS return_requests,
                (SELECT count(*) FROM t WHERE t.kind IN ('return', 'exchange', 'refund') AND t.opened_at >= $3)
                    AS recent_requests,
                (SELECT count(*) FROM t WHERE t.refunded_at IS NOT NULL) AS refunds",
    )
    .bind(shop)
    .bind(customer)
    .bind(since)
}

/// The waiting return visits of `shops` (at most `limit`, soonest due first), each with its
/// ticket's facts for the visit list, read as `T` from the columns `id`, `ticket_id`, `shop_id`,
/// `due_at`, `buyer` (the nick), `order_no`, `kind`, `status` and `assignee_name`. A ticket
/// merged into another is left out: its case goes on, and is asked about, on the other.
pub async fn waiting_visits<T>(db: impl PgExecutor<'_>, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(
        "SELECT v.id, v.ticket_id, v.shop_id, v.due_at, c.nick AS buyer, o.order_no, t.kind, t.status,
                u.display_name AS assignee_name
         FROM return_visits v
         JOIN tickets t ON t.shop_id = v.shop_id AND t.id = v.ticket_id
         JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
         JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
         LEFT JOIN users u ON u.id = t.assignee_id
         WHERE v.shop_id = ANY($1) AND v.answered_at IS NULL AND t.merged_into IS NULL
         ORDER BY v.due_at, v.id LIMIT $2",
    )
    .bind(shops)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The open tickets of a shop that someone works, as (the assignee's login, the ticket), by id:
/// the benchmark's sample of each agent's queue.
pub async fn open_by_assignee_login(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<(String, TicketId)>> {
    sqlx::query_as(
        "SELECT u.login, t.id FROM tickets t JOIN users u ON u.id = t.assignee_id
             WHERE t.shop_id = $1 AND t.closed_at IS NULL ORDER BY t.id",
    )
    .bind(shop)
    .fetch_all(db)
    .await
}

/// The lowest and highest ticket id of a shop (none without tickets): the benchmark's range to
/// sample ticket pages from.
pub async fn id_range(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Option<(TicketId, TicketId)>> {
    let (low, high): (Option<TicketId>, Option<TicketId>) =
        sqlx::query_as("SELECT min(id), max(id) FROM tickets WHERE shop_id = $1")
            .bind(shop)
            .fetch_one(db)
            .await?;
    Ok(low.zip(high))
}

/// Records the return address a return or exchange was approved with: its id and its text as
/// read then (the version is bumped by the move it goes with).
pub async fn store_return_address(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    address_id: i64,
    text: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET return_address_id = $3, return_address = $4 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(address_id)
        .bind(text)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the buyer's shipment back: the carrier and the tracking number (the version is
/// bumped by the move it goes with).
pub async fn store_shipment(
    conn: &mut PgConnection,
    shop: ShopId,
    ticket: TicketId,
    carrier: &str,
    tracking_no: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET return_carrier = $3, return_tracking_no = $4 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(ticket)
        .bind(carrier)
        .bind(tracking_no)
        .execute(conn)
        .await?;
    Ok(())
}
