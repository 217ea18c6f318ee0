//! What a supervisor should look at first: each open ticket's most pressing exposure, and an
//! order over them by what is lost soonest. Pure: the caller gives the ticket's running clocks,
//! its platform deadline, its follow-up due time and `now`.
//!
//! The order (issue 14, DOMAIN.md §2–§4):
//! 1. a platform clock whose run-out costs money or standing — the platform refunds or deems the
//!    request agreed by itself, the request closes, the statutory refund deadline passes, or the
//!    platform decides an intervention — running out within the horizon (or already run out);
//! 2. then follow-ups overdue (an internal promise: the 24-hour cycle);
//! 3. then follow-ups falling due within the horizon.
//!
//! Within a tier, the soonest deadline first; ties by ticket id, so the order is total.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};

use crate::rules::timers::{Countdown, TimerKind};

/// How far ahead a platform clock counts as pressing.
pub const HORIZON_HOURS: i64 = 24;

/// What a ticket stands to lose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// A platform clock runs out: what happens then is the timer's own (`on_timeout_label`).
    PlatformTimer(TimerKind),
    /// The platform decides an intervention (平台介入) at its deadline.
    PlatformDecision,
    /// The 24-hour follow-up is overdue (escalated each missed cycle).
    FollowUpOverdue,
    /// The 24-hour follow-up falls due soon.
    FollowUpDue,
}

impl Exposure {
    /// The tier: 0 money or standing, 1 overdue follow-up, 2 follow-up due soon.
    pub fn tier(self) -> u8 {
        match self {
            Exposure::PlatformTimer(_) | Exposure::PlatformDecision => 0,
            Exposure::FollowUpOverdue => 1,
            Exposure::FollowUpDue => 2,
        }
    }
}

/// A ticket's most pressing exposure and when it strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Risk {
    pub exposure: Exposure,
    pub deadline: DateTime<Utc>,
}

/// The facts of one ticket the assessment reads.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// The platform clocks running now (as `tickets::Ticket::running_timers` gives them).
    pub timers: &'a [Countdown],
    /// The platform's decision deadline, while in platform intervention.
    pub platform_deadline: Option<DateTime<Utc>>,
    /// When the next follow-up is due (`None` out of the cycle).
    pub follow_up_due: Option<DateTime<Utc>>,
}

/// The ticket's most pressing exposure at `now`, if any lies within `horizon`: the soonest
/// money-or-standing clock inside it, else an overdue follow-up, else a follow-up due inside it.
pub fn assess(facts: &Facts<'_>, now: DateTime<Utc>, horizon: Duration) -> Option<Risk> {
    let until = now + horizon;
    let platform = facts
        .timers
        .iter()
        .map(|c| Risk {
            exposure: Exposure::PlatformTimer(c.kind),
            deadline: c.deadline,
        })
        .chain(facts.platform_deadline.map(|deadline| Risk {
            exposure: Exposure::PlatformDecision,
            deadline,
        }))
        .filter(|r| r.deadline < until)
        .min_by_key(|r| r.deadline);
    platform.or_else(|| {
        facts.follow_up_due.filter(|due| *due < until).map(|due| Risk {
            exposure: if due <= now {
                Exposure::FollowUpOverdue
            } else {
                Exposure::FollowUpDue
            },
            deadline: due,
        })
    })
}

/// The supervisor's order: tier, then the soonest deadline, then the ticket id.
pub fn rank(a: (&Risk, i64), b: (&Risk, i64)) -> Ordering {
    a.0.exposure
        .tier()
        .cmp(&b.0.exposure.tier())
        .then(a.0.deadline.cmp(&b.0.deadline))
        .then(a.1.cmp(&b.1))
}

/// Whom to give the next ticket: the worker with the fewest open tickets (ties: the lowest id,
/// so the choice is stable). `loads` are `(worker id, open tickets)`.
pub fn least_loaded(loads: &[(i64, i64)]) -> Option<i64> {
    loads
        .iter()
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(id, _)| *id)
}

