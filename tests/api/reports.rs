//! The owners' reports against a small data set computed by hand (March 2025, Shanghai time,
//! previous period 29 January – 28 February):
//!
//! | order | paid | signed | lines (SKU, category) |
//! |---|---|---|---|
//! | A | 03-02 | 03-05 | SKU-1 服装, SKU-2 鞋 |
//! | B | 03-03 | 03-06 | SKU-1 服装 |
//! | C | 03-10 | 03-12 | SKU-3 服装 |
//! | D | 03-20 | — | SKU-1 服装 |
//! | E | 02-10 | 02-12 | SKU-1 服装 (previous period) |
//!
//! | ticket | kind, reason | on | opened | ends |
//! |---|---|---|---|---|
//! | T1 | return, quality | A/SKU-1 | 03-06 10:00 | approved … refunded, closed 03-08 10:00 (48 h), ¥64 |
//! | T2 | refund, misorder | B | 03-07 10:00 | refunded, closed 03-07 22:00 (12 h), ¥30 |
//! | T3 | complaint, other | C | 03-13 10:00 | open; followed up in time once, one cycle missed |
//! | T4 | return, not_as_described | A/SKU-2 | 03-07 09:00 | rejected, closed 03-08 09:00 (24 h) |
//! | T5 | refund, quality | E | 02-13 10:00 | refunded, closed 02-14 10:00 (24 h) |
//!
//! March: return rate 1/4 (lines signed; only T1 was accepted), refund rate 2/4 (A, B of the
//! paid A–D), quality refund rate 1/4 (A), complaint rate 1/4 (C), time to resolve over 12, 24,
//! 48 h: average 28 h, p90 48 h. Previous: return 0/1, refund 1/1, so −50 pp.

use std::collections::{BTreeMap, BTreeSet};

use aftersales::auth::{CurrentUser, Role};
use aftersales::ids::{ShopId, TicketId, UserId};
use aftersales::rules::rejection::RejectionReason;
use aftersales::rules::workflow::Status;
use aftersales::tickets::service::{self, NewFollowUp, NewTicket, NewTransition};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, browser, spawn_app};

fn local(text: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time");
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .expect("local time")
        .with_timezone(&Utc)
}

struct Data {
    app: TestApp,
    shop: ShopId,
    owner_token: String,
    agent_token: String,
    supervisor: CurrentUser,
}

fn worker(id: UserId, login: &str, role: Role, shop: ShopId) -> CurrentUser {
    CurrentUser {
        id,
        login: login.into(),
        display_name: login.into(),
        role,
        shops: vec![shop],
        token: String::new(),
    }
}

async fn put_order(app: &TestApp, token: &str, shop: ShopId, no: &str, paid: &str, signed: Option<&str>, lines: Value) {
    let answer = app
        .put(
            &format!("/api/v1/shops/{shop}/orders/{no}"),
            token,
            json!({ "buyer": format!("buyer-{no}"), "paid_at": local(paid).to_rfc3339(),
                    "signed_at": signed.map(|s| local(s).to_rfc3339()), "lines": lines }),
        )
        .await;
    assert!(
        answer.status == StatusCode::CREATED || answer.status == StatusCode::OK,
        "{:?}",
        answer.body
    );
}

fn line(sku: &str, category: &str) -> Value {
    json!({ "sku": sku, "title": format!("商品 {sku}"), "category": category, "quantity": 1, "unit_price_fen": 10000 })
}

async fn open(
    state: &aftersales::state::AppState,
    user: &CurrentUser,
    shop: &aftersales::shops::Shop,
    ticket: Value,
) -> TicketId {
    let input: NewTicket = serde_json::from_value(ticket).expect("ticket");
    service::create(
        &state.openings,
        &state.calendar(),
        user,
        shop,
        input,
        None,
        aftersales::i18n::Lang::Zh,
        local("2025-04-01 00:00"),
    )
    .await
    .map_err(|e| e.to_string())
    .expect("opens")
    .ticket
    .id
}

async fn walk(state: &aftersales::state::AppState, user: &CurrentUser, id: TicketId, path: &[Status], at: &str) -> i32 {
    walk_from(state, user, id, 1, path, at).await
}

/// [`walk`] from the ticket's version `version`; returns the version it ends at.
async fn walk_from(
    state: &aftersales::state::AppState,
    user: &CurrentUser,
    id: TicketId,
    mut version: i32,
    path: &[Status],
    at: &str,
) -> i32 {
    for &to in path {
        let moved = service::transition(
            &state.pool,
            &state.calendar(),
            user,
            id,
            NewTransition {
                // The buyer's shipment back is recorded with its tracking number.
                carrier: (to == Status::BuyerShipped).then_some(aftersales::rules::shipment::Carrier::Yto),
                tracking_no: (to == Status::BuyerShipped).then(|| "YT1234567890123".to_string()),
                note: (to == Status::Rejected).then(|| "买家未提供凭证".to_string()),
                rejection_reason: (to == Status::Rejected).then_some(RejectionReason::MissingEvidence),
                ..NewTransition::plain(to, version)
            },
            local(at),
        )
        .await
        .map_err(|e| e.to_string())
        .expect("moves");
        version = moved.version;
    }
    version
}

async fn data() -> Data {
    let app = spawn_app().await;
    let shop_id = app.shop("rep").await;
    let (agent, agent_token) = app.user("agent-r", Role::Agent, &[shop_id]).await;
    let (supervisor, _) = app.user("super-r", Role::Supervisor, &[shop_id]).await;
    let (_, owner_token) = app.user("owner-r", Role::Owner, &[shop_id]).await;
    let t = &agent_token;
    put_order(
        &app,
        t,
        shop_id,
        "A",
        "2025-03-02 12:00",
        Some("2025-03-05 12:00"),
        json!([line("SKU-1", "服装"), line("SKU-2", "鞋")]),
    )
    .await;
    put_order(
        &app,
        t,
        shop_id,
        "B",
        "2025-03-03 12:00",
        Some("2025-03-06 12:00"),
        json!([line("SKU-1", "服装")]),
    )
    .await;
    put_order(
        &app,
        t,
        shop_id,
        "C",
        "2025-03-10 12:00",
        Some("2025-03-12 12:00"),
        json!([line("SKU-3", "服装")]),
    )
    .await;
    put_order(
        &app,
        t,
        shop_id,
        "D",
        "2025-03-20 12:00",
        None,
        json!([line("SKU-1", "服装")]),
    )
    .await;
    put_order(
        &app,
        t,
        shop_id,
        "E",
        "2025-02-10 12:00",
        Some("2025-02-12 12:00"),
        json!([line("SKU-1", "服装")]),
    )
    .await;

    let state = aftersales::state::AppState::new(app.pool.clone()).with_clock(app.clock.clone());
    let shop = aftersales::shops::get(&app.pool, shop_id)
        .await
        .expect("query")
        .expect("shop");
    let sup = worker(supervisor, "super-r", Role::Supervisor, shop_id);
    let agent_user = worker(agent, "agent-r", Role::Agent, shop_id);
    use Status::*;
    let t1 = open(
        &state,
        &sup,
        &shop,
        json!({ "kind": "return", "order_no": "A", "sku": "SKU-1", "reason": "quality",
        "refund_fen": 6400, "opened_at": local("2025-03-06 10:00") }),
    )
    .await;
    walk(
        &state,
        &sup,
        t1,
        &[Approved, BuyerShipped, Received, Refunded, Closed],
        "2025-03-08 10:00",
    )
    .await;
    let t2 = open(
        &state,
        &sup,
        &shop,
        json!({ "kind": "refund", "order_no": "B", "reason": "misorder",
        "refund_fen": 3000, "opened_at": local("2025-03-07 10:00") }),
    )
    .await;
    walk(&state, &sup, t2, &[Approved, Refunded, Closed], "2025-03-07 22:00").await;
    let t3 = open(
        &state,
        &agent_user,
        &shop,
        json!({ "kind": "complaint", "order_no": "C", "reason": "other",
        "opened_at": local("2025-03-13 10:00") }),
    )
    .await;
    let t4 = open(
        &state,
        &sup,
        &shop,
        json!({ "kind": "return", "order_no": "A", "sku": "SKU-2", "reason": "not_as_described",
        "opened_at": local("2025-03-07 09:00") }),
    )
    .await;
    walk(&state, &sup, t4, &[Rejected, Closed], "2025-03-08 09:00").await;
    let t5 = open(
        &state,
        &sup,
        &shop,
        json!({ "kind": "refund", "order_no": "E", "reason": "quality",
        "refund_fen": 10000, "opened_at": local("2025-02-13 10:00") }),
    )
    .await;
    walk(&state, &sup, t5, &[Approved, Refunded, Closed], "2025-02-14 10:00").await;

    // T3: a follow-up in time, one made late (not in time, not a missed cycle either), then the
    // sweep records the next cycle as missed.
    for at in ["2025-03-13 20:00", "2025-03-15 20:00"] {
        service::follow_up(
            &state.follow_up_writes,
            &agent_user,
            t3,
            NewFollowUp {
                channel: serde_json::from_value(json!("phone")).expect("channel"),
                summary: "联系买家".into(),
                version: None,
            },
            local(at),
        )
        .await
        .map_err(|e| e.to_string())
        .expect("follow-up");
    }
    aftersales::follow_ups::sweep(&app.pool, local("2025-03-17 00:00"))
        .await
        .expect("sweep");
    Data {
        app,
        shop: shop_id,
        owner_token,
        agent_token,
        supervisor: sup,
    }
}

