//! The canned-reply library: the default per shop, who may change it, the reply recorded on
//! the follow-up, and the picker and shortcuts on the ticket page.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html, timeline_kinds};
use aftersales::auth::Role;

#[tokio::test]
async fn a_shop_starts_with_a_default_library_filled_from_the_ticket() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let library = desk
        .app
        .get(&format!("/api/v1/shops/{}/replies", desk.shop), &desk.agent_token)
        .await;
    assert_eq!(library.status, StatusCode::OK);
    let situations: std::collections::HashSet<&str> = library
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["situation"].as_str())
        .collect();
    assert_eq!(
        situations.len(),
        6,
        "every situation has a default reply: {situations:?}"
    );
    let again = desk
        .app
        .get(&format!("/api/v1/shops/{}/replies", desk.shop), &desk.agent_token)
        .await;
    assert_eq!(
        again.body.as_array().map(Vec::len),
        library.body.as_array().map(Vec::len),
        "seeded once"
    );

    let offered = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies?q=退款已完成"), &desk.agent_token)
        .await;
    assert_eq!(offered.status, StatusCode::OK, "{:?}", offered.body);
    assert_eq!(offered.body, json!([]), "not offered on a request nobody refunded");
    let filled = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=退款已完成&all=true"),
            &desk.agent_token,
        )
        .await;
    let reply = &filled.body[0];
    assert_eq!(reply["fits"], json!(false), "{reply}");
    assert_eq!(reply["statuses"], json!(["refunded", "closed"]));
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("tb_buyer01") && text.contains("O-1"), "{text}");
    assert!(!text.contains("{order_no}"));
    assert_eq!(
        reply["missing"],
        json!(["refund_amount"]),
        "the amount asked for is not the amount approved: {text}"
    );

    let address = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=退货地址&all=true"),
            &desk.agent_token,
        )
        .await;
    assert_eq!(
        address.body[0]["missing"],
        json!(["return_address"]),
        "no address set yet: left for the agent"
    );
    // Before approval: the shop's default address.
    let set = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/return-addresses", desk.shop),
            &desk.supervisor_token,
            json!({ "label": "杭州仓", "recipient": "王仓管", "phone": "0571-8888",
                    "address": "杭州市余杭区 售后仓", "is_default": true }),
        )
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{:?}", set.body);
    let address = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=退货地址&all=true"),
            &desk.agent_token,
        )
        .await;
    assert!(address.body[0]["text"].as_str().expect("text").contains("售后仓"));

    // Approved to another address: the reply gives the one recorded on the ticket, even after
    // the shop's default changes.
    let other = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/return-addresses", desk.shop),
            &desk.supervisor_token,
            json!({ "label": "上海仓", "recipient": "李仓管", "phone": "021-6666",
                    "address": "上海市嘉定区 退货组", "is_default": false }),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{:?}", other.body);
    let approved = desk
        .transition(
            id,
            "approved",
            ticket["version"].as_i64().expect("version"),
            json!({ "return_address": other.body["id"] }),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let address = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies?q=退货地址"), &desk.agent_token)
        .await;
    let text = address.body[0]["text"].as_str().expect("text");
    assert!(text.contains("上海市嘉定区") && !text.contains("售后仓"), "{text}");
}

/// The titles of the replies the desk offers on ticket `id` (only those that fit).
async fn offered(desk: &crate::support::Desk, id: i64) -> Vec<String> {
    let answer = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies"), &desk.agent_token)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer
        .body
        .as_array()
        .expect("list")
        .iter()
        .inspect(|r| assert_eq!(r["fits"], json!(true), "{r}"))
        .map(|r| r["title"].as_str().expect("title").to_string())
        .collect()
}

