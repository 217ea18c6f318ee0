//! `/`: the agent's queue — open tickets by follow-up due time, with filters and search.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::views::TicketRow;
use crate::api::ApiQuery;
use crate::auth::Role;
use crate::auth::permissions::Action;
use crate::db::batch::Batch;
use crate::i18n::Message;
use crate::ids::{ShopId, TicketId};
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::tickets::Ticket;
use crate::tickets::repo::{self, Filter};
use crate::web::views::{Choice, Layout};
use crate::web::{Page, PageError, PageResult, render};

const PAGE_SIZE: i64 = 50;

/// The queue page.
#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    /// Which changes refresh the list live: `mine` (those coming to or leaving this person) or
    /// `shop` (any in the shops).
    pub live_scope: &'static str,
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
    /// The user may take tickets: unassigned rows offer "assign to me".
    pub can_take: bool,
    /// This page's address, where the rows' assign-to-me forms come back to.
    pub here: String,
    /// The tag filter and the bulk tag bar (`tags::page`, `_queue_tags.html`).
    pub tagging: crate::tags::page::QueueTagging,
    /// The saved views (`saved_views::page`, `_saved_views.html`).
    pub saved: crate::saved_views::page::SavedViewsNav,
    /// The orders the queue offers (`sort=`): by first deadline (default) or newest first.
    pub sorts: Vec<Choice>,
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
    /// A tag's id: only tickets carrying it.
    tag: Option<String>,
    /// `<due rfc3339>_<id>` of the last row of the previous page.
    after: Option<String>,
    /// `due` (default: first deadline first) or `newest` (newest opened first).
    sort: Option<String>,
    /// With `sort=newest`: the id of the last row of the previous page.
    before: Option<String>,
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

/// A ticket's place in the queue's order: its first deadline (the latest instant standing for
/// "none", which sorts last like the queue's `infinity`) and its id. Written `<due rfc3339>_<id>`
/// in links: the queue's `after=` (next page) and `from=` (the row the agent opened, carried on
/// to `n`, so that "next" follows the order as the agent saw it even after the ticket's own
/// deadline has moved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePosition {
    /// The first deadline as the queue sorted it.
    pub due: DateTime<Utc>,
    /// The ticket, breaking ties.
    pub id: TicketId,
}

impl QueuePosition {
    /// Where `ticket` stands in the queue now.
    pub fn of(ticket: &Ticket) -> QueuePosition {
        QueuePosition {
            due: ticket.queue_due_at.unwrap_or(NO_DEADLINE),
            id: ticket.id,
        }
    }

    /// Reads the link's form `<due rfc3339>_<id>`; anything else is no position.
    pub fn parse(text: &str) -> Option<QueuePosition> {
        let (due, id) = text.rsplit_once('_')?;
        Some(QueuePosition {
            due: DateTime::parse_from_rfc3339(due).ok()?.with_timezone(&Utc),
            id: id.parse().ok()?,
        })
    }

    /// The link's form, URL-encoded for a query string.
    pub fn to_query(self) -> String {
        let due = if self.due == NO_DEADLINE {
            "9999-12-31T00:00:00Z".to_string()
        } else {
            self.due.to_rfc3339()
        };
        crate::web::urlencode(&format!("{due}_{}", self.id))
    }

    /// The keyset the queue's query continues after.
    pub fn keyset(self) -> (DateTime<Utc>, TicketId) {
        (self.due, self.id)
    }
}

/// Stands for "no deadline" in a position: later than any instant the queue holds.
const NO_DEADLINE: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// Where each role's work is: the page `/` leads to when no queue view was asked for (signing in
/// goes to `/` unless another page was asked for). Agents work their queue, which is `/`
/// itself; the others reach it from the menu ("My queue", `/?view=mine`).
pub fn landing(role: Role) -> Option<&'static str> {
    match role {
        Role::Agent => None,
        Role::Supervisor => Some("/follow-ups"),
        Role::Owner => Some("/reports"),
        Role::Admin => Some("/admin"),
    }
}

