//! `/reports`: the owners' page — a period form, the summary against the previous period, the
//! trend, reason and top-SKU charts (SVG drawn on the server), the grouped table, compliance per
//! agent — and `/reports/export.csv`, which gives each table as CSV (UTF-8 with a BOM so that
//! spreadsheet programs read the Chinese text correctly). Tables are built once here and used
//! by both the page and the export.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::api::{PeriodError, ReportQuery, period_of, report_shop};
use super::chart::{self, BarChart, LineChart};
use super::rates::{Period, Rate, change_points, points_text};
use super::{Figures, GroupBy, Report, figures_without_p90};
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::money::Fen;
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::TicketKind;
use crate::state::AppState;
use crate::web::views::{Choice, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render, urlencode};

/// The report pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/reports", get(show_reports))
        .route("/reports/export.csv", get(export_csv))
}

/// SKUs in the top-SKU chart.
const TOP_SKUS: usize = 10;

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub shop: Option<ShopId>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
    /// For the export: `summary`, `rows` or `agents`.
    pub table: Option<String>,
}

/// A table as shown and as exported.
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One cell; numbers align right.
pub struct Cell {
    pub text: String,
    pub num: bool,
}

fn text(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        num: false,
    }
}

fn num(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        num: true,
    }
}

fn hours(h: Option<f64>) -> String {
    h.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
}

fn rate_cell(r: &Rate) -> Cell {
    num(format!("{} ({})", r.percent(), r.fraction()))
}

/// The report page.
#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub groupings: Vec<Choice>,
    pub from: String,
    pub to: String,
    /// What is wrong with the period asked for, next to its field (`from`, `to`, `by`).
    pub errors: FormErrors,
    /// Whether the figures are shown (not when the period asked for cannot be taken).
    pub shown: bool,
    pub period_text: String,
    /// Said when the latest changes of some days are still being counted.
    pub pending: Option<String>,
    pub summary: Table,
    pub rows: Table,
    pub rows_title: String,
    pub agents: Table,
    pub trend: LineChart,
    pub trend_legend: Vec<(String, &'static str)>,
    pub reasons: BarChart,
    pub skus: BarChart,
    pub export_summary: String,
    pub export_rows: String,
    pub export_agents: String,
    pub export_reasons: String,
    pub export_skus: String,
    pub export_trend: String,
}

fn key_label(t: Tr, by: GroupBy, key: &str) -> String {
    match by {
        GroupBy::Reason => ReasonCode::parse(key).map(|r| r.label(t.lang).to_string()),
        GroupBy::Kind => TicketKind::parse(key).map(|k| k.label(t.lang).to_string()),
        _ => None,
    }
    .unwrap_or_else(|| if key.is_empty() { "—".into() } else { key.to_string() })
}

/// The buyers' answers to return visits (回访) in a period and the one before.
pub struct SatisfactionPair {
    pub now: crate::visits::Satisfaction,
    pub before: crate::visits::Satisfaction,
}

impl SatisfactionPair {
    /// Loads both periods.
    pub async fn load(
        pool: &sqlx::PgPool,
        shop: crate::ids::ShopId,
        zone: chrono_tz::Tz,
        period: super::rates::Period,
        now: chrono::DateTime<chrono::Utc>,
    ) -> sqlx::Result<SatisfactionPair> {
        let (from, to) = period.bounds(zone);
        let (before_from, before_to) = period.previous().bounds(zone);
        Ok(SatisfactionPair {
            now: crate::visits::satisfaction(pool, shop, from, to, now).await?,
            before: crate::visits::satisfaction(pool, shop, before_from, before_to, now).await?,
        })
    }
}

fn permille_text(permille: Option<i64>) -> String {
    permille
        .map(|p| format!("{}.{}%", p / 10, p % 10))
        .unwrap_or_else(|| "—".into())
}

