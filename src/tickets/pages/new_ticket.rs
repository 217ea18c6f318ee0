//! `/tickets/new`: find the order by its number, pick the line, kind, reason and amount. The
//! rules judge the request on submit; a refusal is shown with its explanation.

use crate::api::ApiForm;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::money::Fen;
use crate::orders::Order;
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::{Priority, TicketKind};
use crate::state::AppState;
use crate::tickets::service::{self, NewTicket};
use crate::web::views::{self, Choice, Layout};
use crate::web::{PageUser, is_htmx, render, translator};

/// The new-ticket page.
#[derive(Template)]
#[template(path = "new_ticket.html")]
pub struct NewTicketPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub order_no: String,
    pub lookup_error: Option<String>,
    pub order: Option<OrderView>,
    pub lines: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub intact: Vec<Choice>,
    pub refund_yuan: String,
    pub description: String,
    pub can_override: bool,
    pub ratings: Vec<Choice>,
    pub review_text: String,
    pub error: Option<String>,
}

/// The order found.
pub struct OrderView {
    pub shop: i64,
    pub order_no: String,
    pub buyer: String,
    pub total: String,
    pub paid: String,
    pub signed: String,
}

/// Query: which order to look up.
#[derive(Debug, Default, Deserialize)]
pub struct NewTicketQuery {
    shop: Option<i64>,
    order_no: Option<String>,
}

/// The create form.
#[derive(Debug, Default, Deserialize)]
pub struct NewTicketForm {
    shop: i64,
    order_no: String,
    sku: Option<String>,
    kind: String,
    reason: String,
    refund_yuan: Option<String>,
    intact: Option<String>,
    priority: Option<String>,
    description: Option<String>,
    override_justification: Option<String>,
    review_rating: Option<String>,
    review_text: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    shop: Option<ShopId>,
    order_no: &str,
    form: Option<&NewTicketForm>,
    error: Option<String>,
) -> ApiResult<NewTicketPage> {
    let lang = t.lang;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let shop = shop.or_else(|| shops.first().map(|s| s.id));
    let mut lookup_error = None;
    let mut order: Option<Order> = None;
    if let (Some(shop), false) = (shop, order_no.trim().is_empty()) {
        if user.can_see_shop(shop) {
            order = crate::orders::find(&state.pool, shop, order_no.trim()).await?;
        }
        if order.is_none() {
            lookup_error = Some(t.f("new.order_not_found", &[("order_no", &order_no.trim())]));
        }
    }
    let zone_t = Tr::new(
        lang,
        shops
            .iter()
            .find(|s| Some(s.id) == shop)
            .map(|s| s.zone())
            .unwrap_or(chrono_tz::Asia::Shanghai),
    );
    let selected = |value: &str, field: Option<&String>| field.is_some_and(|f| f == value);
    let lines = order
        .as_ref()
        .map(|o| {
            o.lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let chosen = form.map(|f| selected(&l.sku, f.sku.as_ref())).unwrap_or(i == 0);
                    Choice::new(
                        l.sku.clone(),
                        format!("{} · {} · {} × {}", l.title, l.sku, Fen(l.unit_price_fen), l.quantity),
                        chosen,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let kind = form
        .and_then(|f| TicketKind::parse(&f.kind))
        .unwrap_or(TicketKind::Return);
    let reason = form
        .and_then(|f| ReasonCode::parse(&f.reason))
        .unwrap_or(ReasonCode::NoReason);
    let priority = form
        .and_then(|f| f.priority.as_deref().and_then(Priority::parse))
        .unwrap_or(Priority::Normal);
    let intact = form.and_then(|f| f.intact.clone()).unwrap_or_default();
    Ok(NewTicketPage {
        layout: Layout::new(state, t, user, "new", "/tickets/new"),
        shops: shops
            .iter()
            .map(|s| Choice::new(s.id.to_string(), s.name.clone(), Some(s.id) == shop))
            .collect(),
        order_no: order_no.trim().to_string(),
        lookup_error,
        order: order.as_ref().and_then(|o| {
            shop.map(|shop| OrderView {
                shop: shop.0,
                order_no: o.order_no.clone(),
                buyer: o.buyer.clone(),
                total: views::fen_or_dash(o.total()),
                paid: zone_t.datetime_opt(&o.paid_at),
                signed: zone_t.datetime_opt(&o.signed_at),
            })
        }),
        lines,
        kinds: TicketKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(lang), *k == kind))
            .collect(),
        reasons: ReasonCode::ALL
            .iter()
            .map(|r| Choice::new(r.as_str(), r.label(lang), *r == reason))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| Choice::new(p.as_str(), p.label(lang), *p == priority))
            .collect(),
        intact: vec![
            Choice::new("", t.t("new.intact_unknown"), intact.is_empty()),
            Choice::new("yes", t.t("new.intact_yes"), intact == "yes"),
            Choice::new("no", t.t("new.intact_no"), intact == "no"),
        ],
        refund_yuan: form
            .and_then(|f| f.refund_yuan.clone())
            .unwrap_or_else(|| order.as_ref().map(|o| views::yuan_field(o.total())).unwrap_or_default()),
        description: form.and_then(|f| f.description.clone()).unwrap_or_default(),
        can_override: user.may(Action::OverrideRules),
        ratings: {
            let chosen = form.and_then(|f| f.review_rating.clone()).unwrap_or_default();
            let mut choices = vec![Choice::new("", t.t("new.review_rating_none"), chosen.is_empty())];
            choices.extend((1..=5).map(|stars: i16| {
                Choice::new(
                    stars.to_string(),
                    "★".repeat(stars as usize),
                    chosen == stars.to_string(),
                )
            }));
            choices
        },
        review_text: form.and_then(|f| f.review_text.clone()).unwrap_or_default(),
        error,
    })
}

