//! What can be done to a ticket: open it, follow it up, note, move, assign. Each action is one
//! transaction: the change and its timeline event land together or not at all. Rules are asked,
//! never re-implemented here. What an action refuses is a [`TicketError`], in no language yet
//! and without HTTP: the API and the pages each put it into their own words.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::error::TicketError;
use super::events::{self, EventData, Recount, Rule};
use super::follow_up_writes::FollowUpWrites;
use super::goods::{self, GoodsGiven};
use super::model::{Channel, SevenDayRecord, Ticket};
use super::openings::Openings;
use super::repo;
use crate::auth::permissions::Action;
use crate::auth::{CurrentUser, Role};
use crate::edge::FieldError;
use crate::i18n::Lang;
use crate::ids::{ShopId, TicketId, UserId};
use crate::money::Fen;
use crate::orders::Order;
use crate::rules::calendar::Calendar;
use crate::rules::follow_up;
use crate::rules::inspection::Checklist;
use crate::rules::move_details::{self, MoveDetail};
use crate::rules::reason::ReasonCode;
use crate::rules::refund::{RefundAmountError, RefundFacts, RefundStep, refund_amount};
use crate::rules::rejection::RejectionReason;
use crate::rules::seven_day::{self, NoReasonExclusion, SevenDayDecision, SevenDayRequest, SevenDayVerdict};
use crate::rules::shipment::Carrier;
use crate::rules::timers::{self, TimerFacts};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};
use crate::shops::Shop;

/// Working days the platform takes to decide an intervention (seed 002, DOMAIN.md §3).
pub const PLATFORM_INTERVENTION_WORKING_DAYS: u32 = 4;
/// How far in the future an `opened_at` may lie (clock skew between machines).
const OPENED_AT_SKEW: Duration = Duration::minutes(5);

/// A request to open a ticket (`POST /api/v1/shops/{shop}/tickets`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    #[schema(value_type = String, example = "return")]
    pub kind: TicketKind,
    #[schema(example = "3912837465012345678")]
    pub order_no: String,
    /// The order line concerned (optional when the whole order is).
    #[serde(default)]
    pub sku: Option<String>,
    #[schema(value_type = String, example = "no_reason")]
    pub reason: ReasonCode,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub refund_fen: Option<i64>,
    /// Whether the buyer declares the goods intact (`false` refuses a no-reason return).
    #[serde(default)]
    pub intact: Option<bool>,
    /// In the past only, for importing history: the rules judge as of then.
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "normal")]
    pub priority: Option<Priority>,
    /// User id to assign to; default: the creating agent.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<UserId>,
    /// A supervisor opening a ticket the rules refuse says why here; it goes on the timeline.
    #[serde(default)]
    pub override_justification: Option<String>,
    /// For a `bad_review`: the review's stars, 1–5 (required for that kind only).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub review_rating: Option<i16>,
    /// For a `bad_review`: the buyer's review, verbatim.
    #[serde(default)]
    pub review_text: Option<String>,
    /// For a `bad_review`: when the review was posted (its clocks — the buyer's revision window,
    /// the explanation deadline — count from it); not in the future; default the opening time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A follow-up (`POST /api/v1/tickets/{id}/follow-ups`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    pub channel: Channel,
    #[schema(min_length = 1, example = "已电话联系买家，确认今天寄回")]
    pub summary: String,
    /// The version the agent saw. Accepted and not checked: a follow-up is an append and never
    /// conflicts with a change of status.
    #[serde(default)]
    pub version: Option<i32>,
}

/// A follow-up as the API takes it: [`NewFollowUp`] and, optionally, the canned reply
/// (快捷短语) the summary was written from — its filled-in text is recorded beside the summary.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    pub channel: Channel,
    #[schema(min_length = 1, example = "已电话联系买家，确认今天寄回")]
    pub summary: String,
    /// The version the agent saw. Accepted and not checked: a follow-up is an append and never
    /// conflicts with a change of status.
    #[serde(default)]
    pub version: Option<i32>,
    /// A reply id of the shop's library.
    #[serde(default)]
    pub canned_reply: Option<i64>,
}

impl FollowUpRequest {
    /// The follow-up and the reply it used.
    pub fn split(self) -> (NewFollowUp, Option<i64>) {
        (
            NewFollowUp {
                channel: self.channel,
                summary: self.summary,
                version: self.version,
            },
            self.canned_reply,
        )
    }
}

/// An internal note (`POST /api/v1/tickets/{id}/notes`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    #[schema(min_length = 1)]
    pub text: String,
    /// The version the agent saw. Accepted and not checked: a note is an append and never
    /// conflicts with a change of status.
    #[serde(default)]
    pub version: Option<i32>,
}

/// A status change (`POST /api/v1/tickets/{id}/transitions`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransition {
    #[schema(value_type = String, example = "approved")]
    pub to: Status,
    #[serde(default)]
    pub note: Option<String>,
    /// The version the change was made against (409 if the ticket changed since).
    pub version: i32,
    /// For a logistics ticket moving to `resolved`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub resolution: Option<Resolution>,
    /// Approving a return or exchange: the id of the shop's return address the buyer sends the
    /// goods to (default: the shop's default address).
    #[serde(default)]
    pub return_address: Option<i64>,
    /// 买家已寄回 (→ `buyer_shipped`): the carrier, required with `tracking_no`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "sf")]
    pub carrier: Option<Carrier>,
    /// 买家已寄回: the tracking number, in the carrier's shape (spaces and dashes are dropped).
    #[serde(default)]
    #[schema(example = "SF1234567890123")]
    pub tracking_no: Option<String>,
    /// Receipt (→ `received`), 验货不通过 (→ `inspection_failed`, required with an item
    /// `not_ok`), a return refunded after receipt: the inspection checklist.
    #[serde(default)]
    pub checklist: Option<Checklist>,
    /// With the checklist: ids of images already attached to the ticket (at least one for
    /// `inspection_failed`).
    #[serde(default)]
    pub photos: Vec<i64>,
    /// For a refusal (→ `rejected` of a refund, return or exchange): why, one of
    /// `outside_no_reason_window`, `resale_affected`, `missing_evidence`, `received_intact`,
    /// `returned_goods_mismatch`, `agreed_with_buyer`, `other`; the `note` is then required.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "missing_evidence")]
    pub rejection_reason: Option<RejectionReason>,
    /// For agreeing to a refund (a `refund` ticket → `approved`) and for the refund itself
    /// (→ `refunded`): the amount in fen, more than 0 and not above what the buyer paid for the
    /// line (or the order). Omitted: on approving, what the buyer asked for (within what was
    /// paid), else everything paid; on refunding, the amount agreed.
    #[serde(default)]
    #[schema(minimum = 1, example = 5000)]
    pub refund_fen: Option<i64>,
}

impl NewTransition {
    /// A move with nothing but its target and the version it was made against.
    pub fn plain(to: Status, version: i32) -> NewTransition {
        NewTransition {
            to,
            note: None,
            version,
            resolution: None,
            return_address: None,
            carrier: None,
            tracking_no: None,
            checklist: None,
            photos: Vec::new(),
            rejection_reason: None,
            refund_fen: None,
        }
    }

    /// What the move was given about the goods.
    pub fn goods(&self) -> GoodsGiven<'_> {
        GoodsGiven {
            return_address: self.return_address,
            carrier: self.carrier,
            tracking_no: self.tracking_no.as_deref(),
            checklist: self.checklist,
            photos: &self.photos,
        }
    }
}

/// The details a move carries, checked against those it needs ([`move_details::needed`]).
#[derive(Clone, Debug, Default)]
pub struct MoveDetails {
    /// Why a request was refused (the note says more).
    pub rejection_reason: Option<RejectionReason>,
    /// The amount agreed (→ `approved`) or refunded (→ `refunded`).
    pub refund: Option<Fen>,
    /// What the move records about the goods of a return or exchange ([`goods::resolve`]).
    pub goods: Option<events::GoodsRecord>,
}

