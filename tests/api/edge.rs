//! Data at the edge: what arrives (money, dates, text) is range-checked and cleaned before it is
//! stored, and what leaves (CSV exports, cached answers) cannot be turned against its reader.

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, spawn_app};

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
