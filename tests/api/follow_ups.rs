//! The follow-up sweep and the supervisor queue (SPEC rule 2, DOMAIN.md §2).

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, desk};
use aftersales::follow_ups::sweep;

async fn open_hours_ago(desk: &Desk, hours: i64) -> i64 {
    let answer = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": "一直没人回复",
                    "opened_at": (desk.app.now() - Duration::hours(hours)).to_rfc3339() }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_i64().expect("id")
}

async fn escalations(desk: &Desk, id: i64) -> Vec<Value> {
    let ticket = desk
        .app
        .get(&format!("/api/v1/tickets/{id}"), &desk.supervisor_token)
        .await;
    ticket.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .cloned()
        .collect()
}

async fn overdue_ids(desk: &Desk) -> Vec<i64> {
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups?state=overdue", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.body);
    queue.body["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

#[tokio::test]
async fn a_ticket_opened_25_hours_ago_is_overdue_and_escalated_once_even_with_two_servers_sweeping() {
    let desk = desk().await;
    let id = open_hours_ago(&desk, 25).await;
    let fresh = open_hours_ago(&desk, 1).await;
    assert_eq!(overdue_ids(&desk).await, vec![id]);

    // A second server: its own pool (its own connections) on the same database.
    let other_server = aftersales::db::pool(desk.app.db_options.clone(), 4)
        .await
        .expect("second pool");
    let now = desk.app.now();
    let (a, b) = tokio::join!(sweep(&desk.app.pool, now), sweep(&other_server, now));
    let (a, b) = (a.expect("sweep a"), b.expect("sweep b"));
    assert_eq!(
        a.escalations + b.escalations,
        1,
        "one missed cycle, one escalation: {a:?} {b:?}"
    );
    // Sweeping again, from either server, adds nothing for the same cycle.
    for pool in [&desk.app.pool, &other_server] {
        assert_eq!(sweep(pool, desk.app.now()).await.expect("sweep").escalations, 0);
    }
    let events = escalations(&desk, id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"], Value::Null, "recorded by the system");
    assert!(escalations(&desk, fresh).await.is_empty());

    // Someone follows up: the due time moves to now + 24h and the ticket leaves the queue.
    let before = desk.app.now();
    let followed = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "phone", "summary": "已回电" }),
        )
        .await;
    assert_eq!(followed.status, StatusCode::CREATED);
    let due =
        chrono::DateTime::parse_from_rfc3339(followed.body["follow_up_due_at"].as_str().expect("due")).expect("time");
    let expected = before + Duration::hours(24);
    assert!(
        (due.with_timezone(&Utc) - expected).num_seconds().abs() < 5,
        "due {due} ≈ now + 24h"
    );
    assert_eq!(followed.body["overdue"], false);
    assert!(overdue_ids(&desk).await.is_empty());
    assert_eq!(
        sweep(&desk.app.pool, desk.app.now()).await.expect("sweep").escalations,
        0
    );
}

#[tokio::test]
async fn each_missed_cycle_is_escalated_once() {
    let desk = desk().await;
    let id = open_hours_ago(&desk, 73).await;
    let report = sweep(&desk.app.pool, desk.app.now()).await.expect("sweep");
    assert_eq!(report.escalations, 3, "due at 24h, 48h and 72h: three cycles missed");
    let events = escalations(&desk, id).await;
    let mut cycles: Vec<&str> = events
        .iter()
        .filter_map(|e| e["data"]["cycle_due_at"].as_str())
        .collect();
    cycles.dedup();
    assert_eq!(cycles.len(), 3);
    // A day later one more cycle is missed.
    let report = sweep(&desk.app.pool, desk.app.now() + Duration::hours(24))
        .await
        .expect("sweep");
    assert_eq!(report.escalations, 1);
}

#[tokio::test]
async fn closed_rejected_and_resolved_tickets_leave_the_cycle() {
    let desk = desk().await;
    let id = open_hours_ago(&desk, 30).await;
    let ticket = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    let mut version = ticket.body["version"].as_i64().expect("version");
    for to in ["investigating", "resolution_proposed", "resolved"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
    }
    assert!(overdue_ids(&desk).await.is_empty());
    assert_eq!(
        sweep(&desk.app.pool, desk.app.now()).await.expect("sweep").escalations,
        0
    );
}

