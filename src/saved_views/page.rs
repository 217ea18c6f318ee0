//! The saved views in the queue's navigation (`templates/_saved_views.html`): the views a person
//! sees (their own and their shop's shared ones), each opening the queue with its query; the
//! form that saves the queue's current filters; rename and delete of one's own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{SavedView, ViewError};
use crate::api::ApiForm;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The routes of the saved views.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/views", post(save_view))
        .route("/views/{id}", get(open_view))
        .route("/views/{id}/rename", post(rename_view))
        .route("/views/{id}/delete", post(delete_view))
}

/// One view in the navigation.
pub struct ViewLink {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub shared: bool,
    /// The person's own (they may rename and delete it).
    pub own: bool,
    /// The queue shows exactly this view's query now.
    pub active: bool,
    /// A refused rename's message, and the name as typed.
    pub error: Option<String>,
}

/// The saved views' part of the queue.
pub struct SavedViewsNav {
    pub views: Vec<ViewLink>,
    /// The queue's current query, which the save form keeps.
    pub query: String,
    /// The save form's name as typed, whether "shared" was ticked, and its errors.
    pub name: String,
    pub shared: bool,
    pub can_share: bool,
    pub errors: FormErrors,
}

impl SavedViewsNav {
    /// The navigation of a queue showing `query`, from the views `user` sees
    /// ([`super::seen_by`]).
    pub fn of(views: Vec<SavedView>, user: &CurrentUser, query: &str) -> SavedViewsNav {
        let query = super::queue_query(query);
        SavedViewsNav {
            views: views.iter().map(|v| link(v, user, &query)).collect(),
            query,
            name: String::new(),
            shared: false,
            can_share: user.may(Action::ShareViews),
            errors: FormErrors::none(),
        }
    }
}

fn link(view: &SavedView, user: &CurrentUser, current: &str) -> ViewLink {
    ViewLink {
        id: view.id,
        name: view.name.clone(),
        href: view.href(),
        shared: view.shared,
        own: view.owner_id == user.id,
        active: !current.is_empty() && view.query == current,
        error: None,
    }
}

/// The save form.
#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    /// A ticked box posts `on`.
    #[serde(default)]
    shared: Option<String>,
}

/// The queue showing `query`, with the saved views' navigation changed by `adjust`, answered 422.
async fn queue_again(
    state: &AppState,
    page: &Page,
    query: &str,
    adjust: impl FnOnce(Tr, &mut SavedViewsNav),
) -> PageResult {
    let query = super::queue_query(query);
    let parsed: crate::tickets::pages::queue::QueueQuery = serde_urlencoded::from_str(&query).unwrap_or_default();
    let path = format!("/?{query}");
    let mut view = crate::tickets::pages::queue::queue_page(state, &page.user, page.t, path, parsed).await?;
    adjust(page.t, &mut view.saved);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}

fn page_error(error: ViewError) -> PageError {
    match error {
        ViewError::NotFound => PageError::not_found(),
        ViewError::Forbidden(denied) => PageError::from(denied),
        ViewError::Storage(error) => PageError::from(error),
        ViewError::Invalid(field) => PageError::from(field),
    }
}

/// Saves the queue's current filters as a view, then opens it; a refusal shows the queue again
/// with the message next to the name and what was typed.
pub async fn save_view(State(state): State<AppState>, page: Page, ApiForm(form): ApiForm<SaveForm>) -> PageResult {
    let shared = form.shared.as_deref().is_some_and(|v| !v.is_empty());
    match super::save(&state.pool, &page.user, &form.name, &form.query, shared, state.now()).await {
        Ok(view) => Ok(Redirect::to(&view.href()).into_response()),
        Err(ViewError::Invalid(error)) => {
            queue_again(&state, &page, &form.query, |t, nav| {
                nav.errors = FormErrors::one(t, &error);
                nav.name = form.name.clone();
                nav.shared = shared;
            })
            .await
        }
        Err(other) => Err(page_error(other)),
    }
}

/// Opens the queue with a view's query.
pub async fn open_view(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let view = super::get(&state.pool, &page.user, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    Ok(Redirect::to(&view.href()).into_response())
}

/// The rename form.
#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// Renames one's own view; a refusal shows the queue again with the message beside that view.
pub async fn rename_view(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<RenameForm>,
) -> PageResult {
    match super::rename(&state.pool, &page.user, id, &form.name).await {
        Ok(view) => Ok(Redirect::to(&view.href()).into_response()),
        Err(ViewError::Invalid(error)) => {
            let current = super::get(&state.pool, &page.user, id)
                .await?
                .ok_or_else(PageError::not_found)?;
            queue_again(&state, &page, &current.query, |t, nav| {
                if let Some(row) = nav.views.iter_mut().find(|v| v.id == id) {
                    row.error = Some(t.message(&error.message));
                    row.name = form.name.clone();
                }
            })
            .await
        }
        Err(other) => Err(page_error(other)),
    }
}

/// Deletes one's own view; back to one's queue.
pub async fn delete_view(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    super::delete(&state.pool, &page.user, id).await.map_err(page_error)?;
    Ok(Redirect::to("/?view=mine").into_response())
}
