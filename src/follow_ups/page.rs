//! `/follow-ups`: the supervisor's view of the 24-hour cycle — overdue and due-soon tickets across
//! the shop, each agent's load and compliance, bulk reassign and bulk escalate.

use crate::api::ApiForm;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::follow_ups::api::MAX_SOON_HOURS;
use crate::follow_ups::{AgentLoad, agent_loads};
use crate::i18n::Tr;
use crate::ids::{TicketId, UserId};
use crate::rules::workflow::Status;
use crate::state::AppState;
use crate::tickets::pages::views::TicketRow;
use crate::tickets::repo;
use crate::tickets::service::{self, NewAssignment, NewTransition};
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render, safe_next, urlencode};

/// The follow-up pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/follow-ups", get(show_follow_ups))
        .route("/follow-ups/reassign", post(bulk_reassign))
        .route("/follow-ups/escalate", post(bulk_escalate))
}

/// The follow-up queue page.
#[derive(Template)]
#[template(path = "follow_ups.html")]
pub struct FollowUpsPage {
    pub layout: Layout,
    pub overdue_view: bool,
    pub overdue_href: String,
    pub soon_href: String,
    pub hours: Vec<Choice>,
    pub agents_filter: Vec<Choice>,
    pub agents: Vec<AgentRow>,
    pub rows: Vec<TicketRow>,
    pub workers: Vec<Choice>,
    pub can_act: bool,
    pub here: String,
    pub heading: String,
    /// A refused bulk action's message, next to the ticked boxes (`errors.get("ticket")`).
    pub errors: FormErrors,
}

/// One agent's line in the load table.
pub struct AgentRow {
    pub name: String,
    pub href: String,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub today: String,
    pub week: String,
    pub week_low: bool,
}

/// Query of the page.
#[derive(Debug, Default, Deserialize)]
pub struct FollowUpsQuery {
    /// `overdue` (default) or `due_soon`.
    state: Option<String>,
    hours: Option<i64>,
    /// A user id or `none`.
    agent: Option<String>,
    /// A message code after a bulk action.
    done: Option<String>,
    n: Option<usize>,
    skipped: Option<usize>,
}

fn percent(t: Tr, in_time: i64, missed: i64) -> String {
    match AgentLoad::compliance(in_time, missed) {
        Some(share) => format!("{share:.0}% ({in_time}/{})", in_time + missed),
        None => t.t("follow_ups.no_cycles").to_string(),
    }
}

/// Shows the queues.
pub async fn show_follow_ups(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<FollowUpsQuery>,
) -> PageResult {
    let view = queue_page(&state, &page.user, page.t, &page.path, &query, None).await?;
    Ok(render(&view)?.into_response())
}

/// A bulk action shown again: what went wrong, and the agent that was chosen.
struct Refused {
    errors: FormErrors,
    assignee: String,
}

