//! The compensation ledger (补偿台账): payouts (小额打款), coupons and collections (小额收款)
//! on a ticket, outside the refund itself. Owns the `compensations` table (append-only: the
//! database refuses any change but the decision on a waiting entry, and the desk's role may not
//! do more) and reads the shop's `compensation_limits`. What is booked at once and what waits
//! for approval, who may decide, and what a reversal does are `rules::compensation`'s; here each
//! action is one transaction — the entry, its timeline event (`EventData::Compensation`), the
//! notices and, for a decision, the audit log. Its JSON API is `api.rs`, the ticket page's card
//! `page.rs`.

pub mod api;
pub mod page;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{CustomerId, ShopId, TicketId, UserId};
use crate::money::Fen;
use crate::notifications::{self, Kind};
use crate::rules::compensation::{
    self as rules, AmountError, Decision, DecisionRefusal, EntryStatus, Given, Limit, Limits, Method, Reason, Verdict,
};
use crate::tickets::events::{CompensationChange, CompensationEvent};
use crate::tickets::{EventData, Ticket, TicketError, repo, service};

/// How far back the per-buyer limit looks.
pub const BUYER_WINDOW_DAYS: i64 = 30;

/// Why a ledger action did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The ticket is not found, not the user's, or the role may not do this; or a field.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// No such entry on this ticket.
    #[error("no such ledger entry on this ticket")]
    NoEntry,
    /// The rules refuse the decision or reversal.
    #[error("{}", crate::i18n::Message::new(.0.message_key()).english())]
    Refused(DecisionRefusal),
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> LedgerError {
        LedgerError::Ticket(TicketError::Storage(error))
    }
}

impl From<crate::auth::Denied> for LedgerError {
    fn from(denied: crate::auth::Denied) -> LedgerError {
        LedgerError::Ticket(TicketError::Forbidden(denied))
    }
}

impl From<FieldError> for LedgerError {
    fn from(error: FieldError) -> LedgerError {
        LedgerError::Ticket(TicketError::Invalid(error))
    }
}

impl DecisionRefusal {
    /// The API's stable code.
    pub fn code(self) -> &'static str {
        match self {
            DecisionRefusal::OwnEntry => "own_entry",
            DecisionRefusal::NotTheMaker => "not_the_maker",
            DecisionRefusal::NotPending => "not_pending",
            DecisionRefusal::NotBooked => "not_booked",
            DecisionRefusal::AlreadyReversed => "already_reversed",
            DecisionRefusal::CollectionNotReversed => "collection_not_reversed",
        }
    }
}

/// A new entry, as asked for.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// `payout` (小额打款), `coupon` or `collection` (小额收款).
    #[schema(value_type = String, example = "payout")]
    pub method: Method,
    /// Why: `postage`, `price_difference`, `damage`, `late_shipment`, `goodwill` (payouts and
    /// coupons), `extra_postage` (collections), `price_difference` or `other` (any; say what
    /// in the note).
    #[schema(value_type = String, example = "postage")]
    pub reason: Reason,
    /// The amount in fen, more than 0 and at most 10,000,000 (¥100,000).
    #[schema(example = 3000)]
    pub amount_fen: i64,
    /// What it is for, as the buyer was told (needed with `other`).
    #[serde(default)]
    pub note: Option<String>,
}

/// A decision or a reversal: what the person says with it (a rejection and a reversal need it).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryNote {
    #[serde(default)]
    pub note: Option<String>,
}

