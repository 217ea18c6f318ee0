//! Search: one box that finds tickets of every status (by number, order and tracking numbers,
//! the buyer, the description, what was said on the timeline), buyers and orders, in Chinese
//! and in letters and digits, in milliseconds on a shop of a million tickets.
//!
//! - `text.rs` — the tokeniser, the query reader and the marking of hits (pure);
//! - `index.rs` — the index tables, the pending list the triggers fill, the indexer and its
//!   worker;
//! - this file — a search: the request's filters, the statements, the hits;
//! - `api.rs` — `GET /api/v1/shops/{shop}/search`; `page.rs` — `/search` and the header's box.

pub mod api;
pub mod index;
pub mod page;
pub mod text;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::workflow::{Status, TicketKind};
use crate::tickets::Ticket;
use crate::tickets::model::ticket_select;
use text::{Piece, Query, Source};

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

/// A query found in at least this share of the documents (by the statistics) is read newest
/// first along the primary key, which soon meets enough matches; a rarer one through the GIN
/// index, which finds all of them at once.
const COMMON: f64 = 0.002;
/// The most rows a walk along the primary key reads for one page: past them the page ends there
/// (with fewer hits) and the next page goes on from where it stopped.
const WALK_ROWS: i64 = 20_000;
/// How long the statistics read from `pg_stats` are used before they are read again.
const STATS_FOR: std::time::Duration = std::time::Duration::from_secs(300);

/// The most common lexemes of each index table and the share of documents holding each, as
/// `ANALYZE` counted them (`pg_stats.most_common_elems`): what the planner knows, read here so
/// that the desk, not the planner's guess for a word it has no figure for, picks the plan.
#[derive(Debug, Default)]
struct Frequencies {
    tables: std::collections::HashMap<index::Kind, std::collections::BTreeMap<String, f64>>,
}

impl Frequencies {
    /// The share of `table`'s documents holding `lexeme` (or, with `prefix`, any lexeme it
    /// starts, at most 1); zero when it is not among the common ones.
    fn of(&self, table: index::Kind, lexeme: &str, prefix: bool) -> f64 {
        let Some(map) = self.tables.get(&table) else {
            return 0.0;
        };
        if prefix {
            map.range(lexeme.to_string()..)
                .take_while(|(l, _)| l.starts_with(lexeme))
                .map(|(_, f)| f)
                .sum::<f64>()
                .min(1.0)
        } else {
            map.get(lexeme).copied().unwrap_or(0.0)
        }
    }
}

/// A table's name, its most common lexemes and their shares, as `pg_stats` has them.
type StatsRow = (String, Option<Vec<String>>, Option<Vec<f32>>);

/// The statistics last read, by database (tests run several in one process).
type Cached = (String, std::time::Instant, std::sync::Arc<Frequencies>);

static FREQUENCIES: std::sync::Mutex<Option<Cached>> = std::sync::Mutex::new(None);

/// The statistics, read again when older than [`STATS_FOR`].
async fn frequencies(tx: &mut sqlx::PgConnection) -> sqlx::Result<std::sync::Arc<Frequencies>> {
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut *tx)
        .await?;
    if let Ok(cached) = FREQUENCIES.lock()
        && let Some((of, at, f)) = cached.as_ref()
        && *of == database
        && at.elapsed() < STATS_FOR
    {
        return Ok(f.clone());
    }
    let rows: Vec<StatsRow> = sqlx::query_as(
        "SELECT tablename::text, most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
         WHERE schemaname = current_schema() AND attname = 'doc'
           AND tablename IN ('ticket_search', 'buyer_search', 'order_search')",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut f = Frequencies::default();
    for (table, lexemes, freqs) in rows {
        let kind = match table.as_str() {
            "ticket_search" => index::Kind::Ticket,
            "buyer_search" => index::Kind::Buyer,
            _ => index::Kind::Order,
        };
        let map = lexemes
            .unwrap_or_default()
            .into_iter()
            .zip(freqs.unwrap_or_default().into_iter().map(f64::from))
            .collect();
        f.tables.insert(kind, map);
    }
    let f = std::sync::Arc::new(f);
    if let Ok(mut cached) = FREQUENCIES.lock() {
        *cached = Some((database, std::time::Instant::now(), f.clone()));
    }
    Ok(f)
}

