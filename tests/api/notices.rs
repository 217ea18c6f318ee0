//! Notices in the desk: a ticket given to you by someone else, and a buyer not satisfied at the
//! return visit of a ticket you hold. Taking a ticket yourself tells nobody.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html};

#[tokio::test]
async fn a_ticket_given_by_someone_else_and_a_dissatisfied_buyer_are_told_to_the_holder() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    // Taken by the agent who opened it: no notice.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM notifications WHERE user_id = $1")
            .bind(desk.agent)
            .fetch_one(&desk.app.pool)
            .await
            .expect("count")
    };
    assert_eq!(count().await, 0);
    desk.assign(id, json!(null)).await;
    let given = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/assignment"),
            &desk.supervisor_token,
            json!({ "assignee": desk.agent.0 }),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{:?}", given.body);
    assert_eq!(count().await, 1);
    let agent = browser(&desk.app, "agent-a").await;
    let page = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        page.contains(&format!("super-a 把工单 #{id} tb_buyer01 分配给了你")),
        "{page}"
    );

    // Refunded, then the supervisor records an unhappy buyer: the agent hears of it.
    let version = given.body["version"].as_i64().expect("v");
    let approved = desk.transition(id, "approved", version, json!({})).await;
    let refunded = desk
        .transition(id, "refunded", approved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    let visit = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/return-visits"),
            &desk.supervisor_token,
            json!({ "satisfied": false, "comment": "退款太慢了" }),
        )
        .await;
    assert_eq!(visit.status, StatusCode::CREATED, "{:?}", visit.body);
    assert_eq!(visit.body["visit"]["reopened"], true, "a done ticket is reopened");
    assert_eq!(count().await, 2);
    let page = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        page.contains("的买家在回访中表示不满意") && page.contains("退款太慢了"),
        "{page}"
    );
}

#[tokio::test]
async fn opening_a_ticket_on_an_order_with_an_open_one_warns_and_offers_it() {
    let desk = desk().await;
    let client = browser(&desk.app, "agent-a").await;
    let url = desk.app.url(&format!("/tickets/new?shop={}&order_no=O-1", desk.shop));
    let before = html(&client, url.clone()).await.1;
    assert!(!before.contains("id=\"open-on-order\""), "nothing open yet");
    let first = desk.open("return", "quality").await;
    let id = first["id"].as_i64().expect("id");
    let page = html(&client, url).await.1;
    assert!(
        page.contains("id=\"open-on-order\"") && page.contains("这个订单已有未结的工单"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/tickets/{id}#summary\"")),
        "offers to follow up there"
    );
    // Still allowed: it may be another matter.
    assert!(page.contains("id=\"new-ticket\""));
}

#[tokio::test]
async fn a_follow_up_due_within_the_hour_is_told_to_its_holder_once() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let now = desk.app.now();
    // Due 24 h after opening: nothing to say 2 h before, one notice 30 min before, not twice.
    let early = aftersales::notifications::remind_due(&desk.app.pool, now + chrono::Duration::hours(22))
        .await
        .expect("remind");
    assert_eq!(early, 0);
    let at = now + chrono::Duration::minutes(23 * 60 + 30);
    assert_eq!(
        aftersales::notifications::remind_due(&desk.app.pool, at)
            .await
            .expect("remind"),
        1
    );
    assert_eq!(
        aftersales::notifications::remind_due(&desk.app.pool, at)
            .await
            .expect("remind"),
        0,
        "once"
    );
    let agent = browser(&desk.app, "agent-a").await;
    let page = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        page.contains(&format!("工单 #{id} tb_buyer01 一小时内需要跟进")),
        "{page}"
    );
}

#[tokio::test]
async fn a_platform_clock_running_out_within_two_hours_is_told_to_the_holder() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let deadline = ticket["timers"][0]["deadline"].as_str().expect("a running clock");
    let deadline = chrono::DateTime::parse_from_rfc3339(deadline)
        .expect("instant")
        .to_utc();
    let at = deadline - chrono::Duration::minutes(90);
    assert_eq!(
        aftersales::notifications::remind_due(&desk.app.pool, at)
            .await
            .expect("remind"),
        1
    );
    let kind: String = sqlx::query_scalar("SELECT kind FROM notifications WHERE ticket_id = $1")
        .bind(id)
        .fetch_one(&desk.app.pool)
        .await
        .expect("notice");
    assert_eq!(kind, "timer_expiring");
}
