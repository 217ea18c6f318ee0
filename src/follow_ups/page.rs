//! `/follow-ups`: the supervisor's screen — first the risk view (what loses money or standing
//! soonest: platform clocks and decisions, then overdue follow-ups; `rules::risk`), then the
//! overdue and due-soon follow-up queues; each agent's load and compliance (one colour rule:
//! below target red, at target green); unassigned work handed to the least-loaded agent in one
//! click; bulk reassign and bulk escalate, repeatable, with select-all and no default target.

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
use crate::rules::follow_up::COMPLIANCE_TARGET;
use crate::rules::risk::{Exposure, Risk};
use crate::rules::workflow::Status;
use crate::state::AppState;
use crate::tickets::pages::views::{Deadline, TicketRow, show_watchers};
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
        .route("/follow-ups/hand-out", post(hand_out))
}

/// The follow-up queue page.
#[derive(Template)]
#[template(path = "follow_ups.html")]
pub struct FollowUpsPage {
    pub layout: Layout,
    /// Which view: `risk` (default), `overdue` or `due_soon`.
    pub view: &'static str,
    pub overdue_view: bool,
    pub risk_href: String,
    pub overdue_href: String,
    pub soon_href: String,
    /// Open tickets nobody holds, and how many of them are overdue (the call to action).
    pub unassigned_open: i64,
    pub unassigned_text: String,
    pub hours: Vec<Choice>,
    pub agents_filter: Vec<Choice>,
    pub agents: Vec<AgentRow>,
    pub rows: Vec<SupervisedRow>,
    pub workers: Vec<Choice>,
    pub can_act: bool,
    pub here: String,
    pub heading: String,
    /// "Rows 51–100" under the list, and the other pages' addresses.
    pub showing: String,
    pub prev_page: Option<String>,
    pub next_page: Option<String>,
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
    /// The badge class of today's figure (`""`: no figure to judge).
    pub today_class: &'static str,
    pub week: String,
    pub week_class: &'static str,
}

/// A ticket of the supervisor's lists, with (in the risk view) what it stands to lose.
pub struct SupervisedRow {
    pub row: TicketRow,
    pub risk: Option<RiskCell>,
}

/// What a ticket stands to lose and when, as a person reads it.
pub struct RiskCell {
    /// "商家确认收货", "跟进已超时" …
    pub what: String,
    /// What happens at the deadline: "系统自动退款" …
    pub then: String,
    pub deadline: Deadline,
    /// Money or standing (a platform clock), not an internal promise.
    pub money: bool,
}

impl RiskCell {
    fn new(t: Tr, ticket: &crate::tickets::Ticket, found: &Risk, now: chrono::DateTime<chrono::Utc>) -> RiskCell {
        let (what, then) = match found.exposure {
            Exposure::PlatformTimer(kind) => (
                kind.label(t.lang).to_string(),
                kind.on_timeout_label(t.lang).to_string(),
            ),
            Exposure::PlatformDecision => (
                t.t("risk.platform_decision").to_string(),
                t.t("risk.platform_decision_then").to_string(),
            ),
            Exposure::FollowUpOverdue => (
                t.t("risk.follow_up_overdue").to_string(),
                t.t("risk.follow_up_then").to_string(),
            ),
            Exposure::FollowUpDue => (
                t.t("risk.follow_up_due").to_string(),
                t.t("risk.follow_up_then").to_string(),
            ),
        };
        RiskCell {
            what,
            then,
            deadline: Deadline::new(Tr::new(t.lang, ticket.time_zone), Some(found.deadline), now),
            money: found.exposure.tier() == 0,
        }
    }
}

/// The one colour rule of compliance: below target red, at or above it green.
fn compliance_class(in_time: i64, missed: i64) -> &'static str {
    match AgentLoad::compliance(in_time, missed) {
        Some(share) if share < COMPLIANCE_TARGET => "badge-overdue",
        Some(_) => "badge-ok",
        None => "",
    }
}

/// The page's address without a bulk action's result (`done`, `n`, `skipped`), so that the
/// next action's result replaces it instead of repeating the fields.
fn without_result(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !matches!(name, "done" | "n" | "skipped")
        })
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Query of the page.
#[derive(Debug, Default, Deserialize)]
pub struct FollowUpsQuery {
    /// `risk` (default), `overdue` or `due_soon`.
    state: Option<String>,
    hours: Option<i64>,
    /// A user id or `none`.
    agent: Option<String>,
    /// A message code after a bulk action.
    done: Option<String>,
    n: Option<usize>,
    skipped: Option<usize>,
    /// The page of the list, from 1.
    page: Option<usize>,
}

