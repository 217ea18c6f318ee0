//! The timeline's stored form: rows written the way earlier versions wrote them read and render
//! unchanged, the desk writes each kind of event as it always did, and every event of the demo
//! shop and of the benchmark generator reads as an `EventData` and writes back the same. And the
//! enums stored as text (kind, status, resolution, priority, reason, verdict) keep their texts.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{desk, sign_in, spawn_app};
use aftersales::ids::{ShopId, TicketId};
use aftersales::tickets::EventData;

/// The timeline of a ticket page as a reader sees it: per entry, who, what, and the text under
/// it (the time left out), HTML entities as the page has them.
fn timeline_entries(page: &str) -> Vec<(String, String, Option<String>, String)> {
    let list = page
        .split("<ol class=\"timeline\" id=\"timeline\">")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .expect("the page has a timeline");
    list.split("<li class=\"event ")
        .skip(1)
        .map(|item| {
            let class = item.split('"').next().unwrap_or_default().to_string();
            let head = item
                .split("<div class=\"event-head\">")
                .nth(1)
                .and_then(|h| h.split("<span class=\"when\">").next())
                .expect("an event head");
            let who = head
                .split("<strong>")
                .nth(1)
                .and_then(|w| w.split("</strong>").next())
                .unwrap_or_default()
                .to_string();
            let what = head.split("</strong>").nth(1).unwrap_or_default().trim().to_string();
            let body = item
                .split("<div class=\"event-body\">")
                .nth(1)
                .and_then(|b| b.split("</div>").next())
                .map(str::to_string);
            (who, what, body, class)
        })
        .collect()
}

