//! `/replies`: a shop's reply library — read by everyone who reads tickets; supervisors and
//! admins add, edit and archive replies and set the return address the replies fill in. Plain
//! forms (no script needed); each answers with a redirect back to the page, or the page again
//! with the reason when refused.

use crate::api::ApiForm;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{ReplyError, ReplyInput, Situation, VARIABLES};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{Page, PageResult, render_page};

/// The page routes (merged into the pages' router, under its HTML error handling).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/replies", get(show_library).post(add_reply))
        .route("/replies/settings", post(save_settings))
        .route("/replies/{id}", post(edit_reply))
        .route("/replies/{id}/archive", post(archive_reply))
}

/// The library page.
#[derive(Template)]
#[template(path = "replies.html")]
pub struct RepliesPage {
    pub layout: Layout,
    pub shop: i64,
    pub shops: Vec<Choice>,
    pub groups: Vec<ReplyGroup>,
    pub situations: Vec<Choice>,
    pub variables: String,
    pub return_address: String,
    /// Supervisors and admins edit; everyone else reads.
    pub can_manage: bool,
}

/// The replies of one situation.
pub struct ReplyGroup {
    pub label: &'static str,
    pub replies: Vec<ReplyRow>,
}

/// One reply, as an edit form.
pub struct ReplyRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// "used N times".
    pub used: String,
    pub situations: Vec<Choice>,
}

/// Which shop the page shows, and what just happened.
#[derive(Deserialize)]
pub struct LibraryQuery {
    shop: Option<ShopId>,
    done: Option<String>,
}

fn pick_shop(user: &CurrentUser, wanted: Option<ShopId>) -> Result<ShopId, ApiError> {
    match wanted {
        Some(shop) => {
            user.require_shop(shop)?;
            Ok(shop)
        }
        None => user.shops.first().copied().ok_or_else(|| ApiError::not_found("shop")),
    }
}

fn situation_choices(t: Tr, selected: Situation) -> Vec<Choice> {
    Situation::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), t.t(s.label_key()), *s == selected))
        .collect()
}

async fn library(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    shop: ShopId,
    flash: Option<Flash>,
) -> PageResult<RepliesPage> {
    let replies = super::list(&state.pool, shop, None, None).await?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let mut conn = state.pool.acquire().await?;
    let return_address = super::return_address(&mut conn, shop).await?;
    let groups = Situation::ALL
        .iter()
        .map(|s| ReplyGroup {
            label: t.t(s.label_key()),
            replies: replies
                .iter()
                .filter(|r| r.situation == *s)
                .map(|r| ReplyRow {
                    id: r.id,
                    title: r.title.clone(),
                    body: r.body.clone(),
                    used: t.f("reply.used", &[("n", &r.used_count)]),
                    situations: situation_choices(t, r.situation),
                })
                .collect(),
        })
        .collect();
    let mut layout = Layout::new(state, t, user, "replies", format!("/replies?shop={shop}"));
    layout.flash = flash;
    Ok(RepliesPage {
        layout,
        shop: shop.0,
        shops: shops
            .iter()
            .map(|s| Choice::new(s.id.to_string(), format!("{} ({})", s.name, s.code), s.id == shop))
            .collect(),
        groups,
        situations: situation_choices(t, Situation::Greeting),
        variables: VARIABLES.map(|v| format!("{{{v}}}")).join(" "),
        return_address,
        can_manage: user.may(Action::ManageReplies),
    })
}

/// Shows the library of one of the user's shops.
pub async fn show_library(State(state): State<AppState>, page: Page, Query(query): Query<LibraryQuery>) -> PageResult {
    let (user, t) = (&page.user, page.t);
    user.require(Action::ReadTickets)?;
    let shop = pick_shop(user, query.shop)?;
    let flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: t
            .t(match done {
                "archived" => "reply.archived",
                "settings" => "reply.settings_saved",
                _ => "reply.saved",
            })
            .to_string(),
    });
    Ok(render_page(&library(&state, user, t, shop, flash).await?)?.into_response())
}

/// After a change: back to the page, or the page again with the reason.
async fn answer(state: &AppState, page: &Page, shop: ShopId, result: Result<(), ReplyError>, done: &str) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/replies?shop={shop}&done={done}")).into_response()),
        Err(ReplyError::Invalid(error)) => refuse(state, page, shop, error).await,
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// The library again with what was refused said at the top.
async fn show_again(state: &AppState, page: &Page, shop: ShopId, status: StatusCode, text: String) -> PageResult {
    let flash = Flash { ok: false, text };
    let view = library(state, &page.user, page.t, shop, Some(flash)).await?;
    Ok((status, render_page(&view)?).into_response())
}

/// A form value the page itself refuses, in the user's language.
async fn refuse(state: &AppState, page: &Page, shop: ShopId, error: FieldError) -> PageResult {
    let text = page.t.message(&error.message);
    show_again(state, page, shop, StatusCode::UNPROCESSABLE_ENTITY, text).await
}

/// The add and edit forms.
#[derive(Deserialize)]
pub struct ReplyForm {
    shop: Option<ShopId>,
    situation: String,
    title: String,
    body: String,
}

impl ReplyForm {
    fn input(self) -> Result<ReplyInput, FieldError> {
        let situation =
            Situation::parse(&self.situation).ok_or_else(|| FieldError::new("situation", "form.choose_situation"))?;
        Ok(ReplyInput {
            situation,
            title: self.title,
            body: self.body,
        })
    }
}

/// Adds a reply.
pub async fn add_reply(State(state): State<AppState>, page: Page, ApiForm(form): ApiForm<ReplyForm>) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let shop = pick_shop(user, form.shop)?;
    let result = match form.input() {
        Ok(input) => super::create(&state.pool, shop, &input).await.map(|_| ()),
        Err(error) => return refuse(&state, &page, shop, error).await,
    };
    answer(&state, &page, shop, result, "saved").await
}

/// Saves an edited reply.
pub async fn edit_reply(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ReplyForm>,
) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let shop = super::shop_of(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("reply"))?;
    let result = match form.input() {
        Ok(input) => super::update(&state.pool, shop, id, &input).await.map(|_| ()),
        Err(error) => return refuse(&state, &page, shop, error).await,
    };
    answer(&state, &page, shop, result, "saved").await
}

/// Archives a reply.
pub async fn archive_reply(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let shop = super::shop_of(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("reply"))?;
    let result = super::archive(&state.pool, shop, id).await;
    answer(&state, &page, shop, result, "archived").await
}

/// The settings form.
#[derive(Deserialize)]
pub struct SettingsForm {
    shop: Option<ShopId>,
    return_address: String,
}

/// Saves the shop's return address.
pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    ApiForm(form): ApiForm<SettingsForm>,
) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let shop = pick_shop(user, form.shop)?;
    let result = super::set_return_address(&state.pool, shop, &form.return_address).await;
    answer(&state, &page, shop, result, "settings").await
}
