//! Nothing typed is lost: follow-ups and notes are appends that a status change made meanwhile
//! does not refuse; a move on a stale version keeps its typed note and says what the ticket is
//! now; a form posted after the session expired leads, after signing in, back to a page.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser_with, desk, html};

#[tokio::test]
async fn a_note_on_a_stale_version_is_recorded_and_bumps_the_version_once() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let note = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.agent_token,
            json!({ "text": "买家要求尽快处理", "version": 1 }),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    assert_eq!(note.body["status"], "approved", "the move stands");
    assert_eq!(note.body["version"], 3);
}

#[tokio::test]
async fn a_move_on_a_stale_version_is_still_refused() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let note = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.agent_token,
            json!({ "text": "已核对订单", "version": 1 }),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    let stale = desk.transition(id, "rejected", 1, json!({})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_version");
}

#[tokio::test]
async fn a_follow_up_typed_in_a_second_tab_after_an_approval_is_saved_from_the_page() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    // Tab A approves; tab B still shows version 1.
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let client = desk.browser("agent-a").await;
    let answer = client
        .post(desk.app.url(&format!("/tickets/{id}/follow-ups")))
        .header("HX-Request", "true")
        .form(&[
            ("channel", "phone"),
            ("summary", "电话告知买家退款进度"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::OK);
    let fragment = answer.text().await.expect("text");
    assert!(fragment.contains("跟进已记录"), "saved: {fragment}");
    assert!(fragment.contains("电话告知买家退款进度"), "on the timeline");
    assert!(!fragment.contains("刚被他人修改"));
}

#[tokio::test]
async fn a_stale_move_keeps_the_typed_note_and_names_the_status_now() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let client = desk.browser("agent-a").await;
    for htmx in [true, false] {
        let mut request = client.post(desk.app.url(&format!("/tickets/{id}/transitions")));
        if htmx {
            request = request.header("HX-Request", "true");
        }
        let answer = request
            .form(&[("to", "rejected"), ("version", "1"), ("note", "买家已撤回申请的说明")])
            .send()
            .await
            .expect("post");
        let expected = if htmx { StatusCode::OK } else { StatusCode::CONFLICT };
        assert_eq!(answer.status(), expected);
        let text = answer.text().await.expect("text");
        assert!(text.contains("刚被他人修改"), "the conflict is explained");
        assert!(text.contains("当前状态为「已同意」"), "and what the ticket is now");
        assert!(
            text.contains("value=\"买家已撤回申请的说明\""),
            "the typed note is back in its box (htmx: {htmx})"
        );
    }
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["status"], "approved", "the stale move changed nothing");
}

/// A browser whose session has expired: the cookie and the page's CSRF token of a session the
/// desk no longer knows.
fn expired_browser(desk: &crate::support::Desk) -> reqwest::Client {
    let session = "a-session-that-has-expired";
    browser_with(&desk.app, session, Some(&aftersales::web::csrf::token_for(session)))
}

#[tokio::test]
async fn a_form_posted_after_the_session_expired_returns_to_the_ticket_page_after_signing_in() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let client = expired_browser(&desk);
    let posted = client
        .post(desk.app.url(&format!("/tickets/{id}/follow-ups")))
        .form(&[("channel", "phone"), ("summary", "已电话联系"), ("version", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let login = posted.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(
        login,
        format!("/login?expired=1&next=/tickets/{id}"),
        "a GET page, not the POST address"
    );
    let (status, page) = html(&client, desk.app.url(&login)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("会话已过期，请重新登录"), "{page}");
    assert!(
        page.contains(&format!("name=\"next\" value=\"/tickets/{id}\"")),
        "{page}"
    );
    let signed_in = client
        .post(desk.app.url("/login"))
        .form(&[
            ("login", "agent-a"),
            ("password", "password-agent-a"),
            ("next", &format!("/tickets/{id}")),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], format!("/tickets/{id}"));
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], 1, "nothing was recorded without a session");
}

#[tokio::test]
async fn an_htmx_post_after_the_session_expired_is_sent_to_the_same_login_page() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let posted = expired_browser(&desk)
        .post(desk.app.url(&format!("/tickets/{id}/notes")))
        .header("HX-Request", "true")
        .form(&[("text", "备注"), ("version", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::OK);
    assert_eq!(
        posted.headers()["hx-redirect"],
        format!("/login?expired=1&next=/tickets/{id}")
    );
}

#[tokio::test]
async fn a_post_elsewhere_returns_to_the_page_it_came_from_and_the_login_page_speaks_english() {
    let desk = desk().await;
    let client = expired_browser(&desk);
    let address = desk.app.url("/calendar?year=2026");
    let posted = client
        .post(desk.app.url("/calendar/years"))
        .header("Referer", address)
        .form(&[("year", "2027")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let login = posted.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(login, "/login?expired=1&next=/calendar%3Fyear%3D2026");
    let english = reqwest::Client::new()
        .get(desk.app.url(&login))
        .header("Cookie", "lang=en")
        .send()
        .await
        .expect("get");
    let page = english.text().await.expect("text");
    assert!(
        page.contains("Your session has expired. Please sign in again."),
        "{page}"
    );
    let (_, plain) = html(&client, desk.app.url("/login?next=/")).await;
    assert!(!plain.contains("会话已过期"), "only after an expired post");
}

#[tokio::test]
async fn the_ticket_page_names_its_draft_boxes_and_carries_the_request_error_texts_in_the_users_language() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let client = desk.browser("agent-a").await;
    let (status, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["summary", "note", "move_note"] {
        assert!(page.contains(&format!("data-draft=\"ticket.{id}.{field}\"")), "{field}");
    }
    assert!(page.contains("data-request-failed=\"未能保存（服务器返回错误），填写的内容仍保留，请稍后重试。\""));
    assert!(page.contains("data-request-unsent=\"无法连接服务器"));
    // The header's language switch sets the `lang` cookie.
    let switched = client
        .get(desk.app.url("/lang/en?next=/"))
        .send()
        .await
        .expect("switch");
    assert!(switched.status().is_redirection());
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(
        page.contains("data-request-failed=\"Not saved (the desk answered with an error)"),
        "{page}"
    );
}
