//! The admin's pages in the browser: a shop's settings as a form (saved through the API's own
//! path and audited, refused next to the field in the reader's language with what was typed),
//! the audit log read with names and filtered, and the import history with who, file, counts
//! and errors.

use reqwest::StatusCode;
use serde_json::Value;

use crate::import::{finished_job, fixture, job_of, state_of, upload};
use crate::support::{TestApp, browser, html, sign_in, spawn_app};
use aftersales::auth::Role;
use aftersales::ids::{ShopId, UserId};

/// The settings form's values, valid, with some overrides.
fn settings_form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("time_zone", "Asia/Shanghai"),
        ("return_window_days", "7"),
        ("follow_up_hours", "24"),
        ("answer_unshipped_hours", "48"),
        ("answer_shipped_days", "5"),
        ("answer_shipped_virtual_days", "3"),
        ("buyer_ship_days", "7"),
        ("seller_confirm_days", "10"),
        ("revise_days", "30"),
        ("explain_days", "30"),
        ("per_entry_yuan", "50"),
        ("per_person_day_yuan", "300"),
        ("per_buyer_30_days_yuan", "100"),
    ];
    for (name, value) in overrides {
        if let Some(field) = form.iter_mut().find(|(n, _)| n == name) {
            field.1 = value;
        }
    }
    form
}

