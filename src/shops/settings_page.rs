//! `/admin/shops/{id}`: a shop's rule settings as a form, for admins — time zone, no-reason
//! window, follow-up cycle, the platform's timers and the bad-review clocks, each a labelled
//! number with its unit and the platform's default beside it. Saved through
//! [`super::change_settings`], the API's own path (audited there). A refused value comes back
//! next to its field, in the user's language, with everything as typed.

use std::ops::RangeInclusive;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono_tz::Tz;
use serde::Deserialize;

use super::{SettingsChange, SettingsError, Shop, limits};
use crate::api::ApiForm;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::ids::ShopId;
use crate::rules::compensation::{self, Limits as CompensationLimits};
use crate::rules::review::ReviewTimers;
use crate::rules::timers::PlatformTimers;
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// The page's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/shops/{id}",
        axum::routing::get(show_settings).post(save_settings),
    )
}

/// The time zones offered first (a shop's own zone is offered too when it is another).
pub const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

/// The settings page.
#[derive(Template)]
#[template(path = "shop_settings.html")]
pub struct ShopSettingsPage {
    pub layout: Layout,
    pub shop_id: i64,
    pub shop_name: String,
    pub shop_code: String,
    pub zones: Vec<Choice>,
    pub groups: Vec<FieldGroup>,
    pub errors: FormErrors,
}

/// A titled group of number fields.
pub struct FieldGroup {
    pub title_key: &'static str,
    pub hint_key: &'static str,
    pub fields: Vec<NumberField>,
}

/// One number field: its name, label with its unit, a hint (what happens at expiry, the
/// platform's default and the range), and its value (as stored, or as typed when the form was
/// refused: a text box, so that even a wrong value is shown as typed).
pub struct NumberField {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
}

/// Which unit a field counts in.
#[derive(Clone, Copy)]
enum Unit {
    Days,
    Hours,
    /// Whole yuan (stored in fen).
    Yuan,
}

impl Unit {
    fn key(self) -> &'static str {
        match self {
            Unit::Days => "admin_pages.unit.days",
            Unit::Hours => "admin_pages.unit.hours",
            Unit::Yuan => "admin_pages.unit.yuan",
        }
    }
}

/// A field of the form: name, label, what the platform does at expiry (a timer), unit, allowed
/// values, the platform's default, and where its stored value is.
struct Spec {
    name: &'static str,
    label_key: &'static str,
    effect_key: Option<&'static str>,
    unit: Unit,
    range: RangeInclusive<i64>,
    default_value: i64,
    stored: fn(&Shop) -> i64,
}

fn range_of<T: Copy + Into<i64>>(range: &RangeInclusive<T>) -> RangeInclusive<i64> {
    (*range.start()).into()..=(*range.end()).into()
}

