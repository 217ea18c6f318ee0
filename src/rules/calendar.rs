//! The working-day calendar of mainland China (DOMAIN.md §3): which dates are working days,
//! which are statutory holidays, and deadlines counted in working days ("within 4 working days,
//! not counting weekends and statutory holidays").
//!
//! The calendar is data, not code. A date is a working day Monday to Friday and a day off on
//! Saturday and Sunday, unless the year's State Council notice lists it: listed as off, it is a
//! statutory holiday; listed as working, it is a make-up working day (调休). A year whose notice
//! the calendar does not hold is *unknown*: asked about a single date in it, the calendar answers
//! [`CalendarError::UnknownYear`]. A deadline counted into such a year is still given — agents
//! must never be blocked because next year's notice is not out yet — but counted on weekends
//! only and marked *provisional* with that year ([`WorkingDayDeadline::provisional_year`]), so
//! that the desk can say so and count again once the year is loaded.
//!
//! The bundled years come from the public dataset NateScarlet/holiday-cn
//! (<https://github.com/NateScarlet/holiday-cn>, MIT licence, see `holidays/LICENSE`), which
//! transcribes the State Council notices (国务院办公厅关于部分节假日安排的通知). The files in
//! `holidays/` are kept exactly as published.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The holiday-cn files compiled into the binary, one per year.
const BUNDLED_YEAR_FILES: [(&str, &str); 3] = [
    ("2024.json", include_str!("holidays/2024.json")),
    ("2025.json", include_str!("holidays/2025.json")),
    ("2026.json", include_str!("holidays/2026.json")),
];

/// From this month on, a missing schedule for next year is worth a warning.
const NEXT_YEAR_WARNING_MONTH: u32 = 10;

/// Which days are worked, per the State Council notices of the years it knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    known_years: BTreeSet<i32>,
    /// Dates listed in a notice: `true` = day off (statutory holiday), `false` = make-up
    /// working day (调休). Dates not listed follow the weekday.
    listed_days: BTreeMap<NaiveDate, bool>,
}

/// Why the calendar cannot answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarError {
    /// The calendar holds no holiday schedule for this year.
    UnknownYear(i32),
}

impl CalendarError {
    /// The stable error code the API reports (`calendar_unknown_year`).
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::UnknownYear(_) => "calendar_unknown_year",
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::UnknownYear(year) => write!(
                f,
                "the working-day calendar has no data for the year {year}: \
                 add that year's holiday schedule before computing dates that reach into it"
            ),
        }
    }
}

impl std::error::Error for CalendarError {}

/// A deadline counted in working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WorkingDayDeadline {
    /// The last working day of the period (local date).
    pub last_day: NaiveDate,
    /// The instant the period ends: 24:00 of `last_day`, i.e. 00:00 local of the next day.
    pub ends_at: DateTime<Utc>,
    /// The first year the count went through without that year's holiday schedule, counting
    /// Monday to Friday as working days there. `None`: every day counted is known.
    pub provisional_year: Option<i32>,
}

/// A working day found by [`Calendar::first_working_day_after`], and whether it rests on a
/// year counted on weekends only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundDay {
    pub date: NaiveDate,
    /// As [`WorkingDayDeadline::provisional_year`].
    pub provisional_year: Option<i32>,
}

/// One date listed in a year's notice: `(date, is_off_day, name)`, e.g.
/// `(2025-01-26, false, "春节")` for a make-up working day of the Spring Festival.
pub type ListedDay = (NaiveDate, bool, String);

/// One year's file as NateScarlet/holiday-cn publishes it (`papers` and `$schema` are ignored).
#[derive(Deserialize)]
struct HolidayCnYear {
    year: i32,
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
struct HolidayCnDay {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl Calendar {
    /// An empty calendar: it knows no year, so every question about a date is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// The calendar of the years bundled with the application (2024–2026, from holiday-cn).
    pub fn bundled() -> Calendar {
        let mut calendar = Calendar::new();
        for (file, json) in BUNDLED_YEAR_FILES {
            // The bundled files are part of the source tree and a unit test parses them, so a
            // failure here is a programming error, not something input can cause.
            calendar
                .load_holiday_cn_json(json)
                .unwrap_or_else(|e| panic!("bundled holiday file {file} does not parse: {e}"));
        }
        calendar
    }

