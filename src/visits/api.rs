//! The return-visit JSON API: record the buyer's answer on a ticket, list a ticket's visits and
//! a shop's waiting ones, and the satisfaction figures for the owners' reports.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{DueVisit, Satisfaction, Visit, VisitAnswer};
use crate::api::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::request_lang;
use crate::ids::{ShopId, TicketId};
use crate::reports::api::ReportQuery;
use crate::state::AppState;
use crate::tickets::TicketView;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ticket_visits, record_visit))
        .routes(routes!(list_waiting_visits))
        .routes(routes!(satisfaction_report))
}

/// The answer recorded, and the ticket after it (reopened if the buyer was not satisfied).
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitRecorded {
    pub visit: Visit,
    pub ticket: TicketView,
    /// The follow-up ticket a not-satisfied answer on a closed ticket opened (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_ticket: Option<TicketView>,
}

/// Records the buyer's answer to the return visit. Not satisfied reopens a done ticket
/// (`reopened: true`); a closed ticket stays closed and a linked follow-up ticket is opened
/// (`follow_up_ticket`: a complaint on the same order, reason `outcome_unsatisfied`, assigned to
/// the original ticket's agent).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/return-visits", tag = "return-visits",
    params(("id" = i64, Path, description = "ticket id")), request_body = VisitAnswer,
    responses((status = 201, body = VisitRecorded), (status = 404, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn record_visit(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    ApiJson(answer): ApiJson<VisitAnswer>,
) -> ApiResult<(StatusCode, Json<VisitRecorded>)> {
    let now = state.now();
    let recorded = super::record(&state.pool, &state.calendar(), &user, id, answer, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitRecorded {
            visit: recorded.visit,
            ticket: TicketView::new(&recorded.ticket, now, request_lang(&headers)),
            follow_up_ticket: recorded
                .follow_up
                .as_ref()
                .map(|ticket| TicketView::new(ticket, now, request_lang(&headers))),
        }),
    ))
}

/// A ticket's return visits, the waiting one first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/return-visits", tag = "return-visits",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = Vec<Visit>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_ticket_visits(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<Vec<Visit>>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::ReadTickets)?;
    Ok(Json(super::for_ticket(&state.pool, ticket.shop_id, id).await?))
}

/// The shop's visits waiting for an answer, soonest due first.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/return-visits", tag = "return-visits",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<DueVisit>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_waiting_visits(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<DueVisit>>> {
    user.require_shop(shop)?;
    user.require(Action::ReadTickets)?;
    Ok(Json(super::waiting(&state.pool, &[shop], 500).await?))
}

/// Satisfaction of the answered return visits in a period (by answer date, shop's zone).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/reports/satisfaction", tag = "return-visits",
    params(("shop" = i64, Path, description = "shop id"), ReportQuery),
    responses((status = 200, body = Satisfaction), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn satisfaction_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Satisfaction>> {
    user.require_shop(shop)?;
    user.require(Action::SeeReports)?;
    let shop = crate::shops::get(&state.pool, shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    // The same period parameters as the returns report, checked the same way (a grouping has
    // no effect on one figure, but a wrong one is still pointed out).
    let (period, _) = crate::reports::api::period_of(&query, &shop, state.now())?;
    let (from, to) = period.bounds(shop.zone());
    Ok(Json(
        super::satisfaction(&state.pool, shop.id, from, to, state.now()).await?,
    ))
}

impl From<super::VisitError> for ApiError {
    /// 422 `invalid_field` or `no_return_visit`, 404 for a ticket that is not there; the ticket
    /// service's own refusals as it made them.
    fn from(error: super::VisitError) -> ApiError {
        match error {
            super::VisitError::Invalid(error) => ApiError::from(error),
            super::VisitError::NotDone { status } => ApiError::unprocessable(
                "no_return_visit",
                crate::i18n::Message::new("visits.error.not_done")
                    .with("status", status)
                    .english(),
            ),
            super::VisitError::NotFound => ApiError::not_found("ticket"),
            super::VisitError::Ticket(error) => ApiError::from(error),
            super::VisitError::Database(error) => ApiError::from(error),
        }
    }
}