#[tokio::test]
async fn replies_are_offered_per_kind_and_status_and_the_ship_back_deadline_is_the_buyers() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let before = offered(&desk, id).await;
    assert!(before.iter().any(|t| t == "已收到申请"), "{before:?}");
    assert!(
        !before
            .iter()
            .any(|t| t == "提醒买家寄回" || t == "退货地址" || t == "退款已完成"),
        "nothing is agreed yet: {before:?}"
    );
    // The seller's answer deadline is offered under its own name while it runs.
    let reminder = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=提醒买家寄回&all=true"),
            &desk.agent_token,
        )
        .await;
    assert_eq!(reminder.body[0]["fits"], json!(false));
    assert_eq!(reminder.body[0]["missing"], json!(["buyer_ship_deadline"]));

    let approved = desk
        .transition(id, "approved", ticket["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let after = offered(&desk, id).await;
    assert!(
        after.iter().any(|t| t == "提醒买家寄回") && after.iter().any(|t| t == "退货地址"),
        "{after:?}"
    );
    assert!(!after.iter().any(|t| t == "已收到申请"), "{after:?}");
    let buyer_ship = approved.body["timers"]
        .as_array()
        .expect("timers")
        .iter()
        .find(|c| c["kind"] == "buyer_ship_return")
        .expect("the buyer's clock runs after approval")
        .clone();
    let reminder = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=提醒买家寄回"),
            &desk.agent_token,
        )
        .await;
    let text = reminder.body[0]["text"].as_str().expect("text");
    assert!(
        reminder.body[0]["missing"].as_array().expect("missing").is_empty(),
        "{text}"
    );
    // The deadline in the text is the buyer's 7 days from approval (2026-06-22 in the shop's
    // zone), not the seller's 5-day answer deadline.
    let deadline = chrono::DateTime::parse_from_rfc3339(buyer_ship["deadline"].as_str().expect("deadline"))
        .expect("instant")
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert!(text.contains(&deadline), "{text} / {deadline}");
    assert!(text.contains("已同意"), "{text}");

    let refund = desk.open("refund", "quality").await;
    let refund_id = refund["id"].as_i64().expect("id");
    assert!(
        !offered(&desk, refund_id).await.iter().any(|t| t == "提醒买家寄回"),
        "a refund has nothing to send back"
    );
    let complaint = desk.open("complaint", "quality").await;
    let titles = offered(&desk, complaint["id"].as_i64().expect("id")).await;
    assert!(
        titles.iter().any(|t| t == "首次问候") && !titles.iter().any(|t| t == "退款已完成"),
        "{titles:?}"
    );
}

#[tokio::test]
async fn a_reply_saved_with_a_placeholder_left_is_refused_and_nothing_is_written() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let reminder = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?q=提醒买家寄回&all=true"),
            &desk.agent_token,
        )
        .await;
    let reply = reminder.body[0].clone();
    let refused = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": reply["text"], "canned_reply": reply["id"] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["details"]["field"], "summary");
    assert!(
        refused.error_message().contains("{buyer_ship_deadline}"),
        "{}",
        refused.error_message()
    );
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert!(!timeline_kinds(&after.body).iter().any(|k| k == "follow_up"));

    // Completed by hand, it is recorded.
    let completed = reply["text"]
        .as_str()
        .expect("text")
        .replace("{buyer_ship_deadline}", "6月22日");
    let saved = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": completed, "canned_reply": reply["id"] }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
}

