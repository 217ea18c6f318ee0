//! The application: shared state and the router that joins every module's routes with the
//! middleware (tracing, body limits); the static files are `assets`.

use std::sync::{Arc, Mutex, RwLock};

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::rate_limit::Policy;
use crate::metrics::{self, Metrics};
use crate::rules::calendar::Calendar;
use crate::web::transport::Transport;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The working-day calendar (statutory holidays and make-up days), replaced whole when an
    /// admin edits it or the server reloads it from the database.
    calendar: Arc<RwLock<Arc<Calendar>>>,
    /// How failed sign-ins are throttled (the counts are in the database).
    pub sign_in_policy: Policy,
    /// How people reach the desk (https or not, trusted proxies).
    pub transport: Transport,
    /// The time the desk works with.
    pub clock: Clock,
    /// The embedded PostgreSQL server, when there is one: readiness notices an upgrade under it.
    pub embedded: Option<crate::db::embedded::Server>,
    /// The figures `/metrics` shows.
    pub metrics: Arc<Metrics>,
    /// The largest file the import page takes, in bytes.
    pub import_upload_limit: u64,
    /// The import jobs running in this process.
    pub import_jobs: crate::import::jobs::Running,
}

/// The time the desk works with: the system's, or an instant a test sets and moves.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A clock standing at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => match at.lock() {
                Ok(at) => *at,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Moves a fixed clock to `at` (a system clock cannot be moved).
    pub fn set(&self, to: DateTime<Utc>) {
        if let Clock::Fixed(at) = self {
            match at.lock() {
                Ok(mut at) => *at = to,
                Err(poisoned) => *poisoned.into_inner() = to,
            }
        }
    }
}

impl AppState {
    /// State over a pool, with the calendar bundled in the binary until the database's is loaded.
    pub fn new(pool: PgPool) -> AppState {
        AppState {
            pool,
            calendar: Arc::new(RwLock::new(Arc::new(Calendar::bundled()))),
            sign_in_policy: Policy::default(),
            transport: Transport::default(),
            clock: Clock::System,
            embedded: None,
            metrics: Arc::new(Metrics::new(metrics::Access::LoopbackOnly)),
            import_upload_limit: crate::import::page::UPLOAD_LIMIT,
            import_jobs: crate::import::jobs::Running::default(),
        }
    }

    /// The same state, with `/metrics` readable as `access` says (set before serving).
    pub fn with_metrics_access(mut self, access: metrics::Access) -> AppState {
        self.metrics = Arc::new(Metrics::new(access));
        self
    }

    /// The same state on another clock.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    /// Now, by the desk's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in mainland China, whose calendar of working days the desk keeps.
    pub fn today_in_china(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    }

    /// The same state with these transport settings.
    pub fn with_transport(self, transport: Transport) -> AppState {
        AppState { transport, ..self }
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
        .layer(middleware::from_fn(crate::web::csrf::require_token))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(crate::evidence::api::upload_router()) // evidence uploads: 5 MB per file; CSRF checked in the handler
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // Import uploads: up to 512 MB streamed to disk, with a timeout of their own (the import
        // itself runs as a job, outside any request); CSRF checked in the handler.
        .merge(crate::import::page::upload_router())
        // Over the uploads too: an id that is not a number is a JSON error there as well.
        .layer(middleware::from_fn(json_errors_for_api))
        .layer(middleware::from_fn(refuse_nul_in_address))
        .layer(middleware::from_fn(no_store_outside_static))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(header_if_missing(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_if_missing(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_if_missing(header::REFERRER_POLICY, "same-origin"))
        .layer(header_if_missing(header::X_FRAME_OPTIONS, "DENY"))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::transport::secure_when_tls,
        ))
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

/// A NUL (`%00`) in the path or the query string is refused with 400 before any extractor
/// decodes it: PostgreSQL text cannot hold it, and no address of ours needs it.
async fn refuse_nul_in_address(request: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let uri = request.uri();
    let has_nul = |text: &str| text.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let error = crate::error::ApiError::bad_request(
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
async fn no_store_outside_static(request: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
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
fn header_if_missing(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Ready when the database takes a write, and the embedded PostgreSQL still runs the binary it
/// was started from. Not ready answers 503 with `Retry-After` and says why.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match readiness(&state).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], why).into_response(),
    }
}

/// Whether the desk can serve: why not, when it cannot (readiness and its metric).
pub async fn readiness(state: &AppState) -> Result<(), &'static str> {
    if state.embedded.as_ref().is_some_and(|server| server.binary_changed()) {
        return Err("PostgreSQL was upgraded under the running desk: restart the desk");
    }
    let probe = sqlx::query(
        "INSERT INTO readiness_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at",
    )
    .bind(state.now())
    .execute(&state.pool)
    .await;
    match probe {
        Ok(_) => Ok(()),
        Err(error) if crate::error::is_storage_failure(&error) => {
            Err("the database cannot take writes (disk full or a server fault)")
        }
        Err(_) => Err("database unreachable"),
    }
}
