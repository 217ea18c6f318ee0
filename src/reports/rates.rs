//! The arithmetic of the reports, pure: a rate with its numerator, denominator and time basis,
//! the change against the previous period, the period itself and the one before it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

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
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if from > to {
            return Err(format!(
                "`from` ({from}) is after `to` ({to}); give the first day, then the last"
            ));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(format!(
                "a report covers at most {MAX_DAYS} days; choose a shorter period"
            ));
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
