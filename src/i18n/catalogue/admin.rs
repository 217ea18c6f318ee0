//! Strings of the admin page and the audit log.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("nav.admin", "系统管理", "Admin"),
    ("admin.title", "系统管理", "Administration"),
    ("admin.shops", "店铺与规则设置", "Shops and their rule settings"),
    (
        "admin.settings_hint",
        "通过 API 修改：PUT /api/v1/shops/{shop}/settings",
        "Change through the API: PUT /api/v1/shops/{shop}/settings",
    ),
    ("admin.code", "代码", "Code"),
    ("admin.zone", "时区", "Time zone"),
    ("admin.window", "无理由退货天数", "No-reason days"),
    ("admin.follow_up", "跟进周期（小时）", "Follow-up cycle (h)"),
    ("admin.audit", "操作审计", "Audit log"),
    (
        "admin.audit_hint",
        "管理员与主管的操作、登录与导入，只增不改",
        "What admins and supervisors did, sign-ins and imports; append-only",
    ),
    ("admin.audit_empty", "还没有记录。", "Nothing recorded yet."),
    ("admin.when", "时间", "When"),
    ("admin.who", "操作人", "Who"),
    ("admin.what", "操作", "What"),
    ("admin.subject", "对象", "Subject"),
    ("admin.details", "详情", "Details"),
    ("admin.older", "更早的记录", "Older entries"),
    ("audit.user.created", "创建用户", "User created"),
    ("audit.user.password_changed", "修改密码", "Password changed"),
    (
        "audit.user.renamed",
        "账号改名（大小写重复）",
        "Login renamed (same in another case)",
    ),
    ("audit.shop.created", "创建店铺", "Shop created"),
    (
        "audit.shop.settings_changed",
        "修改店铺规则设置",
        "Shop settings changed",
    ),
    (
        "audit.calendar.year_replaced",
        "更新节假日安排",
        "Calendar year replaced",
    ),
    ("audit.calendar.year_deleted", "删除节假日年份", "Calendar year removed"),
    ("audit.ticket.rule_overridden", "覆盖规则判定", "Rule overridden"),
    ("audit.ticket.reassigned", "转派工单", "Ticket reassigned"),
    ("audit.auth.signed_in", "登录", "Signed in"),
    ("audit.auth.sign_in_failed", "登录失败", "Sign-in failed"),
    ("audit.import.completed", "导入文件", "File imported"),
];