/// The desk's state on the data's clock, and the data's shop: what a test opens and moves
/// tickets with.
async fn desk(d: &Data) -> (aftersales::state::AppState, aftersales::shops::Shop) {
    let state = aftersales::state::AppState::new(d.app.pool.clone()).with_clock(d.app.clock.clone());
    let shop = aftersales::shops::get(&d.app.pool, d.shop)
        .await
        .expect("query")
        .expect("shop");
    (state, shop)
}

async fn report(d: &Data, by: &str) -> Value {
    report_of(d, "2025-03-01", "2025-03-31", by).await
}

async fn report_of(d: &Data, from: &str, to: &str, by: &str) -> Value {
    let answer = d
        .app
        .get(
            &format!("/api/v1/shops/{}/reports/returns?from={from}&to={to}&by={by}", d.shop),
            &d.owner_token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn parts(rate: &Value) -> (i64, i64) {
    (
        rate["numerator"].as_i64().expect("numerator"),
        rate["denominator"].as_i64().expect("denominator"),
    )
}

fn row<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {}", body["rows"]))
}

#[tokio::test]
async fn a_return_accepted_on_a_line_signed_for_on_its_own_day_is_counted_on_that_day() {
    let d = data().await;
    // Order E is paid in February and never signed for as a whole; its one line is, on 03-05.
    let mut signed_line = line("SKU-9", "箱包");
    signed_line["signed_at"] = json!(local("2025-03-05 12:00").to_rfc3339());
    put_order(
        &d.app,
        &d.agent_token,
        d.shop,
        "E",
        "2025-02-20 12:00",
        None,
        json!([signed_line]),
    )
    .await;
    let before = report(&d, "day").await;
    let (returned, signed) = parts(&row(&before, "2025-03-05")["figures"]["return_rate"]);

    // A return of that line is opened and accepted three weeks later: the day the line was
    // signed for (neither the ticket's days nor its order's, and outside the span between them)
    // is counted again.
    let (state, shop) = desk(&d).await;
    let ticket = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "return", "order_no": "E", "sku": "SKU-9", "reason": "misorder",
        "refund_fen": 10000, "opened_at": local("2025-03-26 10:00") }),
    )
    .await;
    walk(&state, &d.supervisor, ticket, &[Status::Approved], "2025-03-27 10:00").await;
    let after = report(&d, "day").await;
    assert_eq!(after["pending_days"], 0);
    assert_eq!(
        parts(&row(&after, "2025-03-05")["figures"]["return_rate"]),
        (returned + 1, signed),
        "E's line is one more returned of that day's"
    );
}

