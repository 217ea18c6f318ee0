//! Search through the API: what an agent types to find a ticket, of any status, finds it; a
//! phone number is searched only by those who may see it; another shop never shows; the same
//! in a database whose `LC_CTYPE` is `C` and in one whose is not.

use aftersales::auth::Role;
use aftersales::ids::ShopId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::support::{TestApp, spawn_app, spawn_app_with_locale};

/// Shop A with a ticket opened and closed last month (number 156) on a buyer's order, an open
/// ticket, and shop B with the same words.
struct World {
    shop: ShopId,
    other_shop: ShopId,
    agent: String,
    owner: String,
    other_agent: String,
    closed: i64,
    open: i64,
    other: i64,
}

const ORDER_NO: &str = "2026102512345678";
const TRACKING: &str = "SF1234567890123";
const PHONE: &str = "13987651234";

async fn put_order(app: &TestApp, token: &str, shop: ShopId, order_no: &str, buyer: &str, phone: &str, title: &str) {
    let signed = (app.now() - chrono::Duration::days(1)).to_rfc3339();
    let answer = app
        .put(
            &format!("/api/v1/shops/{shop}/orders/{order_no}"),
            token,
            json!({
                "buyer": buyer, "buyer_name": "周周", "buyer_phone": phone,
                "paid_at": (app.now() - chrono::Duration::days(4)).to_rfc3339(),
                "shipped_at": (app.now() - chrono::Duration::days(3)).to_rfc3339(),
                "signed_at": signed,
                "lines": [{ "sku": "BT-PRO-2", "title": title, "category": "数码", "quantity": 1,
                            "unit_price_fen": 29900, "no_reason_exclusion": "none" }]
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
}

async fn open(app: &TestApp, token: &str, shop: ShopId, order_no: &str, kind: &str, description: &str) -> Value {
    let answer = app
        .post(
            &format!("/api/v1/shops/{shop}/tickets"),
            token,
            json!({ "kind": kind, "order_no": order_no, "reason": "quality", "description": description, "refund_fen": 29900 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

async fn follow_up(app: &TestApp, token: &str, id: i64, summary: &str) {
    let answer = app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            token,
            json!({ "channel": "phone", "summary": summary }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
}

async fn walk(app: &TestApp, token: &str, id: i64, steps: &[(&str, Value)]) {
    let mut version = app.get(&format!("/api/v1/tickets/{id}"), token).await.body["version"]
        .as_i64()
        .expect("version");
    for (to, extra) in steps {
        let mut body = json!({ "to": to, "version": version, "note": format!("→ {to}") });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let answer = app
            .post(&format!("/api/v1/tickets/{id}/transitions"), token, body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "→ {to}: {:?}", answer.body);
        version = answer.body["version"].as_i64().expect("version");
    }
}

async fn world(app: &TestApp) -> World {
    let shop = app.shop("shop-a").await;
    let other_shop = app.shop("shop-b").await;
    let (_, agent) = app.user("agent-a", Role::Agent, &[shop]).await;
    let (_, owner) = app.user("owner-a", Role::Owner, &[shop]).await;
    let (_, other_agent) = app.user("agent-b", Role::Agent, &[other_shop]).await;
    let now = app.now();

    // Last month: the buyer's return, shipped back, refunded and closed — ticket number 156.
    app.clock.set(now - chrono::Duration::days(35));
    let mut admin = sqlx::PgConnection::connect_with(&app.admin_options)
        .await
        .expect("admin");
    sqlx::query("SELECT setval(pg_get_serial_sequence('tickets', 'id'), 156, false)")
        .execute(&mut admin)
        .await
        .expect("numbering");
    admin.close().await.expect("close");
    put_order(
        app,
        &agent,
        shop,
        ORDER_NO,
        "tb_zhouzhou8614",
        PHONE,
        "无线蓝牙耳机 Pro 降噪版",
    )
    .await;
    let closed = open(app, &agent, shop, ORDER_NO, "return", "收到的蓝牙耳机左耳没有声音").await["id"]
        .as_i64()
        .expect("id");
    assert_eq!(closed, 156);
    follow_up(app, &agent, closed, "买家说外箱破损，已请买家拍照").await;
    walk(
        app,
        &agent,
        closed,
        &[
            ("approved", json!({})),
            ("buyer_shipped", json!({ "carrier": "sf", "tracking_no": TRACKING })),
            ("received", json!({})),
            ("refunded", json!({})),
            ("closed", json!({})),
        ],
    )
    .await;

    // Today: another ticket of the shop, open, with none of those words.
    app.clock.set(now);
    put_order(
        app,
        &agent,
        shop,
        "2026112900000001",
        "tb_other77",
        "13500001111",
        "保温杯 500ml",
    )
    .await;
    let open_id = open(app, &agent, shop, "2026112900000001", "complaint", "物流太慢").await["id"]
        .as_i64()
        .expect("id");

    // Shop B: the same words, a nick with the same part.
    put_order(
        app,
        &other_agent,
        other_shop,
        ORDER_NO,
        "tb_zhouzhou0001",
        PHONE,
        "无线蓝牙耳机 Pro 降噪版",
    )
    .await;
    let other = open(
        app,
        &other_agent,
        other_shop,
        ORDER_NO,
        "return",
        "收到的蓝牙耳机左耳没有声音",
    )
    .await["id"]
        .as_i64()
        .expect("id");
    follow_up(app, &other_agent, other, "外箱破损").await;
    World {
        shop,
        other_shop,
        agent,
        owner,
        other_agent,
        closed,
        open: open_id,
        other,
    }
}

async fn search(app: &TestApp, token: &str, shop: ShopId, query: &[(&str, &str)]) -> Value {
    let qs = serde_urlencoded::to_string(query).expect("query");
    let answer = app.get(&format!("/api/v1/shops/{shop}/search?{qs}"), token).await;
    assert_eq!(answer.status, StatusCode::OK, "{qs}: {:?}", answer.body);
    answer.body
}

/// Ids of the tickets found (best matches first).
fn ids(found: &Value) -> Vec<i64> {
    ["best", "tickets"]
        .iter()
        .flat_map(|group| found[group].as_array().cloned().unwrap_or_default())
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

fn hit_of(found: &Value, id: i64) -> Value {
    ["best", "tickets"]
        .iter()
        .flat_map(|group| found[group].as_array().cloned().unwrap_or_default())
        .find(|t| t["id"] == id)
        .unwrap_or(Value::Null)
}

/// The marked part of a hit's snippet.
fn marked(hit: &Value) -> Vec<String> {
    hit["snippet"]
        .as_array()
        .map(|pieces| {
            pieces
                .iter()
                .filter(|p| p["hit"] == true)
                .filter_map(|p| p["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn each_finds_the_ticket(app: &TestApp) {
    let w = world(app).await;
    let find = |q: &'static str| {
        let (app, token, shop) = (app, w.agent.clone(), w.shop);
        async move { search(app, &token, shop, &[("q", q)]).await }
    };

    let nick = find("zhouzhou").await;
    assert!(ids(&nick).contains(&w.closed), "a nick's middle: {nick}");
    assert_eq!(hit_of(&nick, w.closed)["matched_in"], "nick");
    assert_eq!(marked(&hit_of(&nick, w.closed)), vec!["zhouzhou"]);
    assert_eq!(nick["buyers"][0]["nick"], "tb_zhouzhou8614", "the buyer too: {nick}");

    for number in ["#156", "156"] {
        let found = find(number).await;
        assert_eq!(
            found["best"][0]["id"], w.closed,
            "{number} is the ticket's number: {found}"
        );
    }
    let signed = find("#156").await;
    assert_eq!(
        (
            signed["tickets"].as_array().map(Vec::len),
            signed["best"].as_array().map(Vec::len),
            signed["orders"].as_array().map(Vec::len)
        ),
        (Some(0), Some(1), Some(0)),
        "`#156` is that ticket only, not every text holding 156: {signed}"
    );

    let last8 = find("12345678").await;
    assert!(
        ids(&last8).contains(&w.closed),
        "the order number's last 8 digits: {last8}"
    );
    assert_eq!(last8["orders"][0]["order_no"], ORDER_NO, "the order too: {last8}");

    let tracking = find(TRACKING).await;
    assert_eq!(tracking["best"][0]["id"], w.closed, "a tracking number: {tracking}");
    assert_eq!(hit_of(&tracking, w.closed)["matched_in"], "tracking");
    let lower = find("sf1234567890123").await;
    assert_eq!(lower["best"][0]["id"], w.closed, "in any case: {lower}");

    let words = find("蓝牙耳机").await;
    assert_eq!(ids(&words), vec![w.closed], "from the description: {words}");
    assert_eq!(marked(&hit_of(&words, w.closed)), vec!["蓝牙耳机"]);

    let damaged = find("破损").await;
    assert_eq!(
        ids(&damaged),
        vec![w.closed],
        "from a follow-up, closed last month, this shop only: {damaged}"
    );
    assert_eq!(hit_of(&damaged, w.closed)["matched_in"], "follow_up");
    assert_eq!(hit_of(&damaged, w.closed)["status"], "closed");
    assert_eq!(marked(&hit_of(&damaged, w.closed)), vec!["破损"]);

    // One character, and two words that must both match.
    assert!(ids(&find("损").await).contains(&w.closed));
    assert_eq!(ids(&find("破损 zhouzhou").await), vec![w.closed]);
    assert_eq!(ids(&find("破损 慢").await), Vec::<i64>::new());
    // Filters combine with the words.
    let closed_only = search(app, &w.agent, w.shop, &[("q", "破损"), ("status", "closed")]).await;
    assert_eq!(ids(&closed_only), vec![w.closed]);
    let open_only = search(app, &w.agent, w.shop, &[("q", "破损"), ("status", "open")]).await;
    assert_eq!(ids(&open_only), Vec::<i64>::new());
    let last_month = (app.now() - chrono::Duration::days(40)).date_naive().to_string();
    let since = (app.now() - chrono::Duration::days(30)).date_naive().to_string();
    let dated = search(
        app,
        &w.agent,
        w.shop,
        &[("q", "蓝牙"), ("from", &last_month), ("to", &since)],
    )
    .await;
    assert_eq!(ids(&dated), vec![w.closed]);
    let later = search(app, &w.agent, w.shop, &[("q", "蓝牙"), ("from", &since)]).await;
    assert_eq!(ids(&later), Vec::<i64>::new());
    let kind = search(app, &w.agent, w.shop, &[("q", "慢"), ("kind", "complaint")]).await;
    assert_eq!(ids(&kind), vec![w.open]);

    // A follow-up written a moment ago is found at once.
    follow_up(app, &w.agent, w.open, "买家要求加急处理，快递单号待补").await;
    assert_eq!(ids(&find("加急").await), vec![w.open]);

    // The phone: found by those who contact buyers, never by a role that sees it masked.
    let by_agent = search(app, &w.agent, w.shop, &[("q", PHONE)]).await;
    assert!(ids(&by_agent).contains(&w.closed), "{by_agent}");
    assert_eq!(
        by_agent["buyers"][0]["phone"], "139****1234",
        "shown masked in the list"
    );
    let by_owner = search(app, &w.owner, w.shop, &[("q", PHONE)]).await;
    assert_eq!(ids(&by_owner), Vec::<i64>::new(), "{by_owner}");
    assert_eq!(by_owner["buyers"], json!([]), "{by_owner}");
    let glued = format!("tel{}", &PHONE[..4]);
    for named in ["t", "te", "tel", "~p", glued.as_str()] {
        let by_name = search(app, &w.owner, w.shop, &[("q", named)]).await;
        assert_eq!(
            by_name["buyers"],
            json!([]),
            "nor who has a phone, by {named}: {by_name}"
        );
    }
    let tail = search(app, &w.owner, w.shop, &[("q", "7651234")]).await;
    assert_eq!(ids(&tail), Vec::<i64>::new(), "nor by a part of it: {tail}");
    assert_eq!(
        search(app, &w.owner, w.shop, &[("q", "破损")]).await["tickets"][0]["id"],
        w.closed
    );

    // Another shop's tickets never appear; its search is not ours to run.
    let theirs = search(app, &w.other_agent, w.other_shop, &[("q", "破损")]).await;
    assert_eq!(ids(&theirs), vec![w.other]);
    let not_ours = app
        .get(&format!("/api/v1/shops/{}/search?q=破损", w.other_shop), &w.agent)
        .await;
    assert_eq!(not_ours.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn what_an_agent_types_finds_the_ticket_in_a_c_locale_database() {
    let app = spawn_app().await;
    let ctype: String = sqlx::query_scalar("SELECT datctype FROM pg_database WHERE datname = current_database()")
        .fetch_one(&app.pool)
        .await
        .expect("locale");
    assert_eq!(ctype, "C", "the test cluster is created without a locale");
    each_finds_the_ticket(&app).await;
}

#[tokio::test]
async fn what_an_agent_types_finds_the_ticket_in_a_utf8_locale_database() {
    let app = spawn_app_with_locale("C.UTF-8").await;
    let ctype: String = sqlx::query_scalar("SELECT datctype FROM pg_database WHERE datname = current_database()")
        .fetch_one(&app.pool)
        .await
        .expect("locale");
    assert_eq!(ctype, "C.UTF-8");
    each_finds_the_ticket(&app).await;
}

#[tokio::test]
async fn a_search_without_words_or_with_a_wrong_filter_says_what_to_fix() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (_, agent) = app.user("agent-a", Role::Agent, &[shop]).await;
    for (query, field) in [
        ("q=", "q"),
        ("q=%20%2C%2C", "q"),
        ("q=abc&from=2026-13-01", "from"),
        ("q=abc&from=-9999-1-1", "from"),
        ("q=abc&from=2026-11-30&to=2026-11-01", "to"),
        ("q=abc&status=lost", "status"),
        ("q=abc&kind=gift", "kind"),
        ("q=abc&assignee=someone", "assignee"),
        ("q=abc&before=x", "before"),
    ] {
        let answer = app.get(&format!("/api/v1/shops/{shop}/search?{query}"), &agent).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["error"]["details"]["field"], field, "{query}");
    }
    let long = "字".repeat(201);
    let answer = app.get(&format!("/api/v1/shops/{shop}/search?q={long}"), &agent).await;
    assert_eq!(answer.body["error"]["details"]["field"], "q");
}

#[tokio::test]
async fn results_come_newest_first_a_page_at_a_time_and_writes_outside_the_api_are_found() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (_, agent) = app.user("agent-a", Role::Agent, &[shop]).await;
    put_order(
        &app,
        &agent,
        shop,
        "2026112000000001",
        "tb_pages",
        "13600000000",
        "保温杯 500ml",
    )
    .await;
    let mut opened = Vec::new();
    // Three tickets after each jump of the numbers: the pages run through every age level of
    // the index (buckets of 4,096, 32,768 and 262,144 numbers, then everything older).
    let jumps = [
        300, 5_000, 9_000, 40_000, 70_000, 300_000, 600_000, 1_100_000, 1_200_000, 3_000_000,
    ];
    let mut admin = sqlx::PgConnection::connect_with(&app.admin_options)
        .await
        .expect("admin");
    for n in 0..30 {
        if n % 3 == 0 {
            sqlx::query("SELECT setval(pg_get_serial_sequence('tickets', 'id'), $1, false)")
                .bind(jumps[n / 3])
                .execute(&mut admin)
                .await
                .expect("jump");
        }
        let t = open(
            &app,
            &agent,
            shop,
            "2026112000000001",
            "complaint",
            &format!("第{n}次反馈：包装破损"),
        )
        .await;
        opened.push(t["id"].as_i64().expect("id"));
    }
    let first = search(&app, &agent, shop, &[("q", "包装破损")]).await;
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 25);
    let newest: Vec<i64> = opened.iter().rev().take(25).copied().collect();
    assert_eq!(first_ids, newest);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = search(
        &app,
        &agent,
        shop,
        &[("q", "包装破损"), ("before", &before.to_string())],
    )
    .await;
    let rest: Vec<i64> = opened.iter().rev().skip(25).copied().collect();
    assert_eq!(ids(&second), rest);
    assert_eq!(second["next_before"], Value::Null);
    admin.close().await.expect("close");

    // A buyer's name changed by another writer (an import, another tool): the database's
    // trigger puts the buyer and their tickets in the list; the next search indexes them.
    sqlx::query("UPDATE customers SET name = '欧阳修' WHERE shop_id = $1 AND nick = 'tb_pages'")
        .bind(shop)
        .execute(&app.pool)
        .await
        .expect("rename");
    let renamed = search(&app, &agent, shop, &[("q", "欧阳")]).await;
    assert_eq!(ids(&renamed).len(), 25);
    assert_eq!(renamed["buyers"][0]["nick"], "tb_pages");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM search_pending WHERE shop_id = $1")
        .bind(shop)
        .fetch_one(&app.pool)
        .await
        .expect("pending");
    assert_eq!(left, 0, "the search indexed what was pending first");
}

#[tokio::test]
async fn the_search_page_marks_what_matched_and_keeps_a_mistake_beside_its_field() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (_, agent) = app.user("page-agent", Role::Agent, &[shop]).await;
    put_order(
        &app,
        &agent,
        shop,
        "2026112000000009",
        "tb_page<b>",
        "13600000009",
        "保温杯 500ml",
    )
    .await;
    let id = open(&app, &agent, shop, "2026112000000009", "complaint", "杯盖<破损>漏水").await["id"]
        .as_i64()
        .expect("id");
    let browser = crate::support::browser(&app, "page-agent").await;
    let (status, page) = crate::support::html(&browser, app.url("/search?q=%E7%A0%B4%E6%8D%9F")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("href=\"/tickets/{id}\"")), "{page}");
    assert!(page.contains("<mark>破损</mark>"), "the hit is marked: {page}");
    assert!(page.contains("杯盖&#60;"), "the text around it is escaped: {page}");
    assert!(page.contains("id=\"topsearch-q\""), "the header's box is on every page");

    let (status, page) = crate::support::html(&browser, app.url("/search?q=%E7%A0%B4%E6%8D%9F&from=2026-02-30")).await;
    assert_eq!(status, StatusCode::OK, "a search is a look: the form comes back");
    assert!(page.contains("id=\"search-from-error\""), "{page}");
    assert!(page.contains("日期格式为"), "in the reader's language: {page}");
    assert!(page.contains("value=\"2026-02-30\""), "what was typed is kept");
    assert!(page.contains("value=\"破损\""), "the words are kept");

    let (status, page) = crate::support::html(&browser, app.url("/search")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("工单号（156 或 #156）"),
        "an empty search says what can be found: {page}"
    );
}

#[tokio::test]
async fn search_index_indexes_what_waits_and_a_rebuild_makes_the_indexes_again() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (_, agent) = app.user("cli-agent", Role::Agent, &[shop]).await;
    put_order(
        &app,
        &agent,
        shop,
        "2026112000000077",
        "tb_cli",
        "13600000077",
        "保温杯 500ml",
    )
    .await;
    open(&app, &agent, shop, "2026112000000077", "complaint", "杯子掉漆").await;
    let url = crate::support::database_url(&app.db_options);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aftersales"))
            .env("DATABASE_URL", &url)
            .env("AFTERSALES_LOG", "warn")
            .arg("search-index")
            .args(args)
            .output()
            .expect("search-index");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // What the triggers listed (the ticket, its first event, the buyer, the order) is covered
    // by the whole shop: listed twice, each row is there once.
    let listed = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM search_pending")
            .fetch_one(&app.pool)
            .await
            .expect("listed")
    };
    assert!(listed().await > 3, "the triggers listed what the API wrote");
    for _ in 0..2 {
        let count = aftersales::search::index::enqueue_shop(&app.pool, shop)
            .await
            .expect("enqueue");
        assert_eq!(count, 3);
    }
    assert_eq!(listed().await, 3, "one ticket, one buyer, one order");
    let said = run(&[]);
    assert!(said.contains("indexed 3 tickets, buyers and orders"), "{said}");
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM search_pending")
        .fetch_one(&app.pool)
        .await
        .expect("pending");
    assert_eq!(pending, 0);
    let said = run(&["--rebuild"]);
    assert!(said.contains("indexed 3 tickets, buyers and orders"), "{said}");
    let indexes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexname IN ('ticket_search_doc', 'buyer_search_doc', 'order_search_doc')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("indexes");
    assert_eq!(indexes, 3, "the GIN indexes are there again");
    let found = search(&app, &agent, shop, &[("q", "掉漆")]).await;
    assert_eq!(ids(&found).len(), 1);
}

#[tokio::test]
async fn the_bulk_indexers_workers_index_every_row_of_every_shop_once_over_many_batches() {
    let app = spawn_app().await;
    // Two generated shops, each with more rows than one batch of a bulk drain (2,000): the
    // workers share them out and every ticket, buyer and order ends with one document.
    let maintenance = aftersales::db::pool(app.admin_options.clone(), 3).await.expect("pool");
    for (shop, seed) in [("bulk-a", 5), ("bulk-b", 6)] {
        let options = aftersales::bench::generate::Options {
            order_lines: 3_000,
            tickets: 1_500,
            shop: shop.into(),
            seed,
        };
        aftersales::bench::generate::generate(&maintenance, &options)
            .await
            .expect("generates");
    }
    let count = |sql: &'static str| {
        let pool = app.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.expect(sql) }
    };
    let rows =
        "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders)";
    let documents = "SELECT (SELECT count(*) FROM ticket_search) + (SELECT count(*) FROM buyer_search) + (SELECT count(*) FROM order_search)";
    let missing = "SELECT (SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_search s WHERE s.shop_id = t.shop_id AND s.ticket_id = t.id))
                        + (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_search s WHERE s.shop_id = o.shop_id AND s.order_id = o.id))
                        + (SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM buyer_search s WHERE s.shop_id = c.shop_id AND s.customer_id = c.id))";
    let total = count(rows).await;
    assert!(total > 2 * 2_000, "each shop needs two batches or more: {total}");
    assert_eq!(count(documents).await, total, "the generator indexed each row once");
    assert_eq!(count(missing).await, 0);
    assert_eq!(count("SELECT count(*) FROM search_pending").await, 0);
    let written = all_documents(&app.pool).await;

    // Everything listed again and drained by the workers (not a rebuild: the GIN indexes stay).
    let mut listed = 0;
    for code in ["bulk-a", "bulk-b"] {
        let shop: ShopId = sqlx::query_scalar("SELECT id FROM shops WHERE code = $1")
            .bind(code)
            .fetch_one(&app.pool)
            .await
            .expect("generated shop");
        listed += aftersales::search::index::enqueue_shop(&app.pool, shop)
            .await
            .expect("enqueue");
    }
    let mut said = Vec::new();
    let indexed = aftersales::search::index::drain_all(&maintenance, |done| said.push(done))
        .await
        .expect("drains");
    assert_eq!(indexed as u64, listed);
    assert_eq!(said.last().copied(), Some(indexed), "the progress ends at the total");
    assert!(
        said.windows(2).all(|w| w[0] < w[1]),
        "the progress only grows: {said:?}"
    );
    assert!(said.len() >= 4, "batch by batch: {said:?}");
    assert_eq!(count("SELECT count(*) FROM search_pending").await, 0);
    assert_eq!(count(documents).await, total);
    assert_eq!(count(missing).await, 0);
    // The generator writes the documents with the rows (by the indexer's own functions, from
    // what it generated): each is the one the indexer makes from the rows in the database.
    let indexed = all_documents(&app.pool).await;
    assert_eq!(indexed.len(), written.len());
    for (generated, read_back) in written.iter().zip(&indexed) {
        assert_eq!(generated, read_back, "the generator's document, then the indexer's");
    }
}

/// Every search document of the database, by table and id: (`b`/`o`/`t` and the id, the
/// document's text).
async fn all_documents(pool: &sqlx::PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT k, d FROM (
             SELECT 'b' || customer_id AS k, doc::text AS d FROM buyer_search
             UNION ALL SELECT 'o' || order_id, doc::text FROM order_search
             UNION ALL SELECT 't' || ticket_id, doc::text FROM ticket_search) x
         ORDER BY k",
    )
    .fetch_all(pool)
    .await
    .expect("documents")
}

/// A shop with an agent and one order to open tickets on.
async fn one_order() -> (TestApp, ShopId, String) {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (_, agent) = app.user("agent-a", Role::Agent, &[shop]).await;
    put_order(&app, &agent, shop, ORDER_NO, "tb_zhouzhou", PHONE, "蓝牙耳机 Pro").await;
    (app, shop, agent)
}

/// [`one_order`] with a complaint opened on it (its id last).
async fn one_ticket() -> (TestApp, ShopId, String, i64) {
    let (app, shop, agent) = one_order().await;
    let id = open(&app, &agent, shop, ORDER_NO, "complaint", "耳机左边没有声音").await["id"]
        .as_i64()
        .expect("id");
    (app, shop, agent, id)
}

#[tokio::test]
async fn an_events_words_are_added_beside_its_tickets_document_found_with_it_and_folded_into_it() {
    let (app, shop, agent, id) = one_ticket().await;
    let drain = || async {
        aftersales::search::index::drain(&app.pool, 1_000)
            .await
            .expect("drains")
    };
    let fold = || async {
        aftersales::search::index::fold(&app.pool, std::time::Duration::ZERO, 1_000)
            .await
            .expect("folds")
    };
    let doc = || async {
        sqlx::query_scalar::<_, String>("SELECT doc::text FROM ticket_search WHERE shop_id = $1 AND ticket_id = $2")
            .bind(shop)
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("the ticket's document")
    };
    let added = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT doc::text FROM ticket_search_added WHERE shop_id = $1 AND ticket_id = $2",
        )
        .bind(shop)
        .bind(id)
        .fetch_optional(&app.pool)
        .await
        .expect("the words added")
    };
    let queued = || async {
        sqlx::query_as::<_, (String, i64, bool)>(
            "SELECT kind, id, event_id IS NOT NULL AND event_at IS NOT NULL FROM search_pending
             WHERE shop_id = $1 ORDER BY seq",
        )
        .bind(shop)
        .fetch_all(&app.pool)
        .await
        .expect("queue")
    };
    // The ticket listed to be built whole.
    let queue_whole = || async {
        sqlx::query("INSERT INTO search_pending (shop_id, kind, id) VALUES ($1, 'ticket', $2)")
            .bind(shop)
            .bind(id)
            .execute(&app.pool)
            .await
            .expect("queue the ticket");
    };
    let found = |q: &'static str| {
        let (app, agent) = (&app, &agent);
        async move { ids(&search(app, agent, shop, &[("q", q)]).await) }
    };
    drain().await;
    let built = doc().await;
    assert_eq!(added().await, None);

    // A follow-up is queued as itself, not as its ticket: its words are added beside the
    // document, which is not written again.
    follow_up(&app, &agent, id, "已联系买家，约定明天回电").await;
    assert_eq!(queued().await, vec![("event".to_owned(), id, true)]);
    assert_eq!(drain().await.documents, 1);
    follow_up(&app, &agent, id, "退款已经提交 SF1234").await;
    walk(&app, &agent, id, &[("investigating", json!({}))]).await;
    drain().await;
    assert_eq!(doc().await, built, "the document itself is not written again");
    let words = added().await.expect("words added");
    for word in ["回电", "退款", "~gsf1234"] {
        assert!(words.contains(&format!("'{word}'")), "{word} in {words}");
        assert!(!built.contains(&format!("'{word}'")), "{word} not in {built}");
    }

    // Found by them, by them with words of the document (the description's 耳机), and not by a
    // word of neither or a phrase that runs from one follow-up into the next.
    let finds = || async {
        (
            found("退款已经").await,
            found("耳机 回电").await,
            found("sf1234 没有声音").await,
            found("耳机 换货").await,
            found("回电退款").await,
        )
    };
    let none = Vec::<i64>::new();
    let expected = (vec![id], vec![id], vec![id], none.clone(), none.clone());
    assert_eq!(finds().await, expected, "with the words added beside the document");

    // Folded: the document holds them, the same as building it whole, and nothing is beside it.
    assert_eq!(fold().await, 1);
    assert_eq!(added().await, None);
    let folded = doc().await;
    assert_eq!(finds().await, expected, "with the words folded into the document");
    queue_whole().await;
    assert_eq!(drain().await.documents, 1);
    assert_eq!(doc().await, folded, "folded = built whole");

    // A document built whole while words wait beside it empties them (they are in it), and the
    // next fold takes the empty row away.
    follow_up(&app, &agent, id, "买家同意换货").await;
    drain().await;
    assert!(added().await.expect("added").contains("'换货'"));
    assert_eq!(found("耳机 换货").await, vec![id]);
    queue_whole().await;
    drain().await;
    assert_eq!(added().await.as_deref(), Some(""));
    assert!(doc().await.contains("'换货'"));
    assert_eq!(found("耳机 换货").await, vec![id]);
    assert_eq!(fold().await, 1);
    assert_eq!(added().await, None);

    // A ticket without a document yet has it built whole when an event of its comes.
    sqlx::query("DELETE FROM ticket_search WHERE shop_id = $1 AND ticket_id = $2")
        .bind(shop)
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("document gone");
    follow_up(&app, &agent, id, "快递已经拦截").await;
    assert_eq!(drain().await.documents, 1);
    let rebuilt = doc().await;
    for word in ["回电", "换货", "耳机", "拦截"] {
        assert!(rebuilt.contains(&format!("'{word}'")), "{word} in {rebuilt}");
    }
    assert_eq!(added().await, None);
}

