//! Imports from the upload page as background jobs (table `import_jobs`): the upload is stored
//! in a temporary file, a job row is written and [`spawn`] runs the import on its own task, so
//! no request waits for it (nor the request timeout cuts it short). While it runs, the job
//! writes its progress and a heartbeat every second and reads whether someone asked it to
//! stop; [`fail_abandoned`] marks failed the jobs whose server died under them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::sync::Semaphore;

use super::orders::Format;
use super::refunds::Desk;
use super::upload::TempUpload;
use super::{Cancel, ImportError, ImportSummary, Progress, RowError};
use crate::auth::CurrentUser;
use crate::clock::Clock;
use crate::i18n::Message;
use crate::ids::{ImportJobId, ShopId, UserId};
use crate::metrics::{ImportKind, ImportOutcome, Metrics};
use crate::shops::Shop;

/// Imports one server runs at once (each reads its file whole); the others wait `queued`.
const SLOTS: usize = 2;
/// How often a running job writes its progress and heartbeat.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// A job without a heartbeat for this long is taken for abandoned.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(30);
/// Wrong rows kept with a failed job (the rest are counted).
const ROWS_KEPT: usize = 50;

/// What a job imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Orders,
    Refunds,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Orders => "orders",
            JobKind::Refunds => "refunds",
        }
    }

    pub fn parse(text: &str) -> Option<JobKind> {
        match text {
            "orders" => Some(JobKind::Orders),
            "refunds" => Some(JobKind::Refunds),
            _ => None,
        }
    }

    fn metric(self) -> ImportKind {
        match self {
            JobKind::Orders => ImportKind::Orders,
            JobKind::Refunds => ImportKind::Refunds,
        }
    }
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Stored, waiting for a free slot.
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the job may still change (and be cancelled).
    pub fn is_unfinished(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// Why a job failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// Wrong rows, by line (the first ones), and how many there were in all.
    Rows { rows: Vec<RowError>, count: u64 },
    /// The file or a later step was refused: in English (`message`, all that rows stored before
    /// messages were typed have) and as a catalogue message to show in the reader's language.
    Refused {
        message: String,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "super::lenient_message"
        )]
        said: Option<Message>,
    },
    /// The database failed.
    Database { message: String },
    /// The server stopped while the job ran.
    Interrupted,
}

/// A job as stored.
#[derive(Clone, Debug)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub shop_id: ShopId,
    pub user_id: UserId,
    /// The name of who uploaded the file.
    pub user_name: String,
    pub kind: JobKind,
    pub dry_run: bool,
    pub file_name: String,
    pub state: JobState,
    pub rows_done: u64,
    pub rows_total: u64,
    pub summary: Option<ImportSummary>,
    pub failure: Option<Failure>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: ImportJobId,
    shop_id: ShopId,
    user_id: UserId,
    user_name: Option<String>,
    kind: String,
    dry_run: bool,
    file_name: String,
    state: String,
    rows_done: i64,
    rows_total: i64,
    summary: Option<Json<ImportSummary>>,
    failure: Option<Json<Failure>>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<JobRow> for ImportJob {
    fn from(row: JobRow) -> ImportJob {
        ImportJob {
            id: row.id,
            shop_id: row.shop_id,
            user_id: row.user_id,
            user_name: row.user_name.unwrap_or_default(),
            // The table's CHECKs allow only the values these parse.
            kind: JobKind::parse(&row.kind).unwrap_or(JobKind::Orders),
            dry_run: row.dry_run,
            file_name: row.file_name,
            state: JobState::parse(&row.state).unwrap_or(JobState::Failed),
            rows_done: u64::try_from(row.rows_done).unwrap_or(0),
            rows_total: u64::try_from(row.rows_total).unwrap_or(0),
            summary: row.summary.map(|s| s.0),
            failure: row.failure.map(|f| f.0),
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

/// What an upload asks for, checked.
#[derive(Clone, Debug)]
pub struct JobRequest {
    pub kind: JobKind,
    pub format: Format,
    pub dry_run: bool,
}

/// Stores a new queued job for `upload`.
pub async fn create(
    pool: &PgPool,
    shop: ShopId,
    user: UserId,
    request: &JobRequest,
    upload: &TempUpload,
    now: DateTime<Utc>,
) -> sqlx::Result<ImportJobId> {
    sqlx::query_scalar(
        "INSERT INTO import_jobs (shop_id, user_id, kind, format, dry_run, file_name, file_size, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(shop)
    .bind(user)
    .bind(request.kind.as_str())
    .bind(request.format.as_str())
    .bind(request.dry_run)
    .bind(&upload.name)
    .bind(i64::try_from(upload.size).unwrap_or(i64::MAX))
    .bind(now)
    .fetch_one(pool)
    .await
}

/// A job of one of `shops`.
pub async fn get(pool: &PgPool, id: ImportJobId, shops: &[ShopId]) -> sqlx::Result<Option<ImportJob>> {
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "SELECT j.id, j.shop_id, j.user_id, u.display_name AS user_name, j.kind, j.dry_run, j.file_name, j.state, ",
        "j.rows_done, j.rows_total, j.summary, j.failure, j.created_at, j.finished_at ",
        "FROM import_jobs j LEFT JOIN users u ON u.id = j.user_id WHERE j.id = $1 AND j.shop_id = ANY($2)"
    ))
    .bind(id)
    .bind(shops)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(ImportJob::from))
}

/// The latest jobs of `shops`, newest first, with who uploaded each.
pub async fn recent(pool: &PgPool, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<ImportJob>> {
    let rows: Vec<JobRow> = sqlx::query_as(concat!(
        "SELECT j.id, j.shop_id, j.user_id, u.display_name AS user_name, j.kind, j.dry_run, j.file_name, j.state, ",
        "j.rows_done, j.rows_total, j.summary, j.failure, j.created_at, j.finished_at ",
        "FROM import_jobs j LEFT JOIN users u ON u.id = j.user_id WHERE j.shop_id = ANY($1) ",
        "ORDER BY j.id DESC LIMIT $2"
    ))
    .bind(shops)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ImportJob::from).collect())
}

