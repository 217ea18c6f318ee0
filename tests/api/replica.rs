//! Reports read from a streaming standby (`serve --replica-url`): a cluster of the test's own
//! with a hot standby started from the same binaries, the report's figures shown as the
//! standby has them, and the primary read instead while the standby is behind or does not
//! answer.

use std::time::Duration;

use aftersales::auth::Role;
use aftersales::db::embedded::{Cluster, Options};
use aftersales::db::replica::{Health, Replica};
use aftersales::ids::ShopId;
use aftersales::reports::rollup::{self, Busy};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, serve, temp_dir, test_now};

const OPTIONS: Options = Options {
    unsafe_fast: true,
    remove_on_exit: true,
    exclusive: false,
};

/// Waits until `reached` — a question to `db` that is true once the position `$1` is reached —
/// holds for everything the primary has written so far: asked every 50 ms, for at most 30 s.
async fn reaches(primary: &PgPool, db: &PgPool, reached: &'static str, what: &str) {
    let written: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(primary)
        .await
        .expect("primary's position");
    for _ in 0..600 {
        let done: bool = sqlx::query_scalar(reached)
            .bind(&written)
            .fetch_one(db)
            .await
            .expect("position");
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} {written} within 30 s");
}

/// Waits until the standby has replayed everything the primary wrote so far.
async fn caught_up(primary: &PgPool, standby: &PgPool) {
    let replayed = "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn";
    reaches(primary, standby, replayed, "the standby did not replay").await;
}

/// Waits until every commit made on the primary is on its disk: test clusters answer a commit
/// before flushing it (`synchronous_commit = off`; the WAL writer flushes it within moments), the
/// standby receives only what is flushed, and the standby's health is judged against the
/// primary's flushed position.
async fn flushed(primary: &PgPool) {
    let on_disk = "SELECT pg_current_wal_flush_lsn() >= $1::text::pg_lsn";
    reaches(primary, primary, on_disk, "the primary did not flush").await;
}

async fn put_order(app: &TestApp, token: &str, shop: ShopId, no: &str) {
    let answer = app
        .put(
            &format!("/api/v1/shops/{shop}/orders/{no}"),
            token,
            json!({ "buyer": format!("buyer-{no}"), "paid_at": "2025-03-05T12:00:00+08:00",
                    "lines": [{ "sku": "SKU-1", "title": "商品", "quantity": 1, "unit_price_fen": 10000 }] }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
}

/// The March report's orders paid, and the days still waiting for their recount.
async fn paid_and_pending(app: &TestApp, token: &str, shop: ShopId) -> (i64, i64) {
    let answer = app
        .get(
            &format!("/api/v1/shops/{shop}/reports/returns?from=2025-03-01&to=2025-03-31&by=day"),
            token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let body: &Value = &answer.body;
    (
        body["summary"]["refund_rate"]["denominator"]
            .as_i64()
            .expect("orders paid"),
        body["pending_days"].as_i64().expect("pending days"),
    )
}

#[tokio::test]
async fn reports_read_from_the_standby_while_it_keeps_up_and_from_the_primary_when_it_does_not() {
    let primary = tokio::task::spawn_blocking(|| Cluster::start(&temp_dir("primary"), &OPTIONS))
        .await
        .expect("task")
        .expect("primary");
    aftersales::db::prepare(&primary.connect_options("postgres"), "aftersales")
        .await
        .expect("database");
    let standby_dir = temp_dir("standby");
    let (primary, standby) = tokio::task::spawn_blocking(move || {
        let standby = primary.start_standby(&standby_dir, &OPTIONS);
        (primary, standby)
    })
    .await
    .expect("task");
    let standby = standby.expect("standby");
    // The standby as its superuser, to pause and resume its replay.
    let standby_admin = aftersales::db::pool(standby.connect_options("aftersales"), 2)
        .await
        .expect("standby's pool");
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&standby_admin)
        .await
        .expect("asked");
    assert!(in_recovery, "a standby, replaying the primary");

    let pool = aftersales::db::pool(primary.app_options("aftersales"), 4)
        .await
        .expect("primary's pool");
    let replica = Replica::new(standby.app_options("aftersales"), 2);
    assert_eq!(
        replica.check(&pool).await,
        Health::Replaying,
        "the standby answers, in recovery"
    );
    // Neither the desk's connections nor the reports' on the standby compile statements
    // (`db::session_options`): compiling a report's statement cost more than it saved.
    for (which, reads) in [("primary", &pool), ("standby", replica.pool().expect("standby's pool"))] {
        let jit: String = sqlx::query_scalar("SHOW jit").fetch_one(reads).await.expect("asked");
        assert_eq!(jit, "off", "the {which}'s connections start without JIT");
    }
    let state = aftersales::state::AppState::new(pool.clone())
        .with_clock(aftersales::clock::Clock::fixed(test_now()))
        .with_replica(replica.clone());
    let app = serve(
        state,
        primary.app_options("aftersales"),
        primary.connect_options("aftersales"),
    )
    .await;
    let shop = app.shop("replica").await;
    let (_, agent) = app.user("agent-rep", Role::Agent, &[shop]).await;
    let (_, owner) = app.user("owner-rep", Role::Owner, &[shop]).await;

    put_order(&app, &agent, shop, "A").await;
    rollup::refresh(&pool, shop, Busy::Wait).await.expect("recount");
    caught_up(&pool, &standby_admin).await;
    assert_eq!(replica.check(&pool).await, Health::Replaying);
    assert_eq!(paid_and_pending(&app, &owner, shop).await, (1, 0));

    // The standby stops replaying: an order paid on the primary, counted there, is not in the
    // report, which the standby answers until the watch finds it behind.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby_admin)
        .await
        .expect("pause");
    put_order(&app, &agent, shop, "B").await;
    rollup::refresh(&pool, shop, Busy::Wait).await.expect("recount");
    let on_primary = aftersales::reports::figures(
        aftersales::reports::Pools::one(&pool),
        shop,
        aftersales::reports::rates::Period::new(
            chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("day"),
            chrono::NaiveDate::from_ymd_opt(2025, 3, 31).expect("day"),
        )
        .expect("period"),
        aftersales::reports::GroupBy::Total,
    )
    .await
    .expect("figures");
    assert_eq!(on_primary[""].refund_rate.denominator, 2, "the primary has both orders");
    assert_eq!(
        paid_and_pending(&app, &owner, shop).await,
        (1, 0),
        "the report is the standby's"
    );
    // Two asks: the second finds the standby short of where the primary was at the first (the
    // order flushed first: else the primary's flushed position may not yet include it).
    flushed(&pool).await;
    replica.check(&pool).await;
    assert_eq!(replica.check(&pool).await, Health::Behind);
    assert_eq!(
        paid_and_pending(&app, &owner, shop).await,
        (2, 0),
        "behind: the primary's"
    );

    // Replaying again, the standby catches up and serves the report again.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby_admin)
        .await
        .expect("resume");
    caught_up(&pool, &standby_admin).await;
    assert_eq!(replica.check(&pool).await, Health::Replaying);
    assert_eq!(paid_and_pending(&app, &owner, shop).await, (2, 0));

    // The standby stops: once asked, it does not answer, and reports read from the primary.
    standby_admin.close().await;
    tokio::task::spawn_blocking(move || standby.stop())
        .await
        .expect("task")
        .expect("standby stops");
    assert_eq!(replica.check(&pool).await, Health::Unreachable);
    put_order(&app, &agent, shop, "C").await;
    assert_eq!(paid_and_pending(&app, &owner, shop).await, (3, 0));
    app.pool.close().await;
    drop(primary);
}
