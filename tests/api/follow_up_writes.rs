//! Follow-ups recorded at the same moment are written together (`tickets::follow_up_writes`):
//! each is its own ticket's, with its own event and its own count in the day's figures; one
//! whose ticket changed since it was read writes nothing, and none fails for another's.

use aftersales::ids::{TicketId, UserId};
use aftersales::tickets::EventData;
use aftersales::tickets::events::FollowUp;
use aftersales::tickets::model::Channel;
use aftersales::tickets::repo::{self, FollowUpRecord};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Desk, TestApp, desk};

/// A new complaint on O-1, through the API: its id and version.
async fn new_ticket(desk: &Desk, description: &str) -> (TicketId, i32) {
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality",
                    "description": description, "assignee": desk.agent }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_i64().expect("id");
    let version = created.body["version"].as_i64().expect("version");
    (TicketId(id), i32::try_from(version).expect("a version"))
}

/// A follow-up in time by the desk's agent on `ticket` as read at `version`, saying `summary`.
fn follow_up(desk: &Desk, ticket: TicketId, version: i32, summary: &str) -> FollowUpRecord {
    let now = desk.app.now();
    FollowUpRecord {
        shop: desk.shop,
        ticket,
        at: now,
        due: Some(now + chrono::Duration::hours(24)),
        actor: desk.agent,
        event: EventData::FollowUp(FollowUp {
            channel: Channel::Phone,
            summary: summary.to_string(),
            was_overdue: false,
            canned_reply: None,
        }),
        in_time_on: Some(now.date_naive()),
        read_version: version,
    }
}

/// The summaries of the follow-up events of `ticket`, in their order.
async fn summaries(desk: &Desk, ticket: TicketId) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT data ->> 'summary' FROM ticket_events WHERE shop_id = $1 AND ticket_id = $2 AND kind = 'follow_up'
         ORDER BY id",
    )
    .bind(desk.shop)
    .bind(ticket)
    .fetch_all(&desk.app.pool)
    .await
    .expect("the follow-ups")
}

/// The follow-ups in time counted for the desk's agent, every day together.
async fn counted_in_time(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(sum(in_time), 0) FROM follow_up_daily WHERE shop_id = $1 AND agent_id = $2")
        .bind(desk.shop)
        .bind(desk.agent)
        .fetch_one(&desk.app.pool)
        .await
        .expect("the day's figures")
}

/// Three follow-ups of three tickets in one statement: each answered in its place with its
/// ticket's next version, each ticket with its own event and due time, three counted in time.
#[tokio::test]
async fn follow_ups_written_together_answer_each_in_its_place() {
    let desk = desk().await;
    let mut tickets = Vec::new();
    for description in ["一", "二", "三"] {
        tickets.push(new_ticket(&desk, description).await);
    }
    let before = counted_in_time(&desk).await;
    let records: Vec<FollowUpRecord> = tickets
        .iter()
        .zip(["电话一", "电话二", "电话三"])
        .map(|(&(id, version), summary)| follow_up(&desk, id, version, summary))
        .collect();
    // The statement of several itself (through the gathering, a refused statement would be
    // written again follow-up by follow-up, with the same outcome).
    let answers = repo::record_follow_ups(&desk.app.pool, &records)
        .await
        .expect("one statement for the three");
    assert_eq!(answers.len(), 3);
    for ((answer, &(id, version)), summary) in answers.into_iter().zip(&tickets).zip(["电话一", "电话二", "电话三"])
    {
        let stored = answer.expect("written");
        assert_eq!(stored.version, version + 1);
        assert_eq!(summaries(&desk, id).await, [summary]);
        let read = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
        assert_eq!(read.body["version"], version + 1);
        let due = read.body["follow_up_due_at"]
            .as_str()
            .and_then(|due| chrono::DateTime::parse_from_rfc3339(due).ok());
        assert_eq!(
            due,
            Some((desk.app.now() + chrono::Duration::hours(24)).fixed_offset()),
            "{:?}",
            read.body
        );
    }
    assert_eq!(counted_in_time(&desk).await, before + 3);
}

/// Two follow-ups of one ticket read at one version, in one statement: one is written, the
/// other answered `None` (its caller works it out again from the ticket locked); one event,
/// one count.
#[tokio::test]
async fn two_follow_ups_of_one_ticket_together_write_one() {
    let desk = desk().await;
    let (id, version) = new_ticket(&desk, "一").await;
    let before = counted_in_time(&desk).await;
    let answers = repo::record_follow_ups(
        &desk.app.pool,
        &[
            follow_up(&desk, id, version, "第一次"),
            follow_up(&desk, id, version, "第二次"),
        ],
    )
    .await
    .expect("one statement for the two");
    let written: Vec<bool> = answers.iter().map(Option::is_some).collect();
    assert_eq!(written.iter().filter(|w| **w).count(), 1, "{written:?}");
    assert_eq!(summaries(&desk, id).await.len(), 1);
    assert_eq!(counted_in_time(&desk).await, before + 1);
}

