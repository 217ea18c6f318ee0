//! Orders and their lines, and the buyers who placed them. Owns `orders`, `order_lines` and
//! `customers`. Orders arrive by upsert (API now, file import later): the marketplace's order
//! number is the key, so sending an order twice changes nothing.

pub mod api;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor, PgPool, Postgres, Transaction};
use utoipa::ToSchema;

use crate::db::batch::Read;
use crate::ids::{CustomerId, OrderId, ShopId};
use crate::money::Fen;
use crate::rules::seven_day::NoReasonExclusion;

/// An order as sent to `PUT /api/v1/shops/{shop}/orders/{order_no}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// The buyer's member name (会员名).
    #[schema(min_length = 1, example = "tb_lily2024")]
    pub buyer: String,
    #[serde(default)]
    pub buyer_name: Option<String>,
    #[serde(default)]
    pub buyer_phone: Option<String>,
    #[serde(default)]
    pub buyer_address: Option<String>,
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When the buyer signed for the parcel; a line may carry its own.
    #[serde(default)]
    pub signed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: Option<String>,
    #[schema(min_items = 1)]
    pub lines: Vec<OrderLineInput>,
}

/// One line of an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineInput {
    #[schema(min_length = 1, example = "TS-WHITE-L")]
    pub sku: String,
    #[schema(min_length = 1, example = "纯棉短袖T恤 白色 L")]
    pub title: String,
    #[serde(default)]
    #[schema(example = "服装")]
    pub category: String,
    #[schema(minimum = 1)]
    pub quantity: i32,
    #[schema(minimum = 0)]
    pub unit_price_fen: i64,
    /// `none` (default), `custom_made`, `perishable`, `digital_unsealed`, `periodical` or
    /// `confirmed_at_purchase`. A seller's own "not supported" label is not an exclusion.
    #[serde(default)]
    #[schema(example = "none")]
    pub no_reason_exclusion: Option<String>,
    #[serde(default)]
    pub signed_at: Option<DateTime<Utc>>,
}

/// An order as stored.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Order {
    #[schema(value_type = i64)]
    pub id: OrderId,
    pub order_no: String,
    pub buyer: String,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// A line as stored.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct OrderLine {
    pub sku: String,
    pub title: String,
    pub category: String,
    pub quantity: i32,
    pub unit_price_fen: i64,
    pub no_reason_exclusion: String,
    /// The line's own sign time, else the order's.
    pub signed_at: Option<DateTime<Utc>>,
}

impl OrderLine {
    /// The line's amount; `None` if a stored row is too large to multiply out (rows written
    /// before amounts were range-checked at the edge).
    pub fn amount(&self) -> Option<Fen> {
        self.unit_price_fen.checked_mul(i64::from(self.quantity)).map(Fen)
    }

    /// The parsed exclusion (stored values are checked by the database).
    pub fn exclusion(&self) -> NoReasonExclusion {
        NoReasonExclusion::parse(&self.no_reason_exclusion).unwrap_or(NoReasonExclusion::None)
    }
}

impl Order {
    /// The line with `sku`.
    pub fn line(&self, sku: &str) -> Option<&OrderLine> {
        self.lines.iter().find(|l| l.sku == sku)
    }

    /// What the buyer paid for the whole order; `None` if it does not fit in an `i64` of fen.
    pub fn total(&self) -> Option<Fen> {
        self.lines
            .iter()
            .try_fold(0i64, |sum, line| sum.checked_add(line.amount()?.0))
            .map(Fen)
    }
}

/// Checks an order; the error names the field. Amounts and times are range-checked here
/// ([`crate::edge`]): each price, line and the order's total at most ¥100,000,000.00, each time
/// in the years 2000–2100.
pub fn validate(order_no: &str, input: &OrderInput) -> Result<(), (String, String)> {
    let field = |f: &str| f.to_string();
    for (name, at) in [
        ("paid_at", input.paid_at),
        ("shipped_at", input.shipped_at),
        ("signed_at", input.signed_at),
    ] {
        if let Some(at) = at {
            crate::edge::instant(at).map_err(|message| (field(name), message))?;
        }
    }
    let mut total = Fen(0);
    if order_no.trim().is_empty() || order_no.len() > 64 {
        return Err((
            field("order_no"),
            "give the marketplace order number (1–64 characters)".into(),
        ));
    }
    if input.buyer.trim().is_empty() || input.buyer.chars().count() > 100 {
        return Err((field("buyer"), "give the buyer's member name (1–100 characters)".into()));
    }
    if input.lines.is_empty() {
        return Err((field("lines"), "an order needs at least one line".into()));
    }
    let mut skus = std::collections::HashSet::new();
    for (i, line) in input.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        if line.sku.trim().is_empty() || line.sku.len() > 100 {
            return Err((at("sku"), "give the SKU (1–100 characters)".into()));
        }
        if !skus.insert(line.sku.trim()) {
            return Err((
                at("sku"),
                format!("the SKU `{}` appears twice; one line per SKU", line.sku),
            ));
        }
        if line.title.trim().is_empty() {
            return Err((at("title"), "give the item title".into()));
        }
        if line.quantity < 1 {
            return Err((at("quantity"), "the quantity is at least 1".into()));
        }
        if line.unit_price_fen < 0 {
            return Err((at("unit_price_fen"), "the price in fen cannot be negative".into()));
        }
        crate::edge::amount(line.unit_price_fen).map_err(|message| (at("unit_price_fen"), message))?;
        let amount = crate::edge::line_amount(line.unit_price_fen, line.quantity)
            .map_err(|message| (at("quantity"), message))?;
        total = Fen(total.0.saturating_add(amount.0));
        if let Some(signed_at) = line.signed_at {
            crate::edge::instant(signed_at).map_err(|message| (at("signed_at"), message))?;
        }
        if let Some(ex) = &line.no_reason_exclusion
            && NoReasonExclusion::parse(ex).is_none()
        {
            return Err((
                at("no_reason_exclusion"),
                format!(
                    "`{ex}` is not an exclusion; use none, custom_made, perishable, digital_unsealed, periodical \
                     or confirmed_at_purchase (a seller's own label is not an exclusion)"
                ),
            ));
        }
    }
    crate::edge::amount(total.0).map_err(|message| (field("lines"), format!("the order's total {message}")))?;
    Ok(())
}

