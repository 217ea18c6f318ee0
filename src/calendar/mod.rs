//! The working-day calendar as data (SPEC rule 3, DOMAIN.md §3). Owns the tables
//! `calendar_years` (the years whose State Council schedule we hold) and `calendar_days` (the
//! dates those schedules list: statutory holidays and make-up working days, 调休).
//!
//! The arithmetic is [`crate::rules::calendar::Calendar`], pure; this module builds it from the
//! tables ([`load`]), lets an admin replace or remove a year ([`replace_year`], [`delete_year`])
//! after checking every listed date ([`validate`]), and explains a deadline day by day
//! ([`breakdown`]). The HTTP side is in [`api`] (JSON) and `page` (the calculator page).

pub mod api;
pub mod page;
mod text;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgPool};
use utoipa::ToSchema;

use crate::rules::calendar::Calendar;

/// The years an admin may enter (the table's CHECK says the same).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// Longest name of a listed day, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest source note of a year, in characters.
pub const MAX_SOURCE_CHARS: usize = 500;

/// One date a year's schedule lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, FromRow, ToSchema)]
pub struct CalendarDay {
    /// The local date.
    #[schema(value_type = String, format = Date, example = "2025-01-26")]
    pub date: NaiveDate,
    /// `true`: a statutory holiday (放假); `false`: a make-up working day (调休上班), usually a
    /// Saturday or Sunday. (`isOffDay`, as holiday-cn files spell it, is read too.)
    #[serde(alias = "isOffDay")]
    pub is_off_day: bool,
    /// The holiday it belongs to, e.g. `春节`; at most 50 characters.
    #[serde(default)]
    #[schema(max_length = 50, example = "春节")]
    pub name: String,
}

/// A known year, with how many dates its schedule lists.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct YearSummary {
    pub year: i32,
    /// Where the dates come from (the State Council notice, the dataset).
    pub source: String,
    pub updated_at: DateTime<Utc>,
    /// Dates listed as statutory holidays.
    pub holidays: i64,
    /// Dates listed as make-up working days (调休).
    pub make_up_days: i64,
}

/// A known year with every date it lists, in date order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct YearDays {
    pub year: i32,
    pub source: String,
    pub updated_at: DateTime<Utc>,
    pub days: Vec<CalendarDay>,
}

/// Why a year's schedule was refused. Nothing is stored when it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The year is outside [`YEARS`].
    YearOutOfRange(i32),
    /// The source note is empty.
    SourceMissing,
    /// The source note is longer than [`MAX_SOURCE_CHARS`].
    SourceTooLong(usize),
    /// No date is listed: a real schedule always has holidays, and an empty one would make
    /// every weekday of the year count as a working day.
    NoDays,
    /// Some listed dates are wrong.
    Days(Vec<DayProblem>),
}

/// What is wrong with one listed date; `index` is its position in the input (0-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayProblem {
    pub index: usize,
    pub date: NaiveDate,
    pub kind: DayProblemKind,
}

/// The kinds of wrong dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayProblemKind {
    /// The date is not in the year being replaced.
    OutsideYear { year: i32 },
    /// The date was listed already at `first_index`.
    Duplicate { first_index: usize },
    /// The name is longer than [`MAX_NAME_CHARS`].
    NameTooLong { chars: usize },
    /// A make-up working day on a Monday to Friday, which is a working day anyway: almost
    /// certainly a mistyped date.
    MakeUpOnWeekday,
}

