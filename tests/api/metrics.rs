//! `/metrics`: what a Prometheus scrape sees, and who may scrape.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{desk, fresh_database, spawn_app};

/// The value of the sample `name{labels}` (exactly as written) in a scrape, if present.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_scrape_counts_requests_by_route_template_and_status_with_their_latency() {
    let desk = desk().await;
    let id = desk.open("return", "quality").await["id"].as_i64().expect("id");
    for _ in 0..2 {
        let answer = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let missing = desk.app.get("/api/v1/tickets/999999", &desk.agent_token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let nowhere = desk
        .app
        .client
        .get(desk.app.url("/no/such/page"))
        .send()
        .await
        .expect("get");
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);

    let response = desk
        .app
        .client
        .get(desk.app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().expect("type").to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let metrics = response.text().await.expect("text");

    let route = r#"method="GET",route="/api/v1/tickets/{id}""#;
    assert_eq!(
        sample(
            &metrics,
            &format!("aftersales_http_requests_total{{{route},status=\"200\"}}")
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            &format!("aftersales_http_requests_total{{{route},status=\"404\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &metrics,
            &format!("aftersales_http_request_duration_seconds_count{{{route}}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &metrics,
            r#"aftersales_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0)
    );
    assert!(!metrics.contains("/api/v1/tickets/999999") && !metrics.contains("/no/such/page"));
    assert_eq!(sample(&metrics, "aftersales_ready"), Some(1.0));
    assert!(sample(&metrics, "aftersales_db_pool_connections").is_some_and(|n| n >= 1.0));
    assert!(sample(&metrics, "aftersales_db_pool_idle_connections").is_some());
    assert_eq!(sample(&metrics, "aftersales_db_pool_max_connections"), Some(8.0));
}

#[tokio::test]
async fn a_scrape_after_a_sweep_shows_the_run_and_its_escalations() {
    let desk = desk().await;
    let answer = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": "没人回复",
                    "opened_at": (desk.app.now() - Duration::hours(25)).to_rfc3339() }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let before = desk.app.metrics().await;
    assert_eq!(sample(&before, "aftersales_follow_up_escalations_total"), Some(0.0));
    assert_eq!(
        sample(&before, r#"aftersales_follow_up_sweeps_total{outcome="done"}"#),
        None
    );

    let report = aftersales::follow_ups::sweep_counted(&desk.app.pool, &desk.app.state.metrics, desk.app.now())
        .await
        .expect("sweep");
    assert_eq!(report.escalations, 1);
    aftersales::follow_ups::sweep_counted(&desk.app.pool, &desk.app.state.metrics, desk.app.now())
        .await
        .expect("second sweep");

    let after = desk.app.metrics().await;
    assert_eq!(
        sample(&after, r#"aftersales_follow_up_sweeps_total{outcome="done"}"#),
        Some(2.0)
    );
    assert_eq!(sample(&after, "aftersales_follow_up_escalations_total"), Some(1.0));
    assert!(sample(&after, "aftersales_follow_up_last_sweep_timestamp_seconds").is_some_and(|t| t > 0.0));
}

#[tokio::test]
async fn without_a_token_a_request_forwarded_by_a_proxy_may_not_scrape() {
    let app = spawn_app().await;
    let forwarded = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .expect("scrape");
    assert_eq!(forwarded.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn with_a_token_set_only_its_bearer_may_scrape() {
    let (pool, _, _) = fresh_database().await;
    let state = aftersales::state::AppState::new(pool)
        .with_metrics_access(aftersales::metrics::Access::from_setting(Some("scrape-secret")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}/metrics", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            aftersales::router::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    let client = reqwest::Client::new();
    let status = |request: reqwest::RequestBuilder| async move { request.send().await.expect("scrape").status() };
    assert_eq!(status(client.get(&address)).await, StatusCode::FORBIDDEN);
    assert_eq!(
        status(client.get(&address).bearer_auth("wrong")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(client.get(&address).bearer_auth("scrape-secret")).await,
        StatusCode::OK
    );
}
