//! Tickets through the API: every kind from opening to closing, the timeline, versions,
//! idempotency, errors, shop isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, Desk, desk};
use aftersales::auth::Role;

/// Steps through a workflow: each target status with extra fields for the transition.
type Path<'a> = Vec<(&'a str, Value)>;

async fn drive(desk: &Desk, kind: &str, reason: &str, path: &[(&str, Value)]) -> Value {
    let ticket = desk.open(kind, reason).await;
    let id = ticket["id"].as_i64().expect("id");
    let mut version = ticket["version"].as_i64().expect("version");
    for (to, extra) in path {
        let answer = desk.transition(id, to, version, extra.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{kind} → {to}: {:?}", answer.body);
        assert_eq!(answer.body["status"], *to);
        version = answer.body["version"].as_i64().expect("version");
    }
    let full = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(full.status, StatusCode::OK);
    full.body
}

fn status_changes(ticket: &Value) -> Vec<(String, String)> {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "status_changed")
        .map(|e| {
            (
                e["data"]["from"].as_str().unwrap_or("").to_string(),
                e["data"]["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_kind_runs_from_opening_to_closing_with_each_step_on_the_timeline() {
    let desk = desk().await;
    let none = json!({});
    let shipped = json!({ "carrier": "zto", "tracking_no": "78123456789012" });
    let cases: Vec<(&str, &str, Path)> = vec![
        (
            "refund",
            "quality",
            vec![
                ("approved", none.clone()),
                ("refunded", none.clone()),
                ("closed", none.clone()),
            ],
        ),
        (
            "return",
            "quality",
            vec![
                ("approved", none.clone()),
                ("buyer_shipped", shipped.clone()),
                ("received", none.clone()),
                ("refunded", none.clone()),
                ("closed", none.clone()),
            ],
        ),
        (
            "exchange",
            "wrong_item",
            vec![
                ("approved", none.clone()),
                ("buyer_shipped", shipped.clone()),
                ("received", none.clone()),
                ("replacement_shipped", none.clone()),
                ("closed", none.clone()),
            ],
        ),
        (
            "complaint",
            "late_shipment",
            vec![
                ("investigating", none.clone()),
                ("resolution_proposed", none.clone()),
                ("resolved", none.clone()),
                ("closed", none.clone()),
            ],
        ),
        (
            "logistics",
            "logistics_stuck",
            vec![
                ("carrier_contacted", none.clone()),
                ("resolved", json!({ "resolution": "reshipped" })),
                ("closed", none.clone()),
            ],
        ),
    ];
    for (kind, reason, path) in cases {
        let ticket = drive(&desk, kind, reason, &path).await;
        assert_eq!(ticket["status"], "closed", "{kind}");
        assert!(ticket["closed_at"].is_string(), "{kind} has closed_at");
        assert_eq!(
            ticket["follow_up_due_at"],
            Value::Null,
            "{kind}: closed tickets leave the follow-up cycle"
        );
        assert_eq!(ticket["allowed_transitions"], json!([]));
        let timeline = ticket["timeline"].as_array().expect("timeline");
        assert_eq!(timeline[0]["kind"], "created");
        for event in timeline {
            assert!(event["at"].as_str().is_some_and(|at| at.ends_with("+08:00")), "{event}");
            if event["kind"] != "rule_decision" {
                assert_eq!(event["actor"], "agent-a", "{event}");
            }
        }
        let changes = status_changes(&ticket);
        assert_eq!(changes.len(), path.len(), "{kind}: one event per step");
        assert_eq!(changes.last().map(|c| c.1.as_str()), Some("closed"));
    }
}

#[tokio::test]
async fn failed_inspection_of_a_return_leads_to_rejection() {
    let desk = desk().await;
    let none = json!({});
    let received = drive(
        &desk,
        "return",
        "quality",
        &[
            ("approved", none.clone()),
            (
                "buyer_shipped",
                json!({ "carrier": "zto", "tracking_no": "78123456789012" }),
            ),
            ("received", none.clone()),
        ],
    )
    .await;
    let id = received["id"].as_i64().expect("id");
    let (status, photo) = crate::evidence::upload(&desk, &desk.agent_token, id, "破损.png", crate::evidence::PNG).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut version = received["version"].as_i64().expect("version") + 1;
    let failed = json!({
        "checklist": { "tags": "ok", "accessories": "not_ok", "seal": "ok", "signs_of_use": "ok", "quantity": "ok" },
        "photos": [photo["id"]],
    });
    for (to, extra) in [
        ("inspection_failed", failed),
        ("rejected", json!({ "rejection_reason": "resale_affected" })),
        ("closed", none.clone()),
    ] {
        let answer = desk.transition(id, to, version, extra).await;
        assert_eq!(answer.status, StatusCode::OK, "→ {to}: {:?}", answer.body);
        version = answer.body["version"].as_i64().expect("version");
    }
    let ticket = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(ticket.body["status"], "closed");
}

#[tokio::test]
async fn illegal_transition_is_refused_naming_the_allowed_moves() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let answer = desk.transition(id, "refunded", 1, json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_code(), "illegal_transition");
    assert_eq!(
        answer.body["error"]["details"]["allowed"],
        json!(["approved", "rejected", "escalated", "platform_intervention"])
    );
    assert!(
        answer.error_message().contains("approved, rejected"),
        "{}",
        answer.error_message()
    );
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["status"], "requested");
    assert_eq!(after.body["version"], 1);
}

#[tokio::test]
async fn a_status_the_workflow_does_not_know_is_refused_naming_the_field() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let answer = desk.transition(id, "teleported", 1, json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.error_message().starts_with("to:"), "{}", answer.error_message());
    assert_eq!(answer.body["error"]["details"]["field"], "to");
}

#[tokio::test]
async fn a_stale_version_gets_409_and_changes_nothing() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let first = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(first.status, StatusCode::OK);
    // A second agent still looking at version 1 tries to reject.
    let stale = desk.transition(id, "rejected", 1, json!({})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_version");
    assert_eq!(stale.body["error"]["details"]["current_version"], 2);
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["status"], "approved");
    assert_eq!(after.body["version"], 2);
    assert_eq!(
        status_changes(&after.body),
        vec![("requested".to_string(), "approved".to_string())]
    );
}