/// Asks an unfinished job of one of `shops` to stop (in this process at once, elsewhere at its
/// next report). Whether there was such a job.
pub async fn request_cancel(pool: &PgPool, running: &Running, id: ImportJobId, shops: &[ShopId]) -> sqlx::Result<bool> {
    let asked = sqlx::query(
        "UPDATE import_jobs SET cancel_requested = true
         WHERE id = $1 AND shop_id = ANY($2) AND state IN ('queued', 'running')",
    )
    .bind(id)
    .bind(shops)
    .execute(pool)
    .await?
    .rows_affected()
        > 0;
    if asked {
        running.cancel(id);
    }
    Ok(asked)
}

/// Marks failed (interrupted) every unfinished job whose heartbeat is older than `stale`: its
/// server stopped. How many.
pub async fn fail_abandoned(pool: &PgPool, now: DateTime<Utc>, stale: Duration) -> sqlx::Result<u64> {
    let failed = sqlx::query(
        "UPDATE import_jobs SET state = 'failed', failure = $1, finished_at = $2
         WHERE state IN ('queued', 'running') AND heartbeat_at < now() - make_interval(secs => $3)",
    )
    .bind(Json(Failure::Interrupted))
    .bind(now)
    .bind(stale.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected();
    if failed > 0 {
        tracing::warn!(failed, "import jobs left unfinished by a stopped server marked failed");
    }
    Ok(failed)
}

/// Runs [`fail_abandoned`] now and every minute, and removes uploaded files a killed server
/// left behind (a day old) — a server's background task.
pub async fn keep_failing_abandoned(pool: PgPool, clock: Clock) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(error) = fail_abandoned(&pool, clock.now(), ABANDONED_AFTER).await {
            tracing::warn!(%error, "cannot look for abandoned import jobs");
        }
        let removed = tokio::task::spawn_blocking(|| super::upload::remove_stale(Duration::from_secs(24 * 3600)))
            .await
            .unwrap_or(0);
        if removed > 0 {
            tracing::warn!(removed, "uploaded files left by a stopped server removed");
        }
    }
}

/// The jobs of this process: their cancel flags and the slots they run in.
#[derive(Clone)]
pub struct Running {
    flags: Arc<Mutex<HashMap<ImportJobId, Cancel>>>,
    slots: Arc<Semaphore>,
}

