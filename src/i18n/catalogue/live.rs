//! Strings of the live desk: presence on a ticket, the quiet "changed" hints of the lists and
//! the ticket page, and the notices' settings.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("live.separator", "、", ", "),
    ("live.typing", "{names} 正在输入…", "{names} typing…"),
    ("live.viewing", "{names} 也在查看", "{names} also viewing"),
    ("live.row_viewing", "{names} 在看", "{names} viewing"),
    ("live.row_typing", "{names} 在写", "{names} writing"),
    ("live.list_new", "有 {n} 项新变化 — 显示", "{n} new changes — show"),
    ("live.list_gone", "已变化", "changed"),
    (
        "live.offline",
        "实时更新已断开，每 30 秒自动刷新一次。",
        "Live updates are off; refreshing every 30 seconds.",
    ),
    (
        "live.session_expired",
        "登录已过期，请重新登录（填写的内容已保存在本机）。",
        "Your session has expired. Sign in again (what you typed is kept on this computer).",
    ),
    ("live.sign_in_again", "重新登录", "Sign in again"),
    (
        "live.ticket_changed",
        "你打开此页后，这个工单有了变化：",
        "This ticket changed since you opened it:",
    ),
    (
        "live.reload_keeps_typed",
        "刷新查看（已填写的内容会保留）",
        "Reload to see it (what you typed is kept)",
    ),
    ("live.changed_mark", "新", "new"),
    ("notice.settings", "通知设置", "Notice settings"),
    (
        "notice.settings_hint",
        "勾选的通知会出现在这里和右上角的数字中。",
        "Ticked notices appear here and in the count at the top right.",
    ),
    ("notice.settings_save", "保存设置", "Save settings"),
    ("notice.settings_saved", "通知设置已保存。", "Notice settings saved."),
    (
        "notice.kind.assigned_to_you",
        "别人把工单分配给我",
        "A ticket is assigned to me by someone else",
    ),
    (
        "notice.kind.escalated_to_you",
        "工单升级给我",
        "A ticket is escalated to me",
    ),
    (
        "notice.kind.handed_back",
        "升级的工单交还给我",
        "An escalated ticket is handed back to me",
    ),
    (
        "notice.kind.visit_not_satisfied",
        "回访时买家不满意",
        "A buyer is not satisfied at the return visit",
    ),
    (
        "notice.kind.follow_up_due",
        "一小时内需要跟进",
        "A follow-up is due within the hour",
    ),
    (
        "notice.kind.timer_expiring",
        "平台计时两小时内到期",
        "A platform clock runs out within two hours",
    ),
    ("notice.kind.return_visit_due", "回访到期", "A return visit is due"),
    (
        "notice.kind.daily_digest",
        "每日汇总（主管：各人超时跟进与风险金额）",
        "The daily digest (supervisors: overdue follow-ups per person, money at risk)",
    ),
    (
        "notice.return_visit_due",
        "工单 {ticket} 到了回访的时间",
        "Ticket {ticket} is due for its return visit",
    ),
];