#[tokio::test]
async fn a_follow_up_on_a_stale_version_is_recorded_like_one_without_version() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let path = format!("/api/v1/tickets/{id}/follow-ups");
    let ok = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "channel": "phone", "summary": "已致电买家" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    let stale = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "again", "version": 1 }),
        )
        .await;
    // A follow-up is an append: the version the agent saw does not matter.
    assert_eq!(stale.status, StatusCode::CREATED, "{:?}", stale.body);
    assert_eq!(stale.body["version"], 3, "the version is bumped once per follow-up");
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    let summaries: Vec<&str> = after.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|event| event["kind"] == "follow_up")
        .filter_map(|event| event["data"]["summary"].as_str())
        .collect();
    assert_eq!(summaries, vec!["已致电买家", "again"]);
}

/// A new ticket answers with what is stored (it is not read again after it is written): the
/// order's number and buyer, the assignee's name — the agent's own, one a supervisor named, or
/// none — and the shop's clocks, all as the ticket read afterwards shows them.
#[tokio::test]
async fn a_new_ticket_answers_as_stored_whoever_it_went_to() {
    let desk = desk().await;
    let opened = [
        (
            &desk.agent_token,
            json!({}),
            &["created", "rule_decision", "assigned"][..],
        ),
        (
            &desk.supervisor_token,
            json!({ "assignee": desk.agent }),
            &["created", "rule_decision", "assigned"][..],
        ),
        (&desk.supervisor_token, json!({}), &["created", "rule_decision"][..]),
    ];
    let mut names = Vec::new();
    for (token, extra, first_events) in opened {
        let mut body = json!({ "kind": "return", "order_no": "O-1", "reason": "no_reason", "intact": true,
                               "description": "尺码不合适", "refund_fen": 6400 });
        for (key, value) in extra.as_object().expect("fields") {
            body[key] = value.clone();
        }
        let answer = desk
            .app
            .post(&format!("/api/v1/shops/{}/tickets", desk.shop), token, body)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        let id = answer.body["id"].as_i64().expect("id");
        let stored = desk.app.get(&format!("/api/v1/tickets/{id}"), token).await;
        for (field, value) in answer.body.as_object().expect("a ticket") {
            assert_eq!(&stored.body[field], value, "{field}: answered as stored");
        }
        assert!(
            !answer.body["timers"].as_array().expect("timers").is_empty(),
            "a return's timer runs"
        );
        // Its first events were stored with it, in their order, at its opening.
        let timeline = stored.body["timeline"].as_array().expect("timeline");
        let kinds: Vec<&str> = timeline.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, first_events, "{timeline:?}");
        assert!(
            timeline.iter().all(|e| e["at"] == answer.body["opened_at"]),
            "{timeline:?}"
        );
        names.push(answer.body["assignee_name"].clone());
    }
    assert_eq!(names[0], "agent-a", "an agent's own ticket shows their name");
    assert_eq!(names[1], "agent-a", "so does one a supervisor gave them");
    assert!(names[2].is_null(), "{names:?}");
}

