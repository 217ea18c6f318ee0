//! Orders from a file: the seller centre's order report (订单报表, one row per order), its item
//! report (宝贝报表, one row per line) and our own plain CSV (one row per line). Rows are checked
//! with `orders::validate`, then written in one transaction: `COPY` into a temporary table and
//! set-based upserts that change only what differs, so importing the same file twice changes
//! nothing the second time.
//!
//! The plain CSV layout (header names in English or Chinese, any order, unknown columns ignored):
//!
//! | column | 中文 | required | meaning |
//! |---|---|---|---|
//! | `order_no` | 订单编号 | yes | the marketplace's order number |
//! | `buyer` | 买家会员名 | yes | the buyer's member name |
//! | `sku` | 商家编码 | yes | one line per SKU |
//! | `title` | 宝贝标题 | yes | item title |
//! | `quantity` | 数量 | yes | whole number ≥ 1 |
//! | `unit_price` | 单价 | yes | yuan, e.g. `64.00` |
//! | `category` | 类目 | no | item category |
//! | `paid_at`, `shipped_at`, `signed_at` | 付款时间, 发货时间, 签收时间 | no | `yyyy-MM-dd HH:mm:ss` in the shop's time zone, or RFC 3339 |
//! | `no_reason_exclusion` | 无理由排除 | no | `none`, `custom_made`, `perishable`, `digital_unsealed`, `periodical`, `confirmed_at_purchase` |
//! | `buyer_name`, `address`, `note` | 收货人姓名, 收货地址, 订单备注 | no | contact details and the seller's note |
//!
//! The order report has no SKU column: each order becomes one line whose SKU is the edited SKU
//! (修改后的sku) when given, else the item title (cut to 100 characters), with the order's total
//! quantity and its price per unit rounded up to the fen; such a line is only added to an order
//! that has no lines yet, so an item report imported before or after gives the real lines.
//! 确认收货时间 (receipt confirmed) stands for the sign time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

use super::table::{self, Columns, RowSink, cell};
use super::{Cancel, CellError, Column, ImportError, ImportSummary, Progress, ProgressFn, RowError};
use crate::i18n::Message;
use crate::ids::ShopId;
use crate::money::Fen;
use crate::orders::{OrderInput, OrderLineInput};

/// Rows sent to the database per `COPY` chunk.
const COPY_CHUNK: usize = 20_000;

/// Which kind of order file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderLayout {
    /// 订单报表 `ExportOrderList*.csv`: one row per order.
    TaobaoOrders,
    /// 宝贝报表 `ExportOrderDetailList*.csv`: one row per line; the orders must exist.
    TaobaoItems,
    /// Our own plain CSV (see the module documentation).
    Plain,
}

impl OrderLayout {
    /// The name shown in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderLayout::TaobaoOrders => "taobao_orders",
            OrderLayout::TaobaoItems => "taobao_items",
            OrderLayout::Plain => "plain",
        }
    }
}

/// The `--format` a user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Recognise the layout by its headers.
    #[default]
    Auto,
    /// A seller-centre export (order or item report).
    Taobao,
    /// Our plain CSV.
    Csv,
}

impl Format {
    /// Parses `auto`, `taobao` or `csv`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "" | "auto" => Some(Format::Auto),
            "taobao" => Some(Format::Taobao),
            "csv" | "plain" => Some(Format::Csv),
            _ => None,
        }
    }

    /// `auto`, `taobao` or `csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Taobao => "taobao",
            Format::Csv => "csv",
        }
    }
}

/// One line of an order, as read from one row.
#[derive(Clone, Debug)]
struct LineRecord {
    line: u64,
    order_no: String,
    buyer: Option<String>,
    buyer_name: Option<String>,
    address: Option<String>,
    note: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    signed_at: Option<DateTime<Utc>>,
    sku: String,
    title: String,
    category: String,
    quantity: i32,
    unit_price_fen: i64,
    exclusion: String,
}

/// A local time in the shop's zone (`yyyy-MM-dd HH:mm:ss`, `yyyy/MM/dd HH:mm`, a date alone) or
/// RFC 3339. Empty and `0000-00-00…` mean none.
/// A refused time is a message whose `{column}` is left to the caller.
pub fn parse_local_time(text: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, Message> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000-00-00") || text == "-" {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return in_years(at.with_timezone(&Utc), text).map(Some);
    }
    let normalised = text.replace('/', "-").replace('T', " ");
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&normalised, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&normalised, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    let naive = naive.ok_or_else(|| Message::new("import.row.not_time").with("value", text))?;
    let at = zone
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| {
            Message::new("import.row.no_such_time")
                .with("value", text)
                .with("zone", zone)
        })?;
    in_years(at, text).map(Some)
}

