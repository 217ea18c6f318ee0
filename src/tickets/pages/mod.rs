//! The ticket pages: the agent's queue (`/`), one ticket with its timeline and actions
//! (`/tickets/{id}`), and the new-ticket form (`/tickets/new`).

pub mod new_ticket;
pub mod queue;
pub mod ticket;
pub mod views;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tickets::TicketError;
use crate::web::PageError;

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

/// A refused action as a ticket page answers it: a field's message next to the field (the
/// form shown again with what was typed), anything else the person can act on at the top of
/// the page, and a missing ticket or a fault of ours as the error page.
#[derive(Debug)]
pub enum Refusal {
    /// Next to this field.
    Field(FieldError),
    /// At the top: the catalogue's text for the code, else the error's own message.
    Said(ApiError),
    /// The error page.
    Page(PageError),
}

impl Refusal {
    /// The status a plain (non-htmx) post answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Field(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Said(error) => error.status,
            Refusal::Page(error) => error.status,
        }
    }

    /// What to say at the top of the page, in `t`'s language.
    pub fn text(&self, t: Tr) -> String {
        match self {
            Refusal::Field(error) => t.message(&error.message),
            Refusal::Said(error) => crate::web::error::error_text(t, error.code, &error.message),
            Refusal::Page(error) => error.text(t),
        }
    }
}

impl From<FieldError> for Refusal {
    fn from(error: FieldError) -> Refusal {
        Refusal::Field(error)
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() {
            Refusal::Page(error.into())
        } else {
            Refusal::Said(error)
        }
    }
}

impl From<TicketError> for Refusal {
    fn from(error: TicketError) -> Refusal {
        match error {
            TicketError::Invalid(field) | TicketError::AmountOutOfRange(field) | TicketError::DateOutOfRange(field) => {
                Refusal::Field(field)
            }
            other => Refusal::from(ApiError::from(other)),
        }
    }
}

impl From<crate::visits::VisitError> for Refusal {
    fn from(error: crate::visits::VisitError) -> Refusal {
        match error {
            crate::visits::VisitError::Invalid(field) => Refusal::Field(field),
            crate::visits::VisitError::Ticket(error) => Refusal::from(error),
            other => Refusal::from(ApiError::from(other)),
        }
    }
}

impl From<crate::evidence::EvidenceError> for Refusal {
    fn from(error: crate::evidence::EvidenceError) -> Refusal {
        match error {
            crate::evidence::EvidenceError::Invalid(field) => Refusal::Field(field),
            crate::evidence::EvidenceError::Ticket(error) => Refusal::from(error),
            other => Refusal::from(ApiError::from(other)),
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Refusal {
        Refusal::from(ApiError::from(error))
    }
}