/// The groups of the form, in the order shown.
fn specs() -> [(&'static str, &'static str, Vec<Spec>); 4] {
    let timers = PlatformTimers::default();
    let review = ReviewTimers::default();
    let compensation = CompensationLimits::default();
    let yuan = 0..=compensation::MAX_LIMIT_FEN / 100;
    [
        (
            "admin_pages.settings.desk",
            "admin_pages.settings.desk_hint",
            vec![
                Spec {
                    name: "return_window_days",
                    effect_key: None,
                    label_key: "admin.window",
                    unit: Unit::Days,
                    range: range_of(&limits::RETURN_WINDOW_DAYS),
                    default_value: 7,
                    stored: |s| s.return_window_days.into(),
                },
                Spec {
                    name: "follow_up_hours",
                    effect_key: None,
                    label_key: "admin_pages.settings.follow_up",
                    unit: Unit::Hours,
                    range: range_of(&limits::FOLLOW_UP_HOURS),
                    default_value: 24,
                    stored: |s| s.follow_up_hours.into(),
                },
            ],
        ),
        (
            "ticket.platform_timers",
            "admin_pages.settings.timers_hint",
            vec![
                Spec {
                    name: "answer_unshipped_hours",
                    effect_key: Some("admin_pages.effect.refunded"),
                    label_key: "admin_pages.timer.answer_unshipped",
                    unit: Unit::Hours,
                    range: range_of(&limits::TIMER_HOURS),
                    default_value: timers.answer_unshipped_hours.into(),
                    stored: |s| s.platform_timers.0.answer_unshipped_hours.into(),
                },
                Spec {
                    name: "answer_shipped_days",
                    effect_key: Some("admin_pages.effect.agreed"),
                    label_key: "admin_pages.timer.answer_shipped",
                    unit: Unit::Days,
                    range: range_of(&limits::TIMER_DAYS),
                    default_value: timers.answer_shipped_days.into(),
                    stored: |s| s.platform_timers.0.answer_shipped_days.into(),
                },
                Spec {
                    name: "answer_shipped_virtual_days",
                    effect_key: Some("admin_pages.effect.agreed"),
                    label_key: "admin_pages.timer.answer_shipped_virtual",
                    unit: Unit::Days,
                    range: range_of(&limits::TIMER_DAYS),
                    default_value: timers.answer_shipped_virtual_days.into(),
                    stored: |s| s.platform_timers.0.answer_shipped_virtual_days.into(),
                },
                Spec {
                    name: "buyer_ship_days",
                    effect_key: Some("admin_pages.effect.closed"),
                    label_key: "admin_pages.timer.buyer_ship",
                    unit: Unit::Days,
                    range: range_of(&limits::TIMER_DAYS),
                    default_value: timers.buyer_ship_days.into(),
                    stored: |s| s.platform_timers.0.buyer_ship_days.into(),
                },
                Spec {
                    name: "seller_confirm_days",
                    effect_key: Some("admin_pages.effect.refunded"),
                    label_key: "admin_pages.timer.seller_confirm",
                    unit: Unit::Days,
                    range: range_of(&limits::TIMER_DAYS),
                    default_value: timers.seller_confirm_days.into(),
                    stored: |s| s.platform_timers.0.seller_confirm_days.into(),
                },
            ],
        ),
        (
            "admin_pages.settings.review",
            "admin_pages.settings.review_hint",
            vec![
                Spec {
                    name: "revise_days",
                    effect_key: None,
                    label_key: "admin_pages.review.revise",
                    unit: Unit::Days,
                    range: range_of(&limits::REVIEW_DAYS),
                    default_value: review.revise_days.into(),
                    stored: |s| s.review_timers.0.revise_days.into(),
                },
                Spec {
                    name: "explain_days",
                    effect_key: None,
                    label_key: "admin_pages.review.explain",
                    unit: Unit::Days,
                    range: range_of(&limits::REVIEW_DAYS),
                    default_value: review.explain_days.into(),
                    stored: |s| s.review_timers.0.explain_days.into(),
                },
            ],
        ),
        (
            "admin_pages.settings.compensation",
            "admin_pages.settings.compensation_hint",
            vec![
                Spec {
                    name: "per_entry_yuan",
                    effect_key: None,
                    label_key: "ledger.limit.per_entry",
                    unit: Unit::Yuan,
                    range: yuan.clone(),
                    default_value: compensation.per_entry_fen / 100,
                    stored: |s| s.compensation_limits.0.per_entry_fen,
                },
                Spec {
                    name: "per_person_day_yuan",
                    effect_key: None,
                    label_key: "ledger.limit.per_person_day",
                    unit: Unit::Yuan,
                    range: yuan.clone(),
                    default_value: compensation.per_person_day_fen / 100,
                    stored: |s| s.compensation_limits.0.per_person_day_fen,
                },
                Spec {
                    name: "per_buyer_30_days_yuan",
                    effect_key: None,
                    label_key: "ledger.limit.per_buyer_30_days",
                    unit: Unit::Yuan,
                    range: yuan,
                    default_value: compensation.per_buyer_30_days_fen / 100,
                    stored: |s| s.compensation_limits.0.per_buyer_30_days_fen,
                },
            ],
        ),
    ]
}