#[tokio::test]
async fn only_quiet_or_grown_added_words_are_folded() {
    let (app, shop, agent, id) = one_ticket().await;
    let other = open(&app, &agent, shop, ORDER_NO, "complaint", "充电盒无法充电").await["id"]
        .as_i64()
        .expect("id");
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    follow_up(&app, &agent, id, "约定明天回电").await;
    // Words enough to fold at once: the bigrams and characters of runs of distinct characters.
    let chars: Vec<char> = (0x4e00u32..0x4e00 + 600).filter_map(char::from_u32).collect();
    let long = chars.chunks(20).map(String::from_iter).collect::<Vec<_>>().join(" ");
    follow_up(&app, &agent, other, &long).await;
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    let beside = || async {
        sqlx::query_scalar::<_, i64>("SELECT ticket_id FROM ticket_search_added WHERE shop_id = $1 ORDER BY ticket_id")
            .bind(shop)
            .fetch_all(&app.pool)
            .await
            .expect("added")
    };
    assert_eq!(beside().await, vec![id, other]);
    // Neither has been quiet an hour: only the one grown large is folded.
    let hour = std::time::Duration::from_secs(3_600);
    assert_eq!(
        aftersales::search::index::fold(&app.pool, hour, 1_000)
            .await
            .expect("folds"),
        1
    );
    assert_eq!(beside().await, vec![id]);
    assert_eq!(ids(&search(&app, &agent, shop, &[("q", "耳机 回电")]).await), vec![id]);
}

