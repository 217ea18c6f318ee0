//! The one route table: every feature's routers, merged once in the list below, and every layer,
//! applied once. A new route goes into its feature's `router()` (`api.rs` for JSON, registered
//! with `routes!` so that it is in the OpenAPI document too; `page.rs` or `pages/` for HTML); a
//! new feature adds one line here.

use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::layers::{self, header_if_missing};
use crate::state::AppState;

/// Largest request body accepted by the ordinary routes (JSON and forms).
const BODY_LIMIT: usize = 1024 * 1024;

/// How long a request may take before it is answered 503 (the import upload has its own).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The JSON API's operations under the ordinary body limit, one line per feature. Each feature
/// registers its handlers with `routes!`, which takes the path and method from the handler's
/// `#[utoipa::path]`: the route and its entry in the document are written once, together.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
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
        .merge(crate::links::api::router())
        .merge(crate::compensation::api::router())
        .merge(crate::returns::api::router())
        .merge(crate::reconciliation::api::router())
        .merge(crate::knowledge::api::router())
        .merge(crate::tags::api::router())
        .merge(crate::search::api::router())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    // The JSON API (`/api/v1/…`) and its OpenAPI document, both from the handlers registered in
    // `api()` and the evidence uploads; the document is served at `/api/v1/openapi.json`.
    let (api, mut api_document) = api().split_for_parts();
    let (evidence_uploads, upload_document) = crate::evidence::api::upload_router().split_for_parts();
    api_document.merge(upload_document);
    let api = api.merge(crate::openapi::router(crate::openapi::document(api_document)));
    // The browser pages.
    let pages = Router::new()
        .merge(crate::auth::page::router())
        .merge(crate::tickets::pages::router())
        .merge(crate::follow_ups::page::router())
        .merge(crate::buyers::page::router())
        .merge(crate::evidence::page::router())
        .merge(crate::replies::page::router())
        .merge(crate::visits::page::router())
        .merge(crate::keyboard::page::router())
        .merge(crate::reports::page::router())
        .merge(crate::import::page::router())
        .merge(crate::calendar::page::router())
        .merge(crate::admin::page::router())
        .merge(crate::users::page::router())
        .merge(crate::notifications::page::router())
        .merge(crate::live::page::router())
        .merge(crate::shops::page::router())
        .merge(crate::shops::settings_page::router())
        .merge(crate::webhooks::page::router())
        .merge(crate::links::page::router())
        .merge(crate::compensation::page::router())
        .merge(crate::returns::page::router())
        .merge(crate::reconciliation::page::router())
        .merge(crate::knowledge::page::router())
        .merge(crate::tags::page::router())
        .merge(crate::search::page::router())
        .merge(crate::saved_views::page::router())
        .merge(crate::web::router())
        .layer(middleware::from_fn(crate::web::render_errors));
    // Everything else: health, metrics, the compiled-in static files.
    let operations = Router::new()
        .merge(crate::health::router())
        .route("/metrics", get(crate::metrics::http::scrape))
        .route("/static/{*path}", get(crate::assets::serve));
    // Uploads read their bodies with limits of their own (evidence files: 5 MB; imports: up to
    // 512 MB streamed to disk, with a longer timeout — the import itself runs as a job).
    let timed = Router::new()
        .merge(api)
        .merge(pages)
        .merge(operations)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(evidence_uploads)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ));
    Router::new()
        .merge(timed)
        .merge(crate::import::page::upload_router())
        // The live desk's event streams are long by design: no request timeout.
        .merge(crate::live::page::stream_router())
        .fallback(crate::web::not_found)
        .layer(middleware::from_fn(crate::web::csrf::require_token))
        .layer(middleware::from_fn(layers::json_errors_for_api))
        .layer(middleware::from_fn(layers::refuse_nul_in_address))
        .layer(middleware::from_fn(layers::no_store_outside_static))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::http::track,
        ))
        .layer(header_if_missing(
            header::CONTENT_SECURITY_POLICY,
            layers::CONTENT_SECURITY_POLICY,
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