impl Invalid {
    /// One English sentence per problem, naming each date as `locate(index)` does (the API
    /// says `days[3]`; the page has its own, translated, messages).
    pub fn describe(&self, locate: impl Fn(usize) -> String) -> Vec<String> {
        match self {
            Invalid::YearOutOfRange(year) => vec![format!(
                "{year} is outside the years the calendar accepts ({}–{})",
                YEARS.start(),
                YEARS.end()
            )],
            Invalid::SourceMissing => vec![
                "say where the dates come from, e.g. the State Council notice's title or address"
                    .into(),
            ],
            Invalid::SourceTooLong(chars) => vec![format!(
                "the source has {chars} characters; at most {MAX_SOURCE_CHARS}"
            )],
            Invalid::NoDays => vec![
                "list the year's holidays and make-up working days: an empty schedule would count every weekday as a working day"
                    .into(),
            ],
            Invalid::Days(problems) => problems
                .iter()
                .map(|p| {
                    let at = locate(p.index);
                    match &p.kind {
                        DayProblemKind::OutsideYear { year } => {
                            format!("{at}: {} is not in {year}", p.date)
                        }
                        DayProblemKind::Duplicate { first_index } => format!(
                            "{at}: {} is listed twice (first at {})",
                            p.date,
                            locate(*first_index)
                        ),
                        DayProblemKind::NameTooLong { chars } => format!(
                            "{at}: the name of {} has {chars} characters; at most {MAX_NAME_CHARS}",
                            p.date
                        ),
                        DayProblemKind::MakeUpOnWeekday => format!(
                            "{at}: {} is a {} and a working day anyway; a make-up working day (is_off_day false) falls on a Saturday or Sunday",
                            p.date,
                            p.date.weekday()
                        ),
                    }
                })
                .collect(),
        }
    }
}

/// Why [`replace_year`] did not store the year.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("the schedule is not valid")]
    Invalid(Invalid),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Checks a year's schedule and returns it as stored: names trimmed, dates in order.
///
/// Every problem is reported at once, each with its position in `days`, so that a person can
/// fix them all in one go.
pub fn validate(year: i32, days: &[CalendarDay], source: &str) -> Result<(Vec<CalendarDay>, String), Invalid> {
    if !YEARS.contains(&year) {
        return Err(Invalid::YearOutOfRange(year));
    }
    let source = source.trim();
    if source.is_empty() {
        return Err(Invalid::SourceMissing);
    }
    let source_chars = source.chars().count();
    if source_chars > MAX_SOURCE_CHARS {
        return Err(Invalid::SourceTooLong(source_chars));
    }
    if days.is_empty() {
        return Err(Invalid::NoDays);
    }
    let mut problems = Vec::new();
    let mut first_seen: HashMap<NaiveDate, usize> = HashMap::new();
    let mut clean = Vec::with_capacity(days.len());
    for (index, day) in days.iter().enumerate() {
        let mut problem = |kind| {
            problems.push(DayProblem {
                index,
                date: day.date,
                kind,
            })
        };
        if day.date.year() != year {
            problem(DayProblemKind::OutsideYear { year });
        }
        if let Some(&first_index) = first_seen.get(&day.date) {
            problem(DayProblemKind::Duplicate { first_index });
        } else {
            first_seen.insert(day.date, index);
        }
        let name = day.name.trim();
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            problem(DayProblemKind::NameTooLong { chars });
        }
        if !day.is_off_day && !is_weekend(day.date) {
            problem(DayProblemKind::MakeUpOnWeekday);
        }
        clean.push(CalendarDay {
            date: day.date,
            is_off_day: day.is_off_day,
            name: name.to_string(),
        });
    }
    if !problems.is_empty() {
        return Err(Invalid::Days(problems));
    }
    clean.sort_by_key(|day| day.date);
    Ok((clean, source.to_string()))
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The calendar the tables describe: the years of `calendar_years`, with the dates each lists.
/// One statement, so that a year being replaced meanwhile is seen wholly before or after.
pub async fn load(pool: &PgPool) -> sqlx::Result<Calendar> {
    let rows: Vec<(i32, Option<NaiveDate>, Option<bool>)> = sqlx::query_as(
        "SELECT y.year, d.day, d.is_off_day FROM calendar_years y
         LEFT JOIN calendar_days d
           ON d.day >= make_date(y.year, 1, 1) AND d.day < make_date(y.year + 1, 1, 1)
         ORDER BY y.year, d.day",
    )
    .fetch_all(pool)
    .await?;
    let mut calendar = Calendar::new();
    for (year, day, is_off_day) in rows {
        calendar.mark_year_known(year);
        if let (Some(day), Some(is_off_day)) = (day, is_off_day) {
            calendar.add_day(day, is_off_day);
        }
    }
    Ok(calendar)
}

