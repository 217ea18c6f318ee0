//! Alerts outside the desk: webhooks and their outbox. A small HTTP receiver on 127.0.0.1,
//! started by each test, records what arrives; the delivery workers of two servers share one
//! database; retries are reached by moving the desk's clock, never by sleeping.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales::webhooks::send::Sender;
use aftersales::webhooks::worker::Worker;
use axum::http::{HeaderMap, Uri};
use base64::Engine;
use hmac::{KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, TestApp, desk, html, spawn_second_server};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A receiver on a random loopback port: answers the statuses given in turn (then 200), with
/// `answer` as the body, and records every request.
struct Receiver {
    address: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(statuses: Vec<u16>, answer: &'static str) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::<Received>::new()));
        let statuses = Arc::new(Mutex::new(statuses.into_iter()));
        let record = received.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
            let record = record.clone();
            let statuses = statuses.clone();
            async move {
                record.lock().expect("lock").push(Received {
                    uri: uri.to_string(),
                    headers,
                    body: body.to_vec(),
                });
                let status = statuses.lock().expect("lock").next().unwrap_or(200);
                (axum::http::StatusCode::from_u16(status).expect("status"), answer)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver runs");
        });
        Receiver { address, received }
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// The delivery worker of a server (its pool, the desk's clock).
fn worker(app: &TestApp) -> Worker {
    Worker {
        pool: app.pool.clone(),
        sender: Sender::new(Duration::from_secs(5)),
        clock: app.clock.clone(),
        base_url: Some("https://desk.example.com".into()),
    }
}

/// Adds a hook through the page as the supervisor; answers its id.
async fn add_hook(desk: &Desk, name: &str, format: &str, url: &str, secret: &str, events: &[&str]) -> i64 {
    let client = desk.browser("super-a").await;
    let shop = desk.shop.to_string();
    let mut form = vec![
        ("shop", shop.as_str()),
        ("name", name),
        ("format", format),
        ("url", url),
        ("secret", secret),
        ("active", "yes"),
    ];
    form.extend(events.iter().map(|e| ("events", *e)));
    let response = client
        .post(desk.app.url("/settings/webhooks"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap_or_default()
    );
    sqlx::query_scalar("SELECT max(id) FROM webhooks WHERE shop_id = $1")
        .bind(desk.shop)
        .fetch_one(&desk.app.pool)
        .await
        .expect("hook id")
}

/// Outbox rows of a hook.
async fn outbox_rows(app: &TestApp, hook: i64) -> Vec<(i64, String, String, i32)> {
    sqlx::query_as("SELECT id, event, state, attempts FROM webhook_deliveries WHERE hook_id = $1 ORDER BY id")
        .bind(hook)
        .fetch_all(&app.pool)
        .await
        .expect("outbox")
}

fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

const GENERIC_KEY: &str = "a-generic-key-0123456789";

#[tokio::test]
async fn every_change_writes_one_outbox_row_and_two_servers_deliver_each_exactly_once_signed() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], "ok").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/hooks/desk", receiver.address),
        GENERIC_KEY,
        &["ticket_opened", "ticket_assigned", "status_changed"],
    )
    .await;
    // Three tickets, each unassigned, given back and moved twice.
    let mut tickets = Vec::new();
    for _ in 0..3 {
        let ticket = desk.open("refund", "quality").await;
        let id = ticket["id"].as_i64().expect("id");
        for assignee in [json!(null), json!(desk.agent.0)] {
            desk.assign(id, assignee).await;
        }
        let version: i64 = sqlx::query_scalar("SELECT version::bigint FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(&desk.app.pool)
            .await
            .expect("version");
        let approved = desk.transition(id, "approved", version, json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        tickets.push(id);
    }
    // A note tells nobody outside.
    let note = desk
        .app
        .post(
            &format!("/api/v1/tickets/{}/notes", tickets[0]),
            &desk.agent_token,
            json!({ "text": "内部备注" }),
        )
        .await;
    assert!(note.status.is_success(), "{:?}", note.body);

    // One row per change the hook subscribed to, written with the change.
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_events WHERE shop_id = $1 AND kind IN ('created', 'assigned', 'status_changed')",
    )
    .bind(desk.shop)
    .fetch_one(&desk.app.pool)
    .await
    .expect("events");
    let rows = outbox_rows(&desk.app, hook).await;
    assert_eq!(rows.len() as i64, changes, "{rows:?}");
    assert!(rows.len() >= 12, "{rows:?}");
    let keys: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT event_key) FROM webhook_deliveries WHERE hook_id = $1 AND event_key LIKE 'ticket_event:%'",
    )
    .bind(hook)
    .fetch_one(&desk.app.pool)
    .await
    .expect("keys");
    assert_eq!(keys, changes);

    // Two servers' workers at once, each going round until nothing is due.
    let second = spawn_second_server(&desk.app).await;
    let (one, two) = (worker(&desk.app), worker(&second));
    let runs = [one, two].map(|w| {
        tokio::spawn(async move {
            let mut sent = 0;
            for _ in 0..5 {
                sent += w.deliver_due().await.expect("deliver");
            }
            sent
        })
    });
    let mut tried = 0;
    for run in runs {
        tried += run.await.expect("worker");
    }
    assert_eq!(tried, rows.len(), "each row tried once in all");
    let received = receiver.all();
    assert_eq!(received.len(), rows.len(), "each event delivered exactly once");
    let mut ids: Vec<String> = received.iter().map(|r| r.header("idempotency-key")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "no event twice");
    for request in &received {
        assert_eq!(request.uri, "/hooks/desk");
        // The documented signature, checked with nothing of the desk's.
        let timestamp = request.header("x-aftersales-timestamp");
        let mut signed = timestamp.clone().into_bytes();
        signed.push(b'.');
        signed.extend_from_slice(&request.body);
        assert_eq!(
            request.header("x-aftersales-signature"),
            format!("sha256={}", hmac_hex(GENERIC_KEY.as_bytes(), &signed))
        );
        assert_eq!(
            timestamp,
            desk.app.now().timestamp().to_string(),
            "signed at the desk's time"
        );
        let body = request.json();
        assert_eq!(body["id"], request.header("idempotency-key"));
        assert_eq!(body["event"], request.header("x-aftersales-event"));
        assert_eq!(body["shop"], desk.shop.0);
        assert!(
            tickets.contains(&body["ticket"]["id"].as_i64().expect("ticket")),
            "{body}"
        );
    }
    let kinds: Vec<Value> = received.iter().map(|r| r.json()["event"].clone()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "ticket_opened").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "status_changed").count(), 3, "{kinds:?}");
    let states = outbox_rows(&desk.app, hook).await;
    assert!(
        states
            .iter()
            .all(|(_, _, state, attempts)| state == "delivered" && *attempts == 1),
        "{states:?}"
    );
}