#[tokio::test]
async fn the_summary_matches_the_hand_computed_figures_with_the_previous_period() {
    let d = data().await;
    let body = report(&d, "day").await;
    let s = &body["summary"];
    assert_eq!(parts(&s["return_rate"]), (1, 4));
    assert_eq!(s["return_rate"]["basis"], "sign_date");
    assert_eq!(s["return_rate"]["value"], 0.25);
    assert_eq!(parts(&s["refund_rate"]), (2, 4));
    assert_eq!(s["refund_rate"]["basis"], "payment_date");
    assert_eq!(parts(&s["quality_refund_rate"]), (1, 4));
    assert_eq!(parts(&s["complaint_rate"]), (1, 4));
    assert_eq!(s["time_to_resolve"]["tickets"], 3);
    assert_eq!(s["time_to_resolve"]["avg_hours"], 28.0);
    assert_eq!(s["time_to_resolve"]["p90_hours"], 48.0);
    assert_eq!(s["tickets"], 4);
    assert_eq!(s["refund_fen"], 9400);

    assert_eq!(
        (body["previous_from"].as_str(), body["previous_to"].as_str()),
        (Some("2025-01-29"), Some("2025-02-28"))
    );
    let p = &body["previous"];
    assert_eq!(parts(&p["return_rate"]), (0, 1));
    assert_eq!(parts(&p["refund_rate"]), (1, 1));
    assert_eq!(parts(&p["quality_refund_rate"]), (1, 1));
    assert_eq!(p["time_to_resolve"]["p90_hours"], 24.0);

    let agents = body["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert_eq!(
        (agents[0]["in_time"].as_i64(), agents[0]["missed"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(agents[0]["compliance"]["value"], 0.5);
}

#[tokio::test]
async fn each_grouping_splits_the_figures_as_computed_by_hand() {
    let d = data().await;
    let day = report(&d, "day").await;
    assert_eq!(parts(&row(&day, "2025-03-05")["figures"]["return_rate"]), (1, 2));
    assert_eq!(parts(&row(&day, "2025-03-06")["figures"]["return_rate"]), (0, 1));
    assert_eq!(parts(&row(&day, "2025-03-02")["figures"]["refund_rate"]), (1, 1));
    assert_eq!(parts(&row(&day, "2025-03-20")["figures"]["refund_rate"]), (0, 1));
    assert_eq!(row(&day, "2025-03-08")["figures"]["time_to_resolve"]["tickets"], 2);

    let week = report(&d, "week").await;
    assert_eq!(parts(&row(&week, "2025-03-03")["figures"]["return_rate"]), (1, 3));
    assert_eq!(parts(&row(&week, "2025-03-10")["figures"]["return_rate"]), (0, 1));
    assert_eq!(
        parts(&row(&week, "2025-02-24")["figures"]["refund_rate"]),
        (1, 1),
        "A was paid on Sunday 03-02"
    );

    let month = report(&d, "month").await;
    assert_eq!(parts(&row(&month, "2025-03-01")["figures"]["return_rate"]), (1, 4));
    assert_eq!(parts(&row(&month, "2025-03-01")["figures"]["refund_rate"]), (2, 4));

    let sku = report(&d, "sku").await;
    let sku1 = row(&sku, "SKU-1");
    assert_eq!(parts(&sku1["figures"]["return_rate"]), (1, 2));
    assert_eq!(parts(&sku1["figures"]["refund_rate"]), (2, 3));
    assert_eq!(parts(&sku1["previous"]["return_rate"]), (0, 1));
    assert_eq!(parts(&sku1["previous"]["refund_rate"]), (1, 1));
    assert_eq!(parts(&row(&sku, "SKU-2")["figures"]["refund_rate"]), (0, 1));
    assert_eq!(parts(&row(&sku, "SKU-3")["figures"]["return_rate"]), (0, 1));

    let category = report(&d, "category").await;
    assert_eq!(parts(&row(&category, "服装")["figures"]["return_rate"]), (1, 3));
    assert_eq!(parts(&row(&category, "服装")["figures"]["refund_rate"]), (2, 4));
    assert_eq!(parts(&row(&category, "鞋")["figures"]["return_rate"]), (0, 1));

    let reason = report(&d, "reason").await;
    let quality = row(&reason, "quality");
    assert_eq!(
        (
            quality["figures"]["tickets"].as_i64(),
            quality["figures"]["refund_fen"].as_i64()
        ),
        (Some(1), Some(6400))
    );
    assert_eq!(quality["previous"]["tickets"], 1);
    assert_eq!(
        row(&reason, "misorder")["figures"]["time_to_resolve"]["avg_hours"],
        12.0
    );
    assert_eq!(row(&reason, "not_as_described")["figures"]["tickets_refunded"], 0);
    assert_eq!(reason["rows"].as_array().map(Vec::len), Some(4));

    let kind = report(&d, "kind").await;
    let returns = row(&kind, "return");
    assert_eq!(
        (
            returns["figures"]["tickets"].as_i64(),
            returns["figures"]["tickets_refunded"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(returns["figures"]["time_to_resolve"]["avg_hours"], 36.0);
    assert_eq!(returns["figures"]["time_to_resolve"]["p90_hours"], 48.0);
    assert_eq!(row(&kind, "complaint")["figures"]["tickets"], 1);
}

#[tokio::test]
async fn agents_are_refused_and_bad_periods_are_explained() {
    let d = data().await;
    let path = format!("/api/v1/shops/{}/reports/returns", d.shop);
    let agent = d.app.get(&path, &d.agent_token).await;
    assert_eq!(agent.status, StatusCode::FORBIDDEN);
    let backwards = d
        .app
        .get(&format!("{path}?from=2025-03-31&to=2025-03-01"), &d.owner_token)
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        backwards.error_message().contains("after"),
        "{}",
        backwards.error_message()
    );
    let grouping = d.app.get(&format!("{path}?by=year"), &d.owner_token).await;
    assert_eq!(grouping.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other_shop = d.app.get("/api/v1/shops/999999/reports/returns", &d.owner_token).await;
    assert_eq!(other_shop.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_draws_its_charts_and_every_table_exports_as_csv_with_a_bom() {
    let d = data().await;
    let client = browser(&d.app, "owner-r").await;
    let march = d.app.url(&format!(
        "/reports?shop={}&from=2025-03-01&to=2025-03-31&by=sku",
        d.shop
    ));
    let (status, html) = crate::support::html(&client, march.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<svg") && html.contains("<polyline") && html.contains("<rect"),
        "charts drawn on the server"
    );
    assert!(
        html.contains("25.00%") && html.contains("<td class=\"num\">4</td>") && html.contains("按签收日期"),
        "rate, parts and basis: {html}"
    );
    assert!(html.contains("-50.00 pp"), "the change against the previous period");
    assert!(html.contains("SKU-1") && html.contains("质量问题"));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    assert!(
        html.contains("id=\"def-complaint_rate\">投诉率</dt><dd>本期付款的订单中，有投诉工单")
            && html.contains("<a href=\"#def-complaint_rate\">投诉率</a>"),
        "the complaint rate is defined on the page and its name links there: {html}"
    );
    assert!(
        html.contains("<td class=\"num small-n\" title=\"n = 4，少于 20：样本太少，仅供参考\">25.00%</td>"),
        "a rate over 4 orders is greyed with its n: {html}"
    );
    for table in ["summary", "rows", "agents", "kinds", "refund_reasons", "other_reasons"] {
        let response = client
            .get(d.app.url(&format!(
                "/reports/export.csv?shop={}&from=2025-03-01&to=2025-03-31&by=reason&table={table}",
                d.shop
            )))
            .send()
            .await
            .expect("csv");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let bytes = response.bytes().await.expect("bytes");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{table}: UTF-8 BOM first");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        assert!(text.lines().count() >= 2, "{table}: {text}");
    }
    // In English, the previous period's refunded tickets read right whatever their number.
    client
        .get(d.app.url("/lang/en"))
        .send()
        .await
        .expect("switch to English");
    let (status, english) = crate::support::html(&client, march).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        english.contains("tickets opened in the period were refunded; previous period ¥")
            && english.contains(" (tickets refunded: 1).")
            && !english.contains(" tickets)."),
        "{english}"
    );
    let agent = browser(&d.app, "agent-r").await;
    let refused = agent.get(d.app.url("/reports")).send().await.expect("page");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

// The figures are pre-counted per day and month (reports::rollup) and recounted when a write
// marks a day stale: these would fail if a kind of write went unnoticed.

#[tokio::test]
async fn the_figures_follow_orders_and_tickets_that_change_after_a_report_was_read() {
    let d = data().await;
    let before = report(&d, "day").await;
    assert_eq!(parts(&before["summary"]["return_rate"]), (1, 4));
    assert_eq!(parts(&before["summary"]["refund_rate"]), (2, 4));

    // Order D is signed for on 03-21: one more line signed in March, on that day.
    put_order(
        &d.app,
        &d.agent_token,
        d.shop,
        "D",
        "2025-03-20 12:00",
        Some("2025-03-21 12:00"),
        json!([line("SKU-1", "服装")]),
    )
    .await;
    // B's return is accepted and refunded (an old order: its days in early March change).
    let (state, shop) = desk(&d).await;
    let t6 = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "return", "order_no": "B", "sku": "SKU-1", "reason": "misorder",
        "refund_fen": 5000, "opened_at": local("2025-03-09 10:00") }),
    )
    .await;
    walk(
        &state,
        &d.supervisor,
        t6,
        &[
            Status::Approved,
            Status::BuyerShipped,
            Status::Received,
            Status::Refunded,
            Status::Closed,
        ],
        "2025-03-10 10:00",
    )
    .await;

    let after = report(&d, "day").await;
    assert_eq!(
        after["pending_days"], 0,
        "recounted on read: no background recount here"
    );
    let s = &after["summary"];
    assert_eq!(parts(&s["return_rate"]), (2, 5), "B's line returned, D's line signed");
    assert_eq!(parts(&s["refund_rate"]), (2, 4), "B was already refunded once");
    assert_eq!(s["tickets"], 5);
    assert_eq!(s["refund_fen"], 14400);
    assert_eq!(s["time_to_resolve"]["tickets"], 4);
    assert_eq!(parts(&row(&after, "2025-03-06")["figures"]["return_rate"]), (1, 1));
    assert_eq!(parts(&row(&after, "2025-03-21")["figures"]["return_rate"]), (0, 1));
    let by_sku = report(&d, "sku").await;
    assert_eq!(parts(&row(&by_sku, "SKU-1")["figures"]["return_rate"]), (2, 3));

    // D's signature moves to April: out of March again.
    put_order(
        &d.app,
        &d.agent_token,
        d.shop,
        "D",
        "2025-03-20 12:00",
        Some("2025-04-02 12:00"),
        json!([line("SKU-1", "服装")]),
    )
    .await;
    let moved = report(&d, "day").await;
    assert_eq!(parts(&moved["summary"]["return_rate"]), (2, 4));
    assert!(
        moved["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["key"] != "2025-03-21"),
        "{}",
        moved["rows"]
    );
}

#[tokio::test]
async fn a_period_of_whole_months_and_odd_days_adds_up_like_its_days() {
    let d = data().await;
    // 15 January – 20 March: February whole (month rows), the rest day by day.
    let body = report_of(&d, "2025-01-15", "2025-03-20", "day").await;
    let sum = |field: &str, part: &str| -> i64 {
        body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["figures"][field][part].as_i64().expect("count"))
            .sum()
    };
    for field in ["return_rate", "refund_rate", "quality_refund_rate", "complaint_rate"] {
        let (numerator, denominator) = parts(&body["summary"][field]);
        assert_eq!(numerator, sum(field, "numerator"), "{field}");
        assert_eq!(denominator, sum(field, "denominator"), "{field}");
    }
    assert_eq!(
        parts(&body["summary"]["refund_rate"]),
        (3, 5),
        "E in February, A–D in March"
    );
    assert_eq!(parts(&body["summary"]["return_rate"]), (1, 5));
    let closed: i64 = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["figures"]["time_to_resolve"]["tickets"].as_i64().expect("tickets"))
        .sum();
    assert_eq!(body["summary"]["time_to_resolve"]["tickets"], closed);
    assert_eq!(closed, 4);
    // Over 12, 24, 24 and 48 hours.
    assert_eq!(body["summary"]["time_to_resolve"]["avg_hours"], 27.0);
    assert_eq!(body["summary"]["time_to_resolve"]["p90_hours"], 48.0);
    // By SKU the whole months and the odd days meet too.
    let by_sku = report_of(&d, "2025-01-15", "2025-03-20", "sku").await;
    assert_eq!(
        parts(&row(&by_sku, "SKU-1")["figures"]["refund_rate"]),
        (3, 4),
        "A, B and E of A, B, D, E"
    );
}

#[tokio::test]
async fn a_shop_that_changes_its_time_zone_has_its_days_recounted() {
    let d = data().await;
    let shanghai = report(&d, "day").await;
    let keys = |body: &Value| -> Vec<String> {
        body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["key"].as_str().expect("key").to_string())
            .collect()
    };
    assert!(
        !keys(&shanghai).contains(&"2025-03-01".to_string()),
        "{:?}",
        keys(&shanghai)
    );
    // A was paid at 12:00 on 03-02 in Shanghai: 20:00 on 03-01 in Los Angeles.
    let (_, admin) = d.app.user("zone-admin", Role::Admin, &[]).await;
    let moved = d
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", d.shop),
            &admin,
            json!({ "time_zone": "America/Los_Angeles" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let los_angeles = report(&d, "day").await;
    assert_eq!(los_angeles["time_zone"], "America/Los_Angeles");
    assert_eq!(
        parts(&row(&los_angeles, "2025-03-01")["figures"]["refund_rate"]),
        (1, 1)
    );
    // Nothing is counted twice: March still has A–D paid.
    assert_eq!(parts(&los_angeles["summary"]["refund_rate"]), (2, 4));
}

#[tokio::test]
async fn the_databases_bucket_of_a_time_to_resolve_is_the_same_as_the_codes() {
    let app = spawn_app().await;
    let mut seconds: Vec<i64> = (0..7_300).collect();
    let mut edge = 3600.0_f64;
    while edge < 40_000_000.0 {
        for delta in [-1.0, 0.0, 1.0] {
            seconds.push((edge + delta) as i64);
        }
        edge *= aftersales::reports::rates::BUCKET_GROWTH;
    }
    let buckets: Vec<(i64, i16)> = sqlx::query_as("SELECT s, report_bucket(s) FROM unnest($1::int8[]) AS s")
        .bind(&seconds)
        .fetch_all(&app.pool)
        .await
        .expect("query");
    for (s, bucket) in buckets {
        assert_eq!(bucket, aftersales::reports::rates::resolve_bucket(s), "{s} seconds");
    }
}

#[tokio::test]
async fn a_shop_loaded_in_bulk_has_its_figures_counted_from_what_was_written() {
    let app = spawn_app().await;
    let options = aftersales::bench::generate::Options {
        order_lines: 3_000,
        tickets: 400,
        shop: "bulk".into(),
        seed: 7,
    };
    // The generator switches triggers off, which takes every right on the database.
    let maintenance = aftersales::db::pool(app.admin_options.clone(), 4).await.expect("pool");
    aftersales::bench::generate::generate(&maintenance, &options)
        .await
        .expect("generates");
    let one = |sql: &'static str| {
        let pool = app.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.expect(sql) }
    };
    assert_eq!(one("SELECT count(*) FROM report_stale").await, 0, "all counted");
    // The whole shop, summed over its days, is what the tables hold.
    assert_eq!(
        one("SELECT COALESCE(sum(lines_signed), 0)::int8 FROM report_days WHERE span = 'day' AND dim = 'total'").await,
        one(
            "SELECT count(*) FROM order_lines l JOIN orders o ON o.shop_id = l.shop_id AND o.id = l.order_id
             WHERE COALESCE(l.signed_at, o.signed_at) IS NOT NULL"
        )
        .await
    );
    assert_eq!(
        one("SELECT COALESCE(sum(orders_paid), 0)::int8 FROM report_days WHERE span = 'day' AND dim = 'total'").await,
        one("SELECT count(*) FROM orders WHERE paid_at IS NOT NULL").await
    );
    assert_eq!(
        one("SELECT COALESCE(sum(tickets_opened), 0)::int8 FROM report_days WHERE span = 'day' AND dim = 'total'")
            .await,
        400
    );
    assert_eq!(
        one("SELECT COALESCE(sum(tickets_closed), 0)::int8 FROM report_days WHERE span = 'month' AND dim = 'kind'")
            .await
            + one(
                "SELECT COALESCE(sum(tickets_closed), 0)::int8 FROM report_days d WHERE span = 'day' AND dim = 'kind'
                 AND NOT EXISTS (SELECT 1 FROM report_days m WHERE m.shop_id = d.shop_id AND m.span = 'month'
                                 AND m.dim = 'kind' AND m.start = date_trunc('month', d.start)::date)"
            )
            .await,
        one("SELECT count(*) FROM tickets WHERE closed_at IS NOT NULL").await,
        "month rows sum their days"
    );
    // The refunds paid, over the days, are each ticket's last refund on its timeline, which is
    // what the ticket keeps as refunded.
    let paid =
        one("SELECT COALESCE(sum(refunds_paid_fen), 0)::int8 FROM report_days WHERE span = 'day' AND dim = 'sku'")
            .await;
    assert!(paid > 0, "the generated refunds carry their amounts");
    assert_eq!(
        paid,
        one("SELECT COALESCE(sum(fen), 0)::int8 FROM (
                 SELECT DISTINCT ON (ticket_id) (data->>'refund_fen')::int8 AS fen FROM ticket_events
                 WHERE kind = 'status_changed' AND data->>'to' = 'refunded' AND data->>'refund_fen' IS NOT NULL
                 ORDER BY ticket_id, at DESC, id DESC) AS last")
        .await
    );
    assert_eq!(
        paid,
        one("SELECT COALESCE(sum(refunded_fen), 0)::int8 FROM tickets").await
    );
    // A period read from month rows less the days outside it (the months it holds most of) has
    // the figures its own days add up to, for every grouping and the cost card's refunds.
    let shop = ShopId(one("SELECT id FROM shops WHERE code = 'bulk'").await);
    let last: chrono::NaiveDate = sqlx::query_scalar("SELECT max(start) FROM report_days WHERE span = 'day'")
        .fetch_one(&app.pool)
        .await
        .expect("last day");
    // A period ending on the last day with figures reads its last month's row, nothing being
    // after it; the others read the months worth netting.
    let month_start = |d: chrono::NaiveDate| d.with_day(1).expect("first day");
    let this_month = aftersales::reports::rates::Period::new(month_start(last), last).expect("period");
    let netted = aftersales::reports::rollup::netted_months(&app.pool, shop, this_month, "sku", false)
        .await
        .expect("netted months");
    let next = month_start(month_start(last) + chrono::Duration::days(31));
    assert_eq!(
        netted,
        (month_start(last), next),
        "this month so far from its month row"
    );
    let mut asked = vec![this_month];
    for back in [330, 200, 95, 61, 33] {
        for days in [12, 20, 40, 100, 250] {
            let from = last - chrono::Duration::days(back);
            let to = (from + chrono::Duration::days(days - 1)).min(last);
            asked.push(aftersales::reports::rates::Period::new(from, to).expect("period"));
        }
    }
    assert_eq!(asked.len(), 26);
    for period in asked {
        let (from, to) = (period.from, period.to);
        for (by, dim) in [
            (aftersales::reports::GroupBy::Sku, "sku"),
            (aftersales::reports::GroupBy::Category, "category"),
            (aftersales::reports::GroupBy::Total, "total"),
        ] {
            let read = aftersales::reports::rollup::read(
                &app.pool,
                shop,
                period,
                by,
                aftersales::reports::rollup::Detail::WithoutP90,
            )
            .await
            .expect("read");
            let read: Vec<(String, i64, i64, i64, i64, i64, i64)> = read
                .into_iter()
                .map(|(key, c)| {
                    let figures = (c.lines_signed, c.lines_returned, c.orders_paid, c.tickets_opened);
                    (
                        key,
                        figures.0,
                        figures.1,
                        figures.2,
                        figures.3,
                        c.tickets_closed,
                        c.refund_fen,
                    )
                })
                .collect();
            let days: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT value, sum(lines_signed)::int8, sum(lines_returned)::int8, sum(orders_paid)::int8,
                        sum(tickets_opened)::int8, sum(tickets_closed)::int8, sum(refund_fen)::int8
                 FROM report_days WHERE shop_id = $1 AND dim = $2 AND span = 'day' AND start BETWEEN $3 AND $4
                 GROUP BY value
                 HAVING sum(lines_signed) > 0 OR sum(orders_paid) > 0 OR sum(tickets_opened) > 0
                        OR sum(tickets_closed) > 0
                 ORDER BY value",
            )
            .bind(shop)
            .bind(dim)
            .bind(from)
            .bind(to)
            .fetch_all(&app.pool)
            .await
            .expect("days");
            assert_eq!(read, days, "{dim} {from}..{to}");
        }
        let pools = aftersales::reports::Pools::one(&app.pool);
        let costs = aftersales::reports::costs::costs(pools, shop, chrono_tz::Asia::Shanghai, period, usize::MAX)
            .await
            .expect("costs");
        let mut refunds: Vec<(String, i64)> = costs.into_iter().map(|c| (c.sku, c.refunds_fen)).collect();
        let mut days: Vec<(String, i64)> = sqlx::query_as(
            "SELECT value, sum(refunds_paid_fen)::int8 FROM report_days
             WHERE shop_id = $1 AND dim = 'sku' AND span = 'day' AND start BETWEEN $2 AND $3
             GROUP BY value HAVING sum(refunds_paid_fen) <> 0",
        )
        .bind(shop)
        .bind(from)
        .bind(to)
        .fetch_all(&app.pool)
        .await
        .expect("refund days");
        refunds.sort();
        days.sort();
        assert_eq!(refunds, days, "refunds {from}..{to}");
    }
    // Counted in bulk — each family into a stage, every row written once — the rows are what
    // the recount of a desk that is serving writes, a month at a time, family after family
    // straight into the table.
    let every_row = || {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, String, chrono::NaiveDate, String)>(
                "SELECT dim, span, value, start, md5(r::text) FROM report_days r WHERE shop_id = $1
                 ORDER BY dim, span, value, start",
            )
            .bind(shop)
            .fetch_all(&pool)
            .await
            .expect("every row")
        }
    };
    let in_bulk = every_row().await;
    assert!(in_bulk.len() > 1_000, "{}", in_bulk.len());
    aftersales::reports::rollup::mark_all_stale(&app.pool, shop)
        .await
        .expect("marked");
    let recounted = aftersales::reports::rollup::refresh(&app.pool, shop, aftersales::reports::rollup::Busy::Wait)
        .await
        .expect("recounted");
    assert!(recounted > 300, "{recounted} days");
    let recounted_rows = every_row().await;
    let (bulk_set, recounted_set): (BTreeSet<_>, BTreeSet<_>) =
        (in_bulk.iter().collect(), recounted_rows.iter().collect());
    let differing: Vec<_> = bulk_set.symmetric_difference(&recounted_set).take(10).collect();
    assert!(
        differing.is_empty() && recounted_rows.len() == in_bulk.len(),
        "rows not the same counted in bulk and a month at a time ({} and {} rows): {differing:?}",
        in_bulk.len(),
        recounted_rows.len()
    );
}

