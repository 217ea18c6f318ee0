//! Evidence on the ticket page: the thumbnails, the upload (multipart, answered like every
//! ticket action: the fragment for htmx, a redirect for a plain post, the reason when refused),
//! and the authorized routes that serve a file and the evidence pack.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::pack::EvidencePack;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::TicketId;
use crate::rules::workflow::Status;
use crate::state::AppState;
use crate::tickets::Ticket;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::Draft;
use crate::tickets::service::NewTransition;
use crate::web::{Page, PageError, PageResult};

/// The page routes that read (merged into the pages' router); the upload is in
/// [`super::api::upload_router`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}/evidence/{evidence}", get(serve_file))
        .route("/tickets/{id}/evidence-pack", get(download_pack))
}

/// One file on the ticket page.
pub struct EvidenceRow {
    pub id: i64,
    pub href: String,
    pub name: String,
    pub image: bool,
    /// "1.2 MB · 小李 · 03-11 10:20".
    pub caption: String,
}

/// Human size of a file.
pub fn size_text(bytes: i32) -> String {
    let bytes = f64::from(bytes);
    if bytes >= 1_048_576.0 {
        format!("{:.1} MB", bytes / 1_048_576.0)
    } else {
        format!("{:.0} KB", (bytes / 1024.0).max(1.0))
    }
}

/// The rows for a ticket's files (`files`, as [`super::list`] reads them).
pub fn rows(t: Tr, ticket: &Ticket, files: &[super::Evidence]) -> Vec<EvidenceRow> {
    files
        .iter()
        .map(|e| EvidenceRow {
            id: e.id,
            href: format!("/tickets/{}/evidence/{}", ticket.id, e.id),
            image: super::is_image(&e.content_type),
            caption: format!(
                "{} · {} · {}",
                size_text(e.size_bytes),
                e.uploaded_by_name.as_deref().unwrap_or_default(),
                t.datetime(&e.uploaded_at)
            ),
            name: e.file_name.clone(),
        })
        .collect()
}

/// Attaches a file from the ticket page.
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    request: Request,
) -> PageResult {
    let result = match super::api::read_upload(request).await {
        Ok(upload) => super::attach(
            &state.pool,
            &page.user,
            id,
            &upload.file_name,
            &upload.bytes,
            state.now(),
        )
        .await
        .map(|(ticket, _)| ticket)
        .map_err(Refusal::from),
        Err(error) => Err(Refusal::from(error)),
    };
    crate::tickets::pages::ticket::answer(&state, &page, id, result, "flash.evidence_saved", Draft::default()).await
}

/// Records an inspection from the ticket page (multipart, so the photo comes with the form):
/// the move's `to`, `version` and `note`, the checklist's fields, and the file field `photo`.
pub async fn inspect(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    request: Request,
) -> PageResult {
    let (result, draft) = match super::api::read_inspection(request).await {
        Ok((fields, photo)) => {
            let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let draft = Draft {
                move_note: field("note").unwrap_or_default().to_string(),
                move_to: field("to").unwrap_or_default().to_string(),
                move_draft: crate::tickets::pages::ticket::move_draft(field),
                ..Draft::default()
            };
            let version = field("version").and_then(|v| v.parse::<i32>().ok());
            let to = field("to").and_then(Status::parse);
            let result = match (to, version) {
                (Some(to), Some(version)) => {
                    let mut input = NewTransition {
                        note: field("note").map(str::to_string),
                        ..NewTransition::plain(to, version)
                    };
                    match crate::tickets::pages::ticket::details_from_form(&mut input, field) {
                        Ok(()) => super::inspect(
                            &state.pool,
                            &state.calendar(),
                            &page.user,
                            id,
                            photo,
                            input,
                            state.now(),
                        )
                        .await
                        .map_err(Refusal::from),
                        Err(error) => Err(error.into()),
                    }
                }
                _ => Err(FieldError::new("to", "form.choose_move").into()),
            };
            (result, draft)
        }
        Err(error) => (Err(Refusal::from(error)), Draft::default()),
    };
    crate::tickets::pages::ticket::answer(&state, &page, id, result, "goods.flash.inspected", draft).await
}

/// Downloads the evidence pack of a ticket (`pack`): the ticket page's facts, timeline and
/// verdicts with every file embedded. A page handler, so it is here with the other routes.
pub async fn download_pack(State(state): State<AppState>, page: Page, Path(id): Path<TicketId>) -> PageResult {
    let user = &page.user;
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    user.require(Action::ReadTickets)?;
    let body = crate::tickets::pages::ticket::partial(&state, user, page.t, &ticket, None).await?;
    let t = body.t;
    let events = crate::tickets::repo::events(&state.pool, &ticket).await?;
    let mut meta = body.meta;
    if let Some(goods) = &body.goods {
        if let Some(address) = &goods.return_address {
            meta.push((t.t("goods.return_address"), address.clone()));
        }
        if let Some((carrier, number)) = &goods.shipment {
            meta.push((t.t("goods.shipment"), format!("{carrier} {number}")));
        }
    }
    let pack = EvidencePack {
        t,
        id: body.id,
        title: body.title,
        kind: body.kind,
        status: body.status,
        made_at: t.datetime(&state.now()),
        made_by: user.display_name.clone(),
        meta,
        verdict: body.verdict,
        events: body.events,
        inspections: super::pack::inspections(t, &events),
        files: super::pack::files(&state.pool, t, ticket.shop_id, id).await?,
    };
    Ok(super::pack::download(&pack)?)
}

/// `Content-Disposition` for a stored name: ASCII fallback plus the UTF-8 name (RFC 6266).
pub fn disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::web::urlencode(name)
    )
}

/// Serves one file of a ticket the user may see, with its recognised type: images inline
/// (thumbnails, viewing), PDFs as a download.
pub async fn serve_file(
    State(state): State<AppState>,
    page: Page,
    Path((id, evidence)): Path<(TicketId, i64)>,
) -> PageResult {
    let user = &page.user;
    let ticket = crate::tickets::repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    user.require(Action::ReadTickets)?;
    let (meta, bytes) = super::content(&state.pool, ticket.shop_id, id, evidence)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    let kind = if super::is_image(&meta.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(headers, header::CONTENT_TYPE, meta.content_type.clone());
    set(headers, header::CONTENT_DISPOSITION, disposition(kind, &meta.file_name));
    // A buyer's photo is theirs: kept in no cache, like every other answer with buyers' data.
    set(headers, header::CACHE_CONTROL, "no-store".to_string());
    // A stored file never runs anything, whatever it contains.
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox".to_string(),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_a_safe_ascii_name_and_the_real_one() {
        assert_eq!(
            disposition("inline", "破损.jpg"),
            "inline; filename=\"__.jpg\"; filename*=UTF-8''%E7%A0%B4%E6%8D%9F.jpg"
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(300), "1 KB");
        assert_eq!(size_text(2 * 1_048_576), "2.0 MB");
    }
}