#[tokio::test]
async fn a_receiver_that_answers_500_first_gets_the_same_event_again_after_the_back_off() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![500], "ok").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/hook", receiver.address),
        GENERIC_KEY,
        &["ticket_opened"],
    )
    .await;
    desk.open("refund", "quality").await;
    let worker = worker(&desk.app);
    assert_eq!(worker.deliver_due().await.expect("deliver"), 1);
    let (_, _, state, attempts) = outbox_rows(&desk.app, hook).await.remove(0);
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    let (status, next): (Option<i32>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT last_status, next_attempt_at FROM webhook_deliveries WHERE hook_id = $1")
            .bind(hook)
            .fetch_one(&desk.app.pool)
            .await
            .expect("row");
    assert_eq!(status, Some(500));
    assert_eq!(
        next,
        desk.app.now() + chrono::Duration::seconds(30),
        "first back-off: 30 s"
    );
    // Not before its time…
    desk.app.clock.set(desk.app.now() + chrono::Duration::seconds(29));
    assert_eq!(worker.deliver_due().await.expect("deliver"), 0);
    // …then again, and accepted.
    desk.app.clock.set(desk.app.now() + chrono::Duration::seconds(2));
    assert_eq!(worker.deliver_due().await.expect("deliver"), 1);
    let (_, _, state, attempts) = outbox_rows(&desk.app, hook).await.remove(0);
    assert_eq!((state.as_str(), attempts), ("delivered", 2));
    let received = receiver.all();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].header("idempotency-key"),
        received[1].header("idempotency-key")
    );
    assert_eq!(received[0].body, received[1].body, "the same event");
    // The log page shows both tries on the one delivery.
    let client = desk.browser("super-a").await;
    let (code, page) = html(
        &client,
        desk.app
            .url(&format!("/settings/webhooks/{hook}/log?shop={}", desk.shop)),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("已送达") && page.contains("新工单"), "{page}");
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_given_up_after_the_last_try() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![503; 10], "down").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/h", receiver.address),
        GENERIC_KEY,
        &["ticket_opened"],
    )
    .await;
    desk.open("refund", "quality").await;
    let worker = worker(&desk.app);
    for _ in 0..aftersales::webhooks::format::MAX_ATTEMPTS {
        assert_eq!(worker.deliver_due().await.expect("deliver"), 1);
        desk.app.clock.set(desk.app.now() + chrono::Duration::hours(1));
    }
    assert_eq!(worker.deliver_due().await.expect("deliver"), 0);
    let (_, _, state, attempts) = outbox_rows(&desk.app, hook).await.remove(0);
    assert_eq!(
        (state.as_str(), attempts),
        ("failed", aftersales::webhooks::format::MAX_ATTEMPTS)
    );
    assert_eq!(
        receiver.all().len(),
        aftersales::webhooks::format::MAX_ATTEMPTS as usize
    );
}