/// A follow-up answers with the ticket as it then stands (it is not read again after the
/// update): the same as the ticket read afterwards, its next contact due by the shop's own cycle.
#[tokio::test]
async fn a_follow_up_answers_with_the_ticket_as_stored_due_by_the_shops_own_cycle() {
    let desk = desk().await;
    sqlx::query("UPDATE shops SET follow_up_hours = 12 WHERE id = $1")
        .bind(desk.shop)
        .execute(&desk.app.pool)
        .await
        .expect("the shop's cycle");
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    desk.app.clock.set(desk.app.now() + chrono::Duration::hours(3));
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "phone", "summary": "已致电买家" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let due =
        chrono::DateTime::parse_from_rfc3339(answer.body["follow_up_due_at"].as_str().expect("due")).expect("a time");
    assert_eq!(
        due,
        desk.app.now() + chrono::Duration::hours(12),
        "the shop's cycle is 12 hours"
    );
    assert_eq!(answer.body["next_deadline_at"], answer.body["follow_up_due_at"]);
    let stored = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    for (field, value) in answer.body.as_object().expect("a ticket") {
        assert_eq!(&stored.body[field], value, "{field}: answered as stored");
    }
    assert_eq!(answer.body["version"], ticket["version"].as_i64().expect("version") + 1);
}

/// A follow-up on ticket `id` posted while another writer's change to it (`change`: `$1` the
/// shop, `$2` the ticket; it bumps the version) is held open on a connection of its own, the
/// change committed once the follow-up's write waits for it: the follow-up read the ticket as it
/// was and writes after the change.
async fn follow_up_across(desk: &Desk, id: i64, change: &'static str) -> Answer {
    let pool = &desk.app.pool;
    let mut other = pool.begin().await.expect("begin");
    sqlx::query(change)
        .bind(desk.shop)
        .bind(id)
        .execute(&mut *other)
        .await
        .expect("the other change");
    let path = format!("/api/v1/tickets/{id}/follow-ups");
    let follow_up = desk.app.post(
        &path,
        &desk.agent_token,
        json!({ "channel": "phone", "summary": "已致电买家，约好明天寄回" }),
    );
    let (answer, ()) = tokio::join!(follow_up, commit_once_a_follow_up_waits(pool, other));
    answer
}

/// Commits `other` once a follow-up's write waits for the ticket's row it holds (in this test's
/// database: the tests' databases share one server). On Citus the write waits on the worker
/// that holds the shop's rows, as the statement Citus sent it (its `SET` list reordered), which
/// `citus_stat_activity` shows from the coordinator.
async fn commit_once_a_follow_up_waits(pool: &sqlx::PgPool, other: sqlx::Transaction<'static, sqlx::Postgres>) {
    let on_citus = aftersales::db::citus::installed(pool).await.expect("extensions");
    let waiting_sql = if on_citus {
        "SELECT count(*) FROM citus_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE %last_follow_up_at%'"
    } else {
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE %last_follow_up_at%'"
    };
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(waiting_sql).fetch_one(pool).await.expect("sessions");
        if waiting > 0 {
            other.commit().await.expect("commit");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no follow-up waited for the ticket");
}

/// What a follow-up wrote on ticket `id`: its events, and the cycles counted in time.
async fn follow_ups_written(pool: &sqlx::PgPool, id: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'follow_up'),
                (SELECT COALESCE(sum(in_time), 0)::bigint FROM follow_up_daily)",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("what was written")
}

