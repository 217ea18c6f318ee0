//! Strings of return visits (回访) and satisfaction.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("visit.nav", "回访", "Return visits"),
    ("visit.title", "回访", "Return visit"),
    ("visit.page_title", "待回访", "Return visits due"),
    (
        "visit.page_hint",
        "工单处理完毕后询问买家问题是否已解决；在工单页记录结果，不满意会重新打开工单。",
        "Once a ticket is done, ask the buyer whether the problem is solved; record the answer on the ticket — not satisfied reopens it.",
    ),
    ("visit.none_waiting", "没有待回访的工单。", "No return visit is due."),
    ("visit.ticket", "工单", "Ticket"),
    ("visit.due", "回访期限", "Due"),
    (
        "visit.ask",
        "请联系买家，确认问题是否已经解决。",
        "Contact the buyer and ask whether the problem is solved.",
    ),
    ("visit.comment", "买家反馈", "What the buyer said"),
    ("visit.satisfied", "满意", "Satisfied"),
    ("visit.not_satisfied", "不满意", "Not satisfied"),
    (
        "visit.not_satisfied_hint",
        "选“不满意”会把工单重新打开继续处理（已关闭的工单只记录结果）。",
        "Not satisfied reopens the ticket (a closed ticket only records the answer).",
    ),
    ("visit.answer_satisfied", "买家满意", "buyer satisfied"),
    ("visit.answer_not_satisfied", "买家不满意", "buyer not satisfied"),
    ("visit.reopened", "已重新打开工单", "ticket reopened"),
    ("visit.satisfaction_title", "近30天满意度", "Satisfaction, last 30 days"),
    ("visit.answered", "已回访", "Answered"),
    ("visit.rate", "满意率", "Satisfaction"),
    ("visit.waiting", "待回访", "Waiting"),
    (
        "timeline.visit_satisfied",
        "回访：买家满意",
        "return visit: buyer satisfied",
    ),
    (
        "timeline.visit_not_satisfied",
        "回访：买家不满意",
        "return visit: buyer not satisfied",
    ),
    ("flash.visit_saved", "回访结果已记录", "Return visit recorded"),
    (
        "error.code.no_return_visit",
        "工单还在处理中：处理完毕（已解决、已退款或换新已发出）后才能回访。",
        "The ticket is still being worked: a return visit comes once it is resolved, refunded or the replacement shipped.",
    ),
    // What it refuses (next to the field on the page; the API answers the English text).
    (
        "visits.error.comment_too_long",
        "备注最多 {max} 个字",
        "At most {max} characters.",
    ),
    (
        "visits.error.not_done",
        "工单仍在处理中（状态 `{status}`）：处理完毕、已退款或已寄出换货后才进行回访",
        "The ticket is still being worked (status `{status}`): a return visit is asked once it is resolved, refunded or the replacement shipped.",
    ),
];