/// The calendar a server uses, replaced whole when an admin edits it or it is reloaded from the
/// tables; cloning shares it.
#[derive(Clone)]
pub struct Cache(std::sync::Arc<std::sync::RwLock<std::sync::Arc<Calendar>>>);

impl Default for Cache {
    /// The calendar bundled in the binary, until the database's is loaded.
    fn default() -> Cache {
        Cache(std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(
            Calendar::bundled(),
        ))))
    }
}

impl Cache {
    /// The calendar as it is now.
    pub fn current(&self) -> std::sync::Arc<Calendar> {
        match self.0.read() {
            Ok(calendar) => std::sync::Arc::clone(&calendar),
            Err(poisoned) => std::sync::Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the calendar.
    fn replace(&self, calendar: Calendar) {
        let fresh = std::sync::Arc::new(calendar);
        match self.0.write() {
            Ok(mut slot) => *slot = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Loads the calendar from the tables and makes it the one in use; what was counted on
    /// weekends only for a year now loaded is counted again. Reloads are serialised, so that
    /// after two quick edits the calendar kept is the one loaded last.
    pub async fn reload(&self, pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<()> {
        static RELOAD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _one_at_a_time = RELOAD.lock().await;
        let calendar = load(pool).await?;
        crate::tickets::service::recount_provisional(pool, &calendar, now).await?;
        self.replace(calendar);
        Ok(())
    }

    /// Reloads the calendar every `period`, so that a change an admin made through another
    /// instance of the server reaches this one too. Runs for the life of the process; a failed
    /// load is logged and the calendar in use is kept.
    pub async fn keep_fresh(self, pool: PgPool, clock: crate::clock::Clock, period: std::time::Duration) {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = self.reload(&pool, clock.now()).await {
                tracing::warn!(%error, "could not reload the working-day calendar; keeping the one in use");
            }
        }
    }
}

/// The known years, in order, with their counts.
pub async fn years(pool: &PgPool) -> sqlx::Result<Vec<YearSummary>> {
    sqlx::query_as(
        "SELECT y.year, y.source, y.updated_at,
                count(d.day) FILTER (WHERE d.is_off_day) AS holidays,
                count(d.day) FILTER (WHERE NOT d.is_off_day) AS make_up_days
         FROM calendar_years y
         LEFT JOIN calendar_days d
           ON d.day >= make_date(y.year, 1, 1) AND d.day < make_date(y.year + 1, 1, 1)
         GROUP BY y.year ORDER BY y.year",
    )
    .fetch_all(pool)
    .await
}

/// One known year with its dates; `None` if the year is not known.
pub async fn year(pool: &PgPool, year: i32) -> sqlx::Result<Option<YearDays>> {
    let head: Option<(String, DateTime<Utc>)> =
        sqlx::query_as("SELECT source, updated_at FROM calendar_years WHERE year = $1")
            .bind(year)
            .fetch_optional(pool)
            .await?;
    let Some((source, updated_at)) = head else {
        return Ok(None);
    };
    let days = listed_days(pool, first_day(year), first_day(year + 1)).await?;
    Ok(Some(YearDays {
        year,
        source,
        updated_at,
        days,
    }))
}

/// The listed dates in `[from, until)`, in order, whatever their year.
pub async fn listed_days(pool: &PgPool, from: NaiveDate, until: NaiveDate) -> sqlx::Result<Vec<CalendarDay>> {
    sqlx::query_as(
        "SELECT day AS date, is_off_day, name FROM calendar_days
         WHERE day >= $1 AND day < $2 ORDER BY day",
    )
    .bind(from)
    .bind(until)
    .fetch_all(pool)
    .await
}

/// Replaces a year's schedule (creating the year if it is new) in one transaction: the
/// year's row first, which serialises two admins saving the same year; then its dates.
/// Nothing is stored when the schedule is not valid.
pub async fn replace_year(
    pool: &PgPool,
    year: i32,
    days: &[CalendarDay],
    source: &str,
) -> Result<YearDays, ReplaceError> {
    let (days, source) = validate(year, days, source).map_err(ReplaceError::Invalid)?;
    let mut tx = pool.begin().await?;
    let updated_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO calendar_years (year, source, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
         RETURNING updated_at",
    )
    .bind(year)
    .bind(&source)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM calendar_days WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)")
        .bind(year)
        .execute(&mut *tx)
        .await?;
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let off: Vec<bool> = days.iter().map(|d| d.is_off_day).collect();
    let names: Vec<&str> = days.iter().map(|d| d.name.as_str()).collect();
    sqlx::query(
        "INSERT INTO calendar_days (day, is_off_day, name)
         SELECT * FROM UNNEST($1::date[], $2::boolean[], $3::text[])",
    )
    .bind(&dates)
    .bind(&off)
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(YearDays {
        year,
        source,
        updated_at,
        days,
    })
}

/// Forgets a year: deadlines that reach into it are refused again. `false` if it was not known.
pub async fn delete_year(pool: &PgPool, year: i32) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query("DELETE FROM calendar_years WHERE year = $1")
        .bind(year)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        // Not a known year (and perhaps not a year a date can have): nothing to remove.
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("DELETE FROM calendar_days WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)")
        .bind(year)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted > 0)
}

/// January 1st of `year`, saturating at chrono's range (the callers pass [`YEARS`]).
fn first_day(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MAX)
}