/// A follow-up reads its ticket without a lock and writes it only if it is still at the version
/// read: when another change lands in between, the follow-up is worked out again from the ticket
/// as changed — recorded once, on top of the change, and nothing of the first try is left.
#[tokio::test]
async fn a_follow_up_whose_ticket_changes_between_its_read_and_its_write_is_recorded_once_on_the_change() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let version = ticket["version"].as_i64().expect("version");
    let answer = follow_up_across(
        &desk,
        id,
        "UPDATE tickets SET priority = 'urgent', version = version + 1 WHERE shop_id = $1 AND id = $2",
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(
        answer.body["version"],
        version + 2,
        "the other change's, then the follow-up's"
    );
    assert_eq!(answer.body["priority"], "urgent", "answered with the ticket as changed");
    let stored = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    for (field, value) in answer.body.as_object().expect("a ticket") {
        assert_eq!(&stored.body[field], value, "{field}: answered as stored");
    }
    assert_eq!(
        follow_ups_written(pool, id).await,
        (1, 1),
        "one event, one cycle counted"
    );
}

/// The same, when the change in between closes the ticket: the follow-up is refused as on a
/// closed ticket, and nothing of it is written.
#[tokio::test]
async fn a_follow_up_whose_ticket_is_closed_between_its_read_and_its_write_is_refused_and_writes_nothing() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    let id = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    let answer = follow_up_across(
        &desk,
        id,
        "UPDATE tickets SET status = 'closed', closed_at = now(), version = version + 1 WHERE shop_id = $1 AND id = $2",
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", answer.body);
    assert_eq!(follow_ups_written(pool, id).await, (0, 0));
}

#[tokio::test]
async fn two_creates_with_one_idempotency_key_yield_one_ticket() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let body = json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "description": "破了" });
    let send = || {
        desk.app
            .client
            .post(desk.app.url(&path))
            .bearer_auth(&desk.agent_token)
            .header("Idempotency-Key", "retry-me-123")
            .json(&body)
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (a.expect("first"), b.expect("second"));
    let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 201]);
    let a: Value = a.json().await.expect("json");
    let b: Value = b.json().await.expect("json");
    assert_eq!(a["id"], b["id"]);
    let third = send().await.expect("third");
    assert_eq!(third.status(), StatusCode::OK);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE kind = 'created'")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(events, 1);
}

#[tokio::test]
async fn unknown_ids_give_404() {
    let desk = desk().await;
    for path in [
        "/api/v1/tickets/999999",
        "/api/v1/shops/999999/tickets",
        "/api/v1/shops/1/orders/NOPE",
    ] {
        let answer = desk.app.get(path, &desk.agent_token).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.error_code(), "not_found");
    }
    let answer = desk.transition(999_999, "approved", 1, json!({})).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_input_gives_400_or_422_naming_the_field() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/tickets", desk.shop);
    let not_json = desk.app.post_raw(&path, &desk.agent_token, "{not json").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.error_code(), "bad_request");

    let cases = [
        (json!({ "order_no": "O-1", "reason": "quality" }), "kind"),
        (
            json!({ "kind": "parcel", "order_no": "O-1", "reason": "quality" }),
            "kind",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "reason": "because" }),
            "reason",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "refund_fen": "ten" }),
            "refund_fen",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "refund_fen": -5 }),
            "refund_fen",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-404", "reason": "quality" }),
            "order_no",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "sku": "NOPE", "reason": "quality" }),
            "sku",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "colour": "red" }),
            "colour",
        ),
        (
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality", "opened_at": "2999-01-01T00:00:00Z" }),
            "opened_at",
        ),
    ];
    for (body, field) in cases {
        let answer = desk.app.post(&path, &desk.agent_token, body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            answer.body
        );
        assert!(
            answer.error_message().contains(field),
            "{body}: message should name `{field}`: {}",
            answer.error_message()
        );
    }
    let follow_up = desk.open("complaint", "quality").await;
    let id = follow_up["id"].as_i64().expect("id");
    let answer = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "phone", "summary": "  " }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["error"]["details"]["field"], "summary");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(count, 1, "only the one good ticket was stored");
}

