//! The demo shop (`aftersales serve --demo`): one shop, `demo` (示例旗舰店), a user for every
//! role, about 400 orders of the last 60 days and 280 tickets of every kind in every status each
//! kind can reach, with timelines that read like real work.
//!
//! This module owns nothing in the schema: it writes the same rows and the same timeline events
//! that `shops`, `users`, `orders` and `tickets::service` would, in one transaction, so that a
//! load that fails half-way leaves nothing behind and the next start simply loads again.
//! Loading is idempotent: when the shop `demo` exists nothing is loaded, only the demo users'
//! passwords are reset to the documented ones ([`USERS`]).
//!
//! The data is made up by a small seeded generator (no crate), so every load holds the same
//! shapes, placed relative to the time of loading. Every ticket is legal: its status is reached
//! by legal moves of [`Position`], one `status_changed` event per move; the seven-day rule is
//! asked ([`seven_day::judge`]) for every no-reason request, and requests it would refuse are
//! given another reason; follow-up due times follow the same rules as the service.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use chrono_tz::Tz;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::auth::Role;
use crate::ids::{ShopId, UserId};
use crate::rules::calendar::Calendar;
use crate::rules::follow_up;
use crate::rules::reason::ReasonCode;
use crate::rules::seven_day::{self, NoReasonExclusion, SevenDayRequest};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};
use crate::tickets::model::{Channel, SevenDayRecord, event_kind};

/// The demo shop's code.
pub const SHOP_CODE: &str = "demo";
/// The demo shop's name.
pub const SHOP_NAME: &str = "示例旗舰店";
/// The demo shop's time zone.
pub const SHOP_ZONE: Tz = Shanghai;
/// The demo shop's no-reason window in days.
pub const RETURN_WINDOW_DAYS: u32 = 7;
/// The demo shop's follow-up cycle in hours.
pub const FOLLOW_UP_HOURS: u32 = 24;
/// Working days the platform takes to decide (as the ticket service counts them).
const PLATFORM_WORKING_DAYS: u32 = 4;
/// Fixed seed: every load generates the same shapes.
const SEED: u64 = 0x5EED_AF7E_0000_2026;

/// A demo login: who it is and the documented password.
#[derive(Clone, Copy, Debug)]
pub struct DemoUser {
    /// Login name.
    pub login: &'static str,
    /// Name shown in the desk.
    pub display_name: &'static str,
    /// Role.
    pub role: Role,
    /// The documented password (printed at start).
    pub password: &'static str,
}

/// The demo users, one per role (three agents). All are members of the demo shop.
#[rustfmt::skip]
pub const USERS: [DemoUser; 6] = [
    DemoUser { login: "agent1", display_name: "小王", role: Role::Agent, password: "demo-agent1" },
    DemoUser { login: "agent2", display_name: "小李", role: Role::Agent, password: "demo-agent2" },
    DemoUser { login: "agent3", display_name: "小张", role: Role::Agent, password: "demo-agent3" },
    DemoUser { login: "supervisor", display_name: "陈主管", role: Role::Supervisor, password: "demo-supervisor" },
    DemoUser { login: "owner", display_name: "刘店主", role: Role::Owner, password: "demo-owner" },
    DemoUser { login: "admin", display_name: "系统管理员", role: Role::Admin, password: "demo-admin" },
];

/// Indexes into [`USERS`].
const AGENTS: [usize; 3] = [0, 1, 2];
const SUPERVISOR: usize = 3;
/// Open tickets agent1 (小王) gets, so that the queue page looks lived in.
const AGENT1_OPEN_TICKETS: usize = 30;

/// Loads the demo shop unless it exists, and returns `(login, role, password)` of every demo
/// user for printing. Safe to call on every start.
pub async fn load(pool: &PgPool) -> anyhow::Result<Vec<(String, String, String)>> {
    if let Some(shop) = crate::shops::by_code(pool, SHOP_CODE).await? {
        return refresh_logins(pool, shop.id).await;
    }
    let started = Instant::now();
    let hashes = hash_passwords().await?;
    let now = Utc::now();

    let mut tx = pool.begin().await?;
    // The shop first: a second loader running at the same time waits here, then finds it.
    let shop: Option<ShopId> = sqlx::query_scalar(
        "INSERT INTO shops (code, name, time_zone, return_window_days, follow_up_hours)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(SHOP_CODE)
    .bind(SHOP_NAME)
    .bind(SHOP_ZONE.name())
    .bind(i32::try_from(RETURN_WINDOW_DAYS)?)
    .bind(i32::try_from(FOLLOW_UP_HOURS)?)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(shop) = shop else {
        tx.rollback().await?;
        return refresh_logins(pool, lookup_shop(pool).await?).await;
    };

    let mut user_ids = [UserId(0); USERS.len()];
    let mut logins = Vec::with_capacity(USERS.len());
    for (i, (user, hash)) in USERS.iter().zip(&hashes).enumerate() {
        // A login that exists already (made by hand before) keeps its role and name; its
        // password becomes the documented one, as on every later start.
        let (id, role): (UserId, String) = sqlx::query_as(
            "INSERT INTO users (login, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (lower(login)) DO UPDATE SET password_hash = EXCLUDED.password_hash
             RETURNING id, role",
        )
        .bind(user.login)
        .bind(user.display_name)
        .bind(user.role.as_str())
        .bind(hash)
        .fetch_one(&mut *tx)
        .await?;
        crate::shops::add_member(&mut *tx, shop, id).await?;
        user_ids[i] = id;
        logins.push((user.login.to_string(), role, user.password.to_string()));
    }

    let data = generate(now, &Calendar::bundled(), &user_ids);
    write(&mut tx, shop, &data).await?;
    crate::follow_ups::rebuild_daily(&mut tx, shop).await?;
    start_platform_clocks(&mut tx, shop).await?;
    tx.commit().await?;
    tracing::info!(
        orders = data.orders.len(),
        tickets = data.tickets.len(),
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "demo shop loaded"
    );
    Ok(logins)
}

async fn lookup_shop(pool: &PgPool) -> anyhow::Result<ShopId> {
    crate::shops::by_code(pool, SHOP_CODE)
        .await?
        .map(|shop| shop.id)
        .ok_or_else(|| anyhow::anyhow!("the demo shop `{SHOP_CODE}` vanished while loading; start again"))
}

/// The shop is there: make sure every demo user exists, belongs to it and has the documented
/// password.
async fn refresh_logins(pool: &PgPool, shop: ShopId) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut logins = Vec::with_capacity(USERS.len());
    for user in USERS {
        let existing: Option<(UserId, String)> =
            sqlx::query_as("SELECT id, role FROM users WHERE lower(login) = lower($1)")
                .bind(user.login)
                .fetch_optional(pool)
                .await?;
        let role = match existing {
            Some((id, role)) => {
                crate::users::set_password(pool, user.login, user.password).await?;
                crate::shops::add_member(pool, shop, id).await?;
                role
            }
            None => {
                let new = crate::users::NewUser {
                    login: user.login.to_string(),
                    password: user.password.to_string(),
                    role: user.role,
                    shops: vec![shop],
                    display_name: Some(user.display_name.to_string()),
                };
                crate::users::create(pool, &new)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot create the demo user `{}`: {e}", user.login))?;
                user.role.as_str().to_string()
            }
        };
        logins.push((user.login.to_string(), role, user.password.to_string()));
    }
    Ok(logins)
}

