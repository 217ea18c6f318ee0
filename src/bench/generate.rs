//! `aftersales bench generate`: a big shop's year, written straight into the tables with `COPY`.
//!
//! What it writes (defaults): one shop, 40 agents, 4 supervisors and an owner (password
//! [`BENCH_PASSWORD`](super::BENCH_PASSWORD)); about 600,000 buyers; about 3,000,000 orders paid
//! over the last 365 days (weekly rhythm, evening peak, 618 and Double 11 spikes) holding
//! 5,000,000 order lines of a 2,900-SKU catalogue; 1,000,000 tickets, each simulated from its
//! opening to now through legal moves of [`Position`], with the same timeline events (and the
//! same JSON shapes) as `tickets::service` and the follow-up sweep write: `created`,
//! `rule_decision` (the seven-day rule really judged), `assigned`, `follow_up`, `note`,
//! `status_changed`, `escalated` (one per missed 24-hour cycle) — about ten per ticket.
//! Old tickets are closed; those opened in the last days are open in every status, some
//! unassigned, some overdue (agents miss a cycle now and then, a few tickets are forgotten).
//!
//! How: one thread generates (a splitmix64 generator seeded by `--seed`, no crate) and hands
//! batches of COPY text (about 4 MB) to one writer per table, each on its own connection, so
//! that generation and the five tables' loads overlap on the machine's cores. Ids of buyers,
//! orders and tickets are reserved from their identity sequences first (so later inserts
//! through the API continue after them), events take theirs from the column's default.
//! The writers run with `session_replication_role = replica`, as `pg_restore --disable-triggers`
//! does: the foreign-key triggers are not fired for rows that are consistent by construction
//! (every reference points at a row written in the same run). Every index is maintained as
//! rows arrive; nothing in the schema is dropped or altered. `VACUUM (ANALYZE)` ends the run so
//! that the planner has statistics and index-only scans see an all-visible map.
//!
//! `queue_due_at` is a generated column and is never written; `ticket_events` only receives
//! inserts.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Asia::Shanghai;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::ids::{ShopId, UserId};
use crate::rules::calendar::Calendar;
use crate::rules::follow_up;
use crate::rules::reason::ReasonCode;
use crate::rules::seven_day::{self, NoReasonExclusion, SevenDayRequest};
use crate::rules::timers::{self, PlatformTimers, TimerFacts};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};
use crate::tickets::model::SevenDayRecord;

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
    let maintenance = crate::db::pool(database.maintenance.clone(), 8).await?;
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
    let now = Utc::now().timestamp();
    let (shop, users) = create_shop_and_users(pool, &options.shop).await?;

    // The plan: how many lines each order has (the number of orders follows from it).
    let mut rng = Rng::new(options.seed);
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

    // One writer per table, each on its own connection.
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
    let summary = summary?;
    // The events went in by COPY: count the follow-up figures once from them.
    let mut conn = pool.acquire().await?;
    crate::follow_ups::rebuild_daily(&mut conn, shop).await?;
    drop(conn);
    tracing::info!(
        elapsed_s = started.elapsed().as_secs(),
        "bench: rows written, vacuuming and analysing"
    );
    for table in ["customers", "orders", "order_lines", "tickets", "ticket_events"] {
        let sql = format!("VACUUM (ANALYZE) {table}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    }
    // The writers ran without triggers: mark the year stale and count the report figures once,
    // after the statistics exist (the recount's plans need them).
    let recount = Instant::now();
    crate::reports::rollup::mark_all_stale(pool, shop).await?;
    let days = crate::reports::rollup::refresh(pool, shop, crate::reports::rollup::Busy::Wait).await?;
    sqlx::raw_sql("VACUUM (ANALYZE) report_days").execute(pool).await?;
    tracing::info!(
        days,
        elapsed_s = recount.elapsed().as_secs(),
        "bench: report figures counted"
    );
    Ok(summary)
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
        let name = format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 7) % GIVEN.len()]);
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

/// Takes `n` values from the identity sequence of `table` (its column `id`); returns the first.
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

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Table {
    Customers,
    Orders,
    OrderLines,
    Tickets,
    Events,
}

impl Table {
    const ALL: [Table; 5] = [
        Table::Customers,
        Table::Orders,
        Table::OrderLines,
        Table::Tickets,
        Table::Events,
    ];

    fn copy_statement(self) -> &'static str {
        match self {
            Table::Customers => "COPY customers (shop_id, id, nick, name, phone, address) FROM STDIN",
            Table::Orders => {
                "COPY orders (shop_id, id, order_no, customer_id, paid_at, shipped_at, signed_at, note, created_at,
                              updated_at) FROM STDIN"
            }
            Table::OrderLines => {
                "COPY order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen,
                                   no_reason_exclusion) FROM STDIN"
            }
            Table::Tickets => {
                "COPY tickets (shop_id, id, kind, status, held_from, reason, description, order_id, sku, customer_id,
                               assignee_id, priority, refund_fen, resolution, intact, seven_day_verdict, seven_day,
                               platform_deadline_at, version, opened_at, follow_up_due_at, last_follow_up_at,
                               closed_at, created_by, created_at, updated_at, next_escalation_at, order_shipped,
                               agreed_at, buyer_shipped_at, goods_received_at, timer_due_at) FROM STDIN"
            }
            Table::Events => "COPY ticket_events (shop_id, ticket_id, at, actor_id, kind, data) FROM STDIN",
        }
    }
}

/// Copies every batch received into `table`, one COPY per batch.
async fn write_table(pool: PgPool, table: Table, mut batches: mpsc::Receiver<Vec<u8>>) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    // Foreign keys are consistent by construction (see the module's documentation).
    sqlx::raw_sql("SET session_replication_role = replica; SET synchronous_commit = off")
        .execute(&mut *conn)
        .await?;
    let result = async {
        while let Some(batch) = batches.recv().await {
            let mut copy = conn.copy_in_raw(table.copy_statement()).await?;
            copy.send(batch).await?;
            copy.finish().await?;
        }
        anyhow::Ok(())
    }
    .await;
    // Leave the pooled connection as it was found.
    sqlx::raw_sql("RESET session_replication_role; RESET synchronous_commit")
        .execute(&mut *conn)
        .await?;
    result.map_err(|e| anyhow::anyhow!("writing {table:?}: {e}"))
}

/// A COPY text batch being filled for one table.
struct Batch {
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Batch {
    fn new(tx: mpsc::Sender<Vec<u8>>) -> Batch {
        Batch {
            buf: Vec::with_capacity(BATCH_BYTES + 64 * 1024),
            tx,
        }
    }

    /// Ends a row; hands the batch over when it is full. False when the writer has gone.
    fn end_row(&mut self) -> bool {
        if let Some(last) = self.buf.last_mut() {
            *last = b'\n';
        }
        if self.buf.len() >= BATCH_BYTES {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH_BYTES + 64 * 1024));
        self.tx.blocking_send(full).is_ok()
    }

