//! Ticket kinds, their statuses and the legal moves between them (SPEC "Tickets").
//!
//! Each kind has an explicit state machine ([`TicketKind::moves_from`]). On top of it, any ticket
//! that is not closed may be put on hold — escalated to a supervisor or handed to the platform
//! (平台介入) — and comes back to the status it was held from.
//!
//! **Return visits (回访).** A ticket that is done but not yet closed — `resolved`, `refunded`,
//! `replacement_shipped` ([`Status::asks_for_return_visit`]) — gets a return visit: the buyer is
//! asked whether the problem is solved. A *not satisfied* answer reopens it with
//! [`Position::reopen`], a move of its own that is not among the agent's buttons (only the
//! recorded answer makes it): complaint → `investigating`, logistics → `carrier_contacted`,
//! refund → `approved` (a further refund or compensation is arranged), return → `received`
//! (the refund is reassessed with the goods in hand), exchange → `approved` (another exchange).
//! Closed stays final: a ticket closed before the visit is not reopened (a new ticket is).

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// The five kinds of ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TicketKind {
    /// 仅退款: refund only.
    Refund,
    /// 退货退款: return the goods and refund.
    Return,
    /// 换货: exchange.
    Exchange,
    /// 投诉: complaint.
    Complaint,
    /// 物流: delayed, lost, damaged, wrong address, interception.
    Logistics,
    /// 中差评: a neutral or negative review — contact the buyer, then an explanation posted
    /// under the review, the review revised, or an appeal to the platform.
    BadReview,
}

/// Every status any kind can be in. Which ones a kind uses is [`TicketKind::statuses`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Status {
    Requested,
    Approved,
    Rejected,
    BuyerShipped,
    Received,
    InspectionFailed,
    Refunded,
    ReplacementShipped,
    Open,
    Investigating,
    ResolutionProposed,
    CarrierContacted,
    Resolved,
    Closed,
    Escalated,
    PlatformIntervention,
    /// A bad review: the agent has reached the buyer.
    BuyerContacted,
    /// A bad review: the shop's explanation is posted under the review.
    ExplanationPosted,
    /// A bad review: the buyer changed (or removed) the review.
    ReviewRevised,
    /// A bad review: the shop appealed to the platform (e.g. an abusive or extortionate review).
    Appealed,
}

/// The coarse group of a status, for display (badge colours).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusGroup {
    /// Being worked.
    Open,
    /// Waiting on a supervisor or the platform.
    Held,
    /// Finished in the buyer's favour or closed.
    Done,
    /// Refused.
    Refused,
}

/// How a logistics case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Resolution {
    Delivered,
    Reshipped,
    Refunded,
    Compensated,
}

/// Ticket urgency, as agents set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

use Status::*;

