//! Strings of the workflow's refusals, as the ticket page says them: a move the workflow does
//! not allow (with the statuses' names) and a resolution that is missing.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    (
        "workflow.error.illegal_move",
        "工单现在是“{from}”，不能改为“{to}”；现在可以改为：{allowed}。",
        "A ticket that is “{from}” cannot move to “{to}”; it can now move to: {allowed}.",
    ),
    (
        "workflow.error.illegal_move_closed",
        "工单现在是“{from}”，不能改为“{to}”：工单已关闭，状态不再改变。",
        "A ticket that is “{from}” cannot move to “{to}”: it is closed and its status no longer changes.",
    ),
    ("workflow.list_separator", "、", ", "),
    (
        "workflow.error.resolution_required",
        "物流工单要标记为已解决，请先在这里选择处理结果。",
        "To mark a logistics ticket resolved, choose here how it was resolved first.",
    ),
];