/// The timeline of ticket `id`'s page as `login` reads it in `lang` (see [`timeline_entries`]).
async fn page_timeline(
    app: &crate::support::TestApp,
    login: &str,
    lang: &str,
    id: i64,
) -> Vec<(String, String, Option<String>, String)> {
    let (session, _) = sign_in(app, login).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.address.parse().expect("address");
    jar.add_cookie_str(
        &format!("{}={session}; Path=/", aftersales::auth::extract::SESSION_COOKIE),
        &url,
    );
    jar.add_cookie_str(&format!("lang={lang}; Path=/"), &url);
    let client = reqwest::Client::builder().cookie_provider(jar).build().expect("client");
    let page = client
        .get(app.url(&format!("/tickets/{id}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    timeline_entries(&page.text().await.expect("text"))
}

#[tokio::test]
async fn events_stored_by_earlier_versions_render_and_read_unchanged() {
    let desk = desk().await;
    let ticket = desk.open("return", "no_reason").await;
    let id = ticket["id"].as_i64().expect("id");
    let agent_name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(desk.agent)
        .fetch_one(&desk.app.pool)
        .await
        .expect("name");
    let supervisor_name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(desk.supervisor)
        .fetch_one(&desk.app.pool)
        .await
        .expect("name");
    let record = json!({
        "verdict": "review", "window_start": "2026-06-13T02:00:00Z", "window_end": "2026-06-20T16:00:00Z",
        "statutory_window_end": "2026-06-22T16:00:00Z", "window_days": 7, "exclusion": "none",
    });
    // Every kind, in the shapes the earlier versions wrote — (actor, kind, data) — including the
    // optional parts: a canned reply, a provisional year, the visit that reopened a ticket.
    let agent = Some(desk.agent.0);
    let rows: Vec<(Option<i64>, &str, Value)> = vec![
        (
            agent,
            "follow_up",
            json!({ "channel": "phone", "summary": "  已电话联系买家，确认今天寄回  ", "was_overdue": false }),
        ),
        (
            agent,
            "follow_up",
            json!({ "channel": "chat", "summary": "已发送退货地址", "was_overdue": true,
                    "canned_reply": { "id": 7, "title": "退货地址", "text": "请寄回：上海市…" } }),
        ),
        (agent, "note", json!({ "text": "买家情绪激动，注意措辞" })),
        (
            agent,
            "status_changed",
            json!({ "from": "requested", "to": "approved", "note": null, "resolution": null,
                    "platform_deadline_at": null }),
        ),
        (
            Some(desk.supervisor.0),
            "status_changed",
            json!({ "from": "approved", "to": "platform_intervention", "note": "  平台介入  ", "resolution": null,
                    "platform_deadline_at": "2026-06-19T16:00:00Z", "platform_deadline_provisional_year": 2027 }),
        ),
        (
            agent,
            "status_changed",
            json!({ "from": "refunded", "to": "approved", "note": "", "resolution": null,
                    "platform_deadline_at": null, "reopened_by_visit": 3 }),
        ),
        (
            Some(desk.supervisor.0),
            "assigned",
            json!({ "from": desk.agent.0, "to": desk.supervisor.0 }),
        ),
        (
            Some(desk.supervisor.0),
            "assigned",
            json!({ "from": desk.supervisor.0, "to": null }),
        ),
        (
            None,
            "rule_decision",
            json!({ "rule": "seven_day", "decision": record }),
        ),
        (
            Some(desk.supervisor.0),
            "override",
            json!({ "rule": "seven_day", "refused_verdict": "outside_return_window", "justification": "买家有聊天记录" }),
        ),
        (
            None,
            "escalated",
            json!({ "cycle_due_at": "2026-06-16T02:00:00.000000Z", "assignee_id": desk.agent.0,
                    "recorded_at": "2026-06-16T02:00:30.123456789Z", "to": "supervisor" }),
        ),
        (
            None,
            "recounted",
            json!({ "what": "platform_deadline", "year": 2027, "before": "2026-06-19T16:00:00Z",
                    "after": "2026-06-22T16:00:00Z", "provisional_year": null }),
        ),
        (
            agent,
            "return_visit",
            json!({ "visit": 3, "satisfied": false, "comment": "  还没收到退款 ", "reopened": true }),
        ),
        (
            agent,
            "return_visit",
            json!({ "visit": 4, "satisfied": true, "comment": "", "reopened": false }),
        ),
        (
            agent,
            "evidence_added",
            json!({ "evidence": 11, "file_name": "开箱.png", "content_type": "image/png", "size_bytes": 68 }),
        ),
    ];
    let start = desk.app.now() + chrono::Duration::minutes(1);
    for (n, (actor, kind, data)) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(desk.shop)
        .bind(id)
        .bind(start + chrono::Duration::minutes(n as i64))
        .bind(actor)
        .bind(kind)
        .bind(data)
        .execute(&desk.app.pool)
        .await
        .expect("old row");
    }

    // The JSON API gives back exactly what was stored, after the ticket's own first events.
    let answer = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let timeline = answer.body["timeline"].as_array().expect("timeline").clone();
    let first: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(&first[..3], ["created", "rule_decision", "assigned"]);
    let old = &timeline[3..];
    assert_eq!(old.len(), rows.len());
    for (entry, (_, kind, data)) in old.iter().zip(&rows) {
        assert_eq!(entry["kind"], json!(kind));
        assert_eq!(&entry["data"], data, "{kind}");
    }
    assert_eq!(old[0]["actor"], json!(agent_name));
    assert_eq!(old[10]["actor"], Value::Null, "the sweep is nobody");

    // The page shows them as it always did, in Chinese…
    let entries = page_timeline(&desk.app, "agent-a", "zh", id).await;
    let s = |text: &str| Some(text.to_string());
    let (a, sup, sys) = (agent_name.as_str(), supervisor_name.as_str(), "系统");
    let expected: Vec<(&str, String, Option<String>, &str)> = vec![
        (
            a,
            "跟进 · 电话".into(),
            s("已电话联系买家，确认今天寄回"),
            "ev-follow_up",
        ),
        (
            a,
            "跟进 · 旺旺/千牛（快捷短语：退货地址）".into(),
            s("已发送退货地址"),
            "ev-follow_up",
        ),
        (a, "内部备注".into(), s("买家情绪激动，注意措辞"), "ev-note"),
        (a, "状态 待处理 → 已同意".into(), None, "ev-status_changed"),
        (sup, "状态 已同意 → 平台介入".into(), s("平台介入"), "ev-status_changed"),
        (a, "状态 已退款 → 已同意".into(), None, "ev-status_changed"),
        (sup, format!("分配给 {sup}"), None, "ev-assigned"),
        (sup, "分配给 未分配".into(), None, "ev-assigned"),
        (
            sys,
            "规则判定：待主管复核（节假日顺延）".into(),
            None,
            "ev-rule_decision",
        ),
        (sup, "主管覆盖规则判定".into(), s("买家有聊天记录"), "ev-override"),
        (sys, "超时未跟进，已升级主管".into(), None, "ev-escalated"),
        (sys, "recounted".into(), None, "ev-recounted"),
        (a, "回访：买家不满意".into(), s("还没收到退款"), "ev-return_visit"),
        (a, "回访：买家满意".into(), None, "ev-return_visit"),
        (a, "上传了凭证".into(), s("开箱.png"), "ev-evidence_added"),
    ];
    assert_eq!(entries.len(), 3 + expected.len());
    for (entry, (who, what, body, class)) in entries[3..].iter().zip(&expected) {
        assert_eq!(entry.0, *who, "{class}");
        assert_eq!(&entry.1, what, "{class}");
        assert_eq!(entry.3, *class);
        if *class == "ev-rule_decision" {
            // The decision's explanation, in the reader's language.
            assert!(entry.2.as_deref().is_some_and(|b| !b.is_empty()), "explained");
        } else {
            assert_eq!(&entry.2, body, "{class}");
        }
    }
    // …and in English.
    let entries = page_timeline(&desk.app, "agent-a", "en", id).await;
    let whats: Vec<&str> = entries[3..].iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        whats,
        [
            "followed up · Phone",
            "followed up · Chat (Wangwang/Qianniu) (canned reply: 退货地址)",
            "internal note",
            "status Requested → Approved",
            "status Approved → Platform intervention",
            "status Refunded → Approved",
            &format!("assigned to {supervisor_name}"),
            "assigned to Unassigned",
            "rule decision: Supervisor review (holiday extension)",
            "supervisor overrode the rule",
            "follow-up missed: escalated to a supervisor",
            "recounted",
            "return visit: buyer not satisfied",
            "return visit: buyer satisfied",
            "attached evidence",
        ]
    );
    assert_eq!(entries[3 + 10].0, "System");
}

#[tokio::test]
async fn an_assignment_names_its_worker_after_they_are_disabled_as_before() {
    let desk = desk().await;
    let ticket = desk.open("return", "no_reason").await;
    let id = ticket["id"].as_i64().expect("id");
    desk.assign(id, json!(desk.agent.0)).await;
    desk.assign(id, json!(desk.supervisor.0)).await;
    let name = |user: i64| {
        sqlx::query_scalar::<_, String>("SELECT display_name FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&desk.app.pool)
    };
    let (agent_name, supervisor_name) = (
        name(desk.agent.0).await.expect("name"),
        name(desk.supervisor.0).await.expect("name"),
    );
    // The page names the shop's workers from the list it reads for the assignee picker; one no
    // longer on it is named from the users.
    sqlx::query("UPDATE users SET disabled = true WHERE id = $1")
        .bind(desk.agent.0)
        .execute(&desk.app.pool)
        .await
        .expect("disable");
    let assigned: Vec<String> = page_timeline(&desk.app, "super-a", "zh", id)
        .await
        .into_iter()
        .filter(|entry| entry.3 == "ev-assigned")
        .map(|entry| entry.1)
        .collect();
    assert_eq!(
        assigned.last().map(String::as_str),
        Some(format!("分配给 {supervisor_name}").as_str()),
        "{assigned:?}"
    );
    assert!(assigned.contains(&format!("分配给 {agent_name}")), "{assigned:?}");
}

#[tokio::test]
async fn the_desk_writes_each_event_in_the_stored_form_it_always_had() {
    let desk = desk().await;
    let ticket = desk.open("return", "no_reason").await;
    let id = ticket["id"].as_i64().expect("id");
    let now = desk.app.now();
    let follow_up = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "phone", "summary": " 已联系 " }),
        )
        .await;
    assert_eq!(follow_up.status, StatusCode::CREATED, "{:?}", follow_up.body);
    let note = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.agent_token,
            json!({ "text": "备注" }),
        )
        .await;
    assert!(note.status.is_success(), "{:?}", note.body);
    let version = note.body["version"].as_i64().expect("version");
    let moved = desk.transition(id, "approved", version, json!({})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let assigned = desk.assign(id, json!(null)).await;

    let rows: Vec<(String, Option<i64>, Value)> =
        sqlx::query_as("SELECT kind, actor_id, data FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
            .bind(id)
            .fetch_all(&desk.app.pool)
            .await
            .expect("rows");
    let stamp = json!(now);
    let agent = desk.agent.0;
    let decision = &rows[1].2["decision"];
    assert_eq!(decision["verdict"], "eligible");
    let expected = vec![
        (
            "created",
            Some(agent),
            json!({ "kind": "return", "status": "requested", "reason": "no_reason", "order_no": "O-1",
                    "sku": rows[0].2["sku"], "description": "买家反馈", "refund_fen": 6400, "intact": null,
                    "recorded_at": stamp }),
        ),
        (
            "rule_decision",
            None,
            json!({ "rule": "seven_day", "decision": decision }),
        ),
        ("assigned", Some(agent), json!({ "from": null, "to": agent })),
        (
            "follow_up",
            Some(agent),
            json!({ "channel": "phone", "summary": "已联系", "was_overdue": false }),
        ),
        ("note", Some(agent), json!({ "text": "备注" })),
        (
            "status_changed",
            Some(agent),
            json!({ "from": "requested", "to": "approved", "note": "→ approved", "resolution": null,
                    "platform_deadline_at": null }),
        ),
        (
            "assigned",
            Some(desk.supervisor.0),
            json!({ "from": agent, "to": null }),
        ),
    ];
    assert_eq!(rows.len(), expected.len());
    for ((kind, actor, data), (want_kind, want_actor, want_data)) in rows.iter().zip(&expected) {
        assert_eq!(kind, want_kind);
        assert_eq!(actor, want_actor, "{kind}");
        assert_eq!(data, want_data, "{kind}");
    }
    assert!(rows[0].2["sku"].is_string(), "the order's one line");
    // Each change of a person went up one version: follow-up, note, move, assignment.
    assert_eq!(
        assigned["version"],
        json!(ticket["version"].as_i64().expect("version") + 4)
    );
}

/// Every stored event reads as an [`EventData`] and writes back to the same kind and data; the
/// timeline of every ticket reads through the repository. Returns how many events of each kind.
async fn check_every_event(pool: &sqlx::PgPool, shop: ShopId) -> BTreeMap<String, usize> {
    let rows: Vec<(i64, String, Value)> =
        sqlx::query_as("SELECT ticket_id, kind, data FROM ticket_events WHERE shop_id = $1 ORDER BY id")
            .bind(shop)
            .fetch_all(pool)
            .await
            .expect("events");
    let mut kinds = BTreeMap::new();
    let mut per_ticket: BTreeMap<i64, usize> = BTreeMap::new();
    for (ticket, kind, data) in &rows {
        let event = EventData::from_stored(kind, data.clone()).unwrap_or_else(|e| panic!("{e}: {data}"));
        let (written_kind, written) = event.to_stored();
        assert_eq!(written_kind, kind);
        assert_eq!(&written, data, "{kind} writes back the same");
        *kinds.entry(kind.clone()).or_insert(0) += 1;
        *per_ticket.entry(*ticket).or_insert(0) += 1;
    }
    // A move to refunded lies within its ticket's open span (the buyer's file reads only there).
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.shop_id = e.shop_id AND t.id = e.ticket_id
         WHERE e.shop_id = $1 AND e.kind = 'status_changed' AND e.data->>'to' = 'refunded'
           AND (e.at < t.opened_at - interval '1 day' OR e.at > t.closed_at + interval '1 day')",
    )
    .bind(shop)
    .fetch_one(pool)
    .await
    .expect("refunds");
    assert_eq!(outside, 0, "refunded moves outside their ticket's open span");
    for (ticket, count) in per_ticket {
        // Read as the pages read it: from the ticket, only the months from its opening on.
        let found = aftersales::tickets::repo::get(pool, &[shop], TicketId(ticket))
            .await
            .expect("the ticket reads")
            .expect("the ticket exists");
        let events = aftersales::tickets::repo::events(pool, &found)
            .await
            .expect("the timeline reads");
        assert_eq!(
            events.len(),
            count,
            "ticket {ticket}: every event is dated from its opening on"
        );
    }
    kinds
}