#[tokio::test]
async fn what_the_indexer_wrote_is_merged_into_the_indexes_by_the_desks_own_role() {
    let (app, shop, agent) = one_order().await;
    let mut opened = Vec::new();
    for i in 0..20 {
        let id = open(
            &app,
            &agent,
            shop,
            ORDER_NO,
            "complaint",
            &format!("第{i}次 耳机左边没有声音"),
        )
        .await["id"]
            .as_i64()
            .expect("id");
        opened.push(id);
    }
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    // Written through GIN's pending list (the indexes' default), merged on the desk's
    // connections (the indexes' owner), and nothing is left to merge after. On Citus the
    // documents are in the workers' shards: the coordinator's indexes have nothing pending.
    let merge = || async {
        aftersales::search::index::merge_pending(&app.pool)
            .await
            .expect("merges")
    };
    let on_citus = {
        let mut conn = app.pool.acquire().await.expect("connection");
        aftersales::db::citus::is_distributed(&mut conn, "ticket_search")
            .await
            .expect("placement")
    };
    let first = merge().await;
    assert!(on_citus || first > 0, "the new documents' entries were pending");
    assert_eq!(merge().await, 0);
    // A follow-up's words, added beside its ticket's document, go through the added words'
    // short pending list and are merged with the rest.
    let followed = opened[0];
    follow_up(&app, &agent, followed, "约定明天回电").await;
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    let beside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_search_added WHERE shop_id = $1 AND ticket_id = $2 AND doc <> ''::tsvector",
    )
    .bind(shop)
    .bind(followed)
    .fetch_one(&app.pool)
    .await
    .expect("added words");
    assert_eq!(beside, 1, "added beside the document, which was not written again");
    let added = merge().await;
    assert!(on_citus || added > 0, "the added words' entries were pending");
    assert_eq!(merge().await, 0);
    assert_eq!(
        ids(&search(&app, &agent, shop, &[("q", "耳机 回电")]).await),
        vec![followed]
    );
    opened.reverse();
    let found = ids(&search(&app, &agent, shop, &[("q", "耳机")]).await);
    assert_eq!(found, opened[..found.len()], "found newest first from the merged index");
    assert!(!found.is_empty());
}

