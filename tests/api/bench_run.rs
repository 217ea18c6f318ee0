//! `bench run` around its scenarios (`aftersales::bench::run`): each is measured once the
//! background work left by what ran before is done.

use std::time::Duration;

use crate::support::desk;
use aftersales::bench::run::settle;

#[tokio::test]
async fn a_scenario_waits_for_the_search_and_the_recount_left_before_it_at_most_as_long_as_asked() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    // A ticket opened leaves its search document to write and its day to count again.
    desk.open("refund", "quality").await;
    let documents = aftersales::search::index::pending_rows(pool)
        .await
        .expect("search queue");
    let days = aftersales::reports::rollup::stale_days_in_all(pool)
        .await
        .expect("report queue");
    assert!(documents > 0 && days > 0, "{documents} documents, {days} days queued");
    let at_most = Duration::from_secs(1);
    let waited = settle(pool, at_most).await.expect("settle");
    assert!(waited >= at_most, "waited {waited:?} with work still queued");

    aftersales::search::index::drain_all(pool, |_| {})
        .await
        .expect("indexed");
    let waited = settle(pool, at_most).await.expect("settle");
    assert!(waited >= at_most, "the recount is still to do: waited {waited:?}");
    aftersales::reports::rollup::refresh_all(pool).await.expect("recounted");
    let at_most = Duration::from_secs(60);
    let waited = settle(pool, at_most).await.expect("settle");
    assert!(waited < at_most, "nothing left, yet waited {waited:?}");
}