/// Checks that every ticket of `shop` keeps, as `refunded_at`, the first move to refunded of its
/// timeline (none: never refunded), and returns how many tickets were refunded.
async fn check_first_refunds(pool: &sqlx::PgPool, shop: ShopId) -> i64 {
    let (refunded, disagree): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE f.first IS NOT NULL),
                count(*) FILTER (WHERE t.refunded_at IS DISTINCT FROM f.first)
         FROM tickets t
         LEFT JOIN (SELECT ticket_id, min(at) AS first FROM ticket_events
                    WHERE shop_id = $1 AND kind = 'status_changed' AND data ->> 'to' = 'refunded'
                    GROUP BY ticket_id) f ON f.ticket_id = t.id
         WHERE t.shop_id = $1",
    )
    .bind(shop)
    .fetch_one(pool)
    .await
    .expect("first refunds");
    assert_eq!(
        disagree, 0,
        "shop {shop:?}: refunded_at is the timeline's first move to refunded"
    );
    refunded
}

#[tokio::test]
async fn every_event_of_the_demo_shop_and_of_the_generator_reads_and_writes_back_the_same() {
    let app = spawn_app().await;
    aftersales::demo::load(&app.pool).await.expect("demo loads");
    let demo: ShopId = sqlx::query_scalar("SELECT id FROM shops WHERE code = 'demo'")
        .fetch_one(&app.pool)
        .await
        .expect("demo shop");
    let kinds = check_every_event(&app.pool, demo).await;
    assert!(
        check_first_refunds(&app.pool, demo).await > 0,
        "the demo has refunded tickets"
    );
    for kind in [
        "created",
        "rule_decision",
        "assigned",
        "follow_up",
        "note",
        "status_changed",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|n| *n > 0),
            "the demo has {kind} events: {kinds:?}"
        );
    }

    let options = aftersales::bench::generate::Options {
        order_lines: 600,
        tickets: 120,
        shop: "bulk".into(),
        seed: 11,
    };
    let maintenance = aftersales::db::pool(app.admin_options.clone(), 2).await.expect("pool");
    aftersales::bench::generate::generate(&maintenance, &options)
        .await
        .expect("generates");
    let bulk: ShopId = sqlx::query_scalar("SELECT id FROM shops WHERE code = 'bulk'")
        .fetch_one(&app.pool)
        .await
        .expect("bulk shop");
    let kinds = check_every_event(&app.pool, bulk).await;
    assert!(
        check_first_refunds(&app.pool, bulk).await > 0,
        "the generator refunds tickets"
    );
    for kind in ["created", "assigned", "follow_up", "status_changed", "escalated"] {
        assert!(
            kinds.get(kind).is_some_and(|n| *n > 0),
            "the generator writes {kind}: {kinds:?}"
        );
    }
}

