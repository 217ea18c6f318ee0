//! Whether the desk is up (`/healthz`: the process answers) and ready (`/readyz`: the database
//! takes a write and the embedded PostgreSQL still runs the binary it was started from).

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

/// Ready when the database takes a write, and the embedded PostgreSQL still runs the binary it
/// was started from. Not ready answers 503 with `Retry-After` and says why.
async fn readyz(State(state): State<AppState>) -> Response {
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
