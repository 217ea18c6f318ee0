//! How much a refund may be: the amount agreed when a refund is approved (同意退款) and the
//! amount actually refunded (已退款).
//!
//! A refund is never more than the buyer paid for what the ticket is about — the order line it
//! names, or the whole order when it names none — and always more than nothing. Partial refunds
//! are allowed. When the agent gives no amount, the refund is what the buyer asked for (when that
//! is within what was paid), else everything paid; the amount refunded defaults to the amount
//! agreed.

use crate::money::Fen;

/// Which money step a move is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundStep {
    /// 同意退款: the seller agrees to refund this much.
    Approve,
    /// 已退款: this much went back to the buyer.
    Refund,
}

/// What a refund's amount is judged against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefundFacts {
    /// What the buyer paid for the line (or the order); `None` when it cannot be told.
    pub paid: Option<Fen>,
    /// What the buyer asked for when opening the request, if they said.
    pub requested: Option<Fen>,
    /// What the seller agreed to, once approved.
    pub approved: Option<Fen>,
}

/// Why an amount cannot be refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundAmountError {
    /// Zero or less.
    NotPositive,
    /// More than the buyer paid; `limit` is what they paid.
    AbovePaid { limit: Fen },
    /// No amount given, and nothing to take it from (what was paid is unknown).
    Missing,
}

/// The amount a step refunds: the one given, else the default ([`default_amount`]), checked
/// against what was paid ([`check_amount`]).
pub fn refund_amount(step: RefundStep, given: Option<Fen>, facts: &RefundFacts) -> Result<Fen, RefundAmountError> {
    let amount = match given {
        Some(amount) => amount,
        None => default_amount(step, facts).ok_or(RefundAmountError::Missing)?,
    };
    check_amount(amount, facts.paid)
}

/// The amount a step takes when none is given: for the refund itself the amount agreed, then
/// what the buyer asked for if it is within what was paid, then everything paid.
pub fn default_amount(step: RefundStep, facts: &RefundFacts) -> Option<Fen> {
    let agreed = match step {
        RefundStep::Refund => facts.approved,
        RefundStep::Approve => None,
    };
    agreed
        .or(facts
            .requested
            .filter(|requested| check_amount(*requested, facts.paid).is_ok()))
        .or(facts.paid)
        .filter(|amount| amount.0 > 0)
}