/// Shows the queue; `/` without a view sends a supervisor, owner or admin to their [`landing`].
pub async fn show_queue(
    State(state): State<AppState>,
    Page { user, t, path, .. }: Page,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> PageResult {
    if query.view.is_none()
        && let Some(page) = landing(user.role)
    {
        return Ok(Redirect::to(page).into_response());
    }
    let page = queue_page(&state, &user, t, path, query).await?;
    Ok(render(&page)?.into_response())
}

/// The queue page for `query`, at `path` (also where a refused bulk action or saved view shows
/// the queue again).
pub async fn queue_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    t: crate::i18n::Tr,
    path: String,
    query: QueueQuery,
) -> PageResult<QueuePage> {
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
    let tag = query.tag.as_deref().and_then(|tag| tag.trim().parse::<i64>().ok());
    let after = match query.after.as_deref() {
        Some(a) => Some(QueuePosition::parse(a).map(QueuePosition::keyset).ok_or_else(|| {
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
        tag,
    };
    let newest = query.sort.as_deref() == Some("newest");
    // One connection for the page's reads (see the ticket page's).
    let mut db = state.pages.acquire().await?;
    let db = &mut *db;
    let tickets = if newest {
        let before = match query.before.as_deref() {
            Some(id) => Some(id.parse::<TicketId>().map_err(|_| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    Message::new("form.bad_page_link"),
                )
            })?),
            None => None,
        };
        repo::list_recent(&mut *db, &user.shops, &filter, now, before, PAGE_SIZE + 1).await?
    } else {
        repo::list_by_due(db, &user.shops, &filter, now, after, PAGE_SIZE + 1).await?
    };
    let more = tickets.len() as i64 > PAGE_SIZE;
    let shown = &tickets[..tickets.len().min(PAGE_SIZE as usize)];
    let mut rows: Vec<TicketRow> = shown.iter().map(|ticket| TicketRow::new(t, ticket, now)).collect();
    let ids: Vec<TicketId> = shown.iter().map(|ticket| ticket.id).collect();
    // What the page reads besides its list goes as one statement ([`Batch`]): who has the rows'
    // tickets open, their tags, the counts per kind (which follow the status filter as the list
    // does), the tag bar's tags and the saved views.
    let keys: Vec<(ShopId, TicketId)> = shown.iter().map(|ticket| (ticket.shop_id, ticket.id)).collect();
    let mut batch = Batch::new();
    let viewers = batch.add(crate::live::presence::viewing(&user.shops, &ids, user.id, now));
    let tags = batch.add(crate::tags::on_tickets(&keys));
    let counts = repo::open_counts(&user.shops, assignee, unassigned, status).map(|read| batch.add(read));
    let tagging = crate::tags::page::QueueTagging::ask(&mut batch, user);
    let saved = batch.add(crate::saved_views::seen_by(user));
    let answers = batch.run(&mut *db).await?;
    let viewers = crate::live::presence::by_ticket(answers.rows(viewers)?);
    super::views::show_watchers(t, &mut rows, &viewers);
    crate::tags::page::chips_on_rows(&crate::tags::by_ticket(answers.rows(tags)?), &mut rows);
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let counts = match counts {
        Some(part) => answers.rows(part)?,
        None => Vec::new(),
    };
    let total_open: i64 = counts.iter().map(|c| c.count).sum();
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
        let count = counts.iter().find(|c| c.kind == k).map(|c| c.count).unwrap_or(0);
        chips.push(Chip {
            label: k.label(lang).to_string(),
            count,
            href: link(Some(k.as_str())),
            active: kind == Some(k),
        });
    }
    let next_page = if more {
        shown.last().map(|last| {
            let mut href = if newest {
                format!("/?view={}&sort=newest&before={}", view.as_str(), last.id)
            } else {
                format!("/?view={}&after={}", view.as_str(), QueuePosition::of(last).to_query())
            };
            if let Some(k) = kind {
                href.push_str(&format!("&kind={}", k.as_str()));
            }
            if let Some(s) = status {
                href.push_str(&format!("&status={}", s.as_str()));
            }
            if !q.is_empty() {
                href.push_str(&format!("&q={}", crate::web::urlencode(&q)));
            }
            if let Some(tag) = tag {
                href.push_str(&format!("&tag={tag}"));
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
    let tagging = crate::tags::page::QueueTagging::build(tagging, &answers, user, t, tag, path.clone())?;
    let saved = crate::saved_views::page::SavedViewsNav::of(
        answers.rows(saved)?,
        user,
        path.split_once('?').map(|(_, query)| query).unwrap_or(""),
    );
    let sorts = vec![
        Choice::new("", t.t("views.sort_due"), !newest),
        Choice::new("newest", t.t("views.sort_newest"), newest),
    ];
    Ok(QueuePage {
        live_scope: if view == QueueView::Mine { "mine" } else { "shop" },
        sorts,
        tagging,
        saved,
        can_take: user.may(Action::WorkTickets),
        here: path.clone(),
        layout: Layout::new(state, t, user, "queue", path),
        title,
        open_label: t.f("queue.open_count", &[("n", &total_open)]),
        overdue_label: t.f("queue.overdue_count", &[("n", &overdue)]),
        showing_label: t.f(
            if newest {
                "views.showing_newest"
            } else {
                "queue.showing"
            },
            &[("n", &rows.len())],
        ),
        rows,
        overdue,
        chips,
        views,
        kinds,
        statuses,
        q,
        next_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_from_its_link_form() {
        let position = QueuePosition {
            due: DateTime::parse_from_rfc3339("2026-06-15T02:00:00Z")
                .expect("instant")
                .to_utc(),
            id: TicketId(42),
        };
        let link = position.to_query();
        assert_eq!(link, "2026-06-15T02%3A00%3A00%2B00%3A00_42");
        let decoded = link.replace("%3A", ":").replace("%2B", "+");
        assert_eq!(QueuePosition::parse(&decoded), Some(position));
    }

    #[test]
    fn a_position_without_a_deadline_is_written_as_the_far_future_and_text_is_no_position() {
        let none = QueuePosition {
            due: NO_DEADLINE,
            id: TicketId(7),
        };
        assert_eq!(none.to_query(), "9999-12-31T00%3A00%3A00Z_7");
        assert_eq!(QueuePosition::parse("yesterday_7"), None);
        assert_eq!(QueuePosition::parse("2026-06-15T02:00:00Z"), None);
        assert_eq!(QueuePosition::parse("2026-06-15T02:00:00Z_x"), None);
    }
}
