//! Strings of the reconciliation of the desk's refunds with the platform's refund export.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("reconcile.title", "退款对账", "Refund reconciliation"),
    ("reconcile.nav", "退款对账", "Reconciliation"),
    (
        "reconcile.hint",
        "把导入的平台退款报表和工作台里的退款决定对一遍：平台退了而工作台没有决定的、工作台同意了平台还没退的、两边金额不一致的。",
        "The imported refund export set beside the desk's decisions: refunds the platform made that the desk never decided, refunds the desk approved that the platform has not paid, and amounts that differ.",
    ),
    (
        "reconcile.summary",
        "{from} 至 {to} 平台报表中有 {rows} 条退款申请；最近一次导入：{at}。",
        "Refunds applied for from {from} to {to} in the platform's export: {rows}; last imported {at}.",
    ),
    (
        "reconcile.never_imported",
        "还没有导入过平台退款报表：请先在“导入”页导入，再来对账。",
        "No refund export has been imported yet: import one on the Import page first.",
    ),
    (
        "reconcile.platform_only",
        "平台已退款，工作台没有决定",
        "Refunded by the platform, no decision in the desk",
    ),
    (
        "reconcile.platform_only_hint",
        "可能是平台的智能退款、超时自动退款，或有人直接在千牛里处理了。",
        "The platform's automated refunds, a timeout, or someone working in the seller centre directly.",
    ),
    (
        "reconcile.desk_only",
        "工作台已同意，平台还没退款",
        "Approved in the desk, not paid by the platform",
    ),
    (
        "reconcile.desk_only_hint",
        "按导入的报表，平台还没有对这些订单退款成功；请在千牛核对。",
        "By the imported export the platform has not completed these refunds; check them in the seller centre.",
    ),
    ("reconcile.amounts_differ", "金额不一致", "Amounts that differ"),
    ("reconcile.nothing", "没有。", "None."),
    ("reconcile.refund_no", "退款编号", "Refund number"),
    ("reconcile.amount", "退款金额", "Amount"),
    ("reconcile.platform_status", "平台退款状态", "Platform status"),
    ("reconcile.platform_none", "报表中没有", "Not in the export"),
    ("reconcile.applied_at", "申请时间", "Applied"),
    (
        "reconcile.decided_by",
        "方式 / 智能退款策略 / 执行方案",
        "How / automation / plan",
    ),
    ("reconcile.people", "审核人 / 退款操作人", "Reviewed / paid by"),
    ("reconcile.ticket", "工单", "Ticket"),
    ("reconcile.approved", "同意金额", "Agreed"),
    ("reconcile.refunded", "已退金额", "Refunded"),
    ("reconcile.desk_amount", "工作台金额", "Desk"),
    ("reconcile.platform_amount", "平台金额", "Platform"),
    ("reconcile.difference", "差额", "Difference"),
    ("reports.costs.title", "售后成本", "After-sales cost"),
    (
        "reports.costs.note",
        "按发生时间统计：退款按退款成功的时间（同一工单再次退款只计多退的部分），补偿按记账时间（冲正在冲正时扣回，收款抵减），补发按发货时间，拦截费按申请时间。",
        "Each by when it happened: refunds when paid (a ticket refunded again counts what it added), compensation when booked (a reversal counted back when made, collections subtracted), reships when sent, intercept fees when asked.",
    ),
    ("reports.costs.refunds", "退款", "Refunds"),
    ("reports.costs.compensation", "补偿（净额）", "Compensation (net)"),
    (
        "reports.costs.postage",
        "运费（补偿与拦截费）",
        "Postage (paid back, intercept fees)",
    ),
    ("reports.costs.reships", "补发成本", "Reships"),
    ("reports.costs.total", "合计", "Total"),
    ("reports.costs.no_line", "（未指定商品）", "(no item)"),
    (
        "reports.costs.others",
        "其余 {n} 个商品（明细见 CSV）",
        "{n} other SKUs (each in the CSV)",
    ),
];
