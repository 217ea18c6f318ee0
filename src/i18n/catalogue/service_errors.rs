//! What the reply library, return visits and evidence say about a value they cannot take
//! (shown next to its field, or in the page's notice; the API answers the English text).

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    // Canned replies
    (
        "replies.error.title",
        "请填写 1–100 个字的标题",
        "give a title of 1–100 characters",
    ),
    (
        "replies.error.body",
        "请填写 1–2000 个字的正文",
        "give a text of 1–2000 characters",
    ),
    (
        "replies.error.unknown_variable",
        "没有变量 {name}；可用的变量有 {variables}",
        "unknown variable {name}; the variables are {variables}",
    ),
    (
        "replies.error.return_address",
        "退货地址最多 500 个字",
        "at most 500 characters",
    ),
    (
        "replies.error.situation",
        "请选择一种场景",
        "choose one of the situations",
    ),
    // Return visits
    (
        "visits.error.comment_too_long",
        "备注最多 {max} 个字",
        "at most {max} characters",
    ),
    (
        "visits.error.not_done",
        "工单仍在处理中（状态 `{status}`）：处理完毕、已退款或已寄出换货后才进行回访",
        "the ticket is still being worked (status `{status}`): a return visit is asked once it is resolved, refunded or the replacement shipped",
    ),
    // Evidence
    (
        "evidence.error.empty",
        "请选择要附上的照片或 PDF；文件是空的",
        "choose a photo or PDF to attach; the file was empty",
    ),
    (
        "evidence.error.no_file",
        "表单中没有文件；请选择要附上的照片或 PDF",
        "the form has no file; choose a photo or PDF to attach",
    ),
    (
        "evidence.error.too_large",
        "文件大小为 {size} MB；每个文件最多 5 MB——请发送较小的照片或拆分 PDF。未保存任何内容。",
        "the file is {size} MB; at most 5 MB per file is accepted — send a smaller photo or split the PDF. Nothing was stored.",
    ),
    (
        "evidence.error.wrong_type",
        "只接受 JPEG、PNG、WebP 照片和 PDF 文件（按内容识别，而非文件名）；请将文件存为其中一种格式后重新发送。未保存任何内容。",
        "only JPEG, PNG or WebP photos and PDF files are accepted (checked from the content, not the name); save the file in one of these formats and send it again. Nothing was stored.",
    ),
];
