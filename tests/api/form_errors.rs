//! Form errors in the browser pages: a refused field's message sits next to that field, in
//! Chinese (the default) and in English (after the header's language switch), and the form
//! comes back with what was typed — on the new-ticket form, the ticket page's follow-up form
//! (plain and htmx posts) and the follow-up queue's bulk actions.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Desk, desk};

/// A browser signed in as `login`, speaking `lang` (`zh` is the default; `en` goes through the
/// header's language switch).
pub async fn browser_in(desk: &Desk, login: &str, lang: &str) -> reqwest::Client {
    let client = desk.browser(login).await;
    if lang == "en" {
        let switched = client
            .get(desk.app.url("/lang/en?next=/"))
            .send()
            .await
            .expect("switch");
        assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    }
    client
}

/// Text as it reads on screen (askama escapes quotes and ampersands).
pub fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The message of the field error element `id` (`<p class="field-error" id="…">`), as read.
pub fn field_error(page: &str, id: &str) -> String {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in the page:\n{page}"));
    let start = page[..at].rfind('<').expect("tag start");
    let end = at + page[at..].find('>').expect("tag end");
    assert!(
        page[start..end].starts_with("<p class=\"field-error"),
        "#{id} is a field error: {}",
        &page[start..end]
    );
    let rest = &page[end + 1..];
    unescape(&rest[..rest.find("</p>").expect("end of the message")])
}

/// The text of the page's first refusal said at the top (`<div class="flash flash-error" …>`),
/// as read.
pub fn flash_error(page: &str) -> String {
    let at = page
        .find("class=\"flash flash-error\"")
        .unwrap_or_else(|| panic!("no refusal at the top of the page:\n{page}"));
    let rest = &page[at..];
    let start = rest.find('>').expect("tag end") + 1;
    let end = rest.find("</div>").expect("end of the message");
    unescape(&rest[start..end])
}

/// Asserts the error element `error_id` follows the control `control_id` inside the same field
/// (no other field starts between them), and the control is marked invalid.
pub fn assert_next_to(page: &str, control_id: &str, error_id: &str) {
    let control = page
        .find(&format!("id=\"{control_id}\""))
        .unwrap_or_else(|| panic!("no control #{control_id}"));
    let error = page
        .find(&format!("id=\"{error_id}\""))
        .unwrap_or_else(|| panic!("no error #{error_id}"));
    assert!(control < error, "#{error_id} comes after #{control_id}");
    let between = &page[control..error];
    assert!(
        !between.contains("<div class=\"field"),
        "#{error_id} sits in the field of #{control_id}: {between}"
    );
    let tag_end = control + page[control..].find('>').expect("end of the control's tag");
    assert!(
        page[control..tag_end].contains("aria-invalid=\"true\""),
        "#{control_id} is marked invalid"
    );
}

/// Posts the new-ticket form for order O-1 with `fields`.
async fn post_new_ticket(desk: &Desk, client: &reqwest::Client, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let shop = desk.shop.to_string();
    let mut form = vec![("shop", shop.as_str()), ("order_no", "O-1")];
    form.extend_from_slice(fields);
    let response = client
        .post(desk.app.url("/tickets"))
        .form(&form)
        .send()
        .await
        .expect("post");
    (response.status(), response.text().await.expect("text"))
}

