//! Protection against cross-site request forgery for everything a browser session can change.
//!
//! A request that changes state (POST, PUT, PATCH, DELETE) and is authenticated by the session
//! cookie must carry the session's CSRF token: htmx sends it as the `X-CSRF-Token` header (set
//! once on `<body hx-headers>`), plain forms as a hidden `csrf` field, file uploads in the
//! action's query string (checked here too, before the body is read). The token is derived from the session token, which scripts cannot
//! read (HttpOnly), so another site cannot know it. Bearer-token API calls need none: a browser
//! never attaches them on its own. The SameSite=Lax cookie is a second line of defence.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::auth::extract::{Credential, credential};
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
    let Some(Credential::Session(session)) = credential(headers) else {
        // A bearer token or nothing: nothing a forged cross-site request could use.
        return next.run(request).await;
    };
    if request.uri().path() == "/login" {
        // Signing in checks where the form came from instead ([`same_origin`]).
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
            return refuse(&Request::from_parts(parts, Body::empty()));
        };
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if fields.iter().any(|(name, value)| name == FIELD && *value == expected) {
            return next.run(Request::from_parts(parts, Body::from(bytes))).await;
        }
        return refuse(&Request::from_parts(parts, Body::empty()));
    }
    refuse(&request)
}

/// Whether a request comes from a page of this site, judged by `Origin` (its host must be the
/// request's own `Host`, or the origin of the configured public URL), else by `Sec-Fetch-Site` (`same-origin` or `none`, a typed address or
/// bookmark). A request with neither header (curl, scripts, old browsers) passes: only
/// browsers send a forged cross-site post, and today's browsers send at least one of the two.
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN) {
        return is_own_origin(origin, headers, public_origin);
    }
    match text(HeaderName::from_static("sec-fetch-site")) {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => true,
    }
}

/// Whether `origin` (`scheme://host[:port]`) is this desk's: the configured public URL's origin,
/// or the request's own `Host`.
pub fn is_own_origin(origin: &str, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if public_origin.is_some_and(|public| public.eq_ignore_ascii_case(origin.trim_end_matches('/'))) {
        return true;
    }
    let origin_host = origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/'));
    origin_host.is_some() && origin_host == headers.get(header::HOST).and_then(|v| v.to_str().ok())
}

fn refusal() -> ApiError {
    ApiError {
        code: "csrf",
        ..ApiError::forbidden(
            "this form is out of date or did not come from the desk (missing CSRF token); reload the page and try again",
        )
    }
}

fn query_token(request: &Request) -> Option<String> {
    let query = request.uri().query()?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    fields
        .into_iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value)
}

fn refuse(request: &Request) -> Response {
    tracing::warn!(
        path = request.uri().path(),
        "request without a valid CSRF token refused"
    );
    crate::web::early_error(request.headers(), request.uri(), refusal())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_differ_per_session_and_are_stable() {
        assert_eq!(token_for("a"), token_for("a"));
        assert_ne!(token_for("a"), token_for("b"));
        assert_eq!(token_for("a").len(), 32);
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn a_sign_in_is_same_origin_by_origin_else_by_fetch_site_else_allowed() {
        let host = ("host", "desk.example.com:8080");
        assert!(same_origin(
            &headers(&[host, ("origin", "https://desk.example.com:8080")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            None
        ));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), None));
        assert!(
            !same_origin(
                &headers(&[
                    host,
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "same-origin")
                ]),
                None
            ),
            "Origin decides when present"
        );
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")]), None));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "none")]), None));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")]), None));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")]), None));
        assert!(
            same_origin(&headers(&[host]), None),
            "curl and old browsers send neither"
        );
        let behind_proxy = headers(&[("host", "10.0.0.7:8080"), ("origin", "https://desk.example.com")]);
        assert!(same_origin(&behind_proxy, Some("https://desk.example.com")));
        assert!(!same_origin(&behind_proxy, None));
    }
}
