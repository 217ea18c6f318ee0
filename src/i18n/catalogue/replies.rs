//! Strings of the canned replies (快捷短语): the per-shop library, its form and the picker on the
//! ticket page.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("reply.nav", "快捷短语", "Canned replies"),
    ("reply.library_title", "快捷短语库", "Canned reply library"),
    (
        "reply.library_hint",
        "按场景分组；发送时自动填入工单信息的变量：",
        "Grouped by situation; these variables are filled from the ticket when sent:",
    ),
    ("reply.shop", "店铺", "Shop"),
    ("reply.switch_shop", "切换", "Switch"),
    ("reply.situation", "场景", "Situation"),
    ("reply.situation.greeting", "问候", "Greeting"),
    ("reply.situation.urge_shipment", "催发货/催寄回", "Urging shipment"),
    ("reply.situation.logistics_check", "查物流", "Logistics check"),
    ("reply.situation.return_guide", "退货指引", "Return guide"),
    ("reply.situation.refund_done", "退款完成", "Refund done"),
    ("reply.situation.apology", "致歉", "Apology"),
    ("reply.title", "标题", "Title"),
    ("reply.body", "内容", "Text"),
    ("reply.save", "保存", "Save"),
    ("reply.add", "新增短语", "Add a reply"),
    ("reply.archive", "停用", "Archive"),
    (
        "reply.confirm_archive",
        "停用这条短语？已使用过它的跟进记录不受影响。",
        "Archive this reply? Follow-ups that used it keep their text.",
    ),
    ("reply.used", "已使用 {n} 次", "used {n} times"),
    (
        "reply.none_in_group",
        "这个场景还没有短语。",
        "No reply for this situation yet.",
    ),
    ("reply.saved", "短语已保存", "Reply saved"),
    ("reply.archived", "短语已停用", "Reply archived"),
    ("reply.settings_saved", "退货地址已保存", "Return address saved"),
    ("reply.return_address", "退货地址", "Return address"),
    (
        "reply.return_address_hint",
        "填入短语中的 {return_address}（收件人、电话、地址）",
        "Fills {return_address} in the replies (recipient, phone, address)",
    ),
    (
        "reply.read_only",
        "短语库由主管维护；在工单页按 Ctrl + / 插入短语。",
        "Supervisors maintain the library; insert a reply on a ticket with Ctrl + /.",
    ),
    ("reply.insert", "插入快捷短语", "Insert canned reply"),
    (
        "reply.picker_hint",
        "Ctrl + / 插入快捷短语，Ctrl + Enter 保存。",
        "Ctrl + / inserts a canned reply, Ctrl + Enter saves.",
    ),
    (
        "reply.search_placeholder",
        "搜索短语：标题、内容或场景",
        "Search replies: title, text or situation",
    ),
    (
        "reply.picker_keys",
        "↑ ↓ 选择 · Enter 插入 · Esc 关闭",
        "↑ ↓ choose · Enter inserts · Esc closes",
    ),
    ("reply.missing", "缺少：", "missing:"),
    (
        "timeline.with_reply",
        "（快捷短语：{title}）",
        " (canned reply: {title})",
    ),
    // What it refuses (next to the field on the page; the API answers the English text).
    (
        "replies.error.title",
        "请填写 1–100 个字的标题",
        "Give a title of 1–100 characters.",
    ),
    (
        "replies.error.body",
        "请填写 1–2000 个字的正文",
        "Give a text of 1–2000 characters.",
    ),
    (
        "replies.error.unknown_variable",
        "没有变量 {name}；可用的变量有 {variables}",
        "Unknown variable {name}; the variables are {variables}",
    ),
    (
        "replies.error.return_address",
        "退货地址最多 500 个字",
        "At most 500 characters.",
    ),
    (
        "replies.error.situation",
        "请选择一种场景",
        "Choose one of the situations.",
    ),
];
