//! Shops (店铺) and their settings. Owns the `shops` and `shop_members` tables; the settings
//! are changed through [`change_settings`] (the API and the settings page, `settings_page`).

pub mod api;
pub mod page;
pub mod return_addresses;
pub mod settings_page;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::db::batch::Read;
use crate::ids::{ShopId, UserId};
use crate::rules::compensation::Limits as CompensationLimits;
use crate::rules::review::ReviewTimers;
use crate::rules::timers::PlatformTimers;

/// The values a shop's settings may take, in one place: the checks below and the settings
/// form's fields read them.
pub mod limits {
    use std::ops::RangeInclusive;

    /// The no-reason return window, in days (the law's minimum is 7).
    pub const RETURN_WINDOW_DAYS: RangeInclusive<i32> = 7..=90;
    /// The follow-up cycle, in hours.
    pub const FOLLOW_UP_HOURS: RangeInclusive<i32> = 1..=168;
    /// A platform timer counted in hours (up to 30 days).
    pub const TIMER_HOURS: RangeInclusive<u32> = 1..=720;
    /// A platform timer counted in days.
    pub const TIMER_DAYS: RangeInclusive<u32> = 1..=60;
    /// A bad-review clock, in days (as `ReviewTimers::is_valid` checks).
    pub const REVIEW_DAYS: RangeInclusive<u32> = 1..=180;
}

/// A shop with its rule settings.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Shop {
    #[schema(value_type = i64)]
    pub id: ShopId,
    /// Short code used in URLs and commands (`--shop demo`).
    pub code: String,
    pub name: String,
    /// IANA time zone, default Asia/Shanghai.
    pub time_zone: String,
    /// No-reason return window in days (7, or longer if the shop promises it).
    pub return_window_days: i32,
    /// Follow-up cycle in hours (24).
    pub follow_up_hours: i32,
    /// The platform's response timers (DOMAIN.md §4), defaults unless the shop set others.
    #[schema(value_type = Object)]
    pub platform_timers: sqlx::types::Json<PlatformTimers>,
    /// The bad-review clocks (the buyer's revision window, the explanation deadline), defaults
    /// unless the shop set others.
    #[schema(value_type = Object)]
    pub review_timers: sqlx::types::Json<ReviewTimers>,
    /// What one person may give a buyer without approval (`rules::compensation::Limits`, in
    /// fen), defaults unless the shop set others.
    #[schema(value_type = Object)]
    pub compensation_limits: sqlx::types::Json<CompensationLimits>,
}

impl Shop {
    /// The shop's time zone (Asia/Shanghai if the stored name is unknown).
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

/// A new shop, as checked at the edge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    /// 2–40 characters: lower-case letters, digits, `_`, `-`.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{1,39}$", example = "demo")]
    pub code: String,
    #[schema(min_length = 1, max_length = 200, example = "示例旗舰店")]
    pub name: String,
    #[serde(default = "default_zone")]
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    #[serde(default = "default_window")]
    #[schema(minimum = 7, maximum = 90)]
    pub return_window_days: i32,
    #[serde(default = "default_follow_up")]
    #[schema(minimum = 1, maximum = 168)]
    pub follow_up_hours: i32,
}

fn default_zone() -> String {
    "Asia/Shanghai".into()
}
fn default_window() -> i32 {
    7
}
fn default_follow_up() -> i32 {
    24
}

