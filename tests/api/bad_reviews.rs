//! Bad-review tickets: the stars they need, and their way from contacting the buyer to a revised
//! review, through the API and the new-ticket form; no money fields; the buyer's revision window
//! and the explanation deadline as countdowns; the reasons each kind takes.

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

/// The kinds of the clocks a ticket's answer carries, with their deadlines.
fn clocks(ticket: &serde_json::Value) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    ticket["timers"]
        .as_array()
        .expect("timers")
        .iter()
        .map(|t| {
            let deadline = chrono::DateTime::parse_from_rfc3339(t["deadline"].as_str().expect("deadline"))
                .expect("RFC 3339")
                .with_timezone(&chrono::Utc);
            (t["kind"].as_str().expect("kind").to_string(), deadline)
        })
        .collect()
}

fn has_key(value: &serde_json::Value, key: &str) -> bool {
    value.as_object().is_some_and(|fields| fields.contains_key(key))
}

#[tokio::test]
async fn a_bad_review_answers_without_money_fields_and_with_its_two_countdowns() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let posted = desk.app.now() - chrono::Duration::days(2);
    let created = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "service_attitude", "review_rating": 1,
                    "review_text": "客服态度很差", "reviewed_at": posted.to_rfc3339() }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert!(!has_key(&created.body, "refund_fen"), "{:?}", created.body);
    let reviewed_at = chrono::DateTime::parse_from_rfc3339(created.body["reviewed_at"].as_str().expect("reviewed_at"))
        .expect("RFC 3339");
    assert_eq!(reviewed_at, posted);
    assert_eq!(
        clocks(&created.body),
        vec![
            ("buyer_revise_review".to_string(), posted + chrono::Duration::days(30)),
            ("seller_explain_review".to_string(), posted + chrono::Duration::days(30)),
        ],
        "Taobao's 30 days each, from the posting"
    );
    let id = created.body["id"].as_i64().expect("id");
    let full = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert!(!has_key(&full.body, "refund_fen"));
    let timeline = full.body["timeline"].as_array().expect("timeline");
    assert!(
        timeline.iter().all(|e| !has_key(&e["data"], "refund_fen")),
        "the opening event shows no amount either: {timeline:?}"
    );
    let listed = desk.app.get(&path, &desk.agent_token).await;
    let row = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == json!(id))
        .expect("listed")
        .clone();
    assert!(!has_key(&row, "refund_fen") && clocks(&row).len() == 2);

    // A money ticket keeps its amount field; it has no review fields and no review clocks.
    let refund = desk.open("refund", "quality").await;
    assert_eq!(refund["refund_fen"], 6400);
    assert!(!has_key(&refund, "review_rating") && !has_key(&refund, "reviewed_at"));
    assert!(clocks(&refund).iter().all(|(kind, _)| !kind.ends_with("_review")));

    // The shop's own durations apply; the clocks end when they no longer apply.
    let admin = desk
        .app
        .user("admin-r", aftersales::auth::Role::Admin, &[desk.shop])
        .await
        .1;
    let changed = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", desk.shop),
            &admin,
            json!({ "review_timers": { "explain_days": 7 } }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(
        changed.body["review_timers"],
        json!({ "revise_days": 30, "explain_days": 7 })
    );
    let refused = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", desk.shop),
            &admin,
            json!({ "review_timers": { "revise_days": 0 } }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["details"]["field"], "review_timers");
    let explained = desk.transition(id, "explanation_posted", 1, json!({})).await;
    assert_eq!(explained.status, StatusCode::OK, "{:?}", explained.body);
    assert_eq!(
        clocks(&explained.body),
        vec![("buyer_revise_review".to_string(), posted + chrono::Duration::days(30))],
        "the explanation is posted: only the buyer's window is left"
    );
    let closed = desk
        .transition(
            id,
            "closed",
            explained.body["version"].as_i64().expect("version"),
            json!({}),
        )
        .await;
    assert!(clocks(&closed.body).is_empty(), "{:?}", closed.body["timers"]);

    let other = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 3 }),
        )
        .await;
    let now = desk.app.now();
    assert_eq!(
        clocks(&other.body),
        vec![
            ("seller_explain_review".to_string(), now + chrono::Duration::days(7)),
            ("buyer_revise_review".to_string(), now + chrono::Duration::days(30)),
        ],
        "posted when opened by default; the shop's 7 days to explain come first"
    );
    let appealed = desk
        .transition(other.body["id"].as_i64().expect("id"), "appealed", 1, json!({}))
        .await;
    assert_eq!(appealed.status, StatusCode::OK, "{:?}", appealed.body);
    assert!(
        clocks(&appealed.body).is_empty(),
        "appealed: the platform decides, neither clock is shown: {:?}",
        appealed.body["timers"]
    );
}

