//! Connections on which each statement is planned once, for every value bound to it.
//!
//! PostgreSQL plans a prepared statement for the values bound to it at each call, unless it
//! guesses that a plan made once for any values (a generic plan) costs no more to run; the
//! guess is an estimate, and for statements such as "the first 51 tickets due before `$3`" it
//! is wrong, so they are planned again at every call although the plan never changes. On the
//! supervisor's page at a million tickets planning was nearly a third of PostgreSQL's time
//! (docs/PERFORMANCE.md). The pages whose statements have the same best plan for every value
//! read through [`PlannedOnce`]: connections of their own, set to keep the first plan. The
//! desk's pool keeps PostgreSQL's choice, which is right for most statements and far better for
//! some (a statement whose plan depends on a shop's size or a time window's width).

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::OnceCell;

/// The setting that keeps each statement's first plan for every value bound to it.
pub const GENERIC_PLANS: (&str, &str) = ("plan_cache_mode", "force_generic_plan");

/// What the connections of a page that only needs its plans kept set at their start.
pub const SETTINGS: [(&str, &str); 1] = [GENERIC_PLANS];

/// Connections beside the desk's pool, each started with settings that include
/// [`GENERIC_PLANS`] (as start-up options: a connection pooler in front of PostgreSQL must pass
/// them on); at most half as many as the desk's pool (at least two), opened when first needed.
/// On Citus they plan each statement for its values after all: Citus finds a shop's node only in
/// a plan made for that shop. Whether the tables are distributed is learnt by the first
/// connection made.
#[derive(Clone, Debug)]
pub struct PlannedOnce {
    pool: PgPool,
    distributed: Arc<OnceCell<bool>>,
}

impl PlannedOnce {
    /// Connections to the database of `pool`, as its own are made, with `settings`; `table`
    /// tells whether the database is distributed (Citus).
    pub fn beside(pool: &PgPool, settings: &[(&'static str, &'static str)], table: &'static str) -> PlannedOnce {
        debug_assert!(settings.contains(&GENERIC_PLANS), "the settings keep the plans");
        let options = (*pool.connect_options()).clone().options(settings.iter().copied());
        let max = (pool.options().get_max_connections() / 2).max(2);
        let distributed: Arc<OnceCell<bool>> = Arc::default();
        let learnt = distributed.clone();
        PlannedOnce {
            pool: super::beside_options(max, super::ACQUIRE_TIMEOUT)
                .after_connect(move |conn, _| {
                    let distributed = learnt.clone();
                    Box::pin(async move {
                        let on_citus = *distributed
                            .get_or_try_init(|| super::citus::is_distributed(conn, table))
                            .await?;
                        if on_citus {
                            sqlx::raw_sql("SET plan_cache_mode = force_custom_plan")
                                .execute(&mut *conn)
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect_lazy_with(options),
            distributed,
        }
    }

    /// The connections themselves.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the tables are distributed by shop (Citus), as the first connection made found;
    /// `false` before any was made.
    pub fn distributed(&self) -> bool {
        self.distributed.get().copied().unwrap_or(false)
    }

    /// Closes them (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Connections planned once for the statements that record several follow-ups at once
/// (`tickets::follow_up_writes`), beside `pool`. PostgreSQL planned that statement again at
/// every call — its plan for lists of unknown length looks costlier than one for the few it is
/// given — although the plan it makes once (each ticket found by its key) is the same: for a
/// statement of five follow-ups at a million tickets, 0.30–0.48 ms of planning against 0.04,
/// and the same time to run. Alternated on the generated million, 2,036 follow-ups a second
/// against 1,937 (five runs each; docs/PERFORMANCE.md). The tickets opened together kept their
/// connections: planned once, they were no faster (1,275 against 1,256 a second).
pub fn writes_beside(pool: &PgPool) -> PgPool {
    PlannedOnce::beside(pool, &SETTINGS, "tickets").pool().clone()
}
