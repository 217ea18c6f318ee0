//! The JSON API of goods after the sale: a ticket's receipts, reships and intercepts; the
//! returns stock per SKU; the unclaimed parcels. Thin: extract, call `returns`, answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    GoodsError, Intercept, NewIntercept, NewOutcome, NewParcel, NewReceipt, NewReship, Parcel, Receipt, Reship,
    StockRow,
};
use crate::api::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Message;
use crate::ids::{ShopId, TicketId};
use crate::reports::rates::Period;
use crate::state::AppState;
use crate::tickets::repo;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ticket_goods))
        .routes(routes!(receive))
        .routes(routes!(reship))
        .routes(routes!(intercept))
        .routes(routes!(intercept_outcome))
        .routes(routes!(returns_stock))
        .routes(routes!(list_parcels, record_parcel))
        .routes(routes!(match_parcel))
}

/// A ticket's goods: what arrived of each returned line, what was sent again, what was
/// intercepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoodsView {
    pub receipts: Vec<Receipt>,
    pub reships: Vec<Reship>,
    pub intercepts: Vec<Intercept>,
}

/// A ticket's receipts, reships and intercepts.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/goods", tag = "returns",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = GoodsView), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ticket_goods(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<GoodsView>> {
    user.require(Action::ReadTickets)?;
    let ticket = repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(Json(GoodsView {
        receipts: super::receipts(ticket.shop_id, id).all(&state.pool).await?,
        reships: super::reships(ticket.shop_id, id).all(&state.pool).await?,
        intercepts: super::intercepts(ticket.shop_id, id).all(&state.pool).await?,
    }))
}

/// Records what arrived of one line of a return or exchange (退货入库): good, defective and
/// missing must add up to what was returned (422 naming the field otherwise). Receiving a line
/// again corrects its receipt.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/receipts", tag = "returns",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewReceipt,
    responses((status = 201, body = Receipt), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewReceipt>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let (_, receipt) = super::receive(&state.pool, &user, id, input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// Records a reship (补发): what was sent again, the carrier and tracking number, its cost.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reships", tag = "returns",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewReship,
    responses((status = 201, body = Reship), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn reship(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewReship>,
) -> ApiResult<(StatusCode, Json<Reship>)> {
    let (_, reship) = super::reship(&state.pool, &user, id, input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(reship)))
}

/// Records an intercept (拦截) asked of the carrier for an outgoing parcel.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/intercepts", tag = "returns",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewIntercept,
    responses((status = 201, body = Intercept), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn intercept(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewIntercept>,
) -> ApiResult<(StatusCode, Json<Intercept>)> {
    let (_, intercept) = super::intercept(&state.pool, &user, id, input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(intercept)))
}

/// Records the carrier's answer to an intercept: `intercepted` or `failed`, then
/// `returned_to_sender` (or `failed`); anything else is 422 `intercept_outcome`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/intercepts/{intercept}/outcome", tag = "returns",
    params(("id" = i64, Path, description = "ticket id"), ("intercept" = i64, Path, description = "intercept id")),
    request_body = NewOutcome,
    responses((status = 200, body = Intercept), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn intercept_outcome(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, intercept)): Path<(TicketId, i64)>,
    ApiJson(input): ApiJson<NewOutcome>,
) -> ApiResult<Json<Intercept>> {
    let (_, answered) = super::set_outcome(&state.pool, &user, id, intercept, input, state.now()).await?;
    Ok(Json(answered))
}

/// The period of the returns stock (dates in the shop's zone, both included).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(value_type = String)]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    #[param(value_type = String)]
    pub to: NaiveDate,
}

/// What came back per SKU in a period: received, good, defective, missing.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/returns-stock", tag = "returns",
    params(("shop" = i64, Path, description = "shop id"), StockQuery),
    responses((status = 200, body = Vec<StockRow>), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn returns_stock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<StockQuery>,
) -> ApiResult<Json<Vec<StockRow>>> {
    user.require(Action::ReadTickets)?;
    user.require_shop(shop)?;
    let shop = crate::shops::get(&state.pool, shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let period = Period::new(query.from, query.to).map_err(ApiError::from)?;
    let (from, to) = period.bounds(shop.zone());
    Ok(Json(super::stock(&state.pool, shop.id, from, to).await?))
}

/// The shop's unclaimed parcels (无主件): those not matched yet first, oldest first, then those
/// matched lately; each with the ticket its tracking number suggests.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/parcels", tag = "returns",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<Parcel>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_parcels(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<Parcel>>> {
    user.require(Action::ReadTickets)?;
    user.require_shop(shop)?;
    Ok(Json(super::parcels(&state.pool, shop, 500).await?))
}

/// Records a parcel that came back without a ticket.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/parcels", tag = "returns",
    params(("shop" = i64, Path, description = "shop id")), request_body = NewParcel,
    responses((status = 201, body = Parcel), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn record_parcel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<NewParcel>,
) -> ApiResult<(StatusCode, Json<Parcel>)> {
    let parcel = super::record_parcel(&state.pool, &user, shop, input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(parcel)))
}

/// The ticket a parcel belongs to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParcelMatch {
    #[schema(value_type = i64)]
    pub ticket: TicketId,
}

/// Matches an unclaimed parcel to a ticket of the shop (422 `already_matched` if it was).
#[utoipa::path(post, path = "/api/v1/shops/{shop}/parcels/{parcel}/match", tag = "returns",
    params(("shop" = i64, Path, description = "shop id"), ("parcel" = i64, Path, description = "parcel id")),
    request_body = ParcelMatch,
    responses((status = 200, body = Parcel), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn match_parcel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, parcel)): Path<(ShopId, i64)>,
    ApiJson(input): ApiJson<ParcelMatch>,
) -> ApiResult<Json<Parcel>> {
    let (_, matched) = super::match_parcel(&state.pool, &user, shop, parcel, input.ticket, state.now()).await?;
    Ok(Json(matched))
}

impl From<GoodsError> for ApiError {
    /// A refusal: 422 with its own code in the catalogue's English; not found 404; the rest as
    /// the tickets' errors.
    fn from(error: GoodsError) -> ApiError {
        let english = |error: &GoodsError| {
            error
                .message_key()
                .map(|key| Message::new(key).english())
                .unwrap_or_else(|| error.to_string())
        };
        match error {
            GoodsError::NotAReturn => ApiError::unprocessable("not_a_return", english(&error)),
            GoodsError::Outcome { .. } => ApiError::unprocessable("intercept_outcome", english(&error)),
            GoodsError::AlreadyMatched(_) => ApiError::unprocessable("already_matched", english(&error)),
            GoodsError::NotFound => ApiError::not_found("intercept or parcel"),
            GoodsError::Ticket(error) => ApiError::from(error),
        }
    }
}
