//! Users of the desk and their shop memberships. Owns the `users` table.

pub mod api;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::auth::{Role, password};
use crate::ids::{ShopId, UserId};

/// A new user, as checked at the edge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 2–64 characters: letters, digits, `.`, `_`, `-`.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$", example = "agent7")]
    pub login: String,
    /// At least 10 characters; not a common password, not the login.
    #[schema(min_length = 10)]
    pub password: String,
    pub role: Role,
    /// The shops the user belongs to.
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub shops: Vec<ShopId>,
    /// Name shown in the desk (defaults to the login).
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    #[schema(value_type = Vec<i64>)]
    pub shops: Vec<ShopId>,
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    #[error("password: {0}")]
    WeakPassword(password::WeakPassword),
    #[error("a user with the login `{0}` exists already (logins are compared without regard to case); choose another")]
    LoginTaken(String),
    #[error("no shop with id {0}")]
    UnknownShop(ShopId),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

impl NewUser {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), CreateUserError> {
        let login_ok = (2..=64).contains(&self.login.len())
            && self
                .login
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && self.login.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
        if !login_ok {
            return Err(CreateUserError::Invalid(
                "login",
                "use 2–64 characters: letters, digits, `.`, `_` or `-`, starting with a letter or digit".into(),
            ));
        }
        password::check_strength(&self.password, &self.login).map_err(CreateUserError::WeakPassword)?;
        if let Some(name) = &self.display_name
            && (name.trim().is_empty() || name.chars().count() > 100)
        {
            return Err(CreateUserError::Invalid(
                "display_name",
                "give a name of 1–100 characters".into(),
            ));
        }
        Ok(())
    }
}

/// Creates a user with their memberships, in one transaction.
pub async fn create(pool: &PgPool, user: &NewUser) -> Result<UserView, CreateUserError> {
    user.validate()?;
    let pw = user.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))??;
    let display_name = user
        .display_name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&user.login)
        .to_string();
    let mut tx = pool.begin().await?;
    let id: Option<UserId> = sqlx::query_scalar(
        "INSERT INTO users (login, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (lower(login)) DO NOTHING RETURNING id",
    )
    .bind(&user.login)
    .bind(&display_name)
    .bind(user.role.as_str())
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| CreateUserError::LoginTaken(user.login.clone()))?;
    let mut shops = user.shops.clone();
    shops.sort();
    shops.dedup();
    for &shop in &shops {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shops WHERE id = $1)")
            .bind(shop)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(CreateUserError::UnknownShop(shop));
        }
        crate::shops::add_member(&mut *tx, shop, id).await?;
    }
    tx.commit().await?;
    Ok(UserView {
        id,
        login: user.login.clone(),
        display_name,
        role: user.role,
        shops,
    })
}

/// Sets a user's password (used by the demo loader to keep known logins working).
pub async fn set_password(pool: &PgPool, login: &str, new_password: &str) -> anyhow::Result<()> {
    let pw = new_password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw)).await??;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE lower(login) = lower($1)")
        .bind(login)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Why a password could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("new_password: {0}")]
    Weak(password::WeakPassword),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

/// Changes a user's password after checking the current one.
pub async fn change_password(pool: &PgPool, user: UserId, current: &str, new: &str) -> Result<(), PasswordChangeError> {
    let (login, stored): (String, String) = sqlx::query_as("SELECT login, password_hash FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(pool)
        .await?;
    password::check_strength(new, &login).map_err(PasswordChangeError::Weak)?;
    let (current, new) = (current.to_string(), new.to_string());
    let hash = tokio::task::spawn_blocking(move || {
        if password::verify(&current, &stored) {
            password::hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))??;
    let hash = hash.ok_or(PasswordChangeError::WrongPassword)?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(())
}
