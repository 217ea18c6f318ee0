//! The evidence pack for a platform dispute: one self-contained HTML file with the ticket's
//! facts, its whole timeline, the rule verdicts and every attachment (images embedded, PDFs as
//! embedded downloads). No zip: a single HTML file opens anywhere, prints, and needs no new
//! dependency.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use crate::i18n::Tr;
use crate::ids::{ShopId, TicketId};
use crate::tickets::events::GoodsRecord;
use crate::tickets::pages::ticket::{EventRow, VerdictBox};
use crate::tickets::{Event, EventData};

/// The pack.
#[derive(Template)]
#[template(path = "evidence_pack.html")]
pub struct EvidencePack {
    pub t: crate::i18n::Tr,
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub made_at: String,
    pub made_by: String,
    pub meta: Vec<(&'static str, String)>,
    pub verdict: Option<VerdictBox>,
    pub events: Vec<EventRow>,
    /// The inspections of the goods (checklist and photos), oldest first.
    pub inspections: Vec<PackInspection>,
    pub files: Vec<PackFile>,
}

/// One inspection of the goods, as the pack shows it.
pub struct PackInspection {
    pub when: String,
    pub who: String,
    /// The status the inspection moved the ticket to (已收货, 验货不通过…).
    pub status: &'static str,
    /// Each item, its mark, and whether it was ok; empty when no checklist was given.
    pub items: Vec<(String, String, bool)>,
    pub photos: Vec<String>,
}

/// The ticket's inspections, from its timeline, in the pack's language.
pub fn inspections(t: Tr, events: &[Event]) -> Vec<PackInspection> {
    events
        .iter()
        .filter_map(|event| {
            let EventData::StatusChanged(change) = &event.data else {
                return None;
            };
            let Some(GoodsRecord::Inspection { checklist, photos }) = &change.goods else {
                return None;
            };
            Some(PackInspection {
                when: t.datetime(&event.at),
                who: event.actor_name.clone().unwrap_or_default(),
                status: change.to.label(t.lang),
                items: checklist
                    .as_ref()
                    .map(|c| crate::tickets::pages::ticket::checklist_marks(t, c))
                    .unwrap_or_default(),
                photos: photos.iter().map(|p| p.file_name.clone()).collect(),
            })
        })
        .collect()
}

/// One attachment, embedded.
pub struct PackFile {
    pub name: String,
    pub content_type: String,
    pub caption: String,
    pub sha256: String,
    pub image: bool,
    /// `data:` URI of the content.
    pub data_uri: String,
}

/// The ticket's files, embedded, in the pack's language.
pub async fn files(pool: &PgPool, t: Tr, shop: ShopId, id: TicketId) -> sqlx::Result<Vec<PackFile>> {
    let mut files = Vec::new();
    for meta in super::list(pool, shop, id).await? {
        let Some((meta, bytes)) = super::content(pool, shop, id, meta.id).await? else {
            continue;
        };
        files.push(PackFile {
            caption: format!(
                "{} · {} · {}",
                super::page::size_text(meta.size_bytes),
                meta.uploaded_by_name.clone().unwrap_or_default(),
                t.datetime(&meta.uploaded_at)
            ),
            image: super::is_image(&meta.content_type),
            data_uri: format!("data:{};base64,{}", meta.content_type, base64(&bytes)),
            name: meta.file_name,
            content_type: meta.content_type,
            sha256: meta.sha256,
        });
    }
    Ok(files)
}

/// The pack as a download: an HTML attachment that carries its own style and embedded images,
/// and never a script.
pub fn download(pack: &EvidencePack) -> Result<Response, askama::Error> {
    let html = pack.render()?;
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"ticket-{}-evidence.html\"", pack.id)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src data:; style-src 'unsafe-inline'"),
    );
    Ok(response)
}

/// Standard base64 with padding (RFC 4648).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
