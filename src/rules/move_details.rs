//! Which moves need details typed before they happen (the page's move forms, the API's
//! transition fields).
//!
//! Most moves are a bare button: "close", "escalate". Some are only meaningful with facts the
//! agent types: why a request is refused. [`needed`] says, per ticket kind, status and move,
//! which [`MoveDetail`]s a move needs; the ticket service refuses a move without them (422
//! naming the field) and the ticket page shows such a move as its own small form with those
//! fields instead of a button.
//!
//! Adding a detail: a variant here (its [`MoveDetail::as_str`] names the template fragment
//! `templates/_move_<name>.html`, its [`MoveDetail::fields`] the fields it posts), a line in
//! [`needed`], its fields on `tickets::service::NewTransition` and `MoveDetails` (and on the
//! page's `TransitionForm` and `MoveDraft`), and the arms the compiler then asks for in
//! `tickets::service::check_details` and `templates/_move_detail.html`.

use crate::rules::workflow::{Position, Status, TicketKind};

/// A group of fields a move needs typed before it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MoveDetail {
    /// 同意退款 and 已退款: the amount, confirmed ([`crate::rules::refund`] says what it may be).
    RefundAmount,
    /// 拒绝: a reason from a fixed list ([`crate::rules::rejection::RejectionReason`]) and a
    /// note saying what happened.
    RejectionReason,
    /// Approving a return or exchange: the shop's return address the goods go back to (the
    /// default preselected; a shop without any records none).
    ReturnAddress,
    /// 买家已寄回: the carrier and the tracking number ([`crate::rules::shipment`]).
    Shipment,
    /// Confirming receipt, or refunding a received return: the inspection checklist and
    /// photos, if given ([`crate::rules::inspection`]).
    Inspection,
    /// 验货不通过: the checklist with an item not ok and at least one photo, required.
    FailedInspection,
}

impl MoveDetail {
    /// Every detail.
    pub const ALL: [MoveDetail; 6] = [
        MoveDetail::RefundAmount,
        MoveDetail::RejectionReason,
        MoveDetail::ReturnAddress,
        MoveDetail::Shipment,
        MoveDetail::Inspection,
        MoveDetail::FailedInspection,
    ];

    /// The detail's name: `templates/_move_<name>.html` is its fragment.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveDetail::RefundAmount => "refund_amount",
            MoveDetail::RejectionReason => "rejection_reason",
            MoveDetail::ReturnAddress => "return_address",
            MoveDetail::Shipment => "shipment",
            MoveDetail::Inspection => "inspection",
            MoveDetail::FailedInspection => "failed_inspection",
        }
    }

    /// The fields the detail posts (form and API alike), besides the move's `note`: a refusal
    /// about one of them is shown next to it.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            MoveDetail::RefundAmount => &["refund_fen"],
            MoveDetail::RejectionReason => &["rejection_reason"],
            MoveDetail::ReturnAddress => &["return_address"],
            MoveDetail::Shipment => &["carrier", "tracking_no"],
            MoveDetail::Inspection | MoveDetail::FailedInspection => &["checklist", "photos"],
        }
    }

    /// Whether the move's `note` becomes required (a refusal must say what happened).
    pub fn requires_note(self) -> bool {
        match self {
            MoveDetail::RefundAmount => false,
            MoveDetail::RejectionReason => true,
            MoveDetail::ReturnAddress
            | MoveDetail::Shipment
            | MoveDetail::Inspection
            | MoveDetail::FailedInspection => false,
        }
    }

    /// Whether the detail is about the goods of a return or exchange (looked up and recorded
    /// by `tickets::goods`).
    pub fn is_goods(self) -> bool {
        matches!(
            self,
            MoveDetail::ReturnAddress | MoveDetail::Shipment | MoveDetail::Inspection | MoveDetail::FailedInspection
        )
    }
}

