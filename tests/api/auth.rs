//! Signing in over the API, tokens, and the admin endpoints.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::spawn_app;
use aftersales::auth::Role;

#[tokio::test]
async fn a_token_is_issued_for_the_right_password_only() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    app.user("agent-a", Role::Agent, &[shop]).await;
    let wrong = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-a", "password": "nope-nope" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error_code(), "invalid_credentials");
    let unknown = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "ghost", "password": "whatever1" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let right = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-a", "password": "password-agent-a" }),
        )
        .await;
    assert_eq!(right.status, StatusCode::CREATED);
    let token = right.body["token"].as_str().expect("token").to_string();
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["login"], "agent-a");
    assert_eq!(me.body["role"], "agent");
    assert_eq!(me.body["shops"], json!([shop.0]));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM auth_tokens WHERE token_hash = convert_to($1, 'UTF8')")
        .bind(&token)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "the token itself is never stored");
    let revoked = app
        .client
        .delete(app.url("/api/v1/auth/tokens/current"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn requests_without_a_token_get_401_with_a_hint() {
    let app = spawn_app().await;
    let answer = app.get("/api/v1/shops", "not-a-token").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.error_message().contains("/api/v1/auth/tokens"));
}

#[tokio::test]
async fn disabled_users_are_locked_out_at_once() {
    let app = spawn_app().await;
    let (id, token) = app.user("agent-x", Role::Agent, &[]).await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    sqlx::query("UPDATE users SET disabled = true WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("disable");
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admins_create_shops_and_users_and_others_may_not() {
    let app = spawn_app().await;
    let (_, admin) = app.user("root-admin", Role::Admin, &[]).await;
    let shop = app
        .post(
            "/api/v1/shops",
            &admin,
            json!({ "code": "tea-house", "name": "茶叶旗舰店" }),
        )
        .await;
    assert_eq!(shop.status, StatusCode::CREATED, "{:?}", shop.body);
    assert_eq!(shop.body["time_zone"], "Asia/Shanghai");
    assert_eq!(shop.body["return_window_days"], 7);
    let shop_id = shop.body["id"].as_i64().expect("id");
    let again = app
        .post(
            "/api/v1/shops",
            &admin,
            json!({ "code": "tea-house", "name": "又一个" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad = app
        .post("/api/v1/shops", &admin, json!({ "code": "Tea House", "name": "x" }))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["details"]["field"], "code");
    let short_window = app
        .post(
            "/api/v1/shops",
            &admin,
            json!({ "code": "tea2", "name": "x", "return_window_days": 3 }),
        )
        .await;
    assert_eq!(short_window.body["error"]["details"]["field"], "return_window_days");

    let user = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent-tea", "password": "long-enough", "role": "agent", "shops": [shop_id] }),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{:?}", user.body);
    let weak = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent-2", "password": "short", "role": "agent" }),
        )
        .await;
    assert_eq!(weak.body["error"]["details"]["field"], "password");
    let dup = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent-tea", "password": "long-enough", "role": "agent" }),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let no_shop = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent-3", "password": "long-enough", "role": "agent", "shops": [999] }),
        )
        .await;
    assert_eq!(no_shop.body["error"]["details"]["field"], "shops");

    let signed_in = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-tea", "password": "long-enough" }),
        )
        .await;
    let agent = signed_in.body["token"].as_str().expect("token");
    let listed = app.get("/api/v1/shops", agent).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    let forbidden = app
        .post("/api/v1/shops", agent, json!({ "code": "mine", "name": "我的" }))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let forbidden = app
        .post(
            "/api/v1/users",
            agent,
            json!({ "login": "x2", "password": "long-enough", "role": "admin" }),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_changes_a_shops_rule_settings_and_new_tickets_follow_them() {
    let app = spawn_app().await;
    let (_, admin) = app.user("root-admin", Role::Admin, &[]).await;
    let shop = app
        .post(
            "/api/v1/shops",
            &admin,
            json!({ "code": "long-window", "name": "十五天无理由店" }),
        )
        .await;
    let id = shop.body["id"].as_i64().expect("id");
    assert_eq!(
        shop.body["platform_timers"]["answer_shipped_days"], 5,
        "platform defaults"
    );
    let path = format!("/api/v1/shops/{id}/settings");
    let changed = app
        .put(
            &path,
            &admin,
            json!({ "return_window_days": 15, "follow_up_hours": 12, "platform_timers": { "answer_shipped_days": 3 } }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["return_window_days"], 15);
    assert_eq!(changed.body["follow_up_hours"], 12);
    assert_eq!(changed.body["platform_timers"]["answer_shipped_days"], 3);
    assert_eq!(
        changed.body["platform_timers"]["seller_confirm_days"], 10,
        "unnamed timers keep their defaults"
    );
    let bad = app.put(&path, &admin, json!({ "time_zone": "Mars/Olympus" })).await;
    assert_eq!(bad.body["error"]["details"]["field"], "time_zone");
    let zero = app
        .put(&path, &admin, json!({ "platform_timers": { "buyer_ship_days": 0 } }))
        .await;
    assert_eq!(zero.body["error"]["details"]["field"], "platform_timers");

    let shop_id = aftersales::ids::ShopId(id);
    let (_, agent) = app.user("agent-lw", Role::Agent, &[shop_id]).await;
    assert_eq!(
        app.put(&path, &agent, json!({ "follow_up_hours": 48 })).await.status,
        StatusCode::FORBIDDEN
    );
    let signed = (app.now() - chrono::Duration::days(12)).to_rfc3339();
    app.order(&agent, shop_id, "LW-1", json!(signed), "none").await;
    let ticket = app
        .post(
            &format!("/api/v1/shops/{id}/tickets"),
            &agent,
            json!({ "kind": "return", "order_no": "LW-1", "reason": "no_reason" }),
        )
        .await;
    assert_eq!(
        ticket.status,
        StatusCode::CREATED,
        "day 12 is inside a 15-day window: {:?}",
        ticket.body
    );
    assert_eq!(ticket.body["seven_day"]["verdict"], "eligible");
    let opened = chrono::DateTime::parse_from_rfc3339(ticket.body["opened_at"].as_str().expect("opened")).expect("t");
    let due = chrono::DateTime::parse_from_rfc3339(ticket.body["follow_up_due_at"].as_str().expect("due")).expect("t");
    assert_eq!(due - opened, chrono::Duration::hours(12));
    let timer =
        chrono::DateTime::parse_from_rfc3339(ticket.body["timers"][0]["deadline"].as_str().expect("timer")).expect("t");
    assert_eq!(timer - opened, chrono::Duration::days(3));
}

#[tokio::test]
async fn tokens_are_listed_without_their_secret_and_can_be_revoked() {
    let app = spawn_app().await;
    app.user("agent-t", Role::Agent, &[]).await;
    let first = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-t", "password": "password-agent-t" }),
        )
        .await;
    let second = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-t", "password": "password-agent-t" }),
        )
        .await;
    let (first, second) = (
        first.body["token"].as_str().expect("t").to_string(),
        second.body["token"].as_str().expect("t").to_string(),
    );
    let listed = app.get("/api/v1/auth/tokens", &first).await;
    let items = listed.body.as_array().expect("list");
    assert!(items.len() >= 3, "two API tokens and the harness's: {items:?}");
    assert!(
        !listed.body.to_string().contains(&first) && !listed.body.to_string().contains(&second),
        "secrets never listed"
    );
    let current: Vec<&serde_json::Value> = items.iter().filter(|t| t["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let other = items.iter().find(|t| t["current"] == false).expect("another token");
    let id = other["id"].as_str().expect("id");
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/auth/tokens/{id}")))
        .bearer_auth(&first)
        .send()
        .await
        .expect("delete");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let again = app
        .client
        .delete(app.url(&format!("/api/v1/auth/tokens/{id}")))
        .bearer_auth(&first)
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/auth/tokens", &first)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(items.len() - 1)
    );
}

#[tokio::test]
async fn a_password_change_needs_the_old_password_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (_, old_token) = app.user("agent-p", Role::Agent, &[]).await;
    let fresh = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-p", "password": "password-agent-p" }),
        )
        .await;
    let current = fresh.body["token"].as_str().expect("token").to_string();
    let wrong = app
        .post(
            "/api/v1/me/password",
            &current,
            json!({ "current_password": "nope", "new_password": "new-secret-1" }),
        )
        .await;
    assert_eq!(wrong.body["error"]["details"]["field"], "current_password");
    let weak = app
        .post(
            "/api/v1/me/password",
            &current,
            json!({ "current_password": "password-agent-p", "new_password": "short" }),
        )
        .await;
    assert_eq!(weak.body["error"]["details"]["field"], "new_password");
    let changed = app
        .client
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(&current)
        .json(&json!({ "current_password": "password-agent-p", "new_password": "new-secret-1" }))
        .send()
        .await
        .expect("post");
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &current).await.status,
        StatusCode::OK,
        "the session that changed it stays"
    );
    assert_eq!(
        app.get("/api/v1/me", &old_token).await.status,
        StatusCode::UNAUTHORIZED,
        "other tokens end"
    );
    let old = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-p", "password": "password-agent-p" }),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "agent-p", "password": "new-secret-1" }),
        )
        .await;
    assert_eq!(new.status, StatusCode::CREATED);
}

