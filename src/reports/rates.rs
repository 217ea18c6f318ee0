//! The arithmetic of the reports, pure: a rate with its numerator, denominator and time basis,
//! the change against the previous period, the period itself and the one before it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::FieldError;

/// What a rate counts by (DOMAIN.md §7: always shown beside the rate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Order lines by the day the buyer signed for them.
    SignDate,
    /// Orders by the day they were paid.
    PaymentDate,
    /// Tickets by the day they were opened.
    RequestDate,
    /// Tickets by the day they were closed.
    CloseDate,
}

impl Basis {
    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Basis::SignDate => "reports.basis.sign_date",
            Basis::PaymentDate => "reports.basis.payment_date",
            Basis::RequestDate => "reports.basis.request_date",
            Basis::CloseDate => "reports.basis.close_date",
        }
    }
}

/// Below this many in its denominator a rate is too small a sample to judge by (one order more
/// or less moves it by 5 points or more): the page shows it greyed, with its `n`, and never as
/// good or bad.
pub const SMALL_DENOMINATOR: i64 = 20;

/// A share with what it is made of. `value` is the fraction (0.125 = 12.5 %), absent when the
/// denominator is zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    pub value: Option<f64>,
    pub basis: Basis,
}

impl Rate {
    /// `numerator ÷ denominator`.
    pub fn new(numerator: i64, denominator: i64, basis: Basis) -> Rate {
        Rate {
            numerator,
            denominator,
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            basis,
        }
    }

    /// The rate as a percentage with two decimals, or a dash.
    pub fn percent(&self) -> String {
        self.value
            .map(|v| format!("{:.2}%", v * 100.0))
            .unwrap_or_else(|| "—".into())
    }

    /// `n / d`.
    pub fn fraction(&self) -> String {
        format!("{} / {}", self.numerator, self.denominator)
    }

    /// Whether the denominator is below [`SMALL_DENOMINATOR`] (zero included).
    pub fn is_small(&self) -> bool {
        self.denominator < SMALL_DENOMINATOR
    }

    /// The rate in percent as a plain number with two decimals (`66.67`), for a spreadsheet;
    /// empty when there is no value.
    pub fn percent_number(&self) -> String {
        self.value.map(|v| format!("{:.2}", v * 100.0)).unwrap_or_default()
    }
}

/// The change from the previous period in percentage points (None when either has no value).
pub fn change_points(current: &Rate, previous: &Rate) -> Option<f64> {
    Some((current.value? - previous.value?) * 100.0)
}

/// Percentage points with a sign, two decimals (`+1.25 pp`), or a dash.
pub fn points_text(points: Option<f64>) -> String {
    match points {
        Some(p) => format!("{p:+.2} pp"),
        None => "—".into(),
    }
}

/// The nearest-rank percentile of sorted values (what PostgreSQL's `percentile_disc` gives):
/// the smallest value with at least `p` of all values at or below it.
pub fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// Times to resolve are kept pre-counted as a histogram (`report_days.resolve_*`): whole minutes
/// below an hour, then buckets 2 % wide (an hour × 1.02ⁿ). The SQL twin is `report_bucket` in the
/// migration that creates the rollup; the two must agree.
pub const BUCKET_GROWTH: f64 = 1.02;

/// The histogram bucket of a time to resolve of `seconds`.
pub fn resolve_bucket(seconds: i64) -> i16 {
    let seconds = seconds.max(0);
    if seconds < 3600 {
        (seconds / 60) as i16
    } else {
        let steps = ((seconds as f64 / 3600.0).ln() / BUCKET_GROWTH.ln()).floor();
        60 + steps.min(f64::from(i16::MAX - 60)) as i16
    }
}

/// A histogram of times to resolve: per bucket, the tickets and the longest time in seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolveHistogram {
    buckets: std::collections::BTreeMap<i16, (i64, i64)>,
}

impl ResolveHistogram {
    /// Adds `count` tickets in `bucket`, the longest of them `max_seconds`.
    pub fn add(&mut self, bucket: i16, count: i64, max_seconds: i64) {
        let entry = self.buckets.entry(bucket).or_insert((0, max_seconds));
        entry.0 += count;
        entry.1 = entry.1.max(max_seconds);
    }

    /// Tickets counted.
    pub fn tickets(&self) -> i64 {
        self.buckets.values().map(|(count, _)| count).sum()
    }

