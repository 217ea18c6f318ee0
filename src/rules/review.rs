//! The two clocks of a bad review (中差评): the buyer's window to revise it and the shop's
//! deadline to post an explanation (解释) under it, both counted from when the review was posted,
//! and which of them still apply at a ticket's point.
//!
//! The durations are per-shop settings with the platform's defaults, like the response timers
//! of [`crate::rules::timers`]. The defaults are Taobao's published review rule (《淘宝网评价规范》,
//! rule.taobao.com): a buyer who left a 中评 or 差评 may change or delete it once within 30 days
//! of posting it, and the party reviewed may post an explanation within 30 days of the review.
//! Like the platform's other clocks they run in plain hours (a "day" is 24 h), through nights
//! and holidays.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::rules::workflow::Status;

/// The review clocks a shop works under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewTimers {
    /// Days the buyer may revise (or delete) a 中评/差评 after posting it.
    pub revise_days: u32,
    /// Days the shop may post an explanation under the review after it was posted.
    pub explain_days: u32,
}

impl Default for ReviewTimers {
    fn default() -> Self {
        ReviewTimers {
            revise_days: 30,
            explain_days: 30,
        }
    }
}

impl ReviewTimers {
    /// Whether every duration is one the desk accepts as a setting: 1 to 180 days.
    pub fn is_valid(&self) -> bool {
        let in_range = |days: u32| (1..=180).contains(&days);
        in_range(self.revise_days) && in_range(self.explain_days)
    }
}

/// Which review clock is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReviewTimerKind {
    /// The buyer may still revise or delete the review.
    #[serde(rename = "buyer_revise_review")]
    BuyerRevise,
    /// The shop may still post its explanation under the review.
    #[serde(rename = "seller_explain_review")]
    SellerExplain,
}

impl ReviewTimerKind {
    /// Every kind, in the order the ticket page lists them.
    pub const ALL: [ReviewTimerKind; 2] = [ReviewTimerKind::BuyerRevise, ReviewTimerKind::SellerExplain];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewTimerKind::BuyerRevise => "buyer_revise_review",
            ReviewTimerKind::SellerExplain => "seller_explain_review",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<ReviewTimerKind> {
        ReviewTimerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The catalogue key of what the countdown is for.
    pub fn label_key(self) -> &'static str {
        match self {
            ReviewTimerKind::BuyerRevise => "review.timer.buyer_revise",
            ReviewTimerKind::SellerExplain => "review.timer.seller_explain",
        }
    }

    /// The catalogue key of what happens when it runs out.
    pub fn on_timeout_key(self) -> &'static str {
        match self {
            ReviewTimerKind::BuyerRevise => "review.timer.buyer_revise_timeout",
            ReviewTimerKind::SellerExplain => "review.timer.seller_explain_timeout",
        }
    }
}

/// One running review clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewCountdown {
    pub kind: ReviewTimerKind,
    /// The instant it runs out.
    pub deadline: DateTime<Utc>,
}

impl ReviewCountdown {
    /// Whether it has run out at `now`: from the deadline instant on.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.deadline
    }
}

/// The review clocks that still apply to a bad-review ticket in `status` (for a held ticket —
/// escalated or with the platform — `held_from`, the status it returns to, decides), for a
/// review posted at `reviewed_at`:
///
/// - the buyer's revision window, until the review is revised, appealed to the platform or the
///   ticket closed; posting an explanation does not end it (the buyer may still change the
///   review under it);
/// - the explanation deadline, until the explanation is posted, the review revised (nothing is
///   left to explain), appealed or the ticket closed.
///
/// Once appealed, the platform decides about the review: the desk no longer counts on the
/// buyer or on an explanation, so neither clock is shown (an explanation may still be posted,
/// the workflow allows it).
///
/// Expired clocks are still listed (the page shows them as overdue); the caller asks only for
/// bad reviews.
pub fn review_countdowns(
    status: Status,
    held_from: Option<Status>,
    reviewed_at: DateTime<Utc>,
    timers: &ReviewTimers,
) -> Vec<ReviewCountdown> {
    let at = match status {
        Status::Escalated | Status::PlatformIntervention => held_from.unwrap_or(status),
        other => other,
    };
    let mut running = Vec::new();
    if matches!(at, Status::Open | Status::BuyerContacted | Status::ExplanationPosted) {
        running.push(countdown(ReviewTimerKind::BuyerRevise, reviewed_at, timers.revise_days));
    }
    if matches!(at, Status::Open | Status::BuyerContacted) {
        running.push(countdown(
            ReviewTimerKind::SellerExplain,
            reviewed_at,
            timers.explain_days,
        ));
    }
    running
}

