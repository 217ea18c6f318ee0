//! `GET /api/v1/shops/{shop}/follow-ups`: the supervisor's overdue and due-soon queues.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AgentLoad, QueueState};
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::request_lang;
use crate::ids::{ShopId, UserId};
use crate::state::AppState;
use crate::tickets::{TicketView, repo};

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(follow_up_queue))
}

/// Query of the follow-up queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// `overdue` (default) or `due_soon`.
    #[param(value_type = Option<String>)]
    pub state: Option<QueueState>,
    /// For `due_soon`: how many hours ahead (1–72, default 4).
    #[param(minimum = 1, maximum = 72)]
    pub hours: Option<i64>,
    /// A user id, or `none` for unassigned tickets.
    pub assignee: Option<String>,
    /// At most this many tickets (1–500, default 200).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The queue with the per-agent figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpQueue {
    #[schema(value_type = String)]
    pub state: QueueState,
    pub hours: i64,
    pub tickets: Vec<TicketView>,
    pub agents: Vec<AgentLoad>,
}

/// The limits of the due-soon window.
pub const MAX_SOON_HOURS: i64 = 72;

/// Overdue or due-soon tickets of a shop, soonest first, with each agent's load and compliance.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/follow-ups", tag = "follow-ups",
    params(("shop" = i64, Path, description = "shop id"), FollowUpQuery),
    responses((status = 200, body = FollowUpQueue), (status = 400, body = crate::api::ErrorBody),
              (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn follow_up_queue(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(shop): Path<ShopId>,
    ApiQuery(query): ApiQuery<FollowUpQuery>,
) -> ApiResult<Json<FollowUpQueue>> {
    user.require_shop(shop)?;
    user.require(Action::SeeFollowUps)?;
    let hours = query.hours.unwrap_or(4);
    if !(1..=MAX_SOON_HOURS).contains(&hours) {
        return Err(ApiError::bad_request(format!(
            "hours must be between 1 and {MAX_SOON_HOURS}"
        )));
    }
    let limit = query.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 500"));
    }
    let (assignee, unassigned) = match query.assignee.as_deref() {
        None | Some("") => (None, false),
        Some("none") => (None, true),
        Some(id) => (
            Some(
                id.parse::<UserId>()
                    .map_err(|_| ApiError::bad_request("assignee: a user id or `none`"))?,
            ),
            false,
        ),
    };
    let now = state.now();
    let state_kind = query.state.unwrap_or(QueueState::Overdue);
    let soon_until = now + Duration::hours(hours);
    let (from, until) = match state_kind {
        QueueState::Overdue => (None, now),
        QueueState::DueSoon => (Some(now), soon_until),
    };
    let shops = [shop];
    let tickets = repo::list_follow_up_window(&state.pool, &shops, from, until, assignee, unassigned, limit).await?;
    let zone = crate::shops::get(&state.pool, shop)
        .await?
        .map(|s| s.zone())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let agents = super::agent_loads(
        &state.pool,
        &shops,
        now,
        soon_until,
        now.with_timezone(&zone).date_naive(),
    )
    .await?;
    let lang = request_lang(&headers);
    Ok(Json(FollowUpQueue {
        state: state_kind,
        hours,
        tickets: tickets.iter().map(|t| TicketView::new(t, now, lang)).collect(),
        agents,
    }))
}
