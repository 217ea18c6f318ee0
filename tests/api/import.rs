//! Order and refund import: every supported layout and encoding from the fixtures in
//! `tests/fixtures/` (written by `make_fixtures.py`), all-or-nothing with bad rows named,
//! re-import as a no-op, refunds as tickets with their history, and the upload page.

use aftersales::auth::Role;
use aftersales::ids::ShopId;
use aftersales::import::orders::{self, Format};
use aftersales::import::{ImportError, ImportSummary};
use reqwest::StatusCode;

use crate::support::{TestApp, browser, spawn_app};

/// refund_no, kind, status, reason, reason_text, opened_at, platform_timeout_at.
type TicketFacts = (
    String,
    String,
    String,
    String,
    Option<String>,
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
);

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

async fn import(app: &TestApp, shop: ShopId, name: &str, format: Format) -> Result<ImportSummary, ImportError> {
    orders::import(
        &app.pool,
        shop,
        chrono_tz::Asia::Shanghai,
        &fixture(name),
        format,
        false,
        &mut |_| {},
    )
    .await
}

async fn order_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_plain_csv_with_bom_trailing_space_headers_wrapped_ids_and_a_multi_line_cell_is_stored() {
    let app = spawn_app().await;
    let shop = app.shop("imp-a").await;
    let summary = import(&app, shop, "orders_plain_bom.csv", Format::Csv)
        .await
        .expect("imports");
    assert_eq!(
        (summary.layout.as_str(), summary.encoding.as_str()),
        ("plain", "utf-8-bom")
    );
    assert_eq!((summary.rows, summary.orders_created, summary.lines_written), (3, 2, 3));
    let order = aftersales::orders::find(&app.pool, shop, "3912837465012345678")
        .await
        .expect("query")
        .expect("the 19-digit id is kept whole as a string");
    assert_eq!(order.buyer, "tb_lily");
    assert_eq!(order.lines.len(), 2);
    let shoe = order.line("SHOE-38").expect("second line");
    assert_eq!(
        (shoe.quantity, shoe.unit_price_fen, shoe.category.as_str()),
        (1, 12990, "鞋")
    );
    assert_eq!(
        order.signed_at.map(|t| t.to_rfc3339()),
        Some("2025-03-04T07:20:00+00:00".into()),
        "local Shanghai time"
    );
    let address: Option<String> = sqlx::query_scalar("SELECT address FROM customers WHERE nick = 'tb_lily'")
        .fetch_one(&app.pool)
        .await
        .expect("customer");
    assert_eq!(address.as_deref(), Some("浙江省杭州市\n西湖区 文三路 1 号, 3 楼"));
    let unsigned = aftersales::orders::find(&app.pool, shop, "3912837465012345679")
        .await
        .expect("query")
        .expect("second order");
    assert_eq!(unsigned.signed_at, None);
}