/// An instant within the years the desk accepts (`edge::YEARS`).
fn in_years(at: DateTime<Utc>, text: &str) -> Result<DateTime<Utc>, Message> {
    crate::edge::instant(at).map_err(|_| {
        Message::new("import.row.year_out_of_range")
            .with("value", text)
            .with("from", crate::edge::YEARS.start())
            .with("to", crate::edge::YEARS.end())
    })
}

fn money(text: &str, column: Column) -> Result<i64, CellError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    match Fen::parse_yuan(text) {
        Some(Fen(fen)) if fen >= 0 => Ok(fen),
        _ => Err((column, Message::new("import.row.not_money").with("value", text))),
    }
}

fn whole_number(text: &str, column: Column) -> Result<i32, CellError> {
    let text = text.trim();
    let parsed = text
        .parse::<i32>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i32));
    match parsed {
        Some(n) if n >= 1 => Ok(n),
        _ => Err((column, Message::new("import.row.not_whole").with("value", text))),
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Column positions of a recognised layout.
struct Mapping {
    layout: OrderLayout,
    order_no: Option<usize>,
    buyer: Option<usize>,
    buyer_name: Option<usize>,
    address: Option<usize>,
    note: Option<usize>,
    paid_at: Option<usize>,
    shipped_at: Option<usize>,
    signed_at: Option<usize>,
    sku: Option<usize>,
    alt_sku: Option<usize>,
    title: Option<usize>,
    category: Option<usize>,
    quantity: Option<usize>,
    price: Option<usize>,
    paid_total: Option<usize>,
    exclusion: Option<usize>,
}

impl Mapping {
    fn new(headers: &[String], format: Format) -> Result<Mapping, ImportError> {
        let c = Columns::new(headers);
        let taobao_orders = c.has("订单编号") && c.has("买家会员名") && c.has("买家实际支付金额");
        let taobao_items = c.has("订单编号") && c.has("标题") && c.has("购买数量");
        let plain = c.find(&["order_no"]).is_some() || (c.has("订单编号") && c.has("单价") && c.has("数量"));
        let layout = match format {
            Format::Csv if plain => OrderLayout::Plain,
            Format::Taobao | Format::Auto if taobao_orders => OrderLayout::TaobaoOrders,
            Format::Taobao | Format::Auto if taobao_items => OrderLayout::TaobaoItems,
            Format::Auto if plain => OrderLayout::Plain,
            _ => {
                return Err(ImportError::Unreadable(
                    Message::new("import.error.unknown_orders_layout")
                        .with("found", headers.iter().take(8).cloned().collect::<Vec<_>>().join(", ")),
                ));
            }
        };
        Ok(Mapping {
            layout,
            order_no: c.find(&["order_no", "订单编号"]),
            buyer: c.find(&["buyer", "买家会员名"]),
            buyer_name: c.find(&["buyer_name", "收货人姓名"]),
            address: c.find(&["address", "收货地址"]),
            note: c.find(&["note", "订单备注", "备注"]),
            paid_at: c.find(&["paid_at", "订单付款时间", "付款时间"]),
            shipped_at: c.find(&["shipped_at", "发货时间"]),
            signed_at: c.find(&["signed_at", "签收时间", "确认收货时间"]),
            sku: c.find(&["sku", "商家编码", "外部系统编号"]),
            alt_sku: c.find(&["修改后的sku"]),
            title: c.find(&["title", "宝贝标题", "标题"]),
            category: c.find(&["category", "类目", "商品类目"]),
            quantity: c.find(&["quantity", "数量", "购买数量", "宝贝总数量"]),
            price: c.find(&["unit_price", "单价", "价格"]),
            paid_total: c.find(&["买家实际支付金额"]),
            exclusion: c.find(&["no_reason_exclusion", "无理由排除"]),
        })
    }

    fn missing_required(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        let need = |col: Option<usize>, name: &'static str, missing: &mut Vec<&'static str>| {
            if col.is_none() {
                missing.push(name);
            }
        };
        need(self.order_no, "order_no (订单编号)", &mut missing);
        match self.layout {
            OrderLayout::Plain => {
                need(self.buyer, "buyer (买家会员名)", &mut missing);
                need(self.sku, "sku (商家编码)", &mut missing);
                need(self.title, "title (宝贝标题)", &mut missing);
                need(self.quantity, "quantity (数量)", &mut missing);
                need(self.price, "unit_price (单价)", &mut missing);
            }
            OrderLayout::TaobaoOrders => {
                need(self.title, "宝贝标题", &mut missing);
                need(self.quantity, "宝贝总数量", &mut missing);
            }
            OrderLayout::TaobaoItems => need(self.price, "价格", &mut missing),
        }
        missing
    }

    fn record(&self, line: u64, cells: &[String], zone: Tz) -> Result<LineRecord, CellError> {
        let order_no = cell(cells, self.order_no).to_string();
        if order_no.is_empty() {
            return Err((Column::OrderNo, Message::new("import.row.empty")));
        }
        let title = cell(cells, self.title).to_string();
        let quantity = whole_number(cell(cells, self.quantity), Column::Quantity)?;
        let (sku, unit_price_fen) = match self.layout {
            OrderLayout::TaobaoOrders => {
                let paid = money(cell(cells, self.paid_total), Column::AmountPaid)?;
                let sku = optional(cell(cells, self.alt_sku)).unwrap_or_else(|| title.chars().take(100).collect());
                // Rounded up so that a full refund never exceeds the order's total.
                (sku, (paid + i64::from(quantity) - 1) / i64::from(quantity))
            }
            OrderLayout::TaobaoItems => {
                let sku = optional(cell(cells, self.sku)).unwrap_or_else(|| title.chars().take(100).collect());
                (sku, money(cell(cells, self.price), Column::Price)?)
            }
            OrderLayout::Plain => (
                cell(cells, self.sku).to_string(),
                money(cell(cells, self.price), Column::UnitPrice)?,
            ),
        };
        let time =
            |col: Option<usize>, column: Column| parse_local_time(cell(cells, col), zone).map_err(|e| (column, e));
        Ok(LineRecord {
            line,
            order_no,
            buyer: optional(cell(cells, self.buyer)),
            buyer_name: optional(cell(cells, self.buyer_name)),
            address: optional(cell(cells, self.address)),
            note: optional(cell(cells, self.note)),
            paid_at: time(self.paid_at, Column::PaidAt)?,
            shipped_at: time(self.shipped_at, Column::ShippedAt)?,
            signed_at: time(self.signed_at, Column::SignedAt)?,
            sku,
            title,
            category: cell(cells, self.category).to_string(),
            quantity,
            unit_price_fen,
            exclusion: optional(cell(cells, self.exclusion)).unwrap_or_else(|| "none".into()),
        })
    }
}

/// Collects rows while the table is read.
struct Collector {
    format: Format,
    zone: Tz,
    mapping: Option<Mapping>,
    records: Vec<LineRecord>,
    errors: Vec<RowError>,
}

impl RowSink for Collector {
    fn headers(&mut self, headers: &[String]) -> Result<(), ImportError> {
        let mapping = Mapping::new(headers, self.format)?;
        let missing = mapping.missing_required();
        if !missing.is_empty() {
            return Err(ImportError::Unreadable(
                Message::new("import.error.missing_columns").with("columns", missing.join(", ")),
            ));
        }
        self.mapping = Some(mapping);
        Ok(())
    }

    fn row(&mut self, line: u64, cells: &[String]) {
        let Some(mapping) = &self.mapping else { return };
        match mapping.record(line, cells, self.zone) {
            Ok(record) => self.records.push(record),
            Err((column, message)) => self.errors.push(RowError::in_column(line, column, message)),
        }
    }
}

/// The orders read from a file, checked and ready to write.
pub struct ParsedOrders {
    pub layout: OrderLayout,
    pub encoding: table::Encoding,
    records: Vec<LineRecord>,
    /// Orders in the file.
    pub orders: usize,
}

impl ParsedOrders {
    /// Rows read.
    pub fn rows(&self) -> usize {
        self.records.len()
    }
}

/// Reads and checks a whole file. Every bad row is reported with its line; with one or more,
/// nothing is returned to write.
pub fn parse(bytes: &[u8], format: Format, zone: Tz) -> Result<ParsedOrders, ImportError> {
    let mut collector = Collector {
        format,
        zone,
        mapping: None,
        records: Vec::new(),
        errors: Vec::new(),
    };
    let encoding = table::read_table(bytes, &mut collector)?;
    let layout = collector
        .mapping
        .as_ref()
        .map(|m| m.layout)
        .ok_or_else(|| ImportError::Unreadable(Message::new("import.error.no_header")))?;
    let mut errors = collector.errors;
    let records = collector.records;
    let orders = check_orders(&records, layout, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(errors));
    }
    if records.is_empty() {
        return Err(ImportError::Unreadable(Message::new("import.error.no_orders")));
    }
    Ok(ParsedOrders {
        layout,
        encoding,
        records,
        orders,
    })
}

