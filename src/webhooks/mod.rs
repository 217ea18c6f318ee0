//! Alerts outside the desk: a shop's webhooks (generic JSON signed with HMAC, WeCom and DingTalk
//! group robots) and the outbox of their deliveries. Owns `webhooks`, `webhook_deliveries` and
//! `daily_digests`.
//!
//! - A delivery row is written in the transaction of the change it tells of: for timeline events
//!   by the database's trigger on `ticket_events` (migration `…111`), for deadlines and the daily
//!   digest by the sweeper's statements here ([`outbox::enqueue_due`], [`digest::send_due`]).
//! - The delivery worker ([`worker::run`], started by `serve`) claims due rows with
//!   `FOR UPDATE SKIP LOCKED` and a lease, so with several servers each event goes out once;
//!   it retries 5xx, timeouts and unreachable receivers with a doubling back-off
//!   ([`format::backoff`]) up to [`format::MAX_ATTEMPTS`] tries.
//! - What goes over the wire is [`format`] (pure); the HTTPS client is [`send`].
//! - The page (`page.rs`, `/settings/webhooks`) lists, adds, edits, deletes and tests hooks
//!   and shows each hook's delivery log.

pub mod digest;
pub mod format;
pub mod outbox;
pub mod page;
pub mod send;
pub mod worker;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::edge::FieldError;
use crate::ids::ShopId;

/// How a hook's messages are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookFormat {
    /// JSON for a program, signed with HMAC-SHA256.
    Generic,
    /// 企业微信群机器人.
    WeCom,
    /// 钉钉自定义机器人.
    DingTalk,
}

impl HookFormat {
    /// Every format, in the order the page offers them.
    pub const ALL: [HookFormat; 3] = [HookFormat::Generic, HookFormat::WeCom, HookFormat::DingTalk];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            HookFormat::Generic => "generic",
            HookFormat::WeCom => "wecom",
            HookFormat::DingTalk => "dingtalk",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<HookFormat> {
        HookFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            HookFormat::Generic => "webhooks.format.generic",
            HookFormat::WeCom => "webhooks.format.wecom",
            HookFormat::DingTalk => "webhooks.format.dingtalk",
        }
    }
}

/// What a hook can be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    TicketOpened,
    TicketAssigned,
    TicketEscalated,
    TicketHandedBack,
    /// Any other move, closing included.
    StatusChanged,
    VisitNotSatisfied,
    /// The sweep recorded a missed follow-up cycle.
    FollowUpOverdue,
    /// A follow-up falls due within the hour.
    FollowUpDue,
    /// A platform clock runs out within two hours.
    TimerExpiring,
    DailyDigest,
    /// The page's "send test" (never subscribed to).
    Test,
}

impl Event {
    /// The events a hook may subscribe to, in the page's order.
    pub const SUBSCRIBABLE: [Event; 10] = [
        Event::TicketOpened,
        Event::TicketAssigned,
        Event::TicketEscalated,
        Event::TicketHandedBack,
        Event::StatusChanged,
        Event::VisitNotSatisfied,
        Event::FollowUpOverdue,
        Event::FollowUpDue,
        Event::TimerExpiring,
        Event::DailyDigest,
    ];

