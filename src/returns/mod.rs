//! Goods after the sale: a returned parcel received into the returns warehouse (退货入库, per
//! line good / defective / missing with the inspection photos), reships (补发) and intercepts
//! (拦截) of a ticket, the returns stock per SKU over a period, and parcels that came back
//! without a ticket (无主件) until they are matched to one by tracking number. Owns
//! `return_receipts`, `reships`, `intercepts` and `unclaimed_parcels`. The checks are
//! `rules::stock`'s; each action is one transaction with its timeline event
//! (`EventData::Stock`). JSON API `api.rs`, pages `page.rs`.

pub mod api;
pub mod page;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId, UserId};
use crate::rules::shipment::{Carrier, TrackingError, TrackingNo};
use crate::rules::stock::{self, InterceptOutcome, ReceiptSplit, ReshipReason};
use crate::rules::workflow::TicketKind;
use crate::tickets::events::StockEvent;
use crate::tickets::{EventData, Ticket, TicketError, repo, service};

/// Why a goods action did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum GoodsError {
    /// The ticket is not found or not the user's, the role may not, or a field.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// Only a return or an exchange brings goods back.
    #[error("only a return or an exchange is received into stock")]
    NotAReturn,
    /// No such intercept on this ticket, or no such parcel in the shop.
    #[error("not found")]
    NotFound,
    /// The intercept cannot move to that outcome from where it is.
    #[error("the intercept is `{}` and cannot become `{}`", .from.as_str(), .to.as_str())]
    Outcome {
        from: InterceptOutcome,
        to: InterceptOutcome,
    },
    /// The parcel was already matched to a ticket.
    #[error("the parcel was already matched to ticket {0}")]
    AlreadyMatched(TicketId),
}

impl From<sqlx::Error> for GoodsError {
    fn from(error: sqlx::Error) -> GoodsError {
        GoodsError::Ticket(TicketError::Storage(error))
    }
}

impl From<crate::auth::Denied> for GoodsError {
    fn from(denied: crate::auth::Denied) -> GoodsError {
        GoodsError::Ticket(TicketError::Forbidden(denied))
    }
}

impl From<FieldError> for GoodsError {
    fn from(error: FieldError) -> GoodsError {
        GoodsError::Ticket(TicketError::Invalid(error))
    }
}

impl GoodsError {
    /// The catalogue key of what is said when it is not about a field.
    pub fn message_key(&self) -> Option<&'static str> {
        match self {
            GoodsError::NotAReturn => Some("stock.error.not_a_return"),
            GoodsError::Outcome { .. } => Some("stock.error.outcome"),
            GoodsError::AlreadyMatched(_) => Some("stock.error.already_matched"),
            _ => None,
        }
    }
}

/// The longest note or description kept.
const TEXT_CHARS: usize = 500;

fn checked_text(field: &'static str, text: Option<String>) -> Result<String, FieldError> {
    let text = text.unwrap_or_default().trim().to_string();
    if text.chars().count() > TEXT_CHARS {
        return Err(FieldError::new(field, "stock.error.too_long").with("max", TEXT_CHARS));
    }
    Ok(text)
}

fn checked_tracking(carrier: Option<Carrier>, tracking_no: &str) -> Result<(Carrier, String), FieldError> {
    let carrier = carrier.ok_or_else(|| FieldError::new("carrier", "goods.invalid.carrier_missing"))?;
    let number = TrackingNo::parse(carrier, tracking_no).map_err(|error| match error {
        TrackingError::Missing => FieldError::new("tracking_no", "goods.invalid.tracking_missing"),
        TrackingError::Shape(carrier) => FieldError::new("tracking_no", carrier.shape_key()),
    })?;
    Ok((carrier, number.into_string()))
}

async fn record_event(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    event: StockEvent,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    repo::append_event(
        &mut *tx,
        ticket.shop_id,
        ticket.id,
        now,
        Some(user.id),
        &EventData::Stock(event),
    )
    .await
}

/// The order line `sku` of the ticket's order, with what it sold.
async fn sold(tx: &mut sqlx::PgConnection, ticket: &Ticket, sku: &str) -> Result<i32, GoodsError> {
    let order = crate::orders::find_with(&mut *tx, ticket.shop_id, &ticket.order_no).await?;
    order
        .as_ref()
        .and_then(|o| o.line(sku))
        .map(|line| line.quantity)
        .ok_or_else(|| FieldError::new("sku", "stock.error.no_such_line").into())
}

// ---- receipts ----

