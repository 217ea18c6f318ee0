//! Linking and merging tickets of one order, as decisions: which two tickets may be linked, which
//! may be merged into which, and where a merged ticket stands in its workflow afterwards.
//!
//! A merge is a way of closing: the merged ticket takes the closed status every kind ends in
//! ([`Status::Closed`]), with no hold to return to, and records which ticket it was merged into
//! (`tickets.merged_into`). It is not a resolution: the reports do not count it as a ticket
//! closed, and nothing is copied onto the target, so no figure counts the case twice.

use crate::ids::{OrderId, ShopId, TicketId};
use crate::rules::workflow::{Position, Status};

/// What the decisions need to know of a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFacts {
    pub id: TicketId,
    pub shop: ShopId,
    pub order: OrderId,
    pub closed: bool,
}

/// Why two tickets may not be linked or merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// A ticket cannot be linked to or merged into itself.
    SameTicket,
    /// The tickets belong to different orders (or shops): only one order's tickets go together.
    OtherOrder,
    /// The ticket to merge is closed already.
    SourceClosed,
    /// The ticket to merge into is closed: a merge goes into an open ticket.
    TargetClosed,
}

impl LinkRefusal {
    /// The catalogue key of the refusal's message.
    pub fn message_key(self) -> &'static str {
        match self {
            LinkRefusal::SameTicket => "links.error.same_ticket",
            LinkRefusal::OtherOrder => "links.error.other_order",
            LinkRefusal::SourceClosed => "links.error.source_closed",
            LinkRefusal::TargetClosed => "links.error.target_closed",
        }
    }

    /// A stable code for the JSON API.
    pub fn code(self) -> &'static str {
        match self {
            LinkRefusal::SameTicket => "same_ticket",
            LinkRefusal::OtherOrder => "other_order",
            LinkRefusal::SourceClosed => "ticket_closed",
            LinkRefusal::TargetClosed => "target_closed",
        }
    }
}

fn same_order(a: &LinkFacts, b: &LinkFacts) -> Result<(), LinkRefusal> {
    if a.id == b.id {
        return Err(LinkRefusal::SameTicket);
    }
    if a.shop != b.shop || a.order != b.order {
        return Err(LinkRefusal::OtherOrder);
    }
    Ok(())
}

/// Whether `a` and `b` may be linked: two tickets of the same order, open or closed (a closed
/// ticket stays a useful reference).
pub fn may_link(a: &LinkFacts, b: &LinkFacts) -> Result<(), LinkRefusal> {
    same_order(a, b)
}

/// Whether `source` may be merged into `target`: the same order, both still open.
pub fn may_merge(source: &LinkFacts, target: &LinkFacts) -> Result<(), LinkRefusal> {
    same_order(source, target)?;
    if source.closed {
        return Err(LinkRefusal::SourceClosed);
    }
    if target.closed {
        return Err(LinkRefusal::TargetClosed);
    }
    Ok(())
}

/// Where a merged ticket stands: closed, whatever it was doing, held or not.
pub fn merged_position(position: Position) -> Position {
    Position {
        kind: position.kind,
        status: Status::Closed,
        held_from: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::workflow::TicketKind;
    use proptest::prelude::*;

    fn facts(id: i64, shop: i64, order: i64, closed: bool) -> LinkFacts {
        LinkFacts {
            id: TicketId(id),
            shop: ShopId(shop),
            order: OrderId(order),
            closed,
        }
    }

    #[test]
    fn two_tickets_of_one_order_may_be_linked_open_or_closed() {
        assert_eq!(may_link(&facts(1, 1, 5, false), &facts(2, 1, 5, false)), Ok(()));
        assert_eq!(may_link(&facts(1, 1, 5, true), &facts(2, 1, 5, false)), Ok(()));
    }

    #[test]
    fn tickets_of_other_orders_or_shops_are_never_linked_or_merged() {
        assert_eq!(
            may_link(&facts(1, 1, 5, false), &facts(2, 1, 6, false)),
            Err(LinkRefusal::OtherOrder)
        );
        assert_eq!(
            may_merge(&facts(1, 1, 5, false), &facts(2, 2, 5, false)),
            Err(LinkRefusal::OtherOrder)
        );
    }

    #[test]
    fn a_ticket_is_neither_linked_to_nor_merged_into_itself() {
        assert_eq!(
            may_link(&facts(3, 1, 5, false), &facts(3, 1, 5, false)),
            Err(LinkRefusal::SameTicket)
        );
        assert_eq!(
            may_merge(&facts(3, 1, 5, false), &facts(3, 1, 5, false)),
            Err(LinkRefusal::SameTicket)
        );
    }

    #[test]
    fn a_merge_goes_from_an_open_ticket_into_an_open_ticket() {
        assert_eq!(may_merge(&facts(1, 1, 5, false), &facts(2, 1, 5, false)), Ok(()));
        assert_eq!(
            may_merge(&facts(1, 1, 5, false), &facts(2, 1, 5, true)),
            Err(LinkRefusal::TargetClosed)
        );
        assert_eq!(
            may_merge(&facts(1, 1, 5, true), &facts(2, 1, 5, false)),
            Err(LinkRefusal::SourceClosed)
        );
    }

    #[test]
    fn every_refusal_has_a_message_key_of_the_links_catalogue() {
        for refusal in [
            LinkRefusal::SameTicket,
            LinkRefusal::OtherOrder,
            LinkRefusal::SourceClosed,
            LinkRefusal::TargetClosed,
        ] {
            assert!(refusal.message_key().starts_with("links.error."), "{refusal:?}");
        }
    }

    proptest! {
        /// Whatever a ticket was doing — held by a supervisor or the platform included — a
        /// merge leaves it closed with nothing to return to, and a closed ticket allows no move.
        #[test]
        fn a_merged_ticket_is_closed_for_good(kind_i in 0usize..6, status_i in 0usize..20, held in any::<bool>()) {
            let kind = TicketKind::ALL[kind_i];
            let status = Status::ALL[status_i];
            let position = Position { kind, status, held_from: held.then_some(Status::Approved) };
            let merged = merged_position(position);
            prop_assert_eq!(merged.status, Status::Closed);
            prop_assert_eq!(merged.held_from, None);
            prop_assert_eq!(merged.kind, kind);
            prop_assert!(merged.allowed_moves().is_empty());
        }

        /// Linking is symmetric: if a may be linked to b, b may be linked to a, and the same
        /// refusal is given either way.
        #[test]
        fn linking_reads_the_same_both_ways(a in 1i64..4, b in 1i64..4, oa in 1i64..3, ob in 1i64..3) {
            let x = facts(a, 1, oa, false);
            let y = facts(b, 1, ob, false);
            prop_assert_eq!(may_link(&x, &y), may_link(&y, &x));
        }
    }
}
