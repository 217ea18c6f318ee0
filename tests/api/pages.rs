//! The browser pages over HTTP: login, the queue, a ticket worked with and without htmx,
//! a new ticket from the form, the language switch.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{desk, html};
use aftersales::auth::Role;

#[tokio::test]
async fn pages_need_a_session_and_a_wrong_password_is_refused_in_chinese() {
    let desk = desk().await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = anonymous.get(desk.app.url("/tickets/1")).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login?next=/tickets/1");
    let (status, page) = html(&anonymous, desk.app.url("/login")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("登录"));
    let wrong = anonymous
        .post(desk.app.url("/login"))
        .form(&[("login", "agent-a"), ("password", "nope")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.expect("text").contains("账号或密码错误"));
}

#[tokio::test]
async fn the_queue_shows_my_open_tickets_by_follow_up_due_time_with_overdue_badges() {
    let desk = desk().await;
    let fresh = desk.open("complaint", "quality").await;
    let old = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "logistics", "order_no": "O-1", "reason": "logistics_stuck", "description": "物流停滞四天",
                    "opened_at": (desk.app.now() - chrono::Duration::hours(30)).to_rfc3339() }),
        )
        .await;
    assert_eq!(old.status, StatusCode::CREATED);
    let client = desk.browser("agent-a").await;
    let (status, page) = html(&client, desk.app.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    let old_at = page
        .find(&format!("/tickets/{}?from=", old.body["id"]))
        .expect("overdue ticket listed");
    let fresh_at = page
        .find(&format!("/tickets/{}?from=", fresh["id"]))
        .expect("fresh ticket listed");
    assert!(old_at < fresh_at, "the overdue ticket comes first");
    assert!(page.contains("class=\"overdue\"") && page.contains("badge-overdue") && page.contains("超时"));
    assert!(page.contains("物流") && page.contains("投诉") && page.contains("tb_buyer01"));
    let (_, filtered) = html(&client, desk.app.url("/?kind=complaint")).await;
    assert!(filtered.contains(&format!("/tickets/{}?from=", fresh["id"])));
    assert!(!filtered.contains(&format!("/tickets/{}?from=", old.body["id"])));
    let (_, searched) = html(&client, desk.app.url("/?q=NO-SUCH-ORDER")).await;
    assert!(searched.contains("没有符合条件"));
}

#[tokio::test]
async fn a_queue_row_shows_the_first_forty_characters_of_the_description_and_when_it_was_opened_in_the_shops_time() {
    let desk = desk().await;
    // Forty-one characters: the row shows forty and says there is more; forty fit whole.
    let long: String = "买家说包裹外箱破损严重里面的保温杯也摔坏了要求退货退款并补偿运费谢谢处理尽快回复吧".to_string();
    assert_eq!(long.chars().count(), 41);
    let whole: String = long.chars().take(40).collect();
    let opened_at = desk.app.now() - chrono::Duration::hours(3);
    for description in [&long, &whole] {
        let answer = desk
            .app
            .post(
                &format!("/api/v1/shops/{}/tickets", desk.shop),
                &desk.agent_token,
                json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality", "description": description,
                        "opened_at": opened_at.to_rfc3339() }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    let client = desk.browser("agent-a").await;
    let (status, page) = html(&client, desk.app.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("{whole}…")), "{page}");
    assert!(page.contains(&format!(">{whole}<")), "{page}");
    // The shop is on China Standard Time (UTC+8).
    let local = opened_at
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .format("%m-%d %H:%M")
        .to_string();
    assert_eq!(page.matches(&format!(">{local}</td>")).count(), 2, "{page}");
}

