//! `/replies`: a shop's reply library — read by everyone who reads tickets; supervisors and
//! admins add, edit and archive replies (the return address they fill in is a shop setting,
//! `/settings/return-addresses`). Plain
//! forms (no script needed); each answers with a redirect back to the page, or the page again
//! when refused: the reason next to its field, in the user's language, with what was typed.

use crate::api::ApiForm;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::fit::Fit;
use super::{ReplyError, ReplyInput, Situation, VARIABLES};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::rules::workflow::{Status, TicketKind};
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The page routes (merged into the pages' router, under its HTML error handling).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/replies", get(show_library).post(add_reply))
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
    /// The add form's kinds and statuses (checkboxes).
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub variables: String,
    /// Supervisors and admins edit; everyone else reads.
    pub can_manage: bool,
    /// The add form as typed, when it was refused (else empty).
    pub new_title: String,
    pub new_body: String,
    /// Messages next to the add form's and the return address's fields.
    pub errors: FormErrors,
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
    /// Where it is offered, as a person reads it ("any ticket" when anywhere).
    pub fit: String,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    /// Messages next to this reply's fields, when its edit was refused.
    pub errors: FormErrors,
}

/// Which form was refused, with what was typed into it, and why.
struct Refused {
    form: RefusedForm,
    situation: String,
    title: String,
    body: String,
    kinds: Vec<String>,
    statuses: Vec<String>,
    error: FieldError,
}

/// The form a refusal belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RefusedForm {
    Add,
    Edit(i64),
}

/// Which shop the page shows, and what just happened.
#[derive(Deserialize)]
pub struct LibraryQuery {
    shop: Option<ShopId>,
    done: Option<String>,
}

fn situation_choices(t: Tr, selected: &str) -> Vec<Choice> {
    Situation::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), t.t(s.label_key()), s.as_str() == selected))
        .collect()
}

fn kind_choices(t: Tr, selected: &[String]) -> Vec<Choice> {
    TicketKind::ALL
        .iter()
        .map(|k| Choice::new(k.as_str(), k.label(t.lang), selected.iter().any(|s| s == k.as_str())))
        .collect()
}

fn status_choices(t: Tr, selected: &[String]) -> Vec<Choice> {
    Status::ALL
        .iter()
        .map(|st| Choice::new(st.as_str(), st.label(t.lang), selected.iter().any(|s| s == st.as_str())))
        .collect()
}

fn names<T: Copy>(values: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    values.iter().map(|v| name(*v).to_string()).collect()
}

fn describe(t: Tr, fit: &Fit) -> String {
    fit.describe(t.lang).unwrap_or_else(|| t.t("reply.fit_any").to_string())
}

async fn library(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    shop: ShopId,
    flash: Option<Flash>,
    refused: Option<&Refused>,
) -> PageResult<RepliesPage> {
    let refused_here = |form: RefusedForm| refused.filter(|r| r.form == form);
    let replies = super::list(&mut *state.pool.acquire().await?, shop, None, None).await?;
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let groups = Situation::ALL
        .iter()
        .map(|s| ReplyGroup {
            label: t.t(s.label_key()),
            replies: replies
                .iter()
                .filter(|r| r.situation == *s)
                .map(|r| match refused_here(RefusedForm::Edit(r.id)) {
                    Some(typed) => ReplyRow {
                        id: r.id,
                        title: typed.title.clone(),
                        body: typed.body.clone(),
                        used: t.f("reply.used", &[("n", &r.used_count)]),
                        situations: situation_choices(t, &typed.situation),
                        fit: describe(t, &r.fit()),
                        kinds: kind_choices(t, &typed.kinds),
                        statuses: status_choices(t, &typed.statuses),
                        errors: FormErrors::one(t, &typed.error),
                    },
                    None => ReplyRow {
                        id: r.id,
                        title: r.title.clone(),
                        body: r.body.clone(),
                        used: t.f("reply.used", &[("n", &r.used_count)]),
                        situations: situation_choices(t, r.situation.as_str()),
                        fit: describe(t, &r.fit()),
                        kinds: kind_choices(t, &names(&r.kinds, TicketKind::as_str)),
                        statuses: status_choices(t, &names(&r.statuses, Status::as_str)),
                        errors: FormErrors::none(),
                    },
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
        situations: situation_choices(
            t,
            refused_here(RefusedForm::Add).map_or(Situation::Greeting.as_str(), |typed| typed.situation.as_str()),
        ),
        kinds: kind_choices(t, refused_here(RefusedForm::Add).map_or(&[][..], |typed| &typed.kinds)),
        statuses: status_choices(
            t,
            refused_here(RefusedForm::Add).map_or(&[][..], |typed| &typed.statuses),
        ),
        variables: VARIABLES.map(|v| format!("{{{v}}}")).join(" "),
        can_manage: user.may(Action::ManageReplies),
        new_title: refused_here(RefusedForm::Add)
            .map(|typed| typed.title.clone())
            .unwrap_or_default(),
        new_body: refused_here(RefusedForm::Add)
            .map(|typed| typed.body.clone())
            .unwrap_or_default(),
        errors: refused_here(RefusedForm::Add).map_or_else(FormErrors::none, |typed| FormErrors::one(t, &typed.error)),
    })
}

/// Shows the library of one of the user's shops.
pub async fn show_library(State(state): State<AppState>, page: Page, Query(query): Query<LibraryQuery>) -> PageResult {
    let (user, t) = (&page.user, page.t);
    user.require(Action::ReadTickets)?;
    let shop = user.shop_or_first(query.shop)?;
    let flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: t
            .t(match done {
                "archived" => "reply.archived",
                _ => "reply.saved",
            })
            .to_string(),
    });
    Ok(render(&library(&state, user, t, shop, flash, None).await?)?.into_response())
}

