//! The return visit of a closed ticket: *not satisfied* opens a linked follow-up ticket (same
//! order and buyer, reason "not satisfied with the outcome", assigned to the original agent)
//! with the answer, and both tickets show the link; the visit form gives one hint that fits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, desk, html};

/// A refund worked to closed by the agent; its id.
async fn closed_refund(desk: &Desk) -> i64 {
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let mut version = 1;
    for to in ["approved", "refunded", "closed"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{to}: {:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
    }
    id
}

async fn ticket_count(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count")
}

fn last_event<'a>(ticket: &'a Value, kind: &str) -> &'a Value {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .rev()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event"))
}

#[tokio::test]
async fn not_satisfied_on_a_closed_ticket_opens_a_linked_follow_up_ticket() {
    let desk = desk().await;
    let id = closed_refund(&desk).await;
    let before = ticket_count(&desk).await;
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": false, "comment": "退款金额不对，少退了运费" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["ticket"]["status"], "closed", "the old ticket stays closed");
    assert_eq!(answer.body["visit"]["reopened"], false);
    let follow_up = &answer.body["follow_up_ticket"];
    let new_id = follow_up["id"].as_i64().expect("a follow-up ticket");
    assert_eq!(answer.body["visit"]["follow_up_ticket_id"], json!(new_id));
    assert_eq!(ticket_count(&desk).await, before + 1);
    assert_eq!(follow_up["kind"], "complaint");
    assert_eq!(follow_up["status"], "open");
    assert_eq!(follow_up["reason"], "outcome_unsatisfied");
    assert_eq!(follow_up["order_no"], "O-1");
    assert_eq!(follow_up["buyer"], answer.body["ticket"]["buyer"]);
    assert_eq!(
        follow_up["assignee"],
        json!(desk.agent.0),
        "the original agent works it"
    );
    assert_eq!(follow_up["description"], "退款金额不对，少退了运费");
    assert_eq!(follow_up["follow_up_of"], json!(id));
    assert!(follow_up["follow_up_due_at"].is_string(), "in the follow-up cycle");

    // The old ticket's timeline names the new one; the new one's names where it came from.
    let old = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(
        last_event(&old.body, "return_visit")["data"]["follow_up_ticket"],
        json!(new_id)
    );
    let new = desk
        .app
        .get(&format!("/api/v1/tickets/{new_id}"), &desk.agent_token)
        .await;
    assert_eq!(last_event(&new.body, "created")["data"]["follow_up_of"], json!(id));
    assert_eq!(new.body["follow_up_of"], json!(id));
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/tickets?assignee=me", desk.shop),
            &desk.agent_token,
        )
        .await;
    assert!(
        queue.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|t| t["id"] == json!(new_id)),
        "in the agent's queue: {:?}",
        queue.body
    );

    let client = desk.browser("agent-a").await;
    let old_page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(
        old_page.contains(&format!("href=\"/tickets/{new_id}\"")),
        "the old ticket links the new one"
    );
    assert!(
        old_page.contains(&format!("已新开关联工单 #{new_id}")),
        "and its timeline says so"
    );
    let new_page = html(&client, desk.app.url(&format!("/tickets/{new_id}"))).await.1;
    assert!(new_page.contains("id=\"follow-up-of\"") && new_page.contains(&format!("href=\"/tickets/{id}\"")));
    assert!(new_page.contains("对处理结果不满意"));
}

#[tokio::test]
async fn the_page_answer_opens_the_follow_up_too_and_satisfied_opens_none() {
    let desk = desk().await;
    let id = closed_refund(&desk).await;
    let before = ticket_count(&desk).await;
    let satisfied = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": true }),
        )
        .await;
    assert_eq!(satisfied.status, StatusCode::CREATED);
    assert!(satisfied.body.get("follow_up_ticket").is_none());
    assert_eq!(satisfied.body["visit"]["follow_up_ticket_id"], Value::Null);
    assert_eq!(ticket_count(&desk).await, before, "no ticket opened");

    let client = desk.browser("agent-a").await;
    let posted = client
        .post(desk.app.url(&format!("/tickets/{id}/return-visits")))
        .form(&[("satisfied", "no"), ("comment", "还是不满意")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(ticket_count(&desk).await, before + 1);
    let (new_id,): (i64,) = sqlx::query_as("SELECT id FROM tickets WHERE follow_up_of = $1")
        .bind(id)
        .fetch_one(&desk.app.pool)
        .await
        .expect("the follow-up");
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains(&format!("href=\"/tickets/{new_id}\"")));
}

#[tokio::test]
async fn not_satisfied_on_a_done_ticket_reopens_it_and_opens_nothing() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    desk.transition(id, "refunded", approved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    let before = ticket_count(&desk).await;
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.agent_token,
            json!({ "satisfied": false, "comment": "退款还没到账" }),
        )
        .await;
    assert_eq!(answer.body["visit"]["reopened"], true);
    assert!(answer.body.get("follow_up_ticket").is_none());
    assert_eq!(ticket_count(&desk).await, before);
}

#[tokio::test]
async fn the_visit_form_gives_the_one_hint_that_fits_the_ticket() {
    let desk = desk().await;
    let done = desk.open("refund", "quality").await;
    let done_id = done["id"].as_i64().expect("id");
    let approved = desk.transition(done_id, "approved", 1, json!({})).await;
    desk.transition(
        done_id,
        "refunded",
        approved.body["version"].as_i64().expect("v"),
        json!({}),
    )
    .await;
    let closed_id = closed_refund(&desk).await;
    let client = desk.browser("agent-a").await;
    let hint = |page: &str| {
        let at = page.find("id=\"visit-hint\"").expect("one hint");
        assert_eq!(page.matches("id=\"visit-hint\"").count(), 1);
        let start = at + page[at..].find('>').expect("tag end") + 1;
        page[start..start + page[start..].find("</div>").expect("end")].to_string()
    };
    let done_page = html(&client, desk.app.url(&format!("/tickets/{done_id}"))).await.1;
    assert_eq!(hint(&done_page), "选“不满意”会重新打开本工单继续处理。");
    let closed_page = html(&client, desk.app.url(&format!("/tickets/{closed_id}"))).await.1;
    let closed_hint = hint(&closed_page);
    assert!(closed_hint.contains("新开一张关联的投诉工单"), "{closed_hint}");
    assert!(!closed_page.contains("只记录结果"), "no hint says the opposite");
    let visits = html(&desk.browser("super-a").await, desk.app.url("/visits")).await.1;
    assert!(visits.contains("已关闭的工单新开一张关联的投诉工单"));
}
