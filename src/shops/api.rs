//! `POST /api/v1/shops`, `GET /api/v1/shops`.

use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NewShop, SettingsChange, Shop};
use crate::api::ApiJson;
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
    let current = super::get(&state.pool, shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let (settings, timers, review_timers) = change
        .apply(&current)
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let updated = super::update_settings(&state.pool, shop, &settings, &timers, &review_timers)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let details = serde_json::json!({
        "time_zone": updated.time_zone, "return_window_days": updated.return_window_days,
        "follow_up_hours": updated.follow_up_hours, "platform_timers": updated.platform_timers.0,
        "review_timers": updated.review_timers.0,
    });
    crate::audit::record(
        &state.pool,
        user.id,
        crate::audit::action::SHOP_SETTINGS,
        Some(shop),
        &updated.code,
        details,
    )
    .await?;
    tracing::info!(shop = %shop, "shop settings changed");
    Ok(Json(updated))
}