#[tokio::test]
async fn a_dingtalk_robot_gets_markdown_with_the_documented_signature_in_its_url() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], r#"{"errcode":0,"errmsg":"ok"}"#).await;
    // The page takes only https for robots; a loopback receiver speaks http, so the hook is
    // stored directly.
    let secret = "SEC0123456789abcdefghijklmnopqrstuvwxyz";
    let hook: i64 = sqlx::query_scalar(
        "INSERT INTO webhooks (shop_id, name, format, url, secret, events, created_at, updated_at)
         VALUES ($1, '钉钉群', 'dingtalk', $2, $3, ARRAY['ticket_opened'], $4, $4) RETURNING id",
    )
    .bind(desk.shop)
    .bind(format!("{}/robot/send?access_token=T0K", receiver.address))
    .bind(secret)
    .bind(desk.app.now())
    .fetch_one(&desk.app.pool)
    .await
    .expect("hook");
    let ticket = desk.open("refund", "quality").await;
    assert_eq!(worker(&desk.app).deliver_due().await.expect("deliver"), 1);
    let received = receiver.all();
    assert_eq!(received.len(), 1);
    let url = reqwest::Url::parse(&format!("http://x{}", received[0].uri)).expect("url");
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert_eq!(url.path(), "/robot/send");
    assert_eq!(param("access_token"), "T0K");
    let timestamp = param("timestamp");
    assert_eq!(timestamp, desk.app.now().timestamp_millis().to_string(), "milliseconds");
    // DingTalk's algorithm: Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), URL-encoded
    // (the query reader above has decoded it).
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(param("sign"), expected);
    assert!(
        !received[0].uri.contains('+') && !received[0].uri.contains("=="),
        "the sign is URL-encoded: {}",
        received[0].uri
    );
    let body = received[0].json();
    assert_eq!(body["msgtype"], "markdown");
    let text = body["markdown"]["text"].as_str().expect("text");
    assert!(text.contains(&format!("#{}", ticket["id"])), "{text}");
    assert!(text.contains("(https://desk.example.com/tickets/"), "{text}");
    let (_, _, state, _) = outbox_rows(&desk.app, hook).await.remove(0);
    assert_eq!(state, "delivered");
}

