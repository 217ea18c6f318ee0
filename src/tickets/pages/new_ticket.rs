//! `/tickets/new`: find the order by its number, pick the line, kind, reason and amount. The
//! rules judge the request on submit; a refusal is shown with its explanation.
//!
//! The form shows the fields of the chosen kind and the reasons that fit it
//! ([`ReasonCode::for_kind`]): the kind can be chosen with the order's look-up (that is all a
//! browser without JavaScript needs), and `static/new_ticket.js` shows and hides the fields and
//! reasons when the kind is changed in the form. The fields of other kinds are still in the page
//! (hidden); the server ignores them for the kind submitted.

use crate::api::ApiForm;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::money::{Fen, fen_or_dash, yuan_field};
use crate::orders::Order;
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::{Priority, TicketKind};
use crate::state::AppState;
use crate::tickets::pages::Refusal;
use crate::tickets::service::{self, NewTicket};
use crate::web::views::{Choice, Layout};
use crate::web::{FormErrors, Page, PageResult, render};
use chrono::{NaiveDateTime, TimeZone};

/// The new-ticket page.
#[derive(Template)]
#[template(path = "new_ticket.html")]
pub struct NewTicketPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub order_no: String,
    pub lookup_error: Option<String>,
    pub order: Option<OrderView>,
    /// The order's tickets still open: a new one may repeat them (the page says so first).
    pub open_on_order: Vec<OpenOnOrder>,
    pub lines: Vec<Choice>,
    pub kinds: Vec<Choice>,
    /// Every reason, those that do not fit the chosen kind hidden (`fits`).
    pub reasons: Vec<ReasonOption>,
    /// For the script: each kind's reasons, `kind:code code …;kind:…`.
    pub reasons_by_kind: String,
    /// Which fields the chosen kind shows.
    pub fields: KindFields,
    /// The kinds of each field group, for the script (`data-kinds`).
    pub money_kinds: String,
    pub intact_kinds: String,
    pub review_kinds: String,
    pub priorities: Vec<Choice>,
    pub intact: Vec<Choice>,
    pub refund_yuan: String,
    pub description: String,
    pub can_override: bool,
    pub override_justification: String,
    pub ratings: Vec<Choice>,
    pub review_text: String,
    /// When the review was posted, as typed (`YYYY-MM-DDTHH:MM`, the shop's time); empty: the
    /// opening time.
    pub reviewed_at: String,
    /// A refusal about no field of the form (the seven-day rule's, say), at the top.
    pub error: Option<String>,
    /// Messages next to the fields (`errors.get("refund_yuan")`).
    pub errors: FormErrors,
}

/// A ticket already open on the order looked up.
pub struct OpenOnOrder {
    pub id: i64,
    pub kind: &'static str,
    pub status: String,
    pub assignee: String,
    pub summary: String,
}

/// A reason in the form's list.
pub struct ReasonOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
    /// Fits the chosen kind: shown; else hidden and disabled.
    pub fits: bool,
}

/// The fields a kind's request has beside the common ones (order line, kind, reason, priority,
/// description).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindFields {
    /// The amount asked for: every kind but a bad review, which is about a review, not money.
    pub money: bool,
    /// Whether the goods are intact: the kinds the seven-day rule judges.
    pub intact: bool,
    /// The review's stars, words and posting time: bad reviews only.
    pub review: bool,
}

impl KindFields {
    /// The fields of `kind`.
    pub fn of(kind: TicketKind) -> KindFields {
        KindFields {
            money: kind != TicketKind::BadReview,
            intact: kind.subject_to_seven_day_rule(),
            review: kind == TicketKind::BadReview,
        }
    }
}