#[tokio::test]
async fn two_indexers_holding_the_same_tickets_the_other_way_round_both_finish() {
    let (app, shop, agent) = one_order().await;
    let mut tickets = Vec::new();
    for (description, summary) in [("耳机左边没有声音", "约定明天回电"), ("充电盒无法充电", "买家同意换货")]
    {
        let id = open(&app, &agent, shop, ORDER_NO, "complaint", description).await["id"]
            .as_i64()
            .expect("id");
        follow_up(&app, &agent, id, summary).await;
        tickets.push(id);
    }
    let [a, b] = tickets[..] else { unreachable!() };
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    let event_of = |ticket: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, chrono::DateTime<chrono::Utc>)>(
                "SELECT id, at FROM ticket_events WHERE shop_id = $1 AND ticket_id = $2 AND kind = 'follow_up'",
            )
            .bind(shop)
            .bind(ticket)
            .fetch_one(&pool)
            .await
            .expect("follow-up")
        }
    };
    let (event_a, event_b) = (event_of(a).await, event_of(b).await);
    // The first two rows (b whole, an event of a) for one indexer, the next two (a whole, an
    // event of b) for the other.
    for (kind, ticket, event) in [
        ("ticket", b, None),
        ("event", a, Some(event_a)),
        ("ticket", a, None),
        ("event", b, Some(event_b)),
    ] {
        sqlx::query("INSERT INTO search_pending (shop_id, kind, id, event_id, event_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(shop)
            .bind(kind)
            .bind(ticket)
            .bind(event.map(|e| e.0))
            .bind(event.map(|e| e.1))
            .execute(&app.pool)
            .await
            .expect("queued");
    }
    // Both documents held meanwhile, so that each indexer has taken its rows before either writes.
    let mut holder = app.pool.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM ticket_search WHERE shop_id = $1 AND ticket_id = ANY($2) FOR UPDATE")
        .bind(shop)
        .bind(vec![a, b])
        .execute(&mut *holder)
        .await
        .expect("held");
    // On Citus the documents are on a worker, and so are the waits: the cluster's activity.
    let on_citus = {
        let mut conn = app.pool.acquire().await.expect("connection");
        aftersales::db::citus::is_distributed(&mut conn, "ticket_search")
            .await
            .expect("placement")
    };
    let waiting = || async {
        let activity = if on_citus {
            "SELECT count(*) FROM citus_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        } else {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        };
        sqlx::query_scalar::<_, i64>(activity)
            .fetch_one(&app.pool)
            .await
            .expect("waiting")
    };
    let indexer = || {
        let pool = app.pool.clone();
        tokio::spawn(async move { aftersales::search::index::drain(&pool, 2).await })
    };
    let first = indexer();
    while waiting().await < 1 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let second = indexer();
    while waiting().await < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    holder.commit().await.expect("released");
    let first = first.await.expect("first indexer");
    let second = second.await.expect("second indexer");
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM search_pending")
        .fetch_one(&app.pool)
        .await
        .expect("pending");
    assert_eq!(pending, 0);
    for (word, id) in [("回电", a), ("换货", b)] {
        let found = search(&app, &agent, shop, &[("q", word)]).await;
        assert_eq!(ids(&found), vec![id], "{word}");
    }
}

#[tokio::test]
async fn a_ticket_with_hundreds_of_events_in_one_batch_keeps_the_words_of_every_one() {
    let (app, shop, agent, id) = one_ticket().await;
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    // More events than the indexer writes in one statement (500), all of one ticket, in one
    // batch (as an import of a long history would queue them).
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, kind, data)
         SELECT $1, $2, $3, 'note',
                jsonb_build_object('text', CASE g WHEN 1 THEN 'firstnote' WHEN 600 THEN 'lastnote' ELSE 'note ' || g END)
         FROM generate_series(1, 600) g",
    )
    .bind(shop)
    .bind(id)
    .bind(app.now())
    .execute(&app.pool)
    .await
    .expect("notes");
    aftersales::search::index::drain(&app.pool, 1_000)
        .await
        .expect("drains");
    for word in ["firstnote", "lastnote", "耳机"] {
        let found = search(&app, &agent, shop, &[("q", word)]).await;
        assert_eq!(ids(&found), vec![id], "{word}");
    }
}