/// What kind of day a date is, by the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday to Friday: counted.
    Workday,
    /// A Saturday or Sunday worked in exchange for a holiday (调休上班): counted.
    MakeUpWorkday,
    /// An ordinary Saturday or Sunday: skipped.
    Weekend,
    /// A statutory holiday (法定节假日), weekend days inside a holiday included: skipped.
    Holiday,
}

impl DayKind {
    /// Whether a day of this kind counts as a working day.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            DayKind::Workday => "calendar.kind.workday",
            DayKind::MakeUpWorkday => "calendar.kind.make_up",
            DayKind::Weekend => "calendar.kind.weekend",
            DayKind::Holiday => "calendar.kind.holiday",
        }
    }
}

/// The kind of every date after `application_day` up to and including `last_day`: the days a
/// working-day deadline went through, counted or skipped. A date in a year without holiday
/// schedule is taken by its weekday, as the count takes it.
pub fn breakdown(calendar: &Calendar, application_day: NaiveDate, last_day: NaiveDate) -> Vec<(NaiveDate, DayKind)> {
    application_day
        .iter_days()
        .skip(1)
        .take_while(|day| *day <= last_day)
        .map(|day| {
            let kind = match (
                calendar.is_working_day_or_weekday(day, &mut None),
                calendar.is_statutory_holiday(day).unwrap_or(false),
                is_weekend(day),
            ) {
                (true, _, true) => DayKind::MakeUpWorkday,
                (true, _, false) => DayKind::Workday,
                (false, true, _) => DayKind::Holiday,
                (false, false, _) => DayKind::Weekend,
            };
            (day, kind)
        })
        .collect()
}