/// An amount may be refunded when it is more than nothing and not more than was paid (when that
/// is known).
pub fn check_amount(amount: Fen, paid: Option<Fen>) -> Result<Fen, RefundAmountError> {
    if amount.0 <= 0 {
        return Err(RefundAmountError::NotPositive);
    }
    match paid {
        Some(limit) if amount > limit => Err(RefundAmountError::AbovePaid { limit }),
        _ => Ok(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paid(fen: i64) -> RefundFacts {
        RefundFacts {
            paid: Some(Fen(fen)),
            ..RefundFacts::default()
        }
    }

    #[test]
    fn a_partial_refund_is_allowed_and_one_fen_above_what_was_paid_is_not() {
        let facts = paid(12_900);
        assert_eq!(
            refund_amount(RefundStep::Approve, Some(Fen(5_000)), &facts),
            Ok(Fen(5_000))
        );
        assert_eq!(
            refund_amount(RefundStep::Approve, Some(Fen(12_900)), &facts),
            Ok(Fen(12_900))
        );
        assert_eq!(
            refund_amount(RefundStep::Approve, Some(Fen(12_901)), &facts),
            Err(RefundAmountError::AbovePaid { limit: Fen(12_900) })
        );
    }

    #[test]
    fn nothing_or_less_is_not_a_refund() {
        let facts = paid(12_900);
        assert_eq!(
            refund_amount(RefundStep::Refund, Some(Fen(0)), &facts),
            Err(RefundAmountError::NotPositive)
        );
        assert_eq!(
            refund_amount(RefundStep::Refund, Some(Fen(-1)), &facts),
            Err(RefundAmountError::NotPositive)
        );
    }

    #[test]
    fn approving_without_an_amount_agrees_to_what_was_asked_else_everything_paid() {
        assert_eq!(refund_amount(RefundStep::Approve, None, &paid(12_900)), Ok(Fen(12_900)));
        let asked = RefundFacts {
            requested: Some(Fen(3_000)),
            ..paid(12_900)
        };
        assert_eq!(refund_amount(RefundStep::Approve, None, &asked), Ok(Fen(3_000)));
        let asked_too_much = RefundFacts {
            requested: Some(Fen(20_000)),
            ..paid(12_900)
        };
        assert_eq!(
            refund_amount(RefundStep::Approve, None, &asked_too_much),
            Ok(Fen(12_900)),
            "a request above the line's price falls back to the price"
        );
    }

    #[test]
    fn refunding_without_an_amount_refunds_what_was_agreed() {
        let agreed = RefundFacts {
            approved: Some(Fen(5_000)),
            requested: Some(Fen(3_000)),
            ..paid(12_900)
        };
        assert_eq!(refund_amount(RefundStep::Refund, None, &agreed), Ok(Fen(5_000)));
        assert_eq!(
            refund_amount(RefundStep::Approve, None, &agreed),
            Ok(Fen(3_000)),
            "an approval does not look at an earlier one"
        );
        // A return is never "approved" for an amount: its refund defaults to what was paid.
        assert_eq!(refund_amount(RefundStep::Refund, None, &paid(12_900)), Ok(Fen(12_900)));
    }

    #[test]
    fn without_knowing_what_was_paid_an_amount_must_be_given() {
        let unknown = RefundFacts::default();
        assert_eq!(
            refund_amount(RefundStep::Approve, None, &unknown),
            Err(RefundAmountError::Missing)
        );
        assert_eq!(
            refund_amount(RefundStep::Approve, Some(Fen(100)), &unknown),
            Ok(Fen(100))
        );
        assert_eq!(
            refund_amount(RefundStep::Approve, None, &paid(0)),
            Err(RefundAmountError::Missing),
            "nothing paid, nothing to refund"
        );
    }

    fn step() -> impl Strategy<Value = RefundStep> {
        prop::sample::select(vec![RefundStep::Approve, RefundStep::Refund])
    }

    proptest! {
        /// Whatever is given or defaulted, an accepted amount is more than nothing and never
        /// above what was paid; a refused one is refused for exactly that.
        #[test]
        fn an_accepted_amount_lies_within_what_was_paid(
            step in step(),
            paid in prop::option::of(0i64..10_000_000),
            requested in prop::option::of(-10i64..20_000_000),
            approved in prop::option::of(1i64..20_000_000),
            given in prop::option::of(-10i64..20_000_000),
        ) {
            let facts = RefundFacts { paid: paid.map(Fen), requested: requested.map(Fen), approved: approved.map(Fen) };
            match refund_amount(step, given.map(Fen), &facts) {
                Ok(amount) => {
                    prop_assert!(amount.0 > 0);
                    if let Some(paid) = paid { prop_assert!(amount.0 <= paid); }
                    if let Some(given) = given { prop_assert_eq!(amount.0, given); }
                }
                Err(RefundAmountError::AbovePaid { limit }) => {
                    prop_assert_eq!(Some(limit.0), paid);
                    let tried = given.map(Fen).or_else(|| default_amount(step, &facts)).expect("an amount was tried");
                    prop_assert!(tried > limit);
                }
                Err(RefundAmountError::NotPositive) => {
                    let tried = given.map(Fen).or_else(|| default_amount(step, &facts)).expect("an amount was tried");
                    prop_assert!(tried.0 <= 0);
                }
                Err(RefundAmountError::Missing) => {
                    prop_assert!(given.is_none());
                    prop_assert!(default_amount(step, &facts).is_none());
                }
            }
        }

        /// With no amount given, an approval never agrees to more than was paid when that is known.
        #[test]
        fn a_default_approval_is_within_what_was_paid(paid in 1i64..10_000_000, requested in prop::option::of(-10i64..20_000_000)) {
            let facts = RefundFacts { paid: Some(Fen(paid)), requested: requested.map(Fen), approved: None };
            let amount = refund_amount(RefundStep::Approve, None, &facts).expect("a default exists");
            prop_assert!(amount.0 > 0 && amount.0 <= paid);
        }
    }
}
