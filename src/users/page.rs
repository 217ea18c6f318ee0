//! `/admin/users`: the admin's users — create one (a generated password, shown once), change a
//! name, role or shops, deactivate (every session ends at once) or reactivate, reset a password
//! (generated, shown once). `/account`: anyone's own password change. Plain forms; a refused
//! form comes back with the reason next to its field and what was typed.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::api::{change_user, reset_and_audit};
use super::{CreateUserError, NewUser, UserChange, UserError};
use crate::api::ApiForm;
use crate::auth::permissions::Action;
use crate::auth::{OwnPasswordError, Role};
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::{ShopId, UserId};
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// The pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/users", get(show_users).post(create_user))
        .route("/admin/users/{id}", post(update_user))
        .route("/admin/users/{id}/deactivate", post(deactivate))
        .route("/admin/users/{id}/activate", post(activate))
        .route("/admin/users/{id}/reset-password", post(reset_password))
        .route("/account", get(show_account).post(change_password))
}

/// The users page.
#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserLine>,
    /// A password just made, shown this once: (login, password).
    pub shown: Option<(String, String)>,
    /// The create form, as typed when refused.
    pub new_login: String,
    pub new_name: String,
    pub new_roles: Vec<Choice>,
    pub new_shops: Vec<Choice>,
    /// Messages next to the create form's fields.
    pub errors: FormErrors,
}

/// One user, with the edit form's choices.
pub struct UserLine {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub shops: String,
    pub disabled: bool,
    pub last_sign_in: String,
    pub created: String,
    /// The signed-in admin: no deactivation, no role change here.
    pub is_me: bool,
    pub roles: Vec<Choice>,
    pub shop_choices: Vec<Choice>,
    /// Messages next to this user's edit form's fields.
    pub errors: FormErrors,
}

/// A form refused: which, what was typed, and why.
struct Refused {
    user: Option<UserId>,
    login: String,
    name: String,
    role: String,
    shops: Vec<String>,
    error: FieldError,
}

/// What the page says at the top after an action.
#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
}

fn role_choices(t: Tr, selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str(), t.t(r.label_key()), r.as_str() == selected))
        .collect()
}

fn shop_choices(shops: &[crate::shops::Shop], selected: &[String]) -> Vec<Choice> {
    shops
        .iter()
        .map(|s| {
            let id = s.id.to_string();
            let chosen = selected.contains(&id);
            Choice::new(id, format!("{} ({})", s.name, s.code), chosen)
        })
        .collect()
}

async fn users_page(
    state: &AppState,
    page: &Page,
    flash: Option<Flash>,
    shown: Option<(String, String)>,
    refused: Option<Refused>,
) -> PageResult<UsersPage> {
    let t = page.t;
    let users = super::list(&state.pool).await?;
    let all_shops = crate::shops::list(&state.pool, &page.user.shops).await?;
    let refused_for = |id: Option<UserId>| refused.as_ref().filter(|r| r.user == id);
    let lines = users
        .iter()
        .map(|u| {
            let ids: Vec<String> = u.shops.iter().map(|s| s.to_string()).collect();
            let typed = refused_for(Some(u.id));
            UserLine {
                id: u.id.0,
                login: u.login.clone(),
                name: typed.map_or_else(|| u.display_name.clone(), |r| r.name.clone()),
                role: t.t(u.role.0.label_key()),
                shops: all_shops
                    .iter()
                    .filter(|s| u.shops.contains(&s.id))
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                disabled: u.disabled,
                last_sign_in: u
                    .last_sign_in
                    .map(|at| t.datetime(&at))
                    .unwrap_or_else(|| t.t("users.never").to_string()),
                created: t.datetime(&u.created_at),
                is_me: u.id == page.user.id,
                roles: role_choices(t, typed.map_or(u.role.0.as_str(), |r| r.role.as_str())),
                shop_choices: shop_choices(&all_shops, typed.map_or(&ids, |r| &r.shops)),
                errors: typed.map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
            }
        })
        .collect();
    let typed = refused_for(None);
    let mut layout = Layout::new(state, t, &page.user, "admin", "/admin/users");
    layout.flash = flash;
    Ok(UsersPage {
        layout,
        users: lines,
        shown,
        new_login: typed.map(|r| r.login.clone()).unwrap_or_default(),
        new_name: typed.map(|r| r.name.clone()).unwrap_or_default(),
        new_roles: role_choices(t, typed.map_or("agent", |r| r.role.as_str())),
        new_shops: shop_choices(&all_shops, typed.map_or(&[][..], |r| &r.shops)),
        errors: typed.map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
    })
}