/// Checks the details given with a move of `ticket` against those the move needs: each needed
/// one must be there and right, and a detail the move does not take is refused rather than
/// dropped silently (the logistics `resolution`, taken on any move before details existed,
/// excepted). `paid` is what the buyer paid for the ticket's line or order ([`paid_for`]). The
/// goods details are only checked for being taken here: what they name (an address, the
/// photos) is looked up by [`goods::resolve`].
pub fn check_details(
    ticket: &Ticket,
    input: &NewTransition,
    note: Option<&str>,
    paid: Option<Fen>,
) -> Result<MoveDetails, TicketError> {
    let needed = move_details::needed(&ticket.position, input.to);
    let mut details = MoveDetails::default();
    let given = input.goods();
    for detail in MoveDetail::ALL {
        let wanted = needed.contains(&detail);
        match detail {
            MoveDetail::RefundAmount => {
                if !wanted {
                    if input.refund_fen.is_some() {
                        return Err(not_for_move("refund_fen", input.to));
                    }
                    continue;
                }
                let step = if input.to == Status::Refunded {
                    RefundStep::Refund
                } else {
                    RefundStep::Approve
                };
                let facts = RefundFacts {
                    paid,
                    requested: ticket.refund_fen,
                    approved: ticket.approved_refund_fen,
                };
                if let Some(fen) = input.refund_fen
                    && fen > crate::edge::MAX_AMOUNT.0
                {
                    return Err(TicketError::AmountOutOfRange(
                        FieldError::new("refund_fen", "ticket.invalid.amount_range")
                            .with("max", crate::edge::MAX_AMOUNT)
                            .with("max_fen", crate::edge::MAX_AMOUNT.0),
                    ));
                }
                let amount = refund_amount(step, input.refund_fen.map(Fen), &facts).map_err(refund_refused)?;
                details.refund = Some(amount);
            }
            MoveDetail::RejectionReason => {
                if !wanted {
                    if input.rejection_reason.is_some() {
                        return Err(not_for_move("rejection_reason", input.to));
                    }
                    continue;
                }
                let reason = input
                    .rejection_reason
                    .ok_or_else(|| FieldError::new("rejection_reason", "ticket.invalid.rejection_reason_missing"))?;
                if !reason.fits(ticket.kind(), ticket.status()) {
                    return Err(
                        FieldError::new("rejection_reason", "ticket.invalid.rejection_reason_unfit")
                            .with("reason", reason.as_str())
                            .into(),
                    );
                }
                details.rejection_reason = Some(reason);
            }
            MoveDetail::ReturnAddress
            | MoveDetail::Shipment
            | MoveDetail::Inspection
            | MoveDetail::FailedInspection => {
                // A field is refused only if no detail the move needs takes it (receipt and a
                // failed inspection share the checklist's).
                let taken = |field: &str| needed.iter().any(|d| d.fields().contains(&field));
                if let Some(field) = detail.fields().iter().find(|f| given.has(f) && !taken(f)) {
                    return Err(not_for_move(field, input.to));
                }
            }
        }
    }
    if note.is_none() && needed.iter().any(|d| d.requires_note()) {
        return Err(FieldError::new("note", "ticket.invalid.move_note_missing").into());
    }
    Ok(details)
}

/// A refused refund amount, as the field's error (the limit in yuan).
fn refund_refused(error: RefundAmountError) -> TicketError {
    match error {
        RefundAmountError::NotPositive => FieldError::new("refund_fen", "ticket.invalid.refund_not_positive").into(),
        RefundAmountError::AbovePaid { limit } => FieldError::new("refund_fen", "ticket.invalid.refund_above_paid")
            .with("limit", limit)
            .into(),
        RefundAmountError::Missing => FieldError::new("refund_fen", "ticket.invalid.refund_amount_missing").into(),
    }
}

/// What the buyer paid for what `ticket` is about: its order line, or the whole order when it
/// names none; `None` when that cannot be told.
pub async fn paid_for(conn: &mut sqlx::PgConnection, ticket: &Ticket) -> Result<Option<Fen>, TicketError> {
    let Some(order) = crate::orders::find_with(conn, ticket.shop_id, &ticket.order_no).await? else {
        return Ok(None);
    };
    Ok(match ticket.sku.as_deref() {
        Some(sku) => order.line(sku).and_then(|line| line.amount()),
        None => order.total(),
    })
}

/// A detail given with a move that does not take it.
fn not_for_move(field: &'static str, to: Status) -> TicketError {
    FieldError::new(field, "ticket.invalid.detail_not_for_move")
        .with("field", field)
        .with("to", to.as_str())
        .into()
}

/// An assignment (`POST /api/v1/tickets/{id}/assignment`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    /// The user to assign to, or `null` to unassign.
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<UserId>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// The answer to a create: the ticket, and whether it already existed (same idempotency key).
pub struct Created {
    pub ticket: Ticket,
    pub replayed: bool,
}

fn require_text(field: &'static str, text: &str, max_chars: usize) -> Result<String, TicketError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "ticket.invalid.empty").into());
    }
    if trimmed.chars().count() > max_chars {
        return Err(too_long(field, max_chars));
    }
    Ok(trimmed.to_string())
}

fn too_long(field: &'static str, max_chars: usize) -> TicketError {
    FieldError::new(field, "ticket.invalid.too_long")
        .with("max", max_chars)
        .into()
}

fn require_worker(user: &CurrentUser) -> Result<(), TicketError> {
    Ok(user.require(Action::WorkTickets)?)
}

/// Whether `reason` fits a ticket of `kind` ([`ReasonCode::for_kind`]); the refusal names the
/// reasons that do. Asked where the desk opens tickets (the API and the new-ticket form); an
/// imported refund keeps the pairing the marketplace recorded.
pub fn check_reason_fits(kind: TicketKind, reason: ReasonCode) -> Result<(), TicketError> {
    if reason.fits(kind) {
        return Ok(());
    }
    let allowed: Vec<&str> = ReasonCode::for_kind(kind).iter().map(|r| r.as_str()).collect();
    Err(FieldError::new("reason", "review.invalid.reason_for_kind")
        .with("reason", reason.as_str())
        .with("kind", kind.as_str())
        .with("allowed", allowed.join(", "))
        .into())
}

/// The seven-day question for this request, if the rule applies to it at all.
pub fn seven_day_request(
    shop: &Shop,
    order: &Order,
    sku: Option<&str>,
    kind: TicketKind,
    reason: ReasonCode,
    intact: Option<bool>,
    opened_at: DateTime<Utc>,
) -> Option<SevenDayRequest> {
    if !kind.subject_to_seven_day_rule() || !reason.bound_by_seven_day_window() {
        return None;
    }
    let line = sku.and_then(|sku| order.line(sku));
    let signed_at = line.and_then(|l| l.signed_at).or(order.signed_at);
    // A refund before the goods left the shop is a cancellation, not a no-reason return.
    if kind == TicketKind::Refund && signed_at.is_none() && order.shipped_at.is_none() {
        return None;
    }
    // Without a line, the order's most restrictive exclusion stands for it.
    let exclusion = match line {
        Some(line) => line.exclusion(),
        None => order
            .lines
            .iter()
            .map(|l| l.exclusion())
            .find(|e| e.is_excluded())
            .unwrap_or(NoReasonExclusion::None),
    };
    Some(SevenDayRequest {
        signed_at,
        requested_at: opened_at,
        zone: shop.zone(),
        window_days: u32::try_from(shop.return_window_days).unwrap_or(7),
        exclusion,
        declared_intact: intact,
    })
}

/// Opens a ticket in three steps: the request is parsed into a [`ParsedTicket`] (every field
/// checked and in its type), judged (the seven-day rule, who may override it, who works the
/// ticket), then inserted with its first events in one statement. A request repeated with the
/// same idempotency key answers with the ticket it opened. A seven-day refusal is explained in
/// `lang`.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    openings: &Openings,
    calendar: &Calendar,
    user: &CurrentUser,
    shop: &Shop,
    input: NewTicket,
    idempotency_key: Option<String>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Created, TicketError> {
    require_worker(user)?;
    let pool = openings.pool();
    let idempotency = match first_time(pool, shop.id, user, idempotency_key, &input).await? {
        FirstTime::Yes(key) => key,
        FirstTime::No(existing) => return Ok(*existing),
    };
    let order = match input.order_no.trim() {
        "" => None,
        order_no => crate::orders::find(pool, shop.id, order_no).await?,
    };
    open_on(openings, calendar, user, shop, order, input, idempotency, lang, now).await
}

