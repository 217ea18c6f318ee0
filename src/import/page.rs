//! `/import`: the upload page for owners, supervisors and admins. A plain multipart form (works
//! without JavaScript; with htmx the job's panel is swapped in place). The upload is checked
//! (who, their right, the CSRF token in the action's query string) before its body is read,
//! streamed to a temporary file, and imported by a background job (`import::jobs`): the page
//! shows the job's progress, refreshed by htmx while it runs, a button to cancel it, its
//! outcome, and the recent jobs of the user's shops. Orders go through `import::orders`;
//! refund reports through `import::refunds`, only for users who may work tickets and override
//! the rules (overrides are recorded in their name).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use super::jobs::{self, Failure, ImportJob, JobKind, JobRequest, JobState};
use super::orders::Format;
use super::refunds::Desk;
use super::upload::{TempUpload, UploadForm, receive};
use super::{ImportError, ImportSummary, RowError};
use crate::api::ApiQuery;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Message, Tr};
use crate::ids::ImportJobId;
use crate::shops::Shop;
use crate::state::AppState;
use crate::web::multipart::UploadError;
use crate::web::views::{Choice, Layout};
use crate::web::{Page, PageResult, render};

/// The largest upload the page takes (a year of a large shop's order report); the server's
/// setting is `AppState::import_upload_limit`.
pub const UPLOAD_LIMIT: u64 = 512 * 1024 * 1024;
/// Row errors shown on the page (the rest are counted).
const ERRORS_SHOWN: usize = 50;
/// Jobs listed in the history.
const HISTORY: i64 = 20;

/// How long receiving an upload may take (512 MB at about 5 Mbit/s); the import runs after it,
/// as a job.
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The upload route, with a body limit and timeout of its own instead of the application's 1 MB
/// and 30 s: the file is streamed to disk and its size counted against
/// `AppState::import_upload_limit` as it comes.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/import", post(upload))
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            UPLOAD_TIMEOUT,
        ))
}

/// The page and job routes (the application's body limit and timeout).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/import", axum::routing::get(show_import))
        .route("/import/jobs/{id}", axum::routing::get(show_job))
        .route("/import/jobs/{id}/cancel", post(cancel_job))
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
    pub history: Vec<JobLine>,
}

/// The outcome of an upload, or the panel of its job: the part htmx swaps (and polls while
/// the job runs).
#[derive(Template)]
#[template(path = "_import_result.html")]
pub struct ImportResultPartial {
    pub t: Tr,
    pub shown: bool,
    pub ok: bool,
    pub headline: String,
    pub lines: Vec<String>,
    pub errors: Vec<RowLine>,
    pub more_errors: String,
    pub job: Option<JobPanel>,
}

/// A refused row as the page lists it: its line and what was wrong, in the reader's language.
pub struct RowLine {
    pub line: u64,
    pub text: String,
}

impl RowLine {
    fn of(t: Tr, error: &RowError) -> RowLine {
        RowLine {
            line: error.line,
            text: error.text(t),
        }
    }
}

/// A job's progress, as its panel shows it.
pub struct JobPanel {
    pub id: ImportJobId,
    pub title: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: &'static str,
    pub state_label: &'static str,
    /// Queued or running: the panel polls and offers to cancel.
    pub unfinished: bool,
    pub rows_done: u64,
    pub rows_total: u64,
    pub progress_text: String,
    pub csrf: String,
}

/// A line of the import history: when, who, which shop, kind and file, where it is, how many
/// rows, and its outcome in words (counts, or what was wrong, in the reader's language).
pub struct JobLine {
    pub id: ImportJobId,
    pub created: String,
    pub who: String,
    pub shop: String,
    pub kind: &'static str,
    pub file_name: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub rows: String,
    pub outcome: String,
    /// The first wrong rows of a job refused for them ("第 3 行：…").
    pub errors: Vec<String>,
}

/// Wrong rows the history shows under a failed job (its panel shows more).
const HISTORY_ERRORS: usize = 3;