/// One entry of a ticket's ledger.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Entry {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    #[schema(value_type = String, example = "payout")]
    pub method: Method,
    #[schema(value_type = String, example = "postage")]
    pub reason: Reason,
    pub amount_fen: i64,
    pub note: String,
    /// `pending` (waits for approval), `booked`, `rejected` or `withdrawn`.
    #[schema(value_type = String, example = "booked")]
    pub status: EntryStatus,
    /// The limits it went over when made (why it waited).
    #[schema(value_type = Vec<String>)]
    pub over_limits: Vec<Limit>,
    /// The entry this one reverses.
    pub reverses: Option<i64>,
    /// The entry that reversed this one.
    pub reversed_by: Option<i64>,
    #[schema(value_type = i64)]
    pub made_by: UserId,
    pub maker: String,
    pub made_at: DateTime<Utc>,
    #[schema(value_type = Option<i64>)]
    pub decided_by: Option<UserId>,
    pub decider: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: String,
}

impl Entry {
    /// The entry as the rules see it.
    pub fn rules_entry(&self) -> rules::Entry {
        rules::Entry {
            method: self.method,
            amount: Fen(self.amount_fen),
            status: self.status,
            reversal: self.reverses.is_some(),
        }
    }
}

/// An entry as stored: its kinds as text.
#[derive(FromRow, Deserialize)]
pub struct EntryRow {
    id: i64,
    ticket_id: TicketId,
    method: String,
    reason: String,
    amount_fen: i64,
    note: String,
    status: String,
    over_limits: Vec<String>,
    reverses: Option<i64>,
    reversed_by: Option<i64>,
    made_by: UserId,
    maker: String,
    made_at: DateTime<Utc>,
    decided_by: Option<UserId>,
    decider: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_note: String,
}

impl EntryRow {
    /// The typed entry; the table's checks keep every stored text one the rules know.
    pub fn typed(self) -> sqlx::Result<Entry> {
        let unknown = |what: &str, value: &str| sqlx::Error::Decode(format!("unknown {what} `{value}`").into());
        Ok(Entry {
            id: self.id,
            ticket_id: self.ticket_id,
            method: Method::parse(&self.method).ok_or_else(|| unknown("method", &self.method))?,
            reason: Reason::parse(&self.reason).ok_or_else(|| unknown("reason", &self.reason))?,
            amount_fen: self.amount_fen,
            note: self.note,
            status: EntryStatus::parse(&self.status).ok_or_else(|| unknown("status", &self.status))?,
            over_limits: self.over_limits.iter().filter_map(|l| Limit::parse(l)).collect(),
            reverses: self.reverses,
            reversed_by: self.reversed_by,
            made_by: self.made_by,
            maker: self.maker,
            made_at: self.made_at,
            decided_by: self.decided_by,
            decider: self.decider,
            decided_at: self.decided_at,
            decision_note: self.decision_note,
        })
    }
}

/// The columns of an [`EntryRow`], `c` being the entry.
macro_rules! entry_columns {
    () => {
        "c.id, c.ticket_id, c.method, c.reason, c.amount_fen, c.note, c.status, c.over_limits, c.reverses,
         (SELECT r.id FROM compensations r WHERE r.shop_id = c.shop_id AND r.reverses = c.id) AS reversed_by,
         c.made_by, m.display_name AS maker, c.made_at, c.decided_by, d.display_name AS decider, c.decided_at,
         c.decision_note"
    };
}

/// The ledger of a ticket, oldest first, as stored (each row made [`EntryRow::typed`]).
pub fn entry_rows(shop: ShopId, ticket: TicketId) -> Read<EntryRow> {
    Read::new(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM compensations c JOIN users m ON m.id = c.made_by LEFT JOIN users d ON d.id = c.decided_by
         WHERE c.shop_id = $1 AND c.ticket_id = $2 ORDER BY c.id"
    ))
    .bind(shop)
    .bind(ticket)
}

