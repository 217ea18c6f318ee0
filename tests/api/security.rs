//! Web hardening: CSRF on every state-changing browser request, security headers, no inline
//! scripts or styles, escaped text.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, browser_with, desk, html, sign_in};

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
        "/?view=mine".to_string(),
        format!("/tickets/{}", ticket["id"]),
        "/tickets/new?order_no=O-1".into(),
        "/follow-ups".into(),
    ] {
        let page = html(&client, desk.app.url(&path)).await.1;
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
        let page = html(&client, desk.app.url(&path)).await.1;
        for (i, _) in page.match_indices("<script") {
            let tag = &page[i..page[i..].find('>').map(|e| i + e).unwrap_or(page.len())];
            assert!(tag.contains(" src=\"/static/"), "{path}: inline script {tag}");
        }
        assert!(!page.contains(" style=\""), "{path}: inline style attribute");
        assert!(!page.contains("<script>alert"), "{path}: unescaped script");
        assert!(!page.contains("<img src=x"), "{path}: unescaped markup");
        assert!(!page.contains("<b>bold</b>"), "{path}: unescaped buyer name");
    }
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(
        page.contains("alert(&#39;order note&#39;)") || page.contains("alert(&#x27;order note&#x27;)"),
        "the order note is shown, escaped"
    );
}

/// Moves every stored sign-in failure `seconds` into the past, as if that much time had gone by.
/// (Row by row, the times counted here: on Citus, where the table is a reference table, an
/// UPDATE may not do time arithmetic on a column's value.)
async fn time_passes(pool: &sqlx::PgPool, seconds: i64) {
    type Row = (
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    );
    let rows: Vec<Row> =
        sqlx::query_as("SELECT scope, subject, window_started_at, last_failure_at FROM sign_in_throttle")
            .fetch_all(pool)
            .await
            .expect("the throttle's rows");
    let shift = chrono::Duration::seconds(seconds);
    for (scope, subject, window_started_at, last_failure_at) in rows {
        sqlx::query(
            "UPDATE sign_in_throttle SET window_started_at = $3, last_failure_at = $4 WHERE scope = $1 AND subject = $2",
        )
        .bind(scope)
        .bind(subject)
        .bind(window_started_at - shift)
        .bind(last_failure_at - shift)
        .execute(pool)
        .await
        .expect("shift the throttle's clock");
    }
}

async fn token_attempt(app: &crate::support::TestApp, login: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("post")
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds")
}

