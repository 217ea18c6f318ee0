//! What the application accepts at its edge (HTTP bodies and forms, imported files), in one
//! place: the range of an amount of money and of a date, so that no stored value can later
//! overflow a sum or send the follow-up sweep through centuries of missed cycles; and the
//! characters free text may hold ([`clean_text`]), applied by the request parsers
//! (`api::ApiJson`, `api::ApiQuery`, `api::ApiForm`) and the importers to every string.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::money::Fen;

/// A value a person gave that cannot be taken: the field it came in (the form field's or the
/// JSON key's name) and what to tell them. Services refuse input with it; a page shows the
/// message next to that field, the API answers 422 `invalid_field` naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: crate::i18n::Message,
}

impl FieldError {
    /// `field` is wrong, as the catalogue's `key` says.
    pub fn new(field: &'static str, key: &'static str) -> FieldError {
        FieldError {
            field,
            message: crate::i18n::Message::new(key),
        }
    }

    /// The same error with `{name}` in its message standing for `value`.
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> FieldError {
        self.message = self.message.with(name, value);
        self
    }
}

/// The largest amount one price, line, order or refund may have: ¥100,000,000.00. Far above
/// any real order, and small enough that the sum of a few hundred million lines still fits in
/// an `i64` of fen.
pub const MAX_AMOUNT: Fen = Fen(10_000_000_000);

/// The years a date or an instant may fall in (the calendar's own range).
pub const YEARS: RangeInclusive<i32> = crate::calendar::YEARS;

/// Checks an amount in fen: 0 to [`MAX_AMOUNT`].
pub fn amount(fen: i64) -> Result<Fen, String> {
    if (0..=MAX_AMOUNT.0).contains(&fen) {
        Ok(Fen(fen))
    } else {
        Err(amount_range_text())
    }
}

/// What [`amount`] allows, in words.
pub fn amount_range_text() -> String {
    format!("must be between ¥0.00 and ¥100,000,000.00 (0 to {} fen)", MAX_AMOUNT.0)
}

/// `unit price × quantity`, checked against [`MAX_AMOUNT`].
pub fn line_amount(unit_price_fen: i64, quantity: i32) -> Result<Fen, String> {
    unit_price_fen
        .checked_mul(i64::from(quantity))
        .ok_or_else(amount_range_text)
        .and_then(amount)
        .map_err(|_| format!("price × quantity {}", amount_range_text()))
}

/// Checks the year of a calendar date.
pub fn date(day: NaiveDate) -> Result<NaiveDate, String> {
    if YEARS.contains(&day.year()) {
        Ok(day)
    } else {
        Err(year_range_text(day.year()))
    }
}

/// Checks the year of an instant (as of UTC).
pub fn instant(at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    date(at.date_naive()).map(|_| at)
}

fn year_range_text(year: i32) -> String {
    format!(
        "the year {year} is outside the years accepted ({}–{})",
        YEARS.start(),
        YEARS.end()
    )
}

/// Text held a NUL character, which no field may hold (PostgreSQL text cannot store it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainsNul;

/// Free text as it may be stored: refused if it holds a NUL; control characters other than
/// newline and tab (ANSI escapes, carriage returns, DEL, C1 controls) and the bidirectional
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069, which can make text read backwards on
/// screen) are removed. Borrowed when nothing had to change.
pub fn clean_text(text: &str) -> Result<Cow<'_, str>, ContainsNul> {
    if text.contains('\0') {
        return Err(ContainsNul);
    }
    Ok(strip_unsafe_chars(text))
}

/// [`clean_text`] for sources that cannot refuse one cell (an imported workbook): NUL is
/// removed like the other control characters.
pub fn strip_unsafe_chars(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_run_from_zero_to_a_hundred_million_yuan() {
        assert_eq!(amount(0), Ok(Fen(0)));
        assert_eq!(amount(10_000_000_000), Ok(Fen(10_000_000_000)));
        assert!(amount(10_000_000_001).is_err());
        assert!(amount(-1).is_err());
        assert!(amount(i64::MAX).is_err());
    }

    #[test]
    fn a_line_that_overflows_is_refused_not_wrapped() {
        assert_eq!(line_amount(6400, 2), Ok(Fen(12800)));
        assert!(line_amount(i64::MAX / 2, 3).is_err());
        assert!(line_amount(10_000_000_000, 2).is_err());
    }

    #[test]
    fn years_run_from_2000_to_2100() {
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("date");
        assert!(date(day(2000)).is_ok());
        assert!(date(day(2100)).is_ok());
        assert!(date(day(1999)).is_err());
        assert!(date(day(2101)).is_err());
        assert!(date(day(0)).is_err());
        assert!(date(day(10000)).is_err());
    }

    #[test]
    fn text_keeps_newlines_and_tabs_and_loses_escapes_and_overrides() {
        assert_eq!(clean_text("第一行\n\t第二行"), Ok(Cow::Borrowed("第一行\n\t第二行")));
        assert_eq!(clean_text("a\r\nb"), Ok(Cow::Owned::<str>("a\nb".into())));
        assert_eq!(
            clean_text("\u{1b}[31mred\u{1b}[0m"),
            Ok(Cow::Owned::<str>("[31mred[0m".into()))
        );
        assert_eq!(
            clean_text("abc\u{202E}fdp.exe"),
            Ok(Cow::Owned::<str>("abcfdp.exe".into()))
        );
        assert_eq!(
            clean_text("\u{2066}x\u{2069}\u{7f}\u{85}"),
            Ok(Cow::Owned::<str>("x".into()))
        );
        assert_eq!(clean_text("a\0b"), Err(ContainsNul));
        assert_eq!(strip_unsafe_chars("a\0b"), "ab");
    }

    proptest! {
        #[test]
        fn cleaned_text_holds_no_unsafe_character_and_keeps_every_other(text in "\\PC*|[\\x00-\\x1f\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a-z中]*") {
            let cleaned = strip_unsafe_chars(&text);
            prop_assert!(!cleaned.chars().any(is_unsafe));
            let kept: String = text.chars().filter(|c| !is_unsafe(*c)).collect();
            prop_assert_eq!(cleaned.as_ref(), kept.as_str());
        }

        #[test]
        fn every_accepted_line_fits_in_the_bound(price in any::<i64>(), quantity in any::<i32>()) {
            if let Ok(fen) = line_amount(price, quantity) {
                prop_assert!((0..=MAX_AMOUNT.0).contains(&fen.0));
            }
        }
    }
}