impl TicketKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [TicketKind; 6] = [
        TicketKind::Refund,
        TicketKind::Return,
        TicketKind::Exchange,
        TicketKind::Complaint,
        TicketKind::Logistics,
        TicketKind::BadReview,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Refund => "refund",
            TicketKind::Return => "return",
            TicketKind::Exchange => "exchange",
            TicketKind::Complaint => "complaint",
            TicketKind::Logistics => "logistics",
            TicketKind::BadReview => "bad_review",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<TicketKind> {
        TicketKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The name a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TicketKind::Refund, Lang::Zh) => "仅退款",
            (TicketKind::Refund, Lang::En) => "Refund only",
            (TicketKind::Return, Lang::Zh) => "退货退款",
            (TicketKind::Return, Lang::En) => "Return & refund",
            (TicketKind::Exchange, Lang::Zh) => "换货",
            (TicketKind::Exchange, Lang::En) => "Exchange",
            (TicketKind::Complaint, Lang::Zh) => "投诉",
            (TicketKind::Complaint, Lang::En) => "Complaint",
            (TicketKind::Logistics, Lang::Zh) => "物流",
            (TicketKind::Logistics, Lang::En) => "Logistics",
            (TicketKind::BadReview, Lang::Zh) => "中差评",
            (TicketKind::BadReview, Lang::En) => "Bad review",
        }
    }

    /// The status a new ticket of this kind starts in.
    pub fn initial_status(self) -> Status {
        match self {
            TicketKind::Refund | TicketKind::Return | TicketKind::Exchange => Requested,
            TicketKind::Complaint | TicketKind::Logistics | TicketKind::BadReview => Open,
        }
    }

    /// Whether requests of this kind concern goods the buyer may send back without reason, so
    /// that the seven-day rule applies to a `no_reason` request.
    pub fn subject_to_seven_day_rule(self) -> bool {
        matches!(self, TicketKind::Refund | TicketKind::Return | TicketKind::Exchange)
    }

    /// Every status a ticket of this kind can be in, in workflow order.
    pub fn statuses(self) -> &'static [Status] {
        match self {
            TicketKind::Refund => &[
                Requested,
                Approved,
                Rejected,
                Refunded,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
            TicketKind::Return => &[
                Requested,
                Approved,
                Rejected,
                BuyerShipped,
                Received,
                InspectionFailed,
                Refunded,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
            TicketKind::Exchange => &[
                Requested,
                Approved,
                Rejected,
                BuyerShipped,
                Received,
                ReplacementShipped,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
            TicketKind::Complaint => &[
                Open,
                Investigating,
                ResolutionProposed,
                Resolved,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
            TicketKind::Logistics => &[
                Open,
                CarrierContacted,
                Resolved,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
            TicketKind::BadReview => &[
                Open,
                BuyerContacted,
                ExplanationPosted,
                ReviewRevised,
                Appealed,
                Closed,
                Escalated,
                PlatformIntervention,
            ],
        }
    }

    /// The kind's own state machine: where a ticket in `from` may go next (holds excluded).
    pub fn moves_from(self, from: Status) -> &'static [Status] {
        match (self, from) {
            (TicketKind::Refund, Requested) => &[Approved, Rejected],
            (TicketKind::Refund, Approved) => &[Refunded],
            (TicketKind::Refund, Refunded | Rejected) => &[Closed],

            (TicketKind::Return, Requested) => &[Approved, Rejected],
            (TicketKind::Return, Approved) => &[BuyerShipped],
            (TicketKind::Return, BuyerShipped) => &[Received],
            (TicketKind::Return, Received) => &[Refunded, InspectionFailed],
            (TicketKind::Return, InspectionFailed) => &[Rejected, Refunded],
            (TicketKind::Return, Refunded | Rejected) => &[Closed],

            (TicketKind::Exchange, Requested) => &[Approved, Rejected],
            (TicketKind::Exchange, Approved) => &[BuyerShipped],
            (TicketKind::Exchange, BuyerShipped) => &[Received],
            (TicketKind::Exchange, Received) => &[ReplacementShipped],
            (TicketKind::Exchange, ReplacementShipped | Rejected) => &[Closed],

            (TicketKind::Complaint, Open) => &[Investigating],
            (TicketKind::Complaint, Investigating) => &[ResolutionProposed],
            // The buyer may turn the proposal down: back to investigating.
            (TicketKind::Complaint, ResolutionProposed) => &[Resolved, Investigating],
            (TicketKind::Complaint, Resolved) => &[Closed],

            (TicketKind::Logistics, Open) => &[CarrierContacted],
            (TicketKind::Logistics, CarrierContacted) => &[Resolved],
            (TicketKind::Logistics, Resolved) => &[Closed],

            // A bad review: reach the buyer first if possible; the review is revised, or the
            // shop answers it publicly, or appeals to the platform; an appeal ends either way.
            (TicketKind::BadReview, Open) => &[BuyerContacted, ExplanationPosted, Appealed],
            (TicketKind::BadReview, BuyerContacted) => &[ReviewRevised, ExplanationPosted, Appealed],
            (TicketKind::BadReview, Appealed) => &[ReviewRevised, ExplanationPosted],
            (TicketKind::BadReview, ExplanationPosted | ReviewRevised) => &[Closed],

            _ => &[],
        }
    }
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 20] = [
        Requested,
        Approved,
        Rejected,
        BuyerShipped,
        Received,
        InspectionFailed,
        Refunded,
        ReplacementShipped,
        Open,
        Investigating,
        ResolutionProposed,
        CarrierContacted,
        Resolved,
        Closed,
        Escalated,
        PlatformIntervention,
        BuyerContacted,
        ExplanationPosted,
        ReviewRevised,
        Appealed,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Requested => "requested",
            Approved => "approved",
            Rejected => "rejected",
            BuyerShipped => "buyer_shipped",
            Received => "received",
            InspectionFailed => "inspection_failed",
            Refunded => "refunded",
            ReplacementShipped => "replacement_shipped",
            Open => "open",
            Investigating => "investigating",
            ResolutionProposed => "resolution_proposed",
            CarrierContacted => "carrier_contacted",
            Resolved => "resolved",
            Closed => "closed",
            Escalated => "escalated",
            PlatformIntervention => "platform_intervention",
            BuyerContacted => "buyer_contacted",
            ExplanationPosted => "explanation_posted",
            ReviewRevised => "review_revised",
            Appealed => "appealed",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The name a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Requested, Lang::Zh) => "待处理",
            (Requested, Lang::En) => "Requested",
            (Approved, Lang::Zh) => "已同意",
            (Approved, Lang::En) => "Approved",
            (Rejected, Lang::Zh) => "已拒绝",
            (Rejected, Lang::En) => "Rejected",
            (BuyerShipped, Lang::Zh) => "买家已退货",
            (BuyerShipped, Lang::En) => "Buyer shipped",
            (Received, Lang::Zh) => "已收货",
            (Received, Lang::En) => "Received",
            (InspectionFailed, Lang::Zh) => "验货不通过",
            (InspectionFailed, Lang::En) => "Inspection failed",
            (Refunded, Lang::Zh) => "已退款",
            (Refunded, Lang::En) => "Refunded",
            (ReplacementShipped, Lang::Zh) => "已换新发出",
            (ReplacementShipped, Lang::En) => "Replacement shipped",
            (Open, Lang::Zh) => "新建",
            (Open, Lang::En) => "Open",
            (Investigating, Lang::Zh) => "调查中",
            (Investigating, Lang::En) => "Investigating",
            (ResolutionProposed, Lang::Zh) => "已提出方案",
            (ResolutionProposed, Lang::En) => "Resolution proposed",
            (CarrierContacted, Lang::Zh) => "已联系快递",
            (CarrierContacted, Lang::En) => "Carrier contacted",
            (Resolved, Lang::Zh) => "已解决",
            (Resolved, Lang::En) => "Resolved",
            (Closed, Lang::Zh) => "已关闭",
            (Closed, Lang::En) => "Closed",
            (Escalated, Lang::Zh) => "已升级主管",
            (Escalated, Lang::En) => "Escalated",
            (PlatformIntervention, Lang::Zh) => "平台介入",
            (PlatformIntervention, Lang::En) => "Platform intervention",
            (BuyerContacted, Lang::Zh) => "已联系买家",
            (BuyerContacted, Lang::En) => "Buyer contacted",
            (ExplanationPosted, Lang::Zh) => "已发布解释",
            (ExplanationPosted, Lang::En) => "Explanation posted",
            (ReviewRevised, Lang::Zh) => "买家已修改评价",
            (ReviewRevised, Lang::En) => "Review revised",
            (Appealed, Lang::Zh) => "已申诉",
            (Appealed, Lang::En) => "Appealed",
        }
    }

    /// A ticket on hold waits for a supervisor or the platform and returns where it came from.
    pub fn is_hold(self) -> bool {
        matches!(self, Escalated | PlatformIntervention)
    }

    /// Whether the ticket is finished for good.
    pub fn is_closed(self) -> bool {
        self == Closed
    }

    /// Whether reaching this status schedules a return visit (回访): the ticket is done and only
    /// waits to be closed.
    pub fn asks_for_return_visit(self) -> bool {
        matches!(self, Resolved | Refunded | ReplacementShipped)
    }

    /// Whether the 24-hour follow-up cycle runs (SPEC rule 2): not for closed tickets, nor for
    /// rejected and resolved ones that only wait to be closed.
    pub fn in_follow_up_cycle(self) -> bool {
        // A bad review whose outcome is settled (explained, revised) waits only for closing too.
        !matches!(self, Closed | Rejected | Resolved | ExplanationPosted | ReviewRevised)
    }

    /// Coarse grouping for display.
    pub fn group(self) -> StatusGroup {
        match self {
            Escalated | PlatformIntervention => StatusGroup::Held,
            Closed | Resolved | Refunded | ReplacementShipped | ExplanationPosted | ReviewRevised => StatusGroup::Done,
            Rejected | InspectionFailed => StatusGroup::Refused,
            _ => StatusGroup::Open,
        }
    }
}

