//! Strings of the in-desk notices and of escalation as a hand-over.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("notice.nav", "通知", "Notices"),
    ("notice.title", "通知", "Notices"),
    ("notice.read_all", "全部标为已读", "Mark all read"),
    ("notice.none", "没有通知。", "No notices."),
    ("notice.new", "新", "new"),
    ("notice.now", "现在：", "now:"),
    (
        "notice.assigned_to_you",
        "{who} 把工单 {ticket} 分配给了你",
        "{who} assigned ticket {ticket} to you",
    ),
    (
        "notice.visit_not_satisfied",
        "工单 {ticket} 的买家在回访中表示不满意（{who} 记录）",
        "The buyer of ticket {ticket} is not satisfied at the return visit (recorded by {who})",
    ),
    (
        "notice.escalated_to_you",
        "{who} 把工单 {ticket} 升级给了你",
        "{who} escalated ticket {ticket} to you",
    ),
    (
        "notice.handed_back",
        "{who} 把工单 {ticket} 交回给你",
        "{who} handed ticket {ticket} back to you",
    ),
    ("audit.ticket.escalated", "升级工单", "Ticket escalated"),
    ("audit.ticket.handed_back", "交回工单", "Ticket handed back"),
    (
        "ticket.invalid.hand_back_note",
        "交回工单时请写一句说明（处理结果或下一步），会一并通知原处理人。",
        "Say in a note what was decided or what to do next when handing the ticket back; it goes to whoever escalated it.",
    ),
    ("ticket.escalated_to", "已升级给 {name}", "escalated to {name}"),
    (
        "ticket.held_position",
        "{status}（原：{from}）",
        "{status} (from: {from})",
    ),
];