impl NewShop {
    /// Checks every field; the error names the field and says what is allowed.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let code_ok = self.code.len() >= 2
            && self.code.len() <= 40
            && self
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            && self.code.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
        if !code_ok {
            return Err((
                "code",
                "use 2–40 characters: lower-case letters, digits, `_` or `-`".into(),
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(("name", "give a name of 1–200 characters".into()));
        }
        if self.time_zone.parse::<Tz>().is_err() {
            return Err((
                "time_zone",
                format!("`{}` is not an IANA time zone such as Asia/Shanghai", self.time_zone),
            ));
        }
        if !limits::RETURN_WINDOW_DAYS.contains(&self.return_window_days) {
            return Err((
                "return_window_days",
                "the no-reason window is 7 to 90 days (the law's minimum is 7)".into(),
            ));
        }
        if !limits::FOLLOW_UP_HOURS.contains(&self.follow_up_hours) {
            return Err(("follow_up_hours", "the follow-up cycle is 1 to 168 hours".into()));
        }
        Ok(())
    }
}

/// Creates a shop; `None` if the code is taken. Announced as a change of credentials: an
/// admin's shops are every shop (`auth::held`).
pub async fn create(pool: &PgPool, shop: &NewShop) -> sqlx::Result<Option<Shop>> {
    let created = sqlx::query_as(
        "INSERT INTO shops (code, name, time_zone, return_window_days, follow_up_hours)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING
         RETURNING id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits",
    )
    .bind(&shop.code)
    .bind(shop.name.trim())
    .bind(&shop.time_zone)
    .bind(shop.return_window_days)
    .bind(shop.follow_up_hours)
    .fetch_optional(pool)
    .await?;
    if created.is_some() {
        crate::auth::held::announce(pool).await?;
    }
    Ok(created)
}

/// One shop by id.
pub async fn get(db: impl PgExecutor<'_>, id: ShopId) -> sqlx::Result<Option<Shop>> {
    one(id).optional(db).await
}

/// The read of [`get`], for a [`crate::db::batch::Batch`] (a new ticket's, with its order).
pub fn one(id: ShopId) -> Read<Shop> {
    Read::new("SELECT id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits FROM shops WHERE id = $1")
        .bind(id)
}

/// One shop by code.
pub async fn by_code(db: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<Shop>> {
    sqlx::query_as("SELECT id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits FROM shops WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await
}

/// The shops among `ids`, by id.
pub async fn list(db: impl PgExecutor<'_>, ids: &[ShopId]) -> sqlx::Result<Vec<Shop>> {
    sqlx::query_as(
        "SELECT id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits FROM shops
         WHERE id = ANY($1) ORDER BY id",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// Adds a user to a shop (idempotent).
pub async fn add_member(db: impl PgExecutor<'_>, shop: ShopId, user: UserId) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO shop_members (shop_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(shop)
        .bind(user)
        .execute(db)
        .await?;
    Ok(())
}

/// A member of a shop, for assignment pickers.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Member {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: String,
}

/// The users who work tickets in a shop (agents, supervisors), by name.
pub async fn ticket_workers(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<Member>> {
    workers_of(shop).all(db).await
}

/// The users who work tickets in a shop (agents, supervisors), by name.
pub fn workers_of(shop: ShopId) -> Read<Member> {
    Read::new(
        "SELECT u.id, u.login, u.display_name, u.role FROM shop_members m JOIN users u ON u.id = m.user_id
         WHERE m.shop_id = $1 AND NOT u.disabled AND u.role IN ('agent', 'supervisor')
         ORDER BY u.display_name, u.id",
    )
    .bind(shop)
}

/// A change of a shop's rule settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: Option<String>,
    #[schema(minimum = 7, maximum = 90)]
    pub return_window_days: Option<i32>,
    #[schema(minimum = 1, maximum = 168)]
    pub follow_up_hours: Option<i32>,
    /// The platform's response timers; keys left out take the platform's defaults.
    #[schema(value_type = Option<Object>)]
    pub platform_timers: Option<PlatformTimers>,
    /// The bad-review clocks (`revise_days`, `explain_days`, 1–180 each); keys left out take
    /// the platform's defaults (30 days each).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub review_timers: Option<ReviewTimers>,
    /// What one person may give a buyer without approval, in fen (`per_entry_fen`,
    /// `per_person_day_fen`, `per_buyer_30_days_fen`, ¥0–¥100,000 each; 0: every payout or
    /// coupon waits for approval); keys left out take the defaults (¥50, ¥300, ¥100).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub compensation_limits: Option<CompensationLimits>,
}

/// A shop's settings as checked, ready to store.
pub struct CheckedSettings {
    pub shop: NewShop,
    pub timers: PlatformTimers,
    pub review_timers: ReviewTimers,
    pub compensation_limits: CompensationLimits,
}

impl SettingsChange {
    /// The shop's settings after the change, checked like a new shop's.
    pub fn apply(&self, shop: &Shop) -> Result<CheckedSettings, (&'static str, String)> {
        let merged = NewShop {
            code: shop.code.clone(),
            name: shop.name.clone(),
            time_zone: self.time_zone.clone().unwrap_or_else(|| shop.time_zone.clone()),
            return_window_days: self.return_window_days.unwrap_or(shop.return_window_days),
            follow_up_hours: self.follow_up_hours.unwrap_or(shop.follow_up_hours),
        };
        merged.validate()?;
        let timers = self.platform_timers.unwrap_or(shop.platform_timers.0);
        if !(limits::TIMER_HOURS.contains(&timers.answer_unshipped_hours)
            && limits::TIMER_DAYS.contains(&timers.answer_shipped_days)
            && limits::TIMER_DAYS.contains(&timers.answer_shipped_virtual_days)
            && limits::TIMER_DAYS.contains(&timers.buyer_ship_days)
            && limits::TIMER_DAYS.contains(&timers.seller_confirm_days))
        {
            return Err((
                "platform_timers",
                "every timer is at least 1 (hours up to 720, days up to 60)".into(),
            ));
        }
        let review_timers = self.review_timers.unwrap_or(shop.review_timers.0);
        if !review_timers.is_valid() {
            return Err(("review_timers", "each review clock is 1 to 180 days".into()));
        }
        let compensation_limits = self.compensation_limits.unwrap_or(shop.compensation_limits.0);
        if !compensation_limits.is_valid() {
            return Err((
                "compensation_limits",
                "each compensation limit is 0 to 10000000 fen (¥0 to ¥100,000)".into(),
            ));
        }
        Ok(CheckedSettings {
            shop: merged,
            timers,
            review_timers,
            compensation_limits,
        })
    }
}

/// Stores a shop's settings. Tickets opened from now on follow them.
pub async fn update_settings(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    checked: &CheckedSettings,
) -> sqlx::Result<Option<Shop>> {
    let settings = &checked.shop;
    sqlx::query_as(
        "UPDATE shops SET time_zone = $2, return_window_days = $3, follow_up_hours = $4, platform_timers = $5,
                review_timers = $6, compensation_limits = $7
         WHERE id = $1
         RETURNING id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits",
    )
    .bind(shop)
    .bind(&settings.time_zone)
    .bind(settings.return_window_days)
    .bind(settings.follow_up_hours)
    .bind(sqlx::types::Json(&checked.timers))
    .bind(sqlx::types::Json(&checked.review_timers))
    .bind(sqlx::types::Json(&checked.compensation_limits))
    .fetch_optional(db)
    .await
}

/// Why a change of a shop's settings was not made.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// No such shop.
    #[error("no such shop")]
    NotFound,
    /// A value out of range: the field (`time_zone`, `platform_timers`, …) and, in English,
    /// what is allowed (the API's message; the settings page says it from the catalogue).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Changes a shop's rule settings and records it on the audit log, in one transaction: the one
/// path of the API (`PUT /api/v1/shops/{shop}/settings`) and the settings page.
pub async fn change_settings(
    pool: &sqlx::PgPool,
    actor: UserId,
    shop: ShopId,
    change: &SettingsChange,
) -> Result<Shop, SettingsError> {
    let mut tx = pool.begin().await?;
    let current: Shop = sqlx::query_as(
        "SELECT id, code, name, time_zone, return_window_days, follow_up_hours, platform_timers, review_timers, compensation_limits
         FROM shops WHERE id = $1 FOR UPDATE",
    )
    .bind(shop)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(SettingsError::NotFound)?;
    let checked = change
        .apply(&current)
        .map_err(|(field, message)| SettingsError::Invalid { field, message })?;
    let updated = update_settings(&mut *tx, shop, &checked)
        .await?
        .ok_or(SettingsError::NotFound)?;
    if updated.time_zone != current.time_zone {
        crate::reports::rollup::shop_rezoned(&mut tx, shop).await?;
    }
    let details = serde_json::json!({
        "time_zone": updated.time_zone, "return_window_days": updated.return_window_days,
        "follow_up_hours": updated.follow_up_hours, "platform_timers": updated.platform_timers.0,
        "review_timers": updated.review_timers.0,
        "compensation_limits": updated.compensation_limits.0,
    });
    crate::audit::record(
        &mut *tx,
        actor,
        crate::audit::action::SHOP_SETTINGS,
        Some(shop),
        &updated.code,
        details,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(shop = %shop, "shop settings changed");
    Ok(updated)
}