/// A finished job's outcome in words, and its first wrong rows; an unfinished job's progress.
fn outcome(t: Tr, job: &ImportJob) -> (String, Vec<String>) {
    match (&job.state, &job.summary, &job.failure) {
        (JobState::Done, Some(s), _) if s.dry_run => {
            (t.f("admin_pages.import.checked", &[("rows", &s.rows)]), Vec::new())
        }
        (JobState::Done, Some(s), _) => (
            t.f(
                "admin_pages.import.counts",
                &[
                    ("rows", &s.rows),
                    ("created", &s.orders_created),
                    ("updated", &s.orders_updated),
                    ("tickets", &s.tickets_created),
                ],
            ),
            Vec::new(),
        ),
        (JobState::Failed, _, Some(Failure::Rows { rows, count })) => (
            t.f("admin_pages.import.row_errors", &[("n", count)]),
            rows.iter()
                .take(HISTORY_ERRORS)
                .map(|e| t.f("admin_pages.import.line", &[("line", &e.line), ("text", &e.text(t))]))
                .collect(),
        ),
        (JobState::Failed, _, Some(Failure::Refused { said: Some(said), .. })) => (t.message(said), Vec::new()),
        // Stored before refusals carried a catalogue message: the English is all there is.
        (JobState::Failed, _, Some(Failure::Refused { message, .. })) => (message.clone(), Vec::new()),
        (JobState::Failed, _, Some(Failure::Interrupted)) => (t.t("import.interrupted").to_string(), Vec::new()),
        (JobState::Failed, _, _) => (t.t("import.failed").to_string(), Vec::new()),
        (JobState::Cancelled, _, _) => (
            t.t(if job.kind == JobKind::Refunds {
                "import.cancelled_refunds"
            } else {
                "import.cancelled"
            })
            .to_string(),
            Vec::new(),
        ),
        _ => (String::new(), Vec::new()),
    }
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
            job: None,
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
                    job: None,
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
                    errors: errors.iter().take(ERRORS_SHOWN).map(|e| RowLine::of(t, e)).collect(),
                    more_errors: if more > 0 {
                        t.f("import.more_errors", &[("n", &more)])
                    } else {
                        String::new()
                    },
                    job: None,
                }
            }
            Err(other) => ImportResultPartial {
                t,
                shown: true,
                ok: false,
                headline: t.t("import.failed").to_string(),
                lines: vec![other.text(t)],
                errors: Vec::new(),
                more_errors: String::new(),
                job: None,
            },
        }
    }

    /// A job's panel: its progress while it runs, its outcome once it ended.
    fn from_job(t: Tr, job: &ImportJob, csrf: String) -> ImportResultPartial {
        let mut partial = match (&job.state, &job.summary, &job.failure) {
            (JobState::Done, Some(summary), _) => ImportResultPartial::from_outcome(t, Ok(summary.clone())),
            (JobState::Failed, _, Some(Failure::Rows { rows, count })) => {
                let more = (*count as usize).saturating_sub(rows.len().min(ERRORS_SHOWN));
                ImportResultPartial {
                    ok: false,
                    headline: t.f("import.rows_failed", &[("n", count)]),
                    errors: rows.iter().take(ERRORS_SHOWN).map(|e| RowLine::of(t, e)).collect(),
                    more_errors: if more > 0 {
                        t.f("import.more_errors", &[("n", &more)])
                    } else {
                        String::new()
                    },
                    ..ImportResultPartial::empty(t)
                }
            }
            (JobState::Failed, _, failure) => ImportResultPartial {
                ok: false,
                headline: t.t("import.failed").to_string(),
                lines: vec![match failure {
                    Some(Failure::Refused { said: Some(said), .. }) => t.message(said),
                    Some(Failure::Refused { message, .. } | Failure::Database { message }) => message.clone(),
                    _ => t.t("import.interrupted").to_string(),
                }],
                ..ImportResultPartial::empty(t)
            },
            (JobState::Cancelled, _, _) => ImportResultPartial {
                ok: false,
                headline: t
                    .t(if job.kind == JobKind::Refunds {
                        "import.cancelled_refunds"
                    } else {
                        "import.cancelled"
                    })
                    .to_string(),
                ..ImportResultPartial::empty(t)
            },
            _ => ImportResultPartial::empty(t),
        };
        partial.shown = true;
        partial.job = Some(JobPanel {
            id: job.id,
            title: t.f("admin_pages.import.job", &[("file", &job.file_name)]),
            state: job.state.as_str(),
            state_label: state_label(t, job.state),
            unfinished: job.state.is_unfinished(),
            rows_done: job.rows_done,
            rows_total: job.rows_total,
            progress_text: if job.rows_total > 0 {
                t.f(
                    "import.progress",
                    &[("done", &job.rows_done), ("total", &job.rows_total)],
                )
            } else {
                t.t("import.reading").to_string()
            },
            csrf,
        });
        partial
    }
}