    fn int(&mut self, v: i64) {
        let mut b = itoa_buf(v);
        b.push(b'\t');
        self.buf.extend_from_slice(&b);
    }

    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(b"\\N\t");
    }

    fn bool(&mut self, v: Option<bool>) {
        match v {
            Some(true) => self.buf.extend_from_slice(b"t\t"),
            Some(false) => self.buf.extend_from_slice(b"f\t"),
            None => self.null(),
        }
    }

    /// Text, escaped for COPY's text format.
    fn text(&mut self, s: &str) {
        for &byte in s.as_bytes() {
            match byte {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(byte),
            }
        }
        self.buf.push(b'\t');
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn ts(&mut self, secs: i64) {
        push_timestamp(&mut self.buf, secs, b' ', b"+00");
        self.buf.push(b'\t');
    }

    fn opt_ts(&mut self, secs: Option<i64>) {
        match secs {
            Some(s) => self.ts(s),
            None => self.null(),
        }
    }
}

fn itoa_buf(v: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(21);
    let _ = std::io::Write::write_fmt(&mut out, format_args!("{v}"));
    out
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD<sep>HH:MM:SS<zone>` of a Unix time in whole seconds.
fn push_timestamp(buf: &mut Vec<u8>, secs: i64, sep: u8, zone: &[u8]) {
    let (y, mo, d) = civil(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    let two = |buf: &mut Vec<u8>, v: i64| {
        buf.push(b'0' + u8::try_from(v / 10 % 10).unwrap_or(0));
        buf.push(b'0' + u8::try_from(v % 10).unwrap_or(0));
    };
    two(buf, y / 100);
    two(buf, y % 100);
    buf.push(b'-');
    two(buf, mo);
    buf.push(b'-');
    two(buf, d);
    buf.push(sep);
    two(buf, s / HOUR);
    buf.push(b':');
    two(buf, s % HOUR / 60);
    buf.push(b':');
    two(buf, s % 60);
    buf.extend_from_slice(zone);
}

/// RFC 3339 in UTC as serde writes a whole-second `DateTime<Utc>`: `2026-11-23T04:54:31Z`.
fn json_time(out: &mut String, secs: i64) {
    let mut buf = Vec::with_capacity(24);
    buf.push(b'"');
    push_timestamp(&mut buf, secs, b'T', b"Z\"");
    out.push_str(std::str::from_utf8(&buf).unwrap_or("null"));
}

fn json_opt_time(out: &mut String, secs: Option<i64>) {
    match secs {
        Some(s) => json_time(out, s),
        None => out.push_str("null"),
    }
}

/// A JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

fn json_opt_int(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

fn datetime(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

struct Plan {
    shop: i64,
    now: i64,
    seed: u64,
    customers: u64,
    customer_base: i64,
    order_base: i64,
    ticket_base: i64,
    tickets: u64,
    line_counts: Vec<u8>,
    agents: Vec<i64>,
    supervisors: Vec<i64>,
}

/// One catalogue entry.
struct Sku {
    code: String,
    title: String,
    category: &'static str,
    price_fen: i64,
    exclusion: NoReasonExclusion,
}

/// One order line as the ticket simulation needs it.
struct LineFacts {
    sku: usize,
    quantity: i64,
}

/// An order as the ticket simulation needs it.
struct OrderFacts {
    id: i64,
    order_no: String,
    customer: i64,
    paid: i64,
    shipped: Option<i64>,
    signed: Option<i64>,
    lines: Vec<LineFacts>,
}

/// An agent's habits.
#[derive(Clone, Copy)]
struct Agent {
    id: i64,
    /// Chance of letting a cycle pass before the next follow-up.
    late: f64,
}

struct World<'a> {
    plan: &'a Plan,
    rng: Rng,
    catalogue: Vec<Sku>,
    /// Cumulative popularity of the catalogue, for picking SKUs.
    popularity: Vec<u64>,
    agents: Vec<Agent>,
    /// Cumulative workload share of the agents.
    agent_load: Vec<u64>,
    calendar: Calendar,
    timers: PlatformTimers,
    customers: Batch,
    orders: Batch,
    lines: Batch,
    tickets: Batch,
    events: Batch,
    summary: Summary,
    scratch: String,
}

fn generate_rows(plan: Plan, senders: Vec<mpsc::Sender<Vec<u8>>>) -> anyhow::Result<Summary> {
    let mut senders = senders.into_iter();
    let mut next = || {
        senders
            .next()
            .map(Batch::new)
            .ok_or_else(|| anyhow::anyhow!("a table writer is missing"))
    };
    let (customers, orders, lines, tickets, events) = (next()?, next()?, next()?, next()?, next()?);
    let mut rng = Rng::new(plan.seed ^ 0xA5A5_5A5A_0F0F_F0F0);
    let catalogue = make_catalogue(&mut rng);
    let mut popularity = Vec::with_capacity(catalogue.len());
    let mut total = 0u64;
    for rank in 0..catalogue.len() as u64 {
        total += 1_000_000 / (rank + 25);
        popularity.push(total);
    }
    let agents: Vec<Agent> = plan
        .agents
        .iter()
        .map(|&id| Agent {
            id,
            late: 0.01 + rng.unit() * 0.09,
        })
        .collect();
    let mut agent_load = Vec::with_capacity(agents.len());
    let mut total = 0u64;
    for _ in &agents {
        total += 50 + rng.below(100) as u64;
        agent_load.push(total);
    }
    let mut world = World {
        plan: &plan,
        rng,
        catalogue,
        popularity,
        agents,
        agent_load,
        calendar: Calendar::bundled(),
        timers: PlatformTimers::default(),
        customers,
        orders,
        lines,
        tickets,
        events,
        summary: Summary::default(),
        scratch: String::with_capacity(1024),
    };
    world.write_customers()?;
    world.write_orders_and_tickets()?;
    for batch in [
        &mut world.customers,
        &mut world.orders,
        &mut world.lines,
        &mut world.tickets,
        &mut world.events,
    ] {
        if !batch.flush() {
            anyhow::bail!("a table writer stopped (see its error)");
        }
    }
    Ok(world.summary)
}

fn gone() -> anyhow::Error {
    anyhow::anyhow!("a table writer stopped (see its error)")
}

impl World<'_> {
    fn write_customers(&mut self) -> anyhow::Result<()> {
        let shop = self.plan.shop;
        for i in 0..self.plan.customers {
            let id = self.plan.customer_base + i as i64;
            let nick = format!("{}{}", NICKS[self.rng.below(NICKS.len())], 100_000 + i);
            let name = format!(
                "{}{}",
                SURNAMES[self.rng.below(SURNAMES.len())],
                GIVEN[self.rng.below(GIVEN.len())]
            );
            let phone = format!(
                "1{}{:09}",
                [3, 5, 7, 8, 9][self.rng.below(5)],
                self.rng.below(1_000_000_000)
            );
            let address = format!(
                "{}{}路{}号",
                CITIES[self.rng.below(CITIES.len())],
                STREETS[self.rng.below(STREETS.len())],
                1 + self.rng.below(999)
            );
            let b = &mut self.customers;
            b.int(shop);
            b.int(id);
            b.text(&nick);
            b.text(&name);
            b.text(&phone);
            b.text(&address);
            if !b.end_row() {
                return Err(gone());
            }
        }
        self.summary.customers = self.plan.customers;
        Ok(())
    }

    /// Orders in payment order over the 365 days before now, each with its lines and the
    /// tickets it will get (spread evenly over the orders, exactly `tickets` of them).
    fn write_orders_and_tickets(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let n = plan.line_counts.len() as u64;
        let start_day = plan.now.div_euclid(DAY) - 365;
        // Orders per day: weekly rhythm and the two festivals.
        let weights: Vec<f64> = (0..366)
            .map(|d| {
                let day = start_day + d;
                let (_, month, dom) = civil(day);
                let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
                let mut w = if weekday == 0 || weekday == 6 { 1.25 } else { 1.0 };
                if month == 11 && (9..=11).contains(&dom) {
                    w *= if dom == 11 { 6.0 } else { 2.5 };
                }
                if month == 6 && (16..=18).contains(&dom) {
                    w *= if dom == 18 { 3.5 } else { 1.8 };
                }
                // The day of `now` is only partly over.
                if d == 365 {
                    w *= (plan.now.rem_euclid(DAY)) as f64 / DAY as f64;
                }
                w
            })
            .collect();
        let total_weight: f64 = weights.iter().sum();
        let mut order_index = 0u64;
        let mut cumulative = 0.0;
        let mut tickets_done = 0u64;
        for (d, w) in weights.iter().enumerate() {
            cumulative += w;
            let until = ((cumulative / total_weight) * n as f64).round() as u64;
            let until = if d == 365 { n } else { until.min(n) };
            let day_start = (start_day + d as i64) * DAY;
            let day_end = if d == 365 { plan.now } else { day_start + DAY };
            while order_index < until {
                let i = order_index;
                order_index += 1;
                let paid = self.paid_time(day_start, day_end);
                let order = self.write_order(i, paid)?;
                let tickets_here = (i + 1) * plan.tickets / n - tickets_done;
                for k in 0..tickets_here {
                    let id = plan.ticket_base + (tickets_done + k) as i64;
                    self.write_ticket(id, &order)?;
                }
                tickets_done += tickets_here;
            }
        }
        Ok(())
    }

    /// A payment time within `[from, until)`: quiet nights, a lunch bump, an evening peak.
    fn paid_time(&mut self, from: i64, until: i64) -> i64 {
        #[rustfmt::skip]
        const HOURS: [(i64, u32); 24] = [
            (0, 4), (1, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 4), (8, 6), (9, 8), (10, 9), (11, 10),
            (12, 11), (13, 9), (14, 8), (15, 8), (16, 8), (17, 9), (18, 10), (19, 12), (20, 14), (21, 15), (22, 13),
            (23, 8),
        ];
        // Local hours (UTC+8): drawn by local hour, converted back.
        for _ in 0..8 {
            let local_hour = self.rng.weighted(&HOURS);
            let utc_hour = (local_hour - 8).rem_euclid(24);
            let at = from + utc_hour * HOUR + self.rng.range(0, HOUR);
            if at < until {
                return at;
            }
        }
        from + self.rng.range(0, (until - from).max(1))
    }

    fn write_order(&mut self, i: u64, paid: i64) -> anyhow::Result<OrderFacts> {
        let plan = self.plan;
        let now = plan.now;
        let id = plan.order_base + i as i64;
        let order_no = format!("{}{:012}", 3_000_000 + (paid / DAY) % 1_000_000, i);
        // Repeat buyers: a skewed pick.
        let u = self.rng.unit();
        let customer = plan.customer_base + ((u * u * plan.customers as f64) as i64).min(plan.customers as i64 - 1);
        let shipped = Some(paid + self.rng.range(2 * HOUR, 60 * HOUR)).filter(|&t| t <= now);
        let signed = shipped
            .filter(|_| !self.rng.chance(0.015))
            .map(|s| s + self.rng.range(20 * HOUR, 5 * DAY))
            .filter(|&t| t <= now);
        let note = self
            .rng
            .chance(0.03)
            .then(|| ORDER_NOTES[self.rng.below(ORDER_NOTES.len())]);
        let last_change = signed.or(shipped).unwrap_or(paid);
        let b = &mut self.orders;
        b.int(plan.shop);
        b.int(id);
        b.text(&order_no);
        b.int(customer);
        b.ts(paid);
        b.opt_ts(shipped);
        b.opt_ts(signed);
        b.opt_text(note);
        b.ts(paid);
        b.ts(last_change);
        if !b.end_row() {
            return Err(gone());
        }
        let count = usize::from(plan.line_counts[i as usize]);
        let mut lines: Vec<LineFacts> = Vec::with_capacity(count);
        while lines.len() < count {
            let sku = self.pick_sku();
            if lines.iter().any(|l| l.sku == sku) {
                continue;
            }
            let quantity = self.rng.weighted(&[(1i64, 82), (2, 13), (3, 5)]);
            let item = &self.catalogue[sku];
            let b = &mut self.lines;
            b.int(plan.shop);
            b.int(id);
            b.text(&item.code);
            b.text(&item.title);
            b.text(item.category);
            b.int(quantity);
            b.int(item.price_fen);
            b.text(item.exclusion.as_str());
            if !b.end_row() {
                return Err(gone());
            }
            lines.push(LineFacts { sku, quantity });
        }
        self.summary.orders += 1;
        self.summary.order_lines += count as u64;
        Ok(OrderFacts {
            id,
            order_no,
            customer,
            paid,
            shipped,
            signed,
            lines,
        })
    }

    fn pick_sku(&mut self) -> usize {
        let total = self.popularity.last().copied().unwrap_or(1).max(1);
        let roll = self.rng.next_u64() % total;
        self.popularity
            .partition_point(|&c| c <= roll)
            .min(self.catalogue.len() - 1)
    }

    fn pick_agent(&mut self) -> Agent {
        let total = self.agent_load.last().copied().unwrap_or(1).max(1);
        let roll = self.rng.next_u64() % total;
        let i = self
            .agent_load
            .partition_point(|&c| c <= roll)
            .min(self.agents.len() - 1);
        self.agents[i]
    }

    fn pick_supervisor(&mut self) -> i64 {
        self.plan.supervisors[self.rng.below(self.plan.supervisors.len())]
    }

    /// When the buyer asks, and in which state the order is then.
    fn opening(&mut self, order: &OrderFacts) -> i64 {
        let now = self.plan.now;
        let roll = self.rng.unit();
        let at = match (order.shipped, order.signed) {
            _ if roll < 0.10 => order.paid + self.rng.range(10 * 60, 30 * HOUR),
            (Some(shipped), _) if roll < 0.26 => shipped + self.rng.range(HOUR, 4 * DAY),
            (_, Some(signed)) => {
                let u = self.rng.unit();
                signed + (u * u * 9.0 * DAY as f64) as i64 + self.rng.range(10 * 60, 6 * HOUR)
            }
            (Some(shipped), None) => shipped + self.rng.range(HOUR, 6 * DAY),
            (None, _) => order.paid + self.rng.range(10 * 60, 30 * HOUR),
        };
        if at <= now - 60 {
            at
        } else {
            let span = (now - order.paid).max(2);
            order.paid + span / 10 + self.rng.range(0, span * 8 / 10 + 1)
        }
    }

    fn write_ticket(&mut self, id: i64, order: &OrderFacts) -> anyhow::Result<()> {
        let now = self.plan.now;
        let opened = self.opening(order);
        let shipped = order.shipped.is_some_and(|s| s <= opened);
        let signed = order.signed.filter(|&s| s <= opened);
        let line_index = self.rng.below(order.lines.len());
        let line = &order.lines[line_index];
        let item = &self.catalogue[line.sku];
        let wearable = matches!(item.category, "服装" | "鞋靴");
        let mut kind = match (shipped, signed.is_some()) {
            (false, _) => self
                .rng
                .weighted(&[(TicketKind::Refund, 85), (TicketKind::Complaint, 15)]),
            (true, false) => self.rng.weighted(&[
                (TicketKind::Logistics, 50),
                (TicketKind::Refund, 32),
                (TicketKind::Complaint, 18),
            ]),
            (true, true) => self.rng.weighted(&[
                (TicketKind::Refund, 30),
                (TicketKind::Return, 36),
                (TicketKind::Exchange, 15),
                (TicketKind::Complaint, 9),
                (TicketKind::Logistics, 10),
            ]),
        };
        if kind == TicketKind::Exchange && !wearable {
            kind = TicketKind::Return;
        }
        let mut reason = self.rng.weighted(reason_weights(kind, shipped, signed.is_some()));
        let whole_order = matches!(kind, TicketKind::Complaint | TicketKind::Logistics) && self.rng.chance(0.6);
        let sku = (!whole_order || order.lines.len() == 1).then(|| item.code.clone());
        let line_fen = item.price_fen * line.quantity;
        let order_fen: i64 = order
            .lines
            .iter()
            .map(|l| self.catalogue[l.sku].price_fen * l.quantity)
            .sum();
        let mut intact = matches!(kind, TicketKind::Return | TicketKind::Exchange)
            .then(|| !self.rng.chance(0.04))
            .filter(|_| reason == ReasonCode::NoReason);

        // The seven-day rule, judged as the service judges it.
        let mut seven_day: Option<SevenDayRecord> = None;
        let unsent = signed.is_none() && !shipped;
        if reason == ReasonCode::NoReason && kind.subject_to_seven_day_rule() && !(kind == TicketKind::Refund && unsent)
        {
            let request = SevenDayRequest {
                signed_at: signed.map(datetime),
                requested_at: datetime(opened),
                zone: Shanghai,
                window_days: 7,
                exclusion: if sku.is_some() {
                    item.exclusion
                } else {
                    order
                        .lines
                        .iter()
                        .map(|l| self.catalogue[l.sku].exclusion)
                        .find(|e| e.is_excluded())
                        .unwrap_or(NoReasonExclusion::None)
                },
                declared_intact: intact,
            };
            match seven_day::judge(&request, &self.calendar) {
                Ok(decision) if !decision.verdict.is_refusal() => {
                    seven_day = Some(SevenDayRecord::from_decision(&decision));
                }
                _ => {
                    reason = ReasonCode::Quality;
                    intact = None;
                }
            }
        }
        let refund_fen = match kind {
            TicketKind::Refund | TicketKind::Return => Some(
                match reason {
                    ReasonCode::ShippingFee => self.rng.range(800, 1_500),
                    ReasonCode::Agreed => line_fen * self.rng.range(10, 50) / 100,
                    _ if sku.is_none() => order_fen,
                    _ => line_fen,
                }
                .clamp(0, order_fen),
            ),
            _ => None,
        };
        let description = DESCRIPTIONS[reason_index(reason) % DESCRIPTIONS.len()][self.rng.below(3)];
        let mut priority = self.rng.weighted(&[
            (Priority::Low, 18),
            (Priority::Normal, 62),
            (Priority::High, 15),
            (Priority::Urgent, 5),
        ]);
        if matches!(reason, ReasonCode::Counterfeit | ReasonCode::AdverseReaction) && self.rng.chance(0.6) {
            priority = priority.max(Priority::High);
        }

        // Who works it.
        let assigned_at_opening = !self.rng.chance(0.08);
        let mut agent = self.pick_agent();
        let creator = if assigned_at_opening && self.rng.chance(0.75) {
            agent.id
        } else {
            self.pick_supervisor()
        };
        let mut assignee = assigned_at_opening.then_some(agent.id);
        // A few recent tickets are forgotten: nobody touches them again.
        let forgotten = opened > now - 40 * DAY && self.rng.chance(0.012);

        let mut sim = Sim {
            ticket: id,
            shop: self.plan.shop,
            now,
            events: 0,
            version: 1,
            due: Some(opened + i64::from(CYCLE_HOURS) * HOUR),
            next_escalation: Some(opened + i64::from(CYCLE_HOURS) * HOUR),
            last_contact: opened,
            last_follow_up: None,
            updated: opened,
        };
        let mut position = Position::new(kind);

        // created, rule_decision, assigned.
        {
            let s = &mut self.scratch;
            s.clear();
            s.push_str("{\"kind\": ");
            json_str(s, kind.as_str());
            s.push_str(", \"status\": ");
            json_str(s, position.status.as_str());
            s.push_str(", \"reason\": ");
            json_str(s, reason.as_str());
            s.push_str(", \"order_no\": ");
            json_str(s, &order.order_no);
            s.push_str(", \"sku\": ");
            json_opt_str(s, sku.as_deref());
            s.push_str(", \"description\": ");
            json_str(s, description);
            s.push_str(", \"refund_fen\": ");
            json_opt_int(s, refund_fen);
            s.push_str(", \"intact\": ");
            s.push_str(match intact {
                Some(true) => "true",
                Some(false) => "false",
                None => "null",
            });
            s.push_str(", \"recorded_at\": ");
            json_time(s, opened);
            s.push('}');
        }
        sim.event(&mut self.events, opened, Some(creator), "created", &self.scratch)?;
        if let Some(record) = &seven_day {
            let data = format!(
                "{{\"rule\": \"seven_day\", \"decision\": {}}}",
                serde_json::to_string(record)?
            );
            sim.event(&mut self.events, opened, None, "rule_decision", &data)?;
        }
        if let Some(to) = assignee {
            let data = format!("{{\"from\": null, \"to\": {to}}}");
            sim.event(&mut self.events, opened, Some(creator), "assigned", &data)?;
        }

        // The life of the ticket, until it closes or until now.
        let mut closed_at = None;
        let mut platform_deadline: Option<i64> = None;
        let mut resolution: Option<Resolution> = None;
        let (mut agreed_at, mut buyer_shipped_at, mut goods_received_at) = (None, None, None);
        let mut t = opened;
        let mut holds = 0;
        if !forgotten {
            if assignee.is_none() {
                // The shared queue: a supervisor hands it out.
                let at = t + self.rng.range(10 * 60, 20 * HOUR);
                if at <= now {
                    sim.escalate_until(&mut self.events, at, None)?;
                    agent = self.pick_agent();
                    let data = format!("{{\"from\": null, \"to\": {}}}", agent.id);
                    let supervisor = self.pick_supervisor();
                    sim.event(&mut self.events, at, Some(supervisor), "assigned", &data)?;
                    sim.change(at);
                    assignee = Some(agent.id);
                    t = at;
                }
            }
            while assignee.is_some() && position.status != Status::Closed {
                let (to, wait) = self.next_move(&position, &mut holds);
                let at = t + wait;
                // Follow-ups while waiting, as long as the cycle runs.
                let mut stop = false;
                while position.status.in_follow_up_cycle() {
                    let gap = if self.rng.chance(agent.late) {
                        self.rng.range(25 * HOUR, 50 * HOUR)
                    } else {
                        self.rng.range(9 * HOUR, 23 * HOUR)
                    };
                    let contact = sim.last_contact + gap;
                    if contact >= at {
                        break;
                    }
                    if contact > now {
                        stop = true;
                        break;
                    }
                    sim.escalate_until(&mut self.events, contact, assignee)?;
                    let actor = if self.rng.chance(0.08) {
                        self.pick_supervisor()
                    } else {
                        agent.id
                    };
                    let (channel, summary) = follow_up_text(&mut self.rng, kind, position.status);
                    let was_overdue = sim.due.is_some_and(|due| contact > due);
                    {
                        let s = &mut self.scratch;
                        s.clear();
                        s.push_str("{\"channel\": ");
                        json_str(s, channel);
                        s.push_str(", \"summary\": ");
                        json_str(s, summary);
                        s.push_str(if was_overdue {
                            ", \"was_overdue\": true}"
                        } else {
                            ", \"was_overdue\": false}"
                        });
                    }
                    sim.event(&mut self.events, contact, Some(actor), "follow_up", &self.scratch)?;
                    sim.follow_up(contact);
                    if self.rng.chance(0.06) {
                        let at_note = contact + self.rng.range(60, 40 * 60);
                        if at_note < at && at_note <= now {
                            let s = &mut self.scratch;
                            s.clear();
                            s.push_str("{\"text\": ");
                            json_str(s, NOTES[self.rng.below(NOTES.len())]);
                            s.push('}');
                            sim.event(&mut self.events, at_note, Some(actor), "note", &self.scratch)?;
                            sim.change(at_note);
                        }
                    }
                }
                if stop || at > now {
                    break;
                }
                sim.escalate_until(&mut self.events, at, assignee)?;
                let given = (kind == TicketKind::Logistics && to == Status::Resolved).then(|| {
                    self.rng.weighted(&[
                        (Resolution::Delivered, 45),
                        (Resolution::Reshipped, 30),
                        (Resolution::Refunded, 25),
                    ])
                });
                let Ok(next) = position.apply(to, given) else {
                    break;
                };
                platform_deadline = if next.status == Status::PlatformIntervention {
                    Some(
                        self.calendar
                            .add_working_days(datetime(at), 4, Shanghai)
                            .map(|d| d.ends_at.timestamp())
                            .unwrap_or(at + 6 * DAY),
                    )
                } else if next.status.is_hold() {
                    platform_deadline
                } else {
                    None
                };
                if given.is_some() {
                    resolution = given;
                }
                match next.status {
                    Status::Approved if agreed_at.is_none() => agreed_at = Some(at),
                    Status::BuyerShipped if buyer_shipped_at.is_none() => buyer_shipped_at = Some(at),
                    Status::Received if goods_received_at.is_none() => goods_received_at = Some(at),
                    _ => {}
                }
                let actor = if position.status == Status::Escalated
                    || (position.status == Status::PlatformIntervention && self.rng.chance(0.5))
                {
                    self.pick_supervisor()
                } else {
                    agent.id
                };
                let note = self
                    .rng
                    .chance(0.3)
                    .then(|| TRANSITION_NOTES[self.rng.below(TRANSITION_NOTES.len())]);
                {
                    let s = &mut self.scratch;
                    s.clear();
                    s.push_str("{\"from\": ");
                    json_str(s, position.status.as_str());
                    s.push_str(", \"to\": ");
                    json_str(s, next.status.as_str());
                    s.push_str(", \"note\": ");
                    json_opt_str(s, note);
                    s.push_str(", \"resolution\": ");
                    json_opt_str(s, given.map(Resolution::as_str));
                    s.push_str(", \"platform_deadline_at\": ");
                    json_opt_time(s, platform_deadline);
                    s.push('}');
                }
                sim.event(&mut self.events, at, Some(actor), "status_changed", &self.scratch)?;
                sim.change(at);
                sim.moved(
                    position.status.in_follow_up_cycle(),
                    next.status.in_follow_up_cycle(),
                    at,
                );
                if next.status.is_closed() {
                    closed_at = Some(at);
                }
                position = next;
                t = at;
            }
        }
        if closed_at.is_none() {
            sim.escalate_until(&mut self.events, now, assignee)?;
        }

        let order_shipped = order.signed.is_some_and(|s| s <= opened) || shipped;
        let timer_due = if closed_at.is_none() {
            let facts = TimerFacts {
                requested_at: datetime(opened),
                order_shipped,
                virtual_goods: false,
                agreed_at: agreed_at.map(datetime),
                buyer_shipped_at: buyer_shipped_at.map(datetime),
                seller_received_at: goods_received_at.map(datetime),
                answered: agreed_at.is_some() || position.status != Status::Requested,
            };
            timers::earliest(&timers::timers_for_ticket(kind, position.status, &facts, &self.timers))
                .map(|c| c.deadline.timestamp())
        } else {
            None
        };
        if closed_at.is_none() {
            self.summary.open_tickets += 1;
            if sim.due.is_some_and(|due| due < now) {
                self.summary.overdue_tickets += 1;
            }
        }
        let seven_day_json = match &seven_day {
            Some(record) => Some(serde_json::to_string(record)?),
            None => None,
        };
        let b = &mut self.tickets;
        b.int(self.plan.shop);
        b.int(id);
        b.text(kind.as_str());
        b.text(position.status.as_str());
        b.opt_text(position.held_from.map(Status::as_str));
        b.text(reason.as_str());
        b.text(description);
        b.int(order.id);
        b.opt_text(sku.as_deref());
        b.int(order.customer);
        b.opt_int(assignee);
        b.text(priority.as_str());
        b.opt_int(refund_fen);
        b.opt_text(resolution.map(Resolution::as_str));
        b.bool(intact);
        b.opt_text(seven_day.as_ref().map(|r| r.verdict.as_str()));
        b.opt_text(seven_day_json.as_deref());
        b.opt_ts(platform_deadline);
        b.int(sim.version);
        b.ts(opened);
        b.opt_ts(sim.due);
        b.opt_ts(sim.last_follow_up);
        b.opt_ts(closed_at);
        b.int(creator);
        b.ts(opened);
        b.ts(sim.updated);
        b.opt_ts(sim.next_escalation);
        b.bool(Some(order_shipped));
        b.opt_ts(agreed_at);
        b.opt_ts(buyer_shipped_at);
        b.opt_ts(goods_received_at);
        b.opt_ts(timer_due);
        if !b.end_row() {
            return Err(gone());
        }
        self.summary.tickets += 1;
        self.summary.events += sim.events;
        Ok(())
    }

    /// The next move of a ticket and how long it takes to come (seconds).
    fn next_move(&mut self, position: &Position, holds: &mut u32) -> (Status, i64) {
        use Status::*;
        let kind = position.kind;
        let r = &mut self.rng;
        if let Some(back) = position.held_from {
            return match position.status {
                Escalated if r.chance(0.15) => (PlatformIntervention, r.range(2 * HOUR, 24 * HOUR)),
                Escalated => (back, r.range(2 * HOUR, 24 * HOUR)),
                _ => (back, r.range(24 * HOUR, 96 * HOUR)),
            };
        }
        if *holds == 0 && position.status != Closed && !matches!(position.status, Rejected | Resolved) {
            if r.chance(0.025) {
                *holds += 1;
                return (Escalated, r.range(HOUR, 24 * HOUR));
            }
            if r.chance(0.01) {
                *holds += 1;
                return (PlatformIntervention, r.range(12 * HOUR, 72 * HOUR));
            }
        }
        let hours = |r: &mut Rng, lo: i64, hi: i64| r.range(lo * HOUR / 10, hi * HOUR / 10);
        match (kind, position.status) {
            (_, Requested) => {
                let to = r.weighted(&[(Approved, 84), (Rejected, 16)]);
                (to, hours(r, 2, 120))
            }
            (TicketKind::Refund, Approved) => (Refunded, hours(r, 1, 240)),
            (_, Approved) => (BuyerShipped, hours(r, 120, 720)),
            (_, BuyerShipped) => (Received, hours(r, 240, 720)),
            (TicketKind::Return, Received) => (r.weighted(&[(Refunded, 92), (InspectionFailed, 8)]), hours(r, 20, 240)),
            (TicketKind::Exchange, Received) => (ReplacementShipped, hours(r, 40, 360)),
            (_, InspectionFailed) => (r.weighted(&[(Refunded, 50), (Rejected, 50)]), hours(r, 120, 480)),
            (_, ReplacementShipped) => (Closed, hours(r, 240, 720)),
            (_, Refunded) => (Closed, hours(r, 1, 120)),
            (_, Rejected) => (Closed, hours(r, 10, 720)),
            (_, Resolved) => (Closed, hours(r, 120, 720)),
            (_, Open) if kind == TicketKind::Complaint => (Investigating, hours(r, 5, 120)),
            (_, Open) => (CarrierContacted, hours(r, 5, 80)),
            (_, Investigating) => (ResolutionProposed, hours(r, 120, 480)),
            (_, ResolutionProposed) => (r.weighted(&[(Resolved, 82), (Investigating, 18)]), hours(r, 60, 480)),
            (_, CarrierContacted) => (Resolved, hours(r, 120, 720)),
            _ => (Closed, hours(r, 10, 240)),
        }
    }
}

/// The bookkeeping of one ticket's simulation: follow-up cycle, version, events written.
struct Sim {
    ticket: i64,
    shop: i64,
    now: i64,
    events: u64,
    version: i64,
    due: Option<i64>,
    /// The sweep's pointer: the due instant of the next cycle not yet escalated.
    next_escalation: Option<i64>,
    last_contact: i64,
    last_follow_up: Option<i64>,
    updated: i64,
}

impl Sim {
    fn event(&mut self, batch: &mut Batch, at: i64, actor: Option<i64>, kind: &str, data: &str) -> anyhow::Result<()> {
        batch.int(self.shop);
        batch.int(self.ticket);
        batch.ts(at);
        batch.opt_int(actor);
        batch.text(kind);
        batch.text(data);
        if !batch.end_row() {
            return Err(gone());
        }
        self.events += 1;
        Ok(())
    }

    /// A change by a person (version and `updated_at`).
    fn change(&mut self, at: i64) {
        self.version += 1;
        self.updated = at;
    }

    fn follow_up(&mut self, at: i64) {
        self.change(at);
        self.last_contact = at;
        self.last_follow_up = Some(at);
        if self.due.is_some() {
            self.due = Some(at + i64::from(CYCLE_HOURS) * HOUR);
            self.next_escalation = self.due;
        }
    }

    /// The cycle after a move (as `tickets::service::transition` keeps it).
    fn moved(&mut self, was_in_cycle: bool, in_cycle: bool, at: i64) {
        match (was_in_cycle, in_cycle) {
            (_, false) => {
                self.due = None;
                self.next_escalation = None;
            }
            (false, true) => {
                self.due = Some(at + i64::from(CYCLE_HOURS) * HOUR);
                self.next_escalation = self.due;
                self.last_contact = at;
            }
            (true, true) => {}
        }
    }

    /// What the sweep records by `until`: one `escalated` event per missed cycle.
    fn escalate_until(&mut self, batch: &mut Batch, until: i64, assignee: Option<i64>) -> anyhow::Result<()> {
        let Some(next) = self.next_escalation else {
            return Ok(());
        };
        let cycles = follow_up::missed_cycles(datetime(next), datetime(until), CYCLE_HOURS);
        let Some(last) = cycles.last().map(DateTime::timestamp) else {
            return Ok(());
        };
        let mut data = String::with_capacity(160);
        for cycle in &cycles {
            let at = cycle.timestamp();
            // The sweep runs every minute: recorded shortly after the cycle passed.
            let recorded = (at + 30).min(self.now);
            data.clear();
            data.push_str("{\"cycle_due_at\": \"");
            data.push_str(&cycle.to_rfc3339_opts(SecondsFormat::Micros, true));
            data.push_str("\", \"assignee_id\": ");
            json_opt_int(&mut data, assignee);
            data.push_str(", \"recorded_at\": ");
            json_time(&mut data, recorded);
            data.push_str(", \"to\": \"supervisor\"}");
            self.event(batch, at, None, "escalated", &data)?;
        }
        self.next_escalation = Some(last + i64::from(CYCLE_HOURS) * HOUR);
        Ok(())
    }
}

fn reason_weights(kind: TicketKind, shipped: bool, signed: bool) -> &'static [(ReasonCode, u32)] {
    use ReasonCode::*;
    match (kind, shipped, signed) {
        (TicketKind::Refund, false, _) => &[
            (NoReason, 30),
            (Misorder, 25),
            (OutOfStock, 15),
            (LateShipment, 20),
            (Agreed, 10),
        ],
        (TicketKind::Refund, true, false) => &[(NoReason, 40), (Misorder, 20), (LateShipment, 25), (ShippingFee, 15)],
        (TicketKind::Refund, _, _) => &[
            (NoReason, 14),
            (Quality, 18),
            (Damaged, 10),
            (MissingParts, 8),
            (EmptyParcel, 2),
            (NotAsDescribed, 12),
            (ShippingFee, 8),
            (Agreed, 8),
            (WrongItem, 6),
            (Misorder, 14),
        ],
        (TicketKind::Return, _, _) => &[
            (NoReason, 35),
            (Quality, 18),
            (WrongItem, 10),
            (NotAsDescribed, 15),
            (Damaged, 8),
            (Misorder, 9),
            (MissingParts, 5),
        ],
        (TicketKind::Exchange, _, _) => &[
            (NoReason, 30),
            (NotAsDescribed, 25),
            (WrongItem, 20),
            (Quality, 15),
            (Misorder, 10),
        ],
        (TicketKind::Complaint, false, _) => &[(LateShipment, 60), (Invoice, 20), (Other, 20)],
        (TicketKind::Complaint, _, _) => &[
            (Quality, 22),
            (NotAsDescribed, 15),
            (LateShipment, 12),
            (Counterfeit, 6),
            (AdverseReaction, 5),
            (Invoice, 10),
            (Other, 18),
            (WrongItem, 12),
        ],
        (TicketKind::Logistics, _, false) => &[(LogisticsStuck, 60), (LogisticsNoTrace, 30), (Other, 10)],
        (TicketKind::Logistics, _, _) => &[
            (Damaged, 35),
            (DamagedRefused, 15),
            (EmptyParcel, 10),
            (MissingParts, 20),
            (Other, 20),
        ],
        (TicketKind::BadReview, _, _) => &[(Quality, 40), (NotAsDescribed, 30), (LateShipment, 15), (Other, 15)],
    }
}

/// The row of [`DESCRIPTIONS`] of a reason.
fn reason_index(reason: ReasonCode) -> usize {
    use ReasonCode::*;
    match reason {
        NoReason => 0,
        Misorder => 1,
        Agreed => 2,
        ShippingFee => 3,
        LateShipment => 4,
        OutOfStock => 5,
        LogisticsStuck => 6,
        LogisticsNoTrace => 7,
        EmptyParcel => 8,
        DamagedRefused => 9,
        Damaged => 10,
        MissingParts => 11,
        WrongItem => 12,
        NotAsDescribed => 13,
        Quality => 14,
        AdverseReaction => 15,
        Counterfeit => 16,
        Invoice => 17,
        Other => 18,
    }
}

fn follow_up_text(rng: &mut Rng, kind: TicketKind, status: Status) -> (&'static str, &'static str) {
    use Status::*;
    let specific: &[(&str, &str)] = match (kind, status) {
        (_, Requested) => &[
            ("chat", "已联系买家核实情况，等待补充凭证照片"),
            ("chat", "已向买家说明处理流程和预计时间"),
            ("phone", "电话联系买家确认退款诉求"),
        ],
        (_, Approved) => &[
            ("chat", "已提醒买家尽快寄回并填写退货单号"),
            ("sms", "短信提醒买家寄回商品"),
            ("check", "查看后台，买家尚未填写物流单号"),
        ],
        (_, BuyerShipped) => &[
            ("carrier", "查询物流，退货包裹运输中"),
            ("warehouse", "已通知仓库留意退货包裹"),
            ("check", "物流显示明天送达仓库"),
        ],
        (_, Received) | (_, InspectionFailed) => &[
            ("warehouse", "仓库已签收，质检进行中"),
            ("warehouse", "质检结果已出，等待财务处理"),
        ],
        (_, Open) | (_, CarrierContacted) if kind == TicketKind::Logistics => &[
            ("carrier", "已联系快递网点查件，等待回复"),
            ("carrier", "快递网点回复包裹已找到，重新派送中"),
            ("chat", "已告知买家物流进展"),
        ],
        (_, Escalated) | (_, PlatformIntervention) => &[
            ("platform", "已向平台提交凭证，等待小二处理"),
            ("chat", "已向买家说明平台介入进度"),
        ],
        _ => &[
            ("chat", "已回复买家，持续跟进中"),
            ("phone", "电话沟通处理方案，买家表示理解"),
            ("email", "已发邮件说明处理方案"),
        ],
    };
    *rng.pick(specific)
}

// ---------------------------------------------------------------------------------------------
// The catalogue and the words
// ---------------------------------------------------------------------------------------------

/// Category, code, weight (share of SKUs), products, price range in fen.
type CategorySpec = (&'static str, &'static str, &'static [&'static str], (i64, i64));

const CATEGORIES: [CategorySpec; 8] = [
    (
        "服装",
        "FZ",
        &[
            "纯棉短袖T恤",
            "修身牛仔裤",
            "轻薄羽绒服",
            "针织开衫",
            "碎花连衣裙",
            "连帽卫衣",
            "休闲西装",
        ],
        (4_900, 59_900),
    ),
    (
        "鞋靴",
        "XX",
        &["缓震跑步鞋", "帆布鞋", "马丁靴", "休闲皮鞋", "拖鞋"],
        (3_900, 69_900),
    ),
    (
        "美妆",
        "MZ",
        &["保湿面霜", "哑光口红", "防晒霜", "氨基酸洗面奶", "精华液"],
        (3_900, 39_900),
    ),
    (
        "食品",
        "SP",
        &["每日坚果礼盒", "鲜切水果", "牛肉干", "挂耳咖啡", "东北大米"],
        (1_990, 19_900),
    ),
    (
        "数码",
        "SM",
        &["蓝牙耳机", "快充充电宝", "编织数据线", "机械键盘", "会员激活码"],
        (2_990, 99_900),
    ),
    (
        "家居",
        "JJ",
        &["纯棉四件套", "记忆棉枕", "折叠收纳箱", "香薰蜡烛", "定制刻字水杯"],
        (2_990, 49_900),
    ),
    (
        "母婴",
        "MY",
        &["纸尿裤", "玻璃奶瓶", "婴儿湿巾", "儿童保温杯"],
        (2_990, 29_900),
    ),
    (
        "图书",
        "TS",
        &["儿童绘本套装", "期刊年度订阅", "长篇小说", "编程入门"],
        (1_990, 19_900),
    ),
];

const VARIANTS: [&str; 12] = [
    "黑色 M",
    "白色 L",
    "灰色 S",
    "蓝色 XL",
    "红色 M",
    "米色 L",
    "标准款",
    "升级款",
    "礼盒装",
    "两件装",
    "大号",
    "小号",
];

fn make_catalogue(rng: &mut Rng) -> Vec<Sku> {
    let mut catalogue = Vec::new();
    let mut n = 0;
    for (category, code, products, (lo, hi)) in CATEGORIES {
        for product in products {
            let base = rng.range(lo, hi) / 100 * 100 - 10;
            for variant in VARIANTS {
                for edition in 0..7 {
                    n += 1;
                    let exclusion = match *product {
                        "鲜切水果" => NoReasonExclusion::Perishable,
                        "会员激活码" => NoReasonExclusion::DigitalUnsealed,
                        "期刊年度订阅" => NoReasonExclusion::Periodical,
                        "定制刻字水杯" => NoReasonExclusion::CustomMade,
                        _ if category == "美妆" && edition == 0 => NoReasonExclusion::ConfirmedAtPurchase,
                        _ => NoReasonExclusion::None,
                    };
                    catalogue.push(Sku {
                        code: format!("{code}{n:05}"),
                        title: format!("{product} {variant} 第{}代", edition + 1),
                        category,
                        price_fen: (base + rng.range(-5, 6) * 100).max(990),
                        exclusion,
                    });
                }
            }
        }
    }
    // Popularity follows the shuffled order.
    for i in (1..catalogue.len()).rev() {
        catalogue.swap(i, rng.below(i + 1));
    }
    catalogue
}

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: [&str; 20] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚",
    "桂英", "晨",
];
const NICKS: [&str; 8] = ["tb_", "小鱼儿", "jd_", "快乐的", "momo", "阿狸", "sunny", "大白"];
const CITIES: [&str; 10] = [
    "上海市浦东新区",
    "北京市朝阳区",
    "广州市天河区",
    "深圳市南山区",
    "杭州市西湖区",
    "成都市武侯区",
    "武汉市洪山区",
    "南京市鼓楼区",
    "西安市雁塔区",
    "重庆市渝北区",
];
const STREETS: [&str; 8] = ["人民", "解放", "中山", "建设", "和平", "新华", "文化", "长江"];
const ORDER_NOTES: [&str; 4] = ["请尽快发货", "不要放快递柜", "送人的，不要放发票", "周末送货"];
const NOTES: [&str; 5] = [
    "买家情绪较激动，注意沟通方式",
    "老客户，可酌情优先处理",
    "已与仓库确认库存",
    "需要主管确认补偿金额",
    "买家要求保留聊天记录",
];
const TRANSITION_NOTES: [&str; 5] = [
    "凭证齐全，同意处理",
    "与买家协商一致",
    "仓库已确认",
    "按平台规则处理",
    "已核实物流信息",
];
/// Descriptions, three per reason, in the order of [`reason_index`].
const DESCRIPTIONS: [[&str; 3]; 19] = [
    ["不想要了，七天无理由退货", "买多了，退一件", "和想象的不一样，不想要了"],
    ["拍错了尺码", "拍错颜色了", "下单时选错了规格"],
    ["已与客服协商一致退款", "协商部分退款", "客服同意补偿差价"],
    ["运费险没生效，申请退运费", "退回运费", "多收了运费"],
    ["承诺48小时发货，一直没发", "催了好几次还没发货", "发货太慢了"],
    ["客服说缺货，申请退款", "商品缺货", "等不到补货"],
    ["物流三天没有更新", "包裹卡在中转站", "物流一直停在同一个地方"],
    ["查不到物流信息", "单号显示无记录", "物流信息不存在"],
    ["收到的是空包裹", "打开盒子里面是空的", "包裹里没有商品"],
    ["外包装破损，拒收了", "快递破损拒签", "包裹压坏了拒收"],
    ["收到时商品已破损", "外壳有裂痕", "运输中压坏了"],
    ["少发了配件", "缺少说明书和赠品", "套装少了一件"],
    ["发错了商品", "收到的颜色不对", "发来的型号不对"],
    ["实物与描述不符", "颜色和图片差别很大", "材质和描述的不一样"],
    ["质量有问题，开线了", "用了两天就坏了", "有明显瑕疵"],
    ["使用后皮肤过敏", "用了之后起红疹", "使用后不适"],
    ["怀疑是假货", "防伪码查不到", "和专柜的不一样"],
    ["要开发票一直没给", "发票抬头开错了", "需要补开发票"],
    ["其他问题", "需要客服处理", "有问题咨询"],
];

/// A tiny seeded generator (splitmix64), as in `demo`.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_AF7E_BE4C_2026)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo.wrapping_add_unsigned(self.next_u64() % hi.abs_diff(lo))
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`, which must not be empty (callers pass constant, non-empty lists).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items` by weight; the last one if the weights are all zero.
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = if total == 0 { 0 } else { self.next_u64() % total };
        for (item, weight) in items {
            if roll < u64::from(*weight) {
                return *item;
            }
            roll -= u64::from(*weight);
        }
        items[items.len() - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_formatted_as_postgres_and_serde_do() {
        let secs = 1_795_409_671; // 2026-11-23T04:54:31Z
        let mut buf = Vec::new();
        push_timestamp(&mut buf, secs, b' ', b"+00");
        assert_eq!(buf, b"2026-11-23 04:54:31+00");
        let mut json = String::new();
        json_time(&mut json, secs);
        assert_eq!(json, serde_json::to_string(&datetime(secs)).unwrap_or_default());
        for secs in [0, 951_782_400, 1_709_164_800, 4_102_444_800] {
            let mut json = String::new();
            json_time(&mut json, secs);
            assert_eq!(json, serde_json::to_string(&datetime(secs)).unwrap_or_default());
        }
    }

    #[test]
    fn copy_text_is_escaped() {
        let (tx, _rx) = mpsc::channel(1);
        let mut batch = Batch::new(tx);
        batch.text("a\tb\\c\nd");
        batch.null();
        assert!(batch.end_row());
        assert_eq!(batch.buf, b"a\\tb\\\\c\\nd\t\\N\n");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        json_str(&mut s, "say \"hi\"\\\n");
        assert_eq!(s, serde_json::to_string("say \"hi\"\\\n").unwrap_or_default());
    }
}
