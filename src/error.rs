//! The one error type of the HTTP layer, mapped once to a status and a JSON body
//! `{"error": {"code", "message", "details"}}`. Pages turn the same errors into HTML (see `web`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::rules::workflow::MoveError;

/// An error a request ends with: a status, a stable machine code and a message that says what
/// was wrong and what to do.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl std::fmt::Display for ApiError {
    /// The message (what a log or the command line shows).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    /// The same error with a more precise code (a page may show that code's own message).
    pub fn with_code(mut self, code: &'static str) -> ApiError {
        self.code = code;
        self
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// 400: the request could not be read at all (bad JSON, wrong type).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422: a field is missing or wrong. The message names the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{field}: {message}"),
        )
        .with_details(json!({ "field": field }))
    }

    /// 422 with a code of its own (a rule refused the request).
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 401: not signed in.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: send `Authorization: Bearer <token>` (POST /api/v1/auth/tokens) or a session cookie",
        )
    }

    /// 403: signed in, but the role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such thing — or one the caller may not know exists.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such {what}"))
            .with_details(json!({ "resource": what }))
    }

    /// 409: the thing exists already, or changed since the caller read it.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 409: a change was made against an old version.
    pub fn stale_version(current: i32) -> ApiError {
        ApiError::conflict(
            "stale_version",
            format!(
                "the ticket was changed by someone else (it is now at version {current}); nothing was changed: \
                 reload it and apply your change again"
            ),
        )
        .with_details(json!({ "current_version": current }))
    }

    /// 429: too many failed attempts; try again after `retry_after`.
    pub fn too_many(retry_after: std::time::Duration) -> ApiError {
        let seconds = retry_after.as_secs().max(1);
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed attempts at the password; wait {seconds} seconds, then try again"),
        )
        .with_details(json!({ "retry_after_seconds": seconds }))
    }

    /// 503: the database cannot be reached right now.
    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is not reachable right now; nothing was changed, try again in a few seconds",
        )
    }

    /// 500: a fault of ours; the details go to the log, not to the caller.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl From<MoveError> for ApiError {
    fn from(error: MoveError) -> ApiError {
        match error {
            MoveError::Illegal { from, to, ref allowed } => {
                ApiError::unprocessable("illegal_transition", error.to_string())
                    .with_details(json!({ "from": from, "to": to, "allowed": allowed }))
            }
            MoveError::ResolutionRequired => ApiError::invalid("resolution", error.to_string()),
        }
    }
}

/// Whether the database refused because it cannot store anything now: out of disk, memory or
/// connections (SQLSTATE class 53), or its own files failing (class 58, as after a PostgreSQL
/// upgrade under a running server). Requests answer 503; readiness fails.
pub fn is_storage_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("53") || code.starts_with("58")),
        _ => false,
    }
}

impl From<crate::edge::FieldError> for ApiError {
    /// 422 `invalid_field`, the field named in the message (in English) and in `details.field`.
    fn from(error: crate::edge::FieldError) -> ApiError {
        ApiError::invalid(error.field, error.message.english())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        match &error {
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")) =>
            {
                // Connection failures and an administrator's shutdown or restart.
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable()
            }
            sqlx::Error::Database(_) if is_storage_failure(&error) => {
                // Out of disk, memory or connections, or the server's own files failing (as after
                // a PostgreSQL upgrade under a running server): the write did not happen.
                tracing::error!(%error, "the database cannot take writes");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the database cannot store anything right now (out of disk space or another fault on the \
                     server); nothing was changed — try again in a few minutes, and tell the administrator",
                )
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable()
            }
            sqlx::Error::RowNotFound => ApiError::not_found("record"),
            _ => ApiError::internal(error),
        }
    }
}

impl From<askama::Error> for ApiError {
    fn from(error: askama::Error) -> ApiError {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.details["retry_after_seconds"].as_u64();
        let body = json!({ "error": { "code": self.code, "message": self.message, "details": self.details } });
        let mut response = (status, Json(body)).into_response();
        // A page shows the error in the user's language from this (`web::error::render_errors`).
        response.extensions_mut().insert(self);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let Some(seconds) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}
