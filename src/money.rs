//! Money as integer fen (分): never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in fen (1 yuan = 100 fen).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// Parses yuan as people write it (`128`, `128.5`, `128.50`, `¥1,280.00`) into fen.
    pub fn parse_yuan(text: &str) -> Option<Fen> {
        let cleaned: String = text
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let yuan: i64 = whole.parse().ok()?;
        let fen: i64 = format!("{frac:0<2}").parse().ok()?;
        let total = yuan.checked_mul(100)?.checked_add(fen)?;
        Some(Fen(if negative { -total } else { total }))
    }
}

impl fmt::Display for Fen {
    /// `¥128.00`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

/// Money for a form field (yuan without the sign).
pub fn yuan_field(fen: Option<Fen>) -> String {
    fen.map(|f| f.to_string().replace('¥', "")).unwrap_or_default()
}

/// Money as shown (`¥128.00`), or `—` when there is none (or it could not be summed).
pub fn fen_or_dash(fen: Option<Fen>) -> String {
    fen.map(|f| f.to_string()).unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_form_field_shows_yuan_without_the_sign_and_a_missing_amount_as_a_dash_or_empty() {
        assert_eq!(yuan_field(Some(Fen(12850))), "128.50");
        assert_eq!(yuan_field(None), "");
        assert_eq!(fen_or_dash(Some(Fen(-150))), "-¥1.50");
        assert_eq!(fen_or_dash(None), "—");
    }

    #[test]
    fn shows_yuan_with_two_decimals() {
        assert_eq!(Fen(12800).to_string(), "¥128.00");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-150).to_string(), "-¥1.50");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("128"), Some(Fen(12800)));
        assert_eq!(Fen::parse_yuan("128.5"), Some(Fen(12850)));
        assert_eq!(Fen::parse_yuan("¥1,280.05"), Some(Fen(128005)));
        assert_eq!(Fen::parse_yuan("1.234"), None);
        assert_eq!(Fen::parse_yuan("abc"), None);
        assert_eq!(Fen::parse_yuan(""), None);
        assert_eq!(Fen::parse_yuan(".5"), None);
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(fen in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_string().replace('¥', "")), Some(Fen(fen)));
        }
    }
}
