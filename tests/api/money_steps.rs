//! The money steps of a ticket (issue 13): a refund carries an amount — the whole price unless
//! said otherwise, partial allowed, never above what was paid (422 naming the limit in yuan) —
//! agreed (同意退款) and refunded (已退款) with the amount on the timeline and in the owner's
//! refunded total; a refusal (拒绝) needs a reason from the list and a note; once the goods are
//! received the seller's confirm-receipt countdown is gone, the statutory refund one alone runs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use aftersales::auth::Role;

use crate::form_errors::{assert_next_to, browser_in, field_error};
use crate::support::{Desk, desk, html};

/// Puts order `M-129` (one line, ¥129.00) and opens a `kind` ticket on it; `requested` is the
/// amount the buyer asked for, if any. Returns the ticket's id.
async fn open_on_129(desk: &Desk, kind: &str, requested: Option<i64>) -> i64 {
    let signed = (desk.app.now() - chrono::Duration::days(2)).to_rfc3339();
    let order = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/M-129", desk.shop),
            &desk.agent_token,
            json!({
                "buyer": "tb_buyer129", "paid_at": "2025-03-01T02:00:00Z", "shipped_at": "2025-03-02T02:00:00Z",
                "signed_at": signed,
                "lines": [{ "sku": "TEE-1", "title": "纯棉T恤", "category": "服装", "quantity": 1, "unit_price_fen": 12900 }]
            }),
        )
        .await;
    assert!(order.status.is_success(), "{:?}", order.body);
    let mut body = json!({ "kind": kind, "order_no": "M-129", "reason": "quality", "description": "破洞" });
    if let Some(fen) = requested {
        body["refund_fen"] = json!(fen);
    }
    let ticket = desk
        .app
        .post(&format!("/api/v1/shops/{}/tickets", desk.shop), &desk.agent_token, body)
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    ticket.body["id"].as_i64().expect("id")
}

/// The ticket with its timeline, as the agent reads it.
async fn ticket(desk: &Desk, id: i64) -> Value {
    let answer = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.body
}

/// The `status_changed` events' data of a ticket, oldest first.
fn moves(ticket: &Value) -> Vec<Value> {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "status_changed")
        .map(|e| e["data"].clone())
        .collect()
}

