//! `/reports`: the owners' page — a period form, the money refunded, the summary against the
//! previous period, the trend, the refund reasons (refund and return tickets) beside the other
//! kinds' reasons, the SKUs refunded most (SVG drawn on the server), the grouped table,
//! compliance per agent and what every measure means — and `/reports/export.csv`, which gives
//! each table as CSV (UTF-8 with a BOM so that spreadsheet programs read the Chinese text
//! correctly). Tables are built once here and used by both the page and the export: a cell
//! knows its text on the page and its plain-number columns in the CSV (a rate is its percent,
//! numerator and denominator; money is yuan), so a spreadsheet can sum and sort them.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::api::{PeriodError, ReportQuery, period_of, report_shop};
use super::chart::{self, BarChart, LineChart};
use super::costs::CostRow;
use super::rates::{Basis, Period, Rate, SMALL_DENOMINATOR, change_points, points_text};
use super::{Figures, GroupBy, ReasonSplit, Report, figures_without_p90, reasons_by_kind};
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

/// SKUs in the top-SKU chart; the rest are one bar, "others".
const TOP_SKUS: usize = 10;

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub shop: Option<ShopId>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
    /// For the export: `summary`, `rows`, `agents`, `kinds`, `refund_reasons` or `other_reasons`.
    pub table: Option<String>,
}

/// A table as shown and as exported.
pub struct Table {
    pub head: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// A column: its title on the page and the titles of the CSV columns its cells export as.
pub struct Column {
    pub title: String,
    pub csv: Vec<String>,
}

/// One cell: its text on the page (numbers align right; a rate over a small sample is greyed
/// with its `n` as a tooltip; a measure links to its definition) and its CSV fields, as many as
/// its column has.
pub struct Cell {
    pub text: String,
    /// `""`, `num`, or `num small-n`.
    pub class: &'static str,
    /// The tooltip, if any.
    pub title: String,
    /// A link (`#def-…`), if any.
    pub link: String,
    pub csv: Vec<String>,
}

fn column(title: impl Into<String>) -> Column {
    let title = title.into();
    Column {
        csv: vec![title.clone()],
        title,
    }
}

/// A rate's column: on the page one cell, in the CSV the rate in percent, its numerator and its
/// denominator.
fn rate_column(t: Tr, title: impl Into<String>) -> Column {
    let title = title.into();
    Column {
        csv: vec![
            t.f("reports.csv.percent", &[("name", &title)]),
            t.f("reports.csv.numerator", &[("name", &title)]),
            t.f("reports.csv.denominator", &[("name", &title)]),
        ],
        title,
    }
}

/// A money column: yuan as a plain number in the CSV.
fn money_column(t: Tr, title: impl Into<String>) -> Column {
    let title = title.into();
    Column {
        csv: vec![t.f("reports.csv.yuan", &[("name", &title)])],
        title,
    }
}

fn cell(text: impl Into<String>, class: &'static str, csv: Vec<String>) -> Cell {
    Cell {
        text: text.into(),
        class,
        title: String::new(),
        link: String::new(),
        csv,
    }
}

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    cell(s.clone(), "", vec![s])
}

fn int(n: i64) -> Cell {
    cell(n.to_string(), "num", vec![n.to_string()])
}

/// Yuan as a plain number (`-12.50`).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn money(fen: i64) -> Cell {
    cell(Fen(fen).to_string(), "num", vec![yuan(fen)])
}

fn hours_cell(h: Option<f64>) -> Cell {
    cell(hours(h), "num", vec![h.map(|h| format!("{h:.1}")).unwrap_or_default()])
}

/// A share without its parts (`12.50%`; a plain `12.50` in the CSV).
fn share(rate: &Rate) -> Cell {
    cell(rate.percent(), "num", vec![rate.percent_number()])
}

/// A rate with its parts; greyed with a tooltip below [`SMALL_DENOMINATOR`].
fn rate_cell(t: Tr, r: &Rate) -> Cell {
    let mut c = cell(
        format!("{} ({})", r.percent(), r.fraction()),
        if r.is_small() { "num small-n" } else { "num" },
        vec![r.percent_number(), r.numerator.to_string(), r.denominator.to_string()],
    );
    if r.is_small() {
        c.title = t.f("reports.small_n", &[("n", &r.denominator), ("min", &SMALL_DENOMINATOR)]);
    }
    c
}

/// A dash for a column of `fields` CSV fields.
fn dash(fields: usize) -> Cell {
    cell("—", "num", vec![String::new(); fields])
}

