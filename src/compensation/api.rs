//! The JSON API of the compensation ledger: a ticket's ledger, a new entry, the decision on a
//! waiting one, a reversal, and the entries waiting for approval. Thin: extract, call
//! `compensation`, answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{BuyerTotals, Entry, EntryNote, LedgerError, NewEntry};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Message;
use crate::ids::TicketId;
use crate::rules::compensation::{Verdict, balance};
use crate::state::AppState;
use crate::tickets::repo;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger, add_entry))
        .routes(routes!(approve_entry))
        .routes(routes!(reject_entry))
        .routes(routes!(withdraw_entry))
        .routes(routes!(reverse_entry))
        .routes(routes!(waiting_entries))
}

/// A ticket's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    /// Oldest first; reversals are entries of their own (`reverses`).
    pub entries: Vec<Entry>,
    /// Given to the buyer net of what was collected, over this ticket's booked entries.
    pub balance_fen: i64,
    /// The buyer's ledger over all their tickets in the shop.
    pub buyer: BuyerTotals,
}

/// The ledger of a ticket: its entries, its balance and the buyer's totals.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/compensations", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = LedgerView), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<LedgerView>> {
    user.require(Action::ReadTickets)?;
    let ticket = repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let entries = super::entries(&state.pool, ticket.shop_id, id).await?;
    let buyer = super::buyer_totals(ticket.shop_id, ticket.customer_id)
        .optional(&state.pool)
        .await?
        .unwrap_or_default();
    let rules_entries: Vec<_> = entries.iter().map(Entry::rules_entry).collect();
    Ok(Json(LedgerView {
        balance_fen: balance(&rules_entries).0,
        entries,
        buyer,
    }))
}

/// Enters a payout (小额打款), coupon or collection (小额收款) on a ticket. Within the shop's
/// limits it is `booked` (201); over any limit it is `pending` (202) and the shop's
/// supervisors are told. A reason that does not fit the method, an amount out of range or a
/// missing note with `other` is 422 naming the field.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensations", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id")), request_body = NewEntry,
    responses((status = 201, description = "booked", body = Entry), (status = 202, description = "waiting for approval", body = Entry),
              (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn add_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
    crate::api::ApiJson(input): crate::api::ApiJson<NewEntry>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    let (_, entry) = super::enter(&state.pool, &user, id, input, state.now()).await?;
    let status = if entry.status == crate::rules::compensation::EntryStatus::Pending {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(entry)))
}

async fn decide(
    state: &AppState,
    user: &CurrentUser,
    id: TicketId,
    entry: i64,
    verdict: Verdict,
    note: EntryNote,
) -> ApiResult<Json<Entry>> {
    let (_, entry) = super::decide(&state.pool, user, id, entry, verdict, note, state.now()).await?;
    Ok(Json(entry))
}

/// Approves an entry waiting for approval (supervisors and admins; never the entry's maker:
/// 422 `own_entry`). It is booked, the approval audited and the maker told.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensations/{entry}/approve", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id"), ("entry" = i64, Path, description = "ledger entry id")),
    request_body = EntryNote,
    responses((status = 200, body = Entry), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn approve_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, entry)): Path<(TicketId, i64)>,
    crate::api::ApiJson(note): crate::api::ApiJson<EntryNote>,
) -> ApiResult<Json<Entry>> {
    decide(&state, &user, id, entry, Verdict::Approve, note).await
}

/// Rejects an entry waiting for approval, saying why (supervisors and admins, never the
/// maker); audited, the maker told.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensations/{entry}/reject", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id"), ("entry" = i64, Path, description = "ledger entry id")),
    request_body = EntryNote,
    responses((status = 200, body = Entry), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reject_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, entry)): Path<(TicketId, i64)>,
    crate::api::ApiJson(note): crate::api::ApiJson<EntryNote>,
) -> ApiResult<Json<Entry>> {
    decide(&state, &user, id, entry, Verdict::Reject, note).await
}

/// Takes back one's own entry while it waits for approval.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensations/{entry}/withdraw", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id"), ("entry" = i64, Path, description = "ledger entry id")),
    request_body = EntryNote,
    responses((status = 200, body = Entry), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn withdraw_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, entry)): Path<(TicketId, i64)>,
    crate::api::ApiJson(note): crate::api::ApiJson<EntryNote>,
) -> ApiResult<Json<Entry>> {
    decide(&state, &user, id, entry, Verdict::Withdraw, note).await
}

/// Reverses a booked entry with an entry of the same amount the other way, saying why
/// (`note`); answers the reversal (201). An entry already reversed, a reversal, or an entry
/// not booked is 422.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensations/{entry}/reverse", tag = "compensation",
    params(("id" = i64, Path, description = "ticket id"), ("entry" = i64, Path, description = "ledger entry id")),
    request_body = EntryNote,
    responses((status = 201, body = Entry), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn reverse_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, entry)): Path<(TicketId, i64)>,
    crate::api::ApiJson(note): crate::api::ApiJson<EntryNote>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    let (_, reversal) = super::reverse(&state.pool, &user, id, entry, note, state.now()).await?;
    Ok((StatusCode::CREATED, Json(reversal)))
}

/// The entries waiting for approval in the caller's shops, oldest first (those who may approve).
#[utoipa::path(get, path = "/api/v1/compensations/waiting", tag = "compensation",
    responses((status = 200, body = Vec<Entry>), (status = 403, body = crate::api::ErrorBody)))]
pub async fn waiting_entries(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<Entry>>> {
    user.require(Action::ApproveCompensation)?;
    Ok(Json(super::waiting(&state.pool, &user.shops, 500).await?))
}

impl From<LedgerError> for ApiError {
    /// A refusal of the rules: 422 with its own code in the catalogue's English; no such entry
    /// 404; the rest as the tickets' errors.
    fn from(error: LedgerError) -> ApiError {
        match error {
            LedgerError::Refused(refusal) => {
                ApiError::unprocessable(refusal.code(), Message::new(refusal.message_key()).english())
            }
            LedgerError::NoEntry => ApiError::not_found("ledger entry"),
            LedgerError::Ticket(error) => ApiError::from(error),
        }
    }
}
