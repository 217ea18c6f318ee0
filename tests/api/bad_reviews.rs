//! Bad-review tickets: the stars they need, and their way from contacting the buyer to a revised
//! review, through the API and the new-ticket form.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::desk;

#[tokio::test]
async fn a_bad_review_is_worked_from_contact_to_a_revised_review() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let missing = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality" }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["error"]["details"]["field"], "review_rating");
    let misplaced = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "review_rating": 1 }),
        )
        .await;
    assert_eq!(misplaced.body["error"]["details"]["field"], "review_rating");
    let created = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 2,
                    "review_text": "洗了一次就起球，差评" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["status"], "open");
    assert_eq!(created.body["review_rating"], 2);
    assert_eq!(
        created.body["allowed_transitions"],
        json!([
            "buyer_contacted",
            "explanation_posted",
            "appealed",
            "escalated",
            "platform_intervention"
        ])
    );
    let id = created.body["id"].as_i64().expect("id");
    let mut version = 1;
    for to in ["buyer_contacted", "review_revised", "closed"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{to}: {:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
        if to == "review_revised" {
            assert_eq!(
                moved.body["follow_up_due_at"],
                serde_json::Value::Null,
                "settled reviews leave the cycle"
            );
        }
    }
    let client = crate::support::browser(&desk.app, "agent-a").await;
    let page = client
        .get(desk.app.url(&format!("/tickets/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("中差评") && page.contains("★★☆☆☆") && page.contains("洗了一次就起球"));
    // The same through the new-ticket form.
    let shop = desk.shop.to_string();
    let form = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "bad_review"),
            ("reason", "late_shipment"),
            ("review_rating", "3"),
            ("review_text", "发货太慢，中评"),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    let location = form.headers()["location"].to_str().expect("location").to_string();
    let page = client
        .get(desk.app.url(&location))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("★★★☆☆") && page.contains("name=\"to\" value=\"buyer_contacted\""));
}
