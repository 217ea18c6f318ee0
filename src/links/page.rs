//! The links card of the ticket page (`templates/_ticket_links.html`): the tickets linked to
//! this one, merged into it or it was merged into, and the forms to link, unlink and merge.
//! Each form posts here and is answered as every ticket action is (`tickets::pages::ticket::
//! answer`): the refreshed ticket for htmx, a redirect for a plain post, a refusal next to its
//! field with what was typed kept.

use axum::extract::{Path, State};
use serde::Deserialize;
use sqlx::PgPool;

use super::{LinkError, NewMerge};
use crate::api::ApiForm;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::{Answers, Batch, Part};
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::state::AppState;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::{Draft, answer};
use crate::tickets::repo::Neighbour;
use crate::tickets::{Ticket, repo};
use crate::web::views::Choice;
use crate::web::{Page, PageResult};

/// Another ticket as the card lists it.
pub struct LinkedRow {
    pub id: i64,
    /// Kind and status, as a person reads them.
    pub what: String,
    pub closed: bool,
}

/// The links card.
pub struct LinksBox {
    pub linked: Vec<LinkedRow>,
    /// Tickets merged into this one.
    pub merged_from: Vec<i64>,
    /// The ticket this one was merged into.
    pub merged_into: Option<i64>,
    /// The order's other tickets not linked yet (the link form's choices).
    pub link_choices: Vec<Choice>,
    /// The order's other open tickets (the merge form's choices).
    pub merge_choices: Vec<Choice>,
    pub can_link: bool,
    /// The user may merge, and this ticket is open.
    pub can_merge: bool,
    /// The merge's note as typed (kept when refused).
    pub merge_note: String,
}

/// What was typed into the links and tags forms, shown again when refused.
#[derive(Clone, Debug, Default)]
pub struct LinksDraft {
    pub link_to: String,
    pub merge_into: String,
    pub merge_note: String,
    pub tag: String,
}

fn what(t: Tr, ticket: &Neighbour) -> String {
    format!("{} · {}", ticket.kind.label(t.lang), ticket.status.label(t.lang))
}

/// Where the card's reads are in the ticket page's batch.
pub struct LinksAsked {
    linked: Part<Neighbour>,
    merged_from: Part<Neighbour>,
    of_order: Part<Neighbour>,
}

impl LinksBox {
    /// What the card reads, added to the ticket page's `batch`.
    pub fn ask(batch: &mut Batch, ticket: &Ticket) -> LinksAsked {
        LinksAsked {
            linked: batch.add(super::linked_neighbours(ticket.shop_id, ticket.id)),
            merged_from: batch.add(repo::merged_from(ticket.shop_id, ticket.id)),
            of_order: batch.add(repo::neighbours_by_order(ticket.shop_id, ticket.order_id)),
        }
    }

    /// The card for `ticket` as `user` sees it, from what [`LinksBox::ask`] read.
    pub fn build(
        asked: LinksAsked,
        answers: &Answers,
        user: &CurrentUser,
        t: Tr,
        ticket: &Ticket,
    ) -> sqlx::Result<LinksBox> {
        let linked = answers.rows(asked.linked)?;
        let merged_from = answers.rows(asked.merged_from)?;
        let order = answers.rows(asked.of_order)?;
        let others: Vec<&Neighbour> = order.iter().filter(|o| o.id != ticket.id).collect();
        let link_choices = others
            .iter()
            .filter(|o| !linked.iter().any(|l| l.id == o.id))
            .map(|o| Choice::new(o.id.to_string(), format!("#{} {}", o.id, what(t, o)), false))
            .collect();
        let merge_choices = others
            .iter()
            .filter(|o| !o.closed)
            .map(|o| Choice::new(o.id.to_string(), format!("#{} {}", o.id, what(t, o)), false))
            .collect();
        Ok(LinksBox {
            linked: linked
                .iter()
                .map(|l| LinkedRow {
                    id: l.id.0,
                    what: what(t, l),
                    closed: l.closed,
                })
                .collect(),
            merged_from: merged_from.into_iter().map(|m| m.id.0).collect(),
            merged_into: ticket.merged_into.map(|id| id.0),
            link_choices,
            merge_choices,
            can_link: user.may(Action::WorkTickets),
            can_merge: user.may(Action::MergeTickets) && ticket.closed_at.is_none(),
            merge_note: String::new(),
        })
    }

