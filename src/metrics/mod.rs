//! The Prometheus figures of one server process ([`Metrics`]): requests by matched route and
//! status, their latency, the database pool, the follow-up sweep, imports and readiness
//! (docs/OPERATIONS.md lists them), and who may read them ([`Access`]).
//!
//! Each server's state holds its own [`Metrics`]; the request layer, the sweeper and the import
//! jobs count into it. The HTTP side — the request layer and `GET /metrics`, which reads the pool
//! and readiness at that moment — is in [`http`].
//!
//! Who may read them: with a token configured (`--metrics-token`, `AFTERSALES_METRICS_TOKEN`),
//! whoever sends `Authorization: Bearer <token>`; without one, only clients on the loopback
//! interface that did not come through a proxy (no `X-Forwarded-For`, `X-Real-IP` or
//! `Forwarded` header). Anyone else gets 403.

pub mod http;

use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

/// Who may scrape.
#[derive(Clone, Debug)]
pub enum Access {
    /// Clients on the loopback interface, not forwarded by a proxy.
    LoopbackOnly,
    /// Whoever presents this bearer token (only its SHA-256 is kept).
    Token([u8; 32]),
}

impl Access {
    /// A token if one is given (blank counts as none), else loopback only.
    pub fn from_setting(token: Option<&str>) -> Access {
        match token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(token) => Access::Token(Sha256::digest(token.as_bytes()).into()),
            None => Access::LoopbackOnly,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// How a follow-up sweep ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum SweepOutcome {
    Done,
    Failed,
}

/// Which file an import read.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ImportKind {
    Orders,
    Refunds,
}

/// How an import ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Written and committed.
    Imported,
    /// Checked only (`dry run`): nothing written.
    Checked,
    /// The file or the request was refused (wrong rows, unreadable, not allowed): nothing written.
    Rejected,
    /// The database failed.
    Failed,
    /// Someone cancelled it: nothing written.
    Cancelled,
}

impl SweepOutcome {
    fn as_str(self) -> &'static str {
        match self {
            SweepOutcome::Done => "done",
            SweepOutcome::Failed => "failed",
        }
    }
}

impl ImportKind {
    fn as_str(self) -> &'static str {
        match self {
            ImportKind::Orders => "orders",
            ImportKind::Refunds => "refunds",
        }
    }
}

impl ImportOutcome {
    fn as_str(self) -> &'static str {
        match self {
            ImportOutcome::Imported => "imported",
            ImportOutcome::Checked => "checked",
            ImportOutcome::Rejected => "rejected",
            ImportOutcome::Failed => "failed",
            ImportOutcome::Cancelled => "cancelled",
        }
    }
}

macro_rules! label_value {
    ($($kind:ty),*) => {$(
        impl EncodeLabelValue for $kind {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    )*};
}
label_value!(SweepOutcome, ImportKind, ImportOutcome);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SweepLabels {
    outcome: SweepOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ImportLabels {
    kind: ImportKind,
    outcome: ImportOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: ImportKind,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms … ~10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// The figures of one server process.
pub struct Metrics {
    registry: Registry,
    access: Access,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    ready: Gauge,
    sweeps: Family<SweepLabels, Counter>,
    escalations: Counter,
    last_sweep: Gauge,
    imports: Family<ImportLabels, Counter>,
    import_rows: Family<KindLabels, Counter>,
    live_streams: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Empty figures, readable as `access` says.
    pub fn new(access: Access) -> Metrics {
        let mut registry = Registry::with_prefix("aftersales");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let (pool_size, pool_idle, pool_max, ready, last_sweep): (Gauge, Gauge, Gauge, Gauge, Gauge) =
            Default::default();
        let sweeps = Family::<SweepLabels, Counter>::default();
        let escalations = Counter::default();
        let imports = Family::<ImportLabels, Counter>::default();
        let import_rows = Family::<KindLabels, Counter>::default();
        let build = Family::<VersionLabels, Gauge>::default();
        build
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);

        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to sending its response headers, by method and route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections the pool holds open (in use or idle)",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections open and idle",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Largest number of database connections",
            pool_max.clone(),
        );
        registry.register(
            "ready",
            "1 when the database answered at scrape time (as /readyz), else 0",
            ready.clone(),
        );
        registry.register(
            "follow_up_sweeps",
            "Runs of the follow-up sweep, by outcome (done, failed)",
            sweeps.clone(),
        );
        registry.register(
            "follow_up_escalations",
            "Missed follow-up cycles the sweep escalated to a supervisor",
            escalations.clone(),
        );
        registry.register(
            "follow_up_last_sweep_timestamp_seconds",
            "Unix time at which the last successful sweep finished (0: none yet)",
            last_sweep.clone(),
        );
        registry.register(
            "import_jobs",
            "Order and refund files imported through the desk, by kind and outcome",
            imports.clone(),
        );
        registry.register(
            "import_rows",
            "Rows of the files imported and committed, by kind",
            import_rows.clone(),
        );
        let live_streams = Gauge::default();
        registry.register(
            "live_streams",
            "Live event streams open to browsers now (one per open page)",
            live_streams.clone(),
        );
        registry.register("build_info", "The running version (always 1)", build);

        Metrics {
            registry,
            access,
            requests,
            latency,
            pool_size,
            pool_idle,
            pool_max,
            ready,
            sweeps,
            escalations,
            last_sweep,
            imports,
            import_rows,
            live_streams,
        }
    }

    /// Counts one response to `method` on `route` (the matched template) with `status`, and
    /// how long it took.
    fn record_request(&self, method: &'static str, route: String, status: u16, elapsed: Duration) {
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { method, route, status })
            .inc();
    }

    /// Counts one run of the follow-up sweep.
    pub fn sweep_finished(&self, outcome: SweepOutcome, escalations: u64) {
        self.sweeps.get_or_create(&SweepLabels { outcome }).inc();
        self.escalations.inc_by(escalations);
        if outcome == SweepOutcome::Done {
            self.last_sweep.set(chrono::Utc::now().timestamp());
        }
    }

    /// Counts one import, and its rows when it was committed.
    pub fn import_finished(&self, kind: ImportKind, outcome: ImportOutcome, rows: u64) {
        self.imports.get_or_create(&ImportLabels { kind, outcome }).inc();
        if outcome == ImportOutcome::Imported {
            self.import_rows.get_or_create(&KindLabels { kind }).inc_by(rows);
        }
    }

    fn set_pool(&self, pool: &sqlx::PgPool) {
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle.set(i64::try_from(pool.num_idle()).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(pool.options().get_max_connections()));
    }

    fn set_live_streams(&self, streams: usize) {
        self.live_streams.set(i64::try_from(streams).unwrap_or(i64::MAX));
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_lower_case_words() {
        let metrics = Metrics::new(Access::LoopbackOnly);
        metrics.import_finished(ImportKind::Refunds, ImportOutcome::Imported, 3);
        metrics.sweep_finished(SweepOutcome::Failed, 0);
        let text = metrics.encode().expect("encode");
        assert!(
            text.contains("aftersales_import_jobs_total{kind=\"refunds\",outcome=\"imported\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("aftersales_import_rows_total{kind=\"refunds\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("aftersales_follow_up_sweeps_total{outcome=\"failed\"} 1"),
            "{text}"
        );
    }
}
