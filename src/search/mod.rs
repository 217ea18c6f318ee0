//! Search: one box that finds tickets of every status (by number, order and tracking numbers,
//! the buyer, the description, what was said on the timeline), buyers and orders, in Chinese
//! and in letters and digits, in milliseconds on a shop of a million tickets.
//!
//! - `text.rs` — the tokeniser, the query reader and the marking of hits (pure);
//! - `age.rs` — the age buckets that let a search read the newest matches first (pure);
//! - `index.rs` — the index tables, the pending list the triggers fill, the indexer and its
//!   worker;
//! - this file — a search: the request's filters, the statements, the hits;
//! - `api.rs` — `GET /api/v1/shops/{shop}/search`; `page.rs` — `/search` and the header's box.

pub mod age;
pub mod api;
pub mod index;
pub mod page;
pub mod text;

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::workflow::{Status, TicketKind};
use crate::tickets::Ticket;
use crate::tickets::model::{ticket_columns, ticket_joins};
use text::{Asked, Piece, Query, Source};

/// Tickets per page.
pub const PAGE: i64 = 25;
/// Best matches shown above the list.
const BEST: i64 = 5;
/// Buyers and orders shown beside the tickets.
const SIDE: i64 = 5;
/// The longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Pending rows a search indexes before it runs; past that it says the index is catching up.
const CATCH_UP: i64 = 2_000;
/// Characters of text shown around a hit.
const SNIPPET_CHARS: usize = 60;

/// Which tickets, by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    Any,
    Open,
    Closed,
    Is(Status),
}

/// Whose tickets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Nobody,
    User(UserId),
}

/// A search, read and checked.
#[derive(Clone, Debug)]
pub struct Request {
    pub query: Query,
    pub kind: Option<TicketKind>,
    pub status: StatusFilter,
    /// Opened on or after this day (the shop's calendar).
    pub from: Option<NaiveDate>,
    /// Opened on or before this day.
    pub to: Option<NaiveDate>,
    pub assignee: AssigneeFilter,
    /// The last ticket of the page before (keyset paging, newest first).
    pub before: Option<TicketId>,
}

/// The parameters as they come (the page's form and the API's query string).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// What to find: words (all must match), a "quoted phrase", a ticket number (`156`,
    /// `#156`), part of an order or tracking number, of a buyer's nick.
    #[serde(default)]
    pub q: String,
    /// `refund`, `return`, `exchange`, `complaint`, `logistics`, `bad_review`.
    pub kind: Option<String>,
    /// `open`, `closed` or one status.
    pub status: Option<String>,
    /// Opened on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Opened on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// A user id, or `none` for the shared queue.
    pub assignee: Option<String>,
    /// The `next_before` of the page before.
    pub before: Option<String>,
}

/// What is wrong with a parameter: the field and the catalogue key saying what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub field: &'static str,
    pub key: &'static str,
    /// The same in English, for the API.
    pub message: &'static str,
}

impl Params {
    /// Whether nothing was typed (the page shows its empty form).
    pub fn is_blank(&self) -> bool {
        self.q.trim().is_empty()
    }