/// The `/reports` form as a page shows it for `from`–`to`, in the client's language.
async fn report_form(
    app: &TestApp,
    client: &reqwest::Client,
    shop: ShopId,
    from: &str,
    to: &str,
) -> (StatusCode, String) {
    crate::support::html(
        client,
        app.url(&format!("/reports?shop={shop}&from={from}&to={to}&by=week")),
    )
    .await
}

#[tokio::test]
async fn a_period_backwards_or_too_long_is_explained_next_to_the_dates_with_the_dates_kept_in_both_languages() {
    let app = spawn_app().await;
    let shop = app.shop("rep-form").await;
    app.user("owner-form", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-form").await;

    let (status, page) = report_form(&app, &client, shop, "2025-03-31", "2025-03-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("<span class=\"field-error\" id=\"from-error\">开始日期（2025-03-31）晚于结束日期（2025-03-01）：请先填第一天，再填最后一天。</span>"),
        "the message next to the date, in Chinese: {page}"
    );
    assert!(
        page.contains("name=\"from\" value=\"2025-03-31\" aria-invalid=\"true\"")
            && page.contains("name=\"to\" value=\"2025-03-01\""),
        "the dates as typed: {page}"
    );
    assert!(
        page.contains("<option value=\"week\" selected>"),
        "the grouping as chosen"
    );
    assert!(
        !page.contains("id=\"report-summary\""),
        "no figures for a period that cannot be taken"
    );
    let (status, page) = report_form(&app, &client, shop, "2025-02-30", "2025-03-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(
            "<span class=\"field-error\" id=\"from-error\">“2025-02-30”不是日期，请写成 2025-03-01 这样的格式。</span>"
        ) && page.contains("name=\"from\" value=\"2025-02-30\" aria-invalid=\"true\""),
        "a day that does not exist is explained next to its field, as typed: {page}"
    );

    let (status, page) = report_form(&app, &client, shop, "2024-01-01", "2025-03-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"from-error\">一份报表最多涵盖 400 天，请选择更短的时间段。</span>")
            && page.contains("name=\"from\" value=\"2024-01-01\"")
            && page.contains("name=\"to\" value=\"2025-03-01\""),
        "{page}"
    );

    client.get(app.url("/lang/en")).send().await.expect("switch to English");
    let (status, page) = report_form(&app, &client, shop, "2025-03-31", "2025-03-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(
            "id=\"from-error\">The start date (2025-03-31) is after the end date (2025-03-01): give the first day, then the last.</span>"
        ) && page.contains("name=\"from\" value=\"2025-03-31\""),
        "{page}"
    );
    let (_, page) = report_form(&app, &client, shop, "2024-01-01", "2025-03-01").await;
    assert!(
        page.contains("id=\"from-error\">A report covers at most 400 days; choose a shorter period.</span>")
            && page.contains("name=\"to\" value=\"2025-03-01\""),
        "{page}"
    );
    let (status, page) = report_form(&app, &client, shop, "2025-03-01", "1999-12-31").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"to-error\">The year 1999 is outside the years accepted (2000–2100).</span>")
            && page.contains("name=\"to\" value=\"1999-12-31\" aria-invalid=\"true\""),
        "{page}"
    );

    // A good period shows the figures and no error.
    let (status, page) = report_form(&app, &client, shop, "2025-03-01", "2025-03-31").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"report-summary\"") && !page.contains("field-error"),
        "{page}"
    );
}

