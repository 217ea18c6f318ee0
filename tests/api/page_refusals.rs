//! Refusals on the ticket page and in the reply library read in the user's language — Chinese
//! by default, English after the header's switch — never as the API's developer text: a move the
//! workflow does not allow (with the statuses' names), a missing resolution, a return visit's
//! comment that is too long, an evidence form without its file or not a file form, and a reply
//! the library refuses. A refusal about a field sits next to it, with what was typed kept.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::form_errors::{assert_next_to, browser_in, field_error, flash_error};
use crate::support::{Desk, desk};

/// Posts a ticket page form as a plain (non-htmx) browser post: the status and the page.
async fn post_form(desk: &Desk, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = client.post(desk.app.url(path)).form(form).send().await.expect("post");
    (response.status(), response.text().await.expect("text"))
}

/// Posts `body` with `content_type` to a page address: the status and the page.
async fn post_raw(
    desk: &Desk,
    client: &reqwest::Client,
    path: &str,
    content_type: &str,
    body: &'static str,
) -> (StatusCode, String) {
    let response = client
        .post(desk.app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    (response.status(), response.text().await.expect("text"))
}

/// Moves a ticket through the API along `path`; returns its version after the last move.
async fn drive(desk: &Desk, id: i64, path: &[(&str, Value)]) -> i64 {
    let mut version = 1;
    for (to, extra) in path {
        let moved = desk.transition(id, to, version, extra.clone()).await;
        assert_eq!(moved.status, StatusCode::OK, "{to}: {:?}", moved.body);
        version = moved.body["version"].as_i64().expect("version");
    }
    version
}

#[tokio::test]
async fn an_illegal_move_names_the_statuses_in_the_users_language_not_their_codes() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let version = drive(&desk, id, &[("approved", json!({}))]).await.to_string();
    for (lang, message) in [
        (
            "zh",
            "工单现在是“已同意”，不能改为“已关闭”；现在可以改为：买家已退货、已升级主管、平台介入。",
        ),
        (
            "en",
            "A ticket that is “Approved” cannot move to “Closed”; it can now move to: Buyer shipped, Escalated, Platform intervention.",
        ),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let path = format!("/tickets/{id}/transitions");
        let form = [("to", "closed"), ("version", version.as_str())];
        let (status, page) = post_form(&desk, &client, &path, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(flash_error(&page), message, "{lang}");
        let htmx = client
            .post(desk.app.url(&path))
            .header("HX-Request", "true")
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(htmx.status(), StatusCode::OK, "{lang}: htmx swaps the refusal in place");
        assert_eq!(flash_error(&htmx.text().await.expect("text")), message, "{lang}");
    }
    // The JSON API keeps its code and its developer text with the statuses' codes.
    let api = desk.transition(id, "closed", 2, json!({})).await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.error_code(), "illegal_transition");
    assert_eq!(
        api.error_message(),
        "a ticket in `approved` cannot move to `closed`; allowed: buyer_shipped, escalated, platform_intervention"
    );
}

#[tokio::test]
async fn resolving_a_logistics_ticket_without_its_resolution_is_asked_for_it_next_to_the_choice() {
    let desk = desk().await;
    let ticket = desk.open("logistics", "logistics_stuck").await;
    let id = ticket["id"].as_i64().expect("id");
    let version = drive(&desk, id, &[("carrier_contacted", json!({}))]).await.to_string();
    for (lang, message) in [
        ("zh", "物流工单要标记为已解决，请先在这里选择处理结果。"),
        (
            "en",
            "To mark a logistics ticket resolved, choose here how it was resolved first.",
        ),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_form(
            &desk,
            &client,
            &format!("/tickets/{id}/transitions"),
            &[
                ("to", "resolved"),
                ("version", version.as_str()),
                ("note", "快递已补发"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "resolution-error"), message, "{lang}");
        assert_next_to(&page, "resolution", "resolution-error");
        assert!(page.contains("value=\"快递已补发\""), "{lang}: the move's note is kept");
        assert!(!page.contains("flash-error"), "{lang}: said next to the field only");
    }
    let api = desk.transition(id, "resolved", 2, json!({})).await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.body["error"]["details"]["field"], "resolution");
}