async fn ticket_count(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_refund_above_the_order_total_is_shown_next_to_the_amount_with_the_form_kept() {
    let desk = desk().await;
    for (lang, message) in [
        ("zh", "退款金额（¥200.00）超过了订单金额（¥128.00），请核对后重新填写。"),
        (
            "en",
            "The refund (¥200.00) is more than the order's total (¥128.00); check it and try again.",
        ),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_new_ticket(
            &desk,
            &client,
            &[
                ("kind", "refund"),
                ("reason", "quality"),
                ("refund_yuan", "200.00"),
                ("priority", "high"),
                ("description", "买家说面料起球，要求全额退款"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "refund_yuan-error"), message, "{lang}");
        assert_next_to(&page, "refund_yuan", "refund_yuan-error");
        assert!(page.contains("value=\"200.00\""), "{lang}: the typed amount is kept");
        assert!(page.contains("买家说面料起球，要求全额退款</textarea>"), "{lang}");
        assert!(page.contains("<option value=\"refund\" selected>"), "{lang}");
        assert!(page.contains("<option value=\"high\" selected>"), "{lang}");
        assert!(!page.contains("flash-error"), "{lang}: said next to the field only");
    }
    assert_eq!(ticket_count(&desk).await, 0, "nothing was opened");
}

#[tokio::test]
async fn a_negative_refund_is_shown_next_to_the_amount_plain_and_with_htmx() {
    let desk = desk().await;
    for (lang, message) in [("zh", "退款金额不能为负数。"), ("en", "A refund cannot be negative.")] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_new_ticket(
            &desk,
            &client,
            &[
                ("kind", "return"),
                ("reason", "quality"),
                ("refund_yuan", "-5"),
                ("description", "包装破损"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "refund_yuan-error"), message, "{lang}");
        assert_next_to(&page, "refund_yuan", "refund_yuan-error");
        assert!(
            page.contains("value=\"-5\"") && page.contains("包装破损</textarea>"),
            "{lang}"
        );
        assert!(page.contains("<option value=\"return\" selected>"), "{lang}");
        // htmx swaps the form in place: 200, the same message beside the same field.
        let shop = desk.shop.to_string();
        let htmx = client
            .post(desk.app.url("/tickets"))
            .header("HX-Request", "true")
            .form(&[
                ("shop", shop.as_str()),
                ("order_no", "O-1"),
                ("kind", "return"),
                ("reason", "quality"),
                ("refund_yuan", "-5"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(htmx.status(), StatusCode::OK, "{lang}");
        let page = htmx.text().await.expect("text");
        assert_eq!(field_error(&page, "refund_yuan-error"), message, "{lang}");
        assert_next_to(&page, "refund_yuan", "refund_yuan-error");
    }
    assert_eq!(ticket_count(&desk).await, 0, "nothing was opened");
}

#[tokio::test]
async fn a_bad_review_ticket_without_stars_is_asked_for_them_next_to_the_stars() {
    let desk = desk().await;
    for (lang, message) in [
        ("zh", "差评工单需要选择买家给出的星级（1–5 星）。"),
        ("en", "A bad-review ticket needs the review's stars (1–5)."),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        let (status, page) = post_new_ticket(
            &desk,
            &client,
            &[
                ("kind", "bad_review"),
                ("reason", "late_shipment"),
                ("review_rating", ""),
                ("review_text", "发货太慢，给了差评"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert_eq!(field_error(&page, "review_rating-error"), message, "{lang}");
        assert_next_to(&page, "review_rating", "review_rating-error");
        assert!(
            page.contains("发货太慢，给了差评</textarea>"),
            "{lang}: the review is kept"
        );
        assert!(page.contains("<option value=\"bad_review\" selected>"), "{lang}");
        assert!(page.contains("<option value=\"late_shipment\" selected>"), "{lang}");
    }
    assert_eq!(ticket_count(&desk).await, 0, "nothing was opened");
}

#[tokio::test]
async fn a_follow_up_of_only_spaces_is_refused_next_to_the_summary_with_channel_and_text_kept() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let summary = "  \u{3000}  ";
    for (lang, message) in [
        ("zh", "请填写内容，不能只有空格。"),
        ("en", "Write something here; spaces alone are not enough."),
    ] {
        let client = browser_in(&desk, "agent-a", lang).await;
        for htmx in [false, true] {
            let mut request = client.post(desk.app.url(&format!("/tickets/{id}/follow-ups")));
            if htmx {
                request = request.header("HX-Request", "true");
            }
            let response = request
                .form(&[("channel", "phone"), ("summary", summary), ("version", "1")])
                .send()
                .await
                .expect("post");
            // Today's convention: htmx swaps only successful answers, so it gets 200.
            let expected = if htmx {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            assert_eq!(response.status(), expected, "{lang}, htmx: {htmx}");
            let page = response.text().await.expect("text");
            assert_eq!(
                page.starts_with("<div id=\"ticket-body\" "),
                htmx,
                "a fragment for htmx only"
            );
            assert_eq!(field_error(&page, "summary-error"), message, "{lang}, htmx: {htmx}");
            assert_next_to(&page, "summary", "summary-error");
            assert!(
                page.contains("<option value=\"phone\" selected>"),
                "{lang}, htmx: {htmx}: the channel is kept"
            );
            assert!(
                page.contains(&format!(">{summary}</textarea>")),
                "{lang}, htmx: {htmx}: the text is kept"
            );
        }
    }
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], 1, "nothing was recorded");
}

#[tokio::test]
async fn a_bulk_action_with_nothing_ticked_says_so_beside_the_boxes_and_keeps_the_agent() {
    let desk = desk().await;
    let overdue = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "logistics", "order_no": "O-1", "reason": "logistics_stuck", "description": "物流停滞",
                    "opened_at": (desk.app.now() - chrono::Duration::hours(30)).to_rfc3339() }),
        )
        .await;
    assert_eq!(overdue.status, StatusCode::CREATED, "{:?}", overdue.body);
    let id = overdue.body["id"].as_i64().expect("id");
    let agent = desk.agent.to_string();
    for (lang, message) in [
        ("zh", "请先在列表中勾选至少一个工单。"),
        ("en", "Tick at least one ticket in the list first."),
    ] {
        let client = browser_in(&desk, "super-a", lang).await;
        for action in ["reassign", "escalate"] {
            let response = client
                .post(desk.app.url(&format!("/follow-ups/{action}")))
                .form(&[("back", "/follow-ups?state=overdue"), ("assignee", agent.as_str())])
                .send()
                .await
                .expect("post");
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}: {action}");
            let page = response.text().await.expect("text");
            assert_eq!(field_error(&page, "bulk-error"), message, "{lang}: {action}");
            // Beside the boxes: right under the bulk bar, before the list, and the boxes point
            // at it.
            let bar = page.find("bulk-bar").expect("the bulk bar");
            let error = page.find("id=\"bulk-error\"").expect("the message");
            let list = page.find("name=\"ticket\"").expect("the boxes");
            assert!(bar < error && error < list, "{lang}: {action}");
            assert!(page.contains(&format!(
                "name=\"ticket\" value=\"{id}\" aria-label=\"#{id}\" aria-invalid=\"true\" aria-describedby=\"bulk-error\""
            )));
            assert!(
                page.contains(&format!("<option value=\"{agent}\" selected>")),
                "{lang}: {action}: the chosen agent is kept"
            );
            // htmx swaps the bulk form in place: 200, the same message.
            let htmx = client
                .post(desk.app.url(&format!("/follow-ups/{action}")))
                .header("HX-Request", "true")
                .form(&[("back", "/follow-ups?state=overdue"), ("assignee", agent.as_str())])
                .send()
                .await
                .expect("post");
            assert_eq!(htmx.status(), StatusCode::OK, "{lang}: {action}");
            let page = htmx.text().await.expect("text");
            assert_eq!(field_error(&page, "bulk-error"), message, "{lang}: {action}");
        }
    }
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], 1, "nothing was changed");
    // Ticked, the same htmx post goes through and loads the queue again with what was done.
    let client = browser_in(&desk, "super-a", "zh").await;
    let ticket = id.to_string();
    let done = client
        .post(desk.app.url("/follow-ups/reassign"))
        .header("HX-Request", "true")
        .form(&[
            ("back", "/follow-ups?state=overdue"),
            ("assignee", agent.as_str()),
            ("ticket", ticket.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(
        done.headers()["hx-redirect"],
        "/follow-ups?state=overdue&done=reassigned&n=1&skipped=0"
    );
}
