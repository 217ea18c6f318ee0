//! The compensation ledger (issue 18): payouts, coupons and collections on a ticket, the shop's
//! limits, maker-checker approval (audited, notified), reversals that bring the balance back,
//! the buyer's totals, the database's append-only guard, and the ticket page's card.

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, Desk, desk, html};

async fn pay(d: &Desk, token: &str, ticket: i64, body: Value) -> Answer {
    d.app
        .post(&format!("/api/v1/tickets/{ticket}/compensations"), token, body)
        .await
}

fn payout(fen: i64) -> Value {
    json!({ "method": "payout", "reason": "postage", "amount_fen": fen, "note": "退货运费" })
}

async fn on_entry(d: &Desk, token: &str, ticket: i64, entry: i64, what: &str, note: &str) -> Answer {
    d.app
        .post(
            &format!("/api/v1/tickets/{ticket}/compensations/{entry}/{what}"),
            token,
            json!({ "note": note }),
        )
        .await
}

async fn ledger(d: &Desk, ticket: i64) -> Value {
    let answer = d
        .app
        .get(&format!("/api/v1/tickets/{ticket}/compensations"), &d.agent_token)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

/// The kinds of `user`'s notices, newest first.
async fn notice_kinds(d: &Desk, user: aftersales::ids::UserId) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM notifications WHERE user_id = $1 ORDER BY id DESC")
        .bind(user)
        .fetch_all(&d.app.pool)
        .await
        .expect("notices")
}

#[tokio::test]
async fn a_payout_within_the_limit_is_booked_and_one_above_waits_for_a_supervisor_whose_approval_is_audited() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");

    // ¥30 under the default ¥50 per entry: booked at once.
    let small = pay(&d, &d.agent_token, ticket, payout(3_000)).await;
    assert_eq!(small.status, StatusCode::CREATED, "{:?}", small.body);
    assert_eq!(small.body["status"], "booked");
    assert_eq!(small.body["over_limits"], json!([]));

    // ¥80: waits, and the shop's supervisor is told.
    let big = pay(&d, &d.agent_token, ticket, payout(8_000)).await;
    assert_eq!(big.status, StatusCode::ACCEPTED, "{:?}", big.body);
    assert_eq!(big.body["status"], "pending");
    // ¥80 is over the ¥50 an entry, and with the ¥30 over the buyer's ¥100 in 30 days.
    assert_eq!(big.body["over_limits"], json!(["per_entry", "per_buyer_30_days"]));
    let entry = big.body["id"].as_i64().expect("entry id");
    assert_eq!(notice_kinds(&d, d.supervisor).await, vec!["compensation_waiting"]);
    let view = ledger(&d, ticket).await;
    assert_eq!(view["balance_fen"], 3_000, "what waits counts for nothing yet");
    assert_eq!(view["buyer"]["waiting"], 1);

    // The agent may not approve at all.
    let by_agent = on_entry(&d, &d.agent_token, ticket, entry, "approve", "").await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN, "{:?}", by_agent.body);

    // The supervisor approves: booked, decided by them, audited, the agent told.
    let approved = on_entry(&d, &d.supervisor_token, ticket, entry, "approve", "买家收到破损件").await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "booked");
    assert_eq!(approved.body["decided_by"], d.supervisor.0);
    assert_eq!(ledger(&d, ticket).await["balance_fen"], 11_000);
    let audited: Vec<(Option<i64>, Value)> =
        sqlx::query_as("SELECT actor_id, details FROM audit_log WHERE action = 'compensation.approved'")
            .fetch_all(&d.app.pool)
            .await
            .expect("audit");
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, Some(d.supervisor.0));
    assert_eq!(audited[0].1["entry"], entry);
    assert_eq!(audited[0].1["amount_fen"], 8_000);
    assert_eq!(audited[0].1["maker"], d.agent.0);
    assert_eq!(notice_kinds(&d, d.agent).await, vec!["compensation_approved"]);

    // Decided once: a second approval is refused.
    let again = on_entry(&d, &d.supervisor_token, ticket, entry, "approve", "").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.error_code(), "not_pending");

    // The timeline tells the story.
    let answer = d.app.get(&format!("/api/v1/tickets/{ticket}"), &d.agent_token).await;
    let changes: Vec<&str> = answer.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "compensation")
        .map(|e| e["data"]["change"].as_str().expect("change"))
        .collect();
    assert_eq!(changes, vec!["booked", "requested", "approved"]);
}

