//! The ledger card of the ticket page (`templates/_ticket_ledger.html`): the ticket's entries
//! with their state, the balance and the buyer's totals, the form of a new entry, and on each
//! entry the buttons its reader may use (approve or reject, withdraw, reverse). Each form posts
//! here and is answered as every ticket action is (`tickets::pages::ticket::answer`): the
//! refreshed ticket for htmx, a redirect for a plain post, a refusal next to its field with
//! what was typed kept.

use axum::extract::{Path, State};
use serde::Deserialize;

use super::{Entry, EntryNote, LedgerError, NewEntry};
use crate::api::ApiForm;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::{Answers, Batch, Part};
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::money::Fen;
use crate::rules::compensation::{EntryStatus, Method, Reason, Verdict, balance};
use crate::state::AppState;
use crate::tickets::Ticket;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::{Draft, answer};
use crate::web::views::Choice;
use crate::web::{PageError, PageResult};

/// The routes of the card's forms.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/tickets/{id}/compensations", post(add_entry))
        .route("/tickets/{id}/compensations/{entry}/approve", post(approve_entry))
        .route("/tickets/{id}/compensations/{entry}/reject", post(reject_entry))
        .route("/tickets/{id}/compensations/{entry}/withdraw", post(withdraw_entry))
        .route("/tickets/{id}/compensations/{entry}/reverse", post(reverse_entry))
}

/// One entry as the card lists it.
pub struct EntryRow {
    pub id: i64,
    pub method: String,
    pub reason: String,
    /// The amount with its direction: `+¥30.00` to the buyer, `−¥8.00` from them.
    pub amount: String,
    pub note: String,
    pub status: String,
    /// `ledger-pending`, `ledger-booked`, …
    pub status_class: &'static str,
    /// Who made it, when.
    pub made: String,
    /// Who decided, when, and what they said.
    pub decided: Option<String>,
    /// Why it waits (the limits gone over).
    pub over: String,
    /// The entry it reverses, or the one that reversed it.
    pub reverses: Option<i64>,
    pub reversed_by: Option<i64>,
    /// The reader may approve or reject it / withdraw it / reverse it.
    pub can_decide: bool,
    pub can_withdraw: bool,
    pub can_reverse: bool,
    /// The maker reads it: they may not approve their own.
    pub own_waiting: bool,
}

/// The ledger card.
pub struct LedgerBox {
    pub rows: Vec<EntryRow>,
    pub balance: String,
    /// The buyer's totals over all their tickets: given, collected, waiting.
    pub buyer_given: String,
    pub buyer_collected: String,
    pub buyer_waiting: Option<String>,
    pub can_enter: bool,
    pub methods: Vec<Choice>,
    /// Every reason, with the methods it fits (`data-methods`) so the form offers the fitting.
    pub reasons: Vec<(Choice, String)>,
    /// The shop's limits in words.
    pub limits: String,
    /// What was typed into the new entry's form and the decision forms.
    pub amount: String,
    pub note: String,
    /// The entry whose decision or reversal form was refused, with what was typed.
    pub open_entry: Option<i64>,
    pub entry_note: String,
}

/// What was typed into the ledger's forms, shown again when refused.
#[derive(Clone, Debug, Default)]
pub struct LedgerDraft {
    pub method: String,
    pub reason: String,
    pub amount: String,
    pub note: String,
    pub entry: Option<i64>,
    pub entry_note: String,
}

fn signed_amount(entry: &Entry) -> String {
    let toward_buyer = entry.method.gives() != entry.reverses.is_some();
    let amount = Fen(entry.amount_fen).to_string();
    if toward_buyer {
        format!("+{amount}")
    } else {
        format!("−{amount}")
    }
}

/// Where the card's reads are in the ticket page's batch.
pub struct LedgerAsked {
    entries: Part<super::EntryRow>,
    buyer: Part<super::BuyerTotals>,
    limits: Part<super::StoredLimits>,
}

impl LedgerBox {
    /// What the card reads, added to the ticket page's `batch`.
    pub fn ask(batch: &mut Batch, ticket: &Ticket) -> LedgerAsked {
        LedgerAsked {
            entries: batch.add(super::entry_rows(ticket.shop_id, ticket.id)),
            buyer: batch.add(super::buyer_totals(ticket.shop_id, ticket.customer_id)),
            limits: batch.add(super::stored_limits(ticket.shop_id)),
        }
    }

