//! `/import`: the upload page for owners, supervisors and admins. A plain multipart form (works
//! without JavaScript; with htmx the result is swapped in place while an indicator shows the
//! upload is under way). Orders go through `import::orders`; refund reports through
//! `import::refunds`, only for users who may work tickets and override the rules (overrides
//! are recorded in their name). The form's CSRF token travels in the action's query string.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;

use super::orders::Format;
use super::upload::{UploadForm, receive};
use super::{ImportError, ImportSummary, RowError};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::ApiResult;
use crate::i18n::Tr;
use crate::web::views::{Choice, Layout};
use crate::web::{PageUser, is_htmx, render, translator};

/// The largest upload the page takes (a year of a large shop's order report); the server's
/// setting is `AppState::import_upload_limit`.
pub const UPLOAD_LIMIT: u64 = 512 * 1024 * 1024;
/// Row errors shown on the page (the rest are counted).
const ERRORS_SHOWN: usize = 50;

/// The upload route, outside the application's 1 MB body limit: the file is streamed to disk
/// and its size counted against `AppState::import_upload_limit` as it comes.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/import", post(upload))
        .layer(DefaultBodyLimit::disable())
}

/// The upload page.
#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub shops: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub formats: Vec<Choice>,
    pub result: ImportResultPartial,
}

/// The outcome of an upload: the part htmx swaps.
#[derive(Template)]
#[template(path = "_import_result.html")]
pub struct ImportResultPartial {
    pub t: Tr,
    pub shown: bool,
    pub ok: bool,
    pub headline: String,
    pub lines: Vec<String>,
    pub errors: Vec<RowError>,
    pub more_errors: String,
}

impl ImportResultPartial {
    fn empty(t: Tr) -> ImportResultPartial {
        ImportResultPartial {
            t,
            shown: false,
            ok: true,
            headline: String::new(),
            lines: Vec::new(),
            errors: Vec::new(),
            more_errors: String::new(),
        }
    }

