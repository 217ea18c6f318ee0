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
use crate::i18n::{Message, Tr};
use crate::rules::workflow::{MoveError, Status};
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
        .route("/tickets/{id}/changes", get(ticket::show_changes))
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
    /// At the top, from the catalogue.
    Told(StatusCode, Message),
    /// At the top: a move the workflow does not allow, with the statuses' names.
    IllegalMove {
        from: Status,
        to: Status,
        allowed: Vec<Status>,
    },
    /// The error page.
    Page(PageError),
}

impl Refusal {
    /// The status a plain (non-htmx) post answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Field(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Said(error) => error.status,
            Refusal::Told(status, _) => *status,
            Refusal::IllegalMove { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Page(error) => error.status,
        }
    }

    /// What to say at the top of the page, in `t`'s language.
    pub fn text(&self, t: Tr) -> String {
        match self {
            Refusal::Field(error) => t.message(&error.message),
            Refusal::Said(error) => crate::web::error::error_text(t, error.code, &error.message),
            Refusal::Told(_, message) => t.message(message),
            Refusal::IllegalMove { from, to, allowed } => {
                let (from, to) = (from.label(t.lang), to.label(t.lang));
                if allowed.is_empty() {
                    t.f("workflow.error.illegal_move_closed", &[("from", &from), ("to", &to)])
                } else {
                    let allowed: Vec<&str> = allowed.iter().map(|s| s.label(t.lang)).collect();
                    let allowed = allowed.join(t.t("workflow.list_separator"));
                    t.f(
                        "workflow.error.illegal_move",
                        &[("from", &from), ("to", &to), ("allowed", &allowed)],
                    )
                }
            }
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

impl From<crate::auth::UnknownShop> for Refusal {
    /// The error page, as for a shop that does not exist.
    fn from(unknown: crate::auth::UnknownShop) -> Refusal {
        Refusal::from(ApiError::from(unknown))
    }
}

impl From<TicketError> for Refusal {
    fn from(error: TicketError) -> Refusal {
        match error {
            TicketError::Invalid(field) | TicketError::AmountOutOfRange(field) | TicketError::DateOutOfRange(field) => {
                Refusal::Field(field)
            }
            TicketError::IllegalMove(MoveError::ResolutionRequired) => {
                Refusal::Field(FieldError::new("resolution", "workflow.error.resolution_required"))
            }
            TicketError::IllegalMove(MoveError::Illegal { from, to, allowed }) => {
                Refusal::IllegalMove { from, to, allowed }
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
            crate::evidence::EvidenceError::NotMultipart => {
                Refusal::Told(StatusCode::BAD_REQUEST, Message::new("evidence.error.not_multipart"))
            }
            crate::evidence::EvidenceError::Unreadable(_) => {
                Refusal::Told(StatusCode::BAD_REQUEST, Message::new("evidence.error.unreadable"))
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn tr(lang: Lang) -> Tr {
        Tr::new(lang, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn an_illegal_move_is_said_with_the_statuses_names_in_each_language() {
        let refusal = Refusal::from(TicketError::IllegalMove(MoveError::Illegal {
            from: Status::Received,
            to: Status::Closed,
            allowed: vec![Status::Refunded, Status::InspectionFailed],
        }));
        assert_eq!(refusal.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let zh = refusal.text(tr(Lang::Zh));
        let en = refusal.text(tr(Lang::En));
        for (lang, text) in [(Lang::Zh, &zh), (Lang::En, &en)] {
            for status in [
                Status::Received,
                Status::Closed,
                Status::Refunded,
                Status::InspectionFailed,
            ] {
                assert!(text.contains(status.label(lang)), "{text} names {}", status.as_str());
                assert!(!text.contains(status.as_str()), "{text} has no status code");
            }
        }
        assert!(zh.contains("、"), "{zh}");
        assert!(en.contains(", "), "{en}");
    }

    #[test]
    fn a_move_on_a_closed_ticket_says_it_no_longer_changes() {
        let refusal = Refusal::from(TicketError::IllegalMove(MoveError::Illegal {
            from: Status::Closed,
            to: Status::Approved,
            allowed: Vec::new(),
        }));
        assert_eq!(
            refusal.text(tr(Lang::Zh)),
            "工单现在是“已关闭”，不能改为“已同意”：工单已关闭，状态不再改变。"
        );
        assert_eq!(
            refusal.text(tr(Lang::En)),
            "A ticket that is “Closed” cannot move to “Approved”: it is closed and its status no longer changes."
        );
    }

    #[test]
    fn a_missing_resolution_is_a_field_error_on_the_resolution() {
        match Refusal::from(TicketError::IllegalMove(MoveError::ResolutionRequired)) {
            Refusal::Field(error) => {
                assert_eq!(error.field, "resolution");
                assert_ne!(
                    tr(Lang::Zh).message(&error.message),
                    tr(Lang::En).message(&error.message)
                );
            }
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn an_upload_that_is_not_a_file_form_is_told_from_the_catalogue() {
        for (error, key) in [
            (
                crate::evidence::EvidenceError::NotMultipart,
                "evidence.error.not_multipart",
            ),
            (
                crate::evidence::EvidenceError::Unreadable("cut off".into()),
                "evidence.error.unreadable",
            ),
        ] {
            let refusal = Refusal::from(error);
            assert_eq!(refusal.status(), StatusCode::BAD_REQUEST);
            assert_eq!(refusal.text(tr(Lang::Zh)), tr(Lang::Zh).t(key));
            assert_eq!(refusal.text(tr(Lang::En)), tr(Lang::En).t(key));
        }
    }
}