    /// Reads the parameters; every mistake found, field by field.
    pub fn read(&self) -> Result<Request, Vec<ParamError>> {
        let mut errors = Vec::new();
        let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let query = if self.q.chars().count() > MAX_QUERY_CHARS {
            errors.push(ParamError {
                field: "q",
                key: "search.error.too_long",
                message: "the search is longer than 200 characters: shorten it",
            });
            None
        } else {
            let q = Query::parse(&self.q);
            if q.is_none() {
                errors.push(ParamError {
                    field: "q",
                    key: "search.error.empty",
                    message: "type what to find: a word, a ticket, order or tracking number, a buyer's nick",
                });
            }
            q
        };
        let kind = given(&self.kind).and_then(|k| {
            let parsed = TicketKind::parse(&k);
            if parsed.is_none() {
                errors.push(ParamError {
                    field: "kind",
                    key: "search.error.kind",
                    message: "kind: one of refund, return, exchange, complaint, logistics, bad_review",
                });
            }
            parsed
        });
        let status = match given(&self.status).as_deref() {
            None => StatusFilter::Any,
            Some("open") => StatusFilter::Open,
            Some("closed") => StatusFilter::Closed,
            Some(s) => Status::parse(s).map(StatusFilter::Is).unwrap_or_else(|| {
                errors.push(ParamError {
                    field: "status",
                    key: "search.error.status",
                    message: "status: open, closed or one status of the workflow",
                });
                StatusFilter::Any
            }),
        };
        let mut date = |field: &'static str, value: &Option<String>| {
            given(value).and_then(|d| {
                // chrono reads signed and five-digit years; PostgreSQL's dates do not go there.
                let parsed = NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .ok()
                    .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)));
                if parsed.is_none() {
                    errors.push(ParamError {
                        field,
                        key: "search.error.date",
                        message: "a date is written YYYY-MM-DD, e.g. 2026-11-30",
                    });
                }
                parsed
            })
        };
        let from = date("from", &self.from);
        let to = date("to", &self.to);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.push(ParamError {
                field: "to",
                key: "search.error.range",
                message: "the last day comes before the first: swap them",
            });
        }
        let assignee = match given(&self.assignee).as_deref() {
            None => AssigneeFilter::Anyone,
            Some("none") => AssigneeFilter::Nobody,
            Some(id) => id
                .parse::<i64>()
                .map(|id| AssigneeFilter::User(UserId(id)))
                .unwrap_or_else(|_| {
                    errors.push(ParamError {
                        field: "assignee",
                        key: "search.error.assignee",
                        message: "assignee: a user id, or none for the shared queue",
                    });
                    AssigneeFilter::Anyone
                }),
        };
        let before = given(&self.before).and_then(|b| {
            let parsed = b.parse::<i64>().ok().filter(|b| *b > 0);
            if parsed.is_none() {
                errors.push(ParamError {
                    field: "before",
                    key: "search.error.before",
                    message: "before: the next_before of the page before",
                });
            }
            parsed
        });
        match query {
            Some(query) if errors.is_empty() => Ok(Request {
                query,
                kind,
                status,
                from,
                to,
                assignee,
                before: before.map(TicketId),
            }),
            _ => Err(errors),
        }
    }
}

/// Who searches: what they may find and see.
#[derive(Clone, Copy, Debug)]
pub struct Viewer {
    /// Whether buyers' phone numbers are searched (the people who contact buyers see them).
    pub phones: bool,
    /// Whether buyers' names are shown whole.
    pub names: bool,
}

impl Viewer {
    pub fn of(user: &CurrentUser) -> Viewer {
        let works = user.may(Action::WorkTickets);
        Viewer {
            phones: works,
            names: works,
        }
    }
}

/// A ticket found, with what matched.
#[derive(Debug)]
pub struct Hit {
    pub ticket: Ticket,
    /// Where the words were found; `None` when only by its number.
    pub source: Option<Source>,
    pub pieces: Vec<Piece>,
}

/// A buyer found: the phone masked (a list), the name masked for roles that do not contact
/// buyers.
#[derive(Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct BuyerHit {
    pub id: i64,
    pub nick: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub tickets: i64,
    /// Their newest ticket (the buyer's page is reached from a ticket).
    pub latest_ticket: Option<i64>,
}

/// An order found.
#[derive(Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct OrderHit {
    pub id: i64,
    pub order_no: String,
    pub buyer: String,
    pub paid_at: Option<chrono::DateTime<chrono::Utc>>,
    pub titles: Option<String>,
    pub tickets: i64,
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Results {
    /// Exact matches of an identifier (this ticket, this order, this waybill), on the first page.
    pub best: Vec<Hit>,
    /// Every other match, newest first.
    pub tickets: Vec<Hit>,
    /// Where the next page starts, when there is one.
    pub next_before: Option<TicketId>,
    /// On the first page.
    pub buyers: Vec<BuyerHit>,
    pub orders: Vec<OrderHit>,
    /// More was written than a search indexes first: the newest changes may be missing.
    pub catching_up: bool,
}

