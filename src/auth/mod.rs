//! Who is asking, without HTTP: the signed-in [`CurrentUser`] (role and shops) and the checks
//! handlers and services make on them, sign-in with throttling, and the user a token belongs
//! to. Roles and shop membership live on the user; an agent only ever sees the shops they
//! belong to. These answer with [`AuthError`], [`Denied`] or [`UnknownShop`]; reading a request
//! (the `CurrentUser` extractor, cookies) and the HTTP answers to those errors are in
//! [`extract`].

pub mod api;
pub mod extract;
pub mod held;
pub mod page;
pub mod password;
pub mod permissions;
pub mod rate_limit;
pub mod tokens;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::ids::{ShopId, UserId};

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

/// What the permission matrix refused: this role may not do this action (403 `forbidden`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub role: Role,
    pub action: permissions::Action,
}

/// A shop the user may not see. It is answered like a shop that does not exist (404
/// `not_found`), so that nobody learns which shops there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownShop;

/// Why signing in or finding the user of a token did not get an answer. Wrong credentials and a
/// dead token are not errors: those answer `None`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Too many failed attempts at the password (the account's or the address's): nothing was
    /// checked; the next attempt may come after `retry_after` (429 `rate_limited`).
    #[error("too many failed attempts at the password; wait {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    /// The database refused or could not be reached.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// A fault of ours (logged where it is turned into an answer).
    #[error("{0}")]
    Internal(String),
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
    pub fn require_shop(&self, shop: ShopId) -> Result<(), UnknownShop> {
        if self.can_see_shop(shop) {
            Ok(())
        } else {
            Err(UnknownShop)
        }
    }

    /// The shop a per-shop page shows: the one asked for, if the user may see it, else their
    /// first. A foreign shop, or none at all, is [`UnknownShop`].
    pub fn shop_or_first(&self, wanted: Option<ShopId>) -> Result<ShopId, UnknownShop> {
        match wanted {
            Some(shop) => self.require_shop(shop).map(|()| shop),
            None => self.shops.first().copied().ok_or(UnknownShop),
        }
    }

    /// Errors unless the matrix lets this user's role do `action`. Every refusal is logged, with
    /// ids only — no names, no personal data. Services turn [`Denied`] into their own error;
    /// handlers answer it with `?` (403 in JSON, the error page in a browser).
    pub fn require(&self, action: permissions::Action) -> Result<(), Denied> {
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

    /// Loads the user a live token belongs to; `None` for an unknown or expired token, or a
    /// disabled user. The holder kept in `holders` when it may be used ([`held`]), else one
    /// statement (every request that carries a token asks it), kept for the next.
    pub async fn from_token(
        pool: &PgPool,
        holders: &held::Holders,
        token: &str,
    ) -> Result<Option<CurrentUser>, AuthError> {
        let digest = tokens::digest(token);
        // The database's clock (not the desk's, which tests fix) says when a token expires.
        let now = Utc::now();
        let holder = match holders.kept(&digest, now) {
            Some(holder) => holder,
            None => {
                let from = holders.read_from();
                let Some((id, login, display_name, role, shops, expires_at)) = tokens::holder(pool, &digest).await?
                else {
                    return Ok(None);
                };
                let role = Role::parse(&role)
                    .ok_or_else(|| AuthError::Internal(format!("unknown role {role} in database")))?;
                let holder = held::Holder {
                    id,
                    login,
                    display_name,
                    role,
                    shops,
                    expires_at,
                };
                holders.keep(digest, holder.clone(), from, now);
                holder
            }
        };
        Ok(Some(CurrentUser {
            id: holder.id,
            login: holder.login,
            display_name: holder.display_name,
            role: holder.role,
            shops: holder.shops,
            token: token.to_string(),
        }))
    }
}

/// Signs in from `address` with throttling ([`rate_limit`], by `policy`):
/// [`AuthError::RateLimited`] while the account or the address must wait, `None` for wrong
/// credentials (counted), the user on success (the account's count cleared). Every attempt that
/// was checked goes into the audit log.
pub async fn sign_in(
    pool: &PgPool,
    policy: &rate_limit::Policy,
    login: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserId>, AuthError> {
    let attempt = rate_limit::begin(pool, policy, login, address, now)
        .await?
        .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
    let user = authenticate(pool, login, password).await?;
    // The login as typed, cut short: it is what was tried, and never holds more than a login.
    let subject: String = login.chars().take(64).collect();
    let details = serde_json::json!({ "address": address });
    match user {
        Some(id) => {
            rate_limit::succeeded(pool, &attempt).await?;
            crate::audit::record(pool, id, crate::audit::action::SIGNED_IN, None, &subject, details).await?;
        }
        None => {
            tracing::warn!(address, "failed sign-in");
            crate::audit::record(
                pool,
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
pub async fn authenticate(pool: &PgPool, login: &str, password: &str) -> Result<Option<UserId>, AuthError> {
    let row: Option<(UserId, String, bool)> =
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE lower(login) = lower($1)")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let password = password.to_string();
    let stored = row.as_ref().map(|(_, hash, _)| hash.clone());
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let matches = password::off_thread(move || match stored {
        Some(hash) => password::verify(&password, &hash),
        None => {
            password::verify(&password, password::decoy_hash());
            false
        }
    })
    .await
    .map_err(|error| AuthError::Internal(format!("{error:#}")))?;
    Ok(match row {
        Some((id, _, false)) if matches => Some(id),
        _ => None,
    })
}

/// Why the caller's own password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum OwnPasswordError {
    /// Too many wrong current passwords: wait this long.
    #[error("too many failed attempts; wait {0:?}")]
    Throttled(std::time::Duration),
    /// The current password given is not theirs.
    #[error("the current password is wrong")]
    WrongCurrent,
    /// The new password is too weak.
    #[error("new_password: {0}")]
    Weak(password::WeakPassword),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(anyhow::Error),
}

/// Changes the signed-in user's own password: the current one is checked (and guessing it is
/// throttled like signing in, from `address`), every other session and token of theirs ends,
/// and the change is audited. The API and the account page both come here.
pub async fn change_own_password(
    pool: &PgPool,
    policy: &rate_limit::Policy,
    user: &CurrentUser,
    address: &str,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), OwnPasswordError> {
    use crate::users::PasswordChangeError;
    password::check_strength(new, &user.login).map_err(OwnPasswordError::Weak)?;
    let attempt = rate_limit::begin(pool, policy, &user.login, address, now)
        .await?
        .map_err(OwnPasswordError::Throttled)?;
    match crate::users::change_password(pool, user.id, current, new).await {
        Ok(()) => rate_limit::succeeded(pool, &attempt).await?,
        Err(PasswordChangeError::WrongPassword) => {
            tracing::warn!(user = %user.id, address, "wrong current password on a password change");
            return Err(OwnPasswordError::WrongCurrent);
        }
        Err(PasswordChangeError::Weak(weak)) => return Err(OwnPasswordError::Weak(weak)),
        Err(PasswordChangeError::Database(e)) => return Err(e.into()),
        Err(PasswordChangeError::Hashing(e)) => return Err(OwnPasswordError::Hashing(e)),
    }
    tokens::revoke_others(pool, user.id, &user.token).await?;
    crate::audit::record(
        pool,
        user.id,
        crate::audit::action::PASSWORD_CHANGED,
        None,
        &user.login,
        serde_json::json!({}),
    )
    .await?;
    tracing::info!(user = %user.id, "password changed");
    Ok(())
}