/// The kinds (wire names, space-separated) whose requests have the field `has` picks.
fn kinds_with(has: impl Fn(KindFields) -> bool) -> String {
    TicketKind::ALL
        .iter()
        .filter(|kind| has(KindFields::of(**kind)))
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the form is shown again with after a refusal.
#[derive(Default)]
struct Shown {
    error: Option<String>,
    errors: FormErrors,
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
    /// The kind chosen with the look-up (its fields and reasons are shown).
    kind: Option<String>,
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
    reviewed_at: Option<String>,
}

/// What the order's look-up asked for: the shop, the order's number and the kind of ticket.
struct Lookup<'a> {
    shop: Option<ShopId>,
    order_no: &'a str,
    kind: Option<TicketKind>,
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    lookup: Lookup<'_>,
    form: Option<&NewTicketForm>,
    shown: Shown,
) -> PageResult<NewTicketPage> {
    let Lookup {
        shop,
        order_no,
        kind: chosen_kind,
    } = lookup;
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
    let open_on_order: Vec<OpenOnOrder> = match (shop, &order) {
        (Some(shop), Some(found)) => crate::tickets::repo::open_of_order(&state.pool, shop, found.id)
            .await?
            .iter()
            .map(|ticket| {
                let row = super::views::TicketRow::new(t, ticket, state.now());
                OpenOnOrder {
                    id: row.id,
                    kind: row.kind,
                    status: row.status,
                    assignee: row.assignee,
                    summary: row.summary,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
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
        .or(chosen_kind)
        .unwrap_or(TicketKind::Return);
    // The reason typed, if it fits the kind; else the kind's first.
    let reason = form
        .and_then(|f| ReasonCode::parse(&f.reason))
        .filter(|r| r.fits(kind))
        .unwrap_or(ReasonCode::for_kind(kind)[0]);
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
        open_on_order,
        order: order.as_ref().and_then(|o| {
            shop.map(|shop| OrderView {
                shop: shop.0,
                order_no: o.order_no.clone(),
                buyer: o.buyer.clone(),
                total: fen_or_dash(o.total()),
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
            .map(|r| ReasonOption {
                value: r.as_str(),
                label: r.label(lang),
                selected: *r == reason,
                fits: r.fits(kind),
            })
            .collect(),
        reasons_by_kind: TicketKind::ALL
            .iter()
            .map(|k| {
                let codes: Vec<&str> = ReasonCode::for_kind(*k).iter().map(|r| r.as_str()).collect();
                format!("{}:{}", k.as_str(), codes.join(" "))
            })
            .collect::<Vec<_>>()
            .join(";"),
        fields: KindFields::of(kind),
        money_kinds: kinds_with(|f| f.money),
        intact_kinds: kinds_with(|f| f.intact),
        review_kinds: kinds_with(|f| f.review),
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
            .unwrap_or_else(|| order.as_ref().map(|o| yuan_field(o.total())).unwrap_or_default()),
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
        reviewed_at: form.and_then(|f| f.reviewed_at.clone()).unwrap_or_default(),
        override_justification: form.and_then(|f| f.override_justification.clone()).unwrap_or_default(),
        error: shown.error,
        errors: shown.errors,
    })
}

/// Shows the form (and the order, once its number is given).
pub async fn show_form(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<NewTicketQuery>,
) -> PageResult {
    let view = form_page(
        &state,
        &page.user,
        page.t,
        Lookup {
            shop: query.shop.map(ShopId),
            order_no: query.order_no.as_deref().unwrap_or(""),
            kind: query.kind.as_deref().and_then(TicketKind::parse),
        },
        None,
        Shown::default(),
    )
    .await?;
    Ok(render(&view)?.into_response())
}

/// The fields of the form a refusal is shown next to (the rest are said at the top).
const FORM_FIELDS: [&str; 11] = [
    "sku",
    "kind",
    "reason",
    "refund_yuan",
    "intact",
    "priority",
    "description",
    "review_rating",
    "review_text",
    "reviewed_at",
    "override_justification",
];

/// Opens the ticket, or shows the form again with what was wrong — next to its field, with
/// what was typed kept.
pub async fn open_ticket(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<NewTicketForm>,
) -> PageResult {
    let t = page.t;
    let shop_id = ShopId(form.shop);
    match create(&state, &page.user, &form, t).await {
        Ok(id) if page.htmx => {
            // htmx follows HX-Location with a normal navigation of its own.
            let mut response = StatusCode::OK.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("/tickets/{id}")) {
                response.headers_mut().insert("hx-location", value);
            }
            Ok(response)
        }
        Ok(id) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(Refusal::Page(error)) => Err(error),
        Err(refusal) => {
            let shown = match &refusal {
                Refusal::Field(error) => {
                    // The API's `refund_fen` is typed in yuan here.
                    let field = if error.field == "refund_fen" {
                        "refund_yuan"
                    } else {
                        error.field
                    };
                    let error = FieldError {
                        field,
                        message: error.message.clone(),
                    };
                    if FORM_FIELDS.contains(&field) {
                        Shown {
                            error: None,
                            errors: FormErrors::one(t, &error),
                        }
                    } else {
                        Shown {
                            error: Some(refusal.text(t)),
                            errors: FormErrors::none(),
                        }
                    }
                }
                _ => Shown {
                    error: Some(refusal.text(t)),
                    errors: FormErrors::none(),
                },
            };
            let view = form_page(
                &state,
                &page.user,
                t,
                Lookup {
                    shop: Some(shop_id),
                    order_no: &form.order_no,
                    kind: None,
                },
                Some(&form),
                shown,
            )
            .await?;
            // htmx only swaps successful answers: the refusal is shown in place with 200.
            let status = if page.htmx { StatusCode::OK } else { refusal.status() };
            Ok((status, render(&view)?).into_response())
        }
    }
}

async fn create(state: &AppState, user: &CurrentUser, form: &NewTicketForm, t: Tr) -> Result<i64, Refusal> {
    let shop_id = ShopId(form.shop);
    user.require_shop(shop_id)?;
    let shop = crate::shops::get(&state.pool, shop_id)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let kind = TicketKind::parse(&form.kind).ok_or_else(|| FieldError::new("kind", "form.choose_kind"))?;
    let reason = ReasonCode::parse(&form.reason).ok_or_else(|| FieldError::new("reason", "form.choose_reason"))?;
    service::check_reason_fits(kind, reason)?;
    // The fields of other kinds are in the page too (hidden): what they hold is ignored.
    let fields = KindFields::of(kind);
    let given = |value: &Option<String>| value.clone().filter(|_| fields.review);
    let refund_yuan = form.refund_yuan.as_deref().filter(|_| fields.money);
    let reviewed_at = match form
        .reviewed_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && fields.review)
    {
        Some(text) => Some(
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .and_then(|local| shop.zone().from_local_datetime(&local).earliest())
                .map(|at| at.with_timezone(&chrono::Utc))
                .ok_or_else(|| FieldError::new("reviewed_at", "review.invalid.posted_at_format").with("value", text))?,
        ),
        None => None,
    };
    let refund_fen = match refund_yuan.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => {
            let fen = Fen::parse_yuan(text)
                .ok_or_else(|| FieldError::new("refund_yuan", "new.bad_amount").with("amount", text))?;
            // A negative amount is the service's to refuse (it says so); too large is said here
            // with what was typed.
            if fen.0 > crate::edge::MAX_AMOUNT.0 {
                return Err(FieldError::new("refund_yuan", "new.amount_out_of_range")
                    .with("amount", text)
                    .into());
            }
            Some(fen.0)
        }
        None => None,
    };
    let input = NewTicket {
        kind,
        order_no: form.order_no.clone(),
        sku: form.sku.clone(),
        reason,
        description: form.description.clone().unwrap_or_default(),
        refund_fen,
        intact: match form.intact.as_deref().filter(|_| fields.intact) {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        opened_at: None,
        priority: form.priority.as_deref().and_then(Priority::parse),
        assignee: None,
        override_justification: form.override_justification.clone(),
        review_rating: given(&form.review_rating)
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.parse::<i16>()
                    .map_err(|_| FieldError::new("review_rating", "form.choose_stars"))
            })
            .transpose()?,
        review_text: given(&form.review_text),
        reviewed_at,
    };
    let created = service::create(
        &state.openings,
        &state.calendar(),
        user,
        &shop,
        input,
        None,
        t.lang,
        state.now(),
    )
    .await?;
    Ok(created.ticket.id.0)
}
