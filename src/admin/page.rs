//! `/admin`: the admin's overview — the shops with their rule settings (each linking to its
//! settings form, `/admin/shops/{id}`), and the audit log of what admins and supervisors did:
//! names instead of ids, details as readable pairs, filtered by who, what and a date range (a GET
//! form that keeps its values and says what is wrong with a date next to it), paged.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::audit_details::{self, Detail, Names};
use crate::api::ApiQuery;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::UserId;
use crate::rules::review::ReviewTimers;
use crate::rules::timers::PlatformTimers;
use crate::state::AppState;
use crate::web::views::{Choice, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// The admin page's route.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/admin", axum::routing::get(show_admin))
}

const PAGE_SIZE: i64 = 100;

/// The admin page.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub shops: Vec<ShopRow>,
    pub entries: Vec<AuditRow>,
    pub older: Option<String>,
    /// The audit filter as typed, and what is wrong with it.
    pub filter: FilterView,
    pub errors: FormErrors,
}

/// A shop and its settings, readable.
pub struct ShopRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub zone: String,
    pub window: i32,
    pub follow_up: i32,
    /// Whether the platform timers and review clocks are the platform's defaults, in words.
    pub timers: &'static str,
}

/// One audit entry, readable.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub shop: String,
    pub subject: String,
    pub details: Vec<Detail>,
}

/// The filter form: its choices and the dates as typed.
pub struct FilterView {
    pub users: Vec<Choice>,
    pub actions: Vec<Choice>,
    pub from: String,
    pub to: String,
    /// Whether any filter is in use (the form offers to clear it).
    pub active: bool,
}

/// Query: the audit log's filter and paging (every value as typed; checked here).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdminQuery {
    before: Option<i64>,
    user: String,
    action: String,
    from: String,
    to: String,
}

/// A local date typed into the filter: empty, or a day in `edge::YEARS`.
fn parse_date(field: &'static str, text: &str) -> Result<Option<NaiveDate>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| crate::edge::YEARS.contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                field,
                if field == "from" {
                    "admin_pages.error.from_date"
                } else {
                    "admin_pages.error.to_date"
                },
            )
        })
}

/// The start of a local day in `t`'s zone.
fn start_of(t: Tr, day: NaiveDate) -> Option<DateTime<Utc>> {
    t.zone
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

/// The filter the query asks for, and what is wrong with it (a wrong part is left out).
fn read_filter(t: Tr, query: &AdminQuery) -> (crate::audit::Filter, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut filter = crate::audit::Filter::default();
    if !query.user.is_empty() {
        match query.user.parse::<i64>() {
            Ok(id) => filter.actor = Some(UserId(id)),
            Err(_) => errors.push(FieldError::new("user", "admin_pages.error.user")),
        }
    }
    if !query.action.is_empty() {
        if crate::audit::action::ALL.contains(&query.action.as_str()) {
            filter.action = Some(query.action.clone());
        } else {
            errors.push(FieldError::new("action", "admin_pages.error.action"));
        }
    }
    let from = parse_date("from", &query.from).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let to = parse_date("to", &query.to).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("to", "admin_pages.error.date_order"));
        return (filter, errors);
    }
    filter.from = from.and_then(|d| start_of(t, d));
    filter.until = to
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .and_then(|d| start_of(t, d));
    (filter, errors)
}

/// The link to the next older page, keeping the filter (only its checked values).
fn older_link(query: &AdminQuery, filter: &crate::audit::Filter, last: i64) -> String {
    let mut link = format!("/admin?before={last}");
    if let Some(actor) = filter.actor {
        link.push_str(&format!("&user={actor}"));
    }
    if let Some(action) = &filter.action {
        link.push_str(&format!("&action={action}"));
    }
    if filter.from.is_some() {
        link.push_str(&format!("&from={}", query.from.trim()));
    }
    if filter.until.is_some() {
        link.push_str(&format!("&to={}", query.to.trim()));
    }
    link.push_str("#audit");
    link
}

