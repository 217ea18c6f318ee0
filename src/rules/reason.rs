//! The reason taxonomy (DOMAIN.md §5): every ticket carries one code; the buyer's raw words are
//! kept beside it verbatim.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::rules::workflow::TicketKind;

/// Why the buyer (or the shop) opened the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ReasonCode {
    NoReason,
    Misorder,
    Agreed,
    ShippingFee,
    LateShipment,
    OutOfStock,
    LogisticsStuck,
    LogisticsNoTrace,
    EmptyParcel,
    DamagedRefused,
    Damaged,
    MissingParts,
    WrongItem,
    NotAsDescribed,
    Quality,
    AdverseReaction,
    Counterfeit,
    Invoice,
    /// 服务态度差: the buyer's complaint is about how they were treated (bad reviews, complaints).
    ServiceAttitude,
    /// 物流太慢: the parcel arrived, but late (bad reviews, logistics cases).
    SlowDelivery,
    /// 对处理结果不满意: the buyer is not satisfied with how an earlier case ended (the follow-up
    /// ticket a not-satisfied return visit opens).
    OutcomeUnsatisfied,
    Other,
}

/// Who pays the return leg by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingPayer {
    Buyer,
    Seller,
}

/// What the agent should ask the buyer for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    None,
    Photos,
    Tracking,
    Documents,
}