/// The ledger of a ticket, oldest first.
pub async fn entries(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Entry>> {
    entry_rows(shop, ticket)
        .all(db)
        .await?
        .into_iter()
        .map(EntryRow::typed)
        .collect()
}

/// One entry of a ticket, locked for its decision or reversal.
async fn entry_for_update(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    ticket: TicketId,
    id: i64,
) -> Result<Entry, LedgerError> {
    // The row is locked on its own, then read with its people's names (on Citus a lock is taken
    // by a statement on one shop's table alone).
    sqlx::query("SELECT 1 FROM compensations WHERE shop_id = $1 AND ticket_id = $2 AND id = $3 FOR UPDATE")
        .bind(shop)
        .bind(ticket)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let row: Option<EntryRow> = sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM compensations c JOIN users m ON m.id = c.made_by LEFT JOIN users d ON d.id = c.decided_by
         WHERE c.shop_id = $1 AND c.ticket_id = $2 AND c.id = $3"
    ))
    .bind(shop)
    .bind(ticket)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.ok_or(LedgerError::NoEntry)?.typed()?)
}

/// A buyer's compensation in a shop, over booked entries net of reversals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromRow, ToSchema)]
pub struct BuyerTotals {
    /// Paid out or given as coupons.
    pub given_fen: i64,
    /// Collected from the buyer.
    pub collected_fen: i64,
    /// Entries waiting for approval, and their amount.
    pub waiting: i64,
    pub waiting_fen: i64,
}

/// What a buyer was given and paid through the ledger.
pub fn buyer_totals(shop: ShopId, customer: CustomerId) -> Read<BuyerTotals> {
    Read::new(
        "SELECT COALESCE(sum(CASE WHEN reverses IS NULL THEN amount_fen ELSE -amount_fen END)
                             FILTER (WHERE status = 'booked' AND method <> 'collection'), 0)::bigint AS given_fen,
                COALESCE(sum(CASE WHEN reverses IS NULL THEN amount_fen ELSE -amount_fen END)
                             FILTER (WHERE status = 'booked' AND method = 'collection'), 0)::bigint AS collected_fen,
                count(*) FILTER (WHERE status = 'pending') AS waiting,
                COALESCE(sum(amount_fen) FILTER (WHERE status = 'pending'), 0)::bigint AS waiting_fen
         FROM compensations WHERE shop_id = $1 AND customer_id = $2",
    )
    .bind(shop)
    .bind(customer)
}

/// A shop's limits, as stored.
#[derive(FromRow, Deserialize)]
pub struct StoredLimits {
    compensation_limits: sqlx::types::Json<Limits>,
}

impl StoredLimits {
    pub fn limits(self) -> Limits {
        self.compensation_limits.0
    }
}

/// The shop's limits, as stored.
pub fn stored_limits(shop: ShopId) -> Read<StoredLimits> {
    Read::new("SELECT compensation_limits FROM shops WHERE id = $1").bind(shop)
}

/// The shop's limits.
pub async fn limits(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Limits> {
    stored_limits(shop)
        .optional(db)
        .await?
        .map(StoredLimits::limits)
        .ok_or(sqlx::Error::RowNotFound)
}

/// The start of `now`'s day in the ticket's time zone.
fn day_start(ticket: &Ticket, now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now
        .with_timezone(&ticket.time_zone)
        .date_naive()
        .and_time(NaiveTime::MIN);
    ticket
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .map_or(now - Duration::days(1), |start| start.with_timezone(&Utc))
}

/// What `person` gave today and the buyer was given in the last 30 days ([`rules::counted`]:
/// booked payouts and coupons, less those someone other than their maker reversed).
async fn given(
    tx: &mut sqlx::PgConnection,
    ticket: &Ticket,
    person: UserId,
    now: DateTime<Utc>,
) -> sqlx::Result<Given> {
    let (person_fen, buyer_fen): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(c.amount_fen) FILTER (WHERE c.made_by = $2 AND c.made_at >= $4), 0)::bigint,
                COALESCE(sum(c.amount_fen) FILTER (WHERE c.customer_id = $3 AND c.made_at >= $5), 0)::bigint
         FROM compensations c
         WHERE c.shop_id = $1 AND (c.made_by = $2 AND c.made_at >= $4 OR c.customer_id = $3 AND c.made_at >= $5)
           AND c.status = 'booked' AND c.reverses IS NULL AND c.method <> 'collection'
           AND NOT EXISTS (SELECT 1 FROM compensations r
                           WHERE r.shop_id = c.shop_id AND r.reverses = c.id AND r.made_by <> c.made_by)",
    )
    .bind(ticket.shop_id)
    .bind(person)
    .bind(ticket.customer_id)
    .bind(day_start(ticket, now))
    .bind(now - Duration::days(BUYER_WINDOW_DAYS))
    .fetch_one(&mut *tx)
    .await?;
    Ok(Given {
        by_person_today: Fen(person_fen),
        to_buyer_30_days: Fen(buyer_fen),
    })
}