#[tokio::test]
async fn a_reply_says_where_it_fits_and_a_fit_no_ticket_can_have_is_refused() {
    let desk = desk().await;
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/replies", desk.shop),
            &desk.supervisor_token,
            json!({ "situation": "return_guide", "title": "寄回提醒", "body": "请在 {buyer_ship_deadline} 前寄回",
                    "kinds": ["return"], "statuses": ["approved"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["kinds"], json!(["return"]));
    assert_eq!(created.body["statuses"], json!(["approved"]));
    let impossible = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/replies", desk.shop),
            &desk.supervisor_token,
            json!({ "situation": "return_guide", "title": "x", "body": "y",
                    "kinds": ["refund"], "statuses": ["buyer_shipped"] }),
        )
        .await;
    assert_eq!(impossible.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(impossible.body["error"]["details"]["field"], "statuses");
    let old_name = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/replies", desk.shop),
            &desk.supervisor_token,
            json!({ "situation": "return_guide", "title": "x", "body": "请在 {deadline} 前寄回" }),
        )
        .await;
    assert_eq!(
        old_name.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "whose deadline? named ones only"
    );

    // The library page keeps the ticked boxes of a refused form and names the field.
    let supervisor = browser(&desk.app, "super-a").await;
    let refused = supervisor
        .post(desk.app.url("/replies"))
        .form(&[
            ("shop", desk.shop.to_string().as_str()),
            ("situation", "return_guide"),
            ("title", "寄回"),
            ("body", "请寄回"),
            ("kinds", "refund"),
            ("statuses", "buyer_shipped"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("text");
    assert!(
        page.contains("id=\"new-statuses-error\"") && page.contains("「买家已退货」"),
        "the reason names the status"
    );
    assert!(page.contains("value=\"refund\" checked") && page.contains("value=\"buyer_shipped\" checked"));
    let added = supervisor
        .post(desk.app.url("/replies"))
        .form(&[
            ("shop", desk.shop.to_string().as_str()),
            ("situation", "return_guide"),
            ("title", "换货寄回"),
            ("body", "请寄回"),
            ("kinds", "exchange"),
            ("kinds", "return"),
            ("statuses", "approved"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let library = html(&supervisor, desk.app.url("/replies")).await.1;
    assert!(
        library.contains("适用：退货退款、换货 · 已同意"),
        "the fit as a person reads it"
    );
}

#[tokio::test]
async fn supervisors_manage_the_library_and_agents_only_read_it() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/replies", desk.shop);
    let body = json!({ "situation": "apology", "title": "缺货致歉", "body": "{buyer} 您好，订单 {order_no} 的商品暂时缺货，非常抱歉" });
    let refused = desk.app.post(&path, &desk.agent_token, body.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = desk
        .app
        .post(
            &path,
            &desk.supervisor_token,
            json!({ "situation": "apology", "title": "x", "body": "你好 {nickname}" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.error_message().contains("{nickname}") && unknown.error_message().contains("{buyer}"));
    let created = desk.app.post(&path, &desk.supervisor_token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let reply = created.body["id"].as_i64().expect("id");
    let edited = desk
        .app
        .put(
            &format!("{path}/{reply}"),
            &desk.supervisor_token,
            json!({ "situation": "apology", "title": "缺货致歉（新）", "body": "抱歉，{order_no} 缺货" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(edited.body["title"], "缺货致歉（新）");
    let archived = desk
        .app
        .client
        .delete(desk.app.url(&format!("{path}/{reply}")))
        .bearer_auth(&desk.supervisor_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(archived.status(), StatusCode::NO_CONTENT);
    let library = desk.app.get(&path, &desk.agent_token).await;
    assert!(
        library
            .body
            .as_array()
            .expect("list")
            .iter()
            .all(|r| r["id"] != json!(reply))
    );

    let other = desk.app.shop("shop-b").await;
    let (_, foreign) = desk.app.user("agent-b", Role::Agent, &[other]).await;
    assert_eq!(desk.app.get(&path, &foreign).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_library_is_seeded_once_whether_a_list_is_filtered_empty_or_every_reply_archived() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/replies", desk.shop);
    let ids = |answer: &crate::support::Answer| -> Vec<i64> {
        answer
            .body
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .collect()
    };
    // A first look that matches nothing still seeds the library …
    let none = desk
        .app
        .get(
            &format!("{path}?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E5%8F%A5"),
            &desk.agent_token,
        )
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(ids(&none), Vec::<i64>::new());
    let seeded = ids(&desk.app.get(&path, &desk.agent_token).await);
    assert!(!seeded.is_empty(), "the default library");
    // … once: with every reply archived, the list stays empty.
    for id in &seeded {
        let archived = desk
            .app
            .client
            .delete(desk.app.url(&format!("{path}/{id}")))
            .bearer_auth(&desk.supervisor_token)
            .send()
            .await
            .expect("delete");
        assert_eq!(archived.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(ids(&desk.app.get(&path, &desk.agent_token).await), Vec::<i64>::new());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM canned_replies WHERE shop_id = $1")
        .bind(desk.shop)
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(rows, i64::try_from(seeded.len()).expect("count"), "not seeded again");
}

#[tokio::test]
async fn the_reply_sent_is_recorded_on_the_follow_up() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let replies = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?situation=greeting"),
            &desk.agent_token,
        )
        .await;
    let reply = replies.body[0].clone();
    let summary = format!("{} 已电话确认", reply["text"].as_str().expect("text"));
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": summary, "canned_reply": reply["id"] }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let full = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    let follow_up = full.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["kind"] == "follow_up")
        .expect("follow-up event")
        .clone();
    assert_eq!(follow_up["data"]["canned_reply"]["id"], reply["id"]);
    assert_eq!(follow_up["data"]["canned_reply"]["text"], reply["text"]);
    assert_eq!(follow_up["data"]["summary"], json!(summary));
    let library = desk
        .app
        .get(
            &format!("/api/v1/shops/{}/replies?situation=greeting", desk.shop),
            &desk.agent_token,
        )
        .await;
    let used = library
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["id"] == reply["id"])
        .expect("reply")["used_count"]
        .clone();
    assert_eq!(used, json!(1));

    let wrong = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "x", "canned_reply": 999999 }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(
        timeline_kinds(&after.body).iter().filter(|k| *k == "follow_up").count(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn the_ticket_page_offers_the_picker_shortcuts_and_records_the_reply_from_the_form() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let second = desk.open("complaint", "quality").await;
    let client = browser(&desk.app, "agent-a").await;
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(
        page.contains("id=\"reply-picker\"")
            && page.contains("data-reply-id=")
            && page.contains("name=\"canned_reply\"")
    );
    assert!(page.contains(aftersales::assets::url("keyboard.js")) && page.contains("tb_buyer01"));
    let reply: i64 = sqlx::query_scalar("SELECT min(id) FROM canned_replies")
        .fetch_one(&desk.app.pool)
        .await
        .expect("reply");
    let posted = client
        .post(desk.app.url(&format!("/tickets/{id}/follow-ups")))
        .header("HX-Request", "true")
        .form(&[
            ("channel", "chat"),
            ("summary", "亲，您好！已为您处理"),
            ("canned_reply", &reply.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::OK);
    let fragment = posted.text().await.expect("text");
    assert!(fragment.contains("快捷短语："), "the timeline names the reply");

    let help = html(&client, desk.app.url("/shortcuts")).await.1;
    assert!(help.contains("键盘快捷键") && help.contains("<kbd>n</kbd>") && help.contains("指派给我"));
    let next = client
        .get(desk.app.url(&format!("/tickets/{id}/next")))
        .send()
        .await
        .expect("get");
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    let location = next.headers()["location"].to_str().expect("location").to_string();
    assert!(
        location.starts_with(&format!("/tickets/{}?from=", second["id"])),
        "the other open ticket of my queue, carrying its place in it: {location}"
    );

    let supervisor = browser(&desk.app, "super-a").await;
    let library = html(&supervisor, desk.app.url("/replies")).await.1;
    assert!(library.contains("快捷短语库") && library.contains("退货指引") && library.contains("id=\"reply-add\""));
    let added = supervisor
        .post(desk.app.url("/replies"))
        .form(&[
            ("shop", desk.shop.to_string().as_str()),
            ("situation", "greeting"),
            ("title", "晚间问候"),
            ("body", "亲，晚上好"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let agent_view = html(&client, desk.app.url("/replies")).await.1;
    assert!(
        agent_view.contains("晚间问候") && !agent_view.contains("id=\"reply-add\""),
        "agents read the library"
    );
    let forbidden = client
        .post(desk.app.url("/replies"))
        .form(&[
            ("shop", desk.shop.to_string().as_str()),
            ("situation", "greeting"),
            ("title", "x"),
            ("body", "y"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}

/// The texts of the replies offered in the picker of a ticket page's HTML.
fn picker_texts(page: &str) -> Vec<String> {
    page.split("<div class=\"small muted reply-text\">")
        .skip(1)
        .map(|rest| rest.split("</div>").next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_ticket_pages_replies_give_the_shops_default_address_then_the_one_recorded_and_its_forms_offer_every_address()
 {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let client = browser(&desk.app, "agent-a").await;

    // A shop without an address: the reply leaves it for the agent to write.
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(picker_texts(&page).len() > 1, "{page}");
    assert!(page.contains("data-missing=\"{return_address}\""), "{page}");

    crate::goods_steps::add_address(&desk, "杭州仓", true).await;
    let other = crate::goods_steps::add_address(&desk, "上海仓", false).await["id"].clone();

    // Before approval: the replies give the shop's default; the approval's form offers both.
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    let texts = picker_texts(&page);
    assert!(texts.iter().any(|t| t.contains("浙江省杭州市杭州仓 1 号")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("上海仓")), "{texts:?}");
    assert!(
        page.contains("杭州仓 · 王仓管") && page.contains("上海仓 · 王仓管"),
        "{page}"
    );

    // Approved to the other address: the replies give the one recorded.
    let approved = desk
        .transition(
            id,
            "approved",
            ticket["version"].as_i64().expect("version"),
            json!({ "return_address": other }),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    let texts = picker_texts(&page);
    assert!(texts.iter().any(|t| t.contains("浙江省杭州市上海仓 1 号")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("杭州仓")), "{texts:?}");
}
