//! The translation catalogue: `(key, 简体中文, English)`. Keys are grouped by page or subject.

pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("app.name", "售后工作台", "Aftersales Desk"),
];
