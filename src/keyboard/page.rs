//! The keyboard's pages: the help overlay of the [`SHORTCUTS`] (`?`, served as a translated
//! fragment), and "next ticket in my queue" (`n`), which follows the same order as the queue
//! page (first deadline first).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::SHORTCUTS;
use crate::auth::permissions::Action;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::state::AppState;
use crate::tickets::repo::{self, Filter};
use crate::web::{Page, PageResult, render_page};

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
    render_page(&ShortcutsPartial {
        t,
        rows: SHORTCUTS.iter().map(|(keys, what)| (*keys, t.t(what))).collect(),
    })
}

/// Goes to the ticket after `id` in the user's queue (their open tickets by first deadline),
/// wrapping round to the first; to the queue when there is none.
pub async fn next_ticket(
    State(state): State<AppState>,
    Page { user, .. }: Page,
    Path(id): Path<TicketId>,
) -> PageResult {
    user.require(Action::ReadTickets)?;
    let now = state.now();
    let current = repo::get(&state.pool, &user.shops, id).await?;
    // Workers go through their own tickets; everyone else through all open ones.
    let filter = Filter {
        assignee: user.may(Action::WorkTickets).then_some(user.id),
        open_only: true,
        ..Filter::default()
    };
    // Tickets without any deadline sort last in the queue ('infinity'); the latest instant
    // stands for it here.
    let after = current.map(|t| (t.queue_due_at.unwrap_or(DateTime::<Utc>::MAX_UTC), t.id));
    let mut next = repo::list_by_due(&state.pool, &user.shops, &filter, now, after, 2).await?;
    next.retain(|t| t.id != id);
    if next.is_empty() {
        next = repo::list_by_due(&state.pool, &user.shops, &filter, now, None, 2).await?;
        next.retain(|t| t.id != id);
    }
    Ok(match next.first() {
        Some(ticket) => Redirect::to(&format!("/tickets/{}", ticket.id)).into_response(),
        None => Redirect::to("/").into_response(),
    })
}
