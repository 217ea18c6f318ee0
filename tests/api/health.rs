//! Liveness, readiness and the API description.

use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    app.pool.close().await;
    let not_ready = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/tokens",
        "/api/v1/shops",
        "/api/v1/users",
        "/api/v1/shops/{shop}/orders/{order_no}",
        "/api/v1/shops/{shop}/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/follow-ups",
        "/api/v1/tickets/{id}/transitions",
        "/api/v1/tickets/{id}/assignment",
        "/api/v1/shops/{shop}/follow-ups",
        "/api/v1/calendar/deadline",
        "/api/v1/calendar/years/{year}",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    let page = app
        .client
        .get(app.url("/api/docs"))
        .send()
        .await
        .expect("docs")
        .text()
        .await
        .expect("text");
    assert!(page.contains("/api/v1/tickets/{id}/transitions"));
}