/// Shows the users.
pub async fn show_users(State(state): State<AppState>, page: Page, Query(query): Query<UsersQuery>) -> PageResult {
    page.user.require(Action::ManageUsers)?;
    let flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: page
            .t
            .t(match done {
                "deactivated" => "users.done_deactivated",
                "activated" => "users.done_activated",
                _ => "users.done_updated",
            })
            .to_string(),
    });
    Ok(render(&users_page(&state, &page, flash, None, None).await?)?.into_response())
}

/// The fields of the create and edit forms (shops are checkboxes: a field may repeat).
#[derive(Default)]
struct UserForm {
    login: String,
    display_name: String,
    role: String,
    shops: Vec<String>,
}

impl UserForm {
    fn read(pairs: Vec<(String, String)>) -> UserForm {
        let mut form = UserForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "login" => form.login = value.trim().to_string(),
                "display_name" => form.display_name = value,
                "role" => form.role = value,
                "shops" => form.shops.push(value),
                _ => {}
            }
        }
        form
    }

    fn role(&self) -> Result<Role, FieldError> {
        Role::parse(&self.role).ok_or_else(|| FieldError::new("role", "users.error.role"))
    }

    fn shops(&self) -> Result<Vec<ShopId>, FieldError> {
        self.shops
            .iter()
            .map(|s| {
                s.parse::<i64>()
                    .map(ShopId)
                    .map_err(|_| FieldError::new("shops", "users.error.unknown_shop"))
            })
            .collect()
    }

    fn refused(self, user: Option<UserId>, error: FieldError) -> Refused {
        Refused {
            user,
            login: self.login,
            name: self.display_name,
            role: self.role,
            shops: self.shops,
            error,
        }
    }
}

/// The page again (422) with the refused form as typed and the reason next to its field.
async fn refuse(state: &AppState, page: &Page, refused: Refused) -> PageResult {
    let view = users_page(state, page, None, None, Some(refused)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
}

/// The create refusal as a field and a catalogue message.
fn create_refusal(error: CreateUserError) -> Result<FieldError, ApiError> {
    Ok(match error {
        CreateUserError::Invalid("login", _) => FieldError::new("login", "users.error.login"),
        CreateUserError::Invalid(_, _) => FieldError::new("display_name", "users.error.display_name"),
        CreateUserError::LoginTaken(login) => FieldError::new("login", "users.error.login_taken").with("login", login),
        CreateUserError::UnknownShop(_) => FieldError::new("shops", "users.error.unknown_shop"),
        other => return Err(other.into()),
    })
}

/// Creates a user with a generated password, shown once on the page that answers.
pub async fn create_user(
    State(state): State<AppState>,
    page: Page,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::ManageUsers)?;
    let form = UserForm::read(pairs);
    let (role, shops) = match (form.role(), form.shops()) {
        (Ok(role), Ok(shops)) => (role, shops),
        (Err(error), _) | (_, Err(error)) => return refuse(&state, &page, form.refused(None, error)).await,
    };
    let password = super::generate_password();
    let new_user = NewUser {
        login: form.login.clone(),
        password: password.clone(),
        role,
        shops,
        display_name: Some(form.display_name.trim().to_string()).filter(|n| !n.is_empty()),
    };
    let created = match super::create(&state.pool, &new_user).await {
        Ok(created) => created,
        Err(error) => {
            let error = create_refusal(error)?;
            return refuse(&state, &page, form.refused(None, error)).await;
        }
    };
    let details =
        serde_json::json!({ "user": created.id, "login": created.login, "role": created.role, "shops": created.shops });
    crate::audit::record(
        &state.pool,
        page.user.id,
        crate::audit::action::USER_CREATED,
        None,
        &created.login,
        details,
    )
    .await?;
    let flash = Flash {
        ok: true,
        text: page.t.f("users.created", &[("login", &created.login)]),
    };
    let view = users_page(&state, &page, Some(flash), Some((created.login, password)), None).await?;
    Ok(render(&view)?.into_response())
}

/// What a refused change to a user becomes on the page.
async fn user_refusal(state: &AppState, page: &Page, form: UserForm, id: UserId, error: UserError) -> PageResult {
    match error {
        UserError::Invalid(error) => refuse(state, page, form.refused(Some(id), error)).await,
        other => Err(ApiError::from(other).into()),
    }
}