/// After a change: back to the page, or the page again with the reason next to its field and
/// what was typed (`typed`, whose `error` is filled in here).
async fn answer(
    state: &AppState,
    page: &Page,
    shop: ShopId,
    result: Result<(), ReplyError>,
    done: &str,
    typed: impl FnOnce(FieldError) -> Refused,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/replies?shop={shop}&done={done}")).into_response()),
        Err(ReplyError::Invalid(error)) => refuse(state, page, shop, typed(error)).await,
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// The library again (422) with the refused form as typed and the reason next to its field.
async fn refuse(state: &AppState, page: &Page, shop: ShopId, refused: Refused) -> PageResult {
    let view = library(state, &page.user, page.t, shop, None, Some(&refused)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}

/// The add and edit forms: the kinds and statuses are checkboxes, so a field may repeat.
pub struct ReplyForm {
    shop: Option<ShopId>,
    situation: String,
    title: String,
    body: String,
    kinds: Vec<String>,
    statuses: Vec<String>,
}

impl ReplyForm {
    /// Reads the posted fields (unknown ones are ignored, like the single-value forms').
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<ReplyForm, FieldError> {
        let mut form = ReplyForm {
            shop: None,
            situation: String::new(),
            title: String::new(),
            body: String::new(),
            kinds: Vec::new(),
            statuses: Vec::new(),
        };
        for (name, value) in pairs {
            match name.as_str() {
                "shop" if !value.trim().is_empty() => {
                    form.shop = Some(
                        value
                            .trim()
                            .parse::<i64>()
                            .map(ShopId)
                            .map_err(|_| FieldError::new("shop", "replies.error.shop"))?,
                    );
                }
                "situation" => form.situation = value,
                "title" => form.title = value,
                "body" => form.body = value,
                "kinds" => form.kinds.push(value),
                "statuses" => form.statuses.push(value),
                _ => {}
            }
        }
        Ok(form)
    }

    fn input(&self) -> Result<ReplyInput, FieldError> {
        let situation =
            Situation::parse(&self.situation).ok_or_else(|| FieldError::new("situation", "form.choose_situation"))?;
        let kinds = self
            .kinds
            .iter()
            .map(|k| TicketKind::parse(k).ok_or_else(|| FieldError::new("kinds", "form.choose_kind")))
            .collect::<Result<Vec<_>, _>>()?;
        let statuses = self
            .statuses
            .iter()
            .map(|s| Status::parse(s).ok_or_else(|| FieldError::new("statuses", "replies.error.status")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReplyInput {
            situation,
            title: self.title.clone(),
            body: self.body.clone(),
            kinds,
            statuses,
        })
    }

    /// This form, refused for `error`.
    fn refused(self, form: RefusedForm, error: FieldError) -> Refused {
        Refused {
            form,
            situation: self.situation,
            title: self.title,
            body: self.body,
            kinds: self.kinds,
            statuses: self.statuses,
            error,
        }
    }
}

/// Adds a reply.
pub async fn add_reply(
    State(state): State<AppState>,
    page: Page,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let form = ReplyForm::from_pairs(pairs)?;
    let shop = user.shop_or_first(form.shop)?;
    let result = match form.input() {
        Ok(input) => super::create(&state.pool, shop, &input).await.map(|_| ()),
        Err(error) => return refuse(&state, &page, shop, form.refused(RefusedForm::Add, error)).await,
    };
    answer(&state, &page, shop, result, "saved", |error| {
        form.refused(RefusedForm::Add, error)
    })
    .await
}

/// Saves an edited reply.
pub async fn edit_reply(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let form = ReplyForm::from_pairs(pairs)?;
    let shop = super::shop_of(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("reply"))?;
    let result = match form.input() {
        Ok(input) => super::update(&state.pool, shop, id, &input).await.map(|_| ()),
        Err(error) => return refuse(&state, &page, shop, form.refused(RefusedForm::Edit(id), error)).await,
    };
    answer(&state, &page, shop, result, "saved", |error| {
        form.refused(RefusedForm::Edit(id), error)
    })
    .await
}

/// Archives a reply.
pub async fn archive_reply(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let user = &page.user;
    user.require(Action::ManageReplies)?;
    let shop = super::shop_of(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("reply"))?;
    match super::archive(&state.pool, shop, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/replies?shop={shop}&done=archived")).into_response()),
        // Archiving takes no typed value to show again: a refusal is the error page.
        Err(ReplyError::Invalid(error)) => Err(PageError::from(error)),
        Err(error) => Err(ApiError::from(error).into()),
    }
}