/// Finds or creates the buyer, updating contact details that are given.
pub async fn upsert_customer(
    tx: &mut Transaction<'_, Postgres>,
    shop: ShopId,
    nick: &str,
    name: Option<&str>,
    phone: Option<&str>,
    address: Option<&str>,
) -> sqlx::Result<CustomerId> {
    sqlx::query_scalar(
        "INSERT INTO customers (shop_id, nick, name, phone, address) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (shop_id, nick) DO UPDATE SET
            name = COALESCE(EXCLUDED.name, customers.name),
            phone = COALESCE(EXCLUDED.phone, customers.phone),
            address = COALESCE(EXCLUDED.address, customers.address)
         RETURNING id",
    )
    .bind(shop)
    .bind(nick.trim())
    .bind(name)
    .bind(phone)
    .bind(address)
    .fetch_one(&mut **tx)
    .await
}

/// Inserts or replaces an order and its lines in one transaction. Returns the order and whether
/// it was new.
pub async fn upsert(pool: &PgPool, shop: ShopId, order_no: &str, input: &OrderInput) -> sqlx::Result<(Order, bool)> {
    let mut tx = pool.begin().await?;
    let customer = upsert_customer(
        &mut tx,
        shop,
        &input.buyer,
        input.buyer_name.as_deref(),
        input.buyer_phone.as_deref(),
        input.buyer_address.as_deref(),
    )
    .await?;
    let (order_id, created): (OrderId, bool) = sqlx::query_as(
        "INSERT INTO orders (shop_id, order_no, customer_id, paid_at, shipped_at, signed_at, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (shop_id, order_no) DO UPDATE SET
            customer_id = EXCLUDED.customer_id, paid_at = EXCLUDED.paid_at, shipped_at = EXCLUDED.shipped_at,
            signed_at = EXCLUDED.signed_at, note = EXCLUDED.note, updated_at = EXCLUDED.updated_at
         RETURNING id, (xmax = 0)",
    )
    .bind(shop)
    .bind(order_no.trim())
    .bind(customer)
    .bind(input.paid_at)
    .bind(input.shipped_at)
    .bind(input.signed_at)
    .bind(&input.note)
    .fetch_one(&mut *tx)
    .await?;
    let skus: Vec<String> = input.lines.iter().map(|l| l.sku.trim().to_string()).collect();
    sqlx::query("DELETE FROM order_lines WHERE shop_id = $1 AND order_id = $2 AND sku <> ALL($3)")
        .bind(shop)
        .bind(order_id)
        .bind(&skus)
        .execute(&mut *tx)
        .await?;
    for line in &input.lines {
        sqlx::query(
            "INSERT INTO order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen,
                                      no_reason_exclusion, signed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (shop_id, order_id, sku) DO UPDATE SET
                title = EXCLUDED.title, category = EXCLUDED.category, quantity = EXCLUDED.quantity,
                unit_price_fen = EXCLUDED.unit_price_fen, no_reason_exclusion = EXCLUDED.no_reason_exclusion,
                signed_at = EXCLUDED.signed_at",
        )
        .bind(shop)
        .bind(order_id)
        .bind(line.sku.trim())
        .bind(line.title.trim())
        .bind(line.category.trim())
        .bind(line.quantity)
        .bind(line.unit_price_fen)
        .bind(line.no_reason_exclusion.as_deref().unwrap_or("none"))
        .bind(line.signed_at)
        .execute(&mut *tx)
        .await?;
    }
    let order = find_in(&mut tx, shop, order_no.trim())
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok((order, created))
}