#[tokio::test]
async fn a_user_without_membership_cannot_see_the_shops_tickets() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let other_shop = desk.app.shop("shop-b").await;
    let (_, outsider) = desk.app.user("agent-b", Role::Agent, &[other_shop]).await;
    let seen = desk.app.get(&format!("/api/v1/tickets/{id}"), &outsider).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);
    let list = desk
        .app
        .get(&format!("/api/v1/shops/{}/tickets", desk.shop), &outsider)
        .await;
    assert_eq!(list.status, StatusCode::NOT_FOUND);
    let moved = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            &outsider,
            json!({ "to": "approved", "version": 1 }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::NOT_FOUND);
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &outsider,
            json!({ "kind": "refund", "order_no": "O-1", "reason": "quality" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::NOT_FOUND);
    // Their own shop's list is empty.
    let own = desk
        .app
        .get(&format!("/api/v1/shops/{other_shop}/tickets"), &outsider)
        .await;
    assert_eq!(own.body["items"], json!([]));
}

#[tokio::test]
async fn the_timeline_cannot_be_updated_deleted_or_unguarded_by_the_desks_own_role() {
    let desk = desk().await;
    desk.open("refund", "quality").await;
    let pool = &desk.app.pool;
    if crate::support::desk_has_its_own_role() {
        what_the_desks_own_role_cannot_do_to_the_ledger(pool).await;
    }
    // Even with every right, the guard refuses: it is the table's, not a role's.
    let admin = aftersales::db::pool(desk.app.admin_options.clone(), 1)
        .await
        .expect("pool");
    let update = sqlx::query("UPDATE ticket_events SET data = '{}'")
        .execute(&admin)
        .await;
    assert!(
        update
            .expect_err("UPDATE must fail")
            .to_string()
            .contains("append-only")
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events")
        .fetch_one(pool)
        .await
        .expect("count");
    assert!(count >= 2, "events are still there");
}

/// The desk's own role can neither rewrite the timeline and the audit log nor lift their guards.
async fn what_the_desks_own_role_cannot_do_to_the_ledger(pool: &sqlx::PgPool) {
    let role: String = sqlx::query_scalar("SELECT current_user")
        .fetch_one(pool)
        .await
        .expect("role");
    assert_eq!(
        role,
        aftersales::db::embedded::APP_ROLE,
        "the desk works as its own role"
    );
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_one(pool)
        .await
        .expect("rolsuper");
    assert!(!superuser);
    for statement in [
        "UPDATE ticket_events SET data = '{}'",
        "DELETE FROM ticket_events",
        "TRUNCATE ticket_events",
        "ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_no_update_delete",
        "ALTER TABLE ticket_events DISABLE TRIGGER ALL",
        "DROP TRIGGER ticket_events_no_update_delete ON ticket_events",
        "CREATE OR REPLACE FUNCTION ticket_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "UPDATE audit_log SET details = '{}'",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
        "COPY ticket_events TO PROGRAM 'id'",
        // The months' partitions are the ledger's too: not reachable around the parent's guard.
        "DELETE FROM ticket_events_other",
        "TRUNCATE ticket_events_other",
        "INSERT INTO ticket_events_other (shop_id, ticket_id, kind) VALUES (1, 1, 'note')",
        "ALTER TABLE ticket_events DETACH PARTITION ticket_events_other",
        "ALTER TABLE ticket_events_other DISABLE TRIGGER ALL",
        // Nor dropped, whole or a month, or unguarded by dropping the guard's function.
        "DROP TABLE ticket_events_other",
        "DROP TABLE ticket_events",
        "DROP FUNCTION ticket_events_are_append_only() CASCADE",
        "DROP TABLE audit_log",
    ] {
        let error = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .expect_err(statement)
            .to_string();
        assert!(
            error.contains("permission denied")
                || error.contains("must be owner")
                || error.contains("must be superuser")
                || error.contains("append-only"),
            "{statement}: {error}"
        );
    }
}

#[tokio::test]
async fn follow_up_moves_the_due_time_and_notes_do_not() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let opened =
        chrono::DateTime::parse_from_rfc3339(ticket["opened_at"].as_str().expect("opened_at")).expect("rfc3339");
    let due = chrono::DateTime::parse_from_rfc3339(ticket["follow_up_due_at"].as_str().expect("due")).expect("rfc3339");
    assert_eq!(due - opened, chrono::Duration::hours(24));
    assert_eq!(ticket["overdue"], false);

    let noted = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.agent_token,
            json!({ "text": "仓库说周一发" }),
        )
        .await;
    assert_eq!(noted.status, StatusCode::CREATED);
    assert_eq!(noted.body["follow_up_due_at"], ticket["follow_up_due_at"]);

    desk.app.clock.set(desk.app.now() + chrono::Duration::hours(1));
    let followed = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "旺旺联系买家" }),
        )
        .await;
    assert_eq!(followed.status, StatusCode::CREATED);
    let new_due = chrono::DateTime::parse_from_rfc3339(followed.body["follow_up_due_at"].as_str().expect("due"))
        .expect("rfc3339");
    assert!(new_due > due, "the cycle restarts from the follow-up");
    let full = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    let kinds: Vec<&str> = full.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["created", "assigned", "note", "follow_up"]);
}

