//! Why a seller refuses an after-sales request (拒绝): a fixed list of reasons, each with the
//! note the agent writes beside it.
//!
//! The list follows what a refusal may rest on: the no-reason return window is over
//! (《网络购买商品七日无理由退货暂行办法》: seven days from signing for the goods); the goods
//! come back in a state that affects their resale (the same measures: a no-reason return must
//! be complete and intact); the buyer has not provided proof of what they claim (the platform
//! asks a refusing seller for evidence, and a dispute is decided on it); the goods were signed
//! for and arrived intact (a refund-only request for goods in hand); the goods sent back are not
//! those the shop sent; the buyer agreed to withdraw the request; anything else, said in the
//! note. The note is always required: the platform, a supervisor and the buyer read it.

use serde::{Deserialize, Serialize};

use crate::rules::workflow::{Status, TicketKind};

/// The reason a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RejectionReason {
    /// 已超七天无理由期限.
    OutsideNoReasonWindow,
    /// 商品已影响二次销售.
    ResaleAffected,
    /// 缺少凭证.
    MissingEvidence,
    /// 买家已签收商品完好.
    ReceivedIntact,
    /// 退回商品与发出商品不符.
    ReturnedGoodsMismatch,
    /// 与买家协商一致取消.
    AgreedWithBuyer,
    /// 其他 (the note says what).
    Other,
}

impl RejectionReason {
    /// Every reason, in the order the form offers them.
    pub const ALL: [RejectionReason; 7] = [
        RejectionReason::OutsideNoReasonWindow,
        RejectionReason::ResaleAffected,
        RejectionReason::MissingEvidence,
        RejectionReason::ReceivedIntact,
        RejectionReason::ReturnedGoodsMismatch,
        RejectionReason::AgreedWithBuyer,
        RejectionReason::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionReason::OutsideNoReasonWindow => "outside_no_reason_window",
            RejectionReason::ResaleAffected => "resale_affected",
            RejectionReason::MissingEvidence => "missing_evidence",
            RejectionReason::ReceivedIntact => "received_intact",
            RejectionReason::ReturnedGoodsMismatch => "returned_goods_mismatch",
            RejectionReason::AgreedWithBuyer => "agreed_with_buyer",
            RejectionReason::Other => "other",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<RejectionReason> {
        RejectionReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the reason can be given for refusing a `kind` ticket in `from`: goods "not those
    /// sent" only once they came back and were inspected; "signed for intact" only for a
    /// refund-only request (the buyer keeps the goods). The others fit any refusal.
    pub fn fits(self, kind: TicketKind, from: Status) -> bool {
        match self {
            RejectionReason::ReturnedGoodsMismatch => from == Status::InspectionFailed,
            RejectionReason::ReceivedIntact => kind == TicketKind::Refund,
            _ => true,
        }
    }

    /// The reasons that fit a refusal of a `kind` ticket in `from`, in the form's order.
    pub fn fitting(kind: TicketKind, from: Status) -> Vec<RejectionReason> {
        RejectionReason::ALL
            .into_iter()
            .filter(|r| r.fits(kind, from))
            .collect()
    }

    /// The catalogue key of the name a person reads.
    pub fn label_key(self) -> &'static str {
        match self {
            RejectionReason::OutsideNoReasonWindow => "rejection.outside_no_reason_window",
            RejectionReason::ResaleAffected => "rejection.resale_affected",
            RejectionReason::MissingEvidence => "rejection.missing_evidence",
            RejectionReason::ReceivedIntact => "rejection.received_intact",
            RejectionReason::ReturnedGoodsMismatch => "rejection.returned_goods_mismatch",
            RejectionReason::AgreedWithBuyer => "rejection.agreed_with_buyer",
            RejectionReason::Other => "rejection.other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms_round_trip_and_every_reason_has_a_name() {
        for reason in RejectionReason::ALL {
            assert_eq!(RejectionReason::parse(reason.as_str()), Some(reason));
            assert_eq!(
                serde_json::to_string(&reason).expect("json"),
                format!("\"{}\"", reason.as_str())
            );
            assert!(crate::i18n::has(reason.label_key()), "{reason:?}");
        }
        assert_eq!(RejectionReason::parse("OTHER"), None);
        assert_eq!(RejectionReason::parse(""), None);
    }

    #[test]
    fn each_refusal_is_offered_the_reasons_that_fit_it_and_always_other() {
        use RejectionReason::*;
        assert_eq!(
            RejectionReason::fitting(TicketKind::Refund, Status::Requested),
            vec![
                OutsideNoReasonWindow,
                ResaleAffected,
                MissingEvidence,
                ReceivedIntact,
                AgreedWithBuyer,
                Other
            ]
        );
        assert_eq!(
            RejectionReason::fitting(TicketKind::Return, Status::Requested),
            vec![
                OutsideNoReasonWindow,
                ResaleAffected,
                MissingEvidence,
                AgreedWithBuyer,
                Other
            ]
        );
        assert_eq!(
            RejectionReason::fitting(TicketKind::Return, Status::InspectionFailed),
            vec![
                OutsideNoReasonWindow,
                ResaleAffected,
                MissingEvidence,
                ReturnedGoodsMismatch,
                AgreedWithBuyer,
                Other
            ]
        );
        for kind in TicketKind::ALL {
            for from in Status::ALL {
                assert!(Other.fits(kind, from), "{kind:?} {from:?}");
            }
        }
    }
}
