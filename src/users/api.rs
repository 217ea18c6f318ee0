//! `POST /api/v1/users`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CreateUserError, NewUser, UserView};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_user))
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
