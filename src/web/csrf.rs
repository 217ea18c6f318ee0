//! Protection against cross-site request forgery for everything a browser session can change.
//!
//! A request that changes state (POST, PUT, PATCH, DELETE) and is authenticated by the session
//! cookie must carry the session's CSRF token: htmx sends it as the `X-CSRF-Token` header (set
//! once on `<body hx-headers>`), plain forms as a hidden `csrf` field, file uploads in the
//! action's query string. The token is derived from the session token, which scripts cannot
//! read (HttpOnly), so another site cannot know it. Bearer-token API calls need none: a browser
//! never attaches them on its own. The SameSite=Lax cookie is a second line of defence.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::{SESSION_COOKIE, cookie};
use crate::error::ApiError;

/// The form field and query parameter that carry the token.
pub const FIELD: &str = "csrf";
/// The header htmx sends it in.
pub const HEADER: &str = "x-csrf-token";
/// Largest form body read to find the field.
const MAX_FORM: usize = 1024 * 1024;

/// The CSRF token of a session.
pub fn token_for(session_token: &str) -> String {
    let digest = Sha256::digest(format!("csrf:{session_token}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Refuses state-changing requests of a browser session that lack the session's token.
pub async fn require_token(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let bearer = headers.get(header::AUTHORIZATION).is_some();
    let Some(session) = cookie(headers, SESSION_COOKIE).filter(|_| !bearer) else {
        // Not a cookie session: nothing a forged cross-site request could use.
        return next.run(request).await;
    };
    if request.uri().path() == "/login" {
        return next.run(request).await;
    }
    let expected = token_for(&session);
    if headers.get(HEADER).and_then(|v| v.to_str().ok()) == Some(expected.as_str())
        || query_token(&request) == Some(expected.clone())
    {
        return next.run(request).await;
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
            return refuse(parts.uri.path());
        };
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if fields.iter().any(|(name, value)| name == FIELD && *value == expected) {
            return next.run(Request::from_parts(parts, Body::from(bytes))).await;
        }
        return refuse(parts.uri.path());
    }
    refuse(request.uri().path())
}

fn query_token(request: &Request) -> Option<String> {
    let query = request.uri().query()?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    fields
        .into_iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value)
}

fn refuse(path: &str) -> Response {
    tracing::warn!(path, "request without a valid CSRF token refused");
    let error = ApiError::forbidden(
        "this form is out of date or did not come from the desk (missing CSRF token); reload the page and try again",
    );
    let error = ApiError { code: "csrf", ..error };
    if path.starts_with("/api/") {
        return error.into_response();
    }
    (StatusCode::FORBIDDEN, axum::response::Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>403</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"container\"><div class=\"error-page\"><div class=\"code\">403</div><h1>表单已过期 / Form expired</h1>\
         <p>请刷新页面后重试。Reload the page and try again.</p><p><a class=\"btn btn-primary\" href=\"/\">返回 / Back</a></p></div></main></body></html>",
        css = crate::assets::url("app.css")
    )))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_are_stable() {
        assert_eq!(token_for("a"), token_for("a"));
        assert_ne!(token_for("a"), token_for("b"));
        assert_eq!(token_for("a").len(), 32);
    }
}
