//! Knowledge at hand (issue 19): product notes per SKU and per category on the ticket, policy
//! articles behind the verdicts, "this solved it" once per ticket, shops kept apart, history of
//! edits, the search and the owner's report.

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Desk, desk, html};

async fn note(d: &Desk, token: &str, body: Value) -> Value {
    let answer = d
        .app
        .post(&format!("/api/v1/shops/{}/notes", d.shop), token, body)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

/// Opens a ticket of `kind` on O-1's line SKU-1 (category 服装); its id.
async fn ticket_on_line(d: &Desk, kind: &str, reason: &str) -> i64 {
    let answer = d
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", d.shop),
            &d.agent_token,
            json!({ "kind": kind, "order_no": "O-1", "sku": "SKU-1", "reason": reason, "description": "买家反馈", "refund_fen": 6400 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_i64().expect("id")
}

/// What the owner's card counts for each of `skus`: (SKU, notes, tickets solved).
async fn sku_counts(d: &Desk, skus: &[&str]) -> Vec<(String, i64, i64)> {
    let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
    aftersales::knowledge::per_sku(&d.app.pool, d.shop, &skus)
        .await
        .expect("counts")
        .into_iter()
        .map(|k| (k.sku, k.notes, k.solved))
        .collect()
}

async fn knowledge(d: &Desk, ticket: i64) -> Value {
    let answer = d
        .app
        .get(&format!("/api/v1/tickets/{ticket}/knowledge"), &d.agent_token)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn titles(found: &Value) -> Vec<String> {
    found["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["title"].as_str().expect("title").to_string())
        .collect()
}

#[tokio::test]
async fn a_category_note_shows_on_a_ticket_of_its_sku_and_a_sku_note_adds_to_it() {
    let d = desk().await;
    let category = note(
        &d,
        &d.supervisor_token,
        json!({ "scope": "category", "subject": "服装", "kind": "intact", "title": "吊牌完好才算完好", "body": "衣物吊牌剪掉、有洗涤痕迹不算完好。" }),
    )
    .await;
    let ticket = ticket_on_line(&d, "return", "quality").await;
    assert_eq!(titles(&knowledge(&d, ticket).await), vec!["吊牌完好才算完好"]);

    let sku = note(
        &d,
        &d.supervisor_token,
        json!({ "scope": "sku", "subject": "SKU-1", "kind": "known_issue", "title": "首洗轻微褪色", "body": "深色款首次水洗会轻微掉色。", "fix": "请买家冷水单独洗涤，第二次起不再掉色；仍不满意可退货。" }),
    )
    .await;
    let found = knowledge(&d, ticket).await;
    let mut got = titles(&found);
    got.sort();
    assert_eq!(
        got,
        vec!["吊牌完好才算完好", "首洗轻微褪色"],
        "both: the SKU's adds to its category's"
    );

    // Marked as solving: counted once per ticket, and what solved most comes first.
    let solved = format!("/api/v1/tickets/{ticket}/knowledge/{}/solved", sku["id"]);
    let first = d.app.post(&solved, &d.agent_token, json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(
        (first.body["newly_marked"].clone(), first.body["solved"].clone()),
        (json!(true), json!(1))
    );
    let again = d.app.post(&solved, &d.agent_token, json!({})).await;
    assert_eq!(
        (again.body["newly_marked"].clone(), again.body["solved"].clone()),
        (json!(false), json!(1))
    );
    let other_ticket = ticket_on_line(&d, "refund", "quality").await;
    let second = d
        .app
        .post(
            &format!("/api/v1/tickets/{other_ticket}/knowledge/{}/solved", sku["id"]),
            &d.agent_token,
            json!({}),
        )
        .await;
    assert_eq!(second.body["solved"], 2);
    let found = knowledge(&d, ticket).await;
    assert_eq!(found["notes"][0]["id"], sku["id"], "what solved most first");
    assert_eq!(found["solved"], json!([sku["id"]]));
    assert_eq!(category["solved"], 0);
    // The owner's card counts a SKU's notes with its category's (the category read from the
    // SKU's order lines), and the tickets they solved; a SKU of no line has none.
    assert_eq!(
        sku_counts(&d, &["SKU-1", "SKU-9"]).await,
        vec![("SKU-1".to_string(), 2, 2), ("SKU-9".to_string(), 0, 0)]
    );

    // The ticket page shows the panel with the fix to insert.
    let agent = d.browser("agent-a").await;
    let (_, page) = html(&agent, d.app.url(&format!("/tickets/{ticket}"))).await;
    assert!(page.contains("id=\"knowledge\""), "{page}");
    assert!(
        page.contains("data-text=\"请买家冷水单独洗涤，第二次起不再掉色；仍不满意可退货。\""),
        "{page}"
    );
    assert!(page.contains("已标记解决了本工单"), "{page}");
}

#[tokio::test]
async fn the_verdicts_article_link_resolves_to_the_desks_article_or_the_shops_own() {
    let d = desk().await;
    let ticket = ticket_on_line(&d, "return", "no_reason").await;
    let found = knowledge(&d, ticket).await;
    assert_eq!(found["seven_day_article"], "/knowledge/rules/seven_day");
    let agent = d.browser("agent-a").await;
    let (_, page) = html(&agent, d.app.url(&format!("/tickets/{ticket}"))).await;
    assert!(
        page.contains("id=\"verdict-article\" href=\"/knowledge/rules/seven_day\""),
        "{page}"
    );
    let (status, article) = html(&agent, d.app.url("/knowledge/rules/seven_day")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        article.contains("网络购买商品七日无理由退货暂行办法"),
        "the source is named: {article}"
    );

    // The shop writes its own: the verdict links there, and a second article for the rule is refused.
    let own = d
        .app
        .post(
            &format!("/api/v1/shops/{}/articles", d.shop),
            &d.supervisor_token,
            json!({ "title": "本店七天无理由退货", "body": "签收次日起 7 天内可退，吊牌完好。", "source": "店铺售后政策", "rule": "seven_day", "kinds": ["return"] }),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    let second = d
        .app
        .post(
            &format!("/api/v1/shops/{}/articles", d.shop),
            &d.supervisor_token,
            json!({ "title": "另一篇", "body": "x", "rule": "seven_day" }),
        )
        .await;
    assert_eq!(second.error_code(), "rule_taken");
    for (body, field) in [
        (
            json!({ "title": "t", "body": "b", "kinds": ["return", "parcel"] }),
            "kinds",
        ),
        (
            json!({ "title": "t", "body": "b", "reasons": [" quality ", "nope"] }),
            "reasons",
        ),
    ] {
        let refused = d
            .app
            .post(
                &format!("/api/v1/shops/{}/articles", d.shop),
                &d.supervisor_token,
                body.clone(),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.body["error"]["details"]["field"], field, "{body}");
    }
    let trimmed = d
        .app
        .post(
            &format!("/api/v1/shops/{}/articles", d.shop),
            &d.supervisor_token,
            json!({ "title": "尺码问题", "body": "b", "kinds": [" exchange ", ""], "reasons": ["quality"] }),
        )
        .await;
    assert_eq!(trimmed.status, StatusCode::CREATED, "{:?}", trimmed.body);
    assert_eq!(
        trimmed.body["kinds"],
        json!(["exchange"]),
        "codes trimmed, empty ones left out"
    );
    let href = format!("/knowledge/articles/{}", own.body["id"]);
    let found = knowledge(&d, ticket).await;
    assert_eq!(found["seven_day_article"], href.as_str());
    assert_eq!(found["articles"][0]["id"], own.body["id"], "it fits a return");
    let (status, page) = html(&agent, d.app.url(&href)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("店铺售后政策"), "{page}");
    // It does not fit a complaint.
    let complaint = ticket_on_line(&d, "complaint", "quality").await;
    assert!(
        knowledge(&d, complaint).await["articles"]
            .as_array()
            .expect("articles")
            .is_empty()
    );
}

#[tokio::test]
async fn another_shops_notes_never_appear_and_an_edit_keeps_the_previous_text() {
    let d = desk().await;
    let other_shop = d.app.shop("shop-b").await;
    let (_, other_supervisor) = d.app.user("super-b", Role::Supervisor, &[other_shop]).await;
    let theirs = d
        .app
        .post(
            &format!("/api/v1/shops/{other_shop}/notes"),
            &other_supervisor,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "usage", "title": "别家的说明", "body": "不该出现" }),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{:?}", theirs.body);
    let ticket = ticket_on_line(&d, "return", "quality").await;
    assert!(titles(&knowledge(&d, ticket).await).is_empty());
    let peek = d
        .app
        .get(&format!("/api/v1/notes/{}", theirs.body["id"]), &d.agent_token)
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let write_there = d
        .app
        .post(
            &format!("/api/v1/shops/{other_shop}/notes"),
            &d.supervisor_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "usage", "title": "x", "body": "x" }),
        )
        .await;
    assert_eq!(write_there.status, StatusCode::NOT_FOUND);

    // Agents read, they do not write.
    let by_agent = d
        .app
        .post(
            &format!("/api/v1/shops/{}/notes", d.shop),
            &d.agent_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "usage", "title": "x", "body": "x" }),
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
    let empty = d
        .app
        .post(
            &format!("/api/v1/shops/{}/notes", d.shop),
            &d.supervisor_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "usage", "title": "  ", "body": "x" }),
        )
        .await;
    assert_eq!(empty.body["error"]["details"]["field"], "title");

    let mine = note(
        &d,
        &d.supervisor_token,
        json!({ "scope": "sku", "subject": "SKU-1", "kind": "size_chart", "title": "尺码", "body": "L 码胸围 104 厘米" }),
    )
    .await;
    let path = format!("/api/v1/notes/{}", mine["id"]);
    let edited = d
        .app
        .put(
            &path,
            &d.supervisor_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "size_chart", "title": "尺码表", "body": "L 码胸围 106 厘米", "version": 1 }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["version"], 2);
    let stale = d
        .app
        .put(
            &path,
            &d.supervisor_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "size_chart", "title": "晚了", "body": "x", "version": 1 }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let history = d.app.get(&format!("{path}/history"), &d.agent_token).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    assert_eq!(history.body.as_array().expect("history").len(), 1);
    assert_eq!(
        history.body[0]["body"], "L 码胸围 104 厘米",
        "the previous text is kept"
    );
    assert_eq!(history.body[0]["title"], "尺码");

    // Found by the search, on the page and through the API.
    let found = d
        .app
        .get(
            &format!("/api/v1/shops/{}/knowledge/search?q=胸围", d.shop),
            &d.agent_token,
        )
        .await;
    assert_eq!(found.body["notes"][0]["id"], mine["id"]);
    let agent = d.browser("agent-a").await;
    let (_, page) = html(&agent, d.app.url("/search?q=%E8%83%B8%E5%9B%B4")).await;
    assert!(
        page.contains("id=\"search-knowledge\"") && page.contains("尺码表"),
        "{page}"
    );
}

