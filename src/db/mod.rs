//! The database: where it is (the embedded cluster or `DATABASE_URL`), the pool, migrations, and
//! the roles of the embedded cluster.
//!
//! In the embedded cluster the desk works as [`embedded::APP_ROLE`]: it owns the application's
//! tables (the migrations run as it) but is not a superuser, so it can neither read other
//! databases nor run programs on the server. The append-only tables — the ticket timeline and
//! the audit log — and their guard functions belong to [`LEDGER_ROLE`], which cannot log in: the
//! desk may read and insert there, but cannot update, delete, or switch the guards off
//! ([`prepare`] seals them after every migration run). A migration that must change those tables
//! starts with `RESET ROLE;` (the migrator's session user is the superuser).

pub mod backup;
pub mod batch;
pub mod citus;
pub mod embedded;
pub mod gather;
pub mod planned;
pub mod replica;

use std::path::Path;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use embedded::{APP_ROLE, SUPERUSER};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The role that owns the append-only tables. It cannot log in.
pub const LEDGER_ROLE: &str = "aftersales_ledger";

/// The database the process uses, and the embedded cluster behind it if there is one.
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<embedded::Cluster>,
    /// How to connect with every right on the database (the embedded superuser, or
    /// `DATABASE_URL` as given): for bulk tools that switch triggers off, never for requests.
    pub maintenance: PgConnectOptions,
}

/// Whether `error` is a violation of the constraint `name`. On Citus the shard's copy of a
/// constraint reports its name with the shard's number after it (`tags_name_102786`), and a
/// worker's error reaches the desk with the name in its message only.
pub fn violates(error: &sqlx::Error, name: &str) -> bool {
    let Some(db) = error.as_database_error() else {
        return false;
    };
    let reported = db.constraint().or_else(|| named_in_message(db.message()));
    reported.is_some_and(|reported| constraint_named(reported, name))
}

/// The constraint a message names: `… violates unique constraint "tags_name_102786"`.
fn named_in_message(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("constraint \"")?;
    rest.split_once('"').map(|(name, _)| name)
}

fn constraint_named(reported: &str, name: &str) -> bool {
    match reported.strip_prefix(name) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('_')
            .is_some_and(|shard| !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

/// The name of the application database inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "aftersales";

/// A connection idle for longer than this is asked whether it is still there before it is lent.
pub const IDLE_CHECK: Duration = Duration::from_secs(10);

/// How every pool of the desk lends its connections. sqlx's default asks each connection with a
/// round trip before lending it (`test_before_acquire`), and a page that reads through the pool
/// twenty times paid twenty round trips that carry no statement. Here only a connection that sat
/// idle for [`IDLE_CHECK`] is asked (the database may have restarted or dropped it meanwhile);
/// one that broke while busy is closed by sqlx when its statement fails.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= IDLE_CHECK {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// What every connection of the desk sets at its start (as start-up options: a connection
/// pooler in front of PostgreSQL must pass them on). No JIT compilation: PostgreSQL compiles a
/// statement whose plan costs more than `jit_above_cost` at every run, and the desk's costly
/// statements are the reports' — 28 ms of compiling for a 90 ms statement of the yearly report
/// at 100,000 tickets, more than it saved (docs/PERFORMANCE.md).
pub fn session_options(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

/// How long a request waits for a connection before it is refused: when the database is down,
/// requests get 503 instead of hanging.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a pool with the settings the server uses.
pub async fn pool(options: PgConnectOptions, max_connections: u32) -> sqlx::Result<PgPool> {
    pool_options()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(session_options(options).application_name("aftersales"))
        .await
}

/// What an index build is given to work in (`maintenance_work_mem`), by the kind of index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildMemory {
    /// A B-tree (or any sorted) build: 256 MB, so that a big table's entries sort in memory.
    Sort,
    /// A GIN build gathers its keys in a red-black tree and writes them out whenever the tree
    /// fills the memory: 16 MB, a tree that stays in the processor's cache. On a generated
    /// 300,000-ticket shop the search's GIN builds took less time with 16 MB than with 256 MB —
    /// the tickets' 27 % less, the orders' 9 %, the buyers' 41 % — and 1 GB was slower still
    /// (docs/PERFORMANCE.md).
    Gin,
}

impl BuildMemory {
    /// The build's memory for an index of access method `method` (`pg_am.amname`).
    pub fn for_method(method: &str) -> BuildMemory {
        if method == "gin" {
            BuildMemory::Gin
        } else {
            BuildMemory::Sort
        }
    }

    fn setting(self) -> &'static str {
        match self {
            BuildMemory::Sort => "SET maintenance_work_mem = '256MB'",
            BuildMemory::Gin => "SET maintenance_work_mem = '16MB'",
        }
    }
}

/// Builds an index with `create` (a `CREATE INDEX` statement) on a connection of its own, with
/// `memory` to work in and no parallel workers (bulk loaders build several side by side, each
/// one core's work); the connection goes back to the pool with its settings reset, whether the
/// build succeeded or not.
pub async fn build_index(pool: &PgPool, create: &str, memory: BuildMemory) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "{}; SET max_parallel_maintenance_workers = 0",
        memory.setting()
    )))
    .execute(&mut *conn)
    .await?;
    let built = sqlx::raw_sql(sqlx::AssertSqlSafe(create.to_owned()))
        .execute(&mut *conn)
        .await;
    sqlx::raw_sql("RESET maintenance_work_mem; RESET max_parallel_maintenance_workers")
        .execute(&mut *conn)
        .await?;
    built.map(|_| ())
}

