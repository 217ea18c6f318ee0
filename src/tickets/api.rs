//! The tickets JSON API (SPEC "HTTP"). Handlers are thin: extract, call `service`, answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::TicketError;
use super::model::TicketView;
use super::repo::{self, Filter};
use super::service::{self, FollowUpRequest, NewAssignment, NewNote, NewTicket, NewTransition};
use crate::api::{ApiJson, ApiQuery, Page};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::request_lang;
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket, list_tickets))
        .routes(routes!(get_ticket))
        .routes(routes!(record_follow_up))
        .routes(routes!(add_note))
        .routes(routes!(move_ticket))
        .routes(routes!(assign_ticket))
}

/// Opens a ticket. The rules judge it on the way in: a reason that does not fit the kind, an
/// amount on a bad review, or a refused no-reason request is 422 and nothing is stored. A repeated request with the same `Idempotency-Key` returns the first ticket;
/// the same key with a different request is 422 `idempotency_key_reused`.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/tickets", tag = "tickets",
    params(("shop" = i64, Path, description = "shop id"),
           ("Idempotency-Key" = Option<String>, Header, description = "retry-safe create: the same key and request return the same ticket; the same key with another request is 422")),
    request_body = NewTicket,
    responses((status = 201, body = TicketView), (status = 200, description = "replayed: the ticket created earlier with this key", body = TicketView),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<NewTicket>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    user.require_shop(shop)?;
    service::check_reason_fits(input.kind, input.reason)?;
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_string))
        .transpose()
        .map_err(|_| ApiError::bad_request("the Idempotency-Key header must be plain ASCII"))?;
    let lang = request_lang(&headers);
    let now = state.now();
    let created = service::create_in(&state.openings, &state.calendar(), &user, shop, input, key, lang, now)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(TicketView::new(&created.ticket, now, lang))))
}

/// Query parameters of the ticket list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A status, e.g. `requested`.
    #[param(value_type = Option<String>)]
    pub status: Option<Status>,
    /// A kind: refund, return, exchange, complaint, logistics.
    #[param(value_type = Option<String>)]
    pub kind: Option<TicketKind>,
    /// A user id, `me`, or `none` for unassigned tickets.
    pub assignee: Option<String>,
    /// Only overdue (`true`) or only not overdue (`false`) tickets.
    pub overdue: Option<bool>,
    /// An order number, or the start of a buyer's name.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Lists a shop's tickets, newest first, keyset-paged.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/tickets", tag = "tickets",
    params(("shop" = i64, Path, description = "shop id"), ListQuery),
    responses((status = 200, body = Page<TicketView>), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_tickets(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<TicketView>>> {
    user.require_shop(shop)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 200"));
    }
    let before = match query.cursor.as_deref() {
        Some(cursor) => Some(
            cursor
                .parse::<TicketId>()
                .map_err(|_| ApiError::bad_request("cursor: pass back `next_cursor` as it was given"))?,
        ),
        None => None,
    };
    let (assignee, unassigned) = match query.assignee.as_deref() {
        None | Some("") => (None, false),
        Some("me") => (Some(user.id), false),
        Some("none") => (None, true),
        Some(id) => (
            Some(
                id.parse::<UserId>()
                    .map_err(|_| ApiError::bad_request("assignee: a user id, `me` or `none`"))?,
            ),
            false,
        ),
    };
    let filter = Filter {
        kind: query.kind,
        status: query.status,
        assignee,
        unassigned,
        overdue: query.overdue,
        query: query.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
        open_only: false,
        tag: None,
    };
    let now = state.now();
    let lang = request_lang(&headers);
    let tickets = repo::list_recent(&state.pool, &[shop], &filter, now, before, limit + 1).await?;
    let more = tickets.len() as i64 > limit;
    let items: Vec<TicketView> = tickets
        .iter()
        .take(limit as usize)
        .map(|t| TicketView::new(t, now, lang))
        .collect();
    let next_cursor = if more {
        items.last().map(|t| t.id.to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next_cursor }))
}

/// One ticket with its timeline.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = TicketView), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<TicketView>> {
    let ticket = repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let events = repo::events(&state.pool, &ticket).await?;
    let mut view =
        TicketView::new(&ticket, state.now(), request_lang(&headers)).with_timeline(&events, ticket.time_zone);
    let contact = crate::orders::contact(&state.pool, ticket.shop_id, ticket.customer_id).await?;
    view.buyer_contact = contact.map(|c| if user.may(Action::WorkTickets) { c } else { c.masked() });
    Ok(Json(view))
}

/// Records a contact with the buyer (or carrier, warehouse): the follow-up cycle restarts. With
/// `canned_reply`, the reply's filled-in text is recorded beside the summary. An append: never
/// refused for a stale `version`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/follow-ups", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")), request_body = FollowUpRequest,
    responses((status = 201, body = TicketView), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn record_follow_up(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<FollowUpRequest>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let now = state.now();
    let (input, canned_reply) = input.split();
    let ticket = service::follow_up_with_reply(&state.follow_up_writes, &user, id, input, canned_reply, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(TicketView::new(&ticket, now, request_lang(&headers))),
    ))
}

/// Adds an internal note to the timeline. An append: never refused for a stale `version`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/notes", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewNote,
    responses((status = 201, body = TicketView), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let now = state.now();
    let ticket = service::note(&state.pool, &user, id, input, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(TicketView::new(&ticket, now, request_lang(&headers))),
    ))
}

