//! Strings of the steps where money moves or a request is refused: the move forms that need
//! details (amount, reason), their refusals, and how the timeline shows them.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("move.details_hint", "填写后提交", "Fill in, then submit"),
    ("move.submit", "确认{move}", "Confirm: {move}"),
    ("rejection.reason", "拒绝原因", "Reason for refusing"),
    ("move.note_required", "说明（必填）", "Note (required)"),
    ("rejection.choose", "请选择拒绝原因", "Choose a reason"),
    (
        "rejection.outside_no_reason_window",
        "已超七天无理由期限",
        "The no-reason return period is over",
    ),
    (
        "rejection.resale_affected",
        "商品已影响二次销售",
        "The goods can no longer be resold",
    ),
    ("rejection.missing_evidence", "缺少凭证", "No proof provided"),
    (
        "rejection.received_intact",
        "买家已签收商品完好",
        "The buyer signed for the goods intact",
    ),
    (
        "rejection.returned_goods_mismatch",
        "退回商品与发出商品不符",
        "The goods sent back are not those sent",
    ),
    (
        "rejection.agreed_with_buyer",
        "与买家协商一致取消",
        "Withdrawn by agreement with the buyer",
    ),
    ("rejection.other", "其他", "Other"),
    (
        "ticket.invalid.rejection_reason_missing",
        "拒绝前请选择拒绝原因。",
        "Choose the reason for refusing first.",
    ),
    (
        "ticket.invalid.rejection_reason_unknown",
        "拒绝原因“{reason}”不在列表中，请从列表中选择。",
        "“{reason}” is not one of the reasons for refusing; choose one from the list.",
    ),
    (
        "ticket.invalid.rejection_reason_unfit",
        "拒绝原因“{reason}”不适用于这张工单当前的状态，请另选。",
        "The reason “{reason}” does not fit this ticket as it stands; choose another.",
    ),
    (
        "ticket.invalid.move_note_missing",
        "请写明说明（此操作必须填写）。",
        "Say what happened: this move needs a note.",
    ),
    (
        "ticket.invalid.detail_not_for_move",
        "“{field}”不适用于此操作（{to}）。",
        "“{field}” does not go with this move ({to}).",
    ),
    (
        "ticket.invalid.refund_not_positive",
        "退款金额须大于 0。",
        "A refund must be more than ¥0.00.",
    ),
    (
        "ticket.invalid.refund_above_paid",
        "退款金额不能超过买家实付金额 {limit}。",
        "A refund cannot be more than the buyer paid: {limit}.",
    ),
    (
        "ticket.invalid.refund_amount_missing",
        "无法得知买家实付金额，请填写退款金额。",
        "What the buyer paid is not known: enter the refund amount.",
    ),
    (
        "ticket.invalid.refund_amount_format",
        "请按元填写金额，例如 50 或 49.90。",
        "Enter the amount in yuan, e.g. 50 or 49.90.",
    ),
    ("refund.amount", "退款金额（元）", "Refund amount (yuan)"),
    (
        "refund.limit",
        "买家实付 {paid}，最多可退 {paid}。",
        "The buyer paid {paid}: at most {paid} can be refunded.",
    ),
    (
        "refund.confirm_approve",
        "确认同意退款 ¥{amount}？",
        "Agree to refund ¥{amount}?",
    ),
    (
        "refund.confirm_refund",
        "确认已向买家退款 ¥{amount}？",
        "Confirm ¥{amount} was refunded to the buyer?",
    ),
    (
        "timeline.refund_approved",
        "同意退款 {amount}",
        "refund agreed: {amount}",
    ),
    ("timeline.refund_paid", "退款 {amount}", "refunded: {amount}"),
    ("ticket.approved_refund", "同意退款金额", "Refund agreed"),
    ("ticket.refunded", "实际退款金额", "Amount refunded"),
    (
        "timeline.rejection_reason",
        "拒绝原因：{reason}",
        "Reason for refusing: {reason}",
    ),
    ("ticket.rejection", "拒绝原因", "Refused because"),
];
