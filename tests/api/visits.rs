//! Return visits after a ticket is done: satisfied or not (which reopens it), and satisfaction
//! in the owner's report.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html, timeline_kinds};
use aftersales::auth::Role;

#[tokio::test]
async fn a_done_ticket_gets_a_return_visit_and_not_satisfied_reopens_it() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let early = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": true }),
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.error_code(), "no_return_visit");
    let mut version = 1;
    for to in ["investigating", "resolution_proposed", "resolved"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
    }
    let waiting = desk
        .app
        .get(&format!("/api/v1/shops/{}/return-visits", desk.shop), &desk.agent_token)
        .await;
    assert_eq!(waiting.body.as_array().map(Vec::len), Some(1), "{:?}", waiting.body);
    assert_eq!(waiting.body[0]["ticket_id"], json!(id));

    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": false, "comment": "商品还是有异味", "version": version }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["visit"]["reopened"], true);
    assert_eq!(answer.body["ticket"]["status"], "investigating");
    assert!(
        answer.body["ticket"]["follow_up_due_at"].is_string(),
        "back in the follow-up cycle"
    );
    let full = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    let kinds = timeline_kinds(&full.body);
    assert!(
        kinds.ends_with(&["return_visit".to_string(), "status_changed".to_string()]),
        "{kinds:?}"
    );

    // Worked again, resolved again: a new visit; this time the buyer is satisfied.
    let mut version = full.body["version"].as_i64().expect("version");
    for to in ["resolution_proposed", "resolved"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        version = moved.body["version"].as_i64().expect("version");
    }
    let client = browser(&desk.app, "agent-a").await;
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains("id=\"return-visit\"") && page.contains("买家不满意"));
    let posted = client
        .post(desk.app.url(&format!("/tickets/{id}/return-visits")))
        .header("HX-Request", "true")
        .form(&[
            ("satisfied", "yes"),
            ("comment", "问题已解决"),
            ("version", &version.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::OK);
    assert!(posted.text().await.expect("text").contains("回访结果已记录"));

    // An hour later the supervisor reads the figures of the last 30 days.
    desk.app.clock.set(desk.app.now() + chrono::Duration::hours(1));
    let report = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/reports/satisfaction", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["answered"], 2);
    assert_eq!(report.body["satisfied"], 1);
    assert_eq!(report.body["satisfaction_permille"], 500);
    assert_eq!(report.body["waiting"], 0);
    let agent_report = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/reports/satisfaction", desk.shop),
            &desk.agent_token,
        )
        .await;
    assert_eq!(agent_report.status, StatusCode::FORBIDDEN);
    let visits_page = html(&desk.browser("super-a").await, desk.app.url("/visits")).await.1;
    assert!(visits_page.contains("近30天满意度") && visits_page.contains("50.0%"));
}

#[tokio::test]
async fn a_refund_reopens_to_approved_and_a_closed_ticket_stays_closed() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let moved = desk.transition(id, "approved", 1, json!({})).await;
    let moved = desk
        .transition(id, "refunded", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    let closed = desk
        .transition(id, "closed", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(closed.body["status"], "closed");
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": false, "comment": "退款太慢" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["visit"]["reopened"], false);
    assert_eq!(answer.body["ticket"]["status"], "closed", "closed stays closed");
    assert!(
        answer.body["follow_up_ticket"]["id"].is_i64(),
        "the grievance goes on in a follow-up ticket (tests/api/visit_followup.rs)"
    );

    let other = desk.open("refund", "quality").await;
    let oid = other["id"].as_i64().expect("id");
    let moved = desk.transition(oid, "approved", 1, json!({})).await;
    desk.transition(oid, "refunded", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{oid}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": false }),
        )
        .await;
    assert_eq!(answer.body["ticket"]["status"], "approved");
}

#[tokio::test]
async fn satisfaction_from_return_visits_appears_in_the_owners_report() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let mut version = 1;
    for to in ["investigating", "resolution_proposed", "resolved"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        version = moved.body["version"].as_i64().expect("version");
    }
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": true, "version": version }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    desk.app.user("owner-s", Role::Owner, &[desk.shop]).await;
    let owner = crate::support::browser(&desk.app, "owner-s").await;
    let csv = owner
        .get(
            desk.app
                .url(&format!("/reports/export.csv?shop={}&table=summary", desk.shop)),
        )
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let line = csv
        .lines()
        .find(|l| l.contains("回访满意度"))
        .expect("a satisfaction line");
    assert!(
        line.contains(",%,100.0,1,1,"),
        "the unit, then the share as a plain number, satisfied and answered: {line}"
    );
    let page = owner
        .get(desk.app.url("/reports"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("回访满意度"));
}
