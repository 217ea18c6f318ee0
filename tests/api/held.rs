//! A token's holder kept in memory (`auth::held`): read once while the server hears the
//! credentials' announcements, read again after any change — at once for a change this server
//! made, as soon as it is heard for another server's — and every time while nothing is heard.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, spawn_app, spawn_second_server};
use aftersales::auth::Role;

/// A server whose kept holders count only the changes it hears: the other tests of this
/// process, each on its own database, announce changes of their own at any moment, and those
/// count in the process's count.
async fn apart() -> TestApp {
    crate::support::spawn_app_with(crate::support::test_now(), |state| {
        state.with_holders(aftersales::auth::held::Holders::counted_apart())
    })
    .await
}

/// Starts `app`'s live listener and waits until it hears.
async fn hearing(app: &TestApp) {
    app.state.live.start(&app.pool);
    eventually("the listener hears", || async { app.state.holders.is_hearing() }).await;
}

/// Waits (up to ten seconds) for `what` to hold; an announcement is heard in milliseconds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: not within ten seconds");
}

/// Ends a token by hand, as someone at the database would, without announcing it.
async fn delete_by_hand(app: &TestApp, token: &str) {
    let done = sqlx::query("DELETE FROM auth_tokens WHERE token_hash = $1")
        .bind(aftersales::auth::tokens::digest(token).to_vec())
        .execute(&app.pool)
        .await
        .expect("delete the token");
    assert_eq!(done.rows_affected(), 1);
}

async fn status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/me", token).await.status
}

#[tokio::test]
async fn while_nothing_is_heard_the_holder_is_read_every_time() {
    let app = spawn_app().await;
    let shop = app.shop("held-a").await;
    let (_, token) = app.user("agent-held-a", Role::Agent, &[shop]).await;
    assert_eq!(status(&app, &token).await, StatusCode::OK);
    assert!(app.state.holders.is_empty(), "nothing kept without the listener");
    delete_by_hand(&app, &token).await;
    assert_eq!(status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_holder_heard_is_kept_until_a_change_is_announced() {
    let app = apart().await;
    let shop = app.shop("held-b").await;
    let (_, token) = app.user("agent-held-b", Role::Agent, &[shop]).await;
    // Heard from after the shop and the user are made: their announcements, heard a moment
    // later, would drop the holder kept in between (as they should), and under load that moment
    // can come after the first request.
    hearing(&app).await;
    assert_eq!(status(&app, &token).await, StatusCode::OK);
    assert_eq!(app.state.holders.len(), 1);

    // Ended by hand without a word: the kept holder still answers (for at most `KEPT_FOR`).
    delete_by_hand(&app, &token).await;
    assert_eq!(status(&app, &token).await, StatusCode::OK, "kept, not read again");

    // Announced from another connection (another server, a person at the database): heard, and
    // the token is read again and refused.
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(aftersales::auth::held::CHANNEL)
        .execute(&app.pool)
        .await
        .expect("announce");
    eventually("the announcement is heard", || async {
        status(&app, &token).await == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn changes_made_through_the_desk_count_at_once_here_and_are_heard_by_another_server() {
    let app = spawn_app().await;
    let other = spawn_second_server(&app).await;
    hearing(&app).await;
    hearing(&other).await;
    let shop = app.shop("held-c").await;
    let (_, admin) = app.user("admin-held-c", Role::Admin, &[]).await;
    let (agent_id, agent) = app.user("agent-held-c", Role::Agent, &[shop]).await;
    for server in [&app, &other] {
        let me = server.get("/api/v1/me", &agent).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["role"], "agent");
    }

    // A new name and role: this server answers with them at once, the other once it hears.
    let changed = app
        .patch(
            &format!("/api/v1/users/{}", agent_id.0),
            &admin,
            json!({ "display_name": "组长小王", "role": "supervisor" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    let me = app.get("/api/v1/me", &agent).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["display_name"].as_str()),
        (Some("supervisor"), Some("组长小王"))
    );
    eventually("the other server hears of the new role", || async {
        other.get("/api/v1/me", &agent).await.body["role"] == "supervisor"
    })
    .await;

    // A shop added: the admin, who sees every shop, sees it at once.
    let shops = app.get("/api/v1/shops", &admin).await;
    assert_eq!(shops.body.as_array().map(Vec::len), Some(1));
    let created = app
        .post("/api/v1/shops", &admin, json!({ "code": "held-c2", "name": "新店" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let me = app.get("/api/v1/me", &admin).await;
    assert_eq!(me.body["shops"].as_array().map(Vec::len), Some(2), "{:?}", me.body);

    // Deactivated: refused here at once, and by the other server once it hears.
    let disabled = app
        .patch(
            &format!("/api/v1/users/{}", agent_id.0),
            &admin,
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{:?}", disabled.body);
    assert_eq!(status(&app, &agent).await, StatusCode::UNAUTHORIZED);
    eventually("the other server hears of the deactivation", || async {
        status(&other, &agent).await == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn a_token_ended_by_its_holder_is_refused_by_the_next_request() {
    let app = spawn_app().await;
    hearing(&app).await;
    let shop = app.shop("held-d").await;
    app.user("agent-held-d", Role::Agent, &[shop]).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let issued = app
            .post(
                "/api/v1/auth/tokens",
                "",
                json!({ "login": "agent-held-d", "password": "password-agent-held-d" }),
            )
            .await;
        assert_eq!(issued.status, StatusCode::CREATED);
        tokens.push(issued.body["token"].as_str().expect("token").to_string());
    }
    for token in &tokens {
        assert_eq!(status(&app, token).await, StatusCode::OK);
    }
    let ended = app
        .client
        .delete(format!("{}/api/v1/auth/tokens/current", app.address))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .expect("sign out");
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&app, &tokens[0]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(&app, &tokens[1]).await,
        StatusCode::OK,
        "the other token lives on"
    );

    // A new password ends the other sessions at once.
    assert_eq!(status(&app, &tokens[2]).await, StatusCode::OK);
    let changed = app
        .post(
            "/api/v1/me/password",
            &tokens[1],
            json!({ "current_password": "password-agent-held-d", "new_password": "a-new-password-2026" }),
        )
        .await;
    assert!(changed.status.is_success(), "{:?}", changed.body);
    assert_eq!(status(&app, &tokens[2]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(&app, &tokens[1]).await,
        StatusCode::OK,
        "the session that changed it lives on"
    );
}

#[tokio::test]
async fn a_lost_listener_keeps_nothing_until_it_hears_again() {
    let app = apart().await;
    let shop = app.shop("held-e").await;
    let (_, token) = app.user("agent-held-e", Role::Agent, &[shop]).await;
    hearing(&app).await;
    assert_eq!(status(&app, &token).await, StatusCode::OK);
    assert_eq!(app.state.holders.len(), 1);

    // The listener's connection is ended from the database's side.
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity a, pg_terminate_backend(a.pid) t
         WHERE a.datname = current_database() AND a.query LIKE 'LISTEN%' AND t",
    )
    .fetch_one(&app.pool)
    .await
    .expect("end the listener");
    assert!(ended >= 1, "a listening connection was found");
    eventually("what was kept is dropped", || async { app.state.holders.is_empty() }).await;
    eventually("the listener hears again", || async { app.state.holders.is_hearing() }).await;

    // Nothing kept from before: the token ended by hand meanwhile is read, and refused.
    delete_by_hand(&app, &token).await;
    assert_eq!(status(&app, &token).await, StatusCode::UNAUTHORIZED);
}