#[tokio::test]
async fn importing_the_same_file_again_changes_nothing() {
    let app = spawn_app().await;
    let shop = app.shop("imp-b").await;
    import(&app, shop, "orders_plain_bom.csv", Format::Auto)
        .await
        .expect("first");
    let before: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT order_no, updated_at FROM orders ORDER BY order_no")
            .fetch_all(&app.pool)
            .await
            .expect("orders");
    let again = import(&app, shop, "orders_plain_bom.csv", Format::Auto)
        .await
        .expect("second");
    assert_eq!(
        (
            again.orders_created,
            again.orders_updated,
            again.orders_unchanged,
            again.lines_written,
            again.lines_removed
        ),
        (0, 0, 2, 0, 0)
    );
    let after: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT order_no, updated_at FROM orders ORDER BY order_no")
            .fetch_all(&app.pool)
            .await
            .expect("orders");
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_gbk_order_report_then_its_item_report_give_orders_with_their_real_lines() {
    let app = spawn_app().await;
    let shop = app.shop("imp-c").await;
    let summary = import(&app, shop, "ExportOrderList_gbk.csv", Format::Taobao)
        .await
        .expect("order report imports");
    assert_eq!(
        (summary.layout.as_str(), summary.encoding.as_str()),
        ("taobao_orders", "gb18030")
    );
    let order = aftersales::orders::find(&app.pool, shop, "1234567890123456789")
        .await
        .expect("query")
        .expect("order");
    assert_eq!(order.buyer, "买家甲");
    assert_eq!(order.lines.len(), 1);
    assert_eq!(
        order.lines[0].sku, "纯棉短袖T恤 白色 L",
        "no SKU column: the title stands for it"
    );
    assert_eq!((order.lines[0].quantity, order.lines[0].unit_price_fen), (2, 6400));
    assert_eq!(
        order.paid_at.map(|t| t.to_rfc3339()),
        Some("2025-03-01T01:01:00+00:00".into())
    );
    assert_eq!(
        order.signed_at.map(|t| t.to_rfc3339()),
        Some("2025-03-05T10:00:00+00:00".into())
    );
    let waiting = aftersales::orders::find(&app.pool, shop, "1234567890123456790")
        .await
        .expect("query")
        .expect("order");
    assert_eq!(
        (waiting.signed_at, waiting.total()),
        (None, Some(aftersales::money::Fen(9999)))
    );

    let items = import(&app, shop, "ExportOrderDetailList.csv", Format::Auto)
        .await
        .expect("item report imports");
    assert_eq!(items.layout, "taobao_items");
    let order = aftersales::orders::find(&app.pool, shop, "1234567890123456789")
        .await
        .expect("query")
        .expect("order");
    let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["TS-WHITE-L"], "the real line replaces the stand-in");
    // The order report again leaves the real lines alone.
    import(&app, shop, "ExportOrderList_gbk.csv", Format::Auto)
        .await
        .expect("again");
    let order = aftersales::orders::find(&app.pool, shop, "1234567890123456789")
        .await
        .expect("query")
        .expect("order");
    assert_eq!(order.lines.len(), 1);
}

#[tokio::test]
async fn an_xlsx_order_report_is_read() {
    let app = spawn_app().await;
    let shop = app.shop("imp-d").await;
    let summary = import(&app, shop, "orders.xlsx", Format::Auto).await.expect("imports");
    assert_eq!(
        (summary.layout.as_str(), summary.encoding.as_str()),
        ("taobao_orders", "xlsx")
    );
    let order = aftersales::orders::find(&app.pool, shop, "5550000000000000001")
        .await
        .expect("query")
        .expect("order");
    assert_eq!(order.buyer, "xlsx买家");
    assert_eq!((order.lines[0].quantity, order.lines[0].unit_price_fen), (2, 4440));
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_names_the_row() {
    let app = spawn_app().await;
    let shop = app.shop("imp-e").await;
    match import(&app, shop, "orders_bad_row.csv", Format::Csv).await {
        Err(ImportError::Rows(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].line, 3);
            assert!(
                errors[0].reason.contains("quantity") && errors[0].reason.contains("two"),
                "{}",
                errors[0].reason
            );
        }
        other => panic!("expected the bad row to be refused, got {other:?}"),
    }
    assert_eq!(order_count(&app).await, 0, "nothing was imported");
}

