//! `GET /api/v1/shops/{shop}/reconciliation`: the desk's refunds beside the platform's.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Reconciliation;
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::reports::rates::Period;
use crate::state::AppState;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reconciliation))
}

/// The period (dates in the shop's zone, both included).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(value_type = String)]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    #[param(value_type = String)]
    pub to: NaiveDate,
}

/// Refunds the platform paid that the desk has no decision for, refunds the desk decided that
/// the platform has not paid, and refunds whose amounts differ, over a period (supervisors,
/// owners, admins).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/reconciliation", tag = "reports",
    params(("shop" = i64, Path, description = "shop id"), PeriodQuery),
    responses((status = 200, body = Reconciliation), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Reconciliation>> {
    user.require(Action::SeeReports)?;
    user.require_shop(shop)?;
    let shop = crate::shops::get(&state.pool, shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let period = Period::new(query.from, query.to).map_err(ApiError::from)?;
    let (from, to) = period.bounds(shop.zone());
    Ok(Json(super::reconcile(&state.pool, shop.id, from, to).await?))
}