/// The summary: each rate with its parts, basis, the previous period and the change; the
/// buyers' satisfaction from return visits last.
pub fn summary_table(t: Tr, report: &Report, satisfaction: &SatisfactionPair) -> Table {
    let (now, before) = (&report.summary, &report.previous);
    let mut rows = Vec::new();
    for (key, current, previous) in [
        ("reports.return_rate", now.return_rate, before.return_rate),
        ("reports.refund_rate", now.refund_rate, before.refund_rate),
        (
            "reports.quality_refund_rate",
            now.quality_refund_rate,
            before.quality_refund_rate,
        ),
        ("reports.complaint_rate", now.complaint_rate, before.complaint_rate),
    ] {
        rows.push(vec![
            text(t.t(key)),
            num(current.percent()),
            num(current.numerator.to_string()),
            num(current.denominator.to_string()),
            text(t.t(current.basis.label_key())),
            num(format!("{} ({})", previous.percent(), previous.fraction())),
            num(points_text(change_points(&current, &previous))),
        ]);
    }
    let (r, p) = (&now.time_to_resolve, &before.time_to_resolve);
    for (key, value, prev) in [
        ("reports.resolve_avg", r.avg_hours, p.avg_hours),
        ("reports.resolve_p90", r.p90_hours, p.p90_hours),
    ] {
        rows.push(vec![
            text(t.t(key)),
            num(hours(value)),
            num(r.tickets.to_string()),
            num("—"),
            text(t.t("reports.basis.close_date")),
            num(hours(prev)),
            num(match (value, prev) {
                (Some(a), Some(b)) => format!("{:+.1}", a - b),
                _ => "—".into(),
            }),
        ]);
    }
    let (s, b) = (&satisfaction.now, &satisfaction.before);
    rows.push(vec![
        text(t.t("reports.satisfaction")),
        num(permille_text(s.satisfaction_permille)),
        num(s.satisfied.to_string()),
        num(s.answered.to_string()),
        text(t.t("reports.basis.visit_date")),
        num(format!(
            "{} ({}/{})",
            permille_text(b.satisfaction_permille),
            b.satisfied,
            b.answered
        )),
        num(match (s.satisfaction_permille, b.satisfaction_permille) {
            (Some(a), Some(p)) => format!("{:+.1} pp", (a - p) as f64 / 10.0),
            _ => "—".into(),
        }),
    ]);
    Table {
        head: [
            "reports.col.measure",
            "reports.col.value",
            "reports.col.numerator",
            "reports.col.denominator",
            "reports.col.basis",
            "reports.col.previous",
            "reports.col.change",
        ]
        .iter()
        .map(|k| t.t(k).to_string())
        .collect(),
        rows,
    }
}

/// The grouped rows, with the columns that make sense for the grouping.
pub fn rows_table(t: Tr, by: GroupBy, rows: &[(String, Figures, Option<Figures>)]) -> Table {
    let head_keys: &[&str] = if by.is_ticket_group() {
        &[
            "reports.col.group",
            "reports.col.tickets",
            "reports.col.share",
            "reports.col.refunded",
            "reports.col.refund_amount",
            "reports.col.resolve_avg",
            "reports.col.resolve_p90",
            "reports.col.previous_tickets",
        ]
    } else if by.is_time() {
        &[
            "reports.col.group",
            "reports.return_rate",
            "reports.refund_rate",
            "reports.quality_refund_rate",
            "reports.complaint_rate",
            "reports.col.tickets",
            "reports.col.resolve_avg",
            "reports.col.resolve_p90",
        ]
    } else {
        &[
            "reports.col.group",
            "reports.return_rate",
            "reports.col.previous",
            "reports.refund_rate",
            "reports.col.previous",
            "reports.col.tickets",
            "reports.col.refund_amount",
        ]
    };
    let all_tickets: i64 = rows.iter().map(|(_, f, _)| f.tickets).sum();
    let body = rows
        .iter()
        .map(|(key, f, prev)| {
            let label = text(key_label(t, by, key));
            let resolve = &f.time_to_resolve;
            if by.is_ticket_group() {
                vec![
                    label,
                    num(f.tickets.to_string()),
                    num(Rate::new(f.tickets, all_tickets, super::rates::Basis::RequestDate).percent()),
                    num(f.tickets_refunded.to_string()),
                    num(Fen(f.refund_fen).to_string()),
                    num(hours(resolve.avg_hours)),
                    num(hours(resolve.p90_hours)),
                    num(prev
                        .as_ref()
                        .map(|p| p.tickets.to_string())
                        .unwrap_or_else(|| "0".into())),
                ]
            } else if by.is_time() {
                vec![
                    label,
                    rate_cell(&f.return_rate),
                    rate_cell(&f.refund_rate),
                    rate_cell(&f.quality_refund_rate),
                    rate_cell(&f.complaint_rate),
                    num(f.tickets.to_string()),
                    num(hours(resolve.avg_hours)),
                    num(hours(resolve.p90_hours)),
                ]
            } else {
                let none = |r: Option<Rate>| r.map(|r| rate_cell(&r)).unwrap_or_else(|| num("—"));
                vec![
                    label,
                    rate_cell(&f.return_rate),
                    none(prev.as_ref().map(|p| p.return_rate)),
                    rate_cell(&f.refund_rate),
                    none(prev.as_ref().map(|p| p.refund_rate)),
                    num(f.tickets.to_string()),
                    num(Fen(f.refund_fen).to_string()),
                ]
            }
        })
        .collect();
    Table {
        head: head_keys.iter().map(|k| t.t(k).to_string()).collect(),
        rows: body,
    }
}

