//! What the ticket actions and the pages' forms refuse, said to the person: the field messages
//! of `tickets::TicketError` (`ticket.invalid.*`) and of the forms of the ticket pages, the
//! follow-up queue and the reply library (`form.*`). The JSON API gives the English text after
//! the field's name.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    (
        "ticket.invalid.empty",
        "请填写内容，不能只有空格。",
        "Write something here; spaces alone are not enough.",
    ),
    (
        "ticket.invalid.too_long",
        "内容过长，最多 {max} 个字。",
        "Too long: at most {max} characters.",
    ),
    (
        "ticket.invalid.order_no_missing",
        "请填写平台订单编号。",
        "Give the marketplace order number.",
    ),
    (
        "ticket.invalid.order_unknown",
        "店铺 {shop} 没有订单 {order_no}，请先导入该订单（或通过 PUT /api/v1/shops/{shop}/orders/{order_no} 发送）。",
        "Shop {shop} has no order `{order_no}`; send it first with PUT /api/v1/shops/{shop}/orders/{order_no}.",
    ),
    (
        "ticket.invalid.sku_unknown",
        "订单 {order_no} 中没有商品 {sku}，该订单的 SKU：{skus}。",
        "Order {order_no} has no line `{sku}`; its SKUs: {skus}.",
    ),
    (
        "ticket.invalid.refund_negative",
        "退款金额不能为负数。",
        "A refund cannot be negative.",
    ),
    (
        "ticket.invalid.amount_range",
        "退款金额须在 ¥0.00 至 {max} 之间（0 至 {max_fen} 分）。",
        "The refund must be between ¥0.00 and {max} (0 to {max_fen} fen).",
    ),
    (
        "ticket.invalid.refund_above_total",
        "退款金额（{refund}）超过了订单金额（{total}），请核对后重新填写。",
        "The refund ({refund}) is more than the order's total ({total}); check it and try again.",
    ),
    (
        "ticket.invalid.year_range",
        "{year} 年不在可接受的年份范围内（{min}–{max}）。",
        "The year {year} is outside the years accepted ({min}–{max}).",
    ),
    (
        "ticket.invalid.opened_in_future",
        "申请时间不能晚于现在（此项仅用于导入历史记录）。",
        "The opening time must not lie in the future (it is for importing history).",
    ),
    (
        "ticket.invalid.review_not_bad_review",
        "只有差评工单才填写评价星级和评价内容。",
        "A review belongs to a bad-review ticket only.",
    ),
    (
        "ticket.invalid.review_stars_range",
        "评价星级须为 1 至 5 星。",
        "Give the review's stars, 1 to 5.",
    ),
    (
        "ticket.invalid.review_stars_missing",
        "差评工单需要选择买家给出的星级（1–5 星）。",
        "A bad-review ticket needs the review's stars (1–5).",
    ),
    (
        "ticket.invalid.assignee_not_worker",
        "用户 {user} 不是本店的客服或主管。",
        "User {user} is not an agent or supervisor of this shop.",
    ),
    (
        "ticket.invalid.reply_unknown",
        "话术库中没有这条快捷短语（编号 {reply}，可能已归档），请从列表中重新选择。",
        "The shop's library has no reply {reply} (archived?); pick one from the list again.",
    ),
    ("form.choose_kind", "请选择工单类型。", "Choose a kind."),
    ("form.choose_reason", "请选择售后原因。", "Choose a reason."),
    ("form.choose_stars", "请选择评价星级。", "Choose the review's stars."),
    (
        "form.choose_channel",
        "请选择联系买家的方式。",
        "Choose how the buyer was reached.",
    ),
    (
        "form.pick_reply_again",
        "请从列表中重新选择快捷短语。",
        "Pick the reply from the list again.",
    ),
    (
        "form.choose_move",
        "请选择页面上提供的操作。",
        "Choose one of the offered moves.",
    ),
    (
        "form.choose_person",
        "请从列表中选择处理人。",
        "Choose a person from the list.",
    ),
    (
        "form.choose_satisfied",
        "请选择买家满意或不满意。",
        "Choose satisfied or not satisfied.",
    ),
    (
        "form.tick_tickets",
        "请先在列表中勾选至少一个工单。",
        "Tick at least one ticket in the list first.",
    ),
    (
        "form.tick_from_list",
        "请在列表中勾选工单。",
        "Tick the tickets in the list.",
    ),
    (
        "form.bad_page_link",
        "翻页链接无效，请回到列表第一页重新翻页。",
        "That page link is not valid; go back to the first page of the list and page on from there.",
    ),
    (
        "form.choose_situation",
        "请选择这条快捷短语的适用场景。",
        "Choose the situation the reply is for.",
    ),
];