#[tokio::test]
async fn short_common_and_login_passwords_are_refused_on_creation_and_change_with_the_reason() {
    let app = spawn_app().await;
    let (_, admin) = app.user("root-admin", Role::Admin, &[]).await;
    for (password, reason) in [
        ("12345678", "至少需要 10 个字符"),
        ("1234567890", "太常见"),
        ("Woaini1314", "太常见"),
        ("password123", "太常见"),
        ("agent-nine", "不能与账号相同"),
    ] {
        let refused = app
            .post(
                "/api/v1/users",
                &admin,
                json!({ "login": "agent-nine", "password": password, "role": "agent" }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert_eq!(refused.body["error"]["details"]["field"], "password", "{password}");
        assert!(
            refused.error_message().contains(reason),
            "{password}: {}",
            refused.error_message()
        );
    }
    let english = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({ "login": "agent-nine", "password": "qwertyuiop", "role": "agent" }))
        .send()
        .await
        .expect("post");
    let body: serde_json::Value = english.json().await.expect("json");
    assert!(
        body["error"]["message"].as_str().unwrap_or("").contains("too common"),
        "{body}"
    );
    let nobody: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE login = 'agent-nine'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(nobody, 0);

    let (_, agent) = app.user("agent-p", Role::Agent, &[]).await;
    for weak in ["a123456789", "agent-p", "123qweasd"] {
        let refused = app
            .post(
                "/api/v1/me/password",
                &agent,
                json!({ "current_password": "password-agent-p", "new_password": weak }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert_eq!(refused.body["error"]["details"]["field"], "new_password", "{weak}");
    }
    let same_as_login = app
        .post(
            "/api/v1/me/password",
            &agent,
            json!({ "current_password": "password-agent-p", "new_password": "Agent-P123" }),
        )
        .await;
    assert_eq!(
        same_as_login.status,
        StatusCode::NO_CONTENT,
        "only the login itself is refused"
    );
}

#[tokio::test]
async fn logins_are_unique_without_regard_to_case_and_sign_in_matches_either_spelling() {
    let app = spawn_app().await;
    let (_, admin) = app.user("root-admin", Role::Admin, &[]).await;
    let created = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "Agent1", "password": "long-enough", "role": "agent" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let twin = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "login": "agent1", "password": "long-enough-2", "role": "admin" }),
        )
        .await;
    assert_eq!(twin.status, StatusCode::CONFLICT, "{:?}", twin.body);
    assert_eq!(twin.error_code(), "login_taken");
    for spelling in ["agent1", "AGENT1", "Agent1"] {
        let signed_in = app
            .post(
                "/api/v1/auth/tokens",
                "",
                json!({ "login": spelling, "password": "long-enough" }),
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::CREATED, "{spelling}");
        let me = app
            .get("/api/v1/me", signed_in.body["token"].as_str().expect("token"))
            .await;
        assert_eq!(me.body["login"], "Agent1", "{spelling}");
    }
}