/// Groups rows by order and checks each order as the API would (`orders::validate`), plus what
/// only a file can get wrong: one order's rows disagreeing about the buyer or the times.
fn check_orders(records: &[LineRecord], layout: OrderLayout, errors: &mut Vec<RowError>) -> usize {
    let mut by_order: HashMap<&str, Vec<&LineRecord>> = HashMap::new();
    for record in records {
        by_order.entry(record.order_no.as_str()).or_default().push(record);
    }
    for (order_no, rows) in &by_order {
        let first = rows[0];
        for row in &rows[1..] {
            if layout == OrderLayout::TaobaoOrders {
                errors.push(RowError::new(
                    row.line,
                    Message::new("import.row.order_twice")
                        .with("order_no", order_no)
                        .with("first", first.line),
                ));
                continue;
            }
            if row.buyer != first.buyer || row.paid_at != first.paid_at || row.signed_at != first.signed_at {
                errors.push(RowError::new(
                    row.line,
                    Message::new("import.row.order_differs")
                        .with("order_no", order_no)
                        .with("first", first.line),
                ));
            }
        }
        let input = OrderInput {
            buyer: first.buyer.clone().unwrap_or_else(|| {
                // The item report has no buyer: the order must exist already (checked on write).
                if layout == OrderLayout::TaobaoItems {
                    "-".into()
                } else {
                    String::new()
                }
            }),
            buyer_name: None,
            buyer_phone: None,
            buyer_address: None,
            paid_at: first.paid_at,
            shipped_at: first.shipped_at,
            signed_at: first.signed_at,
            note: None,
            lines: rows
                .iter()
                .map(|r| OrderLineInput {
                    sku: r.sku.clone(),
                    title: r.title.clone(),
                    category: r.category.clone(),
                    quantity: r.quantity,
                    unit_price_fen: r.unit_price_fen,
                    no_reason_exclusion: Some(r.exclusion.clone()),
                    signed_at: None,
                })
                .collect(),
        };
        if let Err((field, message)) = crate::orders::validate(order_no, &input) {
            let line = field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| rows.get(i))
                .map(|r| r.line)
                .unwrap_or(first.line);
            let column = field.rsplit('.').next().unwrap_or(&field).to_string();
            errors.push(RowError::new(
                line,
                Message::new("import.row.order_invalid")
                    .with("order_no", order_no)
                    .with("field", column)
                    .with("problem", message),
            ));
        }
    }
    by_order.len()
}

