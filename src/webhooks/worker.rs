//! The delivery worker: every server runs one ([`run`], started by `serve` beside the follow-up
//! sweeper). Each round claims due deliveries ([`outbox::claim_due`]), sends them, and records
//! the outcome; "now" is the desk's clock, so a test moves the clock to reach a retry.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::format::{self, Reply, Verdict};
use super::outbox::{self, Claimed};
use super::send::Sender;
use super::{Event, HookFormat};
use crate::clock::Clock;
use crate::i18n::{Lang, Tr};
use crate::ids::ShopId;

/// Deliveries claimed per round.
const BATCH: i64 = 20;

/// What the worker needs: where the database is, how to send, the desk's clock and its public
/// address (for links in messages; none when not configured).
#[derive(Clone)]
pub struct Worker {
    pub pool: PgPool,
    pub sender: Sender,
    pub clock: Clock,
    pub base_url: Option<String>,
}

/// How one try went, for the page's "send test".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TryOutcome {
    pub status: Option<u16>,
    pub verdict: Verdict,
}

impl Worker {
    /// Sends what is due now until nothing is left; returns how many tries were made.
    pub async fn deliver_due(&self) -> sqlx::Result<usize> {
        let mut tried = 0;
        loop {
            let now = self.clock.now();
            let claimed = outbox::claim_due(&self.pool, now, BATCH).await?;
            if claimed.is_empty() {
                return Ok(tried);
            }
            tried += claimed.len();
            // Concurrently: a slow receiver does not hold up the others.
            let mut sends = tokio::task::JoinSet::new();
            for delivery in claimed {
                let worker = self.clone();
                sends.spawn(async move { worker.try_one(&delivery, false).await });
            }
            while let Some(done) = sends.join_next().await {
                match done {
                    Ok(result) => {
                        result?;
                    }
                    Err(error) => tracing::error!(%error, "a webhook delivery task stopped"),
                }
            }
        }
    }

    /// Sends one claimed delivery and records the outcome; `once`: no retry whatever the answer.
    async fn try_one(&self, delivery: &Claimed, once: bool) -> sqlx::Result<TryOutcome> {
        let format = HookFormat::parse(&delivery.format).unwrap_or(HookFormat::Generic);
        let out = outgoing(delivery, format, self.base_url.as_deref(), self.clock.now());
        let reply = self.sender.post(&out).await;
        let verdict = match format::judge(format, &reply) {
            Verdict::Retry(error) if once => Verdict::Failed(error),
            verdict => verdict,
        };
        let status = match reply {
            Reply::Answered { status, .. } => Some(status),
            _ => None,
        };
        outbox::record(&self.pool, delivery, status, &verdict, self.clock.now()).await?;
        if let Verdict::Retry(error) | Verdict::Failed(error) = &verdict {
            tracing::info!(shop = %delivery.shop_id, delivery = delivery.id, attempts = delivery.attempts, %error, "webhook delivery not accepted");
        }
        Ok(TryOutcome { status, verdict })
    }

    /// Sends a test event to one hook now and records it in its log like any delivery.
    pub async fn send_test(&self, shop: ShopId, hook: i64, actor: &str) -> sqlx::Result<Option<TryOutcome>> {
        let now = self.clock.now();
        let key = format!("test:{}", crate::auth::tokens::random_token());
        let payload = format::Payload {
            event: Event::Test.as_str().to_string(),
            at: Some(now),
            actor: Some(actor.to_string()),
            ..format::Payload::default()
        };
        outbox::enqueue(&self.pool, shop, Some(hook), &key, &payload, now).await?;
        let Some(claimed) = outbox::claim_one(&self.pool, shop, hook, &key, now).await? else {
            return Ok(None);
        };
        // A test is tried once: its outcome is what the page shows.
        Ok(Some(self.try_one(&claimed, true).await?))
    }
}

/// The request for a claimed delivery. Robot messages are in Chinese (the desk's default
/// language), in Shanghai time.
fn outgoing(delivery: &Claimed, format: HookFormat, base_url: Option<&str>, now: DateTime<Utc>) -> format::Outgoing {
    let tr = Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai);
    let text = format::message(&delivery.payload, tr, base_url);
    format::outgoing(
        format,
        &delivery.url,
        &delivery.secret,
        &delivery.event_id(),
        delivery.shop_id.0,
        &delivery.payload,
        &text,
        now,
    )
}

/// Delivers what is due every `interval` until the process ends. Errors (the database
/// restarting) are logged and the next round tries again.
pub async fn run(worker: Worker, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = worker.deliver_due().await {
            tracing::warn!(%error, "webhook deliveries failed; retrying next round");
        }
    }
}
