//! The JSON API of tags: a shop's tags (list; create, change, delete for supervisors and
//! admins), the tags on a ticket, and tagging many tickets at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NewTag, Tag, TagError};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::ids::{ShopId, TicketId};
use crate::state::AppState;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags, create_tag))
        .routes(routes!(update_tag, delete_tag))
        .routes(routes!(bulk_tag))
        .routes(routes!(ticket_tags, tag_ticket))
        .routes(routes!(untag_ticket))
}

/// A tag to put on a ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TagRef {
    /// The tag's id (of the ticket's shop).
    pub tag: i64,
}

/// Add or remove, in bulk.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Add,
    Remove,
}

/// Tagging many tickets at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkTag {
    /// Tickets of the tag's shop, at most 200.
    #[schema(value_type = Vec<i64>)]
    pub tickets: Vec<TicketId>,
    pub action: BulkAction,
}

/// How many tickets a bulk action changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub changed: u64,
}

/// A shop's tags, by name.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/tags", tag = "tags",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<Tag>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_tags(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<Tag>>> {
    user.require_shop(shop)?;
    Ok(Json(super::list(&state.pool, shop).await?))
}

/// Creates a tag (supervisors and admins). A name the shop already has is 422 on `name`.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/tags", tag = "tags",
    params(("shop" = i64, Path, description = "shop id")), request_body = NewTag,
    responses((status = 201, body = Tag), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_tag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<NewTag>,
) -> ApiResult<(StatusCode, Json<Tag>)> {
    let tag = super::create(&state.pool, &user, shop, &input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(tag)))
}

/// Renames a tag or changes its colour (supervisors and admins).
#[utoipa::path(put, path = "/api/v1/shops/{shop}/tags/{tag}", tag = "tags",
    params(("shop" = i64, Path, description = "shop id"), ("tag" = i64, Path, description = "tag id")),
    request_body = NewTag,
    responses((status = 200, body = Tag), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_tag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, tag)): Path<(ShopId, i64)>,
    ApiJson(input): ApiJson<NewTag>,
) -> ApiResult<Json<Tag>> {
    Ok(Json(super::update(&state.pool, &user, shop, tag, &input).await?))
}

/// Deletes a tag and takes it off every ticket (supervisors and admins).
#[utoipa::path(delete, path = "/api/v1/shops/{shop}/tags/{tag}", tag = "tags",
    params(("shop" = i64, Path, description = "shop id"), ("tag" = i64, Path, description = "tag id")),
    responses((status = 204, description = "deleted"), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn delete_tag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, tag)): Path<(ShopId, i64)>,
) -> ApiResult<StatusCode> {
    super::delete(&state.pool, &user, shop, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a tag on, or takes it off, many tickets of its shop: all or none.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/tags/{tag}/bulk", tag = "tags",
    params(("shop" = i64, Path, description = "shop id"), ("tag" = i64, Path, description = "tag id")),
    request_body = BulkTag,
    responses((status = 200, body = BulkResult), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn bulk_tag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((shop, tag)): Path<(ShopId, i64)>,
    ApiJson(input): ApiJson<BulkTag>,
) -> ApiResult<Json<BulkResult>> {
    user.require_shop(shop)?;
    if super::get(&state.pool, shop, tag).await?.is_none() {
        return Err(ApiError::not_found("tag"));
    }
    let add = matches!(input.action, BulkAction::Add);
    let changed = super::bulk(&state.pool, &user, &input.tickets, tag, add, state.now()).await?;
    Ok(Json(BulkResult { changed }))
}

/// The tags on a ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/tags", tag = "tags",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = Vec<Tag>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ticket_tags(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<Vec<Tag>>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(Json(super::of_ticket(&state.pool, ticket.shop_id, id).await?))
}

/// Puts a tag of the ticket's shop on it; the ticket's tags after.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/tags", tag = "tags",
    params(("id" = i64, Path, description = "ticket id")), request_body = TagRef,
    responses((status = 200, body = Vec<Tag>), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn tag_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<TagRef>,
) -> ApiResult<Json<Vec<Tag>>> {
    super::add(&state.pool, &user, id, input.tag, state.now()).await?;
    ticket_tags(State(state), user, Path(id)).await
}

/// Takes a tag off a ticket.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/tags/{tag}", tag = "tags",
    params(("id" = i64, Path, description = "ticket id"), ("tag" = i64, Path, description = "tag id")),
    responses((status = 204, description = "removed"), (status = 404, body = crate::api::ErrorBody)))]
pub async fn untag_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, tag)): Path<(TicketId, i64)>,
) -> ApiResult<StatusCode> {
    super::remove(&state.pool, &user, id, tag, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl From<TagError> for ApiError {
    /// The one mapping of a refused tag action to HTTP.
    fn from(error: TagError) -> ApiError {
        match error {
            TagError::Invalid(field) => ApiError::from(field),
            TagError::NotFound(what) => ApiError::not_found(what),
            TagError::Forbidden(denied) => ApiError::from(denied),
            TagError::Storage(error) => ApiError::from(error),
        }
    }
}