fn hours(h: Option<f64>) -> String {
    h.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
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
    /// The money refunded: the total, and what it is made of.
    pub money: Money,
    pub kinds: Table,
    pub summary: Table,
    pub rows: Table,
    pub rows_title: String,
    pub agents: Table,
    pub trend: LineChart,
    pub trend_legend: Vec<(String, &'static str)>,
    /// What the trend's points are (the grouping, hollow points).
    pub trend_note: String,
    pub reasons: BarChart,
    pub other_reasons: BarChart,
    /// The other kinds and their tickets, said under their chart.
    pub other_kinds_note: String,
    pub skus: BarChart,
    /// What after-sales cost, per SKU (`costs`).
    pub costs: Table,
    /// Each SKU's return rate beside its product notes and the tickets they solved.
    pub knowledge: Table,
    /// The small-sample threshold, said once under the summary.
    pub small_n_note: String,
    /// What every measure means: `(anchor, name, definition)`.
    pub definitions: Vec<(String, String, String)>,
    pub export_summary: String,
    pub export_rows: String,
    pub export_agents: String,
    pub export_kinds: String,
    pub export_reasons: String,
    pub export_other_reasons: String,
    pub export_skus: String,
    pub export_costs: String,
    pub export_knowledge: String,
    pub export_trend: String,
}

/// The money refunded in the period, as the page heads with it.
pub struct Money {
    /// `¥12,345.00`.
    pub total: String,
    /// How many tickets, against the previous period.
    pub detail: String,
    /// What the total counts (by request date, partial refunds at their amount).
    pub basis: String,
    /// Said when some refunds had no amount recorded and are counted at the amount paid.
    pub estimated: Option<String>,
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

/// The measures of the summary, in order: `(catalogue key of its name, anchor of its definition)`.
const MEASURES: [(&str, &str); 7] = [
    ("reports.return_rate", "return_rate"),
    ("reports.refund_rate", "refund_rate"),
    ("reports.quality_refund_rate", "quality_refund_rate"),
    ("reports.complaint_rate", "complaint_rate"),
    ("reports.resolve_avg", "resolve_avg"),
    ("reports.resolve_p90", "resolve_p90"),
    ("reports.satisfaction", "satisfaction"),
];

/// What every measure means, for the definitions on the page: `(anchor, name, definition)`.
pub fn definitions(t: Tr) -> Vec<(String, String, String)> {
    MEASURES
        .iter()
        .map(|(key, anchor)| {
            (
                format!("def-{anchor}"),
                t.t(key).to_string(),
                t.t(&format!("reports.def.{anchor}")).to_string(),
            )
        })
        .chain([
            (
                "def-refunded".to_string(),
                t.t("reports.money.title").to_string(),
                t.t("reports.def.refunded").to_string(),
            ),
            (
                "def-compliance".to_string(),
                t.t("reports.agents").to_string(),
                t.t("reports.def.compliance").to_string(),
            ),
        ])
        .collect()
}

/// A measure's name, linking to its definition; in the CSV also its unit.
fn measure(t: Tr, key: &str, unit: &str) -> Cell {
    let anchor = MEASURES.iter().find(|(k, _)| *k == key).map(|(_, a)| *a).unwrap_or("");
    let mut c = cell(t.t(key), "", vec![t.t(key).to_string(), t.t(unit).to_string()]);
    c.link = format!("#def-{anchor}");
    c
}

/// The summary: each rate with its parts, basis, the previous period and the change; the times
/// to resolve (the average as the hours of all tickets closed ÷ those tickets; the p90 over
/// them); the buyers' satisfaction from return visits last.
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
        let mut value = share(&current);
        if current.is_small() {
            value.class = "num small-n";
            value.title = t.f(
                "reports.small_n",
                &[("n", &current.denominator), ("min", &SMALL_DENOMINATOR)],
            );
        }
        let points = change_points(&current, &previous);
        rows.push(vec![
            measure(t, key, "reports.unit.percent"),
            value,
            int(current.numerator),
            int(current.denominator),
            text(t.t(current.basis.label_key())),
            rate_cell(t, &previous),
            cell(
                points_text(points),
                "num",
                vec![points.map(|p| format!("{p:.2}")).unwrap_or_default()],
            ),
        ]);
    }
    let (r, p) = (&now.time_to_resolve, &before.time_to_resolve);
    let total_hours = |avg: Option<f64>, tickets: i64| avg.map(|a| a * tickets as f64);
    let change = |value: Option<f64>, prev: Option<f64>| match (value, prev) {
        (Some(a), Some(b)) => cell(format!("{:+.1}", a - b), "num", vec![format!("{:.1}", a - b)]),
        _ => dash(1),
    };
    let previous_time = |value: Option<f64>, numerator: Option<f64>| {
        cell(
            format!("{} ({})", hours(value), p.tickets),
            "num",
            vec![
                value.map(|h| format!("{h:.1}")).unwrap_or_default(),
                numerator.map(|h| format!("{h:.1}")).unwrap_or_default(),
                p.tickets.to_string(),
            ],
        )
    };
    rows.push(vec![
        measure(t, "reports.resolve_avg", "reports.unit.hours"),
        hours_cell(r.avg_hours),
        hours_cell(total_hours(r.avg_hours, r.tickets)),
        int(r.tickets),
        text(t.t("reports.basis.close_date")),
        previous_time(p.avg_hours, total_hours(p.avg_hours, p.tickets)),
        change(r.avg_hours, p.avg_hours),
    ]);
    rows.push(vec![
        measure(t, "reports.resolve_p90", "reports.unit.hours"),
        hours_cell(r.p90_hours),
        dash(1),
        int(r.tickets),
        text(t.t("reports.basis.close_date")),
        previous_time(p.p90_hours, None),
        change(r.p90_hours, p.p90_hours),
    ]);
    let (s, b) = (&satisfaction.now, &satisfaction.before);
    let permille_number = |p: Option<i64>| p.map(|p| format!("{}.{}", p / 10, p % 10)).unwrap_or_default();
    rows.push(vec![
        measure(t, "reports.satisfaction", "reports.unit.percent"),
        cell(
            permille_text(s.satisfaction_permille),
            "num",
            vec![permille_number(s.satisfaction_permille)],
        ),
        int(s.satisfied),
        int(s.answered),
        text(t.t("reports.basis.visit_date")),
        cell(
            format!(
                "{} ({} / {})",
                permille_text(b.satisfaction_permille),
                b.satisfied,
                b.answered
            ),
            "num",
            vec![
                permille_number(b.satisfaction_permille),
                b.satisfied.to_string(),
                b.answered.to_string(),
            ],
        ),
        match (s.satisfaction_permille, b.satisfaction_permille) {
            (Some(a), Some(p)) => {
                let points = (a - p) as f64 / 10.0;
                cell(format!("{points:+.1} pp"), "num", vec![format!("{points:.1}")])
            }
            _ => dash(1),
        },
    ]);
    Table {
        head: vec![
            Column {
                title: t.t("reports.col.measure").to_string(),
                csv: vec![
                    t.t("reports.col.measure").to_string(),
                    t.t("reports.col.unit").to_string(),
                ],
            },
            column(t.t("reports.col.value")),
            column(t.t("reports.col.numerator")),
            column(t.t("reports.col.denominator")),
            column(t.t("reports.col.basis")),
            rate_column(t, t.t("reports.col.previous")),
            Column {
                title: t.t("reports.col.change").to_string(),
                csv: vec![t.t("reports.col.change_points").to_string()],
            },
        ],
        rows,
    }
}

