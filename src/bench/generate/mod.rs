//! `aftersales bench generate`: a big shop's year, written straight into the tables with `COPY`.
//!
//! What it writes (defaults): one shop, 40 agents, 4 supervisors and an owner (password
//! [`BENCH_PASSWORD`](super::BENCH_PASSWORD)); about 600,000 buyers; about 3,000,000 orders paid
//! over the last 365 days (weekly rhythm, evening peak, 618 and Double 11 spikes) holding
//! 5,000,000 order lines of a 2,900-SKU catalogue; 1,000,000 tickets, each simulated from its
//! opening to now through legal moves of [`Position`](crate::rules::workflow::Position), with
//! the same timeline events as `tickets::service` and the follow-up sweep write, each made as an
//! [`EventData`](crate::tickets::EventData) and written as it stores it: `created`,
//! `rule_decision` (the seven-day rule really judged), `assigned`, `follow_up`, `note`,
//! `status_changed`, `escalated` (one per missed 24-hour cycle) — about ten per ticket. Old tickets are closed; those opened in the last days are open in every status,
//! some unassigned, some overdue (agents miss a cycle now and then, a few tickets are forgotten).
//!
//! How: one thread generates (from `--seed`, with the random source and the buyers' names
//! shared with the demo, [`crate::fixtures`]) and hands batches of COPY text (about 4 MB) to one
//! writer per table, each on its own connection, so that generation and the tables' loads
//! overlap on the machine's cores. The search's documents of the buyers, orders and tickets are
//! made as their rows are (three threads beside the generator, one per search table) and copied
//! beside them, with the search's GIN indexes dropped meanwhile and built at the end. Ids of buyers, orders and tickets are reserved from their
//! id sequences first (so later inserts through the API continue after them), events
//! take theirs from the column's default.
//! The writers run with `session_replication_role = replica`, as `pg_restore --disable-triggers`
//! does: the foreign-key triggers are not fired for rows that are consistent by construction
//! (every reference points at a row written in the same run). The loaded tables' indexes that
//! hold no constraint are dropped before the rows are copied and built again after, each from
//! its own definition as the database gives it (`pg_get_indexdef`), as `pg_restore` makes
//! indexes after the data; primary and unique keys are kept, and nothing else in the schema is
//! dropped or altered. `VACUUM (ANALYZE)` ends the run so that the planner has statistics and
//! index-only scans see an all-visible map.
//!
//! `queue_due_at` is a generated column and is never written; `ticket_events` only receives
//! inserts.
//!
//! Here: the run (shop, users, ids, the writers started, the recount at the end). `generator`
//! makes the rows from `catalogue` (SKUs and the words tickets carry); `writers` copies them.

use std::time::Instant;

use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::fixtures::names::{GIVEN_NAMES, SURNAMES};
use crate::fixtures::random::Rng;
use crate::ids::{ShopId, UserId};

mod catalogue;
mod generator;
mod writers;

use self::generator::{Plan, generate_rows};
use self::writers::{Table, write_table};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Order lines over the year.
    pub order_lines: u64,
    /// Tickets.
    pub tickets: u64,
    /// Code of the shop to create.
    pub shop: String,
    /// Seed of the generator.
    pub seed: u64,
}

/// Agents of the bench shop.
pub const AGENTS: usize = 40;
/// Supervisors of the bench shop.
pub const SUPERVISORS: usize = 4;
/// Size of a COPY batch handed to a writer.
const BATCH_BYTES: usize = 4 << 20;
/// The follow-up cycle of the bench shop, hours.
const CYCLE_HOURS: u32 = 24;
const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

/// What a run wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub customers: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub tickets: u64,
    pub events: u64,
    pub open_tickets: u64,
    pub overdue_tickets: u64,
}

/// The login of bench user `name` (`agent01`, `sup1`, `owner`) of shop `shop`.
pub fn login(shop: &str, name: &str) -> String {
    format!("{shop}-{name}")
}

