//! The daily digest: once a day per shop, from [`DIGEST_HOUR`] in the shop's time zone, each of
//! its supervisors gets a notice in the desk (overdue follow-ups per person, money at risk;
//! it opens `/follow-ups`) and the hooks subscribed to `daily_digest` get the same figures. Run
//! after each follow-up sweep; `daily_digests` holds one row per shop and local day, so however
//! many servers run it, one of them sends each day's digest, all of it in one transaction.

use chrono::{DateTime, Timelike, Utc};
use sqlx::PgPool;

use super::format::{DigestFacts, Payload};
use super::outbox;
use crate::ids::ShopId;
use crate::notifications;
use crate::rules::risk;
use crate::tickets;

/// The local hour from which a shop's digest of the day is sent.
pub const DIGEST_HOUR: u32 = 9;

/// Sends the digest of every shop whose local day has reached [`DIGEST_HOUR`] and that has not
/// had today's. Returns the shops whose digest this call sent.
pub async fn send_due(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<Vec<ShopId>> {
    let shops: Vec<(ShopId, String)> = sqlx::query_as("SELECT id, time_zone FROM shops ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut sent = Vec::new();
    for (shop, zone) in shops {
        let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let local = now.with_timezone(&zone);
        if local.hour() < DIGEST_HOUR {
            continue;
        }
        if send_one(pool, shop, local.date_naive(), now).await? {
            sent.push(shop);
        }
    }
    Ok(sent)
}

/// Sends one shop's digest of `day` unless it was sent; whether this call sent it.
async fn send_one(pool: &PgPool, shop: ShopId, day: chrono::NaiveDate, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let claimed =
        sqlx::query("INSERT INTO daily_digests (shop_id, day, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(shop)
            .bind(day)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Ok(false);
    }
    let facts = figures(&mut tx, shop, day, now).await?;
    let note = note(&facts);
    for member in crate::shops::ticket_workers(&mut *tx, shop).await? {
        if member.role == crate::auth::Role::Supervisor.as_str() {
            notifications::notify_digest(&mut *tx, shop, member.id, &note, now).await?;
        }
    }
    let payload = Payload {
        event: super::Event::DailyDigest.as_str().to_string(),
        at: Some(now),
        digest: Some(facts),
        ..Payload::default()
    };
    outbox::enqueue(&mut *tx, shop, None, &format!("digest:{day}"), &payload, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// The digest's figures as of `now`: overdue follow-ups per person (most first), and the refund
/// amounts (as agreed, else as asked) of open tickets with a platform clock or decision running
/// out within the risk view's horizon or run out.
pub async fn figures(
    conn: &mut sqlx::PgConnection,
    shop: ShopId,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> sqlx::Result<DigestFacts> {
    let mut overdue: Vec<(Option<String>, i64)> = tickets::repo::open_load_by_worker(&mut *conn, &[shop], now, now)
        .await?
        .into_iter()
        .filter(|load| load.overdue > 0)
        .map(|load| (load.name, load.overdue))
        .collect();
    overdue.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let horizon = now + chrono::Duration::hours(risk::HORIZON_HOURS);
    let pressing = tickets::repo::list_platform_pressing(&mut *conn, &[shop], horizon, 100_000).await?;
    let money_at_risk_fen = pressing
        .iter()
        .filter_map(|t| t.approved_refund_fen.or(t.refund_fen))
        .map(|fen| fen.0)
        .sum();
    Ok(DigestFacts {
        day,
        overdue,
        money_at_risk_fen,
        tickets_at_risk: pressing.len() as i64,
    })
}

/// The figures in the notice, in words of no language: `name ×count` per person, then the
/// amount and the number of tickets at risk. The notice's sentence says what they are, in the
/// reader's language.
fn note(facts: &DigestFacts) -> String {
    let people: Vec<String> = facts
        .overdue
        .iter()
        .map(|(who, n)| format!("{} ×{n}", who.as_deref().unwrap_or("—")))
        .collect();
    format!(
        "{} · {} ({})",
        if people.is_empty() {
            "0".to_string()
        } else {
            people.join(", ")
        },
        crate::money::Fen(facts.money_at_risk_fen),
        facts.tickets_at_risk
    )
}