/// Hashes the demo passwords on the blocking pool, side by side.
async fn hash_passwords() -> anyhow::Result<Vec<String>> {
    let tasks: Vec<_> = USERS
        .iter()
        .map(|user| {
            let password = user.password;
            tokio::task::spawn_blocking(move || crate::auth::password::hash(password))
        })
        .collect();
    let mut hashes = Vec::with_capacity(tasks.len());
    for task in tasks {
        hashes.push(task.await??);
    }
    Ok(hashes)
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

async fn write(tx: &mut sqlx::PgConnection, shop: ShopId, data: &Demo) -> anyhow::Result<()> {
    // Buyers.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO customers (shop_id, nick, name, phone, address)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
         RETURNING id, nick",
    )
    .bind(shop)
    .bind(column(&data.customers, |c| c.nick.clone()))
    .bind(column(&data.customers, |c| c.name.clone()))
    .bind(column(&data.customers, |c| c.phone.clone()))
    .bind(column(&data.customers, |c| c.address.clone()))
    .fetch_all(&mut *tx)
    .await?;
    let by_nick: HashMap<String, i64> = rows.into_iter().map(|(id, nick)| (nick, id)).collect();
    let customer_ids = column(&data.customers, |c| by_nick.get(&c.nick).copied());
    let order_customers = data
        .orders
        .iter()
        .map(|o| customer_ids.get(o.customer).copied().flatten())
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| anyhow::anyhow!("a demo buyer was not stored"))?;

    // Orders.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO orders (shop_id, order_no, customer_id, paid_at, shipped_at, signed_at, note,
                             created_at, updated_at)
         SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[],
                                  $6::timestamptz[], $7::text[], $8::timestamptz[], $9::timestamptz[])
         RETURNING id, order_no",
    )
    .bind(shop)
    .bind(column(&data.orders, |o| o.order_no.clone()))
    .bind(&order_customers)
    .bind(column(&data.orders, |o| o.paid_at))
    .bind(column(&data.orders, |o| o.shipped_at))
    .bind(column(&data.orders, |o| o.signed_at))
    .bind(column(&data.orders, |o| o.note.clone()))
    .bind(column(&data.orders, |o| o.paid_at))
    .bind(column(&data.orders, DemoOrder::last_change))
    .fetch_all(&mut *tx)
    .await?;
    let by_number: HashMap<String, i64> = rows.into_iter().map(|(id, no)| (no, id)).collect();
    let order_ids = data
        .orders
        .iter()
        .map(|o| by_number.get(&o.order_no).copied())
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| anyhow::anyhow!("a demo order was not stored"))?;

    // Order lines.
    let lines: Vec<(i64, &Line)> = order_ids
        .iter()
        .zip(&data.orders)
        .flat_map(|(id, order)| order.lines.iter().map(move |line| (*id, line)))
        .collect();
    sqlx::query(
        "INSERT INTO order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen,
                                  no_reason_exclusion)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int4[],
                                  $7::int8[], $8::text[])",
    )
    .bind(shop)
    .bind(column(&lines, |(id, _)| *id))
    .bind(column(&lines, |(_, l)| l.sku.clone()))
    .bind(column(&lines, |(_, l)| l.title.clone()))
    .bind(column(&lines, |(_, l)| l.category.to_string()))
    .bind(column(&lines, |(_, l)| l.quantity))
    .bind(column(&lines, |(_, l)| l.unit_price_fen))
    .bind(column(&lines, |(_, l)| l.exclusion.as_str().to_string()))
    .execute(&mut *tx)
    .await?;

    // Tickets, one by one for their ids; then every event in one statement. No cycle has been
    // escalated yet, so the sweep's pointer (next_escalation_at) is the due time, as the service
    // sets it: the sweep records the missed cycles of the overdue ones when it next runs.
    let mut event_tickets = Vec::new();
    let (mut event_at, mut event_actor, mut event_kinds, mut event_data) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ticket in &data.tickets {
        let (Some(order), Some(customer)) = (order_ids.get(ticket.order), order_customers.get(ticket.order)) else {
            anyhow::bail!("demo ticket for order {} without its order", ticket.order);
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (shop_id, kind, status, held_from, reason, description, order_id, sku,
                                  customer_id, assignee_id, priority, refund_fen, resolution, intact,
                                  seven_day_verdict, seven_day, platform_deadline_at, version, opened_at,
                                  follow_up_due_at, next_escalation_at, last_follow_up_at, closed_at,
                                  created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                     $19, $20, $20, $21, $22, $23, $19, $24)
             RETURNING id",
        )
        .bind(shop)
        .bind(ticket.position.kind.as_str())
        .bind(ticket.position.status.as_str())
        .bind(ticket.position.held_from.map(Status::as_str))
        .bind(ticket.reason.as_str())
        .bind(&ticket.description)
        .bind(order)
        .bind(&ticket.sku)
        .bind(customer)
        .bind(ticket.assignee)
        .bind(ticket.priority.as_str())
        .bind(ticket.refund_fen)
        .bind(ticket.resolution.map(Resolution::as_str))
        .bind(ticket.intact)
        .bind(ticket.seven_day.as_ref().map(|r| r.verdict.as_str()))
        .bind(ticket.seven_day.as_ref().map(|r| json!(r)))
        .bind(ticket.platform_deadline_at)
        .bind(ticket.version)
        .bind(ticket.opened_at)
        .bind(ticket.follow_up_due_at)
        .bind(ticket.last_follow_up_at)
        .bind(ticket.closed_at)
        .bind(ticket.created_by)
        .bind(ticket.updated_at)
        .fetch_one(&mut *tx)
        .await?;
        for event in &ticket.events {
            event_tickets.push(id);
            event_at.push(event.at);
            event_actor.push(event.actor.map(|user| user.0));
            event_kinds.push(event.kind.to_string());
            event_data.push(event.data.to_string());
        }
    }
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
         SELECT $1, e.ticket_id, e.at, e.actor_id, e.kind, e.data::jsonb
         FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[], $5::text[], $6::text[])
              WITH ORDINALITY AS e(ticket_id, at, actor_id, kind, data, n)
         ORDER BY e.n",
    )
    .bind(shop)
    .bind(event_tickets)
    .bind(event_at)
    .bind(event_actor)
    .bind(event_kinds)
    .bind(event_data)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One column of rows, for an `unnest` insert.
fn column<T, U>(rows: &[T], value: impl FnMut(&T) -> U) -> Vec<U> {
    rows.iter().map(value).collect()
}

// ---------------------------------------------------------------------------------------------
// The generated shop
// ---------------------------------------------------------------------------------------------

/// Everything one load writes, before it has database ids (users excepted).
struct Demo {
    customers: Vec<Customer>,
    orders: Vec<DemoOrder>,
    tickets: Vec<DemoTicket>,
}

struct Customer {
    nick: String,
    name: String,
    phone: String,
    address: String,
}

struct DemoOrder {
    order_no: String,
    customer: usize,
    paid_at: DateTime<Utc>,
    shipped_at: Option<DateTime<Utc>>,
    signed_at: Option<DateTime<Utc>>,
    note: Option<String>,
    /// Only downloadable goods: delivered online at once, no parcel.
    virtual_goods: bool,
    lines: Vec<Line>,
    /// Kinds of ticket opened on it so far (one of each kind at most, two tickets at most).
    ticket_kinds: Vec<TicketKind>,
}

impl DemoOrder {
    fn total_fen(&self) -> i64 {
        self.lines.iter().map(Line::amount_fen).sum()
    }

    fn last_change(&self) -> DateTime<Utc> {
        self.signed_at.or(self.shipped_at).unwrap_or(self.paid_at)
    }
}

struct Line {
    sku: String,
    /// The product's name, for descriptions.
    name: &'static str,
    title: String,
    category: &'static str,
    quantity: i32,
    unit_price_fen: i64,
    exclusion: NoReasonExclusion,
}

impl Line {
    fn amount_fen(&self) -> i64 {
        self.unit_price_fen * i64::from(self.quantity)
    }
}

struct DemoTicket {
    position: Position,
    reason: ReasonCode,
    description: String,
    order: usize,
    sku: Option<String>,
    assignee: Option<UserId>,
    created_by: UserId,
    priority: Priority,
    refund_fen: Option<i64>,
    resolution: Option<Resolution>,
    intact: Option<bool>,
    seven_day: Option<SevenDayRecord>,
    platform_deadline_at: Option<DateTime<Utc>>,
    version: i32,
    opened_at: DateTime<Utc>,
    follow_up_due_at: Option<DateTime<Utc>>,
    last_follow_up_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    events: Vec<DemoEvent>,
}

struct DemoEvent {
    at: DateTime<Utc>,
    actor: Option<UserId>,
    kind: &'static str,
    data: Value,
}

/// Generates the whole shop as of `now`. Pure: the same `now` gives the same shop.
fn generate(now: DateTime<Utc>, calendar: &Calendar, users: &[UserId; USERS.len()]) -> Demo {
    let mut rng = Rng(SEED);
    let customers = make_customers(&mut rng, 260);
    let orders = make_orders(&mut rng, now, customers.len(), 400);
    let mut generator = TicketGen {
        rng,
        now,
        calendar,
        users,
        orders,
        agent1_open: 0,
        due_counts: [0; USERS.len() + 1],
    };
    let mut tickets = Vec::new();
    for (kind, count) in TICKETS_PER_KIND {
        for target in targets(&mut generator.rng, kind, count) {
            if let Some(ticket) = (0..60).find_map(|_| generator.ticket(kind, target)) {
                tickets.push(ticket);
            }
        }
    }
    // Ids ascending with opening time, as if they had been opened live.
    tickets.sort_by_key(|t| t.opened_at);
    Demo {
        customers,
        orders: generator.orders,
        tickets,
    }
}

/// The statuses the tickets of a kind end in: every status once, the rest shared by the kind's
/// usual spread (largest remainders), in random order.
fn targets(rng: &mut Rng, kind: TicketKind, count: usize) -> Vec<Status> {
    let mut targets = kind.statuses().to_vec();
    let weights = status_weights(kind);
    let rest = u64::try_from(count.saturating_sub(targets.len())).unwrap_or(0);
    let total: u64 = weights.iter().map(|(_, w)| u64::from(*w)).sum::<u64>().max(1);
    let mut shares: Vec<(Status, u64, u64)> = weights
        .iter()
        .map(|&(status, w)| (status, rest * u64::from(w) / total, rest * u64::from(w) % total))
        .collect();
    let mut left = rest - shares.iter().map(|s| s.1).sum::<u64>();
    shares.sort_by_key(|s| std::cmp::Reverse(s.2));
    for share in &mut shares {
        if left > 0 {
            share.1 += 1;
            left -= 1;
        }
    }
    for (status, n, _) in shares {
        targets.extend(std::iter::repeat_n(status, usize::try_from(n).unwrap_or(0)));
    }
    for i in (1..targets.len()).rev() {
        targets.swap(i, rng.below(i + 1));
    }
    targets
}

const TICKETS_PER_KIND: [(TicketKind, usize); 6] = [
    (TicketKind::Refund, 62),
    (TicketKind::Return, 60),
    (TicketKind::Exchange, 36),
    (TicketKind::Complaint, 42),
    (TicketKind::Logistics, 50),
    (TicketKind::BadReview, 30),
];

