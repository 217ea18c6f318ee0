//! File import: the marketplace's seller-centre exports (order report, item report, refund
//! report) and our own plain CSV, into orders, order lines and tickets.
//!
//! - [`table`] reads any supported file into rows of text cells: it sniffs the encoding
//!   (xlsx, UTF-8 with or without BOM, else GB18030), trims and maps headers by name, unwraps
//!   `="…"` ids and keeps multi-line cells whole.
//! - [`orders`] turns rows into orders (three layouts) and writes them in one transaction:
//!   `COPY` into a temporary table, then set-based upserts that touch only what changed, so a
//!   re-import of the same file changes nothing.
//! - [`refunds`] turns the refund report into tickets with their history, through
//!   `tickets::service` so the rules judge each as of its `opened_at`.
//! - [`reason_text`] maps the buyer's own words to a reason code.
//! - [`page`] is the upload page for owners and admins; the CLI is `aftersales import`.

pub mod cli;
pub mod jobs;
pub mod orders;
pub mod page;
pub mod reason_text;
pub mod refunds;
pub mod table;
pub mod upload;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{Message, Tr};

/// A row the import refused, by its line in the file (the first line of a multi-line record):
/// what was wrong as a catalogue message (shown in the reader's language), and in English as
/// `reason` (the JSON API's and the command line's text; the only text of rows stored before
/// messages were typed, which still read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_message"
    )]
    #[schema(value_type = Option<Object>)]
    pub message: Option<Message>,
    /// The column the message is about (its `{column}`, named in the reader's language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<Column>,
}

impl RowError {
    /// Row `line` is wrong as `message` says.
    pub fn new(line: u64, message: Message) -> RowError {
        RowError {
            line,
            reason: message.english(),
            message: Some(message),
            column: None,
        }
    }

    /// Row `line` is wrong in `column`, as `message` (whose `{column}` names it) says.
    pub fn in_column(line: u64, column: Column, message: Message) -> RowError {
        let mut error = RowError::new(line, message);
        error.column = Some(column);
        error.reason = error.text(Tr::new(crate::i18n::Lang::En, chrono_tz::Asia::Shanghai));
        error
    }

    /// What was wrong, in `tr`'s language (a row stored without a message: its English text).
    pub fn text(&self, tr: Tr) -> String {
        match (&self.message, self.column) {
            (Some(message), Some(column)) => tr.message(&message.clone().with("column", tr.t(column.key()))),
            (Some(message), None) => tr.message(message),
            (None, _) => self.reason.clone(),
        }
    }
}

/// A column of an imported file, by what it holds (named in the reader's language, whatever
/// the file's header calls it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    OrderNo,
    Quantity,
    AmountPaid,
    Price,
    UnitPrice,
    PaidAt,
    ShippedAt,
    SignedAt,
    RefundNo,
    RefundAmount,
    AppliedAt,
    TimeoutAt,
    FinishedAt,
}

impl Column {
    /// The catalogue key of its name.
    pub fn key(self) -> &'static str {
        match self {
            Column::OrderNo => "import.column.order_no",
            Column::Quantity => "import.column.quantity",
            Column::AmountPaid => "import.column.amount_paid",
            Column::Price => "import.column.price",
            Column::UnitPrice => "import.column.unit_price",
            Column::PaidAt => "import.column.paid_at",
            Column::ShippedAt => "import.column.shipped_at",
            Column::SignedAt => "import.column.signed_at",
            Column::RefundNo => "import.column.refund_no",
            Column::RefundAmount => "import.column.refund_amount",
            Column::AppliedAt => "import.column.applied_at",
            Column::TimeoutAt => "import.column.timeout_at",
            Column::FinishedAt => "import.column.finished_at",
        }
    }
}

/// A cell that cannot be taken: the column's problem as a message with `{column}` left for the
/// reader's language (see [`RowError::in_column`]).
pub type CellError = (Column, Message);

/// A stored message whose key the catalogue no longer has reads as none (its English `reason`
/// is shown instead) rather than making the whole stored job unreadable.
pub(crate) fn lenient_message<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Message>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as a table at all.
    #[error("{}", .0.english())]
    Unreadable(Message),
    /// Some rows are wrong; nothing was imported.
    #[error("{} row(s) are wrong, nothing was imported; fix them and import the file again. First: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Rows(Vec<RowError>),
    /// The database refused or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The request or a later step (a ticket the service refused) was refused.
    #[error("{}", .0.english())]
    Refused(Message),
    /// Someone cancelled the import; what its transaction wrote was rolled back.
    #[error("the import was cancelled")]
    Cancelled,
}

impl ImportError {
    /// What went wrong, in `tr`'s language.
    pub fn text(&self, tr: Tr) -> String {
        match self {
            ImportError::Unreadable(message) | ImportError::Refused(message) => tr.message(message),
            ImportError::Rows(rows) => tr.message(
                &Message::new("import.error.rows")
                    .with("n", rows.len())
                    .with("first", rows.first().map(|r| r.text(tr)).unwrap_or_default()),
            ),
            ImportError::Database(_) => tr.t("import.error.database").to_string(),
            ImportError::Cancelled => tr.t("import.cancelled").to_string(),
        }
    }
}

/// Whether someone asked an import to stop: asked between batches, where stopping leaves
/// nothing half-written.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    /// An import nobody can cancel (the command line, a test).
    pub fn never() -> Cancel {
        Cancel(None)
    }

    /// A flag that [`Cancel::request`] raises.
    pub fn new() -> Cancel {
        Cancel(Some(Arc::new(AtomicBool::new(false))))
    }

    /// Asks the import to stop at its next batch.
    pub fn request(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::SeqCst);
        }
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.as_ref().is_some_and(|flag| flag.load(Ordering::SeqCst))
    }

    /// `Err(Cancelled)` once a stop was asked for.
    pub fn check(&self) -> Result<(), ImportError> {
        if self.is_requested() {
            Err(ImportError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// How far an import has come, for a progress bar.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Rows read or written so far.
    pub done: u64,
    /// Rows in all (0 while still reading).
    pub total: u64,
    /// `read` while parsing, `write` while storing.
    pub phase: &'static str,
}

/// The callback that hears about progress.
pub type ProgressFn<'a> = &'a mut (dyn FnMut(Progress) + Send);

/// Records a finished import on the audit log: who (`None`: the command line), which shop, what
/// kind of file (`orders` or `refunds`), through what (`upload` or `cli`) and its counts. A dry
/// run changes nothing and is not recorded.
pub async fn audit(
    pool: &sqlx::PgPool,
    actor: Option<crate::ids::UserId>,
    shop: crate::ids::ShopId,
    kind: &str,
    via: &str,
    summary: &ImportSummary,
) -> sqlx::Result<()> {
    if summary.dry_run {
        return Ok(());
    }
    let details = serde_json::json!({ "kind": kind, "via": via, "summary": summary });
    crate::audit::record(pool, actor, crate::audit::action::IMPORTED, Some(shop), kind, details).await
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportSummary {
    /// `taobao_orders`, `taobao_items`, `plain` or `taobao_refunds`.
    pub layout: String,
    /// `xlsx`, `utf-8-bom`, `utf-8` or `gb18030`.
    pub encoding: String,
    pub rows: u64,
    pub orders_created: u64,
    pub orders_updated: u64,
    pub orders_unchanged: u64,
    pub lines_written: u64,
    pub lines_removed: u64,
    pub tickets_created: u64,
    pub tickets_unchanged: u64,
    pub dry_run: bool,
}