#[tokio::test]
async fn the_queue_pages_through_every_open_ticket_once_in_deadline_order() {
    let desk = desk().await;
    let mut opened = Vec::new();
    for n in 0..53 {
        let kind = if n % 2 == 0 { "complaint" } else { "refund" };
        opened.push(desk.open(kind, "quality").await["id"].as_i64().expect("id"));
    }
    let client = desk.browser("agent-a").await;
    let ids_in = |page: &str| -> Vec<i64> {
        page.match_indices("<a href=\"/tickets/")
            .filter_map(|(at, m)| {
                let rest = &page[at + m.len()..];
                rest[..rest.find(['"', '?'])?].parse().ok()
            })
            .collect()
    };
    let (_, first) = html(&client, desk.app.url("/")).await;
    let mut seen = ids_in(&first);
    seen.dedup();
    assert_eq!(seen.len(), 50, "a page holds 50");
    let href = first
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("after="))
        .expect("a link to the next page")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (status, second) = html(&client, desk.app.url(&href)).await;
    assert_eq!(status, StatusCode::OK);
    let mut rest = ids_in(&second);
    rest.dedup();
    assert_eq!(rest.len(), 3, "{href}");
    seen.extend(rest);
    let mut all = seen.clone();
    all.sort_unstable();
    opened.sort_unstable();
    assert_eq!(all, opened, "every open ticket once");
    // Opened one after another, their deadlines follow the same order.
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // The search goes through the orders and buyers.
    let (_, found) = html(&client, desk.app.url("/?q=tb_buyer")).await;
    assert_eq!(ids_in(&found).len(), 50);
}

