//! The follow-up cycle (每24小时跟进一次, DOMAIN.md §2): when an open ticket's next follow-up is
//! due, whether it is overdue, and which cycles have been missed so far.
//!
//! The cycle runs in plain hours: nights, weekends and holidays are not skipped (the seed says
//! "every 24 hours, in a loop"). Which tickets have a cycle at all (not closed, rejected or
//! resolved) is the workflow's business, not this module's.

use chrono::{DateTime, TimeDelta, Utc};

/// The platform-wide default interval; each shop may set its own.
pub const DEFAULT_FOLLOW_UP_HOURS: u32 = 24;

/// The shortest interval honoured. Zero hours would make a ticket overdue the instant it is
/// followed up and give an endless list of missed cycles, so it counts as one hour.
pub const MIN_FOLLOW_UP_HOURS: u32 = 1;

/// The most missed cycles [`missed_cycles`] lists. A ticket neglected (or imported) years ago
/// would otherwise give thousands of escalations at once; the sweep only needs the recent
/// ones, and earlier sweeps recorded the earlier ones.
pub const MAX_MISSED_CYCLES: usize = 366;

/// The share of cycles to follow up in time (percent) a supervisor holds agents to: below it a
/// figure shows red, at or above it green — one rule for every compliance figure.
pub const COMPLIANCE_TARGET: f64 = 90.0;

fn interval(interval_hours: u32) -> TimeDelta {
    TimeDelta::hours(i64::from(interval_hours.max(MIN_FOLLOW_UP_HOURS)))
}