fn state_label(t: Tr, state: JobState) -> &'static str {
    t.t(match state {
        JobState::Queued => "import.state.queued",
        JobState::Running => "import.state.running",
        JobState::Done => "import.state.done",
        JobState::Failed => "import.state.failed",
        JobState::Cancelled => "import.state.cancelled",
    })
}

/// `/import?job=ID`: the page with that job's panel.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    pub job: Option<ImportJobId>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    form: &UploadForm,
    result: ImportResultPartial,
) -> sqlx::Result<ImportPage> {
    let shops = crate::shops::list(&state.pool, &user.shops).await?;
    let history = jobs::recent(&state.pool, &user.shops, HISTORY).await?;
    Ok(ImportPage {
        layout: Layout::new(state, t, user, "import", "/import"),
        history: history
            .iter()
            .map(|job| {
                let (outcome, errors) = outcome(t, job);
                JobLine {
                    id: job.id,
                    created: t.datetime(&job.created_at),
                    who: job.user_name.clone(),
                    outcome,
                    errors,
                    shop: shops
                        .iter()
                        .find(|s| s.id == job.shop_id)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                    kind: t.t(match job.kind {
                        JobKind::Orders => "import.kind_orders_short",
                        JobKind::Refunds => "import.kind_refunds_short",
                    }),
                    file_name: job.file_name.clone(),
                    state: job.state.as_str(),
                    state_label: state_label(t, job.state),
                    rows: if job.rows_total > 0 {
                        t.f(
                            "import.progress",
                            &[("done", &job.rows_done), ("total", &job.rows_total)],
                        )
                    } else {
                        String::new()
                    },
                }
            })
            .collect(),
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

/// Shows the upload form, the recent jobs and, with `?job=`, that job's panel.
pub async fn show_import(
    State(state): State<AppState>,
    Page { user, t, .. }: Page,
    ApiQuery(query): ApiQuery<ImportQuery>,
) -> PageResult<Html<String>> {
    user.require(Action::ImportOrders)?;
    let result = match query.job {
        Some(id) => job_panel(&state, &user, t, id).await?,
        None => ImportResultPartial::empty(t),
    };
    render(&page(&state, &user, t, &UploadForm::default(), result).await?)
}

/// A job's panel (what htmx polls).
pub async fn show_job(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<ImportJobId>,
) -> PageResult<Html<String>> {
    page.user.require(Action::ImportOrders)?;
    render(&job_panel(&state, &page.user, page.t, id).await?)
}

/// Asks a queued or running job to stop; the panel (or, without htmx, the page) shows it.
pub async fn cancel_job(State(state): State<AppState>, page: Page, Path(id): Path<ImportJobId>) -> PageResult {
    page.user.require(Action::ImportOrders)?;
    // A job that already ended is shown as it ended.
    jobs::request_cancel(&state.pool, &state.import_jobs, id, &page.user.shops).await?;
    let panel = job_panel(&state, &page.user, page.t, id).await?;
    if page.htmx {
        return Ok(render(&panel)?.into_response());
    }
    Ok(Redirect::to(&format!("/import?job={id}")).into_response())
}

async fn job_panel(state: &AppState, user: &CurrentUser, t: Tr, id: ImportJobId) -> ApiResult<ImportResultPartial> {
    let job = jobs::get(&state.pool, id, &user.shops)
        .await?
        .ok_or_else(|| ApiError::not_found("import job"))?;
    Ok(ImportResultPartial::from_job(
        t,
        &job,
        crate::web::csrf::token_for(&user.token),
    ))
}

/// Takes an upload and starts its import. Who is asking, their right to import and the CSRF
/// token are settled from the headers and the query before a byte of the body is read: a
/// refusal answers at once, whatever size the body announces. A program (a bearer token) is
/// answered in JSON, a browser with the error page.
pub async fn upload(State(state): State<AppState>, page: Page, headers: HeaderMap, request: Request) -> Response {
    if let Err(refusal) = page.user.require(Action::ImportOrders) {
        return crate::web::error_for_client(&headers, refusal);
    }
    match take_upload(&state, &page, request).await {
        Ok(answer) => answer,
        Err(error) => crate::web::error_for_client(&headers, error),
    }
}

async fn take_upload(state: &AppState, asker: &Page, request: Request) -> ApiResult<Response> {
    let (user, t) = (&asker.user, asker.t);
    let mut form = receive(request, state.import_upload_limit)
        .await
        .map_err(upload_refusal)?;
    let upload = form.file.take();
    let (shop, job_request, upload) = match check(state, user, &form, upload).await {
        Ok(checked) => checked,
        Err(refusal) => {
            let kind = JobKind::parse(&form.kind).unwrap_or(JobKind::Orders);
            let outcome = Err(refusal);
            jobs::count(&state.metrics, kind, &outcome);
            let result = ImportResultPartial::from_outcome(t, outcome);
            if asker.htmx {
                return Ok(Html(result.render()?).into_response());
            }
            return Ok(Html(page(state, user, t, &form, result).await?.render()?).into_response());
        }
    };
    let id = jobs::create(&state.pool, shop.id, user.id, &job_request, &upload, state.now()).await?;
    let runner = jobs::Jobs {
        desk: Desk {
            pool: state.pool.clone(),
            calendar: state.calendar(),
            clock: state.clock.clone(),
        },
        running: state.import_jobs.clone(),
        metrics: state.metrics.clone(),
    };
    jobs::spawn(runner, user.clone(), shop, id, job_request, upload);
    if asker.htmx {
        return Ok(Html(job_panel(state, user, t, id).await?.render()?).into_response());
    }
    Ok(Redirect::to(&format!("/import?job={id}")).into_response())
}

/// An upload form that could not be taken, as the API and the page answer it: 400
/// `import_upload_unreadable` (the page explains it from the catalogue), 413
/// `import_too_large` with what to do, 500 when the server cannot store it.
fn upload_refusal(error: UploadError) -> ApiError {
    const UNREADABLE: &str = "import_upload_unreadable";
    match error {
        UploadError::NotMultipart => {
            ApiError::bad_request("send the form as multipart/form-data with a file").with_code(UNREADABLE)
        }
        UploadError::Unreadable(_) | UploadError::FieldTooLong(_) => {
            ApiError::bad_request(format!("{error}; send it again")).with_code(UNREADABLE)
        }
        UploadError::BodyTooLarge => too_large(UPLOAD_LIMIT),
        UploadError::TooLarge { limit, .. } => too_large(limit),
        UploadError::Storage(error) => {
            tracing::error!(%error, "cannot store an upload in the temporary directory");
            ApiError::internal("cannot store the upload on the server")
        }
    }
}

/// 413 `import_too_large`, with what to do.
fn too_large(limit: u64) -> ApiError {
    ApiError {
        status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        ..ApiError::bad_request(format!(
            "the file is larger than {} MB: split it (for example by month) and import the parts",
            limit / (1024 * 1024)
        ))
    }
    .with_code("import_too_large")
}

/// What the form asks for, if this user may: the shop, the kind and format, a non-empty file.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    form: &UploadForm,
    upload: Option<TempUpload>,
) -> Result<(Shop, JobRequest, TempUpload), ImportError> {
    let shop_id = form
        .shop
        .filter(|s| user.can_see_shop(*s))
        .ok_or_else(|| ImportError::Refused(Message::new("import.error.choose_shop")))?;
    let shop = crate::shops::get(&state.pool, shop_id)
        .await?
        .ok_or_else(|| ImportError::Refused(Message::new("import.error.choose_shop")))?;
    let upload = upload
        .filter(|u| u.size > 0)
        .ok_or_else(|| ImportError::Refused(Message::new("import.error.choose_file")))?;
    let kind = if form.kind.is_empty() {
        JobKind::Orders
    } else {
        JobKind::parse(&form.kind).ok_or_else(|| ImportError::Refused(Message::new("import.error.bad_kind")))?
    };
    if kind == JobKind::Refunds && !(user.may(Action::WorkTickets) && user.may(Action::OverrideRules)) {
        return Err(ImportError::Refused(Message::new("import.error.refunds_not_allowed")));
    }
    let format =
        Format::parse(&form.format).ok_or_else(|| ImportError::Refused(Message::new("import.error.bad_format")))?;
    Ok((
        shop,
        JobRequest {
            kind,
            format,
            dry_run: form.dry_run,
        },
        upload,
    ))
}
