//! The goods steps of a return or an exchange, pure: which move records what about the goods
//! ([`goods_step`]), and the inspection checklist (验货) with what a failed inspection needs.
//!
//! - Approving a return or exchange records where the buyer sends the goods (the shop's
//!   return address).
//! - 买家已寄回 records the carrier and tracking number (`rules::shipment`).
//! - Confirming receipt, and refunding a received return, may record the checklist.
//! - 验货不通过 must: the checklist with at least one item not ok, and at least one photo —
//!   what a platform dispute asks the shop to show.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::workflow::{Status, TicketKind};

/// One item of the inspection checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckItem {
    /// 吊牌: the tags are on.
    Tags,
    /// 配件: every accessory is there.
    Accessories,
    /// 封签/包装: seal and packaging intact.
    Seal,
    /// 使用痕迹: no signs of use.
    SignsOfUse,
    /// 数量: the quantity is right.
    Quantity,
}

impl CheckItem {
    /// Every item, in the order the form and the timeline show them.
    pub const ALL: [CheckItem; 5] = [
        CheckItem::Tags,
        CheckItem::Accessories,
        CheckItem::Seal,
        CheckItem::SignsOfUse,
        CheckItem::Quantity,
    ];

    /// The wire and form name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckItem::Tags => "tags",
            CheckItem::Accessories => "accessories",
            CheckItem::Seal => "seal",
            CheckItem::SignsOfUse => "signs_of_use",
            CheckItem::Quantity => "quantity",
        }
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            CheckItem::Tags => "goods.check.tags",
            CheckItem::Accessories => "goods.check.accessories",
            CheckItem::Seal => "goods.check.seal",
            CheckItem::SignsOfUse => "goods.check.signs_of_use",
            CheckItem::Quantity => "goods.check.quantity",
        }
    }
}

/// How one item was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Ok,
    NotOk,
}

impl Mark {
    /// Parses the wire and form value.
    pub fn parse(text: &str) -> Option<Mark> {
        match text {
            "ok" => Some(Mark::Ok),
            "not_ok" => Some(Mark::NotOk),
            _ => None,
        }
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Mark::Ok => "goods.mark.ok",
            Mark::NotOk => "goods.mark.not_ok",
        }
    }
}

/// The inspection checklist: every item marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// 吊牌.
    pub tags: Mark,
    /// 配件.
    pub accessories: Mark,
    /// 封签/包装.
    pub seal: Mark,
    /// 使用痕迹 (`ok`: none).
    pub signs_of_use: Mark,
    /// 数量.
    pub quantity: Mark,
}

impl Checklist {
    /// The mark of `item`.
    pub fn mark(&self, item: CheckItem) -> Mark {
        match item {
            CheckItem::Tags => self.tags,
            CheckItem::Accessories => self.accessories,
            CheckItem::Seal => self.seal,
            CheckItem::SignsOfUse => self.signs_of_use,
            CheckItem::Quantity => self.quantity,
        }
    }

    /// Builds a checklist from a mark per item; `None` when an item has none.
    pub fn from_marks(mut mark_of: impl FnMut(CheckItem) -> Option<Mark>) -> Option<Checklist> {
        Some(Checklist {
            tags: mark_of(CheckItem::Tags)?,
            accessories: mark_of(CheckItem::Accessories)?,
            seal: mark_of(CheckItem::Seal)?,
            signs_of_use: mark_of(CheckItem::SignsOfUse)?,
            quantity: mark_of(CheckItem::Quantity)?,
        })
    }

    /// The items found not ok, in checklist order.
    pub fn not_ok(&self) -> Vec<CheckItem> {
        CheckItem::ALL
            .into_iter()
            .filter(|item| self.mark(*item) == Mark::NotOk)
            .collect()
    }
}

/// What a move records about the goods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoodsStep {
    /// Approving a return or exchange: the address the goods go back to.
    ReturnAddress,
    /// 买家已寄回: carrier and tracking number, required.
    Shipment,
    /// Receipt or a refund after it: the checklist if the agent gives it.
    Inspection,
    /// 验货不通过: the checklist with an item not ok, and a photo, required.
    FailedInspection,
}

/// What the move `from` → `to` of a `kind` ticket records about the goods; `None` for the
/// moves that do not touch the goods (and for every move of the kinds without goods).
pub fn goods_step(kind: TicketKind, from: Status, to: Status) -> Option<GoodsStep> {
    use Status::*;
    if !matches!(kind, TicketKind::Return | TicketKind::Exchange) {
        return None;
    }
    match (from, to) {
        (Requested, Approved) => Some(GoodsStep::ReturnAddress),
        (Approved, BuyerShipped) => Some(GoodsStep::Shipment),
        (BuyerShipped, Received) => Some(GoodsStep::Inspection),
        (Received, Refunded) => Some(GoodsStep::Inspection),
        (Received, InspectionFailed) => Some(GoodsStep::FailedInspection),
        _ => None,
    }
}

/// Why an inspection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InspectionError {
    /// 验货不通过 without the checklist.
    ChecklistMissing,
    /// 验货不通过 with every item ok.
    NothingNotOk,
    /// 验货不通过 without a photo.
    PhotoMissing,
}