fn status_weights(kind: TicketKind) -> &'static [(Status, u32)] {
    use Status::*;
    match kind {
        TicketKind::Refund => &[
            (Requested, 14),
            (Approved, 9),
            (Rejected, 5),
            (Refunded, 7),
            (Closed, 42),
            (Escalated, 8),
            (PlatformIntervention, 8),
        ],
        TicketKind::Return => &[
            (Requested, 10),
            (Approved, 8),
            (Rejected, 4),
            (BuyerShipped, 10),
            (Received, 7),
            (InspectionFailed, 5),
            (Refunded, 5),
            (Closed, 35),
            (Escalated, 6),
            (PlatformIntervention, 7),
        ],
        TicketKind::Exchange => &[
            (Requested, 10),
            (Approved, 8),
            (Rejected, 4),
            (BuyerShipped, 10),
            (Received, 8),
            (ReplacementShipped, 8),
            (Closed, 35),
            (Escalated, 6),
            (PlatformIntervention, 7),
        ],
        TicketKind::Complaint => &[
            (Open, 12),
            (Investigating, 14),
            (ResolutionProposed, 10),
            (Resolved, 7),
            (Closed, 35),
            (Escalated, 9),
            (PlatformIntervention, 9),
        ],
        TicketKind::Logistics => &[
            (Open, 14),
            (CarrierContacted, 18),
            (Resolved, 8),
            (Closed, 40),
            (Escalated, 7),
            (PlatformIntervention, 8),
        ],
        TicketKind::BadReview => &[
            (Open, 12),
            (BuyerContacted, 14),
            (ExplanationPosted, 10),
            (ReviewRevised, 10),
            (Appealed, 10),
            (Closed, 30),
            (Escalated, 7),
            (PlatformIntervention, 7),
        ],
    }
}

fn reason_weights(kind: TicketKind) -> &'static [(ReasonCode, u32)] {
    use ReasonCode::*;
    match kind {
        TicketKind::Refund => &[
            (NoReason, 14),
            (Misorder, 8),
            (OutOfStock, 6),
            (LateShipment, 6),
            (Quality, 10),
            (Damaged, 7),
            (MissingParts, 6),
            (EmptyParcel, 2),
            (NotAsDescribed, 6),
            (ShippingFee, 5),
            (Agreed, 5),
        ],
        TicketKind::Return => &[
            (NoReason, 35),
            (Quality, 18),
            (WrongItem, 10),
            (NotAsDescribed, 15),
            (Damaged, 8),
            (Misorder, 6),
            (MissingParts, 3),
        ],
        TicketKind::Exchange => &[
            (NoReason, 25),
            (NotAsDescribed, 25),
            (WrongItem, 20),
            (Quality, 20),
            (Misorder, 10),
        ],
        TicketKind::Complaint => &[
            (Quality, 20),
            (NotAsDescribed, 15),
            (LateShipment, 15),
            (Counterfeit, 8),
            (AdverseReaction, 8),
            (Invoice, 8),
            (Other, 10),
            (WrongItem, 6),
        ],
        TicketKind::Logistics => &[
            (LogisticsStuck, 35),
            (LogisticsNoTrace, 15),
            (Damaged, 15),
            (DamagedRefused, 8),
            (EmptyParcel, 5),
            (MissingParts, 5),
            (Other, 10),
        ],
        TicketKind::BadReview => &[
            (Quality, 35),
            (NotAsDescribed, 25),
            (LateShipment, 15),
            (Damaged, 10),
            (Other, 15),
        ],
    }
}

/// One thing done to a ticket after it was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    FollowUp,
    Note,
    Reassign,
    Move(Status),
}

/// How soon an open ticket's follow-up is due at load time.
#[derive(Clone, Copy)]
enum Due {
    /// Due 10 minutes to two days ago.
    Overdue,
    /// Due within the next four hours.
    Soon,
    /// Due later today or tomorrow.
    Later,
}

/// How each queue's open tickets are spread: 40 % overdue, 20 % due soon, 40 % later.
const DUE_PATTERN: [Due; 10] = [
    Due::Overdue,
    Due::Later,
    Due::Soon,
    Due::Overdue,
    Due::Later,
    Due::Overdue,
    Due::Later,
    Due::Soon,
    Due::Overdue,
    Due::Later,
];

struct TicketGen<'a> {
    rng: Rng,
    now: DateTime<Utc>,
    calendar: &'a Calendar,
    users: &'a [UserId; USERS.len()],
    orders: Vec<DemoOrder>,
    agent1_open: usize,
    /// In-cycle open tickets made so far per assignee (index into [`USERS`]; the last slot is
    /// for unassigned ones), to spread each queue over [`DUE_PATTERN`].
    due_counts: [usize; USERS.len() + 1],
}

