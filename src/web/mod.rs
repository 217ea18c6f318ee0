//! Browser pages (askama + htmx).

use axum::Router;
use axum::response::IntoResponse;

use crate::app::AppState;

/// Routes of the pages.
pub fn router(_state: AppState) -> Router<AppState> {
    Router::new()
}

/// 404 for unknown paths.
pub async fn not_found() -> impl IntoResponse {
    crate::error::ApiError::not_found("page")
}
