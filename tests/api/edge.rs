//! Data at the edge: what arrives (money, dates, text) is range-checked and cleaned before it is
//! stored, and what leaves (CSV exports, cached answers) cannot be turned against its reader.

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html, spawn_app};

#[tokio::test]
async fn csv_export_writes_formula_like_skus_as_text_and_numbers_as_numbers() {
    let app = spawn_app().await;
    let shop = app.shop("csv").await;
    let (_, agent) = app.user("agent-csv", Role::Agent, &[shop]).await;
    app.user("owner-csv", Role::Owner, &[shop]).await;
    let skus = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "-2+3",
    ];
    let lines: Vec<_> = skus
        .iter()
        .map(|sku| json!({ "sku": sku, "title": "商品", "category": "服装", "quantity": 1, "unit_price_fen": 10000 }))
        .collect();
    let answer = app
        .put(
            &format!("/api/v1/shops/{shop}/orders/F-1"),
            &agent,
            json!({ "buyer": "tb_f", "paid_at": "2025-03-02T02:00:00Z", "signed_at": "2025-03-05T02:00:00Z",
                    "lines": lines }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);

    let owner = browser(&app, "owner-csv").await;
    let response = owner
        .get(app.url(&format!(
            "/reports/export.csv?shop={shop}&from=2025-03-01&to=2025-03-31&by=sku&table=rows"
        )))
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.expect("record").iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    for sku in skus {
        assert!(cells.contains(&format!("'{sku}")), "{sku} neutralised: {cells:?}");
        assert!(!cells.iter().any(|c| c == sku), "{sku} not raw: {cells:?}");
    }
    assert!(
        cells.iter().all(|c| !c.starts_with(['=', '+', '@', '\t', '\r'])),
        "no formula leaves: {cells:?}"
    );
}

#[tokio::test]
async fn an_order_whose_total_overflows_is_refused_naming_the_field_and_the_range() {
    let d = desk().await;
    let path = format!("/api/v1/shops/{}/orders/BIG-1", d.shop);
    let put = |price: i64, quantity: i64| {
        d.app.put(
            &path,
            &d.agent_token,
            json!({ "buyer": "tb_buyer01", "lines": [{ "sku": "S", "title": "商品", "quantity": quantity,
                                                      "unit_price_fen": price }] }),
        )
    };
    let overflow = put(i64::MAX / 2, 3).await;
    assert_eq!(overflow.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", overflow.body);
    assert_eq!(overflow.body["error"]["details"]["field"], "lines[0].unit_price_fen");
    assert!(
        overflow.error_message().contains("100,000,000.00"),
        "{:?}",
        overflow.body
    );
    let line_too_large = put(10_000_000_000, 2).await;
    assert_eq!(line_too_large.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(line_too_large.body["error"]["details"]["field"], "lines[0].quantity");
    assert_eq!(
        put(10_000_000_000, 1).await.status,
        StatusCode::CREATED,
        "the bound itself is allowed"
    );

    let refund = d
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", d.shop),
            &d.agent_token,
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "refund_fen": 10_000_000_001i64 }),
        )
        .await;
    assert_eq!(refund.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refund.error_code(), "amount_out_of_range");
    assert_eq!(refund.body["error"]["details"]["field"], "refund_fen");
}

