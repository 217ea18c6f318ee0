//! Users administered in the browser: an admin creates a user (a generated password shown
//! once), changes role and shops, deactivates (the user's open session is refused at once),
//! resets a password; everyone changes their own password on the account page.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, browser_with, html, sign_in_with, spawn_app};
use aftersales::auth::Role;

/// The generated password the users page shows once.
fn shown_password(page: &str) -> String {
    let start =
        page.find("id=\"shown-password-value\">").expect("a password is shown") + "id=\"shown-password-value\">".len();
    page[start..].split('<').next().expect("password").to_string()
}

#[tokio::test]
async fn an_admin_creates_an_agent_who_changes_the_password_and_is_signed_out_when_deactivated() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    app.user("root-admin", Role::Admin, &[shop]).await;
    let admin = browser(&app, "root-admin").await;

    // Wrong input comes back next to its field, with what was typed.
    let refused = admin
        .post(app.url("/admin/users"))
        .form(&[
            ("login", "新 客服"),
            ("display_name", "小周"),
            ("role", "agent"),
            ("shops", &shop.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("text");
    assert!(
        page.contains("id=\"new-login-error\"") && page.contains("登录名需 2–64 个字符"),
        "{page}"
    );
    assert!(page.contains("value=\"小周\""), "what was typed is kept");

    let created = admin
        .post(app.url("/admin/users"))
        .form(&[
            ("login", "zhou"),
            ("display_name", "小周"),
            ("role", "agent"),
            ("shops", &shop.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), StatusCode::OK);
    let page = created.text().await.expect("text");
    assert!(page.contains("新密码（只显示这一次）") && page.contains("已创建用户 zhou"));
    let password = shown_password(&page);
    assert_eq!(password.len(), 14);
    let again = html(&admin, app.url("/admin/users")).await.1;
    assert!(!again.contains(&password), "shown once");
    let taken = admin
        .post(app.url("/admin/users"))
        .form(&[("login", "ZHOU"), ("display_name", ""), ("role", "agent")])
        .send()
        .await
        .expect("post");
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.expect("text").contains("登录名 ZHOU 已被使用"));

    // The agent signs in with it and changes it on the account page.
    let (session, csrf) = sign_in_with(&app, "zhou", &password).await;
    let agent = browser_with(&app, &session, Some(&csrf));
    let account = html(&agent, app.url("/account")).await;
    assert_eq!(account.0, StatusCode::OK);
    assert!(account.1.contains("我的账号") && account.1.contains("href=\"/account\""));
    let mismatch = agent
        .post(app.url("/account"))
        .form(&[
            ("current_password", password.as_str()),
            ("new_password", "zhou-new-pass-1"),
            ("confirm_password", "zhou-new-pass-2"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text()
            .await
            .expect("text")
            .contains("id=\"confirm-password-error\"")
    );
    let wrong = agent
        .post(app.url("/account"))
        .form(&[
            ("current_password", "not-the-password"),
            ("new_password", "zhou-new-pass-1"),
            ("confirm_password", "zhou-new-pass-1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.expect("text").contains("当前密码不对"));
    let changed = agent
        .post(app.url("/account"))
        .form(&[
            ("current_password", password.as_str()),
            ("new_password", "zhou-new-pass-1"),
            ("confirm_password", "zhou-new-pass-1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        html(&agent, app.url("/?view=mine")).await.0,
        StatusCode::OK,
        "this session goes on"
    );
    let (session, csrf) = sign_in_with(&app, "zhou", "zhou-new-pass-1").await;
    let agent = browser_with(&app, &session, Some(&csrf));

    // The admin deactivates the agent: the open session is refused at once.
    let users = app.get("/api/v1/users", &admin_token(&app).await).await;
    let id = users
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["login"] == "zhou")
        .expect("zhou")["id"]
        .as_i64()
        .expect("id");
    let deactivated = admin
        .post(app.url(&format!("/admin/users/{id}/deactivate")))
        .send()
        .await
        .expect("post");
    assert_eq!(deactivated.status(), StatusCode::SEE_OTHER);
    let refused = agent.get(app.url("/?view=mine")).send().await.expect("get");
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert!(
        refused.headers()["location"]
            .to_str()
            .expect("location")
            .starts_with("/login")
    );
    let no_sign_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/login"))
        .form(&[("login", "zhou"), ("password", "zhou-new-pass-1"), ("next", "/")])
        .send()
        .await
        .expect("post");
    assert_ne!(
        no_sign_in.status(),
        StatusCode::SEE_OTHER,
        "a deactivated user cannot sign in"
    );
    let list = html(&admin, app.url("/admin/users")).await.1;
    assert!(list.contains("已停用"), "the list says so");
    let audit = html(&admin, app.url("/admin")).await.1;
    assert!(audit.contains("修改用户") && audit.contains("修改密码") && audit.contains("创建用户"));
}

async fn admin_token(app: &crate::support::TestApp) -> String {
    let answer = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({ "login": "root-admin", "password": "password-root-admin" }),
        )
        .await;
    answer.body["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn an_admin_changes_role_and_shops_resets_a_password_and_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let (a, b) = (app.shop("shop-a").await, app.shop("shop-b").await);
    let (admin_id, admin) = app.user("root-admin", Role::Admin, &[a, b]).await;
    let (agent_id, agent_token) = app.user("agent-x", Role::Agent, &[a]).await;
    let changed = app
        .patch(
            &format!("/api/v1/users/{agent_id}"),
            &admin,
            json!({ "role": "supervisor", "shops": [a.0, b.0], "display_name": "组长 X" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    let users = app.get("/api/v1/users", &admin).await;
    let row = users
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["login"] == "agent-x")
        .expect("row")
        .clone();
    assert_eq!(row["role"], "supervisor");
    assert_eq!(row["shops"], json!([a.0, b.0]));
    assert_eq!(row["display_name"], "组长 X");
    let me = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            &admin,
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(me.body["error"]["details"]["field"], "disabled");
    let demote = app
        .patch(&format!("/api/v1/users/{admin_id}"), &admin, json!({ "role": "agent" }))
        .await;
    assert_eq!(demote.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .patch(
            &format!("/api/v1/users/{agent_id}"),
            &admin,
            json!({ "shops": [999999] }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["error"]["details"]["field"], "shops");

    let reset = app
        .post(&format!("/api/v1/users/{agent_id}/password-reset"), &admin, json!({}))
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    let password = reset.body["password"].as_str().expect("password").to_string();
    assert_eq!(
        app.get("/api/v1/me", &agent_token).await.status,
        StatusCode::UNAUTHORIZED,
        "old token ended"
    );
    let (_session, _csrf) = sign_in_with(&app, "agent-x", &password).await;
    let denied = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            &password,
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let by_agent = app
        .get("/api/v1/users", &app.user("agent-y", Role::Agent, &[a]).await.1)
        .await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
}