/// The form as posted: every value as typed (a number field may hold anything).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    time_zone: String,
    return_window_days: String,
    follow_up_hours: String,
    answer_unshipped_hours: String,
    answer_shipped_days: String,
    answer_shipped_virtual_days: String,
    buyer_ship_days: String,
    seller_confirm_days: String,
    revise_days: String,
    explain_days: String,
    per_entry_yuan: String,
    per_person_day_yuan: String,
    per_buyer_30_days_yuan: String,
}

impl SettingsForm {
    fn typed(&self, name: &str) -> &str {
        match name {
            "return_window_days" => &self.return_window_days,
            "follow_up_hours" => &self.follow_up_hours,
            "answer_unshipped_hours" => &self.answer_unshipped_hours,
            "answer_shipped_days" => &self.answer_shipped_days,
            "answer_shipped_virtual_days" => &self.answer_shipped_virtual_days,
            "buyer_ship_days" => &self.buyer_ship_days,
            "seller_confirm_days" => &self.seller_confirm_days,
            "revise_days" => &self.revise_days,
            "explain_days" => &self.explain_days,
            "per_entry_yuan" => &self.per_entry_yuan,
            "per_person_day_yuan" => &self.per_person_day_yuan,
            "per_buyer_30_days_yuan" => &self.per_buyer_30_days_yuan,
            _ => "",
        }
    }

    /// Reads every field; each wrong one gives its own error.
    fn parse(&self) -> Result<SettingsChange, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.time_zone.parse::<Tz>().is_err() {
            errors.push(FieldError::new("time_zone", "admin_pages.error.time_zone"));
        }
        let mut value = |name: &'static str| -> u32 {
            let spec_range = specs()
                .into_iter()
                .flat_map(|(_, _, fields)| fields)
                .find(|s| s.name == name)
                .map(|s| s.range)
                .unwrap_or(0..=0);
            match self.typed(name).trim().parse::<i64>() {
                Ok(n) if spec_range.contains(&n) => u32::try_from(n).unwrap_or(0),
                _ => {
                    errors.push(
                        FieldError::new(name, "admin_pages.error.range")
                            .with("min", spec_range.start())
                            .with("max", spec_range.end()),
                    );
                    0
                }
            }
        };
        let return_window_days = value("return_window_days");
        let follow_up_hours = value("follow_up_hours");
        let platform_timers = PlatformTimers {
            answer_unshipped_hours: value("answer_unshipped_hours"),
            answer_shipped_days: value("answer_shipped_days"),
            answer_shipped_virtual_days: value("answer_shipped_virtual_days"),
            buyer_ship_days: value("buyer_ship_days"),
            seller_confirm_days: value("seller_confirm_days"),
        };
        let review_timers = ReviewTimers {
            revise_days: value("revise_days"),
            explain_days: value("explain_days"),
        };
        // The limits are money: yuan as people write them (`50`, `49.90`), kept in fen.
        let mut money = |name: &'static str| -> i64 {
            match crate::money::Fen::parse_yuan(self.typed(name)) {
                Some(fen) if (0..=compensation::MAX_LIMIT_FEN).contains(&fen.0) => fen.0,
                _ => {
                    errors.push(
                        FieldError::new(name, "admin_pages.error.range")
                            .with("min", 0)
                            .with("max", compensation::MAX_LIMIT_FEN / 100),
                    );
                    0
                }
            }
        };
        let compensation_limits = CompensationLimits {
            per_entry_fen: money("per_entry_yuan"),
            per_person_day_fen: money("per_person_day_yuan"),
            per_buyer_30_days_fen: money("per_buyer_30_days_yuan"),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SettingsChange {
            time_zone: Some(self.time_zone.trim().to_string()),
            return_window_days: i32::try_from(return_window_days).ok(),
            follow_up_hours: i32::try_from(follow_up_hours).ok(),
            platform_timers: Some(platform_timers),
            review_timers: Some(review_timers),
            compensation_limits: Some(compensation_limits),
        })
    }
}

/// What the page says after a save.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

