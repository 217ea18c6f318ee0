//! Goods after the sale (issue 18): a return received into stock per line (good, defective,
//! missing adding up), the returns stock per SKU, reships with their cost, intercepts and their
//! outcomes, unclaimed parcels matched to a ticket by tracking number, and the ticket page's
//! card keeping what was typed when refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, Desk, desk, html};

async fn post(d: &Desk, path: String, body: Value) -> Answer {
    d.app.post(&path, &d.agent_token, body).await
}

async fn goods(d: &Desk, ticket: i64) -> Value {
    let answer = d
        .app
        .get(&format!("/api/v1/tickets/{ticket}/goods"), &d.agent_token)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn stock_kinds(ticket: &Value) -> Vec<String> {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "stock")
        .map(|e| e["data"]["what"].as_str().expect("what").to_string())
        .collect()
}

#[tokio::test]
async fn a_return_received_as_one_good_and_one_defective_shows_in_the_skus_returns_stock() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let receipts = format!("/api/v1/tickets/{ticket}/receipts");

    // Numbers that do not add up, or more than the line sold, are refused by field.
    let short = post(
        &d,
        receipts.clone(),
        json!({ "sku": "SKU-1", "returned": 2, "good": 1, "defective": 0 }),
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", short.body);
    assert_eq!(short.body["error"]["details"]["field"], "missing");
    let too_many = post(
        &d,
        receipts.clone(),
        json!({ "sku": "SKU-1", "returned": 3, "good": 3, "defective": 0 }),
    )
    .await;
    assert_eq!(too_many.body["error"]["details"]["field"], "returned");
    let other_line = post(
        &d,
        receipts.clone(),
        json!({ "sku": "NOPE", "returned": 1, "good": 1, "defective": 0 }),
    )
    .await;
    assert_eq!(other_line.body["error"]["details"]["field"], "sku");
    let foreign_photo = post(
        &d,
        receipts.clone(),
        json!({ "sku": "SKU-1", "returned": 1, "good": 1, "defective": 0, "photos": [999] }),
    )
    .await;
    assert_eq!(foreign_photo.body["error"]["details"]["field"], "photos");

    let received = post(
        &d,
        receipts.clone(),
        json!({ "sku": "SKU-1", "returned": 2, "good": 1, "defective": 1, "note": "一件有污渍" }),
    )
    .await;
    assert_eq!(received.status, StatusCode::CREATED, "{:?}", received.body);
    assert_eq!(
        (received.body["good"].clone(), received.body["defective"].clone()),
        (json!(1), json!(1))
    );

    let day = d.app.now().date_naive();
    let stock = d
        .app
        .get(
            &format!("/api/v1/shops/{}/returns-stock?from={day}&to={day}", d.shop),
            &d.supervisor_token,
        )
        .await;
    assert_eq!(stock.status, StatusCode::OK, "{:?}", stock.body);
    assert_eq!(
        stock.body,
        json!([{ "sku": "SKU-1", "title": "纯棉T恤 白色 L", "tickets": 1, "returned": 2, "good": 1, "defective": 1, "missing": 0 }])
    );

    // Receiving the line again corrects it: still one receipt, the stock follows.
    let corrected = post(
        &d,
        receipts,
        json!({ "sku": "SKU-1", "returned": 2, "good": 2, "defective": 0 }),
    )
    .await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{:?}", corrected.body);
    assert_eq!(
        goods(&d, ticket).await["receipts"].as_array().expect("receipts").len(),
        1
    );
    let stock = d
        .app
        .get(
            &format!("/api/v1/shops/{}/returns-stock?from={day}&to={day}", d.shop),
            &d.supervisor_token,
        )
        .await;
    assert_eq!(stock.body[0]["good"], 2);
    let answer = d.app.get(&format!("/api/v1/tickets/{ticket}"), &d.agent_token).await;
    assert_eq!(stock_kinds(&answer.body), vec!["received", "received"]);

    // A refund (no goods back) is not received into stock.
    let refund = d.open("refund", "no_reason").await["id"].as_i64().expect("id");
    let refused = post(
        &d,
        format!("/api/v1/tickets/{refund}/receipts"),
        json!({ "sku": "SKU-1", "returned": 1, "good": 1, "defective": 0 }),
    )
    .await;
    assert_eq!(refused.error_code(), "not_a_return");
}