/// The grouped rows, with the columns that make sense for the grouping.
pub fn rows_table(t: Tr, by: GroupBy, rows: &[(String, Figures, Option<Figures>)]) -> Table {
    let head = if by.is_ticket_group() {
        vec![
            column(t.t("reports.col.group")),
            column(t.t("reports.col.tickets")),
            Column {
                title: t.t("reports.col.share").to_string(),
                csv: vec![t.f("reports.csv.percent", &[("name", &t.t("reports.col.share"))])],
            },
            column(t.t("reports.col.refunded")),
            money_column(t, t.t("reports.col.refund_amount")),
            column(t.t("reports.col.resolve_avg")),
            column(t.t("reports.col.resolve_p90")),
            column(t.t("reports.col.previous_tickets")),
        ]
    } else if by.is_time() {
        vec![
            column(t.t("reports.col.group")),
            rate_column(t, t.t("reports.return_rate")),
            rate_column(t, t.t("reports.refund_rate")),
            rate_column(t, t.t("reports.quality_refund_rate")),
            rate_column(t, t.t("reports.complaint_rate")),
            column(t.t("reports.col.tickets")),
            money_column(t, t.t("reports.col.refund_amount")),
            column(t.t("reports.col.resolve_avg")),
            column(t.t("reports.col.resolve_p90")),
        ]
    } else {
        vec![
            column(t.t("reports.col.group")),
            rate_column(t, t.t("reports.return_rate")),
            rate_column(t, t.t("reports.col.previous")),
            rate_column(t, t.t("reports.refund_rate")),
            rate_column(t, t.t("reports.col.previous")),
            column(t.t("reports.col.tickets")),
            money_column(t, t.t("reports.col.refund_amount")),
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
                    int(f.tickets),
                    share(&Rate::new(f.tickets, all_tickets, Basis::RequestDate)),
                    int(f.tickets_refunded),
                    money(f.refund_fen),
                    hours_cell(resolve.avg_hours),
                    hours_cell(resolve.p90_hours),
                    int(prev.as_ref().map(|p| p.tickets).unwrap_or(0)),
                ]
            } else if by.is_time() {
                vec![
                    label,
                    rate_cell(t, &f.return_rate),
                    rate_cell(t, &f.refund_rate),
                    rate_cell(t, &f.quality_refund_rate),
                    rate_cell(t, &f.complaint_rate),
                    int(f.tickets),
                    money(f.refund_fen),
                    hours_cell(resolve.avg_hours),
                    hours_cell(resolve.p90_hours),
                ]
            } else {
                let none = |r: Option<Rate>| r.map(|r| rate_cell(t, &r)).unwrap_or_else(|| dash(3));
                vec![
                    label,
                    rate_cell(t, &f.return_rate),
                    none(prev.as_ref().map(|p| p.return_rate)),
                    rate_cell(t, &f.refund_rate),
                    none(prev.as_ref().map(|p| p.refund_rate)),
                    int(f.tickets),
                    money(f.refund_fen),
                ]
            }
        })
        .collect();
    Table { head, rows: body }
}

