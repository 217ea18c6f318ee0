//! `POST /api/v1/shops`, `GET /api/v1/shops`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::{NewShop, Shop};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{ApiError, ApiResult};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/shops", get(list_shops).post(create_shop))
}

/// Creates a shop (admin).
#[utoipa::path(post, path = "/api/v1/shops", tag = "shops", request_body = NewShop,
    responses((status = 201, body = Shop), (status = 403, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_shop(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(shop): ApiJson<NewShop>,
) -> ApiResult<(StatusCode, Json<Shop>)> {
    user.require_role(&[Role::Admin])?;
    shop.validate()
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let created = super::create(&state.pool, &shop).await?.ok_or_else(|| {
        ApiError::conflict(
            "shop_exists",
            format!("a shop with the code `{}` exists already", shop.code),
        )
    })?;
    tracing::info!(shop = %created.id, "shop created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// The shops the caller may see (admins: all).
#[utoipa::path(get, path = "/api/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<Shop>), (status = 401, body = crate::api::ErrorBody)))]
pub async fn list_shops(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<Shop>>> {
    Ok(Json(super::list(&state.pool, &user.shops).await?))
}