/// Rows on one page of a list: a supervisor works them from the top, and a page of them costs
/// the desk a sixth of the 300 it once showed at once.
pub const PAGE_ROWS: usize = 50;

/// The last page that may be asked for (2,000 rows down).
pub const MAX_PAGE: usize = 40;

/// Which rows of a list one page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    page: usize,
}

impl Window {
    fn new(page: Option<usize>) -> Window {
        Window {
            page: page.unwrap_or(1).clamp(1, MAX_PAGE),
        }
    }

    /// How many rows to read from the top: this page's, those before, and one more to know
    /// whether a next page exists.
    fn read(self) -> usize {
        self.page * PAGE_ROWS + 1
    }

    /// This page's rows of `ranked` (the list from its top), and whether more follow.
    fn cut<T>(self, ranked: Vec<T>) -> (Vec<T>, bool) {
        let more = ranked.len() > self.page * PAGE_ROWS;
        let rows = ranked
            .into_iter()
            .skip((self.page - 1) * PAGE_ROWS)
            .take(PAGE_ROWS)
            .collect();
        (rows, more)
    }
}

/// `here` with `page` in its query in place of any page it had (page 1: none).
fn page_href(here: &str, page: usize) -> String {
    let (base, query) = here.split_once('?').unwrap_or((here, ""));
    let mut kept: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("page"))
        .map(str::to_string)
        .collect();
    if page > 1 {
        kept.push(format!("page={page}"));
    }
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
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
    let here = without_result(here);
    let view = match query.state.as_deref() {
        Some("overdue") => "overdue",
        Some("due_soon") => "due_soon",
        _ => "risk",
    };
    let overdue_view = view == "overdue";
    let hours = query.hours.unwrap_or(4).clamp(1, MAX_SOON_HOURS);
    let (assignee, unassigned) = match query.agent.as_deref() {
        Some("none") => (None, true),
        Some(id) if !id.is_empty() => (id.parse::<UserId>().ok(), false),
        _ => (None, false),
    };
    let soon_until = now + Duration::hours(hours);
    let window = Window::new(query.page);
    // One connection for the page's reads, taken once rather than per read; one of those that
    // keep each statement's first plan (`db::planned`): every read of the page has the same best
    // plan whatever the time, the shops or the agent, and planning them at each call was nearly
    // a third of PostgreSQL's time on the page.
    let mut conn = state.planned_once.pool().acquire().await?;
    let shops = crate::shops::list(&mut *conn, &user.shops).await?;
    // Where the tickets stand is read for the whole list down to this page; only this page's
    // rows are read whole.
    let (mut rows, more): (Vec<SupervisedRow>, bool) = if view == "risk" {
        // The agent is chosen among the ranked tickets: read at least as many as the list once
        // showed, so that one agent's page is not cut short by the others' tickets.
        let filtered = assignee.is_some() || unassigned;
        let read = if filtered {
            window.read().max(300)
        } else {
            window.read()
        };
        let ranked: Vec<_> = crate::follow_ups::risk_ranked(&mut conn, &shops, now, read as i64)
            .await?
            .into_iter()
            .filter(|(standing, _)| match (assignee, unassigned) {
                (_, true) => standing.assignee_id.is_none(),
                (Some(agent), _) => standing.assignee_id == Some(agent),
                _ => true,
            })
            .collect();
        let (page, more) = window.cut(ranked);
        let rows = crate::follow_ups::read_whole(&mut conn, page)
            .await?
            .iter()
            .map(|(ticket, found)| SupervisedRow {
                row: TicketRow::new(t, ticket, now),
                risk: Some(RiskCell::new(t, ticket, found, now)),
            })
            .collect();
        (rows, more)
    } else {
        let (from, until) = if overdue_view {
            (None, now)
        } else {
            (Some(now), soon_until)
        };
        let listed = repo::follow_up_window(
            &mut conn,
            &user.shops,
            from,
            until,
            assignee,
            unassigned,
            window.read() as i64,
        )
        .await?;
        let (page, more) = window.cut(listed);
        let rows = repo::whole(&mut conn, &page)
            .await?
            .iter()
            .map(|ticket| SupervisedRow {
                row: TicketRow::new(t, ticket, now),
                risk: None,
            })
            .collect();
        (rows, more)
    };
    let ids: Vec<TicketId> = rows.iter().map(|s| TicketId(s.row.id)).collect();
    let viewers = crate::live::presence::viewers(&mut *conn, &user.shops, &ids, user.id, now).await?;
    show_watchers(t, rows.iter_mut().map(|s| &mut s.row), &viewers);
    let zone = shops.first().map(|s| s.zone()).unwrap_or(chrono_tz::Asia::Shanghai);
    let loads = agent_loads(
        &mut conn,
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
    let agents: Vec<AgentRow> = loads
        .iter()
        .map(|load| {
            let id = load.agent.map(|a| a.to_string()).unwrap_or_else(|| "none".into());
            // Nobody answers for the unassigned tickets' cycles: no compliance to judge.
            let (today, today_class, week, week_class) = if load.agent.is_some() {
                (
                    percent(t, load.in_time_today, load.missed_today),
                    compliance_class(load.in_time_today, load.missed_today),
                    percent(t, load.in_time_7d, load.missed_7d),
                    compliance_class(load.in_time_7d, load.missed_7d),
                )
            } else {
                ("—".to_string(), "", "—".to_string(), "")
            };
            AgentRow {
                name: load
                    .name
                    .clone()
                    .unwrap_or_else(|| t.t("ticket.unassigned").to_string()),
                href: link(view, &id),
                open: load.open,
                overdue: load.overdue,
                due_soon: load.due_soon,
                today,
                today_class,
                week,
                week_class,
            }
        })
        .collect();
    let (unassigned_open, unassigned_overdue) = loads
        .iter()
        .find(|l| l.agent.is_none())
        .map_or((0, 0), |l| (l.open, l.overdue));
    let mut agents_filter = vec![
        Choice::new(
            "",
            t.t("follow_ups.all_agents"),
            query.agent.as_deref().unwrap_or("").is_empty(),
        ),
        Choice::new("none", t.t("ticket.unassigned"), unassigned),
    ];
    // The reassign target: none chosen by default; people from the least loaded up, each with
    // their open count, the least loaded marked so.
    let chosen = |id: &str| refused.as_ref().is_some_and(|r| r.assignee == id);
    let mut workers = vec![
        Choice::new("", t.t("follow_ups.choose_target"), false),
        Choice::new("none", t.t("follow_ups.unassign"), chosen("none")),
    ];
    let mut by_load: Vec<&AgentLoad> = loads.iter().filter(|l| l.agent.is_some()).collect();
    by_load.sort_by(|a, b| a.open.cmp(&b.open).then(a.agent.cmp(&b.agent)));
    for (i, load) in by_load.iter().enumerate() {
        let (id, name) = (
            load.agent.map(|a| a.to_string()).unwrap_or_default(),
            load.name.clone().unwrap_or_default(),
        );
        agents_filter.push(Choice::new(
            id.clone(),
            name.clone(),
            assignee.map(|a| a.to_string()) == Some(id.clone()),
        ));
        let key = if i == 0 {
            "follow_ups.target_least"
        } else {
            "follow_ups.target"
        };
        let label = t.f(key, &[("name", &name), ("open", &load.open)]);
        workers.push(Choice::new(id.clone(), label, chosen(&id)));
    }
    let mut layout = Layout::new(state, t, user, "follow_ups", &here);
    // After a refused bulk action the message is beside the boxes; an earlier action's result
    // (still in the address) is not repeated.
    layout.flash = query.done.as_deref().filter(|_| refused.is_none()).map(|done| Flash {
        ok: query.skipped.unwrap_or(0) == 0,
        text: t.f(
            match done {
                "escalated" => "follow_ups.done_escalated",
                "handed_out" => "follow_ups.done_handed_out",
                _ => "follow_ups.done_reassigned",
            },
            &[("n", &query.n.unwrap_or(0)), ("skipped", &query.skipped.unwrap_or(0))],
        ),
    });
    // The count in the heading is the list's when it ends on this page, else "more than" the
    // rows down to this page's last.
    let first = (window.page - 1) * PAGE_ROWS;
    let counted = first + rows.len();
    let heading = match (view, more) {
        ("risk", false) => t.f("follow_ups.risk_heading", &[("n", &counted)]),
        ("risk", true) => t.f("follow_ups.risk_heading_more", &[("n", &counted)]),
        ("overdue", false) => t.f("follow_ups.overdue_heading", &[("n", &counted)]),
        ("overdue", true) => t.f("follow_ups.overdue_heading_more", &[("n", &counted)]),
        (_, false) => t.f("follow_ups.soon_heading", &[("n", &counted), ("hours", &hours)]),
        (_, true) => t.f("follow_ups.soon_heading_more", &[("n", &counted), ("hours", &hours)]),
    };
    let showing = if rows.is_empty() {
        String::new()
    } else {
        t.f("follow_ups.showing", &[("from", &(first + 1)), ("to", &counted)])
    };
    let prev_page = (window.page > 1).then(|| page_href(&here, window.page - 1));
    let next_page = (more && window.page < MAX_PAGE).then(|| page_href(&here, window.page + 1));
    Ok(FollowUpsPage {
        layout,
        view,
        overdue_view,
        risk_href: link("risk", &agent_param),
        overdue_href: link("overdue", &agent_param),
        soon_href: link("due_soon", &agent_param),
        unassigned_open,
        unassigned_text: t.f(
            "follow_ups.unassigned_call",
            &[("n", &unassigned_open), ("overdue", &unassigned_overdue)],
        ),
        hours: [1, 2, 4, 8, 24]
            .iter()
            .map(|h| Choice::new(h.to_string(), t.f("follow_ups.within", &[("hours", h)]), *h == hours))
            .collect(),
        agents_filter,
        agents,
        rows,
        workers,
        can_act: user.may(Action::BulkFollowUps),
        here,
        heading,
        showing,
        prev_page,
        next_page,
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
    let target = without_result(&safe_next(field(form, "back")));
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
    // No default target: the person is chosen, or "unassign" is.
    let assignee = match field(&form, "assignee").unwrap_or("") {
        "" => {
            let error = FieldError::new("assignee", "follow_ups.error.choose_target");
            return refuse(&state, &page, &form, error).await;
        }
        "none" => None,
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

/// Hands unassigned tickets to the least-loaded agent of their shop: the one on whose row the
/// button was pressed (`one`), else the ticked ones, else (`all`) every unassigned open ticket
/// (at most 500 at a time, most pressing first).
pub async fn hand_out(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::BulkFollowUps)?;
    let ids: Vec<TicketId> = if let Some(one) = field(&form, "one") {
        match one.parse() {
            Ok(id) => vec![id],
            Err(_) => {
                let error = FieldError::new("ticket", "form.tick_from_list");
                return refuse(&state, &page, &form, error).await;
            }
        }
    } else if field(&form, "all").is_some() {
        repo::list_unassigned(&state.pool, &page.user.shops, 500)
            .await?
            .iter()
            .map(|t| t.id)
            .collect()
    } else {
        match selected_tickets(&form) {
            Ok(ids) => ids,
            Err(error) => return refuse(&state, &page, &form, error).await,
        }
    };
    let handed = crate::follow_ups::hand_out(&state.pool, &page.user, &page.user.shops, &ids, state.now())
        .await
        .map_err(ApiError::from)?;
    Ok(back(&page, &form, "handed_out", handed.given.len(), handed.skipped))
}

#[cfg(test)]
mod tests {
    use super::{MAX_PAGE, PAGE_ROWS, Window, page_href};

    #[test]
    fn a_page_reads_down_to_its_last_row_and_one_more() {
        assert_eq!(Window::new(None).read(), PAGE_ROWS + 1);
        assert_eq!(Window::new(Some(3)).read(), 3 * PAGE_ROWS + 1);
        assert_eq!(Window::new(Some(0)), Window::new(Some(1)));
        assert_eq!(Window::new(Some(10_000)), Window::new(Some(MAX_PAGE)));
    }

    #[test]
    fn a_page_shows_its_rows_and_knows_whether_more_follow() {
        let ranked: Vec<usize> = (0..120).collect();
        let (rows, more) = Window::new(Some(2)).cut(ranked.clone());
        assert_eq!(rows, (50..100).collect::<Vec<_>>());
        assert!(more);
        let (rows, more) = Window::new(Some(3)).cut(ranked.clone());
        assert_eq!(rows, (100..120).collect::<Vec<_>>());
        assert!(!more);
        let (rows, more) = Window::new(Some(1)).cut((0..50).collect::<Vec<usize>>());
        assert_eq!(rows.len(), 50);
        assert!(!more, "exactly a page: nothing follows");
        let (rows, more) = Window::new(Some(4)).cut(ranked);
        assert!(rows.is_empty() && !more, "past the end: an empty page");
    }

    #[test]
    fn page_links_keep_the_view_and_replace_the_page() {
        assert_eq!(page_href("/follow-ups", 2), "/follow-ups?page=2");
        assert_eq!(
            page_href("/follow-ups?state=overdue&page=3&agent=7", 4),
            "/follow-ups?state=overdue&agent=7&page=4"
        );
        assert_eq!(page_href("/follow-ups?page=2", 1), "/follow-ups");
        assert_eq!(page_href("/follow-ups?state=risk&page=2", 1), "/follow-ups?state=risk");
    }
}
