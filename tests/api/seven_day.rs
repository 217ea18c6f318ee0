//! The seven-day no-reason rule through the API (DOMAIN.md §1, worked cases).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, desk};

async fn order(desk: &Desk, order_no: &str, signed_at: Value, exclusion: &str) {
    let answer = desk
        .app
        .order(&desk.agent_token, desk.shop, order_no, signed_at, exclusion)
        .await;
    assert!(answer.status.is_success(), "{:?}", answer.body);
}

async fn request(desk: &Desk, token: &str, order_no: &str, opened_at: &str, extra: Value) -> crate::support::Answer {
    let mut body = json!({ "kind": "return", "order_no": order_no, "reason": "no_reason", "opened_at": opened_at });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    desk.app
        .post(&format!("/api/v1/shops/{}/tickets", desk.shop), token, body)
        .await
}

async fn ticket_count(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_request_on_the_last_second_of_the_window_is_eligible() {
    let desk = desk().await;
    // Signed 2025-03-10 15:20 Shanghai; request 2025-03-17 23:59:59 Shanghai.
    order(&desk, "S-1", json!("2025-03-10T07:20:00Z"), "none").await;
    let answer = request(&desk, &desk.agent_token, "S-1", "2025-03-17T15:59:59Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let seven = &answer.body["seven_day"];
    assert_eq!(seven["verdict"], "eligible");
    assert_eq!(seven["window_start"], "2025-03-11T00:00:00+08:00");
    assert_eq!(seven["window_end"], "2025-03-18T00:00:00+08:00");
    assert!(
        seven["explanation"].as_str().is_some_and(|e| e.contains("2025-03-18")),
        "{seven}"
    );
    // Judged as of opened_at, so an imported ticket from 2025 is already overdue today.
    assert_eq!(answer.body["opened_at"], "2025-03-17T23:59:59+08:00");
    assert_eq!(answer.body["overdue"], true);
}

#[tokio::test]
async fn a_request_one_second_after_the_window_is_refused_and_nothing_is_stored() {
    let desk = desk().await;
    order(&desk, "S-1", json!("2025-03-10T07:20:00Z"), "none").await;
    let answer = request(&desk, &desk.agent_token, "S-1", "2025-03-17T16:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_code(), "outside_return_window");
    assert!(!answer.error_message().is_empty());
    assert_eq!(
        answer.body["error"]["details"]["seven_day"]["verdict"],
        "outside_return_window"
    );
    assert_eq!(ticket_count(&desk).await, 0);
    // A quality problem is not bound by the seven days.
    let quality = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "return", "order_no": "S-1", "reason": "quality", "opened_at": "2025-04-30T16:00:00Z" }),
        )
        .await;
    assert_eq!(quality.status, StatusCode::CREATED);
    assert_eq!(quality.body["seven_day"], Value::Null);
}

#[tokio::test]
async fn a_utc_sign_time_late_in_the_day_counts_from_the_local_date() {
    let desk = desk().await;
    // 2025-03-10T17:30Z is 03-11 01:30 in Shanghai: the window ends 03-19 00:00.
    order(&desk, "S-2", json!("2025-03-10T17:30:00Z"), "none").await;
    let answer = request(&desk, &desk.agent_token, "S-2", "2025-03-18T12:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["seven_day"]["window_end"], "2025-03-19T00:00:00+08:00");
}

#[tokio::test]
async fn only_the_holiday_extension_admits_it_so_it_opens_for_review() {
    let desk = desk().await;
    // Signed 2025-09-24: the last day, 10-01, is National Day; the statutory end moves past the holiday.
    order(&desk, "S-3", json!("2025-09-24T04:00:00Z"), "none").await;
    let answer = request(&desk, &desk.agent_token, "S-3", "2025-10-05T04:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["seven_day"]["verdict"], "review");
    assert_eq!(answer.body["seven_day"]["window_end"], "2025-10-02T00:00:00+08:00");
    assert_eq!(
        answer.body["seven_day"]["statutory_window_end"],
        "2025-10-10T00:00:00+08:00"
    );
}

#[tokio::test]
async fn excluded_goods_are_refused_but_a_sellers_label_is_not_an_exclusion() {
    let desk = desk().await;
    order(&desk, "S-4", json!("2025-06-01T04:00:00Z"), "perishable").await;
    let answer = request(&desk, &desk.agent_token, "S-4", "2025-06-02T04:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_code(), "excluded_category");
    order(&desk, "S-5", json!("2025-06-01T04:00:00Z"), "none").await;
    let answer = request(&desk, &desk.agent_token, "S-5", "2025-06-03T04:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body["seven_day"]["verdict"], "eligible");
}

#[tokio::test]
async fn goods_declared_not_intact_are_refused() {
    let desk = desk().await;
    order(&desk, "S-6", json!("2025-06-01T04:00:00Z"), "none").await;
    let answer = request(
        &desk,
        &desk.agent_token,
        "S-6",
        "2025-06-02T04:00:00Z",
        json!({ "intact": false }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_code(), "not_intact");
}

#[tokio::test]
async fn without_a_sign_time_the_ticket_waits_for_evidence() {
    let desk = desk().await;
    order(&desk, "S-7", Value::Null, "none").await;
    let answer = request(&desk, &desk.agent_token, "S-7", "2025-06-02T04:00:00Z", json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["seven_day"]["verdict"], "awaiting_sign_evidence");
    assert_eq!(answer.body["seven_day"]["window_start"], Value::Null);
}

#[tokio::test]
async fn a_supervisor_may_override_a_refusal_with_a_justification_on_the_timeline() {
    let desk = desk().await;
    order(&desk, "S-8", json!("2025-03-10T07:20:00Z"), "none").await;
    let why = json!({ "override_justification": "买家住院，物流记录证明签收后无法操作" });
    let agent = request(&desk, &desk.agent_token, "S-8", "2025-03-20T04:00:00Z", why.clone()).await;
    assert_eq!(agent.status, StatusCode::FORBIDDEN);
    let supervisor = request(&desk, &desk.supervisor_token, "S-8", "2025-03-20T04:00:00Z", why).await;
    assert_eq!(supervisor.status, StatusCode::CREATED, "{:?}", supervisor.body);
    assert_eq!(supervisor.body["seven_day"]["verdict"], "outside_return_window");
    let id = supervisor.body["id"].as_i64().expect("id");
    let full = desk
        .app
        .get(&format!("/api/v1/tickets/{id}"), &desk.supervisor_token)
        .await;
    let timeline = full.body["timeline"].as_array().expect("timeline");
    let decision = timeline
        .iter()
        .find(|e| e["kind"] == "rule_decision")
        .expect("rule decision recorded");
    assert_eq!(decision["data"]["decision"]["verdict"], "outside_return_window");
    let over = timeline
        .iter()
        .find(|e| e["kind"] == "override")
        .expect("override recorded");
    assert_eq!(over["actor"], "super-a");
    assert!(
        over["data"]["justification"]
            .as_str()
            .is_some_and(|j| j.contains("住院"))
    );
    let kinds: Vec<&str> = timeline.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["created", "rule_decision", "override"], "in their order");
    // The override is in the audit log too, written with the ticket.
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM audit_log WHERE action = 'ticket.rule_overridden'")
            .fetch_all(&desk.app.pool)
            .await
            .expect("audit log");
    assert_eq!(audited, [id.to_string()]);
}
