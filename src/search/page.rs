//! `/search`: the page the header's box opens (`/` focuses the box from anywhere). The words
//! and filters are a GET form, so a search is a link to share and the back button returns to
//! it; a mistake is shown next to its field with everything typed kept.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::text::Piece;
use super::{Hit, Params, Viewer};
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::web::error::FormErrors;
use crate::web::views::{Choice, Layout};
use crate::web::{Page, PageResult, render};

/// The page's route.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/search", axum::routing::get(show))
}

/// The page's parameters: the search's, and the shop for people of several.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(flatten)]
    pub search: Params,
    pub shop: Option<String>,
}

/// The search page.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub from: String,
    pub to: String,
    pub shops: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub errors: FormErrors,
    /// Whether a search ran (else the page shows what can be typed).
    pub searched: bool,
    pub best: Vec<HitRow>,
    pub rows: Vec<HitRow>,
    pub buyers: Vec<BuyerRow>,
    pub orders: Vec<OrderRow>,
    /// Product notes and policy articles that hold the words (`knowledge::search`).
    pub knowledge: Vec<KnowledgeRow>,
    pub next_page: Option<String>,
    pub catching_up: bool,
    /// "Nothing found" with what to try, or how many are shown.
    pub summary: String,
}

/// A note or an article found.
pub struct KnowledgeRow {
    pub href: String,
    pub title: String,
    pub about: String,
}

/// A ticket found, as the page shows it.
pub struct HitRow {
    pub id: i64,
    pub kind: &'static str,
    pub kind_class: &'static str,
    pub status: &'static str,
    pub closed: bool,
    pub buyer: String,
    pub order_no: String,
    pub assignee: String,
    pub opened: String,
    /// Where the words were found ("跟进" / "Follow-up"), empty when by its number.
    pub matched_in: String,
    pub pieces: Vec<Piece>,
}

/// A buyer found.
pub struct BuyerRow {
    pub nick: String,
    pub name: String,
    pub phone: String,
    pub tickets: String,
    pub href: Option<String>,
}

/// An order found.
pub struct OrderRow {
    pub order_no: String,
    pub buyer: String,
    pub paid: String,
    pub titles: String,
    pub tickets: String,
    pub href: String,
}

fn row(t: Tr, hit: Hit) -> HitRow {
    let ticket = hit.ticket;
    HitRow {
        id: ticket.id.0,
        kind: ticket.position.kind.label(t.lang),
        kind_class: crate::tickets::pages::views::kind_class(ticket.position.kind),
        status: ticket.position.status.label(t.lang),
        closed: ticket.closed_at.is_some(),
        buyer: ticket.buyer,
        order_no: ticket.order_no,
        assignee: ticket
            .assignee_name
            .unwrap_or_else(|| t.t("ticket.unassigned").to_string()),
        opened: t.datetime(&ticket.opened_at),
        matched_in: hit.source.map(|s| t.t(s.label_key()).to_string()).unwrap_or_default(),
        pieces: hit.pieces,
    }
}

