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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId, UserId};
use crate::tickets::events::{EventData, EvidenceAdded};
use crate::tickets::{Ticket, repo, service};

/// The largest file accepted: 5 MB.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

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

/// Why a file was not attached.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// No file, or an empty one (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// Over [`MAX_BYTES`]: `size` bytes (as far as they were counted).
    #[error("the file is larger than 5 MB")]
    TooLarge { size: u64 },
    /// Not a JPEG, PNG, WebP or PDF by its content.
    #[error("only JPEG, PNG, WebP and PDF files are accepted")]
    WrongType,
    /// The upload is not a `multipart/form-data` form.
    #[error("send the file as multipart/form-data, in a field named `file`")]
    NotMultipart,
    /// The upload form was cut off or malformed: what the reader found wrong.
    #[error("{0}; send it again")]
    Unreadable(String),
    /// The file could not be held while it was read (a fault of ours).
    #[error("cannot hold the upload: {0}")]
    Holding(String),
    /// The ticket is not there (or not in the user's shops).
    #[error("no such ticket")]
    NotFound,
    /// The ticket service refused the change, as it says it. (Its own error type:
    /// `tickets::service` answers it.)
    #[error("{0}")]
    Ticket(crate::tickets::TicketError),
    /// The database refused or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Checks a file against the limits; the type recognised from its content.
pub fn check(bytes: &[u8]) -> Result<&'static str, EvidenceError> {
    if bytes.is_empty() {
        return Err(EvidenceError::Invalid(FieldError::new("file", "evidence.error.empty")));
    }
    if bytes.len() > MAX_BYTES {
        return Err(EvidenceError::TooLarge {
            size: bytes.len() as u64,
        });
    }
    sniff(bytes).ok_or(EvidenceError::WrongType)
}

/// A stored file, without its content.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
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
) -> Result<(Ticket, Evidence), EvidenceError> {
    let content_type = check(bytes)?;
    let file_name = clean_name(file_name);
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, None)
        .await
        .map_err(EvidenceError::Ticket)?;
    let evidence_id = store(&mut tx, user, &ticket, &file_name, content_type, bytes, now).await?;
    repo::touch(&mut *tx, ticket.shop_id, id, now).await?;
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
        .ok_or(EvidenceError::NotFound)?;
    tx.commit().await?;
    Ok((ticket, evidence))
}

/// Records an inspection from the ticket page: the photo taken with the form (if any) is
/// checked, stored and named in the move, and the move made — one transaction, so a refused
/// move leaves no photo behind and a refused photo makes no move.
pub async fn inspect(
    pool: &PgPool,
    calendar: &crate::rules::calendar::Calendar,
    user: &CurrentUser,
    id: TicketId,
    photo: Option<api::Upload>,
    mut input: service::NewTransition,
    now: DateTime<Utc>,
) -> Result<Ticket, EvidenceError> {
    let photo = match photo {
        Some(photo) => {
            let content_type = check(&photo.bytes)?;
            if !is_image(content_type) {
                return Err(EvidenceError::Invalid(FieldError::new(
                    "photo",
                    "goods.invalid.photo_not_image",
                )));
            }
            Some((clean_name(&photo.file_name), content_type, photo.bytes))
        }
        None => None,
    };
    let mut tx = pool.begin().await?;
    let ticket = service::lock_for_change(&mut tx, user, id, Some(input.version))
        .await
        .map_err(EvidenceError::Ticket)?;
    if let Some((name, content_type, bytes)) = &photo {
        let stored = store(&mut tx, user, &ticket, name, content_type, bytes, now).await?;
        input.photos.push(stored);
    }
    let moved = service::transition_in(&mut tx, calendar, user, id, input, now)
        .await
        .map_err(EvidenceError::Ticket)?;
    tx.commit().await?;
    Ok(moved)
}

/// Stores a checked file of `ticket` (locked by the caller) with its `evidence_added` event,
/// inside the caller's transaction; the ticket's version is the caller's to bump (an
/// inspection stores its photo and moves the ticket as one change).
pub async fn store(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    file_name: &str,
    content_type: &'static str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<i64, EvidenceError> {
    let size = i32::try_from(bytes.len()).map_err(|_| EvidenceError::TooLarge {
        size: bytes.len() as u64,
    })?;
    let digest = Sha256::digest(bytes).to_vec();
    let evidence_id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (shop_id, ticket_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(ticket.shop_id)
    .bind(ticket.id)
    .bind(file_name)
    .bind(content_type)
    .bind(size)
    .bind(&digest)
    .bind(bytes)
    .bind(user.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = EventData::EvidenceAdded(EvidenceAdded {
        evidence: evidence_id,
        file_name: file_name.to_string(),
        content_type: content_type.to_string(),
        size_bytes: size,
    });
    repo::append_event(&mut *tx, ticket.shop_id, ticket.id, now, Some(user.id), &event).await?;
    tracing::info!(ticket = %ticket.id, evidence = evidence_id, size, content_type, "evidence attached");
    Ok(evidence_id)
}

/// The images among `ids` that are attached to the ticket, as `(id, file name)`, in the order
/// of `ids`; an id that is not one of them is left out (the caller names it).
pub async fn images_of(
    conn: &mut sqlx::PgConnection,
    shop: ShopId,
    ticket: TicketId,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, String)>> {
    let found: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, file_name FROM evidence
         WHERE shop_id = $1 AND ticket_id = $2 AND id = ANY($3) AND content_type LIKE 'image/%'",
    )
    .bind(shop)
    .bind(ticket)
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|(found, _)| found == id).cloned())
        .collect())
}

/// A ticket's files, oldest first.
pub async fn list(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<Evidence>> {
    of_ticket(shop, ticket).all(db).await
}

/// A ticket's files, oldest first.
pub fn of_ticket(shop: ShopId, ticket: TicketId) -> Read<Evidence> {
    Read::new(concat!(
        "SELECT ",
        evidence_columns!(),
        "WHERE e.shop_id = $1 AND e.ticket_id = $2 ORDER BY e.id"
    ))
    .bind(shop)
    .bind(ticket)
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
        assert!(matches!(check(b""), Err(EvidenceError::Invalid(e)) if e.field == "file"));
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_BYTES + 1, 0);
        assert!(matches!(check(&big), Err(EvidenceError::TooLarge { size }) if size == MAX_BYTES as u64 + 1));
        big.truncate(MAX_BYTES);
        assert_eq!(check(&big).ok(), Some("image/jpeg"), "exactly 5 MB is accepted");
        assert!(matches!(check(b"hello"), Err(EvidenceError::WrongType)));
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
}