/// Writes parsed orders for `shop` in one transaction; with `dry_run`, checks against the
/// database (item report: do the orders exist?) and rolls back. `cancel` is asked after every
/// batch and statement: a cancelled import rolls back whole.
pub async fn write(
    pool: &PgPool,
    shop: ShopId,
    parsed: &ParsedOrders,
    dry_run: bool,
    progress: ProgressFn<'_>,
    cancel: &Cancel,
) -> Result<ImportSummary, ImportError> {
    let mut tx = pool.begin().await?;
    // The rows wait in `import_lines` under this import's batch number, inside this transaction
    // (migration `…180`): every statement below names the shop and the batch.
    let batch: i64 = sqlx::query_scalar("SELECT nextval('import_lines_batch_seq')")
        .fetch_one(&mut *tx)
        .await?;
    let total = parsed.records.len() as u64;
    let mut done = 0u64;
    for chunk in parsed.records.chunks(COPY_CHUNK) {
        let data = copy_rows(shop, batch, chunk)?;
        let mut copy = tx
            .copy_in_raw(
                "COPY import_lines (shop_id, batch, line, order_no, buyer, buyer_name, address, note, paid_at,
                                    shipped_at, signed_at, sku, title, category, quantity, unit_price_fen, exclusion)
                 FROM STDIN (FORMAT csv)",
            )
            .await?;
        copy.send(data).await?;
        copy.finish().await?;
        done += chunk.len() as u64;
        progress(Progress {
            done,
            total,
            phase: "write",
        });
        cancel.check()?;
    }

    if parsed.layout == OrderLayout::TaobaoItems {
        let unknown: Vec<(i64, String)> = sqlx::query_as(
            "SELECT min(i.line), i.order_no FROM import_lines i
             WHERE i.shop_id = $1 AND i.batch = $2
               AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = $1 AND o.order_no = i.order_no)
             GROUP BY i.order_no ORDER BY 1 LIMIT 1000",
        )
        .bind(shop)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        if !unknown.is_empty() {
            return Err(ImportError::Rows(
                unknown
                    .into_iter()
                    .map(|(line, order_no)| {
                        RowError::new(
                            u64::try_from(line).unwrap_or(0),
                            Message::new("import.row.order_unknown_items").with("order_no", order_no),
                        )
                    })
                    .collect(),
            ));
        }
    }

    let mut summary = ImportSummary {
        layout: parsed.layout.as_str().into(),
        encoding: parsed.encoding.as_str().into(),
        rows: total,
        dry_run,
        ..ImportSummary::default()
    };
    if parsed.layout != OrderLayout::TaobaoItems {
        sqlx::query(
            "INSERT INTO customers (shop_id, nick, name, address)
             SELECT DISTINCT ON (buyer) $1, buyer, buyer_name, address FROM import_lines
             WHERE shop_id = $1 AND batch = $2
             ORDER BY buyer, line
             ON CONFLICT (shop_id, nick) DO UPDATE SET
                name = COALESCE(EXCLUDED.name, customers.name), address = COALESCE(EXCLUDED.address, customers.address)
             WHERE (customers.name, customers.address) IS DISTINCT FROM
                   (COALESCE(EXCLUDED.name, customers.name), COALESCE(EXCLUDED.address, customers.address))",
        )
        .bind(shop)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        let written: Vec<bool> = sqlx::query_scalar(
            "INSERT INTO orders (shop_id, order_no, customer_id, paid_at, shipped_at, signed_at, note)
             SELECT DISTINCT ON (i.order_no) $1, i.order_no, c.id, i.paid_at, i.shipped_at, i.signed_at, i.note
             FROM import_lines i JOIN customers c ON c.shop_id = i.shop_id AND c.nick = i.buyer
             WHERE i.shop_id = $1 AND i.batch = $2
             ORDER BY i.order_no, i.line
             ON CONFLICT (shop_id, order_no) DO UPDATE SET
                customer_id = EXCLUDED.customer_id, paid_at = EXCLUDED.paid_at, shipped_at = EXCLUDED.shipped_at,
                signed_at = EXCLUDED.signed_at, note = EXCLUDED.note, updated_at = EXCLUDED.updated_at
             WHERE (orders.customer_id, orders.paid_at, orders.shipped_at, orders.signed_at, orders.note)
                   IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.paid_at, EXCLUDED.shipped_at, EXCLUDED.signed_at, EXCLUDED.note)
             RETURNING (xmax = 0)",
        )
        .bind(shop)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        summary.orders_created = written.iter().filter(|new| **new).count() as u64;
        summary.orders_updated = written.len() as u64 - summary.orders_created;
        summary.orders_unchanged = (parsed.orders as u64).saturating_sub(written.len() as u64);
    } else {
        summary.orders_unchanged = parsed.orders as u64;
    }

    cancel.check()?;
    // The order report's one line per order only fills an order without lines; the other
    // layouts give an order's complete lines, which replace the stored ones.
    if parsed.layout != OrderLayout::TaobaoOrders {
        let removed = sqlx::query(
            "DELETE FROM order_lines l USING orders o
             WHERE o.shop_id = $1 AND l.shop_id = o.shop_id AND l.order_id = o.id
               AND o.order_no IN (SELECT order_no FROM import_lines WHERE shop_id = $1 AND batch = $2)
               AND NOT EXISTS (SELECT 1 FROM import_lines i
                               WHERE i.shop_id = $1 AND i.batch = $2 AND i.order_no = o.order_no AND i.sku = l.sku)
               AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.shop_id = l.shop_id AND t.order_id = l.order_id AND t.sku = l.sku)",
        )
        .bind(shop)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        summary.lines_removed = removed.rows_affected();
    }
    cancel.check()?;
    // Counted from RETURNING, not the command's count: on Citus an INSERT … SELECT run through
    // the coordinator reports the rows selected, those left as they were included.
    let written: i64 = sqlx::query_scalar(
        "WITH written AS (
         INSERT INTO order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen, no_reason_exclusion)
         SELECT $1, o.id, i.sku, i.title, COALESCE(i.category, ''), i.quantity, i.unit_price_fen, i.exclusion
         FROM import_lines i JOIN orders o ON o.shop_id = i.shop_id AND o.order_no = i.order_no
         WHERE i.shop_id = $1 AND i.batch = $3
           AND (NOT $2::boolean OR NOT EXISTS (SELECT 1 FROM order_lines x WHERE x.shop_id = $1 AND x.order_id = o.id))
         ON CONFLICT (shop_id, order_id, sku) DO UPDATE SET
            title = EXCLUDED.title, category = EXCLUDED.category, quantity = EXCLUDED.quantity,
            unit_price_fen = EXCLUDED.unit_price_fen, no_reason_exclusion = EXCLUDED.no_reason_exclusion
         WHERE (order_lines.title, order_lines.category, order_lines.quantity, order_lines.unit_price_fen,
                order_lines.no_reason_exclusion)
               IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.category, EXCLUDED.quantity, EXCLUDED.unit_price_fen,
                                 EXCLUDED.no_reason_exclusion)
         RETURNING 1)
         SELECT count(*) FROM written",
    )
    .bind(shop)
    .bind(parsed.layout == OrderLayout::TaobaoOrders)
    .bind(batch)
    .fetch_one(&mut *tx)
    .await?;
    summary.lines_written = written as u64;
    cancel.check()?;
    sqlx::query("DELETE FROM import_lines WHERE shop_id = $1 AND batch = $2")
        .bind(shop)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(summary)
}