/// A browser signed in as `login` that reads the desk in English (the header's switch sets
/// the `lang` cookie; pages ignore the browser's languages).
async fn english_browser(app: &TestApp, login: &str) -> reqwest::Client {
    let (session, csrf) = sign_in(app, login).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.address.parse().expect("address");
    jar.add_cookie_str(
        &format!("{}={session}; Path=/", aftersales::auth::extract::SESSION_COOKIE),
        &url,
    );
    jar.add_cookie_str("lang=en; Path=/", &url);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-csrf-token", csrf.parse().expect("header value"));
    reqwest::Client::builder()
        .cookie_provider(jar)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn rename(app: &TestApp, id: UserId, name: &str) {
    sqlx::query("UPDATE users SET display_name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(&app.pool)
        .await
        .expect("rename");
}

async fn shop_json(app: &TestApp, token: &str, shop: ShopId) -> Value {
    let shops = app.get("/api/v1/shops", token).await.body;
    shops
        .as_array()
        .and_then(|all| all.iter().find(|s| s["id"] == shop.0).cloned())
        .expect("the shop is listed")
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// The audit table of the admin page (the filter's choices name every action; the table only those shown).
fn audit_table(page: &str) -> &str {
    page.split("id=\"audit-log\"").nth(1).unwrap_or("")
}

#[tokio::test]
async fn the_settings_form_saves_through_the_one_path_and_refuses_next_to_the_field() {
    let app = spawn_app().await;
    let shop = app.shop("shop-s").await;
    let (_, admin_token) = app.user("root-admin", Role::Admin, &[shop]).await;
    app.user("super-s", Role::Supervisor, &[shop]).await;
    let admin = browser(&app, "root-admin").await;

    // The overview links the form and no longer shows the timers as raw JSON.
    let (status, overview) = html(&admin, app.url("/admin")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains(&format!("href=\"/admin/shops/{shop}\"")),
        "{overview}"
    );
    assert!(
        !overview.contains("answer_unshipped_hours") && overview.contains("平台默认"),
        "{overview}"
    );

    let (status, form) = html(&admin, app.url(&format!("/admin/shops/{shop}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("name=\"answer_unshipped_hours\"")
            && form.contains("value=\"48\"")
            && form.contains("平台默认 48 小时")
            && form.contains("<option value=\"Asia/Shanghai\" selected>"),
        "{form}"
    );

    // Two wrong values: each is named next to its field, everything typed is kept, nothing saved.
    let refused = admin
        .post(app.url(&format!("/admin/shops/{shop}")))
        .form(&settings_form(&[
            ("time_zone", "Asia/Tokyo"),
            ("return_window_days", "5"),
            ("follow_up_hours", "abc"),
            ("seller_confirm_days", "12"),
        ]))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("text");
    assert!(
        page.contains("id=\"setting-return_window_days-error\"") && page.contains("请填写 7 到 90 之间的整数"),
        "{page}"
    );
    assert!(
        page.contains("id=\"setting-follow_up_hours-error\"") && page.contains("请填写 1 到 168 之间的整数"),
        "{page}"
    );
    assert!(
        !page.contains("id=\"setting-seller_confirm_days-error\""),
        "a right value has no message"
    );
    assert!(
        page.contains("value=\"abc\"")
            && page.contains("value=\"12\"")
            && page.contains("<option value=\"Asia/Tokyo\" selected>"),
        "what was typed is kept: {page}"
    );
    assert_eq!(shop_json(&app, &admin_token, shop).await["return_window_days"], 7);
    assert_eq!(audit_count(&app, "shop.settings_changed").await, 0);

    // In English for a reader who asks for it.
    let english = english_browser(&app, "root-admin")
        .await
        .post(app.url(&format!("/admin/shops/{shop}")))
        .form(&settings_form(&[("revise_days", "181")]))
        .send()
        .await
        .expect("post");
    assert_eq!(english.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = english.text().await.expect("text");
    assert!(
        page.contains("id=\"setting-revise_days-error\"") && page.contains("Enter a whole number from 1 to 180"),
        "{page}"
    );

    // A right form is saved, as the API would, and audited once.
    let saved = admin
        .post(app.url(&format!("/admin/shops/{shop}")))
        .form(&settings_form(&[
            ("time_zone", "Asia/Tokyo"),
            ("return_window_days", "15"),
            ("follow_up_hours", "12"),
            ("answer_unshipped_hours", "24"),
            ("seller_confirm_days", "12"),
            ("explain_days", "20"),
            ("per_entry_yuan", "49.90"),
        ]))
        .send()
        .await
        .expect("post");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()["location"],
        format!("/admin/shops/{shop}?done=saved").as_str()
    );
    let stored = shop_json(&app, &admin_token, shop).await;
    assert_eq!(stored["time_zone"], "Asia/Tokyo");
    assert_eq!(stored["return_window_days"], 15);
    assert_eq!(stored["follow_up_hours"], 12);
    assert_eq!(stored["platform_timers"]["answer_unshipped_hours"], 24);
    assert_eq!(stored["platform_timers"]["seller_confirm_days"], 12);
    assert_eq!(stored["platform_timers"]["buyer_ship_days"], 7);
    assert_eq!(stored["review_timers"]["explain_days"], 20);
    assert_eq!(
        stored["compensation_limits"]["per_entry_fen"], 4_990,
        "yuan on the form, fen stored"
    );
    assert_eq!(stored["compensation_limits"]["per_buyer_30_days_fen"], 10_000);
    assert_eq!(audit_count(&app, "shop.settings_changed").await, 1);
    let (_, after) = html(&admin, app.url(&format!("/admin/shops/{shop}?done=saved"))).await;
    assert!(
        after.contains("店铺设置已保存") && after.contains("value=\"15\"") && after.contains("value=\"49.90\""),
        "{after}"
    );
    let (_, overview) = html(&admin, app.url("/admin")).await;
    assert!(
        overview.contains("已自定义") && overview.contains("Asia/Tokyo"),
        "{overview}"
    );

    // The API's refusal is unchanged by sharing the path.
    let api = app
        .put(
            &format!("/api/v1/shops/{shop}/settings"),
            &admin_token,
            serde_json::json!({ "return_window_days": 3 }),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.body["error"]["details"]["field"], "return_window_days");

    // Only admins change settings.
    let supervisor = browser(&app, "super-s").await;
    let (status, _) = html(&supervisor, app.url(&format!("/admin/shops/{shop}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_log_reads_names_and_filters_by_person_action_and_dates() {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (admin_id, _) = app.user("root-admin", Role::Admin, &[shop]).await;
    let (agent_id, _) = app.user("agent-x", Role::Agent, &[shop]).await;
    rename(&app, admin_id, "王管理").await;
    rename(&app, agent_id, "李客服").await;
    browser(&app, "agent-x").await;
    let admin = browser(&app, "root-admin").await;
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

    let (status, page) = html(&admin, app.url("/admin")).await;
    assert_eq!(status, StatusCode::OK);
    let table = audit_table(&page);
    assert!(table.contains("创建用户") && table.contains("王管理"), "{table}");
    // The created user's id and shop id read as names; the role in words; no raw JSON.
    assert!(
        table.contains("小周") && table.contains("shop-a 店") && table.contains("客服"),
        "{table}"
    );
    assert!(
        !table.contains("{&quot;") && !table.contains("{&#34;") && !table.contains("\"user\""),
        "{table}"
    );

    // By action: only that action's entries.
    let (status, page) = html(&admin, app.url("/admin?action=user.created")).await;
    assert_eq!(status, StatusCode::OK);
    let table = audit_table(&page);
    assert!(
        table.contains("创建用户") && !table.contains("<td class=\"nowrap\">登录</td>"),
        "{table}"
    );
    assert!(
        page.contains("<option value=\"user.created\" selected>"),
        "the choice is kept"
    );

    // By person: the agent's own sign-in, nothing the admin did.
    let (_, page) = html(&admin, app.url(&format!("/admin?user={agent_id}"))).await;
    let table = audit_table(&page);
    assert!(table.contains("李客服") && table.contains("登录"), "{table}");
    assert!(!table.contains("王管理") && !table.contains("创建用户"), "{table}");
    assert!(page.contains(&format!("<option value=\"{agent_id}\" selected>")));

    // By dates: a range that holds every entry, and one that holds none.
    let (_, page) = html(&admin, app.url("/admin?from=2000-01-01&to=2100-12-31")).await;
    assert!(audit_table(&page).contains("创建用户"), "{page}");
    assert!(page.contains("value=\"2000-01-01\"") && page.contains("value=\"2100-12-31\""));
    let (_, page) = html(&admin, app.url("/admin?from=2000-01-01&to=2000-01-01")).await;
    assert!(
        page.contains("没有符合筛选条件的记录") && audit_table(&page).is_empty(),
        "{page}"
    );

    // A wrong date is named next to its field, as typed, in the reader's language.
    let (status, page) = html(&admin, app.url("/admin?from=2026-02-30&action=user.created")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"audit-from-error\"") && page.contains("起始日期请按 年-月-日 填写"),
        "{page}"
    );
    assert!(page.contains("value=\"2026-02-30\""), "the date as typed");
    assert!(
        audit_table(&page).contains("创建用户"),
        "the rest of the filter still applies"
    );
    let english = english_browser(&app, "root-admin")
        .await
        .get(app.url("/admin?from=2026-06-02&to=2026-06-01"))
        .send()
        .await
        .expect("get");
    assert_eq!(english.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = english.text().await.expect("text");
    assert!(
        page.contains("id=\"audit-to-error\"") && page.contains("The end date cannot be before the start date"),
        "{page}"
    );
}

#[tokio::test]
async fn the_audit_log_pages_within_its_filter() {
    let app = spawn_app().await;
    let shop = app.shop("shop-p").await;
    app.user("root-admin", Role::Admin, &[shop]).await;
    for n in 0..101 {
        aftersales::audit::record(
            &app.pool,
            None,
            aftersales::audit::action::SIGN_IN_FAILED,
            None,
            &format!("guess-{n:03}"),
            serde_json::json!({ "address": "10.0.0.9" }),
        )
        .await
        .expect("record");
    }
    let admin = browser(&app, "root-admin").await;
    let (_, page) = html(&admin, app.url("/admin?action=auth.sign_in_failed")).await;
    let table = audit_table(&page);
    assert!(
        table.contains("guess-100") && !table.contains("guess-000"),
        "newest first"
    );
    let older = page
        .split("<div class=\"pager\">")
        .nth(1)
        .and_then(|rest| rest.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older entries")
        .replace("&amp;", "&");
    assert!(older.contains("action=auth.sign_in_failed"), "{older}");
    let (_, second) = html(&admin, app.url(&older)).await;
    let table = audit_table(&second);
    assert!(table.contains("guess-000") && !table.contains("guess-100"), "{table}");
    assert!(
        !table.contains("root-admin") && !table.contains("<td class=\"nowrap\">登录</td>"),
        "still only failed sign-ins: {table}"
    );
}

#[tokio::test]
async fn the_import_history_says_who_imported_which_file_with_its_counts_and_errors() {
    let app = spawn_app().await;
    let shop = app.shop("imp-h").await;
    let (owner, _) = app.user("owner-h", Role::Owner, &[shop]).await;
    rename(&app, owner, "赵老板").await;
    let client = browser(&app, "owner-h").await;
    let shop_field = shop.to_string();
    let fields = [("shop", shop_field.as_str()), ("kind", "orders"), ("format", "auto")];

    let bad = job_of(&upload(&app, &client, &fields, &fixture("orders_bad_row.csv")).await);
    assert_eq!(state_of(&finished_job(&app, &client, bad).await), "failed");
    let good = job_of(&upload(&app, &client, &fields, &fixture("orders_plain_bom.csv")).await);
    let panel = finished_job(&app, &client, good).await;
    assert_eq!(state_of(&panel), "done");
    assert!(
        panel.contains("导入：orders.csv") && !panel.contains(&format!("#{good}")),
        "no internal number in the panel: {panel}"
    );

    let (_, page) = html(&client, app.url("/import")).await;
    let history = page.split("id=\"import-history\"").nth(1).expect("a history");
    let row_of = |job: i64| {
        history
            .split(&format!("data-job=\"{job}\""))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or("")
            .to_string()
    };
    let done = row_of(good);
    assert!(
        done.contains("赵老板") && done.contains("orders.csv") && done.contains("3 行；订单新增 2"),
        "{done}"
    );
    let failed = row_of(bad);
    assert!(
        failed.contains("赵老板") && failed.contains("行有误") && failed.contains("第 3 行："),
        "{failed}"
    );
    assert!(!history.contains(&format!(">{good}<")), "no job number shown");

    let english = english_browser(&app, "owner-h")
        .await
        .get(app.url("/import"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        english.contains("Line 3:") && english.contains("rows wrong, nothing written"),
        "{english}"
    );
}
