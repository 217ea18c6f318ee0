//! Buyers and orders: the demo's buyers (names, phones and addresses from
//! [`crate::fixtures::names`]), what the shop sells (a small catalogue with variants and the
//! no-reason exclusions), and 400 orders over the last 60 days, paid, shipped and signed as
//! parcels go.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::fixtures::names::{self, ORDER_NOTES};
use crate::fixtures::random::Rng;
use crate::rules::seven_day::NoReasonExclusion;

use super::SHOP_ZONE;
use super::shop::{Customer, DemoOrder, Line, minutes};

/// `count` buyers with different nicknames.
pub(super) fn make_customers(rng: &mut Rng, count: usize) -> Vec<Customer> {
    let mut seen = HashSet::new();
    let mut customers = Vec::with_capacity(count);
    while customers.len() < count {
        let nick = names::buyer_nick(rng);
        if !seen.insert(nick.clone()) {
            continue;
        }
        let name = names::person_name(rng);
        let phone = names::mobile_phone(rng);
        let address = names::home_address(rng);
        customers.push(Customer {
            nick,
            name,
            phone,
            address,
        });
    }
    customers
}

/// When a product is taken out of the no-reason return.
#[derive(Clone, Copy)]
enum Excluded {
    Never,
    Always(NoReasonExclusion),
    /// For goods like cosmetics: when the buyer confirmed at checkout (percent of lines).
    Confirmed(usize),
}

struct Product {
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    price_fen: i64,
    variants: Variants,
    excluded: Excluded,
}

/// (SKU suffix, variant shown in the title)
type Variants = &'static [(&'static str, &'static str)];

const fn product(
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    price_fen: i64,
    variants: Variants,
    excluded: Excluded,
) -> Product {
    Product {
        sku,
        name,
        category,
        price_fen,
        variants,
        excluded,
    }
}

const ONE: Variants = &[];
const TEE: Variants = &[
    ("WHT-M", "白色 M"),
    ("WHT-L", "白色 L"),
    ("BLK-L", "黑色 L"),
    ("BLU-XL", "雾霾蓝 XL"),
];
const DRESS: Variants = &[("S", "S码"), ("M", "M码"), ("L", "L码")];
const JACKET: Variants = &[("BLK-M", "黑色 M"), ("KHK-L", "卡其 L")];
const JEANS: Variants = &[("26", "26码"), ("27", "27码"), ("28", "28码"), ("29", "29码")];
const HOODIE: Variants = &[("M", "M码"), ("L", "L码")];
const RUNNERS: Variants = &[("39", "39码"), ("40", "40码"), ("41", "41码"), ("42", "42码")];
const CANVAS: Variants = &[("36", "36码"), ("37", "37码"), ("38", "38码")];
const BOOTS: Variants = &[("37", "37码"), ("38", "38码"), ("39", "39码")];
const LIPSTICK: Variants = &[("316", "#316 豆沙色"), ("999", "#999 正红色")];
const EARBUDS: Variants = &[("WHT", "白色"), ("BLK", "黑色")];
const SHEETS: Variants = &[("GRY", "灰色"), ("WHT", "白色")];
const MUG: Variants = &[("BLU", "雾蓝"), ("WHT", "奶白")];
const ROMPER: Variants = &[("66", "66cm"), ("73", "73cm"), ("80", "80cm")];

const NEVER: Excluded = Excluded::Never;
const CUSTOM: Excluded = Excluded::Always(NoReasonExclusion::CustomMade);
const FRESH: Excluded = Excluded::Always(NoReasonExclusion::Perishable);
const DIGITAL: Excluded = Excluded::Always(NoReasonExclusion::DigitalUnsealed);