/// Connections beside `pool`'s, as its own are made, for the pages an agent opens all day: at
/// most three per core (and never more than `pool` has). PostgreSQL answers reads best with few
/// of them running at once: on two cores, the ticket page's statements replayed by 2 clients ran
/// 1.9 times as many pages a second as by 16, and the desk's ticket page took a quarter less of
/// PostgreSQL's time a page with 4 to 6 connections than with 16 (docs/PERFORMANCE.md). Writes
/// keep the pool's connections: each waits for its commit to reach the disk, and with fewer of
/// them the processors wait too.
pub fn pages_pool(pool: &PgPool) -> PgPool {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    beside_options(
        pages_connections(cores, pool.options().get_max_connections()),
        ACQUIRE_TIMEOUT,
    )
    .connect_lazy_with((*pool.connect_options()).clone())
}

/// The options of connections kept beside the pool (the pages', the plans kept once, the
/// standby's): at most `max`, made when first asked for and none kept open for nothing, a loan
/// refused after `wait`.
pub fn beside_options(max: u32, wait: Duration) -> PgPoolOptions {
    pool_options()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(wait)
}

/// How many connections [`pages_pool`] keeps on a machine of `cores` beside a pool of `pool_max`:
/// three per core, at least two, never more than the pool.
fn pages_connections(cores: usize, pool_max: u32) -> u32 {
    u32::try_from(cores.saturating_mul(3))
        .unwrap_or(u32::MAX)
        .max(2)
        .min(pool_max.max(1))
}

/// Opens the database for a one-off command: `DATABASE_URL` if given, else the embedded cluster
/// in `data_dir` (started if it is not running, joined if it is), and applies the migrations.
pub async fn open(database_url: Option<&str>, data_dir: &Path, max_connections: u32) -> anyhow::Result<Database> {
    open_with(database_url, data_dir, max_connections, false).await
}

/// Opens the database for `serve`: as [`open`], and with the embedded cluster, takes its server
/// lock (one server per cluster; a second is refused).
pub async fn open_for_server(
    database_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
) -> anyhow::Result<Database> {
    open_with(database_url, data_dir, max_connections, true).await
}

async fn open_with(
    database_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
    exclusive: bool,
) -> anyhow::Result<Database> {
    match database_url {
        Some(url) => {
            let options = url.parse::<PgConnectOptions>()?;
            let pool = pool(options.clone(), max_connections).await?;
            MIGRATOR.run(&pool).await?;
            Ok(Database {
                pool,
                cluster: None,
                maintenance: options,
            })
        }
        None => {
            let dir = data_dir.to_path_buf();
            let options = embedded::Options {
                exclusive,
                ..embedded::Options::default()
            };
            let cluster = tokio::task::spawn_blocking(move || embedded::Cluster::start(&dir, &options)).await??;
            prepare(&cluster.connect_options("postgres"), EMBEDDED_DATABASE).await?;
            let pool = pool(cluster.app_options(EMBEDDED_DATABASE), max_connections).await?;
            Ok(Database {
                pool,
                maintenance: cluster.connect_options(EMBEDDED_DATABASE),
                cluster: Some(cluster),
            })
        }
    }
}

