//! The application: shared state and the router that joins every module's routes with the
//! middleware (tracing, body limits); the static files are `assets`.

use std::sync::{Arc, RwLock};

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use sqlx::PgPool;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::rate_limit::{Limits, LoginLimiter};
use crate::metrics::{self, Metrics};
use crate::rules::calendar::Calendar;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The working-day calendar (statutory holidays and make-up days), replaced whole when an
    /// admin edits it or the server reloads it from the database.
    calendar: Arc<RwLock<Arc<Calendar>>>,
    /// Failed sign-ins, for rate limiting.
    pub login_limiter: Arc<LoginLimiter>,
    /// The figures `/metrics` shows.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// State over a pool, with the calendar bundled in the binary until the database's is loaded.
    pub fn new(pool: PgPool) -> AppState {
        AppState {
            pool,
            calendar: Arc::new(RwLock::new(Arc::new(Calendar::bundled()))),
            login_limiter: Arc::new(LoginLimiter::new(Limits::default())),
            metrics: Arc::new(Metrics::new(metrics::Access::LoopbackOnly)),
        }
    }

    /// The same state, with `/metrics` readable as `access` says (set before serving).
    pub fn with_metrics_access(mut self, access: metrics::Access) -> AppState {
        self.metrics = Arc::new(Metrics::new(access));
        self
    }

    /// The calendar as it is now.
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(calendar) => Arc::clone(&calendar),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the calendar.
    pub fn set_calendar(&self, calendar: Calendar) {
        let fresh = Arc::new(calendar);
        match self.calendar.write() {
            Ok(mut slot) => *slot = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}

/// Largest request body accepted (JSON and forms).
const BODY_LIMIT: usize = 1024 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::auth::api::router())
        .merge(crate::shops::api::router())
        .merge(crate::users::api::router())
        .merge(crate::orders::api::router())
        .merge(crate::tickets::api::router())
        .merge(crate::calendar::api::router())
        .merge(crate::follow_ups::api::router())
        .merge(crate::reports::api::router())
        .merge(crate::replies::api::router())
        .merge(crate::buyers::api::router())
        .merge(crate::visits::api::router())
        .merge(crate::openapi::router())
        .merge(crate::web::router(state.clone()))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::scrape))
        .route("/static/{*path}", get(crate::assets::serve))
        .fallback(crate::web::not_found)
        .layer(middleware::from_fn(json_errors_for_api))
        .layer(middleware::from_fn(crate::web::csrf::require_token))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(crate::import::page::upload_router()) // file uploads: a limit of their own; CSRF checked in the handler
        .merge(crate::evidence::api::upload_router()) // evidence uploads: 5 MB per file; CSRF checked in the handler
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(header_if_missing(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_if_missing(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_if_missing(header::REFERRER_POLICY, "same-origin"))
        .layer(header_if_missing(header::X_FRAME_OPTIONS, "DENY"))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long a request may take before it is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The Content-Security-Policy: our own scripts, styles and images only — no inline script or
/// style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Rejections that axum's own extractors answer in plain text (a path id that is not a number,
/// a missing body) become the API's JSON error under `/api/`, like every other error there.
async fn json_errors_for_api(request: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
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
        StatusCode::NOT_FOUND => crate::error::ApiError::not_found("endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => {
            crate::error::ApiError::bad_request("this method is not allowed on this path")
        }
        StatusCode::PAYLOAD_TOO_LARGE => crate::error::ApiError::bad_request("the body is too large"),
        s if s.is_server_error() => crate::error::ApiError::internal(message),
        _ => crate::error::ApiError::bad_request(if message.is_empty() {
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

/// A header every response carries unless the handler set its own.
fn header_if_missing(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Ready when the database answers.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> (StatusCode, &'static str) {
    if database_answers(&state.pool).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Whether the database answers a trivial query (readiness).
pub async fn database_answers(pool: &PgPool) -> bool {
    sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await.is_ok()
}
