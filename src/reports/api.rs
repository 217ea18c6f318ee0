//! `GET /api/v1/shops/{shop}/reports/returns`: the report as JSON, the same numbers the page shows.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rates::Period;
use super::{GroupBy, Report};
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::shops::Shop;
use crate::state::AppState;

/// Days shown when no period is given.
pub const DEFAULT_DAYS: i64 = 30;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(returns_report))
        .routes(routes!(costs_report))
}

/// The query of the report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, local (`2025-03-01`); default 30 days before `to`.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", example = "2025-03-01")]
    pub from: Option<String>,
    /// Last day, local, included; default today.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", example = "2025-03-31")]
    pub to: Option<String>,
    /// `day` (default), `week`, `month`, `sku`, `category`, `reason` or `kind`.
    #[param(pattern = "^(day|week|month|sku|category|reason|kind)?$", example = "day")]
    pub by: Option<String>,
}

/// The checked period and grouping of a query, in the shop's zone.
/// `now` decides what "today" is when no end is given.
pub fn period_of(query: &ReportQuery, shop: &Shop, now: DateTime<Utc>) -> Result<(Period, GroupBy), PeriodError> {
    let date = |field: &'static str, text: &str| {
        let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            PeriodError::Invalid(FieldError::new(field, "reports.range.not_a_date").with("value", text))
        })?;
        crate::edge::date(day).map_err(|_| {
            PeriodError::OutOfRange(
                FieldError::new(field, "reports.range.year")
                    .with("year", day.year())
                    .with("min", crate::edge::YEARS.start())
                    .with("max", crate::edge::YEARS.end()),
            )
        })
    };
    let today = now.with_timezone(&shop.zone()).date_naive();
    let to = match query.to.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => date("to", text)?,
        None => today,
    };
    let from = match query.from.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => date("from", text)?,
        None => to - Duration::days(DEFAULT_DAYS - 1),
    };
    let period = Period::new(from, to).map_err(PeriodError::Invalid)?;
    let by = match query.by.as_deref().filter(|b| !b.is_empty()) {
        Some(text) => GroupBy::parse(text).ok_or_else(|| {
            PeriodError::Invalid(FieldError::new("by", "reports.range.bad_grouping").with("value", text))
        })?,
        None => GroupBy::Day,
    };
    Ok((period, by))
}

/// Why a report's query cannot be taken: a field (`from`, `to`, `by`) and the catalogue's
/// message about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeriodError {
    /// Not a date, `from` after `to`, too long a period, not a grouping.
    Invalid(FieldError),
    /// A date outside the years the desk accepts (`edge::YEARS`).
    OutOfRange(FieldError),
}

impl PeriodError {
    /// The field and its message.
    pub fn field_error(&self) -> &FieldError {
        match self {
            PeriodError::Invalid(error) | PeriodError::OutOfRange(error) => error,
        }
    }
}

impl From<PeriodError> for ApiError {
    /// 422 naming the field: `invalid_field`, or `date_out_of_range` for a year outside the range.
    fn from(error: PeriodError) -> ApiError {
        match error {
            PeriodError::Invalid(error) => ApiError::from(error),
            PeriodError::OutOfRange(error) => ApiError::from(error).with_code("date_out_of_range"),
        }
    }
}

/// Loads the shop for a report, checking who asks.
pub async fn report_shop(state: &AppState, user: &CurrentUser, shop: ShopId) -> Result<Shop, ApiError> {
    user.require_shop(shop)?;
    user.require(Action::SeeReports)?;
    crate::shops::get(&state.pool, shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))
}

/// Return and refund rates with their numerators, denominators and time bases, for a period
/// and the one before it (owners, supervisors, admins).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/reports/returns", tag = "reports",
    params(("shop" = i64, Path, description = "shop id"), ReportQuery),
    responses((status = 200, body = Report), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn returns_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    let shop = report_shop(&state, &user, shop).await?;
    let (period, by) = period_of(&query, &shop, state.now())?;
    Ok(Json(
        super::report(state.reports_db(), shop.id, shop.zone(), period, by).await?,
    ))
}

/// What after-sales cost per SKU in a period: refunds paid, compensation net of collections,
/// postage (paid back, intercept fees), reships; each by when it happened (owners, supervisors,
/// admins).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/reports/costs", tag = "reports",
    params(("shop" = i64, Path, description = "shop id"), ReportQuery),
    responses((status = 200, body = Vec<super::costs::CostRow>), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn costs_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Vec<super::costs::CostRow>>> {
    let shop = report_shop(&state, &user, shop).await?;
    let (period, _) = period_of(&query, &shop, state.now())?;
    Ok(Json(
        super::costs::costs(super::Pools::one(&state.pool), shop.id, shop.zone(), period, usize::MAX).await?,
    ))
}