    /// The stored form (also the generic body's `event` and the trigger's names).
    pub fn as_str(self) -> &'static str {
        match self {
            Event::TicketOpened => "ticket_opened",
            Event::TicketAssigned => "ticket_assigned",
            Event::TicketEscalated => "ticket_escalated",
            Event::TicketHandedBack => "ticket_handed_back",
            Event::StatusChanged => "status_changed",
            Event::VisitNotSatisfied => "visit_not_satisfied",
            Event::FollowUpOverdue => "follow_up_overdue",
            Event::FollowUpDue => "follow_up_due",
            Event::TimerExpiring => "timer_expiring",
            Event::DailyDigest => "daily_digest",
            Event::Test => "test",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Event> {
        Event::SUBSCRIBABLE
            .into_iter()
            .chain([Event::Test])
            .find(|e| e.as_str() == s)
    }

    /// The catalogue key of its name on the page.
    pub fn label_key(self) -> &'static str {
        match self {
            Event::TicketOpened => "webhooks.event.ticket_opened",
            Event::TicketAssigned => "webhooks.event.ticket_assigned",
            Event::TicketEscalated => "webhooks.event.ticket_escalated",
            Event::TicketHandedBack => "webhooks.event.ticket_handed_back",
            Event::StatusChanged => "webhooks.event.status_changed",
            Event::VisitNotSatisfied => "webhooks.event.visit_not_satisfied",
            Event::FollowUpOverdue => "webhooks.event.follow_up_overdue",
            Event::FollowUpDue => "webhooks.event.follow_up_due",
            Event::TimerExpiring => "webhooks.event.timer_expiring",
            Event::DailyDigest => "webhooks.event.daily_digest",
            Event::Test => "webhooks.event.test",
        }
    }

    /// The catalogue key of a message's title (`{ticket}`: `#42`).
    pub fn title_key(self) -> &'static str {
        match self {
            Event::TicketOpened => "webhooks.msg.ticket_opened",
            Event::TicketAssigned => "webhooks.msg.ticket_assigned",
            Event::TicketEscalated => "webhooks.msg.ticket_escalated",
            Event::TicketHandedBack => "webhooks.msg.ticket_handed_back",
            Event::StatusChanged => "webhooks.msg.status_changed",
            Event::VisitNotSatisfied => "webhooks.msg.visit_not_satisfied",
            Event::FollowUpOverdue => "webhooks.msg.follow_up_overdue",
            Event::FollowUpDue => "webhooks.msg.follow_up_due",
            Event::TimerExpiring => "webhooks.msg.timer_expiring",
            Event::DailyDigest => "webhooks.msg.daily_digest",
            Event::Test => "webhooks.msg.test",
        }
    }
}

/// A hook as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Hook {
    pub shop_id: ShopId,
    pub id: i64,
    pub name: String,
    pub format: String,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Hook {
    /// Its format (a stored value the CHECK allows always parses).
    pub fn format(&self) -> HookFormat {
        HookFormat::parse(&self.format).unwrap_or(HookFormat::Generic)
    }
}

/// A hook as the form gives it.
#[derive(Clone, Debug, Default)]
pub struct HookInput {
    pub name: String,
    pub format: String,
    pub url: String,
    /// `None` on an edit: keep the secret stored.
    pub secret: Option<String>,
    pub events: Vec<String>,
    pub active: bool,
}

/// Why a hook was not saved.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid field `{}`", .0.field)]
    Invalid(FieldError),
    #[error("no such webhook")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<WebhookError> for crate::error::ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Invalid(field) => field.into(),
            WebhookError::NotFound => crate::error::ApiError::not_found("webhook"),
            WebhookError::Database(e) => e.into(),
        }
    }
}

fn refuse(field: &'static str, key: &'static str) -> WebhookError {
    WebhookError::Invalid(FieldError::new(field, key))
}

/// A hook checked: what may be stored.
struct Checked {
    name: String,
    format: HookFormat,
    url: String,
    secret: Option<String>,
    events: Vec<String>,
}

