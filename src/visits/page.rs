//! `/visits`: the return visits waiting for an answer in the user's shops, soonest due first,
//! and each shop's satisfaction over the last 30 days. The answer itself is recorded on the
//! ticket page.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use chrono::Duration;

use crate::auth::permissions::Action;
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::tickets::pages::views::Deadline;
use crate::web::views::Layout;
use crate::web::{Page, PageResult, render};

/// The page route (merged into the pages' router).
pub fn router() -> Router<AppState> {
    Router::new().route("/visits", get(show_visits))
}

/// The visits page.
#[derive(Template)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    pub layout: Layout,
    pub rows: Vec<VisitRow>,
    pub shops: Vec<SatisfactionRow>,
}

/// A waiting visit.
pub struct VisitRow {
    pub ticket_id: i64,
    pub buyer: String,
    pub order_no: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub assignee: String,
    pub due: Deadline,
}

/// One shop's satisfaction.
pub struct SatisfactionRow {
    pub shop: String,
    pub answered: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
    pub rate: String,
    pub waiting: i64,
}

/// Shows the waiting visits.
pub async fn show_visits(State(state): State<AppState>, Page { user, t, .. }: Page) -> PageResult<Html<String>> {
    user.require(Action::ReadTickets)?;
    let now = state.now();
    let waiting = super::waiting(&state.pool, &user.shops, 200).await?;
    let rows = waiting
        .iter()
        .map(|v| VisitRow {
            ticket_id: v.ticket_id.0,
            buyer: v.buyer.clone(),
            order_no: v.order_no.clone(),
            kind: TicketKind::parse(&v.kind).map(|k| k.label(t.lang)).unwrap_or(""),
            status: Status::parse(&v.status).map(|s| s.label(t.lang)).unwrap_or(""),
            assignee: v
                .assignee_name
                .clone()
                .unwrap_or_else(|| t.t("ticket.unassigned").to_string()),
            due: Deadline::new(t, Some(v.due_at), now),
        })
        .collect();
    let mut shops = Vec::new();
    if user.may(Action::SeeReports) {
        for shop in crate::shops::list(&state.pool, &user.shops).await? {
            let s = super::satisfaction(&state.pool, shop.id, now - Duration::days(30), now, now).await?;
            shops.push(SatisfactionRow {
                shop: shop.name.clone(),
                answered: s.answered,
                satisfied: s.satisfied,
                not_satisfied: s.not_satisfied,
                rate: s
                    .satisfaction_permille
                    .map(|p| format!("{}.{}%", p / 10, p % 10))
                    .unwrap_or_else(|| "—".into()),
                waiting: s.waiting,
            });
        }
    }
    render(&VisitsPage {
        layout: Layout::new(&state, t, &user, "visits", "/visits"),
        rows,
        shops,
    })
}