/// Compliance per agent.
pub fn agents_table(t: Tr, report: &Report) -> Table {
    Table {
        head: [
            "follow_ups.agent",
            "reports.col.compliance",
            "reports.col.in_time",
            "reports.col.missed",
        ]
        .iter()
        .map(|k| t.t(k).to_string())
        .collect(),
        rows: report
            .agents
            .iter()
            .map(|a| {
                vec![
                    text(a.name.clone().unwrap_or_else(|| t.t("ticket.unassigned").to_string())),
                    num(a.compliance.percent()),
                    num(a.in_time.to_string()),
                    num(a.missed.to_string()),
                ]
            })
            .collect(),
    }
}

fn report_rows(report: &Report) -> Vec<(String, Figures, Option<Figures>)> {
    report
        .rows
        .iter()
        .map(|r| (r.key.clone(), r.figures.clone(), r.previous.clone()))
        .collect()
}

/// The shop asked for (else the user's first) and the user's shops, checking who asks.
async fn chosen_shop(
    state: &AppState,
    user: &CurrentUser,
    query: &PageQuery,
) -> Result<(crate::shops::Shop, Vec<crate::shops::Shop>), ApiError> {
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let shop_id = query
        .shop
        .or_else(|| shops.first().map(|s| s.id))
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let shop = report_shop(state, user, shop_id).await?;
    Ok((shop, shops))
}

/// The period and grouping the query asks for.
fn period_asked(
    state: &AppState,
    shop: &crate::shops::Shop,
    query: &PageQuery,
) -> Result<(Period, GroupBy), PeriodError> {
    let api_query = ReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        by: query.by.clone(),
    };
    period_of(&api_query, shop, state.now())
}

/// The report and the satisfaction figures of a period.
async fn figures(
    state: &AppState,
    shop: &crate::shops::Shop,
    period: Period,
    by: GroupBy,
) -> sqlx::Result<(Report, SatisfactionPair)> {
    let report = super::report(&state.pool, shop.id, shop.zone(), period, by).await?;
    let satisfaction = SatisfactionPair::load(&state.pool, shop.id, shop.zone(), period, state.now()).await?;
    Ok((report, satisfaction))
}

