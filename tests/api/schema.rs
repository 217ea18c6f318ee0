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

/// The report marks run the same few statements at every ticket written, with other arrays:
/// their plans are made once (planned for each call's values, the orders' read was most of the
/// marks' time; docs/PERFORMANCE.md). On Citus, where a statement is sent to a shard by the values
/// it names, they are planned for their values.
#[tokio::test]
async fn the_report_marks_keep_their_plans_but_on_citus() {
    let (pool, _, _) = fresh_database().await;
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&pool)
        .await
        .expect("extensions");
    let kept: Vec<(String, bool)> = sqlx::query_as(
        "SELECT p.proname::text, COALESCE(p.proconfig, '{}') @> '{plan_cache_mode=force_generic_plan}'
         FROM pg_proc p
         WHERE p.proname IN ('report_stale_mark_ticket_days', 'report_stale_mark_figures')
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
        ],
        "(function, plan kept) with Citus: {citus}"
    );
}
