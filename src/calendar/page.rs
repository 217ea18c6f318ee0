//! `/calendar`: the working-day deadline calculator for agents (a plain GET form; htmx swaps
//! only the result), and the years the calendar knows with their holidays and make-up days.
//! Admins replace a year, add one or remove one here, typing dates one a line (see `text`).

use crate::api::ApiForm;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;

use super::api::{MAX_WORKING_DAYS, ZONE, compute, parse_local, parse_rfc3339};
use super::text::{self, Place, TextError};
use super::{CalendarDay, DayKind, DayProblemKind, Invalid, ReplaceError, YearSummary};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::views::{Flash, Layout};
use crate::web::{Page, PageResult, render};

/// The id of the element htmx swaps with the calculator's result.
const RESULT_ID: &str = "calendar-result";
/// The calculator's count until the agent changes it: platform intervention's 4 working days.
const DEFAULT_WORKING_DAYS: u32 = 4;

/// Routes of the page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(show_calendar))
        .route("/calendar/years", post(add_year))
        .route("/calendar/years/{year}", post(replace_year))
        .route("/calendar/years/{year}/delete", post(delete_year))
}

/// The whole calendar page.
#[derive(Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub layout: Layout,
    /// The calculator's inputs as the agent left them.
    pub from: String,
    pub working_days: String,
    pub max_working_days: u32,
    /// Focus the calculator on load (not when an admin's form comes back with errors).
    pub calc_autofocus: bool,
    pub result: CalendarResultPartial,
    pub years: Vec<YearCard>,
    pub is_admin: bool,
    /// The admin's form for a year not known yet.
    pub new_year: YearForm,
}

/// The calculator's result: the part htmx swaps.
#[derive(Template)]
#[template(path = "_calendar_result.html")]
pub struct CalendarResultPartial {
    pub t: Tr,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
}

/// A computed deadline, ready to show.
pub struct Outcome {
    /// E.g. "2025-03-14（周五）24:00".
    pub deadline_text: String,
    /// RFC 3339 with the offset, for `<time datetime>`.
    pub deadline_rfc3339: String,
    /// What was counted from where.
    pub summary: String,
    pub rows: Vec<DayRow>,
    /// Why the deadline is provisional (a year's holidays not loaded), when it is.
    pub provisional: Option<String>,
}

/// A day, or a run of skipped days, the deadline went through.
pub struct DayRow {
    pub dates: String,
    pub weekdays: String,
    pub label: String,
    pub class: &'static str,
    pub counted: bool,
    /// "第 2 个工作日" for a counted day, "跳过 3 天" for skipped ones.
    pub note: String,
}

/// One known year: its listed dates, grouped into runs, and (for admins) its edit form.
pub struct YearCard {
    pub year: i32,
    pub title: String,
    pub counts: String,
    pub source: String,
    pub updated: String,
    pub rows: Vec<YearRow>,
    pub form: YearForm,
}

/// A run of consecutive listed dates of the same kind and name.
pub struct YearRow {
    pub dates: String,
    pub weekdays: String,
    pub name: String,
    pub label: &'static str,
    pub class: &'static str,
    pub days: usize,
}

/// The admin's form for replacing a year, or adding one.
pub struct YearForm {
    pub is_new: bool,
    pub action: String,
    /// Makes element ids unique on the page: the year, or `new`.
    pub id: String,
    pub year: String,
    pub source: String,
    pub text: String,
    pub errors: Vec<String>,
    /// Shown unfolded (after an error).
    pub open: bool,
}

/// Query of the page.
#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    from: Option<String>,
    working_days: Option<String>,
    /// A year just saved or removed (after the redirect), for the message at the top.
    saved: Option<String>,
    deleted: Option<String>,
}

/// The admin's form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct YearFormInput {
    /// Only in the form for a new year; the replace form has the year in its address.
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    days: String,
}

/// Shows the calculator (with its result when `from` is given) and the years.
pub async fn show_calendar(
    State(state): State<AppState>,
    Page { user, t, path, htmx }: Page,
    headers: axum::http::HeaderMap,
    Query(query): Query<CalendarQuery>,
) -> PageResult {
    let calculator = calculate(&state, t, &query).await?;
    if htmx && headers.get("hx-target").and_then(|v| v.to_str().ok()) == Some(RESULT_ID) {
        return Ok(render(&calculator.result)?.into_response());
    }
    let mut page = page(&state, &user, t, path, calculator).await?;
    page.layout.flash = flash(t, &query, &page.years);
    Ok(render(&page)?.into_response())
}