#[tokio::test]
async fn the_maker_cannot_approve_their_own_and_another_supervisor_can() {
    let d = desk().await;
    let (second, second_token) = d.app.user("super-b", Role::Supervisor, &[d.shop]).await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let waiting = pay(&d, &d.supervisor_token, ticket, payout(9_900)).await;
    assert_eq!(waiting.status, StatusCode::ACCEPTED, "{:?}", waiting.body);
    let entry = waiting.body["id"].as_i64().expect("id");
    // Only the other supervisor is asked.
    assert!(notice_kinds(&d, d.supervisor).await.is_empty());
    assert_eq!(notice_kinds(&d, second).await, vec!["compensation_waiting"]);

    for what in ["approve", "reject"] {
        let own = on_entry(&d, &d.supervisor_token, ticket, entry, what, "自己批").await;
        assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", own.body);
        assert_eq!(own.error_code(), "own_entry");
    }
    // The database would refuse it too, whatever the service said.
    let forced = sqlx::query(
        "UPDATE compensations SET status = 'booked', decided_by = made_by, decided_at = now() WHERE id = $1",
    )
    .bind(entry)
    .execute(&d.app.pool)
    .await;
    assert!(
        forced.is_err(),
        "a maker's own approval is refused by the table's check"
    );

    let approved = on_entry(&d, &second_token, ticket, entry, "approve", "").await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["decided_by"], second.0);
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_only_the_maker_withdraws() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let first = pay(&d, &d.agent_token, ticket, payout(6_000)).await.body["id"]
        .as_i64()
        .expect("id");
    let silent = on_entry(&d, &d.supervisor_token, ticket, first, "reject", " ").await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(silent.body["error"]["details"]["field"], "note");
    let rejected = on_entry(&d, &d.supervisor_token, ticket, first, "reject", "先补运费券").await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(notice_kinds(&d, d.agent).await, vec!["compensation_rejected"]);

    let second = pay(&d, &d.agent_token, ticket, payout(6_000)).await.body["id"]
        .as_i64()
        .expect("id");
    let not_theirs = on_entry(&d, &d.supervisor_token, ticket, second, "withdraw", "").await;
    assert_eq!(not_theirs.error_code(), "not_the_maker");
    let withdrawn = on_entry(&d, &d.agent_token, ticket, second, "withdraw", "").await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert_eq!(ledger(&d, ticket).await["balance_fen"], 0);
}

