//! The inspection of returned goods (验货), pure: the checklist and what a failed inspection
//! needs. Which moves inspect is `rules::move_details` (confirming receipt and refunding a
//! received return may record the checklist; 验货不通过 must).
//!
//! 验货不通过 needs the checklist with at least one item not ok, and at least one photo — what
//! a platform dispute asks the shop to show.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// Checks the inspection given with a move that records one: a failed inspection (`failed`)
/// needs the checklist, an item not ok, and at least one photo; at receipt anything given is
/// recorded.
pub fn check_inspection(failed: bool, checklist: Option<&Checklist>, photos: usize) -> Result<(), InspectionError> {
    if !failed {
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
    fn a_failed_inspection_needs_the_checklist_an_item_not_ok_and_a_photo() {
        let step = true;
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
        assert_eq!(check_inspection(false, None, 0), Ok(()));
        assert_eq!(check_inspection(false, Some(&all(Mark::NotOk)), 0), Ok(()));
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
            let accepted = check_inspection(true, Some(&checklist), photos).is_ok();
            prop_assert_eq!(accepted, marks.contains(&Mark::NotOk) && photos > 0);
        }

    }
}