fn view(
    state: &AppState,
    page: &Page,
    shop: &Shop,
    typed: Option<&SettingsForm>,
    errors: FormErrors,
) -> ShopSettingsPage {
    let t = page.t;
    let zone = typed.map_or(shop.time_zone.as_str(), |f| f.time_zone.as_str());
    let mut zones: Vec<Choice> = ZONES.iter().map(|z| Choice::new(*z, *z, *z == zone)).collect();
    if !ZONES.contains(&zone) && !zone.is_empty() {
        zones.insert(0, Choice::new(zone, zone, true));
    }
    let groups = specs()
        .into_iter()
        .map(|(title_key, hint_key, fields)| FieldGroup {
            title_key,
            hint_key,
            fields: fields
                .into_iter()
                .map(|spec| NumberField {
                    name: spec.name,
                    label: t.f(
                        "admin_pages.settings.label",
                        &[("label", &t.t(spec.label_key)), ("unit", &t.t(spec.unit.key()))],
                    ),
                    hint: {
                        let default = t.f(
                            "admin_pages.settings.default",
                            &[
                                ("value", &spec.default_value),
                                ("unit", &t.t(spec.unit.key())),
                                ("min", spec.range.start()),
                                ("max", spec.range.end()),
                            ],
                        );
                        match spec.effect_key {
                            Some(effect) => format!("{} {default}", t.t(effect)),
                            None => default,
                        }
                    },
                    value: typed.map_or_else(
                        || match spec.unit {
                            // Stored in fen, shown in yuan (with the fen when there are any).
                            Unit::Yuan => {
                                let fen = (spec.stored)(shop);
                                if fen % 100 == 0 {
                                    (fen / 100).to_string()
                                } else {
                                    crate::money::yuan_field(Some(crate::money::Fen(fen)))
                                }
                            }
                            _ => (spec.stored)(shop).to_string(),
                        },
                        |f| f.typed(spec.name).to_string(),
                    ),
                })
                .collect(),
        })
        .collect();
    ShopSettingsPage {
        layout: Layout::new(state, page.t, &page.user, "admin", format!("/admin/shops/{}", shop.id)),
        shop_id: shop.id.0,
        shop_name: shop.name.clone(),
        shop_code: shop.code.clone(),
        zones,
        groups,
        errors,
    }
}

async fn shop_for(state: &AppState, page: &Page, id: ShopId) -> PageResult<Shop> {
    page.user.require(Action::ManageShops)?;
    page.user.require_shop(id)?;
    Ok(super::get(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?)
}

/// Shows a shop's settings form (admins).
pub async fn show_settings(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<ShopId>,
    Query(query): Query<SettingsQuery>,
) -> PageResult {
    let shop = shop_for(&state, &page, id).await?;
    let mut view = view(&state, &page, &shop, None, FormErrors::none());
    view.layout.flash = query.done.map(|_| Flash {
        ok: true,
        text: page.t.t("admin_pages.settings.saved").to_string(),
    });
    Ok(render(&view)?.into_response())
}

/// Saves a shop's settings, or shows the form again (422) with each refused value's reason.
pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<ShopId>,
    ApiForm(form): ApiForm<SettingsForm>,
) -> PageResult {
    let shop = shop_for(&state, &page, id).await?;
    let refused = match form.parse() {
        Ok(change) => match super::change_settings(&state.pool, page.user.id, id, &change).await {
            Ok(_) => return Ok(Redirect::to(&format!("/admin/shops/{id}?done=saved")).into_response()),
            Err(SettingsError::Invalid { field, .. }) => {
                vec![FieldError::new(field, "admin_pages.error.refused")]
            }
            Err(SettingsError::NotFound) => return Err(ApiError::not_found("shop").into()),
            Err(SettingsError::Database(error)) => return Err(error.into()),
        },
        Err(errors) => errors,
    };
    let mut errors = FormErrors::none();
    for error in &refused {
        errors.add(page.t, error);
    }
    let view = view(&state, &page, &shop, Some(&form), errors);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}
