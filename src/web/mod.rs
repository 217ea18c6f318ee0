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
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
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

/// The signed-in user of a page request; without one, the browser goes to the login page. A
/// form posted without a session (it expired while the page was open) goes to the login page
/// saying so, and from there back to the page the form was on ([`page_before_post`]) — never to
/// the POST-only address, which a browser cannot open.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(PageUser(user)),
            Err(error) if error.status == StatusCode::UNAUTHORIZED => {
                let target = if matches!(parts.method, Method::GET | Method::HEAD) {
                    let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    format!("/login?next={}", urlencode(next))
                } else {
                    let public_origin = state.transport.public_url.as_ref().map(|url| url.origin());
                    let next = page_before_post(parts.uri.path(), &parts.headers, public_origin);
                    format!("/login?expired=1&next={}", urlencode(&next))
                };
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

/// Renders a template into a page's response (a failure is the error page).
pub fn render(template: &impl Template) -> PageResult<Html<String>> {
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

/// The page a form posted to `path` was on, to return to with a GET: the ticket page for a post
/// about a ticket (`/tickets/{id}/…`), else the page that sent it (`Referer`, when it names this
/// site), else the desk's home.
pub fn page_before_post(path: &str, headers: &HeaderMap, public_origin: Option<&str>) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    if let (Some("tickets"), Some(id), Some(_)) = (segments.next(), segments.next(), segments.next())
        && id.parse::<i64>().is_ok()
    {
        return format!("/tickets/{id}");
    }
    referring_page(headers, public_origin).unwrap_or_else(|| "/".to_string())
}

/// The path and query of the `Referer`, if it is a page of this site (its host is the request's
/// `Host`, or its origin the configured public URL's).
fn referring_page(headers: &HeaderMap, public_origin: Option<&str>) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    let (host, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
    let ours = csrf::is_own_origin(&format!("{scheme}://{host}"), headers, public_origin);
    let path = path.split('#').next().unwrap_or("/");
    (ours && path != "/login" && !path.starts_with("/login?")).then(|| safe_next(Some(path)))
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

/// The shop a page's `shop` parameter names among `user`'s shops, else their first (404 for one
/// not theirs), with a choice per shop for the page's picker.
pub async fn chosen_shop(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    asked: Option<crate::ids::ShopId>,
) -> Result<(crate::shops::Shop, Vec<views::Choice>), ApiError> {
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let shop = match asked {
        Some(id) => shops.iter().find(|s| s.id == id).cloned(),
        None => shops.first().cloned(),
    }
    .ok_or_else(|| ApiError::not_found("shop"))?;
    let choices = shops
        .iter()
        .map(|s| views::Choice::new(s.id.to_string(), s.name.clone(), s.id == shop.id))
        .collect();
    Ok((shop, choices))
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn a_post_about_a_ticket_returns_to_the_ticket_page() {
        let referer = headers(&[("host", "desk.test"), ("referer", "http://desk.test/?mine=1")]);
        assert_eq!(
            page_before_post("/tickets/42/follow-ups", &referer, None),
            "/tickets/42"
        );
        assert_eq!(
            page_before_post("/tickets/42/transitions", &HeaderMap::new(), None),
            "/tickets/42"
        );
    }

    #[test]
    fn another_post_returns_to_the_page_of_this_site_that_sent_it() {
        let ours = headers(&[
            ("host", "desk.test"),
            ("referer", "http://desk.test/admin?tab=users#new"),
        ]);
        assert_eq!(page_before_post("/admin/users", &ours, None), "/admin?tab=users");
        let public = headers(&[("host", "10.0.0.5:8080"), ("referer", "https://desk.example/calendar")]);
        assert_eq!(
            page_before_post("/calendar/years", &public, Some("https://desk.example")),
            "/calendar"
        );
    }

    #[test]
    fn a_post_from_elsewhere_or_without_referer_returns_home() {
        let theirs = headers(&[("host", "desk.test"), ("referer", "https://evil.example/admin")]);
        assert_eq!(page_before_post("/admin/users", &theirs, None), "/");
        assert_eq!(page_before_post("/tickets", &HeaderMap::new(), None), "/");
        assert_eq!(page_before_post("/tickets/new/x", &HeaderMap::new(), None), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("/?a=1&b=中"), "/%3Fa%3D1%26b%3D%E4%B8%AD");
    }
}
