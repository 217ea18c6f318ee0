//! `/settings/webhooks`: a shop's webhooks, managed by its supervisors and admins — add, edit,
//! delete, send a test — and `/settings/webhooks/{id}/log`, a hook's deliveries, paged. Plain
//! forms; a refused one comes back (422) with the reason next to its field and what was typed.
//! Secrets are never shown back: an edit with the secret left empty keeps the one stored.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::{self, Verdict};
use super::outbox::{self, LogLine};
use super::worker::{TryOutcome, Worker};
use super::{Event, Hook, HookFormat, HookInput, WebhookError};
use crate::api::ApiForm;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::ids::ShopId;
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// Deliveries per page of a hook's log.
const LOG_PAGE: i64 = 50;

/// The page routes (merged into the pages' router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/webhooks", get(show_hooks).post(add_hook))
        .route("/settings/webhooks/{id}", post(edit_hook))
        .route("/settings/webhooks/{id}/delete", post(delete_hook))
        .route("/settings/webhooks/{id}/test", post(test_hook))
        .route("/settings/webhooks/{id}/log", get(show_log))
}

/// The page.
#[derive(Template)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    pub layout: Layout,
    pub shop: i64,
    pub shops: Vec<Choice>,
    pub hooks: Vec<HookRow>,
    /// The add form (as typed when refused), and its messages.
    pub new: HookFields,
    pub errors: FormErrors,
    /// Whether messages can link to tickets (the desk's public address is configured).
    pub links: bool,
}

/// One hook, as an edit form.
pub struct HookRow {
    pub id: i64,
    pub fields: HookFields,
    /// The secret as shown: its last characters at most.
    pub secret_shown: String,
    pub errors: FormErrors,
    /// Its latest deliveries.
    pub recent: Vec<LogRow>,
}

/// The fields of a hook form.
pub struct HookFields {
    pub name: String,
    pub url: String,
    pub active: bool,
    pub formats: Vec<Choice>,
    pub events: Vec<Choice>,
}

impl HookFields {
    fn new(t: crate::i18n::Tr, name: &str, format: &str, url: &str, events: &[String], active: bool) -> HookFields {
        HookFields {
            name: name.to_string(),
            url: url.to_string(),
            active,
            formats: HookFormat::ALL
                .into_iter()
                .map(|f| Choice::new(f.as_str(), t.t(f.label_key()), f.as_str() == format))
                .collect(),
            events: Event::SUBSCRIBABLE
                .into_iter()
                .map(|e| Choice::new(e.as_str(), t.t(e.label_key()), events.iter().any(|x| x == e.as_str())))
                .collect(),
        }
    }
}

/// One delivery in a log.
pub struct LogRow {
    pub when: String,
    pub event: String,
    pub ticket: Option<i64>,
    pub state: &'static str,
    pub state_class: &'static str,
    pub attempts: i32,
    pub status: String,
    pub error: String,
    /// When a pending delivery is tried next (empty otherwise).
    pub next: String,
}

fn log_row(t: crate::i18n::Tr, line: &LogLine) -> LogRow {
    let (state, state_class) = match line.state.as_str() {
        "delivered" => ("webhooks.state.delivered", "badge-ok"),
        "failed" => ("webhooks.state.failed", "badge-overdue"),
        _ => ("webhooks.state.pending", "badge-due"),
    };
    LogRow {
        when: t.datetime(&line.delivered_at.unwrap_or(line.created_at)),
        event: Event::parse(&line.event).map_or_else(|| line.event.clone(), |e| t.t(e.label_key()).to_string()),
        ticket: line.ticket_id,
        state: t.t(state),
        state_class,
        attempts: line.attempts,
        status: line.last_status.map(|s| s.to_string()).unwrap_or_default(),
        error: line.last_error.clone().unwrap_or_default(),
        next: if line.state == "pending" {
            t.datetime(&line.next_attempt_at)
        } else {
            String::new()
        },
    }
}

/// Which shop the page shows, and what just happened.
#[derive(Deserialize)]
pub struct HooksQuery {
    shop: Option<ShopId>,
    done: Option<String>,
}