#[tokio::test]
async fn escalation_and_platform_intervention_return_where_they_came_from() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let rejected = desk
        .transition(id, "rejected", 1, json!({ "rejection_reason": "missing_evidence" }))
        .await;
    assert_eq!(rejected.body["follow_up_due_at"], Value::Null);
    let platform = desk.transition(id, "platform_intervention", 2, json!({})).await;
    assert_eq!(platform.status, StatusCode::OK, "{:?}", platform.body);
    assert_eq!(platform.body["held_from"], "rejected");
    assert!(platform.body["platform_deadline_at"].is_string());
    assert!(
        platform.body["follow_up_due_at"].is_string(),
        "back in the follow-up cycle"
    );
    assert_eq!(platform.body["allowed_transitions"], json!(["rejected"]));
    let back = desk.transition(id, "rejected", 3, json!({})).await;
    assert_eq!(back.body["status"], "rejected");
    assert_eq!(back.body["held_from"], Value::Null);
}

#[tokio::test]
async fn assignment_goes_to_shop_workers_only_and_is_on_the_timeline() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    assert_eq!(ticket["assignee"], desk.agent.0, "an agent's new ticket is theirs");
    let path = format!("/api/v1/tickets/{id}/assignment");
    let to_super = desk
        .app
        .post(&path, &desk.supervisor_token, json!({ "assignee": desk.supervisor.0 }))
        .await;
    assert_eq!(to_super.status, StatusCode::OK, "{:?}", to_super.body);
    assert_eq!(to_super.body["assignee"], desk.supervisor.0);
    let stranger = desk
        .app
        .post(&path, &desk.supervisor_token, json!({ "assignee": 424242 }))
        .await;
    assert_eq!(stranger.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stranger.body["error"]["details"]["field"], "assignee");
}