impl Default for Running {
    fn default() -> Running {
        Running {
            flags: Arc::default(),
            slots: Arc::new(Semaphore::new(SLOTS)),
        }
    }
}

impl Running {
    fn register(&self, id: ImportJobId) -> Cancel {
        let cancel = Cancel::new();
        self.with_flags(|flags| flags.insert(id, cancel.clone()));
        cancel
    }

    fn forget(&self, id: ImportJobId) {
        self.with_flags(|flags| flags.remove(&id));
    }

    fn cancel(&self, id: ImportJobId) {
        if let Some(cancel) = self.with_flags(|flags| flags.get(&id).cloned()) {
            cancel.request();
        }
    }

    fn with_flags<T>(&self, f: impl FnOnce(&mut HashMap<ImportJobId, Cancel>) -> T) -> T {
        match self.flags.lock() {
            Ok(mut flags) => f(&mut flags),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

/// Rows done and in all, shared between the import and its reporter.
#[derive(Default)]
struct Counter {
    done: AtomicU64,
    total: AtomicU64,
}

/// What a job runs with: the desk's parts a refund import uses (pool, calendar, clock), this
/// process's running jobs and the metrics that count them.
#[derive(Clone)]
pub struct Jobs {
    pub desk: Desk,
    pub running: Running,
    pub metrics: Arc<Metrics>,
}

/// Runs job `id` on its own task: waits for a slot, imports `upload` into `shop` as `user`,
/// stores the outcome, counts and audits it, and removes the file.
pub fn spawn(jobs: Jobs, user: CurrentUser, shop: Shop, id: ImportJobId, request: JobRequest, upload: TempUpload) {
    let cancel = jobs.running.register(id);
    tokio::spawn(async move {
        let counter = Arc::new(Counter::default());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let pool = jobs.desk.pool.clone();
        let reporter = tokio::spawn(report(
            pool.clone(),
            shop.id,
            id,
            Arc::clone(&counter),
            cancel.clone(),
            stopped,
        ));
        let outcome = async {
            let _slot = jobs.running.slots.acquire().await;
            cancel.check()?;
            start(&pool, shop.id, id, jobs.desk.clock.now()).await?;
            execute(&jobs.desk, &user, &shop, &request, &upload, &counter, &cancel).await
        }
        .await;
        drop(upload);
        let _ = stop.send(());
        let _ = reporter.await;
        record_outcome(&jobs, &user, &shop, &request, &outcome).await;
        if let Err(error) = finish(&pool, shop.id, id, &outcome, jobs.desk.clock.now()).await {
            // The heartbeat has stopped: `fail_abandoned` will close the job.
            tracing::error!(job = %id, %error, "cannot store the outcome of an import job");
        }
        jobs.running.forget(id);
    });
}

async fn start(pool: &PgPool, shop: ShopId, id: ImportJobId, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE import_jobs SET state = 'running', started_at = $3, heartbeat_at = now()
         WHERE shop_id = $1 AND id = $2 AND state = 'queued'",
    )
    .bind(shop)
    .bind(id)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every second until `stopped`: writes the progress and the heartbeat, and raises `cancel`
/// when the job's row says someone asked it to stop (from any server).
async fn report(
    pool: PgPool,
    shop: ShopId,
    id: ImportJobId,
    counter: Arc<Counter>,
    cancel: Cancel,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut every = tokio::time::interval(REPORT_EVERY);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = every.tick() => {}
        }
        let done = i64::try_from(counter.done.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let total = i64::try_from(counter.total.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let asked: sqlx::Result<Option<bool>> = sqlx::query_scalar(
            "UPDATE import_jobs SET rows_done = $3, rows_total = $4, heartbeat_at = now()
             WHERE shop_id = $1 AND id = $2 AND state IN ('queued', 'running') RETURNING cancel_requested",
        )
        .bind(shop)
        .bind(id)
        .bind(done)
        .bind(total)
        .fetch_optional(&pool)
        .await;
        match asked {
            Ok(Some(true)) => cancel.request(),
            Ok(_) => {}
            Err(error) => tracing::warn!(job = %id, %error, "cannot report an import job's progress"),
        }
    }
}

async fn execute(
    desk: &Desk,
    user: &CurrentUser,
    shop: &Shop,
    request: &JobRequest,
    upload: &TempUpload,
    counter: &Counter,
    cancel: &Cancel,
) -> Result<ImportSummary, ImportError> {
    let bytes = upload
        .read()
        .await
        .map_err(|e| ImportError::Unreadable(Message::new("import.error.upload_unreadable").with("error", e)))?;
    let mut progress = |p: Progress| {
        counter.done.store(p.done, Ordering::Relaxed);
        counter.total.store(p.total, Ordering::Relaxed);
    };
    match request.kind {
        JobKind::Refunds => {
            super::refunds::import_until(desk, user, shop, &bytes, request.dry_run, &mut progress, cancel).await
        }
        JobKind::Orders => {
            let (format, zone) = (request.format, shop.zone());
            // Reading a large file takes seconds of CPU: off the async workers.
            let parsed = tokio::task::spawn_blocking(move || super::orders::parse(&bytes, format, zone))
                .await
                .map_err(|e| ImportError::Refused(Message::new("import.error.reading_stopped").with("error", e)))??;
            counter.total.store(parsed.rows() as u64, Ordering::Relaxed);
            cancel.check()?;
            super::orders::write(&desk.pool, shop.id, &parsed, request.dry_run, &mut progress, cancel).await
        }
    }
}

/// Counts the import in the server's metrics and records a completed one on the audit log.
async fn record_outcome(
    jobs: &Jobs,
    user: &CurrentUser,
    shop: &Shop,
    request: &JobRequest,
    outcome: &Result<ImportSummary, ImportError>,
) {
    count(&jobs.metrics, request.kind, outcome);
    if let Ok(summary) = outcome
        && let Err(error) = super::audit(
            &jobs.desk.pool,
            Some(user.id),
            shop.id,
            request.kind.as_str(),
            "upload",
            summary,
        )
        .await
    {
        tracing::error!(%error, "cannot record an import on the audit log");
    }
}

/// Counts an import that ended (or was refused before it became a job) in the metrics.
pub fn count(metrics: &Metrics, kind: JobKind, outcome: &Result<ImportSummary, ImportError>) {
    let (outcome, rows) = match outcome {
        Ok(summary) if summary.dry_run => (ImportOutcome::Checked, 0),
        Ok(summary) => (ImportOutcome::Imported, summary.rows),
        Err(ImportError::Database(_)) => (ImportOutcome::Failed, 0),
        Err(ImportError::Cancelled) => (ImportOutcome::Cancelled, 0),
        Err(_) => (ImportOutcome::Rejected, 0),
    };
    metrics.import_finished(kind.metric(), outcome, rows);
}

async fn finish(
    pool: &PgPool,
    shop: ShopId,
    id: ImportJobId,
    outcome: &Result<ImportSummary, ImportError>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (state, summary, failure) = match outcome {
        Ok(summary) => (JobState::Done, Some(Json(summary.clone())), None),
        Err(ImportError::Cancelled) => (JobState::Cancelled, None, None),
        Err(error) => (JobState::Failed, None, Some(Json(failure_of(error)))),
    };
    let rows = outcome.as_ref().ok().map(|s| i64::try_from(s.rows).unwrap_or(i64::MAX));
    sqlx::query(
        "UPDATE import_jobs SET state = $3, summary = $4, failure = $5, finished_at = $6,
                rows_done = COALESCE($7, rows_done), rows_total = COALESCE($7, rows_total), heartbeat_at = now()
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .bind(state.as_str())
    .bind(summary)
    .bind(failure)
    .bind(now)
    .bind(rows)
    .execute(pool)
    .await?;
    Ok(())
}

fn failure_of(error: &ImportError) -> Failure {
    match error {
        ImportError::Rows(rows) => Failure::Rows {
            rows: rows.iter().take(ROWS_KEPT).cloned().collect(),
            count: rows.len() as u64,
        },
        ImportError::Database(error) => Failure::Database {
            message: error.to_string(),
        },
        ImportError::Unreadable(said) | ImportError::Refused(said) => Failure::Refused {
            message: said.english(),
            said: Some(said.clone()),
        },
        other => Failure::Refused {
            message: other.to_string(),
            said: None,
        },
    }
}
