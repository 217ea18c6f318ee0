//! The demo shop (`serve --demo`): what a newcomer sees first must answer at once.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn the_demo_agents_queue_answers_at_once_on_a_fresh_database() {
    // Found by hand: on a fresh database the planner had no statistics of the demo's tables, and
    // a connection's cached generic plan of the queue looped over every order and buyer per
    // ticket — the demo agent's first page ran into the 30 s timeout. The load now analyzes what
    // it filled; whether a given connection picks the bad plan depends on timing, so the
    // statistics themselves are what this test holds to.
    let app = spawn_app().await;
    aftersales::demo::load(&app.pool).await.expect("demo loads");
    for table in ["shops", "users", "customers", "orders", "order_lines", "tickets"] {
        let analyzed: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = $1")
                .bind(table)
                .fetch_one(&app.pool)
                .await
                .expect("statistics row");
        assert!(analyzed.is_some(), "{table} was analyzed after the demo load");
    }
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({ "login": "agent1", "password": "demo-agent1" }))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    let token = token["token"].as_str().expect("token").to_string();
    for _ in 0..8 {
        // More than five runs: PostgreSQL switches a prepared statement to its generic plan
        // after the fifth.
        let page = client
            .get(app.url("/"))
            .bearer_auth(&token)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .expect("the queue answers within 10 s");
        assert_eq!(page.status(), StatusCode::OK);
    }
}