/// What arrived of one line of a return or exchange.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReceipt {
    /// The order line (商品编码); the ticket's own line when left out.
    #[serde(default)]
    pub sku: Option<String>,
    /// How many the buyer returned (at most what the line sold).
    pub returned: i32,
    pub good: i32,
    pub defective: i32,
    #[serde(default)]
    pub missing: i32,
    /// Images among the ticket's evidence (their ids), the inspection photos.
    #[serde(default)]
    pub photos: Vec<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A line as it arrived.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Receipt {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub sku: String,
    pub returned: i32,
    pub good: i32,
    pub defective: i32,
    pub missing: i32,
    pub photos: Vec<i64>,
    pub note: String,
    #[schema(value_type = i64)]
    pub received_by: UserId,
    pub receiver: String,
    pub received_at: DateTime<Utc>,
}

/// Records what arrived of one line of a return or exchange (whoever works tickets). Receiving
/// the same line again corrects the receipt, which keeps when and by whom it was first received
/// (so it stays in its period); the timeline keeps both.
pub async fn receive(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewReceipt,
    now: DateTime<Utc>,
) -> Result<(Ticket, Receipt), GoodsError> {
    user.require(Action::WorkTickets)?;
    let note = checked_text("note", input.note)?;
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    if !matches!(ticket.kind(), TicketKind::Return | TicketKind::Exchange) {
        return Err(GoodsError::NotAReturn);
    }
    let sku = input
        .sku
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| ticket.sku.clone())
        .ok_or_else(|| FieldError::new("sku", "stock.error.pick_line"))?;
    let sold = sold(&mut tx, &ticket, &sku).await?;
    let split = stock::check_split(
        ReceiptSplit {
            returned: input.returned,
            good: input.good,
            defective: input.defective,
            missing: input.missing,
        },
        sold,
    )
    .map_err(|error| FieldError::new(error.field(), error.message_key()).with("sold", sold))?;
    let photos = crate::evidence::images_of(&mut tx, ticket.shop_id, ticket.id, &input.photos).await?;
    if photos.len() != input.photos.len() {
        return Err(FieldError::new("photos", "stock.error.photo_not_on_ticket").into());
    }
    let photo_ids: Vec<i64> = photos.iter().map(|(id, _)| *id).collect();
    let receipt_id: i64 = sqlx::query_scalar(
        "INSERT INTO return_receipts (shop_id, ticket_id, sku, returned, good, defective, missing, photos, note,
                                      received_by, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (shop_id, ticket_id, sku) DO UPDATE SET returned = EXCLUDED.returned, good = EXCLUDED.good,
             defective = EXCLUDED.defective, missing = EXCLUDED.missing, photos = EXCLUDED.photos,
             note = EXCLUDED.note
         RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(&sku)
    .bind(split.returned)
    .bind(split.good)
    .bind(split.defective)
    .bind(split.missing)
    .bind(&photo_ids)
    .bind(&note)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = StockEvent::Received {
        sku: sku.clone(),
        returned: split.returned,
        good: split.good,
        defective: split.defective,
        missing: split.missing,
        photos: photos.len(),
        note: Some(note).filter(|n| !n.is_empty()),
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let receipt = receipts(ticket.shop_id, ticket.id)
        .all(&mut *tx)
        .await?
        .into_iter()
        .find(|r| r.id == receipt_id)
        .ok_or(GoodsError::NotFound)?;
    tx.commit().await?;
    Ok((ticket, receipt))
}

/// A ticket's receipts, by line.
pub fn receipts(shop: ShopId, ticket: TicketId) -> Read<Receipt> {
    Read::new(
        "SELECT r.id, r.ticket_id, r.sku, r.returned, r.good, r.defective, r.missing, r.photos, r.note,
                r.received_by, u.display_name AS receiver, r.received_at
         FROM return_receipts r JOIN users u ON u.id = r.received_by
         WHERE r.shop_id = $1 AND r.ticket_id = $2 ORDER BY r.sku",
    )
    .bind(shop)
    .bind(ticket)
}

/// One SKU of the returns stock over a period.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct StockRow {
    pub sku: String,
    /// The line's title (the newest order's).
    pub title: String,
    /// Tickets whose returns were received.
    pub tickets: i64,
    pub returned: i64,
    pub good: i64,
    pub defective: i64,
    pub missing: i64,
}

