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

    let filled = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies?q=退款已完成"), &desk.agent_token)
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{:?}", filled.body);
    let reply = &filled.body[0];
    let text = reply["text"].as_str().expect("text");
    assert!(
        text.contains("tb_buyer01") && text.contains("O-1") && text.contains("¥64.00"),
        "{text}"
    );
    assert!(!text.contains("{order_no}"));

    let address = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies?q=退货地址"), &desk.agent_token)
        .await;
    assert_eq!(
        address.body[0]["missing"],
        json!(["return_address"]),
        "no address set yet: left for the agent"
    );
    let set = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/reply-settings", desk.shop),
            &desk.supervisor_token,
            json!({ "return_address": "杭州市余杭区 售后仓 0571-8888" }),
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{:?}", set.body);
    let address = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/replies?q=退货地址"), &desk.agent_token)
        .await;
    assert!(address.body[0]["text"].as_str().expect("text").contains("售后仓"));
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
async fn the_reply_sent_is_recorded_on_the_follow_up() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let replies = desk
        .app
        .get(
            &format!("/api/v1/tickets/{id}/replies?situation=refund_done"),
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
            &format!("/api/v1/shops/{}/replies?situation=refund_done", desk.shop),
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