impl Resolution {
    /// Every resolution.
    pub const ALL: [Resolution; 4] = [
        Resolution::Delivered,
        Resolution::Reshipped,
        Resolution::Refunded,
        Resolution::Compensated,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Delivered => "delivered",
            Resolution::Reshipped => "reshipped",
            Resolution::Refunded => "refunded",
            Resolution::Compensated => "compensated",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Resolution> {
        Resolution::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Resolution::Delivered, Lang::Zh) => "已妥投",
            (Resolution::Delivered, Lang::En) => "Delivered",
            (Resolution::Reshipped, Lang::Zh) => "已补发",
            (Resolution::Reshipped, Lang::En) => "Reshipped",
            (Resolution::Refunded, Lang::Zh) => "已退款",
            (Resolution::Refunded, Lang::En) => "Refunded",
            (Resolution::Compensated, Lang::Zh) => "已赔偿",
            (Resolution::Compensated, Lang::En) => "Compensated",
        }
    }
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The name a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Priority::Low, Lang::Zh) => "低",
            (Priority::Low, Lang::En) => "Low",
            (Priority::Normal, Lang::Zh) => "普通",
            (Priority::Normal, Lang::En) => "Normal",
            (Priority::High, Lang::Zh) => "高",
            (Priority::High, Lang::En) => "High",
            (Priority::Urgent, Lang::Zh) => "紧急",
            (Priority::Urgent, Lang::En) => "Urgent",
        }
    }
}