/// What the demo shop sells: a flagship store with a bit of everything.
#[rustfmt::skip]
const CATALOGUE: &[Product] = &[
    product("TS-COTTON", "纯棉圆领短袖T恤", "服装", 5_900, TEE, NEVER),
    product("DR-FLORAL", "法式碎花连衣裙 夏季新款", "服装", 19_900, DRESS, NEVER),
    product("JK-DOWN", "轻薄羽绒服 90白鸭绒", "服装", 39_900, JACKET, NEVER),
    product("PT-JEANS", "高腰直筒牛仔裤", "服装", 13_900, JEANS, NEVER),
    product("CUS-HOODIE", "定制刻字情侣卫衣", "服装", 16_800, HOODIE, CUSTOM),
    product("SH-RUN", "轻量缓震跑步鞋", "鞋靴", 32_900, RUNNERS, NEVER),
    product("SH-CANVAS", "经典低帮帆布鞋", "鞋靴", 8_900, CANVAS, NEVER),
    product("BT-CHELSEA", "真皮切尔西短靴", "鞋靴", 45_900, BOOTS, NEVER),
    product("MK-LIP", "丝绒哑光口红", "美妆", 13_900, LIPSTICK, Excluded::Confirmed(50)),
    product("SK-SERUM", "玻尿酸保湿精华液 30ml", "美妆", 25_900, ONE, Excluded::Confirmed(40)),
    product("SK-MASK", "补水保湿面膜 10片装", "美妆", 7_900, ONE, Excluded::Confirmed(30)),
    product("SK-SUN", "清爽防晒霜 SPF50+ 50ml", "美妆", 12_900, ONE, Excluded::Confirmed(30)),
    product("FR-LYCHEE", "广东妃子笑荔枝 5斤装 顺丰冷链", "食品生鲜", 8_990, ONE, FRESH),
    product("FR-CHERRY", "智利车厘子 JJ级 2斤装", "食品生鲜", 13_900, ONE, FRESH),
    product("FR-CRAB", "阳澄湖大闸蟹 公4两母3两 8只装", "食品生鲜", 39_800, ONE, FRESH),
    product("SN-NUTS", "每日坚果 30袋礼盒装", "食品生鲜", 11_900, ONE, Excluded::Confirmed(20)),
    product("TEA-LJ", "明前龙井茶 250g 罐装", "食品生鲜", 26_800, ONE, NEVER),
    product("DG-EARBUD", "真无线蓝牙耳机 降噪版", "数码", 29_900, EARBUDS, NEVER),
    product("DG-CHARGER", "65W 氮化镓快充充电器", "数码", 10_900, ONE, NEVER),
    product("DG-PB", "20000mAh 移动电源", "数码", 14_900, ONE, NEVER),
    product("DG-KEY", "Office 家庭和学生版 激活密钥", "数码", 39_800, ONE, DIGITAL),
    product("DG-GAME", "Switch 游戏兑换码", "数码", 29_900, ONE, DIGITAL),
    product("HM-PILLOW", "泰国天然乳胶枕", "家居", 16_900, ONE, NEVER),
    product("HM-SHEET", "60支长绒棉四件套 1.8m床", "家居", 45_900, SHEETS, NEVER),
    product("HM-CURTAIN", "定制尺寸遮光窗帘", "家居", 23_600, ONE, CUSTOM),
    product("HM-MUG", "带盖陶瓷马克杯", "家居", 3_990, MUG, NEVER),
    product("BB-DIAPER", "婴儿纸尿裤 L码 54片", "母婴", 13_900, ONE, Excluded::Confirmed(20)),
    product("BB-BOTTLE", "宽口径玻璃奶瓶 240ml", "母婴", 9_800, ONE, Excluded::Confirmed(30)),
    product("BB-FORMULA", "婴幼儿配方奶粉 3段 800g", "母婴", 29_800, ONE, Excluded::Confirmed(50)),
    product("BB-ROMPER", "纯棉婴儿连体衣 三件装", "母婴", 12_900, ROMPER, NEVER),
];

fn make_line(rng: &mut Rng, product: &Product) -> Line {
    let (sku, title) = match product.variants {
        [] => (product.sku.to_string(), product.name.to_string()),
        variants => {
            let (suffix, label) = *rng.pick(variants);
            (format!("{}-{suffix}", product.sku), format!("{} {label}", product.name))
        }
    };
    let exclusion = match product.excluded {
        Excluded::Never => NoReasonExclusion::None,
        Excluded::Always(exclusion) => exclusion,
        Excluded::Confirmed(percent) if rng.below(100) < percent => NoReasonExclusion::ConfirmedAtPurchase,
        Excluded::Confirmed(_) => NoReasonExclusion::None,
    };
    let quantity = if matches!(product.category, "服装" | "鞋靴" | "数码") {
        rng.weighted(&[(1, 90), (2, 10)])
    } else {
        rng.weighted(&[(1, 70), (2, 22), (3, 8)])
    };
    Line {
        sku,
        name: product.name,
        title,
        category: product.category,
        quantity,
        unit_price_fen: product.price_fen,
        exclusion,
    }
}