/// Tickets per reason (or kind) with what was refunded on them: `(key, figures)` sorted as
/// shown, labelled by `by` (reason or kind).
pub fn tickets_table(t: Tr, by: GroupBy, rows: &[(String, Figures)]) -> Table {
    let all_tickets: i64 = rows.iter().map(|(_, f)| f.tickets).sum();
    let all_fen: i64 = rows.iter().map(|(_, f)| f.refund_fen).fold(0, i64::saturating_add);
    Table {
        head: vec![
            column(t.t("reports.col.group")),
            column(t.t("reports.col.tickets")),
            Column {
                title: t.t("reports.col.share").to_string(),
                csv: vec![t.f("reports.csv.percent", &[("name", &t.t("reports.col.share"))])],
            },
            column(t.t("reports.col.refunded")),
            money_column(t, t.t("reports.col.refund_amount")),
            Column {
                title: t.t("reports.col.amount_share").to_string(),
                csv: vec![t.f("reports.csv.percent", &[("name", &t.t("reports.col.amount_share"))])],
            },
        ],
        rows: rows
            .iter()
            .map(|(key, f)| {
                vec![
                    text(key_label(t, by, key)),
                    int(f.tickets),
                    share(&Rate::new(f.tickets, all_tickets, Basis::RequestDate)),
                    int(f.tickets_refunded),
                    money(f.refund_fen),
                    share(&Rate::new(f.refund_fen, all_fen, Basis::RequestDate)),
                ]
            })
            .collect(),
    }
}

/// The after-sales cost of a period, per SKU (read from the primary: the ledger's and the
/// goods' tables are small and change by the minute).
async fn costs_of(
    state: &AppState,
    shop: &crate::shops::Shop,
    period: Period,
    titled: usize,
) -> sqlx::Result<Vec<CostRow>> {
    super::costs::costs(super::Pools::one(&state.pool), shop.id, shop.zone(), period, titled).await
}

/// Each SKU of the period with its return rate, its notes (its own and its category's) and the
/// tickets they solved: those with no notes first, the highest return rate first.
async fn knowledge_of(
    state: &AppState,
    shop: &crate::shops::Shop,
    figures: &std::collections::BTreeMap<String, Figures>,
) -> sqlx::Result<Vec<(String, Rate, crate::knowledge::SkuKnowledge)>> {
    // The period's SKUs, and those with notes of their own (their notes' work shows even in a
    // period without tickets).
    let mut skus: Vec<String> = figures.keys().filter(|k| !k.is_empty()).cloned().collect();
    skus.extend(crate::knowledge::noted_skus(&state.pool, shop.id).await?);
    skus.sort();
    skus.dedup();
    // By SKU: a year lists thousands, and searching the list for each cost the page more than
    // any statement it runs.
    let known: std::collections::HashMap<String, crate::knowledge::SkuKnowledge> =
        crate::knowledge::per_sku(&state.pool, shop.id, &skus)
            .await?
            .into_iter()
            .map(|k| (k.sku.clone(), k))
            .collect();
    let mut rows: Vec<(String, Rate, crate::knowledge::SkuKnowledge)> = skus
        .iter()
        .map(|sku| {
            let k = known.get(sku).cloned().unwrap_or_default();
            let rate = figures
                .get(sku)
                .map_or(Rate::new(0, 0, Basis::SignDate), |f| f.return_rate);
            (sku.clone(), rate, k)
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.2.notes > 0)
            .cmp(&(b.2.notes > 0))
            .then(b.1.value.unwrap_or(0.0).total_cmp(&a.1.value.unwrap_or(0.0)))
            .then(a.0.cmp(&b.0))
    });
    Ok(rows)
}