#[tokio::test]
async fn the_api_names_the_field_of_a_bad_period_with_a_stable_code() {
    let app = spawn_app().await;
    let shop = app.shop("rep-api").await;
    let (_, token) = app.user("owner-api", Role::Owner, &[shop]).await;
    let path = format!("/api/v1/shops/{shop}/reports/returns");
    let backwards = app.get(&format!("{path}?from=2025-03-31&to=2025-03-01"), &token).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(backwards.error_code(), "invalid_field");
    assert_eq!(backwards.body["error"]["details"]["field"], "from");
    assert_eq!(
        backwards.error_message(),
        "from: The start date (2025-03-31) is after the end date (2025-03-01): give the first day, then the last."
    );
    let long = app.get(&format!("{path}?from=2024-01-01&to=2025-03-01"), &token).await;
    assert_eq!(long.body["error"]["details"]["field"], "from");
    assert_eq!(
        long.error_message(),
        "from: A report covers at most 400 days; choose a shorter period."
    );
    let not_a_date = app.get(&format!("{path}?to=tomorrow"), &token).await;
    assert_eq!(not_a_date.body["error"]["details"]["field"], "to");
    assert_eq!(
        not_a_date.error_message(),
        "to: “tomorrow” is not a date; write it as 2025-03-01."
    );
    let far = app.get(&format!("{path}?from=1999-01-01&to=1999-01-02"), &token).await;
    assert_eq!(far.error_code(), "date_out_of_range");
    assert_eq!(far.body["error"]["details"]["field"], "to");
}

/// Moves a ticket one step with the details given, returning its new version.
async fn step(
    state: &aftersales::state::AppState,
    user: &CurrentUser,
    id: TicketId,
    transition: NewTransition,
    at: &str,
) -> i32 {
    service::transition(&state.pool, &state.calendar(), user, id, transition, local(at))
        .await
        .map_err(|e| e.to_string())
        .expect("moves")
        .version
}

/// To the hand-computed March: T6, a refund on D (paid ¥100) agreed in full and refunded in part,
/// ¥40; T7, a logistics case on C (SKU-3, paid ¥100) resolved by refund, which records no amount.
async fn with_partial_and_logistics_refunds(d: &Data) {
    let (state, shop) = desk(d).await;
    let t6 = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "refund", "order_no": "D", "reason": "misorder",
        "refund_fen": 10000, "opened_at": local("2025-03-21 10:00") }),
    )
    .await;
    let version = step(
        &state,
        &d.supervisor,
        t6,
        NewTransition {
            refund_fen: Some(10000),
            ..NewTransition::plain(Status::Approved, 1)
        },
        "2025-03-21 11:00",
    )
    .await;
    step(
        &state,
        &d.supervisor,
        t6,
        NewTransition {
            refund_fen: Some(4000),
            ..NewTransition::plain(Status::Refunded, version)
        },
        "2025-03-21 12:00",
    )
    .await;
    let t7 = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "logistics", "order_no": "C", "sku": "SKU-3", "reason": "logistics_stuck",
        "opened_at": local("2025-03-11 10:00") }),
    )
    .await;
    let version = step(
        &state,
        &d.supervisor,
        t7,
        NewTransition::plain(Status::CarrierContacted, 1),
        "2025-03-11 12:00",
    )
    .await;
    step(
        &state,
        &d.supervisor,
        t7,
        NewTransition {
            resolution: Some(aftersales::rules::workflow::Resolution::Refunded),
            ..NewTransition::plain(Status::Resolved, version)
        },
        "2025-03-12 12:00",
    )
    .await;
}

/// A CSV export as rows of fields (the BOM checked and taken off).
async fn csv_rows(d: &Data, client: &reqwest::Client, query: &str) -> Vec<Vec<String>> {
    let response = client
        .get(d.app.url(&format!(
            "/reports/export.csv?shop={}&from=2025-03-01&to=2025-03-31&{query}",
            d.shop
        )))
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let bytes = response.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{query}: UTF-8 BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// The field of `row` under the header `column`.
fn field<'a>(rows: &'a [Vec<String>], row: &[String], column: &str) -> &'a str {
    let at = rows[0]
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column} in {:?}", rows[0]));
    let index = rows.iter().position(|r| r == row).expect("row of the table");
    &rows[index][at]
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("“{text}” is not a number a spreadsheet can sum"))
}

#[tokio::test]
async fn refund_reasons_count_only_refund_and_return_tickets_and_the_other_kinds_apart() {
    let d = data().await;
    with_partial_and_logistics_refunds(&d).await;
    let client = browser(&d.app, "owner-r").await;
    // March: T1 return/quality, T2 refund/misorder, T4 return/not_as_described, T6 refund/misorder;
    // apart: T3 complaint/other, T7 logistics/logistics_stuck.
    let refund = csv_rows(&d, &client, "table=refund_reasons").await;
    let tickets = |rows: &[Vec<String>]| -> Vec<(String, i64)> {
        rows[1..]
            .iter()
            .map(|r| (r[0].clone(), r[1].parse().expect("tickets")))
            .collect()
    };
    assert_eq!(
        tickets(&refund),
        vec![
            ("拍错/多拍".to_string(), 2),
            ("与描述不符".to_string(), 1),
            ("质量问题".to_string(), 1)
        ],
        "{refund:?}"
    );
    let other = csv_rows(&d, &client, "table=other_reasons").await;
    let other_total: i64 = tickets(&other).iter().map(|(_, n)| n).sum();
    assert_eq!(other_total, 2, "{other:?}");
    assert!(
        tickets(&refund).iter().all(|(reason, _)| reason != "其他"),
        "the complaint is not a refund reason"
    );

    let html = client
        .get(
            d.app
                .url(&format!("/reports?shop={}&from=2025-03-01&to=2025-03-31", d.shop)),
        )
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let reasons = html
        .split("id=\"report-reasons\"")
        .nth(1)
        .and_then(|rest| rest.split("id=\"report-other-reasons\"").next())
        .expect("the refund-reason chart");
    assert!(
        html.contains("<option value=\"week\" selected>"),
        "a month without a grouping asked for is shown by week"
    );
    assert!(
        reasons.contains("退款原因分布（退款、退货工单）"),
        "labelled: {reasons}"
    );
    assert!(
        reasons.contains(">2 单 · ¥70.00<"),
        "misorder: T2 ¥30 and T6 ¥40: {reasons}"
    );
    assert!(
        !reasons.contains("物流"),
        "no logistics reason among the refund reasons: {reasons}"
    );
    let others = html
        .split("id=\"report-other-reasons\"")
        .nth(1)
        .and_then(|rest| rest.split("id=\"report-skus\"").next())
        .expect("the other kinds' chart");
    assert!(others.contains("投诉 1") && others.contains("物流 1"), "{others}");
}

#[tokio::test]
async fn the_refunded_total_is_the_sum_of_the_amounts_refunded_with_a_partial_refund_at_its_amount() {
    let d = data().await;
    with_partial_and_logistics_refunds(&d).await;
    let recorded: i64 = sqlx::query_scalar(
        "SELECT sum(refunded_fen)::int8 FROM tickets
         WHERE shop_id = $1 AND opened_at >= $2 AND opened_at < $3 AND refunded_fen IS NOT NULL",
    )
    .bind(d.shop)
    .bind(local("2025-03-01 00:00"))
    .bind(local("2025-04-01 00:00"))
    .fetch_one(&d.app.pool)
    .await
    .expect("sum");
    assert_eq!(recorded, 6400 + 3000 + 4000, "T1, T2 and T6's partial ¥40");

    let body = report(&d, "kind").await;
    let s = &body["summary"];
    assert_eq!(s["tickets_refunded"], 4, "T1, T2, T6 and the logistics refund T7");
    assert_eq!(
        s["refund_fen"].as_i64(),
        Some(recorded + 10000),
        "the recorded amounts, and T7 at the ¥100 paid for SKU-3"
    );
    assert_eq!(
        (
            s["tickets_refund_estimated"].as_i64(),
            s["refund_estimated_fen"].as_i64()
        ),
        (Some(1), Some(10000))
    );
    assert_eq!(row(&body, "refund")["figures"]["refund_fen"], 3000 + 4000);
    assert_eq!(row(&body, "logistics")["figures"]["refund_fen"], 10000);
    let kinds: i64 = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["figures"]["refund_fen"].as_i64().expect("fen"))
        .sum();
    assert_eq!(kinds, recorded + 10000, "the kinds add up to the total");

    let client = browser(&d.app, "owner-r").await;
    let html = client
        .get(
            d.app
                .url(&format!("/reports?shop={}&from=2025-03-01&to=2025-03-31", d.shop)),
        )
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"report-refunded-total\">¥234.00</p>"),
        "the total, first on the page: {html}"
    );
    assert!(
        html.contains("其中 ¥100.00 来自 1 张未记录退款金额的工单"),
        "the estimated part said: {html}"
    );
}

