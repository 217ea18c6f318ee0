//! Orders through the API.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::desk;

#[tokio::test]
async fn an_order_upsert_creates_then_replaces() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/orders/O-2", desk.shop);
    let body = json!({
        "buyer": "tb_mei", "signed_at": "2025-03-10T07:20:00Z",
        "lines": [
            { "sku": "A", "title": "连衣裙", "category": "服装", "quantity": 1, "unit_price_fen": 19900 },
            { "sku": "B", "title": "定制刻字杯", "quantity": 2, "unit_price_fen": 3900, "no_reason_exclusion": "custom_made",
              "signed_at": "2025-03-11T07:20:00Z" }
        ]
    });
    let created = desk.app.put(&path, &desk.agent_token, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["lines"].as_array().map(Vec::len), Some(2));
    let again = desk.app.put(&path, &desk.agent_token, body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], created.body["id"]);
    // Each line as stored, by SKU: a line's own sign time, else the order's.
    let line = |sku: &str, title: &str, category: &str, quantity: i64, price: i64, exclusion: &str, signed: &str| {
        json!({ "sku": sku, "title": title, "category": category, "quantity": quantity, "unit_price_fen": price,
                "no_reason_exclusion": exclusion, "signed_at": signed })
    };
    let expected = json!([
        line("A", "连衣裙", "服装", 1, 19900, "none", "2025-03-10T07:20:00Z"),
        line("B", "定制刻字杯", "", 2, 3900, "custom_made", "2025-03-11T07:20:00Z"),
    ]);
    assert_eq!(again.body["lines"], expected);
    assert_eq!(desk.app.get(&path, &desk.agent_token).await.body["lines"], expected);
    let fewer = desk
        .app
        .put(&path, &desk.agent_token, json!({ "buyer": "tb_mei", "lines": [{ "sku": "A", "title": "连衣裙", "quantity": 3, "unit_price_fen": 19900 }] }))
        .await;
    assert_eq!(fewer.body["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(fewer.body["lines"][0]["quantity"], 3);
    let fetched = desk.app.get(&path, &desk.agent_token).await;
    assert_eq!(fetched.body["buyer"], "tb_mei");
}

#[tokio::test]
async fn bad_orders_name_the_field_and_store_nothing() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/orders/O-3", desk.shop);
    let cases = [
        (json!({ "buyer": "b", "lines": [] }), "lines"),
        (
            json!({ "buyer": "", "lines": [{ "sku": "A", "title": "t", "quantity": 1, "unit_price_fen": 1 }] }),
            "buyer",
        ),
        (
            json!({ "buyer": "b", "lines": [{ "sku": "A", "title": "t", "quantity": 0, "unit_price_fen": 1 }] }),
            "lines[0].quantity",
        ),
        (
            json!({ "buyer": "b", "lines": [{ "sku": "A", "title": "t", "quantity": 1, "unit_price_fen": 1, "no_reason_exclusion": "seller_says_no" }] }),
            "lines[0].no_reason_exclusion",
        ),
        (
            json!({ "buyer": "b", "signed_at": "yesterday", "lines": [{ "sku": "A", "title": "t", "quantity": 1, "unit_price_fen": 1 }] }),
            "signed_at",
        ),
    ];
    for (body, field) in cases {
        let answer = desk.app.put(&path, &desk.agent_token, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            answer.error_message().contains(field),
            "{body}: {}",
            answer.error_message()
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE order_no = 'O-3'")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);
}