#[tokio::test]
async fn a_bad_review_refuses_an_amount_and_a_review_posted_in_the_future() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let with_money = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 2, "refund_fen": 100 }),
        )
        .await;
    assert_eq!(with_money.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(with_money.body["error"]["details"]["field"], "refund_fen");
    assert!(
        with_money.error_message().contains("not money"),
        "{:?}",
        with_money.body
    );
    let future = (desk.app.now() + chrono::Duration::hours(1)).to_rfc3339();
    let ahead = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 2, "reviewed_at": future }),
        )
        .await;
    assert_eq!(ahead.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ahead.body["error"]["details"]["field"], "reviewed_at");
    let stray = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "return", "order_no": "O-1", "reason": "quality", "reviewed_at": desk.app.now().to_rfc3339() }),
        )
        .await;
    assert_eq!(stray.body["error"]["details"]["field"], "reviewed_at");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0, "nothing was opened");
}

#[tokio::test]
async fn each_kind_takes_only_the_reasons_that_fit_it() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let open = |kind: &'static str, reason: &'static str| {
        let body = if kind == "bad_review" {
            json!({ "kind": kind, "order_no": "O-1", "reason": reason, "review_rating": 2 })
        } else {
            json!({ "kind": kind, "order_no": "O-1", "reason": reason })
        };
        let app = &desk.app;
        let token = desk.agent_token.clone();
        let path = path.clone();
        async move { app.post(&path, &token, body).await }
    };
    let refused = open("bad_review", "no_reason").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["details"]["field"], "reason");
    let message = refused.error_message();
    for allowed in ["quality", "not_as_described", "slow_delivery", "service_attitude"] {
        assert!(message.contains(allowed), "{message}");
    }
    assert!(!message.contains("shipping_fee"), "{message}");
    for (kind, reason) in [
        ("return", "logistics_stuck"),
        ("exchange", "shipping_fee"),
        ("logistics", "no_reason"),
    ] {
        let answer = open(kind, reason).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}/{reason}");
        assert_eq!(answer.body["error"]["details"]["field"], "reason", "{kind}/{reason}");
    }
    for (kind, reason) in [
        ("bad_review", "service_attitude"),
        ("bad_review", "slow_delivery"),
        ("complaint", "outcome_unsatisfied"),
        ("logistics", "slow_delivery"),
        ("refund", "shipping_fee"),
    ] {
        let answer = open(kind, reason).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{kind}/{reason}: {:?}", answer.body);
    }
}

