//! Text bound for spreadsheet programs. A cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is read by Excel, WPS and LibreOffice as a formula (`=HYPERLINK(…)`,
//! `+cmd|' /C calc'!A0`), so every exported text cell passes through [`neutralise_formula`].
//! Numbers (`-12.50`, `-3`, `-¥1.50`, `-2.5%`) are left as they are, so they stay numbers.

use std::borrow::Cow;

/// The cell as a spreadsheet should show it: text that a spreadsheet would run as a formula
/// gets a leading `'` (shown as text, never evaluated); everything else is unchanged.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A plain number as the exports write them: a sign, an optional yuan sign, digits with
/// thousands commas, an optional fraction and an optional `%`.
fn is_number(cell: &str) -> bool {
    let rest = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let rest = rest.strip_prefix(['¥', '￥']).unwrap_or(rest);
    let rest = rest.strip_suffix('%').unwrap_or(rest);
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    !whole.is_empty()
        && whole.starts_with(|c: char| c.is_ascii_digit())
        && whole.bytes().all(|b| b.is_ascii_digit() || b == b',')
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (rest.contains('.') != fraction.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(neutralise_formula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(neutralise_formula("-1+1"), "'-1+1");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("\t=1"), "'\t=1");
        assert_eq!(neutralise_formula("\r=1"), "'\r=1");
        assert_eq!(neutralise_formula("-"), "'-");
        assert_eq!(neutralise_formula("-."), "'-.");
        assert_eq!(neutralise_formula("-1."), "'-1.");
    }

    #[test]
    fn numbers_and_plain_text_stay() {
        for cell in [
            "-12.50",
            "-3",
            "+4",
            "-¥1.50",
            "-2.5%",
            "-1,280.00",
            "12",
            "SKU-1",
            "纯棉T恤",
            "",
            "—",
        ] {
            assert_eq!(neutralise_formula(cell), cell);
        }
    }

    proptest! {
        #[test]
        fn no_cell_leaves_as_a_formula(cell in "[=+@\\-\t\r][ -~]{0,12}") {
            let out = neutralise_formula(&cell);
            prop_assert!(out.starts_with('\'') || is_number(&cell));
        }

        #[test]
        fn signed_numbers_are_untouched(n in -1_000_000i64..1_000_000, frac in 0u8..100) {
            let cell = format!("{n}.{frac:02}");
            prop_assert_eq!(neutralise_formula(&cell), cell.as_str());
        }
    }
}
