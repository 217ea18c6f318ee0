//! The buyer's shipment back (买家已寄回): the carrier, from a fixed list, and the tracking
//! number, whose shape is checked per carrier where it is known and by a general shape
//! otherwise. Pure: a [`TrackingNo`] can only be made by [`TrackingNo::parse`], so a stored
//! number always has its carrier's shape.
//!
//! Where the shapes come from. There is no published national standard for the domestic
//! carriers' waybill numbers; the shapes below are those of the community list
//! `BF-zh/Courier-Validation` (`src/pattern/*.ts`, GitHub), kept only as far as they name a
//! letter prefix and a length — the leading digits it also asks of digit-only numbers are
//! left out, as too thin a source to refuse a buyer's real number on. International postal
//! items follow the Universal Postal Union's standard S10 (two letters, eight digits, a check
//! digit, the two-letter country code). A carrier not listed (`其他`) takes the general shape:
//! 8 to 30 letters and digits.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A carrier the buyer may ship with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// 顺丰.
    Sf,
    /// 中通.
    Zto,
    /// 圆通.
    Yto,
    /// 韵达.
    Yunda,
    /// 申通.
    Sto,
    /// 极兔.
    Jt,
    /// 邮政 EMS.
    Ems,
    /// 京东.
    Jd,
    /// 德邦.
    Deppon,
    /// 其他: any other carrier.
    Other,
}

impl Carrier {
    /// Every carrier, in the order forms offer them.
    pub const ALL: [Carrier; 10] = [
        Carrier::Sf,
        Carrier::Zto,
        Carrier::Yto,
        Carrier::Yunda,
        Carrier::Sto,
        Carrier::Jt,
        Carrier::Ems,
        Carrier::Jd,
        Carrier::Deppon,
        Carrier::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Sf => "sf",
            Carrier::Zto => "zto",
            Carrier::Yto => "yto",
            Carrier::Yunda => "yunda",
            Carrier::Sto => "sto",
            Carrier::Jt => "jt",
            Carrier::Ems => "ems",
            Carrier::Jd => "jd",
            Carrier::Deppon => "deppon",
            Carrier::Other => "other",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(text: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Carrier::Sf => "goods.carrier.sf",
            Carrier::Zto => "goods.carrier.zto",
            Carrier::Yto => "goods.carrier.yto",
            Carrier::Yunda => "goods.carrier.yunda",
            Carrier::Sto => "goods.carrier.sto",
            Carrier::Jt => "goods.carrier.jt",
            Carrier::Ems => "goods.carrier.ems",
            Carrier::Jd => "goods.carrier.jd",
            Carrier::Deppon => "goods.carrier.deppon",
            Carrier::Other => "goods.carrier.other",
        }
    }

    /// The catalogue key of the shape its numbers have, said to the agent when one does not fit.
    pub fn shape_key(self) -> &'static str {
        match self {
            Carrier::Sf => "goods.shape.sf",
            Carrier::Zto => "goods.shape.zto",
            Carrier::Yto => "goods.shape.yto",
            Carrier::Yunda => "goods.shape.yunda",
            Carrier::Sto => "goods.shape.sto",
            Carrier::Jt => "goods.shape.jt",
            Carrier::Ems => "goods.shape.ems",
            Carrier::Jd => "goods.shape.jd",
            Carrier::Deppon => "goods.shape.deppon",
            Carrier::Other => "goods.shape.other",
        }
    }

    /// Whether `number` (normalised: upper case, no spaces or dashes) has this carrier's shape.
    fn fits(self, number: &str) -> bool {
        match self {
            // SF + one letter or digit + 12 digits.
            Carrier::Sf => prefixed(number, "SF", 1, 12),
            // 14 digits.
            Carrier::Zto => digits(number, 14..=14),
            // YT + 13 digits.
            Carrier::Yto => prefixed(number, "YT", 0, 13),
            // 13 or 15 digits.
            Carrier::Yunda => number.len() != 14 && digits(number, 13..=15),
            // 14 to 17 digits.
            Carrier::Sto => digits(number, 14..=17),
            // JT + 13 digits.
            Carrier::Jt => prefixed(number, "JT", 0, 13),
            // 13 digits (domestic), P + letter + 11 digits, or a UPU S10 item.
            Carrier::Ems => digits(number, 13..=13) || prefixed(number, "P", 1, 11) || s10(number),
            // JD + two letters or digits + 11 digits.
            Carrier::Jd => prefixed(number, "JD", 2, 11),
            // DPK + 12 digits.
            Carrier::Deppon => prefixed(number, "DPK", 0, 12),
            Carrier::Other => general(number),
        }
    }
}

/// Only ASCII digits, with a length in `lengths`.
fn digits(number: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

/// `prefix`, then `free` letters or digits, then exactly `count` digits.
fn prefixed(number: &str, prefix: &str, free: usize, count: usize) -> bool {
    let Some(rest) = number.strip_prefix(prefix) else {
        return false;
    };
    rest.len() == free + count
        && rest.bytes().take(free).all(|b| b.is_ascii_alphanumeric())
        && rest.bytes().skip(free).all(|b| b.is_ascii_digit())
}

/// A UPU S10 identifier: two letters, eight digits, the check digit, two letters.
fn s10(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 13
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..11].iter().all(u8::is_ascii_digit)
        && bytes[11..].iter().all(u8::is_ascii_uppercase)
}