/// Generates the shop into the database at `database_url` / `data_dir` and prints what it did.
pub async fn main(database_url: Option<&str>, data_dir: &std::path::Path, options: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let database = crate::db::open(database_url, data_dir, 8).await?;
    // The writers switch triggers off (session_replication_role), which takes every right.
    let maintenance = crate::db::pool(database.maintenance.clone(), 10).await?;
    let result = generate(&maintenance, options).await;
    maintenance.close().await;
    database.close().await?;
    let summary = result?;
    println!(
        "bench shop `{}` generated in {:.1} s: {} buyers, {} orders, {} order lines, {} tickets \
         ({} open, {} overdue), {} timeline events ({:.1} per ticket)",
        options.shop,
        started.elapsed().as_secs_f64(),
        summary.customers,
        summary.orders,
        summary.order_lines,
        summary.tickets,
        summary.open_tickets,
        summary.overdue_tickets,
        summary.events,
        summary.events as f64 / summary.tickets.max(1) as f64,
    );
    println!(
        "sign in as {} … {}, {} … {}, {} (password: {})",
        login(&options.shop, "agent01"),
        login(&options.shop, &format!("agent{AGENTS:02}")),
        login(&options.shop, "sup1"),
        login(&options.shop, &format!("sup{SUPERVISORS}")),
        login(&options.shop, "owner"),
        super::BENCH_PASSWORD
    );
    Ok(())
}

