//! What every request handler can reach: [`AppState`]. It holds the shared parts and nothing
//! else; the routes are in [`crate::router`], and services take only the parts they use (a pool,
//! the calendar, a `now`), so the CLI calls them without any of this.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::auth::rate_limit::Policy;
use crate::calendar::Cache as CalendarCache;
use crate::clock::Clock;
use crate::metrics::{self, Metrics};
use crate::rules::calendar::Calendar;
use crate::web::transport::Transport;

/// How many statements opening tickets run at once (`tickets::openings`).
const OPENING_WRITERS: usize = 2;
/// How many statements recording follow-ups run at once (`tickets::follow_up_writes`).
const FOLLOW_UP_WRITERS: usize = 2;

/// The shared state of the server.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Connections for the pages an agent opens all day (a ticket, the queue), at most a few
    /// per core (`db::pages_pool`).
    pub pages: PgPool,
    /// Where new tickets are written: those opened at the same moment go in one statement
    /// (`tickets::openings`).
    pub openings: crate::tickets::openings::Openings,
    /// Where follow-ups are written: those recorded at the same moment go in one statement
    /// (`tickets::follow_up_writes`).
    pub follow_up_writes: crate::tickets::follow_up_writes::FollowUpWrites,
    /// The search's connections, beside the pool (`search::Connections`).
    pub search: crate::search::Connections,
    /// Connections that keep each statement's first plan (`db::planned`), for the reads whose
    /// statements have one best plan: the supervisor's follow-up queues and risk view, on the
    /// page and in the API.
    pub planned_once: crate::db::planned::PlannedOnce,
    /// The streaming standby reports read from, when there is one (`db::replica`).
    pub replica: Option<crate::db::replica::Replica>,
    /// The working-day calendar in use (statutory holidays and make-up days).
    pub calendars: CalendarCache,
    /// How failed sign-ins are throttled (the counts are in the database).
    pub sign_in_policy: Policy,
    /// How people reach the desk (https or not, trusted proxies).
    pub transport: Transport,
    /// The time the desk works with.
    pub clock: Clock,
    /// The embedded PostgreSQL server, when there is one: readiness notices an upgrade under it.
    pub embedded: Option<crate::db::embedded::Server>,
    /// The figures `/metrics` shows.
    pub metrics: Arc<Metrics>,
    /// The largest file the import page takes, in bytes.
    pub import_upload_limit: u64,
    /// The import jobs running in this process.
    pub import_jobs: crate::import::jobs::Running,
    /// What changed, heard from the database and told to the open pages.
    pub live: crate::live::Hub,
    /// The tokens' holders kept in memory while the live hub hears their changes announced
    /// (`auth::held`).
    pub holders: crate::auth::held::Holders,
}

impl AppState {
    /// State over a pool, with the calendar bundled in the binary until the database's is loaded.
    pub fn new(pool: PgPool) -> AppState {
        let holders = crate::auth::held::Holders::default();
        AppState {
            search: crate::search::Connections::beside(&pool),
            planned_once: crate::db::planned::PlannedOnce::beside(&pool, &crate::db::planned::SETTINGS, "tickets"),
            replica: None,
            pages: crate::db::pages_pool(&pool),
            openings: crate::tickets::openings::Openings::with_writers(
                pool.clone(),
                pool.clone(),
                OPENING_WRITERS,
                crate::tickets::openings::MOST_AT_ONCE,
            ),
            follow_up_writes: crate::tickets::follow_up_writes::FollowUpWrites::with_writers(
                pool.clone(),
                crate::db::planned::writes_beside(&pool),
                FOLLOW_UP_WRITERS,
                crate::tickets::follow_up_writes::MOST_AT_ONCE,
            ),
            pool,
            calendars: CalendarCache::default(),
            sign_in_policy: Policy::default(),
            transport: Transport::default(),
            clock: Clock::System,
            embedded: None,
            metrics: Arc::new(Metrics::new(metrics::Access::LoopbackOnly)),
            import_upload_limit: crate::import::page::UPLOAD_LIMIT,
            import_jobs: crate::import::jobs::Running::default(),
            live: crate::live::Hub::new(holders.clone()),
            holders,
        }
    }

    /// The same state, with `/metrics` readable as `access` says (set before serving).
    pub fn with_metrics_access(mut self, access: metrics::Access) -> AppState {
        self.metrics = Arc::new(Metrics::new(access));
        self
    }

    /// The same state, its reports reading from `replica` while it answers.
    pub fn with_replica(self, replica: crate::db::replica::Replica) -> AppState {
        AppState {
            replica: Some(replica),
            ..self
        }
    }

    /// Where reports write their recounts and read their figures.
    pub fn reports_db(&self) -> crate::reports::Pools<'_> {
        crate::reports::Pools {
            primary: &self.pool,
            reads: self.replica.as_ref().and_then(|r| r.pool()).unwrap_or(&self.pool),
        }
    }

    /// The same state on another clock.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    /// The same state with `holders` kept for the tokens (and heard by its live hub).
    pub fn with_holders(self, holders: crate::auth::held::Holders) -> AppState {
        AppState {
            live: crate::live::Hub::new(holders.clone()),
            holders,
            ..self
        }
    }

    /// The same state with these transport settings.
    pub fn with_transport(self, transport: Transport) -> AppState {
        AppState { transport, ..self }
    }

    /// Now, by the desk's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in mainland China, whose calendar of working days the desk keeps.
    pub fn today_in_china(&self) -> NaiveDate {
        self.clock.today_in_china()
    }

    /// The calendar as it is now.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendars.current()
    }
}
