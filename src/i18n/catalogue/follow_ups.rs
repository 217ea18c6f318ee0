//! Strings of the supervisor's follow-up queue.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("follow_ups.title", "跟进监控", "Follow-up monitor"),
    (
        "follow_ups.rule",
        "每个未结工单每 24 小时至少跟进一次",
        "Every open ticket is followed up at least every 24 hours",
    ),
    (
        "follow_ups.by_agent",
        "客服负载与跟进及时率",
        "Load and follow-up compliance per agent",
    ),
    ("follow_ups.agent", "客服", "Agent"),
    ("follow_ups.all_agents", "全部客服", "All agents"),
    ("follow_ups.open", "未结", "Open"),
    ("follow_ups.overdue", "已超时", "Overdue"),
    ("follow_ups.due_soon", "即将超时", "Due soon"),
    ("follow_ups.compliance_today", "今日及时率", "In time today"),
    ("follow_ups.compliance_7d", "近 7 天及时率", "In time, 7 days"),
    ("follow_ups.no_cycles", "—", "—"),
    ("follow_ups.tab_overdue", "已超时", "Overdue"),
    ("follow_ups.tab_due_soon", "即将超时", "Due soon"),
    ("follow_ups.window", "时间范围", "Window"),
    ("follow_ups.within", "{hours} 小时内", "within {hours} h"),
    ("follow_ups.overdue_heading", "超时未跟进（{n}）", "Overdue ({n})"),
    (
        "follow_ups.soon_heading",
        "{hours} 小时内到期（{n}）",
        "Due within {hours} h ({n})",
    ),
    (
        "follow_ups.none_overdue",
        "没有超时未跟进的工单。",
        "No ticket is overdue.",
    ),
    (
        "follow_ups.none_due_soon",
        "这段时间内没有到期的工单。",
        "Nothing falls due in this window.",
    ),
    ("follow_ups.select", "选择", "Select"),
    ("follow_ups.reassign_to", "转派给", "Reassign to"),
    ("follow_ups.reassign", "批量转派", "Reassign selected"),
    ("follow_ups.escalate", "批量升级", "Escalate selected"),
    (
        "follow_ups.confirm_escalate",
        "确定将选中的工单升级到主管？",
        "Escalate the selected tickets?",
    ),
    (
        "follow_ups.done_reassigned",
        "已转派 {n} 个工单，跳过 {skipped} 个。",
        "{n} tickets reassigned, {skipped} skipped.",
    ),
    (
        "follow_ups.done_escalated",
        "已升级 {n} 个工单，跳过 {skipped} 个（已关闭或已在处理中）。",
        "{n} tickets escalated, {skipped} skipped (closed or already held).",
    ),
];
