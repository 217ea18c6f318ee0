//! The JSON API of linked and merged tickets: list, link, unlink, merge. Thin: extract, call
//! `links`, answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{LinkError, NewMerge};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Message, request_lang};
use crate::ids::TicketId;
use crate::state::AppState;
use crate::tickets::{TicketView, repo};

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, link_ticket))
        .routes(routes!(unlink_ticket))
        .routes(routes!(merge_ticket))
}

/// A ticket's relations: the tickets linked to it (both ways), the tickets merged into it, and
/// the ticket it was merged into.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinksView {
    /// Linked tickets, by id.
    #[schema(value_type = Vec<i64>)]
    pub linked: Vec<TicketId>,
    /// Tickets merged into this one, by id.
    #[schema(value_type = Vec<i64>)]
    pub merged_from: Vec<TicketId>,
    /// The ticket this one was merged into.
    #[schema(value_type = Option<i64>)]
    pub merged_into: Option<TicketId>,
}

/// A link to make.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewLink {
    /// Another ticket of the same order.
    #[schema(value_type = i64)]
    pub ticket: TicketId,
}

/// The tickets linked to a ticket and merged into it.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/links", tag = "links",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = LinksView), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_links(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<LinksView>> {
    let ticket = repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let linked = super::linked_neighbours(ticket.shop_id, id).all(&state.pool).await?;
    let merged_from = repo::merged_from(ticket.shop_id, id).all(&state.pool).await?;
    Ok(Json(LinksView {
        linked: linked.iter().map(|t| t.id).collect(),
        merged_from: merged_from.iter().map(|t| t.id).collect(),
        merged_into: ticket.merged_into,
    }))
}

/// Links a ticket with another of the same order (seen from both). Another order's ticket is
/// 422 `other_order`; linking a linked pair again changes nothing.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/links", tag = "links",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewLink,
    responses((status = 200, body = TicketView), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn link_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewLink>,
) -> ApiResult<Json<TicketView>> {
    let now = state.now();
    let ticket = super::link(&state.pool, &user, id, input.ticket, now).await?;
    Ok(Json(TicketView::new(&ticket, now, request_lang(&headers))))
}

/// Removes the link between two tickets.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/links/{other}", tag = "links",
    params(("id" = i64, Path, description = "ticket id"), ("other" = i64, Path, description = "the linked ticket")),
    responses((status = 204, description = "no longer linked"), (status = 404, body = crate::api::ErrorBody)))]
pub async fn unlink_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, other)): Path<(TicketId, TicketId)>,
) -> ApiResult<StatusCode> {
    super::unlink(&state.pool, &user, id, other, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merges a ticket into another open ticket of the same order (supervisors and admins). The
/// merged ticket is closed with `merged_into` set and keeps its whole timeline; it leaves the
/// queues and is not counted again in the reports. Refused with 422 `other_order`,
/// `target_closed`, `ticket_closed` or `same_ticket`; 409 if `version` is stale.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "links",
    params(("id" = i64, Path, description = "the ticket to merge")), request_body = NewMerge,
    responses((status = 200, body = TicketView), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn merge_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewMerge>,
) -> ApiResult<Json<TicketView>> {
    let now = state.now();
    let ticket = super::merge(&state.pool, &user, id, input, now).await?;
    Ok(Json(TicketView::new(&ticket, now, request_lang(&headers))))
}

impl From<LinkError> for ApiError {
    /// A refusal of the rules: 422 with its own code, naming the field and saying why in the
    /// catalogue's English; the rest as the tickets' errors.
    fn from(error: LinkError) -> ApiError {
        match error {
            LinkError::Refused { field, refusal } => {
                let message = Message::new(refusal.message_key()).english();
                ApiError::unprocessable(refusal.code(), format!("{field}: {message}"))
                    .with_details(json!({ "field": field }))
            }
            LinkError::Ticket(error) => ApiError::from(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::links::LinkRefusal;

    #[test]
    fn a_refused_merge_answers_422_with_its_code_naming_the_field() {
        let error = ApiError::from(LinkError::Refused {
            field: "merge_into",
            refusal: LinkRefusal::TargetClosed,
        });
        assert_eq!(
            (error.status, error.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "target_closed")
        );
        assert_eq!(error.details["field"], "merge_into");
        assert!(error.message.starts_with("merge_into: "), "{}", error.message);
        assert!(!error.message.contains("links.error"), "{}", error.message);
    }
}