#[tokio::test]
async fn a_reship_records_its_cost_and_an_intercept_moves_only_along_its_outcomes() {
    let d = desk().await;
    let ticket = d.open("complaint", "quality").await["id"].as_i64().expect("id");
    let bad_tracking = post(
        &d,
        format!("/api/v1/tickets/{ticket}/reships"),
        json!({ "reason": "missing_item", "sku": "SKU-1", "quantity": 1, "carrier": "sf", "tracking_no": "YT1234567890123", "cost_fen": 1800 }),
    )
    .await;
    assert_eq!(bad_tracking.body["error"]["details"]["field"], "tracking_no");
    let reship = post(
        &d,
        format!("/api/v1/tickets/{ticket}/reships"),
        json!({ "reason": "missing_item", "sku": "SKU-1", "quantity": 1, "carrier": "sf", "tracking_no": "SF1234567890123", "cost_fen": 1800, "note": "补发一双" }),
    )
    .await;
    assert_eq!(reship.status, StatusCode::CREATED, "{:?}", reship.body);
    assert_eq!(reship.body["cost_fen"], 1800);

    let asked = post(
        &d,
        format!("/api/v1/tickets/{ticket}/intercepts"),
        json!({ "carrier": "zto", "tracking_no": "78123456789012", "fee_fen": 300 }),
    )
    .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(asked.body["outcome"], "requested");
    let outcome = format!("/api/v1/tickets/{ticket}/intercepts/{}/outcome", asked.body["id"]);
    let skipped = post(&d, outcome.clone(), json!({ "outcome": "returned_to_sender" })).await;
    assert_eq!(
        skipped.error_code(),
        "intercept_outcome",
        "not back before it was stopped"
    );
    let stopped = post(
        &d,
        outcome.clone(),
        json!({ "outcome": "intercepted", "note": "快递已截回" }),
    )
    .await;
    assert_eq!(stopped.body["outcome"], "intercepted", "{:?}", stopped.body);
    let back = post(&d, outcome.clone(), json!({ "outcome": "returned_to_sender" })).await;
    assert_eq!(back.body["outcome"], "returned_to_sender");
    let after = post(&d, outcome, json!({ "outcome": "failed" })).await;
    assert_eq!(after.error_code(), "intercept_outcome", "a parcel back home stays back");

    let view = goods(&d, ticket).await;
    assert_eq!(view["reships"].as_array().expect("reships").len(), 1);
    assert_eq!(view["intercepts"][0]["fee_fen"], 300);
    let answer = d.app.get(&format!("/api/v1/tickets/{ticket}"), &d.agent_token).await;
    assert_eq!(
        stock_kinds(&answer.body),
        vec!["reshipped", "intercept", "intercept", "intercept"]
    );
}

