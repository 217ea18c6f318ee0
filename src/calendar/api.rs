//! The calendar's JSON API: the working-day deadline calculator (any signed-in user) and the
//! years' schedules (read by anyone signed in, replaced or removed by an admin). The calendar
//! page's routes are in `page`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CalendarDay, DayKind, Invalid, ReplaceError, YearDays, YearSummary};
use crate::api::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rules::calendar::{CalendarError, WorkingDayDeadline};
use crate::state::AppState;

/// The zone deadlines are read in: the shops' default (DOMAIN.md: all local times are
/// Asia/Shanghai unless a shop sets another zone).
pub const ZONE: Tz = chrono_tz::Asia::Shanghai;
/// The most working days the calculator counts (platform intervention takes 4).
pub const MAX_WORKING_DAYS: u32 = 60;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(compute_deadline))
        .routes(routes!(list_years))
        .routes(routes!(get_year, replace_year, delete_year))
}

/// Query of the deadline calculator.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// The instant of the application, RFC 3339 with an offset, e.g.
    /// `2025-03-10T10:00:00+08:00` (send `+` as `%2B`).
    #[param(format = DateTime, example = "2025-03-10T10:00:00+08:00")]
    pub from: String,
    /// How many working days to count after the day of `from`, 0–60.
    #[param(minimum = 0, maximum = 60)]
    pub working_days: u32,
}

/// A working-day deadline and the days it went through.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineView {
    /// The end (24:00) of the last working day counted, i.e. 00:00 of the day after, RFC 3339
    /// in Asia/Shanghai.
    #[schema(example = "2025-03-15T00:00:00+08:00")]
    pub deadline: String,
    /// The last working day counted (the day of `from` itself for 0 days).
    #[schema(value_type = String, format = Date, example = "2025-03-14")]
    pub last_day: NaiveDate,
    pub working_days: u32,
    /// `from` as read, in Asia/Shanghai.
    #[schema(example = "2025-03-10T10:00:00+08:00")]
    pub from: String,
    /// The zone the days are counted in.
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    /// Every date after the day of `from` up to `last_day`, counted or skipped.
    pub days: Vec<DeadlineDay>,
    /// The first year counted without its holiday schedule (weekends only there): the deadline
    /// is provisional. Absent when every day counted is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisional_year: Option<i32>,
}

/// One date a deadline went through.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineDay {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub kind: DayKind,
    /// Whether it counted as a working day.
    pub counted: bool,
    /// The holiday a listed date belongs to (e.g. `春节`); empty for ordinary days.
    pub name: String,
}

/// A deadline as computed for the API and the page.
pub(super) struct Computed {
    pub from: DateTime<Utc>,
    pub working_days: u32,
    pub deadline: WorkingDayDeadline,
    pub days: Vec<DeadlineDay>,
}

impl Computed {
    fn view(&self) -> DeadlineView {
        DeadlineView {
            deadline: self.deadline.ends_at.with_timezone(&ZONE).to_rfc3339(),
            last_day: self.deadline.last_day,
            working_days: self.working_days,
            from: self.from.with_timezone(&ZONE).to_rfc3339(),
            time_zone: ZONE.name().to_string(),
            days: self
                .days
                .iter()
                .map(|d| DeadlineDay {
                    date: d.date,
                    kind: d.kind,
                    counted: d.counted,
                    name: d.name.clone(),
                })
                .collect(),
            provisional_year: self.deadline.provisional_year,
        }
    }
}