/// SKUs on the page's knowledge card (the CSV has them all): the highest return rates without
/// notes, then the SKUs with notes, what their notes solved most first.
const KNOWLEDGE_ROWS: usize = 15;

fn for_the_page(
    rows: Vec<(String, Rate, crate::knowledge::SkuKnowledge)>,
) -> Vec<(String, Rate, crate::knowledge::SkuKnowledge)> {
    let (without, mut with): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, _, k)| k.notes == 0);
    with.sort_by(|a, b| b.2.solved.cmp(&a.2.solved).then(a.0.cmp(&b.0)));
    without
        .into_iter()
        .take(KNOWLEDGE_ROWS)
        .chain(with.into_iter().take(KNOWLEDGE_ROWS))
        .collect()
}

/// The return rate and the knowledge per SKU.
pub fn knowledge_table(t: Tr, rows: &[(String, Rate, crate::knowledge::SkuKnowledge)]) -> Table {
    Table {
        head: vec![
            column(t.t("stock.sku")),
            rate_column(t, t.t("reports.return_rate")),
            column(t.t("reports.knowledge.notes")),
            column(t.t("reports.knowledge.solved")),
        ],
        rows: rows
            .iter()
            .map(|(sku, rate, k)| {
                let mut notes = int(k.notes);
                if k.notes == 0 {
                    notes.text = t.t("reports.knowledge.no_notes").to_string();
                    notes.class = "num no-notes";
                }
                vec![text(sku.clone()), rate_cell(t, rate), notes, int(k.solved)]
            })
            .collect(),
    }
}

/// SKUs on the page's after-sales cost card, the costliest first; the rest are one row (the
/// CSV has them all).
pub const COST_ROWS: usize = 20;

/// What after-sales cost per SKU: the first `shown` SKUs (the rows come costliest first), the
/// others summed in one row, and the total of all.
pub fn costs_table(t: Tr, rows: &[CostRow], shown: usize) -> Table {
    let sum = |rows: &[CostRow]| {
        rows.iter().fold(CostRow::default(), |mut acc, r| {
            acc.refunds_fen += r.refunds_fen;
            acc.compensation_fen += r.compensation_fen;
            acc.postage_fen += r.postage_fen;
            acc.reships_fen += r.reships_fen;
            acc.total_fen += r.total_fen;
            acc
        })
    };
    let line = |sku: String, title: String, r: &CostRow| {
        vec![
            text(sku),
            text(title),
            money(r.refunds_fen),
            money(r.compensation_fen),
            money(r.postage_fen),
            money(r.reships_fen),
            money(r.total_fen),
        ]
    };
    let (first, others) = rows.split_at(shown.min(rows.len()));
    let mut table_rows: Vec<Vec<Cell>> = first
        .iter()
        .map(|r| {
            let sku = if r.sku.is_empty() {
                t.t("reports.costs.no_line").to_string()
            } else {
                r.sku.clone()
            };
            line(sku, r.title.clone(), r)
        })
        .collect();
    if !others.is_empty() {
        let label = t.f("reports.costs.others", &[("n", &others.len().to_string())]);
        table_rows.push(line(label, String::new(), &sum(others)));
    }
    if !rows.is_empty() {
        table_rows.push(line(t.t("stock.total").to_string(), String::new(), &sum(rows)));
    }
    Table {
        head: vec![
            column(t.t("stock.sku")),
            column(t.t("stock.item")),
            money_column(t, t.t("reports.costs.refunds")),
            money_column(t, t.t("reports.costs.compensation")),
            money_column(t, t.t("reports.costs.postage")),
            money_column(t, t.t("reports.costs.reships")),
            money_column(t, t.t("reports.costs.total")),
        ],
        rows: table_rows,
    }
}

