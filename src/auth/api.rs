//! `POST /api/v1/auth/tokens` (sign in, get a bearer token), `DELETE /api/v1/auth/tokens/current`
//! (sign out) and `GET /api/v1/me`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::client_address;
use super::{CurrentUser, Role, sign_in, tokens};
use crate::api::ApiJson;
use crate::error::{ApiError, ApiResult};
use crate::ids::ShopId;
use crate::state::AppState;

/// The JSON operations of this module; each route and its OpenAPI entry come from the handler's
/// `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_current_token))
        .routes(routes!(revoke_token))
        .routes(routes!(change_password))
        .routes(routes!(me))
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(min_length = 1, example = "agent1")]
    pub login: String,
    #[schema(min_length = 1)]
    pub password: String,
}

/// A new bearer token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[schema(value_type = i64)]
    pub id: crate::ids::UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    #[schema(value_type = Vec<i64>)]
    pub shops: Vec<ShopId>,
}

/// Signs in and returns a bearer token for `Authorization: Bearer <token>`.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", security(()), request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 401, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody), (status = 429, body = crate::api::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    ApiJson(request): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let address = client_address(&extensions);
    let user = sign_in(
        &state.pool,
        &state.sign_in_policy,
        &request.login,
        &request.password,
        &address,
        state.now(),
    )
    .await?
    .ok_or_else(|| ApiError {
        code: "invalid_credentials",
        message: "wrong login or password".into(),
        ..ApiError::unauthenticated()
    })?;
    let (token, expires_at) = tokens::issue(&state.pool, user, tokens::TokenKind::Api, Some("api")).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token, expires_at })))
}

/// Ends the token the request was made with.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/current", tag = "auth",
    responses((status = 204), (status = 401, body = crate::api::ErrorBody)))]
pub async fn revoke_current_token(State(state): State<AppState>, user: CurrentUser) -> ApiResult<StatusCode> {
    tokens::revoke(&state.pool, &user.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the token belongs to, with the shops they may see.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::api::ErrorBody)))]
pub async fn me(user: CurrentUser) -> Json<MeResponse> {
    Json(MeResponse {
        id: user.id,
        login: user.login,
        display_name: user.display_name,
        role: user.role,
        shops: user.shops,
    })
}

/// The caller's live sessions and API tokens (ids only, never the tokens).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<tokens::TokenInfo>), (status = 401, body = crate::api::ErrorBody)))]
pub async fn list_tokens(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<tokens::TokenInfo>>> {
    Ok(Json(tokens::list(&state.pool, user.id, &user.token).await?))
}

/// Ends one of the caller's tokens by its listed id.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "the token's id from the list")),
    responses((status = 204), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<StatusCode> {
    if tokens::revoke_by_id(&state.pool, user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token"))
    }
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters; not a common password, not the login.
    #[schema(min_length = 10)]
    pub new_password: String,
}

/// Changes the caller's password; every other session and token of theirs ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody),
              (status = 429, body = crate::api::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    ApiJson(change): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    use super::OwnPasswordError;
    let lang = crate::i18n::request_lang(&headers);
    let address = client_address(&extensions);
    match super::change_own_password(
        &state.pool,
        &state.sign_in_policy,
        &user,
        &address,
        &change.current_password,
        &change.new_password,
        state.now(),
    )
    .await
    {
        Ok(()) => {}
        Err(OwnPasswordError::Throttled(wait)) => return Err(ApiError::too_many(wait)),
        Err(OwnPasswordError::WrongCurrent) => {
            return Err(ApiError::invalid("current_password", "the current password is wrong"));
        }
        Err(OwnPasswordError::Weak(weak)) => return Err(ApiError::invalid("new_password", weak.message(lang))),
        Err(OwnPasswordError::Database(e)) => return Err(e.into()),
        Err(OwnPasswordError::Hashing(e)) => return Err(ApiError::internal(e)),
    }
    Ok(StatusCode::NO_CONTENT)
}