/// The deadline `working_days` working days after `from`, by the calendar the server holds,
/// with the name of every listed date it went through.
pub(super) async fn compute(state: &AppState, from: DateTime<Utc>, working_days: u32) -> ApiResult<Computed> {
    if working_days > MAX_WORKING_DAYS {
        return Err(
            ApiError::bad_request(format!("working_days: count 0 to {MAX_WORKING_DAYS} working days"))
                .with_details(json!({ "parameter": "working_days" })),
        );
    }
    let calendar = state.calendar();
    let deadline = calendar
        .add_working_days(from, working_days, ZONE)
        .map_err(unknown_year)?;
    let application_day = from.with_timezone(&ZONE).date_naive();
    let kinds = super::breakdown(&calendar, application_day, deadline.last_day);
    let names = match (kinds.first(), kinds.last()) {
        (Some((first, _)), Some((last, _))) => {
            super::listed_days(&state.pool, *first, last.succ_opt().unwrap_or(*last)).await?
        }
        _ => Vec::new(),
    };
    let days = kinds
        .into_iter()
        .map(|(date, kind)| DeadlineDay {
            date,
            kind,
            counted: kind.is_working(),
            name: names
                .iter()
                .find(|listed| listed.date == date)
                .map(|listed| listed.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Computed {
        from,
        working_days,
        deadline,
        days,
    })
}

/// 422 `calendar_unknown_year`, naming the year and who can fix it.
pub(super) fn unknown_year(error: CalendarError) -> ApiError {
    let CalendarError::UnknownYear(year) = error;
    ApiError::unprocessable(
        error.code(),
        format!(
            "the working-day calendar has no holiday schedule for {year}, so deadlines cannot reach into it; \
             an admin must add {year} first (PUT /api/v1/calendar/years/{year}, or the calendar page /calendar)"
        ),
    )
    .with_details(json!({ "year": year }))
}

/// Reads an RFC 3339 instant. A `+` sent unencoded in a query string arrives as a space
/// (`10:00:00 08:00`); that one slip is put right rather than refused.
pub(super) fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let (head, offset) = text.split_at_checked(text.len().checked_sub(6)?)?;
    let repaired = format!("{head}+{}", offset.strip_prefix(' ')?);
    DateTime::parse_from_rfc3339(&repaired)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Reads a local date and time without offset (`2025-03-10T10:00`, as a `datetime-local`
/// input sends it) in Asia/Shanghai.
pub(super) fn parse_local(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())?;
    // Asia/Shanghai has no clock changes today, so a local time is never ambiguous or skipped.
    ZONE.from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// The working-day deadline after an instant: the end (24:00 Asia/Shanghai) of the Nth working
/// day after the day of `from`, which is not counted. Working days skip weekends and statutory
/// holidays and count make-up working days (调休). A year the calendar has no schedule for is
/// 422 `calendar_unknown_year`.
#[utoipa::path(get, path = "/api/v1/calendar/deadline", tag = "calendar",
    params(DeadlineQuery),
    responses((status = 200, body = DeadlineView),
              (status = 400, description = "`from` or `working_days` is missing or malformed", body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody),
              (status = 422, description = "`calendar_unknown_year`: the count reaches a year without data", body = crate::api::ErrorBody)))]
pub async fn compute_deadline(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<DeadlineView>> {
    let from = parse_rfc3339(&query.from).ok_or_else(|| {
        ApiError::bad_request(format!(
            "from: `{}` is not an RFC 3339 instant; send e.g. 2025-03-10T10:00:00%2B08:00 (date, time and offset)",
            query.from
        ))
        .with_details(json!({ "parameter": "from" }))
    })?;
    let computed = compute(&state, from, query.working_days).await?;
    Ok(Json(computed.view()))
}

/// The years the calendar knows, with how many holidays and make-up days each lists.
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "calendar",
    responses((status = 200, body = Vec<YearSummary>), (status = 401, body = crate::api::ErrorBody)))]
pub async fn list_years(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<Vec<YearSummary>>> {
    Ok(Json(super::years(&state.pool).await?))
}

/// One known year with every date it lists.
#[utoipa::path(get, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    params(("year" = i32, Path, description = "e.g. 2025")),
    responses((status = 200, body = YearDays), (status = 401, body = crate::api::ErrorBody),
              (status = 404, description = "the calendar does not know this year", body = crate::api::ErrorBody)))]
pub async fn get_year(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(year): Path<String>,
) -> ApiResult<Json<YearDays>> {
    let year = year.parse::<i32>().map_err(|_| not_a_known_year())?;
    super::year(&state.pool, year)
        .await?
        .map(Json)
        .ok_or_else(not_a_known_year)
}

fn not_a_known_year() -> ApiError {
    ApiError::not_found("calendar year")
}

/// A year's schedule as uploaded: our own form (`days` with `is_off_day`, and `source`), or a
/// NateScarlet/holiday-cn year file as published (`year`, `papers`, `days` with `isOffDay`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct YearUpload {
    /// Every date the year's notice lists: statutory holidays and make-up working days.
    pub days: Vec<CalendarDay>,
    /// Where the dates come from (the notice's title or address). Required, except for a
    /// holiday-cn file, whose `papers` are used.
    #[serde(default)]
    #[schema(max_length = 500, example = "国务院办公厅关于2027年部分节假日安排的通知")]
    pub source: Option<String>,
    /// holiday-cn files: the year the file is for; must be the year in the path.
    #[serde(default)]
    pub year: Option<i32>,
    /// holiday-cn files: the addresses of the notices.
    #[serde(default)]
    pub papers: Vec<String>,
}

impl YearUpload {
    fn source(&self) -> String {
        match self.source.as_deref().map(str::trim) {
            Some(source) if !source.is_empty() => source.to_string(),
            _ if !self.papers.is_empty() => format!("holiday-cn: {}", self.papers.join(" ")),
            _ => String::new(),
        }
    }
}

/// Replaces a year's schedule, or adds the year (admin). The whole year is replaced in one
/// transaction and the running server uses it at once. Every date must be in that year, listed
/// once, with a name of at most 50 characters; a make-up working day must be a Saturday or
/// Sunday. Nothing is stored when any date is wrong; the error names each one (`days[3]`).
#[utoipa::path(put, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    params(("year" = i32, Path, description = "e.g. 2027")),
    request_body = YearUpload,
    responses((status = 200, body = YearDays), (status = 400, body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody),
              (status = 422, description = "a date, the year or the source is wrong; nothing was stored", body = crate::api::ErrorBody)))]