#[tokio::test]
async fn failed_sign_ins_earn_growing_short_delays_and_never_lock_out_the_right_password() {
    let desk = desk().await;
    let app = &desk.app;
    for _ in 0..3 {
        let wrong = token_attempt(app, "agent-a", "guess-guess").await;
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "the first failures cost nothing"
        );
    }
    let early = token_attempt(app, "agent-a", "password-agent-a").await;
    assert_eq!(
        early.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(retry_after(&early), 1);
    let body: serde_json::Value = early.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    // The login page says so too, in Chinese, with the seconds.
    let page = app
        .client
        .post(app.url("/login"))
        .form(&[("login", "AGENT-A"), ("password", "password-agent-a")])
        .send()
        .await
        .expect("post");
    assert_eq!(
        page.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "logins match without case"
    );
    assert_eq!(retry_after(&page), 1);
    assert!(
        page.text()
            .await
            .expect("text")
            .contains("登录失败次数过多，请 1 秒后再试")
    );

    time_passes(&app.pool, 1).await;
    let wrong = token_attempt(app, "agent-a", "guess-guess").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let early = token_attempt(app, "agent-a", "password-agent-a").await;
    assert_eq!(retry_after(&early), 2, "the delay doubles");
    time_passes(&app.pool, 1).await;
    assert_eq!(retry_after(&token_attempt(app, "agent-a", "password-agent-a").await), 1);
    time_passes(&app.pool, 1).await;
    let right = token_attempt(app, "agent-a", "password-agent-a").await;
    assert_eq!(
        right.status(),
        StatusCode::CREATED,
        "once the short delay ran, the right password works"
    );
    for _ in 0..3 {
        let wrong = token_attempt(app, "agent-a", "guess-guess").await;
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "the success cleared the count"
        );
    }
    // Another account is not held up.
    let other = token_attempt(app, "super-a", "password-super-a").await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_office_behind_one_address_is_not_locked_out_by_its_colleagues_mistakes() {
    let desk = desk().await;
    let app = &desk.app;
    for i in 0..25 {
        let wrong = token_attempt(app, &format!("typo-{i}"), "guess-guess").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let right = token_attempt(app, "agent-a", "password-agent-a").await;
    assert_eq!(right.status(), StatusCode::CREATED);
    // The address has a cap all the same: 300 failures in 15 minutes.
    sqlx::query("UPDATE sign_in_throttle SET failures = 300 WHERE scope = 'address'")
        .execute(&app.pool)
        .await
        .expect("update");
    let capped = token_attempt(app, "super-a", "password-super-a").await;
    assert_eq!(capped.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&capped) <= 15 * 60);
    time_passes(&app.pool, 15 * 60).await;
    let later = token_attempt(app, "super-a", "password-super-a").await;
    assert_eq!(later.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn two_server_processes_share_the_count_of_failed_sign_ins() {
    let desk = desk().await;
    for _ in 0..3 {
        let wrong = token_attempt(&desk.app, "agent-a", "guess-guess").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let second = crate::support::spawn_second_server(&desk.app).await;
    let response = second
        .client
        .post(second.url("/api/v1/auth/tokens"))
        .json(&json!({ "login": "agent-a", "password": "guess-again" }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn guessing_the_current_password_on_a_password_change_is_throttled_like_signing_in() {
    let desk = desk().await;
    let app = &desk.app;
    let change = |current: &'static str| {
        app.client
            .post(app.url("/api/v1/me/password"))
            .bearer_auth(&desk.agent_token)
            .json(&json!({ "current_password": current, "new_password": "a-new-secret-9" }))
            .send()
    };
    for _ in 0..3 {
        let wrong = change("guess-guess").await.expect("post");
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let early = change("password-agent-a").await.expect("post");
    assert_eq!(early.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&early), 1);
    // Signing in shares the count: it is the same account.
    assert_eq!(
        token_attempt(app, "agent-a", "password-agent-a").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    time_passes(&app.pool, 1).await;
    let right = change("password-agent-a").await.expect("post");
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn buyer_contact_details_are_in_full_for_agents_and_masked_for_owners_and_lists() {
    let desk = desk().await;
    let put = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/P-1", desk.shop),
            &desk.agent_token,
            json!({ "buyer": "tb_privacy", "buyer_name": "张三丰", "buyer_phone": "13912345678",
                    "buyer_address": "浙江省杭州市西湖区文三路100号",
                    "lines": [{ "sku": "P", "title": "商品", "quantity": 1, "unit_price_fen": 100 }] }),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED);
    let ticket = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "logistics", "order_no": "P-1", "reason": "logistics_stuck" }),
        )
        .await;
    let id = ticket.body["id"].as_i64().expect("id");
    let (_, owner) = desk
        .app
        .user("owner-p", aftersales::auth::Role::Owner, &[desk.shop])
        .await;

    let for_agent = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(for_agent.body["buyer_contact"]["phone"], "13912345678");
    let for_owner = desk.app.get(&format!("/api/v1/tickets/{id}"), &owner).await;
    assert_eq!(for_owner.body["buyer_contact"]["phone"], "139****5678");
    assert_eq!(for_owner.body["buyer_contact"]["address"], "浙江省****");
    assert_eq!(for_owner.body["buyer_contact"]["name"], "张**");

    let agent_page = browser(&desk.app, "agent-a").await;
    let page = html(&agent_page, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains("13912345678") && page.contains("文三路100号"));
    let owner_page = browser(&desk.app, "owner-p").await;
    let page = html(&owner_page, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains("139****5678") && !page.contains("13912345678") && !page.contains("文三路"));
    // Lists never carry contact details.
    let list = desk
        .app
        .get(&format!("/api/v1/shops/{}/tickets", desk.shop), &desk.agent_token)
        .await;
    assert!(!list.body.to_string().contains("13912345678"));
    let queue = html(&agent_page, desk.app.url("/")).await.1;
    assert!(!queue.contains("13912345678"));
}

#[tokio::test]
async fn admin_and_supervisor_actions_land_on_an_append_only_audit_log() {
    let desk = desk().await;
    let (_, admin) = desk.app.user("root-admin", aftersales::auth::Role::Admin, &[]).await;
    let created = desk
        .app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent-new", "password": "long-enough", "role": "agent", "shops": [desk.shop.0] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let ticket = desk.open("refund", "quality").await;
    let moved = desk
        .app
        .post(
            &format!("/api/v1/tickets/{}/assignment", ticket["id"]),
            &desk.supervisor_token,
            json!({ "assignee": desk.supervisor.0 }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let settings = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", desk.shop),
            &admin,
            json!({ "follow_up_hours": 12 }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK);

    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&desk.app.pool)
        .await
        .expect("log");
    assert_eq!(
        actions,
        vec!["user.created", "ticket.reassigned", "shop.settings_changed"]
    );
    let details: serde_json::Value = sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'user.created'")
        .fetch_one(&desk.app.pool)
        .await
        .expect("row");
    assert!(!details.to_string().contains("long-enough"), "no password in the log");
    assert!(
        sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(&desk.app.pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log")
            .execute(&desk.app.pool)
            .await
            .is_err()
    );

    let admin_page = browser(&desk.app, "root-admin").await;
    let page = html(&admin_page, desk.app.url("/admin")).await.1;
    assert!(page.contains("创建用户") && page.contains("转派工单") && page.contains("agent-new"));
    let agent = browser(&desk.app, "agent-a").await;
    assert_eq!(
        agent.get(desk.app.url("/admin")).send().await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    // An agent taking an unassigned ticket is ordinary work, not audited; giving it away is refused.
    let supervisor_ticket = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.supervisor_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "other" }),
        )
        .await;
    let path = format!("/api/v1/tickets/{}/assignment", supervisor_ticket.body["id"]);
    assert_eq!(
        desk.app
            .post(&path, &desk.agent_token, json!({ "assignee": desk.agent.0 }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        desk.app
            .post(&path, &desk.agent_token, json!({ "assignee": desk.supervisor.0 }))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action NOT LIKE 'auth.%'")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 3, "besides the two sign-ins");
}

#[tokio::test]
async fn an_authorization_header_that_is_not_a_bearer_token_does_not_excuse_a_cookie_session_from_csrf() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let (session, _) = sign_in(&desk.app, "agent-a").await;
    let no_header = browser_with(&desk.app, &session, None);
    for authorization in ["Basic eHl6OnN1cGVy", "Negotiate xyz", "Bearer"] {
        let forged = no_header
            .post(desk.app.url(&format!("/tickets/{id}/notes")))
            .header("authorization", authorization)
            .form(&[("text", "forged"), ("version", "1")])
            .send()
            .await
            .expect("post");
        assert!(
            forged.status() == StatusCode::FORBIDDEN || forged.status() == StatusCode::UNAUTHORIZED,
            "{authorization}: {}",
            forged.status()
        );
    }
    // The upload routes check the token themselves, by the same rule.
    let upload = no_header
        .post(desk.app.url("/import"))
        .header("authorization", "Basic eHl6OnN1cGVy")
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .expect("post");
    assert_eq!(upload.status(), StatusCode::FORBIDDEN);
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], 1, "nothing changed");
}

#[tokio::test]
async fn a_bearer_token_decides_who_is_asking_and_the_cookie_beside_it_is_ignored() {
    let desk = desk().await;
    let (session, _) = sign_in(&desk.app, "agent-a").await;
    let cookie_only = browser_with(&desk.app, &session, None);
    let me = cookie_only
        .get(desk.app.url("/api/v1/me"))
        .bearer_auth(&desk.supervisor_token)
        .send()
        .await
        .expect("get");
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["login"], "super-a", "the bearer token wins over the cookie");
    let unknown = cookie_only
        .get(desk.app.url("/api/v1/me"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("get");
    assert_eq!(
        unknown.status(),
        StatusCode::UNAUTHORIZED,
        "a bad bearer token does not fall back to the cookie"
    );
    // With a bearer token no CSRF token is needed, cookie or not.
    let ticket = desk.open("complaint", "quality").await;
    let noted = cookie_only
        .post(desk.app.url(&format!("/api/v1/tickets/{}/notes", ticket["id"])))
        .bearer_auth(&desk.agent_token)
        .json(&json!({ "text": "跟进" }))
        .send()
        .await
        .expect("post");
    assert!(noted.status().is_success(), "{}", noted.status());
}

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused_with_the_login_page() {
    let desk = desk().await;
    let host = desk.app.address.trim_start_matches("http://").to_string();
    let credentials = [("login", "agent-a"), ("password", "password-agent-a"), ("next", "/")];
    for (name, value) in [
        ("origin", "https://evil.example".to_string()),
        ("origin", "null".to_string()),
        ("sec-fetch-site", "cross-site".to_string()),
        ("sec-fetch-site", "same-site".to_string()),
    ] {
        let refused = desk
            .app
            .client
            .post(desk.app.url("/login"))
            .header(name, value.as_str())
            .form(&credentials)
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(
            !refused.headers().contains_key("set-cookie"),
            "no session for {name}: {value}"
        );
        let page = refused.text().await.expect("text");
        assert!(
            page.contains("此登录请求来自其他网站") && page.contains("name=\"password\""),
            "{page}"
        );
    }
    for headers in [
        vec![("origin", format!("http://{host}"))],
        vec![("sec-fetch-site", "same-origin".to_string())],
        vec![("sec-fetch-site", "none".to_string())],
        vec![],
    ] {
        let mut request = desk.app.client.post(desk.app.url("/login")).form(&credentials);
        for (name, value) in &headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{headers:?}");
    }
}

/// The app over a fresh database with these transport settings, and a user `agent-t`.
async fn app_with_transport(transport: aftersales::web::transport::Transport) -> crate::support::TestApp {
    let (pool, db_options, admin_options) = crate::support::fresh_database().await;
    let state = aftersales::state::AppState::new(pool)
        .with_clock(aftersales::clock::Clock::fixed(crate::support::test_now()))
        .with_transport(transport);
    let app = crate::support::serve(state, db_options, admin_options).await;
    app.user("agent-t", aftersales::auth::Role::Agent, &[]).await;
    app
}

/// Signs in through the form, with extra headers; the session cookie as set and the HSTS header.
async fn login_cookie(app: &crate::support::TestApp, headers: &[(&str, &str)]) -> (String, Option<String>) {
    let mut request = app.client.post(app.url("/login")).form(&[
        ("login", "agent-t"),
        ("password", "password-agent-t"),
        ("next", "/"),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"].to_str().expect("cookie").to_string();
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().expect("hsts").to_string());
    (cookie, hsts)
}

fn is_secure(cookie: &str) -> bool {
    cookie.split(';').any(|part| part.trim() == "Secure")
}

#[tokio::test]
async fn an_https_public_url_makes_the_session_cookie_secure_and_adds_hsts() {
    let app = app_with_transport(aftersales::web::transport::Transport {
        public_url: Some(aftersales::web::transport::PublicUrl::parse("https://desk.example.com").expect("url")),
        trusted_proxies: vec![],
    })
    .await;
    let (cookie, hsts) = login_cookie(&app, &[]).await;
    assert!(is_secure(&cookie) && cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!(hsts.as_deref(), Some("max-age=31536000"));
    let page = app.client.get(app.url("/login")).send().await.expect("get");
    assert!(page.headers().contains_key("strict-transport-security"));
    // A sign-in posted from the public origin is the desk's own, even behind a proxy.
    let (cookie, _) = login_cookie(&app, &[("origin", "https://desk.example.com")]).await;
    assert!(is_secure(&cookie));
}

#[tokio::test]
async fn forwarded_proto_from_a_trusted_proxy_makes_the_session_cookie_secure() {
    let app = app_with_transport(aftersales::web::transport::Transport {
        public_url: None,
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
    })
    .await;
    let (cookie, hsts) = login_cookie(&app, &[("x-forwarded-proto", "https")]).await;
    assert!(is_secure(&cookie), "{cookie}");
    assert!(hsts.is_some());
    let (cookie, hsts) = login_cookie(&app, &[("x-forwarded-proto", "http")]).await;
    assert!(
        !is_secure(&cookie) && hsts.is_none(),
        "plain http stays plain: {cookie}"
    );
}

#[tokio::test]
async fn forwarded_proto_from_an_untrusted_address_is_ignored() {
    let app = app_with_transport(aftersales::web::transport::Transport {
        public_url: None,
        trusted_proxies: vec!["10.9.9.9".parse().expect("ip")],
    })
    .await;
    let (cookie, hsts) = login_cookie(&app, &[("x-forwarded-proto", "https")]).await;
    assert!(!is_secure(&cookie), "{cookie}");
    assert!(hsts.is_none());
    let plain = app_with_transport(aftersales::web::transport::Transport::default()).await;
    let (cookie, hsts) = login_cookie(&plain, &[("x-forwarded-proto", "https")]).await;
    assert!(!is_secure(&cookie) && hsts.is_none(), "{cookie}");
}

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_are_audited_with_the_address() {
    let desk = desk().await;
    let wrong = token_attempt(&desk.app, "agent-a", "guess-guess").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = token_attempt(&desk.app, "nobody-here", "guess-guess").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    sign_in(&desk.app, "agent-a").await;
    let entries: Vec<(Option<i64>, String, String, serde_json::Value)> =
        sqlx::query_as("SELECT actor_id, action, subject, details FROM audit_log ORDER BY id")
            .fetch_all(&desk.app.pool)
            .await
            .expect("log");
    let summary: Vec<(Option<i64>, &str, &str, &str)> = entries
        .iter()
        .map(|(actor, action, subject, details)| {
            (
                *actor,
                action.as_str(),
                subject.as_str(),
                details["address"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (None, "auth.sign_in_failed", "agent-a", "127.0.0.1"),
            (None, "auth.sign_in_failed", "nobody-here", "127.0.0.1"),
            (Some(desk.agent.0), "auth.signed_in", "agent-a", "127.0.0.1"),
        ]
    );
    assert!(
        !format!("{entries:?}").contains("guess-guess"),
        "no password in the log"
    );
    desk.app.user("root-admin", aftersales::auth::Role::Admin, &[]).await;
    let page = html(&browser(&desk.app, "root-admin").await, desk.app.url("/admin"))
        .await
        .1;
    assert!(page.contains("登录失败") && page.contains("nobody-here"));
}