impl TicketGen<'_> {
    /// One ticket of `kind` ending in `target`, or `None` when this roll found nothing fitting
    /// (the caller rolls again).
    fn ticket(&mut self, kind: TicketKind, target: Status) -> Option<DemoTicket> {
        let moves = walk(&mut self.rng, kind, target)?;
        let actions = self.actions(kind, &moves, target);
        let assignee = self.choose_assignee(target, moves.is_empty());
        let gaps = self.gaps(kind, &actions);
        let span = gaps.iter().fold(Duration::zero(), |sum, gap| sum + *gap);

        // When the last thing happened.
        let last = if target == Status::Closed {
            self.now - minutes(self.rng.range(30, 45 * 24 * 60))
        } else if !target.in_follow_up_cycle() {
            self.now - minutes(self.rng.range(60, 4 * 24 * 60))
        } else {
            let slot = assignee.unwrap_or(USERS.len());
            let due = DUE_PATTERN[self.due_counts[slot] % DUE_PATTERN.len()];
            let ago = match due {
                Due::Overdue => self.rng.range(24 * 60 + 10, 72 * 60),
                Due::Soon => self.rng.range(20 * 60, 24 * 60 - 10),
                Due::Later => self.rng.range(10, 20 * 60),
            };
            self.now - minutes(ago)
        };
        let opened_at = last - span;
        if opened_at < self.now - Duration::days(58) {
            return None;
        }

        // The reason and an order it fits.
        let (mut reason, order_index, line_index) = (0..10).find_map(|_| {
            let reason = self.rng.weighted(reason_weights(kind));
            let (order, line) = self.find_order(kind, reason, opened_at)?;
            Some((reason, order, line))
        })?;
        let order = &self.orders[order_index];
        let line = line_index.and_then(|i| order.lines.get(i));

        // The seven-day rule, as the service asks it; a refusal gets the reason it really is.
        let mut intact = None;
        let mut seven_day = None;
        if reason == ReasonCode::NoReason && kind.subject_to_seven_day_rule() {
            let received = order.signed_at.is_some_and(|s| s < opened_at);
            intact = (received && self.rng.chance(0.7)).then_some(true);
            let unsent =
                order.signed_at.is_none_or(|s| s >= opened_at) && order.shipped_at.is_none_or(|s| s >= opened_at);
            if !(kind == TicketKind::Refund && unsent) {
                let request = SevenDayRequest {
                    signed_at: order.signed_at.filter(|s| *s < opened_at),
                    requested_at: opened_at,
                    zone: SHOP_ZONE,
                    window_days: RETURN_WINDOW_DAYS,
                    // Without a line, the order's most restrictive exclusion stands for it.
                    exclusion: match line {
                        Some(line) => line.exclusion,
                        None => order
                            .lines
                            .iter()
                            .map(|l| l.exclusion)
                            .find(|e| e.is_excluded())
                            .unwrap_or(NoReasonExclusion::None),
                    },
                    declared_intact: intact,
                };
                match seven_day::judge(&request, self.calendar) {
                    Ok(decision) if !decision.verdict.is_refusal() => {
                        seven_day = Some(SevenDayRecord::from_decision(&decision));
                    }
                    _ => {
                        let fallbacks = [ReasonCode::Quality, ReasonCode::NotAsDescribed, ReasonCode::Misorder];
                        let fitting: Vec<ReasonCode> = fallbacks
                            .into_iter()
                            .filter(|r| order_fits(order, kind, *r, opened_at))
                            .collect();
                        if fitting.is_empty() {
                            return None;
                        }
                        reason = *self.rng.pick(&fitting);
                        intact = None;
                    }
                }
            }
        }

        let subject = Subject {
            item: line.map_or(order.lines[0].name, |l| l.name),
            category: line.map_or(order.lines[0].category, |l| l.category),
            received: order.signed_at.is_some_and(|s| s < opened_at),
        };
        let description = describe(&mut self.rng, reason, &subject);
        let sku = line.map(|l| l.sku.clone());
        let refund_fen = match kind {
            TicketKind::Refund | TicketKind::Return => {
                let base = line.map_or(order.total_fen(), Line::amount_fen);
                Some(match reason {
                    ReasonCode::ShippingFee => self.rng.range(800, 1_500).min(order.total_fen()),
                    ReasonCode::Agreed => base * self.rng.range(10, 50) / 100,
                    _ => base,
                })
            }
            _ => None,
        };
        let total = order.total_fen();
        let order_no = order.order_no.clone();
        let refund_fen = refund_fen.map(|fen| fen.clamp(0, total));

        // Who works it.
        let reassigned = assignee.is_some() && actions.contains(&Action::Reassign);
        let first_assignee = match assignee {
            Some(final_agent) if reassigned => AGENTS.iter().copied().find(|a| *a != final_agent),
            other => other,
        };
        let creator = match first_assignee {
            Some(agent) if self.rng.chance(0.75) => agent,
            _ => SUPERVISOR,
        };

        let mut priority = self.rng.weighted(&[
            (Priority::Low, 18),
            (Priority::Normal, 60),
            (Priority::High, 16),
            (Priority::Urgent, 6),
        ]);
        // Held tickets and health or counterfeit claims tend to be pushed up.
        let serious = matches!(reason, ReasonCode::Counterfeit | ReasonCode::AdverseReaction);
        if (serious || target.is_hold()) && self.rng.chance(0.6) {
            priority = priority.max(Priority::High);
        }

        let resolution = match (kind, reason) {
            (TicketKind::Logistics, ReasonCode::LogisticsStuck | ReasonCode::LogisticsNoTrace) => self.rng.weighted(&[
                (Resolution::Delivered, 45),
                (Resolution::Reshipped, 30),
                (Resolution::Refunded, 25),
            ]),
            (TicketKind::Logistics, ReasonCode::Other) => Resolution::Delivered,
            _ => self.rng.weighted(&[
                (Resolution::Reshipped, 40),
                (Resolution::Compensated, 35),
                (Resolution::Refunded, 25),
            ]),
        };

        // The timeline, with the same bookkeeping as the ticket service.
        let users = *self.users;
        let user = |index: usize| users[index];
        let mut position = Position::new(kind);
        let mut events = Vec::new();
        let mut due = Some(follow_up::follow_up_due_at(opened_at, FOLLOW_UP_HOURS));
        let (mut last_follow_up_at, mut closed_at, mut platform_deadline_at, mut resolved) = (None, None, None, None);
        let mut version = 1;
        let mut current = first_assignee;
        let actor_of = |current: Option<usize>| current.unwrap_or(SUPERVISOR);
        events.push(DemoEvent {
            at: opened_at,
            actor: Some(user(creator)),
            kind: event_kind::CREATED,
            data: json!({
                "kind": kind, "status": position.status, "reason": reason, "order_no": order_no,
                "sku": sku, "description": description, "refund_fen": refund_fen, "intact": intact,
                "recorded_at": opened_at,
            }),
        });
        if let Some(record) = &seven_day {
            events.push(DemoEvent {
                at: opened_at,
                actor: None,
                kind: event_kind::RULE_DECISION,
                data: json!({ "rule": "seven_day", "decision": record }),
            });
        }
        if let Some(agent) = first_assignee {
            events.push(DemoEvent {
                at: opened_at,
                actor: Some(user(creator)),
                kind: event_kind::ASSIGNED,
                data: json!({ "from": null, "to": user(agent) }),
            });
        }
        let mut at = opened_at;
        for (action, gap) in actions.iter().zip(&gaps) {
            at += *gap;
            version += 1;
            match *action {
                Action::FollowUp => {
                    let actor = if self.rng.chance(0.1) {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    let (channel, summary) = follow_up_text(&mut self.rng, kind, position.status);
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        kind: event_kind::FOLLOW_UP,
                        data: json!({
                            "channel": channel, "summary": summary,
                            "was_overdue": due.is_some_and(|d| follow_up::is_overdue(d, at)),
                        }),
                    });
                    last_follow_up_at = Some(at);
                    due = position
                        .status
                        .in_follow_up_cycle()
                        .then(|| follow_up::follow_up_due_at(at, FOLLOW_UP_HOURS));
                }
                Action::Note => {
                    let actor = if self.rng.chance(0.3) {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        kind: event_kind::NOTE,
                        data: json!({ "text": self.rng.pick(NOTES) }),
                    });
                }
                Action::Reassign => {
                    if current == assignee {
                        version -= 1;
                        continue;
                    }
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(SUPERVISOR)),
                        kind: event_kind::ASSIGNED,
                        data: json!({ "from": current.map(user), "to": assignee.map(user) }),
                    });
                    current = assignee;
                }
                Action::Move(to) => {
                    let given = (kind == TicketKind::Logistics && to == Status::Resolved).then_some(resolution);
                    let next = position.apply(to, given).ok()?;
                    due = match (position.status.in_follow_up_cycle(), next.status.in_follow_up_cycle()) {
                        (_, false) => None,
                        (false, true) => Some(follow_up::follow_up_due_at(at, FOLLOW_UP_HOURS)),
                        (true, true) => due,
                    };
                    platform_deadline_at = if next.status == Status::PlatformIntervention {
                        self.calendar
                            .add_working_days(at, PLATFORM_WORKING_DAYS, SHOP_ZONE)
                            .ok()
                            .map(|d| d.ends_at)
                    } else if next.status.is_hold() {
                        platform_deadline_at
                    } else {
                        None
                    };
                    if next.status == Status::Resolved && given.is_some() {
                        resolved = given;
                    }
                    closed_at = next.status.is_closed().then_some(at);
                    // Holds are lifted by the supervisor (or the platform's verdict, recorded by
                    // whoever reads it); everything else by whoever works the ticket.
                    let actor = if position.status == Status::Escalated
                        || (position.status == Status::PlatformIntervention && self.rng.chance(0.5))
                    {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    let note = transition_note(&mut self.rng, kind, position.status, next.status);
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        kind: event_kind::STATUS_CHANGED,
                        data: json!({
                            "from": position.status, "to": next.status, "note": note, "resolution": given,
                            "platform_deadline_at": platform_deadline_at,
                        }),
                    });
                    position = next;
                }
            }
        }
        if position.status != target || at > self.now {
            return None;
        }

        let order = &mut self.orders[order_index];
        order.ticket_kinds.push(kind);
        if target != Status::Closed && assignee == Some(AGENTS[0]) {
            self.agent1_open += 1;
        }
        if target.in_follow_up_cycle() {
            self.due_counts[assignee.unwrap_or(USERS.len())] += 1;
        }
        Some(DemoTicket {
            position,
            reason,
            description,
            order: order_index,
            sku,
            assignee: assignee.map(user),
            created_by: user(creator),
            priority,
            refund_fen,
            resolution: resolved,
            intact,
            seven_day,
            platform_deadline_at,
            version,
            opened_at,
            follow_up_due_at: due,
            last_follow_up_at,
            closed_at,
            updated_at: at,
            events,
        })
    }

    /// Who works a ticket that ends in `target` (an index into [`USERS`]), or `None`: new
    /// tickets are often still unassigned; agent1 gets [`AGENT1_OPEN_TICKETS`] open ones.
    fn choose_assignee(&mut self, target: Status, untouched: bool) -> Option<usize> {
        if self.rng.chance(if untouched { 0.4 } else { 0.03 }) {
            None
        } else if target == Status::Closed {
            Some(*self.rng.pick(&AGENTS))
        } else if self.agent1_open < AGENT1_OPEN_TICKETS && self.rng.chance(0.34) {
            Some(AGENTS[0])
        } else {
            Some(*self.rng.pick(&AGENTS[1..]))
        }
    }

    /// The work between the moves: follow-ups, a note now and then, a reassignment rarely.
    fn actions(&mut self, kind: TicketKind, moves: &[Status], target: Status) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut from = kind.initial_status();
        for (i, &to) in moves.iter().enumerate() {
            let mut follow_ups = self.rng.weighted(&[(0, 30), (1, 50), (2, 20)]);
            if from == Status::PlatformIntervention
                || to == Status::Received
                || (to == Status::Refunded && kind == TicketKind::Return)
            {
                follow_ups += 1;
            }
            actions.extend(std::iter::repeat_n(Action::FollowUp, follow_ups));
            if self.rng.chance(0.12) {
                actions.push(Action::Note);
            }
            if i > 0 && self.rng.chance(0.05) {
                actions.push(Action::Reassign);
            }
            actions.push(Action::Move(to));
            from = to;
        }
        if target != Status::Closed && self.rng.chance(0.1) {
            actions.push(Action::Note);
        }
        if target.in_follow_up_cycle() {
            let follow_ups = if moves.is_empty() {
                self.rng.weighted(&[(0, 45), (1, 40), (2, 15)])
            } else if self.rng.chance(0.88) {
                1
            } else {
                0
            };
            actions.extend(std::iter::repeat_n(Action::FollowUp, follow_ups));
        }
        actions
    }

    /// The time before each action. The history keeps the follow-up cycle: every follow-up
    /// comes within 23 hours of the previous contact (or of the opening, or of the ticket coming
    /// back into the cycle), so that no cycle was missed before the demo was loaded; whether a
    /// ticket is overdue now is decided by when its last action happened.
    fn gaps(&mut self, kind: TicketKind, actions: &[Action]) -> Vec<Duration> {
        const CYCLE_MINUTES: i64 = 23 * 60;
        let mut in_cycle = kind.initial_status().in_follow_up_cycle();
        let mut since_contact = 0;
        actions
            .iter()
            .map(|action| {
                let budget = CYCLE_MINUTES - since_contact;
                let gap = match action {
                    Action::FollowUp => self.rng.range((budget / 2).clamp(5, 60), budget.max(10)),
                    Action::Note => self.rng.range(10, (budget / 3).clamp(11, 6 * 60)),
                    Action::Reassign => self.rng.range(10, (budget / 3).clamp(11, 8 * 60)),
                    Action::Move(_) => self.rng.range(10, (budget / 2).clamp(11, 16 * 60)),
                };
                since_contact += gap;
                match action {
                    Action::FollowUp => since_contact = 0,
                    Action::Move(to) => {
                        if !in_cycle && to.in_follow_up_cycle() {
                            since_contact = 0;
                        }
                        in_cycle = to.in_follow_up_cycle();
                    }
                    Action::Note | Action::Reassign => {}
                }
                minutes(gap)
            })
            .collect()
    }

    /// An order (and line) a ticket of `kind` for `reason` opened at `at` can be about.
    fn find_order(
        &mut self,
        kind: TicketKind,
        reason: ReasonCode,
        at: DateTime<Utc>,
    ) -> Option<(usize, Option<usize>)> {
        let count = self.orders.len();
        let start = self.rng.below(count);
        let index = (0..count).map(|i| (start + i) % count).find(|&i| {
            let order = &self.orders[i];
            order.ticket_kinds.len() < 2
                && !order.ticket_kinds.contains(&kind)
                && order_fits(order, kind, reason, at)
                && order.lines.iter().any(|l| line_fits(l, kind, reason))
        })?;
        let order = &self.orders[index];
        let fitting: Vec<usize> = (0..order.lines.len())
            .filter(|&i| line_fits(&order.lines[i], kind, reason))
            .collect();
        let preferred: Vec<usize> = fitting
            .iter()
            .copied()
            .filter(|&i| kind != TicketKind::Exchange || matches!(order.lines[i].category, "服装" | "鞋靴"))
            .collect();
        let choose_from = if preferred.is_empty() { &fitting } else { &preferred };
        let whole_order_ok = matches!(kind, TicketKind::Complaint | TicketKind::Logistics)
            || matches!(
                reason,
                ReasonCode::OutOfStock | ReasonCode::LateShipment | ReasonCode::Misorder
            );
        let line = if order.lines.len() == 1 {
            Some(0)
        } else if whole_order_ok && self.rng.chance(0.6) {
            None
        } else {
            Some(*self.rng.pick(choose_from))
        };
        Some((index, line))
    }
}

