//! Goods on the pages: the ticket page's card (`templates/_ticket_stock.html`: receipts of a
//! return, reships, intercepts, with their forms, answered as every ticket action is), the
//! returns stock per SKU (`/returns/stock`, `returns_stock.html`) and the unclaimed parcels
//! (`/returns/parcels`, `parcels.html`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{GoodsError, NewIntercept, NewOutcome, NewParcel, NewReceipt, NewReship};
use crate::api::{ApiForm, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::{Answers, Batch, Part};
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::{Message, Tr};
use crate::ids::{ShopId, TicketId};
use crate::money::Fen;
use crate::reports::api::{ReportQuery, period_of};
use crate::rules::shipment::Carrier;
use crate::rules::stock::{InterceptOutcome, ReshipReason};
use crate::rules::workflow::TicketKind;
use crate::state::AppState;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::{Draft, answer};
use crate::tickets::{Ticket, TicketError};
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The routes of the card's forms and the two pages.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/tickets/{id}/receipts", post(receive))
        .route("/tickets/{id}/reships", post(reship))
        .route("/tickets/{id}/intercepts", post(intercept))
        .route("/tickets/{id}/intercepts/{intercept}/outcome", post(intercept_outcome))
        .route("/returns/stock", get(show_stock))
        .route("/returns/parcels", get(show_parcels).post(record_parcel))
        .route("/returns/parcels/{parcel}/match", post(match_parcel))
}

// ---- the ticket page's card ----

/// A line of the card's lists, in words.
pub struct GoodsLine {
    pub id: i64,
    pub text: String,
    pub detail: String,
    /// An intercept's next outcomes (value, label); empty when final or not an intercept.
    pub next: Vec<Choice>,
}

/// The goods card.
pub struct StockBox {
    /// A return or exchange: goods come back and are received.
    pub receives: bool,
    pub receipts: Vec<GoodsLine>,
    pub reships: Vec<GoodsLine>,
    pub intercepts: Vec<GoodsLine>,
    pub can_work: bool,
    /// The order's lines (the forms' choices), the ticket's own selected.
    pub lines: Vec<Choice>,
    pub photos: Vec<Choice>,
    pub carriers: Vec<Choice>,
    pub reasons: Vec<Choice>,
    /// What was typed, by field name, when a form was refused.
    pub typed: Vec<(String, String)>,
    /// Which form was refused (`receipt`, `reship`, `intercept`, or an intercept's id).
    pub open: String,
    /// The platform's clock running on the ticket (its label and countdown), shown beside an
    /// intercept still under way: the answer to the buyer is due whatever the carrier does.
    pub timer: Option<(String, crate::tickets::pages::views::Deadline)>,
}

/// Where the card's reads are in the ticket page's batch.
pub struct StockAsked {
    receipts: Part<super::Receipt>,
    reships: Part<super::Reship>,
    intercepts: Part<super::Intercept>,
}

