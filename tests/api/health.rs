//! Liveness, readiness and the API description.

use reqwest::StatusCode;

use crate::support::{TestApp, spawn_app};

async fn readyz(app: &TestApp) -> reqwest::Response {
    app.client.get(app.url("/readyz")).send().await.expect("readyz")
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = readyz(&app).await;
    assert_eq!(ready.status(), StatusCode::OK);
    app.pool.close().await;
    let not_ready = readyz(&app).await;
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_database_that_cannot_store_makes_writes_503_with_retry_after_and_the_desk_not_ready() {
    let desk = crate::support::desk().await;
    // A full disk, as PostgreSQL reports it (SQLSTATE 53100), on every write to these tables.
    let admin = aftersales::db::pool(desk.app.admin_options.clone(), 1)
        .await
        .expect("pool");
    // One statement at a time: Citus sends a statement's whole text on to the workers.
    for statement in [
        "CREATE FUNCTION simulated_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$",
        "CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON readiness_probe
             FOR EACH ROW EXECUTE FUNCTION simulated_disk_full()",
        "CREATE TRIGGER disk_full BEFORE INSERT ON tickets
             FOR EACH ROW EXECUTE FUNCTION simulated_disk_full()",
    ] {
        sqlx::raw_sql(statement)
            .execute(&admin)
            .await
            .expect("simulate a full disk");
    }
    let ready = desk
        .app
        .client
        .get(desk.app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));
    assert!(ready.text().await.expect("text").contains("cannot take writes"));
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            serde_json::json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", created.body);
    assert_eq!(created.error_code(), "storage_unavailable");
    assert!(created.error_message().contains("nothing was changed"));
    // The same refusal on a page reads in the user's language, not as the API's English.
    let agent = desk.browser("agent-a").await;
    let shop = desk.shop.to_string();
    let page = agent
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "complaint"),
            ("reason", "quality"),
            ("description", "买家投诉客服态度"),
        ])
        .send()
        .await
        .expect("post the form");
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = page.text().await.expect("text");
    assert!(text.contains("数据库暂时无法保存任何内容"), "{text}");
    assert!(!text.contains("nothing was changed"), "{text}");
    // Room again: ready, and the write goes through.
    for statement in [
        "DROP TRIGGER disk_full ON readiness_probe",
        "DROP TRIGGER disk_full ON tickets",
    ] {
        sqlx::raw_sql(statement).execute(&admin).await.expect("free the disk");
    }
    let ready = desk
        .app
        .client
        .get(desk.app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
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
