//! The catalogue and the words: the bench shop's SKUs, made by formula from eight categories
//! (every product in twelve variants and seven editions), the note a move sometimes carries and
//! the ticket descriptions. Buyers' names, phones and addresses, order notes and agents' notes
//! come from [`crate::fixtures::names`].

use crate::fixtures::random::Rng;
use crate::rules::seven_day::NoReasonExclusion;

use super::generator::Sku;

/// Category, code, weight (share of SKUs), products, price range in fen.
type CategorySpec = (&'static str, &'static str, &'static [&'static str], (i64, i64));

const CATEGORIES: [CategorySpec; 8] = [
    (
        "服装",
        "FZ",
        &[
            "纯棉短袖T恤",
            "修身牛仔裤",
            "轻薄羽绒服",
            "针织开衫",
            "碎花连衣裙",
            "连帽卫衣",
            "休闲西装",
        ],
        (4_900, 59_900),
    ),
    (
        "鞋靴",
        "XX",
        &["缓震跑步鞋", "帆布鞋", "马丁靴", "休闲皮鞋", "拖鞋"],
        (3_900, 69_900),
    ),
    (
        "美妆",
        "MZ",
        &["保湿面霜", "哑光口红", "防晒霜", "氨基酸洗面奶", "精华液"],
        (3_900, 39_900),
    ),
    (
        "食品",
        "SP",
        &["每日坚果礼盒", "鲜切水果", "牛肉干", "挂耳咖啡", "东北大米"],
        (1_990, 19_900),
    ),
    (
        "数码",
        "SM",
        &["蓝牙耳机", "快充充电宝", "编织数据线", "机械键盘", "会员激活码"],
        (2_990, 99_900),
    ),
    (
        "家居",
        "JJ",
        &["纯棉四件套", "记忆棉枕", "折叠收纳箱", "香薰蜡烛", "定制刻字水杯"],
        (2_990, 49_900),
    ),
    (
        "母婴",
        "MY",
        &["纸尿裤", "玻璃奶瓶", "婴儿湿巾", "儿童保温杯"],
        (2_990, 29_900),
    ),
    (
        "图书",
        "TS",
        &["儿童绘本套装", "期刊年度订阅", "长篇小说", "编程入门"],
        (1_990, 19_900),
    ),
];

const VARIANTS: [&str; 12] = [
    "黑色 M",
    "白色 L",
    "灰色 S",
    "蓝色 XL",
    "红色 M",
    "米色 L",
    "标准款",
    "升级款",
    "礼盒装",
    "两件装",
    "大号",
    "小号",
];

/// The catalogue: every product of every category in twelve variants and seven editions, in
/// random order (popularity follows the order).
pub(super) fn make_catalogue(rng: &mut Rng) -> Vec<Sku> {
    let mut catalogue = Vec::new();
    let mut n = 0;
    for (category, code, products, (lo, hi)) in CATEGORIES {
        for product in products {
            let base = rng.range(lo, hi) / 100 * 100 - 10;
            for variant in VARIANTS {
                for edition in 0..7 {
                    n += 1;
                    let exclusion = match *product {
                        "鲜切水果" => NoReasonExclusion::Perishable,
                        "会员激活码" => NoReasonExclusion::DigitalUnsealed,
                        "期刊年度订阅" => NoReasonExclusion::Periodical,
                        "定制刻字水杯" => NoReasonExclusion::CustomMade,
                        _ if category == "美妆" && edition == 0 => NoReasonExclusion::ConfirmedAtPurchase,
                        _ => NoReasonExclusion::None,
                    };
                    catalogue.push(Sku {
                        code: format!("{code}{n:05}"),
                        title: format!("{product} {variant} 第{}代", edition + 1),
                        category,
                        price_fen: (base + rng.range(-5, 6) * 100).max(990),
                        exclusion,
                    });
                }
            }
        }
    }
    // Popularity follows the shuffled order.
    rng.shuffle(&mut catalogue);
    catalogue
}

/// Notes a move sometimes carries.
pub(super) const TRANSITION_NOTES: [&str; 5] = [
    "凭证齐全，同意处理",
    "与买家协商一致",
    "仓库已确认",
    "按平台规则处理",
    "已核实物流信息",
];
/// Descriptions, three per reason, in the order of `generator::reason_index`.
pub(super) const DESCRIPTIONS: [[&str; 3]; 19] = [
    ["不想要了，七天无理由退货", "买多了，退一件", "和想象的不一样，不想要了"],
    ["拍错了尺码", "拍错颜色了", "下单时选错了规格"],
    ["已与客服协商一致退款", "协商部分退款", "客服同意补偿差价"],
    ["运费险没生效，申请退运费", "退回运费", "多收了运费"],
    ["承诺48小时发货，一直没发", "催了好几次还没发货", "发货太慢了"],
    ["客服说缺货，申请退款", "商品缺货", "等不到补货"],
    ["物流三天没有更新", "包裹卡在中转站", "物流一直停在同一个地方"],
    ["查不到物流信息", "单号显示无记录", "物流信息不存在"],
    ["收到的是空包裹", "打开盒子里面是空的", "包裹里没有商品"],
    ["外包装破损，拒收了", "快递破损拒签", "包裹压坏了拒收"],
    ["收到时商品已破损", "外壳有裂痕", "运输中压坏了"],
    ["少发了配件", "缺少说明书和赠品", "套装少了一件"],
    ["发错了商品", "收到的颜色不对", "发来的型号不对"],
    ["实物与描述不符", "颜色和图片差别很大", "材质和描述的不一样"],
    ["质量有问题，开线了", "用了两天就坏了", "有明显瑕疵"],
    ["使用后皮肤过敏", "用了之后起红疹", "使用后不适"],
    ["怀疑是假货", "防伪码查不到", "和专柜的不一样"],
    ["要开发票一直没给", "发票抬头开错了", "需要补开发票"],
    ["其他问题", "需要客服处理", "有问题咨询"],
];