#[tokio::test]
async fn an_item_report_for_unknown_orders_is_refused_whole() {
    let app = spawn_app().await;
    let shop = app.shop("imp-f").await;
    match import(&app, shop, "ExportOrderDetailList.csv", Format::Auto).await {
        Err(ImportError::Rows(errors)) => {
            assert_eq!(errors[0].line, 2);
            assert!(
                errors[0].reason.contains("import the order report"),
                "{}",
                errors[0].reason
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let app = spawn_app().await;
    let shop = app.shop("imp-g").await;
    let summary = orders::import(
        &app.pool,
        shop,
        chrono_tz::Asia::Shanghai,
        &fixture("orders_plain_bom.csv"),
        Format::Auto,
        true,
        &mut |_| {},
    )
    .await
    .expect("checks");
    assert!(summary.dry_run);
    assert_eq!(summary.orders_created, 2);
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn the_refund_report_becomes_tickets_with_history_and_a_reimport_is_a_no_op() {
    let app = spawn_app().await;
    let shop_id = app.shop("imp-h").await;
    app.user("boss", Role::Admin, &[]).await;
    import(&app, shop_id, "orders_plain_bom.csv", Format::Auto)
        .await
        .expect("orders");
    let desk = aftersales::import::refunds::Desk {
        pool: app.pool.clone(),
        calendar: std::sync::Arc::new(aftersales::rules::calendar::Calendar::bundled()),
        clock: app.clock.clone(),
    };
    let shop = aftersales::shops::get(&app.pool, shop_id)
        .await
        .expect("query")
        .expect("shop");
    let user = aftersales::import::refunds::actor(&app.pool, "boss", shop_id)
        .await
        .expect("an admin may import refunds");
    let summary = aftersales::import::refunds::import(&desk, &user, &shop, &fixture("refunds.csv"), false, &mut |_| {})
        .await
        .expect("refunds import");
    assert_eq!((summary.tickets_created, summary.tickets_unchanged), (2, 0));
    let rows: Vec<TicketFacts> =
        sqlx::query_as(
            "SELECT refund_no, kind, status, reason, reason_text, opened_at, platform_timeout_at FROM tickets ORDER BY refund_no",
        )
        .fetch_all(&app.pool)
        .await
        .expect("tickets");
    let (no, kind, status, reason, text, opened, timeout) = &rows[0];
    assert_eq!(
        (no.as_str(), kind.as_str(), status.as_str(), reason.as_str()),
        ("200000000001", "return", "closed", "quality")
    );
    assert_eq!(text.as_deref(), Some("质量问题"), "the buyer's words are kept verbatim");
    assert_eq!(opened.to_rfc3339(), "2025-03-06T02:00:00+00:00");
    assert_eq!(
        timeout.map(|t| t.to_rfc3339()),
        Some("2025-03-16T02:00:00+00:00".into())
    );
    assert_eq!(
        (rows[1].1.as_str(), rows[1].2.as_str(), rows[1].3.as_str()),
        ("refund", "requested", "misorder")
    );
    let refunded_at: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "SELECT e.at FROM ticket_events e JOIN tickets t ON t.shop_id = e.shop_id AND t.id = e.ticket_id
         WHERE t.refund_no = '200000000001' AND e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("refund event");
    assert_eq!(
        refunded_at.map(|t| t.to_rfc3339()),
        Some("2025-03-09T04:00:00+00:00".into()),
        "dated 完结时间"
    );
    let kept: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT refunded_at FROM tickets WHERE refund_no = '200000000001'")
            .fetch_one(&app.pool)
            .await
            .expect("ticket");
    assert_eq!(kept, refunded_at, "the ticket keeps when it was refunded");

    let again = aftersales::import::refunds::import(&desk, &user, &shop, &fixture("refunds.csv"), false, &mut |_| {})
        .await
        .expect("again");
    assert_eq!((again.tickets_created, again.tickets_unchanged), (0, 2));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 2);
}

#[tokio::test]
async fn an_agent_cannot_import_refunds() {
    let app = spawn_app().await;
    let shop = app.shop("imp-i").await;
    app.user("agent-i", Role::Agent, &[shop]).await;
    assert!(
        aftersales::import::refunds::actor(&app.pool, "agent-i", shop)
            .await
            .is_err()
    );
}

fn multipart(fields: &[(&str, &str)], file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----aftersales-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orders.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The job a plain upload was redirected to.
pub(crate) fn job_of(response: &reqwest::Response) -> i64 {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "an upload redirects to its job"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    location
        .strip_prefix("/import?job=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirected to {location}"))
}

/// The `data-state` of a job panel.
pub(crate) fn state_of(panel: &str) -> &str {
    panel
        .split("data-state=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
}

/// Polls a job's panel (as htmx does) until `done(panel)`, for at most a minute.
async fn poll_job(app: &TestApp, client: &reqwest::Client, job: i64, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, panel) = crate::support::html(client, app.url(&format!("/import/jobs/{job}"))).await;
        assert_eq!(status, StatusCode::OK, "{panel}");
        if done(&panel) {
            return panel;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not get there in time: {panel}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Polls until the job has ended (done, failed or cancelled).
pub(crate) async fn finished_job(app: &TestApp, client: &reqwest::Client, job: i64) -> String {
    poll_job(app, client, job, |panel| {
        matches!(state_of(panel), "done" | "failed" | "cancelled")
    })
    .await
}

pub(crate) async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
    file: &[u8],
) -> reqwest::Response {
    let (content_type, body) = multipart(fields, file);
    client
        .post(app.url("/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post")
}

#[tokio::test]
async fn an_owner_uploads_orders_on_the_page_and_sees_the_bad_row() {
    let app = spawn_app().await;
    let shop = app.shop("imp-j").await;
    app.user("owner-j", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-j").await;
    let page = client.get(app.url("/import")).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.expect("text");
    assert!(text.contains("enctype=\"multipart/form-data\"") && text.contains("导入"));
    assert!(text.contains("还没有导入记录"), "an empty history: {text}");

    let shop_field = shop.to_string();
    let response = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "orders"), ("format", "auto")],
        &fixture("orders_bad_row.csv"),
    )
    .await;
    let bad = job_of(&response);
    let panel = finished_job(&app, &client, bad).await;
    assert_eq!(state_of(&panel), "failed");
    assert!(
        panel.contains("未导入任何数据") && panel.contains("<td class=\"num\">3</td>") && panel.contains("two"),
        "the bad row named by its line: {panel}"
    );
    assert!(!panel.contains("hx-trigger"), "an ended job is not polled");

    let (content_type, body) = multipart(
        &[("shop", &shop_field), ("kind", "orders")],
        &fixture("orders_plain_bom.csv"),
    );
    let response = client
        .post(app.url("/import"))
        .header("content-type", content_type)
        .header("hx-request", "true")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    assert!(
        text.contains("id=\"import-result\"") && text.contains("hx-trigger=\"every 1s\""),
        "htmx gets the job's panel, polling: {text}"
    );
    let good: i64 = text
        .split("data-job=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("job id");
    let panel = finished_job(&app, &client, good).await;
    assert!(
        state_of(&panel) == "done" && panel.contains("已导入 3 行") && panel.contains("订单：新增 2"),
        "{panel}"
    );
    assert_eq!(order_count(&app).await, 2);

    let (_, page) = crate::support::html(&client, app.url("/import")).await;
    let history = page.split("id=\"import-history\"").nth(1).expect("a history");
    assert!(
        history.contains(&format!("data-job=\"{good}\" data-state=\"done\""))
            && history.contains(&format!("data-job=\"{bad}\" data-state=\"failed\""))
            && history.contains("orders.csv")
            && history.contains("已完成")
            && history.contains("失败"),
        "{history}"
    );
    let metrics = app.metrics().await;
    for line in [
        "aftersales_import_jobs_total{kind=\"orders\",outcome=\"rejected\"} 1",
        "aftersales_import_jobs_total{kind=\"orders\",outcome=\"imported\"} 1",
        "aftersales_import_rows_total{kind=\"orders\"} 3",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} missing from\n{metrics}");
    }
}

#[tokio::test]
async fn an_upload_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let shop = app.shop("imp-k").await;
    app.user("owner-k", Role::Owner, &[shop]).await;
    let (session, _) = crate::support::sign_in(&app, "owner-k").await;
    let client = crate::support::browser_with(&app, &session, None);
    let (content_type, body) = multipart(&[("shop", &shop.to_string())], &fixture("orders_plain_bom.csv"));
    let response = client
        .post(app.url("/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn an_import_is_audited_with_who_what_kind_of_file_and_its_counts() {
    let app = spawn_app().await;
    let shop = app.shop("imp-audit").await;
    let (owner, _) = app.user("owner-audit", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-audit").await;
    let shop_field = shop.to_string();
    let response = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "orders")],
        &fixture("orders_plain_bom.csv"),
    )
    .await;
    finished_job(&app, &client, job_of(&response)).await;
    let (actor, shop_id, subject, details): (Option<i64>, Option<i64>, String, serde_json::Value) =
        sqlx::query_as("SELECT actor_id, shop_id, subject, details FROM audit_log WHERE action = 'import.completed'")
            .fetch_one(&app.pool)
            .await
            .expect("one import entry");
    assert_eq!(actor, Some(owner.0));
    assert_eq!(shop_id, Some(shop.0));
    assert_eq!(subject, "orders");
    assert_eq!(details["kind"], "orders");
    assert_eq!(details["via"], "upload");
    assert_eq!(details["summary"]["rows"], 3);
    assert_eq!(details["summary"]["orders_created"], 2);

    // A dry run changes nothing and is not recorded; a refused file neither.
    let response = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "orders"), ("dry_run", "on")],
        &fixture("orders_plain_bom.csv"),
    )
    .await;
    let panel = finished_job(&app, &client, job_of(&response)).await;
    assert!(panel.contains("校验通过：3 行，未写入"), "{panel}");
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'import.completed'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(entries, 1);
}

