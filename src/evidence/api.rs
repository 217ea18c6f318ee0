//! The evidence JSON API: attach a file (multipart, field `file`), list a ticket's files. The
//! files themselves and the evidence pack are served by `page` (same routes for both kinds of
//! client).

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::post;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Evidence, EvidenceError, MAX_BYTES};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::{ApiError, ApiResult};
use crate::ids::TicketId;
use crate::state::AppState;
use crate::web::multipart::{self, InMemory, OverLimit, UploadError};

/// The largest body read before answering, so that a client sending far too much still gets
/// the clear refusal instead of a cut connection.
const READ_CAP: usize = 32 * 1024 * 1024;

/// The upload routes, with a body limit of their own instead of the application's 1 MB (the
/// file itself is held to 5 MB as it is read): the JSON operations, each route and its OpenAPI
/// entry from the handler's `#[utoipa::path]`, and the page's form upload.
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach_evidence, list_evidence))
        .route("/tickets/{id}/evidence", post(super::page::upload))
        .route("/tickets/{id}/inspection", post(super::page::inspect))
        .layer(axum::extract::DefaultBodyLimit::max(READ_CAP))
}

/// Reads an inspection form through the shared multipart reader: its text fields, and the
/// photo (field `photo`, at most [`MAX_BYTES`]) when one was chosen — a browser sends an empty,
/// nameless part when none was.
pub async fn read_inspection(request: Request) -> Result<(Vec<(String, String)>, Option<Upload>), EvidenceError> {
    let received = multipart::read(request, "photo", MAX_BYTES as u64, OverLimit::Drain, |_| async {
        Ok(InMemory::default())
    })
    .await
    .map_err(|error| match error {
        UploadError::NotMultipart => EvidenceError::NotMultipart,
        UploadError::BodyTooLarge => EvidenceError::TooLarge {
            size: READ_CAP as u64 + 1,
        },
        UploadError::TooLarge { received, .. } => EvidenceError::TooLarge { size: received },
        UploadError::Unreadable(_) | UploadError::FieldTooLong(_) => EvidenceError::Unreadable(error.to_string()),
        UploadError::Storage(error) => EvidenceError::Holding(error.to_string()),
    })?;
    let photo = received.file.filter(|file| file.size > 0).map(|file| Upload {
        file_name: file.name,
        bytes: file.content.0,
    });
    Ok((received.fields, photo))
}

/// Reads the uploaded file of a request through the shared multipart reader
/// (`web::multipart`): at most [`MAX_BYTES`] of file are kept; a larger file is counted on (up
/// to the route's body limit) so the refusal says how large it was.
pub async fn read_upload(request: Request) -> Result<Upload, EvidenceError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let received = multipart::read(request, "file", MAX_BYTES as u64, OverLimit::Drain, |_| async {
        Ok(InMemory::default())
    })
    .await
    .map_err(|error| match error {
        UploadError::NotMultipart => EvidenceError::NotMultipart,
        UploadError::BodyTooLarge => EvidenceError::TooLarge {
            size: declared.unwrap_or(READ_CAP as u64 + 1),
        },
        UploadError::TooLarge { received, .. } => EvidenceError::TooLarge { size: received },
        UploadError::Unreadable(_) | UploadError::FieldTooLong(_) => EvidenceError::Unreadable(error.to_string()),
        UploadError::Storage(error) => EvidenceError::Holding(error.to_string()),
    })?;
    let file = received
        .file
        .ok_or_else(|| EvidenceError::Invalid(FieldError::new("file", "evidence.error.no_file")))?;
    Ok(Upload {
        file_name: file.name,
        bytes: file.content.0,
    })
}

/// One file of an upload.
#[derive(Debug, Default)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The refusal of a file over the limit (413).
fn too_large(size: u64) -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "evidence_too_large",
        message: crate::i18n::Message::new("evidence.error.too_large")
            .with("size", format!("{:.1}", size as f64 / 1_048_576.0))
            .english(),
        details: json!({ "size_bytes": size, "max_bytes": MAX_BYTES }),
    }
}

impl From<EvidenceError> for ApiError {
    /// 413 `evidence_too_large`, 415 `evidence_type`, 422 `invalid_field`, 404 for a ticket
    /// that is not there; the ticket service's own refusals as it made them.
    fn from(error: EvidenceError) -> ApiError {
        match error {
            EvidenceError::Invalid(error) => ApiError::from(error),
            EvidenceError::TooLarge { size } => too_large(size),
            EvidenceError::WrongType => ApiError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "evidence_type",
                message: crate::i18n::Message::new("evidence.error.wrong_type").english(),
                details: json!({ "accepted": ["image/jpeg", "image/png", "image/webp", "application/pdf"] }),
            },
            EvidenceError::NotMultipart | EvidenceError::Unreadable(_) => ApiError::bad_request(error.to_string()),
            EvidenceError::Holding(message) => ApiError::internal(message),
            EvidenceError::NotFound => ApiError::not_found("ticket"),
            EvidenceError::Ticket(error) => ApiError::from(error),
            EvidenceError::Database(error) => ApiError::from(error),
        }
    }
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
    Path(id): Path<TicketId>,
    request: Request,
) -> ApiResult<(StatusCode, Json<Evidence>)> {
    // Another shop's ticket is 404 before anything about the file is said.
    crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    user.require(Action::WorkTickets)?;
    let upload = read_upload(request).await?;
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