/// Moves a ticket to another status. An illegal move is 422 naming the allowed ones; a stale
/// `version` is 409 and changes nothing.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewTransition,
    responses((status = 200, body = TicketView), (status = 404, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn move_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewTransition>,
) -> ApiResult<Json<TicketView>> {
    let now = state.now();
    let ticket = service::transition(&state.pool, &state.calendar(), &user, id, input, now).await?;
    Ok(Json(TicketView::new(&ticket, now, request_lang(&headers))))
}

/// Assigns a ticket to an agent or supervisor of its shop (`null` unassigns).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assignment", tag = "tickets",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewAssignment,
    responses((status = 200, body = TicketView), (status = 404, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn assign_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(input): ApiJson<NewAssignment>,
) -> ApiResult<Json<TicketView>> {
    let now = state.now();
    let ticket = service::assign(&state.pool, &user, id, input, now).await?;
    Ok(Json(TicketView::new(&ticket, now, request_lang(&headers))))
}

impl From<TicketError> for ApiError {
    /// The one mapping of a refused ticket action to HTTP: its status, its stable `code`, and
    /// its `details` (the `field` of a field error); field messages are the catalogue's English.
    fn from(error: TicketError) -> ApiError {
        match error {
            TicketError::Invalid(field) => ApiError::from(field),
            TicketError::AmountOutOfRange(field) => ApiError::from(field).with_code("amount_out_of_range"),
            TicketError::DateOutOfRange(field) => ApiError::from(field).with_code("date_out_of_range"),
            TicketError::NotFound => ApiError::not_found("ticket"),
            TicketError::StaleVersion { current } => ApiError::stale_version(current),
            TicketError::Forbidden(denied) => ApiError::from(denied),
            TicketError::IllegalMove(error) => ApiError::from(error),
            TicketError::Closed => ApiError::unprocessable(
                "ticket_closed",
                "the ticket is closed; open a new ticket for a new problem",
            ),
            TicketError::Refused {
                code,
                explanation,
                record,
            } => ApiError::unprocessable(code, explanation).with_details(json!({ "seven_day": record })),
            TicketError::Calendar(error) => ApiError::unprocessable(error.code(), error.to_string()),
            TicketError::BadIdempotencyKey => {
                ApiError::bad_request("the Idempotency-Key header must have 1–200 characters")
            }
            TicketError::IdempotencyKeyReused { key, ticket } => ApiError::unprocessable(
                "idempotency_key_reused",
                format!(
                    "the Idempotency-Key `{key}` was already used for ticket {ticket} with a different request; \
                     nothing was created: send a new key for a new ticket, or the same request to get ticket {ticket} back"
                ),
            )
            .with_details(json!({ "ticket_id": ticket })),
            TicketError::Storage(error) => ApiError::from(error),
            TicketError::Internal(message) => ApiError::internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Denied, Role};
    use crate::edge::FieldError;
    use crate::rules::calendar::CalendarError;

    #[test]
    fn a_field_error_answers_422_naming_the_field_with_the_catalogues_english() {
        let error = ApiError::from(TicketError::Invalid(FieldError::new("summary", "ticket.invalid.empty")));
        assert_eq!(
            (error.status, error.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
        );
        assert_eq!(error.details["field"], "summary");
        assert_eq!(
            error.message,
            "summary: Write something here; spaces alone are not enough."
        );
    }

    #[test]
    fn range_errors_keep_their_own_codes_and_name_the_field() {
        let amount = ApiError::from(TicketError::AmountOutOfRange(FieldError::new(
            "refund_fen",
            "ticket.invalid.amount_range",
        )));
        assert_eq!(
            (amount.status, amount.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "amount_out_of_range")
        );
        assert_eq!(amount.details["field"], "refund_fen");
        let date = ApiError::from(TicketError::DateOutOfRange(FieldError::new(
            "opened_at",
            "ticket.invalid.year_range",
        )));
        assert_eq!(date.code, "date_out_of_range");
        assert_eq!(date.details["field"], "opened_at");
    }

    #[test]
    fn the_other_refusals_keep_their_status_code_and_details() {
        let answer = |error: TicketError| ApiError::from(error);
        let not_found = answer(TicketError::NotFound);
        assert_eq!((not_found.status, not_found.code), (StatusCode::NOT_FOUND, "not_found"));
        let stale = answer(TicketError::StaleVersion { current: 3 });
        assert_eq!((stale.status, stale.code), (StatusCode::CONFLICT, "stale_version"));
        assert_eq!(stale.details["current_version"], 3);
        let closed = answer(TicketError::Closed);
        assert_eq!(
            (closed.status, closed.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "ticket_closed")
        );
        let key = answer(TicketError::BadIdempotencyKey);
        assert_eq!((key.status, key.code), (StatusCode::BAD_REQUEST, "bad_request"));
        let reused = answer(TicketError::IdempotencyKeyReused {
            key: "k-1".into(),
            ticket: TicketId(7),
        });
        assert_eq!(reused.code, "idempotency_key_reused");
        assert_eq!(reused.details["ticket_id"], 7);
        assert!(reused.message.contains("k-1"));
        let year = answer(TicketError::Calendar(CalendarError::UnknownYear(2031)));
        assert_eq!(
            (year.status, year.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "calendar_unknown_year")
        );
        let denied = answer(TicketError::Forbidden(Denied {
            role: Role::Agent,
            action: Action::Reassign,
        }));
        assert_eq!((denied.status, denied.code), (StatusCode::FORBIDDEN, "forbidden"));
        assert!(denied.message.contains("agent") && denied.message.contains("reassign tickets"));
    }
}