/// Shows the form (and the order, once its number is given).
pub async fn show_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<NewTicketQuery>,
) -> ApiResult<Response> {
    let t = translator(&headers);
    let view = page(
        &state,
        &user,
        t,
        query.shop.map(ShopId),
        query.order_no.as_deref().unwrap_or(""),
        None,
        None,
    )
    .await?;
    Ok(render(&view)?.into_response())
}

/// Opens the ticket, or shows the form again with what was wrong.
pub async fn open_ticket(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    ApiForm(form): ApiForm<NewTicketForm>,
) -> ApiResult<Response> {
    let t = translator(&headers);
    let shop_id = ShopId(form.shop);
    let result = create(&state, &user, &form, t).await;
    match result {
        Ok(id) if is_htmx(&headers) => {
            // htmx follows HX-Location with a normal navigation of its own.
            let mut response = StatusCode::OK.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("/tickets/{id}")) {
                response.headers_mut().insert("hx-location", value);
            }
            Ok(response)
        }
        Ok(id) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() => Err(error),
        Err(error) => {
            let message = crate::web::error::error_text(t, error.code, &error.message);
            let view = page(
                &state,
                &user,
                t,
                Some(shop_id),
                &form.order_no,
                Some(&form),
                Some(message),
            )
            .await?;
            // htmx only swaps successful answers: the refusal is shown in place with 200.
            let status = if is_htmx(&headers) {
                StatusCode::OK
            } else {
                error.status
            };
            Ok((status, render(&view)?).into_response())
        }
    }
}

async fn create(state: &AppState, user: &CurrentUser, form: &NewTicketForm, t: Tr) -> ApiResult<i64> {
    let shop_id = ShopId(form.shop);
    user.require_shop(shop_id)?;
    let shop = crate::shops::get(&state.pool, shop_id)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let kind = TicketKind::parse(&form.kind).ok_or_else(|| ApiError::invalid("kind", "choose a kind"))?;
    let reason = ReasonCode::parse(&form.reason).ok_or_else(|| ApiError::invalid("reason", "choose a reason"))?;
    let refund_fen = match form.refund_yuan.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(
            Fen::parse_yuan(text)
                .ok_or_else(|| ApiError::invalid("refund", t.f("new.bad_amount", &[("amount", &text)])))
                .and_then(|fen| {
                    crate::edge::amount(fen.0)
                        .map_err(|_| ApiError::invalid("refund", t.f("new.amount_out_of_range", &[("amount", &text)])))
                })?
                .0,
        ),
        None => None,
    };
    let input = NewTicket {
        kind,
        order_no: form.order_no.clone(),
        sku: form.sku.clone(),
        reason,
        description: form.description.clone().unwrap_or_default(),
        refund_fen,
        intact: match form.intact.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        opened_at: None,
        priority: form.priority.as_deref().and_then(Priority::parse),
        assignee: None,
        override_justification: form.override_justification.clone(),
        review_rating: form
            .review_rating
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.parse::<i16>()
                    .map_err(|_| ApiError::invalid("review_rating", "choose the review's stars"))
            })
            .transpose()?,
        review_text: form.review_text.clone(),
    };
    let created = service::create(state, user, &shop, input, None, t.lang, state.now()).await?;
    Ok(created.ticket.id.0)
}
