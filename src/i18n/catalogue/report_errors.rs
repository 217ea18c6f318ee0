//! What the reports say about a period or an export they cannot take (each shown next to its
//! field on the page; the API answers the English text naming the field).

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    (
        "reports.range.from_after_to",
        "开始日期（{from}）晚于结束日期（{to}）：请先填第一天，再填最后一天。",
        "The start date ({from}) is after the end date ({to}): give the first day, then the last.",
    ),
    (
        "reports.range.too_long",
        "一份报表最多涵盖 {max} 天，请选择更短的时间段。",
        "A report covers at most {max} days; choose a shorter period.",
    ),
    (
        "reports.range.not_a_date",
        "“{value}”不是日期，请写成 2025-03-01 这样的格式。",
        "“{value}” is not a date; write it as 2025-03-01.",
    ),
    (
        "reports.range.year",
        "{year} 年不在可接受的 {min}–{max} 年之内。",
        "The year {year} is outside the years accepted ({min}–{max}).",
    ),
    (
        "reports.range.bad_grouping",
        "“{value}”不是可用的分组；请使用 day、week、month、sku、category、reason 或 kind。",
        "“{value}” is not a grouping; use day, week, month, sku, category, reason or kind.",
    ),
    (
        "reports.export.bad_table",
        "“{value}”不是可导出的表；请使用 summary、rows 或 agents。",
        "“{value}” is not a table; use summary, rows or agents.",
    ),
];