/// A note as given: trimmed, and none when empty.
fn note_of(note: Option<String>) -> Option<String> {
    note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
}

/// The longest note kept.
const NOTE_CHARS: usize = 500;

fn check_note(field: &'static str, note: &Option<String>, needed_key: Option<&'static str>) -> Result<(), FieldError> {
    match note {
        None => match needed_key {
            Some(key) => Err(FieldError::new(field, key)),
            None => Ok(()),
        },
        Some(text) if text.chars().count() > NOTE_CHARS => {
            Err(FieldError::new(field, "ledger.error.note_too_long").with("max", NOTE_CHARS))
        }
        Some(_) => Ok(()),
    }
}

async fn record_event(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    event: CompensationEvent,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let event = EventData::Compensation(event);
    repo::append_event(&mut *tx, ticket.shop_id, ticket.id, now, Some(user.id), &event).await
}

/// Who is asked to approve an entry of `shop` made by `maker`: the shop's supervisors, else
/// (a shop without one) the admins; never the maker.
async fn approvers(tx: &mut sqlx::PgConnection, shop: ShopId, maker: UserId) -> sqlx::Result<Vec<UserId>> {
    sqlx::query_scalar(
        "WITH supervisors AS (
             SELECT u.id FROM shop_members m JOIN users u ON u.id = m.user_id
             WHERE m.shop_id = $1 AND u.role = 'supervisor' AND NOT u.disabled AND u.id <> $2)
         SELECT id FROM supervisors
         UNION ALL
         SELECT id FROM users WHERE role = 'admin' AND NOT disabled AND id <> $2
                                AND NOT EXISTS (SELECT 1 FROM supervisors)
         ORDER BY id",
    )
    .bind(shop)
    .bind(maker)
    .fetch_all(&mut *tx)
    .await
}

