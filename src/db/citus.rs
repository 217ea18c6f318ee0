//! Spreading the database over a Citus cluster, by shop (issue 17; docs/ARCHITECTURE.md
//! "From one PostgreSQL to a Citus cluster").
//!
//! Every table that belongs to a shop carries `shop_id` in its primary key and in every foreign
//! key between shop tables, so each of them is distributed by `shop_id` and all of them are
//! colocated: a shop's tickets, orders, timeline and figures live in the same shard group, and
//! every statement that names one shop is answered by one node. The tables every shop shares —
//! shops, people, their memberships and sign-ins, the calendar, the audit log — are reference
//! tables: a copy on every node, so a shard can join them and keep foreign keys to them.
//!
//! [`distribute`] is run once, by `aftersales citus distribute`, on the coordinator's database
//! after the migrations (the tables may already hold a shop's data: Citus moves it into the
//! shards). The lists below name every table of the schema; a test refuses a migration that adds
//! a table without saying where it goes.

use sqlx::{Connection, PgConnection};

/// Copied to every node: small, shared by every shop, read with everything.
pub const REFERENCE_TABLES: &[&str] = &[
    "shops",
    "users",
    "shop_members",
    "auth_tokens",
    "notice_muted",
    "sign_in_throttle",
    "calendar_years",
    "calendar_days",
    // Entries without a shop (people and shops set up) stand beside the shops' own.
    "audit_log",
];

/// Distributed by `shop_id` and colocated with `customers`, in the order their foreign keys
/// need (a table after every shop table it refers to).
pub const DISTRIBUTED_TABLES: &[&str] = &[
    "customers",
    "orders",
    "order_lines",
    "return_addresses",
    "tickets",
    "ticket_events",
    "canned_replies",
    "canned_reply_settings",
    "return_visits",
    "evidence",
    "follow_up_daily",
    "open_loads",
    "open_load_changes",
    "report_stale",
    "report_days",
    "import_jobs",
    "notifications",
    "presence",
    "webhooks",
    "webhook_deliveries",
    "daily_digests",
    "ticket_links",
    "tags",
    "ticket_tags",
    "saved_views",
    "ticket_search",
    "ticket_search_added",
    "buyer_search",
    "order_search",
    "search_pending",
    "compensations",
    "return_receipts",
    "reships",
    "intercepts",
    "unclaimed_parcels",
    "platform_refunds",
    "knowledge_notes",
    "policy_articles",
    "knowledge_history",
    "knowledge_solved",
    // Written by the triggers of the shop's shards beside it; every server's relay reads all.
    "live_outbox",
    // An order import's rows, joined with the shop's orders and buyers while it runs.
    "import_lines",
];

/// Stays on the coordinator alone: what each node answers for itself.
pub const LOCAL_TABLES: &[&str] = &["readiness_probe"];

/// The column every distributed table is spread by.
pub const DISTRIBUTION_COLUMN: &str = "shop_id";

/// What [`distribute`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Tables made reference tables now (already were: left out).
    pub referenced: Vec<&'static str>,
    /// Tables distributed now.
    pub distributed: Vec<&'static str>,
}