#[tokio::test]
async fn a_reversal_brings_the_balance_back_frees_the_limit_only_when_another_made_it_and_is_made_once() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    // ¥50 + ¥50 to one buyer reaches the default ¥100 in 30 days; a collection does not count.
    let a = pay(&d, &d.agent_token, ticket, payout(5_000)).await;
    let b = pay(&d, &d.agent_token, ticket, payout(5_000)).await;
    assert_eq!(
        (a.body["status"].clone(), b.body["status"].clone()),
        (json!("booked"), json!("booked"))
    );
    let postage = pay(
        &d,
        &d.agent_token,
        ticket,
        json!({ "method": "collection", "reason": "extra_postage", "amount_fen": 1_200 }),
    )
    .await;
    assert_eq!(postage.status, StatusCode::CREATED, "{:?}", postage.body);
    let third = pay(&d, &d.agent_token, ticket, payout(1_000)).await;
    assert_eq!(third.body["status"], "pending");
    assert_eq!(third.body["over_limits"], json!(["per_buyer_30_days"]));
    on_entry(
        &d,
        &d.agent_token,
        ticket,
        third.body["id"].as_i64().expect("id"),
        "withdraw",
        "",
    )
    .await;
    assert_eq!(ledger(&d, ticket).await["balance_fen"], 10_000 - 1_200);

    // The maker reverses the first: the balance goes back exactly, but the maker's own word
    // frees no limit.
    let first = a.body["id"].as_i64().expect("id");
    let unexplained = on_entry(&d, &d.agent_token, ticket, first, "reverse", "").await;
    assert_eq!(unexplained.body["error"]["details"]["field"], "note");
    let reversal = on_entry(&d, &d.agent_token, ticket, first, "reverse", "打款失败，已退回").await;
    assert_eq!(reversal.status, StatusCode::CREATED, "{:?}", reversal.body);
    assert_eq!(reversal.body["reverses"], first);
    assert_eq!(reversal.body["amount_fen"], 5_000);
    let view = ledger(&d, ticket).await;
    assert_eq!(view["balance_fen"], 5_000 - 1_200);
    assert_eq!(view["buyer"]["given_fen"], 5_000);
    assert_eq!(view["buyer"]["collected_fen"], 1_200);
    let original = view["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["id"] == first)
        .expect("the reversed entry stays");
    assert_eq!(original["status"], "booked");
    assert_eq!(original["reversed_by"], reversal.body["id"]);
    let still_waits = pay(&d, &d.agent_token, ticket, payout(1_000)).await;
    assert_eq!(still_waits.body["status"], "pending", "{:?}", still_waits.body);
    on_entry(
        &d,
        &d.agent_token,
        ticket,
        still_waits.body["id"].as_i64().expect("id"),
        "withdraw",
        "",
    )
    .await;
    // A supervisor reverses the second: that one no longer counts, and there is room again.
    let second = b.body["id"].as_i64().expect("id");
    let by_supervisor = on_entry(&d, &d.supervisor_token, ticket, second, "reverse", "核实未打款").await;
    assert_eq!(by_supervisor.status, StatusCode::CREATED, "{:?}", by_supervisor.body);
    let now_fits = pay(&d, &d.agent_token, ticket, payout(1_000)).await;
    assert_eq!(now_fits.body["status"], "booked", "{:?}", now_fits.body);
    // A collection is not reversed: money given back is a payout.
    let collection = on_entry(
        &d,
        &d.agent_token,
        ticket,
        postage.body["id"].as_i64().expect("id"),
        "reverse",
        "多收了",
    )
    .await;
    assert_eq!(collection.error_code(), "collection_not_reversed");

    // Once only, and never a reversal of a reversal.
    let twice = on_entry(&d, &d.agent_token, ticket, first, "reverse", "再冲一次").await;
    assert_eq!(twice.error_code(), "already_reversed");
    let of_reversal = on_entry(
        &d,
        &d.agent_token,
        ticket,
        reversal.body["id"].as_i64().expect("id"),
        "reverse",
        "冲正的冲正",
    )
    .await;
    assert_eq!(of_reversal.error_code(), "already_reversed");

    // The buyer's file says the same.
    let file = d
        .app
        .get(&format!("/api/v1/tickets/{ticket}/buyer"), &d.agent_token)
        .await;
    assert_eq!(file.status, StatusCode::OK, "{:?}", file.body);
    assert_eq!(file.body["compensation"]["given_fen"], 1_000);
    assert_eq!(file.body["compensation"]["collected_fen"], 1_200);
}

#[tokio::test]
async fn the_ledger_is_append_only_in_the_database() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let entry = pay(&d, &d.agent_token, ticket, payout(3_000)).await.body["id"]
        .as_i64()
        .expect("id");
    for statement in [
        "UPDATE compensations SET amount_fen = 1 WHERE id = $1",
        "UPDATE compensations SET status = 'rejected' WHERE id = $1",
        "DELETE FROM compensations WHERE id = $1",
    ] {
        let refused = sqlx::query(statement).bind(entry).execute(&d.app.pool).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
    let truncate = sqlx::query("TRUNCATE compensations CASCADE").execute(&d.app.pool).await;
    assert!(truncate.is_err(), "TRUNCATE must be refused");
    assert_eq!(ledger(&d, ticket).await["balance_fen"], 3_000);
}

