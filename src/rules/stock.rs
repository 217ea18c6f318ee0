//! Goods that come back and go out again after a sale: a return received into the returns
//! warehouse (退货入库), split per line into good (良品), defective (次品) and missing; a reship
//! (补发) of a wrong, missing or damaged item; and an intercept (拦截) of an outgoing parcel
//! and its outcome.

use serde::{Deserialize, Serialize};

/// What a receipt records of one returned line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSplit {
    /// How many the buyer returned (what the parcel should hold).
    pub returned: i32,
    pub good: i32,
    pub defective: i32,
    /// Not in the parcel.
    pub missing: i32,
}

/// Why a receipt's numbers cannot be taken; each names the field it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// Nothing returned, or more than the line sold.
    ReturnedOutOfRange { sold: i32 },
    /// A count below zero.
    Negative(&'static str),
    /// Good + defective + missing is not what was returned.
    DoesNotAddUp,
}

impl SplitError {
    /// The field the error is about.
    pub fn field(self) -> &'static str {
        match self {
            SplitError::ReturnedOutOfRange { .. } => "returned",
            SplitError::Negative(field) => field,
            SplitError::DoesNotAddUp => "missing",
        }
    }

    /// The catalogue key of what is said.
    pub fn message_key(self) -> &'static str {
        match self {
            SplitError::ReturnedOutOfRange { .. } => "stock.error.returned_range",
            SplitError::Negative(_) => "stock.error.negative",
            SplitError::DoesNotAddUp => "stock.error.does_not_add_up",
        }
    }
}

/// Checks a receipt against the line it is for (`sold` pieces): at least one and at most
/// `sold` returned, no count below zero, and good + defective + missing = returned.
pub fn check_split(split: ReceiptSplit, sold: i32) -> Result<ReceiptSplit, SplitError> {
    if split.returned < 1 || split.returned > sold.max(1) {
        return Err(SplitError::ReturnedOutOfRange { sold });
    }
    for (value, field) in [
        (split.good, "good"),
        (split.defective, "defective"),
        (split.missing, "missing"),
    ] {
        if value < 0 {
            return Err(SplitError::Negative(field));
        }
    }
    let total = i64::from(split.good) + i64::from(split.defective) + i64::from(split.missing);
    if total != i64::from(split.returned) {
        return Err(SplitError::DoesNotAddUp);
    }
    Ok(split)
}

/// Why an item is sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReshipReason {
    /// 发错货.
    WrongItem,
    /// 漏发/少件.
    MissingItem,
    /// 破损.
    Damaged,
    /// 质量问题换新.
    Defective,
}

impl ReshipReason {
    pub const ALL: [ReshipReason; 4] = [
        ReshipReason::WrongItem,
        ReshipReason::MissingItem,
        ReshipReason::Damaged,
        ReshipReason::Defective,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ReshipReason::WrongItem => "wrong_item",
            ReshipReason::MissingItem => "missing_item",
            ReshipReason::Damaged => "damaged",
            ReshipReason::Defective => "defective",
        }
    }

    pub fn parse(s: &str) -> Option<ReshipReason> {
        ReshipReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            ReshipReason::WrongItem => "stock.reship.wrong_item",
            ReshipReason::MissingItem => "stock.reship.missing_item",
            ReshipReason::Damaged => "stock.reship.damaged",
            ReshipReason::Defective => "stock.reship.defective",
        }
    }
}

/// Where an intercept of an outgoing parcel stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterceptOutcome {
    /// Asked of the carrier; no answer yet.
    Requested,
    /// Stopped before delivery; on its way back.
    Intercepted,
    /// The carrier could not stop it (delivered, or too late).
    Failed,
    /// Back at the shop's warehouse.
    ReturnedToSender,
}