/// Sends a POST announcing a multipart body of `announced` bytes but only its first KiB, then
/// waits (at most 10 s) for the whole answer: the status and the body. An answer at all proves
/// the server decided without reading the body, which is never sent.
async fn answer_before_the_body(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    announced: u64,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary=XY\r\nContent-Length: {announced}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("head");
    let mut start = b"--XY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n".to_vec();
    start.resize(1024, b'x');
    stream.write_all(&start).await.expect("first KiB");
    let read = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_string())
                    })
                    .and_then(|v| v.parse::<usize>().ok());
                if length.is_some_and(|length| body.len() >= length) {
                    break;
                }
            }
        }
        String::from_utf8_lossy(&answer).to_string()
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the server answered without waiting for the body it was promised");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

#[tokio::test]
async fn an_upload_without_the_right_or_the_token_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let shop = app.shop("imp-early").await;
    let (_, agent_token) = app.user("agent-early", Role::Agent, &[shop]).await;
    app.user("owner-early", Role::Owner, &[shop]).await;
    let announced = 400 * 1024 * 1024;
    let cookie = aftersales::auth::extract::SESSION_COOKIE;

    let (session, csrf) = crate::support::sign_in(&app, "agent-early").await;
    let path = format!("/import?csrf={csrf}");
    let (status, answer) =
        answer_before_the_body(&app, &path, &[("Cookie", format!("{cookie}={session}"))], announced).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("您的角色无权执行此操作"), "a page in Chinese: {answer}");
    let (status, answer) = answer_before_the_body(
        &app,
        &path,
        &[("Cookie", format!("{cookie}={session}; lang=en"))],
        announced,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        answer.contains("Your role does not allow this."),
        "a page in English: {answer}"
    );

    let (status, answer) = answer_before_the_body(
        &app,
        "/import",
        &[("Authorization", format!("Bearer {agent_token}"))],
        announced,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        answer.contains("\"code\":\"forbidden\""),
        "JSON for a program: {answer}"
    );

    let (session, _) = crate::support::sign_in(&app, "owner-early").await;
    let (status, answer) = answer_before_the_body(
        &app,
        "/import?csrf=forged",
        &[("Cookie", format!("{cookie}={session}"))],
        announced,
    )
    .await;
    assert_eq!(status, 403);
    assert!(answer.contains("此表单已过期"), "{answer}");
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_with_what_to_do_and_nothing_is_imported() {
    let (pool, db_options, admin_options) = crate::support::fresh_database().await;
    let mut state =
        aftersales::state::AppState::new(pool).with_clock(aftersales::clock::Clock::fixed(crate::support::test_now()));
    state.import_upload_limit = 64 * 1024;
    let app = crate::support::serve(state, db_options, admin_options).await;
    let shop = app.shop("imp-limit").await;
    app.user("owner-limit", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-limit").await;
    let mut file = fixture("orders_plain_bom.csv");
    while file.len() <= 64 * 1024 {
        file.extend_from_slice(b"\r\n");
    }
    let (content_type, body) = multipart(&[("shop", &shop.to_string()), ("kind", "orders")], &file);
    let response = client
        .post(app.url("/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = response.text().await.expect("text");
    assert!(text.contains("文件超过 512 MB") && text.contains("拆分"), "{text}");
    assert_eq!(order_count(&app).await, 0);
}

/// A plain CSV of `rows` orders of one line each.
fn generated_orders(rows: usize) -> Vec<u8> {
    let mut file = String::from("order_no,buyer,sku,title,category,quantity,unit_price,paid_at,shipped_at,signed_at\n");
    for n in 0..rows {
        file.push_str(&format!(
            "G-{n:07},tb_{b},SKU-{s},商品 {s},服装,1,19.90,2025-03-01 10:00:00,2025-03-02 09:00:00,2025-03-04 15:20:00\n",
            b = n % 500,
            s = n % 40
        ));
    }
    file.into_bytes()
}

/// Holds every write to `customers` until the transaction ends: an order import copies all its
/// rows, then waits there, in the middle of its transaction.
async fn hold_customers(app: &TestApp) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let pool = sqlx::PgPool::connect_with(app.admin_options.clone())
        .await
        .expect("admin pool");
    let mut hold = pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE customers IN EXCLUSIVE MODE")
        .execute(&mut *hold)
        .await
        .expect("lock");
    hold
}

const GENERATED: usize = 45_000;

/// The panel of a job that has copied every row and waits on the held table.
fn copied_everything(panel: &str) -> bool {
    state_of(panel) == "running" && panel.contains(&format!("<progress value=\"{GENERATED}\" max=\"{GENERATED}\">"))
}

/// An owner's upload of [`GENERATED`] order rows, running as a job held at the customers table.
async fn large_upload_held(
    shop_code: &str,
    login: &str,
) -> (
    TestApp,
    reqwest::Client,
    sqlx::Transaction<'static, sqlx::Postgres>,
    i64,
) {
    let app = spawn_app().await;
    let shop = app.shop(shop_code).await;
    app.user(login, Role::Owner, &[shop]).await;
    let client = browser(&app, login).await;
    let hold = hold_customers(&app).await;
    let response = upload(
        &app,
        &client,
        &[("shop", &shop.to_string()), ("kind", "orders")],
        &generated_orders(GENERATED),
    )
    .await;
    let job = job_of(&response);
    (app, client, hold, job)
}

#[tokio::test]
async fn a_large_upload_runs_as_a_job_whose_progress_the_page_shows_until_it_is_done() {
    let (app, client, hold, job) = large_upload_held("imp-job", "owner-job").await;

    let panel = poll_job(&app, &client, job, copied_everything).await;
    assert!(
        panel.contains(&format!("hx-get=\"/import/jobs/{job}\" hx-trigger=\"every 1s\""))
            && panel.contains("导入中")
            && panel.contains(&format!("{GENERATED} / {GENERATED} 行"))
            && panel.contains(&format!("action=\"/import/jobs/{job}/cancel\"")),
        "a running job polls, shows its progress and can be cancelled: {panel}"
    );
    let english = crate::support::browser(&app, "owner-job").await;
    english.get(app.url("/lang/en")).send().await.expect("switch");
    let (_, page) = crate::support::html(&english, app.url(&format!("/import?job={job}"))).await;
    assert!(
        page.contains("Running")
            && page.contains(&format!("{GENERATED} of {GENERATED} rows"))
            && page.contains("Cancel the import")
            && page.contains("Import history"),
        "{page}"
    );

    hold.commit().await.expect("release");
    let panel = finished_job(&app, &client, job).await;
    assert_eq!(state_of(&panel), "done", "{panel}");
    assert!(
        panel.contains(&format!("已导入 {GENERATED} 行"))
            && panel.contains(&format!("订单：新增 {GENERATED}，更新 0，未变 0")),
        "{panel}"
    );
    let (state, done, total): (String, i64, i64) =
        sqlx::query_as("SELECT state, rows_done, rows_total FROM import_jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&app.pool)
            .await
            .expect("job");
    assert_eq!(
        (state.as_str(), done, total),
        ("done", GENERATED as i64, GENERATED as i64)
    );
    assert_eq!(order_count(&app).await, GENERATED as i64);
    let (_, page) = crate::support::html(&english, app.url("/import")).await;
    assert!(
        page.contains("Done") && page.contains(&format!("{GENERATED} of {GENERATED} rows")),
        "{page}"
    );
}

#[tokio::test]
async fn a_cancelled_import_ends_cancelled_with_nothing_imported() {
    let (app, client, hold, job) = large_upload_held("imp-cancel", "owner-cancel").await;
    poll_job(&app, &client, job, copied_everything).await;

    let cancel = client
        .post(app.url(&format!("/import/jobs/{job}/cancel")))
        .header("hx-request", "true")
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), StatusCode::OK);
    hold.commit().await.expect("release");

    let panel = finished_job(&app, &client, job).await;
    assert_eq!(state_of(&panel), "cancelled", "{panel}");
    assert!(panel.contains("导入已取消，未写入任何数据"), "{panel}");
    assert_eq!(order_count(&app).await, 0, "the import's transaction was rolled back");
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(customers, 0);
    let (_, page) = crate::support::html(&client, app.url("/import")).await;
    assert!(page.contains(&format!("data-job=\"{job}\" data-state=\"cancelled\"")) && page.contains("已取消"));
    // Cancelling again changes nothing; another user's shop's job is not found.
    let again = client
        .post(app.url(&format!("/import/jobs/{job}/cancel")))
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let other = app.shop("imp-cancel-2").await;
    app.user("owner-other", Role::Owner, &[other]).await;
    let stranger = browser(&app, "owner-other").await;
    let (status, _) = crate::support::html(&stranger, app.url(&format!("/import/jobs/{job}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_job_left_running_by_a_stopped_server_is_marked_failed_at_the_next_start() {
    let app = spawn_app().await;
    let shop = app.shop("imp-lost").await;
    let (owner, _) = app.user("owner-lost", Role::Owner, &[shop]).await;
    let insert = "INSERT INTO import_jobs (shop_id, user_id, kind, format, dry_run, file_name, file_size, state, rows_done, rows_total, created_at, started_at, heartbeat_at)
         VALUES ($1, $2, 'orders', 'auto', false, 'lost.csv', 10, 'running', 5, 10, $3, $3, now() - $4::interval) RETURNING id";
    let lost: i64 = sqlx::query_scalar(insert)
        .bind(shop)
        .bind(owner)
        .bind(app.now())
        .bind("10 minutes")
        .fetch_one(&app.pool)
        .await
        .expect("lost job");
    let alive: i64 = sqlx::query_scalar(insert)
        .bind(shop)
        .bind(owner)
        .bind(app.now())
        .bind("1 second")
        .fetch_one(&app.pool)
        .await
        .expect("live job");
    let failed =
        aftersales::import::jobs::fail_abandoned(&app.pool, app.now(), aftersales::import::jobs::ABANDONED_AFTER)
            .await
            .expect("sweep");
    assert_eq!(failed, 1);
    let client = browser(&app, "owner-lost").await;
    let (_, panel) = crate::support::html(&client, app.url(&format!("/import/jobs/{lost}"))).await;
    assert_eq!(state_of(&panel), "failed");
    assert!(panel.contains("服务器在导入过程中停止"), "{panel}");
    let (_, panel) = crate::support::html(&client, app.url(&format!("/import/jobs/{alive}"))).await;
    assert_eq!(
        state_of(&panel),
        "running",
        "a job with a fresh heartbeat is left alone"
    );
    client.get(app.url("/lang/en")).send().await.expect("switch");
    let (_, page) = crate::support::html(&client, app.url(&format!("/import?job={lost}"))).await;
    assert!(
        page.contains("The server stopped during the import") && page.contains("Failed"),
        "{page}"
    );
}

#[tokio::test]
async fn an_admin_imports_a_refund_report_as_a_job_that_opens_the_tickets() {
    let app = spawn_app().await;
    let shop = app.shop("imp-refund-job").await;
    app.user("admin-job", Role::Admin, &[shop]).await;
    let client = browser(&app, "admin-job").await;
    let shop_field = shop.to_string();
    let orders = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "orders")],
        &fixture("orders_plain_bom.csv"),
    )
    .await;
    let panel = finished_job(&app, &client, job_of(&orders)).await;
    assert_eq!(state_of(&panel), "done", "{panel}");
    let refunds = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "refunds")],
        &fixture("refunds.csv"),
    )
    .await;
    let panel = finished_job(&app, &client, job_of(&refunds)).await;
    assert!(
        state_of(&panel) == "done" && panel.contains("工单：新建 2，已存在 0"),
        "{panel}"
    );
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(tickets, 2);
    let (done, total): (i64, i64) =
        sqlx::query_as("SELECT rows_done, rows_total FROM import_jobs WHERE kind = 'refunds'")
            .fetch_one(&app.pool)
            .await
            .expect("job");
    assert_eq!((done, total), (2, 2));
}

