//! The keyboard's pages: the help overlay of the [`SHORTCUTS`] (`?`, served as a translated
//! fragment), and "next ticket in my queue" (`n`), which follows the same order as the queue
//! page (first deadline first), from the place the agent opened the ticket at.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use serde::Deserialize;

use super::SHORTCUTS;
use crate::api::ApiQuery;
use crate::auth::permissions::Action;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::state::AppState;
use crate::tickets::pages::queue::QueuePosition;
use crate::tickets::repo::{self, Filter};
use crate::web::{Page, PageResult, render};

/// The page routes (merged into the pages' router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shortcuts", get(show_shortcuts))
        .route("/tickets/{id}/next", get(next_ticket))
}

/// The help overlay.
#[derive(Template)]
#[template(path = "_shortcuts.html")]
pub struct ShortcutsPartial {
    pub t: Tr,
    pub rows: Vec<(&'static str, &'static str)>,
}

/// The help overlay's content, for `keyboard.js` to show.
pub async fn show_shortcuts(Page { t, .. }: Page) -> PageResult<Html<String>> {
    render(&ShortcutsPartial {
        t,
        rows: SHORTCUTS.iter().map(|(keys, what)| (*keys, t.t(what))).collect(),
    })
}

/// The query of "next ticket": where the agent came from in the queue.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    /// The current ticket's place in the queue as it was shown (`QueuePosition`), carried from
    /// the queue's row to the ticket page and on to here.
    from: Option<String>,
}

/// Goes to the ticket after `id` in the user's queue (their open tickets by first deadline),
/// wrapping round to the first; to the queue when there is none. "After" is the ticket's place
/// as the queue showed it (`from`), not where it stands now: a follow-up just saved has moved
/// its deadline to the end, and the tickets still overdue behind it come next. Without a
/// (readable) `from` the ticket's place now is used. The ticket it goes to carries its own place
/// on, so that walking with `n` keeps following the order shown.
pub async fn next_ticket(
    State(state): State<AppState>,
    Page { user, .. }: Page,
    Path(id): Path<TicketId>,
    ApiQuery(query): ApiQuery<NextQuery>,
) -> PageResult {
    user.require(Action::ReadTickets)?;
    let now = state.now();
    // Workers go through their own tickets; everyone else through all open ones.
    let filter = Filter {
        assignee: user.may(Action::WorkTickets).then_some(user.id),
        open_only: true,
        ..Filter::default()
    };
    let shown = query
        .from
        .as_deref()
        .and_then(QueuePosition::parse)
        .filter(|position| position.id == id);
    let after = match shown {
        Some(position) => Some(position),
        None => repo::get(&state.pool, &user.shops, id)
            .await?
            .map(|t| QueuePosition::of(&t)),
    };
    let mut db = state.pool.acquire().await?;
    let mut next = repo::list_by_due(&mut db, &user.shops, &filter, now, after.map(QueuePosition::keyset), 2).await?;
    next.retain(|t| t.id != id);
    if next.is_empty() {
        next = repo::list_by_due(&mut db, &user.shops, &filter, now, None, 2).await?;
        next.retain(|t| t.id != id);
    }
    Ok(match next.first() {
        Some(ticket) => Redirect::to(&format!(
            "/tickets/{}?from={}",
            ticket.id,
            QueuePosition::of(ticket).to_query()
        ))
        .into_response(),
        None => Redirect::to("/").into_response(),
    })
}
