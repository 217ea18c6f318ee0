//! The page shell shared by every feature's pages (server-rendered with askama; htmx swaps
//! fragments in place, and every form also works as a plain post without JavaScript): the
//! layout and flash views, the page extractors, CSRF, the error page, the language switch. The
//! pages themselves live in their features (`tickets/pages/`, `follow_ups/page.rs`, …).

pub mod csrf;
pub mod error;
pub mod multipart;
pub mod transport;
pub mod views;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
pub use error::{FormErrors, PageError, PageResult, render_errors};

/// The page shell's own route: the header's language switch.
pub fn router() -> Router<AppState> {
    Router::new().route("/lang/{code}", get(switch_language))
}

/// The signed-in user of a page request; without one, the browser goes to the login page.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(PageUser(user)),
            Err(error) if error.status == StatusCode::UNAUTHORIZED => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(if parts.headers.contains_key("hx-request") {
                    // htmx follows HX-Redirect with a full page load.
                    let mut response = StatusCode::OK.into_response();
                    if let Ok(value) = HeaderValue::from_str(&target) {
                        response.headers_mut().insert("hx-redirect", value);
                    }
                    response
                } else {
                    Redirect::to(&target).into_response()
                })
            }
            Err(error) => Err(error.into_response()),
        }
    }
}

/// What every page handler starts from: who is signed in (without anyone, the browser goes to
/// the login page), the translator in their language, the address asked for (path and query),
/// and whether htmx asked (and wants a fragment back).
pub struct Page {
    pub user: CurrentUser,
    pub t: Tr,
    pub path: String,
    pub htmx: bool,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let PageUser(user) = PageUser::from_request_parts(parts, state).await?;
        Ok(Page {
            user,
            t: translator(&parts.headers),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            htmx: is_htmx(&parts.headers),
        })
    }
}

/// Whether the request came from htmx (and wants a fragment back).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The translator for a page request: Chinese unless the user switched to English (the `lang`
/// cookie set by the header's language switch). The browser's own language is not consulted:
/// the desk's users work in Chinese whatever their browser says.
pub fn translator(headers: &HeaderMap) -> Tr {
    let lang = crate::auth::extract::cookie(headers, "lang")
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default();
    Tr::new(lang, chrono_tz::Asia::Shanghai)
}

/// Renders a template into a response.
pub fn render(template: &impl Template) -> Result<Html<String>, ApiError> {
    Ok(Html(template.render()?))
}

/// Renders a template into a response, for a handler that answers [`PageResult`].
pub fn render_page(template: &impl Template) -> PageResult<Html<String>> {
    Ok(Html(template.render()?))
}

fn error_page(tr: Tr, status: StatusCode, code: &'static str, message: &str) -> Response {
    PageError::from(ApiError {
        status,
        code,
        message: message.to_string(),
        details: serde_json::Value::Null,
    })
    .page(tr)
}

/// An error answered before any handler ran: JSON under `/api`, a page elsewhere.
pub fn early_error(headers: &HeaderMap, uri: &axum::http::Uri, error: ApiError) -> Response {
    if uri.path().starts_with("/api/") {
        return error.into_response();
    }
    error_page(translator(headers), error.status, error.code, &error.message)
}

/// An error of a route outside the pages' error layer (the uploads): JSON for a program (a
/// bearer token, or an address under `/api`), else the error page in the user's language.
pub fn error_for_client(headers: &HeaderMap, error: impl Into<ApiError>) -> Response {
    let error = error.into();
    if matches!(
        crate::auth::extract::credential(headers),
        Some(crate::auth::extract::Credential::Bearer(_))
    ) {
        return error.into_response();
    }
    error_page(translator(headers), error.status, error.code, &error.message)
}

/// 404 for unknown paths: JSON under `/api`, a page elsewhere.
pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found("endpoint").into_response();
    }
    error_page(translator(&headers), StatusCode::NOT_FOUND, "not_found", "")
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Sets the language cookie and goes back where the user was.
async fn switch_language(Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let target = safe_next(query.next.as_deref());
    let mut response = Redirect::to(&target).into_response();
    let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A local path to go back to, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_string(),
        _ => "/".to_string(),
    }
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(safe_next(Some("/tickets/3")), "/tickets/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("/?a=1&b=中"), "/%3Fa%3D1%26b%3D%E4%B8%AD");
    }
}
