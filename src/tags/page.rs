//! Tags on the pages: the ticket page's tags card (`_ticket_tags.html`: add, remove), the
//! queue's tag filter and bulk bar (`_queue_tags.html`, posting to `/tags/bulk`), and the
//! shop's tags page `/settings/tags` (supervisors and admins: name, colour, delete).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Colour, NewTag, Tag, TagError};
use crate::api::{ApiForm, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::{Answers, Batch, Part};
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::{ShopId, TicketId};
use crate::links::page::{LinksDraft, reload};
use crate::state::AppState;
use crate::tickets::Ticket;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::{Draft, answer};
use crate::web::views::{Choice, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The routes of the tags' pages.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/tickets/{id}/tags", post(tag_ticket))
        .route("/tickets/{id}/tags/{tag}/remove", post(untag_ticket))
        .route("/tags/bulk", post(bulk_tags))
        .route("/settings/tags", get(show_tags).post(add_tag))
        .route("/settings/tags/{id}", post(edit_tag))
        .route("/settings/tags/{id}/delete", post(delete_tag))
}

/// A tag as a small coloured label.
#[derive(Clone, Debug)]
pub struct TagChip {
    pub id: i64,
    pub name: String,
    pub colour: &'static str,
}

impl TagChip {
    fn of(tag: &Tag) -> TagChip {
        TagChip {
            id: tag.id,
            name: tag.name.clone(),
            colour: tag.colour.as_str(),
        }
    }
}

/// The tags card of the ticket page.
pub struct TagsBox {
    pub tags: Vec<TagChip>,
    /// The shop's tags not on the ticket (the add form's choices).
    pub choices: Vec<Choice>,
    pub can_tag: bool,
}

/// Where the card's reads are in the ticket page's batch.
pub struct TagsAsked {
    on: Part<super::Tag>,
    all: Part<super::Tag>,
}

impl TagsBox {
    /// What the card reads, added to the ticket page's `batch`.
    pub fn ask(batch: &mut Batch, ticket: &Ticket) -> TagsAsked {
        TagsAsked {
            on: batch.add(super::on_ticket(ticket.shop_id, ticket.id)),
            all: batch.add(super::all_of(ticket.shop_id)),
        }
    }

    /// The card for `ticket` as `user` sees it, from what [`TagsBox::ask`] read.
    pub fn build(asked: TagsAsked, answers: &Answers, user: &CurrentUser) -> sqlx::Result<TagsBox> {
        let on = answers.rows(asked.on)?;
        let all = answers.rows(asked.all)?;
        Ok(TagsBox {
            choices: all
                .iter()
                .filter(|tag| !on.iter().any(|o| o.id == tag.id))
                .map(|tag| Choice::new(tag.id.to_string(), tag.name.clone(), false))
                .collect(),
            tags: on.iter().map(TagChip::of).collect(),
            can_tag: user.may(Action::WorkTickets),
        })
    }

    /// Shows the tag picked again after a refusal.
    pub fn keep(&mut self, draft: &LinksDraft) {
        for choice in &mut self.choices {
            choice.selected = choice.value == draft.tag;
        }
    }
}

fn tag_refusal(error: TagError) -> Refusal {
    match error {
        TagError::Invalid(field) => Refusal::Field(field),
        other => Refusal::from(ApiError::from(other)),
    }
}

/// The add-a-tag form of the ticket page.
#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    tag: String,
}

/// Puts a tag on the ticket.
pub async fn tag_ticket(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<TagForm>,
) -> PageResult {
    let draft = Draft {
        links: LinksDraft {
            tag: form.tag.clone(),
            ..LinksDraft::default()
        },
        ..Draft::default()
    };
    let result = match form.tag.trim().parse::<i64>() {
        Ok(tag) => match super::add(&state.pool, &page.user, id, tag, state.now()).await {
            Ok(()) => reload(&state.pool, &page.user, id).await,
            Err(error) => Err(tag_refusal(error)),
        },
        Err(_) => Err(Refusal::Field(FieldError::new("tag", "tags.error.pick_tag"))),
    };
    answer(&state, &page, id, result, "tags.flash.added", draft).await
}

/// Takes a tag off the ticket.
pub async fn untag_ticket(
    State(state): State<AppState>,
    page: Page,
    Path((id, tag)): Path<(TicketId, i64)>,
) -> PageResult {
    let result = match super::remove(&state.pool, &page.user, id, tag, state.now()).await {
        Ok(()) => reload(&state.pool, &page.user, id).await,
        Err(error) => Err(tag_refusal(error)),
    };
    answer(&state, &page, id, result, "tags.flash.removed", Draft::default()).await
}