    /// The card for `ticket` as `user` sees it, from what [`LedgerBox::ask`] read.
    pub fn build(asked: LedgerAsked, answers: &Answers, user: &CurrentUser, t: Tr) -> sqlx::Result<LedgerBox> {
        let entries = answers
            .rows(asked.entries)?
            .into_iter()
            .map(super::EntryRow::typed)
            .collect::<sqlx::Result<Vec<_>>>()?;
        let buyer = answers.first(asked.buyer)?.unwrap_or_default();
        let limits = answers
            .first(asked.limits)?
            .map(super::StoredLimits::limits)
            .ok_or(sqlx::Error::RowNotFound)?;
        let can_enter = user.may(Action::WorkTickets);
        let can_approve = user.may(Action::ApproveCompensation);
        let rules_entries: Vec<_> = entries.iter().map(Entry::rules_entry).collect();
        let rows = entries
            .iter()
            .map(|e| {
                let waiting = e.status == EntryStatus::Pending;
                let mine = e.made_by == user.id;
                EntryRow {
                    id: e.id,
                    method: t.t(e.method.label_key()).to_string(),
                    reason: t.t(e.reason.label_key()).to_string(),
                    amount: signed_amount(e),
                    note: e.note.clone(),
                    status: if e.reverses.is_some() {
                        t.f("ledger.reversal_of", &[("id", &e.reverses.unwrap_or_default())])
                    } else {
                        t.t(e.status.label_key()).to_string()
                    },
                    status_class: match e.status {
                        EntryStatus::Pending => "ledger-pending",
                        EntryStatus::Booked if e.reversed_by.is_some() => "ledger-reversed",
                        EntryStatus::Booked => "ledger-booked",
                        EntryStatus::Rejected | EntryStatus::Withdrawn => "ledger-void",
                    },
                    made: t.f("ledger.made", &[("who", &e.maker), ("when", &t.datetime(&e.made_at))]),
                    decided: match (&e.decider, e.decided_at) {
                        (Some(who), Some(at)) => {
                            let mut line = t.f(
                                match e.status {
                                    EntryStatus::Rejected => "ledger.rejected_by",
                                    EntryStatus::Withdrawn => "ledger.withdrawn_by",
                                    _ => "ledger.approved_by",
                                },
                                &[("who", who), ("when", &t.datetime(&at))],
                            );
                            if !e.decision_note.is_empty() {
                                line.push_str(" · ");
                                line.push_str(&e.decision_note);
                            }
                            Some(line)
                        }
                        _ => None,
                    },
                    over: e
                        .over_limits
                        .iter()
                        .map(|l| t.t(l.label_key()))
                        .collect::<Vec<_>>()
                        .join(t.t("ledger.list_sep")),
                    reverses: e.reverses,
                    reversed_by: e.reversed_by,
                    can_decide: waiting && can_approve && !mine,
                    can_withdraw: waiting && mine,
                    can_reverse: can_enter
                        && e.method.gives()
                        && e.status == EntryStatus::Booked
                        && e.reverses.is_none()
                        && e.reversed_by.is_none(),
                    own_waiting: waiting && mine,
                }
            })
            .collect();
        let yuan = |fen: i64| Fen(fen).to_string();
        Ok(LedgerBox {
            rows,
            balance: yuan(balance(&rules_entries).0),
            buyer_given: yuan(buyer.given_fen),
            buyer_collected: yuan(buyer.collected_fen),
            buyer_waiting: (buyer.waiting > 0).then(|| {
                t.f(
                    "ledger.buyer_waiting",
                    &[("n", &buyer.waiting), ("amount", &yuan(buyer.waiting_fen))],
                )
            }),
            can_enter,
            methods: Method::ALL
                .iter()
                .map(|m| Choice::new(m.as_str(), t.t(m.label_key()), *m == Method::Payout))
                .collect(),
            reasons: Reason::ALL
                .iter()
                .map(|r| {
                    let fits: Vec<&str> = Method::ALL
                        .iter()
                        .filter(|m| m.reasons().contains(r))
                        .map(|m| m.as_str())
                        .collect();
                    (Choice::new(r.as_str(), t.t(r.label_key()), false), fits.join(" "))
                })
                .collect(),
            limits: t.f(
                "ledger.limits",
                &[
                    ("entry", &yuan(limits.per_entry_fen)),
                    ("day", &yuan(limits.per_person_day_fen)),
                    ("buyer", &yuan(limits.per_buyer_30_days_fen)),
                ],
            ),
            amount: String::new(),
            note: String::new(),
            open_entry: None,
            entry_note: String::new(),
        })
    }

    /// Whether the decision or reversal form of entry `id` was the one refused.
    pub fn is_open(&self, id: &i64) -> bool {
        self.open_entry == Some(*id)
    }

    /// Shows what was typed again after a refusal.
    pub fn keep(&mut self, draft: &LedgerDraft) {
        if !draft.method.is_empty() {
            for choice in &mut self.methods {
                choice.selected = choice.value == draft.method;
            }
        }
        for (choice, _) in &mut self.reasons {
            choice.selected = choice.value == draft.reason;
        }
        self.amount = draft.amount.clone();
        self.note = draft.note.clone();
        self.open_entry = draft.entry;
        self.entry_note = draft.entry_note.clone();
    }
}

/// The page's name of a field the service names as the API does.
fn page_field(error: FieldError, entry: Option<i64>) -> FieldError {
    let field = match (error.field, entry) {
        ("method", _) => "ledger_method",
        ("reason", _) => "ledger_reason",
        ("amount_fen", _) => "ledger_amount",
        ("note", None) => "ledger_note",
        ("note", Some(_)) => "entry_note",
        (other, _) => other,
    };
    FieldError { field, ..error }
}

