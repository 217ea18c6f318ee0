//! Linked and merged tickets of one order, tags, and saved queue views (issue 15): linking is
//! seen from both tickets; a merge closes the merged ticket with a pointer, keeps its timeline
//! whole, takes it out of the queues and the risk view and changes no report figure; merges
//! across orders or shops or into a closed ticket are refused with a clear error; tags filter
//! the queue and are put on many tickets at once; saved views are personal or shared.

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, desk, html, timeline_kinds};

/// Opens a ticket on `order` as the agent; its id.
async fn open_on(d: &Desk, order: &str, kind: &str, reason: &str) -> i64 {
    let answer = d
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", d.shop),
            &d.agent_token,
            json!({ "kind": kind, "order_no": order, "reason": reason, "description": "买家反馈", "refund_fen": 6400 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_i64().expect("id")
}

async fn ticket(d: &Desk, id: i64) -> Value {
    let answer = d.app.get(&format!("/api/v1/tickets/{id}"), &d.supervisor_token).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

async fn links_of(d: &Desk, id: i64) -> Value {
    let answer = d.app.get(&format!("/api/v1/tickets/{id}/links"), &d.agent_token).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

/// The `link` events of a ticket's timeline: (change, other ticket).
fn link_events(ticket: &Value) -> Vec<(String, i64)> {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "link")
        .map(|e| {
            (
                e["data"]["change"].as_str().expect("change").to_string(),
                e["data"]["ticket"].as_i64().expect("ticket"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_link_is_seen_from_both_tickets_with_an_event_on_each_and_unlinking_removes_it_from_both() {
    let d = desk().await;
    let a = open_on(&d, "O-1", "refund", "misorder").await;
    let b = open_on(&d, "O-1", "complaint", "other").await;

    let linked = d
        .app
        .post(
            &format!("/api/v1/tickets/{b}/links"),
            &d.agent_token,
            json!({ "ticket": a }),
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    assert_eq!(links_of(&d, a).await["linked"], json!([b]));
    assert_eq!(links_of(&d, b).await["linked"], json!([a]));
    assert_eq!(link_events(&ticket(&d, a).await), vec![("linked".to_string(), b)]);
    assert_eq!(link_events(&ticket(&d, b).await), vec![("linked".to_string(), a)]);

    // Linking again changes nothing.
    let again = d
        .app
        .post(
            &format!("/api/v1/tickets/{a}/links"),
            &d.agent_token,
            json!({ "ticket": b }),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(link_events(&ticket(&d, a).await).len(), 1);

    // Both pages show the other ticket.
    let client = d.browser("agent-a").await;
    for (here, other) in [(a, b), (b, a)] {
        let (status, page) = html(&client, d.app.url(&format!("/tickets/{here}"))).await;
        assert_eq!(status, StatusCode::OK);
        let card = page.split("id=\"linked-tickets\"").nth(1).expect("links card");
        assert!(card.contains(&format!("href=\"/tickets/{other}\"")), "{card}");
        assert!(page.contains(&format!("关联了工单 #{other}")), "the timeline says so");
    }

    // Unlinked from the page (a plain post comes back to the ticket).
    let response = client
        .post(d.app.url(&format!("/tickets/{a}/links/{b}/remove")))
        .form(&[("csrf", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(links_of(&d, a).await["linked"], json!([]));
    assert_eq!(links_of(&d, b).await["linked"], json!([]));
    assert_eq!(
        link_events(&ticket(&d, b).await),
        vec![("linked".to_string(), a), ("unlinked".to_string(), a)]
    );
}

#[tokio::test]
async fn a_ticket_of_another_order_is_refused_next_to_the_link_field() {
    let d = desk().await;
    let signed = (d.app.now() - chrono::Duration::days(2)).to_rfc3339();
    d.app.order(&d.agent_token, d.shop, "O-2", json!(signed), "none").await;
    let a = open_on(&d, "O-1", "refund", "misorder").await;
    let other = open_on(&d, "O-2", "refund", "misorder").await;

    let refused = d
        .app
        .post(
            &format!("/api/v1/tickets/{a}/links"),
            &d.agent_token,
            json!({ "ticket": other }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_code(), "other_order");
    assert_eq!(refused.body["error"]["details"]["field"], "link_to");

    let client = d.browser("agent-a").await;
    let response = client
        .post(d.app.url(&format!("/tickets/{a}/links")))
        .header("hx-request", "true")
        .form(&[("link_to", other.to_string())])
        .send()
        .await
        .expect("post");
    let page = response.text().await.expect("text");
    assert!(
        page.contains("id=\"link-to-error\">只能关联或合并同一店铺、同一订单的工单。"),
        "said next to the field"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"link-to-error\""));
    assert_eq!(links_of(&d, a).await["linked"], json!([]));
}

#[tokio::test]
async fn a_merge_closes_the_ticket_with_a_pointer_keeps_its_timeline_whole_and_changes_no_report_figure() {
    let d = desk().await;
    let (_, owner) = d.app.user("owner-a", Role::Owner, &[d.shop]).await;
    // The duplicate: a refund already refunded (so its money is in the reports) …
    let merged = open_on(&d, "O-1", "refund", "misorder").await;
    assert_eq!(
        d.transition(merged, "approved", 1, json!({})).await.status,
        StatusCode::OK
    );
    let refunded = d.transition(merged, "refunded", 2, json!({})).await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    // … and the ticket that carries on.
    let target = open_on(&d, "O-1", "complaint", "other").await;
    d.app
        .post(
            &format!("/api/v1/tickets/{merged}/notes"),
            &d.agent_token,
            json!({ "text": "同一买家重复投诉" }),
        )
        .await;

    // A day later both are overdue, and the risk view lists both.
    d.app.clock.set(d.app.now() + chrono::Duration::hours(25));
    let risk_ids = || async {
        let risk = d
            .app
            .get(&format!("/api/v1/shops/{}/risk", d.shop), &d.supervisor_token)
            .await;
        assert_eq!(risk.status, StatusCode::OK, "{:?}", risk.body);
        risk.body
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|e| e["ticket"]["id"].as_i64())
            .collect::<Vec<i64>>()
    };
    let risk = risk_ids().await;
    assert!(risk.contains(&merged) && risk.contains(&target), "{risk:?}");
    let visit_ids = || async {
        let visits = d
            .app
            .get(&format!("/api/v1/shops/{}/return-visits", d.shop), &d.supervisor_token)
            .await;
        assert_eq!(visits.status, StatusCode::OK, "{:?}", visits.body);
        visits
            .body
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|v| v["ticket_id"].as_i64())
            .collect::<Vec<i64>>()
    };
    assert_eq!(visit_ids().await, vec![merged], "the refund waits for its return visit");

    let report = |by: &'static str| {
        let owner = owner.clone();
        let app = &d.app;
        let shop = d.shop;
        async move {
            let answer = app
                .get(&format!("/api/v1/shops/{shop}/reports/returns?{by}"), &owner)
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            // The figures, without the instant they were read at.
            let mut body = answer.body;
            body.as_object_mut().expect("report").remove("computed_at");
            body
        }
    };
    let before_total = report("").await;
    let before_kind = report("by=kind").await;
    assert_eq!(before_total["summary"]["tickets"], 2, "{before_total}");
    assert_eq!(before_total["summary"]["tickets_refunded"], 1, "{before_total}");
    assert_eq!(before_total["summary"]["refund_fen"], 6400, "{before_total}");
    assert_eq!(
        before_total["summary"]["time_to_resolve"]["tickets"], 0,
        "{before_total}"
    );
    let timeline_before = ticket(&d, merged).await["timeline"].clone();
    let version = ticket(&d, merged).await["version"].as_i64().expect("version");

    let answer = d
        .app
        .post(
            &format!("/api/v1/tickets/{merged}/merge"),
            &d.supervisor_token,
            json!({ "into": target, "version": version, "note": "同一订单的重复工单" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["status"], "closed");
    assert_eq!(answer.body["merged_into"], target);

    // Nothing moved off the merged ticket's timeline: every event is still there, unchanged,
    // and the merge is one more.
    let after = ticket(&d, merged).await;
    let timeline_after = after["timeline"].as_array().expect("timeline");
    let before = timeline_before.as_array().expect("timeline");
    assert_eq!(timeline_after.len(), before.len() + 1);
    assert_eq!(&timeline_after[..before.len()], &before[..]);
    assert_eq!(link_events(&after), vec![("merged_into".to_string(), target)]);
    assert!(timeline_kinds(&after).contains(&"note".to_string()));
    let target_view = ticket(&d, target).await;
    assert_eq!(link_events(&target_view), vec![("merged_from".to_string(), merged)]);
    assert_eq!(target_view["status"], "open", "the target carries on");
    assert_eq!(links_of(&d, target).await["merged_from"], json!([merged]));

    // The reports count exactly what they counted before: the merge is not a closing, and
    // nothing of the merged ticket is counted again on the target.
    assert_eq!(report("").await, before_total);
    assert_eq!(report("by=kind").await, before_kind);

    // It left the risk view and the queues.
    let risk = risk_ids().await;
    assert!(!risk.contains(&merged) && risk.contains(&target), "{risk:?}");
    assert_eq!(
        visit_ids().await,
        Vec::<i64>::new(),
        "its case is asked about on the target"
    );
    let visit = d
        .app
        .post(
            &format!("/api/v1/tickets/{merged}/return-visits"),
            &d.agent_token,
            json!({ "satisfied": false, "comment": "还是不满意" }),
        )
        .await;
    assert_eq!(visit.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", visit.body);
    assert_eq!(visit.error_code(), "ticket_closed");
    let client = d.browser("agent-a").await;
    let (_, queue) = html(&client, d.app.url("/?view=mine")).await;
    assert!(
        !queue.contains(&format!("href=\"/tickets/{merged}?")),
        "not in the agent's queue"
    );
    assert!(queue.contains(&format!("href=\"/tickets/{target}?")));

    // Its page points at the other; a closed ticket offers no more merge.
    let (_, page) = html(&client, d.app.url(&format!("/tickets/{merged}"))).await;
    assert!(
        page.contains(&format!("本工单已合并到 <a href=\"/tickets/{target}\">#{target}</a>")),
        "the pointer"
    );
    let (_, page) = html(&client, d.app.url(&format!("/tickets/{target}"))).await;
    assert!(
        page.contains(&format!("把工单 #{merged} 合并到本工单")),
        "the target's timeline"
    );
}

#[tokio::test]
async fn merges_across_orders_or_shops_into_a_closed_ticket_by_an_agent_or_when_stale_are_refused() {
    let d = desk().await;
    let signed = (d.app.now() - chrono::Duration::days(2)).to_rfc3339();
    d.app.order(&d.agent_token, d.shop, "O-2", json!(signed), "none").await;
    let a = open_on(&d, "O-1", "refund", "misorder").await;
    let b = open_on(&d, "O-1", "complaint", "other").await;
    let elsewhere = open_on(&d, "O-2", "refund", "misorder").await;
    let merge = |who: String, id: i64, into: i64, version: Option<i64>| {
        let app = &d.app;
        async move {
            app.post(
                &format!("/api/v1/tickets/{id}/merge"),
                &who,
                json!({ "into": into, "version": version }),
            )
            .await
        }
    };
    let supervisor = d.supervisor_token.clone();

    let refused = merge(supervisor.clone(), a, elsewhere, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_code(), "other_order");
    assert_eq!(refused.body["error"]["details"]["field"], "merge_into");
    assert!(
        refused.error_message().contains("same order"),
        "{}",
        refused.error_message()
    );

    let refused = merge(supervisor.clone(), a, a, None).await;
    assert_eq!(refused.error_code(), "same_ticket");

    // Another shop's ticket: not found for whoever is not of that shop; refused as another
    // order for an admin of both.
    let shop_b = d.app.shop("shop-b").await;
    let (_, b_agent) = d.app.user("agent-b", Role::Agent, &[shop_b]).await;
    d.app.order(&b_agent, shop_b, "O-1", json!(signed), "none").await;
    let other_shop = d
        .app
        .post(
            &format!("/api/v1/shops/{shop_b}/tickets"),
            &b_agent,
            json!({ "kind": "refund", "order_no": "O-1", "reason": "misorder", "description": "x", "refund_fen": 100 }),
        )
        .await
        .body["id"]
        .as_i64()
        .expect("id");
    let refused = merge(supervisor.clone(), a, other_shop, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["details"]["field"], "merge_into");
    let (_, admin) = d.app.user("admin-ab", Role::Admin, &[d.shop, shop_b]).await;
    let refused = merge(admin, a, other_shop, None).await;
    assert_eq!(refused.error_code(), "other_order");

    // Agents do not merge.
    let refused = merge(d.agent_token.clone(), a, b, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A stale version is refused and changes nothing.
    let refused = merge(supervisor.clone(), a, b, Some(99)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    // Into a closed ticket: refused; and a merged ticket cannot be merged again.
    assert_eq!(merge(supervisor.clone(), b, a, None).await.status, StatusCode::OK);
    let refused = merge(supervisor.clone(), a, b, None).await;
    assert_eq!(refused.error_code(), "target_closed");
    assert!(
        refused.error_message().contains("closed"),
        "{}",
        refused.error_message()
    );
    let c = open_on(&d, "O-1", "logistics", "logistics_stuck").await;
    let refused = merge(supervisor.clone(), b, c, None).await;
    assert_eq!(refused.error_code(), "ticket_closed");
    assert_eq!(
        ticket(&d, a).await["status"],
        "requested",
        "nothing changed on the refused"
    );

    // On the page the refusal stands next to the field with the choice and the note kept.
    let client = d.browser("super-a").await;
    let response = client
        .post(d.app.url(&format!("/tickets/{c}/merge")))
        .form(&[("merge_into", b.to_string().as_str()), ("merge_note", "重复")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(
        page.contains("id=\"merge-into-error\">目标工单已关闭：只能合并到未关闭的工单。"),
        "next to the field"
    );
    assert!(page.contains("name=\"merge_note\" type=\"text\" maxlength=\"2000\" value=\"重复\""));
}

#[tokio::test]
async fn tags_are_named_by_supervisors_put_on_by_agents_filter_the_queue_and_go_on_in_bulk() {
    let d = desk().await;
    let a = open_on(&d, "O-1", "refund", "misorder").await;
    let b = open_on(&d, "O-1", "complaint", "other").await;
    let c = open_on(&d, "O-1", "logistics", "logistics_stuck").await;
    let tags = format!("/api/v1/shops/{}/tags", d.shop);

    let refused = d
        .app
        .post(&tags, &d.agent_token, json!({ "name": "破损", "colour": "red" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let damaged = d
        .app
        .post(&tags, &d.supervisor_token, json!({ "name": "破损", "colour": "red" }))
        .await;
    assert_eq!(damaged.status, StatusCode::CREATED, "{:?}", damaged.body);
    let damaged = damaged.body["id"].as_i64().expect("id");
    let vip = d
        .app
        .post(&tags, &d.supervisor_token, json!({ "name": "VIP", "colour": "purple" }))
        .await
        .body["id"]
        .as_i64()
        .expect("id");
    let taken = d
        .app
        .post(&tags, &d.supervisor_token, json!({ "name": "vip", "colour": "blue" }))
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(taken.body["error"]["details"]["field"], "name");

    // An agent puts a tag on one ticket; both ticket and queue show it.
    let tagged = d
        .app
        .post(
            &format!("/api/v1/tickets/{a}/tags"),
            &d.agent_token,
            json!({ "tag": damaged }),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{:?}", tagged.body);
    assert_eq!(tagged.body[0]["name"], "破损");

    // Bulk from the API: VIP on b and c.
    let bulk = d
        .app
        .post(
            &format!("/api/v1/shops/{}/tags/{vip}/bulk", d.shop),
            &d.agent_token,
            json!({ "tickets": [b, c], "action": "add" }),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{:?}", bulk.body);
    assert_eq!(bulk.body["changed"], 2);

    let client = d.browser("agent-a").await;
    let (_, queue) = html(&client, d.app.url(&format!("/?view=all&tag={vip}"))).await;
    assert!(!queue.contains(&format!("href=\"/tickets/{a}?")), "a carries no VIP");
    assert!(queue.contains(&format!("href=\"/tickets/{b}?")) && queue.contains(&format!("href=\"/tickets/{c}?")));
    assert!(queue.contains("<span class=\"tag tag-purple\">VIP</span>"));
    let (_, queue) = html(&client, d.app.url(&format!("/?view=all&tag={damaged}"))).await;
    assert!(queue.contains(&format!("href=\"/tickets/{a}?")));
    assert!(!queue.contains(&format!("href=\"/tickets/{b}?")));

    // Bulk from the queue's bar: 破损 on b and c, back to the queue.
    let back = format!("/?view=all&tag={damaged}");
    let response = client
        .post(d.app.url("/tags/bulk"))
        .form(&[
            ("back", back.as_str()),
            ("action", "add"),
            ("tag", &damaged.to_string()),
            ("ticket", &b.to_string()),
            ("ticket", &c.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], back.as_str());
    let (_, queue) = html(&client, d.app.url(&back)).await;
    for id in [a, b, c] {
        assert!(queue.contains(&format!("href=\"/tickets/{id}?")), "#{id} now tagged");
    }

    // Newest first, still filtered by the tag.
    let (_, newest) = html(&client, d.app.url(&format!("/?view=all&sort=newest&tag={damaged}"))).await;
    let at = |id: i64| newest.find(&format!("href=\"/tickets/{id}?")).expect("listed");
    assert!(at(c) < at(b) && at(b) < at(a), "newest first");
    assert!(newest.contains("<option value=\"newest\" selected>"));
    assert!(newest.contains("本页 3 条，最新创建在前"), "the pager says the order");

    // Nothing ticked: said next to the bar, the tag still chosen.
    let response = client
        .post(d.app.url("/tags/bulk"))
        .form(&[("back", back.as_str()), ("action", "remove"), ("tag", &vip.to_string())])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(
        page.contains("id=\"bulk-tags-error\" role=\"alert\">请先勾选工单。"),
        "next to the bar"
    );
    assert!(page.contains(&format!("<option value=\"{vip}\" selected>VIP</option>")));
    assert!(page.contains("<option value=\"remove\" selected>"));

    // Removing from the ticket page.
    let response = client
        .post(d.app.url(&format!("/tickets/{a}/tags/{damaged}/remove")))
        .form(&[("csrf", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let on_a = d.app.get(&format!("/api/v1/tickets/{a}/tags"), &d.agent_token).await;
    assert_eq!(on_a.body, json!([]));

    // Another shop's tag does not go on this shop's ticket.
    let shop_b = d.app.shop("shop-b").await;
    let (_, admin) = d.app.user("admin-b", Role::Admin, &[shop_b]).await;
    let foreign = d
        .app
        .post(
            &format!("/api/v1/shops/{shop_b}/tags"),
            &admin,
            json!({ "name": "外店", "colour": "grey" }),
        )
        .await
        .body["id"]
        .as_i64()
        .expect("id");
    let refused = d
        .app
        .post(
            &format!("/api/v1/tickets/{a}/tags"),
            &d.agent_token,
            json!({ "tag": foreign }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["details"]["field"], "tag");
}

#[tokio::test]
async fn the_tags_page_keeps_a_refused_name_next_to_its_field() {
    let d = desk().await;
    let client = d.browser("super-a").await;
    let (status, _) = html(&client, d.app.url("/settings/tags")).await;
    assert_eq!(status, StatusCode::OK);
    let response = client
        .post(d.app.url("/settings/tags"))
        .form(&[
            ("shop", d.shop.to_string().as_str()),
            ("name", "退货"),
            ("colour", "green"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let name = "超".repeat(31);
    let response = client
        .post(d.app.url("/settings/tags"))
        .form(&[
            ("shop", d.shop.to_string().as_str()),
            ("name", name.as_str()),
            ("colour", "blue"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(page.contains("id=\"new-tag-name-error\">标签名称最多 30 个字。"));
    assert!(page.contains(&format!("value=\"{name}\"")), "what was typed is kept");
    assert!(page.contains("<option value=\"blue\" selected>"));
    assert!(page.contains("<span class=\"tag tag-green\">退货</span>"));

    let agent = d.browser("agent-a").await;
    let (status, _) = html(&agent, d.app.url("/settings/tags")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn saved_views_are_personal_or_shared_with_the_shop_and_open_the_queue_with_their_filters() {
    let d = desk().await;
    d.app.user("agent-a2", Role::Agent, &[d.shop]).await;
    let agent = d.browser("agent-a").await;
    let supervisor = d.browser("super-a").await;
    let other = d.browser("agent-a2").await;
    let save = |client: &reqwest::Client, name: &str, query: &str, shared: bool| {
        let mut form = vec![("name", name.to_string()), ("query", query.to_string())];
        if shared {
            form.push(("shared", "on".to_string()));
        }
        let request = client.post(d.app.url("/views")).form(&form);
        async move { request.send().await.expect("post") }
    };

    let mine = save(&agent, "我的退款", "view=mine&kind=refund&after=x_1", false).await;
    assert_eq!(mine.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mine.headers()["location"],
        "/?view=mine&kind=refund",
        "the page is not kept"
    );
    // Agents do not share.
    assert_eq!(
        save(&agent, "全店", "view=all", true).await.status(),
        StatusCode::FORBIDDEN
    );
    let newest = save(&agent, "最新", "sort=newest&view=all&tag=", false).await;
    assert_eq!(
        newest.headers()["location"],
        "/?view=all&sort=newest",
        "the order is kept, empty filters are not"
    );
    let shared = save(&supervisor, "全店投诉", "view=all&kind=complaint", true).await;
    assert_eq!(shared.status(), StatusCode::SEE_OTHER);

    let (_, queue) = html(&agent, d.app.url("/?view=mine&kind=refund")).await;
    let nav = queue.split("id=\"saved-views\"").nth(1).expect("nav");
    assert!(
        nav.contains("href=\"/?view=mine&#38;kind=refund\" class=\"active\""),
        "{nav}"
    );
    assert!(nav.contains(">全店投诉 <span class=\"count\">共享</span>"));
    let (_, queue) = html(&other, d.app.url("/?view=mine")).await;
    assert!(
        queue.contains("全店投诉") && !queue.contains("我的退款"),
        "another sees only the shared"
    );

    // The same name twice is refused next to the name, what was typed kept.
    let again = save(&agent, "我的退款", "view=all", false).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = again.text().await.expect("text");
    assert!(page.contains("id=\"view-name-error\">你已有同名视图。"));
    assert!(page.contains("name=\"name\" type=\"text\" maxlength=\"40\" value=\"我的退款\""));

    // Rename and delete one's own; another's is not one's to change.
    let id: i64 = sqlx::query_scalar("SELECT id FROM saved_views WHERE name = '我的退款'")
        .fetch_one(&d.app.pool)
        .await
        .expect("view");
    let shared_id: i64 = sqlx::query_scalar("SELECT id FROM saved_views WHERE shared")
        .fetch_one(&d.app.pool)
        .await
        .expect("view");
    let opened = agent
        .get(d.app.url(&format!("/views/{shared_id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(opened.headers()["location"], "/?view=all&kind=complaint");
    let renamed = agent
        .post(d.app.url(&format!("/views/{id}/rename")))
        .form(&[("name", "退款")])
        .send()
        .await
        .expect("post");
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let refused = agent
        .post(d.app.url(&format!("/views/{shared_id}/rename")))
        .form(&[("name", "改名")])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let deleted = agent
        .post(d.app.url(&format!("/views/{id}/delete")))
        .form(&[("csrf", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM saved_views ORDER BY id")
        .fetch_all(&d.app.pool)
        .await
        .expect("views");
    assert_eq!(names, vec!["最新".to_string(), "全店投诉".to_string()]);
}