/// What the calculator shows.
struct Calculator {
    from: String,
    working_days: String,
    result: CalendarResultPartial,
}

async fn calculate(state: &AppState, t: Tr, query: &CalendarQuery) -> ApiResult<Calculator> {
    let days_text = query
        .working_days
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| DEFAULT_WORKING_DAYS.to_string());
    let mut result = CalendarResultPartial {
        t,
        outcome: None,
        error: None,
    };
    let Some(from_text) = query.from.as_deref().map(str::trim) else {
        // Nothing asked yet: offer "now" to start from.
        return Ok(Calculator {
            from: local_input(state.now()),
            working_days: days_text,
            result,
        });
    };
    let from = parse_rfc3339(from_text).or_else(|| parse_local(from_text));
    let working_days = days_text.parse::<u32>().ok().filter(|n| *n <= MAX_WORKING_DAYS);
    let calculator_from = from.map(local_input).unwrap_or_else(|| from_text.to_string());
    match (from, working_days) {
        (None, _) => result.error = Some(t.t("calendar.calc.bad_from").to_string()),
        (_, None) => result.error = Some(t.f("calendar.calc.bad_days", &[("max", &MAX_WORKING_DAYS)])),
        (Some(from), Some(working_days)) => match compute(state, from, working_days).await {
            Ok(computed) => result.outcome = Some(outcome(t, &computed)),
            Err(error) if error.code == "calendar_unknown_year" => {
                let year = error.details["year"].as_i64().unwrap_or_default();
                result.error = Some(t.f("calendar.calc.unknown_year", &[("year", &year)]));
            }
            Err(error) => return Err(error),
        },
    }
    Ok(Calculator {
        from: calculator_from,
        working_days: days_text,
        result,
    })
}

/// An instant as a `datetime-local` input value in Asia/Shanghai.
fn local_input(at: DateTime<Utc>) -> String {
    at.with_timezone(&ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

fn outcome(t: Tr, computed: &super::api::Computed) -> Outcome {
    let last_day = computed.deadline.last_day;
    let from_local = computed.from.with_timezone(&ZONE);
    let summary = t.f(
        "calendar.calc.summary",
        &[
            ("from", &from_local.format("%Y-%m-%d %H:%M")),
            ("weekday", &t.t(super::weekday_key(from_local.date_naive()))),
            ("n", &computed.working_days),
        ],
    );
    let mut rows: Vec<DayRow> = Vec::new();
    let mut counted = 0;
    let mut run: Vec<(NaiveDate, DayKind, &str)> = Vec::new();
    let flush = |run: &mut Vec<(NaiveDate, DayKind, &str)>, rows: &mut Vec<DayRow>| {
        if let (Some(&(first, kind, name)), Some(&(last, _, _))) = (run.first(), run.last()) {
            rows.push(DayRow {
                dates: date_span(first, last, true),
                weekdays: weekday_span(t, first, last),
                label: kind_label(t, kind, name),
                class: kind_class(kind),
                counted: false,
                note: t.f("calendar.calc.skipped", &[("n", &run.len())]),
            });
        }
        run.clear();
    };
    for day in &computed.days {
        if day.counted {
            flush(&mut run, &mut rows);
            counted += 1;
            rows.push(DayRow {
                dates: day.date.format("%Y-%m-%d").to_string(),
                weekdays: t.t(super::weekday_key(day.date)).to_string(),
                label: kind_label(t, day.kind, &day.name),
                class: kind_class(day.kind),
                counted: true,
                note: t.f("calendar.calc.nth", &[("n", &counted)]),
            });
            continue;
        }
        let continues = run.last().is_some_and(|&(date, kind, name)| {
            date.succ_opt() == Some(day.date) && kind == day.kind && name == day.name
        });
        if !continues {
            flush(&mut run, &mut rows);
        }
        run.push((day.date, day.kind, &day.name));
    }
    flush(&mut run, &mut rows);
    Outcome {
        deadline_text: t.f(
            "calendar.calc.ends",
            &[
                ("date", &last_day.format("%Y-%m-%d")),
                ("weekday", &t.t(super::weekday_key(last_day))),
            ],
        ),
        deadline_rfc3339: computed.deadline.ends_at.with_timezone(&ZONE).to_rfc3339(),
        summary,
        rows,
        provisional: computed
            .deadline
            .provisional_year
            .map(|year| t.f("calendar.provisional_note", &[("year", &year)])),
    }
}

fn kind_label(t: Tr, kind: DayKind, name: &str) -> String {
    if name.is_empty() {
        t.t(kind.label_key()).to_string()
    } else {
        format!("{} · {name}", t.t(kind.label_key()))
    }
}

fn kind_class(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Workday => "badge-ok",
        DayKind::MakeUpWorkday => "badge-due-soon",
        DayKind::Weekend => "badge-muted",
        DayKind::Holiday => "badge-overdue",
    }
}

/// `2025-01-28 – 02-04`, or one date; without the year when `with_year` is false.
fn date_span(first: NaiveDate, last: NaiveDate, with_year: bool) -> String {
    let head = if with_year { "%Y-%m-%d" } else { "%m-%d" };
    if first == last {
        return first.format(head).to_string();
    }
    let tail = if first.year() == last.year() {
        "%m-%d"
    } else {
        "%Y-%m-%d"
    };
    format!("{} – {}", first.format(head), last.format(tail))
}

fn weekday_span(t: Tr, first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        t.t(super::weekday_key(first)).to_string()
    } else {
        format!("{} – {}", t.t(super::weekday_key(first)), t.t(super::weekday_key(last)))
    }
}