#[tokio::test]
async fn a_person_of_two_shops_sees_the_open_tickets_of_both_in_one_queue() {
    let desk = desk().await;
    let second = desk.app.shop("second").await;
    let (_, token) = desk.app.user("agent-two", Role::Agent, &[desk.shop, second]).await;
    let answer = desk
        .app
        .order(&token, second, "O-2", json!(desk.app.now().to_rfc3339()), "none")
        .await;
    assert!(answer.status.is_success(), "{:?}", answer.body);
    let mut ids = Vec::new();
    for (shop, order) in [(desk.shop, "O-1"), (second, "O-2"), (desk.shop, "O-1")] {
        let created = desk
            .app
            .post(
                &format!("/api/v1/shops/{shop}/tickets"),
                &token,
                json!({ "kind": "complaint", "order_no": order, "reason": "quality", "description": "两家店" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        ids.push(created.body["id"].as_i64().expect("id"));
    }
    let client = crate::support::browser(&desk.app, "agent-two").await;
    let (status, page) = html(&client, desk.app.url("/?view=all")).await;
    assert_eq!(status, StatusCode::OK);
    let at: Vec<usize> = ids
        .iter()
        .map(|id| {
            page.find(&format!("/tickets/{id}?from="))
                .unwrap_or_else(|| panic!("#{id} listed"))
        })
        .collect();
    assert!(
        at[0] < at[1] && at[1] < at[2],
        "in deadline order across the shops: {at:?}"
    );
}

#[tokio::test]
async fn a_follow_up_posted_without_javascript_redirects_and_with_htmx_returns_the_fragment() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let client = desk.browser("agent-a").await;
    let plain = client
        .post(desk.app.url(&format!("/tickets/{id}/follow-ups")))
        .form(&[
            ("channel", "phone"),
            ("summary", "电话联系买家，确认退货地址"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert_eq!(plain.headers()["location"], format!("/tickets/{id}"));
    let htmx = client
        .post(desk.app.url(&format!("/tickets/{id}/notes")))
        .header("HX-Request", "true")
        .form(&[("text", "仓库确认库存充足"), ("version", "2")])
        .send()
        .await
        .expect("post");
    assert_eq!(htmx.status(), StatusCode::OK);
    let fragment = htmx.text().await.expect("text");
    assert!(
        fragment.starts_with("<div id=\"ticket-body\" "),
        "a fragment, not a page"
    );
    assert!(!fragment.contains("<html"));
    assert!(
        fragment.contains("电话联系买家") && fragment.contains("仓库确认库存充足") && fragment.contains("备注已保存")
    );
    let stale = client
        .post(desk.app.url(&format!("/tickets/{id}/transitions")))
        .header("HX-Request", "true")
        .form(&[("to", "approved"), ("version", "1")])
        .send()
        .await
        .expect("post");
    let text = stale.text().await.expect("text");
    assert!(
        text.contains("flash-error") && text.contains("刚被他人修改"),
        "stale version explained"
    );
}

#[tokio::test]
async fn the_ticket_page_offers_only_legal_moves_and_moves_without_javascript() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let client = desk.browser("agent-a").await;
    let (status, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    let offered: Vec<&str> = page
        .split("name=\"to\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(
        offered,
        vec!["approved", "rejected", "escalated", "platform_intervention"]
    );
    assert!(page.contains("处理记录") && page.contains("创建工单"));
    let moved = client
        .post(desk.app.url(&format!("/tickets/{id}/transitions")))
        .form(&[("to", "approved"), ("version", "1"), ("note", "同意退货")])
        .send()
        .await
        .expect("post");
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(page.contains("状态 待处理 → 已同意") && page.contains("同意退货"));
    let illegal = client
        .post(desk.app.url(&format!("/tickets/{id}/transitions")))
        .form(&[("to", "closed"), ("version", "2")])
        .send()
        .await
        .expect("post");
    assert_eq!(illegal.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Said at the top with the statuses' Chinese names: where the ticket is, where it cannot
    // go, and where it can (买家已退货 is `buyer_shipped`), not with their codes.
    let page = illegal.text().await.expect("text");
    let said = crate::form_errors::flash_error(&page);
    assert_eq!(
        said,
        "工单现在是“已同意”，不能改为“已关闭”；现在可以改为：买家已退货、已升级主管、平台介入。"
    );
}

#[tokio::test]
async fn a_new_ticket_is_opened_from_the_form_and_a_refusal_is_explained() {
    let desk = desk().await;
    desk.app
        .order(
            &desk.agent_token,
            desk.shop,
            "OLD-1",
            json!("2025-01-02T04:00:00Z"),
            "none",
        )
        .await;
    let client = desk.browser("agent-a").await;
    let (_, form) = html(
        &client,
        desk.app.url(&format!("/tickets/new?shop={}&order_no=O-1", desk.shop)),
    )
    .await;
    assert!(form.contains("纯棉T恤") && form.contains("name=\"kind\""));
    let shop = desk.shop.to_string();
    let created = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("sku", "SKU-1"),
            ("kind", "return"),
            ("reason", "no_reason"),
            ("refund_yuan", "64.00"),
            ("priority", "high"),
            ("description", "<script>alert(1)</script> 不想要了"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().expect("location").to_string();
    let (_, page) = html(&client, desk.app.url(&location)).await;
    assert!(page.contains("verdict-eligible"), "the seven-day verdict is shown");
    let at: Vec<&str> = page.lines().filter(|l| l.contains("alert(1)")).collect();
    assert!(
        page.contains("&#60;script&#62;alert(1)") && !page.contains("<script>alert(1)"),
        "text is escaped: {at:?}"
    );
    assert!(page.contains("¥64.00"));
    let refused = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "OLD-1"),
            ("kind", "return"),
            ("reason", "no_reason"),
            ("refund_yuan", "10"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.expect("text");
    assert!(
        text.contains("flash-error") && text.contains("2025-01-10"),
        "the window's end is shown"
    );
    let bad_amount = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "refund"),
            ("reason", "quality"),
            ("refund_yuan", "12.345"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(bad_amount.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_amount.text().await.expect("text").contains("12.345"));
}

#[tokio::test]
async fn the_language_switch_shows_the_english_ui() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let client = desk.browser("agent-a").await;
    let switched = client
        .get(desk.app.url(&format!("/lang/en?next=/tickets/{}", ticket["id"])))
        .send()
        .await
        .expect("switch");
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{}", ticket["id"]))).await;
    assert!(
        page.contains("lang=\"en\"")
            && page.contains("Timeline")
            && page.contains("Refund only")
            && page.contains("Approve")
    );
    let gaps: Vec<&str> = page.lines().filter(|l| l.contains("??")).collect();
    assert!(gaps.is_empty(), "no missing translations: {gaps:?}");
    let (_, queue) = html(&client, desk.app.url("/")).await;
    assert!(queue.contains("My queue") && queue.contains("Next deadline"));
}

#[tokio::test]
async fn another_shops_ticket_page_is_not_found_and_owners_get_no_forms() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let other = desk.app.shop("shop-b").await;
    desk.app.user("agent-b", Role::Agent, &[other]).await;
    desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    let outsider = desk.browser("agent-b").await;
    let (status, page) = html(&outsider, desk.app.url(&format!("/tickets/{}", ticket["id"]))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("<html") && page.contains("404"));
    let owner = desk.browser("owner-a").await;
    let (status, page) = html(&owner, desk.app.url(&format!("/tickets/{}", ticket["id"]))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("follow-up-form") && !page.contains("name=\"to\""));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let desk = desk().await;
    let client = desk.browser("agent-a").await;
    assert_eq!(html(&client, desk.app.url("/")).await.0, StatusCode::OK);
    let out = client.post(desk.app.url("/logout")).send().await.expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let again = client.get(desk.app.url("/")).send().await.expect("get");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_kind_is_driven_to_closing_through_the_ticket_page_forms() {
    let desk = desk().await;
    let client = desk.browser("agent-a").await;
    let paths: [(&str, &str, &[&str]); 5] = [
        ("refund", "quality", &["approved", "refunded", "closed"]),
        (
            "return",
            "quality",
            &["approved", "buyer_shipped", "received", "refunded", "closed"],
        ),
        (
            "exchange",
            "wrong_item",
            &["approved", "buyer_shipped", "received", "replacement_shipped", "closed"],
        ),
        (
            "complaint",
            "late_shipment",
            &["investigating", "resolution_proposed", "resolved", "closed"],
        ),
        (
            "logistics",
            "logistics_stuck",
            &["carrier_contacted", "resolved", "closed"],
        ),
    ];
    let shop = desk.shop.to_string();
    for (kind, reason, steps) in paths {
        let created = client
            .post(desk.app.url("/tickets"))
            .form(&[
                ("shop", shop.as_str()),
                ("order_no", "O-1"),
                ("kind", kind),
                ("reason", reason),
                ("refund_yuan", ""),
            ])
            .send()
            .await
            .expect("create");
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{kind}");
        let location = created.headers()["location"].to_str().expect("location").to_string();
        for (i, to) in steps.iter().enumerate() {
            let (_, page) = html(&client, desk.app.url(&location)).await;
            assert!(
                page.contains(&format!("name=\"to\" value=\"{to}\"")),
                "{kind}: the page offers {to}"
            );
            let version = (i + 1).to_string();
            let mut form = vec![("to", *to), ("version", version.as_str()), ("note", "页面操作")];
            if *to == "resolved" && kind == "logistics" {
                form.push(("resolution", "reshipped"));
            }
            if *to == "buyer_shipped" {
                form.extend([("carrier", "sf"), ("tracking_no", "SF1234567890123")]);
            }
            let moved = client
                .post(desk.app.url(&format!("{location}/transitions")))
                .form(&form)
                .send()
                .await
                .expect("move");
            assert_eq!(moved.status(), StatusCode::SEE_OTHER, "{kind} → {to}");
        }
        let (_, page) = html(&client, desk.app.url(&location)).await;
        assert!(page.contains("已关闭"), "{kind} is closed");
        assert_eq!(
            page.matches("ev-status_changed").count(),
            steps.len(),
            "{kind}: every step on the timeline"
        );
        assert!(!page.contains("name=\"to\""), "{kind}: nothing left to do");
    }
}
