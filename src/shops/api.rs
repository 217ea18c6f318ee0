//! `POST /api/v1/shops`, `GET /api/v1/shops`, the shop's settings, and its return addresses
//! (`/api/v1/shops/{shop}/return-addresses`, SQL in `return_addresses`).

use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde::Deserialize;
use utoipa::IntoParams;

use super::return_addresses::{self, ReturnAddress, ReturnAddressError, ReturnAddressInput};
use super::{NewShop, SettingsChange, SettingsError, Shop};
use crate::api::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_shops, create_shop))
        .routes(routes!(update_shop_settings))
        .routes(routes!(list_return_addresses, create_return_address))
        .routes(routes!(update_return_address))
        .routes(routes!(set_default_return_address))
        .routes(routes!(archive_return_address))
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
    user.require(Action::ManageShops)?;
    shop.validate()
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let created = super::create(&state.pool, &shop).await?.ok_or_else(|| {
        ApiError::conflict(
            "shop_exists",
            format!("a shop with the code `{}` exists already", shop.code),
        )
    })?;
    let details = serde_json::json!({ "code": created.code });
    crate::audit::record(
        &state.pool,
        user.id,
        crate::audit::action::SHOP_CREATED,
        Some(created.id),
        &created.code,
        details,
    )
    .await?;
    tracing::info!(shop = %created.id, "shop created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// The shops the caller may see (admins: all).
#[utoipa::path(get, path = "/api/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<Shop>), (status = 401, body = crate::api::ErrorBody)))]
pub async fn list_shops(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<Shop>>> {
    Ok(Json(super::list(&state.pool, &user.shops).await?))
}

/// Changes a shop's rule settings (admin): time zone, no-reason window, follow-up cycle,
/// platform timers, bad-review clocks. Tickets opened afterwards follow the new settings (the
/// review clocks of open bad reviews are shown with the new durations at once).
#[utoipa::path(put, path = "/api/v1/shops/{shop}/settings", tag = "shops", request_body = SettingsChange,
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Shop), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_shop_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(change): ApiJson<SettingsChange>,
) -> ApiResult<Json<Shop>> {
    user.require_shop(shop)?;
    user.require(Action::ManageShops)?;
    let updated = super::change_settings(&state.pool, user.id, shop, &change)
        .await
        .map_err(|error| match error {
            SettingsError::NotFound => ApiError::not_found("shop"),
            SettingsError::Invalid { field, message } => ApiError::invalid(field, message),
            SettingsError::Database(error) => ApiError::from(error),
        })?;
    Ok(Json(updated))
}

/// Query parameters of the return address list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddressListQuery {
    /// Also list archived addresses (after those in use).
    pub archived: Option<bool>,
}

/// A shop's return addresses, the default first. Everyone who works the shop's tickets reads
/// them (an agent approving a return picks one).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/return-addresses", tag = "shops",
    params(("shop" = i64, Path, description = "shop id"), AddressListQuery),
    responses((status = 200, body = Vec<ReturnAddress>), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_return_addresses(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<AddressListQuery>,
) -> ApiResult<Json<Vec<ReturnAddress>>> {
    user.require_shop(shop)?;
    user.require(Action::ReadTickets)?;
    let archived = query.archived.unwrap_or(false);
    Ok(Json(return_addresses::list(&state.pool, shop, archived).await?))
}

/// Adds a return address (supervisors and admins). The shop's first address, or one sent with
/// `is_default`, becomes the default.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/return-addresses", tag = "shops",
    params(("shop" = i64, Path, description = "shop id")), request_body = ReturnAddressInput,
    responses((status = 201, body = ReturnAddress), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_return_address(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<ReturnAddressInput>,
) -> ApiResult<(StatusCode, Json<ReturnAddress>)> {
    user.require_shop(shop)?;
    user.require(Action::ManageReturnAddresses)?;
    let created = return_addresses::create(&state.pool, shop, &input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes a return address (supervisors and admins). Tickets keep the text they recorded.
#[utoipa::path(put, path = "/api/v1/shops/{shop}/return-addresses/{id}", tag = "shops",
    params(("shop" = i64, Path, description = "shop id"), ("id" = i64, Path, description = "address id")),
    request_body = ReturnAddressInput,
    responses((status = 200, body = ReturnAddress), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_return_address(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, id)): Path<(ShopId, i64)>,
    ApiJson(input): ApiJson<ReturnAddressInput>,
) -> ApiResult<Json<ReturnAddress>> {
    user.require_shop(shop)?;
    user.require(Action::ManageReturnAddresses)?;
    Ok(Json(
        return_addresses::update(&state.pool, shop, id, &input, state.now()).await?,
    ))
}

/// Makes a return address the shop's default (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/shops/{shop}/return-addresses/{id}/default", tag = "shops",
    params(("shop" = i64, Path, description = "shop id"), ("id" = i64, Path, description = "address id")),
    responses((status = 200, body = ReturnAddress), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn set_default_return_address(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, id)): Path<(ShopId, i64)>,
) -> ApiResult<Json<ReturnAddress>> {
    user.require_shop(shop)?;
    user.require(Action::ManageReturnAddresses)?;
    Ok(Json(
        return_addresses::set_default(&state.pool, shop, id, state.now()).await?,
    ))
}

/// Archives a return address (supervisors and admins); archiving the default makes the oldest
/// address still in use the default.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/return-addresses/{id}/archive", tag = "shops",
    params(("shop" = i64, Path, description = "shop id"), ("id" = i64, Path, description = "address id")),
    responses((status = 200, body = ReturnAddress), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn archive_return_address(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, id)): Path<(ShopId, i64)>,
) -> ApiResult<Json<ReturnAddress>> {
    user.require_shop(shop)?;
    user.require(Action::ManageReturnAddresses)?;
    Ok(Json(
        return_addresses::archive(&state.pool, shop, id, state.now()).await?,
    ))
}

impl From<ReturnAddressError> for ApiError {
    /// 422 naming the field, 404 for an address not in the shop (or archived).
    fn from(error: ReturnAddressError) -> ApiError {
        match error {
            ReturnAddressError::Invalid(field) => ApiError::from(field),
            ReturnAddressError::NotFound => ApiError::not_found("return address"),
            ReturnAddressError::Database(error) => ApiError::from(error),
        }
    }
}