/// The kinds of the nodes of a plan (`EXPLAIN (FORMAT JSON)`), outermost first.
/// The node types of an `EXPLAIN (FORMAT JSON)` plan, its children's after its own — on Citus
/// the worker's plan too, which the coordinator's custom scan holds under its tasks.
fn node_types(plan: &Value, into: &mut Vec<String>) {
    match plan {
        Value::Object(fields) => {
            if let Some(kind) = fields.get("Node Type").and_then(Value::as_str) {
                into.push(kind.to_string());
            }
            for (key, value) in fields {
                if key != "Node Type" {
                    node_types(value, into);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| node_types(item, into)),
        _ => {}
    }
}

#[tokio::test]
async fn the_indexer_reads_a_batch_ticket_by_ticket_whatever_the_planner_would_rather_do() {
    let (app, shop, _, id) = one_ticket().await;
    let (event, at): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT id, at FROM ticket_events WHERE shop_id = $1 AND ticket_id = $2 ORDER BY id LIMIT 1")
            .bind(shop)
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("an event");
    // With a nested loop made the dearest plan, the planner takes any other it may: on a big
    // shop a batch of a few hundred tickets made it prefer hashing every month of the timeline.
    // The indexer's reads leave it none (each a subquery per ticket or per event).
    let mut conn = app.pool.acquire().await.expect("connection");
    let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("begin");
    sqlx::query("SET LOCAL enable_nestloop = off")
        .execute(&mut *tx)
        .await
        .expect("set");
    for (name, statement, ids, ats) in [
        (
            "timelines",
            aftersales::search::index::TIMELINES_WORDS,
            vec![id],
            Some(vec![app.now()]),
        ),
        (
            "events",
            aftersales::search::index::EVENTS_BY_KEY,
            vec![event],
            Some(vec![at]),
        ),
        // The tickets' own fields, with their orders' and buyers'.
        ("fields", aftersales::search::index::TICKET_FIELDS, vec![id], None),
    ] {
        let explain = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {statement}"));
        let mut explain = sqlx::query_scalar(explain).bind(shop).bind(&ids);
        if let Some(ats) = &ats {
            explain = explain.bind(ats);
        }
        let plan: Value = explain.fetch_one(&mut *tx).await.expect("explain");
        let mut kinds = Vec::new();
        node_types(&plan[0]["Plan"], &mut kinds);
        assert!(kinds.iter().any(|k| k == "Nested Loop"), "{name}: {kinds:?}");
        assert!(
            !kinds.iter().any(|k| k == "Hash Join" || k == "Merge Join"),
            "{name}: {kinds:?}"
        );
    }
    tx.rollback().await.expect("rollback");
    // And they read what they should.
    let mut conn = app.pool.acquire().await.expect("connection");
    let read: Vec<(i64, String)> = sqlx::query_as(aftersales::search::index::EVENTS_BY_KEY)
        .bind(shop)
        .bind(vec![event])
        .bind(vec![at])
        .fetch_all(&mut *conn)
        .await
        .expect("by key")
        .into_iter()
        .map(|(ticket, kind, _): (i64, String, Value)| (ticket, kind))
        .collect();
    assert_eq!(read, [(id, "created".to_string())]);
}

/// A timeline's new events are kept by one trigger, called once a statement, that calls nothing
/// else: an event with words is queued for the search, a refund marks its day for the reports,
/// and one without either (a ticket's `created`, `assigned` …) writes neither; the webhooks'
/// outbox is called only in a shop with an active hook (migration `…_new_rows_kept_by_one_trigger`,
/// docs/PERFORMANCE.md).
#[tokio::test]
async fn a_timeline_event_is_kept_by_one_trigger_that_writes_only_what_it_says() {
    let (app, shop, _, id) = one_ticket().await;
    let Some(admin) = counting_functions(&app).await else {
        return;
    };
    let quiet = event_kept(
        &admin,
        false,
        shop,
        id,
        app.now(),
        "assigned",
        json!({"from": null, "to": null}),
    )
    .await;
    assert_eq!(quiet, Kept::default());
    let said = event_kept(&admin, false, shop, id, app.now(), "note", json!({"text": "回电"})).await;
    assert_eq!(
        said,
        Kept {
            queued: 1,
            ..Kept::default()
        }
    );
    let refunded = json!({"from": "processing", "to": "refunded"});
    let refunded = event_kept(&admin, false, shop, id, app.now(), "status_changed", refunded).await;
    assert_eq!(
        refunded,
        Kept {
            queued: 1,
            marked: Some(16),
            ..Kept::default()
        }
    );
    // In a shop with a hook that asks for it, the event is handed to the webhooks' outbox.
    let assigned = json!({"from": null, "to": null});
    let hooked = event_kept(&admin, true, shop, id, app.now(), "assigned", assigned).await;
    assert_eq!(
        hooked,
        Kept {
            deliveries: 1,
            others_called: vec!["webhook_outbox_for".to_owned()],
            ..Kept::default()
        }
    );
}

/// A new ticket's bookkeeping — the days the reports count again, its owner's open count, the
/// search's queue, the live desk's announcement — is written by one statement trigger, called once,
/// that calls no helper: each call was a function started and its statements' executors set up
/// again, at every ticket created (migrations `…_ticket_bookkeeping_written_in_place` and
/// `…_new_rows_kept_by_one_trigger`, docs/PERFORMANCE.md).
#[tokio::test]
async fn a_new_ticket_is_kept_by_one_trigger_that_calls_no_helper() {
    let (app, shop, _, id) = one_ticket().await;
    let Some(admin) = counting_functions(&app).await else {
        return;
    };
    let columns: String = sqlx::query_scalar(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
         WHERE attrelid = 'tickets'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
           AND attname <> 'id'",
    )
    .fetch_one(&admin)
    .await
    .expect("the tickets' columns");
    let mut tx = counting_transaction(&admin).await;
    let counts = "SELECT (SELECT COALESCE(max(id), 0) FROM report_stale WHERE shop_id = $1),
                         (SELECT COALESCE(sum(change), 0) FROM open_load_changes WHERE shop_id = $1),
                         (SELECT COALESCE(max(seq), 0) FROM live_outbox WHERE shop_id = $1)";
    let calls_before = calls(&mut tx).await;
    let (stale_before, open_before, announced_before): (i64, i64, i64) = sqlx::query_as(counts)
        .bind(shop)
        .fetch_one(&mut *tx)
        .await
        .expect("before");
    // A copy of the ticket, as a second complaint on the same order.
    let copy: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tickets (id, {columns}) SELECT nextval('tickets_id_seq'), {columns} FROM tickets
         WHERE shop_id = $1 AND id = $2 RETURNING id"
    )))
    .bind(shop)
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .expect("a ticket");
    let (_, open_after, _): (i64, i64, i64) = sqlx::query_as(counts)
        .bind(shop)
        .fetch_one(&mut *tx)
        .await
        .expect("after");
    let marked = marks_since(&mut tx, shop, stale_before).await;
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM search_pending WHERE shop_id = $1 AND kind = 'ticket' AND id = $2")
            .bind(shop)
            .bind(copy)
            .fetch_one(&mut *tx)
            .await
            .expect("the queue");
    let announced: Vec<Value> =
        sqlx::query_scalar("SELECT payload::jsonb -> 'ids' FROM live_outbox WHERE shop_id = $1 AND seq > $2")
            .bind(shop)
            .bind(announced_before)
            .fetch_all(&mut *tx)
            .await
            .expect("the announcement");
    let called = calls_since(&mut tx, &calls_before).await;
    tx.rollback().await.expect("rollback");
    assert_eq!(called, [("tickets_added".to_owned(), 1)], "functions called");
    assert_eq!(announced, [json!([copy])], "announced to the live desk");
    assert_eq!(
        marked,
        Some(4 | 2),
        "the opening day's tickets and the payment day's orders marked"
    );
    assert_eq!(open_after - open_before, 1, "one more open ticket");
    assert_eq!(queued, 1, "queued once for the search");
}

