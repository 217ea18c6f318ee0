//! Strings of the canned replies (快捷短语): the per-shop library, its form and the picker on the
//! ticket page.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("reply.nav", "快捷短语", "Replies"),
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
        "↑ ↓ 选择 · Enter 插入 · Shift + Enter 复制并插入 · Esc 关闭",
        "↑ ↓ choose · Enter inserts · Shift + Enter copies and inserts · Esc closes",
    ),
    ("reply.missing", "缺少：", "missing:"),
    (
        "reply.show_all",
        "显示全部（另有 {n} 条不适用于当前类型或状态）",
        "Show all ({n} more written for other kinds or statuses)",
    ),
    (
        "reply.not_for_this",
        "不适用于当前工单，适用：",
        "Not for this ticket; for:",
    ),
    (
        "reply.warn_unfit",
        "这条短语是为「{fit}」写的，与当前工单的类型或状态不符，内容可能不实。",
        "This reply is written for “{fit}”, not for this ticket's kind or status: what it says may not be true.",
    ),
    (
        "reply.warn_missing",
        "工单里没有 {missing} 的信息，插入后请手动补全（保存时会检查）。",
        "The ticket has no value for {missing}: complete it by hand after inserting (saving checks).",
    ),
    (
        "reply.warn_confirm",
        "确实要用，请再按一次 Enter 或再点一次。",
        "To use it anyway, press Enter or click again.",
    ),
    ("reply.copy", "复制", "Copy"),
    (
        "reply.copied",
        "已复制到剪贴板并填入跟进记录：在千牛/旺旺粘贴发送后，按 Ctrl + Enter 保存这次跟进。",
        "Copied, and put in the follow-up: paste it in Qianniu/Wangwang, send it, then press Ctrl + Enter to save the follow-up.",
    ),
    (
        "reply.copy_failed",
        "浏览器不允许复制：短语已填入跟进记录，请手动选中复制。",
        "The browser did not allow copying: the reply is in the follow-up box, select and copy it by hand.",
    ),
    (
        "timeline.with_reply",
        "（快捷短语：{title}）",
        " (canned reply: {title})",
    ),
    // What it refuses (next to the field on the page; the API answers the English text).
    (
        "replies.error.shop",
        "店铺编号无效：请从短语库页面重新打开表单。",
        "The shop number is not valid: open the form again from the library page.",
    ),
    (
        "replies.error.status",
        "请从列表中选择适用的状态。",
        "Choose the statuses from the list.",
    ),
    ("reply.fit", "适用", "Offered on"),
    (
        "reply.return_address_moved",
        "短语中的 {return_address} 填入退货时记录的地址；未记录时用店铺的默认退货地址，在这里管理：",
        "{return_address} in a reply is the address recorded when the return was approved, or else the shop's default return address, managed here:",
    ),
    ("reply.fit_any", "所有工单", "any ticket"),
    (
        "reply.fit_kinds",
        "适用工单类型（不选＝全部）",
        "For these kinds (none ticked: any)",
    ),
    (
        "reply.fit_statuses",
        "适用状态（不选＝全部）",
        "In these statuses (none ticked: any)",
    ),
    (
        "replies.error.unfilled",
        "回复里还有没填的变量 {variables}：请把它们换成实际内容再保存，否则买家看到的就是这些占位符。",
        "The reply still has {variables} in it: replace them with the real facts before saving, or the buyer reads the placeholders.",
    ),
    (
        "replies.error.status_not_of_kinds",
        "所选的工单类型都没有「{status}」这个状态：请调整适用的状态或类型。",
        "None of the chosen kinds has the status “{status_en}”: change the statuses or the kinds.",
    ),
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
        "replies.error.situation",
        "请选择一种场景",
        "Choose one of the situations.",
    ),
];