/// When the next follow-up is due: the last follow-up (or the opening, when there was none)
/// plus the interval. Saturates at the latest representable instant instead of overflowing.
pub fn follow_up_due_at(last_contact_or_opening: DateTime<Utc>, interval_hours: u32) -> DateTime<Utc> {
    last_contact_or_opening
        .checked_add_signed(interval(interval_hours))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether a follow-up due at `due` is overdue at `now`: from the first instant after `due`
/// (a follow-up recorded exactly at `due` is on time).
pub fn is_overdue(due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > due
}

/// The due instants of the cycles missed by `now`, oldest first: `due`, `due + interval`, …,
/// each one earlier than `now`. A sweep records one escalation per entry, keyed by its instant,
/// so the same cycle is never escalated twice.
///
/// At most [`MAX_MISSED_CYCLES`] entries are returned, and they are the *latest* ones: keeping
/// the oldest would stop a long-neglected ticket from ever escalating again.
pub fn missed_cycles(due: DateTime<Utc>, now: DateTime<Utc>, interval_hours: u32) -> Vec<DateTime<Utc>> {
    if !is_overdue(due, now) {
        return Vec::new();
    }
    let step = interval(interval_hours);
    let elapsed = now - due;
    // Cycle k (due + k·step) is missed when k·step < elapsed, i.e. k < ceil(elapsed / step).
    let step_seconds = step.num_seconds();
    let whole_steps = elapsed.num_seconds() / step_seconds;
    let partial_step = elapsed.num_seconds() % step_seconds != 0 || elapsed.subsec_nanos() != 0;
    let missed = whole_steps + i64::from(partial_step);
    let first = missed.saturating_sub(MAX_MISSED_CYCLES as i64).max(0);
    (first..missed)
        .map_while(|k| {
            let offset = TimeDelta::try_seconds(step_seconds.checked_mul(k)?)?;
            due.checked_add_signed(offset)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, s)
            .single()
            .expect("valid Shanghai time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_complaint_opened_on_national_day_is_due_24_hours_later() {
        // Worked case: opened 2025-10-01 09:00, nothing since → due 10-02 09:00.
        let due = follow_up_due_at(shanghai(2025, 10, 1, 9, 0, 0), DEFAULT_FOLLOW_UP_HOURS);
        assert_eq!(due, shanghai(2025, 10, 2, 9, 0, 0));
    }

    #[test]
    fn a_follow_up_is_overdue_one_second_after_it_is_due() {
        let due = shanghai(2025, 10, 2, 9, 0, 0);
        assert!(!is_overdue(due, shanghai(2025, 10, 2, 8, 59, 59)));
        assert!(!is_overdue(due, due));
        assert!(is_overdue(due, shanghai(2025, 10, 2, 9, 0, 1)));
    }

    #[test]
    fn holidays_and_nights_are_not_skipped() {
        // Opened on New Year's Eve at 23:30: due the next night at 23:30, a holiday.
        let due = follow_up_due_at(shanghai(2025, 12, 31, 23, 30, 0), 24);
        assert_eq!(due, shanghai(2026, 1, 1, 23, 30, 0));
    }

    #[test]
    fn the_interval_is_a_shop_setting() {
        let opened = shanghai(2025, 3, 10, 9, 0, 0);
        assert_eq!(follow_up_due_at(opened, 12), shanghai(2025, 3, 10, 21, 0, 0));
        assert_eq!(follow_up_due_at(opened, 48), shanghai(2025, 3, 12, 9, 0, 0));
    }

    #[test]
    fn a_zero_hour_interval_counts_as_one_hour() {
        let opened = shanghai(2025, 3, 10, 9, 0, 0);
        assert_eq!(follow_up_due_at(opened, 0), shanghai(2025, 3, 10, 10, 0, 0));
        // Due at 09:00 with one-hour cycles: 09:00, 10:00 and 11:00 are missed by 11:30.
        assert_eq!(missed_cycles(opened, shanghai(2025, 3, 10, 11, 30, 0), 0).len(), 3);
    }

    #[test]
    fn a_due_time_past_the_end_of_time_saturates() {
        assert_eq!(follow_up_due_at(DateTime::<Utc>::MAX_UTC, 24), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn the_due_time_crosses_month_and_leap_day_boundaries() {
        assert_eq!(
            follow_up_due_at(shanghai(2028, 2, 28, 18, 0, 0), 24),
            shanghai(2028, 2, 29, 18, 0, 0)
        );
        assert_eq!(
            follow_up_due_at(shanghai(2025, 2, 28, 18, 0, 0), 24),
            shanghai(2025, 3, 1, 18, 0, 0)
        );
    }

    #[test]
    fn nothing_is_missed_before_or_at_the_due_instant() {
        let due = shanghai(2025, 10, 2, 9, 0, 0);
        assert!(missed_cycles(due, shanghai(2025, 10, 1, 9, 0, 0), 24).is_empty());
        assert!(missed_cycles(due, due, 24).is_empty());
    }

    #[test]
    fn one_second_after_due_one_cycle_is_missed() {
        let due = shanghai(2025, 10, 2, 9, 0, 0);
        assert_eq!(missed_cycles(due, shanghai(2025, 10, 2, 9, 0, 1), 24), vec![due]);
    }

    #[test]
    fn one_nanosecond_after_due_one_cycle_is_missed() {
        let due = shanghai(2025, 10, 2, 9, 0, 0);
        let now = due + TimeDelta::nanoseconds(1);
        assert_eq!(missed_cycles(due, now, 24), vec![due]);
    }

    #[test]
    fn each_missed_cycle_is_listed_once_by_its_due_instant() {
        let due = shanghai(2025, 10, 2, 9, 0, 0);
        // Exactly 48 h later, the third cycle is due but not yet missed.
        assert_eq!(
            missed_cycles(due, shanghai(2025, 10, 4, 9, 0, 0), 24),
            vec![due, shanghai(2025, 10, 3, 9, 0, 0)]
        );
        assert_eq!(
            missed_cycles(due, shanghai(2025, 10, 4, 9, 0, 1), 24),
            vec![due, shanghai(2025, 10, 3, 9, 0, 0), shanghai(2025, 10, 4, 9, 0, 0)]
        );
    }

    #[test]
    fn a_ticket_neglected_for_years_lists_only_the_latest_cycles() {
        let due = shanghai(2020, 1, 1, 9, 0, 0);
        let now = shanghai(2025, 1, 1, 9, 30, 0);
        let cycles = missed_cycles(due, now, 24);
        assert_eq!(cycles.len(), MAX_MISSED_CYCLES);
        assert_eq!(cycles.last(), Some(&shanghai(2025, 1, 1, 9, 0, 0)));
        assert!(cycles.windows(2).all(|pair| pair[1] - pair[0] == TimeDelta::hours(24)));
    }

    #[test]
    fn missed_cycles_near_the_end_of_time_do_not_overflow() {
        let due = DateTime::<Utc>::MAX_UTC - TimeDelta::hours(30);
        let cycles = missed_cycles(due, DateTime::<Utc>::MAX_UTC, 24);
        assert_eq!(cycles, vec![due, due + TimeDelta::hours(24)]);
        let from_the_beginning = missed_cycles(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, 1);
        assert_eq!(from_the_beginning.len(), MAX_MISSED_CYCLES);
    }

    proptest! {
        #[test]
        fn every_missed_cycle_is_before_now_and_the_next_is_not(
            due_s in 1_600_000_000i64..1_900_000_000,
            later_s in 0i64..5_000_000,
            hours in 1u32..100,
        ) {
            let due = DateTime::<Utc>::from_timestamp(due_s, 0).expect("in range");
            let now = DateTime::<Utc>::from_timestamp(due_s + later_s, 0).expect("in range");
            let cycles = missed_cycles(due, now, hours);
            let step = TimeDelta::hours(i64::from(hours));
            prop_assert!(cycles.iter().all(|c| *c < now && *c >= due));
            prop_assert!(cycles.windows(2).all(|pair| pair[1] - pair[0] == step));
            match cycles.last() {
                Some(last) => prop_assert!(*last + step >= now),
                None => prop_assert!(!is_overdue(due, now)),
            }
            if cycles.len() < MAX_MISSED_CYCLES {
                prop_assert_eq!(cycles.first().copied(), is_overdue(due, now).then_some(due));
            }
        }

        #[test]
        fn the_due_time_is_exactly_the_interval_later(
            at_s in 0i64..4_000_000_000, hours in 1u32..10_000,
        ) {
            let at = DateTime::<Utc>::from_timestamp(at_s, 0).expect("in range");
            prop_assert_eq!(follow_up_due_at(at, hours) - at, TimeDelta::hours(i64::from(hours)));
        }
    }
}