/// What came back per SKU, received in `[from, to)`, most received first.
pub async fn stock(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<StockRow>> {
    sqlx::query_as(
        "SELECT r.sku,
                COALESCE((SELECT l.title FROM order_lines l WHERE l.shop_id = r.shop_id AND l.sku = r.sku
                          ORDER BY l.order_id DESC LIMIT 1), '') AS title,
                count(DISTINCT r.ticket_id) AS tickets, sum(r.returned)::bigint AS returned,
                sum(r.good)::bigint AS good, sum(r.defective)::bigint AS defective, sum(r.missing)::bigint AS missing
         FROM return_receipts r
         WHERE r.shop_id = $1 AND r.received_at >= $2 AND r.received_at < $3
         GROUP BY r.shop_id, r.sku ORDER BY sum(r.returned) DESC, r.sku",
    )
    .bind(shop)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

// ---- reships ----

/// An item sent again.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReship {
    /// `wrong_item`, `missing_item`, `damaged` or `defective`.
    #[schema(value_type = String, example = "missing_item")]
    pub reason: ReshipReason,
    /// The order line sent again; the ticket's own line when left out.
    #[serde(default)]
    pub sku: Option<String>,
    pub quantity: i32,
    /// `sf`, `zto`, … (as the return's shipment).
    #[schema(value_type = String, example = "sf")]
    pub carrier: Carrier,
    pub tracking_no: String,
    /// What it cost the shop (goods and postage), in fen.
    pub cost_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// A reship as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Reship {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub reason: String,
    pub sku: String,
    pub quantity: i32,
    pub carrier: String,
    pub tracking_no: String,
    pub cost_fen: i64,
    pub note: String,
    pub shipper: String,
    pub shipped_at: DateTime<Utc>,
}

/// Records a reship on ticket `id` (whoever works tickets): what was sent, how, and its cost.
pub async fn reship(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewReship,
    now: DateTime<Utc>,
) -> Result<(Ticket, Reship), GoodsError> {
    user.require(Action::WorkTickets)?;
    let note = checked_text("note", input.note)?;
    let (carrier, tracking_no) = checked_tracking(Some(input.carrier), &input.tracking_no)?;
    if !(0..=crate::rules::compensation::MAX_LIMIT_FEN).contains(&input.cost_fen) {
        return Err(FieldError::new("cost_fen", "stock.error.cost_range").into());
    }
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let sku = input
        .sku
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| ticket.sku.clone())
        .ok_or_else(|| FieldError::new("sku", "stock.error.pick_line"))?;
    let sold = sold(&mut tx, &ticket, &sku).await?;
    if input.quantity < 1 || input.quantity > sold.max(1) {
        return Err(FieldError::new("quantity", "stock.error.quantity_range")
            .with("sold", sold)
            .into());
    }
    let reship_id: i64 = sqlx::query_scalar(
        "INSERT INTO reships (shop_id, ticket_id, reason, sku, quantity, carrier, tracking_no, cost_fen, note,
                              shipped_by, shipped_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(input.reason.as_str())
    .bind(&sku)
    .bind(input.quantity)
    .bind(carrier.as_str())
    .bind(&tracking_no)
    .bind(input.cost_fen)
    .bind(&note)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = StockEvent::Reshipped {
        reason: input.reason,
        sku,
        quantity: input.quantity,
        carrier,
        tracking_no,
        cost_fen: input.cost_fen,
        note: Some(note).filter(|n| !n.is_empty()),
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let reship = reships(ticket.shop_id, ticket.id)
        .all(&mut *tx)
        .await?
        .into_iter()
        .find(|r| r.id == reship_id)
        .ok_or(GoodsError::NotFound)?;
    tx.commit().await?;
    Ok((ticket, reship))
}

/// A ticket's reships, oldest first.
pub fn reships(shop: ShopId, ticket: TicketId) -> Read<Reship> {
    Read::new(
        "SELECT r.id, r.ticket_id, r.reason, r.sku, r.quantity, r.carrier, r.tracking_no, r.cost_fen, r.note,
                u.display_name AS shipper, r.shipped_at
         FROM reships r JOIN users u ON u.id = r.shipped_by
         WHERE r.shop_id = $1 AND r.ticket_id = $2 ORDER BY r.id",
    )
    .bind(shop)
    .bind(ticket)
}

// ---- intercepts ----

/// An intercept asked of the carrier.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntercept {
    #[schema(value_type = String, example = "sf")]
    pub carrier: Carrier,
    /// The outgoing parcel's tracking number.
    pub tracking_no: String,
    /// The carrier's fee, in fen (0 if none).
    #[serde(default)]
    pub fee_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// What the carrier answered.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutcome {
    /// `intercepted`, `failed` or `returned_to_sender`.
    #[schema(value_type = String, example = "intercepted")]
    pub outcome: InterceptOutcome,
    #[serde(default)]
    pub note: Option<String>,
}

/// An intercept as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Intercept {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub carrier: String,
    pub tracking_no: String,
    pub outcome: String,
    pub fee_fen: i64,
    pub note: String,
    pub requester: String,
    pub requested_at: DateTime<Utc>,
    pub outcome_at: Option<DateTime<Utc>>,
}