/// The queue's tag filter and bulk bar.
pub struct QueueTagging {
    /// The filter's choices ("any tag" first).
    pub filter: Vec<Choice>,
    /// The bulk bar's tags.
    pub bulk: Vec<Choice>,
    /// The bulk bar's action (add or remove).
    pub actions: Vec<Choice>,
    pub can_tag: bool,
    /// The user may manage the shop's tags (the link to `/settings/tags`).
    pub can_manage: bool,
    /// A refused bulk action's message (`errors.get("ticket")`, `"tag"`, `"action"`).
    pub errors: FormErrors,
    /// The queue's address, where the bulk bar comes back to.
    pub back: String,
}

impl QueueTagging {
    /// What the bar reads (the tags of each of the user's shops), added to a page's `batch`.
    pub fn ask(batch: &mut Batch, user: &CurrentUser) -> Vec<Part<Tag>> {
        user.shops.iter().map(|shop| batch.add(super::all_of(*shop))).collect()
    }

    /// The bar, from what [`QueueTagging::ask`] read.
    pub fn build(
        asked: Vec<Part<Tag>>,
        answers: &Answers,
        user: &CurrentUser,
        t: Tr,
        selected: Option<i64>,
        back: String,
    ) -> sqlx::Result<QueueTagging> {
        let mut tags = Vec::new();
        for part in asked {
            tags.extend(answers.rows(part)?);
        }
        let mut filter = vec![Choice::new("", t.t("tags.any_tag"), selected.is_none())];
        filter.extend(
            tags.iter()
                .map(|tag| Choice::new(tag.id.to_string(), tag.name.clone(), selected == Some(tag.id))),
        );
        Ok(QueueTagging {
            filter,
            bulk: tags
                .iter()
                .map(|tag| Choice::new(tag.id.to_string(), tag.name.clone(), false))
                .collect(),
            actions: vec![
                Choice::new("add", t.t("tags.bulk_add"), true),
                Choice::new("remove", t.t("tags.bulk_remove"), false),
            ],
            can_tag: user.may(Action::WorkTickets) && !tags.is_empty(),
            can_manage: user.may(Action::ManageTags),
            errors: FormErrors::none(),
            back,
        })
    }
}

/// Puts on each queue row the chips of its ticket's tags (`tags`: [`super::by_ticket`]).
pub fn chips_on_rows(tags: &HashMap<TicketId, Vec<Tag>>, rows: &mut [crate::tickets::pages::views::TicketRow]) {
    for row in rows {
        if let Some(on) = tags.get(&TicketId(row.id)) {
            row.tags = on.iter().map(TagChip::of).collect();
        }
    }
}

/// A queue address to come back to: a path of this site only.
fn queue_address(back: &str) -> String {
    if back.starts_with("/?") || back == "/" {
        back.to_string()
    } else {
        "/?view=mine".to_string()
    }
}

/// Tags or untags the tickets ticked in the queue; back to the queue. A refusal shows the queue
/// again with the message next to the bar, the boxes still ticked and the tag still chosen.
pub async fn bulk_tags(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let back = queue_address(field("back"));
    let ticked: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "ticket")
        .map(|(_, v)| v.as_str())
        .collect();
    let tag = field("tag");
    let action = field("action");
    let result = async {
        let tickets = ticked
            .iter()
            .map(|v| v.parse::<TicketId>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TagError::Invalid(FieldError::new("ticket", "tags.error.pick_tickets")))?;
        let tag_id = tag
            .parse::<i64>()
            .map_err(|_| TagError::Invalid(FieldError::new("tag", "tags.error.pick_tag")))?;
        let add = match action {
            "add" => true,
            "remove" => false,
            _ => return Err(TagError::Invalid(FieldError::new("action", "tags.error.pick_action"))),
        };
        super::bulk(&state.pool, &page.user, &tickets, tag_id, add, state.now()).await
    }
    .await;
    let error = match result {
        Ok(_) => return Ok(Redirect::to(&back).into_response()),
        Err(TagError::Invalid(error)) => error,
        Err(other) => return Err(PageError::from(ApiError::from(other))),
    };
    let query = back.trim_start_matches('/').trim_start_matches('?');
    let query: crate::tickets::pages::queue::QueueQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut view = crate::tickets::pages::queue::queue_page(&state, &page.user, page.t, back.clone(), query).await?;
    view.tagging.errors = FormErrors::one(page.t, &error);
    for choice in &mut view.tagging.bulk {
        choice.selected = choice.value == tag;
    }
    for choice in &mut view.tagging.actions {
        choice.selected = choice.value == action;
    }
    for row in &mut view.rows {
        row.ticked = ticked.contains(&row.id.to_string().as_str());
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}

/// The shop's tags page.
#[derive(Template)]
#[template(path = "tags.html")]
pub struct TagsPage {
    pub layout: Layout,
    pub shop: i64,
    pub shops: Vec<Choice>,
    pub tags: Vec<TagRow>,
    pub colours: Vec<Choice>,
    /// The new tag's form as typed, and its errors.
    pub new_name: String,
    pub errors: FormErrors,
}