/// The details a move from `from` to `to` needs, in the order a form asks for them; none for
/// a plain move. Putting a ticket on hold, or taking it back from a hold to where it was,
/// needs nothing: the details were given when the status was first reached.
pub fn needed(from: &Position, to: Status) -> &'static [MoveDetail] {
    if to.is_hold() || from.status.is_hold() {
        return &[];
    }
    use Status::*;
    use TicketKind::{Exchange, Refund, Return};
    match (from.kind, from.status, to) {
        // A refund-only request is agreed for an amount; a return's refund is agreed only
        // once the goods are back, when it is paid (with the checklist, if given, when it is
        // refunded straight after receipt).
        (Refund, _, Approved) => &[MoveDetail::RefundAmount],
        (Return, Received, Refunded) => &[MoveDetail::RefundAmount, MoveDetail::Inspection],
        (_, _, Refunded) => &[MoveDetail::RefundAmount],
        (Refund | Return | Exchange, _, Rejected) => &[MoveDetail::RejectionReason],
        // The goods steps of a return or exchange (`rules::inspection`).
        (Return | Exchange, Requested, Approved) => &[MoveDetail::ReturnAddress],
        (Return | Exchange, Approved, BuyerShipped) => &[MoveDetail::Shipment],
        (Return | Exchange, BuyerShipped, Received) => &[MoveDetail::Inspection],
        (Return, Received, InspectionFailed) => &[MoveDetail::FailedInspection],
        _ => &[],
    }
}