/// A pool of the database's owner, where a transaction's calls of the triggers' functions can be
/// counted (`pg_stat_xact_user_functions`); none on Citus, where the triggers run on the workers
/// beside the shards, whose counts this session does not see.
async fn counting_functions(app: &TestApp) -> Option<sqlx::PgPool> {
    let admin = aftersales::db::pool(app.admin_options.clone(), 1)
        .await
        .expect("an admin pool");
    let citus = aftersales::db::citus::installed(&admin).await.expect("extensions");
    (!citus).then_some(admin)
}

/// A transaction of `admin`'s in which the calls of our functions are counted ([`calls`]).
async fn counting_transaction(admin: &sqlx::PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = admin.begin().await.expect("begin");
    sqlx::query("SET LOCAL track_functions = 'pl'")
        .execute(&mut *tx)
        .await
        .expect("track the functions");
    tx
}

/// The report figures marked stale in `shop` after the mark `since`, together.
async fn marks_since(tx: &mut sqlx::PgConnection, shop: ShopId, since: i64) -> Option<i16> {
    sqlx::query_scalar("SELECT bit_or(figures)::smallint FROM report_stale WHERE shop_id = $1 AND id > $2")
        .bind(shop)
        .bind(since)
        .fetch_one(tx)
        .await
        .expect("the marks")
}