/// The page at `here` (its address with the query), with a refused bulk action's message.
async fn queue_page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    here: &str,
    query: &FollowUpsQuery,
    refused: Option<Refused>,
) -> PageResult<FollowUpsPage> {
    user.require(Action::SeeFollowUps)?;
    let now = state.now();
    let overdue_view = query.state.as_deref() != Some("due_soon");
    let hours = query.hours.unwrap_or(4).clamp(1, MAX_SOON_HOURS);
    let (assignee, unassigned) = match query.agent.as_deref() {
        Some("none") => (None, true),
        Some(id) if !id.is_empty() => (id.parse::<UserId>().ok(), false),
        _ => (None, false),
    };
    let soon_until = now + Duration::hours(hours);
    let (from, until) = if overdue_view {
        (None, now)
    } else {
        (Some(now), soon_until)
    };
    let tickets = repo::list_follow_up_window(&state.pool, &user.shops, from, until, assignee, unassigned, 300).await?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let zone = shops.first().map(|s| s.zone()).unwrap_or(chrono_tz::Asia::Shanghai);
    let loads = agent_loads(
        &state.pool,
        &user.shops,
        now,
        soon_until,
        now.with_timezone(&zone).date_naive(),
    )
    .await?;

    let agent_param = query.agent.clone().unwrap_or_default();
    let link = |state_name: &str, agent: &str| {
        let mut href = format!("/follow-ups?state={state_name}&hours={hours}");
        if !agent.is_empty() {
            href.push_str(&format!("&agent={}", urlencode(agent)));
        }
        href
    };
    let state_name = if overdue_view { "overdue" } else { "due_soon" };
    let agents: Vec<AgentRow> = loads
        .iter()
        .map(|load| {
            let id = load.agent.map(|a| a.to_string()).unwrap_or_else(|| "none".into());
            AgentRow {
                name: load
                    .name
                    .clone()
                    .unwrap_or_else(|| t.t("ticket.unassigned").to_string()),
                href: link(state_name, &id),
                open: load.open,
                overdue: load.overdue,
                due_soon: load.due_soon,
                today: percent(t, load.in_time_today, load.missed_today),
                week: percent(t, load.in_time_7d, load.missed_7d),
                week_low: AgentLoad::compliance(load.in_time_7d, load.missed_7d).is_some_and(|share| share < 90.0),
            }
        })
        .collect();
    let mut agents_filter = vec![
        Choice::new(
            "",
            t.t("follow_ups.all_agents"),
            query.agent.as_deref().unwrap_or("").is_empty(),
        ),
        Choice::new("none", t.t("ticket.unassigned"), unassigned),
    ];
    let mut workers = Vec::new();
    for load in loads.iter().filter(|l| l.agent.is_some()) {
        let (id, name) = (
            load.agent.map(|a| a.to_string()).unwrap_or_default(),
            load.name.clone().unwrap_or_default(),
        );
        agents_filter.push(Choice::new(
            id.clone(),
            name.clone(),
            assignee.map(|a| a.to_string()) == Some(id.clone()),
        ));
        let chosen = refused.as_ref().is_some_and(|r| r.assignee == id);
        workers.push(Choice::new(id, name, chosen));
    }
    let mut layout = Layout::new(state, t, user, "follow_ups", here);
    // After a refused bulk action the message is beside the boxes; an earlier action's result
    // (still in the address) is not repeated.
    layout.flash = query.done.as_deref().filter(|_| refused.is_none()).map(|done| Flash {
        ok: query.skipped.unwrap_or(0) == 0,
        text: t.f(
            if done == "escalated" {
                "follow_ups.done_escalated"
            } else {
                "follow_ups.done_reassigned"
            },
            &[("n", &query.n.unwrap_or(0)), ("skipped", &query.skipped.unwrap_or(0))],
        ),
    });
    let heading = if overdue_view {
        t.f("follow_ups.overdue_heading", &[("n", &tickets.len())])
    } else {
        t.f("follow_ups.soon_heading", &[("n", &tickets.len()), ("hours", &hours)])
    };
    Ok(FollowUpsPage {
        layout,
        overdue_view,
        overdue_href: link("overdue", &agent_param),
        soon_href: link("due_soon", &agent_param),
        hours: [1, 2, 4, 8, 24]
            .iter()
            .map(|h| Choice::new(h.to_string(), t.f("follow_ups.within", &[("hours", h)]), *h == hours))
            .collect(),
        agents_filter,
        agents,
        rows: tickets.iter().map(|ticket| TicketRow::new(t, ticket, now)).collect(),
        workers,
        can_act: user.may(Action::BulkFollowUps),
        here: here.to_string(),
        heading,
        errors: refused.map(|r| r.errors).unwrap_or_default(),
    })
}

fn selected_tickets(form: &[(String, String)]) -> Result<Vec<TicketId>, FieldError> {
    let ids: Result<Vec<TicketId>, _> = form
        .iter()
        .filter(|(k, _)| k == "ticket")
        .map(|(_, v)| v.parse())
        .collect();
    let ids = ids.map_err(|_| FieldError::new("ticket", "form.tick_from_list"))?;
    if ids.is_empty() {
        return Err(FieldError::new("ticket", "form.tick_tickets"));
    }
    Ok(ids)
}

