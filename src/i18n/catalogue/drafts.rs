//! Strings that keep what an agent typed: a refused move on a ticket changed meanwhile, a
//! session that expired under a form, and an htmx request the desk could not answer.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    (
        "drafts.stale_move",
        "该工单刚被他人修改，当前状态为「{status}」。您的操作未保存，填写的内容仍在框中，请确认后重试。",
        "Someone changed this ticket just now: it is now “{status}”. Your change was not saved; what you typed is still in the box. Check it and try again.",
    ),
    (
        "drafts.session_expired",
        "会话已过期，请重新登录",
        "Your session has expired. Please sign in again.",
    ),
    (
        "drafts.request_failed",
        "未能保存（服务器返回错误），填写的内容仍保留，请稍后重试。",
        "Not saved (the desk answered with an error); what you typed is kept. Try again in a moment.",
    ),
    (
        "drafts.request_unsent",
        "无法连接服务器，未能保存；填写的内容仍保留，请检查网络后重试。",
        "The desk could not be reached, so nothing was saved; what you typed is kept. Check the connection and try again.",
    ),
];
