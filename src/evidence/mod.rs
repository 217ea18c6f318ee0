//! Evidence (凭证): photos and files attached to a ticket, kept in PostgreSQL (`bytea`) so the
//! one database backup holds them. Owns the `evidence` table.
//!
//! Limits: at most [`MAX_BYTES`] per file, and only JPEG, PNG, WebP and PDF — recognised from
//! the first bytes of the content ([`sniff`]), never from the file's name or the browser's
//! claim. A refused upload is checked before anything is written, and an accepted one is
//! stored with its timeline event in one transaction: nothing is ever half-stored.

pub mod api;
pub mod pack;
pub mod page;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::ids::{ShopId, TicketId, UserId};
use crate::tickets::events::{EventData, EvidenceAdded};
use crate::tickets::{Ticket, repo, service};

/// The largest file accepted: 5 MB.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The largest upload request read (the file plus the form around it).
pub const MAX_REQUEST: usize = MAX_BYTES + 64 * 1024;

/// The type of a file, from its first bytes: `image/jpeg`, `image/png`, `image/webp` or
/// `application/pdf`; `None` for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Whether a stored type is an image (shown as a thumbnail).
pub fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

/// A file name safe to store and to send back in `Content-Disposition`: the last path
/// segment, without control characters, bidi overrides ([`crate::edge::strip_unsafe_chars`]) or
/// quotes, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = crate::edge::strip_unsafe_chars(last)
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".to_string()
    } else {
        cleaned
    }
}

/// The refusal of a file over the limit (413).
pub fn too_large(size: usize) -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "evidence_too_large",
        message: format!(
            "the file is {:.1} MB; at most 5 MB per file is accepted — send a smaller photo or split the PDF. Nothing was stored.",
            size as f64 / 1_048_576.0
        ),
        details: json!({ "size_bytes": size, "max_bytes": MAX_BYTES }),
    }
}

/// The refusal of a file of another type (415).
pub fn wrong_type() -> ApiError {
    ApiError {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "evidence_type",
        message: "only JPEG, PNG or WebP photos and PDF files are accepted (checked from the content, not the name); \
                  save the file in one of these formats and send it again. Nothing was stored."
            .to_string(),
        details: json!({ "accepted": ["image/jpeg", "image/png", "image/webp", "application/pdf"] }),
    }
}

/// Checks a file against the limits; the type recognised from its content.
pub fn check(bytes: &[u8]) -> Result<&'static str, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "choose a photo or PDF to attach; the file was empty",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(too_large(bytes.len()));
    }
    sniff(bytes).ok_or_else(wrong_type)
}

/// A stored file, without its content.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct Evidence {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub file_name: String,
    /// As recognised from the content.
    pub content_type: String,
    pub size_bytes: i32,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    #[schema(value_type = Option<i64>)]
    pub uploaded_by: Option<UserId>,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

/// The columns [`Evidence`] reads (a macro so that `concat!` keeps queries static strings).
macro_rules! evidence_columns {
    () => {
        "e.id, e.shop_id, e.ticket_id, e.file_name, e.content_type, e.size_bytes, encode(e.sha256, 'hex') AS sha256,
         e.uploaded_by, u.display_name AS uploaded_by_name, e.uploaded_at
         FROM evidence e LEFT JOIN users u ON u.id = e.uploaded_by "
    };
}