/// The filters of a ticket list, on `t` (tickets) and `sh` (the shop), parameters `$4`–`$11`.
macro_rules! filters {
    () => {
        "AND ($4::text IS NULL OR t.kind = $4) AND ($5::text IS NULL OR t.status = $5)
         AND (NOT $6 OR t.closed_at IS NOT NULL) AND (NOT $7 OR t.closed_at IS NULL)
         AND ($8::date IS NULL OR t.opened_at >= ($8::date::timestamp AT TIME ZONE sh.time_zone))
         AND ($9::date IS NULL OR t.opened_at < (($9::date + 1)::timestamp AT TIME ZONE sh.time_zone))
         AND ($10::bigint IS NULL OR t.assignee_id = $10) AND (NOT $11 OR t.assignee_id IS NULL)"
    };
}

/// The shop and the filters as bound to the statements.
struct Bound {
    shop: ShopId,
    kind: Option<TicketKind>,
    status: Option<Status>,
    closed: bool,
    open: bool,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    assignee: Option<UserId>,
    unassigned: bool,
}

/// A statement that answers ticket ids, being bound.
type IdsStatement<'q> = sqlx::query::QueryScalar<'q, sqlx::Postgres, i64, sqlx::postgres::PgArguments>;

impl Bound {
    /// Binds the filters as `$4`–`$11` ([`filters!`]), after `$1`–`$3`.
    fn bind_filters<'q>(&self, statement: IdsStatement<'q>) -> IdsStatement<'q> {
        statement
            .bind(self.kind)
            .bind(self.status)
            .bind(self.closed)
            .bind(self.open)
            .bind(self.from)
            .bind(self.to)
            .bind(self.assignee)
            .bind(self.unassigned)
    }

    /// Whether no filter is set (the shop only).
    fn is_none(&self) -> bool {
        self.kind.is_none()
            && self.status.is_none()
            && !self.closed
            && !self.open
            && self.from.is_none()
            && self.to.is_none()
            && self.assignee.is_none()
            && !self.unassigned
    }

    fn of(shop: ShopId, request: &Request) -> Bound {
        let (status, closed, open) = match request.status {
            StatusFilter::Any => (None, false, false),
            StatusFilter::Open => (None, false, true),
            StatusFilter::Closed => (None, true, false),
            StatusFilter::Is(s) => (Some(s), false, false),
        };
        let (assignee, unassigned) = match request.assignee {
            AssigneeFilter::Anyone => (None, false),
            AssigneeFilter::Nobody => (None, true),
            AssigneeFilter::User(u) => (Some(u), false),
        };
        Bound {
            shop,
            kind: request.kind,
            status,
            closed,
            open,
            from: request.from,
            to: request.to,
            assignee,
            unassigned,
        }
    }
}

/// How every statement of a search is planned. The lists read their index table through the
/// GIN index, one age level at a time ([`age`]), never by reading the table through, nor
/// through a primary key's range (the statements write `id + 0` for that); the tops, the joins
/// of the filters and the hits' rows use the primary keys; plans are the same for every word,
/// so each statement is planned once per connection (`db::planned`; on Citus, planned at each
/// call); a search is one of many at once, so it starts no parallel workers.
pub const SETTINGS: [(&str, &str); 3] = [
    ("enable_seqscan", "off"),
    ("max_parallel_workers_per_gather", "0"),
    crate::db::planned::GENERIC_PLANS,
];

/// The search's own connections to the database, opened with [`SETTINGS`] (so a search sets
/// nothing and needs no transaction: it only reads).
#[derive(Clone, Debug)]
pub struct Connections {
    planned: crate::db::planned::PlannedOnce,
}

/// Where the index tables are, which decides how the level statements name the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// In one PostgreSQL: the statements write `shop_id + 0 = $1`, so that a plan made once for
    /// every shop never walks the shop's range of the primary key instead of the GIN index.
    Local,
    /// Distributed by shop on Citus: the statements write `shop_id = $1`, the term Citus finds
    /// the shop's node by (the node plans the statement for that one shop).
    Distributed,
}

