//! Several reads in one statement (`aftersales::db::batch`), against the real database: each
//! read's rows come back typed and in its own order, whatever reads stand before it.

use aftersales::db::batch::{Batch, Read};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::support::desk;

#[derive(Debug, PartialEq, sqlx::FromRow, Deserialize)]
struct Numbered {
    n: i64,
    label: Option<String>,
    at: DateTime<Utc>,
}

fn numbers(from: i64, to: i64, label: &str) -> Read<Numbered> {
    Read::new(
        "SELECT n, NULLIF($3, '') AS label, timestamptz '2026-12-03 08:00:00.123456+08' + n * interval '1 hour' AS at
         FROM generate_series($1::bigint, $2::bigint) AS n ORDER BY n DESC",
    )
    .bind(from)
    .bind(to)
    .bind(label.to_string())
}

#[tokio::test]
async fn reads_in_a_batch_answer_what_each_answers_alone() {
    let desk = desk().await;
    let mut conn = desk.app.pool.acquire().await.expect("connection");
    let alone_first = numbers(1, 3, "'it''s' $1").all(&mut *conn).await.expect("alone");
    let alone_second = numbers(5, 4, "").all(&mut *conn).await.expect("alone");
    let alone_third = numbers(7, 8, "x").optional(&mut *conn).await.expect("alone");

    let mut batch = Batch::new();
    let first = batch.add(numbers(1, 3, "'it''s' $1"));
    let second = batch.add(numbers(5, 4, ""));
    let third = batch.add(numbers(7, 8, "x"));
    let answers = batch.run(&mut conn).await.expect("one statement");
    assert_eq!(answers.rows(first).expect("rows"), alone_first);
    assert_eq!(
        alone_first.iter().map(|r| r.n).collect::<Vec<_>>(),
        [3, 2, 1],
        "its own order"
    );
    assert_eq!(answers.rows(second).expect("rows"), alone_second);
    assert!(alone_second.is_empty(), "no rows: an empty list");
    assert_eq!(answers.first(third).expect("rows"), alone_third);
    assert_eq!(
        alone_third.map(|r| (r.n, r.label, r.at.to_rfc3339())),
        Some((8, Some("x".into()), "2026-12-03T08:00:00.123456+00:00".into())),
        "text, nulls and instants to the microsecond"
    );

    Batch::new().run(&mut conn).await.expect("an empty batch sends nothing");
}

#[tokio::test]
async fn a_read_given_other_values_than_its_statement_uses_is_refused_before_it_is_sent() {
    let desk = desk().await;
    let mut conn = desk.app.pool.acquire().await.expect("connection");
    let mut batch = Batch::new();
    let _ = batch.add(numbers(1, 2, ""));
    let _ = batch.add(Read::<Numbered>::new(
        "SELECT 1 AS n, NULL AS label, now() AS at WHERE $1::int = 1",
    ));
    let error = batch.run(&mut conn).await.err().expect("refused");
    assert!(
        error.to_string().contains("uses 1 parameter(s) but was given 0"),
        "{error}"
    );
}