/// Generates the shop through `pool`.
pub async fn generate(pool: &PgPool, options: &Options) -> anyhow::Result<Summary> {
    if options.order_lines == 0 || options.tickets == 0 {
        anyhow::bail!("--orders-lines and --tickets must be at least 1");
    }
    if crate::shops::by_code(pool, &options.shop).await?.is_some() {
        anyhow::bail!(
            "the shop `{}` exists already; choose another code with --shop or a fresh --data-dir",
            options.shop
        );
    }
    let started = Instant::now();
    let today = Utc::now();
    let now = today.timestamp();
    let (shop, users) = create_shop_and_users(pool, &options.shop).await?;
    // Every month of the year's timeline has its partition before the events are copied in
    // (the orders reach a year back, their tickets and events follow them), and the months a
    // server keeps ahead of the clock too.
    crate::tickets::repo::cover_event_months(
        pool,
        today - chrono::TimeDelta::days(400),
        today + crate::tickets::months::AHEAD,
    )
    .await?;

    // The plan: how many lines each order has (the number of orders follows from it).
    let mut rng = seeded_rng(options.seed);
    let mut line_counts: Vec<u8> = Vec::new();
    let mut lines_left = options.order_lines;
    while lines_left > 0 {
        let n = rng.weighted(&[(1u8, 60), (2, 22), (3, 10), (4, 5), (5, 3)]);
        let n = n.min(u8::try_from(lines_left.min(5)).unwrap_or(5));
        line_counts.push(n);
        lines_left -= u64::from(n);
    }
    let orders = line_counts.len() as u64;
    if options.tickets > orders * 3 {
        anyhow::bail!("--tickets may be at most three times the number of orders ({orders})");
    }
    let customers = (options.order_lines / 8).max(100);
    let customer_base = reserve_ids(pool, "public.customers", customers).await?;
    let order_base = reserve_ids(pool, "public.orders", orders).await?;
    let ticket_base = reserve_ids(pool, "public.tickets", options.tickets).await?;
    tracing::info!(orders, customers, "bench: ids reserved, generating");

    let plan = Plan {
        shop: shop.0,
        now,
        seed: options.seed,
        customers,
        customer_base,
        order_base,
        ticket_base,
        tickets: options.tickets,
        line_counts,
        agents: users.agents,
        supervisors: users.supervisors,
    };

    // The search's documents are written with the rows, by COPY like them: the GIN indexes go
    // first and are built again at the end in one sorted pass each (many times faster than
    // entering a million documents one by one), as `search-index --rebuild` does.
    crate::search::index::drop_gin_indexes(pool).await?;
    // So do the loaded tables' other indexes but those that hold a constraint (primary keys,
    // unique keys): each is built again after the rows, from its own definition, in one sorted
    // pass rather than entry by entry in the order the rows come.
    let dropped = drop_secondary_indexes(pool).await?;
    let written = write_rows(pool, plan).await;
    // Built again whatever happened: a generation that failed must not leave the tables, or the
    // search, without their indexes.
    let built = build_secondary_indexes(pool, &dropped).await;
    if written.is_err() {
        crate::search::index::build_gin_indexes(pool).await?;
    }
    let summary = written?;
    built?;
    // The events went in by COPY: count the follow-up figures once from them.
    let mut conn = pool.acquire().await?;
    crate::follow_ups::rebuild_daily(&mut conn, shop).await?;
    // Nor were the open tickets counted per assignee.
    crate::tickets::repo::recount_open_loads(&mut conn, shop).await?;
    drop(conn);
    tracing::info!(
        elapsed_s = started.elapsed().as_secs(),
        "bench: rows written, vacuuming and analysing"
    );
    // Each table's own connection: a vacuum is mostly one table's reading and writing, so two
    // or more overlap on the machine's cores and disk.
    let mut vacuums = tokio::task::JoinSet::new();
    for table in [
        "customers",
        "orders",
        "order_lines",
        "tickets",
        "ticket_events",
        "buyer_search",
        "order_search",
        "ticket_search",
        // The bench's users and shop, which autovacuum would not analyze for a long while.
        "users",
        "shop_members",
        "shops",
    ] {
        let pool = pool.clone();
        vacuums.spawn(async move {
            let sql = format!("VACUUM (ANALYZE) {table}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await
        });
    }
    while let Some(vacuumed) = vacuums.join_next().await {
        vacuumed??;
    }
    // The writers ran without triggers: the report figures are counted from the rows once,
    // after the statistics exist (the recount's plans need them), while the search's GIN
    // indexes are built: the recount is one statement at a time on one connection, the three
    // builds take the other cores. Both run to their end whatever the other does (a generation
    // that failed must not leave the search without its indexes).
    let (days, built) = tokio::join!(count_reports(pool, shop), build_search_indexes(pool));
    let (days, ()) = (days?, built?);
    tracing::info!(
        days,
        elapsed_s = started.elapsed().as_secs(),
        size_mib = crate::search::index::size_bytes(pool).await? / 1_048_576,
        "bench: report figures counted and search index built"
    );
    Ok(summary)
}

/// Generates the rows of `plan` and copies them in: one writer per table, each on its own
/// connection.
async fn write_rows(pool: &PgPool, plan: Plan) -> anyhow::Result<Summary> {
    let mut senders = Vec::new();
    let mut writers = Vec::new();
    for table in Table::ALL {
        let (tx, rx) = mpsc::channel::<Vec<u8>>(2);
        senders.push(tx);
        writers.push(tokio::spawn(write_table(pool.clone(), table, rx)));
    }
    let generator = tokio::task::spawn_blocking(move || generate_rows(plan, senders));
    let summary = match generator.await {
        Ok(summary) => summary,
        Err(error) => anyhow::bail!("the generator stopped: {error}"),
    };
    let mut first_error = None;
    for writer in writers {
        let result = match writer.await {
            Ok(result) => result,
            Err(error) => Err(anyhow::anyhow!("a writer stopped: {error}")),
        };
        if let Err(error) = result {
            first_error.get_or_insert(error);
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    summary
}

/// An index the generation drops before copying the rows in and builds again after.
#[derive(Clone)]
struct DroppedIndex {
    name: String,
    /// Its `CREATE INDEX` statement (a partitioned table's makes its partitions' too).
    create: String,
    memory: crate::db::BuildMemory,
}

/// Drops the loaded tables' indexes that hold no constraint, before the rows are copied in;
/// returns what [`build_secondary_indexes`] needs to build them again.
async fn drop_secondary_indexes(pool: &PgPool) -> anyhow::Result<Vec<DroppedIndex>> {
    let tables: Vec<&str> = Table::ALL.iter().map(|table| table.name()).collect();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text,
                -- A partitioned table's index is defined `ON ONLY` the table: made so, it would
                -- cover none of the partitions.
                regexp_replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON '),
                am.amname::text
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
              JOIN pg_class ix ON ix.oid = i.indexrelid JOIN pg_am am ON am.oid = ix.relam
         WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
           AND NOT i.indisunique AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
         ORDER BY array_position($2, t.relname::text), 1",
    )
    .bind(&tables)
    // The tables with most rows first (a generated shop's), so that no large build is left
    // running alone at the end.
    .bind(["ticket_events", "order_lines", "orders", "tickets", "customers"])
    .fetch_all(pool)
    .await?;
    let indexes: Vec<DroppedIndex> = rows
        .into_iter()
        .map(|(name, create, method)| DroppedIndex {
            name,
            create,
            memory: crate::db::BuildMemory::for_method(&method),
        })
        .collect();
    // All or none (one at a time: Citus drops no two distributed indexes in one statement).
    let mut tx = pool.begin().await?;
    for DroppedIndex { name, .. } in &indexes {
        let drop = format!("DROP INDEX {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(indexes)
}

/// Builds the indexes [`drop_secondary_indexes`] dropped, in its order, two or three at a time
/// (each a sort: one core's work, mostly; [`crate::db::build_index`]).
async fn build_secondary_indexes(pool: &PgPool, indexes: &[DroppedIndex]) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let building = Instant::now();
    let at_once = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 3));
    let builds = futures_util::stream::iter(indexes.iter().cloned())
        .map(|DroppedIndex { name, create, memory }| async move {
            crate::db::build_index(pool, &create, memory)
                .await
                .map_err(|error| anyhow::anyhow!("building index {name} again: {error}"))
        })
        .buffer_unordered(at_once);
    let results: Vec<anyhow::Result<()>> = builds.collect().await;
    // Every build ran; the first that failed is the error.
    results.into_iter().collect::<anyhow::Result<()>>()?;
    tracing::info!(
        indexes = indexes.len(),
        elapsed_s = building.elapsed().as_secs(),
        "bench: the tables' other indexes built"
    );
    Ok(())
}

/// Marks the shop's year stale and counts its report figures; returns the days counted.
async fn count_reports(pool: &PgPool, shop: ShopId) -> anyhow::Result<usize> {
    let recount = Instant::now();
    crate::reports::rollup::mark_all_stale(pool, shop).await?;
    let days = crate::reports::rollup::refresh_in_bulk(pool, shop).await?;
    sqlx::raw_sql("VACUUM (ANALYZE) report_days").execute(pool).await?;
    tracing::info!(
        days,
        elapsed_s = recount.elapsed().as_secs(),
        "bench: report figures counted"
    );
    Ok(days)
}

/// Builds the search's GIN indexes over the documents the generation wrote.
async fn build_search_indexes(pool: &PgPool) -> anyhow::Result<()> {
    let building = Instant::now();
    crate::search::index::build_gin_indexes(pool).await?;
    tracing::info!(elapsed_s = building.elapsed().as_secs(), "bench: search index built");
    Ok(())
}

/// Bench users' ids.
struct Users {
    agents: Vec<i64>,
    supervisors: Vec<i64>,
}

async fn create_shop_and_users(pool: &PgPool, code: &str) -> anyhow::Result<(ShopId, Users)> {
    let hash = tokio::task::spawn_blocking(|| crate::auth::password::hash(super::BENCH_PASSWORD)).await??;
    let mut tx = pool.begin().await?;
    let shop: ShopId = sqlx::query_scalar(
        "INSERT INTO shops (code, name, time_zone, return_window_days, follow_up_hours)
         VALUES ($1, $2, 'Asia/Shanghai', 7, $3) RETURNING id",
    )
    .bind(code)
    .bind(format!("压测旗舰店 ({code})"))
    .bind(i32::try_from(CYCLE_HOURS)?)
    .fetch_one(&mut *tx)
    .await?;
    let mut people: Vec<(String, String, &str)> = Vec::new();
    for i in 1..=AGENTS {
        let name = format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN_NAMES[(i * 7) % GIVEN_NAMES.len()]
        );
        people.push((format!("agent{i:02}"), name, "agent"));
    }
    for i in 1..=SUPERVISORS {
        people.push((
            format!("sup{i}"),
            format!("{}主管", SURNAMES[(i * 3) % SURNAMES.len()]),
            "supervisor",
        ));
    }
    people.push(("owner".into(), "压测店主".into(), "owner"));
    let mut users = Users {
        agents: Vec::new(),
        supervisors: Vec::new(),
    };
    for (name, display, role) in people {
        let id: UserId = sqlx::query_scalar(
            "INSERT INTO users (login, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (lower(login)) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
                                              disabled = false
             RETURNING id",
        )
        .bind(login(code, &name))
        .bind(display)
        .bind(role)
        .bind(&hash)
        .fetch_one(&mut *tx)
        .await?;
        crate::shops::add_member(&mut *tx, shop, id).await?;
        match role {
            "agent" => users.agents.push(id.0),
            "supervisor" => users.supervisors.push(id.0),
            _ => {}
        }
    }
    tx.commit().await?;
    Ok((shop, users))
}

/// Takes `n` values from the id sequence of `table` (its column `id`); returns the first.
async fn reserve_ids(pool: &PgPool, table: &str, n: u64) -> anyhow::Result<i64> {
    let n = i64::try_from(n)?;
    let last: i64 = sqlx::query_scalar(
        "SELECT setval(pg_get_serial_sequence($1, 'id'), nextval(pg_get_serial_sequence($1, 'id')) + $2 - 1)",
    )
    .bind(table)
    .bind(n)
    .fetch_one(pool)
    .await?;
    Ok(last - n + 1)
}

/// The bench's random source for `seed`: the seed mixed with a constant, as the bench has always
/// done, so that a seed gives the same shop as before.
fn seeded_rng(seed: u64) -> Rng {
    Rng::new(seed ^ 0x5EED_AF7E_BE4C_2026)
}