/// A deadline past the end of representable time saturates rather than overflowing.
fn countdown(kind: ReviewTimerKind, from: DateTime<Utc>, days: u32) -> ReviewCountdown {
    ReviewCountdown {
        kind,
        deadline: from
            .checked_add_signed(TimeDelta::hours(24 * i64::from(days)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid Shanghai time")
            .with_timezone(&Utc)
    }

    fn kinds(countdowns: &[ReviewCountdown]) -> Vec<ReviewTimerKind> {
        countdowns.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn the_defaults_are_taobaos_thirty_days_each() {
        let timers = ReviewTimers::default();
        assert_eq!(timers.revise_days, 30);
        assert_eq!(timers.explain_days, 30);
        assert!(timers.is_valid());
    }

    #[test]
    fn settings_missing_from_stored_json_take_the_defaults() {
        let timers: ReviewTimers = serde_json::from_str(r#"{"explain_days": 15}"#).expect("valid settings");
        assert_eq!(
            timers,
            ReviewTimers {
                revise_days: 30,
                explain_days: 15
            }
        );
        let empty: ReviewTimers = serde_json::from_str("{}").expect("valid settings");
        assert_eq!(empty, ReviewTimers::default());
    }

    #[test]
    fn zero_or_more_than_half_a_year_is_not_a_setting() {
        assert!(
            !ReviewTimers {
                revise_days: 0,
                explain_days: 30
            }
            .is_valid()
        );
        assert!(
            !ReviewTimers {
                revise_days: 30,
                explain_days: 181
            }
            .is_valid()
        );
        assert!(
            ReviewTimers {
                revise_days: 1,
                explain_days: 180
            }
            .is_valid()
        );
    }

    #[test]
    fn a_new_bad_review_runs_both_clocks_from_the_posting_time() {
        let posted = shanghai(2026, 6, 10, 21, 30);
        let running = review_countdowns(Status::Open, None, posted, &ReviewTimers::default());
        assert_eq!(
            running,
            vec![
                ReviewCountdown {
                    kind: ReviewTimerKind::BuyerRevise,
                    deadline: shanghai(2026, 7, 10, 21, 30)
                },
                ReviewCountdown {
                    kind: ReviewTimerKind::SellerExplain,
                    deadline: shanghai(2026, 7, 10, 21, 30)
                },
            ]
        );
    }

    #[test]
    fn contacting_the_buyer_stops_neither_clock() {
        let running = review_countdowns(
            Status::BuyerContacted,
            None,
            shanghai(2026, 6, 10, 9, 0),
            &ReviewTimers::default(),
        );
        assert_eq!(
            kinds(&running),
            vec![ReviewTimerKind::BuyerRevise, ReviewTimerKind::SellerExplain]
        );
    }

    #[test]
    fn a_posted_explanation_ends_its_deadline_but_the_buyer_may_still_revise() {
        let running = review_countdowns(
            Status::ExplanationPosted,
            None,
            shanghai(2026, 6, 10, 9, 0),
            &ReviewTimers::default(),
        );
        assert_eq!(kinds(&running), vec![ReviewTimerKind::BuyerRevise]);
    }

    #[test]
    fn an_appeal_ends_both_clocks() {
        let running = review_countdowns(
            Status::Appealed,
            None,
            shanghai(2026, 6, 10, 9, 0),
            &ReviewTimers::default(),
        );
        assert!(running.is_empty(), "{running:?}");
    }

    #[test]
    fn a_revised_review_or_a_closed_ticket_has_no_clock() {
        for status in [Status::ReviewRevised, Status::Closed] {
            assert!(review_countdowns(status, None, shanghai(2026, 6, 10, 9, 0), &ReviewTimers::default()).is_empty());
        }
    }

    #[test]
    fn a_held_ticket_keeps_the_clocks_of_where_it_returns_to() {
        let posted = shanghai(2026, 6, 10, 9, 0);
        let escalated = review_countdowns(
            Status::Escalated,
            Some(Status::ExplanationPosted),
            posted,
            &ReviewTimers::default(),
        );
        assert_eq!(kinds(&escalated), vec![ReviewTimerKind::BuyerRevise]);
        let appealed_then_escalated = review_countdowns(
            Status::Escalated,
            Some(Status::Appealed),
            posted,
            &ReviewTimers::default(),
        );
        assert!(appealed_then_escalated.is_empty());
        let with_platform = review_countdowns(
            Status::PlatformIntervention,
            Some(Status::Open),
            posted,
            &ReviewTimers::default(),
        );
        assert_eq!(with_platform.len(), 2);
    }

    #[test]
    fn shop_settings_change_the_durations() {
        let timers = ReviewTimers {
            revise_days: 15,
            explain_days: 7,
        };
        let running = review_countdowns(Status::Open, None, shanghai(2026, 6, 10, 9, 0), &timers);
        assert_eq!(running[0].deadline, shanghai(2026, 6, 25, 9, 0));
        assert_eq!(running[1].deadline, shanghai(2026, 6, 17, 9, 0));
    }

    #[test]
    fn a_countdown_expires_at_its_deadline() {
        let countdown = ReviewCountdown {
            kind: ReviewTimerKind::SellerExplain,
            deadline: shanghai(2026, 7, 10, 9, 0),
        };
        assert!(!countdown.is_expired(shanghai(2026, 7, 10, 8, 59)));
        assert!(countdown.is_expired(shanghai(2026, 7, 10, 9, 0)));
    }

    #[test]
    fn huge_settings_saturate_instead_of_overflowing() {
        let timers = ReviewTimers {
            revise_days: u32::MAX,
            explain_days: u32::MAX,
        };
        let running = review_countdowns(Status::Open, None, DateTime::<Utc>::MAX_UTC, &timers);
        assert!(running.iter().all(|c| c.deadline == DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn kinds_round_trip_and_have_catalogue_labels() {
        for kind in ReviewTimerKind::ALL {
            assert_eq!(ReviewTimerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).expect("serialises"), kind.as_str());
            for key in [kind.label_key(), kind.on_timeout_key()] {
                assert!(crate::i18n::has(key), "missing {key}");
            }
        }
        assert_eq!(ReviewTimerKind::parse("nonsense"), None);
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn every_clock_ends_after_the_review_was_posted(
            posted_s in 1_600_000_000i64..1_900_000_000,
            revise_days in 1u32..=180,
            explain_days in 1u32..=180,
            status in any_status(),
            held_from in proptest::option::of(any_status()),
        ) {
            let posted = DateTime::<Utc>::from_timestamp(posted_s, 0).expect("in range");
            let timers = ReviewTimers { revise_days, explain_days };
            for countdown in review_countdowns(status, held_from, posted, &timers) {
                prop_assert!(countdown.deadline > posted);
                prop_assert!(!countdown.is_expired(posted));
            }
        }

        #[test]
        fn no_clock_runs_once_revised_appealed_or_closed_whatever_the_settings(
            posted_s in 1_600_000_000i64..1_900_000_000,
            revise_days in 1u32..=180,
            explain_days in 1u32..=180,
        ) {
            let posted = DateTime::<Utc>::from_timestamp(posted_s, 0).expect("in range");
            let timers = ReviewTimers { revise_days, explain_days };
            for status in [Status::ReviewRevised, Status::Appealed, Status::Closed] {
                prop_assert!(review_countdowns(status, None, posted, &timers).is_empty());
            }
        }
    }
}
