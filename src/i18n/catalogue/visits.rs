//! Strings of return visits (回访) and satisfaction.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("visit.nav", "回访", "Visits"),
    ("visit.title", "回访", "Return visit"),
    ("visit.page_title", "待回访", "Return visits due"),
    (
        "visit.page_hint",
        "工单处理完毕后询问买家问题是否已解决，在工单页记录结果。买家不满意时：处理完毕的工单重新打开；已关闭的工单新开一张关联的投诉工单（同一订单，指派给原处理人）。",
        "Once a ticket is done, ask the buyer whether the problem is solved and record the answer on the ticket. Not satisfied reopens a done ticket; on a closed ticket it opens a linked complaint ticket (same order, assigned to the original agent).",
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
        "选“不满意”会重新打开本工单继续处理。",
        "Not satisfied reopens this ticket to be worked again.",
    ),
    (
        "visit.not_satisfied_hint_closed",
        "本工单已关闭：选“不满意”会新开一张关联的投诉工单（同一订单，原因“对处理结果不满意”，指派给原处理人），买家反馈作为描述。",
        "This ticket is closed: not satisfied opens a linked complaint ticket (same order, reason \"not satisfied with the outcome\", assigned to the original agent) with the buyer's words as its description.",
    ),
    ("visit.follow_up_opened", "已新开关联工单", "Follow-up ticket opened:"),
    (
        "visit.follow_up_of",
        "回访不满意新开的工单，原工单",
        "Opened after a not-satisfied return visit of ticket",
    ),
    (
        "visit.timeline_opened",
        "，已新开关联工单 #{id}",
        "; follow-up ticket #{id} opened",
    ),
    (
        "visit.timeline_opened_from",
        "（原工单 #{id} 回访不满意）",
        " (return visit of #{id}: not satisfied)",
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