/// How often each function of ours was called, as this session counts them
/// (`pg_stat_xact_user_functions`: on PostgreSQL 15 that holds what the session has not yet
/// reported, which may include calls of its transactions before this one).
async fn calls(tx: &mut sqlx::PgConnection) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT funcname::text, calls FROM pg_stat_xact_user_functions ORDER BY 1")
        .fetch_all(tx)
        .await
        .expect("the calls")
}

/// The functions called since `before` ([`calls`]), with how often.
async fn calls_since(tx: &mut sqlx::PgConnection, before: &[(String, i64)]) -> Vec<(String, i64)> {
    calls(tx)
        .await
        .into_iter()
        .filter_map(|(name, now)| {
            let then = before.iter().find(|(n, _)| *n == name).map_or(0, |(_, c)| *c);
            (now > then).then_some((name, now - then))
        })
        .collect()
}

/// What the triggers wrote, and which functions of ours they called besides the timeline's own,
/// when an event of this kind is written to the ticket `id` (in a transaction rolled back, the
/// calls counted by `pg_stat_xact_user_functions`).
#[derive(Debug, Default, PartialEq)]
struct Kept {
    /// Rows queued for the search.
    queued: i64,
    /// The report figures marked stale, together.
    marked: Option<i16>,
    /// Webhook deliveries written.
    deliveries: i64,
    /// Functions called other than `ticket_events_added`.
    others_called: Vec<String>,
}

