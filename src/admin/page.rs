//! `/admin`: the admin's overview — the shops with their rule settings, and the audit log of
//! what admins and supervisors did.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::ApiQuery;
use crate::auth::permissions::Action;
use crate::state::AppState;
use crate::web::views::Layout;
use crate::web::{Page, PageResult, render};

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
}

/// A shop and its settings.
pub struct ShopRow {
    pub code: String,
    pub name: String,
    pub zone: String,
    pub window: i32,
    pub follow_up: i32,
    pub timers: String,
}

/// One audit entry.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: String,
}

/// Query: paging of the audit log.
#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    before: Option<i64>,
}

/// Shows the page (admins).
pub async fn show_admin(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    ApiQuery(query): ApiQuery<AdminQuery>,
) -> PageResult {
    user.require(Action::ReadAudit)?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let entries = crate::audit::recent(&state.pool, query.before, PAGE_SIZE).await?;
    let older = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| format!("/admin?before={}", e.id)))
        .flatten();
    let page = AdminPage {
        layout: Layout::new(&state, t, &user, "admin", "/admin"),
        shops: shops
            .iter()
            .map(|s| ShopRow {
                code: s.code.clone(),
                name: s.name.clone(),
                zone: s.time_zone.clone(),
                window: s.return_window_days,
                follow_up: s.follow_up_hours,
                timers: serde_json::to_string(&s.platform_timers.0).unwrap_or_default(),
            })
            .collect(),
        entries: entries
            .iter()
            .map(|e| AuditRow {
                at: t.datetime(&e.at),
                actor: e.actor.clone().unwrap_or_else(|| t.t("timeline.system").to_string()),
                action: audit_label(t, &e.action),
                subject: e.subject.clone(),
                details: e.details.to_string(),
            })
            .collect(),
        older,
    };
    Ok(render(&page)?.into_response())
}

fn audit_label(t: crate::i18n::Tr, action: &str) -> String {
    let key = format!("audit.{action}");
    if crate::i18n::has(&key) {
        t.t(&key).to_string()
    } else {
        action.to_string()
    }
}
