//! The page layer's errors: [`PageError`], what a page handler ends with when it cannot show
//! what was asked, and [`FormErrors`], the field messages a form is shown again with. Both say
//! things through the catalogue, in the user's language; the error page's title comes from one
//! status → title table ([`title`]).

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::translator;
use super::views::{ErrorPage, Layout};
use crate::auth::{AuthError, Denied, UnknownShop};
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::{Message, Tr};

/// Shorthand for page handler results.
pub type PageResult<T = Response> = Result<T, PageError>;

/// An error a page answers with the error page. Made from a service's error (its catalogue
/// message) or from an [`ApiError`] (the catalogue's text for its code, else its own message).
#[derive(Clone, Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub code: &'static str,
    message: Said,
}

#[derive(Clone, Debug)]
enum Said {
    /// From the catalogue, in the user's language.
    Catalogue(Message),
    /// An API error's own text, shown when the catalogue has no entry for its code.
    Api(String),
}

impl PageError {
    /// An error page with `status` saying `message`.
    pub fn new(status: StatusCode, code: &'static str, message: Message) -> PageError {
        PageError {
            status,
            code,
            message: Said::Catalogue(message),
        }
    }

    /// 404: nothing of that name (or nothing this user may know of).
    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, "not_found", Message::new("error.code.not_found"))
    }

    /// What the page says, in the user's language.
    pub fn text(&self, tr: Tr) -> String {
        match &self.message {
            Said::Catalogue(message) => tr.message(message),
            Said::Api(message) => error_text(tr, self.code, message),
        }
    }

    /// The error page.
    pub fn page(&self, tr: Tr) -> Response {
        let page = ErrorPage {
            layout: Layout::anonymous(tr),
            status: self.status.as_u16(),
            title: tr.t(title(self.status)),
            message: self.text(tr),
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.text(tr)).into_response(),
        }
    }
}

/// The catalogue key of the error page's title for a status: the one table of them.
pub fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "error.not_found",
        StatusCode::FORBIDDEN => "error.forbidden",
        StatusCode::SERVICE_UNAVAILABLE => "error.unavailable",
        s if s.is_server_error() => "error.internal",
        _ => "error.bad_request",
    }
}

/// A person-readable message for an API error code, in the user's language where the catalogue
/// has one (`error.code.<code>`); else the API's own message.
pub fn error_text(tr: Tr, code: &str, message: &str) -> String {
    let key = format!("error.code.{code}");
    if crate::i18n::has(&key) {
        tr.t(&key).to_string()
    } else if message.is_empty() {
        tr.t("error.generic").to_string()
    } else {
        message.to_string()
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError {
            status: error.status,
            code: error.code,
            message: Said::Api(error.message),
        }
    }
}

impl From<FieldError> for PageError {
    /// A field error that reached the error page (its form could not be shown again).
    fn from(error: FieldError) -> PageError {
        PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", error.message)
    }
}

impl From<AuthError> for PageError {
    /// As the API answers it (`auth::extract`), on the error page.
    fn from(error: AuthError) -> PageError {
        PageError::from(ApiError::from(error))
    }
}

impl From<Denied> for PageError {
    /// 403, as the API answers it (`auth::extract`), on the error page.
    fn from(denied: Denied) -> PageError {
        PageError::from(ApiError::from(denied))
    }
}

impl From<UnknownShop> for PageError {
    /// 404, as for a shop that does not exist.
    fn from(unknown: UnknownShop) -> PageError {
        PageError::from(ApiError::from(unknown))
    }
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> PageError {
        PageError::from(ApiError::from(error))
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> PageError {
        PageError::from(ApiError::internal(error))
    }
}

impl IntoResponse for PageError {
    /// The status, with the error riding along for [`render_errors`], which knows the language.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // As the API says it: the database is away for a moment.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders the error page, in the request's language, for a page handler's [`PageError`] or an
/// [`ApiError`] (an extractor's refusal, a shared function's error) — read from the response's
/// extensions, never from its body.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let tr = translator(request.headers());
    let mut response = next.run(request).await;
    let error = match (
        response.extensions_mut().remove::<PageError>(),
        response.extensions_mut().remove::<ApiError>(),
    ) {
        (Some(error), _) => error,
        (None, Some(error)) => PageError::from(error),
        (None, None) => return response,
    };
    let mut page = error.page(tr);
    // What the handler set besides the body (Retry-After, say) stays.
    for (name, value) in response.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// The field errors a form is shown again with, each next to its field (templates ask
/// `errors.get("summary")`), in the user's language.
#[derive(Clone, Debug, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    /// No errors.
    pub fn none() -> FormErrors {
        FormErrors::default()
    }