pub(super) fn make_orders(rng: &mut Rng, now: DateTime<Utc>, customers: usize, count: usize) -> Vec<DemoOrder> {
    let mut numbers = HashSet::new();
    let mut orders = Vec::with_capacity(count);
    let today = now.with_timezone(&SHOP_ZONE).date_naive();
    let mut regulars: Vec<usize> = Vec::new();
    let mut next_customer = 0;
    while orders.len() < count {
        let order_no = format!("{}{:018}", rng.range(1, 5), rng.range(0, 1_000_000_000_000_000_000));
        if !numbers.insert(order_no.clone()) {
            continue;
        }
        // Paid some day of the last 60, mostly in the day and the evening (local time).
        let hour = rng.weighted(&[
            (0, 2),
            (1, 1),
            (7, 2),
            (8, 3),
            (9, 5),
            (10, 6),
            (11, 6),
            (12, 7),
            (13, 6),
            (14, 5),
            (15, 5),
            (16, 5),
            (17, 5),
            (18, 6),
            (19, 8),
            (20, 10),
            (21, 11),
            (22, 9),
            (23, 5),
        ]);
        let day = today - chrono::Days::new(rng.range(0, 60).unsigned_abs());
        let Some(local) = day.and_hms_opt(
            hour,
            u32::try_from(rng.range(0, 60)).unwrap_or(0),
            u32::try_from(rng.range(0, 60)).unwrap_or(0),
        ) else {
            continue;
        };
        let Some(paid_at) = SHOP_ZONE
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
        else {
            continue;
        };
        let paid_at = if paid_at > now - minutes(20) {
            paid_at - Duration::days(1)
        } else {
            paid_at
        };

        let customer = if !regulars.is_empty() && (next_customer >= customers || rng.chance(0.3)) {
            *rng.pick(&regulars)
        } else {
            next_customer += 1;
            regulars.push(next_customer - 1);
            next_customer - 1
        };

        let line_count = rng.weighted(&[(1, 65), (2, 25), (3, 10)]);
        let mut lines: Vec<Line> = Vec::new();
        while lines.len() < line_count {
            let product = rng.pick(CATALOGUE);
            let line = make_line(rng, product);
            if lines.iter().all(|l| l.sku != line.sku) {
                lines.push(line);
            }
        }
        let virtual_goods = lines.iter().all(|l| l.exclusion == NoReasonExclusion::DigitalUnsealed);
        let perishable = lines.iter().any(|l| l.exclusion == NoReasonExclusion::Perishable);

        let (shipped_at, signed_at) = if virtual_goods {
            // Sent by the system within minutes; the buyer's receipt counts as signing.
            (
                Some(paid_at + minutes(rng.range(1, 5))),
                Some(paid_at + minutes(rng.range(6, 30))),
            )
        } else {
            let never_shipped = rng.chance(0.03);
            let handling = if rng.chance(0.06) {
                rng.range(72 * 60, 144 * 60)
            } else {
                rng.range(3 * 60, 40 * 60)
            };
            let shipped = Some(paid_at + minutes(handling)).filter(|t| !never_shipped && *t < now);
            let transit = if perishable {
                rng.range(18 * 60, 40 * 60)
            } else if rng.chance(0.1) {
                rng.range(4 * 24 * 60, 8 * 24 * 60)
            } else {
                rng.range(24 * 60, 4 * 24 * 60)
            };
            let lost = rng.chance(0.05);
            let signed = shipped.map(|s| s + minutes(transit)).filter(|t| !lost && *t < now);
            (shipped, signed)
        };
        let note = rng.chance(0.12).then(|| rng.pick(ORDER_NOTES).to_string());
        orders.push(DemoOrder {
            order_no,
            customer,
            paid_at,
            shipped_at,
            signed_at,
            note,
            virtual_goods,
            lines,
            ticket_kinds: Vec::new(),
        });
    }
    orders
}