/// The general shape: 8 to 30 letters and digits.
fn general(number: &str) -> bool {
    (8..=30).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why a tracking number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackingError {
    /// Nothing given.
    Missing,
    /// Not the carrier's shape (or, for another carrier, not 8–30 letters and digits).
    Shape(Carrier),
}

/// A tracking number in its carrier's shape: upper case, without the spaces and dashes people
/// type or paste between groups of digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackingNo(String);

impl TrackingNo {
    /// Checks `text` against `carrier`'s shape, after taking out spaces and dashes and
    /// upper-casing letters.
    pub fn parse(carrier: Carrier, text: &str) -> Result<TrackingNo, TrackingError> {
        let number: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if number.is_empty() {
            return Err(TrackingError::Missing);
        }
        if carrier.fits(&number) {
            Ok(TrackingNo(number))
        } else {
            Err(TrackingError::Shape(carrier))
        }
    }

    /// The number as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored number.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_carrier_takes_its_shape_and_refuses_another() {
        let good = [
            (Carrier::Sf, "SF1234567890123"),
            (Carrier::Zto, "78123456789012"),
            (Carrier::Yto, "YT1234567890123"),
            (Carrier::Yunda, "4312345678901"),
            (Carrier::Yunda, "312345678901234"),
            (Carrier::Sto, "77312345678901"),
            (Carrier::Jt, "JT1234567890123"),
            (Carrier::Ems, "1123456789012"),
            (Carrier::Ems, "EA123456785CN"),
            (Carrier::Jd, "JDVA12345678901"),
            (Carrier::Deppon, "DPK123456789012"),
            (Carrier::Other, "AB123456"),
        ];
        for (carrier, number) in good {
            assert_eq!(
                TrackingNo::parse(carrier, number).map(TrackingNo::into_string),
                Ok(number.to_string()),
                "{carrier:?} {number}"
            );
        }
        let bad = [
            (Carrier::Sf, "YT1234567890123"),
            (Carrier::Sf, "SF123456789012"),
            (Carrier::Zto, "7812345678901"),
            (Carrier::Yto, "YT123456789012A"),
            (Carrier::Yunda, "43123456789012"),
            (Carrier::Sto, "7731234567890"),
            (Carrier::Jt, "JT12345678901234"),
            (Carrier::Ems, "E123456785CN"),
            (Carrier::Jd, "JD123"),
            (Carrier::Deppon, "DP1234567890123"),
            (Carrier::Other, "AB12345"),
            (Carrier::Other, "快递单号12345678"),
        ];
        for (carrier, number) in bad {
            assert_eq!(
                TrackingNo::parse(carrier, number),
                Err(TrackingError::Shape(carrier)),
                "{carrier:?} {number}"
            );
        }
    }

    #[test]
    fn spaces_dashes_and_lower_case_are_what_people_type_and_are_normalised() {
        let parsed = TrackingNo::parse(Carrier::Sf, " sf 1234-5678-90123 ").expect("fits");
        assert_eq!(parsed.as_str(), "SF1234567890123");
    }

    #[test]
    fn nothing_typed_is_missing_not_a_wrong_shape() {
        assert_eq!(TrackingNo::parse(Carrier::Sf, "  - "), Err(TrackingError::Missing));
    }

    #[test]
    fn the_other_carrier_takes_eight_to_thirty_letters_and_digits() {
        assert!(TrackingNo::parse(Carrier::Other, &"9".repeat(30)).is_ok());
        assert!(TrackingNo::parse(Carrier::Other, &"9".repeat(31)).is_err());
        assert!(TrackingNo::parse(Carrier::Other, "ABC_12345").is_err());
    }

    #[test]
    fn carriers_round_trip_through_their_wire_form() {
        for carrier in Carrier::ALL {
            assert_eq!(Carrier::parse(carrier.as_str()), Some(carrier));
        }
        assert_eq!(Carrier::parse("ups"), None);
    }

    proptest! {
        /// Whatever is accepted, for any carrier, fits the general shape: a stored number is
        /// always 8–30 letters and digits, upper case.
        #[test]
        fn anything_accepted_is_eight_to_thirty_upper_case_letters_and_digits(
            index in 0usize..10,
            text in "[A-Za-z0-9 -]{0,40}",
        ) {
            let carrier = Carrier::ALL[index];
            if let Ok(number) = TrackingNo::parse(carrier, &text) {
                let number = number.into_string();
                prop_assert!((8..=30).contains(&number.len()), "{}", number);
                prop_assert!(number.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "{}", number);
            }
        }

        /// Parsing is idempotent: a stored number parses again to itself.
        #[test]
        fn a_stored_number_parses_again_to_itself(index in 0usize..10, text in "[A-Za-z0-9 -]{0,40}") {
            let carrier = Carrier::ALL[index];
            if let Ok(number) = TrackingNo::parse(carrier, &text) {
                prop_assert_eq!(TrackingNo::parse(carrier, number.as_str()), Ok(number.clone()));
            }
        }

        /// Spaces and dashes between the characters never change the verdict.
        #[test]
        fn separators_never_change_the_verdict(index in 0usize..10, text in "[A-Z0-9]{0,32}", at in 0usize..32) {
            let carrier = Carrier::ALL[index];
            let cut = at.min(text.len());
            let spaced = format!("{} - {}", &text[..cut], &text[cut..]);
            prop_assert_eq!(TrackingNo::parse(carrier, &text), TrackingNo::parse(carrier, &spaced));
        }
    }
}
