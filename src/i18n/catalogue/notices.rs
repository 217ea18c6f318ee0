//! Strings of the in-desk notices, of escalation as a hand-over, and of the warning that an
//! order already has open tickets.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("notice.nav", "通知", "Notices"),
    ("notice.title", "通知", "Notices"),
    ("notice.read_all", "全部标为已读", "Mark all read"),
    ("notice.none", "没有通知。", "No notices."),
    ("notice.new", "新", "new"),
    ("notice.now", "现在：", "now:"),
    (
        "notice.follow_up_due",
        "工单 {ticket} 一小时内需要跟进",
        "Ticket {ticket} is due for its follow-up within the hour",
    ),
    (
        "notice.timer_expiring",
        "工单 {ticket} 的平台计时两小时内到期",
        "A platform clock on ticket {ticket} runs out within two hours",
    ),
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
    (
        "new.open_on_order",
        "这个订单已有未结的工单",
        "This order already has open tickets",
    ),
    ("new.add_to_it", "在该工单上跟进", "Follow up there"),
    (
        "new.open_on_order_hint",
        "同一问题请在原工单上跟进，避免两个人重复处理同一个买家；确是另一件事再新建。",
        "If it is the same problem, follow it up on that ticket so two people do not work the same buyer twice; open a new one only for another matter.",
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
