//! Where a canned reply fits: the ticket kinds and the statuses it is written for. A reply that
//! tells the buyer "your return is agreed, ship it back by …" fits a return or exchange that is
//! approved, and nothing else; the picker offers a reply only where it fits (the others stay
//! behind "show all", and inserting one asks first). Pure: no I/O.

use crate::edge::FieldError;
use crate::i18n::Lang;
use crate::rules::workflow::{Position, Status, TicketKind};

/// The kinds and statuses a reply is for; an empty list means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fit {
    pub kinds: Vec<TicketKind>,
    pub statuses: Vec<Status>,
}

impl Fit {
    /// A reply for every ticket.
    pub fn any() -> Fit {
        Fit::default()
    }

    /// A reply for tickets of `kinds` in `statuses`.
    pub fn only(kinds: &[TicketKind], statuses: &[Status]) -> Fit {
        Fit {
            kinds: kinds.to_vec(),
            statuses: statuses.to_vec(),
        }
    }

    /// Whether a ticket at `position` is one the reply is for. A held ticket (escalated, with
    /// the platform) still fits the replies of the status it is held from: the buyer's case
    /// stands where it stood.
    pub fn fits(&self, position: &Position) -> bool {
        let kind = self.kinds.is_empty() || self.kinds.contains(&position.kind);
        let status = self.statuses.is_empty()
            || self.statuses.contains(&position.status)
            || position.held_from.is_some_and(|from| self.statuses.contains(&from));
        kind && status
    }

    /// Refuses a fit no ticket can ever have: a status that none of the chosen kinds (or no
    /// kind at all) passes through.
    pub fn check(&self) -> Result<(), FieldError> {
        let kinds: &[TicketKind] = if self.kinds.is_empty() {
            &TicketKind::ALL
        } else {
            &self.kinds
        };
        match self
            .statuses
            .iter()
            .find(|status| !kinds.iter().any(|kind| kind.statuses().contains(status)))
        {
            Some(status) => Err(FieldError::new("statuses", "replies.error.status_not_of_kinds")
                .with("status", status.label(Lang::Zh))
                .with("status_en", status.label(Lang::En))),
            None => Ok(()),
        }
    }

    /// The fit as a person reads it: "退货退款、换货 · 已同意", or the catalogue's "any ticket"
    /// (`None`) when it fits everything.
    pub fn describe(&self, lang: Lang) -> Option<String> {
        if self.kinds.is_empty() && self.statuses.is_empty() {
            return None;
        }
        let separator = match lang {
            Lang::Zh => "、",
            Lang::En => ", ",
        };
        let kinds = self
            .kinds
            .iter()
            .map(|k| k.label(lang))
            .collect::<Vec<_>>()
            .join(separator);
        let statuses = self
            .statuses
            .iter()
            .map(|s| s.label(lang))
            .collect::<Vec<_>>()
            .join(separator);
        Some(match (kinds.is_empty(), statuses.is_empty()) {
            (false, false) => format!("{kinds} · {statuses}"),
            (false, true) => kinds,
            (true, _) => statuses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(kind: TicketKind, status: Status) -> Position {
        Position {
            kind,
            status,
            held_from: None,
        }
    }

    #[test]
    fn the_ship_back_reminder_fits_only_an_approved_return_or_exchange() {
        let fit = Fit::only(&[TicketKind::Return, TicketKind::Exchange], &[Status::Approved]);
        assert!(fit.fits(&at(TicketKind::Return, Status::Approved)));
        assert!(fit.fits(&at(TicketKind::Exchange, Status::Approved)));
        assert!(!fit.fits(&at(TicketKind::Return, Status::Requested)), "not agreed yet");
        assert!(
            !fit.fits(&at(TicketKind::Return, Status::BuyerShipped)),
            "already shipped"
        );
        assert!(
            !fit.fits(&at(TicketKind::Refund, Status::Approved)),
            "nothing to send back"
        );
    }

    #[test]
    fn a_held_ticket_fits_the_replies_of_the_status_it_is_held_from() {
        let fit = Fit::only(&[TicketKind::Return], &[Status::Approved]);
        let escalated = Position {
            kind: TicketKind::Return,
            status: Status::Escalated,
            held_from: Some(Status::Approved),
        };
        assert!(fit.fits(&escalated));
        let from_requested = Position {
            held_from: Some(Status::Requested),
            ..escalated
        };
        assert!(!fit.fits(&from_requested));
    }

    #[test]
    fn a_status_no_chosen_kind_has_is_refused() {
        let fit = Fit::only(&[TicketKind::Refund], &[Status::BuyerShipped]);
        let error = fit.check().unwrap_err();
        assert_eq!(error.field, "statuses");
        assert!(
            Fit::only(&[TicketKind::Return], &[Status::BuyerShipped])
                .check()
                .is_ok()
        );
        assert!(
            Fit::only(&[], &[Status::ExplanationPosted]).check().is_ok(),
            "bad reviews have it"
        );
    }

    #[test]
    fn the_fit_is_described_in_the_readers_language() {
        let fit = Fit::only(&[TicketKind::Return, TicketKind::Exchange], &[Status::Approved]);
        assert_eq!(fit.describe(Lang::Zh).as_deref(), Some("退货退款、换货 · 已同意"));
        assert_eq!(Fit::any().describe(Lang::En), None);
    }

    fn kind() -> impl Strategy<Value = TicketKind> {
        proptest::sample::select(TicketKind::ALL.to_vec())
    }

    fn status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn any_fits_every_position(kind in kind(), status in status()) {
            prop_assert!(Fit::any().fits(&at(kind, status)));
        }

        #[test]
        fn a_fit_never_offers_a_reply_outside_its_kinds_and_statuses(
            kinds in proptest::collection::vec(kind(), 1..3),
            statuses in proptest::collection::vec(status(), 1..4),
            kind in kind(),
            status in status(),
        ) {
            let fit = Fit::only(&kinds, &statuses);
            let expected = kinds.contains(&kind) && statuses.contains(&status);
            prop_assert_eq!(fit.fits(&at(kind, status)), expected);
        }

        #[test]
        fn a_checked_fit_is_met_by_some_position(
            kinds in proptest::collection::vec(kind(), 0..3),
            statuses in proptest::collection::vec(status(), 0..3),
        ) {
            let fit = Fit::only(&kinds, &statuses);
            if fit.check().is_ok() {
                let reachable = TicketKind::ALL.iter().any(|k| {
                    k.statuses().iter().any(|s| fit.fits(&at(*k, *s)))
                });
                prop_assert!(reachable, "{fit:?}");
            }
        }
    }
}
