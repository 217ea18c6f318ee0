//! Escalation as a hand-over: the ticket goes to a supervisor (the least loaded, or the one
//! escalating), who is told in the desk; it keeps showing where the workflow stands; handing it
//! back needs a note and returns it to whoever escalated it, who is told; both are audited.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html};
use aftersales::auth::Role;

#[tokio::test]
async fn an_escalation_hands_the_ticket_to_the_least_loaded_supervisor_who_is_told_and_it_comes_back_with_a_note() {
    let desk = desk().await;
    // A second supervisor who already holds a ticket: the first (none open) gets the escalation.
    let (busy, busy_token) = desk.app.user("super-b", Role::Supervisor, &[desk.shop]).await;
    let held = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &busy_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": "x", "assignee": busy.0 }),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);

    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let escalated = desk
        .transition(
            id,
            "escalated",
            approved.body["version"].as_i64().expect("v"),
            json!({ "note": "买家要求赔偿运费，需主管定" }),
        )
        .await;
    assert_eq!(escalated.status, StatusCode::OK, "{:?}", escalated.body);
    assert_eq!(
        escalated.body["assignee"], desk.supervisor.0,
        "the least loaded supervisor"
    );
    assert_eq!(escalated.body["held_from"], "approved");

    // The supervisor is told, in the desk; the page shows where the workflow stands.
    let supervisor = browser(&desk.app, "super-a").await;
    let badge = html(&supervisor, desk.app.url("/notifications/badge")).await.1;
    assert!(badge.contains("id=\"notice-count\">1<"), "{badge}");
    let notices = html(&supervisor, desk.app.url("/notifications")).await.1;
    assert!(
        notices.contains(&format!("agent-a 把工单 #{id} tb_buyer01 升级给了你")),
        "{notices}"
    );
    assert!(notices.contains("买家要求赔偿运费，需主管定"));
    let mine = html(&supervisor, desk.app.url("/?view=mine")).await.1;
    assert!(
        mine.contains(&format!("#{id}")) && mine.contains("已升级主管（原：已同意）"),
        "in the supervisor's queue"
    );
    let opened = supervisor
        .post(
            desk.app
                .url(&format!("/notifications/{}/{}", desk.shop, notice_id(&desk, id).await)),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()["location"], format!("/tickets/{id}"));
    let badge = html(&supervisor, desk.app.url("/notifications/badge")).await.1;
    assert!(!badge.contains("notice-count"), "read: {badge}");

    // Handing it back needs a note; it goes to whoever escalated it, who is told.
    let version = escalated.body["version"].as_i64().expect("v");
    let silent = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            &desk.supervisor_token,
            json!({ "to": "approved", "version": version }),
        )
        .await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(silent.body["error"]["details"]["field"], "note");
    let back = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            &desk.supervisor_token,
            json!({ "to": "approved", "version": version, "note": "同意补运费 10 元，请告知买家" }),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(back.body["assignee"], desk.agent.0);
    assert_eq!(back.body["status"], "approved");
    let agent = browser(&desk.app, "agent-a").await;
    let notices = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        notices.contains(&format!("super-a 把工单 #{id} tb_buyer01 交回给你")) && notices.contains("同意补运费 10 元")
    );

    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE subject = $1 ORDER BY id")
        .bind(format!("#{id}"))
        .fetch_all(&desk.app.pool)
        .await
        .expect("audit");
    assert_eq!(audit, ["ticket.escalated", "ticket.handed_back"]);
}

async fn notice_id(desk: &crate::support::Desk, ticket: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM notifications WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(ticket)
        .fetch_one(&desk.app.pool)
        .await
        .expect("notice")
}

#[tokio::test]
async fn a_supervisor_escalating_in_bulk_takes_the_tickets_and_is_not_told_of_their_own_act() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let supervisor = browser(&desk.app, "super-a").await;
    let done = supervisor
        .post(desk.app.url("/follow-ups/escalate"))
        .form(&[("ticket", id.to_string().as_str()), ("back", "/follow-ups")])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let after = desk
        .app
        .get(&format!("/api/v1/tickets/{id}"), &desk.supervisor_token)
        .await;
    assert_eq!(after.body["assignee"], desk.supervisor.0);
    assert_eq!(after.body["status"], "escalated");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);
}
