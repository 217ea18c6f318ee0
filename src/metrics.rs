//! Prometheus metrics at `GET /metrics`: requests by matched route and status, their latency,
//! the database pool, the follow-up sweep, imports and readiness (docs/OPERATIONS.md lists them).
//!
//! Each [`AppState`] holds its own [`Metrics`]; the request layer ([`track`]), the sweeper and the
//! import page count into it, and the scrape reads the pool and readiness at that moment.
//!
//! Who may read them: with a token configured (`--metrics-token`, `AFTERSALES_METRICS_TOKEN`),
//! whoever sends `Authorization: Bearer <token>`; without one, only clients on the loopback
//! interface that did not come through a proxy (no `X-Forwarded-For`, `X-Real-IP` or
//! `Forwarded` header). Anyone else gets 403.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// The route label of a request that matched no route (its raw path is not used: unbounded).
const UNMATCHED: &str = "unmatched";

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

    fn allows(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
        match self {
            Access::Token(expected) => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                // Comparing digests: the time taken says nothing about the token.
                .is_some_and(|given| <[u8; 32]>::from(Sha256::digest(given.trim().as_bytes())) == *expected),
            Access::LoopbackOnly => {
                let forwarded = ["x-forwarded-for", "x-real-ip", "forwarded"]
                    .iter()
                    .any(|name| headers.contains_key(*name));
                !forwarded && peer.is_some_and(|peer| peer.ip().is_loopback())
            }
        }
    }
}

/// A request's method as a label: the usual ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
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
        }
    }

    fn record_request(&self, method: &Method, route: String, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: status.as_u16(),
            })
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

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The request layer: counts every response by method, matched route and status, and times it.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record_request(&method, route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`: the figures in Prometheus' text format, for those [`Access`] lets in.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    if !state.metrics.access.allows(request.headers(), peer) {
        tracing::warn!(?peer, "metrics scrape refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    state.metrics.set_pool(&state.pool);
    let ready = tokio::time::timeout(Duration::from_secs(2), crate::health::readiness(&state))
        .await
        .is_ok_and(|ready| ready.is_ok());
    state.metrics.ready.set(i64::from(ready));
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(address: &str) -> Option<SocketAddr> {
        Some(address.parse().expect("socket address"))
    }

    #[test]
    fn without_a_token_only_direct_loopback_clients_may_scrape() {
        let access = Access::from_setting(Some("  "));
        let mut headers = HeaderMap::new();
        assert!(access.allows(&headers, peer("127.0.0.1:5000")));
        assert!(access.allows(&headers, peer("[::1]:5000")));
        assert!(!access.allows(&headers, peer("10.0.0.7:5000")));
        assert!(!access.allows(&headers, None));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(
            !access.allows(&headers, peer("127.0.0.1:5000")),
            "came through the proxy"
        );
    }

    #[test]
    fn with_a_token_only_its_bearer_may_scrape_from_anywhere() {
        let access = Access::from_setting(Some("s3cret-scrape"));
        let mut headers = HeaderMap::new();
        assert!(!access.allows(&headers, peer("127.0.0.1:5000")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer wrong"));
        assert!(!access.allows(&headers, peer("10.0.0.7:5000")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3cret-scrape"));
        assert!(access.allows(&headers, peer("10.0.0.7:5000")));
    }

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