/// Whether the order's history allows this ticket at `at`.
fn order_fits(order: &DemoOrder, kind: TicketKind, reason: ReasonCode, at: DateTime<Utc>) -> bool {
    use ReasonCode::*;
    if order.paid_at >= at - minutes(30) {
        return false;
    }
    let since = |t: Option<DateTime<Utc>>| t.filter(|t| *t < at - minutes(30)).map(|t| at - t);
    let since_paid = at - order.paid_at;
    let since_shipped = since(order.shipped_at);
    let since_signed = since(order.signed_at);
    let in_transit = since_shipped.is_some() && since_signed.is_none();
    if order.virtual_goods && !matches!(kind, TicketKind::Refund | TicketKind::Complaint) {
        return false;
    }
    match reason {
        NoReason => match kind {
            TicketKind::Refund => since_signed.is_none_or(|d| d <= Duration::days(8)),
            _ => since_signed.is_some_and(|d| d >= Duration::hours(2) && d <= Duration::days(8)),
        },
        Misorder => match kind {
            TicketKind::Refund => since_paid < Duration::days(15),
            _ => since_signed.is_some_and(|d| d <= Duration::days(8)),
        },
        OutOfStock => order.shipped_at.is_none() && since_paid < Duration::days(4),
        LateShipment => since_shipped.is_none() && since_paid > Duration::hours(48) && since_paid < Duration::days(10),
        LogisticsStuck | LogisticsNoTrace => {
            in_transit && since_shipped.is_some_and(|d| d > Duration::hours(36) && d < Duration::days(15))
        }
        DamagedRefused => in_transit && order.signed_at.is_none(),
        Other if kind == TicketKind::Logistics => in_transit && since_shipped.is_some_and(|d| d < Duration::days(5)),
        Other | Invoice => since_paid < Duration::days(30),
        _ => since_signed.is_some_and(|d| d < Duration::days(30)),
    }
}

/// Whether the ticket can be about this line.
fn line_fits(line: &Line, kind: TicketKind, reason: ReasonCode) -> bool {
    let goods_go_back = matches!(kind, TicketKind::Return | TicketKind::Exchange);
    if goods_go_back
        && matches!(
            line.exclusion,
            NoReasonExclusion::Perishable | NoReasonExclusion::DigitalUnsealed
        )
    {
        return false;
    }
    match reason {
        ReasonCode::AdverseReaction => line.category == "美妆",
        ReasonCode::Counterfeit => matches!(line.category, "美妆" | "数码" | "鞋靴"),
        _ => true,
    }
}

/// A random legal path of moves from the kind's first status to `target` (empty when the target
/// is the first status).
fn walk(rng: &mut Rng, kind: TicketKind, target: Status) -> Option<Vec<Status>> {
    if !kind.statuses().contains(&target) {
        return None;
    }
    for _ in 0..300 {
        let mut position = Position::new(kind);
        let mut moves = Vec::new();
        for _ in 0..24 {
            if position.status == target {
                return Some(moves);
            }
            let allowed = position.allowed_moves();
            if allowed.is_empty() {
                break;
            }
            let weighted: Vec<(Status, u32)> = allowed
                .iter()
                .map(|&to| {
                    let weight = match (position.status, to) {
                        (_, Status::Escalated | Status::PlatformIntervention) if target.is_hold() => 30,
                        (Status::Escalated, Status::PlatformIntervention) => 15,
                        (_, Status::Escalated | Status::PlatformIntervention) => 4,
                        (Status::ResolutionProposed, Status::Investigating) => 20,
                        _ => 100,
                    };
                    (to, weight)
                })
                .collect();
            let to = rng.weighted(&weighted);
            position = position.apply(to, Some(Resolution::Delivered)).ok()?;
            moves.push(to);
        }
        if position.status == target {
            return Some(moves);
        }
    }
    None
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

// ---------------------------------------------------------------------------------------------
// Buyers and orders
// ---------------------------------------------------------------------------------------------

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓",
];
const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "婷", "雪", "晨", "思远", "子涵", "雨欣", "浩然", "梓萱", "欣怡", "宇航", "佳琪", "俊杰", "诗涵",
];
const PINYIN: &[&str] = &[
    "xiaoyu", "lili", "chenchen", "wangfang", "tiantian", "mumu", "xiaomei", "dandan", "haoran", "jiajia", "yueyue",
    "lele", "zhangwei", "liuyang", "qingqing", "nannan", "feifei", "xixi", "yangyang", "kaixin", "xiaobai", "doudou",
    "mengmeng", "ruirui", "linlin", "yiyi", "zhouzhou", "tangtang",
];
const CHINESE_NICKS: &[&str] = &[
    "爱吃鱼的猫",
    "小熊软糖",
    "晴天娃娃",
    "奶茶续命",
    "追风的少年",
    "半夏微凉",
    "柠檬不酸",
    "星星点灯",
    "橘子汽水",
    "慢慢来",
    "今天也要加油",
    "喵喵酱",
    "南方姑娘",
    "草莓味的夏天",
    "吃土少女",
    "老王家的猫",
    "云朵棉花糖",
    "早睡早起",
    "一只小蜗牛",
    "清风徐来",
];
/// (province, city, district)
const PLACES: &[(&str, &str, &str)] = &[
    ("浙江省", "杭州市", "西湖区"),
    ("浙江省", "宁波市", "鄞州区"),
    ("上海市", "上海市", "浦东新区"),
    ("上海市", "上海市", "闵行区"),
    ("北京市", "北京市", "朝阳区"),
    ("北京市", "北京市", "海淀区"),
    ("广东省", "深圳市", "南山区"),
    ("广东省", "广州市", "天河区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("江苏省", "苏州市", "工业园区"),
    ("四川省", "成都市", "武侯区"),
    ("湖北省", "武汉市", "洪山区"),
    ("陕西省", "西安市", "雁塔区"),
    ("山东省", "青岛市", "市南区"),
    ("福建省", "厦门市", "思明区"),
    ("湖南省", "长沙市", "岳麓区"),
    ("重庆市", "重庆市", "渝北区"),
    ("天津市", "天津市", "南开区"),
    ("河南省", "郑州市", "金水区"),
    ("辽宁省", "大连市", "沙河口区"),
];
const STREETS: &[&str] = &[
    "文一西路",
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "长江路",
    "学院路",
    "滨江大道",
    "科技园南路",
    "和平街",
    "幸福路",
    "新华路",
];
const COMPOUNDS: &[&str] = &[
    "阳光花园",
    "翠苑小区",
    "锦绣华庭",
    "金色家园",
    "东方名苑",
    "绿城桂花园",
    "世纪新城",
];
const ORDER_NOTES: &[&str] = &[
    "请周末送货",
    "不要放快递柜，放门卫",
    "送人的，不要放发票和价格单",
    "麻烦发顺丰",
    "尽快发货，谢谢",
    "工作日白天家里没人",
];

fn make_customers(rng: &mut Rng, count: usize) -> Vec<Customer> {
    let mut seen = HashSet::new();
    let mut customers = Vec::with_capacity(count);
    while customers.len() < count {
        let nick = match rng.below(10) {
            0..=4 => format!("tb_{}{}", rng.pick(PINYIN), rng.range(10, 9_999)),
            5..=6 => format!("{}{}", rng.pick(PINYIN), rng.range(1985, 2006)),
            _ => format!("{}{}", rng.pick(CHINESE_NICKS), rng.range(1, 999)),
        };
        if !seen.insert(nick.clone()) {
            continue;
        }
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN_NAMES));
        let prefix = rng.pick(&[
            "138", "139", "135", "136", "158", "159", "186", "187", "177", "150", "152", "182",
        ]);
        let phone = format!("{prefix}{:08}", rng.range(0, 100_000_000));
        let (province, city, district) = *rng.pick(PLACES);
        let address = if rng.chance(0.6) {
            format!(
                "{province} {city} {district} {}{}号 {}{}幢{}单元{}室",
                rng.pick(STREETS),
                rng.range(1, 999),
                rng.pick(COMPOUNDS),
                rng.range(1, 30),
                rng.range(1, 4),
                rng.range(1, 33) * 100 + rng.range(1, 5),
            )
        } else {
            format!(
                "{province} {city} {district} {}{}号{}楼",
                rng.pick(STREETS),
                rng.range(1, 999),
                rng.range(1, 28)
            )
        };
        customers.push(Customer {
            nick,
            name,
            phone,
            address,
        });
    }
    customers
}

/// When a product is taken out of the no-reason return.
#[derive(Clone, Copy)]
enum Excluded {
    Never,
    Always(NoReasonExclusion),
    /// For goods like cosmetics: when the buyer confirmed at checkout (percent of lines).
    Confirmed(usize),
}

struct Product {
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    price_fen: i64,
    variants: Variants,
    excluded: Excluded,
}

/// (SKU suffix, variant shown in the title)
type Variants = &'static [(&'static str, &'static str)];

const fn product(
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    price_fen: i64,
    variants: Variants,
    excluded: Excluded,
) -> Product {
    Product {
        sku,
        name,
        category,
        price_fen,
        variants,
        excluded,
    }
}