/// Whether the shop keeps the platform's default timers and review clocks, in words.
fn timers_text(t: Tr, shop: &crate::shops::Shop) -> &'static str {
    if shop.platform_timers.0 == PlatformTimers::default() && shop.review_timers.0 == ReviewTimers::default() {
        t.t("admin_pages.timers_default")
    } else {
        t.t("admin_pages.timers_custom")
    }
}

/// Shows the page (admins). A wrong filter value answers 422, with the reason next to it and
/// the log filtered by the rest.
pub async fn show_admin(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    ApiQuery(query): ApiQuery<AdminQuery>,
) -> PageResult {
    user.require(Action::ReadAudit)?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let users = crate::users::list(&state.pool).await?;
    let (filter, refused) = read_filter(t, &query);
    let entries = crate::audit::search(&state.pool, &filter, query.before, PAGE_SIZE).await?;
    let older = (entries.len() as i64 == PAGE_SIZE && refused.is_empty())
        .then(|| entries.last().map(|e| older_link(&query, &filter, e.id)))
        .flatten();
    let names = Names {
        users: users.iter().map(|u| (u.id.0, u.display_name.clone())).collect(),
        shops: shops.iter().map(|s| (s.id.0, s.name.clone())).collect(),
    };
    let mut errors = FormErrors::none();
    for error in &refused {
        errors.add(t, error);
    }
    let page = AdminPage {
        layout: Layout::new(&state, t, &user, "admin", "/admin"),
        shops: shops
            .iter()
            .map(|s| ShopRow {
                id: s.id.0,
                code: s.code.clone(),
                name: s.name.clone(),
                zone: s.time_zone.clone(),
                window: s.return_window_days,
                follow_up: s.follow_up_hours,
                timers: timers_text(t, s),
            })
            .collect(),
        entries: entries
            .iter()
            .map(|e| AuditRow {
                at: t.datetime(&e.at),
                actor: e
                    .actor_name
                    .clone()
                    .or_else(|| e.actor.clone())
                    .unwrap_or_else(|| t.t("timeline.system").to_string()),
                action: audit_label(t, &e.action),
                shop: e
                    .shop_id
                    .and_then(|id| names.shops.get(&id.0).cloned())
                    .unwrap_or_default(),
                subject: e.subject.clone(),
                details: audit_details::describe(t, &e.details, &names),
            })
            .collect(),
        older,
        filter: FilterView {
            users: users
                .iter()
                .map(|u| {
                    Choice::new(
                        u.id.to_string(),
                        format!("{} ({})", u.display_name, u.login),
                        filter.actor == Some(u.id),
                    )
                })
                .collect(),
            actions: crate::audit::action::ALL
                .iter()
                .map(|a| Choice::new(*a, audit_label(t, a), filter.action.as_deref() == Some(*a)))
                .collect(),
            from: query.from.clone(),
            to: query.to.clone(),
            active: !(query.user.is_empty() && query.action.is_empty() && query.from.is_empty() && query.to.is_empty()),
        },
        errors,
    };
    let status = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

fn audit_label(t: Tr, action: &str) -> String {
    let key = format!("audit.{action}");
    if crate::i18n::has(&key) {
        t.t(&key).to_string()
    } else {
        action.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn query(from: &str, to: &str) -> AdminQuery {
        AdminQuery {
            from: from.into(),
            to: to.into(),
            ..AdminQuery::default()
        }
    }

    #[test]
    fn a_date_range_covers_whole_local_days() {
        let t = Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai);
        let (filter, errors) = read_filter(t, &query("2026-06-01", "2026-06-01"));
        assert!(errors.is_empty());
        assert_eq!(
            filter.from.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-05-31T16:00:00+00:00")
        );
        assert_eq!(
            filter.until.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-06-01T16:00:00+00:00")
        );
    }

    #[test]
    fn wrong_dates_are_named_by_their_field() {
        let t = Tr::new(Lang::En, chrono_tz::Asia::Shanghai);
        let (_, errors) = read_filter(t, &query("2026-13-01", "x"));
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["from", "to"]);
        let (filter, errors) = read_filter(t, &query("2026-06-02", "2026-06-01"));
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["to"]);
        assert!(filter.from.is_none() && filter.until.is_none());
    }
}