/// Records an intercept asked of the carrier for an outgoing parcel of ticket `id`.
pub async fn intercept(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewIntercept,
    now: DateTime<Utc>,
) -> Result<(Ticket, Intercept), GoodsError> {
    user.require(Action::WorkTickets)?;
    let note = checked_text("note", input.note)?;
    let (carrier, tracking_no) = checked_tracking(Some(input.carrier), &input.tracking_no)?;
    if !(0..=crate::rules::compensation::MAX_LIMIT_FEN).contains(&input.fee_fen) {
        return Err(FieldError::new("fee_fen", "stock.error.cost_range").into());
    }
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let intercept_id: i64 = sqlx::query_scalar(
        "INSERT INTO intercepts (shop_id, ticket_id, carrier, tracking_no, outcome, fee_fen, note, requested_by,
                                 requested_at)
         VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8) RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(carrier.as_str())
    .bind(&tracking_no)
    .bind(input.fee_fen)
    .bind(&note)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = StockEvent::Intercept {
        intercept: intercept_id,
        outcome: InterceptOutcome::Requested,
        tracking_no,
        note: Some(note).filter(|n| !n.is_empty()),
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let intercept = find_intercept(&mut tx, &ticket, intercept_id).await?;
    tx.commit().await?;
    Ok((ticket, intercept))
}

async fn find_intercept(tx: &mut sqlx::PgConnection, ticket: &Ticket, id: i64) -> Result<Intercept, GoodsError> {
    intercepts(ticket.shop_id, ticket.id)
        .all(&mut *tx)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(GoodsError::NotFound)
}