impl StockBox {
    /// What was typed into `field`, for a form shown again.
    pub fn typed(&self, field: &str) -> &str {
        self.typed
            .iter()
            .find(|(name, _)| name == field)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Whether `form` is the one refused.
    pub fn is_open(&self, form: &str) -> bool {
        self.open == form
    }

    /// What the card reads, added to the ticket page's `batch`.
    pub fn ask(batch: &mut Batch, ticket: &Ticket) -> StockAsked {
        StockAsked {
            receipts: batch.add(super::receipts(ticket.shop_id, ticket.id)),
            reships: batch.add(super::reships(ticket.shop_id, ticket.id)),
            intercepts: batch.add(super::intercepts(ticket.shop_id, ticket.id)),
        }
    }

    /// The card for `ticket` as `user` sees it, from what [`StockBox::ask`] read: `order` is the
    /// ticket's order and `files` the ticket's files, as the ticket page has read them.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        asked: StockAsked,
        answers: &Answers,
        user: &CurrentUser,
        t: Tr,
        ticket: &Ticket,
        order: Option<&crate::orders::Order>,
        files: &[crate::evidence::Evidence],
        now: chrono::DateTime<chrono::Utc>,
    ) -> sqlx::Result<StockBox> {
        let receipts = answers.rows(asked.receipts)?;
        let reships = answers.rows(asked.reships)?;
        let intercepts = answers.rows(asked.intercepts)?;
        let receives = matches!(ticket.kind(), TicketKind::Return | TicketKind::Exchange);
        let can_work = user.may(Action::WorkTickets);
        let (lines, photos) = if can_work {
            let lines = order
                .map(|o| {
                    o.lines
                        .iter()
                        .map(|l| {
                            Choice::new(
                                l.sku.clone(),
                                format!("{} · {} × {}", l.sku, l.title, l.quantity),
                                ticket.sku.as_deref() == Some(l.sku.as_str()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let photos = files
                .iter()
                .filter(|e| crate::evidence::is_image(&e.content_type))
                .map(|e| Choice::new(e.id.to_string(), e.file_name.clone(), false))
                .collect();
            (lines, photos)
        } else {
            (Vec::new(), Vec::new())
        };
        let carrier_name = |stored: &str| {
            Carrier::parse(stored)
                .map(|c| t.t(c.label_key()).to_string())
                .unwrap_or_else(|| stored.to_string())
        };
        Ok(StockBox {
            receives,
            receipts: receipts
                .iter()
                .map(|r| GoodsLine {
                    id: r.id,
                    text: t.f(
                        "stock.receipt_line",
                        &[
                            ("sku", &r.sku),
                            ("returned", &r.returned),
                            ("good", &r.good),
                            ("defective", &r.defective),
                            ("missing", &r.missing),
                        ],
                    ),
                    detail: {
                        let mut detail = t.f(
                            "stock.by_at",
                            &[("who", &r.receiver), ("when", &t.datetime(&r.received_at))],
                        );
                        if !r.photos.is_empty() {
                            detail.push_str(" · ");
                            detail.push_str(&t.f("stock.photos", &[("n", &r.photos.len())]));
                        }
                        if !r.note.is_empty() {
                            detail.push_str(" · ");
                            detail.push_str(&r.note);
                        }
                        detail
                    },
                    next: Vec::new(),
                })
                .collect(),
            reships: reships
                .iter()
                .map(|r| GoodsLine {
                    id: r.id,
                    text: t.f(
                        "stock.reship_line",
                        &[
                            (
                                "reason",
                                &ReshipReason::parse(&r.reason).map_or(r.reason.as_str(), |x| t.t(x.label_key())),
                            ),
                            ("sku", &r.sku),
                            ("quantity", &r.quantity),
                            ("carrier", &carrier_name(&r.carrier)),
                            ("tracking_no", &r.tracking_no),
                            ("cost", &Fen(r.cost_fen)),
                        ],
                    ),
                    detail: {
                        let mut detail = t.f(
                            "stock.by_at",
                            &[("who", &r.shipper), ("when", &t.datetime(&r.shipped_at))],
                        );
                        if !r.note.is_empty() {
                            detail.push_str(" · ");
                            detail.push_str(&r.note);
                        }
                        detail
                    },
                    next: Vec::new(),
                })
                .collect(),
            intercepts: intercepts
                .iter()
                .map(|i| {
                    let outcome = InterceptOutcome::parse(&i.outcome).unwrap_or(InterceptOutcome::Requested);
                    GoodsLine {
                        id: i.id,
                        text: t.f(
                            "stock.intercept_line",
                            &[
                                ("carrier", &carrier_name(&i.carrier)),
                                ("tracking_no", &i.tracking_no),
                                ("outcome", &t.t(outcome.label_key())),
                            ],
                        ),
                        detail: {
                            let mut detail = t.f(
                                "stock.by_at",
                                &[("who", &i.requester), ("when", &t.datetime(&i.requested_at))],
                            );
                            if i.fee_fen > 0 {
                                detail.push_str(" · ");
                                detail.push_str(&t.f("stock.fee", &[("fee", &Fen(i.fee_fen))]));
                            }
                            if !i.note.is_empty() {
                                detail.push_str(" · ");
                                detail.push_str(&i.note);
                            }
                            detail
                        },
                        next: if can_work {
                            outcome
                                .next()
                                .iter()
                                .map(|o| Choice::new(o.as_str(), t.t(o.label_key()), false))
                                .collect()
                        } else {
                            Vec::new()
                        },
                    }
                })
                .collect(),
            can_work,
            lines,
            photos,
            carriers: Carrier::ALL
                .iter()
                .map(|c| Choice::new(c.as_str(), t.t(c.label_key()), false))
                .collect(),
            reasons: ReshipReason::ALL
                .iter()
                .map(|r| Choice::new(r.as_str(), t.t(r.label_key()), false))
                .collect(),
            typed: Vec::new(),
            open: String::new(),
            timer: ticket.running_timers().into_iter().min_by_key(|c| c.deadline).map(|c| {
                (
                    c.kind.label(t.lang).to_string(),
                    crate::tickets::pages::views::Deadline::new(t, Some(c.deadline), now),
                )
            }),
        })
    }

    /// Shows what was typed again after a refusal.
    pub fn keep(&mut self, draft: &StockDraft) {
        if draft.form.is_empty() {
            return;
        }
        self.open = draft.form.clone();
        self.typed = draft.typed.clone();
        let typed = |name: &str| draft.typed.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        if let Some(sku) = typed("stock_sku") {
            for choice in &mut self.lines {
                choice.selected = choice.value == sku;
            }
        }
        if let Some(carrier) = typed("stock_carrier") {
            for choice in &mut self.carriers {
                choice.selected = choice.value == carrier;
            }
        }
        if let Some(reason) = typed("reship_reason") {
            for choice in &mut self.reasons {
                choice.selected = choice.value == reason;
            }
        }
        for choice in &mut self.photos {
            choice.selected = draft.photos.contains(&choice.value);
        }
    }
}

/// What was typed into the card's forms, shown again when refused.
#[derive(Clone, Debug, Default)]
pub struct StockDraft {
    /// Which form: `receipt`, `reship`, `intercept`, or `outcome-<id>`.
    pub form: String,
    pub typed: Vec<(String, String)>,
    pub photos: Vec<String>,
}

/// The page's name of a field the service names as the API does.
fn page_field(error: FieldError) -> FieldError {
    let field = match error.field {
        "sku" => "stock_sku",
        "returned" => "stock_returned",
        "good" => "stock_good",
        "defective" => "stock_defective",
        "missing" => "stock_missing",
        "photos" => "stock_photos",
        "carrier" => "stock_carrier",
        "tracking_no" => "stock_tracking_no",
        "quantity" => "reship_quantity",
        "cost_fen" => "stock_cost",
        "fee_fen" => "stock_cost",
        "note" => "stock_note",
        other => other,
    };
    FieldError { field, ..error }
}

impl From<GoodsError> for Refusal {
    fn from(error: GoodsError) -> Refusal {
        match error {
            GoodsError::Ticket(error) => match error.field().cloned() {
                Some(field) => Refusal::Field(page_field(field)),
                None => Refusal::from(error),
            },
            GoodsError::NotFound => Refusal::Page(PageError::not_found()),
            other => Refusal::Told(
                StatusCode::UNPROCESSABLE_ENTITY,
                Message::new(other.message_key().unwrap_or("stock.error.outcome")),
            ),
        }
    }
}

/// A whole number typed into a form's field, or the field's error.
fn count(field: &'static str, text: &str) -> Result<i32, Refusal> {
    text.trim()
        .parse::<i32>()
        .map_err(|_| Refusal::Field(FieldError::new(field, "stock.error.whole_number")))
}

/// Yuan typed into a form's field (empty: nothing), as fen.
fn yuan(field: &'static str, text: &str) -> Result<i64, Refusal> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    Fen::parse_yuan(text)
        .map(|f| f.0)
        .ok_or_else(|| Refusal::Field(FieldError::new(field, "stock.error.yuan")))
}

fn carrier(text: &str) -> Result<Carrier, Refusal> {
    Carrier::parse(text)
        .ok_or_else(|| Refusal::Field(FieldError::new("stock_carrier", "goods.invalid.carrier_missing")))
}

/// A form of the card, as posted: every field as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StockForm {
    stock_sku: String,
    stock_returned: String,
    stock_good: String,
    stock_defective: String,
    stock_missing: String,
    stock_carrier: String,
    stock_tracking_no: String,
    stock_cost: String,
    stock_note: String,
    reship_reason: String,
    reship_quantity: String,
    outcome: String,
}

impl StockForm {
    fn draft(&self, form: &str, photos: Vec<String>) -> Draft {
        let typed = [
            ("stock_sku", &self.stock_sku),
            ("stock_returned", &self.stock_returned),
            ("stock_good", &self.stock_good),
            ("stock_defective", &self.stock_defective),
            ("stock_missing", &self.stock_missing),
            ("stock_carrier", &self.stock_carrier),
            ("stock_tracking_no", &self.stock_tracking_no),
            ("stock_cost", &self.stock_cost),
            ("stock_note", &self.stock_note),
            ("reship_reason", &self.reship_reason),
            ("reship_quantity", &self.reship_quantity),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
        Draft {
            stock: StockDraft {
                form: form.to_string(),
                typed,
                photos,
            },
            ..Draft::default()
        }
    }
}

/// The receipt form as its fields (cleaned like every form's), with the photos ticked
/// (`stock_photo`, repeated, which the form struct cannot hold).
fn receipt_form(pairs: &[(String, String)]) -> (StockForm, Vec<String>) {
    let photos = pairs
        .iter()
        .filter(|(name, _)| name == "stock_photo")
        .map(|(_, value)| value.clone())
        .collect();
    let form = serde_urlencoded::to_string(pairs)
        .ok()
        .and_then(|text| serde_urlencoded::from_str(&text).ok())
        .unwrap_or_default();
    (form, photos)
}

/// Records what arrived of a returned line.
pub async fn receive(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let (form, photos) = receipt_form(&pairs);
    let draft = form.draft("receipt", photos.clone());
    let result = async {
        let input = NewReceipt {
            sku: Some(form.stock_sku.clone()),
            returned: count("stock_returned", &form.stock_returned)?,
            good: count("stock_good", &form.stock_good)?,
            defective: count("stock_defective", &form.stock_defective)?,
            missing: if form.stock_missing.trim().is_empty() {
                0
            } else {
                count("stock_missing", &form.stock_missing)?
            },
            photos: photos.iter().filter_map(|p| p.parse().ok()).collect(),
            note: Some(form.stock_note.clone()),
        };
        super::receive(&state.pool, &page.user, id, input, state.now())
            .await
            .map(|(ticket, _)| ticket)
            .map_err(Refusal::from)
    }
    .await;
    answer(&state, &page, id, result, "stock.flash.received", draft).await
}

/// Records a reship.
pub async fn reship(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<StockForm>,
) -> PageResult {
    let draft = form.draft("reship", Vec::new());
    let result = async {
        let input = NewReship {
            reason: ReshipReason::parse(&form.reship_reason)
                .ok_or_else(|| Refusal::Field(FieldError::new("reship_reason", "stock.error.pick_reason")))?,
            sku: Some(form.stock_sku.clone()),
            quantity: count("reship_quantity", &form.reship_quantity)?,
            carrier: carrier(&form.stock_carrier)?,
            tracking_no: form.stock_tracking_no.clone(),
            cost_fen: yuan("stock_cost", &form.stock_cost)?,
            note: Some(form.stock_note.clone()),
        };
        super::reship(&state.pool, &page.user, id, input, state.now())
            .await
            .map(|(ticket, _)| ticket)
            .map_err(Refusal::from)
    }
    .await;
    answer(&state, &page, id, result, "stock.flash.reshipped", draft).await
}

/// Records an intercept asked of the carrier.
pub async fn intercept(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<StockForm>,
) -> PageResult {
    let draft = form.draft("intercept", Vec::new());
    let result = async {
        let input = NewIntercept {
            carrier: carrier(&form.stock_carrier)?,
            tracking_no: form.stock_tracking_no.clone(),
            fee_fen: yuan("stock_cost", &form.stock_cost)?,
            note: Some(form.stock_note.clone()),
        };
        super::intercept(&state.pool, &page.user, id, input, state.now())
            .await
            .map(|(ticket, _)| ticket)
            .map_err(Refusal::from)
    }
    .await;
    answer(&state, &page, id, result, "stock.flash.intercept_requested", draft).await
}

/// Records the carrier's answer to an intercept.
pub async fn intercept_outcome(
    State(state): State<AppState>,
    page: Page,
    Path((id, intercept)): Path<(TicketId, i64)>,
    ApiForm(form): ApiForm<StockForm>,
) -> PageResult {
    let draft = form.draft(&format!("outcome-{intercept}"), Vec::new());
    let result = async {
        let outcome = InterceptOutcome::parse(&form.outcome)
            .ok_or_else(|| Refusal::Told(StatusCode::UNPROCESSABLE_ENTITY, Message::new("stock.error.outcome")))?;
        let input = NewOutcome {
            outcome,
            note: Some(form.stock_note.clone()),
        };
        super::set_outcome(&state.pool, &page.user, id, intercept, input, state.now())
            .await
            .map(|(ticket, _)| ticket)
            .map_err(Refusal::from)
    }
    .await;
    answer(&state, &page, id, result, "stock.flash.intercept_answered", draft).await
}

// ---- the returns stock ----

/// The stock page's query.
#[derive(Debug, Default, Deserialize)]
pub struct StockQuery {
    pub shop: Option<ShopId>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The returns stock page.
#[derive(Template)]
#[template(path = "returns_stock.html")]
pub struct StockPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub errors: FormErrors,
    pub rows: Vec<super::StockRow>,
    pub totals: (i64, i64, i64, i64),
    pub period_text: String,
}

/// Shows what came back per SKU over a period (this month so far unless asked).
pub async fn show_stock(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<StockQuery>,
) -> PageResult {
    page.user.require(Action::ReadTickets)?;
    let (shop, shops) = crate::web::chosen_shop(&state, &page.user, query.shop).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let asked = ReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        by: None,
    };
    let period = period_of(&asked, &shop, state.now());
    let mut view = StockPage {
        layout: Layout::new(&state, t, &page.user, "returns", page.path.clone()),
        shops,
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        errors: FormErrors::none(),
        rows: Vec::new(),
        totals: (0, 0, 0, 0),
        period_text: String::new(),
    };
    match period {
        Ok((period, _)) => {
            view.from = period.from.to_string();
            view.to = period.to.to_string();
            let (from, to) = period.bounds(shop.zone());
            view.rows = super::stock(&state.pool, shop.id, from, to).await?;
            view.totals = view.rows.iter().fold((0, 0, 0, 0), |acc, r| {
                (
                    acc.0 + r.returned,
                    acc.1 + r.good,
                    acc.2 + r.defective,
                    acc.3 + r.missing,
                )
            });
            view.period_text = t.f(
                "stock.period_text",
                &[("from", &period.from), ("to", &period.to), ("zone", &shop.time_zone)],
            );
            Ok(render(&view)?.into_response())
        }
        Err(error) => {
            view.errors.add(t, error.field_error());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
    }
}

// ---- unclaimed parcels ----

/// The parcels page.
#[derive(Template)]
#[template(path = "parcels.html")]
pub struct ParcelsPage {
    pub layout: Layout,
    pub shop_id: i64,
    pub shops: Vec<Choice>,
    pub open: Vec<ParcelLine>,
    pub matched: Vec<ParcelLine>,
    pub carriers: Vec<Choice>,
    pub can_work: bool,
    pub errors: FormErrors,
    /// What was typed into the record form.
    pub tracking_no: String,
    pub contents: String,
    /// The parcel whose match form was refused, with the ticket typed.
    pub match_open: Option<i64>,
    pub match_ticket: String,
}

impl ParcelsPage {
    /// Whether the match form of parcel `id` is the one refused.
    pub fn is_match_open(&self, id: &i64) -> bool {
        self.match_open == Some(*id)
    }
}

/// A parcel in words.
pub struct ParcelLine {
    pub id: i64,
    pub tracking: String,
    pub contents: String,
    pub received: String,
    pub ticket: Option<i64>,
    pub suggested: Option<i64>,
}

/// The parcels page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ParcelsQuery {
    pub shop: Option<ShopId>,
    pub done: Option<String>,
}

async fn parcels_page(state: &AppState, page: &Page, asked: Option<ShopId>) -> PageResult<ParcelsPage> {
    page.user.require(Action::ReadTickets)?;
    let (shop, shops) = crate::web::chosen_shop(state, &page.user, asked).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let parcels = super::parcels(&state.pool, shop.id, 500).await?;
    let line = |p: &super::Parcel| ParcelLine {
        id: p.id,
        tracking: format!(
            "{} {}",
            Carrier::parse(&p.carrier).map_or(p.carrier.as_str(), |c| t.t(c.label_key())),
            p.tracking_no
        ),
        contents: p.contents.clone(),
        received: t.f(
            "stock.by_at",
            &[("who", &p.recorder), ("when", &t.datetime(&p.received_at))],
        ),
        ticket: p.ticket_id.map(|id| id.0),
        suggested: p.suggested_ticket.map(|id| id.0),
    };
    Ok(ParcelsPage {
        layout: Layout::new(state, t, &page.user, "returns", page.path.clone()),
        shop_id: shop.id.0,
        shops,
        open: parcels.iter().filter(|p| p.ticket_id.is_none()).map(line).collect(),
        matched: parcels.iter().filter(|p| p.ticket_id.is_some()).map(line).collect(),
        carriers: Carrier::ALL
            .iter()
            .map(|c| Choice::new(c.as_str(), t.t(c.label_key()), false))
            .collect(),
        can_work: page.user.may(Action::WorkTickets),
        errors: FormErrors::none(),
        tracking_no: String::new(),
        contents: String::new(),
        match_open: None,
        match_ticket: String::new(),
    })
}

/// Shows the unclaimed parcels.
pub async fn show_parcels(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<ParcelsQuery>,
) -> PageResult {
    let mut view = parcels_page(&state, &page, query.shop).await?;
    view.layout.flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: page
            .t
            .t(if done == "matched" {
                "stock.flash.parcel_matched"
            } else {
                "stock.flash.parcel_recorded"
            })
            .to_string(),
    });
    Ok(render(&view)?.into_response())
}

/// The record form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ParcelForm {
    shop: Option<ShopId>,
    carrier: String,
    tracking_no: String,
    contents: String,
    ticket: String,
}

/// Records a parcel that came back without a ticket.
pub async fn record_parcel(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<ParcelForm>,
) -> PageResult {
    let shop = form.shop.ok_or_else(|| ApiError::not_found("shop"))?;
    let refused = match Carrier::parse(&form.carrier) {
        None => FieldError::new("carrier", "goods.invalid.carrier_missing"),
        Some(carrier) => {
            let input = NewParcel {
                carrier,
                tracking_no: form.tracking_no.clone(),
                contents: Some(form.contents.clone()),
            };
            match super::record_parcel(&state.pool, &page.user, shop, input, state.now()).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/returns/parcels?shop={shop}&done=recorded")).into_response());
                }
                Err(GoodsError::Ticket(TicketError::Invalid(field))) => field,
                Err(GoodsError::NotFound) => return Err(ApiError::not_found("shop").into()),
                Err(GoodsError::Ticket(error)) => return Err(ApiError::from(error).into()),
                Err(other) => return Err(ApiError::from(other).into()),
            }
        }
    };
    let mut view = parcels_page(&state, &page, Some(shop)).await?;
    view.errors.add(page.t, &refused);
    view.tracking_no = form.tracking_no;
    view.contents = form.contents;
    for choice in &mut view.carriers {
        choice.selected = choice.value == form.carrier;
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}

/// Matches a parcel to a ticket.
pub async fn match_parcel(
    State(state): State<AppState>,
    page: Page,
    Path(parcel): Path<i64>,
    ApiForm(form): ApiForm<ParcelForm>,
) -> PageResult {
    let shop = form.shop.ok_or_else(|| ApiError::not_found("shop"))?;
    let ticket = form.ticket.trim().trim_start_matches('#').parse::<TicketId>();
    let refused = match ticket {
        Err(_) => Refusal::Field(FieldError::new("ticket", "stock.error.no_such_ticket")),
        Ok(ticket) => match super::match_parcel(&state.pool, &page.user, shop, parcel, ticket, state.now()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/returns/parcels?shop={shop}&done=matched")).into_response()),
            Err(GoodsError::NotFound) => return Err(PageError::not_found()),
            Err(error) => Refusal::from(error),
        },
    };
    let mut view = parcels_page(&state, &page, Some(shop)).await?;
    match &refused {
        Refusal::Field(error) => view.errors.add(
            page.t,
            &FieldError {
                field: "ticket",
                ..error.clone()
            },
        ),
        other => {
            view.layout.flash = Some(Flash {
                ok: false,
                text: other.text(page.t),
            })
        }
    }
    view.match_open = Some(parcel);
    view.match_ticket = form.ticket;
    Ok((refused.status(), render(&view)?).into_response())
}