/// Why the database cannot be distributed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database has no Citus extension (CREATE EXTENSION citus, and add the workers, first)")]
    NoCitus,
    #[error("the Citus cluster has no worker node (SELECT citus_add_node(host, port) first)")]
    NoWorkers,
    #[error("table {table}: {}", explained(source))]
    Table {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("function {function}: {}", explained(source))]
    Function {
        function: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("foreign key {key}: {}", explained(source))]
    Key {
        key: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Whether the database has the Citus extension.
pub async fn installed(db: impl sqlx::PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(db)
        .await
}

/// Whether `table` is distributed on Citus (false on a PostgreSQL without it).
pub async fn is_distributed(conn: &mut PgConnection, table: &str) -> sqlx::Result<bool> {
    if !installed(&mut *conn).await? {
        return Ok(false);
    }
    sqlx::query_scalar(
        "SELECT count(*) > 0 FROM pg_dist_partition WHERE logicalrelid = to_regclass($1) AND partmethod = 'h'",
    )
    .bind(table)
    .fetch_one(conn)
    .await
}

/// Makes the shared tables reference tables and distributes the shop tables by `shop_id`,
/// colocated, on the database `conn` is connected to as a superuser (the coordinator's). What is
/// already done is left as it is, so it can run again after a failure or after a migration that
/// added a table.
pub async fn distribute(conn: &mut PgConnection) -> Result<Distribution, Error> {
    if !installed(&mut *conn).await? {
        return Err(Error::NoCitus);
    }
    let workers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")
            .fetch_one(&mut *conn)
            .await?;
    if workers == 0 {
        return Err(Error::NoWorkers);
    }
    let mut tx = conn.begin().await?;
    // The report marks, the search queue and the live desk are kept by triggers on the shop
    // tables; on Citus they run on the shards and write through the cluster's metadata. The
    // setting stays with the database: the timeline's monthly partitions are made later, by the
    // desk, and get the triggers too.
    sqlx::raw_sql(
        "SET LOCAL citus.enable_unsafe_triggers = on;
         -- Keys to reference tables are made over one connection per node, in this transaction.
         SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
         DO $$ BEGIN
             EXECUTE format('ALTER DATABASE %I SET citus.enable_unsafe_triggers = on', current_database());
         END $$;
         -- A statement goes to its shop's shard by the values it names: the functions that keep
         -- their plans made once on one PostgreSQL (the report marks) plan for the values here.
         DO $$ DECLARE f regprocedure; BEGIN
             FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                      WHERE p.pronamespace = 'public'::regnamespace
                        AND p.proconfig @> '{plan_cache_mode=force_generic_plan}' LOOP
                 EXECUTE format('ALTER FUNCTION %s RESET plan_cache_mode', f);
             END LOOP;
         END $$;",
    )
    .execute(&mut *tx)
    .await?;
    let mut places = Vec::new();
    for &table in REFERENCE_TABLES {
        places.push((table, held(&mut tx, table).await?, Held::Reference));
    }
    for &table in DISTRIBUTED_TABLES {
        places.push((table, held(&mut tx, table).await?, Held::Distributed));
    }
    let mut done = Distribution::default();
    if places.iter().all(|(_, now, wanted)| now == wanted) {
        // Every table is placed already; the settings above hold from now on.
        tx.commit().await?;
        return Ok(done);
    }
    // A foreign key between a table placed and one not yet placed would make Citus turn the
    // latter into a table of its own kind (a "Citus local table"), which it cannot move again:
    // the keys go while the tables are placed, and come back, checked, once all are.
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
         FROM pg_constraint
         WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conparentid = 0
         ORDER BY conrelid::regclass::text, conname",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, name, _) in &keys {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {name}"
        )))
        .execute(&mut *tx)
        .await?;
    }
    // The triggers' functions call helpers of their own (`report_stale_mark`, …) on the node
    // that holds the shard: every function of the schema is made known to every node.
    let functions: Vec<String> = sqlx::query_scalar(
        "SELECT p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
           AND NOT EXISTS (SELECT 1 FROM pg_dist_object o
                           WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid)
         ORDER BY 1",
    )
    .fetch_all(&mut *tx)
    .await?;
    for function in &functions {
        sqlx::query("SELECT create_distributed_function($1::regprocedure)")
            .bind(function)
            .execute(&mut *tx)
            .await
            .map_err(|source| Error::Function {
                function: function.clone(),
                source,
            })?;
    }
    let first = DISTRIBUTED_TABLES[0];
    for (table, now, wanted) in places {
        if now == wanted {
            continue;
        }
        let placed = if wanted == Held::Reference {
            sqlx::query("SELECT create_reference_table($1::regclass)")
                .bind(table)
                .execute(&mut *tx)
                .await
        } else {
            let colocate_with = if table == first { "default" } else { first };
            sqlx::query("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)")
                .bind(table)
                .bind(DISTRIBUTION_COLUMN)
                .bind(colocate_with)
                .execute(&mut *tx)
                .await
        };
        placed.map_err(|source| Error::Table { table, source })?;
        if wanted == Held::Reference {
            done.referenced.push(table);
        } else {
            done.distributed.push(table);
        }
    }
    for (table, name, definition) in &keys {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        )))
        .execute(&mut *tx)
        .await
        .map_err(|source| Error::Key {
            key: format!("{table}.{name}"),
            source,
        })?;
    }
    tx.commit().await?;
    Ok(done)
}

/// The database's message with its detail and hint: Citus says why in the detail.
fn explained(error: &sqlx::Error) -> String {
    let Some(pg) = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
    else {
        return error.to_string();
    };
    let mut text = pg.message().to_owned();
    for part in [pg.detail(), pg.hint()].into_iter().flatten() {
        text.push_str(" — ");
        text.push_str(part);
    }
    text
}

/// How Citus holds a table.
#[derive(Debug, PartialEq, Eq)]
enum Held {
    /// Not at all: a table of the coordinator's alone.
    Local,
    /// Added to Citus's metadata by Citus itself (a table that triggers of distributed tables
    /// write into, or one tied to a reference table): still on the coordinator alone.
    CitusLocal,
    Reference,
    Distributed,
}

/// How Citus holds `table`; a table Citus added to its metadata on its own is given back first,
/// so that it can be placed as listed.
async fn held(conn: &mut PgConnection, table: &'static str) -> Result<Held, Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT partmethod::text, repmodel::text FROM pg_dist_partition WHERE logicalrelid = $1::regclass",
    )
    .bind(table)
    .fetch_optional(&mut *conn)
    .await?;
    let held = match row.as_ref().map(|(m, r)| (m.as_str(), r.as_str())) {
        None => Held::Local,
        Some(("h", _)) => Held::Distributed,
        Some(("n", "t")) => Held::Reference,
        Some(_) => Held::CitusLocal,
    };
    if held == Held::CitusLocal {
        sqlx::query("SELECT undistribute_table($1::regclass, cascade_via_foreign_keys => true)")
            .bind(table)
            .execute(&mut *conn)
            .await
            .map_err(|source| Error::Table { table, source })?;
    }
    Ok(held)
}
