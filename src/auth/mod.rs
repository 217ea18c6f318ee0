//! Who is asking: sign-in, sessions, API tokens, and the [`CurrentUser`] extractor every
//! handler starts from. Roles and shop membership live on the user; an agent only ever sees
//! the shops they belong to.

pub mod api;
pub mod page;
pub mod password;
pub mod permissions;
pub mod rate_limit;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::ids::{ShopId, UserId};
use crate::state::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "as_session";

/// What a user may do. The full permission matrix is in `permissions`; here is only the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 售后客服: works tickets.
    Agent,
    /// 主管: also reassigns, overrides rules, sees follow-up queues.
    Supervisor,
    /// 店主: reports, tickets read-only.
    Owner,
    /// Sets up shops, users, calendar, settings; sees every shop.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Agent, Role::Supervisor, Role::Owner, Role::Admin];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Owner => "owner",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The catalogue key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Agent => "role.agent",
            Role::Supervisor => "role.supervisor",
            Role::Owner => "role.owner",
            Role::Admin => "role.admin",
        }
    }
}

/// What the permission matrix refused: this role may not do this action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub role: Role,
    pub action: permissions::Action,
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

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The shops this user may see. Admins see every shop.
    pub shops: Vec<ShopId>,
    /// The token the request came with (to end it on logout).
    pub token: String,
}

impl CurrentUser {
    /// Whether the user may see `shop` at all (else: 404).
    pub fn can_see_shop(&self, shop: ShopId) -> bool {
        self.shops.contains(&shop)
    }

    /// Errors unless the user may see `shop`: an unknown shop and a foreign one look the same.
    pub fn require_shop(&self, shop: ShopId) -> Result<(), ApiError> {
        if self.can_see_shop(shop) {
            Ok(())
        } else {
            Err(ApiError::not_found("shop"))
        }
    }

    /// Errors (403) unless the matrix lets this user's role do `action`. Every refusal is logged,
    /// with ids only — no names, no personal data.
    pub fn require(&self, action: permissions::Action) -> Result<(), ApiError> {
        self.permit(action).map_err(ApiError::from)
    }

    /// [`require`](Self::require) for services, which answer with their own error types: the
    /// refusal (logged the same way) without HTTP.
    pub fn permit(&self, action: permissions::Action) -> Result<(), Denied> {
        if permissions::allows(self.role, action) {
            return Ok(());
        }
        tracing::warn!(user = %self.id, role = self.role.as_str(), action = action.name(), "permission denied");
        Err(Denied {
            role: self.role,
            action,
        })
    }

    /// Whether the matrix lets this user do `action`.
    pub fn may(&self, action: permissions::Action) -> bool {
        permissions::allows(self.role, action)
    }

    /// Loads the user a token belongs to.
    pub async fn from_token(state: &AppState, token: &str) -> Result<Option<CurrentUser>, ApiError> {
        let Some(user_id) = tokens::user_for(&state.pool, token).await? else {
            return Ok(None);
        };
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT login, display_name, role FROM users WHERE id = $1 AND NOT disabled")
                .bind(user_id)
                .fetch_optional(&state.pool)
                .await?;
        let Some((login, display_name, role)) = row else {
            return Ok(None);
        };
        let role = Role::parse(&role).ok_or_else(|| ApiError::internal(format!("unknown role {role} in database")))?;
        let shops: Vec<ShopId> = if role == Role::Admin {
            sqlx::query_scalar("SELECT id FROM shops ORDER BY id")
                .fetch_all(&state.pool)
                .await?
        } else {
            sqlx::query_scalar("SELECT shop_id FROM shop_members WHERE user_id = $1 ORDER BY shop_id")
                .bind(user_id)
                .fetch_all(&state.pool)
                .await?
        };
        Ok(Some(CurrentUser {
            id: user_id,
            login,
            display_name,
            role,
            shops,
            token: token.to_string(),
        }))
    }
}

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

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let token = request_token(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let user = CurrentUser::from_token(state, &token)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The address a request came from (the TCP peer), for rate limiting.
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Signs in with throttling ([`rate_limit`]): 429 while the account or the address must wait,
/// `None` for wrong credentials (counted), the user on success (the account's count cleared).
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    address: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<UserId>, ApiError> {
    let attempt = rate_limit::begin(&state.pool, &state.sign_in_policy, login, address, now)
        .await?
        .map_err(ApiError::too_many)?;
    let user = authenticate(&state.pool, login, password).await?;
    // The login as typed, cut short: it is what was tried, and never holds more than a login.
    let subject: String = login.chars().take(64).collect();
    let details = serde_json::json!({ "address": address });
    match user {
        Some(id) => {
            rate_limit::succeeded(&state.pool, &attempt).await?;
            crate::audit::record(
                &state.pool,
                id,
                crate::audit::action::SIGNED_IN,
                None,
                &subject,
                details,
            )
            .await?;
        }
        None => {
            tracing::warn!(address, "failed sign-in");
            crate::audit::record(
                &state.pool,
                None,
                crate::audit::action::SIGN_IN_FAILED,
                None,
                &subject,
                details,
            )
            .await?;
        }
    }
    Ok(user)
}

/// Checks a login and password; `None` for an unknown login, a wrong password or a disabled
/// user alike (the caller cannot tell which).
pub async fn authenticate(pool: &sqlx::PgPool, login: &str, password: &str) -> Result<Option<UserId>, ApiError> {
    let row: Option<(UserId, String, bool)> =
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE lower(login) = lower($1)")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let password = password.to_string();
    let stored = row.as_ref().map(|(_, hash, _)| hash.clone());
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&password, &hash),
        None => {
            password::verify(&password, password::decoy_hash());
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(match row {
        Some((id, _, false)) if matches => Some(id),
        _ => None,
    })
}