/// The whole page around the calculator.
async fn page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    here: String,
    calculator: Calculator,
) -> ApiResult<CalendarPage> {
    let summaries = super::years(&state.pool).await?;
    let first = summaries.first().map(|y| y.year).unwrap_or(*super::YEARS.start());
    let last = summaries.last().map(|y| y.year).unwrap_or(*super::YEARS.start());
    let listed = super::listed_days(&state.pool, year_start(first), year_start(last + 1)).await?;
    // Newest first: the year agents count in now, and the one an admin edits next.
    let years: Vec<YearCard> = summaries
        .iter()
        .rev()
        .map(|summary| {
            let days: Vec<CalendarDay> = listed
                .iter()
                .filter(|d| d.date.year() == summary.year)
                .cloned()
                .collect();
            year_card(t, summary, &days)
        })
        .collect();
    let next_year = summaries
        .last()
        .map(|y| y.year + 1)
        .unwrap_or_else(|| state.now().with_timezone(&ZONE).year());
    Ok(CalendarPage {
        layout: Layout::new(state, t, user, "calendar", here),
        from: calculator.from,
        working_days: calculator.working_days,
        max_working_days: MAX_WORKING_DAYS,
        calc_autofocus: true,
        result: calculator.result,
        years,
        is_admin: user.may(crate::auth::permissions::Action::ManageCalendar),
        new_year: YearForm {
            is_new: true,
            action: "/calendar/years".into(),
            id: "new".into(),
            year: next_year.to_string(),
            source: String::new(),
            text: String::new(),
            errors: Vec::new(),
            open: false,
        },
    })
}

fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MAX)
}

fn year_card(t: Tr, summary: &YearSummary, days: &[CalendarDay]) -> YearCard {
    let mut rows: Vec<YearRow> = Vec::new();
    let mut run: Vec<&CalendarDay> = Vec::new();
    let flush = |run: &mut Vec<&CalendarDay>, rows: &mut Vec<YearRow>| {
        if let (Some(first), Some(last)) = (run.first(), run.last()) {
            let (label, class) = if first.is_off_day {
                (t.t("calendar.year.off"), "badge-overdue")
            } else {
                (t.t("calendar.kind.make_up"), "badge-due-soon")
            };
            rows.push(YearRow {
                dates: date_span(first.date, last.date, false),
                weekdays: weekday_span(t, first.date, last.date),
                name: first.name.clone(),
                label,
                class,
                days: run.len(),
            });
        }
        run.clear();
    };
    for day in days {
        let continues = run.last().is_some_and(|prev| {
            prev.date.succ_opt() == Some(day.date) && prev.is_off_day == day.is_off_day && prev.name == day.name
        });
        if !continues {
            flush(&mut run, &mut rows);
        }
        run.push(day);
    }
    flush(&mut run, &mut rows);
    YearCard {
        year: summary.year,
        title: t.f("calendar.year.title", &[("year", &summary.year)]),
        counts: t.f(
            "calendar.year.counts",
            &[("off", &summary.holidays), ("work", &summary.make_up_days)],
        ),
        source: summary.source.clone(),
        updated: Tr::new(t.lang, ZONE).datetime(&summary.updated_at),
        rows,
        form: YearForm {
            is_new: false,
            action: format!("/calendar/years/{}", summary.year),
            id: summary.year.to_string(),
            year: summary.year.to_string(),
            source: summary.source.clone(),
            text: text::format(days),
            errors: Vec::new(),
            open: false,
        },
    }
}

