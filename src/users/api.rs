//! Users, for admins: `GET`/`POST /api/v1/users`, `PATCH /api/v1/users/{id}` (name, role, shops,
//! deactivate) and `POST /api/v1/users/{id}/password-reset`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CreateUserError, NewUser, UserChange, UserError, UserRow, UserView};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::UserId;
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(reset_password))
}

impl From<CreateUserError> for ApiError {
    fn from(error: CreateUserError) -> ApiError {
        match error {
            CreateUserError::Invalid(field, message) => ApiError::invalid(field, message),
            CreateUserError::WeakPassword(weak) => ApiError::invalid("password", weak.to_string()),
            CreateUserError::LoginTaken(_) => ApiError::conflict("login_taken", error.to_string()),
            CreateUserError::UnknownShop(_) => ApiError::invalid("shops", error.to_string()),
            CreateUserError::Database(e) => e.into(),
            CreateUserError::Hashing(e) => ApiError::internal(e),
        }
    }
}

/// Creates a user (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiJson(new_user): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    user.require(Action::ManageUsers)?;
    let created = super::create(&state.pool, &new_user)
        .await
        .map_err(|error| match error {
            CreateUserError::WeakPassword(weak) => {
                ApiError::invalid("password", weak.message(crate::i18n::request_lang(&headers)))
            }
            other => other.into(),
        })?;
    let details =
        serde_json::json!({ "user": created.id, "login": created.login, "role": created.role, "shops": created.shops });
    crate::audit::record(
        &state.pool,
        user.id,
        crate::audit::action::USER_CREATED,
        None,
        &created.login,
        details,
    )
    .await?;
    tracing::info!(user = %created.id, role = created.role.as_str(), "user created");
    Ok((StatusCode::CREATED, Json(created)))
}

impl From<UserError> for ApiError {
    /// 422 naming the field, 404 for a user who is not there.
    fn from(error: UserError) -> ApiError {
        match error {
            UserError::Invalid(error) => ApiError::from(error),
            UserError::NotFound => ApiError::not_found("user"),
            UserError::Database(e) => e.into(),
            UserError::Hashing(e) => ApiError::internal(e),
        }
    }
}

/// Every user with their role, shops, whether deactivated, and last sign-in (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserRow>), (status = 403, body = crate::api::ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<UserRow>>> {
    user.require(Action::ManageUsers)?;
    Ok(Json(super::list(&state.pool).await?))
}

/// Changes a user's name, role, shops, or deactivates them — every session of theirs ends at
/// once (admin; not on oneself).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserChange,
    params(("id" = i64, Path, description = "user id")),
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<UserId>,
    ApiJson(change): ApiJson<UserChange>,
) -> ApiResult<StatusCode> {
    user.require(Action::ManageUsers)?;
    change_user(&state, &user, id, &change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Applies and audits an admin's change to a user (the API and the users page).
pub async fn change_user(
    state: &AppState,
    by: &CurrentUser,
    id: UserId,
    change: &UserChange,
) -> Result<super::Changed, UserError> {
    let changed = super::update(&state.pool, by.id, id, change).await?;
    let details = serde_json::to_value(&changed).unwrap_or_default();
    crate::audit::record(
        &state.pool,
        by.id,
        crate::audit::action::USER_UPDATED,
        None,
        &changed.login,
        details,
    )
    .await?;
    tracing::info!(user = %id, by = %by.id, "user changed");
    Ok(changed)
}

/// A password given by an admin, shown once.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ResetPassword {
    pub login: String,
    /// The new password: give it to the person; it is not stored anywhere readable.
    pub password: String,
}

/// Gives a user a new generated password and ends every session of theirs (admin).
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users",
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = ResetPassword), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<UserId>,
) -> ApiResult<Json<ResetPassword>> {
    user.require(Action::ManageUsers)?;
    let (login, password) = reset_and_audit(&state, &user, id).await?;
    Ok(Json(ResetPassword { login, password }))
}

/// Resets and audits (the API and the users page).
pub async fn reset_and_audit(state: &AppState, by: &CurrentUser, id: UserId) -> Result<(String, String), UserError> {
    let (login, password) = super::reset_password(&state.pool, id).await?;
    crate::audit::record(
        &state.pool,
        by.id,
        crate::audit::action::PASSWORD_RESET,
        None,
        &login,
        serde_json::json!({ "user": id }),
    )
    .await?;
    tracing::info!(user = %id, by = %by.id, "password reset");
    Ok((login, password))
}