impl InterceptOutcome {
    pub const ALL: [InterceptOutcome; 4] = [
        InterceptOutcome::Requested,
        InterceptOutcome::Intercepted,
        InterceptOutcome::Failed,
        InterceptOutcome::ReturnedToSender,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            InterceptOutcome::Requested => "requested",
            InterceptOutcome::Intercepted => "intercepted",
            InterceptOutcome::Failed => "failed",
            InterceptOutcome::ReturnedToSender => "returned_to_sender",
        }
    }

    pub fn parse(s: &str) -> Option<InterceptOutcome> {
        InterceptOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            InterceptOutcome::Requested => "stock.intercept.requested",
            InterceptOutcome::Intercepted => "stock.intercept.intercepted",
            InterceptOutcome::Failed => "stock.intercept.failed",
            InterceptOutcome::ReturnedToSender => "stock.intercept.returned_to_sender",
        }
    }

    /// The outcomes an intercept may move to from here: a request is answered (stopped or
    /// not), a stopped parcel comes back; a failure and a parcel back home are final.
    pub fn next(self) -> &'static [InterceptOutcome] {
        use InterceptOutcome::*;
        match self {
            Requested => &[Intercepted, Failed],
            Intercepted => &[ReturnedToSender, Failed],
            Failed | ReturnedToSender => &[],
        }
    }

    /// Whether the intercept is still under way.
    pub fn is_open(self) -> bool {
        !self.next().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(returned: i32, good: i32, defective: i32, missing: i32) -> ReceiptSplit {
        ReceiptSplit {
            returned,
            good,
            defective,
            missing,
        }
    }

    #[test]
    fn one_good_and_one_defective_of_two_returned_is_a_receipt() {
        assert_eq!(check_split(split(2, 1, 1, 0), 2), Ok(split(2, 1, 1, 0)));
        assert_eq!(check_split(split(2, 1, 0, 0), 2), Err(SplitError::DoesNotAddUp));
        assert_eq!(check_split(split(2, 1, 0, 1), 2), Ok(split(2, 1, 0, 1)), "one missing");
        assert_eq!(
            check_split(split(3, 3, 0, 0), 2),
            Err(SplitError::ReturnedOutOfRange { sold: 2 })
        );
        assert_eq!(
            check_split(split(0, 0, 0, 0), 2),
            Err(SplitError::ReturnedOutOfRange { sold: 2 })
        );
        assert_eq!(
            check_split(split(1, 2, -1, 0), 2),
            Err(SplitError::Negative("defective"))
        );
        assert_eq!(SplitError::DoesNotAddUp.field(), "missing");
    }

    #[test]
    fn an_intercept_is_answered_then_comes_back_and_final_outcomes_stay() {
        use InterceptOutcome::*;
        assert_eq!(Requested.next(), &[Intercepted, Failed]);
        assert_eq!(Intercepted.next(), &[ReturnedToSender, Failed]);
        assert!(Failed.next().is_empty() && ReturnedToSender.next().is_empty());
        assert!(Requested.is_open() && !Failed.is_open());
    }

    #[test]
    fn every_form_reads_back_and_every_name_is_in_the_catalogue() {
        for reason in ReshipReason::ALL {
            assert_eq!(ReshipReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::json!(reason), serde_json::json!(reason.as_str()));
            assert!(crate::i18n::has(reason.label_key()), "{}", reason.label_key());
        }
        for outcome in InterceptOutcome::ALL {
            assert_eq!(InterceptOutcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(serde_json::json!(outcome), serde_json::json!(outcome.as_str()));
            assert!(crate::i18n::has(outcome.label_key()), "{}", outcome.label_key());
        }
        for error in [
            SplitError::ReturnedOutOfRange { sold: 1 },
            SplitError::Negative("good"),
            SplitError::DoesNotAddUp,
        ] {
            assert!(crate::i18n::has(error.message_key()), "{}", error.message_key());
        }
    }

    proptest! {
        /// A receipt is accepted exactly when good + defective + missing equals the quantity
        /// returned (none negative, the quantity within what was sold); so what an accepted
        /// receipt puts into stock never exceeds what came back.
        #[test]
        fn received_good_defective_and_missing_add_up_to_the_quantity_returned(
            sold in 1i32..20, returned in -2i32..25, good in -2i32..25, defective in -2i32..25, missing in -2i32..25,
        ) {
            let s = split(returned, good, defective, missing);
            match check_split(s, sold) {
                Ok(ok) => {
                    prop_assert_eq!(ok, s);
                    prop_assert_eq!(good + defective + missing, returned);
                    prop_assert!(good >= 0 && defective >= 0 && missing >= 0);
                    prop_assert!((1..=sold).contains(&returned));
                    prop_assert!(good + defective <= returned);
                }
                Err(SplitError::DoesNotAddUp) => prop_assert_ne!(good + defective + missing, returned),
                Err(SplitError::Negative(_)) => prop_assert!(good < 0 || defective < 0 || missing < 0),
                Err(SplitError::ReturnedOutOfRange { .. }) => prop_assert!(!(1..=sold).contains(&returned)),
            }
        }

        /// Whatever order outcomes are tried in, an intercept only moves along `next`, and once
        /// final it stays.
        #[test]
        fn an_intercept_never_leaves_a_final_outcome(tries in prop::collection::vec(prop::sample::select(InterceptOutcome::ALL.to_vec()), 0..12)) {
            let mut at = InterceptOutcome::Requested;
            for want in tries {
                let was_final = !at.is_open();
                if at.next().contains(&want) { at = want; }
                if was_final { prop_assert!(!at.is_open()); }
            }
        }
    }
}