/// Makes `database` ready on a server we administer (`admin` connects as a superuser to any
/// database there): the roles, the database owned by the application's role, the migrations
/// applied as that role, the append-only tables sealed. Idempotent; runs at every start.
pub async fn prepare(admin: &PgConnectOptions, database: &str) -> anyhow::Result<()> {
    ensure_database(admin, database).await?;
    let mut conn = PgConnection::connect_with(&admin.clone().database(database)).await?;
    migrate_as_app(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// The roles, and `database` owned by the application's role (created if missing, empty).
pub async fn ensure_database(admin: &PgConnectOptions, database: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(admin).await?;
    prepare_roles(&mut conn).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(database)
        .fetch_one(&mut conn)
        .await?;
    let name = quoted(database);
    let statement = if exists {
        format!("ALTER DATABASE {name} OWNER TO {APP_ROLE}")
    } else {
        format!("CREATE DATABASE {name} OWNER {APP_ROLE}")
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Creates the application's and the ledger's roles if missing and keeps their rights as they
/// must be (an older cluster had only the superuser).
pub async fn prepare_roles(admin: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN CREATE ROLE {APP_ROLE}; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{LEDGER_ROLE}') THEN CREATE ROLE {LEDGER_ROLE}; END IF;
         END $$;
         ALTER ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
         ALTER ROLE {LEDGER_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
    )))
    .execute(admin)
    .await?;
    Ok(())
}

/// On a connection to the application database as a superuser: hands what an older version
/// made as the superuser to the application's role, applies the migrations as that role, and
/// seals the append-only tables.
pub async fn migrate_as_app(admin: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DO $$ DECLARE r record; BEGIN
            FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                        AND pg_get_userbyid(c.relowner) = '{SUPERUSER}' LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO {APP_ROLE}', r.name);
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                       JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = '{SUPERUSER}' LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO {APP_ROLE}', r.name);
            END LOOP;
         END $$;
         -- The schema is the superuser's: its owner could drop any table in it, the ledger's too.
         ALTER SCHEMA public OWNER TO CURRENT_USER;
         GRANT USAGE, CREATE ON SCHEMA public TO {APP_ROLE};
         SET ROLE {APP_ROLE};"
    )))
    .execute(&mut *admin)
    .await?;
    MIGRATOR.run(&mut *admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "RESET ROLE;
         ALTER TABLE ticket_events OWNER TO {LEDGER_ROLE};
         ALTER TABLE audit_log OWNER TO {LEDGER_ROLE};
         ALTER FUNCTION ticket_events_are_append_only() OWNER TO {LEDGER_ROLE};
         ALTER FUNCTION audit_log_is_append_only() OWNER TO {LEDGER_ROLE};
         REVOKE ALL ON ticket_events, audit_log FROM {APP_ROLE};
         GRANT SELECT, INSERT ON ticket_events, audit_log TO {APP_ROLE};
         GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
         GRANT REFERENCES ON tickets, users, shops TO {LEDGER_ROLE};
         DO $$ DECLARE r record; BEGIN
            FOR r IN SELECT inhrelid::regclass AS name FROM pg_inherits
                      WHERE inhparent = 'ticket_events'::regclass LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO {LEDGER_ROLE}', r.name);
                EXECUTE format('REVOKE ALL ON %s FROM {APP_ROLE}', r.name);
                EXECUTE format('GRANT SELECT ON %s TO {APP_ROLE}', r.name);
            END LOOP;
         END $$;
         GRANT USAGE ON SEQUENCE ticket_events_id_seq, audit_log_id_seq TO {APP_ROLE};
         ALTER FUNCTION ticket_events_cover(timestamptz, timestamptz) OWNER TO {LEDGER_ROLE};
         ALTER FUNCTION ticket_events_cover_months(timestamptz, timestamptz) OWNER TO {LEDGER_ROLE};
         ALTER FUNCTION ticket_events_cover_strays(integer) OWNER TO {LEDGER_ROLE};
         REVOKE ALL ON FUNCTION ticket_events_cover(timestamptz, timestamptz),
                                ticket_events_cover_months(timestamptz, timestamptz),
                                ticket_events_cover_strays(integer) FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION ticket_events_cover(timestamptz, timestamptz), ticket_events_cover_strays(integer) TO {APP_ROLE};
         GRANT CREATE ON SCHEMA public TO {LEDGER_ROLE};
         GRANT REFERENCES ON customers TO {LEDGER_ROLE};
         ALTER TABLE compensations OWNER TO {LEDGER_ROLE};
         ALTER FUNCTION compensations_are_append_only() OWNER TO {LEDGER_ROLE};
         REVOKE ALL ON compensations FROM {APP_ROLE};
         GRANT SELECT, INSERT ON compensations TO {APP_ROLE};
         GRANT UPDATE (status, decided_by, decided_at, decision_note) ON compensations TO {APP_ROLE};"
    )))
    .execute(&mut *admin)
    .await?;
    Ok(())
}

/// A name quoted for SQL; the names passed are our own constants or test database names.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', ""))
}

impl Database {
    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

#[cfg(test)]
mod pages_tests {
    use super::pages_connections;

    #[test]
    fn the_pages_have_three_connections_a_core_and_never_more_than_the_pool() {
        assert_eq!(pages_connections(2, 16), 6);
        assert_eq!(pages_connections(4, 16), 12);
        assert_eq!(pages_connections(8, 16), 16);
        assert_eq!(pages_connections(1, 16), 3);
        assert_eq!(pages_connections(2, 4), 4);
        assert_eq!(pages_connections(2, 1), 1);
        assert_eq!(pages_connections(usize::MAX, 50), 50);
    }
}

#[cfg(test)]
mod constraint_tests {
    use super::constraint_named;

    #[test]
    fn a_constraint_is_known_by_its_name_and_by_a_shards_copy_of_it() {
        assert!(constraint_named("tags_name", "tags_name"));
        assert!(constraint_named("tags_name_102786", "tags_name"));
        assert!(!constraint_named("tags_name_x", "tags_name"));
        assert!(!constraint_named("tags_name_", "tags_name"));
        assert!(!constraint_named("tags_names", "tags_name"));
        assert!(!constraint_named("saved_views_name", "tags_name"));
    }

    #[test]
    fn a_constraint_is_read_from_a_message_that_names_it() {
        use super::named_in_message;
        assert_eq!(
            named_in_message(r#"duplicate key value violates unique constraint "tags_name_102786""#),
            Some("tags_name_102786")
        );
        assert_eq!(named_in_message("deadlock detected"), None);
    }
}