#[tokio::test]
async fn csv_exports_give_rates_and_amounts_as_plain_numbers() {
    let d = data().await;
    with_partial_and_logistics_refunds(&d).await;
    let client = browser(&d.app, "owner-r").await;

    let summary = csv_rows(&d, &client, "table=summary").await;
    assert_eq!(
        summary[0][..6],
        ["指标", "单位", "本期", "分子", "分母", "统计口径"],
        "{:?}",
        summary[0]
    );
    let complaint = summary
        .iter()
        .find(|r| r[0] == "投诉率")
        .expect("complaint rate")
        .clone();
    assert_eq!(number(field(&summary, &complaint, "本期")), 25.0);
    assert_eq!(number(field(&summary, &complaint, "分子")), 1.0);
    assert_eq!(number(field(&summary, &complaint, "分母")), 4.0);
    assert_eq!(number(field(&summary, &complaint, "上期（%）")), 0.0, "none of E");
    let refund = summary.iter().find(|r| r[0] == "退款率").expect("refund rate").clone();
    assert_eq!(number(field(&summary, &refund, "本期")), 100.0, "A, B, C (T7) and D");
    assert_eq!(
        number(field(&summary, &refund, "变化（百分点或小时）")),
        0.0,
        "E was refunded too"
    );
    let quality = summary.iter().find(|r| r[0] == "品质退款率").expect("quality").clone();
    assert_eq!(number(field(&summary, &quality, "变化（百分点或小时）")), -75.0);
    let average = summary
        .iter()
        .find(|r| r[0] == "平均处理时长（小时）")
        .expect("average")
        .clone();
    assert_eq!(field(&summary, &average, "单位"), "小时");
    // Closed in March: T2 in 12 h, T4 in 24 h, T1 in 48 h (T6 and T7 are not closed).
    assert_eq!(number(field(&summary, &average, "分母")), 3.0, "tickets closed");
    assert_eq!(
        number(field(&summary, &average, "分子")),
        84.0,
        "the hours of them all, not a ticket count"
    );
    assert_eq!(number(field(&summary, &average, "本期")), 28.0);

    let by_day = csv_rows(&d, &client, "table=rows&by=day").await;
    let march_5 = by_day.iter().find(|r| r[0] == "2025-03-05").expect("5 March").clone();
    assert_eq!(number(field(&by_day, &march_5, "退货率（%）")), 50.0);
    assert_eq!(number(field(&by_day, &march_5, "退货率·分子")), 1.0);
    assert_eq!(number(field(&by_day, &march_5, "退货率·分母")), 2.0);
    for row in &by_day[1..] {
        number(field(&by_day, row, "退款金额（元）"));
        for rate in ["退货率", "退款率", "品质退款率", "投诉率"] {
            let percent = field(&by_day, row, &format!("{rate}（%）"));
            if !percent.is_empty() {
                number(percent);
            }
            number(field(&by_day, row, &format!("{rate}·分母")));
        }
    }

    let kinds = csv_rows(&d, &client, "table=kinds").await;
    let amounts: f64 = kinds[1..]
        .iter()
        .map(|r| number(field(&kinds, r, "退款金额（元）")))
        .sum();
    assert!((amounts - 234.0).abs() < 1e-9, "{kinds:?}");
    let refunds = kinds.iter().find(|r| r[0] == "仅退款").expect("refund kind").clone();
    assert_eq!(field(&kinds, &refunds, "退款金额（元）"), "70.00");
}

#[tokio::test]
async fn the_migration_has_the_refunds_already_on_the_timelines_counted() {
    let pool = crate::support::empty_pool().await;
    aftersales::db::MIGRATOR
        .run_to(20261203000040, &pool)
        .await
        .expect("migrations before the change");
    sqlx::raw_sql(
        "INSERT INTO shops (code, name) VALUES ('old', '老店');
         INSERT INTO customers (shop_id, nick) VALUES (1, 'buyer');
         INSERT INTO orders (shop_id, order_no, customer_id, paid_at) VALUES (1, 'O-1', 1, '2026-03-01 10:00+08');
         INSERT INTO order_lines (shop_id, order_id, sku, title, quantity, unit_price_fen)
             VALUES (1, 1, 'SKU-1', '毛衣', 1, 12900);
         INSERT INTO tickets (shop_id, kind, status, reason, order_id, sku, customer_id, opened_at, refunded_fen,
                              refunded_at)
             VALUES (1, 'refund', 'refunded', 'quality', 1, 'SKU-1', 1, '2026-03-02 10:00+08', 6400,
                     '2026-03-03 23:30+08');
         INSERT INTO ticket_events (shop_id, ticket_id, at, kind, data)
             VALUES (1, 1, '2026-03-03 23:30+08', 'status_changed',
                     '{\"from\": \"approved\", \"to\": \"refunded\", \"refund_fen\": 6400}');
         -- What the desk had counted before the change.
         DELETE FROM report_stale;",
    )
    .execute(&pool)
    .await
    .expect("a refunded ticket");
    aftersales::db::MIGRATOR.run(&pool).await.expect("the migrations after");

    let stale: Vec<chrono::NaiveDate> = sqlx::query_scalar("SELECT day FROM report_stale ORDER BY day")
        .fetch_all(&pool)
        .await
        .expect("marks");
    assert_eq!(
        stale,
        vec![chrono::NaiveDate::from_ymd_opt(2026, 3, 3).expect("day")],
        "the refund's local day"
    );
    aftersales::reports::rollup::refresh(&pool, ShopId(1), aftersales::reports::rollup::Busy::Wait)
        .await
        .expect("recount");
    let counted: Vec<(String, chrono::NaiveDate, i64)> = sqlx::query_as(
        "SELECT span, start, refunds_paid_fen FROM report_days WHERE dim = 'sku' AND value = 'SKU-1'
         AND refunds_paid_fen <> 0 ORDER BY span",
    )
    .fetch_all(&pool)
    .await
    .expect("rows");
    assert_eq!(
        counted,
        vec![
            (
                "day".into(),
                chrono::NaiveDate::from_ymd_opt(2026, 3, 3).expect("day"),
                6_400
            ),
            (
                "month".into(),
                chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("day"),
                6_400
            ),
        ]
    );
}

/// How a plan (JSON, on Citus with its workers' plans inside) reads `report_days`: the kind of
/// each scan of it (`Seq Scan`, `Index Scan`, …), and every index the plan names.
fn report_days_scans(plan: &Value, scans: &mut Vec<String>, indexes: &mut Vec<String>) {
    let mut nodes = Vec::new();
    plan_nodes(plan, true, &mut nodes);
    for node in nodes {
        let kind = node.get("Node Type").and_then(Value::as_str).unwrap_or_default();
        let table = node.get("Relation Name").and_then(Value::as_str).unwrap_or_default();
        if table.starts_with("report_days") && kind != "ModifyTable" {
            scans.push(kind.to_string());
        }
        if let Some(index) = node.get("Index Name").and_then(Value::as_str) {
            indexes.push(index.to_string());
        }
    }
}

/// Every node of an `EXPLAIN (FORMAT JSON)` plan; on Citus, those of its workers' plans too
/// (inside `Distributed Query`) when `workers`.
fn plan_nodes<'a>(plan: &'a Value, workers: bool, nodes: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match plan {
        Value::Object(node) => {
            if node.contains_key("Node Type") {
                nodes.push(node);
            }
            node.iter()
                .filter(|(key, _)| workers || key.as_str() != "Distributed Query")
                .for_each(|(_, child)| plan_nodes(child, workers, nodes));
        }
        Value::Array(items) => items.iter().for_each(|child| plan_nodes(child, workers, nodes)),
        _ => {}
    }
}

/// The test cluster's superuser, after writing a shop's day rows with `insert` (its `$1` the
/// shop) and analysing them.
async fn day_rows(app: &TestApp, shop: ShopId, insert: &'static str) -> sqlx::PgPool {
    let admin = aftersales::db::pool(app.admin_options.clone(), 1)
        .await
        .expect("the test cluster's superuser");
    sqlx::query(insert).bind(shop).execute(&admin).await.expect("day rows");
    sqlx::query("ANALYZE report_days")
        .execute(&admin)
        .await
        .expect("analyze");
    admin
}