#[tokio::test]
async fn wrong_input_is_refused_naming_the_field_and_nothing_is_written() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let cases = [
        (
            json!({ "method": "collection", "reason": "postage", "amount_fen": 100 }),
            "reason",
        ),
        (
            json!({ "method": "payout", "reason": "postage", "amount_fen": 0 }),
            "amount_fen",
        ),
        (
            json!({ "method": "payout", "reason": "postage", "amount_fen": 10_000_001 }),
            "amount_fen",
        ),
        (
            json!({ "method": "coupon", "reason": "other", "amount_fen": 500, "note": "  " }),
            "note",
        ),
    ];
    for (body, field) in cases {
        let answer = pay(&d, &d.agent_token, ticket, body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["error"]["details"]["field"], field, "{body}");
    }
    let unknown = pay(
        &d,
        &d.agent_token,
        ticket,
        json!({ "method": "cash", "reason": "postage", "amount_fen": 100 }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", unknown.body);
    assert!(
        ledger(&d, ticket).await["entries"]
            .as_array()
            .expect("entries")
            .is_empty()
    );
    // Another shop's ticket is not found.
    let (_, stranger) = d.app.user("agent-x", Role::Agent, &[d.app.shop("shop-x").await]).await;
    let answer = pay(&d, &stranger, ticket, payout(100)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_shops_limits_are_settings_and_zero_sends_every_payout_for_approval() {
    let d = desk().await;
    let (_, admin) = d.app.user("admin-a", Role::Admin, &[d.shop]).await;
    let bad = d
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", d.shop),
            &admin,
            json!({ "compensation_limits": { "per_entry_fen": -1 } }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let set = d
        .app
        .put(
            &format!("/api/v1/shops/{}/settings", d.shop),
            &admin,
            json!({ "compensation_limits": { "per_entry_fen": 0 } }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["compensation_limits"]["per_entry_fen"], 0);
    assert_eq!(
        set.body["compensation_limits"]["per_person_day_fen"], 30_000,
        "left out: the default"
    );
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let one_fen = pay(&d, &d.agent_token, ticket, payout(1)).await;
    assert_eq!(one_fen.body["status"], "pending");
    let collection = pay(
        &d,
        &d.agent_token,
        ticket,
        json!({ "method": "collection", "reason": "extra_postage", "amount_fen": 800 }),
    )
    .await;
    assert_eq!(collection.body["status"], "booked", "money collected never waits");
}

#[tokio::test]
async fn the_ticket_page_card_books_waits_approves_and_keeps_what_was_typed_when_refused() {
    let d = desk().await;
    let ticket = d.open("return", "no_reason").await["id"].as_i64().expect("id");
    let agent = d.browser("agent-a").await;
    let post = |client: &reqwest::Client, path: String, form: Vec<(&'static str, &'static str)>| {
        client
            .post(d.app.url(&path))
            .header("hx-request", "true")
            .form(&form)
            .send()
    };

    // A refused amount: the message next to the field, in Chinese, with what was typed.
    let refused = post(
        &agent,
        format!("/tickets/{ticket}/compensations"),
        vec![
            ("ledger_method", "payout"),
            ("ledger_reason", "damage"),
            ("ledger_amount", "三十"),
            ("ledger_note", "外箱压坏"),
        ],
    )
    .await
    .expect("post");
    assert_eq!(refused.status(), StatusCode::OK);
    let body = refused.text().await.expect("text");
    assert!(body.contains("id=\"ledger-amount-error\""), "{body}");
    assert!(
        body.contains("请填写金额（元）"),
        "the message in the person's language"
    );
    assert!(body.contains("value=\"三十\""), "what was typed is kept");
    assert!(body.contains("value=\"外箱压坏\""), "the note is kept");

    // Over the limit: it waits, and says so.
    let waits = post(
        &agent,
        format!("/tickets/{ticket}/compensations"),
        vec![
            ("ledger_method", "payout"),
            ("ledger_reason", "damage"),
            ("ledger_amount", "80"),
            ("ledger_note", "外箱压坏"),
        ],
    )
    .await
    .expect("post");
    let body = waits.text().await.expect("text");
    assert!(body.contains("已提交主管审批"), "{body}");
    assert!(body.contains("ledger-pending"), "{body}");
    assert!(!body.contains("id=\"approve-"), "the maker sees no approve button");

    // The supervisor sees it on the ticket page and approves it there.
    let supervisor = d.browser("super-a").await;
    let (status, page) = html(&supervisor, d.app.url(&format!("/tickets/{ticket}"))).await;
    assert_eq!(status, StatusCode::OK);
    let entry: i64 = page
        .split("id=\"approve-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("an approve button");
    let approved = post(
        &supervisor,
        format!("/tickets/{ticket}/compensations/{entry}/approve"),
        vec![("entry_note", "")],
    )
    .await
    .expect("post");
    let body = approved.text().await.expect("text");
    assert!(body.contains("已批准并入账"), "{body}");
    assert!(body.contains("ledger-booked"), "{body}");

    // The buyer's file shows it.
    let (_, file) = html(&agent, d.app.url(&format!("/tickets/{ticket}/buyer"))).await;
    assert!(file.contains("id=\"buyer-compensation\">¥80.00"), "{file}");
}
