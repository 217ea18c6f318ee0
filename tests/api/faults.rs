//! Faults: PostgreSQL stopped and started again under load. The server keeps running, answers
//! 503 with Retry-After while the database is away, recovers by itself, and every request it
//! answered with 2xx is in the database exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aftersales::auth::Role;
use aftersales::db::embedded::{Cluster, Options};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::temp_dir;

const CLIENTS: usize = 8;

#[tokio::test]
async fn a_database_restart_loses_nothing_the_server_confirmed() {
    // A cluster of this test's own: the shared one must not be stopped.
    let dir = temp_dir("fault");
    let cluster = Cluster::start(
        &dir,
        &Options {
            unsafe_fast: false,
            remove_on_exit: false,
            exclusive: false,
        },
    )
    .expect("cluster");
    aftersales::db::prepare(&cluster.connect_options("postgres"), "faults")
        .await
        .expect("database");
    let options = cluster.app_options("faults");
    let pool = aftersales::db::pool(options.clone(), 8).await.expect("pool");
    // Every commit flushed; the WAL's page images compressed with lz4 where the server was
    // built with it (its settings list it then), else with pglz.
    let (fsync, compression, has_lz4): (String, String, bool) = sqlx::query_as(
        "SELECT current_setting('fsync'), setting, 'lz4' = ANY (enumvals) FROM pg_settings
         WHERE name = 'wal_compression'",
    )
    .fetch_one(&pool)
    .await
    .expect("settings");
    assert_eq!(fsync, "on");
    assert_eq!(compression, if has_lz4 { "lz4" } else { "pglz" });
    let app = aftersales::router::router(
        aftersales::state::AppState::new(pool.clone())
            .with_clock(aftersales::clock::Clock::fixed(crate::support::test_now())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve")
    });

    // A shop, an agent and a ticket per client.
    let shop = aftersales::shops::create(
        &pool,
        &serde_json::from_value(json!({ "code": "fault", "name": "故障店" })).expect("shop"),
    )
    .await
    .expect("insert")
    .expect("new");
    let user = aftersales::users::create(
        &pool,
        &aftersales::users::NewUser {
            login: "fault-agent".into(),
            password: "fault-agent-pass".into(),
            role: Role::Agent,
            shops: vec![shop.id],
            display_name: None,
        },
    )
    .await
    .expect("user");
    let (token, _) = aftersales::auth::tokens::issue(&pool, user.id, aftersales::auth::tokens::TokenKind::Api, None)
        .await
        .expect("token");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(40))
        .build()
        .expect("client");
    let put = client
        .put(format!("{base}/api/v1/shops/{}/orders/F-1", shop.id))
        .bearer_auth(&token)
        .json(&json!({ "buyer": "tb_f", "lines": [{ "sku": "F", "title": "商品", "quantity": 1, "unit_price_fen": 100 }] }))
        .send()
        .await
        .expect("order");
    assert_eq!(put.status(), StatusCode::CREATED);
    let mut tickets = Vec::new();
    for _ in 0..CLIENTS {
        let created: serde_json::Value = client
            .post(format!("{base}/api/v1/shops/{}/tickets", shop.id))
            .bearer_auth(&token)
            .json(&json!({ "kind": "complaint", "order_no": "F-1", "reason": "quality" }))
            .send()
            .await
            .expect("ticket")
            .json()
            .await
            .expect("json");
        tickets.push(created["id"].as_i64().expect("id"));
    }

    // Clients record follow-ups (and notes) without pause for a bounded time.
    let running = Arc::new(AtomicBool::new(true));
    let mut workers = Vec::new();
    for (n, &ticket) in tickets.iter().enumerate() {
        let (client, base, token, running) = (client.clone(), base.clone(), token.clone(), running.clone());
        workers.push(tokio::spawn(async move {
            let mut answers: Vec<(String, u16, bool)> = Vec::new();
            let mut i = 0;
            let deadline = Instant::now() + Duration::from_secs(20);
            while running.load(Ordering::Relaxed) && Instant::now() < deadline {
                i += 1;
                let summary = format!("c{n}-r{i}");
                let (path, body) = if i % 3 == 0 {
                    ("notes", json!({ "text": summary }))
                } else {
                    ("follow-ups", json!({ "channel": "phone", "summary": summary }))
                };
                let response = client
                    .post(format!("{base}/api/v1/tickets/{ticket}/{path}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match response {
                    Ok(r) => {
                        let retry = r.headers().contains_key("retry-after");
                        answers.push((summary, r.status().as_u16(), retry));
                    }
                    Err(_) => answers.push((summary, 0, false)),
                }
            }
            answers
        }));
    }

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stop_started = Instant::now();
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("join")
        .expect("stop PostgreSQL");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let readyz = reqwest::get(format!("{base}/readyz")).await.expect("readyz");
    assert_eq!(
        readyz.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "/readyz reports the outage"
    );
    let restart_dir = dir.clone();
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(&restart_dir, &Options::default()))
        .await
        .expect("join")
        .expect("start PostgreSQL again");
    let outage = stop_started.elapsed();
    // Let the pool find its way back, then stop the clients.
    let mut recovered_after = None;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            recovered_after = Some(stop_started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered_after.is_some(), "the server recovers by itself");
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::Relaxed);

    let mut answered_ok = Vec::new();
    let mut counts: HashMap<u16, usize> = HashMap::new();
    for worker in workers {
        for (summary, status, retry) in worker.await.expect("worker") {
            *counts.entry(status).or_default() += 1;
            if (200..300).contains(&status) {
                answered_ok.push(summary);
            } else if status == 503 {
                assert!(retry, "503 carries Retry-After");
            } else {
                assert!(
                    status == 0 || status == 503,
                    "only 2xx or 503 (or a dropped connection), got {status}"
                );
            }
        }
    }
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT COALESCE(data ->> 'summary', data ->> 'text'), count(*) FROM ticket_events
         WHERE kind IN ('follow_up', 'note') GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("events after recovery");
    let stored: HashMap<String, i64> = stored.into_iter().collect();
    for summary in &answered_ok {
        assert_eq!(
            stored.get(summary),
            Some(&1),
            "{summary} was confirmed and must be stored exactly once"
        );
    }
    assert!(stored.values().all(|&n| n == 1), "nothing is stored twice");
    let during = counts.get(&503).copied().unwrap_or(0);
    assert!(during > 0, "some requests met the outage: {counts:?}");
    eprintln!(
        "fault run: {} requests, {} confirmed (2xx), {} answered 503, {} dropped; outage {:.1}s, ready again after {:.1}s",
        counts.values().sum::<usize>(),
        answered_ok.len(),
        during,
        counts.get(&0).copied().unwrap_or(0),
        outage.as_secs_f64(),
        recovered_after.map(|d| d.as_secs_f64()).unwrap_or(0.0)
    );
    pool.close().await;
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("join")
        .expect("stop");
    let _ = std::fs::remove_dir_all(&dir);
}