/// A recount reads and clears the day rows of its days through the days' index, not by reading
/// every row of the table (the primary key, which leads with the dimension, cannot bound the
/// days): a shop with 60 days of 1,206 rows each, one day recounted.
#[tokio::test]
async fn a_recount_finds_its_days_rows_by_their_day() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let admin = day_rows(
        &app,
        shop,
        "INSERT INTO report_days (shop_id, dim, span, start, value, tickets_opened)
         SELECT $1, d.dim, 'day', DATE '2026-01-01' + n, d.dim || '-' || v, 1
         FROM unnest(ARRAY['total', 'sku', 'category', 'reason', 'kind', 'kind_reason']) AS d (dim),
              generate_series(1, 201) AS v, generate_series(0, 59) AS n",
    )
    .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 10).expect("a day");
    for statement in [
        aftersales::reports::rollup::DAY_FINGERPRINTS,
        aftersales::reports::rollup::DAYS_CLEARED,
    ] {
        // The statements are the desk's own constants.
        let explain = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {statement}"));
        let plan: Value = sqlx::query_scalar(explain)
            .bind(shop)
            .bind(day)
            .bind(day)
            .fetch_one(&admin)
            .await
            .expect("explain");
        let (mut scans, mut indexes) = (Vec::new(), Vec::new());
        report_days_scans(&plan, &mut scans, &mut indexes);
        assert!(!scans.is_empty(), "{plan:#}");
        assert!(
            !scans.iter().any(|kind| kind == "Seq Scan"),
            "{statement}: {scans:?}\n{plan:#}"
        );
        // On Citus the shards' indexes are named after it, with the shard's number.
        assert!(
            indexes.iter().any(|index| index.starts_with("report_days_days")),
            "{statement}: {indexes:?}\n{plan:#}"
        );
    }
}

/// What `read` (its `$1` the shop) finds after `fill` wrote the month rows of `groups`, in a
/// transaction left unfinished, the month rows there were deleted first.
async fn months_filled<T>(
    admin: &sqlx::PgPool,
    shop: ShopId,
    fill: &'static str,
    groups: &[(&str, &str, chrono::NaiveDate)],
    read: &'static str,
) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut tx = admin.begin().await.expect("a transaction");
    sqlx::query("DELETE FROM report_days WHERE shop_id = $1 AND span = 'month'")
        .bind(shop)
        .execute(&mut *tx)
        .await
        .expect("no month rows");
    let dims: Vec<&str> = groups.iter().map(|g| g.0).collect();
    let values: Vec<&str> = groups.iter().map(|g| g.1).collect();
    let months: Vec<chrono::NaiveDate> = groups.iter().map(|g| g.2).collect();
    sqlx::query(fill)
        .bind(shop)
        .bind(&dims)
        .bind(&values)
        .bind(&months)
        .execute(&mut *tx)
        .await
        .expect("the month rows filled");
    let rows = sqlx::query_as(read)
        .bind(shop)
        .fetch_all(&mut *tx)
        .await
        .expect("the month rows");
    tx.rollback().await.expect("rolled back");
    rows
}

/// Every month row of a shop: group, month and a digest of what it holds.
const MONTH_ROWS: &str = "SELECT dim, value, start, md5(r::text) FROM report_days r
                          WHERE shop_id = $1 AND span = 'month' ORDER BY dim, value, start";

/// A recount of every stale day of a shop (a bulk load) joins by hash, never by a nested loop:
/// each fill finds the tickets of its days' orders through `IN (SELECT … FROM` a CTE`)` whose
/// distinct ids the planner guesses at 200, and for a year of the big shop's orders that probed
/// the tickets' index once per order. Every fill explained as the bulk recount runs it (into its
/// stage, under its settings), on the report shop's analysed rows, with its values written in
/// (Citus explains no `INSERT … SELECT` with parameters; its workers' plans are their own).
#[tokio::test]
async fn a_whole_shops_recount_joins_by_hash_not_order_by_order() {
    let d = data().await;
    let admin = aftersales::db::pool(d.app.admin_options.clone(), 1)
        .await
        .expect("the test cluster's superuser");
    sqlx::query("ANALYZE orders, order_lines, tickets, ticket_events")
        .execute(&admin)
        .await
        .expect("analyze");
    let quality = aftersales::reports::QUALITY_REASONS.join(",");
    let mut explained = 0;
    for fill in aftersales::reports::rollup::every_staged_fill() {
        assert!(
            !fill.contains("$6"),
            "a fill with more parameters than the recount binds: {fill}"
        );
        let written = fill
            .replace("$1", &d.shop.0.to_string())
            .replace("$2", "'2025-01-01 00:00+08'::timestamptz")
            .replace("$3", "'2026-01-01 00:00+08'::timestamptz")
            .replace("$4", "'Asia/Shanghai'::text")
            .replace("$5", &format!("'{{{quality}}}'::text[]"));
        let mut tx = admin.begin().await.expect("a transaction");
        for setting in aftersales::reports::rollup::BULK_SETTINGS {
            sqlx::query(setting).execute(&mut *tx).await.expect("a setting");
        }
        sqlx::query(aftersales::reports::rollup::STAGE_CREATED)
            .execute(&mut *tx)
            .await
            .expect("the stage");
        let explain = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {written}"));
        let plan: Value = sqlx::query_scalar(explain).fetch_one(&mut *tx).await.expect("explain");
        tx.rollback().await.expect("rolled back");
        let mut nodes = Vec::new();
        plan_nodes(&plan, false, &mut nodes);
        let kinds: Vec<&str> = nodes
            .iter()
            .filter_map(|node| node.get("Node Type").and_then(Value::as_str))
            .collect();
        assert!(!kinds.contains(&"Nested Loop"), "{kinds:?}\n{plan:#}");
        explained += 1;
    }
    assert_eq!(explained, 6);
}

/// The month rows of a few groups are summed from those groups' own days, found through
/// `report_days_groups`, and come out as when every day row of the months between is read and
/// matched by hash (the way for many groups): a shop with three months of 1,206 day rows a day,
/// five groups of January and March. Each month row is the sum of its days, the histogram too.
#[tokio::test]
async fn a_few_groups_months_are_summed_from_their_own_days_as_many_groups_are() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let admin = day_rows(
        &app,
        shop,
        "INSERT INTO report_days (shop_id, dim, span, start, value, tickets_opened, orders_paid, refund_fen,
                                  resolve_buckets, resolve_counts, resolve_max)
         SELECT $1, d.dim, 'day', DATE '2026-01-01' + n, d.dim || '-' || v, 1 + (n + v) % 5, v % 3, n * 100 + v,
                ARRAY[(n % 3)::smallint, 7::smallint], ARRAY[1, v % 4 + 1], ARRAY[n * 60 + v, 9000]
         FROM unnest(ARRAY['total', 'sku', 'category', 'reason', 'kind', 'kind_reason']) AS d (dim),
              generate_series(1, 201) AS v, generate_series(0, 89) AS n",
    )
    .await;
    let month = |m: u32| chrono::NaiveDate::from_ymd_opt(2026, m, 1).expect("a month");
    let groups = [
        ("total", "total-1", month(1)),
        ("sku", "sku-17", month(1)),
        ("sku", "sku-17", month(3)),
        ("category", "category-200", month(3)),
        ("kind_reason", "kind_reason-5", month(3)),
    ];
    use aftersales::reports::rollup::{FILL_MONTHS_FEW, FILL_MONTHS_MANY};
    type Digest = (String, String, chrono::NaiveDate, String);
    let few: Vec<Digest> = months_filled(&admin, shop, FILL_MONTHS_FEW, &groups, MONTH_ROWS).await;
    assert_eq!(few.len(), groups.len(), "{few:?}");
    let many: Vec<Digest> = months_filled(&admin, shop, FILL_MONTHS_MANY, &groups, MONTH_ROWS).await;
    assert_eq!(few, many);
    // What a month row holds is what its days add up to.
    let (opened, paid, refunded, counts): (i64, i64, i64, Vec<i32>) = sqlx::query_as(
        "SELECT sum(tickets_opened)::int8, sum(orders_paid)::int8, sum(refund_fen)::int8,
                ARRAY[sum(resolve_counts[1]) FILTER (WHERE resolve_buckets[1] = 0),
                      sum(resolve_counts[1]) FILTER (WHERE resolve_buckets[1] = 1),
                      sum(resolve_counts[1]) FILTER (WHERE resolve_buckets[1] = 2),
                      sum(resolve_counts[2])]::int4[]
         FROM report_days WHERE shop_id = $1 AND span = 'day' AND dim = 'sku' AND value = 'sku-17'
           AND start >= DATE '2026-03-01' AND start < DATE '2026-04-01'",
    )
    .bind(shop)
    .fetch_one(&admin)
    .await
    .expect("the days' sums");
    type Sums = (i64, i64, i64, Vec<i16>, Vec<i32>, Vec<i32>);
    let rows: Vec<Sums> = months_filled(
        &admin,
        shop,
        FILL_MONTHS_FEW,
        &[("sku", "sku-17", month(3))],
        "SELECT tickets_opened::int8, orders_paid::int8, refund_fen::int8, resolve_buckets, resolve_counts, resolve_max
         FROM report_days WHERE shop_id = $1 AND span = 'month'",
    )
    .await;
    let [row] = &rows[..] else {
        panic!("one month row: {rows:?}");
    };
    assert_eq!((row.0, row.1, row.2), (opened, paid, refunded));
    assert_eq!(row.3, vec![0, 1, 2, 7]);
    assert_eq!(row.4, counts);
    assert_eq!(row.5, vec![87 * 60 + 17, 88 * 60 + 17, 89 * 60 + 17, 9000]);
    // Through the groups' index, not the months' every row. The values are written into the
    // statement: Citus explains no `INSERT … SELECT` with parameters.
    let array = |items: Vec<String>| format!("'{{{}}}'", items.join(","));
    let written = FILL_MONTHS_FEW
        .replace("$1", &shop.0.to_string())
        .replace("$2", &array(groups.iter().map(|g| g.0.to_string()).collect()))
        .replace("$3", &array(groups.iter().map(|g| g.1.to_string()).collect()))
        .replace("$4", &array(groups.iter().map(|g| g.2.to_string()).collect()));
    let explain = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {written}"));
    let plan: Value = sqlx::query_scalar(explain).fetch_one(&admin).await.expect("explain");
    let (mut scans, mut indexes) = (Vec::new(), Vec::new());
    report_days_scans(&plan, &mut scans, &mut indexes);
    assert!(!scans.iter().any(|kind| kind == "Seq Scan"), "{scans:?}\n{plan:#}");
    // On Citus the shards' indexes are named after it, with the shard's number.
    assert!(
        indexes.iter().any(|index| index.starts_with("report_days_groups")),
        "{indexes:?}\n{plan:#}"
    );
}

