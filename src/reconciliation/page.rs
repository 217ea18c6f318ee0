//! `/reconciliation`: the desk's refunds beside the platform's over a period
//! (`templates/reconciliation.html`), for supervisors, owners and admins.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::ApiQuery;
use crate::auth::permissions::Action;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::money::Fen;
use crate::money::fen_or_dash;
use crate::reports::api::{ReportQuery, period_of};
use crate::state::AppState;
use crate::web::views::{Choice, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// The page's route.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/reconciliation", axum::routing::get(show))
}

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct Query {
    pub shop: Option<ShopId>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A row in words.
pub struct Line {
    pub ticket: Option<i64>,
    pub cells: Vec<String>,
}

/// The page.
#[derive(Template)]
#[template(path = "reconciliation.html")]
pub struct ReconciliationPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub errors: FormErrors,
    pub shown: bool,
    /// Whether the shop ever imported a refund export: without one there is nothing to set the
    /// desk's refunds beside, and only the summary is shown.
    pub imported: bool,
    pub summary: String,
    pub platform_only: Vec<Line>,
    pub desk_only: Vec<Line>,
    pub amounts_differ: Vec<Line>,
}

fn money(fen: Option<i64>) -> String {
    fen_or_dash(fen.map(Fen))
}

/// Shows the reconciliation (the last 30 days unless asked, as the reports).
pub async fn show(State(state): State<AppState>, page: Page, ApiQuery(query): ApiQuery<Query>) -> PageResult {
    page.user.require(Action::SeeReports)?;
    let (shop, shops) = crate::web::chosen_shop(&state, &page.user, query.shop).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let asked = ReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        by: None,
    };
    let mut view = ReconciliationPage {
        layout: Layout::new(&state, t, &page.user, "reports", page.path.clone()),
        shops,
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        errors: FormErrors::none(),
        shown: false,
        imported: false,
        summary: String::new(),
        platform_only: Vec::new(),
        desk_only: Vec::new(),
        amounts_differ: Vec::new(),
    };
    let period = match period_of(&asked, &shop, state.now()) {
        Ok((period, _)) => period,
        Err(error) => {
            view.errors.add(t, error.field_error());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response());
        }
    };
    view.from = period.from.to_string();
    view.to = period.to.to_string();
    let (from, to) = period.bounds(shop.zone());
    let found = super::reconcile(&state.pool, shop.id, from, to).await?;
    view.shown = true;
    let Some(imported_at) = found.last_import else {
        // Every refund the desk decided would be listed as "not paid by the platform" by an
        // export that does not exist: the page says to import one instead.
        view.summary = t.t("reconcile.never_imported").to_string();
        return Ok(render(&view)?.into_response());
    };
    view.imported = true;
    view.summary = t.f(
        "reconcile.summary",
        &[
            ("rows", &found.platform_rows),
            ("at", &t.datetime(&imported_at)),
            ("from", &period.from),
            ("to", &period.to),
        ],
    );
    let sku = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
    view.platform_only = found
        .platform_only
        .iter()
        .map(|p| {
            let decided_by = [&p.refund_mode, &p.automation, &p.plan]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            let people = [&p.reviewer, &p.operator]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            Line {
                ticket: p.ticket_id.map(|id| id.0),
                cells: vec![
                    p.refund_no.clone(),
                    p.order_no.clone(),
                    sku(&p.sku),
                    money(p.amount_fen),
                    p.status_text.clone(),
                    t.datetime(&p.applied_at),
                    if decided_by.is_empty() {
                        "—".into()
                    } else {
                        decided_by
                    },
                    if people.is_empty() { "—".into() } else { people },
                ],
            }
        })
        .collect();
    view.desk_only = found
        .desk_only
        .iter()
        .map(|d| Line {
            ticket: Some(d.ticket_id.0),
            cells: vec![
                d.order_no.clone(),
                sku(&d.sku),
                crate::rules::workflow::Status::parse(&d.status)
                    .map(|s| s.label(t.lang).to_string())
                    .unwrap_or_else(|| d.status.clone()),
                money(d.approved_fen),
                money(d.refunded_fen),
                d.platform_status
                    .clone()
                    .unwrap_or_else(|| t.t("reconcile.platform_none").to_string()),
            ],
        })
        .collect();
    view.amounts_differ = found
        .amounts_differ
        .iter()
        .map(|a| Line {
            ticket: Some(a.ticket_id.0),
            cells: vec![
                a.refund_no.clone(),
                a.order_no.clone(),
                sku(&a.sku),
                money(a.desk_fen),
                money(a.platform_fen),
                match (a.desk_fen, a.platform_fen) {
                    (Some(desk), Some(platform)) => Fen(platform - desk).to_string(),
                    _ => "—".into(),
                },
            ],
        })
        .collect();
    Ok(render(&view)?.into_response())
}