/// Records the carrier's answer to an intercept (`rules::stock::InterceptOutcome::next`).
pub async fn set_outcome(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    intercept: i64,
    input: NewOutcome,
    now: DateTime<Utc>,
) -> Result<(Ticket, Intercept), GoodsError> {
    user.require(Action::WorkTickets)?;
    let note = checked_text("note", input.note)?;
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let current: Option<(String, String)> = sqlx::query_as(
        "SELECT outcome, tracking_no FROM intercepts WHERE shop_id = $1 AND ticket_id = $2 AND id = $3 FOR UPDATE",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(intercept)
    .fetch_optional(&mut *tx)
    .await?;
    let (outcome, tracking_no) = current.ok_or(GoodsError::NotFound)?;
    let from = InterceptOutcome::parse(&outcome).ok_or(GoodsError::NotFound)?;
    if !from.next().contains(&input.outcome) {
        return Err(GoodsError::Outcome {
            from,
            to: input.outcome,
        });
    }
    sqlx::query(
        "UPDATE intercepts SET outcome = $4, outcome_by = $5, outcome_at = $6,
                note = CASE WHEN $7 = '' THEN note WHEN note = '' THEN $7 ELSE note || E'\\n' || $7 END
         WHERE shop_id = $1 AND ticket_id = $2 AND id = $3",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(intercept)
    .bind(input.outcome.as_str())
    .bind(user.id)
    .bind(now)
    .bind(&note)
    .execute(&mut *tx)
    .await?;
    let event = StockEvent::Intercept {
        intercept,
        outcome: input.outcome,
        tracking_no,
        note: Some(note).filter(|n| !n.is_empty()),
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let answered = find_intercept(&mut tx, &ticket, intercept).await?;
    tx.commit().await?;
    Ok((ticket, answered))
}

/// A ticket's intercepts, oldest first.
pub fn intercepts(shop: ShopId, ticket: TicketId) -> Read<Intercept> {
    Read::new(
        "SELECT i.id, i.ticket_id, i.carrier, i.tracking_no, i.outcome, i.fee_fen, i.note,
                u.display_name AS requester, i.requested_at, i.outcome_at
         FROM intercepts i JOIN users u ON u.id = i.requested_by
         WHERE i.shop_id = $1 AND i.ticket_id = $2 ORDER BY i.id",
    )
    .bind(shop)
    .bind(ticket)
}

// ---- unclaimed parcels ----

/// A parcel that came back without a ticket.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParcel {
    #[schema(value_type = String, example = "zto")]
    pub carrier: Carrier,
    pub tracking_no: String,
    /// What was in it.
    #[serde(default)]
    pub contents: Option<String>,
}

/// An unclaimed parcel, and the ticket it was matched to.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct Parcel {
    pub id: i64,
    pub carrier: String,
    pub tracking_no: String,
    pub contents: String,
    pub received_at: DateTime<Utc>,
    pub recorder: String,
    #[schema(value_type = Option<i64>)]
    pub ticket_id: Option<TicketId>,
    pub matched_at: Option<DateTime<Utc>>,
    /// A ticket whose buyer shipped a return with this tracking number (a match to make).
    #[schema(value_type = Option<i64>)]
    pub suggested_ticket: Option<TicketId>,
}

macro_rules! parcel_select {
    () => {
        "SELECT p.id, p.carrier, p.tracking_no, p.contents, p.received_at, u.display_name AS recorder, p.ticket_id,
                p.matched_at,
                (SELECT t.id FROM tickets t WHERE p.ticket_id IS NULL AND t.shop_id = p.shop_id
                    AND t.return_tracking_no = p.tracking_no ORDER BY t.id DESC LIMIT 1) AS suggested_ticket
         FROM unclaimed_parcels p JOIN users u ON u.id = p.recorded_by "
    };
}

/// Records a parcel that came back without a ticket (whoever works tickets in the shop).
pub async fn record_parcel(
    pool: &PgPool,
    user: &CurrentUser,
    shop: ShopId,
    input: NewParcel,
    now: DateTime<Utc>,
) -> Result<Parcel, GoodsError> {
    user.require(Action::WorkTickets)?;
    if !user.can_see_shop(shop) {
        return Err(GoodsError::NotFound);
    }
    let contents = checked_text("contents", input.contents)?;
    let (carrier, tracking_no) = checked_tracking(Some(input.carrier), &input.tracking_no)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO unclaimed_parcels (shop_id, carrier, tracking_no, contents, received_at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(shop)
    .bind(carrier.as_str())
    .bind(&tracking_no)
    .bind(&contents)
    .bind(now)
    .bind(user.id)
    .fetch_one(pool)
    .await?;
    parcel(pool, shop, id).await?.ok_or(GoodsError::NotFound)
}

/// One parcel.
pub async fn parcel(db: impl PgExecutor<'_>, shop: ShopId, id: i64) -> sqlx::Result<Option<Parcel>> {
    sqlx::query_as(concat!(parcel_select!(), "WHERE p.shop_id = $1 AND p.id = $2"))
        .bind(shop)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The shop's parcels not matched yet (oldest first), then the ones matched lately.
pub async fn parcels(db: impl PgExecutor<'_>, shop: ShopId, limit: i64) -> sqlx::Result<Vec<Parcel>> {
    sqlx::query_as(concat!(
        parcel_select!(),
        "WHERE p.shop_id = $1 ORDER BY p.ticket_id IS NOT NULL, CASE WHEN p.ticket_id IS NULL THEN p.received_at END,
                p.matched_at DESC, p.id LIMIT $2"
    ))
    .bind(shop)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Matches an unclaimed parcel to a ticket of its shop (whoever works tickets): the parcel
/// leaves the register and the ticket's timeline says it arrived.
pub async fn match_parcel(
    pool: &PgPool,
    user: &CurrentUser,
    shop: ShopId,
    parcel_id: i64,
    ticket: TicketId,
    now: DateTime<Utc>,
) -> Result<(Ticket, Parcel), GoodsError> {
    user.require(Action::WorkTickets)?;
    if !user.can_see_shop(shop) {
        return Err(GoodsError::NotFound);
    }
    let mut tx = pool.begin().await?;
    let found: Option<(Option<TicketId>, String)> = sqlx::query_as(
        "SELECT ticket_id, tracking_no FROM unclaimed_parcels WHERE shop_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(shop)
    .bind(parcel_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (matched, tracking_no) = found.ok_or(GoodsError::NotFound)?;
    if let Some(matched) = matched {
        return Err(GoodsError::AlreadyMatched(matched));
    }
    let ticket = match service::lock_for_change(&mut tx, user, ticket, None).await {
        Ok(ticket) if ticket.shop_id == shop => ticket,
        Ok(_) | Err(TicketError::NotFound) => {
            return Err(FieldError::new("ticket", "stock.error.no_such_ticket").into());
        }
        Err(error) => return Err(error.into()),
    };
    sqlx::query(
        "UPDATE unclaimed_parcels SET ticket_id = $3, matched_by = $4, matched_at = $5 WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(parcel_id)
    .bind(ticket.id)
    .bind(user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let event = StockEvent::ParcelMatched {
        parcel: parcel_id,
        tracking_no,
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let matched = parcel(&mut *tx, shop, parcel_id).await?.ok_or(GoodsError::NotFound)?;
    tx.commit().await?;
    Ok((ticket, matched))
}
