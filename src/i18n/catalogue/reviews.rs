//! Strings of bad reviews (中差评): their clocks, the review's posting time, what opening one
//! refuses, and the new-ticket form's choice of kind.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    // The two clocks, beside the platform's timers on the ticket page.
    (
        "review.timer.buyer_revise",
        "买家可修改评价",
        "Buyer may revise the review",
    ),
    (
        "review.timer.buyer_revise_timeout",
        "逾期买家不能再修改或删除该评价",
        "After this the buyer can no longer change or delete the review",
    ),
    (
        "review.timer.seller_explain",
        "商家发布解释",
        "Shop posts its explanation",
    ),
    (
        "review.timer.seller_explain_timeout",
        "逾期不能再在评价下发布解释",
        "After this no explanation can be posted under the review",
    ),
    ("review.posted_at", "评价时间", "Review posted"),
    ("review.timers_title", "评价时限", "Review deadlines"),
    // The new-ticket form.
    ("review.new.posted_at", "评价时间", "Review posted at"),
    (
        "review.new.posted_at_hint",
        "买家发表评价的时间（店铺所在时区）；修改期和解释期都从这时起算。留空即为现在。",
        "When the buyer posted the review (the shop's time); the revision window and the explanation deadline count from it. Empty: now.",
    ),
    (
        "new.kind_first_hint",
        "可以在查找订单时先选好工单类型：表单只显示该类型要填的内容和适用的原因。",
        "Choose the kind when looking up the order: the form then shows only that kind's fields and the reasons that fit it.",
    ),
    // What opening a ticket refuses (next to the field on the page; the API answers the English).
    (
        "review.invalid.no_money_on_bad_review",
        "中差评工单处理的是评价，不涉及退款，不能填写金额。",
        "A bad-review ticket is about a review, not money: it takes no amount.",
    ),
    (
        "review.invalid.posted_in_future",
        "评价时间不能晚于现在。",
        "The review cannot have been posted in the future.",
    ),
    (
        "review.invalid.posted_at_format",
        "无法识别时间“{value}”，请按 年-月-日 时:分 填写。",
        "`{value}` is not a time: give the date and time, e.g. 2026-06-15 09:30.",
    ),
    (
        "review.invalid.reason_for_kind",
        "原因“{reason}”不适用于这类工单（{kind}）；可选的原因：{allowed}",
        "The reason `{reason}` does not fit a `{kind}` ticket; the reasons that do: {allowed}",
    ),
];
