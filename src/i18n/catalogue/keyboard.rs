//! Strings of the keyboard shortcuts and their help overlay.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("keys.title", "键盘快捷键", "Keyboard shortcuts"),
    ("keys.close", "关闭", "Close"),
    (
        "keys.search",
        "搜索（光标到顶部搜索框）",
        "Search (focus the box at the top)",
    ),
    (
        "keys.walk_rows",
        "在工单列表中上下移动",
        "Move down / up the rows of the queue",
    ),
    ("keys.open_row", "打开选中的工单", "Open the selected ticket"),
    ("keys.next_ticket", "下一个工单", "Next ticket"),
    (
        "keys.follow_up",
        "记录跟进（光标到跟进内容）",
        "Record a follow-up (focus the summary)",
    ),
    ("keys.replies", "打开快捷短语", "Open canned replies"),
    (
        "keys.replies_in_text",
        "在输入框中插入快捷短语",
        "Insert a canned reply while typing",
    ),
    ("keys.submit", "提交当前表单", "Submit the current form"),
    (
        "keys.move_status",
        "变更状态（光标到状态按钮）",
        "Move the status (focus the status buttons)",
    ),
    (
        "keys.assign_to_me",
        "指派给我（列表中：选中的工单）",
        "Assign to me (in the queue: the selected ticket)",
    ),
    ("keys.go_queue", "回到我的工单", "Go to my queue"),
    ("keys.help", "显示本帮助", "Show this help"),
    (
        "keys.hint",
        "在输入框中打字时单键快捷键不生效；按 Esc 离开输入框。",
        "Single-key shortcuts are off while typing in a field; press Esc to leave it.",
    ),
];