    /// The nearest-rank 90th percentile in hours: the longest time of the bucket that holds the
    /// rank. It is the exact percentile when no other time lies within the same bucket above it,
    /// and otherwise at most one bucket width above it (a minute below an hour, then 2 %).
    pub fn p90_hours(&self) -> Option<f64> {
        let tickets = self.tickets();
        if tickets == 0 {
            return None;
        }
        let rank = ((0.9 * tickets as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (count, max_seconds) in self.buckets.values() {
            seen += count;
            if seen >= rank {
                return Some(*max_seconds as f64 / 3600.0);
            }
        }
        None
    }
}

/// A report period: whole local days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 400;

impl Period {
    /// A period, checked: `from` not after `to`, at most [`MAX_DAYS`] days.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, FieldError> {
        if from > to {
            return Err(FieldError::new("from", "reports.range.from_after_to")
                .with("from", from)
                .with("to", to));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(FieldError::new("from", "reports.range.too_long").with("max", MAX_DAYS));
        }
        Ok(Period { from, to })
    }

    /// Its length in days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length just before.
    pub fn previous(&self) -> Period {
        let days = self.days();
        Period {
            from: self.from - Duration::days(days),
            to: self.from - Duration::days(1),
        }
    }

    /// The instants it spans in `zone`: `[from 00:00, to + 1 day 00:00)`.
    pub fn bounds(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |day: NaiveDate| {
            day.and_hms_opt(0, 0, 0)
                .and_then(|m| zone.from_local_datetime(&m).earliest())
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        };
        (midnight(self.from), midnight(self.to + Duration::days(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_rate_keeps_its_parts_and_has_no_value_over_zero() {
        let rate = Rate::new(1, 8, Basis::SignDate);
        assert_eq!(rate.value, Some(0.125));
        assert_eq!(rate.percent(), "12.50%");
        assert_eq!(Rate::new(0, 0, Basis::PaymentDate).value, None);
    }

    #[test]
    fn a_rate_below_twenty_is_a_small_sample_and_exports_as_a_plain_number() {
        assert!(Rate::new(4, 6, Basis::PaymentDate).is_small());
        assert!(Rate::new(0, 0, Basis::PaymentDate).is_small());
        assert!(!Rate::new(4, SMALL_DENOMINATOR, Basis::PaymentDate).is_small());
        assert_eq!(Rate::new(4, 6, Basis::PaymentDate).percent_number(), "66.67");
        assert_eq!(Rate::new(0, 0, Basis::PaymentDate).percent_number(), "");
    }

    #[test]
    fn change_is_in_percentage_points() {
        let now = Rate::new(3, 10, Basis::PaymentDate);
        let before = Rate::new(1, 10, Basis::PaymentDate);
        let points = change_points(&now, &before).expect("both have values");
        assert!((points - 20.0).abs() < 1e-9);
        assert_eq!(points_text(Some(points)), "+20.00 pp");
        assert_eq!(change_points(&now, &Rate::new(0, 0, Basis::PaymentDate)), None);
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(nearest_rank(&values, 0.9), Some(9.0));
        assert_eq!(nearest_rank(&[5.0], 0.9), Some(5.0));
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0], 0.9), Some(3.0));
        assert_eq!(nearest_rank(&[], 0.9), None);
    }

    fn histogram_of(seconds: &[i64]) -> ResolveHistogram {
        let mut histogram = ResolveHistogram::default();
        for &s in seconds {
            histogram.add(resolve_bucket(s), 1, s);
        }
        histogram
    }

    #[test]
    fn buckets_are_minutes_below_an_hour_then_two_percent_wide() {
        assert_eq!(resolve_bucket(0), 0);
        assert_eq!(resolve_bucket(59), 0);
        assert_eq!(resolve_bucket(60), 1);
        assert_eq!(resolve_bucket(3599), 59);
        assert_eq!(resolve_bucket(3600), 60);
        assert_eq!(resolve_bucket(3600 * 102 / 100 + 1), 61);
        assert_eq!(resolve_bucket(-5), 0);
        // A year and more still fits.
        assert!(resolve_bucket(400 * 86_400) < 600);
    }

    #[test]
    fn p90_from_the_histogram_of_far_apart_times_is_exact() {
        let hours: Vec<i64> = (1..=10).map(|h| h * 3600).collect();
        let histogram = histogram_of(&hours);
        assert_eq!(histogram.p90_hours(), Some(9.0));
        assert_eq!(histogram.tickets(), 10);
        assert_eq!(ResolveHistogram::default().p90_hours(), None);
    }

    proptest::proptest! {
        #[test]
        fn p90_from_the_histogram_is_the_true_one_or_at_most_a_bucket_above(
            mut seconds in proptest::collection::vec(0i64..40_000_000, 1..300)
        ) {
            let histogram = histogram_of(&seconds);
            seconds.sort_unstable();
            let exact = nearest_rank(&seconds.iter().map(|&s| s as f64).collect::<Vec<_>>(), 0.9)
                .expect("not empty") / 3600.0;
            let p90 = histogram.p90_hours().expect("not empty");
            proptest::prop_assert!(p90 >= exact - 1e-9, "p90 {} below the exact {}", p90, exact);
            let bound = (exact * BUCKET_GROWTH).max(exact + 1.0 / 60.0);
            proptest::prop_assert!(p90 <= bound + 1e-9, "p90 {} above the bound {}", p90, bound);
            proptest::prop_assert_eq!(histogram.tickets(), seconds.len() as i64);
        }

        #[test]
        fn merged_histograms_equal_one_histogram_of_everything(
            a in proptest::collection::vec(0i64..10_000_000, 0..100),
            b in proptest::collection::vec(0i64..10_000_000, 0..100),
        ) {
            let mut merged = histogram_of(&a);
            let other = histogram_of(&b);
            for (bucket, (count, max)) in &other.buckets {
                merged.add(*bucket, *count, *max);
            }
            let all: Vec<i64> = a.iter().chain(&b).copied().collect();
            proptest::prop_assert_eq!(merged, histogram_of(&all));
        }
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let march = Period::new(day("2025-03-01"), day("2025-03-31")).expect("valid");
        assert_eq!(
            march.previous(),
            Period {
                from: day("2025-01-29"),
                to: day("2025-02-28")
            }
        );
        assert!(Period::new(day("2025-03-02"), day("2025-03-01")).is_err());
    }

    #[test]
    fn bounds_are_local_midnights() {
        let p = Period::new(day("2025-03-10"), day("2025-03-10")).expect("valid");
        let (from, to) = p.bounds(chrono_tz::Asia::Shanghai);
        assert_eq!(from.to_rfc3339(), "2025-03-09T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2025-03-10T16:00:00+00:00");
    }
}