#[derive(FromRow, Deserialize)]
struct OrderRow {
    id: OrderId,
    order_no: String,
    buyer: String,
    customer_id: CustomerId,
    paid_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    signed_at: Option<DateTime<Utc>>,
    note: Option<String>,
}

async fn find_in(tx: &mut Transaction<'_, Postgres>, shop: ShopId, order_no: &str) -> sqlx::Result<Option<Order>> {
    find_with(tx, shop, order_no).await
}

/// An order by its marketplace number, with its lines.
pub async fn find(pool: &PgPool, shop: ShopId, order_no: &str) -> sqlx::Result<Option<Order>> {
    let mut conn = pool.acquire().await?;
    find_with(&mut conn, shop, order_no).await
}

/// [`find`] on the caller's connection (inside its transaction). One statement: the order with
/// its lines (by SKU) gathered into arrays.
pub async fn find_with(conn: &mut sqlx::PgConnection, shop: ShopId, order_no: &str) -> sqlx::Result<Option<Order>> {
    let row = with_lines(shop, order_no.to_string()).optional(&mut *conn).await?;
    Ok(row.map(OrderWithLines::into_order))
}

/// The read of [`find_with`], for a [`crate::db::batch::Batch`] (the ticket page's).
pub fn with_lines(shop: ShopId, order_no: String) -> Read<OrderWithLines> {
    Read::new(
        "SELECT o.id, o.order_no, c.nick AS buyer, o.customer_id, o.paid_at, o.shipped_at, o.signed_at, o.note,
                l.skus, l.titles, l.categories, l.quantities, l.unit_prices_fen, l.exclusions, l.signed
         FROM orders o JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
         CROSS JOIN LATERAL (
             SELECT array_agg(l.sku ORDER BY l.sku) AS skus,
                    array_agg(l.title ORDER BY l.sku) AS titles,
                    array_agg(l.category ORDER BY l.sku) AS categories,
                    array_agg(l.quantity ORDER BY l.sku) AS quantities,
                    array_agg(l.unit_price_fen ORDER BY l.sku) AS unit_prices_fen,
                    array_agg(l.no_reason_exclusion ORDER BY l.sku) AS exclusions,
                    array_agg(COALESCE(l.signed_at, o.signed_at) ORDER BY l.sku) AS signed
             FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id) AS l
         WHERE o.shop_id = $1 AND o.order_no = $2",
    )
    .bind(shop)
    .bind(order_no)
}

/// An order's row with its lines as parallel arrays (each `None` when it has no lines).
#[derive(FromRow, Deserialize)]
pub struct OrderWithLines {
    #[sqlx(flatten)]
    #[serde(flatten)]
    order: OrderRow,
    skus: Option<Vec<String>>,
    titles: Option<Vec<String>>,
    categories: Option<Vec<String>>,
    quantities: Option<Vec<i32>>,
    unit_prices_fen: Option<Vec<i64>>,
    exclusions: Option<Vec<String>>,
    signed: Option<Vec<Option<DateTime<Utc>>>>,
}

impl OrderWithLines {
    pub fn into_order(self) -> Order {
        let lines = self
            .skus
            .unwrap_or_default()
            .into_iter()
            .zip(self.titles.unwrap_or_default())
            .zip(self.categories.unwrap_or_default())
            .zip(self.quantities.unwrap_or_default())
            .zip(self.unit_prices_fen.unwrap_or_default())
            .zip(self.exclusions.unwrap_or_default())
            .zip(self.signed.unwrap_or_default())
            .map(
                |((((((sku, title), category), quantity), unit_price_fen), no_reason_exclusion), signed_at)| {
                    OrderLine {
                        sku,
                        title,
                        category,
                        quantity,
                        unit_price_fen,
                        no_reason_exclusion,
                        signed_at,
                    }
                },
            )
            .collect();
        let row = self.order;
        Order {
            id: row.id,
            order_no: row.order_no,
            buyer: row.buyer,
            customer_id: row.customer_id,
            paid_at: row.paid_at,
            shipped_at: row.shipped_at,
            signed_at: row.signed_at,
            note: row.note,
            lines,
        }
    }
}

/// A buyer's contact details.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Contact {
    pub nick: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

impl Contact {
    /// The same details, masked (for roles that do not contact buyers).
    pub fn masked(&self) -> Contact {
        Contact {
            nick: self.nick.clone(),
            name: self.name.as_deref().map(crate::privacy::mask_name),
            phone: self.phone.as_deref().map(crate::privacy::mask_phone),
            address: self.address.as_deref().map(crate::privacy::mask_address),
        }
    }
}

/// A buyer's contact details.
pub async fn contact(db: impl PgExecutor<'_>, shop: ShopId, customer: CustomerId) -> sqlx::Result<Option<Contact>> {
    contact_of(shop, customer).optional(db).await
}

/// A buyer's contact details.
pub fn contact_of(shop: ShopId, customer: CustomerId) -> Read<Contact> {
    Read::new("SELECT nick, name, phone, address FROM customers WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(customer)
}
