//! Tickets opened at the same moment are written together (`tickets::openings`): each request
//! still gets its own ticket, with its own first events, and none fails for another's.

use aftersales::ids::OrderId;
use aftersales::rules::reason::ReasonCode;
use aftersales::rules::workflow::{Position, Priority, TicketKind};
use aftersales::tickets::EventData;
use aftersales::tickets::events::Created;
use aftersales::tickets::repo::{NewRow, Opening, OpeningEvent, Surroundings};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Desk, TestApp, desk};

/// A complaint on O-1 by the desk's agent, described as `description`.
async fn complaint(desk: &Desk, description: &str) -> Opening {
    let order = aftersales::orders::find(&desk.app.pool, desk.shop, "O-1")
        .await
        .expect("the order")
        .expect("O-1");
    let shop = aftersales::shops::get(&desk.app.pool, desk.shop)
        .await
        .expect("the shop")
        .expect("shop-a");
    let now = desk.app.now();
    let kind = TicketKind::Complaint;
    let status = Position::new(kind).status;
    Opening {
        row: NewRow {
            shop: desk.shop,
            kind,
            status,
            reason: ReasonCode::Quality,
            description: description.to_string(),
            order: order.id,
            sku: None,
            customer: order.customer_id,
            assignee: Some(desk.agent),
            priority: Priority::Normal,
            refund_fen: None,
            intact: None,
            seven_day: None,
            opened_at: now,
            follow_up_due_at: now + chrono::Duration::hours(24),
            created_by: desk.agent,
            idempotency_key: None,
            idempotency_body_sha256: None,
            order_shipped: true,
            timer_due_at: None,
            review_rating: None,
            review_text: None,
            reviewed_at: None,
            follow_up_of: None,
        },
        around: Surroundings {
            order_no: order.order_no.clone(),
            buyer: order.buyer.clone(),
            assignee_name: Some("agent-a".into()),
            time_zone: shop.time_zone.clone(),
            platform_timers: shop.platform_timers.0,
            review_timers: shop.review_timers.0,
            follow_up_hours: shop.follow_up_hours,
        },
        events: vec![OpeningEvent {
            actor: Some(desk.agent),
            event: EventData::Created(Created {
                kind,
                status,
                reason: ReasonCode::Quality,
                order_no: order.order_no,
                sku: None,
                description: description.to_string(),
                refund_fen: None,
                intact: None,
                recorded_at: now,
                follow_up_of: None,
            }),
        }],
    }
}

/// The descriptions of the shop's tickets, by id.
async fn stored_descriptions(desk: &Desk) -> Vec<String> {
    sqlx::query_scalar("SELECT description FROM tickets WHERE shop_id = $1 ORDER BY id")
        .bind(desk.shop)
        .fetch_all(&desk.app.pool)
        .await
        .expect("the tickets")
}

