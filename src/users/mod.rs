//! Users of the desk and their shop memberships. Owns the `users` table.

pub mod api;
pub mod page;

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
    let hash = password::off_thread(move || password::hash(&pw)).await??;
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
    let hash = password::off_thread(move || password::hash(&pw)).await??;
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
    let hash = password::off_thread(move || {
        if password::verify(&current, &stored) {
            password::hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await??;
    let hash = hash.ok_or(PasswordChangeError::WrongPassword)?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// A user as the admin's list shows them.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct UserRow {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    #[schema(value_type = String)]
    #[sqlx(try_from = "String")]
    pub role: RoleName,
    #[schema(value_type = Vec<i64>)]
    pub shops: Vec<ShopId>,
    /// A deactivated user cannot sign in; their sessions ended when they were deactivated.
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The last successful sign-in, if any.
    pub last_sign_in: Option<chrono::DateTime<chrono::Utc>>,
}

/// A role as read from a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoleName(pub Role);

impl TryFrom<String> for RoleName {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Role::parse(&value)
            .map(RoleName)
            .ok_or_else(|| format!("unexpected role `{value}`"))
    }
}

/// Every user, admins first, then by login, with their shops and last sign-in.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(
        "SELECT u.id, u.login, u.display_name, u.role, u.disabled, u.created_at,
                COALESCE(array_agg(m.shop_id ORDER BY m.shop_id) FILTER (WHERE m.shop_id IS NOT NULL), '{}') AS shops,
                (SELECT max(a.at) FROM audit_log a WHERE a.actor_id = u.id AND a.action = 'auth.signed_in') AS last_sign_in
         FROM users u LEFT JOIN shop_members m ON m.user_id = u.id
         GROUP BY u.id ORDER BY u.disabled, array_position(ARRAY['admin', 'owner', 'supervisor', 'agent'], u.role), lower(u.login)",
    )
    .fetch_all(pool)
    .await
}

/// A change to a user by an admin; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// 1–100 characters.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// The shops the user belongs to, all of them (replaces the list).
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    pub shops: Option<Vec<ShopId>>,
    /// `true` deactivates (every session ends at once), `false` reactivates.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Why a change to a user was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// A field cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(crate::edge::FieldError),
    /// No such user.
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

/// What an admin's change did, for the audit log.
#[derive(Debug, Serialize)]
pub struct Changed {
    pub login: String,
    pub display_name: Option<String>,
    pub role: Option<&'static str>,
    pub shops: Option<Vec<ShopId>>,
    pub disabled: Option<bool>,
    /// Sessions and tokens ended by the change.
    pub signed_out: u64,
}

/// Applies an admin's change to a user in one transaction. Deactivating ends every session and
/// token of theirs at once. An admin cannot deactivate themselves or give up their own admin
/// role (the desk would lose the person who can undo it).
pub async fn update(pool: &PgPool, by: UserId, id: UserId, change: &UserChange) -> Result<Changed, UserError> {
    use crate::edge::FieldError;
    let display_name = match change.display_name.as_deref().map(str::trim) {
        Some(name) if name.is_empty() || name.chars().count() > 100 => {
            return Err(UserError::Invalid(FieldError::new(
                "display_name",
                "users.error.display_name",
            )));
        }
        other => other.map(str::to_string),
    };
    if id == by && change.disabled == Some(true) {
        return Err(UserError::Invalid(FieldError::new(
            "disabled",
            "users.error.not_yourself",
        )));
    }
    if id == by && change.role.is_some_and(|r| r != Role::Admin) {
        return Err(UserError::Invalid(FieldError::new("role", "users.error.not_yourself")));
    }
    let mut tx = pool.begin().await?;
    let login: String = sqlx::query_scalar("SELECT login FROM users WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(UserError::NotFound)?;
    sqlx::query(
        "UPDATE users SET display_name = COALESCE($2, display_name), role = COALESCE($3, role),
                          disabled = COALESCE($4, disabled) WHERE id = $1",
    )
    .bind(id)
    .bind(&display_name)
    .bind(change.role.map(Role::as_str))
    .bind(change.disabled)
    .execute(&mut *tx)
    .await?;
    let shops = match &change.shops {
        Some(shops) => {
            let mut shops = shops.clone();
            shops.sort();
            shops.dedup();
            let known: i64 = sqlx::query_scalar("SELECT count(*) FROM shops WHERE id = ANY($1)")
                .bind(&shops)
                .fetch_one(&mut *tx)
                .await?;
            if known != shops.len() as i64 {
                return Err(UserError::Invalid(FieldError::new("shops", "users.error.unknown_shop")));
            }
            sqlx::query("DELETE FROM shop_members WHERE user_id = $1 AND NOT (shop_id = ANY($2))")
                .bind(id)
                .bind(&shops)
                .execute(&mut *tx)
                .await?;
            for &shop in &shops {
                crate::shops::add_member(&mut *tx, shop, id).await?;
            }
            Some(shops)
        }
        None => None,
    };
    let signed_out = if change.disabled == Some(true) {
        crate::auth::tokens::revoke_all(&mut tx, id).await?
    } else {
        0
    };
    // The user's name, role or shops as every server keeps them for their tokens (`auth::held`).
    crate::auth::held::announce(&mut *tx).await?;
    tx.commit().await?;
    crate::auth::held::changed();
    Ok(Changed {
        login,
        display_name,
        role: change.role.map(Role::as_str),
        shops,
        disabled: change.disabled,
        signed_out,
    })
}

/// The characters of generated passwords: letters and digits a person cannot confuse when
/// reading them out or typing them (no 0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// A fresh password of 14 characters from [`PASSWORD_ALPHABET`] (about 81 bits), drawn from the
/// operating system's random source without bias.
pub fn generate_password() -> String {
    let mut out = String::with_capacity(14);
    let limit = 256 - (256 % PASSWORD_ALPHABET.len());
    while out.len() < 14 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).expect("the operating system's random source is available");
        if usize::from(byte[0]) < limit {
            out.push(char::from(
                PASSWORD_ALPHABET[usize::from(byte[0]) % PASSWORD_ALPHABET.len()],
            ));
        }
    }
    out
}

/// Gives a user a new generated password (shown once to the admin) and ends every session and
/// token of theirs. Returns the login and the password.
pub async fn reset_password(pool: &PgPool, id: UserId) -> Result<(String, String), UserError> {
    let password = generate_password();
    let pw = password.clone();
    let hash = password::off_thread(move || password::hash(&pw)).await??;
    let mut tx = pool.begin().await?;
    let login: String = sqlx::query_scalar("UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING login")
        .bind(id)
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(UserError::NotFound)?;
    crate::auth::tokens::revoke_all(&mut tx, id).await?;
    tx.commit().await?;
    crate::auth::held::changed();
    Ok((login, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_unambiguous_and_pass_the_strength_check() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let password = generate_password();
            assert_eq!(password.len(), 14);
            assert!(password.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)), "{password}");
            assert!(password::check_strength(&password, "agent7").is_ok(), "{password}");
            assert!(seen.insert(password), "no repeats");
        }
    }
}