fn flash(t: Tr, query: &CalendarQuery, years: &[YearCard]) -> Option<Flash> {
    if let Some(year) = query.saved.as_deref().and_then(|y| y.parse::<i32>().ok())
        && let Some(card) = years.iter().find(|card| card.year == year)
    {
        return Some(Flash {
            ok: true,
            text: t.f("calendar.flash.saved", &[("year", &year), ("counts", &card.counts)]),
        });
    }
    let year = query.deleted.as_deref()?.parse::<i32>().ok()?;
    Some(Flash {
        ok: true,
        text: t.f("calendar.flash.deleted", &[("year", &year)]),
    })
}

/// Adds a year from the admin's new-year form.
pub async fn add_year(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    ApiForm(input): ApiForm<YearFormInput>,
) -> PageResult {
    let year = input.year.as_deref().map(str::trim).unwrap_or_default();
    let year = year
        .parse::<i32>()
        .map_err(|_| t.t("calendar.problem.year_missing").to_string());
    Ok(save(&state, &user, t, year, true, input).await?)
}

/// Replaces a year from the admin's form on its card.
pub async fn replace_year(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    Path(year): Path<String>,
    ApiForm(input): ApiForm<YearFormInput>,
) -> PageResult {
    let year = year.parse::<i32>().map_err(|_| ApiError::not_found("calendar year"))?;
    Ok(save(&state, &user, t, Ok(year), false, input).await?)
}

/// Stores the year and goes back to the page (post/redirect/get), or shows the page again
/// with the admin's text and what is wrong with it, line by line; nothing is stored then.
async fn save(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    year: Result<i32, String>,
    is_new: bool,
    input: YearFormInput,
) -> ApiResult<Response> {
    user.require(crate::auth::permissions::Action::ManageCalendar)?;
    let year_number = year.as_ref().ok().copied();
    let errors = match year {
        Err(message) => vec![message],
        Ok(year) => match store(state, t, year, is_new, &input).await? {
            Ok(()) => {
                state.calendars.reload(&state.pool, state.now()).await?;
                let details = serde_json::json!({ "year": year, "source": input.source });
                crate::audit::record(
                    &state.pool,
                    user.id,
                    crate::audit::action::CALENDAR_YEAR_REPLACED,
                    None,
                    &year.to_string(),
                    details,
                )
                .await?;
                tracing::info!(year, user = %user.login, "calendar year saved from the page");
                return Ok(Redirect::to(&format!("/calendar?saved={year}#year-{year}")).into_response());
            }
            Err(errors) => errors,
        },
    };
    let calculator = calculate(state, t, &CalendarQuery::default()).await?;
    let mut page = page(state, user, t, "/calendar".into(), calculator).await?;
    let target = if is_new {
        None
    } else {
        page.years.iter_mut().find(|card| Some(card.year) == year_number)
    };
    let form = match target {
        Some(card) => &mut card.form,
        None => {
            // The new-year form, or a year removed meanwhile: keep what the admin typed.
            page.new_year.year = match (is_new, year_number) {
                (false, Some(year)) => year.to_string(),
                _ => input.year.clone().unwrap_or_default(),
            };
            &mut page.new_year
        }
    };
    form.source = input.source;
    form.text = input.days;
    form.errors = errors;
    form.open = true;
    page.calc_autofocus = false;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(page.render()?)).into_response())
}

/// Parses, checks and stores the text; the messages for the admin when anything is wrong.
async fn store(
    state: &AppState,
    t: Tr,
    year: i32,
    is_new: bool,
    input: &YearFormInput,
) -> ApiResult<Result<(), Vec<String>>> {
    if is_new && super::year(&state.pool, year).await?.is_some() {
        return Ok(Err(vec![t.f("calendar.problem.year_exists", &[("year", &year)])]));
    }
    let parsed = match text::parse(&input.days) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(Err(errors.iter().map(|e| text_error(t, e)).collect())),
    };
    if let Some(file_year) = parsed.file_year
        && file_year != year
    {
        return Ok(Err(vec![
            t.f("calendar.problem.file_year", &[("file", &file_year), ("year", &year)]),
        ]));
    }
    match super::replace_year(&state.pool, year, &parsed.days, &input.source).await {
        Ok(_) => Ok(Ok(())),
        Err(ReplaceError::Database(error)) => Err(error.into()),
        Err(ReplaceError::Invalid(invalid)) => Ok(Err(invalid_messages(t, year, &invalid, &parsed.places))),
    }
}