    /// Parses one year's file in the holiday-cn format
    /// (`{"year": 2025, "days": [{"name": "春节", "date": "2025-01-28", "isOffDay": true}, …]}`)
    /// into the year and its listed dates as `(date, is_off_day, name)`.
    ///
    /// A listed date must fall in the file's year or next to it (a notice may list the last
    /// days of December of the year before); anything further away means a wrong file.
    pub fn from_holiday_cn_json(json: &str) -> Result<(i32, Vec<ListedDay>), String> {
        let file: HolidayCnYear = serde_json::from_str(json).map_err(|e| format!("not a holiday-cn year file: {e}"))?;
        let mut seen: BTreeMap<NaiveDate, bool> = BTreeMap::new();
        let mut days = Vec::with_capacity(file.days.len());
        for day in file.days {
            if (day.date.year() - file.year).abs() > 1 {
                return Err(format!(
                    "the file is for {} but lists {}, which is outside that year",
                    file.year, day.date
                ));
            }
            if let Some(previous) = seen.insert(day.date, day.is_off_day)
                && previous != day.is_off_day
            {
                return Err(format!("{} is listed both as a day off and as a working day", day.date));
            }
            days.push((day.date, day.is_off_day, day.name));
        }
        Ok((file.year, days))
    }

    /// Adds one holiday-cn year file to the calendar and marks its year known; returns the year.
    /// Nothing is changed when the file does not parse.
    pub fn load_holiday_cn_json(&mut self, json: &str) -> Result<i32, String> {
        let (year, days) = Self::from_holiday_cn_json(json)?;
        for (date, is_off_day, _name) in days {
            self.add_day(date, is_off_day);
        }
        self.mark_year_known(year);
        Ok(year)
    }

    /// Lists a date: `is_off_day = true` for a statutory holiday, `false` for a make-up
    /// working day (调休). The date's year still has to be marked known to be answered.
    pub fn add_day(&mut self, date: NaiveDate, is_off_day: bool) {
        self.listed_days.insert(date, is_off_day);
    }

    /// Declares that the calendar holds the whole schedule for `year`, so that unlisted dates in
    /// it can be answered from the weekday.
    pub fn mark_year_known(&mut self, year: i32) {
        self.known_years.insert(year);
    }

    /// The years the calendar can answer for, in ascending order.
    pub fn known_years(&self) -> impl Iterator<Item = i32> {
        self.known_years.iter().copied()
    }

    /// Whether `date` is a working day: a listed make-up day, or an unlisted Monday to Friday.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.ensure_known(date)?;
        Ok(match self.listed_days.get(&date) {
            Some(&is_off_day) => !is_off_day,
            None => !is_weekend(date),
        })
    }

    /// Whether `date` is a statutory holiday, i.e. listed as a day off in the year's notice.
    /// An ordinary weekend is not one.
    pub fn is_statutory_holiday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.ensure_known(date)?;
        Ok(self.listed_days.get(&date) == Some(&true))
    }

    /// The first working day strictly after `date`. Days of a year without schedule are
    /// taken as weekends only, and the answer says so.
    pub fn first_working_day_after(&self, date: NaiveDate) -> Result<FoundDay, CalendarError> {
        let mut provisional_year = None;
        let mut day = date;
        loop {
            day = next_day(day)?;
            if self.is_working_day_or_weekday(day, &mut provisional_year) {
                return Ok(FoundDay {
                    date: day,
                    provisional_year,
                });
            }
        }
    }

    /// Whether `date` is a working day; for a year without schedule, whether it is Monday to
    /// Friday, noting the first such year in `provisional_year`.
    pub(crate) fn is_working_day_or_weekday(&self, date: NaiveDate, provisional_year: &mut Option<i32>) -> bool {
        match self.is_working_day(date) {
            Ok(working) => working,
            Err(CalendarError::UnknownYear(year)) => {
                provisional_year.get_or_insert(year);
                !is_weekend(date)
            }
        }
    }

