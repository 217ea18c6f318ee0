//! Auth's HTTP side: who a request says it is ([`credential`]: bearer token or session cookie),
//! the [`CurrentUser`] extractor every handler starts from, the session cookie's name, the
//! client's address for throttling, and how auth's refusals ([`AuthError`], [`Denied`],
//! [`UnknownShop`]) answer as an [`ApiError`] — made here once.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::{AuthError, CurrentUser, Denied, UnknownShop};
use crate::error::ApiError;
use crate::state::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "as_session";

/// How a request says who it is. Exactly one of the two counts: a bearer token when the
/// `Authorization` header carries one (the cookie is then ignored), else the session cookie.
/// Any other `Authorization` scheme counts for nothing. The [`CurrentUser`] extractor and the
/// CSRF check both decide through [`credential`], so they cannot disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>`: sent by a program, never attached by a browser on its
    /// own, so no CSRF token is needed.
    Bearer(String),
    /// The session cookie: a browser attaches it to any request, so state-changing requests
    /// must also carry the session's CSRF token.
    Session(String),
}

impl Credential {
    /// The token, whichever way it came.
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(token) | Credential::Session(token) => token,
        }
    }
}

/// The credential of a request, if any (see [`Credential`]).
pub fn credential(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
        });
    match bearer {
        Some(token) => Some(Credential::Bearer(token)),
        None => cookie(headers, SESSION_COOKIE).map(Credential::Session),
    }
}

/// The bearer token or session cookie of a request, if any (see [`credential`]).
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    credential(headers).map(|c| c.token().to_string())
}

/// One cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// The address a request came from (the TCP peer), for rate limiting.
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The signed-in user, from the request's [`credential`]; 401 `unauthenticated` without a live
/// one. Found once per request, then kept in the request's extensions.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let token = request_token(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let user = CurrentUser::from_token(&state.pool, &state.holders, &token)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl From<AuthError> for ApiError {
    /// 429 `rate_limited` with `Retry-After`; the database's errors as always; a fault of ours
    /// 500 (logged).
    fn from(error: AuthError) -> ApiError {
        match error {
            AuthError::RateLimited { retry_after } => ApiError::too_many(retry_after),
            AuthError::Storage(error) => ApiError::from(error),
            AuthError::Internal(error) => ApiError::internal(error),
        }
    }
}

impl From<Denied> for ApiError {
    /// 403 `forbidden`, naming the role and the action.
    fn from(denied: Denied) -> ApiError {
        ApiError::forbidden(format!(
            "your role ({}) may not {}; ask a supervisor or an admin",
            denied.role.as_str(),
            denied.action.name()
        ))
    }
}

impl From<UnknownShop> for ApiError {
    /// 404 `not_found`, resource `shop`: the same as for a shop that does not exist.
    fn from(_: UnknownShop) -> ApiError {
        ApiError::not_found("shop")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::{HeaderValue, StatusCode};

    use super::*;
    use crate::auth::Role;
    use crate::auth::permissions::Action;
    use crate::ids::{ShopId, UserId};

    fn agent() -> CurrentUser {
        CurrentUser {
            id: UserId(7),
            login: "agent7".into(),
            display_name: "Agent".into(),
            role: Role::Agent,
            shops: vec![ShopId(1)],
            token: "t".into(),
        }
    }

    #[test]
    fn a_per_shop_page_shows_the_shop_asked_for_if_seen_else_the_first() {
        let mut user = agent();
        user.shops = vec![ShopId(4), ShopId(2)];
        assert_eq!(user.shop_or_first(Some(ShopId(2))).ok(), Some(ShopId(2)));
        assert_eq!(user.shop_or_first(None).ok(), Some(ShopId(4)));
        assert!(user.shop_or_first(Some(ShopId(9))).is_err(), "a foreign shop");
        user.shops.clear();
        assert!(user.shop_or_first(None).is_err(), "no shop at all");
    }

    #[test]
    fn a_rate_limited_sign_in_answers_429_with_whole_seconds_to_wait() {
        let error = ApiError::from(AuthError::RateLimited {
            retry_after: Duration::from_millis(300),
        });
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.code, "rate_limited");
        assert_eq!(error.details["retry_after_seconds"], 1, "at least one second");
    }

    #[test]
    fn a_shop_the_user_may_not_see_answers_like_one_that_does_not_exist() {
        let user = agent();
        assert_eq!(user.require_shop(ShopId(1)), Ok(()));
        let error = ApiError::from(user.require_shop(ShopId(2)).unwrap_err());
        let missing = ApiError::not_found("shop");
        assert_eq!(
            (error.status, error.code, &error.details),
            (missing.status, missing.code, &missing.details)
        );
        assert_eq!(error.message, missing.message);
    }

    #[test]
    fn a_refusal_of_the_matrix_answers_403_naming_the_role_and_the_action() {
        let user = agent();
        assert_eq!(user.require(Action::ReadTickets), Ok(()));
        let denied = user.require(Action::ManageUsers).unwrap_err();
        assert_eq!(
            denied,
            Denied {
                role: Role::Agent,
                action: Action::ManageUsers
            }
        );
        let error = ApiError::from(denied);
        assert_eq!(error.status, StatusCode::FORBIDDEN);
        assert_eq!(error.code, "forbidden");
        assert!(
            error.message.contains("(agent) may not manage users"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_bearer_token_counts_before_the_session_cookie_and_other_schemes_count_for_nothing() {
        let mut headers = HeaderMap::new();
        assert_eq!(credential(&headers), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("lang=en; as_session=abc"));
        assert_eq!(credential(&headers), Some(Credential::Session("abc".into())));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic eDp5"));
        assert_eq!(credential(&headers), Some(Credential::Session("abc".into())));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer  xyz "));
        assert_eq!(credential(&headers), Some(Credential::Bearer("xyz".into())));
        assert_eq!(request_token(&headers).as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "lang").as_deref(), Some("en"));
    }
}