/// Checks a form: a name; a known format; an http(s) URL with a host (https for the robots,
/// which only listen on https), without spaces; a secret for generic hooks (their HMAC key, at
/// least 16 characters) and a DingTalk secret, when given, as the robot shows it (`SEC…`); at
/// least one known event.
fn check(input: &HookInput, creating: bool) -> Result<Checked, WebhookError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(refuse("name", "webhooks.error.name"));
    }
    let format = HookFormat::parse(&input.format).ok_or_else(|| refuse("format", "webhooks.error.format"))?;
    let url = input.url.trim();
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        if format != HookFormat::Generic {
            return Err(refuse("url", "webhooks.error.url_https"));
        }
        rest
    } else {
        return Err(refuse("url", "webhooks.error.url"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || host.starts_with(':')
        || url.len() > 2000
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
        || host.contains('@')
    {
        return Err(refuse("url", "webhooks.error.url"));
    }
    let secret = input.secret.as_ref().map(|s| s.trim().to_string());
    if let Some(secret) = &secret
        && secret.chars().count() > 200
    {
        return Err(refuse("secret", "webhooks.error.secret_long"));
    }
    match (format, &secret) {
        (HookFormat::Generic, Some(s)) if s.chars().count() < 16 => {
            return Err(refuse("secret", "webhooks.error.secret_generic"));
        }
        (HookFormat::Generic, None) if creating => return Err(refuse("secret", "webhooks.error.secret_generic")),
        (HookFormat::DingTalk, Some(s)) if !s.is_empty() && !s.starts_with("SEC") => {
            return Err(refuse("secret", "webhooks.error.secret_dingtalk"));
        }
        _ => {}
    }
    let mut events = Vec::new();
    for event in &input.events {
        let known = Event::SUBSCRIBABLE
            .into_iter()
            .find(|e| e.as_str() == event)
            .ok_or_else(|| refuse("events", "webhooks.error.events"))?;
        if !events.contains(&known.as_str().to_string()) {
            events.push(known.as_str().to_string());
        }
    }
    if events.is_empty() {
        return Err(refuse("events", "webhooks.error.events"));
    }
    Ok(Checked {
        name: name.to_string(),
        format,
        url: url.to_string(),
        secret,
        events,
    })
}

/// A shop's hooks, oldest first.
pub async fn list(pool: &PgPool, shop: ShopId) -> sqlx::Result<Vec<Hook>> {
    sqlx::query_as(
        "SELECT shop_id, id, name, format, url, secret, events, active, created_at, updated_at
         FROM webhooks WHERE shop_id = $1 ORDER BY id",
    )
    .bind(shop)
    .fetch_all(pool)
    .await
}

/// One hook of a shop.
pub async fn get(pool: &PgPool, shop: ShopId, id: i64) -> Result<Hook, WebhookError> {
    sqlx::query_as(
        "SELECT shop_id, id, name, format, url, secret, events, active, created_at, updated_at
         FROM webhooks WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(WebhookError::NotFound)
}

/// Adds a hook.
pub async fn create(pool: &PgPool, shop: ShopId, input: &HookInput, now: DateTime<Utc>) -> Result<Hook, WebhookError> {
    let hook = check(input, true)?;
    Ok(sqlx::query_as(
        "INSERT INTO webhooks (shop_id, name, format, url, secret, events, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         RETURNING shop_id, id, name, format, url, secret, events, active, created_at, updated_at",
    )
    .bind(shop)
    .bind(&hook.name)
    .bind(hook.format.as_str())
    .bind(&hook.url)
    .bind(hook.secret.unwrap_or_default())
    .bind(&hook.events)
    .bind(input.active)
    .bind(now)
    .fetch_one(pool)
    .await?)
}

/// Saves an edited hook; an empty secret keeps the one stored (the page never shows it).
pub async fn update(
    pool: &PgPool,
    shop: ShopId,
    id: i64,
    input: &HookInput,
    now: DateTime<Utc>,
) -> Result<Hook, WebhookError> {
    let stored = get(pool, shop, id).await?;
    let mut input = input.clone();
    if input.secret.as_deref().is_none_or(|s| s.trim().is_empty()) {
        // A generic hook keeps its key; another format may be switched to generic only with one.
        input.secret = match HookFormat::parse(&input.format) {
            Some(HookFormat::Generic) if stored.format() != HookFormat::Generic || stored.secret.is_empty() => {
                Some(String::new())
            }
            _ => None,
        };
    }
    let hook = check(&input, false)?;
    sqlx::query_as(
        "UPDATE webhooks SET name = $3, format = $4, url = $5, secret = COALESCE($6, secret), events = $7,
                active = $8, updated_at = $9
         WHERE shop_id = $1 AND id = $2
         RETURNING shop_id, id, name, format, url, secret, events, active, created_at, updated_at",
    )
    .bind(shop)
    .bind(id)
    .bind(&hook.name)
    .bind(hook.format.as_str())
    .bind(&hook.url)
    .bind(hook.secret)
    .bind(&hook.events)
    .bind(input.active)
    .bind(now)
    .fetch_optional(pool)
    .await?
    .ok_or(WebhookError::NotFound)
}

/// Deletes a hook and its delivery log.
pub async fn delete(pool: &PgPool, shop: ShopId, id: i64) -> Result<(), WebhookError> {
    let deleted = sqlx::query("DELETE FROM webhooks WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(WebhookError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(format: &str, url: &str, secret: Option<&str>) -> HookInput {
        HookInput {
            name: "售后群".into(),
            format: format.into(),
            url: url.into(),
            secret: secret.map(str::to_string),
            events: vec!["ticket_assigned".into()],
            active: true,
        }
    }

    fn refused_field(result: Result<Checked, WebhookError>) -> &'static str {
        match result {
            Err(WebhookError::Invalid(e)) => e.field,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn robots_need_https_and_every_hook_a_url_with_a_host() {
        assert_eq!(
            refused_field(check(&input("wecom", "http://qyapi.weixin.qq.com/x", None), true)),
            "url"
        );
        assert_eq!(
            refused_field(check(&input("generic", "ftp://x", Some("0123456789abcdef")), true)),
            "url"
        );
        assert_eq!(
            refused_field(check(&input("generic", "https://", Some("0123456789abcdef")), true)),
            "url"
        );
        assert_eq!(
            refused_field(check(&input("generic", "https://a b", Some("0123456789abcdef")), true)),
            "url"
        );
        assert!(
            check(
                &input("generic", "http://127.0.0.1:9/hook", Some("0123456789abcdef")),
                true
            )
            .is_ok()
        );
        assert!(
            check(
                &input("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", None),
                true
            )
            .is_ok()
        );
    }

    #[test]
    fn generic_hooks_need_a_key_and_dingtalk_secrets_look_like_the_robots() {
        assert_eq!(
            refused_field(check(&input("generic", "https://x", None), true)),
            "secret"
        );
        assert_eq!(
            refused_field(check(&input("generic", "https://x", Some("short")), true)),
            "secret"
        );
        assert_eq!(
            refused_field(check(&input("dingtalk", "https://x", Some("abc")), true)),
            "secret"
        );
        assert!(check(&input("dingtalk", "https://x", Some("SECabc")), true).is_ok());
        assert!(check(&input("dingtalk", "https://x", None), true).is_ok());
    }

    #[test]
    fn a_hook_subscribes_to_known_events_only() {
        let mut none = input("wecom", "https://x", None);
        none.events.clear();
        assert_eq!(refused_field(check(&none, true)), "events");
        let mut unknown = input("wecom", "https://x", None);
        unknown.events.push("test".into());
        assert_eq!(refused_field(check(&unknown, true)), "events");
    }

    #[test]
    fn every_event_reads_back_and_has_its_words() {
        for event in Event::SUBSCRIBABLE.into_iter().chain([Event::Test]) {
            assert_eq!(Event::parse(event.as_str()), Some(event));
            assert!(crate::i18n::has(event.label_key()), "{}", event.label_key());
            assert!(crate::i18n::has(event.title_key()), "{}", event.title_key());
        }
        for format in HookFormat::ALL {
            assert_eq!(HookFormat::parse(format.as_str()), Some(format));
            assert!(crate::i18n::has(format.label_key()));
        }
    }
}