#[tokio::test]
async fn a_refund_above_what_was_paid_is_refused_naming_the_limit_in_yuan() {
    let desk = desk().await;
    let id = open_on_129(&desk, "refund", None).await;
    let above = desk.transition(id, "approved", 1, json!({ "refund_fen": 12901 })).await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(above.body["error"]["details"]["field"], "refund_fen");
    assert!(above.error_message().contains("¥129.00"), "{}", above.error_message());
    let nothing = desk.transition(id, "approved", 1, json!({ "refund_fen": 0 })).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nothing.body["error"]["details"]["field"], "refund_fen");
    let beyond = desk
        .transition(id, "approved", 1, json!({ "refund_fen": 10_000_000_001_i64 }))
        .await;
    assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(beyond.body["error"]["details"]["field"], "refund_fen");
    assert_eq!(ticket(&desk, id).await["status"], "requested", "nothing moved");

    // The page says it beside the amount, in yuan, with what was typed kept.
    for (lang, words) in [
        ("zh", "不能超过买家实付金额 ¥129.00"),
        ("en", "more than the buyer paid: ¥129.00"),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let response = client
            .post(desk.app.url(&format!("/tickets/{id}/transitions")))
            .form(&[
                ("to", "approved"),
                ("version", "1"),
                ("refund_yuan", "129.01"),
                ("note", ""),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let page = response.text().await.expect("page");
        assert!(
            field_error(&page, "move-approved-refund-yuan-error").contains(words),
            "{lang}: {}",
            field_error(&page, "move-approved-refund-yuan-error")
        );
        assert_next_to(&page, "move-approved-refund-yuan", "move-approved-refund-yuan-error");
        assert!(page.contains("value=\"129.01\""), "{lang}: the amount typed is kept");
        assert!(
            page.contains("id=\"move-approved\" open"),
            "{lang}: the move's form is open"
        );
        let words_typed = client
            .post(desk.app.url(&format!("/tickets/{id}/transitions")))
            .form(&[("to", "approved"), ("version", "1"), ("refund_yuan", "五十")])
            .send()
            .await
            .expect("post");
        assert_eq!(words_typed.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let page = words_typed.text().await.expect("page");
        assert!(
            !field_error(&page, "move-approved-refund-yuan-error").is_empty(),
            "{lang}"
        );
    }
    let full = desk.transition(id, "approved", 1, json!({ "refund_fen": 12900 })).await;
    assert_eq!(
        full.status,
        StatusCode::OK,
        "the whole price may be refunded: {:?}",
        full.body
    );
}

#[tokio::test]
async fn a_partial_refund_of_50_on_a_129_order_is_on_the_timeline_and_in_the_owners_refunded_total() {
    let desk = desk().await;
    // The buyer asked for everything; the shop agrees to ¥50.00 and refunds that.
    let id = open_on_129(&desk, "refund", Some(12900)).await;
    let approved = desk.transition(id, "approved", 1, json!({ "refund_fen": 5000 })).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["approved_refund_fen"], 5000);
    assert!(approved.body.get("refunded_fen").is_none(), "nothing refunded yet");
    let refunded = desk.transition(id, "refunded", 2, json!({})).await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    assert_eq!(
        refunded.body["refunded_fen"], 5000,
        "the amount agreed, when none is given"
    );
    assert_eq!(refunded.body["refund_fen"], 12900, "what was asked for stays");

    let answer = ticket(&desk, id).await;
    let amounts: Vec<(String, i64)> = moves(&answer)
        .iter()
        .map(|m| {
            (
                m["to"].as_str().unwrap_or("").to_string(),
                m["refund_fen"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(amounts, vec![("approved".into(), 5000), ("refunded".into(), 5000)]);

    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(
        page.contains("同意退款 ¥50.00") && page.contains("退款 ¥50.00"),
        "the timeline shows the amounts"
    );
    assert!(
        page.contains("<dt>同意退款金额</dt><dd>¥50.00</dd>") && page.contains("<dt>实际退款金额</dt><dd>¥50.00</dd>"),
        "the amounts agreed and refunded are shown beside the ticket"
    );

    let (_, owner) = desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    let report = desk
        .app
        .get(&format!("/api/v1/shops/{}/reports/returns", desk.shop), &owner)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["summary"]["tickets_refunded"], 1);
    assert_eq!(
        report.body["summary"]["refund_fen"], 5000,
        "the report counts what was refunded, not what was asked"
    );
}

#[tokio::test]
async fn without_an_amount_a_refund_is_what_was_asked_else_the_whole_price_and_a_return_refunds_it_too() {
    let desk = desk().await;
    let asked = open_on_129(&desk, "refund", Some(3000)).await;
    let approved = desk.transition(asked, "approved", 1, json!({})).await;
    assert_eq!(approved.body["approved_refund_fen"], 3000);
    let whole = open_on_129(&desk, "refund", None).await;
    let approved = desk.transition(whole, "approved", 1, json!({})).await;
    assert_eq!(approved.body["approved_refund_fen"], 12900);

    // A return's refund is said when it is paid; the page offers the whole price.
    let ret = open_on_129(&desk, "return", None).await;
    let mut version = 1;
    for to in ["approved", "buyer_shipped", "received"] {
        // The shipment back carries its tracking number (goods_steps.rs).
        let extra = if to == "buyer_shipped" {
            json!({ "carrier": "sf", "tracking_no": "SF1234567890123" })
        } else {
            json!({})
        };
        let moved = desk.transition(ret, to, version, extra).await;
        assert_eq!(moved.status, StatusCode::OK, "{to}: {:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
    }
    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{ret}"))).await;
    assert!(
        page.contains("id=\"move-refunded-refund-yuan\""),
        "the refund asks for its amount"
    );
    assert!(page.contains("value=\"129.00\""), "the whole price is offered");
    assert!(
        page.contains("data-confirm=\"确认已向买家退款 ¥{amount}？\""),
        "and asked to confirm with it"
    );
    let partial = client
        .post(desk.app.url(&format!("/tickets/{ret}/transitions")))
        .form(&[
            ("to", "refunded"),
            ("version", version.to_string().as_str()),
            ("refund_yuan", "50"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(partial.status(), StatusCode::SEE_OTHER);
    assert_eq!(ticket(&desk, ret).await["refunded_fen"], 5000);
}

#[tokio::test]
async fn an_amount_sent_with_a_move_that_takes_none_is_refused() {
    let desk = desk().await;
    let id = desk.open("return", "quality").await["id"].as_i64().expect("id");
    let answer = desk.transition(id, "approved", 1, json!({ "refund_fen": 5000 })).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["error"]["details"]["field"], "refund_fen");
    let reason = desk
        .transition(id, "approved", 1, json!({ "rejection_reason": "other" }))
        .await;
    assert_eq!(reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reason.body["error"]["details"]["field"], "rejection_reason");
}

#[tokio::test]
async fn a_refusal_needs_a_reason_from_the_list_and_a_note_which_the_rejected_and_closed_ticket_show() {
    let desk = desk().await;
    let id = desk.open("refund", "quality").await["id"].as_i64().expect("id");
    let bare = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            &desk.agent_token,
            json!({ "to": "rejected", "version": 1 }),
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.body["error"]["details"]["field"], "rejection_reason");
    let no_note = desk
        .transition(
            id,
            "rejected",
            1,
            json!({ "rejection_reason": "missing_evidence", "note": "  " }),
        )
        .await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_note.body["error"]["details"]["field"], "note");
    let unknown = desk
        .transition(id, "rejected", 1, json!({ "rejection_reason": "because" }))
        .await;
    assert!(unknown.status.is_client_error(), "{:?}", unknown.body);
    let unfit = desk
        .transition(
            id,
            "rejected",
            1,
            json!({ "rejection_reason": "returned_goods_mismatch" }),
        )
        .await;
    assert_eq!(unfit.status, StatusCode::UNPROCESSABLE_ENTITY, "no goods came back yet");
    assert_eq!(unfit.body["error"]["details"]["field"], "rejection_reason");
    assert_eq!(ticket(&desk, id).await["status"], "requested");

    // The page: beside the reason, the note kept, the move's form open.
    for (lang, words) in [
        ("zh", "拒绝前请选择拒绝原因。"),
        ("en", "Choose the reason for refusing first."),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let response = client
            .post(desk.app.url(&format!("/tickets/{id}/transitions")))
            .form(&[("to", "rejected"), ("version", "1"), ("note", "买家未上传照片")])
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let page = response.text().await.expect("page");
        assert_eq!(
            field_error(&page, "move-rejected-rejection-reason-error"),
            words,
            "{lang}"
        );
        assert_next_to(
            &page,
            "move-rejected-rejection-reason",
            "move-rejected-rejection-reason-error",
        );
        assert!(page.contains(">买家未上传照片</textarea>"), "{lang}: the note is kept");
        assert!(page.contains("id=\"move-rejected\" open"), "{lang}");
    }
    let client = desk.browser("agent-a").await;
    let rejected = client
        .post(desk.app.url(&format!("/tickets/{id}/transitions")))
        .form(&[
            ("to", "rejected"),
            ("version", "1"),
            ("rejection_reason", "missing_evidence"),
            ("note", "买家未上传照片"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(rejected.status(), StatusCode::SEE_OTHER);
    let answer = ticket(&desk, id).await;
    assert_eq!(
        (answer["rejection_reason"].as_str(), answer["rejection_note"].as_str()),
        (Some("missing_evidence"), Some("买家未上传照片"))
    );
    assert_eq!(moves(&answer)[0]["rejection_reason"], "missing_evidence");
    let closed = desk.transition(id, "closed", 2, json!({})).await;
    assert_eq!(closed.status, StatusCode::OK);
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(page.contains("已关闭"));
    assert!(
        page.contains("id=\"rejection\"") && page.contains("拒绝原因: 缺少凭证"),
        "the closed ticket shows why it was refused"
    );
    assert!(page.contains("拒绝原因：缺少凭证"), "and the timeline does");
}

#[tokio::test]
async fn after_the_goods_are_received_only_the_statutory_refund_countdown_runs() {
    let desk = desk().await;
    let id = desk.open("return", "quality").await["id"].as_i64().expect("id");
    let kinds = |answer: &Value| -> Vec<String> {
        answer["timers"]
            .as_array()
            .expect("timers")
            .iter()
            .map(|t| t["kind"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(kinds(&approved.body), ["buyer_ship_return"]);
    let shipped = desk
        .transition(
            id,
            "buyer_shipped",
            2,
            json!({ "carrier": "sf", "tracking_no": "SF1234567890123" }),
        )
        .await;
    assert_eq!(kinds(&shipped.body), ["seller_confirm_receipt"]);
    let received = desk.transition(id, "received", 3, json!({})).await;
    assert_eq!(
        kinds(&received.body),
        ["statutory_refund"],
        "confirm-receipt has done its work"
    );
    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(page.contains("商家法定退款期限") && !page.contains("商家确认收货"));
    let escalated = desk.transition(id, "escalated", 4, json!({})).await;
    assert_eq!(
        kinds(&escalated.body),
        ["statutory_refund"],
        "an escalation keeps the clock"
    );
    let back = desk.transition(id, "received", 5, json!({})).await;
    let refunded = desk
        .transition(
            id,
            "refunded",
            back.body["version"].as_i64().expect("version"),
            json!({}),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    assert!(kinds(&refunded.body).is_empty());
    assert_eq!(
        refunded.body["refunded_fen"], 6400,
        "the amount asked for, within the line's ¥128.00"
    );
}