#[tokio::test]
async fn the_page_refuses_a_bad_url_next_to_the_field_keeping_what_was_typed() {
    let desk = desk().await;
    let client = desk.browser("super-a").await;
    let shop = desk.shop.to_string();
    let response = client
        .post(desk.app.url("/settings/webhooks"))
        .form(&[
            ("shop", shop.as_str()),
            ("name", "售后一群"),
            ("format", "wecom"),
            ("url", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"),
            ("secret", ""),
            ("events", "ticket_assigned"),
            ("events", "daily_digest"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(page.contains("id=\"new-url-error\""), "{page}");
    assert!(
        page.contains("企业微信和钉钉机器人的地址必须以 https:// 开头"),
        "{page}"
    );
    assert!(page.contains("value=\"售后一群\""), "{page}");
    assert!(
        page.contains("value=\"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K\""),
        "{page}"
    );
    assert!(page.contains("value=\"daily_digest\" checked"), "{page}");
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM webhooks")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(none, 0);
    // Nothing ticked: refused next to the events.
    let response = client
        .post(desk.app.url("/settings/webhooks"))
        .form(&[
            ("shop", shop.as_str()),
            ("name", "x"),
            ("format", "generic"),
            ("url", "https://erp.example.com/in"),
            ("secret", GENERIC_KEY),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.expect("text").contains("id=\"new-events-error\""));
}

#[tokio::test]
async fn send_test_delivers_at_once_and_the_page_shows_how_it_went_never_the_secret() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], "ok").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/t", receiver.address),
        GENERIC_KEY,
        &["daily_digest"],
    )
    .await;
    let client = desk.browser("super-a").await;
    let shop = desk.shop.to_string();
    let response = client
        .post(desk.app.url(&format!("/settings/webhooks/{hook}/test")))
        .form(&[("shop", shop.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("text");
    assert!(page.contains("测试消息已送达（HTTP 200）"), "{page}");
    assert!(!page.contains(GENERIC_KEY), "the secret is never shown");
    assert!(page.contains("••••6789"), "{page}");
    let received = receiver.all();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["event"], "test");
    assert_eq!(received[0].json()["actor"], "super-a");
    assert_eq!(outbox_rows(&desk.app, hook).await[0].2, "delivered");

    // A receiver that is gone: the page says so, and nothing is retried.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let edit = client
        .post(desk.app.url(&format!("/settings/webhooks/{hook}")))
        .form(&[
            ("shop", shop.as_str()),
            ("name", "ERP"),
            ("format", "generic"),
            ("url", &format!("http://127.0.0.1:{gone}/t")),
            ("secret", ""),
            ("events", "daily_digest"),
            ("active", "yes"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(
        edit.status(),
        StatusCode::SEE_OTHER,
        "an empty secret keeps the stored one"
    );
    let response = client
        .post(desk.app.url(&format!("/settings/webhooks/{hook}/test")))
        .form(&[("shop", shop.as_str())])
        .send()
        .await
        .expect("post");
    let page = response.text().await.expect("text");
    assert!(page.contains("测试消息未送达"), "{page}");
    let rows = outbox_rows(&desk.app, hook).await;
    assert_eq!(rows[1].2, "failed", "{rows:?}");
    let secret: String = sqlx::query_scalar("SELECT secret FROM webhooks WHERE id = $1")
        .bind(hook)
        .fetch_one(&desk.app.pool)
        .await
        .expect("secret");
    assert_eq!(secret, GENERIC_KEY);
}

#[tokio::test]
async fn agents_may_not_see_or_change_the_webhooks() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let (code, _) = html(&agent, desk.app.url("/settings/webhooks")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let admin_link = html(
        &desk.browser("super-a").await,
        desk.app.url("/settings/return-addresses"),
    )
    .await
    .1;
    assert!(admin_link.contains("href=\"/settings/webhooks?shop="), "{admin_link}");
}

#[tokio::test]
async fn the_daily_digest_goes_once_a_day_to_each_supervisor_and_to_subscribed_hooks() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], r#"{"errcode":0}"#).await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/d", receiver.address),
        GENERIC_KEY,
        &["daily_digest"],
    )
    .await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    // The follow-up is overdue a day later; 10:00 in Shanghai is past the digest's hour.
    let later = desk.app.now() + chrono::Duration::hours(25);
    desk.app.clock.set(later);
    let second = spawn_second_server(&desk.app).await;
    let (a, b) = tokio::join!(
        aftersales::webhooks::digest::send_due(&desk.app.pool, later),
        aftersales::webhooks::digest::send_due(&second.pool, later),
    );
    let sent = a.expect("digest").len() + b.expect("digest").len();
    assert_eq!(sent, 1, "one server sends the shop's digest");
    assert!(
        aftersales::webhooks::digest::send_due(&desk.app.pool, later + chrono::Duration::hours(3))
            .await
            .expect("digest")
            .is_empty()
    );
    let notices: Vec<(i64, String)> =
        sqlx::query_as("SELECT user_id, note FROM notifications WHERE kind = 'daily_digest'")
            .fetch_all(&desk.app.pool)
            .await
            .expect("notices");
    assert_eq!(notices.len(), 1, "one supervisor in the shop: {notices:?}");
    assert_eq!(notices[0].0, desk.supervisor.0);
    assert!(notices[0].1.contains("agent-a ×1"), "{notices:?}");
    let supervisor = desk.browser("super-a").await;
    let page = html(&supervisor, desk.app.url("/notifications")).await.1;
    assert!(page.contains("每日摘要：各处理人的逾期跟进数与风险金额"), "{page}");
    let notice: i64 = sqlx::query_scalar("SELECT id FROM notifications WHERE kind = 'daily_digest'")
        .fetch_one(&desk.app.pool)
        .await
        .expect("id");
    let opened = supervisor
        .post(desk.app.url(&format!("/notifications/{}/{notice}", desk.shop)))
        .send()
        .await
        .expect("open");
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()["location"], "/follow-ups");
    // The hook gets the same figures.
    assert_eq!(worker(&desk.app).deliver_due().await.expect("deliver"), 1);
    let body = receiver.all()[0].json();
    assert_eq!(body["event"], "daily_digest");
    assert_eq!(body["digest"]["overdue"], json!([["agent-a", 1]]));
    assert_eq!(outbox_rows(&desk.app, hook).await.len(), 1);
    let _ = id;
    // Before 09:00 local on the next day nothing is sent; from 09:00 the new day's is.
    let next_morning = chrono::DateTime::parse_from_rfc3339("2026-06-17T08:59:00+08:00")
        .expect("t")
        .to_utc();
    assert!(
        aftersales::webhooks::digest::send_due(&desk.app.pool, next_morning)
            .await
            .expect("digest")
            .is_empty()
    );
    let nine = chrono::DateTime::parse_from_rfc3339("2026-06-17T09:00:00+08:00")
        .expect("t")
        .to_utc();
    assert_eq!(
        aftersales::webhooks::digest::send_due(&desk.app.pool, nine)
            .await
            .expect("digest")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_follow_up_falling_due_within_the_hour_is_sent_once_however_often_the_sweep_runs() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], "ok").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/r", receiver.address),
        GENERIC_KEY,
        &["follow_up_due"],
    )
    .await;
    let ticket = desk.open("refund", "quality").await;
    let due: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT follow_up_due_at FROM tickets WHERE id = $1")
        .bind(ticket["id"].as_i64().expect("id"))
        .fetch_one(&desk.app.pool)
        .await
        .expect("due");
    let before = due - chrono::Duration::minutes(90);
    assert_eq!(
        aftersales::webhooks::outbox::enqueue_due(&desk.app.pool, before)
            .await
            .expect("due"),
        0,
        "not yet within the hour"
    );
    let within = due - chrono::Duration::minutes(30);
    assert_eq!(
        aftersales::webhooks::outbox::enqueue_due(&desk.app.pool, within)
            .await
            .expect("due"),
        1
    );
    assert_eq!(
        aftersales::webhooks::outbox::enqueue_due(&desk.app.pool, within + chrono::Duration::minutes(5))
            .await
            .expect("due"),
        0
    );
    desk.app.clock.set(within);
    assert_eq!(worker(&desk.app).deliver_due().await.expect("deliver"), 1);
    let body = receiver.all()[0].json();
    assert_eq!(body["event"], "follow_up_due");
    assert_eq!(body["ticket"]["id"], ticket["id"]);
    assert_eq!(outbox_rows(&desk.app, hook).await.len(), 1);
}