/// The queue again (422; 200 for htmx, which swaps only successful answers) with a refused bulk
/// action's message next to the ticked boxes and the chosen agent kept: the page the form was
/// posted from (`back`).
async fn refuse(state: &AppState, page: &Page, form: &[(String, String)], error: FieldError) -> PageResult {
    let here = safe_next(field(form, "back"));
    let query = here
        .parse::<Uri>()
        .ok()
        .and_then(|uri| axum::extract::Query::<FollowUpsQuery>::try_from_uri(&uri).ok())
        .map(|query| query.0)
        .unwrap_or_default();
    let refused = Refused {
        errors: FormErrors::one(page.t, &error),
        assignee: field(form, "assignee").unwrap_or("").to_string(),
    };
    let view = queue_page(state, &page.user, page.t, &here, &query, Some(refused)).await?;
    let status = if page.htmx {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&view)?).into_response())
}

/// Whether a bulk action goes on past a ticket it could not change (counted as skipped): yes
/// for what the person could not have known (changed, closed, refused); no for a fault.
fn skip(error: crate::tickets::TicketError) -> Result<(), PageError> {
    let error = ApiError::from(error);
    if error.status.is_client_error() {
        Ok(())
    } else {
        Err(error.into())
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Back to the queue the form was posted from, saying what was done: a redirect, or for htmx
/// a full page load of it (`HX-Redirect`).
fn back(page: &Page, form: &[(String, String)], done: &str, n: usize, skipped: usize) -> Response {
    let target = safe_next(field(form, "back"));
    let joiner = if target.contains('?') { '&' } else { '?' };
    let target = format!("{target}{joiner}done={done}&n={n}&skipped={skipped}");
    if page.htmx
        && let Ok(value) = HeaderValue::from_str(&target)
    {
        return ([("hx-redirect", value)], StatusCode::OK).into_response();
    }
    Redirect::to(&target).into_response()
}

/// Reassigns the ticked tickets to one agent.
pub async fn bulk_reassign(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::BulkFollowUps)?;
    let ids = match selected_tickets(&form) {
        Ok(ids) => ids,
        Err(error) => return refuse(&state, &page, &form, error).await,
    };
    let assignee = match field(&form, "assignee").unwrap_or("") {
        "" => None,
        id => match id.parse::<UserId>() {
            Ok(id) => Some(id),
            Err(_) => {
                let error = FieldError::new("assignee", "form.choose_person");
                return refuse(&state, &page, &form, error).await;
            }
        },
    };
    let (mut done, mut skipped) = (0, 0);
    for id in ids {
        let input = NewAssignment {
            assignee,
            version: None,
        };
        match service::assign(&state.pool, &page.user, id, input, state.now()).await {
            Ok(_) => done += 1,
            Err(error) => {
                skip(error)?;
                skipped += 1;
            }
        }
    }
    Ok(back(&page, &form, "reassigned", done, skipped))
}

/// Escalates the ticked tickets (status `escalated`, back to where they were later).
pub async fn bulk_escalate(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let user = &page.user;
    user.require(Action::BulkFollowUps)?;
    let ids = match selected_tickets(&form) {
        Ok(ids) => ids,
        Err(error) => return refuse(&state, &page, &form, error).await,
    };
    let note = field(&form, "note")
        .map(str::to_string)
        .filter(|n| !n.trim().is_empty());
    let calendar = state.calendar();
    let (mut done, mut skipped) = (0, 0);
    for id in ids {
        let Some(ticket) = repo::get(&state.pool, &user.shops, id).await? else {
            skipped += 1;
            continue;
        };
        let input = NewTransition {
            note: note.clone(),
            ..NewTransition::plain(Status::Escalated, ticket.version)
        };
        match service::transition(&state.pool, &calendar, user, id, input, state.now()).await {
            Ok(_) => done += 1,
            Err(error) => {
                skip(error)?;
                skipped += 1;
            }
        }
    }
    Ok(back(&page, &form, "escalated", done, skipped))
}