impl Placement {
    /// The statement of `statements` written for this placement.
    fn of(self, statements: &[&'static str; 2]) -> &'static str {
        match self {
            Placement::Local => statements[0],
            Placement::Distributed => statements[1],
        }
    }
}

impl Connections {
    /// Closes them (at shutdown).
    pub async fn close(&self) {
        self.planned.close().await;
    }

    /// Connections to the database of `pool`, as its own are made (`PlannedOnce::beside`: the
    /// first one made learns whether the index tables are distributed).
    pub fn beside(pool: &PgPool) -> Connections {
        Connections {
            planned: crate::db::planned::PlannedOnce::beside(pool, &SETTINGS, "ticket_search"),
        }
    }

    /// The connections themselves (the benchmark reads what was prepared on them).
    pub fn pool(&self) -> &PgPool {
        self.planned.pool()
    }

    /// How the index tables are placed (learnt when the first connection was made).
    fn placement(&self) -> Placement {
        if self.planned.distributed() {
            Placement::Distributed
        } else {
            Placement::Local
        }
    }
}

/// The `tsquery`s of each age level below `top` ([`Asked`]: every word, any word) and the
/// levels' id ranges, as bound to the statements (`text[]`, `text[]`, `bigint[]`, `bigint[]`).
struct Levels {
    all: Vec<String>,
    any: Vec<String>,
    froms: Vec<i64>,
    belows: Vec<i64>,
}

fn levels(asked: &Asked, top: i64) -> Levels {
    let (all, froms, belows) = side_levels(&asked.all, top);
    let (any, _, _) = side_levels(&asked.any, top);
    Levels {
        all,
        any,
        froms,
        belows,
    }
}

/// The `tsquery` of each age level below `top` and the levels' id ranges: for the buyers' and
/// orders' documents (one each), and each half of [`levels`].
fn side_levels(tsquery: &str, top: i64) -> (Vec<String>, Vec<i64>, Vec<i64>) {
    let levels = age::levels(top);
    (
        levels.iter().map(|l| l.tsquery(tsquery)).collect(),
        levels.iter().map(|l| l.from).collect(),
        levels.iter().map(|l| l.below).collect(),
    )
}

/// The tickets of these numbers that pass the filters, at most `limit`.
async fn tickets_numbered(conn: &mut sqlx::PgConnection, ids: &[i64], f: &Bound, limit: i64) -> sqlx::Result<Vec<i64>> {
    let statement = sqlx::query_scalar(concat!(
        "SELECT t.id FROM tickets t JOIN shops sh ON sh.id = t.shop_id
         WHERE t.shop_id = $1 AND t.id = ANY($2) ",
        filters!(),
        " ORDER BY t.id DESC LIMIT $3"
    ))
    .bind(f.shop)
    .bind(ids)
    .bind(limit);
    f.bind_filters(statement).fetch_all(conn).await
}

/// A statement as written for each [`Placement`], in the order [`Placement::of`] takes them:
/// the macro `$m` is given what follows `shop_id` in the shop's term (` + 0` on one PostgreSQL,
/// nothing on Citus), then its own arguments.
macro_rules! placed {
    ($m:ident) => {
        [$m!(" + 0"), $m!("")]
    };
    ($m:ident, $($args:tt)*) => {
        [$m!(" + 0", $($args)*), $m!("", $($args)*)]
    };
}

/// The levels' read of a ticket's documents, with the joins and the conditions the filters
/// need: `$1` the shop (`shop_id` followed by `$after_shop`: [`placed`]), `$2` the levels'
/// `tsquery`s of every word, `$3` the tickets shown already; the levels' ranges and their
/// `tsquery`s of any word (`$levels`: three arrays), the limit and the filters as numbered by the
/// caller.
///
/// A level reads the documents built whole (`ticket_search`, its GIN index) and, beside them, the
/// words added to tickets since (`ticket_search_added`, its own GIN index: any of the words,
/// then every word in the two documents together, [`Asked`]). Both parts are the newest first
/// and stop at the limit; a ticket found by both is listed once.
macro_rules! ticket_levels {
    ($after_shop:literal, $levels:literal, $joins:literal, $filters:expr, $limit:literal) => {
        concat!(
            "SELECT ticket_id FROM (
                 SELECT m.ticket_id FROM unnest($2::text[], ",
            $levels,
            ") AS l(q, low, high, qa)
                 CROSS JOIN LATERAL (
                     (SELECT s.ticket_id FROM ticket_search s ",
            $joins,
            " WHERE s.doc @@ l.q::tsquery AND s.shop_id",
            $after_shop,
            " = $1
                       AND s.ticket_id + 0 >= l.low AND s.ticket_id + 0 < l.high AND s.ticket_id <> ALL($3) ",
            $filters,
            " ORDER BY s.ticket_id + 0 DESC LIMIT ",
            $limit,
            ")
                     UNION
                     (SELECT s.ticket_id FROM ticket_search_added a
                      JOIN ticket_search s ON s.shop_id = a.shop_id AND s.ticket_id = a.ticket_id ",
            $joins,
            " WHERE a.doc @@ l.qa::tsquery AND a.shop_id",
            $after_shop,
            " = $1
                       AND a.ticket_id + 0 >= l.low AND a.ticket_id + 0 < l.high AND a.ticket_id <> ALL($3)
                       AND (s.doc || a.doc) @@ l.q::tsquery ",
            $filters,
            " ORDER BY a.ticket_id + 0 DESC LIMIT ",
            $limit,
            ")
                     ORDER BY 1 DESC LIMIT ",
            $limit,
            ") m
                 LIMIT ",
            $limit,
            ") found
             ORDER BY ticket_id DESC"
        )
    };
}

/// The newest tickets below `top` that `tsquery` finds and that pass the filters, not in
/// `except`: at most `limit`, read level by level and no further than the page needs. Without
/// filters the index table alone answers (a join per match would cost more than the match).
///
/// The text statements are prepared once per connection and keep one plan for every word
/// ([`SETTINGS`]: the plan walks the GIN index level by level whatever is searched). Sent
/// unnamed instead, each was parsed and planned again at every search and cost two round trips
/// (sqlx waits for the parse before it binds) where a prepared one costs one: on a generated
/// shop of 100,000 tickets, four alternating runs answered 221–261 searches a second unnamed
/// and 280–333 prepared (docs/PERFORMANCE.md).
async fn tickets_of(
    conn: &mut sqlx::PgConnection,
    placement: Placement,
    asked: &Asked,
    top: i64,
    f: &Bound,
    except: &[i64],
    limit: i64,
) -> sqlx::Result<Vec<i64>> {
    let l = levels(asked, top);
    if f.is_none() {
        const ALONE: [&str; 2] = placed!(ticket_levels, "$4::bigint[], $6::bigint[], $7::text[]", "", "", "$5");
        return sqlx::query_scalar(placement.of(&ALONE))
            .bind(f.shop)
            .bind(l.all)
            .bind(except)
            .bind(l.froms)
            .bind(limit)
            .bind(l.belows)
            .bind(l.any)
            .fetch_all(conn)
            .await;
    }
    const FILTERED: [&str; 2] = placed!(
        ticket_levels,
        "$12::bigint[], $14::bigint[], $15::text[]",
        "JOIN tickets t ON t.shop_id = s.shop_id AND t.id = s.ticket_id JOIN shops sh ON sh.id = s.shop_id",
        filters!(),
        "$13"
    );
    let statement = sqlx::query_scalar(placement.of(&FILTERED))
        .bind(f.shop)
        .bind(l.all)
        .bind(except);
    f.bind_filters(statement)
        .bind(l.froms)
        .bind(limit)
        .bind(l.belows)
        .bind(l.any)
        .fetch_all(conn)
        .await
}

/// Where each index table's levels start: one past its newest row.
struct Tops {
    tickets: i64,
    buyers: i64,
    orders: i64,
}

/// Whether anything of the shop waits to be indexed, and the tops.
async fn tops(conn: &mut sqlx::PgConnection, shop: ShopId) -> sqlx::Result<(bool, Tops)> {
    // One statement, one round trip: each part reads one table of the shop (on Citus the shop's
    // node answers the whole of it: the tables are placed together). Rows, not subqueries
    // without FROM: Citus cannot plan one of those that takes a parameter.
    let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT 'pending', NULL::bigint FROM (SELECT 1 FROM search_pending WHERE shop_id = $1 LIMIT 1) p
         UNION ALL SELECT 'tickets', max(ticket_id) FROM ticket_search WHERE shop_id = $1
         UNION ALL SELECT 'buyers', max(customer_id) FROM buyer_search WHERE shop_id = $1
         UNION ALL SELECT 'orders', max(order_id) FROM order_search WHERE shop_id = $1",
    )
    .bind(shop)
    .fetch_all(&mut *conn)
    .await?;
    let max = |of: &str| rows.iter().find(|(name, _)| name == of).and_then(|(_, max)| *max);
    let pending = rows.iter().any(|(name, _)| name == "pending");
    let top = |max: Option<i64>| max.map_or(0, |m| m + 1);
    let tops = Tops {
        tickets: top(max("tickets")),
        buyers: top(max("buyers")),
        orders: top(max("orders")),
    };
    Ok((pending, tops))
}

/// A hit's row and the rest of its own text, in one read.
#[derive(sqlx::FromRow)]
struct Found {
    #[sqlx(flatten)]
    ticket: Ticket,
    #[sqlx(flatten)]
    text: index::OwnText,
}

/// Runs a search in one shop: `pool` indexes what is pending first, the search's own
/// connections read.
pub async fn search(
    pool: &PgPool,
    connections: &Connections,
    shop: ShopId,
    request: &Request,
    viewer: Viewer,
) -> sqlx::Result<Results> {
    let mut conn = connections.pool().acquire().await?;
    let placement = connections.placement();
    let (mut catching_up, mut tops) = tops(&mut conn, shop).await?;
    if catching_up {
        // The connection is not held while the indexer's rows are waited for.
        drop(conn);
        index::catch_up(pool, shop, CATCH_UP).await?;
        conn = connections.pool().acquire().await?;
        (catching_up, tops) = self::tops(&mut conn, shop).await?;
    }
    let query = &request.query;
    let asked = query.asked(viewer.phones);
    let tsquery = &asked.all;
    let f = Bound::of(shop, request);
    let first_page = request.before.is_none();

    // Best matches: the ticket of that number, and exact hits in an identifier (order and
    // tracking numbers, nicks, or their endings), which only a query of letters or digits can
    // be (fewer than four of them end too many identifiers to be a best match). Found on every
    // page so that no page lists them again; shown on the first.
    let mut best: Vec<i64> = Vec::new();
    if let Some(n) = query.ticket_no {
        best = tickets_numbered(&mut conn, &[n], &f, BEST).await?;
    }
    if query.has_long_words() && !query.only_number {
        let limit = BEST - best.len() as i64;
        let more = tickets_of(
            &mut conn,
            placement,
            &query.best_asked(),
            tops.tickets,
            &f,
            &best,
            limit,
        )
        .await?;
        best.extend(more);
    }
    // `#156` asks for that ticket only.
    let text = !query.only_number;
    let top = request.before.map_or(tops.tickets, |b| b.0);
    let mut ids = if text {
        tickets_of(&mut conn, placement, &asked, top, &f, &best, PAGE + 1).await?
    } else {
        Vec::new()
    };
    let next_before = if ids.len() as i64 > PAGE {
        ids.truncate(PAGE as usize);
        ids.last().copied().map(TicketId)
    } else {
        None
    };
    if !first_page {
        best.clear();
    }
    let (buyers, orders) = if first_page && text {
        let mut buyers = buyers_of(&mut conn, placement, shop, tsquery, tops.buyers).await?;
        for b in &mut buyers {
            b.phone = b.phone.as_deref().map(crate::privacy::mask_phone);
            if !viewer.names {
                b.name = b.name.as_deref().map(crate::privacy::mask_name);
            }
        }
        let orders = orders_of(&mut conn, placement, shop, tsquery, tops.orders).await?;
        (buyers, orders)
    } else {
        (Vec::new(), Vec::new())
    };
    let shown: Vec<i64> = best.iter().chain(&ids).copied().collect();
    let found: Vec<Found> = sqlx::query_as(concat!(
        ticket_columns!(),
        index::own_text_columns!(),
        ticket_joins!(),
        "WHERE t.shop_id = $1 AND t.id = ANY($2)"
    ))
    .bind(shop)
    .bind(&shown)
    .fetch_all(&mut *conn)
    .await?;
    // A hit's own fields come first in its text: the timeline is read only for the hits they
    // do not explain.
    let mut hits: HashMap<i64, Hit> = HashMap::with_capacity(found.len());
    let mut unexplained: HashMap<i64, Vec<(Source, String)>> = HashMap::new();
    let mut opened = Vec::new();
    for Found { ticket, text } in found {
        let id = ticket.id.0;
        let own = index::own_pieces(
            index::OwnFields {
                id,
                order_no: &ticket.order_no,
                buyer: &ticket.buyer,
                sku: ticket.sku.as_deref(),
                tracking_no: ticket.return_tracking_no.as_deref(),
                description: &ticket.description,
                review_text: ticket.review_text.as_deref(),
            },
            text,
        );
        let (source, pieces) = match mark(query, &own, viewer) {
            Some((source, pieces)) => (Some(source), pieces),
            None => {
                unexplained.insert(id, Vec::new());
                opened.push((id, ticket.opened_at));
                (None, text::excerpt(&ticket.description, SNIPPET_CHARS))
            }
        };
        hits.insert(id, Hit { ticket, source, pieces });
    }
    if !unexplained.is_empty() {
        index::add_event_pieces(&mut conn, shop, &opened, &mut unexplained).await?;
        for (id, events) in unexplained {
            if let (Some(hit), Some((source, pieces))) = (hits.get_mut(&id), mark(query, &events, viewer)) {
                hit.source = Some(source);
                hit.pieces = pieces;
            }
        }
    }
    let best = best.iter().filter_map(|id| hits.remove(id)).collect();
    let tickets = ids.iter().filter_map(|id| hits.remove(id)).collect();
    Ok(Results {
        best,
        tickets,
        next_before,
        buyers,
        orders,
        catching_up,
    })
}

/// What a buyer hit shows, from `c` (customers): the statements' common head.
macro_rules! buyer_columns {
    () => {
        "SELECT c.id, c.nick, c.name, c.phone,
                (SELECT count(*) FROM tickets t WHERE t.shop_id = c.shop_id AND t.customer_id = c.id) AS tickets,
                (SELECT max(t.id) FROM tickets t WHERE t.shop_id = c.shop_id AND t.customer_id = c.id) AS latest_ticket
         "
    };
}

/// What an order hit shows, from `o` (orders) and `c` (its buyer): the statements' common head.
macro_rules! order_columns {
    () => {
        "SELECT o.id, o.order_no, c.nick AS buyer, o.paid_at,
                (SELECT string_agg(l.title, ' / ' ORDER BY l.sku) FROM order_lines l
                 WHERE l.shop_id = o.shop_id AND l.order_id = o.id) AS titles,
                (SELECT count(*) FROM tickets t WHERE t.shop_id = o.shop_id AND t.order_id = o.id) AS tickets
         "
    };
}

/// The newest `$id`s of the index table `$table` of the shop `$1` (`shop_id` followed by
/// `$after_shop`: [`placed`]) that the levels' `tsquery`s find (`$2`, with the ranges `$4`, `$5`),
/// at most `$3`, as the table `found`: the buyers' and the orders' lists.
macro_rules! side_levels {
    ($after_shop:literal, $table:literal, $id:literal) => {
        concat!(
            "(SELECT m.",
            $id,
            " FROM unnest($2::text[], $4::bigint[], $5::bigint[]) AS l(q, low, high)
              CROSS JOIN LATERAL (
                  SELECT x.",
            $id,
            " FROM ",
            $table,
            " x
                  WHERE x.doc @@ l.q::tsquery AND x.shop_id",
            $after_shop,
            " = $1
                    AND x.",
            $id,
            " + 0 >= l.low AND x.",
            $id,
            " + 0 < l.high
                  ORDER BY x.",
            $id,
            " + 0 DESC LIMIT $3) m
              LIMIT $3) found "
        )
    };
}

/// The rows of a buyers' or an orders' statement ([`side_levels`]) for the query's levels below
/// `top`, at most [`SIDE`].
async fn side_hits<T>(
    conn: &mut sqlx::PgConnection,
    statement: &'static str,
    shop: ShopId,
    tsquery: &str,
    top: i64,
) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let (queries, froms, belows) = side_levels(tsquery, top);
    // Prepared, with one plan for every word, as [`tickets_of`]'s.
    sqlx::query_as(statement)
        .bind(shop)
        .bind(queries)
        .bind(SIDE)
        .bind(froms)
        .bind(belows)
        .fetch_all(conn)
        .await
}

/// The newest buyers the query finds.
async fn buyers_of(
    conn: &mut sqlx::PgConnection,
    placement: Placement,
    shop: ShopId,
    tsquery: &str,
    top: i64,
) -> sqlx::Result<Vec<BuyerHit>> {
    macro_rules! statement {
        ($after_shop:literal) => {
            concat!(
                buyer_columns!(),
                "FROM ",
                side_levels!($after_shop, "buyer_search", "customer_id"),
                "JOIN customers c ON c.shop_id = $1 AND c.id = found.customer_id
                 ORDER BY c.id DESC"
            )
        };
    }
    const STATEMENTS: [&str; 2] = placed!(statement);
    side_hits(conn, placement.of(&STATEMENTS), shop, tsquery, top).await
}

/// The newest orders the query finds.
async fn orders_of(
    conn: &mut sqlx::PgConnection,
    placement: Placement,
    shop: ShopId,
    tsquery: &str,
    top: i64,
) -> sqlx::Result<Vec<OrderHit>> {
    macro_rules! statement {
        ($after_shop:literal) => {
            concat!(
                order_columns!(),
                "FROM ",
                side_levels!($after_shop, "order_search", "order_id"),
                "JOIN orders o ON o.shop_id = $1 AND o.id = found.order_id
                 JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
                 ORDER BY o.id DESC"
            )
        };
    }
    const STATEMENTS: [&str; 2] = placed!(statement);
    side_hits(conn, placement.of(&STATEMENTS), shop, tsquery, top).await
}

/// The first of these pieces of a ticket's text that the query matches, marked, as the
/// viewer may see it; `None` when none does (the ticket was found by its number, by a word in
/// another piece, or by a word the marking does not see).
fn mark(query: &Query, pieces: &[(Source, String)], viewer: Viewer) -> Option<(Source, Vec<Piece>)> {
    pieces.iter().find_map(|(source, text)| {
        shown(*source, text.clone(), viewer)
            .and_then(|t| query.mark(&t, SNIPPET_CHARS))
            .map(|marked| (*source, marked))
    })
}

/// A piece of text as the viewer may see it next to a hit (`None`: not shown, as the ticket's
/// number, or a phone to a role that sees it masked).
fn shown(source: Source, text: String, viewer: Viewer) -> Option<String> {
    match source {
        Source::TicketNo => None,
        Source::Phone if !viewer.phones => None,
        Source::Phone => Some(crate::privacy::mask_phone(&text)),
        Source::Name if !viewer.names => Some(crate::privacy::mask_name(&text)),
        _ => Some(text),
    }
}
