//! Strings of the working-day calendar and deadline calculator.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("calendar.nav", "工作日历", "Calendar"),
    // A year without its holiday schedule
    (
        "calendar.provisional_note",
        "{year} 年法定节假日尚未录入，按周末计算（暂定，录入后自动重算）。",
        "The statutory holidays of {year} are not loaded yet: counted on weekends only (provisional; counted again once loaded).",
    ),
    (
        "calendar.banner.missing",
        "{year} 年法定节假日安排尚未录入：涉及 {year} 年的期限只能按周末计算并标为暂定。请在国务院办公厅发布通知后录入。",
        "The {year} holiday schedule is not loaded: deadlines that reach {year} can only be counted on weekends and are marked provisional. Load it once the State Council publishes its notice.",
    ),
    ("calendar.banner.action", "录入节假日", "Load the schedule"),
    ("calendar.title", "工作日历", "Working-day calendar"),
    // The calculator
    ("calendar.calc.title", "工作日截止计算", "Working-day deadline"),
    (
        "calendar.calc.rule",
        "申请当天不计（民法典第二百零一条）；周末和法定节假日跳过，调休上班日计入；截止于最后一个工作日的 24:00（北京时间）。平台介入审核为 4 个工作日。",
        "The day of application is not counted (Civil Code art. 201); weekends and statutory holidays are skipped, make-up working days count; the period ends at 24:00 of the last working day (Beijing time). Platform intervention takes 4 working days.",
    ),
    ("calendar.calc.from", "申请时间", "Applied at"),
    ("calendar.calc.working_days", "工作日数", "Working days"),
    ("calendar.calc.submit", "计算", "Calculate"),
    ("calendar.calc.deadline", "截止于", "Ends"),
    (
        "calendar.calc.ends",
        "{date}（{weekday}）24:00",
        "{weekday} {date}, 24:00",
    ),
    (
        "calendar.calc.summary",
        "从 {from}（{weekday}）起算 {n} 个工作日，申请当天不计。",
        "{n} working days from {from} ({weekday}); the day of application is not counted.",
    ),
    ("calendar.calc.nth", "第 {n} 个工作日", "working day {n}"),
    ("calendar.calc.skipped", "跳过 {n} 天", "skipped ({n} d)"),
    (
        "calendar.calc.zero",
        "0 个工作日：截止于申请当天 24:00。",
        "0 working days: the period ends at 24:00 on the day of application.",
    ),
    (
        "calendar.calc.bad_from",
        "请填写申请时间，例如 2025-03-10 10:00。",
        "Enter when the application was made, e.g. 2025-03-10 10:00.",
    ),
    (
        "calendar.calc.bad_days",
        "工作日数须为 0 到 {max} 之间的整数。",
        "The number of working days must be a whole number from 0 to {max}.",
    ),
    (
        "calendar.calc.unknown_year",
        "工作日历还没有 {year} 年的节假日安排，无法计算到该年。请管理员先添加 {year} 年（本页下方）。",
        "The working-day calendar has no holiday schedule for {year}, so deadlines cannot reach into it. An admin must add {year} first (below on this page).",
    ),
    // Kinds of days
    ("calendar.kind.workday", "工作日", "Working day"),
    ("calendar.kind.make_up", "调休上班", "Make-up working day"),
    ("calendar.kind.weekend", "周末", "Weekend"),
    ("calendar.kind.holiday", "法定节假日", "Statutory holiday"),
    ("calendar.year.off", "放假", "Day off"),
    ("calendar.weekday.mon", "周一", "Mon"),
    ("calendar.weekday.tue", "周二", "Tue"),
    ("calendar.weekday.wed", "周三", "Wed"),
    ("calendar.weekday.thu", "周四", "Thu"),
    ("calendar.weekday.fri", "周五", "Fri"),
    ("calendar.weekday.sat", "周六", "Sat"),
    ("calendar.weekday.sun", "周日", "Sun"),
    // Tables
    ("calendar.col.date", "日期", "Date"),
    ("calendar.col.weekday", "星期", "Weekday"),
    ("calendar.col.name", "名称", "Name"),
    ("calendar.col.kind", "类型", "Kind"),
    ("calendar.col.days", "天数", "Days"),
    ("calendar.col.counted", "计入", "Counted"),
    // The years
    ("calendar.years.title", "节假日安排", "Holiday schedules"),
    (
        "calendar.years.intro",
        "按国务院办公厅每年的节假日安排通知（经 NateScarlet/holiday-cn 整理）。未列出的日期：周一至周五上班，周六、周日休息。尚未录入的年份按周末计算，结果标为暂定，录入后自动重算。",
        "From the State Council's yearly holiday notices (as transcribed by NateScarlet/holiday-cn). Dates not listed: Monday to Friday are working days, Saturday and Sunday are off. A year not loaded yet is counted on weekends only and the result marked provisional; it is counted again once the year is loaded.",
    ),
    (
        "calendar.years.empty",
        "工作日历中还没有任何年份，请管理员添加。",
        "The calendar holds no year yet; an admin must add one.",
    ),
    ("calendar.year.title", "{year} 年", "{year}"),
    (
        "calendar.year.counts",
        "放假 {off} 天，调休上班 {work} 天",
        "{off} days off, {work} make-up working days",
    ),
    ("calendar.years.source", "来源", "Source"),
    ("calendar.years.updated", "更新于", "updated"),
    // The admin's forms
    ("calendar.form.edit", "修改本年", "Edit this year"),
    ("calendar.form.add_title", "添加年份", "Add a year"),
    ("calendar.form.year", "年份", "Year"),
    ("calendar.form.source", "来源", "Source"),
    (
        "calendar.form.source_placeholder",
        "国务院办公厅关于2027年部分节假日安排的通知",
        "State Council notice on the 2027 holidays",
    ),
    ("calendar.form.days", "日期（每行一个）", "Dates (one a line)"),
    (
        "calendar.form.hint",
        "每行一个日期：2027-01-01 off 元旦（放假），2027-02-07 work 春节（调休上班）；也可写“休”“班”。空行和以 # 开头的行忽略。也可直接粘贴或选择 holiday-cn 的年度文件（JSON 或 ICS）。保存时整年替换；有任何错误则不保存。",
        "One date a line: 2027-01-01 off 元旦 (a day off), 2027-02-07 work 春节 (a make-up working day); 休 and 班 work too. Blank lines and lines starting with # are skipped. A holiday-cn year file (JSON or ICS) may be pasted or chosen instead. Saving replaces the whole year; nothing is saved if anything is wrong.",
    ),
    ("calendar.form.save", "保存", "Save"),
    (
        "calendar.form.file",
        "或选择文件（holiday-cn 的 JSON 或 ICS），内容会填入上面的文本框：",
        "Or choose a file (holiday-cn JSON or ICS); its text fills the box above:",
    ),
    ("calendar.form.not_saved", "未保存：", "Not saved:"),
    ("calendar.form.delete", "删除本年", "Remove this year"),
    (
        "calendar.form.delete_confirm",
        "删除后，涉及该年的截止时间将无法计算。确定删除？",
        "Deadlines that reach into this year will be refused once it is removed. Remove it?",
    ),
    (
        "calendar.flash.saved",
        "{year} 年的节假日安排已保存（{counts}），立即生效。",
        "The {year} schedule is saved ({counts}) and in use now.",
    ),
    (
        "calendar.flash.deleted",
        "{year} 年已删除，涉及该年的截止时间将无法计算。",
        "{year} is removed; deadlines that reach into it are refused.",
    ),
    // What can be wrong with a year's text
    ("calendar.at_line", "第 {n} 行", "Line {n}"),
    ("calendar.at_entry", "第 {n} 项", "Entry {n}"),
    ("calendar.at_event", "第 {n} 个日程", "Event {n}"),
    (
        "calendar.problem.bad_event",
        "{at}（“{text}”）没有可读的日期：应为 DTSTART;VALUE=DATE:20270101 这样的全天日期。",
        "{at} (“{text}”) has no readable dates: it needs all-day dates such as DTSTART;VALUE=DATE:20270101.",
    ),
    (
        "calendar.problem.bad_date",
        "{at}：“{text}”不是日期，请写成 2027-01-01。",
        "{at}: “{text}” is not a date; write it as 2027-01-01.",
    ),
    (
        "calendar.problem.missing_kind",
        "{at}：日期后面要写 off（放假）或 work（调休上班）。",
        "{at}: after the date write off (a day off) or work (a make-up working day).",
    ),
    (
        "calendar.problem.bad_kind",
        "{at}：“{text}”应为 off（放假）或 work（调休上班）。",
        "{at}: “{text}” should be off (a day off) or work (a make-up working day).",
    ),
    (
        "calendar.problem.bad_json",
        "粘贴的内容不是 holiday-cn 的年度文件：{error}",
        "The pasted text is not a holiday-cn year file: {error}",
    ),
    (
        "calendar.problem.file_year",
        "粘贴的文件是 {file} 年的，不是 {year} 年。",
        "The pasted file is for {file}, not {year}.",
    ),
    (
        "calendar.problem.outside_year",
        "{at}：{date} 不在 {year} 年内。",
        "{at}: {date} is not in {year}.",
    ),
    (
        "calendar.problem.duplicate",
        "{at}：{date} 重复（{first}已列出）。",
        "{at}: {date} is listed twice (already at {first}).",
    ),
    (
        "calendar.problem.name_too_long",
        "{at}：名称有 {chars} 个字，最多 {max} 个。",
        "{at}: the name has {chars} characters; at most {max}.",
    ),
    (
        "calendar.problem.make_up_on_weekday",
        "{at}：{date} 是{weekday}，本来就上班；调休上班日（work）只能是周六或周日。",
        "{at}: {date} is a {weekday} and a working day anyway; a make-up working day (work) falls on a Saturday or Sunday.",
    ),
    (
        "calendar.problem.no_days",
        "请列出该年的放假日和调休上班日：空的安排会把每个工作日都算作上班。",
        "List the year's days off and make-up working days: an empty schedule would count every weekday as a working day.",
    ),
    (
        "calendar.problem.source_missing",
        "请填写来源，例如国务院办公厅通知的标题或网址。",
        "Say where the dates come from, e.g. the State Council notice's title or address.",
    ),
    (
        "calendar.problem.source_too_long",
        "来源有 {chars} 个字，最多 {max} 个。",
        "The source has {chars} characters; at most {max}.",
    ),
    (
        "calendar.problem.year_range",
        "{year} 年不在可录入的范围内（{min}–{max}）。",
        "{year} is outside the years the calendar accepts ({min}–{max}).",
    ),
    (
        "calendar.problem.year_missing",
        "请填写年份，例如 2027。",
        "Enter the year, e.g. 2027.",
    ),
    (
        "calendar.problem.year_exists",
        "{year} 年已存在，请在该年的表格下修改。",
        "{year} exists already; edit it under its own table.",
    ),
];
