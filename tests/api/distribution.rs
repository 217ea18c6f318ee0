//! The schema can be spread over a Citus cluster by shop (src/db/citus.rs): every table is
//! placed, and every distributed table keeps what Citus needs — checked on plain PostgreSQL, so a
//! migration that breaks it fails here; on a Citus coordinator (`tests/citus/run.sh`) the
//! placement itself is checked.

use aftersales::db::citus::{self, DISTRIBUTED_TABLES, DISTRIBUTION_COLUMN, LOCAL_TABLES, REFERENCE_TABLES};
use sqlx::PgPool;

use crate::support::fresh_database;

async fn tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT LIKE 'pg\\_dist\\_%' AND c.relname NOT LIKE 'citus\\_%'
           AND c.relname <> '_sqlx_migrations'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("tables")
}

#[tokio::test]
async fn every_table_of_the_schema_is_placed_once() {
    let (pool, _, _) = fresh_database().await;
    let listed: Vec<&str> = REFERENCE_TABLES
        .iter()
        .chain(DISTRIBUTED_TABLES)
        .chain(LOCAL_TABLES)
        .copied()
        .collect();
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a table is placed twice: {listed:?}");
    let actual = tables(&pool).await;
    let unplaced: Vec<&String> = actual.iter().filter(|t| !listed.contains(&t.as_str())).collect();
    assert!(
        unplaced.is_empty(),
        "tables without a place on Citus (src/db/citus.rs): {unplaced:?}"
    );
    let missing: Vec<&&str> = listed.iter().filter(|t| !actual.iter().any(|a| a == *t)).collect();
    assert!(
        missing.is_empty(),
        "placed tables that the schema does not have: {missing:?}"
    );
}

#[tokio::test]
async fn every_distributed_table_carries_the_shop_in_its_keys() {
    let (pool, _, _) = fresh_database().await;
    for &table in DISTRIBUTED_TABLES {
        let not_null: Option<bool> = sqlx::query_scalar(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
        )
        .bind(table)
        .bind(DISTRIBUTION_COLUMN)
        .fetch_optional(&pool)
        .await
        .expect("column");
        assert_eq!(
            not_null,
            Some(true),
            "{table}.{DISTRIBUTION_COLUMN} is there and NOT NULL"
        );

        // Unique keys must hold the distribution column (each shard checks its own rows).
        let unique_without: Vec<String> = sqlx::query_scalar(
            "SELECT i.indexrelid::regclass::text FROM pg_index i
             WHERE i.indrelid = $1::regclass AND i.indisunique
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                               WHERE a.attrelid = i.indrelid AND a.attname = $2
                                 AND a.attnum = ANY (i.indkey::int2[]))",
        )
        .bind(table)
        .bind(DISTRIBUTION_COLUMN)
        .fetch_all(&pool)
        .await
        .expect("unique indexes");
        assert!(
            unique_without.is_empty(),
            "{table}: unique keys without the shop: {unique_without:?}"
        );

        // A foreign key between two shop tables pairs shop with shop (colocated rows).
        let unpaired: Vec<String> = sqlx::query_scalar(
            "SELECT k.conname::text FROM pg_constraint k
             WHERE k.contype = 'f' AND k.conrelid = $1::regclass
               AND k.confrelid::regclass::text = ANY ($3)
               AND NOT EXISTS (
                   SELECT 1 FROM unnest(k.conkey, k.confkey) AS pair(mine, theirs)
                   JOIN pg_attribute m ON m.attrelid = k.conrelid AND m.attnum = pair.mine
                   JOIN pg_attribute t ON t.attrelid = k.confrelid AND t.attnum = pair.theirs
                   WHERE m.attname = $2 AND t.attname = $2)",
        )
        .bind(table)
        .bind(DISTRIBUTION_COLUMN)
        .bind(DISTRIBUTED_TABLES)
        .fetch_all(&pool)
        .await
        .expect("foreign keys");
        assert!(
            unpaired.is_empty(),
            "{table}: foreign keys to shop tables not by shop: {unpaired:?}"
        );
    }
    // A copy on every node cannot point into one shard.
    for &table in REFERENCE_TABLES {
        let into_shards: Vec<String> = sqlx::query_scalar(
            "SELECT conname::text FROM pg_constraint
             WHERE contype = 'f' AND conrelid = $1::regclass AND confrelid::regclass::text <> ALL ($2)",
        )
        .bind(table)
        .bind(REFERENCE_TABLES)
        .fetch_all(&pool)
        .await
        .expect("foreign keys");
        assert!(
            into_shards.is_empty(),
            "{table}: a reference table refers to a shop table: {into_shards:?}"
        );
    }
}

#[tokio::test]
async fn distributing_needs_citus_and_on_citus_every_table_is_where_it_is_listed() {
    let (_, _, admin) = fresh_database().await;
    let mut conn = sqlx::ConnectOptions::connect(&admin).await.expect("connect");
    let citus = aftersales::db::citus::installed(&mut conn).await.expect("extensions");
    if !citus {
        let refused = citus::distribute(&mut conn).await;
        assert!(matches!(refused, Err(citus::Error::NoCitus)), "{refused:?}");
        let pool = aftersales::db::pool(admin.clone(), 1).await.expect("pool");
        assert_eq!(
            tables(&pool).await.len(),
            REFERENCE_TABLES.len() + DISTRIBUTED_TABLES.len() + LOCAL_TABLES.len()
        );
        return;
    }
    // A database migrated on one PostgreSQL and distributed later had the report marks keep
    // their plans made once; distributing takes that away (such a plan cannot be routed).
    sqlx::raw_sql(
        "ALTER FUNCTION report_stale_mark_figures(bigint[], timestamptz[], smallint[])
             SET plan_cache_mode = force_generic_plan",
    )
    .execute(&mut conn)
    .await
    .expect("the marks as one PostgreSQL keeps them");
    // The suite's template was distributed before this database was cloned from it: running
    // again places nothing, and each table is held as listed.
    let again = citus::distribute(&mut conn).await.expect("distribute again");
    assert_eq!(again, citus::Distribution::default());
    let settings: Option<Vec<String>> =
        sqlx::query_scalar("SELECT proconfig FROM pg_proc WHERE proname = 'report_stale_mark_figures'")
            .fetch_one(&mut conn)
            .await
            .expect("the marks' settings");
    assert_eq!(settings, None, "the marks planned for their values on Citus");
    let held: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT logicalrelid::regclass::text, partmethod::text,
                CASE WHEN partmethod = 'h' THEN column_to_column_name(logicalrelid, partkey) END
         FROM pg_dist_partition",
    )
    .fetch_all(&mut conn)
    .await
    .expect("pg_dist_partition");
    for &table in REFERENCE_TABLES {
        assert!(
            held.iter().any(|(t, method, _)| t == table && method == "n"),
            "{table} is a reference table: {held:?}"
        );
    }
    let colocation: Vec<i32> = sqlx::query_scalar(
        "SELECT DISTINCT colocationid FROM pg_dist_partition WHERE logicalrelid::regclass::text = ANY ($1)",
    )
    .bind(DISTRIBUTED_TABLES)
    .fetch_all(&mut conn)
    .await
    .expect("colocation");
    assert_eq!(colocation.len(), 1, "one colocation group for every shop table");
    for &table in DISTRIBUTED_TABLES {
        assert!(
            held.iter().any(|(t, method, column)| t == table
                && method == "h"
                && column.as_deref() == Some(DISTRIBUTION_COLUMN)),
            "{table} is distributed by {DISTRIBUTION_COLUMN}: {held:?}"
        );
    }
}
