//! `PUT /api/v1/shops/{shop}/orders/{order_no}` (upsert) and `GET` of one order.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Order, OrderInput};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upsert_order, get_order))
}

/// Inserts or replaces an order with its lines (201 when new, 200 when updated).
#[utoipa::path(put, path = "/api/v1/shops/{shop}/orders/{order_no}", tag = "orders",
    params(("shop" = i64, Path, description = "shop id"), ("order_no" = String, Path, description = "marketplace order number")),
    request_body = OrderInput,
    responses((status = 200, body = Order), (status = 201, body = Order), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn upsert_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, order_no)): Path<(ShopId, String)>,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    user.require_shop(shop)?;
    user.require(Action::WriteOrders)?;
    super::validate(&order_no, &input).map_err(|(field, message)| ApiError::invalid(&field, message))?;
    let (order, created) = super::upsert(&state.pool, shop, &order_no, &input).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(order)))
}

/// One order with its lines.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/orders/{order_no}", tag = "orders",
    params(("shop" = i64, Path, description = "shop id"), ("order_no" = String, Path, description = "marketplace order number")),
    responses((status = 200, body = Order), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, order_no)): Path<(ShopId, String)>,
) -> ApiResult<Json<Order>> {
    user.require_shop(shop)?;
    let order = super::find(&state.pool, shop, &order_no)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    Ok(Json(order))
}
