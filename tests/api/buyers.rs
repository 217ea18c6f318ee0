//! The buyer's file: orders, returns and refunds counted, repeat returners flagged.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html};
use aftersales::auth::Role;

/// The buyer's file of ticket `id` through the API, as the agent reads it.
async fn buyer_file(desk: &crate::support::Desk, id: i64) -> serde_json::Value {
    let file = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/buyer"), &desk.agent_token)
        .await;
    assert_eq!(file.status, StatusCode::OK, "{:?}", file.body);
    file.body
}

#[tokio::test]
async fn the_buyers_file_counts_returns_and_refunds_and_flags_repeat_returners() {
    let desk = desk().await;
    let first = desk.open("refund", "quality").await;
    let id = first["id"].as_i64().expect("id");
    let moved = desk.transition(id, "approved", 1, json!({})).await;
    let moved = desk
        .transition(id, "refunded", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let file = buyer_file(&desk, id).await;
    assert_eq!(file["refunds"], 1);
    assert_eq!(file["orders"].as_array().map(Vec::len), Some(1));
    // Closed a day later, the refund still counts (its move lies within the ticket's open span).
    desk.app.clock.set(desk.app.now() + chrono::Duration::days(1));
    let closed = desk
        .transition(id, "closed", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    let file = buyer_file(&desk, id).await;
    assert_eq!(file["refunds"], 1, "{file:?}");
    assert_eq!(file["repeat_returner"], false, "one refund is no pattern");
    desk.open("return", "quality").await;
    desk.open("exchange", "wrong_item").await;
    // Another buyer's order and ticket in the same shop are not in this buyer's file.
    let other_buyer = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/O-9", desk.shop),
            &desk.agent_token,
            json!({
                "buyer": "tb_someone_else", "paid_at": "2025-03-01T02:00:00Z",
                "lines": [{ "sku": "SKU-9", "title": "帆布包", "category": "箱包", "quantity": 1, "unit_price_fen": 9900 }]
            }),
        )
        .await;
    assert!(other_buyer.status.is_success(), "{:?}", other_buyer.body);
    let theirs = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "refund", "order_no": "O-9", "reason": "quality", "description": "破了", "refund_fen": 9900 }),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{:?}", theirs.body);
    let file = buyer_file(&desk, id).await;
    assert_eq!(file["return_requests"], 2);
    assert_eq!(file["tickets"].as_array().map(Vec::len), Some(3));
    assert_eq!(file["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(file["repeat_returner"], true);

    let client = browser(&desk.app, "agent-a").await;
    let page = html(&client, desk.app.url(&format!("/tickets/{id}/buyer"))).await.1;
    assert!(page.contains("客户档案") && page.contains("频繁退货") && page.contains("七天无理由退货的权利不受影响"));
    let other = desk.app.shop("shop-b").await;
    let (_, foreign) = desk.app.user("agent-b", Role::Agent, &[other]).await;
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/tickets/{id}/buyer"), &foreign)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The ticket page's counts (one statement) say what the buyer's file says, for every buyer of
/// the demo shop, as of the desk's clock.
#[tokio::test]
async fn the_ticket_pages_counts_agree_with_the_buyers_file_for_every_demo_buyer() {
    use aftersales::buyers::page::BuyerSummary;
    let app = crate::support::spawn_app().await;
    aftersales::demo::load(&app.pool).await.expect("demo loads");
    let buyers: Vec<(aftersales::ids::ShopId, aftersales::ids::CustomerId)> = sqlx::query_as(
        "SELECT c.shop_id, c.id FROM customers c JOIN shops s ON s.id = c.shop_id WHERE s.code = 'demo'",
    )
    .fetch_all(&app.pool)
    .await
    .expect("buyers");
    assert!(buyers.len() > 10, "{}", buyers.len());
    let now = app.now();
    let mut flagged = 0;
    for (shop, customer) in buyers {
        let file = aftersales::buyers::file(&app.pool, shop, customer, now)
            .await
            .expect("file");
        let counts = aftersales::buyers::counts(shop, customer, now)
            .optional(&app.pool)
            .await
            .expect("counts")
            .expect("one row");
        assert_eq!(
            BuyerSummary::of_counts(&counts),
            BuyerSummary::of(&file),
            "buyer {customer:?}"
        );
        assert_eq!(counts.recent_requests, file.recent_requests);
        flagged += usize::from(file.repeat_returner);
    }
    assert!(flagged > 0, "the demo shop has a repeat returner to compare");
}
