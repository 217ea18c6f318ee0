//! The supervisor's JSON: `GET /api/v1/shops/{shop}/follow-ups` (the overdue and due-soon
//! queues), `GET /api/v1/shops/{shop}/risk` (the risk view) and
//! `POST /api/v1/shops/{shop}/hand-out` (unassigned tickets to the least-loaded agents).

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
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::risk::Exposure;
use crate::state::AppState;
use crate::tickets::{TicketView, repo};

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(follow_up_queue))
        .routes(routes!(risk_view))
        .routes(routes!(hand_out))
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
    // As the supervisor's page reads them (`follow_ups::page`): on the connections that keep
    // each statement's first plan.
    let mut conn = state.planned_once.pool().acquire().await?;
    let found = repo::follow_up_window(&mut conn, &shops, from, until, assignee, unassigned, limit).await?;
    let tickets = repo::whole(&mut conn, &found).await?;
    let zone = crate::shops::get(&mut *conn, shop)
        .await?
        .map(|s| s.zone())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let agents = super::agent_loads(
        &mut conn,
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

/// One ticket of the risk view: what it stands to lose and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskEntry {
    pub ticket: TicketView,
    /// `platform_timer`, `platform_decision`, `follow_up_overdue` or `follow_up_due`.
    pub exposure: &'static str,
    /// For a platform timer: which one (as in `TicketView.timers`).
    pub timer: Option<&'static str>,
    /// When it strikes, in the shop's zone.
    pub deadline: chrono::DateTime<chrono::FixedOffset>,
    /// What happens then, in the asker's language.
    pub then: String,
    /// 0: money or standing (a platform clock); 1: overdue follow-up; 2: follow-up due.
    pub tier: u8,
}

/// The shop's open tickets by what they stand to lose soonest: platform clocks and decisions
/// running out within 24 hours first, then overdue follow-ups, then follow-ups due within 24
/// hours (`rules::risk`).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/risk", tag = "follow-ups",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<RiskEntry>), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn risk_view(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<RiskEntry>>> {
    user.require_shop(shop)?;
    user.require(Action::SeeFollowUps)?;
    let now = state.now();
    let lang = request_lang(&headers);
    let t = crate::i18n::Tr::new(lang, chrono_tz::Asia::Shanghai);
    let planned = state.planned_once.pool();
    let shops = crate::shops::list(planned, &[shop]).await?;
    let ranked = super::risk_list(planned, &shops, now, 300).await?;
    Ok(Json(
        ranked
            .iter()
            .map(|(ticket, risk)| {
                let (exposure, timer, then) = match risk.exposure {
                    Exposure::PlatformTimer(kind) => (
                        "platform_timer",
                        Some(kind.as_str()),
                        kind.on_timeout_label(lang).to_string(),
                    ),
                    Exposure::PlatformDecision => (
                        "platform_decision",
                        None,
                        t.t("risk.platform_decision_then").to_string(),
                    ),
                    Exposure::FollowUpOverdue => ("follow_up_overdue", None, t.t("risk.follow_up_then").to_string()),
                    Exposure::FollowUpDue => ("follow_up_due", None, t.t("risk.follow_up_then").to_string()),
                };
                RiskEntry {
                    ticket: TicketView::new(ticket, now, lang),
                    exposure,
                    timer,
                    deadline: risk.deadline.with_timezone(&ticket.time_zone).fixed_offset(),
                    then,
                    tier: risk.exposure.tier(),
                }
            })
            .collect(),
    ))
}

/// Which unassigned tickets to hand out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOut {
    /// These tickets; absent: every unassigned open ticket of the shop (at most 500, most
    /// pressing first).
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    pub tickets: Option<Vec<TicketId>>,
}

/// What was handed out.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandedOutView {
    /// `(ticket, agent's name)` per ticket given.
    pub given: Vec<HandedTicket>,
    /// Tickets someone took meanwhile, closed, or in a shop without an agent.
    pub skipped: usize,
}

/// One ticket given to an agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandedTicket {
    #[schema(value_type = i64)]
    pub ticket: TicketId,
    pub agent: String,
}

/// Gives unassigned tickets, one by one, to the shop's agent with the fewest open tickets.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/hand-out", tag = "follow-ups",
    params(("shop" = i64, Path, description = "shop id")), request_body = HandOut,
    responses((status = 200, body = HandedOutView), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn hand_out(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    crate::api::ApiJson(input): crate::api::ApiJson<HandOut>,
) -> ApiResult<Json<HandedOutView>> {
    user.require_shop(shop)?;
    user.require(Action::BulkFollowUps)?;
    let ids = match input.tickets {
        Some(ids) => ids,
        None => repo::list_unassigned(&state.pool, &[shop], 500)
            .await?
            .iter()
            .map(|t| t.id)
            .collect(),
    };
    let handed = super::hand_out(&state.pool, &user, &[shop], &ids, state.now()).await?;
    Ok(Json(HandedOutView {
        given: handed
            .given
            .into_iter()
            .map(|(ticket, agent)| HandedTicket { ticket, agent })
            .collect(),
        skipped: handed.skipped,
    }))
}
