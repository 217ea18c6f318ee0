//! The canned-replies JSON API: the library of a shop (read by everyone who reads tickets,
//! managed by supervisors and admins), and the library filled in for one ticket.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{FilledReply, Reply, ReplyInput, Situation};
use crate::api::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Tr, request_lang};
use crate::ids::{ShopId, TicketId};
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_replies, create_reply))
        .routes(routes!(update_reply, archive_reply))
        .routes(routes!(ticket_replies))
}

/// Search of the library.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplyQuery {
    /// Words in the title or text.
    pub q: Option<String>,
    /// One situation: greeting, urge_shipment, logistics_check, return_guide, refund_done, apology.
    #[param(value_type = Option<String>)]
    pub situation: Option<Situation>,
}

/// Search of the replies for one ticket.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketReplyQuery {
    /// Words in the title or text.
    pub q: Option<String>,
    /// One situation: greeting, urge_shipment, logistics_check, return_guide, refund_done, apology.
    #[param(value_type = Option<String>)]
    pub situation: Option<Situation>,
    /// Also the replies written for other kinds or statuses (after the fitting ones, with
    /// `fits: false`). Default: only those that fit the ticket.
    #[serde(default)]
    pub all: bool,
}

fn query_text(q: &Option<String>) -> Option<&str> {
    q.as_deref().map(str::trim).filter(|q| !q.is_empty())
}

/// The shop's reply library, grouped by situation (seeded with a default library on first use).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/replies", tag = "replies",
    params(("shop" = i64, Path, description = "shop id"), ReplyQuery),
    responses((status = 200, body = Vec<Reply>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_replies(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<ReplyQuery>,
) -> ApiResult<Json<Vec<Reply>>> {
    user.require_shop(shop)?;
    user.require(Action::ReadTickets)?;
    Ok(Json(
        super::list(
            &mut *state.pool.acquire().await?,
            shop,
            query_text(&query.q),
            query.situation,
        )
        .await?,
    ))
}

/// Adds a reply to the shop's library (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/shops/{shop}/replies", tag = "replies",
    params(("shop" = i64, Path, description = "shop id")), request_body = ReplyInput,
    responses((status = 201, body = Reply), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<ReplyInput>,
) -> ApiResult<(StatusCode, Json<Reply>)> {
    user.require_shop(shop)?;
    user.require(Action::ManageReplies)?;
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state.pool, shop, &input).await?),
    ))
}

/// Replaces a reply (supervisors and admins).
#[utoipa::path(put, path = "/api/v1/shops/{shop}/replies/{id}", tag = "replies",
    params(("shop" = i64, Path, description = "shop id"), ("id" = i64, Path, description = "reply id")),
    request_body = ReplyInput,
    responses((status = 200, body = Reply), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, id)): Path<(ShopId, i64)>,
    ApiJson(input): ApiJson<ReplyInput>,
) -> ApiResult<Json<Reply>> {
    user.require_shop(shop)?;
    user.require(Action::ManageReplies)?;
    Ok(Json(super::update(&state.pool, shop, id, &input).await?))
}

/// Takes a reply out of the library (supervisors and admins). Follow-ups that used it keep its
/// text.
#[utoipa::path(delete, path = "/api/v1/shops/{shop}/replies/{id}", tag = "replies",
    params(("shop" = i64, Path, description = "shop id"), ("id" = i64, Path, description = "reply id")),
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn archive_reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, id)): Path<(ShopId, i64)>,
) -> ApiResult<StatusCode> {
    user.require_shop(shop)?;
    user.require(Action::ManageReplies)?;
    super::archive(&state.pool, shop, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The shop's replies written for this ticket's kind and status, with its facts filled in,
/// ready to send (`all=true`: the others too, after them).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/replies", tag = "replies",
    params(("id" = i64, Path, description = "ticket id"), TicketReplyQuery),
    responses((status = 200, body = Vec<FilledReply>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ticket_replies(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiQuery(query): ApiQuery<TicketReplyQuery>,
) -> ApiResult<Json<Vec<FilledReply>>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::ReadTickets)?;
    let t = Tr::new(request_lang(&headers), ticket.time_zone);
    let mut replies = super::for_ticket(
        &mut *state.pool.acquire().await?,
        &ticket,
        query_text(&query.q),
        query.all,
        t,
        state.now(),
    )
    .await?;
    if let Some(situation) = query.situation {
        replies.retain(|r| r.situation == situation);
    }
    Ok(Json(replies))
}

impl From<super::ReplyError> for ApiError {
    /// 422 `invalid_field` naming the field, 404 for a reply that is not there.
    fn from(error: super::ReplyError) -> ApiError {
        match error {
            super::ReplyError::Invalid(error) => ApiError::from(error),
            super::ReplyError::NotFound => ApiError::not_found("reply"),
            super::ReplyError::Database(error) => ApiError::from(error),
        }
    }
}