/// Checks the inspection given with a move that records one (`step` is
/// [`GoodsStep::Inspection`] or [`GoodsStep::FailedInspection`]): a failed inspection needs the
/// checklist, an item not ok, and at least one photo; at receipt anything given is recorded.
pub fn check_inspection(step: GoodsStep, checklist: Option<&Checklist>, photos: usize) -> Result<(), InspectionError> {
    if step != GoodsStep::FailedInspection {
        return Ok(());
    }
    let checklist = checklist.ok_or(InspectionError::ChecklistMissing)?;
    if checklist.not_ok().is_empty() {
        return Err(InspectionError::NothingNotOk);
    }
    if photos == 0 {
        return Err(InspectionError::PhotoMissing);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(mark: Mark) -> Checklist {
        Checklist::from_marks(|_| Some(mark)).expect("every item marked")
    }

    #[test]
    fn the_goods_steps_are_those_of_returns_and_exchanges() {
        use Status::*;
        for kind in [TicketKind::Return, TicketKind::Exchange] {
            assert_eq!(goods_step(kind, Requested, Approved), Some(GoodsStep::ReturnAddress));
            assert_eq!(goods_step(kind, Approved, BuyerShipped), Some(GoodsStep::Shipment));
            assert_eq!(goods_step(kind, BuyerShipped, Received), Some(GoodsStep::Inspection));
            assert_eq!(goods_step(kind, Requested, Rejected), None);
        }
        assert_eq!(
            goods_step(TicketKind::Return, Received, InspectionFailed),
            Some(GoodsStep::FailedInspection)
        );
        assert_eq!(
            goods_step(TicketKind::Return, Received, Refunded),
            Some(GoodsStep::Inspection)
        );
        assert_eq!(goods_step(TicketKind::Return, InspectionFailed, Refunded), None);
        assert_eq!(
            goods_step(TicketKind::Refund, Requested, Approved),
            None,
            "no goods come back"
        );
        // Coming back from a hold is not approving again.
        assert_eq!(goods_step(TicketKind::Return, Escalated, Approved), None);
    }

    #[test]
    fn a_failed_inspection_needs_the_checklist_an_item_not_ok_and_a_photo() {
        let step = GoodsStep::FailedInspection;
        assert_eq!(check_inspection(step, None, 1), Err(InspectionError::ChecklistMissing));
        assert_eq!(
            check_inspection(step, Some(&all(Mark::Ok)), 1),
            Err(InspectionError::NothingNotOk)
        );
        let mut seal_broken = all(Mark::Ok);
        seal_broken.seal = Mark::NotOk;
        assert_eq!(
            check_inspection(step, Some(&seal_broken), 0),
            Err(InspectionError::PhotoMissing)
        );
        assert_eq!(check_inspection(step, Some(&seal_broken), 1), Ok(()));
        assert_eq!(seal_broken.not_ok(), vec![CheckItem::Seal]);
    }

    #[test]
    fn at_receipt_the_checklist_is_recorded_whatever_it_says() {
        assert_eq!(check_inspection(GoodsStep::Inspection, None, 0), Ok(()));
        assert_eq!(
            check_inspection(GoodsStep::Inspection, Some(&all(Mark::NotOk)), 0),
            Ok(())
        );
    }

    #[test]
    fn the_checklist_reads_its_wire_form_and_refuses_an_item_missing() {
        let parsed: Checklist = serde_json::from_value(serde_json::json!({
            "tags": "ok", "accessories": "not_ok", "seal": "ok", "signs_of_use": "ok", "quantity": "ok"
        }))
        .expect("reads");
        assert_eq!(parsed.not_ok(), vec![CheckItem::Accessories]);
        let missing = serde_json::from_value::<Checklist>(serde_json::json!({ "tags": "ok" }));
        assert!(missing.is_err());
        assert_eq!(
            Checklist::from_marks(|item| (item != CheckItem::Quantity).then_some(Mark::Ok)),
            None
        );
    }

    fn mark() -> impl Strategy<Value = Mark> {
        prop_oneof![Just(Mark::Ok), Just(Mark::NotOk)]
    }

    proptest! {
        /// A failed inspection is accepted exactly when an item is not ok and a photo is there.
        #[test]
        fn a_failed_inspection_is_accepted_exactly_with_a_fault_and_a_photo(
            marks in proptest::collection::vec(mark(), 5),
            photos in 0usize..4,
        ) {
            let checklist = Checklist::from_marks(|item| {
                CheckItem::ALL.iter().position(|i| *i == item).map(|at| marks[at])
            }).expect("five marks");
            let accepted = check_inspection(GoodsStep::FailedInspection, Some(&checklist), photos).is_ok();
            prop_assert_eq!(accepted, marks.contains(&Mark::NotOk) && photos > 0);
        }

        /// Only returns and exchanges have goods steps, and only on moves of their own workflow.
        #[test]
        fn goods_steps_are_only_on_legal_moves_of_returns_and_exchanges(
            kind in proptest::sample::select(TicketKind::ALL.to_vec()),
            from in proptest::sample::select(Status::ALL.to_vec()),
            to in proptest::sample::select(Status::ALL.to_vec()),
        ) {
            if goods_step(kind, from, to).is_some() {
                prop_assert!(matches!(kind, TicketKind::Return | TicketKind::Exchange));
                prop_assert!(kind.moves_from(from).contains(&to), "{:?} {:?} → {:?}", kind, from, to);
            }
        }
    }
}
