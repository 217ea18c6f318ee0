//! `GET /api/v1/shops/{shop}/search`: the search as JSON.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::text::Piece;
use super::{BuyerHit, Hit, OrderHit, Params, Viewer};
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::state::AppState;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// A ticket found.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketHit {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub order_no: String,
    pub buyer: String,
    pub assignee: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Where the words were found (`description`, `follow_up`, `note`, `order_no`, `tracking`,
    /// `nick`…); absent when found by its number alone.
    pub matched_in: Option<String>,
    /// The text around the hit, in pieces; `hit` marks what matched.
    pub snippet: Vec<Piece>,
}

/// What a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Exact matches of a ticket number or an identifier (first page only).
    pub best: Vec<TicketHit>,
    /// The other tickets found, newest first.
    pub tickets: Vec<TicketHit>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
    /// Buyers found (first page only).
    pub buyers: Vec<BuyerHit>,
    /// Orders found (first page only).
    pub orders: Vec<OrderHit>,
    /// The index is catching up with a large change: the newest writes may be missing.
    pub catching_up: bool,
}

fn ticket_hit(hit: Hit) -> TicketHit {
    let t = hit.ticket;
    TicketHit {
        id: t.id.0,
        kind: t.position.kind.as_str().to_string(),
        status: t.position.status.as_str().to_string(),
        order_no: t.order_no,
        buyer: t.buyer,
        assignee: t.assignee_name,
        opened_at: t.opened_at,
        closed_at: t.closed_at,
        matched_in: hit.source.map(|s| s.name().to_string()),
        snippet: hit.pieces,
    }
}

/// Finds tickets of every status, buyers and orders of a shop. Words must all match; Chinese
/// is matched by its characters (one or more), letters and digits from their start, order and
/// tracking numbers and nicks also from the middle. Filters combine with the words.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/search", tag = "search",
    params(("shop" = i64, Path, description = "shop id"), Params),
    responses((status = 200, body = SearchResults), (status = 400, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiQuery(params): ApiQuery<Params>,
) -> ApiResult<Json<SearchResults>> {
    user.require_shop(shop)?;
    user.require(crate::auth::permissions::Action::ReadTickets)?;
    let request = params.read().map_err(|errors| {
        let first = errors[0];
        ApiError::invalid(first.field, first.message)
    })?;
    let viewer = Viewer::of(&user);
    let found = super::search(&state.pool, &state.search, shop, &request, viewer).await?;
    Ok(Json(SearchResults {
        best: found.best.into_iter().map(ticket_hit).collect(),
        tickets: found.tickets.into_iter().map(ticket_hit).collect(),
        next_before: found.next_before.map(|t| t.0),
        buyers: found.buyers,
        orders: found.orders,
        catching_up: found.catching_up,
    }))
}