/// Hands `tickets` out one by one to the least-loaded worker, counting each assignment into the
/// load before the next: returns `(ticket, worker)` pairs. Nothing when there is no worker.
pub fn spread(tickets: &[i64], loads: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut loads = loads.to_vec();
    let mut out = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        let Some(worker) = least_loaded(&loads) else {
            break;
        };
        if let Some(load) = loads.iter_mut().find(|(id, _)| *id == worker) {
            load.1 += 1;
        }
        out.push((*ticket, worker));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 15, 2, 0, 0).unwrap()
    }

    fn timer(kind: TimerKind, hours: i64) -> Countdown {
        Countdown {
            kind,
            deadline: now() + Duration::hours(hours),
        }
    }

    fn horizon() -> Duration {
        Duration::hours(HORIZON_HOURS)
    }

    #[test]
    fn an_auto_refund_in_two_hours_comes_before_a_follow_up_thirty_hours_overdue() {
        let refund = [timer(TimerKind::SellerConfirmReceipt, 2)];
        let money = assess(
            &Facts {
                timers: &refund,
                platform_deadline: None,
                follow_up_due: Some(now() + Duration::hours(20)),
            },
            now(),
            horizon(),
        )
        .unwrap();
        let late = assess(
            &Facts {
                timers: &[],
                platform_deadline: None,
                follow_up_due: Some(now() - Duration::hours(30)),
            },
            now(),
            horizon(),
        )
        .unwrap();
        assert_eq!(money.exposure, Exposure::PlatformTimer(TimerKind::SellerConfirmReceipt));
        assert_eq!(late.exposure, Exposure::FollowUpOverdue);
        assert_eq!(rank((&money, 9), (&late, 1)), Ordering::Less);
    }

    #[test]
    fn a_clock_beyond_the_horizon_leaves_the_follow_up_in_charge() {
        let far = [timer(TimerKind::BuyerShipReturn, 100)];
        let risk = assess(
            &Facts {
                timers: &far,
                platform_deadline: None,
                follow_up_due: Some(now() - Duration::hours(1)),
            },
            now(),
            horizon(),
        );
        assert_eq!(risk.map(|r| r.exposure), Some(Exposure::FollowUpOverdue));
        let calm = assess(
            &Facts {
                timers: &far,
                platform_deadline: None,
                follow_up_due: Some(now() + Duration::hours(30)),
            },
            now(),
            horizon(),
        );
        assert_eq!(calm, None, "nothing within the horizon");
    }

    #[test]
    fn the_platforms_decision_counts_as_money_and_the_soonest_clock_wins() {
        let timers = [timer(TimerKind::StatutoryRefund, 10)];
        let risk = assess(
            &Facts {
                timers: &timers,
                platform_deadline: Some(now() + Duration::hours(3)),
                follow_up_due: None,
            },
            now(),
            horizon(),
        )
        .unwrap();
        assert_eq!(risk.exposure, Exposure::PlatformDecision);
        assert_eq!(risk.deadline, now() + Duration::hours(3));
    }

    #[test]
    fn work_goes_to_the_least_loaded_and_spreads_as_it_is_handed_out() {
        assert_eq!(least_loaded(&[(1, 73), (2, 4), (3, 4)]), Some(2));
        assert_eq!(least_loaded(&[]), None);
        assert_eq!(
            spread(&[10, 11, 12], &[(1, 5), (2, 4)]),
            vec![(10, 2), (11, 1), (12, 2)]
        );
        assert!(spread(&[10], &[]).is_empty());
    }

    fn exposure() -> impl Strategy<Value = Exposure> {
        prop_oneof![
            proptest::sample::select(TimerKind::ALL.to_vec()).prop_map(Exposure::PlatformTimer),
            Just(Exposure::PlatformDecision),
            Just(Exposure::FollowUpOverdue),
            Just(Exposure::FollowUpDue),
        ]
    }

    proptest! {
        #[test]
        fn money_always_comes_before_a_follow_up(
            a in exposure(), b in exposure(), da in -100i64..100, db in -100i64..100, ia in 0i64..50, ib in 0i64..50,
        ) {
            let ra = Risk { exposure: a, deadline: now() + Duration::hours(da) };
            let rb = Risk { exposure: b, deadline: now() + Duration::hours(db) };
            if a.tier() == 0 && b.tier() > 0 {
                prop_assert_eq!(rank((&ra, ia), (&rb, ib)), Ordering::Less);
            }
            // A total order: antisymmetric, and equal only for the same ticket.
            prop_assert_eq!(rank((&ra, ia), (&rb, ib)), rank((&rb, ib), (&ra, ia)).reverse());
        }

        #[test]
        fn an_assessment_lies_within_the_horizon_or_is_overdue(
            hours in proptest::collection::vec(-48i64..96, 0..4), platform in proptest::option::of(-48i64..96),
            follow_up in proptest::option::of(-48i64..96),
        ) {
            let timers: Vec<Countdown> = hours.iter().map(|h| timer(TimerKind::SellerAnswerShipped, *h)).collect();
            let facts = Facts {
                timers: &timers,
                platform_deadline: platform.map(|h| now() + Duration::hours(h)),
                follow_up_due: follow_up.map(|h| now() + Duration::hours(h)),
            };
            if let Some(risk) = assess(&facts, now(), horizon()) {
                prop_assert!(risk.deadline < now() + horizon());
                if risk.exposure.tier() > 0 {
                    // No money clock inside the horizon was passed over.
                    prop_assert!(timers.iter().all(|c| c.deadline >= now() + horizon()));
                    prop_assert!(facts.platform_deadline.is_none_or(|d| d >= now() + horizon()));
                }
            }
        }

        #[test]
        fn spreading_never_leaves_a_worker_more_than_one_above_the_least(
            start in proptest::collection::vec(0i64..20, 1..5), n in 0usize..40,
        ) {
            let loads: Vec<(i64, i64)> = start.iter().enumerate().map(|(i, l)| (i as i64, *l)).collect();
            let tickets: Vec<i64> = (0..n as i64).collect();
            let given = spread(&tickets, &loads);
            prop_assert_eq!(given.len(), n);
            let mut after = loads.clone();
            for (_, worker) in &given {
                after.iter_mut().find(|(id, _)| id == worker).unwrap().1 += 1;
            }
            let least = after.iter().map(|l| l.1).min().unwrap();
            // Every worker who received any work ends at most one above the least loaded.
            for (id, load) in &after {
                if given.iter().any(|(_, w)| w == id) {
                    prop_assert!(*load <= least + 1, "{after:?}");
                }
            }
        }
    }
}