/// [`create`] in the shop of this id: the shop and the request's order are read in one
/// statement (`None`: no such shop).
#[allow(clippy::too_many_arguments)]
pub async fn create_in(
    openings: &Openings,
    calendar: &Calendar,
    user: &CurrentUser,
    shop: ShopId,
    input: NewTicket,
    idempotency_key: Option<String>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Option<Created>, TicketError> {
    require_worker(user)?;
    let pool = openings.pool();
    let idempotency = match first_time(pool, shop, user, idempotency_key, &input).await? {
        FirstTime::Yes(key) => key,
        FirstTime::No(existing) => return Ok(Some(*existing)),
    };
    let mut conn = pool.acquire().await?;
    let mut batch = crate::db::batch::Batch::new();
    let shop_read = batch.add(crate::shops::one(shop));
    let order_read = batch.add(crate::orders::with_lines(shop, input.order_no.trim().to_string()));
    let answers = batch.run(&mut conn).await?;
    drop(conn);
    let Some(shop) = answers.first(shop_read)? else {
        return Ok(None);
    };
    let order = answers
        .first(order_read)?
        .map(crate::orders::OrderWithLines::into_order);
    open_on(openings, calendar, user, &shop, order, input, idempotency, lang, now)
        .await
        .map(Some)
}

/// The steps of [`create`] once the shop and the request's order (if the shop has it) are read.
#[allow(clippy::too_many_arguments)]
async fn open_on(
    openings: &Openings,
    calendar: &Calendar,
    user: &CurrentUser,
    shop: &Shop,
    order: Option<Order>,
    input: NewTicket,
    idempotency: Option<IdempotencyKey>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Created, TicketError> {
    let ticket = ParsedTicket::parse(shop, order, input, now)?;
    let judgment = judge(openings.pool(), calendar, user, shop, &ticket, lang).await?;
    insert(openings, user, shop, ticket, judgment, idempotency, now).await
}

/// Whether a request to open a ticket is new, with its idempotency key if it gave one; or the
/// ticket that key opened before.
enum FirstTime {
    Yes(Option<IdempotencyKey>),
    No(Box<Created>),
}

async fn first_time(
    pool: &PgPool,
    shop: ShopId,
    user: &CurrentUser,
    idempotency_key: Option<String>,
    input: &NewTicket,
) -> Result<FirstTime, TicketError> {
    let Some(key) = idempotency_key else {
        return Ok(FirstTime::Yes(None));
    };
    let key = IdempotencyKey::parse(key, input)?;
    Ok(match replay(pool, shop, user.id, &key.key, &key.body_sha256).await? {
        Some(existing) => FirstTime::No(Box::new(existing)),
        None => FirstTime::Yes(Some(key)),
    })
}

/// An idempotency key as a request gave it (1–200 bytes), with the hash of that request.
struct IdempotencyKey {
    key: String,
    body_sha256: Vec<u8>,
}

impl IdempotencyKey {
    fn parse(key: String, input: &NewTicket) -> Result<IdempotencyKey, TicketError> {
        if key.is_empty() || key.len() > 200 {
            return Err(TicketError::BadIdempotencyKey);
        }
        Ok(IdempotencyKey {
            body_sha256: request_hash(input)?,
            key,
        })
    }
}

/// A request to open a ticket, parsed: each field checked once and kept in a type that cannot
/// hold what the check refused. Made only by [`ParsedTicket::parse`].
struct ParsedTicket {
    kind: TicketKind,
    reason: ReasonCode,
    /// The shop's order the request names.
    order: Order,
    /// A line of that order: the one named, or the only one; none for the whole order.
    sku: Option<String>,
    /// Trimmed, at most 5,000 characters (may be empty).
    description: String,
    /// From 0 to [`crate::edge::MAX_AMOUNT`], and not above the order's total.
    refund: Option<Fen>,
    intact: Option<bool>,
    /// In the calendar's years and not in the future (beyond the clock skew allowed).
    opened_at: DateTime<Utc>,
    priority: Priority,
    /// The worker asked for (whether they may be given it is judged).
    assignee: Option<UserId>,
    /// Trimmed, not empty, at most 2,000 characters.
    override_justification: Option<String>,
    /// Present for a `bad_review` and for no other kind.
    review: Option<Review>,
}

/// The review a `bad_review` ticket is about.
struct Review {
    stars: Stars,
    /// Verbatim, trimmed, at most 2,000 characters; none when empty.
    text: Option<String>,
    /// When it was posted: given (not in the future) or the opening time.
    posted_at: DateTime<Utc>,
}

/// A review's stars, 1 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stars(i16);

impl Stars {
    fn new(stars: i16) -> Option<Stars> {
        (1..=5).contains(&stars).then_some(Stars(stars))
    }
}

impl ParsedTicket {
    /// Parses a request: the order it names (`order`, the shop's of that number if it has
    /// one), then each other field in turn; the first that does not parse is the error.
    fn parse(
        shop: &Shop,
        order: Option<Order>,
        input: NewTicket,
        now: DateTime<Utc>,
    ) -> Result<ParsedTicket, TicketError> {
        let order_no = input.order_no.trim();
        if order_no.is_empty() {
            return Err(FieldError::new("order_no", "ticket.invalid.order_no_missing").into());
        }
        let order = order.ok_or_else(|| {
            FieldError::new("order_no", "ticket.invalid.order_unknown")
                .with("shop", shop.id)
                .with("order_no", order_no)
        })?;
        let sku = parse_sku(&order, order_no, input.sku.as_deref())?;
        let description = input.description.trim().to_string();
        if description.chars().count() > 5_000 {
            return Err(too_long("description", 5_000));
        }
        if input.kind == TicketKind::BadReview && input.refund_fen.is_some() {
            return Err(FieldError::new("refund_fen", "review.invalid.no_money_on_bad_review").into());
        }
        let refund = input.refund_fen.map(|fen| parse_refund(&order, fen)).transpose()?;
        let opened_at = parse_opened_at(input.opened_at, now)?;
        let review = parse_review(&input, opened_at, now)?;
        let override_justification = match input.override_justification.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(text) => Some(require_text("override_justification", text, 2_000)?),
        };
        Ok(ParsedTicket {
            kind: input.kind,
            reason: input.reason,
            order,
            sku,
            description,
            refund,
            intact: input.intact,
            opened_at,
            priority: input.priority.unwrap_or(Priority::Normal),
            assignee: input.assignee,
            override_justification,
            review,
        })
    }
}

/// The order line a request names (trimmed; blank means none), which must be one of the
/// order's; without one, an order of a single line stands for that line.
fn parse_sku(order: &Order, order_no: &str, sku: Option<&str>) -> Result<Option<String>, TicketError> {
    match sku.map(str::trim).filter(|s| !s.is_empty()) {
        Some(sku) if order.line(sku).is_none() => {
            let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
            Err(FieldError::new("sku", "ticket.invalid.sku_unknown")
                .with("order_no", order_no)
                .with("sku", sku)
                .with("skus", skus.join(", "))
                .into())
        }
        Some(sku) => Ok(Some(sku.to_string())),
        None if order.lines.len() == 1 => Ok(Some(order.lines[0].sku.clone())),
        None => Ok(None),
    }
}

/// A refund amount: not negative, within what the desk stores, not above the order's total.
fn parse_refund(order: &Order, fen: i64) -> Result<Fen, TicketError> {
    if fen < 0 {
        return Err(FieldError::new("refund_fen", "ticket.invalid.refund_negative").into());
    }
    let Ok(refund) = crate::edge::amount(fen) else {
        return Err(TicketError::AmountOutOfRange(
            FieldError::new("refund_fen", "ticket.invalid.amount_range")
                .with("max", crate::edge::MAX_AMOUNT)
                .with("max_fen", crate::edge::MAX_AMOUNT.0),
        ));
    };
    if let Some(total) = order.total()
        && refund > total
    {
        return Err(FieldError::new("refund_fen", "ticket.invalid.refund_above_total")
            .with("refund", refund)
            .with("total", total)
            .into());
    }
    Ok(refund)
}

/// When the ticket opens: `now`, or a past instant given for importing history (in the
/// calendar's years, and not later than the clock skew allows).
fn parse_opened_at(opened_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<DateTime<Utc>, TicketError> {
    if let Some(at) = opened_at
        && crate::edge::instant(at).is_err()
    {
        return Err(TicketError::DateOutOfRange(
            FieldError::new("opened_at", "ticket.invalid.year_range")
                .with("year", at.year())
                .with("min", crate::edge::YEARS.start())
                .with("max", crate::edge::YEARS.end()),
        ));
    }
    match opened_at {
        Some(at) if at > now + OPENED_AT_SKEW => {
            Err(FieldError::new("opened_at", "ticket.invalid.opened_in_future").into())
        }
        Some(at) => Ok(at),
        None => Ok(now),
    }
}

/// The review a `bad_review` ticket is about (stars required; posted when given, not in the
/// future, else at the opening); other kinds carry none.
fn parse_review(
    input: &NewTicket,
    opened_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Review>, TicketError> {
    let text = input.review_text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if input.kind != TicketKind::BadReview {
        if input.review_rating.is_some() || text.is_some() {
            return Err(FieldError::new("review_rating", "ticket.invalid.review_not_bad_review").into());
        }
        if input.reviewed_at.is_some() {
            return Err(FieldError::new("reviewed_at", "ticket.invalid.review_not_bad_review").into());
        }
        return Ok(None);
    }
    let posted_at = match input.reviewed_at {
        Some(at) if crate::edge::instant(at).is_err() => {
            return Err(TicketError::DateOutOfRange(
                FieldError::new("reviewed_at", "ticket.invalid.year_range")
                    .with("year", at.year())
                    .with("min", crate::edge::YEARS.start())
                    .with("max", crate::edge::YEARS.end()),
            ));
        }
        Some(at) if at > now + OPENED_AT_SKEW => {
            return Err(FieldError::new("reviewed_at", "review.invalid.posted_in_future").into());
        }
        Some(at) => at,
        None => opened_at,
    };
    let stars = match input.review_rating {
        Some(stars) => {
            Stars::new(stars).ok_or_else(|| FieldError::new("review_rating", "ticket.invalid.review_stars_range"))?
        }
        None => return Err(FieldError::new("review_rating", "ticket.invalid.review_stars_missing").into()),
    };
    if text.is_some_and(|t| t.chars().count() > 2_000) {
        return Err(too_long("review_text", 2_000));
    }
    Ok(Some(Review {
        stars,
        text: text.map(str::to_string),
        posted_at,
    }))
}

/// What the rules and the permissions decided about a parsed request.
struct Judgment {
    /// The seven-day decision, as the ticket keeps it; none when the rule does not apply.
    seven_day: Option<SevenDayRecord>,
    /// The justification of a supervisor opening a ticket the rule refused; none otherwise.
    overriding: Option<String>,
    /// Who works the ticket; none: the shared queue.
    assignee: Option<Worker>,
}

/// A user who works tickets in the shop, with the name the ticket shows.
struct Worker {
    id: UserId,
    name: String,
}

/// Judges a parsed request: the seven-day rule (a refusal stands unless a supervisor justified
/// opening it anyway), then who works the ticket — the worker asked for (someone else only for
/// those who may reassign, and only a worker of the shop), else the agent opening it, else the
/// shared queue.
async fn judge(
    pool: &PgPool,
    calendar: &Calendar,
    user: &CurrentUser,
    shop: &Shop,
    ticket: &ParsedTicket,
    lang: Lang,
) -> Result<Judgment, TicketError> {
    let decision = match seven_day_request(
        shop,
        &ticket.order,
        ticket.sku.as_deref(),
        ticket.kind,
        ticket.reason,
        ticket.intact,
        ticket.opened_at,
    ) {
        Some(request) => Some(seven_day::judge(&request, calendar)?),
        None => None,
    };
    let overriding = match &decision {
        Some(d) if d.verdict.is_refusal() => match &ticket.override_justification {
            Some(justification) => {
                user.require(Action::OverrideRules)?;
                Some(justification.clone())
            }
            None => return Err(refusal(d, lang)),
        },
        _ => None,
    };
    let assignee = match ticket.assignee {
        Some(id) => {
            if id != user.id {
                user.require(Action::Reassign)?;
            }
            Some(check_assignee(pool, shop.id, id).await?)
        }
        // An agent's new ticket is theirs; a supervisor's goes to the shared queue.
        None if user.role == Role::Agent => Some(Worker {
            id: user.id,
            name: user.display_name.clone(),
        }),
        None => None,
    };
    Ok(Judgment {
        seven_day: decision.as_ref().map(SevenDayRecord::from_decision),
        overriding,
        assignee,
    })
}

/// Stores a judged ticket in one statement: its row (first follow-up due, the platform timer
/// running from the opening) and its first events — `created`, the rule's decision, the
/// override, the assignment. When a concurrent request with the same idempotency key stored its
/// ticket first, answers with that one.
async fn insert(
    openings: &Openings,
    user: &CurrentUser,
    shop: &Shop,
    ticket: ParsedTicket,
    judgment: Judgment,
    idempotency: Option<IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Created, TicketError> {
    let ParsedTicket {
        kind,
        reason,
        order,
        sku,
        description,
        refund,
        intact,
        opened_at,
        priority,
        review,
        ..
    } = ticket;
    let Judgment {
        seven_day: record,
        overriding,
        assignee,
    } = judgment;
    let position = Position::new(kind);
    let due = follow_up::follow_up_due_at(opened_at, u32::try_from(shop.follow_up_hours).unwrap_or(24));
    let order_shipped = order.signed_at.is_some() || order.shipped_at.is_some_and(|at| at <= opened_at);
    let facts = TimerFacts {
        requested_at: opened_at,
        order_shipped,
        virtual_goods: false,
        agreed_at: None,
        buyer_shipped_at: None,
        seller_received_at: None,
        answered: false,
    };
    let timer_due = timers::earliest(&timers::timers_for_ticket(
        kind,
        position.status,
        &facts,
        &shop.platform_timers,
    ))
    .map(|c| c.deadline);

    let refund_fen = refund.map(|fen| fen.0);
    let refused_verdict = record.as_ref().map(|r| r.verdict);

    // The ticket's first events, stored with it.
    let actor = Some(user.id);
    let mut events = vec![repo::OpeningEvent {
        actor,
        event: EventData::Created(events::Created {
            kind,
            status: position.status,
            reason,
            order_no: order.order_no.clone(),
            sku: sku.clone(),
            description: description.clone(),
            refund_fen,
            intact,
            recorded_at: now,
            follow_up_of: None,
        }),
    }];
    if let Some(record) = &record {
        events.push(repo::OpeningEvent {
            actor: None,
            event: EventData::RuleDecision(events::RuleDecision {
                rule: Rule::SevenDay,
                decision: record.clone(),
            }),
        });
    }
    if let Some(justification) = &overriding {
        events.push(repo::OpeningEvent {
            actor,
            event: EventData::Override(events::Override {
                rule: Rule::SevenDay,
                refused_verdict,
                justification: Some(justification.clone()),
            }),
        });
    }
    if let Some(assignee) = &assignee {
        events.push(repo::OpeningEvent {
            actor,
            event: EventData::Assigned(events::Assigned {
                from: None,
                to: Some(assignee.id),
            }),
        });
    }
    let (idempotency_key, idempotency_body_sha256) = match &idempotency {
        Some(k) => (Some(k.key.clone()), Some(k.body_sha256.clone())),
        None => (None, None),
    };
    let opening = repo::Opening {
        row: repo::NewRow {
            shop: shop.id,
            kind,
            status: position.status,
            reason,
            description,
            order: order.id,
            sku,
            customer: order.customer_id,
            assignee: assignee.as_ref().map(|w| w.id),
            priority,
            refund_fen,
            intact,
            seven_day: record,
            opened_at,
            follow_up_due_at: due,
            created_by: user.id,
            idempotency_key,
            idempotency_body_sha256,
            order_shipped,
            timer_due_at: timer_due,
            review_rating: review.as_ref().map(|r| r.stars.0),
            review_text: review.as_ref().and_then(|r| r.text.clone()),
            reviewed_at: review.as_ref().map(|r| r.posted_at),
            follow_up_of: None,
        },
        around: repo::Surroundings {
            order_no: order.order_no,
            buyer: order.buyer,
            assignee_name: assignee.map(|w| w.name),
            time_zone: shop.time_zone.clone(),
            platform_timers: shop.platform_timers.0,
            review_timers: shop.review_timers.0,
            follow_up_hours: shop.follow_up_hours,
        },
        events,
    };

    // The ticket and its events in one statement, which needs no transaction of its own (and
    // goes with the other tickets opened at the same moment); an override is also written to
    // the audit log, in one transaction with it.
    let pool = openings.pool();
    let inserted = match &overriding {
        None => openings.write(opening).await?,
        Some(justification) => {
            let mut tx = pool.begin().await?;
            let inserted = repo::open_one(&mut *tx, &opening).await?;
            if let Some(ticket) = &inserted {
                crate::audit::record(
                    &mut *tx,
                    user.id,
                    crate::audit::action::RULE_OVERRIDDEN,
                    Some(shop.id),
                    &ticket.id.to_string(),
                    json!({ "ticket": ticket.id, "rule": "seven_day", "refused_verdict": refused_verdict, "justification": justification }),
                )
                .await?;
            }
            tx.commit().await?;
            inserted
        }
    };
    let Some(ticket) = inserted else {
        // A concurrent request with the same key won the race: answer with its ticket.
        let IdempotencyKey { key, body_sha256 } = idempotency.unwrap_or(IdempotencyKey {
            key: String::new(),
            body_sha256: Vec::new(),
        });
        return replay(pool, shop.id, user.id, &key, &body_sha256)
            .await?
            .ok_or_else(|| TicketError::Internal("idempotent ticket vanished".into()));
    };
    let id = ticket.id;
    tracing::info!(ticket = %id, shop = %shop.id, kind = kind.as_str(), "ticket opened");
    Ok(Created {
        ticket,
        replayed: false,
    })
}

/// A seven-day refusal, explained in `lang`.
fn refusal(decision: &SevenDayDecision, lang: Lang) -> TicketError {
    let code = match decision.verdict {
        SevenDayVerdict::OutsideReturnWindow => "outside_return_window",
        SevenDayVerdict::ExcludedCategory => "excluded_category",
        SevenDayVerdict::NotIntact
        | SevenDayVerdict::Eligible
        | SevenDayVerdict::Review
        | SevenDayVerdict::AwaitingSignEvidence => "not_intact",
    };
    TicketError::Refused {
        code,
        explanation: decision.explanation(lang),
        record: Box::new(SevenDayRecord::from_decision(decision)),
    }
}

/// The SHA-256 of a request to open a ticket, over its parsed fields (so that spacing or the
/// order of the JSON keys does not make two equal requests differ).
fn request_hash(input: &NewTicket) -> Result<Vec<u8>, TicketError> {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_vec(input).map_err(|e| TicketError::Internal(e.to_string()))?;
    Ok(Sha256::digest(&canonical).to_vec())
}

/// The ticket this user opened earlier with `key`, if any: replayed when the request is the
/// same, refused (422 `idempotency_key_reused`) when it differs.
async fn replay(
    pool: &PgPool,
    shop: ShopId,
    user: UserId,
    key: &str,
    hash: &[u8],
) -> Result<Option<Created>, TicketError> {
    let Some((id, stored)) = repo::find_by_idempotency_key(pool, shop, user, key).await? else {
        return Ok(None);
    };
    // Tickets opened before the hash was kept have none: they are replayed as before.
    if stored.is_some_and(|stored| stored != hash) {
        return Err(TicketError::IdempotencyKeyReused {
            key: key.to_string(),
            ticket: id,
        });
    }
    Ok(repo::get(pool, &[shop], id)
        .await?
        .map(|ticket| Created { ticket, replayed: true }))
}

async fn check_assignee(pool: &PgPool, shop: ShopId, user: UserId) -> Result<Worker, TicketError> {
    let workers = crate::shops::ticket_workers(pool, shop).await?;
    if let Some(worker) = workers.into_iter().find(|w| w.id == user) {
        Ok(Worker {
            id: worker.id,
            name: worker.display_name,
        })
    } else {
        Err(FieldError::new("assignee", "ticket.invalid.assignee_not_worker")
            .with("user", user)
            .into())
    }
}

/// Loads a ticket for a change, locked, checking the caller may see and change it and that the
/// version they saw is still current.
async fn lock(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    id: TicketId,
    version: Option<i32>,
) -> Result<Ticket, TicketError> {
    let ticket = repo::get_for_update(tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    require_worker(user)?;
    if let Some(version) = version
        && version != ticket.version
    {
        return Err(TicketError::StaleVersion {
            current: ticket.version,
        });
    }
    Ok(ticket)
}

/// Records a follow-up: the cycle starts again from now. A follow-up is an append: it is
/// recorded whatever version the agent saw (a status change meanwhile does not refuse it), and
/// bumps the version once.
pub async fn follow_up(
    writes: &FollowUpWrites,
    user: &CurrentUser,
    id: TicketId,
    input: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    follow_up_with_reply(writes, user, id, input, None, now).await
}

/// Records a follow-up written from a canned reply of the shop's library (or from none).
pub async fn follow_up_with_reply(
    writes: &FollowUpWrites,
    user: &CurrentUser,
    id: TicketId,
    input: NewFollowUp,
    canned_reply: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let summary = require_text("summary", &input.summary, 5_000)?;
    // A reply sent with a placeholder still in it reached the buyer as `{name}`: the agent
    // completes it first.
    let unfilled = crate::replies::unfilled(&summary);
    if canned_reply.is_some() && !unfilled.is_empty() {
        let names = unfilled
            .iter()
            .map(|n| format!("{{{n}}}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(FieldError::new("summary", "replies.error.unfilled")
            .with("variables", names)
            .into());
    }
    let pool = writes.pool();
    if canned_reply.is_none() {
        // Most follow-ups: the ticket read, then written in one statement that holds only while
        // the ticket is still as read — no transaction and no lock, two round trips and the
        // lock's write fewer — with the follow-ups made meanwhile (`follow_up_writes`). Changed
        // in between (a move, another follow-up), it is worked out again from the ticket
        // locked, below.
        let ticket = repo::get(pool, &user.shops, id).await?.ok_or(TicketError::NotFound)?;
        require_worker(user)?;
        let (follow_up, due) = follow_up_on(&ticket, input.channel, summary.clone(), now)?;
        let record = follow_up_record(user, &ticket, follow_up, due, now);
        if let Some(stored) = writes.write(record).await? {
            return Ok(as_followed_up(ticket, stored, due, now));
        }
    }
    // Locked: a follow-up from a canned reply (the reply is read and its use counted in the
    // follow-up's transaction), or one whose ticket changed under it.
    let mut tx = pool.begin().await?;
    let ticket = lock(&mut tx, user, id, None).await?;
    let (mut follow_up, due) = follow_up_on(&ticket, input.channel, summary, now)?;
    if let Some(reply_id) = canned_reply {
        let reply = crate::replies::get(&mut tx, ticket.shop_id, reply_id)
            .await?
            .ok_or_else(|| FieldError::new("canned_reply", "ticket.invalid.reply_unknown").with("reply", reply_id))?;
        let zone = ticket.time_zone;
        let variables =
            crate::replies::variables_for(&mut tx, &ticket, crate::i18n::Tr::new(Lang::Zh, zone), now).await?;
        follow_up.canned_reply = Some(events::CannedReplyUsed {
            id: reply.id,
            text: variables.fill(&reply.body).text,
            title: reply.title,
        });
        crate::replies::mark_used(&mut tx, ticket.shop_id, reply.id).await?;
    }
    let record = follow_up_record(user, &ticket, follow_up, due, now);
    let stored = repo::record_follow_up(&mut *tx, &record).await?;
    tx.commit().await?;
    // The ticket is locked: it is as read, and the write held.
    let stored = stored.ok_or(TicketError::NotFound)?;
    Ok(as_followed_up(ticket, stored, due, now))
}

/// A follow-up on `ticket` as read: its event (without a canned reply) and the next due time,
/// none when the ticket's status has no follow-up cycle. A closed ticket takes none.
fn follow_up_on(
    ticket: &Ticket,
    channel: Channel,
    summary: String,
    now: DateTime<Utc>,
) -> Result<(events::FollowUp, Option<DateTime<Utc>>), TicketError> {
    if ticket.status().is_closed() {
        return Err(TicketError::Closed);
    }
    let due = ticket
        .status()
        .in_follow_up_cycle()
        .then(|| follow_up::follow_up_due_at(now, ticket.follow_up_hours));
    let follow_up = events::FollowUp {
        channel,
        summary,
        was_overdue: ticket.is_overdue(now),
        canned_reply: None,
    };
    Ok((follow_up, due))
}

/// The follow-up worked out from `ticket` as read, as [`repo::record_follow_up`] stores it.
fn follow_up_record(
    user: &CurrentUser,
    ticket: &Ticket,
    follow_up: events::FollowUp,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> repo::FollowUpRecord {
    let in_time_on = (!follow_up.was_overdue).then(|| now.with_timezone(&ticket.time_zone).date_naive());
    repo::FollowUpRecord {
        shop: ticket.shop_id,
        ticket: ticket.id,
        at: now,
        due,
        actor: user.id,
        event: EventData::FollowUp(follow_up),
        in_time_on,
        read_version: ticket.version,
    }
}

/// The ticket as read, with what its follow-up wrote: the write held only at the version read,
/// so nothing else of it changed, and it is not read again.
fn as_followed_up(
    ticket: Ticket,
    stored: repo::FollowUpStored,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Ticket {
    Ticket {
        version: stored.version,
        last_follow_up_at: Some(now),
        follow_up_due_at: due,
        queue_due_at: stored.queue_due_at,
        ..ticket
    }
}

/// Adds an internal note (not a contact: the follow-up cycle is not reset). Like a follow-up,
/// an append: recorded whatever version the agent saw, bumping the version once.
pub async fn note(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewNote,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let text = require_text("text", &input.text, 5_000)?;
    let mut tx = pool.begin().await?;
    let ticket = lock(&mut tx, user, id, None).await?;
    repo::touch(&mut *tx, ticket.shop_id, id, now).await?;
    let event = EventData::Note(events::Note { text });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    let updated = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// Moves a ticket along its workflow, with what the move records about the goods.
pub async fn transition(
    pool: &PgPool,
    calendar: &Calendar,
    user: &CurrentUser,
    id: TicketId,
    input: NewTransition,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let mut tx = pool.begin().await?;
    let updated = transition_in(&mut tx, calendar, user, id, input, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Replays a move the platform already made (the refund importer's history): the workflow is
/// followed, but the goods details an agent gives are not asked for — the platform's report
/// does not carry them — and none are recorded.
pub async fn replay_platform_move(
    pool: &PgPool,
    calendar: &Calendar,
    user: &CurrentUser,
    id: TicketId,
    input: NewTransition,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let mut tx = pool.begin().await?;
    let updated = move_ticket(&mut tx, calendar, user, id, input, Goods::NotRecorded, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// [`transition`] inside the caller's transaction (an inspection from the page stores its
/// photo and moves the ticket in one): the ticket as it is after the move.
pub async fn transition_in(
    tx: &mut sqlx::PgConnection,
    calendar: &Calendar,
    user: &CurrentUser,
    id: TicketId,
    input: NewTransition,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    move_ticket(tx, calendar, user, id, input, Goods::Checked, now).await
}

/// Whether a move's goods details are checked and recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Goods {
    /// An agent's move: what the goods step needs is required, and recorded.
    Checked,
    /// History replayed from the platform: nothing asked, nothing recorded.
    NotRecorded,
}

async fn move_ticket(
    tx: &mut sqlx::PgConnection,
    calendar: &Calendar,
    user: &CurrentUser,
    id: TicketId,
    input: NewTransition,
    goods_check: Goods,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let note = match input.note.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(text) => Some(require_text("note", text, 5_000)?),
    };
    let ticket = lock(tx, user, id, Some(input.version)).await?;
    let next = ticket.position.apply(input.to, input.resolution)?;
    let paid = if move_details::needed(&ticket.position, input.to).contains(&MoveDetail::RefundAmount) {
        paid_for(tx, &ticket).await?
    } else {
        None
    };
    let mut details = check_details(&ticket, &input, note.as_deref(), paid)?;
    if goods_check == Goods::Checked {
        let goods_detail = move_details::needed(&ticket.position, input.to)
            .iter()
            .copied()
            .find(|d| d.is_goods());
        details.goods = goods::resolve(tx, &ticket, goods_detail, input.goods()).await?;
    }
    apply_detailed_move(
        tx,
        calendar,
        user,
        &ticket,
        next,
        input.resolution,
        note,
        None,
        &details,
        now,
    )
    .await?;
    repo::get(&mut *tx, &user.shops, id).await?.ok_or(TicketError::NotFound)
}

/// Loads a ticket locked for a change inside the caller's transaction (for the modules that
/// act on tickets: return visits, evidence). Checks the caller may work it and, if given, the
/// version.
pub async fn lock_for_change(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    id: TicketId,
    version: Option<i32>,
) -> Result<Ticket, TicketError> {
    lock(tx, user, id, version).await
}

/// Opens, inside the caller's transaction, the follow-up of a closed ticket whose buyer said at
/// the return visit that they are not satisfied: a complaint (the buyer's grievance is now about
/// how the case ended) on the same order, line and buyer, with the reason "not satisfied with
/// the outcome", the buyer's comment as its description, assigned to whoever worked the
/// original (or the shared queue if no one did), and naming the original on the ticket and on
/// its `created` event. Its follow-up cycle starts now; complaints run no platform timer.
pub async fn open_follow_up_ticket(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    original: &Ticket,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<TicketId, TicketError> {
    require_worker(user)?;
    let kind = TicketKind::Complaint;
    let reason = ReasonCode::OutcomeUnsatisfied;
    let position = Position::new(kind);
    let hours = original.follow_up_hours;
    let description = comment.trim();
    let actor = Some(user.id);
    let mut events = vec![repo::OpeningEvent {
        actor,
        event: EventData::Created(events::Created {
            kind,
            status: position.status,
            reason,
            order_no: original.order_no.clone(),
            sku: original.sku.clone(),
            description: description.to_string(),
            refund_fen: None,
            intact: None,
            recorded_at: now,
            follow_up_of: Some(original.id),
        }),
    }];
    if let Some(assignee) = original.assignee_id {
        events.push(repo::OpeningEvent {
            actor,
            event: EventData::Assigned(events::Assigned {
                from: None,
                to: Some(assignee),
            }),
        });
    }
    let opening = repo::Opening {
        row: repo::NewRow {
            shop: original.shop_id,
            kind,
            status: position.status,
            reason,
            description: description.to_string(),
            order: original.order_id,
            sku: original.sku.clone(),
            customer: original.customer_id,
            assignee: original.assignee_id,
            priority: original.priority,
            refund_fen: None,
            intact: None,
            seven_day: None,
            opened_at: now,
            follow_up_due_at: follow_up::follow_up_due_at(now, hours),
            created_by: user.id,
            idempotency_key: None,
            idempotency_body_sha256: None,
            order_shipped: original.order_shipped,
            timer_due_at: None,
            review_rating: None,
            review_text: None,
            reviewed_at: None,
            follow_up_of: Some(original.id),
        },
        around: repo::Surroundings {
            order_no: original.order_no.clone(),
            buyer: original.buyer.clone(),
            assignee_name: original.assignee_name.clone(),
            time_zone: original.time_zone.name().to_string(),
            platform_timers: original.platform_timers,
            review_timers: original.review_timers,
            follow_up_hours: i32::try_from(hours).unwrap_or(24),
        },
        events,
    };
    let id = repo::open_one(&mut *tx, &opening)
        .await?
        .ok_or_else(|| TicketError::Internal("follow-up ticket not stored".into()))?
        .id;
    tracing::info!(ticket = %id, from = %original.id, shop = %original.shop_id, "follow-up ticket opened");
    Ok(id)
}

/// Stores a move the workflow already allowed (`next`) and that needs no details, inside the
/// caller's transaction: see [`apply_detailed_move`].
#[allow(clippy::too_many_arguments)]
pub async fn apply_move(
    tx: &mut sqlx::PgConnection,
    calendar: &Calendar,
    user: &CurrentUser,
    ticket: &Ticket,
    next: Position,
    given_resolution: Option<Resolution>,
    note: Option<String>,
    reopened_by_visit: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    let details = MoveDetails::default();
    apply_detailed_move(
        tx,
        calendar,
        user,
        ticket,
        next,
        given_resolution,
        note,
        reopened_by_visit,
        &details,
        now,
    )
    .await
}

/// Stores a move the workflow already allowed (`next`) with the details [`check_details`]
/// accepted, inside the caller's transaction: the follow-up cycle, the platform deadline and
/// clocks, the details, the `status_changed` event (naming the return visit that caused it, if
/// one did), and the return visit when the ticket is done.
#[allow(clippy::too_many_arguments)]
pub async fn apply_detailed_move(
    tx: &mut sqlx::PgConnection,
    calendar: &Calendar,
    user: &CurrentUser,
    ticket: &Ticket,
    next: Position,
    given_resolution: Option<Resolution>,
    note: Option<String>,
    reopened_by_visit: Option<i64>,
    details: &MoveDetails,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    let id = ticket.id;
    // Handing an escalated ticket back says what was decided (it goes to whoever escalated it).
    let hands_back = ticket.status() == Status::Escalated && !next.status.is_hold();
    if hands_back && note.is_none() {
        return Err(FieldError::new("note", "ticket.invalid.hand_back_note").into());
    }
    let hours = ticket.follow_up_hours;
    let due = match (ticket.status().in_follow_up_cycle(), next.status.in_follow_up_cycle()) {
        (_, false) => None,
        // Back into the cycle (e.g. a rejected refund goes to the platform): a fresh cycle.
        (false, true) => Some(follow_up::follow_up_due_at(now, hours)),
        (true, true) => ticket.follow_up_due_at,
    };
    // The platform's decision deadline: counted on entering platform intervention (on weekends
    // only, and marked provisional, where a year's holidays are not loaded), kept while held.
    let platform = if next.status == Status::PlatformIntervention {
        match calendar.add_working_days(now, PLATFORM_INTERVENTION_WORKING_DAYS, ticket.time_zone) {
            Ok(deadline) => PlatformDeadline {
                at: Some(deadline.ends_at),
                from: Some(now),
                provisional_year: deadline.provisional_year,
            },
            Err(error) => return Err(error.into()),
        }
    } else if next.status.is_hold() {
        PlatformDeadline {
            at: ticket.platform_deadline_at,
            from: ticket.platform_deadline_from,
            provisional_year: ticket.platform_deadline_provisional_year,
        }
    } else {
        PlatformDeadline::default()
    };
    let platform_deadline = platform.at;
    let resolution = if next.status == Status::Resolved {
        given_resolution.or(ticket.resolution)
    } else {
        ticket.resolution
    };
    // The moments that start the platform's clocks, then the clocks that run after this move.
    let mut moved = ticket.clone();
    moved.position = next;
    match next.status {
        Status::Approved => moved.agreed_at = moved.agreed_at.or(Some(now)),
        Status::BuyerShipped => moved.buyer_shipped_at = moved.buyer_shipped_at.or(Some(now)),
        Status::Received => moved.goods_received_at = moved.goods_received_at.or(Some(now)),
        _ => {}
    }
    let timer_due = timers::earliest(&moved.running_timers()).map(|c| c.deadline);
    let stored = repo::Moved {
        status: next.status,
        held_from: next.held_from,
        follow_up_due_at: due,
        platform_deadline_at: platform_deadline,
        platform_deadline_from: platform.from,
        platform_deadline_provisional_year: platform.provisional_year,
        resolution,
        closed_at: next.status.is_closed().then_some(now),
        agreed_at: moved.agreed_at,
        buyer_shipped_at: moved.buyer_shipped_at,
        goods_received_at: moved.goods_received_at,
        timer_due_at: timer_due,
    };
    repo::store_move(tx, ticket.shop_id, id, &stored, now).await?;
    if let Some(goods) = &details.goods {
        goods::store(tx, ticket, goods).await?;
    }
    if let Some(reason) = details.rejection_reason {
        repo::store_rejection(tx, ticket.shop_id, id, reason, note.as_deref()).await?;
    }
    if let Some(amount) = details.refund {
        repo::store_refund_amount(tx, ticket.shop_id, id, next.status, amount).await?;
    }
    let note_text = note.clone();
    let event = EventData::StatusChanged(events::StatusChanged {
        from: ticket.status(),
        to: next.status,
        note,
        resolution: given_resolution,
        platform_deadline_at: platform_deadline,
        platform_deadline_provisional_year: platform.provisional_year,
        reopened_by_visit,
        goods: details.goods.clone(),
        refund_fen: details.refund.map(|fen| fen.0),
        rejection_reason: details.rejection_reason,
    });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    if next.status == Status::Escalated && ticket.status() != Status::Escalated {
        super::escalation::hand_to_supervisor(tx, user, ticket, note_text.as_deref(), now).await?;
    } else if hands_back {
        super::escalation::hand_back(tx, user, ticket, note_text.as_deref().unwrap_or(""), now).await?;
    }
    if next.status.asks_for_return_visit() {
        crate::visits::schedule(tx, ticket.shop_id, id, now, hours).await?;
    }
    Ok(())
}

/// The platform's decision deadline of a ticket, as stored.
#[derive(Clone, Copy, Debug, Default)]
struct PlatformDeadline {
    at: Option<DateTime<Utc>>,
    from: Option<DateTime<Utc>>,
    provisional_year: Option<i32>,
}

/// Counts again what was counted provisionally for a year whose holiday schedule `calendar` now
/// holds: platform deadlines of open tickets and seven-day decisions. Each changed ticket gets a
/// `recounted` event with the old and new values; its version is left alone (nobody's edit is
/// made stale by the system's correction). Returns the number of tickets changed. Runs after
/// every calendar load, and finds the few provisional tickets through partial indexes.
pub async fn recount_provisional(pool: &PgPool, calendar: &Calendar, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let years: Vec<i32> = calendar.known_years().collect();
    let mut tx = pool.begin().await?;
    let mut changed = 0;
    for shop in repo::shops_with_provisional(&mut *tx, &years).await? {
        changed += recount_provisional_of(&mut tx, shop, &years, calendar, now).await?;
    }
    tx.commit().await?;
    if changed > 0 {
        tracing::info!(
            tickets = changed,
            "provisional deadlines counted again with the holiday schedules now loaded"
        );
    }
    Ok(changed)
}

/// [`recount_provisional`] for one shop, in the transaction of `tx`.
async fn recount_provisional_of(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    years: &[i32],
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deadlines = repo::provisional_deadlines(&mut *tx, shop, years).await?;
    let mut changed = 0;
    for repo::ProvisionalDeadline {
        shop_id: shop,
        id,
        platform_deadline_from: from,
        platform_deadline_at: before,
        platform_deadline_provisional_year: year,
        time_zone: zone,
    } in deadlines
    {
        let zone = zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let Ok(deadline) = calendar.add_working_days(from, PLATFORM_INTERVENTION_WORKING_DAYS, zone) else {
            continue;
        };
        repo::set_platform_deadline(&mut *tx, shop, id, deadline.ends_at, deadline.provisional_year).await?;
        let event = EventData::Recounted(Recount::PlatformDeadline {
            year,
            before,
            after: deadline.ends_at,
            provisional_year: deadline.provisional_year,
        });
        repo::append_event(&mut *tx, shop, id, now, None, &event).await?;
        changed += 1;
    }
    let decisions = repo::provisional_seven_day(&mut *tx, shop, years).await?;
    for (shop, id, stored, opened_at, zone) in decisions {
        let zone = zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let Ok(record) = serde_json::from_value::<SevenDayRecord>(stored) else {
            continue;
        };
        let Ok(decision) = record.decision(zone).recount(opened_at, calendar) else {
            continue;
        };
        let counted = SevenDayRecord::from_decision(&decision);
        repo::set_seven_day(&mut *tx, shop, id, &counted).await?;
        let event = EventData::Recounted(Recount::SevenDay {
            year: record.provisional_year,
            before: record,
            after: counted,
        });
        repo::append_event(&mut *tx, shop, id, now, None, &event).await?;
        changed += 1;
    }
    Ok(changed)
}

/// Assigns a ticket to a worker of its shop, or unassigns it.
pub async fn assign(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewAssignment,
    now: DateTime<Utc>,
) -> Result<Ticket, TicketError> {
    let mut tx = pool.begin().await?;
    let ticket = lock(&mut tx, user, id, input.version).await?;
    // Taking an unassigned ticket (or keeping one's own) is ordinary work; anything else is a
    // reassignment, which is a supervisor's.
    let taking = input.assignee == Some(user.id) && ticket.assignee_id.is_none_or(|current| current == user.id);
    if !taking {
        user.require(Action::Reassign)?;
    }
    if let Some(assignee) = input.assignee {
        check_assignee(pool, ticket.shop_id, assignee).await?;
    }
    if ticket.assignee_id == input.assignee {
        return Ok(ticket);
    }
    repo::set_assignee(&mut tx, ticket.shop_id, id, input.assignee, now).await?;
    let event = EventData::Assigned(events::Assigned {
        from: ticket.assignee_id,
        to: input.assignee,
    });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    // Whoever is given the ticket by someone else is told in the desk.
    if let Some(assignee) = input.assignee.filter(|a| *a != user.id) {
        crate::notifications::notify(
            &mut *tx,
            ticket.shop_id,
            assignee,
            id,
            crate::notifications::Kind::AssignedToYou,
            user.id,
            "",
            now,
        )
        .await?;
    }
    if !taking {
        crate::audit::record(
            &mut *tx,
            user.id,
            crate::audit::action::TICKET_REASSIGNED,
            Some(ticket.shop_id),
            &id.to_string(),
            json!({ "ticket": id, "from": ticket.assignee_id, "to": input.assignee }),
        )
        .await?;
    }
    let updated = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or(TicketError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0)
            .single()
            .expect("valid time")
    }

    fn request(kind: TicketKind) -> NewTicket {
        NewTicket {
            kind,
            order_no: "T1".into(),
            sku: None,
            reason: ReasonCode::Quality,
            description: String::new(),
            refund_fen: None,
            intact: None,
            opened_at: None,
            priority: None,
            assignee: None,
            override_justification: None,
            review_rating: None,
            review_text: None,
            reviewed_at: None,
        }
    }

    /// The field and catalogue key of an invalid-field error.
    fn invalid(error: TicketError) -> (&'static str, &'static str) {
        match error {
            TicketError::Invalid(e) | TicketError::AmountOutOfRange(e) | TicketError::DateOutOfRange(e) => {
                (e.field, e.message.key)
            }
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn stars_are_one_to_five() {
        assert_eq!(Stars::new(0), None);
        assert_eq!(Stars::new(1), Some(Stars(1)));
        assert_eq!(Stars::new(5), Some(Stars(5)));
        assert_eq!(Stars::new(6), None);
        assert_eq!(Stars::new(-1), None);
    }

    #[test]
    fn a_bad_review_needs_stars_in_range_and_other_kinds_take_no_review() {
        let mut review = request(TicketKind::BadReview);
        let missing = parse_review(&review, now(), now())
            .map(|_| ())
            .expect_err("stars missing");
        assert_eq!(
            invalid(missing),
            ("review_rating", "ticket.invalid.review_stars_missing")
        );
        review.review_rating = Some(6);
        let range = parse_review(&review, now(), now()).map(|_| ()).expect_err("six stars");
        assert_eq!(invalid(range), ("review_rating", "ticket.invalid.review_stars_range"));
        review.review_rating = Some(2);
        review.review_text = Some("  ".into());
        let parsed = parse_review(&review, now(), now()).expect("parses").expect("a review");
        assert_eq!((parsed.stars, parsed.text), (Stars(2), None), "blank text is no text");
        review.review_text = Some("差".repeat(2_001));
        let long = parse_review(&review, now(), now()).map(|_| ()).expect_err("too long");
        assert_eq!(invalid(long), ("review_text", "ticket.invalid.too_long"));

        let mut complaint = request(TicketKind::Complaint);
        assert!(parse_review(&complaint, now(), now()).expect("parses").is_none());
        complaint.review_text = Some("差评".into());
        let stray = parse_review(&complaint, now(), now())
            .map(|_| ())
            .expect_err("not a bad review");
        assert_eq!(
            invalid(stray),
            ("review_rating", "ticket.invalid.review_not_bad_review")
        );
    }

    #[test]
    fn a_review_is_posted_at_the_opening_unless_given_and_never_in_the_future() {
        let mut review = request(TicketKind::BadReview);
        review.review_rating = Some(1);
        let opened = now() - Duration::hours(3);
        let parsed = parse_review(&review, opened, now()).expect("parses").expect("a review");
        assert_eq!(parsed.posted_at, opened, "default: the opening time");
        let posted = now() - Duration::days(2);
        review.reviewed_at = Some(posted);
        let parsed = parse_review(&review, opened, now()).expect("parses").expect("a review");
        assert_eq!(parsed.posted_at, posted);
        review.reviewed_at = Some(now() + OPENED_AT_SKEW + Duration::seconds(1));
        let future = parse_review(&review, opened, now()).map(|_| ()).expect_err("future");
        assert_eq!(invalid(future), ("reviewed_at", "review.invalid.posted_in_future"));

        let mut refund = request(TicketKind::Refund);
        refund.reviewed_at = Some(posted);
        let stray = parse_review(&refund, opened, now())
            .map(|_| ())
            .expect_err("not a bad review");
        assert_eq!(invalid(stray), ("reviewed_at", "ticket.invalid.review_not_bad_review"));
    }

    #[test]
    fn a_reason_that_does_not_fit_the_kind_is_refused_naming_the_allowed_ones() {
        assert!(check_reason_fits(TicketKind::BadReview, ReasonCode::Quality).is_ok());
        let refused = check_reason_fits(TicketKind::BadReview, ReasonCode::NoReason).expect_err("no money reasons");
        let TicketError::Invalid(error) = refused else {
            panic!("not a field error");
        };
        assert_eq!(
            (error.field, error.message.key),
            ("reason", "review.invalid.reason_for_kind")
        );
        assert!(
            error.message.english().contains("service_attitude"),
            "{}",
            error.message.english()
        );
    }

    #[test]
    fn opened_at_is_now_or_a_past_instant_in_the_calendars_years() {
        assert_eq!(parse_opened_at(None, now()).expect("now"), now());
        let within_skew = now() + OPENED_AT_SKEW;
        assert_eq!(parse_opened_at(Some(within_skew), now()).expect("skew"), within_skew);
        let future = parse_opened_at(Some(within_skew + Duration::seconds(1)), now()).expect_err("future");
        assert_eq!(invalid(future), ("opened_at", "ticket.invalid.opened_in_future"));
        let ancient = Utc.with_ymd_and_hms(1999, 1, 1, 0, 0, 0).single().expect("valid time");
        let error = parse_opened_at(Some(ancient), now()).expect_err("out of range");
        assert!(matches!(error, TicketError::DateOutOfRange(_)));
        assert_eq!(invalid(error), ("opened_at", "ticket.invalid.year_range"));
    }
}