/// The form again, with the period as typed and what is wrong with it next to its field; no
/// figures.
fn refused_page(
    state: &AppState,
    page: &Page,
    t: Tr,
    shop: &crate::shops::Shop,
    shops: &[crate::shops::Shop],
    query: &PageQuery,
    error: &PeriodError,
) -> ReportsPage {
    let by = query.by.as_deref().and_then(GroupBy::parse).unwrap_or(GroupBy::Day);
    let empty = || Table {
        head: Vec::new(),
        rows: Vec::new(),
    };
    ReportsPage {
        layout: Layout::new(state, t, &page.user, "reports", page.path.clone()),
        shops: shop_choices(shops, shop),
        groupings: grouping_choices(t, by),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        errors: FormErrors::one(t, error.field_error()),
        shown: false,
        period_text: String::new(),
        pending: None,
        summary: empty(),
        rows: empty(),
        rows_title: String::new(),
        agents: empty(),
        trend: chart::line_chart(&[], Vec::new()),
        trend_legend: Vec::new(),
        reasons: chart::bar_chart(&[]),
        skus: chart::bar_chart(&[]),
        export_summary: String::new(),
        export_rows: String::new(),
        export_agents: String::new(),
        export_reasons: String::new(),
        export_skus: String::new(),
        export_trend: String::new(),
    }
}

fn shop_choices(shops: &[crate::shops::Shop], shop: &crate::shops::Shop) -> Vec<Choice> {
    shops
        .iter()
        .map(|s| Choice::new(s.id.to_string(), s.name.clone(), s.id == shop.id))
        .collect()
}

fn grouping_choices(t: Tr, by: GroupBy) -> Vec<Choice> {
    GroupBy::CHOICES
        .iter()
        .map(|g| Choice::new(g.as_str(), t.t(&format!("reports.by.{}", g.as_str())), *g == by))
        .collect()
}

