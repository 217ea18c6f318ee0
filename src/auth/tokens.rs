//! Session and API tokens: 256 random bits handed to the client once; only their SHA-256 is
//! stored, so a copy of the database does not let anyone sign in.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::ids::{ShopId, UserId};

/// How long a browser session lasts without signing in again.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// How long an API token lasts.
pub const API_TOKEN_LIFETIME: Duration = Duration::days(90);

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    Api,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            TokenKind::Session => SESSION_LIFETIME,
            TokenKind::Api => API_TOKEN_LIFETIME,
        }
    }
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something to carry on from.
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token's SHA-256, as stored.
pub fn digest(token: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(&Sha256::digest(token.as_bytes()));
    out
}

/// Issues a token for `user`; returns the token (shown once) and when it expires.
pub async fn issue(
    pool: &PgPool,
    user: UserId,
    kind: TokenKind,
    label: Option<&str>,
) -> sqlx::Result<(String, DateTime<Utc>)> {
    let token = random_token();
    let expires_at = Utc::now() + kind.lifetime();
    sqlx::query("INSERT INTO auth_tokens (token_hash, user_id, kind, label, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(digest(&token).to_vec())
        .bind(user)
        .bind(kind.as_str())
        .bind(label)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok((token, expires_at))
}

/// What [`holder`] reads: the user's id, login, name, role (as stored), the shops they may see
/// (every shop for an admin) in order, and when the token expires.
pub type HolderRow = (UserId, String, String, String, Vec<ShopId>, DateTime<Utc>);

/// Who holds the live token of `digest` (not expired, user not disabled).
pub async fn holder(pool: &PgPool, digest: &[u8; 32]) -> sqlx::Result<Option<HolderRow>> {
    sqlx::query_as(
        "SELECT u.id, u.login, u.display_name, u.role,
                CASE WHEN u.role = $2 THEN ARRAY(SELECT s.id FROM shops s ORDER BY s.id)
                     ELSE ARRAY(SELECT m.shop_id FROM shop_members m WHERE m.user_id = u.id ORDER BY m.shop_id)
                END,
                t.expires_at
         FROM auth_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.expires_at > now() AND NOT u.disabled",
    )
    .bind(&digest[..])
    .bind(super::Role::Admin.as_str())
    .fetch_optional(pool)
    .await
}

/// Ends a token (logout).
pub async fn revoke(pool: &PgPool, token: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM auth_tokens WHERE token_hash = $1")
        .bind(digest(token).to_vec())
        .execute(pool)
        .await?;
    super::held::announce(pool).await
}

/// A token as its owner may list it: never the token itself, only a short id of its hash.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenInfo {
    /// 16 hex digits identifying the token (from its hash).
    pub id: String,
    /// `session` or `api`.
    pub kind: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether this is the token of the request that listed it.
    #[sqlx(skip)]
    pub current: bool,
}

/// The live tokens of a user, newest first.
pub async fn list(pool: &PgPool, user: UserId, current_token: &str) -> sqlx::Result<Vec<TokenInfo>> {
    let mut tokens: Vec<TokenInfo> = sqlx::query_as(
        "SELECT substr(encode(token_hash, 'hex'), 1, 16) AS id, kind, label, created_at, expires_at
         FROM auth_tokens WHERE user_id = $1 AND expires_at > now() ORDER BY created_at DESC",
    )
    .bind(user)
    .fetch_all(pool)
    .await?;
    let current_id: String = digest(current_token)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    for token in &mut tokens {
        token.current = token.id == current_id;
    }
    Ok(tokens)
}

/// Ends one of a user's tokens by its listed id; false if there is no such token.
pub async fn revoke_by_id(pool: &PgPool, user: UserId, id: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1 AND substr(encode(token_hash, 'hex'), 1, 16) = $2")
            .bind(user)
            .bind(id)
            .execute(pool)
            .await?;
    super::held::announce(pool).await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every token of a user (deactivated, or given a new password by an admin), inside the
/// caller's transaction.
pub async fn revoke_all(conn: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    super::held::announce(conn).await?;
    Ok(done.rows_affected())
}

/// Ends every token of a user but `keep` (after a password change).
pub async fn revoke_others(pool: &PgPool, user: UserId, keep: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1 AND token_hash <> $2")
        .bind(user)
        .bind(digest(keep).to_vec())
        .execute(pool)
        .await?;
    super::held::announce(pool).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 32);
        assert_ne!(digest(&a), digest(&b));
    }
}