impl ReasonCode {
    /// Every code, in the order forms offer them.
    pub const ALL: [ReasonCode; 22] = [
        ReasonCode::NoReason,
        ReasonCode::Quality,
        ReasonCode::Damaged,
        ReasonCode::WrongItem,
        ReasonCode::MissingParts,
        ReasonCode::NotAsDescribed,
        ReasonCode::Misorder,
        ReasonCode::Agreed,
        ReasonCode::ShippingFee,
        ReasonCode::LateShipment,
        ReasonCode::OutOfStock,
        ReasonCode::LogisticsStuck,
        ReasonCode::LogisticsNoTrace,
        ReasonCode::EmptyParcel,
        ReasonCode::DamagedRefused,
        ReasonCode::AdverseReaction,
        ReasonCode::Counterfeit,
        ReasonCode::Invoice,
        ReasonCode::ServiceAttitude,
        ReasonCode::SlowDelivery,
        ReasonCode::OutcomeUnsatisfied,
        ReasonCode::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::NoReason => "no_reason",
            ReasonCode::Misorder => "misorder",
            ReasonCode::Agreed => "agreed",
            ReasonCode::ShippingFee => "shipping_fee",
            ReasonCode::LateShipment => "late_shipment",
            ReasonCode::OutOfStock => "out_of_stock",
            ReasonCode::LogisticsStuck => "logistics_stuck",
            ReasonCode::LogisticsNoTrace => "logistics_no_trace",
            ReasonCode::EmptyParcel => "empty_parcel",
            ReasonCode::DamagedRefused => "damaged_refused",
            ReasonCode::Damaged => "damaged",
            ReasonCode::MissingParts => "missing_parts",
            ReasonCode::WrongItem => "wrong_item",
            ReasonCode::NotAsDescribed => "not_as_described",
            ReasonCode::Quality => "quality",
            ReasonCode::AdverseReaction => "adverse_reaction",
            ReasonCode::Counterfeit => "counterfeit",
            ReasonCode::Invoice => "invoice",
            ReasonCode::ServiceAttitude => "service_attitude",
            ReasonCode::SlowDelivery => "slow_delivery",
            ReasonCode::OutcomeUnsatisfied => "outcome_unsatisfied",
            ReasonCode::Other => "other",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|code| code.as_str() == s)
    }

    /// Whether the seven-day no-reason window binds this reason. Only a no-reason request does:
    /// quality, wrong or missing items and not-as-described are the seller's fault and are not
    /// limited by it (消费者权益保护法 第二十四条).
    pub fn bound_by_seven_day_window(self) -> bool {
        self == ReasonCode::NoReason
    }

    /// Who pays the return shipping by default (第二十四条: the seller, when the goods are at fault).
    pub fn default_return_shipping_payer(self) -> ShippingPayer {
        match self {
            ReasonCode::NoReason | ReasonCode::Misorder => ShippingPayer::Buyer,
            _ => ShippingPayer::Seller,
        }
    }

    /// What evidence to ask the buyer for.
    pub fn evidence_to_ask(self) -> Evidence {
        match self {
            ReasonCode::Damaged
            | ReasonCode::DamagedRefused
            | ReasonCode::Quality
            | ReasonCode::WrongItem
            | ReasonCode::MissingParts
            | ReasonCode::NotAsDescribed
            | ReasonCode::EmptyParcel
            | ReasonCode::AdverseReaction => Evidence::Photos,
            ReasonCode::LogisticsStuck
            | ReasonCode::LogisticsNoTrace
            | ReasonCode::LateShipment
            | ReasonCode::SlowDelivery => Evidence::Tracking,
            ReasonCode::Counterfeit | ReasonCode::Invoice => Evidence::Documents,
            ReasonCode::NoReason
            | ReasonCode::Misorder
            | ReasonCode::Agreed
            | ReasonCode::ShippingFee
            | ReasonCode::OutOfStock
            | ReasonCode::ServiceAttitude
            | ReasonCode::OutcomeUnsatisfied
            | ReasonCode::Other => Evidence::None,
        }
    }

    /// The reasons a ticket of `kind` may give, in the order forms offer them:
    ///
    /// - a refund only (仅退款) may be asked for any of the marketplace's refund reasons
    ///   (DOMAIN.md §5), goods received or not;
    /// - a return (退货退款) needs goods in the buyer's hands to send back: no reason about a parcel
    ///   that never came, was refused or was empty, and no shipping-fee refund (that is a refund
    ///   only);
    /// - an exchange (换货) is for goods that are wrong or faulty, or a change of mind;
    /// - a complaint (投诉) is about the goods, the service, the shop's conduct or an earlier
    ///   case's outcome;
    /// - a logistics case (物流) is about the parcel on its way;
    /// - a bad review (中差评) carries the reasons buyers leave one: the goods, the delivery, the
    ///   service.
    ///
    /// `other` fits every kind.
    pub fn for_kind(kind: TicketKind) -> &'static [ReasonCode] {
        use ReasonCode::*;
        match kind {
            TicketKind::Refund => &[
                NoReason,
                Quality,
                Damaged,
                WrongItem,
                MissingParts,
                NotAsDescribed,
                Misorder,
                Agreed,
                ShippingFee,
                LateShipment,
                OutOfStock,
                LogisticsStuck,
                LogisticsNoTrace,
                EmptyParcel,
                DamagedRefused,
                AdverseReaction,
                Counterfeit,
                Invoice,
                Other,
            ],
            TicketKind::Return => &[
                NoReason,
                Quality,
                Damaged,
                WrongItem,
                MissingParts,
                NotAsDescribed,
                Misorder,
                Agreed,
                AdverseReaction,
                Counterfeit,
                Invoice,
                Other,
            ],
            TicketKind::Exchange => &[
                NoReason,
                Quality,
                Damaged,
                WrongItem,
                MissingParts,
                NotAsDescribed,
                Misorder,
                Agreed,
                Other,
            ],
            TicketKind::Complaint => &[
                Quality,
                Damaged,
                WrongItem,
                MissingParts,
                NotAsDescribed,
                LateShipment,
                OutOfStock,
                AdverseReaction,
                Counterfeit,
                Invoice,
                ServiceAttitude,
                OutcomeUnsatisfied,
                Other,
            ],
            TicketKind::Logistics => &[
                LogisticsStuck,
                LogisticsNoTrace,
                SlowDelivery,
                LateShipment,
                Damaged,
                DamagedRefused,
                EmptyParcel,
                MissingParts,
                WrongItem,
                Other,
            ],
            TicketKind::BadReview => &[
                Quality,
                NotAsDescribed,
                Damaged,
                WrongItem,
                MissingParts,
                LateShipment,
                SlowDelivery,
                ServiceAttitude,
                AdverseReaction,
                Counterfeit,
                Other,
            ],
        }
    }

    /// Whether a ticket of `kind` may give this reason ([`ReasonCode::for_kind`]).
    pub fn fits(self, kind: TicketKind) -> bool {
        ReasonCode::for_kind(kind).contains(&self)
    }

    /// The name a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ReasonCode::NoReason, Lang::Zh) => "七天无理由",
            (ReasonCode::NoReason, Lang::En) => "No reason (7-day return)",
            (ReasonCode::Misorder, Lang::Zh) => "拍错/多拍",
            (ReasonCode::Misorder, Lang::En) => "Ordered by mistake",
            (ReasonCode::Agreed, Lang::Zh) => "协商一致",
            (ReasonCode::Agreed, Lang::En) => "Agreed with the buyer",
            (ReasonCode::ShippingFee, Lang::Zh) => "退运费",
            (ReasonCode::ShippingFee, Lang::En) => "Shipping fee refund",
            (ReasonCode::LateShipment, Lang::Zh) => "未按约定时间发货",
            (ReasonCode::LateShipment, Lang::En) => "Not shipped on time",
            (ReasonCode::OutOfStock, Lang::Zh) => "缺货",
            (ReasonCode::OutOfStock, Lang::En) => "Out of stock",
            (ReasonCode::LogisticsStuck, Lang::Zh) => "物流一直未送到",
            (ReasonCode::LogisticsStuck, Lang::En) => "Parcel never arrived",
            (ReasonCode::LogisticsNoTrace, Lang::Zh) => "无跟踪记录",
            (ReasonCode::LogisticsNoTrace, Lang::En) => "No tracking record",
            (ReasonCode::EmptyParcel, Lang::Zh) => "空包裹",
            (ReasonCode::EmptyParcel, Lang::En) => "Empty parcel",
            (ReasonCode::DamagedRefused, Lang::Zh) => "破损已拒签",
            (ReasonCode::DamagedRefused, Lang::En) => "Damaged, refused at delivery",
            (ReasonCode::Damaged, Lang::Zh) => "包装/商品破损/污渍",
            (ReasonCode::Damaged, Lang::En) => "Damaged or soiled",
            (ReasonCode::MissingParts, Lang::Zh) => "少件/漏发",
            (ReasonCode::MissingParts, Lang::En) => "Missing parts",
            (ReasonCode::WrongItem, Lang::Zh) => "发错货",
            (ReasonCode::WrongItem, Lang::En) => "Wrong item",
            (ReasonCode::NotAsDescribed, Lang::Zh) => "与描述不符",
            (ReasonCode::NotAsDescribed, Lang::En) => "Not as described",
            (ReasonCode::Quality, Lang::Zh) => "质量问题",
            (ReasonCode::Quality, Lang::En) => "Quality problem",
            (ReasonCode::AdverseReaction, Lang::Zh) => "过敏/发炎",
            (ReasonCode::AdverseReaction, Lang::En) => "Adverse reaction",
            (ReasonCode::Counterfeit, Lang::Zh) => "假冒品牌",
            (ReasonCode::Counterfeit, Lang::En) => "Counterfeit",
            (ReasonCode::Invoice, Lang::Zh) => "发票问题",
            (ReasonCode::Invoice, Lang::En) => "Invoice problem",
            (ReasonCode::ServiceAttitude, Lang::Zh) => "服务态度差",
            (ReasonCode::ServiceAttitude, Lang::En) => "Poor service attitude",
            (ReasonCode::SlowDelivery, Lang::Zh) => "物流太慢",
            (ReasonCode::SlowDelivery, Lang::En) => "Slow delivery",
            (ReasonCode::OutcomeUnsatisfied, Lang::Zh) => "对处理结果不满意",
            (ReasonCode::OutcomeUnsatisfied, Lang::En) => "Not satisfied with the outcome",
            (ReasonCode::Other, Lang::Zh) => "其他",
            (ReasonCode::Other, Lang::En) => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_form() {
        for code in ReasonCode::ALL {
            assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn the_list_holds_each_code_once() {
        let mut names: Vec<_> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ReasonCode::ALL.len());
    }

    #[test]
    fn unknown_codes_do_not_parse() {
        assert_eq!(ReasonCode::parse("NoReason"), None);
        assert_eq!(ReasonCode::parse(""), None);
    }

    #[test]
    fn only_no_reason_is_bound_by_the_seven_day_window() {
        for code in ReasonCode::ALL {
            assert_eq!(code.bound_by_seven_day_window(), code == ReasonCode::NoReason);
        }
    }

    #[test]
    fn seller_pays_return_shipping_when_the_goods_are_at_fault() {
        assert_eq!(
            ReasonCode::Quality.default_return_shipping_payer(),
            ShippingPayer::Seller
        );
        assert_eq!(
            ReasonCode::WrongItem.default_return_shipping_payer(),
            ShippingPayer::Seller
        );
        assert_eq!(
            ReasonCode::NoReason.default_return_shipping_payer(),
            ShippingPayer::Buyer
        );
    }

    #[test]
    fn damage_asks_for_photos_and_logistics_for_tracking() {
        assert_eq!(ReasonCode::Damaged.evidence_to_ask(), Evidence::Photos);
        assert_eq!(ReasonCode::LogisticsStuck.evidence_to_ask(), Evidence::Tracking);
    }

    #[test]
    fn other_fits_every_kind_and_every_code_fits_some_kind() {
        for kind in TicketKind::ALL {
            assert!(ReasonCode::Other.fits(kind), "{}", kind.as_str());
        }
        for code in ReasonCode::ALL {
            assert!(
                TicketKind::ALL.iter().any(|kind| code.fits(*kind)),
                "{} fits no kind",
                code.as_str()
            );
        }
    }

    #[test]
    fn each_kinds_list_holds_each_code_once_in_the_forms_order() {
        for kind in TicketKind::ALL {
            let list = ReasonCode::for_kind(kind);
            let mut names: Vec<_> = list.iter().map(|c| c.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), list.len(), "{}", kind.as_str());
        }
    }

    #[test]
    fn a_bad_review_gives_the_reasons_buyers_leave_one_and_no_money_reasons() {
        let reasons = ReasonCode::for_kind(TicketKind::BadReview);
        for fits in [
            ReasonCode::Quality,
            ReasonCode::NotAsDescribed,
            ReasonCode::SlowDelivery,
            ReasonCode::LateShipment,
            ReasonCode::ServiceAttitude,
        ] {
            assert!(reasons.contains(&fits), "{}", fits.as_str());
        }
        for money in [
            ReasonCode::NoReason,
            ReasonCode::ShippingFee,
            ReasonCode::Misorder,
            ReasonCode::Agreed,
        ] {
            assert!(!money.fits(TicketKind::BadReview), "{}", money.as_str());
        }
    }

    #[test]
    fn a_return_needs_goods_in_the_buyers_hands() {
        for nothing_to_send in [
            ReasonCode::LogisticsStuck,
            ReasonCode::EmptyParcel,
            ReasonCode::DamagedRefused,
            ReasonCode::OutOfStock,
        ] {
            assert!(!nothing_to_send.fits(TicketKind::Return));
            assert!(nothing_to_send.fits(TicketKind::Refund));
        }
    }

    #[test]
    fn an_unsatisfying_outcome_is_a_complaint() {
        let kinds: Vec<_> = TicketKind::ALL
            .into_iter()
            .filter(|kind| ReasonCode::OutcomeUnsatisfied.fits(*kind))
            .collect();
        assert_eq!(kinds, vec![TicketKind::Complaint]);
    }

    #[test]
    fn the_platforms_refund_reasons_all_fit_a_refund_only() {
        for code in ReasonCode::ALL {
            let desk_only = matches!(
                code,
                ReasonCode::ServiceAttitude | ReasonCode::SlowDelivery | ReasonCode::OutcomeUnsatisfied
            );
            assert_eq!(code.fits(TicketKind::Refund), !desk_only, "{}", code.as_str());
        }
    }

    #[test]
    fn every_code_has_both_labels() {
        for code in ReasonCode::ALL {
            assert!(!code.label(Lang::Zh).is_empty());
            assert!(!code.label(Lang::En).is_empty());
            assert_ne!(code.label(Lang::Zh), code.label(Lang::En));
        }
    }
}
