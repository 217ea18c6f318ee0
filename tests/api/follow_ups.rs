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

/// The load of `who` (an agent's id, or `null` for the unassigned tickets) on the supervisor's
/// follow-up queue, if listed.
async fn load_of(desk: &Desk, who: Value) -> Option<Value> {
    let queue = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/follow-ups", desk.shop),
            &desk.supervisor_token,
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.body);
    queue.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"] == who)
        .cloned()
}

/// The figures `names` of an agent's load (as [`load_of`] gives it), in that order.
fn figures<const N: usize>(load: &Value, names: [&str; N]) -> [Option<i64>; N] {
    names.map(|name| load[name].as_i64())
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
    let agent = &load_of(&desk, json!(desk.agent.0)).await.expect("the agent is listed");
    assert_eq!(
        figures(agent, ["open", "overdue", "due_soon"]),
        [Some(2), Some(1), Some(1)]
    );
    sweep(&desk.app.pool, desk.app.now()).await.expect("sweep");
    desk.app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "迟到的回复" }),
        )
        .await;
    let agent = load_of(&desk, json!(desk.agent.0)).await.expect("agent");
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
    let agent = load_of(&desk, json!(desk.agent.0)).await.expect("agent");
    assert_eq!(
        figures(&agent, ["in_time_today", "in_time_7d", "missed_7d"]),
        [Some(1), Some(1), Some(1)]
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

/// Opens a ticket as the agent with `body`'s fields on top of a complaint on O-1.
async fn open_with(desk: &Desk, extra: Value) -> Value {
    let mut body = json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": "买家反馈" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let answer = desk
        .app
        .post(&format!("/api/v1/shops/{}/tickets", desk.shop), &desk.agent_token, body)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

#[tokio::test]
async fn the_risk_view_puts_an_auto_refund_in_two_hours_above_a_follow_up_thirty_hours_overdue() {
    let desk = desk().await;
    let t0 = desk.app.now();
    // A complaint opened 8 hours before t0: its follow-up falls due at t0 + 16 h.
    desk.app.clock.set(t0 - Duration::hours(8));
    let complaint = open_with(&desk, json!({})).await["id"].as_i64().expect("id");
    // At t0 a refund is asked on an order not shipped: the seller has 48 h to answer, or the
    // platform refunds by itself.
    desk.app.clock.set(t0);
    let order = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/U-1", desk.shop),
            &desk.agent_token,
            json!({ "buyer": "tb_buyer02", "paid_at": (t0 - Duration::hours(3)).to_rfc3339(),
                    "lines": [{ "sku": "SKU-9", "title": "保温杯", "category": "家居", "quantity": 1, "unit_price_fen": 9900 }] }),
        )
        .await;
    assert!(order.status.is_success(), "{:?}", order.body);
    let refund = open_with(
        &desk,
        json!({ "kind": "refund", "order_no": "U-1", "reason": "out_of_stock", "refund_fen": 9900 }),
    )
    .await["id"]
        .as_i64()
        .expect("id");
    desk.app.clock.set(t0 + Duration::hours(46));

    let risk = desk
        .app
        .get(&format!("/api/v1/shops/{}/risk", desk.shop), &desk.supervisor_token)
        .await;
    assert_eq!(risk.status, StatusCode::OK, "{:?}", risk.body);
    let entries = risk.body.as_array().expect("list");
    let at = |id: i64| entries.iter().position(|e| e["ticket"]["id"] == id).expect("listed");
    assert!(at(refund) < at(complaint), "{entries:?}");
    let first = &entries[at(refund)];
    assert_eq!(first["exposure"], "platform_timer");
    assert_eq!(first["timer"], "seller_answer_unshipped");
    assert_eq!(first["tier"], 0);
    assert_eq!(first["then"], "退款自动达成");
    let late = &entries[at(complaint)];
    assert_eq!(late["exposure"], "follow_up_overdue");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(late["deadline"].as_str().expect("deadline")).expect("instant"),
        t0 + Duration::hours(16),
        "30 hours overdue"
    );

    // The page shows the same order, saying what happens at the deadline, in the reader's language.
    let client = crate::support::browser(&desk.app, "super-a").await;
    let page = crate::support::html(&client, desk.app.url("/follow-ups")).await.1;
    let (a, b) = (
        page.find(&format!("value=\"{refund}\"")).expect("refund row"),
        page.find(&format!("value=\"{complaint}\"")).expect("complaint row"),
    );
    assert!(a < b, "money first");
    assert!(page.contains("风险优先") && page.contains("到期后：退款自动达成") && page.contains("跟进已超时"));
}

