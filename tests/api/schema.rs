//! What the schema makes each write pay for: no table carries two indexes on the same key; the
//! report marks keep their plans.

use crate::support::fresh_database;

/// Two indexes of one table with the same method, key columns (in either direction),
/// expressions and predicate: the second is written by every insert and by every update that
/// is not HOT, and no plan needs it (a B-tree is read backwards as well as forwards).
#[tokio::test]
async fn no_table_has_two_indexes_on_the_same_key() {
    let (pool, _, _) = fresh_database().await;
    let repeated: Vec<(String, String, String)> = sqlx::query_as(
        "WITH keys AS (
             SELECT i.indrelid, i.indexrelid, c.relam,
                    (i.indkey::int2[])[0:i.indnkeyatts - 1] AS columns,
                    pg_get_expr(i.indexprs, i.indrelid) AS expressions,
                    pg_get_expr(i.indpred, i.indrelid) AS predicate
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_class t ON t.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = 'public' AND NOT t.relispartition)
         SELECT a.indrelid::regclass::text, a.indexrelid::regclass::text, b.indexrelid::regclass::text
         FROM keys a JOIN keys b
           ON a.indrelid = b.indrelid AND a.indexrelid < b.indexrelid AND a.relam = b.relam
          AND a.columns = b.columns
          AND a.expressions IS NOT DISTINCT FROM b.expressions
          AND a.predicate IS NOT DISTINCT FROM b.predicate
         ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .expect("indexes");
    assert!(repeated.is_empty(), "(table, index, its repeat): {repeated:?}");
}

/// The report marks, and the triggers that keep a new ticket's and a new event's bookkeeping, run
/// the same few statements at every ticket written, with other arrays:
/// their plans are made once (planned for each call's values, the orders' read was most of the
/// marks' time; docs/PERFORMANCE.md). On Citus, where a statement is sent to a shard by the values
/// it names, they are planned for their values.
#[tokio::test]
async fn the_report_marks_keep_their_plans_but_on_citus() {
    let (pool, _, _) = fresh_database().await;
    let citus = aftersales::db::citus::installed(&pool).await.expect("extensions");
    let kept: Vec<(String, bool)> = sqlx::query_as(
        "SELECT p.proname::text, COALESCE(p.proconfig, '{}') @> '{plan_cache_mode=force_generic_plan}'
         FROM pg_proc p
         WHERE p.proname IN ('report_stale_mark_ticket_days', 'report_stale_mark_figures', 'report_tickets_added',
                             'tickets_added', 'ticket_events_added')
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("the marks' settings");
    assert_eq!(
        kept,
        vec![
            ("report_stale_mark_figures".to_owned(), !citus),
            ("report_stale_mark_ticket_days".to_owned(), !citus),
            ("report_tickets_added".to_owned(), !citus),
            ("ticket_events_added".to_owned(), !citus),
            ("tickets_added".to_owned(), !citus),
        ],
        "(function, plan kept) with Citus: {citus}"
    );
}

/// The benchmark generator drops the loaded tables' indexes that hold no constraint before it
/// copies the rows in, and builds them again after: then every table has the indexes the
/// migrations made, each valid, and every partition of the timeline — those the generation
/// added too — one for each of the timeline's.
#[tokio::test]
async fn a_generated_shop_leaves_every_index_as_the_migrations_made_it() {
    let (pool, _, admin) = fresh_database().await;
    let before = indexes(&pool).await;
    let maintenance = aftersales::db::pool(admin, 2).await.expect("pool");
    let options = aftersales::bench::generate::Options {
        order_lines: 600,
        tickets: 120,
        shop: "indexed".into(),
        seed: 5,
    };
    aftersales::bench::generate::generate(&maintenance, &options)
        .await
        .expect("generates");
    assert_eq!(indexes(&pool).await, before);
    let short: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.relname::text, count(i.indexrelid)
         FROM pg_inherits h
         JOIN pg_class p ON p.oid = h.inhrelid
         LEFT JOIN pg_index i ON i.indrelid = p.oid AND i.indisvalid
         WHERE h.inhparent = 'ticket_events'::regclass
         GROUP BY 1
         HAVING count(i.indexrelid) <> (SELECT count(*) FROM pg_index WHERE indrelid = 'ticket_events'::regclass)
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("the partitions' indexes");
    assert!(
        short.is_empty(),
        "partitions short of the timeline's indexes: {short:?}"
    );
}

/// Every index of a table of the schema (not of a partition): name, definition, whether valid.
async fn indexes(pool: &sqlx::PgPool) -> Vec<(String, String, bool)> {
    sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisvalid
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("the indexes")
}