    /// The deadline `working_days` working days after the instant `from`, read in `zone`.
    ///
    /// The day of `from` itself is not counted, whatever the hour (民法典 第二百零一条: a period
    /// counted in days starts on the next day); the period ends at 24:00 of the last working
    /// day counted. With `working_days = 0` nothing is counted and the deadline is the end of
    /// the day of `from` itself, so that `N + 1` days never end before `N` days.
    ///
    /// Days in a year the calendar has no schedule for are counted Monday to Friday, and the
    /// deadline is marked provisional with that year. The only error left is an instant at the
    /// edge of chrono's range, where no date can be counted.
    pub fn add_working_days(
        &self,
        from: DateTime<Utc>,
        working_days: u32,
        zone: Tz,
    ) -> Result<WorkingDayDeadline, CalendarError> {
        let mut day = local_date(from, zone)?;
        let mut remaining = working_days;
        let mut provisional_year = None;
        // Terminates: every year, known or counted on weekdays, has working days, and past
        // chrono's range `next_day` returns an error.
        while remaining > 0 {
            day = next_day(day)?;
            if self.is_working_day_or_weekday(day, &mut provisional_year) {
                remaining -= 1;
            }
        }
        Ok(WorkingDayDeadline {
            last_day: day,
            ends_at: end_of_local_day(day, zone)?,
            provisional_year,
        })
    }

    /// The holiday schedule an admin should load now, as of `today`: this year's when it is
    /// missing, and from 1 October (the notice for the next year usually appears in November)
    /// next year's. Deadlines reaching a missing year are only provisional.
    pub fn schedule_needed(&self, today: NaiveDate) -> Option<i32> {
        let year = today.year();
        if !self.known_years.contains(&year) {
            return Some(year);
        }
        let next = year.saturating_add(1);
        (today.month() >= NEXT_YEAR_WARNING_MONTH && !self.known_years.contains(&next)).then_some(next)
    }

    /// The most consecutive days off (statutory holidays and weekends together) in the years the
    /// calendar knows: how far a notice has pushed the end of a period. At least a weekend.
    pub fn longest_run_of_days_off(&self) -> u32 {
        let mut longest = 2;
        let mut run = 0;
        for year in self.known_years() {
            let (Some(first), Some(last)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) else {
                continue;
            };
            for day in first.iter_days().take_while(|d| *d <= last) {
                if self.is_working_day(day) == Ok(false) {
                    run += 1;
                    longest = longest.max(run);
                } else {
                    run = 0;
                }
            }
        }
        longest
    }

    fn ensure_known(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if self.known_years.contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::UnknownYear(date.year()))
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The next date. Past the end of chrono's range (year 262142) no calendar has data, so that is
/// reported as an unknown year rather than a panic.
fn next_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    date.succ_opt()
        .ok_or(CalendarError::UnknownYear(date.year().saturating_add(1)))
}

/// The local date of an instant in `zone`. At the very edge of chrono's range the local date
/// may not be representable; no calendar has data there, so it is an unknown year.
pub(crate) fn local_date(at: DateTime<Utc>, zone: Tz) -> Result<NaiveDate, CalendarError> {
    let offset = zone.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.naive_utc()
        .checked_add_offset(offset)
        .map(|local| local.date())
        .ok_or(CalendarError::UnknownYear(at.year()))
}

/// The instant a local date ends in `zone`: 00:00 local of the following day.
pub(crate) fn end_of_local_day(date: NaiveDate, zone: Tz) -> Result<DateTime<Utc>, CalendarError> {
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or(CalendarError::UnknownYear(date.year().saturating_add(1)))?;
    start_of_local_day(next, zone).ok_or(CalendarError::UnknownYear(next.year()))
}