pub async fn replace_year(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    ApiJson(upload): ApiJson<YearUpload>,
) -> ApiResult<Json<YearDays>> {
    user.require(crate::auth::permissions::Action::ManageCalendar)?;
    let year = parse_year(&year)?;
    if let Some(file_year) = upload.year
        && file_year != year
    {
        return Err(ApiError::invalid(
            "year",
            format!(
                "the upload is for {file_year} but the address names {year}; send it to /api/v1/calendar/years/{file_year}"
            ),
        ));
    }
    let stored = super::replace_year(&state.pool, year, &upload.days, &upload.source())
        .await
        .map_err(replace_error)?;
    state.calendars.reload(&state.pool, state.now()).await?;
    let details = json!({ "year": year, "days": stored.days.len(), "source": upload.source() });
    crate::audit::record(
        &state.pool,
        user.id,
        crate::audit::action::CALENDAR_YEAR_REPLACED,
        None,
        &year.to_string(),
        details,
    )
    .await?;
    tracing::info!(year, user = %user.login, days = stored.days.len(), "calendar year replaced");
    Ok(Json(stored))
}

/// Removes a year (admin): deadlines that reach into it are refused again.
#[utoipa::path(delete, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    params(("year" = i32, Path, description = "e.g. 2027")),
    responses((status = 204, description = "the year is removed"), (status = 401, body = crate::api::ErrorBody),
              (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn delete_year(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
) -> ApiResult<StatusCode> {
    user.require(crate::auth::permissions::Action::ManageCalendar)?;
    let year = year.parse::<i32>().map_err(|_| not_a_known_year())?;
    if !super::delete_year(&state.pool, year).await? {
        return Err(not_a_known_year());
    }
    state.calendars.reload(&state.pool, state.now()).await?;
    crate::audit::record(
        &state.pool,
        user.id,
        crate::audit::action::CALENDAR_YEAR_DELETED,
        None,
        &year.to_string(),
        json!({ "year": year }),
    )
    .await?;
    tracing::info!(year, user = %user.login, "calendar year removed");
    Ok(StatusCode::NO_CONTENT)
}

fn parse_year(text: &str) -> ApiResult<i32> {
    text.parse::<i32>().map_err(|_| {
        ApiError::bad_request(format!("year: `{text}` is not a year such as 2027"))
            .with_details(json!({ "parameter": "year" }))
    })
}

fn replace_error(error: ReplaceError) -> ApiError {
    match error {
        ReplaceError::Database(error) => error.into(),
        ReplaceError::Invalid(invalid) => {
            let field = match &invalid {
                Invalid::YearOutOfRange(_) => "year",
                Invalid::SourceMissing | Invalid::SourceTooLong(_) => "source",
                Invalid::NoDays | Invalid::Days(_) => "days",
            };
            let problems = invalid.describe(|index| format!("days[{index}]"));
            let indexes: Vec<usize> = match &invalid {
                Invalid::Days(problems) => problems.iter().map(|p| p.index).collect(),
                _ => Vec::new(),
            };
            ApiError::invalid(field, format!("{}; nothing was stored", problems.join("; ")))
                .with_details(json!({ "field": field, "problems": problems, "indexes": indexes }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(paths(compute_deadline, list_years, get_year, replace_year, delete_year))]
    struct CalendarDoc;

    #[test]
    fn the_annotations_describe_every_endpoint_and_its_schemas() {
        let doc = serde_json::to_value(CalendarDoc::openapi()).expect("serialises");
        for path in [
            "/api/v1/calendar/deadline",
            "/api/v1/calendar/years",
            "/api/v1/calendar/years/{year}",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        let year = &doc["paths"]["/api/v1/calendar/years/{year}"];
        assert!(year["get"].is_object() && year["put"].is_object() && year["delete"].is_object());
        for schema in [
            "DeadlineView",
            "DeadlineDay",
            "DayKind",
            "YearSummary",
            "YearDays",
            "YearUpload",
            "CalendarDay",
        ] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema} missing");
        }
    }

    #[test]
    fn an_unencoded_plus_in_the_offset_is_put_right() {
        let expected = parse_rfc3339("2025-03-10T10:00:00+08:00").expect("valid");
        assert_eq!(parse_rfc3339("2025-03-10T10:00:00 08:00"), Some(expected));
        assert_eq!(parse_rfc3339("2025-03-10T02:00:00Z"), Some(expected));
        assert_eq!(parse_rfc3339("2025-03-10T10:00:00"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339(""), None);
    }

    #[test]
    fn a_datetime_local_value_is_read_in_shanghai() {
        let expected = parse_rfc3339("2025-03-10T10:00:00+08:00");
        assert_eq!(parse_local("2025-03-10T10:00"), expected);
        assert_eq!(parse_local("2025-03-10T10:00:00"), expected);
        assert_eq!(parse_local("2025-03-10"), None);
    }
}
