//! `GET /api/v1/tickets/{id}/buyer`: the file of the buyer of a ticket.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::BuyerFile;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::TicketId;
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(buyer_file))
}

/// Every order and ticket of the ticket's buyer in the shop, their return and refund counts and
/// the repeat-returner flag (a signal, never a refusal).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/buyer", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = BuyerFile), (status = 404, body = crate::api::ErrorBody)))]
pub async fn buyer_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<BuyerFile>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::ReadTickets)?;
    Ok(Json(
        super::file(&state.pool, ticket.shop_id, ticket.customer_id, state.now()).await?,
    ))
}
