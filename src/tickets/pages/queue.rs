//! `/`: the agent's queue — open tickets by follow-up due time, with filters and search.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::views::TicketRow;
use crate::api::ApiQuery;
use crate::i18n::Message;
use crate::ids::TicketId;
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::tickets::repo::{self, Filter};
use crate::web::views::{Choice, Layout};
use crate::web::{Page, PageError, PageResult, render_page};

const PAGE_SIZE: i64 = 50;

/// The queue page.
#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub title: &'static str,
    pub rows: Vec<TicketRow>,
    pub open_label: String,
    pub overdue: usize,
    pub overdue_label: String,
    pub showing_label: String,
    pub chips: Vec<Chip>,
    pub views: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub q: String,
    pub next_page: Option<String>,
}

/// A filter chip with its count.
pub struct Chip {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub active: bool,
}

/// Query of the queue page.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    /// `mine` (default), `unassigned` or `all`.
    view: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    q: Option<String>,
    /// `<due rfc3339>_<id>` of the last row of the previous page.
    after: Option<String>,
}

/// Whose tickets the queue shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QueueView {
    /// The user's own (the default).
    Mine,
    /// The shared queue: nobody's yet.
    Unassigned,
    /// Everyone's.
    All,
}

impl QueueView {
    /// The views in the order the page offers them.
    const ALL: [QueueView; 3] = [QueueView::Mine, QueueView::Unassigned, QueueView::All];

    /// The form in the page's query (`view=`).
    fn as_str(self) -> &'static str {
        match self {
            QueueView::Mine => "mine",
            QueueView::Unassigned => "unassigned",
            QueueView::All => "all",
        }
    }

    /// Reads the query's form; anything else is no view.
    fn parse(text: &str) -> Option<QueueView> {
        QueueView::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The catalogue key of its name in the view switch.
    fn label_key(self) -> &'static str {
        match self {
            QueueView::Mine => "queue.view_mine",
            QueueView::Unassigned => "queue.view_unassigned",
            QueueView::All => "queue.view_all",
        }
    }

    /// The catalogue key of the page title.
    fn title_key(self) -> &'static str {
        match self {
            QueueView::Mine => "queue.title_mine",
            QueueView::Unassigned => "queue.title_unassigned",
            QueueView::All => "queue.title_all",
        }
    }
}

fn parse_after(after: &str) -> Option<(DateTime<Utc>, TicketId)> {
    let (due, id) = after.rsplit_once('_')?;
    Some((
        DateTime::parse_from_rfc3339(due).ok()?.with_timezone(&Utc),
        id.parse().ok()?,
    ))
}

/// Shows the queue.
pub async fn show_queue(
    State(state): State<AppState>,
    Page { user, t, path, .. }: Page,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> PageResult<Html<String>> {
    let lang = t.lang;
    let now = state.now();
    let view = query
        .view
        .as_deref()
        .and_then(QueueView::parse)
        .unwrap_or(QueueView::Mine);
    let kind = query
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(TicketKind::parse);
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(Status::parse);
    let q = query.q.as_deref().map(str::trim).unwrap_or("").to_string();
    let after = match query.after.as_deref() {
        Some(a) => Some(parse_after(a).ok_or_else(|| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                Message::new("form.bad_page_link"),
            )
        })?),
        None => None,
    };
    let (assignee, unassigned) = match view {
        QueueView::Unassigned => (None, true),
        QueueView::All => (None, false),
        QueueView::Mine => (Some(user.id), false),
    };
    let filter = Filter {
        kind,
        status,
        assignee,
        unassigned,
        overdue: None,
        query: (!q.is_empty()).then(|| q.clone()),
        open_only: true,
    };
    let tickets = repo::list_by_due(&state.pool, &user.shops, &filter, now, after, PAGE_SIZE + 1).await?;
    let more = tickets.len() as i64 > PAGE_SIZE;
    let shown = &tickets[..tickets.len().min(PAGE_SIZE as usize)];
    let rows: Vec<TicketRow> = shown.iter().map(|ticket| TicketRow::new(t, ticket, now)).collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();

    let counts = repo::open_counts_by_kind(&state.pool, &user.shops, assignee, unassigned).await?;
    let total_open: i64 = counts.iter().map(|(_, n)| n).sum();
    let link = |kind: Option<&str>| {
        let mut href = format!("/?view={}", view.as_str());
        if let Some(kind) = kind {
            href.push_str("&kind=");
            href.push_str(kind);
        }
        href
    };
    let mut chips = vec![Chip {
        label: t.t("queue.all_kinds").to_string(),
        count: total_open,
        href: link(None),
        active: kind.is_none(),
    }];
    for k in TicketKind::ALL {
        let count = counts
            .iter()
            .find(|(counted, _)| *counted == k)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        chips.push(Chip {
            label: k.label(lang).to_string(),
            count,
            href: link(Some(k.as_str())),
            active: kind == Some(k),
        });
    }
    let next_page = if more {
        shown.last().map(|last| {
            let due = last
                .queue_due_at
                .map(|d| d.to_rfc3339())
                .unwrap_or_else(|| "9999-12-31T00:00:00Z".into());
            let mut href = format!(
                "/?view={}&after={}",
                view.as_str(),
                crate::web::urlencode(&format!("{due}_{}", last.id))
            );
            if let Some(k) = kind {
                href.push_str(&format!("&kind={}", k.as_str()));
            }
            if let Some(s) = status {
                href.push_str(&format!("&status={}", s.as_str()));
            }
            if !q.is_empty() {
                href.push_str(&format!("&q={}", crate::web::urlencode(&q)));
            }
            href
        })
    } else {
        None
    };

    let mut statuses = vec![Choice::new("", t.t("queue.any_status"), status.is_none())];
    statuses.extend(
        Status::ALL
            .iter()
            .filter(|s| !s.is_closed())
            .map(|s| Choice::new(s.as_str(), s.label(lang), status == Some(*s))),
    );
    let mut kinds = vec![Choice::new("", t.t("queue.all_kinds"), kind.is_none())];
    kinds.extend(
        TicketKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(lang), kind == Some(*k))),
    );
    let views = QueueView::ALL
        .into_iter()
        .map(|v| Choice::new(v.as_str(), t.t(v.label_key()), v == view))
        .collect();
    let title = t.t(view.title_key());
    let page = QueuePage {
        layout: Layout::new(&state, t, &user, "queue", path),
        title,
        open_label: t.f("queue.open_count", &[("n", &total_open)]),
        overdue_label: t.f("queue.overdue_count", &[("n", &overdue)]),
        showing_label: t.f("queue.showing", &[("n", &rows.len())]),
        rows,
        overdue,
        chips,
        views,
        kinds,
        statuses,
        q,
        next_page,
    };
    render_page(&page)
}
