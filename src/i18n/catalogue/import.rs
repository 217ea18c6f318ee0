//! What the importers say about a file, a row or an upload form they cannot take: the names
//! of the columns, the row messages (their `{column}` is a column's name from here) and the
//! file-level refusals.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    // Columns, by what they hold
    ("import.column.order_no", "订单编号", "order number (订单编号)"),
    ("import.column.quantity", "数量", "quantity"),
    (
        "import.column.amount_paid",
        "买家实际支付金额",
        "amount paid (买家实际支付金额)",
    ),
    ("import.column.price", "价格", "price (价格)"),
    ("import.column.unit_price", "单价", "unit price"),
    ("import.column.paid_at", "付款时间", "paid_at (付款时间)"),
    ("import.column.shipped_at", "发货时间", "shipped_at (发货时间)"),
    (
        "import.column.signed_at",
        "签收/确认收货时间",
        "signed_at (签收/确认收货时间)",
    ),
    ("import.column.refund_no", "退款编号", "refund number (退款编号)"),
    (
        "import.column.refund_amount",
        "买家退款金额",
        "refund amount (买家退款金额)",
    ),
    (
        "import.column.applied_at",
        "退款的申请时间",
        "request time (退款的申请时间)",
    ),
    ("import.column.timeout_at", "超时时间", "timeout (超时时间)"),
    ("import.column.finished_at", "完结时间", "finish time (完结时间)"),
    // Rows
    (
        "import.row.empty",
        "「{column}」为空，请填写",
        "The {column} is empty; fill it in.",
    ),
    (
        "import.row.not_whole",
        "「{column}」应为不小于 1 的整数，收到“{value}”",
        "The {column} should be a whole number of at least 1, not “{value}”",
    ),
    (
        "import.row.not_money",
        "「{column}」应为以元计的金额（如 64.00），收到“{value}”",
        "The {column} should be an amount in yuan such as 64.00, not “{value}”",
    ),
    (
        "import.row.not_time",
        "「{column}」的“{value}”不是时间，请写成 2025-03-10 15:20:00 这样的格式",
        "{column}: “{value}” is not a time; write it as 2025-03-10 15:20:00.",
    ),
    (
        "import.row.no_such_time",
        "「{column}」的“{value}”在时区 {zone} 中不存在",
        "{column}: “{value}” does not exist in the time zone {zone}",
    ),
    (
        "import.row.year_out_of_range",
        "「{column}」的“{value}”年份不在可接受的 {from}–{to} 年之内",
        "{column}: the year of “{value}” is outside the years accepted ({from}–{to})",
    ),
    (
        "import.row.order_twice",
        "订单 {order_no} 在订单报表中出现了两次（第一次在第 {first} 行）",
        "Order {order_no} appears twice in the order report (first on line {first})",
    ),
    (
        "import.row.order_differs",
        "订单 {order_no} 的买家或时间与第 {first} 行不同；同一订单的每一行应填写相同的订单信息",
        "Order {order_no}: buyer or times differ from line {first}; give every line of an order the same order details.",
    ),
    (
        "import.row.order_invalid",
        "订单 {order_no} 的 {field} 不正确：{problem}",
        "Order {order_no}, {field}: {problem}",
    ),
    (
        "import.row.order_unknown_items",
        "订单 {order_no} 尚未导入：请先导入订单报表（ExportOrderList），再导入此宝贝报表",
        "Order {order_no} is not known yet: import the order report (ExportOrderList) first, then this item report.",
    ),
    (
        "import.row.order_unknown_refunds",
        "订单 {order_no} 尚未导入：请先导入订单报表，再导入退款报表",
        "Order {order_no} is not known: import the order report first, then the refunds.",
    ),
    (
        "import.row.order_unknown",
        "订单 {order_no} 尚未导入",
        "Order {order_no} is not known.",
    ),
    (
        "import.row.order_unreadable",
        "无法读取订单 {order_no}：{error}",
        "Cannot read order {order_no}: {error}",
    ),
    (
        "import.row.refund_twice",
        "退款 {refund_no} 在文件中出现了两次",
        "Refund {refund_no} appears twice in the file.",
    ),
    (
        "import.row.ticket_refused",
        "退款 {refund_no} 无法建立工单：{problem}",
        "Refund {refund_no}: {problem}",
    ),
    (
        "import.row.facts_unstored",
        "无法在工单 {id} 上保存平台信息：{error}",
        "Cannot keep the platform's facts on ticket {id}: {error}",
    ),
    (
        "import.row.cycle_unstarted",
        "无法开始工单 {id} 的跟进周期：{error}",
        "Cannot start the follow-up cycle of ticket {id}: {error}",
    ),
    // The file
    (
        "import.error.rows",
        "{n} 行有误，未导入任何数据；请修改后重新导入。第一处：{first}",
        "Rows that are wrong: {n}. Nothing was imported; fix them and import the file again. First: {first}",
    ),
    (
        "import.error.database",
        "数据库出错，未导入任何数据；请稍后再试。",
        "The database failed; nothing was imported. Try again in a few minutes.",
    ),
    (
        "import.error.nul",
        "第 {line} 行：文件中含有空字符（NUL），任何文本都不能包含它（这是 UTF-8 或 GBK 编码的 CSV 文件吗？）；请从卖家中心或表格软件重新另存为 CSV",
        "Line {line}: the file contains a NUL character, which no text may hold (is it a CSV file in UTF-8 or GBK?); save it again as CSV from the seller centre or a spreadsheet.",
    ),
    (
        "import.error.bad_csv",
        "第 {line} 行：文件不是有效的 CSV（{error}）；请从卖家中心或表格软件重新另存为 CSV",
        "Line {line}: the file is not valid CSV ({error}); save it again as CSV from the seller centre or a spreadsheet.",
    ),
    (
        "import.error.empty",
        "文件是空的：需要一行表头和至少一行数据",
        "The file is empty: it needs a header row and at least one row.",
    ),
    (
        "import.error.bad_xlsx",
        "文件看起来是 Excel 工作簿（.xlsx），但无法读取（{error}）；请在表格软件中打开并重新保存，或导出为 CSV",
        "The file looks like an Excel workbook (.xlsx) but cannot be read ({error}); open it in a spreadsheet and save it again, or export CSV.",
    ),
    (
        "import.error.no_sheet",
        "工作簿中没有工作表",
        "The workbook has no sheet.",
    ),
    (
        "import.error.empty_sheet",
        "工作簿的第一个工作表是空的",
        "The first sheet of the workbook is empty.",
    ),
    (
        "import.error.missing_columns",
        "表头缺少以下列：{columns}；请补上（列名会去掉首尾空格后比对）",
        "The header row lacks these columns: {columns}; add them (names are matched after trimming spaces)",
    ),
    (
        "import.error.unknown_orders_layout",
        "无法识别此订单文件的表头（读到：{found}）。请使用卖家中心的订单报表（订单编号、买家会员名、买家实际支付金额……）、宝贝报表（订单编号、标题、价格、购买数量……）或简单 CSV 格式（order_no、buyer、sku、title、quantity、unit_price……）",
        "The header row is not an order file we know (found: {found}). Use the seller centre's order report (订单编号, 买家会员名, 买家实际支付金额, …), its item report (订单编号, 标题, 价格, 购买数量, …) or the plain CSV layout (order_no, buyer, sku, title, quantity, unit_price, …)",
    ),
    (
        "import.error.no_header",
        "文件没有表头行",
        "The file has no header row.",
    ),
    (
        "import.error.no_orders",
        "文件有表头，但没有任何订单",
        "The file has a header row but no orders.",
    ),
    (
        "import.error.unknown_refunds_layout",
        "无法识别此退款报表：缺少以下列：{columns}；请从「退款管理 → 导出」导出",
        "This is not a refund report we know: these columns are missing: {columns}; export it from 退款管理 → 导出.",
    ),
    (
        "import.error.prepare",
        "无法为数据库准备数据行：{error}",
        "Cannot prepare rows for the database: {error}",
    ),
    (
        "import.error.upload_unreadable",
        "无法读回上传的文件：{error}",
        "Cannot read the uploaded file back: {error}",
    ),
    (
        "import.error.reading_stopped",
        "读取文件时中断：{error}",
        "Reading the file stopped: {error}",
    ),
    (
        "import.error.no_user",
        "没有名为“{login}”的有效用户；请填写主管或管理员的登录名",
        "No active user `{login}`; give the login of a supervisor or admin.",
    ),
    (
        "import.error.actor_not_allowed",
        "“{login}”不能向此店铺导入退款：需要店铺的主管或管理员，因为对规则的放行会记录在其名下",
        "`{login}` cannot import refunds into this shop: it takes a supervisor of the shop or an admin, because overrides of the rules are recorded in their name.",
    ),
    (
        "import.error.choose_shop",
        "请选择您的一个店铺",
        "Choose one of your shops.",
    ),
    (
        "import.error.choose_file",
        "请选择要导入的文件",
        "Choose a file to import.",
    ),
    (
        "import.error.bad_kind",
        "内容应为订单或退款",
        "The contents are orders or refunds.",
    ),
    (
        "import.error.refunds_not_allowed",
        "退款报表会变成工单，其中对规则的放行记录在导入者名下：请由管理员在此导入（或由主管使用 `aftersales import refunds --as 登录名`）",
        "Refund reports become tickets whose rule overrides are recorded in the importer's name: an admin imports them here (or a supervisor with `aftersales import refunds --as LOGIN`)",
    ),
    (
        "import.error.bad_format",
        "格式应为自动、淘宝或 CSV",
        "The format is auto, taobao or csv.",
    ),
];