/// Compliance per agent.
pub fn agents_table(t: Tr, report: &Report) -> Table {
    Table {
        head: vec![
            column(t.t("follow_ups.agent")),
            Column {
                title: t.t("reports.col.compliance").to_string(),
                csv: vec![t.f("reports.csv.percent", &[("name", &t.t("reports.col.compliance"))])],
            },
            column(t.t("reports.col.in_time")),
            column(t.t("reports.col.missed")),
        ],
        rows: report
            .agents
            .iter()
            .map(|a| {
                let mut compliance = share(&a.compliance);
                if a.compliance.is_small() {
                    compliance.class = "num small-n";
                    compliance.title = t.f(
                        "reports.small_n",
                        &[("n", &a.compliance.denominator), ("min", &SMALL_DENOMINATOR)],
                    );
                }
                vec![
                    text(a.name.clone().unwrap_or_else(|| t.t("ticket.unassigned").to_string())),
                    compliance,
                    int(a.in_time),
                    int(a.missed),
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

/// The period and grouping the query asks for; without a grouping, the one that suits the
/// period's length ([`GroupBy::default_for`]).
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
    let (period, by) = period_of(&api_query, shop, state.now())?;
    let chosen = query.by.as_deref().is_some_and(|b| !b.is_empty());
    Ok((period, if chosen { by } else { GroupBy::default_for(period) }))
}

/// The report and the satisfaction figures of a period.
async fn figures(
    state: &AppState,
    shop: &crate::shops::Shop,
    period: Period,
    by: GroupBy,
) -> sqlx::Result<(Report, SatisfactionPair)> {
    let report = super::report(state.reports_db(), shop.id, shop.zone(), period, by).await?;
    let satisfaction =
        SatisfactionPair::load(state.reports_db().reads, shop.id, shop.zone(), period, state.now()).await?;
    Ok((report, satisfaction))
}

fn empty_table() -> Table {
    Table {
        head: Vec::new(),
        rows: Vec::new(),
    }
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
    let by = query.by.as_deref().and_then(GroupBy::parse).unwrap_or(GroupBy::Week);
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
        money: Money {
            total: String::new(),
            detail: String::new(),
            basis: String::new(),
            estimated: None,
        },
        kinds: empty_table(),
        summary: empty_table(),
        rows: empty_table(),
        rows_title: String::new(),
        agents: empty_table(),
        trend: chart::line_chart(&[], Vec::new()),
        trend_legend: Vec::new(),
        trend_note: String::new(),
        reasons: chart::bar_chart(chart::HALF, &[]),
        other_reasons: chart::bar_chart(chart::HALF, &[]),
        other_kinds_note: String::new(),
        skus: chart::bar_chart(chart::WIDE, &[]),
        costs: empty_table(),
        knowledge: empty_table(),
        small_n_note: String::new(),
        definitions: definitions(t),
        export_summary: String::new(),
        export_rows: String::new(),
        export_agents: String::new(),
        export_kinds: String::new(),
        export_reasons: String::new(),
        export_other_reasons: String::new(),
        export_skus: String::new(),
        export_costs: String::new(),
        export_knowledge: String::new(),
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

/// Reason rows sorted as the charts show them: most tickets first, then by code.
fn sorted_reasons(reasons: &std::collections::BTreeMap<String, Figures>) -> Vec<(String, Figures)> {
    let mut rows: Vec<(String, Figures)> = reasons
        .iter()
        .filter(|(_, f)| f.tickets > 0)
        .map(|(k, f)| (k.clone(), f.clone()))
        .collect();
    rows.sort_by(|a, b| b.1.tickets.cmp(&a.1.tickets).then(a.0.cmp(&b.0)));
    rows
}

/// Ticket kinds sorted by the money refunded on them, then by tickets.
fn sorted_kinds(kinds: std::collections::BTreeMap<String, Figures>) -> Vec<(String, Figures)> {
    let mut rows: Vec<(String, Figures)> = kinds.into_iter().filter(|(_, f)| f.tickets > 0).collect();
    rows.sort_by(|a, b| {
        b.1.refund_fen
            .cmp(&a.1.refund_fen)
            .then(b.1.tickets.cmp(&a.1.tickets))
            .then(a.0.cmp(&b.0))
    });
    rows
}

/// A reason chart's bars: tickets, with the money refunded on them.
fn reason_bars(t: Tr, rows: &[(String, Figures)]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|(k, f)| {
            let value = if f.refund_fen > 0 {
                t.f(
                    "reports.bar.tickets_money",
                    &[("n", &f.tickets), ("money", &Fen(f.refund_fen))],
                )
            } else {
                t.f("reports.bar.tickets", &[("n", &f.tickets)])
            };
            (key_label(t, GroupBy::Reason, k), f.tickets as f64, value)
        })
        .collect()
}

/// The SKUs refunded most (by amount, then by tickets refunded), the first [`TOP_SKUS`] as
/// bars and the rest as one bar, "others"; tickets on a whole order are their own bar.
fn sku_bars(t: Tr, skus: std::collections::BTreeMap<String, Figures>) -> Vec<(String, f64, String)> {
    let mut rows: Vec<(String, Figures)> = skus
        .into_iter()
        .filter(|(_, f)| f.tickets_refunded > 0 || f.return_rate.numerator > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.1.refund_fen
            .cmp(&a.1.refund_fen)
            .then(b.1.tickets_refunded.cmp(&a.1.tickets_refunded))
            .then(b.1.return_rate.numerator.cmp(&a.1.return_rate.numerator))
            .then(a.0.cmp(&b.0))
    });
    let bar = |label: String, fen: i64, refunded: i64, returned: i64| {
        (
            label,
            fen as f64,
            t.f(
                "reports.bar.sku",
                &[("money", &Fen(fen)), ("refunded", &refunded), ("returned", &returned)],
            ),
        )
    };
    let rest = if rows.len() > TOP_SKUS {
        rows.split_off(TOP_SKUS)
    } else {
        Vec::new()
    };
    let mut bars: Vec<(String, f64, String)> = rows
        .iter()
        .map(|(k, f)| {
            let label = if k.is_empty() {
                t.t("reports.whole_order").to_string()
            } else {
                k.clone()
            };
            bar(label, f.refund_fen, f.tickets_refunded, f.return_rate.numerator)
        })
        .collect();
    if !rest.is_empty() {
        let fen = rest.iter().map(|(_, f)| f.refund_fen).fold(0, i64::saturating_add);
        let refunded = rest.iter().map(|(_, f)| f.tickets_refunded).sum();
        let returned = rest.iter().map(|(_, f)| f.return_rate.numerator).sum();
        bars.push(bar(
            t.f("reports.others", &[("n", &rest.len())]),
            fen,
            refunded,
            returned,
        ));
    }
    bars
}

/// The money refunded in the period against the previous one.
fn money_of(t: Tr, report: &Report) -> Money {
    let (now, before) = (&report.summary, &report.previous);
    Money {
        total: Fen(now.refund_fen).to_string(),
        detail: t.f(
            "reports.money.detail",
            &[
                ("n", &now.tickets_refunded),
                ("tickets", &now.tickets),
                ("previous", &Fen(before.refund_fen)),
                ("pn", &before.tickets_refunded),
            ],
        ),
        basis: t.t("reports.def.refunded").to_string(),
        estimated: (now.tickets_refund_estimated > 0).then(|| {
            t.f(
                "reports.money.estimated",
                &[
                    ("money", &Fen(now.refund_estimated_fen)),
                    ("n", &now.tickets_refund_estimated),
                ],
            )
        }),
    }
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

    // The trend follows the chosen time grouping, else the one that suits the period.
    let trend_by = if report.by.is_time() {
        report.by
    } else {
        GroupBy::default_for(period)
    };
    let trend_rows = if report.by.is_time() {
        report.rows.iter().map(|r| (r.key.clone(), r.figures.clone())).collect()
    } else {
        figures_without_p90(state.reports_db(), shop.id, period, trend_by)
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
                trend_rows.iter().map(|(_, f)| Some(f.return_rate)).collect(),
            ),
            (
                legend[1].0.clone(),
                legend[1].1,
                trend_rows.iter().map(|(_, f)| Some(f.refund_rate)).collect(),
            ),
            (
                legend[2].0.clone(),
                legend[2].1,
                trend_rows.iter().map(|(_, f)| Some(f.complaint_rate)).collect(),
            ),
        ],
    );
    let split: ReasonSplit = reasons_by_kind(state.reports_db(), shop.id, period).await?;
    let refund_reasons = sorted_reasons(&split.refund);
    let other_reasons = sorted_reasons(&split.other);
    let other_kinds_note = {
        let kinds: Vec<String> = split
            .other_kinds
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| {
                let label = TicketKind::parse(k)
                    .map(|k| k.label(t.lang).to_string())
                    .unwrap_or_else(|| k.clone());
                format!("{label} {n}")
            })
            .collect();
        if kinds.is_empty() {
            String::new()
        } else {
            t.f(
                "reports.other_kinds_note",
                &[("kinds", &kinds.join(t.t("reports.list_sep")))],
            )
        }
    };
    let kinds = sorted_kinds(figures_without_p90(state.reports_db(), shop.id, period, GroupBy::Kind).await?);
    let sku_figures = figures_without_p90(state.reports_db(), shop.id, period, GroupBy::Sku).await?;
    let knowledge = knowledge_table(t, &for_the_page(knowledge_of(&state, &shop, &sku_figures).await?));
    let skus = sku_bars(t, sku_figures);

    let costs = costs_of(&state, &shop, period, COST_ROWS).await?;
    let base = format!(
        "/reports/export.csv?shop={}&from={}&to={}",
        shop.id, report.from, report.to
    );
    let by_label = t.t(&format!("reports.by.{}", trend_by.as_str()));
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
        money: money_of(t, &report),
        kinds: tickets_table(t, GroupBy::Kind, &kinds),
        summary: summary_table(t, &report, &satisfaction),
        rows_title: t.f(
            "reports.rows_title",
            &[("by", &t.t(&format!("reports.by.{}", report.by.as_str())))],
        ),
        rows: rows_table(t, report.by, &report_rows(&report)),
        agents: agents_table(t, &report),
        trend,
        trend_legend: legend,
        trend_note: t.f("reports.trend_note", &[("by", &by_label), ("min", &SMALL_DENOMINATOR)]),
        reasons: chart::bar_chart(chart::HALF, &reason_bars(t, &refund_reasons)),
        other_reasons: chart::bar_chart(chart::HALF, &reason_bars(t, &other_reasons)),
        other_kinds_note,
        skus: chart::bar_chart(chart::WIDE, &skus),
        costs: costs_table(t, &costs, COST_ROWS),
        knowledge,
        small_n_note: t.f("reports.small_n_note", &[("min", &SMALL_DENOMINATOR)]),
        definitions: definitions(t),
        export_summary: format!("{base}&table=summary"),
        export_rows: format!("{base}&table=rows&by={}", report.by.as_str()),
        export_agents: format!("{base}&table=agents"),
        export_kinds: format!("{base}&table=kinds"),
        export_reasons: format!("{base}&table=refund_reasons"),
        export_other_reasons: format!("{base}&table=other_reasons"),
        export_skus: format!("{base}&table=rows&by=sku"),
        export_costs: format!("{base}&table=costs"),
        export_knowledge: format!("{base}&table=knowledge"),
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
        "costs" => costs_table(t, &costs_of(&state, &shop, period, usize::MAX).await?, usize::MAX),
        "knowledge" => {
            let figures = figures_without_p90(state.reports_db(), shop.id, period, GroupBy::Sku).await?;
            knowledge_table(t, &knowledge_of(&state, &shop, &figures).await?)
        }
        "agents" => agents_table(t, &report),
        "rows" => rows_table(t, report.by, &report_rows(&report)),
        "kinds" => tickets_table(
            t,
            GroupBy::Kind,
            &sorted_kinds(figures_without_p90(state.reports_db(), shop.id, period, GroupBy::Kind).await?),
        ),
        "refund_reasons" | "other_reasons" => {
            let split = reasons_by_kind(state.reports_db(), shop.id, period).await?;
            let reasons = if which == "refund_reasons" {
                &split.refund
            } else {
                &split.other
            };
            tickets_table(t, GroupBy::Reason, &sorted_reasons(reasons))
        }
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

/// A table as CSV bytes with the UTF-8 BOM first: each column as its CSV fields (a rate as its
/// percent, numerator and denominator; money as yuan; all plain numbers), every field made safe
/// for spreadsheets (a SKU or a name written as a formula is exported as text).
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    use crate::spreadsheet::neutralise_formula;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(
        table
            .head
            .iter()
            .flat_map(|h| h.csv.iter())
            .map(|h| neutralise_formula(h).into_owned()),
    )?;
    for row in &table.rows {
        writer.write_record(
            row.iter()
                .flat_map(|c| c.csv.iter())
                .map(|field| neutralise_formula(field).into_owned()),
        )?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn cost(sku: &str, refunds: i64, reships: i64) -> CostRow {
        CostRow {
            sku: sku.to_string(),
            title: format!("{sku} title"),
            refunds_fen: refunds,
            reships_fen: reships,
            total_fen: refunds + reships,
            ..CostRow::default()
        }
    }

    fn texts(row: &[Cell]) -> Vec<&str> {
        row.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn the_cost_card_shows_the_costliest_skus_and_the_others_in_one_row_and_every_sku_in_the_total() {
        let rows: Vec<CostRow> = (0..25)
            .map(|n| cost(&format!("S{n:02}"), 10_000 - n * 100, n))
            .collect();
        let t = Tr::new(Lang::En, chrono_tz::Asia::Shanghai);
        let page = costs_table(t, &rows, 20);
        assert_eq!(page.rows.len(), 22, "20 SKUs, the others, the total");
        assert_eq!(texts(&page.rows[19])[0], "S19");
        let others = &rows[20..];
        let refunds: i64 = others.iter().map(|r| r.refunds_fen).sum();
        let reships: i64 = others.iter().map(|r| r.reships_fen).sum();
        assert_eq!(
            texts(&page.rows[20]),
            vec![
                "5 other SKUs (each in the CSV)",
                "",
                &Fen(refunds).to_string(),
                &Fen(0).to_string(),
                &Fen(0).to_string(),
                &Fen(reships).to_string(),
                &Fen(refunds + reships).to_string(),
            ]
        );
        let all: i64 = rows.iter().map(|r| r.total_fen).sum();
        assert_eq!(texts(&page.rows[21])[6], Fen(all).to_string());

        // The CSV has every SKU, and no row of others; few SKUs need none either.
        let csv = costs_table(t, &rows, usize::MAX);
        assert_eq!(csv.rows.len(), 26);
        let few = costs_table(Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai), &rows[..3], 20);
        assert_eq!(few.rows.len(), 4);
        assert_eq!(texts(&few.rows[3])[0], "合计");
    }
}