/// A refused form: which (`None`: the add form), what was typed, why.
struct Refused {
    id: Option<i64>,
    typed: HookInput,
    error: FieldError,
}

async fn view(
    state: &AppState,
    page: &Page,
    shop: ShopId,
    flash: Option<Flash>,
    refused: Option<&Refused>,
) -> PageResult<WebhooksPage> {
    let (user, t) = (&page.user, page.t);
    let hooks = super::list(&state.pool, shop).await?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let mut layout = Layout::new(state, t, user, "webhooks", format!("/settings/webhooks?shop={shop}"));
    layout.flash = flash;
    let refused_here = |id: Option<i64>| refused.filter(|r| r.id == id);
    let typed_fields =
        |typed: &HookInput| HookFields::new(t, &typed.name, &typed.format, &typed.url, &typed.events, typed.active);
    let mut rows = Vec::with_capacity(hooks.len());
    for hook in &hooks {
        let refused = refused_here(Some(hook.id));
        let recent = outbox::log(&state.pool, shop, hook.id, None, 5).await?;
        rows.push(HookRow {
            id: hook.id,
            fields: refused.map_or_else(
                || HookFields::new(t, &hook.name, &hook.format, &hook.url, &hook.events, hook.active),
                |r| typed_fields(&r.typed),
            ),
            secret_shown: format::masked(&hook.secret),
            errors: refused.map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
            recent: recent.iter().map(|line| log_row(t, line)).collect(),
        });
    }
    Ok(WebhooksPage {
        layout,
        shop: shop.0,
        shops: shops
            .iter()
            .map(|s| Choice::new(s.id.to_string(), format!("{} ({})", s.name, s.code), s.id == shop))
            .collect(),
        hooks: rows,
        new: refused_here(None).map_or_else(
            || HookFields::new(t, "", HookFormat::WeCom.as_str(), "", &[], true),
            |r| typed_fields(&r.typed),
        ),
        errors: refused_here(None).map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
        links: state.transport.public_url.is_some(),
    })
}

/// Shows the hooks of one of the user's shops.
pub async fn show_hooks(State(state): State<AppState>, page: Page, Query(query): Query<HooksQuery>) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let shop = page.user.shop_or_first(query.shop)?;
    let flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: page
            .t
            .t(match done {
                "deleted" => "webhooks.deleted",
                _ => "webhooks.saved",
            })
            .to_string(),
    });
    Ok(render(&view(&state, &page, shop, flash, None).await?)?.into_response())
}

/// A hook form as posted: the shop, the fields, the ticked events.
struct HookForm {
    shop: Option<ShopId>,
    input: HookInput,
}

fn read_form(pairs: Vec<(String, String)>) -> Result<HookForm, ApiError> {
    let mut form = HookForm {
        shop: None,
        input: HookInput::default(),
    };
    for (name, value) in pairs {
        match name.as_str() {
            "shop" => {
                form.shop =
                    Some(ShopId(value.parse().map_err(|_| {
                        ApiError::unprocessable("invalid_field", "shop must be a number")
                    })?))
            }
            "name" => form.input.name = value,
            "format" => form.input.format = value,
            "url" => form.input.url = value,
            "secret" if !value.trim().is_empty() => form.input.secret = Some(value),
            "events" => form.input.events.push(value),
            "active" => form.input.active = true,
            _ => {}
        }
    }
    Ok(form)
}