/// The catalogue key of a weekday's short name.
pub fn weekday_key(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "calendar.weekday.mon",
        Weekday::Tue => "calendar.weekday.tue",
        Weekday::Wed => "calendar.weekday.wed",
        Weekday::Thu => "calendar.weekday.thu",
        Weekday::Fri => "calendar.weekday.fri",
        Weekday::Sat => "calendar.weekday.sat",
        Weekday::Sun => "calendar.weekday.sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn day(date: NaiveDate, is_off_day: bool, name: &str) -> CalendarDay {
        CalendarDay {
            date,
            is_off_day,
            name: name.into(),
        }
    }

    #[test]
    fn a_valid_year_comes_back_sorted_with_names_trimmed() {
        let days = [
            day(date(2027, 2, 7), false, " 春节 "),
            day(date(2027, 1, 1), true, "元旦"),
        ];
        let (clean, source) = validate(2027, &days, "  国务院通知 ").expect("valid");
        assert_eq!(source, "国务院通知");
        assert_eq!(
            clean,
            vec![
                day(date(2027, 1, 1), true, "元旦"),
                day(date(2027, 2, 7), false, "春节")
            ]
        );
    }

    #[test]
    fn every_wrong_date_is_reported_with_its_position() {
        let long = "节".repeat(51);
        let days = [
            day(date(2027, 1, 1), true, "元旦"),
            day(date(2026, 12, 31), true, "元旦"),
            day(date(2027, 1, 1), true, "元旦"),
            day(date(2027, 5, 1), true, &long),
            day(date(2027, 2, 8), false, "春节"), // a Monday
        ];
        let Err(Invalid::Days(problems)) = validate(2027, &days, "x") else {
            panic!("invalid");
        };
        let kinds: Vec<(usize, DayProblemKind)> = problems.iter().map(|p| (p.index, p.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (1, DayProblemKind::OutsideYear { year: 2027 }),
                (2, DayProblemKind::Duplicate { first_index: 0 }),
                (3, DayProblemKind::NameTooLong { chars: 51 }),
                (4, DayProblemKind::MakeUpOnWeekday),
            ]
        );
        let text = Invalid::Days(problems).describe(|i| format!("days[{i}]"));
        assert!(text[0].contains("days[1]") && text[0].contains("2026-12-31"));
        assert!(text[1].contains("first at days[0]"));
    }

    #[test]
    fn a_name_of_fifty_characters_is_fine() {
        let days = [day(date(2027, 1, 1), true, &"节".repeat(50))];
        assert!(validate(2027, &days, "x").is_ok());
    }

    #[test]
    fn a_year_needs_a_source_days_and_a_sensible_number() {
        let days = [day(date(2027, 1, 1), true, "元旦")];
        assert_eq!(validate(2027, &days, "  "), Err(Invalid::SourceMissing));
        assert_eq!(validate(2027, &[], "x"), Err(Invalid::NoDays));
        assert_eq!(validate(1999, &days, "x"), Err(Invalid::YearOutOfRange(1999)));
        assert_eq!(
            validate(2027, &days, &"x".repeat(501)),
            Err(Invalid::SourceTooLong(501))
        );
    }

    #[test]
    fn the_spring_festival_breakdown_names_each_kind_of_day() {
        let calendar = Calendar::bundled();
        let days = breakdown(&calendar, date(2025, 1, 24), date(2025, 2, 6));
        assert_eq!(days.first(), Some(&(date(2025, 1, 25), DayKind::Weekend)));
        assert!(days.contains(&(date(2025, 1, 26), DayKind::MakeUpWorkday)));
        assert!(days.contains(&(date(2025, 1, 27), DayKind::Workday)));
        assert!(days.contains(&(date(2025, 2, 1), DayKind::Holiday)));
        assert_eq!(days.last(), Some(&(date(2025, 2, 6), DayKind::Workday)));
        let counted = days.iter().filter(|(_, k)| k.is_working()).count();
        assert_eq!(counted, 4);
    }

    #[test]
    fn a_breakdown_into_a_year_without_schedule_takes_the_weekdays() {
        let calendar = Calendar::bundled();
        // Thu 2026-12-31 → Fri 2027-01-01 (a workday, provisionally), Sat, Sun, Mon.
        let days = breakdown(&calendar, date(2026, 12, 31), date(2027, 1, 4));
        assert_eq!(
            days,
            vec![
                (date(2027, 1, 1), DayKind::Workday),
                (date(2027, 1, 2), DayKind::Weekend),
                (date(2027, 1, 3), DayKind::Weekend),
                (date(2027, 1, 4), DayKind::Workday),
            ]
        );
    }

    #[test]
    fn a_breakdown_of_zero_days_is_empty() {
        let calendar = Calendar::bundled();
        let days = breakdown(&calendar, date(2025, 3, 10), date(2025, 3, 10));
        assert!(days.is_empty());
    }
}