/// The first instant of a local date in `zone`.
///
/// Asia/Shanghai has no daylight saving today, but a shop may set another zone, and some zones
/// skip or repeat midnight when their clocks change: a repeated midnight counts from its first
/// occurrence, a skipped one from the first local time that exists after the gap.
pub(crate) fn start_of_local_day(date: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    // Clock changes move by multiples of 15 minutes; a day has 96 of them.
    (0..96).find_map(|quarter| {
        let local = date.and_time(NaiveTime::MIN) + TimeDelta::minutes(15 * quarter);
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(earliest, _) => Some(earliest.with_timezone(&Utc)),
            LocalResult::None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// A working day found in known years.
    fn known(date: NaiveDate) -> FoundDay {
        FoundDay {
            date,
            provisional_year: None,
        }
    }

    /// A made-up 2027 schedule in the holiday-cn format (not the real notice): New Year
    /// 01-01..03 off, Saturday 01-09 a make-up working day.
    const TEST_2027: &str = r#"{"year": 2027, "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-02", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-03", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-09", "isOffDay": false}]}"#;

    /// An instant given in Shanghai local time.
    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid Shanghai time")
            .with_timezone(&Utc)
    }

    fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        let next = date(y, m, d).succ_opt().expect("valid date");
        shanghai(next.year(), next.month(), next.day(), 0, 0)
    }

    // --- the bundled data ---

    #[test]
    fn bundled_holiday_files_parse() {
        for (file, json) in BUNDLED_YEAR_FILES {
            let parsed = Calendar::from_holiday_cn_json(json);
            assert!(parsed.is_ok(), "{file}: {parsed:?}");
        }
    }

    #[test]
    fn bundled_calendar_knows_2024_to_2026_and_nothing_else() {
        let years: Vec<i32> = Calendar::bundled().known_years().collect();
        assert_eq!(years, vec![2024, 2025, 2026]);
    }

    #[test]
    fn parsing_a_year_file_keeps_names_and_flags() {
        let (year, days) = Calendar::from_holiday_cn_json(BUNDLED_YEAR_FILES[1].1).expect("parses");
        assert_eq!(year, 2025);
        assert_eq!(days.len(), 33);
        assert_eq!(days[0], (date(2025, 1, 1), true, "元旦".to_string()));
        assert!(days.contains(&(date(2025, 1, 26), false, "春节".to_string())));
    }

    #[test]
    fn parsing_rejects_text_that_is_not_a_year_file() {
        assert!(Calendar::from_holiday_cn_json("").is_err());
        assert!(Calendar::from_holiday_cn_json("{}").is_err());
        assert!(
            Calendar::from_holiday_cn_json(
                r#"{"year": 2027, "days": [{"date": "2027-02-30", "name": "x", "isOffDay": true}]}"#
            )
            .is_err()
        );
        assert!(Calendar::from_holiday_cn_json(r#"{"year": "2027", "days": []}"#).is_err());
    }

    #[test]
    fn parsing_rejects_a_date_far_from_the_files_year() {
        let json = r#"{"year": 2027, "days": [{"name": "春节", "date": "2029-02-01", "isOffDay": true}]}"#;
        let err = Calendar::from_holiday_cn_json(json).expect_err("wrong year");
        assert!(err.contains("2029-02-01"), "{err}");
    }

    #[test]
    fn parsing_rejects_a_date_listed_both_off_and_working() {
        let json = r#"{"year": 2027, "days": [
            {"name": "a", "date": "2027-02-06", "isOffDay": true},
            {"name": "b", "date": "2027-02-06", "isOffDay": false}]}"#;
        assert!(Calendar::from_holiday_cn_json(json).is_err());
    }

    #[test]
    fn parsing_accepts_an_empty_year_and_extra_fields() {
        let json = r#"{"$schema": "x", "year": 2030, "papers": [], "days": []}"#;
        assert_eq!(Calendar::from_holiday_cn_json(json), Ok((2030, vec![])));
    }

    #[test]
    fn loading_an_uploaded_year_makes_it_known() {
        let mut calendar = Calendar::bundled();
        assert_eq!(
            calendar.is_working_day(date(2027, 1, 4)),
            Err(CalendarError::UnknownYear(2027))
        );
        let json = r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
        assert_eq!(calendar.load_holiday_cn_json(json), Ok(2027));
        assert_eq!(calendar.is_statutory_holiday(date(2027, 1, 1)), Ok(true));
        assert_eq!(calendar.is_working_day(date(2027, 1, 4)), Ok(true));
    }

    #[test]
    fn a_file_that_fails_to_parse_changes_nothing() {
        let mut calendar = Calendar::new();
        assert!(calendar.load_holiday_cn_json("not json").is_err());
        assert_eq!(calendar, Calendar::new());
    }

    // --- working days ---

    #[test]
    fn an_empty_calendar_knows_no_date() {
        let calendar = Calendar::new();
        assert_eq!(
            calendar.is_working_day(date(2025, 3, 10)),
            Err(CalendarError::UnknownYear(2025))
        );
        assert_eq!(calendar.known_years().count(), 0);
    }

    #[test]
    fn ordinary_weekdays_are_working_days_and_weekends_are_not() {
        let calendar = Calendar::bundled();
        for d in 10..=14 {
            assert_eq!(calendar.is_working_day(date(2025, 3, d)), Ok(true), "03-{d}");
        }
        assert_eq!(calendar.is_working_day(date(2025, 3, 15)), Ok(false));
        assert_eq!(calendar.is_working_day(date(2025, 3, 16)), Ok(false));
    }

    #[test]
    fn a_weekday_holiday_is_not_a_working_day() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.is_working_day(date(2025, 10, 1)), Ok(false));
        assert_eq!(calendar.is_statutory_holiday(date(2025, 10, 1)), Ok(true));
    }

    #[test]
    fn a_make_up_saturday_or_sunday_is_a_working_day() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.is_working_day(date(2025, 1, 26)), Ok(true)); // Sunday 调休
        assert_eq!(calendar.is_working_day(date(2025, 2, 8)), Ok(true)); // Saturday 调休
        assert_eq!(calendar.is_statutory_holiday(date(2025, 1, 26)), Ok(false));
    }

    #[test]
    fn an_ordinary_weekend_is_not_a_statutory_holiday() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.is_statutory_holiday(date(2025, 3, 15)), Ok(false));
    }

    #[test]
    fn an_unknown_year_is_reported_not_guessed() {
        let calendar = Calendar::bundled();
        assert_eq!(
            calendar.is_working_day(date(2023, 12, 29)),
            Err(CalendarError::UnknownYear(2023))
        );
        assert_eq!(
            calendar.is_statutory_holiday(date(2027, 1, 1)),
            Err(CalendarError::UnknownYear(2027))
        );
    }

    #[test]
    fn a_listed_day_in_an_unmarked_year_is_still_unknown() {
        let mut calendar = Calendar::new();
        calendar.add_day(date(2027, 1, 1), true);
        assert_eq!(
            calendar.is_working_day(date(2027, 1, 1)),
            Err(CalendarError::UnknownYear(2027))
        );
        calendar.mark_year_known(2027);
        assert_eq!(calendar.is_working_day(date(2027, 1, 1)), Ok(false));
    }

    #[test]
    fn a_known_year_without_listed_days_follows_the_weekdays() {
        let mut calendar = Calendar::new();
        calendar.mark_year_known(2028);
        assert_eq!(calendar.is_working_day(date(2028, 2, 29)), Ok(true)); // Tuesday, leap day
        assert_eq!(calendar.is_working_day(date(2028, 3, 4)), Ok(false)); // Saturday
    }

    #[test]
    fn first_working_day_after_skips_the_whole_national_day_week() {
        let calendar = Calendar::bundled();
        assert_eq!(
            calendar.first_working_day_after(date(2025, 10, 1)),
            Ok(known(date(2025, 10, 9)))
        );
        assert_eq!(
            calendar.first_working_day_after(date(2024, 10, 6)),
            Ok(known(date(2024, 10, 8)))
        );
    }

    #[test]
    fn first_working_day_after_a_friday_is_a_make_up_saturday_when_there_is_one() {
        let calendar = Calendar::bundled();
        assert_eq!(
            calendar.first_working_day_after(date(2025, 2, 7)),
            Ok(known(date(2025, 2, 8)))
        );
    }

    #[test]
    fn first_working_day_after_new_years_eve_of_an_unknown_year_is_provisional() {
        let calendar = Calendar::bundled();
        // Without 2027's notice, Friday 2027-01-01 is taken for a working day — provisionally.
        assert_eq!(
            calendar.first_working_day_after(date(2026, 12, 31)),
            Ok(FoundDay {
                date: date(2027, 1, 1),
                provisional_year: Some(2027)
            })
        );
        // 2026-01-01..03 are off; Sunday 01-04 is a make-up working day.
        assert_eq!(
            calendar.first_working_day_after(date(2025, 12, 31)),
            Ok(known(date(2026, 1, 4)))
        );
    }

    #[test]
    fn loading_the_year_turns_a_provisional_answer_into_the_real_one() {
        let mut calendar = Calendar::bundled();
        calendar.load_holiday_cn_json(TEST_2027).expect("the test year parses");
        // 2027-01-01..03 off in the test schedule: the first working day is Monday 01-04.
        assert_eq!(
            calendar.first_working_day_after(date(2026, 12, 31)),
            Ok(known(date(2027, 1, 4)))
        );
    }

    // --- working-day deadlines (worked cases from DOMAIN.md) ---

    #[test]
    fn four_working_days_from_a_monday_end_on_friday_night() {
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 3, 10, 10, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2025, 3, 14));
        assert_eq!(deadline.ends_at, end_of(2025, 3, 14));
        assert_eq!(deadline.ends_at, shanghai(2025, 3, 15, 0, 0));
    }

    #[test]
    fn four_working_days_from_the_friday_before_spring_festival_cross_the_holiday() {
        // 01-26 (Sunday, make-up day), 01-27, then the holiday 01-28..02-04, then 02-05, 02-06.
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 1, 24, 16, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2025, 2, 6));
        assert_eq!(deadline.ends_at, end_of(2025, 2, 6));
    }

    #[test]
    fn the_day_of_application_is_not_counted_even_at_one_minute_past_midnight() {
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 3, 10, 0, 1), 1, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2025, 3, 11));
    }

    #[test]
    fn an_application_on_a_weekend_counts_from_monday() {
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 3, 15, 9, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2025, 3, 20));
    }

    #[test]
    fn the_local_date_of_a_late_utc_instant_is_the_next_day() {
        // 2025-03-09T17:30Z is Monday 03-10 01:30 in Shanghai: Monday is not counted.
        let calendar = Calendar::bundled();
        let from = Utc.with_ymd_and_hms(2025, 3, 9, 17, 30, 0).single().expect("valid");
        let deadline = calendar.add_working_days(from, 4, Shanghai).expect("known year");
        assert_eq!(deadline.last_day, date(2025, 3, 14));
        // Read in UTC the same instant is still Sunday, so Monday counts.
        let utc_deadline = calendar.add_working_days(from, 4, chrono_tz::UTC).expect("known year");
        assert_eq!(utc_deadline.last_day, date(2025, 3, 13));
        assert_eq!(
            utc_deadline.ends_at,
            Utc.with_ymd_and_hms(2025, 3, 14, 0, 0, 0).single().expect("valid")
        );
    }

    #[test]
    fn zero_working_days_end_with_the_day_of_application() {
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 10, 1, 9, 0), 0, Shanghai)
            .expect("no calendar needed");
        assert_eq!(deadline.last_day, date(2025, 10, 1));
        assert_eq!(deadline.ends_at, end_of(2025, 10, 1));
        // Zero days need no calendar data at all.
        assert!(
            Calendar::new()
                .add_working_days(shanghai(2025, 10, 1, 9, 0), 0, Shanghai)
                .is_ok()
        );
    }

    #[test]
    fn working_days_across_new_year_into_a_known_year() {
        let calendar = Calendar::bundled();
        // Mon 2024-12-30 → 12-31, (01-01 holiday), 01-02, 01-03, 01-06.
        let deadline = calendar
            .add_working_days(shanghai(2024, 12, 30, 15, 0), 4, Shanghai)
            .expect("known years");
        assert_eq!(deadline.last_day, date(2025, 1, 6));
    }

    #[test]
    fn working_days_into_an_unknown_year_count_weekdays_and_say_so() {
        let calendar = Calendar::bundled();
        // Tue 2026-12-29 → 12-30, 12-31, then 2027 without its notice: Fri 01-01, Mon 01-04.
        let deadline = calendar
            .add_working_days(shanghai(2026, 12, 29, 10, 0), 4, Shanghai)
            .expect("counted on weekdays");
        assert_eq!(deadline.last_day, date(2027, 1, 4));
        assert_eq!(deadline.ends_at, end_of(2027, 1, 4));
        assert_eq!(deadline.provisional_year, Some(2027));
    }

    #[test]
    fn working_days_into_a_loaded_year_are_no_longer_provisional() {
        let mut calendar = Calendar::bundled();
        calendar.load_holiday_cn_json(TEST_2027).expect("the test year parses");
        // 12-30, 12-31, (01-01..03 off), 01-04, 01-05.
        let deadline = calendar
            .add_working_days(shanghai(2026, 12, 29, 10, 0), 4, Shanghai)
            .expect("known years");
        assert_eq!(deadline.last_day, date(2027, 1, 5));
        assert_eq!(deadline.provisional_year, None);
    }

    #[test]
    fn working_days_from_an_unknown_year_name_the_first_one() {
        let calendar = Calendar::bundled();
        // Wed 2023-12-20 → 12-21, 12-22, 12-25, 12-26: 2023 is not bundled.
        let deadline = calendar
            .add_working_days(shanghai(2023, 12, 20, 10, 0), 4, Shanghai)
            .expect("counted on weekdays");
        assert_eq!(deadline.last_day, date(2023, 12, 26));
        assert_eq!(deadline.provisional_year, Some(2023));
    }

    #[test]
    fn working_days_that_end_just_before_an_unknown_year_are_fine() {
        let calendar = Calendar::bundled();
        // Thu 2026-12-24 → 12-25, 12-28, 12-29, 12-30.
        let deadline = calendar
            .add_working_days(shanghai(2026, 12, 24, 10, 0), 4, Shanghai)
            .expect("all inside 2026");
        assert_eq!(deadline.last_day, date(2026, 12, 30));
        assert_eq!(deadline.provisional_year, None);
    }

    #[test]
    fn working_days_through_a_leap_february() {
        let calendar = Calendar::bundled();
        // Tue 2024-02-27 → 02-28, 02-29 (leap day), 03-01, 03-04.
        let deadline = calendar
            .add_working_days(shanghai(2024, 2, 27, 10, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2024, 3, 4));
    }

    #[test]
    fn working_days_count_the_2024_spring_festival_make_up_sundays() {
        let calendar = Calendar::bundled();
        // Fri 2024-02-02 → Sun 02-04 (调休), 02-05, 02-06, 02-07.
        let deadline = calendar
            .add_working_days(shanghai(2024, 2, 2, 10, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2024, 2, 7));
        // Thu 2024-02-08 → 02-09, (02-10..02-17 off), Sun 02-18 (调休), 02-19, 02-20.
        let deadline = calendar
            .add_working_days(shanghai(2024, 2, 8, 10, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(deadline.last_day, date(2024, 2, 20));
    }

    #[test]
    fn the_deadline_instant_is_midnight_in_the_shops_zone() {
        let calendar = Calendar::bundled();
        let deadline = calendar
            .add_working_days(shanghai(2025, 3, 10, 10, 0), 4, Shanghai)
            .expect("known year");
        assert_eq!(
            deadline.ends_at,
            Utc.with_ymd_and_hms(2025, 3, 14, 16, 0, 0).single().expect("valid")
        );
    }

    #[test]
    fn a_skipped_local_midnight_starts_the_day_after_the_gap() {
        // America/Santiago moved its clocks from 2024-09-08 00:00 to 01:00.
        let zone = chrono_tz::America::Santiago;
        let start = start_of_local_day(date(2024, 9, 8), zone).expect("exists");
        assert_eq!(
            start,
            Utc.with_ymd_and_hms(2024, 9, 8, 4, 0, 0).single().expect("valid")
        );
    }

    #[test]
    fn an_instant_at_the_end_of_time_is_an_unknown_year_not_a_panic() {
        let calendar = Calendar::bundled();
        assert!(
            calendar
                .add_working_days(DateTime::<Utc>::MAX_UTC, 1, Shanghai)
                .is_err()
        );
        assert!(
            calendar
                .add_working_days(DateTime::<Utc>::MAX_UTC, 0, Shanghai)
                .is_err()
        );
        assert!(
            calendar
                .add_working_days(DateTime::<Utc>::MIN_UTC, 1, chrono_tz::America::New_York)
                .is_err()
        );
    }

    #[test]
    fn next_years_schedule_is_asked_for_from_the_first_of_october() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.schedule_needed(date(2026, 9, 30)), None);
        assert_eq!(calendar.schedule_needed(date(2026, 10, 1)), Some(2027));
        assert_eq!(calendar.schedule_needed(date(2026, 12, 31)), Some(2027));
        // Once into the missing year, it is needed all the more.
        assert_eq!(calendar.schedule_needed(date(2027, 3, 1)), Some(2027));
        let mut loaded = calendar.clone();
        loaded.load_holiday_cn_json(TEST_2027).expect("test year parses");
        assert_eq!(loaded.schedule_needed(date(2026, 10, 1)), None);
        assert_eq!(loaded.schedule_needed(date(2027, 9, 30)), None);
        assert_eq!(loaded.schedule_needed(date(2027, 10, 1)), Some(2028));
    }

    #[test]
    fn the_longest_run_of_days_off_in_the_bundled_years_is_the_2026_spring_festival() {
        // 2026-02-15 (Sunday) .. 02-23 (Monday): nine days off in a row.
        assert_eq!(Calendar::bundled().longest_run_of_days_off(), 9);
        assert_eq!(Calendar::new().longest_run_of_days_off(), 2);
    }

    #[test]
    fn the_unknown_year_error_names_the_year_and_has_a_code() {
        let err = CalendarError::UnknownYear(2027);
        assert_eq!(err.code(), "calendar_unknown_year");
        let message = err.to_string();
        assert!(message.contains("2027"), "{message}");
        assert!(message.contains("no data"), "{message}");
        let _: &dyn std::error::Error = &err;
    }

    // --- properties ---

    fn instant_in_bundled_years() -> impl Strategy<Value = DateTime<Utc>> {
        // 2024-01-01T00:00+08:00 .. 2026-11-30 local: far enough from 2027 for small counts.
        let lo = shanghai(2024, 1, 1, 0, 0).timestamp();
        let hi = shanghai(2026, 11, 30, 0, 0).timestamp();
        (lo..hi).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).expect("in range"))
    }

    fn instant_in_supported_years() -> impl Strategy<Value = DateTime<Utc>> {
        let lo = shanghai(2000, 1, 1, 0, 0).timestamp();
        let hi = shanghai(2100, 12, 1, 0, 0).timestamp();
        (lo..hi).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).expect("in range"))
    }

    proptest! {
        #[test]
        fn a_deadline_is_always_given_and_provisional_exactly_when_it_counts_an_unknown_year(
            from in instant_in_supported_years(), n in 0u32..30,
        ) {
            let calendar = Calendar::bundled();
            let deadline = calendar.add_working_days(from, n, Shanghai).expect("any supported year");
            let first = from.with_timezone(&Shanghai).date_naive();
            let counted: Vec<NaiveDate> = first.iter_days().skip(1).take_while(|d| *d <= deadline.last_day).collect();
            let first_unknown = counted.iter().map(|d| d.year()).find(|y| !calendar.known_years.contains(y));
            prop_assert_eq!(deadline.provisional_year, first_unknown);
            // Weekends are never counted, known or not.
            let working = counted.iter().filter(|d| {
                calendar.is_working_day(**d).unwrap_or(!is_weekend(**d))
            }).count();
            prop_assert_eq!(working, n as usize);
        }

        #[test]
        fn a_working_day_deadline_never_lands_on_a_day_off(from in instant_in_bundled_years(), n in 1u32..20) {
            let calendar = Calendar::bundled();
            let deadline = calendar.add_working_days(from, n, Shanghai).expect("known years");
            prop_assert_eq!(deadline.provisional_year, None);
            prop_assert_eq!(calendar.is_working_day(deadline.last_day), Ok(true));
        }

        #[test]
        fn one_more_working_day_never_ends_earlier(from in instant_in_bundled_years(), n in 0u32..20) {
            let calendar = Calendar::bundled();
            let shorter = calendar.add_working_days(from, n, Shanghai).expect("known years");
            let longer = calendar.add_working_days(from, n + 1, Shanghai).expect("known years");
            prop_assert!(longer.ends_at > shorter.ends_at);
            prop_assert!(longer.last_day > shorter.last_day);
        }

        #[test]
        fn a_deadline_counts_exactly_n_working_days_after_the_day_of_application(
            from in instant_in_bundled_years(), n in 0u32..20,
        ) {
            let calendar = Calendar::bundled();
            let deadline = calendar.add_working_days(from, n, Shanghai).expect("known years");
            let first = from.with_timezone(&Shanghai).date_naive();
            let counted = first
                .iter_days()
                .skip(1)
                .take_while(|d| *d <= deadline.last_day)
                .filter(|d| calendar.is_working_day(*d) == Ok(true))
                .count();
            prop_assert_eq!(counted, n as usize);
            prop_assert!(deadline.ends_at > from);
            prop_assert_eq!(deadline.ends_at, end_of_local_day(deadline.last_day, Shanghai).expect("in range"));
        }

        #[test]
        fn the_first_working_day_after_is_working_and_everything_between_is_off(
            from in instant_in_bundled_years(),
        ) {
            let calendar = Calendar::bundled();
            let d = from.with_timezone(&Shanghai).date_naive();
            let found = calendar.first_working_day_after(d).expect("known years");
            prop_assert_eq!(found.provisional_year, None);
            let next = found.date;
            prop_assert!(next > d);
            prop_assert_eq!(calendar.is_working_day(next), Ok(true));
            for between in d.iter_days().skip(1).take_while(|x| *x < next) {
                prop_assert_eq!(calendar.is_working_day(between), Ok(false));
            }
        }
    }
}
