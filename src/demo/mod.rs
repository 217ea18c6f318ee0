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
//! The data is made up from the shared seeded generator ([`crate::fixtures`]), so every load
//! holds the same shapes, placed relative to the time of loading. Every ticket is legal: its
//! status is reached by legal moves of [`Position`](crate::rules::workflow::Position), one
//! `status_changed` event per move; the seven-day rule is asked
//! ([`seven_day::judge`](crate::rules::seven_day::judge)) for every no-reason request, and
//! requests it would refuse are given another reason; follow-up due times follow the same rules
//! as the service.
//!
//! Here: the users and [`load`]. Then, in the order a load runs: `shop` generates the shop
//! (tickets and their timelines) from `orders` (buyers, catalogue, orders) and `words` (what
//! people write); `write` stores it.

use std::time::Instant;

use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use chrono_tz::Tz;
use sqlx::PgPool;

use crate::auth::Role;
use crate::ids::{ShopId, UserId};
use crate::rules::calendar::Calendar;

mod knowledge;
mod orders;
mod shop;
#[cfg(test)]
mod tests;
mod words;
mod write;

use self::shop::generate;
use self::write::{start_platform_clocks, write};

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
    knowledge::write(&mut tx, shop, user_ids[SUPERVISOR], now).await?;
    crate::follow_ups::rebuild_daily(&mut tx, shop).await?;
    start_platform_clocks(&mut tx, shop).await?;
    tx.commit().await?;
    // The planner's statistics, at once: a fresh database has none, and a connection that
    // plans the queue before autovacuum has looked would keep a plan made for empty tables
    // (nested loops over every order and buyer: the first queue page took over 30 s).
    // (The timeline belongs to the ledger role, and no page plans a join over it.)
    sqlx::raw_sql("ANALYZE shops, users, shop_members, customers, orders, order_lines, tickets, follow_up_daily")
        .execute(pool)
        .await?;
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

/// Hashes the demo passwords on the password threads, side by side.
async fn hash_passwords() -> anyhow::Result<Vec<String>> {
    let tasks: Vec<_> = USERS
        .iter()
        .map(|user| {
            let password = user.password;
            crate::auth::password::off_thread(move || crate::auth::password::hash(password))
        })
        .collect();
    let mut hashes = Vec::with_capacity(tasks.len());
    for task in tasks {
        hashes.push(task.await??);
    }
    Ok(hashes)
}