#[tokio::test]
async fn the_migration_renames_logins_that_differ_only_in_case_and_records_it() {
    let pool = crate::support::empty_pool().await;
    aftersales::db::MIGRATOR
        .run_to(20261201000030, &pool)
        .await
        .expect("migrations before the change");
    let long = format!("A{}", "b".repeat(63));
    for login in [
        "Agent1",
        "agent1",
        "AGENT1",
        "other",
        long.as_str(),
        long.to_lowercase().as_str(),
    ] {
        sqlx::query("INSERT INTO users (login, display_name, role, password_hash) VALUES ($1, $1, 'agent', 'x')")
            .bind(login)
            .execute(&pool)
            .await
            .expect("insert");
    }
    aftersales::db::MIGRATOR
        .run(&pool)
        .await
        .expect("the migration succeeds on duplicates");
    let logins: Vec<(i64, String)> = sqlx::query_as("SELECT id, login FROM users ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("users");
    let shortened = format!("{}-dup-6", &long.to_lowercase()[..58]);
    assert_eq!(
        logins,
        vec![
            (1, "Agent1".to_string()),
            (2, "agent1-dup-2".to_string()),
            (3, "AGENT1-dup-3".to_string()),
            (4, "other".to_string()),
            (5, long.clone()),
            (6, shortened.clone()),
        ]
    );
    assert_eq!(shortened.len(), 64);
    let renamed: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT subject, details FROM audit_log WHERE action = 'user.renamed' ORDER BY subject")
            .fetch_all(&pool)
            .await
            .expect("audit");
    assert_eq!(renamed.len(), 3);
    assert!(
        renamed
            .iter()
            .any(|(subject, details)| subject == "agent1-dup-2" && details["from"] == "agent1")
    );
    let twin =
        sqlx::query("INSERT INTO users (login, display_name, role, password_hash) VALUES ('OTHER', 'x', 'agent', 'x')")
            .execute(&pool)
            .await;
    assert!(twin.is_err(), "the database itself refuses a second spelling");
}