const ONE: Variants = &[];
const TEE: Variants = &[
    ("WHT-M", "白色 M"),
    ("WHT-L", "白色 L"),
    ("BLK-L", "黑色 L"),
    ("BLU-XL", "雾霾蓝 XL"),
];
const DRESS: Variants = &[("S", "S码"), ("M", "M码"), ("L", "L码")];
const JACKET: Variants = &[("BLK-M", "黑色 M"), ("KHK-L", "卡其 L")];
const JEANS: Variants = &[("26", "26码"), ("27", "27码"), ("28", "28码"), ("29", "29码")];
const HOODIE: Variants = &[("M", "M码"), ("L", "L码")];
const RUNNERS: Variants = &[("39", "39码"), ("40", "40码"), ("41", "41码"), ("42", "42码")];
const CANVAS: Variants = &[("36", "36码"), ("37", "37码"), ("38", "38码")];
const BOOTS: Variants = &[("37", "37码"), ("38", "38码"), ("39", "39码")];
const LIPSTICK: Variants = &[("316", "#316 豆沙色"), ("999", "#999 正红色")];
const EARBUDS: Variants = &[("WHT", "白色"), ("BLK", "黑色")];
const SHEETS: Variants = &[("GRY", "灰色"), ("WHT", "白色")];
const MUG: Variants = &[("BLU", "雾蓝"), ("WHT", "奶白")];
const ROMPER: Variants = &[("66", "66cm"), ("73", "73cm"), ("80", "80cm")];

const NEVER: Excluded = Excluded::Never;
const CUSTOM: Excluded = Excluded::Always(NoReasonExclusion::CustomMade);
const FRESH: Excluded = Excluded::Always(NoReasonExclusion::Perishable);
const DIGITAL: Excluded = Excluded::Always(NoReasonExclusion::DigitalUnsealed);

/// What the demo shop sells: a flagship store with a bit of everything.
#[rustfmt::skip]
const CATALOGUE: &[Product] = &[
    product("TS-COTTON", "纯棉圆领短袖T恤", "服装", 5_900, TEE, NEVER),
    product("DR-FLORAL", "法式碎花连衣裙 夏季新款", "服装", 19_900, DRESS, NEVER),
    product("JK-DOWN", "轻薄羽绒服 90白鸭绒", "服装", 39_900, JACKET, NEVER),
    product("PT-JEANS", "高腰直筒牛仔裤", "服装", 13_900, JEANS, NEVER),
    product("CUS-HOODIE", "定制刻字情侣卫衣", "服装", 16_800, HOODIE, CUSTOM),
    product("SH-RUN", "轻量缓震跑步鞋", "鞋靴", 32_900, RUNNERS, NEVER),
    product("SH-CANVAS", "经典低帮帆布鞋", "鞋靴", 8_900, CANVAS, NEVER),
    product("BT-CHELSEA", "真皮切尔西短靴", "鞋靴", 45_900, BOOTS, NEVER),
    product("MK-LIP", "丝绒哑光口红", "美妆", 13_900, LIPSTICK, Excluded::Confirmed(50)),
    product("SK-SERUM", "玻尿酸保湿精华液 30ml", "美妆", 25_900, ONE, Excluded::Confirmed(40)),
    product("SK-MASK", "补水保湿面膜 10片装", "美妆", 7_900, ONE, Excluded::Confirmed(30)),
    product("SK-SUN", "清爽防晒霜 SPF50+ 50ml", "美妆", 12_900, ONE, Excluded::Confirmed(30)),
    product("FR-LYCHEE", "广东妃子笑荔枝 5斤装 顺丰冷链", "食品生鲜", 8_990, ONE, FRESH),
    product("FR-CHERRY", "智利车厘子 JJ级 2斤装", "食品生鲜", 13_900, ONE, FRESH),
    product("FR-CRAB", "阳澄湖大闸蟹 公4两母3两 8只装", "食品生鲜", 39_800, ONE, FRESH),
    product("SN-NUTS", "每日坚果 30袋礼盒装", "食品生鲜", 11_900, ONE, Excluded::Confirmed(20)),
    product("TEA-LJ", "明前龙井茶 250g 罐装", "食品生鲜", 26_800, ONE, NEVER),
    product("DG-EARBUD", "真无线蓝牙耳机 降噪版", "数码", 29_900, EARBUDS, NEVER),
    product("DG-CHARGER", "65W 氮化镓快充充电器", "数码", 10_900, ONE, NEVER),
    product("DG-PB", "20000mAh 移动电源", "数码", 14_900, ONE, NEVER),
    product("DG-KEY", "Office 家庭和学生版 激活密钥", "数码", 39_800, ONE, DIGITAL),
    product("DG-GAME", "Switch 游戏兑换码", "数码", 29_900, ONE, DIGITAL),
    product("HM-PILLOW", "泰国天然乳胶枕", "家居", 16_900, ONE, NEVER),
    product("HM-SHEET", "60支长绒棉四件套 1.8m床", "家居", 45_900, SHEETS, NEVER),
    product("HM-CURTAIN", "定制尺寸遮光窗帘", "家居", 23_600, ONE, CUSTOM),
    product("HM-MUG", "带盖陶瓷马克杯", "家居", 3_990, MUG, NEVER),
    product("BB-DIAPER", "婴儿纸尿裤 L码 54片", "母婴", 13_900, ONE, Excluded::Confirmed(20)),
    product("BB-BOTTLE", "宽口径玻璃奶瓶 240ml", "母婴", 9_800, ONE, Excluded::Confirmed(30)),
    product("BB-FORMULA", "婴幼儿配方奶粉 3段 800g", "母婴", 29_800, ONE, Excluded::Confirmed(50)),
    product("BB-ROMPER", "纯棉婴儿连体衣 三件装", "母婴", 12_900, ROMPER, NEVER),
];

fn make_line(rng: &mut Rng, product: &Product) -> Line {
    let (sku, title) = match product.variants {
        [] => (product.sku.to_string(), product.name.to_string()),
        variants => {
            let (suffix, label) = *rng.pick(variants);
            (format!("{}-{suffix}", product.sku), format!("{} {label}", product.name))
        }
    };
    let exclusion = match product.excluded {
        Excluded::Never => NoReasonExclusion::None,
        Excluded::Always(exclusion) => exclusion,
        Excluded::Confirmed(percent) if rng.below(100) < percent => NoReasonExclusion::ConfirmedAtPurchase,
        Excluded::Confirmed(_) => NoReasonExclusion::None,
    };
    let quantity = if matches!(product.category, "服装" | "鞋靴" | "数码") {
        rng.weighted(&[(1, 90), (2, 10)])
    } else {
        rng.weighted(&[(1, 70), (2, 22), (3, 8)])
    };
    Line {
        sku,
        name: product.name,
        title,
        category: product.category,
        quantity,
        unit_price_fen: product.price_fen,
        exclusion,
    }
}

fn make_orders(rng: &mut Rng, now: DateTime<Utc>, customers: usize, count: usize) -> Vec<DemoOrder> {
    let mut numbers = HashSet::new();
    let mut orders = Vec::with_capacity(count);
    let today = now.with_timezone(&SHOP_ZONE).date_naive();
    let mut regulars: Vec<usize> = Vec::new();
    let mut next_customer = 0;
    while orders.len() < count {
        let order_no = format!("{}{:018}", rng.range(1, 5), rng.range(0, 1_000_000_000_000_000_000));
        if !numbers.insert(order_no.clone()) {
            continue;
        }
        // Paid some day of the last 60, mostly in the day and the evening (local time).
        let hour = rng.weighted(&[
            (0, 2),
            (1, 1),
            (7, 2),
            (8, 3),
            (9, 5),
            (10, 6),
            (11, 6),
            (12, 7),
            (13, 6),
            (14, 5),
            (15, 5),
            (16, 5),
            (17, 5),
            (18, 6),
            (19, 8),
            (20, 10),
            (21, 11),
            (22, 9),
            (23, 5),
        ]);
        let day = today - chrono::Days::new(rng.range(0, 60).unsigned_abs());
        let Some(local) = day.and_hms_opt(
            hour,
            u32::try_from(rng.range(0, 60)).unwrap_or(0),
            u32::try_from(rng.range(0, 60)).unwrap_or(0),
        ) else {
            continue;
        };
        let Some(paid_at) = SHOP_ZONE
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
        else {
            continue;
        };
        let paid_at = if paid_at > now - minutes(20) {
            paid_at - Duration::days(1)
        } else {
            paid_at
        };

        let customer = if !regulars.is_empty() && (next_customer >= customers || rng.chance(0.3)) {
            *rng.pick(&regulars)
        } else {
            next_customer += 1;
            regulars.push(next_customer - 1);
            next_customer - 1
        };

        let line_count = rng.weighted(&[(1, 65), (2, 25), (3, 10)]);
        let mut lines: Vec<Line> = Vec::new();
        while lines.len() < line_count {
            let product = rng.pick(CATALOGUE);
            let line = make_line(rng, product);
            if lines.iter().all(|l| l.sku != line.sku) {
                lines.push(line);
            }
        }
        let virtual_goods = lines.iter().all(|l| l.exclusion == NoReasonExclusion::DigitalUnsealed);
        let perishable = lines.iter().any(|l| l.exclusion == NoReasonExclusion::Perishable);

        let (shipped_at, signed_at) = if virtual_goods {
            // Sent by the system within minutes; the buyer's receipt counts as signing.
            (
                Some(paid_at + minutes(rng.range(1, 5))),
                Some(paid_at + minutes(rng.range(6, 30))),
            )
        } else {
            let never_shipped = rng.chance(0.03);
            let handling = if rng.chance(0.06) {
                rng.range(72 * 60, 144 * 60)
            } else {
                rng.range(3 * 60, 40 * 60)
            };
            let shipped = Some(paid_at + minutes(handling)).filter(|t| !never_shipped && *t < now);
            let transit = if perishable {
                rng.range(18 * 60, 40 * 60)
            } else if rng.chance(0.1) {
                rng.range(4 * 24 * 60, 8 * 24 * 60)
            } else {
                rng.range(24 * 60, 4 * 24 * 60)
            };
            let lost = rng.chance(0.05);
            let signed = shipped.map(|s| s + minutes(transit)).filter(|t| !lost && *t < now);
            (shipped, signed)
        };
        let note = rng.chance(0.12).then(|| rng.pick(ORDER_NOTES).to_string());
        orders.push(DemoOrder {
            order_no,
            customer,
            paid_at,
            shipped_at,
            signed_at,
            note,
            virtual_goods,
            lines,
            ticket_kinds: Vec::new(),
        });
    }
    orders
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// What a ticket is about, for its description.
struct Subject<'a> {
    item: &'a str,
    category: &'a str,
    /// Whether the buyer had the goods when the ticket was opened.
    received: bool,
}