/// A follow-up worked out from a version its ticket has left writes nothing, and the others of
/// its statement are written.
#[tokio::test]
async fn a_follow_up_of_a_changed_ticket_writes_nothing() {
    let desk = desk().await;
    let (first, first_version) = new_ticket(&desk, "一").await;
    let (second, second_version) = new_ticket(&desk, "二").await;
    let answers = repo::record_follow_ups(
        &desk.app.pool,
        &[
            follow_up(&desk, first, first_version - 1, "过时"),
            follow_up(&desk, second, second_version, "及时"),
        ],
    )
    .await
    .expect("one statement for the two");
    assert!(answers[0].is_none(), "{:?}", answers[0]);
    assert_eq!(answers[1].map(|stored| stored.version), Some(second_version + 1));
    assert!(summaries(&desk, first).await.is_empty());
    assert_eq!(summaries(&desk, second).await, ["及时"]);
}

/// A follow-up that cannot be stored (its author is no user) fails alone: the statement they
/// were written in together is refused, and each is written again on its own.
#[tokio::test]
async fn a_follow_up_that_cannot_be_stored_fails_alone() {
    let desk = desk().await;
    let (first, first_version) = new_ticket(&desk, "一").await;
    let (second, second_version) = new_ticket(&desk, "二").await;
    let (third, third_version) = new_ticket(&desk, "三").await;
    let mut orphan = follow_up(&desk, second, second_version, "无人");
    orphan.actor = UserId(i64::MAX);
    let records = vec![
        follow_up(&desk, first, first_version, "甲"),
        orphan,
        follow_up(&desk, third, third_version, "丙"),
    ];
    // The statement of the three is refused, and stores none of them…
    let refused = repo::record_follow_ups(&desk.app.pool, &records).await;
    assert!(matches!(refused, Err(sqlx::Error::Database(_))), "{refused:?}");
    // …so the gathering writes each again alone.
    let answers = desk.app.state.follow_up_writes.together(records).await;
    assert!(answers[0].as_ref().expect("no error").is_some());
    assert!(answers[1].is_err(), "no such user: {:?}", answers[1]);
    assert!(answers[2].as_ref().expect("no error").is_some());
    assert_eq!(summaries(&desk, first).await, ["甲"]);
    assert!(summaries(&desk, second).await.is_empty());
    assert_eq!(summaries(&desk, third).await, ["丙"]);
}

/// Many follow-ups asked for at once through the API, several on each ticket: every request is
/// answered as recorded, and each ticket holds exactly its own follow-ups, its version moved
/// on once for each.
#[tokio::test]
async fn follow_ups_asked_for_at_once_are_each_recorded() {
    let desk = desk().await;
    let mut tickets = Vec::new();
    for n in 0..4 {
        tickets.push(new_ticket(&desk, &format!("第 {n} 张")).await);
    }
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..24 {
        let (id, _) = tickets[n % tickets.len()];
        let request = desk
            .app
            .client
            .post(desk.app.url(&format!("/api/v1/tickets/{id}/follow-ups")))
            .bearer_auth(desk.agent_token.clone())
            .json(&json!({ "channel": "chat", "summary": format!("跟进 {n}") }));
        requests.spawn(async move { (n, request.send().await.expect("request")) });
    }
    while let Some(done) = requests.join_next().await {
        let (n, response) = done.expect("a request");
        let answer = TestApp::answer(response).await;
        assert_eq!(answer.status, StatusCode::CREATED, "follow-up {n}: {:?}", answer.body);
    }
    for (k, &(id, version)) in tickets.iter().enumerate() {
        let mut expected: Vec<String> = (0..24)
            .filter(|n| n % tickets.len() == k)
            .map(|n| format!("跟进 {n}"))
            .collect();
        let mut stored = summaries(&desk, id).await;
        expected.sort();
        stored.sort();
        assert_eq!(stored, expected, "ticket {id}");
        let read = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
        assert_eq!(read.body["version"], version + 6, "{:?}", read.body);
    }
}

/// The statement of several follow-ups runs on connections that plan it once
/// (`db::planned::writes_beside`): PostgreSQL would otherwise plan it again at every call, for
/// the few follow-ups it is given, although the plan is the same. Seven statements on one such
/// connection, each of two follow-ups: one generic plan, none made for the values. On Citus, where
/// a statement goes to a shard by the values it names, such connections plan for the values.
#[tokio::test]
async fn the_statement_of_several_follow_ups_is_planned_once() {
    let desk = desk().await;
    // The connections the desk's gathered follow-ups are written on.
    let mut conn = desk
        .app
        .state
        .follow_up_writes
        .writing()
        .acquire()
        .await
        .expect("a connection to write on");
    let mut tickets = Vec::new();
    for description in ["一", "二"] {
        tickets.push(new_ticket(&desk, description).await);
    }
    for round in 0..7 {
        let records: Vec<FollowUpRecord> = tickets
            .iter()
            .map(|&(id, version)| follow_up(&desk, id, version + round, &format!("电话{round}")))
            .collect();
        let answers = repo::record_follow_ups(&mut *conn, &records).await.expect("written");
        assert!(answers.iter().all(Option::is_some), "round {round}: {answers:?}");
    }
    // (Its text starts so; this statement's own does not.)
    let (generic, custom): (i64, i64) = sqlx::query_as(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements
         WHERE from_sql = false AND statement LIKE 'WITH i AS%' AND statement LIKE '%INSERT INTO ticket_events%'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("the statement, prepared");
    let citus = aftersales::db::citus::installed(&mut *conn).await.expect("extensions");
    let expected = if citus { (0, 7) } else { (7, 0) };
    assert_eq!(
        (generic, custom),
        expected,
        "(generic, custom) plans with Citus: {citus}"
    );
    assert_eq!(summaries(&desk, tickets[0].0).await.len(), 7);
}