/// Where a ticket stands in its workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    pub kind: TicketKind,
    pub status: Status,
    /// Set exactly when `status` is a hold: the status to return to.
    pub held_from: Option<Status>,
}

/// A move the workflow refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveError {
    /// `to` is not reachable from the current status; `allowed` lists what is.
    Illegal {
        from: Status,
        to: Status,
        allowed: Vec<Status>,
    },
    /// Resolving a logistics case needs its resolution.
    ResolutionRequired,
}

impl std::fmt::Display for MoveError {
    /// For developers and the JSON API, with the statuses' codes: "a ticket in `received`
    /// cannot move to `closed`; allowed: refunded". (A page says it with the statuses' names.)
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Illegal { from, to, allowed } => {
                write!(
                    f,
                    "a ticket in `{}` cannot move to `{}`; allowed: ",
                    from.as_str(),
                    to.as_str()
                )?;
                if allowed.is_empty() {
                    write!(f, "none (the ticket is closed)")
                } else {
                    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                    write!(f, "{}", names.join(", "))
                }
            }
            MoveError::ResolutionRequired => {
                let names: Vec<&str> = Resolution::ALL.iter().map(|r| r.as_str()).collect();
                write!(
                    f,
                    "resolving a logistics ticket needs a resolution: one of {} (status `{}`)",
                    names.join(", "),
                    Resolved.as_str()
                )
            }
        }
    }
}

impl Position {
    /// A new ticket's position.
    pub fn new(kind: TicketKind) -> Position {
        Position {
            kind,
            status: kind.initial_status(),
            held_from: None,
        }
    }

    /// Every status this ticket may move to now, in workflow order.
    pub fn allowed_moves(&self) -> Vec<Status> {
        match (self.status, self.held_from) {
            (Closed, _) => Vec::new(),
            (Escalated, Some(back)) => vec![back, PlatformIntervention],
            (PlatformIntervention, Some(back)) => vec![back],
            // A hold without a way back cannot be reached through `apply`; offer nothing rather
            // than guess.
            (Escalated | PlatformIntervention, None) => Vec::new(),
            (status, _) => {
                let mut moves = self.kind.moves_from(status).to_vec();
                moves.extend([Escalated, PlatformIntervention]);
                moves
            }
        }
    }

    /// Where a not-satisfied return visit sends a done ticket back to, for this kind.
    pub fn reopen_target(&self) -> Option<Status> {
        match (self.kind, self.status) {
            (TicketKind::Complaint, Resolved) => Some(Investigating),
            (TicketKind::Logistics, Resolved) => Some(CarrierContacted),
            (TicketKind::Refund, Refunded) => Some(Approved),
            (TicketKind::Return, Refunded) => Some(Received),
            (TicketKind::Exchange, ReplacementShipped) => Some(Approved),
            _ => None,
        }
    }

    /// Reopens a done ticket after a not-satisfied return visit (see the module docs); `None`
    /// for a ticket that is not done (closed, held, or still being worked).
    pub fn reopen(&self) -> Option<Position> {
        self.reopen_target().map(|status| Position {
            kind: self.kind,
            status,
            held_from: None,
        })
    }