#[tokio::test]
async fn every_stored_enum_is_written_and_read_as_its_text() {
    use aftersales::rules::reason::ReasonCode;
    use aftersales::rules::seven_day::SevenDayVerdict;
    use aftersales::rules::workflow::{Priority, Resolution, Status, TicketKind};
    let app = spawn_app().await;
    async fn check<T>(pool: &sqlx::PgPool, values: &[T], text: impl Fn(T) -> &'static str)
    where
        T: Copy + std::fmt::Debug + PartialEq + sqlx::Type<sqlx::Postgres> + Send + Unpin + 'static,
        for<'q> T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Decode<'q, sqlx::Postgres>,
    {
        for &value in values {
            let (stored, read): (String, T) = sqlx::query_as("SELECT $1::text, $2::text")
                .bind(value)
                .bind(text(value))
                .fetch_one(pool)
                .await
                .expect("round trip");
            assert_eq!(stored, text(value), "{value:?} is stored as its text");
            assert_eq!(read, value, "{value:?} reads from its text");
        }
    }
    check(&app.pool, &TicketKind::ALL, TicketKind::as_str).await;
    check(&app.pool, &Status::ALL, Status::as_str).await;
    check(&app.pool, &Resolution::ALL, Resolution::as_str).await;
    check(&app.pool, &Priority::ALL, Priority::as_str).await;
    check(&app.pool, &ReasonCode::ALL, ReasonCode::as_str).await;
    check(&app.pool, &SevenDayVerdict::ALL, SevenDayVerdict::as_str).await;
}
