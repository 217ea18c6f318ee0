//! `/notifications`: a person's notices, newest first; opening one marks it read and goes to
//! its ticket. Beside them, which kinds the person wants (`/notifications/settings`). `/notifications/badge`: the unread count in the header (fetched by the page after
//! it loads).

use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{Html, IntoResponse, Redirect};
use serde::Deserialize;

use super::Kind;
use crate::error::ApiError;
use crate::ids::ShopId;
use crate::rules::workflow::Status;
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{Page, PageResult, render};

/// The pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/notifications", get(show))
        .route("/notifications/badge", get(badge))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/settings", post(save_settings))
        .route("/notifications/{shop}/{id}", post(open))
}

/// The list.
#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NoticesPage {
    pub layout: Layout,
    pub notices: Vec<NoticeLine>,
    pub unread: usize,
    /// One box per kind of notice, ticked when wanted.
    pub settings: Vec<Choice>,
}

/// One notice, in the reader's words.
pub struct NoticeLine {
    pub open_href: String,
    pub text: String,
    pub note: String,
    pub when: String,
    pub status: &'static str,
    pub unread: bool,
}

/// Shows the notices (anyone signed in).
pub async fn show(State(state): State<AppState>, page: Page, Query(query): Query<ShowQuery>) -> PageResult {
    let t = page.t;
    let muted = super::muted(&state.pool, page.user.id).await?;
    let settings = Kind::ALL
        .into_iter()
        .map(|k| Choice::new(k.as_str(), t.t(&k.setting_key()), !muted.contains(&k)))
        .collect();
    let notices = super::recent(&state.pool, page.user.id, &page.user.shops, 200).await?;
    let lines: Vec<NoticeLine> = notices
        .iter()
        .map(|n| {
            let kind = Kind::parse(&n.kind);
            let ticket = n
                .ticket_id
                .map(|id| format!("#{id} {}", n.buyer.as_deref().unwrap_or("")))
                .unwrap_or_default();
            let who = n.actor.clone().unwrap_or_else(|| t.t("timeline.system").to_string());
            NoticeLine {
                open_href: format!("/notifications/{}/{}", n.shop_id, n.id),
                text: kind.map_or_else(
                    || n.kind.clone(),
                    |k| t.f(k.text_key(), &[("ticket", &ticket), ("who", &who)]),
                ),
                note: n.note.clone(),
                when: t.datetime(&n.created_at),
                status: n
                    .status
                    .as_deref()
                    .and_then(Status::parse)
                    .map_or("", |s| s.label(t.lang)),
                unread: n.read_at.is_none(),
            }
        })
        .collect();
    let mut layout = Layout::new(&state, t, &page.user, "notifications", "/notifications");
    if query.saved.is_some() {
        layout.flash = Some(Flash {
            ok: true,
            text: t.t("notice.settings_saved").to_string(),
        });
    }
    let view = NoticesPage {
        settings,
        layout,
        unread: lines.iter().filter(|l| l.unread).count(),
        notices: lines,
    };
    Ok(render(&view)?.into_response())
}

/// `?saved=1` after the settings were saved.
#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

/// Saves which kinds of notice the person wants: a ticked `kind` box is wanted, every other
/// kind is turned off. Kinds the desk does not know are ignored.
pub async fn save_settings(State(state): State<AppState>, page: Page, RawForm(body): RawForm) -> PageResult {
    let wanted: Vec<Kind> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name == "kind")
        .filter_map(|(_, value)| Kind::parse(&value))
        .collect();
    let off: Vec<Kind> = Kind::ALL.into_iter().filter(|k| !wanted.contains(k)).collect();
    super::set_muted(&state.pool, page.user.id, &off).await?;
    Ok(Redirect::to("/notifications?saved=1").into_response())
}

/// The header's badge: the unread count, or nothing.
pub async fn badge(State(state): State<AppState>, page: Page) -> PageResult {
    let n = super::unread_count(&state.pool, page.user.id).await?;
    let label = page.t.t("notice.nav");
    let html = if n > 0 {
        format!("{label} <span class=\"badge badge-overdue\" id=\"notice-count\">{n}</span>")
    } else {
        label.to_string()
    };
    Ok(Html(html).into_response())
}

/// Opens a notice: marked read, then its ticket (the daily digest: the follow-up queue).
pub async fn open(State(state): State<AppState>, page: Page, Path((shop, id)): Path<(ShopId, i64)>) -> PageResult {
    let ticket = super::open(&state.pool, page.user.id, shop, id, state.now())
        .await?
        .ok_or_else(|| ApiError::not_found("notification"))?;
    Ok(match ticket {
        Some(ticket) => Redirect::to(&format!("/tickets/{ticket}")),
        None => Redirect::to("/follow-ups"),
    }
    .into_response())
}

/// Marks every notice read.
pub async fn read_all(State(state): State<AppState>, page: Page) -> PageResult {
    super::read_all(&state.pool, page.user.id, state.now()).await?;
    Ok(Redirect::to("/notifications").into_response())
}