#[tokio::test]
async fn an_imported_refund_report_replays_history_without_alerting_anyone() {
    let desk = desk().await;
    let receiver = Receiver::start(vec![], "ok").await;
    let hook = add_hook(
        &desk,
        "ERP",
        "generic",
        &format!("{}/i", receiver.address),
        GENERIC_KEY,
        &["ticket_opened", "ticket_assigned", "status_changed"],
    )
    .await;
    desk.app.user("boss", aftersales::auth::Role::Admin, &[]).await;
    let read = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .expect("fixture")
    };
    let shop = aftersales::shops::get(&desk.app.pool, desk.shop)
        .await
        .expect("query")
        .expect("shop");
    aftersales::import::orders::import(
        &desk.app.pool,
        desk.shop,
        chrono_tz::Asia::Shanghai,
        &read("orders_plain_bom.csv"),
        aftersales::import::orders::Format::Auto,
        false,
        &mut |_| {},
    )
    .await
    .expect("orders");
    let importer = aftersales::import::refunds::Desk {
        pool: desk.app.pool.clone(),
        calendar: std::sync::Arc::new(aftersales::rules::calendar::Calendar::bundled()),
        clock: desk.app.clock.clone(),
    };
    let user = aftersales::import::refunds::actor(&desk.app.pool, "boss", desk.shop)
        .await
        .expect("admin");
    let summary =
        aftersales::import::refunds::import(&importer, &user, &shop, &read("refunds.csv"), false, &mut |_| {})
            .await
            .expect("refunds import");
    assert_eq!(summary.tickets_created, 2);
    assert_eq!(
        outbox_rows(&desk.app, hook).await,
        vec![],
        "a year-old report is history, not news"
    );
    // A ticket opened now still alerts.
    desk.open("refund", "quality").await;
    assert!(!outbox_rows(&desk.app, hook).await.is_empty());
}