#[tokio::test]
async fn a_stored_order_that_overflows_does_not_break_the_ticket_page_or_the_buyer_file() {
    let d = desk().await;
    let ticket = d.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    // A row written before amounts were checked at the edge.
    sqlx::query("UPDATE order_lines SET unit_price_fen = $1, quantity = 3")
        .bind(i64::MAX / 2)
        .execute(&d.app.pool)
        .await
        .expect("update");
    let file = d.app.get(&format!("/api/v1/tickets/{id}/buyer"), &d.agent_token).await;
    assert_eq!(file.status, StatusCode::OK, "{:?}", file.body);
    assert!(file.body["orders"][0]["total_fen"].is_null(), "{:?}", file.body);
    let agent = d.browser("agent-a").await;
    for path in [format!("/tickets/{id}"), format!("/tickets/{id}/buyer")] {
        let (status, _) = html(&agent, d.app.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn dates_outside_2000_to_2100_are_refused_at_the_api_the_reports_and_the_importer() {
    let d = desk().await;
    for (field, at) in [
        ("paid_at", "0000-03-01T00:00:00Z"),
        ("signed_at", "2101-01-01T00:00:00Z"),
    ] {
        let answer = d
            .app
            .put(
                &format!("/api/v1/shops/{}/orders/Y-1", d.shop),
                &d.agent_token,
                json!({ "buyer": "tb_y", field: at,
                        "lines": [{ "sku": "S", "title": "商品", "quantity": 1, "unit_price_fen": 100 }] }),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["error"]["details"]["field"], field);
        assert!(answer.error_message().contains("2000–2100"), "{:?}", answer.body);
    }
    let ticket = d
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", d.shop),
            &d.agent_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "other", "opened_at": "0000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", ticket.body);
    assert_eq!(ticket.error_code(), "date_out_of_range");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&d.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0, "nothing stored");

    let (_, owner) = d.app.user("owner-y", Role::Owner, &[d.shop]).await;
    let report = d
        .app
        .get(
            &format!("/api/v1/shops/{}/reports/returns?from=0001-01-01&to=2025-03-31", d.shop),
            &owner,
        )
        .await;
    assert_eq!(report.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", report.body);
    assert_eq!(report.body["error"]["details"]["field"], "from");

    let file = "order_no,buyer,sku,title,category,quantity,unit_price,paid_at,shipped_at,signed_at\n\
                Y-2,tb_y,S,商品,服装,1,10.00,0001-03-01 10:00:00,,\n";
    refused_by_the_importer(&d, file, "2000–2100").await;
}

/// Imports the plain-CSV `file` into the desk's shop and expects its first row refused, the
/// reason saying `why`.
async fn refused_by_the_importer(d: &crate::support::Desk, file: &str, why: &str) {
    let imported = aftersales::import::orders::import(
        &d.app.pool,
        d.shop,
        chrono_tz::Asia::Shanghai,
        file.as_bytes(),
        aftersales::import::orders::Format::Csv,
        false,
        &mut |_| {},
    )
    .await;
    match imported {
        Err(aftersales::import::ImportError::Rows(errors)) => assert!(errors[0].reason.contains(why), "{errors:?}"),
        other => panic!("expected the row to be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn amounts_beyond_the_bound_are_refused_by_the_importer_and_the_new_ticket_form() {
    let d = desk().await;
    let file = "order_no,buyer,sku,title,category,quantity,unit_price,paid_at,shipped_at,signed_at\n\
                Y-3,tb_y,S,商品,服装,3,99999999999.00,2025-03-01 10:00:00,,\n";
    refused_by_the_importer(&d, file, "100,000,000.00").await;

    let agent = d.browser("agent-a").await;
    let shop = d.shop.to_string();
    let refused = agent
        .post(d.app.url("/tickets"))
        .form(&[
            ("shop", shop.as_str()),
            ("order_no", "O-1"),
            ("kind", "refund"),
            ("reason", "quality"),
            ("refund_yuan", "100000000.01"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.expect("text");
    assert!(text.contains("退款金额须在 ¥0.00 至 ¥100,000,000.00 之间"), "{text}");
}

async fn notes(d: &crate::support::Desk) -> Vec<String> {
    sqlx::query_scalar("SELECT data->>'text' FROM ticket_events WHERE kind = 'note' ORDER BY id")
        .fetch_all(&d.app.pool)
        .await
        .expect("notes")
}

#[tokio::test]
async fn nul_in_a_path_a_query_or_a_form_is_a_clear_400() {
    let d = desk().await;
    let ticket = d.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    for path in [
        format!("/api/v1/shops/{}/orders/O%001", d.shop),
        format!("/api/v1/shops/{}/tickets?q=O%00", d.shop),
    ] {
        let answer = d.app.get(&path, &d.agent_token).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {:?}", answer.body);
        assert_eq!(answer.error_code(), "nul_character", "{path}");
    }
    let agent = d.browser("agent-a").await;
    let (status, page) = html(&agent, d.app.url("/tickets/new?order_no=O%001")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("空字符"), "{page}");
    let form = agent
        .post(d.app.url(&format!("/tickets/{id}/notes")))
        .form(&[("text", "a\0b"), ("version", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    assert!(notes(&d).await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn control_characters_escapes_and_bidi_overrides_are_removed_from_free_text() {
    let d = desk().await;
    let ticket = d.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let answer = d
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &d.agent_token,
            json!({ "text": "买家\u{1b}[31m来电\u{7}\r\n第二行\t好\u{202E}txt.exe\u{2066}" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let agent = d.browser("agent-a").await;
    let form = agent
        .post(d.app.url(&format!("/tickets/{id}/notes")))
        .form(&[("text", "表单\u{1b}[2J备注\u{202D}\n下一行")])
        .send()
        .await
        .expect("post");
    assert!(
        form.status().is_redirection() || form.status().is_success(),
        "{}",
        form.status()
    );
    assert_eq!(
        notes(&d).await,
        ["买家[31m来电\n第二行\t好txt.exe", "表单[2J备注\n下一行"]
    );
}

#[tokio::test]
async fn pages_and_api_answers_are_not_stored_by_caches_but_static_files_are() {
    let d = desk().await;
    let ticket = d.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let agent = d.browser("agent-a").await;
    let cache_control = |response: &reqwest::Response| {
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    for path in [
        format!("/tickets/{id}"),
        format!("/tickets/{id}/buyer"),
        "/".to_string(),
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/buyer"),
        "/api/v1/no-such-thing".to_string(),
    ] {
        let response = agent.get(d.app.url(&path)).send().await.expect("get");
        assert_eq!(cache_control(&response), "no-store", "{path} ({})", response.status());
    }
    let login = d.app.client.get(d.app.url("/login")).send().await.expect("login page");
    assert_eq!(cache_control(&login), "no-store");
    let script = agent
        .get(d.app.url(aftersales::assets::url("app.js")))
        .send()
        .await
        .expect("static");
    assert_eq!(script.status(), StatusCode::OK);
    assert_ne!(
        cache_control(&script),
        "no-store",
        "static assets keep their own caching"
    );
}

#[tokio::test]
async fn an_idempotency_key_sent_again_with_a_different_body_is_refused_and_with_the_same_body_replayed() {
    let d = desk().await;
    let send = |description: &'static str| {
        d.app
            .client
            .post(d.app.url(&format!("/api/v1/shops/{}/tickets", d.shop)))
            .bearer_auth(&d.agent_token)
            .header("idempotency-key", "retry-7")
            .json(&json!({ "kind": "complaint", "order_no": "O-1", "reason": "other", "description": description }))
            .send()
    };
    let first = send("买家投诉物流慢").await.expect("first");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.expect("json");
    let again = send("买家投诉物流慢").await.expect("again");
    assert_eq!(again.status(), StatusCode::OK);
    let again: serde_json::Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"], "the same request gets the first ticket back");
    let other = send("另一个问题").await.expect("other");
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other: serde_json::Value = other.json().await.expect("json");
    assert_eq!(other["error"]["code"], "idempotency_key_reused", "{other}");
    assert!(
        other["error"]["message"].as_str().unwrap_or("").contains("retry-7"),
        "{other}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&d.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_control_character_in_a_query_parameter_is_refused_naming_it() {
    // Found by the fuzzer: `to=%C2%84` (a C1 control character) was stripped to nothing and the
    // report answered for the default period as if nothing had been asked.
    let d = crate::support::desk().await;
    let owner = d.app.user("owner-q", aftersales::auth::Role::Owner, &[d.shop]).await.1;
    for path in [
        format!("/api/v1/shops/{}/reports/returns?to=%C2%84", d.shop),
        format!(
            "/api/v1/shops/{}/reports/satisfaction?from=2026-06-01&to=2026-06-1%E2%80%AE5",
            d.shop
        ),
    ] {
        let answer = d.app.get(&path, &owner).await;
        assert_eq!(
            answer.status,
            reqwest::StatusCode::BAD_REQUEST,
            "{path}: {:?}",
            answer.body
        );
        assert_eq!(answer.error_code(), "control_character");
        assert_eq!(answer.body["error"]["details"]["parameter"], "to");
    }
}

#[tokio::test]
async fn an_impossible_id_on_the_upload_routes_is_a_json_error_like_everywhere_else() {
    let d = crate::support::desk().await;
    let answer = d
        .app
        .get("/api/v1/tickets/9223372036854775808/evidence", &d.agent_token)
        .await;
    assert_eq!(answer.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(answer.error_code(), "bad_request", "{:?}", answer.body);
}

#[tokio::test]
async fn the_satisfaction_report_checks_its_period_parameters_like_the_returns_report() {
    // Found by the fuzzer: `by=null` was accepted because the satisfaction report dropped it.
    let d = crate::support::desk().await;
    let owner = d.app.user("owner-s", aftersales::auth::Role::Owner, &[d.shop]).await.1;
    let path = format!("/api/v1/shops/{}/reports/satisfaction?by=null", d.shop);
    let answer = d.app.get(&path, &owner).await;
    assert_eq!(
        answer.status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.body["error"]["details"]["field"], "by");
    let fine = d
        .app
        .get(
            &format!("/api/v1/shops/{}/reports/satisfaction?by=month", d.shop),
            &owner,
        )
        .await;
    assert_eq!(fine.status, reqwest::StatusCode::OK);
}