/// One chunk of rows as CSV for `COPY … (FORMAT csv)`: an unquoted empty field is NULL.
fn copy_rows(shop: ShopId, batch: i64, rows: &[LineRecord]) -> Result<Vec<u8>, ImportError> {
    let (shop, batch) = (shop.0.to_string(), batch.to_string());
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let time = |at: Option<DateTime<Utc>>| at.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in rows {
        writer
            .write_record([
                shop.as_str(),
                batch.as_str(),
                r.line.to_string().as_str(),
                &r.order_no,
                r.buyer.as_deref().unwrap_or(""),
                r.buyer_name.as_deref().unwrap_or(""),
                r.address.as_deref().unwrap_or(""),
                r.note.as_deref().unwrap_or(""),
                &time(r.paid_at),
                &time(r.shipped_at),
                &time(r.signed_at),
                &r.sku,
                &r.title,
                &r.category,
                &r.quantity.to_string(),
                &r.unit_price_fen.to_string(),
                &r.exclusion,
            ])
            .map_err(|e| ImportError::Refused(Message::new("import.error.prepare").with("error", e)))?;
    }
    writer
        .into_inner()
        .map_err(|e| ImportError::Refused(Message::new("import.error.prepare").with("error", e)))
}

/// Reads, checks and writes a file in one go.
pub async fn import(
    pool: &PgPool,
    shop: ShopId,
    zone: Tz,
    bytes: &[u8],
    format: Format,
    dry_run: bool,
    progress: ProgressFn<'_>,
) -> Result<ImportSummary, ImportError> {
    progress(Progress {
        done: 0,
        total: 0,
        phase: "read",
    });
    let parsed = parse(bytes, format, zone)?;
    write(pool, shop, &parsed, dry_run, progress, &Cancel::never()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_shop_zone() {
        let zone = chrono_tz::Asia::Shanghai;
        let at = parse_local_time("2025-03-10 15:20:00", zone).expect("parses");
        assert_eq!(at.map(|a| a.to_rfc3339()), Some("2025-03-10T07:20:00+00:00".into()));
        assert_eq!(parse_local_time("", zone), Ok(None));
        assert_eq!(parse_local_time("0000-00-00 00:00:00", zone), Ok(None));
        assert!(parse_local_time("yesterday", zone).is_err());
    }

    #[test]
    fn money_in_yuan_becomes_fen() {
        assert_eq!(money("64.00", Column::Price), Ok(6400));
        assert_eq!(money("0.5", Column::Price), Ok(50));
        assert!(money("1.234", Column::Price).is_err());
    }
}
