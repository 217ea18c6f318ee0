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