    /// Applies a move, or says why it is not allowed. `resolution` is required when a logistics
    /// case moves to `resolved`.
    pub fn apply(&self, to: Status, resolution: Option<Resolution>) -> Result<Position, MoveError> {
        let allowed = self.allowed_moves();
        if !allowed.contains(&to) {
            return Err(MoveError::Illegal {
                from: self.status,
                to,
                allowed,
            });
        }
        if self.kind == TicketKind::Logistics && to == Resolved && resolution.is_none() {
            return Err(MoveError::ResolutionRequired);
        }
        let held_from = match (to.is_hold(), self.held_from) {
            // Escalated → platform intervention keeps the original way back.
            (true, Some(back)) => Some(back),
            (true, None) => Some(self.status),
            (false, _) => None,
        };
        Ok(Position {
            kind: self.kind,
            status: to,
            held_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn walk(kind: TicketKind, path: &[Status]) -> Result<Position, MoveError> {
        let mut position = Position::new(kind);
        for &to in path {
            position = position.apply(to, Some(Resolution::Delivered))?;
        }
        Ok(position)
    }

    #[test]
    fn refund_runs_from_request_to_closing() {
        let end = walk(TicketKind::Refund, &[Approved, Refunded, Closed]).expect("legal");
        assert_eq!(end.status, Closed);
        walk(TicketKind::Refund, &[Rejected, Closed]).expect("rejection path is legal");
    }

    #[test]
    fn return_runs_through_shipping_receipt_and_inspection() {
        walk(
            TicketKind::Return,
            &[Approved, BuyerShipped, Received, Refunded, Closed],
        )
        .expect("legal");
        walk(
            TicketKind::Return,
            &[Approved, BuyerShipped, Received, InspectionFailed, Rejected, Closed],
        )
        .expect("failed inspection may be rejected");
        walk(
            TicketKind::Return,
            &[Approved, BuyerShipped, Received, InspectionFailed, Refunded, Closed],
        )
        .expect("failed inspection may still be refunded");
        walk(TicketKind::Return, &[Rejected, Closed]).expect("legal");
    }

    #[test]
    fn exchange_ends_with_the_replacement_shipped() {
        walk(
            TicketKind::Exchange,
            &[Approved, BuyerShipped, Received, ReplacementShipped, Closed],
        )
        .expect("legal");
    }

    #[test]
    fn complaint_and_logistics_run_to_closing() {
        walk(
            TicketKind::Complaint,
            &[Investigating, ResolutionProposed, Resolved, Closed],
        )
        .expect("legal");
        walk(TicketKind::Logistics, &[CarrierContacted, Resolved, Closed]).expect("legal");
    }

    #[test]
    fn return_cannot_skip_from_requested_to_refunded() {
        let err = Position::new(TicketKind::Return).apply(Refunded, None).unwrap_err();
        assert_eq!(
            err,
            MoveError::Illegal {
                from: Requested,
                to: Refunded,
                allowed: vec![Approved, Rejected, Escalated, PlatformIntervention]
            }
        );
    }

    #[test]
    fn received_goods_are_never_refunded_without_a_receipt() {
        let approved = walk(TicketKind::Return, &[Approved]).expect("legal");
        assert!(approved.apply(Refunded, None).is_err());
    }

    #[test]
    fn logistics_needs_a_resolution_to_resolve() {
        let contacted = walk(TicketKind::Logistics, &[CarrierContacted]).expect("legal");
        assert_eq!(contacted.apply(Resolved, None), Err(MoveError::ResolutionRequired));
        assert!(contacted.apply(Resolved, Some(Resolution::Reshipped)).is_ok());
    }

    #[test]
    fn a_hold_returns_to_where_it_came_from() {
        let shipped = walk(TicketKind::Return, &[Approved, BuyerShipped]).expect("legal");
        let escalated = shipped
            .apply(Escalated, None)
            .expect("any open ticket may be escalated");
        assert_eq!(escalated.held_from, Some(BuyerShipped));
        assert_eq!(escalated.allowed_moves(), vec![BuyerShipped, PlatformIntervention]);
        let platform = escalated
            .apply(PlatformIntervention, None)
            .expect("escalated may go to the platform");
        assert_eq!(platform.held_from, Some(BuyerShipped));
        assert_eq!(platform.allowed_moves(), vec![BuyerShipped]);
        let back = platform.apply(BuyerShipped, None).expect("back where it was");
        assert_eq!(back, shipped);
    }

    #[test]
    fn a_rejected_refund_can_go_to_the_platform() {
        let rejected = walk(TicketKind::Refund, &[Rejected]).expect("legal");
        assert!(rejected.apply(PlatformIntervention, None).is_ok());
    }

    #[test]
    fn nothing_leaves_closed() {
        for kind in TicketKind::ALL {
            let closed = Position {
                kind,
                status: Closed,
                held_from: None,
            };
            assert!(closed.allowed_moves().is_empty());
            for to in Status::ALL {
                assert!(closed.apply(to, Some(Resolution::Delivered)).is_err());
            }
        }
    }

    #[test]
    fn follow_up_cycle_stops_for_closed_rejected_and_resolved() {
        let out: HashSet<_> = Status::ALL.into_iter().filter(|s| !s.in_follow_up_cycle()).collect();
        assert_eq!(
            out,
            HashSet::from([Closed, Rejected, Resolved, ExplanationPosted, ReviewRevised])
        );
    }

    #[test]
    fn wire_forms_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).expect("json"),
                format!("\"{}\"", status.as_str())
            );
        }
        for kind in TicketKind::ALL {
            assert_eq!(TicketKind::parse(kind.as_str()), Some(kind));
        }
        for r in Resolution::ALL {
            assert_eq!(Resolution::parse(r.as_str()), Some(r));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(Status::parse("REQUESTED"), None);
    }

