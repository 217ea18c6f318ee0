//! Words: what buyers and agents write on a demo ticket — the description a ticket opens with,
//! follow-up summaries that fit the ticket's status, and the note a move sometimes carries.

use crate::fixtures::random::Rng;
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::{Status, TicketKind};
use crate::tickets::model::Channel;

/// What a ticket is about, for its description.
pub(super) struct Subject<'a> {
    pub(super) item: &'a str,
    pub(super) category: &'a str,
    /// Whether the buyer had the goods when the ticket was opened.
    pub(super) received: bool,
}

pub(super) fn describe(rng: &mut Rng, reason: ReasonCode, subject: &Subject<'_>) -> String {
    use ReasonCode::*;
    let templates: &[&str] = match reason {
        NoReason if !subject.received => &[
            "不想要了，申请退款",
            "暂时用不上了，麻烦取消订单退款",
            "在别家买到了，这单不要了",
        ],
        NoReason if matches!(subject.category, "服装" | "鞋靴") => &[
            "上身效果不太喜欢，吊牌未剪，想退",
            "买多了，{item}没穿过，吊牌和包装都在",
            "颜色和想象的不一样，不想要了，吊牌完好",
        ],
        NoReason => &[
            "不想要了，商品未拆封，申请七天无理由退货",
            "家里人已经买了同款，{item}全新未使用",
            "冲动消费了，{item}包装完好，麻烦处理一下",
        ],
        Misorder => &[
            "拍错颜色了，{item}想退掉重拍",
            "不小心拍了两份，{item}多拍了",
            "尺码拍错了，麻烦处理",
        ],
        Agreed => &["与客服协商一致，{item}部分退款", "客服同意补偿差价，按约定退款"],
        ShippingFee => &["退货运费我先垫付了，申请退运费", "运费险没有理赔成功，申请退运费"],
        LateShipment => &[
            "下单好几天了还没发货，说好48小时内发货的",
            "一直显示待发货，着急用，催了好几次都没发",
        ],
        OutOfStock => &["客服说{item}缺货，要等半个月，申请退款", "商家通知{item}断货，申请退款"],
        LogisticsStuck => &[
            "物流三天没更新了，一直卡在中转站",
            "显示派送中两天了还没收到",
            "快递停在转运中心好几天不动了，麻烦催一下",
        ],
        LogisticsNoTrace => &["单号查不到任何物流信息", "说是发货了，但是一直没有揽收记录"],
        EmptyParcel => &["收到的是空盒子，外包装有二次封口痕迹", "包裹里只有填充物，没有{item}"],
        DamagedRefused => &["快递外箱压坏了，当场拒签", "到货时箱子湿透了，已拒收"],
        Damaged => &[
            "收到时外包装破损，{item}有划痕",
            "{item}到货就坏了，盒子被压扁",
            "包装破了，{item}有污渍",
        ],
        MissingParts => &["订单两件只收到一件", "{item}缺少配件，说明书和赠品都没有"],
        WrongItem => &[
            "收到的颜色和拍的不一样",
            "发错货了，我买的是{item}，收到的是别的款",
            "尺码发错，拍的大码收到小码",
        ],
        NotAsDescribed => &[
            "实物颜色和图片差距很大",
            "{item}材质和详情页写的不一样",
            "尺码偏小两码，与尺码表不符",
        ],
        AdverseReaction => &["用了{item}脸上过敏起红疹", "涂完{item}皮肤刺痛发红"],
        Counterfeit => &[
            "怀疑{item}不是正品，防伪码查询不到",
            "和专柜买的对比明显不一样，怀疑假货",
        ],
        Invoice => &["要开增值税专用发票，客服一直没回复", "发票抬头开错了，需要重开"],
        ServiceAttitude => &["客服回复很慢，态度也不好", "问了三次都没人理，体验很差"],
        SlowDelivery => &["{item}一个星期才到，物流太慢了", "快递走了五天，比说好的慢很多"],
        OutcomeUnsatisfied => &["退款金额和说好的不一样", "换回来的{item}还是有问题"],
        Other => &[
            "想修改收货地址，请帮忙拦截快递",
            "买家要求改派到驿站",
            "包裹需要转寄到公司地址",
        ],
        Quality => match subject.category {
            "服装" => &[
                "{item}穿了一次就开线了",
                "洗了一次严重褪色，还串色",
                "做工粗糙，线头很多，还有污渍",
            ],
            "鞋靴" => &["{item}穿了一周鞋底开胶", "鞋面有褶皱和胶水印，左右脚颜色不一样"],
            "美妆" => &["{item}有异味，怀疑变质", "包装漏液，瓶身有裂痕"],
            "食品生鲜" => &["{item}到货时一部分已经坏了，发霉发黑", "收到的{item}不新鲜，有异味"],
            "数码" => &[
                "{item}用了两天就无法充电",
                "{item}左耳没有声音",
                "{item}频繁断连，重置也没用",
            ],
            "家居" => &["{item}有明显色差和线头", "{item}有裂纹，一用就漏水"],
            _ => &["{item}有异味", "{item}做工粗糙，有毛刺"],
        },
    };
    rng.pick(templates).replace("{item}", subject.item)
}