fn describe(rng: &mut Rng, reason: ReasonCode, subject: &Subject<'_>) -> String {
    use ReasonCode::*;
    let templates: &[&str] = match reason {
        NoReason if !subject.received => &[
            "不想要了，申请退款",
            "暂时用不上了，麻烦取消订单退款",
            "在别家买到了，这单不要了",
        ],
        NoReason if matches!(subject.category, "服装" | "鞋靴") => &[
            "上身效果不太喜欢，吊牌未剪，想退",
            "买多了，{item}没穿过，吊牌和包装都在",
            "颜色和想象的不一样，不想要了，吊牌完好",
        ],
        NoReason => &[
            "不想要了，商品未拆封，申请七天无理由退货",
            "家里人已经买了同款，{item}全新未使用",
            "冲动消费了，{item}包装完好，麻烦处理一下",
        ],
        Misorder => &[
            "拍错颜色了，{item}想退掉重拍",
            "不小心拍了两份，{item}多拍了",
            "尺码拍错了，麻烦处理",
        ],
        Agreed => &["与客服协商一致，{item}部分退款", "客服同意补偿差价，按约定退款"],
        ShippingFee => &["退货运费我先垫付了，申请退运费", "运费险没有理赔成功，申请退运费"],
        LateShipment => &[
            "下单好几天了还没发货，说好48小时内发货的",
            "一直显示待发货，着急用，催了好几次都没发",
        ],
        OutOfStock => &["客服说{item}缺货，要等半个月，申请退款", "商家通知{item}断货，申请退款"],
        LogisticsStuck => &[
            "物流三天没更新了，一直卡在中转站",
            "显示派送中两天了还没收到",
            "快递停在转运中心好几天不动了，麻烦催一下",
        ],
        LogisticsNoTrace => &["单号查不到任何物流信息", "说是发货了，但是一直没有揽收记录"],
        EmptyParcel => &["收到的是空盒子，外包装有二次封口痕迹", "包裹里只有填充物，没有{item}"],
        DamagedRefused => &["快递外箱压坏了，当场拒签", "到货时箱子湿透了，已拒收"],
        Damaged => &[
            "收到时外包装破损，{item}有划痕",
            "{item}到货就坏了，盒子被压扁",
            "包装破了，{item}有污渍",
        ],
        MissingParts => &["订单两件只收到一件", "{item}缺少配件，说明书和赠品都没有"],
        WrongItem => &[
            "收到的颜色和拍的不一样",
            "发错货了，我买的是{item}，收到的是别的款",
            "尺码发错，拍的大码收到小码",
        ],
        NotAsDescribed => &[
            "实物颜色和图片差距很大",
            "{item}材质和详情页写的不一样",
            "尺码偏小两码，与尺码表不符",
        ],
        AdverseReaction => &["用了{item}脸上过敏起红疹", "涂完{item}皮肤刺痛发红"],
        Counterfeit => &[
            "怀疑{item}不是正品，防伪码查询不到",
            "和专柜买的对比明显不一样，怀疑假货",
        ],
        Invoice => &["要开增值税专用发票，客服一直没回复", "发票抬头开错了，需要重开"],
        Other => &[
            "想修改收货地址，请帮忙拦截快递",
            "买家要求改派到驿站",
            "包裹需要转寄到公司地址",
        ],
        Quality => match subject.category {
            "服装" => &[
                "{item}穿了一次就开线了",
                "洗了一次严重褪色，还串色",
                "做工粗糙，线头很多，还有污渍",
            ],
            "鞋靴" => &["{item}穿了一周鞋底开胶", "鞋面有褶皱和胶水印，左右脚颜色不一样"],
            "美妆" => &["{item}有异味，怀疑变质", "包装漏液，瓶身有裂痕"],
            "食品生鲜" => &["{item}到货时一部分已经坏了，发霉发黑", "收到的{item}不新鲜，有异味"],
            "数码" => &[
                "{item}用了两天就无法充电",
                "{item}左耳没有声音",
                "{item}频繁断连，重置也没用",
            ],
            "家居" => &["{item}有明显色差和线头", "{item}有裂纹，一用就漏水"],
            _ => &["{item}有异味", "{item}做工粗糙，有毛刺"],
        },
    };
    rng.pick(templates).replace("{item}", subject.item)
}

/// A follow-up's channel and summary, fitting the status the ticket is in.
fn follow_up_text(rng: &mut Rng, kind: TicketKind, status: Status) -> (Channel, String) {
    use Status::*;
    let specific: &[(Channel, &str)] = match (kind, status) {
        (_, Requested) => &[
            (Channel::Chat, "已旺旺联系买家核实情况，请其补充照片凭证"),
            (Channel::Check, "买家已上传照片，核实订单与商品信息"),
            (Channel::Phone, "电话联系买家确认诉求，买家希望尽快处理"),
        ],
        (TicketKind::Refund, Approved) => &[
            (Channel::Check, "已提交财务，等待退款到账"),
            (Channel::Chat, "告知买家退款将原路退回"),
        ],
        (_, Approved) => &[
            (Channel::Chat, "已发送退货地址给买家，提醒填写退货单号"),
            (Channel::Sms, "短信提醒买家7天内寄回商品"),
        ],
        (_, BuyerShipped) => &[
            (Channel::Check, "买家已填写退货单号，物流显示运输中"),
            (Channel::Carrier, "联系快递确认退货件预计明天到仓"),
        ],
        (_, Received) => &[
            (Channel::Warehouse, "仓库已签收退货，等待验货"),
            (Channel::Warehouse, "仓库验货中，预计今天出结果"),
        ],
        (_, InspectionFailed) => &[
            (Channel::Warehouse, "验货发现吊牌已剪、有使用痕迹，已拍照留证"),
            (Channel::Chat, "把验货照片发给买家，买家对结果有异议"),
        ],
        (_, Refunded) => &[(Channel::Chat, "退款已原路退回，买家确认收到")],
        (_, ReplacementShipped) => &[(Channel::Chat, "换货已寄出，已把新单号告知买家")],
        (_, Open) if kind == TicketKind::Logistics => &[
            (Channel::Carrier, "已在快递系统登记查件"),
            (Channel::Chat, "安抚买家，说明已联系快递核查"),
        ],
        (_, Open | Investigating) => &[
            (Channel::Warehouse, "已向仓库调取发货记录和打包视频"),
            (Channel::Phone, "电话安抚买家，承诺48小时内给出方案"),
            (Channel::Check, "核对了同批次商品，暂未发现同类问题"),
        ],
        (_, ResolutionProposed) => &[
            (Channel::Chat, "向买家提出补偿20元无门槛券的方案，等待回复"),
            (Channel::Phone, "电话沟通补偿方案，买家考虑中"),
        ],
        (_, CarrierContacted) => &[
            (Channel::Carrier, "快递网点答复今天安排派送"),
            (Channel::Carrier, "快递称包裹可能遗失，已申请理赔"),
            (Channel::Chat, "把快递的答复转告买家"),
        ],
        (_, Escalated) => &[
            (Channel::Check, "已提交主管审批，等待答复"),
            (Channel::Chat, "告知买家已升级处理，请耐心等待"),
        ],
        (_, PlatformIntervention) => &[
            (Channel::Platform, "已向平台上传聊天记录和发货凭证"),
            (Channel::Platform, "平台小二要求补充验货视频，已上传"),
        ],
        _ => &[],
    };
    const GENERIC: &[(Channel, &str)] = &[
        (Channel::Chat, "已旺旺联系买家，说明当前处理进度"),
        (Channel::Phone, "电话联系买家未接通，已短信留言"),
        (Channel::Sms, "短信提醒买家查看旺旺消息"),
    ];
    let (channel, text) = if specific.is_empty() || rng.chance(0.2) {
        *rng.pick(GENERIC)
    } else {
        *rng.pick(specific)
    };
    (channel, text.to_string())
}

const NOTES: &[&str] = &[
    "买家情绪较大，注意沟通语气",
    "该买家近三个月有两次退货记录",
    "已申请主管审批补偿券",
    "买家要求只用旺旺联系，不要打电话",
    "同批次商品已通知仓库抽检",
    "运费险已理赔，注意不要重复退运费",
];