    fn from_outcome(t: Tr, outcome: Result<ImportSummary, ImportError>) -> ImportResultPartial {
        match outcome {
            Ok(s) => {
                let key = if s.dry_run { "import.checked" } else { "import.done" };
                ImportResultPartial {
                    t,
                    shown: true,
                    ok: true,
                    headline: t.f(key, &[("rows", &s.rows)]),
                    lines: vec![
                        t.f("import.file_kind", &[("layout", &s.layout), ("encoding", &s.encoding)]),
                        t.f(
                            "import.orders_counts",
                            &[
                                ("created", &s.orders_created),
                                ("updated", &s.orders_updated),
                                ("unchanged", &s.orders_unchanged),
                            ],
                        ),
                        t.f(
                            "import.lines_counts",
                            &[("written", &s.lines_written), ("removed", &s.lines_removed)],
                        ),
                        t.f(
                            "import.tickets_counts",
                            &[("created", &s.tickets_created), ("unchanged", &s.tickets_unchanged)],
                        ),
                    ],
                    errors: Vec::new(),
                    more_errors: String::new(),
                }
            }
            Err(ImportError::Rows(errors)) => {
                let more = errors.len().saturating_sub(ERRORS_SHOWN);
                ImportResultPartial {
                    t,
                    shown: true,
                    ok: false,
                    headline: t.f("import.rows_failed", &[("n", &errors.len())]),
                    lines: Vec::new(),
                    errors: errors.into_iter().take(ERRORS_SHOWN).collect(),
                    more_errors: if more > 0 {
                        t.f("import.more_errors", &[("n", &more)])
                    } else {
                        String::new()
                    },
                }
            }
            Err(other) => ImportResultPartial {
                t,
                shown: true,
                ok: false,
                headline: t.t("import.failed").to_string(),
                lines: vec![other.to_string()],
                errors: Vec::new(),
                more_errors: String::new(),
            },
        }
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    form: &UploadForm,
    result: ImportResultPartial,
) -> ApiResult<ImportPage> {
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    Ok(ImportPage {
        layout: Layout::new(state, t, user, "import", "/import"),
        shops: shops
            .iter()
            .map(|s| {
                Choice::new(
                    s.id.to_string(),
                    format!("{} ({})", s.name, s.code),
                    form.shop == Some(s.id),
                )
            })
            .collect(),
        kinds: vec![
            Choice::new("orders", t.t("import.kind_orders"), form.kind != "refunds"),
            Choice::new("refunds", t.t("import.kind_refunds"), form.kind == "refunds"),
        ],
        formats: vec![
            Choice::new(
                "auto",
                t.t("import.format_auto"),
                form.format.is_empty() || form.format == "auto",
            ),
            Choice::new("taobao", t.t("import.format_taobao"), form.format == "taobao"),
            Choice::new("csv", t.t("import.format_csv"), form.format == "csv"),
        ],
        result,
    })
}

/// Shows the upload form.
pub async fn show_import(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    user.require(Action::ImportOrders)?;
    let t = translator(&headers);
    render(&page(&state, &user, t, &UploadForm::default(), ImportResultPartial::empty(t)).await?)
}

/// Takes an upload and imports it. Who is asking, their right to import and the CSRF token are
/// settled from the headers and the query before a byte of the body is read: a refusal answers
/// at once, whatever size the body announces.
pub async fn upload(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    uri: Uri,
    request: Request,
) -> Response {
    if let Err(refusal) = user
        .require(Action::ImportOrders)
        .and_then(|()| crate::web::csrf::check_upload(&headers, &uri))
    {
        return crate::web::error_for_client(&headers, refusal);
    }
    match take_upload(&state, &user, &headers, request).await {
        Ok(page) => page.into_response(),
        Err(error) => crate::web::error_for_client(&headers, error),
    }
}

async fn take_upload(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    request: Request,
) -> ApiResult<Html<String>> {
    let t = translator(headers);
    let form = receive(request, state, state.import_upload_limit).await?;
    let outcome = run(state, user, &form).await;
    count(state, &form, &outcome);
    let result = ImportResultPartial::from_outcome(t, outcome);
    if is_htmx(headers) {
        return render(&result);
    }
    render(&page(state, user, t, &form, result).await?)
}

/// Counts the import in the server's metrics.
fn count(state: &AppState, form: &UploadForm, outcome: &Result<ImportSummary, ImportError>) {
    use crate::metrics::{ImportKind, ImportOutcome};
    let kind = if form.kind == "refunds" {
        ImportKind::Refunds
    } else {
        ImportKind::Orders
    };
    let (outcome, rows) = match outcome {
        Ok(summary) if summary.dry_run => (ImportOutcome::Checked, 0),
        Ok(summary) => (ImportOutcome::Imported, summary.rows),
        Err(ImportError::Database(_)) => (ImportOutcome::Failed, 0),
        Err(_) => (ImportOutcome::Rejected, 0),
    };
    state.metrics.import_finished(kind, outcome, rows);
}

async fn run(state: &AppState, user: &CurrentUser, form: &UploadForm) -> Result<ImportSummary, ImportError> {
    let shop_id = form
        .shop
        .filter(|s| user.can_see_shop(*s))
        .ok_or_else(|| ImportError::Refused("choose one of your shops".into()))?;
    let shop = crate::shops::get(&state.pool, shop_id)
        .await?
        .ok_or_else(|| ImportError::Refused("choose one of your shops".into()))?;
    let file = match &form.file {
        Some(upload) if upload.size > 0 => upload
            .read()
            .await
            .map_err(|e| ImportError::Unreadable(format!("cannot read the uploaded file back: {e}")))?,
        _ => return Err(ImportError::Refused("choose a file to import".into())),
    };
    let mut quiet = |_| {};
    if form.kind == "refunds" {
        if !(user.may(Action::WorkTickets) && user.may(Action::OverrideRules)) {
            return Err(ImportError::Refused(
                "refund reports become tickets whose rule overrides are recorded in the importer's name: \
                 an admin imports them here (or a supervisor with `aftersales import refunds --as LOGIN`)"
                    .into(),
            ));
        }
        let summary = super::refunds::import(state, user, &shop, &file, form.dry_run, &mut quiet).await?;
        super::audit(&state.pool, Some(user.id), shop.id, "refunds", "upload", &summary).await?;
        return Ok(summary);
    }
    let format =
        Format::parse(&form.format).ok_or_else(|| ImportError::Refused("the format is auto, taobao or csv".into()))?;
    let summary = super::orders::import(
        &state.pool,
        shop.id,
        shop.zone(),
        &file,
        format,
        form.dry_run,
        &mut quiet,
    )
    .await?;
    super::audit(&state.pool, Some(user.id), shop.id, "orders", "upload", &summary).await?;
    Ok(summary)
}