/// Attaches a file to a ticket: checked first, then stored with its timeline event in one
/// transaction.
pub async fn attach(
    pool: &PgPool,
    user: &CurrentUser,
    id: TicketId,
    file_name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(Ticket, Evidence), ApiError> {
    let content_type = check(bytes)?;
    let file_name = clean_name(file_name);
    let size = i32::try_from(bytes.len()).map_err(|_| too_large(bytes.len()))?;
    let digest = Sha256::digest(bytes).to_vec();
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None).await?;
    let evidence_id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (shop_id, ticket_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(id)
    .bind(&file_name)
    .bind(content_type)
    .bind(size)
    .bind(&digest)
    .bind(bytes)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    repo::touch(&mut *tx, ticket.shop_id, id, now).await?;
    let event = EventData::EvidenceAdded(EvidenceAdded {
        evidence: evidence_id,
        file_name: file_name.clone(),
        content_type: content_type.to_string(),
        size_bytes: size,
    });
    repo::append_event(&mut *tx, ticket.shop_id, id, now, Some(user.id), &event).await?;
    let evidence: Evidence = sqlx::query_as(concat!(
        "SELECT ",
        evidence_columns!(),
        "WHERE e.shop_id = $1 AND e.id = $2"
    ))
    .bind(ticket.shop_id)
    .bind(evidence_id)
    .fetch_one(&mut *tx)
    .await?;
    let ticket = repo::get(&mut *tx, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    tx.commit().await?;
    tracing::info!(ticket = %id, evidence = evidence_id, size, content_type, "evidence attached");
    Ok((ticket, evidence))
}

/// A ticket's files, oldest first.
pub async fn list(pool: &PgPool, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Evidence>> {
    sqlx::query_as(concat!(
        "SELECT ",
        evidence_columns!(),
        "WHERE e.shop_id = $1 AND e.ticket_id = $2 ORDER BY e.id"
    ))
    .bind(shop)
    .bind(ticket)
    .fetch_all(pool)
    .await
}

/// One file with its content.
pub async fn content(
    pool: &PgPool,
    shop: ShopId,
    ticket: TicketId,
    id: i64,
) -> sqlx::Result<Option<(Evidence, Vec<u8>)>> {
    let meta: Option<Evidence> = sqlx::query_as(concat!(
        "SELECT ",
        evidence_columns!(),
        "WHERE e.shop_id = $1 AND e.ticket_id = $2 AND e.id = $3"
    ))
    .bind(shop)
    .bind(ticket)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(meta) = meta else { return Ok(None) };
    let bytes: Vec<u8> = sqlx::query_scalar("SELECT content FROM evidence WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(Some((meta, bytes)))
}

/// One file of a multipart upload.
#[derive(Debug, Default)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Reads the `file` part of a `multipart/form-data` body (other parts are ignored).
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Upload> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    let mut parts = Vec::new();
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    for part in parts.into_iter().skip(1) {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let split_at = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split_at]);
        let value = &part[split_at + 4..];
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or("");
        let param = |name: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(name))
                .map(|v| v.trim_matches('"').to_string())
        };
        if param("name=").as_deref() == Some("file") {
            return Some(Upload {
                file_name: param("filename=").unwrap_or_default(),
                bytes: value.to_vec(),
            });
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\0 photo.jpg"), None, "an executable named .jpg");
        assert_eq!(sniff(b"<svg xmlns="), None, "SVG can carry scripts");
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVE"), None);
    }

    #[test]
    fn the_limits_are_checked_before_anything_is_stored() {
        assert_eq!(check(b"").unwrap_err().status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(check(&big).unwrap_err().code, "evidence_too_large");
        big.truncate(MAX_BYTES);
        assert_eq!(check(&big).ok(), Some("image/jpeg"), "exactly 5 MB is accepted");
        assert_eq!(check(b"hello").unwrap_err().code, "evidence_type");
    }

    #[test]
    fn names_lose_paths_quotes_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\破损照片.jpg"), "破损照片.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b;\r\nc.png"), "abc.png");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("photo\u{202E}gnp.exe"), "photognp.exe");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn the_file_part_of_a_multipart_body_is_found() {
        let body = b"--B\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n3\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\nDATA\r\n--B--\r\n";
        let upload = parse_multipart("multipart/form-data; boundary=B", body).expect("parses");
        assert_eq!(upload.file_name, "p.png");
        assert_eq!(upload.bytes, b"\x89PNG\r\n\x1a\nDATA");
        assert!(parse_multipart("multipart/form-data; boundary=B", b"--B--\r\n").is_none());
    }
}