/// One change of what a person gave and a buyer was given at a time: the person's and the
/// buyer's rows locked, in this order, after the ticket (entries and approvals alike).
async fn lock_person_and_buyer(tx: &mut sqlx::PgConnection, person: UserId, ticket: &Ticket) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind(person)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT 1 FROM customers WHERE shop_id = $1 AND id = $2 FOR NO KEY UPDATE")
        .bind(ticket.shop_id)
        .bind(ticket.customer_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What the notices say under their sentence: the amount and the maker's note, which read the
/// same in any language (the sentence itself is made in the reader's).
fn notice_note(entry: &Entry) -> String {
    let mut note = Fen(entry.amount_fen).to_string();
    if !entry.note.is_empty() {
        note.push_str(" · ");
        note.push_str(&entry.note);
    }
    note
}

/// Enters a payout, coupon or collection on ticket `id` (whoever works tickets; any ticket of
/// theirs, closed or not: compensation often comes after the case is closed). Within the
/// shop's limits it is booked; over any, it waits and the shop's approvers are told. Entries and
/// approvals for one person and one buyer are made one at a time (their rows are locked), so two
/// at once cannot both slip under a limit.
pub async fn enter(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    input: NewEntry,
    now: DateTime<Utc>,
) -> Result<(Ticket, Entry), LedgerError> {
    user.require(Action::WorkTickets)?;
    let note = note_of(input.note);
    if !input.method.reasons().contains(&input.reason) {
        return Err(FieldError::new("reason", "ledger.error.reason_unfit").into());
    }
    let amount = rules::check_amount(Fen(input.amount_fen)).map_err(|error| {
        FieldError::new(
            "amount_fen",
            match error {
                AmountError::NotPositive => "ledger.error.amount_not_positive",
                AmountError::TooLarge => "ledger.error.amount_too_large",
            },
        )
    })?;
    check_note(
        "note",
        &note,
        (input.reason == Reason::Other).then_some("ledger.error.note_needed"),
    )?;
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    lock_person_and_buyer(&mut tx, user.id, &ticket).await?;
    let limits = limits(&mut *tx, ticket.shop_id).await?;
    let given = given(&mut tx, &ticket, user.id, now).await?;
    let (status, over) = match rules::decide(input.method, amount, &limits, given) {
        Decision::Book => (EntryStatus::Booked, Vec::new()),
        Decision::NeedsApproval(over) => (EntryStatus::Pending, over),
    };
    let over_text: Vec<&str> = over.iter().map(|l| l.as_str()).collect();
    let entry_id: i64 = sqlx::query_scalar(
        "INSERT INTO compensations (shop_id, ticket_id, customer_id, method, reason, amount_fen, note, status,
                                    over_limits, made_by, made_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(ticket.customer_id)
    .bind(input.method.as_str())
    .bind(input.reason.as_str())
    .bind(amount.0)
    .bind(note.clone().unwrap_or_default())
    .bind(status.as_str())
    .bind(&over_text)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let change = if status == EntryStatus::Pending {
        CompensationChange::Requested
    } else {
        CompensationChange::Booked
    };
    let event = CompensationEvent {
        entry: entry_id,
        change,
        method: input.method,
        reason: input.reason,
        amount_fen: amount.0,
        note,
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let entry = entry_for_update(&mut tx, ticket.shop_id, ticket.id, entry_id).await?;
    if status == EntryStatus::Pending {
        for approver in approvers(&mut tx, ticket.shop_id, user.id).await? {
            notifications::notify(
                &mut *tx,
                ticket.shop_id,
                approver,
                ticket.id,
                Kind::CompensationWaiting,
                user.id,
                &notice_note(&entry),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!(ticket = %ticket.id, entry = entry_id, status = status.as_str(), "compensation entered");
    Ok((ticket, entry))
}

/// Approves, rejects or withdraws a waiting entry: approving and rejecting are for those who
/// may approve and never the maker (audited, the maker told); withdrawing is the maker's.
pub async fn decide(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    entry: i64,
    verdict: Verdict,
    note: EntryNote,
    now: DateTime<Utc>,
) -> Result<(Ticket, Entry), LedgerError> {
    if verdict != Verdict::Withdraw {
        user.require(Action::ApproveCompensation)?;
    }
    let note = note_of(note.note);
    check_note(
        "note",
        &note,
        (verdict == Verdict::Reject).then_some("ledger.error.reject_note_needed"),
    )?;
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let current = entry_for_update(&mut tx, ticket.shop_id, ticket.id, entry).await?;
    rules::may_decide(current.status, current.made_by, user.id, verdict).map_err(LedgerError::Refused)?;
    // An approval changes what the maker gave and the buyer was given: the same locks as an
    // entry's, in the same order (ticket, person, buyer), so that none is judged meanwhile.
    lock_person_and_buyer(&mut tx, current.made_by, &ticket).await?;
    sqlx::query(
        "UPDATE compensations SET status = $4, decided_by = $5, decided_at = $6, decision_note = $7
         WHERE shop_id = $1 AND ticket_id = $2 AND id = $3",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(entry)
    .bind(verdict.status().as_str())
    .bind(user.id)
    .bind(now)
    .bind(note.clone().unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    let change = match verdict {
        Verdict::Approve => CompensationChange::Approved,
        Verdict::Reject => CompensationChange::Rejected,
        Verdict::Withdraw => CompensationChange::Withdrawn,
    };
    let event = CompensationEvent {
        entry,
        change,
        method: current.method,
        reason: current.reason,
        amount_fen: current.amount_fen,
        note: note.clone(),
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let (audit_action, kind) = match verdict {
        Verdict::Approve => (
            Some(crate::audit::action::COMPENSATION_APPROVED),
            Some(Kind::CompensationApproved),
        ),
        Verdict::Reject => (
            Some(crate::audit::action::COMPENSATION_REJECTED),
            Some(Kind::CompensationRejected),
        ),
        Verdict::Withdraw => (None, None),
    };
    if let Some(audit_action) = audit_action {
        crate::audit::record(
            &mut *tx,
            user.id,
            audit_action,
            Some(ticket.shop_id),
            &format!("ticket {} · entry {entry}", ticket.id),
            serde_json::json!({
                "ticket": ticket.id, "entry": entry, "method": current.method, "reason": current.reason,
                "amount_fen": current.amount_fen, "maker": current.made_by, "over_limits": current.over_limits,
                "note": note,
            }),
        )
        .await?;
    }
    if let Some(kind) = kind {
        notifications::notify(
            &mut *tx,
            ticket.shop_id,
            current.made_by,
            ticket.id,
            kind,
            user.id,
            &note.unwrap_or_else(|| notice_note(&current)),
            now,
        )
        .await?;
    }
    let decided = entry_for_update(&mut tx, ticket.shop_id, ticket.id, entry).await?;
    tx.commit().await?;
    tracing::info!(ticket = %ticket.id, entry, status = decided.status.as_str(), "compensation decided");
    Ok((ticket, decided))
}

/// Reverses a booked payout or coupon with an entry of the same method and amount the other way
/// (whoever works tickets; a reason is needed): the balance goes back exactly; the reversed entry
/// stops counting toward the limits only when someone other than its maker reversed it.
/// Answers the reversal.
pub async fn reverse(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    entry: i64,
    note: EntryNote,
    now: DateTime<Utc>,
) -> Result<(Ticket, Entry), LedgerError> {
    user.require(Action::WorkTickets)?;
    let note = note_of(note.note);
    check_note("note", &note, Some("ledger.error.reverse_note_needed"))?;
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let original = entry_for_update(&mut tx, ticket.shop_id, ticket.id, entry).await?;
    rules::may_reverse(
        original.method,
        original.status,
        original.reverses.is_some(),
        original.reversed_by.is_some(),
    )
    .map_err(LedgerError::Refused)?;
    let reversal_id: i64 = sqlx::query_scalar(
        "INSERT INTO compensations (shop_id, ticket_id, customer_id, method, reason, amount_fen, note, status,
                                    reverses, made_by, made_at)
         SELECT shop_id, ticket_id, customer_id, method, reason, amount_fen, $4, 'booked', id, $5, $6
         FROM compensations WHERE shop_id = $1 AND ticket_id = $2 AND id = $3 RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(entry)
    .bind(note.clone().unwrap_or_default())
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = CompensationEvent {
        entry,
        change: CompensationChange::Reversed,
        method: original.method,
        reason: original.reason,
        amount_fen: original.amount_fen,
        note,
    };
    record_event(&mut tx, user, &ticket, event, now).await?;
    let reversal = entry_for_update(&mut tx, ticket.shop_id, ticket.id, reversal_id).await?;
    tx.commit().await?;
    tracing::info!(ticket = %ticket.id, entry, reversal = reversal_id, "compensation reversed");
    Ok((ticket, reversal))
}

/// The entries waiting for approval in `shops`, oldest first (at most `limit`).
pub async fn waiting(db: impl PgExecutor<'_>, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<Entry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM compensations c JOIN users m ON m.id = c.made_by LEFT JOIN users d ON d.id = c.decided_by
         WHERE c.shop_id = ANY($1) AND c.status = 'pending' ORDER BY c.made_at, c.id LIMIT $2"
    ))
    .bind(shops)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(EntryRow::typed).collect()
}