/// Shows the reports; a period that cannot be taken is shown again as typed, with what is
/// wrong next to its field.
pub async fn show_reports(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> PageResult {
    let user = &page.user;
    let (shop, shops) = chosen_shop(&state, user, &query).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let (period, by) = match period_asked(&state, &shop, &query) {
        Ok(asked) => asked,
        Err(error) => {
            let refused = refused_page(&state, &page, t, &shop, &shops, &query, &error);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&refused)?).into_response());
        }
    };
    let (report, satisfaction) = figures(&state, &shop, period, by).await?;

    // The trend follows the chosen time grouping, else days (weeks past two months).
    let trend_by = if report.by.is_time() {
        report.by
    } else if period.days() > 62 {
        GroupBy::Week
    } else {
        GroupBy::Day
    };
    let trend_rows = if report.by.is_time() {
        report.rows.iter().map(|r| (r.key.clone(), r.figures.clone())).collect()
    } else {
        figures_without_p90(&state.pool, shop.id, period, trend_by)
            .await?
            .into_iter()
            .collect::<Vec<_>>()
    };
    let labels: Vec<String> = trend_rows.iter().map(|(k, _)| k.clone()).collect();
    let legend = vec![
        (t.t("reports.return_rate").to_string(), "#2b63d9"),
        (t.t("reports.refund_rate").to_string(), "#c93237"),
        (t.t("reports.complaint_rate").to_string(), "#a15c00"),
    ];
    let trend = chart::line_chart(
        &labels,
        vec![
            (
                legend[0].0.clone(),
                legend[0].1,
                trend_rows.iter().map(|(_, f)| f.return_rate.value).collect(),
            ),
            (
                legend[1].0.clone(),
                legend[1].1,
                trend_rows.iter().map(|(_, f)| f.refund_rate.value).collect(),
            ),
            (
                legend[2].0.clone(),
                legend[2].1,
                trend_rows.iter().map(|(_, f)| f.complaint_rate.value).collect(),
            ),
        ],
    );
    let mut reasons: Vec<(String, Figures)> = figures_without_p90(&state.pool, shop.id, period, GroupBy::Reason)
        .await?
        .into_iter()
        .filter(|(_, f)| f.tickets > 0)
        .collect();
    reasons.sort_by(|a, b| b.1.tickets.cmp(&a.1.tickets).then(a.0.cmp(&b.0)));
    let reasons = chart::bar_chart(
        &reasons
            .iter()
            .map(|(k, f)| {
                (
                    key_label(t, GroupBy::Reason, k),
                    f.tickets as f64,
                    f.tickets.to_string(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let mut skus: Vec<(String, Figures)> = figures_without_p90(&state.pool, shop.id, period, GroupBy::Sku)
        .await?
        .into_iter()
        .filter(|(_, f)| f.return_rate.numerator > 0 || f.tickets_refunded > 0)
        .collect();
    skus.sort_by(|a, b| {
        (b.1.return_rate.numerator + b.1.tickets_refunded)
            .cmp(&(a.1.return_rate.numerator + a.1.tickets_refunded))
            .then(a.0.cmp(&b.0))
    });
    skus.truncate(TOP_SKUS);
    let skus = chart::bar_chart(
        &skus
            .iter()
            .map(|(k, f)| {
                let n = f.return_rate.numerator + f.tickets_refunded;
                (k.clone(), n as f64, format!("{n} · {}", f.return_rate.percent()))
            })
            .collect::<Vec<_>>(),
    );

    let base = format!(
        "/reports/export.csv?shop={}&from={}&to={}",
        shop.id, report.from, report.to
    );
    let view = ReportsPage {
        layout: Layout::new(&state, t, user, "reports", page.path.clone()),
        shops: shop_choices(&shops, &shop),
        groupings: grouping_choices(t, report.by),
        from: report.from.clone(),
        to: report.to.clone(),
        errors: FormErrors::none(),
        shown: true,
        period_text: t.f(
            "reports.period_text",
            &[
                ("from", &report.from),
                ("to", &report.to),
                ("pfrom", &report.previous_from),
                ("pto", &report.previous_to),
                ("zone", &report.time_zone),
            ],
        ),
        pending: (report.pending_days > 0).then(|| t.f("reports.pending", &[("days", &report.pending_days)])),
        summary: summary_table(t, &report, &satisfaction),
        rows_title: t.f(
            "reports.rows_title",
            &[("by", &t.t(&format!("reports.by.{}", report.by.as_str())))],
        ),
        rows: rows_table(t, report.by, &report_rows(&report)),
        agents: agents_table(t, &report),
        trend,
        trend_legend: legend,
        reasons,
        skus,
        export_summary: format!("{base}&table=summary"),
        export_rows: format!("{base}&table=rows&by={}", report.by.as_str()),
        export_agents: format!("{base}&table=agents"),
        export_reasons: format!("{base}&table=rows&by=reason"),
        export_skus: format!("{base}&table=rows&by=sku"),
        export_trend: format!("{base}&table=rows&by={}", trend_by.as_str()),
    };
    Ok(render(&view)?.into_response())
}

/// One table as CSV, UTF-8 with a BOM.
pub async fn export_csv(State(state): State<AppState>, page: Page, ApiQuery(query): ApiQuery<PageQuery>) -> PageResult {
    let (shop, _) = chosen_shop(&state, &page.user, &query).await?;
    let (period, by) = period_asked(&state, &shop, &query).map_err(|e| PageError::from(e.field_error().clone()))?;
    let (report, satisfaction) = figures(&state, &shop, period, by).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let which = query.table.as_deref().unwrap_or("rows");
    let table = match which {
        "summary" => summary_table(t, &report, &satisfaction),
        "agents" => agents_table(t, &report),
        "rows" => rows_table(t, report.by, &report_rows(&report)),
        other => {
            return Err(PageError::from(
                FieldError::new("table", "reports.export.bad_table").with("value", other),
            ));
        }
    };
    let body = to_csv(&table).map_err(|e| PageError::from(ApiError::internal(e)))?;
    let name = format!(
        "report-{}-{}-{}-{}.csv",
        shop.code,
        if which == "rows" { report.by.as_str() } else { which },
        report.from,
        report.to
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", urlencode(&name))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// A table as CSV bytes with the UTF-8 BOM first; every cell is made safe for spreadsheets
/// (a SKU or a name written as a formula is exported as text).
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    use crate::spreadsheet::neutralise_formula;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(table.head.iter().map(|h| neutralise_formula(h).into_owned()))?;
    for row in &table.rows {
        writer.write_record(row.iter().map(|c| neutralise_formula(&c.text).into_owned()))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
