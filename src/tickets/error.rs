//! What the ticket actions ([`super::service`]) refuse with: [`TicketError`], without HTTP. The
//! JSON API makes its own error from it once (`tickets::api`); the pages show a field's message
//! next to the field and anything else as the page's message, in the user's language.

use super::model::SevenDayRecord;
use crate::auth::Denied;
use crate::edge::FieldError;
use crate::ids::TicketId;
use crate::rules::calendar::CalendarError;
use crate::rules::workflow::MoveError;

/// Why a ticket action did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// A value the person gave cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// An amount outside what the desk accepts (`edge::MAX_AMOUNT`).
    #[error("{}: {}", .0.field, .0.message.english())]
    AmountOutOfRange(FieldError),
    /// A date outside the years the desk accepts (`edge::YEARS`).
    #[error("{}: {}", .0.field, .0.message.english())]
    DateOutOfRange(FieldError),
    /// No such ticket, or one of a shop the user does not belong to.
    #[error("no such ticket")]
    NotFound,
    /// The ticket changed since the version the change was made against.
    #[error("the ticket is now at version {current}")]
    StaleVersion { current: i32 },
    /// The user's role may not do this.
    #[error("the role `{}` may not {}", .0.role.as_str(), .0.action.name())]
    Forbidden(Denied),
    /// The workflow does not allow this move.
    #[error("{0}")]
    IllegalMove(MoveError),
    /// The ticket is closed: nothing more is recorded on it.
    #[error("the ticket is closed")]
    Closed,
    /// The seven-day rule refused the request (and no supervisor overrode it).
    #[error("{explanation}")]
    Refused {
        /// `outside_return_window`, `excluded_category` or `not_intact`.
        code: &'static str,
        /// The decision explained, in the language asked for.
        explanation: String,
        record: Box<SevenDayRecord>,
    },
    /// A deadline falls in a year whose holidays the calendar does not hold.
    #[error("{0}")]
    Calendar(CalendarError),
    /// The `Idempotency-Key` is empty or longer than 200 characters.
    #[error("the Idempotency-Key must have 1–200 characters")]
    BadIdempotencyKey,
    /// The `Idempotency-Key` opened another ticket with a different request.
    #[error("the Idempotency-Key `{key}` was already used for ticket {ticket}")]
    IdempotencyKeyReused { key: String, ticket: TicketId },
    /// The database refused or could not be reached.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// A fault of ours (logged where it is turned into an answer).
    #[error("{0}")]
    Internal(String),
}

impl From<FieldError> for TicketError {
    fn from(error: FieldError) -> TicketError {
        TicketError::Invalid(error)
    }
}

impl From<Denied> for TicketError {
    fn from(denied: Denied) -> TicketError {
        TicketError::Forbidden(denied)
    }
}

impl From<MoveError> for TicketError {
    fn from(error: MoveError) -> TicketError {
        TicketError::IllegalMove(error)
    }
}

impl From<CalendarError> for TicketError {
    fn from(error: CalendarError) -> TicketError {
        TicketError::Calendar(error)
    }
}

impl TicketError {
    /// The field the error is about, with its message, when it is about one.
    pub fn field(&self) -> Option<&FieldError> {
        match self {
            TicketError::Invalid(error) | TicketError::AmountOutOfRange(error) | TicketError::DateOutOfRange(error) => {
                Some(error)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::permissions::Action;
    use crate::rules::workflow::Status;

    #[test]
    fn a_refused_move_and_a_refused_role_read_as_sentences_not_debug_output() {
        let illegal = TicketError::IllegalMove(MoveError::Illegal {
            from: Status::Received,
            to: Status::Closed,
            allowed: vec![Status::Refunded, Status::InspectionFailed],
        });
        assert_eq!(
            illegal.to_string(),
            "a ticket in `received` cannot move to `closed`; allowed: refunded, inspection_failed"
        );
        let closed = TicketError::IllegalMove(MoveError::Illegal {
            from: Status::Closed,
            to: Status::Approved,
            allowed: Vec::new(),
        });
        assert_eq!(
            closed.to_string(),
            "a ticket in `closed` cannot move to `approved`; allowed: none (the ticket is closed)"
        );
        assert_eq!(
            TicketError::IllegalMove(MoveError::ResolutionRequired).to_string(),
            "resolving a logistics ticket needs a resolution: one of delivered, reshipped, refunded, compensated (status `resolved`)"
        );
        let denied = TicketError::Forbidden(Denied {
            role: Role::Agent,
            action: Action::ManageReplies,
        });
        assert!(!denied.to_string().contains('{'), "{denied}");
        assert!(denied.to_string().starts_with("the role `agent` may not "), "{denied}");
    }
}