#[tokio::test]
async fn a_return_visit_comment_too_long_is_refused_next_to_it_with_the_text_kept() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let path = [
        ("investigating", json!({})),
        ("resolution_proposed", json!({})),
        ("resolved", json!({})),
    ];
    let version = drive(&desk, id, &path).await.to_string();
    let comment = "满意".repeat(1001);
    for (lang, message) in [("zh", "备注最多 2000 个字"), ("en", "At most 2000 characters.")] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_form(
            &desk,
            &client,
            &format!("/tickets/{id}/return-visits"),
            &[
                ("satisfied", "yes"),
                ("comment", comment.as_str()),
                ("version", version.as_str()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "visit-comment-error"), message, "{lang}");
        assert_next_to(&page, "visit-comment", "visit-comment-error");
        assert!(
            page.contains(&format!("value=\"{comment}\"")),
            "{lang}: the comment is kept"
        );
        assert!(!page.contains("flash-error"), "{lang}: said next to the field only");
    }
    let visits: i64 = sqlx::query_scalar("SELECT count(*) FROM return_visits WHERE answered_at IS NOT NULL")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(visits, 0, "no answer was recorded");
}

#[tokio::test]
async fn an_evidence_form_without_its_file_or_not_a_file_form_is_refused_in_the_users_language() {
    let desk = desk().await;
    let ticket = desk.open("return", "damaged").await;
    let id = ticket["id"].as_i64().expect("id");
    let path = format!("/tickets/{id}/evidence");
    for (lang, no_file, not_a_form) in [
        (
            "zh",
            "表单中没有文件；请选择要附上的照片或 PDF",
            "上传的不是文件表单：请在工单页面的“凭证”中选择照片或 PDF 后上传。",
        ),
        (
            "en",
            "The form has no file; choose a photo or PDF to attach.",
            "The upload was not a file form: choose a photo or PDF under Evidence on the ticket page and upload it.",
        ),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_raw(
            &desk,
            &client,
            &path,
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B--\r\n",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "evidence-file-error"), no_file, "{lang}");
        assert_next_to(&page, "evidence-file", "evidence-file-error");
        assert!(!page.contains("flash-error"), "{lang}: said next to the field only");

        let (status, page) = post_raw(&desk, &client, &path, "text/plain", "a photo").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{lang}");
        assert_eq!(flash_error(&page), not_a_form, "{lang}");

        let (status, page) = post_raw(
            &desk,
            &client,
            &path,
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\u{89}PNG",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{lang}: a form cut short");
        let said = flash_error(&page);
        let expected = if lang == "zh" {
            "上传的表单不完整或格式不对（可能是连接中断），未保存任何内容。请重新选择文件并上传。"
        } else {
            "The uploaded form was incomplete or malformed (perhaps the connection broke); nothing was stored. Choose the file again and upload it."
        };
        assert_eq!(said, expected, "{lang}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "nothing stored");
}

#[tokio::test]
async fn a_reply_the_library_refuses_is_explained_next_to_its_field_with_the_form_kept() {
    let desk = desk().await;
    let shop = desk.shop.to_string();
    for (lang, unknown, no_title) in [
        ("zh", "没有变量 {nickname}；可用的变量有", "请填写 1–100 个字的标题"),
        (
            "en",
            "Unknown variable {nickname}; the variables are",
            "Give a title of 1–100 characters.",
        ),
    ] {
        let client = browser_in(&desk, "super-a", lang).await;
        // The add form: an unknown variable in the text.
        let (status, page) = post_form(
            &desk,
            &client,
            "/replies",
            &[
                ("shop", shop.as_str()),
                ("situation", "refund_done"),
                ("title", "晚间问候"),
                ("body", "亲，{nickname} 晚上好"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert!(
            field_error(&page, "new-body-error").starts_with(unknown),
            "{lang}: {}",
            field_error(&page, "new-body-error")
        );
        assert_next_to(&page, "new-body", "new-body-error");
        assert!(page.contains("value=\"晚间问候\""), "{lang}: the title is kept");
        assert!(
            page.contains("亲，{nickname} 晚上好</textarea>"),
            "{lang}: the text is kept"
        );
        assert!(
            page.contains("<option value=\"refund_done\" selected>"),
            "{lang}: the situation is kept"
        );
        assert!(!page.contains("flash-error"), "{lang}: said next to the field only");

        // An edit form: the title emptied.
        let library = desk
            .app
            .get(&format!("/api/v1/shops/{shop}/replies"), &desk.agent_token)
            .await;
        let reply = library.body[0]["id"].as_i64().expect("a reply");
        let (status, page) = post_form(
            &desk,
            &client,
            &format!("/replies/{reply}"),
            &[("situation", "greeting"), ("title", "  "), ("body", "亲，在的")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let error_id = format!("reply-title-{reply}-error");
        assert_eq!(field_error(&page, &error_id), no_title, "{lang}");
        assert_next_to(&page, &format!("reply-title-{reply}"), &error_id);
        assert!(page.contains("亲，在的</textarea>"), "{lang}: the edited text is kept");
    }
}
