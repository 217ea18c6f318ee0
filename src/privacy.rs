//! Buyers' personal data shown only as much as a role needs: phone numbers and addresses are
//! masked in lists and for roles that do not contact buyers (138****1234), in full only on the
//! ticket page for the people working the ticket. Nothing personal goes to the logs.

/// `13812341234` → `138****1234`; short or odd numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if chars.len() > 2 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("****{tail}")
    } else {
        "****".to_string()
    }
}

/// Where the province- or city-level part of an address ends: 北京市, 浙江省, 内蒙古自治区,
/// 香港特别行政区.
const REGION_ENDS: [&str; 4] = ["特别行政区", "自治区", "省", "市"];
/// The longest region name shown before its ending (新疆维吾尔 has five characters).
const MAX_REGION_NAME_CHARS: usize = 5;
/// Characters of a district, street, building or house that a region name never holds.
const PLACE_MARKS: &str = "区县镇乡村街路道巷弄里号楼栋幢单元室层";

/// An address down to its province or city (`北京市****`, `浙江省****`): the text up to and
/// including the first 省, 市, 自治区 or 特别行政区, when what comes before it can be a region's
/// name (two to five Chinese characters, none of a district, street or number). Anything else
/// is hidden whole: a street or a house number is never shown.
pub fn mask_address(address: &str) -> String {
    format!("{}****", region_of(address).unwrap_or(""))
}

fn region_of(address: &str) -> Option<&str> {
    let address = address.trim();
    let (start, end) = address
        .char_indices()
        .take(MAX_REGION_NAME_CHARS + 1)
        .find_map(|(at, _)| {
            REGION_ENDS
                .iter()
                .find(|end| address[at..].starts_with(*end))
                .map(|end| (at, at + end.len()))
        })?;
    let name = &address[..start];
    let plausible = (2..=MAX_REGION_NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) && !PLACE_MARKS.contains(c));
    plausible.then(|| &address[..end])
}

/// A person's name with all but the first character hidden (张** / L***).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 3))),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones_keep_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("0571-8888"), "057****8888");
        assert_eq!(mask_phone("12345"), "****45");
        assert_eq!(mask_phone(""), "****");
    }

    #[test]
    fn addresses_keep_their_province_or_city_only() {
        assert_eq!(mask_address("浙江省杭州市西湖区文三路 100 号"), "浙江省****");
        assert_eq!(mask_address("北京市朝阳区建国路88号"), "北京市****");
        assert_eq!(mask_address("上海市黄浦区南京东路1号"), "上海市****");
        assert_eq!(mask_address("内蒙古自治区呼和浩特市"), "内蒙古自治区****");
        assert_eq!(mask_address("新疆维吾尔自治区乌鲁木齐市天山区"), "新疆维吾尔自治区****");
        assert_eq!(mask_address("香港特别行政区中环"), "香港特别行政区****");
        assert_eq!(
            mask_address(" 北京朝阳区建国路 88 号"),
            "****",
            "no region ending: all hidden"
        );
        assert_eq!(mask_address("建国路8号北京市"), "****", "a street before the ending");
        assert_eq!(mask_address("88号楼市场"), "****");
        assert_eq!(mask_address("杭州"), "****");
        assert_eq!(mask_address(""), "****");
    }

    #[test]
    fn names_keep_the_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("Li"), "L*");
    }

    /// Provinces and municipalities with their ending, for the property tests.
    const REGIONS: [&str; 6] = ["北京市", "上海市", "天津市", "重庆市", "浙江省", "广西壮族自治区"];

    proptest! {
        /// Whatever follows the region — district, street, number — never shows.
        #[test]
        fn masked_addresses_show_the_region_and_nothing_after_it(
            region in proptest::sample::select(REGIONS.to_vec()),
            rest in "[东西南北中和平安建国人民朝阳海淀浦东黄浦路街道巷弄号楼室区0-9 ]{1,30}",
        ) {
            let masked = mask_address(&format!("{region}{rest}"));
            prop_assert_eq!(masked, format!("{region}****"));
        }

        /// Any text at all: what shows is a prefix of it, at most a region's length, without a
        /// digit, a district or street character before its ending; everything else is hidden.
        #[test]
        fn masked_text_never_shows_a_street_or_a_number(address in "\\PC{0,40}") {
            let masked = mask_address(&address);
            let shown = masked.strip_suffix("****").expect("always ends hidden");
            prop_assert!(address.trim().starts_with(shown));
            prop_assert!(shown.chars().count() <= MAX_REGION_NAME_CHARS + "特别行政区".chars().count());
            prop_assert!(!shown.chars().any(|c| c.is_numeric()));
            prop_assert!(shown.is_empty() || REGION_ENDS.iter().any(|end| shown.ends_with(end)));
            let name = REGION_ENDS.iter().find_map(|end| shown.strip_suffix(end)).unwrap_or("");
            prop_assert!(!name.chars().any(|c| PLACE_MARKS.contains(c)));
        }


        /// A masked phone never contains the middle digits of an 11-digit mobile number.
        #[test]
        fn masked_mobiles_hide_the_middle(number in "1[3-9][0-9]{9}") {
            // Not "the middle digits appear nowhere": 130 3373 3373 keeps 3373 in its tail.
            let masked = mask_phone(&number);
            prop_assert_eq!(masked, format!("{}****{}", &number[..3], &number[7..]));
        }
    }
}
