//! The buyer's reason as written in the refund export (买家退款原因), mapped to our reason codes
//! (DOMAIN.md §5). The words are kept verbatim on the ticket; the code is what reports group by.

use crate::rules::reason::ReasonCode;

/// Key phrases, most specific first: "破损已拒签" must win over "破损".
const PHRASES: &[(&str, ReasonCode)] = &[
    ("七天无理由", ReasonCode::NoReason),
    ("7天无理由", ReasonCode::NoReason),
    ("无理由", ReasonCode::NoReason),
    ("不想要", ReasonCode::NoReason),
    ("不喜欢", ReasonCode::NoReason),
    ("拍错", ReasonCode::Misorder),
    ("多拍", ReasonCode::Misorder),
    ("拍多", ReasonCode::Misorder),
    ("协商一致", ReasonCode::Agreed),
    ("退运费", ReasonCode::ShippingFee),
    ("运费", ReasonCode::ShippingFee),
    ("未按约定时间发货", ReasonCode::LateShipment),
    ("延迟发货", ReasonCode::LateShipment),
    ("缺货", ReasonCode::OutOfStock),
    ("一直未送到", ReasonCode::LogisticsStuck),
    ("未收到货", ReasonCode::LogisticsStuck),
    ("没收到货", ReasonCode::LogisticsStuck),
    ("无跟踪记录", ReasonCode::LogisticsNoTrace),
    ("无物流", ReasonCode::LogisticsNoTrace),
    ("空包裹", ReasonCode::EmptyParcel),
    ("已拒签", ReasonCode::DamagedRefused),
    ("拒签", ReasonCode::DamagedRefused),
    ("破损", ReasonCode::Damaged),
    ("污渍", ReasonCode::Damaged),
    ("损坏", ReasonCode::Damaged),
    ("少件", ReasonCode::MissingParts),
    ("漏发", ReasonCode::MissingParts),
    ("少发", ReasonCode::MissingParts),
    ("发错", ReasonCode::WrongItem),
    ("错发", ReasonCode::WrongItem),
    ("描述不符", ReasonCode::NotAsDescribed),
    ("尺寸", ReasonCode::NotAsDescribed),
    ("尺码", ReasonCode::NotAsDescribed),
    ("颜色", ReasonCode::NotAsDescribed),
    ("款式", ReasonCode::NotAsDescribed),
    ("材质", ReasonCode::NotAsDescribed),
    ("质量", ReasonCode::Quality),
    ("做工", ReasonCode::Quality),
    ("褪色", ReasonCode::Quality),
    ("掉色", ReasonCode::Quality),
    ("过敏", ReasonCode::AdverseReaction),
    ("发炎", ReasonCode::AdverseReaction),
    ("假冒", ReasonCode::Counterfeit),
    ("假货", ReasonCode::Counterfeit),
    ("发票", ReasonCode::Invoice),
];

/// The reason code for the buyer's words; `other` when none of the known phrases occurs.
pub fn reason_from_text(text: &str) -> ReasonCode {
    let text = text.trim();
    if let Some(code) = ReasonCode::parse(text) {
        return code;
    }
    PHRASES
        .iter()
        .find(|(phrase, _)| text.contains(phrase))
        .map(|(_, code)| *code)
        .unwrap_or(ReasonCode::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_phrases_map_to_their_codes() {
        assert_eq!(reason_from_text("七天无理由退换货"), ReasonCode::NoReason);
        assert_eq!(reason_from_text("破损已拒签"), ReasonCode::DamagedRefused);
        assert_eq!(reason_from_text("包装/商品破损/污渍"), ReasonCode::Damaged);
        assert_eq!(reason_from_text("尺寸拍错/不喜欢/效果不好"), ReasonCode::NoReason);
        assert_eq!(reason_from_text("质量问题"), ReasonCode::Quality);
        assert_eq!(reason_from_text("少件/漏发"), ReasonCode::MissingParts);
        assert_eq!(reason_from_text("商品信息描述不符"), ReasonCode::NotAsDescribed);
        assert_eq!(reason_from_text("quality"), ReasonCode::Quality);
        assert_eq!(reason_from_text("说不清"), ReasonCode::Other);
    }
}
