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

/// An address down to its first six characters (province and city), the rest hidden.
pub fn mask_address(address: &str) -> String {
    let chars: Vec<char> = address.trim().chars().collect();
    if chars.len() <= 6 {
        return "****".to_string();
    }
    let head: String = chars[..6].iter().collect();
    format!("{head}****")
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
    fn addresses_keep_province_and_city_only() {
        assert_eq!(mask_address("浙江省杭州市西湖区文三路 100 号"), "浙江省杭州市****");
        assert_eq!(mask_address("杭州"), "****");
    }

    #[test]
    fn names_keep_the_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("Li"), "L*");
    }

    proptest! {
        /// A masked phone never contains the middle digits of an 11-digit mobile number.
        #[test]
        fn masked_mobiles_hide_the_middle(number in "1[3-9][0-9]{9}") {
            // Not "the middle digits appear nowhere": 130 3373 3373 keeps 3373 in its tail.
            let masked = mask_phone(&number);
            prop_assert_eq!(masked, format!("{}****{}", &number[..3], &number[7..]));
        }
    }
}