impl Refusal {
    fn from_ledger(error: LedgerError, entry: Option<i64>) -> Refusal {
        match error {
            LedgerError::Refused(refusal) => Refusal::Told(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                crate::i18n::Message::new(refusal.message_key()),
            ),
            LedgerError::NoEntry => Refusal::Page(PageError::not_found()),
            LedgerError::Ticket(error) => match error.field().cloned() {
                Some(field) => Refusal::Field(page_field(field, entry)),
                None => Refusal::from(error),
            },
        }
    }
}

/// The new entry's form.
#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    ledger_method: String,
    #[serde(default)]
    ledger_reason: String,
    #[serde(default)]
    ledger_amount: String,
    #[serde(default)]
    ledger_note: String,
}

/// Enters a payout, coupon or collection.
pub async fn add_entry(
    State(state): State<AppState>,
    page: crate::web::Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<EntryForm>,
) -> PageResult {
    let draft = Draft {
        ledger: LedgerDraft {
            method: form.ledger_method.clone(),
            reason: form.ledger_reason.clone(),
            amount: form.ledger_amount.clone(),
            note: form.ledger_note.clone(),
            ..LedgerDraft::default()
        },
        ..Draft::default()
    };
    let parsed = (|| {
        let method =
            Method::parse(&form.ledger_method).ok_or(FieldError::new("ledger_method", "ledger.error.pick_method"))?;
        let reason =
            Reason::parse(&form.ledger_reason).ok_or(FieldError::new("ledger_reason", "ledger.error.pick_reason"))?;
        let amount = Fen::parse_yuan(&form.ledger_amount)
            .ok_or(FieldError::new("ledger_amount", "ledger.error.amount_unreadable"))?;
        Ok::<_, FieldError>(NewEntry {
            method,
            reason,
            amount_fen: amount.0,
            note: Some(form.ledger_note.clone()),
        })
    })();
    let (result, done) = match parsed {
        Ok(input) => match super::enter(&state.pool, &page.user, id, input, state.now()).await {
            Ok((ticket, entry)) if entry.status == EntryStatus::Pending => (Ok(ticket), "ledger.flash.waiting"),
            Ok((ticket, _)) => (Ok(ticket), "ledger.flash.booked"),
            Err(error) => (Err(Refusal::from_ledger(error, None)), ""),
        },
        Err(field) => (Err(Refusal::Field(field)), ""),
    };
    answer(&state, &page, id, result, done, draft).await
}

/// The form of a decision or a reversal: what the person says with it.
#[derive(Deserialize)]
pub struct EntryNoteForm {
    #[serde(default)]
    entry_note: String,
}

async fn on_entry(
    state: AppState,
    page: crate::web::Page,
    id: TicketId,
    entry: i64,
    form: EntryNoteForm,
    verdict: Option<Verdict>,
) -> PageResult {
    let draft = Draft {
        ledger: LedgerDraft {
            entry: Some(entry),
            entry_note: form.entry_note.clone(),
            ..LedgerDraft::default()
        },
        ..Draft::default()
    };
    let note = EntryNote {
        note: Some(form.entry_note),
    };
    let now = state.now();
    let (result, done) = match verdict {
        Some(verdict) => (
            super::decide(&state.pool, &page.user, id, entry, verdict, note, now).await,
            match verdict {
                Verdict::Approve => "ledger.flash.approved",
                Verdict::Reject => "ledger.flash.rejected",
                Verdict::Withdraw => "ledger.flash.withdrawn",
            },
        ),
        None => (
            super::reverse(&state.pool, &page.user, id, entry, note, now).await,
            "ledger.flash.reversed",
        ),
    };
    let result = result
        .map(|(ticket, _)| ticket)
        .map_err(|error| Refusal::from_ledger(error, Some(entry)));
    answer(&state, &page, id, result, done, draft).await
}

/// Approves a waiting entry.
pub async fn approve_entry(
    State(state): State<AppState>,
    page: crate::web::Page,
    Path((id, entry)): Path<(TicketId, i64)>,
    ApiForm(form): ApiForm<EntryNoteForm>,
) -> PageResult {
    on_entry(state, page, id, entry, form, Some(Verdict::Approve)).await
}

/// Rejects a waiting entry.
pub async fn reject_entry(
    State(state): State<AppState>,
    page: crate::web::Page,
    Path((id, entry)): Path<(TicketId, i64)>,
    ApiForm(form): ApiForm<EntryNoteForm>,
) -> PageResult {
    on_entry(state, page, id, entry, form, Some(Verdict::Reject)).await
}

/// Withdraws one's own waiting entry.
pub async fn withdraw_entry(
    State(state): State<AppState>,
    page: crate::web::Page,
    Path((id, entry)): Path<(TicketId, i64)>,
    ApiForm(form): ApiForm<EntryNoteForm>,
) -> PageResult {
    on_entry(state, page, id, entry, form, Some(Verdict::Withdraw)).await
}

/// Reverses a booked entry.
pub async fn reverse_entry(
    State(state): State<AppState>,
    page: crate::web::Page,
    Path((id, entry)): Path<(TicketId, i64)>,
    ApiForm(form): ApiForm<EntryNoteForm>,
) -> PageResult {
    on_entry(state, page, id, entry, form, None).await
}
