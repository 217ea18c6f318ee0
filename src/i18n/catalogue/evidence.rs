//! Strings of evidence files (凭证) and the evidence pack.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("evidence.title", "凭证", "Evidence"),
    ("evidence.none", "还没有凭证。", "No evidence yet."),
    ("evidence.choose", "上传照片或 PDF", "Attach a photo or PDF"),
    ("evidence.upload", "上传", "Upload"),
    (
        "evidence.limits",
        "JPEG、PNG、WebP 照片或 PDF，每个不超过 5 MB。",
        "JPEG, PNG or WebP photos or PDF files, at most 5 MB each.",
    ),
    ("evidence.pack", "下载举证包", "Download evidence pack"),
    ("timeline.evidence_added", "上传了凭证", "attached evidence"),
    ("flash.evidence_saved", "凭证已上传", "Evidence attached"),
    (
        "error.code.evidence_too_large",
        "文件超过 5 MB，未保存。请压缩照片或拆分 PDF 后重新上传。",
        "The file is over 5 MB and was not stored. Send a smaller photo or split the PDF.",
    ),
    (
        "error.code.evidence_type",
        "只接受 JPEG、PNG、WebP 照片或 PDF（按文件内容识别，不看扩展名），文件未保存。",
        "Only JPEG, PNG or WebP photos and PDF files are accepted (recognised from the content, not the name); the file was not stored.",
    ),
    ("pack.title", "售后举证包", "After-sales evidence pack"),
    ("pack.made", "生成于", "made"),
    ("pack.facts", "工单信息", "Ticket facts"),
    ("pack.verdicts", "规则判定", "Rule verdicts"),
    (
        "pack.no_verdict",
        "本工单不适用七天无理由规则。",
        "The seven-day rule does not apply to this ticket.",
    ),
    (
        "evidence.error.not_multipart",
        "上传的不是文件表单：请在工单页面的“凭证”中选择照片或 PDF 后上传。",
        "The upload was not a file form: choose a photo or PDF under Evidence on the ticket page and upload it.",
    ),
    (
        "evidence.error.unreadable",
        "上传的表单不完整或格式不对（可能是连接中断），未保存任何内容。请重新选择文件并上传。",
        "The uploaded form was incomplete or malformed (perhaps the connection broke); nothing was stored. Choose the file again and upload it.",
    ),
    // What it refuses (next to the field on the page; the API answers the English text).
    (
        "evidence.error.empty",
        "请选择要附上的照片或 PDF；文件是空的",
        "Choose a photo or PDF to attach; the file was empty.",
    ),
    (
        "evidence.error.no_file",
        "表单中没有文件；请选择要附上的照片或 PDF",
        "The form has no file; choose a photo or PDF to attach.",
    ),
    (
        "evidence.error.too_large",
        "文件大小为 {size} MB；每个文件最多 5 MB——请发送较小的照片或拆分 PDF。未保存任何内容。",
        "The file is {size} MB; at most 5 MB per file is accepted — send a smaller photo or split the PDF. Nothing was stored.",
    ),
    (
        "evidence.error.wrong_type",
        "只接受 JPEG、PNG、WebP 照片和 PDF 文件（按内容识别，而非文件名）；请将文件存为其中一种格式后重新发送。未保存任何内容。",
        "Only JPEG, PNG or WebP photos and PDF files are accepted (checked from the content, not the name); save the file in one of these formats and send it again. Nothing was stored.",
    ),
];