/// Three tickets in one statement come back in the order they were given, each as stored, each
/// with its own first event.
#[tokio::test]
async fn tickets_written_together_answer_each_in_its_place() {
    let desk = desk().await;
    let openings = vec![
        complaint(&desk, "一").await,
        complaint(&desk, "二").await,
        complaint(&desk, "三").await,
    ];
    let answers = desk.app.state.openings.together(openings).await;
    let mut ids = Vec::new();
    for (answer, description) in answers.into_iter().zip(["一", "二", "三"]) {
        let ticket = answer.expect("stored").expect("a new ticket");
        assert_eq!(ticket.description, description);
        assert_eq!(ticket.assignee_name.as_deref(), Some("agent-a"));
        let stored = desk
            .app
            .get(&format!("/api/v1/tickets/{}", ticket.id), &desk.agent_token)
            .await;
        assert_eq!(stored.body["description"], description);
        assert_eq!(stored.body["order_no"], "O-1");
        let timeline = stored.body["timeline"].as_array().expect("timeline");
        assert_eq!(timeline.len(), 1, "{timeline:?}");
        assert_eq!(timeline[0]["data"]["description"], description, "its own event");
        ids.push(ticket.id);
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    assert_eq!(stored_descriptions(&desk).await, ["一", "二", "三"]);
}

/// A ticket that cannot be stored (its order is gone) fails alone: the statement they were
/// written in together is refused, and each is written again on its own.
#[tokio::test]
async fn a_ticket_that_cannot_be_stored_fails_alone() {
    let desk = desk().await;
    let mut orphan = complaint(&desk, "二").await;
    orphan.row.order = OrderId(i64::MAX);
    let openings = vec![complaint(&desk, "一").await, orphan, complaint(&desk, "三").await];
    let answers = desk.app.state.openings.together(openings).await;
    assert_eq!(answers.len(), 3);
    assert_eq!(
        answers[0].as_ref().expect("stored").as_ref().expect("new").description,
        "一"
    );
    assert!(answers[1].is_err(), "no such order: {:?}", answers[1]);
    assert_eq!(
        answers[2].as_ref().expect("stored").as_ref().expect("new").description,
        "三"
    );
    assert_eq!(stored_descriptions(&desk).await, ["一", "三"]);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE shop_id = $1")
        .bind(desk.shop)
        .fetch_one(&desk.app.pool)
        .await
        .expect("events");
    assert_eq!(events, 2, "one event for each ticket stored, none for the other");
}

/// One creator's idempotency key twice in one statement opens one ticket: the second is
/// answered `None` (its request then answers with the first's ticket), and stores no event.
#[tokio::test]
async fn one_key_twice_together_opens_one_ticket() {
    let desk = desk().await;
    let mut first = complaint(&desk, "一").await;
    first.row.idempotency_key = Some("key-1".into());
    first.row.idempotency_body_sha256 = Some(vec![1; 32]);
    let mut again = first.clone();
    again.row.description = "again".into();
    let answers = desk.app.state.openings.together(vec![first, again]).await;
    assert_eq!(
        answers[0].as_ref().expect("stored").as_ref().expect("new").description,
        "一"
    );
    assert!(answers[1].as_ref().expect("no error").is_none(), "{:?}", answers[1]);
    assert_eq!(stored_descriptions(&desk).await, ["一"]);
}

/// Many tickets asked for at once through the API, by two people: each answer is its own
/// request's ticket as stored, with its own first events.
#[tokio::test]
async fn tickets_asked_for_at_once_each_get_their_own() {
    let desk = desk().await;
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..24 {
        let token = if n % 2 == 0 {
            desk.agent_token.clone()
        } else {
            desk.supervisor_token.clone()
        };
        let body = json!({ "kind": "complaint", "order_no": "O-1", "reason": "quality",
                           "description": format!("第 {n} 位"), "assignee": desk.agent });
        let request = desk
            .app
            .client
            .post(desk.app.url(&format!("/api/v1/shops/{}/tickets", desk.shop)))
            .bearer_auth(token)
            .json(&body);
        requests.spawn(async move { (n, request.send().await.expect("request")) });
    }
    let mut answers = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (n, response) = done.expect("a request");
        answers.push((n, TestApp::answer(response).await));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (n, answer) in answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        assert_eq!(answer.body["description"], format!("第 {n} 位"));
        let id = answer.body["id"].as_i64().expect("id");
        assert!(ids.insert(id), "ticket {id} answered twice");
        let stored = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
        for (field, value) in answer.body.as_object().expect("a ticket") {
            assert_eq!(&stored.body[field], value, "{field}: answered as stored");
        }
        let timeline = stored.body["timeline"].as_array().expect("timeline");
        let kinds: Vec<&str> = timeline.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["created", "assigned"], "{timeline:?}");
        assert_eq!(timeline[0]["data"]["description"], format!("第 {n} 位"));
        let by = if n % 2 == 0 { "agent-a" } else { "super-a" };
        assert_eq!(timeline[0]["actor"], by, "{timeline:?}");
    }
    assert_eq!(ids.len(), 24);
}