#[tokio::test]
async fn the_ticket_page_of_a_bad_review_shows_its_clocks_and_no_amount() {
    let desk = desk().await;
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 2,
                    "review_text": "起球严重" }),
        )
        .await;
    let id = created.body["id"].as_i64().expect("id");
    for (lang, amount, title, revise, explain) in [
        ("zh", "申请金额", "评价时限", "买家可修改评价", "商家发布解释"),
        (
            "en",
            "Amount claimed",
            "Review deadlines",
            "Buyer may revise the review",
            "Shop posts its explanation",
        ),
    ] {
        let client = crate::form_errors::browser_in(&desk, "agent-a", lang).await;
        let page = crate::support::html(&client, desk.app.url(&format!("/tickets/{id}")))
            .await
            .1;
        assert!(!page.contains(amount), "{lang}: no amount on a bad review");
        assert!(
            page.contains(title) && page.contains(revise) && page.contains(explain),
            "{lang}: both clocks"
        );
        assert!(page.contains("★★☆☆☆"), "{lang}");
        if lang == "zh" {
            assert!(!page.contains("<dt>实付</dt>"), "no money of the order either");
        }
    }
    let refund = desk.open("refund", "quality").await;
    let client = desk.browser("agent-a").await;
    let page = crate::support::html(&client, desk.app.url(&format!("/tickets/{}", refund["id"])))
        .await
        .1;
    assert!(page.contains("申请金额") && page.contains("<dt>实付</dt>") && page.contains("平台时限"));
    assert!(!page.contains('★') && !page.contains("买家可修改评价"));
}

#[tokio::test]
async fn the_new_ticket_form_shows_the_chosen_kinds_fields_and_reasons() {
    let desk = desk().await;
    let client = desk.browser("agent-a").await;
    let url = format!("/tickets/new?shop={}&order_no=O-1&kind=bad_review", desk.shop);
    let page = crate::support::html(&client, desk.app.url(&url)).await.1;
    let field_of = |page: &str, control: &str| {
        let at = page.find(&format!("id=\"{control}\"")).expect("control");
        let start = page[..at].rfind("<div class=\"field").expect("its field");
        page[start..start + page[start..].find('>').expect("tag end")].to_string()
    };
    assert!(
        field_of(&page, "refund_yuan").contains(" hidden"),
        "no amount on a bad review"
    );
    assert!(field_of(&page, "intact").contains(" hidden"));
    for control in ["review_rating", "review_text", "reviewed_at"] {
        assert!(!field_of(&page, control).contains(" hidden"), "{control} shown");
    }
    assert!(page.contains("<option value=\"no_reason\" hidden disabled>"));
    assert!(
        page.contains("<option value=\"service_attitude\" >") || page.contains("<option value=\"service_attitude\">")
    );
    assert!(
        page.contains("<option value=\"quality\" selected>"),
        "the kind's first reason"
    );
    let page = crate::support::html(
        &client,
        desk.app.url(&format!("/tickets/new?shop={}&order_no=O-1", desk.shop)),
    )
    .await
    .1;
    assert!(
        !field_of(&page, "refund_yuan").contains(" hidden"),
        "a return asks for the amount"
    );
    assert!(field_of(&page, "review_rating").contains(" hidden"));

    // Without JavaScript the hidden fields are posted too: the server ignores them.
    let shop = desk.shop.to_string();
    let posted = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "bad_review"),
            ("reason", "slow_delivery"),
            ("refund_yuan", "128.00"),
            ("intact", "yes"),
            ("review_rating", "2"),
            ("review_text", "一周才到"),
            ("reviewed_at", "2026-06-14T20:30"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let location = posted.headers()["location"].to_str().expect("location").to_string();
    let id = location.trim_start_matches("/tickets/");
    let ticket = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert!(!has_key(&ticket.body, "refund_fen"));
    assert_eq!(
        ticket.body["reviewed_at"], "2026-06-14T20:30:00+08:00",
        "typed in the shop's time"
    );
    // A reason that does not fit is said next to the reasons, with what was typed kept.
    let refused = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "bad_review"),
            ("reason", "shipping_fee"),
            ("review_rating", "1"),
            ("review_text", "运费太贵"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("text");
    let message = crate::form_errors::field_error(&page, "reason-error");
    assert!(message.contains("service_attitude"), "{message}");
    assert!(page.contains("运费太贵</textarea>"));
}