#[tokio::test]
async fn lists_filter_and_page_by_keyset() {
    let desk = desk().await;
    for _ in 0..5 {
        desk.open("refund", "quality").await;
    }
    desk.open("complaint", "quality").await;
    let base = format!("/api/v1/shops/{}/tickets", desk.shop);
    let first = desk
        .app
        .get(&format!("{base}?kind=refund&limit=2"), &desk.agent_token)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    let mut seen: Vec<i64> = first.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let page = desk
            .app
            .get(&format!("{base}?kind=refund&limit=2&cursor={c}"), &desk.agent_token)
            .await;
        seen.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|t| t["id"].as_i64()),
        );
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 5);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats: {seen:?}"
    );
    let complaints = desk.app.get(&format!("{base}?kind=complaint"), &desk.agent_token).await;
    assert_eq!(complaints.body["items"].as_array().map(Vec::len), Some(1));
    let by_order = desk
        .app
        .get(&format!("{base}?q=O-1&assignee=me"), &desk.agent_token)
        .await;
    assert_eq!(by_order.body["items"].as_array().map(Vec::len), Some(6));
    let by_buyer = desk.app.get(&format!("{base}?q=tb_buy"), &desk.agent_token).await;
    assert_eq!(by_buyer.body["items"].as_array().map(Vec::len), Some(6));
    let overdue = desk.app.get(&format!("{base}?overdue=true"), &desk.agent_token).await;
    assert_eq!(overdue.body["items"], json!([]));
    let bad = desk.app.get(&format!("{base}?kind=parcel"), &desk.agent_token).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad_cursor = desk.app.get(&format!("{base}?cursor=abc"), &desk.agent_token).await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn owners_read_tickets_but_cannot_change_them() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let (_, owner) = desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    assert_eq!(
        desk.app.get(&format!("/api/v1/tickets/{id}"), &owner).await.status,
        StatusCode::OK
    );
    let moved = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            &owner,
            json!({ "to": "approved", "version": 1 }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn platform_timers_run_from_the_request_and_the_earliest_deadline_orders_the_queue() {
    let desk = desk().await;
    // O-1 was signed two days ago: the seller has 5 days to answer a request after shipping.
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let opened = chrono::DateTime::parse_from_rfc3339(ticket["opened_at"].as_str().expect("opened")).expect("time");
    assert_eq!(ticket["timers"][0]["kind"], "seller_answer_shipped");
    let deadline =
        chrono::DateTime::parse_from_rfc3339(ticket["timers"][0]["deadline"].as_str().expect("deadline")).expect("t");
    assert_eq!(deadline - opened, chrono::Duration::days(5));
    let approved = desk.transition(id, "approved", 1, json!({})).await;
    assert_eq!(
        approved.body["timers"][0]["kind"], "buyer_ship_return",
        "{:?}",
        approved.body["timers"]
    );
    let complaint = desk.open("complaint", "quality").await;
    assert_eq!(complaint["timers"], json!([]));

    // An unshipped order: 48 hours to answer. Opened 30 h ago and followed up now, the answer
    // timer (18 h left) comes before the next follow-up (24 h) and drives the queue.
    let unshipped = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/orders/U-1", desk.shop),
            &desk.agent_token,
            json!({ "buyer": "tb_wait", "lines": [{ "sku": "U", "title": "未发货商品", "quantity": 1, "unit_price_fen": 1000 }] }),
        )
        .await;
    assert_eq!(unshipped.status, StatusCode::CREATED);
    let refund = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "refund", "order_no": "U-1", "reason": "late_shipment",
                    "opened_at": (desk.app.now() - chrono::Duration::hours(30)).to_rfc3339() }),
        )
        .await;
    let refund_id = refund.body["id"].as_i64().expect("id");
    assert_eq!(refund.body["timers"][0]["kind"], "seller_answer_unshipped");
    let followed = desk
        .app
        .post(
            &format!("/api/v1/tickets/{refund_id}/follow-ups"),
            &desk.agent_token,
            json!({ "channel": "chat", "summary": "催仓库发货" }),
        )
        .await;
    assert_eq!(
        followed.body["next_deadline_at"],
        followed.body["timers"][0]["deadline"]
    );
    let fresh = desk.open("complaint", "quality").await;
    let client = crate::support::browser(&desk.app, "agent-a").await;
    let page = client
        .get(desk.app.url("/"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("text");
    let refund_at = page
        .find(&format!("/tickets/{refund_id}?from="))
        .expect("refund listed");
    let fresh_at = page
        .find(&format!("/tickets/{}?from=", fresh["id"]))
        .expect("complaint listed");
    assert!(
        refund_at < fresh_at,
        "the ticket whose platform timer runs out first comes first"
    );
    let ticket_page = client
        .get(desk.app.url(&format!("/tickets/{refund_id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        ticket_page.contains("id=\"timers\""),
        "the countdowns are on the ticket page"
    );
}