    /// One error, in `tr`'s language.
    pub fn one(tr: Tr, error: &FieldError) -> FormErrors {
        let mut errors = FormErrors::none();
        errors.add(tr, error);
        errors
    }

    /// Adds an error.
    pub fn add(&mut self, tr: Tr, error: &FieldError) {
        self.0.push((error.field, tr.message(&error.message)));
    }

    /// The message about `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, text)| text.as_str())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn tr(lang: Lang) -> Tr {
        Tr::new(lang, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn every_status_has_one_title() {
        assert_eq!(title(StatusCode::NOT_FOUND), "error.not_found");
        assert_eq!(title(StatusCode::FORBIDDEN), "error.forbidden");
        assert_eq!(title(StatusCode::SERVICE_UNAVAILABLE), "error.unavailable");
        assert_eq!(title(StatusCode::INTERNAL_SERVER_ERROR), "error.internal");
        assert_eq!(title(StatusCode::UNPROCESSABLE_ENTITY), "error.bad_request");
        for status in [400, 403, 404, 409, 422, 429, 500, 503] {
            let key = title(StatusCode::from_u16(status).unwrap());
            assert!(crate::i18n::has(key), "{key}");
        }
    }

    #[test]
    fn an_api_error_reads_in_the_users_language_when_its_code_is_catalogued() {
        let stale = PageError::from(ApiError::stale_version(3));
        assert_eq!(stale.text(tr(Lang::Zh)), tr(Lang::Zh).t("error.code.stale_version"));
        assert_eq!(stale.text(tr(Lang::En)), tr(Lang::En).t("error.code.stale_version"));
        assert_ne!(stale.text(tr(Lang::Zh)), stale.text(tr(Lang::En)));
        let uncatalogued = PageError::from(ApiError::unprocessable("some_new_refusal", "what the API says"));
        assert_eq!(uncatalogued.text(tr(Lang::Zh)), "what the API says");
        let silent = PageError::from(ApiError::unprocessable("some_new_refusal", ""));
        assert_eq!(silent.text(tr(Lang::En)), tr(Lang::En).t("error.generic"));
        // A fault of ours or a request the page could not have sent reads in the user's language,
        // never as the API's English.
        for error in [
            ApiError::internal("a bug"),
            ApiError::bad_request("the body is too large"),
            ApiError::unprocessable("invalid_field", "the form could not be read: invalid digit"),
        ] {
            let page = PageError::from(error.clone());
            assert_eq!(
                page.text(tr(Lang::Zh)),
                tr(Lang::Zh).t(&format!("error.code.{}", error.code))
            );
            assert_ne!(page.text(tr(Lang::Zh)), error.message);
        }
    }

    #[test]
    fn a_page_error_travels_in_the_response_not_its_body() {
        let response = PageError::not_found().into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let error = response.extensions().get::<PageError>().expect("the error rides along");
        assert_eq!(error.text(tr(Lang::En)), tr(Lang::En).t("error.code.not_found"));
    }

    #[test]
    fn form_errors_are_found_by_field_in_the_users_language() {
        let error = FieldError::new("summary", "error.code.not_found");
        let zh = FormErrors::one(tr(Lang::Zh), &error);
        assert_eq!(zh.get("summary"), Some(tr(Lang::Zh).t("error.code.not_found")));
        assert_eq!(zh.get("channel"), None);
        assert!(!zh.is_empty() && FormErrors::none().is_empty());
        let en = FormErrors::one(tr(Lang::En), &error);
        assert_eq!(en.get("summary"), Some(tr(Lang::En).t("error.code.not_found")));
    }
}
