//! Strings of the buyer's file (客户档案): orders, tickets and the repeat-returner signal.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("buyer.title", "客户档案", "Buyer's file"),
    ("buyer.open_file", "查看完整档案", "Open the full file"),
    ("buyer.back_to_ticket", "返回工单", "Back to the ticket"),
    ("buyer.orders", "订单数", "Orders"),
    ("buyer.tickets", "售后工单", "After-sales tickets"),
    ("buyer.return_requests", "退换货申请", "Return and exchange requests"),
    ("buyer.refunds", "已退款", "Refunded"),
    ("buyer.repeat_returner", "频繁退货", "Repeat returner"),
    (
        "buyer.flag_text",
        "近 {days} 天内有 {n} 次退货/退款申请。",
        "{n} return or refund requests in the last {days} days.",
    ),
    (
        "buyer.flag_is_a_signal",
        "仅供参考，不能据此拒绝：七天无理由退货的权利不受影响。",
        "A signal only, never a reason to refuse: the seven-day right stands.",
    ),
    ("buyer.this_ticket", "（本工单）", "(this ticket)"),
    ("buyer.was_refunded", "曾退款", "refunded"),
    ("buyer.items", "商品", "Items"),
    ("buyer.total", "金额", "Total"),
    ("buyer.paid_at", "付款时间", "Paid"),
];