fn transition_note(rng: &mut Rng, kind: TicketKind, from: Status, to: Status) -> Option<String> {
    use Status::*;
    if rng.chance(0.35) {
        return None;
    }
    let notes: &[&str] = match (from, to) {
        (_, PlatformIntervention) => &["买家申请平台介入", "协商未达成一致，买家申请小二介入"],
        (Escalated, _) => &["主管已批准，按原流程继续处理", "主管同意补偿方案，继续处理"],
        (PlatformIntervention, _) => &["平台判定：支持买家，继续处理", "平台判定：买家撤销介入申请"],
        (_, Escalated) => &["买家要求的赔偿超出权限，升级主管", "买家多次投诉，升级主管处理"],
        (_, Approved) => &["核实无误，同意申请", "符合退换货条件，同意"],
        (InspectionFailed, Rejected) => &["验货不通过，不予退款", "商品有明显使用痕迹，不支持退款"],
        (_, Rejected) => &["买家未能提供有效凭证，驳回申请", "与买家协商后，买家同意撤销申请"],
        (_, Refunded) => &["已原路退款"],
        (_, BuyerShipped) => &["买家已寄回，已登记退货单号"],
        (_, Received) => &["仓库已签收退货"],
        (_, InspectionFailed) => &["验货不通过：吊牌已剪，有明显使用痕迹"],
        (_, ReplacementShipped) => &["新货已寄出"],
        (ResolutionProposed, Investigating) => &["买家不接受方案，重新核查"],
        (_, Investigating) => &["开始核查"],
        (_, ResolutionProposed) => &["提出补偿方案"],
        (_, CarrierContacted) => &["已联系快递网点"],
        (_, Resolved) if kind == TicketKind::Logistics => &["快递问题已处理完毕"],
        (_, Resolved) => &["买家接受处理方案"],
        (_, Closed) => &["买家确认，工单关闭", "处理完毕，关闭工单"],
        _ => &[],
    };
    (!notes.is_empty()).then(|| rng.pick(notes).to_string())
}

// ---------------------------------------------------------------------------------------------
// A tiny seeded generator (splitmix64)
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
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
        let span = hi.abs_diff(lo);
        lo.wrapping_add_unsigned(self.next_u64() % span)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    /// One of `items`, which must not be empty (all callers pass constant, non-empty lists).
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

/// Sets the facts the platform timers run on from each ticket's order and timeline (as the
/// service does when tickets are worked), then the earliest running timer.
async fn start_platform_clocks(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, shop: ShopId) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE tickets t SET
            order_shipped = COALESCE(o.signed_at IS NOT NULL OR o.shipped_at <= t.opened_at, false),
            agreed_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'approved'),
            buyer_shipped_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'buyer_shipped'),
            goods_received_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'received')
         FROM orders o WHERE o.shop_id = t.shop_id AND o.id = t.order_id AND t.shop_id = $1",
    )
    .bind(shop)
    .execute(&mut **tx)
    .await?;
    let tickets: Vec<crate::tickets::Ticket> = sqlx::query_as(concat!(
        crate::tickets::model::ticket_select!(),
        "WHERE t.shop_id = $1 AND t.closed_at IS NULL"
    ))
    .bind(shop)
    .fetch_all(&mut **tx)
    .await?;
    for ticket in tickets {
        let due = crate::rules::timers::earliest(&ticket.running_timers()).map(|c| c.deadline);
        sqlx::query("UPDATE tickets SET timer_due_at = $3 WHERE shop_id = $1 AND id = $2")
            .bind(shop)
            .bind(ticket.id)
            .bind(due)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER_IDS: [UserId; 6] = [UserId(1), UserId(2), UserId(3), UserId(4), UserId(5), UserId(6)];

    /// Demos loaded at different moments: an ordinary week, just after the National Day
    /// holiday, and at the end of the calendar's last known year (deadlines unknown).
    fn demos() -> Vec<(DateTime<Utc>, Demo)> {
        [(2025, 11, 20, 6), (2025, 10, 9, 2), (2026, 12, 30, 15)]
            .into_iter()
            .map(|(y, m, d, h)| {
                let now = Utc.with_ymd_and_hms(y, m, d, h, 30, 0).single().expect("valid time");
                (now, generate(now, &Calendar::bundled(), &USER_IDS))
            })
            .collect()
    }

    #[test]
    fn the_demo_is_the_size_promised_and_the_same_every_time() {
        for (now, first) in demos() {
            assert_eq!(first.orders.len(), 400);
            assert_eq!(first.tickets.len(), 280, "as of {now}");
            let second = generate(now, &Calendar::bundled(), &USER_IDS);
            let shape = |d: &Demo| {
                d.tickets
                    .iter()
                    .map(|t| (t.position, t.reason, t.opened_at, t.version))
                    .collect::<Vec<_>>()
            };
            assert_eq!(shape(&first), shape(&second));
        }
    }

    #[test]
    fn every_kind_reaches_every_status() {
        for (now, demo) in demos() {
            for kind in TicketKind::ALL {
                for status in kind.statuses() {
                    assert!(
                        demo.tickets
                            .iter()
                            .any(|t| t.position.kind == kind && t.position.status == *status),
                        "no {kind:?} ticket in {status:?} as of {now}"
                    );
                }
            }
        }
    }

    #[test]
    fn orders_are_paid_then_shipped_then_signed() {
        for (now, demo) in demos() {
            let mut numbers = HashSet::new();
            for order in &demo.orders {
                assert_eq!(order.order_no.len(), 19);
                assert!(order.order_no.bytes().all(|b| b.is_ascii_digit()));
                assert!(numbers.insert(order.order_no.clone()));
                assert!(order.paid_at <= now && order.paid_at > now - Duration::days(62));
                assert!(order.signed_at.is_none() || order.shipped_at.is_some());
                if let Some(shipped) = order.shipped_at {
                    assert!(order.paid_at < shipped && shipped <= now);
                }
                if let (Some(shipped), Some(signed)) = (order.shipped_at, order.signed_at) {
                    assert!(shipped < signed && signed <= now);
                }
                assert!((1..=3).contains(&order.lines.len()));
                assert!(order.customer < demo.customers.len());
            }
        }
    }

    #[test]
    fn timelines_replay_to_the_stored_ticket() {
        for (now, demo) in demos() {
            for ticket in &demo.tickets {
                let order = &demo.orders[ticket.order];
                assert!(ticket.refund_fen.is_none_or(|fen| fen >= 0 && fen <= order.total_fen()));
                assert!(order.paid_at < ticket.opened_at);
                if let Some(sku) = &ticket.sku {
                    assert!(order.lines.iter().any(|l| &l.sku == sku));
                }
                if let Some(record) = &ticket.seven_day {
                    assert!(!record.verdict.is_refusal());
                    assert_eq!(ticket.reason, ReasonCode::NoReason);
                }
                let mut position = Position::new(ticket.position.kind);
                let mut last = ticket.opened_at;
                let mut last_follow_up = None;
                let mut changes = 0;
                assert_eq!(ticket.events[0].kind, event_kind::CREATED);
                for event in &ticket.events {
                    assert!(event.at >= last && event.at <= now);
                    last = event.at;
                    match event.kind {
                        event_kind::STATUS_CHANGED => {
                            let to: Status = serde_json::from_value(event.data["to"].clone()).expect("status");
                            let resolution: Option<Resolution> =
                                serde_json::from_value(event.data["resolution"].clone()).expect("resolution");
                            position = position.apply(to, resolution).expect("legal move");
                            changes += 1;
                        }
                        event_kind::FOLLOW_UP => {
                            assert_eq!(
                                event.data["was_overdue"],
                                json!(false),
                                "no missed cycle before loading"
                            );
                            last_follow_up = Some(event.at);
                            changes += 1;
                        }
                        event_kind::NOTE => changes += 1,
                        event_kind::ASSIGNED if event.at > ticket.opened_at => changes += 1,
                        _ => {}
                    }
                }
                assert_eq!(position, ticket.position);
                assert_eq!(ticket.version, 1 + changes);
                assert_eq!(ticket.last_follow_up_at, last_follow_up);
                assert_eq!(ticket.updated_at, last);
                assert_eq!(ticket.closed_at.is_some(), position.status.is_closed());
                assert_eq!(ticket.follow_up_due_at.is_some(), position.status.in_follow_up_cycle());
                if let (Some(due), Some(contact)) = (ticket.follow_up_due_at, ticket.last_follow_up_at) {
                    assert!(due >= contact + Duration::hours(24) || due == ticket.opened_at + Duration::hours(24));
                }
                assert_eq!(ticket.resolution.is_some(), {
                    ticket.position.kind == TicketKind::Logistics
                        && ticket.events.iter().any(|e| e.data["to"] == json!("resolved"))
                });
            }
        }
    }

    #[test]
    fn agent1_has_a_queue_and_open_tickets_are_due_at_every_distance() {
        for (now, demo) in demos() {
            let agent1 = demo
                .tickets
                .iter()
                .filter(|t| t.closed_at.is_none() && t.assignee == Some(USER_IDS[0]))
                .count();
            assert!((25..=32).contains(&agent1), "agent1 has {agent1} open tickets");
            let unassigned = demo.tickets.iter().filter(|t| t.assignee.is_none()).count();
            assert!((15..=40).contains(&unassigned), "{unassigned} unassigned");
            let due = |t: &&DemoTicket| t.follow_up_due_at;
            let overdue = demo.tickets.iter().filter_map(|t| due(&t)).filter(|d| *d < now).count();
            let soon = demo
                .tickets
                .iter()
                .filter_map(|t| due(&t))
                .filter(|d| *d >= now && *d < now + Duration::hours(4))
                .count();
            assert!(overdue >= 40, "{overdue} overdue");
            for agent in &USER_IDS[..3] {
                let queue: Vec<DateTime<Utc>> = demo
                    .tickets
                    .iter()
                    .filter(|t| t.assignee == Some(*agent))
                    .filter_map(|t| t.follow_up_due_at)
                    .collect();
                let overdue = queue.iter().filter(|d| **d < now).count();
                let soon = queue
                    .iter()
                    .filter(|d| **d >= now && **d < now + Duration::hours(4))
                    .count();
                assert!(
                    overdue >= 5 && soon >= 3,
                    "agent {agent}: {overdue} overdue, {soon} due soon"
                );
            }
            assert!(soon >= 15, "{soon} due within four hours");
        }
    }
}
