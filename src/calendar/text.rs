//! The plain-text form in which an admin types a year's schedule on the calendar page: one date
//! a line, `2027-01-01 off 元旦` for a statutory holiday and `2027-02-07 work 春节` for a
//! make-up working day (`休` / `班` work too). Blank lines and lines starting with `#` are
//! skipped. A whole holiday-cn year file (JSON) pasted instead is read as such.

use chrono::NaiveDate;

use super::CalendarDay;
use crate::rules::calendar::Calendar;

/// Where a listed date came from in the text, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A line of the text (1-based).
    Line(usize),
    /// An entry of a pasted JSON file's `days` (1-based).
    Entry(usize),
}

/// The dates read from the text, with the place of each.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    pub days: Vec<CalendarDay>,
    pub places: Vec<Place>,
    /// The year a pasted holiday-cn file says it is for.
    pub file_year: Option<i32>,
}

/// A line (or file) that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextError {
    /// The first word is not a date `YYYY-MM-DD`.
    BadDate { line: usize, text: String },
    /// A date with nothing after it.
    MissingKind { line: usize },
    /// The second word is neither `off` nor `work`.
    BadKind { line: usize, text: String },
    /// Pasted JSON that is not a holiday-cn year file.
    BadJson(String),
}

/// Reads the text; every unreadable line is reported.
pub fn parse(text: &str) -> Result<Parsed, Vec<TextError>> {
    if text.trim_start().starts_with('{') {
        return parse_holiday_cn(text);
    }
    let mut days = Vec::new();
    let mut places = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut words = content.split_whitespace();
        let first = words.next().unwrap_or_default();
        let Some(date) = parse_date(first) else {
            errors.push(TextError::BadDate {
                line,
                text: first.to_string(),
            });
            continue;
        };
        let Some(kind) = words.next() else {
            errors.push(TextError::MissingKind { line });
            continue;
        };
        let is_off_day = match kind.to_lowercase().as_str() {
            "off" | "休" | "holiday" => true,
            "work" | "班" | "workday" => false,
            _ => {
                errors.push(TextError::BadKind {
                    line,
                    text: kind.to_string(),
                });
                continue;
            }
        };
        let name = words.collect::<Vec<_>>().join(" ");
        days.push(CalendarDay { date, is_off_day, name });
        places.push(Place::Line(line));
    }
    if errors.is_empty() {
        Ok(Parsed {
            days,
            places,
            file_year: None,
        })
    } else {
        Err(errors)
    }
}

fn parse_date(word: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(word, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(word, "%Y/%m/%d"))
        .ok()
}

fn parse_holiday_cn(text: &str) -> Result<Parsed, Vec<TextError>> {
    let (year, listed) = Calendar::from_holiday_cn_json(text).map_err(|e| vec![TextError::BadJson(e)])?;
    let places = (1..=listed.len()).map(Place::Entry).collect();
    let days = listed
        .into_iter()
        .map(|(date, is_off_day, name)| CalendarDay { date, is_off_day, name })
        .collect();
    Ok(Parsed {
        days,
        places,
        file_year: Some(year),
    })
}

/// A year's dates as text, one a line, in the form [`parse`] reads.
pub fn format(days: &[CalendarDay]) -> String {
    let mut out = String::new();
    for day in days {
        out.push_str(&day.date.format("%Y-%m-%d").to_string());
        out.push_str(if day.is_off_day { " off" } else { " work" });
        if !day.name.is_empty() {
            out.push(' ');
            out.push_str(&day.name);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn lines_read_as_date_kind_and_name() {
        let parsed =
            parse("# 2027\n2027-01-01 off 元旦\n\n2027-02-07  work  春节 调休\n2027/10/01 休 国庆节\n2027-10-09 班")
                .expect("parses");
        assert_eq!(
            parsed.days,
            vec![
                CalendarDay {
                    date: date(2027, 1, 1),
                    is_off_day: true,
                    name: "元旦".into()
                },
                CalendarDay {
                    date: date(2027, 2, 7),
                    is_off_day: false,
                    name: "春节 调休".into()
                },
                CalendarDay {
                    date: date(2027, 10, 1),
                    is_off_day: true,
                    name: "国庆节".into()
                },
                CalendarDay {
                    date: date(2027, 10, 9),
                    is_off_day: false,
                    name: String::new()
                },
            ]
        );
        assert_eq!(
            parsed.places,
            vec![Place::Line(2), Place::Line(4), Place::Line(5), Place::Line(6)]
        );
    }

    #[test]
    fn every_unreadable_line_is_reported_with_its_number() {
        let errors =
            parse("2027-01-01 off 元旦\n2027-02-30 off x\n2027-02-07\n2027-02-08 rest").expect_err("bad lines");
        assert_eq!(
            errors,
            vec![
                TextError::BadDate {
                    line: 2,
                    text: "2027-02-30".into()
                },
                TextError::MissingKind { line: 3 },
                TextError::BadKind {
                    line: 4,
                    text: "rest".into()
                },
            ]
        );
    }

    #[test]
    fn a_pasted_holiday_cn_file_is_read_whole() {
        let json = r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
        let parsed = parse(json).expect("parses");
        assert_eq!(parsed.file_year, Some(2027));
        assert_eq!(parsed.places, vec![Place::Entry(1)]);
        assert!(matches!(parse("{ nope").expect_err("bad")[0], TextError::BadJson(_)));
    }

    #[test]
    fn formatting_and_parsing_round_trip() {
        let days = vec![
            CalendarDay {
                date: date(2027, 1, 1),
                is_off_day: true,
                name: "元旦".into(),
            },
            CalendarDay {
                date: date(2027, 2, 7),
                is_off_day: false,
                name: String::new(),
            },
        ];
        assert_eq!(parse(&format(&days)).expect("parses").days, days);
    }
}
