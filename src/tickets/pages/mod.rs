//! The ticket pages: the agent's queue (`/`), one ticket with its timeline and actions
//! (`/tickets/{id}`), and the new-ticket form (`/tickets/new`).

pub mod new_ticket;
pub mod queue;
pub mod ticket;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The ticket pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(queue::show_queue))
        .route("/tickets/new", get(new_ticket::show_form))
        .route("/tickets", post(new_ticket::open_ticket))
        .route("/tickets/{id}", get(ticket::show_ticket))
        .route("/tickets/{id}/follow-ups", post(ticket::record_follow_up))
        .route("/tickets/{id}/notes", post(ticket::add_note))
        .route("/tickets/{id}/transitions", post(ticket::move_ticket))
        .route("/tickets/{id}/assignment", post(ticket::assign_ticket))
        .route("/tickets/{id}/return-visits", post(ticket::record_return_visit))
}
