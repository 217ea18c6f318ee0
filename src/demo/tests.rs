//! The generated demo checked without a database: its size, that every kind reaches every
//! status, that orders and timelines are consistent, and that the queues look lived in.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::ids::UserId;
use crate::rules::calendar::Calendar;
use crate::rules::move_details::{self, MoveDetail};
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::{Position, Status, TicketKind};
use crate::tickets::EventData;

use super::shop::{Demo, DemoTicket, generate};

const USER_IDS: [UserId; 6] = [UserId(1), UserId(2), UserId(3), UserId(4), UserId(5), UserId(6)];

/// Demos loaded at different moments: an ordinary week, just after the National Day
/// holiday, and at the end of the calendar's last known year (deadlines unknown).
fn demos() -> Vec<(DateTime<Utc>, Demo)> {
    [(2025, 11, 20, 6), (2025, 10, 9, 2), (2026, 12, 30, 15)]
        .into_iter()
        .map(|(y, m, d, h)| {
            let now = Utc.with_ymd_and_hms(y, m, d, h, 30, 0).single().expect("valid time");
            (now, generate(now, &Calendar::bundled(), &USER_IDS))
        })
        .collect()
}

#[test]
fn the_demo_is_the_size_promised_and_the_same_every_time() {
    for (now, first) in demos() {
        assert_eq!(first.orders.len(), 400);
        assert_eq!(first.tickets.len(), 280, "as of {now}");
        let second = generate(now, &Calendar::bundled(), &USER_IDS);
        let shape = |d: &Demo| {
            d.tickets
                .iter()
                .map(|t| (t.position, t.reason, t.opened_at, t.version))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&first), shape(&second));
    }
}

#[test]
fn every_kind_reaches_every_status() {
    for (now, demo) in demos() {
        for kind in TicketKind::ALL {
            for status in kind.statuses() {
                assert!(
                    demo.tickets
                        .iter()
                        .any(|t| t.position.kind == kind && t.position.status == *status),
                    "no {kind:?} ticket in {status:?} as of {now}"
                );
            }
        }
    }
}

#[test]
fn orders_are_paid_then_shipped_then_signed() {
    for (now, demo) in demos() {
        let mut numbers = HashSet::new();
        for order in &demo.orders {
            assert_eq!(order.order_no.len(), 19);
            assert!(order.order_no.bytes().all(|b| b.is_ascii_digit()));
            assert!(numbers.insert(order.order_no.clone()));
            assert!(order.paid_at <= now && order.paid_at > now - Duration::days(62));
            assert!(order.signed_at.is_none() || order.shipped_at.is_some());
            if let Some(shipped) = order.shipped_at {
                assert!(order.paid_at < shipped && shipped <= now);
            }
            if let (Some(shipped), Some(signed)) = (order.shipped_at, order.signed_at) {
                assert!(shipped < signed && signed <= now);
            }
            assert!((1..=3).contains(&order.lines.len()));
            assert!(order.customer < demo.customers.len());
        }
    }
}

#[test]
fn timelines_replay_to_the_stored_ticket() {
    for (now, demo) in demos() {
        for ticket in &demo.tickets {
            let order = &demo.orders[ticket.order];
            assert!(ticket.refund_fen.is_none_or(|fen| fen >= 0 && fen <= order.total_fen()));
            assert!(order.paid_at < ticket.opened_at);
            if let Some(sku) = &ticket.sku {
                assert!(order.lines.iter().any(|l| &l.sku == sku));
            }
            if let Some(record) = &ticket.seven_day {
                assert!(!record.verdict.is_refusal());
                assert_eq!(ticket.reason, ReasonCode::NoReason);
            }
            let mut position = Position::new(ticket.position.kind);
            let mut last = ticket.opened_at;
            let mut last_follow_up = None;
            let mut changes = 0;
            assert!(matches!(ticket.events[0].data, EventData::Created(_)));
            for event in &ticket.events {
                assert!(event.at >= last && event.at <= now);
                last = event.at;
                match &event.data {
                    EventData::StatusChanged(moved) => {
                        position = position.apply(moved.to, moved.resolution).expect("legal move");
                        changes += 1;
                    }
                    EventData::FollowUp(follow_up) => {
                        assert!(!follow_up.was_overdue, "no missed cycle before loading");
                        last_follow_up = Some(event.at);
                        changes += 1;
                    }
                    EventData::Note(_) => changes += 1,
                    EventData::Assigned(_) if event.at > ticket.opened_at => changes += 1,
                    _ => {}
                }
            }
            assert_eq!(position, ticket.position);
            assert_eq!(ticket.version, 1 + changes);
            assert_eq!(ticket.last_follow_up_at, last_follow_up);
            assert_eq!(ticket.updated_at, last);
            assert_eq!(ticket.closed_at.is_some(), position.status.is_closed());
            assert_eq!(ticket.follow_up_due_at.is_some(), position.status.in_follow_up_cycle());
            if let (Some(due), Some(contact)) = (ticket.follow_up_due_at, ticket.last_follow_up_at) {
                assert!(due >= contact + Duration::hours(24) || due == ticket.opened_at + Duration::hours(24));
            }
            assert_eq!(ticket.resolution.is_some(), {
                ticket.position.kind == TicketKind::Logistics
                    && ticket
                        .events
                        .iter()
                        .any(|e| matches!(&e.data, EventData::StatusChanged(moved) if moved.to == Status::Resolved))
            });
        }
    }
}

