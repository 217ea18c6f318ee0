//! The middleware every response passes through, applied once in [`crate::router`]: JSON errors
//! under `/api/`, the refusal of NUL in addresses, `Cache-Control: no-store` outside `/static/`,
//! and the security headers.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;

/// The Content-Security-Policy: our own scripts, styles and images only — no inline script or
/// style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Rejections that axum's own extractors answer in plain text (a path id that is not a number,
/// a missing body) become the API's JSON error under `/api/`, like every other error there.
pub async fn json_errors_for_api(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !is_api || !plain || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_string();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::not_found("endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::bad_request("this method is not allowed on this path"),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::bad_request("the body is too large"),
        s if s.is_server_error() => ApiError::internal(message),
        _ => ApiError::bad_request(if message.is_empty() {
            "the request could not be read".into()
        } else {
            message
        }),
    };
    let mut answer = error.into_response();
    if status != StatusCode::NOT_FOUND && !status.is_server_error() {
        *answer.status_mut() = status;
    }
    answer
}

/// A NUL (`%00`) in the path or the query string is refused with 400 before any extractor
/// decodes it: PostgreSQL text cannot hold it, and no address of ours needs it.
pub async fn refuse_nul_in_address(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let has_nul = |text: &str| text.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let error = ApiError::bad_request(
            "the address contains a NUL character (%00), which no path or query parameter may hold; remove it",
        )
        .with_code("nul_character");
        return crate::web::early_error(request.headers(), uri, error);
    }
    next.run(request).await
}

/// Pages and API answers carry buyers' names, phones, addresses and orders: no browser or
/// proxy may keep them (`Cache-Control: no-store`, unless a handler chose otherwise). Files
/// under `/static/` keep the caching `ServeDir` gives them.
pub async fn no_store_outside_static(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    if !is_static {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// A header every response carries unless the handler set its own.
pub fn header_if_missing(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