    #[test]
    fn every_status_of_a_kind_is_reachable_and_can_reach_closed() {
        for kind in TicketKind::ALL {
            let start = Position::new(kind);
            let mut seen = HashSet::from([start]);
            let mut frontier = vec![start];
            while let Some(p) = frontier.pop() {
                for to in p.allowed_moves() {
                    let next = p.apply(to, Some(Resolution::Delivered)).expect("allowed moves apply");
                    if seen.insert(next) {
                        frontier.push(next);
                    }
                }
            }
            let reached: HashSet<Status> = seen.iter().map(|p| p.status).collect();
            let declared: HashSet<Status> = kind.statuses().iter().copied().collect();
            assert_eq!(reached, declared, "{kind:?}");
            for p in &seen {
                assert!(can_reach_closed(*p), "{kind:?} {p:?} cannot reach closed");
            }
        }
    }

    fn can_reach_closed(from: Position) -> bool {
        let mut seen = HashSet::from([from]);
        let mut frontier = vec![from];
        while let Some(p) = frontier.pop() {
            if p.status == Closed {
                return true;
            }
            for to in p.allowed_moves() {
                if let Ok(next) = p.apply(to, Some(Resolution::Delivered))
                    && seen.insert(next)
                {
                    frontier.push(next);
                }
            }
        }
        false
    }

    #[test]
    fn a_done_ticket_of_every_kind_can_be_reopened_into_its_own_workflow() {
        let done = [
            (
                TicketKind::Complaint,
                vec![Investigating, ResolutionProposed, Resolved],
                Investigating,
            ),
            (
                TicketKind::Logistics,
                vec![CarrierContacted, Resolved],
                CarrierContacted,
            ),
            (TicketKind::Refund, vec![Approved, Refunded], Approved),
            (
                TicketKind::Return,
                vec![Approved, BuyerShipped, Received, Refunded],
                Received,
            ),
            (
                TicketKind::Exchange,
                vec![Approved, BuyerShipped, Received, ReplacementShipped],
                Approved,
            ),
        ];
        for (kind, path, back) in done {
            let position = walk(kind, &path).expect("legal");
            assert!(position.status.asks_for_return_visit(), "{kind:?}");
            let reopened = position.reopen().expect("a done ticket reopens");
            assert_eq!(reopened.status, back, "{kind:?}");
            assert!(
                reopened.status.in_follow_up_cycle(),
                "a reopened ticket is followed up again"
            );
            assert!(can_reach_closed(reopened));
        }
    }

    #[test]
    fn closed_and_unfinished_tickets_are_not_reopened() {
        let closed = walk(
            TicketKind::Complaint,
            &[Investigating, ResolutionProposed, Resolved, Closed],
        )
        .expect("legal");
        assert_eq!(closed.reopen(), None);
        assert_eq!(Position::new(TicketKind::Refund).reopen(), None);
        let escalated = walk(TicketKind::Logistics, &[CarrierContacted, Resolved, Escalated]).expect("legal");
        assert_eq!(escalated.reopen(), None, "a held ticket goes back first");
    }