#[tokio::test]
async fn an_unclaimed_parcel_is_matched_to_the_ticket_its_tracking_number_names() {
    let d = desk().await;
    let address = d
        .app
        .post(
            &format!("/api/v1/shops/{}/return-addresses", d.shop),
            &d.supervisor_token,
            json!({ "label": "杭州仓", "recipient": "王仓管", "phone": "0571-88886666", "address": "杭州 1 号", "is_default": true }),
        )
        .await;
    assert_eq!(address.status, StatusCode::CREATED, "{:?}", address.body);
    let opened = d.open("return", "no_reason").await;
    let ticket = opened["id"].as_i64().expect("id");
    let approved = d
        .transition(
            ticket,
            "approved",
            opened["version"].as_i64().expect("version"),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let shipped = d
        .transition(
            ticket,
            "buyer_shipped",
            approved.body["version"].as_i64().expect("version"),
            json!({ "carrier": "yto", "tracking_no": "YT9876543210123" }),
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{:?}", shipped.body);

    let parcels = format!("/api/v1/shops/{}/parcels", d.shop);
    let bad = post(&d, parcels.clone(), json!({ "carrier": "yto", "tracking_no": "12" })).await;
    assert_eq!(bad.body["error"]["details"]["field"], "tracking_no");
    let parcel = post(
        &d,
        parcels.clone(),
        json!({ "carrier": "yto", "tracking_no": "yt 9876 5432 10123", "contents": "白色T恤一件，无单据" }),
    )
    .await;
    assert_eq!(parcel.status, StatusCode::CREATED, "{:?}", parcel.body);
    assert_eq!(
        parcel.body["tracking_no"], "YT9876543210123",
        "stored in its carrier's shape"
    );
    assert_eq!(parcel.body["suggested_ticket"], ticket, "the ticket whose return it is");

    let id = parcel.body["id"].as_i64().expect("id");
    let matched = post(&d, format!("{parcels}/{id}/match"), json!({ "ticket": ticket })).await;
    assert_eq!(matched.status, StatusCode::OK, "{:?}", matched.body);
    assert_eq!(matched.body["ticket_id"], ticket);
    let again = post(&d, format!("{parcels}/{id}/match"), json!({ "ticket": ticket })).await;
    assert_eq!(again.error_code(), "already_matched");
    let answer = d.app.get(&format!("/api/v1/tickets/{ticket}"), &d.agent_token).await;
    assert_eq!(stock_kinds(&answer.body), vec!["parcel_matched"]);
    let list = d.app.get(&parcels, &d.agent_token).await;
    assert_eq!(list.body[0]["ticket_id"], ticket);

    // The page lists the parcel, and a wrong ticket number is said next to its box.
    let agent = d.browser("agent-a").await;
    let second = post(
        &d,
        parcels.clone(),
        json!({ "carrier": "sf", "tracking_no": "SF5555555555555" }),
    )
    .await;
    let second = second.body["id"].as_i64().expect("id");
    let refused = agent
        .post(d.app.url(&format!("/returns/parcels/{second}/match")))
        .form(&[("shop", d.shop.to_string().as_str()), ("ticket", "abc")])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.expect("text");
    assert!(body.contains(&format!("id=\"match-{second}-error\"")), "{body}");
    assert!(body.contains("value=\"abc\""), "what was typed is kept");
}

#[tokio::test]
async fn the_ticket_pages_goods_card_keeps_what_was_typed_and_the_stock_page_lists_the_sku() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let agent = d.browser("agent-a").await;
    let send = |form: Vec<(&'static str, &'static str)>| {
        agent
            .post(d.app.url(&format!("/tickets/{ticket}/receipts")))
            .header("hx-request", "true")
            .form(&form)
            .send()
    };
    let refused = send(vec![
        ("stock_sku", "SKU-1"),
        ("stock_returned", "2"),
        ("stock_good", "1"),
        ("stock_defective", "0"),
        ("stock_missing", ""),
        ("stock_note", "外包装破"),
    ])
    .await
    .expect("post");
    let body = refused.text().await.expect("text");
    assert!(body.contains("id=\"receipt-stock_missing-error\""), "{body}");
    assert!(body.contains("良品、次品、缺件加起来要等于退回数量"), "{body}");
    assert!(body.contains("value=\"外包装破\""), "the note is kept");
    assert!(body.contains("id=\"receipt-new\" open"), "the form stays open");

    let done = send(vec![
        ("stock_sku", "SKU-1"),
        ("stock_returned", "2"),
        ("stock_good", "1"),
        ("stock_defective", "1"),
        ("stock_missing", "0"),
    ])
    .await
    .expect("post");
    let body = done.text().await.expect("text");
    assert!(body.contains("已登记入库"), "{body}");
    assert!(body.contains("SKU-1：退回 2，良品 1，次品 1，缺件 0"), "{body}");

    let (status, page) = html(&agent, d.app.url("/returns/stock")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-sku=\"SKU-1\""), "{page}");
    let (status, page) = html(&agent, d.app.url("/returns/stock?from=2026-13-01&to=2026-06-15")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"from-error\""), "{page}");
}
