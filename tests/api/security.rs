//! Web hardening: CSRF on every state-changing browser request, security headers, no inline
//! scripts or styles, escaped text.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, browser_with, desk, sign_in};

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let (session, csrf) = sign_in(&desk.app, "agent-a").await;
    let no_header = browser_with(&desk.app, &session, None);

    let forged = no_header
        .post(desk.app.url(&format!("/tickets/{id}/notes")))
        .form(&[("text", "forged"), ("version", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = no_header
        .post(desk.app.url(&format!("/tickets/{id}/notes")))
        .form(&[
            ("text", "forged"),
            ("version", "1"),
            ("csrf", "0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // The session cookie is not enough for the JSON API either.
    let api = no_header
        .post(desk.app.url(&format!("/api/v1/tickets/{id}/notes")))
        .json(&json!({ "text": "forged" }))
        .send()
        .await
        .expect("post");
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], 1, "nothing changed");

    // A plain form (no JavaScript) carries the token as a hidden field.
    let plain = no_header
        .post(desk.app.url(&format!("/tickets/{id}/notes")))
        .form(&[("text", "真的备注"), ("version", "1"), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    // Logging out needs it too, so another site cannot sign the user out.
    let logout = no_header.post(desk.app.url("/logout")).send().await.expect("post");
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_page_carries_the_token_in_its_forms_and_for_htmx() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let (_, csrf) = sign_in(&desk.app, "super-a").await;
    let client = browser(&desk.app, "super-a").await;
    for path in [
        "/".to_string(),
        format!("/tickets/{}", ticket["id"]),
        "/tickets/new?order_no=O-1".into(),
        "/follow-ups".into(),
    ] {
        let page = client
            .get(desk.app.url(&path))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        let _ = &csrf;
        assert!(
            page.contains("hx-headers='{\"X-CSRF-Token\": \""),
            "{path}: htmx header"
        );
        let forms = page.matches("method=\"post\"").count();
        let fields = page.matches("name=\"csrf\" value=\"").count();
        assert!(
            forms > 0 && fields >= forms,
            "{path}: {forms} forms, {fields} token fields"
        );
    }
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let desk = desk().await;
    let client = browser(&desk.app, "agent-a").await;
    for path in ["/", "/login", "/api/v1/openapi.json", "/no-such-page"] {
        let response = client.get(desk.app.url(path)).send().await.expect("get");
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_scripts_or_styles_and_escape_what_buyers_wrote() {
    let desk = desk().await;
    let put = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/X-1", desk.shop),
            &desk.agent_token,
            json!({ "buyer": "tb_<b>bold</b>", "note": "<script>alert('order note')</script>",
                    "lines": [{ "sku": "X", "title": "<img src=x onerror=alert(1)>", "quantity": 1, "unit_price_fen": 100 }] }),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED);
    let ticket = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "complaint", "order_no": "X-1", "reason": "other", "description": "\"><script>alert(2)</script>" }),
        )
        .await;
    let id = ticket.body["id"].as_i64().expect("id");
    let client = browser(&desk.app, "agent-a").await;
    for path in [
        "/".to_string(),
        format!("/tickets/{id}"),
        "/tickets/new?order_no=X-1".into(),
        "/login".into(),
        "/calendar".into(),
    ] {
        let page = client
            .get(desk.app.url(&path))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        for (i, _) in page.match_indices("<script") {
            let tag = &page[i..page[i..].find('>').map(|e| i + e).unwrap_or(page.len())];
            assert!(tag.contains(" src=\"/static/"), "{path}: inline script {tag}");
        }
        assert!(!page.contains(" style=\""), "{path}: inline style attribute");
        assert!(!page.contains("<script>alert"), "{path}: unescaped script");
        assert!(!page.contains("<img src=x"), "{path}: unescaped markup");
        assert!(!page.contains("<b>bold</b>"), "{path}: unescaped buyer name");
    }
    let page = client
        .get(desk.app.url(&format!("/tickets/{id}")))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("alert(&#39;order note&#39;)") || page.contains("alert(&#x27;order note&#x27;)"),
        "the order note is shown, escaped"
    );
}