    #[test]
    fn return_visits_are_asked_only_when_a_ticket_is_done_but_open() {
        let asked: HashSet<_> = Status::ALL.into_iter().filter(|s| s.asks_for_return_visit()).collect();
        assert_eq!(asked, HashSet::from([Resolved, Refunded, ReplacementShipped]));
    }

    #[test]
    fn a_bad_review_ends_revised_explained_or_after_an_appeal() {
        walk(TicketKind::BadReview, &[BuyerContacted, ReviewRevised, Closed]).expect("revised after contact");
        walk(TicketKind::BadReview, &[ExplanationPosted, Closed]).expect("explained at once");
        walk(
            TicketKind::BadReview,
            &[BuyerContacted, Appealed, ReviewRevised, Closed],
        )
        .expect("appeal upheld");
        walk(TicketKind::BadReview, &[Appealed, ExplanationPosted, Closed]).expect("appeal refused");
        let err = Position::new(TicketKind::BadReview)
            .apply(ReviewRevised, None)
            .unwrap_err();
        assert!(
            matches!(err, MoveError::Illegal { .. }),
            "a review is not revised before anyone acts"
        );
        assert!(!TicketKind::BadReview.subject_to_seven_day_rule());
    }

    fn any_kind() -> impl Strategy<Value = TicketKind> {
        prop::sample::select(TicketKind::ALL.to_vec())
    }

    proptest! {
        /// A random walk of legal moves never leaves the kind's statuses, and a ticket is held
        /// exactly when it has a way back.
        #[test]
        fn random_walks_stay_inside_the_kind(kind in any_kind(), choices in prop::collection::vec(0usize..8, 0..40)) {
            let mut position = Position::new(kind);
            for choice in choices {
                let moves = position.allowed_moves();
                if moves.is_empty() { break; }
                let to = moves[choice % moves.len()];
                position = position.apply(to, Some(Resolution::Compensated)).expect("allowed moves apply");
                prop_assert!(kind.statuses().contains(&position.status));
                prop_assert_eq!(position.status.is_hold(), position.held_from.is_some());
                if let Some(back) = position.held_from { prop_assert!(!back.is_hold()); }
            }
        }

        /// A move that is not offered is always refused, naming exactly the offered moves.
        #[test]
        fn moves_not_offered_are_refused(kind in any_kind(), to in prop::sample::select(Status::ALL.to_vec()), steps in prop::collection::vec(0usize..8, 0..10)) {
            let mut position = Position::new(kind);
            for step in steps {
                let moves = position.allowed_moves();
                if moves.is_empty() { break; }
                position = position.apply(moves[step % moves.len()], Some(Resolution::Delivered)).expect("legal");
            }
            let allowed = position.allowed_moves();
            match position.apply(to, Some(Resolution::Delivered)) {
                Ok(_) => prop_assert!(allowed.contains(&to)),
                Err(MoveError::Illegal { allowed: named, .. }) => {
                    prop_assert!(!allowed.contains(&to));
                    prop_assert_eq!(named, allowed);
                }
                Err(MoveError::ResolutionRequired) => prop_assert!(false, "resolution was given"),
            }
        }

        /// Wherever a random walk stops, reopening either lands inside the kind's workflow, in
        /// the follow-up cycle and able to reach closed, or is refused for a ticket not done.
        #[test]
        fn reopening_stays_inside_the_kind(kind in any_kind(), steps in prop::collection::vec(0usize..8, 0..20)) {
            let mut position = Position::new(kind);
            for step in steps {
                let moves = position.allowed_moves();
                if moves.is_empty() { break; }
                position = position.apply(moves[step % moves.len()], Some(Resolution::Delivered)).expect("legal");
            }
            match position.reopen() {
                Some(reopened) => {
                    prop_assert!(position.status.asks_for_return_visit());
                    prop_assert!(kind.statuses().contains(&reopened.status));
                    prop_assert!(reopened.status.in_follow_up_cycle());
                    prop_assert!(can_reach_closed(reopened));
                }
                None => prop_assert!(!position.status.asks_for_return_visit() || position.held_from.is_some()),
            }
        }
    }
}