/// A tag with its form.
pub struct TagRow {
    pub id: i64,
    pub name: String,
    pub colour: &'static str,
    pub colours: Vec<Choice>,
    pub errors: FormErrors,
}

fn colour_choices(t: Tr, selected: &str) -> Vec<Choice> {
    Colour::ALL
        .iter()
        .map(|c| Choice::new(c.as_str(), t.t(c.label_key()), c.as_str() == selected))
        .collect()
}

/// Which shop the tags page is about.
#[derive(Debug, Default, Deserialize)]
pub struct ShopQuery {
    shop: Option<i64>,
}

fn pick_shop(user: &CurrentUser, asked: Option<i64>) -> PageResult<ShopId> {
    match asked.map(ShopId) {
        Some(shop) if user.can_see_shop(shop) => Ok(shop),
        Some(_) => Err(PageError::not_found()),
        None => user.shops.first().copied().ok_or_else(PageError::not_found),
    }
}

async fn tags_page(state: &AppState, page: &Page, shop: ShopId) -> PageResult<TagsPage> {
    let t = page.t;
    let tags = super::list(&state.pool, shop).await?;
    let mut shops = Vec::new();
    for id in &page.user.shops {
        if let Some(s) = crate::shops::get(&state.pool, *id).await? {
            shops.push(Choice::new(id.to_string(), s.name.clone(), *id == shop));
        }
    }
    Ok(TagsPage {
        layout: Layout::new(state, t, &page.user, "tags", "/settings/tags"),
        shop: shop.0,
        shops,
        tags: tags
            .iter()
            .map(|tag| TagRow {
                id: tag.id,
                name: tag.name.clone(),
                colour: tag.colour.as_str(),
                colours: colour_choices(t, tag.colour.as_str()),
                errors: FormErrors::none(),
            })
            .collect(),
        colours: colour_choices(t, Colour::Grey.as_str()),
        new_name: String::new(),
        errors: FormErrors::none(),
    })
}

/// Shows a shop's tags.
pub async fn show_tags(State(state): State<AppState>, page: Page, ApiQuery(query): ApiQuery<ShopQuery>) -> PageResult {
    page.user.require(Action::ManageTags)?;
    let shop = pick_shop(&page.user, query.shop)?;
    let view = tags_page(&state, &page, shop).await?;
    Ok(render(&view)?.into_response())
}

/// The tag form.
#[derive(Deserialize)]
pub struct TagFields {
    shop: Option<i64>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    colour: String,
}

fn new_tag(form: &TagFields) -> Result<NewTag, TagError> {
    let colour =
        Colour::parse(&form.colour).ok_or(TagError::Invalid(FieldError::new("colour", "tags.error.pick_colour")))?;
    Ok(NewTag {
        name: form.name.clone(),
        colour,
    })
}

fn back_to(shop: ShopId) -> axum::response::Response {
    Redirect::to(&format!("/settings/tags?shop={shop}")).into_response()
}

/// Creates a tag; a refusal shows the page again with the message next to the field and what
/// was typed.
pub async fn add_tag(State(state): State<AppState>, page: Page, ApiForm(form): ApiForm<TagFields>) -> PageResult {
    page.user.require(Action::ManageTags)?;
    let shop = pick_shop(&page.user, form.shop)?;
    let result = match new_tag(&form) {
        Ok(input) => super::create(&state.pool, &page.user, shop, &input, state.now()).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(back_to(shop)),
        Err(TagError::Invalid(error)) => {
            let mut view = tags_page(&state, &page, shop).await?;
            view.errors = FormErrors::one(page.t, &error);
            view.new_name = form.name;
            view.colours = colour_choices(page.t, &form.colour);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(other) => Err(PageError::from(ApiError::from(other))),
    }
}

/// Renames a tag or changes its colour.
pub async fn edit_tag(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<TagFields>,
) -> PageResult {
    page.user.require(Action::ManageTags)?;
    let shop = pick_shop(&page.user, form.shop)?;
    let result = match new_tag(&form) {
        Ok(input) => super::update(&state.pool, &page.user, shop, id, &input).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(back_to(shop)),
        Err(TagError::Invalid(error)) => {
            let mut view = tags_page(&state, &page, shop).await?;
            if let Some(row) = view.tags.iter_mut().find(|row| row.id == id) {
                row.errors = FormErrors::one(page.t, &error);
                row.name = form.name;
                row.colours = colour_choices(page.t, &form.colour);
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(other) => Err(PageError::from(ApiError::from(other))),
    }
}

/// Deletes a tag (taking it off every ticket).
pub async fn delete_tag(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ShopQuery>,
) -> PageResult {
    let shop = pick_shop(&page.user, form.shop)?;
    super::delete(&state.pool, &page.user, shop, id)
        .await
        .map_err(|e| PageError::from(ApiError::from(e)))?;
    Ok(back_to(shop))
}