#[tokio::test]
async fn an_upload_that_is_not_a_multipart_form_is_refused_with_what_to_do() {
    let app = spawn_app().await;
    let shop = app.shop("imp-broken").await;
    app.user("owner-broken", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-broken").await;
    let response = client
        .post(app.url("/import"))
        .header("content-type", "multipart/form-data; boundary=XY")
        .body("--XY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\norder_no,buyer")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.expect("text");
    assert!(text.contains("上传的表单不完整"), "{text}");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(jobs, 0);
}

#[tokio::test]
async fn a_row_with_quantity_two_is_explained_in_the_readers_language_and_kept_typed_in_the_job() {
    let app = spawn_app().await;
    let shop = app.shop("imp-lang").await;
    app.user("owner-lang", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-lang").await;
    let shop_field = shop.to_string();
    let response = upload(
        &app,
        &client,
        &[("shop", &shop_field), ("kind", "orders"), ("format", "csv")],
        &fixture("orders_bad_row.csv"),
    )
    .await;
    let job = job_of(&response);
    let panel = finished_job(&app, &client, job).await;
    assert!(
        panel.contains("<td class=\"num\">3</td><td>「数量」应为不小于 1 的整数，收到“two”</td>"),
        "the row in Chinese: {panel}"
    );

    client.get(app.url("/lang/en")).send().await.expect("switch to English");
    let (_, page) = crate::support::html(&client, app.url(&format!("/import?job={job}"))).await;
    assert!(
        page.contains(
            "<td class=\"num\">3</td><td>The quantity should be a whole number of at least 1, not “two”</td>"
        ),
        "the same stored row in English: {page}"
    );

    // Stored typed: the catalogue key and the value, the English text beside them.
    let failure: serde_json::Value = sqlx::query_scalar("SELECT failure FROM import_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&app.pool)
        .await
        .expect("failure");
    let row = &failure["rows"][0];
    assert_eq!(row["line"], 3);
    assert_eq!(row["message"]["key"], "import.row.not_whole");
    assert_eq!(row["message"]["args"]["value"], "two");
    assert_eq!(row["column"], "quantity");
    assert!(row["reason"].as_str().expect("reason").contains("quantity"));
}

#[tokio::test]
async fn a_job_stored_before_messages_were_typed_still_shows_its_rows() {
    let app = spawn_app().await;
    let shop = app.shop("imp-old").await;
    let (user, _) = app.user("owner-old", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-old").await;
    let failure = serde_json::json!({
        "kind": "rows",
        "rows": [{ "line": 7, "reason": "the quantity `zwei` is not a whole number of at least 1" }],
        "count": 1
    });
    let job: i64 = sqlx::query_scalar(
        "INSERT INTO import_jobs (shop_id, user_id, kind, format, dry_run, file_name, file_size, state, failure, created_at, finished_at)
         VALUES ($1, $2, 'orders', 'auto', false, 'old.csv', 10, 'failed', $3, now(), now()) RETURNING id",
    )
    .bind(shop)
    .bind(user)
    .bind(&failure)
    .fetch_one(&app.pool)
    .await
    .expect("an old job");
    let (status, panel) = crate::support::html(&client, app.url(&format!("/import/jobs/{job}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        panel.contains("<td class=\"num\">7</td><td>the quantity `zwei` is not a whole number of at least 1</td>"),
        "{panel}"
    );
}

#[tokio::test]
async fn an_upload_without_its_file_is_refused_in_the_readers_language_and_starts_no_job() {
    let app = spawn_app().await;
    let shop = app.shop("imp-nofile").await;
    app.user("owner-nofile", Role::Owner, &[shop]).await;
    let client = browser(&app, "owner-nofile").await;
    let boundary = "----nofile";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"shop\"\r\n\r\n{shop}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\norders\r\n--{boundary}--\r\n"
    );
    let send = || {
        client
            .post(app.url("/import"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body.clone())
            .send()
    };
    let text = send().await.expect("post").text().await.expect("text");
    assert!(text.contains("请选择要导入的文件"), "{text}");
    client.get(app.url("/lang/en")).send().await.expect("switch to English");
    let text = send().await.expect("post").text().await.expect("text");
    assert!(text.contains("Choose a file to import."), "{text}");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(jobs, 0);
}