#[test]
fn every_refund_agreed_or_paid_carries_its_amount_within_what_was_paid() {
    // Found on the demo's reports: its moves to refunded had no amount, which the desk never
    // lets an agent do, so the cost card showed no refunds while the summary showed thousands
    // of yuan refunded (counted at what was paid, as estimated).
    let mut refunds = 0;
    for (_, demo) in demos() {
        for ticket in &demo.tickets {
            let order = &demo.orders[ticket.order];
            let paid = match &ticket.sku {
                Some(sku) => order.lines.iter().find(|l| &l.sku == sku).map(|l| l.amount_fen()),
                None => Some(order.total_fen()),
            }
            .expect("the ticket's line is in its order");
            let mut position = Position::new(ticket.position.kind);
            let (mut approved, mut refunded) = (None, None);
            for event in &ticket.events {
                let EventData::StatusChanged(moved) = &event.data else {
                    continue;
                };
                let asks = move_details::needed(&position, moved.to).contains(&MoveDetail::RefundAmount);
                assert_eq!(
                    moved.refund_fen.is_some(),
                    asks,
                    "{:?} → {:?}",
                    position.status,
                    moved.to
                );
                if let Some(fen) = moved.refund_fen {
                    assert!(fen > 0 && fen <= paid, "{fen} of {paid} paid");
                    if moved.to == Status::Refunded {
                        // The refund defaults to what was agreed, when it was.
                        assert!(approved.is_none_or(|a| a == fen));
                        refunded = Some(fen);
                        refunds += 1;
                    } else {
                        approved = Some(fen);
                    }
                }
                position = position.apply(moved.to, moved.resolution).expect("legal move");
            }
            assert_eq!((ticket.approved_refund_fen, ticket.refunded_fen), (approved, refunded));
        }
    }
    assert!(refunds > 20, "the demos refund now and then ({refunds})");
}

#[test]
fn agent1_has_a_queue_and_open_tickets_are_due_at_every_distance() {
    for (now, demo) in demos() {
        let agent1 = demo
            .tickets
            .iter()
            .filter(|t| t.closed_at.is_none() && t.assignee == Some(USER_IDS[0]))
            .count();
        assert!((25..=32).contains(&agent1), "agent1 has {agent1} open tickets");
        let unassigned = demo.tickets.iter().filter(|t| t.assignee.is_none()).count();
        assert!((15..=40).contains(&unassigned), "{unassigned} unassigned");
        let due = |t: &&DemoTicket| t.follow_up_due_at;
        let overdue = demo.tickets.iter().filter_map(|t| due(&t)).filter(|d| *d < now).count();
        let soon = demo
            .tickets
            .iter()
            .filter_map(|t| due(&t))
            .filter(|d| *d >= now && *d < now + Duration::hours(4))
            .count();
        assert!(overdue >= 40, "{overdue} overdue");
        for agent in &USER_IDS[..3] {
            let queue: Vec<DateTime<Utc>> = demo
                .tickets
                .iter()
                .filter(|t| t.assignee == Some(*agent))
                .filter_map(|t| t.follow_up_due_at)
                .collect();
            let overdue = queue.iter().filter(|d| **d < now).count();
            let soon = queue
                .iter()
                .filter(|d| **d >= now && **d < now + Duration::hours(4))
                .count();
            assert!(
                overdue >= 5 && soon >= 3,
                "agent {agent}: {overdue} overdue, {soon} due soon"
            );
        }
        assert!(soon >= 15, "{soon} due within four hours");
    }
}