async fn event_kept(
    admin: &sqlx::PgPool,
    hooked: bool,
    shop: ShopId,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    kind: &str,
    data: Value,
) -> Kept {
    let mut tx = counting_transaction(admin).await;
    if hooked {
        sqlx::query(
            "INSERT INTO webhooks (shop_id, name, format, url, events, created_at, updated_at)
             VALUES ($1, 'CRM', 'generic', 'https://crm.example.invalid/hook', '{ticket_assigned}', now(), now())",
        )
        .bind(shop)
        .execute(&mut *tx)
        .await
        .expect("a hook");
    }
    let counts = "SELECT (SELECT count(*) FROM search_pending WHERE shop_id = $1),
                         (SELECT COALESCE(max(id), 0) FROM report_stale WHERE shop_id = $1),
                         (SELECT count(*) FROM webhook_deliveries WHERE shop_id = $1)";
    let calls_before = calls(&mut tx).await;
    let (queued_before, stale_before, deliveries_before): (i64, i64, i64) = sqlx::query_as(counts)
        .bind(shop)
        .fetch_one(&mut *tx)
        .await
        .expect("before");
    sqlx::query("INSERT INTO ticket_events (shop_id, ticket_id, at, kind, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(shop)
        .bind(id)
        .bind(at)
        .bind(kind)
        .bind(data)
        .execute(&mut *tx)
        .await
        .expect("an event");
    let (queued_after, _, deliveries_after): (i64, i64, i64) = sqlx::query_as(counts)
        .bind(shop)
        .fetch_one(&mut *tx)
        .await
        .expect("after");
    let marked = marks_since(&mut tx, shop, stale_before).await;
    let called = calls_since(&mut tx, &calls_before).await;
    tx.rollback().await.expect("rollback");
    assert!(
        called.contains(&("ticket_events_added".to_owned(), 1)),
        "the timeline's trigger, once: {called:?}"
    );
    Kept {
        queued: queued_after - queued_before,
        marked,
        deliveries: deliveries_after - deliveries_before,
        others_called: called
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| name != "ticket_events_added")
            .collect(),
    }
}

/// The generator copies documents in PostgreSQL's binary form (`Doc::write_binary`): each reads
/// back as the same `tsvector` as its text (`Doc::to_tsvector`) does — a lexeme at one position
/// under two weights, more positions than a lexeme keeps, positions past the last one kept,
/// lexemes without positions, a prefix before the longer lexeme, every kind of piece.
#[tokio::test]
async fn a_document_in_binary_reads_back_as_its_text_does() {
    use aftersales::search::text::{Doc, Source};
    let app = spawn_app().await;
    let mut docs = Vec::new();
    let mut mixed = Doc::new();
    mixed.add(Source::Title, "蓝牙耳机 Pro 左耳没声音 BT-5000x");
    mixed.add(Source::OrderNo, "2026102512345678");
    mixed.add(Source::Phone, "13987651234");
    mixed.add(Source::Nick, "tb_zhouzhou 周周");
    mixed.add(Source::FollowUp, "已联系买家，买家说耳机左边没有声音，已补发");
    mixed.add_age(123_456);
    docs.push(mixed);
    // The same word at the same position from two sources of different weights.
    let mut twice = Doc::continuing();
    twice.add(Source::Sku, "A1");
    twice.add(Source::Sku, "A1");
    twice.add(Source::Note, "a1 a1 a1");
    docs.push(twice);
    // More positions than a lexeme keeps, and positions up to the last kept (16,383).
    let mut long = Doc::new();
    long.add(Source::Description, &"好 坏 ".repeat(9_000));
    docs.push(long);
    docs.push(Doc::new());
    let mut ages = Doc::new();
    ages.add_age(1);
    docs.push(ages);

    let mut copy = b"PGCOPY\n\xff\r\n\0".to_vec();
    copy.extend_from_slice(&[0; 8]);
    for (i, doc) in docs.iter().enumerate() {
        copy.extend_from_slice(&2i16.to_be_bytes());
        copy.extend_from_slice(&4i32.to_be_bytes());
        copy.extend_from_slice(&i32::try_from(i).expect("small").to_be_bytes());
        let mut binary = Vec::new();
        doc.write_binary(&mut binary);
        copy.extend_from_slice(&i32::try_from(binary.len()).expect("small").to_be_bytes());
        copy.extend_from_slice(&binary);
    }
    copy.extend_from_slice(&(-1i16).to_be_bytes());
    let mut conn = app.pool.acquire().await.expect("connection");
    sqlx::query("CREATE TEMP TABLE binary_docs (i int, doc tsvector)")
        .execute(&mut *conn)
        .await
        .expect("table");
    let mut copying = conn
        .copy_in_raw("COPY binary_docs (i, doc) FROM STDIN (FORMAT binary)")
        .await
        .expect("copy");
    copying.send(copy).await.expect("sent");
    assert_eq!(copying.finish().await.expect("copied"), docs.len() as u64);
    for (i, doc) in docs.iter().enumerate() {
        let (same, binary, text): (bool, String, String) =
            sqlx::query_as("SELECT doc = $2::tsvector, doc::text, $2::tsvector::text FROM binary_docs WHERE i = $1")
                .bind(i32::try_from(i).expect("small"))
                .bind(doc.to_tsvector())
                .fetch_one(&mut *conn)
                .await
                .expect("read back");
        assert!(same, "document {i}: binary {binary} against text {text}");
        assert_eq!(binary, text, "document {i}");
    }
}