    /// Shows what was typed again after a refusal.
    pub fn keep(&mut self, draft: &LinksDraft) {
        for choice in &mut self.link_choices {
            choice.selected = choice.value == draft.link_to;
        }
        for choice in &mut self.merge_choices {
            choice.selected = choice.value == draft.merge_into;
        }
        self.merge_note = draft.merge_note.clone();
    }
}

impl From<LinkError> for Refusal {
    /// A refusal of the rules next to the field naming the other ticket; the rest as any
    /// ticket action's.
    fn from(error: LinkError) -> Refusal {
        match error {
            LinkError::Refused { .. } => match error.field() {
                Some(field) => Refusal::Field(field),
                None => Refusal::Page(crate::web::PageError::not_found()),
            },
            LinkError::Ticket(error) => Refusal::from(error),
        }
    }
}

/// Reads the other ticket's number from a form's field.
fn other_ticket(field: &'static str, value: &str) -> Result<TicketId, Refusal> {
    value
        .trim()
        .trim_start_matches('#')
        .parse::<TicketId>()
        .map_err(|_| Refusal::Field(FieldError::new(field, "links.error.pick_ticket")))
}

/// The link form.
#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    link_to: String,
}

/// Links this ticket with another of its order.
pub async fn link_ticket(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<LinkForm>,
) -> PageResult {
    let draft = Draft {
        links: LinksDraft {
            link_to: form.link_to.clone(),
            ..LinksDraft::default()
        },
        ..Draft::default()
    };
    let result = match other_ticket("link_to", &form.link_to) {
        Ok(other) => super::link(&state.pool, &page.user, id, other, state.now())
            .await
            .map_err(Refusal::from),
        Err(refusal) => Err(refusal),
    };
    answer(&state, &page, id, result, "links.flash.linked", draft).await
}

/// Removes the link with `other`.
pub async fn unlink_ticket(
    State(state): State<AppState>,
    page: Page,
    Path((id, other)): Path<(TicketId, TicketId)>,
) -> PageResult {
    let result = super::unlink(&state.pool, &page.user, id, other, state.now())
        .await
        .map_err(Refusal::from);
    answer(&state, &page, id, result, "links.flash.unlinked", Draft::default()).await
}

/// The merge form.
#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    merge_into: String,
    #[serde(default)]
    merge_note: String,
    version: Option<i32>,
}

/// Merges this ticket into another open ticket of its order.
pub async fn merge_ticket(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<MergeForm>,
) -> PageResult {
    let draft = Draft {
        links: LinksDraft {
            merge_into: form.merge_into.clone(),
            merge_note: form.merge_note.clone(),
            ..LinksDraft::default()
        },
        ..Draft::default()
    };
    let result = match other_ticket("merge_into", &form.merge_into) {
        Ok(into) => super::merge(
            &state.pool,
            &page.user,
            id,
            NewMerge {
                into,
                version: form.version,
                note: Some(form.merge_note),
            },
            state.now(),
        )
        .await
        .map_err(Refusal::from),
        Err(refusal) => Err(refusal),
    };
    answer(&state, &page, id, result, "links.flash.merged", draft).await
}

/// The ticket page's routes of this module.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/tickets/{id}/links", post(link_ticket))
        .route("/tickets/{id}/links/{other}/remove", post(unlink_ticket))
        .route("/tickets/{id}/merge", post(merge_ticket))
}

/// Loads `id` for an answer after a change that is not the ticket's own (tags).
pub async fn reload(pool: &PgPool, user: &CurrentUser, id: TicketId) -> Result<Ticket, Refusal> {
    repo::get(pool, &user.shops, id)
        .await?
        .ok_or_else(|| Refusal::Page(crate::web::PageError::not_found()))
}
