//! The agent's day (issue 7): canned replies, shortcuts, the buyer's file, return visits and
//! satisfaction, evidence — through the API and the pages.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, browser, desk, html};
use aftersales::auth::Role;

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";

fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----agentdayboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(desk: &Desk, token: &str, id: i64, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let (content_type, body) = multipart(name, bytes);
    let response = desk
        .app
        .client
        .post(desk.app.url(&format!("/api/v1/tickets/{id}/evidence")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn evidence_rows(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count")
}

fn timeline_kinds(ticket: &Value) -> Vec<String> {
    ticket["timeline"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

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
    assert!(page.contains(aftersales::assets::url("agent.js")) && page.contains("tb_buyer01"));
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
    assert_eq!(
        location,
        format!("/tickets/{}", second["id"]),
        "the other open ticket of my queue"
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

#[tokio::test]
async fn the_buyers_file_counts_returns_and_refunds_and_flags_repeat_returners() {
    let desk = desk().await;
    let first = desk.open("refund", "quality").await;
    let id = first["id"].as_i64().expect("id");
    let moved = desk.transition(id, "approved", 1, json!({})).await;
    let moved = desk
        .transition(id, "refunded", moved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let file = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/buyer"), &desk.agent_token)
        .await;
    assert_eq!(file.status, StatusCode::OK, "{:?}", file.body);
    assert_eq!(file.body["refunds"], 1);
    assert_eq!(file.body["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(file.body["repeat_returner"], false, "one refund is no pattern");
    desk.open("return", "quality").await;
    desk.open("exchange", "wrong_item").await;
    let file = desk
        .app
        .get(&format!("/api/v1/tickets/{id}/buyer"), &desk.agent_token)
        .await;
    assert_eq!(file.body["return_requests"], 2);
    assert_eq!(file.body["tickets"].as_array().map(Vec::len), Some(3));
    assert_eq!(file.body["repeat_returner"], true);

    let client = browser(&desk.app, "agent-a").await;
    let page = html(&client, desk.app.url(&format!("/tickets/{id}/buyer"))).await.1;
    assert!(page.contains("客户档案") && page.contains("频繁退货") && page.contains("七天无理由退货的权利不受影响"));
    let other = desk.app.shop("shop-b").await;
    let (_, foreign) = desk.app.user("agent-b", Role::Agent, &[other]).await;
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/tickets/{id}/buyer"), &foreign)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

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
async fn a_refund_reopens_to_approved_and_a_closed_ticket_only_records_the_answer() {
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
async fn photos_are_attached_served_and_packed_and_refused_files_leave_nothing_behind() {
    let desk = desk().await;
    let ticket = desk.open("return", "damaged").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, evidence) = upload(&desk, &desk.agent_token, id, "破损照片.png", PNG).await;
    assert_eq!(status, StatusCode::CREATED, "{evidence:?}");
    assert_eq!(evidence["content_type"], "image/png");
    assert_eq!(evidence["file_name"], "破损照片.png");

    let client = browser(&desk.app, "agent-a").await;
    let file = client
        .get(desk.app.url(&format!("/tickets/{id}/evidence/{}", evidence["id"])))
        .send()
        .await
        .expect("get");
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.expect("bytes").as_ref(), PNG);

    let before = evidence_rows(&desk).await;
    let version_before = desk
        .app
        .get(&format!("/api/v1/tickets/{id}"), &desk.agent_token)
        .await
        .body["version"]
        .clone();
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(5 * 1024 * 1024 + 1, 7);
    let (status, refused) = upload(&desk, &desk.agent_token, id, "huge.jpg", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(refused["error"]["code"], "evidence_too_large");
    assert!(refused["error"]["message"].as_str().expect("message").contains("5 MB"));
    let (status, refused) = upload(&desk, &desk.agent_token, id, "photo.jpg", b"MZ\x90\0 not a photo").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(refused["error"]["message"].as_str().expect("message").contains("JPEG"));
    assert_eq!(evidence_rows(&desk).await, before, "nothing half-stored");
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], version_before);
    assert_eq!(
        timeline_kinds(&after.body)
            .iter()
            .filter(|k| *k == "evidence_added")
            .count(),
        1
    );

    // The page: thumbnails, the upload form with its token, the refusal explained in place.
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains("class=\"evidence-thumb\"") && page.contains("enctype=\"multipart/form-data\""));
    let (content_type, body) = multipart("a.gif", b"GIF89a....");
    let refused = client
        .post(desk.app.url(&format!("/tickets/{id}/evidence")))
        .header("HX-Request", "true")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(
        refused
            .text()
            .await
            .expect("text")
            .contains("只接受 JPEG、PNG、WebP 照片或 PDF")
    );
    let (content_type, body) = multipart("b.png", PNG);
    let unprotected =
        crate::support::browser_with(&desk.app, &crate::support::sign_in(&desk.app, "agent-a").await.0, None)
            .post(desk.app.url(&format!("/tickets/{id}/evidence")))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("post");
    assert_eq!(
        unprotected.status(),
        StatusCode::FORBIDDEN,
        "a form without the CSRF token"
    );
    assert_eq!(evidence_rows(&desk).await, before);

    let pack = client
        .get(desk.app.url(&format!("/tickets/{id}/evidence-pack")))
        .send()
        .await
        .expect("get");
    assert_eq!(pack.status(), StatusCode::OK);
    assert!(
        pack.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );
    let pack = pack.text().await.expect("text");
    assert!(
        pack.contains("data:image/png;base64,iVBORw0KGgo") && pack.contains("规则判定") && pack.contains("上传了凭证")
    );
    assert!(!pack.contains("<script"));

    let (_, owner) = desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    assert_eq!(upload(&desk, &owner, id, "x.png", PNG).await.0, StatusCode::FORBIDDEN);
    let other = desk.app.shop("shop-b").await;
    let (_, foreign) = desk.app.user("agent-b", Role::Agent, &[other]).await;
    assert_eq!(upload(&desk, &foreign, id, "x.png", PNG).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/tickets/{id}/evidence"), &foreign)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let listed = desk.app.get(&format!("/api/v1/tickets/{id}/evidence"), &owner).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
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
    assert!(line.contains("100.0%") && line.contains(",1,1,"), "{line}");
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

#[tokio::test]
async fn a_bad_review_is_worked_from_contact_to_a_revised_review() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let missing = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality" }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["error"]["details"]["field"], "review_rating");
    let misplaced = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "review_rating": 1 }),
        )
        .await;
    assert_eq!(misplaced.body["error"]["details"]["field"], "review_rating");
    let created = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "kind": "bad_review", "order_no": "O-1", "reason": "quality", "review_rating": 2,
                    "review_text": "洗了一次就起球，差评" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["status"], "open");
    assert_eq!(created.body["review_rating"], 2);
    assert_eq!(
        created.body["allowed_transitions"],
        json!([
            "buyer_contacted",
            "explanation_posted",
            "appealed",
            "escalated",
            "platform_intervention"
        ])
    );
    let id = created.body["id"].as_i64().expect("id");
    let mut version = 1;
    for to in ["buyer_contacted", "review_revised", "closed"] {
        let moved = desk.transition(id, to, version, json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{to}: {:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
        if to == "review_revised" {
            assert_eq!(
                moved.body["follow_up_due_at"],
                serde_json::Value::Null,
                "settled reviews leave the cycle"
            );
        }
    }
    let client = crate::support::browser(&desk.app, "agent-a").await;
    let page = client
        .get(desk.app.url(&format!("/tickets/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("中差评") && page.contains("★★☆☆☆") && page.contains("洗了一次就起球"));
    // The same through the new-ticket form.
    let shop = desk.shop.to_string();
    let form = client
        .post(desk.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "bad_review"),
            ("reason", "late_shipment"),
            ("review_rating", "3"),
            ("review_text", "发货太慢，中评"),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    let location = form.headers()["location"].to_str().expect("location").to_string();
    let page = client
        .get(desk.app.url(&location))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("★★★☆☆") && page.contains("name=\"to\" value=\"buyer_contacted\""));
}

#[tokio::test]
async fn an_evidence_form_without_its_file_or_not_multipart_is_refused_naming_what_to_send() {
    let desk = desk().await;
    let ticket = desk.open("return", "damaged").await;
    let id = ticket["id"].as_i64().expect("id");
    let post = |content_type: &'static str, body: &'static str| {
        desk.app
            .client
            .post(desk.app.url(&format!("/api/v1/tickets/{id}/evidence")))
            .bearer_auth(&desk.agent_token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let no_file = post(
        "multipart/form-data; boundary=B",
        "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B--\r\n",
    )
    .await
    .expect("post");
    assert_eq!(no_file.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_file: Value = no_file.json().await.expect("json");
    assert_eq!(no_file["error"]["code"], "invalid_field");
    assert_eq!(no_file["error"]["details"]["field"], "file");
    assert_eq!(
        no_file["error"]["message"],
        "file: the form has no file; choose a photo or PDF to attach"
    );
    let plain = post("text/plain", "a photo").await.expect("post");
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    let plain: Value = plain.json().await.expect("json");
    assert!(
        plain["error"]["message"]
            .as_str()
            .expect("message")
            .contains("multipart/form-data"),
        "{plain}"
    );
    let cut = post(
        "multipart/form-data; boundary=B",
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\u{89}PNG",
    )
    .await
    .expect("post");
    assert_eq!(cut.status(), StatusCode::BAD_REQUEST);
    assert_eq!(evidence_rows(&desk).await, 0, "nothing stored");
}