#[tokio::test]
async fn the_follow_up_queue_is_for_supervisors_and_counts_per_agent() {
    let desk = desk().await;
    let id = open_hours_ago(&desk, 26).await;
    open_hours_ago(&desk, 22).await;
    let agent_view = desk
        .app
        .get(&format!("/api/v1/shops/{}/follow-ups", desk.shop), &desk.agent_token)
        .await;
    assert_eq!(agent_view.status, StatusCode::FORBIDDEN);
    let soon = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups?state=due_soon&hours=4", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    assert_eq!(soon.body["tickets"].as_array().map(Vec::len), Some(1));
    let bad = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups?state=later", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    let agents = queue.body["agents"].as_array().expect("agents");
    let agent = agents
        .iter()
        .find(|a| a["agent"] == desk.agent.0)
        .expect("the agent is listed");
    assert_eq!(
        (
            agent["open"].as_i64(),
            agent["overdue"].as_i64(),
            agent["due_soon"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    sweep(&desk.app.pool, desk.app.now()).await.expect("sweep");
    desk.app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "迟到的回复" }),
        )
        .await;
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    let agent = queue.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"] == desk.agent.0)
        .cloned()
        .expect("agent");
    assert_eq!(agent["missed_7d"], 1, "the missed cycle counts against the agent");
    assert_eq!(agent["in_time_7d"], 0, "a late follow-up is not in time");
    // A follow-up in time counts for today and the week, kept in the daily figures as it happens.
    let fresh = open_hours_ago(&desk, 2).await;
    desk.app
        .post(
            &format!("/api/v1/tickets/{fresh}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "phone", "summary": "及时回复" }),
        )
        .await;
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    let agent = queue.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"] == desk.agent.0)
        .cloned()
        .expect("agent");
    assert_eq!(
        (
            agent["in_time_today"].as_i64(),
            agent["in_time_7d"].as_i64(),
            agent["missed_7d"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let (in_time, missed): (i64, i64) =
        sqlx::query_as("SELECT sum(in_time)::bigint, sum(missed)::bigint FROM follow_up_daily")
            .fetch_one(&desk.app.pool)
            .await
            .expect("daily");
    assert_eq!((in_time, missed), (1, 1), "the daily figures match the timeline");
}

#[tokio::test]
async fn a_supervisor_reassigns_and_escalates_overdue_tickets_in_bulk_from_the_page() {
    let desk = desk().await;
    let first = open_hours_ago(&desk, 30).await;
    let second = open_hours_ago(&desk, 28).await;
    let client = crate::support::browser(&desk.app, "super-a").await;
    let page = client
        .get(desk.app.url("/follow-ups"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains(&format!("value=\"{first}\"")) && page.contains(&format!("value=\"{second}\"")));
    assert!(page.contains("agent-load") && page.contains("跟进监控"));
    let supervisor = desk.supervisor.0.to_string();
    let (first_s, second_s) = (first.to_string(), second.to_string());
    let moved = client
        .post(desk.app.url("/follow-ups/reassign"))
        .form(&[
            ("ticket", first_s.as_str()),
            ("ticket", second_s.as_str()),
            ("assignee", supervisor.as_str()),
            ("back", "/follow-ups"),
        ])
        .send()
        .await
        .expect("reassign");
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert!(
        moved.headers()["location"]
            .to_str()
            .expect("location")
            .contains("done=reassigned&n=2&skipped=0")
    );
    for id in [first, second] {
        let ticket = desk
            .app
            .get(&format!("/api/v1/tickets/{id}"), &desk.supervisor_token)
            .await;
        assert_eq!(ticket.body["assignee"], desk.supervisor.0);
    }
    let escalated = client
        .post(desk.app.url("/follow-ups/escalate"))
        .form(&[("ticket", first_s.as_str()), ("back", "/follow-ups")])
        .send()
        .await
        .expect("escalate");
    assert_eq!(escalated.status(), StatusCode::SEE_OTHER);
    let ticket = desk
        .app
        .get(&format!("/api/v1/tickets/{first}"), &desk.supervisor_token)
        .await;
    assert_eq!(ticket.body["status"], "escalated");
    assert_eq!(ticket.body["held_from"], "open");

    let agent = crate::support::browser(&desk.app, "agent-a").await;
    let denied = agent.get(desk.app.url("/follow-ups")).send().await.expect("page");
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}