/// How a list is read.
enum Plan {
    /// These tickets (a ticket's number).
    Ids(Vec<i64>),
    /// Every match through the GIN index, newest first (a rare query).
    All,
    /// Newest first along the primary key, each row checked, at most [`WALK_ROWS`] of them (a
    /// common query).
    Walk,
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

impl Bound {
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

/// The planner's estimate for a word it has no statistics about is far too high, and a walk
/// along the primary key for a word no ticket holds reads the whole shop: the plan is chosen
/// here, from the statistics ([`plan_for`]), and forced.
async fn force(tx: &mut sqlx::PgConnection, plan: &Plan) -> sqlx::Result<()> {
    let settings = match plan {
        Plan::All => {
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = on"
        }
        Plan::Ids(_) | Plan::Walk => {
            "SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = on; SET LOCAL enable_bitmapscan = off"
        }
    };
    sqlx::raw_sql(settings).execute(tx).await?;
    Ok(())
}

/// How to read `table` for `query`: all matches through the GIN index when they are rare,
/// else newest first.
fn plan_for(frequencies: &Frequencies, table: index::Kind, query: &Query, exact: bool) -> Plan {
    let share = query.estimate(|lexeme, prefix| frequencies.of(table, lexeme, prefix && !exact));
    if share >= COMMON { Plan::Walk } else { Plan::All }
}

/// The newest tickets of `plan` that pass the filters, not in `except`, before `before`; and,
/// when a walk stopped at its last row before finding `limit`, where it stopped (the page ends
/// there).
async fn tickets_of(
    tx: &mut sqlx::PgConnection,
    plan: &Plan,
    tsquery: &str,
    f: &Bound,
    except: &[i64],
    before: Option<TicketId>,
    limit: i64,
) -> sqlx::Result<(Vec<i64>, Option<TicketId>)> {
    force(tx, plan).await?;
    let statement = match plan {
        Plan::Ids(_) | Plan::All => concat!(
            "SELECT s.ticket_id FROM ticket_search s
             JOIN tickets t ON t.shop_id = s.shop_id AND t.id = s.ticket_id
             JOIN shops sh ON sh.id = s.shop_id
             WHERE s.shop_id = $1
               AND CASE WHEN $14::bigint[] IS NULL THEN s.doc @@ $2::tsquery ELSE s.ticket_id = ANY($14) END
               AND s.ticket_id <> ALL($3) AND ($12::bigint IS NULL OR s.ticket_id < $12) ",
            filters!(),
            " ORDER BY s.ticket_id DESC LIMIT $13"
        ),
        // The window is read in order and stops as soon as the page is full.
        Plan::Walk => concat!(
            "SELECT s.ticket_id FROM (
                 SELECT ticket_id, doc FROM ticket_search
                 WHERE shop_id = $1 AND ($12::bigint IS NULL OR ticket_id < $12) AND $14::bigint[] IS NULL
                 ORDER BY ticket_id DESC LIMIT $15) s
             JOIN tickets t ON t.shop_id = $1 AND t.id = s.ticket_id
             JOIN shops sh ON sh.id = $1
             WHERE s.doc @@ $2::tsquery AND s.ticket_id <> ALL($3) ",
            filters!(),
            " ORDER BY s.ticket_id DESC LIMIT $13"
        ),
    };
    let ids: Option<&[i64]> = match plan {
        Plan::Ids(ids) => Some(ids),
        _ => None,
    };
    let found: Vec<i64> = sqlx::query_scalar(statement)
        .bind(f.shop)
        .bind(tsquery)
        .bind(except)
        .bind(f.kind)
        .bind(f.status)
        .bind(f.closed)
        .bind(f.open)
        .bind(f.from)
        .bind(f.to)
        .bind(f.assignee)
        .bind(f.unassigned)
        .bind(before)
        .bind(limit)
        .bind(ids)
        .bind(WALK_ROWS)
        .fetch_all(&mut *tx)
        .await?;
    let stopped = if matches!(plan, Plan::Walk) && (found.len() as i64) < limit {
        sqlx::query_scalar(
            "SELECT ticket_id FROM ticket_search WHERE shop_id = $1 AND ($2::bigint IS NULL OR ticket_id < $2)
             ORDER BY ticket_id DESC OFFSET $3 - 1 LIMIT 1",
        )
        .bind(f.shop)
        .bind(before)
        .bind(WALK_ROWS)
        .fetch_optional(&mut *tx)
        .await?
        .map(TicketId)
    } else {
        None
    };
    Ok((found, stopped))
}

/// Runs a search in one shop.
pub async fn search(pool: &PgPool, shop: ShopId, request: &Request, viewer: Viewer) -> sqlx::Result<Results> {
    let (_, catching_up) = index::catch_up(pool, shop, CATCH_UP).await?;
    let query = &request.query;
    let tsquery = query.to_tsquery(viewer.phones);
    let f = Bound::of(shop, request);
    let first_page = request.before.is_none();
    let mut tx = pool.begin().await?;
    // Each statement is planned for its own words (a generic plan would not even look).
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let frequencies = frequencies(&mut tx).await?;

    // Best matches (first page): the ticket of that number, and exact hits in an identifier
    // (order and tracking numbers, nicks, or their endings), which only a query of letters or
    // digits can be (fewer than four of them end too many identifiers to be a best match).
    let mut best: Vec<i64> = Vec::new();
    if first_page {
        if let Some(n) = query.ticket_no {
            best = tickets_of(&mut tx, &Plan::Ids(vec![n]), &tsquery, &f, &[], None, 1)
                .await?
                .0;
        }
        if query.has_long_words() {
            let best_tsquery = query.to_best_tsquery();
            let plan = plan_for(&frequencies, index::Kind::Ticket, query, true);
            let limit = BEST - best.len() as i64;
            let (more, _) = tickets_of(&mut tx, &plan, &best_tsquery, &f, &best, None, limit).await?;
            best.extend(more);
        }
    }
    let plan = plan_for(&frequencies, index::Kind::Ticket, query, false);
    let (mut ids, stopped) = tickets_of(&mut tx, &plan, &tsquery, &f, &best, request.before, PAGE + 1).await?;
    let next_before = if ids.len() as i64 > PAGE {
        ids.truncate(PAGE as usize);
        ids.last().copied().map(TicketId)
    } else {
        stopped
    };
    let (buyers, orders) = if first_page {
        let mut buyers = buyers_of(
            &mut tx,
            shop,
            plan_for(&frequencies, index::Kind::Buyer, query, false),
            &tsquery,
        )
        .await?;
        for b in &mut buyers {
            b.phone = b.phone.as_deref().map(crate::privacy::mask_phone);
            if !viewer.names {
                b.name = b.name.as_deref().map(crate::privacy::mask_name);
            }
        }
        let orders = orders_of(
            &mut tx,
            shop,
            plan_for(&frequencies, index::Kind::Order, query, false),
            &tsquery,
        )
        .await?;
        (buyers, orders)
    } else {
        (Vec::new(), Vec::new())
    };
    force(&mut tx, &Plan::Walk).await?;
    let shown: Vec<i64> = best.iter().chain(&ids).copied().collect();
    let mut tickets: Vec<Ticket> = sqlx::query_as(concat!(ticket_select!(), "WHERE t.shop_id = $1 AND t.id = ANY($2)"))
        .bind(shop)
        .bind(&shown)
        .fetch_all(&mut *tx)
        .await?;
    let mut pieces = index::ticket_pieces(&mut tx, shop, &shown).await?;
    tx.commit().await?;
    let mut hit = |id: i64| -> Option<Hit> {
        let at = tickets.iter().position(|t| t.id.0 == id)?;
        let ticket = tickets.swap_remove(at);
        let (source, marked) = mark(query, pieces.remove(&id).unwrap_or_default(), viewer, &ticket);
        Some(Hit {
            ticket,
            source,
            pieces: marked,
        })
    };
    let best = best.iter().filter_map(|id| hit(*id)).collect();
    let tickets = ids.iter().filter_map(|id| hit(*id)).collect();
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

/// The newest buyers the query finds.
async fn buyers_of(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    plan: Plan,
    tsquery: &str,
) -> sqlx::Result<Vec<BuyerHit>> {
    force(tx, &plan).await?;
    let statement = match plan {
        Plan::Walk => {
            concat!(
                buyer_columns!(),
                "FROM (SELECT customer_id, doc FROM buyer_search WHERE shop_id = $1
                   ORDER BY customer_id DESC LIMIT $4) b
             JOIN customers c ON c.shop_id = $1 AND c.id = b.customer_id
             WHERE b.doc @@ $2::tsquery
             ORDER BY b.customer_id DESC LIMIT $3"
            )
        }
        _ => {
            concat!(
                buyer_columns!(),
                "FROM buyer_search b JOIN customers c ON c.shop_id = b.shop_id AND c.id = b.customer_id
             WHERE b.shop_id = $1 AND b.doc @@ $2::tsquery AND $4::bigint IS NOT NULL
             ORDER BY b.customer_id DESC LIMIT $3"
            )
        }
    };
    sqlx::query_as(statement)
        .bind(shop)
        .bind(tsquery)
        .bind(SIDE)
        .bind(WALK_ROWS)
        .fetch_all(&mut *tx)
        .await
}

/// The newest orders the query finds.
async fn orders_of(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    plan: Plan,
    tsquery: &str,
) -> sqlx::Result<Vec<OrderHit>> {
    force(tx, &plan).await?;
    let statement = match plan {
        Plan::Walk => {
            concat!(
                order_columns!(),
                "FROM (SELECT order_id, doc FROM order_search WHERE shop_id = $1
                   ORDER BY order_id DESC LIMIT $4) x
             JOIN orders o ON o.shop_id = $1 AND o.id = x.order_id
             JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
             WHERE x.doc @@ $2::tsquery
             ORDER BY x.order_id DESC LIMIT $3"
            )
        }
        _ => {
            concat!(
                order_columns!(),
                "FROM order_search x
             JOIN orders o ON o.shop_id = x.shop_id AND o.id = x.order_id
             JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
             WHERE x.shop_id = $1 AND x.doc @@ $2::tsquery AND $4::bigint IS NOT NULL
             ORDER BY x.order_id DESC LIMIT $3"
            )
        }
    };
    sqlx::query_as(statement)
        .bind(shop)
        .bind(tsquery)
        .bind(SIDE)
        .bind(WALK_ROWS)
        .fetch_all(&mut *tx)
        .await
}

/// The first piece of a ticket's text that the query matches, marked; its description when
/// none does (it was found by its number, or by a word the marking does not see).
fn mark(query: &Query, pieces: Vec<(Source, String)>, viewer: Viewer, ticket: &Ticket) -> (Option<Source>, Vec<Piece>) {
    for (source, text) in pieces {
        let shown = match source {
            Source::TicketNo => continue,
            Source::Phone if !viewer.phones => continue,
            Source::Phone => crate::privacy::mask_phone(&text),
            Source::Name if !viewer.names => crate::privacy::mask_name(&text),
            _ => text,
        };
        if let Some(marked) = query.mark(&shown, SNIPPET_CHARS) {
            return (Some(source), marked);
        }
    }
    (None, text::excerpt(&ticket.description, SNIPPET_CHARS))
}