/// A follow-up's channel and summary, fitting the status the ticket is in.
pub(super) fn follow_up_text(rng: &mut Rng, kind: TicketKind, status: Status) -> (Channel, String) {
    use Status::*;
    let specific: &[(Channel, &str)] = match (kind, status) {
        (_, Requested) => &[
            (Channel::Chat, "已旺旺联系买家核实情况，请其补充照片凭证"),
            (Channel::Check, "买家已上传照片，核实订单与商品信息"),
            (Channel::Phone, "电话联系买家确认诉求，买家希望尽快处理"),
        ],
        (TicketKind::Refund, Approved) => &[
            (Channel::Check, "已提交财务，等待退款到账"),
            (Channel::Chat, "告知买家退款将原路退回"),
        ],
        (_, Approved) => &[
            (Channel::Chat, "已发送退货地址给买家，提醒填写退货单号"),
            (Channel::Sms, "短信提醒买家7天内寄回商品"),
        ],
        (_, BuyerShipped) => &[
            (Channel::Check, "买家已填写退货单号，物流显示运输中"),
            (Channel::Carrier, "联系快递确认退货件预计明天到仓"),
        ],
        (_, Received) => &[
            (Channel::Warehouse, "仓库已签收退货，等待验货"),
            (Channel::Warehouse, "仓库验货中，预计今天出结果"),
        ],
        (_, InspectionFailed) => &[
            (Channel::Warehouse, "验货发现吊牌已剪、有使用痕迹，已拍照留证"),
            (Channel::Chat, "把验货照片发给买家，买家对结果有异议"),
        ],
        (_, Refunded) => &[(Channel::Chat, "退款已原路退回，买家确认收到")],
        (_, ReplacementShipped) => &[(Channel::Chat, "换货已寄出，已把新单号告知买家")],
        (_, Open) if kind == TicketKind::Logistics => &[
            (Channel::Carrier, "已在快递系统登记查件"),
            (Channel::Chat, "安抚买家，说明已联系快递核查"),
        ],
        (_, Open | Investigating) => &[
            (Channel::Warehouse, "已向仓库调取发货记录和打包视频"),
            (Channel::Phone, "电话安抚买家，承诺48小时内给出方案"),
            (Channel::Check, "核对了同批次商品，暂未发现同类问题"),
        ],
        (_, ResolutionProposed) => &[
            (Channel::Chat, "向买家提出补偿20元无门槛券的方案，等待回复"),
            (Channel::Phone, "电话沟通补偿方案，买家考虑中"),
        ],
        (_, CarrierContacted) => &[
            (Channel::Carrier, "快递网点答复今天安排派送"),
            (Channel::Carrier, "快递称包裹可能遗失，已申请理赔"),
            (Channel::Chat, "把快递的答复转告买家"),
        ],
        (_, Escalated) => &[
            (Channel::Check, "已提交主管审批，等待答复"),
            (Channel::Chat, "告知买家已升级处理，请耐心等待"),
        ],
        (_, PlatformIntervention) => &[
            (Channel::Platform, "已向平台上传聊天记录和发货凭证"),
            (Channel::Platform, "平台小二要求补充验货视频，已上传"),
        ],
        _ => &[],
    };
    const GENERIC: &[(Channel, &str)] = &[
        (Channel::Chat, "已旺旺联系买家，说明当前处理进度"),
        (Channel::Phone, "电话联系买家未接通，已短信留言"),
        (Channel::Sms, "短信提醒买家查看旺旺消息"),
    ];
    let (channel, text) = if specific.is_empty() || rng.chance(0.2) {
        *rng.pick(GENERIC)
    } else {
        *rng.pick(specific)
    };
    (channel, text.to_string())
}

pub(super) fn transition_note(rng: &mut Rng, kind: TicketKind, from: Status, to: Status) -> Option<String> {
    use Status::*;
    if rng.chance(0.35) {
        return None;
    }
    let notes: &[&str] = match (from, to) {
        (_, PlatformIntervention) => &["买家申请平台介入", "协商未达成一致，买家申请小二介入"],
        (Escalated, _) => &["主管已批准，按原流程继续处理", "主管同意补偿方案，继续处理"],
        (PlatformIntervention, _) => &["平台判定：支持买家，继续处理", "平台判定：买家撤销介入申请"],
        (_, Escalated) => &["买家要求的赔偿超出权限，升级主管", "买家多次投诉，升级主管处理"],
        (_, Approved) => &["核实无误，同意申请", "符合退换货条件，同意"],
        (InspectionFailed, Rejected) => &["验货不通过，不予退款", "商品有明显使用痕迹，不支持退款"],
        (_, Rejected) => &["买家未能提供有效凭证，驳回申请", "与买家协商后，买家同意撤销申请"],
        (_, Refunded) => &["已原路退款"],
        (_, BuyerShipped) => &["买家已寄回，已登记退货单号"],
        (_, Received) => &["仓库已签收退货"],
        (_, InspectionFailed) => &["验货不通过：吊牌已剪，有明显使用痕迹"],
        (_, ReplacementShipped) => &["新货已寄出"],
        (ResolutionProposed, Investigating) => &["买家不接受方案，重新核查"],
        (_, Investigating) => &["开始核查"],
        (_, ResolutionProposed) => &["提出补偿方案"],
        (_, CarrierContacted) => &["已联系快递网点"],
        (_, Resolved) if kind == TicketKind::Logistics => &["快递问题已处理完毕"],
        (_, Resolved) => &["买家接受处理方案"],
        (_, Closed) => &["买家确认，工单关闭", "处理完毕，关闭工单"],
        _ => &[],
    };
    (!notes.is_empty()).then(|| rng.pick(notes).to_string())
}
