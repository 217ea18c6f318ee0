//! `/tickets/{id}/buyer`: the buyer's file as a page, and the short summary the ticket page
//! shows beside the ticket.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;

use super::BuyerFile;
use crate::auth::permissions::Action;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::money::{Fen, fen_or_dash};
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::web::views::Layout;
use crate::web::{Page, PageResult, render};

/// The page route (merged into the pages' router).
pub fn router() -> Router<AppState> {
    Router::new().route("/tickets/{id}/buyer", get(show_buyer))
}

/// The counts shown on the ticket page.
#[derive(Debug, PartialEq, Eq)]
pub struct BuyerSummary {
    pub nick: String,
    pub orders: usize,
    pub tickets: usize,
    pub return_requests: i64,
    pub refunds: i64,
    pub repeat_returner: bool,
}

impl BuyerSummary {
    /// The summary from the counts alone (the ticket page).
    pub fn of_counts(counts: &crate::buyers::BuyerCounts) -> BuyerSummary {
        BuyerSummary {
            nick: counts.nick.clone(),
            orders: usize::try_from(counts.orders).unwrap_or(0),
            tickets: usize::try_from(counts.tickets).unwrap_or(0),
            return_requests: counts.return_requests,
            refunds: counts.refunds,
            repeat_returner: counts.repeat_returner(),
        }
    }

    /// The summary of a file.
    pub fn of(file: &BuyerFile) -> BuyerSummary {
        BuyerSummary {
            nick: file.nick.clone(),
            orders: file.orders.len(),
            tickets: file.tickets.len(),
            return_requests: file.return_requests,
            refunds: file.refunds,
            repeat_returner: file.repeat_returner,
        }
    }
}

/// The buyer's file page.
#[derive(Template)]
#[template(path = "buyer.html")]
pub struct BuyerPage {
    pub layout: Layout,
    pub ticket_id: i64,
    pub summary: BuyerSummary,
    pub refunded: String,
    /// The compensation ledger's totals: given, collected, and what waits for approval.
    pub compensation: String,
    pub collected: String,
    pub compensation_waiting: Option<String>,
    pub flag_text: String,
    pub orders: Vec<OrderRow>,
    pub tickets: Vec<TicketRow>,
}

/// An order line of the page.
pub struct OrderRow {
    pub order_no: String,
    pub paid: String,
    pub signed: String,
    pub total: String,
    pub items: String,
    pub tickets: i64,
}

/// A ticket line of the page.
pub struct TicketRow {
    pub id: i64,
    pub current: bool,
    pub order_no: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
    pub refund: String,
    pub opened: String,
    pub refunded: bool,
}

/// Shows the file of a ticket's buyer.
pub async fn show_buyer(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    Path(id): Path<TicketId>,
) -> PageResult<Html<String>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::ReadTickets)?;
    let t = Tr::new(t.lang, ticket.time_zone);
    let file = super::file(&state.pool, ticket.shop_id, ticket.customer_id, state.now()).await?;
    let page = BuyerPage {
        layout: Layout::new(&state, t, &user, "", format!("/tickets/{id}/buyer")),
        ticket_id: id.0,
        summary: BuyerSummary::of(&file),
        refunded: fen_or_dash(file.refunded_fen.map(Fen)),
        compensation: Fen(file.compensation.given_fen).to_string(),
        collected: Fen(file.compensation.collected_fen).to_string(),
        compensation_waiting: (file.compensation.waiting > 0).then(|| {
            t.f(
                "ledger.buyer_waiting",
                &[
                    ("n", &file.compensation.waiting),
                    ("amount", &Fen(file.compensation.waiting_fen)),
                ],
            )
        }),
        flag_text: t.f(
            "buyer.flag_text",
            &[("n", &file.recent_requests), ("days", &super::FLAG_WINDOW_DAYS)],
        ),
        orders: file
            .orders
            .iter()
            .map(|o| OrderRow {
                order_no: o.order_no.clone(),
                paid: t.datetime_opt(&o.paid_at),
                signed: t.datetime_opt(&o.signed_at),
                total: fen_or_dash(o.total_fen.map(Fen)),
                items: o.items.clone(),
                tickets: o.tickets,
            })
            .collect(),
        tickets: file
            .tickets
            .iter()
            .map(|x| TicketRow {
                id: x.id.0,
                current: x.id == id,
                order_no: x.order_no.clone(),
                kind: TicketKind::parse(&x.kind).map(|k| k.label(t.lang)).unwrap_or(""),
                status: Status::parse(&x.status).map(|s| s.label(t.lang)).unwrap_or(""),
                reason: ReasonCode::parse(&x.reason).map(|r| r.label(t.lang)).unwrap_or(""),
                refund: x.refund_fen.map(|f| Fen(f).to_string()).unwrap_or_else(|| "—".into()),
                opened: t.datetime(&x.opened_at),
                refunded: x.refunded,
            })
            .collect(),
    };
    render(&page)
}