fn place(t: Tr, place: Place) -> String {
    match place {
        Place::Line(n) => t.f("calendar.at_line", &[("n", &n)]),
        Place::Entry(n) => t.f("calendar.at_entry", &[("n", &n)]),
        Place::Event(n) => t.f("calendar.at_event", &[("n", &n)]),
    }
}

fn text_error(t: Tr, error: &TextError) -> String {
    match error {
        TextError::BadDate { line, text } => t.f(
            "calendar.problem.bad_date",
            &[("at", &place(t, Place::Line(*line))), ("text", text)],
        ),
        TextError::MissingKind { line } => t.f(
            "calendar.problem.missing_kind",
            &[("at", &place(t, Place::Line(*line)))],
        ),
        TextError::BadKind { line, text } => t.f(
            "calendar.problem.bad_kind",
            &[("at", &place(t, Place::Line(*line))), ("text", text)],
        ),
        TextError::BadJson(error) => t.f("calendar.problem.bad_json", &[("error", error)]),
        TextError::BadEvent { event, text } => t.f(
            "calendar.problem.bad_event",
            &[("at", &place(t, Place::Event(*event))), ("text", text)],
        ),
    }
}

fn invalid_messages(t: Tr, year: i32, invalid: &Invalid, places: &[Place]) -> Vec<String> {
    let at = |index: usize| {
        places
            .get(index)
            .map(|p| place(t, *p))
            .unwrap_or_else(|| (index + 1).to_string())
    };
    match invalid {
        Invalid::YearOutOfRange(year) => vec![t.f(
            "calendar.problem.year_range",
            &[
                ("year", year),
                ("min", super::YEARS.start()),
                ("max", super::YEARS.end()),
            ],
        )],
        Invalid::SourceMissing => vec![t.t("calendar.problem.source_missing").to_string()],
        Invalid::SourceTooLong(chars) => vec![t.f(
            "calendar.problem.source_too_long",
            &[("chars", chars), ("max", &super::MAX_SOURCE_CHARS)],
        )],
        Invalid::NoDays => vec![t.t("calendar.problem.no_days").to_string()],
        Invalid::Days(problems) => problems
            .iter()
            .map(|p| {
                let date = p.date.format("%Y-%m-%d").to_string();
                match &p.kind {
                    DayProblemKind::OutsideYear { .. } => t.f(
                        "calendar.problem.outside_year",
                        &[("at", &at(p.index)), ("date", &date), ("year", &year)],
                    ),
                    DayProblemKind::Duplicate { first_index } => t.f(
                        "calendar.problem.duplicate",
                        &[("at", &at(p.index)), ("date", &date), ("first", &at(*first_index))],
                    ),
                    DayProblemKind::NameTooLong { chars } => t.f(
                        "calendar.problem.name_too_long",
                        &[("at", &at(p.index)), ("chars", chars), ("max", &super::MAX_NAME_CHARS)],
                    ),
                    DayProblemKind::MakeUpOnWeekday => t.f(
                        "calendar.problem.make_up_on_weekday",
                        &[
                            ("at", &at(p.index)),
                            ("date", &date),
                            ("weekday", &t.t(super::weekday_key(p.date))),
                        ],
                    ),
                }
            })
            .collect(),
    }
}

/// Removes a year (admin) and goes back to the page.
pub async fn delete_year(
    State(state): State<AppState>,
    Page { user, .. }: Page,
    Path(year): Path<String>,
) -> PageResult {
    let result = async {
        user.require(crate::auth::permissions::Action::ManageCalendar)?;
        let year = year.parse::<i32>().map_err(|_| ApiError::not_found("calendar year"))?;
        if !super::delete_year(&state.pool, year).await? {
            return Err(ApiError::not_found("calendar year"));
        }
        state.calendars.reload(&state.pool, state.now()).await?;
        let details = serde_json::json!({ "year": year });
        crate::audit::record(
            &state.pool,
            user.id,
            crate::audit::action::CALENDAR_YEAR_DELETED,
            None,
            &year.to_string(),
            details,
        )
        .await?;
        tracing::info!(year, user = %user.login, "calendar year removed from the page");
        Ok(Redirect::to(&format!("/calendar?deleted={year}")).into_response())
    };
    Ok(result.await?)
}
