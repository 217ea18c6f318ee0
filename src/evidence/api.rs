//! The evidence JSON API: attach a file (multipart, field `file`), list a ticket's files. The
//! files themselves and the evidence pack are served by `page` (same routes for both kinds of
//! client).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Evidence, MAX_REQUEST, Upload};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::ids::TicketId;
use crate::state::AppState;

/// The largest body read before answering, so that a client sending far too much still gets
/// the clear refusal instead of a cut connection.
const READ_CAP: usize = 32 * 1024 * 1024;

/// The upload routes, with a body limit of their own (merged after the application's 1 MB
/// limit): the JSON operations, each route and its OpenAPI entry from the handler's
/// `#[utoipa::path]`, and the page's form upload.
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach_evidence, list_evidence))
        .route("/tickets/{id}/evidence", post(super::page::upload))
        .layer(axum::extract::DefaultBodyLimit::max(READ_CAP))
}

/// Reads the uploaded file of a request: the size limit first (nothing is parsed beyond it),
/// then the multipart form.
pub async fn read_upload(headers: &HeaderMap, body: Body) -> Result<Upload, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(length) = declared.filter(|l| *l > READ_CAP) {
        return Err(super::too_large(length));
    }
    let bytes = axum::body::to_bytes(body, READ_CAP)
        .await
        .map_err(|_| super::too_large(declared.unwrap_or(READ_CAP + 1)))?;
    if bytes.len() > MAX_REQUEST {
        return Err(super::too_large(bytes.len()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("multipart/form-data") {
        return Err(ApiError::bad_request(
            "send the file as multipart/form-data, in a field named `file`",
        ));
    }
    super::parse_multipart(content_type, &bytes)
        .ok_or_else(|| ApiError::invalid("file", "the form has no file; choose a photo or PDF to attach"))
}

/// Attaches a photo or PDF to a ticket (multipart/form-data, field `file`; at most 5 MB; JPEG,
/// PNG, WebP or PDF by content). A refused file is 413 or 415 and nothing is stored.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/evidence", tag = "evidence",
    params(("id" = i64, Path, description = "ticket id")),
    request_body(content_type = "multipart/form-data", description = "the file in a part named `file`"),
    responses((status = 201, body = Evidence), (status = 404, body = crate::api::ErrorBody),
              (status = 413, body = crate::api::ErrorBody), (status = 415, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn attach_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<TicketId>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Evidence>)> {
    // Another shop's ticket is 404 before anything about the file is said.
    crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::WorkTickets)?;
    let upload = read_upload(&headers, body).await?;
    let (_, evidence) = super::attach(&state.pool, &user, id, &upload.file_name, &upload.bytes, state.now()).await?;
    Ok((StatusCode::CREATED, Json(evidence)))
}

/// A ticket's files (without content), oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/evidence", tag = "evidence",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = Vec<Evidence>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<Vec<Evidence>>> {
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::ReadTickets)?;
    Ok(Json(super::list(&state.pool, ticket.shop_id, id).await?))
}