/// The days stale for the report figures, each with the figures asked for (`report_stale.figures`).
async fn stale(d: &Data) -> Vec<(chrono::NaiveDate, i16)> {
    sqlx::query_as(
        "SELECT day, bit_or(figures)::smallint FROM report_stale WHERE shop_id = $1 GROUP BY day ORDER BY day",
    )
    .bind(d.shop)
    .fetch_all(&d.app.pool)
    .await
    .expect("marks")
}

/// Every row of the shop's figures, day and month rows, with a digest of all it holds.
async fn figures(d: &Data) -> Vec<(String, String, chrono::NaiveDate, String, String)> {
    versions(d)
        .await
        .into_iter()
        .map(|((dim, span, start, value), (_, digest))| (dim, span, start, value, digest))
        .collect()
}

/// What the recount of the marked figures left, against a recount of every figure of every day.
async fn as_if_counted_whole(d: &Data) {
    report(d, "day").await;
    assert!(stale(d).await.is_empty());
    let marked = figures(d).await;
    sqlx::query("SELECT report_mark_shop($1)")
        .bind(d.shop)
        .execute(&d.app.pool)
        .await
        .expect("every day marked");
    report(d, "day").await;
    assert_eq!(marked, figures(d).await);
}

/// A ticket marks only the figures it can change. A complaint on order B (paid 03-03, signed for
/// 03-06) marks its opening day's ticket figures and B's payment day's order figures, not the day
/// B was signed for: no complaint changes a return rate. A return marks its order's signing day's
/// line figures too, and its refund the refund's day. Whatever was marked, the recount leaves
/// every row as a recount of every figure of every day does.
#[tokio::test]
async fn a_ticket_marks_only_the_figures_it_can_change_and_their_recount_is_a_whole_ones() {
    let d = data().await;
    report(&d, "day").await;
    assert!(stale(&d).await.is_empty());
    let (state, shop) = desk(&d).await;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    use aftersales::reports::rollup::Figures;
    let bits = Figures::bits;

    open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "complaint", "order_no": "B", "reason": "quality",
        "opened_at": local("2025-03-20 10:00") }),
    )
    .await;
    assert_eq!(
        stale(&d).await,
        vec![
            (day("2025-03-03"), bits(Figures::ORDERS)),
            (day("2025-03-20"), bits(Figures::OPENED)),
        ]
    );
    let after = report(&d, "day").await;
    assert_eq!(parts(&after["summary"]["complaint_rate"]), (2, 4), "C and now B");
    assert_eq!(parts(&after["summary"]["return_rate"]), (1, 4), "unchanged");
    assert_eq!(after["summary"]["tickets"], 5);
    as_if_counted_whole(&d).await;

    // A return on C's line (signed for 03-12), accepted, then refunded on 03-25.
    let returned = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "return", "order_no": "C", "sku": "SKU-3", "reason": "quality",
        "refund_fen": 2000, "opened_at": local("2025-03-21 10:00") }),
    )
    .await;
    let version = walk(&state, &d.supervisor, returned, &[Status::Approved], "2025-03-22 10:00").await;
    assert_eq!(
        stale(&d).await,
        vec![
            (day("2025-03-10"), bits(Figures::ORDERS)),
            (day("2025-03-12"), bits(Figures::LINES)),
            (day("2025-03-21"), bits(Figures::OPENED)),
        ]
    );
    let after = report(&d, "day").await;
    assert_eq!(parts(&after["summary"]["return_rate"]), (2, 4), "T1 and C's line");
    as_if_counted_whole(&d).await;

    walk_from(
        &state,
        &d.supervisor,
        returned,
        version,
        &[Status::BuyerShipped, Status::Received, Status::Refunded, Status::Closed],
        "2025-03-25 10:00",
    )
    .await;
    let marks = stale(&d).await;
    assert!(
        marks.contains(&(day("2025-03-25"), bits(Figures::REFUNDS | Figures::CLOSED))),
        "{marks:?}"
    );
    assert!(
        !marks.iter().any(|(_, figures)| *figures == bits(Figures::ALL)),
        "{marks:?}"
    );
    let after = report(&d, "day").await;
    assert_eq!(parts(&after["summary"]["refund_rate"]), (3, 4), "A, B and now C");
    as_if_counted_whole(&d).await;
}

/// A refund request marks its order's payment day when it is refunded, not when it is opened: until
/// then it changes none of the order's figures (orders refunded, refunded for quality, complained
/// of). Each time the recount leaves every row as a recount of every figure.
#[tokio::test]
async fn a_refund_request_marks_its_orders_payment_day_once_refunded_not_before() {
    let d = data().await;
    report(&d, "day").await;
    let (state, shop) = desk(&d).await;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    use aftersales::reports::rollup::Figures;

    let refund = open(
        &state,
        &d.supervisor,
        &shop,
        json!({ "kind": "refund", "order_no": "D", "reason": "quality", "refund_fen": 1000,
        "opened_at": local("2025-03-23 10:00") }),
    )
    .await;
    assert_eq!(stale(&d).await, vec![(day("2025-03-23"), Figures::OPENED.bits())]);
    as_if_counted_whole(&d).await;
    walk(
        &state,
        &d.supervisor,
        refund,
        &[Status::Approved, Status::Refunded],
        "2025-03-24 10:00",
    )
    .await;
    let marks = stale(&d).await;
    assert!(
        marks.contains(&(day("2025-03-20"), Figures::ORDERS.bits())),
        "{marks:?}"
    );
    let after = report(&d, "day").await;
    assert_eq!(parts(&after["summary"]["refund_rate"]), (3, 4), "A, B and now D");
    as_if_counted_whole(&d).await;
}

/// Every row of the shop's figures with the transaction that last wrote it and a digest of all it
/// holds.
async fn versions(d: &Data) -> BTreeMap<(String, String, chrono::NaiveDate, String), (String, String)> {
    let rows: Vec<(String, String, chrono::NaiveDate, String, String, String)> = sqlx::query_as(
        "SELECT dim, span, start, value, xmin::text, md5(r::text) FROM report_days r WHERE shop_id = $1",
    )
    .bind(d.shop)
    .fetch_all(&d.app.pool)
    .await
    .expect("figures");
    rows.into_iter()
        .map(|(dim, span, start, value, version, digest)| ((dim, span, start, value), (version, digest)))
        .collect()
}

/// A recount writes only the rows whose figures change. A second complaint on order B (already
/// complained of) marks B's payment day, 03-03, for its order figures; counted again they are
/// what they were, so none of that day's rows is written again — nor is any other row whose
/// figures stay — while the rows of the day the complaint was opened on are.
#[tokio::test]
async fn a_recount_writes_only_the_rows_whose_figures_change() {
    let d = data().await;
    let (state, shop) = desk(&d).await;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    use aftersales::reports::rollup::Figures;
    let complaint =
        |opened: &str| json!({ "kind": "complaint", "order_no": "B", "reason": "quality", "opened_at": local(opened) });
    open(&state, &d.supervisor, &shop, complaint("2025-03-20 10:00")).await;
    report(&d, "day").await;
    let before = versions(&d).await;

    open(&state, &d.supervisor, &shop, complaint("2025-03-24 10:00")).await;
    assert_eq!(
        stale(&d).await,
        vec![
            (day("2025-03-03"), Figures::ORDERS.bits()),
            (day("2025-03-24"), Figures::OPENED.bits())
        ]
    );
    let after_report = report(&d, "day").await;
    assert_eq!(after_report["summary"]["tickets"], 6);
    assert!(stale(&d).await.is_empty());
    let after = versions(&d).await;

    let payment_day: Vec<_> = before
        .keys()
        .filter(|(_, span, start, _)| span == "day" && *start == day("2025-03-03"))
        .collect();
    assert!(
        payment_day.len() >= 3,
        "B's day has its total, SKU and category rows: {payment_day:?}"
    );
    let mut rewritten = Vec::new();
    for (key, (version, digest)) in &before {
        match after.get(key) {
            Some((v, g)) if g == digest && v != version => rewritten.push(key.clone()),
            _ => {}
        }
    }
    assert!(
        rewritten.is_empty(),
        "rows written again with the same figures: {rewritten:?}"
    );
    let opened: Vec<_> = after
        .keys()
        .filter(|(_, span, start, _)| span == "day" && *start == day("2025-03-24"))
        .collect();
    assert!(!opened.is_empty(), "the opening day's rows are written");
    as_if_counted_whole(&d).await;
}
