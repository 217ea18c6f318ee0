//! The plain-text form in which an admin types a year's schedule on the calendar page: one date
//! a line, `2027-01-01 off 元旦` for a statutory holiday and `2027-02-07 work 春节` for a
//! make-up working day (`休` / `班` work too). Blank lines and lines starting with `#` are
//! skipped. A whole holiday-cn year file pasted instead is read as such: its JSON, or its
//! iCalendar form (`.ics`, one all-day event per holiday or make-up day, `春节假期` or
//! `上班(补春节假期)`).

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
    /// An event of a pasted iCalendar file (1-based).
    Event(usize),
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
    /// An event of a pasted iCalendar file without readable dates.
    BadEvent { event: usize, text: String },
}

/// Reads the text; every unreadable line is reported.
pub fn parse(text: &str) -> Result<Parsed, Vec<TextError>> {
    if text.trim_start().starts_with('{') {
        return parse_holiday_cn(text);
    }
    if text.trim_start().to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        return parse_ics(text);
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
    parsed_unless(errors, days, places)
}

/// The dates read, unless anything could not be read (then every problem).
fn parsed_unless(errors: Vec<TextError>, days: Vec<CalendarDay>, places: Vec<Place>) -> Result<Parsed, Vec<TextError>> {
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

/// Reads an iCalendar file as holiday-cn publishes it: every `VEVENT` is a run of all-day dates
/// (`DTSTART;VALUE=DATE:20250128`, `DTEND` exclusive, one day when absent); a summary with
/// 上班 or 补班 marks make-up working days, anything else days off. The holiday's name is the
/// summary without 假期 and the 上班(补…) wrapping.
fn parse_ics(text: &str) -> Result<Parsed, Vec<TextError>> {
    // Lines starting with a space or a tab continue the previous one (RFC 5545 §3.1).
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        match raw.strip_prefix([' ', '\t']) {
            Some(rest) if !lines.is_empty() => lines.last_mut().expect("not empty").push_str(rest),
            _ => lines.push(raw.trim_end().to_string()),
        }
    }
    let mut days = Vec::new();
    let mut places = Vec::new();
    let mut errors = Vec::new();
    let mut event: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let mut count = 0;
    for line in &lines {
        let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        // Parameters (`;VALUE=DATE`) do not change how the value is read here.
        let property = name.split(';').next().unwrap_or_default().to_ascii_uppercase();
        match (property.as_str(), &mut event) {
            ("BEGIN", _) if value.eq_ignore_ascii_case("VEVENT") => event = Some((None, None, None)),
            ("SUMMARY", Some((summary, _, _))) => *summary = Some(value.trim().to_string()),
            ("DTSTART", Some((_, start, _))) => *start = Some(value.trim().to_string()),
            ("DTEND", Some((_, _, end))) => *end = Some(value.trim().to_string()),
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                count += 1;
                let Some((summary, start, end)) = event.take() else {
                    continue;
                };
                let summary = summary.unwrap_or_default();
                let first = start.as_deref().and_then(ics_date);
                let after = match end.as_deref() {
                    Some(end) => ics_date(end),
                    None => first.and_then(|d| d.succ_opt()),
                };
                let (Some(first), Some(after)) = (first, after) else {
                    errors.push(TextError::BadEvent {
                        event: count,
                        text: summary,
                    });
                    continue;
                };
                if after <= first || (after - first).num_days() > 31 {
                    errors.push(TextError::BadEvent {
                        event: count,
                        text: summary,
                    });
                    continue;
                }
                let (is_off_day, holiday) = ics_kind_and_name(&summary);
                for date in first.iter_days().take_while(|d| *d < after) {
                    days.push(CalendarDay {
                        date,
                        is_off_day,
                        name: holiday.clone(),
                    });
                    places.push(Place::Event(count));
                }
            }
            _ => {}
        }
    }
    parsed_unless(errors, days, places)
}

/// `20250128`, or the date part of `20250128T000000`.
fn ics_date(value: &str) -> Option<NaiveDate> {
    let digits = value.get(..8)?;
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// `春节假期` → (day off, `春节`); `上班(补春节假期)` → (working day, `春节`).
fn ics_kind_and_name(summary: &str) -> (bool, String) {
    let is_work = summary.contains("上班") || summary.contains("补班");
    let mut name = summary.to_string();
    if is_work {
        if let (Some(open), Some(close)) = (name.find(['(', '（']), name.rfind([')', '）'])) {
            name = name[open..close].trim_start_matches(['(', '（']).to_string();
        } else {
            name = name.replace("上班", "").replace("补班", "");
        }
        name = name.trim_start_matches('补').to_string();
    }
    let name = name.trim().trim_end_matches("假期").trim().to_string();
    (!is_work, name)
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

    /// An iCalendar file laid out as holiday-cn publishes one (dates of the 2025 notice).
    const ICS_2025: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALDESC:中国法定节假日数据，自动每日抓取国务院公\r\n 告。\r\n\
        BEGIN:VEVENT\r\nSUMMARY:元旦假期\r\nDTSTART;VALUE=DATE:20250101\r\nDTEND;VALUE=DATE:20250102\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nSUMMARY:上班(补春节假期)\r\nDTSTART;VALUE=DATE:20250126\r\nDTEND;VALUE=DATE:20250127\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nSUMMARY:春节假期\r\nDTSTART;VALUE=DATE:20250128\r\nDTEND;VALUE=DATE:20250205\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nSUMMARY:上班(补国庆节、中秋节假期)\r\nDTSTART;VALUE=DATE:20250928\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";

    #[test]
    fn a_holiday_cn_icalendar_file_reads_as_its_days() {
        let parsed = parse(ICS_2025).expect("reads");
        assert_eq!(parsed.days.len(), 1 + 1 + 8 + 1);
        assert_eq!(
            parsed.days[0],
            CalendarDay {
                date: date(2025, 1, 1),
                is_off_day: true,
                name: "元旦".into()
            }
        );
        assert_eq!(
            parsed.days[1],
            CalendarDay {
                date: date(2025, 1, 26),
                is_off_day: false,
                name: "春节".into()
            }
        );
        // DTEND is exclusive: 01-28 .. 02-04.
        assert_eq!(parsed.days[2].date, date(2025, 1, 28));
        assert_eq!(parsed.days[9].date, date(2025, 2, 4));
        assert!(parsed.days[2..10].iter().all(|d| d.is_off_day && d.name == "春节"));
        // No DTEND: one day.
        assert_eq!(parsed.days[10].date, date(2025, 9, 28));
        assert_eq!(parsed.days[10].name, "国庆节、中秋节");
        assert_eq!(parsed.places[2], Place::Event(3));
        assert_eq!(parsed.file_year, None);
    }

    #[test]
    fn an_icalendar_event_without_a_date_is_named() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:春节假期\nDTSTART:2025-01-28\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(
            parse(text),
            Err(vec![TextError::BadEvent {
                event: 1,
                text: "春节假期".into()
            }])
        );
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