/// Saves a user's name, role and shops.
pub async fn update_user(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<UserId>,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    page.user.require(Action::ManageUsers)?;
    let form = UserForm::read(pairs);
    let role = match (id == page.user.id, form.role()) {
        // One's own role is not on the form (it cannot be given up here).
        (true, _) => None,
        (false, Ok(role)) => Some(role),
        (false, Err(error)) => return refuse(&state, &page, form.refused(Some(id), error)).await,
    };
    let shops = match form.shops() {
        Ok(shops) => shops,
        Err(error) => return refuse(&state, &page, form.refused(Some(id), error)).await,
    };
    let change = UserChange {
        display_name: Some(form.display_name.clone()),
        role,
        shops: Some(shops),
        disabled: None,
    };
    match change_user(&state, &page.user, id, &change).await {
        Ok(_) => Ok(Redirect::to("/admin/users?done=updated").into_response()),
        Err(error) => user_refusal(&state, &page, form, id, error).await,
    }
}

async fn set_disabled(state: &AppState, page: &Page, id: UserId, disabled: bool) -> PageResult {
    page.user.require(Action::ManageUsers)?;
    let change = UserChange {
        disabled: Some(disabled),
        ..UserChange::default()
    };
    match change_user(state, &page.user, id, &change).await {
        Ok(_) => {
            let done = if disabled { "deactivated" } else { "activated" };
            Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
        }
        Err(error) => user_refusal(state, page, UserForm::default(), id, error).await,
    }
}

/// Deactivates a user: they cannot sign in, and every session of theirs ends at once.
pub async fn deactivate(State(state): State<AppState>, page: Page, Path(id): Path<UserId>) -> PageResult {
    set_disabled(&state, &page, id, true).await
}

/// Lets a deactivated user sign in again.
pub async fn activate(State(state): State<AppState>, page: Page, Path(id): Path<UserId>) -> PageResult {
    set_disabled(&state, &page, id, false).await
}

/// Gives a user a new generated password, shown once; their sessions end.
pub async fn reset_password(State(state): State<AppState>, page: Page, Path(id): Path<UserId>) -> PageResult {
    page.user.require(Action::ManageUsers)?;
    let (login, password) = reset_and_audit(&state, &page.user, id).await.map_err(ApiError::from)?;
    let flash = Flash {
        ok: true,
        text: page.t.f("users.reset_done", &[("login", &login)]),
    };
    let view = users_page(&state, &page, Some(flash), Some((login, password)), None).await?;
    Ok(render(&view)?.into_response())
}

/// The account page.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub errors: FormErrors,
}

/// Shows the account page (anyone signed in).
pub async fn show_account(State(state): State<AppState>, page: Page, Query(query): Query<UsersQuery>) -> PageResult {
    let mut view = account_page(&state, &page, FormErrors::none());
    view.layout.flash = query.done.as_deref().map(|_| Flash {
        ok: true,
        text: page.t.t("account.password_changed").to_string(),
    });
    Ok(render(&view)?.into_response())
}

fn account_page(state: &AppState, page: &Page, errors: FormErrors) -> AccountPage {
    AccountPage {
        layout: Layout::new(state, page.t, &page.user, "account", "/account"),
        login: page.user.login.clone(),
        name: page.user.display_name.clone(),
        role: page.t.t(page.user.role.label_key()),
        errors,
    }
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes the signed-in user's own password; their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    page: Page,
    extensions: axum::http::Extensions,
    ApiForm(form): ApiForm<PasswordForm>,
) -> PageResult {
    let t = page.t;
    let refuse = |error: FieldError| {
        let view = account_page(&state, &page, FormErrors::one(t, &error));
        render(&view).map(|html| (StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
    };
    if form.new_password != form.confirm_password {
        return refuse(FieldError::new("confirm_password", "account.error.mismatch"));
    }
    let address = crate::auth::extract::client_address(&extensions);
    let result = crate::auth::change_own_password(
        &state.pool,
        &state.sign_in_policy,
        &page.user,
        &address,
        &form.current_password,
        &form.new_password,
        state.now(),
    )
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(OwnPasswordError::WrongCurrent) => {
            refuse(FieldError::new("current_password", "account.error.wrong_current"))
        }
        Err(OwnPasswordError::Weak(weak)) => {
            refuse(FieldError::new("new_password", weak.catalogue_key()).with("min", crate::auth::password::MIN_LENGTH))
        }
        Err(OwnPasswordError::Throttled(wait)) => Err(ApiError::too_many(wait).into()),
        Err(OwnPasswordError::Database(e)) => Err(ApiError::from(e).into()),
        Err(OwnPasswordError::Hashing(e)) => Err(ApiError::internal(e).into()),
    }
}