/// Shows the form and, when something was typed, what it found.
pub async fn show(State(state): State<AppState>, page: Page, Query(params): Query<PageParams>) -> PageResult {
    let (user, t) = (&page.user, page.t);
    user.require(Action::ReadTickets)?;
    let shop = user.shop_or_first(
        params
            .shop
            .as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(ShopId),
    )?;
    let p = &params.search;
    let here = |before: Option<i64>| {
        let mut pairs: Vec<(&str, String)> = vec![("q", p.q.clone())];
        for (name, value) in [
            ("kind", &p.kind),
            ("status", &p.status),
            ("from", &p.from),
            ("to", &p.to),
            ("assignee", &p.assignee),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((name, v.to_string()));
            }
        }
        if user.shops.len() > 1 {
            pairs.push(("shop", shop.to_string()));
        }
        if let Some(b) = before {
            pairs.push(("before", b.to_string()));
        }
        format!("/search?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let shops = if user.shops.len() > 1 {
        crate::shops::list(&state.pool, &user.shops)
            .await?
            .into_iter()
            .map(|s| Choice::new(s.id.to_string(), format!("{} ({})", s.name, s.code), s.id == shop))
            .collect()
    } else {
        Vec::new()
    };
    let selected = |v: &Option<String>, value: &str| v.as_deref() == Some(value);
    let mut kinds = vec![Choice::new(
        "",
        t.t("search.any_kind"),
        p.kind.as_deref().unwrap_or("").is_empty(),
    )];
    kinds.extend(
        TicketKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(t.lang), selected(&p.kind, k.as_str()))),
    );
    let mut statuses = vec![
        Choice::new(
            "",
            t.t("search.any_status"),
            p.status.as_deref().unwrap_or("").is_empty(),
        ),
        Choice::new("open", t.t("search.open"), selected(&p.status, "open")),
        Choice::new("closed", t.t("search.closed"), selected(&p.status, "closed")),
    ];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.label(t.lang), selected(&p.status, s.as_str()))),
    );
    let mut assignees = vec![
        Choice::new("", t.t("search.anyone"), p.assignee.as_deref().unwrap_or("").is_empty()),
        Choice::new("none", t.t("ticket.unassigned"), selected(&p.assignee, "none")),
    ];
    assignees.extend(
        crate::shops::ticket_workers(&state.pool, shop)
            .await?
            .into_iter()
            .map(|m| {
                Choice::new(
                    m.id.to_string(),
                    m.display_name,
                    selected(&p.assignee, &m.id.to_string()),
                )
            }),
    );
    let mut view = SearchPage {
        layout: Layout::new(
            &state,
            t,
            user,
            "search",
            here(p.before.as_deref().and_then(|b| b.parse().ok())),
        ),
        q: p.q.clone(),
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        shops,
        kinds,
        statuses,
        assignees,
        errors: FormErrors::none(),
        searched: false,
        best: Vec::new(),
        rows: Vec::new(),
        buyers: Vec::new(),
        orders: Vec::new(),
        knowledge: Vec::new(),
        next_page: None,
        catching_up: false,
        summary: String::new(),
    };
    let has_filters = [&p.kind, &p.status, &p.from, &p.to, &p.assignee]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    if p.is_blank() && !has_filters {
        return Ok(render(&view)?.into_response());
    }
    let request = match p.read() {
        Ok(request) => request,
        Err(errors) => {
            for e in errors {
                view.errors.add(t, &FieldError::new(e.field, e.key));
            }
            // A search is a look, not a change: the form comes back as a page, with the
            // mistakes beside their fields.
            return Ok(render(&view)?.into_response());
        }
    };
    let viewer = Viewer::of(user);
    let found = super::search(&state.pool, &state.search, shop, &request, viewer).await?;
    if !view.q.trim().is_empty() {
        let (notes, articles) = crate::knowledge::search(&state.pool, shop, &view.q, 10).await?;
        view.knowledge = notes
            .into_iter()
            .map(|n| KnowledgeRow {
                href: format!("/knowledge/notes/{}", n.id),
                about: format!(
                    "{} {}",
                    crate::rules::knowledge::Scope::parse(&n.scope).map_or("", |s| t.t(s.label_key())),
                    n.subject
                ),
                title: n.title,
            })
            .chain(articles.into_iter().map(|a| KnowledgeRow {
                href: format!("/knowledge/articles/{}", a.id),
                title: a.title,
                about: a.source,
            }))
            .collect();
    }
    view.searched = true;
    view.catching_up = found.catching_up;
    view.next_page = found.next_before.map(|b| here(Some(b.0)));
    let total = found.best.len() + found.tickets.len();
    view.summary = if total == 0 && found.buyers.is_empty() && found.orders.is_empty() {
        t.t("search.nothing").to_string()
    } else {
        t.f("search.showing", &[("count", &total)])
    };
    view.best = found.best.into_iter().map(|h| row(t, h)).collect();
    view.rows = found.tickets.into_iter().map(|h| row(t, h)).collect();
    view.buyers = found
        .buyers
        .into_iter()
        .map(|b| BuyerRow {
            nick: b.nick,
            name: b.name.unwrap_or_default(),
            phone: b.phone.unwrap_or_default(),
            tickets: t.f("search.ticket_count", &[("count", &b.tickets)]),
            href: b.latest_ticket.map(|id| format!("/tickets/{id}/buyer")),
        })
        .collect();
    view.orders = found
        .orders
        .into_iter()
        .map(|o| OrderRow {
            href: format!(
                "/search?{}",
                serde_urlencoded::to_string(
                    std::iter::once(("q", o.order_no.clone()))
                        .chain((user.shops.len() > 1).then(|| ("shop", shop.to_string())))
                        .collect::<Vec<_>>()
                )
                .unwrap_or_default()
            ),
            order_no: o.order_no,
            buyer: o.buyer,
            paid: o.paid_at.map(|at| t.datetime(&at)).unwrap_or_default(),
            titles: o.titles.unwrap_or_default(),
            tickets: t.f("search.ticket_count", &[("count", &o.tickets)]),
        })
        .collect();
    Ok(render(&view)?.into_response())
}