#[tokio::test]
async fn unassigned_tickets_go_to_the_agent_with_the_fewest_open_tickets() {
    let desk = desk().await;
    let (agent_b, _) = desk
        .app
        .user("agent-b", aftersales::auth::Role::Agent, &[desk.shop])
        .await;
    // agent-a holds two open tickets; agent-b none.
    open_with(&desk, json!({})).await;
    open_with(&desk, json!({})).await;
    let mut unassigned = Vec::new();
    for _ in 0..3 {
        let ticket = open_with(&desk, json!({})).await;
        let id = ticket["id"].as_i64().expect("id");
        desk.assign(id, json!(null)).await;
        unassigned.push(id);
    }
    let one = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/hand-out", desk.shop),
            &desk.supervisor_token,
            json!({ "tickets": [unassigned[0]] }),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(
        one.body["given"],
        json!([{ "ticket": unassigned[0], "agent": "agent-b" }])
    );
    let ticket = desk
        .app
        .get(&format!("/api/v1/tickets/{}", unassigned[0]), &desk.supervisor_token)
        .await;
    assert_eq!(ticket.body["assignee"], agent_b.0);

    // The rest from the page's call to action: b (1) then a tie at 2 each, the lower id first.
    let client = crate::support::browser(&desk.app, "super-a").await;
    let page = crate::support::html(&client, desk.app.url("/follow-ups")).await.1;
    assert!(
        page.contains("id=\"unassigned-call\"") && page.contains("有 2 个工单无人处理"),
        "the call to action"
    );
    let posted = client
        .post(desk.app.url("/follow-ups/hand-out"))
        .form(&[("all", "1"), ("back", "/follow-ups?state=overdue")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert!(
        posted.headers()["location"]
            .to_str()
            .expect("location")
            .ends_with("done=handed_out&n=2&skipped=0"),
        "{:?}",
        posted.headers()["location"]
    );
    let second = desk
        .app
        .get(&format!("/api/v1/tickets/{}", unassigned[1]), &desk.supervisor_token)
        .await;
    let third = desk
        .app
        .get(&format!("/api/v1/tickets/{}", unassigned[2]), &desk.supervisor_token)
        .await;
    assert_eq!(second.body["assignee"], agent_b.0, "b had 1, a had 2");
    assert_eq!(third.body["assignee"], desk.agent.0, "2 each: the lower id");
    let again = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/hand-out", desk.shop),
            &desk.supervisor_token,
            json!({ "tickets": [unassigned[1]] }),
        )
        .await;
    assert_eq!(again.body["skipped"], 1, "someone holds it: not taken from them");
}

#[tokio::test]
async fn two_bulk_actions_in_a_row_both_work_and_a_missing_target_is_said_next_to_it() {
    let desk = desk().await;
    let first = open_hours_ago(&desk, 30).await.to_string();
    let second = open_hours_ago(&desk, 28).await.to_string();
    let client = crate::support::browser(&desk.app, "super-a").await;
    let supervisor = desk.supervisor.0.to_string();
    let mut back = "/follow-ups?state=overdue".to_string();
    for (ticket, done) in [(&first, "reassigned"), (&second, "reassigned")] {
        let moved = client
            .post(desk.app.url("/follow-ups/reassign"))
            .form(&[
                ("ticket", ticket.as_str()),
                ("assignee", supervisor.as_str()),
                ("back", back.as_str()),
            ])
            .send()
            .await
            .expect("reassign");
        assert_eq!(moved.status(), StatusCode::SEE_OTHER);
        let location = moved.headers()["location"].to_str().expect("location").to_string();
        assert_eq!(location.matches("done=").count(), 1, "{location}");
        assert!(location.contains(&format!("done={done}&n=1&skipped=0")), "{location}");
        // The page the browser lands on posts its own address (without the result) as `back`.
        let page = crate::support::html(&client, desk.app.url(&location)).await.1;
        assert!(page.contains("已转派 1 个工单"), "the result is shown");
        assert!(
            page.contains("name=\"back\" value=\"/follow-ups?state=overdue\""),
            "no result in back"
        );
        back = location;
    }
    // Nothing chosen as the target: said next to the picker, in the reader's language, the
    // ticked boxes' page kept.
    let refused = client
        .post(desk.app.url("/follow-ups/reassign"))
        .form(&[
            ("ticket", first.as_str()),
            ("assignee", ""),
            ("back", "/follow-ups?state=overdue"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("text");
    assert!(
        page.contains("id=\"bulk-error\"") && page.contains("请选择把选中的工单转派给谁"),
        "{page}"
    );
    let nothing = client
        .post(desk.app.url("/follow-ups/escalate"))
        .form(&[("back", "/follow-ups")])
        .send()
        .await
        .expect("post");
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.text().await.expect("text").contains("id=\"bulk-error\""));
    let page = crate::support::html(&client, desk.app.url("/follow-ups?state=overdue"))
        .await
        .1;
    assert!(page.contains("data-select-all") && page.contains("选择转派给谁…"));
    // Both tickets went to super-a: agent-a, with none open, is the least loaded and labelled so.
    assert!(page.contains("agent-a · 在办 0（最空闲）"), "{page}");
    assert!(page.contains("super-a · 在办 2<"), "{page}");
}

/// Opens a complaint on O-1 of `shop`, `hours` ago, as `token`.
async fn open_in(desk: &Desk, shop: aftersales::ids::ShopId, token: &str, hours: i64) -> i64 {
    let answer = desk
        .app
        .post(
            &format!("/api/v1/shops/{shop}/tickets"),
            token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": "一直没人回复",
                    "opened_at": (desk.app.now() - Duration::hours(hours)).to_rfc3339() }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_supervisor_of_two_shops_sees_the_soonest_of_both_first_up_to_the_limit() {
    let desk = desk().await;
    let other = desk.app.shop("shop-b").await;
    let (_, agent_b) = desk.app.user("agent-b", aftersales::auth::Role::Agent, &[other]).await;
    let signed = (desk.app.now() - Duration::days(3)).to_rfc3339();
    let answer = desk.app.order(&agent_b, other, "O-1", json!(signed), "none").await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let a30 = open_in(&desk, desk.shop, &desk.agent_token, 30).await;
    let b26 = open_in(&desk, other, &agent_b, 26).await;
    let a50 = open_in(&desk, desk.shop, &desk.agent_token, 50).await;
    let b40 = open_in(&desk, other, &agent_b, 40).await;
    let shops = [desk.shop, other];
    let overdue = |limit| {
        let (pool, now) = (desk.app.pool.clone(), desk.app.now());
        async move {
            let mut conn = pool.acquire().await.expect("connection");
            let found =
                aftersales::tickets::repo::follow_up_window(&mut conn, &shops, None, now, None, false, limit).await?;
            aftersales::tickets::repo::whole(&mut conn, &found).await
        }
    };
    let ids = |tickets: Vec<aftersales::tickets::Ticket>| tickets.iter().map(|t| t.id.0).collect::<Vec<_>>();
    assert_eq!(ids(overdue(10).await.expect("listed")), vec![a50, b40, a30, b26]);
    assert_eq!(
        ids(overdue(3).await.expect("listed")),
        vec![a50, b40, a30],
        "the soonest of both shops, not each shop's"
    );
}

#[tokio::test]
async fn the_supervisor_lists_come_fifty_to_a_page_most_pressing_first_with_the_next_page_linked() {
    let desk = desk().await;
    // 53 overdue tickets, the longest overdue opened first.
    let mut ids = Vec::new();
    for hours in (0..53).map(|i| 100 - i) {
        ids.push(open_hours_ago(&desk, hours).await);
    }
    let client = crate::support::browser(&desk.app, "super-a").await;
    let rows = |page: &str| {
        page.match_indices("<tr class=\"overdue")
            .map(|(at, _)| {
                let rest = &page[at..];
                let from = rest.find("data-ticket=\"").expect("row's ticket") + 13;
                rest[from..from + rest[from..].find('"').expect("end")]
                    .parse::<i64>()
                    .expect("id")
            })
            .collect::<Vec<_>>()
    };
    for view in ["overdue", "risk"] {
        let (status, first) = crate::support::html(&client, desk.app.url(&format!("/follow-ups?state={view}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            rows(&first),
            ids[..50],
            "{view}: the fifty most overdue, most overdue first"
        );
        assert!(
            first.contains("50 张以上") && first.contains("第 1–50 张"),
            "{view}: {first}"
        );
        let next = format!("/follow-ups?state={view}&#38;page=2");
        assert!(
            first.contains(&format!("href=\"{next}\" rel=\"next\"")),
            "{view}: {first}"
        );
        assert!(!first.contains("rel=\"prev\""), "{view}");

        let (status, second) =
            crate::support::html(&client, desk.app.url(&format!("/follow-ups?state={view}&page=2"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rows(&second), ids[50..], "{view}: the rest");
        assert!(
            second.contains("（53）") && second.contains("第 51–53 张"),
            "{view}: {second}"
        );
        assert!(
            second.contains(&format!("href=\"/follow-ups?state={view}\" rel=\"prev\"")),
            "{view}: {second}"
        );
        assert!(!second.contains("rel=\"next\""), "{view}");
    }
    // A page past the end is an empty list, not an error.
    let (status, past) = crate::support::html(&client, desk.app.url("/follow-ups?state=overdue&page=9")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rows(&past).is_empty());
}

/// The open tickets of `shop` per assignee, kind and status as kept on write (base and changes)
/// and as counted from the tickets: they must be the same.
async fn assert_open_counts_kept(pool: &sqlx::PgPool, shop: aftersales::ids::ShopId, when: &str) {
    let kept: Vec<(Option<i64>, String, String, i64)> = sqlx::query_as(
        "SELECT NULLIF(assignee_key, 0), kind, status, sum(n)::bigint
         FROM (SELECT assignee_key, kind, status, open AS n FROM open_loads WHERE shop_id = $1
               UNION ALL SELECT assignee_key, kind, status, change FROM open_load_changes WHERE shop_id = $1) c
         GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1 NULLS FIRST, 2, 3",
    )
    .bind(shop)
    .fetch_all(pool)
    .await
    .expect("kept");
    let counted: Vec<(Option<i64>, String, String, i64)> = sqlx::query_as(
        "SELECT assignee_id, kind, status, count(*) FROM tickets WHERE shop_id = $1 AND closed_at IS NULL
         GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2, 3",
    )
    .bind(shop)
    .fetch_all(pool)
    .await
    .expect("counted");
    assert_eq!(kept, counted, "{when}: the open counts kept on write are the tickets'");
}

#[tokio::test]
async fn the_open_counts_kept_on_write_follow_tickets_opened_handed_on_closed_and_merged_and_survive_folding() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    let ids: Vec<i64> = [open_hours_ago(&desk, 1).await, open_hours_ago(&desk, 2).await]
        .into_iter()
        .chain([desk.open("refund", "misorder").await["id"].as_i64().expect("id")])
        .collect();
    assert_open_counts_kept(pool, desk.shop, "opened").await;
    desk.assign(ids[0], json!(desk.supervisor.0)).await;
    desk.assign(ids[1], Value::Null).await;
    desk.assign(ids[2], json!(desk.agent.0)).await;
    assert_open_counts_kept(pool, desk.shop, "handed on").await;

    let folded = aftersales::tickets::repo::fold_open_loads(pool).await.expect("fold");
    assert!(folded > 0, "the changes are folded into the base");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM open_load_changes")
        .fetch_one(pool)
        .await
        .expect("changes");
    assert_eq!(left, 0);
    assert_open_counts_kept(pool, desk.shop, "folded").await;

    let version_of = |id: i64| async move {
        sqlx::query_scalar::<_, i64>("SELECT version::bigint FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("version")
    };
    let approved = desk
        .transition(ids[2], "approved", version_of(ids[2]).await, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_open_counts_kept(pool, desk.shop, "moved to another status").await;
    let version = approved.body["version"].as_i64().expect("version");
    let refunded = desk.transition(ids[2], "refunded", version, json!({})).await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    let version = refunded.body["version"].as_i64().expect("version");
    let closed = desk.transition(ids[2], "closed", version, json!({})).await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    assert_open_counts_kept(pool, desk.shop, "closed").await;
    // Folded, the counts of the statuses the closed ticket passed through come to nothing, and
    // are not kept.
    let kept_before: i64 = sqlx::query_scalar("SELECT count(*) FROM open_loads")
        .fetch_one(pool)
        .await
        .expect("base");
    aftersales::tickets::repo::fold_open_loads(pool).await.expect("fold");
    assert_open_counts_kept(pool, desk.shop, "closed and folded").await;
    let (kept_after, empty): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE open = 0) FROM open_loads")
            .fetch_one(pool)
            .await
            .expect("base");
    assert_eq!(empty, 0, "folded counts of nothing are dropped");
    assert!(kept_after < kept_before, "{kept_after} rows kept of {kept_before}");

    let version = version_of(ids[1]).await;
    let merged = desk
        .app
        .post(
            &format!("/api/v1/tickets/{}/merge", ids[1]),
            &desk.supervisor_token,
            json!({ "into": ids[0], "version": version, "note": "重复工单" }),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_open_counts_kept(pool, desk.shop, "merged").await;

    // What the supervisor's queue shows is the same.
    let open_of = |who: Value| async { load_of(&desk, who).await.map(|a| a["open"].as_i64()) };
    assert_eq!(open_of(json!(desk.supervisor.0)).await, Some(Some(1)));
    assert_eq!(open_of(json!(desk.agent.0)).await, Some(Some(0)));
    assert_eq!(open_of(Value::Null).await, None, "no unassigned ticket is open");

    // Tickets written many to a statement (the demo shop's loader) are counted too.
    aftersales::demo::load(pool).await.expect("demo loads");
    let demo: aftersales::ids::ShopId = sqlx::query_scalar("SELECT id FROM shops WHERE code = 'demo'")
        .fetch_one(pool)
        .await
        .expect("demo shop");
    assert_open_counts_kept(pool, demo, "the demo loaded").await;
    aftersales::tickets::repo::fold_open_loads(pool).await.expect("fold");
    assert_open_counts_kept(pool, demo, "the demo folded").await;
    assert_open_counts_kept(pool, desk.shop, "the demo folded").await;
}

#[tokio::test]
async fn the_supervisor_lists_filtered_by_agent_or_unassigned_show_only_those_tickets_on_each_view() {
    let desk = desk().await;
    let (agent_b, _) = desk
        .app
        .user("agent-b", aftersales::auth::Role::Agent, &[desk.shop])
        .await;
    // Overdue tickets, longest overdue first: agent-a's, agent-b's and nobody's, interleaved.
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut nobody = Vec::new();
    for (i, hours) in (30..39).rev().enumerate() {
        let id = open_hours_ago(&desk, hours).await;
        match i % 3 {
            0 => a.push(id),
            1 => {
                desk.assign(id, json!(agent_b.0)).await;
                b.push(id);
            }
            _ => {
                desk.assign(id, json!(null)).await;
                nobody.push(id);
            }
        }
    }
    let client = crate::support::browser(&desk.app, "super-a").await;
    let rows = |page: &str| {
        page.match_indices("data-ticket=\"")
            .map(|(at, _)| {
                let rest = &page[at + 13..];
                rest[..rest.find('"').expect("end")].parse::<i64>().expect("id")
            })
            .fold(Vec::new(), |mut seen, id| {
                if !seen.contains(&id) {
                    seen.push(id);
                }
                seen
            })
    };
    for view in ["risk", "overdue"] {
        for (agent, expected) in [
            (desk.agent.0.to_string(), &a),
            (agent_b.0.to_string(), &b),
            ("none".to_string(), &nobody),
        ] {
            let (status, page) = crate::support::html(
                &client,
                desk.app.url(&format!("/follow-ups?state={view}&agent={agent}")),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(&rows(&page), expected, "{view}, agent {agent}");
        }
        let (_, all) = crate::support::html(&client, desk.app.url(&format!("/follow-ups?state={view}"))).await;
        let mut everyone: Vec<i64> = a.iter().chain(&b).chain(&nobody).copied().collect();
        everyone.sort_unstable();
        assert_eq!(rows(&all), everyone, "{view}: all of them, longest overdue first");
    }
}

/// The supervisor's queues read through the connections that keep each statement's first plan
/// (`db::planned`), on the page and in the API: after a few views every statement prepared there
/// runs on its generic plan and none was planned for its values, the per-agent counts among them,
/// and the desk's own pool prepared none of the queues' reads; what they show is still right (the
/// agent's open, overdue and due-soon counts on the page and in the API; the overdue list).
#[tokio::test]
async fn the_supervisors_queues_read_on_plans_made_once_on_the_page_and_in_the_api() {
    let desk = desk().await;
    let overdue = open_hours_ago(&desk, 30).await;
    let soon = open_hours_ago(&desk, 22).await;
    let client = crate::support::browser(&desk.app, "super-a").await;
    let agent_link = format!("agent={}", desk.agent.0);
    // PostgreSQL plans a statement for its values at its first five runs unless told otherwise.
    for path in ["/follow-ups", "/follow-ups?state=overdue", "/follow-ups?state=due_soon"].repeat(3) {
        let page = client.get(desk.app.url(path)).send().await.expect("page");
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let text = page.text().await.expect("text");
        let row: String = text
            .split("<tr>")
            .find(|row| row.contains(&agent_link))
            .expect("the agent's line")
            .split_whitespace()
            .collect();
        assert!(
            row.contains("<tdclass=\"num\">2</td>")
                && row.contains("badge-overdue\">1</span>")
                && row.contains("badge-due-soon\">1</span>"),
            "{path}: {row}"
        );
        if path == "/follow-ups?state=overdue" {
            let listed = |id: i64| text.contains(&format!("href=\"/tickets/{id}\""));
            assert!(listed(overdue) && !listed(soon), "{text}");
        }
    }
    let agent = load_of(&desk, json!(desk.agent.0)).await.expect("the agent is listed");
    assert_eq!(
        figures(&agent, ["open", "overdue", "due_soon"]),
        [Some(2), Some(1), Some(1)]
    );
    let risk = desk
        .app
        .get(&format!("/api/v1/shops/{}/risk", desk.shop), &desk.supervisor_token)
        .await;
    assert_eq!(risk.status, StatusCode::OK, "{:?}", risk.body);
    let planned = prepared_on(desk.app.state.planned_once.pool()).await;
    let counts = planned
        .iter()
        .find(|(sql, _, _)| sql.contains("open_counts"))
        .expect("the per-agent counts were read on these connections");
    // On Citus they plan for the values after all: only a plan for a shop finds its node.
    if desk.app.state.planned_once.distributed() {
        // (Each read of a shop's rows; not the catalogue reads, which have no shop to find.)
        for (sql, generic, custom) in planned.iter().filter(|(sql, _, _)| sql.contains("shop_id")) {
            assert_eq!(*generic, 0, "on Citus, planned for its values: {sql}");
            assert!(*custom >= 1, "{sql}");
        }
    } else {
        assert!(counts.1 >= 1, "{counts:?}");
        for (sql, generic, custom) in &planned {
            assert_eq!(*custom, 0, "planned for its values: {sql}");
            assert!(*generic >= 1, "{sql}");
        }
    }
    let own = prepared_on(&desk.app.pool).await;
    for queue_read in [
        "open_counts",
        "ORDER BY x.follow_up_due_at",
        "LEAST(x.timer_due_at, x.platform_deadline_at), x.id",
    ] {
        assert!(
            planned.iter().any(|(sql, _, _)| sql.contains(queue_read)),
            "read on the connections that keep their plans: {queue_read}"
        );
        assert!(
            !own.iter().any(|(sql, _, _)| sql.contains(queue_read)),
            "read on the desk's own pool: {queue_read}"
        );
    }
}

/// What is prepared on every connection `pool` has open (the statement, its generic plans, its
/// custom plans), each held until all are read: the last one used goes back to the pool a moment
/// after its request was answered.
async fn prepared_on(pool: &sqlx::PgPool) -> Vec<(String, i64, i64)> {
    assert!(pool.size() > 0, "the pool has opened connections");
    let mut held = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while held.len() < pool.size() as usize && std::time::Instant::now() < deadline {
        match pool.try_acquire() {
            Some(conn) => held.push(conn),
            None => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    let mut statements = Vec::new();
    for conn in &mut held {
        let prepared: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE from_sql = false",
        )
        .fetch_all(&mut **conn)
        .await
        .expect("prepared statements");
        statements.extend(prepared);
    }
    statements
}