/// Whether some move out of `from` asks for a detail about the goods (a return address, the
/// buyer's shipment, an inspection): the ticket page then offers the goods' forms and reads the
/// shop's return addresses for them.
pub fn some_move_handles_goods(from: &Position) -> bool {
    from.allowed_moves()
        .into_iter()
        .any(|to| needed(from, to).iter().any(|d| d.is_goods()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::workflow::Resolution;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_fields_are_unique() {
        let names: HashSet<_> = MoveDetail::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(names.len(), MoveDetail::ALL.len());
        for detail in MoveDetail::ALL {
            assert!(!detail.fields().is_empty(), "{detail:?} asks for nothing");
            for taken in ["to", "version", "note", "csrf"] {
                assert!(!detail.fields().contains(&taken), "{detail:?} posts {taken}");
            }
        }
    }

    #[test]
    fn the_goods_forms_are_offered_where_a_move_asks_for_the_goods_and_only_there() {
        let at = |kind, status| Position {
            kind,
            status,
            held_from: None,
        };
        // Approving asks for the address, the buyer's shipment for the tracking number, the
        // goods' arrival for the inspection.
        for (kind, status) in [
            (TicketKind::Return, Status::Requested),
            (TicketKind::Exchange, Status::Requested),
            (TicketKind::Return, Status::Approved),
            (TicketKind::Return, Status::BuyerShipped),
        ] {
            assert!(some_move_handles_goods(&at(kind, status)), "{kind:?} {status:?}");
        }
        // A refund without goods, a complaint, and a closed return ask for none.
        for (kind, status) in [
            (TicketKind::Refund, Status::Requested),
            (TicketKind::Complaint, Status::Requested),
            (TicketKind::Return, Status::Closed),
        ] {
            assert!(!some_move_handles_goods(&at(kind, status)), "{kind:?} {status:?}");
        }
    }

    #[test]
    fn every_rejection_needs_a_reason_and_approving_a_return_or_exchange_its_address() {
        for kind in [TicketKind::Refund, TicketKind::Return, TicketKind::Exchange] {
            assert_eq!(
                needed(&Position::new(kind), Status::Rejected),
                &[MoveDetail::RejectionReason],
                "{kind:?}"
            );
        }
        for kind in [TicketKind::Return, TicketKind::Exchange] {
            assert_eq!(
                needed(&Position::new(kind), Status::Approved),
                &[MoveDetail::ReturnAddress],
                "{kind:?}"
            );
        }
        let failed = Position {
            kind: TicketKind::Return,
            status: Status::InspectionFailed,
            held_from: None,
        };
        assert_eq!(needed(&failed, Status::Rejected), &[MoveDetail::RejectionReason]);
    }

    #[test]
    fn the_goods_steps_are_those_of_returns_and_exchanges() {
        use Status::*;
        let at = |kind, status| Position {
            kind,
            status,
            held_from: None,
        };
        for kind in [TicketKind::Return, TicketKind::Exchange] {
            assert_eq!(needed(&at(kind, Approved), BuyerShipped), &[MoveDetail::Shipment]);
            assert_eq!(needed(&at(kind, BuyerShipped), Received), &[MoveDetail::Inspection]);
        }
        let received = at(TicketKind::Return, Received);
        assert_eq!(needed(&received, InspectionFailed), &[MoveDetail::FailedInspection]);
        assert_eq!(
            needed(&received, Refunded),
            &[MoveDetail::RefundAmount, MoveDetail::Inspection]
        );
        assert!(!needed(&at(TicketKind::Return, InspectionFailed), Refunded).contains(&MoveDetail::Inspection));
        assert!(needed(&at(TicketKind::Exchange, Received), ReplacementShipped).is_empty());
        assert!(
            MoveDetail::ALL
                .iter()
                .filter(|d| d.is_goods())
                .all(|d| !d.requires_note())
        );
    }

    #[test]
    fn approving_a_refund_and_every_refund_confirm_the_amount() {
        let refund = Position::new(TicketKind::Refund);
        assert_eq!(needed(&refund, Status::Approved), &[MoveDetail::RefundAmount]);
        let approved = refund.apply(Status::Approved, None).expect("legal");
        assert_eq!(needed(&approved, Status::Refunded), &[MoveDetail::RefundAmount]);
        for from in [Status::Received, Status::InspectionFailed] {
            let ret = Position {
                kind: TicketKind::Return,
                status: from,
                held_from: None,
            };
            assert!(
                needed(&ret, Status::Refunded).contains(&MoveDetail::RefundAmount),
                "{from:?}"
            );
        }
        // Agreeing to take goods back is not agreeing to an amount yet.
        for kind in [TicketKind::Return, TicketKind::Exchange] {
            assert!(!needed(&Position::new(kind), Status::Approved).contains(&MoveDetail::RefundAmount));
        }
    }

    #[test]
    fn going_back_from_a_hold_needs_no_details_again() {
        let rejected = Position::new(TicketKind::Refund)
            .apply(Status::Rejected, None)
            .expect("legal");
        assert!(needed(&rejected, Status::PlatformIntervention).is_empty());
        let held = rejected.apply(Status::PlatformIntervention, None).expect("legal");
        assert!(needed(&held, Status::Rejected).is_empty());
    }

    fn any_kind() -> impl Strategy<Value = TicketKind> {
        prop::sample::select(TicketKind::ALL.to_vec())
    }

    proptest! {
        /// Wherever a ticket stands, a move needs details only if it is a real step forward:
        /// never a hold or the way back from one; and every move into `refunded` or
        /// `rejected` that is a real step needs its amount or its reason.
        #[test]
        fn holds_never_need_details(kind in any_kind(), steps in prop::collection::vec(0usize..8, 0..20)) {
            let mut position = Position::new(kind);
            for step in steps {
                let moves = position.allowed_moves();
                if moves.is_empty() { break; }
                let to = moves[step % moves.len()];
                if to.is_hold() || position.status.is_hold() {
                    prop_assert!(needed(&position, to).is_empty());
                } else if to == Status::Refunded {
                    prop_assert!(needed(&position, to).contains(&MoveDetail::RefundAmount));
                } else if to == Status::Rejected {
                    prop_assert!(needed(&position, to).contains(&MoveDetail::RejectionReason));
                }
                position = position.apply(to, Some(Resolution::Delivered)).expect("legal");
            }
        }

        /// Goods details are asked only of returns and exchanges, on moves of their own workflow.
        #[test]
        fn goods_details_are_only_on_legal_moves_of_returns_and_exchanges(
            kind in any_kind(),
            from in prop::sample::select(Status::ALL.to_vec()),
            to in prop::sample::select(Status::ALL.to_vec()),
        ) {
            let position = Position { kind, status: from, held_from: None };
            if needed(&position, to).iter().any(|d| d.is_goods()) {
                prop_assert!(matches!(kind, TicketKind::Return | TicketKind::Exchange));
                prop_assert!(kind.moves_from(from).contains(&to), "{:?} {:?} → {:?}", kind, from, to);
            }
        }
    }
}