/// After a change: back to the page, or the page again with the reason.
async fn answer(
    state: &AppState,
    page: &Page,
    shop: ShopId,
    result: Result<Hook, WebhookError>,
    id: Option<i64>,
    typed: HookInput,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/settings/webhooks?shop={shop}&done=saved")).into_response()),
        Err(WebhookError::Invalid(error)) => {
            let refused = Refused { id, typed, error };
            let view = view(state, page, shop, None, Some(&refused)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// Adds a hook.
pub async fn add_hook(
    State(state): State<AppState>,
    page: Page,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let form = read_form(pairs)?;
    let shop = page.user.shop_or_first(form.shop)?;
    let result = super::create(&state.pool, shop, &form.input, state.now()).await;
    answer(&state, &page, shop, result, None, form.input).await
}

/// Saves an edited hook.
pub async fn edit_hook(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let form = read_form(pairs)?;
    let shop = page.user.shop_or_first(form.shop)?;
    let result = super::update(&state.pool, shop, id, &form.input, state.now()).await;
    answer(&state, &page, shop, result, Some(id), form.input).await
}

/// The shop a delete or test button is for.
#[derive(Deserialize)]
pub struct ShopForm {
    shop: Option<ShopId>,
}

/// Deletes a hook and its log.
pub async fn delete_hook(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ShopForm>,
) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let shop = page.user.shop_or_first(form.shop)?;
    super::delete(&state.pool, shop, id).await.map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/settings/webhooks?shop={shop}&done=deleted")).into_response())
}

/// Sends a test event to a hook now and shows how it went.
pub async fn test_hook(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ShopForm>,
) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let shop = page.user.shop_or_first(form.shop)?;
    super::get(&state.pool, shop, id).await.map_err(ApiError::from)?;
    let worker = Worker {
        pool: state.pool.clone(),
        sender: super::send::Sender::default(),
        clock: state.clock.clone(),
        base_url: state.transport.public_url.as_ref().map(|u| u.origin().to_string()),
    };
    let outcome = worker.send_test(shop, id, &page.user.display_name).await?;
    let t = page.t;
    let flash = match outcome {
        Some(TryOutcome {
            status,
            verdict: Verdict::Delivered,
        }) => Flash {
            ok: true,
            text: t.f(
                "webhooks.test.delivered",
                &[("status", &status.map(|s| s.to_string()).unwrap_or_default())],
            ),
        },
        Some(TryOutcome {
            verdict: Verdict::Retry(error) | Verdict::Failed(error),
            ..
        }) => Flash {
            ok: false,
            text: t.f("webhooks.test.failed", &[("error", &error)]),
        },
        None => Flash {
            ok: false,
            text: t.t("webhooks.test.busy").to_string(),
        },
    };
    Ok(render(&view(&state, &page, shop, Some(flash), None).await?)?.into_response())
}

/// A hook's delivery log.
#[derive(Template)]
#[template(path = "webhook_log.html")]
pub struct WebhookLogPage {
    pub layout: Layout,
    pub shop: i64,
    pub hook_id: i64,
    pub hook_name: String,
    pub rows: Vec<LogRow>,
    /// The next (older) page's link, if there is one.
    pub older: Option<String>,
}

/// Which shop, and from where the page starts.
#[derive(Deserialize)]
pub struct LogQuery {
    shop: Option<ShopId>,
    before: Option<i64>,
}

/// Shows a hook's deliveries, newest first, [`LOG_PAGE`] at a time.
pub async fn show_log(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(query): Query<LogQuery>,
) -> PageResult {
    page.user.require(Action::ManageWebhooks)?;
    let shop = page.user.shop_or_first(query.shop)?;
    let hook = super::get(&state.pool, shop, id).await.map_err(ApiError::from)?;
    let lines = outbox::log(&state.pool, shop, id, query.before, LOG_PAGE + 1).await?;
    let older = (lines.len() as i64 > LOG_PAGE)
        .then(|| lines.get(LOG_PAGE as usize - 1))
        .flatten()
        .map(|last| format!("/settings/webhooks/{id}/log?shop={shop}&before={}", last.id));
    let t = page.t;
    let view = WebhookLogPage {
        layout: Layout::new(
            &state,
            t,
            &page.user,
            "webhooks",
            format!("/settings/webhooks/{id}/log?shop={shop}"),
        ),
        shop: shop.0,
        hook_id: id,
        hook_name: hook.name,
        rows: lines
            .iter()
            .take(LOG_PAGE as usize)
            .map(|line| log_row(t, line))
            .collect(),
        older,
    };
    Ok(render(&view)?.into_response())
}