#[tokio::test]
async fn the_owners_report_lists_each_skus_notes_and_the_tickets_they_solved() {
    let d = desk().await;
    let fix = note(
        &d,
        &d.supervisor_token,
        json!({ "scope": "sku", "subject": "SKU-1", "kind": "known_issue", "title": "起球", "body": "x", "fix": "用毛球修剪器" }),
    )
    .await;
    let ticket = ticket_on_line(&d, "return", "quality").await;
    d.app
        .post(
            &format!("/api/v1/tickets/{ticket}/knowledge/{}/solved", fix["id"]),
            &d.agent_token,
            json!({}),
        )
        .await;
    let supervisor = d.browser("super-a").await;
    let day = d.app.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (_, page) = html(
        &supervisor,
        d.app
            .url(&format!("/reports?from={}&to={day}", day - chrono::Duration::days(30))),
    )
    .await;
    assert!(page.contains("id=\"report-knowledge\""), "{page}");
    let csv = supervisor
        .get(d.app.url(&format!(
            "/reports/export.csv?shop={}&from={}&to={day}&table=knowledge",
            d.shop,
            day - chrono::Duration::days(30)
        )))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let line = csv
        .lines()
        .find(|l| l.starts_with("SKU-1"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(line.ends_with(",1,1"), "one note, one ticket solved: {line}");
    // A SKU without notes has solved nothing (no row of nothing counted as one).
    assert_eq!(
        sku_counts(&d, &["SKU-1", "SKU-2"]).await,
        vec![("SKU-1".to_string(), 1, 1), ("SKU-2".to_string(), 0, 0)]
    );
}

#[tokio::test]
async fn a_note_carries_photos_of_a_good_item_from_the_shops_tickets_only() {
    let d = desk().await;
    let ticket = ticket_on_line(&d, "return", "quality").await;
    let other_shop = d.app.shop("shop-b").await;
    let image = |shop: aftersales::ids::ShopId, ticket: i64| {
        let pool = d.app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO evidence (shop_id, ticket_id, file_name, content_type, size_bytes, sha256, content, uploaded_at)
                 VALUES ($1, $2, 'good.png', 'image/png', 4, '\\x00', '\\x89504e47', now()) RETURNING id",
            )
            .bind(shop)
            .bind(ticket)
            .fetch_one(&pool)
            .await
            .expect("evidence")
        }
    };
    let ours = image(d.shop, ticket).await;
    let mine = note(
        &d,
        &d.supervisor_token,
        json!({ "scope": "sku", "subject": "SKU-1", "kind": "intact", "title": "好件", "body": "吊牌、包装袋齐全", "photos": [ours] }),
    )
    .await;
    assert_eq!(mine["photos"], json!([ours]));
    let found = knowledge(&d, ticket).await;
    assert_eq!(found["notes"][0]["photos"], json!([ours]));
    let agent = d.browser("agent-a").await;
    let (_, page) = html(&agent, d.app.url(&format!("/tickets/{ticket}"))).await;
    assert!(
        page.contains(&format!("src=\"/tickets/{ticket}/evidence/{ours}\"")),
        "{page}"
    );

    // Another shop's image is refused by field.
    let (_, their_supervisor) = d.app.user("super-b", Role::Supervisor, &[other_shop]).await;
    let theirs_order = d
        .app
        .order(
            &their_supervisor,
            other_shop,
            "B-1",
            json!(d.app.now().to_rfc3339()),
            "none",
        )
        .await;
    assert_eq!(theirs_order.status, StatusCode::CREATED, "{:?}", theirs_order.body);
    let their_ticket = d
        .app
        .post(
            &format!("/api/v1/shops/{other_shop}/tickets"),
            &their_supervisor,
            json!({ "kind": "complaint", "order_no": "B-1", "reason": "quality", "description": "x" }),
        )
        .await;
    let theirs = image(other_shop, their_ticket.body["id"].as_i64().expect("id")).await;
    let refused = d
        .app
        .put(
            &format!("/api/v1/notes/{}", mine["id"]),
            &d.supervisor_token,
            json!({ "scope": "sku", "subject": "SKU-1", "kind": "intact", "title": "好件", "body": "x", "photos": [ours, theirs] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["details"]["field"], "photos");
}
